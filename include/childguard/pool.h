/* childguard: a fixed-size thread pool running parallel loops.
 * Threading: a pool may be used from one thread at a time; its workers call fn concurrently. */
#ifndef CHILDGUARD_POOL_H
#define CHILDGUARD_POOL_H

#include <stddef.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_pool cg_pool;

/* Number of online CPUs (at least 1). */
CG_API unsigned cg_cpu_count(void);

/* Creates a pool of n worker threads (0: one per CPU). */
CG_API cg_status cg_pool_create(unsigned n, cg_pool **out);
/* Joins and frees the workers. NULL is a no-op. */
CG_API void cg_pool_destroy(cg_pool *pool);
/* Number of workers. */
CG_API unsigned cg_pool_size(const cg_pool *pool);

/* Calls fn(arg, i, worker) for every i in [0, count), spread over the workers (worker is the
 * index of the worker thread, 0..size-1, so callers can keep per-worker state), and returns when
 * all calls have returned. Items are handed out in increasing order. */
CG_API cg_status cg_pool_for(cg_pool *pool, size_t count,
                             void (*fn)(void *arg, size_t i, unsigned worker), void *arg);

#ifdef __cplusplus
}
#endif
#endif
