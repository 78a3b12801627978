/* Crash safety of an import: a child process imports a 300k-line list and is killed with
 * SIGKILL part way (after its k-th progress callback, reported through a pipe), or around its
 * COMMIT. The parent then opens the database (WAL recovery) and checks that the file is sound
 * (PRAGMA integrity_check), that the target bank holds either none or all of the file's
 * signals, never part of them, that the other banks are intact, and that the database is
 * writable again. The child never touches a connection of the parent (none is open at fork) and
 * leaves with _exit, so the harness's atexit cleanup does not run in it. */
#include "cg_test.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"
#include "childguard.h"

#define LIST_LINES 300000
#define SEEDED 100

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", cg_test_tmpdir(), name);
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void pdq_value(uint8_t v[32], uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        const uint64_t r = splitmix(&seed);

        memcpy(v + 8 * i, &r, 8);
    }
}

static void write_list(const char *path)
{
    FILE *f = fopen(path, "wb");
    char hex[65];
    uint8_t v[32];

    CG_ASSERT(f != NULL);
    for (uint64_t i = 0; i < LIST_LINES; i++) {
        pdq_value(v, 5000000 + i);
        cg_signal_type_find("pdq")->format(v, hex);
        CG_ASSERT(fprintf(f, "%s\n", hex) == 65);
    }
    CG_ASSERT_EQ(fclose(f), 0);
}

static cg_bankdb *open_db(const char *path)
{
    cg_bankdb *db = NULL;
    cg_error err = {0};

    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

/* Creates bank name with SEEDED signals (seeds first..). */
static int64_t seeded_bank(cg_bankdb *db, const char *name, uint64_t first)
{
    cg_error err = {0};
    cg_bank b;

    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    b.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &b, &err), &err);
    for (uint64_t i = 0; i < SEEDED; i++) {
        cg_bank_signal s;

        memset(&s, 0, sizeof(s));
        s.bank_id = b.id;
        s.type = cg_signal_type_find("pdq");
        s.quality = (int)(i % 101);
        pdq_value(s.value, first + i);
        snprintf(s.note, sizeof(s.note), "seed %llu", (unsigned long long)(first + i));
        CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);
    }
    return b.id;
}

static int64_t count_of(cg_bankdb *db, int64_t bank_id)
{
    cg_error err = {0};
    int64_t n = -1;

    CG_ASSERT_OK(cg_bank_signal_count(db, bank_id, NULL, &n, &err), &err);
    return n;
}

