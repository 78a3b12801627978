/* hash_bench: throughput of decode + PDQ hashing, against baselines measured in the same run.
 *
 *   hash_bench [DIR] [--synth N] [--threads N] [--min-seconds S] [--limit N] [--fast-only]
 *              [--json]
 *
 * What it measures (bench/README.md explains each figure):
 *   - exact mode: full decode + PDQ as the reference hasher does (including the 512x512
 *     nearest-neighbour resize of large images), on one thread and on a cg_pool of --threads
 *     workers (one cg_pdq_hasher each), with the split of time between decoding and hashing;
 *   - the decode floor: libjpeg-turbo / libpng called directly, straight to 8-bit RGB, on the
 *     same JPEG and PNG files; our whole pipeline is reported as a percentage over it;
 *   - the hashing step: cg_pdq_hash_image against pdq_baseline.c (a plain implementation doing
 *     what the reference C++ does), on the same decoded pixels; every file's baseline hash must
 *     equal ours (a cross-check);
 *   - fast mode: JPEG decoded with libjpeg-turbo's DCT-domain scaling (min_side = 512), then
 *     PDQ; its speed-up over exact mode and its Hamming distance to the exact hash.
 *
 * Method: files are read into memory first, so disk I/O is never timed. A verification pass
 * runs every path once over the whole set (the warm-up, and the source of the cross-checks);
 * then each measurement repeats whole passes over the set until --min-seconds have elapsed on
 * the monotonic clock, alternating passes with the measurements it is compared with so that
 * load from other processes falls on both sides of a ratio. Nothing here asserts a timing:
 * targets are printed, never enforced.
 *
 * Exit status: 0 when the run completed, 1 on a fatal error, when no image was found or when
 * the baseline cross-check found a mismatch, 2 on a usage error. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "childguard/image.h"
#include "childguard/pdq.h"
#include "childguard/pool.h"
#include "pdq_baseline.h"

#define BENCH_FAST_MIN_SIDE 512u
#define BENCH_MAX_FILE_BYTES (256u << 20)          /* the library's default file limit */
#define BENCH_CACHE_BYTES ((size_t)1 << 30)         /* decoded images kept for the hash step */
#define BENCH_SYNTH_W 1600
#define BENCH_SYNTH_H 1200
#define BENCH_SYNTH_QUALITY 85
#define BENCH_SYNTH_SEED UINT64_C(0x6368696c64677264) /* fixed: the set is the same every run */
#define BENCH_MT_CHUNK_SECONDS 0.25                  /* target length of one cg_pool_for call */
#define BENCH_TARGET_FLOOR_PERCENT 15.0
#define BENCH_TARGET_STEP_MS 0.4
#define BENCH_TARGET_STEP_SPEEDUP 10.0

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)
#ifdef LIBJPEG_TURBO_VERSION
#define BENCH_JPEG_NAME "libjpeg-turbo " STRINGIFY(LIBJPEG_TURBO_VERSION)
#else
#define BENCH_JPEG_NAME "libjpeg " STRINGIFY(JPEG_LIB_VERSION)
#endif

/* ---- types ------------------------------------------------------------------------------- */

typedef struct bench_opts {
    const char *dir;     /* directory to scan, or NULL */
    unsigned synth;      /* synthetic JPEGs to generate */
    unsigned threads;    /* pool workers */
    double min_seconds;  /* minimum wall time of each measurement */
    size_t limit;        /* at most this many image files (0: all) */
    int json;            /* print one JSON object on stdout (the text report goes to stderr) */
    int fast_only;       /* only fast-mode timings (plus the untimed checks) */
} bench_opts;

typedef struct bench_file {
    char *name;               /* path as found under DIR, or synth-NNN.jpg */
    uint8_t *data;            /* the encoded file, read before any timing */
    size_t len;
    cg_image_format format;
    int synthetic;            /* made by --synth */
    uint32_t width, height;   /* exact-mode decode */
    uint32_t fast_width, fast_height;
    cg_pdq exact;             /* our exact-mode hash */
    int quality;
    int fast_distance;        /* Hamming distance between the fast and the exact hash */
    int floor_ok;             /* the decode floor handles (and decoded) this file */
    cg_image *img;            /* exact decode kept for the hashing step, or NULL */
    uint64_t exact_ns;        /* one-thread exact pipeline time, summed over passes */
    uint64_t exact_dec_ns;    /* the decoding part of exact_ns */
    uint64_t floor_ns;        /* decode floor time, summed over passes */
} bench_file;

typedef struct file_set {
    bench_file *files;
    size_t count, cap;
    size_t skipped;           /* regular files that are not images */
    size_t errors;            /* files reported on stderr and left out */
    size_t limit;             /* stop adding at this count (0: none) */
} file_set;

/* What one pass of a measurement does. */
typedef enum pass_kind {
    PASS_EXACT,      /* one thread: exact decode + hash over the set */
    PASS_FAST,       /* one thread: fast (scaled JPEG) decode + hash over the set */
    PASS_FLOOR,      /* one thread: libjpeg-turbo / libpng alone over the JPEG and PNG files */
    PASS_STEP_OURS,  /* one thread: cg_pdq_hash_image over the kept decoded images */
    PASS_STEP_BASE,  /* one thread: pdq_baseline_hash over the same images */
    PASS_POOL_EXACT, /* all workers: exact decode + hash, the set `reps` times */
    PASS_POOL_FAST   /* all workers: fast decode + hash, the set `reps` times */
} pass_kind;

/* One timed measurement: whole passes, accumulated. Wall time is for throughput; decode and
 * hash times are summed over the threads that did the work, so their ratio is the split of
 * CPU time. */
typedef struct measure {
    pass_kind kind;
    int done;
    size_t reps;              /* pool passes: times the set is covered per cg_pool_for call */
    double seconds;           /* wall time of all timed passes */
    double best_pass_s;       /* the shortest pass (least disturbed by other processes) */
    uint64_t pass_images;     /* images per pass */
    uint64_t images;          /* images processed in `seconds` */
    uint64_t passes;
    double decode_s, hash_s;
    double cpu_s;             /* CPU time the process used during the passes (user + system) */
    uint64_t errors;          /* failures during timing (should stay 0: files were verified) */
} measure;

typedef struct dist_stats {
    size_t files;             /* files compared (the whole set) */
    size_t scaled;            /* files the fast decode returned smaller */
    size_t differ;            /* files whose fast hash differs at all */
    size_t over_threshold;    /* files at distance > CG_PDQ_MATCH_THRESHOLD */
    double mean;
    int p99;                  /* nearest-rank 99th percentile */
    int worst;
    const char *worst_name;
} dist_stats;

