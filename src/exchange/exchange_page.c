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

/* "member=..; entry=..; class=.." with each part cut at 200 bytes. */
#define NOTE_CAP 640

static int cmp_rec(const void *a, const void *b)
{
    const cg_exchange_record *const *x = a, *const *y = b;
    int c = strcmp((*x)->key, (*y)->key);

    /* Same key: the later record sorts last (the pointers are into one array). */
    return c != 0 ? c : (*x < *y ? -1 : (*x > *y));
}

cg_status cg_exchange_apply_page(cg_bankdb *db, const cg_exchange_info *ex,
                                 const cg_exchange_delta *d, cg_exchange_apply_report *rep,
                                 cg_error *err)
{
    return cg__exchange_apply_page(db, ex, d, 0, rep, err);
}

cg_status cg__exchange_apply_page(cg_bankdb *db, const cg_exchange_info *ex,
                                  const cg_exchange_delta *d, int refetch,
                                  cg_exchange_apply_report *rep, cg_error *err)
{
    const cg_exchange_record **order = NULL;
    cg_exchange_page_entry *entries = NULL;
    cg_exchange_page_hash *hashes = NULL;
    char *notes = NULL;
    cg_exchange_page_counts counts;
    size_t n = 0, n_hashes = 0;
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
    if (d->n_records > 0) {
        order = cg__malloc_array(d->n_records, sizeof(*order));
        entries = cg__malloc_array(d->n_records, sizeof(*entries));
        hashes = cg__malloc_array(d->n_records * CG_EXCHANGE_MAX_HASHES, sizeof(*hashes));
        notes = cg__malloc_array(d->n_records, NOTE_CAP);
        if (order == NULL || entries == NULL || hashes == NULL || notes == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", ex->name);
            goto out;
        }
        for (size_t i = 0; i < d->n_records; i++)
            order[i] = &d->records[i];
        /* Sorted by key, later records last: the last of each run of a key is the one that
         * counts. Records apply in key order; within a page order matters only per key. */
        qsort(order, d->n_records, sizeof(*order), cmp_rec);
    }
    for (size_t i = 0; i < d->n_records; i++) {
        const cg_exchange_record *r = order[i];
        cg_exchange_page_entry *e;
        char *note;

        if (i + 1 < d->n_records && strcmp(r->key, order[i + 1]->key) == 0)
            continue; /* superseded later in the page */
        if (!r->deleted && r->n_hashes == 0)
            rep->skipped++;
        e = &entries[n];
        note = notes + n * NOTE_CAP;
        n++;
        memset(e, 0, sizeof(*e));
        e->key = r->key;
        e->deleted = r->deleted;
        e->member = r->member;
        e->entry_id = r->entry_id;
        e->classification = r->classification;
        e->timestamp = r->timestamp;
        snprintf(note, NOTE_CAP, "member=%.200s; entry=%.200s; class=%.200s",
                 r->member != NULL ? r->member : "", r->entry_id != NULL ? r->entry_id : "",
                 r->classification != NULL ? r->classification : "");
        e->note = note;
        e->hashes = hashes + n_hashes;
        for (size_t h = 0; !r->deleted && h < r->n_hashes && h < CG_EXCHANGE_MAX_HASHES; h++) {
            hashes[n_hashes].type = r->hashes[h].type;
            hashes[n_hashes].value = r->hashes[h].value;
            n_hashes++;
            e->n_hashes++;
        }
    }
    st = cg_exchange_page_begin(db, ex->id, err);
    if (st == CG_OK) {
        st = refetch ? cg_exchange_page_refetch(db, ex->id, err) : CG_OK;
        if (st == CG_E_UNSUPPORTED)
            st = CG_OK; /* a store without link generations: no sweep, the page applies */
        if (st == CG_OK)
            st = cg_exchange_page_apply(db, ex, entries, n, &counts, err);
        if (st == CG_OK) /* commits, or rolls the whole page back */
            st = cg_exchange_page_commit(db, ex->id, d->checkpoint, (int64_t)d->n_records,
                                         (int64_t)time(NULL), err);
        else
            cg_exchange_page_abort(db);
    }
    if (st == CG_OK) {
        rep->added = counts.added;
        rep->merged = counts.merged;
        rep->removed = counts.removed;
    }
out:
    if (st != CG_OK)
        memset(rep, 0, sizeof(*rep));
    cg__free(notes);
    cg__free(hashes);
    cg__free(entries);
    cg__free(order);
    return st;
}
