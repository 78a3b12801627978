/* pg_copy_bench: how fast signals go into PostgreSQL by binary COPY, against the SQLite store's
 * import of the same signals in the same run (issue 17: the PostgreSQL backend's bulk import is
 * to reach 300,000 signals/s into an empty bank and 100,000/s into a bank of 10M).
 *
 * This measures the approach the backend is to take, not the backend (not written yet):
 *   sqlite     cg_bank_import of a list file of N PDQ hashes into a new SQLite store (baseline);
 *   copy_idx   binary COPY of the N rows straight into a signals table with its unique index
 *              (bank_id, signal_type, value), as a per-row merge would need it;
 *   copy_stage binary COPY into an UNLOGGED staging table without index, then one
 *              INSERT ... SELECT ... ON CONFLICT DO NOTHING into the indexed table (the merge
 *              rule of the store: a signal already there stays) — one transaction;
 *   *_full     the same two into a table that already holds --base rows.
 * Rates are signals per second (wall clock, best of --trials). The PostgreSQL server is the
 * caller's: --db postgresql://... (bench/pg_copy_bench.sh starts a throwaway one).
 * Usage: pg_copy_bench --db URL [--n N] [--base M] [--trials T] [--json] */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "childguard.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

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

static void die_pg(PGconn *c, const char *what)
{
    fprintf(stderr, "pg_copy_bench: %s: %s", what, PQerrorMessage(c));
    exit(2);
}

static void exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);

    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pg_copy_bench: %s: %s", sql, PQresultErrorMessage(r));
        exit(2);
    }
    PQclear(r);
}

/* A growable buffer for one COPY chunk. */
typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1 << 20;
        while (b->cap < b->n + n)
            b->cap *= 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) {
            perror("realloc");
            exit(2);
        }
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put16(buf *b, int16_t v)
{
    const uint16_t x = htons((uint16_t)v);

    put(b, &x, 2);
}

static void put32(buf *b, int32_t v)
{
    const uint32_t x = htonl((uint32_t)v);

    put(b, &x, 4);
}

static void put64(buf *b, int64_t v)
{
    put32(b, (int32_t)((uint64_t)v >> 32));
    put32(b, (int32_t)(uint64_t)v);
}

/* COPYs rows [first, first + n) of the generated hashes into table (binary format; columns
 * bank_id, signal_type, value, quality, added), in chunks of 1 MiB. */
static void copy_rows(PGconn *c, const char *table, const uint8_t *hashes, long first, long n)
{
    static const char sig[11] = "PGCOPY\n\377\r\n\0";
    char sql[256];
    PGresult *r;
    buf b = {0};

    snprintf(sql, sizeof(sql),
             "COPY %s(bank_id, signal_type, value, quality, added) FROM STDIN (FORMAT binary)",
             table);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die_pg(c, sql);
    PQclear(r);
    put(&b, sig, 11);
    put32(&b, 0);
    put32(&b, 0);
    for (long i = first; i < first + n; i++) {
        put16(&b, 5);
        put32(&b, 8);
        put64(&b, 1);
        put32(&b, 3);
        put(&b, "pdq", 3);
        put32(&b, 32);
        put(&b, hashes + (size_t)i * 32, 32);
        put32(&b, 4);
        put32(&b, 100);
        put32(&b, 8);
        put64(&b, 1765000000);
        if (b.n >= (1u << 20)) {
            if (PQputCopyData(c, (const char *)b.p, (int)b.n) != 1)
                die_pg(c, "PQputCopyData");
            b.n = 0;
        }
    }
    put16(&b, -1);
    if (PQputCopyData(c, (const char *)b.p, (int)b.n) != 1 || PQputCopyEnd(c, NULL) != 1)
        die_pg(c, "COPY end");
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die_pg(c, "COPY");
        PQclear(r);
    }
    free(b.p);
}

static const char TABLE[] =
    "(bank_id bigint NOT NULL, signal_type text NOT NULL, value bytea NOT NULL,"
    " quality integer NOT NULL DEFAULT -1, added bigint NOT NULL)";

/* A fresh indexed signals table holding the first base rows (not timed). */
static void fresh_table(PGconn *c, const uint8_t *hashes, long base)
{
    char sql[512];

    exec(c, "DROP TABLE IF EXISTS bench_signals");
    snprintf(sql, sizeof(sql), "CREATE TABLE bench_signals %s", TABLE);
    exec(c, sql);
    if (base > 0)
        copy_rows(c, "bench_signals", hashes, 0, base);
    exec(c, "CREATE UNIQUE INDEX bench_signals_key ON bench_signals(bank_id, signal_type, value)");
    exec(c, "VACUUM ANALYZE bench_signals");
}

