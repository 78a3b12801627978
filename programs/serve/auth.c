/* API keys, scopes and rate limits. A request names its key with "Authorization: Bearer
 * <token>" or, as HMA deployments behind an API gateway do, "X-API-Key: <token>". The key is
 * checked by the library (hashed secret, constant-time comparison, revocation); this file maps
 * the outcome to 401 (no, malformed, unknown or revoked key: one message, so a caller learns
 * nothing about which), 403 (the key lacks the route's scope) and 429 (the key's token bucket
 * is empty; Retry-After says when one token is back). Buckets are keyed by key id, refilled
 * continuously at the key's rate (the server default when the key says 0) and hold at most
 * `burst` tokens.
 *
 * Verified keys are remembered for key_cache seconds (default 5), keyed by the SHA-256 of the
 * token, so a busy client costs one database read per key per period, not one per request; a
 * revocation therefore takes effect within that period (docs/api.md). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve.h"

struct serve_bucket {
    int64_t key_id;
    double tokens;
    int64_t last_us;
    serve_bucket *next;
};

void auth_fini(serve_server *s)
{
    for (size_t i = 0; i < sizeof(s->buckets) / sizeof(s->buckets[0]); i++) {
        serve_bucket *b = s->buckets[i];
        while (b != NULL) {
            serve_bucket *next = b->next;
            free(b);
            b = next;
        }
        s->buckets[i] = NULL;
    }
}

/* Takes one token from key_id's bucket. Returns 0, or the seconds to wait (>= 1). */
static long take_token(serve_server *s, int64_t key_id, int rate, long *wait_s)
{
    int burst = s->cfg.burst > 0 ? s->cfg.burst : (rate > 0 ? rate : 1);
    size_t slot = (size_t)((uint64_t)key_id * 0x9E3779B97F4A7C15ull >> 56);
    int64_t now = serve_now_us();
    serve_bucket *b;
    long rc = 0;

    *wait_s = 0;
    pthread_mutex_lock(&s->rate_mu);
    for (b = s->buckets[slot]; b != NULL; b = b->next)
        if (b->key_id == key_id)
            break;
    if (b == NULL) {
        b = calloc(1, sizeof(*b));
        if (b == NULL) {
            pthread_mutex_unlock(&s->rate_mu);
            return 0; /* out of memory: do not refuse service because of the limiter */
        }
        b->key_id = key_id;
        b->tokens = burst;
        b->last_us = now;
        b->next = s->buckets[slot];
        s->buckets[slot] = b;
    }
    b->tokens += (double)(now - b->last_us) * rate / 1e6;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_us = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        *wait_s = (long)ceil((1.0 - b->tokens) / rate);
        if (*wait_s < 1)
            *wait_s = 1;
        rc = -1;
    }
    pthread_mutex_unlock(&s->rate_mu);
    return rc;
}

/* ---- the cache of verified keys ----------------------------------------------------------- */

#define CACHE_SLOTS 256

typedef struct cached_key {
    uint8_t digest[CG_SHA256_BYTES];
    cg_apikey key;
    int64_t expires_us;
} cached_key;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cached_key cache[CACHE_SLOTS];

static int cache_get(const uint8_t *digest, cg_apikey *out)
{
    cached_key *c = &cache[digest[0]];
    int hit = 0;

    pthread_mutex_lock(&cache_mu);
    if (c->expires_us > serve_now_us() && memcmp(c->digest, digest, CG_SHA256_BYTES) == 0) {
        *out = c->key;
        hit = 1;
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const uint8_t *digest, const cg_apikey *key, int seconds)
{
    cached_key *c = &cache[digest[0]];

    pthread_mutex_lock(&cache_mu);
    memcpy(c->digest, digest, CG_SHA256_BYTES);
    c->key = *key;
    c->expires_us = serve_now_us() + (int64_t)seconds * 1000000;
    pthread_mutex_unlock(&cache_mu);
}

static const char *bearer(serve_req *r)
{
    const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);

    if (h != NULL) {
        if (strncasecmp(h, "Bearer ", 7) != 0)
            return "";
        h += 7;
        while (*h == ' ')
            h++;
        return h;
    }
    return http_header(r, "X-API-Key");
}

int auth_check(serve_req *r, unsigned scope, enum MHD_Result *ret)
{
    serve_server *s = r->srv;
    const char *token;
    serve_db *d;
    cg_error err;
    cg_status st;
    int rate;
    long wait_s;

    if (scope == 0 || s->cfg.no_auth)
        return 0;
    token = bearer(r);
    if (token == NULL || token[0] == '\0') {
        *ret = http_error(r, 401, "unauthorized",
                          "an API key is required: Authorization: Bearer <key>");
        return -1;
    }
    if (strlen(token) > CG_APIKEY_TOKEN_MAX) {
        *ret = http_error(r, 401, "unauthorized", "invalid or revoked API key");
        return -1;
    }
    cg_digests dg;
    int cached = s->cfg.key_cache_s > 0 &&
                 cg_digest_mem(CG_DIGEST_SHA256, token, strlen(token), &dg) == CG_OK;
    if (cached && cache_get(dg.sha256, &r->key)) {
        st = CG_OK;
    } else {
        d = serve_db_get(r, ret);
        if (d == NULL)
            return -1;
        st = cg_apikey_verify(d->db, token, &r->key, &err);
        serve_db_put(r, d);
        if (st == CG_OK && cached)
            cache_put(dg.sha256, &r->key, s->cfg.key_cache_s);
    }
    if (st == CG_E_NOTFOUND || st == CG_E_INVAL) {
        *ret = http_error(r, 401, "unauthorized", "invalid or revoked API key");
        return -1;
    }
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    r->key_id = r->key.id;
    if ((r->key.scopes & (scope | CG_SCOPE_ADMIN)) == 0) {
        char need[128];
        cg_scopes_format(scope, need, sizeof(need));
        *ret = http_error(r, 403, "forbidden", "this API key lacks the scope '%s'", need);
        return -1;
    }
    rate = r->key.rate_per_second > 0 ? r->key.rate_per_second : s->cfg.rate_per_second;
    if (rate > 0 && take_token(s, r->key_id, rate, &wait_s) != 0) {
        char secs[32];
        struct MHD_Response *resp;
        char body[160];
        int n = snprintf(body, sizeof(body),
                         "{\"error\":\"rate_limited\",\"message\":\"rate limit of %d requests "
                         "per second exceeded; retry after %ld s\"}",
                         rate, wait_s);
        snprintf(secs, sizeof(secs), "%ld", wait_s);
        resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
        if (resp != NULL &&
            (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
                 MHD_YES ||
             MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs) != MHD_YES)) {
            MHD_destroy_response(resp);
            resp = NULL;
        }
        *ret = http_queue(r, 429, resp);
        return -1;
    }
    return 0;
}
