/* PDQ's luma + Jarosz filter + 64x64 decimation in one streaming sweep, and the DCT, with AVX2
 * (chosen at run time by pdq.c; the portable code there is the fallback).
 *
 * Same arithmetic as the portable path (and the reference): every output element sees the same
 * float32 operations in the same order (running sums start at 0, add the entering sample, then
 * subtract the leaving one; each output is sum / count, or sum * (1 / w) for a full
 * power-of-two window, which is exact). The vectors only put independent elements side by
 * side; nothing is reassociated. Compiled with -ffp-contract=off, and the target attribute
 * enables AVX2 only (not FMA).
 *
 * Layout. The image is processed in strips of S = 16 rows. A row pass (along a row) needs one
 * running sum per row, so it runs on the strip "transposed" (T layout: for each column, the S
 * rows' values side by side, 2 vectors): the recurrence advances column by column. A column
 * pass runs on row-major rows with one running sum per column, 8 columns per vector. 8x8
 * register transposes switch between the two.
 *
 *   luma (loaded straight into T layout from the source rows, nearest-neighbour resize
 *   included: one 4-byte load per pixel, assembled into vectors; RGB without a resize, as
 *   cg_pdq_hash_rgb gives for video frames: 8 contiguous pixels a row, then an 8x8 transpose)
 *   -> row pass 1 (T) ->
 *   transpose -> ring of row-major rows -> column pass 1, 8 rows at a time, each 8x8 block
 *   transposed back into T layout -> row pass 2 on the strip, which keeps every running sum but
 *   writes only the 64 sampled columns -> transpose -> a 64-wide row-major plane -> column
 *   pass 2 on those 64 columns, writing only the 64 sampled rows.
 *
 * Row pass 2 of a strip runs in the same loop as row pass 1 of the next strip (row_pass_dual):
 * each is a latency-bound recurrence with only 2 vector chains, so side by side they cost
 * little more than one.
 *
 * A strip's buffers (4 x 32 KiB at 512 columns) and the 32-row ring (64 KiB) stay in L2; the
 * 512x512 planes of the portable path are never written.
 *
 * Measured and dropped (bench/RESULTS.md, 2026-11-29): AVX2 gathers for the pixel loads (slower
 * than scalar loads here), software prefetch of the next strip's source rows, the next strip's
 * luma computed inside row pass 1, strips of 8 or 32 rows, row-by-row luma then transposes, and
 * column pass 1 done block by block right after the ring transposes: each was slower or no
 * faster on this machine (AMD Zen 3). Row-by-row luma then transposes does win without a
 * resize (contiguous pixels: luma_rows_rgb, 15-20 % faster at 1080p than per-pixel loads);
 * 32-row strips stay slower there too. */
#include "hash/pdq_int.h"

#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(CG_PDQ_NO_SIMD)
#define CG_PDQ_AVX2 1
#else
#define CG_PDQ_AVX2 0
#endif

#if !CG_PDQ_AVX2

int cg__pdq_avx2_usable(void)
{
    return 0;
}

int cg__pdq_avx2_scratch_bytes(size_t rows, size_t cols, size_t *col_bytes, size_t *row_bytes)
{
    (void)rows;
    (void)cols;
    *col_bytes = *row_bytes = 0;
    return 0;
}

void cg__pdq_dct_avx2(const float d[16][64], const float a[64][64], float out[16][16])
{
    (void)d;
    (void)a;
    (void)out;
}

void cg__pdq_filter_avx2(const cg__pdq_src *src, size_t rows, size_t cols, void *col_scratch,
                         void *row_scratch, float out[64][64])
{
    (void)src;
    (void)rows;
    (void)cols;
    (void)col_scratch;
    (void)row_scratch;
    (void)out;
}

#else

#include <immintrin.h>

#define TARGET __attribute__((target("avx2")))
#define SV 2          /* vectors per strip column */
#define S (8 * SV)    /* rows per strip */
#define ALIGN 64

int cg__pdq_avx2_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

/* A centred box of window w over n samples, as the reference runs it: p1 samples summed
 * without output, p2 outputs as the window grows, p3 with the full window, p4 as it shrinks. */
typedef struct win {
    size_t n, w, p1, p2, p3, p4;
    int pow2;
    float inv;
} win;

static void win_init(win *x, size_t n, size_t w)
{
    const size_t half = (w + 2) / 2;

    x->n = n;
    x->w = w;
    x->p1 = half - 1;
    x->p2 = w - half + 1;
    x->p3 = n - w;
    x->p4 = half - 1;
    x->pow2 = (w & (w - 1)) == 0;
    x->inv = 1.0f / (float)w;
}

