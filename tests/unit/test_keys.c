/* API keys (include/childguard/keys.h, src/store/store_keys.c): creating, verifying, revoking and
 * listing keys; every refused token looking the same; scope parsing and formatting; audit
 * records that never carry the secret; last_used updates; bad input; the schema migration; and
 * failing allocations. Every file lives in cg_test_tmpdir(). */
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

static cg_bankdb *open_db(const char *name, int flags)
{
    char path[512];
    cg_error err = {0};
    cg_bankdb *db = NULL;

    cg_test_store_location(name, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, flags | (flags & CG_BANKDB_READONLY ? 0 : CG_BANKDB_CREATE),
                                &db, &err),
                 &err);
    return db;
}

static void sql(cg_bankdb *db, const char *text)
{
    char *msg = NULL;

    if (sqlite3_exec(cg__bankdb_sqlite(db), text, NULL, NULL, &msg) != SQLITE_OK)
        cg_test_fail(__FILE__, __LINE__, "%s: %s", text, msg != NULL ? msg : "?");
}

static cg_key make_key(cg_bankdb *db, const char *name, unsigned scopes, char *token)
{
    cg_error err = {0};
    cg_key k;

    CG_ASSERT_OK(cg_keys_create(db, name, scopes, 0, token, &k, NULL, &err), &err);
    return k;
}

/* Asserts that token is refused the one way every refusal looks. */
static void assert_refused(cg_bankdb *db, const char *token, int line)
{
    cg_error err = {0};
    cg_key k;
    cg_status st;

    memset(&k, 0x55, sizeof(k));
    st = cg_keys_verify(db, token, &k, &err);
    if (st != CG_E_NOTFOUND)
        cg_test_fail(__FILE__, line, "token \"%s\": %s, expected CG_E_NOTFOUND",
                     token != NULL ? token : "(null)", cg_status_name(st));
    if (strcmp(err.message, "API key not accepted") != 0)
        cg_test_fail(__FILE__, line, "token \"%s\": message \"%s\"",
                     token != NULL ? token : "(null)", err.message);
    if (k.id != 0 || k.name[0] != '\0' || k.scopes != 0)
        cg_test_fail(__FILE__, line, "token \"%s\": out not cleared", token ? token : "");
}
#define ASSERT_REFUSED(db, token) assert_refused(db, token, __LINE__)

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    CG_ASSERT_GE(n, 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    CG_ASSERT(buf != NULL);
    CG_ASSERT_EQ(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- create and verify -------------------------------------------------------------------- */

CG_TEST_SQLITE(keys_create_verify)
{
    cg_bankdb *db = open_db("k.db", 0);
    char token[CG_APIKEY_TOKEN_MAX + 1], token2[CG_APIKEY_TOKEN_MAX + 1], prefix[32];
    const int64_t before = (int64_t)time(NULL);
    cg_error err = {0};
    cg_key k, got;

    CG_ASSERT_OK(cg_keys_create(db, "web frontend", CG_SCOPE_HASH | CG_SCOPE_MATCH, 25, token,
                                  &k, NULL, &err),
                 &err);
    CG_ASSERT_GT(k.id, 0);
    CG_ASSERT_STR_EQ(k.name, "web frontend");
    CG_ASSERT_EQ(k.scopes, CG_SCOPE_HASH | CG_SCOPE_MATCH);
    CG_ASSERT_EQ(k.rate_per_second, 25);
    CG_ASSERT_GE(k.created, before);
    CG_ASSERT_EQ(k.revoked, 0);
    /* "cgk_<id>_<64 lowercase hex>" */
    snprintf(prefix, sizeof(prefix), "cgk_%lld_", (long long)k.id);
    CG_ASSERT_EQ(strncmp(token, prefix, strlen(prefix)), 0);
    CG_ASSERT_EQ(strlen(token), strlen(prefix) + 64);
    CG_ASSERT_EQ(strspn(token + strlen(prefix), "0123456789abcdef"), 64);

    CG_ASSERT_OK(cg_keys_verify(db, token, &got, &err), &err);
    CG_ASSERT_EQ(got.id, k.id);
    CG_ASSERT_STR_EQ(got.name, "web frontend");
    CG_ASSERT_EQ(got.scopes, k.scopes);
    CG_ASSERT_EQ(got.rate_per_second, 25);
    CG_ASSERT_EQ(got.created, k.created);
    CG_ASSERT_OK(cg_keys_verify(db, token, NULL, &err), &err);

    /* Two keys never share a secret. */
    make_key(db, "second", CG_SCOPE_ALL, token2);
    CG_ASSERT(strcmp(token + strlen(prefix), strchr(token2 + 4, '_') + 1) != 0);
    CG_ASSERT_OK(cg_keys_verify(db, token2, &got, &err), &err);
    CG_ASSERT_EQ(got.scopes, CG_SCOPE_ALL);

    /* The database holds the hash of the secret, not the secret. */
    {
        sqlite3_stmt *st;

        CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db),
                                        "SELECT length(secret_sha256) FROM api_keys", -1, &st,
                                        NULL),
                     SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            CG_ASSERT_EQ(sqlite3_column_int(st, 0), 32);
        sqlite3_finalize(st);
    }
    cg_bankdb_close(db);

    /* A restart: the key still verifies from a fresh connection, also a read-only one. */
    db = open_db("k.db", CG_BANKDB_READONLY);
    CG_ASSERT_OK(cg_keys_verify(db, token, &got, &err), &err);
    CG_ASSERT_EQ(got.id, k.id);
    cg_bankdb_close(db);
}

