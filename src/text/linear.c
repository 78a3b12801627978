/* The linear text classifier (linear.h): features, training, prediction and evaluation.
 *
 * Features follow the hashing trick (Weinberger et al., "Feature Hashing for Large Scale
 * Multitask Learning", ICML 2009) over character n-grams and word n-grams, as fastText does
 * (Joulin et al., "Bag of Tricks for Efficient Text Classification", 2016), so that no
 * vocabulary is stored and any text maps to features in one pass. Each label is an independent
 * logistic regression (one-vs-rest), so an example may carry any subset of labels, and an
 * example with none is a negative for all of them.
 *
 * Training is stochastic gradient descent with AdaGrad step sizes (Duchi, Hazan and Singer,
 * JMLR 2011): rare n-grams keep large steps while frequent ones settle, which suits hashed
 * sparse text without tuning a schedule. Only the buckets an example touches are updated, so an
 * epoch costs O(total features), not O(examples x buckets). L2, when asked for, is applied to
 * the touched weights only (the usual sparse approximation). The weight and its AdaGrad sum
 * sit side by side, so one update touches one cache line per bucket.
 *
 * Determinism: the texts are normalised once and kept; each epoch visits them in an order
 * shuffled by a splitmix64 generator seeded from the options, on one thread, so the same data
 * and options give bit-identical weights. */
#include "text/linear.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define DEF_BITS 20
#define DEF_CHAR_MIN 3
#define DEF_CHAR_MAX 5
#define DEF_WORD_NGRAMS 2
#define DEF_EPOCHS 5
#define DEF_LR 0.2f
#define DEF_MAX_TEXT ((size_t)64 << 10)
#define DEF_MAX_EXAMPLES 50000000ULL
#define DEF_MAX_TOTAL ((uint64_t)4 << 30)
#define ADAGRAD_EPS 1e-6f
#define PREFETCH_AHEAD 8

/* ---- features ------------------------------------------------------------------------------ */

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define SEED_CHAR 0x9e3779b97f4a7c15ULL
#define SEED_WORD 0xc2b2ae3d27d4eb4fULL

/* A multiply-xorshift finaliser (Stafford's mix13) so that the top bits of FNV-1a, which mix
 * poorly for short inputs, are usable as the bucket. */
static inline uint32_t bucket(uint64_t h, uint64_t seed, uint32_t bits)
{
    h ^= seed;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return (uint32_t)(h >> (64 - bits));
}

static inline int char_start(unsigned char b)
{
    return (b & 0xC0) != 0x80;
}

void cg__lin_feats_free(cg__lin_feats *f)
{
    cg__free(f->idx);
    memset(f, 0, sizeof(*f));
}

cg_status cg__lin_featurize(const cg__lin_params *p, const char *s, size_t n, cg__lin_feats *f,
                            cg_error *err)
{
    const size_t padded = n + 2; /* a space before and after: word boundary markers */
    const int chars = p->char_max > 0 && p->char_min <= p->char_max;
    const size_t per_pos = chars ? p->char_max - p->char_min + 1 : 0;
    size_t bound, i, k = 0;
    uint64_t prev[CG__LIN_MAX_WORD_N - 1] = {0};
    size_t nprev = 0;

    f->n = 0;
    /* An upper bound on the features: per_pos grams per character start, and word_ngrams
     * per word (at most n / 2 + 1 words). Reserving it once keeps the loops free of checks. */
    bound = padded * per_pos + (n / 2 + 1) * p->word_ngrams;
    if (bound > f->cap) {
        uint32_t *ni = cg__malloc_array(bound, sizeof(*ni));

        if (ni == NULL)
            return cg__fail(err, CG_E_NOMEM, "text model: out of memory for %zu features",
                            bound);
        cg__free(f->idx);
        f->idx = ni;
        f->cap = bound;
    }
    if (chars) {
        for (i = 0; i < padded; i++) {
            uint64_t h = FNV_BASIS;
            size_t j = i;
            uint32_t nchar = 0;

            if (i > 0 && i <= n && !char_start((unsigned char)s[i - 1]))
                continue;
            while (j < padded) {
                do {
                    unsigned char b = j == 0 || j == n + 1 ? ' ' : (unsigned char)s[j - 1];

                    h = (h ^ b) * FNV_PRIME;
                    j++;
                } while (j <= n && !char_start((unsigned char)s[j - 1]));
                nchar++;
                if (nchar >= p->char_min)
                    f->idx[k++] = bucket(h, SEED_CHAR, p->bits);
                if (nchar == p->char_max)
                    break;
            }
        }
    }
    /* Words (in Vietnamese, syllables): the plain form separates them by single spaces. */
    for (i = 0; i < n;) {
        size_t j = i;
        uint64_t h = FNV_BASIS;

        while (j < n && s[j] != ' ')
            h = (h ^ (unsigned char)s[j++]) * FNV_PRIME;
        if (j > i) {
            uint64_t g = h;

            f->idx[k++] = bucket(h, SEED_WORD, p->bits);
            for (size_t m = 0; m + 1 < p->word_ngrams && m < nprev; m++) {
                g = (prev[m] * 0x9e3779b97f4a7c15ULL + g) ^ (g >> 17);
                f->idx[k++] = bucket(g, SEED_WORD + m + 1, p->bits);
            }
            for (size_t m = CG__LIN_MAX_WORD_N - 2; m > 0; m--)
                prev[m] = prev[m - 1];
            prev[0] = h;
            if (nprev < CG__LIN_MAX_WORD_N - 1)
                nprev++;
        }
        i = j + 1;
    }
    f->n = k;
    return CG_OK;
}

