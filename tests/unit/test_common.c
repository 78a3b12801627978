/* src/common: the status table, the allocation failure hook, the thread pool, hex text and
 * bounded whole-file reads. */
#include "cg_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childguard.h"
#include "common/alloc.h"
#include "common/file.h"
#include "common/hex.h"

/* ---- status table --------------------------------------------------------------------------- */

#define STATUS_ROW(s) {s, #s}
static const struct {
    cg_status st;
    const char *name;
} statuses[] = {
    STATUS_ROW(CG_OK),          STATUS_ROW(CG_E_NOMEM),    STATUS_ROW(CG_E_INVAL),
    STATUS_ROW(CG_E_IO),        STATUS_ROW(CG_E_DECODE),   STATUS_ROW(CG_E_LIMIT),
    STATUS_ROW(CG_E_UNSUPPORTED), STATUS_ROW(CG_E_NOTFOUND), STATUS_ROW(CG_E_BACKEND),
    STATUS_ROW(CG_E_BUSY),
};
#define STATUS_COUNT (sizeof(statuses) / sizeof(statuses[0]))

CG_TEST(status_every_code_has_name_and_text)
{
    for (size_t i = 0; i < STATUS_COUNT; i++) {
        const char *name = cg_status_name(statuses[i].st);
        const char *text = cg_status_text(statuses[i].st);

        /* Values are pinned: the table is in enum order with no gaps. */
        CG_ASSERT_EQ(statuses[i].st, i);
        CG_ASSERT_STR_EQ(name, statuses[i].name);
        CG_ASSERT(text != NULL);
        CG_ASSERT_GT(strlen(text), 3);
        CG_ASSERT(strcmp(text, "unknown status") != 0);
        for (size_t j = 0; j < i; j++)
            CG_ASSERT(strcmp(text, cg_status_text(statuses[j].st)) != 0);
    }
    CG_ASSERT_STR_EQ(cg_status_text(CG_E_LIMIT), "input exceeds configured limit");
}

CG_TEST(status_unknown_codes)
{
    static const int unknown[] = {10, 11, 99, 1000, -1, -100, 0x7fffffff};

    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        const char *text = cg_status_text((cg_status)unknown[i]);

        CG_ASSERT_STR_EQ(cg_status_name((cg_status)unknown[i]), "CG_E_UNKNOWN");
        CG_ASSERT(text != NULL);
        CG_ASSERT_GT(strlen(text), 0);
        for (size_t j = 0; j < STATUS_COUNT; j++)
            CG_ASSERT(strcmp(text, cg_status_text(statuses[j].st)) != 0);
    }
}

/* ---- allocation failure hook ---------------------------------------------------------------- */

CG_TEST(alloc_fail_at_counts_and_fails)
{
    void *p[6];

    cg__alloc_fail_at(0);
    CG_ASSERT_EQ(cg__alloc_count(), 0);
    p[0] = cg__malloc(10);
    p[1] = cg__calloc(3, 4);
    p[2] = cg__malloc(0);
    CG_ASSERT(p[0] != NULL && p[1] != NULL && p[2] != NULL);
    CG_ASSERT_EQ(cg__alloc_count(), 3);
    p[2] = cg__realloc(p[2], 100);
    CG_ASSERT(p[2] != NULL);
    CG_ASSERT_EQ(cg__alloc_count(), 4);
    for (int i = 0; i < 3; i++)
        cg__free(p[i]);

    /* The 3rd allocation from now and every later one fail, whatever the kind. */
    cg__alloc_fail_at(3);
    CG_ASSERT_EQ(cg__alloc_count(), 0);
    p[0] = cg__malloc(8);
    p[1] = cg__malloc(8);
    CG_ASSERT(p[0] != NULL && p[1] != NULL);
    CG_ASSERT(cg__malloc(8) == NULL);
    CG_ASSERT(cg__calloc(1, 8) == NULL);
    CG_ASSERT(cg__strdup("abc") == NULL);
    CG_ASSERT(cg__malloc_array(2, 8) == NULL);
    /* A failed realloc leaves the old block valid and unchanged. */
    memcpy(p[0], "1234567", 8);
    CG_ASSERT(cg__realloc(p[0], 4096) == NULL);
    CG_ASSERT_STR_EQ((const char *)p[0], "1234567");
    CG_ASSERT_GE(cg__alloc_count(), 7);

    /* Reset: allocations succeed again and the count restarts. */
    cg__alloc_fail_at(0);
    CG_ASSERT_EQ(cg__alloc_count(), 0);
    p[2] = cg__strdup("hello");
    CG_ASSERT(p[2] != NULL);
    CG_ASSERT_STR_EQ((const char *)p[2], "hello");
    CG_ASSERT_EQ(cg__alloc_count(), 1);
    /* An overflowing product fails without allocating. */
    CG_ASSERT(cg__malloc_array(SIZE_MAX / 2, 3) == NULL);
    for (int i = 0; i < 3; i++)
        cg__free(p[i]);
    cg__free(NULL);
    cg_free(NULL);
}

