/* The unit-test runner behind cg_test.h. */
#include "cg_test.h"

#include "childguard/status.h"
#include "common/alloc.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TESTS 512

static struct {
    const char *name;
    cg_test_fn fn;
} tests[MAX_TESTS];
static int n_tests;
static const char *current;
static char tmpdir[256];
static int n_args;
static char **args;

uint64_t cg_test_rng_next(cg_test_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

const char *cg_test_arg(int i)
{
    return i >= 0 && i < n_args ? args[i] : NULL;
}

void cg_test_register(const char *name, cg_test_fn fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

void cg_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "FAIL %s (%s:%d): ", current ? current : "?", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void cg_test_skip(const char *why)
{
    printf("SKIPPED %s: %s\n", current ? current : "?", why);
    exit(77);
}

const char *cg_test_shared_dir(void)
{
    static char buf[4096];
    const char *env = getenv("CG_TESTDATA_DIR");
    struct stat st;

#ifdef CG_DEFAULT_TESTDATA_DIR
    if (env == NULL || env[0] == '\0')
        env = CG_DEFAULT_TESTDATA_DIR;
#endif
    if (env == NULL || stat(env, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    snprintf(buf, sizeof(buf), "%s", env);
    return buf;
}

const char *cg_test_vectors_dir(int *full)
{
    static int said;
    const char *shared = cg_test_shared_dir();
    const char *dir = shared != NULL ? shared : CG_SOURCE_VECTORS_DIR;

    if (!said) {
        printf("reference vectors: %s (%s)\n", dir,
               shared != NULL ? "full set" : "compact set in the repository");
        said = 1;
    }
    if (full != NULL)
        *full = shared != NULL;
    return dir;
}

const char *cg_test_error_text(const void *err)
{
    return err == NULL ? "" : ((const cg_error *)err)->message;
}

const char *cg_test_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        const char *base = getenv("TMPDIR");

        snprintf(tmpdir, sizeof(tmpdir), "%s/cgtest.XXXXXX", base ? base : "/tmp");
        if (mkdtemp(tmpdir) == NULL)
            cg_test_fail(__FILE__, __LINE__, "mkdtemp failed");
    }
    return tmpdir;
}

static void cleanup_tmpdir(void)
{
    char cmd[512];

    if (tmpdir[0] != '\0' && getenv("CG_KEEP_TMP") == NULL) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    }
}

int main(int argc, char **argv)
{
    int ran = 0;

    atexit(cleanup_tmpdir);
    if (argc > 2 && strcmp(argv[1], "--store") == 0) {
        if (cg__test_store_select(argv[2]) != 0)
            return 2;
        argc -= 2;
        argv += 2;
    }
    if (argc > 2) {
        n_args = argc - 2;
        args = argv + 2;
    }
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < n_tests; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    for (int i = 0; i < n_tests; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
            continue;
        current = tests[i].name;
        tests[i].fn();
        printf("ok %s\n", tests[i].name);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    return 0;
}

long cg_test_fail_each_allocation(const char *what, cg_status (*op)(void *arg), void *arg,
                                  int decode_ok)
{
    long n;

    for (n = 1;; n++) {
        if (n > 200000)
            cg_test_fail(__FILE__, __LINE__, "%s: still failing after %ld allocations", what, n);
        cg__alloc_fail_at(n);
        cg_status st = op(arg);
        long made = cg__alloc_count();
        cg__alloc_fail_at(0);
        if (made < n) {
            if (st != CG_OK)
                cg_test_fail(__FILE__, __LINE__, "%s: %s with no allocation failing", what,
                             cg_status_name(st));
            break;
        }
        if (st != CG_E_NOMEM && !(decode_ok && st == CG_E_DECODE))
            cg_test_fail(__FILE__, __LINE__, "%s: allocation %ld failed, got %s", what, n,
                         cg_status_name(st));
    }
    printf("%s: %ld allocation points, each failure handled\n", what, n - 1);
    return n - 1;
}
