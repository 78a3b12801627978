/* The human review queue (include/childguard/review.h, src/review/) and reviewer
 * previews (src/media/preview.c): adding and reading items, queue order and filters, claims by
 * two reviewers, release, decisions feeding block and allow banks, audit records, the schema
 * migration, failing allocations, and preview geometry and blur. Every file lives in
 * cg_test_tmpdir(). */
#include "cg_test.h"

#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"
#include "childguard.h"
#include "common/alloc.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", cg_test_tmpdir(), name);
}

static cg_bankdb *open_db(const char *name)
{
    char path[512];
    cg_error err = {0};
    cg_bankdb *db = NULL;

    cg_test_store_location(name, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

static cg_bank make_bank(cg_bankdb *db, const char *name, cg_bank_kind kind)
{
    cg_bank b;
    cg_error err = {0};

    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    snprintf(b.label, sizeof(b.label), "csam");
    b.kind = kind;
    b.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &b, &err), &err);
    return b;
}

/* An item with n signals: pdq values filled with byte seed+i, and one md5. */
static cg_review_item make_item(const char *content_id, const char *label, int priority,
                                size_t n, uint8_t seed)
{
    cg_review_item it;

    memset(&it, 0, sizeof(it));
    snprintf(it.content_id, sizeof(it.content_id), "%s", content_id);
    snprintf(it.kind, sizeof(it.kind), "image");
    snprintf(it.label, sizeof(it.label), "%s", label);
    snprintf(it.reason, sizeof(it.reason), "rule csam_block\nrule review_all");
    it.priority = priority;
    for (size_t i = 0; i < n; i++) {
        it.signals[i].type = cg_signal_type_find(i == 0 ? "md5" : "pdq");
        memset(it.signals[i].value, seed + (int)i, CG_SIGNAL_MAX_BYTES);
        it.signals[i].quality = i == 0 ? -1 : 90;
    }
    it.n_signals = n;
    return it;
}

static int64_t add_item(cg_bankdb *db, const char *content_id, const char *label, int priority,
                        cg_audit *audit)
{
    cg_review_item it = make_item(content_id, label, priority, 2, (uint8_t)content_id[0]);
    cg_error err = {0};

    CG_ASSERT_OK(cg_review_add(db, &it, "{\"matches\":[]}", NULL, 0, audit, &err), &err);
    CG_ASSERT_GT(it.id, 0);
    return it.id;
}

typedef struct seen {
    int64_t ids[32];
    size_t n;
} seen;

static int collect(const cg_review_item *it, void *ud)
{
    seen *s = ud;

    if (s->n < 32)
        s->ids[s->n++] = it->id;
    return 0;
}

static seen list(cg_bankdb *db, int state, const char *label, const char *reviewer, size_t limit)
{
    cg_review_filter f = {state, label, reviewer, limit};
    cg_error err = {0};
    seen s;

    memset(&s, 0, sizeof(s));
    CG_ASSERT_OK(cg_review_list(db, &f, collect, &s, &err), &err);
    return s;
}

/* ---- states, add, get --------------------------------------------------------------------- */

CG_TEST(review_state_names)
{
    for (int i = 0; i < CG_REVIEW_STATE_COUNT; i++)
        CG_ASSERT_EQ(cg_review_state_from_name(cg_review_state_name((cg_review_state)i)), i);
    CG_ASSERT_STR_EQ(cg_review_state_name(CG_REVIEW_FALSE_POSITIVE), "false_positive");
    CG_ASSERT_EQ(cg_review_state_from_name("nope"), -1);
    CG_ASSERT_EQ(cg_review_state_from_name(NULL), -1);
    CG_ASSERT_STR_EQ(cg_review_state_name((cg_review_state)99), "unknown");
}

CG_TEST_SQLITE(review_add_get_roundtrip)
{
    cg_bankdb *db = open_db("rt.db");
    cg_review_item it = make_item("sha256:abc", "csam", 2, 3, 7), got;
    cg_error err = {0};
    char *verdict = NULL;
    const time_t before = time(NULL);

    CG_ASSERT_EQ(cg_bankdb_schema_version(), CG__BANKDB_SCHEMA_VERSION);
    CG_ASSERT_GE(cg_bankdb_schema_version(), 2);
    CG_ASSERT_OK(cg_review_add(db, &it, "{\"score\": 1}", NULL, 0, NULL, &err), &err);
    CG_ASSERT_GT(it.id, 0);
    CG_ASSERT_EQ(it.state, CG_REVIEW_PENDING);
    CG_ASSERT_GE(it.created, (int64_t)before);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, &verdict, &err), &err);
    CG_ASSERT_STR_EQ(got.content_id, "sha256:abc");
    CG_ASSERT_STR_EQ(got.kind, "image");
    CG_ASSERT_STR_EQ(got.label, "csam");
    CG_ASSERT_STR_EQ(got.reason, "rule csam_block\nrule review_all");
    CG_ASSERT_EQ(got.priority, 2);
    CG_ASSERT_EQ(got.state, CG_REVIEW_PENDING);
    CG_ASSERT_EQ(got.n_signals, 3);
    CG_ASSERT_STR_EQ(got.signals[0].type->name, "md5");
    CG_ASSERT_STR_EQ(got.signals[2].type->name, "pdq");
    CG_ASSERT_EQ(got.signals[2].value[31], 9);
    CG_ASSERT_EQ(got.signals[1].quality, 90);
    CG_ASSERT_EQ(got.has_preview, 0);
    CG_ASSERT_EQ(got.created, it.created);
    CG_ASSERT_STR_EQ(verdict, "{\"score\": 1}");
    cg_free(verdict);

    /* No such item. */
    CG_ASSERT_EQ(cg_review_get(db, 999, &got, &verdict, &err), CG_E_NOTFOUND);
    CG_ASSERT(verdict == NULL);
    CG_ASSERT(strstr(err.message, "999") != NULL);
    {
        uint8_t *p = NULL;
        size_t n = 1;

        CG_ASSERT_EQ(cg_review_preview_get(db, it.id, &p, &n, &err), CG_E_NOTFOUND);
        CG_ASSERT(p == NULL && n == 0);
    }
    cg_bankdb_close(db);
}

