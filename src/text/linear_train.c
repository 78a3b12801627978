/* Training the linear text classifier (linear.h, include/childguard/textmodel.h).
 *
 * Loss: logistic per label (one-vs-rest: any subset of labels) or multinomial (softmax: one
 * class per example, plus an implicit "no label" class when some examples have none), each
 * example weighted by its class weight. "Balanced" weights (King and Zeng, "Logistic Regression
 * in Rare Events Data", 2001; scikit-learn's class_weight="balanced") make every class count as
 * much as the others in total, so a rare harm is not drowned by the benign majority.
 *
 * Optimiser: stochastic gradient descent with AdaGrad step sizes (Duchi, Hazan and Singer, JMLR
 * 2011): rare n-grams keep large steps while frequent ones settle, which suits hashed sparse
 * text without tuning a schedule. Only the buckets an example touches are updated, so an epoch
 * costs O(total features), not O(examples x buckets). L2, when asked for, is applied to the
 * touched weights only (the usual sparse approximation). The weight and its AdaGrad sum sit
 * side by side, so one update touches one cache line per bucket.
 *
 * Vectors are computed once and kept when they fit in VEC_CACHE_BYTES (short texts: always),
 * else recomputed from the kept plain texts every epoch. TF-IDF needs one pass over the data
 * first for the document frequencies.
 *
 * Held-out data (dev): after every epoch the macro-F1 on the dev data is measured and the best
 * epoch's weights kept; without an L2 penalty given, a small grid of penalties is tried; last,
 * each label's threshold (one-vs-rest) or each class's bias shift (softmax) is chosen for the
 * best F1 on the dev data.
 *
 * Determinism: one thread; each epoch visits the examples in an order shuffled by a splitmix64
 * generator seeded from the options, so the same data and options give bit-identical weights. */
#include "text/linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define DEF_BITS 20
#define DEF_CHAR_MIN 3
#define DEF_CHAR_MAX 5
#define DEF_WORD_NGRAMS 2
#define DEF_EPOCHS 5
#define DEF_DEV_EPOCHS 20
#define DEF_LR 0.2f
#define DEF_MAX_TEXT ((size_t)64 << 10)
#define DEF_MAX_EXAMPLES 50000000ULL
#define DEF_MAX_TOTAL ((uint64_t)4 << 30)
#define ADAGRAD_EPS 1e-6f
#define PREFETCH_AHEAD 8
#define SKEW_RATIO 1.5
#define VEC_CACHE_BYTES ((uint64_t)1 << 30)
#define MAX_CLS (CG_TEXT_MODEL_MAX_LABELS + 1)
#define LBFGS_MAX_ITER 500
/* L-BFGS keeps about 20 vectors of this many doubles (the data's entries bound the variables). */
#define LBFGS_MAX_VARS ((uint64_t)8 << 20)

static const float l2_grid[] = {0.0f, 1e-6f, 1e-5f, 1e-4f};

/* ---- the data ------------------------------------------------------------------------------ */

/* A set of examples: texts (plain form, or raw) back to back, each example's label bits, and,
 * once computed, their vectors. */
typedef struct train_set {
    const cg_text_train_options *opt;
    const cg__lin_params *p;
    cg__normalizer *nz;      /* shared, not owned */
    cg__normalized nm;
    char *text;
    uint64_t len, cap;
    uint64_t *off;           /* n + 1 offsets into text */
    uint64_t *labels;        /* n label bit sets */
    uint64_t n, ncap;
    char **names;            /* the training set's label names (shared by a dev set) */
    uint32_t *nlabels;
    int frozen;              /* dev: labels the training set does not know are dropped */
    uint64_t negatives, dropped_labels;
    /* Vectors, CSR: example i is entries voff[i] .. voff[i + 1]. */
    uint32_t *vidx;
    float *vval;
    uint64_t *voff;
    uint64_t vn, vcap;
    int cached;
} train_set;

static void set_free(train_set *t)
{
    cg__normalized_free(&t->nm);
    cg__free(t->text);
    cg__free(t->off);
    cg__free(t->labels);
    cg__free(t->vidx);
    cg__free(t->vval);
    cg__free(t->voff);
}

/* The bit of label name, registering it when new (unless frozen: then 0 when unknown). */
static cg_status label_bit(train_set *t, const char *name, const char *where, uint64_t line,
                           uint64_t *bit, cg_error *err)
{
    uint32_t i;

    *bit = 0;
    for (i = 0; i < *t->nlabels; i++)
        if (strcmp(t->names[i], name) == 0)
            break;
    if (i == *t->nlabels) {
        if (t->frozen) {
            t->dropped_labels++;
            return CG_OK;
        }
        if (i == CG_TEXT_MODEL_MAX_LABELS)
            return cg__fail(err, CG_E_LIMIT, "%s:%llu: label '%s' is one more than the %d a "
                            "model can hold", where, (unsigned long long)line, name,
                            CG_TEXT_MODEL_MAX_LABELS);
        t->names[i] = cg__strdup(name);
        if (t->names[i] == NULL)
            return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", where,
                            (unsigned long long)line);
        (*t->nlabels)++;
    }
    *bit = (uint64_t)1 << i;
    return CG_OK;
}

