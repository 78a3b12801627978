/* Exchanges kept in the store (exchange_store.h, schema 8) and fetch runs over them
 * (cg_exchange_apply_page, cg_exchange_run): configuration per tenant, sealed credentials,
 * a page and its checkpoint in one transaction, provenance (a deletion removes only what the
 * exchange added), StopNCII withdrawals purged, a malformed page skipped without reporting
 * up_to_date, an unreachable exchange recorded as failed. In-memory transport; synthetic
 * hash values. */
#include "cg_test.h"

#include "childguard/audit.h"
#include "childguard/exchange.h"
#include "childguard/exchange_store.h"
#include "childguard/hex.h"
#include "common/alloc.h"
#include "exchange/exchange_int.h"
#include "exchange_mock.h"

#define PDQ1 "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
#define MD5A "0123456789abcdef0123456789abcdef"
#define MD5B "11111111111111111111111111111111"
#define MD5C "22222222222222222222222222222222"
#define NOW 1796083200 /* 2026-12-01 */

static cg_bankdb *open_db(const char *file)
{
    char path[512];
    cg_bankdb *db = NULL;
    cg_error err;

    /* Every backend keeps exchanges: a missing op fails the case (CG_E_UNSUPPORTED), it is
     * never skipped. */
    cg_test_store_location(file, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

static void make_exchange(cg_bankdb *db, const char *name, const char *api,
                          cg_exchange_info *ex)
{
    cg_error err;

    memset(ex, 0, sizeof(*ex));
    snprintf(ex->name, sizeof(ex->name), "%s", name);
    snprintf(ex->api, sizeof(ex->api), "%s", api);
    snprintf(ex->api_json, sizeof(ex->api_json), "{\"base_url\":\"https://x.test\"}");
    ex->enabled = 1;
    CG_ASSERT_OK(cg_exchange_create(db, ex, "csam", 0, &err), &err);
    CG_ASSERT(ex->id > 0);
    CG_ASSERT(ex->bank_id > 0);
}

static int count_cb(const cg_exchange_info *ex, void *ud)
{
    (void)ex;
    (*(int *)ud)++;
    return 0;
}

CG_TEST(exchange_store_config_per_tenant)
{
    cg_bankdb *db = open_db("exs.db");
    cg_exchange_info ex, got;
    cg_bank bank;
    cg_error err;
    int n = 0;

    make_exchange(db, "sn-main", "stopncii", &ex);
    CG_ASSERT_OK(cg_bank_get(db, "sn-main", &bank, &err), &err);
    CG_ASSERT_EQ(bank.id, ex.bank_id);
    CG_ASSERT_OK(cg_exchange_get(db, "sn-main", &got, &err), &err);
    CG_ASSERT_STR_EQ(got.api, "stopncii");
    CG_ASSERT_STR_EQ(got.api_json, "{\"base_url\":\"https://x.test\"}");
    CG_ASSERT_EQ(got.enabled, 1);
    CG_ASSERT_EQ(got.has_secret, 0);
    CG_ASSERT_EQ(got.up_to_date, 0);
    CG_ASSERT_EQ(got.fetched_items, 0);
    /* The same name again, and a name whose bank exists, are refused. */
    CG_ASSERT_EQ(cg_exchange_create(db, &ex, NULL, 0, &err), CG_E_INVAL);
    memset(&bank, 0, sizeof(bank));
    snprintf(bank.name, sizeof(bank.name), "manual");
    bank.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &bank, &err), &err);
    snprintf(ex.name, sizeof(ex.name), "manual");
    CG_ASSERT_EQ(cg_exchange_create(db, &ex, NULL, 0, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "already exists") != NULL);
    CG_ASSERT_OK(cg_exchange_create(db, &ex, NULL, 1, &err), &err); /* adopted explicitly */
    CG_ASSERT_EQ(ex.bank_id, bank.id);
    /* Hostile configuration: not an object, not JSON, a bad api name, a bad exchange name. */
    snprintf(ex.name, sizeof(ex.name), "other");
    snprintf(ex.api_json, sizeof(ex.api_json), "[1,2]");
    CG_ASSERT_EQ(cg_exchange_create(db, &ex, NULL, 0, &err), CG_E_INVAL);
    snprintf(ex.api_json, sizeof(ex.api_json), "{\"a\":1,\"a\":2}");
    CG_ASSERT_EQ(cg_exchange_create(db, &ex, NULL, 0, &err), CG_E_INVAL);
    snprintf(ex.api_json, sizeof(ex.api_json), "{}");
    snprintf(ex.api, sizeof(ex.api), "Bad Api");
    CG_ASSERT_EQ(cg_exchange_create(db, &ex, NULL, 0, &err), CG_E_INVAL);
    snprintf(ex.api, sizeof(ex.api), "ncmec");
    snprintf(ex.name, sizeof(ex.name), "../etc");
    CG_ASSERT_EQ(cg_exchange_create(db, &ex, NULL, 0, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_exchange_get(db, "other", &got, &err), CG_E_NOTFOUND);

    /* Update: enabled and api_json. */
    CG_ASSERT_OK(cg_exchange_get(db, "sn-main", &got, &err), &err);
    got.enabled = 0;
    snprintf(got.api_json, sizeof(got.api_json), "{\"page_size\":100}");
    CG_ASSERT_OK(cg_exchange_update(db, &got, &err), &err);
    CG_ASSERT_OK(cg_exchange_get(db, "sn-main", &got, &err), &err);
    CG_ASSERT_EQ(got.enabled, 0);
    CG_ASSERT_STR_EQ(got.api_json, "{\"page_size\":100}");

    CG_ASSERT_OK(cg_exchange_list(db, count_cb, &n, &err), &err);
    CG_ASSERT_EQ(n, 2);
    /* Another tenant sees none of them and cannot change them. */
    ex = got;
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "tenant-b", &err), &err);
    n = 0;
    CG_ASSERT_OK(cg_exchange_list(db, count_cb, &n, &err), &err);
    CG_ASSERT_EQ(n, 0);
    CG_ASSERT_EQ(cg_exchange_get(db, "sn-main", &got, &err), CG_E_NOTFOUND);
    ex.enabled = 1;
    CG_ASSERT_EQ(cg_exchange_update(db, &ex, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_exchange_delete(db, "sn-main", 1, &err), CG_E_NOTFOUND);
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "default", &err), &err);

    /* Delete keeping the bank, then with it. */
    CG_ASSERT_OK(cg_exchange_delete(db, "manual", 0, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "manual", &bank, &err), &err);
    CG_ASSERT_OK(cg_exchange_delete(db, "sn-main", 1, &err), &err);
    CG_ASSERT_EQ(cg_bank_get(db, "sn-main", &bank, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_exchange_get(db, "sn-main", &got, &err), CG_E_NOTFOUND);
    cg_bankdb_close(db);
}

CG_TEST(exchange_store_sealed_credentials)
{
    cg_bankdb *db = open_db("exsec.db");
    static const char creds[] = "{\"api_key\":\"fk-secret-1\",\"subscription_key\":\"sk-2\"}";
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES], other[CG_EXCHANGE_SEAL_KEY_BYTES];
    cg_exchange_info ex, got;
    uint8_t *blob = NULL, *back = NULL;
    size_t len = 0, back_len = 0;
    char *plain = NULL;
    int found = 0;
    cg_error err;

    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] = (uint8_t)(i * 7 + 1);
        other[i] = (uint8_t)(i * 7 + 2);
    }
    make_exchange(db, "sn", "stopncii", &ex);
    CG_ASSERT_OK(cg_exchange_secret_seal(key, "default", "sn", creds, strlen(creds), &blob, &len,
                                         &err), &err);
    CG_ASSERT(len == strlen(creds) + 32);
    for (size_t i = 0; i + 11 <= len; i++) /* not in the clear */
        CG_ASSERT(memcmp(blob + i, "fk-secret-1", 11) != 0);
    CG_ASSERT_OK(cg_exchange_secret_put(db, ex.id, blob, len, &err), &err);
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.has_secret, 1);
    CG_ASSERT(strstr(got.api_json, "secret") == NULL);
    CG_ASSERT_OK(cg_exchange_secret_get(db, ex.id, &back, &back_len, &found, &err), &err);
    CG_ASSERT_EQ(found, 1);
    CG_ASSERT_EQ(back_len, len);
    CG_ASSERT_OK(cg_exchange_secret_open(key, "default", "sn", back, back_len, &plain, &err),
                 &err);
    CG_ASSERT_STR_EQ(plain, creds);
    cg_free(plain);
    plain = NULL;
    /* The wrong key, another exchange's name, another tenant, a flipped bit: refused, and the
     * message never holds the plaintext. */
    CG_ASSERT_EQ(cg_exchange_secret_open(other, "default", "sn", back, back_len, &plain, &err),
                 CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "fk-secret") == NULL);
    CG_ASSERT_EQ(cg_exchange_secret_open(key, "default", "sn2", back, back_len, &plain, &err),
                 CG_E_DECODE);
    CG_ASSERT_EQ(cg_exchange_secret_open(key, "tenant-b", "sn", back, back_len, &plain, &err),
                 CG_E_DECODE);
    back[back_len / 2] ^= 1;
    CG_ASSERT_EQ(cg_exchange_secret_open(key, "default", "sn", back, back_len, &plain, &err),
                 CG_E_DECODE);
    CG_ASSERT_EQ(cg_exchange_secret_open(key, "default", "sn", back, 10, &plain, &err),
                 CG_E_DECODE);
    CG_ASSERT(plain == NULL);
    /* Removing them. */
    CG_ASSERT_OK(cg_exchange_secret_put(db, ex.id, NULL, 0, &err), &err);
    cg_free(back);
    back = NULL;
    CG_ASSERT_OK(cg_exchange_secret_get(db, ex.id, &back, &back_len, &found, &err), &err);
    CG_ASSERT_EQ(found, 0);
    CG_ASSERT(back == NULL);
    cg_free(blob);
    cg_bankdb_close(db);
}

