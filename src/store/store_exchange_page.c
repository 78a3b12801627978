/* A fetched page's records into an exchange's bank, as one batch inside the page's write
 * transaction (cg_exchange_page_apply, exchange_store.h; the exchange layer's
 * cg_exchange_apply_page drives it between cg_exchange_page_begin and _commit).
 *
 * Same rules as a record applied through cg_bank_signal_add / cg_bank_signal_delete and the
 * link ops one by one, without their per-signal cost: no savepoint per signal (the page's
 * transaction is the unit: a failure rolls it all back), the bank's name for the audit
 * records read once per page instead of once per signal, and the backend's statements
 * prepared once per handle (sqlite_exchange.c keeps them). */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_audit.h"

/* The hashes one record may list (apply_entry keeps their ids on the stack). */
#define CG__PAGE_MAX_HASHES 64

typedef struct ids {
    int64_t *v;
    size_t n, cap;
    int nomem;
} ids;

static int collect(int64_t signal_id, int owned, void *ud)
{
    ids *l = ud;

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

/* cg_bank_signal_delete's work and record, inside the open transaction; a signal deleted
 * meanwhile (its links went with it) is not an error. *gone: it was deleted here. */
static cg_status delete_signal(cg_bankdb *db, int64_t id, int *gone, cg_error *err)
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

/* A text field of an entry: at most CG_BANK_FIELD_MAX bytes of UTF-8 (NULL is ""). */
static int field_ok(const char *s)
{
    if (s == NULL)
        return 1;
    const size_t n = strnlen(s, CG_BANK_FIELD_MAX + 1);

    return n <= CG_BANK_FIELD_MAX && cg__utf8_valid(s, n);
}

/* A record's own checks, before its hashes: a key, provenance text within bounds (checked where
 * cg_exchange_page_link checks them: before the first link, so a deletion of a key with odd
 * provenance text only unlinks) and a hash count within CG__PAGE_MAX_HASHES. */
static cg_status check_record(cg_bankdb *db, const cg_exchange_info *ex,
                              const cg_exchange_page_entry *e, cg_error *err)
{
    if (e->key == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_page_apply: an entry without a key");
    if (!e->deleted && e->n_hashes > 0 &&
        (e->key[0] == '\0' || !field_ok(e->key) || !field_ok(e->member) ||
         !field_ok(e->entry_id) || !field_ok(e->classification)))
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
                             ids *old, cg_bank_signal *sig, cg_exchange_page_counts *c,
                             cg_error *err)
{
    int64_t now_ids[CG__PAGE_MAX_HASHES];
    size_t n_now = 0;
    cg_status st;

    st = check_record(db, ex, e, err);
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
            st = delete_signal(db, old->v[i], &gone, err);
        if (st != CG_OK)
            return st;
        c->removed += (uint64_t)gone;
    }
    return CG_OK;
}

/* ---- set-based, where the backend has it (exchange_page_apply) ---------------------------- */

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

/* apply_entry's checks, all of them, before anything is sent (the set-based path writes a
 * whole segment at once; the first failing entry gives the generic path's error). */
static cg_status check_entry(cg_bankdb *db, const cg_exchange_info *ex,
                             const cg_exchange_page_entry *e, cg_bank_signal *sig,
                             cg_error *err)
{
    cg_status st = check_record(db, ex, e, err);

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
    return (e->deleted || e->n_hashes == 0) && (e->key[0] == '\0' || !field_ok(e->key));
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

/* 1 when the page goes record by record even where the backend has a set-based apply
 * (CG_EXCHANGE_PAGE_APPLY=generic: the comparison test and the bench's "before"). */
static int generic_forced(void)
{
    const char *v = getenv("CG_EXCHANGE_PAGE_APPLY");

    return v != NULL && strcmp(v, "generic") == 0;
}

static cg_status apply_generic(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                               const char *source, const cg_exchange_page_entry *entries,
                               size_t from, size_t to, int64_t now, ids *old,
                               cg_bank_signal *sig, cg_exchange_page_counts *counts,
                               cg_error *err)
{
    cg_status st = CG_OK;

    for (size_t i = from; st == CG_OK && i < to; i++) {
        const cg_exchange_page_entry *e = &entries[i];

        snprintf(sig->source, sizeof(sig->source), "%s", source);
        snprintf(sig->external_id, sizeof(sig->external_id), "%s", e->key != NULL ? e->key : "");
        snprintf(sig->note, sizeof(sig->note), "%s", e->note != NULL ? e->note : "");
        st = apply_entry(db, ex, bank, e, now, old, sig, counts, err);
    }
    return st;
}

/* Entries [from, to) (none key_unbounded), checked, cut into segments, each applied by the
 * backend's statements (or record by record where those would differ). */
static cg_status apply_region(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                              const char *source, const cg_exchange_page_entry *entries,
                              size_t from, size_t to, int64_t now, ids *old,
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

        snprintf(sig->source, sizeof(sig->source), "%s", source);
        snprintf(sig->external_id, sizeof(sig->external_id), "%s", e->key != NULL ? e->key : "");
        snprintf(sig->note, sizeof(sig->note), "%s", e->note != NULL ? e->note : "");
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
            st = apply_generic(db, ex, bank, source, entries, i, i + 1, now, old, sig, counts,
                               err);
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
            st = apply_generic(db, ex, bank, source, entries, i, j, now, old, sig, counts,
                               err);
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
static cg_status apply_sets(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                            const char *source, const cg_exchange_page_entry *entries, size_t n,
                            int64_t now, ids *old, cg_bank_signal *sig,
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
            st = apply_generic(db, ex, bank, source, entries, r, r + 1, now, old, sig, counts,
                               err);
        i = r + 1;
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
    ids old;
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
        st = apply_sets(db, ex, bank.name, source, entries, n, now, &old, sig, counts, err);
    else
        st = apply_generic(db, ex, bank.name, source, entries, 0, n, now, &old, sig, counts,
                           err);
    cg__free(old.v);
    cg__free(sig);
    if (st != CG_OK)
        memset(counts, 0, sizeof(*counts));
    return st;
}

/* ---- a full refetch: mark, then sweep ---------------------------------------------------- */

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
            st = delete_signal(db, sl.ids[i], &gone, err);
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