typedef struct bench_results {
    measure exact1, exactn, fast1, fastn, floor1, step_ours, step_base;
    size_t floor_files;       /* JPEG and PNG files the floor decoded */
    double floor_ms;          /* floor time per image on those files */
    double floor_pipeline_ms; /* our one-thread exact pipeline on the same files */
    double floor_decode_ms;   /* our decoding alone (cg_image_decode_mem + free), same files */
    size_t step_files;        /* decoded images the hashing step was timed on */
    size_t mismatches;        /* files where the baseline hash or quality differs from ours */
    size_t cached_bytes;
    dist_stats dist;
} bench_results;

typedef struct bench {
    bench_opts opt;
    file_set set;
    cg_decode_options exact_opt, fast_opt;
    cg_pdq_hasher *hasher;    /* the main thread's */
    cg_pdq_hasher **hashers;  /* one per pool worker */
    cg_pool *pool;
    struct worker_acc *acc;   /* one per pool worker */
    pdq_baseline base;
    bench_results res;
    char cpu_model[128];
    int progress;             /* print progress on stderr (it is a terminal) */
} bench;

/* ---- clock ------------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double ns_to_s(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* CPU time used by the whole process so far: compared with wall time, it shows whether other
 * processes took CPUs away during a measurement. */
static double process_cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- options ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hash_bench [DIR] [options]\n"
            "  DIR              images to benchmark (searched recursively; other files skipped)\n"
            "  --synth N        add N synthetic photo-like JPEGs (1600x1200, quality 85)\n"
            "  --threads N      pool workers for the all-threads figures (default: all CPUs)\n"
            "  --min-seconds S  minimum duration of each measurement (default 2)\n"
            "  --limit N        use at most N image files\n"
            "  --fast-only      time only the fast mode (checks still run)\n"
            "  --json           one JSON object on stdout; the text report goes to stderr\n");
}

/* Parses a whole decimal number in [lo, hi]; returns 0 on success. */
static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, bench_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = cg_cpu_count();
    o->min_seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n;

        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--fast-only") == 0) {
            o->fast_only = 1;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_ulong(v, 1, 1024, &n) != 0)
                goto bad_value;
            o->threads = (unsigned)n;
            i++;
        } else if (strcmp(a, "--limit") == 0) {
            if (parse_ulong(v, 1, (unsigned long)1 << 30, &n) != 0)
                goto bad_value;
            o->limit = n;
            i++;
        } else if (strcmp(a, "--synth") == 0) {
            if (parse_ulong(v, 1, 100000, &n) != 0)
                goto bad_value;
            o->synth = (unsigned)n;
            i++;
        } else if (strcmp(a, "--min-seconds") == 0) {
            char *end;

            if (v == NULL)
                goto bad_value;
            errno = 0;
            o->min_seconds = strtod(v, &end);
            if (errno != 0 || *end != '\0' || end == v || !(o->min_seconds >= 0.0) ||
                o->min_seconds > 86400.0)
                goto bad_value;
            i++;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "hash_bench: unknown option %s\n", a);
            return -1;
        } else if (o->dir == NULL) {
            o->dir = a;
        } else {
            fprintf(stderr, "hash_bench: only one DIR may be given\n");
            return -1;
        }
        continue;
bad_value:
        fprintf(stderr, "hash_bench: %s needs a valid value\n", a);
        return -1;
    }
    if (o->dir == NULL && o->synth == 0) {
        fprintf(stderr, "hash_bench: give a DIR, --synth N, or both\n");
        return -1;
    }
    return 0;
}

/* ---- the file set ------------------------------------------------------------------------ */

static int set_full(const file_set *set)
{
    return set->limit > 0 && set->count >= set->limit;
}

/* Appends a file whose bytes the set now owns. Returns -1 when out of memory (data is freed). */
static int set_add(file_set *set, const char *name, uint8_t *data, size_t len)
{
    bench_file *f;

    if (set->count == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 64;
        bench_file *n = realloc(set->files, ncap * sizeof(*n));

        if (n == NULL) {
            free(data);
            return -1;
        }
        set->files = n;
        set->cap = ncap;
    }
    f = &set->files[set->count];
    memset(f, 0, sizeof(*f));
    f->name = strdup(name);
    if (f->name == NULL) {
        free(data);
        return -1;
    }
    f->data = data;
    f->len = len;
    f->format = cg_image_sniff(data, len);
    set->count++;
    return 0;
}

/* Reads path into memory when it is an image (sniffed from its first bytes, never its name).
 * Returns -1 only when out of memory; other failures are reported and counted. */
static int add_path(file_set *set, const char *path)
{
    uint8_t head[16];
    uint8_t *data = NULL;
    struct stat st;
    size_t got;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "hash_bench: skipping %s: %s\n", path, strerror(errno));
        set->errors++;
        return 0;
    }
    got = fread(head, 1, sizeof(head), f);
    if (got == 0 || cg_image_sniff(head, got) == CG_FORMAT_UNKNOWN) {
        fclose(f);
        set->skipped++;
        return 0;
    }
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
        (uint64_t)st.st_size > BENCH_MAX_FILE_BYTES) {
        fprintf(stderr, "hash_bench: skipping %s: size unknown or over %u bytes\n", path,
                BENCH_MAX_FILE_BYTES);
        fclose(f);
        set->errors++;
        return 0;
    }
    data = malloc((size_t)st.st_size);
    if (data == NULL) {
        fclose(f);
        return -1;
    }
    rewind(f);
    got = fread(data, 1, (size_t)st.st_size, f);
    fclose(f);
    if (got != (size_t)st.st_size) {
        fprintf(stderr, "hash_bench: skipping %s: short read\n", path);
        free(data);
        set->errors++;
        return 0;
    }
    return set_add(set, path, data, got);
}

/* Depth-first walk in name order, so runs over the same tree see the same set. Symbolic links
 * to directories are not followed (no cycles); links to files are. */
static int walk(file_set *set, const char *dir)
{
    struct dirent **names = NULL;
    int n, rc = 0;
    const size_t dlen = strlen(dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";

    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "hash_bench: %s: %s\n", dir, strerror(errno));
        set->errors++;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        struct stat st;
        char *path = NULL;
        size_t len;

        if (rc != 0 || set_full(set) || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            goto next;
        len = dlen + strlen(name) + 2;
        path = malloc(len);
        if (path == NULL) {
            rc = -1;
            goto next;
        }
        snprintf(path, len, "%s%s%s", dir, sep, name);
        if (lstat(path, &st) != 0) {
            fprintf(stderr, "hash_bench: %s: %s\n", path, strerror(errno));
            set->errors++;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(set, path);
        } else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
                                           S_ISREG(st.st_mode))) {
            rc = add_path(set, path);
        }
next:
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

static void set_free(file_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free(set->files[i].name);
        free(set->files[i].data);
        cg_image_destroy(set->files[i].img);
    }
    free(set->files);
    memset(set, 0, sizeof(*set));
}

