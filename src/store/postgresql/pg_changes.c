/* The change log in PostgreSQL: written only by the schema's triggers (pg_schema.c: in the
 * transaction of the change, under the store's write lock, so the log's order is the commit
 * order), read and pruned here with the SQLite backend's rules: pruning deletes a prefix of the
 * log (seq <= P) and records P in meta.pruned_seq; a reader at S has a complete log after S
 * exactly when S >= pruned_seq, else CG_E_NOTFOUND ("reread everything"). Identity numbers are
 * never reused. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <time.h>

#include "common/error.h"

cg_status cg__pg_change_seq(cg_bankdb *db, int64_t *out, cg_error *err)
{
    PGresult *res = NULL;
    cg_status r;

    *out = 0;
    r = cg__pg_query(db,
                     "SELECT greatest(coalesce((SELECT max(seq) FROM changes), 0),"
                     " (SELECT value FROM meta WHERE key = 'pruned_seq'))",
                     NULL, "reading the change sequence", &res, err);
    if (r != CG_OK)
        return r;
    *out = cg__pg_int(res, 0, 0);
    PQclear(res);
    return CG_OK;
}

static cg_status list_since(cg_bankdb *db, int64_t seq,
                            int (*fn)(int64_t seq, cg_change_kind kind, int64_t id, void *ud),
                            void *ud, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    int64_t pruned;
    cg_status r;

    r = cg__pg_query(db, "SELECT value FROM meta WHERE key = 'pruned_seq'", NULL,
                     "reading the change log's pruned_seq", &res, err);
    if (r != CG_OK)
        return r;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return cg__fail(err, CG_E_DECODE, "%s: meta has no pruned_seq", db->path);
    }
    pruned = cg__pg_int(res, 0, 0);
    PQclear(res);
    if (seq < pruned)
        return cg__fail(err, CG_E_NOTFOUND,
                        "%s: changes after %lld were pruned (the log starts after %lld); "
                        "reread everything",
                        db->path, (long long)seq, (long long)pruned);
    cg__pg_param_int(&p, seq);
    r = cg__pg_query(db, "SELECT seq, kind, ref_id FROM changes WHERE seq > $1::bigint ORDER BY seq",
                     &p, "reading the change log", &res, err);
    if (r != CG_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        const int64_t kind = cg__pg_int(res, i, 1);

        if (fn(cg__pg_int(res, i, 0),
               kind == 1   ? CG_CHANGE_BANK
               : kind == 2 ? CG_CHANGE_BULK
                           : CG_CHANGE_SIGNAL,
               cg__pg_int(res, i, 2), ud) != 0)
            break;
    }
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_changes_since(cg_bankdb *db, int64_t seq,
                               int (*fn)(int64_t seq, cg_change_kind kind, int64_t id, void *ud),
                               void *ud, cg_error *err)
{
    const int own_tx = !cg__pg_in_tx(db);
    cg_status r;

    if (seq < 0)
        return cg__fail(err, CG_E_INVAL, "%s: change seq %lld is negative", db->path,
                        (long long)seq);
    /* The pruned check and the listing see one snapshot (a prune between them would hide
     * entries). */
    if (own_tx) {
        r = cg__pg_snapshot_begin(db, "reading the change log", err);
        if (r != CG_OK)
            return r;
    }
    r = list_since(db, seq, fn, ud, err);
    if (own_tx) {
        if (r == CG_OK)
            r = cg__pg_commit(db, "reading the change log", err);
        else
            cg__pg_rollback(db);
    }
    return r;
}

cg_status cg__pg_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    int64_t upto;
    cg_status r;

    if (keep_seconds < 0)
        return cg__fail(err, CG_E_INVAL, "%s: keep_seconds %lld is negative", db->path,
                        (long long)keep_seconds);
    r = cg__bankdb_check_writable(db, err);
    if (r != CG_OK)
        return r;
    r = cg__pg_begin_write(db, "pruning the change log", err);
    if (r != CG_OK)
        return r;
    /* $1 = 0: everything but the newest entry; else the entries older than $1 seconds. */
    cg__pg_param_int(&p, keep_seconds);
    cg__pg_param_int(&p, (int64_t)time(NULL) - keep_seconds);
    r = cg__pg_query(db,
                     "SELECT CASE WHEN $1::bigint = 0"
                     " THEN coalesce((SELECT max(seq) FROM changes"
                     "                WHERE seq < (SELECT max(seq) FROM changes)), 0)"
                     " ELSE coalesce((SELECT max(seq) FROM changes WHERE at < $2::bigint), 0)"
                     " END",
                     &p, "pruning the change log", &res, err);
    if (r != CG_OK)
        goto fail;
    upto = cg__pg_int(res, 0, 0);
    PQclear(res);
    if (upto > 0) {
        cg__pg_params q = {0};

        cg__pg_param_int(&q, upto);
        r = cg__pg_query(db,
                         "WITH d AS (DELETE FROM changes WHERE seq <= $1::bigint)"
                         " UPDATE meta SET value = greatest(value, $1::bigint)"
                         " WHERE key = 'pruned_seq'",
                         &q, "pruning the change log", NULL, err);
        if (r != CG_OK)
            goto fail;
    }
    return cg__pg_commit(db, "pruning the change log", err);
fail:
    cg__pg_rollback(db);
    return r;
}