/* ---- models -------------------------------------------------------------------------------- */

int cg__lin_label_ok(const char *name, size_t len)
{
    if (len == 0 || len > CG_TEXT_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 0x7f)
            return 0;
    return 1;
}

cg_status cg__lin_params_check(const cg__lin_params *p, const char *what, cg_error *err)
{
    if (p->bits < CG__LIN_MIN_BITS || p->bits > CG__LIN_MAX_BITS)
        return cg__fail(err, CG_E_INVAL, "%s: hash bits %u not in %d..%d", what, p->bits,
                        CG__LIN_MIN_BITS, CG__LIN_MAX_BITS);
    if (p->char_max > CG__LIN_MAX_CHAR_N || (p->char_min == 0 && p->char_max > 0))
        return cg__fail(err, CG_E_INVAL, "%s: character n-grams %u-%u not within 1-%d", what,
                        p->char_min, p->char_max, CG__LIN_MAX_CHAR_N);
    if (p->word_ngrams < 1 || p->word_ngrams > CG__LIN_MAX_WORD_N)
        return cg__fail(err, CG_E_INVAL, "%s: word n-grams %u not in 1..%d", what,
                        p->word_ngrams, CG__LIN_MAX_WORD_N);
    if (p->max_text_bytes == 0)
        return cg__fail(err, CG_E_INVAL, "%s: text cut of 0 bytes", what);
    return CG_OK;
}

cg_status cg__lin_model_new(const cg__lin_params *p, uint32_t nlabels, cg_text_model **out,
                            cg_error *err)
{
    cg_text_model *m;
    cg_status st;
    const uint64_t nw = ((uint64_t)1 << p->bits) * nlabels;

    *out = NULL;
    if (nlabels == 0 || nlabels > CG_TEXT_MODEL_MAX_LABELS || nw > CG__LIN_MAX_WEIGHTS)
        return cg__fail(err, CG_E_LIMIT, "text model: %u labels x 2^%u buckets is too large",
                        nlabels, p->bits);
    m = cg__calloc(1, sizeof(*m));
    if (m == NULL)
        return cg__fail(err, CG_E_NOMEM, "text model: out of memory");
    m->p = *p;
    m->nlabels = nlabels;
    m->bias = cg__calloc(nlabels, sizeof(float));
    m->w = cg__calloc((size_t)nw, sizeof(float));
    if (m->bias == NULL || m->w == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for %llu weights",
                      (unsigned long long)nw);
        goto fail;
    }
    st = cg__normalizer_open(NULL, NULL, NULL, &m->nz, err);
    if (st != CG_OK)
        goto fail;
    *out = m;
    return CG_OK;
fail:
    cg_text_model_destroy(m);
    return st;
}

void cg_text_model_destroy(cg_text_model *m)
{
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < CG_TEXT_MODEL_MAX_LABELS; i++)
        cg__free(m->labels[i]);
    cg__free(m->bias);
    cg__free(m->w);
    cg__normalizer_free(m->nz);
    cg__free(m);
}

unsigned cg_text_model_label_count(const cg_text_model *m)
{
    return m ? m->nlabels : 0;
}

const char *cg_text_model_label_name(const cg_text_model *m, unsigned i)
{
    return m && i < m->nlabels ? m->labels[i] : NULL;
}

