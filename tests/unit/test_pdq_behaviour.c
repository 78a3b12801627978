/* PDQ behaviour on images synthesised here (no image files, never imagery of people): smooth
 * gradients with coloured shapes, seeded value noise, text-like strokes, checkerboards and
 * "landscapes" of layered sine waves. The cases check what PDQ promises rather than exact
 * values: determinism, robustness to mild edits (JPEG re-encoding, resizing, small crops,
 * brightness and contrast, blur, a watermark), dihedral variants that track true rotations and
 * flips, unrelated images far apart, the quality score, tiny images, grey versus RGB, the luma
 * entry point, the 512x512 nearest-neighbour resize and the hex form.
 *
 * What was measured (and so what the bounds are): JPEG, resizing from 50% to 200%, brightness,
 * contrast, blur, a small translucent label and crops of 1% of a side stay within the match
 * threshold of 31 (the largest is 30). Crops of 1.5% to 5% do not: PDQ is not crop-resistant,
 * and they reach 80; those cases only require that the crop stays nearest to its own original.
 * The tables of distances are printed (ctest -V, or run the binary with the case name).
 *
 * Images are built as plain cg_image structs: the struct and its pixels both come from malloc,
 * so cg_image_destroy (which frees both) releases them, as it does decoder output. */
#include "cg_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <jpeglib.h>

#include "childguard.h"
#include "common/alloc.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- seeded random numbers (splitmix64) ---------------------------------------------------- */

typedef cg_test_rng rng;

/* Uniform in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(cg_test_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [lo, hi). */
static double rng_uniform(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(r);
}

/* Uniform integer in [lo, hi]. */
static int rng_int(rng *r, int lo, int hi)
{
    return lo + (int)(cg_test_rng_next(r) % (uint64_t)(hi - lo + 1));
}

static void rng_colour(rng *r, double c[3])
{
    for (int k = 0; k < 3; k++)
        c[k] = rng_uniform(r, 0.0, 255.0);
}

/* ---- images --------------------------------------------------------------------------------- */

static cg_image *img_new(uint32_t w, uint32_t h, uint32_t channels)
{
    cg_image *img = calloc(1, sizeof(*img));

    CG_ASSERT(img != NULL);
    img->pixels = malloc((size_t)w * h * channels);
    CG_ASSERT(img->pixels != NULL);
    img->width = w;
    img->height = h;
    img->channels = channels;
    img->format = CG_FORMAT_UNKNOWN;
    img->source_width = w;
    img->source_height = h;
    img->bit_depth = 8;
    img->frame_count = 1;
    return img;
}

static uint8_t clamp_u8(double v)
{
    if (v <= 0.0)
        return 0;
    if (v >= 255.0)
        return 255;
    return (uint8_t)lround(v);
}

static uint8_t *px(const cg_image *img, uint32_t x, uint32_t y)
{
    return img->pixels + ((size_t)y * img->width + x) * img->channels;
}

static void put_rgb(cg_image *img, uint32_t x, uint32_t y, const double c[3])
{
    uint8_t *p = px(img, x, y);

    for (int k = 0; k < 3; k++)
        p[k] = clamp_u8(c[k]);
}

static void fill_rect(cg_image *img, double x0, double y0, double x1, double y1, const double c[3])
{
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++)
            if (x >= x0 && x < x1 && y >= y0 && y < y1)
                put_rgb(img, x, y, c);
}

static void fill_circle(cg_image *img, double cx, double cy, double r, const double c[3])
{
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                put_rgb(img, x, y, c);
}

/* A stroke of the given thickness from (x0, y0) to (x1, y1). */
static void draw_line(cg_image *img, double x0, double y0, double x1, double y1, double thick,
                      const double c[3])
{
    const double len = hypot(x1 - x0, y1 - y0);
    const int steps = (int)(len * 2.0) + 1;
    const int t = (int)thick;

    for (int s = 0; s <= steps; s++) {
        const double f = (double)s / steps;
        const int x = (int)lround(x0 + f * (x1 - x0)), y = (int)lround(y0 + f * (y1 - y0));

        for (int dy = 0; dy < t; dy++)
            for (int dx = 0; dx < t; dx++)
                if (x + dx >= 0 && y + dy >= 0 && (uint32_t)(x + dx) < img->width &&
                    (uint32_t)(y + dy) < img->height)
                    put_rgb(img, (uint32_t)(x + dx), (uint32_t)(y + dy), c);
    }
}

enum { KIND_SHAPES, KIND_NOISE, KIND_TEXT, KIND_CHECKER, KIND_LANDSCAPE, KIND_COUNT };

static const char *const kind_names[KIND_COUNT] = {"shapes", "noise", "text", "checker",
                                                   "landscape"};

/* A smooth two-colour gradient in a random direction with a soft vignette, under 4 to 6 large
 * and 30 to 50 smaller random filled circles and rectangles. */
static void gen_shapes(cg_image *img, rng *r)
{
    const double w = img->width, h = img->height, m = w < h ? w : h;
    const double a = rng_uniform(r, 0.0, 2.0 * M_PI);
    const double vx = rng_uniform(r, 0.2, 0.8) * w, vy = rng_uniform(r, 0.2, 0.8) * h;
    double c0[3], c1[3], c[3];
    int big, n;

    rng_colour(r, c0);
    rng_colour(r, c1);
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++) {
            const double t = 0.5 + (x / w - 0.5) * cos(a) + (y / h - 0.5) * sin(a);
            const double d = hypot(x - vx, y - vy) / m;
            for (int k = 0; k < 3; k++)
                c[k] = (c0[k] + (c1[k] - c0[k]) * t) * (1.0 - 0.35 * d * d);
            put_rgb(img, x, y, c);
        }
    big = rng_int(r, 4, 6);
    n = big + rng_int(r, 12, 20);
    for (int i = 0; i < n; i++) {
        const double cx = rng_uniform(r, 0.0, w), cy = rng_uniform(r, 0.0, h);
        const double s = (i < big ? rng_uniform(r, 0.25, 0.5) : rng_uniform(r, 0.06, 0.2)) * m;

        rng_colour(r, c);
        if (cg_test_rng_next(r) & 1)
            fill_circle(img, cx, cy, s / 2, c);
        else
            fill_rect(img, cx - s / 2, cy - s * 0.35, cx + s / 2, cy + s * 0.35, c);
    }
}

/* Value noise: a random lattice per octave, interpolated with smoothstep. */
static double lattice(uint64_t seed, int oct, int ch, int ix, int iy)
{
    rng t = {seed ^ ((uint64_t)(uint32_t)ix * 0x9E3779B1ULL) ^
             ((uint64_t)(uint32_t)iy << 32) ^ ((uint64_t)oct << 56) ^ ((uint64_t)ch << 60)};

    cg_test_rng_next(&t);
    return rng_unit(&t);
}

static double value_noise(uint64_t seed, int oct, int ch, double x, double y)
{
    const int ix = (int)floor(x), iy = (int)floor(y);
    double fx = x - ix, fy = y - iy;

    fx = fx * fx * (3 - 2 * fx);
    fy = fy * fy * (3 - 2 * fy);
    return (lattice(seed, oct, ch, ix, iy) * (1 - fx) + lattice(seed, oct, ch, ix + 1, iy) * fx) *
               (1 - fy) +
           (lattice(seed, oct, ch, ix, iy + 1) * (1 - fx) +
            lattice(seed, oct, ch, ix + 1, iy + 1) * fx) *
               fy;
}

/* Five octaves of seeded value noise (cells of 128 down to 8 pixels, amplitude falling slower
 * than the cell size, as in natural images): a shared luminance layer tinted per channel, with
 * a little per-pixel grain. */
