/* The SQLite backend's connection: open/close, identity checks, schema migrations, pragmas,
 * transactions and the statement cache (docs/banks.md).
 *
 * Opening runs in this order so that a file that is not ours is never modified:
 *   1. a pre-check of the first bytes (SQLite treats a short non-empty file as an empty
 *      database and would happily overwrite it; we refuse anything without the SQLite header);
 *   2. sqlite3_open_v2 (NOMUTEX: one thread at a time per connection, as bank.h promises);
 *   3. read application_id, user_version and whether the file has tables, and decide: ours,
 *      new (empty: only with CG_BANKDB_CREATE), foreign, or newer than this build;
 *   4. pragmas (WAL, synchronous=NORMAL, foreign_keys), then migrations in one IMMEDIATE
 *      transaction that rechecks the version (another process may have migrated meanwhile). */
#include "store/sqlite/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"

/* ---- schema ------------------------------------------------------------------------------- */

/* Migration i takes user_version i to i + 1. Append new steps; never edit a released one.
 * Every step runs inside the same IMMEDIATE transaction as the user_version update. */
static const char *const migrations[] = {
    /* 0 -> 1: the initial schema. */
    "CREATE TABLE banks ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  label TEXT NOT NULL DEFAULT '',"
    "  kind INTEGER NOT NULL DEFAULT 0 CHECK (kind IN (0, 1)),"
    "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    "  description TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  thresholds TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE TABLE signals ("
    "  id INTEGER PRIMARY KEY,"
    "  bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,"
    "  signal_type TEXT NOT NULL,"
    "  value BLOB NOT NULL,"
    "  quality INTEGER NOT NULL DEFAULT -1,"
    "  source TEXT NOT NULL DEFAULT '',"
    "  external_id TEXT NOT NULL DEFAULT '',"
    "  note TEXT NOT NULL DEFAULT '',"
    "  added INTEGER NOT NULL,"
    "  disabled_until INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (bank_id, signal_type, value)"
    ");"
    /* A bank's signals in id order (foreach, export) without a sort; appends during import. */
    "CREATE INDEX signals_bank ON signals(bank_id);"
    "CREATE TABLE changes ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind INTEGER NOT NULL,"
    "  ref_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL"
    ");"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES ('pruned_seq', 0);"
    /* The change log is kept by triggers so every writer logs, even the sqlite3 shell.
     * kind 0 = signal (ref_id = signal id), 1 = bank (ref_id = bank id), 2 = bulk (ref_id =
     * bank id: many of its signals changed; written by a large import, which sets meta 'bulk'
     * inside its transaction so the per-signal triggers stay quiet). A signal deleted by
     * the cascade of its bank's deletion is not logged (its bank is gone when the cascade
     * runs): the bank's own entry tells readers to drop the bank's signals. */
    CG__SIGNAL_LOG_TRIGGERS
    "CREATE TRIGGER banks_log_insert AFTER INSERT ON banks BEGIN"
    "  INSERT INTO changes(kind, ref_id, at)"
    "  VALUES (1, NEW.id, CAST(strftime('%s', 'now') AS INTEGER));"
    "END;"
    "CREATE TRIGGER banks_log_update AFTER UPDATE ON banks BEGIN"
    "  INSERT INTO changes(kind, ref_id, at)"
    "  VALUES (1, NEW.id, CAST(strftime('%s', 'now') AS INTEGER));"
    "END;"
    "CREATE TRIGGER banks_log_delete AFTER DELETE ON banks BEGIN"
    "  INSERT INTO changes(kind, ref_id, at)"
    "  VALUES (1, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));"
    "END;",
    /* 1 -> 2: the human review queue (src/review/, docs/review.md). No content bytes: the
     * verdict is JSON of hashes, matches and spans; preview is the optional blurred greyscale
     * quarantine image. state holds the names of cg_review_state. */
    "CREATE TABLE review_items ("
    "  id INTEGER PRIMARY KEY,"
    "  content_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT '',"
    "  label TEXT NOT NULL DEFAULT '',"
    "  priority INTEGER NOT NULL DEFAULT 0,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed',"
    "    'confirmed', 'false_positive', 'escalated')),"
    "  reviewer TEXT NOT NULL DEFAULT '',"
    "  note TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  claimed_at INTEGER NOT NULL DEFAULT 0,"
    "  decided_at INTEGER NOT NULL DEFAULT 0,"
    "  bank_signal_count INTEGER NOT NULL DEFAULT 0,"
    "  bank TEXT NOT NULL DEFAULT '',"
    "  verdict_json TEXT NOT NULL DEFAULT '{}',"
    "  preview BLOB"
    ");"
    /* The queue order (state, then priority high first, then oldest): list and claim --next
     * walk it without a sort. */
    "CREATE INDEX review_items_queue ON review_items(state, priority DESC, created, id);"
    "CREATE INDEX review_items_created ON review_items(created);"
    "CREATE TABLE review_signals ("
    "  item_id INTEGER NOT NULL REFERENCES review_items(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL,"
    "  signal_type TEXT NOT NULL,"
    "  value BLOB NOT NULL,"
    "  quality INTEGER NOT NULL DEFAULT -1,"
    "  PRIMARY KEY (item_id, seq)"
    ") WITHOUT ROWID;",
    /* 2 -> 3: API keys of the HTTP service (sqlite_keys.c, docs/keys.md) and the webhook
     * outbox (sqlite_outbox.c). A key row keeps the SHA-256 of its secret, never the secret;
     * revoked is the revocation time (0 = live), and a name is unique among live keys only,
     * so a revoked key's name can be reused for its replacement. An outbox row is pending
     * until delivered or failed (both unix times, 0 = not yet). IF NOT EXISTS: a file whose
     * user_version was set back by hand (the older migration tests do this to fake an old
     * file) still has these tables, and must migrate. */
    "CREATE TABLE IF NOT EXISTS api_keys ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  scopes INTEGER NOT NULL,"
    "  rate INTEGER NOT NULL DEFAULT 0,"
    "  secret_sha256 BLOB NOT NULL,"
    "  created INTEGER,"
    "  last_used INTEGER DEFAULT 0,"
    "  revoked INTEGER DEFAULT 0"
    ");"
    "CREATE UNIQUE INDEX IF NOT EXISTS api_keys_live_name ON api_keys(name) WHERE revoked = 0;"
    "CREATE TABLE IF NOT EXISTS outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  target TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  created INTEGER,"
    "  attempts INTEGER DEFAULT 0,"
    "  next_attempt INTEGER,"
    "  last_error TEXT DEFAULT '',"
    "  delivered INTEGER DEFAULT 0,"
    "  failed INTEGER DEFAULT 0"
    ");"
    /* The due entries in order, without a sort and without the delivered history. */
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt, id)"
    "  WHERE delivered = 0 AND failed = 0;",
    /* 3 -> 4: the frames of vPDQ signals (sqlite_vpdq.c, docs/vpdq.md). The signal row holds
     * the identity (SHA-256 of the canonical frame list); its frames are rows here, in list
     * order (rowid), deleted with it. hash is the 32 bytes of the PDQ hex, as a pdq value;
     * timestamp (seconds) is kept for the exchange format. IF NOT EXISTS for the same reason
     * as step 3. */
    "CREATE TABLE IF NOT EXISTS vpdq_frames ("
    "  signal_id INTEGER NOT NULL REFERENCES signals(id) ON DELETE CASCADE,"
    "  frame INTEGER NOT NULL,"
    "  quality INTEGER NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  timestamp REAL NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX IF NOT EXISTS vpdq_frames_signal ON vpdq_frames(signal_id);",
    /* 4 -> 5: keys name their holder and tenant and may be limited to some banks; review items
     * and outbox entries belong to a tenant; a false-positive decision that would allow-list
     * the content of a csam block match is first proposed, then confirmed by a second
     * reviewer (src/review/, docs/review.md); any change to a key that can take a right
     * away bumps meta 'keys_generation', so a server caching verified keys sees a revocation
     * on its next request (sqlite_keys.c, docs/keys.md). The new columns are added by
     * added_columns below (SQLite has no ADD COLUMN IF NOT EXISTS); this text holds what
     * can say IF NOT EXISTS itself. */
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('keys_generation', 0);"
    "CREATE TRIGGER IF NOT EXISTS api_keys_generation_update"
    "  AFTER UPDATE OF name, scopes, rate, secret_sha256, revoked, holder, tenant, banks"
    "  ON api_keys BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'keys_generation';"
    "END;"
    "CREATE TRIGGER IF NOT EXISTS api_keys_generation_delete AFTER DELETE ON api_keys BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'keys_generation';"
    "END;"
    "CREATE INDEX IF NOT EXISTS review_items_tenant_queue"
    "  ON review_items(tenant, state, priority DESC, created, id);"
    "CREATE INDEX IF NOT EXISTS review_items_tenant_content"
    "  ON review_items(tenant, content_id);"
    "CREATE INDEX IF NOT EXISTS outbox_tenant_pending ON outbox(tenant)"
    "  WHERE delivered = 0 AND failed = 0;",
    /* 5 -> 6: the engine's live state (repeat counts and conversations' text evidence, the
     * bytes of cg_engine_state_save), one row per tenant, so that a restart of the service
     * does not forget an ongoing grooming trajectory (sqlite_state.c, docs/banks.md). */
    "CREATE TABLE IF NOT EXISTS engine_state("
    "  tenant TEXT PRIMARY KEY,"
    "  state BLOB NOT NULL,"
    "  saved INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 6 -> 7: the job ledger of queued scans (sqlite_jobs.c, docs/queue.md). */
    CG__SQLITE_JOBS_SCHEMA,
    /* 7 -> 8: exchanges, their credentials and signal provenance (sqlite_exchange.c,
     * docs/exchange.md). */
    CG__SQLITE_EXCHANGES_SCHEMA,
    /* 8 -> 9: text excerpts of review items, kept only under the policy's text quarantine
     * (sqlite_review_excerpt.c, docs/review.md "Text excerpts"). */
    CG__SQLITE_EXCERPT_SCHEMA,
    /* 9 -> 10: the exchange feedback queue (sqlite_feedback.c, docs/exchange.md "Feedback"). */
    CG__SQLITE_FEEDBACK_SCHEMA,
    /* 10 -> 11: exchanges' back-off and refetch generation
     * (sqlite_exchange.c, docs/exchange.md). */
    CG__SQLITE_EXCHANGE_FETCH_SCHEMA,
    /* 11 -> 12: nothing in SQLite. PostgreSQL's step reorders the columns of signals' unique
     * key (pg_schema.c); SQLite keeps UNIQUE (bank_id, signal_type, value), whose BINARY text
     * compare is a memcmp. */
    "SELECT 1;",
};

