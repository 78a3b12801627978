/* The native side of the self-hashing proof test (tests/ui/selfhash.test.mjs): reads RGBA
 * buffers as the browser decoded them and prints their PDQ through the same selfhash_core.c the
 * WebAssembly core is built from, here compiled natively and linked with the library (which
 * takes its AVX2 path where the CPU has it, bit-identical to the portable one). Each result is
 * also checked against the library's photo path, cg_pdq_hash_image of the same pixels as RGB
 * (selfhash_core.c does the 512 resize and the luma itself, to skip an RGB copy of the whole
 * image): a difference is reported on stderr and makes the exit status 1.
 *
 *   pdq_rgba FILE...   each FILE: "W H\n" then W*H*4 bytes; prints "FILE HEX QUALITY" per file
 *   pdq_rgba --sizes         the check above on synthetic images of awkward sizes (sides under
 *                            5, exactly 64, just over 512, widths not a multiple of 4); exit 0
 *                            when all agree (ctest selfhash_core_sizes)
 *   pdq_rgba --bench W H N   hashes a W x H synthetic image N times: median and min ms; then
 *                            the PDQ core alone (cg_pdq_hash_luma of the 512x512 luma plane
 *                            that image gives) on the AVX2 path (where the CPU has it) and on
 *                            the portable C path, min ms of N each */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard/image.h"
#include "childguard/pdq.h"
#include "hash/pdq_int.h"
#include "selfhash_core.h"

