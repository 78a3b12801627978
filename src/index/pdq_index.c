/* The PDQ index's public API: building (scan array, then MIH tables when chosen), run-time
 * kernel dispatch, the choice between MIH and scanning per search, and the hit lists.
 *
 * PDQ: Meta, "The TMK+PDQF Video-Hashing Algorithm and the PDQ Image Similarity Algorithm"
 * (2019). MIH: Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with Multi-Index Hashing"
 * (CVPR 2012). docs/index.md describes the structures, the exactness argument and the measured
 * cost model below. */
#include <limits.h>
#include <math.h>
#include <string.h>
#include <threads.h>

#include "common/alloc.h"
#include "common/error.h"
#include "index/index_int.h"

/* Cost model of one search, in nanoseconds, fitted to match_bench on the reference machine
 * (AMD EPYC Zen 3, 2 vCPUs; docs/index.md has the measurements):
 *   - a MIH probe: reading the bucket's two offsets (cache lines shared by nearby keys);
 *   - a non-empty bucket: the miss on its first line of partials (overlapped by prefetching);
 *   - a MIH candidate: 16 bytes of partial streamed and two POPCNT;
 *   - a candidate that passes the partial filter: a random read of the full 32-byte hash;
 *   - a scanned hash: 32 bytes at the single-thread memory bandwidth.
 * The filter pass rate is that of uniform hashes, P(Binomial(128, 1/2) <= radius - t): it is
 * what makes MIH lose at large radii (half the candidates pass at radius 63). MIH must also win
 * by a margin (COST_MIH_MARGIN): where the two are close the scan's cost is the predictable one. */
#define COST_PROBE_NS 5.0
#define COST_BUCKET_NS 50.0
#define COST_CANDIDATE_NS 2.5
#define COST_VERIFY_NS 150.0
#define COST_SCAN_NS 1.8
#define COST_MIH_MARGIN 0.7

/* ---- kernel dispatch ------------------------------------------------------------------------ */

static once_flag kernel_once = ONCE_FLAG_INIT;
static int kernel_avx2; /* written once under kernel_once, read-only afterwards */

static void kernel_resolve(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    kernel_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#else
    kernel_avx2 = 0;
#endif
}

int cg__index_have_avx2(void)
{
    call_once(&kernel_once, kernel_resolve);
    return kernel_avx2;
}

const char *cg_pdq_index_kernel(void)
{
    return cg__index_have_avx2() ? "avx2" : "portable";
}

/* ---- hits ------------------------------------------------------------------------------------ */

cg_status cg__hits_grow(cg_index_hits *hits)
{
    const size_t cap = hits->cap ? hits->cap * 2 : 64;
    cg_index_hit *v;

    if (cap < hits->cap || cap > SIZE_MAX / sizeof *v)
        return CG_E_NOMEM;
    v = cg__realloc(hits->v, cap * sizeof *v);
    if (v == NULL)
        return CG_E_NOMEM;
    hits->v = v;
    hits->cap = cap;
    return CG_OK;
}

void cg_index_hits_free(cg_index_hits *hits)
{
    if (hits == NULL)
        return;
    cg__free(hits->v);
    hits->v = NULL;
    hits->n = 0;
    hits->cap = 0;
}

/* ---- cost model ------------------------------------------------------------------------------ */

/* Number of 16-bit masks with at most t bits set. */
static double masks_within(int t)
{
    double c = 1.0, sum = 0.0;

    for (int k = 0; k <= t && k <= 16; k++) {
        sum += c;
        c = c * (16 - k) / (k + 1);
    }
    return sum;
}

/* P(Binomial(128, 1/2) <= k): the chance that a random candidate's 128 partial bits are
 * within k of the query's. */
static double partial_pass_rate(int k)
{
    double c = 0x1p-128, sum = 0.0;

    for (int i = 0; i <= k && i <= 128; i++) {
        sum += c;
        c = c * (128 - i) / (i + 1);
    }
    return sum;
}

/* 1 when MIH is expected to beat scanning n hashes at this radius. */
static int mih_pays(size_t n, int radius)
{
    const int t = radius / 16;
    const double probes = CG__MIH_SLICES * masks_within(t);
    const double candidates = probes * (double)n / CG__MIH_KEYS;
    const double nonempty = 1.0 - exp(-(double)n / CG__MIH_KEYS); /* Poisson bucket sizes */
    const double mih = probes * (COST_PROBE_NS + nonempty * COST_BUCKET_NS) +
                       candidates * (COST_CANDIDATE_NS +
                                     partial_pass_rate(radius - t) * COST_VERIFY_NS);

    return mih < COST_MIH_MARGIN * (double)n * COST_SCAN_NS;
}

cg__index_path cg__pdq_index_choose_path(const cg_pdq_index *idx, int radius)
{
    if (idx->kind != CG_INDEX_MIH || radius > idx->tuned_radius || !mih_pays(idx->n, radius))
        return CG__PATH_SCAN;
    return CG__PATH_MIH;
}

/* ---- build ----------------------------------------------------------------------------------- */

