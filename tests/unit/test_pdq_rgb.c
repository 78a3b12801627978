/* cg_pdq_hash_rgb against its definition: building the float luma plane (0.299 R + 0.587 G +
 * 0.114 B in float32, the reference's fillFloatLumaFromRGB) and hashing it with
 * cg_pdq_hash_luma. Every case must be bit-identical (hash, quality and the eight dihedral
 * variants) across four routes:
 *   - the plane through the portable path (the reference's operation order, written out),
 *   - the plane through the AVX2 path (when the CPU has it),
 *   - the RGB pixels through the fused AVX2 path (luma computed while reading rows),
 *   - the RGB pixels through the portable path.
 * Sizes run from 5x5 to 1920x1080, with odd widths, thin strips, exactly 64x64 (no filter),
 * power-of-two and other windows, and strides larger than 3 * width. Each RGB buffer is
 * allocated to its last byte ((height - 1) * stride + 3 * width), so ASan reports any read past
 * a row's pixels. Images are synthetic: seeded noise, gradients, blocks and flat colours. */
#include "cg_test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "hash/pdq_int.h"

typedef cg_test_rng rng;

/* Content kinds: 0 noise, 1 gradients with noise, 2 blocks, 3 flat colour, 4 thin stripes. */
static uint8_t *make_rgb(uint32_t w, uint32_t h, size_t stride, int kind, uint64_t seed,
                         size_t *len)
{
    const size_t n = (size_t)(h - 1) * stride + (size_t)w * 3;
    uint8_t *p = malloc(n);
    rng r = {seed};

    CG_ASSERT(p != NULL);
    memset(p, 0xa5, n); /* stride padding: garbage that must not matter */
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *q = p + (size_t)y * stride + (size_t)x * 3;
            const uint64_t z = cg_test_rng_next(&r);

            for (int c = 0; c < 3; c++) {
                int v;

                switch (kind) {
                case 0:
                    v = (int)((z >> (8 * c)) & 0xff);
                    break;
                case 1:
                    v = (int)((x * (3 + c) + y * (5 - c)) * 255 / (w * 3 + h * 5)) +
                        (int)((z >> (8 * c)) & 7) - 3;
                    break;
                case 2:
                    v = (int)((((x / 37) * 7 + (y / 23) * 13 + (uint32_t)c * 5) * 29) & 0xff);
                    break;
                case 3:
                    v = (int)((seed >> (8 * c)) & 0xff);
                    break;
                default:
                    v = ((x / 2 + y + (uint32_t)c) & 1) ? 250 : 3;
                    break;
                }
                q[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    *len = n;
    return p;
}

/* The reference's luma, each product rounded to float32 on its own (volatile: no multiply-add
 * contraction whatever this file's compile flags), summed as ((R + G) + B). */
static float *make_luma(const uint8_t *p, uint32_t w, uint32_t h, size_t stride)
{
    float *l = malloc((size_t)w * h * sizeof(float));

    CG_ASSERT(l != NULL);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *q = p + (size_t)y * stride + (size_t)x * 3;
            volatile float r = 0.299f * (float)q[0];
            volatile float g = 0.587f * (float)q[1];
            volatile float b = 0.114f * (float)q[2];
            const float rg = r + g;

            l[(size_t)y * w + x] = rg + b;
        }
    return l;
}

static void assert_same(const cg_pdq_result *a, const cg_pdq_result *b, const char *what,
                        uint32_t w, uint32_t h, size_t stride, int kind)
{
    char ha[CG_PDQ_HEX_LEN + 1], hb[CG_PDQ_HEX_LEN + 1];

    if (memcmp(a, b, sizeof(*a)) == 0)
        return;
    cg_pdq_to_hex(&a->hash, ha);
    cg_pdq_to_hex(&b->hash, hb);
    cg_test_fail(__FILE__, __LINE__,
                 "%s differs at %ux%u stride %zu kind %d: %s q%d vs %s q%d (distance %d)", what,
                 w, h, stride, kind, ha, a->quality, hb, b->quality,
                 cg_pdq_distance(&a->hash, &b->hash));
}

typedef struct hashers {
    cg_pdq_hasher *simd;     /* AVX2 when the CPU has it */
    cg_pdq_hasher *portable; /* always the portable path */
} hashers;

static void hashers_init(hashers *hs)
{
    CG_ASSERT_OK(cg_pdq_hasher_create(&hs->simd), NULL);
    CG_ASSERT_OK(cg_pdq_hasher_create(&hs->portable), NULL);
    cg__pdq_hasher_set_simd(hs->portable, 0);
}

static void hashers_free(hashers *hs)
{
    cg_pdq_hasher_destroy(hs->simd);
    cg_pdq_hasher_destroy(hs->portable);
}

/* One size, stride and content through the four routes. Returns the quality (for the caller's
 * sanity checks). */
static int check_case(hashers *hs, uint32_t w, uint32_t h, size_t stride, int kind,
                      uint64_t seed)
{
    size_t len;
    uint8_t *px = make_rgb(w, h, stride, kind, seed, &len);
    float *luma = make_luma(px, w, h, stride);
    cg_pdq_result ref, r;

    CG_ASSERT_OK(cg_pdq_hash_luma(hs->portable, luma, w, h, 1, &ref), NULL);
    CG_ASSERT_OK(cg_pdq_hash_luma(hs->simd, luma, w, h, 1, &r), NULL);
    assert_same(&ref, &r, "hash_luma (AVX2 when available) vs portable", w, h, stride, kind);
    CG_ASSERT_OK(cg_pdq_hash_rgb(hs->simd, px, w, h, stride, 1, &r), NULL);
    assert_same(&ref, &r, "hash_rgb (AVX2 when available) vs portable hash_luma", w, h, stride,
                kind);
    CG_ASSERT_OK(cg_pdq_hash_rgb(hs->portable, px, w, h, stride, 1, &r), NULL);
    assert_same(&ref, &r, "portable hash_rgb vs portable hash_luma", w, h, stride, kind);
    /* Without dihedral variants the hash and quality are the same and the variants stay 0. */
    CG_ASSERT_OK(cg_pdq_hash_rgb(hs->simd, px, w, h, stride, 0, &r), NULL);
    CG_ASSERT(memcmp(&r.hash, &ref.hash, sizeof(r.hash)) == 0);
    CG_ASSERT_EQ(r.quality, ref.quality);
    for (int v = 0; v < 8; v++)
        CG_ASSERT_EQ(cg_pdq_popcount(&r.dihedral[v]), 0);
    free(luma);
    free(px);
    return ref.quality;
}

/* Strides: tight, +1 byte (odd), +13, and a 64-byte-aligned row as decoders lay them out. */
static size_t stride_of(uint32_t w, int which)
{
    const size_t tight = (size_t)w * 3;

    switch (which) {
    case 0:
        return tight;
    case 1:
        return tight + 1;
    case 2:
        return tight + 13;
    default:
        return (tight + 63) / 64 * 64 + 64;
    }
}

CG_TEST(rgb_matches_luma_small_sizes)
{
    static const uint32_t sz[][2] = {
        {5, 5},     {5, 6},     {6, 5},     {7, 9},     {8, 8},     {9, 7},     {13, 11},
        {16, 17},   {31, 33},   {63, 64},   {64, 63},   {64, 64},   {64, 65},   {65, 64},
        {65, 65},   {100, 5},   {5, 100},   {127, 129}, {128, 128}, {129, 127}, {200, 150},
        {255, 257}, {256, 256}, {257, 255}, {333, 211}, {511, 513}, {512, 512}, {513, 511},
    };
    hashers hs;
    int cases = 0;

    hashers_init(&hs);
    for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
        for (int s = 0; s < 4; s++)
            for (int kind = 0; kind < 5; kind++) {
                check_case(&hs, sz[i][0], sz[i][1], stride_of(sz[i][0], s), kind,
                           0x1234 + i * 31 + (size_t)s * 7 + (size_t)kind);
                cases++;
            }
    printf("rgb_matches_luma_small_sizes: %d cases identical (AVX2 %s)\n", cases,
           cg__pdq_avx2_usable() ? "on" : "off");
    hashers_free(&hs);
}

CG_TEST(rgb_matches_luma_video_sizes)
{
    static const uint32_t sz[][2] = {
        {176, 144}, {320, 240}, {426, 240}, {640, 360}, {853, 480},  {854, 480},
        {1000, 7},  {7, 1000},  {1279, 721}, {1280, 720}, {1919, 1081}, {1920, 1080},
    };
    hashers hs;
    int cases = 0;

    hashers_init(&hs);
    for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
        for (int s = 0; s < 4; s += (sz[i][0] >= 1279 ? 3 : 1))
            for (int kind = 0; kind < 5; kind += (sz[i][0] >= 1279 ? 2 : 1)) {
                check_case(&hs, sz[i][0], sz[i][1], stride_of(sz[i][0], s), kind,
                           0xbeef + i * 17 + (size_t)s * 5 + (size_t)kind);
                cases++;
            }
    printf("rgb_matches_luma_video_sizes: %d cases identical\n", cases);
    hashers_free(&hs);
}

/* Seeded random sizes, reusing the same hashers (scratch grows and shrinks in between). */
CG_TEST(rgb_matches_luma_random_sizes)
{
    hashers hs;
    rng r = {42};

    hashers_init(&hs);
    for (int i = 0; i < 60; i++) {
        const uint32_t w = 5 + (uint32_t)(cg_test_rng_next(&r) % (i < 40 ? 300 : 1100));
        const uint32_t h = 5 + (uint32_t)(cg_test_rng_next(&r) % (i < 40 ? 300 : 700));
        const int s = (int)(cg_test_rng_next(&r) % 4), kind = (int)(cg_test_rng_next(&r) % 5);

        check_case(&hs, w, h, stride_of(w, s), kind, cg_test_rng_next(&r));
    }
    hashers_free(&hs);
}

CG_TEST(rgb_tiny_and_bad_arguments)
{
    hashers hs;
    uint8_t px[4 * 100 * 3] = {0};
    cg_pdq_result r;

    hashers_init(&hs);
    /* A side below 5: all zeros, quality 0, as cg_pdq_hash_luma. */
    memset(&r, 0xff, sizeof(r));
    CG_ASSERT_OK(cg_pdq_hash_rgb(hs.simd, px, 4, 100, 12, 1, &r), NULL);
    CG_ASSERT_EQ(r.quality, 0);
    CG_ASSERT_EQ(cg_pdq_popcount(&r.hash), 0);
    CG_ASSERT_OK(cg_pdq_hash_rgb(hs.simd, px, 100, 4, 300, 1, &r), NULL);
    CG_ASSERT_EQ(cg_pdq_popcount(&r.hash), 0);
    CG_ASSERT_OK(cg_pdq_hash_rgb(hs.simd, px, 0, 0, 0, 0, &r), NULL);
    /* Bad arguments. */
    CG_ASSERT_EQ(cg_pdq_hash_rgb(NULL, px, 5, 5, 15, 0, &r), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_hash_rgb(hs.simd, NULL, 5, 5, 15, 0, &r), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pdq_hash_rgb(hs.simd, px, 5, 5, 14, 0, &r), CG_E_INVAL);
    /* Quality is meaningful: noise is high quality, a flat colour 0. */
    CG_ASSERT_GE(check_case(&hs, 300, 200, 900, 0, 7), 50);
    CG_ASSERT_EQ(check_case(&hs, 300, 200, 900, 3, 7), 0);
    hashers_free(&hs);
}
