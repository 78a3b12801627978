/* One fetched page into an exchange's bank with provenance, in one store transaction with its
 * checkpoint (cg_exchange_apply_page; exchange_store.h holds the store side).
 *
 * For the last record of each key in the page, in page order:
 *   - the signals linked to the key are read (exchange_links);
 *   - a deleted record unlinks them all; an upserted one adds (or merges) each hash it lists
 *     and links it, then unlinks those it no longer lists;
 *   - an unlink that leaves a signal the exchange added without any link deletes the signal.
 * So a signal that was in the bank before the exchange listed it (owned 0) is never deleted by
 * the exchange, and a hash two records share stays until both are gone. Everything, with the
 * checkpoint and fetched_items, commits at the end or not at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

typedef struct linked {
    int64_t *ids;
    size_t n, cap;
    int nomem;
} linked;

static int collect_link(int64_t signal_id, int owned, void *ud)
{
    linked *l = ud;

    (void)owned;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        int64_t *g = cg__realloc(l->ids, cap * sizeof(*g));

        if (g == NULL) {
            l->nomem = 1;
            return 1;
        }
        l->ids = g;
        l->cap = cap;
    }
    l->ids[l->n++] = signal_id;
    return 0;
}

static int cmp_rec(const void *a, const void *b)
{
    const cg_exchange_record *const *x = a, *const *y = b;
    int c = strcmp((*x)->key, (*y)->key);

    /* Same key: the later record sorts last (the pointers are into one array). */
    return c != 0 ? c : (*x < *y ? -1 : (*x > *y));
}

/* Unlinks signal_id from key and deletes it when that orphaned a signal the exchange added. */
static cg_status drop(cg_bankdb *db, const cg_exchange_info *ex, const char *key,
                      int64_t signal_id, cg_exchange_apply_report *rep, cg_error *err)
{
    int orphaned = 0;
    cg_status st = cg_exchange_page_unlink(db, ex->id, key, signal_id, &orphaned, err);

    if (st != CG_OK || !orphaned)
        return st;
    st = cg_bank_signal_delete(db, signal_id, err);
    if (st == CG_E_NOTFOUND) /* deleted by hand meanwhile: its links went with it */
        return CG_OK;
    if (st == CG_OK)
        rep->removed++;
    return st;
}

static cg_status apply_record(cg_bankdb *db, const cg_exchange_info *ex, const char *source,
                              const cg_exchange_record *r, cg_exchange_apply_report *rep,
                              linked *old, cg_error *err)
{
    int64_t now_ids[CG_EXCHANGE_MAX_HASHES];
    size_t n_now = 0;
    cg_status st;

    old->n = 0;
    st = cg_exchange_page_key_signals(db, ex->id, r->key, collect_link, old, err);
    if (st == CG_OK && old->nomem)
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", ex->name);
    if (st != CG_OK)
        return st;
    if (!r->deleted && r->n_hashes == 0)
        rep->skipped++;
    for (size_t h = 0; !r->deleted && h < r->n_hashes && h < CG_EXCHANGE_MAX_HASHES; h++) {
        cg_bank_signal sig;
        cg_exchange_link link;
        int merged = 0;

        memset(&sig, 0, sizeof(sig));
        sig.bank_id = ex->bank_id;
        sig.type = r->hashes[h].type;
        memcpy(sig.value, r->hashes[h].value, sig.type->bytes);
        sig.quality = -1;
        snprintf(sig.source, sizeof(sig.source), "%s", source);
        snprintf(sig.external_id, sizeof(sig.external_id), "%s", r->key);
        snprintf(sig.note, sizeof(sig.note), "member=%.200s; entry=%.200s; class=%.200s",
                 r->member, r->entry_id, r->classification);
        st = cg_bank_signal_add(db, &sig, &merged, err);
        if (st != CG_OK)
            return st;
        memset(&link, 0, sizeof(link));
        link.signal_id = sig.id;
        link.owned = !merged; /* a merge keeps an earlier link's ownership (the store's rule) */
        link.key = r->key;
        link.member = r->member;
        link.entry_id = r->entry_id;
        link.classification = r->classification;
        link.timestamp = r->timestamp;
        st = cg_exchange_page_link(db, ex->id, &link, NULL, err);
        if (st != CG_OK)
            return st;
        if (merged)
            rep->merged++;
        else
            rep->added++;
        now_ids[n_now++] = sig.id;
    }
    for (size_t i = 0; i < old->n; i++) {
        int kept = 0;

        for (size_t k = 0; k < n_now; k++)
            kept |= now_ids[k] == old->ids[i];
        if (kept)
            continue;
        st = drop(db, ex, r->key, old->ids[i], rep, err);
        if (st != CG_OK)
            return st;
    }
    return CG_OK;
}

cg_status cg_exchange_apply_page(cg_bankdb *db, const cg_exchange_info *ex,
                                 const cg_exchange_delta *d, cg_exchange_apply_report *rep,
                                 cg_error *err)
{
    char source[CG_BANK_FIELD_MAX + 1];
    const cg_exchange_record **order = NULL;
    linked old;
    cg_status st;

    if (rep != NULL)
        memset(rep, 0, sizeof(*rep));
    if (db == NULL || ex == NULL || d == NULL || rep == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_apply_page: NULL argument");
    if (d->checkpoint == NULL)
        return cg__fail(err, CG_E_INVAL, "exchange %s: a page without a checkpoint", ex->name);
    for (size_t i = 0; i < d->n_records; i++)
        if (d->records[i].key == NULL || strlen(d->records[i].key) > CG_BANK_FIELD_MAX)
            return cg__fail(err, CG_E_INVAL, "exchange %s: a record key is missing or longer "
                            "than %d bytes", ex->name, CG_BANK_FIELD_MAX);
    snprintf(source, sizeof(source), "exchange:%s", ex->name);
    memset(&old, 0, sizeof(old));
    if (d->n_records > 0) {
        order = cg__malloc_array(d->n_records, sizeof(*order));
        if (order == NULL)
            return cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", ex->name);
        for (size_t i = 0; i < d->n_records; i++)
            order[i] = &d->records[i];
        /* Sorted by key, later records last: the last of each run of a key is the one that
         * counts. Records apply in key order; within a page order matters only per key. */
        qsort(order, d->n_records, sizeof(*order), cmp_rec);
    }
    st = cg_exchange_page_begin(db, ex->id, err);
    if (st == CG_OK) {
        for (size_t i = 0; st == CG_OK && i < d->n_records; i++) {
            if (i + 1 < d->n_records && strcmp(order[i]->key, order[i + 1]->key) == 0)
                continue; /* superseded later in the page */
            st = apply_record(db, ex, source, order[i], rep, &old, err);
        }
        if (st == CG_OK) /* commits, or rolls the whole page back */
            st = cg_exchange_page_commit(db, ex->id, d->checkpoint, (int64_t)d->n_records,
                                         (int64_t)time(NULL), err);
        else
            cg_exchange_page_abort(db);
    }
    if (st != CG_OK)
        memset(rep, 0, sizeof(*rep));
    cg__free(old.ids);
    cg__free(order);
    return st;
}