CG_TEST(keys_refused_tokens_look_alike)
{
    cg_bankdb *db = open_db("k.db", 0);
    char a[CG_APIKEY_TOKEN_MAX + 1], b[CG_APIKEY_TOKEN_MAX + 1], t[256];
    const cg_key ka = make_key(db, "a", CG_SCOPE_HASH, a);
    const cg_key kb = make_key(db, "b", CG_SCOPE_HASH, b);
    const char *sa = strchr(a + 4, '_') + 1, *sb = strchr(b + 4, '_') + 1;
    size_t n = strlen(a);

    /* Wrong secret: one digit changed, at the start and at the end. */
    snprintf(t, sizeof(t), "%s", a);
    t[n - 1] = t[n - 1] == '0' ? '1' : '0';
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "%s", a);
    t[sa - a] = t[sa - a] == 'f' ? 'e' : 'f';
    ASSERT_REFUSED(db, t);
    /* Truncated, extended, uppercase, spaced. */
    snprintf(t, sizeof(t), "%.*s", (int)(n - 1), a);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "%.*s", (int)(sa - a), a);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "%s0", a);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "%s ", a);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), " %s", a);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "CGK_%s", a + 4);
    ASSERT_REFUSED(db, t);
    /* Another key's id with this key's secret, and the other way round. */
    snprintf(t, sizeof(t), "cgk_%lld_%s", (long long)kb.id, sa);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "cgk_%lld_%s", (long long)ka.id, sb);
    ASSERT_REFUSED(db, t);
    /* A non-canonical id (leading zero, sign), an unknown id, an overflowing id. */
    snprintf(t, sizeof(t), "cgk_0%lld_%s", (long long)ka.id, sa);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "cgk_+%lld_%s", (long long)ka.id, sa);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "cgk_999_%s", sa);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "cgk_0_%s", sa);
    ASSERT_REFUSED(db, t);
    snprintf(t, sizeof(t), "cgk_99999999999999999999_%s", sa);
    ASSERT_REFUSED(db, t);
    /* Uppercase hex is another spelling: refused. */
    snprintf(t, sizeof(t), "%s", a);
    for (char *p = t + (sa - a); *p != '\0'; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    if (strcmp(t, a) != 0)
        ASSERT_REFUSED(db, t);
    /* Garbage. */
    ASSERT_REFUSED(db, "");
    ASSERT_REFUSED(db, NULL);
    ASSERT_REFUSED(db, "cgk_");
    ASSERT_REFUSED(db, "cgk__");
    ASSERT_REFUSED(db, "Bearer nonsense");
    memset(t, 'x', sizeof(t) - 1);
    t[sizeof(t) - 1] = '\0';
    ASSERT_REFUSED(db, t);
    memset(t, '7', sizeof(t) - 1);
    memcpy(t, "cgk_1_", 6);
    ASSERT_REFUSED(db, t);
    /* The real ones still pass. */
    CG_ASSERT_OK(cg_keys_verify(db, a, NULL, NULL), NULL);
    CG_ASSERT_OK(cg_keys_verify(db, b, NULL, NULL), NULL);
    cg_bankdb_close(db);
}