/* ---- synthetic photo-like JPEGs ---------------------------------------------------------- */

/* splitmix64: small, fast and good enough for test pictures. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static uint8_t clamp_u8(double v)
{
    return v <= 0.0 ? 0 : v >= 255.0 ? 255 : (uint8_t)(v + 0.5);
}

/* Paints image index of the synthetic set: a smooth two-colour gradient at a random angle with
 * a low-frequency wave on top (sky, walls), 6 to 15 blended discs and rectangles (objects),
 * and triangular noise of +-7 per sample (sensor grain), so the encoder and the hash see
 * photo-like structure at every scale. */
static void synth_paint(unsigned index, uint8_t *rgb, int w, int h)
{
    uint64_t s = BENCH_SYNTH_SEED + index;
    const double angle = rng_unit(&s) * 2.0 * M_PI;
    const double ca = cos(angle) / w, sa = sin(angle) / h;
    const double fx = (1.0 + 4.0 * rng_unit(&s)) * 2.0 * M_PI / w;
    const double fy = (1.0 + 4.0 * rng_unit(&s)) * 2.0 * M_PI / h;
    const double amp = 10.0 + 25.0 * rng_unit(&s);
    const double px = rng_unit(&s) * 2.0 * M_PI, py = rng_unit(&s) * 2.0 * M_PI;
    const int shapes = 6 + (int)(rng_next(&s) % 10);
    double c0[3], c1[3];

    for (int c = 0; c < 3; c++) {
        c0[c] = 255.0 * rng_unit(&s);
        c1[c] = 255.0 * rng_unit(&s);
    }
    for (int y = 0; y < h; y++) {
        const double wy = cos(fy * y + py);

        for (int x = 0; x < w; x++) {
            const double t = 0.5 + 0.5 * (ca * x + sa * y);
            const double wave = amp * sin(fx * x + px) * wy;
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;

            for (int c = 0; c < 3; c++)
                p[c] = clamp_u8(c0[c] + (c1[c] - c0[c]) * t + wave);
        }
    }
    for (int k = 0; k < shapes; k++) {
        const int disc = (int)(rng_next(&s) & 1);
        const double cx = rng_unit(&s) * w, cy = rng_unit(&s) * h;
        const double rx = 30.0 + rng_unit(&s) * w / 5.0, ry = 30.0 + rng_unit(&s) * h / 5.0;
        const double alpha = 0.5 + 0.5 * rng_unit(&s);
        const int x0 = cx - rx < 0 ? 0 : (int)(cx - rx), x1 = cx + rx > w ? w : (int)(cx + rx);
        const int y0 = cy - ry < 0 ? 0 : (int)(cy - ry), y1 = cy + ry > h ? h : (int)(cy + ry);
        double col[3];

        for (int c = 0; c < 3; c++)
            col[c] = 255.0 * rng_unit(&s);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                const double dx = (x - cx) / rx, dy = (y - cy) / ry;
                uint8_t *p = rgb + ((size_t)y * w + x) * 3;

                if (disc && dx * dx + dy * dy > 1.0)
                    continue;
                for (int c = 0; c < 3; c++)
                    p[c] = clamp_u8(p[c] * (1.0 - alpha) + col[c] * alpha);
            }
    }
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        const uint64_t r = rng_next(&s);
        const int noise = (int)(r & 7) + (int)((r >> 3) & 7) - 7;

        rgb[i] = clamp_u8((double)rgb[i] + noise);
    }
}

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr; /* first: libjpeg casts back to it */
    jmp_buf jmp;
    char message[JMSG_LENGTH_MAX];
} jpeg_fail;

static void jpeg_fail_exit(j_common_ptr cinfo)
{
    jpeg_fail *e = (jpeg_fail *)cinfo->err;

    e->mgr.format_message(cinfo, e->message);
    longjmp(e->jmp, 1);
}

/* Encodes rgb as a baseline JPEG (libjpeg defaults: 4:2:0, quality 85) into *buf (malloc'ed
 * by libjpeg, *size bytes). Returns 0, or -1 after reporting; the caller frees *buf either way.
 * buf and size live in the caller's frame so that they stay valid across the longjmp. */
static int synth_encode(const uint8_t *rgb, int w, int h, unsigned char **buf,
                        unsigned long *size)
{
    struct jpeg_compress_struct cinfo;
    jpeg_fail jerr;

    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = jpeg_fail_exit;
    if (setjmp(jerr.jmp) != 0) {
        fprintf(stderr, "hash_bench: JPEG encoder: %s\n", jerr.message);
        jpeg_destroy_compress(&cinfo);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, buf, size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, BENCH_SYNTH_QUALITY, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * w * 3);

        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}

/* Appends n synthetic JPEGs, image i painted from seed BENCH_SYNTH_SEED + i. */
static int add_synth(file_set *set, unsigned n)
{
    uint8_t *rgb = malloc((size_t)BENCH_SYNTH_W * BENCH_SYNTH_H * 3);

    if (rgb == NULL)
        return -1;
    for (unsigned i = 0; i < n && !set_full(set); i++) {
        char name[32];
        unsigned char *jpg = NULL;
        unsigned long len = 0;

        synth_paint(i, rgb, BENCH_SYNTH_W, BENCH_SYNTH_H);
        if (synth_encode(rgb, BENCH_SYNTH_W, BENCH_SYNTH_H, &jpg, &len) != 0) {
            free(jpg);
            set->errors++;
            continue;
        }
        snprintf(name, sizeof(name), "synth-%03u.jpg", i);
        if (set_add(set, name, jpg, len) != 0) {
            free(rgb);
            return -1;
        }
        set->files[set->count - 1].synthetic = 1;
    }
    free(rgb);
    return 0;
}

/* ---- the decode floor: the libraries called directly ------------------------------------- */

/* The least a caller must do to get 8-bit pixels from libjpeg-turbo: one decompressor, output
 * straight to RGB (grey stays grey and CMYK stays CMYK: converting them would only add work),
 * library defaults otherwise, a fresh output buffer per image as any decoder returning an image
 * needs. Returns 0, or -1 with a message. */
