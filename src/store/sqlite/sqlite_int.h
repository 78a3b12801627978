/* Internal: the SQLite backend of the store (store_ops.h), shared by its files.
 *
 * sqlite_store.c    the connection: open/close, identity checks, schema and migrations,
 *                   pragmas, transactions, the prepared-statement cache, SQLite -> cg_status.
 * sqlite_bank.c     banks (create/get/update/delete/list).
 * sqlite_signal.c   signals (add/merge, get, find, disable, delete, foreach, count).
 * sqlite_import.c   the import ops: one transaction per file, bulk change logging.
 * sqlite_changes.c  the change log (written by triggers, read and pruned here).
 * sqlite_state.c    the engine's saved live state (one row per tenant).
 * sqlite_version.c  the data version: the wal-index change counter, read without a query.
 * sqlite_vpdq.c     the frames of vPDQ signals.
 * sqlite_review_read.c, sqlite_review_write.c  the review queue's rows (src/review/ holds the
 *                   state machine and the audit records), sqlite_keys.c API keys' rows,
 *                   sqlite_outbox.c the outbox.
 * sqlite_ops.c      the table of operations (cg__store_sqlite).
 *
 * docs/banks.md describes the schema and the transaction rules.
 * Threading: a cg_bankdb is used by one thread at a time (the connection is opened NOMUTEX). */
#ifndef CG_STORE_SQLITE_INT_H
#define CG_STORE_SQLITE_INT_H

#include <stdarg.h>
#include <stdint.h>

#include <sqlite3.h>

#include <jansson.h>

#include "store/store_int.h"

#include "childguard/bank.h"
#include "childguard/vpdq_bank.h"

/* PRAGMA application_id of a childguard bank database: 'CGBK'. */
#define CG__BANKDB_APPLICATION_ID 0x4347424b
/* The triggers that log every signal change (part of schema step 1). A large import drops them
 * inside its transaction and recreates them from this text before committing (sqlite_import.c):
 * other connections never see them missing, and a crash rolls the drop back. */
#define CG__SIGNAL_LOG_TRIGGERS                                                    \
    "CREATE TRIGGER signals_log_insert AFTER INSERT ON signals BEGIN"              \
    "  INSERT INTO changes(kind, ref_id, at)"                                      \
    "  VALUES (0, NEW.id, CAST(strftime('%s', 'now') AS INTEGER));"                \
    "END;"                                                                         \
    "CREATE TRIGGER signals_log_update AFTER UPDATE ON signals BEGIN"              \
    "  INSERT INTO changes(kind, ref_id, at)"                                      \
    "  VALUES (0, NEW.id, CAST(strftime('%s', 'now') AS INTEGER));"                \
    "END;"                                                                         \
    "CREATE TRIGGER signals_log_delete AFTER DELETE ON signals"                    \
    "  WHEN EXISTS (SELECT 1 FROM banks WHERE id = OLD.bank_id) BEGIN"             \
    "  INSERT INTO changes(kind, ref_id, at)"                                      \
    "  VALUES (0, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));"                \
    "END;"
#define CG__SIGNAL_LOG_TRIGGERS_DROP                                               \
    "DROP TRIGGER signals_log_insert; DROP TRIGGER signals_log_update;"            \
    "DROP TRIGGER signals_log_delete;"

/* How long a statement waits for another connection's lock before failing (milliseconds). */
#define CG__BANKDB_BUSY_TIMEOUT_MS 5000

/* Slots of the per-connection statement cache: the statements run once per row on hot paths
 * (import, single adds, lookups). Everything else is prepared per call, which also keeps
 * foreach/list re-entrant (a callback may call into the same connection). */
