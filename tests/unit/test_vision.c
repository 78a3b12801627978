/* The nudity classifier (vision.h): the model file's checks (truncated, corrupt, another
 * version, a checksum-valid file with a missing or misshapen tensor), every allocation failure
 * of loading, the input paths (grey, RGBA, padded rows, exactly 224 x 224), the preprocessing's
 * align-corners resize, the portable kernels against the AVX2 ones, and contexts on several
 * threads. Equality with TensorFlow.js is tests/vision/reference.sh. */
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cg_test.h"
#include "childguard.h"
#include "common/alloc.h"
#include "common/file.h"
#include "vision/vision_int.h"

static uint8_t *model_bytes(size_t *len)
{
    char path[4096];
    uint8_t *data = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_vision_default_model_path(path, sizeof path), NULL);
    CG_ASSERT_OK(cg__read_file(path, 0, &data, len, &err), &err);
    return data;
}

/* Rewrites the header's SHA-256 so the payload's checks are reached. */
static void reseal(uint8_t *data, size_t len)
{
    unsigned n = 0;
    CG_ASSERT(EVP_Digest(data + 64, len - 64, data + 24, &n, EVP_sha256(), NULL) == 1);
}

/* Fills w x h x ch pixels with a deterministic drawing (bands, a disc, a gradient). */
static uint8_t *drawing(uint32_t w, uint32_t h, uint32_t ch, unsigned seed)
{
    uint8_t *p = malloc((size_t)w * h * ch);
    CG_ASSERT(p != NULL);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (uint32_t c = 0; c < ch; c++) {
                const int dx = (int)x - (int)w / 2, dy = (int)y - (int)h / 3;
                int v = (int)((x * (3 + seed) + y * (5 + c)) % 256);
                if (dx * dx + dy * dy < (int)(w * h / 16))
                    v = (int)(40 * c + 30 * seed) % 256;
                if ((y / 16) % 3 == seed % 3)
                    v = 255 - v;
                p[((size_t)y * w + x) * ch + c] = (uint8_t)v;
            }
    return p;
}

static float max_diff(const cg_vision_scores *a, const cg_vision_scores *b)
{
    float d = 0;
    for (int k = 0; k < CG_VISION_CLASSES; k++)
        d = fmaxf(d, fabsf(a->p[k] - b->p[k]));
    return d;
}

CG_TEST(vision_model_loads)
{
    cg_vision_model *m = NULL;
    cg_vision_ctx *c = NULL;
    cg_vision_scores s;
    cg_error err;

    CG_ASSERT_OK(cg_vision_model_open(NULL, &m, &err), &err);
    CG_ASSERT_STR_EQ(cg_vision_model_id(m),
                     "8d1c1b50956c1afd0a9c32ba6c93b1b7e8097f4d9f361acce535f9a3e7dfb4d5");
    CG_ASSERT_OK(cg_vision_ctx_create(m, &c), NULL);
    uint8_t *px = drawing(300, 200, 3, 1);
    CG_ASSERT_OK(cg_vision_classify_rgb(c, px, 300, 200, 3, 900, &s, &err), &err);
    float sum = 0;
    for (int k = 0; k < CG_VISION_CLASSES; k++) {
        CG_ASSERT(s.p[k] >= 0.0f && s.p[k] <= 1.0f);
        sum += s.p[k];
    }
    CG_ASSERT(fabsf(sum - 1.0f) < 1e-5f);
    CG_ASSERT(fabsf(s.explicit_score - (s.p[CG_VISION_HENTAI] + s.p[CG_VISION_PORN] +
                                        s.p[CG_VISION_SEXY])) < 1e-6f);
    CG_ASSERT_STR_EQ(cg_vision_class_name(CG_VISION_SEXY), "Sexy");
    CG_ASSERT(cg_vision_class_name((cg_vision_class)5) == NULL);
    free(px);
    cg_vision_ctx_destroy(c);
    cg_vision_model_close(m);
    cg_vision_model_close(NULL);
    cg_vision_ctx_destroy(NULL);
}

