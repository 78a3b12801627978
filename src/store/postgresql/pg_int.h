/* Internal: the PostgreSQL backend of the store (store_ops.h, issue 17), shared by its files.
 *
 * pg_store.c     the connection: open/close, the location (a postgresql:// URL), identity
 *                and schema migrations, transactions (savepoints when nested), the statement
 *                helpers and PostgreSQL errors -> cg_status.
 * pg_schema.c    the migration steps (the same versions as the SQLite schema).
 * pg_bank.c      banks.
 * pg_signal.c    signals.
 * pg_changes.c   the change log (written by triggers) and its notifications.
 * pg_review_read.c, pg_review_write.c  the review queue's rows; pg_excerpt.c the text
 *                excerpts of review items.
 * pg_exchange.c  exchanges: configuration, sealed credentials, checkpoint and fetch status,
 *                signal provenance (links), back-off and refetch generation;
 *                pg_feedback.c the exchange feedback queue; pg_exchange_page.c an exchange
 *                page applied set-based (one COPY, a few statements per segment).
 * pg_keys.c      API keys' rows; pg_outbox.c the webhook outbox; pg_jobs.c the job ledger.
 * pg_vpdq.c      the frames of vPDQ signals; pg_state.c the engine's saved state.
 * pg_notify.c    the change listener (LISTEN on a connection of its own, store_watch.h).
 * pg_replica.c   read-only handles on a streaming replica (CHILDGUARD_DB_REPLICA).
 * pg_import.c    the import ops: every row through one binary COPY into a staging table,
 *                merged into signals by set-based statements.
 * pg_ops.c       the table of operations (cg__store_postgresql).
 *
 * docs/banks.md ("Backends") describes what this backend supports.
 * Threading: a cg_bankdb is used by one thread at a time (one PGconn per handle). */
#ifndef CG_STORE_PG_INT_H
#define CG_STORE_PG_INT_H

#include <stdint.h>

#include <libpq-fe.h>

#include "store/store_int.h"

/* How long a statement waits for another connection's lock (the write lock of begin_write)
 * before failing with "database is locked" (milliseconds), as the SQLite busy timeout. */
#define CG__PG_LOCK_TIMEOUT_MS 5000

/* Statements prepared once per connection (PQprepare), by slot: the hot paths. */
typedef enum cg__pg_stmt {
    CG__PG_SIGNAL_INSERT = 0,
    CG__PG_SIGNAL_LOOKUP,
    CG__PG_SIGNAL_FILL,
    CG__PG_SIGNAL_GET,
    CG__PG_BANK_BY_NAME,
    CG__PG_BANK_BY_ID,
    CG__PG_STMT_COUNT
} cg__pg_stmt;

/* Bytes of COPY rows an import gathers before it sends them (the COPY stays open). */
#define CG__PG_COPY_CHUNK (1u << 20)
#define CG__PG_STR_(x) #x
#define CG__PG_STR(x) CG__PG_STR_(x)

/* A change listener (pg_notify.c). */
typedef struct cg__pg_watch cg__pg_watch;

/* A read-only handle's view of its replica's replay lag (pg_replica.c). */
typedef struct cg__pg_lag cg__pg_lag;

/* The connection state behind db->be. */
typedef struct cg__pg {
    char *url;                       /* the URL connected to (for the listener; not printed) */
    cg__pg_watch *watch;             /* NULL: not watched */
    int on_replica;                  /* 1: conn is to CHILDGUARD_DB_REPLICA (pg_replica.c) */
    int64_t replica_lost_at;         /* when a read-only handle last fell back to the primary */
    cg__pg_lag *lag;                 /* the replica's lag limit (pg_replica.c); NULL: none */
    PGconn *conn;
    int prepared[CG__PG_STMT_COUNT]; /* 1: slot prepared on this connection */
    int tx_depth;                    /* open levels: 1 the transaction, more are savepoints */
    char schema[64];                 /* current_schema() at open: names the notify channel */
    char last_state[6];              /* SQLSTATE of the last failure ("" for none) */
    int64_t import_seq0;             /* the change seq when the running import began */
    int import_bulk;                 /* 1: the running import logs one bulk entry (pg_import.c) */
    int64_t import_bank;             /* its bank */
    int64_t import_now;              /* the `added` time of its new signals */
    int64_t import_late;             /* rows put as added that its merges found were merges */
    int stage_ready;                 /* 1: its staging table exists */
    int copy_open;                   /* 1: a COPY into the staging table is in progress */
    char *copy_buf;                  /* binary COPY rows not yet sent */
    size_t copy_len, copy_cap;
    size_t copy_rows;                /* rows in copy_buf */
    int64_t copy_total;              /* rows sent to the staging table by this import */
    int64_t stage_rows;              /* rows in the staging table (sent, not yet merged) */
} cg__pg;

