/* The job ledger's rows in PostgreSQL (jobs.h; the rules of sqlite_jobs.c): one row per
 * (tenant, job id); done is final (a redelivered job never records a second verdict), failed
 * counts attempts. store_jobs.c checks and holds the record's transaction. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

static cg_job_state state_of(const char *s)
{
    if (strcmp(s, "done") == 0)
        return CG_JOB_DONE;
    if (strcmp(s, "failed") == 0)
        return CG_JOB_FAILED;
    return CG_JOB_QUEUED;
}

/* The job's name for messages, cut to a sane length. */
#define JOB_WHAT(buf, id, step) snprintf(buf, sizeof(buf), "job \"%.80s\": %s", id, step)

cg_status cg__pg_job_queue(cg_bankdb *db, const char *tenant, const char *id, int64_t now,
                           int *created, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[128];
    cg_status s;

    cg__pg_param_text(&p, tenant);
    cg__pg_param_text(&p, id);
    cg__pg_param_int(&p, now);
    JOB_WHAT(what, id, "queueing");
    s = cg__pg_query(db,
                     "INSERT INTO jobs(tenant, id, state, created, updated)"
                     " VALUES ($1, $2, 'queued', $3::bigint, $3::bigint) ON CONFLICT DO NOTHING",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (created != NULL)
        *created = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_job_get(cg_bankdb *db, const char *tenant, const char *id, cg_job *out,
                         cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[128];
    cg_status s;

    cg__pg_param_text(&p, tenant);
    cg__pg_param_text(&p, id);
    JOB_WHAT(what, id, "reading");
    s = cg__pg_query(db,
                     "SELECT state, created, updated, review_id, attempts, verdict_json, error"
                     " FROM jobs WHERE tenant = $1 AND id = $2",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return cg__fail(err, CG_E_NOTFOUND, "%s: no job \"%.80s\"", db->path, id);
    }
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->tenant, sizeof(out->tenant), "%s", tenant);
    out->state = state_of(PQgetvalue(res, 0, 0));
    out->created = cg__pg_int(res, 0, 1);
    out->updated = cg__pg_int(res, 0, 2);
    out->review_id = cg__pg_int(res, 0, 3);
    out->attempts = (int)cg__pg_int(res, 0, 4);
    snprintf(out->error, sizeof(out->error), "%s", PQgetvalue(res, 0, 6));
    if (!PQgetisnull(res, 0, 5)) {
        out->verdict_json = cg__strdup(PQgetvalue(res, 0, 5));
        if (out->verdict_json == NULL)
            s = cg__fail(err, CG_E_NOMEM, "%s: job \"%.80s\": out of memory", db->path, id);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_job_done(cg_bankdb *db, const char *tenant, const char *id,
                          const char *verdict_json, int64_t review_id, int64_t now,
                          cg_error *err)
{
    cg__pg_params p = {0};
    char what[128];

    cg__pg_param_text(&p, tenant);
    cg__pg_param_text(&p, id);
    cg__pg_param_int(&p, now);
    cg__pg_param_int(&p, review_id);
    cg__pg_param_text(&p, verdict_json);
    JOB_WHAT(what, id, "recording");
    return cg__pg_query(db,
                        "INSERT INTO jobs(tenant, id, state, created, updated, review_id,"
                        " verdict_json) VALUES ($1, $2, 'done', $3::bigint, $3::bigint,"
                        " $4::bigint, $5) ON CONFLICT (tenant, id) DO UPDATE SET state = 'done',"
                        " updated = $3::bigint, review_id = $4::bigint, verdict_json = $5,"
                        " error = '' WHERE jobs.state <> 'done'",
                        &p, what, NULL, err);
}

cg_status cg__pg_job_fail(cg_bankdb *db, const char *tenant, const char *id, const char *reason,
                          int64_t now, cg_error *err)
{
    char text[CG_JOB_ERROR_MAX + 1];
    size_t n = strnlen(reason, CG_JOB_ERROR_MAX + 1);
    cg__pg_params p = {0};
    char what[128];

    if (n > CG_JOB_ERROR_MAX) /* cut at a character boundary */
        for (n = CG_JOB_ERROR_MAX; n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80; n--)
            ;
    memcpy(text, reason, n);
    text[n] = '\0';
    if (!cg__utf8_valid(text, n)) /* PostgreSQL refuses invalid UTF-8 in text */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)text[i] >= 0x80)
                text[i] = '?';
    cg__pg_param_text(&p, tenant);
    cg__pg_param_text(&p, id);
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, text);
    JOB_WHAT(what, id, "marking it failed");
    return cg__pg_query(db,
                        "INSERT INTO jobs(tenant, id, state, created, updated, error, attempts)"
                        " VALUES ($1, $2, 'failed', $3::bigint, $3::bigint, $4, 1)"
                        " ON CONFLICT (tenant, id) DO UPDATE SET state = 'failed',"
                        " updated = $3::bigint, error = $4, attempts = jobs.attempts + 1"
                        " WHERE jobs.state <> 'done'",
                        &p, what, NULL, err);
}

cg_status cg__pg_job_counts(cg_bankdb *db, const char *tenant, int64_t counts[3], cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    cg__pg_param_text(&p, tenant);
    s = cg__pg_query(db, "SELECT state, count(*) FROM jobs WHERE tenant = $1 GROUP BY state", &p,
                     "counting jobs", &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res); i++)
        counts[state_of(PQgetvalue(res, i, 0))] = cg__pg_int(res, i, 1);
    PQclear(res);
    return CG_OK;
}