static cg_status grow_examples(train_set *t, const char *where, uint64_t line, cg_error *err)
{
    uint64_t nc = t->ncap ? t->ncap * 2 : 4096;
    uint64_t *no = cg__realloc(t->off, (size_t)(nc + 1) * sizeof(*no));
    uint64_t *nl;

    if (no == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", where,
                        (unsigned long long)line);
    t->off = no;
    nl = cg__realloc(t->labels, (size_t)nc * sizeof(*nl));
    if (nl == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", where,
                        (unsigned long long)line);
    t->labels = nl;
    t->ncap = nc;
    return CG_OK;
}

static cg_status add_example(void *ud, const char *text, size_t len, const char *const *labels,
                             size_t nlabels, const char *where, uint64_t line, cg_error *err)
{
    train_set *t = ud;
    uint64_t bits = 0;
    const char *s = text;
    size_t n = len;
    cg_status st;

    if (nlabels > 1 && (t->p->flags & CG__LIN_SOFTMAX)) {
        /* A softmax model has one class per example: this one is skipped, as a bad line. */
        if (t->opt->on_bad_line != NULL)
            t->opt->on_bad_line(where, line, "several labels for a softmax model (one class "
                                "per example)", t->opt->ud);
        return CG_OK;
    }
    for (size_t i = 0; i < nlabels; i++) {
        uint64_t b = 0;

        st = label_bit(t, labels[i], where, line, &b, err);
        if (st != CG_OK)
            return st;
        bits |= b;
    }
    if (t->n >= t->opt->max_examples)
        return cg__fail(err, CG_E_LIMIT, "%s:%llu: more than %llu examples", where,
                        (unsigned long long)line, (unsigned long long)t->opt->max_examples);
    if (!(t->p->flags & CG__LIN_RAW)) {
        st = cg__normalize(t->nz, text, len, CG__UTF8_REPLACE,
                           cg__lin_norm_max(t->p->max_text_bytes), &t->nm, err);
        if (st != CG_OK)
            return st;
        s = (t->p->flags & CG__LIN_FOLDED) ? t->nm.folded.s : t->nm.plain.s;
        n = (t->p->flags & CG__LIN_FOLDED) ? t->nm.folded.n : t->nm.plain.n;
    }
    if (t->len + n > t->opt->max_total_bytes)
        return cg__fail(err, CG_E_LIMIT, "%s:%llu: training text over %llu bytes", where,
                        (unsigned long long)line, (unsigned long long)t->opt->max_total_bytes);
    if (t->n + 1 >= t->ncap) {
        st = grow_examples(t, where, line, err);
        if (st != CG_OK)
            return st;
    }
    if (t->len + n > t->cap) {
        uint64_t nc = t->cap ? t->cap : 65536;
        char *nt;

        while (nc < t->len + n)
            nc *= 2;
        nt = cg__realloc(t->text, (size_t)nc);
        if (nt == NULL)
            return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", where,
                            (unsigned long long)line);
        t->text = nt;
        t->cap = nc;
    }
    if (n > 0)
        memcpy(t->text + t->len, s, n);
    t->off[t->n] = t->len;
    t->len += n;
    t->off[t->n + 1] = t->len;
    t->labels[t->n] = bits;
    t->negatives += bits == 0;
    t->n++;
    return CG_OK;
}

static cg_status read_set(train_set *t, const cg_text_data *data, size_t n, uint64_t *bad,
                          cg_error *err)
{
    for (size_t i = 0; i < n; i++) {
        cg_status st = cg__dataset_read(&data[i], t->opt->max_text_bytes, t->opt->on_bad_line,
                                        t->opt->ud, bad, add_example, t, err);
        if (st != CG_OK)
            return st;
    }
    return CG_OK;
}

/* ---- vectors ------------------------------------------------------------------------------- */

/* Working buffers for one example's features and vector. */
typedef struct work {
    cg__lin_feats f;
    cg__lin_vec v;
} work;

static void work_free(work *w)
{
    cg__lin_feats_free(&w->f);
    cg__lin_vec_free(&w->v);
}