static inline float sigmoid(float z)
{
    if (z > 30.0f)
        z = 30.0f;
    else if (z < -30.0f)
        z = -30.0f;
    return 1.0f / (1.0f + expf(-z));
}

/* Raw scores (before the sigmoid) of a feature vector. */
static void linear_scores(const cg_text_model *m, const uint32_t *idx, size_t n, float *z)
{
    const uint32_t L = m->nlabels;
    const float x = n > 0 ? 1.0f / sqrtf((float)n) : 0.0f;

    for (uint32_t l = 0; l < L; l++)
        z[l] = 0.0f;
    for (size_t k = 0; k < n; k++) {
        const float *w = m->w + (size_t)idx[k] * L;

        for (uint32_t l = 0; l < L; l++)
            z[l] += w[l];
    }
    for (uint32_t l = 0; l < L; l++)
        z[l] = z[l] * x + m->bias[l];
}

/* Per-call scratch of prediction. */
typedef struct scratch {
    cg__normalized nm;
    cg__lin_feats f;
} scratch;

static void scratch_free(scratch *s)
{
    cg__normalized_free(&s->nm);
    cg__lin_feats_free(&s->f);
}

static size_t norm_max(size_t max_text_bytes)
{
    /* The normaliser's own cap; texts are cut to max_text_bytes before. */
    return max_text_bytes > ((size_t)1 << 20) ? max_text_bytes : 0;
}

/* The length of text cut to max bytes without splitting a UTF-8 character. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static cg_status predict_with(const cg_text_model *m, scratch *s, const char *text, size_t len,
                              float *scores, cg_error *err)
{
    cg_status st;

    len = cut_utf8(text, len, m->p.max_text_bytes);
    st = cg__normalize(m->nz, text, len, CG__UTF8_REPLACE, norm_max(m->p.max_text_bytes), &s->nm,
                       err);
    if (st != CG_OK)
        return st;
    st = cg__lin_featurize(&m->p, s->nm.plain.s, s->nm.plain.n, &s->f, err);
    if (st != CG_OK)
        return st;
    linear_scores(m, s->f.idx, s->f.n, scores);
    for (uint32_t l = 0; l < m->nlabels; l++)
        scores[l] = sigmoid(scores[l]);
    return CG_OK;
}

cg_status cg_text_model_predict(const cg_text_model *m, const char *text, size_t len,
                                float *scores, cg_error *err)
{
    scratch s;
    cg_status st;

    memset(&s, 0, sizeof(s));
    if (m == NULL || (text == NULL && len > 0) || scores == NULL)
        return cg__fail(err, CG_E_INVAL, "text model predict: NULL argument");
    st = predict_with(m, &s, text ? text : "", len, scores, err);
    scratch_free(&s);
    if (st != CG_OK)
        for (uint32_t l = 0; l < m->nlabels; l++)
            scores[l] = 0.0f;
    return st;
}

/* ---- training ------------------------------------------------------------------------------ */

/* The training set: normalised (plain) texts back to back, and each example's label bits. */
typedef struct train_set {
    const cg_text_train_options *opt;
    cg__lin_params p;
    cg__normalizer *nz;
    cg__normalized nm;
    char *text;
    uint64_t len, cap;
    uint64_t *off;          /* n + 1 offsets into text */
    uint64_t *labels;       /* n label bit sets */
    uint64_t n, ncap;
    char *names[CG_TEXT_MODEL_MAX_LABELS];
    uint32_t nlabels;
    uint64_t negatives;
} train_set;

static void set_free(train_set *t)
{
    cg__normalized_free(&t->nm);
    cg__normalizer_free(t->nz);
    cg__free(t->text);
    cg__free(t->off);
    cg__free(t->labels);
    for (uint32_t i = 0; i < t->nlabels; i++)
        cg__free(t->names[i]);
}

/* The bit of label name, registering it when new. */
static cg_status label_bit(char **names, uint32_t *nlabels, const char *name, const char *where,
                           uint64_t line, uint64_t *bit, cg_error *err)
{
    uint32_t i;

    for (i = 0; i < *nlabels; i++)
        if (strcmp(names[i], name) == 0)
            break;
    if (i == *nlabels) {
        if (i == CG_TEXT_MODEL_MAX_LABELS)
            return cg__fail(err, CG_E_LIMIT, "%s:%llu: label '%s' is one more than the %d a "
                            "model can hold", where, (unsigned long long)line, name,
                            CG_TEXT_MODEL_MAX_LABELS);
        names[i] = cg__strdup(name);
        if (names[i] == NULL)
            return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", where,
                            (unsigned long long)line);
        (*nlabels)++;
    }
    *bit = (uint64_t)1 << i;
    return CG_OK;
}

