/* The exchange feedback queue's rows in PostgreSQL (store_ops.h,
 * include/childguard/exchange_feedback.h; the rules of sqlite_feedback.c), schema step 10.
 * Every op is one statement inside the caller's transaction, or autocommit. The rows hold ids
 * and the matched hash only, copied from the exchange's provenance links and the signal when
 * they are queued, so that a signal the exchange later withdraws still has its feedback
 * delivered. A new row is due at once (next_attempt 0).
 *
 * Where PostgreSQL differs from SQLite: a row already queued for (exchange, item, key) is
 * skipped through ON CONFLICT DO NOTHING (SQLite's INSERT OR IGNORE), so the decision's
 * transaction is never aborted by it; a list is read whole before its callback runs; text
 * longer than its field (only a hand-edited row) is cut at a character boundary. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define FB_COLUMNS                                                                          \
    "f.id, f.exchange_id, e.name, COALESCE(f.review_item, 0), f.key, f.member, f.entry_id,"  \
    " f.signal_type, encode(f.value, 'hex'), f.verdict, f.reason, f.actor, f.created,"       \
    " f.state, f.attempts, f.next_attempt, f.finished, f.last_error"

static void read_row(const PGresult *res, int row, cg_exchange_feedback_item *it)
{
    char tname[32];

    memset(it, 0, sizeof(*it));
    it->id = cg__pg_int(res, row, 0);
    it->exchange_id = cg__pg_int(res, row, 1);
    cg__pg_text_cut(res, row, 2, it->exchange, sizeof(it->exchange));
    it->review_item = cg__pg_int(res, row, 3);
    cg__pg_text_cut(res, row, 4, it->key, sizeof(it->key));
    cg__pg_text_cut(res, row, 5, it->member, sizeof(it->member));
    cg__pg_text_cut(res, row, 6, it->entry_id, sizeof(it->entry_id));
    cg__pg_text_cut(res, row, 7, tname, sizeof(tname));
    it->type = tname[0] != '\0' ? cg_signal_type_find(tname) : NULL;
    /* A hand-edited row: no hash rather than a wrong one. */
    if (it->type != NULL && cg__pg_hex(res, row, 8, it->value, it->type->bytes) < 0) {
        it->type = NULL;
        memset(it->value, 0, sizeof(it->value));
    }
    it->verdict = (int)cg__pg_int(res, row, 9);
    cg__pg_text_cut(res, row, 10, it->reason, sizeof(it->reason));
    cg__pg_text_cut(res, row, 11, it->actor, sizeof(it->actor));
    it->created = cg__pg_int(res, row, 12);
    it->state = (cg_exchange_fb_state)cg__pg_int(res, row, 13);
    it->attempts = (int)cg__pg_int(res, row, 14);
    it->next_attempt = cg__pg_int(res, row, 15);
    it->finished = cg__pg_int(res, row, 16);
    cg__pg_text_cut(res, row, 17, it->last_error, sizeof(it->last_error));
}

