/* The matcher: lookup semantics (thresholds, allow-lists, disabled signals and banks, bank
 * filters, dihedral variants), and updates becoming visible through the delta, background
 * rebuilds and the refresher thread, checked against a brute-force model of the database. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cg_test.h"
#include "childguard.h"

static const cg_signal_type *PDQ, *MD5, *SHA;

static void types(void)
{
    PDQ = cg_signal_type_find("pdq");
    MD5 = cg_signal_type_find("md5");
    SHA = cg_signal_type_find("sha256");
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_value(uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)rnd();
}

/* v with exactly d distinct bits flipped. */
static void flip_bits(const uint8_t *v, int d, uint8_t *out)
{
    int used[256] = {0};
    memcpy(out, v, 32);
    while (d > 0) {
        int b = (int)(rnd() % 256);
        if (used[b])
            continue;
        used[b] = 1;
        out[b / 8] ^= (uint8_t)(1u << (b % 8));
        d--;
    }
}

/* The store location of name (cg_test_store_location), valid until the next call. */
static const char *db_path(const char *name)
{
    static char path[1024];

    cg_test_store_location(name, path, sizeof(path));
    return path;
}

static cg_bankdb *open_rw(const char *path)
{
    cg_bankdb *db = NULL;
    cg_error err;
    cg_status st = cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err);
    if (st != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "open %s: %s", path, err.message);
    return db;
}