/* Columns a step adds, before its SQL runs: each is added only when its table lacks it (a file
 * whose user_version was set back by hand keeps the columns it had). */
static const struct {
    int version; /* the step that adds it: user_version after the step */
    const char *table, *column, *decl;
} added_columns[] = {
    {5, "api_keys", "holder", "TEXT NOT NULL DEFAULT ''"},
    {5, "api_keys", "tenant", "TEXT NOT NULL DEFAULT 'default'"},
    {5, "api_keys", "banks", "TEXT NOT NULL DEFAULT ''"},
    {5, "review_items", "tenant", "TEXT NOT NULL DEFAULT 'default'"},
    {5, "review_items", "proposed_state", "TEXT NOT NULL DEFAULT ''"},
    {5, "review_items", "proposed_by", "TEXT NOT NULL DEFAULT ''"},
    {5, "review_items", "proposed_bank", "TEXT NOT NULL DEFAULT ''"},
    {5, "review_items", "proposed_note", "TEXT NOT NULL DEFAULT ''"},
    {5, "review_items", "proposed_at", "INTEGER NOT NULL DEFAULT 0"},
    {5, "review_items", "confirmed_by", "TEXT NOT NULL DEFAULT ''"},
    {5, "outbox", "tenant", "TEXT NOT NULL DEFAULT 'default'"},
    /* 10 -> 11 (CG__SQLITE_EXCHANGE_FETCH_SCHEMA): back-off and refetch generation. */
    {11, "exchanges", "failures", "INTEGER NOT NULL DEFAULT 0"},
    {11, "exchanges", "next_fetch_ts", "INTEGER NOT NULL DEFAULT 0"},
    {11, "exchanges", "link_gen", "INTEGER NOT NULL DEFAULT 0"},
    {11, "exchanges", "sweep_pending", "INTEGER NOT NULL DEFAULT 0"},
    {11, "exchange_links", "gen", "INTEGER NOT NULL DEFAULT 0"},
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == CG__BANKDB_SCHEMA_VERSION,
               "one migration step per schema version");