typedef enum cg__bank_stmt {
    CG__STMT_SIGNAL_INSERT = 0, /* INSERT ... ON CONFLICT DO NOTHING */
    CG__STMT_SIGNAL_LOOKUP,     /* the stored signal of (bank, type, value), for a merge */
    CG__STMT_SIGNAL_FILL,       /* UPDATE of the fields a merge fills */
    CG__STMT_SIGNAL_GET,        /* by id */
    CG__STMT_BANK_BY_NAME,
    CG__STMT_BANK_BY_ID,
    CG__STMT_VPDQ_FRAME_INSERT, /* one frame of a vpdq signal (sqlite_vpdq.c) */
    CG__STMT_VPDQ_FRAMES,       /* the frames of one vpdq signal, in list order */
    CG__STMT_KEYS_GENERATION,   /* meta 'keys_generation' (sqlite_keys.c) */
    CG__STMT_EXCHANGE_KEY_SIGNALS, /* an exchange page's statements (sqlite_exchange.c) */
    CG__STMT_EXCHANGE_LINK,
    CG__STMT_EXCHANGE_LINK_OWN,
    CG__STMT_EXCHANGE_OWNED_ANY,
    CG__STMT_EXCHANGE_UNLINK,
    CG__STMT_SIGNAL_DELETE,     /* by id (an exchange's withdrawals delete one per record) */
    CG__STMT_COUNT
} cg__bank_stmt;

/* The connection state behind db->be. PRAGMA user_version is CG__BANKDB_SCHEMA_VERSION: the
 * number of migration steps in sqlite_store.c. */
typedef struct cg__sqlite {
    sqlite3 *db;                          /* the connection */
    sqlite3_stmt *stmt[CG__STMT_COUNT];   /* prepared lazily, finalized by close */
    int64_t import_seq0;                  /* the change seq when the running import began */
    int import_bulk;                      /* 1: the running import dropped the signal triggers */
    const volatile uint8_t *wal_index;    /* SQLite's own mapping of the -shm file's first page
                                             (sqlite_version.c); NULL: not in WAL mode */
    int tx_depth;                         /* open transaction levels: 1 the transaction, more
                                             are savepoints inside it (a job's record) */
} cg__sqlite;

/* The connection of db (a cg_bankdb opened on this backend). */
static inline sqlite3 *cg__sq(const cg_bankdb *db)
{
    return ((const cg__sqlite *)db->be)->db;
}

/* Records a SQLite failure in err: "<path>: <what>: <sqlite message>", with the status rc maps
 * to (BUSY/LOCKED -> BACKEND "database is locked", FULL -> IO, NOMEM -> NOMEM, NOTADB -> INVAL,
 * CORRUPT -> DECODE, CONSTRAINT -> INVAL, IOERR/READONLY/CANTOPEN -> IO, others BACKEND).
 * Call it right after the failing call, before anything resets the connection's message. */
