/* Building the immutable parts of a matcher's view: main indexes from the whole database,
 * deltas from the changed signals, and the bank table. See snapshot.h. */
#include "match/snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

int cg__type_index(const cg_signal_type *t)
{
    for (size_t i = 0; i < cg_signal_type_count() && i < CG__MAX_TYPES; i++)
        if (cg_signal_type_at(i) == t)
            return (int)i;
    return -1;
}

int cg__vpdq_type_index(void)
{
    return cg__type_index(cg_signal_type_find("vpdq"));
}

static int is_exact(const cg_signal_type *t)
{
    return t->max_distance <= 1;
}

static void part_free(cg__part *p)
{
    cg_pdq_index_destroy(p->pdq);
    cg_exact_index_destroy(p->exact);
    cg__free(p->entries);
    cg__free(p->values);
    memset(p, 0, sizeof(*p));
}

/* Indexes p->values / p->entries (n of them, already filled) for type t. */
static cg_status part_index(cg__part *p, const cg_signal_type *t, cg_index_kind kind,
                            cg_error *err)
{
    if (is_exact(t))
        return cg_exact_index_build(p->values, t->bytes, NULL, p->n, &p->exact, err);
    cg_index_options o = {.kind = kind, .tuned_radius = 0};
    return cg_pdq_index_build(p->values, NULL, p->n, &o, &p->pdq, err);
}

/* ---- videos (the frames of the vpdq signals) ---- */

typedef struct video_frames {
    uint8_t *values;     /* 32 bytes per frame slot */
    uint32_t *owner;
    size_t n, cap;
    size_t video_first;  /* first slot of the video being read */
    uint32_t video;
    int nomem;
} video_frames;

static int collect_frame(const cg_vpdq_frame *f, void *ud)
{
    video_frames *vf = ud;

    if (f->quality < CG_VPDQ_QUALITY_TOLERANCE)
        return 0;
    if (vf->n == vf->cap) {
        size_t cap = vf->cap ? vf->cap * 2 : 4096;
        uint8_t *v = cg__realloc(vf->values, cap * 32);
        if (v == NULL) {
            vf->nomem = 1;
            return 1;
        }
        vf->values = v;
        uint32_t *o = cg__realloc(vf->owner, cap * sizeof(*o));
        if (o == NULL) {
            vf->nomem = 1;
            return 1;
        }
        vf->owner = o;
        vf->cap = cap;
    }
    cg_pdq_to_bytes(&f->hash, vf->values + vf->n * CG_PDQ_BYTES);
    vf->owner[vf->n++] = vf->video;
    return 0;
}

static int value_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Sorts the slots of the video just read and drops repeated hashes. */
static void dedupe_video(video_frames *vf)
{
    uint8_t *first = vf->values + vf->video_first * 32;
    size_t n = vf->n - vf->video_first, w = 0;

    if (n < 2)
        return;
    qsort(first, n, 32, value_cmp);
    for (size_t i = 0; i < n; i++)
        if (w == 0 || memcmp(first + (w - 1) * 32, first + i * 32, 32) != 0) {
            if (w != i)
                memcpy(first + w * 32, first + i * 32, 32);
            w++;
        }
    vf->n = vf->video_first + w;
}

