/* A straightforward PDQ hasher, written from the description in
 * ../shared/testdata/pdq/ALGORITHM.md and the PDQ paper ("The TMK+PDQF video-hashing algorithm
 * and the PDQ image similarity algorithm", Meta, 2019) to stand in for the reference C++ hashing
 * step in hash_bench. Nothing here is tuned: every loop runs in the natural order over every
 * pixel, as the reference does, because the point is to measure what that costs.
 *
 * Steps per image (all float32, no fused multiply-add):
 *   1. If a side is over 512, resize the 8-bit image to 512x512 by nearest neighbour into a new
 *      buffer (source index floor(i * n / 512) per axis), as the reference's image library does.
 *   2. Luma per pixel: 0.299 R + 0.587 G + 0.114 B, or the grey value itself.
 *   3. Jarosz filter: box mean along each row (window ceil(cols / 128)), then along each column
 *      (window ceil(rows / 128)), twice; skipped at exactly 64x64.
 *   4. Decimate to 64x64 by sampling floor((i + 0.5) * n / 64).
 *   5. Quality from the 64x64 gradients.
 *   6. B = D A D^T with D the 16x64 DCT-II rows 1..16, as two matrix products.
 *   7. Median of the 256 coefficients by Torben's method; bit set where B > median. */
#include "pdq_baseline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BASE_RESIZE 512
#define BASE_MIN_DIM 5

void pdq_baseline_init(pdq_baseline *b)
{
    const float scale = (float)sqrt(2.0 / 64.0); /* a float, as the reference holds it */

    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++)
            b->dct[i][j] = (float)(scale * cos((M_PI / 2.0 / 64.0) * (i + 1) * (2 * j + 1)));
}

/* One centred box mean over n samples spaced stride apart. The window grows from half - 1
 * samples, where half = (w + 2) / 2, to w, slides, then shrinks; each output is the sum of the
 * samples in the window divided by how many there are. */
static void box1d(const float *in, float *out, int n, int stride, int w)
{
    const int half = (w + 2) / 2;
    const int phase1 = half - 1, phase2 = w - half + 1, phase3 = n - w, phase4 = half - 1;
    int li = 0, ri = 0, oi = 0;
    float sum = 0.0f, count = 0.0f;

    for (int k = 0; k < phase1; k++) {
        sum += in[ri * stride];
        count += 1.0f;
        ri++;
    }
    for (int k = 0; k < phase2; k++) {
        sum += in[ri * stride];
        count += 1.0f;
        out[oi * stride] = sum / count;
        ri++;
        oi++;
    }
    for (int k = 0; k < phase3; k++) {
        sum += in[ri * stride];
        sum -= in[li * stride];
        out[oi * stride] = sum / count;
        ri++;
        li++;
        oi++;
    }
    for (int k = 0; k < phase4; k++) {
        sum -= in[li * stride];
        count -= 1.0f;
        out[oi * stride] = sum / count;
        li++;
        oi++;
    }
}

static void box_rows(const float *in, float *out, int rows, int cols, int w)
{
    for (int i = 0; i < rows; i++)
        box1d(in + (size_t)i * cols, out + (size_t)i * cols, cols, 1, w);
}

static void box_cols(const float *in, float *out, int rows, int cols, int w)
{
    for (int j = 0; j < cols; j++)
        box1d(in + j, out + j, rows, cols, w);
}

static void decimate(const float *in, int rows, int cols, float out[64][64])
{
    for (int i = 0; i < 64; i++) {
        const int r = (int)(((i + 0.5) * rows) / 64);

        for (int j = 0; j < 64; j++) {
            const int c = (int)(((j + 0.5) * cols) / 64);

            out[i][j] = in[(size_t)r * cols + c];
        }
    }
}

static int quality_of(float m[64][64])
{
    int sum = 0;

    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            const float d = ((m[i][j] - m[i + 1][j]) * 100) / 255;

            sum += (int)fabsf(d);
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            const float d = ((m[i][j] - m[i][j + 1]) * 100) / 255;

            sum += (int)fabsf(d);
        }
    sum /= 90;
    return sum > 100 ? 100 : sum;
}