/* The vector of example i: a view of the cache, or computed into w->v. */
static cg_status example_vec(const train_set *t, const float *idf, uint64_t i, work *w,
                             cg__lin_vec *out, cg_error *err)
{
    cg_status st;

    if (t->cached) {
        out->idx = t->vidx + t->voff[i];
        out->val = t->vval + t->voff[i];
        out->n = (size_t)(t->voff[i + 1] - t->voff[i]);
        out->cap = out->n;
        return CG_OK;
    }
    st = cg__lin_featurize(t->p, t->text + t->off[i], (size_t)(t->off[i + 1] - t->off[i]), &w->f,
                           err);
    if (st == CG_OK)
        st = cg__lin_vectorize(t->p, idf, &w->f, &w->v, err);
    *out = w->v;
    return st;
}

/* Appends a vector to the cache; gives up the cache (cached = 0) past VEC_CACHE_BYTES. */
static cg_status cache_append(train_set *t, const cg__lin_vec *v, cg_error *err)
{
    if (!t->cached)
        return CG_OK;
    if ((t->vn + v->n) * 8 > VEC_CACHE_BYTES) {
        cg__free(t->vidx);
        cg__free(t->vval);
        t->vidx = NULL;
        t->vval = NULL;
        t->cached = 0;
        return CG_OK;
    }
    if (t->vn + v->n > t->vcap) {
        uint64_t nc = t->vcap ? t->vcap : 65536;
        uint32_t *ni;
        float *nv;

        while (nc < t->vn + v->n)
            nc *= 2;
        ni = cg__realloc(t->vidx, (size_t)nc * sizeof(*ni));
        if (ni == NULL)
            return cg__fail(err, CG_E_NOMEM, "text model: out of memory for vectors");
        t->vidx = ni;
        nv = cg__realloc(t->vval, (size_t)nc * sizeof(*nv));
        if (nv == NULL)
            return cg__fail(err, CG_E_NOMEM, "text model: out of memory for vectors");
        t->vval = nv;
        t->vcap = nc;
    }
    memcpy(t->vidx + t->vn, v->idx, v->n * sizeof(*v->idx));
    memcpy(t->vval + t->vn, v->val, v->n * sizeof(*v->val));
    t->vn += v->n;
    return CG_OK;
}

/* Computes every example's vector once: the cache (when it fits) and, for the training set
 * with TF-IDF, the document frequencies that give idf (df counts distinct buckets, which the
 * TF-IDF vectorising already sorts and merges). */
static cg_status build_vectors(train_set *t, float *idf, int count_df, work *w, cg_error *err)
{
    cg_status st = CG_OK;
    const int tfidf = (t->p->flags & CG__LIN_TFIDF) != 0;
    const size_t nb = (size_t)1 << t->p->bits;
    uint32_t *df = NULL;

    t->voff = cg__malloc_array((size_t)t->n + 1, sizeof(*t->voff));
    if (t->voff == NULL)
        return cg__fail(err, CG_E_NOMEM, "text model: out of memory for vectors");
    t->cached = 1;
    if (tfidf && count_df) {
        df = cg__calloc(nb, sizeof(*df));
        if (df == NULL)
            return cg__fail(err, CG_E_NOMEM, "text model: out of memory for idf");
        /* First pass: document frequencies; vectors need the idf, so they wait. With every
         * idf 1 the TF-IDF vectoriser sorts and merges each example's buckets. */
        for (size_t b = 0; b < nb; b++)
            idf[b] = 1.0f;
        for (uint64_t i = 0; i < t->n && st == CG_OK; i++) {
            st = cg__lin_featurize(t->p, t->text + t->off[i], (size_t)(t->off[i + 1] - t->off[i]),
                                   &w->f, err);
            if (st == CG_OK)
                st = cg__lin_vectorize(t->p, idf, &w->f, &w->v, err);
            for (size_t k = 0; st == CG_OK && k < w->v.n; k++)
                df[w->v.idx[k]]++;
        }
        for (size_t b = 0; b < nb && st == CG_OK; b++)
            /* A bucket no training text has is out of the vocabulary: weight 0, so that text
             * unseen in training does not dilute the known features (scikit-learn's
             * vectoriser drops unknown terms the same way). */
            idf[b] = df[b] == 0 ? 0.0f
                                : (float)(log((1.0 + (double)t->n) / (1.0 + (double)df[b])) + 1.0);
        cg__free(df);
        if (st != CG_OK)
            return st;
    }
    t->vn = 0;
    for (uint64_t i = 0; i < t->n && st == CG_OK; i++) {
        cg__lin_vec v;
        int was = t->cached;

        t->cached = 0;
        st = example_vec(t, tfidf ? idf : NULL, i, w, &v, err);
        t->cached = was;
        t->voff[i] = t->vn;
        if (st == CG_OK)
            st = cache_append(t, &v, err);
    }
    if (st == CG_OK && t->cached)
        t->voff[t->n] = t->vn;
    return st;
}