static int floor_jpeg(const uint8_t *data, size_t len, char *msg, size_t msg_size)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_fail jerr;
    uint8_t *volatile pixels = NULL;

    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = jpeg_fail_exit;
    if (setjmp(jerr.jmp) != 0) {
        snprintf(msg, msg_size, "libjpeg: %s", jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_GRAYSCALE)
        cinfo.out_color_space = JCS_GRAYSCALE;
    else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
        cinfo.out_color_space = JCS_CMYK;
    else
        cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    {
        const size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
        uint8_t *p = malloc(stride * cinfo.output_height);

        pixels = p;
        if (p == NULL) {
            snprintf(msg, msg_size, "out of memory");
            jpeg_destroy_decompress(&cinfo);
            return -1;
        }
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW row = p + (size_t)cinfo.output_scanline * stride;

            jpeg_read_scanlines(&cinfo, &row, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
    return 0;
}

typedef struct png_mem {
    const uint8_t *data;
    size_t len, pos;
    char message[200];
} png_mem;

static void png_mem_read(png_structp png, png_bytep dst, png_size_t n)
{
    png_mem *m = png_get_io_ptr(png);

    if (n > m->len - m->pos)
        png_error(png, "truncated PNG");
    memcpy(dst, m->data + m->pos, n);
    m->pos += n;
}

static void png_mem_error(png_structp png, png_const_charp text)
{
    png_mem *m = png_get_error_ptr(png);

    snprintf(m->message, sizeof(m->message), "%s", text);
    png_longjmp(png, 1);
}

static void png_mem_warning(png_structp png, png_const_charp text)
{
    (void)png;
    (void)text;
}

/* The least a caller must do to get 8-bit RGB (or grey) from libpng: palette expanded, alpha
 * (and tRNS) stripped, 16-bit reduced to 8, interlacing handled, one output buffer per image. */
static int floor_png(const uint8_t *data, size_t len, char *msg, size_t msg_size)
{
    png_mem src = {data, len, 0, {0}};
    png_structp png;
    png_infop info;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    png_uint_32 w, h;
    int depth, color;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_mem_error, png_mem_warning);
    if (png == NULL) {
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(msg, msg_size, "libpng: %s", src.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return -1;
    }
    png_set_read_fn(png, &src, png_mem_read);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);
    /* Expanding a palette or grey image with tRNS adds an alpha channel: strip that too. */
    if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    {
        const size_t stride = png_get_rowbytes(png, info);
        uint8_t *p = malloc(stride * h);
        png_bytep *r = malloc(h * sizeof(*r));

        pixels = p;
        rows = r;
        if (p == NULL || r == NULL)
            png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < h; y++)
            r[y] = p + (size_t)y * stride;
        png_read_image(png, r);
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    return 0;
}

static int floor_handles(cg_image_format f)
{
    return f == CG_FORMAT_JPEG || f == CG_FORMAT_PNG;
}

static int floor_decode(const bench_file *f, char *msg, size_t msg_size)
{
    return f->format == CG_FORMAT_JPEG ? floor_jpeg(f->data, f->len, msg, msg_size)
                                       : floor_png(f->data, f->len, msg, msg_size);
}

/* ---- verification pass (also the warm-up) ------------------------------------------------ */

static int cmp_int(const void *a, const void *b)
{
    const int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Decodes every file once in each mode, hashes it with the library and with the baseline,
 * records the exact hash, the fast-mode distance and whether the floor decodes it, and keeps
 * decoded images (up to BENCH_CACHE_BYTES) for the hashing-step timing. Files that fail to
 * decode are reported and removed from the set. Returns -1 when out of memory. */
static int verify(bench *b)
{
    file_set *set = &b->set;
    bench_results *r = &b->res;
    size_t kept = 0, shown = 0;

    for (size_t i = 0; i < set->count; i++) {
        bench_file *f = &set->files[i];
        cg_image *img = NULL, *fimg = NULL;
        cg_error err = {0};
        cg_pdq_result ours, fast;
        uint16_t words[16];
        int bq, drop = 1;
        cg_status st;
        char msg[256];

        st = cg_image_decode_mem(f->data, f->len, &b->exact_opt, &img, &err);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: %s (%s)\n", f->name, err.message,
                    cg_status_name(st));
            goto next;
        }
        st = cg_pdq_hash_image(b->hasher, img, 0, &ours);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: hashing failed (%s)\n", f->name,
                    cg_status_name(st));
            goto next;
        }
        st = cg_image_decode_mem(f->data, f->len, &b->fast_opt, &fimg, &err);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: fast mode: %s (%s)\n", f->name,
                    err.message, cg_status_name(st));
            goto next;
        }
        st = cg_pdq_hash_image(b->hasher, fimg, 0, &fast);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: fast mode: hashing failed (%s)\n",
                    f->name, cg_status_name(st));
            goto next;
        }
        f->width = img->width;
        f->height = img->height;
        f->fast_width = fimg->width;
        f->fast_height = fimg->height;
        f->exact = ours.hash;
        f->quality = ours.quality;
        f->fast_distance = cg_pdq_distance(&ours.hash, &fast.hash);

        if (pdq_baseline_hash(&b->base, img->pixels, img->width, img->height, img->channels,
                              words, &bq) != 0 ||
            memcmp(words, ours.hash.words, sizeof(words)) != 0 || bq != ours.quality) {
            r->mismatches++;
            if (shown++ < 10) {
                cg_pdq bh;
                char hx[CG_PDQ_HEX_LEN + 1], hy[CG_PDQ_HEX_LEN + 1];

                memcpy(bh.words, words, sizeof(words));
                cg_pdq_to_hex(&ours.hash, hx);
                cg_pdq_to_hex(&bh, hy);
                fprintf(stderr, "hash_bench: MISMATCH %s: ours %s q%d, baseline %s q%d\n",
                        f->name, hx, ours.quality, hy, bq);
            }
        }
        if (floor_handles(f->format)) {
            if (floor_decode(f, msg, sizeof(msg)) == 0)
                f->floor_ok = 1;
            else
                fprintf(stderr, "hash_bench: %s: left out of the decode floor: %s\n", f->name,
                        msg);
        }
        {
            const size_t bytes = (size_t)img->width * img->height * img->channels;

            if (r->cached_bytes + bytes <= BENCH_CACHE_BYTES) {
                f->img = img;
                img = NULL;
                r->cached_bytes += bytes;
            }
        }
        drop = 0;
next:
        cg_image_destroy(img);
        cg_image_destroy(fimg);
        if (drop) {
            set->errors++;
            free(f->name);
            free(f->data);
        } else {
            set->files[kept++] = *f;
        }
    }
    set->count = kept;
    if (kept == 0)
        return 0;

    {
        dist_stats *d = &r->dist;
        int *v = malloc(kept * sizeof(*v));
        double sum = 0.0;

        if (v == NULL)
            return -1;
        d->files = kept;
        d->worst = -1;
        for (size_t i = 0; i < kept; i++) {
            const bench_file *f = &set->files[i];

            v[i] = f->fast_distance;
            sum += f->fast_distance;
            d->scaled += f->fast_width != f->width || f->fast_height != f->height;
            d->differ += f->fast_distance > 0;
            d->over_threshold += f->fast_distance > CG_PDQ_MATCH_THRESHOLD;
            if (f->fast_distance > d->worst) {
                d->worst = f->fast_distance;
                d->worst_name = f->name;
            }
        }
        qsort(v, kept, sizeof(*v), cmp_int);
        d->mean = sum / (double)kept;
        d->p99 = v[(size_t)ceil(0.99 * (double)kept) - 1];
        free(v);
    }
    return 0;
}

