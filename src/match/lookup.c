/* Looking a signal up in one snapshot: search the main index and the delta, drop what the
 * delta supersedes, what is disabled, what the bank's threshold or the caller's bank filter
 * excludes; keep the nearest variant per signal; mark block matches suppressed when an allow
 * bank matched. See matcher.h for the semantics. */
#include "match/snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

static const cg_bank *bank_find(const cg__snapshot *s, int64_t id)
{
    size_t lo = 0, hi = s->n_banks;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->banks[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_banks && s->banks[lo].id == id ? &s->banks[lo] : NULL;
}

static int superseded(const cg__snapshot *s, int64_t signal_id)
{
    size_t lo = 0, hi = s->n_changes;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->changes[mid].entry.signal_id < signal_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_changes && s->changes[lo].entry.signal_id == signal_id;
}

static int bank_selected(const cg_bank *b, const cg_lookup_options *opt)
{
    if (opt == NULL || opt->banks == NULL)
        return 1;
    for (const char *const *n = opt->banks; *n != NULL; n++)
        if (strcmp(*n, b->name) == 0)
            return 1;
    return 0;
}

static int threshold_of(const cg_bank *b, const cg_signal_type *t, const cg_lookup_options *opt)
{
    if (opt != NULL && opt->max_distance >= 0)
        return opt->max_distance;
    return cg_bank_threshold_for(b, t);
}

typedef struct lookup_ctx {
    const cg__snapshot *s;
    const cg_signal_type *type;
    const cg_lookup_options *opt;
    int64_t now;
    cg_match_list *out;
} lookup_ctx;

static cg_status add_hit(lookup_ctx *c, const cg__entry *e, int distance, int variant)
{
    if (e->disabled_until > c->now)
        return CG_OK;
    const cg_bank *b = bank_find(c->s, e->bank_id);
    if (b == NULL || !b->enabled || !bank_selected(b, c->opt))
        return CG_OK;
    int thr = threshold_of(b, c->type, c->opt);
    if (distance > thr)
        return CG_OK;

    cg_match_list *out = c->out;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        cg_match *v = cg__realloc(out->v, cap * sizeof(*v));
        if (v == NULL)
            return CG_E_NOMEM;
        out->v = v;
        out->cap = cap;
    }
    cg_match *m = &out->v[out->n++];
    memset(m, 0, sizeof(*m));
    m->signal_id = e->signal_id;
    m->bank_id = b->id;
    memcpy(m->bank, b->name, sizeof(m->bank));
    memcpy(m->label, b->label, sizeof(m->label));
    m->kind = b->kind;
    m->type = c->type;
    m->distance = distance;
    m->threshold = thr;
    m->variant = variant;
    m->quality = e->quality;
    return CG_OK;
}

static cg_status search_part(lookup_ctx *c, const cg__part *p, int is_main, const uint8_t *value,
                             int radius, int variant, cg_index_hits *hits)
{
    cg_status st;

    hits->n = 0;
    if (p->pdq != NULL)
        st = cg_pdq_index_search(p->pdq, value, radius, hits);
    else if (p->exact != NULL)
        st = cg_exact_index_search(p->exact, value, hits);
    else
        return CG_OK;
    for (size_t i = 0; st == CG_OK && i < hits->n; i++) {
        const cg__entry *e = &p->entries[hits->v[i].id];
        if (is_main && superseded(c->s, e->signal_id))
            continue;
        st = add_hit(c, e, hits->v[i].distance, variant);
    }
    return st;
}

/* Orders by signal, nearest variant first, to keep one match per signal. */
static int signal_cmp(const void *a, const void *b)
{
    const cg_match *x = a, *y = b;
    if (x->signal_id != y->signal_id)
        return (x->signal_id > y->signal_id) - (x->signal_id < y->signal_id);
    if (x->distance != y->distance)
        return x->distance - y->distance;
    return x->variant - y->variant;
}

static int match_cmp(const void *a, const void *b)
{
    const cg_match *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance - y->distance;
    int c = strcmp(x->bank, y->bank);
    if (c != 0)
        return c;
    return (x->signal_id > y->signal_id) - (x->signal_id < y->signal_id);
}

cg_status cg__snapshot_lookup(const cg__snapshot *s, const cg_signal_type *type,
                              const uint8_t *values, size_t n_values,
                              const cg_lookup_options *opt, cg_match_list *out, cg_error *err)
{
    int ti = cg__type_index(type);
    if (ti < 0)
        return cg__fail(err, CG_E_INVAL, "unknown signal type");
    if (opt != NULL && opt->max_distance > type->max_distance)
        return cg__fail(err, CG_E_INVAL, "distance %d is out of range for %s (0..%d)",
                        opt->max_distance, type->name, type->max_distance);

    /* The radius is the largest threshold of the banks this lookup can match. */
    int radius = -1;
    for (size_t i = 0; i < s->n_banks; i++)
        if (s->banks[i].enabled && bank_selected(&s->banks[i], opt)) {
            int t = threshold_of(&s->banks[i], type, opt);
            radius = t > radius ? t : radius;
        }
    if (opt != NULL && opt->banks != NULL)
        for (const char *const *n = opt->banks; *n != NULL; n++) {
            int found = 0;
            for (size_t i = 0; i < s->n_banks && !found; i++)
                found = strcmp(s->banks[i].name, *n) == 0;
            if (!found)
                return cg__fail(err, CG_E_NOTFOUND, "no bank named '%s'", *n);
        }
    if (radius < 0)
        return CG_OK;

    lookup_ctx c = {s, type, opt, (int64_t)time(NULL), out};
    size_t first = out->n;
    cg_index_hits hits = {0};
    cg_status st = CG_OK;
    for (size_t v = 0; st == CG_OK && v < n_values; v++) {
        const uint8_t *value = values + v * type->bytes;
        st = search_part(&c, &s->main->parts[ti], 1, value, radius, (int)v, &hits);
        if (st == CG_OK)
            st = search_part(&c, &s->delta[ti], 0, value, radius, (int)v, &hits);
    }
    cg_index_hits_free(&hits);
    if (st != CG_OK)
        return cg__fail(err, st, "lookup failed: %s", cg_status_text(st));

    /* Several variants may find the same signal: keep its nearest. */
    if (n_values > 1 && out->n - first > 1) {
        qsort(out->v + first, out->n - first, sizeof(*out->v), signal_cmp);
        size_t w = first;
        for (size_t i = first; i < out->n; i++)
            if (w == first || out->v[w - 1].signal_id != out->v[i].signal_id)
                out->v[w++] = out->v[i];
        out->n = w;
    }

    int allowed = 0;
    for (size_t i = first; i < out->n; i++)
        allowed |= out->v[i].kind == CG_BANK_ALLOW;
    for (size_t i = first; allowed && i < out->n; i++)
        out->v[i].suppressed = out->v[i].kind == CG_BANK_BLOCK;
    if (out->n - first > 1)
        qsort(out->v + first, out->n - first, sizeof(*out->v), match_cmp);
    return CG_OK;
}
