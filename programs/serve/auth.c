/* API keys, scopes and rate limits. A request names its key with "Authorization: Bearer
 * <token>" or, as HMA deployments behind an API gateway do, "X-API-Key: <token>". The key is
 * checked by the library (hashed secret, constant-time comparison, revocation); this file maps
 * the outcome to 401 (no, malformed, unknown or revoked key: one message, so a caller learns
 * nothing about which), 403 (the key lacks the route's scope) and 429 (the key's token bucket
 * is empty; Retry-After says when one token is back). Buckets are keyed by key id, refilled
 * continuously at the key's rate (the server default when the key says 0) and hold at most
 * `burst` tokens.
 *
 * Failed authentications are limited per client address: each costs a token from the
 * address's bucket (auth_failures_per_minute, at most auth_failure_burst); an address whose
 * bucket is empty gets 429 before its token is even looked at, so guessing keys costs no
 * database reads past the burst. The table has a fixed number of slots (a new address takes
 * the slot of the one that failed least recently).
 *
 * Verified keys are remembered for key_cache seconds (default 5), keyed by the SHA-256 of the
 * token, so a busy client costs one database read per key per period. Every request also checks
 * the keys generation (cg_keys_generation: one indexed read, on a dedicated read-only handle,
 * skipped while nothing at all was committed to the database: keysgen.c) and drops the whole
 * cache when it moved, so a revocation takes effect on the next request (docs/keys.md). */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
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

/* ---- failed authentications per client address --------------------------------------------- */

#define FAIL_SLOTS 1024

typedef struct fail_slot {
    uint8_t addr[16];
    int used;
    double tokens;
    int64_t last_us;
} fail_slot;

struct serve_auth_limits {
    pthread_mutex_t mu;
    atomic_int any;                /* a failure was ever counted: before that, no lock needed */
    fail_slot slots[FAIL_SLOTS];
};

int auth_init(serve_server *s)
{
    s->auth_limits = calloc(1, sizeof(*s->auth_limits));
    if (s->auth_limits == NULL)
        return -1;
    pthread_mutex_init(&s->auth_limits->mu, NULL);
    atomic_init(&s->auth_limits->any, 0);
    return 0;
}

/* The client's address as 16 bytes (IPv4 as v4-mapped IPv6); 0 when unknown. */
static int client_addr(serve_req *r, uint8_t out[16])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *a = ci != NULL ? ci->client_addr : NULL;

    memset(out, 0, 16);
    if (a == NULL)
        return 0;
    if (a->sa_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
        return 1;
    }
    if (a->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
        return 1;
    }
    return 0;
}

int auth_client_addr(serve_req *r, uint8_t out[16])
{
    return client_addr(r, out);
}

/* The slot of addr (taking the least recently failed one for a new address), refilled to now.
 * Caller holds the lock. */
