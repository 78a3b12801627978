/* `childguard serve`: the HTTP service's internal contract, shared by the files of
 * programs/serve/. One file per concept:
 *   config.c      the configuration (defaults, JSON config file, command-line overrides)
 *   listen.c      the listening socket (host names resolved, one clear line when busy)
 *   server.c      the daemon: engine lifetime (refcounted swap), request bodies, logs, shutdown
 *   router.c      the route table; routing and authentication as soon as the headers arrive
 *   conns.c       connection deadlines (headers, body rate): the slowloris watchdog
 *   heavy.c       decoding routes run on a bounded pool of workers, never on the I/O threads
 *   http.c        multipart uploads, query values, JSON replies, generic error replies
 *   auth.c        API keys, scopes, per-key rate limits, failed-auth limits per address
 *   keysgen.c     noticing key changes (revocations) at the cost of a memory compare
 *   hashing.c     hashing uploaded bytes (PDQ, MD5, SHA-256) for /h/hash, /m/lookup, /c/...
 *   routes_hma.c  HMA 1.x hashing and matching routes (/h, /m, /status)
 *   routes_bank.c HMA 1.x curation routes (/c)
 *   routes_v1.c   the native API (/v1)
 *   export.c      streaming bank exports (a writer thread and a pipe)
 * Only the public API (include/childguard.h) is used. docs/api.md documents the routes. */
#ifndef CG_PROGRAMS_SERVE_H
#define CG_PROGRAMS_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "childguard.h"
#include "childguard/exchange_store.h"
#include "metrics.h"
#include "webhook.h"

#define SERVE_PATH_MAX 4096

/* ---- config.c ---------------------------------------------------------------------------- */

typedef struct serve_config {
    char listen_addr[256];         /* host name or IPv4/IPv6 literal, "127.0.0.1" by default */
    unsigned port;                 /* 8080 by default */
    char db[SERVE_PATH_MAX];       /* "" until resolved (dbpath_resolve) */
    char log[SERVE_PATH_MAX];      /* the audit log; "" until resolved (auditpath_resolve) */
    char policy[SERVE_PATH_MAX];   /* "" the shipped policy */
    char data_dir[SERVE_PATH_MAX]; /* "" the shipped text data */
    char country[8];               /* "" the text engine's default */
    char guidance_lang[4];         /* "" vi; guidance for undetected languages and files */
    unsigned threads;              /* MHD thread pool size, 0 = online CPUs */
    unsigned connection_limit;     /* simultaneous connections */
    unsigned timeout_s;            /* idle timeout per connection, seconds */
    size_t max_body;               /* bytes; larger bodies get 413 */
    int no_auth;                   /* 1: no API keys checked (development only) */
    int rate_per_second;           /* default per-key rate, 0 = unlimited */
    int burst;                     /* bucket size, 0 = max(1, rate) */
    int refresh_ms;                /* matcher refresh period */
    int stale_seconds;             /* /status says INDEX-STALE past this lag, 0 = never */
    int review;                    /* 1: scans queue review items (default) */
    int classify;                  /* 1: scans run the nudity model (default) */
    unsigned db_handles;           /* bank database handles kept open, 0 = threads + 2 */
    int key_cache_s;               /* verified API keys are trusted this long (default 5) */
    int access_log;                /* 1: a JSON line per request (default); 0: failures only */
    webhook_target webhooks[16];   /* "webhooks": receivers of notify actions, by target */
    size_t n_webhooks;
    int webhook_poll_ms, webhook_max_attempts, webhook_backoff_s;
    /* Hardening (docs/security.md). */
    unsigned per_ip_connections;   /* simultaneous connections per client address, 0 = none */
    unsigned header_timeout_s;     /* the request headers must be complete within this */
    unsigned body_min_rate;        /* bytes/s a body must keep up, after header_timeout_s */
    size_t max_buffered;           /* request bytes held across all connections; over: 503 */
    int auth_failures_per_minute;  /* failed authentications per address, then 429 */
    int auth_failure_burst;
    uint64_t max_pixels;           /* images (and video frames) decoded for scans and hashing */
    unsigned max_side;
    uint64_t video_max_frames;
    double video_max_seconds;      /* duration of a video */
    double video_timeout_s;        /* wall clock spent on one video */
    unsigned decode_workers;       /* decoding routes run on these, 0 = half the CPUs (>= 1) */
    unsigned decode_queue;         /* waiting decoding requests; more: 503 */
    size_t max_conversations;      /* conversation states kept (least recently used out) */
    int64_t conversation_ttl_s;    /* idle conversations are forgotten after this, 0 = never */
    int64_t outbox_max_pending;    /* pending webhook entries per tenant; more are dropped */
    int64_t flood_per_hour;        /* exchange signal flood quarantine (engine.h); 0 default */
    char web_dir[SERVE_PATH_MAX];  /* the web pages (static.c); "" the built-in search */
    int selfhash;                  /* 1: POST /v1/selfhash takes submissions (routes_selfhash.c) */
    int selfhash_per_hour;         /* submissions and withdrawals per client address per hour */
    int selfhash_max_pending;      /* self-hash items waiting for review; more: 503 */
    char nats[1024];               /* --queue: the NATS servers of the job queue; "" off */
    char queue_stream[65];         /* the jobs stream, "" CG_JOBS (docs/queue.md) */
    int queue_replicas;            /* stream replicas when serve creates the streams */
    /* Exchanges (docs/exchange.md, "In serve"). */
    int exchange_fetch;            /* 1: the fetch scheduler runs (default) */
    int exchange_interval_s;       /* between runs of one exchange (default 60) */
    int exchange_run_s;            /* the longest run (default 30) */
    int exchange_nice;             /* fetcher threads' nice, 0..19 (default 10) */
    int exchange_duty;             /* fetcher threads' CPU share in percent, 1..100 (default 25) */
    char exchange_key_file[SERVE_PATH_MAX]; /* "" DB.exchange-key */
} serve_config;

