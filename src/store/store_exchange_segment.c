/* The set-based path of cg_exchange_page_apply (store_exchange_page.c), where the backend has
 * the optional op exchange_page_apply (PostgreSQL: pg_exchange_page.c). Every entry is checked
 * first with the generic path's checks and errors, in page order; the page is then cut into
 * segments in which no key and no (type, value) appears twice, and each segment goes to the
 * backend at once; the counts and audit records are written here from what it reports, in the
 * generic path's order. Where the order of records decides the result (a record listing a hash
 * twice, a deletion whose key the checks do not bound, a segment the backend declines) the
 * records go the generic way, so the result is the same in every case (docs/exchange.md). */
#include "store/store_exchange_page_int.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_audit.h"

/* What cuts a page into segments: a set of keys and of (type, value) pairs, by generation (a
 * new segment is a new generation, nothing to clear). */
typedef struct seen_slot {
    uint64_t gen;
    const char *key;                  /* a key, or NULL */
    const cg_exchange_page_hash *hash; /* or a hash */
} seen_slot;

typedef struct seen {
    seen_slot *s;
    size_t mask;
    uint64_t gen;
} seen;

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return h;
}

static int same(const seen_slot *a, const char *key, const cg_exchange_page_hash *h)
{
    if (key != NULL)
        return a->key != NULL && strcmp(a->key, key) == 0;
    return a->hash != NULL && a->hash->type == h->type &&
           memcmp(a->hash->value, h->value, h->type->bytes) == 0;
}

/* 1: key (or h) is in the current segment; add 1 puts it there when it is not. */
static int seen_has(seen *t, const char *key, const cg_exchange_page_hash *h, int add)
{
    uint64_t x = key != NULL ? fnv(key, strlen(key), 14695981039346656037u)
                             : fnv(h->value, h->type->bytes,
                                   fnv(h->type->name, strlen(h->type->name), 7));
    size_t i = (size_t)x & t->mask;

    while (t->s[i].gen == t->gen) {
        if (same(&t->s[i], key, h))
            return 1;
        i = (i + 1) & t->mask;
    }
    if (add) {
        t->s[i].gen = t->gen;
        t->s[i].key = key;
        t->s[i].hash = h;
    }
    return 0;
}

/* 1 when entry e can join the current segment (then it has); 0 when its key or one of its
 * hashes is there already, or it lists a hash twice. */
static int seen_join(seen *t, const cg_exchange_page_entry *e)
{
    const size_t nh = e->deleted ? 0 : e->n_hashes;

    if (seen_has(t, e->key, NULL, 0))
        return 0;
    for (size_t h = 0; h < nh; h++) {
        if (seen_has(t, NULL, &e->hashes[h], 0))
            return 0;
        for (size_t k = 0; k < h; k++)
            if (e->hashes[k].type == e->hashes[h].type &&
                memcmp(e->hashes[k].value, e->hashes[h].value, e->hashes[h].type->bytes) == 0)
                return 0;
    }
    (void)seen_has(t, e->key, NULL, 1);
    for (size_t h = 0; h < nh; h++)
        (void)seen_has(t, NULL, &e->hashes[h], 1);
    return 1;
}

/* The generic path's checks of a record (apply_entry's), all of them, before anything is sent
 * (the set-based path writes a whole segment at once; the first failing entry gives the generic
 * path's error). */
static cg_status check_entry(cg_bankdb *db, const cg_exchange_info *ex,
                             const cg_exchange_page_entry *e, cg_bank_signal *sig,
                             cg_error *err)
{
    cg_status st = cg__xpage_check_record(db, ex, e, err);

    if (st != CG_OK)
        return st;
    for (size_t h = 0; !e->deleted && h < e->n_hashes; h++) {
        const cg_exchange_page_hash *hh = &e->hashes[h];
        const char *why;

        if (hh->type == NULL || hh->value == NULL || hh->type->bytes > sizeof(sig->value))
            return cg__fail(err, CG_E_INVAL, "%s: exchange %s: record %s: a hash without a type "
                            "or value", db->path, ex->name, e->key);
        sig->bank_id = ex->bank_id;
        sig->type = hh->type;
        sig->quality = -1;
        sig->disabled_until = 0;
        why = cg__bank_signal_invalid(sig);
        if (why != NULL)
            return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: signal: %s", db->path,
                            (long long)sig->bank_id, why);
    }
    return CG_OK;
}

/* An entry the set-based statements must not take: a deletion (or a record without hashes)
 * whose key the checks did not bound (only its links are looked up, by the whole key). */
static int key_unbounded(const cg_exchange_page_entry *e)
{
    return (e->deleted || e->n_hashes == 0) && (e->key[0] == '\0' || !cg__xpage_field_ok(e->key));
}

/* The audit records and counts of a segment applied set-based, in the generic path's order:
 * per entry its hashes' add or merge, then the signals its unlinks deleted. */
