/* A fetched page's records into an exchange's bank, as one batch inside the page's write
 * transaction (cg_exchange_page_apply, exchange_store.h; the exchange layer's
 * cg_exchange_apply_page drives it between cg_exchange_page_begin and _commit).
 *
 * Same rules as a record applied through cg_bank_signal_add / cg_bank_signal_delete and the
 * link ops one by one, without their per-signal cost: no savepoint per signal (the page's
 * transaction is the unit: a failure rolls it all back), the bank's name for the audit
 * records read once per page instead of once per signal, and the backend's statements
 * prepared once per handle (sqlite_exchange.c keeps them).
 *
 * This file holds the generic path, record by record, and the record-level work the other
 * paths share (store_exchange_page_int.h); the set-based path where the backend has one is
 * store_exchange_segment.c, a full refetch's sweep store_exchange_sweep.c. */
#include "store/store_exchange_page_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_audit.h"

static int collect(int64_t signal_id, int owned, void *ud)
{
    cg__xpage_ids *l = ud;

    (void)owned;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        int64_t *g = cg__realloc(l->v, cap * sizeof(*g));

        if (g == NULL) {
            l->nomem = 1;
            return 1;
        }
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = signal_id;
    return 0;
}

/* cg_bank_signal_add's work and record, inside the open transaction. */
static cg_status put_signal(cg_bankdb *db, const char *bank, cg_bank_signal *s, int64_t now,
                            int *merged, cg_error *err)
{
    int filled = 0;
    cg_status st = db->ops->signal_put(db, s, now, merged, &filled, err);

    if (st != CG_OK || !cg__bankdb_audited(db))
        return st;
    return cg__bankdb_audit_signal(
        db, *merged ? "signal_merge" : "signal_add", bank, s,
        *merged ? json_pack("{s:b}", "filled", filled != 0)
                : json_pack("{s:i, s:s, s:s}", "quality", s->quality, "source", s->source,
                            "external_id", s->external_id),
        err);
}

cg_status cg__xpage_delete_signal(cg_bankdb *db, int64_t id, int *gone, cg_error *err)
{
    cg__signal_facts f;
    cg_status st;

    *gone = 0;
    if (!cg__bankdb_audited(db)) {
        st = db->ops->signal_delete_row(db, id, err);
        *gone = st == CG_OK;
        return st == CG_E_NOTFOUND ? CG_OK : st;
    }
    st = db->ops->signal_describe(db, id, &f, err);
    if (st == CG_OK)
        st = db->ops->signal_delete_row(db, id, err);
    if (st == CG_E_NOTFOUND)
        return CG_OK;
    if (st != CG_OK)
        return st;
    *gone = 1;
    return cg__bankdb_audit(db, "signal_delete", f.bank,
                            json_pack("{s:I, s:s, s:s, s:I}", "bank_id", (json_int_t)f.bank_id,
                                      "signal_type", f.type, "value", f.hex, "signal_id",
                                      (json_int_t)id),
                            err);
}

int cg__xpage_field_ok(const char *s)
{
    if (s == NULL)
        return 1;
    const size_t n = strnlen(s, CG_BANK_FIELD_MAX + 1);

    return n <= CG_BANK_FIELD_MAX && cg__utf8_valid(s, n);
}

/* A record's own checks, before its hashes: a key, provenance text within bounds (checked where
 * cg_exchange_page_link checks them: before the first link, so a deletion of a key with odd
 * provenance text only unlinks) and a hash count within CG__PAGE_MAX_HASHES. */
