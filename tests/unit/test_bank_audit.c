/* Bank changes in the audit log (cg_bankdb_set_audit, src/store/store_audit.c): every change
 * made through an audited handle appends exactly one "bank_change" record with the right op,
 * subject and actor; failed changes append none; an import appends one record for the whole
 * file; the log verifies; auditing can be turned off; a bad actor is refused; and a log that
 * fails after the commit is reported as "committed but not audited". Every file lives in
 * cg_test_tmpdir(). */
#define _GNU_SOURCE /* fmemopen */
#include "cg_test.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "childguard.h"

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct fixture {
    char db_path[512];
    char log_path[512];
    cg_bankdb *db;
    cg_audit *log;
} fixture;

static void fixture_open(fixture *f, const char *name)
{
    cg_error err = {0};
    char db_name[128];

    snprintf(db_name, sizeof(db_name), "%s.db", name);
    cg_test_store_location(db_name, f->db_path, sizeof(f->db_path));
    snprintf(f->log_path, sizeof(f->log_path), "%s/%s.log", cg_test_tmpdir(), name);
    f->db = NULL;
    f->log = NULL;
    CG_ASSERT_OK(cg_bankdb_open(f->db_path, CG_BANKDB_CREATE, &f->db, &err), &err);
    CG_ASSERT_OK(cg_audit_open(f->log_path, CG_AUDIT_CREATE, &f->log, &err), &err);
    CG_ASSERT_OK(cg_bankdb_set_audit(f->db, f->log, "tester", &err), &err);
}

static void fixture_close(fixture *f)
{
    cg_bankdb_close(f->db);
    cg_audit_close(f->log);
}

/* Number of lines (records) in the log. */
static int count_records(const fixture *f)
{
    FILE *in = fopen(f->log_path, "r");
    int n = 0, ch;

    CG_ASSERT(in != NULL);
    while ((ch = fgetc(in)) != EOF)
        if (ch == '\n')
            n++;
    fclose(in);
    return n;
}

/* The last record of the log (caller decrefs). */
static json_t *last_record(const fixture *f)
{
    FILE *in = fopen(f->log_path, "r");
    char line[8192], last[8192] = "";
    json_error_t jerr;
    json_t *rec;

    CG_ASSERT(in != NULL);
    while (fgets(line, sizeof(line), in) != NULL)
        memcpy(last, line, sizeof(last));
    fclose(in);
    rec = json_loads(last, 0, &jerr);
    CG_ASSERT(rec != NULL);
    return rec;
}

/* The record expect_one returned last (its data stays valid until the next call). */
static json_t *g_rec = NULL;

static void release_record(void)
{
    json_decref(g_rec);
    g_rec = NULL;
}

/* Asserts the log grew by exactly one record since *count, of op on subject "bank:<bank>", and
 * returns its data (valid until the next call or release_record). */
static json_t *expect_one(const fixture *f, int *count, const char *op, const char *bank)
{
    char subject[128];

    json_decref(g_rec);
    CG_ASSERT_EQ(count_records(f), *count + 1);
    (*count)++;
    g_rec = last_record(f);
    snprintf(subject, sizeof(subject), "bank:%s", bank);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(g_rec, "kind")), "bank_change");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(g_rec, "actor")), "tester");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(g_rec, "subject")), subject);
    json_t *data = json_object_get(g_rec, "data");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(data, "op")), op);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(data, "bank")), bank);
    return data;
}

static int64_t data_int(json_t *data, const char *key)
{
    json_t *v = json_object_get(data, key);

    CG_ASSERT(json_is_integer(v));
    return (int64_t)json_integer_value(v);
}

static void expect_verifies(const fixture *f, uint64_t records)
{
    cg_audit_report rep;
    cg_error err = {0};

    CG_ASSERT_OK(cg_audit_verify(f->log_path, &rep, &err), &err);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "audit log does not verify: %s", rep.reason);
    CG_ASSERT_EQ(rep.records, records);
}