static cg_status record_segment(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                                const char *source, const cg_exchange_page_entry *ent,
                                const cg__xpage *xp, cg_bank_signal *sig,
                                cg_exchange_page_counts *c, cg_error *err)
{
    const int audited = cg__bankdb_audited(db);
    size_t k = 0, r = 0;
    cg_status st = CG_OK;

    for (size_t i = 0; st == CG_OK && i < xp->n; i++) {
        const cg_exchange_page_entry *e = &ent[i];

        for (size_t h = 0; !e->deleted && st == CG_OK && h < e->n_hashes; h++, k++) {
            const cg__xpage_hash *x = &xp->hashes[k];

            if (x->fresh)
                c->added++;
            else
                c->merged++;
            if (!audited)
                continue;
            memset(sig, 0, sizeof(*sig));
            sig->id = x->signal_id;
            sig->bank_id = ex->bank_id;
            sig->type = e->hashes[h].type;
            memcpy(sig->value, e->hashes[h].value, sig->type->bytes);
            sig->quality = -1;
            snprintf(sig->source, sizeof(sig->source), "%s", source);
            snprintf(sig->external_id, sizeof(sig->external_id), "%s", e->key);
            st = cg__bankdb_audit_signal(
                db, x->fresh ? "signal_add" : "signal_merge", bank, sig,
                x->fresh ? json_pack("{s:i, s:s, s:s}", "quality", sig->quality, "source",
                                     sig->source, "external_id", sig->external_id)
                         : json_pack("{s:b}", "filled", x->filled != 0),
                err);
        }
        for (; st == CG_OK && r < xp->n_removed && xp->removed[r].entry == i; r++) {
            const cg__xpage_removed *d = &xp->removed[r];

            c->removed++;
            if (audited)
                st = cg__bankdb_audit(db, "signal_delete", d->facts.bank,
                                      json_pack("{s:I, s:s, s:s, s:I}", "bank_id",
                                                (json_int_t)d->facts.bank_id, "signal_type",
                                                d->facts.type, "value", d->facts.hex,
                                                "signal_id", (json_int_t)d->signal_id),
                                      err);
        }
    }
    return st;
}

/* Entries [from, to) (none key_unbounded), checked, cut into segments, each applied by the
 * backend's statements (or record by record where those would differ). */
static cg_status apply_region(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                              const char *source, const cg_exchange_page_entry *entries,
                              size_t from, size_t to, int64_t now, cg__xpage_ids *old,
                              cg_bank_signal *sig, cg_exchange_page_counts *counts,
                              cg_error *err)
{
    size_t slots = 16, nh = 0, i = from;
    cg__xpage_hash *hashes = NULL;
    cg_status st = CG_OK;
    seen t;

    /* Every check first, in page order: the first failing entry fails the page. */
    for (size_t k = from; st == CG_OK && k < to; k++) {
        const cg_exchange_page_entry *e = &entries[k];

        cg__xpage_signal_text(sig, source, e);
        st = check_entry(db, ex, e, sig, err);
        if (st == CG_OK)
            nh += e->deleted ? 1 : e->n_hashes + 1; /* at most 65 each: checked */
    }
    if (st != CG_OK || from == to)
        return st;
    while (slots < 2 * nh)
        slots *= 2;
    t.s = cg__calloc(slots, sizeof(*t.s));
    hashes = cg__calloc(nh, sizeof(*hashes));
    if (t.s == NULL || hashes == NULL) {
        cg__free(t.s);
        cg__free(hashes);
        return cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path, ex->name);
    }
    t.mask = slots - 1;
    t.gen = 0;
    while (st == CG_OK && i < to) {
        size_t j = i;
        cg__xpage xp;

        t.gen++;
        while (j < to && seen_join(&t, &entries[j]))
            j++;
        if (j == i) { /* a record listing a hash twice: record by record */
            st = cg__xpage_apply_generic(db, ex, bank, source, entries, i, i + 1, now, old, sig,
                                         counts, err);
            i++;
            continue;
        }
        memset(&xp, 0, sizeof(xp));
        xp.ex = ex;
        xp.entries = entries + i;
        xp.n = j - i;
        xp.source = source;
        xp.note_max = sizeof(sig->note) - 1;
        xp.now = now;
        xp.hashes = hashes;
        st = db->ops->exchange_page_apply(db, &xp, err);
        if (st == CG_OK && xp.generic)
            st = cg__xpage_apply_generic(db, ex, bank, source, entries, i, j, now, old, sig,
                                         counts, err);
        else if (st == CG_OK)
            st = record_segment(db, ex, bank, source, entries + i, &xp, sig, counts, err);
        cg__free(xp.removed);
        i = j;
    }
    cg__free(t.s);
    cg__free(hashes);
    return st;
}

/* The page by regions: a deletion whose key the checks did not bound goes record by record,
 * where it stands (its error, if the backend refuses the key, comes in the generic order). */
cg_status cg__xpage_apply_sets(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                               const char *source, const cg_exchange_page_entry *entries,
                               size_t n, int64_t now, cg__xpage_ids *old, cg_bank_signal *sig,
                               cg_exchange_page_counts *counts, cg_error *err)
{
    size_t i = 0;
    cg_status st = CG_OK;

    while (st == CG_OK && i < n) {
        size_t r = i;

        while (r < n && (entries[r].key == NULL || !key_unbounded(&entries[r])))
            r++;
        st = apply_region(db, ex, bank, source, entries, i, r, now, old, sig, counts, err);
        if (st == CG_OK && r < n)
            st = cg__xpage_apply_generic(db, ex, bank, source, entries, r, r + 1, now, old, sig,
                                         counts, err);
        i = r + 1;
    }
    return st;
}
