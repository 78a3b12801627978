/* src/index: PDQ radius search (scan, MIH, auto) checked against brute force, and exact-value
 * sets. Every search result must equal, as a set, the brute-force answer, with each hash
 * reported once. Seeds are fixed; sizes are small enough for ASan + UBSan. */
#include "cg_test.h"

#include "childguard.h"
#include "common/alloc.h"
#include "index/index_int.h"

/* ---- data ------------------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void random_hash(uint64_t *s, uint8_t *h)
{
    for (int i = 0; i < 32; i += 8) {
        const uint64_t v = rng_next(s);

        memcpy(h + i, &v, 8);
    }
}

/* dst = src with exactly d distinct bits flipped. */
static void flip_bits(uint64_t *s, const uint8_t *src, int d, uint8_t *dst)
{
    uint8_t used[256] = {0};

    memcpy(dst, src, 32);
    for (int k = 0; k < d;) {
        const int b = (int)(rng_next(s) % 256);

        if (used[b])
            continue;
        used[b] = 1;
        dst[b / 8] ^= (uint8_t)(1u << (b % 8));
        k++;
    }
}

static int distance(const uint8_t *a, const uint8_t *b)
{
    int d = 0;

    for (int i = 0; i < 32; i++)
        d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
    return d;
}

/* A data set and its queries. */
typedef struct dataset {
    size_t n;
    uint8_t *hashes;
    uint64_t *ids; /* ids[i] = a scrambled, distinct value, to tell ids from positions */
    size_t nq;
    uint8_t *queries;
} dataset;

static void dataset_alloc(dataset *ds, size_t n, size_t nq)
{
    ds->n = n;
    ds->nq = nq;
    ds->hashes = calloc(n ? n : 1, 32);
    ds->ids = calloc(n ? n : 1, sizeof *ds->ids);
    ds->queries = calloc(nq ? nq : 1, 32);
    CG_ASSERT(ds->hashes && ds->ids && ds->queries);
    for (size_t i = 0; i < n; i++)
        ds->ids[i] = i * UINT64_C(1000003) + UINT64_C(77);
}

static void dataset_free(dataset *ds)
{
    free(ds->hashes);
    free(ds->ids);
    free(ds->queries);
}

/* Uniform random hashes; the first `planted` queries each get one stored neighbour at every
 * distance 0..40 (overwriting random entries), the other queries are random. */
static void make_uniform(dataset *ds, size_t n, size_t nq, size_t planted, uint64_t seed)
{
    uint64_t s = seed;

    dataset_alloc(ds, n, nq);
    for (size_t i = 0; i < n; i++)
        random_hash(&s, ds->hashes + 32 * i);
    for (size_t q = 0; q < nq; q++) {
        uint8_t *qh = ds->queries + 32 * q;

        random_hash(&s, qh);
        if (q >= planted)
            continue;
        for (int d = 0; d <= 40 && n > 0; d++)
            flip_bits(&s, qh, d, ds->hashes + 32 * (rng_next(&s) % n));
    }
}

/* Families of near-duplicates (members within 12 bits of their base), half the hashes sharing
 * slice 0 (bytes 0..1 set to 0xabcd), some exact duplicates, queries near family members. */
static void make_clustered(dataset *ds, size_t n, size_t nq, uint64_t seed)
{
    enum { FAMILIES = 40 };
    uint8_t bases[FAMILIES][32];
    uint64_t s = seed;

    dataset_alloc(ds, n, nq);
    for (int f = 0; f < FAMILIES; f++)
        random_hash(&s, bases[f]);
    for (size_t i = 0; i < n; i++) {
        uint8_t *h = ds->hashes + 32 * i;

        if (i % 3 == 0)
            random_hash(&s, h);
        else if (i % 17 == 1 && i > 0)
            memcpy(h, h - 32, 32);
        else
            flip_bits(&s, bases[rng_next(&s) % FAMILIES], (int)(rng_next(&s) % 13), h);
        if (i % 2 == 0) {
            h[0] = 0xcd;
            h[1] = 0xab;
        }
    }
    for (size_t q = 0; q < nq; q++) {
        uint8_t *qh = ds->queries + 32 * q;

        if (q % 4 == 3 || n == 0)
            random_hash(&s, qh);
        else
            flip_bits(&s, ds->hashes + 32 * (rng_next(&s) % n), (int)(rng_next(&s) % 32), qh);
    }
}

