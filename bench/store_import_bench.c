/* store_import_bench: cg_bank_import of a list of N PDQ hashes through the store, on SQLite and
 * on PostgreSQL in the same run (issue 17: the PostgreSQL backend's bulk import, binary COPY
 * into a staging table merged at the end of the file; targets 300,000 signals/s into an empty
 * bank, 100,000/s into a bank of 10M).
 *   empty   the N signals into a new bank;
 *   full    the N signals into a bank that already holds --base other signals (imported first,
 *           untimed; the same file for both stores).
 * Rates are signals per second (wall clock around cg_bank_import, best of --trials; each trial
 * a new bank). The SQLite store is a file in --dir; the PostgreSQL one is --db (a URL whose
 * schema is empty or already a store; bench/store_import_bench.sh starts a throwaway server).
 * Usage: store_import_bench --db URL --dir DIR [--n N] [--base M] [--trials T] [--json] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const cg_error *err)
{
    fprintf(stderr, "store_import_bench: %s: %s\n", what, err != NULL ? err->message : "");
    exit(2);
}

/* A list file of n random PDQ hashes. */
static void write_list(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        die(path, NULL);
    for (size_t i = 0; i < n; i++) {
        for (int w = 0; w < 4; w++)
            fprintf(f, "%016" PRIx64, rnd());
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        die(path, NULL);
}

static int64_t new_bank(cg_bankdb *db, const char *name)
{
    cg_bank b;
    cg_error err = {0};

    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    snprintf(b.label, sizeof(b.label), "bench");
    b.enabled = 1;
    if (cg_bank_create(db, &b, &err) != CG_OK)
        die("creating a bank", &err);
    return b.id;
}

/* Seconds to import path into bank; checks the counts. */
static double import(cg_bankdb *db, int64_t bank, const char *path, uint64_t n)
{
    cg_import_report rep;
    cg_error err = {0};
    FILE *f = fopen(path, "r");
    double t0, t1;

    if (f == NULL)
        die(path, NULL);
    t0 = now();
    if (cg_bank_import(db, bank, f, NULL, &rep, &err) != CG_OK)
        die("importing", &err);
    t1 = now();
    fclose(f);
    if (rep.added + rep.merged != n || rep.rejected != 0) {
        fprintf(stderr, "store_import_bench: import of %" PRIu64 " lines: %" PRIu64 " added, %"
                PRIu64 " merged, %" PRIu64 " rejected\n", n, rep.added, rep.merged,
                rep.rejected);
        exit(2);
    }
    return t1 - t0;
}

/* Best rate of trials imports of list (n lines) into a new bank each, after base (m lines) when
 * m > 0. */
static double best_rate(cg_bankdb *db, const char *tag, const char *list, uint64_t n,
                        const char *base, uint64_t m, int trials)
{
    double best = 0;

    for (int t = 0; t < trials; t++) {
        char name[64];
        int64_t bank;
        double s;

        snprintf(name, sizeof(name), "%s_%d_%ld", tag, t, (long)time(NULL));
        bank = new_bank(db, name);
        if (m > 0)
            (void)import(db, bank, base, m);
        s = import(db, bank, list, n);
        if (n / s > best)
            best = (double)n / s;
    }
    return best;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *dir = "/tmp";
    uint64_t n = 200000, base = 0;
    int trials = 1, json = 0;
    char list[512], basef[512], sqlite[600];
    cg_bankdb *sq = NULL, *pg = NULL;
    cg_error err = {0};
    double r[4] = {0, 0, 0, 0};

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
            base = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            trials = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: store_import_bench --db URL --dir DIR [--n N] [--base M] "
                            "[--trials T] [--json]\n");
            return 2;
        }
    }
    if (url == NULL || n == 0 || trials < 1) {
        fprintf(stderr, "store_import_bench: --db postgresql://... is required\n");
        return 2;
    }
    snprintf(list, sizeof(list), "%s/import.txt", dir);
    snprintf(basef, sizeof(basef), "%s/base.txt", dir);
    snprintf(sqlite, sizeof(sqlite), "sqlite:%s/bench.db", dir);
    write_list(list, n);
    if (base > 0)
        write_list(basef, base);
    if (cg_bankdb_open(sqlite, CG_BANKDB_CREATE, &sq, &err) != CG_OK)
        die(sqlite, &err);
    if (cg_bankdb_open(url, CG_BANKDB_CREATE, &pg, &err) != CG_OK)
        die("opening the PostgreSQL store", &err);
    r[0] = best_rate(sq, "sq_empty", list, n, NULL, 0, trials);
    r[1] = best_rate(pg, "pg_empty", list, n, NULL, 0, trials);
    if (base > 0) {
        r[2] = best_rate(sq, "sq_full", list, n, basef, base, trials);
        r[3] = best_rate(pg, "pg_full", list, n, basef, base, trials);
    }
    if (json)
        printf("{\"n\":%" PRIu64 ",\"base\":%" PRIu64 ",\"sqlite_empty\":%.0f,"
               "\"postgresql_empty\":%.0f,\"sqlite_full\":%.0f,\"postgresql_full\":%.0f}\n",
               n, base, r[0], r[1], r[2], r[3]);
    else {
        printf("import of %" PRIu64 " PDQ signals (best of %d), signals/s:\n", n, trials);
        printf("  empty bank:  sqlite %10.0f   postgresql %10.0f   (pg/sqlite %.2f)\n", r[0],
               r[1], r[1] / r[0]);
        if (base > 0)
            printf("  bank of %-9" PRIu64 " sqlite %10.0f   postgresql %10.0f   (pg/sqlite "
                   "%.2f)\n",
                   base, r[2], r[3], r[3] / r[2]);
    }
    cg_bankdb_close(sq);
    cg_bankdb_close(pg);
    return 0;
}
