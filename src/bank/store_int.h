/* Internal: the SQLite store behind include/childguard/bank.h, shared by src/bank/store*.c.
 *
 * store.c          the connection: open/close, identity checks, schema and migrations, pragmas,
 *                  transactions, the prepared-statement cache, SQLite error -> cg_status.
 * store_check.c    validation of names and text fields (limits, UTF-8).
 * store_bank.c     banks (create/get/update/delete/list, thresholds).
 * store_signal.c   signals (add/merge, get, find, disable, delete, foreach, count).
 * store_import.c   cg_bank_import: drives the list reader (list.h) inside one transaction.
 * store_export.c   cg_bank_export: drives the list writer from a streaming foreach.
 * store_changes.c  the change log (written by triggers, read and pruned here).
 *
 * docs/banks.md describes the schema and the transaction rules.
 * Threading: a cg_bankdb is used by one thread at a time (the connection is opened NOMUTEX). */
#ifndef CG_BANK_STORE_INT_H
#define CG_BANK_STORE_INT_H

#include <stdarg.h>
#include <stdint.h>

#include <sqlite3.h>

#include "childguard/audit.h"
#include "childguard/bank.h"
#include "childguard/vpdq_bank.h"

/* PRAGMA application_id of a childguard bank database: 'CGBK'. */
#define CG__BANKDB_APPLICATION_ID 0x4347424b
/* PRAGMA user_version this build writes: the number of migration steps in store.c. */
#define CG__BANKDB_SCHEMA_VERSION 5
/* The triggers that log every signal change (part of schema step 1). A large import drops them
 * inside its transaction and recreates them from this text before committing (store_import.c):
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
    CG__STMT_VPDQ_FRAME_INSERT, /* one frame of a vpdq signal (store_vpdq.c) */
    CG__STMT_VPDQ_FRAMES,       /* the frames of one vpdq signal, in list order */
    CG__STMT_KEYS_GENERATION,   /* meta 'keys_generation' (store_keys.c) */
    CG__STMT_COUNT
} cg__bank_stmt;

struct cg_bankdb {
    sqlite3 *db;                          /* the connection */
    char *path;                           /* as given to open, for messages */
    int flags;                            /* CG_BANKDB_* */
    sqlite3_stmt *stmt[CG__STMT_COUNT];   /* prepared lazily, finalized by close */
    cg_audit *audit;                      /* cg_bankdb_set_audit: bank changes logged here */
    char audit_actor[64];                 /* who makes the changes, for the audit records */
    char tenant[65];                      /* cg_bankdb_set_tenant; "" = "default" */
    char review_actor[160];               /* cg_review_set_actor; "" = the reviewer's name */
    unsigned review_rights;               /* cg_review_set_actor; ~0u until set */
    int review_rights_set;                /* 0: every right (a new handle) */
};

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

/* CG_E_INVAL naming the path when db was opened read-only. */
cg_status cg__bankdb_check_writable(cg_bankdb *db, cg_error *err);

/* ---- validation (store_check.c) ---- */

/* 1 when s is a valid bank name: [A-Za-z0-9_.-]{1,64}. */
int cg__bank_name_valid(const char *s);
/* 1 when the n bytes at s are valid UTF-8 without NUL bytes. */
int cg__utf8_valid(const char *s, size_t n);
/* Checks a text field held in a char array of size cap (max bytes + 1): NUL-terminated within
 * it, and valid UTF-8. Returns its length, or -1 when invalid. */
long cg__bank_text_check(const char *field, size_t cap);
/* Checks the fields of a signal before it is stored (type, quality, text fields,
 * disabled_until); returns NULL when valid, else a static reason. */
const char *cg__bank_signal_invalid(const cg_bank_signal *s);

/* ---- banks (store_bank.c) ---- */

/* Reads the bank with id into out (used by export and for messages). CG_E_NOTFOUND if absent. */
cg_status cg__bank_load_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);

/* ---- signals (store_signal.c) ---- */

/* Adds or merges s inside the caller's transaction (no BEGIN/COMMIT): the import hot path.
 * now is the time stored in `added` for a new signal. */
cg_status cg__bank_signal_add_in_tx(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                    cg_error *err);

/* ---- vPDQ signals (store_vpdq.c) ---- */

/* Adds or merges the vpdq signal s (type vpdq; its value is set here to the identity of the
 * frames) and, when new, its n frames, inside the caller's transaction: the import path. */
cg_status cg__bank_vpdq_add_in_tx(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                  size_t n, int64_t now, int *merged, cg_error *err);

/* ---- test hooks (exported for the unit tests; never used by the library itself) ---- */

/* The underlying connection, for tests that inspect the file (integrity_check) or inject. */
CG_API sqlite3 *cg__bankdb_sqlite(cg_bankdb *db);
/* Sets the busy timeout (milliseconds) of this connection. */
CG_API cg_status cg__bankdb_set_busy_timeout(cg_bankdb *db, int ms, cg_error *err);
/* Caps the file at pages pages (PRAGMA max_page_count), to simulate a full disk. */
CG_API cg_status cg__bankdb_set_max_pages(cg_bankdb *db, int64_t pages, cg_error *err);

#endif