cg_status cg_pdq_index_build(const uint8_t *hashes, const uint64_t *ids, size_t n,
                             const cg_index_options *opt, cg_pdq_index **out, cg_error *err)
{
    cg_index_kind kind = opt ? opt->kind : CG_INDEX_AUTO;
    int tuned = opt && opt->tuned_radius ? opt->tuned_radius : CG_INDEX_DEFAULT_RADIUS;
    cg_pdq_index *idx = NULL;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "pdq index: no output pointer");
    *out = NULL;
    if (hashes == NULL && n > 0)
        return cg__fail(err, CG_E_INVAL, "pdq index: %zu hashes but no array", n);
    if (kind != CG_INDEX_AUTO && kind != CG_INDEX_SCAN && kind != CG_INDEX_MIH)
        return cg__fail(err, CG_E_INVAL, "pdq index: unknown kind %d", (int)kind);
    if (tuned < 0 || tuned > 256)
        return cg__fail(err, CG_E_INVAL, "pdq index: tuned radius %d outside 0..256", tuned);
    if (n > UINT32_MAX || n > SIZE_MAX / 32)
        return cg__fail(err, CG_E_LIMIT, "pdq index: %zu hashes (at most %u)", n,
                        (unsigned)UINT32_MAX);
    if (kind == CG_INDEX_AUTO)
        kind = mih_pays(n, tuned) ? CG_INDEX_MIH : CG_INDEX_SCAN;

    idx = cg__calloc(1, sizeof *idx);
    if (idx == NULL)
        goto nomem;
    idx->kind = kind;
    idx->tuned_radius = tuned;
    idx->n = n;
    idx->memory = sizeof *idx;
    idx->hashes = cg__malloc_array(n, 32);
    if (idx->hashes == NULL)
        goto nomem;
    if (n > 0)
        memcpy(idx->hashes, hashes, 32 * n); /* host-order words: distances do not care */
    idx->memory += 32 * n;
    if (ids != NULL) {
        idx->ids = cg__malloc_array(n, sizeof *ids);
        if (idx->ids == NULL)
            goto nomem;
        if (n > 0)
            memcpy(idx->ids, ids, n * sizeof *ids);
        idx->memory += n * sizeof *ids;
    }
    if (kind == CG_INDEX_MIH) {
        st = cg__mih_build(idx);
        if (st == CG_E_NOMEM)
            goto nomem;
        if (st != CG_OK) {
            cg_pdq_index_destroy(idx);
            return cg__fail(err, st, "pdq index: %zu hashes are too many for MIH here", n);
        }
    }
    *out = idx;
    return CG_OK;
nomem:
    cg_pdq_index_destroy(idx);
    return cg__fail(err, CG_E_NOMEM, "pdq index: out of memory building %zu hashes", n);
}

void cg_pdq_index_destroy(cg_pdq_index *idx)
{
    if (idx == NULL)
        return;
    cg__mih_free(idx);
    cg__free(idx->ids);
    cg__free(idx->hashes);
    cg__free(idx);
}

/* ---- search ---------------------------------------------------------------------------------- */

cg_status cg__pdq_index_search_ex(const cg_pdq_index *idx, const uint8_t *query, int radius,
                                  cg_index_hits *hits, cg__index_kernel kernel,
                                  cg__index_path path)
{
    const size_t n0 = hits ? hits->n : 0;
    uint64_t q[4];
    cg_status st;

    if (idx == NULL || query == NULL || hits == NULL || radius < 0 || radius > 256)
        return CG_E_INVAL;
    if (kernel == CG__KERNEL_BEST)
        kernel = cg__index_have_avx2() ? CG__KERNEL_AVX2 : CG__KERNEL_PORTABLE;
    if (kernel == CG__KERNEL_AVX2 && !cg__index_have_avx2())
        return CG_E_INVAL;
    if (path == CG__PATH_AUTO)
        path = cg__pdq_index_choose_path(idx, radius);
    if (path == CG__PATH_MIH && idx->kind != CG_INDEX_MIH)
        return CG_E_INVAL;
    memcpy(q, query, sizeof q);
    if (path == CG__PATH_MIH)
        st = kernel == CG__KERNEL_AVX2 ? cg__mih_search_avx2(idx, q, radius, hits)
                                       : cg__mih_search_portable(idx, q, radius, hits);
    else
        st = kernel == CG__KERNEL_AVX2 ? cg__scan_avx2(idx, q, radius, hits)
                                       : cg__scan_portable(idx, q, radius, hits);
    if (st != CG_OK)
        hits->n = n0; /* all or nothing: no partial result list */
    return st;
}

cg_status cg_pdq_index_search(const cg_pdq_index *idx, const uint8_t *query, int radius,
                              cg_index_hits *hits)
{
    return cg__pdq_index_search_ex(idx, query, radius, hits, CG__KERNEL_BEST, CG__PATH_AUTO);
}

size_t cg_pdq_index_count(const cg_pdq_index *idx)
{
    return idx ? idx->n : 0;
}

cg_index_kind cg_pdq_index_kind(const cg_pdq_index *idx)
{
    return idx ? idx->kind : CG_INDEX_AUTO;
}

size_t cg_pdq_index_memory(const cg_pdq_index *idx)
{
    return idx ? idx->memory : 0;
}
