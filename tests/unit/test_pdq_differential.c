/* The AVX2 hashing path against the portable one, bit for bit, on graphics this test draws
 * itself: the kind of images (logos, icons, slides, flat banners) whose DCT outputs are full of
 * exact ties and near-zero values, so any difference in arithmetic order shows as flipped bits.
 * The portable path is the plain transcription of the reference (its float order, written out);
 * the conformance vectors (test_pdq_conformance) tie both to the reference itself.
 *
 * Each image is drawn (squares, rectangles, discs, rings, crosses, stripes, checkerboards,
 * gradients, flat colours, diagonals, triangles, mirror-symmetric patterns, text-like blocks),
 * encoded as a PNG of one of five colour types (RGB, grey, grey + alpha, RGBA, palette) or as a
 * bilevel (0/255) grey image, decoded by the library, and hashed with the eight dihedral
 * variants on both paths: hash, quality and every variant must be equal. Sizes run from 1x1 to
 * 2000 px on a side (the sides the filter and the 512 resize treat specially: 1-8, 63-65,
 * 127-129, 255-257, 511-513, 1023-1025, 1999-2000, and others). 384 images in four cases; the
 * seed is fixed, so a failure names a reproducible image. */
#include "cg_test.h"

#include "cg_testenc.h"
#include "childguard.h"
#include "hash/pdq_int.h"

#include <math.h>

#define IMAGES_PER_CASE 96

typedef cg_test_rng rng;

static uint32_t below(rng *r, uint32_t n)
{
    return (uint32_t)(cg_test_rng_next(r) % n);
}

static const uint32_t sides[] = {1,   2,   3,   4,   5,    6,    7,    8,    13,   21,   31,
                                 48,  63,  64,  65,  100,  127,  128,  129,  200,  255,  256,
                                 257, 300, 511, 512, 513,  640,  800,  1000, 1023, 1024, 1025,
                                 1080, 1999, 2000};
#define N_SIDES (sizeof(sides) / sizeof(sides[0]))

enum { SHAPES = 14 };
static const char *const shape_names[SHAPES] = {
    "square",  "rect",     "disc",     "ring",  "cross",    "hstripes", "vstripes",
    "checker", "gradient", "radial",   "flat",  "diagonal", "triangle", "mirror-blocks"};

/* Coverage 0..1 of shape s at (x, y) of a w x h canvas; param varies the shape. */
static double shape_at(int s, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t param)
{
    const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    const double dx = x - cx, dy = y - cy, m = (w < h ? w : h) / 2.0;
    const uint32_t p = param % 17 + 1;

    switch (s) {
    case 0:
        return fabs(dx) <= m / 2 && fabs(dy) <= m / 2;
    case 1:
        return fabs(dx) <= w / 3.0 && fabs(dy) <= h / 5.0;
    case 2:
        return dx * dx + dy * dy <= (m * 0.7) * (m * 0.7);
    case 3: {
        const double r = sqrt(dx * dx + dy * dy);
        return r <= m * 0.8 && r >= m * 0.5;
    }
    case 4:
        return fabs(dx) <= m / 6 || fabs(dy) <= m / 6;
    case 5:
        return (y / p) % 2;
    case 6:
        return (x / p) % 2;
    case 7:
        return ((x / p) + (y / p)) % 2;
    case 8:
        return w > 1 ? (double)x / (w - 1) : 0.5;
    case 9:
        return m > 0 ? fmin(1.0, sqrt(dx * dx + dy * dy) / (m * 1.4142)) : 0;
    case 10:
        return 0;
    case 11:
        return x * (double)h >= y * (double)w;
    case 12:
        return y >= h / 4.0 && fabs(dx) <= (y - h / 4.0) * w / (1.5 * h);
    default: { /* blocks mirrored left/right and top/bottom */
        const uint32_t mx = x < w / 2 ? x : w - 1 - x, my = y < h / 2 ? y : h - 1 - y;
        return ((mx / (p + 3)) * 7 + (my / (p + 5)) * 3) % 5 == 0;
    }
    }
}

enum { MODE_RGB, MODE_GREY, MODE_GREY_ALPHA, MODE_RGBA, MODE_PALETTE, MODE_BILEVEL, MODES };
static const char *const mode_names[MODES] = {"rgb", "grey", "grey+alpha", "rgba", "palette",
                                              "bilevel"};

