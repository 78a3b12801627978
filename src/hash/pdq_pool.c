/* The one pool of PDQ hashers (pdq.h): the engine, the command-line workers and the server's
 * request threads all borrow from one of these. A hasher holds ~0.3-2.5 MiB of scratch, so
 * they are created lazily and kept for reuse; with a bound, a caller waits for a free one
 * rather than creating more than the program has threads. */
#include <pthread.h>

#include "childguard/pdq.h"
#include "common/alloc.h"

struct cg_pdq_hasher_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cg_pdq_hasher **free_items;  /* n_free hashers ready to lend */
    size_t n_free, cap_free;
    size_t n_total;              /* created and not destroyed: lent + free */
    size_t max;                  /* 0: no bound */
};

cg_status cg_pdq_hasher_pool_create(size_t max, cg_pdq_hasher_pool **out)
{
    cg_pdq_hasher_pool *p;

    *out = NULL;
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
    *out = p;
    return CG_OK;
}

void cg_pdq_hasher_pool_destroy(cg_pdq_hasher_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_free; i++)
        cg_pdq_hasher_destroy(p->free_items[i]);
    cg__free(p->free_items);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    cg__free(p);
}

cg_status cg_pdq_hasher_pool_take(cg_pdq_hasher_pool *p, cg_pdq_hasher **out)
{
    cg_status st;

    *out = NULL;
    pthread_mutex_lock(&p->mu);
    while (p->max > 0 && p->n_free == 0 && p->n_total >= p->max)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->n_free > 0) {
        *out = p->free_items[--p->n_free];
        pthread_mutex_unlock(&p->mu);
        return CG_OK;
    }
    /* Reserve the slot and create outside the lock: a hasher's buffers take a moment. */
    p->n_total++;
    pthread_mutex_unlock(&p->mu);
    st = cg_pdq_hasher_create(out);
    if (st != CG_OK) {
        pthread_mutex_lock(&p->mu);
        p->n_total--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return st;
}

void cg_pdq_hasher_pool_give(cg_pdq_hasher_pool *p, cg_pdq_hasher *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->n_free == p->cap_free) {
        /* Grows at most to n_total, which is bounded by the callers' threads. */
        size_t cap = p->cap_free > 0 ? 2 * p->cap_free : 8;
        cg_pdq_hasher **grown = cg__realloc(p->free_items, cap * sizeof(*grown));
        if (grown == NULL) {
            /* Cannot keep it: free it, and free its slot for another caller. */
            p->n_total--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
            cg_pdq_hasher_destroy(h);
            return;
        }
        p->free_items = grown;
        p->cap_free = cap;
    }
    p->free_items[p->n_free++] = h;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