/* How output oi of a column pass is formed: the row it adds (or -1), the row it subtracts (or
 * -1), and its divisor: mode 1 multiplies by 1 / w (full power-of-two window), mode 2 divides
 * by count. */
typedef struct vstep {
    long add, sub;
    int mode;
    float count;
} vstep;

static void vstep_of(const win *x, size_t oi, vstep *st)
{
    const size_t a = oi + x->p1;
    const size_t hi = a < x->n ? a : x->n - 1;
    const size_t lo = oi >= x->p2 ? oi - x->p2 + 1 : 0;

    st->add = a < x->n ? (long)a : -1;
    st->sub = oi >= x->p2 ? (long)(oi - x->p2) : -1;
    st->count = (float)(hi + 1 - lo);
    st->mode = (x->pow2 && oi >= x->p2 && oi < x->p2 + x->p3) ? 1 : 2;
}

typedef struct plan {
    size_t rows, cols, cp, nr, rp;
    win wr, wc; /* along rows (n = cols), along columns (n = rows) */
    int rpos[65], cpos[65];
    size_t csafe;        /* columns whose 4-byte word stays inside the source row */
    float *lt, *ht, *v1t[2], *ring, *sums, *h2t, *h2;
    int32_t *xo;
} plan;

static size_t round_up(size_t v, size_t m)
{
    return (v + m - 1) / m * m;
}

static size_t ring_rows(size_t rows)
{
    const size_t need = S + (rows + 127) / 128 + 8;
    size_t nr = 1;

    while (nr < need)
        nr *= 2;
    return nr;
}

/* Scratch regions, each rounded to ALIGN bytes: the column block (strip buffers, ring, sums,
 * column offsets) and the row block (the 64-wide plane after row pass 2). */
static void layout(plan *p, size_t rows, size_t cols, char *cbase, char *rbase, size_t *cbytes,
                   size_t *rbytes)
{
    const size_t cp = round_up(cols, 8), nr = ring_rows(rows), rp = round_up(rows, S);
    const size_t sizes[8] = {cp * S, cp * S, cp * S, cp * S, nr * cp, cp, 64 * S, cp};
    float **dst[7] = {&p->lt, &p->ht, &p->v1t[0], &p->v1t[1], &p->ring, &p->sums, &p->h2t};
    size_t off = 0;

    if (cbase != NULL)
        off = (size_t)(-(uintptr_t)cbase & (ALIGN - 1));
    for (int i = 0; i < 8; i++) {
        if (cbase != NULL) {
            if (i < 7)
                *dst[i] = (float *)(void *)(cbase + off);
            else
                p->xo = (int32_t *)(void *)(cbase + off);
        }
        off += round_up(sizes[i] * 4, ALIGN);
    }
    if (rbase != NULL)
        p->h2 = (float *)(void *)(rbase + (size_t)(-(uintptr_t)rbase & (ALIGN - 1)));
    p->cp = cp;
    p->nr = nr;
    p->rp = rp;
    *cbytes = off + ALIGN;
    *rbytes = rp * 64 * 4 + ALIGN;
}

int cg__pdq_avx2_scratch_bytes(size_t rows, size_t cols, size_t *col_bytes, size_t *row_bytes)
{
    plan p;

    *col_bytes = *row_bytes = 0;
    if (rows > (1u << 20) || cols > (1u << 20))
        return 0;
    layout(&p, rows, cols, NULL, NULL, col_bytes, row_bytes);
    return 1;
}

static void sample_positions(size_t n, int pos[65])
{
    for (int i = 0; i < 64; i++)
        pos[i] = (int)(((i + 0.5) * (double)n) / 64.0);
    pos[64] = -1; /* sentinel: never an output index */
}

TARGET static inline void transpose8(__m256 r[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);

    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

TARGET static inline __m128i load32(const uint8_t *p)
{
    int32_t v;

    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}

/* Luma of 8 pixels from their 4-byte words (R, G, B in the low three bytes; grey in the low
 * byte): (0.299 R + 0.587 G) + 0.114 B in float32, the reference's order, or the grey value. */
TARGET static inline __m256 luma8(__m256i px, int grey)
{
    const __m256i m8 = _mm256_set1_epi32(0xff);
    const __m256 fr = _mm256_cvtepi32_ps(_mm256_and_si256(px, m8));

    if (grey)
        return fr;
    {
        const __m256 fg = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(px, 8), m8));
        const __m256 fb = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(px, 16), m8));

        return _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(0.299f), fr),
                                           _mm256_mul_ps(_mm256_set1_ps(0.587f), fg)),
                             _mm256_mul_ps(_mm256_set1_ps(0.114f), fb));
    }
}

