/* The ThreatExchange threat_updates page parser (JSON, jansson):
 *
 *   {"data":[{"id":"123","indicator":"<hex>","type":"HASH_PDQ","last_updated":1700000000,
 *     "should_delete":false,"tags":["a"],"descriptors":{"data":[{"owner":{"id":"1"},..}]}}],
 *    "paging":{"next":"https://graph.facebook.com/..."}}
 *
 * A record with should_delete true, or with no descriptors left, is a deletion (the last
 * member that held the indicator removed it). Malformed records are skipped and counted. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

static const char *type_name(const char *te)
{
    if (strcmp(te, "HASH_PDQ") == 0)
        return "pdq";
    if (strcmp(te, "HASH_MD5") == 0)
        return "md5";
    if (strcmp(te, "HASH_SHA256") == 0)
        return "sha256";
    return NULL;
}

static cg_status parse_record(json_t *r, size_t i, cg_exchange_delta *out)
{
    const char *id = json_string_value(json_object_get(r, "id"));
    const char *ind = json_string_value(json_object_get(r, "indicator"));
    const char *type = json_string_value(json_object_get(r, "type"));
    json_t *del = json_object_get(r, "should_delete");
    json_t *desc = json_object_get(json_object_get(r, "descriptors"), "data");
    json_t *updated = json_object_get(r, "last_updated");
    const char *owner = "";
    char key[CG_BANK_FIELD_MAX + 1], lower[CG_BANK_FIELD_MAX + 1], why[CG_ERROR_MAX];
    char tags[CG_BANK_FIELD_MAX + 1] = "";
    cg_exchange_record *rec;
    const char *tn;
    size_t n;
    cg_status st;

    if (!json_is_object(r) || id == NULL || ind == NULL || type == NULL ||
        strlen(id) > 20 || (del != NULL && !json_is_boolean(del))) {
        cg__delta_reject(out, "data[%zu]: not an object with id, indicator and type strings",
                         i);
        return CG_OK;
    }
    /* Graph ids are decimal digits; the id names the indicator in reaction URLs. */
    if (id[0] == '\0' || strspn(id, "0123456789") != strlen(id)) {
        cg__delta_reject(out, "data[%zu]: id \"%.20s\" is not a numeric Graph id", i, id);
        return CG_OK;
    }
    n = strlen(ind);
    if (n == 0 || n >= sizeof(lower)) {
        cg__delta_reject(out, "data[%zu]: indicator of %zu bytes", i, n);
        return CG_OK;
    }
    for (size_t k = 0; k <= n; k++)
        lower[k] = (char)tolower((unsigned char)ind[k]);
    if (json_array_size(desc) > 0) {
        const char *o = json_string_value(json_object_get(
            json_object_get(json_array_get(desc, 0), "owner"), "id"));
        if (o != NULL && strlen(o) <= 64)
            owner = o;
    }
    {
        json_t *tl = json_object_get(r, "tags");
        size_t used = 0;

        for (size_t k = 0; k < json_array_size(tl); k++) {
            const char *t = json_string_value(json_array_get(tl, k));
            int w;

            if (t == NULL)
                continue;
            w = snprintf(tags + used, sizeof(tags) - used, "%s%s", used ? "," : "", t);
            if (w < 0 || (size_t)w >= sizeof(tags) - used) {
                tags[used] = '\0';
                break;
            }
            used += (size_t)w;
        }
    }
    snprintf(key, sizeof(key), "fbte:%s", id);
    st = cg__delta_add(out, key, owner, id, tags, &rec);
    if (st != CG_OK)
        return st;
    rec->deleted = json_is_true(del) || json_array_size(desc) == 0;
    rec->timestamp = json_is_integer(updated) ? (int64_t)json_integer_value(updated) : 0;
    tn = type_name(type);
    if (tn == NULL) {
        rec->n_unsupported++;
        return CG_OK;
    }
    if (cg__record_add_hash(rec, tn, lower, why, sizeof(why)) < 0) {
        cg__delta_truncate(out, out->n_records - 1);
        cg__delta_reject(out, "data[%zu] (id %s): %s", i, id, why);
    }
    return CG_OK;
}

cg_status cg_exchange_parse_threat_updates(const char *name, const char *json, size_t len,
                                           cg_exchange_delta *out, char **next, cg_error *err)
{
    const size_t first = out->n_records;
    json_error_t je;
    json_t *root, *data, *paging, *nx;
    cg_status st = CG_OK;

    *next = NULL;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return cg__fail(err, CG_E_DECODE, "%s: not JSON (line %d: %s)", name, je.line, je.text);
    data = json_object_get(root, "data");
    paging = json_object_get(root, "paging");
    nx = json_object_get(paging, "next");
    if (!json_is_object(root) || !json_is_array(data) ||
        !(paging == NULL || json_is_object(paging)) ||
        !(nx == NULL || json_is_null(nx) || json_is_string(nx))) {
        st = cg__fail(err, CG_E_DECODE,
                      "%s: not a threat_updates page (data array expected; paging.next a "
                      "string)", name);
        goto done;
    }
    if (json_is_string(nx) && json_string_length(nx) > 0) {
        const char *u = json_string_value(nx);

        if (json_string_length(nx) >= CG_EXCHANGE_URL_MAX || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)) {
            st = cg__fail(err, CG_E_DECODE, "%s: paging.next is not an http(s) URL under %d "
                                            "bytes", name, CG_EXCHANGE_URL_MAX);
            goto done;
        }
        *next = cg__strdup(u);
        if (*next == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
            goto done;
        }
    }
    st = cg__delta_parse_records(name, data, parse_record, out, err);
done:
    if (st != CG_OK) {
        cg__delta_truncate(out, first);
        cg__free(*next);
        *next = NULL;
    }
    json_decref(root);
    return st;
}
