/* NCMEC hash-sharing feedback: PUT {base}/v2/entries/{member}/{entry}/{IMAGE|VIDEO}/feedback
 * with HTTP Basic and an XML body, affirmative (a reviewer confirmed the entry matched what it
 * is) or negative with the reason ids NCMEC lists (GET /v2/feedback/reasons):
 *
 *   <feedbackSubmission xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
 *     <affirmative/>  |  <negative><reasonIds><guid>REASON</guid></reasonIds></negative>
 *   </feedbackSubmission>
 *
 * The shape is taken from the public description of the API used by HMA's client; it has not
 * been checked against NCMEC's own documentation (docs/exchange.md says so). Only the member id,
 * the entry id, the entry type and the reason id leave: never content or a reviewer's words. */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "exchange_int.h"

#define NCMEC_DEFAULT_BASE "https://report.cybertip.org/hashsharing"
#define NCMEC_NS "https://hashsharing.ncmec.org/hashsharing/v2"

/* A reason id is inserted into XML as is: only [A-Za-z0-9_.:-] is accepted. */
static int reason_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

cg_status cg__ncmec_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                             cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : NCMEC_DEFAULT_BASE;
    const cg_exchange_record *r = fb->record;
    char url[CG_EXCHANGE_URL_MAX], member[512], entry[512], body[512], auth[1024];
    const char *type;
    cg_http_header hdr[3];
    cg_http_response resp;
    cg_status st;

    if (r == NULL || r->key == NULL || r->member == NULL || r->entry_id == NULL ||
        r->member[0] == '\0' || r->entry_id[0] == '\0')
        return cg__fail(err, CG_E_INVAL, "ncmec: feedback needs an entry with member and id");
    if (strncmp(r->key, "ncmec:image:", 12) == 0)
        type = "IMAGE";
    else if (strncmp(r->key, "ncmec:video:", 12) == 0)
        type = "VIDEO";
    else
        return cg__fail(err, CG_E_INVAL, "ncmec: \"%.80s\" is not an NCMEC image or video key",
                        r->key);
    if (fb->verdict == CG_EXCHANGE_FEEDBACK_CONFIRMED) {
        snprintf(body, sizeof(body),
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                 "<feedbackSubmission xmlns=\"" NCMEC_NS "\"><affirmative/>"
                 "</feedbackSubmission>");
    } else if (fb->verdict == CG_EXCHANGE_FEEDBACK_FALSE_POSITIVE) {
        if (fb->reason == NULL || fb->reason[0] == '\0')
            snprintf(body, sizeof(body),
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                     "<feedbackSubmission xmlns=\"" NCMEC_NS "\"><negative/>"
                     "</feedbackSubmission>");
        else if (reason_ok(fb->reason))
            snprintf(body, sizeof(body),
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                     "<feedbackSubmission xmlns=\"" NCMEC_NS "\"><negative><reasonIds><guid>%s"
                     "</guid></reasonIds></negative></feedbackSubmission>",
                     fb->reason);
        else
            return cg__fail(err, CG_E_INVAL, "ncmec: the feedback reason must be a reason id "
                                             "([A-Za-z0-9_.:-], at most 64)");
    } else {
        return cg__fail(err, CG_E_INVAL, "ncmec: unknown feedback verdict %d", (int)fb->verdict);
    }
    if (cg__url_escape(r->member, member, sizeof(member)) != CG_OK ||
        cg__url_escape(r->entry_id, entry, sizeof(entry)) != CG_OK)
        return cg__fail(err, CG_E_LIMIT, "ncmec: member or entry id too long");
    /* A dot segment would be squashed by the HTTP client and address another resource. */
    if (strcmp(member, ".") == 0 || strcmp(member, "..") == 0 || strcmp(entry, ".") == 0 ||
        strcmp(entry, "..") == 0)
        return cg__fail(err, CG_E_INVAL, "ncmec: member or entry id is a dot segment");
    if (snprintf(url, sizeof(url), "%s/v2/entries/%s/%s/%s/feedback", base, member, entry,
                 type) >= (int)sizeof(url))
        return cg__fail(err, CG_E_LIMIT, "ncmec: feedback URL too long");
    st = cg__http_basic_auth("ncmec", cfg->user, cfg->password, auth, sizeof(auth), err);
    if (st != CG_OK)
        return st;
    hdr[0].name = "Authorization";
    hdr[0].value = auth;
    hdr[1].name = "Content-Type";
    hdr[1].value = "application/xml";
    hdr[2].name = "Accept";
    hdr[2].value = "application/xml";
    st = cg__exchange_send(cfg, "PUT", url, hdr, 3, body, strlen(body), &resp, err);
    memset(auth, 0, sizeof(auth));
    if (st == CG_OK)
        cg_http_response_fini(&resp);
    return st;
}