/* d[c * S + i] = luma of the pixel whose word is at q[i] + xo[c], for c < n and i < 8: one
 * 4-byte load per pixel (an AVX2 gather is slower here), assembled in registers. */
TARGET static inline void luma_cols(const uint8_t *const q[8], const int32_t *xo, size_t n,
                                    float *d, int grey)
{
    const uint8_t *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3];
    const uint8_t *q4 = q[4], *q5 = q[5], *q6 = q[6], *q7 = q[7];

    for (size_t c = 0; c < n; c++, d += S) {
        const size_t x = (size_t)xo[c];
        const __m128i a0 = _mm_unpacklo_epi32(load32(q0 + x), load32(q1 + x));
        const __m128i a1 = _mm_unpacklo_epi32(load32(q2 + x), load32(q3 + x));
        const __m128i a2 = _mm_unpacklo_epi32(load32(q4 + x), load32(q5 + x));
        const __m128i a3 = _mm_unpacklo_epi32(load32(q6 + x), load32(q7 + x));
        const __m128i lo = _mm_unpacklo_epi64(a0, a1), hi = _mm_unpacklo_epi64(a2, a3);

        _mm256_store_ps(d, luma8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), grey));
    }
}

TARGET static void luma_cols_rgb(const uint8_t *const q[8], const int32_t *xo, size_t n,
                                       float *d)
{
    luma_cols(q, xo, n, d, 0);
}

TARGET static void luma_cols_grey(const uint8_t *const q[8], const int32_t *xo, size_t n,
                                        float *d)
{
    luma_cols(q, xo, n, d, 1);
}

/* RGB24 without a resize (video frames): 8 rows x 8 consecutive pixels at a time. Each row's
 * 24 bytes come in with two overlapping 16-byte loads (bytes 0..15 for pixels 0..3, bytes
 * 8..23 for pixels 4..7: nothing past the 8th pixel is read), one byte shuffle spreads the
 * pixels into 32-bit lanes (R, G, B, 0), luma8 forms the luma, and an 8x8 transpose puts the
 * block into T layout. Fewer loads and shuffles than luma_cols, which assembles each vector
 * from 8 single-pixel loads because its columns are scattered. d[c * S + i] for rows q[0..7]
 * and columns c < n8 (a multiple of 8). */
TARGET static void luma_rows_rgb(const uint8_t *const q[8], size_t n8, float *d)
{
    const __m256i m = _mm256_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1, 4,
                                       5, 6, -1, 7, 8, 9, -1, 10, 11, 12, -1, 13, 14, 15, -1);

    for (size_t c = 0; c < n8; c += 8) {
        __m256 r[8];

        for (int i = 0; i < 8; i++) {
            const uint8_t *p = q[i] + 3 * c;
            const __m256i px = _mm256_loadu2_m128i((const __m128i *)(const void *)(p + 8),
                                                   (const __m128i *)(const void *)p);

            r[i] = luma8(_mm256_shuffle_epi8(px, m), 0);
        }
        transpose8(r);
        for (int i = 0; i < 8; i++)
            _mm256_store_ps(d + (c + (size_t)i) * S, r[i]);
    }
}

/* Luma of strip rows r0 .. r0 + S - 1 into p->lt (T layout). Rows past the end repeat the last
 * row (their lanes are never read back into a result). */
/* Source row pointers of strip r0 (rows past the end repeat the last one). */
static void strip_rows(const cg__pdq_src *src, const plan *p, size_t r0, const uint8_t *rowp[S])
{
    for (size_t k = 0; k < S; k++) {
        const size_t r = r0 + k < p->rows ? r0 + k : p->rows - 1;
        rowp[k] = src->pixels + (src->ys != NULL ? (size_t)src->ys[r] : r) * src->stride;
    }
}

