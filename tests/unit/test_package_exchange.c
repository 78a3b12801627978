/* The package exchange (src/exchange/package_exchange.c) and its tar reader (package_tar.c),
 * without the store: the driver's pages, checkpoints and refusals on an injected clock, and the
 * tar reader on every truncation and on hostile members. The CLI test
 * tests/cli/exchange_package.sh runs it end to end through `childguard exchange`. Synthetic
 * hashes only. */
#include "cg_test.h"

#include <sys/stat.h>

#include <openssl/evp.h>

#include "childguard/exchange.h"
#include "childguard/package.h"
#include "common/alloc.h"
#include "exchange/package_int.h"

static void test_key(int variant, cg_minisign_seckey *sk, char *pub_line, size_t n)
{
    cg_minisign_pubkey pk;
    EVP_PKEY *k;
    size_t len = 32;
    char *pub = NULL, *nl;
    cg_error err;

    memset(sk, 0, sizeof(*sk));
    for (int i = 0; i < 32; i++)
        sk->seed[i] = (uint8_t)(i * 7 + 1 + variant);
    for (int i = 0; i < 8; i++)
        sk->key_id[i] = (uint8_t)(0xa0 + i + variant);
    k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk->seed, 32);
    CG_ASSERT(k != NULL);
    CG_ASSERT(EVP_PKEY_get_raw_public_key(k, sk->pk, &len) == 1);
    EVP_PKEY_free(k);
    memcpy(pk.key_id, sk->key_id, 8);
    memcpy(pk.pk, sk->pk, 32);
    CG_ASSERT_OK(cg_minisign_pubkey_format(&pk, &pub, &err), &err);
    nl = strchr(pub, '\n'); /* the base64 line is the second */
    CG_ASSERT(nl != NULL);
    snprintf(pub_line, n, "%s", nl + 1);
    pub_line[strcspn(pub_line, "\n")] = '\0';
    cg_free(pub);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[700];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    CG_ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* Seals a package at <tmp>/name with the given adds/removals (NULL: none). */
static void make_package(const char *name, int64_t seq, int64_t base, const char *adds,
                         const char *removals, const cg_minisign_seckey *sk, char *dir,
                         size_t n)
{
    cg_package_manifest m;
    cg_error err;

    snprintf(dir, n, "%s/%s", cg_test_tmpdir(), name);
    CG_ASSERT(mkdir(dir, 0755) == 0);
    if (adds != NULL)
        write_file(dir, "adds.jsonl", adds);
    if (removals != NULL)
        write_file(dir, "removals.jsonl", removals);
    memset(&m, 0, sizeof(m));
    snprintf(m.producer, sizeof(m.producer), "hotline-a");
    snprintf(m.bank, sizeof(m.bank), "shared");
    m.sequence = seq;
    m.base_sequence = base;
    m.created = 1800000000;
    m.expires = 1800000000 + 86400;
    CG_ASSERT_OK(cg_package_seal(dir, &m, sk, &err), &err);
}

#define H1 "{\"signal_type\":\"md5\",\"signal\":\"00000000000000000000000000000001\"}\n"
#define H2 "{\"signal_type\":\"md5\",\"signal\":\"00000000000000000000000000000002\"}\n"
#define H3 "{\"signal_type\":\"md5\",\"signal\":\"00000000000000000000000000000003\"}\n"

static int64_t clock_now(void *ud)
{
    return *(int64_t *)ud;
}

typedef struct fetch_env {
    cg_exchange_config cfg;
    cg_clock clock;
    int64_t now;
    char url[700], full[700], key[128];
    const char *keys[1];
} fetch_env;

static void env_init(fetch_env *e, const char *dir, const char *key)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->url, sizeof(e->url), "file://%s", dir);
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->keys[0] = e->key;
    e->now = 1800000000 + 60;
    e->clock.now = clock_now;
    e->clock.ud = &e->now;
    e->cfg.name = "pk";
    e->cfg.base_url = e->url;
    e->cfg.trusted_keys = e->keys;
    e->cfg.n_trusted_keys = 1;
    e->cfg.clock = &e->clock;
}

/* One fetch; *cp is replaced by the new checkpoint on CG_OK. */
static cg_status fetch(fetch_env *e, char **cp, cg_exchange_delta *d, cg_error *err)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("package");
    cg_status st;

    CG_ASSERT(drv != NULL);
    cg_exchange_delta_fini(d);
    cg_exchange_delta_init(d);
    st = drv->fetch(&e->cfg, *cp != NULL ? *cp : "", d, err);
    if (st == CG_OK) {
        CG_ASSERT(d->checkpoint != NULL);
        cg_free(*cp);
        *cp = cg__strdup(d->checkpoint);
    } else {
        /* A refusal leaves nothing to apply, and never says "checkpoint": exchange_run would
         * take that for an unreadable one and start over, losing the rollback guard. */
        CG_ASSERT_EQ(d->n_records, 0);
        CG_ASSERT(d->checkpoint == NULL);
        CG_ASSERT(strstr(err->message, "checkpoint") == NULL);
    }
    return st;
}