static void *alloc_in_thread(void *arg)
{
    void *p = cg__malloc(16);

    *(int *)arg = p != NULL;
    cg__free(p);
    return NULL;
}

CG_TEST(alloc_fail_at_is_per_thread)
{
    pthread_t t;
    int ok = 0;

    cg__alloc_fail_at(1);
    CG_ASSERT(cg__malloc(16) == NULL);
    CG_ASSERT_EQ(pthread_create(&t, NULL, alloc_in_thread, &ok), 0);
    CG_ASSERT_EQ(pthread_join(t, NULL), 0);
    CG_ASSERT_EQ(ok, 1);
    CG_ASSERT(cg__malloc(16) == NULL);
    cg__alloc_fail_at(0);
}

CG_TEST(alloc_failure_in_every_step_of_pool_create)
{
    long nth;

    for (nth = 1;; nth++) {
        cg_pool *pool = (cg_pool *)(uintptr_t)1; /* must be reset to NULL on failure */
        cg_status st;

        cg__alloc_fail_at(nth);
        st = cg_pool_create(4, &pool);
        cg__alloc_fail_at(0);
        if (st == CG_OK) {
            CG_ASSERT(pool != NULL);
            CG_ASSERT_EQ(cg_pool_size(pool), 4);
            cg_pool_destroy(pool);
            break;
        }
        CG_ASSERT_EQ(st, CG_E_NOMEM);
        CG_ASSERT(pool == NULL);
        CG_ASSERT_LT(nth, 100);
    }
    /* The pool struct, the thread array and one start record per worker. */
    CG_ASSERT_GE(nth, 4);
}

/* ---- thread pool ---------------------------------------------------------------------------- */

enum { POOL_ITEMS = 100000 };

typedef struct loop_state {
    unsigned size;
    uint64_t *per_worker;   /* sums indexed by worker */
    atomic_uint *hits;      /* times each item was visited */
    atomic_uint bad_worker; /* calls with a worker index >= size */
    atomic_ulong calls;
    uint64_t scale;
} loop_state;

static void sum_item(void *arg, size_t i, unsigned worker)
{
    loop_state *s = arg;

    atomic_fetch_add(&s->calls, 1);
    if (worker >= s->size) {
        atomic_fetch_add(&s->bad_worker, 1);
        return;
    }
    s->per_worker[worker] += (uint64_t)i * s->scale;
    if (s->hits != NULL)
        atomic_fetch_add(&s->hits[i], 1);
}

/* Runs one loop over count items and checks the sum, the worker indices and, with hits, that
 * every item was visited exactly once. */