void serve_config_default(serve_config *c);
/* Reads a JSON config file (keys in docs/api.md) over c. Returns 0, or -1 with a message
 * printed. */
int serve_config_load(serve_config *c, const char *path);
/* Parses "HOST:PORT", "[v6]:PORT" or ":PORT" into c (HOST: a name or an address literal,
 * resolved when the server starts). Returns 0 or -1. */
int serve_config_listen(serve_config *c, const char *text);
/* Checks what a config file or the command line cannot check alone (no --no-auth off
 * loopback is checked at bind time). Returns 0, or -1 with a message printed. */
int serve_config_check(const serve_config *c);

/* ---- listen.c ---------------------------------------------------------------------------- */

/* Resolves c's host and binds a listening TCP socket. *loopback is 1 when the address bound is
 * a loopback one. Returns the socket, or -1 with one line printed ("cannot listen on HOST:PORT:
 * the address is already in use ..."). */
int serve_listen(const serve_config *c, int *loopback, int *ipv6);

/* A read-write bank database handle with its own audit-log handle. */
typedef struct serve_db {
    cg_bankdb *db;
    cg_audit *audit;     /* NULL without an audit log */
    int ro;              /* 1: a read-only handle of ro_dbs (on the replica) */
} serve_db;

/* ---- server state ------------------------------------------------------------------------- */

/* An engine with a reference count: a policy reload swaps in a new one, and the old one is
 * closed when its last in-flight request releases it. */
typedef struct serve_engine {
    cg_engine *engine;
    int refs;            /* under serve_server.engine_mu; the server's own reference counts */
} serve_engine;

typedef struct serve_bucket serve_bucket;
typedef struct serve_conns serve_conns;
typedef struct serve_heavy serve_heavy;
typedef struct serve_auth_limits serve_auth_limits;
typedef struct serve_queue serve_queue;