/* ---- class weights --------------------------------------------------------------------------- */

typedef struct weights {
    float pos[MAX_CLS], neg[MAX_CLS]; /* one-vs-rest: per label; softmax: pos per class */
} weights;

static void class_weights(const train_set *t, uint32_t nlabels, uint32_t ncls,
                          cg_text_class_weight how, weights *cw)
{
    uint64_t count[MAX_CLS] = {0};
    const double N = (double)t->n;
    const int softmax = (t->p->flags & CG__LIN_SOFTMAX) != 0;
    double skew = 1.0;

    for (uint32_t c = 0; c < MAX_CLS; c++)
        cw->pos[c] = cw->neg[c] = 1.0f;
    for (uint64_t i = 0; i < t->n; i++) {
        if (t->labels[i] == 0 && ncls > nlabels)
            count[nlabels]++;
        for (uint32_t l = 0; l < nlabels; l++)
            count[l] += (t->labels[i] >> l) & 1;
    }
    if (softmax) {
        uint64_t lo = UINT64_MAX, hi = 0;
        for (uint32_t c = 0; c < ncls; c++) {
            lo = count[c] < lo ? count[c] : lo;
            hi = count[c] > hi ? count[c] : hi;
        }
        skew = lo > 0 ? (double)hi / (double)lo : 1e9;
    } else {
        for (uint32_t l = 0; l < nlabels; l++) {
            const double a = (double)count[l], b = N - a, lo = a < b ? a : b, hi = a < b ? b : a;
            const double r = lo > 0 ? hi / lo : 1.0;
            skew = r > skew ? r : skew;
        }
    }
    if (how == CG_TEXT_WEIGHT_NONE || (how == CG_TEXT_WEIGHT_AUTO && skew <= SKEW_RATIO))
        return;
    for (uint32_t c = 0; c < ncls; c++) {
        if (count[c] == 0)
            continue;
        if (softmax) {
            cw->pos[c] = (float)(N / ((double)ncls * (double)count[c]));
        } else if (count[c] < t->n) {
            cw->pos[c] = (float)(N / (2.0 * (double)count[c]));
            cw->neg[c] = (float)(N / (2.0 * (N - (double)count[c])));
        }
    }
}

/* ---- SGD ----------------------------------------------------------------------------------- */

static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline float sigmoid(float z)
{
    if (z > 30.0f)
        z = 30.0f;
    else if (z < -30.0f)
        z = -30.0f;
    return 1.0f / (1.0f + expf(-z));
}

/* The state of one training run: weights with their AdaGrad sums side by side. */
typedef struct run {
    float *wg;                   /* (1 << bits) * ncls * 2 */
    float bias[MAX_CLS], gb[MAX_CLS];
    uint64_t *order;
} run;