/* ---- checking -------------------------------------------------------------------------------- */

static int hit_cmp(const void *a, const void *b)
{
    const cg_index_hit *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

/* Checks hits[from..] against brute force over ds for query q and radius. */
static void check_hits(const dataset *ds, const uint8_t *q, int radius, int with_ids,
                       const cg_index_hits *hits, size_t from, const char *what)
{
    cg_index_hit *want = malloc((ds->n + 1) * sizeof *want);
    cg_index_hit *got = malloc((hits->n - from + 1) * sizeof *got);
    size_t nw = 0, ng = hits->n - from;

    CG_ASSERT(want != NULL && got != NULL);
    for (size_t i = 0; i < ds->n; i++) {
        const int d = distance(q, ds->hashes + 32 * i);

        if (d <= radius) {
            want[nw].id = with_ids ? ds->ids[i] : i;
            want[nw].distance = d;
            nw++;
        }
    }
    if (ng > 0)
        memcpy(got, hits->v + from, ng * sizeof *got);
    qsort(want, nw, sizeof *want, hit_cmp);
    qsort(got, ng, sizeof *got, hit_cmp);
    if (ng != nw)
        cg_test_fail(__FILE__, __LINE__, "%s radius %d: %zu hits, brute force %zu", what, radius,
                     ng, nw);
    for (size_t i = 0; i < nw; i++) {
        if (got[i].id != want[i].id || got[i].distance != want[i].distance)
            cg_test_fail(__FILE__, __LINE__,
                         "%s radius %d: hit %zu is id %" PRIu64 " d %d, want id %" PRIu64 " d %d",
                         what, radius, i, got[i].id, got[i].distance, want[i].id,
                         want[i].distance);
    }
    free(want);
    free(got);
}

static cg_pdq_index *build(const dataset *ds, cg_index_kind kind, int with_ids)
{
    cg_index_options opt = {kind, 0};
    cg_pdq_index *idx = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_pdq_index_build(ds->hashes, with_ids ? ds->ids : NULL, ds->n, &opt, &idx,
                                    &err),
                 &err);
    CG_ASSERT(idx != NULL);
    CG_ASSERT_EQ(cg_pdq_index_count(idx), ds->n);
    if (kind != CG_INDEX_AUTO)
        CG_ASSERT_EQ(cg_pdq_index_kind(idx), kind);
    return idx;
}

/* Runs every query at every radius through the public search and compares. */
static void check_public(const dataset *ds, const cg_pdq_index *idx, const int *radii,
                         size_t nr, int with_ids, const char *what)
{
    cg_index_hits hits = {0};

    for (size_t r = 0; r < nr; r++) {
        for (size_t q = 0; q < ds->nq; q++) {
            hits.n = 0;
            CG_ASSERT_OK(cg_pdq_index_search(idx, ds->queries + 32 * q, radii[r], &hits), NULL);
            check_hits(ds, ds->queries + 32 * q, radii[r], with_ids, &hits, 0, what);
        }
    }
    cg_index_hits_free(&hits);
}

/* Runs queries through a forced path and kernel (the first max_q queries). */
static void check_forced(const dataset *ds, const cg_pdq_index *idx, const int *radii,
                         size_t nr, size_t max_q, int with_ids, cg__index_kernel kernel,
                         cg__index_path path, const char *what)
{
    cg_index_hits hits = {0};

    if (kernel == CG__KERNEL_AVX2 && !cg__index_have_avx2())
        return;
    for (size_t r = 0; r < nr; r++) {
        for (size_t q = 0; q < ds->nq && q < max_q; q++) {
            hits.n = 0;
            CG_ASSERT_OK(cg__pdq_index_search_ex(idx, ds->queries + 32 * q, radii[r], &hits,
                                                 kernel, path),
                         NULL);
            check_hits(ds, ds->queries + 32 * q, radii[r], with_ids, &hits, 0, what);
        }
    }
    cg_index_hits_free(&hits);
}

