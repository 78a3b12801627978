/* "One run fails the Nth allocation" (STYLE.md, tests): each operation is run with
 * cg__alloc_fail_at(N) for N = 1, 2, ... until a run makes fewer than N allocations and so
 * succeeds untouched. Every run that did hit the failure must return CG_E_NOMEM (or
 * CG_E_DECODE where a library reports its own allocation failure as a decode error, as libpng
 * does), leave its out-parameter NULL and free everything: run under ASan, whose leak checker
 * fails the test on anything left behind.
 *
 * Only allocations through cg__malloc can be made to fail: libjpeg and OpenSSL allocate for
 * themselves, libpng is routed through cg__malloc by the PNG decoder. */
#include "cg_test.h"
#include "cg_testenc.h"

#include <jpeglib.h>
#include <png.h>

#include "childguard.h"
#include "common/alloc.h"

#define IMG_W 40
#define IMG_H 30

/* ---- inputs ------------------------------------------------------------------------------- */

static void make_pixels(uint8_t *pix, int comps)
{
    for (int y = 0; y < IMG_H; y++)
        for (int x = 0; x < IMG_W; x++)
            for (int c = 0; c < comps; c++)
                pix[((size_t)y * IMG_W + x) * comps + c] = (uint8_t)(x * 6 + y * 3 + c * 50);
}

/* A JPEG of comps components: 1 grey, 3 RGB, 4 CMYK (which the decoder converts through an
 * extra row buffer). */
static void make_jpeg(int comps, cg_membuf *out)
{
    uint8_t pix[IMG_W * IMG_H * 4];

    make_pixels(pix, comps);
    cg_test_encode_jpeg(pix, IMG_W, IMG_H, comps, 75, 0, NULL, 0, out);
}

/* A PNG of the given colour type (8-bit samples), Adam7-interlaced when asked. */
static void make_png(int color, int interlace, cg_membuf *out)
{
    const int comps = color == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : color == PNG_COLOR_TYPE_RGB ? 3 : 1;
    uint8_t pix[IMG_W * IMG_H * 4];
    png_color palette[256];

    make_pixels(pix, comps);
    for (int i = 0; i < 256; i++) {
        palette[i].red = (png_byte)i;
        palette[i].green = (png_byte)(255 - i);
        palette[i].blue = (png_byte)(i * 3);
    }
    cg_test_encode_png(pix, IMG_W, IMG_H, color, interlace,
                       color == PNG_COLOR_TYPE_PALETTE ? palette : NULL, 256, NULL, 0, out);
}

/* ---- the loop ----------------------------------------------------------------------------- */

/* An operation under test: runs once, frees whatever it made on success, and returns its
 * status. It asserts its own out-parameter rules. */
typedef cg_status (*op_fn)(void *arg);

/* Every allocation failure of op is handled (cg_test.h); the operation must allocate at all. */
static void fail_each_allocation(const char *what, op_fn op, void *arg, int decode_ok)
{
    CG_ASSERT_GT(cg_test_fail_each_allocation(what, op, arg, decode_ok), 0);
}

/* ---- operations --------------------------------------------------------------------------- */

typedef struct decode_arg {
    cg_membuf input;
    cg_decode_options opt;
    const char *path; /* decode this file instead of input when set */
} decode_arg;

static cg_status op_decode(void *p)
{
    decode_arg *a = p;
    cg_image *img = (cg_image *)&img; /* poisoned: the call must reset it */
    cg_error err = {0};
    cg_status st;

    if (a->path != NULL)
        st = cg_image_decode_file(a->path, &a->opt, &img, &err);
    else
        st = cg_image_decode_mem(a->input.data, a->input.len, &a->opt, &img, &err);
    if (st == CG_OK) {
        CG_ASSERT(img != NULL && img->width > 0);
        cg_image_destroy(img);
    } else {
        CG_ASSERT(img == NULL);
        CG_ASSERT_EQ(err.status, st);
        CG_ASSERT(err.message[0] != '\0');
    }
    return st;
}

static void decode_case(const char *what, cg_membuf input, uint32_t min_side, int decode_ok)
{
    decode_arg a = {input, {{0}, 0}, NULL};

    cg_decode_options_default(&a.opt);
    a.opt.min_side = min_side;
    fail_each_allocation(what, op_decode, &a, decode_ok);
    free(input.data);
}

CG_TEST(alloc_failure_decode_jpeg)
{
    cg_membuf rgb = {0}, grey = {0}, cmyk = {0}, scaled = {0};

    make_jpeg(3, &rgb);
    make_jpeg(1, &grey);
    make_jpeg(4, &cmyk);
    make_jpeg(3, &scaled);
    decode_case("jpeg rgb", rgb, 0, 0);
    decode_case("jpeg grey", grey, 0, 0);
    decode_case("jpeg cmyk", cmyk, 0, 0);
    decode_case("jpeg scaled", scaled, 8, 0);
}

CG_TEST(alloc_failure_decode_png)
{
    cg_membuf rgb = {0}, rgba = {0}, grey = {0}, palette = {0}, interlaced = {0};

    make_png(PNG_COLOR_TYPE_RGB, 0, &rgb);
    make_png(PNG_COLOR_TYPE_RGB_ALPHA, 0, &rgba);
    make_png(PNG_COLOR_TYPE_GRAY, 0, &grey);
    make_png(PNG_COLOR_TYPE_PALETTE, 0, &palette);
    make_png(PNG_COLOR_TYPE_RGB, 1, &interlaced);
    /* libpng turns a failed allocation inside it into png_error, which the decoder reports as
     * CG_E_DECODE ("corrupt PNG: Out of memory"): accepted. */
    decode_case("png rgb", rgb, 0, 1);
    decode_case("png rgba", rgba, 0, 1);
    decode_case("png grey", grey, 0, 1);
    decode_case("png palette", palette, 0, 1);
    decode_case("png interlaced", interlaced, 0, 1);
}

