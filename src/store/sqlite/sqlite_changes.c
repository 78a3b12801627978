/* The change log: read and pruned here, written only by the triggers of the schema
 * (sqlite_store.c), so every writer logs in the same transaction as its change, even the sqlite3
 * shell.
 *
 * Pruning deletes a prefix of the log (every seq <= P) and records P in meta.pruned_seq. A
 * reader at seq S has a complete log after S exactly when S >= pruned_seq; otherwise it missed
 * entries and gets CG_E_NOTFOUND ("reread everything"). seq is AUTOINCREMENT, so numbers are
 * never reused even when the newest entries are deleted. */
#include "store/sqlite/sqlite_int.h"

#include <time.h>

#include "common/error.h"

static cg_status pruned_seq(cg_bankdb *db, int64_t *out, cg_error *err)
{
    return cg__bankdb_query_int(db, "SELECT value FROM meta WHERE key = 'pruned_seq'", out,
                                0, "reading the change log's pruned_seq", err);
}

cg_status cg__sqlite_change_seq(cg_bankdb *db, int64_t *out, cg_error *err)
{
    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_change_seq: out is NULL");
    *out = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_change_seq: db is NULL");
    /* After pruning everything the log may be empty; the last seq is then pruned_seq. */
    return cg__bankdb_query_int(db,
                                "SELECT max(ifnull((SELECT max(seq) FROM changes), 0),"
                                " (SELECT value FROM meta WHERE key = 'pruned_seq'))",
                                out, 0, "reading the change sequence", err);
}

/* Lists the entries after seq; runs inside the caller's (read) transaction. */
static cg_status list_since(cg_bankdb *db, int64_t seq,
                            int (*fn)(int64_t seq, cg_change_kind kind, int64_t id, void *ud),
                            void *ud, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    int64_t pruned;
    cg_status r;
    int rc;

    r = pruned_seq(db, &pruned, err);
    if (r != CG_OK)
        return r;
    if (seq < pruned)
        return cg__fail(err, CG_E_NOTFOUND,
                        "%s: changes after %lld were pruned (the log starts after %lld); "
                        "reread everything",
                        db->path, (long long)seq, (long long)pruned);
    r = cg__bankdb_prepare(db, "SELECT seq, kind, ref_id FROM changes WHERE seq > ?1 ORDER BY seq",
                           &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, seq);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            r = cg__bankdb_fail(db, err, rc, "reading the change log");
            break;
        }
        if (fn(sqlite3_column_int64(st, 0),
               sqlite3_column_int(st, 1) == 1   ? CG_CHANGE_BANK
               : sqlite3_column_int(st, 1) == 2 ? CG_CHANGE_BULK
                                                : CG_CHANGE_SIGNAL,
               sqlite3_column_int64(st, 2), ud) != 0)
            break;
    }
    sqlite3_finalize(st);
    return r;
}

cg_status cg__sqlite_changes_since(cg_bankdb *db, int64_t seq,
                                   int (*fn)(int64_t seq, cg_change_kind kind, int64_t id,
                                             void *ud),
                                   void *ud, cg_error *err)
{
    int own_tx;
    cg_status r;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_changes_since: NULL argument");
    if (seq < 0)
        return cg__fail(err, CG_E_INVAL, "%s: change seq %lld is negative", db->path,
                        (long long)seq);
    /* The pruned check and the listing must see one snapshot, or a prune between them would
     * hide entries: read both in one transaction (unless the caller is already in one). */
    own_tx = sqlite3_get_autocommit(cg__sq(db));
    if (own_tx) {
        r = cg__bankdb_begin_read(db, "reading the change log", err);
        if (r != CG_OK)
            return r;
    }
    r = list_since(db, seq, fn, ud, err);
    if (own_tx) {
        if (r == CG_OK)
            r = cg__bankdb_commit(db, "reading the change log", err);
        else
            cg__bankdb_rollback(db);
    }
    return r;
}

/* Runs a statement with ?1 bound to seq (pruning). */
static cg_status exec_with_seq(cg_bankdb *db, const char *sql, int64_t seq, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status r;
    int rc;

    r = cg__bankdb_prepare(db, sql, &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, seq);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        r = cg__bankdb_fail(db, err, rc, "pruning the change log");
    sqlite3_finalize(st);
    return r;
}

cg_status cg__sqlite_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err)
{
    /* ?1 = 0: everything but the newest entry; else entries older than ?1 seconds. Pruning by
     * seq prefix keeps the "complete after pruned_seq" invariant even if the clock stepped
     * back between entries. */
    static const char sql_upto[] =
        "SELECT CASE WHEN ?1 = 0"
        " THEN ifnull((SELECT max(seq) FROM changes"
        "              WHERE seq < (SELECT max(seq) FROM changes)), 0)"
        " ELSE ifnull((SELECT max(seq) FROM changes WHERE at < ?2), 0) END";
    sqlite3_stmt *st = NULL;
    int64_t upto = 0;
    cg_status r;
    int rc;

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_prune_changes: db is NULL");
    if (keep_seconds < 0)
        return cg__fail(err, CG_E_INVAL, "%s: keep_seconds %lld is negative", db->path,
                        (long long)keep_seconds);
    r = cg__bankdb_check_writable(db, err);
    if (r != CG_OK)
        return r;
    r = cg__bankdb_begin_write(db, "pruning the change log", err);
    if (r != CG_OK)
        return r;
    r = cg__bankdb_prepare(db, sql_upto, &st, err);
    if (r != CG_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, keep_seconds);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL) - keep_seconds);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        upto = sqlite3_column_int64(st, 0);
    else
        r = cg__bankdb_fail(db, err, rc, "pruning the change log");
    sqlite3_finalize(st);
    if (r != CG_OK)
        goto fail;
    if (upto > 0) {
        r = exec_with_seq(db, "DELETE FROM changes WHERE seq <= ?1", upto, err);
        if (r == CG_OK)
            r = exec_with_seq(db,
                              "UPDATE meta SET value = max(value, ?1) WHERE key = 'pruned_seq'",
                              upto, err);
        if (r != CG_OK)
            goto fail;
    }
    return cg__bankdb_commit(db, "pruning the change log", err);
fail:
    cg__bankdb_rollback(db);
    return r;
}