static cg_status add_example(void *ud, const char *text, size_t len, const char *const *labels,
                             size_t nlabels, const char *where, uint64_t line, cg_error *err)
{
    train_set *t = ud;
    uint64_t bits = 0;
    cg_status st;

    for (size_t i = 0; i < nlabels; i++) {
        uint64_t b = 0;

        st = label_bit(t->names, &t->nlabels, labels[i], where, line, &b, err);
        if (st != CG_OK)
            return st;
        bits |= b;
    }
    if (t->n >= t->opt->max_examples)
        return cg__fail(err, CG_E_LIMIT, "%s:%llu: more than %llu examples", where,
                        (unsigned long long)line, (unsigned long long)t->opt->max_examples);
    st = cg__normalize(t->nz, text, len, CG__UTF8_REPLACE, norm_max(t->p.max_text_bytes), &t->nm,
                       err);
    if (st != CG_OK)
        return st;
    if (t->len + t->nm.plain.n > t->opt->max_total_bytes)
        return cg__fail(err, CG_E_LIMIT, "%s:%llu: training text over %llu bytes", where,
                        (unsigned long long)line, (unsigned long long)t->opt->max_total_bytes);
    if (t->n + 1 >= t->ncap) {
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
    }
    if (t->len + t->nm.plain.n > t->cap) {
        uint64_t nc = t->cap ? t->cap : 65536;
        char *nt;

        while (nc < t->len + t->nm.plain.n)
            nc *= 2;
        nt = cg__realloc(t->text, (size_t)nc);
        if (nt == NULL)
            return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", where,
                            (unsigned long long)line);
        t->text = nt;
        t->cap = nc;
    }
    if (t->nm.plain.n > 0)
        memcpy(t->text + t->len, t->nm.plain.s, t->nm.plain.n);
    t->off[t->n] = t->len;
    t->len += t->nm.plain.n;
    t->off[t->n + 1] = t->len;
    t->labels[t->n] = bits;
    t->negatives += bits == 0;
    t->n++;
    return CG_OK;
}

static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

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
    if (o->epochs == 0)
        o->epochs = DEF_EPOCHS;
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

/* The AdaGrad passes. wg holds, per bucket and label, the weight and its sum of squared
 * gradients side by side; gb the biases' sums. */
