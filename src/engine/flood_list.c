/* Which signals a flood quarantine switched off (cg_flood_quarantined, engine.h): read from the
 * review queue, where each quarantine left an item "quarantine:signal:<id>" (flood.c), and the
 * signals themselves. An item released as a false positive does not count; a signal enabled
 * again by hand does not count; a signal quarantined twice (released, then flooded again) is
 * counted once. Nothing is kept apart from the queue, so the answer cannot drift from it. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "childguard/review.h"
#include "common/alloc.h"
#include "common/error.h"

typedef struct qlist {
    int64_t *seen; /* signal ids already counted (quarantines are rare: a linear scan) */
    size_t n, cap;
    int oom;
} qlist;

static int collect(const cg_review_item *it, void *ud)
{
    qlist *q = ud;
    const char *p = it->content_id;
    char *end;
    long long id;

    if (it->state == CG_REVIEW_FALSE_POSITIVE || strncmp(p, "quarantine:signal:", 18) != 0)
        return 0;
    id = strtoll(p + 18, &end, 10);
    if (id <= 0 || *end != '\0')
        return 0;
    for (size_t i = 0; i < q->n; i++)
        if (q->seen[i] == id)
            return 0;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        int64_t *v = cap <= (1u << 20) ? cg__realloc(q->seen, cap * sizeof(*v)) : NULL;

        if (v == NULL) {
            q->oom = 1;
            return 1;
        }
        q->seen = v;
        q->cap = cap;
    }
    q->seen[q->n++] = id;
    return 0;
}

cg_status cg_flood_quarantined(cg_bankdb *db, int64_t bank_id, int64_t now, int64_t *ids,
                               size_t cap, size_t *count, cg_error *err)
{
    cg_review_filter f;
    qlist q;
    size_t n = 0;
    cg_status st;

    if (count != NULL)
        *count = 0;
    if (db == NULL || count == NULL || (ids == NULL && cap > 0))
        return cg__fail(err, CG_E_INVAL, "cg_flood_quarantined: NULL argument");
    memset(&q, 0, sizeof(q));
    memset(&f, 0, sizeof(f));
    f.state = -1;
    f.label = "quarantine";
    st = cg_review_list(db, &f, collect, &q, err);
    if (st == CG_OK && q.oom)
        st = cg__fail(err, CG_E_NOMEM, "quarantined signals: out of memory");
    /* Oldest quarantine first: the queue lists by priority (all 2), then age. */
    for (size_t i = 0; i < q.n && st == CG_OK; i++) {
        cg_bank_signal s;
        cg_status g = cg_bank_signal_get(db, q.seen[i], &s, err);

        if (g == CG_E_NOTFOUND)
            continue; /* deleted since */
        if (g != CG_OK) {
            st = g;
            break;
        }
        if ((bank_id > 0 && s.bank_id != bank_id) || s.disabled_until <= now)
            continue;
        if (n < cap)
            ids[n] = s.id;
        n++;
    }
    cg__free(q.seen);
    if (st == CG_OK)
        *count = n;
    return st;
}
