/* The route table, and routing as soon as a request's headers are in.
 *
 * libmicrohttpd calls the access handler once when the headers are complete, before any body
 * byte is kept; router_headers decides everything it can there: the route (404, 405), the key
 * (401, 403, 429), the body limit of the route (413 from Content-Length) and room in the
 * server-wide buffer (503). A request refused there is answered without its body ever being
 * stored: an anonymous client cannot make the server hold memory by posting to a route that
 * does not exist or that it may not use.
 *
 * Body limits per route: GET routes take none; control routes (lookups, compare, review
 * decisions, bank settings) a few KiB; messages 256 KiB; uploads and imports the configured
 * max_body. Routes that decode content run on the decoding workers (heavy.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define BODY_NONE ((size_t)0)
#define BODY_SMALL ((size_t)16 * 1024)
#define BODY_MESSAGE ((size_t)256 * 1024)
#define BODY_MAX ((size_t)-1) /* cfg.max_body */

struct serve_route {
    const char *method;
    const char *pattern;   /* segments; "*" captures one segment into r->params */
    unsigned scope;        /* 0: no key needed */
    size_t body;           /* the largest body accepted */
    int heavy;             /* 1: runs on a decoding worker */
    serve_route_fn fn;
};

static const serve_route routes[] = {
    {"GET", "/status", 0, BODY_NONE, 0, hma_status},
    {"GET", "/status/live", 0, BODY_NONE, 0, hma_status_live},
    {"GET", "/metrics", CG_SCOPE_ADMIN, BODY_NONE, 0, serve_metrics_route},
    {"GET", "/h/hash", CG_SCOPE_HASH, BODY_NONE, 0, hma_hash_get},
    {"POST", "/h/hash", CG_SCOPE_HASH, BODY_MAX, 1, hma_hash_post},
    {"GET", "/m/raw_lookup", CG_SCOPE_MATCH, BODY_NONE, 0, hma_raw_lookup},
    {"GET", "/m/lookup", CG_SCOPE_MATCH, BODY_NONE, 0, hma_lookup_get},
    {"POST", "/m/lookup", CG_SCOPE_MATCH, BODY_MAX, 1, hma_lookup_post},
    {"GET", "/m/index/status", CG_SCOPE_MATCH, BODY_NONE, 0, hma_index_status},
    {"POST", "/m/compare", CG_SCOPE_MATCH, BODY_SMALL, 0, hma_compare},
    {"GET", "/c/banks", CG_SCOPE_BANK_READ, BODY_NONE, 0, bank_list},
    {"GET", "/c/exchanges/apis", CG_SCOPE_BANK_READ, BODY_NONE, 0, exchange_apis_route},
    {"GET", "/c/exchanges", CG_SCOPE_BANK_READ, BODY_NONE, 0, exchange_list_route},
    {"POST", "/c/exchanges", CG_SCOPE_ADMIN, BODY_SMALL, 0, exchange_create_route},
    {"GET", "/c/exchanges/api/*", CG_SCOPE_BANK_READ, BODY_NONE, 0, exchange_api_get_route},
    {"POST", "/c/exchanges/api/*", CG_SCOPE_ADMIN, BODY_SMALL, 0, exchange_api_post_route},
    {"GET", "/c/exchanges/api/*/schema", CG_SCOPE_BANK_READ, BODY_NONE, 0,
     exchange_api_schema_route},
    {"GET", "/c/exchange/*", CG_SCOPE_BANK_READ, BODY_NONE, 0, exchange_get_route},
    {"PUT", "/c/exchange/*", CG_SCOPE_ADMIN, BODY_SMALL, 0, exchange_update_route},
    {"DELETE", "/c/exchange/*", CG_SCOPE_ADMIN, BODY_NONE, 0, exchange_delete_route},
    {"GET", "/c/exchange/*/status", CG_SCOPE_BANK_READ, BODY_NONE, 0, exchange_status_route},
    {"GET", "/c/exchange/*/flood", CG_SCOPE_BANK_READ, BODY_NONE, 0, exchange_flood_route},
    {"POST", "/c/banks", CG_SCOPE_BANK_WRITE, BODY_SMALL, 0, bank_create_route},
    {"GET", "/c/bank/*", CG_SCOPE_BANK_READ, BODY_NONE, 0, bank_get_route},
    {"PUT", "/c/bank/*", CG_SCOPE_BANK_WRITE, BODY_SMALL, 0, bank_update_route},
    {"DELETE", "/c/bank/*", CG_SCOPE_BANK_WRITE, BODY_NONE, 0, bank_delete_route},
    {"POST", "/c/bank/*/signal", CG_SCOPE_BANK_WRITE, BODY_SMALL, 0, bank_signal_add_route},
    {"POST", "/c/bank/*/content", CG_SCOPE_BANK_WRITE, BODY_MAX, 1, bank_content_add_route},
    {"GET", "/c/bank/*/content/*", CG_SCOPE_BANK_READ, BODY_NONE, 0, bank_content_get_route},
    {"PUT", "/c/bank/*/content/*", CG_SCOPE_BANK_WRITE, BODY_SMALL, 0,
     bank_content_update_route},
    {"DELETE", "/c/bank/*/content/*", CG_SCOPE_BANK_WRITE, BODY_NONE, 0,
     bank_content_delete_route},
    {"POST", "/v1/scan", CG_SCOPE_SCAN, BODY_MAX, 1, v1_scan},
    {"POST", "/v1/messages", CG_SCOPE_SCAN, BODY_MESSAGE, 0, v1_message},
    {"POST", "/v1/jobs", CG_SCOPE_SCAN, BODY_MAX, 0, v1_job_submit},
    {"GET", "/v1/jobs/*", CG_SCOPE_SCAN, BODY_NONE, 0, v1_job_get},
    {"GET", "/v1/review", CG_SCOPE_REVIEW, BODY_NONE, 0, v1_review_list},
    {"GET", "/v1/review/*", CG_SCOPE_REVIEW, BODY_NONE, 0, v1_review_get},
    {"POST", "/v1/review/*/claim", CG_SCOPE_REVIEW, BODY_SMALL, 0, v1_review_claim},
    {"POST", "/v1/review/*/release", CG_SCOPE_REVIEW, BODY_SMALL, 0, v1_review_release},
    {"POST", "/v1/review/*/decide", CG_SCOPE_REVIEW, BODY_SMALL, 0, v1_review_decide},
    {"GET", "/v1/review/*/report", CG_SCOPE_REVIEW, BODY_NONE, 0, v1_review_report},
    {"GET", "/v1/review/*/preview", CG_SCOPE_REVIEW, BODY_NONE, 0, v1_review_preview},
    {"GET", "/v1/review/*/reveal", CG_SCOPE_REVIEW, BODY_NONE, 0, v1_review_reveal},
    {"GET", "/v1/review/*/excerpt", CG_SCOPE_REVIEW, BODY_NONE, 0, v1_review_excerpt},
    {"GET", "/v1/audit/verify", CG_SCOPE_ADMIN, BODY_NONE, 0, v1_audit_verify},
    {"GET", "/v1/banks/*/export", CG_SCOPE_BANK_READ, BODY_NONE, 0, v1_bank_export},
    {"POST", "/v1/banks/*/import", CG_SCOPE_BANK_WRITE, BODY_MAX, 0, v1_bank_import},
    {"POST", "/v1/policy/reload", CG_SCOPE_ADMIN, BODY_NONE, 0, v1_policy_reload},
    /* The web pages (static.c, routes_ui.c, routes_selfhash.c; docs/web.md). */
    {"POST", "/v1/selfhash", 0, BODY_SMALL, 0, selfhash_submit},
    {"POST", "/v1/selfhash/withdraw", 0, BODY_SMALL, 0, selfhash_withdraw},
    {"POST", "/v1/selfhash/status", 0, BODY_SMALL, 0, selfhash_status},
    {"GET", "/ui/guidance.json", 0, BODY_NONE, 0, ui_guidance},
    {"GET", "/ui/**", 0, BODY_NONE, 0, ui_static},
    {"GET", "/ui", 0, BODY_NONE, 0, ui_redirect}, /* last: it matches "/ui/" too */
};

