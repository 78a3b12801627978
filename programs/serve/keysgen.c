/* Watching for key changes at the cost of a memory compare. A revocation must take effect on
 * the next request (auth.c reads the keys generation and drops its key cache when it moved),
 * but a store read on every request costs a read transaction. The store's data version
 * (cg_bankdb_data_version: on SQLite the wal-index change counter, read from shared memory)
 * changes with every commit by anyone: while it equals the one seen when the generation was
 * last read, nothing was committed and the generation cannot have moved; when it differs, the
 * generation is read for real. A change that is not about keys costs one real read. When the
 * store cannot tell cheaply, every request reads the generation. */
#include "serve.h"

void keysgen_open(serve_server *s)
{
    atomic_init(&s->keys_version_seen, 0);
    atomic_init(&s->keys_version_known, 0); /* the first request reads */
}

int keysgen_unchanged(serve_server *s)
{
    uint64_t now = 0;

    if (!atomic_load_explicit(&s->keys_version_known, memory_order_acquire))
        return 0;
    if (cg_bankdb_data_version(s->keys_db, &now, NULL) != CG_OK)
        return 0;
    return now == atomic_load_explicit(&s->keys_version_seen, memory_order_acquire);
}

void keysgen_remember(serve_server *s)
{
    uint64_t now = 0;

    if (cg_bankdb_data_version(s->keys_db, &now, NULL) != CG_OK) {
        atomic_store_explicit(&s->keys_version_known, 0, memory_order_release);
        return;
    }
    atomic_store_explicit(&s->keys_version_seen, now, memory_order_release);
    atomic_store_explicit(&s->keys_version_known, 1, memory_order_release);
}