static void check_loop(cg_pool *pool, size_t count, uint64_t scale, atomic_uint *hits)
{
    loop_state s;
    uint64_t total = 0;
    unsigned bad_worker;
    unsigned long calls;

    memset(&s, 0, sizeof(s));
    s.size = cg_pool_size(pool);
    s.per_worker = calloc(s.size, sizeof(uint64_t));
    CG_ASSERT(s.per_worker != NULL);
    s.hits = hits;
    s.scale = scale;
    atomic_init(&s.bad_worker, 0);
    atomic_init(&s.calls, 0);
    if (hits != NULL)
        for (size_t i = 0; i < count; i++)
            atomic_init(&hits[i], 0);
    CG_ASSERT_OK(cg_pool_for(pool, count, sum_item, &s), NULL);
    for (unsigned w = 0; w < s.size; w++)
        total += s.per_worker[w];
    bad_worker = atomic_load(&s.bad_worker);
    calls = atomic_load(&s.calls);
    CG_ASSERT_EQ(bad_worker, 0);
    CG_ASSERT_EQ(calls, count);
    CG_ASSERT_EQ(total, (uint64_t)count * (count - 1) / 2 * scale);
    if (hits != NULL)
        for (size_t i = 0; i < count; i++) {
            const unsigned n = atomic_load(&hits[i]);
            if (n != 1)
                cg_test_fail(__FILE__, __LINE__, "item %zu visited %u times", i, n);
        }
    free(s.per_worker);
}

CG_TEST(pool_sums_with_1_2_8_workers)
{
    static const unsigned sizes[] = {1, 2, 8};
    atomic_uint *hits = malloc(POOL_ITEMS * sizeof(atomic_uint));

    CG_ASSERT(hits != NULL);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        cg_pool *pool = NULL;

        CG_ASSERT_OK(cg_pool_create(sizes[k], &pool), NULL);
        CG_ASSERT_EQ(cg_pool_size(pool), sizes[k]);
        check_loop(pool, POOL_ITEMS, 1, hits);
        /* Reuse: many loops of varied sizes on the same pool. */
        for (unsigned rep = 0; rep < 200; rep++)
            check_loop(pool, 1 + (rep * 7919) % 3000, rep + 1, NULL);
        check_loop(pool, POOL_ITEMS, 3, hits);
        cg_pool_destroy(pool);
    }
    free(hits);
}

typedef struct order_state {
    size_t next;
    int in_order;
} order_state;

static void record_order(void *arg, size_t i, unsigned worker)
{
    order_state *s = arg;

    (void)worker;
    if (i != s->next)
        s->in_order = 0;
    s->next = i + 1;
}

static void count_call(void *arg, size_t i, unsigned worker)
{
    (void)i;
    (void)worker;
    atomic_fetch_add((atomic_uint *)arg, 1);
}

CG_TEST(pool_edge_cases)
{
    cg_pool *pool = NULL;
    atomic_uint calls;
    unsigned n;
    order_state ord = {0, 1};

    cg_pool_destroy(NULL);
    CG_ASSERT_GE(cg_cpu_count(), 1);

    /* 0 workers means one per CPU. */
    CG_ASSERT_OK(cg_pool_create(0, &pool), NULL);
    CG_ASSERT_EQ(cg_pool_size(pool), cg_cpu_count());
    atomic_init(&calls, 0);
    CG_ASSERT_OK(cg_pool_for(pool, 0, count_call, &calls), NULL);
    n = atomic_load(&calls);
    CG_ASSERT_EQ(n, 0);
    CG_ASSERT_OK(cg_pool_for(pool, 1, count_call, &calls), NULL);
    n = atomic_load(&calls);
    CG_ASSERT_EQ(n, 1);
    CG_ASSERT_EQ(cg_pool_for(pool, 10, NULL, NULL), CG_E_INVAL);
    CG_ASSERT_EQ(cg_pool_for(NULL, 10, count_call, &calls), CG_E_INVAL);
    /* Fewer items than workers. */
    check_loop(pool, 3, 5, NULL);
    cg_pool_destroy(pool);

    /* One worker hands out items in increasing order. */
    CG_ASSERT_OK(cg_pool_create(1, &pool), NULL);
    CG_ASSERT_OK(cg_pool_for(pool, 5000, record_order, &ord), NULL);
    CG_ASSERT_EQ(ord.in_order, 1);
    CG_ASSERT_EQ(ord.next, 5000);
    cg_pool_destroy(pool);
}