static const int radii[] = {0, 1, 15, 16, 31, 32, 47, 64, 128, 256};
#define NRADII (sizeof(radii) / sizeof(radii[0]))
static const int small_radii[] = {0, 1, 15, 16, 31, 32, 47};
#define NSMALL (sizeof(small_radii) / sizeof(small_radii[0]))
static const int large_radii[] = {64, 128, 256};
#define NLARGE (sizeof(large_radii) / sizeof(large_radii[0]))

/* ---- PDQ index: recall ----------------------------------------------------------------------- */

CG_TEST(index_recall_uniform_every_kind)
{
    static const cg_index_kind kinds[] = {CG_INDEX_SCAN, CG_INDEX_MIH, CG_INDEX_AUTO};
    dataset ds;

    make_uniform(&ds, 50000, 30, 20, 1);
    for (size_t k = 0; k < 3; k++) {
        cg_pdq_index *idx = build(&ds, kinds[k], 1);

        check_public(&ds, idx, radii, NRADII, 1, "uniform");
        cg_pdq_index_destroy(idx);
    }
    dataset_free(&ds);
}

/* The MIH tables themselves, at every radius (never falling back to the scan), both kernels:
 * the probe enumeration must reach every key within radius / 16 bits, up to all 65536. */
CG_TEST(index_recall_uniform_mih_forced)
{
    dataset ds;
    cg_pdq_index *idx;

    make_uniform(&ds, 50000, 30, 20, 2);
    idx = build(&ds, CG_INDEX_MIH, 1);
    check_forced(&ds, idx, small_radii, NSMALL, 30, 1, CG__KERNEL_BEST, CG__PATH_MIH, "mih");
    check_forced(&ds, idx, small_radii, NSMALL, 8, 1, CG__KERNEL_PORTABLE, CG__PATH_MIH,
                 "mih portable");
    check_forced(&ds, idx, large_radii, NLARGE, 2, 1, CG__KERNEL_BEST, CG__PATH_MIH,
                 "mih large radius");
    cg_pdq_index_destroy(idx);
    dataset_free(&ds);
}

CG_TEST(index_recall_clustered)
{
    static const cg_index_kind kinds[] = {CG_INDEX_SCAN, CG_INDEX_MIH, CG_INDEX_AUTO};
    dataset ds;

    make_clustered(&ds, 20000, 24, 3);
    for (size_t k = 0; k < 3; k++) {
        cg_pdq_index *idx = build(&ds, kinds[k], k != 1);

        check_public(&ds, idx, radii, NRADII, k != 1, "clustered");
        if (kinds[k] == CG_INDEX_MIH) {
            check_forced(&ds, idx, small_radii, NSMALL, 24, 0, CG__KERNEL_BEST, CG__PATH_MIH,
                         "clustered mih");
            check_forced(&ds, idx, small_radii, NSMALL, 6, 0, CG__KERNEL_PORTABLE,
                         CG__PATH_MIH, "clustered mih portable");
            check_forced(&ds, idx, large_radii, NLARGE, 2, 0, CG__KERNEL_BEST, CG__PATH_MIH,
                         "clustered mih large radius");
        }
        cg_pdq_index_destroy(idx);
    }
    dataset_free(&ds);
}

