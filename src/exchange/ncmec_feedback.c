/* NCMEC hash-sharing feedback: PUT {base}/v2/entries/{our member id}/{entry id}/{FINGERPRINT}/
 * feedback with HTTP Basic and an XML body, affirmative (a reviewer confirmed the entry matched
 * what it is) or negative with one of the reason ids NCMEC lists per fingerprint type
 * (GET /v2/feedback/{FINGERPRINT}/reasons):
 *
 *   <feedbackSubmission xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
 *     <affirmative/>  |  <negative><reasonIds><guid>REASON</guid></reasonIds></negative>
 *   </feedbackSubmission>
 *
 * Checked against python-threatexchange's NCMEC client (clients/ncmec/hash_api.py,
 * submit_feedback) and its test fixtures (AFFIRMATIVE_FEEDBACK_XML, NEGATIVE_FEEDBACK_XML):
 * feedback is given on one FINGERPRINT of an entry (MD5, PDQ, ...: the hash that matched), the
 * path names the member id of the account giving it (read from GET /v2/status, "who you
 * are"), and a negative must carry a reason id NCMEC lists for that fingerprint type: the list
 * is read before each negative PUT and the row's id checked against it (an unknown id is given
 * up, naming the accepted ones; without an id, the exchange's default (cfg->negative_reason),
 * checked the same way, else the only one listed, as that client does). NCMEC's own
 * documentation (a PDF behind the login) was not read: docs/exchange.md says so. Only our
 * member id, the entry id, the fingerprint type and the reason id leave: never content or a
 * reviewer's words. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define NCMEC_DEFAULT_BASE "https://report.cybertip.org/hashsharing"
#define NCMEC_NS "https://hashsharing.ncmec.org/hashsharing/v2"
#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feedbackSubmission xmlns=\"" NCMEC_NS "\">"

/* NCMEC's fingerprint type for the matched hash (NCMECFeedbackType in python-threatexchange). */
static const char *fingerprint_type(const cg_exchange_record *r)
{
    if (r->n_hashes == 0 || r->hashes[0].type == NULL)
        return NULL;
    if (strcmp(r->hashes[0].type->name, "md5") == 0)
        return "MD5";
    if (strcmp(r->hashes[0].type->name, "pdq") == 0)
        return "PDQ";
    return NULL;
}

/* Our own member id: GET {base}/v2/status. */
static cg_status own_member(const cg_exchange_config *cfg, const char *base,
                            const cg_http_header *auth, char *member, size_t cap, cg_error *err)
{
    char url[CG_EXCHANGE_URL_MAX];
    cg_http_response resp;
    cg_status st;

    if (snprintf(url, sizeof(url), "%s/v2/status", base) >= (int)sizeof(url))
        return cg__fail(err, CG_E_LIMIT, "ncmec: base URL too long");
    st = cg__exchange_send(cfg, "GET", url, auth, 1, NULL, 0, &resp, err);
    if (st != CG_OK)
        return st;
    st = cg__ncmec_parse_status(url, resp.body, resp.body_len, member, cap, err);
    cg_http_response_fini(&resp);
    return st;
}

/* HTTP Basic with cfg's credentials into auth (cap), and hdr[0..1] = Authorization, Accept XML.
 * The caller wipes auth. */
static cg_status basic_headers(const cg_exchange_config *cfg, char *auth, size_t cap,
                               cg_http_header *hdr, cg_error *err)
{
    cg_status st = cg__http_basic_auth("ncmec", cfg->user, cfg->password, auth, cap, err);

    hdr[0].name = "Authorization";
    hdr[0].value = auth;
    hdr[1].name = "Accept";
    hdr[1].value = "application/xml";
    return st;
}

/* GET {base}/v2/feedback/{type}/reasons into out (CG_NCMEC_REASONS_MAX), *n how many. */
static cg_status fetch_reasons(const cg_exchange_config *cfg, const char *base,
                               const cg_http_header *auth, const char *type,
                               cg_ncmec_reason *out, size_t *n, cg_error *err)
{
    char url[CG_EXCHANGE_URL_MAX];
    cg_http_response resp;
    cg_status st;

    if (snprintf(url, sizeof(url), "%s/v2/feedback/%s/reasons", base, type) >= (int)sizeof(url))
        return cg__fail(err, CG_E_LIMIT, "ncmec: base URL too long");
    st = cg__exchange_send(cfg, "GET", url, auth, 1, NULL, 0, &resp, err);
    if (st != CG_OK)
        return st;
    st = cg__ncmec_parse_reasons(url, resp.body, resp.body_len, out, CG_NCMEC_REASONS_MAX, n,
                                 err);
    cg_http_response_fini(&resp);
    return st;
}

