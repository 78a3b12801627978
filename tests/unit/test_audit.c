/* The tamper-evident audit log (include/childguard/audit.h, docs/audit.md): chains that verify,
 * every kind of tampering caught and named, concurrent appenders keeping one chain, expiry,
 * bad inputs and allocation failures. */
#include "cg_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "childguard/audit.h"
#include "common/alloc.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", cg_test_tmpdir(), name);
}

/* Appends n records to path (created), the i-th (0-based) at time t0 + i. */
static void make_log(const char *path, int n, int64_t t0)
{
    cg_audit *log = NULL;
    cg_error err;
    static const char *const kinds[] = {"decision", "review", "bank_change", "report_draft"};

    unlink(path);
    CG_ASSERT_OK(cg_audit_open(path, CG_AUDIT_CREATE, &log, &err), &err);
    for (int i = 0; i < n; i++) {
        char data[128];
        uint64_t seq = 0;
        snprintf(data, sizeof(data), "{\"i\":%d,\"score\":0.5,\"note\":\"caf\\u00e9 %d\"}", i, i);
        cg__audit_set_clock(log, t0 + i);
        CG_ASSERT_OK(cg_audit_append(log, kinds[i % 4], "moderator-7", "item/42", data, &seq,
                                     &err), &err);
        CG_ASSERT_EQ(seq, (uint64_t)i + 1);
    }
    cg_audit_close(log);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CG_ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    CG_ASSERT(buf != NULL);
    CG_ASSERT_EQ(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static cg_audit_report verify(const char *path)
{
    cg_audit_report rep;
    cg_error err;

    CG_ASSERT_OK(cg_audit_verify(path, &rep, &err), &err);
    return rep;
}

/* Offsets of the starts of lines (lines[k] = start of line k+1), count returned. */
static int line_starts(const char *buf, size_t len, size_t *starts, int max)
{
    int n = 0;

    for (size_t i = 0; i < len && n < max; i++)
        if (i == 0 || buf[i - 1] == '\n')
            starts[n++] = i;
    return n;
}

/* ---- good logs ---------------------------------------------------------------------------- */

CG_TEST(append_then_verify)
{
    char path[512], hex[CG_AUDIT_HEX_BYTES];
    uint64_t seq;
    cg_audit *log;
    cg_error err;

    tmp_path(path, sizeof(path), "a.log");
    make_log(path, 50, 1000);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.records, 50);
    CG_ASSERT_EQ(rep.first_seq, 1);
    CG_ASSERT_EQ(rep.last_seq, 50);
    CG_ASSERT_STR_EQ(rep.reason, "");
    /* Reopening continues the chain from the file's tail. */
    CG_ASSERT_OK(cg_audit_open(path, 0, &log, &err), &err);
    CG_ASSERT_OK(cg_audit_checkpoint(log, hex, &seq, &err), &err);
    CG_ASSERT_STR_EQ(hex, rep.last_hash);
    CG_ASSERT_EQ(seq, 50);
    CG_ASSERT_OK(cg_audit_append(log, "review", NULL, NULL, NULL, &seq, &err), &err);
    CG_ASSERT_EQ(seq, 51);
    cg_audit_close(log);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.records, 51);
}

CG_TEST(empty_file_verifies)
{
    char path[512], hex[CG_AUDIT_HEX_BYTES];
    cg_audit *log;
    cg_error err;

    tmp_path(path, sizeof(path), "empty.log");
    spit(path, "", 0);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.records, 0);
    CG_ASSERT_STR_EQ(rep.last_hash,
                     "0000000000000000000000000000000000000000000000000000000000000000");
    CG_ASSERT_OK(cg_audit_open(path, 0, &log, &err), &err);
    CG_ASSERT_OK(cg_audit_checkpoint(log, hex, NULL, &err), &err);
    CG_ASSERT_STR_EQ(hex, rep.last_hash);
    cg_audit_close(log);
}