cg_status cg__bankdb_fail(cg_bankdb *db, cg_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Maps a SQLite result code to a cg_status. */
cg_status cg__bankdb_status(int rc);

/* The cached statement of slot, prepared from sql on first use. The caller binds, steps and
 * must sqlite3_reset it before returning. */
cg_status cg__bankdb_stmt(cg_bankdb *db, cg__bank_stmt slot, const char *sql, sqlite3_stmt **out,
                          cg_error *err);
/* Copies text column col of the current row into dst (cap bytes, NUL-terminated; NULL reads
 * as ""); -1 when it does not fit. */
int cg__bankdb_column_text(sqlite3_stmt *st, int col, char *dst, size_t cap);

/* Reads the integer in the first column of sql's one row into *out. No row: *out = 0 and CG_OK
 * when none_ok, else a CG_E_DECODE failure (the row must be there: the file is damaged); what
 * names the step in messages. */
cg_status cg__bankdb_query_int(cg_bankdb *db, const char *sql, int64_t *out, int none_ok,
                               const char *what, cg_error *err);

/* A fresh statement (finalized by the caller). */
cg_status cg__bankdb_prepare(cg_bankdb *db, const char *sql, sqlite3_stmt **out, cg_error *err);

/* Runs SQL without results; what names the step in messages. */
cg_status cg__bankdb_exec(cg_bankdb *db, const char *sql, const char *what, cg_error *err);
/* BEGIN IMMEDIATE (takes the write lock now, so a busy database fails here, not halfway). */
cg_status cg__bankdb_begin_write(cg_bankdb *db, const char *what, cg_error *err);
/* BEGIN (deferred): a read snapshot for multi-statement reads (export). */
cg_status cg__bankdb_begin_read(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__bankdb_commit(cg_bankdb *db, const char *what, cg_error *err);
/* Rolls back the open transaction, if SQLite has not already done so (it does on some errors,
 * e.g. SQLITE_FULL). Never fails from the caller's point of view: the first error stands. */
void cg__bankdb_rollback(cg_bankdb *db);

/* ---- banks (sqlite_bank.c) ---- */

/* Reads the bank with id into out (used by export and for messages). CG_E_NOTFOUND if absent. */
cg_status cg__bank_load_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);

/* ---- signals (sqlite_signal.c) ---- */

/* Adds or merges s inside the caller's transaction (no BEGIN/COMMIT): the import hot path.
 * now is the time stored in `added` for a new signal. */
cg_status cg__bank_signal_add_in_tx(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                    cg_error *err);

/* ---- vPDQ signals (sqlite_vpdq.c) ---- */

/* Adds or merges the vpdq signal s (type vpdq; its value is set here to the identity of the
 * frames) and, when new, its n frames, inside the caller's transaction: the import path. */
cg_status cg__bank_vpdq_add_in_tx(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                  size_t n, int64_t now, int *merged, cg_error *err);

/* ---- review rows (sqlite_review_*.c) ---- */

#define CG__REVIEW_ITEM_COLUMNS                                                                  \
    "id, content_id, kind, label, priority, reason, state, reviewer, note, created, claimed_at," \
    " decided_at, bank_signal_count, bank, preview IS NOT NULL, tenant, proposed_state,"       \
    " proposed_by, proposed_bank, proposed_at, confirmed_by,"                                 \
    " (SELECT expires FROM review_excerpts WHERE item_id = review_items.id)"
/* The column after CG__REVIEW_ITEM_COLUMNS in the item query of cg__sqlite_review_item_load. */
#define CG__REVIEW_ITEM_VERDICT_COLUMN 22

/* Runs sql (parameters: ?1 the item id, ?2 the handle's tenant) and leaves the statement on its
 * row in *out (finalized by the caller); CG_E_NOTFOUND "no review item" when there is none, a
 * store failure "<what> <id>" otherwise (*out NULL then). */
cg_status cg__sqlite_review_row(cg_bankdb *db, const char *sql, int64_t id, const char *what,
                                sqlite3_stmt **out, cg_error *err);
/* Reads item id with its signals (and, when verdict is not NULL, its verdict JSON, cg_free). */
cg_status cg__sqlite_review_item_load(cg_bankdb *db, int64_t id, cg_review_item *out,
                                      char **verdict, cg_error *err);

/* ---- the operations (store_ops.h; each has the contract of the public function) ---- */

cg_status cg__sqlite_open(cg_bankdb *db, const char *where, cg_error *err);
void cg__sqlite_close(cg_bankdb *db);
cg_status cg__sqlite_snapshot_begin(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__sqlite_snapshot_end(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__sqlite_begin_write(cg_bankdb *db, const char *what, cg_error *err);
cg_status cg__sqlite_commit(cg_bankdb *db, const char *what, cg_error *err);
void cg__sqlite_rollback(cg_bankdb *db);
cg_status cg__sqlite_bank_insert(cg_bankdb *db, cg_bank *bank, const char *thresholds, int64_t now,
                                 cg_error *err);
cg_status cg__sqlite_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err);
cg_status cg__sqlite_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);
cg_status cg__sqlite_bank_update_row(cg_bankdb *db, const cg_bank *bank, const char *thr,
                                     const char *name, cg_error *err);
cg_status cg__sqlite_bank_delete_facts(cg_bankdb *db, const char *name, int64_t *id,
                                       int64_t *count, cg_error *err);
cg_status cg__sqlite_bank_delete_row(cg_bankdb *db, const char *name, cg_error *err);
cg_status cg__sqlite_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                               cg_error *err);
cg_status cg__sqlite_signal_put(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                int *filled, cg_error *err);
cg_status cg__sqlite_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err);
cg_status cg__sqlite_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                 const uint8_t *value, cg_bank_signal *out, cg_error *err);
cg_status cg__sqlite_signal_describe(cg_bankdb *db, int64_t id, cg__signal_facts *f,
                                     cg_error *err);
