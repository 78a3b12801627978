/* PDQ perceptual hashing, written from the published description of the algorithm:
 *   - "The TMK+PDQF video-hashing algorithm and the PDQ image similarity algorithm"
 *     (Meta, facebook/ThreatExchange hashing.pdf, 2019), and
 *   - the behaviour of the reference command-line hasher, summarised in words in
 *     ../shared/testdata/pdq/ALGORITHM.md.
 *
 * Bit-exactness with the reference needs its float32 arithmetic in its order: this file is
 * compiled with -ffp-contract=off (no fused multiply-add), every running sum below adds and
 * subtracts in the reference's sequence, and divisions stay divisions (a reciprocal multiply
 * would round differently).
 *
 * Pipeline: luma (float32) -> Jarosz filter (two rounds of a centred box mean along rows, then
 * columns; window ceil(dim / 128)) -> decimate to 64x64 by sampling -> quality from gradients ->
 * 16x16 DCT (D * A * D^T, DC row/column dropped) -> threshold at the median -> 256 bits.
 *
 * Speed: the filter is the hot part (four passes over up to 512x512 floats). Each pass is run
 * "across" the data so that the compiler vectorises it: a column pass walks down the rows while
 * updating every column's running sum at once; a row pass is done as a column pass on the
 * transposed plane. Each element still sees exactly the reference's sequence of operations. The
 * last two passes only compute what decimation reads: the last row pass only the 64 sampled
 * columns (their running sums still cover every pixel), the last column pass only those columns.
 *
 * Entry points: cg_pdq_hash_image (photos: 512 resize), cg_pdq_hash_luma (a float plane) and
 * cg_pdq_hash_rgb (RGB24 of any size, no resize: video frames; the same floats as building
 * the plane and calling cg_pdq_hash_luma, without the plane on AVX2 CPUs).
 *
 * On x86 CPUs with AVX2 (checked at run time), pdq_avx2.c replaces luma + filter + decimation
 * with one streaming sweep over 16-row strips that never writes a full plane, and the DCT with a
 * vectorised one; both give the same floats as the code here (the portable path, used
 * elsewhere and at exactly 64x64). */
#include <math.h>
#include <string.h>

#include "childguard/pdq.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hex.h"
#include "hash/pdq_int.h"

#ifdef __wasm_simd128__
/* WebAssembly SIMD builds (the self-hashing page's cghash-simd core, cmake/web.cmake): the row
 * pass's strip transposes move 4x4 blocks through lane shuffles instead of one float at a time
 * (the compiler vectorises the running sums but not the strided copies). Values are only
 * moved, never computed, so the floats are those of the scalar copies. */
#include <wasm_simd128.h>

