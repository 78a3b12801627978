/* The NCMEC hash-sharing driver: GET {base}/v2/entries?from=&to= with HTTP Basic, XML pages
 * (ncmec_parse.c), paging/next links.
 *
 * NCMEC returns a time window's entries in no particular time order, so the checkpoint never
 * moves past a window until every page of it was read: "done" is the end of the last window
 * read completely, and only then does the next window start. A window whose first page says it
 * holds more than NCMEC_WINDOW_MAX entries is halved (its page dropped, the halves read one
 * after the other); a window read quickly doubles again, up to NCMEC_WINDOW_LONGEST. A window
 * in progress resumes with the stored next link while it is valid (12 hours, for the same
 * from/to); after that the window is read again from its start (entries already applied are
 * merged again, nothing is lost). So "up to date" (more = 0) is reported only when done has
 * reached the present: history is never silently skipped.
 *
 * The checkpoint (JSON): {"done":S,"window":S,"from":S,"to":S,"next":"/v2/..","next_at":S}
 * (from/to/next only while a window is in progress). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define NCMEC_DEFAULT_BASE "https://report.cybertip.org/hashsharing"
#define NCMEC_WINDOW_FIRST (24 * 3600)       /* the first window: a day */
#define NCMEC_WINDOW_LONGEST (30 * 24 * 3600)
#define NCMEC_WINDOW_MAX 20000               /* entries in one window before it is halved */
#define NCMEC_NEXT_VALID (12 * 3600)         /* how long a next link stays usable */

typedef struct ncmec_cp {
    int64_t done, window, from, to, next_at;
    char next[CG_EXCHANGE_URL_MAX];
} ncmec_cp;

/* Reads a stored checkpoint; an empty one starts at start. CG_E_INVAL when malformed. */
static cg_status cp_read(const char *text, int64_t start, ncmec_cp *cp, cg_error *err)
{
    json_error_t je;
    json_t *o;
    const char *next;

    memset(cp, 0, sizeof(*cp));
    cp->done = start;
    cp->window = NCMEC_WINDOW_FIRST;
    if (text == NULL || text[0] == '\0')
        return CG_OK;
    o = json_loads(text, 0, &je);
    next = json_string_value(json_object_get(o, "next"));
    if (!json_is_object(o) || !cg__cp_get_int(o, "done", &cp->done) ||
        !cg__cp_get_int(o, "window", &cp->window) || !cg__cp_get_int(o, "from", &cp->from) ||
        !cg__cp_get_int(o, "to", &cp->to) || !cg__cp_get_int(o, "next_at", &cp->next_at) || cp->window < 1 ||
        (next != NULL && (next[0] != '/' || strlen(next) >= sizeof(cp->next)))) {
        json_decref(o);
        return cg__fail(err, CG_E_INVAL, "ncmec: malformed checkpoint");
    }
    if (next != NULL)
        memcpy(cp->next, next, strlen(next) + 1);
    json_decref(o);
    return CG_OK;
}

static cg_status cp_write(const ncmec_cp *cp, cg_exchange_delta *out)
{
    json_t *o = json_pack("{sIsI}", "done", (json_int_t)cp->done, "window",
                          (json_int_t)cp->window);

    if (o != NULL && cp->next[0] != '\0' &&
        (json_object_set_new(o, "from", json_integer(cp->from)) != 0 ||
         json_object_set_new(o, "to", json_integer(cp->to)) != 0 ||
         json_object_set_new(o, "next", json_string(cp->next)) != 0 ||
         json_object_set_new(o, "next_at", json_integer(cp->next_at)) != 0)) {
        json_decref(o);
        o = NULL;
    }
    return cg__cp_emit(out, o);
}