CG_TEST(record_format)
{
    char path[512];
    size_t len;

    tmp_path(path, sizeof(path), "fmt.log");
    make_log(path, 2, 1700000000);
    char *buf = slurp(path, &len);
    /* Canonical: compact, sorted keys, ASCII only; record 1 chains to 64 zeros. */
    const char *head = "{\"actor\":\"moderator-7\",\"data\":{\"i\":0,\"note\":\"caf\\u00E9 0\","
                       "\"score\":0.5},\"hash\":\"";
    if (strncmp(buf, head, strlen(head)) != 0)
        cg_test_fail(__FILE__, __LINE__, "first line: %.120s", buf);
    CG_ASSERT(strstr(buf, "\"prev\":\"0000000000000000000000000000000000000000000000000000000000"
                          "000000\",\"seq\":1,\"subject\":\"item/42\",\"time\":1700000000}\n") != NULL);
    for (size_t i = 0; i < len; i++)
        CG_ASSERT((unsigned char)buf[i] < 0x80);
    free(buf);
}

/* ---- tampering ---------------------------------------------------------------------------- */

CG_TEST(every_byte_flip_detected)
{
    char path[512], bad_path[512];
    size_t len;
    static const unsigned char masks[] = {0x01, 0x20, 0x80, 0x0a};

    tmp_path(path, sizeof(path), "flip.log");
    tmp_path(bad_path, sizeof(bad_path), "flip-bad.log");
    make_log(path, 4, 5000);
    char *buf = slurp(path, &len);
    size_t starts[8];
    const int nl = line_starts(buf, len, starts, 8);
    CG_ASSERT_EQ(nl, 4);
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t m = 0; m < sizeof(masks); m++) {
            char *copy = malloc(len);
            CG_ASSERT(copy != NULL);
            memcpy(copy, buf, len);
            copy[pos] = (char)(copy[pos] ^ masks[m]);
            spit(bad_path, copy, len);
            free(copy);
            cg_audit_report rep = verify(bad_path);
            if (rep.ok)
                cg_test_fail(__FILE__, __LINE__, "flip 0x%02x at byte %zu not detected",
                             masks[m], pos);
            CG_ASSERT(rep.first_bad_line >= 1);
            CG_ASSERT(rep.reason[0] != '\0');
            /* The bad line is the flipped byte's line (or the one it was merged into). */
            int line = 0;
            while (line + 1 < nl && starts[line + 1] <= pos)
                line++;
            CG_ASSERT_LE(rep.first_bad_line, (uint64_t)line + 2);
            CG_ASSERT_GE(rep.first_bad_line, (uint64_t)line + 1);
            CG_ASSERT_EQ(rep.records, rep.first_bad_line - 1);
        }
    }
    free(buf);
}

CG_TEST(edited_record_named)
{
    char path[512];
    size_t len;

    tmp_path(path, sizeof(path), "edit.log");
    make_log(path, 20, 1000);
    char *buf = slurp(path, &len);
    size_t starts[32];
    line_starts(buf, len, starts, 32);
    char *p = strstr(buf + starts[16], "\"i\":16");
    CG_ASSERT(p != NULL);
    p[5] = '7'; /* record 17 now claims i = 17 */
    spit(path, buf, len);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_seq, 17);
    CG_ASSERT_EQ(rep.first_bad_line, 17);
    CG_ASSERT_EQ(rep.records, 16);
    CG_ASSERT(strstr(rep.reason, "record 17") != NULL);
    CG_ASSERT(strstr(rep.reason, "hash does not match") != NULL);
    free(buf);
}

CG_TEST(deleted_line_named)
{
    char path[512];
    size_t len;

    tmp_path(path, sizeof(path), "del.log");
    make_log(path, 12, 1000);
    char *buf = slurp(path, &len);
    size_t starts[16];
    line_starts(buf, len, starts, 16);
    /* Remove line 9 (record 9). */
    memmove(buf + starts[8], buf + starts[9], len - starts[9]);
    spit(path, buf, len - (starts[9] - starts[8]));
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_seq, 9);
    CG_ASSERT_EQ(rep.first_bad_line, 9);
    CG_ASSERT(strstr(rep.reason, "record 9 missing: seq jumps from 8 to 10") != NULL);
    /* Removing record 1 is caught too. */
    make_log(path, 3, 1000);
    free(buf);
    buf = slurp(path, &len);
    line_starts(buf, len, starts, 16);
    spit(path, buf + starts[1], len - starts[1]);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_seq, 1);
    /* So is removing the last record, but only against a checkpoint kept elsewhere. */
    free(buf);
}