/* Every hash identical: one bucket per table holds everything; each must still come once. */
CG_TEST(index_recall_all_equal)
{
    dataset ds;
    cg_pdq_index *idx;

    make_uniform(&ds, 3000, 4, 0, 4);
    for (size_t i = 1; i < ds.n; i++)
        memcpy(ds.hashes + 32 * i, ds.hashes, 32);
    memcpy(ds.queries, ds.hashes, 32);
    flip_bits(&(uint64_t){5}, ds.hashes, 31, ds.queries + 32);
    flip_bits(&(uint64_t){6}, ds.hashes, 32, ds.queries + 64);
    idx = build(&ds, CG_INDEX_MIH, 1);
    check_forced(&ds, idx, radii, NRADII, 4, 1, CG__KERNEL_BEST, CG__PATH_MIH, "all equal");
    check_public(&ds, idx, radii, NRADII, 1, "all equal");
    cg_pdq_index_destroy(idx);
    dataset_free(&ds);
}

/* Equal lists, hit by hit (field by field: the struct has padding). */
static int same_sequence(const cg_index_hits *a, const cg_index_hits *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].id != b->v[i].id || a->v[i].distance != b->v[i].distance)
            return 0;
    return 1;
}

CG_TEST(index_kernels_agree)
{
    dataset ds;
    cg_pdq_index *idx;

    if (!cg__index_have_avx2())
        CG_SKIP("no AVX2 on this CPU");
    CG_ASSERT_STR_EQ(cg_pdq_index_kernel(), "avx2");
    make_uniform(&ds, 20000, 16, 12, 7);
    idx = build(&ds, CG_INDEX_MIH, 1);
    for (size_t r = 0; r < NRADII; r++) {
        for (size_t q = 0; q < ds.nq; q++) {
            cg_index_hits a = {0}, b = {0}, c = {0}, d = {0};
            const uint8_t *qh = ds.queries + 32 * q;

            CG_ASSERT_OK(cg__pdq_index_search_ex(idx, qh, radii[r], &a, CG__KERNEL_PORTABLE,
                                                 CG__PATH_SCAN), NULL);
            CG_ASSERT_OK(cg__pdq_index_search_ex(idx, qh, radii[r], &b, CG__KERNEL_AVX2,
                                                 CG__PATH_SCAN), NULL);
            /* The scan reports in build order, so the two lists are equal as sequences. */
            CG_ASSERT_EQ(a.n, b.n);
            CG_ASSERT(same_sequence(&a, &b));
            if (radii[r] <= 47) {
                CG_ASSERT_OK(cg__pdq_index_search_ex(idx, qh, radii[r], &c,
                                                     CG__KERNEL_PORTABLE, CG__PATH_MIH), NULL);
                CG_ASSERT_OK(cg__pdq_index_search_ex(idx, qh, radii[r], &d, CG__KERNEL_AVX2,
                                                     CG__PATH_MIH), NULL);
                CG_ASSERT_EQ(c.n, d.n);
                CG_ASSERT_EQ(c.n, a.n);
                CG_ASSERT(same_sequence(&c, &d));
            }
            cg_index_hits_free(&a);
            cg_index_hits_free(&b);
            cg_index_hits_free(&c);
            cg_index_hits_free(&d);
        }
    }
    cg_pdq_index_destroy(idx);
    dataset_free(&ds);
}

/* ---- PDQ index: edges and arguments ---------------------------------------------------------- */