/* One epoch. Returns the mean loss per example (and label, one-vs-rest) in *loss. */
static cg_status epoch(const train_set *t, const float *idf, const cg_text_model *m, run *r,
                       const weights *cw, float lr, float l2, unsigned ep, uint64_t seed,
                       work *w, double *loss_out, cg_error *err)
{
    const uint32_t C = m->ncls, L = m->nlabels;
    const int softmax = (m->p.flags & CG__LIN_SOFTMAX) != 0;
    uint64_t rng = seed ^ (0x5851f42d4c957f2dULL * (ep + 1));
    float z[MAX_CLS], g[MAX_CLS];
    double loss = 0.0;

    /* Fisher-Yates with a fixed seed: deterministic. */
    for (uint64_t i = 0; i < t->n; i++)
        r->order[i] = i;
    for (uint64_t i = t->n; i > 1; i--) {
        uint64_t j = splitmix64(&rng) % i, tmp = r->order[i - 1];

        r->order[i - 1] = r->order[j];
        r->order[j] = tmp;
    }
    for (uint64_t e = 0; e < t->n; e++) {
        const uint64_t ex = r->order[e];
        const uint64_t y = t->labels[ex];
        cg__lin_vec v;
        cg_status st = example_vec(t, idf, ex, w, &v, err);

        if (st != CG_OK)
            return st;
        for (uint32_t c = 0; c < C; c++)
            z[c] = r->bias[c];
        /* The buckets are random: fetch a few features ahead (the update loop below then finds
         * them in cache). */
        for (size_t k = 0; k < v.n && k < PREFETCH_AHEAD; k++)
            __builtin_prefetch(r->wg + (size_t)v.idx[k] * C * 2, 1);
        for (size_t k = 0; k < v.n; k++) {
            const float *wk = r->wg + (size_t)v.idx[k] * C * 2;

            if (k + PREFETCH_AHEAD < v.n)
                __builtin_prefetch(r->wg + (size_t)v.idx[k + PREFETCH_AHEAD] * C * 2, 1);
            for (uint32_t c = 0; c < C; c++)
                z[c] += wk[2 * c] * v.val[k];
        }
        if (softmax) {
            /* The class: its one label, or the implicit last class for none. */
            uint32_t cls = C - 1;
            for (uint32_t l = 0; l < L; l++)
                if ((y >> l) & 1)
                    cls = l;
            const float ew = cw->pos[cls];
            cg__lin_link(&m->p, C, z);
            loss -= log(z[cls] > 1e-7f ? z[cls] : 1e-7f);
            for (uint32_t c = 0; c < C; c++)
                g[c] = ew * (z[c] - (c == cls ? 1.0f : 0.0f));
        } else {
            for (uint32_t l = 0; l < L; l++) {
                const float p = sigmoid(z[l]);
                const int yl = (int)((y >> l) & 1);

                g[l] = (yl ? cw->pos[l] : cw->neg[l]) * (p - (float)yl);
                loss -= log(yl ? (p > 1e-7f ? p : 1e-7f) : (1.0f - p > 1e-7f ? 1.0f - p : 1e-7f));
            }
        }
        for (uint32_t c = 0; c < C; c++) {
            r->gb[c] += g[c] * g[c];
            r->bias[c] -= lr * g[c] / (sqrtf(r->gb[c]) + ADAGRAD_EPS);
        }
        for (size_t k = 0; k < v.n; k++) {
            float *wk = r->wg + (size_t)v.idx[k] * C * 2;

            for (uint32_t c = 0; c < C; c++) {
                const float gi = g[c] * v.val[k] + l2 * wk[2 * c];

                if (gi == 0.0f)
                    continue;
                wk[2 * c + 1] += gi * gi;
                wk[2 * c] -= lr * gi / (sqrtf(wk[2 * c + 1]) + ADAGRAD_EPS);
            }
        }
    }
    *loss_out = t->n ? loss / ((double)t->n * (softmax ? 1 : L)) : 0.0;
    return CG_OK;
}

/* Copies the run's weights and biases into the model. */
static void run_to_model(const run *r, cg_text_model *m)
{
    const size_t nw = ((size_t)1 << m->p.bits) * m->ncls;

    for (size_t i = 0; i < nw; i++)
        m->w[i] = r->wg[2 * i];
    memcpy(m->bias, r->bias, m->ncls * sizeof(*m->bias));
}

/* ---- dev data (the choices on it: linear_dev.c) ------------------------------------------ */

/* The raw scores (before the link) of every dev example, n x ncls, with the model's weights. */
static cg_status dev_scores(const cg_text_model *m, const train_set *dev, const float *idf,
                            work *w, float *z, cg_error *err)
{
    for (uint64_t i = 0; i < dev->n; i++) {
        cg__lin_vec v;
        cg_status st = example_vec(dev, idf, i, w, &v, err);

        if (st != CG_OK)
            return st;
        cg__lin_scores(m, &v, z + i * m->ncls);
    }
    return CG_OK;
}

/* ---- the whole ----------------------------------------------------------------------------- */

static void options_resolve(const cg_text_train_options *in, cg_text_train_options *o,
                            cg__lin_params *p)
{
    if (in != NULL)
        *o = *in;
    else
        memset(o, 0, sizeof(*o));
    if (o->char_min == 0 && o->char_max == 0) {
        o->char_min = DEF_CHAR_MIN;
        o->char_max = DEF_CHAR_MAX;
    }
    p->bits = o->hash_bits ? o->hash_bits : DEF_BITS;
    p->char_min = o->char_min;
    p->char_max = o->char_max;
    p->word_ngrams = o->word_ngrams ? o->word_ngrams : DEF_WORD_NGRAMS;
    p->flags = 0;
    if (o->mode == CG_TEXT_MODE_SOFTMAX)
        p->flags |= CG__LIN_SOFTMAX;
    if (o->tfidf)
        p->flags |= CG__LIN_TFIDF;
    if (o->char_scope == CG_TEXT_CHARS_WORDS)
        p->flags |= CG__LIN_CHAR_WORDS;
    if (o->keep_diacritics)
        p->flags |= CG__LIN_FOLDED;
    if (o->raw_tokens) {
        p->flags |= CG__LIN_RAW;
        p->char_min = 1; /* tokens are used whole: no character n-grams */
        p->char_max = 0;
    }
    if (o->epochs == 0)
        o->epochs = o->dev != NULL && o->n_dev > 0 ? DEF_DEV_EPOCHS : DEF_EPOCHS;
    if (!(o->learning_rate > 0.0f))
        o->learning_rate = DEF_LR;
    if (!(o->l2 >= 0.0f))
        o->l2 = 0.0f;
    if (o->max_text_bytes == 0)
        o->max_text_bytes = DEF_MAX_TEXT;
    if (o->max_examples == 0)
        o->max_examples = DEF_MAX_EXAMPLES;
    if (o->max_total_bytes == 0)
        o->max_total_bytes = DEF_MAX_TOTAL;
    p->max_text_bytes = o->max_text_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)o->max_text_bytes;
}

