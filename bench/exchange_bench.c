/* exchange_bench: records/s applied from a synthetic exchange back-fill (cg_exchange_apply_page:
 * each page and its checkpoint in one store transaction, with provenance), and the matcher's
 * lookups/s on other threads with and without that back-fill running, in the same run.
 *
 * Pages are StopNCII-like: each record one PDQ hash (fixed-seed random), keys
 * "stopncii:ImagePDQ:<hex>"; from the second half on, every tenth record withdraws a hash added
 * earlier (a deletion through provenance). The store is SQLite in a temporary directory (or
 * --db). Nothing here asserts a timing; the smoke test checks that the bank ends with the
 * expected number of signals.
 *
 * Usage: exchange_bench [--pages N] [--page-size M] [--threads T] [--quiet-seconds S] [--json]
 *                       [--apply-only] [--db PATH|URL] [--refresh-ms MS]
 * --db: the store to write (a new SQLite file, or an empty PostgreSQL database's URL:
 * bench/exchange_pg_bench.sh starts one); default a temporary SQLite file. --refresh-ms: the
 * matcher's refresh period (default 100, serve's): how much of the lookups' drop during a
 * back-fill is the matcher catching up with the change log.
 * --apply-only: every page applied with nothing else running (no matcher, no lookups), for a
 * profile or an instruction count of the apply path alone (perf stat -e instructions:u).
 * Rates are given per wall-clock second spent applying and per CPU-second of the applying thread
 * (CLOCK_THREAD_CPUTIME_ID): on a shared, loaded machine the second is the steadier one.
 * The lookup threads are bench/lookers.c's (shared with update_bench).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard.h"
#include "childguard/exchange.h"
#include "childguard/exchange_store.h"
#include "exchange/exchange_int.h"
#include "lookers.h"

/* The hash of record i (fixed seed). */
static void hash_hex(uint64_t i, char out[65])
{
    uint64_t s = i * 0x9E3779B97F4A7C15ull + 0x1234567ull;

    for (int k = 0; k < 64; k++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out[k] = "0123456789abcdef"[s & 15];
    }
    out[64] = '\0';
}

/* Page p: size records; from the second half on, every tenth withdraws record i - size * half. */
static int make_page(cg_exchange_delta *d, size_t p, size_t size, size_t pages)
{
    char hex[65], key[128], why[128], cp[64];

    for (size_t j = 0; j < size; j++) {
        uint64_t i = (uint64_t)p * size + j;
        int withdraw = p >= pages / 2 && j % 10 == 0;
        cg_exchange_record *r = NULL;

        if (withdraw)
            i -= (uint64_t)size * (pages / 2);
        hash_hex(i, hex);
        snprintf(key, sizeof(key), "stopncii:ImagePDQ:%s", hex);
        if (cg__delta_add(d, key, "", hex, withdraw ? "Withdrawn" : "Active", &r) != CG_OK)
            return -1;
        r->deleted = withdraw;
        if (!withdraw && cg__record_add_hash(r, "pdq", hex, why, sizeof(why)) != 1)
            return -1;
    }
    snprintf(cp, sizeof(cp), "{\"page\":%zu}", p);
    return cg__delta_set_checkpoint(d, cp) == CG_OK ? 0 : -1;
}

/* This thread's CPU time in seconds (user + system). */
static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Applies pages [from, to); returns records/s of wall-clock time spent applying, sets *per_cpu
 * to records per CPU-second of the applying thread (steadier on a loaded machine), adds the
 * records to *n. Building the pages is not counted. */
static double apply_pages(cg_bankdb *db, const cg_exchange_info *ex, size_t from, size_t to,
                          size_t size, size_t pages, uint64_t *n, double *per_cpu)
{
    double t0 = lookers_now(), busy = 0, cpu = 0;
    uint64_t recs = 0;

    for (size_t p = from; p < to; p++) {
        cg_exchange_delta d;
        cg_exchange_apply_report rep;
        cg_error err;
        double t, c;

        cg_exchange_delta_init(&d);
        if (make_page(&d, p, size, pages) != 0) {
            fprintf(stderr, "exchange_bench: out of memory\n");
            exit(2);
        }
        t = lookers_now();
        c = cpu_now();
        if (cg_exchange_apply_page(db, ex, &d, &rep, &err) != CG_OK) {
            fprintf(stderr, "exchange_bench: %s\n", err.message);
            exit(2);
        }
        cpu += cpu_now() - c;
        busy += lookers_now() - t;
        recs += d.n_records;
        cg_exchange_delta_fini(&d);
    }
    (void)t0;
    *n += recs;
    *per_cpu = cpu > 0 ? (double)recs / cpu : 0;
    return busy > 0 ? (double)recs / busy : 0;
}

