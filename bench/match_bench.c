/* match_bench: PDQ radius search (cg_pdq_index) throughput, against a plain popcount loop and the
 * machine's memory bandwidth measured in the same run, with recall checked against brute force.
 *
 *   match_bench [--n N] [--queries Q] [--radius R] [--threads T] [--kind mih|scan|auto]
 *               [--workload uniform|clustered] [--seed S] [--min-seconds S]
 *               [--kernel best|portable] [--bw-mib M] [--repeat N] [--json]
 *
 * What it measures (docs/index.md explains the structures):
 *   - build time and heap bytes per hash (cg_pdq_index_memory / n);
 *   - single-thread queries/s: the median of --repeat rounds (default 3), each running queries
 *     until --min-seconds have elapsed (at least one query; a slow index may not finish one
 *     pass; with --min-seconds 0, one pass per round);
 *   - all-thread queries/s: T pthreads, each starting at its own offset in the query list;
 *   - recall: every query the index answered is compared, as a set of (id, distance), with a
 *     brute-force answer computed here by independent code (blocked over the database so that
 *     it is compute-bound); anything but an identical set is a failure (exit 1);
 *   - the baseline: a plain scalar popcount loop over the 32-byte array (no index, compiled
 *     without -mpopcnt like a straightforward implementation), timed on the queries it gets
 *     through in --min-seconds; the index's speed-up over it;
 *   - single-thread memory bandwidth: the best of 4 sequential reads of a --bw-mib buffer, and
 *     the fraction of it the scan kind achieves (32 bytes per hash per query).
 *
 * Workloads: uniform = independent random 256-bit hashes; clustered = 1,000 families of
 * near-duplicates (half the database, members within 20 bits of their base) and a skewed slice
 * (half the hashes share their first 16 bits). Half the queries are planted at a uniform distance
 * 0..radius of a database entry (a family member for clustered), half are random. All seeds are
 * fixed: the same arguments give the same data.
 *
 * Exit status: 0 when the run completed with recall 1, 1 on a failure or a recall mismatch,
 * 2 on a usage error. No timing is ever asserted. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard/index.h"
#include "index/index_int.h"

#define BENCH_FAMILIES 1000
#define BENCH_FAMILY_RADIUS 20
#define BENCH_MAX_REPEAT 15
#define BENCH_TRUTH_BLOCK 8192 /* database hashes per brute-force block (256 KiB, fits L2) */

typedef struct bench_args {
    size_t n, queries;
    int radius, threads, json, clustered, repeat;
    cg_index_kind kind;
    cg__index_kernel kernel;
    uint64_t seed;
    double min_seconds;
    size_t bw_mib;
} bench_args;

/* A growable list of (id, distance) for one query. */
typedef struct hit_list {
    cg_index_hit *v;
    size_t n, cap;
} hit_list;

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "match_bench: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void list_push(hit_list *l, uint64_t id, int d)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (l->v == NULL) {
            fprintf(stderr, "match_bench: out of memory\n");
            exit(1);
        }
    }
    l->v[l->n].id = id;
    l->v[l->n].distance = d;
    l->n++;
}

