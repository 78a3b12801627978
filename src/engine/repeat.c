/* How often a sender has shown a harm (engine_int.h): an open-addressing table keyed by a
 * 64-bit hash of the sender id, with one count per topic. Counts older than a week start over;
 * when half the slots are used the table starts over (a bounded memory, documented in
 * docs/engine.md). Two senders whose ids collide share counts: at 64 bits that takes ~2^32
 * senders, far more than the table holds. */
#include "engine/engine_int.h"

#include <string.h>

#include "common/alloc.h"

cg_status cg__repeat_init(cg__repeat *r)
{
    r->used = 0;
    r->slots = cg__calloc(CG__REPEAT_SLOTS, sizeof(*r->slots));
    return r->slots != NULL ? CG_OK : CG_E_NOMEM;
}

void cg__repeat_free(cg__repeat *r)
{
    cg__free(r->slots);
    r->slots = NULL;
}

/* FNV-1a, 64 bits, never 0 (0 marks an empty slot). */
static uint64_t key_of(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h != 0 ? h : 1;
}

int cg__repeat_add(cg__repeat *r, const char *sender, unsigned shown, int64_t now_ms)
{
    uint64_t key;
    size_t i;
    int most = 0;

    if (shown == 0 || sender == NULL || *sender == '\0' || r->slots == NULL)
        return 0;
    if (r->used >= CG__REPEAT_SLOTS / 2) {
        memset(r->slots, 0, CG__REPEAT_SLOTS * sizeof(*r->slots));
        r->used = 0;
    }
    key = key_of(sender);
    i = (size_t)(key & (CG__REPEAT_SLOTS - 1));
    while (r->slots[i].key != 0 && r->slots[i].key != key)
        i = (i + 1) & (CG__REPEAT_SLOTS - 1);
    cg__repeat_slot *s = &r->slots[i];
    if (s->key == 0) {
        s->key = key;
        r->used++;
    } else if (now_ms - s->last_ms > CG__REPEAT_WINDOW_MS) {
        memset(s->count, 0, sizeof(s->count));
    }
    s->last_ms = now_ms;
    for (int t = 0; t < CG__REPEAT_TOPICS; t++)
        if (shown & (1u << t)) {
            if (s->count[t] < UINT32_MAX)
                s->count[t]++;
            if ((int)s->count[t] > most)
                most = (int)s->count[t];
        }
    return most;
}