/* Matches url against pattern segment by segment, capturing "*" segments into r->params; a
 * final "**" matches whatever is left. Returns 1 on a match. A trailing slash is ignored. */
static int match_path(serve_req *r, const char *pattern, const char *url)
{
    int n = 0;

    while (*pattern != '\0') {
        if (strcmp(pattern, "**") == 0)
            return 1;
        if (*pattern == '*') {
            size_t len = strcspn(url, "/");
            if (len == 0 || len >= sizeof(r->params[0]) || n >= SERVE_MAX_PARAMS)
                return 0;
            memcpy(r->params[n], url, len);
            r->params[n][len] = '\0';
            n++;
            url += len;
            pattern++;
            continue;
        }
        if (*pattern != *url)
            return 0;
        pattern++;
        url++;
    }
    return *url == '\0' || strcmp(url, "/") == 0;
}

/* Counts n more bytes in the server-wide buffer; -1 (nothing counted) when that would pass
 * max_buffered. */
static int reserve(serve_req *r, size_t n)
{
    serve_server *s = r->srv;
    size_t now = atomic_fetch_add(&s->buffered, n) + n;

    if (now > s->cfg.max_buffered) {
        atomic_fetch_sub(&s->buffered, n);
        return -1;
    }
    r->reserved += n;
    return 0;
}