CG_TEST(pool_create_destroy_many_times)
{
    for (unsigned rep = 0; rep < 300; rep++) {
        cg_pool *pool = NULL;

        CG_ASSERT_OK(cg_pool_create(1 + rep % 6, &pool), NULL);
        /* Half are destroyed before any loop ran, possibly before the workers started. */
        if (rep % 2 == 1)
            check_loop(pool, 100 + rep, 1, NULL);
        cg_pool_destroy(pool);
    }
}

/* ---- hex ------------------------------------------------------------------------------------ */

CG_TEST(hex_encode_decode)
{
    static const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff, 0x10, 0x9a};
    char text[2 * sizeof(bytes) + 1];
    uint8_t back[sizeof(bytes)];
    uint8_t all[256];
    char all_text[513];

    memset(text, 'Z', sizeof(text));
    cg_hex_encode(bytes, sizeof(bytes), text);
    CG_ASSERT_STR_EQ(text, "00017f80abcdefff109a");
    CG_ASSERT_OK(cg_hex_decode(text, strlen(text), back, sizeof(back)), NULL);
    CG_ASSERT(memcmp(back, bytes, sizeof(bytes)) == 0);
    memset(back, 0, sizeof(back));
    CG_ASSERT_OK(cg_hex_decode("00017F80ABCDEFFF109A", 20, back, sizeof(back)), NULL);
    CG_ASSERT(memcmp(back, bytes, sizeof(bytes)) == 0);
    CG_ASSERT_OK(cg_hex_decode("00017f80AbCdEfFf109a", 20, back, sizeof(back)), NULL);
    CG_ASSERT(memcmp(back, bytes, sizeof(bytes)) == 0);

    /* Every byte value round-trips. */
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    cg_hex_encode(all, 256, all_text);
    CG_ASSERT_EQ(strlen(all_text), 512);
    memset(back, 0, sizeof(back));
    {
        uint8_t all_back[256];
        CG_ASSERT_OK(cg_hex_decode(all_text, 512, all_back, 256), NULL);
        CG_ASSERT(memcmp(all_back, all, 256) == 0);
    }

    /* Empty. */
    cg_hex_encode(bytes, 0, text);
    CG_ASSERT_STR_EQ(text, "");
    CG_ASSERT_OK(cg_hex_decode("", 0, back, 0), NULL);
}

CG_TEST(hex_decode_rejects_bad_text)
{
    static const char good[] = "00017f80abcdefff109a";
    static const char bad_chars[] = {'g', 'G', 'z', ' ', '-', '+', '/', ':', '@', '`', '\0',
                                     '\n', (char)0xc3, (char)0xff};
    uint8_t out[10];
    char text[21];

    /* Wrong lengths: too short, too long, odd. The output is zeroed. */
    memset(out, 0x55, sizeof(out));
    CG_ASSERT_EQ(cg_hex_decode(good, 18, out, 10), CG_E_INVAL);
    for (size_t i = 0; i < sizeof(out); i++)
        CG_ASSERT_EQ(out[i], 0);
    CG_ASSERT_EQ(cg_hex_decode(good, 19, out, 10), CG_E_INVAL);
    CG_ASSERT_EQ(cg_hex_decode("00017f80abcdefff109a00", 22, out, 10), CG_E_INVAL);
    CG_ASSERT_EQ(cg_hex_decode(good, 0, out, 10), CG_E_INVAL);
    CG_ASSERT_EQ(cg_hex_decode(NULL, 20, out, 10), CG_E_INVAL);
    /* A bad character anywhere, in either nibble. */
    for (size_t c = 0; c < sizeof(bad_chars); c++)
        for (size_t pos = 0; pos < 20; pos++) {
            memcpy(text, good, sizeof(text));
            text[pos] = bad_chars[c];
            memset(out, 0x55, sizeof(out));
            CG_ASSERT_EQ(cg_hex_decode(text, 20, out, 10), CG_E_INVAL);
            for (size_t i = 0; i < sizeof(out); i++)
                CG_ASSERT_EQ(out[i], 0);
        }
}