/* Appends a record to d (hashes given as "type:hex" strings, NULL-terminated). */
static void add_rec(cg_exchange_delta *d, const char *key, int deleted, const char *member,
                    const char *const *hashes)
{
    cg_exchange_record *r = NULL;

    if (d->n_records == d->cap_records) {
        size_t cap = d->cap_records ? d->cap_records * 2 : 8;
        cg_exchange_record *g = cg__realloc(d->records, cap * sizeof(*g));

        CG_ASSERT(g != NULL);
        d->records = g;
        d->cap_records = cap;
    }
    r = &d->records[d->n_records++];
    memset(r, 0, sizeof(*r));
    r->key = cg__strdup(key);
    r->member = cg__strdup(member);
    r->entry_id = cg__strdup(key);
    r->classification = cg__strdup("A1");
    r->deleted = deleted;
    for (size_t i = 0; hashes != NULL && hashes[i] != NULL; i++) {
        const char *colon = strchr(hashes[i], ':');
        char type[16];

        snprintf(type, sizeof(type), "%.*s", (int)(colon - hashes[i]), hashes[i]);
        r->hashes[i].type = cg_signal_type_find(type);
        CG_ASSERT(r->hashes[i].type != NULL);
        CG_ASSERT_OK(cg_hex_decode(colon + 1, strlen(colon + 1), r->hashes[i].value,
                                   r->hashes[i].type->bytes), NULL);
        r->n_hashes++;
    }
}

static int64_t bank_count(cg_bankdb *db, int64_t bank)
{
    int64_t n = -1;
    cg_error err;

    CG_ASSERT_OK(cg_bank_signal_count(db, bank, NULL, &n, &err), &err);
    return n;
}

static int have(cg_bankdb *db, int64_t bank, const char *type, const char *hex,
                cg_bank_signal *out)
{
    const cg_signal_type *t = cg_signal_type_find(type);
    uint8_t v[32];
    cg_bank_signal s;
    cg_error err;

    CG_ASSERT_OK(cg_hex_decode(hex, strlen(hex), v, t->bytes), NULL);
    return cg_bank_signal_find(db, bank, t, v, out != NULL ? out : &s, &err) == CG_OK;
}

static char *checkpoint(cg_bankdb *db, int64_t id)
{
    char *cp = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_exchange_checkpoint_get(db, id, &cp, &err), &err);
    return cp;
}

typedef struct prov {
    char text[512];
    int n;
} prov;

static int prov_cb(const char *exchange, const char *key, const char *member,
                   const char *entry_id, const char *classification, void *ud)
{
    prov *p = ud;
    size_t used = strlen(p->text);

    snprintf(p->text + used, sizeof(p->text) - used, "%s|%s|%s|%s|%s;", exchange, key, member,
             entry_id, classification);
    p->n++;
    return 0;
}

CG_TEST(exchange_store_page_provenance)
{
    static const char *const a_hashes[] = {"md5:" MD5A, "pdq:" PDQ1, NULL};
    static const char *const b_hashes[] = {"md5:" MD5B, "md5:" MD5A, NULL}; /* shares MD5A */
    static const char *const a_pdq_only[] = {"pdq:" PDQ1, NULL};
    static const char *const manual_hash[] = {"md5:" MD5C, NULL};
    cg_bankdb *db = open_db("expage.db");
    cg_exchange_info ex, got;
    cg_exchange_delta d;
    cg_exchange_apply_report rep;
    cg_bank_signal sig;
    prov p;
    char *cp;
    cg_error err;
    int merged = 0;

    make_exchange(db, "ncmec-a", "ncmec", &ex);
    /* A hash that was in the bank before the exchange listed it. */
    memset(&sig, 0, sizeof(sig));
    sig.bank_id = ex.bank_id;
    sig.type = cg_signal_type_find("md5");
    CG_ASSERT_OK(cg_hex_decode(MD5C, 32, sig.value, 16), NULL);
    sig.quality = -1;
    snprintf(sig.source, sizeof(sig.source), "hotline-review");
    CG_ASSERT_OK(cg_bank_signal_add(db, &sig, &merged, &err), &err);

    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:42-a", 0, "42", a_hashes);
    add_rec(&d, "ncmec:image:42-b", 0, "42", b_hashes);
    add_rec(&d, "ncmec:image:43-m", 0, "43", manual_hash);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"done\":1}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.added, 3);  /* MD5A, PDQ1, MD5B */
    CG_ASSERT_EQ(rep.merged, 2); /* MD5A again (b), MD5C (there before) */
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 4);
    cp = checkpoint(db, ex.id);
    CG_ASSERT_STR_EQ(cp, "{\"done\":1}");
    cg_free(cp);
    CG_ASSERT_OK(cg_exchange_get(db, "ncmec-a", &got, &err), &err);
    CG_ASSERT_EQ(got.fetched_items, 3);
    CG_ASSERT(got.checkpoint_ts > 0);
    /* Provenance of the shared hash: both records. */
    CG_ASSERT(have(db, ex.bank_id, "md5", MD5A, &sig));
    memset(&p, 0, sizeof(p));
    CG_ASSERT_OK(cg_exchange_provenance(db, sig.id, prov_cb, &p, &err), &err);
    CG_ASSERT_EQ(p.n, 2);
    CG_ASSERT_STR_EQ(p.text, "ncmec-a|ncmec:image:42-a|42|ncmec:image:42-a|A1;"
                             "ncmec-a|ncmec:image:42-b|42|ncmec:image:42-b|A1;");
    cg_exchange_delta_fini(&d);

    /* The same page again changes nothing but the item count. */
    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:42-a", 0, "42", a_hashes);
    add_rec(&d, "ncmec:image:42-b", 0, "42", b_hashes);
    add_rec(&d, "ncmec:image:43-m", 0, "43", manual_hash);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"done\":1}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.added, 0);
    CG_ASSERT_EQ(rep.removed, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 4);
    cg_exchange_delta_fini(&d);

    /* a drops its md5 (b still lists it: it stays), b and the manual hash's record are deleted
     * (MD5A and MD5B go: the exchange added them; MD5C stays: it was there before). */
    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:42-a", 0, "42", a_pdq_only);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"done\":2}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.removed, 0);
    CG_ASSERT(have(db, ex.bank_id, "md5", MD5A, NULL));
    cg_exchange_delta_fini(&d);
    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:42-b", 1, "42", NULL);
    add_rec(&d, "ncmec:image:43-m", 1, "43", NULL);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"done\":3}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.removed, 2);
    CG_ASSERT(!have(db, ex.bank_id, "md5", MD5A, NULL));
    CG_ASSERT(!have(db, ex.bank_id, "md5", MD5B, NULL));
    CG_ASSERT(have(db, ex.bank_id, "md5", MD5C, NULL));
    CG_ASSERT(have(db, ex.bank_id, "pdq", PDQ1, NULL));
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cg_exchange_delta_fini(&d);

    /* In one page, the last record of a key counts: add then delete leaves nothing. */
    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:44-x", 0, "44", b_hashes);
    add_rec(&d, "ncmec:image:44-x", 1, "44", NULL);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"done\":4}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.added, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cg_exchange_delta_fini(&d);
    cg_bankdb_close(db);
}

