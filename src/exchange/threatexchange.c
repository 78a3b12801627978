/* The Meta ThreatExchange driver: GET {base}/{privacy group}/threat_updates/?start_time=&
 * stop_time=&limit=&fields= with the access token in an Authorization header, JSON pages
 * (threat_updates_parse.c) followed through paging.next.
 *
 * A run reads every update from "since" to the run's stop time; when its last page is read,
 * since becomes that stop time. ThreatExchange keeps deletions for 90 days, so a checkpoint
 * older than 85 days cannot be resumed (deletions may have been forgotten): the next fetch
 * starts over from the beginning and says so (checkpoint_reset). The next links carry the
 * access token; it is stripped before a link is stored, so no credential sits in a
 * checkpoint, and it is sent as a header instead.
 *
 * The checkpoint (JSON): {"since":S,"stop":S,"next":"https://..","at":S}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define TE_DEFAULT_BASE "https://graph.facebook.com/v18.0"
#define TE_PAGE 500
#define TE_STALE (85 * 24 * 3600)
#define TE_FIELDS "id,indicator,type,last_updated,should_delete,tags,descriptors"

typedef struct te_cp {
    int64_t since, stop, at;
    char next[CG_EXCHANGE_URL_MAX];
} te_cp;

static cg_status cp_read(const char *text, int64_t start, te_cp *cp, cg_error *err)
{
    json_error_t je;
    json_t *o;
    const char *next;

    memset(cp, 0, sizeof(*cp));
    cp->since = start;
    if (text == NULL || text[0] == '\0')
        return CG_OK;
    o = json_loads(text, 0, &je);
    next = json_string_value(json_object_get(o, "next"));
    if (!json_is_object(o) || !cg__cp_get_int(o, "since", &cp->since) ||
        !cg__cp_get_int(o, "stop", &cp->stop) || !cg__cp_get_int(o, "at", &cp->at) ||
        (next != NULL && strlen(next) >= sizeof(cp->next))) {
        json_decref(o);
        return cg__fail(err, CG_E_INVAL, "fb_threatexchange: malformed checkpoint");
    }
    if (next != NULL)
        memcpy(cp->next, next, strlen(next) + 1);
    json_decref(o);
    return CG_OK;
}

static cg_status cp_write(const te_cp *cp, cg_exchange_delta *out)
{
    json_t *o = json_pack("{sIsIsI}", "since", (json_int_t)cp->since, "stop",
                          (json_int_t)cp->stop, "at", (json_int_t)cp->at);

    if (o != NULL && cp->next[0] != '\0' && json_object_set_new(o, "next", json_string(cp->next)) != 0) {
        json_decref(o);
        o = NULL;
    }
    return cg__cp_emit(out, o);
}

/* Removes the access_token parameter from url's query (in place). */
static void strip_token(char *url)
{
    char *q = strchr(url, '?');
    char *w, *p;

    if (q == NULL)
        return;
    w = p = q + 1;
    while (*p != '\0') {
        char *end = strchr(p, '&');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

        if (strncmp(p, "access_token=", 13) != 0) {
            if (w != q + 1)
                *w++ = '&';
            memmove(w, p, n);
            w += n;
        }
        p += n;
        if (*p == '&')
            p++;
    }
    *w = '\0';
}

static int te_stale(const char *checkpoint, int64_t now)
{
    te_cp cp;

    if (checkpoint == NULL || checkpoint[0] == '\0' || cp_read(checkpoint, 0, &cp, NULL) != CG_OK)
        return 0;
    return cp.since > 0 && now - cp.since > TE_STALE;
}

static cg_status te_fetch(const cg_exchange_config *cfg, const char *checkpoint,
                          cg_exchange_delta *out, cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : TE_DEFAULT_BASE;
    const int64_t now = cg__exchange_now(cfg);
    char url[CG_EXCHANGE_URL_MAX + 512], group[256], auth[1024];
    char *next = NULL;
    cg_http_header hdr[1];
    cg_http_response resp;
    te_cp cp;
    cg_status st;

    if (cfg->api_key == NULL || cfg->collab == NULL)
        return cg__fail(err, CG_E_INVAL, "fb_threatexchange: api_key (the access token) and "
                                         "collab (the privacy group) are needed");
    st = cp_read(checkpoint, cfg->start_time, &cp, err);
    if (st != CG_OK)
        return st;
    if (te_stale(checkpoint, now)) {
        memset(&cp, 0, sizeof(cp));
        out->checkpoint_reset = 1;
    }
    if (snprintf(auth, sizeof(auth), "OAuth %s", cfg->api_key) >= (int)sizeof(auth) ||
        cg__url_escape(cfg->collab, group, sizeof(group)) != CG_OK)
        return cg__fail(err, CG_E_LIMIT, "fb_threatexchange: access token or collab too long");
    hdr[0].name = "Authorization";
    hdr[0].value = auth;
    if (cp.next[0] != '\0') {
        snprintf(url, sizeof(url), "%s", cp.next);
    } else {
        cp.stop = now;
        snprintf(url, sizeof(url),
                 "%s/%s/threat_updates/?start_time=%lld&stop_time=%lld&limit=%zu&fields=%s",
                 base, group, (long long)cp.since, (long long)cp.stop,
                 cfg->page_size ? cfg->page_size : (size_t)TE_PAGE, TE_FIELDS);
    }
    st = cg__exchange_send(cfg, "GET", url, hdr, 1, NULL, 0, &resp, err);
    memset(auth, 0, sizeof(auth));
    if (st != CG_OK)
        return st;
    st = cg_exchange_parse_threat_updates(url, resp.body, resp.body_len, out, &next, err);
    cg_http_response_fini(&resp);
    if (st != CG_OK) {
        cg_status w = cp_write(&cp, out); /* unchanged: the page is asked again */
        return w == CG_OK ? st : cg__fail(err, w, "fb_threatexchange: out of memory");
    }
    if (next != NULL) {
        size_t bl = strlen(base);

        if (strncmp(next, base, bl) != 0 || (next[bl] != '/' && next[bl] != '?')) {
            cg__delta_truncate(out, 0);
            st = cg__fail(err, CG_E_DECODE, "%s: paging.next \"%.80s\" leaves %s", url, next,
                          base);
            cg__free(next);
            /* The checkpoint unchanged: the page is asked again (and refused again, visibly). */
            return cp_write(&cp, out) == CG_OK
                       ? st
                       : cg__fail(err, CG_E_NOMEM, "fb_threatexchange: out of memory");
        }
        strip_token(next);
        snprintf(cp.next, sizeof(cp.next), "%s", next);
        cg__free(next);
        out->more = 1;
    } else {
        cp.since = cp.stop;
        cp.next[0] = '\0';
        out->more = 0;
    }
    cp.at = now;
    st = cp_write(&cp, out);
    return st == CG_OK ? CG_OK : cg__fail(err, st, "fb_threatexchange: out of memory");
}

static cg_status te_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                             cg_error *err)
{
    (void)cfg;
    (void)fb;
    return cg__fail(err, CG_E_UNSUPPORTED,
                    "fb_threatexchange: reactions are not built yet (docs/exchange.md)");
}

const cg_exchange_driver cg__exchange_threatexchange = {"fb_threatexchange", te_fetch,
                                                        te_feedback, te_stale};