/* ---- timed measurements ------------------------------------------------------------------ */

/* Per-worker counters, each on its own cache line. */
typedef struct worker_acc {
    _Alignas(64) uint64_t decode_ns;
    uint64_t hash_ns;
    uint64_t images;
    uint64_t errors;
} worker_acc;

typedef struct pass_ctx {
    bench *b;
    const cg_decode_options *opt;
    int per_file;             /* add each file's times to its exact_ns / exact_dec_ns */
} pass_ctx;

/* Decodes and hashes file f into acc: the pipeline step shared by the one-thread and pool
 * passes. Freeing the image counts as decoding (it undoes the decoder's allocation). */
static void pipeline_one(const pass_ctx *c, bench_file *f, cg_pdq_hasher *h, worker_acc *acc)
{
    cg_image *img = NULL;
    cg_pdq_result res;
    uint64_t t0, t1, t2, t3;

    t0 = now_ns();
    if (cg_image_decode_mem(f->data, f->len, c->opt, &img, NULL) != CG_OK) {
        acc->errors++;
        return;
    }
    t1 = now_ns();
    if (cg_pdq_hash_image(h, img, 0, &res) != CG_OK)
        acc->errors++;
    t2 = now_ns();
    cg_image_destroy(img);
    t3 = now_ns();
    acc->decode_ns += (t1 - t0) + (t3 - t2);
    acc->hash_ns += t2 - t1;
    acc->images++;
    if (c->per_file) {
        f->exact_ns += t3 - t0;
        f->exact_dec_ns += (t1 - t0) + (t3 - t2);
    }
}

static void pool_item(void *arg, size_t i, unsigned worker)
{
    const pass_ctx *c = arg;
    bench *b = c->b;

    pipeline_one(c, &b->set.files[i % b->set.count], b->hashers[worker], &b->acc[worker]);
}

/* Runs one pass of m and adds it to m's totals. Returns -1 if the pool fails. */
static int run_pass(bench *b, measure *m)
{
    const unsigned workers = m->kind >= PASS_POOL_EXACT ? cg_pool_size(b->pool) : 1;
    pass_ctx c = {b, m->kind == PASS_FAST || m->kind == PASS_POOL_FAST ? &b->fast_opt
                                                                        : &b->exact_opt,
                  m->kind == PASS_EXACT};
    uint64_t start, dec = 0, hash = 0, images = 0;
    double cpu0;
    char msg[256];

    memset(b->acc, 0, workers * sizeof(*b->acc));
    cpu0 = process_cpu_s();
    start = now_ns();
    switch (m->kind) {
    case PASS_EXACT:
    case PASS_FAST:
        for (size_t i = 0; i < b->set.count; i++)
            pipeline_one(&c, &b->set.files[i], b->hasher, &b->acc[0]);
        break;
    case PASS_POOL_EXACT:
    case PASS_POOL_FAST:
        if (cg_pool_for(b->pool, b->set.count * m->reps, pool_item, &c) != CG_OK)
            return -1;
        break;
    case PASS_FLOOR:
        for (size_t i = 0; i < b->set.count; i++) {
            bench_file *f = &b->set.files[i];
            uint64_t t0, dt;

            if (!f->floor_ok)
                continue;
            t0 = now_ns();
            if (floor_decode(f, msg, sizeof(msg)) != 0)
                b->acc[0].errors++;
            dt = now_ns() - t0;
            f->floor_ns += dt;
            b->acc[0].decode_ns += dt;
            images++;
        }
        break;
    case PASS_STEP_OURS:
    case PASS_STEP_BASE:
        for (size_t i = 0; i < b->set.count; i++) {
            const cg_image *img = b->set.files[i].img;
            const uint64_t t0 = now_ns();
            cg_pdq_result res;
            uint16_t words[16];
            int q;

            if (img == NULL)
                continue;
            if (m->kind == PASS_STEP_BASE) {
                if (pdq_baseline_hash(&b->base, img->pixels, img->width, img->height,
                                      img->channels, words, &q) != 0)
                    b->acc[0].errors++;
            } else if (cg_pdq_hash_image(b->hasher, img, 0, &res) != CG_OK) {
                b->acc[0].errors++;
            }
            b->acc[0].hash_ns += now_ns() - t0;
            images++;
        }
        break;
    }
    {
        const double took = ns_to_s(now_ns() - start);

        m->cpu_s += process_cpu_s() - cpu0;
        for (unsigned w = 0; w < workers; w++) {
            dec += b->acc[w].decode_ns;
            hash += b->acc[w].hash_ns;
            images += b->acc[w].images;
            m->errors += b->acc[w].errors;
        }
        if (m->passes == 0 || took < m->best_pass_s)
            m->best_pass_s = took;
        m->seconds += took;
        m->decode_s += ns_to_s(dec);
        m->hash_s += ns_to_s(hash);
        m->images += images;
        m->pass_images = images;
        m->passes++;
        m->done = 1;
    }
    return 0;
}

/* Runs the measurements in ms by alternating passes (A B C A B C ...) until each has at least
 * --min-seconds of timed passes, so that a disturbance from other processes falls on all of
 * them rather than on one. */
static int run_interleaved(bench *b, measure *const *ms, size_t k)
{
    for (;;) {
        int more = 0;

        for (size_t j = 0; j < k; j++)
            if (ms[j]->passes == 0 || ms[j]->seconds < b->opt.min_seconds) {
                more = 1;
                if (run_pass(b, ms[j]) != 0)
                    return -1;
            }
        if (!more)
            return 0;
    }
}

static void progress(const bench *b, const char *what)
{
    if (b->progress)
        fprintf(stderr, "hash_bench: measuring %s...\n", what);
}

/* Prepares a pool measurement: one cg_pool_for call covers the set `reps` times (item i is file
 * i mod count), sized from the one-thread time to last about BENCH_MT_CHUNK_SECONDS, so that
 * workers idling at the end of a call are a small part of the total; then a short untimed call
 * warms up every worker and its hasher. */
static int pool_prepare(bench *b, measure *m, pass_kind kind, const measure *single)
{
    const unsigned workers = cg_pool_size(b->pool);
    const size_t n = b->set.count;
    const double chunk = b->opt.min_seconds / 4 < BENCH_MT_CHUNK_SECONDS
                             ? b->opt.min_seconds / 4 : BENCH_MT_CHUNK_SECONDS;
    pass_ctx c = {b, kind == PASS_POOL_FAST ? &b->fast_opt : &b->exact_opt, 0};

    m->kind = kind;
    m->reps = 1;
    if (single->images > 0 && single->seconds > 0) {
        const double r = ceil(chunk * workers / (single->seconds / single->images * n));

        m->reps = r < 1 ? 1 : r > 1000 ? 1000 : (size_t)r;
    }
    return cg_pool_for(b->pool, n < 2 * workers ? n : 2 * workers, pool_item, &c) == CG_OK
               ? 0 : -1;
}

