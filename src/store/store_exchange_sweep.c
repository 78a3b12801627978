/* Mark and sweep after a full refetch (docs/exchange.md): cg_exchange_page_refetch opens a new
 * link generation in the transaction of the refetch's first page (the pages then relink what
 * they list with it); cg_exchange_sweep, once the refetch is up to date, removes in one write
 * transaction every link older than that generation and deletes a signal the exchange added that
 * is left without links (audited as cg_bank_signal_delete does), or with keep_links only ends
 * the sweep (a refetch that skipped records). */
#include "store/store_exchange_page_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_audit.h"

cg_status cg_exchange_page_refetch(cg_bankdb *db, int64_t id, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_page_refetch: db is NULL");
    if (db->ops->exchange_refetch_mark == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: exchange refetch generations are not built "
                        "for the %s store", db->path, db->ops->name);
    return db->ops->exchange_refetch_mark(db, id, err);
}

typedef struct stale {
    char **keys;
    int64_t *ids;
    size_t n, cap;
    int nomem;
} stale;

static int collect_stale(const char *key, int64_t signal_id, void *ud)
{
    stale *s = ud;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **k = cg__realloc(s->keys, cap * sizeof(*k));

        if (k == NULL) {
            s->nomem = 1;
            return 1;
        }
        s->keys = k;
        int64_t *v = cg__realloc(s->ids, cap * sizeof(*v));

        if (v == NULL) {
            s->nomem = 1;
            return 1;
        }
        s->ids = v;
        s->cap = cap;
    }
    s->keys[s->n] = cg__strdup(key != NULL ? key : "");
    if (s->keys[s->n] == NULL) {
        s->nomem = 1;
        return 1;
    }
    s->ids[s->n++] = signal_id;
    return 0;
}

cg_status cg_exchange_sweep(cg_bankdb *db, const cg_exchange_info *ex, int keep_links,
                            cg_exchange_page_counts *counts, cg_error *err)
{
    stale sl;
    cg_status st;

    if (counts != NULL)
        memset(counts, 0, sizeof(*counts));
    if (db == NULL || ex == NULL || counts == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_sweep: NULL argument");
    if (db->ops->exchange_stale_links == NULL || db->ops->exchange_sweep_done == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: exchange sweeps are not built for the %s "
                        "store", db->path, db->ops->name);
    st = cg__bankdb_check_writable(db, err);
    if (st != CG_OK)
        return st;
    st = db->ops->begin_write(db, "sweeping an exchange", err);
    if (st != CG_OK)
        return st;
    db->holding = 1;
    memset(&sl, 0, sizeof(sl));
    /* Collected first: the rows change under the deletes. */
    if (!keep_links) {
        st = db->ops->exchange_stale_links(db, ex->id, collect_stale, &sl, err);
        if (st == CG_OK && sl.nomem)
            st = cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path,
                          ex->name);
    }
    for (size_t i = 0; st == CG_OK && i < sl.n; i++) {
        int orphaned = 0, gone = 0;

        st = db->ops->exchange_unlink(db, ex->id, sl.keys[i], sl.ids[i], &orphaned, err);
        if (st == CG_OK && orphaned)
            st = cg__xpage_delete_signal(db, sl.ids[i], &gone, err);
        counts->removed += (uint64_t)gone;
    }
    if (st == CG_OK)
        st = db->ops->exchange_sweep_done(db, ex->id, err);
    if (st == CG_OK)
        st = db->ops->commit(db, "sweeping an exchange", err);
    else
        db->ops->rollback(db);
    for (size_t i = 0; i < sl.n; i++)
        cg__free(sl.keys[i]);
    cg__free(sl.keys);
    cg__free(sl.ids);
    if (st != CG_OK) {
        memset(counts, 0, sizeof(*counts));
        (void)cg__store_audit_release(db, 0, NULL);
        return st;
    }
    return cg__store_audit_release(db, 1, err);
}