/* ---- data ------------------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void random_hash(uint64_t *s, uint8_t *h)
{
    for (int i = 0; i < 32; i += 8) {
        const uint64_t v = rng_next(s);

        memcpy(h + i, &v, 8);
    }
}

static void flip_bits(uint64_t *s, const uint8_t *src, int d, uint8_t *dst)
{
    uint8_t used[256] = {0};

    memcpy(dst, src, 32);
    for (int k = 0; k < d;) {
        const int b = (int)(rng_next(s) % 256);

        if (!used[b]) {
            used[b] = 1;
            dst[b / 8] ^= (uint8_t)(1u << (b % 8));
            k++;
        }
    }
}

static void make_data(const bench_args *a, uint8_t *db, uint8_t *qs)
{
    uint64_t s = a->seed;
    uint8_t(*bases)[32] = xmalloc(BENCH_FAMILIES * 32);

    for (int f = 0; f < BENCH_FAMILIES; f++)
        random_hash(&s, bases[f]);
    for (size_t i = 0; i < a->n; i++) {
        uint8_t *h = db + 32 * i;

        if (a->clustered && i % 2 == 1)
            flip_bits(&s, bases[rng_next(&s) % BENCH_FAMILIES],
                      (int)(rng_next(&s) % (BENCH_FAMILY_RADIUS + 1)), h);
        else
            random_hash(&s, h);
        if (a->clustered && i % 4 < 2)
            h[0] = h[1] = 0; /* the skewed slice */
    }
    for (size_t q = 0; q < a->queries; q++) {
        uint8_t *h = qs + 32 * q;

        if (q % 2 == 0 && a->n > 0) {
            size_t i = rng_next(&s) % a->n;

            if (a->clustered)
                i |= 1; /* a family member */
            if (i >= a->n)
                i = a->n - 1;
            flip_bits(&s, db + 32 * i, (int)(rng_next(&s) % (uint64_t)(a->radius + 1)), h);
        } else {
            random_hash(&s, h);
        }
    }
    free(bases);
}

/* ---- brute force: the ground truth and the baseline ------------------------------------------ */

/* The baseline a straightforward implementation would be: byte-array loads, four popcounts per
 * hash. It is given the POPCNT instruction (every x86-64 CPU of the last decade has it; without
 * it each popcount is a libgcc call and the baseline is three times slower, which would flatter
 * the index). Returns the number of hits (stored in l when given). */
#if defined(__x86_64__)
__attribute__((target("popcnt")))
#endif
static size_t plain_popcount_query(const uint8_t *db, size_t n, const uint8_t *q, int radius,
                                   hit_list *l)
{
    size_t hits = 0;

    for (size_t i = 0; i < n; i++) {
        int d = 0;

        for (int w = 0; w < 4; w++) {
            uint64_t a, b;

            memcpy(&a, db + 32 * i + 8 * w, 8);
            memcpy(&b, q + 8 * w, 8);
            d += __builtin_popcountll(a ^ b);
        }
        if (d <= radius) {
            hits++;
            if (l != NULL)
                list_push(l, i, d);
        }
    }
    return hits;
}

typedef struct truth_job {
    const uint8_t *db, *qs;
    size_t n, q_begin, q_end;
    int radius;
    hit_list *out; /* one per query */
} truth_job;

/* Brute force for queries [q_begin, q_end): the database in L2-sized blocks, every query over
 * each block, so that the run is bound by the popcounts rather than by memory. */
__attribute__((target("popcnt"))) static void *truth_run(void *arg)
{
    const truth_job *j = arg;

    for (size_t b = 0; b < j->n; b += BENCH_TRUTH_BLOCK) {
        const size_t e = b + BENCH_TRUTH_BLOCK < j->n ? b + BENCH_TRUTH_BLOCK : j->n;

        for (size_t q = j->q_begin; q < j->q_end; q++) {
            uint64_t qw[4];

            memcpy(qw, j->qs + 32 * q, 32);
            for (size_t i = b; i < e; i++) {
                uint64_t h[4];
                int d;

                memcpy(h, j->db + 32 * i, 32);
                d = __builtin_popcountll(h[0] ^ qw[0]) + __builtin_popcountll(h[1] ^ qw[1]) +
                    __builtin_popcountll(h[2] ^ qw[2]) + __builtin_popcountll(h[3] ^ qw[3]);
                if (d <= j->radius)
                    list_push(&j->out[q], i, d);
            }
        }
    }
    return NULL;
}