/* Parameters of one statement: text (format 0) or binary bytes (format 1). */
#define CG__PG_MAX_PARAMS 16
typedef struct cg__pg_params {
    const char *val[CG__PG_MAX_PARAMS];
    int len[CG__PG_MAX_PARAMS];
    int fmt[CG__PG_MAX_PARAMS];
    char num[CG__PG_MAX_PARAMS][24];
    int n;
} cg__pg_params;

void cg__pg_param_int(cg__pg_params *p, int64_t v);
void cg__pg_param_text(cg__pg_params *p, const char *s);
void cg__pg_param_bytes(cg__pg_params *p, const void *data, size_t n);
/* A NULL parameter. */
void cg__pg_param_null(cg__pg_params *p);

static inline PGconn *cg__pgc(const cg_bankdb *db)
{
    return ((const cg__pg *)db->be)->conn;
}

/* Maps a SQLSTATE to a cg_status (23: INVAL, 53100: IO, 53200: NOMEM, 55P03/40001/40P01:
 * BACKEND "database is locked", 08: IO, 22: INVAL, XX001: DECODE, else BACKEND). */
cg_status cg__pg_status(const char *sqlstate);
/* Records the failure of res (or of the connection when res is NULL) in err:
 * "<path>: <what>: <PostgreSQL's message>"; returns the mapped status. */
cg_status cg__pg_fail(cg_bankdb *db, const PGresult *res, cg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Runs sql with params (NULL: none); text results. On success *out holds the result (PQclear
 * by the caller; NULL out: cleared here). what names the step in messages. */
cg_status cg__pg_query(cg_bankdb *db, const char *sql, const cg__pg_params *params,
                       const char *what, PGresult **out, cg_error *err);
/* The same with the statement of slot, prepared from sql on its first use. */
cg_status cg__pg_query_slot(cg_bankdb *db, cg__pg_stmt slot, const char *sql,
                            const cg__pg_params *params, const char *what, PGresult **out,
                            cg_error *err);
/* Runs SQL without parameters or results (may hold several statements). */
cg_status cg__pg_exec(cg_bankdb *db, const char *sql, const char *what, cg_error *err);
/* The integer in row 0, column col of res (0 when NULL). */
int64_t cg__pg_int(const PGresult *res, int row, int col);
/* Copies text field (row, col) into dst (cap bytes); -1 when it does not fit. */
int cg__pg_text(const PGresult *res, int row, int col, char *dst, size_t cap);
/* The same, cut at a character boundary when longer than cap - 1 bytes (for rows a hand edit
 * may have made longer than the checks allow: never an overflow); NULL reads as "". */
void cg__pg_text_cut(const PGresult *res, int row, int col, char *dst, size_t cap);
/* Decodes the hex text of field (row, col) into dst (exactly n bytes expected); -1 otherwise. */
int cg__pg_hex(const PGresult *res, int row, int col, uint8_t *dst, size_t n);

/* 1 while a transaction (or a failed one) is open on the connection. */
int cg__pg_in_tx(cg_bankdb *db);

/* Banks (pg_bank.c): bank id into out; CG_E_NOTFOUND when absent. */
cg_status cg__pg_bank_load_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);
/* Signals (pg_signal.c): the add/merge of one checked signal inside the caller's
 * transaction. */
cg_status cg__pg_signal_add_in_tx(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                  int *filled, cg_error *err);

/* The migration steps (pg_schema.c): step i takes the version from i to i + 1. */
extern const char *const cg__pg_migrations[CG__BANKDB_SCHEMA_VERSION];

/* Test hook: the handle's lock timeout (the locked-store test waits 300 ms, not 5 s). */
cg_status cg__pg_set_lock_timeout(cg_bankdb *db, int ms, cg_error *err);

/* ---- the operations (store_ops.h) ---- */
cg_status cg__pg_open(cg_bankdb *db, const char *where, cg_error *err);
void cg__pg_close(cg_bankdb *db);

/* The URL with its password masked, for messages (a new string, cg__free; NULL no memory). */
char *cg__pg_display_location(const char *url);

/* Session settings (those of open: lock timeout, UTF-8, UTC, read-only for a read-only
 * handle) on another connection of db's; 0 when they failed. */
int cg__pg_conn_setup(const cg_bankdb *db, PGconn *conn);