TARGET static void luma_strip(const cg__pdq_src *src, const plan *p, size_t r0, float *lt)
{
    int32_t off[S];
    __m256i vo[SV];

    if (src->luma != NULL) {
        const float *base = src->luma + r0 * p->cols;

        for (size_t k = 0; k < S; k++) {
            const size_t r = r0 + k < p->rows ? r0 + k : p->rows - 1;
            off[k] = (int32_t)((r - r0) * p->cols);
        }
        for (int v = 0; v < SV; v++)
            vo[v] = _mm256_loadu_si256((const __m256i *)(const void *)(off + 8 * v));
        for (size_t c = 0; c < p->cols; c++)
            for (int v = 0; v < SV; v++)
                _mm256_store_ps(lt + c * S + 8 * v, _mm256_i32gather_ps(base + c, vo[v], 4));
        return;
    }

    const uint8_t *rowp[S];
    strip_rows(src, p, r0, rowp);
    if (src->xs == NULL && src->channels == 3) {
        /* No resize: contiguous pixels, 8 columns at a time, then the last few by bytes. */
        const size_t n8 = p->cols / 8 * 8;

        for (size_t k8 = 0; k8 < S; k8 += 8)
            luma_rows_rgb(rowp + k8, n8, lt + k8);
        for (size_t c = n8; c < p->cols; c++)
            for (size_t k = 0; k < S; k++) {
                const uint8_t *q = rowp[k] + 3 * c;
                lt[c * S + k] = 0.299f * (float)q[0] + 0.587f * (float)q[1] + 0.114f * (float)q[2];
            }
        return;
    }
    for (size_t k8 = 0; k8 < S; k8 += 8) {
        if (src->channels == 1)
            luma_cols_grey(rowp + k8, p->xo, p->csafe, lt + k8);
        else
            luma_cols_rgb(rowp + k8, p->xo, p->csafe, lt + k8);
    }
    /* The last column or three: byte loads. */
    for (size_t c = p->csafe; c < p->cols; c++)
        for (size_t k = 0; k < S; k++) {
            const uint8_t *q = rowp[k] + p->xo[c];
            lt[c * S + k] = src->channels == 1
                                ? (float)q[0]
                                : 0.299f * (float)q[0] + 0.587f * (float)q[1] + 0.114f * (float)q[2];
        }
}

/* Row pass 1 on a strip: every output column. */
TARGET static void row_pass_all(const float *in, float *out, const win *xp)
{
    const win xw = *xp; /* locals: vector stores may alias anything */
    const win *x = &xw;
    __m256 s[SV];
    const float *a = in, *b = in;
    float *o = out;

    for (int v = 0; v < SV; v++)
        s[v] = _mm256_setzero_ps();
    for (size_t k = 0; k < x->p1; k++, a += S)
        for (int v = 0; v < SV; v++)
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
    for (size_t k = 0; k < x->p2; k++, a += S, o += S) {
        const __m256 cnt = _mm256_set1_ps((float)(x->p1 + k + 1));
        for (int v = 0; v < SV; v++) {
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
            _mm256_store_ps(o + 8 * v, _mm256_div_ps(s[v], cnt));
        }
    }
    if (x->pow2) {
        const __m256 iv = _mm256_set1_ps(x->inv);
        for (size_t k = 0; k < x->p3; k++, a += S, b += S, o += S) {
            for (int v = 0; v < SV; v++) {
                s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
                s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
                _mm256_store_ps(o + 8 * v, _mm256_mul_ps(s[v], iv));
            }
        }
    } else {
        const __m256 cnt = _mm256_set1_ps((float)x->w);
        for (size_t k = 0; k < x->p3; k++, a += S, b += S, o += S) {
            for (int v = 0; v < SV; v++) {
                s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
                s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
                _mm256_store_ps(o + 8 * v, _mm256_div_ps(s[v], cnt));
            }
        }
    }
    for (size_t k = 0; k < x->p4; k++, b += S, o += S) {
        const __m256 cnt = _mm256_set1_ps((float)(x->w - 1 - k));
        for (int v = 0; v < SV; v++) {
            s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
            _mm256_store_ps(o + 8 * v, _mm256_div_ps(s[v], cnt));
        }
    }
}

/* Writes the current output (sum / cnt, or sum * inv when mul) to every sampled column j with
 * pos[j] == oi; j advances past them. */
#define EMIT_SAMPLED(oi, mulv, divv, use_mul)                                                      \
    do {                                                                                           \
        if (pos[j] == (int)(oi)) {                                                                 \
            __m256 q_[SV];                                                                         \
            for (int v = 0; v < SV; v++)                                                           \
                q_[v] = (use_mul) ? _mm256_mul_ps(s[v], (mulv)) : _mm256_div_ps(s[v], (divv));     \
            do {                                                                                   \
                for (int v = 0; v < SV; v++)                                                       \
                    _mm256_store_ps(out + (size_t)j * S + 8 * v, q_[v]);                           \
                j++;                                                                               \
            } while (pos[j] == (int)(oi));                                                         \
        }                                                                                          \
    } while (0)