cg_status cg__sqlite_signal_set_disabled_row(cg_bankdb *db, int64_t id, int64_t until,
                                             cg_error *err);
cg_status cg__sqlite_signal_delete_row(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__sqlite_signal_foreach(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                    int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                    cg_error *err);
cg_status cg__sqlite_signal_count(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                  int64_t *out, cg_error *err);
cg_status cg__sqlite_import_begin(cg_bankdb *db, int64_t bank_id, cg_bank *bank, cg_error *err);
cg_status cg__sqlite_import_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                size_t n, int64_t now, int *merged, cg_error *err);
cg_status cg__sqlite_import_bulk(cg_bankdb *db, int64_t bank_id, cg_error *err);
cg_status cg__sqlite_import_end(cg_bankdb *db, int commit, cg_error *err);
cg_status cg__sqlite_vpdq_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                              size_t n, int64_t now, int *merged, int *filled, cg_error *err);
cg_status cg__sqlite_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                                 int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                                 cg_error *err);
cg_status cg__sqlite_change_seq(cg_bankdb *db, int64_t *out, cg_error *err);
cg_status cg__sqlite_changes_since(cg_bankdb *db, int64_t seq,
                                   int (*fn)(int64_t seq, cg_change_kind kind, int64_t id,
                                             void *ud),
                                   void *ud, cg_error *err);
cg_status cg__sqlite_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err);
/* Finds the connection's wal-index mapping after open (sqlite_version.c); never fails. */
void cg__sqlite_version_init(cg_bankdb *db);
cg_status cg__sqlite_data_version(cg_bankdb *db, uint64_t *out);
cg_status cg__sqlite_review_insert(cg_bankdb *db, cg_review_item *item, const char *tenant,
                                   const char *verdict, const uint8_t *preview,
                                   size_t preview_len, int64_t now, cg_error *err);
cg_status cg__sqlite_review_find_open(cg_bankdb *db, const char *tenant, const char *content_id,
                                      int64_t *id, cg_error *err);
cg_status cg__sqlite_review_refresh_row(cg_bankdb *db, int64_t id, const cg_review_item *item,
                                        const char *verdict, cg_error *err);
cg_status cg__sqlite_review_get(cg_bankdb *db, int64_t id, cg_review_item *out,
                                char **verdict_json, cg_error *err);
cg_status cg__sqlite_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                        cg_error *err);
cg_status cg__sqlite_review_list(cg_bankdb *db, const cg_review_filter *filter,
                                 int (*fn)(const cg_review_item *item, void *ud), void *ud,
                                 cg_error *err);
cg_status cg__sqlite_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT],
                                   cg_error *err);
cg_status cg__sqlite_review_state(cg_bankdb *db, int64_t id, cg_review_state *state,
                                  char *reviewer, cg_error *err);
cg_status cg__sqlite_review_next_pending(cg_bankdb *db, int64_t *id, cg_error *err);
cg_status cg__sqlite_review_claim_row(cg_bankdb *db, int64_t id, const char *reviewer,
                                      int64_t now, cg_error *err);
