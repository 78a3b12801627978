/* Bounded object pools. SQLite connections are used by one thread at a time,
 * and the MHD thread pool has a fixed number of threads, so a small pool (created lazily, at
 * most `max` objects) gives each request its own without opening one per request. */
#include <stdlib.h>

#include "serve.h"

int serve_pool_init(serve_pool *p, size_t max, cg_status (*create)(void *, void **, cg_error *),
                    void (*destroy)(void *), void *ud)
{
    p->free_items = calloc(max, sizeof(void *));
    if (p->free_items == NULL)
        return -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->n_free = 0;
    p->n_total = 0;
    p->max = max;
    p->create = create;
    p->destroy = destroy;
    p->ud = ud;
    return 0;
}

cg_status serve_pool_get(serve_pool *p, void **out, cg_error *err)
{
    cg_status st;

    *out = NULL;
    pthread_mutex_lock(&p->mu);
    while (p->n_free == 0 && p->n_total >= p->max)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->n_free > 0) {
        *out = p->free_items[--p->n_free];
        pthread_mutex_unlock(&p->mu);
        return CG_OK;
    }
    /* Reserve the slot, then create outside the lock: opening a database takes a while. */
    p->n_total++;
    pthread_mutex_unlock(&p->mu);
    st = p->create(p->ud, out, err);
    if (st != CG_OK) {
        pthread_mutex_lock(&p->mu);
        p->n_total--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return st;
}

void serve_pool_put(serve_pool *p, void *item)
{
    if (item == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->free_items[p->n_free++] = item;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void serve_pool_fini(serve_pool *p)
{
    if (p->free_items == NULL)
        return;
    for (size_t i = 0; i < p->n_free; i++)
        p->destroy(p->free_items[i]);
    free(p->free_items);
    p->free_items = NULL;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}