/* dst[j * dst_stride + i] = src[i * src_stride + j] for a 4x4 block. */
static inline void transpose4(const float *src, size_t src_stride, float *dst, size_t dst_stride)
{
    v128_t r0 = wasm_v128_load(src), r1 = wasm_v128_load(src + src_stride);
    v128_t r2 = wasm_v128_load(src + 2 * src_stride), r3 = wasm_v128_load(src + 3 * src_stride);
    v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
    v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);

    wasm_v128_store(dst, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
    wasm_v128_store(dst + dst_stride, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
    wasm_v128_store(dst + 2 * dst_stride, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
    wasm_v128_store(dst + 3 * dst_stride, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
}
#define CG_PDQ_TRANSPOSE4 1
#endif

#define PDQ_MIN_DIM 5
#define PDQ_RESIZE 512
#define PDQ_PASSES 2
#define STRIP 16 /* rows per row-pass strip */

struct cg_pdq_hasher {
    float *a;           /* luma plane, then filter results */
    float *b;           /* second plane for the passes */
    float *sums;        /* per-column running sums */
    float *strip_in;    /* row-pass strip, transposed (cap_side x STRIP) */
    float *strip_out;
    uint8_t *keep;      /* row-pass output mask (cap_side bytes) */
    size_t cap;         /* floats allocated in a and b */
    size_t sums_cap;    /* floats allocated in sums */
    float dct[16][64];  /* D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)), as float */
    float lut_r[256];   /* 0.299f * v */
    float lut_g[256];   /* 0.587f * v */
    float lut_b[256];   /* 0.114f * v */
    int simd;           /* the AVX2 filter (pdq_avx2.c) runs on this CPU */
    void *fs_col;       /* its scratch: strip buffers (grows with the width) */
    void *fs_row;       /* and the 64-column plane (grows with the height) */
    size_t fs_col_cap, fs_row_cap;
    uint32_t xs[PDQ_RESIZE], ys[PDQ_RESIZE]; /* source column / row per output (hash_image) */
};

/* Readies the AVX2 filter's scratch for a rows x cols plane: 1 when that path runs, 0 when the
 * portable one must (no AVX2, or a plane it does not take), -1 when out of memory. */
static int simd_ready(cg_pdq_hasher *h, size_t rows, size_t cols)
{
    size_t cb, rb;

    if (!h->simd || !cg__pdq_avx2_scratch_bytes(rows, cols, &cb, &rb))
        return 0;
    if (cb > h->fs_col_cap) {
        void *s = cg__malloc(cb);
        if (s == NULL)
            return -1;
        cg__free(h->fs_col);
        h->fs_col = s;
        h->fs_col_cap = cb;
    }
    if (rb > h->fs_row_cap) {
        void *s = cg__malloc(rb);
        if (s == NULL)
            return -1;
        cg__free(h->fs_row);
        h->fs_row = s;
        h->fs_row_cap = rb;
    }
    return 1;
}

static cg_status ensure_capacity(cg_pdq_hasher *h, size_t n, size_t width)
{
    /* sums also serves column_pass across a row-pass strip (STRIP sums) and over the 64
     * sampled columns. (A hasher made on a CPU without AVX2 starts at 512; this matters when
     * the first allocation comes from a small plane.) */
    if (width < 64)
        width = 64;
    if (n > h->cap) {
        float *a = cg__malloc_array(n, sizeof(float));
        float *b = cg__malloc_array(n, sizeof(float));

        if (a == NULL || b == NULL) {
            cg__free(a);
            cg__free(b);
            return CG_E_NOMEM;
        }
        cg__free(h->a);
        cg__free(h->b);
        h->a = a;
        h->b = b;
        h->cap = n;
    }
    if (width > h->sums_cap) {
        float *s = cg__malloc_array(width, sizeof(float));
        float *si = cg__malloc_array(width, STRIP * sizeof(float));
        float *so = cg__malloc_array(width, STRIP * sizeof(float));
        uint8_t *keep = cg__malloc(width);

        if (s == NULL || si == NULL || so == NULL || keep == NULL) {
            cg__free(keep);
            cg__free(s);
            cg__free(si);
            cg__free(so);
            return CG_E_NOMEM;
        }
        cg__free(h->sums);
        cg__free(h->strip_in);
        cg__free(h->strip_out);
        h->sums = s;
        h->strip_in = si;
        h->strip_out = so;
        cg__free(h->keep);
        h->keep = keep;
        h->sums_cap = width;
    }
    return CG_OK;
}

cg_status cg_pdq_hasher_create(cg_pdq_hasher **out)
{
    cg_pdq_hasher *h;
    const float scale = (float)sqrt(2.0 / 64.0); /* float, as the reference holds it */

    *out = NULL;
    h = cg__calloc(1, sizeof(*h));
    if (h == NULL)
        return CG_E_NOMEM;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++)
            h->dct[i][j] = (float)(scale * cos((M_PI / 2.0 / 64.0) * (i + 1) * (2 * j + 1)));
    for (int v = 0; v < 256; v++) {
        h->lut_r[v] = 0.299f * (float)v;
        h->lut_g[v] = 0.587f * (float)v;
        h->lut_b[v] = 0.114f * (float)v;
    }
    h->simd = cg__pdq_avx2_usable();
    if (h->simd ? simd_ready(h, PDQ_RESIZE, PDQ_RESIZE) < 0
                : ensure_capacity(h, (size_t)PDQ_RESIZE * PDQ_RESIZE, PDQ_RESIZE) != CG_OK) {
        cg_pdq_hasher_destroy(h);
        return CG_E_NOMEM;
    }
    *out = h;
    return CG_OK;
}

void cg__pdq_hasher_set_simd(cg_pdq_hasher *h, int on)
{
    h->simd = on && cg__pdq_avx2_usable();
}

void cg_pdq_hasher_destroy(cg_pdq_hasher *h)
{
    if (h == NULL)
        return;
    cg__free(h->a);
    cg__free(h->b);
    cg__free(h->sums);
    cg__free(h->strip_in);
    cg__free(h->strip_out);
    cg__free(h->keep);
    cg__free(h->fs_col);
    cg__free(h->fs_row);
    cg__free(h);
}

/* ---- Jarosz filter -------------------------------------------------------------------------
 * A centred box mean of window w over a vector of n samples, written as the reference does:
 * with half = (w + 2) / 2, the first half - 1 samples are summed without output; then
 * w - half + 1 outputs are written as the window grows; then n - w outputs with a full window
 * (add the right sample, subtract the left one); then half - 1 outputs as the window shrinks.
 * Each output is the running sum divided by the number of samples in it.
 *
 * column_pass runs that recurrence down the rows of a rows x cols plane for the columns listed
 * in cols_idx (or all columns when cols_idx is NULL), every column in lock step. */
static void column_pass(const float *in, float *out, size_t rows, size_t cols, size_t w,
                        float *sums, const int *col_idx, size_t ncol, const uint8_t *row_keep)
{
    const size_t half = (w + 2) / 2;
    const size_t p1 = half - 1, p2 = w - half + 1, p3 = rows - w, p4 = half - 1;
    /* With a full window of a power-of-two size, x / w equals x * (1 / w) exactly (the values
     * are sums of non-negative luma, far from the subnormal range), so the multiply is used. */
    const int pow2 = (w & (w - 1)) == 0;
    const float inv = 1.0f / (float)w;
    size_t ri = 0, li = 0, oi = 0;
    float count = 0.0f;
    int n = 0;

    if (col_idx == NULL) {
        /* All columns: contiguous, vectorised. Rows that row_keep marks 0 are not written (their
         * running sums are still updated). */
        memset(sums, 0, cols * sizeof(float));
        for (size_t r = 0; r < p1; r++, ri++) {
            const float *src = in + ri * cols;
            for (size_t j = 0; j < cols; j++)
                sums[j] += src[j];
            n++;
        }
        for (size_t r = 0; r < p2; r++, ri++, oi++) {
            const float *src = in + ri * cols;
            float *dst = out + oi * cols;
            n++;
            count = (float)n;
            for (size_t j = 0; j < cols; j++) {
                sums[j] += src[j];
                dst[j] = sums[j] / count;
            }
        }
        for (size_t r = 0; r < p3; r++, ri++, li++, oi++) {
            const float *restrict add = in + ri * cols, *restrict sub = in + li * cols;
            float *restrict dst = out + oi * cols;
            float *restrict sm = sums;

            if (row_keep != NULL && !row_keep[oi]) {
                for (size_t j = 0; j < cols; j++) {
                    sm[j] += add[j];
                    sm[j] -= sub[j];
                }
            } else if (pow2) {
                for (size_t j = 0; j < cols; j++) {
                    sm[j] += add[j];
                    sm[j] -= sub[j];
                    dst[j] = sm[j] * inv;
                }
            } else {
                for (size_t j = 0; j < cols; j++) {
                    sm[j] += add[j];
                    sm[j] -= sub[j];
                    dst[j] = sm[j] / count;
                }
            }
        }
        for (size_t r = 0; r < p4; r++, li++, oi++) {
            const float *src = in + li * cols;
            float *dst = out + oi * cols;
            n--;
            count = (float)n;
            for (size_t j = 0; j < cols; j++) {
                sums[j] -= src[j];
                dst[j] = sums[j] / count;
            }
        }
        return;
    }
    /* Only the listed columns (the final pass: decimation reads nothing else). */
    for (size_t k = 0; k < ncol; k++)
        sums[k] = 0.0f;
    for (size_t r = 0; r < p1; r++, ri++) {
        const float *src = in + ri * cols;
        for (size_t k = 0; k < ncol; k++)
            sums[k] += src[col_idx[k]];
        n++;
    }
    for (size_t r = 0; r < p2; r++, ri++, oi++) {
        const float *src = in + ri * cols;
        float *dst = out + oi * cols;
        n++;
        count = (float)n;
        for (size_t k = 0; k < ncol; k++) {
            sums[k] += src[col_idx[k]];
            dst[col_idx[k]] = sums[k] / count;
        }
    }
    for (size_t r = 0; r < p3; r++, ri++, li++, oi++) {
        const float *add = in + ri * cols, *sub = in + li * cols;
        float *dst = out + oi * cols;
        for (size_t k = 0; k < ncol; k++) {
            sums[k] += add[col_idx[k]];
            sums[k] -= sub[col_idx[k]];
            dst[col_idx[k]] = pow2 ? sums[k] * inv : sums[k] / count;
        }
    }
    for (size_t r = 0; r < p4; r++, li++, oi++) {
        const float *sub = in + li * cols;
        float *dst = out + oi * cols;
        n--;
        count = (float)n;
        for (size_t k = 0; k < ncol; k++) {
            sums[k] -= sub[col_idx[k]];
            dst[col_idx[k]] = sums[k] / count;
        }
    }
}

/* The row pass, done as column passes on strips: STRIP rows at a time are transposed into a
 * small buffer (cols x STRIP, in L1/L2 cache), the column recurrence runs over it with STRIP
 * independent running sums side by side (vectorised, and independent chains hide the add
 * latency that makes a plain per-row loop slow), and the result is transposed back. Only the
 * columns listed in keep (or all when keep is NULL) are written back. In WebAssembly SIMD
 * builds a full strip whose width is a multiple of 4 is transposed in 4x4 blocks. */
static void row_pass(cg_pdq_hasher *h, const float *in, float *out, size_t rows, size_t cols,
                     size_t w, const int *keep, size_t nkeep)
{
    float *t_in = h->strip_in, *t_out = h->strip_out;
    uint8_t *keep_mask = NULL;

    if (keep != NULL) {
        keep_mask = h->keep;
        memset(keep_mask, 0, cols);
        for (size_t j = 0; j < nkeep; j++)
            keep_mask[keep[j]] = 1;
    }

    for (size_t r0 = 0; r0 < rows; r0 += STRIP) {
        const size_t k = rows - r0 < STRIP ? rows - r0 : STRIP;
#ifdef CG_PDQ_TRANSPOSE4
        const int blocks = k == STRIP && cols % 4 == 0;
#else
        const int blocks = 0;
#endif

        for (size_t c = 0; c < cols && !blocks; c++) {
            float *dst = t_in + c * STRIP;
            for (size_t r = 0; r < k; r++)
                dst[r] = in[(r0 + r) * cols + c];
            for (size_t r = k; r < STRIP; r++)
                dst[r] = 0.0f;
        }
#ifdef CG_PDQ_TRANSPOSE4
        for (size_t c = 0; c < cols && blocks; c += 4)
            for (size_t r = 0; r < STRIP; r += 4)
                transpose4(in + (r0 + r) * cols + c, cols, t_in + c * STRIP + r, STRIP);
#endif
        column_pass(t_in, t_out, cols, STRIP, w, h->sums, NULL, 0, keep_mask);
#ifdef CG_PDQ_TRANSPOSE4
        if (keep == NULL && blocks) {
            for (size_t c = 0; c < cols; c += 4)
                for (size_t r = 0; r < STRIP; r += 4)
                    transpose4(t_out + c * STRIP + r, STRIP, out + (r0 + r) * cols + c, cols);
            continue;
        }
#endif
        if (keep == NULL) {
            for (size_t r = 0; r < k; r++) {
                float *dst = out + (r0 + r) * cols;
                for (size_t c = 0; c < cols; c++)
                    dst[c] = t_out[c * STRIP + r];
            }
        } else {
            for (size_t r = 0; r < k; r++) {
                float *dst = out + (r0 + r) * cols;
                for (size_t j = 0; j < nkeep; j++)
                    dst[keep[j]] = t_out[(size_t)keep[j] * STRIP + r];
            }
        }
    }
}

/* Decimation: output i samples input floor((i + 0.5) * n / 64), computed in double as the
 * reference does. */
static void sample_positions(size_t n, int pos[64])
{
    for (int i = 0; i < 64; i++)
        pos[i] = (int)(((i + 0.5) * (double)n) / 64.0);
}

/* Runs the filter on h->a (rows x cols) and leaves the 64x64 decimation in out. The reference
 * filters rows (window from the number of columns) then columns (window from the number of
 * rows), twice. In the second round only the sampled columns are needed after the row pass
 * (each still from its full running sum), and the column pass runs on those columns only. */
static void filter_and_decimate(cg_pdq_hasher *h, size_t rows, size_t cols, float out[64][64])
{
    const size_t wr = (cols + 127) / 128; /* window along rows */
    const size_t wc = (rows + 127) / 128; /* window along columns */
    int rpos[64], cpos[64];
    float *a = h->a, *b = h->b;

    sample_positions(rows, rpos);
    sample_positions(cols, cpos);
    if (rows == 64 && cols == 64) {
        memcpy(out, a, sizeof(float) * 64 * 64);
        return;
    }
    row_pass(h, a, b, rows, cols, wr, NULL, 0);
    column_pass(b, a, rows, cols, wc, h->sums, NULL, 0, NULL);
    row_pass(h, a, b, rows, cols, wr, cpos, 64);
    column_pass(b, a, rows, cols, wc, h->sums, cpos, 64, NULL);
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            out[i][j] = a[(size_t)rpos[i] * cols + (size_t)cpos[j]];
}

static int quality_of(float m[64][64])
{
    int sum = 0;

    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            int d = (int)(((m[i][j] - m[i + 1][j]) * 100.0f) / 255.0f);
            sum += d < 0 ? -d : d;
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            int d = (int)(((m[i][j] - m[i][j + 1]) * 100.0f) / 255.0f);
            sum += d < 0 ? -d : d;
        }
    sum /= 90;
    return sum > 100 ? 100 : sum;
}

/* B = D A D^T with float sums over k in increasing order (the reference's order). */
static void dct16(const cg_pdq_hasher *h, float a[64][64], float out[16][16])
{
    float t[16][64];

    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++)
            t[i][j] = 0.0f;
        for (int k = 0; k < 64; k++) {
            const float d = h->dct[i][k];
            for (int j = 0; j < 64; j++)
                t[i][j] += d * a[k][j];
        }
    }
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float s = 0.0f;
            for (int k = 0; k < 64; k++)
                s += t[i][k] * h->dct[j][k];
            out[i][j] = s;
        }
}