CG_TEST(package_exchange_pages_deltas_and_refusals)
{
    cg_minisign_seckey sk, other;
    char key[128], key2[128], p1[600], p2[600], p3[600], p4[600], f4[600], bad[600];
    fetch_env e;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;

    test_key(0, &sk, key, sizeof(key));
    test_key(1, &other, key2, sizeof(key2));
    make_package("p1", 1, -1, H1 H2 H3, NULL, &sk, p1, sizeof(p1));
    make_package("p2", 2, 1, H3, H1, &sk, p2, sizeof(p2));
    make_package("p3", 3, 2, H2, NULL, &other, p3, sizeof(p3));
    make_package("p4", 4, 3, H2, NULL, &sk, p4, sizeof(p4));
    make_package("f4", 4, -1, H2, NULL, &sk, f4, sizeof(f4));
    cg_exchange_delta_init(&d);
    env_init(&e, p1, key);
    e.cfg.page_size = 2;

    /* A full list over two pages: the first starts over (reset), the second ends it. */
    CG_ASSERT_OK(fetch(&e, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.n_records, 2);
    CG_ASSERT(d.checkpoint_reset && d.more);
    CG_ASSERT_STR_EQ(d.records[0].key, "package:md5:00000000000000000000000000000001");
    CG_ASSERT_STR_EQ(d.records[0].member, "hotline-a");
    CG_ASSERT(!d.records[0].deleted && d.records[0].n_hashes == 1);
    CG_ASSERT_OK(fetch(&e, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.n_records, 1);
    CG_ASSERT(!d.checkpoint_reset && !d.more);
    CG_ASSERT(strstr(cp, "\"seq\":1") != NULL && strstr(cp, "\"cur\":0") != NULL);
    /* The same package again: nothing. */
    CG_ASSERT_OK(fetch(&e, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.n_records, 0);
    CG_ASSERT(!d.more);

    /* A delta on it: an add and a removal, no reset. */
    snprintf(e.url, sizeof(e.url), "file://%s", p2);
    CG_ASSERT_OK(fetch(&e, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.n_records, 2);
    CG_ASSERT(!d.checkpoint_reset && !d.more);
    CG_ASSERT(!d.records[0].deleted && d.records[1].deleted);
    CG_ASSERT_STR_EQ(d.records[1].key, "package:md5:00000000000000000000000000000001");

    /* Refused: rollback, a key not trusted, expired (on the clock). */
    snprintf(e.url, sizeof(e.url), "file://%s", p1);
    CG_ASSERT_EQ(fetch(&e, &cp, &d, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "rollback refused") != NULL);
    snprintf(e.url, sizeof(e.url), "file://%s", p3);
    CG_ASSERT_EQ(fetch(&e, &cp, &d, &err), CG_E_NOTFOUND);
    e.keys[0] = key2; /* trusting the other key only: our p2 is now the untrusted one */
    snprintf(e.url, sizeof(e.url), "file://%s", p2);
    CG_ASSERT(fetch(&e, &cp, &d, &err) != CG_OK);
    e.keys[0] = e.key;
    e.now = 1800000000 + 86400;
    snprintf(e.url, sizeof(e.url), "file://%s", p4);
    CG_ASSERT_EQ(fetch(&e, &cp, &d, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "expired at") != NULL);
    e.now = 1800000000 + 60;

    /* A delta on #3 while #2 was applied: without full_url named, with it a full refetch. */
    CG_ASSERT_EQ(fetch(&e, &cp, &d, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "full_url") != NULL);
    snprintf(e.full, sizeof(e.full), "file://%s", f4);
    e.cfg.full_url = e.full;
    CG_ASSERT_OK(fetch(&e, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.n_records, 1);
    CG_ASSERT(d.checkpoint_reset && !d.more);
    CG_ASSERT(strstr(cp, "\"seq\":4") != NULL);
    CG_ASSERT_OK(fetch(&e, &cp, &d, &err), &err); /* the delta #4 itself: nothing new */
    CG_ASSERT_EQ(d.n_records, 0);

    /* Bad configuration. */
    snprintf(bad, sizeof(bad), "not a key");
    e.keys[0] = bad;
    CG_ASSERT_EQ(fetch(&e, &cp, &d, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "trusted_keys[0]") != NULL);
    e.keys[0] = e.key;
    snprintf(e.url, sizeof(e.url), "file://relative/path");
    CG_ASSERT(fetch(&e, &cp, &d, &err) != CG_OK);
    cg_exchange_delta_fini(&d);
    cg_free(cp);
}

/* A ustar member header + data into buf at *off. */
static void tar_member(uint8_t *buf, size_t *off, const char *name, char type, const char *data,
                       size_t len)
{
    uint8_t *h = buf + *off;
    unsigned sum = 0;

    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "0000644");
    snprintf((char *)h + 124, 12, "%011o", (unsigned)len);
    snprintf((char *)h + 136, 12, "%011o", 0u);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    *off += 512;
    if (len > 0) {
        memcpy(buf + *off, data, len);
        *off += (len + 511) / 512 * 512;
    }
}

static uint8_t *read_all(const char *dir, const char *name, size_t *len)
{
    char path[700];
    uint8_t *b = NULL;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    CG_ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    CG_ASSERT(b != NULL && fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

CG_TEST(package_tar_every_truncation_and_hostile_members)
{
    static uint8_t tar[16 * 1024], bad[16 * 1024];
    const char *names[3] = {"manifest.json", "manifest.json.minisig", "adds.jsonl"};
    cg_minisign_seckey sk;
    char key[128], dir[600];
    cg__package_tar t;
    size_t off = 0, end, blen;
    cg_error err;

    test_key(0, &sk, key, sizeof(key));
    make_package("t1", 1, -1, H1 H2, NULL, &sk, dir, sizeof(dir));
    tar_member(tar, &off, "./", '5', NULL, 0);
    for (int i = 0; i < 3; i++) {
        size_t n;
        uint8_t *b = read_all(dir, names[i], &n);
        char name[64];

        snprintf(name, sizeof(name), "./%s", names[i]);
        tar_member(tar, &off, name, '0', (const char *)b, n);
        free(b);
    }
    end = off; /* then two zero blocks */
    off += 1024;
    CG_ASSERT_OK(cg__package_tar_index("t.tar", tar, off, &t, &err), &err);
    CG_ASSERT(t.data[0] != NULL && t.data[1] != NULL && t.data[2] != NULL && t.data[3] == NULL);
    /* Through the verifier: the package opens from the archive as from its directory. */
    {
        cg_minisign_pubkey pk;
        cg__package p;
        cg__package_source src = {"t.tar", cg__package_tar_read, &t};
        cg_package_trust trust;
        int64_t last = 0;

        memcpy(pk.key_id, sk.key_id, 8);
        memcpy(pk.pk, sk.pk, 32);
        memset(&trust, 0, sizeof(trust));
        trust.now = 1800000000 + 1;
        trust.keys = &pk;
        trust.n_keys = 1;
        trust.last_sequence = &last;
        CG_ASSERT_OK(cg__package_open_source(&src, &trust, &p, &err), &err);
        CG_ASSERT_EQ(p.m.files[0].count, 2);
        cg__package_close(&p);
    }
    /* Every cut before the end-of-archive block is refused, never read as complete. */
    for (size_t cut = 0; cut < end + 512; cut++)
        CG_ASSERT(cg__package_tar_index("cut.tar", tar, cut, &t, &err) != CG_OK);
    CG_ASSERT(strstr(err.message, "cut.tar") != NULL);

    /* A flipped header byte: checksum. */
    memcpy(bad, tar, off);
    bad[512 + 10] ^= 1;
    CG_ASSERT_EQ(cg__package_tar_index("b.tar", bad, off, &t, &err), CG_E_DECODE);
    /* A symlink, a foreign name, a path out of the directory, a member twice, a size past the
     * end: each refused by name. */
    {
        static const struct {
            const char *name;
            char type;
            const char *why;
        } cases[] = {{"manifest.json", '2', "not a regular file"},
                     {"etc/passwd", '0', "unexpected member"},
                     {"../manifest.json", '0', "unexpected member"},
                     {"a/b/manifest.json", '0', "unexpected member"},
                     {"manifest.json", '0', "twice"}};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            size_t o = 0;

            memset(bad, 0, sizeof(bad));
            if (strcmp(cases[i].why, "twice") == 0)
                tar_member(bad, &o, "manifest.json", '0', "{}", 2);
            tar_member(bad, &o, cases[i].name, cases[i].type, "{}", 2);
            blen = o + 1024;
            CG_ASSERT_EQ(cg__package_tar_index("h.tar", bad, blen, &t, &err), CG_E_INVAL);
            CG_ASSERT(strstr(err.message, cases[i].why) != NULL);
        }
    }
    {
        size_t o = 0;

        memset(bad, 0, sizeof(bad));
        tar_member(bad, &o, "adds.jsonl", '0', "{}", 2);
        snprintf((char *)bad + 124, 12, "%011o", 077777777u); /* size past the end */
        {
            unsigned sum = 0;

            memset(bad + 148, ' ', 8);
            for (int i = 0; i < 512; i++)
                sum += bad[i];
            snprintf((char *)bad + 148, 8, "%06o", sum);
        }
        CG_ASSERT_EQ(cg__package_tar_index("s.tar", bad, o + 1024, &t, &err), CG_E_DECODE);
        CG_ASSERT(strstr(err.message, "past the end") != NULL);
    }
}