static int64_t make_bank(cg_bankdb *db, const char *name, const char *label, cg_bank_kind kind,
                         int pdq_threshold)
{
    cg_bank b;
    cg_error err;
    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    snprintf(b.label, sizeof(b.label), "%s", label);
    b.kind = kind;
    b.enabled = 1;
    if (pdq_threshold >= 0) {
        b.thresholds[0] = (cg_bank_threshold){PDQ, pdq_threshold};
        b.n_thresholds = 1;
    }
    if (cg_bank_create(db, &b, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "create %s: %s", name, err.message);
    return b.id;
}

static int64_t add(cg_bankdb *db, int64_t bank, const cg_signal_type *t, const uint8_t *v,
                   const char *ext)
{
    cg_bank_signal s;
    cg_error err;
    memset(&s, 0, sizeof(s));
    s.bank_id = bank;
    s.type = t;
    memcpy(s.value, v, t->bytes);
    s.quality = 90;
    snprintf(s.external_id, sizeof(s.external_id), "%s", ext ? ext : "");
    if (cg_bank_signal_add(db, &s, NULL, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "add: %s", err.message);
    return s.id;
}

static cg_matcher *open_matcher(const char *path, int refresh_ms, size_t delta_max)
{
    cg_matcher_options o = {refresh_ms, CG_INDEX_AUTO, delta_max};
    cg_matcher *m = NULL;
    cg_error err;
    if (cg_matcher_open(path, &o, &m, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "matcher: %s", err.message);
    return m;
}

static size_t lookup(cg_matcher *m, const cg_signal_type *t, const uint8_t *v, size_t n,
                     const cg_lookup_options *o, cg_match_list *out)
{
    cg_error err;
    out->n = 0;
    if (cg_matcher_lookup(m, t, v, n, o, out, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "lookup: %s", err.message);
    return out->n;
}

static void refresh(cg_matcher *m)
{
    cg_error err;
    if (cg_matcher_refresh(m, NULL, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "refresh: %s", err.message);
}

CG_TEST(matcher_thresholds_and_provenance)
{
    types();
    const char *path = db_path("t.db");
    cg_bankdb *db = open_rw(path);
    int64_t csam = make_bank(db, "known-csam", "csam", CG_BANK_BLOCK, -1);
    int64_t strict = make_bank(db, "strict", "ncii", CG_BANK_BLOCK, 10);
    uint8_t a[32], b[32], q[32];
    random_value(a, 32);
    random_value(b, 32);
    add(db, csam, PDQ, a, "ext-a");
    add(db, strict, PDQ, b, "ext-b");
    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};

    for (int d = 0; d <= 40; d++) {
        flip_bits(a, d, q);
        size_t n = lookup(m, PDQ, q, 1, NULL, &out);
        CG_ASSERT_EQ(n, d <= 31 ? 1 : 0);
        if (n == 1) {
            CG_ASSERT_EQ(out.v[0].distance, d);
            CG_ASSERT_EQ(out.v[0].threshold, 31);
            CG_ASSERT_STR_EQ(out.v[0].bank, "known-csam");
            CG_ASSERT_STR_EQ(out.v[0].label, "csam");
            CG_ASSERT_STR_EQ(out.v[0].external_id, "ext-a");
            CG_ASSERT_EQ(out.v[0].quality, 90);
            CG_ASSERT_EQ(out.v[0].suppressed, 0);
        }
        flip_bits(b, d, q);
        CG_ASSERT_EQ(lookup(m, PDQ, q, 1, NULL, &out), d <= 10 ? 1 : 0);
    }
    /* An explicit distance overrides the banks'; a bank filter restricts. */
    flip_bits(b, 20, q);
    cg_lookup_options lo = {.banks = NULL, .max_distance = 25};
    CG_ASSERT_EQ(lookup(m, PDQ, q, 1, &lo, &out), 1);
    const char *only[] = {"known-csam", NULL};
    cg_lookup_options lo2 = {.banks = only, .max_distance = -1};
    CG_ASSERT_EQ(lookup(m, PDQ, b, 1, &lo2, &out), 0);
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, &lo2, &out), 1);
    const char *bad[] = {"no-such-bank", NULL};
    cg_lookup_options lo3 = {.banks = bad, .max_distance = -1};
    cg_error err;
    out.n = 0;
    CG_ASSERT_EQ(cg_matcher_lookup(m, PDQ, a, 1, &lo3, &out, &err), CG_E_NOTFOUND);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

CG_TEST(matcher_exact_types)
{
    types();
    const char *path = db_path("e.db");
    cg_bankdb *db = open_rw(path);
    int64_t b1 = make_bank(db, "one", "csam", CG_BANK_BLOCK, -1);
    int64_t b2 = make_bank(db, "two", "ncii", CG_BANK_BLOCK, -1);
    uint8_t md5[16], sha[32], other[32];
    random_value(md5, 16);
    random_value(sha, 32);
    memcpy(other, sha, 32);
    other[31] ^= 1;
    add(db, b1, MD5, md5, "m1");
    add(db, b2, MD5, md5, "m2");
    add(db, b1, SHA, sha, "s1");
    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};
    CG_ASSERT_EQ(lookup(m, MD5, md5, 1, NULL, &out), 2);
    CG_ASSERT_EQ(out.v[0].distance, 0);
    CG_ASSERT_EQ(lookup(m, SHA, sha, 1, NULL, &out), 1);
    CG_ASSERT_EQ(lookup(m, SHA, other, 1, NULL, &out), 0);
    /* A sha256 value is not a pdq hash: types never mix. */
    CG_ASSERT_EQ(lookup(m, PDQ, sha, 1, NULL, &out), 0);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

CG_TEST(matcher_allow_list_suppresses)
{
    types();
    const char *path = db_path("a.db");
    cg_bankdb *db = open_rw(path);
    int64_t block = make_bank(db, "block", "csam", CG_BANK_BLOCK, -1);
    int64_t allow = make_bank(db, "fp", "false-positives", CG_BANK_ALLOW, 5);
    uint8_t a[32], near[32], q[32];
    random_value(a, 32);
    flip_bits(a, 3, near);
    add(db, block, PDQ, a, "x");
    add(db, allow, PDQ, near, "y");
    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};

    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 2);
    for (size_t i = 0; i < out.n; i++)
        CG_ASSERT_EQ(out.v[i].suppressed, out.v[i].kind == CG_BANK_BLOCK);
    /* Far from the allow entry (> 5) but within the block bank's 31: not suppressed. */
    flip_bits(a, 20, q);
    int d = cg_signal_type_find("pdq")->distance(q, near);
    CG_ASSERT_EQ(lookup(m, PDQ, q, 1, NULL, &out), d <= 5 ? 2 : 1);
    if (d > 5)
        CG_ASSERT_EQ(out.v[0].suppressed, 0);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

CG_TEST(matcher_disabled_signals_and_banks)
{
    types();
    const char *path = db_path("d.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "b", "csam", CG_BANK_BLOCK, -1);
    uint8_t a[32], c[32];
    random_value(a, 32);
    random_value(c, 32);
    int64_t ida = add(db, bank, PDQ, a, NULL);
    int64_t idc = add(db, bank, PDQ, c, NULL);
    cg_error err;
    CG_ASSERT_EQ(cg_bank_signal_set_disabled(db, ida, (int64_t)time(NULL) + 3600, &err), CG_OK);
    CG_ASSERT_EQ(cg_bank_signal_set_disabled(db, idc, (int64_t)time(NULL) - 10, &err), CG_OK);
    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 0); /* disabled for an hour */
    CG_ASSERT_EQ(lookup(m, PDQ, c, 1, NULL, &out), 1); /* the pause has ended */

    /* Changes through another connection appear after a refresh. */
    CG_ASSERT_EQ(cg_bank_signal_set_disabled(db, ida, 0, &err), CG_OK);
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 0);
    refresh(m);
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 1);

    cg_bank bk;
    CG_ASSERT_EQ(cg_bank_get(db, "b", &bk, &err), CG_OK);
    bk.enabled = 0;
    CG_ASSERT_EQ(cg_bank_update(db, &bk, &err), CG_OK);
    refresh(m);
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 0);
    bk.enabled = 1;
    CG_ASSERT_EQ(cg_bank_update(db, &bk, &err), CG_OK);
    refresh(m);
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 1);
    CG_ASSERT_EQ(cg_bank_delete(db, "b", &err), CG_OK);
    refresh(m);
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 0);
    CG_ASSERT_EQ(lookup(m, PDQ, c, 1, NULL, &out), 0);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