CG_TEST(alloc_failure_decode_file)
{
    decode_arg a = {{0}, {{0}, 0}, NULL};
    char path[512];
    FILE *f;

    make_jpeg(3, &a.input);
    snprintf(path, sizeof(path), "%s/a.jpg", cg_test_tmpdir());
    f = fopen(path, "wb");
    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fwrite(a.input.data, 1, a.input.len, f), a.input.len);
    CG_ASSERT_EQ(fclose(f), 0);
    cg_decode_options_default(&a.opt);
    a.path = path;
    fail_each_allocation("decode_file jpeg", op_decode, &a, 0);
    free(a.input.data);
}

static cg_status op_pdq(void *p)
{
    const cg_image *img = p;
    cg_pdq_hasher *h = (cg_pdq_hasher *)&h;
    cg_pdq_result res;
    cg_status st;
    float *luma;

    st = cg_pdq_hasher_create(&h);
    if (st != CG_OK) {
        CG_ASSERT(h == NULL);
        return st;
    }
    st = cg_pdq_hash_image(h, img, 1, &res);
    if (st == CG_OK) {
        /* A luma plane wider and taller than 512 makes the hasher grow its buffers. */
        luma = calloc((size_t)700 * 600, sizeof(float));
        CG_ASSERT(luma != NULL);
        for (size_t i = 0; i < (size_t)700 * 600; i++)
            luma[i] = (float)(i % 251);
        st = cg_pdq_hash_luma(h, luma, 700, 600, 0, &res);
        free(luma);
    }
    if (st == CG_OK) {
        /* After a failed growth the hasher still works: hash the small image again. */
        st = cg_pdq_hash_image(h, img, 0, &res);
        CG_ASSERT(res.quality > 0);
    } else {
        cg_pdq_result again;

        CG_ASSERT_OK(cg_pdq_hash_image(h, img, 0, &again), NULL);
    }
    cg_pdq_hasher_destroy(h);
    return st;
}

CG_TEST(alloc_failure_pdq)
{
    cg_image img = {0};
    uint8_t pix[64 * 64 * 3];

    for (size_t i = 0; i < sizeof(pix); i++)
        pix[i] = (uint8_t)((i * 7) ^ (i >> 5));
    img.width = 64;
    img.height = 64;
    img.channels = 3;
    img.pixels = pix;
    img.format = CG_FORMAT_PNG;
    fail_each_allocation("pdq hasher create + hash", op_pdq, &img, 0);
}

static cg_status op_digest(void *p)
{
    const cg_membuf *data = p;
    cg_digest_ctx *ctx = (cg_digest_ctx *)&ctx;
    cg_digests d;
    cg_status st;

    st = cg_digest_create(CG_DIGEST_MD5 | CG_DIGEST_SHA256, &ctx);
    if (st != CG_OK) {
        CG_ASSERT(ctx == NULL);
        return st;
    }
    st = cg_digest_update(ctx, data->data, data->len);
    if (st == CG_OK)
        st = cg_digest_final(ctx, &d);
    cg_digest_destroy(ctx);
    if (st == CG_OK)
        st = cg_digest_mem(CG_DIGEST_SHA256, data->data, data->len, &d);
    return st;
}

CG_TEST(alloc_failure_digest)
{
    cg_membuf data = {0};

    make_jpeg(3, &data);
    fail_each_allocation("digest create + mem", op_digest, &data, 0);
    free(data.data);
}

static cg_status op_digest_file(void *p)
{
    cg_digests d;
    cg_error err = {0};
    cg_status st = cg_digest_file(CG_DIGEST_MD5, p, &d, &err);

    if (st != CG_OK) {
        CG_ASSERT_EQ(err.status, st);
        CG_ASSERT(strstr(err.message, p) != NULL);
    }
    return st;
}

CG_TEST(alloc_failure_digest_file)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/d.bin", cg_test_tmpdir());
    f = fopen(path, "wb");
    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fputs("some bytes to digest\n", f) >= 0, 1);
    CG_ASSERT_EQ(fclose(f), 0);
    fail_each_allocation("digest file", op_digest_file, path, 0);
}

static void count_item(void *arg, size_t i, unsigned worker)
{
    (void)i;
    (void)worker;
    __atomic_add_fetch((size_t *)arg, 1, __ATOMIC_RELAXED);
}

static cg_status op_pool(void *p)
{
    cg_pool *pool = (cg_pool *)&pool;
    size_t done = 0;
    cg_status st;

    (void)p;
    st = cg_pool_create(4, &pool);
    if (st != CG_OK) {
        CG_ASSERT(pool == NULL);
        return st;
    }
    CG_ASSERT_EQ(cg_pool_size(pool), 4);
    st = cg_pool_for(pool, 100, count_item, &done);
    CG_ASSERT_EQ(done, 100);
    cg_pool_destroy(pool);
    return st;
}

CG_TEST(alloc_failure_pool)
{
    fail_each_allocation("pool create", op_pool, NULL, 0);
}
