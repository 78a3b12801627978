/* The exchange feedback queue's rows (store_ops.h, include/childguard/exchange_feedback.h),
 * schema step 10. Every op is one statement (or a statement per row read) inside the caller's
 * transaction, or autocommit. The rows hold ids and the matched hash only, copied from the
 * exchange's provenance links and the signal when they are queued, so that a signal the
 * exchange later withdraws still has its feedback delivered. A new row is due at once
 * (next_attempt 0). */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define FB_COLUMNS                                                                          \
    "f.id, f.exchange_id, e.name, COALESCE(f.review_item, 0), f.key, f.member, f.entry_id,"  \
    " f.signal_type, f.value, f.verdict, f.reason, f.actor, f.created, f.state, f.attempts," \
    " f.next_attempt, f.finished, f.last_error"

static void text_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;

    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

static void read_row(sqlite3_stmt *st, cg_exchange_feedback_item *it)
{
    char tname[32];
    const void *v;
    int vlen;

    memset(it, 0, sizeof(*it));
    it->id = sqlite3_column_int64(st, 0);
    it->exchange_id = sqlite3_column_int64(st, 1);
    text_col(st, 2, it->exchange, sizeof(it->exchange));
    it->review_item = sqlite3_column_int64(st, 3);
    text_col(st, 4, it->key, sizeof(it->key));
    text_col(st, 5, it->member, sizeof(it->member));
    text_col(st, 6, it->entry_id, sizeof(it->entry_id));
    text_col(st, 7, tname, sizeof(tname));
    it->type = tname[0] != '\0' ? cg_signal_type_find(tname) : NULL;
    v = sqlite3_column_blob(st, 8);
    vlen = sqlite3_column_bytes(st, 8);
    if (it->type != NULL && v != NULL && vlen == (int)it->type->bytes)
        memcpy(it->value, v, (size_t)vlen);
    else
        it->type = NULL; /* a hand-edited row: no hash rather than a wrong one */
    it->verdict = sqlite3_column_int(st, 9);
    text_col(st, 10, it->reason, sizeof(it->reason));
    text_col(st, 11, it->actor, sizeof(it->actor));
    it->created = sqlite3_column_int64(st, 12);
    it->state = (cg_exchange_fb_state)sqlite3_column_int(st, 13);
    it->attempts = sqlite3_column_int(st, 14);
    it->next_attempt = sqlite3_column_int64(st, 15);
    it->finished = sqlite3_column_int64(st, 16);
    text_col(st, 17, it->last_error, sizeof(it->last_error));
}