CG_TEST(swapped_lines_named)
{
    char path[512];
    size_t len;

    tmp_path(path, sizeof(path), "swap.log");
    make_log(path, 10, 1000);
    char *buf = slurp(path, &len);
    size_t starts[16];
    line_starts(buf, len, starts, 16);
    /* Swap lines 4 and 5. */
    const size_t l4 = starts[4] - starts[3], l5 = starts[5] - starts[4];
    char *out = malloc(len);
    CG_ASSERT(out != NULL);
    memcpy(out, buf, starts[3]);
    memcpy(out + starts[3], buf + starts[4], l5);
    memcpy(out + starts[3] + l5, buf + starts[3], l4);
    memcpy(out + starts[5], buf + starts[5], len - starts[5]);
    spit(path, out, len);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_line, 4);
    CG_ASSERT_EQ(rep.first_bad_seq, 4);
    CG_ASSERT_EQ(rep.records, 3);
    free(out);
    free(buf);
}

CG_TEST(truncated_last_line)
{
    char path[512];
    size_t len;
    cg_audit *log = NULL;
    cg_error err;

    tmp_path(path, sizeof(path), "trunc.log");
    make_log(path, 5, 1000);
    char *buf = slurp(path, &len);
    for (size_t cut = 1; cut < 100; cut += 7) {
        spit(path, buf, len - cut);
        cg_audit_report rep = verify(path);
        CG_ASSERT_EQ(rep.ok, 0);
        CG_ASSERT_EQ(rep.first_bad_line, 5);
        CG_ASSERT_EQ(rep.first_bad_seq, 5);
        CG_ASSERT(strstr(rep.reason, "last line truncated") != NULL);
        /* Appending to a torn log is refused rather than chaining onto garbage. */
        CG_ASSERT_EQ(cg_audit_open(path, 0, &log, &err), CG_E_DECODE);
        CG_ASSERT(log == NULL);
        CG_ASSERT(strstr(err.message, "truncated") != NULL);
    }
    free(buf);
}

/* A forged record with a correct own hash: the next record's prev exposes it; at the end only
 * the checkpoint does. */
CG_TEST(forged_record_with_own_hash)
{
    char path[512], before[CG_AUDIT_HEX_BYTES], after[CG_AUDIT_HEX_BYTES];
    size_t len, flen;
    char *forged;
    cg_audit *log;
    cg_error err;
    uint64_t seq;

    tmp_path(path, sizeof(path), "forge.log");
    make_log(path, 6, 1000);
    char *buf = slurp(path, &len);
    size_t starts[16];
    line_starts(buf, len, starts, 16);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);

    /* Replace record 3 by a forgery that chains correctly from record 2. */
    cg__audit_rec r2;
    char why[200];
    CG_ASSERT_EQ(cg__audit_check_line(buf + starts[1], starts[2] - starts[1] - 1, &r2, why,
                                      sizeof(why)), CG__AUDIT_LINE_OK);
    char fhash[CG_AUDIT_HEX_BYTES];
    CG_ASSERT_OK(cg__audit_build(3, 1002, "decision", "attacker", "item/42",
                                 json_pack("{s:s}", "verdict", "allow"), r2.hash, &forged,
                                 &flen, fhash, &err), &err);
    char *out = malloc(len + flen);
    CG_ASSERT(out != NULL);
    memcpy(out, buf, starts[2]);
    memcpy(out + starts[2], forged, flen);
    memcpy(out + starts[2] + flen, buf + starts[3], len - starts[3]);
    spit(path, out, starts[2] + flen + len - starts[3]);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_line, 4);
    CG_ASSERT_EQ(rep.first_bad_seq, 4);
    CG_ASSERT(strstr(rep.reason, "prev does not match record 3") != NULL);

    /* Forging the last record instead verifies: only the checkpoint kept elsewhere tells. */
    spit(path, buf, len);
    CG_ASSERT_OK(cg_audit_open(path, 0, &log, &err), &err);
    CG_ASSERT_OK(cg_audit_checkpoint(log, before, &seq, &err), &err);
    CG_ASSERT_EQ(seq, 6);
    cg_audit_close(log);
    cg__audit_rec r5;
    CG_ASSERT_EQ(cg__audit_check_line(buf + starts[4], starts[5] - starts[4] - 1, &r5, why,
                                      sizeof(why)), CG__AUDIT_LINE_OK);
    cg__free(forged);
    CG_ASSERT_OK(cg__audit_build(6, 1005, "decision", "attacker", "item/42", NULL, r5.hash,
                                 &forged, &flen, fhash, &err), &err);
    memcpy(out, buf, starts[5]);
    memcpy(out + starts[5], forged, flen);
    spit(path, out, starts[5] + flen);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.records, 6);
    CG_ASSERT_OK(cg_audit_open(path, 0, &log, &err), &err);
    CG_ASSERT_OK(cg_audit_checkpoint(log, after, &seq, &err), &err);
    CG_ASSERT_EQ(seq, 6);
    CG_ASSERT(strcmp(before, after) != 0);
    CG_ASSERT_STR_EQ(after, fhash);
    cg_audit_close(log);
    cg__free(forged);
    free(out);
    free(buf);
}

