/* The store backend the unit tests run on (cg_test.h): chosen once per process by the runner's
 * --store option; every store test builds its database locations here. */
#include "cg_test.h"

#include <errno.h>

static const char *backend = "sqlite";

const char *cg_test_store(void)
{
    return backend;
}

int cg__test_store_select(const char *name)
{
    /* Only the backends this build has: a PostgreSQL backend adds its name (and a server the
     * test starts itself on loopback) when it is built. */
    if (strcmp(name, "sqlite") == 0) {
        backend = "sqlite";
        return 0;
    }
    fprintf(stderr, "--store %s: no such store backend in this build (sqlite)\n", name);
    return -1;
}

void cg_test_store_location(const char *name, char *out, size_t cap)
{
    const int n = snprintf(out, cap, "sqlite:%s/%s", cg_test_tmpdir(), name);

    if (n < 0 || (size_t)n >= cap)
        cg_test_fail(__FILE__, __LINE__, "store location of %s does not fit %zu bytes", name, cap);
}

void cg_test_store_drop(const char *name)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[1024];

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", cg_test_tmpdir(), name, suffixes[i]);
        if (remove(path) != 0 && errno != ENOENT)
            cg_test_fail(__FILE__, __LINE__, "removing %s: %s", path, strerror(errno));
    }
}