/* Reads the frames of the n vpdq entries and indexes them into v. */
static cg_status videos_build(cg_bankdb *db, const cg__part *p, cg_index_kind kind,
                              cg__videos *v, cg_error *err)
{
    video_frames vf;
    cg_status st = CG_OK;

    memset(&vf, 0, sizeof(vf));
    if (p->n == 0)
        return CG_OK;
    if (p->n > UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "too many vpdq signals");
    v->count = cg__calloc(p->n, sizeof(*v->count));
    if (v->count == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory reading vpdq frames");
    for (size_t i = 0; st == CG_OK && i < p->n; i++) {
        cg_error e;

        vf.video = (uint32_t)i;
        vf.video_first = vf.n;
        st = cg_bank_vpdq_frames(db, p->entries[i].signal_id, collect_frame, &vf, &e);
        if (st == CG_E_NOTFOUND) {
            st = CG_OK; /* deleted since the signal was read: the delta says so */
            vf.n = vf.video_first;
        } else if (st != CG_OK && err != NULL) {
            *err = e;
        }
        if (st == CG_OK && vf.nomem)
            st = cg__fail(err, CG_E_NOMEM, "out of memory reading vpdq frames");
        if (st == CG_OK) {
            dedupe_video(&vf);
            v->count[i] = (uint32_t)(vf.n - vf.video_first);
        }
    }
    if (st == CG_OK) {
        cg_index_options o = {.kind = kind, .tuned_radius = 0};
        st = cg_pdq_index_build(vf.values, NULL, vf.n, &o, &v->frames, err);
    }
    cg__free(vf.values);
    if (st != CG_OK) {
        cg__free(vf.owner);
        return st;
    }
    v->owner = vf.owner;
    v->n_frames = vf.n;
    return CG_OK;
}

static void videos_free(cg__videos *v)
{
    cg_pdq_index_destroy(v->frames);
    cg__free(v->owner);
    cg__free(v->count);
    memset(v, 0, sizeof(*v));
}

int cg__main_has_video(const cg__main *m, int64_t signal_id)
{
    int vt = cg__vpdq_type_index();
    if (vt < 0)
        return 0;
    const cg__part *p = &m->parts[vt];
    size_t lo = 0, hi = p->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->entries[mid].signal_id < signal_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && p->entries[lo].signal_id == signal_id;
}

/* ---- main ---- */

typedef struct growing {
    cg__part parts[CG__MAX_TYPES];
    size_t cap[CG__MAX_TYPES];
    int nomem;
} growing;

static int collect_signal(const cg_bank_signal *s, void *ud)
{
    growing *g = ud;
    int ti = cg__type_index(s->type);

    if (ti < 0)
        return 0;
    cg__part *p = &g->parts[ti];
    if (p->n == g->cap[ti]) {
        size_t cap = g->cap[ti] ? g->cap[ti] * 2 : 1024;
        cg__entry *e = cg__realloc(p->entries, cap * sizeof(*e));
        if (e == NULL) {
            g->nomem = 1;
            return 1;
        }
        p->entries = e;
        uint8_t *v = cg__realloc(p->values, cap * s->type->bytes);
        if (v == NULL) {
            g->nomem = 1;
            return 1;
        }
        p->values = v;
        g->cap[ti] = cap;
    }
    p->entries[p->n] = (cg__entry){s->id, s->disabled_until, s->bank_id, s->quality};
    memcpy(p->values + p->n * s->type->bytes, s->value, s->type->bytes);
    p->n++;
    return 0;
}

cg_status cg__main_build(cg_bankdb *db, cg_index_kind kind, cg__main **out, cg_error *err)
{
    growing g;
    int64_t seq;
    cg_status st;

    memset(&g, 0, sizeof(g));
    *out = NULL;
    st = cg_bankdb_change_seq(db, &seq, err);
    if (st != CG_OK)
        return st;
    st = cg_bank_signal_foreach(db, 0, NULL, collect_signal, &g, err);
    if (st == CG_OK && g.nomem)
        st = cg__fail(err, CG_E_NOMEM, "out of memory reading the banks");

    cg__main *m = NULL;
    if (st == CG_OK) {
        m = cg__calloc(1, sizeof(*m));
        if (m == NULL)
            st = cg__fail(err, CG_E_NOMEM, "out of memory building the index");
    }
    for (size_t i = 0; st == CG_OK && i < cg_signal_type_count() && i < CG__MAX_TYPES; i++) {
        m->parts[i] = g.parts[i];
        memset(&g.parts[i], 0, sizeof(g.parts[i]));
        if ((int)i == cg__vpdq_type_index())
            st = videos_build(db, &m->parts[i], kind, &m->videos, err);
        else
            st = part_index(&m->parts[i], cg_signal_type_at(i), kind, err);
        /* The index keeps its own copy of the values; main needs only the entries. */
        cg__free(m->parts[i].values);
        m->parts[i].values = NULL;
    }
    for (size_t i = 0; i < CG__MAX_TYPES; i++)
        part_free(&g.parts[i]);
    if (st != CG_OK) {
        if (m != NULL) {
            atomic_init(&m->refs, 1);
            cg__main_release(m);
        }
        return st;
    }
    atomic_init(&m->refs, 1);
    m->seq = seq;
    m->built_at = (int64_t)time(NULL);
    *out = m;
    return CG_OK;
}

void cg__main_release(cg__main *m)
{
    if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    for (size_t i = 0; i < CG__MAX_TYPES; i++)
        part_free(&m->parts[i]);
    videos_free(&m->videos);
    cg__free(m);
}

/* ---- banks ---- */

typedef struct bank_vec {
    cg_bank *v;
    size_t n, cap;
    int nomem;
} bank_vec;

static int collect_bank(const cg_bank *b, void *ud)
{
    bank_vec *bv = ud;

    if (bv->n == bv->cap) {
        size_t cap = bv->cap ? bv->cap * 2 : 16;
        cg_bank *v = cg__realloc(bv->v, cap * sizeof(*v));
        if (v == NULL) {
            bv->nomem = 1;
            return 1;
        }
        bv->v = v;
        bv->cap = cap;
    }
    bv->v[bv->n++] = *b;
    return 0;
}

static int bank_cmp(const void *a, const void *b)
{
    const cg_bank *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

cg_status cg__banks_load(cg_bankdb *db, cg_bank **out, size_t *n, cg_error *err)
{
    bank_vec bv = {0};
    cg_status st = cg_bank_list(db, collect_bank, &bv, err);

    if (st == CG_OK && bv.nomem)
        st = cg__fail(err, CG_E_NOMEM, "out of memory reading the banks");
    if (st != CG_OK) {
        cg__free(bv.v);
        return st;
    }
    if (bv.n > 1)
        qsort(bv.v, bv.n, sizeof(*bv.v), bank_cmp);
    *out = bv.v;
    *n = bv.n;
    return CG_OK;
}

/* ---- snapshots ---- */

cg_status cg__snapshot_new(cg__main *main, int64_t seq, cg__change *changes, size_t n_changes,
                           const cg_bank *banks, size_t n_banks, cg__snapshot **out,
                           cg_error *err)
{
    cg__snapshot *s = cg__calloc(1, sizeof(*s));
    cg_status st = CG_OK;

    *out = NULL;
    if (s == NULL) {
        cg__free(changes);
        return cg__fail(err, CG_E_NOMEM, "out of memory building a snapshot");
    }
    atomic_init(&s->refs, 1);
    atomic_fetch_add(&main->refs, 1);
    s->main = main;
    s->seq = seq;
    s->changes = changes;
    s->n_changes = n_changes;
    if (n_banks > 0) {
        s->banks = cg__malloc_array(n_banks, sizeof(*banks));
        if (s->banks == NULL)
            st = cg__fail(err, CG_E_NOMEM, "out of memory building a snapshot");
        else
            memcpy(s->banks, banks, n_banks * sizeof(*banks));
        s->n_banks = n_banks;
    }

    /* Count the live changes per type, then fill and index each delta part. */
    size_t count[CG__MAX_TYPES] = {0};
    for (size_t i = 0; i < n_changes; i++)
        if (changes[i].type_index >= 0)
            count[changes[i].type_index]++;
    for (int t = 0; st == CG_OK && t < CG__MAX_TYPES; t++) {
        const cg_signal_type *type = cg_signal_type_at((size_t)t);
        cg__part *p = &s->delta[t];
        if (count[t] == 0 || type == NULL || t == cg__vpdq_type_index())
            continue; /* new videos go through a rebuild (cg__videos) */
        p->entries = cg__malloc_array(count[t], sizeof(*p->entries));
        p->values = cg__malloc_array(count[t], type->bytes);
        if (p->entries == NULL || p->values == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "out of memory building a snapshot");
            break;
        }
        for (size_t i = 0; i < n_changes; i++) {
            if (changes[i].type_index != t)
                continue;
            p->entries[p->n] = changes[i].entry;
            memcpy(p->values + p->n * type->bytes, changes[i].value, type->bytes);
            p->n++;
        }
        st = part_index(p, type, CG_INDEX_AUTO, err);
        cg__free(p->values); /* the index and the change list hold them */
        p->values = NULL;
    }
    if (st != CG_OK) {
        cg__snapshot_release(s);
        return st;
    }
    *out = s;
    return CG_OK;
}

void cg__snapshot_release(cg__snapshot *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < CG__MAX_TYPES; i++)
        part_free(&s->delta[i]);
    cg__main_release(s->main);
    cg__free(s->changes);
    cg__free(s->banks);
    cg__free(s);
}
