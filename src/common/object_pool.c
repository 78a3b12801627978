/* The one pool of reusable objects (pool.h): PDQ hashers (pdq_pool.c), the engine's classifier
 * contexts and the server's database connections are all kept in one of these. Objects are
 * created lazily, outside the lock (opening a database or allocating megabytes of scratch takes
 * a while), and kept for reuse; with a bound, a caller waits for a free one rather than making
 * more objects than the program has threads. */
#include <pthread.h>

#include "childguard/pool.h"
#include "common/alloc.h"
#include "common/error.h"

struct cg_object_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void **free_items;           /* n_free objects ready to lend */
    size_t n_free, cap_free;
    size_t n_total;              /* made and not destroyed: lent + free */
    size_t max;                  /* 0: no bound */
    cg_status (*create)(void *ud, void **obj, cg_error *err);
    void (*destroy)(void *obj);
    void *ud;
};

cg_status cg_object_pool_create(size_t max,
                                cg_status (*create)(void *ud, void **obj, cg_error *err),
                                void (*destroy)(void *obj), void *ud, cg_object_pool **out)
{
    cg_object_pool *p;

    *out = NULL;
    if (create == NULL || destroy == NULL)
        return CG_E_INVAL;
    p = cg__calloc(1, sizeof(*p));
    if (p == NULL)
        return CG_E_NOMEM;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        cg__free(p);
        return CG_E_NOMEM;
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        cg__free(p);
        return CG_E_NOMEM;
    }
    p->max = max;
    p->create = create;
    p->destroy = destroy;
    p->ud = ud;
    *out = p;
    return CG_OK;
}

void cg_object_pool_destroy(cg_object_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_free; i++)
        p->destroy(p->free_items[i]);
    cg__free(p->free_items);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    cg__free(p);
}

cg_status cg_object_pool_take(cg_object_pool *p, void **obj, cg_error *err)
{
    cg_status st;

    *obj = NULL;
    pthread_mutex_lock(&p->mu);
    while (p->max > 0 && p->n_free == 0 && p->n_total >= p->max)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->n_free > 0) {
        *obj = p->free_items[--p->n_free];
        pthread_mutex_unlock(&p->mu);
        return CG_OK;
    }
    /* Reserve the slot and create outside the lock. */
    p->n_total++;
    pthread_mutex_unlock(&p->mu);
    st = p->create(p->ud, obj, err);
    if (st != CG_OK) {
        *obj = NULL;
        pthread_mutex_lock(&p->mu);
        p->n_total--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return st;
}

void cg_object_pool_give(cg_object_pool *p, void *obj)
{
    if (obj == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->n_free == p->cap_free) {
        /* Grows at most to n_total, which is bounded by the callers' threads. */
        size_t cap = p->cap_free > 0 ? 2 * p->cap_free : 8;
        void **grown = cg__realloc(p->free_items, cap * sizeof(*grown));
        if (grown == NULL) {
            /* Cannot keep it: free it, and free its slot for another caller. */
            p->n_total--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
            p->destroy(obj);
            return;
        }
        p->free_items = grown;
        p->cap_free = cap;
    }
    p->free_items[p->n_free++] = obj;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