typedef struct serve_server {
    serve_config cfg;
    struct MHD_Daemon *daemon;
    pthread_mutex_t engine_mu;
    serve_engine *engine;          /* current engine (holds one reference) */
    cg_object_pool *dbs;           /* serve_db: a cg_bankdb is used by one thread at a time */
    cg_object_pool *ro_dbs;        /* read-only serve_db on the replica (--db-replica); NULL */
    cg_pdq_hasher_pool *hashers;   /* PDQ hashers for the hashing routes */
    pthread_mutex_t rate_mu;       /* guards buckets */
    serve_bucket *buckets[256];
    atomic_int inflight;           /* requests between first call and completion */
    atomic_llong lag_since_ms;     /* when the matcher was first seen behind the db, 0 none */
    int64_t started_ms;
    metrics *metrics;              /* /metrics */
    webhooks *webhooks;            /* delivers the outbox (notify actions) */
    atomic_size_t buffered;        /* request body bytes held across connections */
    atomic_ullong next_request;    /* request ids, for the log and error replies */
    serve_conns *conns;            /* connection deadlines (conns.c) */
    serve_heavy *heavy;            /* decoding workers (heavy.c) */
    serve_auth_limits *auth_limits; /* failed authentications per address (auth.c) */
    pthread_mutex_t keys_mu;       /* keys_db, keys_generation */
    cg_bankdb *keys_db;            /* read-only, for the keys generation on every request */
    int64_t keys_generation;
    atomic_uint_least64_t keys_version_seen; /* keysgen.c: the store's data version when the
                                                generation was last read */
    atomic_int keys_version_known; /* 1: keys_version_seen was set */
    serve_queue *queue;            /* --queue: the NATS link of /v1/jobs (routes_jobs.c) */
    struct exchange_fetcher *fetcher; /* the exchanges' fetch scheduler, NULL when off */
} serve_server;

/* ---- http.c ------------------------------------------------------------------------------ */

#define SERVE_MAX_PARAMS 3

typedef struct serve_route serve_route;
typedef struct serve_conn serve_conn;

typedef struct serve_req {
    serve_server *srv;
    struct MHD_Connection *conn;
    serve_conn *sc;                /* the connection's deadlines (conns.c), NULL untracked */
    const char *method;
    const char *url;
    uint64_t id;                   /* request id: in the log line and in error replies */
    char *body;                    /* raw body, NUL-terminated, at most limit bytes */
    size_t len, cap;
    size_t limit;                  /* the route's body limit (router.c) */
    size_t reserved;               /* bytes counted in srv->buffered for this request */
    int too_large;                 /* the body went past limit; the rest was discarded */
    int overloaded;                /* max_buffered reached; the rest was discarded (503) */
    int64_t t0_us;
    unsigned status;               /* the status queued, for the log */
    int64_t key_id;                /* the API key used, 0 none */
    cg_key key;                 /* with --no-auth: an "anonymous" key of every scope */
    const serve_route *rt;         /* the matched route, NULL before routing */
    const char *route;             /* the matched route pattern, e.g. "/c/bank/{*}"; NULL none */
    char params[SERVE_MAX_PARAMS][256]; /* path segments captured by the route pattern */
    /* multipart upload (http_upload) */
    struct MHD_PostProcessor *pp;
    char *file;
    size_t file_len;
    int n_files;
    int file_too_large;
    char file_field[64];
    char file_name[256];
    json_t *fields;                /* text fields of the form */
} serve_req;

int64_t serve_now_us(void);
void serve_req_free(serve_req *r);
/* Logs one server-side line {"event": event, "request": id, ...} on stderr (details that never
 * go to clients). */
void serve_log(const char *event, uint64_t request, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replies. Each queues a response and returns MHD's result; json replies steal j. */
enum MHD_Result http_json(serve_req *r, unsigned status, json_t *j);
enum MHD_Result http_error(serve_req *r, unsigned status, const char *error, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));
enum MHD_Result http_bytes(serve_req *r, unsigned status, const char *ctype, const void *data,
                           size_t len);
/* An error reply for a library failure: the status mapped to HTTP (http_status_of), with a
 * generic message and the request id; message (which may name files, reviewers or internals)
 * goes to the server log only. */
enum MHD_Result http_cg_error(serve_req *r, cg_status st, const char *message);
unsigned http_status_of(cg_status st);
enum MHD_Result http_queue(serve_req *r, unsigned status, struct MHD_Response *resp);

const char *http_query(serve_req *r, const char *name);
const char *http_header(serve_req *r, const char *name);
/* 1 when the query value is "true"/"1"/"yes". */
int http_query_bool(serve_req *r, const char *name);

/* Parses the body as a JSON object into *out. On failure queues a 400 and returns -1 with
 * *ret set. */
int http_body_json(serve_req *r, json_t **out, enum MHD_Result *ret);
/* The uploaded content: the first file of a multipart/form-data body, else the raw body. On
 * failure (no content, more than one file) queues a 400 and returns -1 with *ret set. */
int http_upload(serve_req *r, const uint8_t **data, size_t *len, enum MHD_Result *ret);

/* ---- auth.c ------------------------------------------------------------------------------ */