static cg_status sgd(const train_set *t, const cg_text_train_options *o, cg_text_model *m,
                     double *final_loss, cg_error *err)
{
    const uint32_t L = m->nlabels;
    const uint64_t nw = ((uint64_t)1 << m->p.bits) * L;
    float *wg = cg__calloc((size_t)nw * 2, sizeof(float));
    float gb[CG_TEXT_MODEL_MAX_LABELS] = {0};
    float z[CG_TEXT_MODEL_MAX_LABELS], g[CG_TEXT_MODEL_MAX_LABELS];
    uint64_t *order = cg__malloc_array((size_t)t->n, sizeof(uint64_t));
    cg__lin_feats f = {0};
    const float lr = o->learning_rate, l2 = o->l2;
    cg_status st = CG_OK;

    *final_loss = 0.0;
    if (wg == NULL || order == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for training state");
        goto done;
    }
    for (uint64_t i = 0; i < t->n; i++)
        order[i] = i;
    for (unsigned ep = 0; ep < o->epochs; ep++) {
        uint64_t rng = o->seed ^ (0x5851f42d4c957f2dULL * (ep + 1));
        double loss = 0.0;

        /* Fisher-Yates with a fixed seed: deterministic. */
        for (uint64_t i = t->n; i > 1; i--) {
            uint64_t j = splitmix64(&rng) % i, tmp = order[i - 1];

            order[i - 1] = order[j];
            order[j] = tmp;
        }
        for (uint64_t e = 0; e < t->n; e++) {
            const uint64_t ex = order[e];
            const uint64_t y = t->labels[ex];
            float x;

            st = cg__lin_featurize(&m->p, t->text + t->off[ex],
                                   (size_t)(t->off[ex + 1] - t->off[ex]), &f, err);
            if (st != CG_OK)
                goto done;
            x = f.n > 0 ? 1.0f / sqrtf((float)f.n) : 0.0f;
            for (uint32_t l = 0; l < L; l++)
                z[l] = 0.0f;
            /* The buckets are random: fetch a few features ahead (the update loop below then
             * finds them in cache). */
            for (size_t k = 0; k < f.n && k < PREFETCH_AHEAD; k++)
                __builtin_prefetch(wg + (size_t)f.idx[k] * L * 2, 1);
            for (size_t k = 0; k < f.n; k++) {
                const float *w = wg + (size_t)f.idx[k] * L * 2;

                if (k + PREFETCH_AHEAD < f.n)
                    __builtin_prefetch(wg + (size_t)f.idx[k + PREFETCH_AHEAD] * L * 2, 1);
                for (uint32_t l = 0; l < L; l++)
                    z[l] += w[2 * l];
            }
            for (uint32_t l = 0; l < L; l++) {
                const float p = sigmoid(z[l] * x + m->bias[l]);
                const int yl = (int)((y >> l) & 1);

                g[l] = p - (float)yl;
                loss -= log(yl ? (p > 1e-7f ? p : 1e-7f) : (1.0f - p > 1e-7f ? 1.0f - p : 1e-7f));
                gb[l] += g[l] * g[l];
                m->bias[l] -= lr * g[l] / (sqrtf(gb[l]) + ADAGRAD_EPS);
            }
            for (size_t k = 0; k < f.n; k++) {
                float *w = wg + (size_t)f.idx[k] * L * 2;

                for (uint32_t l = 0; l < L; l++) {
                    const float gi = g[l] * x + l2 * w[2 * l];

                    if (gi == 0.0f)
                        continue;
                    w[2 * l + 1] += gi * gi;
                    w[2 * l] -= lr * gi / (sqrtf(w[2 * l + 1]) + ADAGRAD_EPS);
                }
            }
        }
        *final_loss = t->n ? loss / ((double)t->n * L) : 0.0;
    }
    for (uint64_t i = 0; i < nw; i++)
        m->w[i] = wg[2 * i];
done:
    cg__lin_feats_free(&f);
    cg__free(order);
    cg__free(wg);
    return st;
}

cg_status cg_text_model_train(const cg_text_data *data, size_t n,
                              const cg_text_train_options *opt, cg_text_model **out,
                              cg_text_train_stats *stats, cg_error *err)
{
    cg_text_train_options o;
    train_set t;
    cg_text_model *m = NULL;
    uint64_t bad = 0;
    double loss = 0.0;
    cg_status st;

    *out = NULL;
    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    memset(&t, 0, sizeof(t));
    options_resolve(opt, &o, &t.p);
    t.opt = &o;
    if (data == NULL || n == 0)
        return cg__fail(err, CG_E_INVAL, "text model: no training data given");
    st = cg__lin_params_check(&t.p, "text model options", err);
    if (st != CG_OK)
        return st;
    st = cg__normalizer_open(NULL, NULL, NULL, &t.nz, err);
    if (st != CG_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        st = cg__dataset_read(&data[i], o.max_text_bytes, o.on_bad_line, o.ud, &bad, add_example,
                              &t, err);
        if (st != CG_OK)
            goto fail;
    }
    if (t.n == 0) {
        st = cg__fail(err, CG_E_INVAL, "%s: no usable example (%llu bad lines)", data[0].path,
                      (unsigned long long)bad);
        goto fail;
    }
    if (t.nlabels == 0) {
        st = cg__fail(err, CG_E_INVAL, "%s: no example has a label; nothing to learn",
                      data[0].path);
        goto fail;
    }
    st = cg__lin_model_new(&t.p, t.nlabels, &m, err);
    if (st != CG_OK)
        goto fail;
    for (uint32_t i = 0; i < t.nlabels; i++) {
        m->labels[i] = t.names[i];
        t.names[i] = NULL;
    }
    st = sgd(&t, &o, m, &loss, err);
    if (st != CG_OK)
        goto fail;
    if (stats != NULL) {
        stats->examples = t.n;
        stats->negatives = t.negatives;
        stats->bad_lines = bad;
        stats->labels = t.nlabels;
        stats->final_loss = loss;
    }
    set_free(&t);
    *out = m;
    return CG_OK;
fail:
    set_free(&t);
    cg_text_model_destroy(m);
    return st;
}

/* ---- evaluation ---------------------------------------------------------------------------- */

typedef struct eval_state {
    const cg_text_model *m;
    cg_text_eval *ev;
    scratch s;
    float scores[CG_TEXT_MODEL_MAX_LABELS];
} eval_state;

