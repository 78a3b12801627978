/* The webhook outbox in PostgreSQL (outbox.h; the rules of sqlite_outbox.c): one row per
 * notification, pending while delivered and failed are both 0. Each write is one statement
 * (autocommit) unless the caller holds a write transaction (the bounded add of
 * store_outbox.c). cg_outbox_due reads the due ids first, then each entry again right before
 * its callback, holding no result or transaction while the callback runs (it makes an HTTP
 * request and marks the entry itself). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard/outbox.h"
#include "childguard/tenant.h"
#include "common/alloc.h"
#include "common/error.h"

cg_status cg__pg_outbox_pending(cg_bankdb *db, const char *tenant, int64_t *n, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    *n = 0;
    cg__pg_param_text(&p, tenant);
    s = cg__pg_query(db,
                     "SELECT count(*) FROM outbox WHERE tenant = $1 AND delivered = 0"
                     " AND failed = 0",
                     &p, "outbox: counting pending entries", &res, err);
    if (s != CG_OK)
        return s;
    *n = cg__pg_int(res, 0, 0);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_outbox_insert(cg_bankdb *db, const char *tenant, const char *target,
                               const char *payload_json, int64_t now, int64_t *id,
                               cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[CG_OUTBOX_TARGET_MAX + 48];
    cg_status s;

    cg__pg_param_text(&p, target);
    cg__pg_param_text(&p, payload_json);
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, tenant);
    snprintf(what, sizeof(what), "outbox: adding an entry for \"%s\"", target);
    s = cg__pg_query(db,
                     "INSERT INTO outbox(target, payload, created, attempts, next_attempt,"
                     " last_error, delivered, failed, tenant)"
                     " VALUES ($1, $2, $3::bigint, 0, $3::bigint, '', 0, 0, $4) RETURNING id",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    *id = cg__pg_int(res, 0, 0);
    PQclear(res);
    return CG_OK;
}

#define PENDING " WHERE id = $1::bigint AND delivered = 0 AND failed = 0"

/* An UPDATE of one pending entry ($1 id, $2 text when not NULL, $3 a time); CG_E_NOTFOUND
 * when no pending row changed. */
static cg_status update_pending(cg_bankdb *db, const char *sql, int64_t id, const char *text,
                                int64_t t, const char *what, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char step[96];
    cg_status s;

    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    cg__pg_param_int(&p, id);
    if (text != NULL)
        cg__pg_param_text(&p, text);
    else
        cg__pg_param_null(&p);
    cg__pg_param_int(&p, t);
    snprintf(step, sizeof(step), "outbox: %s entry %lld", what, (long long)id);
    s = cg__pg_query(db, sql, &p, step, &res, err);
    if (s != CG_OK)
        return s;
    if (strcmp(PQcmdTuples(res), "0") == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: outbox: no pending entry %lld", db->path,
                     (long long)id);
    PQclear(res);
    return s;
}

cg_status cg__pg_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);

    return update_pending(db,
                          "UPDATE outbox SET delivered = $3::bigint" PENDING
                          " AND $2::text IS NULL",
                          id, NULL, now > 0 ? now : 1, "marking delivered", err);
}

cg_status cg__pg_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                                   int64_t next_attempt, cg_error *err)
{
    char buf[CG_OUTBOX_ERROR_MAX + 1];

    cg__outbox_error_text_copy(error_text, buf);
    return update_pending(db,
                          "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                          " next_attempt = $3::bigint" PENDING,
                          id, buf, next_attempt, "recording a retry of", err);
}

cg_status cg__pg_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text,
                                    cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    char buf[CG_OUTBOX_ERROR_MAX + 1];

    cg__outbox_error_text_copy(error_text, buf);
    return update_pending(db,
                          "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                          " failed = $3::bigint" PENDING,
                          id, buf, now > 0 ? now : 1, "giving up", err);
}