/* A page that fails half-way leaves neither its records nor its checkpoint. */
CG_TEST(exchange_store_page_is_one_transaction)
{
    static const char *const h1[] = {"md5:" MD5A, NULL};
    static const char *const h2[] = {"md5:" MD5B, NULL};
    cg_bankdb *db = open_db("extx.db");
    cg_exchange_info ex, got;
    cg_exchange_delta d;
    cg_exchange_apply_report rep;
    char *cp;
    cg_error err;

    make_exchange(db, "te", "fb_threatexchange", &ex);
    cg_exchange_delta_init(&d);
    add_rec(&d, "fbte:1", 0, "owner", h1);
    add_rec(&d, "fbte:2", 0, "\xff\xfe not utf-8", h2); /* its link is refused, after fbte:1 */
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"since\":5}"), NULL);
    CG_ASSERT_EQ(cg_exchange_apply_page(db, &ex, &d, &rep, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "UTF-8") != NULL);
    CG_ASSERT_EQ(rep.added, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 0);
    cp = checkpoint(db, ex.id);
    CG_ASSERT_STR_EQ(cp, "");
    cg_free(cp);
    CG_ASSERT_OK(cg_exchange_get(db, "te", &got, &err), &err);
    CG_ASSERT_EQ(got.fetched_items, 0);
    /* The handle is usable afterwards. */
    cg_free(d.records[1].member);
    d.records[1].member = cg__strdup("owner");
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cg_exchange_delta_fini(&d);
    cg_bankdb_close(db);
}

/* The log file's text (caller frees). */
static char *slurp(const char *path)
{
    FILE *in = fopen(path, "rb");
    char *buf;
    long n;

    CG_ASSERT(in != NULL);
    CG_ASSERT(fseek(in, 0, SEEK_END) == 0);
    n = ftell(in);
    CG_ASSERT(n >= 0 && fseek(in, 0, SEEK_SET) == 0);
    buf = cg__malloc((size_t)n + 1);
    CG_ASSERT(buf != NULL);
    CG_ASSERT(fread(buf, 1, (size_t)n, in) == (size_t)n);
    buf[n] = '\0';
    fclose(in);
    return buf;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A page on an audited handle (the batch path, no savepoint per signal) records exactly what
 * cg_bank_signal_add/_delete record, once each, naming the bank, and only after the commit: a
 * page that rolls back records nothing. */
CG_TEST(exchange_store_page_audited)
{
    static const char *const h1[] = {"md5:" MD5A, NULL};
    static const char *const h2[] = {"md5:" MD5B, "pdq:" PDQ1, NULL};
    static const char *const h3[] = {"md5:" MD5A, NULL}; /* merges into fbte:1's */
    cg_bankdb *db = open_db("exaudit.db");
    cg_audit *log = NULL;
    cg_exchange_info ex;
    cg_exchange_delta d;
    cg_exchange_apply_report rep;
    char path[512], *text;
    cg_error err;

    snprintf(path, sizeof(path), "%s/exaudit.log", cg_test_tmpdir());
    (void)remove(path);
    CG_ASSERT_OK(cg_audit_open(path, CG_AUDIT_CREATE, &log, &err), &err);
    make_exchange(db, "te-audit", "fb_threatexchange", &ex);
    CG_ASSERT_OK(cg_bankdb_set_audit(db, log, "exchange-fetcher", &err), &err);

    cg_exchange_delta_init(&d);
    add_rec(&d, "fbte:1", 0, "owner", h1);
    add_rec(&d, "fbte:2", 0, "owner", h2);
    add_rec(&d, "fbte:3", 0, "owner", h3);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"since\":1}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.added, 3);
    CG_ASSERT_EQ(rep.merged, 1);
    cg_exchange_delta_fini(&d);
    text = slurp(path);
    CG_ASSERT_EQ(count_of(text, "\"op\":\"signal_add\""), 3);
    CG_ASSERT_EQ(count_of(text, "\"op\":\"signal_merge\""), 1);
    CG_ASSERT_EQ(count_of(text, "\"source\":\"exchange:te-audit\""), 3);
    CG_ASSERT_EQ(count_of(text, "\"subject\":\"bank:te-audit\""), 4);
    CG_ASSERT_EQ(count_of(text, "exchange-fetcher"), 4);
    cg_free(text);

    /* fbte:2 withdrawn: both its signals go (two records); fbte:1 dropped from fbte:3 keeps
     * MD5A (fbte:1 still lists it). */
    cg_exchange_delta_init(&d);
    add_rec(&d, "fbte:2", 1, "owner", NULL);
    add_rec(&d, "fbte:3", 1, "owner", NULL);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"since\":2}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    CG_ASSERT_EQ(rep.removed, 2);
    cg_exchange_delta_fini(&d);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 1);
    text = slurp(path);
    CG_ASSERT_EQ(count_of(text, "\"op\":\"signal_delete\""), 2);
    cg_free(text);

    /* A page that fails half-way: nothing of it in the bank, nothing in the log. */
    cg_exchange_delta_init(&d);
    add_rec(&d, "fbte:4", 0, "owner", h2);
    add_rec(&d, "fbte:5", 0, "\xff not utf-8", h1);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{\"since\":3}"), NULL);
    CG_ASSERT_EQ(cg_exchange_apply_page(db, &ex, &d, &rep, &err), CG_E_INVAL);
    cg_exchange_delta_fini(&d);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 1);
    text = slurp(path);
    CG_ASSERT_EQ(count_of(text, "\"op\":\"signal_add\""), 3);
    CG_ASSERT_EQ(count_of(text, "\"op\":\"signal_merge\""), 1);
    cg_free(text);
    cg_bankdb_close(db);
    cg_audit_close(log);
    {
        cg_audit_report ar;

        CG_ASSERT_OK(cg_audit_verify(path, &ar, &err), &err);
        CG_ASSERT(ar.ok);
        CG_ASSERT_EQ(ar.records, 6);
    }
}

static const char sn_page1[] =
    "{\"count\":2,\"nextPageToken\":\"t2\",\"nextSetTimestamp\":0,\"hasMoreRecords\":true,"
    "\"hashRecords\":["
    "{\"lastModtimestamp\":100,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" PDQ1 "\","
    "\"hashStatus\":\"Active\"},"
    "{\"lastModtimestamp\":101,\"signalType\":\"VideoMD5\",\"hashValue\":\"" MD5A "\","
    "\"hashStatus\":\"Active\"}]}";
static const char sn_page2[] =
    "{\"count\":1,\"nextPageToken\":null,\"nextSetTimestamp\":200,\"hasMoreRecords\":false,"
    "\"hashRecords\":["
    "{\"lastModtimestamp\":150,\"signalType\":\"VideoMD5\",\"hashValue\":\"" MD5A "\","
    "\"hashStatus\":\"Withdrawn\"}]}";
static const char sn_empty[] =
    "{\"count\":0,\"nextPageToken\":null,\"nextSetTimestamp\":200,\"hasMoreRecords\":false,"
    "\"hashRecords\":[]}";

static void sn_config(mock *m, cg_exchange_config *cfg, cg_http_transport *tr, cg_clock *ck)
{
    memset(m, 0, sizeof(*m));
    mock_config(m, cfg, tr, ck);
    cfg->base_url = "https://sn.test/v1";
    cfg->api_key = "fk-secret-9";
    cfg->subscription_key = "sk";
    m->now = NOW;
}

/* A run reads both pages, purges the withdrawn hash, reports up_to_date; a second run is
 * idempotent. */
CG_TEST(exchange_run_stopncii_withdrawn_purged)
{
    cg_bankdb *db = open_db("exrun.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    mock m;
    cg_error err;

    make_exchange(db, "sn", "stopncii", &ex);
    sn_config(&m, &cfg, &tr, &ck);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&pageSize=800&"
                       "nextPageToken=t2", 200, sn_page2, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&", 200, sn_page1, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=200&", 200, sn_empty, 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_OK);
    CG_ASSERT_EQ(res.pages, 2);
    CG_ASSERT_EQ(res.records, 3);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.succeeded, 1);
    CG_ASSERT_EQ(res.applied.removed, 1);
    CG_ASSERT(have(db, ex.bank_id, "pdq", PDQ1, NULL));
    CG_ASSERT(!have(db, ex.bank_id, "md5", MD5A, NULL)); /* withdrawn: purged in the run */
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.up_to_date, 1);
    CG_ASSERT_EQ(got.last_fetch_succeeded, 1);
    CG_ASSERT_EQ(got.running_fetch_start_ts, 0);
    CG_ASSERT_EQ(got.last_fetch_complete_ts, NOW);
    CG_ASSERT_EQ(got.fetched_items, 3);
    CG_ASSERT_STR_EQ(got.last_error, "");
    /* The next run starts from the stored checkpoint (startTimestamp=200). */
    m.n_urls = 0;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(m.n_urls, 1);
    CG_ASSERT(strstr(m.urls[0], "startTimestamp=200&") != NULL);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 1);
    /* A full refetch reads everything again without changing the bank. */
    {
        cg_exchange_run_options opt;

        memset(&opt, 0, sizeof(opt));
        opt.full = 1;
        m.n_urls = 0;
        CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
        CG_ASSERT(strstr(m.urls[0], "startTimestamp=0&") != NULL);
        CG_ASSERT_EQ(res.checkpoint_reset, 1);
        CG_ASSERT_EQ(res.up_to_date, 1);
        CG_ASSERT_EQ(bank_count(db, ex.bank_id), 1);
    }
    cg_bankdb_close(db);
}

