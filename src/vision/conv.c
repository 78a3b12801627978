/* The two spatial convolutions of MobileNetV2, on NHWC float32 activations: the 3x3 stride-2
 * stem (3 -> 32 channels) and the 3x3 depthwise convolutions, each with its folded bias and
 * ReLU6. Padding follows TensorFlow's "same" as Keras built the model: stride 1 pads one zero
 * on every side; stride 2 on an even size pads only the bottom row and right column (Keras's
 * ZeroPadding2D((0, 1), (0, 1)) then a "valid" convolution).
 *
 * Vectorised across channels (the channel counts of this network are multiples of 16): a block
 * of accumulators stays in registers while the 9 taps are summed in the order dy, dx. The
 * depthwise kernel works one output row at a time from three input row pointers, so block.c
 * can feed it rows that were expanded a moment before and are still in cache. */
#include <assert.h>
#include <immintrin.h>

#include "vision/vision_int.h"

#define CB 16 /* channels per register block */

static inline float relu6(float v)
{
    return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
}

/* One output row of the depthwise convolution. rows[dy] is the input row oy * stride + dy + off
 * (off = -1 for stride 1, 0 for stride 2), NULL where that row is padding. */
static inline __attribute__((always_inline)) void
dw_row_body(const float *const rows[3], int w, const cg__vdw *dw, int stride, float *restrict out)
{
    const int c = dw->c;
    const int ow = stride == 1 ? w : w / 2;
    const int off = stride == 1 ? -1 : 0;

    for (int ox = 0; ox < ow; ox++) {
        float *o = out + (size_t)ox * (size_t)c;
        const float *src[9];
        const float *wt[9];
        int taps = 0;
        for (int dy = 0; dy < 3; dy++) {
            if (rows[dy] == NULL)
                continue;
            for (int dx = 0; dx < 3; dx++) {
                const int ix = ox * stride + dx + off;
                if (ix < 0 || ix >= w)
                    continue;
                src[taps] = rows[dy] + (size_t)ix * (size_t)c;
                wt[taps] = dw->w + (size_t)(dy * 3 + dx) * (size_t)c;
                taps++;
            }
        }
        for (int cb = 0; cb < c; cb += CB) {
            float acc[CB];
            for (int j = 0; j < CB; j++)
                acc[j] = dw->bias[cb + j];
            for (int t = 0; t < taps; t++)
                for (int j = 0; j < CB; j++)
                    acc[j] += src[t][cb + j] * wt[t][cb + j];
            for (int j = 0; j < CB; j++)
                o[cb + j] = relu6(acc[j]);
        }
    }
}

/* The AVX2 path with explicit intrinsics: the compiler does not vectorise the tap loop above
 * well (measured: half of the forward pass). One 8-channel accumulator starts at the bias and
 * takes the taps in order; consecutive channel blocks are independent chains, which the
 * out-of-order core overlaps. */
__attribute__((target("avx2,fma"))) static void
dw_row_avx2(const float *const rows[3], int w, const cg__vdw *dw, int stride, float *out)
{
    const int c = dw->c;
    const int ow = stride == 1 ? w : w / 2;
    const int off = stride == 1 ? -1 : 0;
    const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);

    for (int ox = 0; ox < ow; ox++) {
        float *o = out + (size_t)ox * (size_t)c;
        const float *src[9];
        const float *wt[9];
        int taps = 0;
        for (int dy = 0; dy < 3; dy++) {
            if (rows[dy] == NULL)
                continue;
            for (int dx = 0; dx < 3; dx++) {
                const int ix = ox * stride + dx + off;
                if (ix < 0 || ix >= w)
                    continue;
                src[taps] = rows[dy] + (size_t)ix * (size_t)c;
                wt[taps] = dw->w + (size_t)(dy * 3 + dx) * (size_t)c;
                taps++;
            }
        }
        if (taps == 9) {
            for (int cb = 0; cb < c; cb += 8) {
                __m256 acc = _mm256_loadu_ps(dw->bias + cb);
                for (int t = 0; t < 9; t++)
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(src[t] + cb),
                                          _mm256_loadu_ps(wt[t] + cb), acc);
                _mm256_storeu_ps(o + cb, _mm256_min_ps(_mm256_max_ps(acc, zero), six));
            }
            continue;
        }
        for (int cb = 0; cb < c; cb += 8) {
            __m256 acc = _mm256_loadu_ps(dw->bias + cb);
            for (int t = 0; t < taps; t++)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(src[t] + cb), _mm256_loadu_ps(wt[t] + cb),
                                      acc);
            _mm256_storeu_ps(o + cb, _mm256_min_ps(_mm256_max_ps(acc, zero), six));
        }
    }
}