/* Row pass 2 on a strip: every running sum, but outputs only at the sampled columns, into
 * out[j * S ...] for j = 0..63. */
TARGET static void row_pass_sampled(const float *in, float *out, const win *xp, const int *pos)
{
    const win xw = *xp; /* locals: vector stores may alias anything */
    const win *x = &xw;
    __m256 s[SV];
    const float *a = in, *b = in;
    size_t oi = 0;
    int j = 0;
    const __m256 iv = _mm256_set1_ps(x->inv), cw = _mm256_set1_ps((float)x->w);

    for (int v = 0; v < SV; v++)
        s[v] = _mm256_setzero_ps();
    for (size_t k = 0; k < x->p1; k++, a += S)
        for (int v = 0; v < SV; v++)
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
    for (size_t k = 0; k < x->p2; k++, a += S, oi++) {
        const __m256 cnt = _mm256_set1_ps((float)(x->p1 + k + 1));
        for (int v = 0; v < SV; v++)
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
        EMIT_SAMPLED(oi, iv, cnt, 0);
    }
    for (size_t k = 0; k < x->p3; k++, a += S, b += S, oi++) {
        for (int v = 0; v < SV; v++) {
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
            s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
        }
        EMIT_SAMPLED(oi, iv, cw, x->pow2);
    }
    for (size_t k = 0; k < x->p4; k++, b += S, oi++) {
        const __m256 cnt = _mm256_set1_ps((float)(x->w - 1 - k));
        for (int v = 0; v < SV; v++)
            s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
        EMIT_SAMPLED(oi, iv, cnt, 0);
    }
}

/* Row pass 1 of one strip (in1 -> out1, every column) and row pass 2 of an earlier strip (in ->
 * out, sampled columns) in one loop: each alone is a latency-bound recurrence (SV chains), so
 * side by side they run in about the time of one. Same operations per element as row_pass_all
 * and row_pass_sampled. */
TARGET static void row_pass_dual(const float *in1, float *out1, const float *in, float *out,
                                       const win *xp, const int *pos)
{
    const win xw = *xp; /* locals: vector stores may alias anything */
    const win *x = &xw;
    __m256 s[SV], u[SV];
    const float *a = in, *b = in, *a1 = in1, *b1 = in1;
    float *o = out1;
    size_t oi = 0;
    int j = 0;
    const __m256 iv = _mm256_set1_ps(x->inv), cw = _mm256_set1_ps((float)x->w);

    for (int v = 0; v < SV; v++)
        s[v] = u[v] = _mm256_setzero_ps();
    for (size_t k = 0; k < x->p1; k++, a += S, a1 += S)
        for (int v = 0; v < SV; v++) {
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
            u[v] = _mm256_add_ps(u[v], _mm256_load_ps(a1 + 8 * v));
        }
    for (size_t k = 0; k < x->p2; k++, a += S, a1 += S, o += S, oi++) {
        const __m256 cnt = _mm256_set1_ps((float)(x->p1 + k + 1));
        for (int v = 0; v < SV; v++) {
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
            u[v] = _mm256_add_ps(u[v], _mm256_load_ps(a1 + 8 * v));
            _mm256_store_ps(o + 8 * v, _mm256_div_ps(u[v], cnt));
        }
        EMIT_SAMPLED(oi, iv, cnt, 0);
    }
    if (x->pow2) {
        for (size_t k = 0; k < x->p3; k++, a += S, b += S, a1 += S, b1 += S, o += S, oi++) {
            for (int v = 0; v < SV; v++) {
                s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
                u[v] = _mm256_add_ps(u[v], _mm256_load_ps(a1 + 8 * v));
                s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
                u[v] = _mm256_sub_ps(u[v], _mm256_load_ps(b1 + 8 * v));
                _mm256_store_ps(o + 8 * v, _mm256_mul_ps(u[v], iv));
            }
            EMIT_SAMPLED(oi, iv, cw, 1);
        }
    } else {
        for (size_t k = 0; k < x->p3; k++, a += S, b += S, a1 += S, b1 += S, o += S, oi++) {
            for (int v = 0; v < SV; v++) {
                s[v] = _mm256_add_ps(s[v], _mm256_load_ps(a + 8 * v));
                u[v] = _mm256_add_ps(u[v], _mm256_load_ps(a1 + 8 * v));
                s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
                u[v] = _mm256_sub_ps(u[v], _mm256_load_ps(b1 + 8 * v));
                _mm256_store_ps(o + 8 * v, _mm256_div_ps(u[v], cw));
            }
            EMIT_SAMPLED(oi, iv, cw, 0);
        }
    }
    for (size_t k = 0; k < x->p4; k++, b += S, b1 += S, o += S, oi++) {
        const __m256 cnt = _mm256_set1_ps((float)(x->w - 1 - k));
        for (int v = 0; v < SV; v++) {
            s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(b + 8 * v));
            u[v] = _mm256_sub_ps(u[v], _mm256_load_ps(b1 + 8 * v));
            _mm256_store_ps(o + 8 * v, _mm256_div_ps(u[v], cnt));
        }
        EMIT_SAMPLED(oi, iv, cnt, 0);
    }
}