/* What selection on the dev data keeps: the best macro-F1 so far and its weights. */
typedef struct keeper {
    const train_set *dev;      /* NULL: no dev data, the last model is kept */
    float *z, *prob;           /* dev scores and probabilities, dev->n x ncls */
    float *best_w;
    float best_bias[MAX_CLS];
    double best;
} keeper;

/* Measures the model in m on the dev data and keeps it when it is the best so far. */
static cg_status keep_if_best(keeper *k, cg_text_model *m, work *w, int *kept, cg_error *err)
{
    const size_t nw = ((size_t)1 << m->p.bits) * m->ncls;
    cg_status st = dev_scores(m, k->dev, m->idf, w, k->z, err);

    *kept = 0;
    if (st != CG_OK)
        return st;
    cg__lin_link_all(m, k->dev->n, k->z, k->prob);
    const double f = cg__lin_macro_f1(m, k->dev->n, k->dev->labels, k->prob);
    if (f > k->best + 1e-12) {
        k->best = f;
        memcpy(k->best_w, m->w, nw * sizeof(float));
        memcpy(k->best_bias, m->bias, m->ncls * sizeof(float));
        *kept = 1;
    }
    return CG_OK;
}

/* SGD with every penalty of the grid (or the one given); each epoch is a candidate. */
static cg_status fit_sgd(const train_set *t, const cg_text_train_options *o, cg_text_model *m,
                         const weights *cw, keeper *k, cg_text_train_stats *stats, work *w,
                         cg_error *err)
{
    const uint32_t C = m->ncls;
    const size_t nw = ((size_t)1 << m->p.bits) * C;
    const int grid = k->dev != NULL && o->l2 == 0.0f;
    const size_t n_l2 = grid ? sizeof(l2_grid) / sizeof(l2_grid[0]) : 1;
    double loss = 0.0;
    run r;
    cg_status st = CG_OK;

    memset(&r, 0, sizeof(r));
    stats->solver = CG_TEXT_SOLVER_SGD;
    r.wg = cg__malloc_array(nw * 2, sizeof(float));
    r.order = cg__malloc_array((size_t)t->n, sizeof(uint64_t));
    if (r.wg == NULL || r.order == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for training state");
        goto done;
    }
    for (size_t gi = 0; gi < n_l2 && st == CG_OK; gi++) {
        const float l2 = grid ? l2_grid[gi] : o->l2;

        memset(r.wg, 0, nw * 2 * sizeof(float));
        memset(r.bias, 0, sizeof(r.bias));
        memset(r.gb, 0, sizeof(r.gb));
        for (unsigned ep = 0; ep < o->epochs && st == CG_OK; ep++) {
            int kept = 1;

            st = epoch(t, m->idf, m, &r, cw, o->learning_rate, l2, ep, o->seed, w, &loss, err);
            if (st == CG_OK && k->dev != NULL) {
                run_to_model(&r, m);
                st = keep_if_best(k, m, w, &kept, err);
            }
            if (st == CG_OK && kept) {
                stats->final_loss = loss;
                stats->epochs_run = ep + 1;
                stats->l2 = l2;
            }
        }
    }
    if (st == CG_OK && k->dev == NULL)
        run_to_model(&r, m);
done:
    cg__free(r.wg);
    cg__free(r.order);
    return st;
}

