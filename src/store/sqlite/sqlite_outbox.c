/* The webhook outbox in SQLite (include/childguard/outbox.h, docs/keys.md): notifications the
 * HTTP service must deliver, in the bank database so that a restart loses none.
 *
 * Table (sqlite_store.c, schema step 3): outbox holds one row per notification. delivered and
 * failed are unix times (0 = not yet); an entry is pending while both are 0. The partial index
 * outbox_due covers only the pending rows, so finding what is due stays cheap however long the
 * delivered history grows.
 *
 * Every write is one statement in autocommit mode (the bounded add is store_outbox.c's: its
 * count and insert run in one write transaction it opens): atomic, and durable as far as the
 * database's synchronous setting goes (WAL + NORMAL: survives a process crash; the last
 * commits may be lost on power failure).
 *
 * cg_outbox_due reads the due ids first (one bounded statement), then reads each entry again
 * right before its callback and finalizes that statement before calling: a callback making an
 * HTTP request must not hold a read transaction open (it would block WAL checkpoints, and the
 * callback's own mark_* writes would not commit until that statement ended). */
#include "store/sqlite/sqlite_int.h"

#include <string.h>
#include <time.h>

#include <jansson.h>

#include "childguard/outbox.h"
#include "common/alloc.h"
#include "common/error.h"

/* ---- writes ------------------------------------------------------------------------------- */

cg_status cg__sqlite_outbox_pending(cg_bankdb *db, const char *tenant, int64_t *n, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *n = 0;
    s = cg__bankdb_prepare(db,
                           "SELECT count(*) FROM outbox WHERE tenant = ?1 AND delivered = 0"
                           " AND failed = 0",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        s = cg__bankdb_fail(db, err, rc, "outbox: counting pending entries");
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_outbox_insert(cg_bankdb *db, const char *tenant, const char *target,
                                   const char *payload_json, int64_t now, int64_t *id,
                                   cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO outbox(target, payload, created, attempts,"
                           " next_attempt, last_error, delivered, failed, tenant)"
                           " VALUES (?1, ?2, ?3, 0, ?3, '', 0, 0, ?4)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, payload_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, tenant, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "outbox: adding an entry for \"%s\"", target);
    else
        *id = sqlite3_last_insert_rowid(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

/* Runs an UPDATE of one pending entry (?1 = id; the other parameters bound by the caller's
 * values); CG_E_NOTFOUND when no pending row changed. */
static cg_status update_pending(cg_bankdb *db, const char *sql, int64_t id, const char *text,
                                int64_t t, const char *what, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    if (text != NULL)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "outbox: %s entry %lld", what, (long long)id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: outbox: no pending entry %lld", db->path,
                     (long long)id);
    sqlite3_finalize(st);
    return s;
}

#define PENDING " WHERE id = ?1 AND delivered = 0 AND failed = 0"

cg_status cg__sqlite_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_mark_delivered: NULL argument");
    return update_pending(db, "UPDATE outbox SET delivered = ?3" PENDING, id, NULL,
                          now > 0 ? now : 1, "marking delivered", err);
}

cg_status cg__sqlite_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                                       int64_t next_attempt, cg_error *err)
{
    char buf[CG_OUTBOX_ERROR_MAX + 1];

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_mark_retry: NULL argument");
    cg__outbox_error_text_copy(error_text, buf);
    return update_pending(db,
                          "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,"
                          " next_attempt = ?3" PENDING,
                          id, buf, next_attempt, "recording a retry of", err);
}

cg_status cg__sqlite_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text,
                                        cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    char buf[CG_OUTBOX_ERROR_MAX + 1];

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_mark_failed: NULL argument");
    cg__outbox_error_text_copy(error_text, buf);
    return update_pending(db,
                          "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,"
                          " failed = ?3" PENDING,
                          id, buf, now > 0 ? now : 1, "giving up", err);
}

cg_status cg__sqlite_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (removed != NULL)
        *removed = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_prune: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_prepare(db,
                           "DELETE FROM outbox WHERE (delivered > 0 AND delivered < ?1)"
                           " OR (failed > 0 AND failed < ?1)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, before);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "outbox: pruning");
    else if (removed != NULL)
        *removed = sqlite3_changes64(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

/* ---- reads -------------------------------------------------------------------------------- */

cg_status cg__sqlite_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                                   int64_t *failed, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (pending != NULL)
        *pending = 0;
    if (delivered != NULL)
        *delivered = 0;
    if (failed != NULL)
        *failed = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_counts: NULL argument");
    s = cg__bankdb_prepare(db,
                           "SELECT COALESCE(SUM(delivered = 0 AND failed = 0), 0),"
                           " COALESCE(SUM(delivered > 0), 0),"
                           " COALESCE(SUM(delivered = 0 AND failed > 0), 0) FROM outbox",
                           &st, err);
    if (s != CG_OK)
        return s;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (pending != NULL)
            *pending = sqlite3_column_int64(st, 0);
        if (delivered != NULL)
            *delivered = sqlite3_column_int64(st, 1);
        if (failed != NULL)
            *failed = sqlite3_column_int64(st, 2);
    } else {
        s = cg__bankdb_fail(db, err, rc, "outbox: counting");
    }
    sqlite3_finalize(st);
    return s;
}

