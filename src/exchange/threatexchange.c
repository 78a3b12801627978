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

/* ---- reactions (feedback) ---------------------------------------------------------------
 *
 * ThreatExchange takes opinions as reactions on descriptors, not on indicators: each member
 * that shared an indicator owns one descriptor of it. As HMA's reaction writebacker does, the
 * indicator's current descriptors are read at delivery (GET {base}/{indicator}?fields=
 * descriptors: the set changes as members add or retract theirs, so ids kept from the fetch
 * could be stale) and every descriptor another app owns gets the reaction: POST
 * {base}/{descriptor} with reactions=SAW_THIS_TOO (confirmed: HMA's "seen" writeback) or
 * DISAGREE_WITH_TAGS (false positive: HMA's false-positive writeback). Our own descriptors are
 * skipped (ThreatExchange refuses reactions to them); the app id is the access token's part
 * before '|'. A reaction is a set member on ThreatExchange's side, so sending one again after
 * a partial failure changes nothing. */

#define TE_MAX_DESCRIPTORS 64
#define TE_ID_MAX 20

/* Graph ids are decimal digits. */
static int graph_id_ok(const char *s)
{
    const size_t n = s != NULL ? strlen(s) : 0;

    return n > 0 && n <= TE_ID_MAX && strspn(s, "0123456789") == n;
}

typedef struct te_targets {
    char id[TE_MAX_DESCRIPTORS][TE_ID_MAX + 1];
    size_t n;
} te_targets;

/* Reads the descriptors of a GET {indicator}?fields=descriptors answer into t, leaving out
 * those app_id owns. */
static cg_status te_descriptors(const char *url, const char *body, size_t len,
                                const char *app_id, te_targets *t, cg_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    json_t *data = json_object_get(json_object_get(root, "descriptors"), "data");
    cg_status st = CG_OK;

    t->n = 0;
    if (!json_is_array(data)) {
        st = cg__fail(err, CG_E_DECODE, "%s: not an indicator with descriptors.data", url);
        goto done;
    }
    if (json_array_size(data) > TE_MAX_DESCRIPTORS) {
        st = cg__fail(err, CG_E_INVAL, "%s: the indicator lists %zu descriptors (at most %d "
                                       "are reacted to): none sent", url, json_array_size(data),
                      TE_MAX_DESCRIPTORS);
        goto done;
    }
    for (size_t i = 0; i < json_array_size(data); i++) {
        json_t *d = json_array_get(data, i);
        const char *id = json_string_value(json_object_get(d, "id"));
        const char *owner = json_string_value(json_object_get(json_object_get(d, "owner"), "id"));

        if (!graph_id_ok(id) || !graph_id_ok(owner)) {
            st = cg__fail(err, CG_E_DECODE, "%s: descriptors.data[%zu]: id and owner.id must be "
                                            "numeric Graph ids", url, i);
            goto done;
        }
        if (app_id[0] != '\0' && strcmp(owner, app_id) == 0)
            continue;
        memcpy(t->id[t->n++], id, strlen(id) + 1);
    }
    if (t->n == 0)
        st = cg__fail(err, CG_E_INVAL, "%s: no descriptor of another member to react to", url);
done:
    json_decref(root);
    return st;
}

static cg_status te_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                             cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : TE_DEFAULT_BASE;
    const cg_exchange_record *r = fb->record;
    const char *reaction;
    char url[CG_EXCHANGE_URL_MAX], auth[1024], app_id[TE_ID_MAX + 1] = "", body[64];
    cg_http_header hdr[2];
    cg_http_response resp;
    te_targets *t = NULL;
    cg_status st;

    if (r == NULL || r->key == NULL || strncmp(r->key, "fbte:", 5) != 0 ||
        !graph_id_ok(r->entry_id))
        return cg__fail(err, CG_E_INVAL, "fb_threatexchange: a reaction needs an fbte: entry "
                                         "whose id is a numeric indicator id");
    if (fb->verdict == CG_EXCHANGE_FEEDBACK_CONFIRMED)
        reaction = "SAW_THIS_TOO";
    else if (fb->verdict == CG_EXCHANGE_FEEDBACK_FALSE_POSITIVE)
        reaction = "DISAGREE_WITH_TAGS";
    else
        return cg__fail(err, CG_E_INVAL, "fb_threatexchange: unknown feedback verdict %d",
                        (int)fb->verdict);
    if (cfg->api_key == NULL || cfg->api_key[0] == '\0')
        return cg__fail(err, CG_E_INVAL, "fb_threatexchange: api_key (the access token) is "
                                         "needed");
    if (snprintf(auth, sizeof(auth), "OAuth %s", cfg->api_key) >= (int)sizeof(auth))
        return cg__fail(err, CG_E_LIMIT, "fb_threatexchange: access token too long");
    {
        const char *bar = strchr(cfg->api_key, '|');
        const size_t n = bar != NULL ? (size_t)(bar - cfg->api_key) : 0;

        if (n > 0 && n <= TE_ID_MAX && strspn(cfg->api_key, "0123456789") == n)
            memcpy(app_id, cfg->api_key, n);
    }
    hdr[0].name = "Authorization";
    hdr[0].value = auth;
    hdr[1].name = "Content-Type";
    hdr[1].value = "application/x-www-form-urlencoded";
    t = cg__malloc(sizeof(*t));
    if (t == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "fb_threatexchange: out of memory");
        goto done;
    }
    snprintf(url, sizeof(url), "%s/%s?fields=descriptors", base, r->entry_id);
    st = cg__exchange_send(cfg, "GET", url, hdr, 1, NULL, 0, &resp, err);
    if (st != CG_OK)
        goto done;
    st = te_descriptors(url, resp.body, resp.body_len, app_id, t, err);
    cg_http_response_fini(&resp);
    snprintf(body, sizeof(body), "reactions=%s", reaction);
    for (size_t i = 0; i < t->n && st == CG_OK; i++) {
        json_t *o;

        snprintf(url, sizeof(url), "%s/%s", base, t->id[i]);
        st = cg__exchange_send(cfg, "POST", url, hdr, 2, body, strlen(body), &resp, err);
        if (st != CG_OK)
            break;
        o = json_loadb(resp.body, resp.body_len, 0, NULL);
        if (json_is_false(json_object_get(o, "success")))
            st = cg__fail(err, CG_E_BACKEND, "%s: the reaction %s was not accepted "
                                             "(\"success\": false)", url, reaction);
        json_decref(o);
        cg_http_response_fini(&resp);
    }
done:
    memset(auth, 0, sizeof(auth));
    cg__free(t);
    return st;
}

const cg_exchange_driver cg__exchange_threatexchange = {"fb_threatexchange", te_fetch,
                                                        te_feedback, te_stale};