/* A page that never parses is skipped within one run (not a stall), and that run does not
 * report up_to_date although it reached the end. */
CG_TEST(exchange_run_malformed_page_skipped_not_up_to_date)
{
    cg_bankdb *db = open_db("exbad.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    mock m;
    cg_error err;

    make_exchange(db, "sn", "stopncii", &ex);
    sn_config(&m, &cfg, &tr, &ck);
    cfg.start_time = 50;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=50&", 200,
                   "<html>gateway error</html>", 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=51&", 200, sn_page2, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=200&", 200, sn_empty, 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.pages_failed, 12); /* 3 tries at 800, 100, 12, 1; skipped on the last */
    CG_ASSERT_EQ(res.pages, 1);
    CG_ASSERT_EQ(res.up_to_date, 0);
    CG_ASSERT_EQ(res.succeeded, 0);
    CG_ASSERT_EQ(res.status, CG_E_DECODE);
    CG_ASSERT(strstr(res.error, "may be missing") != NULL);
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.up_to_date, 0);
    CG_ASSERT_EQ(got.last_fetch_succeeded, 0);
    CG_ASSERT(strstr(got.last_error, "may be missing") != NULL);
    /* The next run is clean and up to date. */
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    cg_bankdb_close(db);
}

/* No answer or an error status: the checkpoint stays, the status says failed, nothing
 * applied; a budget of one page leaves up_to_date 0 with success. */
CG_TEST(exchange_run_errors_and_budget)
{
    cg_bankdb *db = open_db("exerr.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_run_options opt;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    mock m;
    char *cp;
    cg_error err;

    make_exchange(db, "sn", "stopncii", &ex);
    sn_config(&m, &cfg, &tr, &ck);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes", 401, "{\"error\":\"bad key\"}", 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_E_BACKEND);
    CG_ASSERT(strstr(res.error, "401") != NULL);
    CG_ASSERT(strstr(res.error, "fk-secret-9") == NULL); /* credentials never in messages */
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.last_fetch_succeeded, 0);
    CG_ASSERT_EQ(got.up_to_date, 0);
    CG_ASSERT(strstr(got.last_error, "401") != NULL);
    cp = checkpoint(db, ex.id);
    CG_ASSERT_STR_EQ(cp, "");
    cg_free(cp);
    m.fail_io = 1;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_E_IO);
    m.fail_io = 0;

    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&pageSize=800&"
                       "nextPageToken=t2", 200, sn_page2, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&", 200, sn_page1, 0);
    memset(&opt, 0, sizeof(opt));
    opt.max_pages = 1;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.pages, 1);
    CG_ASSERT_EQ(res.succeeded, 1);
    CG_ASSERT_EQ(res.up_to_date, 0); /* more pages wait */
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    /* The next run resumes at the stored next page token, not from the start. */
    m.n_urls = 0;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
    CG_ASSERT(strstr(m.urls[0], "nextPageToken=t2") != NULL);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 1);
    cg_bankdb_close(db);
}

typedef struct names {
    char text[512];
} names;

static int names_cb(const cg_exchange_info *ex, void *ud)
{
    names *n = ud;
    const size_t used = strlen(n->text);

    snprintf(n->text + used, sizeof(n->text) - used, "%s/%s;", ex->tenant, ex->name);
    return 0;
}

/* Hostile text and bytes reach the store as data and come back exactly (text that looks like
 * SQL, credentials holding every byte value, a checkpoint at its cap in 3-byte characters);
 * what is over a cap, not UTF-8 or names a row that is not there is refused with the status
 * the SQLite backend gives, nothing is changed by it and the handle goes on working; a fetch
 * error that quotes a hostile page is stored cut and cleaned; every tenant's exchanges are
 * listed in byte order. On every backend. */
