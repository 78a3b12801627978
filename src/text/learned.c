/* The engine's learned layer (learned.h): the feature line of a message and its score.
 *
 * Why words and rule tokens rather than character n-grams: the engine has already normalised
 * the message (leetspeak, look-alikes, teencode, spaced-out letters, diacritics) and matched
 * its lexicons, so whole words of the plain form are robust to most obfuscation already, and
 * the cue tokens carry what the lexicons know. Character n-grams cost a second normalisation
 * and about twenty times as many features (docs/text-model.md); these features cost one pass
 * over the forms. The model is trained by the project's trainer in raw-token mode. */
#include "text/learned.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/bytescan.h"
#include "text/detect.h"

void cg__learned_scratch_free(cg__learned_scratch *s)
{
    cg__free(s->s);
    cg__lin_feats_free(&s->f);
    cg__lin_vec_free(&s->v);
    memset(s, 0, sizeof(*s));
}

/* Makes room for need more bytes (and the NUL). */
static int reserve(cg__learned_scratch *s, size_t need)
{
    if (s->n + need + 1 <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->n + need + 1)
        cap *= 2;
    char *p = cg__realloc(s->s, cap);
    if (p == NULL)
        return -1;
    s->s = p;
    s->cap = cap;
    return 0;
}

/* Appends " " prefix a (and b when not NULL); the room was reserved. */
static void put(cg__learned_scratch *s, const char *prefix, const char *a, size_t an)
{
    const size_t pn = strlen(prefix);

    if (s->n > 0)
        s->s[s->n++] = ' ';
    memcpy(s->s + s->n, prefix, pn);
    s->n += pn;
    memcpy(s->s + s->n, a, an);
    s->n += an;
}

/* A bound on the length of a message's feature line: the plain form's words, the folded
 * form's (at most as long, each with "~" and a space), per finding its cue id and facet name
 * (under 64 bytes each, with "#" and a space), and a few fixed tokens. */
static size_t line_bound(const cg__normalized *nm, size_t n)
{
    return nm->plain.n + 2 * nm->folded.n + 2 + n * 136 + 64;
}

cg_status cg__learned_features(const cg__normalized *nm, const char *text, size_t len,
                               const cg__finding *f, size_t n, const cg__age_facts *age,
                               cg__learned_scratch *s, cg_error *err)
{
    const size_t need = line_bound(nm, n);

    s->n = 0;
    if (reserve(s, need) != 0)
        return cg__fail(err, CG_E_NOMEM, "out of memory for the learned layer's features");
    if (nm->plain.n > 0) {
        memcpy(s->s, nm->plain.s, nm->plain.n);
        s->n = nm->plain.n;
    }
    /* Words with Vietnamese letters, in their folded spelling: the tones the plain form drops. */
    for (size_t i = 0; i < nm->folded.n;) {
        size_t j = i;
        int wide = 0;

        while (j < nm->folded.n && nm->folded.s[j] != ' ')
            wide |= (unsigned char)nm->folded.s[j++] >= 0x80;
        if (wide)
            put(s, "~", nm->folded.s + i, j - i);
        i = j + 1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *facet = cg_text_facet_name(f[i].facet);
        put(s, "#", f[i].cue, strnlen(f[i].cue, 63));
        if (f[i].facet != CG_FACET_NONE && facet != NULL)
            put(s, "#", facet, strlen(facet));
    }
    if (age != NULL && age->stated_min > 0)
        put(s, "#", "age.stated", 10);
    if (age != NULL && age->asked)
        put(s, "#", "age.asked", 9);
    if (cg__context_laugh_emoji(text, len))
        put(s, "#", "laugh", 5);
    s->s[s->n] = '\0';
    return CG_OK;
}

void cg__learned_score_vector(const cg_text_model *m, const cg__learned_scratch *s,
                              float *scores)
{
    float z[CG_TEXT_MODEL_MAX_LABELS + 1];

    cg__lin_scores(m, &s->v, z);
    cg__lin_link(&m->p, m->ncls, z);
    memcpy(scores, z, m->nlabels * sizeof(*scores));
}

cg_status cg__learned_score(const cg_text_model *m, cg__learned_scratch *s, float *scores,
                            cg_error *err)
{
    const size_t len = cg__lin_cut_utf8(s->s, s->n, m->p.max_text_bytes);
    cg_status st = cg__lin_featurize(&m->p, s->s, len, &s->f, err);

    if (st == CG_OK)
        st = cg__lin_vectorize(&m->p, m->idf, &s->f, &s->v, err);
    if (st != CG_OK)
        return st;
    cg__learned_score_vector(m, s, scores);
    return CG_OK;
}

/* ---- the direct path ----------------------------------------------------------------------- */

/* FNV-1a (linear.h) of s[0 .. n) continued from h, four bytes a step and the last 0-3 without a
 * loop: the same products in the same order as a byte loop, with a quarter of its tests. */
static inline uint64_t fnv_bytes(uint64_t h, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        h = (h ^ u[i]) * CG__LIN_FNV_PRIME;
        h = (h ^ u[i + 1]) * CG__LIN_FNV_PRIME;
        h = (h ^ u[i + 2]) * CG__LIN_FNV_PRIME;
        h = (h ^ u[i + 3]) * CG__LIN_FNV_PRIME;
    }
    if (n & 2) {
        h = (h ^ u[i]) * CG__LIN_FNV_PRIME;
        h = (h ^ u[i + 1]) * CG__LIN_FNV_PRIME;
        i += 2;
    }
    if (n & 1)
        h = (h ^ u[i]) * CG__LIN_FNV_PRIME;
    return h;
}