cg_status cg__sqlite_feedback_enqueue_signal(cg_bankdb *db, const char *tenant,
                                             int64_t review_item, int64_t signal_id, int verdict,
                                             const char *actor, int64_t now, int64_t *added,
                                             cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    /* One row per link of the signal to an exchange of the tenant; the record's first linked
     * signal is the one named (a record matched through two of its hashes is one row). */
    s = cg__bankdb_prepare(
        db,
        "INSERT OR IGNORE INTO exchange_feedback(exchange_id, review_item, key, member,"
        " entry_id, signal_type, value, verdict, actor, created)"
        " SELECT l.exchange_id, ?1, l.key, l.member, l.entry_id, s.signal_type, s.value, ?3,"
        " ?4, ?5 FROM exchange_links l JOIN exchanges e ON e.id = l.exchange_id"
        " JOIN signals s ON s.id = l.signal_id WHERE l.signal_id = ?2 AND e.tenant = ?6",
        &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, review_item);
    sqlite3_bind_int64(st, 2, signal_id);
    sqlite3_bind_int(st, 3, verdict);
    sqlite3_bind_text(st, 4, actor != NULL ? actor : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, tenant, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "review item %lld: queueing exchange feedback",
                            (long long)review_item);
    else if (added != NULL)
        *added += sqlite3_changes(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_feedback_enqueue_key(cg_bankdb *db, int64_t exchange_id, const char *key,
                                          int verdict, const char *reason, const char *actor,
                                          int64_t now, int64_t *id, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *id = 0;
    s = cg__bankdb_prepare(
        db,
        "INSERT INTO exchange_feedback(exchange_id, review_item, key, member, entry_id,"
        " signal_type, value, verdict, reason, actor, created)"
        " SELECT l.exchange_id, NULL, l.key, l.member, l.entry_id, s.signal_type, s.value, ?3,"
        " ?4, ?5, ?6 FROM exchange_links l JOIN signals s ON s.id = l.signal_id"
        " WHERE l.exchange_id = ?1 AND l.key = ?2 ORDER BY l.signal_id LIMIT 1",
        &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, exchange_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, verdict);
    sqlite3_bind_text(st, 4, reason != NULL ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, actor != NULL ? actor : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: queueing feedback",
                            (long long)exchange_id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: the exchange has no record \"%.100s\" in its bank",
                     db->path, key);
    else
        *id = sqlite3_last_insert_rowid(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_feedback_list(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                   int filter, int64_t now, int limit,
                                   int (*fn)(const cg_exchange_feedback_item *it, void *ud),
                                   void *ud, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_exchange_feedback_item *row;
    cg_status s;
    int rc;

    row = cg__malloc(sizeof(*row));
    if (row == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: listing exchange feedback: out of memory",
                        db->path);
    s = cg__bankdb_prepare(db,
                           "SELECT " FB_COLUMNS " FROM exchange_feedback f"
                           " JOIN exchanges e ON e.id = f.exchange_id"
                           " WHERE e.tenant = ?1 AND (?2 = 0 OR f.exchange_id = ?2)"
                           " AND (?3 = 0 OR (?3 = 1 AND f.state = 0) OR (?3 = 2 AND f.state = 1)"
                           "  OR (?3 = 3 AND f.state = 2)"
                           "  OR (?3 = 4 AND f.state = 0 AND f.next_attempt <= ?4))"
                           " ORDER BY f.id LIMIT ?5",
                           &st, err);
    if (s != CG_OK) {
        cg__free(row);
        return s;
    }
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, exchange_id);
    sqlite3_bind_int(st, 3, filter);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, limit > 0 ? limit : -1);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st)) {
        read_row(st, row);
        if (fn(row, ud) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "listing exchange feedback");
    sqlite3_finalize(st);
    cg__free(row);
    return s;
}

cg_status cg__sqlite_feedback_mark(cg_bankdb *db, int64_t id, int to, int64_t now,
                                   int64_t next_attempt, const char *error, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "UPDATE exchange_feedback SET state = ?2,"
                           " attempts = attempts + (?2 <> 1),"
                           " next_attempt = CASE WHEN ?2 = 0 THEN ?4 ELSE next_attempt END,"
                           " finished = CASE WHEN ?2 = 0 THEN 0 ELSE ?3 END,"
                           " last_error = CASE WHEN ?2 = 1 THEN last_error ELSE ?5 END"
                           " WHERE id = ?1 AND state = 0",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, to);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, next_attempt);
    sqlite3_bind_text(st, 5, error != NULL ? error : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange feedback %lld: recording", (long long)id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: exchange feedback %lld is not pending", db->path,
                     (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_feedback_counts(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                     int64_t out[3], cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    out[0] = out[1] = out[2] = 0;
    s = cg__bankdb_prepare(db,
                           "SELECT f.state, count(*) FROM exchange_feedback f"
                           " JOIN exchanges e ON e.id = f.exchange_id"
                           " WHERE e.tenant = ?1 AND (?2 = 0 OR f.exchange_id = ?2)"
                           " GROUP BY f.state",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, exchange_id);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st)) {
        const int k = sqlite3_column_int(st, 0);

        if (k >= 0 && k < 3)
            out[k] = sqlite3_column_int64(st, 1);
    }
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "counting exchange feedback");
    sqlite3_finalize(st);
    return s;
}