cg_status cg__sqlite_review_release_row(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__sqlite_review_propose_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                        int64_t now, cg_error *err);
cg_status cg__sqlite_review_decide_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                       const char *bank, int64_t added, int confirms,
                                       int64_t now, cg_error *err);
cg_status cg__sqlite_apikey_get(cg_bankdb *db, int64_t id, cg_key *out,
                                uint8_t hash[CG__APIKEY_HASH_BYTES], int *found, cg_error *err);
cg_status cg__sqlite_apikey_find_live(cg_bankdb *db, int64_t id, const char *name, cg_key *out,
                                      int *found, cg_error *err);
cg_status cg__sqlite_apikey_insert(cg_bankdb *db, const cg_key *k,
                                   const uint8_t hash[CG__APIKEY_HASH_BYTES], int64_t now,
                                   int64_t *id, cg_error *err);
cg_status cg__sqlite_apikey_touch(cg_bankdb *db, int64_t id, int64_t now, int *done,
                                  cg_error *err);
cg_status cg__sqlite_apikey_revoke_row(cg_bankdb *db, int64_t id, int64_t now, cg_error *err);
cg_status cg__sqlite_apikey_generation(cg_bankdb *db, int64_t *out, cg_error *err);
cg_status cg__sqlite_apikey_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud),
                                 void *ud, cg_error *err);
cg_status cg__sqlite_state_put(cg_bankdb *db, const char *tenant, const uint8_t *data, size_t len,
                               int64_t now, cg_error *err);
cg_status cg__sqlite_state_get(cg_bankdb *db, const char *tenant, uint8_t **data, size_t *len,
                               int64_t *saved, int *found, cg_error *err);
cg_status cg__sqlite_outbox_pending(cg_bankdb *db, const char *tenant, int64_t *n, cg_error *err);
cg_status cg__sqlite_outbox_insert(cg_bankdb *db, const char *tenant, const char *target,
                                   const char *payload_json, int64_t now, int64_t *id,
                                   cg_error *err);
cg_status cg__sqlite_outbox_due(cg_bankdb *db, int64_t now, int limit,
                                int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                                cg_error *err);
cg_status cg__sqlite_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__sqlite_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                                       int64_t next_attempt, cg_error *err);
cg_status cg__sqlite_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text,
                                        cg_error *err);
cg_status cg__sqlite_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                                   int64_t *failed, cg_error *err);
cg_status cg__sqlite_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed,
                                  cg_error *err);

/* ---- test hooks (exported for the unit tests; never used by the library itself) ---- */

/* The underlying connection, for tests that inspect the file (integrity_check) or inject; NULL
 * when db is not on this backend. */
CG_API sqlite3 *cg__bankdb_sqlite(cg_bankdb *db);
/* Sets the busy timeout (milliseconds) of this connection. */
CG_API cg_status cg__bankdb_set_busy_timeout(cg_bankdb *db, int ms, cg_error *err);
/* Caps the file at pages pages (PRAGMA max_page_count), to simulate a full disk. */
CG_API cg_status cg__bankdb_set_max_pages(cg_bankdb *db, int64_t pages, cg_error *err);

/* The job ledger (sqlite_jobs.c; store_ops.h). */
cg_status cg__sqlite_job_queue(cg_bankdb *db, const char *tenant, const char *id, int64_t now,
                               int *created, cg_error *err);
cg_status cg__sqlite_job_get(cg_bankdb *db, const char *tenant, const char *id, cg_job *out,
                             cg_error *err);
cg_status cg__sqlite_job_done(cg_bankdb *db, const char *tenant, const char *id,
                              const char *verdict_json, int64_t review_id, int64_t now,
                              cg_error *err);
cg_status cg__sqlite_job_fail(cg_bankdb *db, const char *tenant, const char *id,
                              const char *reason, int64_t now, cg_error *err);
cg_status cg__sqlite_job_counts(cg_bankdb *db, const char *tenant, int64_t counts[3],
                                cg_error *err);
