/* vision_bench: the nudity classifier's speed (docs/vision.md, bench/RESULTS.md).
 *
 *   vision_bench [--min-seconds S] [--threads N] [--no-tfjs] [--tfjs-backend wasm|cpu]
 *                [--json] FILE...
 *
 * Decodes the images once, then measures (decoding excluded, preprocessing included):
 *   - one core: ms per image on the calling thread, wall clock and thread CPU time;
 *   - all cores: images per second with one classifier context per worker of a cg_pool;
 *   - TensorFlow.js on the same decoded pixels (bench/vision_bench_tfjs.mjs: nsfwjs 4.4.0 on
 *     the WebAssembly SIMD backend, one thread), run between two one-core passes of the C
 *     code, so the ratio compares the two under the same machine load.
 * Prints a table, or one JSON object with --json. Asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard.h"

typedef struct bench {
    cg_image **img;
    size_t n;
    cg_vision_ctx **ctx;
} bench;

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void classify_one(bench *b, size_t i, unsigned worker)
{
    cg_vision_scores s;
    cg_error err;
    if (cg_vision_classify_image(b->ctx[worker], b->img[i % b->n], &s, &err) != CG_OK) {
        fprintf(stderr, "vision_bench: %s\n", err.message);
        exit(2);
    }
}

static void pool_fn(void *arg, size_t i, unsigned worker)
{
    classify_one(arg, i, worker);
}

/* Whole passes over the images on this thread until min_s: ms per image (wall, CPU). */
static void one_core(bench *b, double min_s, double *wall_ms, double *cpu_ms)
{
    size_t done = 0;
    const double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    do {
        for (size_t i = 0; i < b->n; i++)
            classify_one(b, i, 0);
        done += b->n;
    } while (now_s(CLOCK_MONOTONIC) - w0 < min_s);
    *wall_ms = (now_s(CLOCK_MONOTONIC) - w0) * 1000.0 / (double)done;
    *cpu_ms = (now_s(CLOCK_THREAD_CPUTIME_ID) - c0) * 1000.0 / (double)done;
}

/* Runs node on the same pixels; returns its ms per image, or -1. */
static double tfjs(const bench *b, const char *backend, double min_s, char *info, size_t cap)
{
    char dir[] = "/tmp/vision_bench.XXXXXX";
    char path[4096], cmd[8192], line[1024];
    double ms = -1;

    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/list.txt", dir);
    FILE *list = fopen(path, "w");
    for (size_t i = 0; list != NULL && i < b->n; i++) {
        char ppm[4096];
        const cg_image *im = b->img[i];
        snprintf(ppm, sizeof ppm, "%s/%04zu.ppm", dir, i);
        FILE *f = fopen(ppm, "wb");
        if (f == NULL)
            break;
        fprintf(f, "P6\n%u %u\n255\n", im->width, im->height);
        for (size_t p = 0; p < (size_t)im->width * im->height; p++)
            for (int c = 0; c < 3; c++)
                fputc(im->pixels[p * im->channels + (im->channels == 1 ? 0 : (size_t)c)], f);
        fclose(f);
        fprintf(list, "%s\n", ppm);
    }
    if (list != NULL)
        fclose(list);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && node bench/vision_bench_tfjs.mjs '%s' --backend %s --min-seconds %g",
             CG_BENCH_SOURCE_DIR, path, backend, min_s);
    FILE *p = popen(cmd, "r");
    info[0] = '\0';
    while (p != NULL && fgets(line, sizeof line, p) != NULL) {
        const char *k = strstr(line, "\"ms_per_image\":");
        if (k != NULL) {
            ms = strtod(k + 15, NULL);
            line[strcspn(line, "\n")] = '\0';
            snprintf(info, cap, "%s", line);
        }
    }
    if (p == NULL || pclose(p) != 0)
        ms = -1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "vision_bench: could not remove %s\n", dir);
    return ms;
}