/* ---- errors ------------------------------------------------------------------------------- */

cg_status cg__bankdb_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return CG_OK;
    case SQLITE_NOMEM:
        return CG_E_NOMEM;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return CG_E_IO;
    case SQLITE_NOTADB:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return CG_E_INVAL;
    case SQLITE_CORRUPT:
        return CG_E_DECODE;
    default: /* BUSY, LOCKED, ERROR, ... */
        return CG_E_BACKEND;
    }
}

cg_status cg__bankdb_fail(cg_bankdb *db, cg_error *err, int rc, const char *fmt, ...)
{
    char what[160];
    const char *msg;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    /* The connection's message is the specific one ("UNIQUE constraint failed: banks.name");
     * when it does not belong to rc (the error came from elsewhere), use rc's generic text. */
    sqlite3 *conn = db->be != NULL ? cg__sq(db) : NULL;

    msg = conn != NULL && (sqlite3_errcode(conn) & 0xff) == (rc & 0xff)
              ? sqlite3_errmsg(conn)
              : sqlite3_errstr(rc);
    return cg__fail(err, cg__bankdb_status(rc), "%s: %s: %s", db->path, what, msg);
}

/* ---- statements and transactions ---------------------------------------------------------- */

cg_status cg__bankdb_stmt(cg_bankdb *db, cg__bank_stmt slot, const char *sql, sqlite3_stmt **out,
                          cg_error *err)
{
    cg__sqlite *c = db->be;
    int rc;

    if ((unsigned)slot >= CG__STMT_COUNT) {
        *out = NULL;
        return cg__fail(err, CG_E_INVAL, "%s: bad statement slot", db->path);
    }
    if (c->stmt[slot] == NULL) {
        rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[slot], NULL);
        if (rc != SQLITE_OK) {
            c->stmt[slot] = NULL;
            *out = NULL;
            return cg__bankdb_fail(db, err, rc, "preparing a statement");
        }
    }
    *out = c->stmt[slot];
    return CG_OK;
}