cg_status cg__xpage_check_record(cg_bankdb *db, const cg_exchange_info *ex,
                                 const cg_exchange_page_entry *e, cg_error *err)
{
    if (e->key == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_page_apply: an entry without a key");
    if (!e->deleted && e->n_hashes > 0 &&
        (e->key[0] == '\0' || !cg__xpage_field_ok(e->key) || !cg__xpage_field_ok(e->member) ||
         !cg__xpage_field_ok(e->entry_id) || !cg__xpage_field_ok(e->classification)))
        return cg__fail(err, CG_E_INVAL,
                        "%s: exchange %lld: a record's key, member, entry id or classification "
                        "is empty, longer than %d bytes or not UTF-8",
                        db->path, (long long)ex->id, CG_BANK_FIELD_MAX);
    if (!e->deleted && e->n_hashes > 0 && e->hashes == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_page_apply: hashes is NULL");
    if (!e->deleted && e->n_hashes > CG__PAGE_MAX_HASHES)
        return cg__fail(err, CG_E_LIMIT, "%s: exchange %s: record %s lists %zu hashes (at most "
                        "%zu)", db->path, ex->name, e->key, e->n_hashes,
                        (size_t)CG__PAGE_MAX_HASHES);
    return CG_OK;
}

static cg_status apply_entry(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                             const cg_exchange_page_entry *e, int64_t now,
                             cg__xpage_ids *old, cg_bank_signal *sig, cg_exchange_page_counts *c,
                             cg_error *err)
{
    int64_t now_ids[CG__PAGE_MAX_HASHES];
    size_t n_now = 0;
    cg_status st;

    st = cg__xpage_check_record(db, ex, e, err);
    if (st != CG_OK)
        return st;
    old->n = 0;
    st = db->ops->exchange_key_signals(db, ex->id, e->key, collect, old, err);
    if (st == CG_OK && old->nomem)
        st = cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path, ex->name);
    if (st != CG_OK)
        return st;
    for (size_t h = 0; !e->deleted && h < e->n_hashes; h++) {
        const cg_exchange_page_hash *hh = &e->hashes[h];
        cg_exchange_link link;
        int merged = 0;

        if (hh->type == NULL || hh->value == NULL || hh->type->bytes > sizeof(sig->value))
            return cg__fail(err, CG_E_INVAL, "%s: exchange %s: record %s: a hash without a type "
                            "or value", db->path, ex->name, e->key);
        sig->id = 0;
        sig->bank_id = ex->bank_id;
        sig->type = hh->type;
        memset(sig->value, 0, sizeof(sig->value));
        memcpy(sig->value, hh->value, hh->type->bytes);
        sig->quality = -1;
        sig->added = 0;
        sig->disabled_until = 0;
        st = put_signal(db, bank, sig, now, &merged, err);
        if (st != CG_OK)
            return st;
        memset(&link, 0, sizeof(link));
        link.signal_id = sig->id;
        /* A merge keeps an earlier link's ownership (the store's rule); a signal inserted just
         * now has no other link to share it with (CG__LINK_FRESH). */
        link.owned = merged ? 0 : CG__LINK_FRESH;
        link.key = e->key;
        link.member = e->member;
        link.entry_id = e->entry_id;
        link.classification = e->classification;
        link.timestamp = e->timestamp;
        st = db->ops->exchange_link(db, ex->id, &link, NULL, err);
        if (st != CG_OK)
            return st;
        if (merged)
            c->merged++;
        else
            c->added++;
        now_ids[n_now++] = sig->id;
    }
    for (size_t i = 0; i < old->n; i++) {
        int kept = 0, orphaned = 0, gone = 0;

        for (size_t k = 0; k < n_now; k++)
            kept |= now_ids[k] == old->v[i];
        if (kept)
            continue;
        st = db->ops->exchange_unlink(db, ex->id, e->key, old->v[i], &orphaned, err);
        if (st == CG_OK && orphaned)
            st = cg__xpage_delete_signal(db, old->v[i], &gone, err);
        if (st != CG_OK)
            return st;
        c->removed += (uint64_t)gone;
    }
    return CG_OK;
}

/* 1 when the page goes record by record even where the backend has a set-based apply
 * (CG_EXCHANGE_PAGE_APPLY=generic: the comparison test and the bench's "before"). */
static int generic_forced(void)
{
    const char *v = getenv("CG_EXCHANGE_PAGE_APPLY");

    return v != NULL && strcmp(v, "generic") == 0;
}

void cg__xpage_signal_text(cg_bank_signal *sig, const char *source,
                           const cg_exchange_page_entry *e)
{
    snprintf(sig->source, sizeof(sig->source), "%s", source);
    snprintf(sig->external_id, sizeof(sig->external_id), "%s", e->key != NULL ? e->key : "");
    snprintf(sig->note, sizeof(sig->note), "%s", e->note != NULL ? e->note : "");
}

cg_status cg__xpage_apply_generic(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                                  const char *source, const cg_exchange_page_entry *entries,
                                  size_t from, size_t to, int64_t now, cg__xpage_ids *old,
                                  cg_bank_signal *sig, cg_exchange_page_counts *counts,
                                  cg_error *err)
{
    cg_status st = CG_OK;

    for (size_t i = from; st == CG_OK && i < to; i++) {
        const cg_exchange_page_entry *e = &entries[i];

        cg__xpage_signal_text(sig, source, e);
        st = apply_entry(db, ex, bank, e, now, old, sig, counts, err);
    }
    return st;
}

cg_status cg_exchange_page_apply(cg_bankdb *db, const cg_exchange_info *ex,
                                 const cg_exchange_page_entry *entries, size_t n,
                                 cg_exchange_page_counts *counts, cg_error *err)
{
    char source[CG_BANK_FIELD_MAX + 1];
    cg_bank_signal *sig;
    cg_bank bank;
    cg__xpage_ids old;
    int64_t now;
    cg_status st;

    if (counts != NULL)
        memset(counts, 0, sizeof(*counts));
    if (db == NULL || ex == NULL || counts == NULL || (n > 0 && entries == NULL))
        return cg__fail(err, CG_E_INVAL, "cg_exchange_page_apply: NULL argument");
    if (db->ops->exchange_get == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: exchanges are not built for the %s store",
                        db->path, db->ops->name);
    if (n == 0)
        return CG_OK;
    /* The audit records name the bank; read once (the page's transaction holds it still). */
    memset(&bank, 0, sizeof(bank));
    st = db->ops->bank_get_by_id(db, ex->bank_id, &bank, err);
    if (st != CG_OK)
        return st;
    sig = cg__malloc(sizeof(*sig));
    if (sig == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path, ex->name);
    memset(sig, 0, sizeof(*sig));
    snprintf(source, sizeof(source), "exchange:%s", ex->name);
    memset(&old, 0, sizeof(old));
    now = (int64_t)time(NULL);
    if (db->ops->exchange_page_apply != NULL && !generic_forced())
        st = cg__xpage_apply_sets(db, ex, bank.name, source, entries, n, now, &old, sig, counts,
                                  err);
    else
        st = cg__xpage_apply_generic(db, ex, bank.name, source, entries, 0, n, now, &old, sig,
                                     counts, err);
    cg__free(old.v);
    cg__free(sig);
    if (st != CG_OK)
        memset(counts, 0, sizeof(*counts));
    return st;
}