static fail_slot *fail_slot_of(serve_server *s, const uint8_t addr[16], int create)
{
    serve_auth_limits *l = s->auth_limits;
    const double per_us = (double)s->cfg.auth_failures_per_minute / 60e6;
    const int64_t now = serve_now_us();
    uint64_t h = 1469598103934665603ULL;
    fail_slot *best = NULL;
    size_t i;

    for (i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 1099511628211ULL;
    /* Four candidate slots per address: a collision rarely evicts an active attacker. */
    for (i = 0; i < 4; i++) {
        fail_slot *f = &l->slots[(h + i * 0x9E3779B97F4A7C15ull) % FAIL_SLOTS];

        if (f->used && memcmp(f->addr, addr, 16) == 0) {
            f->tokens += (double)(now - f->last_us) * per_us;
            if (f->tokens > s->cfg.auth_failure_burst)
                f->tokens = s->cfg.auth_failure_burst;
            f->last_us = now;
            return f;
        }
        if (best == NULL || !f->used || (best->used && f->last_us < best->last_us))
            best = f;
    }
    if (!create)
        return NULL;
    memcpy(best->addr, addr, 16);
    best->used = 1;
    best->tokens = s->cfg.auth_failure_burst;
    best->last_us = now;
    return best;
}

/* 1 when the address has no failure left to spend (its next attempt gets 429). */
static int fail_blocked(serve_server *s, const uint8_t addr[16], long *wait_s)
{
    fail_slot *f;
    int blocked = 0;

    if (!atomic_load_explicit(&s->auth_limits->any, memory_order_relaxed))
        return 0; /* the common case of a server nobody has guessed at: no lock */
    pthread_mutex_lock(&s->auth_limits->mu);
    f = fail_slot_of(s, addr, 0);
    if (f != NULL && f->tokens < 1.0) {
        blocked = 1;
        *wait_s = (long)ceil((1.0 - f->tokens) * 60.0 / s->cfg.auth_failures_per_minute);
        if (*wait_s < 1)
            *wait_s = 1;
    }
    pthread_mutex_unlock(&s->auth_limits->mu);
    return blocked;
}

static void fail_count(serve_server *s, const uint8_t addr[16])
{
    fail_slot *f;

    pthread_mutex_lock(&s->auth_limits->mu);
    f = fail_slot_of(s, addr, 1);
    f->tokens -= 1.0;
    atomic_store(&s->auth_limits->any, 1);
    pthread_mutex_unlock(&s->auth_limits->mu);
}

void auth_fini(serve_server *s)
{
    if (s->auth_limits != NULL) {
        pthread_mutex_destroy(&s->auth_limits->mu);
        free(s->auth_limits);
        s->auth_limits = NULL;
    }
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
    cg_key key;
    int64_t expires_us;
} cached_key;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cached_key cache[CACHE_SLOTS];

static int cache_get(const uint8_t *digest, cg_key *out)
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

static void cache_put(const uint8_t *digest, const cg_key *key, int seconds)
{
    cached_key *c = &cache[digest[0]];

    pthread_mutex_lock(&cache_mu);
    memcpy(c->digest, digest, CG_SHA256_BYTES);
    c->key = *key;
    c->expires_us = serve_now_us() + (int64_t)seconds * 1000000;
    pthread_mutex_unlock(&cache_mu);
}

static void cache_clear(void)
{
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        cache[i].expires_us = 0;
    pthread_mutex_unlock(&cache_mu);
}

/* Drops the cache when the keys generation moved (a key was revoked or changed). -1 when the
 * generation cannot be read: the caller then verifies against the database. */
static int generation_check(serve_server *s)
{
    int64_t g = 0;
    cg_error err;
    int rc = 0;

    if (keysgen_unchanged(s))
        return 0; /* nothing committed since the last read (keysgen.c) */
    pthread_mutex_lock(&s->keys_mu);
    keysgen_remember(s); /* before the read: a commit in between is seen next time */
    if (cg_keys_generation(s->keys_db, &g, &err) != CG_OK) {
        rc = -1;
    } else if (g != s->keys_generation) {
        cache_clear();
        s->keys_generation = g;
    }
    pthread_mutex_unlock(&s->keys_mu);
    return rc;
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

static enum MHD_Result too_many(serve_req *r, const char *error, const char *message, long wait_s)
{
    char secs[32], body[256];
    struct MHD_Response *resp;
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", error, message);

    snprintf(secs, sizeof(secs), "%ld", wait_s);
    resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (resp != NULL &&
        (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
             MHD_YES ||
         MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs) != MHD_YES)) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    return http_queue(r, 429, resp);
}

int auth_has(const serve_req *r, unsigned scope)
{
    return cg_keys_scopes_allow(r->key.scopes, scope);
}

int auth_check(serve_req *r, unsigned scope, enum MHD_Result *ret)
{
    serve_server *s = r->srv;
    const char *token;
    uint8_t addr[16];
    int have_addr;
    serve_db *d;
    cg_error err;
    cg_status st;
    int rate;
    long wait_s = 0;

    if (s->cfg.no_auth) {
        /* Development only (loopback): every scope, the default tenant, no key id. */
        memset(&r->key, 0, sizeof(r->key));
        r->key.scopes = CG_SCOPE_ALL;
        snprintf(r->key.holder, sizeof(r->key.holder), "anonymous");
        snprintf(r->key.tenant, sizeof(r->key.tenant), CG_TENANT_DEFAULT);
        return 0;
    }
    if (scope == 0)
        return 0;
    have_addr = client_addr(r, addr);
    if (have_addr && fail_blocked(s, addr, &wait_s)) {
        metrics_event(s->metrics, "auth_failures_limited");
        *ret = too_many(r, "too_many_failures",
                        "too many failed authentications from this address; retry later",
                        wait_s);
        return -1;
    }
    token = bearer(r);
    if (token == NULL || token[0] == '\0') {
        *ret = http_error(r, 401, "unauthorized",
                          "an API key is required: Authorization: Bearer <key>");
        return -1;
    }
    st = CG_E_NOTFOUND;
    if (strlen(token) <= CG_APIKEY_TOKEN_MAX) {
        cg_digests dg;
        int cached = s->cfg.key_cache_s > 0 && generation_check(s) == 0 &&
                     cg_digest_mem(CG_DIGEST_SHA256, token, strlen(token), &dg) == CG_OK;

        if (cached && cache_get(dg.sha256, &r->key)) {
            st = CG_OK;
        } else {
            d = serve_db_get(r, ret);
            if (d == NULL)
                return -1;
            st = cg_keys_verify(d->db, token, &r->key, &err);
            serve_db_put(r, d);
            if (st == CG_OK && cached)
                cache_put(dg.sha256, &r->key, s->cfg.key_cache_s);
        }
    }
    if (st == CG_E_NOTFOUND || st == CG_E_INVAL) {
        memset(&r->key, 0, sizeof(r->key));
        if (have_addr)
            fail_count(s, addr);
        metrics_event(s->metrics, "auth_failed");
        *ret = http_error(r, 401, "unauthorized", "invalid or revoked API key");
        return -1;
    }
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    r->key_id = r->key.id;
    if (!cg_keys_scopes_allow(r->key.scopes, scope)) {
        char need[CG_SCOPES_TEXT_MAX];
        cg_keys_scopes_format(scope, need, sizeof(need));
        *ret = http_error(r, 403, "forbidden", "this API key lacks the scope '%s'", need);
        return -1;
    }
    rate = r->key.rate_per_second > 0 ? r->key.rate_per_second : s->cfg.rate_per_second;
    if (rate > 0 && take_token(s, r->key_id, rate, &wait_s) != 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "rate limit of %d requests per second exceeded; retry after %ld"
                 " s", rate, wait_s);
        *ret = too_many(r, "rate_limited", msg, wait_s);
        return -1;
    }
    return 0;
}

const char *auth_reviewer(serve_req *r, json_t *body, enum MHD_Result *ret)
{
    const char *named = json_string_value(json_object_get(body, "reviewer"));
    const char *holder = r->key.holder[0] != '\0' ? r->key.holder : "anonymous";

    if (named == NULL || named[0] == '\0' || strcmp(named, holder) == 0)
        return holder;
    /* Only an admin key acts for someone else; the audit records name the key and the
     * reviewer. */
    if (!auth_has(r, CG_SCOPE_ADMIN)) {
        *ret = http_error(r, 403, "forbidden",
                          "this key reviews as its holder; only an admin key may name another "
                          "reviewer");
        return NULL;
    }
    if (strlen(named) > CG_REVIEW_NAME_MAX) {
        *ret = http_error(r, 400, "bad_request", "\"reviewer\" is at most %d bytes",
                          CG_REVIEW_NAME_MAX);
        return NULL;
    }
    return named;
}
