/* update_bench: how long a bank change takes to become visible to lookups, and what updates
 * cost the lookups running meanwhile.
 *
 * Builds a database of N random PDQ hashes (by import, timed), opens a matcher with a refresher
 * thread, runs lookup threads flat out, and then, trial after trial, commits a change through a
 * second connection (add a new hash; disable an existing one) and measures the time until a
 * lookup sees it. Prints percentiles, the lookup rate during updates against the rate without
 * them (same run), and the ratio to HMA's 60-second index rebuild period.
 *
 *   update_bench [--n 1000000] [--trials 20] [--refresh-ms 100] [--threads 1] [--json]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard.h"
#include "lookers.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void die(const char *what, const cg_error *err)
{
    fprintf(stderr, "update_bench: %s: %s\n", what, err ? err->message : "failed");
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = 1000000, trials = 20, refresh_ms = 100, threads = 1;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            trials = atol(argv[++i]);
        else if (strcmp(argv[i], "--refresh-ms") == 0 && i + 1 < argc)
            refresh_ms = atol(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atol(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: update_bench [--n N] [--trials T] [--refresh-ms MS] "
                            "[--threads N] [--json]\n");
            return 2;
        }
    }
    if (n < 1 || trials < 1 || trials > 10000 || refresh_ms < 1 || threads < 1 || threads > 64) {
        fprintf(stderr, "update_bench: bad arguments\n");
        return 2;
    }

    char dir[] = "/tmp/cg-update-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    char path[256], list[256];
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    snprintf(list, sizeof(list), "%s/list.txt", dir);

    /* The list file, then a timed import. */
    FILE *f = fopen(list, "w");
    if (f == NULL) {
        perror(list);
        return 2;
    }
    for (long i = 0; i < n; i++) {
        for (int b = 0; b < 4; b++)
            fprintf(f, "%016" PRIx64, rnd());
        fputc('\n', f);
    }
    fclose(f);
    cg_bankdb *db = NULL;
    cg_error err;
    cg_bank bank;
    memset(&bank, 0, sizeof(bank));
    snprintf(bank.name, sizeof(bank.name), "bench");
    snprintf(bank.label, sizeof(bank.label), "csam");
    bank.enabled = 1;
    if (cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err) != CG_OK)
        die(path, &err);
    if (cg_bank_create(db, &bank, &err) != CG_OK)
        die("create bank", &err);
    f = fopen(list, "r");
    cg_import_report rep;
    memset(&rep, 0, sizeof(rep));
    double t0 = now();
    if (f == NULL || cg_bank_import(db, bank.id, f, NULL, &rep, &err) != CG_OK)
        die("import", &err);
    double import_s = now() - t0;
    fclose(f);

    /* Open = a full build of the main index from the database. */
    cg_matcher_options mo = {(int)refresh_ms, CG_INDEX_AUTO, 0};
    cg_matcher *m = NULL;
    t0 = now();
    if (cg_matcher_open(path, &mo, &m, &err) != CG_OK)
        die("matcher", &err);
    double open_s = now() - t0;
    cg_matcher_stats stats;
    cg_matcher_stats_get(m, &stats);

    lookers l;
    if (lookers_start(&l, m, (size_t)threads) != 0) {
        fprintf(stderr, "update_bench: cannot start the lookup threads\n");
        return 2;
    }
    double quiet_rate = lookers_rate(&l, 2.0);

    const cg_signal_type *pdq = cg_signal_type_find("pdq");
    double *add_lat = calloc((size_t)trials, sizeof(double));
    double *dis_lat = calloc((size_t)trials, sizeof(double));
    cg_match_list out = {0};
    uint64_t c0 = lookers_count(&l);
    double busy_t0 = now();
    for (long t = 0; t < trials; t++) {
        cg_bank_signal s;
        memset(&s, 0, sizeof(s));
        s.bank_id = bank.id;
        s.type = pdq;
        s.quality = -1;
        for (int i = 0; i < 32; i++)
            s.value[i] = (uint8_t)rnd();
        /* Commit, then poll as a client would, every 1 ms. */
        if (cg_bank_signal_add(db, &s, NULL, &err) != CG_OK)
            die("add", &err);
        double c = now();
        for (;;) {
            out.n = 0;
            if (cg_matcher_lookup(m, pdq, s.value, 1, NULL, &out, &err) != CG_OK)
                die("lookup", &err);
            if (out.n > 0 || now() - c > 30)
                break;
            usleep(1000);
        }
        add_lat[t] = now() - c;
        if (cg_bank_signal_set_disabled(db, s.id, INT64_MAX, &err) != CG_OK)
            die("disable", &err);
        c = now();
        for (;;) {
            out.n = 0;
            if (cg_matcher_lookup(m, pdq, s.value, 1, NULL, &out, &err) != CG_OK)
                die("lookup", &err);
            if (out.n == 0 || now() - c > 30)
                break;
            usleep(1000);
        }
        dis_lat[t] = now() - c;
        usleep((useconds_t)((rnd() % 200) * 1000)); /* commits at random phases of the tick */
    }
    double busy_rate = (double)(lookers_count(&l) - c0) / (now() - busy_t0);
    lookers_stop(&l);

    qsort(add_lat, (size_t)trials, sizeof(double), cmp_double);
    qsort(dis_lat, (size_t)trials, sizeof(double), cmp_double);
    double p50 = add_lat[trials / 2], p95 = add_lat[(trials * 95) / 100 < trials ? (trials * 95) / 100 : trials - 1];
    double mx = add_lat[trials - 1], dmx = dis_lat[trials - 1], d50 = dis_lat[trials / 2];
    if (json) {
        printf("{\"n\":%ld,\"trials\":%ld,\"refresh_ms\":%ld,\"lookup_threads\":%ld,"
               "\"import_s\":%.3f,\"import_lines_per_s\":%.0f,\"open_build_s\":%.3f,"
               "\"index_bytes_per_hash\":%.1f,\"add_visible_p50_ms\":%.1f,"
               "\"add_visible_p95_ms\":%.1f,\"add_visible_max_ms\":%.1f,"
               "\"disable_visible_p50_ms\":%.1f,\"disable_visible_max_ms\":%.1f,"
               "\"lookups_per_s_quiet\":%.0f,\"lookups_per_s_updating\":%.0f,"
               "\"ratio_updating_to_quiet\":%.3f,\"ratio_hma_60s_to_max\":%.1f}\n",
               n, trials, refresh_ms, threads, import_s, (double)n / import_s, open_s,
               (double)stats.index_bytes / (double)n, p50 * 1e3, p95 * 1e3, mx * 1e3,
               d50 * 1e3, dmx * 1e3, quiet_rate, busy_rate, busy_rate / quiet_rate, 60.0 / mx);
    } else {
        printf("update_bench: %ld random PDQ hashes, refresh every %ld ms, %ld lookup thread(s)\n",
               n, refresh_ms, threads);
        printf("  import            %.2f s (%.0f lines/s)\n", import_s, (double)n / import_s);
        printf("  matcher open      %.2f s (full index build), %.1f bytes/hash (index + entries)\n",
               open_s, (double)stats.index_bytes / (double)n);
        printf("  add visible       p50 %.1f ms  p95 %.1f ms  max %.1f ms  (%ld trials)\n",
               p50 * 1e3, p95 * 1e3, mx * 1e3, trials);
        printf("  disable visible   p50 %.1f ms  max %.1f ms\n", d50 * 1e3, dmx * 1e3);
        printf("  lookups/s         %.0f quiet, %.0f while updating (ratio %.3f)\n", quiet_rate,
               busy_rate, busy_rate / quiet_rate);
        printf("  vs HMA            60 s rebuild period / our worst case = x%.0f\n", 60.0 / mx);
    }
    int ok = mx < 30 && dmx < 30;
    cg_match_list_free(&out);
    cg_matcher_close(m);
    cg_bankdb_close(db);
    free(add_lat);
    free(dis_lat);
    unlink(list);
    char side[300];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    unlink(path);
    rmdir(dir);
    return ok ? 0 : 1;
}
