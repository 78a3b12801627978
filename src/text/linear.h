/* Internal: the linear text classifier behind include/childguard/textmodel.h.
 *
 * - Features (linear.c): hashed character n-grams (at UTF-8 character boundaries, over the plain
 *   form padded with a space on each side, so word starts and ends are marked; or within each
 *   word padded the same way) and hashed word n-grams of the plain form of normalize.h (or of
 *   the raw text, for models over feature tokens). Each occurrence is one bucket index.
 * - Vectors (linear.c): the occurrences as a sparse vector: each occurrence one entry of value
 *   1/sqrt(occurrences) (the first format), or, with TF-IDF, one entry per distinct bucket of
 *   value (1 + ln tf) * idf, scaled to unit length.
 * - Model: per class a bias and a weight per bucket, stored bucket-major (w[bucket * C + class])
 *   so that the classes of one bucket share a cache line. One-vs-rest models have one class per
 *   label; softmax models one per label plus, when the training data had examples without a
 *   label, an implicit last "no label" class.
 * - Training (linear_train.c), evaluation (linear_eval.c), data readers (dataset.c: JSONL,
 *   fastText and PAN-2012, calling back once per example), file (linear_io.c).
 *
 * Threading: a model is immutable after training or loading. */
#ifndef CG_TEXT_LINEAR_H
#define CG_TEXT_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/textmodel.h"
#include "text/normalize.h"

#define CG__LIN_MIN_BITS 8
#define CG__LIN_MAX_BITS 26
#define CG__LIN_MAX_CHAR_N 8
#define CG__LIN_MAX_WORD_N 3
/* Weights of one model (buckets * labels): 1 GiB of float32. */
#define CG__LIN_MAX_WEIGHTS ((uint64_t)1 << 28)

/* Model flags (the file's header word; 0 in the first format). */
#define CG__LIN_SOFTMAX 1u     /* multinomial */
#define CG__LIN_TFIDF 2u       /* TF-IDF vectors; the model holds idf per bucket */
#define CG__LIN_CHAR_WORDS 4u  /* character n-grams within words */
#define CG__LIN_RAW 8u         /* texts are feature tokens: no normalisation */
#define CG__LIN_NONE_CLASS 16u /* softmax with an implicit last "no label" class */
#define CG__LIN_FOLDED 32u     /* features of the folded form (Vietnamese diacritics kept) */
#define CG__LIN_FLAGS_KNOWN 63u

/* What determines the features of a text. */
typedef struct cg__lin_params {
    uint32_t bits;          /* buckets = 2^bits */
    uint32_t char_min;      /* char n-grams of char_min..char_max characters; none when */
    uint32_t char_max;      /* char_min > char_max or char_max == 0 */
    uint32_t word_ngrams;   /* 1..3 */
    uint32_t max_text_bytes;
    uint32_t flags;         /* CG__LIN_* */
} cg__lin_params;

struct cg_text_model {
    cg__lin_params p;
    uint32_t nlabels;
    uint32_t ncls;          /* weight columns: nlabels, + 1 with CG__LIN_NONE_CLASS */
    char *labels[CG_TEXT_MODEL_MAX_LABELS];
    float *bias;            /* ncls */
    float *threshold;       /* nlabels (0.5 unless chosen on dev data) */
    float *idf;             /* 1 << bits with CG__LIN_TFIDF, else NULL */
    float *w;               /* (1 << bits) * ncls, bucket-major */
    cg__normalizer *nz;     /* no teencode table: see docs/text-model.md */
};

/* A sparse vector: entry k is bucket idx[k] with value val[k]. */
typedef struct cg__lin_vec {
    uint32_t *idx;
    float *val;
    size_t n, cap;
} cg__lin_vec;

/* A growable list of bucket indices (one per feature occurrence). */
typedef struct cg__lin_feats {
    uint32_t *idx;
    size_t n, cap;
    size_t n_char;          /* idx[0 .. n_char) are character n-grams, the rest word n-grams */
} cg__lin_feats;

/* ---- word features, shared by cg__lin_featurize and the learned layer's direct path ---------
 * A word is hashed with FNV-1a over its bytes (cg__lin_word_hash); cg__lin_word_emit turns the
 * hash into the word's unigram bucket and, with the hashes of the words before it, its 2- and
 * 3-gram buckets. One definition, so a token stream hashed without building its text (learned.c)
 * gets exactly the buckets featurising the text would. */