static void gen_noise(cg_image *img, rng *r)
{
    const uint64_t seed = cg_test_rng_next(r);
    static const double cells[5] = {128, 64, 32, 16, 8}, amps[5] = {1.0, 0.6, 0.4, 0.25, 0.15};
    const double total = 1.0 + 0.6 + 0.4 + 0.25 + 0.15;
    double c[3];

    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++) {
            double base = 0;
            for (int o = 0; o < 5; o++)
                base += amps[o] * value_noise(seed, o, 3, x / cells[o], y / cells[o]);
            for (int k = 0; k < 3; k++) {
                double tint = 0;
                for (int o = 0; o < 3; o++)
                    tint += amps[o] * value_noise(seed, o, k, x / cells[o], y / cells[o]);
                /* base is in [0, total], tint in [0, 2.2]; centre and stretch. */
                c[k] = 128.0 + 330.0 * (0.8 * (base / total - 0.5) + 0.2 * (tint / 2.2 - 0.5)) +
                       rng_uniform(r, -6.0, 6.0);
            }
            put_rgb(img, x, y, c);
        }
}

/* A page of "text": lines of glyph-like clusters of 2 to 4 thin strokes on a pale background,
 * with a ragged right edge and a bolder heading. */
static void gen_text(cg_image *img, rng *r)
{
    const double w = img->width, h = img->height;
    double bg[3], ink[3];
    double y, lh;
    int line = 0;

    for (int k = 0; k < 3; k++) {
        bg[k] = rng_uniform(r, 215, 250);
        ink[k] = rng_uniform(r, 0, 70);
    }
    fill_rect(img, 0, 0, w, h, bg);
    lh = rng_uniform(r, 16, 24);
    y = rng_uniform(r, 0.04, 0.12) * h;
    while (y + lh < h * 0.95) {
        const int heading = line == 0;
        const double cw = heading ? lh * 0.8 : lh * 0.5, thick = heading ? 3 : rng_int(r, 1, 2);
        const double left = rng_uniform(r, 0.04, 0.10) * w;
        const double right = heading ? rng_uniform(r, 0.4, 0.7) * w : rng_uniform(r, 0.6, 0.95) * w;
        double x = left;

        while (x + cw < right) {
            const int word = rng_int(r, 2, 8);
            for (int ci = 0; ci < word && x + cw < right; ci++, x += cw * 1.15) {
                const int strokes = rng_int(r, 2, 4);
                for (int s = 0; s < strokes; s++) {
                    const double x0 = x + rng_unit(r) * cw, y0 = y + rng_unit(r) * lh * 0.7;
                    const double x1 = x + rng_unit(r) * cw, y1 = y + rng_unit(r) * lh * 0.7;
                    draw_line(img, x0, y0, x1, y1, thick, ink);
                }
            }
            x += cw * 1.2;
        }
        y += heading ? lh * 1.8 : lh * rng_uniform(r, 1.1, 1.4);
        if (rng_int(r, 0, 5) == 0)
            y += lh; /* paragraph break */
        line++;
    }
}

/* A checkerboard with random cell size, rotation, phase and colours. */
static void gen_checker(cg_image *img, rng *r)
{
    const double s = rng_uniform(r, 14, 48), a = rng_uniform(r, 0, M_PI / 4);
    const double ox = rng_uniform(r, 0, s), oy = rng_uniform(r, 0, s);
    double c0[3], c1[3];

    rng_colour(r, c0);
    rng_colour(r, c1);
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++) {
            const double u = x * cos(a) + y * sin(a) + ox, v = -x * sin(a) + y * cos(a) + oy;
            const long q = lround(floor(u / s)) + lround(floor(v / s));
            put_rgb(img, x, y, (q & 1) ? c1 : c0);
        }
}

/* A sky gradient and a sun over 3 to 5 ridges, each ridge a sum of three sine waves with random
 * frequency, amplitude and phase; nearer ridges are lower and darker, and each is textured with
 * a ripple of crossed sines. */
static void gen_landscape(cg_image *img, rng *r)
{
    const double w = img->width, h = img->height;
    const int layers = rng_int(r, 3, 5);
    double top[3], horizon[3], sun[3], c[3];
    double freq[5][3], amp[5][3], phase[5][3], base[5], col[5][3], tex[5][2];
    const double sx = rng_uniform(r, 0.15, 0.85) * w, sy = rng_uniform(r, 0.1, 0.3) * h;
    const double sr = rng_uniform(r, 0.05, 0.1) * (w < h ? w : h);

    rng_colour(r, top);
    rng_colour(r, horizon);
    for (int k = 0; k < 3; k++)
        sun[k] = rng_uniform(r, 200, 255);
    for (int l = 0; l < layers; l++) {
        base[l] = h * (0.35 + 0.5 * l / layers) + rng_uniform(r, -0.04, 0.04) * h;
        for (int m = 0; m < 3; m++) {
            freq[l][m] = rng_uniform(r, 0.5, 6.0);
            amp[l][m] = rng_uniform(r, 0.015, 0.07) * h;
            phase[l][m] = rng_uniform(r, 0, 2 * M_PI);
        }
        for (int k = 0; k < 3; k++)
            col[l][k] = rng_uniform(r, 20, 200) * (1.0 - 0.5 * l / layers);
        tex[l][0] = rng_uniform(r, 8, 24);
        tex[l][1] = rng_uniform(r, 6, 16);
    }
    for (uint32_t x = 0; x < img->width; x++) {
        double ridge[5];

        for (int l = 0; l < layers; l++) {
            ridge[l] = base[l];
            for (int m = 0; m < 3; m++)
                ridge[l] += amp[l][m] * sin(2 * M_PI * freq[l][m] * x / w + phase[l][m]);
        }
        for (uint32_t y = 0; y < img->height; y++) {
            int layer = -1;

            for (int l = 0; l < layers; l++)
                if (y >= ridge[l])
                    layer = l;
            if (layer < 0) {
                const double t = y / h;
                for (int k = 0; k < 3; k++)
                    c[k] = top[k] + (horizon[k] - top[k]) * t;
                if (hypot(x - sx, y - sy) < sr)
                    memcpy(c, sun, sizeof(c));
            } else {
                /* Darker with depth into the layer, with a ripple texture of crossed sines. */
                const double shade = (1.0 - 0.4 * (y - ridge[layer]) / h) *
                                     (1.0 + 0.35 * sin(2 * M_PI * x / tex[layer][0] + y * 0.05) *
                                                sin(2 * M_PI * y / tex[layer][1]));
                for (int k = 0; k < 3; k++)
                    c[k] = col[layer][k] * shade + 20.0;
            }
            put_rgb(img, x, y, c);
        }
    }
}

static cg_image *make_image(int kind, uint64_t seed, uint32_t w, uint32_t h)
{
    cg_image *img = img_new(w, h, 3);
    rng r = {seed * 7919 + (uint64_t)kind * 104729 + 1};

    switch (kind) {
    case KIND_SHAPES: gen_shapes(img, &r); break;
    case KIND_NOISE: gen_noise(img, &r); break;
    case KIND_TEXT: gen_text(img, &r); break;
    case KIND_CHECKER: gen_checker(img, &r); break;
    default: gen_landscape(img, &r); break;
    }
    return img;
}

static cg_image *img_copy(const cg_image *src)
{
    cg_image *img = img_new(src->width, src->height, src->channels);

    memcpy(img->pixels, src->pixels, (size_t)src->width * src->height * src->channels);
    return img;
}

/* ---- transforms ----------------------------------------------------------------------------- */