CG_TEST(review_add_rejects_bad_input)
{
    cg_bankdb *db = open_db("bad.db");
    cg_review_item it;
    cg_error err = {0};
    static const uint8_t pgm[] = "P5\n1 1\n255\n\x80";

    it = make_item("", "csam", 0, 1, 1);
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "content_id") != NULL);
    it = make_item("x", "csam", 7, 1, 1);
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "priority") != NULL);
    it = make_item("x", "csam", 0, 1, 1);
    snprintf(it.kind, sizeof(it.kind), "Image!");
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    it = make_item("x", "csam", 0, 1, 1);
    it.n_signals = CG_REVIEW_MAX_SIGNALS + 1;
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    it = make_item("x", "csam", 0, 1, 1);
    it.label[0] = (char)0xff;
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    it = make_item("x", "csam", 0, 1, 1);
    memset(it.reason, 'a', sizeof(it.reason)); /* no NUL within the field */
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    it = make_item("x", "csam", 0, 1, 1);
    CG_ASSERT_EQ(cg_review_add(db, &it, "[1,2]", NULL, 0, NULL, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "not an object") != NULL);
    CG_ASSERT_EQ(cg_review_add(db, &it, "{\"a\":", NULL, 0, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, (const uint8_t *)"GIF89a", 6, NULL, &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_add(db, &it, NULL, pgm, 0, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_add(NULL, &it, NULL, NULL, 0, NULL, &err), CG_E_INVAL);
    {
        int64_t counts[CG_REVIEW_STATE_COUNT];

        CG_ASSERT_OK(cg_review_counts(db, counts, &err), &err);
        CG_ASSERT_EQ(counts[CG_REVIEW_PENDING], 0);
    }
    /* A good one with a preview. */
    CG_ASSERT_OK(cg_review_add(db, &it, NULL, pgm, sizeof(pgm) - 1, NULL, &err), &err);
    {
        uint8_t *p = NULL;
        size_t n = 0;
        cg_review_item got;

        CG_ASSERT_OK(cg_review_preview_get(db, it.id, &p, &n, &err), &err);
        CG_ASSERT_EQ(n, sizeof(pgm) - 1);
        CG_ASSERT(memcmp(p, pgm, n) == 0);
        cg_free(p);
        CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
        CG_ASSERT_EQ(got.has_preview, 1);
    }
    cg_bankdb_close(db);
}

/* ---- list, counts ------------------------------------------------------------------------- */

CG_TEST_SQLITE(review_list_order_and_filters)
{
    cg_bankdb *db = open_db("list.db");
    cg_error err = {0};
    int64_t a, b, c, d, counts[CG_REVIEW_STATE_COUNT];
    seen s;

    a = add_item(db, "a", "csam", 0, NULL);
    b = add_item(db, "b", "ncii", 3, NULL);
    c = add_item(db, "c", "csam", 0, NULL);
    d = add_item(db, "d", "csam", 3, NULL);
    /* Make c the oldest (same-second adds order by id). */
    CG_ASSERT_EQ(sqlite3_exec(cg__bankdb_sqlite(db),
                              "UPDATE review_items SET created = created - 100"
                              " WHERE content_id = 'c'",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    s = list(db, -1, NULL, NULL, 0);
    CG_ASSERT_EQ(s.n, 4);
    CG_ASSERT_EQ(s.ids[0], b); /* priority 3, older than d */
    CG_ASSERT_EQ(s.ids[1], d);
    CG_ASSERT_EQ(s.ids[2], c); /* priority 0, oldest */
    CG_ASSERT_EQ(s.ids[3], a);
    s = list(db, -1, "csam", NULL, 0);
    CG_ASSERT_EQ(s.n, 3);
    CG_ASSERT_EQ(s.ids[0], d);
    s = list(db, -1, NULL, NULL, 2);
    CG_ASSERT_EQ(s.n, 2);
    s = list(db, CG_REVIEW_CLAIMED, NULL, NULL, 0);
    CG_ASSERT_EQ(s.n, 0);
    CG_ASSERT_OK(cg_review_claim(db, c, "alice", NULL, NULL, &err), &err);
    s = list(db, CG_REVIEW_CLAIMED, NULL, "alice", 0);
    CG_ASSERT_EQ(s.n, 1);
    CG_ASSERT_EQ(s.ids[0], c);
    s = list(db, CG_REVIEW_PENDING, NULL, NULL, 0);
    CG_ASSERT_EQ(s.n, 3);
    s = list(db, -1, NULL, "bob", 0);
    CG_ASSERT_EQ(s.n, 0);
    CG_ASSERT_OK(cg_review_counts(db, counts, &err), &err);
    CG_ASSERT_EQ(counts[CG_REVIEW_PENDING], 3);
    CG_ASSERT_EQ(counts[CG_REVIEW_CLAIMED], 1);
    CG_ASSERT_EQ(counts[CG_REVIEW_CONFIRMED], 0);
    {
        cg_review_filter bad = {9, NULL, NULL, 0};

        CG_ASSERT_EQ(cg_review_list(db, &bad, collect, &s, &err), CG_E_INVAL);
    }
    cg_bankdb_close(db);
}

/* ---- claim, release ----------------------------------------------------------------------- */

CG_TEST(review_claim_two_reviewers)
{
    char path[512];
    cg_bankdb *db1, *db2;
    cg_error err = {0};
    int64_t a, b, got = 0;
    cg_review_item it;

    db1 = open_db("claim.db");
    cg_test_store_location("claim.db", path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, 0, &db2, &err), &err);
    a = add_item(db1, "a", "csam", 1, NULL);
    b = add_item(db1, "b", "csam", 0, NULL);

    CG_ASSERT_OK(cg_review_claim(db1, a, "alice", &got, NULL, &err), &err);
    CG_ASSERT_EQ(got, a);
    CG_ASSERT_EQ(cg_review_claim(db2, a, "bob", &got, NULL, &err), CG_E_BUSY);
    CG_ASSERT(strstr(err.message, "alice") != NULL);
    CG_ASSERT_EQ(got, 0);
    /* Claiming one's own item again is fine. */
    CG_ASSERT_OK(cg_review_claim(db2, a, "alice", NULL, NULL, &err), &err);
    /* --next skips the claimed one. */
    CG_ASSERT_OK(cg_review_claim(db2, -1, "bob", &got, NULL, &err), &err);
    CG_ASSERT_EQ(got, b);
    CG_ASSERT_EQ(cg_review_claim(db2, -1, "carol", &got, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_claim(db2, 12345, "carol", &got, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_OK(cg_review_get(db1, b, &it, NULL, &err), &err);
    CG_ASSERT_EQ(it.state, CG_REVIEW_CLAIMED);
    CG_ASSERT_STR_EQ(it.reviewer, "bob");
    CG_ASSERT_GT(it.claimed_at, 0);

    /* Release: only the holder, only a claimed item. */
    CG_ASSERT_EQ(cg_review_release(db1, b, "alice", NULL, &err), CG_E_BUSY);
    CG_ASSERT_OK(cg_review_release(db2, b, "bob", NULL, &err), &err);
    CG_ASSERT_EQ(cg_review_release(db2, b, "bob", NULL, &err), CG_E_INVAL);
    CG_ASSERT_OK(cg_review_get(db1, b, &it, NULL, &err), &err);
    CG_ASSERT_EQ(it.state, CG_REVIEW_PENDING);
    CG_ASSERT_STR_EQ(it.reviewer, "");
    CG_ASSERT_EQ(it.claimed_at, 0);
    CG_ASSERT_OK(cg_review_claim(db1, -1, "carol", &got, NULL, &err), &err);
    CG_ASSERT_EQ(got, b);

    /* Bad reviewers. */
    CG_ASSERT_EQ(cg_review_claim(db1, a, "", NULL, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_claim(db1, a, NULL, NULL, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_claim(db1, a, "bad\nname", NULL, NULL, &err), CG_E_INVAL);
    cg_bankdb_close(db2);
    cg_bankdb_close(db1);
}

/* ---- decide ------------------------------------------------------------------------------- */

CG_TEST(review_decide_feeds_banks)
{
    cg_bankdb *db = open_db("decide.db");
    cg_bank block = make_bank(db, "confirmed", CG_BANK_BLOCK);
    cg_bank allow = make_bank(db, "fp", CG_BANK_ALLOW);
    cg_error err = {0};
    cg_review_item it = make_item("sha256:1", "csam", 1, 3, 40), got;
    cg_bank_signal bs;
    int64_t n = 0;

    CG_ASSERT_OK(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_claim(db, it.id, "alice", NULL, NULL, &err), &err);
    {
        /* Someone else cannot decide alice's item; a wrong bank kind is refused. */
        cg_review_decision other = {CG_REVIEW_CONFIRMED, "bob", NULL, "confirmed"};
        cg_review_decision wrong = {CG_REVIEW_CONFIRMED, "alice", NULL, "fp"};
        cg_review_decision missing = {CG_REVIEW_CONFIRMED, "alice", NULL, "nosuch"};
        cg_review_decision pending = {CG_REVIEW_PENDING, "alice", NULL, NULL};
        cg_review_decision esc_bank = {CG_REVIEW_ESCALATED, "alice", NULL, "confirmed"};

        CG_ASSERT_EQ(cg_review_decide(db, it.id, &other, NULL, &err), CG_E_BUSY);
        CG_ASSERT_EQ(cg_review_decide(db, it.id, &wrong, NULL, &err), CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "allow bank") != NULL);
        CG_ASSERT_EQ(cg_review_decide(db, it.id, &missing, NULL, &err), CG_E_NOTFOUND);
        CG_ASSERT_EQ(cg_review_decide(db, it.id, &pending, NULL, &err), CG_E_INVAL);
        CG_ASSERT_EQ(cg_review_decide(db, it.id, &esc_bank, NULL, &err), CG_E_INVAL);
        CG_ASSERT_OK(cg_bank_signal_count(db, 0, NULL, &n, &err), &err);
        CG_ASSERT_EQ(n, 0);
    }
    {
        cg_review_decision ok = {CG_REVIEW_CONFIRMED, "alice", "clear match", "confirmed"};

        CG_ASSERT_OK(cg_review_decide(db, it.id, &ok, NULL, &err), &err);
    }
    for (size_t i = 0; i < it.n_signals; i++) {
        CG_ASSERT_OK(cg_bank_signal_find(db, block.id, it.signals[i].type, it.signals[i].value,
                                         &bs, &err),
                     &err);
        CG_ASSERT_STR_EQ(bs.source, "review");
        CG_ASSERT_STR_EQ(bs.note, "clear match");
        CG_ASSERT_EQ(bs.quality, it.signals[i].quality);
    }
    {
        char ext[32];

        snprintf(ext, sizeof(ext), "review:%lld", (long long)it.id);
        CG_ASSERT_STR_EQ(bs.external_id, ext);
    }
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_CONFIRMED);
    CG_ASSERT_STR_EQ(got.bank, "confirmed");
    CG_ASSERT_EQ(got.bank_signal_count, 3);
    CG_ASSERT_STR_EQ(got.note, "clear match");
    CG_ASSERT_GT(got.decided_at, 0);
    {
        /* Deciding a decided item again is refused; so is claiming it. */
        cg_review_decision again = {CG_REVIEW_FALSE_POSITIVE, "alice", NULL, NULL};

        CG_ASSERT_EQ(cg_review_decide(db, it.id, &again, NULL, &err), CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "already decided") != NULL);
        CG_ASSERT_EQ(cg_review_claim(db, it.id, "alice", NULL, NULL, &err), CG_E_INVAL);
    }

    /* A false positive feeds the allow bank; a pending item can be decided without a claim.
     * Allow-listing a csam item takes two reviewers: bob proposes, carol confirms. */
    it = make_item("sha256:2", "csam", 0, 2, 80);
    CG_ASSERT_OK(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), &err);
    {
        cg_review_decision wrong = {CG_REVIEW_FALSE_POSITIVE, "bob", NULL, "confirmed"};
        cg_review_decision fp = {CG_REVIEW_FALSE_POSITIVE, "bob", NULL, "fp"};
        cg_review_decision second = {CG_REVIEW_FALSE_POSITIVE, "carol", NULL, "fp"};

        CG_ASSERT_EQ(cg_review_decide(db, it.id, &wrong, NULL, &err), CG_E_INVAL);
        CG_ASSERT_OK(cg_review_decide(db, it.id, &fp, NULL, &err), &err);
        CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
        CG_ASSERT_EQ(got.state, CG_REVIEW_PENDING);
        CG_ASSERT_STR_EQ(got.proposed_by, "bob");
        CG_ASSERT_EQ(cg_bank_signal_find(db, allow.id, it.signals[1].type, it.signals[1].value,
                                         &bs, &err),
                     CG_E_NOTFOUND);
        CG_ASSERT_EQ(cg_review_decide(db, it.id, &fp, NULL, &err), CG_E_BUSY);
        CG_ASSERT(strstr(err.message, "second reviewer") != NULL);
        CG_ASSERT_OK(cg_review_decide(db, it.id, &second, NULL, &err), &err);
        CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
        CG_ASSERT_EQ(got.state, CG_REVIEW_FALSE_POSITIVE);
        CG_ASSERT_STR_EQ(got.proposed_by, "bob");
        CG_ASSERT_STR_EQ(got.confirmed_by, "carol");
    }
    CG_ASSERT_OK(cg_bank_signal_find(db, allow.id, it.signals[1].type, it.signals[1].value, &bs,
                                     &err),
                 &err);
    CG_ASSERT_EQ(cg_bank_signal_find(db, block.id, it.signals[1].type, it.signals[1].value, &bs,
                                     &err),
                 CG_E_NOTFOUND);
    cg_bankdb_close(db);
}

CG_TEST(review_escalated_redecided)
{
    cg_bankdb *db = open_db("esc.db");
    cg_bank block = make_bank(db, "blk", CG_BANK_BLOCK);
    cg_error err = {0};
    cg_review_item it = make_item("msg:conv/1", "grooming", 2, 1, 5), got;
    cg_review_decision esc = {CG_REVIEW_ESCALATED, "alice", "needs legal", NULL};
    cg_review_decision senior = {CG_REVIEW_CONFIRMED, "senior", "confirmed by legal", "blk"};
    cg_bank_signal bs;

    snprintf(it.kind, sizeof(it.kind), "message");
    CG_ASSERT_OK(cg_review_add(db, &it, NULL, NULL, 0, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_claim(db, it.id, "alice", NULL, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, it.id, &esc, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_ESCALATED);
    CG_ASSERT_STR_EQ(got.bank, "");
    /* An escalated item is not in the pending queue and cannot be claimed. */
    CG_ASSERT_EQ(cg_review_claim(db, -1, "bob", NULL, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_claim(db, it.id, "bob", NULL, NULL, &err), CG_E_INVAL);
    CG_ASSERT_OK(cg_review_decide(db, it.id, &senior, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_CONFIRMED);
    CG_ASSERT_STR_EQ(got.reviewer, "senior");
    CG_ASSERT_OK(cg_bank_signal_find(db, block.id, it.signals[0].type, it.signals[0].value, &bs,
                                     &err),
                 &err);
    cg_bankdb_close(db);
}

/* ---- audit -------------------------------------------------------------------------------- */

CG_TEST(review_changes_are_audited)
{
    cg_bankdb *db = open_db("audit.db");
    char logpath[512];
    cg_audit *log = NULL;
    cg_audit_report rep;
    cg_error err = {0};
    int64_t a, b;

    make_bank(db, "blk", CG_BANK_BLOCK);
    tmp_path(logpath, sizeof(logpath), "audit.log");
    CG_ASSERT_OK(cg_audit_open(logpath, CG_AUDIT_CREATE, &log, &err), &err);
    a = add_item(db, "a", "csam", 0, log);                               /* 1 */
    b = add_item(db, "b", "csam", 0, log);                               /* 2 */
    CG_ASSERT_OK(cg_review_claim(db, a, "alice", NULL, log, &err), &err); /* 3 */
    CG_ASSERT_OK(cg_review_claim(db, a, "alice", NULL, log, &err), &err); /* no change */
    CG_ASSERT_OK(cg_review_release(db, a, "alice", log, &err), &err);     /* 4 */
    CG_ASSERT_EQ(cg_review_claim(db, 99, "alice", NULL, log, &err), CG_E_NOTFOUND);
    {
        cg_review_decision d = {CG_REVIEW_CONFIRMED, "alice", "ok", "blk"};
        cg_review_decision bad = {CG_REVIEW_FALSE_POSITIVE, "alice", NULL, "blk"};

        CG_ASSERT_OK(cg_review_decide(db, b, &d, log, &err), &err);        /* 5 */
        CG_ASSERT_EQ(cg_review_decide(db, a, &bad, log, &err), CG_E_INVAL); /* no record */
    }
    cg_audit_close(log);
    CG_ASSERT_OK(cg_audit_verify(logpath, &rep, &err), &err);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.records, 5);
    {
        FILE *f = fopen(logpath, "r");
        char line[4096];
        int decide = 0, review = 0;

        CG_ASSERT(f != NULL);
        while (fgets(line, sizeof(line), f) != NULL) {
            review += strstr(line, "\"kind\":\"review\"") != NULL;
            decide += strstr(line, "\"action\":\"decide\"") != NULL &&
                      strstr(line, "\"bank\":\"blk\"") != NULL &&
                      strstr(line, "\"bank_signals\":2") != NULL;
        }
        fclose(f);
        CG_ASSERT_EQ(review, 5);
        CG_ASSERT_EQ(decide, 1);
    }
    cg_bankdb_close(db);
}

/* ---- migration ---------------------------------------------------------------------------- */

CG_TEST_SQLITE(review_migrates_older_database)
{
    char path[512];
    cg_bankdb *db;
    sqlite3 *h;
    cg_error err = {0};
    sqlite3_stmt *st;
    int64_t id;

    /* Make a version-1 database: a current one with the review tables dropped and the version
     * set back, which is what a file written by the previous build looks like. */
    db = open_db("old.db");
    make_bank(db, "kept", CG_BANK_BLOCK);
    cg_bankdb_close(db);
    tmp_path(path, sizeof(path), "old.db");
    CG_ASSERT_EQ(sqlite3_open(path, &h), SQLITE_OK);
    CG_ASSERT_EQ(sqlite3_exec(h,
                              "DROP TABLE review_signals; DROP TABLE review_items;"
                              "PRAGMA user_version = 1;",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(h);

    db = open_db("old.db");
    id = add_item(db, "a", "csam", 0, NULL);
    CG_ASSERT_GT(id, 0);
    {
        cg_bank b;

        CG_ASSERT_OK(cg_bank_get(db, "kept", &b, &err), &err);
    }
    CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db), "PRAGMA user_version", -1, &st, NULL),
                 SQLITE_OK);
    CG_ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    CG_ASSERT_EQ(sqlite3_column_int(st, 0), cg_bankdb_schema_version());
    sqlite3_finalize(st);
    cg_bankdb_close(db);
}

/* ---- tenants, actors, rights, two reviewers ----------------------------------------------- */

CG_TEST(review_tenants_isolated)
{
    char path[512];
    cg_bankdb *acme = open_db("tenants.db"), *other;
    cg_error err = {0};
    cg_review_item it, got;
    cg_review_decision d = {CG_REVIEW_CONFIRMED, "eve", NULL, NULL};
    int64_t counts[CG_REVIEW_STATE_COUNT], claimed = 0, id;
    uint8_t *data = NULL;
    size_t len = 0;

    CG_ASSERT_OK(cg_bankdb_set_tenant(acme, "acme", &err), &err);
    CG_ASSERT_STR_EQ(cg_bankdb_tenant(acme), "acme");
    id = add_item(acme, "conv:c1", "grooming", 1, NULL);
    CG_ASSERT_OK(cg_review_get(acme, id, &got, NULL, &err), &err);
    CG_ASSERT_STR_EQ(got.tenant, "acme");

    cg_test_store_location("tenants.db", path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, 0, &other, &err), &err);
    CG_ASSERT_STR_EQ(cg_bankdb_tenant(other), CG_TENANT_DEFAULT);
    /* Another tenant sees nothing and can change nothing: exactly as if the item did not
     * exist. */
    CG_ASSERT_EQ(cg_review_get(other, id, &got, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(list(other, -1, NULL, NULL, 0).n, 0);
    CG_ASSERT_OK(cg_review_counts(other, counts, &err), &err);
    CG_ASSERT_EQ(counts[CG_REVIEW_PENDING], 0);
    CG_ASSERT_EQ(cg_review_claim(other, id, "eve", NULL, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_claim(other, -1, "eve", &claimed, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_release(other, id, "eve", NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_decide(other, id, &d, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_preview_get(other, id, &data, &len, &err), CG_E_NOTFOUND);
    /* The same conversation id in another tenant is another item, never a refresh of acme's. */
    it = make_item("conv:c1", "grooming", 3, 1, 7);
    CG_ASSERT_EQ(cg_review_refresh(other, &it, "{}", NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_OK(cg_review_add(other, &it, "{}", NULL, 0, NULL, &err), &err);
    CG_ASSERT(it.id != id);
    CG_ASSERT_OK(cg_review_get(acme, id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.priority, 1); /* untouched */
    CG_ASSERT_EQ(list(acme, -1, NULL, NULL, 0).n, 1);
    /* An item may name its tenant when added (the engine does, per scan). */
    it = make_item("sha256:x", "csam", 0, 1, 9);
    snprintf(it.tenant, sizeof(it.tenant), "acme");
    CG_ASSERT_OK(cg_review_add(other, &it, "{}", NULL, 0, NULL, &err), &err);
    CG_ASSERT_EQ(list(acme, -1, NULL, NULL, 0).n, 2);
    snprintf(it.tenant, sizeof(it.tenant), "bad tenant");
    CG_ASSERT_EQ(cg_review_add(other, &it, "{}", NULL, 0, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_bankdb_set_tenant(other, "no/slash", &err), CG_E_INVAL);
    CG_ASSERT_STR_EQ(cg_bankdb_tenant(other), CG_TENANT_DEFAULT);
    cg_bankdb_close(other);
    cg_bankdb_close(acme);
}

CG_TEST(review_actor_rights_and_audit)
{
    cg_bankdb *db = open_db("actor.db");
    char logpath[512];
    cg_audit *log = NULL;
    cg_error err = {0};
    cg_review_decision esc = {CG_REVIEW_ESCALATED, "alice", NULL, NULL};
    cg_review_decision fin = {CG_REVIEW_CONFIRMED, "alice", NULL, NULL};
    int64_t id;
    int found = 0;

    tmp_path(logpath, sizeof(logpath), "actor.log");
    CG_ASSERT_OK(cg_audit_open(logpath, CG_AUDIT_CREATE, &log, &err), &err);
    id = add_item(db, "x", "grooming", 0, NULL);
    /* The HTTP service: the key is the actor, alice the reviewer; no senior right. */
    CG_ASSERT_OK(cg_review_set_actor(db, "api:7(Alice N)", 0, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, id, &esc, log, &err), &err);
    CG_ASSERT_EQ(cg_review_decide(db, id, &fin, log, &err), CG_E_BUSY);
    CG_ASSERT(strstr(err.message, "senior") != NULL);
    CG_ASSERT_OK(cg_review_set_actor(db, "api:8(Bo)", CG_REVIEW_RIGHT_SENIOR, &err), &err);
    fin.reviewer = "Bo";
    CG_ASSERT_OK(cg_review_decide(db, id, &fin, log, &err), &err);
    cg_audit_close(log);
    {
        FILE *f = fopen(logpath, "r");
        char line[4096];

        CG_ASSERT(f != NULL);
        while (fgets(line, sizeof(line), f) != NULL)
            found += strstr(line, "\"actor\":\"api:7(Alice N)\"") != NULL &&
                     strstr(line, "\"reviewer\":\"alice\"") != NULL;
        fclose(f);
    }
    CG_ASSERT_EQ(found, 1);
    CG_ASSERT_EQ(cg_review_set_actor(db, "bad \xff", 0, &err), CG_E_INVAL);
    cg_bankdb_close(db);
}

CG_TEST(review_two_reviewers_for_csam_allow)
{
    cg_bankdb *db = open_db("two.db");
    cg_bank allow = make_bank(db, "fp", CG_BANK_ALLOW);
    cg_error err = {0};
    cg_review_item it = make_item("sha256:9", "nudity", 2, 2, 40), got;
    const char *verdict = "{\"matches\":[{\"bank\":\"b\",\"label\":\"csam\","
                          "\"kind\":\"block\",\"distance\":4}]}";
    cg_review_decision fp_a = {CG_REVIEW_FALSE_POSITIVE, "ana", "looks benign", "fp"};
    cg_review_decision fp_b = {CG_REVIEW_FALSE_POSITIVE, "bo", NULL, "fp"};
    cg_review_decision fp_nobank = {CG_REVIEW_FALSE_POSITIVE, "ana", NULL, NULL};
    cg_review_decision conf = {CG_REVIEW_CONFIRMED, "cy", NULL, NULL};
    cg_review_decision esc = {CG_REVIEW_ESCALATED, "ana", NULL, NULL};
    cg_bank_signal bs;

    /* The label is not csam, but the verdict holds a csam block match: the rule applies. */
    CG_ASSERT(cg_review_needs_two(&it, verdict));
    CG_ASSERT(!cg_review_needs_two(&it, "{\"matches\":[]}"));
    CG_ASSERT(!cg_review_needs_two(&it, NULL));
    CG_ASSERT_OK(cg_review_add(db, &it, verdict, NULL, 0, NULL, &err), &err);
    /* A proposal by the claimer returns the item to the queue, changes no bank. */
    CG_ASSERT_OK(cg_review_claim(db, it.id, "ana", NULL, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, it.id, &fp_a, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_PENDING);
    CG_ASSERT_STR_EQ(got.reviewer, "");
    CG_ASSERT_EQ(got.proposed_state, CG_REVIEW_FALSE_POSITIVE);
    CG_ASSERT_STR_EQ(got.proposed_bank, "fp");
    CG_ASSERT_EQ(cg_bank_signal_find(db, allow.id, it.signals[1].type, it.signals[1].value, &bs,
                                     &err),
                 CG_E_NOTFOUND);
    /* The proposer cannot confirm her own proposal, claimed again or not. */
    CG_ASSERT_OK(cg_review_claim(db, it.id, "ana", NULL, NULL, &err), &err);
    CG_ASSERT_EQ(cg_review_decide(db, it.id, &fp_a, NULL, &err), CG_E_BUSY);
    CG_ASSERT_OK(cg_review_release(db, it.id, "ana", NULL, &err), &err);
    /* A false positive that feeds no bank changes nothing that is blocked: one reviewer. But a
     * different decision replaces the proposal: here a third reviewer confirms the harm. */
    (void)fp_nobank;
    CG_ASSERT_OK(cg_review_decide(db, it.id, &conf, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_CONFIRMED);
    CG_ASSERT_STR_EQ(got.proposed_by, "");
    CG_ASSERT_EQ(cg_review_decide(db, it.id, &fp_b, NULL, &err), CG_E_INVAL);

    /* Escalated: a proposal keeps it escalated; the second reviewer must be senior. */
    it = make_item("sha256:10", "csam", 2, 2, 50);
    CG_ASSERT_OK(cg_review_add(db, &it, "{}", NULL, 0, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, it.id, &esc, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, it.id, &fp_a, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_ESCALATED);
    CG_ASSERT_STR_EQ(got.proposed_by, "ana");
    CG_ASSERT_OK(cg_review_set_actor(db, "api:3(bo)", 0, &err), &err);
    CG_ASSERT_EQ(cg_review_decide(db, it.id, &fp_b, NULL, &err), CG_E_BUSY);
    CG_ASSERT_OK(cg_review_set_actor(db, "api:3(bo)", CG_REVIEW_RIGHT_SENIOR, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, it.id, &fp_b, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, it.id, &got, NULL, &err), &err);
    CG_ASSERT_EQ(got.state, CG_REVIEW_FALSE_POSITIVE);
    CG_ASSERT_STR_EQ(got.confirmed_by, "bo");
    CG_ASSERT_EQ(got.bank_signal_count, 2);
    CG_ASSERT_OK(cg_bank_signal_find(db, allow.id, it.signals[1].type, it.signals[1].value, &bs,
                                     &err),
                 &err);
    cg_bankdb_close(db);
}

/* ---- allocation failures ------------------------------------------------------------------ */

typedef struct alloc_arg {
    cg_bankdb *db;
    int64_t id;
} alloc_arg;

static cg_status op_get(void *arg)
{
    alloc_arg *a = arg;
    cg_review_item it;
    char *verdict = (char *)&verdict;
    uint8_t *p = (uint8_t *)&p;
    size_t n = 1;
    cg_error err = {0};
    cg_status st = cg_review_get(a->db, a->id, &it, &verdict, &err);

    if (st != CG_OK) {
        CG_ASSERT(verdict == NULL);
        return st;
    }
    cg_free(verdict);
    st = cg_review_preview_get(a->db, a->id, &p, &n, &err);
    if (st != CG_OK) {
        CG_ASSERT(p == NULL && n == 0);
        return st;
    }
    cg_free(p);
    return CG_OK;
}

static cg_status op_preview(void *arg)
{
    uint8_t px[40 * 30 * 3];
    uint8_t *out = (uint8_t *)&out;
    size_t n = 1;
    cg_error err = {0};
    cg_status st;

    (void)arg;
    memset(px, 100, sizeof(px));
    st = cg_review_preview(px, 40, 30, 3, 16, 2, &out, &n, &err);
    if (st != CG_OK) {
        CG_ASSERT(out == NULL && n == 0);
        return st;
    }
    cg_free(out);
    return CG_OK;
}

CG_TEST(review_allocation_failures)
{
    cg_bankdb *db = open_db("alloc.db");
    cg_review_item it = make_item("a", "csam", 0, 2, 1);
    cg_error err = {0};
    uint8_t *pgm = NULL;
    size_t n = 0;
    uint8_t px[64];
    alloc_arg a;

    memset(px, 7, sizeof(px));
    CG_ASSERT_OK(cg_review_preview(px, 8, 8, 1, 0, -1, &pgm, &n, &err), &err);
    CG_ASSERT_OK(cg_review_add(db, &it, "{}", pgm, n, NULL, &err), &err);
    cg_free(pgm);
    a.db = db;
    a.id = it.id;
    CG_ASSERT_GT(cg_test_fail_each_allocation("review get", op_get, &a, 0), 0);
    CG_ASSERT_GT(cg_test_fail_each_allocation("review preview", op_preview, NULL, 0), 0);
    cg_bankdb_close(db);
}

/* ---- previews ----------------------------------------------------------------------------- */

/* Parses a PGM made by cg_review_preview: returns the pixels, fills w and h. */
static const uint8_t *pgm_pixels(const uint8_t *p, size_t n, int *w, int *h)
{
    int used = 0;

    CG_ASSERT(n > 3 && memcmp(p, "P5\n", 3) == 0);
    CG_ASSERT(sscanf((const char *)p, "P5\n%d %d\n255\n%n", w, h, &used) == 2 && used > 0);
    CG_ASSERT_EQ(n, (size_t)used + (size_t)*w * (size_t)*h);
    return p + used;
}

static double variance(const uint8_t *px, size_t n)
{
    double sum = 0, sq = 0;

    for (size_t i = 0; i < n; i++) {
        sum += px[i];
        sq += (double)px[i] * px[i];
    }
    return sq / n - (sum / n) * (sum / n);
}

CG_TEST(review_preview_geometry_and_grey)
{
    static uint8_t px[600 * 300 * 3];
    uint8_t *out = NULL;
    size_t n = 0;
    cg_error err = {0};
    const uint8_t *g;
    int w, h;

    /* Pure red everywhere: luma 0.299 * 255 = 76. */
    for (size_t i = 0; i < sizeof(px); i += 3) {
        px[i] = 255;
        px[i + 1] = 0;
        px[i + 2] = 0;
    }
    CG_ASSERT_OK(cg_review_preview(px, 600, 300, 3, 0, 0, &out, &n, &err), &err);
    g = pgm_pixels(out, n, &w, &h);
    CG_ASSERT_EQ(w, 256);
    CG_ASSERT_EQ(h, 128);
    for (int i = 0; i < w * h; i++)
        CG_ASSERT_EQ(g[i], 76);
    cg_free(out);

    /* Portrait, custom side; a small image is never upscaled. */
    CG_ASSERT_OK(cg_review_preview(px, 300, 600, 3, 100, -1, &out, &n, &err), &err);
    pgm_pixels(out, n, &w, &h);
    CG_ASSERT_EQ(w, 50);
    CG_ASSERT_EQ(h, 100);
    cg_free(out);
    CG_ASSERT_OK(cg_review_preview(px, 20, 10, 1, 256, -1, &out, &n, &err), &err);
    pgm_pixels(out, n, &w, &h);
    CG_ASSERT_EQ(w, 20);
    CG_ASSERT_EQ(h, 10);
    cg_free(out);
    /* A 1-pixel-high strip keeps at least one row. */
    CG_ASSERT_OK(cg_review_preview(px, 5000, 1, 1, 64, 0, &out, &n, &err), &err);
    pgm_pixels(out, n, &w, &h);
    CG_ASSERT_EQ(w, 64);
    CG_ASSERT_EQ(h, 1);
    cg_free(out);
}

CG_TEST(review_preview_area_average_and_blur)
{
    enum { N = 128 };
    static uint8_t px[N * N];
    uint8_t *out = NULL;
    size_t n = 0;
    cg_error err = {0};
    const uint8_t *g;
    int w, h;
    double v_sharp, v_blur;

    /* A 4x4-pixel checkerboard of 0 and 255. */
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
            px[y * N + x] = ((x / 4) + (y / 4)) % 2 ? 255 : 0;
    /* Downscaling by 8 averages whole 8x8 blocks (two black and two white 4x4 squares): grey. */
    CG_ASSERT_OK(cg_review_preview(px, N, N, 1, N / 8, -1, &out, &n, &err), &err);
    g = pgm_pixels(out, n, &w, &h);
    CG_ASSERT_EQ(w, N / 8);
    for (int i = 0; i < w * h; i++) {
        CG_ASSERT_GE(g[i], 127);
        CG_ASSERT_LE(g[i], 128);
    }
    cg_free(out);
    /* At full size, the blur must cut the variance a lot. */
    CG_ASSERT_OK(cg_review_preview(px, N, N, 1, N, -1, &out, &n, &err), &err);
    g = pgm_pixels(out, n, &w, &h);
    v_sharp = variance(g, (size_t)w * h);
    cg_free(out);
    CG_ASSERT_OK(cg_review_preview(px, N, N, 1, N, 0, &out, &n, &err), &err);
    g = pgm_pixels(out, n, &w, &h);
    v_blur = variance(g, (size_t)w * h);
    cg_free(out);
    CG_ASSERT_GT(v_sharp, 16000.0);
    CG_ASSERT_LT(v_blur * 10, v_sharp);
}

CG_TEST(review_preview_bad_args)
{
    uint8_t px[16] = {0};
    uint8_t *out = (uint8_t *)&out;
    size_t n = 5;
    cg_error err = {0};

    CG_ASSERT_EQ(cg_review_preview(NULL, 4, 4, 1, 0, 0, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT(out == NULL && n == 0);
    CG_ASSERT_EQ(cg_review_preview(px, 4, 4, 4, 0, 0, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "channels") != NULL);
    CG_ASSERT_EQ(cg_review_preview(px, 0, 4, 1, 0, 0, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_preview(px, 4, -1, 1, 0, 0, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_preview(px, 70000, 4, 1, 0, 0, &out, &n, &err), CG_E_LIMIT);
    CG_ASSERT_EQ(cg_review_preview(px, 20000, 20000, 1, 0, 0, &out, &n, &err), CG_E_LIMIT);
    CG_ASSERT_EQ(cg_review_preview(px, 4, 4, 1, 5000, 0, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_preview(px, 4, 4, 1, -3, 0, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_preview(px, 4, 4, 1, 0, -2, &out, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_review_preview(px, 4, 4, 1, 0, 0, NULL, &n, &err), CG_E_INVAL);
    CG_ASSERT(out == NULL && n == 0);
}

/* The list callback may change items through the same handle (docs/review.md). */
typedef struct claim_all {
    cg_bankdb *db;
    int n;
} claim_all;

static int claim_each(const cg_review_item *it, void *ud)
{
    claim_all *c = ud;
    cg_error err = {0};

    CG_ASSERT_OK(cg_review_claim(c->db, it->id, "alice", NULL, NULL, &err), &err);
    c->n++;
    return 0;
}

CG_TEST(review_list_callback_may_write)
{
    cg_bankdb *db = open_db("reent.db");
    cg_review_filter f = {CG_REVIEW_PENDING, NULL, NULL, 0};
    claim_all c = {db, 0};
    cg_error err = {0};
    int64_t counts[CG_REVIEW_STATE_COUNT];

    add_item(db, "a", "csam", 0, NULL);
    add_item(db, "b", "csam", 2, NULL);
    add_item(db, "c", "csam", 1, NULL);
    CG_ASSERT_OK(cg_review_list(db, &f, claim_each, &c, &err), &err);
    CG_ASSERT_EQ(c.n, 3);
    CG_ASSERT_OK(cg_review_counts(db, counts, &err), &err);
    CG_ASSERT_EQ(counts[CG_REVIEW_CLAIMED], 3);
    cg_bankdb_close(db);
}