/* Lists the accepted ids "a (name), b (name)" into buf (cut to cap). */
static void list_ids(const cg_ncmec_reason *r, size_t n, char *buf, size_t cap)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s (%.60s)", i ? ", " : "", r[i].guid,
                         r[i].name);

        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The reason id of a negative: the row's, else the exchange's default (cfg->negative_reason),
 * which must be one NCMEC lists for the fingerprint type (read now: the list may change), or,
 * without either, the only reason NCMEC lists (as python-threatexchange's client chooses it).
 * CG_E_INVAL, given up, otherwise: the message names the accepted ids (and, for the default,
 * the setting to change). The list's own errors (no answer, malformed) are retried. */
static cg_status choose_reason(const cg_exchange_config *cfg, const char *base,
                               const cg_http_header *auth, const char *type, const char *row,
                               char *out, size_t cap, cg_error *err)
{
    const int by_default = (row == NULL || row[0] == '\0') && cfg->negative_reason != NULL &&
                           cfg->negative_reason[0] != '\0';
    const char *given = by_default ? cfg->negative_reason : row;
    cg_ncmec_reason *r = cg__calloc(CG_NCMEC_REASONS_MAX, sizeof(*r));
    char ids[400];
    size_t n = 0;
    cg_status st;

    if (r == NULL)
        return cg__fail(err, CG_E_NOMEM, "ncmec: out of memory");
    st = fetch_reasons(cfg, base, auth, type, r, &n, err);
    if (st != CG_OK)
        goto out;
    list_ids(r, n, ids, sizeof(ids));
    if (given == NULL || given[0] == '\0') {
        if (n == 1)
            snprintf(out, cap, "%s", r[0].guid);
        else
            st = cg__fail(err, CG_E_INVAL,
                          "ncmec: a negative needs a reason id (--reason ID, or the exchange's "
                          "api_json negative_reason): NCMEC accepts %zu for %s (%s)", n, type,
                          n ? ids : "none");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].guid, given) == 0) {
            snprintf(out, cap, "%s", given);
            goto out;
        }
    /* The default's message is short: the accepted ids must fit in one cg_error line. */
    if (by_default)
        st = cg__fail(err, CG_E_INVAL, "ncmec: api_json negative_reason %s is not one NCMEC "
                      "lists for %s (accepted: %s)", given, type, n ? ids : "none");
    else
        st = cg__fail(err, CG_E_INVAL, "ncmec: reason id %s is not one NCMEC accepts for %s "
                      "feedback (accepted: %s)", given, type, n ? ids : "none");
out:
    cg__free(r);
    return st;
}

cg_status cg_exchange_ncmec_reasons(const cg_exchange_config *cfg, const char *fingerprint,
                                    cg_ncmec_reason *out, size_t cap, size_t *count,
                                    cg_error *err)
{
    cg_ncmec_reason *r;
    char auth[1024];
    cg_http_header hdr[2];
    size_t n = 0;
    cg_status st;

    if (count != NULL)
        *count = 0;
    if (cfg == NULL || fingerprint == NULL || count == NULL || (out == NULL && cap > 0))
        return cg__fail(err, CG_E_INVAL, "cg_exchange_ncmec_reasons: NULL argument");
    if (strcmp(fingerprint, "MD5") != 0 && strcmp(fingerprint, "PDQ") != 0)
        return cg__fail(err, CG_E_INVAL, "ncmec: feedback reasons are read for MD5 or PDQ, "
                        "not \"%.20s\"", fingerprint);
    st = basic_headers(cfg, auth, sizeof(auth), hdr, err);
    if (st != CG_OK)
        return st;
    r = cg__calloc(CG_NCMEC_REASONS_MAX, sizeof(*r));
    if (r == NULL)
        st = cg__fail(err, CG_E_NOMEM, "ncmec: out of memory");
    else
        st = fetch_reasons(cfg, cfg->base_url ? cfg->base_url : NCMEC_DEFAULT_BASE, hdr,
                           fingerprint, r, &n, err);
    memset(auth, 0, sizeof(auth));
    if (st == CG_OK) {
        if (cap > 0)
            memcpy(out, r, (n < cap ? n : cap) * sizeof(*r));
        *count = n;
    }
    cg__free(r);
    return st;
}