cg_status cg__bankdb_prepare(cg_bankdb *db, const char *sql, sqlite3_stmt **out, cg_error *err)
{
    int rc = sqlite3_prepare_v2(cg__sq(db), sql, -1, out, NULL);

    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return cg__bankdb_fail(db, err, rc, "preparing a statement");
    }
    return CG_OK;
}

cg_status cg__bankdb_exec(cg_bankdb *db, const char *sql, const char *what, cg_error *err)
{
    int rc = sqlite3_exec(cg__sq(db), sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return cg__bankdb_fail(db, err, rc, "%s", what);
    return CG_OK;
}

/* Transactions nest (store_ops.h: a job's record holds one open around the review and outbox
 * writes): inside an open one, begin opens a savepoint, commit releases it and rollback undoes
 * only it. Outside, they are BEGIN / COMMIT / ROLLBACK as before. */
static cg_status tx_begin(cg_bankdb *db, const char *sql, const char *what, cg_error *err)
{
    cg__sqlite *c = db->be;
    cg_status st;

    if (c->tx_depth > 0 && !sqlite3_get_autocommit(c->db))
        sql = "SAVEPOINT cg_nested";
    else
        c->tx_depth = 0;
    st = cg__bankdb_exec(db, sql, what, err);
    if (st == CG_OK)
        c->tx_depth++;
    return st;
}

cg_status cg__bankdb_begin_write(cg_bankdb *db, const char *what, cg_error *err)
{
    return tx_begin(db, "BEGIN IMMEDIATE", what, err);
}

cg_status cg__bankdb_begin_read(cg_bankdb *db, const char *what, cg_error *err)
{
    return tx_begin(db, "BEGIN", what, err);
}

cg_status cg__bankdb_commit(cg_bankdb *db, const char *what, cg_error *err)
{
    cg__sqlite *c = db->be;
    cg_status st;

    if (c->tx_depth > 1) {
        st = cg__bankdb_exec(db, "RELEASE cg_nested", what, err);
        if (st != CG_OK)
            cg__bankdb_rollback(db);
        else
            c->tx_depth--;
        return st;
    }
    st = cg__bankdb_exec(db, "COMMIT", what, err);
    /* A failed COMMIT (disk full, busy readers on a checkpoint) leaves the transaction open;
     * the callers' contract is all or nothing, so end it. */
    if (st != CG_OK)
        cg__bankdb_rollback(db);
    c->tx_depth = 0;
    return st;
}

cg_status cg__sqlite_begin_write(cg_bankdb *db, const char *what, cg_error *err)
{
    return cg__bankdb_begin_write(db, what, err);
}

cg_status cg__sqlite_commit(cg_bankdb *db, const char *what, cg_error *err)
{
    return cg__bankdb_commit(db, what, err);
}

void cg__sqlite_rollback(cg_bankdb *db)
{
    cg__bankdb_rollback(db);
}

cg_status cg__sqlite_snapshot_begin(cg_bankdb *db, const char *what, cg_error *err)
{
    return cg__bankdb_begin_read(db, what, err);
}

cg_status cg__sqlite_snapshot_end(cg_bankdb *db, const char *what, cg_error *err)
{
    if (what == NULL) {
        cg__bankdb_rollback(db);
        return CG_OK;
    }
    return cg__bankdb_commit(db, what, err);
}

void cg__bankdb_rollback(cg_bankdb *db)
{
    /* Statements still running would make ROLLBACK fail with SQLITE_BUSY on old SQLite
     * versions; the cached ones are always reset by their users, so none are. */
    cg__sqlite *c = db->be;

    if (c->tx_depth > 1 && !sqlite3_get_autocommit(c->db)) {
        (void)sqlite3_exec(c->db, "ROLLBACK TO cg_nested; RELEASE cg_nested", NULL, NULL, NULL);
        c->tx_depth--;
        return;
    }
    c->tx_depth = 0;
    if (!sqlite3_get_autocommit(cg__sq(db)))
        (void)sqlite3_exec(cg__sq(db), "ROLLBACK", NULL, NULL, NULL);
}

cg_status cg__bankdb_query_int(cg_bankdb *db, const char *sql, int64_t *out, int none_ok,
                               const char *what, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *out = 0;
    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE || !none_ok)
        s = cg__bankdb_fail(db, err, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "%s", what);
    sqlite3_finalize(st);
    return s;
}