static int run_all(bench *b)
{
    bench_results *r = &b->res;
    measure *group[3];
    size_t k = 0;

    r->exact1.kind = PASS_EXACT;
    r->floor1.kind = PASS_FLOOR;
    r->fast1.kind = PASS_FAST;
    r->step_ours.kind = PASS_STEP_OURS;
    r->step_base.kind = PASS_STEP_BASE;
    for (size_t i = 0; i < b->set.count; i++) {
        r->floor_files += b->set.files[i].floor_ok;
        r->step_files += b->set.files[i].img != NULL;
    }

    /* One thread: exact pipeline, decode floor and fast pipeline, interleaved. */
    if (!b->opt.fast_only) {
        group[k++] = &r->exact1;
        if (r->floor_files > 0)
            group[k++] = &r->floor1;
    }
    group[k++] = &r->fast1;
    progress(b, b->opt.fast_only ? "fast mode, 1 thread" : "one thread: exact, floor, fast");
    if (run_interleaved(b, group, k) != 0)
        return -1;
    if (r->floor1.done) {
        uint64_t floor_ns = 0, ours_ns = 0, dec_ns = 0;

        for (size_t i = 0; i < b->set.count; i++) {
            const bench_file *f = &b->set.files[i];

            if (f->floor_ok) {
                floor_ns += f->floor_ns;
                ours_ns += f->exact_ns;
                dec_ns += f->exact_dec_ns;
            }
        }
        r->floor_ms = ns_to_s(floor_ns) * 1e3 / (double)(r->floor_files * r->floor1.passes);
        r->floor_pipeline_ms =
            ns_to_s(ours_ns) * 1e3 / (double)(r->floor_files * r->exact1.passes);
        r->floor_decode_ms = ns_to_s(dec_ns) * 1e3 / (double)(r->floor_files * r->exact1.passes);
    }

    /* The hashing step alone: ours and the baseline, interleaved. */
    if (!b->opt.fast_only && r->step_files > 0) {
        group[0] = &r->step_ours;
        group[1] = &r->step_base;
        progress(b, "hashing step: ours and the reference-style baseline");
        if (run_interleaved(b, group, 2) != 0)
            return -1;
    }

    /* All workers: exact and fast, interleaved. */
    k = 0;
    if (!b->opt.fast_only) {
        if (pool_prepare(b, &r->exactn, PASS_POOL_EXACT, &r->exact1) != 0)
            return -1;
        group[k++] = &r->exactn;
    }
    if (pool_prepare(b, &r->fastn, PASS_POOL_FAST, &r->fast1) != 0)
        return -1;
    group[k++] = &r->fastn;
    progress(b, "all threads");
    return run_interleaved(b, group, k);
}

/* ---- report ------------------------------------------------------------------------------ */

static double per_s(const measure *m)
{
    return m->seconds > 0 ? (double)m->images / m->seconds : 0.0;
}

/* Average number of CPUs the process kept busy during m. */
static double cpus_used(const measure *m)
{
    return m->seconds > 0 ? m->cpu_s / m->seconds : 0.0;
}

static double best_per_s(const measure *m)
{
    return m->best_pass_s > 0 ? (double)m->pass_images / m->best_pass_s : 0.0;
}

static double ms_per_image(const measure *m)
{
    return m->images ? m->seconds * 1e3 / (double)m->images : 0.0;
}

/* Milliseconds of one part (decode or hash time, summed over threads) per image. */
static double cpu_ms_per_image(const measure *m, double part_s)
{
    return m->images ? part_s * 1e3 / (double)m->images : 0.0;
}