CG_TEST(vision_model_missing_file)
{
    cg_vision_model *m = (cg_vision_model *)1;
    cg_error err;
    const cg_status st = cg_vision_model_open("/nonexistent/dir/model.cgvm", &m, &err);
    CG_ASSERT_EQ(st, CG_E_NOTFOUND);
    CG_ASSERT(m == NULL);
    CG_ASSERT(strstr(err.message, "/nonexistent/dir/model.cgvm") != NULL);
}

CG_TEST(vision_model_truncated)
{
    size_t len;
    uint8_t *data = model_bytes(&len);
    const size_t cuts[] = { 0, 1, 8, 63, 64, 65, 100, 5000, len / 2, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        cg_vision_model *m = NULL;
        cg_error err;
        const cg_status st = cg_vision_model_open_mem(data, cuts[i], "cut.cgvm", &m, &err);
        CG_ASSERT_EQ(st, CG_E_DECODE);
        CG_ASSERT(m == NULL);
        CG_ASSERT(strstr(err.message, "cut.cgvm: ") == err.message);
        if (cuts[i] > 64)
            CG_ASSERT(strstr(err.message, "truncated") != NULL);
    }
    free(data);
}

CG_TEST(vision_model_corrupt)
{
    size_t len;
    uint8_t *data = model_bytes(&len);
    cg_vision_model *m = NULL;
    cg_error err;

    /* One flipped bit anywhere in the weights: the checksum catches it. */
    data[len - 1000] ^= 0x10;
    CG_ASSERT_EQ(cg_vision_model_open_mem(data, len, "flip.cgvm", &m, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "SHA-256") != NULL);
    data[len - 1000] ^= 0x10;
    /* Bad magic; another version; a trailing byte. */
    data[0] = 'X';
    CG_ASSERT_EQ(cg_vision_model_open_mem(data, len, "magic.cgvm", &m, &err), CG_E_DECODE);
    data[0] = 'C';
    data[8] = 2;
    CG_ASSERT_EQ(cg_vision_model_open_mem(data, len, "v2.cgvm", &m, &err), CG_E_UNSUPPORTED);
    CG_ASSERT(strstr(err.message, "version 2") != NULL);
    data[8] = 1;
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, data, len);
    longer[len] = 0;
    CG_ASSERT_EQ(cg_vision_model_open_mem(longer, len + 1, "long.cgvm", &m, &err), CG_E_DECODE);
    free(longer);
    CG_ASSERT(m == NULL);
    /* Unchanged, it loads. */
    CG_ASSERT_OK(cg_vision_model_open_mem(data, len, "ok.cgvm", &m, &err), &err);
    cg_vision_model_close(m);
    free(data);
}

/* A file whose checksum is right but whose content is not the network: a tensor renamed (the
 * network lacks it), a shape changed, tensors out of order. */
CG_TEST(vision_model_wrong_tensors)
{
    size_t len;
    uint8_t *data = model_bytes(&len);
    cg_vision_model *m = NULL;
    cg_error err;
    const uint32_t meta = (uint32_t)data[64] | (uint32_t)data[65] << 8;
    uint8_t *first = data + 64 + 4 + meta; /* the first tensor record: "Conv1/kernel" */

    CG_ASSERT(memcmp(first + 2, "Conv1/kernel", 12) == 0);
    first[2 + 5] = '2'; /* "Conv12kernel": sorted order still holds, the network lacks Conv1 */
    reseal(data, len);
    CG_ASSERT_EQ(cg_vision_model_open_mem(data, len, "renamed.cgvm", &m, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "lacks tensor Conv1/kernel") != NULL);
    first[2 + 5] = '/';
    const size_t dims = 2 + 12 + 2;
    first[dims] = 1; /* [3,3,3,32] -> [1,3,3,32]: fewer values than the data behind it */
    reseal(data, len);
    CG_ASSERT_EQ(cg_vision_model_open_mem(data, len, "shape.cgvm", &m, &err), CG_E_DECODE);
    first[dims] = 3;
    first[2] = 'Z'; /* "Zonv1/kernel" sorts after "Conv_1/...": out of order */
    reseal(data, len);
    CG_ASSERT_EQ(cg_vision_model_open_mem(data, len, "order.cgvm", &m, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "out of order") != NULL);
    CG_ASSERT(m == NULL);
    free(data);
}