/* ---- bounded file reads --------------------------------------------------------------------- */

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fwrite(data, 1, len, f), len);
    CG_ASSERT_EQ(fclose(f), 0);
}

CG_TEST(read_file_regular)
{
    static const size_t sizes[] = {0, 1, 4095, 65536, 65537, 300001};
    char path[512];

    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        const size_t n = sizes[k];
        uint8_t *data = malloc(n + 1), *got = NULL;
        size_t len = 12345;
        cg_error err = {0};

        CG_ASSERT(data != NULL);
        for (size_t i = 0; i < n; i++)
            data[i] = (uint8_t)(i * 131 + k);
        snprintf(path, sizeof(path), "%s/file%zu.bin", cg_test_tmpdir(), k);
        write_file(path, data, n);
        /* No cap, a cap of exactly the size, and a larger cap all read everything. */
        CG_ASSERT_OK(cg__read_file(path, 0, &got, &len, &err), &err);
        CG_ASSERT(got != NULL);
        CG_ASSERT_EQ(len, n);
        CG_ASSERT(n == 0 || memcmp(got, data, n) == 0);
        cg__free(got);
        if (n > 0) {
            CG_ASSERT_OK(cg__read_file(path, n, &got, &len, &err), &err);
            CG_ASSERT_EQ(len, n);
            CG_ASSERT(memcmp(got, data, n) == 0);
            cg__free(got);
        }
        CG_ASSERT_OK(cg__read_file(path, n + 1000, &got, &len, &err), &err);
        CG_ASSERT_EQ(len, n);
        cg__free(got);
        free(data);
    }
}

CG_TEST(read_file_errors)
{
    char path[512], missing[512];
    uint8_t data[1000];
    uint8_t *got = (uint8_t *)data;
    size_t len = 99;
    cg_error err = {0};

    memset(data, 'x', sizeof(data));
    snprintf(path, sizeof(path), "%s/thousand.bin", cg_test_tmpdir());
    write_file(path, data, sizeof(data));

    /* Over the cap: CG_E_LIMIT, out-params cleared, the message names the path. */
    CG_ASSERT_EQ(cg__read_file(path, 999, &got, &len, &err), CG_E_LIMIT);
    CG_ASSERT(got == NULL);
    CG_ASSERT_EQ(len, 0);
    CG_ASSERT_EQ(err.status, CG_E_LIMIT);
    CG_ASSERT(strstr(err.message, path) != NULL);

    snprintf(missing, sizeof(missing), "%s/no-such-file", cg_test_tmpdir());
    got = data;
    len = 99;
    memset(&err, 0, sizeof(err));
    CG_ASSERT_EQ(cg__read_file(missing, 0, &got, &len, &err), CG_E_NOTFOUND);
    CG_ASSERT(got == NULL);
    CG_ASSERT_EQ(len, 0);
    CG_ASSERT_EQ(err.status, CG_E_NOTFOUND);
    CG_ASSERT(strstr(err.message, "no-such-file") != NULL);

    got = data;
    memset(&err, 0, sizeof(err));
    CG_ASSERT_EQ(cg__read_file(cg_test_tmpdir(), 0, &got, &len, &err), CG_E_IO);
    CG_ASSERT(got == NULL);
    CG_ASSERT_EQ(err.status, CG_E_IO);
    /* err is optional. */
    CG_ASSERT_EQ(cg__read_file(missing, 0, &got, &len, NULL), CG_E_NOTFOUND);

    /* Allocation failure. */
    cg__alloc_fail_at(1);
    CG_ASSERT_EQ(cg__read_file(path, 0, &got, &len, &err), CG_E_NOMEM);
    cg__alloc_fail_at(0);
    CG_ASSERT(got == NULL);
    CG_ASSERT_EQ(len, 0);
}

