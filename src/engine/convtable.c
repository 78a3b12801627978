/* Which conversations the engine remembers (engine_int.h): a hash table of keys ("<tenant>" 0x1f
 * "<conversation>") threaded on a list in order of last use. Touching a key moves it to the
 * front; when the table holds more than its cap, or its oldest entry has been idle longer than
 * the time to live, the entry at the back is dropped and the text session forgets that
 * conversation (the caller's callback). Requests can therefore never grow the conversation
 * state without bound; an evicted conversation starts over when it is seen again (counted, for
 * /metrics). Every call is made under the engine's text lock. */
#include "engine/engine_int.h"

#include <string.h>

#include "common/alloc.h"

struct cg__conv_entry {
    char *key;
    int64_t last_ms;
    cg__conv_entry *prev, *next; /* use order: head most recent */
    cg__conv_entry *chain;       /* hash bucket */
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

cg_status cg__convtable_init(cg__convtable *t, size_t cap, int64_t ttl_ms)
{
    size_t nb = 64;

    memset(t, 0, sizeof(*t));
    t->cap = cap > 0 ? cap : 1;
    t->ttl_ms = ttl_ms;
    while (nb < t->cap && nb < ((size_t)1 << 24))
        nb *= 2;
    t->buckets = cg__calloc(nb, sizeof(*t->buckets));
    if (t->buckets == NULL)
        return CG_E_NOMEM;
    t->n_buckets = nb;
    return CG_OK;
}

void cg__convtable_free(cg__convtable *t)
{
    cg__conv_entry *e = t->head;

    while (e != NULL) {
        cg__conv_entry *next = e->next;
        cg__free(e->key);
        cg__free(e);
        e = next;
    }
    cg__free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static void unlink_use(cg__convtable *t, cg__conv_entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        t->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        t->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(cg__convtable *t, cg__conv_entry *e)
{
    e->prev = NULL;
    e->next = t->head;
    if (t->head != NULL)
        t->head->prev = e;
    t->head = e;
    if (t->tail == NULL)
        t->tail = e;
}

/* Drops the least recently used entry, telling forget. */
static void evict_tail(cg__convtable *t, void (*forget)(void *, const char *), void *ud)
{
    cg__conv_entry *e = t->tail, **pp;

    if (e == NULL)
        return;
    unlink_use(t, e);
    for (pp = &t->buckets[hash_key(e->key) & (t->n_buckets - 1)]; *pp != NULL;
         pp = &(*pp)->chain)
        if (*pp == e) {
            *pp = e->chain;
            break;
        }
    forget(ud, e->key);
    cg__free(e->key);
    cg__free(e);
    t->n--;
    t->evicted++;
}

cg_status cg__convtable_touch(cg__convtable *t, const char *key, int64_t now_ms,
                              void (*forget)(void *ud, const char *key), void *ud)
{
    const size_t b = hash_key(key) & (t->n_buckets - 1);
    cg__conv_entry *e;

    for (e = t->buckets[b]; e != NULL; e = e->chain)
        if (strcmp(e->key, key) == 0)
            break;
    if (e != NULL) {
        unlink_use(t, e);
    } else {
        e = cg__calloc(1, sizeof(*e));
        if (e == NULL || (e->key = cg__strdup(key)) == NULL) {
            cg__free(e);
            return CG_E_NOMEM;
        }
        e->chain = t->buckets[b];
        t->buckets[b] = e;
        t->n++;
    }
    e->last_ms = now_ms;
    push_front(t, e);
    /* Idle ones first (the back of the list is the oldest), then whatever exceeds the cap; the
     * entry just touched is at the front and stays. */
    while (t->ttl_ms > 0 && t->tail != e && now_ms - t->tail->last_ms > t->ttl_ms)
        evict_tail(t, forget, ud);
    while (t->n > t->cap && t->tail != e)
        evict_tail(t, forget, ud);
    return CG_OK;
}