CG_TEST(index_empty_and_single)
{
    static const cg_index_kind kinds[] = {CG_INDEX_SCAN, CG_INDEX_MIH, CG_INDEX_AUTO};
    uint8_t h[32], q[32];
    uint64_t s = 9, id = 4242;

    random_hash(&s, h);
    for (size_t k = 0; k < 3; k++) {
        cg_index_options opt = {kinds[k], 0};
        cg_pdq_index *idx = NULL;
        cg_index_hits hits = {0};

        CG_ASSERT_OK(cg_pdq_index_build(NULL, NULL, 0, &opt, &idx, NULL), NULL);
        CG_ASSERT_EQ(cg_pdq_index_count(idx), 0);
        CG_ASSERT_OK(cg_pdq_index_search(idx, h, 256, &hits), NULL);
        CG_ASSERT_EQ(hits.n, 0);
        if (kinds[k] == CG_INDEX_MIH)
            CG_ASSERT_OK(cg__pdq_index_search_ex(idx, h, 31, &hits, CG__KERNEL_BEST,
                                                 CG__PATH_MIH), NULL);
        CG_ASSERT_EQ(hits.n, 0);
        cg_pdq_index_destroy(idx);

        CG_ASSERT_OK(cg_pdq_index_build(h, &id, 1, &opt, &idx, NULL), NULL);
        CG_ASSERT_EQ(cg_pdq_index_count(idx), 1);
        for (int d = 0; d <= 256; d += 5) {
            flip_bits(&s, h, d, q);
            for (int r = d - 1; r <= d + 1; r++) {
                if (r < 0 || r > 256)
                    continue;
                hits.n = 0;
                CG_ASSERT_OK(cg_pdq_index_search(idx, q, r, &hits), NULL);
                CG_ASSERT_EQ(hits.n, r >= d ? 1 : 0);
                if (hits.n == 1) {
                    CG_ASSERT_EQ(hits.v[0].id, 4242);
                    CG_ASSERT_EQ(hits.v[0].distance, d);
                }
            }
        }
        cg_index_hits_free(&hits);
        cg_pdq_index_destroy(idx);
    }
}

CG_TEST(index_ids_null_or_given)
{
    dataset ds;

    make_uniform(&ds, 5000, 6, 6, 10);
    for (int with_ids = 0; with_ids < 2; with_ids++) {
        cg_pdq_index *scan = build(&ds, CG_INDEX_SCAN, with_ids);
        cg_pdq_index *mih = build(&ds, CG_INDEX_MIH, with_ids);

        check_public(&ds, scan, small_radii, NSMALL, with_ids, "ids scan");
        check_forced(&ds, mih, small_radii, NSMALL, 6, with_ids, CG__KERNEL_BEST, CG__PATH_MIH,
                     "ids mih");
        /* Without ids the index holds 8 bytes less per hash. */
        CG_ASSERT_GE(cg_pdq_index_memory(scan), 32 * ds.n + (with_ids ? 8 * ds.n : 0));
        CG_ASSERT_LT(cg_pdq_index_memory(scan), 32 * ds.n + (with_ids ? 8 * ds.n : 0) + 4096);
        cg_pdq_index_destroy(scan);
        cg_pdq_index_destroy(mih);
    }
    dataset_free(&ds);
}

CG_TEST(index_invalid_arguments)
{
    uint8_t h[32] = {0};
    cg_pdq_index *idx = (cg_pdq_index *)h;
    cg_index_hits hits = {0};
    cg_index_options bad_kind = {(cg_index_kind)7, 0}, bad_radius = {CG_INDEX_MIH, 257};
    cg_error err;

    CG_ASSERT_EQ(cg_pdq_index_build(h, NULL, 1, NULL, NULL, NULL), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_build(NULL, NULL, 3, NULL, &idx, &err), CG_E_INVAL);
    CG_ASSERT(idx == NULL);
    CG_ASSERT_EQ(err.status, CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_build(h, NULL, 1, &bad_kind, &idx, NULL), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_build(h, NULL, 1, &bad_radius, &idx, NULL), CG_E_INVAL);
    CG_ASSERT(idx == NULL);

    CG_ASSERT_OK(cg_pdq_index_build(h, NULL, 1, NULL, &idx, NULL), NULL);
    CG_ASSERT_EQ(cg_pdq_index_search(idx, h, -1, &hits), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_search(idx, h, 257, &hits), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_search(idx, NULL, 3, &hits), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_search(idx, h, 3, NULL), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_index_search(NULL, h, 3, &hits), CG_E_INVAL);
    CG_ASSERT_EQ(hits.n, 0);
    /* A SCAN index has no tables to force. */
    CG_ASSERT_EQ(cg_pdq_index_kind(idx), CG_INDEX_SCAN);
    CG_ASSERT_EQ(cg__pdq_index_search_ex(idx, h, 3, &hits, CG__KERNEL_BEST, CG__PATH_MIH),
                 CG_E_INVAL);
    cg_pdq_index_destroy(idx);
    cg_pdq_index_destroy(NULL);
    cg_index_hits_free(NULL);
    CG_ASSERT_EQ(cg_pdq_index_count(NULL), 0);
    CG_ASSERT_EQ(cg_pdq_index_memory(NULL), 0);
}

