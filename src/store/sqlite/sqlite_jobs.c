/* The job ledger's rows (store_ops.h, include/childguard/jobs.h): one row per (tenant, job id),
 * schema step 7. job_done runs inside the caller's write transaction (the job's record);
 * the others are one statement each (autocommit) or their own transaction. */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

static cg_job_state state_of(const unsigned char *s)
{
    if (s != NULL && strcmp((const char *)s, "done") == 0)
        return CG_JOB_DONE;
    if (s != NULL && strcmp((const char *)s, "failed") == 0)
        return CG_JOB_FAILED;
    return CG_JOB_QUEUED;
}

cg_status cg__sqlite_job_queue(cg_bankdb *db, const char *tenant, const char *id, int64_t now,
                               int *created, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO jobs(tenant, id, state, created, updated)"
                           " VALUES (?1, ?2, 'queued', ?3, ?3) ON CONFLICT DO NOTHING",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "job \"%s\": queueing", id);
    else if (created != NULL)
        *created = sqlite3_changes(cg__sq(db)) > 0;
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_job_get(cg_bankdb *db, const char *tenant, const char *id, cg_job *out,
                             cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT state, created, updated, review_id, attempts, verdict_json,"
                           " error FROM jobs WHERE tenant = ?1 AND id = ?2",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no job \"%s\"", db->path, id);
    } else if (rc != SQLITE_ROW) {
        s = cg__bankdb_fail(db, err, rc, "job \"%s\": reading", id);
    } else {
        const unsigned char *v = sqlite3_column_text(st, 5);
        const unsigned char *e = sqlite3_column_text(st, 6);

        snprintf(out->id, sizeof(out->id), "%s", id);
        snprintf(out->tenant, sizeof(out->tenant), "%s", tenant);
        out->state = state_of(sqlite3_column_text(st, 0));
        out->created = sqlite3_column_int64(st, 1);
        out->updated = sqlite3_column_int64(st, 2);
        out->review_id = sqlite3_column_int64(st, 3);
        out->attempts = sqlite3_column_int(st, 4);
        snprintf(out->error, sizeof(out->error), "%s", e != NULL ? (const char *)e : "");
        if (v != NULL) {
            size_t n = (size_t)sqlite3_column_bytes(st, 5);

            out->verdict_json = cg__malloc(n + 1);
            if (out->verdict_json == NULL) {
                s = cg__fail(err, CG_E_NOMEM, "%s: job \"%s\": out of memory", db->path, id);
            } else {
                memcpy(out->verdict_json, v, n);
                out->verdict_json[n] = '\0';
            }
        }
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_job_done(cg_bankdb *db, const char *tenant, const char *id,
                              const char *verdict_json, int64_t review_id, int64_t now,
                              cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO jobs(tenant, id, state, created, updated, review_id,"
                           " verdict_json) VALUES (?1, ?2, 'done', ?3, ?3, ?4, ?5)"
                           " ON CONFLICT (tenant, id) DO UPDATE SET state = 'done',"
                           " updated = ?3, review_id = ?4, verdict_json = ?5, error = ''"
                           " WHERE state <> 'done'",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, review_id);
    sqlite3_bind_text(st, 5, verdict_json, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "job \"%s\": recording", id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_job_fail(cg_bankdb *db, const char *tenant, const char *id,
                              const char *reason, int64_t now, cg_error *err)
{
    char text[CG_JOB_ERROR_MAX + 1];
    size_t n = strnlen(reason, CG_JOB_ERROR_MAX + 1);
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (n > CG_JOB_ERROR_MAX) /* cut at a character boundary */
        for (n = CG_JOB_ERROR_MAX; n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80; n--)
            ;
    memcpy(text, reason, n);
    text[n] = '\0';
    if (!cg__utf8_valid(text, n))
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)text[i] >= 0x80)
                text[i] = '?';
    s = cg__bankdb_prepare(db,
                           "INSERT INTO jobs(tenant, id, state, created, updated, error,"
                           " attempts) VALUES (?1, ?2, 'failed', ?3, ?3, ?4, 1)"
                           " ON CONFLICT (tenant, id) DO UPDATE SET state = 'failed',"
                           " updated = ?3, error = ?4, attempts = attempts + 1"
                           " WHERE state <> 'done'",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "job \"%s\": marking it failed", id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_job_counts(cg_bankdb *db, const char *tenant, int64_t counts[3],
                                cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "SELECT state, count(*) FROM jobs WHERE tenant = ?1 GROUP BY state",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st))
        counts[state_of(sqlite3_column_text(st, 0))] = sqlite3_column_int64(st, 1);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "counting jobs");
    sqlite3_finalize(st);
    return s;
}
