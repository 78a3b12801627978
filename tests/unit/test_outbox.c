/* The webhook outbox (include/childguard/outbox.h, src/store/store_outbox.c): adding entries,
 * what is due and in which order, retries, delivery, giving up, counts, pruning, surviving a
 * restart (closing and reopening the database), bad targets and payloads, callbacks that write,
 * and failing allocations. Every file lives in cg_test_tmpdir(). */
#include "cg_test.h"

#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"
#include "childguard.h"
#include "common/alloc.h"

static cg_bankdb *open_db(const char *name)
{
    char path[512];
    cg_error err = {0};
    cg_bankdb *db = NULL;

    cg_test_store_location(name, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

static int64_t add(cg_bankdb *db, const char *target, const char *payload)
{
    cg_error err = {0};
    int64_t id = 0;

    CG_ASSERT_OK(cg_outbox_add(db, target, payload, &id, &err), &err);
    CG_ASSERT_GT(id, 0);
    return id;
}

typedef struct due_seen {
    int64_t ids[16];
    char tenants[16][CG_TENANT_MAX + 1];
    int attempts[16];
    char targets[16][CG_OUTBOX_TARGET_MAX + 1];
    char payloads[16][64];
    char errors[16][64];
    size_t n;
    size_t stop_after;       /* 0: never */
    cg_bankdb *deliver_in;   /* when set, the callback marks each entry delivered */
} due_seen;

static int collect(const cg_outbox_entry *e, void *ud)
{
    due_seen *s = ud;

    if (s->n < 16) {
        s->ids[s->n] = e->id;
        s->attempts[s->n] = e->attempts;
        snprintf(s->tenants[s->n], sizeof(s->tenants[0]), "%s", e->tenant);
        snprintf(s->targets[s->n], sizeof(s->targets[0]), "%s", e->target);
        snprintf(s->payloads[s->n], sizeof(s->payloads[0]), "%s", e->payload);
        snprintf(s->errors[s->n], sizeof(s->errors[0]), "%s", e->last_error);
    }
    s->n++;
    if (s->deliver_in != NULL) {
        cg_error err = {0};

        CG_ASSERT_OK(cg_outbox_mark_delivered(s->deliver_in, e->id, &err), &err);
    }
    return s->stop_after != 0 && s->n >= s->stop_after;
}

static due_seen due(cg_bankdb *db, int64_t now, int limit)
{
    due_seen s;
    cg_error err = {0};

    memset(&s, 0, sizeof(s));
    CG_ASSERT_OK(cg_outbox_due(db, now, limit, collect, &s, &err), &err);
    return s;
}

static void assert_counts(cg_bankdb *db, int64_t p, int64_t d, int64_t f, int line)
{
    int64_t gp = -1, gd = -1, gf = -1;
    cg_error err = {0};

    CG_ASSERT_OK(cg_outbox_counts(db, &gp, &gd, &gf, &err), &err);
    if (gp != p || gd != d || gf != f)
        cg_test_fail(__FILE__, line, "counts %lld/%lld/%lld, expected %lld/%lld/%lld",
                     (long long)gp, (long long)gd, (long long)gf, (long long)p, (long long)d,
                     (long long)f);
}
#define ASSERT_COUNTS(db, p, d, f) assert_counts(db, p, d, f, __LINE__)

CG_TEST(outbox_add_due_deliver)
{
    cg_bankdb *db = open_db("o.db");
    const int64_t now = (int64_t)time(NULL);
    cg_error err = {0};
    int64_t a, b, c;
    due_seen s;

    ASSERT_COUNTS(db, 0, 0, 0);
    s = due(db, now, 10);
    CG_ASSERT_EQ(s.n, 0);
    a = add(db, "ops-team", "{\"event\":\"match\",\"n\":1}");
    b = add(db, "ncmec.report", "{\"event\":\"match\",\"n\":2}");
    c = add(db, "ops-team", "{}");
    CG_ASSERT(a < b && b < c);
    ASSERT_COUNTS(db, 3, 0, 0);

    /* Oldest first, with target and payload as given; the limit bounds the visit. */
    s = due(db, now, 10);
    CG_ASSERT_EQ(s.n, 3);
    CG_ASSERT_EQ(s.ids[0], a);
    CG_ASSERT_EQ(s.ids[2], c);
    CG_ASSERT_STR_EQ(s.targets[1], "ncmec.report");
    CG_ASSERT_STR_EQ(s.payloads[1], "{\"event\":\"match\",\"n\":2}");
    CG_ASSERT_EQ(s.attempts[0], 0);
    CG_ASSERT_STR_EQ(s.errors[0], "");
    s = due(db, now, 2);
    CG_ASSERT_EQ(s.n, 2);
    CG_ASSERT_EQ(s.ids[1], b);
    /* Nothing is due before it was created. */
    s = due(db, now - 3600, 10);
    CG_ASSERT_EQ(s.n, 0);

    /* Non-zero from the callback stops. */
    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    CG_ASSERT_OK(cg_outbox_due(db, now, 10, collect, &s, &err), &err);
    CG_ASSERT_EQ(s.n, 1);

    CG_ASSERT_OK(cg_outbox_mark_delivered(db, b, &err), &err);
    ASSERT_COUNTS(db, 2, 1, 0);
    s = due(db, now, 10);
    CG_ASSERT_EQ(s.n, 2);
    CG_ASSERT_EQ(s.ids[0], a);
    CG_ASSERT_EQ(s.ids[1], c);
    /* Only pending entries can be marked. */
    CG_ASSERT_EQ(cg_outbox_mark_delivered(db, b, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_outbox_mark_retry(db, b, "x", now, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_outbox_mark_failed(db, b, "x", &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_outbox_mark_delivered(db, 9999, &err), CG_E_NOTFOUND);

    /* A callback may mark what it is given (the deliverer's usual loop). */
    memset(&s, 0, sizeof(s));
    s.deliver_in = db;
    CG_ASSERT_OK(cg_outbox_due(db, now, 10, collect, &s, &err), &err);
    CG_ASSERT_EQ(s.n, 2);
    ASSERT_COUNTS(db, 0, 3, 0);
    s = due(db, now + 86400, 10);
    CG_ASSERT_EQ(s.n, 0);
    cg_bankdb_close(db);
}

CG_TEST_SQLITE(outbox_retry_and_fail)
{
    cg_bankdb *db = open_db("o.db");
    const int64_t now = (int64_t)time(NULL);
    cg_error err = {0};
    char big[2000];
    int64_t a, b;
    due_seen s;

    a = add(db, "hook", "{\"k\":1}");
    b = add(db, "hook", "{\"k\":2}");
    CG_ASSERT_OK(cg_outbox_mark_retry(db, a, "HTTP 503", now + 60, &err), &err);
    /* Not due until its next attempt; the other one still is. */
    s = due(db, now, 10);
    CG_ASSERT_EQ(s.n, 1);
    CG_ASSERT_EQ(s.ids[0], b);
    s = due(db, now + 60, 10);
    CG_ASSERT_EQ(s.n, 2);
    CG_ASSERT_EQ(s.ids[0], a);
    CG_ASSERT_EQ(s.attempts[0], 1);
    CG_ASSERT_STR_EQ(s.errors[0], "HTTP 503");
    CG_ASSERT_OK(cg_outbox_mark_retry(db, a, NULL, now + 120, &err), &err);
    s = due(db, now + 120, 10);
    CG_ASSERT_EQ(s.attempts[0], 2);
    CG_ASSERT_STR_EQ(s.errors[0], "");

    /* Error texts are bounded and made printable UTF-8. */
    memset(big, 'e', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CG_ASSERT_OK(cg_outbox_mark_retry(db, b, big, now, &err), &err);
    CG_ASSERT_OK(cg_outbox_mark_retry(db, b, "bad\xff byte\nnewline", now, &err), &err);
    s = due(db, now, 10);
    CG_ASSERT_EQ(s.ids[0], b);
    CG_ASSERT_STR_EQ(s.errors[0], "bad? byte?newline");

    /* Giving up: counted as an attempt, never due again, counted as failed. */
    CG_ASSERT_OK(cg_outbox_mark_failed(db, a, "gave up after 3 attempts", &err), &err);
    s = due(db, now + 86400, 10);
    CG_ASSERT_EQ(s.n, 1);
    CG_ASSERT_EQ(s.ids[0], b);
    ASSERT_COUNTS(db, 1, 0, 1);
    CG_ASSERT_EQ(cg_outbox_mark_retry(db, a, "again", now, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_outbox_mark_delivered(db, a, &err), CG_E_NOTFOUND);
    {
        sqlite3_stmt *st;

        CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db),
                                        "SELECT attempts, last_error, failed FROM outbox WHERE"
                                        " id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
        sqlite3_bind_int64(st, 1, a);
        CG_ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
        CG_ASSERT_EQ(sqlite3_column_int(st, 0), 3);
        CG_ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 1), "gave up after 3 attempts");
        CG_ASSERT_GE(sqlite3_column_int64(st, 2), now);
        sqlite3_finalize(st);
    }
    cg_bankdb_close(db);
}

CG_TEST_SQLITE(outbox_long_error_cut_at_character)
{
    cg_bankdb *db = open_db("o.db");
    const int64_t now = (int64_t)time(NULL);
    char text[CG_OUTBOX_ERROR_MAX + 8];
    cg_error err = {0};
    sqlite3_stmt *st;
    const unsigned char *got;
    int64_t a = add(db, "hook", "{}");

    /* 'x' then two-byte characters, so the cap falls inside one of them. */
    size_t n = 0;
    text[n++] = 'x';
    while (n + 2 < sizeof(text)) {
        text[n++] = (char)0xc3;
        text[n++] = (char)0xa9; /* é */
    }
    text[n] = '\0';
    CG_ASSERT_OK(cg_outbox_mark_retry(db, a, text, now, &err), &err);
    CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db),
                                    "SELECT last_error FROM outbox WHERE id = ?1", -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, a);
    CG_ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    got = sqlite3_column_text(st, 0);
    CG_ASSERT_EQ(strlen((const char *)got), CG_OUTBOX_ERROR_MAX - 1);
    CG_ASSERT_EQ(got[strlen((const char *)got) - 1], 0xa9);
    sqlite3_finalize(st);
    cg_bankdb_close(db);
}

CG_TEST(outbox_survives_restart)
{
    cg_bankdb *db = open_db("o.db");
    const int64_t now = (int64_t)time(NULL);
    cg_error err = {0};
    int64_t a, b, c;
    due_seen s;

    a = add(db, "hook", "{\"n\":1}");
    b = add(db, "hook", "{\"n\":2}");
    c = add(db, "hook", "{\"n\":3}");
    CG_ASSERT_OK(cg_outbox_mark_delivered(db, a, &err), &err);
    CG_ASSERT_OK(cg_outbox_mark_retry(db, b, "timeout", now + 30, &err), &err);
    cg_bankdb_close(db); /* the process stops */

    db = open_db("o.db");
    ASSERT_COUNTS(db, 2, 1, 0);
    s = due(db, now, 10);
    CG_ASSERT_EQ(s.n, 1);
    CG_ASSERT_EQ(s.ids[0], c);
    CG_ASSERT_STR_EQ(s.payloads[0], "{\"n\":3}");
    s = due(db, now + 30, 10);
    CG_ASSERT_EQ(s.n, 2);
    CG_ASSERT_EQ(s.ids[0], b);
    CG_ASSERT_EQ(s.attempts[0], 1);
    CG_ASSERT_STR_EQ(s.errors[0], "timeout");
    /* Ids keep growing after a restart. */
    CG_ASSERT_GT(add(db, "hook", "{}"), c);
    cg_bankdb_close(db);
}

CG_TEST(outbox_prune)
{
    cg_bankdb *db = open_db("o.db");
    const int64_t now = (int64_t)time(NULL);
    cg_error err = {0};
    int64_t a, b, removed = -1;

    a = add(db, "hook", "{}");
    b = add(db, "hook", "{}");
    add(db, "hook", "{}");
    CG_ASSERT_OK(cg_outbox_mark_delivered(db, a, &err), &err);
    CG_ASSERT_OK(cg_outbox_mark_failed(db, b, "no", &err), &err);
    CG_ASSERT_OK(cg_outbox_prune(db, now - 10, &removed, &err), &err);
    CG_ASSERT_EQ(removed, 0);
    CG_ASSERT_OK(cg_outbox_prune(db, now + 10, &removed, &err), &err);
    CG_ASSERT_EQ(removed, 2);
    ASSERT_COUNTS(db, 1, 0, 0);
    cg_bankdb_close(db);
}

CG_TEST(outbox_bad_input)
{
    cg_bankdb *db = open_db("o.db");
    char target[80], *payload;
    cg_error err = {0};
    int64_t id = 7;
    static const char *const bad_targets[] = {"", "Ops", "a b", "a/b", "http://x", "é", "a\n"};
    static const char *const bad_payloads[] = {"", "[]", "1", "\"s\"", "null", "{", "{\"a\":1}x",
                                               "{\"a\":1,\"a\":2}", "\xff"};

    for (size_t i = 0; i < sizeof(bad_targets) / sizeof(bad_targets[0]); i++) {
        CG_ASSERT_EQ(cg_outbox_add(db, bad_targets[i], "{}", &id, &err), CG_E_INVAL);
        CG_ASSERT_EQ(id, 0);
    }
    memset(target, 'a', 65);
    target[65] = '\0';
    CG_ASSERT_EQ(cg_outbox_add(db, target, "{}", &id, &err), CG_E_INVAL);
    target[64] = '\0';
    CG_ASSERT_OK(cg_outbox_add(db, target, "{}", &id, &err), &err);
    CG_ASSERT_OK(cg_outbox_add(db, "a-b_c.9", "{}", &id, &err), &err);
    for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
        if (cg_outbox_add(db, "t", bad_payloads[i], &id, &err) != CG_E_INVAL)
            cg_test_fail(__FILE__, __LINE__, "payload %zu accepted", i);
        CG_ASSERT_EQ(id, 0);
    }
    payload = malloc(CG_OUTBOX_PAYLOAD_MAX + 16);
    CG_ASSERT(payload != NULL);
    memset(payload, ' ', CG_OUTBOX_PAYLOAD_MAX + 15);
    payload[0] = '{';
    payload[CG_OUTBOX_PAYLOAD_MAX + 14] = '}';
    payload[CG_OUTBOX_PAYLOAD_MAX + 15] = '\0';
    CG_ASSERT_EQ(cg_outbox_add(db, "t", payload, &id, &err), CG_E_LIMIT);
    free(payload);
    CG_ASSERT_EQ(cg_outbox_add(db, NULL, "{}", &id, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_outbox_add(db, "t", NULL, &id, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_outbox_due(db, 0, 0, collect, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_outbox_due(db, 0, CG_OUTBOX_DUE_MAX + 1, collect, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_outbox_due(db, 0, 1, NULL, NULL, &err), CG_E_INVAL);
    ASSERT_COUNTS(db, 2, 0, 0);
    cg_bankdb_close(db);

    {
        char path[512];
        cg_bankdb *ro = NULL;

        cg_test_store_location("o.db", path, sizeof(path));
        CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_READONLY, &ro, &err), &err);
        CG_ASSERT_EQ(cg_outbox_add(ro, "t", "{}", &id, &err), CG_E_INVAL);
        CG_ASSERT_EQ(cg_outbox_mark_delivered(ro, 1, &err), CG_E_INVAL);
        ASSERT_COUNTS(ro, 2, 0, 0);
        cg_bankdb_close(ro);
    }
}

static cg_status op_outbox(void *arg)
{
    char path[512];
    cg_bankdb *db = NULL;
    due_seen s;
    cg_error err;
    int64_t id;
    cg_status st;

    (void)arg;
    cg_test_store_drop("alloc.db");
    cg_test_store_location("alloc.db", path, sizeof(path));
    st = cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err);
    if (st != CG_OK)
        return st;
    st = cg_outbox_add(db, "hook", "{\"a\":[1,2,3]}", &id, &err);
    memset(&s, 0, sizeof(s));
    if (st == CG_OK)
        st = cg_outbox_due(db, (int64_t)time(NULL) + 1, 5, collect, &s, &err);
    if (st == CG_OK && s.n != 1)
        st = CG_E_BACKEND;
    if (st == CG_OK)
        st = cg_outbox_mark_retry(db, id, "later", 0, &err);
    cg_bankdb_close(db);
    return st;
}

/* A tenant's pending entries are bounded: a receiver that is down, or a tenant that floods,
 * cannot grow the table without limit, and another tenant's notifications still go in. */
CG_TEST(outbox_bounded_per_tenant)
{
    cg_bankdb *db = open_db("bound.db");
    cg_error err = {0};
    int64_t id = 0, pending = 0;
    due_seen seen;

    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "acme", &err), &err);
    for (int i = 0; i < 3; i++)
        CG_ASSERT_OK(cg_outbox_add_bounded(db, "guardian", "{}", 3, &id, &err), &err);
    CG_ASSERT_EQ(cg_outbox_add_bounded(db, "guardian", "{}", 3, &id, &err), CG_E_LIMIT);
    CG_ASSERT_EQ(id, 0);
    CG_ASSERT(strstr(err.message, "acme") != NULL);
    CG_ASSERT_OK(cg_outbox_counts(db, &pending, NULL, NULL, &err), &err);
    CG_ASSERT_EQ(pending, 3);
    /* Another tenant is not held back by acme's entries. */
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, NULL, &err), &err);
    CG_ASSERT_OK(cg_outbox_add_bounded(db, "guardian", "{}", 3, &id, &err), &err);
    /* Delivering one of acme's makes room again. */
    memset(&seen, 0, sizeof(seen));
    CG_ASSERT_OK(cg_outbox_due(db, (int64_t)time(NULL) + 1, 16, collect, &seen, &err), &err);
    CG_ASSERT_EQ(seen.n, 4);
    CG_ASSERT_STR_EQ(seen.tenants[0], "acme");
    CG_ASSERT_STR_EQ(seen.tenants[3], CG_TENANT_DEFAULT);
    CG_ASSERT_OK(cg_outbox_mark_delivered(db, seen.ids[0], &err), &err);
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "acme", &err), &err);
    CG_ASSERT_OK(cg_outbox_add_bounded(db, "guardian", "{}", 3, &id, &err), &err);
    CG_ASSERT_GT(id, 0);
    /* 0: no bound (cg_outbox_add). */
    CG_ASSERT_OK(cg_outbox_add_bounded(db, "guardian", "{}", 0, &id, &err), &err);
    cg_bankdb_close(db);
}

CG_TEST(outbox_allocation_failures)
{
    CG_ASSERT_GT(cg_test_fail_each_allocation("outbox", op_outbox, NULL, 0), 0);
}