int main(int argc, char **argv)
{
    double min_s = 2;
    unsigned threads = 0;
    int json = 0, run_tfjs = 1;
    const char *backend = "wasm";
    int first = argc;
    cg_error err;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
            min_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-tfjs") == 0)
            run_tfjs = 0;
        else if (strcmp(argv[i], "--tfjs-backend") == 0 && i + 1 < argc)
            backend = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: vision_bench [--min-seconds S] [--threads N] [--no-tfjs] "
                            "[--tfjs-backend wasm|cpu] [--json] FILE...\n");
            return 2;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "vision_bench: no image files given\n");
        return 2;
    }
    cg_vision_model *m = NULL;
    if (cg_vision_model_open(NULL, &m, &err) != CG_OK) {
        fprintf(stderr, "vision_bench: %s\n", err.message);
        return 2;
    }
    bench b = { calloc((size_t)(argc - first), sizeof(cg_image *)), 0, NULL };
    double pixels = 0;
    for (int i = first; i < argc; i++) {
        if (cg_image_decode_file(argv[i], NULL, &b.img[b.n], &err) != CG_OK) {
            fprintf(stderr, "vision_bench: %s (left out)\n", err.message);
            continue;
        }
        pixels += (double)b.img[b.n]->width * b.img[b.n]->height;
        b.n++;
    }
    if (b.n == 0)
        return 2;
    cg_pool *pool = NULL;
    if (cg_pool_create(threads, &pool) != CG_OK)
        return 2;
    const unsigned workers = cg_pool_size(pool);
    b.ctx = calloc(workers, sizeof *b.ctx);
    for (unsigned w = 0; w < workers; w++)
        if (cg_vision_ctx_create(m, &b.ctx[w]) != CG_OK)
            return 2;

    classify_one(&b, 0, 0); /* warm-up: first-touch page faults of the buffers */
    double wall1, cpu1, wall2 = 0, cpu2 = 0, tf_ms = -1;
    char info[1024] = "";
    one_core(&b, min_s, &wall1, &cpu1);
    if (run_tfjs) {
        tf_ms = tfjs(&b, backend, min_s, info, sizeof info);
        one_core(&b, min_s, &wall2, &cpu2);
    }
    const double wall = run_tfjs ? (wall1 + wall2) / 2 : wall1;
    const double cpu = run_tfjs ? (cpu1 + cpu2) / 2 : cpu1;

    size_t done = 0;
    const double t0 = now_s(CLOCK_MONOTONIC);
    do {
        if (cg_pool_for(pool, b.n * workers, pool_fn, &b) != CG_OK)
            return 2;
        done += b.n * workers;
    } while (now_s(CLOCK_MONOTONIC) - t0 < min_s);
    const double ips = (double)done / (now_s(CLOCK_MONOTONIC) - t0);

    double load[3] = { 0, 0, 0 };
    FILE *la = fopen("/proc/loadavg", "r");
    if (la != NULL) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = -1;
        fclose(la);
    }
    if (json) {
        printf("{\"images\":%zu,\"mean_megapixels\":%.3f,\"one_core_ms\":%.3f,"
               "\"one_core_cpu_ms\":%.3f,\"one_core_ms_passes\":[%.3f,%.3f],\"threads\":%u,"
               "\"all_cores_images_per_s\":%.2f,\"tfjs_ms\":%.3f,\"ratio\":%.2f,"
               "\"load\":[%.2f,%.2f,%.2f],\"tfjs\":%s}\n",
               b.n, pixels / (double)b.n / 1e6, wall, cpu, wall1, wall2, workers, ips, tf_ms,
               tf_ms > 0 ? tf_ms / wall : 0, load[0], load[1], load[2],
               info[0] != '\0' ? info : "null");
    } else {
        printf("images: %zu (mean %.2f megapixels), model %.12s...\n", b.n,
               pixels / (double)b.n / 1e6, cg_vision_model_id(m));
        printf("one core:   %.2f ms/image wall (passes %.2f, %.2f), %.2f ms/image CPU\n", wall,
               wall1, wall2, cpu);
        printf("all cores:  %.1f images/s with %u threads\n", ips, workers);
        if (run_tfjs && tf_ms > 0)
            printf("tfjs:       %.2f ms/image (%s)\nratio:      x%.1f (tfjs / C, one core)\n",
                   tf_ms, info, tf_ms / wall);
        else if (run_tfjs)
            printf("tfjs:       failed (is node and `npm ci` there?)\n");
        printf("load average: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    }
    for (unsigned w = 0; w < workers; w++)
        cg_vision_ctx_destroy(b.ctx[w]);
    free(b.ctx);
    for (size_t i = 0; i < b.n; i++)
        cg_image_destroy(b.img[i]);
    free(b.img);
    cg_pool_destroy(pool);
    cg_vision_model_close(m);
    return run_tfjs && tf_ms <= 0 ? 1 : 0;
}