/* L-BFGS for each C of the grid (or the one given), warm-started from the previous one. */
static cg_status fit_lbfgs(const train_set *t, const cg_text_train_options *o, cg_text_model *m,
                           const weights *cw, keeper *k, cg_text_train_stats *stats, work *w,
                           cg_error *err)
{
    static const float c_grid[] = {1.0f, 4.0f, 16.0f, 64.0f};
    const uint32_t C = m->ncls;
    const size_t nb = (size_t)1 << m->p.bits;
    const int grid = k->dev != NULL && o->c == 0.0f;
    const size_t n_c = grid ? sizeof(c_grid) / sizeof(c_grid[0]) : 1;
    uint32_t *map = cg__malloc_array(nb, sizeof(uint32_t)), *back = NULL, *cidx = NULL;
    double *x = NULL;
    uint32_t dim = 0;
    cg__lin_problem pb;
    cg_status st = CG_OK;

    stats->solver = CG_TEXT_SOLVER_LBFGS;
    if (map == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for L-BFGS");
        goto done;
    }
    /* The buckets the training data touch, renumbered in order of first use. */
    memset(map, 0xff, nb * sizeof(uint32_t));
    cidx = cg__malloc_array((size_t)t->vn + 1, sizeof(uint32_t));
    back = cg__malloc_array(nb, sizeof(uint32_t));
    if (cidx == NULL || back == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for L-BFGS");
        goto done;
    }
    for (uint64_t e = 0; e < t->vn; e++) {
        const uint32_t b = t->vidx[e];

        if (map[b] == UINT32_MAX) {
            back[dim] = b;
            map[b] = dim++;
        }
        cidx[e] = map[b];
    }
    x = cg__calloc((size_t)dim * C + C, sizeof(double));
    if (x == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for L-BFGS (%u buckets)", dim);
        goto done;
    }
    pb = (cg__lin_problem){m->p.flags, m->nlabels, C, t->n, t->voff, cidx, t->vval, t->labels,
                           cw->pos, cw->neg, dim, 0.0};
    for (size_t gi = 0; gi < n_c && st == CG_OK; gi++) {
        const float c = grid ? c_grid[gi] : (o->c > 0.0f ? o->c : 4.0f);
        double f = 0.0;
        unsigned iters = 0;
        int kept = 1;

        pb.lambda = 1.0 / ((double)c * (double)t->n);
        st = cg__lin_lbfgs(&pb, LBFGS_MAX_ITER, x, &f, &iters, err);
        if (st != CG_OK)
            break;
        memset(m->w, 0, nb * C * sizeof(float));
        for (uint32_t j = 0; j < dim; j++)
            for (uint32_t cl = 0; cl < C; cl++)
                m->w[(size_t)back[j] * C + cl] = (float)x[(size_t)j * C + cl];
        for (uint32_t cl = 0; cl < C; cl++)
            m->bias[cl] = (float)x[(size_t)dim * C + cl];
        if (k->dev != NULL)
            st = keep_if_best(k, m, w, &kept, err);
        if (st == CG_OK && kept) {
            stats->final_loss = f;
            stats->epochs_run = iters;
            stats->c = c;
            stats->l2 = (float)pb.lambda;
        }
    }
done:
    cg__free(map);
    cg__free(back);
    cg__free(cidx);
    cg__free(x);
    return st;
}

