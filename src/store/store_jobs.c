/* The job ledger (include/childguard/jobs.h, docs/queue.md): the record-once keys of queued
 * scans. Argument checks and dispatch to the backend (store_ops.h; the SQLite rows are
 * sqlite_jobs.c). The record transaction is the backend's nesting write transaction: the
 * review item and outbox rows written between cg_job_record_begin and cg_job_record_commit
 * commit together with the ledger row, so a redelivered job is recorded once. */
#include "store/store_int.h"

#include <string.h>
#include <time.h>

#include "childguard/jobs.h"
#include "childguard/tenant.h"
#include "common/alloc.h"
#include "common/error.h"

static const char *const state_names[] = {"queued", "done", "failed"};

const char *cg_job_state_name(cg_job_state s)
{
    return (unsigned)s < 3 ? state_names[s] : NULL;
}

int cg_job_id_valid(const char *id)
{
    size_t n;

    if (id == NULL)
        return 0;
    n = strnlen(id, CG_JOB_ID_MAX + 1);
    if (n == 0 || n > CG_JOB_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = id[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

void cg_job_clear(cg_job *job)
{
    if (job == NULL)
        return;
    cg__free(job->verdict_json);
    memset(job, 0, sizeof(*job));
}

/* The common checks: a handle and a valid id, named in the message by fn. */
static cg_status check(cg_bankdb *db, const char *id, const char *fn, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: db is NULL", fn);
    if (!cg_job_id_valid(id))
        return cg__fail(err, CG_E_INVAL,
                        "%s: job id \"%.64s\": 1-64 characters of [A-Za-z0-9_.:-] expected",
                        db->path, id != NULL ? id : "(null)");
    return CG_OK;
}

cg_status cg_job_queue(cg_bankdb *db, const char *id, int *created, cg_error *err)
{
    cg_status st;

    if (created != NULL)
        *created = 0;
    st = check(db, id, "cg_job_queue", err);
    if (st == CG_OK)
        st = cg__bankdb_check_writable(db, err);
    if (st != CG_OK)
        return st;
    return db->ops->job_queue(db, cg_bankdb_tenant(db), id, (int64_t)time(NULL), created, err);
}

cg_status cg_job_get(cg_bankdb *db, const char *id, cg_job *out, cg_error *err)
{
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_job_get: out is NULL");
    cg_job_clear(out);
    st = check(db, id, "cg_job_get", err);
    if (st != CG_OK)
        return st;
    st = db->ops->job_get(db, cg_bankdb_tenant(db), id, out, err);
    if (st != CG_OK)
        cg_job_clear(out);
    return st;
}

cg_status cg_job_record_begin(cg_bankdb *db, const char *id, int *done, cg_job *out,
                              cg_error *err)
{
    cg_job row;
    cg_status st;

    memset(&row, 0, sizeof(row));
    if (done != NULL)
        *done = 0;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (done == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_job_record_begin: done is NULL");
    st = check(db, id, "cg_job_record_begin", err);
    if (st == CG_OK)
        st = cg__bankdb_check_writable(db, err);
    if (st != CG_OK)
        return st;
    st = db->ops->begin_write(db, "recording a job", err);
    if (st != CG_OK)
        return st;
    db->holding = 1;
    /* Read inside the write transaction: a second worker with the same job waits for the first
     * one's commit and then sees the row done. */
    st = db->ops->job_get(db, cg_bankdb_tenant(db), id, &row, err);
    if (st == CG_E_NOTFOUND)
        return CG_OK;
    if (st == CG_OK && row.state != CG_JOB_DONE) {
        cg_job_clear(&row);
        return CG_OK;
    }
    db->ops->rollback(db);
    (void)cg__store_audit_release(db, 0, NULL);
    if (st != CG_OK)
        return st;
    *done = 1;
    if (out != NULL)
        *out = row;
    else
        cg_job_clear(&row);
    return CG_OK;
}

cg_status cg_job_record_commit(cg_bankdb *db, const char *id, const char *verdict_json,
                               int64_t review_id, cg_error *err)
{
    cg_status st = check(db, id, "cg_job_record_commit", err);

    if (st == CG_OK && verdict_json == NULL)
        st = cg__fail(err, CG_E_INVAL, "%s: job \"%s\": verdict is NULL", db->path, id);
    if (st == CG_OK)
        st = cg__store_json_object_check(db, verdict_json, CG_JOB_VERDICT_MAX, "job: verdict",
                                         err);
    if (st == CG_OK)
        st = db->ops->job_done(db, cg_bankdb_tenant(db), id, verdict_json, review_id,
                               (int64_t)time(NULL), err);
    if (st != CG_OK) {
        if (db != NULL) {
            db->ops->rollback(db);
            (void)cg__store_audit_release(db, 0, NULL);
        }
        return st;
    }
    st = db->ops->commit(db, "recording a job", err);
    if (st != CG_OK) {
        (void)cg__store_audit_release(db, 0, NULL);
        return st;
    }
    /* Committed: the held records of its review item follow, never before. */
    return cg__store_audit_release(db, 1, err);
}

void cg_job_record_abort(cg_bankdb *db)
{
    if (db != NULL) {
        db->ops->rollback(db);
        (void)cg__store_audit_release(db, 0, NULL);
    }
}

cg_status cg_job_fail(cg_bankdb *db, const char *id, const char *reason, cg_error *err)
{
    cg_status st = check(db, id, "cg_job_fail", err);

    if (st == CG_OK)
        st = cg__bankdb_check_writable(db, err);
    if (st != CG_OK)
        return st;
    return db->ops->job_fail(db, cg_bankdb_tenant(db), id, reason != NULL ? reason : "",
                             (int64_t)time(NULL), err);
}

cg_status cg_job_counts(cg_bankdb *db, int64_t *queued, int64_t *done, int64_t *failed,
                        cg_error *err)
{
    int64_t c[3] = {0, 0, 0};
    cg_status st = CG_OK;

    if (db == NULL)
        st = cg__fail(err, CG_E_INVAL, "cg_job_counts: db is NULL");
    if (st == CG_OK)
        st = db->ops->job_counts(db, cg_bankdb_tenant(db), c, err);
    if (st != CG_OK)
        c[0] = c[1] = c[2] = 0;
    if (queued != NULL)
        *queued = c[0];
    if (done != NULL)
        *done = c[1];
    if (failed != NULL)
        *failed = c[2];
    return st;
}