static enum MHD_Result busy_reply(serve_req *r, const char *error, const char *message)
{
    struct MHD_Response *resp;
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", error, message);

    resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (resp != NULL &&
        (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
             MHD_YES ||
         MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES)) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    return http_queue(r, 503, resp);
}

int router_headers(serve_req *r, enum MHD_Result *ret)
{
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    const serve_route *rt = NULL;
    const char *cl;
    int path_known = 0;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match_path(r, routes[i].pattern, r->url))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, method) == 0) {
            rt = &routes[i];
            break;
        }
    }
    if (rt == NULL) {
        if (path_known)
            *ret = http_error(r, 405, "method_not_allowed", "%s is not allowed on this route",
                              r->method);
        else
            *ret = http_error(r, 404, "not_found", "no such route");
        return -1;
    }
    r->rt = rt;
    r->route = rt->pattern;
    if (auth_check(r, rt->scope, ret) != 0)
        return -1;
    r->limit = rt->body == BODY_MAX ? r->srv->cfg.max_body : rt->body;
    cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end;
        unsigned long long n;

        errno = 0;
        n = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || n > r->limit) {
            r->too_large = 1;
            *ret = http_error(r, 413, "payload_too_large",
                              "the body is larger than this route accepts (%zu bytes)",
                              r->limit);
            return -1;
        }
        /* The whole declared body is counted now: a client cannot make the server promise
         * more memory than max_buffered across all its connections. */
        if (n > 0 && reserve(r, (size_t)n + 1) != 0) {
            metrics_event(r->srv->metrics, "buffer_full");
            *ret = busy_reply(r, "overloaded", "the server is holding as many request bodies as "
                                               "it may; retry shortly");
            return -1;
        }
    }
    conns_body_started(r->sc);
    return 0;
}

int router_grow(serve_req *r, size_t need)
{
    return need <= r->reserved ? 0 : reserve(r, need - r->reserved);
}

enum MHD_Result router_call(serve_req *r)
{
    return r->rt->fn(r);
}

enum MHD_Result router_run(serve_req *r)
{
    conns_processing(r->sc);
    if (r->rt->heavy && r->srv->heavy != NULL) {
        if (heavy_submit(r->srv->heavy, r) != 0) {
            metrics_event(r->srv->metrics, "decode_queue_full");
            return busy_reply(r, "busy", "every decoding worker is busy and the queue is full; "
                                         "retry shortly");
        }
        return MHD_YES;
    }
    return router_call(r);
}