CG_TEST(index_hits_reuse_appends)
{
    dataset ds;
    cg_pdq_index *idx;
    cg_index_hits hits = {0};
    size_t first, cap;

    make_uniform(&ds, 4000, 2, 2, 11);
    idx = build(&ds, CG_INDEX_MIH, 1);
    CG_ASSERT_OK(cg_pdq_index_search(idx, ds.queries, 31, &hits), NULL);
    first = hits.n;
    CG_ASSERT_GE(first, 20); /* most planted neighbours at 0..31 (a few overwrote others) */
    CG_ASSERT_OK(cg_pdq_index_search(idx, ds.queries + 32, 31, &hits), NULL);
    check_hits(&ds, ds.queries + 32, 31, 1, &hits, first, "append");
    hits.n = first; /* the first list is intact below */
    check_hits(&ds, ds.queries, 31, 1, &hits, 0, "kept");
    cap = hits.cap;
    for (int i = 0; i < 20; i++) {
        hits.n = 0;
        CG_ASSERT_OK(cg_pdq_index_search(idx, ds.queries, 31, &hits), NULL);
        CG_ASSERT_EQ(hits.n, first);
    }
    CG_ASSERT_EQ(hits.cap, cap);
    cg_index_hits_free(&hits);
    CG_ASSERT(hits.v == NULL && hits.n == 0 && hits.cap == 0);
    cg_pdq_index_destroy(idx);
    dataset_free(&ds);
}

/* A radius above the tuned one scans (exact, slower); the kinds AUTO picks follow the size. */
CG_TEST(index_tuned_radius_and_auto)
{
    dataset ds;
    cg_index_options opt = {CG_INDEX_MIH, 15};
    cg_pdq_index *idx = NULL;
    cg_index_hits hits = {0};

    make_uniform(&ds, 30000, 4, 4, 12);
    CG_ASSERT_OK(cg_pdq_index_build(ds.hashes, NULL, ds.n, &opt, &idx, NULL), NULL);
    CG_ASSERT_EQ(cg__pdq_index_choose_path(idx, 15), CG__PATH_MIH);
    CG_ASSERT_EQ(cg__pdq_index_choose_path(idx, 16), CG__PATH_SCAN);
    check_public(&ds, idx, radii, NRADII, 0, "tuned 15");
    cg_pdq_index_destroy(idx);

    opt.kind = CG_INDEX_AUTO;
    opt.tuned_radius = 0;
    CG_ASSERT_OK(cg_pdq_index_build(ds.hashes, NULL, 100, &opt, &idx, NULL), NULL);
    CG_ASSERT_EQ(cg_pdq_index_kind(idx), CG_INDEX_SCAN);
    cg_pdq_index_destroy(idx);
    CG_ASSERT_OK(cg_pdq_index_build(ds.hashes, NULL, ds.n, &opt, &idx, NULL), NULL);
    CG_ASSERT_EQ(cg_pdq_index_kind(idx), CG_INDEX_MIH);
    CG_ASSERT_EQ(cg__pdq_index_choose_path(idx, 31), CG__PATH_MIH);
    /* MIH's memory: 16 tables of 20 bytes per hash and 65537 offsets, plus the 32-byte array. */
    CG_ASSERT_GE(cg_pdq_index_memory(idx), 352 * ds.n + 16 * 65537 * 4);
    CG_ASSERT_LT(cg_pdq_index_memory(idx), 352 * ds.n + 16 * 65537 * 4 + 4096);
    cg_index_hits_free(&hits);
    cg_pdq_index_destroy(idx);
    dataset_free(&ds);
}

/* ---- exact index ----------------------------------------------------------------------------- */