/* The feature line as a stream of tokens split at spaces, as cg__lin_featurize splits it: each
 * token's FNV-1a hash is turned into buckets when the token ends. */
typedef struct stream {
    uint32_t bits, ngrams; /* the model's */
    uint32_t *idx;
    size_t k;
    uint64_t h;
    int in;  /* inside a token */
    cg__lin_words w;
} stream;

static inline void end_token(stream *t)
{
    if (t->in) {
        t->k = cg__lin_word_emit(t->bits, t->ngrams, &t->w, t->h, t->idx, t->k);
        t->in = 0;
    }
}

/* What put() appends to the line: a separator, then prefix and a (a's spaces, which no cue or
 * facet name has, still split it into tokens as the featuriser would; its last token stays
 * open, as the line's would until the next separator). */
static void token(stream *t, char prefix, const char *a, size_t an)
{
    size_t i = 0;

    end_token(t);
    t->h = (CG__LIN_FNV_BASIS ^ (unsigned char)prefix) * CG__LIN_FNV_PRIME;
    t->in = 1;
    for (;;) {
        const size_t e = cg__bytes_space(a, i, an);

        if (e > i) {
            if (!t->in) {
                t->h = CG__LIN_FNV_BASIS;
                t->in = 1;
            }
            t->h = fnv_bytes(t->h, a + i, e - i);
        }
        if (e >= an)
            return;
        end_token(t);
        i = e + 1;
    }
}

cg_status cg__learned_vector(const cg_text_model *m, const cg__normalized *nm, const char *text,
                             size_t len, const cg__finding *f, size_t n,
                             const cg__age_facts *age, int laugh, cg__learned_scratch *s,
                             cg_error *err)
{
    const cg__lin_params *p = &m->p;
    const size_t bound = line_bound(nm, n);
    cg_status st;

    if ((p->char_max > 0 && p->char_min <= p->char_max) || bound > p->max_text_bytes) {
        st = cg__learned_features(nm, text, len, f, n, age, s, err);
        if (st != CG_OK)
            return st;
        st = cg__lin_featurize(p, s->s, cg__lin_cut_utf8(s->s, s->n, p->max_text_bytes), &s->f,
                               err);
        return st != CG_OK ? st : cg__lin_vectorize(p, m->idf, &s->f, &s->v, err);
    }
    /* At most bound / 2 + 1 tokens, word_ngrams buckets each (cg__lin_featurize's bound). */
    const size_t cap = (bound / 2 + 1) * p->word_ngrams;
    if (cap > s->f.cap) {
        uint32_t *ni = cg__malloc_array(cap, sizeof(*ni));

        if (ni == NULL)
            return cg__fail(err, CG_E_NOMEM, "out of memory for the learned layer's features");
        cg__free(s->f.idx);
        s->f.idx = ni;
        s->f.cap = cap;
    }
    /* The words of the forms go through locals (the tokens after them through t): their loops
     * keep the n-gram state, the count and the model's parameters in registers. */
    const uint32_t bits = p->bits, ngrams = p->word_ngrams;
    uint32_t *const idx = s->f.idx;
    cg__lin_words wd = {{0}, 0};
    size_t k = 0;

    /* The plain form's words (the line's first bytes): each word's end found eight bytes at a
     * time, then its bytes hashed. */
    const char *const ps = nm->plain.s;
    const size_t pn = nm->plain.n;
    for (size_t i = 0; i < pn;) {
        const size_t j = cg__bytes_space(ps, i, pn);

        if (j > i)
            k = cg__lin_word_emit(bits, ngrams, &wd, fnv_bytes(CG__LIN_FNV_BASIS, ps + i, j - i),
                                  idx, k);
        i = j + 1;
    }
    /* Words with Vietnamese letters, in their folded spelling, as "~" + the word: the search
     * jumps from one byte >= 0x80 to the next (eight bytes at a time), and each such byte's word
     * is hashed once, from its start (found backwards) to its end. */
    const char *const fs = nm->folded.s;
    const size_t fn = nm->folded.n;
    const uint64_t tilde = (CG__LIN_FNV_BASIS ^ (unsigned char)'~') * CG__LIN_FNV_PRIME;
    for (size_t i = cg__bytes_wide(fs, 0, fn); i < fn;) {
        size_t a = i;

        while (a > 0 && fs[a - 1] != ' ')
            a--;
        const size_t e = cg__bytes_space(fs, i, fn);
        k = cg__lin_word_emit(bits, ngrams, &wd, fnv_bytes(tilde, fs + a, e - a), idx, k);
        if (e >= fn)
            break;
        i = cg__bytes_wide(fs, e + 1, fn);
    }
    stream t = {bits, ngrams, idx, k, 0, 0, wd};

    for (size_t i = 0; i < n; i++) {
        const char *facet = cg_text_facet_name(f[i].facet);
        token(&t, '#', f[i].cue, strnlen(f[i].cue, 63));
        if (f[i].facet != CG_FACET_NONE && facet != NULL)
            token(&t, '#', facet, strlen(facet));
    }
    if (age != NULL && age->stated_min > 0)
        token(&t, '#', "age.stated", 10);
    if (age != NULL && age->asked)
        token(&t, '#', "age.asked", 9);
    if (laugh)
        token(&t, '#', "laugh", 5);
    end_token(&t);
    s->f.n = t.k;
    s->f.n_char = 0;
    return cg__lin_vectorize(p, m->idf, &s->f, &s->v, err);
}