static cg_image *resize_nearest(const cg_image *src, uint32_t nw, uint32_t nh)
{
    cg_image *img = img_new(nw, nh, src->channels);

    for (uint32_t y = 0; y < nh; y++) {
        const uint32_t sy = (uint32_t)(((y + 0.5) * src->height) / nh);
        for (uint32_t x = 0; x < nw; x++) {
            const uint32_t sx = (uint32_t)(((x + 0.5) * src->width) / nw);
            memcpy(px(img, x, y), px(src, sx, sy), src->channels);
        }
    }
    return img;
}

/* Source sample positions for bilinear resampling along one axis (pixel centres aligned). */
static void bilinear_taps(uint32_t n, uint32_t nn, uint32_t *i0, uint32_t *i1, double *t)
{
    for (uint32_t i = 0; i < nn; i++) {
        double f = (i + 0.5) * n / nn - 0.5;

        f = f < 0 ? 0 : f > n - 1 ? n - 1 : f;
        i0[i] = (uint32_t)f;
        i1[i] = i0[i] + 1 < n ? i0[i] + 1 : i0[i];
        t[i] = f - i0[i];
    }
}

static cg_image *resize_bilinear(const cg_image *src, uint32_t nw, uint32_t nh)
{
    cg_image *img = img_new(nw, nh, src->channels);
    const uint32_t C = src->channels;
    uint32_t *x0 = malloc(nw * sizeof(uint32_t)), *x1 = malloc(nw * sizeof(uint32_t));
    uint32_t *y0 = malloc(nh * sizeof(uint32_t)), *y1 = malloc(nh * sizeof(uint32_t));
    double *tx = malloc(nw * sizeof(double)), *ty = malloc(nh * sizeof(double));

    CG_ASSERT(x0 && x1 && y0 && y1 && tx && ty);
    bilinear_taps(src->width, nw, x0, x1, tx);
    bilinear_taps(src->height, nh, y0, y1, ty);
    for (uint32_t y = 0; y < nh; y++) {
        const uint8_t *ra = px(src, 0, y0[y]), *rb = px(src, 0, y1[y]);
        uint8_t *d = px(img, 0, y);
        for (uint32_t x = 0; x < nw; x++)
            for (uint32_t k = 0; k < C; k++) {
                const double top = ra[x0[x] * C + k] * (1 - tx[x]) + ra[x1[x] * C + k] * tx[x];
                const double bot = rb[x0[x] * C + k] * (1 - tx[x]) + rb[x1[x] * C + k] * tx[x];
                d[x * C + k] = clamp_u8(top * (1 - ty[y]) + bot * ty[y]);
            }
    }
    free(x0);
    free(x1);
    free(y0);
    free(y1);
    free(tx);
    free(ty);
    return img;
}

static cg_image *resize_scale(const cg_image *src, double scale, int bilinear)
{
    const uint32_t nw = (uint32_t)lround(src->width * scale);
    const uint32_t nh = (uint32_t)lround(src->height * scale);

    return bilinear ? resize_bilinear(src, nw, nh) : resize_nearest(src, nw, nh);
}

/* Removes l, t, r, b pixels from the left, top, right and bottom. */
static cg_image *crop(const cg_image *src, uint32_t l, uint32_t t, uint32_t r, uint32_t b)
{
    cg_image *img = img_new(src->width - l - r, src->height - t - b, src->channels);

    for (uint32_t y = 0; y < img->height; y++)
        memcpy(px(img, 0, y), px(src, l, y + t), (size_t)img->width * src->channels);
    return img;
}

static cg_image *crop_percent(const cg_image *src, double l, double t, double r, double b)
{
    const double w = src->width / 100.0, h = src->height / 100.0;

    return crop(src, (uint32_t)lround(w * l), (uint32_t)lround(h * t), (uint32_t)lround(w * r),
                (uint32_t)lround(h * b));
}

/* The true image transform for each cg_pdq_dihedral value, as the header describes it. */
static cg_image *dihedral_transform(const cg_image *src, int v)
{
    const uint32_t W = src->width, H = src->height;
    const int swap = v == CG_PDQ_ROT90 || v == CG_PDQ_ROT270 || v == CG_PDQ_FLIP_PLUS1 ||
                     v == CG_PDQ_FLIP_MINUS1;
    cg_image *img = img_new(swap ? H : W, swap ? W : H, src->channels);

    for (uint32_t r = 0; r < img->height; r++)
        for (uint32_t c = 0; c < img->width; c++) {
            uint32_t sr = r, sc = c;
            switch (v) {
            case CG_PDQ_ROT90: sr = c; sc = W - 1 - r; break; /* counter-clockwise */
            case CG_PDQ_ROT180: sr = H - 1 - r; sc = W - 1 - c; break;
            case CG_PDQ_ROT270: sr = H - 1 - c; sc = r; break;
            case CG_PDQ_FLIPX: sr = H - 1 - r; break;  /* top and bottom swapped */
            case CG_PDQ_FLIPY: sc = W - 1 - c; break;  /* left and right mirrored */
            case CG_PDQ_FLIP_PLUS1: sr = c; sc = r; break;
            case CG_PDQ_FLIP_MINUS1: sr = H - 1 - c; sc = W - 1 - r; break;
            default: break;
            }
            memcpy(px(img, c, r), px(src, sc, sr), src->channels);
        }
    return img;
}

static const char *const dihedral_names[8] = {"original", "rot90", "rot180", "rot270",
                                              "flipx", "flipy", "flip+1", "flip-1"};

static cg_image *brightness_contrast(const cg_image *src, double contrast, double bright)
{
    cg_image *img = img_copy(src);
    const size_t n = (size_t)img->width * img->height * img->channels;

    for (size_t i = 0; i < n; i++)
        img->pixels[i] = clamp_u8((src->pixels[i] - 128.0) * contrast + 128.0 + bright);
    return img;
}

/* passes rounds of a separable [1 4 6 4 1] / 16 kernel (sigma about 1 each), edges clamped;
 * integer arithmetic, rounded. */
static cg_image *blur(const cg_image *src, int passes)
{
    static const int k5[5] = {1, 4, 6, 4, 1};
    cg_image *a = img_copy(src), *b = img_copy(src);
    const int W = (int)src->width, H = (int)src->height, C = (int)src->channels;

    for (int p = 0; p < passes; p++) {
        for (int y = 0; y < H; y++) {
            const uint8_t *row = a->pixels + (size_t)y * W * C;
            uint8_t *out = b->pixels + (size_t)y * W * C;
            for (int x = 0; x < W; x++)
                for (int k = 0; k < C; k++) {
                    int s = 8;
                    for (int t = -2; t <= 2; t++) {
                        const int xx = x + t < 0 ? 0 : x + t >= W ? W - 1 : x + t;
                        s += k5[t + 2] * row[xx * C + k];
                    }
                    out[x * C + k] = (uint8_t)(s >> 4);
                }
        }
        for (int y = 0; y < H; y++) {
            const uint8_t *rows[5];
            uint8_t *out = a->pixels + (size_t)y * W * C;
            for (int t = -2; t <= 2; t++) {
                const int yy = y + t < 0 ? 0 : y + t >= H ? H - 1 : y + t;
                rows[t + 2] = b->pixels + (size_t)yy * W * C;
            }
            for (int i = 0; i < W * C; i++)
                out[i] = (uint8_t)((8 + rows[0][i] + 4 * rows[1][i] + 6 * rows[2][i] +
                                    4 * rows[3][i] + rows[4][i]) >> 4);
        }
    }
    cg_image_destroy(b);
    return a;
}

/* A translucent (40%) white label with a dark outline near the bottom-right corner, 8% x 4% of
 * the image, as a photo site might stamp. */