static int sql_int(cg_bankdb *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v;

    CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
    CG_ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Checks that bank_id holds the SEEDED signals of seeds first.. with their fields. */
static void assert_seeded(cg_bankdb *db, int64_t bank_id, uint64_t first)
{
    cg_error err = {0};

    for (uint64_t i = 0; i < SEEDED; i++) {
        cg_bank_signal got;
        uint8_t v[32];
        char note[64];

        pdq_value(v, first + i);
        CG_ASSERT_OK(cg_bank_signal_find(db, bank_id, cg_signal_type_find("pdq"), v, &got, &err),
                     &err);
        CG_ASSERT_EQ(got.quality, (int)(i % 101));
        snprintf(note, sizeof(note), "seed %llu", (unsigned long long)(first + i));
        CG_ASSERT_STR_EQ(got.note, note);
    }
}

static void assert_integrity(cg_bankdb *db)
{
    sqlite3_stmt *st = NULL;

    CG_ASSERT_EQ(sqlite3_prepare_v2(cg__bankdb_sqlite(db), "PRAGMA integrity_check", -1, &st,
                                    NULL),
                 SQLITE_OK);
    CG_ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    CG_ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

static void child_progress(uint64_t lines, uint64_t bytes, void *ud)
{
    const int fd = *(const int *)ud;
    const char c = 'p';

    (void)lines, (void)bytes;
    if (write(fd, &c, 1) != 1)
        _exit(3);
}

/* The child: import the list into bank_id, reporting progress on fd. Never returns. */
static void child_import(const char *db_path, const char *list_path, int64_t bank_id, int fd)
{
    cg_import_options opt;
    cg_bankdb *db = NULL;
    cg_error err = {0};
    FILE *f;
    cg_status st;

    if (cg_bankdb_open(db_path, 0, &db, &err) != CG_OK)
        _exit(4);
    f = fopen(list_path, "rb");
    if (f == NULL)
        _exit(5);
    memset(&opt, 0, sizeof(opt));
    opt.format = CG_LIST_LINES;
    opt.on_progress = child_progress;
    opt.ud = &fd;
    st = cg_bank_import(db, bank_id, f, &opt, NULL, &err);
    fclose(f);
    cg_bankdb_close(db);
    _exit(st == CG_OK ? 0 : 6);
}

/* One round: kill the importing child after its kth progress report and delay_us more
 * (k = 0: let it finish). Returns 1 when the import was complete, 0 when nothing of it is
 * there. */
static int crash_round(const char *db_path, const char *list_path, int round, int k,
                       long delay_us)
{
    int64_t target, base_id;
    cg_bankdb *db;
    cg_error err = {0};
    cg_bank base;
    char name[32];
    int fds[2], status = 0, reports = 0, complete;
    int64_t n, seq_before, seq_after;
    pid_t pid;

    db = open_db(db_path);
    snprintf(name, sizeof(name), "target%d", round);
    target = seeded_bank(db, name, 1000 + (uint64_t)round * SEEDED);
    CG_ASSERT_OK(cg_bankdb_change_seq(db, &seq_before, &err), &err);
    cg_bankdb_close(db); /* no connection crosses the fork */

    CG_ASSERT_EQ(pipe(fds), 0);
    fflush(NULL);
    pid = fork();
    CG_ASSERT(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_import(db_path, list_path, target, fds[1]);
    }
    close(fds[1]);
    if (k > 0) {
        char c;

        while (reports < k && read(fds[0], &c, 1) == 1)
            reports++;
        if (delay_us > 0)
            usleep((useconds_t)delay_us);
        kill(pid, SIGKILL);
    }
    CG_ASSERT_EQ(waitpid(pid, &status, 0), pid);
    close(fds[0]);
    if (k == 0)
        CG_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    db = open_db(db_path);
    assert_integrity(db);
    n = count_of(db, target);
    CG_ASSERT(n == SEEDED || n == SEEDED + LIST_LINES);
    complete = n == SEEDED + LIST_LINES;
    printf("round %d: killed after %d progress reports + %ld us (%s): %s\n", round, reports,
           delay_us, WIFSIGNALED(status) ? "killed" : "had exited",
           complete ? "all of the file" : "none of the file");
    CG_ASSERT(complete || WIFSIGNALED(status));
    assert_seeded(db, target, 1000 + (uint64_t)round * SEEDED);
    /* The change log moved with the data: unchanged, or (a large import is logged in bulk)
     * one bulk entry for the bank and no per-signal entries; the signal triggers, which the import
     * drops for its duration, are all there. */
    CG_ASSERT_OK(cg_bankdb_change_seq(db, &seq_after, &err), &err);
    if (!complete)
        CG_ASSERT_EQ(seq_after, seq_before);
    {
        char q[256];

        snprintf(q, sizeof(q), "SELECT count(*) FROM changes WHERE seq > %lld AND kind = 2"
                 " AND ref_id = %lld", (long long)seq_before, (long long)target);
        CG_ASSERT_EQ(sql_int(db, q), complete ? 1 : 0);
        snprintf(q, sizeof(q), "SELECT count(*) FROM changes WHERE seq > %lld AND kind = 0",
                 (long long)seq_before);
        CG_ASSERT_EQ(sql_int(db, q), 0);
    }
    CG_ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                             " AND name LIKE 'signals_log_%'"), 3);
    CG_ASSERT_EQ(sql_int(db, "SELECT count(*) FROM changes WHERE kind = 0 AND ref_id IN"
                             " (SELECT id FROM signals WHERE bank_id = (SELECT id FROM banks"
                             "  WHERE name = 'base'))"),
                 SEEDED);
    /* The other bank is untouched and the file takes writes again. */
    CG_ASSERT_OK(cg_bank_get(db, "base", &base, &err), &err);
    base_id = base.id;
    CG_ASSERT_EQ(count_of(db, base_id), SEEDED);
    assert_seeded(db, base_id, 1);
    {
        cg_bank_signal s;

        memset(&s, 0, sizeof(s));
        s.bank_id = target;
        s.type = cg_signal_type_find("md5");
        s.quality = -1;
        s.value[0] = (uint8_t)round;
        CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);
        CG_ASSERT_OK(cg_bank_signal_delete(db, s.id, &err), &err);
    }
    cg_bankdb_close(db);
    return complete;
}

CG_TEST_SQLITE(bank_crash_kill_mid_import)
{
    /* Kill points: early, middle, at the last progress report (the commit follows within
     * milliseconds), around the commit, and one run left to finish. */
    static const struct {
        int k;
        long delay_us;
    } rounds[] = {
        {1, 0}, {12, 0}, {25, 0}, {30, 0}, {30, 2000}, {30, 20000}, {30, 200000}, {0, 0},
    };
    char db_path[512], list_path[512];
    cg_bankdb *db;
    int complete = 0, none = 0;

    tmp_path(db_path, sizeof(db_path), "crash.db");
    tmp_path(list_path, sizeof(list_path), "list.txt");
    write_list(list_path);
    db = open_db(db_path);
    seeded_bank(db, "base", 1);
    cg_bankdb_close(db);
    for (size_t i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
        if (crash_round(db_path, list_path, (int)i, rounds[i].k, rounds[i].delay_us))
            complete++;
        else
            none++;
    }
    printf("%d rounds kept all of the file, %d kept none\n", complete, none);
    CG_ASSERT_GE(none, 3); /* the early kills really did interrupt an import */
    CG_ASSERT_GE(complete, 1);
}