cg_status cg__pg_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    if (removed != NULL)
        *removed = 0;
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    cg__pg_param_int(&p, before);
    s = cg__pg_query(db,
                     "DELETE FROM outbox WHERE (delivered > 0 AND delivered < $1::bigint)"
                     " OR (failed > 0 AND failed < $1::bigint)",
                     &p, "outbox: pruning", &res, err);
    if (s != CG_OK)
        return s;
    if (removed != NULL)
        *removed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                               int64_t *failed, cg_error *err)
{
    PGresult *res = NULL;
    cg_status s;

    if (pending != NULL)
        *pending = 0;
    if (delivered != NULL)
        *delivered = 0;
    if (failed != NULL)
        *failed = 0;
    s = cg__pg_query(db,
                     "SELECT count(*) FILTER (WHERE delivered = 0 AND failed = 0),"
                     " count(*) FILTER (WHERE delivered > 0),"
                     " count(*) FILTER (WHERE delivered = 0 AND failed > 0) FROM outbox",
                     NULL, "outbox: counting", &res, err);
    if (s != CG_OK)
        return s;
    if (pending != NULL)
        *pending = cg__pg_int(res, 0, 0);
    if (delivered != NULL)
        *delivered = cg__pg_int(res, 0, 1);
    if (failed != NULL)
        *failed = cg__pg_int(res, 0, 2);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_outbox_due(cg_bankdb *db, int64_t now, int limit,
                            int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                            cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *ids = NULL;
    cg_status s;

    if (fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_due: NULL argument");
    if (limit < 1 || limit > CG_OUTBOX_DUE_MAX)
        return cg__fail(err, CG_E_INVAL, "%s: outbox: limit %d out of range (1..%d)", db->path,
                        limit, CG_OUTBOX_DUE_MAX);
    cg__pg_param_int(&p, now);
    cg__pg_param_int(&p, limit);
    s = cg__pg_query(db,
                     "SELECT id FROM outbox WHERE delivered = 0 AND failed = 0"
                     " AND next_attempt <= $1::bigint ORDER BY id LIMIT $2::bigint",
                     &p, "outbox: reading the due entries", &ids, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(ids) && s == CG_OK; i++) {
        cg__pg_params q = {0};
        PGresult *res = NULL;
        cg_outbox_entry e;
        char target[CG_OUTBOX_TARGET_MAX + 1], tenant[CG_TENANT_MAX + 1],
            last_error[CG_OUTBOX_ERROR_MAX + 1];
        char *payload;
        int stop;

        cg__pg_param_int(&q, cg__pg_int(ids, i, 0));
        cg__pg_param_int(&q, now);
        s = cg__pg_query(db,
                         "SELECT id, target, payload, created, attempts, next_attempt,"
                         " last_error, tenant FROM outbox WHERE id = $1::bigint"
                         " AND delivered = 0 AND failed = 0 AND next_attempt <= $2::bigint",
                         &q, "outbox: reading an entry", &res, err);
        if (s != CG_OK)
            break;
        if (PQntuples(res) != 1) { /* marked meanwhile */
            PQclear(res);
            continue;
        }
        memset(&e, 0, sizeof(e));
        e.id = cg__pg_int(res, 0, 0);
        if (cg__pg_text(res, 0, 1, target, sizeof(target)) < 0 ||
            cg__pg_text(res, 0, 6, last_error, sizeof(last_error)) < 0 ||
            cg__pg_text(res, 0, 7, tenant, sizeof(tenant)) < 0) {
            s = cg__fail(err, CG_E_DECODE, "%s: outbox entry %lld: a stored field is too long",
                         db->path, (long long)e.id);
            PQclear(res);
            break;
        }
        payload = cg__strdup(PQgetvalue(res, 0, 2));
        if (payload == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: outbox entry %lld: out of memory", db->path,
                         (long long)e.id);
            PQclear(res);
            break;
        }
        e.target = target;
        e.payload = payload;
        e.created = cg__pg_int(res, 0, 3);
        e.attempts = (int)cg__pg_int(res, 0, 4);
        e.next_attempt = cg__pg_int(res, 0, 5);
        e.last_error = last_error;
        e.tenant = tenant;
        PQclear(res);
        stop = fn(&e, ud);
        cg__free(payload);
        if (stop != 0)
            break;
    }
    PQclear(ids);
    return s;
}
