/* The linear text classifier (linear.h): features, vectors, models and prediction. Training is
 * in linear_train.c, evaluation in linear_eval.c.
 *
 * Features follow the hashing trick (Weinberger et al., "Feature Hashing for Large Scale
 * Multitask Learning", ICML 2009) over character n-grams and word n-grams, as fastText does
 * (Joulin et al., "Bag of Tricks for Efficient Text Classification", 2016), so that no
 * vocabulary is stored and any text maps to features in one pass. Character n-grams are taken
 * over the whole text (grams that cross a space see word pairs) or, like scikit-learn's
 * "char_wb" analyser, within each word padded with a space on both sides (a misspelt word still
 * shares most of its grams, and the vector does not grow with the pairs of words).
 *
 * Vectors: in the first format each occurrence is one entry of value 1/sqrt(occurrences), so
 * texts of any length have vectors of equal length. With TF-IDF (Salton and Buckley, 1988; the
 * sublinear form of Manning, Raghavan and Schütze, "Introduction to Information Retrieval", ch.
 * 6) each distinct bucket weighs (1 + ln tf) * idf and the vector is scaled to unit length: a
 * word repeated ten times counts about three times, and grams that every text has (" a", "the")
 * count little. */
#include "text/linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* ---- features ------------------------------------------------------------------------------ */

#define FNV_BASIS CG__LIN_FNV_BASIS
#define FNV_PRIME CG__LIN_FNV_PRIME
#define SEED_CHAR 0x9e3779b97f4a7c15ULL

static inline uint32_t bucket(uint64_t h, uint64_t seed, uint32_t bits)
{
    return cg__lin_bucket(h, seed, bits);
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

/* The character n-grams of s (n bytes) padded with a space on each side, written at idx[k..];
 * returns the new k. Grams start and end at UTF-8 character boundaries. */
static size_t char_grams(const cg__lin_params *p, const char *s, size_t n, uint32_t *idx,
                         size_t k)
{
    const size_t padded = n + 2;

    for (size_t i = 0; i < padded; i++) {
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
                idx[k++] = bucket(h, SEED_CHAR, p->bits);
            if (nchar == p->char_max)
                break;
        }
    }
    return k;
}

cg_status cg__lin_featurize(const cg__lin_params *p, const char *s, size_t n, cg__lin_feats *f,
                            cg_error *err)
{
    const int chars = p->char_max > 0 && p->char_min <= p->char_max;
    const int in_words = (p->flags & CG__LIN_CHAR_WORDS) != 0;
    const size_t per_pos = chars ? p->char_max - p->char_min + 1 : 0;
    size_t bound, i, k = 0;
    cg__lin_words words = {{0}, 0};

    f->n = 0;
    /* An upper bound on the features: per_pos grams per character start of the padded text
     * (or of every padded word: at most 2n + 2 positions), and word_ngrams per word (at most
     * n / 2 + 1 words). Reserving it once keeps the loops free of checks. */
    bound = (in_words ? 2 * n + 2 : n + 2) * per_pos + (n / 2 + 1) * p->word_ngrams;
    if (bound > f->cap) {
        uint32_t *ni = cg__malloc_array(bound, sizeof(*ni));

        if (ni == NULL)
            return cg__fail(err, CG_E_NOMEM, "text model: out of memory for %zu features",
                            bound);
        cg__free(f->idx);
        f->idx = ni;
        f->cap = bound;
    }
    if (chars && !in_words)
        k = char_grams(p, s, n, f->idx, k);
    for (i = 0; chars && in_words && i < n;) {
        size_t j = i;

        while (j < n && s[j] != ' ')
            j++;
        if (j > i)
            k = char_grams(p, s + i, j - i, f->idx, k);
        i = j + 1;
    }
    f->n_char = k;
    /* Words (in Vietnamese, syllables): the plain form separates them by single spaces. */
    const uint32_t bits = p->bits, word_ngrams = p->word_ngrams;
    for (i = 0; i < n;) {
        size_t j = i;
        uint64_t h = FNV_BASIS;

        while (j < n && s[j] != ' ')
            h = (h ^ (unsigned char)s[j++]) * FNV_PRIME;
        if (j > i)
            k = cg__lin_word_emit(bits, word_ngrams, &words, h, f->idx, k);
        i = j + 1;
    }
    f->n = k;
    return CG_OK;
}

/* ---- vectors ------------------------------------------------------------------------------- */

void cg__lin_vec_free(cg__lin_vec *v)
{
    cg__free(v->idx);
    cg__free(v->val);
    memset(v, 0, sizeof(*v));
}