static void check_exact(size_t width)
{
    enum { N = 3000 };
    uint8_t *v = malloc(N * width);
    uint64_t *ids = malloc(N * sizeof *ids);
    uint64_t s = 13 + width;
    cg_exact_index *idx = NULL;
    cg_index_hits hits = {0};
    cg_error err;

    CG_ASSERT(v != NULL && ids != NULL);
    for (size_t i = 0; i < N; i++) {
        uint8_t h[32];

        random_hash(&s, h);
        /* Every 7th value repeats an earlier one (and so do some of those repeats). */
        if (i % 7 == 3)
            memcpy(v + i * width, v + (rng_next(&s) % i) * width, width);
        else
            memcpy(v + i * width, h, width);
        ids[i] = 5000 + i;
    }
    CG_ASSERT_OK(cg_exact_index_build(v, width, ids, N, &idx, &err), &err);
    CG_ASSERT_EQ(cg_exact_index_count(idx), N);
    CG_ASSERT_GE(cg_exact_index_memory(idx), N * (width + 8));
    for (size_t i = 0; i < N; i++) {
        size_t want = 0;
        int seen_self = 0;

        hits.n = 0;
        CG_ASSERT_OK(cg_exact_index_search(idx, v + i * width, &hits), NULL);
        for (size_t j = 0; j < N; j++)
            want += memcmp(v + i * width, v + j * width, width) == 0;
        CG_ASSERT_EQ(hits.n, want);
        for (size_t k = 0; k < hits.n; k++) {
            const size_t j = hits.v[k].id - 5000;

            CG_ASSERT_LT(j, N);
            CG_ASSERT_EQ(hits.v[k].distance, 0);
            CG_ASSERT(memcmp(v + j * width, v + i * width, width) == 0);
            for (size_t m = 0; m < k; m++)
                CG_ASSERT_NE(hits.v[m].id, hits.v[k].id);
            seen_self |= j == i;
        }
        CG_ASSERT(seen_self);
    }
    /* Absent values, including neighbours of present ones. */
    for (int i = 0; i < 200; i++) {
        uint8_t h[32];

        random_hash(&s, h);
        if (i % 2) {
            memcpy(h, v + (i * 13) * width, width);
            h[width - 1] ^= 1;
        }
        hits.n = 0;
        CG_ASSERT_OK(cg_exact_index_search(idx, h, &hits), NULL);
        CG_ASSERT_EQ(hits.n, 0);
    }
    cg_exact_index_destroy(idx);

    /* Without ids, the id is the position. */
    CG_ASSERT_OK(cg_exact_index_build(v, width, NULL, N, &idx, &err), &err);
    hits.n = 0;
    CG_ASSERT_OK(cg_exact_index_search(idx, v + 10 * width, &hits), NULL);
    CG_ASSERT_GE(hits.n, 1);
    for (size_t k = 0; k < hits.n; k++)
        CG_ASSERT(memcmp(v + hits.v[k].id * width, v + 10 * width, width) == 0);
    cg_exact_index_destroy(idx);
    cg_index_hits_free(&hits);
    free(v);
    free(ids);
}

CG_TEST(index_exact_md5_width16)
{
    check_exact(16);
}

CG_TEST(index_exact_sha256_width32)
{
    check_exact(32);
}