static cg_bank new_bank(const char *name)
{
    cg_bank b;

    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    snprintf(b.label, sizeof(b.label), "csam");
    b.enabled = 1;
    return b;
}

static cg_bank_signal pdq_signal(int64_t bank_id, uint8_t fill)
{
    cg_bank_signal s;

    memset(&s, 0, sizeof(s));
    s.bank_id = bank_id;
    s.type = cg_signal_type_find("pdq");
    memset(s.value, fill, s.type->bytes);
    s.quality = -1;
    return s;
}

static cg_status import_text(cg_bankdb *db, int64_t bank_id, const char *text,
                             cg_import_report *rep, cg_error *err)
{
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    cg_import_options opt;
    cg_status st;

    CG_ASSERT(in != NULL);
    memset(&opt, 0, sizeof(opt));
    opt.source = "unit-test";
    st = cg_bank_import(db, bank_id, in, &opt, rep, err);
    fclose(in);
    return st;
}

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* ---- tests -------------------------------------------------------------------------------- */

CG_TEST(bank_audit_each_change_one_record)
{
    fixture f;
    cg_error err = {0};
    cg_import_report rep;
    int n = 0, merged = -1;
    json_t *d;

    fixture_open(&f, "each");
    cg_bank b = new_bank("known");
    CG_ASSERT_OK(cg_bank_create(f.db, &b, &err), &err);
    d = expect_one(&f, &n, "bank_create", "known");
    CG_ASSERT_EQ(data_int(d, "bank_id"), b.id);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(d, "label")), "csam");

    b.enabled = 0;
    CG_ASSERT_OK(cg_bank_update(f.db, &b, &err), &err);
    d = expect_one(&f, &n, "bank_update", "known");
    CG_ASSERT(json_is_false(json_object_get(d, "enabled")));
    CG_ASSERT_EQ(json_array_size(json_object_get(d, "changed")), 1);
    CG_ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(d, "changed"), 0)),
                     "enabled");

    cg_bank_signal s = pdq_signal(b.id, 0xaa);
    CG_ASSERT_OK(cg_bank_signal_add(f.db, &s, &merged, &err), &err);
    CG_ASSERT_EQ(merged, 0);
    d = expect_one(&f, &n, "signal_add", "known");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(d, "signal_type")), "pdq");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(d, "value")), HEX_A);
    CG_ASSERT_EQ(data_int(d, "signal_id"), s.id);

    cg_bank_signal again = pdq_signal(b.id, 0xaa);
    snprintf(again.note, sizeof(again.note), "seen again");
    CG_ASSERT_OK(cg_bank_signal_add(f.db, &again, &merged, &err), &err);
    CG_ASSERT_EQ(merged, 1);
    d = expect_one(&f, &n, "signal_merge", "known");
    CG_ASSERT(json_is_true(json_object_get(d, "filled")));
    CG_ASSERT_OK(cg_bank_signal_add(f.db, &again, &merged, &err), &err);
    d = expect_one(&f, &n, "signal_merge", "known");
    CG_ASSERT(json_is_false(json_object_get(d, "filled")));

    CG_ASSERT_OK(cg_bank_signal_set_disabled(f.db, s.id, 12345, &err), &err);
    d = expect_one(&f, &n, "signal_disable", "known");
    CG_ASSERT_EQ(data_int(d, "until"), 12345);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(d, "value")), HEX_A);
    CG_ASSERT_OK(cg_bank_signal_set_disabled(f.db, s.id, 0, &err), &err);
    d = expect_one(&f, &n, "signal_enable", "known");
    CG_ASSERT_EQ(data_int(d, "signal_id"), s.id);

    CG_ASSERT_OK(import_text(f.db, b.id, HEX_B "\n" HEX_C "\n", &rep, &err), &err);
    d = expect_one(&f, &n, "import", "known");
    CG_ASSERT_EQ(data_int(d, "added"), 2);

    CG_ASSERT_OK(cg_bank_signal_delete(f.db, s.id, &err), &err);
    d = expect_one(&f, &n, "signal_delete", "known");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(d, "value")), HEX_A);
    CG_ASSERT_EQ(data_int(d, "signal_id"), s.id);

    CG_ASSERT_OK(cg_bank_delete(f.db, "known", &err), &err);
    d = expect_one(&f, &n, "bank_delete", "known");
    CG_ASSERT_EQ(data_int(d, "signals"), 2);
    release_record();

    fixture_close(&f);
    expect_verifies(&f, 10);
}