/* Checks the request's key for scope (0: no key needed) and its rate. Returns 0 when the
 * request may go on; else queues 401/403/429 (or 500) and returns -1 with *ret set. A client
 * address with too many failed authentications gets 429 before its token is even looked at. */
int auth_check(serve_req *r, unsigned scope, enum MHD_Result *ret);
int auth_init(serve_server *s);
/* The client's address as 16 bytes (IPv4 as v4-mapped IPv6); 0 when unknown. */
int auth_client_addr(serve_req *r, uint8_t out[16]);
void auth_fini(serve_server *s);
/* 1 when the request's key has every bit of scope (admin has all). */
int auth_has(const serve_req *r, unsigned scope);
/* The reviewer the request acts as: the key's holder; an admin key may name another reviewer
 * (body "reviewer"), recorded as both (docs/security.md). NULL with a 403 queued when a
 * non-admin key names someone else. */
const char *auth_reviewer(serve_req *r, json_t *body, enum MHD_Result *ret);

/* ---- keysgen.c --------------------------------------------------------------------------- */

/* Forgets any remembered data version (after keys_db was opened). */
void keysgen_open(serve_server *s);
/* 1 when nothing was committed to the store since keysgen_remember: the keys generation
 * cannot have moved. 0 otherwise (or when the store cannot tell cheaply). Lock-free. */
int keysgen_unchanged(serve_server *s);
/* Remembers the store's data version; call (under keys_mu) before reading the generation. */
void keysgen_remember(serve_server *s);

/* ---- router.c ---------------------------------------------------------------------------- */

/* Routes and authenticates r as soon as its headers are in (the first call): unknown routes,
 * wrong methods, missing or bad keys, bodies declared larger than the route allows and a full
 * buffer are answered at once, without reading the body. Returns 0 when the body may come;
 * else -1 with *ret set. */
int router_headers(serve_req *r, enum MHD_Result *ret);
/* Counts more of the server-wide buffer for a body growing to need bytes (chunked bodies);
 * -1 when max_buffered is reached. */
int router_grow(serve_req *r, size_t need);
/* Runs the routed request once its body is in: on this thread, or on a decoding worker
 * (suspending the connection) for the routes that decode content. */
enum MHD_Result router_run(serve_req *r);
/* Calls the route's function (what a decoding worker runs). */
enum MHD_Result router_call(serve_req *r);

/* ---- conns.c ----------------------------------------------------------------------------- */

/* Per-connection deadlines: the headers of each request within header_timeout_s of the
 * connection opening (or of the previous response), and then a body that keeps up
 * body_min_rate bytes/s; a connection that misses one is shut down by a watchdog thread. */
serve_conns *conns_start(serve_server *s);
void conns_stop(serve_conns *c);
/* MHD's connection notifications (MHD_OPTION_NOTIFY_CONNECTION). */
void conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe);
serve_conn *conns_of(struct MHD_Connection *conn);
void conns_body_started(serve_conn *c);
void conns_body_bytes(serve_conn *c, size_t n);
void conns_processing(serve_conn *c);
void conns_idle(serve_conn *c);

/* ---- heavy.c ----------------------------------------------------------------------------- */

serve_heavy *heavy_start(serve_server *s, unsigned workers, unsigned queue_max);
/* Suspends r's connection and queues it for a worker, which runs router_call and resumes the
 * connection. -1 when the queue is full (nothing suspended). */
int heavy_submit(serve_heavy *h, serve_req *r);
/* Answers 503 to the requests still queued, waits for the running ones, joins the workers. */
void heavy_stop(serve_heavy *h);
void heavy_counts(serve_heavy *h, unsigned *queued, unsigned *running);

/* ---- server.c ---------------------------------------------------------------------------- */

serve_engine *serve_engine_acquire(serve_server *s);
void serve_engine_release(serve_server *s, serve_engine *e);
/* Opens a new engine from the configuration and swaps it in. */
cg_status serve_engine_reload(serve_server *s, cg_error *err);
/* A database handle from the pool, with actor set for audit records; NULL with a 500 queued
 * (and *ret set) when none can be opened. */
serve_db *serve_db_get(serve_req *r, enum MHD_Result *ret);
/* The same for a read that may be a moment old (never one a client makes right after its own
 * write): a read-only handle, on the replica when serve has one (--db-replica; docs/scale.md
 * lists the routes that use it), else serve_db_get's. No audit log: it writes nothing. */