/* ---- opening ------------------------------------------------------------------------------ */

/* Reads one integer of the database header. */
static cg_status query_int(cg_bankdb *db, const char *sql, int64_t *out, cg_error *err)
{
    return cg__bankdb_query_int(db, sql, out, 1, "reading the database header", err);
}

/* What the file's header says about it. */
typedef struct db_identity {
    int64_t app_id;
    int64_t version;
    int64_t objects; /* rows of sqlite_master: 0 for a new (empty) database */
} db_identity;

static cg_status read_identity(cg_bankdb *db, db_identity *id, cg_error *err)
{
    cg_status st = query_int(db, "PRAGMA application_id", &id->app_id, err);

    if (st == CG_OK)
        st = query_int(db, "PRAGMA user_version", &id->version, err);
    if (st == CG_OK)
        st = query_int(db, "SELECT count(*) FROM sqlite_master", &id->objects, err);
    return st;
}

/* Decides whether the file can be used as is, must be migrated, or must be refused. Sets
 * *migrate when the schema is older than this build's. */
static cg_status check_identity(cg_bankdb *db, const db_identity *id, int *migrate,
                                cg_error *err)
{
    *migrate = 0;
    if (id->app_id == 0 && id->objects == 0 && id->version == 0) {
        /* A new, empty database. */
        if (!(db->flags & CG_BANKDB_CREATE))
            return cg__fail(err, CG_E_INVAL,
                            "%s: empty file, not a childguard bank database yet (creating a "
                            "bank initialises it)",
                            db->path);
        if (db->flags & CG_BANKDB_READONLY)
            return cg__fail(err, CG_E_INVAL, "%s: empty database opened read-only", db->path);
        *migrate = 1;
        return CG_OK;
    }
    if (id->app_id != CG__BANKDB_APPLICATION_ID)
        return cg__fail(err, CG_E_INVAL,
                        "%s: not a childguard bank database (SQLite application_id %#llx, "
                        "expected %#x)",
                        db->path, (unsigned long long)(uint32_t)id->app_id,
                        CG__BANKDB_APPLICATION_ID);
    if (id->version > CG__BANKDB_SCHEMA_VERSION)
        return cg__fail(err, CG_E_INVAL,
                        "%s: bank database schema version %lld is newer than this build "
                        "supports (%d); upgrade childguard",
                        db->path, (long long)id->version, CG__BANKDB_SCHEMA_VERSION);
    if (id->version < CG__BANKDB_SCHEMA_VERSION) {
        if (db->flags & CG_BANKDB_READONLY)
            return cg__fail(err, CG_E_INVAL,
                            "%s: bank database schema version %lld is older than this build's "
                            "(%d); open it read-write once to migrate it",
                            db->path, (long long)id->version, CG__BANKDB_SCHEMA_VERSION);
        *migrate = 1;
    }
    return CG_OK;
}