/* pg_replica.c: CHILDGUARD_DB_REPLICA when it is a postgresql:// URL, else NULL. */
const char *cg__pg_replica_url(void);
/* A connection to url (connect_timeout 3 s unless the URL sets one), or NULL with why[]. */
PGconn *cg__pg_replica_connect(const char *url, char *why, size_t why_len);
/* At open: the replica's connection for a read-only handle when there is one (sets
 * on_replica); NULL (a line on stderr when the replica is unreachable): use the primary. */
PGconn *cg__pg_replica_open(cg_bankdb *db);
/* Outside a transaction of a read-only handle: failed = 1 after a failed statement (a lost
 * replica: reset, else switch to the primary, a line on stderr), 0 before one (back to the
 * replica some time after a loss; the lag limit, CHILDGUARD_DB_REPLICA_MAX_LAG: to the primary
 * while the replica is further behind, back once it has caught up; a line each way). 1: the
 * connection was switched; 2: the replica's connection was reset; the caller runs the
 * statement again (once). 0: nothing changed. */
int cg__pg_replica_check(cg_bankdb *db, int failed);
/* The listener, after a notification: waits (at most 5 s, or the lag limit when shorter)
 * until the replica at url (NULL: no wait) has replayed the primary's WAL position as read now
 * on primary; *replica is the listener's connection to it (made, or remade, here); *down_at
 * when it could not be reached (then not tried for 30 s; 0 initially). A position not
 * replayed within the lag limit is told to lag (the watched handle's, NULL: none): its next
 * statement reads from the primary. */
void cg__pg_replica_wait(PGconn *primary, PGconn **replica, const char *url, int64_t *down_at,
                         cg__pg_lag *lag);
/* 1 while the handle of lag reads from the primary because its replica is too far behind
 * (any thread). */
int cg__pg_replica_lagging(const cg__pg_lag *lag);
/* cg_bankdb_replica_state_get (store_ops.h). */
cg_status cg__pg_replica_state(cg_bankdb *db, cg_bankdb_replica_state *out, cg_error *err);
/* Frees the handle's lag state and its spare connection (close). */
void cg__pg_replica_close(cg__pg *c);
cg_status cg__pg_snapshot_begin(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__pg_snapshot_end(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__pg_begin_write(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__pg_commit(cg_bankdb *db, const char *what, cg_error *err);
void cg__pg_rollback(cg_bankdb *db);
cg_status cg__pg_bank_insert(cg_bankdb *db, cg_bank *bank, const char *thresholds, int64_t now,
                             cg_error *err);
cg_status cg__pg_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err);
cg_status cg__pg_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);
cg_status cg__pg_bank_update_row(cg_bankdb *db, const cg_bank *bank, const char *thr,
                                 const char *name, cg_error *err);
cg_status cg__pg_bank_delete_facts(cg_bankdb *db, const char *name, int64_t *id, int64_t *count,
                                   cg_error *err);
cg_status cg__pg_bank_delete_row(cg_bankdb *db, const char *name, cg_error *err);
cg_status cg__pg_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                           cg_error *err);
cg_status cg__pg_signal_put(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                            int *filled, cg_error *err);
cg_status cg__pg_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err);
cg_status cg__pg_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                             const uint8_t *value, cg_bank_signal *out, cg_error *err);
cg_status cg__pg_signal_describe(cg_bankdb *db, int64_t id, cg__signal_facts *f, cg_error *err);
cg_status cg__pg_signal_set_disabled_row(cg_bankdb *db, int64_t id, int64_t until,
                                         cg_error *err);
cg_status cg__pg_signal_delete_row(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__pg_signal_foreach(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                cg_error *err);
cg_status cg__pg_signal_count(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                              int64_t *out, cg_error *err);
cg_status cg__pg_import_begin(cg_bankdb *db, int64_t bank_id, cg_bank *bank, cg_error *err);
cg_status cg__pg_import_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                            size_t n, int64_t now, int *merged, cg_error *err);
cg_status cg__pg_import_bulk(cg_bankdb *db, int64_t bank_id, cg_error *err);
cg_status cg__pg_import_merged_late(cg_bankdb *db, int64_t *merged, cg_error *err);
cg_status cg__pg_import_end(cg_bankdb *db, int commit, cg_error *err);
cg_status cg__pg_vpdq_add_in_tx(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                size_t n, int64_t now, int *merged, int *filled, cg_error *err);
cg_status cg__pg_vpdq_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                          size_t n, int64_t now, int *merged, int *filled, cg_error *err);
cg_status cg__pg_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                             int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                             cg_error *err);
cg_status cg__pg_state_put(cg_bankdb *db, const char *tenant, const uint8_t *data, size_t len,
                           int64_t now, cg_error *err);
