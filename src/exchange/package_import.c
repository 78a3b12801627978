/* Importing a verified package into a bank through the public bank API: adds (source
 * "package:<producer>"), then removals, then disables; a full list (no base sequence) also
 * removes the producer's signals it no longer lists, so removals are honoured either way.
 * The sequence is recorded for the signing key only after everything applied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "package_int.h"

typedef struct value_key {
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
} value_key;

typedef struct import_ctx {
    cg_bankdb *db;
    int64_t bank_id;
    cg_package_kind kind;
    const char *source;
    cg_package_import_report *rep;
    cg_error *err;
    value_key *listed;  /* the adds of a full list, sorted */
    size_t n_listed, cap_listed;
    int64_t *stale;     /* the producer's signals a full list no longer holds */
    size_t n_stale, cap_stale;
    int nomem;
} import_ctx;

static int cmp_value(const void *a, const void *b)
{
    const value_key *x = a, *y = b;
    int c = strcmp(x->type->name, y->type->name);

    return c != 0 ? c : memcmp(x->value, y->value, CG_SIGNAL_MAX_BYTES);
}

static cg_status apply_line(const char *line, size_t n, uint64_t lineno, void *ud)
{
    import_ctx *c = ud;
    cg__package_line l;
    cg_bank_signal s;
    char why[160];
    cg_status st;

    (void)lineno; /* every line was checked when the package was opened */
    if (cg__package_line_parse(c->kind, line, n, &l, why, sizeof(why)) != CG_OK)
        return cg__fail(c->err, CG_E_INVAL, "line %llu: %s", (unsigned long long)lineno, why);
    if (c->kind == CG_PACKAGE_ADDS) {
        int merged = 0;

        memset(&s, 0, sizeof(s));
        s.bank_id = c->bank_id;
        s.type = l.type;
        memcpy(s.value, l.value, sizeof(s.value));
        s.quality = -1;
        snprintf(s.source, sizeof(s.source), "%s", c->source);
        memcpy(s.external_id, l.external_id, sizeof(s.external_id));
        memcpy(s.note, l.note, sizeof(s.note));
        st = cg_bank_signal_add(c->db, &s, &merged, c->err);
        if (st != CG_OK)
            return st;
        if (merged)
            c->rep->merged++;
        else
            c->rep->added++;
        if (c->listed != NULL || c->cap_listed > 0) {
            if (c->n_listed == c->cap_listed) {
                size_t cap = c->cap_listed * 2;
                value_key *g = cg__realloc(c->listed, cap * sizeof(*g));

                if (g == NULL)
                    return cg__fail(c->err, CG_E_NOMEM, "package import: out of memory");
                c->listed = g;
                c->cap_listed = cap;
            }
            memset(&c->listed[c->n_listed], 0, sizeof(c->listed[0]));
            c->listed[c->n_listed].type = l.type;
            memcpy(c->listed[c->n_listed].value, l.value, l.type->bytes);
            c->n_listed++;
        }
        return CG_OK;
    }
    st = cg_bank_signal_find(c->db, c->bank_id, l.type, l.value, &s, c->err);
    if (st == CG_E_NOTFOUND) {
        c->rep->missing++;
        return CG_OK;
    }
    if (st != CG_OK)
        return st;
    if (c->kind == CG_PACKAGE_REMOVALS) {
        st = cg_bank_signal_delete(c->db, s.id, c->err);
        if (st == CG_OK)
            c->rep->removed++;
    } else {
        st = cg_bank_signal_set_disabled(c->db, s.id, l.until, c->err);
        if (st == CG_OK)
            c->rep->disabled++;
    }
    return st;
}

static int find_stale(const cg_bank_signal *s, void *ud)
{
    import_ctx *c = ud;
    value_key k;

    if (strcmp(s->source, c->source) != 0)
        return 0;
    memset(&k, 0, sizeof(k));
    k.type = s->type;
    memcpy(k.value, s->value, s->type->bytes);
    if (bsearch(&k, c->listed, c->n_listed, sizeof(k), cmp_value) != NULL)
        return 0;
    if (c->n_stale == c->cap_stale) {
        size_t cap = c->cap_stale ? c->cap_stale * 2 : 64;
        int64_t *g = cg__realloc(c->stale, cap * sizeof(*g));

        if (g == NULL) {
            c->nomem = 1;
            return 1;
        }
        c->stale = g;
        c->cap_stale = cap;
    }
    c->stale[c->n_stale++] = s->id;
    return 0;
}

cg_status cg_package_import(cg_bankdb *db, int64_t bank_id, const char *dir,
                            const cg_package_trust *trust, cg_package_import_report *rep,
                            cg_error *err)
{
    char source[CG_BANK_FIELD_MAX + 1];
    cg__package p;
    import_ctx c;
    cg_status st;

    memset(rep, 0, sizeof(*rep));
    memset(&c, 0, sizeof(c));
    st = cg__package_open(dir, trust, &p, err);
    if (st != CG_OK)
        return st;
    snprintf(source, sizeof(source), "package:%s", p.m.producer);
    c.db = db;
    c.bank_id = bank_id;
    c.source = source;
    c.rep = rep;
    c.err = err;
    if (p.m.base_sequence < 0) {
        c.cap_listed = 64;
        c.listed = cg__malloc_array(c.cap_listed, sizeof(*c.listed));
        if (c.listed == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "package import: out of memory");
            goto done;
        }
    }
    for (int k = 0; k < CG_PACKAGE_MAX_FILES && st == CG_OK; k++) {
        for (size_t i = 0; i < p.m.n_files && st == CG_OK; i++) {
            if ((int)p.m.files[i].kind != k)
                continue;
            c.kind = (cg_package_kind)k;
            st = cg__package_each_line((const char *)p.payload[i], p.payload_len[i], apply_line,
                                       &c);
        }
    }
    if (st == CG_OK && c.listed != NULL) {
        qsort(c.listed, c.n_listed, sizeof(*c.listed), cmp_value);
        st = cg_bank_signal_foreach(db, bank_id, NULL, find_stale, &c, err);
        if (st == CG_OK && c.nomem)
            st = cg__fail(err, CG_E_NOMEM, "package import: out of memory");
        for (size_t i = 0; st == CG_OK && i < c.n_stale; i++) {
            st = cg_bank_signal_delete(db, c.stale[i], err);
            if (st == CG_OK)
                rep->removed++;
        }
    }
    if (st == CG_OK)
        st = cg__package_state_put(trust, p.key_id, p.m.sequence, err);
done:
    cg__free(c.listed);
    cg__free(c.stale);
    cg__package_close(&p);
    return st;
}
