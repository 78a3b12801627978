/* The daemon: libmicrohttpd with epoll and a pool of threads, each connection served by one
 * thread from its first byte to its last. A request goes: first call (limits on the declared
 * body size) → body chunks (accumulated, capped) → dispatch (route table, method, auth, rate)
 * → a route → completion (one JSON log line on stderr, resources freed).
 *
 * The engine (policy, text engine, matcher with its refresher thread) is shared by every
 * request and held by a reference count, so that a policy reload can open a new engine, swap
 * it in, and let the old one close when its last request is done. Bank and review writes use a
 * database handle from a small pool: a cg_bankdb is used by one thread at a time.
 *
 * Shutdown (SIGTERM/SIGINT, taken with sigwait in the main thread; every other thread blocks
 * them): stop accepting (MHD_quiesce_daemon), let the requests in flight finish (up to 30 s),
 * stop the daemon, close the engine and the databases. Every write is a SQLite transaction or
 * one audit append, so nothing is left half-written. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

/* ---- engine lifetime --------------------------------------------------------------------- */

static cg_status engine_open(const serve_config *c, serve_engine **out, cg_error *err)
{
    cg_engine_config ec;
    serve_engine *e;
    cg_status st;

    *out = NULL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return CG_E_NOMEM;
    cg_engine_config_default(&ec);
    ec.db_path = c->db;
    ec.refresh_ms = c->refresh_ms;
    ec.policy_path = c->policy[0] != '\0' ? c->policy : NULL;
    if (c->data_dir[0] != '\0')
        ec.text.data_dir = c->data_dir;
    if (c->country[0] != '\0')
        ec.text.country = c->country;
    ec.audit_path = c->log[0] != '\0' ? c->log : NULL;
    ec.audit_fsync = 1;
    ec.actor = "serve";
    ec.review = c->review;
    ec.classify = c->classify;
    st = cg_engine_open(&ec, &e->engine, err);
    if (st != CG_OK) {
        free(e);
        return st;
    }
    e->refs = 1;
    *out = e;
    return CG_OK;
}

serve_engine *serve_engine_acquire(serve_server *s)
{
    serve_engine *e;

    pthread_mutex_lock(&s->engine_mu);
    e = s->engine;
    if (e != NULL)
        e->refs++;
    pthread_mutex_unlock(&s->engine_mu);
    return e;
}

void serve_engine_release(serve_server *s, serve_engine *e)
{
    int last;

    if (e == NULL)
        return;
    pthread_mutex_lock(&s->engine_mu);
    last = --e->refs == 0;
    pthread_mutex_unlock(&s->engine_mu);
    if (last) {
        cg_engine_close(e->engine);
        free(e);
    }
}

cg_status serve_engine_reload(serve_server *s, cg_error *err)
{
    serve_engine *fresh, *old;
    cg_status st = engine_open(&s->cfg, &fresh, err);

    if (st != CG_OK)
        return st;
    pthread_mutex_lock(&s->engine_mu);
    old = s->engine;
    s->engine = fresh;
    pthread_mutex_unlock(&s->engine_mu);
    serve_engine_release(s, old); /* the server's reference; requests hold theirs */
    return CG_OK;
}

/* ---- pools ------------------------------------------------------------------------------- */

static cg_status db_create(void *ud, void **out, cg_error *err)
{
    const serve_config *c = ud;
    serve_db *d = calloc(1, sizeof(*d));
    cg_status st;

    *out = NULL;
    if (d == NULL)
        return CG_E_NOMEM;
    st = cg_bankdb_open(c->db, 0, &d->db, err);
    if (st != CG_OK)
        goto fail;
    if (c->log[0] != '\0') {
        st = cg_audit_open(c->log, CG_AUDIT_CREATE | CG_AUDIT_FSYNC, &d->audit, err);
        if (st != CG_OK)
            goto fail;
        st = cg_bankdb_set_audit(d->db, d->audit, "serve", err);
        if (st != CG_OK)
            goto fail;
    }
    *out = d;
    return CG_OK;
fail:
    cg_bankdb_close(d->db);
    cg_audit_close(d->audit);
    free(d);
    return st;
}

static void db_destroy(void *item)
{
    serve_db *d = item;

    cg_bankdb_close(d->db);
    cg_audit_close(d->audit);
    free(d);
}

static cg_status hasher_create(void *ud, void **out, cg_error *err)
{
    cg_pdq_hasher *h;
    cg_status st = cg_pdq_hasher_create(&h);

    (void)ud;
    *out = NULL;
    if (st != CG_OK) {
        err->status = st;
        snprintf(err->message, sizeof(err->message), "cannot create a PDQ hasher");
        return st;
    }
    *out = h;
    return CG_OK;
}