/* cg_pdq_hash_image of the RGBA's RGB: 0 when it gives hex and quality, else 1. */
static int same_as_library(const uint8_t *px, unsigned w, unsigned h, const char *hex, int q,
                           const char *name)
{
    size_t n = (size_t)w * h;
    uint8_t *rgb = malloc(n * 3);
    cg_pdq_hasher *hasher = NULL;
    cg_image img;
    cg_pdq_result res;
    char lib[CG_PDQ_HEX_LEN + 1];
    int rc = 1;

    if (rgb == NULL || cg_pdq_hasher_create(&hasher) != CG_OK) {
        fprintf(stderr, "pdq_rgba: %s: out of memory\n", name);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(rgb + 3 * i, px + 4 * i, 3);
    memset(&img, 0, sizeof(img));
    img.width = w;
    img.height = h;
    img.channels = 3;
    img.pixels = rgb;
    if (cg_pdq_hash_image(hasher, &img, 0, &res) != CG_OK) {
        fprintf(stderr, "pdq_rgba: %s: cg_pdq_hash_image failed\n", name);
        goto done;
    }
    cg_pdq_to_hex(&res.hash, lib);
    if (strcmp(lib, hex) != 0 || res.quality != q) {
        fprintf(stderr, "pdq_rgba: %s: selfhash core %s/%d != cg_pdq_hash_image %s/%d\n", name,
                hex, q, lib, res.quality);
        goto done;
    }
    rc = 0;
done:
    cg_pdq_hasher_destroy(hasher);
    free(rgb);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Min ms of n cg_pdq_hash_luma calls on a 512x512 plane of (the luma of) px's first 512x512
 * pixels, with the AVX2 path on (simd 1, where the CPU has it) or off. */
static double bench_core(const uint8_t *px, unsigned w, unsigned h, int n, int simd)
{
    float *plane = malloc(512 * 512 * sizeof(float));
    cg_pdq_hasher *hasher = NULL;
    cg_pdq_result res;
    double best = -1.0;

    if (plane == NULL || w < 512 || h < 512 || cg_pdq_hasher_create(&hasher) != CG_OK)
        goto done;
    cg__pdq_hasher_set_simd(hasher, simd);
    for (size_t i = 0; i < 512; i++)
        for (size_t j = 0; j < 512; j++) {
            const uint8_t *p = px + (i * w + j) * 4;
            plane[i * 512 + j] = 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
        }
    cg_pdq_hash_luma(hasher, plane, 512, 512, 0, &res);
    for (int i = 0; i < n; i++) {
        double a = now_ms();
        cg_pdq_hash_luma(hasher, plane, 512, 512, 0, &res);
        a = now_ms() - a;
        if (best < 0 || a < best)
            best = a;
    }
done:
    cg_pdq_hasher_destroy(hasher);
    free(plane);
    return best;
}

static int bench(unsigned w, unsigned h, int n)
{
    size_t len = (size_t)w * h * 4;
    uint8_t *px = malloc(len);
    double *ms = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    char hex[65];
    int q;

    if (px == NULL || ms == NULL || n < 1) {
        free(px);
        free(ms);
        return 1;
    }
    /* The same pixels as bench/selfhash_wasm_bench.mjs: byte i = (i * 2654435761) >> 13. */
    for (size_t i = 0; i < len; i++)
        px[i] = (uint8_t)(((uint64_t)i * 2654435761u) >> 13);
    cgw_hash_rgba(px, w, h, hex, &q); /* warm-up: the hasher's buffers */
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        cgw_hash_rgba(px, w, h, hex, &q);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    }
    qsort(ms, (size_t)n, sizeof(double), cmp_double);
    printf("median %.3f ms, min %.3f ms per %ux%u image (%d runs) %s\n", ms[n / 2], ms[0], w, h,
           n, hex);
    printf("PDQ core alone (512x512 luma plane): min %.3f ms AVX2 path%s, min %.3f ms portable C\n",
           bench_core(px, w, h, n, 1), cg__pdq_avx2_usable() ? "" : " (no AVX2 here)",
           bench_core(px, w, h, n, 0));
    free(px);
    free(ms);
    return 0;
}

static int sizes(void)
{
    static const unsigned dims[][2] = {{1, 1},     {3, 1000},   {1000, 4},  {5, 5},
                                       {64, 64},   {65, 63},    {513, 512}, {512, 513},
                                       {1000, 7},  {7, 1000},   {333, 777}, {1001, 999},
                                       {4000, 10}, {2048, 1536}};
    int bad = 0;

    for (size_t d = 0; d < sizeof(dims) / sizeof(dims[0]); d++) {
        const unsigned w = dims[d][0], h = dims[d][1];
        size_t len = (size_t)w * h * 4;
        uint8_t *px = malloc(len);
        char hex[65], name[32];
        int q;

        if (px == NULL)
            return 1;
        for (size_t i = 0; i < len; i++)
            px[i] = (uint8_t)(((uint64_t)(i + d) * 2654435761u) >> 13);
        snprintf(name, sizeof(name), "%ux%u", w, h);
        if (cgw_hash_rgba(px, w, h, hex, &q) != 0 || same_as_library(px, w, h, hex, q, name) != 0)
            bad++;
        else
            printf("ok - %s %s %d\n", name, hex, q);
        free(px);
    }
    printf("%d passed, %d failed\n", (int)(sizeof(dims) / sizeof(dims[0])) - bad, bad);
    return bad != 0;
}

int main(int argc, char **argv)
{
    int rc = 0;

    if (argc == 2 && strcmp(argv[1], "--sizes") == 0)
        return sizes();

    if (argc == 5 && strcmp(argv[1], "--bench") == 0)
        return bench((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10),
                     (int)strtol(argv[4], NULL, 10));
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        unsigned w = 0, h = 0;
        uint8_t *px;
        char hex[65];
        int q;
        size_t len;

        if (f == NULL || fscanf(f, "%u %u", &w, &h) != 2 || fgetc(f) != '\n' || w == 0 || h == 0 ||
            w > 20000 || h > 20000) {
            fprintf(stderr, "pdq_rgba: %s: not a \"W H\\n\" + RGBA file\n", argv[i]);
            if (f != NULL)
                fclose(f);
            rc = 1;
            continue;
        }
        len = (size_t)w * h * 4;
        px = malloc(len);
        if (px == NULL || fread(px, 1, len, f) != len) {
            fprintf(stderr, "pdq_rgba: %s: short file (%ux%u RGBA)\n", argv[i], w, h);
            free(px);
            fclose(f);
            rc = 1;
            continue;
        }
        fclose(f);
        if (cgw_hash_rgba(px, w, h, hex, &q) != 0) {
            fprintf(stderr, "pdq_rgba: %s: hashing failed\n", argv[i]);
            rc = 1;
        } else {
            printf("%s %s %d\n", argv[i], hex, q);
            if (same_as_library(px, w, h, hex, q, argv[i]) != 0)
                rc = 1;
        }
        free(px);
    }
    return rc;
}