static double share(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* How much longer t is than the floor, in percent of the floor. */
static double over_percent(double t, double floor_t)
{
    return share(t - floor_t, floor_t);
}

static const char *verdict(int met)
{
    return met ? "met" : "NOT met";
}

static void read_cpu_model(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    snprintf(out, size, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');

        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            colon++;
            colon += strspn(colon, " \t");
            colon[strcspn(colon, "\r\n")] = '\0';
            snprintf(out, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static void print_mode_line(FILE *o, const char *label, const measure *m, const measure *exact)
{
    const double cpu = m->decode_s + m->hash_s;

    fprintf(o, "  %-10s %9.2f images/s (best pass %.2f) %9.3f ms/image", label, per_s(m),
            best_per_s(m), ms_per_image(m));
    if (exact != NULL && exact->done && per_s(exact) > 0)
        fprintf(o, "  x%.2f over exact", per_s(m) / per_s(exact));
    fprintf(o, "  (%.2f CPUs busy)", cpus_used(m));
    fprintf(o, "\n  %-10s CPU per image: decode %.3f ms (%.1f %%) + hash %.3f ms (%.1f %%)\n", "",
            cpu_ms_per_image(m, m->decode_s), share(m->decode_s, cpu),
            cpu_ms_per_image(m, m->hash_s), share(m->hash_s, cpu));
    if (m->errors)
        fprintf(o, "  %-10s %" PRIu64 " failures during timing\n", "", m->errors);
}

static void print_text(FILE *o, const bench *b)
{
    const bench_results *r = &b->res;
    const file_set *set = &b->set;
    size_t per_format[CG_FORMAT_BMP + 1] = {0};
    uint32_t max_w = 0, max_h = 0;
    double mpix = 0;
    char all[32];
    size_t synthetic = 0;

    for (size_t i = 0; i < set->count; i++) {
        const bench_file *f = &set->files[i];

        if ((unsigned)f->format <= CG_FORMAT_BMP)
            per_format[f->format]++;
        synthetic += f->synthetic;
        mpix += (double)f->width * f->height / 1e6;
        if ((uint64_t)f->width * f->height > (uint64_t)max_w * max_h) {
            max_w = f->width;
            max_h = f->height;
        }
    }
    fprintf(o, "hash_bench: %zu images (", set->count);
    if (b->opt.dir != NULL)
        fprintf(o, "%zu from %s%s", set->count - synthetic, b->opt.dir, synthetic ? ", " : "");
    if (synthetic > 0)
        fprintf(o, "%zu synthetic %dx%d JPEGs", synthetic, BENCH_SYNTH_W, BENCH_SYNTH_H);
    fprintf(o, "); %zu non-image files skipped, %zu files with errors\n", set->skipped,
            set->errors);
    fprintf(o, "  formats:");
    for (int k = 0; k <= CG_FORMAT_BMP; k++)
        if (per_format[k])
            fprintf(o, " %s %zu", cg_image_format_name((cg_image_format)k), per_format[k]);
    fprintf(o, "; %.1f Mpixel in all, largest %ux%u\n", mpix, max_w, max_h);
    fprintf(o, "  machine: %s, %u CPUs online, %u pool threads; %s, libpng %s\n", b->cpu_model,
            cg_cpu_count(), b->opt.threads, BENCH_JPEG_NAME, png_get_libpng_ver(NULL));
    fprintf(o, "  method: files in memory; a warm-up pass first; each figure is whole passes "
               "repeated for >= %.2f s (monotonic clock), interleaved with the figures it is "
               "compared with\n", b->opt.min_seconds);
    snprintf(all, sizeof(all), "%u thread%s", b->opt.threads, b->opt.threads > 1 ? "s" : "");

    if (r->exact1.done) {
        fprintf(o, "exact mode (full decode + PDQ; 512x512 nearest resize above 512 a side)\n");
        print_mode_line(o, "1 thread", &r->exact1, NULL);
        print_mode_line(o, all, &r->exactn, NULL);
        fprintf(o, "  %-10s %s: x%.2f over 1 thread\n", "", all,
                per_s(&r->exact1) > 0 ? per_s(&r->exactn) / per_s(&r->exact1) : 0.0);
    }
    if (r->floor1.done) {
        const double over = over_percent(r->floor_pipeline_ms, r->floor_ms);

        fprintf(o, "decode floor (%s / libpng straight to RGB, no PDQ; %zu JPEG/PNG files)\n",
                BENCH_JPEG_NAME, r->floor_files);
        fprintf(o, "  floor %.3f ms/image, our whole exact pipeline %.3f ms/image on the same "
                   "files: %+.1f %% over the floor (target <= %.0f %%: %s)\n",
                r->floor_ms, r->floor_pipeline_ms, over, BENCH_TARGET_FLOOR_PERCENT,
                verdict(over <= BENCH_TARGET_FLOOR_PERCENT));
        fprintf(o, "  of which our decoding alone %.3f ms/image (%+.1f %% over the floor)\n",
                r->floor_decode_ms, over_percent(r->floor_decode_ms, r->floor_ms));
    } else if (!b->opt.fast_only) {
        fprintf(o, "decode floor: no JPEG or PNG file in the set\n");
    }
    if (r->step_ours.done) {
        const double ours = ms_per_image(&r->step_ours), base = ms_per_image(&r->step_base);
        const double speedup = ours > 0 ? base / ours : 0.0;

        fprintf(o, "hashing step (resize, luma, PDQ on decoded pixels; 1 thread, %zu of %zu "
                   "images)\n", r->step_files, set->count);
        fprintf(o, "  ours %.4f ms/image, reference-style baseline %.3f ms/image: x%.1f "
                   "(targets <= %.1f ms: %s; >= %.0fx: %s)\n",
                ours, base, speedup, BENCH_TARGET_STEP_MS, verdict(ours <= BENCH_TARGET_STEP_MS),
                BENCH_TARGET_STEP_SPEEDUP, verdict(speedup >= BENCH_TARGET_STEP_SPEEDUP));
    }
    fprintf(o, "cross-check: the baseline's hash and quality equal ours on %zu of %zu files "
               "(%zu mismatches)\n", set->count - r->mismatches, set->count, r->mismatches);
    fprintf(o, "fast mode (JPEG scaled in the DCT domain to >= %u a side, then PDQ)\n",
            BENCH_FAST_MIN_SIDE);
    print_mode_line(o, "1 thread", &r->fast1, r->exact1.done ? &r->exact1 : NULL);
    print_mode_line(o, all, &r->fastn, r->exactn.done ? &r->exactn : NULL);
    fprintf(o, "  distance to the exact hash over %zu files (%zu decoded smaller): mean %.2f, "
               "p99 %d, worst %d (%s); %zu differ, %zu over %d\n",
            r->dist.files, r->dist.scaled, r->dist.mean, r->dist.p99, r->dist.worst,
            r->dist.worst_name ? r->dist.worst_name : "-", r->dist.differ,
            r->dist.over_threshold, CG_PDQ_MATCH_THRESHOLD);
}

static void json_string(FILE *o, const char *s)
{
    fputc('"', o);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(o, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(o, "\\u%04x", *p);
        else
            fputc(*p, o);
    }
    fputc('"', o);
}

static void json_number(FILE *o, double v)
{
    if (isfinite(v))
        fprintf(o, "%.6g", v);
    else
        fputs("null", o);
}

/* Prints key (with its quotes, colon and any leading comma) and a number. */
static void json_kv(FILE *o, const char *key, double v)
{
    fputs(key, o);
    json_number(o, v);
}

static void json_measure(FILE *o, const char *key, const measure *m, const char *tail)
{
    const double cpu = m->decode_s + m->hash_s;

    fprintf(o, "\"%s\":", key);
    if (!m->done) {
        fprintf(o, "null%s", tail);
        return;
    }
    fprintf(o, "{\"images_per_s\":");
    json_number(o, per_s(m));
    json_kv(o, ",\"best_pass_images_per_s\":", best_per_s(m));
    json_kv(o, ",\"ms_per_image\":", ms_per_image(m));
    json_kv(o, ",\"decode_ms_per_image\":", cpu_ms_per_image(m, m->decode_s));
    json_kv(o, ",\"hash_ms_per_image\":", cpu_ms_per_image(m, m->hash_s));
    json_kv(o, ",\"decode_percent\":", share(m->decode_s, cpu));
    json_kv(o, ",\"hash_percent\":", share(m->hash_s, cpu));
    json_kv(o, ",\"seconds\":", m->seconds);
    json_kv(o, ",\"cpus_busy\":", cpus_used(m));
    fprintf(o, ",\"images\":%" PRIu64 ",\"passes\":%" PRIu64 ",\"set_reps_per_pass\":%zu"
               ",\"errors\":%" PRIu64 "}%s", m->images, m->passes, m->reps ? m->reps : 1,
            m->errors, tail);
}

static void json_ratio(FILE *o, const char *key, const measure *a, const measure *b,
                       const char *tail)
{
    fprintf(o, "\"%s\":", key);
    if (a->done && b->done && per_s(b) > 0)
        json_number(o, per_s(a) / per_s(b));
    else
        fputs("null", o);
    fputs(tail, o);
}

static void print_json(FILE *o, const bench *b)
{
    const bench_results *r = &b->res;
    const dist_stats *d = &r->dist;

    fprintf(o, "{\"tool\":\"hash_bench\",\"childguard\":\"%s\",\"dir\":", cg_version());
    if (b->opt.dir)
        json_string(o, b->opt.dir);
    else
        fputs("null", o);
    fprintf(o, ",\"synth\":%u,\"files\":%zu,\"skipped_non_image\":%zu,\"errors\":%zu,",
            b->opt.synth, b->set.count, b->set.skipped, b->set.errors);
    fprintf(o, "\"machine\":{\"cpu_model\":");
    json_string(o, b->cpu_model);
    fprintf(o, ",\"cpus\":%u,\"threads\":%u,\"libjpeg\":\"%s\",\"libpng\":\"%s\"},",
            cg_cpu_count(), b->opt.threads, BENCH_JPEG_NAME, png_get_libpng_ver(NULL));
    json_kv(o, "\"min_seconds\":", b->opt.min_seconds);
    fprintf(o, ",\"exact\":{");
    json_measure(o, "one_thread", &r->exact1, ",");
    json_measure(o, "all_threads", &r->exactn, ",");
    json_ratio(o, "thread_scaling", &r->exactn, &r->exact1, "},");
    fprintf(o, "\"decode_floor\":");
    if (r->floor1.done) {
        fprintf(o, "{\"files\":%zu,\"floor_ms_per_image\":", r->floor_files);
        json_number(o, r->floor_ms);
        json_kv(o, ",\"pipeline_ms_per_image\":", r->floor_pipeline_ms);
        json_kv(o, ",\"over_floor_percent\":", over_percent(r->floor_pipeline_ms, r->floor_ms));
        json_kv(o, ",\"decode_ms_per_image\":", r->floor_decode_ms);
        json_kv(o, ",\"decode_over_floor_percent\":",
                over_percent(r->floor_decode_ms, r->floor_ms));
        json_kv(o, ",\"target_percent\":", BENCH_TARGET_FLOOR_PERCENT);
        fprintf(o, ",\"passes\":%" PRIu64 ",\"errors\":%" PRIu64 "},", r->floor1.passes,
                r->floor1.errors);
    } else {
        fprintf(o, "null,");
    }
    fprintf(o, "\"hashing_step\":{\"files\":%zu,\"ours_ms_per_image\":", r->step_files);
    if (r->step_ours.done) {
        const double ours = ms_per_image(&r->step_ours), base = ms_per_image(&r->step_base);

        json_number(o, ours);
        json_kv(o, ",\"baseline_ms_per_image\":", base);
        json_kv(o, ",\"speedup\":", ours > 0 ? base / ours : 0.0);
    } else {
        fprintf(o, "null,\"baseline_ms_per_image\":null,\"speedup\":null");
    }
    json_kv(o, ",\"target_ms\":", BENCH_TARGET_STEP_MS);
    json_kv(o, ",\"target_speedup\":", BENCH_TARGET_STEP_SPEEDUP);
    fprintf(o, ",\"checked_files\":%zu,\"mismatches\":%zu},", b->set.count, r->mismatches);
    fprintf(o, "\"fast\":{\"min_side\":%u,", BENCH_FAST_MIN_SIDE);
    json_measure(o, "one_thread", &r->fast1, ",");
    json_measure(o, "all_threads", &r->fastn, ",");
    json_ratio(o, "speedup_one_thread", &r->fast1, &r->exact1, ",");
    json_ratio(o, "speedup_all_threads", &r->fastn, &r->exactn, ",");
    fprintf(o, "\"distance\":{\"files\":%zu,\"scaled_files\":%zu,\"differ\":%zu,"
               "\"over_threshold\":%zu,\"threshold\":%d,\"mean\":",
            d->files, d->scaled, d->differ, d->over_threshold, CG_PDQ_MATCH_THRESHOLD);
    json_number(o, d->mean);
    fprintf(o, ",\"p99\":%d,\"worst\":%d,\"worst_file\":", d->p99, d->worst);
    if (d->worst_name)
        json_string(o, d->worst_name);
    else
        fputs("null", o);
    fprintf(o, "}}}\n");
}

/* ---- main -------------------------------------------------------------------------------- */

static void bench_fini(bench *b)
{
    cg_pool_destroy(b->pool);
    if (b->hashers != NULL)
        for (unsigned i = 0; i < b->opt.threads; i++)
            cg_pdq_hasher_destroy(b->hashers[i]);
    free(b->hashers);
    free(b->acc);
    cg_pdq_hasher_destroy(b->hasher);
    set_free(&b->set);
}

static int bench_init(bench *b)
{
    cg_decode_options_default(&b->exact_opt);
    cg_decode_options_default(&b->fast_opt);
    b->fast_opt.min_side = BENCH_FAST_MIN_SIDE;
    pdq_baseline_init(&b->base);
    read_cpu_model(b->cpu_model, sizeof(b->cpu_model));
    b->progress = isatty(STDERR_FILENO);
    b->set.limit = b->opt.limit;
    if (cg_pdq_hasher_create(&b->hasher) != CG_OK)
        return -1;
    b->hashers = calloc(b->opt.threads, sizeof(*b->hashers));
    b->acc = aligned_alloc(64, b->opt.threads * sizeof(*b->acc));
    if (b->hashers == NULL || b->acc == NULL)
        return -1;
    for (unsigned i = 0; i < b->opt.threads; i++)
        if (cg_pdq_hasher_create(&b->hashers[i]) != CG_OK)
            return -1;
    return cg_pool_create(b->opt.threads, &b->pool) == CG_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    bench b;
    int rc = 1;

    memset(&b, 0, sizeof(b));
    if (parse_args(argc, argv, &b.opt) != 0) {
        usage(stderr);
        return 2;
    }
    if (bench_init(&b) != 0) {
        fprintf(stderr, "hash_bench: cannot create hashers or the thread pool\n");
        goto done;
    }
    if (b.opt.dir != NULL && walk(&b.set, b.opt.dir) != 0)
        goto nomem;
    if (b.opt.synth > 0 && add_synth(&b.set, b.opt.synth) != 0)
        goto nomem;
    if (b.progress)
        fprintf(stderr, "hash_bench: verifying %zu files (warm-up)...\n", b.set.count);
    if (verify(&b) != 0)
        goto nomem;
    if (b.set.count == 0) {
        fprintf(stderr, "hash_bench: no decodable image found\n");
        goto done;
    }
    if (run_all(&b) != 0) {
        fprintf(stderr, "hash_bench: the thread pool failed\n");
        goto done;
    }
    print_text(b.opt.json ? stderr : stdout, &b);
    if (b.opt.json)
        print_json(stdout, &b);
    if (b.res.mismatches > 0)
        fprintf(stderr, "hash_bench: cross-check FAILED: %zu files hash differently in the "
                        "baseline\n", b.res.mismatches);
    rc = b.res.mismatches > 0 ? 1 : 0;
    goto done;
nomem:
    fprintf(stderr, "hash_bench: out of memory\n");
done:
    bench_fini(&b);
    return rc;
}
