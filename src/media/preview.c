/* Reduced, safer views of images (cg_image_preview, include/childguard/image.h): greyscale,
 * downscaled, blurred, PGM. The review queue's quarantine previews are made with it
 * (src/review/review_preview.c, docs/review.md); this file knows nothing of reviews.
 *
 * Reviewers of abuse material see it often; blurring and removing colour are the measures
 * hotlines and trust-and-safety teams use to reduce the harm of repeated exposure while still
 * letting a reviewer confirm what an item is. The steps:
 *   1. luma from RGB with the BT.601 weights (0.299, 0.587, 0.114), or the grey value as is;
 *   2. downscale so the longer side is at most max_side, by area averaging: every output pixel
 *      is the exact area-weighted mean of the input rectangle it covers (fractional edges
 *      included), which never aliases the way point sampling does. It streams: one input row
 *      is reduced horizontally at a time and added into the at most two output rows it covers,
 *      so memory is O(width + output), never O(input);
 *   3. a box blur of radius r (a (2r+1)-wide mean), separable (rows then columns) with running
 *      sums, so it costs O(pixels) for any radius; edges replicate the border pixel;
 *   4. PGM "P5" with maxval 255 (Netpbm): a format any viewer opens and that has no metadata.
 * Nothing here keeps the input: the caller's pixels are read once and forgotten. */
#include <stdio.h>
#include <string.h>

#include "childguard/image.h"
#include "common/alloc.h"
#include "common/error.h"

/* Limits of the input: the same as the decoders' defaults (image.h). */
#define PREVIEW_MAX_DIM 65535
#define PREVIEW_MAX_PIXELS 100000000ull
/* The largest max_side: 1024 x 1024 bytes of PGM at most (the review queue caps stored
 * previews at that size). */
#define PREVIEW_MAX_SIDE 1024
#define PREVIEW_DEFAULT_SIDE 256

/* The output size: the longer side scaled to max_side (never up), the other rounded, >= 1. */
static void output_size(int w, int h, int max_side, int *ow, int *oh)
{
    const int longer = w > h ? w : h;

    if (longer <= max_side) {
        *ow = w;
        *oh = h;
        return;
    }
    if (w >= h) {
        *ow = max_side;
        *oh = (int)(((int64_t)h * max_side + longer / 2) / longer);
    } else {
        *oh = max_side;
        *ow = (int)(((int64_t)w * max_side + longer / 2) / longer);
    }
    if (*ow < 1)
        *ow = 1;
    if (*oh < 1)
        *oh = 1;
}

/* Luma of row y into grey[0..w). */
static void grey_row(const uint8_t *px, int w, int channels, int y, float *grey)
{
    const uint8_t *row = px + (size_t)y * (size_t)w * (size_t)channels;

    if (channels == 1) {
        for (int x = 0; x < w; x++)
            grey[x] = row[x];
        return;
    }
    for (int x = 0; x < w; x++)
        grey[x] = 0.299f * row[3 * x] + 0.587f * row[3 * x + 1] + 0.114f * row[3 * x + 2];
}

/* Area-weighted sums of grey[0..n) over m equal intervals of width n/m (m <= n) into out
 * (sums, not means: the caller divides once by both scales). */
static void reduce_row(const float *grey, int n, int m, float *out)
{
    const double s = (double)n / m;

    for (int i = 0; i < m; i++) {
        const double lo = i * s, hi = i == m - 1 ? n : (i + 1) * s;
        int j = (int)lo;
        double acc = 0;

        for (; j < n && j < hi; j++) {
            const double a = j < lo ? lo : j, b = j + 1 > hi ? hi : j + 1;

            if (b > a)
                acc += (b - a) * grey[j];
        }
        out[i] = (float)acc;
    }
}

/* One pass of a box blur of radius r over n samples spaced stride apart, via tmp (n floats). */
static void box_pass(float *v, size_t stride, int n, int r, float *tmp)
{
    const float inv = 1.0f / (float)(2 * r + 1);
    double sum = 0;

    for (int i = 0; i < n; i++)
        tmp[i] = v[(size_t)i * stride];
    /* The window of sample 0: indexes -r..r, clamped to the edges. */
    for (int k = -r; k <= r; k++)
        sum += tmp[k < 0 ? 0 : k >= n ? n - 1 : k];
    for (int i = 0; i < n; i++) {
        const int add = i + r + 1 >= n ? n - 1 : i + r + 1;
        const int drop = i - r < 0 ? 0 : i - r;

        v[(size_t)i * stride] = (float)(sum * inv);
        sum += tmp[add] - tmp[drop];
    }
}