cg_status cg__pg_state_get(cg_bankdb *db, const char *tenant, uint8_t **data, size_t *len,
                           int64_t *saved, int *found, cg_error *err);
cg_status cg__pg_apikey_get(cg_bankdb *db, int64_t id, cg_key *out,
                            uint8_t hash[CG__APIKEY_HASH_BYTES], int *found, cg_error *err);
cg_status cg__pg_apikey_find_live(cg_bankdb *db, int64_t id, const char *name, cg_key *out,
                                  int *found, cg_error *err);
cg_status cg__pg_apikey_insert(cg_bankdb *db, const cg_key *k,
                               const uint8_t hash[CG__APIKEY_HASH_BYTES], int64_t now,
                               int64_t *id, cg_error *err);
cg_status cg__pg_apikey_touch(cg_bankdb *db, int64_t id, int64_t now, int *done, cg_error *err);
cg_status cg__pg_apikey_revoke_row(cg_bankdb *db, int64_t id, int64_t now, cg_error *err);
cg_status cg__pg_apikey_generation(cg_bankdb *db, int64_t *out, cg_error *err);
cg_status cg__pg_apikey_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                             cg_error *err);
cg_status cg__pg_outbox_pending(cg_bankdb *db, const char *tenant, int64_t *n, cg_error *err);
cg_status cg__pg_outbox_insert(cg_bankdb *db, const char *tenant, const char *target,
                               const char *payload_json, int64_t now, int64_t *id,
                               cg_error *err);
cg_status cg__pg_outbox_due(cg_bankdb *db, int64_t now, int limit,
                            int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                            cg_error *err);
cg_status cg__pg_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__pg_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                                   int64_t next_attempt, cg_error *err);
cg_status cg__pg_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text,
                                    cg_error *err);
cg_status cg__pg_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                               int64_t *failed, cg_error *err);
cg_status cg__pg_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed, cg_error *err);
cg_status cg__pg_job_queue(cg_bankdb *db, const char *tenant, const char *id, int64_t now,
                           int *created, cg_error *err);
cg_status cg__pg_job_get(cg_bankdb *db, const char *tenant, const char *id, cg_job *out,
                         cg_error *err);
cg_status cg__pg_job_done(cg_bankdb *db, const char *tenant, const char *id,
                          const char *verdict_json, int64_t review_id, int64_t now,
                          cg_error *err);
cg_status cg__pg_job_fail(cg_bankdb *db, const char *tenant, const char *id, const char *reason,
                          int64_t now, cg_error *err);
cg_status cg__pg_job_counts(cg_bankdb *db, const char *tenant, int64_t counts[3], cg_error *err);
cg_status cg__pg_review_row(cg_bankdb *db, const char *sql, int64_t id, const char *what,
                            PGresult **out, cg_error *err);
cg_status cg__pg_review_insert(cg_bankdb *db, cg_review_item *item, const char *tenant,
                               const char *verdict, const uint8_t *preview, size_t preview_len,
                               int64_t now, cg_error *err);
cg_status cg__pg_review_find_open(cg_bankdb *db, const char *tenant, const char *content_id,
                                  int64_t *id, cg_error *err);
cg_status cg__pg_review_refresh_row(cg_bankdb *db, int64_t id, const cg_review_item *item,
                                    const char *verdict, cg_error *err);
cg_status cg__pg_review_get(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict,
                            cg_error *err);
cg_status cg__pg_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                    cg_error *err);
cg_status cg__pg_review_list(cg_bankdb *db, const cg_review_filter *filter,
                             int (*fn)(const cg_review_item *item, void *ud), void *ud,
                             cg_error *err);
cg_status cg__pg_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT], cg_error *err);
cg_status cg__pg_review_state(cg_bankdb *db, int64_t id, cg_review_state *state, char *reviewer,
                              cg_error *err);
cg_status cg__pg_review_next_pending(cg_bankdb *db, int64_t *id, cg_error *err);
cg_status cg__pg_review_claim_row(cg_bankdb *db, int64_t id, const char *reviewer, int64_t now,
                                  cg_error *err);
cg_status cg__pg_review_release_row(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__pg_review_propose_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                    int64_t now, cg_error *err);
cg_status cg__pg_review_decide_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                   const char *bank, int64_t added, int confirms, int64_t now,
                                   cg_error *err);