CG_TEST(bank_audit_failed_changes_record_nothing)
{
    fixture f;
    cg_error err = {0};
    cg_import_report rep;
    int merged;

    fixture_open(&f, "failed");
    cg_bank b = new_bank("known");
    CG_ASSERT_OK(cg_bank_create(f.db, &b, &err), &err);
    cg_bank_signal s = pdq_signal(b.id, 0x11);
    CG_ASSERT_OK(cg_bank_signal_add(f.db, &s, &merged, &err), &err);
    CG_ASSERT_EQ(count_records(&f), 2);

    cg_bank dup = new_bank("known");
    CG_ASSERT_EQ(cg_bank_create(f.db, &dup, &err), CG_E_INVAL);
    cg_bank bad = new_bank("bad name!");
    CG_ASSERT_EQ(cg_bank_create(f.db, &bad, &err), CG_E_INVAL);
    cg_bank ghost = new_bank("ghost");
    ghost.id = 999;
    CG_ASSERT_EQ(cg_bank_update(f.db, &ghost, &err), CG_E_NOTFOUND);
    b.kind = (cg_bank_kind)7;
    CG_ASSERT_EQ(cg_bank_update(f.db, &b, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_bank_delete(f.db, "ghost", &err), CG_E_NOTFOUND);
    cg_bank_signal orphan = pdq_signal(999, 0x22);
    CG_ASSERT_EQ(cg_bank_signal_add(f.db, &orphan, &merged, &err), CG_E_NOTFOUND);
    cg_bank_signal badq = pdq_signal(b.id, 0x33);
    badq.quality = 500;
    CG_ASSERT_EQ(cg_bank_signal_add(f.db, &badq, &merged, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_bank_signal_set_disabled(f.db, 999, 5, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_bank_signal_set_disabled(f.db, s.id, -5, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_bank_signal_delete(f.db, 999, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(import_text(f.db, 999, HEX_A "\n", &rep, &err), CG_E_NOTFOUND);
    /* A fatal reader failure: binary input rolls the whole file back. */
    static const char binary[] = "\x01\x02\x03\x00\xff\xfe binary";
    FILE *in = fmemopen((void *)binary, sizeof(binary), "r");
    CG_ASSERT(in != NULL);
    CG_ASSERT_NE(cg_bank_import(f.db, b.id, in, NULL, &rep, &err), CG_OK);
    fclose(in);

    CG_ASSERT_EQ(count_records(&f), 2);
    fixture_close(&f);
    expect_verifies(&f, 2);
}

CG_TEST(bank_audit_import_one_record_per_file)
{
    fixture f;
    cg_error err = {0};
    cg_import_report rep;
    int n = 1;
    json_t *d;

    fixture_open(&f, "import");
    cg_bank b = new_bank("list");
    CG_ASSERT_OK(cg_bank_create(f.db, &b, &err), &err);
    CG_ASSERT_OK(import_text(f.db, b.id, HEX_A "\n" HEX_B "\nnot-a-hash\n" HEX_A "\n" HEX_C "\n",
                             &rep, &err),
                 &err);
    CG_ASSERT_EQ(rep.lines, 5);
    d = expect_one(&f, &n, "import", "list");
    CG_ASSERT_EQ(data_int(d, "lines"), 5);
    CG_ASSERT_EQ(data_int(d, "added"), 3);
    CG_ASSERT_EQ(data_int(d, "merged"), 1);
    CG_ASSERT_EQ(data_int(d, "rejected"), 1);
    CG_ASSERT_EQ(data_int(d, "bank_id"), b.id);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(d, "source")), "unit-test");
    release_record();
    fixture_close(&f);
    expect_verifies(&f, 2);
}

CG_TEST(bank_audit_turned_off)
{
    fixture f;
    cg_error err = {0};
    int merged;

    fixture_open(&f, "off");
    cg_bank b = new_bank("quiet");
    CG_ASSERT_OK(cg_bank_create(f.db, &b, &err), &err);
    CG_ASSERT_EQ(count_records(&f), 1);
    CG_ASSERT_OK(cg_bankdb_set_audit(f.db, NULL, NULL, &err), &err);
    cg_bank_signal s = pdq_signal(b.id, 0x44);
    CG_ASSERT_OK(cg_bank_signal_add(f.db, &s, &merged, &err), &err);
    CG_ASSERT_OK(cg_bank_signal_set_disabled(f.db, s.id, 9, &err), &err);
    CG_ASSERT_OK(cg_bank_signal_delete(f.db, s.id, &err), &err);
    b.enabled = 0;
    CG_ASSERT_OK(cg_bank_update(f.db, &b, &err), &err);
    CG_ASSERT_OK(cg_bank_delete(f.db, "quiet", &err), &err);
    CG_ASSERT_EQ(count_records(&f), 1);
    /* And on again. */
    CG_ASSERT_OK(cg_bankdb_set_audit(f.db, f.log, "tester", &err), &err);
    cg_bank c = new_bank("loud");
    CG_ASSERT_OK(cg_bank_create(f.db, &c, &err), &err);
    CG_ASSERT_EQ(count_records(&f), 2);
    fixture_close(&f);
    expect_verifies(&f, 2);
}

CG_TEST(bank_audit_actor_checked)
{
    fixture f;
    cg_error err = {0};
    char actor[80];
    int n = 0;

    fixture_open(&f, "actor");
    memset(actor, 'x', 64);
    actor[64] = '\0';
    CG_ASSERT_EQ(cg_bankdb_set_audit(f.db, f.log, actor, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "actor") != NULL);
    CG_ASSERT_EQ(cg_bankdb_set_audit(f.db, f.log, "bad \xff utf-8", &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_bankdb_set_audit(NULL, f.log, "x", &err), CG_E_INVAL);
    /* The previous setting stays: records still name "tester". */
    cg_bank b = new_bank("kept");
    CG_ASSERT_OK(cg_bank_create(f.db, &b, &err), &err);
    expect_one(&f, &n, "bank_create", "kept");
    release_record();
    actor[63] = '\0'; /* 63 bytes: accepted */
    CG_ASSERT_OK(cg_bankdb_set_audit(f.db, f.log, actor, &err), &err);
    cg_bank c = new_bank("long-actor");
    CG_ASSERT_OK(cg_bank_create(f.db, &c, &err), &err);
    json_t *rec = last_record(&f);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(rec, "actor")), actor);
    json_decref(rec);
    fixture_close(&f);
    expect_verifies(&f, 2);
}

CG_TEST_SQLITE(bank_audit_failure_after_commit_is_reported)
{
    fixture f;
    cg_error err = {0};
    cg_bank got;
    int fd;

    fixture_open(&f, "broken");
    /* Another writer leaves a torn line: the next append refuses to chain onto it. */
    fd = open(f.log_path, O_WRONLY | O_APPEND);
    CG_ASSERT(fd >= 0);
    CG_ASSERT_EQ(write(fd, "{\"torn", 6), 6);
    close(fd);
    cg_bank b = new_bank("committed");
    CG_ASSERT_EQ(cg_bank_create(f.db, &b, &err), CG_E_IO);
    CG_ASSERT(strstr(err.message, "committed but not audited") != NULL);
    CG_ASSERT_GT(b.id, 0);
    /* The change stands. */
    CG_ASSERT_OK(cg_bank_get(f.db, "committed", &got, &err), &err);
    CG_ASSERT_EQ(got.id, b.id);
    fixture_close(&f);
}