CG_TEST(exchange_store_hostile_values_round_trip)
{
    static const char sqlish[] = "{\"q\":\"x'); DROP TABLE exchanges; --\",\"p\":\"$1 %s \\\\x00\","
                                 "\"vi\":\"B\xe1\xba\xa1n \xc6\xa1i\"}";
    cg_bankdb *db = open_db("exhostile.db");
    cg_exchange_info ex, got;
    uint8_t *blob, *back = NULL;
    size_t back_len = 0;
    char *cp, *big;
    int found = 0;
    cg_error err;

    make_exchange(db, "hx", "ncmec", &ex);
    got = ex;
    snprintf(got.api_json, sizeof(got.api_json), "%s", sqlish);
    CG_ASSERT_OK(cg_exchange_update(db, &got, &err), &err);
    CG_ASSERT_OK(cg_exchange_get(db, "hx", &got, &err), &err);
    CG_ASSERT_STR_EQ(got.api_json, sqlish);

    /* Credentials: every byte value, NUL and 0xff included, at the cap; one byte over it. */
    blob = malloc(CG_EXCHANGE_SECRET_MAX + 1);
    CG_ASSERT(blob != NULL);
    for (size_t i = 0; i <= CG_EXCHANGE_SECRET_MAX; i++)
        blob[i] = (uint8_t)(i * 31);
    CG_ASSERT_OK(cg_exchange_secret_put(db, ex.id, blob, CG_EXCHANGE_SECRET_MAX, &err), &err);
    CG_ASSERT_OK(cg_exchange_secret_get(db, ex.id, &back, &back_len, &found, &err), &err);
    CG_ASSERT_EQ(found, 1);
    CG_ASSERT_EQ(back_len, CG_EXCHANGE_SECRET_MAX);
    CG_ASSERT(memcmp(back, blob, back_len) == 0);
    cg_free(back);
    back = NULL;
    CG_ASSERT_EQ(cg_exchange_secret_put(db, ex.id, blob, CG_EXCHANGE_SECRET_MAX + 1, &err),
                 CG_E_LIMIT);
    /* An exchange that is not there: refused by the store (its foreign key), nothing kept. */
    CG_ASSERT_EQ(cg_exchange_secret_put(db, ex.id + 1000, blob, 16, &err), CG_E_INVAL);
    CG_ASSERT_OK(cg_exchange_secret_get(db, ex.id + 1000, &back, &back_len, &found, &err), &err);
    CG_ASSERT_EQ(found, 0);
    CG_ASSERT(back == NULL);
    free(blob);

    /* A checkpoint at its cap, in 3-byte characters but the last byte; one byte over it; not
     * UTF-8; of an exchange that is not there. */
    big = malloc(CG_EXCHANGE_CHECKPOINT_MAX + 2);
    CG_ASSERT(big != NULL);
    for (size_t i = 0; i + 3 <= CG_EXCHANGE_CHECKPOINT_MAX; i += 3)
        memcpy(big + i, "\xe1\xbb\x9d", 3);
    memset(big + CG_EXCHANGE_CHECKPOINT_MAX - CG_EXCHANGE_CHECKPOINT_MAX % 3, 'x',
           CG_EXCHANGE_CHECKPOINT_MAX % 3);
    big[CG_EXCHANGE_CHECKPOINT_MAX] = '\0';
    CG_ASSERT_OK(cg_exchange_checkpoint_put(db, ex.id, big, &err), &err);
    cp = checkpoint(db, ex.id);
    CG_ASSERT_EQ(strlen(cp), CG_EXCHANGE_CHECKPOINT_MAX);
    CG_ASSERT(strcmp(cp, big) == 0);
    cg_free(cp);
    big[CG_EXCHANGE_CHECKPOINT_MAX] = 'x';
    big[CG_EXCHANGE_CHECKPOINT_MAX + 1] = '\0';
    CG_ASSERT_EQ(cg_exchange_checkpoint_put(db, ex.id, big, &err), CG_E_LIMIT);
    CG_ASSERT_EQ(cg_exchange_checkpoint_put(db, ex.id, "{\"t\":\"\xc3\x28\"}", &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "UTF-8") != NULL);
    CG_ASSERT_EQ(cg_exchange_checkpoint_put(db, ex.id + 1000, "{}", &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_exchange_checkpoint_get(db, ex.id + 1000, &cp, &err), CG_E_NOTFOUND);
    CG_ASSERT(cp == NULL);
    cp = checkpoint(db, ex.id); /* unchanged by the refusals */
    big[CG_EXCHANGE_CHECKPOINT_MAX] = '\0';
    CG_ASSERT(strcmp(cp, big) == 0);
    cg_free(cp);
    free(big);

    /* A fetch error quoting a hostile page: control characters and bytes that are not UTF-8
     * become '?', and it is cut at CG_EXCHANGE_ERROR_MAX on a character boundary. */
    {
        char error[2048];
        size_t n = (size_t)snprintf(error, sizeof(error), "bad page:\n\t\x1b[31m\xff\xfe ");

        while (n + 3 < sizeof(error) - 1) {
            memcpy(error + n, "\xe1\xbb\x9d", 3);
            n += 3;
        }
        error[n] = '\0';
        CG_ASSERT_OK(cg_exchange_fetch_started(db, ex.id, NOW, &err), &err);
        CG_ASSERT_OK(cg_exchange_get(db, "hx", &got, &err), &err);
        CG_ASSERT_EQ(got.running_fetch_start_ts, NOW);
        CG_ASSERT_OK(cg_exchange_fetch_ended(db, ex.id, NOW + 5, 0, 0, error, &err), &err);
        CG_ASSERT_OK(cg_exchange_get(db, "hx", &got, &err), &err);
        CG_ASSERT_EQ(got.running_fetch_start_ts, 0);
        CG_ASSERT_EQ(got.last_fetch_complete_ts, NOW + 5);
        CG_ASSERT_EQ(got.last_fetch_succeeded, 0);
        CG_ASSERT_LE(strlen(got.last_error), CG_EXCHANGE_ERROR_MAX);
        CG_ASSERT_GE(strlen(got.last_error), CG_EXCHANGE_ERROR_MAX - 2);
        CG_ASSERT_EQ(strncmp(got.last_error, "bad page:", 9), 0);
        for (const char *c = got.last_error; *c != '\0'; c++)
            CG_ASSERT((unsigned char)*c >= 0x20);
    }

    /* A link holding text that looks like SQL comes back exactly; a link to a signal that is
     * not there is refused and its page rolled back; the handle goes on. */
    {
        cg_exchange_link l;
        cg_bank_signal s;
        prov p;
        int merged = 0, owned = -1;

        memset(&s, 0, sizeof(s));
        s.bank_id = ex.bank_id;
        s.type = cg_signal_type_find("md5");
        CG_ASSERT_OK(cg_hex_decode(MD5A, 32, s.value, 16), NULL);
        s.quality = -1;
        CG_ASSERT_OK(cg_bank_signal_add(db, &s, &merged, &err), &err);
        memset(&l, 0, sizeof(l));
        l.signal_id = s.id;
        l.key = "k'); DELETE FROM exchange_links; --";
        l.member = "$1";
        l.entry_id = "\xe1\xbb\x9d";
        l.classification = "%s%n";
        CG_ASSERT_OK(cg_exchange_page_begin(db, ex.id, &err), &err);
        CG_ASSERT_OK(cg_exchange_page_link(db, ex.id, &l, &owned, &err), &err);
        CG_ASSERT_EQ(owned, 0);
        CG_ASSERT_OK(cg_exchange_page_commit(db, ex.id, "{}", 1, NOW, &err), &err);
        memset(&p, 0, sizeof(p));
        CG_ASSERT_OK(cg_exchange_provenance(db, s.id, prov_cb, &p, &err), &err);
        CG_ASSERT_STR_EQ(p.text, "hx|k'); DELETE FROM exchange_links; --|$1|\xe1\xbb\x9d|%s%n;");

        l.signal_id = s.id + 1000;
        l.key = "gone";
        CG_ASSERT_OK(cg_exchange_page_begin(db, ex.id, &err), &err);
        CG_ASSERT_EQ(cg_exchange_page_link(db, ex.id, &l, NULL, &err), CG_E_INVAL);
        cg_exchange_page_abort(db);
        memset(&p, 0, sizeof(p));
        CG_ASSERT_OK(cg_exchange_provenance(db, s.id, prov_cb, &p, &err), &err);
        CG_ASSERT_EQ(p.n, 1);
        memset(&p, 0, sizeof(p));
        CG_ASSERT_OK(cg_exchange_provenance(db, s.id + 1000, prov_cb, &p, &err), &err);
        CG_ASSERT_EQ(p.n, 0);
        CG_ASSERT_OK(cg_exchange_get(db, "hx", &got, &err), &err);
        CG_ASSERT_EQ(got.fetched_items, 1);
    }

    /* Every tenant's, by tenant then name, in byte order ('-' < 'Z' < '_' < 'a'). */
    {
        static const char *const order[] = {"alpha", "_x", "Zeta", "-y"};
        names n;

        CG_ASSERT_OK(cg_bankdb_set_tenant(db, "b-tenant", &err), &err);
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
            make_exchange(db, order[i], "stopncii", &got);
        CG_ASSERT_OK(cg_bankdb_set_tenant(db, "B_tenant", &err), &err);
        make_exchange(db, "m", "stopncii", &got);
        memset(&n, 0, sizeof(n));
        CG_ASSERT_OK(cg_exchange_list_all(db, names_cb, &n, &err), &err);
        CG_ASSERT_STR_EQ(n.text, "B_tenant/m;b-tenant/-y;b-tenant/Zeta;b-tenant/_x;"
                                 "b-tenant/alpha;default/hx;");
    }
    cg_bankdb_close(db);
}

/* The back-off delay: 0 before any failure, in [d/2, d] for d = 30 s doubling per failure,
 * capped at an hour (no overflow however many failures), the same for the same seed, spread
 * over seeds, and never shorter than a Retry-After (itself capped at a day). */
CG_TEST(exchange_backoff_delay_bounds)
{
    int64_t lo = INT64_MAX, hi = 0;

    CG_ASSERT_EQ(cg__exchange_backoff_delay(0, 0, 1), 0);
    CG_ASSERT_EQ(cg__exchange_backoff_delay(-3, 500, 1), 0);
    for (int f = 1; f <= 12; f++) {
        int64_t d = 30;

        for (int i = 1; i < f && d < 3600; i++)
            d *= 2;
        if (d > 3600)
            d = 3600;
        for (uint64_t seed = 0; seed < 200; seed++) {
            int64_t w = cg__exchange_backoff_delay(f, 0, seed);

            CG_ASSERT(w >= d / 2 && w <= d);
            CG_ASSERT_EQ(w, cg__exchange_backoff_delay(f, 0, seed));
            if (f == 12) {
                lo = w < lo ? w : lo;
                hi = w > hi ? w : hi;
            }
        }
    }
    CG_ASSERT(hi - lo > 600); /* jitter spreads exchanges that failed together */
    CG_ASSERT(cg__exchange_backoff_delay(2147483647, 0, 9) <= 3600);
    CG_ASSERT_EQ(cg__exchange_backoff_delay(1, 600, 9), 600);
    CG_ASSERT_EQ(cg__exchange_backoff_delay(1, INT64_MAX, 9), 86400);
}

/* Runs that end on 503, no answer or 429 back off further each time (visible in the status),
 * a Retry-After is honoured; a success, or a failure that waiting does not cure (401), resets
 * it. */
CG_TEST(exchange_run_backoff)
{
    cg_bankdb *db = open_db("exbackoff.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    mock m;
    cg_error err;

    make_exchange(db, "sn", "stopncii", &ex);
    sn_config(&m, &cfg, &tr, &ck);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes", 503, "busy", 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.succeeded, 0);
    CG_ASSERT_EQ(res.consecutive_failures, 1);
    CG_ASSERT(res.next_fetch_ts >= NOW + 15 && res.next_fetch_ts <= NOW + 30);
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.consecutive_failures, 1);
    CG_ASSERT_EQ(got.next_fetch_ts, res.next_fetch_ts);

    m.now = NOW + 100;
    m.fail_io = 1; /* no answer: waited out too */
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.consecutive_failures, 2);
    CG_ASSERT(res.next_fetch_ts >= NOW + 100 + 30 && res.next_fetch_ts <= NOW + 100 + 60);
    m.fail_io = 0;

    m.now = NOW + 200;
    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes", 429, "slow down", 0);
    m.retry_after = 900;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_E_LIMIT);
    CG_ASSERT_EQ(res.consecutive_failures, 3);
    CG_ASSERT_EQ(res.retry_after, 900);
    CG_ASSERT_EQ(res.next_fetch_ts, NOW + 200 + 900); /* longer than 120 s: Retry-After wins */
    m.retry_after = (int64_t)1 << 40;                  /* hostile: capped at a day */
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.next_fetch_ts, NOW + 200 + 86400);
    m.retry_after = 0;

    /* 401: waiting does not cure it, the back-off is reset (the plain interval applies). */
    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes", 401, "no", 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.consecutive_failures, 0);
    CG_ASSERT_EQ(res.next_fetch_ts, 0);
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.consecutive_failures, 0);
    CG_ASSERT_EQ(got.next_fetch_ts, 0);

    /* 503 again, then a success resets it. */
    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes", 502, "bad gateway", 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.consecutive_failures, 1);
    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes", 200, sn_empty, 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.succeeded, 1);
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.consecutive_failures, 0);
    CG_ASSERT_EQ(got.next_fetch_ts, 0);
    cg_bankdb_close(db);
}