static void dw_row_portable(const float *const rows[3], int w, const cg__vdw *dw, int stride,
                            float *out)
{
    dw_row_body(rows, w, dw, stride, out);
}

void cg__vdepthwise_row(const float *const rows[3], int w, const cg__vdw *dw, int stride,
                        float *out, int avx2)
{
    assert(dw->c % CB == 0);
    if (avx2)
        dw_row_avx2(rows, w, dw, stride, out);
    else
        dw_row_portable(rows, w, dw, stride, out);
}

void cg__vdepthwise(const float *in, int h, int w, const cg__vdw *dw, int stride, float *out,
                    int avx2)
{
    const int oh = stride == 1 ? h : h / 2, ow = stride == 1 ? w : w / 2;
    const int off = stride == 1 ? -1 : 0;
    const size_t row = (size_t)w * (size_t)dw->c;

    for (int oy = 0; oy < oh; oy++) {
        const float *rows[3];
        for (int dy = 0; dy < 3; dy++) {
            const int iy = oy * stride + dy + off;
            rows[dy] = iy >= 0 && iy < h ? in + (size_t)iy * row : NULL;
        }
        cg__vdepthwise_row(rows, w, dw, stride, out + (size_t)oy * (size_t)ow * (size_t)dw->c,
                           avx2);
    }
}

/* The stem: out[y][x][co] = relu6(b[co] + sum over dy, dx, ci of in[2y+dy][2x+dx][ci] *
 * w[dy][dx][ci][co]), rows and columns past 223 being the zero padding. */
static inline __attribute__((always_inline)) void
stem_body(const float *restrict in, const float *restrict w, const float *restrict b,
          float *restrict out)
{
    const int n = CG_VNET_INPUT, on = CG_VNET_INPUT / 2;
    for (int oy = 0; oy < on; oy++) {
        for (int ox = 0; ox < on; ox++) {
            float acc[32];
            for (int j = 0; j < 32; j++)
                acc[j] = 0.0f;
            for (int dy = 0; dy < 3; dy++) {
                const int iy = 2 * oy + dy;
                if (iy >= n)
                    continue;
                for (int dx = 0; dx < 3; dx++) {
                    const int ix = 2 * ox + dx;
                    if (ix >= n)
                        continue;
                    const float *px = in + ((size_t)iy * n + (size_t)ix) * 3;
                    const float *wt = w + (size_t)(dy * 3 + dx) * 3 * 32;
                    for (int ci = 0; ci < 3; ci++)
                        for (int j = 0; j < 32; j++)
                            acc[j] += px[ci] * wt[ci * 32 + j];
                }
            }
            float *o = out + ((size_t)oy * on + (size_t)ox) * 32;
            for (int j = 0; j < 32; j++)
                o[j] = relu6(acc[j] + b[j]);
        }
    }
}

__attribute__((target("avx2,fma"))) static void
stem_avx2(const float *in, const float *w, const float *b, float *out)
{
    stem_body(in, w, b, out);
}

static void stem_portable(const float *in, const float *w, const float *b, float *out)
{
    stem_body(in, w, b, out);
}

void cg__vstem(const float *in, const float *w, const float *b, float *out, int avx2)
{
    if (avx2)
        stem_avx2(in, w, b, out);
    else
        stem_portable(in, w, b, out);
}