/* Text excerpts of review items (sqlite_review_excerpt.c). */
cg_status cg__sqlite_review_excerpt_put(cg_bankdb *db, int64_t id, const char *json, size_t len,
                                        int64_t expires, cg_error *err);
cg_status cg__sqlite_review_excerpt_get(cg_bankdb *db, int64_t id, int64_t now, char **json,
                                        size_t *len, int64_t *expires, cg_error *err);
cg_status cg__sqlite_review_excerpt_purge(cg_bankdb *db, int64_t now, int64_t *removed,
                                          cg_error *err);
/* Schema step 10 (9 -> 10): the exchange feedback queue (sqlite_feedback.c, docs/exchange.md
 * "Feedback"): one row per (exchange, decided review item, record key), ids and the matched
 * hash only; review_item NULL for feedback added by hand (NULLs never collide in UNIQUE). */
#define CG__SQLITE_FEEDBACK_SCHEMA                                                    \
    "CREATE TABLE IF NOT EXISTS exchange_feedback ("                                   \
    "  id INTEGER PRIMARY KEY,"                                                        \
    "  exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,"       \
    "  review_item INTEGER,"                                                           \
    "  key TEXT NOT NULL,"                                                             \
    "  member TEXT NOT NULL DEFAULT '',"                                               \
    "  entry_id TEXT NOT NULL DEFAULT '',"                                             \
    "  signal_type TEXT NOT NULL DEFAULT '',"                                          \
    "  value BLOB,"                                                                    \
    "  verdict INTEGER NOT NULL CHECK (verdict IN (0, 1)),"                            \
    "  reason TEXT NOT NULL DEFAULT '',"                                               \
    "  actor TEXT NOT NULL DEFAULT '',"                                                \
    "  created INTEGER NOT NULL,"                                                      \
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"                   \
    "  attempts INTEGER NOT NULL DEFAULT 0,"                                           \
    "  next_attempt INTEGER NOT NULL DEFAULT 0,"                                       \
    "  finished INTEGER NOT NULL DEFAULT 0,"                                           \
    "  last_error TEXT NOT NULL DEFAULT '',"                                           \
    "  UNIQUE (exchange_id, review_item, key)"                                         \
    ");"                                                                               \
    "CREATE INDEX IF NOT EXISTS exchange_feedback_due"                                 \
    "  ON exchange_feedback(exchange_id, state, next_attempt);"
/* Schema step 9 (8 -> 9): text excerpts of review items, one row per item, deleted with it
 * (docs/review.md "Text excerpts"); the expiry index serves the purge. */
#define CG__SQLITE_EXCERPT_SCHEMA                                                     \
    "CREATE TABLE IF NOT EXISTS review_excerpts ("                                     \
    "  item_id INTEGER PRIMARY KEY REFERENCES review_items(id) ON DELETE CASCADE,"     \
    "  excerpt TEXT NOT NULL,"                                                         \
    "  created INTEGER NOT NULL,"                                                      \
    "  expires INTEGER NOT NULL"                                                       \
    ");"                                                                               \
    "CREATE INDEX IF NOT EXISTS review_excerpts_expires ON review_excerpts(expires);"
/* Schema step 7 (6 -> 7): the job ledger. */
#define CG__SQLITE_JOBS_SCHEMA                                                        \
    "CREATE TABLE IF NOT EXISTS jobs ("                                                \
    "  tenant TEXT NOT NULL,"                                                          \
    "  id TEXT NOT NULL,"                                                              \
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),"             \
    "  created INTEGER NOT NULL,"                                                      \
    "  updated INTEGER NOT NULL,"                                                      \
    "  review_id INTEGER NOT NULL DEFAULT 0,"                                          \
    "  attempts INTEGER NOT NULL DEFAULT 0,"                                           \
    "  verdict_json TEXT,"                                                             \
    "  error TEXT NOT NULL DEFAULT '',"                                                \
    "  PRIMARY KEY (tenant, id)"                                                       \
    ") WITHOUT ROWID;"                                                                 \
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs(tenant, state);"