#define CG__LIN_FNV_BASIS 0xcbf29ce484222325ULL
#define CG__LIN_FNV_PRIME 0x100000001b3ULL
#define CG__LIN_SEED_WORD 0xc2b2ae3d27d4eb4fULL

/* A multiply-xorshift finaliser (Stafford's mix13) so that the top bits of FNV-1a, which mix
 * poorly for short inputs, are usable as the bucket. mix13's last step, h ^= h >> 31, is left
 * out: it changes only the low 33 bits, and the bucket is the top bits (at most
 * CG__LIN_MAX_BITS of them), so every bucket is the same with or without it. */
_Static_assert(CG__LIN_MAX_BITS <= 33, "the bucket's bits are above mix13's last xor-shift");
static inline uint32_t cg__lin_bucket(uint64_t h, uint64_t seed, uint32_t bits)
{
    h ^= seed;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return (uint32_t)(h >> (64 - bits));
}

/* The words seen so far (for n-grams); zero it at the start of a text. */
typedef struct cg__lin_words {
    uint64_t prev[CG__LIN_MAX_WORD_N - 1];
    size_t nprev;
} cg__lin_words;

/* Writes the buckets of a word of hash h (its unigram, then its n-grams with the words before
 * it, up to word_ngrams) at idx[k..]; returns the new k. bits and word_ngrams are the model's
 * (cg__lin_params), passed by value: a caller's loop then keeps them in registers (read through
 * a pointer, they would be read again after every store to idx, which could alias them). */
static inline size_t cg__lin_word_emit(uint32_t bits, uint32_t word_ngrams, cg__lin_words *w,
                                       uint64_t h, uint32_t *idx, size_t k)
{
    uint64_t g = h;

    idx[k++] = cg__lin_bucket(h, CG__LIN_SEED_WORD, bits);
    for (size_t m = 0; m + 1 < word_ngrams && m < w->nprev; m++) {
        g = (w->prev[m] * 0x9e3779b97f4a7c15ULL + g) ^ (g >> 17);
        idx[k++] = cg__lin_bucket(g, CG__LIN_SEED_WORD + m + 1, bits);
    }
    for (size_t m = CG__LIN_MAX_WORD_N - 2; m > 0; m--)
        w->prev[m] = w->prev[m - 1];
    w->prev[0] = h;
    if (w->nprev < CG__LIN_MAX_WORD_N - 1)
        w->nprev++;
    return k;
}

/* Appends the features of the plain form s (n bytes) to f (f->n is reset first). */
cg_status cg__lin_featurize(const cg__lin_params *p, const char *s, size_t n, cg__lin_feats *f,
                            cg_error *err);
void cg__lin_feats_free(cg__lin_feats *f);

/* Makes the vector of features f (reordered in place when TF-IDF sorts them): TF-IDF with
 * idf (1 << bits floats) when p has CG__LIN_TFIDF (the character and the word n-grams each
 * scaled to unit length, as two TF-IDF vectorisers side by side would be), else 1/sqrt(n) per
 * occurrence. */
cg_status cg__lin_vectorize(const cg__lin_params *p, const float *idf, cg__lin_feats *f,
                            cg__lin_vec *v, cg_error *err);
void cg__lin_vec_free(cg__lin_vec *v);

/* The features of a text as the model sees it: cut to max_text_bytes, normalised to its plain
 * form (unless CG__LIN_RAW; nz and nm are the normaliser and its output buffer), featurised. */
cg_status cg__lin_text_features(const cg__lin_params *p, cg__normalizer *nz, cg__normalized *nm,
                                const char *text, size_t len, cg__lin_feats *f, cg_error *err);

/* Raw scores (before the link function) of vector v: z[c] for each of the ncls classes. */
void cg__lin_scores(const cg_text_model *m, const cg__lin_vec *v, float *z);

/* Turns raw scores into probabilities in place: sigmoid per class (one-vs-rest) or softmax. */
void cg__lin_link(const cg__lin_params *p, uint32_t ncls, float *z);

/* The labels assigned to probabilities (bit set): see cg_text_model_assign; thresholds NULL
 * means threshold for every label. */