static cg_status ncmec_fetch(const cg_exchange_config *cfg, const char *checkpoint,
                             cg_exchange_delta *out, cg_error *err)
{
    const char *base = cfg->base_url ? cfg->base_url : NCMEC_DEFAULT_BASE;
    const int64_t now = cg__exchange_now(cfg);
    char url[CG_EXCHANGE_URL_MAX + 512], f[32], t[32], auth[1024];
    char *userpass = NULL, *next = NULL;
    cg_http_header hdr[2];
    cg_http_response resp;
    uint64_t in_range = 0;
    ncmec_cp cp;
    int first_page;
    cg_status st;

    st = cp_read(checkpoint, cfg->start_time, &cp, err);
    if (st != CG_OK)
        return st;
    if (cfg->user == NULL || cfg->password == NULL)
        return cg__fail(err, CG_E_INVAL, "ncmec: user and password are needed");
    if (cp.next[0] != '\0' && now - cp.next_at > NCMEC_NEXT_VALID) {
        /* The link expired: read the window again from its start. */
        cp.next[0] = '\0';
        cp.done = cp.from;
        cp.window = cp.to - cp.from > 0 ? cp.to - cp.from : 1;
    }
    first_page = cp.next[0] == '\0';
    if (first_page) {
        if (cp.done >= now) {
            out->more = 0;
            return cp_write(&cp, out) == CG_OK ? CG_OK
                                               : cg__fail(err, CG_E_NOMEM, "ncmec: out of memory");
        }
        cp.from = cp.done;
        cp.to = cp.from + cp.window < now ? cp.from + cp.window : now;
        cg__exchange_format_time(cp.from, f, sizeof(f));
        cg__exchange_format_time(cp.to, t, sizeof(t));
        snprintf(url, sizeof(url), "%s/v2/entries?from=%s&to=%s", base, f, t);
    } else {
        snprintf(url, sizeof(url), "%s%s", base, cp.next);
    }
    {
        /* HTTP Basic: base64 of user:password. */
        size_t n = strlen(cfg->user) + strlen(cfg->password) + 2;
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t o = 0;

        if (n > 512)
            return cg__fail(err, CG_E_INVAL, "ncmec: user and password longer than 512 bytes");
        userpass = cg__malloc(n);
        if (userpass == NULL)
            return cg__fail(err, CG_E_NOMEM, "ncmec: out of memory");
        snprintf(userpass, n, "%s:%s", cfg->user, cfg->password);
        o = (size_t)snprintf(auth, sizeof(auth), "Basic ");
        for (size_t i = 0; i < n - 1; i += 3) {
            unsigned v = (unsigned char)userpass[i] << 16;
            size_t left = n - 1 - i;

            if (left > 1)
                v |= (unsigned char)userpass[i + 1] << 8;
            if (left > 2)
                v |= (unsigned char)userpass[i + 2];
            auth[o++] = b64[(v >> 18) & 63];
            auth[o++] = b64[(v >> 12) & 63];
            auth[o++] = left > 1 ? b64[(v >> 6) & 63] : '=';
            auth[o++] = left > 2 ? b64[v & 63] : '=';
        }
        auth[o] = '\0';
        memset(userpass, 0, n);
        cg__free(userpass);
    }
    hdr[0].name = "Authorization";
    hdr[0].value = auth;
    hdr[1].name = "Accept";
    hdr[1].value = "application/xml";
    st = cg__exchange_send(cfg, "GET", url, hdr, 2, NULL, 0, &resp, err);
    memset(auth, 0, sizeof(auth));
    if (st != CG_OK)
        return st;
    st = cg_exchange_parse_ncmec(url, resp.body, resp.body_len, out, &next, &in_range, err);
    cg_http_response_fini(&resp);
    if (st != CG_OK) {
        /* A malformed page: the same page is asked again next time (NCMEC pages are
         * regenerated per request, a truncated one is transient); the checkpoint is unchanged. */
        cg_status w = cp_write(&cp, out);
        return w == CG_OK ? st : cg__fail(err, w, "ncmec: out of memory");
    }
    if (first_page && in_range > NCMEC_WINDOW_MAX && cp.to - cp.from > 1) {
        /* Too large: drop the page and read the first half of the window first. */
        cg__delta_truncate(out, 0);
        out->n_rejected = 0;
        cp.window = (cp.to - cp.from) / 2;
        out->more = 1;
    } else if (next != NULL) {
        if (strlen(next) >= sizeof(cp.next)) {
            cg__free(next);
            cg__delta_truncate(out, 0);
            st = cg__fail(err, CG_E_DECODE, "%s: paging/next longer than %d bytes", url,
                          CG_EXCHANGE_URL_MAX);
            return cp_write(&cp, out) == CG_OK ? st
                                               : cg__fail(err, CG_E_NOMEM, "ncmec: out of memory");
        }
        memcpy(cp.next, next, strlen(next) + 1);
        cp.next_at = now;
        out->more = 1;
    } else {
        cp.done = cp.to;
        cp.next[0] = '\0';
        if (in_range < NCMEC_WINDOW_MAX / 4 && cp.window < NCMEC_WINDOW_LONGEST)
            cp.window = cp.window * 2 < NCMEC_WINDOW_LONGEST ? cp.window * 2
                                                             : NCMEC_WINDOW_LONGEST;
        out->more = cp.done < now;
    }
    cg__free(next);
    st = cp_write(&cp, out);
    return st == CG_OK ? CG_OK : cg__fail(err, st, "ncmec: out of memory");
}

/* NCMEC feedback: ncmec_feedback.c. */
static cg_status ncmec_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                                cg_error *err)
{
    return cg__ncmec_feedback(cfg, fb, err);
}

static int ncmec_stale(const char *checkpoint, int64_t now)
{
    (void)checkpoint;
    (void)now;
    return 0; /* windows never go stale; an expired next link restarts its window */
}

const cg_exchange_driver cg__exchange_ncmec = {"ncmec", ncmec_fetch, ncmec_feedback,
                                               ncmec_stale};