static float *ring_row(const plan *p, size_t r)
{
    return p->ring + (r & (p->nr - 1)) * p->cp;
}

/* Row-pass output of strip r0 (p->ht, T layout) into the ring as row-major rows. */
TARGET static void strip_to_ring(const plan *p, size_t r0)
{
    /* Everything read from *p is copied to locals first: a vector store may alias anything, so
     * the compiler would otherwise reload p's fields after every store. */
    float *rows[S];
    const float *ht = p->ht;
    const size_t cp = p->cp;

    for (size_t k = 0; k < S; k++)
        rows[k] = ring_row(p, r0 + k);
    for (size_t c8 = 0; c8 < cp; c8 += 8)
        for (size_t k8 = 0; k8 < S; k8 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++)
                r[i] = _mm256_load_ps(ht + (c8 + (size_t)i) * S + k8);
            transpose8(r);
            for (int i = 0; i < 8; i++)
                _mm256_store_ps(rows[k8 + (size_t)i] + c8, r[i]);
        }
}

/* Column pass 1, output rows 8g .. 8g + 7 (those below rows), every column, written into p->v1t
 * (T layout) at lanes (8g mod S) ... Rows past the end are written as zeros. */
/* Column pass 1 for 8 output rows that all have the full window: out = sum * k or sum / k. */
TARGET static inline void column_pass1_full(const float *const ap[8], const float *const bp[8],
                                            float *sums, float *v1t, size_t cp, __m256 k,
                                            int use_div)
{
    for (size_t c8 = 0; c8 < cp; c8 += 8) {
        __m256 s = _mm256_load_ps(sums + c8), o[8];

        for (int i = 0; i < 8; i++) {
            s = _mm256_add_ps(s, _mm256_load_ps(ap[i] + c8));
            s = _mm256_sub_ps(s, _mm256_load_ps(bp[i] + c8));
            o[i] = use_div ? _mm256_div_ps(s, k) : _mm256_mul_ps(s, k);
        }
        _mm256_store_ps(sums + c8, s);
        transpose8(o);
        for (int i = 0; i < 8; i++)
            _mm256_store_ps(v1t + (c8 + (size_t)i) * S, o[i]);
    }
}

TARGET static void column_pass1_group(const plan *p, size_t g)
{
    const win *x = &p->wc;
    const float *ap[8], *bp[8];
    int mode[8];
    __m256 cnt[8];
    const __m256 iv = _mm256_set1_ps(x->inv);
    const size_t koff = (8 * g) % S;

    for (int i = 0; i < 8; i++) {
        const size_t oi = 8 * g + (size_t)i;
        vstep st;

        if (oi >= p->rows) {
            ap[i] = bp[i] = NULL;
            mode[i] = 0;
            cnt[i] = _mm256_setzero_ps();
            continue;
        }
        vstep_of(x, oi, &st);
        ap[i] = st.add >= 0 ? ring_row(p, (size_t)st.add) : NULL;
        bp[i] = st.sub >= 0 ? ring_row(p, (size_t)st.sub) : NULL;
        mode[i] = st.mode;
        cnt[i] = _mm256_set1_ps(st.count);
    }
    float *const sums = p->sums, *const v1t = p->v1t[(8 * g / S) & 1] + koff;
    const size_t cp = p->cp;

    if (g > 0 && ap[7] != NULL && bp[0] != NULL && mode[0] == mode[7] && mode[0] != 0) {
        /* Every row has the full window (add and subtract, the same divisor): no branches. */
        if (mode[0] == 1)
            column_pass1_full(ap, bp, sums, v1t, cp, iv, 0);
        else
            column_pass1_full(ap, bp, sums, v1t, cp, cnt[0], 1);
        return;
    }
    for (size_t c8 = 0; c8 < cp; c8 += 8) {
        __m256 s, o[8];

        if (g == 0) {
            s = _mm256_setzero_ps();
            for (size_t r = 0; r < x->p1; r++)
                s = _mm256_add_ps(s, _mm256_load_ps(ring_row(p, r) + c8));
        } else {
            s = _mm256_load_ps(sums + c8);
        }
        for (int i = 0; i < 8; i++) {
            if (ap[i] != NULL)
                s = _mm256_add_ps(s, _mm256_load_ps(ap[i] + c8));
            if (bp[i] != NULL)
                s = _mm256_sub_ps(s, _mm256_load_ps(bp[i] + c8));
            o[i] = mode[i] == 1   ? _mm256_mul_ps(s, iv)
                   : mode[i] == 2 ? _mm256_div_ps(s, cnt[i])
                                  : _mm256_setzero_ps();
        }
        _mm256_store_ps(sums + c8, s);
        transpose8(o);
        for (int i = 0; i < 8; i++)
            _mm256_store_ps(v1t + (c8 + (size_t)i) * S, o[i]);
    }
}