cg_status cg__ncmec_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                             cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : NCMEC_DEFAULT_BASE;
    const cg_exchange_record *r = fb->record;
    char url[CG_EXCHANGE_URL_MAX], member[64], entry[512], body[512], auth[1024], reason[65];
    const char *type;
    cg_http_header hdr[3];
    cg_http_response resp;
    cg_status st;

    if (r == NULL || r->key == NULL || r->entry_id == NULL || r->entry_id[0] == '\0')
        return cg__fail(err, CG_E_INVAL, "ncmec: feedback needs an entry with an id");
    if (strncmp(r->key, "ncmec:image:", 12) != 0 && strncmp(r->key, "ncmec:video:", 12) != 0)
        return cg__fail(err, CG_E_INVAL, "ncmec: \"%.80s\" is not an NCMEC image or video key",
                        r->key);
    type = fingerprint_type(r);
    if (type == NULL)
        return cg__fail(err, CG_E_INVAL, "ncmec: feedback is given on an MD5 or PDQ "
                                         "fingerprint; the row holds none");
    if (fb->verdict == CG_EXCHANGE_FEEDBACK_CONFIRMED) {
        snprintf(body, sizeof(body), XML_HEAD "<affirmative/></feedbackSubmission>");
    } else if (fb->verdict == CG_EXCHANGE_FEEDBACK_FALSE_POSITIVE) {
        /* The reason is chosen against NCMEC's list below, once the credentials are set. */
        /* A reason id is inserted into XML as is: only [A-Za-z0-9_.:-] is accepted. */
        if (!cg_exchange_feedback_reason_valid(fb->reason))
            return cg__fail(err, CG_E_INVAL, "ncmec: the feedback reason must be a reason id "
                                             "([A-Za-z0-9_.:-], at most 64)");
        if (!cg_exchange_feedback_reason_valid(cfg->negative_reason))
            return cg__fail(err, CG_E_INVAL, "ncmec: the exchange's default negative reason "
                                             "(api_json negative_reason) must be a reason id "
                                             "([A-Za-z0-9_.:-], at most 64)");
        body[0] = '\0';
    } else {
        return cg__fail(err, CG_E_INVAL, "ncmec: unknown feedback verdict %d", (int)fb->verdict);
    }
    if (cg__url_escape(r->entry_id, entry, sizeof(entry)) != CG_OK)
        return cg__fail(err, CG_E_LIMIT, "ncmec: entry id too long");
    /* A dot segment would be squashed by the HTTP client and address another resource. */
    if (strcmp(entry, ".") == 0 || strcmp(entry, "..") == 0)
        return cg__fail(err, CG_E_INVAL, "ncmec: the entry id is a dot segment");
    st = basic_headers(cfg, auth, sizeof(auth), hdr, err);
    if (st != CG_OK)
        return st;
    hdr[2].name = "Content-Type";
    hdr[2].value = "application/xml";
    if (body[0] == '\0') { /* a negative: its reason checked against NCMEC's list */
        st = choose_reason(cfg, base, hdr, type, fb->reason, reason, sizeof(reason), err);
        if (st != CG_OK) {
            memset(auth, 0, sizeof(auth));
            return st;
        }
        snprintf(body, sizeof(body),
                 XML_HEAD "<negative><reasonIds><guid>%s</guid></reasonIds></negative>"
                          "</feedbackSubmission>",
                 reason);
    }
    st = own_member(cfg, base, hdr, member, sizeof(member), err);
    if (st == CG_OK && snprintf(url, sizeof(url), "%s/v2/entries/%s/%s/%s/feedback", base,
                                member, entry, type) >= (int)sizeof(url))
        st = cg__fail(err, CG_E_LIMIT, "ncmec: feedback URL too long");
    if (st == CG_OK)
        st = cg__exchange_send(cfg, "PUT", url, hdr, 3, body, strlen(body), &resp, err);
    memset(auth, 0, sizeof(auth));
    if (st == CG_OK)
        cg_http_response_fini(&resp);
    return st;
}
