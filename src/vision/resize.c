/* nsfwjs's preprocessing, reproduced operation by operation so the network sees the same
 * float32 input as TensorFlow.js: each 8-bit sample becomes float32(q / 255) (tfjs divides a
 * float32 tensor by the scalar 255: the quotient is computed in double and stored as float32),
 * then tf.image.resizeBilinear(.., [224, 224], alignCorners = true) runs unless the image is
 * already 224 x 224. tfjs-backend-cpu's kernel computes in JavaScript numbers (double):
 *
 *   ratio = (in - 1) / (224 - 1);  src = ratio * dst;  lo = max(0, floor(src));
 *   frac = src - lo;  hi = min(in - 1, ceil(src))
 *   top = tl + (tr - tl) * fc;  bottom = bl + (br - bl) * fc;  v = top + (bottom - top) * fr
 *
 * and stores v as float32. Measured: a half-pixel convention instead moves the probabilities by
 * up to 0.27, so the convention matters. No crop; alpha is dropped; grey goes to R, G and B. */
#include <math.h>

#include "vision/vision_int.h"

void cg__vresize_lut(float lut[256])
{
    for (int q = 0; q < 256; q++)
        lut[q] = (float)((double)q / 255.0);
}

/* Sample c (0..2) of pixel x of a row: grey repeats its one sample. */
static inline double sample(const float *lut, const uint8_t *row, uint32_t x, uint32_t ch, int c)
{
    return lut[ch == 1 ? row[x] : row[(size_t)x * ch + (size_t)c]];
}

void cg__vresize(const float *lut, const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch,
                 size_t stride, float *out)
{
    const int n = CG_VNET_INPUT;

    if (w == (uint32_t)n && h == (uint32_t)n) {
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                for (int c = 0; c < 3; c++)
                    *out++ = (float)sample(lut, px + (size_t)y * stride, (uint32_t)x, ch, c);
        return;
    }
    /* The column positions are the same for every row: computed once. */
    uint32_t x0s[CG_VNET_INPUT], x1s[CG_VNET_INPUT];
    double fxs[CG_VNET_INPUT];
    const double ry = (double)(h - 1) / (double)(n - 1);
    const double rx = (double)(w - 1) / (double)(n - 1);
    for (int x = 0; x < n; x++) {
        const double sx = rx * x;
        const double x0 = fmax(0.0, floor(sx));
        fxs[x] = sx - x0;
        x0s[x] = (uint32_t)x0;
        x1s[x] = (uint32_t)fmin((double)(w - 1), ceil(sx));
    }
    for (int y = 0; y < n; y++) {
        const double sy = ry * y;
        const double y0 = fmax(0.0, floor(sy));
        const double fy = sy - y0;
        const uint32_t y1 = (uint32_t)fmin((double)(h - 1), ceil(sy));
        const uint8_t *top = px + (size_t)y0 * stride;
        const uint8_t *bot = px + (size_t)y1 * stride;
        for (int x = 0; x < n; x++) {
            const double fx = fxs[x];
            for (int c = 0; c < 3; c++) {
                const double tl = sample(lut, top, x0s[x], ch, c);
                const double tr = sample(lut, top, x1s[x], ch, c);
                const double bl = sample(lut, bot, x0s[x], ch, c);
                const double br = sample(lut, bot, x1s[x], ch, c);
                const double t = tl + (tr - tl) * fx;
                const double b = bl + (br - bl) * fx;
                *out++ = (float)(t + (b - t) * fy);
            }
        }
    }
}
