/* childguard: a fixed-size thread pool running parallel loops, and a pool of reusable objects.
 * Threading: a cg_pool may be used from one thread at a time; its workers call fn
 * concurrently. A cg_object_pool is thread-safe. */
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

/* A bounded pool of objects that are used by one thread at a time and costly to make (PDQ
 * hashers, classifier contexts, database connections): a caller takes one for a while and
 * gives it back. Objects are made on first need by create(ud, &obj, err) and freed by
 * destroy(obj) when the pool is destroyed. At most max exist (0: no bound); take waits while
 * max are taken. */
typedef struct cg_object_pool cg_object_pool;

CG_API cg_status cg_object_pool_create(size_t max,
                                       cg_status (*create)(void *ud, void **obj, cg_error *err),
                                       void (*destroy)(void *obj), void *ud,
                                       cg_object_pool **out);
/* Frees the pool and the objects in it (every object must have been given back). NULL is a
 * no-op. */
CG_API void cg_object_pool_destroy(cg_object_pool *p);
/* A free object, else a new one (waiting while max are taken). On failure *obj is NULL and
 * create's status and err are returned. */
CG_API cg_status cg_object_pool_take(cg_object_pool *p, void **obj, cg_error *err);
/* Gives back an object taken from p. NULL is a no-op. */
CG_API void cg_object_pool_give(cg_object_pool *p, void *obj);

#ifdef __cplusplus
}
#endif
#endif
