/* 1x1 convolutions as matrix products: out[M x N] = in[M x K] * W[K x N] + bias, where M is
 * the number of pixels, K the input channels and N the output channels; 89 % of the network's
 * multiply-adds are here. The epilogue (bias, ReLU6, the residual add of an inverted residual
 * block) is fused into the tile's store, so each output is written once.
 *
 * Blocking: tiles of MR = 6 rows x NR = 16 columns, the weights pre-packed at load into
 * NR-column panels (model.c) so a tile's k loop reads them contiguously. Rows outer, panels
 * inner: a 6-row strip of the input (6 x K floats, at most 23 KB) stays in L1 while the panels
 * stream from L2; the layers with large weight matrices have few rows (7x7, 14x14).
 *
 * This file is the portable kernel and the dispatch; gemm_avx2.c is the AVX2 + FMA kernel. */
#include "vision/vision_int.h"

static inline float relu6(float v)
{
    return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
}

static void pointwise_portable(const float *in, int m, const cg__vpw *pw, int relu6_on,
                               const float *res, float *out)
{
    const int k = pw->cin, n = pw->cout;
    const int panels = (n + CG_VGEMM_NR - 1) / CG_VGEMM_NR;

    for (int m0 = 0; m0 < m; m0 += CG_VGEMM_MR) {
        const int rows = m - m0 < CG_VGEMM_MR ? m - m0 : CG_VGEMM_MR;
        for (int p = 0; p < panels; p++) {
            const float *b = pw->w + (size_t)p * (size_t)k * CG_VGEMM_NR;
            float acc[CG_VGEMM_MR][CG_VGEMM_NR] = { { 0 } };
            for (int r = 0; r < rows; r++) {
                const float *a = in + (size_t)(m0 + r) * (size_t)k;
                for (int kk = 0; kk < k; kk++)
                    for (int j = 0; j < CG_VGEMM_NR; j++)
                        acc[r][j] += a[kk] * b[(size_t)kk * CG_VGEMM_NR + (size_t)j];
            }
            const int cols = n - p * CG_VGEMM_NR < CG_VGEMM_NR ? n - p * CG_VGEMM_NR : CG_VGEMM_NR;
            for (int r = 0; r < rows; r++) {
                const size_t row = (size_t)(m0 + r) * (size_t)n + (size_t)p * CG_VGEMM_NR;
                for (int j = 0; j < cols; j++) {
                    float v = acc[r][j] + pw->bias[p * CG_VGEMM_NR + j];
                    if (relu6_on)
                        v = relu6(v);
                    if (res != NULL)
                        v += res[row + (size_t)j];
                    out[row + (size_t)j] = v;
                }
            }
        }
    }
}

void cg__vpointwise(const float *in, int m, const cg__vpw *pw, int relu6_on, const float *res,
                    float *out, int avx2)
{
    if (avx2)
        cg__vpointwise_avx2(in, m, pw, relu6_on, res, out);
    else
        pointwise_portable(in, m, pw, relu6_on, res, out);
}