uint64_t cg__lin_assign(const cg__lin_params *p, uint32_t nlabels, uint32_t ncls,
                        const float *prob, const float *thresholds, double threshold);

/* A model with zeroed weights, thresholds 0.5 and no labels (labels are added by the caller
 * with cg__strdup). ncls is nlabels, or nlabels + 1 with CG__LIN_NONE_CLASS. */
cg_status cg__lin_model_new(const cg__lin_params *p, uint32_t nlabels, cg_text_model **out,
                            cg_error *err);

/* The length of text cut to max bytes without splitting a UTF-8 character. */
size_t cg__lin_cut_utf8(const char *s, size_t len, size_t max);
/* The normaliser's own cap for texts already cut to max_text_bytes. */
size_t cg__lin_norm_max(size_t max_text_bytes);

/* Checks params read from a file or given as options; err names what. */
cg_status cg__lin_params_check(const cg__lin_params *p, const char *what, cg_error *err);

/* Is name a valid label (1..CG_TEXT_LABEL_MAX printable ASCII bytes, no spaces)? */
int cg__lin_label_ok(const char *name, size_t len);

/* ---- choices on held-out data (linear_dev.c) ------------------------------------------------ */

/* Macro-F1 over m's labels of the assignments of prob (n x ncls, after the link) against the
 * label bit sets labels[n], with m's thresholds. */
double cg__lin_macro_f1(const cg_text_model *m, uint64_t n, const uint64_t *labels,
                        const float *prob);
/* prob (n x ncls) = the link of the raw scores z. */
void cg__lin_link_all(const cg_text_model *m, uint64_t n, const float *z, float *prob);
/* One-vs-rest: each label's threshold for the best F1 on (labels, prob), ties to the one
 * nearest 0.5; a label no example carries keeps 0.5. */
cg_status cg__lin_choose_thresholds(cg_text_model *m, uint64_t n, const uint64_t *labels,
                                    const float *prob, cg_error *err);
/* Softmax: per-class shifts of the biases (coordinate ascent over a grid) for the best
 * macro-F1 on (labels, raw scores z); added to m's biases. */
cg_status cg__lin_choose_shifts(cg_text_model *m, uint64_t n, const uint64_t *labels,
                                const float *z, cg_error *err);

/* ---- full-batch training (linear_lbfgs.c) --------------------------------------------------- */

/* A training problem over the dim buckets the data touch (renumbered 0 .. dim): example i is
 * entries voff[i] .. voff[i + 1] of vidx/vval, its labels the bit set labels[i]; wpos/wneg are
 * the class weights (softmax: wpos per class). */
typedef struct cg__lin_problem {
    uint32_t flags;           /* CG__LIN_SOFTMAX or not */
    uint32_t nlabels, ncls;
    uint64_t n;
    const uint64_t *voff;
    const uint32_t *vidx;
    const float *vval;
    const uint64_t *labels;
    const float *wpos, *wneg;
    uint32_t dim;
    double lambda;            /* L2 on the weights (not the biases) */
} cg__lin_problem;

/* Minimises the problem's objective from x (dim * ncls weights, bucket-major, then ncls
 * biases), at most max_iter iterations; x holds the result, *final_loss the objective. */
cg_status cg__lin_lbfgs(const cg__lin_problem *pb, unsigned max_iter, double *x,
                        double *final_loss, unsigned *iters, cg_error *err);

/* ---- data (dataset.c) ---------------------------------------------------------------------- */

/* One example: its text (len bytes, not NUL-terminated, already cut to max_text_bytes) and its
 * labels (nlabels NUL-terminated names, validated with cg__lin_label_ok). where/line say where
 * it came from. A non-OK return stops the reading and is returned. */
typedef cg_status (*cg__example_fn)(void *ud, const char *text, size_t len,
                                    const char *const *labels, size_t nlabels, const char *where,
                                    uint64_t line, cg_error *err);

/* Reads one data file, calling fn for each example. Bad lines are reported to bad (may be
 * NULL) and counted in *bad_lines. max_text_bytes cuts each text (and, for PAN-2012, each
 * author's concatenated messages). */
cg_status cg__dataset_read(const cg_text_data *d, size_t max_text_bytes, cg_text_bad_line_fn bad,
                           void *bud, uint64_t *bad_lines, cg__example_fn fn, void *ud,
                           cg_error *err);

#endif