static cg_status eval_example(void *ud, const char *text, size_t len, const char *const *labels,
                              size_t nlabels, const char *where, uint64_t line, cg_error *err)
{
    eval_state *es = ud;
    const cg_text_model *m = es->m;
    cg_text_eval *ev = es->ev;
    const uint32_t L = m->nlabels, W = L + 1;
    uint64_t truth = 0, pred = 0;
    cg_status st;

    (void)where;
    (void)line;
    for (size_t i = 0; i < nlabels; i++) {
        uint32_t l;

        for (l = 0; l < L; l++)
            if (strcmp(m->labels[l], labels[i]) == 0)
                break;
        if (l == L)
            ev->unknown_labels++;
        else
            truth |= (uint64_t)1 << l;
    }
    st = predict_with(m, &es->s, text, len, es->scores, err);
    if (st != CG_OK)
        return st;
    for (uint32_t l = 0; l < L; l++)
        if (es->scores[l] >= ev->threshold)
            pred |= (uint64_t)1 << l;
    for (uint32_t l = 0; l < L; l++) {
        const int t = (int)((truth >> l) & 1), p = (int)((pred >> l) & 1);
        cg_text_label_metrics *lm = &ev->labels[l];

        lm->tp += t && p;
        lm->fp += !t && p;
        lm->fn += t && !p;
        lm->tn += !t && !p;
    }
    for (uint32_t a = 0; a < W; a++) {
        if (a < L ? !((truth >> a) & 1) : truth != 0)
            continue;
        for (uint32_t b = 0; b < W; b++)
            if (b < L ? (pred >> b) & 1 : pred == 0)
                ev->confusion[(size_t)a * W + b]++;
    }
    ev->examples++;
    return CG_OK;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void finish_metrics(cg_text_label_metrics *lm)
{
    const double p = ratio(lm->tp, lm->tp + lm->fp), r = ratio(lm->tp, lm->tp + lm->fn);

    lm->precision = p;
    lm->recall = r;
    lm->f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    lm->f05 = p + r > 0 ? 1.25 * p * r / (0.25 * p + r) : 0.0;
}

void cg_text_eval_destroy(cg_text_eval *ev)
{
    if (ev == NULL)
        return;
    cg__free(ev->labels);
    cg__free(ev->confusion);
    cg__free(ev);
}

cg_status cg_text_model_eval(const cg_text_model *m, const cg_text_data *data, size_t n,
                             const cg_text_eval_options *opt, cg_text_eval **out, cg_error *err)
{
    eval_state es;
    cg_text_eval *ev;
    uint64_t bad = 0;
    size_t W;
    cg_status st = CG_OK;

    *out = NULL;
    if (m == NULL || data == NULL || n == 0)
        return cg__fail(err, CG_E_INVAL, "text model eval: no model or no data");
    W = (size_t)m->nlabels + 1;
    memset(&es, 0, sizeof(es));
    ev = cg__calloc(1, sizeof(*ev));
    if (ev == NULL)
        return cg__fail(err, CG_E_NOMEM, "text model eval: out of memory");
    ev->label_count = m->nlabels;
    ev->threshold = opt != NULL && opt->threshold > 0.0 ? opt->threshold : 0.5;
    ev->labels = cg__calloc(m->nlabels, sizeof(*ev->labels));
    ev->confusion = cg__calloc(W * W, sizeof(*ev->confusion));
    if (ev->labels == NULL || ev->confusion == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model eval: out of memory");
        goto fail;
    }
    es.m = m;
    es.ev = ev;
    for (size_t i = 0; i < n; i++) {
        st = cg__dataset_read(&data[i], m->p.max_text_bytes, opt ? opt->on_bad_line : NULL,
                              opt ? opt->ud : NULL, &bad, eval_example, &es, err);
        if (st != CG_OK)
            goto fail;
    }
    ev->bad_lines = bad;
    ev->micro.name = "micro";
    for (uint32_t l = 0; l < m->nlabels; l++) {
        cg_text_label_metrics *lm = &ev->labels[l];

        lm->name = m->labels[l];
        finish_metrics(lm);
        ev->micro.tp += lm->tp;
        ev->micro.fp += lm->fp;
        ev->micro.fn += lm->fn;
        ev->micro.tn += lm->tn;
    }
    finish_metrics(&ev->micro);
    scratch_free(&es.s);
    *out = ev;
    return CG_OK;
fail:
    scratch_free(&es.s);
    cg_text_eval_destroy(ev);
    return st;
}
