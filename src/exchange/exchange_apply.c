/* Applying one page of an exchange to its bank through the public bank API (bank.h).
 *
 * Provenance goes where the bank API has room for it: source "exchange:<name>", external_id
 * the record's key, note "member=..; entry=..; class=..". This is the store-less path, for a
 * caller that keeps its own checkpoints; an exchange kept in the store is applied by
 * exchange_page.c, with provenance links and its checkpoint in one transaction. Here:
 *   - a record's stored signals are found by one pass over the bank per page (external_id and
 *     source compared), not by an index;
 *   - a value that two entries share belongs to the first one that added it (the second is
 *     merged into it); deleting the first entry deletes the value.
 * Only the last record of a key in the page counts: earlier ones were superseded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

typedef struct stored {
    int64_t id;
    size_t key;                        /* index into the page's sorted keys */
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
} stored;

typedef struct scan {
    const char **keys;  /* sorted, unique */
    size_t n_keys;
    const char *source;
    stored *found;
    size_t n_found, cap_found;
    int nomem;
} scan;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static long key_index(const scan *s, const char *key)
{
    const char **hit = bsearch(&key, s->keys, s->n_keys, sizeof(*s->keys), cmp_str);

    return hit != NULL ? (long)(hit - s->keys) : -1;
}

static int collect(const cg_bank_signal *sig, void *ud)
{
    scan *s = ud;
    long k;

    if (strcmp(sig->source, s->source) != 0)
        return 0;
    k = key_index(s, sig->external_id);
    if (k < 0)
        return 0;
    if (s->n_found == s->cap_found) {
        size_t cap = s->cap_found ? s->cap_found * 2 : 64;
        stored *grown = cg__realloc(s->found, cap * sizeof(*grown));

        if (grown == NULL) {
            s->nomem = 1;
            return 1;
        }
        s->found = grown;
        s->cap_found = cap;
    }
    s->found[s->n_found].id = sig->id;
    s->found[s->n_found].key = (size_t)k;
    s->found[s->n_found].type = sig->type;
    memcpy(s->found[s->n_found].value, sig->value, CG_SIGNAL_MAX_BYTES);
    s->n_found++;
    return 0;
}

static int record_lists(const cg_exchange_record *r, const stored *f)
{
    for (size_t i = 0; i < r->n_hashes; i++)
        if (r->hashes[i].type == f->type &&
            memcmp(r->hashes[i].value, f->value, f->type->bytes) == 0)
            return 1;
    return 0;
}

cg_status cg_exchange_apply(cg_bankdb *db, int64_t bank_id, const char *exchange,
                            const cg_exchange_delta *d, cg_exchange_apply_report *rep,
                            cg_error *err)
{
    char source[CG_BANK_FIELD_MAX + 1];
    const cg_exchange_record **last = NULL; /* per sorted key: its last record in the page */
    scan s;
    cg_status st = CG_OK;
    size_t n;

    memset(rep, 0, sizeof(*rep));
    memset(&s, 0, sizeof(s));
    if (exchange == NULL || strlen(exchange) + 9 > CG_BANK_FIELD_MAX)
        return cg__fail(err, CG_E_INVAL, "exchange apply: exchange name missing or too long");
    snprintf(source, sizeof(source), "exchange:%s", exchange);
    s.source = source;
    if (d->n_records == 0)
        return CG_OK;
    s.keys = cg__malloc_array(d->n_records, sizeof(*s.keys));
    last = cg__calloc(d->n_records, sizeof(*last));
    if (s.keys == NULL || last == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", exchange);
        goto done;
    }
    for (size_t i = 0; i < d->n_records; i++) {
        if (strlen(d->records[i].key) > CG_BANK_FIELD_MAX) {
            st = cg__fail(err, CG_E_INVAL, "exchange %s: key longer than %d bytes", exchange,
                          CG_BANK_FIELD_MAX);
            goto done;
        }
        s.keys[i] = d->records[i].key;
    }
    qsort(s.keys, d->n_records, sizeof(*s.keys), cmp_str);
    n = 0;
    for (size_t i = 0; i < d->n_records; i++)
        if (n == 0 || strcmp(s.keys[n - 1], s.keys[i]) != 0)
            s.keys[n++] = s.keys[i];
    s.n_keys = n;
    for (size_t i = 0; i < d->n_records; i++)
        last[key_index(&s, d->records[i].key)] = &d->records[i];

    st = cg_bank_signal_foreach(db, bank_id, NULL, collect, &s, err);
    if (st == CG_OK && s.nomem)
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", exchange);
    if (st != CG_OK)
        goto done;

    /* Deletions first: the stored signals of deleted keys, and those an upserted key dropped. */
    for (size_t i = 0; i < s.n_found; i++) {
        const cg_exchange_record *r = last[s.found[i].key];

        if (!r->deleted && record_lists(r, &s.found[i]))
            continue;
        st = cg_bank_signal_delete(db, s.found[i].id, err);
        if (st == CG_E_NOTFOUND) {
            st = CG_OK;
            continue;
        }
        if (st != CG_OK)
            goto done;
        rep->removed++;
    }
    /* Then the upserts, in page order (the last record of each key only). */
    for (size_t i = 0; i < d->n_records; i++) {
        const cg_exchange_record *r = &d->records[i];

        if (r->deleted || last[key_index(&s, r->key)] != r)
            continue;
        if (r->n_hashes == 0) {
            rep->skipped++;
            continue;
        }
        for (size_t h = 0; h < r->n_hashes; h++) {
            cg_bank_signal sig;
            int merged = 0;

            memset(&sig, 0, sizeof(sig));
            sig.bank_id = bank_id;
            sig.type = r->hashes[h].type;
            memcpy(sig.value, r->hashes[h].value, sig.type->bytes);
            sig.quality = -1;
            snprintf(sig.source, sizeof(sig.source), "%s", source);
            snprintf(sig.external_id, sizeof(sig.external_id), "%s", r->key);
            snprintf(sig.note, sizeof(sig.note), "member=%.200s; entry=%.200s; class=%.200s",
                     r->member, r->entry_id, r->classification);
            st = cg_bank_signal_add(db, &sig, &merged, err);
            if (st != CG_OK)
                goto done;
            if (merged)
                rep->merged++;
            else
                rep->added++;
        }
    }
done:
    cg__free(s.found);
    cg__free(s.keys);
    cg__free(last);
    return st;
}
