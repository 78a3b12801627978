/* Internal: the linear text classifier behind include/childguard/textmodel.h.
 *
 * - Features (linear.c): hashed character n-grams (at UTF-8 character boundaries, over the plain
 *   form padded with a space on each side, so word starts and ends are marked) and hashed word
 *   n-grams of the plain form of normalize.h. Each occurrence is one entry of a sparse vector of
 *   2^bits buckets; every entry has the value 1/sqrt(entries).
 * - Model: per label a bias and a weight per bucket, stored bucket-major (w[bucket * L + label])
 *   so that the labels of one bucket share a cache line.
 * - Data (dataset.c): JSONL, fastText and PAN-2012 readers that call back once per example.
 * - File (linear_io.c): save and load.
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

/* What determines the features of a text. */
typedef struct cg__lin_params {
    uint32_t bits;          /* buckets = 2^bits */
    uint32_t char_min;      /* char n-grams of char_min..char_max characters; none when */
    uint32_t char_max;      /* char_min > char_max or char_max == 0 */
    uint32_t word_ngrams;   /* 1..3 */
    uint32_t max_text_bytes;
} cg__lin_params;

struct cg_text_model {
    cg__lin_params p;
    uint32_t nlabels;
    char *labels[CG_TEXT_MODEL_MAX_LABELS];
    float *bias;            /* nlabels */
    float *w;               /* (1 << bits) * nlabels, bucket-major */
    cg__normalizer *nz;     /* no teencode table: see docs/text-model.md */
};

/* A growable list of bucket indices (one per feature occurrence). */
typedef struct cg__lin_feats {
    uint32_t *idx;
    size_t n, cap;
} cg__lin_feats;

/* Appends the features of the plain form s (n bytes) to f (f->n is reset first). */
cg_status cg__lin_featurize(const cg__lin_params *p, const char *s, size_t n, cg__lin_feats *f,
                            cg_error *err);
void cg__lin_feats_free(cg__lin_feats *f);

/* A model with zeroed weights and no labels (labels are added by the caller with cg__strdup). */
cg_status cg__lin_model_new(const cg__lin_params *p, uint32_t nlabels, cg_text_model **out,
                            cg_error *err);

/* Checks params read from a file or given as options; err names what. */
cg_status cg__lin_params_check(const cg__lin_params *p, const char *what, cg_error *err);

/* Is name a valid label (1..CG_TEXT_LABEL_MAX printable ASCII bytes, no spaces)? */
int cg__lin_label_ok(const char *name, size_t len);

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