/* Draws image number i of the case and encodes it as a PNG; describes it in what. */
static void draw(rng *r, cg_membuf *png, char *what, size_t n)
{
    const int s = (int)below(r, SHAPES), mode = (int)below(r, MODES);
    /* One side in eight is tiny (1-8 px: the all-zero hash, and the 5-8 px filter edges). */
    uint32_t w = sides[below(r, 8) == 0 ? below(r, 8) : 8 + below(r, N_SIDES - 8)];
    uint32_t h = sides[below(r, 8) == 0 ? below(r, 8) : 8 + below(r, N_SIDES - 8)];
    const uint32_t param = below(r, 1000);
    uint8_t fg[3], bg[3];
    png_color pal[2];
    png_byte trans[2] = {255, 128};
    int color, spp;
    uint8_t *pix;

    /* Keep the drawing cheap under sanitizers: large sides pair with small ones. */
    while ((uint64_t)w * h > 1200u * 1200u)
        h = sides[below(r, 20)];
    for (int c = 0; c < 3; c++) {
        fg[c] = (uint8_t)below(r, 256);
        bg[c] = (uint8_t)below(r, 256);
    }
    if (below(r, 4) == 0) { /* often black on white or white on black, as graphics are */
        memset(fg, below(r, 2) ? 255 : 0, 3);
        memset(bg, 255 - fg[0], 3);
    }
    switch (mode) {
    case MODE_RGB:
        color = PNG_COLOR_TYPE_RGB, spp = 3;
        break;
    case MODE_GREY_ALPHA:
        color = PNG_COLOR_TYPE_GRAY_ALPHA, spp = 2;
        break;
    case MODE_RGBA:
        color = PNG_COLOR_TYPE_RGB_ALPHA, spp = 4;
        break;
    case MODE_PALETTE:
        color = PNG_COLOR_TYPE_PALETTE, spp = 1;
        break;
    default:
        color = PNG_COLOR_TYPE_GRAY, spp = 1;
        break;
    }
    pix = malloc((size_t)w * h * spp);
    CG_ASSERT(pix != NULL);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const double a = shape_at(s, x, y, w, h, param);
            uint8_t *q = pix + ((size_t)y * w + x) * spp;
            uint8_t rgb[3];

            for (int c = 0; c < 3; c++)
                rgb[c] = (uint8_t)lround(bg[c] + a * (fg[c] - bg[c]));
            switch (mode) {
            case MODE_RGB:
                memcpy(q, rgb, 3);
                break;
            case MODE_RGBA:
                memcpy(q, rgb, 3);
                q[3] = (uint8_t)((x * 7 + y * 3) & 0xff); /* alpha is dropped, RGB kept */
                break;
            case MODE_GREY_ALPHA:
                q[0] = rgb[0];
                q[1] = (uint8_t)(a > 0.5 ? 255 : 0);
                break;
            case MODE_PALETTE:
                q[0] = a > 0.5;
                break;
            case MODE_BILEVEL:
                q[0] = a > 0.5 ? 255 : 0;
                break;
            default:
                q[0] = rgb[1];
                break;
            }
        }
    pal[0] = (png_color){bg[0], bg[1], bg[2]};
    pal[1] = (png_color){fg[0], fg[1], fg[2]};
    cg_test_encode_png(pix, (int)w, (int)h, color, 0, mode == MODE_PALETTE ? pal : NULL,
                       mode == MODE_PALETTE ? 2 : 0, mode == MODE_PALETTE ? trans : NULL,
                       mode == MODE_PALETTE ? 2 : 0, png);
    free(pix);
    snprintf(what, n, "%s %ux%u %s (param %u)", shape_names[s], w, h, mode_names[mode], param);
}

static int same(const cg_pdq_result *a, const cg_pdq_result *b)
{
    if (a->quality != b->quality || cg_pdq_distance(&a->hash, &b->hash) != 0)
        return 0;
    for (int v = 0; v < 8; v++)
        if (cg_pdq_distance(&a->dihedral[v], &b->dihedral[v]) != 0)
            return 0;
    return 1;
}

static void run(uint64_t seed)
{
    rng r = {seed};
    cg_pdq_hasher *fast, *plain;
    int bad = 0, tiny = 0, big = 0, flat = 0;

    if (!cg__pdq_avx2_usable())
        CG_SKIP("no AVX2 on this CPU: only the portable path runs here");
    CG_ASSERT_OK(cg_pdq_hasher_create(&fast), NULL);
    CG_ASSERT_OK(cg_pdq_hasher_create(&plain), NULL);
    cg__pdq_hasher_set_simd(fast, 1);
    cg__pdq_hasher_set_simd(plain, 0);
    for (int i = 0; i < IMAGES_PER_CASE; i++) {
        cg_membuf png = {0};
        char what[128];
        cg_image *img = NULL;
        cg_error err = {0};
        cg_pdq_result a, b;

        draw(&r, &png, what, sizeof(what));
        CG_ASSERT_OK(cg_image_decode_mem(png.data, png.len, NULL, &img, &err), &err);
        CG_ASSERT_OK(cg_pdq_hash_image(fast, img, 1, &a), NULL);
        CG_ASSERT_OK(cg_pdq_hash_image(plain, img, 1, &b), NULL);
        tiny += img->width < 5 || img->height < 5;
        big += img->width > 512 || img->height > 512;
        flat += a.quality == 0;
        if (!same(&a, &b)) {
            fprintf(stderr, "MISMATCH image %d: %s: quality %d vs %d, distance %d\n", i, what,
                    a.quality, b.quality, cg_pdq_distance(&a.hash, &b.hash));
            bad++;
        }
        cg_image_destroy(img);
        cg_membuf_free(&png);
    }
    cg_pdq_hasher_destroy(fast);
    cg_pdq_hasher_destroy(plain);
    printf("%d images (%d under 5 px, %d over 512 px, %d of quality 0): %d mismatches\n",
           IMAGES_PER_CASE, tiny, big, flat, bad);
    CG_ASSERT_EQ(bad, 0);
}

CG_TEST(avx2_equals_portable_graphics_a)
{
    run(1);
}

CG_TEST(avx2_equals_portable_graphics_b)
{
    run(2);
}

CG_TEST(avx2_equals_portable_graphics_c)
{
    run(3);
}

CG_TEST(avx2_equals_portable_graphics_d)
{
    run(4);
}