/* The 128th smallest of the 256 coefficients (the value Torben's median returns for n = 256),
 * by quickselect on a copy. */
static float median256(const float in[16][16])
{
    float v[256];
    int lo = 0, hi = 255;
    const int k = 127;

    memcpy(v, in, sizeof(v));
    while (lo < hi) {
        float pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;

        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float tmp = v[i];
                v[i] = v[j];
                v[j] = tmp;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

static void bits_above(const float b[16][16], float med, cg_pdq *hash)
{
    for (int i = 0; i < 16; i++) {
        uint16_t w = 0;
        for (int j = 0; j < 16; j++)
            if (b[i][j] > med)
                w |= (uint16_t)(1u << j);
        hash->words[i] = w;
    }
}

/* Dihedral variants from the coefficients alone: mirroring the image negates the coefficients
 * of odd frequency along that axis (the DC-free row/column index u is frequency u + 1, so even
 * u), and transposing the image transposes the coefficients. flip_rows negates where the row
 * index is even, flip_cols where the column index is even. */
static void dihedral_coeffs(const float in[16][16], int transposed, int flip_rows, int flip_cols,
                            float out[16][16])
{
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float v = transposed ? in[j][i] : in[i][j];
            int neg = (flip_rows && (i & 1) == 0) ^ (flip_cols && (j & 1) == 0);
            out[i][j] = neg ? -v : v;
        }
}

/* Quality, DCT and bits from the filtered, decimated 64x64 plane. */
static void hash_decimated(cg_pdq_hasher *h, float m64[64][64], int dihedral, cg_pdq_result *res)
{
    float b16[16][16];
    float med[2][2]; /* median of the untransposed variant [negate rows][negate cols] */

    res->quality = quality_of(m64);
    if (h->simd)
        cg__pdq_dct_avx2((const float(*)[64])h->dct, (const float(*)[64])m64, b16);
    else
        dct16(h, m64, b16);
    med[0][0] = median256(b16);
    bits_above(b16, med[0][0], &res->hash);
    if (dihedral) {
        /* (transposed, negate rows, negate cols) per variant, in cg_pdq_dihedral order. */
        static const int spec[8][3] = {
            {0, 0, 0}, /* original */
            {1, 1, 0}, /* rot90 ccw */
            {0, 1, 1}, /* rot180 */
            {1, 0, 1}, /* rot270 */
            {0, 1, 0}, /* flipX: top and bottom swapped */
            {0, 0, 1}, /* flipY: left and right mirrored */
            {1, 0, 0}, /* flip +1: transpose */
            {1, 1, 1}, /* flip -1: anti-transpose */
        };
        float out[16][16];

        /* A transposed variant holds the same values as the untransposed one with the two
         * negations swapped, and the median (the 128th smallest value) does not depend on the
         * order: four medians serve the eight variants. */
        for (int fr = 0; fr < 2; fr++)
            for (int fc = 0; fc < 2; fc++)
                if (fr || fc) {
                    dihedral_coeffs(b16, 0, fr, fc, out);
                    med[fr][fc] = median256(out);
                }
        res->dihedral[0] = res->hash;
        for (int v = 1; v < 8; v++) {
            const int t = spec[v][0], fr = spec[v][1], fc = spec[v][2];

            dihedral_coeffs(b16, t, fr, fc, out);
            bits_above(out, t ? med[fc][fr] : med[fr][fc], &res->dihedral[v]);
        }
    }
}

static void hash_filtered(cg_pdq_hasher *h, size_t rows, size_t cols, int dihedral,
                          cg_pdq_result *res)
{
    float m64[64][64];

    filter_and_decimate(h, rows, cols, m64);
    hash_decimated(h, m64, dihedral, res);
}

static void clear_result(cg_pdq_result *res)
{
    memset(res, 0, sizeof(*res));
}

cg_status cg_pdq_hash_luma(cg_pdq_hasher *h, const float *luma, uint32_t width, uint32_t height,
                           int dihedral, cg_pdq_result *res)
{
    size_t n = (size_t)width * height;

    clear_result(res);
    if (h == NULL || luma == NULL)
        return CG_E_INVAL;
    if (width < PDQ_MIN_DIM || height < PDQ_MIN_DIM)
        return CG_OK;
    if (width == 64 && height == 64) {
        /* No blur at exactly 64x64: the plane is the decimation. */
        float m64[64][64];

        memcpy(m64, luma, sizeof(m64));
        hash_decimated(h, m64, dihedral, res);
        return CG_OK;
    }
    switch (simd_ready(h, height, width)) {
    case -1:
        return CG_E_NOMEM;
    case 1: {
        cg__pdq_src src = {0};
        float m64[64][64];

        src.luma = luma;
        cg__pdq_filter_avx2(&src, height, width, h->fs_col, h->fs_row, m64);
        hash_decimated(h, m64, dihedral, res);
        return CG_OK;
    }
    default:
        break;
    }
    if (ensure_capacity(h, n, width > height ? width : height) != CG_OK)
        return CG_E_NOMEM;
    memcpy(h->a, luma, n * sizeof(float));
    hash_filtered(h, height, width, dihedral, res);
    return CG_OK;
}

/* Luma of n RGB pixels, float32 in the reference's order ((0.299 R + 0.587 G) + 0.114 B). The
 * three products come from tables (h->lut_*[v] == 0.299f * (float)v exactly, and so on), which
 * gives the same floats as multiplying and avoids int-to-float conversions per pixel. */
static void luma_rgb(const cg_pdq_hasher *h, const uint8_t *restrict p, float *restrict dst,
                     size_t n)
{
    for (size_t j = 0; j < n; j++)
        dst[j] = h->lut_r[p[3 * j]] + h->lut_g[p[3 * j + 1]] + h->lut_b[p[3 * j + 2]];
}

static void luma_grey(const uint8_t *restrict p, float *restrict dst, size_t n)
{
    for (size_t j = 0; j < n; j++)
        dst[j] = (float)p[j];
}

/* Fills h->a with the luma of img, after the reference's nearest-neighbour resize to exactly
 * 512x512 when either side is over 512: source index floor(i * n / 512) per axis. A resized row
 * is first gathered into a contiguous byte row so that the luma loop stays vectorised. */
static void load_luma(cg_pdq_hasher *h, const cg_image *img, size_t rows, size_t cols)
{
    const size_t ch = img->channels;
    const size_t stride = (size_t)img->width * ch;
    uint8_t gathered[PDQ_RESIZE * 3];
    size_t xs[PDQ_RESIZE];

    if (rows == img->height && cols == img->width) {
        if (ch == 1)
            luma_grey(img->pixels, h->a, rows * cols);
        else
            luma_rgb(h, img->pixels, h->a, rows * cols);
        return;
    }
    for (size_t j = 0; j < cols; j++)
        xs[j] = (size_t)((uint64_t)j * img->width / PDQ_RESIZE) * ch;
    for (size_t i = 0; i < rows; i++) {
        const size_t y = (size_t)((uint64_t)i * img->height / PDQ_RESIZE);
        const uint8_t *src = img->pixels + y * stride;

        if (ch == 1) {
            for (size_t j = 0; j < cols; j++)
                gathered[j] = src[xs[j]];
            luma_grey(gathered, h->a + i * cols, cols);
        } else {
            for (size_t j = 0; j < cols; j++) {
                gathered[3 * j] = src[xs[j]];
                gathered[3 * j + 1] = src[xs[j] + 1];
                gathered[3 * j + 2] = src[xs[j] + 2];
            }
            luma_rgb(h, gathered, h->a + i * cols, cols);
        }
    }
}

/* Luma of one output row: source row y, source columns xs[0 .. n - 1]. */
static void luma_row(const cg_pdq_hasher *h, const cg_image *img, size_t y, const uint32_t *xs,
                     size_t n, float *dst)
{
    const size_t ch = img->channels;
    const uint8_t *src = img->pixels + y * img->width * ch;

    for (size_t j = 0; j < n; j++) {
        const uint8_t *p = src + xs[j] * ch;
        dst[j] = ch == 1 ? (float)p[0] : h->lut_r[p[0]] + h->lut_g[p[1]] + h->lut_b[p[2]];
    }
}

cg_status cg_pdq_hash_image(cg_pdq_hasher *h, const cg_image *img, int dihedral,
                            cg_pdq_result *res)
{
    size_t rows, cols;

    clear_result(res);
    if (h == NULL || img == NULL || img->pixels == NULL ||
        (img->channels != 1 && img->channels != 3))
        return CG_E_INVAL;
    if (img->width < PDQ_MIN_DIM || img->height < PDQ_MIN_DIM)
        return CG_OK;
    rows = img->height;
    cols = img->width;
    if (rows > PDQ_RESIZE || cols > PDQ_RESIZE)
        rows = cols = PDQ_RESIZE;
    for (size_t i = 0; i < rows; i++)
        h->ys[i] = rows == img->height ? (uint32_t)i
                                       : (uint32_t)((uint64_t)i * img->height / PDQ_RESIZE);
    for (size_t j = 0; j < cols; j++)
        h->xs[j] = cols == img->width ? (uint32_t)j
                                      : (uint32_t)((uint64_t)j * img->width / PDQ_RESIZE);
    if (rows == 64 && cols == 64) {
        /* No blur at exactly 64x64: the luma plane is the decimation. */
        float m64[64][64];

        for (size_t i = 0; i < 64; i++)
            luma_row(h, img, h->ys[i], h->xs, 64, m64[i]);
        hash_decimated(h, m64, dihedral, res);
        return CG_OK;
    }
    /* The AVX2 sweep keeps byte offsets within a source row in 32 bits. */
    if ((uint64_t)img->width * img->channels < 0x7fffffffu) {
        switch (simd_ready(h, rows, cols)) {
        case -1:
            return CG_E_NOMEM;
        case 1: {
            cg__pdq_src src = {0};
            float m64[64][64];

            src.pixels = img->pixels;
            src.stride = (size_t)img->width * img->channels;
            src.row_bytes = src.stride;
            src.channels = img->channels;
            /* Without a resize the sweep reads rows and columns in order (NULL), and RGB rows
             * take its contiguous loader. */
            src.ys = rows == img->height ? NULL : h->ys;
            src.xs = cols == img->width ? NULL : h->xs;
            cg__pdq_filter_avx2(&src, rows, cols, h->fs_col, h->fs_row, m64);
            hash_decimated(h, m64, dihedral, res);
            return CG_OK;
        }
        default:
            break;
        }
    }
    if (ensure_capacity(h, rows * cols, rows > cols ? rows : cols) != CG_OK)
        return CG_E_NOMEM;
    load_luma(h, img, rows, cols);
    hash_filtered(h, rows, cols, dihedral, res);
    return CG_OK;
}

cg_status cg_pdq_hash_rgb(cg_pdq_hasher *h, const uint8_t *rgb, uint32_t width, uint32_t height,
                          size_t stride, int dihedral, cg_pdq_result *res)
{
    const size_t row_bytes = (size_t)width * 3;

    clear_result(res);
    if (h == NULL || rgb == NULL || stride < row_bytes)
        return CG_E_INVAL;
    if (width < PDQ_MIN_DIM || height < PDQ_MIN_DIM)
        return CG_OK;
    if (width == 64 && height == 64) {
        /* No blur at exactly 64x64: the luma plane is the decimation. */
        float m64[64][64];

        for (size_t i = 0; i < 64; i++)
            luma_rgb(h, rgb + i * stride, m64[i], 64);
        hash_decimated(h, m64, dihedral, res);
        return CG_OK;
    }
    /* The AVX2 sweep reads the pixels in place (luma computed as it loads each strip), with
     * byte offsets within a row in 32 bits. */
    if (row_bytes < 0x7fffffffu) {
        switch (simd_ready(h, height, width)) {
        case -1:
            return CG_E_NOMEM;
        case 1: {
            cg__pdq_src src = {0};
            float m64[64][64];

            src.pixels = rgb;
            src.stride = stride;
            src.row_bytes = row_bytes;
            src.channels = 3;
            cg__pdq_filter_avx2(&src, height, width, h->fs_col, h->fs_row, m64);
            hash_decimated(h, m64, dihedral, res);
            return CG_OK;
        }
        default:
            break;
        }
    }
    if (ensure_capacity(h, (size_t)width * height, width > height ? width : height) != CG_OK)
        return CG_E_NOMEM;
    for (size_t i = 0; i < height; i++)
        luma_rgb(h, rgb + i * stride, h->a + i * width, width);
    hash_filtered(h, height, width, dihedral, res);
    return CG_OK;
}

/* ---- text form and distance ---------------------------------------------------------------- */

void cg_pdq_to_bytes(const cg_pdq *hash, uint8_t out[CG_PDQ_BYTES])
{
    /* One big-endian 256-bit number whose first 16 bits are row 15. */
    for (int i = 0; i < 16; i++) {
        out[(15 - i) * 2] = (uint8_t)(hash->words[i] >> 8);
        out[(15 - i) * 2 + 1] = (uint8_t)(hash->words[i] & 0xff);
    }
}

void cg_pdq_from_bytes(const uint8_t in[CG_PDQ_BYTES], cg_pdq *out)
{
    for (int i = 0; i < 16; i++)
        out->words[i] = (uint16_t)(in[(15 - i) * 2] << 8 | in[(15 - i) * 2 + 1]);
}

void cg_pdq_to_hex(const cg_pdq *hash, char *out)
{
    uint8_t bytes[CG_PDQ_BYTES];

    cg_pdq_to_bytes(hash, bytes);
    cg__hex_encode(bytes, sizeof(bytes), out);
}

cg_status cg_pdq_from_hex(const char *hex, size_t len, cg_pdq *out)
{
    uint8_t bytes[CG_PDQ_BYTES];
    cg_status st;

    st = cg__hex_decode(hex, len, bytes, sizeof(bytes));
    cg_pdq_from_bytes(bytes, out);
    return st;
}

int cg_pdq_distance(const cg_pdq *a, const cg_pdq *b)
{
    uint64_t x[4], y[4];
    int d = 0;

    memcpy(x, a->words, sizeof(x));
    memcpy(y, b->words, sizeof(y));
    for (int i = 0; i < 4; i++)
        d += __builtin_popcountll(x[i] ^ y[i]);
    return d;
}

int cg_pdq_popcount(const cg_pdq *a)
{
    uint64_t x[4];
    int d = 0;

    memcpy(x, a->words, sizeof(x));
    for (int i = 0; i < 4; i++)
        d += __builtin_popcountll(x[i]);
    return d;
}

const char *cg_pdq_dihedral_name(int variant)
{
    static const char *const names[8] = {"original", "rot90",  "rot180",     "rot270",
                                         "flipx",    "flipy",  "flip_plus1", "flip_minus1"};

    return variant >= 0 && variant < 8 ? names[variant] : "?";
}