CG_TEST(matcher_dihedral_variants_keep_nearest)
{
    types();
    const char *path = db_path("v.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "b", "csam", CG_BANK_BLOCK, -1);
    uint8_t stored[32], values[8 * 32];
    random_value(stored, 32);
    add(db, bank, PDQ, stored, NULL);
    for (int v = 0; v < 8; v++)
        random_value(values + 32 * v, 32);
    flip_bits(stored, 12, values + 32 * 3); /* variant 3 is near */
    flip_bits(stored, 4, values + 32 * 5);  /* variant 5 is nearer */
    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};
    CG_ASSERT_EQ(lookup(m, PDQ, values, 8, NULL, &out), 1);
    CG_ASSERT_EQ(out.v[0].variant, 5);
    CG_ASSERT_EQ(out.v[0].distance, 4);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

/* The model: every signal in the database, checked by brute force. */
typedef struct model {
    int64_t id;
    int64_t bank;
    uint8_t v[32];
    int live;
    int disabled;
} model;

static size_t model_count(const model *ms, size_t n, const int *bank_enabled, const uint8_t *q)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (ms[i].live && !ms[i].disabled && bank_enabled[ms[i].bank] &&
            PDQ->distance(ms[i].v, q) <= 31)
            c++;
    return c;
}

/* Random adds, disables, enables, deletes through one connection, refreshes (small delta bound,
 * so rebuilds happen too) and lookups near random stored hashes: always equal to the model. */