typedef struct load_arg {
    const uint8_t *data;
    size_t len;
} load_arg;

static cg_status load_and_classify(void *arg)
{
    const load_arg *a = arg;
    cg_vision_model *m = NULL;
    cg_vision_ctx *c = NULL;
    cg_vision_scores s;
    cg_status st = cg_vision_model_open_mem(a->data, a->len, "alloc.cgvm", &m, NULL);
    if (st == CG_OK)
        st = cg_vision_ctx_create(m, &c);
    if (st == CG_OK) {
        const uint8_t px[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
        st = cg_vision_classify_rgb(c, px, 2, 2, 3, 6, &s, NULL);
    }
    cg_vision_ctx_destroy(c);
    cg_vision_model_close(m);
    return st;
}

CG_TEST(vision_alloc_failure)
{
    size_t len;
    uint8_t *data = model_bytes(&len);
    load_arg a = { data, len };
    CG_ASSERT_GT(cg_test_fail_each_allocation("vision load + classify", load_and_classify, &a, 0),
                 100);
    free(data);
}

/* The resize against values worked by hand: a 2 x 2 grey image spread over 224 x 224 with
 * aligned corners keeps the corners exactly and puts their mean in the middle. */
CG_TEST(vision_resize_align_corners)
{
    float lut[256];
    const uint8_t px[4] = { 0, 255, 51, 102 };
    float *out = malloc(sizeof(float) * 224 * 224 * 3);

    cg__vresize_lut(lut);
    CG_ASSERT(lut[255] == 1.0f && lut[0] == 0.0f && lut[51] == (float)(51.0 / 255.0));
    cg__vresize(lut, px, 2, 2, 1, 2, out);
    CG_ASSERT(out[0] == 0.0f && out[1] == 0.0f && out[2] == 0.0f);
    CG_ASSERT(out[223 * 3] == 1.0f);
    CG_ASSERT(out[(223 * 224) * 3] == lut[51]);
    CG_ASSERT(out[(223 * 224 + 223) * 3 + 2] == lut[102]);
    /* Column x of row 0: 0 + (1 - 0) * x / 223, computed in double, stored as float. */
    for (int x = 0; x < 224; x++)
        CG_ASSERT(out[x * 3] == (float)(x * (1.0 / 223.0)) ||
                  fabsf(out[x * 3] - (float)((double)x / 223.0)) <= 6e-8f);
    free(out);
}

/* Grey, grey copied to RGB, RGBA and rows with padding are the same image to the model. */
CG_TEST(vision_input_paths)
{
    cg_vision_model *m = NULL;
    cg_vision_ctx *c = NULL;
    cg_vision_scores a, b;
    cg_error err;
    const uint32_t w = 97, h = 61;

    CG_ASSERT_OK(cg_vision_model_open(NULL, &m, &err), &err);
    CG_ASSERT_OK(cg_vision_ctx_create(m, &c), NULL);
    uint8_t *grey = drawing(w, h, 1, 2);
    uint8_t *rgb = malloc((size_t)w * h * 3), *rgba = malloc((size_t)w * h * 4);
    uint8_t *padded = calloc((size_t)(w * 3 + 13) * h, 1);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
        rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = grey[i];
        rgba[4 * i + 3] = (uint8_t)(i * 7);
    }
    for (uint32_t y = 0; y < h; y++)
        memcpy(padded + (size_t)y * (w * 3 + 13), rgb + (size_t)y * w * 3, (size_t)w * 3);
    CG_ASSERT_OK(cg_vision_classify_rgb(c, grey, w, h, 1, w, &a, &err), &err);
    CG_ASSERT_OK(cg_vision_classify_rgb(c, rgb, w, h, 3, (size_t)w * 3, &b, &err), &err);
    CG_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    CG_ASSERT_OK(cg_vision_classify_rgb(c, rgba, w, h, 4, (size_t)w * 4, &b, &err), &err);
    CG_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    CG_ASSERT_OK(cg_vision_classify_rgb(c, padded, w, h, 3, (size_t)w * 3 + 13, &b, &err), &err);
    CG_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    /* The same context again gives the same scores (no state carried between images). */
    CG_ASSERT_OK(cg_vision_classify_rgb(c, grey, w, h, 1, w, &b, &err), &err);
    CG_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    /* Bad arguments. */
    CG_ASSERT_EQ(cg_vision_classify_rgb(c, grey, 0, h, 1, w, &b, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_vision_classify_rgb(c, grey, w, h, 2, w * 2, &b, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_vision_classify_rgb(c, grey, w, h, 3, w, &b, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_vision_classify_image(c, NULL, &b, &err), CG_E_INVAL);
    free(grey);
    free(rgb);
    free(rgba);
    free(padded);
    cg_vision_ctx_destroy(c);
    cg_vision_model_close(m);
}

/* The portable kernels and the AVX2 + FMA ones differ only by rounding. Covers both resize
 * paths (224 x 224 and others) and every block (residual or not, stride 1 and 2, fused rows). */
CG_TEST(vision_portable_matches_avx2)
{
    cg_vision_model *m = NULL;
    cg_vision_ctx *c = NULL;
    cg_error err;

    if (!cg__vision_cpu_avx2())
        CG_SKIP("this CPU has no AVX2 + FMA: only the portable path runs");
    CG_ASSERT_OK(cg_vision_model_open(NULL, &m, &err), &err);
    CG_ASSERT_OK(cg_vision_ctx_create(m, &c), NULL);
    const uint32_t sizes[][2] = { { 224, 224 }, { 320, 200 }, { 31, 500 } };
    for (int i = 0; i < 3; i++) {
        cg_vision_scores a, b;
        uint8_t *px = drawing(sizes[i][0], sizes[i][1], 3, (unsigned)i);
        cg__vision_ctx_force_portable(c, 0);
        CG_ASSERT_OK(cg_vision_classify_rgb(c, px, sizes[i][0], sizes[i][1], 3,
                                            (size_t)sizes[i][0] * 3, &a, &err), &err);
        cg__vision_ctx_force_portable(c, 1);
        CG_ASSERT_OK(cg_vision_classify_rgb(c, px, sizes[i][0], sizes[i][1], 3,
                                            (size_t)sizes[i][0] * 3, &b, &err), &err);
        printf("%ux%u: max |dp| portable vs AVX2 %.3g\n", sizes[i][0], sizes[i][1],
               (double)max_diff(&a, &b));
        CG_ASSERT(max_diff(&a, &b) <= 1e-5f);
        free(px);
    }
    cg_vision_ctx_destroy(c);
    cg_vision_model_close(m);
}

typedef struct thread_arg {
    const cg_vision_model *m;
    const uint8_t *px;
    cg_vision_scores s;
    cg_status st;
} thread_arg;

static void *classify_thread(void *p)
{
    thread_arg *a = p;
    cg_vision_ctx *c = NULL;
    a->st = cg_vision_ctx_create(a->m, &c);
    for (int r = 0; a->st == CG_OK && r < 3; r++)
        a->st = cg_vision_classify_rgb(c, a->px, 150, 100, 3, 450, &a->s, NULL);
    cg_vision_ctx_destroy(c);
    return NULL;
}

/* One model shared by four threads, each with its own context: every thread gets the scores a
 * single thread gets. */
CG_TEST(vision_threads_share_model)
{
    cg_vision_model *m = NULL;
    cg_error err;
    pthread_t t[4];
    thread_arg a[4];

    CG_ASSERT_OK(cg_vision_model_open(NULL, &m, &err), &err);
    uint8_t *px = drawing(150, 100, 3, 3);
    thread_arg one = { m, px, { { 0 }, 0 }, CG_OK };
    classify_thread(&one);
    CG_ASSERT_OK(one.st, NULL);
    for (int i = 0; i < 4; i++) {
        a[i] = (thread_arg){ m, px, { { 0 }, 0 }, CG_OK };
        CG_ASSERT_EQ(pthread_create(&t[i], NULL, classify_thread, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CG_ASSERT_OK(a[i].st, NULL);
        CG_ASSERT(memcmp(&a[i].s, &one.s, sizeof one.s) == 0);
    }
    free(px);
    cg_vision_model_close(m);
}