CG_TEST(index_exact_edges)
{
    uint8_t v[64] = {0};
    cg_exact_index *idx = (cg_exact_index *)v;
    cg_index_hits hits = {0};

    CG_ASSERT_EQ(cg_exact_index_build(v, 0, NULL, 1, &idx, NULL), CG_E_INVAL);
    CG_ASSERT(idx == NULL);
    CG_ASSERT_EQ(cg_exact_index_build(v, 65, NULL, 1, &idx, NULL), CG_E_INVAL);
    CG_ASSERT_EQ(cg_exact_index_build(NULL, 16, NULL, 2, &idx, NULL), CG_E_INVAL);
    CG_ASSERT_EQ(cg_exact_index_build(v, 16, NULL, 1, NULL, NULL), CG_E_INVAL);
    CG_ASSERT_OK(cg_exact_index_build(NULL, 16, NULL, 0, &idx, NULL), NULL);
    CG_ASSERT_OK(cg_exact_index_search(idx, v, &hits), NULL);
    CG_ASSERT_EQ(hits.n, 0);
    CG_ASSERT_EQ(cg_exact_index_search(idx, NULL, &hits), CG_E_INVAL);
    CG_ASSERT_EQ(cg_exact_index_search(NULL, v, &hits), CG_E_INVAL);
    cg_exact_index_destroy(idx);
    /* Four copies of one value: all four come back. */
    CG_ASSERT_OK(cg_exact_index_build(v, 16, NULL, 4, &idx, NULL), NULL);
    CG_ASSERT_OK(cg_exact_index_search(idx, v, &hits), NULL);
    CG_ASSERT_EQ(hits.n, 4);
    cg_exact_index_destroy(idx);
    cg_exact_index_destroy(NULL);
    CG_ASSERT_EQ(cg_exact_index_count(NULL), 0);
    cg_index_hits_free(&hits);
}

/* ---- allocation failures --------------------------------------------------------------------- */

typedef cg_status (*op_fn)(void *arg);

/* Every allocation failure of op is handled (cg_test.h). */
#define fail_each_allocation(what, op, arg) ((void)cg_test_fail_each_allocation(what, op, arg, 0))

static cg_status op_pdq_build(void *arg)
{
    const dataset *ds = arg;
    static const cg_index_kind kinds[] = {CG_INDEX_SCAN, CG_INDEX_MIH, CG_INDEX_AUTO};

    for (int k = 0; k < 3; k++) {
        cg_index_options opt = {kinds[k], 0};
        cg_pdq_index *idx = (cg_pdq_index *)ds;
        cg_error err;
        cg_status st = cg_pdq_index_build(ds->hashes, ds->ids, ds->n, &opt, &idx, &err);

        if (st != CG_OK) {
            CG_ASSERT(idx == NULL);
            CG_ASSERT_EQ(err.status, st);
            return st;
        }
        cg_pdq_index_destroy(idx);
    }
    return CG_OK;
}

/* Search results grow the hit list; a failed growth leaves the list as it was. */
static cg_status op_pdq_search(void *arg)
{
    const cg_pdq_index *idx = arg;
    cg_index_hits hits = {0};
    uint8_t q[32] = {0};
    cg_status st = CG_OK;

    for (int r = 0; r <= 256 && st == CG_OK; r += 64) {
        const size_t before = hits.n;

        st = cg_pdq_index_search(idx, q, r, &hits);
        if (st != CG_OK)
            CG_ASSERT_EQ(hits.n, before);
    }
    cg_index_hits_free(&hits);
    return st;
}

static cg_status op_exact(void *arg)
{
    const dataset *ds = arg;
    cg_exact_index *idx = NULL;
    cg_index_hits hits = {0};
    cg_status st = cg_exact_index_build(ds->hashes, 16, ds->ids, ds->n, &idx, NULL);

    if (st != CG_OK) {
        CG_ASSERT(idx == NULL);
        return st;
    }
    for (size_t i = 0; i < ds->n && st == CG_OK; i++)
        st = cg_exact_index_search(idx, ds->hashes + 32 * i, &hits);
    cg_index_hits_free(&hits);
    cg_exact_index_destroy(idx);
    return st;
}

CG_TEST(index_allocation_failures)
{
    dataset ds;
    cg_pdq_index *idx = NULL;

    make_uniform(&ds, 300, 1, 1, 14);
    fail_each_allocation("pdq build", op_pdq_build, &ds);
    fail_each_allocation("exact", op_exact, &ds);
    CG_ASSERT_OK(cg_pdq_index_build(ds.hashes, NULL, ds.n, NULL, &idx, NULL), NULL);
    fail_each_allocation("pdq search", op_pdq_search, idx);
    cg_pdq_index_destroy(idx);
    dataset_free(&ds);
}
