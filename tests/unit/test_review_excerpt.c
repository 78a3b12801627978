/* Text excerpts of review items (review.h "text excerpts", src/review/review_excerpt.c, the
 * engine's src/engine/excerpt.c; docs/review.md "Text excerpts"): the store round trip, every
 * hostile excerpt refused with a clear error and nothing stored, tenants, retention (expired
 * excerpts never handed out, then purged), decisions keep them, and the engine keeping the
 * messages that hold a conversation's evidence only when the policy turns text quarantine on,
 * within the policy's caps. The conversations are synthetic, written for tests. The store cases
 * run on every backend (--store); raw_sql reaches under the store's interface to age a row. */
#include "cg_test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "childguard.h"
#include "store/sqlite/sqlite_int.h"
#if CG_HAVE_POSTGRESQL
#include <libpq-fe.h>

#include "store/postgresql/pg_int.h"
#endif

static cg_bankdb *open_db(const char *name)
{
    char path[512];
    cg_error err = {0};
    cg_bankdb *db = NULL;

    cg_test_store_location(name, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

/* has_excerpt of item id as cg_review_get and cg_review_list read it (they must agree). */
static int list_excerpt_cb(const cg_review_item *item, void *ud)
{
    int64_t *want = ud;

    if (item->id == want[0])
        want[1] = item->has_excerpt;
    return 0;
}

static int has_excerpt(cg_bankdb *db, int64_t id)
{
    cg_review_item it;
    cg_review_filter f = {-1, NULL, NULL, 0};
    cg_error err = {0};
    int64_t seen[2] = {id, -1};

    CG_ASSERT_OK(cg_review_get(db, id, &it, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_list(db, &f, list_excerpt_cb, seen, &err), &err);
    CG_ASSERT_EQ(seen[1], it.has_excerpt);
    return it.has_excerpt;
}

static int64_t add_text_item(cg_bankdb *db, const char *content_id)
{
    cg_review_item it;
    cg_error err = {0};

    memset(&it, 0, sizeof(it));
    snprintf(it.content_id, sizeof(it.content_id), "%s", content_id);
    snprintf(it.kind, sizeof(it.kind), "message");
    snprintf(it.label, sizeof(it.label), "grooming");
    CG_ASSERT_OK(cg_review_add(db, &it, "{}", NULL, 0, NULL, &err), &err);
    return it.id;
}

/* A synthetic Vietnamese message with diacritics and an emoji: "Bạn ơi 😊 gặp nhau nhé" (the
 * tests find the byte offsets of "gặp nhau" themselves). */
static const char VI_TEXT[] = "B\xe1\xba\xa1n \xc6\xa1i \xf0\x9f\x98\x8a g\xe1\xba\xb7p nhau nh\xc3\xa9";

static char *excerpt_json(const char *text, long start, long end)
{
    json_t *o = json_pack("{s:i,s:s,s:s,s:[{s:s,s:s,s:I,s:s,s:b,s:[{s:I,s:I,s:s,s:s,s:s}]}]}",
                          "version", 1, "conversation", "c1", "offsets", "utf8_bytes",
                          "messages", "id", "7", "sender", "stranger", "ts_ms",
                          (json_int_t)1772377200000LL, "text", text, "truncated", 0, "spans",
                          "start", (json_int_t)start, "end", (json_int_t)end, "harm",
                          "grooming", "facet", "meeting", "cue", "gr.meet.vi");
    char *s = json_dumps(o, JSON_COMPACT);

    json_decref(o);
    CG_ASSERT(s != NULL);
    return s;
}

CG_TEST(excerpt_round_trip_and_tenants)
{
    char path[512], log[512];
    cg_bankdb *db = open_db("excerpt1.db"), *other = NULL;
    cg_audit *audit = NULL;
    cg_error err = {0};
    const char *g = strstr(VI_TEXT, "g\xe1\xba\xb7p");
    const long start = (long)(g - VI_TEXT), end = start + (long)strlen("g\xe1\xba\xb7p nhau");
    char *ex = excerpt_json(VI_TEXT, start, end), *got = NULL;
    size_t len = 0;
    int64_t id, expires = 0;
    const int64_t until = (int64_t)time(NULL) + 86400;

    snprintf(log, sizeof(log), "%s/excerpt1.log", cg_test_tmpdir());
    CG_ASSERT_OK(cg_audit_open(log, CG_AUDIT_CREATE, &audit, &err), &err);
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "acme", &err), &err);
    id = add_text_item(db, "conv:c1");
    CG_ASSERT_EQ(cg_review_excerpt_get(db, id, &got, &len, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT(got == NULL && len == 0);
    CG_ASSERT_EQ(has_excerpt(db, id), 0);
    CG_ASSERT_OK(cg_review_excerpt_set(db, id, ex, strlen(ex), until, audit, &err), &err);
    CG_ASSERT_EQ(has_excerpt(db, id), 1); /* the item JSON's has_excerpt */
    CG_ASSERT_OK(cg_review_excerpt_get(db, id, &got, &len, &expires, &err), &err);
    CG_ASSERT_EQ(len, strlen(ex));
    CG_ASSERT_STR_EQ(got, ex);
    CG_ASSERT_EQ(expires, until);
    cg_free(got);
    /* Replaced whole by the next excerpt of the same item. */
    {
        char *ex2 = excerpt_json("hello there", 0, 5);
        CG_ASSERT_OK(cg_review_excerpt_set(db, id, ex2, strlen(ex2), until, audit, &err), &err);
        CG_ASSERT_OK(cg_review_excerpt_get(db, id, &got, &len, NULL, &err), &err);
        CG_ASSERT_STR_EQ(got, ex2);
        cg_free(got);
        free(ex2);
    }
    /* Another tenant: neither reads nor writes it, exactly as if there were no item. */
    cg_test_store_location("excerpt1.db", path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, 0, &other, &err), &err);
    CG_ASSERT_EQ(cg_review_excerpt_get(other, id, &got, &len, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_excerpt_set(other, id, ex, strlen(ex), until, NULL, &err),
                 CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_review_excerpt_set(db, id + 100, ex, strlen(ex), until, NULL, &err),
                 CG_E_NOTFOUND);
    cg_bankdb_close(other);
    cg_audit_close(audit);
    /* Each write is audited: who (childguard), which item, how much, until when. */
    {
        FILE *f = fopen(log, "r");
        char line[4096];
        int n = 0;
        CG_ASSERT(f != NULL);
        while (fgets(line, sizeof(line), f) != NULL)
            if (strstr(line, "\\\"action\\\":\\\"excerpt\\\"") != NULL ||
                strstr(line, "\"action\":\"excerpt\"") != NULL)
                n++;
        fclose(f);
        CG_ASSERT_EQ(n, 2);
    }
    free(ex);
    cg_bankdb_close(db);
}

static cg_status try_set(cg_bankdb *db, int64_t id, const char *json, size_t len, cg_error *err)
{
    return cg_review_excerpt_set(db, id, json, len, (int64_t)time(NULL) + 3600, NULL, err);
}

CG_TEST(excerpt_hostile_input_refused)
{
    cg_bankdb *db = open_db("excerpt2.db");
    cg_error err = {0};
    int64_t id = add_text_item(db, "conv:h");
    char *got = NULL, *big;
    size_t len = 0;
    static const struct {
        const char *json;
        cg_status want;
        const char *says;
    } cases[] = {
        {"not json", CG_E_INVAL, "not valid JSON"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"a\xff" "b\"}]}", CG_E_INVAL,
         "UTF-8"},
        {"[1,2]", CG_E_INVAL, "version"},
        {"{\"version\":2,\"messages\":[{\"id\":\"1\",\"text\":\"a\"}]}", CG_E_INVAL, "version"},
        {"{\"version\":1,\"messages\":[]}", CG_E_INVAL, "non-empty"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"a\"}],\"x\":1}", CG_E_INVAL,
         "unknown key"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"a\",\"body\":1}]}", CG_E_INVAL,
         "unknown key"},
        {"{\"version\":1,\"messages\":[{\"text\":\"a\"}]}", CG_E_INVAL, "id"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":5}]}", CG_E_INVAL, "text"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"a\\u0000b\"}]}", CG_E_INVAL,
         "NUL"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"abc\",\"spans\":[{\"start\":1,"
         "\"end\":9,\"harm\":\"grooming\"}]}]}", CG_E_INVAL, "not inside"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"abc\",\"spans\":[{\"start\":2,"
         "\"end\":2,\"harm\":\"grooming\"}]}]}", CG_E_INVAL, "not inside"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"abc\",\"spans\":[{\"start\":-1,"
         "\"end\":2,\"harm\":\"grooming\"}]}]}", CG_E_INVAL, "not inside"},
        /* "ấ" is 3 bytes: an offset of 1 cuts it. */
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"\xe1\xba\xa5y\",\"spans\":[{"
         "\"start\":1,\"end\":4,\"harm\":\"grooming\"}]}]}", CG_E_INVAL, "cuts a UTF-8"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"abc\",\"spans\":[{\"start\":0,"
         "\"end\":1}]}]}", CG_E_INVAL, "expected {start"},
        {"{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"abc\",\"spans\":[{\"start\":0,"
         "\"end\":1,\"harm\":\"grooming\",\"html\":\"<b>\"}]}]}", CG_E_INVAL, "expected {start"},
        {"{\"version\":1,\"offsets\":\"utf16\",\"messages\":[{\"id\":\"1\",\"text\":\"a\"}]}",
         CG_E_INVAL, "utf8_bytes"},
        {"{\"version\":1,\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"a\"}]}",
         CG_E_INVAL, "not valid JSON"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err.message[0] = '\0';
        CG_ASSERT_EQ(try_set(db, id, cases[i].json, strlen(cases[i].json), &err), cases[i].want);
        if (strstr(err.message, cases[i].says) == NULL) {
            fprintf(stderr, "case %zu: \"%s\" does not say \"%s\"\n", i, err.message,
                    cases[i].says);
            CG_ASSERT(0);
        }
        CG_ASSERT(strstr(err.message, "review item") != NULL); /* names the item */
    }
    /* Caps: 33 messages, more than 64 KiB of text, more than 256 KiB of JSON. */
    {
        json_t *msgs = json_array(), *o;
        char *s;
        for (int i = 0; i < 33; i++)
            json_array_append_new(msgs, json_pack("{s:s,s:s}", "id", "m", "text", "x"));
        o = json_pack("{s:i,s:o}", "version", 1, "messages", msgs);
        s = json_dumps(o, JSON_COMPACT);
        CG_ASSERT_EQ(try_set(db, id, s, strlen(s), &err), CG_E_LIMIT);
        CG_ASSERT_STR_EQ(strstr(err.message, "excerpt of"), "excerpt of 33 messages (at most 32)");
        free(s);
        json_decref(o);
    }
    big = malloc(300 * 1024);
    CG_ASSERT(big != NULL);
    {
        const size_t n = 70 * 1024;
        int w = snprintf(big, 64, "{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"");
        memset(big + w, 'a', n);
        snprintf(big + w + n, 16, "\"}]}");
        CG_ASSERT_EQ(try_set(db, id, big, strlen(big), &err), CG_E_LIMIT);
        CG_ASSERT(strstr(err.message, "text bytes") != NULL);
        memset(big, ' ', 300 * 1024 - 1);
        big[300 * 1024 - 1] = '\0';
        CG_ASSERT_EQ(try_set(db, id, big, strlen(big), &err), CG_E_LIMIT);
    }
    free(big);
    /* An expiry that is not in the future, and NULL arguments. */
    {
        const char *ok = "{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"a\"}]}";
        CG_ASSERT_EQ(cg_review_excerpt_set(db, id, ok, strlen(ok), (int64_t)time(NULL) - 1, NULL,
                                           &err),
                     CG_E_INVAL);
        CG_ASSERT_EQ(cg_review_excerpt_set(NULL, id, ok, strlen(ok), 0, NULL, &err), CG_E_INVAL);
        CG_ASSERT_EQ(cg_review_excerpt_set(db, id, NULL, 0, 0, NULL, &err), CG_E_INVAL);
        CG_ASSERT_EQ(cg_review_excerpt_get(db, id, NULL, &len, NULL, &err), CG_E_INVAL);
    }
    /* Nothing was stored by any refused call. */
    CG_ASSERT_EQ(cg_review_excerpt_get(db, id, &got, &len, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(has_excerpt(db, id), 0);
    cg_bankdb_close(db);
}

/* Runs sql on the handle's own connection, under the store interface; returns the integer in
 * the first column of its first row (0 when it returns no rows). */
static int64_t raw_sql(cg_bankdb *db, const char *sql)
{
    int64_t n = 0;

#if CG_HAVE_POSTGRESQL
    if (strcmp(cg_test_store(), "postgresql") == 0) {
        PGresult *res = PQexec(cg__pgc(db), sql);

        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
            cg_test_fail(__FILE__, __LINE__, "%s: %s", sql, PQresultErrorMessage(res));
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
            n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return n;
    }
#endif
    {
        sqlite3_stmt *st = NULL;
        int rc;

        CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
        rc = sqlite3_step(st);
        CG_ASSERT(rc == SQLITE_ROW || rc == SQLITE_DONE);
        if (rc == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return n;
}

static int64_t count_rows(cg_bankdb *db)
{
    return raw_sql(db, "SELECT count(*) FROM review_excerpts");
}

CG_TEST(excerpt_retention_and_decisions)
{
    cg_bankdb *db = open_db("excerpt3.db");
    cg_error err = {0};
    const char *ok = "{\"version\":1,\"messages\":[{\"id\":\"1\",\"text\":\"abc\"}]}";
    const int64_t now = (int64_t)time(NULL);
    int64_t a = add_text_item(db, "conv:a"), b = add_text_item(db, "conv:b"), removed = -1;
    cg_review_decision d = {CG_REVIEW_CONFIRMED, "ana", "seen", NULL};
    char *got = NULL;
    size_t len = 0;

    CG_ASSERT_OK(cg_review_excerpt_set(db, a, ok, strlen(ok), now + 3600, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_excerpt_set(db, b, ok, strlen(ok), now + 7200, NULL, &err), &err);
    /* A decision keeps the excerpt (as it keeps a preview) until it expires. */
    CG_ASSERT_OK(cg_review_decide(db, a, &d, NULL, &err), &err);
    CG_ASSERT_OK(cg_review_excerpt_get(db, a, &got, &len, NULL, &err), &err);
    cg_free(got);
    /* An expired excerpt is never handed out, even before it is purged. */
    {
        char sql[96];

        snprintf(sql, sizeof(sql), "UPDATE review_excerpts SET expires = 1 WHERE item_id = %lld",
                 (long long)a);
        raw_sql(db, sql);
    }
    CG_ASSERT_EQ(cg_review_excerpt_get(db, a, &got, &len, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(has_excerpt(db, a), 0); /* stored but expired: not announced either */
    CG_ASSERT_EQ(has_excerpt(db, b), 1);
    CG_ASSERT_EQ(count_rows(db), 2);
    /* The next excerpt written purges it in the same transaction. */
    CG_ASSERT_OK(cg_review_excerpt_set(db, b, ok, strlen(ok), now + 7200, NULL, &err), &err);
    CG_ASSERT_EQ(count_rows(db), 1);
    /* The purge by time: nothing before b's expiry, b after it. */
    CG_ASSERT_OK(cg_review_excerpt_purge(db, now + 60, &removed, &err), &err);
    CG_ASSERT_EQ(removed, 0);
    CG_ASSERT_OK(cg_review_excerpt_purge(db, now + 7200, &removed, &err), &err);
    CG_ASSERT_EQ(removed, 1);
    CG_ASSERT_EQ(count_rows(db), 0);
    CG_ASSERT_EQ(cg_review_excerpt_get(db, b, &got, &len, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(has_excerpt(db, b), 0);
    cg_bankdb_close(db);
}

/* ---- the engine ------------------------------------------------------------------------- */

/* Synthetic conversation written for tests: an adult stranger grooming a 12-year-old. */
static const struct {
    const char *id, *sender, *text;
} groom[] = {
    {"1", "stranger", "hey, you're so mature for your age"},
    {"2", "mia", "thanks i'm 12"},
    {"3", "stranger", "I understand you better than your parents do"},
    {"4", "stranger", "are you alone right now? are your parents home?"},
    {"5", "stranger", "this is our little secret, don't tell anyone. delete this chat ok"},
    {"6", "stranger", "add me on snap, it's more private"},
    {"7", "stranger", "let's meet after school, I can pick you up"},
};
#define N_GROOM (sizeof(groom) / sizeof(groom[0]))

/* Writes the shipped default policy with a "quarantine" object added (NULL: as shipped). */
static void write_policy(const char *path, const char *quarantine)
{
    json_error_t je;
    json_t *p = json_load_file(CG_SOURCE_DATA_DIR "/policy/default.json", 0, &je);

    CG_ASSERT(p != NULL);
    if (quarantine != NULL)
        CG_ASSERT_EQ(json_object_set_new(p, "quarantine", json_loads(quarantine, 0, &je)), 0);
    CG_ASSERT_EQ(json_dump_file(p, path, 0), 0);
    json_decref(p);
}

/* Scans the conversation for tenant acme with the policy at policy (last: the last message's
 * text, NULL: as above); returns the item id. */
static int64_t scan_conversation(const char *db_path, const char *policy, const char *last)
{
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_verdict v = {0};
    cg_error err = {0};
    int64_t item = 0;

    {
        cg_bankdb *db = NULL; /* the engine opens an existing database */
        CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_CREATE, &db, &err), &err);
        cg_bankdb_close(db);
    }
    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = policy;
    cfg.review = 1;
    cfg.actor = "test";
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    for (size_t i = 0; i < N_GROOM; i++) {
        cg_content c;
        cg_content_init(&c);
        c.kind = CG_CONTENT_MESSAGE;
        c.tenant = "acme";
        c.message.conversation = "g1";
        c.message.id = groom[i].id;
        c.message.sender = groom[i].sender;
        c.message.recipient = strcmp(groom[i].sender, "mia") == 0 ? "stranger" : "mia";
        c.message.ts_ms = 1772377200000LL + (int64_t)i * 60000;
        c.message.text = last != NULL && i + 1 == N_GROOM ? last : groom[i].text;
        c.message.len = strlen(c.message.text);
        CG_ASSERT_OK(cg_engine_scan(e, &c, &v, &err), &err);
        if (v.review_id > 0)
            item = v.review_id;
    }
    cg_verdict_free(&v);
    cg_engine_close(e);
    CG_ASSERT_GT(item, 0);
    return item;
}

static const char *groom_text(const char *id)
{
    for (size_t i = 0; i < N_GROOM; i++)
        if (strcmp(groom[i].id, id) == 0)
            return groom[i].text;
    return NULL;
}

/* The excerpt of item (tenant acme) parsed, or NULL when it has none. */
static json_t *read_excerpt(const char *db_path, int64_t item)
{
    cg_bankdb *db = NULL;
    cg_error err = {0};
    char *got = NULL;
    size_t len = 0;
    json_error_t je;
    json_t *o = NULL;
    cg_status st;

    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    st = cg_review_excerpt_get(db, item, &got, &len, NULL, &err);
    CG_ASSERT_EQ(st, CG_E_NOTFOUND); /* the default tenant does not see acme's */
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "acme", &err), &err);
    st = cg_review_excerpt_get(db, item, &got, &len, NULL, &err);
    if (st == CG_OK) {
        o = json_loadb(got, len, 0, &je);
        CG_ASSERT(o != NULL);
    } else {
        CG_ASSERT_EQ(st, CG_E_NOTFOUND);
    }
    cg_free(got);
    cg_bankdb_close(db);
    return o;
}

CG_TEST(excerpt_engine_keeps_evidence_messages_only_under_text_quarantine)
{
    char db_path[512], off[512], on[512], small[512];
    json_t *ex, *msgs;
    int64_t item;
    size_t total = 0;

    snprintf(off, sizeof(off), "%s/policy-off.json", cg_test_tmpdir());
    snprintf(on, sizeof(on), "%s/policy-on.json", cg_test_tmpdir());
    snprintf(small, sizeof(small), "%s/policy-small.json", cg_test_tmpdir());
    write_policy(off, NULL);
    write_policy(on, "{\"text\": {\"enabled\": true, \"retention_days\": 7}}");
    write_policy(small, "{\"text\": {\"enabled\": true, \"max_messages\": 2, \"max_bytes\": 256}}");

    /* Off (the shipped policy): the item holds no text at all. */
    cg_test_store_location("engine-off.db", db_path, sizeof(db_path));
    item = scan_conversation(db_path, off, NULL);
    CG_ASSERT(read_excerpt(db_path, item) == NULL);

    /* On: the messages that hold evidence, oldest first, their text as sent, each span inside
     * its message on the words of the evidence. */
    cg_test_store_location("engine-on.db", db_path, sizeof(db_path));
    item = scan_conversation(db_path, on, NULL);
    ex = read_excerpt(db_path, item);
    CG_ASSERT(ex != NULL);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(ex, "conversation")), "g1");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(ex, "offsets")), "utf8_bytes");
    msgs = json_object_get(ex, "messages");
    CG_ASSERT_GE(json_array_size(msgs), 3);
    CG_ASSERT_LE(json_array_size(msgs), 8);
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        json_t *m = json_array_get(msgs, i), *spans = json_object_get(m, "spans");
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *text = json_string_value(json_object_get(m, "text"));
        CG_ASSERT(groom_text(id) != NULL);
        CG_ASSERT_STR_EQ(text, groom_text(id));
        CG_ASSERT_GT(json_array_size(spans), 0);
        if (i > 0) /* oldest first */
            CG_ASSERT_GT(json_integer_value(json_object_get(m, "ts_ms")),
                         json_integer_value(json_object_get(json_array_get(msgs, i - 1),
                                                            "ts_ms")));
        for (size_t k = 0; k < json_array_size(spans); k++) {
            json_t *s = json_array_get(spans, k);
            json_int_t a = json_integer_value(json_object_get(s, "start"));
            json_int_t b = json_integer_value(json_object_get(s, "end"));
            CG_ASSERT(a >= 0 && a < b && b <= (json_int_t)strlen(text));
            CG_ASSERT(json_string_value(json_object_get(s, "harm")) != NULL);
        }
    }
    /* The last message ("let's meet ...") holds meeting evidence and is the newest kept. */
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(
                         json_array_get(msgs, json_array_size(msgs) - 1), "id")),
                     "7");
    json_decref(ex);

    /* The policy's caps: at most 2 messages, 256 bytes of text. */
    cg_test_store_location("engine-small.db", db_path, sizeof(db_path));
    item = scan_conversation(db_path, small, NULL);
    ex = read_excerpt(db_path, item);
    CG_ASSERT(ex != NULL);
    msgs = json_object_get(ex, "messages");
    CG_ASSERT_EQ(json_array_size(msgs), 2);
    for (size_t i = 0; i < json_array_size(msgs); i++)
        total += strlen(json_string_value(json_object_get(json_array_get(msgs, i), "text")));
    CG_ASSERT_LE(total, 256);
    json_decref(ex);

    /* A newest message longer than max_bytes: it alone is kept, cut at a character boundary
     * (the padding is 3-byte Vietnamese letters) and marked truncated, its span intact. */
    {
        char longer[1024];
        size_t used = (size_t)snprintf(longer, sizeof(longer), "%s", groom[N_GROOM - 1].text);
        json_t *m;
        const char *text;

        while (used + 5 < sizeof(longer) && used < 600)
            used += (size_t)snprintf(longer + used, sizeof(longer) - used, " \xe1\xbb\x9d");
        cg_test_store_location("engine-long.db", db_path, sizeof(db_path));
        item = scan_conversation(db_path, small, longer);
        ex = read_excerpt(db_path, item);
        CG_ASSERT(ex != NULL);
        msgs = json_object_get(ex, "messages");
        CG_ASSERT_EQ(json_array_size(msgs), 1);
        m = json_array_get(msgs, 0);
        text = json_string_value(json_object_get(m, "text"));
        CG_ASSERT_STR_EQ(json_string_value(json_object_get(m, "id")), "7");
        CG_ASSERT(json_is_true(json_object_get(m, "truncated")));
        CG_ASSERT_LE(strlen(text), 256);
        CG_ASSERT_GE(strlen(text), 253); /* cut at most a character short */
        CG_ASSERT_EQ(strncmp(text, longer, strlen(text)), 0);
        CG_ASSERT_GT(json_array_size(json_object_get(m, "spans")), 0);
        json_decref(ex);
    }
}

CG_TEST(excerpt_policy_quarantine_is_checked)
{
    static const struct {
        const char *q, *says;
    } bad[] = {
        {"{\"text\": {\"enabled\": 1}}", "true or false"},
        {"{\"text\": {\"max_messages\": 0}}", "1..32"},
        {"{\"text\": {\"max_messages\": 33}}", "1..32"},
        {"{\"text\": {\"max_bytes\": 100}}", "256..65536"},
        {"{\"text\": {\"retention_days\": 366}}", "1..365"},
        {"{\"text\": {\"retention\": 3}}", "unknown key"},
        {"{\"image\": {}}", "unknown key"},
        {"{\"text\": []}", "expected an object"},
        {"[]", "expected an object"},
    };
    char text[512];
    cg_policy *p = NULL;
    cg_policy_text_quarantine q;
    cg_error err = {0};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "{\"version\": 1, \"rules\": [],\n \"quarantine\": %s}",
                 bad[i].q);
        CG_ASSERT_EQ(cg_policy_create("q.json", text, strlen(text), &p, &err), CG_E_INVAL);
        if (strstr(err.message, bad[i].says) == NULL || strstr(err.message, "quarantine") == NULL) {
            fprintf(stderr, "case %zu: \"%s\"\n", i, err.message);
            CG_ASSERT(0);
        }
    }
    snprintf(text, sizeof(text), "{\"version\": 1, \"rules\": []}");
    CG_ASSERT_OK(cg_policy_create("q.json", text, strlen(text), &p, &err), &err);
    cg_policy_text_quarantine_get(p, &q);
    CG_ASSERT_EQ(q.enabled, 0); /* off unless the policy says so */
    cg_policy_destroy(p);
    snprintf(text, sizeof(text), "{\"version\": 1, \"rules\": [], \"quarantine\": {\"text\": "
                                 "{\"enabled\": true, \"max_messages\": 4, \"max_bytes\": 1000, "
                                 "\"retention_days\": 2}}}");
    CG_ASSERT_OK(cg_policy_create("q.json", text, strlen(text), &p, &err), &err);
    cg_policy_text_quarantine_get(p, &q);
    CG_ASSERT_EQ(q.enabled, 1);
    CG_ASSERT_EQ(q.max_messages, 4);
    CG_ASSERT_EQ(q.max_bytes, 1000);
    CG_ASSERT_EQ(q.retention_s, 2 * 86400);
    cg_policy_destroy(p);
    cg_policy_text_quarantine_get(NULL, &q);
    CG_ASSERT_EQ(q.enabled, 0);
}