/* Row pass 2 on the column-pass-1 strip starting at row sb, then its 64 sampled columns into
 * the row-major plane p->h2 (64 floats a row). */
TARGET static void strip_pass2(const plan *p, size_t sb, int done)
{
    if (!done)
        row_pass_sampled(p->v1t[(sb / S) & 1], p->h2t, &p->wr, p->cpos);
    for (size_t j8 = 0; j8 < 64; j8 += 8)
        for (size_t k8 = 0; k8 < S; k8 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++)
                r[i] = _mm256_load_ps(p->h2t + (j8 + (size_t)i) * S + k8);
            transpose8(r);
            for (int i = 0; i < 8; i++)
                _mm256_store_ps(p->h2 + (sb + k8 + (size_t)i) * 64 + j8, r[i]);
        }
}

/* Column pass 2 over the 64 sampled columns, outputs only at the sampled rows. */
TARGET static void column_pass2(const plan *p, float out[64][64])
{
    const win *x = &p->wc;
    const __m256 iv = _mm256_set1_ps(x->inv);
    __m256 s[8];
    int j = 0;

    for (int v = 0; v < 8; v++)
        s[v] = _mm256_setzero_ps();
    for (size_t r = 0; r < x->p1; r++)
        for (int v = 0; v < 8; v++)
            s[v] = _mm256_add_ps(s[v], _mm256_load_ps(p->h2 + r * 64 + 8 * (size_t)v));
    for (size_t oi = 0; oi < p->rows; oi++) {
        vstep st;

        vstep_of(x, oi, &st);
        if (st.add >= 0) {
            const float *ar = p->h2 + (size_t)st.add * 64;
            for (int v = 0; v < 8; v++)
                s[v] = _mm256_add_ps(s[v], _mm256_load_ps(ar + 8 * v));
        }
        if (st.sub >= 0) {
            const float *br = p->h2 + (size_t)st.sub * 64;
            for (int v = 0; v < 8; v++)
                s[v] = _mm256_sub_ps(s[v], _mm256_load_ps(br + 8 * v));
        }
        if (p->rpos[j] == (int)oi) {
            __m256 q[8];
            const __m256 cnt = _mm256_set1_ps(st.count);

            for (int v = 0; v < 8; v++)
                q[v] = st.mode == 1 ? _mm256_mul_ps(s[v], iv) : _mm256_div_ps(s[v], cnt);
            do {
                for (int v = 0; v < 8; v++)
                    _mm256_storeu_ps(&out[j][8 * v], q[v]);
                j++;
            } while (p->rpos[j] == (int)oi);
        }
    }
}