static void ground_truth(const bench_args *a, const uint8_t *db, const uint8_t *qs, size_t nq,
                         hit_list *out)
{
    const int t = a->threads;
    pthread_t *tid = xmalloc((size_t)t * sizeof *tid);
    truth_job *jobs = xmalloc((size_t)t * sizeof *jobs);

    for (int k = 0; k < t; k++) {
        jobs[k] = (truth_job){db, qs, a->n, nq * (size_t)k / (size_t)t,
                              nq * (size_t)(k + 1) / (size_t)t, a->radius, out};
        if (pthread_create(&tid[k], NULL, truth_run, &jobs[k]) != 0) {
            fprintf(stderr, "match_bench: pthread_create failed\n");
            exit(1);
        }
    }
    for (int k = 0; k < t; k++)
        pthread_join(tid[k], NULL);
    free(tid);
    free(jobs);
}

/* ---- timing ---------------------------------------------------------------------------------- */

static void search_or_die(const cg_pdq_index *idx, const bench_args *a, const uint8_t *q,
                          cg_index_hits *hits)
{
    const cg_status st =
        cg__pdq_index_search_ex(idx, q, a->radius, hits, a->kernel, CG__PATH_AUTO);

    if (st != CG_OK) {
        fprintf(stderr, "match_bench: search: %s\n", cg_status_name(st));
        exit(1);
    }
}

typedef struct mt_job {
    const cg_pdq_index *idx;
    const bench_args *a;
    const uint8_t *qs;
    size_t start;
    double deadline;
    size_t done; /* out */
} mt_job;

static void *mt_run(void *arg)
{
    mt_job *j = arg;
    cg_index_hits hits = {0};
    size_t q = j->start;

    do {
        hits.n = 0;
        search_or_die(j->idx, j->a, j->qs + 32 * q, &hits);
        j->done++;
        q = q + 1 == j->a->queries ? 0 : q + 1;
    } while (now_seconds() < j->deadline);
    cg_index_hits_free(&hits);
    return NULL;
}

static double all_thread_qps(const cg_pdq_index *idx, const bench_args *a, const uint8_t *qs)
{
    pthread_t *tid = xmalloc((size_t)a->threads * sizeof *tid);
    mt_job *jobs = xmalloc((size_t)a->threads * sizeof *jobs);
    const double t0 = now_seconds();
    size_t total = 0;

    for (int k = 0; k < a->threads; k++) {
        jobs[k] = (mt_job){idx, a, qs, a->queries * (size_t)k / (size_t)a->threads,
                           t0 + a->min_seconds, 0};
        if (pthread_create(&tid[k], NULL, mt_run, &jobs[k]) != 0) {
            fprintf(stderr, "match_bench: pthread_create failed\n");
            exit(1);
        }
    }
    for (int k = 0; k < a->threads; k++) {
        pthread_join(tid[k], NULL);
        total += jobs[k].done;
    }
    free(tid);
    free(jobs);
    return (double)total / (now_seconds() - t0);
}

/* Single-thread sequential read bandwidth in bytes/s: the best of 4 passes over a buffer much
 * larger than the caches, summed with 4 independent accumulators, every other pass with a
 * software prefetch 2 KiB ahead (which the scan kernel also uses; the bound must not be lower
 * than what a kernel can reach). */
static double memory_bandwidth(size_t mib)
{
    const size_t words = mib * (1u << 20) / 8;
    uint64_t *buf = xmalloc(words * 8);
    volatile uint64_t sink = 0;
    double best = 0;

    for (size_t i = 0; i < words; i++)
        buf[i] = i;
    for (int pass = 0; pass < 4; pass++) {
        const double t0 = now_seconds();
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        double bw;

        for (size_t i = 0; i + 4 <= words; i += 4) {
            if (pass % 2 == 1 && i % 8 == 0)
                __builtin_prefetch(buf + i + 256);
            s0 += buf[i];
            s1 += buf[i + 1];
            s2 += buf[i + 2];
            s3 += buf[i + 3];
        }
        sink += s0 + s1 + s2 + s3;
        bw = (double)(words * 8) / (now_seconds() - t0);
        if (bw > best)
            best = bw;
    }
    (void)sink;
    free(buf);
    return best;
}

