/* The StopNCII driver: GET {base}/FetchHashes?startTimestamp=&pageSize=&nextPageToken= with the
 * x-functions-key and Ocp-Apim-Subscription-Key headers; JSON pages (stopncii_parse.c);
 * feedback with POST {base}/SubmitFeedback.
 *
 * A set of pages starts at startTimestamp and is followed with nextPageToken until
 * hasMoreRecords is false; then nextSetTimestamp starts the next set. Malformed pages never
 * stall the exchange (HMA's fetch stays stuck on one forever):
 *   - a malformed record is skipped and counted (the rest of the page applies);
 *   - a malformed page (not JSON, truncated, a broken envelope) is retried: the fetch returns
 *     CG_E_DECODE with a checkpoint counting the attempt, which the caller stores;
 *   - after STOPNCII_ATTEMPTS failures of the same page the page size drops to 1/8 (down to
 *     1) and the attempts start again, isolating the bad record;
 *   - at page size 1, after STOPNCII_ATTEMPTS more failures, the page is skipped: the set
 *     restarts after the newest timestamp read so far plus a span that doubles with each
 *     consecutive skip (1 s, 2 s, 4 s ...), and the error says which seconds may be missing.
 *     A full refetch (an empty checkpoint) reads them again.
 *
 * The checkpoint (JSON): {"start":S,"token":"..","last":S,"attempts":N,"page_size":N,
 * "skip":S}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define STOPNCII_DEFAULT_BASE "https://api.stopncii.org/v1"
#define STOPNCII_PAGE 800
#define STOPNCII_ATTEMPTS 3

typedef struct sn_cp {
    int64_t start, last, attempts, page_size, skip;
    char token[CG_EXCHANGE_URL_MAX / 2];
} sn_cp;

static cg_status cp_read(const cg_exchange_config *cfg, const char *text, sn_cp *cp,
                         cg_error *err)
{
    json_error_t je;
    json_t *o;
    const char *tok;

    memset(cp, 0, sizeof(*cp));
    cp->start = cfg->start_time;
    cp->last = cfg->start_time;
    cp->page_size = cfg->page_size ? (int64_t)cfg->page_size : STOPNCII_PAGE;
    if (text == NULL || text[0] == '\0')
        return CG_OK;
    o = json_loads(text, 0, &je);
    tok = json_string_value(json_object_get(o, "token"));
    if (!json_is_object(o) || !cg__cp_get_int(o, "start", &cp->start) ||
        !cg__cp_get_int(o, "last", &cp->last) || !cg__cp_get_int(o, "attempts", &cp->attempts) ||
        !cg__cp_get_int(o, "page_size", &cp->page_size) || !cg__cp_get_int(o, "skip", &cp->skip) ||
        cp->page_size < 1 || (tok != NULL && strlen(tok) >= sizeof(cp->token))) {
        json_decref(o);
        return cg__fail(err, CG_E_INVAL, "stopncii: malformed checkpoint");
    }
    if (tok != NULL)
        memcpy(cp->token, tok, strlen(tok) + 1);
    json_decref(o);
    return CG_OK;
}

static cg_status cp_write(const sn_cp *cp, cg_exchange_delta *out)
{
    json_t *o = json_pack("{sIsIsIsIsI}", "start", (json_int_t)cp->start, "last",
                          (json_int_t)cp->last, "attempts", (json_int_t)cp->attempts,
                          "page_size", (json_int_t)cp->page_size, "skip", (json_int_t)cp->skip);

    if (o != NULL && cp->token[0] != '\0' &&
        json_object_set_new(o, "token", json_string(cp->token)) != 0) {
        json_decref(o);
        o = NULL;
    }
    return cg__cp_emit(out, o);
}

static cg_status headers_for(const cg_exchange_config *cfg, const char *fn_key,
                             cg_http_header *hdr, cg_error *err)
{
    if (fn_key == NULL || cfg->subscription_key == NULL)
        return cg__fail(err, CG_E_INVAL, "stopncii: api_key (x-functions-key) and "
                                         "subscription_key are needed");
    hdr[0].name = "x-functions-key";
    hdr[0].value = fn_key;
    hdr[1].name = "Ocp-Apim-Subscription-Key";
    hdr[1].value = cfg->subscription_key;
    return CG_OK;
}

/* A page failed to parse: count it, shrink, or skip (see the top of the file). */
static cg_status page_failed(const cg_exchange_config *cfg, sn_cp *cp, cg_exchange_delta *out,
                             cg_status st, cg_error *err)
{
    char reason[CG_ERROR_MAX];

    snprintf(reason, sizeof(reason), "%s", err ? err->message : "malformed page");
    cp->attempts++;
    if (cp->attempts >= STOPNCII_ATTEMPTS && cp->page_size > 1) {
        cp->page_size = cp->page_size / 8 > 1 ? cp->page_size / 8 : 1;
        cp->attempts = 0;
        cg__fail(err, st, "%s (attempt %d; retrying with pages of %lld)", reason,
                 STOPNCII_ATTEMPTS, (long long)cp->page_size);
    } else if (cp->attempts >= STOPNCII_ATTEMPTS) {
        int64_t from = cp->last > cp->start ? cp->last : cp->start;
        int64_t span = cp->skip > 0 ? cp->skip * 2 : 1;

        cp->start = from + span;
        cp->last = cp->start;
        cp->skip = span;
        cp->token[0] = '\0';
        cp->attempts = 0;
        cp->page_size = cfg->page_size ? (int64_t)cfg->page_size : STOPNCII_PAGE;
        cg__fail(err, st, "%s (page skipped after %d attempts: records modified in "
                          "[%lld, %lld) may be missing until a full refetch)",
                 reason, STOPNCII_ATTEMPTS, (long long)from, (long long)cp->start);
    } else {
        cg__fail(err, st, "%s (attempt %lld of %d; the page is asked again)", reason,
                 (long long)cp->attempts, STOPNCII_ATTEMPTS);
    }
    cg__delta_truncate(out, 0);
    if (cp_write(cp, out) != CG_OK)
        return cg__fail(err, CG_E_NOMEM, "stopncii: out of memory");
    return st;
}