serve_db *serve_db_get_stale_ok(serve_req *r, enum MHD_Result *ret);
/* Gives back a handle of either. */
void serve_db_put(serve_req *r, serve_db *d);
/* The audit actor of the request: "api:<key id>(<holder>)", or "api" without a key; at most 63
 * bytes. */
void serve_actor(const serve_req *r, char *out, size_t cap);

/* Runs the server until SIGTERM/SIGINT. Returns a CLI exit status. */
int serve_run(const serve_config *cfg);

/* ---- hashing.c --------------------------------------------------------------------------- */

typedef struct serve_hashes {
    int has_pdq;
    cg_pdq_result pdq;
    cg_digests digests;
    cg_image_format format;
    cg_status decode_status;
    char decode_error[CG_ERROR_MAX];
} serve_hashes;

/* Digests the bytes and, when they are an image, PDQ-hashes them (a decode failure leaves
 * has_pdq 0 and says why). Returns CG_OK unless out of memory or no hasher. */
cg_status serve_hash_bytes(serve_server *s, const uint8_t *data, size_t len, serve_hashes *out,
                           cg_error *err);
/* The decoding limits of the server (max_pixels, max_side, max_body). */
void serve_decode_options(const serve_config *c, cg_decode_options *opt);
/* Lowercase hex of the signal of type name in h into out (65 bytes); 0 when h has none. */
int serve_hash_hex(const serve_hashes *h, const char *type, char *out);

/* ---- routes ------------------------------------------------------------------------------ */

typedef enum MHD_Result (*serve_route_fn)(serve_req *r);

enum MHD_Result hma_hash_get(serve_req *r);
/* routes_exchange.c */
enum MHD_Result exchange_apis_route(serve_req *r);
enum MHD_Result exchange_list_route(serve_req *r);
enum MHD_Result exchange_create_route(serve_req *r);
enum MHD_Result exchange_get_route(serve_req *r);
enum MHD_Result exchange_update_route(serve_req *r);
enum MHD_Result exchange_delete_route(serve_req *r);
enum MHD_Result exchange_status_route(serve_req *r);
enum MHD_Result exchange_flood_route(serve_req *r);
/* routes_exchange_flood.c: the flood quarantine's view of exchange ex, read on db (the
 * request's tenant): the limit, this process's counters and the quarantined signals; full adds
 * the lists. NULL with err set on failure. */
json_t *exchange_flood_json(serve_req *r, cg_bankdb *db, const cg_exchange_info *ex, int full,
                            cg_error *err);
/* routes_exchange_api.c: HMA's per-API credential routes; the credential status of exchange ex
 * (its own, its API's or none; whether they open; the error naming the file), read on db. */
json_t *exchange_credential_status(serve_req *r, cg_bankdb *db, const cg_exchange_info *ex);
enum MHD_Result exchange_api_get_route(serve_req *r);
enum MHD_Result exchange_api_post_route(serve_req *r);
enum MHD_Result exchange_api_schema_route(serve_req *r);
enum MHD_Result hma_hash_post(serve_req *r);
enum MHD_Result hma_raw_lookup(serve_req *r);
enum MHD_Result hma_lookup_get(serve_req *r);
enum MHD_Result hma_lookup_post(serve_req *r);
enum MHD_Result hma_index_status(serve_req *r);
enum MHD_Result hma_compare(serve_req *r);
enum MHD_Result hma_status(serve_req *r);
enum MHD_Result hma_status_live(serve_req *r);

enum MHD_Result bank_list(serve_req *r);
enum MHD_Result bank_create_route(serve_req *r);
enum MHD_Result bank_get_route(serve_req *r);
enum MHD_Result bank_update_route(serve_req *r);
enum MHD_Result bank_delete_route(serve_req *r);
enum MHD_Result bank_signal_add_route(serve_req *r);
enum MHD_Result bank_content_add_route(serve_req *r);
enum MHD_Result bank_content_get_route(serve_req *r);
enum MHD_Result bank_content_update_route(serve_req *r);
enum MHD_Result bank_content_delete_route(serve_req *r);
/* Shared with routes_v1.c: the bank named name through d, or a 404 queued. */
int bank_lookup(serve_req *r, serve_db *d, const char *name, cg_bank *b, enum MHD_Result *ret);