static const char sn_refetch1[] =
    "{\"count\":1,\"nextPageToken\":\"r2\",\"nextSetTimestamp\":0,\"hasMoreRecords\":true,"
    "\"hashRecords\":["
    "{\"lastModtimestamp\":100,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" PDQ1 "\","
    "\"hashStatus\":\"Active\"}]}";
static const char sn_page_c[] =
    "{\"count\":1,\"nextPageToken\":null,\"nextSetTimestamp\":200,\"hasMoreRecords\":false,"
    "\"hashRecords\":["
    "{\"lastModtimestamp\":120,\"signalType\":\"VideoMD5\",\"hashValue\":\"" MD5C "\","
    "\"hashStatus\":\"Active\"}]}";

/* Mark and sweep: an entry deleted at the exchange while the checkpoint was stale (the
 * exchange no longer reports it at all) is removed once a full refetch completes, and not
 * before: across a refetch split over two runs the bank keeps it (no flapping). A hash that
 * was in the bank before the exchange listed it stays. */
CG_TEST(exchange_run_full_refetch_sweeps)
{
    cg_bankdb *db = open_db("exsweep.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_run_options opt;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_bank_signal sig;
    mock m;
    cg_error err;
    int merged = 0;

    make_exchange(db, "sn", "stopncii", &ex);
    /* MD5C was in the bank before the exchange listed it. */
    memset(&sig, 0, sizeof(sig));
    sig.bank_id = ex.bank_id;
    sig.type = cg_signal_type_find("md5");
    CG_ASSERT_OK(cg_hex_decode(MD5C, 32, sig.value, 16), NULL);
    sig.quality = -1;
    CG_ASSERT_OK(cg_bank_signal_add(db, &sig, &merged, &err), &err);

    sn_config(&m, &cfg, &tr, &ck);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&pageSize=800&"
                       "nextPageToken=t2", 200, sn_page_c, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&", 200, sn_page1, 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.swept, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 3); /* PDQ1, MD5A, MD5C */

    /* At the exchange, MD5A and MD5C are gone without a trace; a full refetch in two runs. */
    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&pageSize=800&"
                       "nextPageToken=r2", 200, sn_empty, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&", 200, sn_refetch1, 0);
    memset(&opt, 0, sizeof(opt));
    opt.full = 1;
    opt.max_pages = 1;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.pages, 1);
    CG_ASSERT_EQ(res.up_to_date, 0);
    CG_ASSERT_EQ(res.swept, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 3); /* nothing removed half-way */
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.sweep_pending, 1);
    opt.full = 0;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.swept, 1);                   /* MD5A */
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2); /* PDQ1, and MD5C that was there before */
    CG_ASSERT(have(db, ex.bank_id, "pdq", PDQ1, NULL));
    CG_ASSERT(have(db, ex.bank_id, "md5", MD5C, NULL));
    CG_ASSERT(!have(db, ex.bank_id, "md5", MD5A, NULL));
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.sweep_pending, 0);
    /* The refetch is over: a later run sweeps nothing more. */
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.swept, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cg_bankdb_close(db);
}

static const char sn_fill[] =
    "{\"count\":2,\"nextPageToken\":null,\"nextSetTimestamp\":200,\"hasMoreRecords\":false,"
    "\"hashRecords\":["
    "{\"lastModtimestamp\":60,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" PDQ1 "\","
    "\"hashStatus\":\"Active\"},"
    "{\"lastModtimestamp\":61,\"signalType\":\"VideoMD5\",\"hashValue\":\"" MD5A "\","
    "\"hashStatus\":\"Active\"}]}";

/* A full refetch that had to skip a page (StopNCII's last resort) cannot tell an entry deleted
 * at the exchange from one it skipped: it drops its sweep and removes nothing. */
CG_TEST(exchange_run_refetch_with_a_skip_does_not_sweep)
{
    cg_bankdb *db = open_db("exskipsweep.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_run_options opt;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    mock m;
    cg_error err;

    make_exchange(db, "sn", "stopncii", &ex);
    sn_config(&m, &cfg, &tr, &ck);
    cfg.start_time = 50;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=50&", 200, sn_fill, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=200&", 200, sn_empty, 0);
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);

    /* The refetch: the first page stays malformed (skipped), the rest lists nothing. */
    m.n_routes = 0;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=50&", 200,
                   "<html>gateway error</html>", 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=51&", 200, sn_empty, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=200&", 200, sn_empty, 0);
    memset(&opt, 0, sizeof(opt));
    opt.full = 1;
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, &opt, &res, &err), &err);
    CG_ASSERT(strstr(res.error, "may be missing") != NULL);
    CG_ASSERT_EQ(res.up_to_date, 0);
    CG_ASSERT_EQ(res.swept, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2); /* nothing removed */
    CG_ASSERT_OK(cg_exchange_get(db, "sn", &got, &err), &err);
    CG_ASSERT_EQ(got.sweep_pending, 0);
    /* A later clean run sweeps nothing either: the refetch's sweep is gone. */
    CG_ASSERT_OK(cg_exchange_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.swept, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cg_bankdb_close(db);
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");

    CG_ASSERT(f != NULL);
    CG_ASSERT(fwrite(text, 1, n, f) == n);
    CG_ASSERT(fclose(f) == 0);
}

/* The file exchange: a hash list at a path is the whole truth. Adds, a bad line counted, the
 * same list again a no-op, a changed list removes what it no longer holds (unlike HMA's file
 * exchange), a list read over several runs keeps the bank until it is complete; hostile files
 * (binary, too large, missing, a relative path) change nothing; an https list comes through the
 * transport. */