static cg_image *watermark(const cg_image *src)
{
    cg_image *img = img_copy(src);
    const uint32_t ww = img->width * 8 / 100, wh = img->height * 4 / 100;
    const uint32_t x0 = img->width - ww - img->width / 40, y0 = img->height - wh - img->height / 40;

    for (uint32_t y = y0; y < y0 + wh; y++)
        for (uint32_t x = x0; x < x0 + ww; x++) {
            const int border = x == x0 || y == y0 || x == x0 + ww - 1 || y == y0 + wh - 1;
            uint8_t *p = px(img, x, y);
            for (uint32_t k = 0; k < img->channels; k++)
                p[k] = border ? 20 : clamp_u8(0.6 * p[k] + 0.4 * 255);
        }
    return img;
}

static void jpeg_fail(j_common_ptr cinfo)
{
    char msg[JMSG_LENGTH_MAX];

    (*cinfo->err->format_message)(cinfo, msg);
    cg_test_fail(__FILE__, __LINE__, "libjpeg: %s", msg);
}

/* Encodes with libjpeg at quality q and decodes back through cg_image_decode_mem. */
static cg_image *jpeg_roundtrip(const cg_image *src, int q)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    unsigned long len = 0;
    cg_image *out = NULL;
    cg_error err = {0};

    c.err = jpeg_std_error(&jerr);
    jerr.error_exit = jpeg_fail;
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = src->width;
    c.image_height = src->height;
    c.input_components = (int)src->channels;
    c.in_color_space = src->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, q, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px(src, 0, c.next_scanline);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    CG_ASSERT_OK(cg_image_decode_mem(buf, len, NULL, &out, &err), &err);
    free(buf);
    CG_ASSERT_EQ(out->format, CG_FORMAT_JPEG);
    CG_ASSERT_EQ(out->width, src->width);
    CG_ASSERT_EQ(out->height, src->height);
    return out;
}

/* ---- hashing helpers ------------------------------------------------------------------------ */

static cg_pdq_hasher *new_hasher(void)
{
    cg_pdq_hasher *h = NULL;

    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    CG_ASSERT(h != NULL);
    return h;
}

static cg_pdq_result hash_img(cg_pdq_hasher *h, const cg_image *img, int dihedral)
{
    cg_pdq_result res;

    CG_ASSERT_OK(cg_pdq_hash_image(h, img, dihedral, &res), NULL);
    CG_ASSERT(res.quality >= 0 && res.quality <= 100);
    return res;
}

static int pdq_equal(const cg_pdq *a, const cg_pdq *b)
{
    return memcmp(a->words, b->words, sizeof(a->words)) == 0;
}

static int pdq_is_zero(const cg_pdq *a)
{
    static const cg_pdq zero;

    return pdq_equal(a, &zero);
}

/* The luma the header documents for RGB: 0.299 R + 0.587 G + 0.114 B in float32. */
static float *luma_of(const cg_image *img)
{
    const size_t n = (size_t)img->width * img->height;
    float *l = malloc(n * sizeof(float));

    CG_ASSERT(l != NULL);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = img->pixels + i * img->channels;
        l[i] = img->channels == 1
                   ? (float)p[0]
                   : 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
    }
    return l;
}

/* The rich images that the robustness cases use: three seeds of each content kind with both
 * fine detail (a high quality score) and large-scale structure. Text-like pages are left out:
 * their 1-2 pixel strokes alias away under downscaling, which is not a mild edit for them. */
typedef struct img_spec {
    int kind;
    uint64_t seed;
    uint32_t w, h;
} img_spec;

static const img_spec rich[] = {
    {KIND_SHAPES, 1, 448, 336},    {KIND_SHAPES, 2, 400, 400},    {KIND_SHAPES, 3, 360, 480},
    {KIND_NOISE, 1, 480, 360},     {KIND_NOISE, 2, 384, 448},     {KIND_NOISE, 3, 512, 384},
    {KIND_LANDSCAPE, 1, 500, 320}, {KIND_LANDSCAPE, 2, 440, 440}, {KIND_LANDSCAPE, 3, 512, 288},
};
#define RICH_COUNT (sizeof(rich) / sizeof(rich[0]))

/* Text-like pages, for the edits that thin strokes survive. */
static const img_spec pages[] = {
    {KIND_TEXT, 1, 420, 480}, {KIND_TEXT, 2, 480, 400}, {KIND_TEXT, 3, 512, 512},
};
#define PAGE_COUNT (sizeof(pages) / sizeof(pages[0]))

/* ---- cases ---------------------------------------------------------------------------------- */

CG_TEST(identical_input_is_deterministic)
{
    cg_pdq_hasher *h1 = new_hasher(), *h2 = new_hasher();
    cg_image *big = make_image(KIND_LANDSCAPE, 99, 700, 640);
    cg_image *small = make_image(KIND_SHAPES, 98, 31, 17);

    for (int kind = 0; kind < KIND_COUNT; kind++) {
        cg_image *img = make_image(kind, 11, 333, 251);
        cg_image *same = make_image(kind, 11, 333, 251);
        cg_pdq_result a = hash_img(h1, img, 1), b, c, d;

        /* The generator itself is deterministic: same seed, same pixels. */
        CG_ASSERT(memcmp(img->pixels, same->pixels, (size_t)333 * 251 * 3) == 0);
        /* Scratch reuse: hash something larger and something smaller in between. */
        hash_img(h1, big, 1);
        hash_img(h1, small, 0);
        b = hash_img(h1, same, 1);
        c = hash_img(h2, img, 1);
        d = hash_img(h1, img, 0);
        CG_ASSERT_EQ(cg_pdq_distance(&a.hash, &b.hash), 0);
        CG_ASSERT_EQ(cg_pdq_distance(&a.hash, &c.hash), 0);
        CG_ASSERT_EQ(cg_pdq_distance(&a.hash, &d.hash), 0);
        CG_ASSERT_EQ(a.quality, b.quality);
        CG_ASSERT_EQ(a.quality, c.quality);
        CG_ASSERT_EQ(a.quality, d.quality);
        CG_ASSERT(pdq_equal(&a.dihedral[0], &a.hash));
        for (int v = 0; v < 8; v++) {
            CG_ASSERT_EQ(cg_pdq_distance(&a.dihedral[v], &b.dihedral[v]), 0);
            CG_ASSERT_EQ(cg_pdq_distance(&a.dihedral[v], &c.dihedral[v]), 0);
        }
        printf("%-10s quality %3d\n", kind_names[kind], a.quality);
        cg_image_destroy(img);
        cg_image_destroy(same);
    }
    cg_image_destroy(big);
    cg_image_destroy(small);
    cg_pdq_hasher_destroy(h1);
    cg_pdq_hasher_destroy(h2);
    cg_pdq_hasher_destroy(NULL);
}

/* One mild edit: a name and a function of the source image. */
typedef struct edit {
    const char *name;
    int kind; /* which transform */
    double p1, p2, p3, p4;
} edit;

enum { E_JPEG, E_NEAREST, E_BILINEAR, E_CROP, E_BC, E_BLUR, E_WATERMARK, E_JPEG_OF_RESIZE };

/* Mild edits, held to the match threshold. Crops here are 1% of a side (2% of a dimension when
 * both edges go); larger ones are in larger_crops. */