/* Seconds to put rows [base, base + n) in: straight (0) or through the staging table (1). */
static double run(PGconn *c, const uint8_t *hashes, long base, long n, int staged)
{
    char sql[512];
    double t0;

    fresh_table(c, hashes, base);
    exec(c, "DROP TABLE IF EXISTS bench_stage");
    snprintf(sql, sizeof(sql), "CREATE UNLOGGED TABLE bench_stage %s", TABLE);
    exec(c, sql);
    t0 = now();
    exec(c, "BEGIN");
    if (!staged) {
        copy_rows(c, "bench_signals", hashes, base, n);
    } else {
        copy_rows(c, "bench_stage", hashes, base, n);
        exec(c, "INSERT INTO bench_signals SELECT * FROM bench_stage"
                " ON CONFLICT (bank_id, signal_type, value) DO NOTHING");
        exec(c, "TRUNCATE bench_stage");
    }
    exec(c, "COMMIT");
    return now() - t0;
}

/* Seconds for cg_bank_import of the n hashes into a new SQLite store. */
static double sqlite_import(const uint8_t *hashes, long n)
{
    char dir[] = "/tmp/cg-pgcopy-bench-XXXXXX", path[256], list[256], cmd[300];
    cg_import_report rep;
    cg_bankdb *db = NULL;
    cg_error err;
    cg_bank bank;
    double t;
    FILE *f;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    snprintf(list, sizeof(list), "%s/list.txt", dir);
    f = fopen(list, "w");
    if (f == NULL) {
        perror(list);
        exit(2);
    }
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 32; k++)
            fprintf(f, "%02x", hashes[(size_t)i * 32 + k]);
        fputc('\n', f);
    }
    fclose(f);
    memset(&bank, 0, sizeof(bank));
    snprintf(bank.name, sizeof(bank.name), "bench");
    snprintf(bank.label, sizeof(bank.label), "csam");
    bank.enabled = 1;
    if (cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err) != CG_OK ||
        cg_bank_create(db, &bank, &err) != CG_OK) {
        fprintf(stderr, "pg_copy_bench: %s\n", err.message);
        exit(2);
    }
    f = fopen(list, "r");
    memset(&rep, 0, sizeof(rep));
    t = now();
    if (f == NULL || cg_bank_import(db, bank.id, f, NULL, &rep, &err) != CG_OK) {
        fprintf(stderr, "pg_copy_bench: import: %s\n", err.message);
        exit(2);
    }
    t = now() - t;
    fclose(f);
    cg_bankdb_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "pg_copy_bench: could not remove %s\n", dir);
    return t;
}

int main(int argc, char **argv)
{
    const char *url = NULL;
    long n = 200000, base = 0, trials = 3;
    int json = 0;
    double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
    static const char *const names[5] = {"sqlite", "copy_idx", "copy_stage", "copy_idx_full",
                                         "copy_stage_full"};
    uint8_t *hashes;
    PGconn *c;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
            base = atol(argv[++i]);
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            trials = atol(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: pg_copy_bench --db postgresql://... [--n N] [--base M] "
                            "[--trials T] [--json]\n");
            return 2;
        }
    }
    if (url == NULL || n < 1 || base < 0 || trials < 1 || n > 100000000 || base > 100000000) {
        fprintf(stderr, "pg_copy_bench: bad arguments (--db is required)\n");
        return 2;
    }
    hashes = malloc((size_t)(base + n) * 32);
    if (hashes == NULL) {
        perror("malloc");
        return 2;
    }
    for (size_t i = 0; i < (size_t)(base + n) * 4; i++) {
        const uint64_t v = rnd();

        memcpy(hashes + i * 8, &v, 8);
    }
    c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        die_pg(c, url);
    exec(c, "SET synchronous_commit = on");
    exec(c, "SET client_min_messages = warning");
    for (long t = 0; t < trials; t++) {
        double s[5];

        s[0] = sqlite_import(hashes + (size_t)base * 32, n);
        s[1] = run(c, hashes, 0, n, 0);
        s[2] = run(c, hashes, 0, n, 1);
        s[3] = base > 0 ? run(c, hashes, base, n, 0) : 0;
        s[4] = base > 0 ? run(c, hashes, base, n, 1) : 0;
        for (int k = 0; k < 5; k++)
            if (s[k] > 0 && s[k] < best[k])
                best[k] = s[k];
    }
    exec(c, "DROP TABLE IF EXISTS bench_signals");
    exec(c, "DROP TABLE IF EXISTS bench_stage");
    PQfinish(c);
    if (json)
        printf("{\"n\":%ld,\"base\":%ld,\"trials\":%ld", n, base, trials);
    else
        printf("pg_copy_bench: %ld signals (into an empty table, and into one of %ld), best of "
               "%ld\n", n, base, trials);
    for (int k = 0; k < 5; k++) {
        if (best[k] >= 1e30)
            continue;
        if (json)
            printf(",\"%s_per_s\":%.0f", names[k], (double)n / best[k]);
        else
            printf("  %-16s %9.0f signals/s (%.3f s)\n", names[k], (double)n / best[k], best[k]);
    }
    if (json)
        printf("}\n");
    free(hashes);
    return 0;
}
