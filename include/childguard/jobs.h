/* childguard: the job ledger, the record-once keys of queued scans (docs/queue.md).
 *
 * A scan job handed to workers through a queue (`childguard worker`, `serve --queue`,
 * `childguard submit`) is delivered at least once: a worker that dies before its
 * acknowledgement reaches the queue gets its jobs redelivered to another. The ledger makes the
 * recording idempotent: each job id has one row per tenant, and a job's review item, outbox
 * rows and ledger row are written in one transaction of the store (cg_job_record_begin ..
 * cg_job_record_commit, which the engine's record step uses when cg_content.job_id is set), so
 * a redelivered job finds its row "done" and records nothing a second time.
 *
 * A row is also how a front end answers "what happened to job X": queued (accepted, not yet
 * scanned), done (its verdict JSON kept, without timings or guidance text), or failed (given
 * up: the dead-letter reason). Rows belong to a tenant: another tenant's job id is not found.
 *
 * Threading: like cg_bankdb, one thread at a time per handle. */
#ifndef CHILDGUARD_JOBS_H
#define CHILDGUARD_JOBS_H

#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "status.h"
#include "tenant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A job id: 1-64 characters of [A-Za-z0-9_.:-]. */
#define CG_JOB_ID_MAX 64
/* The longest failure reason kept (bytes; longer ones are cut). */
#define CG_JOB_ERROR_MAX 512
/* The largest verdict JSON kept for a job (bytes). */
#define CG_JOB_VERDICT_MAX (1024u * 1024u)

typedef enum cg_job_state {
    CG_JOB_QUEUED = 0, /* accepted by a front end, not yet recorded */
    CG_JOB_DONE = 1,   /* scanned and recorded: verdict_json holds the verdict */
    CG_JOB_FAILED = 2  /* given up (dead-lettered): error says why */
} cg_job_state;

/* One ledger row. verdict_json is owned by the struct: release with cg_job_clear. */
typedef struct cg_job {
    char id[CG_JOB_ID_MAX + 1];
    char tenant[CG_TENANT_MAX + 1];
    cg_job_state state;
    int64_t created, updated;      /* unix seconds */
    int64_t review_id;             /* the review item its record added or refreshed, 0 none */
    int attempts;                  /* recording attempts that failed before it was done */
    char *verdict_json;            /* DONE: the verdict; NULL otherwise */
    char error[CG_JOB_ERROR_MAX + 1]; /* FAILED: why */
} cg_job;

/* "queued", "done", "failed"; NULL for a value out of range. */
CG_API const char *cg_job_state_name(cg_job_state s);
/* 1 when id is a valid job id, else 0 (NULL: 0). */
CG_API int cg_job_id_valid(const char *id);
/* Frees what a cg_job holds (verdict_json) and zeroes it; NULL does nothing. */
CG_API void cg_job_clear(cg_job *job);

/* Adds job id of the handle's tenant as queued, committed. A job that already has a row keeps
 * it (a front end that submits again after a lost reply changes nothing); *created (may be
 * NULL) is 1 when the row is new. CG_E_INVAL for a bad id. */
CG_API cg_status cg_job_queue(cg_bankdb *db, const char *id, int *created, cg_error *err);

/* Reads job id of the handle's tenant into *out (cleared first). CG_E_NOTFOUND when there is
 * no such job for this tenant (another tenant's job is not found either). */
CG_API cg_status cg_job_get(cg_bankdb *db, const char *id, cg_job *out, cg_error *err);

/* Starts recording job id of the handle's tenant: opens a write transaction in which the
 * caller's further writes through db (review items, outbox rows) are held until
 * cg_job_record_commit. *done is 1 when the job was already recorded: then *out (may be NULL)
 * receives its row, no transaction is left open and the caller records nothing. Otherwise
 * *done is 0 and the transaction is open: end it with cg_job_record_commit or
 * cg_job_record_abort. */
CG_API cg_status cg_job_record_begin(cg_bankdb *db, const char *id, int *done, cg_job *out,
                                     cg_error *err);
/* Marks the job done with verdict_json (a JSON object, at most CG_JOB_VERDICT_MAX bytes) and
 * review_id, and commits everything written since cg_job_record_begin: all of it or none
 * (on failure the transaction is rolled back). */
CG_API cg_status cg_job_record_commit(cg_bankdb *db, const char *id, const char *verdict_json,
                                      int64_t review_id, cg_error *err);
/* Rolls back what was written since cg_job_record_begin. Never fails. */
CG_API void cg_job_record_abort(cg_bankdb *db);

/* Marks job id of the handle's tenant failed with reason (cut at CG_JOB_ERROR_MAX bytes), unless
 * it is already done (a done job stays done). Committed. */
CG_API cg_status cg_job_fail(cg_bankdb *db, const char *id, const char *reason, cg_error *err);

/* Counts the handle's tenant's jobs by state (any of the pointers may be NULL). */
CG_API cg_status cg_job_counts(cg_bankdb *db, int64_t *queued, int64_t *done, int64_t *failed,
                               cg_error *err);

#ifdef __cplusplus
}
#endif

#endif