static const edit mild_edits[] = {
    {"jpeg q90", E_JPEG, 90, 0, 0, 0},
    {"jpeg q75", E_JPEG, 75, 0, 0, 0},
    {"jpeg q50", E_JPEG, 50, 0, 0, 0},
    {"nearest 50%", E_NEAREST, 0.5, 0, 0, 0},
    {"nearest 75%", E_NEAREST, 0.75, 0, 0, 0},
    {"nearest 150%", E_NEAREST, 1.5, 0, 0, 0},
    {"nearest 200%", E_NEAREST, 2.0, 0, 0, 0},
    {"bilinear 50%", E_BILINEAR, 0.5, 0, 0, 0},
    {"bilinear 67%", E_BILINEAR, 0.67, 0, 0, 0},
    {"bilinear 133%", E_BILINEAR, 1.33, 0, 0, 0},
    {"bilinear 200%", E_BILINEAR, 2.0, 0, 0, 0},
    {"crop 1% all edges", E_CROP, 1, 1, 1, 1},
    {"crop 1% left+top", E_CROP, 1, 1, 0, 0},
    {"crop 1% right", E_CROP, 0, 0, 1, 0},
    {"crop 1% bottom", E_CROP, 0, 0, 0, 1},
    {"brightness +30", E_BC, 1.0, 30, 0, 0},
    {"brightness -30", E_BC, 1.0, -30, 0, 0},
    {"contrast 1.3", E_BC, 1.3, 0, 0, 0},
    {"contrast 0.75 +10", E_BC, 0.75, 10, 0, 0},
    {"blur sigma~1", E_BLUR, 1, 0, 0, 0},
    {"blur sigma~1.4", E_BLUR, 2, 0, 0, 0},
    {"watermark", E_WATERMARK, 0, 0, 0, 0},
    {"bilinear 80% + jpeg q70", E_JPEG_OF_RESIZE, 0.8, 70, 0, 0},
};

static cg_image *apply_edit(const cg_image *img, const edit *e)
{
    switch (e->kind) {
    case E_JPEG: return jpeg_roundtrip(img, (int)e->p1);
    case E_NEAREST: return resize_scale(img, e->p1, 0);
    case E_BILINEAR: return resize_scale(img, e->p1, 1);
    case E_CROP: return crop_percent(img, e->p1, e->p2, e->p3, e->p4);
    case E_BC: return brightness_contrast(img, e->p1, e->p2);
    case E_BLUR: return blur(img, (int)e->p1);
    case E_WATERMARK: return watermark(img);
    default: {
        cg_image *tmp = resize_scale(img, e->p1, 1), *out = jpeg_roundtrip(tmp, (int)e->p2);
        cg_image_destroy(tmp);
        return out;
    }
    }
}

/* Hashes every image of imgs and every edit of it, prints one row of distances per image and
 * returns the largest. With nearest set, also asserts that each edited image is nearer to its
 * own original than to any other image of the set (so it would still be identified); otherwise
 * asserts every distance is within the match threshold. */
static int edit_table(const img_spec *imgs, size_t n_imgs, const edit *edits, size_t n_edits,
                      int nearest)
{
    cg_pdq_hasher *h = new_hasher();
    cg_pdq *orig = calloc(n_imgs, sizeof(cg_pdq));
    cg_image **made = calloc(n_imgs, sizeof(cg_image *));
    int max_d = 0, over = 0, max_i = 0, max_e = 0, min_margin = 256;

    CG_ASSERT(orig != NULL && made != NULL);
    for (size_t i = 0; i < n_imgs; i++) {
        made[i] = make_image(imgs[i].kind, imgs[i].seed, imgs[i].w, imgs[i].h);
        orig[i] = hash_img(h, made[i], 0).hash;
    }
    for (size_t i = 0; i < n_imgs; i++) {
        cg_image *img = made[i];
        const cg_pdq_result base = hash_img(h, img, 0);
        int img_max = 0;

        CG_ASSERT_EQ(cg_pdq_distance(&base.hash, &orig[i]), 0);
        CG_ASSERT_GE(base.quality, CG_PDQ_MIN_QUALITY);
        printf("%-10s#%d %ux%u q%3d:", kind_names[imgs[i].kind], (int)imgs[i].seed, imgs[i].w,
               imgs[i].h, base.quality);
        for (size_t e = 0; e < n_edits; e++) {
            cg_image *ed = apply_edit(img, &edits[e]);
            const cg_pdq_result r = hash_img(h, ed, 0);
            const int d = cg_pdq_distance(&base.hash, &r.hash);

            printf(" %2d", d);
            if (nearest) {
                for (size_t j = 0; j < n_imgs; j++) {
                    const int dj = cg_pdq_distance(&orig[j], &r.hash);
                    if (j == i)
                        continue;
                    if (dj - d < min_margin)
                        min_margin = dj - d;
                    if (dj <= d)
                        fprintf(stderr, "\n%s#%d %s: distance %d to its original, %d to %s#%d\n",
                                kind_names[imgs[i].kind], (int)imgs[i].seed, edits[e].name, d,
                                dj, kind_names[imgs[j].kind], (int)imgs[j].seed);
                    CG_ASSERT_GT(dj, d);
                }
            } else if (d > CG_PDQ_MATCH_THRESHOLD) {
                fprintf(stderr, "\nOVER THRESHOLD: %s#%d %s: distance %d\n",
                        kind_names[imgs[i].kind], (int)imgs[i].seed, edits[e].name, d);
                over++;
            }
            if (d > max_d) {
                max_d = d;
                max_i = (int)i;
                max_e = (int)e;
            }
            if (d > img_max)
                img_max = d;
            cg_image_destroy(ed);
        }
        printf("  (max %d)\n", img_max);
        cg_image_destroy(img);
    }
    free(made);
    printf("columns:");
    for (size_t e = 0; e < n_edits; e++)
        printf(" [%s]", edits[e].name);
    printf("\nmax distance over %zu images x %zu edits: %d (%s#%d, %s)\n", n_imgs, n_edits,
           max_d, kind_names[imgs[max_i].kind], (int)imgs[max_i].seed, edits[max_e].name);
    if (nearest)
        printf("smallest margin to another image: %d\n", min_margin);
    free(orig);
    cg_pdq_hasher_destroy(h);
    CG_ASSERT_EQ(over, 0);
    return max_d;
}

CG_TEST(mild_edits_stay_within_threshold)
{
    const int max_d = edit_table(rich, RICH_COUNT, mild_edits,
                                 sizeof(mild_edits) / sizeof(mild_edits[0]), 0);

    CG_ASSERT_LE(max_d, CG_PDQ_MATCH_THRESHOLD);
}

/* Crops of 1.5% to 5%: PDQ is not crop-resistant (its 16x16 DCT phases move with the frame), so
 * these are not held to the match threshold; each must still be nearer to its own original than
 * to any other image. */
static const edit larger_crops[] = {
    {"crop 1.5% all edges", E_CROP, 1.5, 1.5, 1.5, 1.5},
    {"crop 2% all edges", E_CROP, 2, 2, 2, 2},
    {"crop 2.5% all edges", E_CROP, 2.5, 2.5, 2.5, 2.5},
    {"crop 2% left+top", E_CROP, 2, 2, 0, 0},
    {"crop 2% right", E_CROP, 0, 0, 2, 0},
    {"crop 3% right", E_CROP, 0, 0, 3, 0},
    {"crop 3% top+bottom", E_CROP, 0, 1.5, 0, 1.5},
    {"crop 5% bottom", E_CROP, 0, 0, 0, 5},
    {"crop 5% left", E_CROP, 5, 0, 0, 0},
};

CG_TEST(larger_crops_still_nearest_to_original)
{
    const int max_d = edit_table(rich, RICH_COUNT, larger_crops,
                                 sizeof(larger_crops) / sizeof(larger_crops[0]), 1);

    /* Far from the ~128 of unrelated images. */
    CG_ASSERT_LT(max_d, 100);
}