/* Adds the columns of step `version` that their tables lack (inside the migration's
 * transaction). */
static cg_status add_columns(cg_bankdb *db, int64_t version, cg_error *err)
{
    char sql[256];
    cg_status st = CG_OK;

    for (size_t i = 0; st == CG_OK && i < sizeof(added_columns) / sizeof(added_columns[0]);
         i++) {
        sqlite3_stmt *q = NULL;
        int rc, present;

        if (added_columns[i].version != version)
            continue;
        st = cg__bankdb_prepare(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
                                &q, err);
        if (st != CG_OK)
            break;
        sqlite3_bind_text(q, 1, added_columns[i].table, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, added_columns[i].column, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
        present = rc == SQLITE_ROW && sqlite3_column_int(q, 0) > 0;
        if (rc != SQLITE_ROW)
            st = cg__bankdb_fail(db, err, rc, "migrating the schema");
        sqlite3_finalize(q);
        if (st != CG_OK || present)
            continue;
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", added_columns[i].table,
                 added_columns[i].column, added_columns[i].decl);
        st = cg__bankdb_exec(db, sql, "migrating the schema", err);
    }
    return st;
}

/* Brings the schema to this build's version in one transaction; rechecks identity under the
 * write lock, since another process may have created or migrated the file meanwhile. */