CG_TEST(inserted_and_duplicated_lines)
{
    char path[512];
    size_t len;

    tmp_path(path, sizeof(path), "dup.log");
    make_log(path, 5, 1000);
    char *buf = slurp(path, &len);
    size_t starts[8];
    line_starts(buf, len, starts, 8);
    /* Duplicate line 2 after itself. */
    const size_t l2 = starts[2] - starts[1];
    char *out = malloc(len + l2 + 2);
    CG_ASSERT(out != NULL);
    memcpy(out, buf, starts[2]);
    memcpy(out + starts[2], buf + starts[1], l2);
    memcpy(out + starts[2] + l2, buf + starts[2], len - starts[2]);
    spit(path, out, len + l2);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_line, 3);
    CG_ASSERT(strstr(rep.reason, "seq 2 after 2") != NULL);
    /* An empty line. */
    memcpy(out, buf, starts[2]);
    out[starts[2]] = '\n';
    memcpy(out + starts[2] + 1, buf + starts[2], len - starts[2]);
    spit(path, out, len + 1);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_line, 3);
    CG_ASSERT(strstr(rep.reason, "empty line") != NULL);
    free(out);
    free(buf);
}

CG_TEST(random_flips_in_larger_log)
{
    char path[512], bad_path[512];
    size_t len;

    tmp_path(path, sizeof(path), "big.log");
    tmp_path(bad_path, sizeof(bad_path), "big-bad.log");
    make_log(path, 300, 1000);
    char *buf = slurp(path, &len);
    srand(12345);
    for (int k = 0; k < 300; k++) {
        const size_t pos = (size_t)rand() % len;
        const char saved = buf[pos];
        buf[pos] = (char)(buf[pos] ^ (1 << (rand() % 8)));
        spit(bad_path, buf, len);
        buf[pos] = saved;
        cg_audit_report rep = verify(bad_path);
        if (rep.ok)
            cg_test_fail(__FILE__, __LINE__, "flip at byte %zu not detected", pos);
    }
    free(buf);
}

/* ---- concurrency -------------------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 100

static char thread_log[512];

static void *append_thread(void *arg)
{
    cg_audit *log = NULL;
    cg_error err;
    const int id = (int)(intptr_t)arg;

    if (cg_audit_open(thread_log, CG_AUDIT_CREATE, &log, &err) != CG_OK)
        return (void *)1;
    for (int i = 0; i < PER_THREAD; i++) {
        char data[64];
        snprintf(data, sizeof(data), "{\"thread\":%d,\"i\":%d}", id, i);
        if (cg_audit_append(log, "decision", "t", "s", data, NULL, &err) != CG_OK) {
            fprintf(stderr, "%s\n", err.message);
            cg_audit_close(log);
            return (void *)1;
        }
    }
    cg_audit_close(log);
    return NULL;
}

CG_TEST(concurrent_threads_one_chain)
{
    pthread_t th[THREADS];

    tmp_path(thread_log, sizeof(thread_log), "threads.log");
    unlink(thread_log);
    for (int i = 0; i < THREADS; i++)
        CG_ASSERT_EQ(pthread_create(&th[i], NULL, append_thread, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        CG_ASSERT_EQ(pthread_join(th[i], &rv), 0);
        CG_ASSERT(rv == NULL);
    }
    cg_audit_report rep = verify(thread_log);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "%s", rep.reason);
    CG_ASSERT_EQ(rep.records, THREADS * PER_THREAD);
}

CG_TEST(concurrent_processes_one_chain)
{
    char path[512];
    pid_t pids[2];

    tmp_path(path, sizeof(path), "procs.log");
    unlink(path);
    for (int p = 0; p < 2; p++) {
        pids[p] = fork();
        CG_ASSERT(pids[p] >= 0);
        if (pids[p] == 0) {
            cg_audit *log = NULL;
            cg_error err;
            if (cg_audit_open(path, CG_AUDIT_CREATE, &log, &err) != CG_OK)
                _exit(1);
            for (int i = 0; i < 150; i++)
                if (cg_audit_append(log, "review", "proc", "s", "{}", NULL, &err) != CG_OK)
                    _exit(1);
            cg_audit_close(log);
            _exit(0);
        }
    }
    for (int p = 0; p < 2; p++) {
        int status = 0;
        CG_ASSERT_EQ(waitpid(pids[p], &status, 0), pids[p]);
        CG_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    cg_audit_report rep = verify(path);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "%s", rep.reason);
    CG_ASSERT_EQ(rep.records, 300);
}

/* ---- expiry ------------------------------------------------------------------------------- */

