/* The native side of the self-hashing proof test (tests/ui/selfhash.test.mjs): reads RGBA
 * buffers as the browser decoded them and prints their PDQ through the same selfhash_core.c the
 * WebAssembly core is built from, here compiled natively and linked with the library (which
 * takes its AVX2 path where the CPU has it, bit-identical to the portable one).
 *
 *   pdq_rgba FILE...   each FILE: "W H\n" then W*H*4 bytes; prints "FILE HEX QUALITY" per file
 *   pdq_rgba --bench W H N   hashes a W x H synthetic image N times: median and min ms */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "selfhash_core.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    free(px);
    free(ms);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;

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
        }
        free(px);
    }
    return rc;
}