static int cmp_u32(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* x with its bytes in little-endian order (x itself on little-endian machines). */
static inline uint64_t le64(uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(x);
#else
    return x;
#endif
}

/* The most indices sort_u32 sorts by ranges (more go to qsort): every range count and every
 * sum of counts fits in a byte. */
#define SMALL_SORT 96

/* Sorts the indices v[0 .. n) of buckets below 2^bits. A few (short messages) are counted into
 * 32 ranges by their top five bits and moved into place range by range, then an insertion sort
 * finishes: about one index a range, so it moves few (a plain insertion sort moved about n^2/4,
 * and a bitmap over every bucket cost more to read back than this). Many go to qsort.
 * The ranges' starts are the counts' prefix sums, eight bytes at a time: multiplying eight byte
 * counts by 0x0101010101010101 leaves in byte j the sum of bytes 0 .. j (no byte overflows: the
 * sums are at most SMALL_SORT). */
static void sort_u32(uint32_t *v, size_t n, uint32_t bits)
{
    if (n > SMALL_SORT) {
        qsort(v, n, sizeof(*v), cmp_u32);
        return;
    }
    if (n < 2)
        return;
    const unsigned shift = bits > 5 ? bits - 5 : 0; /* bits >= CG__LIN_MIN_BITS (8) */
    uint8_t cnt[32] = {0}, start[32];
    uint64_t c8[4], s8[4];
    uint32_t tmp[SMALL_SORT];

    for (size_t i = 0; i < n; i++)
        cnt[(v[i] >> shift) & 31]++;
    memcpy(c8, cnt, sizeof(c8));
    uint64_t base = 0;
    for (int q = 0; q < 4; q++) {
        /* Little-endian order: byte j of the word is the j-th count (big-endian reverses). */
        const uint64_t c = le64(c8[q]);
        const uint64_t incl = c * 0x0101010101010101ULL; /* byte j: counts 0 .. j */

        s8[q] = le64((incl << 8) + base * 0x0101010101010101ULL);
        base += incl >> 56;
    }
    memcpy(start, s8, sizeof(start));
    memcpy(tmp, v, n * sizeof(*v));
    /* Each index goes after what its range holds so far (held[r] of them from start[r] on),
     * moved down past the larger ones: each range is sorted as it fills. */
    uint8_t held[32] = {0};
    for (size_t i = 0; i < n; i++) {
        const uint32_t x = tmp[i];
        const unsigned r = (x >> shift) & 31;
        const size_t lo = start[r];
        size_t j = lo + held[r]++;

        for (; j > lo && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

cg_status cg__lin_vectorize(const cg__lin_params *p, const float *idf, cg__lin_feats *f,
                            cg__lin_vec *v, cg_error *err)
{
    v->n = 0;
    if (f->n > v->cap) {
        uint32_t *ni = cg__malloc_array(f->n, sizeof(*ni));
        float *nv = cg__malloc_array(f->n, sizeof(*nv));

        if (ni == NULL || nv == NULL) {
            cg__free(ni);
            cg__free(nv);
            return cg__fail(err, CG_E_NOMEM, "text model: out of memory for %zu features", f->n);
        }
        cg__free(v->idx);
        cg__free(v->val);
        v->idx = ni;
        v->val = nv;
        v->cap = f->n;
    }
    if (f->n == 0)
        return CG_OK;
    if (!(p->flags & CG__LIN_TFIDF) || idf == NULL) {
        const float x = 1.0f / sqrtf((float)f->n);

        memcpy(v->idx, f->idx, f->n * sizeof(*v->idx));
        for (size_t k = 0; k < f->n; k++)
            v->val[k] = x;
        v->n = f->n;
        return CG_OK;
    }
    /* Each part (character grams, then words) sorted, merged and scaled on its own. */
    const size_t part_end[2] = {f->n_char, f->n};
    size_t a = 0;
    for (int part = 0; part < 2; part++) {
        const size_t b = part_end[part], first = v->n;
        double norm = 0.0;

        sort_u32(f->idx + a, b - a, p->bits);
        /* Locals in the loop: the stores through v->idx and v->val leave them in registers. */
        const uint32_t *const ix = f->idx;
        uint32_t *const vi = v->idx;
        float *const vv = v->val;
        size_t nv = v->n;
        for (size_t k = a; k < b;) {
            const uint32_t bk = ix[k];
            size_t e = k + 1;
            /* 1 + ln 1 = 1, and 1 * idf is idf: most grams occur once, and logf is the costly
             * part. */
            float x = idf[bk];

            if (e < b && ix[e] == bk) {
                while (e < b && ix[e] == bk)
                    e++;
                x = (1.0f + logf((float)(e - k))) * x;
            }
            vi[nv] = bk;
            vv[nv++] = x;
            norm += (double)x * x;
            k = e;
        }
        v->n = nv;
        if (norm > 0) {
            const float sc = (float)(1.0 / sqrt(norm));

            for (size_t k = first; k < v->n; k++)
                v->val[k] *= sc;
        }
        a = b;
    }
    return CG_OK;
}

size_t cg__lin_cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

size_t cg__lin_norm_max(size_t max_text_bytes)
{
    /* The normaliser's own cap; texts are cut to max_text_bytes before. */
    return max_text_bytes > ((size_t)1 << 20) ? max_text_bytes : 0;
}

cg_status cg__lin_text_features(const cg__lin_params *p, cg__normalizer *nz, cg__normalized *nm,
                                const char *text, size_t len, cg__lin_feats *f, cg_error *err)
{
    cg_status st;

    len = cg__lin_cut_utf8(text, len, p->max_text_bytes);
    if (p->flags & CG__LIN_RAW)
        return cg__lin_featurize(p, text, len, f, err);
    st = cg__normalize(nz, text, len, CG__UTF8_REPLACE, cg__lin_norm_max(p->max_text_bytes), nm,
                       err);
    if (st != CG_OK)
        return st;
    if (p->flags & CG__LIN_FOLDED)
        return cg__lin_featurize(p, nm->folded.s, nm->folded.n, f, err);
    return cg__lin_featurize(p, nm->plain.s, nm->plain.n, f, err);
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
    if ((p->flags & ~CG__LIN_FLAGS_KNOWN) != 0 ||
        ((p->flags & CG__LIN_NONE_CLASS) && !(p->flags & CG__LIN_SOFTMAX)))
        return cg__fail(err, CG_E_INVAL, "%s: unknown flags 0x%x", what, p->flags);
    return CG_OK;
}

cg_status cg__lin_model_new(const cg__lin_params *p, uint32_t nlabels, cg_text_model **out,
                            cg_error *err)
{
    cg_text_model *m;
    cg_status st;
    const uint32_t ncls = nlabels + ((p->flags & CG__LIN_NONE_CLASS) != 0);
    const uint64_t nw = ((uint64_t)1 << p->bits) * ncls;

    *out = NULL;
    if (nlabels == 0 || nlabels > CG_TEXT_MODEL_MAX_LABELS || nw > CG__LIN_MAX_WEIGHTS)
        return cg__fail(err, CG_E_LIMIT, "text model: %u labels x 2^%u buckets is too large",
                        nlabels, p->bits);
    m = cg__calloc(1, sizeof(*m));
    if (m == NULL)
        return cg__fail(err, CG_E_NOMEM, "text model: out of memory");
    m->p = *p;
    m->nlabels = nlabels;
    m->ncls = ncls;
    m->bias = cg__calloc(ncls, sizeof(float));
    m->threshold = cg__calloc(nlabels, sizeof(float));
    m->w = cg__calloc((size_t)nw, sizeof(float));
    if (p->flags & CG__LIN_TFIDF)
        m->idf = cg__calloc((size_t)1 << p->bits, sizeof(float));
    if (m->bias == NULL || m->threshold == NULL || m->w == NULL ||
        ((p->flags & CG__LIN_TFIDF) && m->idf == NULL)) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for %llu weights",
                      (unsigned long long)nw);
        goto fail;
    }
    for (uint32_t l = 0; l < nlabels; l++)
        m->threshold[l] = 0.5f;
    if (!(p->flags & CG__LIN_RAW)) {
        st = cg__normalizer_open(NULL, NULL, NULL, &m->nz, err);
        if (st != CG_OK)
            goto fail;
    }
    *out = m;
    return CG_OK;
fail:
    cg_text_model_close(m);
    return st;
}

void cg_text_model_close(cg_text_model *m)
{
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < CG_TEXT_MODEL_MAX_LABELS; i++)
        cg__free(m->labels[i]);
    cg__free(m->bias);
    cg__free(m->threshold);
    cg__free(m->idf);
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

cg_text_model_mode cg_text_model_mode_of(const cg_text_model *m)
{
    return m != NULL && (m->p.flags & CG__LIN_SOFTMAX) ? CG_TEXT_MODE_SOFTMAX : CG_TEXT_MODE_OVR;
}

double cg_text_model_threshold(const cg_text_model *m, unsigned i)
{
    return m != NULL && i < m->nlabels ? (double)m->threshold[i] : 0.5;
}

/* ---- prediction ---------------------------------------------------------------------------- */

/* z[c] = bias[c] + sum over the entries of w[bucket * C + c] * value, entry by entry. Inlined
 * with C a constant for the usual class counts, so the sums stay in registers (z may alias
 * nothing the loop reads) and the compiler can use vector instructions across the classes:
 * each class's sum still adds the same products in the same order, so the scores are the same
 * to the bit. */
static inline __attribute__((always_inline)) void scores_c(const cg_text_model *m,
                                                           const cg__lin_vec *v, float *z,
                                                           const uint32_t C)
{
    float acc[CG_TEXT_MODEL_MAX_LABELS + 1];

    for (uint32_t c = 0; c < C; c++)
        acc[c] = m->bias[c];
    for (size_t k = 0; k < v->n; k++) {
        const float *w = m->w + (size_t)v->idx[k] * C;
        const float x = v->val[k];

        for (uint32_t c = 0; c < C; c++)
            acc[c] += w[c] * x;
    }
    for (uint32_t c = 0; c < C; c++)
        z[c] = acc[c];
}

void cg__lin_scores(const cg_text_model *m, const cg__lin_vec *v, float *z)
{
    switch (m->ncls) {
    case 2: scores_c(m, v, z, 2); break;
    case 3: scores_c(m, v, z, 3); break;
    case 4: scores_c(m, v, z, 4); break;
    case 5: scores_c(m, v, z, 5); break;
    case 6: scores_c(m, v, z, 6); break;
    case 7: scores_c(m, v, z, 7); break;
    case 8: scores_c(m, v, z, 8); break;
    default: scores_c(m, v, z, m->ncls); break;
    }
}

static inline float sigmoid(float z)
{
    if (z > 30.0f)
        z = 30.0f;
    else if (z < -30.0f)
        z = -30.0f;
    return 1.0f / (1.0f + expf(-z));
}

void cg__lin_link(const cg__lin_params *p, uint32_t ncls, float *z)
{
    if (!(p->flags & CG__LIN_SOFTMAX)) {
        for (uint32_t c = 0; c < ncls; c++)
            z[c] = sigmoid(z[c]);
        return;
    }
    float top = z[0], sum = 0.0f;
    for (uint32_t c = 1; c < ncls; c++)
        top = z[c] > top ? z[c] : top;
    for (uint32_t c = 0; c < ncls; c++) {
        z[c] = expf(z[c] - top);
        sum += z[c];
    }
    for (uint32_t c = 0; c < ncls; c++)
        z[c] /= sum;
}

uint64_t cg__lin_assign(const cg__lin_params *p, uint32_t nlabels, uint32_t ncls,
                        const float *prob, const float *thresholds, double threshold)
{
    uint64_t bits = 0;

    if (p->flags & CG__LIN_SOFTMAX) {
        uint32_t best = 0;
        float rest = 1.0f;

        for (uint32_t c = 0; c < nlabels; c++) {
            rest -= prob[c];
            if (prob[c] > prob[best])
                best = c;
        }
        /* The implicit "no label" class holds what the labels leave. */
        if (ncls > nlabels && rest > prob[best])
            return 0;
        return (uint64_t)1 << best;
    }
    for (uint32_t l = 0; l < nlabels; l++) {
        const double t = threshold > 0 || thresholds == NULL ? threshold : thresholds[l];

        if (prob[l] >= t)
            bits |= (uint64_t)1 << l;
    }
    return bits;
}

unsigned cg_text_model_assign(const cg_text_model *m, const float *scores, double threshold,
                              unsigned char *assigned)
{
    unsigned n = 0;

    if (m == NULL || scores == NULL || assigned == NULL)
        return 0;
    const uint64_t bits = cg__lin_assign(&m->p, m->nlabels, m->ncls, scores, m->threshold,
                                         threshold);
    for (uint32_t l = 0; l < m->nlabels; l++) {
        assigned[l] = (unsigned char)((bits >> l) & 1);
        n += assigned[l];
    }
    return n;
}

/* Per-call scratch of prediction. */
typedef struct scratch {
    cg__normalized nm;
    cg__lin_feats f;
    cg__lin_vec v;
} scratch;

static void scratch_free(scratch *s)
{
    cg__normalized_free(&s->nm);
    cg__lin_feats_free(&s->f);
    cg__lin_vec_free(&s->v);
}

cg_status cg_text_model_predict(const cg_text_model *m, const char *text, size_t len,
                                float *scores, cg_error *err)
{
    float z[CG_TEXT_MODEL_MAX_LABELS + 1];
    scratch s;
    cg_status st;

    memset(&s, 0, sizeof(s));
    if (m == NULL || (text == NULL && len > 0) || scores == NULL)
        return cg__fail(err, CG_E_INVAL, "text model predict: NULL argument");
    st = cg__lin_text_features(&m->p, m->nz, &s.nm, text ? text : "", len, &s.f, err);
    if (st == CG_OK)
        st = cg__lin_vectorize(&m->p, m->idf, &s.f, &s.v, err);
    if (st == CG_OK) {
        cg__lin_scores(m, &s.v, z);
        cg__lin_link(&m->p, m->ncls, z);
        memcpy(scores, z, m->nlabels * sizeof(*scores));
    }
    scratch_free(&s);
    if (st != CG_OK)
        for (uint32_t l = 0; l < m->nlabels; l++)
            scores[l] = 0.0f;
    return st;
}