TARGET void cg__pdq_filter_avx2(const cg__pdq_src *src, size_t rows, size_t cols,
                                void *col_scratch, void *row_scratch, float out[64][64])
{
    plan p;
    size_t g = 0, cb, rb;
    long pending = -1; /* a column-pass-1 strip whose row pass 2 is still to run */

    memset(&p, 0, sizeof(p));
    layout(&p, rows, cols, col_scratch, row_scratch, &cb, &rb);
    p.rows = rows;
    p.cols = cols;
    win_init(&p.wr, cols, (cols + 127) / 128);
    win_init(&p.wc, rows, (rows + 127) / 128);
    sample_positions(rows, p.rpos);
    sample_positions(cols, p.cpos);
    p.csafe = cols;
    if (src->luma == NULL) {
        const size_t ch = src->channels;

        p.csafe = 0;
        for (size_t c = 0; c < cols; c++) {
            p.xo[c] = (int32_t)((src->xs != NULL ? (size_t)src->xs[c] : c) * ch);
            if ((size_t)p.xo[c] + 4 <= src->row_bytes)
                p.csafe = c + 1;
        }
    }
    /* Columns past the end (up to a multiple of 8) read as zeros in every later pass. */
    if (p.cp > cols)
        memset(p.ht + cols * S, 0, (p.cp - cols) * S * sizeof(float));

    for (size_t r0 = 0; r0 < rows; r0 += S) {
        const size_t avail = r0 + S < rows ? r0 + S : rows; /* row-pass rows done: 0 .. avail - 1 */

        luma_strip(src, &p, r0, p.lt);
        if (pending >= 0) {
            row_pass_dual(p.lt, p.ht, p.v1t[((size_t)pending / S) & 1], p.h2t, &p.wr, p.cpos);
            strip_pass2(&p, (size_t)pending, 1);
            pending = -1;
        } else {
            row_pass_all(p.lt, p.ht, &p.wr);
        }
        strip_to_ring(&p, r0);
        for (; 8 * g < rows; g++) {
            const size_t last = 8 * g + 7 + p.wc.p1;

            if ((last < rows ? last : rows - 1) >= avail)
                break;
            column_pass1_group(&p, g);
            if ((8 * g + 8) % S == 0 || 8 * g + 8 >= rows) {
                const size_t sb = 8 * g / S * S;

                /* Lanes of groups past the last row: zeros. */
                if (8 * g + 8 >= rows && (8 * g + 8) % S != 0)
                    for (size_t c = 0; c < p.cp; c++)
                        memset(p.v1t[(sb / S) & 1] + c * S + (8 * g + 8) % S, 0,
                               (S - (8 * g + 8) % S) * sizeof(float));
                /* Row pass 2 of this strip waits for the next strip's row pass 1 to run beside
                 * it; one strip at most waits (the v1t double buffer). */
                if (pending >= 0)
                    strip_pass2(&p, (size_t)pending, 0);
                pending = (long)sb;
            }
        }
    }
    if (pending >= 0)
        strip_pass2(&p, (size_t)pending, 0);
    column_pass2(&p, out);
}

/* B = D A D^T, each sum over k in increasing order from 0 (the reference's order), products
 * and sums rounded separately; vectorised across the output columns only. */
TARGET void cg__pdq_dct_avx2(const float d[16][64], const float a[64][64], float out[16][16])
{
    float t[16][64] __attribute__((aligned(32)));
    float dt[64][16] __attribute__((aligned(32)));

    for (int i = 0; i < 16; i += 2) {
        __m256 s0[8], s1[8];

        for (int v = 0; v < 8; v++)
            s0[v] = s1[v] = _mm256_setzero_ps();
        for (int k = 0; k < 64; k++) {
            const __m256 d0 = _mm256_set1_ps(d[i][k]), d1 = _mm256_set1_ps(d[i + 1][k]);

            for (int v = 0; v < 8; v++) {
                const __m256 x = _mm256_loadu_ps(&a[k][8 * v]);
                s0[v] = _mm256_add_ps(s0[v], _mm256_mul_ps(d0, x));
                s1[v] = _mm256_add_ps(s1[v], _mm256_mul_ps(d1, x));
            }
        }
        for (int v = 0; v < 8; v++) {
            _mm256_store_ps(&t[i][8 * v], s0[v]);
            _mm256_store_ps(&t[i + 1][8 * v], s1[v]);
        }
    }
    for (int k = 0; k < 64; k++)
        for (int j = 0; j < 16; j++)
            dt[k][j] = d[j][k];
    for (int i = 0; i < 16; i++) {
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

        for (int k = 0; k < 64; k++) {
            const __m256 x = _mm256_set1_ps(t[i][k]);
            s0 = _mm256_add_ps(s0, _mm256_mul_ps(x, _mm256_load_ps(&dt[k][0])));
            s1 = _mm256_add_ps(s1, _mm256_mul_ps(x, _mm256_load_ps(&dt[k][8])));
        }
        _mm256_storeu_ps(&out[i][0], s0);
        _mm256_storeu_ps(&out[i][8], s1);
    }
}

#endif
