/* Allocation with a failure-injection hook for tests (see alloc.h). */
#include "common/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/status.h"

/* Per-thread so that tests running threads of their own do not disturb each other. This is
 * test-only state and never shared: it is the one exception to "no mutable globals". */
static _Thread_local long fail_at;
static _Thread_local long alloc_count;

static int should_fail(void)
{
    alloc_count++;
    return fail_at > 0 && alloc_count >= fail_at;
}

void cg__alloc_fail_at(long nth)
{
    fail_at = nth;
    alloc_count = 0;
}

long cg__alloc_count(void)
{
    return alloc_count;
}

void *cg__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n == 0 ? 1 : n);
}

void *cg__calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
}

void *cg__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n == 0 ? 1 : n);
}

void *cg__malloc_array(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return cg__malloc(count * size);
}

void cg__free(void *p)
{
    free(p);
}

void cg_free(void *p)
{
    free(p);
}

char *cg__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cg__malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}