/* Reads the due ids (at most limit) into a new array; *n receives how many. */
static cg_status due_ids(cg_bankdb *db, int64_t now, int limit, int64_t **ids, size_t *n,
                         cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *ids = NULL;
    *n = 0;
    s = cg__bankdb_prepare(db,
                           "SELECT id FROM outbox WHERE delivered = 0 AND failed = 0"
                           " AND next_attempt <= ?1 ORDER BY id LIMIT ?2",
                           &st, err);
    if (s != CG_OK)
        return s;
    *ids = cg__malloc_array((size_t)limit, sizeof(**ids));
    if (*ids == NULL) {
        sqlite3_finalize(st);
        return cg__fail(err, CG_E_NOMEM, "%s: outbox: out of memory", db->path);
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < (size_t)limit)
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "outbox: reading the due entries");
    sqlite3_finalize(st);
    if (s != CG_OK) {
        cg__free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return s;
}

/* The copy of one entry handed to a callback: the strings outlive the statement. */
typedef struct entry_copy {
    cg_outbox_entry e;
    char target[CG_OUTBOX_TARGET_MAX + 1];
    char tenant[CG_TENANT_MAX + 1];
    char last_error[CG_OUTBOX_ERROR_MAX + 1];
    char *payload; /* cg__malloc'd */
} entry_copy;

/* Reads entry id if it is still pending and due; *found = 0 when it is not (marked meanwhile). */
static cg_status entry_load(cg_bankdb *db, sqlite3_stmt *st, int64_t id, int64_t now,
                            entry_copy *c, int *found, cg_error *err)
{
    cg_status s = CG_OK;
    int rc;

    *found = 0;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *payload = (const char *)sqlite3_column_text(st, 2);

        memset(&c->e, 0, sizeof(c->e));
        c->e.id = sqlite3_column_int64(st, 0);
        if (cg__bankdb_column_text(st, 1, c->target, sizeof(c->target)) < 0)
            s = cg__fail(err, CG_E_DECODE, "%s: outbox entry %lld: stored target too long",
                         db->path, (long long)id);
        else if (cg__bankdb_column_text(st, 6, c->last_error, sizeof(c->last_error)) < 0)
            s = cg__fail(err, CG_E_DECODE, "%s: outbox entry %lld: stored error too long",
                         db->path, (long long)id);
        else if (cg__bankdb_column_text(st, 7, c->tenant, sizeof(c->tenant)) < 0)
            s = cg__fail(err, CG_E_DECODE, "%s: outbox entry %lld: stored tenant too long",
                         db->path, (long long)id);
        if (s == CG_OK) {
            c->payload = cg__strdup(payload != NULL ? payload : "{}");
            if (c->payload == NULL)
                s = cg__fail(err, CG_E_NOMEM, "%s: outbox entry %lld: out of memory", db->path,
                             (long long)id);
        }
        if (s == CG_OK) {
            c->e.target = c->target;
            c->e.payload = c->payload;
            c->e.created = sqlite3_column_int64(st, 3);
            c->e.attempts = sqlite3_column_int(st, 4);
            c->e.next_attempt = sqlite3_column_int64(st, 5);
            c->e.last_error = c->last_error;
            c->e.tenant = c->tenant;
            *found = 1;
        }
    } else if (rc != SQLITE_DONE) {
        s = cg__bankdb_fail(db, err, rc, "outbox: reading entry %lld", (long long)id);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return s;
}

cg_status cg__sqlite_outbox_due(cg_bankdb *db, int64_t now, int limit,
                                int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                                cg_error *err)
{
    sqlite3_stmt *st = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    cg_status s;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_due: NULL argument");
    if (limit < 1 || limit > CG_OUTBOX_DUE_MAX)
        return cg__fail(err, CG_E_INVAL, "%s: outbox: limit %d out of range (1..%d)", db->path,
                        limit, CG_OUTBOX_DUE_MAX);
    s = due_ids(db, now, limit, &ids, &n, err);
    if (s != CG_OK || n == 0)
        goto done;
    s = cg__bankdb_prepare(db,
                           "SELECT id, target, payload, created, attempts, next_attempt,"
                           " last_error, tenant FROM outbox WHERE id = ?1 AND delivered = 0"
                           " AND failed = 0 AND next_attempt <= ?2",
                           &st, err);
    for (size_t i = 0; i < n && s == CG_OK; i++) {
        entry_copy c;
        int found, stop;

        c.payload = NULL;
        s = entry_load(db, st, ids[i], now, &c, &found, err);
        if (s != CG_OK || !found) {
            cg__free(c.payload);
            continue;
        }
        /* The statement is reset: no read transaction is open while fn runs. */
        stop = fn(&c.e, ud);
        cg__free(c.payload);
        if (stop != 0)
            break;
    }
done:
    sqlite3_finalize(st);
    cg__free(ids);
    return s;
}