/* The number of rows a command changed. */
static int64_t changed_rows(const PGresult *res)
{
    return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

cg_status cg__pg_feedback_enqueue_signal(cg_bankdb *db, const char *tenant, int64_t review_item,
                                         int64_t signal_id, int verdict, const char *actor,
                                         int64_t now, int64_t *added, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[80];
    cg_status s;

    cg__pg_param_int(&p, review_item);
    cg__pg_param_int(&p, signal_id);
    cg__pg_param_int(&p, verdict);
    cg__pg_param_text(&p, actor != NULL ? actor : "");
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, tenant);
    snprintf(what, sizeof(what), "review item %lld: queueing exchange feedback",
             (long long)review_item);
    /* One row per link of the signal to an exchange of the tenant; the record's first linked
     * signal is the one named (a record matched through two of its hashes is one row). */
    s = cg__pg_query(db,
                     "INSERT INTO exchange_feedback(exchange_id, review_item, key, member,"
                     " entry_id, signal_type, value, verdict, actor, created)"
                     " SELECT l.exchange_id, $1::bigint, l.key, l.member, l.entry_id,"
                     " s.signal_type, s.value, $3::integer, $4, $5::bigint"
                     " FROM exchange_links l JOIN exchanges e ON e.id = l.exchange_id"
                     " JOIN signals s ON s.id = l.signal_id"
                     " WHERE l.signal_id = $2::bigint AND e.tenant = $6"
                     " ON CONFLICT (exchange_id, review_item, key) DO NOTHING",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (added != NULL)
        *added += changed_rows(res);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_feedback_enqueue_key(cg_bankdb *db, int64_t exchange_id, const char *key,
                                      int verdict, const char *reason, const char *actor,
                                      int64_t now, int64_t *id, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    *id = 0;
    cg__pg_param_int(&p, exchange_id);
    cg__pg_param_text(&p, key);
    cg__pg_param_int(&p, verdict);
    cg__pg_param_text(&p, reason != NULL ? reason : "");
    cg__pg_param_text(&p, actor != NULL ? actor : "");
    cg__pg_param_int(&p, now);
    snprintf(what, sizeof(what), "exchange %lld: queueing feedback", (long long)exchange_id);
    s = cg__pg_query(db,
                     "INSERT INTO exchange_feedback(exchange_id, review_item, key, member,"
                     " entry_id, signal_type, value, verdict, reason, actor, created)"
                     " SELECT l.exchange_id, NULL, l.key, l.member, l.entry_id, s.signal_type,"
                     " s.value, $3::integer, $4, $5, $6::bigint"
                     " FROM exchange_links l JOIN signals s ON s.id = l.signal_id"
                     " WHERE l.exchange_id = $1::bigint AND l.key = $2"
                     " ORDER BY l.signal_id LIMIT 1 RETURNING id",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1)
        *id = cg__pg_int(res, 0, 0);
    else
        s = cg__fail(err, CG_E_NOTFOUND, "%s: the exchange has no record \"%.100s\" in its bank",
                     db->path, key);
    PQclear(res);
    return s;
}

cg_status cg__pg_feedback_list(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                               int filter, int64_t now, int limit,
                               int (*fn)(const cg_exchange_feedback_item *it, void *ud),
                               void *ud, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_exchange_feedback_item *row;
    cg_status s;

    row = cg__malloc(sizeof(*row));
    if (row == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: listing exchange feedback: out of memory",
                        db->path);
    cg__pg_param_text(&p, tenant);
    cg__pg_param_int(&p, exchange_id);
    cg__pg_param_int(&p, filter);
    cg__pg_param_int(&p, now);
    if (limit > 0)
        cg__pg_param_int(&p, limit);
    else
        cg__pg_param_null(&p); /* LIMIT NULL: all */
    s = cg__pg_query(db,
                     "SELECT " FB_COLUMNS " FROM exchange_feedback f"
                     " JOIN exchanges e ON e.id = f.exchange_id"
                     " WHERE e.tenant = $1 AND ($2::bigint = 0 OR f.exchange_id = $2::bigint)"
                     " AND ($3::integer = 0 OR ($3::integer = 1 AND f.state = 0)"
                     "  OR ($3::integer = 2 AND f.state = 1) OR ($3::integer = 3 AND f.state = 2)"
                     "  OR ($3::integer = 4 AND f.state = 0 AND f.next_attempt <= $4::bigint))"
                     " ORDER BY f.id LIMIT $5::bigint",
                     &p, "listing exchange feedback", &res, err);
    for (int i = 0; s == CG_OK && i < PQntuples(res); i++) {
        read_row(res, i, row);
        if (fn(row, ud) != 0)
            break;
    }
    PQclear(res);
    cg__free(row);
    return s;
}

cg_status cg__pg_feedback_mark(cg_bankdb *db, int64_t id, int to, int64_t now,
                               int64_t next_attempt, const char *error, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    cg__pg_param_int(&p, to);
    cg__pg_param_int(&p, now);
    cg__pg_param_int(&p, next_attempt);
    cg__pg_param_text(&p, error != NULL ? error : "");
    snprintf(what, sizeof(what), "exchange feedback %lld: recording", (long long)id);
    s = cg__pg_query(db,
                     "UPDATE exchange_feedback SET state = $2::integer,"
                     " attempts = attempts + CASE WHEN $2::integer = 1 THEN 0 ELSE 1 END,"
                     " next_attempt = CASE WHEN $2::integer = 0 THEN $4::bigint"
                     "  ELSE next_attempt END,"
                     " finished = CASE WHEN $2::integer = 0 THEN 0 ELSE $3::bigint END,"
                     " last_error = CASE WHEN $2::integer = 1 THEN last_error ELSE $5 END"
                     " WHERE id = $1::bigint AND state = 0",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (changed_rows(res) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: exchange feedback %lld is not pending", db->path,
                     (long long)id);
    PQclear(res);
    return s;
}

cg_status cg__pg_feedback_counts(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                 int64_t out[3], cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    out[0] = out[1] = out[2] = 0;
    cg__pg_param_text(&p, tenant);
    cg__pg_param_int(&p, exchange_id);
    s = cg__pg_query(db,
                     "SELECT f.state, count(*) FROM exchange_feedback f"
                     " JOIN exchanges e ON e.id = f.exchange_id"
                     " WHERE e.tenant = $1 AND ($2::bigint = 0 OR f.exchange_id = $2::bigint)"
                     " GROUP BY f.state",
                     &p, "counting exchange feedback", &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res); i++) {
        const int64_t k = cg__pg_int(res, i, 0);

        if (k >= 0 && k < 3)
            out[k] = cg__pg_int(res, i, 1);
    }
    PQclear(res);
    return CG_OK;
}