/* Exchanges (sqlite_exchange.c; store_ops.h). */
cg_status cg__sqlite_exchange_insert(cg_bankdb *db, const char *tenant, cg_exchange_info *ex,
                                     int64_t now, cg_error *err);
cg_status cg__sqlite_exchange_get(cg_bankdb *db, const char *tenant, const char *name,
                                  cg_exchange_info *out, cg_error *err);
cg_status cg__sqlite_exchange_list(cg_bankdb *db, const char *tenant,
                                   int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                                   cg_error *err);
cg_status cg__sqlite_exchange_update_row(cg_bankdb *db, const cg_exchange_info *ex,
                                         cg_error *err);
cg_status cg__sqlite_exchange_delete_row(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__sqlite_exchange_secret_put(cg_bankdb *db, int64_t id, const uint8_t *blob,
                                         size_t len, cg_error *err);
cg_status cg__sqlite_exchange_secret_get(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                         int *found, cg_error *err);
cg_status cg__sqlite_exchange_checkpoint_get(cg_bankdb *db, int64_t id, char **checkpoint,
                                             cg_error *err);
cg_status cg__sqlite_exchange_checkpoint_put(cg_bankdb *db, int64_t id, const char *checkpoint,
                                             int64_t now, int64_t items, cg_error *err);
cg_status cg__sqlite_exchange_fetch_mark(cg_bankdb *db, int64_t id, int started, int64_t now,
                                         int succeeded, int up_to_date, const char *error,
                                         cg_error *err);
cg_status cg__sqlite_exchange_key_signals(cg_bankdb *db, int64_t id, const char *key,
                                          int (*fn)(int64_t signal_id, int owned, void *ud),
                                          void *ud, cg_error *err);
cg_status cg__sqlite_exchange_link(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                                   int *owned_any, cg_error *err);
cg_status cg__sqlite_exchange_unlink(cg_bankdb *db, int64_t id, const char *key,
                                     int64_t signal_id, int *orphaned, cg_error *err);
cg_status cg__sqlite_exchange_backoff_put(cg_bankdb *db, int64_t id, int failures,
                                          int64_t next_fetch_ts, cg_error *err);
cg_status cg__sqlite_exchange_refetch_mark(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__sqlite_exchange_stale_links(cg_bankdb *db, int64_t id,
                                          int (*fn)(const char *key, int64_t signal_id,
                                                    void *ud),
                                          void *ud, cg_error *err);
cg_status cg__sqlite_exchange_sweep_done(cg_bankdb *db, int64_t id, cg_error *err);
cg_status cg__sqlite_exchange_provenance(cg_bankdb *db, int64_t signal_id,
                                         int (*fn)(const char *exchange, const char *key,
                                                   const char *member, const char *entry_id,
                                                   const char *classification, void *ud),
                                         void *ud, cg_error *err);
/* sqlite_feedback.c: the exchange feedback queue (store_ops.h). */
cg_status cg__sqlite_feedback_enqueue_signal(cg_bankdb *db, const char *tenant,
                                             int64_t review_item, int64_t signal_id, int verdict,
                                             const char *actor, int64_t now, int64_t *added,
                                             cg_error *err);
cg_status cg__sqlite_feedback_enqueue_key(cg_bankdb *db, int64_t exchange_id, const char *key,
                                          int verdict, const char *reason, const char *actor,
                                          int64_t now, int64_t *id, cg_error *err);
cg_status cg__sqlite_feedback_list(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                   int filter, int64_t now, int limit,
                                   int (*fn)(const cg_exchange_feedback_item *it, void *ud),
                                   void *ud, cg_error *err);
cg_status cg__sqlite_feedback_mark(cg_bankdb *db, int64_t id, int to, int64_t now,
                                   int64_t next_attempt, const char *error, cg_error *err);
cg_status cg__sqlite_feedback_counts(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                     int64_t out[3], cg_error *err);
/* Schema step 8 (7 -> 8): exchanges, their sealed credentials (a table of their own, so a
 * query of the configuration never reads them) and the provenance links of their signals.
 * owned: the exchange's put created the signal (it was not in the bank before), so removing
 * its last link deletes it. */
#define CG__SQLITE_EXCHANGES_SCHEMA                                                   \
    "CREATE TABLE IF NOT EXISTS exchanges ("                                           \
    "  id INTEGER PRIMARY KEY,"                                                        \
    "  tenant TEXT NOT NULL DEFAULT 'default',"                                        \
    "  name TEXT NOT NULL,"                                                            \
    "  api TEXT NOT NULL,"                                                             \
    "  api_json TEXT NOT NULL DEFAULT '{}',"                                           \
    "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"                  \
    "  bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,"               \
    "  created INTEGER NOT NULL,"                                                      \
    "  checkpoint TEXT NOT NULL DEFAULT '',"                                           \
    "  checkpoint_ts INTEGER NOT NULL DEFAULT 0,"                                      \
    "  running_fetch_start_ts INTEGER NOT NULL DEFAULT 0,"                             \
    "  last_fetch_complete_ts INTEGER NOT NULL DEFAULT 0,"                             \
    "  last_fetch_succeeded INTEGER NOT NULL DEFAULT 0,"                               \
    "  up_to_date INTEGER NOT NULL DEFAULT 0,"                                         \
    "  fetched_items INTEGER NOT NULL DEFAULT 0,"                                      \
    "  last_error TEXT NOT NULL DEFAULT '',"                                           \
    "  UNIQUE (tenant, name)"                                                          \
    ");"                                                                               \
    "CREATE TABLE IF NOT EXISTS exchange_secrets ("                                    \
    "  exchange_id INTEGER PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,"    \
    "  sealed BLOB NOT NULL"                                                           \
    ");"                                                                               \
    "CREATE TABLE IF NOT EXISTS exchange_links ("                                      \
    "  exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,"       \
    "  key TEXT NOT NULL,"                                                             \
    "  signal_id INTEGER NOT NULL REFERENCES signals(id) ON DELETE CASCADE,"           \
    "  owned INTEGER NOT NULL DEFAULT 0 CHECK (owned IN (0, 1)),"                      \
    "  member TEXT NOT NULL DEFAULT '',"                                               \
    "  entry_id TEXT NOT NULL DEFAULT '',"                                             \
    "  classification TEXT NOT NULL DEFAULT '',"                                       \
    "  timestamp INTEGER NOT NULL DEFAULT 0,"                                          \
    "  PRIMARY KEY (exchange_id, key, signal_id)"                                      \
    ") WITHOUT ROWID;"                                                                 \
    "CREATE INDEX IF NOT EXISTS exchange_links_signal ON exchange_links(signal_id);"

/* Schema step "exchange fetch state" (9 -> 10 on this branch; the lead renumbers it 10 -> 11 after
 * exchanges-fb's step 10): the back-off between failed runs and the refetch generation of
 * mark and sweep (docs/exchange.md "Back-off", "Mark and sweep"). The columns come from
 * added_columns (sqlite_store.c): exchanges.failures (consecutive runs that failed on a
 * transient error), next_fetch_ts (the scheduler leaves the exchange alone until then),
 * link_gen (the current refetch generation), sweep_pending (a full refetch is under way: its
 * end sweeps the links older than link_gen); exchange_links.gen (the generation that last
 * listed the link). No index on gen: every page rewrites the gen of the links it touches, and
 * an index would cost a B-tree write per link per page; the sweep (once per full refetch)
 * reads the exchange's links by the primary key's exchange_id prefix instead. The columns
 * are all added_columns; this text has nothing left to say. */
#define CG__SQLITE_EXCHANGE_FETCH_SCHEMA "SELECT 1;"

#endif