int main(int argc, char **argv)
{
    size_t pages = 100, size = 1000, threads = 1;
    double quiet_s = 2.0;
    int json = 0, apply_only = 0;
    const char *db_arg = NULL;
    int refresh_ms = 100;
    char dir[] = "/tmp/exchange_bench.XXXXXX", path[512];
    cg_exchange_info ex;
    cg_bankdb *db = NULL;
    cg_matcher *m = NULL;
    cg_matcher_options mo;
    lookers l;
    cg_error err;
    uint64_t applied = 0;
    int64_t count = 0;
    double rate_alone, rate_busy, cpu_alone = 0, cpu_busy = 0, look_quiet, look_busy, t0, backfill_s;
    unsigned long long c0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pages") == 0 && i + 1 < argc)
            pages = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--page-size") == 0 && i + 1 < argc)
            size = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--quiet-seconds") == 0 && i + 1 < argc)
            quiet_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--apply-only") == 0)
            apply_only = 1;
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_arg = argv[++i];
        else if (strcmp(argv[i], "--refresh-ms") == 0 && i + 1 < argc)
            refresh_ms = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: exchange_bench [--pages N] [--page-size M] [--threads T] "
                            "[--quiet-seconds S] [--json] [--apply-only] [--db PATH|URL] "
                            "[--refresh-ms MS]\n");
            return 2;
        }
    }
    if (pages < 4 || pages % 2 != 0 || size < 10 || threads < 1 || threads > 64) {
        fprintf(stderr, "exchange_bench: --pages even and >= 4, --page-size >= 10, 1..64 "
                        "threads\n");
        return 2;
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    if (db_arg != NULL)
        snprintf(path, sizeof(path), "%s", db_arg);
    if (cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err) != CG_OK) {
        fprintf(stderr, "exchange_bench: %s\n", err.message);
        return 2;
    }
    memset(&ex, 0, sizeof(ex));
    snprintf(ex.name, sizeof(ex.name), "bench");
    snprintf(ex.api, sizeof(ex.api), "stopncii");
    ex.enabled = 1;
    if (cg_exchange_create(db, &ex, "csam", 0, &err) != CG_OK) {
        fprintf(stderr, "exchange_bench: %s\n", err.message);
        return 2;
    }
    if (apply_only) {
        const size_t half = pages - pages / 2, per_page_withdrawn = (size + 9) / 10;
        const int64_t expect = (int64_t)(pages * size - 2 * half * per_page_withdrawn);

        rate_alone = apply_pages(db, &ex, 0, pages, size, pages, &applied, &cpu_alone);
        if (cg_bank_signal_count(db, ex.bank_id, NULL, &count, &err) != CG_OK) {
            fprintf(stderr, "exchange_bench: %s\n", err.message);
            return 2;
        }
        cg_bankdb_close(db);
        printf("pages %zu x %zu records: %llu applied, bank %lld signals (expected %lld)\n"
               "records/s applied, nothing else running: %.0f (%.0f per CPU-second)\n",
               pages, size, (unsigned long long)applied, (long long)count, (long long)expect,
               rate_alone, cpu_alone);
        snprintf(path, sizeof(path), "rm -rf '%s'", dir);
        if (system(path) != 0)
            fprintf(stderr, "exchange_bench: could not remove %s\n", dir);
        return count == expect ? 0 : 1;
    }
    /* The first quarter alone (no lookups running): records/s without competition. */
    rate_alone = apply_pages(db, &ex, 0, pages / 4, size, pages, &applied, &cpu_alone);

    memset(&mo, 0, sizeof(mo));
    mo.refresh_ms = refresh_ms;
    if (cg_matcher_open(path, &mo, &m, &err) != CG_OK) {
        fprintf(stderr, "exchange_bench: %s\n", err.message);
        return 2;
    }
    if (lookers_start(&l, m, threads) != 0) {
        fprintf(stderr, "exchange_bench: cannot start the lookup threads\n");
        return 2;
    }
    /* Lookups without a back-fill, then during the rest of it: the same threads, same run. */
    look_quiet = lookers_rate(&l, quiet_s);
    c0 = lookers_count(&l);
    t0 = lookers_now();
    rate_busy = apply_pages(db, &ex, pages / 4, pages, size, pages, &applied, &cpu_busy);
    backfill_s = lookers_now() - t0;
    look_busy = (double)(lookers_count(&l) - c0) / backfill_s;
    lookers_stop(&l);
    cg_matcher_close(m);
    if (cg_bank_signal_count(db, ex.bank_id, NULL, &count, &err) != CG_OK) {
        fprintf(stderr, "exchange_bench: %s\n", err.message);
        return 2;
    }
    cg_bankdb_close(db);
    {
        /* The expected bank: every add, minus the withdrawals of the second half. */
        const size_t half = pages - pages / 2, per_page_withdrawn = (size + 9) / 10;
        const int64_t expect = (int64_t)(pages * size - 2 * half * per_page_withdrawn);

        if (json)
            printf("{\"pages\":%zu,\"page_size\":%zu,\"records\":%llu,\"signals\":%lld,"
                   "\"expected_signals\":%lld,\"records_per_s_alone\":%.0f,"
                   "\"records_per_s_backfill\":%.0f,\"records_per_cpu_s_alone\":%.0f,"
                   "\"records_per_cpu_s_backfill\":%.0f,\"lookup_threads\":%zu,"
                   "\"lookups_per_s_quiet\":%.0f,\"lookups_per_s_backfill\":%.0f}\n",
                   pages, size, (unsigned long long)applied, (long long)count, (long long)expect,
                   rate_alone, rate_busy, cpu_alone, cpu_busy, threads, look_quiet, look_busy);
        else
            printf("pages %zu x %zu records: %llu applied, bank %lld signals (expected %lld)\n"
                   "records/s applied: %.0f alone, %.0f during lookups\n"
                   "records per CPU-second: %.0f alone, %.0f during lookups\n"
                   "lookups/s (%zu threads): %.0f without a back-fill, %.0f during it\n",
                   pages, size, (unsigned long long)applied, (long long)count, (long long)expect,
                   rate_alone, rate_busy, cpu_alone, cpu_busy, threads, look_quiet, look_busy);
        snprintf(path, sizeof(path), "rm -rf '%s'", dir);
        if (system(path) != 0)
            fprintf(stderr, "exchange_bench: could not remove %s\n", dir);
        return count == expect ? 0 : 1;
    }
}