static void random_ops(int refresh_ms)
{
    types();
    const char *path = db_path(refresh_ms ? "rt.db" : "r.db");
    cg_bankdb *db = open_rw(path);
    int64_t banks[2] = {make_bank(db, "b0", "csam", CG_BANK_BLOCK, -1),
                        make_bank(db, "b1", "ncii", CG_BANK_BLOCK, -1)};
    int enabled[3] = {0, 1, 1};
    size_t cap = 400, n = 0;
    model *ms = calloc(cap, sizeof(*ms));
    cg_error err;
    uint8_t base[8][32];
    for (int f = 0; f < 8; f++)
        random_value(base[f], 32);
    /* Some signals before the matcher opens. */
    for (; n < 40; n++) {
        ms[n].bank = 1 + (int64_t)(rnd() % 2);
        flip_bits(base[rnd() % 8], (int)(rnd() % 40), ms[n].v);
        ms[n].id = add(db, banks[ms[n].bank - 1], PDQ, ms[n].v, NULL);
        ms[n].live = 1;
    }
    cg_matcher *m = open_matcher(path, refresh_ms, 16);
    cg_match_list out = {0};
    for (int round = 0; round < 30; round++) {
        for (int op = 0; op < 10; op++) {
            int kind = (int)(rnd() % 4);
            size_t k = (size_t)(rnd() % n);
            if (kind == 0 && n < cap) {
                ms[n].bank = 1 + (int64_t)(rnd() % 2);
                flip_bits(base[rnd() % 8], (int)(rnd() % 40), ms[n].v);
                int dup = 0;
                for (size_t i = 0; i < n; i++)
                    dup |= ms[i].live && ms[i].bank == ms[n].bank && !memcmp(ms[i].v, ms[n].v, 32);
                if (dup)
                    continue;
                ms[n].id = add(db, banks[ms[n].bank - 1], PDQ, ms[n].v, NULL);
                ms[n].live = 1;
                n++;
            } else if (kind == 1 && ms[k].live) {
                ms[k].disabled = !ms[k].disabled;
                CG_ASSERT_EQ(cg_bank_signal_set_disabled(db, ms[k].id,
                                                         ms[k].disabled ? INT64_MAX : 0, &err),
                             CG_OK);
            } else if (kind == 2 && ms[k].live) {
                CG_ASSERT_EQ(cg_bank_signal_delete(db, ms[k].id, &err), CG_OK);
                ms[k].live = 0;
            } else if (kind == 3 && rnd() % 8 == 0) {
                int b = 1 + (int)(rnd() % 2);
                cg_bank bk;
                CG_ASSERT_EQ(cg_bank_get_by_id(db, banks[b - 1], &bk, &err), CG_OK);
                enabled[b] = !enabled[b];
                bk.enabled = enabled[b];
                CG_ASSERT_EQ(cg_bank_update(db, &bk, &err), CG_OK);
            }
        }
        if (refresh_ms == 0) {
            refresh(m);
        } else {
            /* Wait until the refresher has caught up with everything committed. */
            int64_t seq = 0;
            CG_ASSERT_EQ(cg_bankdb_change_seq(db, &seq, &err), CG_OK);
            for (int wait = 0; wait < 3000; wait++) {
                cg_matcher_stats st;
                cg_matcher_stats_get(m, &st);
                if ((int64_t)st.seq >= seq)
                    break;
                usleep(10000);
            }
            cg_matcher_stats st;
            cg_matcher_stats_get(m, &st);
            CG_ASSERT_GE((int64_t)st.seq, seq);
        }
        for (int qn = 0; qn < 20; qn++) {
            uint8_t q[32];
            flip_bits(ms[rnd() % n].v, (int)(rnd() % 36), q);
            CG_ASSERT_EQ(lookup(m, PDQ, q, 1, NULL, &out), model_count(ms, n, enabled, q));
        }
    }
    cg_matcher_stats st;
    cg_matcher_stats_get(m, &st);
    CG_ASSERT_GT(st.rebuilds, 1); /* the small delta bound forced rebuilds */
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
    free(ms);
}

CG_TEST(matcher_random_updates_match_model)
{
    random_ops(0);
}

CG_TEST(matcher_refresher_thread_catches_up)
{
    random_ops(20);
}

/* A newly added hash is found by a matcher with a refresher thread without any call from the
 * caller (the bound on how long that takes is measured in bench/, not asserted here). */