CG_TEST(expiry_keeps_chain)
{
    char path[512], cp_before[CG_AUDIT_HEX_BYTES], cp[CG_AUDIT_HEX_BYTES];
    uint64_t removed = 99, seq;
    cg_audit *log = NULL, *old = NULL;
    cg_error err;

    tmp_path(path, sizeof(path), "exp.log");
    make_log(path, 20, 1000); /* times 1000..1019 */
    /* A handle opened before the expiry must follow the file to its replacement. */
    CG_ASSERT_OK(cg_audit_open(path, 0, &old, &err), &err);
    CG_ASSERT_OK(cg_audit_checkpoint(old, cp_before, NULL, &err), &err);
    CG_ASSERT_OK(cg_audit_expire(path, 1008, "retention", &removed, &err), &err);
    CG_ASSERT_EQ(removed, 8);
    cg_audit_report rep = verify(path);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "%s", rep.reason);
    /* anchor + records 9..20 + the expiry record 21 */
    CG_ASSERT_EQ(rep.records, 1 + 12 + 1);
    CG_ASSERT_EQ(rep.first_seq, 9);
    CG_ASSERT_EQ(rep.last_seq, 21);
    CG_ASSERT_EQ(rep.expired, 8);
    size_t len;
    char *buf = slurp(path, &len);
    CG_ASSERT(strncmp(buf, "{\"actor\":\"retention\",\"data\":{\"anchor\":true,", 43) == 0);
    CG_ASSERT(strstr(buf, "\"kind\":\"expiry\",\"prev\":") != NULL);
    free(buf);

    /* The old handle appends into the new file and the chain holds. */
    CG_ASSERT_OK(cg_audit_append(old, "decision", "a", "b", NULL, &seq, &err), &err);
    CG_ASSERT_EQ(seq, 22);
    CG_ASSERT_OK(cg_audit_checkpoint(old, cp, NULL, &err), &err);
    CG_ASSERT(strcmp(cp, cp_before) != 0);
    cg_audit_close(old);

    /* Nothing old enough: still audited, nothing removed. */
    CG_ASSERT_OK(cg_audit_expire(path, 5, "retention", &removed, &err), &err);
    CG_ASSERT_EQ(removed, 0);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.last_seq, 23);
    CG_ASSERT_EQ(rep.expired, 8);

    /* A second expiry replaces the anchor and accumulates the count. */
    CG_ASSERT_OK(cg_audit_expire(path, 1015, "retention", &removed, &err), &err);
    CG_ASSERT_EQ(removed, 7); /* records 9..15 */
    rep = verify(path);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "%s", rep.reason);
    CG_ASSERT_EQ(rep.expired, 15);
    CG_ASSERT_EQ(rep.first_seq, 16);
    CG_ASSERT_EQ(rep.last_seq, 24);

    /* Expire everything: the anchor and the expiry record remain and verify. Records appended
     * "now" are newer than any cut-off in the past, so use the far future. */
    CG_ASSERT_OK(cg_audit_expire(path, INT64_C(1) << 40, "retention", &removed, &err), &err);
    rep = verify(path);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "%s", rep.reason);
    CG_ASSERT_EQ(rep.records, 2);
    CG_ASSERT_EQ(rep.last_seq, 25);
    CG_ASSERT_OK(cg_audit_open(path, 0, &log, &err), &err);
    CG_ASSERT_OK(cg_audit_append(log, "review", "a", "b", NULL, &seq, &err), &err);
    CG_ASSERT_EQ(seq, 26);
    cg_audit_close(log);
    CG_ASSERT_EQ(verify(path).ok, 1);
}