cg_status cg_image_preview(const uint8_t *rgb, int width, int height, int channels,
                           int max_side, int blur_radius, uint8_t **out, size_t *out_len,
                           cg_error *err)
{
    float *grey = NULL, *acc = NULL, *tmp = NULL;
    uint8_t *pgm = NULL;
    char header[32];
    int ow, oh, hl;
    cg_status st = CG_OK;

    if (out == NULL || out_len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_image_preview: out is NULL");
    *out = NULL;
    *out_len = 0;
    if (rgb == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_image_preview: pixels are NULL");
    if (channels != 1 && channels != 3)
        return cg__fail(err, CG_E_INVAL, "cg_image_preview: %d channels (1 or 3 expected)",
                        channels);
    if (width < 1 || height < 1)
        return cg__fail(err, CG_E_INVAL, "cg_image_preview: bad size %dx%d", width, height);
    if (width > PREVIEW_MAX_DIM || height > PREVIEW_MAX_DIM ||
        (uint64_t)width * (uint64_t)height > PREVIEW_MAX_PIXELS)
        return cg__fail(err, CG_E_LIMIT,
                        "cg_image_preview: %dx%d exceeds the limits (sides <= %d, <= %llu "
                        "pixels)",
                        width, height, PREVIEW_MAX_DIM, PREVIEW_MAX_PIXELS);
    if (max_side == 0)
        max_side = PREVIEW_DEFAULT_SIDE;
    if (max_side < 1 || max_side > PREVIEW_MAX_SIDE)
        return cg__fail(err, CG_E_INVAL, "cg_image_preview: max_side %d out of range (1..%d)",
                        max_side, PREVIEW_MAX_SIDE);
    if (blur_radius == 0)
        blur_radius = max_side / 16 > 0 ? max_side / 16 : 1;
    if (blur_radius < -1 || blur_radius > PREVIEW_MAX_SIDE)
        return cg__fail(err, CG_E_INVAL,
                        "cg_image_preview: blur radius %d out of range (-1 none, 0 default, "
                        "1..%d)",
                        blur_radius, PREVIEW_MAX_SIDE);

    output_size(width, height, max_side, &ow, &oh);
    grey = cg__malloc_array((size_t)width, sizeof(float));
    acc = cg__calloc((size_t)ow * (size_t)oh, sizeof(float));
    tmp = cg__malloc_array((size_t)(ow > oh ? ow : oh) + (size_t)ow, sizeof(float));
    if (grey == NULL || acc == NULL || tmp == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "cg_image_preview: out of memory (%dx%d)", width,
                      height);
        goto done;
    }

    /* Downscale: each input row, reduced horizontally into tmp[ow..], is added into the output
     * rows its span [y, y+1) overlaps, weighted by the overlap. */
    {
        const double sy = (double)height / oh;
        float *hrow = tmp + (ow > oh ? ow : oh);

        for (int y = 0; y < height; y++) {
            int r = (int)(y / sy);
            double w0;

            grey_row(rgb, width, channels, y, grey);
            reduce_row(grey, width, ow, hrow);
            if (r >= oh)
                r = oh - 1;
            w0 = (r + 1) * sy - y;
            if (w0 > 1 || r == oh - 1)
                w0 = 1;
            if (w0 < 0)
                w0 = 0;
            for (int x = 0; x < ow; x++)
                acc[(size_t)r * ow + x] += (float)w0 * hrow[x];
            if (w0 < 1)
                for (int x = 0; x < ow; x++)
                    acc[(size_t)(r + 1) * ow + x] += (float)(1 - w0) * hrow[x];
        }
        const float norm = (float)(1.0 / (((double)width / ow) * sy));
        for (size_t i = 0; i < (size_t)ow * oh; i++)
            acc[i] *= norm;
    }

    if (blur_radius > 0) {
        for (int y = 0; y < oh; y++)
            box_pass(acc + (size_t)y * ow, 1, ow, blur_radius, tmp);
        for (int x = 0; x < ow; x++)
            box_pass(acc + x, (size_t)ow, oh, blur_radius, tmp);
    }

    hl = snprintf(header, sizeof(header), "P5\n%d %d\n255\n", ow, oh);
    pgm = cg__malloc((size_t)hl + (size_t)ow * oh);
    if (pgm == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "cg_image_preview: out of memory (%dx%d)", ow, oh);
        goto done;
    }
    memcpy(pgm, header, (size_t)hl);
    for (size_t i = 0; i < (size_t)ow * oh; i++) {
        const float v = acc[i] + 0.5f;

        pgm[hl + i] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
    }
    *out = pgm;
    *out_len = (size_t)hl + (size_t)ow * oh;
done:
    cg__free(grey);
    cg__free(acc);
    cg__free(tmp);
    return st;
}