static void hasher_destroy(void *item)
{
    cg_pdq_hasher_destroy(item);
}

serve_db *serve_db_get(serve_req *r, enum MHD_Result *ret)
{
    void *item;
    serve_db *d;
    cg_error err;
    char actor[CG_APIKEY_NAME_MAX + 16];

    if (serve_pool_get(&r->srv->dbs, &item, &err) != CG_OK) {
        *ret = http_error(r, 500, "backend", "cannot open the database: %s", err.message);
        return NULL;
    }
    d = item;
    if (d->audit != NULL) {
        /* Bank changes are audited under the key that made them. */
        if (r->key_id > 0)
            snprintf(actor, sizeof(actor), "api:%s", r->key.name);
        else
            snprintf(actor, sizeof(actor), "api");
        if (cg_bankdb_set_audit(d->db, d->audit, actor, &err) != CG_OK)
            cg_bankdb_set_audit(d->db, d->audit, "api", &err);
    }
    return d;
}

void serve_db_put(serve_req *r, serve_db *d)
{
    serve_pool_put(&r->srv->dbs, d);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

typedef struct route {
    const char *method;
    const char *pattern;   /* segments; "*" captures one segment into r->params */
    unsigned scope;        /* 0: no key needed */
    serve_route_fn fn;
} route;

static const route routes[] = {
    {"GET", "/status", 0, hma_status},
    {"GET", "/status/live", 0, hma_status_live},
    {"GET", "/metrics", CG_SCOPE_ADMIN, serve_metrics_route},
    {"GET", "/h/hash", CG_SCOPE_HASH, hma_hash_get},
    {"POST", "/h/hash", CG_SCOPE_HASH, hma_hash_post},
    {"GET", "/m/raw_lookup", CG_SCOPE_MATCH, hma_raw_lookup},
    {"GET", "/m/lookup", CG_SCOPE_MATCH, hma_lookup_get},
    {"POST", "/m/lookup", CG_SCOPE_MATCH, hma_lookup_post},
    {"GET", "/m/index/status", CG_SCOPE_MATCH, hma_index_status},
    {"POST", "/m/compare", CG_SCOPE_MATCH, hma_compare},
    {"GET", "/c/banks", CG_SCOPE_BANK_READ, bank_list},
    {"POST", "/c/banks", CG_SCOPE_BANK_WRITE, bank_create_route},
    {"GET", "/c/bank/*", CG_SCOPE_BANK_READ, bank_get_route},
    {"PUT", "/c/bank/*", CG_SCOPE_BANK_WRITE, bank_update_route},
    {"DELETE", "/c/bank/*", CG_SCOPE_BANK_WRITE, bank_delete_route},
    {"POST", "/c/bank/*/signal", CG_SCOPE_BANK_WRITE, bank_signal_add_route},
    {"POST", "/c/bank/*/content", CG_SCOPE_BANK_WRITE, bank_content_add_route},
    {"GET", "/c/bank/*/content/*", CG_SCOPE_BANK_READ, bank_content_get_route},
    {"PUT", "/c/bank/*/content/*", CG_SCOPE_BANK_WRITE, bank_content_update_route},
    {"DELETE", "/c/bank/*/content/*", CG_SCOPE_BANK_WRITE, bank_content_delete_route},
    {"POST", "/v1/scan", CG_SCOPE_SCAN, v1_scan},
    {"POST", "/v1/messages", CG_SCOPE_SCAN, v1_message},
    {"GET", "/v1/review", CG_SCOPE_REVIEW, v1_review_list},
    {"GET", "/v1/review/*", CG_SCOPE_REVIEW, v1_review_get},
    {"POST", "/v1/review/*/claim", CG_SCOPE_REVIEW, v1_review_claim},
    {"POST", "/v1/review/*/release", CG_SCOPE_REVIEW, v1_review_release},
    {"POST", "/v1/review/*/decide", CG_SCOPE_REVIEW, v1_review_decide},
    {"GET", "/v1/review/*/report", CG_SCOPE_REVIEW, v1_review_report},
    {"GET", "/v1/audit/verify", CG_SCOPE_ADMIN, v1_audit_verify},
    {"GET", "/v1/banks/*/export", CG_SCOPE_BANK_READ, v1_bank_export},
    {"POST", "/v1/banks/*/import", CG_SCOPE_BANK_WRITE, v1_bank_import},
    {"POST", "/v1/policy/reload", CG_SCOPE_ADMIN, v1_policy_reload},
};

/* Matches url against pattern segment by segment, capturing "*" segments into r->params.
 * Returns 1 on a match. A trailing slash is ignored. */
static int match_path(serve_req *r, const char *pattern, const char *url)
{
    int n = 0;

    while (*pattern != '\0') {
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

static enum MHD_Result dispatch(serve_req *r)
{
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    int path_known = 0;
    enum MHD_Result ret;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match_path(r, routes[i].pattern, r->url))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, method) != 0)
            continue;
        r->route = routes[i].pattern;
        if (auth_check(r, routes[i].scope, &ret) != 0)
            return ret;
        return routes[i].fn(r);
    }
    if (path_known)
        return http_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method,
                          r->url);
    return http_error(r, 404, "not_found", "no route %s %s", r->method, r->url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    serve_server *s = cls;
    serve_req *r = *con_cls;

    (void)version;
    if (r == NULL) {
        const char *cl;

        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        r->srv = s;
        r->conn = conn;
        r->method = method;
        r->url = url;
        r->t0_us = serve_now_us();
        atomic_fetch_add(&s->inflight, 1);
        *con_cls = r;
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > s->cfg.max_body) {
            r->too_large = 1;
            return http_error(r, 413, "payload_too_large",
                              "the body is larger than the server's limit of %zu bytes",
                              s->cfg.max_body);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;

        *upload_data_size = 0;
        if (r->too_large || r->status != 0)
            return MHD_YES;
        if (r->len + n > s->cfg.max_body) {
            /* A chunked body that grew past the limit: drop it, answer 413 at the end. */
            r->too_large = 1;
            free(r->body);
            r->body = NULL;
            r->len = r->cap = 0;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap == 0 ? 16384 : r->cap;
            char *p;
            while (cap < r->len + n + 1)
                cap *= 2;
            p = realloc(r->body, cap);
            if (p == NULL)
                return MHD_NO;
            r->body = p;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    if (r->status != 0)
        return MHD_YES;
    if (r->too_large)
        return http_error(r, 413, "payload_too_large",
                          "the body is larger than the server's limit of %zu bytes",
                          s->cfg.max_body);
    if (r->body == NULL) {
        r->body = calloc(1, 1);
        if (r->body == NULL)
            return MHD_NO;
    }
    return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    serve_server *s = cls;
    serve_req *r = *con_cls;
    json_t *line;
    char *text;

    (void)conn;
    if (r == NULL)
        return;
    *con_cls = NULL;
    metrics_request(s->metrics, r->route != NULL ? r->route : "(no route)", (int)r->status,
                    (double)(serve_now_us() - r->t0_us) / 1000.0);
    if (!s->cfg.access_log && r->status < 400 && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        serve_req_free(r); /* failures only: a success costs no log line */
        atomic_fetch_sub(&s->inflight, 1);
        return;
    }
    line = json_pack("{s:I, s:s, s:s, s:i, s:f, s:o, s:I}", "ts",
                     (json_int_t)time(NULL), "method", r->method, "path", r->url,
                     "status", r->status != 0 ? (int)r->status : 0, "ms",
                     (double)(serve_now_us() - r->t0_us) / 1000.0, "key",
                     r->key_id > 0 ? json_integer(r->key_id) : json_null(), "bytes_in",
                     (json_int_t)r->len);
    if (line != NULL && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        json_object_set_new(line, "terminated", json_integer((json_int_t)toe));
    text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text != NULL) {
        fprintf(stderr, "%s\n", text);
        free(text);
    }
    json_decref(line);
    serve_req_free(r);
    atomic_fetch_sub(&s->inflight, 1);
}

/* ---- run --------------------------------------------------------------------------------- */

static void log_event(const char *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void log_event(const char *event, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    json_t *j;
    char *text;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    j = json_pack("{s:I, s:s, s:s}", "ts", (json_int_t)time(NULL), "event", event, "message",
                  msg);
    text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(j);
}

int serve_run(const serve_config *cfg)
{
    static serve_server srv; /* lives for the whole run; the daemon's threads point at it */
    serve_server *s = &srv;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    sigset_t set;
    cg_error err;
    unsigned threads;
    int sig = 0, rc = 2, ipv6;
    long ncpu;
    MHD_socket lsock;
    unsigned flags;

    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    pthread_mutex_init(&s->engine_mu, NULL);
    pthread_mutex_init(&s->rate_mu, NULL);
    atomic_init(&s->inflight, 0);
    atomic_init(&s->lag_since_ms, 0);

    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    threads = s->cfg.threads > 0 ? s->cfg.threads : (ncpu > 0 ? (unsigned)ncpu : 2);
    memset(&addr, 0, sizeof(addr));
    ipv6 = strchr(s->cfg.listen_addr, ':') != NULL;
    if (ipv6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)s->cfg.port);
        addr_len = sizeof(*a6);
        if (inet_pton(AF_INET6, s->cfg.listen_addr, &a6->sin6_addr) != 1) {
            fprintf(stderr, "childguard serve: bad listen address '%s'\n", s->cfg.listen_addr);
            return 2;
        }
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)s->cfg.port);
        addr_len = sizeof(*a4);
        if (inet_pton(AF_INET, s->cfg.listen_addr, &a4->sin_addr) != 1) {
            fprintf(stderr, "childguard serve: bad listen address '%s'\n", s->cfg.listen_addr);
            return 2;
        }
    }
    (void)addr_len;

    /* Signals: every thread started from here on inherits the mask; only sigwait takes them. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    {
        /* Create the database (and schema) when missing, so that the engine can open it. */
        cg_bankdb *db;
        if (cg_bankdb_open(s->cfg.db, CG_BANKDB_CREATE, &db, &err) != CG_OK) {
            fprintf(stderr, "childguard serve: %s\n", err.message);
            return 2;
        }
        cg_bankdb_close(db);
    }
    if (engine_open(&s->cfg, &s->engine, &err) != CG_OK) {
        fprintf(stderr, "childguard serve: %s\n", err.message);
        return 2;
    }
    if (cg_engine_vision_error(s->engine->engine) != NULL)
        fprintf(stderr, "childguard serve: nudity classifier unavailable, serving without it: "
                        "%s\n", cg_engine_vision_error(s->engine->engine));
    if (serve_pool_init(&s->dbs, s->cfg.db_handles > 0 ? s->cfg.db_handles : threads + 2,
                        db_create, db_destroy, &s->cfg) != 0 ||
        serve_pool_init(&s->hashers, threads + 2, hasher_create, hasher_destroy, NULL) != 0) {
        fprintf(stderr, "childguard serve: out of memory\n");
        goto out;
    }
    s->started_ms = (int64_t)time(NULL) * 1000;
    s->metrics = metrics_new();
    if (s->metrics == NULL) {
        fprintf(stderr, "childguard serve: out of memory\n");
        goto out;
    }
    {
        webhook_options wo = {s->cfg.webhooks, s->cfg.n_webhooks, s->cfg.webhook_poll_ms,
                              s->cfg.webhook_max_attempts, 0, s->cfg.webhook_backoff_s};
        s->webhooks = webhooks_start(s->cfg.db, &wo, s->metrics, &err);
        if (s->webhooks == NULL) {
            fprintf(stderr, "childguard serve: %s\n", err.message);
            goto out;
        }
    }

    flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.connection_limit, MHD_OPTION_CONNECTION_TIMEOUT,
        s->cfg.timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        /* MHD clears a connection's pool between requests: keep it small (headers only; bodies
         * go to our own buffers), or the clearing costs more than the lookup. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_END);
    if (s->daemon == NULL) {
        fprintf(stderr, "childguard serve: cannot listen on %s:%u (%s)\n", s->cfg.listen_addr,
                s->cfg.port, errno != 0 ? strerror(errno) : "libmicrohttpd refused");
        goto out;
    }
    if (s->cfg.no_auth)
        log_event("warning", "--no-auth: API keys are NOT checked; every client may change the "
                             "banks. Use this only on a development machine.");
    log_event("listening", "childguard %s serving on %s:%u with %u threads, database %s",
              cg_version(), s->cfg.listen_addr, s->cfg.port, threads, s->cfg.db);

    while (sigwait(&set, &sig) != 0)
        ;
    log_event("shutdown", "signal %d: finishing %d request(s) in flight", sig,
              atomic_load(&s->inflight));
    lsock = MHD_quiesce_daemon(s->daemon);
    for (int i = 0; i < 3000 && atomic_load(&s->inflight) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    rc = 0;
out:
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    webhooks_stop(s->webhooks); /* an attempt in flight finishes; pending entries stay stored */
    s->webhooks = NULL;
    serve_pool_fini(&s->dbs);
    serve_pool_fini(&s->hashers);
    auth_fini(s);
    serve_engine_release(s, s->engine);
    s->engine = NULL;
    metrics_free(s->metrics);
    s->metrics = NULL;
    if (rc == 0)
        log_event("stopped", "clean shutdown");
    return rc;
}