static cg_status sn_fetch(const cg_exchange_config *cfg, const char *checkpoint,
                          cg_exchange_delta *out, cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : STOPNCII_DEFAULT_BASE;
    char url[CG_EXCHANGE_URL_MAX + 512], tok[CG_EXCHANGE_URL_MAX + 16];
    cg_http_header hdr[2];
    cg_http_response resp;
    cg_stopncii_page page;
    sn_cp cp;
    cg_status st;

    st = cp_read(cfg, checkpoint, &cp, err);
    if (st == CG_OK)
        st = headers_for(cfg, cfg->api_key, hdr, err);
    if (st != CG_OK)
        return st;
    tok[0] = '\0';
    if (cp.token[0] != '\0') {
        memcpy(tok, "&nextPageToken=", 15);
        if (cg__url_escape(cp.token, tok + 15, sizeof(tok) - 15) != CG_OK)
            return cg__fail(err, CG_E_LIMIT, "stopncii: nextPageToken too long");
    }
    snprintf(url, sizeof(url), "%s/FetchHashes?startTimestamp=%lld&pageSize=%lld%s", base,
             (long long)cp.start, (long long)cp.page_size, tok);
    st = cg__exchange_send(cfg, "GET", url, hdr, 2, NULL, 0, &resp, err);
    if (st == CG_E_DECODE) /* a truncated body */
        return page_failed(cfg, &cp, out, st, err);
    if (st != CG_OK)
        return st;
    st = cg_exchange_parse_stopncii(url, resp.body, resp.body_len, out, &page, err);
    cg_http_response_fini(&resp);
    if (st == CG_E_DECODE)
        return page_failed(cfg, &cp, out, st, err);
    if (st != CG_OK)
        return st;
    if (page.next_page_token != NULL && strlen(page.next_page_token) >= sizeof(cp.token)) {
        cg__free(page.next_page_token);
        return page_failed(cfg, &cp, out,
                           cg__fail(err, CG_E_DECODE, "%s: nextPageToken too long", url), err);
    }
    for (size_t i = 0; i < out->n_records; i++)
        if (out->records[i].timestamp > cp.last)
            cp.last = out->records[i].timestamp;
    cp.attempts = 0;
    cp.skip = 0;
    if (page.has_more) {
        memcpy(cp.token, page.next_page_token, strlen(page.next_page_token) + 1);
        out->more = 1;
    } else {
        cp.token[0] = '\0';
        if (page.next_set_timestamp > cp.start)
            cp.start = page.next_set_timestamp;
        cp.last = cp.start;
        cp.page_size = cfg->page_size ? (int64_t)cfg->page_size : STOPNCII_PAGE;
        out->more = 0;
    }
    cg__free(page.next_page_token);
    st = cp_write(&cp, out);
    return st == CG_OK ? CG_OK : cg__fail(err, st, "stopncii: out of memory");
}

/* StopNCII's name for our signal type. */
static const char *sn_type(const cg_signal_type *t)
{
    if (t != NULL && strcmp(t->name, "pdq") == 0)
        return "ImagePDQ";
    if (t != NULL && strcmp(t->name, "md5") == 0)
        return "VideoMD5";
    return NULL;
}

static cg_status sn_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                             cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : STOPNCII_DEFAULT_BASE;
    const char *key = cfg->feedback_key ? cfg->feedback_key : cfg->api_key;
    const cg_exchange_record *r = fb->record;
    char url[CG_EXCHANGE_URL_MAX], hex[2 * CG_SIGNAL_MAX_BYTES + 1];
    cg_http_header hdr[3];
    cg_http_response resp;
    json_t *body, *items;
    char *text;
    cg_status st;

    st = headers_for(cfg, key, hdr, err);
    if (st != CG_OK)
        return st;
    hdr[2].name = "Content-Type";
    hdr[2].value = "application/json";
    if (r == NULL || r->n_hashes == 0 || sn_type(r->hashes[0].type) == NULL)
        return cg__fail(err, CG_E_INVAL, "stopncii: feedback needs a record with a pdq or md5 "
                                         "hash");
    items = json_array();
    for (size_t i = 0; i < r->n_hashes; i++) {
        if (sn_type(r->hashes[i].type) == NULL)
            continue;
        r->hashes[i].type->format(r->hashes[i].value, hex);
        json_array_append_new(
            items, json_pack("{sssss[]}", "hashValue", hex, "feedbackValue",
                             fb->verdict == CG_EXCHANGE_FEEDBACK_CONFIRMED ? "Blocked"
                                                                           : "NotBlocked",
                             "tags"));
    }
    body = json_pack("{sIso}", "count", (json_int_t)json_array_size(items), "hashFeedbacks",
                     items);
    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return cg__fail(err, CG_E_NOMEM, "stopncii: out of memory");
    snprintf(url, sizeof(url), "%s/SubmitFeedback", base);
    st = cg__exchange_send(cfg, "POST", url, hdr, 3, text, strlen(text), &resp, err);
    free(text);
    if (st == CG_OK)
        cg_http_response_fini(&resp);
    return st;
}

static int sn_stale(const char *checkpoint, int64_t now)
{
    (void)checkpoint;
    (void)now;
    return 0; /* a set restarts from its timestamp; tokens are not kept across sets */
}

const cg_exchange_driver cg__exchange_stopncii = {"stopncii", sn_fetch, sn_feedback, sn_stale};
