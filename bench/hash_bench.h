/* hash_bench's shared declarations: options, the file set, measurements, and the functions
 * each part of the benchmark gives the others (hash_bench.c: options, passes, main;
 * hash_bench_files.c: the file set and synthetic photos; hash_bench_floor.c: the decode
 * floor; hash_bench_report.c: text and JSON reports). */
#ifndef CG_BENCH_HASH_BENCH_H
#define CG_BENCH_HASH_BENCH_H

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

static inline uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double ns_to_s(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* CPU time used by the whole process so far: compared with wall time, it shows whether other
 * processes took CPUs away during a measurement. */
static inline double process_cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- what the parts give each other ---- */

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr; /* first: libjpeg casts back to it */
    jmp_buf jmp;
    char message[JMSG_LENGTH_MAX];
} jpeg_fail;

/* libjpeg's error exit for a jpeg_fail (hash_bench_floor.c). */
void hb_jpeg_fail_exit(j_common_ptr cinfo);

/* The file set (hash_bench_files.c): adds every image file under dir (recursively) or n synthetic
 * 1600x1200 photo-like JPEGs; frees the set. 0 on success. */
int hb_walk(file_set *set, const char *dir);
int hb_add_synth(file_set *set, unsigned n);
void hb_set_free(file_set *set);

/* The decode floor (hash_bench_floor.c): whether it handles a format, and decoding one file with
 * the library alone (0, or -1 with msg filled). */
int hb_floor_handles(cg_image_format f);
int hb_floor_decode(const bench_file *f, char *msg, size_t msg_size);

/* Reports (hash_bench_report.c). */
void hb_read_cpu_model(char *out, size_t size);
void hb_print_text(FILE *o, const bench *b);
void hb_print_json(FILE *o, const bench *b);

#endif
