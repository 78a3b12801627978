/* Internal interface between pdq.c (API, DCT, median, portable filter) and pdq_avx2.c (the
 * fused AVX2 luma + Jarosz filter + decimation). Not installed. */
#ifndef CG_HASH_PDQ_INT_H
#define CG_HASH_PDQ_INT_H

#include <stddef.h>
#include <stdint.h>

/* Where the luma of output pixel (r, c) comes from (rows x cols after the 512 resize):
 *   pixels != NULL: 8-bit samples, channels 1 or 3, row y at pixels + y * stride; output row r
 *                   reads source row ys[r], output column c reads source column xs[c] (NULL
 *                   ys or xs: the identity, no resize); only the first row_bytes bytes of a
 *                   row are read (row_bytes <= stride, below 2^31);
 *   luma != NULL:   a float plane of rows x cols, row-major (no resize). */
typedef struct cg__pdq_src {
    const uint8_t *pixels;
    size_t stride;        /* bytes from one source row to the next */
    size_t row_bytes;     /* readable bytes of each source row */
    uint32_t channels;    /* 1 or 3 */
    const uint32_t *ys;   /* rows entries, or NULL */
    const uint32_t *xs;   /* cols entries, or NULL */
    const float *luma;
} cg__pdq_src;

/* Tests only: with on == 0, h uses the portable path from now on (as on a CPU without AVX2),
 * so that the two paths can be compared on one machine. */
struct cg_pdq_hasher;
void cg__pdq_hasher_set_simd(struct cg_pdq_hasher *h, int on);

/* Non-zero when this build has the AVX2 path and the CPU runs it. */
int cg__pdq_avx2_usable(void);

/* Scratch the AVX2 filter needs for a rows x cols plane, in two blocks: *col_bytes (strip
 * buffers and the row ring, proportional to cols) and *row_bytes (a 64-column plane,
 * proportional to rows). Returns 0 when it cannot take the plane (the caller then uses the
 * portable path), else 1. */
int cg__pdq_avx2_scratch_bytes(size_t rows, size_t cols, size_t *col_bytes, size_t *row_bytes);

/* Luma, the Jarosz filter (two rounds of row then column box means) and the 64x64 decimation,
 * bit-identical to the portable path. rows, cols >= 5 and not both 64. The scratch blocks hold
 * at least the sizes above, any alignment. */
void cg__pdq_filter_avx2(const cg__pdq_src *src, size_t rows, size_t cols, void *col_scratch,
                         void *row_scratch, float out[64][64]);

/* B = D A D^T as the portable dct16 in pdq.c computes it (same sums in the same order). */
void cg__pdq_dct_avx2(const float d[16][64], const float a[64][64], float out[16][16]);

#endif
