/* The job ledger (include/childguard/jobs.h, src/store/store_jobs.c; docs/queue.md): queued
 * rows per tenant, a job recorded once (the record transaction holds the review item and outbox
 * rows with the ledger row), an abort that leaves nothing, an inner refusal (a full outbox) that
 * undoes only itself, audit records held until the commit, failed rows, and the engine
 * recording a redelivered job once. Every file lives in cg_test_tmpdir(). */
#include "cg_test.h"

#include <stdio.h>
#include <string.h>

#include "childguard.h"

static cg_bankdb *open_db(const char *name)
{
    char path[512];
    cg_error err = {0};
    cg_bankdb *db = NULL;

    cg_test_store_location(name, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

static int64_t pending_outbox(cg_bankdb *db)
{
    int64_t pending = -1;
    cg_error err;

    CG_ASSERT_OK(cg_outbox_counts(db, &pending, NULL, NULL, &err), &err);
    return pending;
}

static void fill_item(cg_review_item *it, const char *content_id)
{
    memset(it, 0, sizeof(*it));
    snprintf(it->content_id, sizeof(it->content_id), "%s", content_id);
    snprintf(it->kind, sizeof(it->kind), "file");
    snprintf(it->label, sizeof(it->label), "csam");
    it->priority = 2;
}

CG_TEST(jobs_queue_and_get_per_tenant)
{
    cg_bankdb *db = open_db("q.db");
    cg_error err;
    cg_job job = {0};
    int created = -1;

    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "alpha", &err), &err);
    CG_ASSERT_OK(cg_job_queue(db, "j-1", &created, &err), &err);
    CG_ASSERT_EQ(created, 1);
    CG_ASSERT_OK(cg_job_queue(db, "j-1", &created, &err), &err);
    CG_ASSERT_EQ(created, 0); /* a second submit keeps the row */
    CG_ASSERT_OK(cg_job_get(db, "j-1", &job, &err), &err);
    CG_ASSERT_EQ(job.state, CG_JOB_QUEUED);
    CG_ASSERT_STR_EQ(job.tenant, "alpha");
    CG_ASSERT(job.verdict_json == NULL);
    CG_ASSERT_STR_EQ(cg_job_state_name(job.state), "queued");
    cg_job_clear(&job);
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "beta", &err), &err);
    CG_ASSERT_EQ(cg_job_get(db, "j-1", &job, &err), CG_E_NOTFOUND); /* another tenant's */
    CG_ASSERT_EQ(cg_job_queue(db, "../x", NULL, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "job id") != NULL);
    CG_ASSERT_EQ(cg_job_queue(db, "", NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_job_get(db, NULL, &job, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_job_id_valid("j:ok.1-2_3"), 1);
    CG_ASSERT_EQ(cg_job_id_valid("a/b"), 0);
    CG_ASSERT(cg_job_state_name((cg_job_state)7) == NULL);
    cg_bankdb_close(db);
}

CG_TEST(jobs_recorded_once)
{
    cg_bankdb *db = open_db("once.db");
    cg_error err;
    cg_job job = {0};
    int done = -1;

    CG_ASSERT_OK(cg_job_queue(db, "j2", NULL, &err), &err); /* queued first, as serve does */
    CG_ASSERT_OK(cg_job_record_begin(db, "j2", &done, &job, &err), &err);
    CG_ASSERT_EQ(done, 0);
    CG_ASSERT_OK(cg_outbox_add(db, "guardian", "{\"event\":\"x\"}", NULL, &err), &err);
    CG_ASSERT_OK(cg_job_record_commit(db, "j2", "{\"content_id\":\"sha256:00\"}", 7, &err), &err);
    CG_ASSERT_EQ(pending_outbox(db), 1);
    CG_ASSERT_OK(cg_job_get(db, "j2", &job, &err), &err);
    CG_ASSERT_EQ(job.state, CG_JOB_DONE);
    CG_ASSERT_EQ(job.review_id, 7);
    CG_ASSERT_STR_EQ(job.verdict_json, "{\"content_id\":\"sha256:00\"}");
    cg_job_clear(&job);
    /* The redelivery: done, nothing open, nothing written. */
    CG_ASSERT_OK(cg_job_record_begin(db, "j2", &done, &job, &err), &err);
    CG_ASSERT_EQ(done, 1);
    CG_ASSERT_EQ(job.review_id, 7);
    cg_job_clear(&job);
    CG_ASSERT_OK(cg_outbox_add(db, "guardian", "{\"event\":\"y\"}", NULL, &err), &err);
    CG_ASSERT_EQ(pending_outbox(db), 2); /* autocommit again: no transaction was left open */
    /* A verdict that is not a JSON object is refused and rolls everything back. */
    CG_ASSERT_OK(cg_job_record_begin(db, "j3", &done, NULL, &err), &err);
    CG_ASSERT_OK(cg_outbox_add(db, "guardian", "{\"event\":\"z\"}", NULL, &err), &err);
    CG_ASSERT_EQ(cg_job_record_commit(db, "j3", "[1]", 0, &err), CG_E_INVAL);
    CG_ASSERT_EQ(pending_outbox(db), 2);
    CG_ASSERT_EQ(cg_job_get(db, "j3", &job, &err), CG_E_NOTFOUND);
    cg_bankdb_close(db);
}

CG_TEST(jobs_abort_leaves_nothing)
{
    cg_bankdb *db = open_db("abort.db");
    cg_error err;
    cg_job job = {0};
    cg_review_item it;
    int done = -1;
    int64_t counts[CG_REVIEW_STATE_COUNT];

    CG_ASSERT_OK(cg_job_record_begin(db, "j4", &done, NULL, &err), &err);
    fill_item(&it, "sha256:aa");
    CG_ASSERT_OK(cg_review_add(db, &it, "{}", NULL, 0, NULL, &err), &err);
    CG_ASSERT_OK(cg_outbox_add(db, "guardian", "{}", NULL, &err), &err);
    cg_job_record_abort(db);
    CG_ASSERT_EQ(pending_outbox(db), 0);
    CG_ASSERT_OK(cg_review_counts(db, counts, &err), &err);
    CG_ASSERT_EQ(counts[CG_REVIEW_PENDING], 0);
    CG_ASSERT_EQ(cg_job_get(db, "j4", &job, &err), CG_E_NOTFOUND);
    cg_bankdb_close(db);
}

CG_TEST(jobs_inner_refusal_undoes_only_itself)
{
    cg_bankdb *db = open_db("inner.db");
    cg_error err;
    cg_job job = {0};
    int done = -1;

    CG_ASSERT_OK(cg_job_record_begin(db, "j5", &done, NULL, &err), &err);
    CG_ASSERT_OK(cg_outbox_add_bounded(db, "guardian", "{\"n\":1}", 1, NULL, &err), &err);
    /* The tenant's bound is reached: refused, and only this insert is undone. */
    CG_ASSERT_EQ(cg_outbox_add_bounded(db, "guardian", "{\"n\":2}", 1, NULL, &err), CG_E_LIMIT);
    CG_ASSERT_OK(cg_job_record_commit(db, "j5", "{}", 0, &err), &err);
    CG_ASSERT_EQ(pending_outbox(db), 1);
    CG_ASSERT_OK(cg_job_get(db, "j5", &job, &err), &err);
    CG_ASSERT_EQ(job.state, CG_JOB_DONE);
    cg_job_clear(&job);
    cg_bankdb_close(db);
}

CG_TEST(jobs_audit_held_until_commit)
{
    cg_bankdb *db = open_db("held.db");
    char log[600];
    cg_audit *audit = NULL;
    cg_audit_report rep;
    cg_review_item it;
    cg_error err;
    int done;

    snprintf(log, sizeof(log), "%s/held.log", cg_test_tmpdir());
    CG_ASSERT_OK(cg_audit_open(log, CG_AUDIT_CREATE, &audit, &err), &err);
    CG_ASSERT_OK(cg_job_record_begin(db, "j6", &done, NULL, &err), &err);
    fill_item(&it, "sha256:bb");
    CG_ASSERT_OK(cg_review_add(db, &it, "{}", NULL, 0, audit, &err), &err);
    CG_ASSERT_OK(cg_audit_verify(log, &rep, &err), &err);
    CG_ASSERT_EQ(rep.records, 0); /* not yet: the item is not committed */
    cg_job_record_abort(db);
    CG_ASSERT_OK(cg_audit_verify(log, &rep, &err), &err);
    CG_ASSERT_EQ(rep.records, 0); /* rolled back: never recorded */
    CG_ASSERT_OK(cg_job_record_begin(db, "j6", &done, NULL, &err), &err);
    fill_item(&it, "sha256:bb");
    CG_ASSERT_OK(cg_review_add(db, &it, "{}", NULL, 0, audit, &err), &err);
    CG_ASSERT_OK(cg_job_record_commit(db, "j6", "{}", it.id, &err), &err);
    CG_ASSERT_OK(cg_audit_verify(log, &rep, &err), &err);
    CG_ASSERT_EQ(rep.records, 1);
    CG_ASSERT(rep.ok);
    cg_audit_close(audit);
    cg_bankdb_close(db);
}

CG_TEST(jobs_failed_and_counts)
{
    cg_bankdb *db = open_db("fail.db");
    cg_error err;
    cg_job job = {0};
    int64_t q = -1, d = -1, f = -1;
    char longer[700];

    CG_ASSERT_OK(cg_job_queue(db, "a", NULL, &err), &err);
    CG_ASSERT_OK(cg_job_queue(db, "b", NULL, &err), &err);
    CG_ASSERT_OK(cg_job_fail(db, "a", "path \"../x\": '..' is not allowed", &err), &err);
    CG_ASSERT_OK(cg_job_get(db, "a", &job, &err), &err);
    CG_ASSERT_EQ(job.state, CG_JOB_FAILED);
    CG_ASSERT(strstr(job.error, "'..'") != NULL);
    cg_job_clear(&job);
    int done;
    CG_ASSERT_OK(cg_job_record_begin(db, "c", &done, NULL, &err), &err);
    CG_ASSERT_OK(cg_job_record_commit(db, "c", "{}", 0, &err), &err);
    CG_ASSERT_OK(cg_job_fail(db, "c", "late", &err), &err); /* a done job stays done */
    CG_ASSERT_OK(cg_job_get(db, "c", &job, &err), &err);
    CG_ASSERT_EQ(job.state, CG_JOB_DONE);
    cg_job_clear(&job);
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    CG_ASSERT_OK(cg_job_fail(db, "d", longer, &err), &err); /* no row yet: added as failed */
    CG_ASSERT_OK(cg_job_get(db, "d", &job, &err), &err);
    CG_ASSERT_EQ(strlen(job.error), CG_JOB_ERROR_MAX);
    cg_job_clear(&job);
    CG_ASSERT_OK(cg_job_counts(db, &q, &d, &f, &err), &err);
    CG_ASSERT_EQ(q, 1);
    CG_ASSERT_EQ(d, 1);
    CG_ASSERT_EQ(f, 2);
    cg_bankdb_close(db);
}

/* The engine: the same job scanned twice (a redelivery) adds one review item and one decision
 * record; the second verdict says it was replayed and names the same item. */
CG_TEST_SQLITE(jobs_engine_records_a_job_once)
{
    char db_path[512], log[600];
    const char body[] = "synthetic job content for the ledger test\n";
    cg_bankdb *db = open_db("engine.db");
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_content c;
    cg_verdict v1 = {0}, v2 = {0}, v3 = {0};
    cg_audit_report rep;
    cg_digests dg;
    cg_bank b;
    cg_bank_signal s;
    cg_error err;
    int64_t counts[CG_REVIEW_STATE_COUNT];

    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "known");
    snprintf(b.label, sizeof(b.label), "csam");
    b.kind = CG_BANK_BLOCK;
    b.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &b, &err), &err);
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, (const uint8_t *)body,
                               sizeof(body) - 1, &dg), CG_OK);
    memset(&s, 0, sizeof(s));
    s.bank_id = b.id;
    s.type = cg_signal_type_find("md5");
    memcpy(s.value, dg.md5, 16);
    s.quality = -1;
    CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);
    cg_bankdb_close(db);

    cg_test_store_location("engine.db", db_path, sizeof(db_path));
    snprintf(log, sizeof(log), "%s/engine-jobs.log", cg_test_tmpdir());
    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = CG_SOURCE_DATA_DIR "/policy/default.json";
    cfg.review = 1;
    cfg.jobs = 1;
    cfg.classify = 0;
    cfg.audit_path = log;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.data = (const uint8_t *)body;
    c.len = sizeof(body) - 1;
    c.tenant = "alpha";
    c.job_id = "job-1";
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v1, &err), &err);
    CG_ASSERT_EQ(v1.job_replayed, 0);
    CG_ASSERT_GT(v1.review_id, 0);
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v2, &err), &err);
    CG_ASSERT_EQ(v2.job_replayed, 1);
    CG_ASSERT_EQ(v2.review_id, v1.review_id);
    CG_ASSERT_EQ(v2.audit_seq, 0);
    c.job_id = NULL; /* not a job: recorded as before (the open item is refreshed) */
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v3, &err), &err);
    CG_ASSERT_EQ(v3.job_replayed, 0);
    cg_engine_close(e);

    db = open_db("engine.db");
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "alpha", &err), &err);
    CG_ASSERT_OK(cg_review_counts(db, counts, &err), &err);
    CG_ASSERT_EQ(counts[CG_REVIEW_PENDING], 1);
    cg_job job = {0};
    CG_ASSERT_OK(cg_job_get(db, "job-1", &job, &err), &err);
    CG_ASSERT_EQ(job.state, CG_JOB_DONE);
    CG_ASSERT_EQ(job.review_id, v1.review_id);
    CG_ASSERT(job.verdict_json != NULL && strstr(job.verdict_json, v1.content_id) != NULL);
    cg_job_clear(&job);
    cg_bankdb_close(db);
    CG_ASSERT_OK(cg_audit_verify(log, &rep, &err), &err);
    CG_ASSERT(rep.ok);
    /* review add + decision for the job, review refresh + decision for the plain scan */
    CG_ASSERT_EQ(rep.records, 4);
    cg_verdict_free(&v1);
    cg_verdict_free(&v2);
    cg_verdict_free(&v3);
}