/* The number of buckets the (cached) training vectors touch; UINT64_MAX when unknown. */
static uint64_t distinct_buckets(const train_set *t)
{
    const size_t nb = (size_t)1 << t->p->bits;
    uint64_t *seen = cg__calloc((nb + 63) / 64, sizeof(uint64_t)), n = 0;

    if (seen == NULL)
        return UINT64_MAX;
    for (uint64_t e = 0; e < t->vn; e++) {
        const uint32_t b = t->vidx[e];

        n += !((seen[b >> 6] >> (b & 63)) & 1);
        seen[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    cg__free(seen);
    return n;
}

/* Trains with the solver asked for (or chosen) and, with dev data, keeps the best candidate
 * and chooses thresholds (one-vs-rest) or class shifts (softmax) on it. */
static cg_status fit(const train_set *t, const train_set *dev, const cg_text_train_options *o,
                     cg_text_model *m, cg_text_train_stats *stats, work *w, cg_error *err)
{
    const uint32_t C = m->ncls;
    const size_t nw = ((size_t)1 << m->p.bits) * C;
    const int lbfgs = o->solver == CG_TEXT_SOLVER_LBFGS ||
                      (o->solver == CG_TEXT_SOLVER_AUTO && t->cached &&
                       distinct_buckets(t) * C <= LBFGS_MAX_VARS);
    weights cw;
    keeper k;
    cg_status st = CG_OK;

    memset(&k, 0, sizeof(k));
    k.best = -1.0;
    class_weights(t, m->nlabels, C, o->class_weight, &cw);
    if (dev != NULL && dev->n > 0) {
        k.dev = dev;
        k.best_w = cg__malloc_array(nw, sizeof(float));
        k.z = cg__malloc_array((size_t)dev->n * C, sizeof(float));
        k.prob = cg__malloc_array((size_t)dev->n * C, sizeof(float));
        if (k.best_w == NULL || k.z == NULL || k.prob == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for training state");
            goto done;
        }
    }
    if (lbfgs && !t->cached) {
        st = cg__fail(err, CG_E_LIMIT, "text model: the training vectors do not fit in memory "
                      "for L-BFGS; use SGD");
        goto done;
    }
    st = lbfgs ? fit_lbfgs(t, o, m, &cw, &k, stats, w, err)
               : fit_sgd(t, o, m, &cw, &k, stats, w, err);
    if (st != CG_OK || k.dev == NULL)
        goto done;
    memcpy(m->w, k.best_w, nw * sizeof(float));
    memcpy(m->bias, k.best_bias, C * sizeof(float));
    st = dev_scores(m, dev, m->idf, w, k.z, err);
    if (st != CG_OK)
        goto done;
    if (m->p.flags & CG__LIN_SOFTMAX) {
        st = cg__lin_choose_shifts(m, dev->n, dev->labels, k.z, err);
        if (st == CG_OK)
            st = dev_scores(m, dev, m->idf, w, k.z, err);
    } else {
        cg__lin_link_all(m, dev->n, k.z, k.prob);
        st = cg__lin_choose_thresholds(m, dev->n, dev->labels, k.prob, err);
    }
    if (st != CG_OK)
        goto done;
    cg__lin_link_all(m, dev->n, k.z, k.prob);
    stats->dev_examples = dev->n;
    stats->dev_macro_f1 = cg__lin_macro_f1(m, dev->n, dev->labels, k.prob);
done:
    cg__free(k.best_w);
    cg__free(k.z);
    cg__free(k.prob);
    return st;
}

cg_status cg_text_model_train(const cg_text_data *data, size_t n,
                              const cg_text_train_options *opt, cg_text_model **out,
                              cg_text_train_stats *stats, cg_error *err)
{
    cg_text_train_options o;
    cg__lin_params p;
    train_set t, dev;
    cg_text_train_stats s;
    cg__normalizer *nz = NULL;
    char *names[CG_TEXT_MODEL_MAX_LABELS] = {0};
    uint32_t nlabels = 0;
    cg_text_model *m = NULL;
    work w;
    uint64_t bad = 0;
    cg_status st;

    *out = NULL;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    memset(&dev, 0, sizeof(dev));
    memset(&w, 0, sizeof(w));
    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    options_resolve(opt, &o, &p);
    if (data == NULL || n == 0)
        return cg__fail(err, CG_E_INVAL, "text model: no training data given");
    st = cg__lin_params_check(&p, "text model options", err);
    if (st != CG_OK)
        return st;
    if (!(p.flags & CG__LIN_RAW)) {
        st = cg__normalizer_open(NULL, NULL, NULL, &nz, err);
        if (st != CG_OK)
            return st;
    }
    t.opt = dev.opt = &o;
    t.p = dev.p = &p;
    t.nz = dev.nz = nz;
    t.names = dev.names = names;
    t.nlabels = dev.nlabels = &nlabels;
    dev.frozen = 1;
    st = read_set(&t, data, n, &bad, err);
    if (st != CG_OK)
        goto fail;
    if (t.n == 0) {
        st = cg__fail(err, CG_E_INVAL, "%s: no usable example (%llu bad lines)", data[0].path,
                      (unsigned long long)bad);
        goto fail;
    }
    if (nlabels == 0) {
        st = cg__fail(err, CG_E_INVAL, "%s: no example has a label; nothing to learn",
                      data[0].path);
        goto fail;
    }
    if (o.dev != NULL && o.n_dev > 0) {
        st = read_set(&dev, o.dev, o.n_dev, &bad, err);
        if (st != CG_OK)
            goto fail;
    }
    if ((p.flags & CG__LIN_SOFTMAX) && t.negatives > 0)
        p.flags |= CG__LIN_NONE_CLASS;
    st = cg__lin_model_new(&p, nlabels, &m, err);
    if (st != CG_OK)
        goto fail;
    for (uint32_t i = 0; i < nlabels; i++) {
        m->labels[i] = names[i];
        names[i] = NULL;
    }
    /* The labels now belong to the model; the sets still read them through m. */
    t.names = dev.names = m->labels;
    st = build_vectors(&t, m->idf, 1, &w, err);
    if (st == CG_OK && dev.n > 0)
        st = build_vectors(&dev, m->idf, 0, &w, err);
    if (st == CG_OK)
        st = fit(&t, &dev, &o, m, &s, &w, err);
    if (st != CG_OK)
        goto fail;
    s.examples = t.n;
    s.negatives = t.negatives;
    s.bad_lines = bad;
    s.labels = nlabels;
    if (stats != NULL)
        *stats = s;
    work_free(&w);
    set_free(&t);
    set_free(&dev);
    cg__normalizer_free(nz);
    *out = m;
    return CG_OK;
fail:
    work_free(&w);
    set_free(&t);
    set_free(&dev);
    for (uint32_t i = 0; i < CG_TEXT_MODEL_MAX_LABELS; i++)
        cg__free(names[i]);
    cg__normalizer_free(nz);
    cg_text_model_close(m);
    return st;
}