CG_TEST(matcher_new_hash_visible_without_reopen)
{
    types();
    const char *path = db_path("n.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "b", "csam", CG_BANK_BLOCK, -1);
    uint8_t a[32];
    random_value(a, 32);
    cg_matcher *m = open_matcher(path, 50, 0);
    cg_match_list out = {0};
    CG_ASSERT_EQ(lookup(m, PDQ, a, 1, NULL, &out), 0);
    add(db, bank, PDQ, a, "new");
    size_t found = 0;
    for (int i = 0; i < 3000 && found == 0; i++) {
        found = lookup(m, PDQ, a, 1, NULL, &out);
        if (found == 0)
            usleep(10000);
    }
    CG_ASSERT_EQ(found, 1);
    CG_ASSERT_STR_EQ(out.v[0].external_id, "new");
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

/* Garbage written over the SQLite file itself. */
CG_TEST_SQLITE(matcher_bad_database)
{
    cg_matcher *m = NULL;
    cg_error err;
    char file[1024];
    const char *path = db_path("garbage.db");
    FILE *f;

    snprintf(file, sizeof(file), "%s/garbage.db", cg_test_tmpdir());
    f = fopen(file, "wb");
    CG_ASSERT(f != NULL);
    for (int i = 0; i < 4096; i++)
        fputc((int)(rnd() & 0xff), f);
    fclose(f);
    CG_ASSERT_NE(cg_matcher_open(path, NULL, &m, &err), CG_OK);
    CG_ASSERT(m == NULL);
    CG_ASSERT(strstr(err.message, "garbage.db") != NULL);
    CG_ASSERT_NE(cg_matcher_open(db_path("missing.db"), NULL, &m, &err), CG_OK);
    CG_ASSERT(m == NULL);
}

/* An import past the store's bulk threshold is logged as one bulk entry: the matcher rebuilds
 * and sees every imported hash; a small import arrives as a delta (no rebuild). */
static void import_random(cg_bankdb *db, int64_t bank, int n, uint8_t *first, uint8_t *last)
{
    char *text = malloc((size_t)n * 65 + 1), *p = text;
    uint8_t v[32];
    for (int i = 0; i < n; i++) {
        random_value(v, 32);
        if (i == 0)
            memcpy(first, v, 32);
        memcpy(last, v, 32);
        PDQ->format(v, p);
        p += 64;
        *p++ = '\n';
    }
    FILE *f = fmemopen(text, (size_t)(p - text), "r");
    cg_import_report rep;
    cg_error err;
    CG_ASSERT(f != NULL);
    if (cg_bank_import(db, bank, f, NULL, &rep, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "import: %s", err.message);
    CG_ASSERT_EQ(rep.added, (uint64_t)n);
    fclose(f);
    free(text);
}

CG_TEST(matcher_bulk_import_rebuilds)
{
    types();
    const char *path = db_path("bulk.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "b", "csam", CG_BANK_BLOCK, -1);
    uint8_t first[32], last[32];
    cg_matcher *m = open_matcher(path, 0, 100000);
    cg_match_list out = {0};
    cg_matcher_stats st;

    import_random(db, bank, 100, first, last);
    refresh(m);
    cg_matcher_stats_get(m, &st);
    CG_ASSERT_EQ(st.rebuilds, 1);
    CG_ASSERT_EQ(st.delta, 100);
    CG_ASSERT_EQ(lookup(m, PDQ, last, 1, NULL, &out), 1);

    import_random(db, bank, 6000, first, last);
    refresh(m);
    cg_matcher_stats_get(m, &st);
    CG_ASSERT_EQ(st.rebuilds, 2);
    CG_ASSERT_EQ(st.delta, 0);
    CG_ASSERT_EQ(st.signals, 6100);
    CG_ASSERT_EQ(lookup(m, PDQ, first, 1, NULL, &out), 1);
    CG_ASSERT_EQ(lookup(m, PDQ, last, 1, NULL, &out), 1);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

/* Issue 20.4, the field's rule: a PDQ match where the stored hash's quality or the query's is
 * below the bank's minimum (50 unless the bank says otherwise) is shown, marked low_quality and
 * suppressed (never acted on); a low-quality allow match suppresses nothing. */
CG_TEST(matcher_low_quality_pdq_not_acted_on)
{
    types();
    const char *path = db_path("q.db");
    cg_bankdb *db = open_rw(path);
    int64_t blk = make_bank(db, "blk", "csam", CG_BANK_BLOCK, -1);
    int64_t alw = make_bank(db, "alw", "reviewed", CG_BANK_ALLOW, -1);
    cg_bank loose;
    cg_error err;
    uint8_t good[32], poor[32], shared[32];
    cg_bank_signal s;

    memset(&loose, 0, sizeof(loose));
    snprintf(loose.name, sizeof(loose.name), "loose");
    loose.enabled = 1;
    loose.pdq_min_quality = 30;
    CG_ASSERT_OK(cg_bank_create(db, &loose, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "loose", &loose, &err), &err);
    CG_ASSERT_EQ(cg_bank_pdq_min_quality(&loose), 30);
    random_value(good, 32);
    random_value(poor, 32);
    random_value(shared, 32);
    add(db, blk, PDQ, good, "good"); /* quality 90 */
    memset(&s, 0, sizeof(s));
    s.bank_id = blk;
    s.type = PDQ;
    memcpy(s.value, poor, 32);
    s.quality = 8;
    CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);
    s.bank_id = loose.id;
    s.quality = 40; /* below 50, above the loose bank's 30 */
    memcpy(s.value, shared, 32);
    CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);
    s.bank_id = alw;
    s.quality = 8; /* a junk allow hash */
    memcpy(s.value, good, 32);
    CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);

    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};

    /* Stored quality 8: shown, low quality, not acted on. */
    CG_ASSERT_EQ(lookup(m, PDQ, poor, 1, NULL, &out), 1);
    CG_ASSERT_EQ(out.v[0].low_quality, 1);
    CG_ASSERT_EQ(out.v[0].suppressed, 1);
    CG_ASSERT_EQ(out.v[0].min_quality, 50);
    /* Quality 90 in the block bank, and a quality-8 allow match: the junk allow hash is low
     * quality itself and does not suppress the block match. */
    CG_ASSERT_EQ(lookup(m, PDQ, good, 1, NULL, &out), 2);
    for (size_t i = 0; i < out.n; i++) {
        if (out.v[i].kind == CG_BANK_BLOCK) {
            CG_ASSERT_EQ(out.v[i].low_quality, 0);
            CG_ASSERT_EQ(out.v[i].suppressed, 0);
        } else {
            CG_ASSERT_EQ(out.v[i].low_quality, 1);
            CG_ASSERT_EQ(out.v[i].suppressed, 1);
        }
    }
    /* The query's quality, when given: 45 is below 50 for every bank that uses the default. */
    cg_lookup_options lq = {.banks = NULL, .max_distance = -1, .has_query_quality = 1,
                            .query_quality = 45};
    CG_ASSERT_EQ(lookup(m, PDQ, good, 1, &lq, &out), 2);
    for (size_t i = 0; i < out.n; i++)
        CG_ASSERT_EQ(out.v[i].suppressed, 1);
    /* Per bank: the loose bank acts on quality 40 (stored) and 45 (query). */
    CG_ASSERT_EQ(lookup(m, PDQ, shared, 1, &lq, &out), 1);
    CG_ASSERT_EQ(out.v[0].min_quality, 30);
    CG_ASSERT_EQ(out.v[0].low_quality, 0);
    CG_ASSERT_EQ(out.v[0].suppressed, 0);
    lq.query_quality = 20;
    CG_ASSERT_EQ(lookup(m, PDQ, shared, 1, &lq, &out), 1);
    CG_ASSERT_EQ(out.v[0].low_quality, 1);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

/* Issue 20.10: a hash in a disabled bank, or a disabled hash, is no match, unless the caller
 * asks to see such matches (a person told "disabled" rather than "no match"): then it comes back
 * marked disabled and suppressed. */
CG_TEST(matcher_disabled_shown_only_when_asked)
{
    types();
    const char *path = db_path("d.db");
    cg_bankdb *db = open_rw(path);
    int64_t b1 = make_bank(db, "off", "csam", CG_BANK_BLOCK, -1);
    int64_t b2 = make_bank(db, "on", "csam", CG_BANK_BLOCK, -1);
    uint8_t x[32], y[32];
    cg_bank b;
    cg_error err;

    random_value(x, 32);
    random_value(y, 32);
    add(db, b1, SHA, x, "x");
    int64_t sy = add(db, b2, SHA, y, "y");
    CG_ASSERT_OK(cg_bank_get(db, "off", &b, &err), &err);
    b.enabled = 0;
    CG_ASSERT_OK(cg_bank_update(db, &b, &err), &err);
    CG_ASSERT_OK(cg_bank_signal_set_disabled(db, sy, INT64_MAX, &err), &err);
    cg_matcher *m = open_matcher(path, 0, 0);
    cg_match_list out = {0};
    cg_lookup_options show = {.banks = NULL, .max_distance = -1, .include_disabled = 1};

    CG_ASSERT_EQ(lookup(m, SHA, x, 1, NULL, &out), 0);
    CG_ASSERT_EQ(lookup(m, SHA, y, 1, NULL, &out), 0);
    CG_ASSERT_EQ(lookup(m, SHA, x, 1, &show, &out), 1);
    CG_ASSERT_EQ(out.v[0].disabled, 1);
    CG_ASSERT_EQ(out.v[0].suppressed, 1);
    CG_ASSERT_EQ(lookup(m, SHA, y, 1, &show, &out), 1);
    CG_ASSERT_EQ(out.v[0].disabled, 1);
    CG_ASSERT_EQ(out.v[0].suppressed, 1);
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}