CG_TEST(exchange_file_list_removals_and_hostile_files)
{
    cg_bankdb *db = open_db("exfile.db");
    cg_exchange_info ex, got;
    cg_exchange_run_result res;
    cg_exchange_run_options opt;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    mock m;
    char path[512], url[600], *cp, *cp2;
    cg_error err;
    static const char bin[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00"
                              "\x3e\x00\x01\x00\x00\x00\x10\x10\x00\x00\x00\x00\x00\x00";

    make_exchange(db, "list", "file", &ex);
    snprintf(path, sizeof(path), "%s/exfile-list.txt", cg_test_tmpdir());
    snprintf(url, sizeof(url), "file://%s", path);
    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    m.now = NOW;
    cfg.base_url = url;

    write_file(path, MD5A "\n" PDQ1 "\n" MD5B "\nnot-a-hash\n", 33 + 65 + 33 + 11);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.records, 3);
    CG_ASSERT_EQ(res.rejected, 1);
    CG_ASSERT(strstr(res.error, "line 4") != NULL);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 3);

    /* The same list: nothing to do. */
    cp = checkpoint(db, ex.id);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.records, 0);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 3);

    /* PDQ1 and MD5B leave the list, MD5C joins: removals honoured. */
    write_file(path, MD5A "\n" MD5C "\n", 66);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.swept, 2);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    CG_ASSERT(have(db, ex.bank_id, "md5", MD5A, NULL) && have(db, ex.bank_id, "md5", MD5C, NULL));
    CG_ASSERT(!have(db, ex.bank_id, "pdq", PDQ1, NULL));

    /* A list read one record per page over two runs: nothing leaves until it is complete. */
    write_file(path, PDQ1 "\n" MD5B "\n", 98);
    cfg.page_size = 1;
    memset(&opt, 0, sizeof(opt));
    opt.max_pages = 1;
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 3); /* PDQ1 added, MD5A and MD5C still there */
    opt.max_pages = 5;
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(res.swept, 2);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    CG_ASSERT(have(db, ex.bank_id, "pdq", PDQ1, NULL) && have(db, ex.bank_id, "md5", MD5B, NULL));
    cfg.page_size = 0;

    /* Hostile files change nothing, checkpoint included. */
    cg_free(cp);
    cp = checkpoint(db, ex.id);
    write_file(path, bin, sizeof(bin) - 1);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.succeeded, 0);
    CG_ASSERT_EQ(res.status, CG_E_DECODE);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cp2 = checkpoint(db, ex.id);
    CG_ASSERT_STR_EQ(cp2, cp);
    cg_free(cp2);
    write_file(path, MD5A "\n" MD5C "\n", 66);
    cfg.max_body = 40;
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_E_LIMIT);
    CG_ASSERT(strstr(res.error, "larger than 40") != NULL);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cfg.max_body = 0;
    CG_ASSERT(remove(path) == 0);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_E_IO);
    CG_ASSERT(strstr(res.error, path) != NULL);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    cfg.base_url = "file://relative/list.txt";
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.status, CG_E_INVAL);
    CG_ASSERT(strstr(res.error, "absolute") != NULL);
    cp2 = checkpoint(db, ex.id);
    CG_ASSERT_STR_EQ(cp2, cp);
    cg_free(cp2);
    cg_free(cp);

    /* An https list through the transport; a truncated download changes nothing. */
    cfg.base_url = "https://lists.test/csam.txt";
    mock_route_add(&m, "https://lists.test/csam.txt", 200, MD5B "\n", 1);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.succeeded, 0);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 2);
    m.n_routes = 0;
    mock_route_add(&m, "https://lists.test/csam.txt", 200, MD5B "\n", 0);
    CG_ASSERT_OK(cg_exchange_run(db, "list", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.up_to_date, 1);
    CG_ASSERT_EQ(bank_count(db, ex.bank_id), 1);
    CG_ASSERT(have(db, ex.bank_id, "md5", MD5B, NULL));
    CG_ASSERT_OK(cg_exchange_get(db, "list", &got, &err), &err);
    CG_ASSERT_EQ(got.sweep_pending, 0);
    cg_bankdb_close(db);
}

/* ---- the set-based page apply (PostgreSQL) against the record-by-record one -------------- */

/* A text that grows (the dumps compared below). */
typedef struct dump {
    char *s;
    size_t len, cap;
} dump;

static void dump_add(dump *d, const char *s)
{
    const size_t n = strlen(s);

    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4096;
        char *g;

        while (d->len + n + 1 > cap)
            cap *= 2;
        g = cg__realloc(d->s, cap);
        CG_ASSERT(g != NULL);
        d->s = g;
        d->cap = cap;
    }
    memcpy(d->s + d->len, s, n + 1);
    d->len += n;
}

typedef struct cmp_ctx {
    cg_bankdb *db;
    dump *d;
} cmp_ctx;

static int cmp_prov_cb(const char *exchange, const char *key, const char *member,
                       const char *entry_id, const char *classification, void *ud)
{
    char line[1600];

    snprintf(line, sizeof(line), "  link %s|%s|%s|%s|%s\n", exchange, key, member, entry_id,
             classification);
    dump_add(ud, line);
    return 0;
}

static int cmp_signal_cb(const cg_bank_signal *s, void *ud)
{
    cmp_ctx *c = ud;
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1], line[2048];
    cg_error err;

    s->type->format(s->value, hex);
    snprintf(line, sizeof(line), "signal %lld %s:%s q=%d src=%s ext=%s note=%s dis=%lld\n",
             (long long)s->id, s->type->name, hex, s->quality, s->source, s->external_id,
             s->note, (long long)s->disabled_until);
    dump_add(c->d, line);
    CG_ASSERT_OK(cg_exchange_provenance(c->db, s->id, cmp_prov_cb, c->d, &err), &err);
    return 0;
}

static int cmp_owned_cb(int64_t signal_id, int owned, void *ud)
{
    char line[64];

    snprintf(line, sizeof(line), " %lld:%d", (long long)signal_id, owned);
    dump_add(ud, line);
    return 0;
}

static int cmp_change_cb(int64_t seq, cg_change_kind kind, int64_t id, void *ud)
{
    char line[64];

    (void)seq;
    snprintf(line, sizeof(line), "%d:%lld\n", (int)kind, (long long)id);
    dump_add(ud, line);
    return 0;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted (the change log's order within a page may differ). */
static void sort_lines(char *text)
{
    char *lines[512], *out;
    size_t n = 0, used = 0, len = strlen(text);

    for (char *p = strtok(text, "\n"); p != NULL && n < 512; p = strtok(NULL, "\n"))
        lines[n++] = p;
    qsort(lines, n, sizeof(lines[0]), line_cmp);
    out = cg__malloc(len + 2);
    CG_ASSERT(out != NULL);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, len + 2 - used, "%s\n", lines[i]);
    out[used] = '\0';
    memcpy(text, out, used + 1);
    cg__free(out);
}

/* The store as the comparison sees it: signals, links, ownership per key, change log. */
static char *cmp_dump(cg_bankdb *db, const cg_exchange_info *ex, const char *const *keys)
{
    dump d = {0}, ch = {0};
    cmp_ctx c = {db, &d};
    cg_error err;

    dump_add(&d, "");
    CG_ASSERT_OK(cg_bank_signal_foreach(db, ex->bank_id, NULL, cmp_signal_cb, &c, &err), &err);
    for (size_t i = 0; keys[i] != NULL; i++) {
        dump_add(&d, "owned ");
        dump_add(&d, keys[i]);
        CG_ASSERT_OK(cg_exchange_page_key_signals(db, ex->id, keys[i], cmp_owned_cb, &d, &err),
                     &err);
        dump_add(&d, "\n");
    }
    dump_add(&ch, "");
    CG_ASSERT_OK(cg_bankdb_changes_since(db, 0, cmp_change_cb, &ch, &err), &err);
    sort_lines(ch.s);
    dump_add(&d, "changes\n");
    dump_add(&d, ch.s);
    cg__free(ch.s);
    return d.s;
}

/* The data of each audit record, in order (time, seq and chain differ between the logs). */
static char *cmp_audit(const char *path)
{
    char *text = slurp(path), *save = NULL;
    dump d = {0};

    dump_add(&d, "");
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *o = json_loads(line, 0, NULL);
        char *data;

        CG_ASSERT(o != NULL);
        data = json_dumps(json_object_get(o, "data"), JSON_SORT_KEYS | JSON_COMPACT);
        CG_ASSERT(data != NULL);
        dump_add(&d, data);
        dump_add(&d, "\n");
        free(data);
        json_decref(o);
    }
    cg_free(text);
    return d.s;
}

typedef struct cmp_page {
    cg_exchange_page_entry e[16];
    size_t n;
} cmp_page;

static const uint8_t *hv(const char *hex, uint8_t *buf)
{
    CG_ASSERT_OK(cg_hex_decode(hex, strlen(hex), buf, strlen(hex) / 2), NULL);
    return buf;
}

/* Applies page to db as one committed page; the status, counts and message (without the
 * store's name, which differs) are written to out. */
static cg_status cmp_apply(cg_bankdb *db, const cg_exchange_info *ex, const cmp_page *p,
                           char *out, size_t cap)
{
    cg_exchange_page_counts c;
    cg_error err;
    cg_status st;

    memset(&err, 0, sizeof(err));
    CG_ASSERT_OK(cg_exchange_page_begin(db, ex->id, &err), &err);
    st = cg_exchange_page_apply(db, ex, p->e, p->n, &c, &err);
    if (st == CG_OK) {
        CG_ASSERT_OK(cg_exchange_page_commit(db, ex->id, "{}", (int64_t)p->n, NOW, &err), &err);
        snprintf(out, cap, "ok added=%llu merged=%llu removed=%llu",
                 (unsigned long long)c.added, (unsigned long long)c.merged,
                 (unsigned long long)c.removed);
    } else {
        const char *m = strstr(err.message, ": ");

        cg_exchange_page_abort(db);
        snprintf(out, cap, "status %d: %s", (int)st, m != NULL ? m : err.message);
    }
    return st;
}

