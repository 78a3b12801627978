/* A fixed pool of worker threads that run parallel loops (include/childguard/pool.h).
 * One loop runs at a time: cg_pool_for publishes (fn, arg, count) under the lock with a new
 * generation number, workers take indices from an atomic counter until it passes count, and the
 * last worker to finish wakes the caller. */
#include "childguard/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common/alloc.h"

struct cg_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;     /* workers wait here for a new generation or shutdown */
    pthread_cond_t done;     /* the caller waits here for busy == 0 */
    pthread_t *threads;
    unsigned size;
    unsigned started;        /* threads actually created */
    unsigned long generation;
    int shutdown;
    unsigned busy;           /* workers still inside the current loop */
    void (*fn)(void *, size_t, unsigned);
    void *arg;
    size_t count;
    atomic_size_t next;
};

typedef struct worker_start {
    cg_pool *pool;
    unsigned index;
} worker_start;

unsigned cg_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : (unsigned)n;
}

static void *worker_main(void *p)
{
    worker_start *ws = p;
    cg_pool *pool = ws->pool;
    const unsigned index = ws->index;
    unsigned long seen = 0;

    cg__free(ws);
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->shutdown && pool->generation == seen)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (pool->shutdown)
            break;
        seen = pool->generation;
        pthread_mutex_unlock(&pool->lock);
        for (;;) {
            size_t i = atomic_fetch_add(&pool->next, 1);
            if (i >= pool->count)
                break;
            pool->fn(pool->arg, i, index);
        }
        pthread_mutex_lock(&pool->lock);
        if (--pool->busy == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

void cg_pool_destroy(cg_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->shutdown = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->started; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    cg__free(pool->threads);
    cg__free(pool);
}

cg_status cg_pool_create(unsigned n, cg_pool **out)
{
    cg_pool *pool;

    *out = NULL;
    if (n == 0)
        n = cg_cpu_count();
    pool = cg__calloc(1, sizeof(*pool));
    if (pool == NULL)
        return CG_E_NOMEM;
    pool->threads = cg__calloc(n, sizeof(pthread_t));
    if (pool->threads == NULL) {
        cg__free(pool);
        return CG_E_NOMEM;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->next, 0);
    pool->size = n;
    for (unsigned i = 0; i < n; i++) {
        worker_start *ws = cg__malloc(sizeof(*ws));

        if (ws == NULL) {
            cg_pool_destroy(pool);
            return CG_E_NOMEM;
        }
        ws->pool = pool;
        ws->index = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, ws) != 0) {
            cg__free(ws);
            cg_pool_destroy(pool);
            return CG_E_BACKEND;
        }
        pool->started++;
    }
    *out = pool;
    return CG_OK;
}

unsigned cg_pool_size(const cg_pool *pool)
{
    return pool->size;
}

cg_status cg_pool_for(cg_pool *pool, size_t count, void (*fn)(void *, size_t, unsigned),
                      void *arg)
{
    if (pool == NULL || fn == NULL)
        return CG_E_INVAL;
    if (count == 0)
        return CG_OK;
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->arg = arg;
    pool->count = count;
    atomic_store(&pool->next, 0);
    pool->busy = pool->size;
    pool->generation++;
    pthread_cond_broadcast(&pool->work);
    while (pool->busy > 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    return CG_OK;
}