static cg_status migrate(cg_bankdb *db, cg_error *err)
{
    db_identity id = {0, 0, 0};
    char sql[96];
    int need;
    cg_status st;

    st = cg__bankdb_begin_write(db, "migrating the schema", err);
    if (st != CG_OK)
        return st;
    st = read_identity(db, &id, err);
    if (st == CG_OK)
        st = check_identity(db, &id, &need, err);
    for (int64_t v = id.version; st == CG_OK && need && v < CG__BANKDB_SCHEMA_VERSION; v++) {
        st = add_columns(db, v + 1, err);
        if (st == CG_OK)
            st = cg__bankdb_exec(db, migrations[v], "migrating the schema", err);
        if (st != CG_OK)
            break;
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)(v + 1));
        st = cg__bankdb_exec(db, sql, "migrating the schema", err);
    }
    if (st == CG_OK && need) {
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", CG__BANKDB_APPLICATION_ID);
        st = cg__bankdb_exec(db, sql, "migrating the schema", err);
    }
    if (st == CG_OK)
        return cg__bankdb_commit(db, "migrating the schema", err);
    cg__bankdb_rollback(db);
    return st;
}

/* Refuses a non-empty file that does not start with the SQLite header. A missing file is left
 * to sqlite3_open_v2 (CREATE decides).
 *
 * The header is read through SQLite's own VFS, never with open()/close(): closing any
 * descriptor of a file releases every POSIX lock this process holds on it, including the locks
 * of the process's other SQLite connections to the same database (a server opens handles
 * lazily while others are in use). Without those locks, another process closing its last
 * connection believes the WAL is unused, checkpoints and deletes it under the live
 * connections, and committed pages are lost (seen as a corrupt index). SQLite's unix VFS
 * defers such a close until the process's locks on the file are gone. */
static cg_status precheck_file(const char *path, cg_error *err)
{
    static const char magic[16] = "SQLite format 3";
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    sqlite3_file *f = NULL;
    sqlite3_filename name = NULL;
    sqlite3_int64 size = 0;
    char head[16];
    struct stat sb;
    int rc, flags = 0;
    cg_status st = CG_OK;

    if (strcmp(path, ":memory:") == 0 || path[0] == '\0')
        return CG_OK;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return CG_OK;
        return cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
    }
    if (vfs == NULL)
        return cg__fail(err, CG_E_BACKEND, "%s: no SQLite VFS", path);
    f = cg__calloc(1, (size_t)vfs->szOsFile);
    name = sqlite3_create_filename(path, "", "", 0, NULL);
    if (f == NULL || name == NULL) {
        cg__free(f);
        sqlite3_free_filename(name);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    }
    rc = vfs->xOpen(vfs, name, f, SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READONLY, &flags);
    if (rc != SQLITE_OK) {
        st = cg__fail(err, CG_E_IO, "%s: cannot open: %s", path,
                      sb.st_mode & S_IFDIR ? "is a directory" : sqlite3_errstr(rc));
    } else {
        /* The size from stat: the unix VFS reports a 1-byte file as empty. */
        size = (sqlite3_int64)sb.st_size;
        if (size > 0)
            rc = f->pMethods->xRead(f, head, size < 16 ? (int)size : 16, 0);
        if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
            st = cg__fail(err, CG_E_IO, "%s: cannot read: %s", path, sqlite3_errstr(rc));
        else if (size > 0 && (size < 16 || memcmp(head, magic, sizeof(head)) != 0))
            st = cg__fail(err, CG_E_INVAL, "%s: file is not a database (no SQLite header)",
                          path);
    }
    if (f->pMethods != NULL)
        f->pMethods->xClose(f);
    cg__free(f);
    sqlite3_free_filename(name);
    return st;
}

static cg_status open_connection(cg_bankdb *db, cg_error *err)
{
    int oflags = SQLITE_OPEN_NOMUTEX;
    int rc;

    if (db->flags & CG_BANKDB_READONLY)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE | ((db->flags & CG_BANKDB_CREATE) ? SQLITE_OPEN_CREATE : 0);
    rc = sqlite3_open_v2(db->path, &((cg__sqlite *)db->be)->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        int sys = sqlite3_system_errno(cg__sq(db));
        cg_status st;

        if ((rc & 0xff) == SQLITE_CANTOPEN && sys == ENOENT && !(db->flags & CG_BANKDB_CREATE))
            st = cg__fail(err, CG_E_NOTFOUND,
                          "%s: no bank database here yet (creating a bank creates it)",
                          db->path);
        else if ((rc & 0xff) == SQLITE_CANTOPEN && sys != 0)
            st = cg__fail(err, CG_E_IO, "%s: cannot open the bank database: %s", db->path,
                          strerror(sys));
        else
            st = cg__bankdb_fail(db, err, rc, "opening the bank database");
        return st;
    }
    sqlite3_extended_result_codes(cg__sq(db), 1);
    rc = sqlite3_busy_timeout(cg__sq(db), CG__BANKDB_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK)
        return cg__bankdb_fail(db, err, rc, "setting the busy timeout");
    return CG_OK;
}