CG_TEST(expiry_tampering_detected)
{
    char path[512];
    size_t len;
    uint64_t removed;
    cg_error err;

    tmp_path(path, sizeof(path), "exp-t.log");
    make_log(path, 10, 1000);
    CG_ASSERT_OK(cg_audit_expire(path, 1004, "retention", &removed, &err), &err);
    CG_ASSERT_EQ(removed, 4);
    char *buf = slurp(path, &len);
    size_t starts[16];
    const int n = line_starts(buf, len, starts, 16);
    CG_ASSERT_EQ(n, 1 + 6 + 1);
    /* Without the anchor the log starts mid-chain: caught. */
    spit(path, buf + starts[1], len - starts[1]);
    cg_audit_report rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_seq, 1);
    /* Anchor moved below the first kept record: caught. */
    const size_t l1 = starts[1], l2 = starts[2] - starts[1];
    char *out = malloc(len);
    CG_ASSERT(out != NULL);
    memcpy(out, buf + starts[1], l2);
    memcpy(out + l2, buf, l1);
    memcpy(out + starts[2], buf + starts[2], len - starts[2]);
    spit(path, out, len);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    /* Expiring a broken log is refused. */
    CG_ASSERT_EQ(cg_audit_expire(path, 2000, "x", &removed, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "does not verify") != NULL);
    free(out);
    free(buf);
}

/* ---- bad inputs --------------------------------------------------------------------------- */