/* B = D A D^T: first T = D A (16x64), then B = T D^T (16x16), each sum over k in order. */
static void dct(const pdq_baseline *b, float a[64][64], float out[16][16])
{
    float t[16][64];

    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++) {
            float s = 0.0f;

            for (int k = 0; k < 64; k++)
                s += b->dct[i][k] * a[k][j];
            t[i][j] = s;
        }
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float s = 0.0f;

            for (int k = 0; k < 64; k++)
                s += t[i][k] * b->dct[j][k];
            out[i][j] = s;
        }
}

/* Torben's median: bisects on value without moving data. With n = 256 it returns the 128th
 * smallest value ((n + 1) / 2 = 128 values are <= it). */
static float torben(const float *m, int n)
{
    const int half = (n + 1) / 2;
    float lo = m[0], hi = m[0], guess, below, above;
    int less, greater, equal;

    for (int i = 1; i < n; i++) {
        if (m[i] < lo)
            lo = m[i];
        if (m[i] > hi)
            hi = m[i];
    }
    for (;;) {
        guess = (lo + hi) / 2;
        less = greater = equal = 0;
        below = lo;
        above = hi;
        for (int i = 0; i < n; i++) {
            if (m[i] < guess) {
                less++;
                if (m[i] > below)
                    below = m[i];
            } else if (m[i] > guess) {
                greater++;
                if (m[i] < above)
                    above = m[i];
            } else {
                equal++;
            }
        }
        if (less <= half && greater <= half)
            break;
        if (less > greater)
            hi = below;
        else
            lo = above;
    }
    if (less >= half)
        return below;
    if (less + equal >= half)
        return guess;
    return above;
}

int pdq_baseline_hash(const pdq_baseline *b, const uint8_t *pixels, uint32_t width,
                      uint32_t height, uint32_t channels, uint16_t words[16], int *quality)
{
    const uint8_t *src = pixels;
    uint8_t *resized = NULL;
    float *buf1 = NULL, *buf2 = NULL;
    float m64[64][64], b16[16][16], med;
    int rows = (int)height, cols = (int)width, rc = -1;

    memset(words, 0, 16 * sizeof(words[0]));
    *quality = 0;
    if (pixels == NULL || (channels != 1 && channels != 3))
        return -1;
    if (width < BASE_MIN_DIM || height < BASE_MIN_DIM)
        return 0;

    if (width > BASE_RESIZE || height > BASE_RESIZE) {
        resized = malloc((size_t)BASE_RESIZE * BASE_RESIZE * channels);
        if (resized == NULL)
            goto done;
        for (int i = 0; i < BASE_RESIZE; i++) {
            const size_t y = (size_t)((uint64_t)i * height / BASE_RESIZE);

            for (int j = 0; j < BASE_RESIZE; j++) {
                const size_t x = (size_t)((uint64_t)j * width / BASE_RESIZE);

                for (uint32_t c = 0; c < channels; c++)
                    resized[((size_t)i * BASE_RESIZE + j) * channels + c] =
                        pixels[(y * width + x) * channels + c];
            }
        }
        src = resized;
        rows = cols = BASE_RESIZE;
    }

    buf1 = malloc((size_t)rows * cols * sizeof(float));
    buf2 = malloc((size_t)rows * cols * sizeof(float));
    if (buf1 == NULL || buf2 == NULL)
        goto done;
    if (channels == 1) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                buf1[(size_t)i * cols + j] = (float)src[(size_t)i * cols + j];
    } else {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                const uint8_t *p = src + ((size_t)i * cols + j) * 3;

                buf1[(size_t)i * cols + j] =
                    0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
            }
    }

    if (rows != 64 || cols != 64) {
        const int wr = (cols + 127) / 128, wc = (rows + 127) / 128;

        for (int rep = 0; rep < 2; rep++) {
            box_rows(buf1, buf2, rows, cols, wr);
            box_cols(buf2, buf1, rows, cols, wc);
        }
    }
    decimate(buf1, rows, cols, m64);
    *quality = quality_of(m64);
    dct(b, m64, b16);
    med = torben(&b16[0][0], 256);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            if (b16[i][j] > med)
                words[i] |= (uint16_t)(1u << j);
    rc = 0;
done:
    if (rc != 0)
        *quality = 0;
    free(resized);
    free(buf1);
    free(buf2);
    return rc;
}
