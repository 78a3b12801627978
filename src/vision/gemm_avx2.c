/* The AVX2 + FMA kernel of the 1x1 convolutions (gemm.c explains the blocking): a 6 x 16 tile
 * of accumulators in 12 ymm registers; per k, two loads of the packed weight panel and six
 * broadcasts of input values feed 12 FMAs. Then bias, ReLU6, the residual, and the store (a
 * partial last panel goes through a small buffer). Rows of the input past M are read (the
 * buffers are padded for it) but their results are never stored. */
#include <immintrin.h>

#include "vision/vision_int.h"

#define TARGET __attribute__((target("avx2,fma")))

TARGET static inline void epilogue(__m256 v, const float *bias, int relu6_on, const float *res,
                                   float *out, int cols)
{
    v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
    if (relu6_on)
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
    if (cols >= 8) {
        if (res != NULL)
            v = _mm256_add_ps(v, _mm256_loadu_ps(res));
        _mm256_storeu_ps(out, v);
        return;
    }
    float tmp[8];
    _mm256_storeu_ps(tmp, v);
    for (int j = 0; j < cols; j++)
        out[j] = res != NULL ? tmp[j] + res[j] : tmp[j];
}

TARGET void cg__vpointwise_avx2(const float *in, int m, const cg__vpw *pw, int relu6_on,
                                const float *res, float *out)
{
    const int k = pw->cin, n = pw->cout;
    const int panels = (n + CG_VGEMM_NR - 1) / CG_VGEMM_NR;
    float bias_pad[CG_VGEMM_NR];

    for (int m0 = 0; m0 < m; m0 += CG_VGEMM_MR) {
        const int rows = m - m0 < CG_VGEMM_MR ? m - m0 : CG_VGEMM_MR;
        const float *a0 = in + (size_t)m0 * (size_t)k;
        const float *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k, *a4 = a3 + k, *a5 = a4 + k;
        for (int p = 0; p < panels; p++) {
            const float *b = pw->w + (size_t)p * (size_t)k * CG_VGEMM_NR;
            __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
            __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
            __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
            __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
            __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
            __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
            for (int kk = 0; kk < k; kk++) {
                const __m256 b0 = _mm256_loadu_ps(b + (size_t)kk * CG_VGEMM_NR);
                const __m256 b1 = _mm256_loadu_ps(b + (size_t)kk * CG_VGEMM_NR + 8);
                __m256 a = _mm256_broadcast_ss(a0 + kk);
                c00 = _mm256_fmadd_ps(a, b0, c00);
                c01 = _mm256_fmadd_ps(a, b1, c01);
                a = _mm256_broadcast_ss(a1 + kk);
                c10 = _mm256_fmadd_ps(a, b0, c10);
                c11 = _mm256_fmadd_ps(a, b1, c11);
                a = _mm256_broadcast_ss(a2 + kk);
                c20 = _mm256_fmadd_ps(a, b0, c20);
                c21 = _mm256_fmadd_ps(a, b1, c21);
                a = _mm256_broadcast_ss(a3 + kk);
                c30 = _mm256_fmadd_ps(a, b0, c30);
                c31 = _mm256_fmadd_ps(a, b1, c31);
                a = _mm256_broadcast_ss(a4 + kk);
                c40 = _mm256_fmadd_ps(a, b0, c40);
                c41 = _mm256_fmadd_ps(a, b1, c41);
                a = _mm256_broadcast_ss(a5 + kk);
                c50 = _mm256_fmadd_ps(a, b0, c50);
                c51 = _mm256_fmadd_ps(a, b1, c51);
            }
            const int col0 = p * CG_VGEMM_NR;
            const int cols = n - col0 < CG_VGEMM_NR ? n - col0 : CG_VGEMM_NR;
            const float *bias = pw->bias + col0;
            if (cols < CG_VGEMM_NR) {
                for (int j = 0; j < CG_VGEMM_NR; j++)
                    bias_pad[j] = j < cols ? bias[j] : 0.0f;
                bias = bias_pad;
            }
            const __m256 acc[CG_VGEMM_MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
                                                 { c30, c31 }, { c40, c41 }, { c50, c51 } };
            for (int r = 0; r < rows; r++) {
                const size_t row = (size_t)(m0 + r) * (size_t)n + (size_t)col0;
                const float *rr = res != NULL ? res + row : NULL;
                epilogue(acc[r][0], bias, relu6_on, rr, out + row, cols);
                if (cols > 8)
                    epilogue(acc[r][1], bias + 8, relu6_on, rr != NULL ? rr + 8 : NULL,
                             out + row + 8, cols - 8);
            }
        }
    }
}