CG_TEST(exchange_store_set_apply_matches_record_by_record)
{
    static const char *const keys[] = {"k1", "k2", "k3", "k4", "k5", "k6",
                                       "k7", "k8", "k\tey\n\\9", NULL};
    enum { A, B, C, D, E, F, M, P, NV };
    static const char *const hexes[NV] = {
        "0123456789abcdef0123456789abcdef", "11111111111111111111111111111111",
        "22222222222222222222222222222222", "33333333333333333333333333333333",
        "44444444444444444444444444444444", "66666666666666666666666666666666",
        "55555555555555555555555555555555", PDQ1};
    const cg_signal_type *md5 = cg_signal_type_find("md5"), *pdq = cg_signal_type_find("pdq");
    uint8_t v[NV][32];
    cg_exchange_page_hash h[NV];
    cg_exchange_page_hash too_many[65];
    cmp_page pages[4];
    char long_note[1100], long_key[CG_BANK_FIELD_MAX + 2];
    cg_bankdb *db[2];
    cg_audit *log[2];
    cg_exchange_info ex[2];
    char *dumps[2], *audits[2], logpath[2][512];
    char result[4][2][1400];
    cg_error err;

    for (int i = 0; i < NV; i++) {
        h[i].type = i == P ? pdq : md5;
        h[i].value = hv(hexes[i], v[i]);
    }
    for (int i = 0; i < 65; i++)
        too_many[i] = h[A];
    /* A note longer than a signal holds (cut at a character boundary: 1024 bytes of 'n'). */
    memset(long_note, 'n', sizeof(long_note) - 1);
    long_note[sizeof(long_note) - 1] = '\0';
    memset(long_key, 'k', sizeof(long_key) - 1); /* one byte too long: a deletion's key only */
    long_key[sizeof(long_key) - 1] = '\0';
    memset(pages, 0, sizeof(pages));
    /* Page 1: adds, a hash two keys share (the page is cut there), a merge filling a manual
     * signal's empty fields, a deletion of a key never seen, text COPY must escape. */
    pages[0].e[0] = (cg_exchange_page_entry){"k1", 0, "m\t1", "e\\1", "A1", 5,
                                             "synthetic\tnote\nwith \\ and \"", &h[A], 2};
    pages[0].e[0].hashes = (cg_exchange_page_hash[]){h[A], h[P]};
    pages[0].e[1] = (cg_exchange_page_entry){"k2", 0, "m2", "e2", "A1", 6, NULL, NULL, 2};
    pages[0].e[1].hashes = (cg_exchange_page_hash[]){h[B], h[A]};
    pages[0].e[2] = (cg_exchange_page_entry){"k3", 0, "m3", "e3", "B1", 7, "n3", &h[M], 1};
    pages[0].e[3] = (cg_exchange_page_entry){"k4", 1, NULL, NULL, NULL, 0, NULL, NULL, 0};
    pages[0].e[4] = (cg_exchange_page_entry){"k5", 0, "m5", "e5", "", 8, long_note, &h[C], 1};
    pages[0].e[5] = (cg_exchange_page_entry){"k\tey\n\\9", 0, "m9", "e9", "", 9, "", &h[E], 1};
    pages[0].n = 6;
    /* Page 2: a deletion then a re-add of one key; dropping a hash another key keeps; two
     * keys of a page unlinking one signal (record by record decides); a hash listed twice in
     * one record; a deletion whose key is too long (and its member not UTF-8: unused); a
     * merge into a signal another key links; a key dropping a hash that a later key lists
     * (record by record: deleted, then added afresh). */
    pages[1].e[0] = (cg_exchange_page_entry){"k5", 1, NULL, NULL, NULL, 0, NULL, NULL, 0};
    pages[1].e[1] = (cg_exchange_page_entry){"k5", 0, "m5", "e5b", "", 10, "again", &h[D], 1};
    pages[1].e[2] = (cg_exchange_page_entry){"k2", 1, NULL, NULL, NULL, 0, NULL, NULL, 0};
    pages[1].e[3] = (cg_exchange_page_entry){"k1", 0, "m1", "e1", "A2", 11, NULL, &h[P], 1};
    pages[1].e[4] = (cg_exchange_page_entry){"k6", 0, "m6", "e6", "", 12, NULL, NULL, 2};
    pages[1].e[4].hashes = (cg_exchange_page_hash[]){h[C], h[C]};
    pages[1].e[5] = (cg_exchange_page_entry){long_key, 1, "\xff", NULL, NULL, 0, NULL, NULL, 0};
    pages[1].e[6] = (cg_exchange_page_entry){"k7", 0, "m7", "e7", "", 13, "n7", &h[M], 1};
    pages[1].e[7] = (cg_exchange_page_entry){"k\tey\n\\9", 0, "m9", "e9", "", 14, NULL, &h[F], 1};
    pages[1].e[8] = (cg_exchange_page_entry){"k8", 0, "m8", "e8", "", 14, NULL, &h[E], 1};
    pages[1].n = 9;
    /* Page 3: hostile, fails whole: a good record, then one with a member that is not UTF-8. */
    pages[2].e[0] = (cg_exchange_page_entry){"k8", 0, "m8", "e8", "", 15, NULL, &h[B], 1};
    pages[2].e[1] = (cg_exchange_page_entry){"k9", 0, "\xc3(", "e9", "", 16, NULL, &h[E], 1};
    pages[2].n = 2;
    /* Page 4: hostile, fails whole: a deletion whose key is not UTF-8 (PostgreSQL refuses
     * it, SQLite finds nothing), then 65 hashes in one record: the same error either way. */
    pages[3].e[0] = (cg_exchange_page_entry){"k3", 1, NULL, NULL, NULL, 0, NULL, NULL, 0};
    pages[3].e[1] = (cg_exchange_page_entry){"\xff\xfe", 1, "\xff", NULL, NULL, 0, NULL, NULL, 0};
    pages[3].e[2] = (cg_exchange_page_entry){"k10", 0, "m", "e", "", 17, NULL, too_many, 65};
    pages[3].n = 3;

    for (int s = 0; s < 2; s++) {
        const char *name = s == 0 ? "excmp-generic.db" : "excmp-sets.db";
        cg_bank_signal man;
        int merged = 0;

        cg_test_store_drop(name);
        db[s] = open_db(name);
        snprintf(logpath[s], sizeof(logpath[s]), "%s/excmp-%d.log", cg_test_tmpdir(), s);
        (void)remove(logpath[s]);
        CG_ASSERT_OK(cg_audit_open(logpath[s], CG_AUDIT_CREATE, &log[s], &err), &err);
        make_exchange(db[s], "cmp", "ncmec", &ex[s]);
        CG_ASSERT_OK(cg_bankdb_set_audit(db[s], log[s], "exchange-fetcher", &err), &err);
        /* A manual signal with empty external_id and note (the merge fills them). */
        memset(&man, 0, sizeof(man));
        man.bank_id = ex[s].bank_id;
        man.type = md5;
        memcpy(man.value, v[M], 16);
        man.quality = 80;
        snprintf(man.source, sizeof(man.source), "manual");
        CG_ASSERT_OK(cg_bank_signal_add(db[s], &man, &merged, &err), &err);
        if (s == 0)
            CG_ASSERT_EQ(setenv("CG_EXCHANGE_PAGE_APPLY", "generic", 1), 0);
        for (int p = 0; p < 4; p++) {
            const cg_status st = cmp_apply(db[s], &ex[s], &pages[p], result[p][s],
                                           sizeof(result[p][s]));

            if (p < 2)
                CG_ASSERT_EQ(st, CG_OK);
            else if (p == 2)
                CG_ASSERT_EQ(st, CG_E_INVAL);
            else
                CG_ASSERT(st != CG_OK);
        }
        CG_ASSERT_EQ(unsetenv("CG_EXCHANGE_PAGE_APPLY"), 0);
        dumps[s] = cmp_dump(db[s], &ex[s], keys);
        cg_bankdb_close(db[s]);
        cg_audit_close(log[s]);
        audits[s] = cmp_audit(logpath[s]);
    }
    for (int p = 0; p < 4; p++)
        CG_ASSERT_STR_EQ(result[p][1], result[p][0]);
    /* What page 1 and 2 did (so the comparison cannot pass on two empty stores). */
    CG_ASSERT_STR_EQ(result[0][0], "ok added=5 merged=2 removed=0");
    CG_ASSERT(strstr(dumps[0], "note=synthetic\tnote\nwith \\ and \"") != NULL);
    CG_ASSERT(strstr(dumps[0], "src=manual ext=k3 note=n3") != NULL);
    CG_ASSERT(strstr(audits[0], "\"op\":\"signal_delete\"") != NULL);
    CG_ASSERT_STR_EQ(dumps[1], dumps[0]);
    CG_ASSERT_STR_EQ(audits[1], audits[0]);
    for (int s = 0; s < 2; s++) {
        cg__free(dumps[s]);
        cg__free(audits[s]);
    }
}
