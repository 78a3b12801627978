/* Looking a signal up in one snapshot: search the main index and the delta, drop what the
 * delta supersedes, what is disabled (unless asked to keep it, marked), what the bank's threshold
 * or the caller's bank filter excludes; keep the nearest variant per signal; mark low-quality
 * PDQ matches; mark block matches suppressed when an allow bank matched with a match that is
 * itself acted on. See matcher.h for the semantics. */
#include "match/snapshot.h"

#include <stdint.h>
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

static int include_disabled(const cg_lookup_options *opt)
{
    return opt != NULL && opt->include_disabled;
}

static cg_status add_hit(lookup_ctx *c, const cg__entry *e, int distance, int variant)
{
    const int disabled_signal = e->disabled_until > c->now;
    if (disabled_signal && !include_disabled(c->opt))
        return CG_OK;
    const cg_bank *b = bank_find(c->s, e->bank_id);
    if (b == NULL || (!b->enabled && !include_disabled(c->opt)) || !bank_selected(b, c->opt))
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
    m->disabled = disabled_signal || !b->enabled;
    if (c->type->name != NULL && strcmp(c->type->name, "pdq") == 0) {
        m->min_quality = cg_bank_pdq_min_quality(b);
        m->low_quality = (e->quality >= 0 && e->quality < m->min_quality) ||
                         (c->opt != NULL && c->opt->has_query_quality &&
                          c->opt->query_quality < m->min_quality);
    }
    m->suppressed = m->disabled || m->low_quality;
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
    if (ti == cg__vpdq_type_index())
        return cg__fail(err, CG_E_INVAL,
                        "vpdq signals are videos: look them up with cg_matcher_lookup_video");
    if (opt != NULL && opt->max_distance > type->max_distance)
        return cg__fail(err, CG_E_INVAL, "distance %d is out of range for %s (0..%d)",
                        opt->max_distance, type->name, type->max_distance);

    /* The radius is the largest threshold of the banks this lookup can match. */
    int radius = -1;
    for (size_t i = 0; i < s->n_banks; i++)
        if ((s->banks[i].enabled || include_disabled(opt)) && bank_selected(&s->banks[i], opt)) {
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

    cg_match_list_apply_allow(out, first);
    if (out->n - first > 1)
        qsort(out->v + first, out->n - first, sizeof(*out->v), match_cmp);
    return CG_OK;
}

/* ---- videos ---- */

/* What a video lookup knows of one stored video once its first hit is seen. */
typedef struct video_state {
    int state;          /* 0 not seen, 1 eligible, -1 excluded (deleted, disabled, bank) */
    uint32_t last_q;    /* 1 + the query frame that last counted for it */
    uint32_t qhits;     /* distinct query frames matched */
    uint32_t thits;     /* distinct stored frames matched */
    int best;
    int thr;
    const cg__entry *e;
    const cg_bank *b;
} video_state;

static const cg__change *change_find(const cg__snapshot *s, int64_t signal_id)
{
    size_t lo = 0, hi = s->n_changes;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->changes[mid].entry.signal_id < signal_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_changes && s->changes[lo].entry.signal_id == signal_id ? &s->changes[lo]
                                                                            : NULL;
}

/* Decides whether video v can match at all: its current state (the delta's when it changed),
 * its bank, the bank filter. */
static void video_resolve(const cg__snapshot *s, const cg_signal_type *type, int vt, uint32_t v,
                          const cg_video_match_options *o, int64_t now, video_state *vs)
{
    const cg__entry *e = &s->main->parts[vt].entries[v];
    const cg__change *c = change_find(s, e->signal_id);
    cg_lookup_options lo = {.banks = o->banks, .max_distance = o->max_distance};

    vs->state = -1;
    if (c != NULL) {
        if (c->type_index != vt)
            return; /* deleted */
        e = &c->entry;
    }
    if (e->disabled_until > now)
        return;
    const cg_bank *b = bank_find(s, e->bank_id);
    if (b == NULL || !b->enabled || !bank_selected(b, &lo))
        return;
    vs->state = 1;
    vs->e = e;
    vs->b = b;
    vs->thr = threshold_of(b, type, &lo);
    vs->best = INT32_MAX;
}

static int hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Most-matched first: query share, then target share, then best distance. */
static int video_match_cmp(const void *a, const void *b)
{
    const cg_match *x = a, *y = b;
    if (x->query_percent != y->query_percent)
        return x->query_percent < y->query_percent ? 1 : -1;
    if (x->target_percent != y->target_percent)
        return x->target_percent < y->target_percent ? 1 : -1;
    return match_cmp(a, b);
}

static int video_passes(const video_state *vs, size_t nq, uint32_t count,
                        const cg_video_match_options *o, double *qp, double *tp)
{
    if (vs->state != 1 || vs->qhits == 0 || count == 0)
        return 0;
    *qp = cg_vpdq_percent(vs->qhits, nq);
    *tp = cg_vpdq_percent(vs->thits, count);
    return *qp >= o->query_percent && *tp >= o->target_percent;
}

cg_status cg__snapshot_lookup_video(const cg__snapshot *s, const cg_vpdq_frame *frames, size_t n,
                                    const cg_video_match_options *o, cg_match_list *out,
                                    cg_error *err)
{
    const cg_signal_type *type = cg_signal_type_find("vpdq");
    const int vt = cg__vpdq_type_index();
    cg_lookup_options lo = {.banks = o->banks, .max_distance = o->max_distance};
    const cg__videos *vids = &s->main->videos;
    uint8_t *q = NULL;
    uint8_t *tseen = NULL;
    video_state *vs = NULL;
    cg_index_hits hits = {0};
    cg_status st = CG_OK;
    size_t nq = 0, first = out->n;
    int radius = -1, allow_possible = 0;

    if (type == NULL || vt < 0)
        return cg__fail(err, CG_E_UNSUPPORTED, "no vpdq signal type in this build");
    if (o->max_distance > type->max_distance || o->quality < 0 || o->quality > 100 ||
        !(o->query_percent >= 0 && o->query_percent <= 100) ||
        !(o->target_percent >= 0 && o->target_percent <= 100))
        return cg__fail(err, CG_E_INVAL, "invalid video match options (distance 0..256, "
                                         "quality 0..100, percentages 0..100)");
    if (o->banks != NULL)
        for (const char *const *nm = o->banks; *nm != NULL; nm++) {
            int found = 0;
            for (size_t i = 0; i < s->n_banks && !found; i++)
                found = strcmp(s->banks[i].name, *nm) == 0;
            if (!found)
                return cg__fail(err, CG_E_NOTFOUND, "no bank named '%s'", *nm);
        }
    for (size_t i = 0; i < s->n_banks; i++)
        if (s->banks[i].enabled && bank_selected(&s->banks[i], &lo)) {
            int t = threshold_of(&s->banks[i], type, &lo);
            radius = t > radius ? t : radius;
            allow_possible |= s->banks[i].kind == CG_BANK_ALLOW;
        }
    const cg__part *part = &s->main->parts[vt];
    if (radius < 0 || part->n == 0 || vids->frames == NULL || n == 0)
        return CG_OK;

    /* The query: frames of enough quality, each distinct hash once (as python-threatexchange's
     * prepare_vpdq_feature). */
    q = cg__malloc_array(n, 32);
    if (q == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory in a video lookup");
    for (size_t i = 0; i < n; i++) {
        if (frames[i].quality < o->quality)
            continue;
        cg_pdq_to_bytes(&frames[i].hash, q + nq * CG_PDQ_BYTES);
        nq++;
    }
    if (nq > 1) {
        qsort(q, nq, 32, hash_cmp);
        size_t w = 0;
        for (size_t i = 0; i < nq; i++)
            if (w == 0 || memcmp(q + (w - 1) * 32, q + i * 32, 32) != 0)
                memmove(q + (w++) * 32, q + i * 32, 32);
        nq = w;
    }
    if (nq == 0 || nq > UINT32_MAX - 1)
        goto done;

    vs = cg__calloc(part->n, sizeof(*vs));
    tseen = cg__calloc(vids->n_frames > 0 ? vids->n_frames : 1, 1);
    if (vs == NULL || tseen == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "out of memory in a video lookup");
        goto done;
    }
    const int early = o->early_exit && !allow_possible;
    const int64_t now = (int64_t)time(NULL);
    for (size_t qi = 0; qi < nq; qi++) {
        int passed = 0;

        hits.n = 0;
        st = cg_pdq_index_search(vids->frames, q + qi * 32, radius, &hits);
        if (st != CG_OK) {
            st = cg__fail(err, st, "video lookup failed: %s", cg_status_text(st));
            goto done;
        }
        for (size_t h = 0; h < hits.n; h++) {
            const size_t slot = (size_t)hits.v[h].id;
            const uint32_t v = vids->owner[slot];
            video_state *x = &vs[v];
            double qp, tp;

            if (x->state == 0)
                video_resolve(s, type, vt, v, o, now, x);
            if (x->state != 1 || hits.v[h].distance > x->thr)
                continue;
            if (x->last_q != qi + 1) {
                x->last_q = (uint32_t)(qi + 1);
                x->qhits++;
            }
            if (!tseen[slot]) {
                tseen[slot] = 1;
                x->thits++;
            }
            if (hits.v[h].distance < x->best)
                x->best = hits.v[h].distance;
            if (early && video_passes(x, nq, vids->count[v], o, &qp, &tp))
                passed = 1;
        }
        if (passed)
            break;
    }

    for (uint32_t v = 0; v < part->n; v++) {
        double qp, tp;
        if (!video_passes(&vs[v], nq, vids->count[v], o, &qp, &tp))
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 8;
            cg_match *mv = cg__realloc(out->v, cap * sizeof(*mv));
            if (mv == NULL) {
                st = cg__fail(err, CG_E_NOMEM, "out of memory in a video lookup");
                goto done;
            }
            out->v = mv;
            out->cap = cap;
        }
        cg_match *m = &out->v[out->n++];
        memset(m, 0, sizeof(*m));
        m->signal_id = vs[v].e->signal_id;
        m->bank_id = vs[v].b->id;
        memcpy(m->bank, vs[v].b->name, sizeof(m->bank));
        memcpy(m->label, vs[v].b->label, sizeof(m->label));
        m->kind = vs[v].b->kind;
        m->type = type;
        m->distance = vs[v].best;
        m->threshold = vs[v].thr;
        m->quality = vs[v].e->quality;
        m->query_percent = qp;
        m->target_percent = tp;
    }
    cg_match_list_apply_allow(out, first);
    if (out->n - first > 1)
        qsort(out->v + first, out->n - first, sizeof(*out->v), video_match_cmp);
done:
    cg_index_hits_free(&hits);
    cg__free(q);
    cg__free(vs);
    cg__free(tseen);
    return st;
}
