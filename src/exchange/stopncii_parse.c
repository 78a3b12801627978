/* The StopNCII FetchHashes page parser (JSON, jansson):
 *
 *   {"count":2,"nextPageToken":"..","nextSetTimestamp":1700000000,"hasMoreRecords":true,
 *    "hashRecords":[{"lastModtimestamp":1700000000,"signalType":"ImagePDQ","hashValue":"..",
 *      "hashStatus":"Active","caseNumbers":{..},"CSPFeedbacks":[..]}]}
 *
 * hashStatus decides: Received and Active are the hash, Withdrawn and Deleted remove it (HMA
 * compares hashValue instead, so its withdrawals never leave the bank). A record that is
 * malformed (no hashValue, an unknown status, a bad hex value) is skipped and counted, so one
 * bad record never blocks the page; only a malformed envelope fails the page. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

/* StopNCII's signal types and ours. */
static const char *type_name(const char *st)
{
    if (strcmp(st, "ImagePDQ") == 0)
        return "pdq";
    if (strcmp(st, "ImageMD5") == 0 || strcmp(st, "VideoMD5") == 0)
        return "md5";
    if (strcmp(st, "ImageSHA256") == 0 || strcmp(st, "VideoSHA256") == 0)
        return "sha256";
    return NULL;
}

static cg_status parse_record(json_t *r, size_t i, cg_exchange_delta *out)
{
    const char *sig = json_string_value(json_object_get(r, "signalType"));
    const char *val = json_string_value(json_object_get(r, "hashValue"));
    const char *status = json_string_value(json_object_get(r, "hashStatus"));
    json_t *ts = json_object_get(r, "lastModtimestamp");
    const char *tn;
    char key[CG_BANK_FIELD_MAX + 1], lower[CG_BANK_FIELD_MAX + 1], why[CG_ERROR_MAX];
    cg_exchange_record *rec;
    int deleted, added;
    size_t n;
    cg_status st;

    if (!json_is_object(r) || sig == NULL || val == NULL || status == NULL) {
        cg__delta_reject(out, "hashRecords[%zu]: not an object with signalType, hashValue and "
                              "hashStatus strings", i);
        return CG_OK;
    }
    if (strcmp(status, "Received") == 0 || strcmp(status, "Active") == 0) {
        deleted = 0;
    } else if (strcmp(status, "Withdrawn") == 0 || strcmp(status, "Deleted") == 0) {
        deleted = 1;
    } else {
        cg__delta_reject(out, "hashRecords[%zu]: unknown hashStatus \"%.40s\"", i, status);
        return CG_OK;
    }
    n = strlen(val);
    if (n == 0 || n >= sizeof(lower) - 64) {
        cg__delta_reject(out, "hashRecords[%zu]: hashValue of %zu bytes", i, n);
        return CG_OK;
    }
    for (size_t k = 0; k <= n; k++)
        lower[k] = (char)tolower((unsigned char)val[k]);
    if (snprintf(key, sizeof(key), "stopncii:%.40s:%s", sig, lower) >= (int)sizeof(key)) {
        cg__delta_reject(out, "hashRecords[%zu]: key too long", i);
        return CG_OK;
    }
    st = cg__delta_add(out, key, "", lower, status, &rec);
    if (st != CG_OK)
        return st;
    rec->deleted = deleted;
    rec->timestamp = json_is_integer(ts) ? (int64_t)json_integer_value(ts) : 0;
    tn = type_name(sig);
    if (tn == NULL) {
        rec->n_unsupported++;
        return CG_OK;
    }
    added = cg__record_add_hash(rec, tn, lower, why, sizeof(why));
    if (added < 0) {
        cg__delta_truncate(out, out->n_records - 1);
        cg__delta_reject(out, "hashRecords[%zu]: %s", i, why);
    }
    return CG_OK;
}

cg_status cg_exchange_parse_stopncii(const char *name, const char *json, size_t len,
                                     cg_exchange_delta *out, cg_stopncii_page *page,
                                     cg_error *err)
{
    const size_t first = out->n_records;
    json_error_t je;
    json_t *root, *records, *more, *token, *next_ts;
    cg_status st = CG_OK;

    memset(page, 0, sizeof(*page));
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return cg__fail(err, CG_E_DECODE, "%s: not JSON (line %d: %s)", name, je.line, je.text);
    records = json_object_get(root, "hashRecords");
    more = json_object_get(root, "hasMoreRecords");
    token = json_object_get(root, "nextPageToken");
    next_ts = json_object_get(root, "nextSetTimestamp");
    if (!json_is_object(root) || !json_is_array(records) || !json_is_boolean(more) ||
        !(token == NULL || json_is_null(token) || json_is_string(token)) ||
        !(next_ts == NULL || json_is_null(next_ts) || json_is_integer(next_ts))) {
        st = cg__fail(err, CG_E_DECODE,
                      "%s: not a FetchHashes page (hashRecords array and hasMoreRecords "
                      "boolean expected; nextPageToken string, nextSetTimestamp integer)",
                      name);
        goto done;
    }
    page->has_more = json_is_true(more);
    page->next_set_timestamp = json_is_integer(next_ts) ? json_integer_value(next_ts) : 0;
    if (json_is_string(token) && json_string_length(token) > 0) {
        if (json_string_length(token) >= CG_EXCHANGE_URL_MAX / 2) {
            st = cg__fail(err, CG_E_DECODE, "%s: nextPageToken longer than %d bytes", name,
                          CG_EXCHANGE_URL_MAX / 2);
            goto done;
        }
        page->next_page_token = cg__strdup(json_string_value(token));
        if (page->next_page_token == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
            goto done;
        }
    }
    if (page->has_more && page->next_page_token == NULL) {
        st = cg__fail(err, CG_E_DECODE, "%s: hasMoreRecords without a nextPageToken", name);
        goto done;
    }
    st = cg__delta_parse_records(name, records, parse_record, out, err);
done:
    if (st != CG_OK) {
        cg__delta_truncate(out, first);
        cg__free(page->next_page_token);
        memset(page, 0, sizeof(*page));
    }
    json_decref(root);
    return st;
}