CG_TEST(bad_inputs)
{
    char path[512];
    cg_audit *log = (cg_audit *)1;
    cg_audit_report rep;
    cg_error err;

    /* A directory. */
    CG_ASSERT_EQ(cg_audit_open(cg_test_tmpdir(), CG_AUDIT_CREATE, &log, &err), CG_E_INVAL);
    CG_ASSERT(log == NULL);
    CG_ASSERT_EQ(cg_audit_verify(cg_test_tmpdir(), &rep, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, cg_test_tmpdir()) != NULL);
    /* Missing, and not created unless asked. */
    tmp_path(path, sizeof(path), "missing.log");
    CG_ASSERT_EQ(cg_audit_open(path, 0, &log, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_audit_verify(path, &rep, &err), CG_E_NOTFOUND);
    CG_ASSERT(strstr(err.message, "missing.log") != NULL);
    /* Unreadable (root reads anything: skip that part). */
    tmp_path(path, sizeof(path), "noread.log");
    make_log(path, 2, 1000);
    chmod(path, 0);
    if (geteuid() != 0) {
        CG_ASSERT_EQ(cg_audit_verify(path, &rep, &err), CG_E_IO);
        CG_ASSERT(strstr(err.message, "Permission denied") != NULL);
        CG_ASSERT_EQ(cg_audit_open(path, 0, &log, &err), CG_E_IO);
    }
    chmod(path, 0600);
    /* Not JSON. */
    tmp_path(path, sizeof(path), "notjson.log");
    spit(path, "hello world\n", 12);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT_EQ(rep.first_bad_line, 1);
    CG_ASSERT(strstr(rep.reason, "line 1: not valid JSON") != NULL);
    CG_ASSERT_EQ(cg_audit_open(path, 0, &log, &err), CG_E_DECODE);
    spit(path, "{\"seq\":1}\n", 10);
    rep = verify(path);
    CG_ASSERT(strstr(rep.reason, "not an audit record") != NULL);
    /* A huge line. */
    tmp_path(path, sizeof(path), "huge.log");
    const size_t big = CG_AUDIT_MAX_LINE + 100;
    char *huge = malloc(big);
    CG_ASSERT(huge != NULL);
    memset(huge, 'x', big);
    huge[big - 1] = '\n';
    spit(path, huge, big);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 0);
    CG_ASSERT(strstr(rep.reason, "longer than") != NULL);
    CG_ASSERT_EQ(cg_audit_open(path, 0, &log, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "longer than") != NULL);
    /* Bad arguments to append. */
    tmp_path(path, sizeof(path), "args.log");
    unlink(path);
    CG_ASSERT_OK(cg_audit_open(path, CG_AUDIT_CREATE | CG_AUDIT_FSYNC, &log, &err), &err);
    CG_ASSERT_EQ(cg_audit_append(log, "Bad Kind", "a", "s", NULL, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_audit_append(log, "decision", "a", "s", "[1]", NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_audit_append(log, "decision", "a", "s", "{", NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_audit_append(log, "decision", "\xff", "s", NULL, NULL, &err), CG_E_INVAL);
    /* Data too big for one record. */
    snprintf(huge, 16, "{\"x\":\"");
    memset(huge + 6, 'a', big - 10);
    memcpy(huge + big - 4, "\"}", 3);
    CG_ASSERT_EQ(cg_audit_append(log, "decision", "a", "s", huge, NULL, &err), CG_E_LIMIT);
    CG_ASSERT_OK(cg_audit_append(log, "decision", "a", "s", "{\"ok\":true}", NULL, &err), &err);
    cg_audit_close(log);
    rep = verify(path);
    CG_ASSERT_EQ(rep.ok, 1);
    CG_ASSERT_EQ(rep.records, 1);
    CG_ASSERT_EQ(cg_audit_open(path, 0x100, &log, &err), CG_E_INVAL);
    free(huge);
}

/* ---- allocation failures ------------------------------------------------------------------ */

static char alloc_log[512];

static cg_status op_open_append(void *arg)
{
    cg_audit *log = NULL;
    cg_error err;
    cg_status st;

    (void)arg;
    st = cg_audit_open(alloc_log, CG_AUDIT_CREATE, &log, &err);
    if (st != CG_OK)
        return st;
    st = cg_audit_append(log, "decision", "a", "s", "{\"k\":1}", NULL, &err);
    cg_audit_close(log);
    return st;
}

static cg_status op_verify(void *arg)
{
    cg_audit_report rep;
    cg_error err;

    (void)arg;
    cg_status st = cg_audit_verify(alloc_log, &rep, &err);
    if (st == CG_OK && !rep.ok)
        return CG_E_DECODE;
    return st;
}

static cg_status op_expire(void *arg)
{
    cg_error err;

    (void)arg;
    return cg_audit_expire(alloc_log, 1003, "r", NULL, &err);
}

CG_TEST(allocation_failures)
{
    tmp_path(alloc_log, sizeof(alloc_log), "alloc.log");
    make_log(alloc_log, 5, 1000);
    CG_ASSERT_GT(cg_test_fail_each_allocation("audit open+append", op_open_append, NULL, 0), 0);
    CG_ASSERT_GT(cg_test_fail_each_allocation("audit verify", op_verify, NULL, 0), 0);
    CG_ASSERT_EQ(verify(alloc_log).ok, 1);
    CG_ASSERT_GT(cg_test_fail_each_allocation("audit expire", op_expire, NULL, 0), 0);
    cg_audit_report rep = verify(alloc_log);
    CG_ASSERT_EQ(rep.ok, 1);
}

/* Expiries while other handles append: no append is lost and the chain holds. */
CG_TEST(expiry_during_appends)
{
    pthread_t th[3];
    uint64_t removed, total = 0;
    cg_error err;
    int expiries = 0;

    tmp_path(thread_log, sizeof(thread_log), "exp-threads.log");
    unlink(thread_log);
    make_log(thread_log, 1, 1000);
    for (int i = 0; i < 3; i++)
        CG_ASSERT_EQ(pthread_create(&th[i], NULL, append_thread, (void *)(intptr_t)i), 0);
    for (int k = 0; k < 5; k++) {
        usleep(2000);
        CG_ASSERT_OK(cg_audit_expire(thread_log, INT64_C(1) << 40, "r", &removed, &err), &err);
        total += removed;
        expiries++;
    }
    for (int i = 0; i < 3; i++) {
        void *rv;
        CG_ASSERT_EQ(pthread_join(th[i], &rv), 0);
        CG_ASSERT(rv == NULL);
    }
    cg_audit_report rep = verify(thread_log);
    if (!rep.ok)
        cg_test_fail(__FILE__, __LINE__, "%s", rep.reason);
    CG_ASSERT_EQ(rep.last_seq, 1 + 3 * PER_THREAD + (uint64_t)expiries);
    CG_ASSERT_EQ(rep.expired, total);
}
