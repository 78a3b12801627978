/* Internal: every allocation of the library goes through these, so tests can make the Nth one
 * fail (cg__alloc_fail_at) and check that each failure path cleans up and reports CG_E_NOMEM. */
#ifndef CG_COMMON_ALLOC_H
#define CG_COMMON_ALLOC_H

#include <stddef.h>

#include "childguard/export.h"

void *cg__malloc(size_t n);
void *cg__calloc(size_t count, size_t size);
/* Like realloc, but on failure returns NULL and leaves p valid and unchanged. */
void *cg__realloc(void *p, size_t n);
void cg__free(void *p);
/* Duplicates a NUL-terminated string. */
char *cg__strdup(const char *s);
/* Allocates count * size bytes, failing (NULL) when the product overflows. */
void *cg__malloc_array(size_t count, size_t size);

/* Testing hook, exported for the unit tests: the nth allocation from now (1-based) and every
 * later one fail until reset with 0. Counted per thread. */
CG_API void cg__alloc_fail_at(long nth);
/* How many allocations this thread made since the last cg__alloc_fail_at call. */
CG_API long cg__alloc_count(void);

#endif