/* ---- revoke and list ---------------------------------------------------------------------- */

typedef struct seen {
    cg_key keys[8];
    size_t n;
    size_t stop_after; /* 0: never */
} seen;

static int collect(const cg_key *k, void *ud)
{
    seen *s = ud;

    if (s->n < 8)
        s->keys[s->n] = *k;
    s->n++;
    return s->stop_after != 0 && s->n >= s->stop_after;
}

CG_TEST(keys_revoke_and_list)
{
    cg_bankdb *db = open_db("k.db", 0);
    char a[CG_APIKEY_TOKEN_MAX + 1], b[CG_APIKEY_TOKEN_MAX + 1], c[CG_APIKEY_TOKEN_MAX + 1];
    cg_key ka = make_key(db, "alpha", CG_SCOPE_SCAN, a);
    cg_key kb = make_key(db, "beta", CG_SCOPE_REVIEW | CG_SCOPE_BANK_READ, b);
    seen s;
    cg_error err = {0};
    cg_key kc;

    /* A second live key of the same name is refused. */
    CG_ASSERT_EQ(cg_keys_create(db, "alpha", CG_SCOPE_SCAN, 0, c, &kc, NULL, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "alpha") != NULL);
    CG_ASSERT_STR_EQ(c, "");
    CG_ASSERT_EQ(kc.id, 0);

    memset(&s, 0, sizeof(s));
    CG_ASSERT_OK(cg_keys_list(db, collect, &s, &err), &err);
    CG_ASSERT_EQ(s.n, 2);
    CG_ASSERT_EQ(s.keys[0].id, ka.id);
    CG_ASSERT_EQ(s.keys[1].id, kb.id);
    CG_ASSERT_EQ(s.keys[1].scopes, CG_SCOPE_REVIEW | CG_SCOPE_BANK_READ);

    /* By id: refused afterwards, and a second revoke is NOTFOUND. */
    CG_ASSERT_OK(cg_keys_revoke(db, ka.id, NULL, NULL, &err), &err);
    ASSERT_REFUSED(db, a);
    CG_ASSERT_EQ(cg_keys_revoke(db, ka.id, NULL, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_keys_revoke(db, 0, "alpha", NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_OK(cg_keys_verify(db, b, NULL, &err), &err);
    /* By name. */
    CG_ASSERT_OK(cg_keys_revoke(db, 0, "beta", NULL, &err), &err);
    ASSERT_REFUSED(db, b);
    CG_ASSERT_EQ(cg_keys_revoke(db, 0, "nobody", NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_keys_revoke(db, 12345, NULL, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_keys_revoke(db, 0, NULL, NULL, &err), CG_E_INVAL);

    /* A revoked key's name may be reused (rotation); the old token stays refused. */
    kc = make_key(db, "alpha", CG_SCOPE_SCAN, c);
    CG_ASSERT_GT(kc.id, kb.id);
    CG_ASSERT_OK(cg_keys_verify(db, c, NULL, &err), &err);
    ASSERT_REFUSED(db, a);

    memset(&s, 0, sizeof(s));
    CG_ASSERT_OK(cg_keys_list(db, collect, &s, &err), &err);
    CG_ASSERT_EQ(s.n, 3);
    CG_ASSERT_GT(s.keys[0].revoked, 0);
    CG_ASSERT_GT(s.keys[1].revoked, 0);
    CG_ASSERT_EQ(s.keys[2].revoked, 0);
    CG_ASSERT_STR_EQ(s.keys[2].name, "alpha");
    /* Non-zero from the callback stops. */
    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    CG_ASSERT_OK(cg_keys_list(db, collect, &s, &err), &err);
    CG_ASSERT_EQ(s.n, 1);
    cg_bankdb_close(db);
}

/* ---- scopes ------------------------------------------------------------------------------- */

CG_TEST(keys_scopes_parse_format)
{
    char buf[CG_SCOPES_TEXT_MAX];
    cg_error err = {0};
    unsigned bits = 99;

    CG_ASSERT_OK(cg_keys_scopes_parse("hash,match", &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_HASH | CG_SCOPE_MATCH);
    CG_ASSERT_OK(cg_keys_scopes_parse(" bank:read , bank:write,review ", &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_BANK_READ | CG_SCOPE_BANK_WRITE | CG_SCOPE_REVIEW);
    CG_ASSERT_OK(cg_keys_scopes_parse("all", &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_ALL);
    CG_ASSERT_OK(cg_keys_scopes_parse("scan,scan,admin", &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_SCAN | CG_SCOPE_ADMIN);

    bits = 99;
    CG_ASSERT_EQ(cg_keys_scopes_parse("hash,bogus", &bits, &err), CG_E_INVAL);
    CG_ASSERT_EQ(bits, 0);
    CG_ASSERT(strstr(err.message, "\"bogus\"") != NULL);
    CG_ASSERT_EQ(cg_keys_scopes_parse("", &bits, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_scopes_parse("hash,,match", &bits, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_scopes_parse("hash,", &bits, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_scopes_parse("HASH", &bits, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_scopes_parse("bank", &bits, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_scopes_parse(NULL, &bits, &err), CG_E_INVAL);

    CG_ASSERT_OK(cg_keys_scopes_parse("review:senior", &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_REVIEW | CG_SCOPE_REVIEW_SENIOR); /* senior implies review */
    CG_ASSERT_OK(cg_keys_scopes_parse("match,match:distance", &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_MATCH | CG_SCOPE_DISTANCE);
    cg_keys_scopes_format(CG_SCOPE_ALL, buf, sizeof(buf));
    CG_ASSERT_STR_EQ(buf, "hash,match,scan,bank:read,bank:write,review,admin,review:senior,"
                          "match:distance");
    CG_ASSERT_OK(cg_keys_scopes_parse(buf, &bits, &err), &err);
    CG_ASSERT_EQ(bits, CG_SCOPE_ALL);
    cg_keys_scopes_format(CG_SCOPE_MATCH | CG_SCOPE_REVIEW, buf, sizeof(buf));
    CG_ASSERT_STR_EQ(buf, "match,review");
    cg_keys_scopes_format(0, buf, sizeof(buf));
    CG_ASSERT_STR_EQ(buf, "");
    cg_keys_scopes_format(1u << 20, buf, sizeof(buf));
    CG_ASSERT_STR_EQ(buf, "");
    /* Cut at a name boundary, always terminated. */
    cg_keys_scopes_format(CG_SCOPE_ALL, buf, 12);
    CG_ASSERT_STR_EQ(buf, "hash,match");
    cg_keys_scopes_format(CG_SCOPE_ALL, buf, 4);
    CG_ASSERT_STR_EQ(buf, "");
    buf[0] = 'x';
    cg_keys_scopes_format(CG_SCOPE_ALL, buf, 0);
    CG_ASSERT_EQ(buf[0], 'x');

    CG_ASSERT(cg_keys_scopes_allow(CG_SCOPE_HASH, CG_SCOPE_HASH));
    CG_ASSERT(!cg_keys_scopes_allow(CG_SCOPE_HASH, CG_SCOPE_MATCH));
    CG_ASSERT(!cg_keys_scopes_allow(CG_SCOPE_HASH, CG_SCOPE_HASH | CG_SCOPE_MATCH));
    CG_ASSERT(cg_keys_scopes_allow(CG_SCOPE_ADMIN, CG_SCOPE_BANK_WRITE | CG_SCOPE_REVIEW));
    CG_ASSERT(cg_keys_scopes_allow(CG_SCOPE_HASH, 0));
    CG_ASSERT(!cg_keys_scopes_allow(CG_SCOPE_REVIEW, CG_SCOPE_REVIEW_SENIOR));
    CG_ASSERT(!cg_keys_scopes_allow(CG_SCOPE_MATCH, CG_SCOPE_DISTANCE));
}

/* ---- holders, tenants, banks, generation -------------------------------------------------- */

CG_TEST(keys_holder_tenant_banks)
{
    cg_bankdb *db = open_db("h.db", 0);
    char token[CG_APIKEY_TOKEN_MAX + 1];
    cg_error err = {0};
    cg_key k, v;
    cg_key_spec spec = {"alice-review", "Alice Nguyen", "acme", CG_SCOPE_REVIEW, 0,
                           " fp-allow , csam_hashes"};

    CG_ASSERT_OK(cg_keys_create_ex(db, &spec, token, &k, NULL, &err), &err);
    CG_ASSERT_STR_EQ(k.holder, "Alice Nguyen");
    CG_ASSERT_STR_EQ(k.tenant, "acme");
    CG_ASSERT_STR_EQ(k.banks, "fp-allow,csam_hashes");
    CG_ASSERT_OK(cg_keys_verify(db, token, &v, &err), &err);
    CG_ASSERT_STR_EQ(v.holder, "Alice Nguyen");
    CG_ASSERT_STR_EQ(v.tenant, "acme");
    CG_ASSERT_STR_EQ(v.banks, "fp-allow,csam_hashes");
    CG_ASSERT(cg_keys_may_read_bank(&v, "csam_hashes"));
    CG_ASSERT(cg_keys_may_read_bank(&v, "fp-allow"));
    CG_ASSERT(!cg_keys_may_read_bank(&v, "csam"));     /* a prefix is not the name */
    CG_ASSERT(!cg_keys_may_read_bank(&v, "fp-allow,")); /* nor a list */
    CG_ASSERT(!cg_keys_may_read_bank(&v, "other"));

    /* Defaults: holder = name, tenant "default", every bank. */
    CG_ASSERT_OK(cg_keys_create(db, "plain", CG_SCOPE_MATCH, 0, token, &k, NULL, &err), &err);
    CG_ASSERT_OK(cg_keys_verify(db, token, &v, &err), &err);
    CG_ASSERT_STR_EQ(v.holder, "plain");
    CG_ASSERT_STR_EQ(v.tenant, CG_TENANT_DEFAULT);
    CG_ASSERT_STR_EQ(v.banks, "");
    CG_ASSERT(cg_keys_may_read_bank(&v, "anything"));

    /* Bad holders, tenants and bank lists are refused, naming what was wrong. */
    {
        const char *bad_tenants[] = {"a b", "x/y", "", "ü"};
        cg_key_spec b = spec;

        b.name = "bad";
        b.tenant = "a b";
        CG_ASSERT_EQ(cg_keys_create_ex(db, &b, token, &k, NULL, &err), CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "tenant") != NULL);
        CG_ASSERT_STR_EQ(token, "");
        for (size_t i = 0; i < sizeof(bad_tenants) / sizeof(bad_tenants[0]); i++)
            CG_ASSERT(!cg_tenant_valid(bad_tenants[i]));
        CG_ASSERT(cg_tenant_valid("acme-eu.2"));
        b.tenant = NULL;
        b.holder = "tab\there";
        CG_ASSERT_EQ(cg_keys_create_ex(db, &b, token, &k, NULL, &err), CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "holder") != NULL);
        b.holder = NULL;
        b.banks = "a,,b";
        CG_ASSERT_EQ(cg_keys_create_ex(db, &b, token, &k, NULL, &err), CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "banks") != NULL);
        b.banks = "bad name!";
        CG_ASSERT_EQ(cg_keys_create_ex(db, &b, token, &k, NULL, &err), CG_E_INVAL);
        CG_ASSERT_EQ(cg_keys_create_ex(db, NULL, token, &k, NULL, &err), CG_E_INVAL);
    }
    cg_bankdb_close(db);
}

CG_TEST_SQLITE(keys_generation_moves_on_revoke)
{
    cg_bankdb *db = open_db("g.db", 0);
    char token[CG_APIKEY_TOKEN_MAX + 1];
    cg_error err = {0};
    cg_key k;
    int64_t g0, g1, g2;

    CG_ASSERT_OK(cg_keys_generation(db, &g0, &err), &err);
    CG_ASSERT_OK(cg_keys_create(db, "svc", CG_SCOPE_MATCH, 0, token, &k, NULL, &err), &err);
    /* Using a key (last_used) does not move it: a busy server keeps its cache. */
    CG_ASSERT_OK(cg_keys_verify(db, token, NULL, &err), &err);
    CG_ASSERT_OK(cg_keys_generation(db, &g1, &err), &err);
    CG_ASSERT_EQ(g1, g0);
    CG_ASSERT_OK(cg_keys_revoke(db, k.id, NULL, NULL, &err), &err);
    CG_ASSERT_OK(cg_keys_generation(db, &g2, &err), &err);
    CG_ASSERT_GT(g2, g1);
    /* Any writer moves it, even one that bypasses the library (the trigger keeps it). */
    sql(db, "UPDATE api_keys SET scopes = 1");
    CG_ASSERT_OK(cg_keys_generation(db, &g1, &err), &err);
    CG_ASSERT_GT(g1, g2);
    CG_ASSERT_EQ(cg_keys_generation(NULL, &g1, &err), CG_E_INVAL);
    cg_bankdb_close(db);
}

/* ---- audit -------------------------------------------------------------------------------- */

CG_TEST(keys_audit_records_without_secret)
{
    cg_bankdb *db = open_db("k.db", 0);
    char path[512], token[CG_APIKEY_TOKEN_MAX + 1];
    cg_audit_report rep;
    cg_error err = {0};
    cg_audit *log = NULL;
    cg_key k;
    char *text;

    tmp_path(path, sizeof(path), "audit.log");
    CG_ASSERT_OK(cg_audit_open(path, CG_AUDIT_CREATE, &log, &err), &err);
    CG_ASSERT_OK(cg_bankdb_set_audit(db, log, "operator-7", &err), &err);
    CG_ASSERT_OK(cg_keys_create(db, "ingest", CG_SCOPE_HASH | CG_SCOPE_MATCH, 3, token, &k, log,
                                  &err),
                 &err);
    CG_ASSERT_OK(cg_keys_verify(db, token, NULL, &err), &err);
    CG_ASSERT_OK(cg_keys_revoke(db, 0, "ingest", log, &err), &err);
    cg_audit_close(log);

    text = slurp(path);
    CG_ASSERT(strstr(text, "\"api_key\"") != NULL);
    CG_ASSERT(strstr(text, "\"create\"") != NULL);
    CG_ASSERT(strstr(text, "\"revoke\"") != NULL);
    CG_ASSERT(strstr(text, "ingest") != NULL);
    CG_ASSERT(strstr(text, "hash,match") != NULL);
    CG_ASSERT(strstr(text, "operator-7") != NULL);
    /* Neither the secret (nor any long piece of it) nor the token appears. */
    CG_ASSERT(strstr(text, token) == NULL);
    {
        const char *secret = strchr(token + 4, '_') + 1;
        char piece[17];

        for (size_t off = 0; off + 16 <= 64; off += 8) {
            memcpy(piece, secret + off, 16);
            piece[16] = '\0';
            if (strstr(text, piece) != NULL)
                cg_test_fail(__FILE__, __LINE__, "secret piece %s in the audit log", piece);
        }
    }
    free(text);
    CG_ASSERT_OK(cg_audit_verify(path, &rep, &err), &err);
    CG_ASSERT(rep.ok);
    CG_ASSERT_EQ(rep.records, 2);
    cg_bankdb_close(db);
}

/* ---- last_used ---------------------------------------------------------------------------- */

static int64_t last_used_of(cg_bankdb *db, int64_t id)
{
    sqlite3_stmt *st;
    int64_t v;

    CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db),
                                    "SELECT last_used FROM api_keys WHERE id = ?1", -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    CG_ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

CG_TEST_SQLITE(keys_last_used)
{
    cg_bankdb *db = open_db("k.db", 0);
    char token[CG_APIKEY_TOKEN_MAX + 1], q[128];
    const cg_key k = make_key(db, "lu", CG_SCOPE_HASH, token);
    const int64_t now = (int64_t)time(NULL);
    cg_error err = {0};
    cg_key got;

    CG_ASSERT_EQ(last_used_of(db, k.id), 0);
    CG_ASSERT_OK(cg_keys_verify(db, token, &got, &err), &err);
    CG_ASSERT_GE(last_used_of(db, k.id), now);
    CG_ASSERT_EQ(got.last_used, last_used_of(db, k.id));

    /* Within the minute: no write. */
    snprintf(q, sizeof(q), "UPDATE api_keys SET last_used = %lld WHERE id = %lld",
             (long long)(now - 10), (long long)k.id);
    sql(db, q);
    CG_ASSERT_OK(cg_keys_verify(db, token, &got, &err), &err);
    CG_ASSERT_EQ(last_used_of(db, k.id), now - 10);
    CG_ASSERT_EQ(got.last_used, now - 10);
    /* Older than a minute: written again. */
    snprintf(q, sizeof(q), "UPDATE api_keys SET last_used = %lld WHERE id = %lld",
             (long long)(now - 3600), (long long)k.id);
    sql(db, q);
    CG_ASSERT_OK(cg_keys_verify(db, token, &got, &err), &err);
    CG_ASSERT_GE(last_used_of(db, k.id), now);
    /* A failed verification records nothing. */
    sql(db, "UPDATE api_keys SET last_used = 5");
    token[strlen(token) - 1] = token[strlen(token) - 1] == 'a' ? 'b' : 'a';
    ASSERT_REFUSED(db, token);
    CG_ASSERT_EQ(last_used_of(db, k.id), 5);
    cg_bankdb_close(db);
}

/* ---- bad input ---------------------------------------------------------------------------- */

CG_TEST(keys_bad_input)
{
    cg_bankdb *db = open_db("k.db", 0);
    char token[CG_APIKEY_TOKEN_MAX + 1], long_name[80];
    cg_error err = {0};
    cg_key k;
    static const char *const bad_names[] = {"", "123", "0", "tab\there", "nl\n", "\xff\xfe",
                                            "a\x7f"};

    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        snprintf(token, sizeof(token), "x");
        CG_ASSERT_EQ(cg_keys_create(db, bad_names[i], CG_SCOPE_HASH, 0, token, &k, NULL, &err),
                     CG_E_INVAL);
        CG_ASSERT_STR_EQ(token, "");
        CG_ASSERT_EQ(k.id, 0);
    }
    CG_ASSERT_EQ(cg_keys_create(db, NULL, CG_SCOPE_HASH, 0, token, &k, NULL, &err), CG_E_INVAL);
    memset(long_name, 'n', 65);
    long_name[65] = '\0';
    CG_ASSERT_EQ(cg_keys_create(db, long_name, CG_SCOPE_HASH, 0, token, &k, NULL, &err),
                 CG_E_INVAL);
    long_name[64] = '\0';
    CG_ASSERT_OK(cg_keys_create(db, long_name, CG_SCOPE_HASH, 0, token, &k, NULL, &err), &err);
    CG_ASSERT_OK(cg_keys_create(db, "ключ-1", CG_SCOPE_HASH, 0, token, &k, NULL, &err), &err);
    CG_ASSERT_EQ(cg_keys_create(db, "s", 0, 0, token, &k, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_create(db, "s", CG_SCOPE_ALL + 1, 0, token, &k, NULL, &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_create(db, "s", CG_SCOPE_HASH, -1, token, &k, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_create(db, "s", CG_SCOPE_HASH, CG_APIKEY_RATE_MAX + 1, token, &k, NULL,
                                  &err),
                 CG_E_INVAL);
    CG_ASSERT_OK(cg_keys_create(db, "s", CG_SCOPE_HASH, CG_APIKEY_RATE_MAX, token, &k, NULL,
                                  &err),
                 &err);
    CG_ASSERT_EQ(cg_keys_create(NULL, "s2", CG_SCOPE_HASH, 0, token, &k, NULL, &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_create(db, "s2", CG_SCOPE_HASH, 0, NULL, &k, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_verify(NULL, token, &k, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_keys_list(db, NULL, NULL, &err), CG_E_INVAL);
    cg_bankdb_close(db);

    /* A read-only handle refuses changes but verifies. */
    db = open_db("k.db", CG_BANKDB_READONLY);
    CG_ASSERT_EQ(cg_keys_create(db, "ro", CG_SCOPE_HASH, 0, token, &k, NULL, &err),
                 CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "read-only") != NULL);
    CG_ASSERT_EQ(cg_keys_revoke(db, 0, "s", NULL, &err), CG_E_INVAL);
    cg_bankdb_close(db);
}

/* ---- schema ------------------------------------------------------------------------------- */

CG_TEST_SQLITE(keys_migration_from_version_2)
{
    char path[512], token[CG_APIKEY_TOKEN_MAX + 1];
    cg_bankdb *db = open_db("old.db", 0);
    cg_error err = {0};
    int64_t pending;

    /* A file of the previous build: the new tables dropped and the version set back. */
    sql(db, "DROP TABLE api_keys; DROP TABLE outbox; PRAGMA user_version = 2;");
    cg_bankdb_close(db);
    tmp_path(path, sizeof(path), "old.db");
    db = open_db("old.db", 0);
    make_key(db, "after-migration", CG_SCOPE_HASH, token);
    CG_ASSERT_OK(cg_keys_verify(db, token, NULL, &err), &err);
    CG_ASSERT_OK(cg_outbox_counts(db, &pending, NULL, NULL, &err), &err);
    CG_ASSERT_EQ(pending, 0);
    CG_ASSERT_GE(cg_bankdb_schema_version(), 3); /* 3 added keys and the outbox */
    cg_bankdb_close(db);
}

/* ---- allocation failures ------------------------------------------------------------------ */

static cg_status op_keys(void *arg)
{
    char path[512], token[CG_APIKEY_TOKEN_MAX + 1];
    cg_bankdb *db = NULL;
    cg_error err;
    cg_key k;
    seen s;
    cg_status st;

    (void)arg;
    /* A fresh file each run: a run cut short may leave a live key of the same name behind. */
    cg_test_store_drop("alloc.db");
    cg_test_store_location("alloc.db", path, sizeof(path));
    st = cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err);
    if (st != CG_OK)
        return st;
    st = cg_keys_create(db, "alloc", CG_SCOPE_HASH, 0, token, &k, NULL, &err);
    if (st == CG_OK)
        st = cg_keys_verify(db, token, &k, &err);
    memset(&s, 0, sizeof(s));
    if (st == CG_OK)
        st = cg_keys_list(db, collect, &s, &err);
    if (st == CG_OK)
        st = cg_keys_revoke(db, k.id, NULL, NULL, &err);
    cg_bankdb_close(db);
    return st;
}

CG_TEST(keys_allocation_failures)
{
    CG_ASSERT_GT(cg_test_fail_each_allocation("api keys", op_keys, NULL, 0), 0);
}