/* Connection settings, applied once the file is known to be ours (or new). WAL lets readers
 * run beside one writer across processes; synchronous=NORMAL in WAL mode never corrupts the
 * file, but a power loss (not a process crash) may drop the last committed transactions
 * (docs/banks.md). The journal mode is persistent; the others are per connection. */
static cg_status apply_pragmas(cg_bankdb *db, cg_error *err)
{
    cg_status st = CG_OK;

    if (!(db->flags & CG_BANKDB_READONLY))
        st = cg__bankdb_exec(db, "PRAGMA journal_mode = WAL", "enabling WAL mode", err);
    if (st == CG_OK)
        st = cg__bankdb_exec(db,
                             "PRAGMA foreign_keys = ON;"
                             "PRAGMA synchronous = NORMAL;"
                             "PRAGMA cache_size = -32768;" /* 32 MiB: an import's index */
                             "PRAGMA temp_store = MEMORY;",
                             "setting connection options", err);
    return st;
}

/* The store's open op: db->path is the file (the location without "sqlite:"), db->flags
 * checked by cg_bankdb_open. */
cg_status cg__sqlite_open(cg_bankdb *db, const char *where, cg_error *err)
{
    db_identity id = {0, 0, 0};
    int need = 0;
    cg_status st;

    (void)where; /* the same text as db->path */
    st = precheck_file(db->path, err);
    if (st != CG_OK)
        return st;
    db->be = cg__calloc(1, sizeof(cg__sqlite));
    if (db->be == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    st = open_connection(db, err);
    if (st == CG_OK)
        st = read_identity(db, &id, err);
    if (st == CG_OK)
        st = check_identity(db, &id, &need, err);
    if (st == CG_OK)
        st = apply_pragmas(db, err);
    if (st == CG_OK && need)
        st = migrate(db, err);
    if (st == CG_OK)
        cg__sqlite_version_init(db);
    return st;
}

void cg__sqlite_close(cg_bankdb *db)
{
    cg__sqlite *c = db->be;

    if (c == NULL)
        return;
    for (size_t i = 0; i < CG__STMT_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    /* close_v2 cannot fail for a busy connection: every statement is finalized above. */
    sqlite3_close_v2(c->db);
    cg__free(c);
    db->be = NULL;
}

/* ---- test hooks --------------------------------------------------------------------------- */

sqlite3 *cg__bankdb_sqlite(cg_bankdb *db)
{
    return db->ops == &cg__store_sqlite ? cg__sq(db) : NULL;
}

cg_status cg__bankdb_set_busy_timeout(cg_bankdb *db, int ms, cg_error *err)
{
    int rc = sqlite3_busy_timeout(cg__sq(db), ms);

    if (rc != SQLITE_OK)
        return cg__bankdb_fail(db, err, rc, "setting the busy timeout");
    return CG_OK;
}

cg_status cg__bankdb_set_max_pages(cg_bankdb *db, int64_t pages, cg_error *err)
{
    char sql[64];

    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages);
    return cg__bankdb_exec(db, sql, "setting max_page_count", err);
}

/* Copies text column col into dst (cap bytes); -1 when it does not fit. */
int cg__bankdb_column_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    const size_t n = (size_t)sqlite3_column_bytes(st, col);

    if (t == NULL) {
        dst[0] = '\0';
        return 0;
    }
    if (n >= cap)
        return -1;
    memcpy(dst, t, n);
    dst[n] = '\0';
    return 0;
}