enum MHD_Result v1_scan(serve_req *r);
enum MHD_Result v1_message(serve_req *r);
enum MHD_Result v1_review_list(serve_req *r);
enum MHD_Result v1_review_get(serve_req *r);
enum MHD_Result v1_review_claim(serve_req *r);
enum MHD_Result v1_review_release(serve_req *r);
enum MHD_Result v1_review_decide(serve_req *r);
enum MHD_Result v1_review_report(serve_req *r);
enum MHD_Result v1_review_preview(serve_req *r);
enum MHD_Result v1_audit_verify(serve_req *r);
enum MHD_Result v1_bank_export(serve_req *r);
enum MHD_Result v1_bank_import(serve_req *r);
enum MHD_Result v1_policy_reload(serve_req *r);
enum MHD_Result serve_metrics_route(serve_req *r);

/* static.c and routes_ui.c: the web pages under /ui/ (docs/web.md). */
enum MHD_Result ui_static(serve_req *r);
enum MHD_Result ui_redirect(serve_req *r);
enum MHD_Result ui_guidance(serve_req *r);
/* "vi" or "en" for r: ?lang=, else Accept-Language, else "en". */
const char *static_lang(serve_req *r);
/* Content-Type plus the pages' security headers (CSP, nosniff, no-referrer, no framing). */
int static_headers(struct MHD_Response *resp, const char *ctype);

/* routes_selfhash.c: the victims' self-hashing intake (docs/api.md, docs/security.md). */
enum MHD_Result selfhash_submit(serve_req *r);
enum MHD_Result selfhash_withdraw(serve_req *r);
enum MHD_Result selfhash_status(serve_req *r);

/* routes_v1.c: after a scan whose record step wrote outbox rows (the engine's notify), wakes
 * the deliverer; counts and logs notifications dropped by a full outbox. Returns the number of
 * rows written. */
int serve_notify(serve_req *r, const cg_verdict *v);

/* routes_v1.c: records in the audit log that data (a report draft, a preview) of review item
 * id is handed out (kind, format, its SHA-256 and size, the key); -1 with *ret set when it
 * cannot be recorded (then it must not be handed out). */
int audit_handout(serve_req *r, serve_db *d, const char *kind, int64_t id, const char *format,
                  const void *data, size_t len, enum MHD_Result *ret);

/* review_held.c: reads review item id of the key's tenant into *item and checks that the
 * request's reviewer holds it (claimed by them); an admin key passes when the item is claimed
 * (ADMIN_CLAIMED) or in any state (ADMIN_ANY_STATE). 0, or -1 with *ret set (the store's error,
 * 404 for a missing item; 409 "claim the item first: <what> only to the reviewer ..."). */
enum { ADMIN_CLAIMED = 0, ADMIN_ANY_STATE = 1 };
int review_item_held(serve_req *r, serve_db *d, int64_t id, int admin, const char *what,
                     cg_review_item *item, enum MHD_Result *ret);

/* routes_reveal.c: GET /v1/review/<id>/reveal?level=1|2|3 (the review console's stepwise
 * reveal of a quarantine preview, each level audited). */
enum MHD_Result v1_review_reveal(serve_req *r);

/* routes_excerpt.c: GET /v1/review/<id>/excerpt (a text item's conversation excerpt under the
 * policy's text quarantine; claimed items only, audited). */
enum MHD_Result v1_review_excerpt(serve_req *r);

/* routes_jobs.c: POST /v1/jobs, GET /v1/jobs/<id> (serve --queue, docs/queue.md); the NATS
 * link is opened by serve_queue_start (0, or -1 with a message; nothing without cfg.nats). */
enum MHD_Result v1_job_submit(serve_req *r);
enum MHD_Result v1_job_get(serve_req *r);
int serve_queue_start(serve_server *s);
void serve_queue_stop(serve_server *s);
/* Called first thing by serve_run: a link that will use TLS keeps OpenSSL's exit handler from
 * being registered before libnats's (queue_tls_prepare in programs/queue/queue.h). */
void serve_queue_prepare(const serve_config *c);

/* routes_hma.c: 1 when the request's key may see bank (its bank list). */
int serve_bank_visible(const serve_req *r, const char *bank);

/* export.c: a streaming response of bank_id's signals in fmt (NULL on failure). */
struct MHD_Response *export_response(const char *db_path, int64_t bank_id, cg_list_format fmt,
                                     cg_error *err);

#endif