/* Edits that keep 1-2 pixel strokes legible. */
static const edit page_edits[] = {
    {"jpeg q90", E_JPEG, 90, 0, 0, 0},
    {"jpeg q60", E_JPEG, 60, 0, 0, 0},
    {"nearest 150%", E_NEAREST, 1.5, 0, 0, 0},
    {"bilinear 133%", E_BILINEAR, 1.33, 0, 0, 0},
    {"bilinear 200%", E_BILINEAR, 2.0, 0, 0, 0},
    {"brightness -30", E_BC, 1.0, -30, 0, 0},
    {"contrast 1.3", E_BC, 1.3, 0, 0, 0},
    {"blur sigma~1", E_BLUR, 1, 0, 0, 0},
    {"watermark", E_WATERMARK, 0, 0, 0, 0},
};

/* Downscaling drops or merges strokes, and the regular line pattern makes crops move many
 * coefficients: not held to the threshold, but still identified. */
static const edit page_downscales[] = {
    {"crop 1% all edges", E_CROP, 1, 1, 1, 1},
    {"crop 2% right", E_CROP, 0, 0, 2, 0},
    {"nearest 50%", E_NEAREST, 0.5, 0, 0, 0},
    {"nearest 75%", E_NEAREST, 0.75, 0, 0, 0},
    {"bilinear 50%", E_BILINEAR, 0.5, 0, 0, 0},
    {"bilinear 67%", E_BILINEAR, 0.67, 0, 0, 0},
};

CG_TEST(text_pages_mild_edits)
{
    const int max_d = edit_table(pages, PAGE_COUNT, page_edits,
                                 sizeof(page_edits) / sizeof(page_edits[0]), 0);
    const int max_down = edit_table(pages, PAGE_COUNT, page_downscales,
                                    sizeof(page_downscales) / sizeof(page_downscales[0]), 1);

    CG_ASSERT_LE(max_d, CG_PDQ_MATCH_THRESHOLD);
    CG_ASSERT_LT(max_down, 100);
}

CG_TEST(dihedral_variants_track_true_transforms)
{
    cg_pdq_hasher *h = new_hasher();
    int worst_right = 0, best_wrong = 256;
    int sum = 0, count = 0;

    for (size_t i = 0; i < RICH_COUNT; i++) {
        cg_image *img = make_image(rich[i].kind, rich[i].seed, rich[i].w, rich[i].h);
        const cg_pdq_result base = hash_img(h, img, 1);

        printf("%s#%d:", kind_names[rich[i].kind], (int)rich[i].seed);
        CG_ASSERT(pdq_equal(&base.dihedral[0], &base.hash));
        for (int v = 1; v < 8; v++) {
            cg_image *t = dihedral_transform(img, v);
            const cg_pdq_result r = hash_img(h, t, 0);
            int best = 0, d[8];

            /* The quality score is a sum of absolute gradients, which rotations and flips only
             * reorder (up to the decimation grid's half-pixel offset). */
            CG_ASSERT_LE(abs(r.quality - base.quality), 5);
            for (int u = 0; u < 8; u++) {
                d[u] = cg_pdq_distance(&base.dihedral[u], &r.hash);
                if (d[u] < d[best])
                    best = u;
            }
            printf(" %s=%d", dihedral_names[v], d[v]);
            if (best != v)
                fprintf(stderr, "\n%s#%d %s: best variant is %s (%d) not %s (%d)\n",
                        kind_names[rich[i].kind], (int)rich[i].seed, dihedral_names[v],
                        dihedral_names[best], d[best], dihedral_names[v], d[v]);
            CG_ASSERT_EQ(best, v);
            CG_ASSERT_LE(d[v], CG_PDQ_MATCH_THRESHOLD);
            for (int u = 0; u < 8; u++)
                if (u != v) {
                    CG_ASSERT_GT(d[u], d[v]);
                    if (d[u] < best_wrong)
                        best_wrong = d[u];
                }
            if (d[v] > worst_right)
                worst_right = d[v];
            sum += d[v];
            count++;
            cg_image_destroy(t);
        }
        printf("\n");
        cg_image_destroy(img);
    }
    printf("true transform vs its dihedral variant: max %d, mean %.1f over %d; closest wrong "
           "variant %d\n",
           worst_right, (double)sum / count, count, best_wrong);
    cg_pdq_hasher_destroy(h);
}

CG_TEST(unrelated_images_are_far_apart)
{
    enum { SEEDS = 5, N = KIND_COUNT * SEEDS };
    cg_pdq_hasher *h = new_hasher();
    cg_pdq hashes[N];
    int names_kind[N], names_seed[N];
    int min_d = 256, max_d = 0, pairs = 0, mi = 0, mj = 0;
    double mean = 0;

    for (int kind = 0, n = 0; kind < KIND_COUNT; kind++)
        for (int s = 0; s < SEEDS; s++, n++) {
            /* Sizes vary too, so that size alone cannot make hashes agree. */
            cg_image *img = make_image(kind, 100 + (uint64_t)s, 240 + 16 * (uint32_t)s,
                                       300 - 12 * (uint32_t)s);
            const cg_pdq_result r = hash_img(h, img, 0);
            const int pc = cg_pdq_popcount(&r.hash);

            if (pc < 120 || pc > 136)
                fprintf(stderr, "%s#%d popcount %d\n", kind_names[kind], s, pc);
            CG_ASSERT_GE(pc, 120);
            CG_ASSERT_LE(pc, 136);
            hashes[n] = r.hash;
            names_kind[n] = kind;
            names_seed[n] = s;
            cg_image_destroy(img);
        }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            const int d = cg_pdq_distance(&hashes[i], &hashes[j]);
            CG_ASSERT_EQ(d, cg_pdq_distance(&hashes[j], &hashes[i]));
            if (d < min_d) {
                min_d = d;
                mi = i;
                mj = j;
            }
            if (d > max_d)
                max_d = d;
            mean += d;
            pairs++;
        }
    mean /= pairs;
    printf("%d images, %d pairs: min distance %d (%s#%d vs %s#%d), mean %.1f, max %d\n", N, pairs,
           min_d, kind_names[names_kind[mi]], names_seed[mi], kind_names[names_kind[mj]],
           names_seed[mj], mean, max_d);
    cg_pdq_hasher_destroy(h);
    CG_ASSERT_GT(min_d, 60);
}

CG_TEST(quality_low_for_flat_high_for_rich)
{
    cg_pdq_hasher *h = new_hasher();
    static const uint8_t levels[][3] = {{0, 0, 0}, {128, 128, 128}, {255, 255, 255},
                                        {200, 30, 90}};

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        cg_image *img = img_new(200, 150, 3);
        cg_pdq_result r;

        for (size_t p = 0; p < (size_t)200 * 150; p++)
            memcpy(img->pixels + 3 * p, levels[i], 3);
        r = hash_img(h, img, 0);
        printf("flat %u,%u,%u: quality %d\n", levels[i][0], levels[i][1], levels[i][2],
               r.quality);
        CG_ASSERT_LT(r.quality, CG_PDQ_MIN_QUALITY);
        cg_image_destroy(img);
    }
    /* A faint, nearly flat image is still low quality. */
    {
        cg_image *img = make_image(KIND_SHAPES, 5, 256, 256);
        cg_image *faint = brightness_contrast(img, 0.03, 0);
        const cg_pdq_result r = hash_img(h, faint, 0);

        printf("faint shapes (contrast 3%%): quality %d\n", r.quality);
        CG_ASSERT_LT(r.quality, CG_PDQ_MIN_QUALITY);
        cg_image_destroy(img);
        cg_image_destroy(faint);
    }
    for (size_t i = 0; i < RICH_COUNT; i++) {
        cg_image *img = make_image(rich[i].kind, rich[i].seed, rich[i].w, rich[i].h);
        const cg_pdq_result r = hash_img(h, img, 0);

        printf("%s#%d: quality %d\n", kind_names[rich[i].kind], (int)rich[i].seed, r.quality);
        CG_ASSERT_GE(r.quality, 80);
        cg_image_destroy(img);
    }
    cg_pdq_hasher_destroy(h);
}