cg_status cg__pg_watch_start(cg_bankdb *db, void (*fn)(void *ud), void *ud, cg_error *err);
/* Stops and frees the listener, if any (close). */
void cg__pg_watch_stop(cg__pg *c);
cg_status cg__pg_change_seq(cg_bankdb *db, int64_t *out, cg_error *err);
cg_status cg__pg_changes_since(cg_bankdb *db, int64_t seq,
                               int (*fn)(int64_t seq, cg_change_kind kind, int64_t id, void *ud),
                               void *ud, cg_error *err);
cg_status cg__pg_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err);
cg_status cg__pg_review_excerpt_put(cg_bankdb *db, int64_t id, const char *json, size_t len,
                                    int64_t expires, cg_error *err);
cg_status cg__pg_review_excerpt_get(cg_bankdb *db, int64_t id, int64_t now, char **json,
                                    size_t *len, int64_t *expires, cg_error *err);
cg_status cg__pg_review_excerpt_purge(cg_bankdb *db, int64_t now, int64_t *removed,
                                      cg_error *err);
cg_status cg__pg_exchange_insert(cg_bankdb *db, const char *tenant, cg_exchange_info *ex,
                                 int64_t now, cg_error *err);
cg_status cg__pg_exchange_get(cg_bankdb *db, const char *tenant, const char *name,
                              cg_exchange_info *out, cg_error *err);
cg_status cg__pg_exchange_list(cg_bankdb *db, const char *tenant,
                               int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                               cg_error *err);
cg_status cg__pg_exchange_update_row(cg_bankdb *db, const cg_exchange_info *ex, cg_error *err);
cg_status cg__pg_exchange_delete_row(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__pg_exchange_secret_put(cg_bankdb *db, int64_t id, const uint8_t *blob, size_t len,
                                     cg_error *err);
cg_status cg__pg_exchange_secret_get(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                     int *found, cg_error *err);
cg_status cg__pg_exchange_checkpoint_get(cg_bankdb *db, int64_t id, char **checkpoint,
                                         cg_error *err);
cg_status cg__pg_exchange_checkpoint_put(cg_bankdb *db, int64_t id, const char *checkpoint,
                                         int64_t now, int64_t items, cg_error *err);
cg_status cg__pg_exchange_fetch_mark(cg_bankdb *db, int64_t id, int started, int64_t now,
                                     int succeeded, int up_to_date, const char *error,
                                     cg_error *err);
cg_status cg__pg_exchange_key_signals(cg_bankdb *db, int64_t id, const char *key,
                                      int (*fn)(int64_t signal_id, int owned, void *ud),
                                      void *ud, cg_error *err);
cg_status cg__pg_exchange_link(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                               int *owned_any, cg_error *err);
cg_status cg__pg_exchange_unlink(cg_bankdb *db, int64_t id, const char *key, int64_t signal_id,
                                 int *orphaned, cg_error *err);
/* pg_exchange_page.c: an exchange page's segment, set-based (store_ops.h). */
cg_status cg__pg_exchange_page_apply(cg_bankdb *db, cg__xpage *xp, cg_error *err);
cg_status cg__pg_exchange_provenance(cg_bankdb *db, int64_t signal_id,
                                     int (*fn)(const char *exchange, const char *key,
                                               const char *member, const char *entry_id,
                                               const char *classification, void *ud),
                                     void *ud, cg_error *err);
cg_status cg__pg_exchange_backoff_put(cg_bankdb *db, int64_t id, int failures,
                                      int64_t next_fetch_ts, cg_error *err);
cg_status cg__pg_exchange_refetch_mark(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__pg_exchange_stale_links(cg_bankdb *db, int64_t id,
                                      int (*fn)(const char *key, int64_t signal_id, void *ud),
                                      void *ud, cg_error *err);
cg_status cg__pg_exchange_sweep_done(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__pg_feedback_enqueue_signal(cg_bankdb *db, const char *tenant, int64_t review_item,
                                         int64_t signal_id, int verdict, const char *actor,
                                         int64_t now, int64_t *added, cg_error *err);
cg_status cg__pg_feedback_enqueue_key(cg_bankdb *db, int64_t exchange_id, const char *key,
                                      int verdict, const char *reason, const char *actor,
                                      int64_t now, int64_t *id, cg_error *err);
cg_status cg__pg_feedback_list(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                               int filter, int64_t now, int limit,
                               int (*fn)(const cg_exchange_feedback_item *it, void *ud),
                               void *ud, cg_error *err);
cg_status cg__pg_feedback_mark(cg_bankdb *db, int64_t id, int to, int64_t now,
                               int64_t next_attempt, const char *error, cg_error *err);
cg_status cg__pg_feedback_counts(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                 int64_t out[3], cg_error *err);

#endif