CG_TEST(read_file_dev_zero_capped)
{
    static const uint64_t caps[] = {1, 4096, 65535, 65536, 65537, 200000};
    uint8_t *got;
    size_t len;
    cg_error err = {0};

    if (access("/dev/zero", R_OK) != 0)
        CG_SKIP("/dev/zero not readable");
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        got = (uint8_t *)&len;
        CG_ASSERT_EQ(cg__read_file("/dev/zero", caps[i], &got, &len, &err), CG_E_LIMIT);
        CG_ASSERT(got == NULL);
        CG_ASSERT_EQ(len, 0);
    }
}

typedef struct fifo_writer {
    char path[512];
    size_t bytes;
    size_t written;
} fifo_writer;

static void *write_fifo(void *arg)
{
    fifo_writer *w = arg;
    uint8_t buf[8192];
    int fd = open(w->path, O_WRONLY);

    memset(buf, 'f', sizeof(buf));
    if (fd < 0)
        return NULL;
    while (w->written < w->bytes) {
        size_t want = w->bytes - w->written < sizeof(buf) ? w->bytes - w->written : sizeof(buf);
        ssize_t n = write(fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EPIPE once the reader gave up */
        w->written += (size_t)n;
    }
    close(fd);
    return NULL;
}

/* Reads a FIFO fed by a thread with bytes bytes, with the given cap. */
static cg_status read_fifo(size_t bytes, uint64_t cap, size_t *len_out)
{
    fifo_writer w;
    pthread_t t;
    uint8_t *got = NULL;
    cg_error err = {0};
    cg_status st;
    static int serial;

    memset(&w, 0, sizeof(w));
    snprintf(w.path, sizeof(w.path), "%s/fifo%d", cg_test_tmpdir(), serial++);
    CG_ASSERT_EQ(mkfifo(w.path, 0600), 0);
    w.bytes = bytes;
    CG_ASSERT_EQ(pthread_create(&t, NULL, write_fifo, &w), 0);
    st = cg__read_file(w.path, cap, &got, len_out, &err);
    CG_ASSERT_EQ(pthread_join(t, NULL), 0);
    if (st == CG_OK) {
        CG_ASSERT_EQ(*len_out, bytes);
        for (size_t i = 0; i < bytes; i++)
            CG_ASSERT_EQ(got[i], 'f');
    } else {
        CG_ASSERT(got == NULL);
        CG_ASSERT_EQ(*len_out, 0);
    }
    cg__free(got);
    unlink(w.path);
    return st;
}

CG_TEST(read_file_fifo_capped)
{
    size_t len;

    /* The reader may stop early; the writer must then see EPIPE, not die of SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    CG_ASSERT_EQ(read_fifo(5000, 10000, &len), CG_OK);
    CG_ASSERT_EQ(read_fifo(10000, 10000, &len), CG_OK);
    CG_ASSERT_EQ(read_fifo(10001, 10000, &len), CG_E_LIMIT);
    CG_ASSERT_EQ(read_fifo(200000, 100000, &len), CG_E_LIMIT);
    /* A writer that would go on for 64 MiB is cut off near the cap. */
    CG_ASSERT_EQ(read_fifo((size_t)64 << 20, 100000, &len), CG_E_LIMIT);
    CG_ASSERT_EQ(read_fifo(0, 10, &len), CG_OK);
}