CG_TEST(tiny_images_hash_to_zero)
{
    static const uint32_t sizes[][2] = {{1, 1}, {4, 4}, {4, 100}, {100, 4}, {2, 900}, {900, 3}};
    cg_pdq_hasher *h = new_hasher();

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        const uint32_t w = sizes[i][0], hh = sizes[i][1];
        cg_image *img = make_image(KIND_NOISE, 3, w, hh);
        float *l = luma_of(img);
        cg_pdq_result r = hash_img(h, img, 1), rl;

        CG_ASSERT(pdq_is_zero(&r.hash));
        CG_ASSERT_EQ(r.quality, 0);
        for (int v = 0; v < 8; v++)
            CG_ASSERT(pdq_is_zero(&r.dihedral[v]));
        CG_ASSERT_OK(cg_pdq_hash_luma(h, l, w, hh, 1, &rl), NULL);
        CG_ASSERT(pdq_is_zero(&rl.hash));
        CG_ASSERT_EQ(rl.quality, 0);
        free(l);
        cg_image_destroy(img);
    }
    /* At 5x5 the image is hashed: a non-flat one gets a non-zero hash. */
    {
        cg_image *img = img_new(5, 5, 3);
        rng r = {42};
        for (size_t p = 0; p < 75; p++)
            img->pixels[p] = (uint8_t)rng_int(&r, 0, 255);
        const cg_pdq_result res = hash_img(h, img, 0);
        CG_ASSERT(!pdq_is_zero(&res.hash));
        cg_image_destroy(img);
    }
    cg_pdq_hasher_destroy(h);
}

CG_TEST(grey_matches_rgb_with_equal_channels)
{
    cg_pdq_hasher *h = new_hasher();
    int max_d = 0;

    for (int kind = 0; kind < KIND_COUNT; kind++) {
        cg_image *src = make_image(kind, 21, 310, 270);
        cg_image *grey = img_new(310, 270, 1), *rgb = img_new(310, 270, 3);
        const size_t n = (size_t)310 * 270;

        for (size_t p = 0; p < n; p++) {
            const uint8_t *s = src->pixels + 3 * p;
            const uint8_t g = clamp_u8(0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2]);
            grey->pixels[p] = g;
            memset(rgb->pixels + 3 * p, g, 3);
        }
        const cg_pdq_result a = hash_img(h, grey, 0), b = hash_img(h, rgb, 0);
        const int d = cg_pdq_distance(&a.hash, &b.hash);
        printf("%-10s grey vs R=G=B: distance %d, quality %d vs %d\n", kind_names[kind], d,
               a.quality, b.quality);
        CG_ASSERT_LE(d, 4);
        CG_ASSERT_LE(abs(a.quality - b.quality), 1);
        if (d > max_d)
            max_d = d;
        cg_image_destroy(src);
        cg_image_destroy(grey);
        cg_image_destroy(rgb);
    }
    printf("max grey vs RGB distance %d\n", max_d);
    cg_pdq_hasher_destroy(h);
}

CG_TEST(luma_entry_point_matches_image)
{
    static const uint32_t sizes[][2] = {{320, 240}, {512, 512}, {37, 53}, {5, 5}, {512, 64},
                                        {129, 500}};
    cg_pdq_hasher *h = new_hasher();

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int channels = 1; channels <= 3; channels += 2) {
            const uint32_t w = sizes[i][0], hh = sizes[i][1];
            cg_image *img = make_image((int)(i % KIND_COUNT), 7 + i, w, hh);
            cg_image *use = img;
            float *l;
            cg_pdq_result a, b;

            if (channels == 1) {
                use = img_new(w, hh, 1);
                for (size_t p = 0; p < (size_t)w * hh; p++)
                    use->pixels[p] = img->pixels[3 * p + 1];
            }
            l = luma_of(use);
            a = hash_img(h, use, 1);
            CG_ASSERT_OK(cg_pdq_hash_luma(h, l, w, hh, 1, &b), NULL);
            CG_ASSERT_EQ(cg_pdq_distance(&a.hash, &b.hash), 0);
            CG_ASSERT_EQ(a.quality, b.quality);
            for (int v = 0; v < 8; v++)
                CG_ASSERT_EQ(cg_pdq_distance(&a.dihedral[v], &b.dihedral[v]), 0);
            free(l);
            if (use != img)
                cg_image_destroy(use);
            cg_image_destroy(img);
        }
    cg_pdq_hasher_destroy(h);
}

CG_TEST(large_images_resize_to_512_nearest)
{
    cg_pdq_hasher *h = new_hasher();

    /* A 1024x1024 image of 2x2 blocks: the resize picks one pixel of each block. */
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        cg_image *small = make_image(kind, 31, 512, 512);
        cg_image *big = img_new(1024, 1024, 3);

        for (uint32_t y = 0; y < 1024; y++)
            for (uint32_t x = 0; x < 1024; x++)
                memcpy(px(big, x, y), px(small, x / 2, y / 2), 3);
        const cg_pdq_result a = hash_img(h, small, 1), b = hash_img(h, big, 1);
        CG_ASSERT_EQ(cg_pdq_distance(&a.hash, &b.hash), 0);
        CG_ASSERT_EQ(a.quality, b.quality);
        for (int v = 0; v < 8; v++)
            CG_ASSERT_EQ(cg_pdq_distance(&a.dihedral[v], &b.dihedral[v]), 0);
        cg_image_destroy(small);
        cg_image_destroy(big);
    }
    /* Any size with a side over 512 (also non-square, also one side only) hashes as its
     * nearest-neighbour resize to exactly 512x512 with source index floor(i * n / 512). */
    {
        static const uint32_t sizes[][2] = {{900, 600}, {513, 100}, {300, 1500}, {777, 777}};
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            const uint32_t w = sizes[i][0], hh = sizes[i][1];
            cg_image *big = make_image(KIND_LANDSCAPE, 40 + i, w, hh);
            cg_image *res = img_new(512, 512, 3);

            for (uint32_t y = 0; y < 512; y++)
                for (uint32_t x = 0; x < 512; x++)
                    memcpy(px(res, x, y),
                           px(big, (uint32_t)((uint64_t)x * w / 512),
                              (uint32_t)((uint64_t)y * hh / 512)),
                           3);
            const cg_pdq_result a = hash_img(h, big, 0), b = hash_img(h, res, 0);
            CG_ASSERT_EQ(cg_pdq_distance(&a.hash, &b.hash), 0);
            CG_ASSERT_EQ(a.quality, b.quality);
            cg_image_destroy(big);
            cg_image_destroy(res);
        }
    }
    cg_pdq_hasher_destroy(h);
}

