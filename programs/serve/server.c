/* The daemon: libmicrohttpd with epoll and a pool of I/O threads, each connection served by one
 * thread from its first byte to its last. A request goes: headers in (router.c: route, key,
 * body limit, room in the buffer; refused requests are answered before any body byte is
 * kept) → body chunks (accumulated, capped by the route's limit and the server-wide
 * max_buffered) → the route, on this thread or on a decoding worker (heavy.c) → completion
 * (one JSON log line on stderr, resources freed). conns.c enforces the header and body
 * deadlines of every connection.
 *
 * The engine (policy, text engine, matcher with its refresher thread) is shared by every
 * request and held by a reference count, so that it closes when its last request is done; a
 * policy reload swaps only the policy inside it (cg_engine_set_policy), keeping the indexes,
 * the conversations and the repeat counts. Bank and review writes use a
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
#include "exchange_fetcher.h"

/* ---- engine lifetime --------------------------------------------------------------------- */

static void engine_limits(const serve_config *c, cg_engine_config *ec);
static void log_event(const char *event, const char *fmt, ...);

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
    if (c->guidance_lang[0] != '\0')
        ec.guidance_lang = c->guidance_lang;
    ec.audit_path = c->log[0] != '\0' ? c->log : NULL;
    ec.audit_fsync = 1;
    ec.actor = "serve";
    ec.review = c->review;
    ec.notify = 1;
    ec.outbox_max_pending = c->outbox_max_pending;
    ec.flood_per_hour = (int)c->flood_per_hour;
    ec.classify = c->classify;
    engine_limits(c, &ec);
    st = cg_engine_open(&ec, &e->engine, err);
    if (st != CG_OK) {
        free(e);
        return st;
    }
    {
        char note[CG_ERROR_MAX + 64];

        if (cg_engine_state_note(e->engine, note, sizeof(note)) > 0)
            log_event("state", "%s", note);
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
    /* Only the policy is swapped (cg_engine_set_policy): the indexes are not rebuilt and the
     * conversations' grooming evidence and the repeat counts survive the reload. Reloads are
     * serialised: the engine allows one at a time. */
    static pthread_mutex_t reload_mu = PTHREAD_MUTEX_INITIALIZER;
    serve_engine *e = serve_engine_acquire(s);
    cg_status st;

    if (e == NULL)
        return CG_E_INVAL;
    pthread_mutex_lock(&reload_mu);
    st = cg_engine_set_policy(e->engine, s->cfg.policy[0] != '\0' ? s->cfg.policy : NULL, err);
    pthread_mutex_unlock(&reload_mu);
    serve_engine_release(s, e);
    return st;
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

/* A read-only handle: CG_BANKDB_READONLY, so that the store reads it from the replica
 * (pg_replica.c) within the lag limit. */
static cg_status db_create_ro(void *ud, void **out, cg_error *err)
{
    const serve_config *c = ud;
    serve_db *d = calloc(1, sizeof(*d));
    cg_status st;

    *out = NULL;
    if (d == NULL)
        return CG_E_NOMEM;
    st = cg_bankdb_open(c->db, CG_BANKDB_READONLY, &d->db, err);
    if (st != CG_OK) {
        free(d);
        return st;
    }
    d->ro = 1;
    *out = d;
    return CG_OK;
}

static void db_destroy(void *item)
{
    serve_db *d = item;

    cg_bankdb_close(d->db);
    cg_audit_close(d->audit);
    free(d);
}

/* Who the request acts as, for the audit log: "api:<key id>(<holder>)" ("api" without a key),
 * cut to fit the bank audit actor (63 bytes) at a character boundary; the key id alone is
 * unambiguous. */
void serve_actor(const serve_req *r, char *out, size_t cap)
{
    size_t n;

    if (r->key_id <= 0) {
        snprintf(out, cap, "api");
        return;
    }
    n = (size_t)snprintf(out, cap, "api:%lld(%s)", (long long)r->key_id, r->key.holder);
    if (n < cap)
        return;
    n = cap - 2; /* room for ")" */
    while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
        n--;
    out[n] = ')';
    out[n + 1] = '\0';
}

serve_db *serve_db_get(serve_req *r, enum MHD_Result *ret)
{
    void *item;
    serve_db *d;
    cg_error err;
    char actor[64];

    if (cg_object_pool_take(r->srv->dbs, &item, &err) != CG_OK) {
        *ret = http_cg_error(r, CG_E_BACKEND, err.message);
        return NULL;
    }
    d = item;
    /* A pooled handle carries the previous request's settings: set all of them. The tenant
     * scopes the review queue and the outbox; the actor names the key in audit records; the
     * review rights say whether escalated items may be decided. */
    serve_actor(r, actor, sizeof(actor));
    if (cg_bankdb_set_tenant(d->db, r->key.tenant, &err) != CG_OK ||
        cg_review_set_actor(d->db, actor,
                            auth_has(r, CG_SCOPE_REVIEW_SENIOR) ? CG_REVIEW_RIGHT_SENIOR : 0,
                            &err) != CG_OK ||
        (d->audit != NULL && cg_bankdb_set_audit(d->db, d->audit, actor, &err) != CG_OK)) {
        cg_object_pool_give(r->srv->dbs, d);
        *ret = http_cg_error(r, CG_E_INVAL, err.message);
        return NULL;
    }
    return d;
}

serve_db *serve_db_get_stale_ok(serve_req *r, enum MHD_Result *ret)
{
    void *item;
    serve_db *d;
    cg_error err;

    if (r->srv->ro_dbs == NULL)
        return serve_db_get(r, ret);
    if (cg_object_pool_take(r->srv->ro_dbs, &item, &err) != CG_OK) {
        *ret = http_cg_error(r, CG_E_BACKEND, err.message);
        return NULL;
    }
    d = item;
    /* The tenant scopes what the key may see (exchanges); the handle writes nothing. */
    if (cg_bankdb_set_tenant(d->db, r->key.tenant, &err) != CG_OK) {
        cg_object_pool_give(r->srv->ro_dbs, d);
        *ret = http_cg_error(r, CG_E_INVAL, err.message);
        return NULL;
    }
    return d;
}

void serve_db_put(serve_req *r, serve_db *d)
{
    if (d != NULL && d->ro)
        cg_object_pool_give(r->srv->ro_dbs, d);
    else
        cg_object_pool_give(r->srv->dbs, d);
}

/* ---- requests --------------------------------------------------------------------------- */

/* libmicrohttpd calls this once when the headers are in (r == NULL), then once per chunk of the
 * body, then once more with no data; and, for a request a decoding worker answered, after the
 * connection is resumed (the response is already queued then). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    serve_server *s = cls;
    serve_req *r = *con_cls;
    enum MHD_Result ret;

    (void)version;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        r->srv = s;
        r->conn = conn;
        r->sc = conns_of(conn);
        r->method = method;
        r->url = url;
        r->id = atomic_fetch_add(&s->next_request, 1) + 1;
        r->t0_us = serve_now_us();
        atomic_fetch_add(&s->inflight, 1);
        *con_cls = r;
        if (router_headers(r, &ret) != 0)
            return ret;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;

        *upload_data_size = 0;
        conns_body_bytes(r->sc, n);
        if (r->too_large || r->overloaded || r->status != 0)
            return MHD_YES;
        if (r->len + n > r->limit) {
            /* A chunked body that grew past the limit: drop it, answer 413 at the end. */
            r->too_large = 1;
        } else if (r->len + n + 1 > r->cap) {
            /* A declared length was counted in full already: one buffer of that size. */
            size_t cap = r->cap != 0 ? r->cap : r->reserved > 0 ? r->reserved : 16384;
            char *p;

            while (cap < r->len + n + 1)
                cap *= 2;
            if (cap > r->limit + 1)
                cap = r->limit + 1;
            if (router_grow(r, cap) != 0) {
                r->overloaded = 1;
                metrics_event(s->metrics, "buffer_full");
            } else {
                p = realloc(r->body, cap);
                if (p == NULL)
                    return MHD_NO;
                r->body = p;
                r->cap = cap;
            }
        }
        if (r->too_large || r->overloaded) {
            free(r->body);
            r->body = NULL;
            r->len = r->cap = 0;
            return MHD_YES;
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
                          "the body is larger than this route accepts (%zu bytes)", r->limit);
    if (r->overloaded)
        return http_error(r, 503, "overloaded",
                          "the server is holding as many request bodies as it may; retry "
                          "shortly");
    if (r->body == NULL) {
        r->body = calloc(1, 1);
        if (r->body == NULL)
            return MHD_NO;
    }
    return router_run(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    serve_server *s = cls;
    serve_req *r = *con_cls;
    json_t *line;
    char *text;

    if (r == NULL)
        return;
    *con_cls = NULL;
    conns_idle(conns_of(conn)); /* the next request's headers are due from now */
    if (r->reserved > 0)
        atomic_fetch_sub(&s->buffered, r->reserved);
    metrics_request(s->metrics, r->route != NULL ? r->route : "(no route)", (int)r->status,
                    (double)(serve_now_us() - r->t0_us) / 1000.0);
    if (!s->cfg.access_log && r->status < 400 && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        serve_req_free(r); /* failures only: a success costs no log line */
        atomic_fetch_sub(&s->inflight, 1);
        return;
    }
    line = json_pack("{s:I, s:I, s:s, s:s, s:i, s:f, s:o, s:I}", "ts",
                     (json_int_t)time(NULL), "request", (json_int_t)r->id, "method", r->method,
                     "path", r->url,
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

/* libmicrohttpd's own messages, as JSON lines like every other (MHD_OPTION_EXTERNAL_LOGGER).
 * An attack can make it say the same thing thousands of times a second (every connection over
 * the per-address limit): at most 20 lines a second are written, and how many were not. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static time_t second;
    static unsigned written, dropped;
    char msg[512];
    size_t n;
    unsigned report = 0;
    int write_it;

    (void)cls;
    pthread_mutex_lock(&mu);
    if (time(NULL) != second) {
        report = dropped;
        second = time(NULL);
        written = dropped = 0;
    }
    write_it = written < 20;
    if (write_it)
        written++;
    else
        dropped++;
    pthread_mutex_unlock(&mu);
    if (report > 0)
        log_event("libmicrohttpd", "%u more messages in the previous second were not logged",
                  report);
    if (!write_it)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_event("libmicrohttpd", "%s", msg);
}

/* The engine's decoding limits and conversation bound come from the server's configuration
 * (lower than the library's defaults: an upload is untrusted). */
static void engine_limits(const serve_config *c, cg_engine_config *ec)
{
    serve_decode_options(c, &ec->decode);
    cg_video_limits_default(&ec->video_limits);
    ec->video_limits.max_duration_s = c->video_max_seconds;
    ec->video_limits.max_side = c->max_side;
    ec->video_limits.max_pixels = c->max_pixels;
    ec->video_limits.max_frames = c->video_max_frames;
    ec->video_limits.timeout_s = c->video_timeout_s;
    ec->max_conversations = c->max_conversations;
    ec->conversation_ttl_s = c->conversation_ttl_s;
    /* The live state (repeat counts, conversations' grooming evidence) survives a restart:
     * kept in the bank database, saved at most once a minute and at shutdown. */
    ec->state_save_s = c->db[0] != '\0' ? 60 : 0;
}

int serve_run(const serve_config *cfg)
{
    static serve_server srv; /* lives for the whole run; the daemon's threads point at it */
    serve_server *s = &srv;
    sigset_t set;
    cg_error err;
    unsigned threads, workers;
    int sig = 0, rc = 2, ipv6 = 0, loopback = 0, lfd;
    long ncpu;
    MHD_socket lsock;
    unsigned flags;

    serve_queue_prepare(cfg);
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    pthread_mutex_init(&s->engine_mu, NULL);
    pthread_mutex_init(&s->rate_mu, NULL);
    pthread_mutex_init(&s->keys_mu, NULL);
    atomic_init(&s->inflight, 0);
    atomic_init(&s->lag_since_ms, 0);
    atomic_init(&s->buffered, 0);
    atomic_init(&s->next_request, 0);

    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    threads = s->cfg.threads > 0 ? s->cfg.threads : (ncpu > 0 ? (unsigned)ncpu : 2);
    workers = s->cfg.decode_workers > 0 ? s->cfg.decode_workers
                                        : (ncpu > 1 ? (unsigned)ncpu / 2 : 1);
    if (serve_config_check(&s->cfg) != 0)
        return 2;
    lfd = serve_listen(&s->cfg, &loopback, &ipv6);
    if (lfd < 0)
        return 2;
    if (s->cfg.no_auth && !loopback) {
        fprintf(stderr, "childguard serve: --no-auth is refused on %s:%u, which is not a loopback "
                        "address: without keys anyone who can reach it could change the banks. "
                        "Listen on 127.0.0.1 for development, or create keys (childguard keys "
                        "create).\n",
                s->cfg.listen_addr, s->cfg.port);
        close(lfd);
        return 2;
    }

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
            close(lfd);
            return 2;
        }
        cg_bankdb_close(db);
    }
    /* The queue's link before the engine: a NATS that refuses us fails serve in a moment,
     * not after the engine's models have loaded. */
    if (serve_queue_start(s) != 0) {
        close(lfd);
        return 2;
    }
    if (engine_open(&s->cfg, &s->engine, &err) != CG_OK) {
        fprintf(stderr, "childguard serve: %s\n", err.message);
        serve_queue_stop(s);
        close(lfd);
        return 2;
    }
    if (cg_engine_vision_error(s->engine->engine) != NULL)
        fprintf(stderr, "childguard serve: nudity classifier unavailable, serving without it: "
                        "%s\n", cg_engine_vision_error(s->engine->engine));
    if (cg_object_pool_create(s->cfg.db_handles > 0 ? s->cfg.db_handles : threads + workers + 2,
                              db_create, db_destroy, &s->cfg, &s->dbs) != CG_OK ||
        /* Read-only handles for the routes whose reads may be a moment old, on the replica
         * (docs/scale.md): a few, each holds a connection to the replica and one to the
         * primary (its lag checks). */
        (getenv("CHILDGUARD_DB_REPLICA") != NULL &&
         cg_object_pool_create(threads < 4 ? threads : 4, db_create_ro, db_destroy, &s->cfg,
                               &s->ro_dbs) != CG_OK) ||
        cg_pdq_hasher_pool_create(threads + workers + 2, &s->hashers) != CG_OK ||
        auth_init(s) != 0) {
        fprintf(stderr, "childguard serve: out of memory\n");
        close(lfd);
        goto out;
    }
    /* A read-only handle would read from a replica (CHILDGUARD_DB_REPLICA): the keys
     * generation must come from the primary, so that a revoked key stops at once. */
    if (cg_bankdb_open(s->cfg.db, getenv("CHILDGUARD_DB_REPLICA") != NULL ? 0 : CG_BANKDB_READONLY,
                       &s->keys_db, &err) != CG_OK ||
        cg_keys_generation(s->keys_db, &s->keys_generation, &err) != CG_OK) {
        fprintf(stderr, "childguard serve: %s\n", err.message);
        close(lfd);
        goto out;
    }
    keysgen_open(s);
    s->started_ms = (int64_t)time(NULL) * 1000;
    s->metrics = metrics_new();
    s->conns = s->metrics != NULL ? conns_start(s) : NULL;
    s->heavy = s->conns != NULL ? heavy_start(s, workers, s->cfg.decode_queue) : NULL;
    if (s->heavy == NULL) {
        fprintf(stderr, "childguard serve: out of memory (or no threads)\n");
        close(lfd);
        goto out;
    }
    {
        webhook_options wo = {s->cfg.webhooks, s->cfg.n_webhooks, s->cfg.webhook_poll_ms,
                              s->cfg.webhook_max_attempts, 0, s->cfg.webhook_backoff_s};
        s->webhooks = webhooks_start(s->cfg.db, &wo, s->metrics, &err);
        if (s->webhooks == NULL) {
            fprintf(stderr, "childguard serve: %s\n", err.message);
            close(lfd);
            goto out;
        }
    }
    if (s->cfg.exchange_fetch) {
        exchange_fetcher_options fo = {s->cfg.db, s->cfg.log, s->cfg.exchange_key_file,
                                       s->cfg.exchange_interval_s, s->cfg.exchange_run_s, 0,
                                       s->cfg.exchange_nice, s->cfg.exchange_duty};
        s->fetcher = exchange_fetcher_start(&fo, &err);
        if (s->fetcher == NULL) {
            fprintf(stderr, "childguard serve: exchange fetcher: %s\n", err.message);
            close(lfd);
            goto out;
        }
    }

    flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET,
        (MHD_socket)lfd, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        s->cfg.connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, conns_notify, s->conns,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        /* MHD clears a connection's pool between requests: keep it small (headers only; bodies
         * go to our own buffers), or the clearing costs more than the lookup. It also bounds
         * what a client can make the server hold before the headers are complete. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_END);
    if (s->daemon == NULL) {
        fprintf(stderr, "childguard serve: cannot serve on %s:%u (libmicrohttpd refused to "
                        "start: %s)\n",
                s->cfg.listen_addr, s->cfg.port, errno != 0 ? strerror(errno) : "no reason");
        close(lfd);
        goto out;
    }
    if (s->cfg.no_auth)
        log_event("warning", "--no-auth: API keys are NOT checked; every local client may "
                             "change the banks. Use this only on a development machine.");
    log_event("listening", "childguard %s serving on %s:%u with %u threads and %u decoding "
                           "workers, database %s",
              cg_version(), s->cfg.listen_addr, s->cfg.port, threads, workers, s->cfg.db);

    while (sigwait(&set, &sig) != 0)
        ;
    log_event("shutdown", "signal %d: finishing %d request(s) in flight", sig,
              atomic_load(&s->inflight));
    lsock = MHD_quiesce_daemon(s->daemon);
    for (int i = 0; i < 3000 && atomic_load(&s->inflight) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* No connection may stay suspended when the daemon stops: the decoding queue is answered
     * and its workers joined first. */
    heavy_stop(s->heavy);
    s->heavy = NULL;
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    rc = 0;
out:
    heavy_stop(s->heavy);
    s->heavy = NULL;
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    conns_stop(s->conns);
    s->conns = NULL;
    exchange_fetcher_stop(s->fetcher); /* the page in flight commits or rolls back first */
    s->fetcher = NULL;
    webhooks_stop(s->webhooks); /* an attempt in flight finishes; pending entries stay stored */
    s->webhooks = NULL;
    serve_queue_stop(s);
    cg_object_pool_destroy(s->dbs);
    cg_object_pool_destroy(s->ro_dbs);
    cg_pdq_hasher_pool_destroy(s->hashers);
    auth_fini(s);
    cg_bankdb_close(s->keys_db);
    s->keys_db = NULL;
    serve_engine_release(s, s->engine);
    s->engine = NULL;
    metrics_free(s->metrics);
    s->metrics = NULL;
    if (rc == 0)
        log_event("stopped", "clean shutdown");
    return rc;
}