static int double_cmp(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

static int hit_cmp(const void *x, const void *y)
{
    const cg_index_hit *a = x, *b = y;

    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return (a->distance > b->distance) - (a->distance < b->distance);
}

/* ---- arguments ------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: match_bench [--n N] [--queries Q] [--radius R] [--threads T]\n"
               "                   [--kind mih|scan|auto] [--workload uniform|clustered]\n"
               "                   [--seed S] [--min-seconds S] [--kernel best|portable]\n"
               "                   [--bw-mib M] [--repeat N] [--json]\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

static int parse_args(int argc, char **argv, bench_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t v = 0;

        if (strcmp(opt, "--json") == 0) {
            a->json = 1;
            continue;
        }
        if (val == NULL)
            return 0;
        i++;
        if (strcmp(opt, "--kind") == 0) {
            if (strcmp(val, "mih") == 0)
                a->kind = CG_INDEX_MIH;
            else if (strcmp(val, "scan") == 0)
                a->kind = CG_INDEX_SCAN;
            else if (strcmp(val, "auto") == 0)
                a->kind = CG_INDEX_AUTO;
            else
                return 0;
        } else if (strcmp(opt, "--workload") == 0) {
            if (strcmp(val, "uniform") != 0 && strcmp(val, "clustered") != 0)
                return 0;
            a->clustered = strcmp(val, "clustered") == 0;
        } else if (strcmp(opt, "--kernel") == 0) {
            if (strcmp(val, "best") != 0 && strcmp(val, "portable") != 0)
                return 0;
            a->kernel = strcmp(val, "portable") == 0 ? CG__KERNEL_PORTABLE : CG__KERNEL_BEST;
        } else if (strcmp(opt, "--min-seconds") == 0) {
            char *end;

            a->min_seconds = strtod(val, &end);
            if (end == val || *end != '\0' || a->min_seconds < 0)
                return 0;
        } else if (parse_u64(val, &v)) {
            if (strcmp(opt, "--n") == 0 && v <= UINT32_MAX)
                a->n = (size_t)v;
            else if (strcmp(opt, "--queries") == 0 && v >= 1 && v <= 100000000)
                a->queries = (size_t)v;
            else if (strcmp(opt, "--radius") == 0 && v <= 256)
                a->radius = (int)v;
            else if (strcmp(opt, "--threads") == 0 && v >= 1 && v <= 1024)
                a->threads = (int)v;
            else if (strcmp(opt, "--repeat") == 0 && v >= 1 && v <= BENCH_MAX_REPEAT)
                a->repeat = (int)v;
            else if (strcmp(opt, "--seed") == 0)
                a->seed = v;
            else if (strcmp(opt, "--bw-mib") == 0 && v <= 65536)
                a->bw_mib = (size_t)v;
            else
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    bench_args a = {1000000, 2000, 31, 0, 0, 0, 3, CG_INDEX_MIH, CG__KERNEL_BEST, 1, 2.0, 1024};
    uint8_t *db, *qs;
    cg_pdq_index *idx = NULL;
    cg_index_options opt;
    cg_error err;
    cg_index_hits hits = {0};
    hit_list *got, *truth;
    double t0, build_s, st_qps, mt_qps, base_qps, bw = 0, elapsed, rounds[BENCH_MAX_REPEAT];
    size_t nq_run = 0, done = 0, base_done = 0, truth_total = 0, found = 0, mismatched = 0;
    size_t base_hits = 0;
    int exact;

    if (!parse_args(argc, argv, &a)) {
        usage(stderr);
        return 2;
    }
    if (a.threads == 0) {
        const long c = sysconf(_SC_NPROCESSORS_ONLN);

        a.threads = c > 0 ? (int)c : 1;
    }
    db = xmalloc(32 * a.n);
    qs = xmalloc(32 * a.queries);
    make_data(&a, db, qs);

    opt.kind = a.kind;
    opt.tuned_radius = a.radius > 0 ? a.radius : 0;
    t0 = now_seconds();
    if (cg_pdq_index_build(db, NULL, a.n, &opt, &idx, &err) != CG_OK) {
        fprintf(stderr, "match_bench: build: %s\n", err.message);
        return 1;
    }
    build_s = now_seconds() - t0;

    /* Single thread: the first pass keeps each answer for the recall check. */
    got = calloc(a.queries, sizeof *got);
    truth = calloc(a.queries, sizeof *truth);
    if (got == NULL || truth == NULL)
        return 1;
    t0 = now_seconds();
    do {
        const size_t q = done % a.queries;

        hits.n = 0;
        search_or_die(idx, &a, qs + 32 * q, &hits);
        if (done < a.queries) {
            for (size_t k = 0; k < hits.n; k++)
                list_push(&got[q], hits.v[k].id, hits.v[k].distance);
            nq_run++;
        }
        done++;
        elapsed = now_seconds() - t0;
    } while (a.min_seconds > 0 ? elapsed < a.min_seconds : done < a.queries);
    rounds[0] = (double)done / elapsed;
    /* More single-thread rounds (the machine is shared): the figure is their median. */
    for (int r = 1; r < a.repeat; r++) {
        size_t n_round = 0;

        t0 = now_seconds();
        do {
            hits.n = 0;
            search_or_die(idx, &a, qs + 32 * ((done + n_round) % a.queries), &hits);
            n_round++;
            elapsed = now_seconds() - t0;
        } while (a.min_seconds > 0 ? elapsed < a.min_seconds : n_round < a.queries);
        done += n_round;
        rounds[r] = (double)n_round / elapsed;
    }
    {
        double sorted[BENCH_MAX_REPEAT];

        memcpy(sorted, rounds, (size_t)a.repeat * sizeof *sorted);
        qsort(sorted, (size_t)a.repeat, sizeof *sorted, double_cmp);
        st_qps = a.repeat % 2 ? sorted[a.repeat / 2]
                              : 0.5 * (sorted[a.repeat / 2 - 1] + sorted[a.repeat / 2]);
    }
    mt_qps = all_thread_qps(idx, &a, qs);

    /* The baseline on as many queries as it gets through (results cross-checked below too). */
    t0 = now_seconds();
    do {
        base_hits += plain_popcount_query(db, a.n, qs + 32 * (base_done % a.queries), a.radius,
                                          NULL);
        base_done++;
        elapsed = now_seconds() - t0;
    } while (elapsed < a.min_seconds && base_done < a.queries);
    base_qps = (double)base_done / elapsed;

    /* Recall: identical (id, distance) sets for every query the index answered. */
    ground_truth(&a, db, qs, nq_run, truth);
    for (size_t q = 0; q < nq_run; q++) {
        if (got[q].n > 1)
            qsort(got[q].v, got[q].n, sizeof *got[q].v, hit_cmp);
        truth_total += truth[q].n;
        for (size_t i = 0, j = 0; i < truth[q].n; i++) {
            while (j < got[q].n && hit_cmp(&got[q].v[j], &truth[q].v[i]) < 0)
                j++;
            if (j < got[q].n && hit_cmp(&got[q].v[j], &truth[q].v[i]) == 0) {
                found++;
                j++;
            }
        }
        if (got[q].n != truth[q].n) {
            mismatched++;
        } else {
            for (size_t i = 0; i < got[q].n; i++) {
                if (hit_cmp(&got[q].v[i], &truth[q].v[i]) != 0) {
                    mismatched++;
                    break;
                }
            }
        }
    }
    {
        size_t base_truth = 0;

        for (size_t q = 0; q < base_done && q < nq_run; q++)
            base_truth += truth[q].n;
        if (base_done <= nq_run && base_truth != base_hits)
            mismatched++;
    }
    exact = mismatched == 0;

    if (a.bw_mib > 0)
        bw = memory_bandwidth(a.bw_mib);

    {
        const double bph = a.n ? (double)cg_pdq_index_memory(idx) / (double)a.n : 0;
        const char *kind = cg_pdq_index_kind(idx) == CG_INDEX_MIH ? "mih" : "scan";
        const char *kernel = a.kernel == CG__KERNEL_PORTABLE ? "portable" : cg_pdq_index_kernel();
        const double recall = truth_total ? (double)found / (double)truth_total : 1.0;
        const int is_scan = cg_pdq_index_kind(idx) == CG_INDEX_SCAN;
        const double scan_frac = bw > 0 && is_scan ? st_qps * 32.0 * (double)a.n / bw : 0;
        FILE *f = a.json ? stderr : stdout;

        fprintf(f, "match_bench: n %zu, %s, radius %d, %zu queries, kind %s (%s kernel)\n", a.n,
                a.clustered ? "clustered" : "uniform", a.radius, a.queries, kind, kernel);
        fprintf(f, "  build                %.3f s\n", build_s);
        fprintf(f, "  memory               %.1f bytes/hash\n", bph);
        fprintf(f, "  single thread        %.1f queries/s (median of", st_qps);
        for (int r = 0; r < a.repeat; r++)
            fprintf(f, " %.1f", rounds[r]);
        fprintf(f, "; %zu queries)\n", done);
        fprintf(f, "  %d threads            %.1f queries/s\n", a.threads, mt_qps);
        fprintf(f, "  plain popcount loop  %.1f queries/s (%zu queries); index x%.1f\n", base_qps,
                base_done, st_qps / base_qps);
        fprintf(f, "  recall               %.6f over %zu true hits, %zu queries checked, %zu "
                   "mismatched\n", recall, truth_total, nq_run, mismatched);
        if (bw > 0 && cg_pdq_index_kind(idx) == CG_INDEX_SCAN)
            fprintf(f, "  memory bandwidth     %.2f GB/s single thread; the scan reads %.2f GB/s "
                       "(%.1f %% of it)\n", bw / 1e9, st_qps * 32.0 * (double)a.n / 1e9,
                    100.0 * scan_frac);
        else if (bw > 0)
            fprintf(f, "  memory bandwidth     %.2f GB/s single thread (a scan would do %.1f "
                       "queries/s at most)\n", bw / 1e9, bw / (32.0 * (double)a.n));
        if (a.json)
            printf("{\"n\": %zu, \"workload\": \"%s\", \"radius\": %d, \"queries\": %zu, "
                   "\"kind\": \"%s\", \"kernel\": \"%s\", \"build_seconds\": %.4f, "
                   "\"bytes_per_hash\": %.2f, \"qps_1_thread\": %.2f, \"threads\": %d, "
                   "\"qps_all_threads\": %.2f, \"baseline_qps\": %.2f, "
                   "\"speedup_over_baseline\": %.2f, \"recall\": %.6f, \"true_hits\": %zu, "
                   "\"queries_checked\": %zu, \"mismatched_queries\": %zu, "
                   "\"bandwidth_gbps\": %.3f, \"scan_bandwidth_fraction\": %.4f}\n",
                   a.n, a.clustered ? "clustered" : "uniform", a.radius, a.queries, kind, kernel,
                   build_s, bph, st_qps, a.threads, mt_qps, base_qps, st_qps / base_qps, recall,
                   truth_total, nq_run, mismatched, bw / 1e9, scan_frac);
    }

    for (size_t q = 0; q < a.queries; q++) {
        free(got[q].v);
        free(truth[q].v);
    }
    free(got);
    free(truth);
    cg_index_hits_free(&hits);
    cg_pdq_index_destroy(idx);
    free(db);
    free(qs);
    if (!exact) {
        fprintf(stderr, "match_bench: results differ from brute force\n");
        return 1;
    }
    return 0;
}