CG_TEST(hex_round_trip)
{
    cg_pdq_hasher *h = new_hasher();
    cg_image *img = make_image(KIND_SHAPES, 77, 200, 200);
    const cg_pdq_result res = hash_img(h, img, 0);
    rng r = {2024};
    char hex[CG_PDQ_HEX_LEN + 1], upper[CG_PDQ_HEX_LEN + 1], bad[CG_PDQ_HEX_LEN + 2];
    cg_pdq back, hashes[9];

    hashes[0] = res.hash;
    for (int i = 1; i < 9; i++)
        for (int w = 0; w < 16; w++)
            hashes[i].words[w] = (uint16_t)cg_test_rng_next(&r);
    for (int i = 0; i < 9; i++) {
        memset(hex, 'Z', sizeof(hex));
        cg_pdq_to_hex(&hashes[i], hex);
        CG_ASSERT_EQ(strlen(hex), CG_PDQ_HEX_LEN);
        for (int k = 0; k < CG_PDQ_HEX_LEN; k++)
            CG_ASSERT((hex[k] >= '0' && hex[k] <= '9') || (hex[k] >= 'a' && hex[k] <= 'f'));
        CG_ASSERT_OK(cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &back), NULL);
        CG_ASSERT(pdq_equal(&back, &hashes[i]));
        for (int k = 0; k <= CG_PDQ_HEX_LEN; k++)
            upper[k] = (hex[k] >= 'a' && hex[k] <= 'f') ? (char)(hex[k] - 'a' + 'A') : hex[k];
        memset(&back, 0, sizeof(back));
        CG_ASSERT_OK(cg_pdq_from_hex(upper, CG_PDQ_HEX_LEN, &back), NULL);
        CG_ASSERT(pdq_equal(&back, &hashes[i]));
    }
    /* Layout: words[15] is printed first, words[0] last, each big-endian. */
    {
        cg_pdq one;
        memset(&one, 0, sizeof(one));
        one.words[15] = 0xabcd;
        one.words[0] = 0x1234;
        cg_pdq_to_hex(&one, hex);
        CG_ASSERT_STR_EQ(hex, "abcd000000000000000000000000000000000000000000000000000000001234");
        CG_ASSERT_EQ(cg_pdq_popcount(&one), 10 + 5);
    }
    /* Wrong lengths and non-hex characters. */
    cg_pdq_to_hex(&hashes[0], hex);
    CG_ASSERT_EQ(cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN - 1, &back), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN - 2, &back), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_from_hex(hex, 0, &back), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_from_hex("", 0, &back), CG_E_INVAL);
    memcpy(bad, hex, CG_PDQ_HEX_LEN);
    bad[CG_PDQ_HEX_LEN] = '0';
    bad[CG_PDQ_HEX_LEN + 1] = '\0';
    CG_ASSERT_EQ(cg_pdq_from_hex(bad, CG_PDQ_HEX_LEN + 1, &back), CG_E_INVAL);
    bad[CG_PDQ_HEX_LEN] = '\n';
    CG_ASSERT_EQ(cg_pdq_from_hex(bad, CG_PDQ_HEX_LEN + 1, &back), CG_E_INVAL);
    {
        static const char bad_chars[] = {'g', 'G', 'x', ' ', '-', '/', ':', '@', '`', '\0'};
        static const int positions[] = {0, 1, 31, 62, 63};
        for (size_t c = 0; c < sizeof(bad_chars); c++)
            for (size_t p = 0; p < sizeof(positions) / sizeof(positions[0]); p++) {
                memcpy(bad, hex, CG_PDQ_HEX_LEN + 1);
                bad[positions[p]] = bad_chars[c];
                CG_ASSERT_EQ(cg_pdq_from_hex(bad, CG_PDQ_HEX_LEN, &back), CG_E_INVAL);
            }
    }
    /* Distance and popcount basics. */
    {
        cg_pdq inv;
        for (int w = 0; w < 16; w++)
            inv.words[w] = (uint16_t)~hashes[0].words[w];
        CG_ASSERT_EQ(cg_pdq_distance(&hashes[0], &hashes[0]), 0);
        CG_ASSERT_EQ(cg_pdq_distance(&hashes[0], &inv), 256);
        CG_ASSERT_EQ(cg_pdq_popcount(&hashes[0]) + cg_pdq_popcount(&inv), 256);
    }
    cg_image_destroy(img);
    cg_pdq_hasher_destroy(h);
}

CG_TEST(invalid_arguments_rejected)
{
    cg_pdq_hasher *h = new_hasher();
    cg_image *img = make_image(KIND_SHAPES, 1, 64, 64);
    cg_pdq_result r;
    float l[64];

    memset(l, 0, sizeof(l));
    CG_ASSERT_EQ(cg_pdq_hash_image(NULL, img, 0, &r), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_hash_image(h, NULL, 0, &r), CG_E_INVAL);
    img->channels = 4;
    CG_ASSERT_EQ(cg_pdq_hash_image(h, img, 0, &r), CG_E_INVAL);
    img->channels = 2;
    CG_ASSERT_EQ(cg_pdq_hash_image(h, img, 0, &r), CG_E_INVAL);
    img->channels = 3;
    {
        uint8_t *p = img->pixels;
        img->pixels = NULL;
        CG_ASSERT_EQ(cg_pdq_hash_image(h, img, 0, &r), CG_E_INVAL);
        img->pixels = p;
    }
    CG_ASSERT_EQ(cg_pdq_hash_luma(NULL, l, 8, 8, 0, &r), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_hash_luma(h, NULL, 8, 8, 0, &r), CG_E_INVAL);
    /* The hasher still works after rejected calls. */
    r = hash_img(h, img, 0);
    CG_ASSERT_EQ(cg_pdq_popcount(&r.hash) >= 120, 1);
    cg_image_destroy(img);
    cg_pdq_hasher_destroy(h);
}

CG_TEST(allocation_failure_leaves_hasher_usable)
{
    cg_pdq_hasher *h = NULL;
    long nth;

    /* Creation fails cleanly at every allocation. */
    for (nth = 1;; nth++) {
        cg_status st;

        cg__alloc_fail_at(nth);
        st = cg_pdq_hasher_create(&h);
        cg__alloc_fail_at(0);
        if (st == CG_OK)
            break;
        CG_ASSERT_EQ(st, CG_E_NOMEM);
        CG_ASSERT(h == NULL);
        CG_ASSERT_LT(nth, 100);
    }
    /* Growing the scratch buffers for a plane larger than 512x512 (or wider than 512) fails
     * with CG_E_NOMEM, and the hasher then still produces the right hash. */
    {
        const uint32_t w = 1100, hh = 600;
        cg_image *img = make_image(KIND_NOISE, 8, w, hh);
        float *l = luma_of(img);
        cg_pdq_result want, got;
        cg_pdq_hasher *fresh = new_hasher();

        CG_ASSERT_OK(cg_pdq_hash_luma(fresh, l, w, hh, 1, &want), NULL);
        cg_pdq_hasher_destroy(fresh);
        for (nth = 1;; nth++) {
            cg_status st;

            cg__alloc_fail_at(nth);
            st = cg_pdq_hash_luma(h, l, w, hh, 1, &got);
            cg__alloc_fail_at(0);
            if (st == CG_OK)
                break;
            CG_ASSERT_EQ(st, CG_E_NOMEM);
            CG_ASSERT(pdq_is_zero(&got.hash));
            CG_ASSERT_EQ(got.quality, 0);
            CG_ASSERT_LT(nth, 100);
        }
        /* At least the two planes had to grow, so the first failures were real. */
        CG_ASSERT_GT(nth, 2);
        CG_ASSERT_EQ(cg_pdq_distance(&want.hash, &got.hash), 0);
        CG_ASSERT_EQ(want.quality, got.quality);
        CG_ASSERT_OK(cg_pdq_hash_luma(h, l, w, hh, 1, &got), NULL);
        CG_ASSERT_EQ(cg_pdq_distance(&want.hash, &got.hash), 0);
        CG_ASSERT_EQ(want.quality, got.quality);
        free(l);
        cg_image_destroy(img);
    }
    cg_pdq_hasher_destroy(h);
}
