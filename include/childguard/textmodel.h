/* childguard: a trainable multi-label linear text classifier. One-vs-rest logistic regression
 * over hashed character n-grams and word (Vietnamese: syllable) n-grams of the normalised text,
 * trained by AdaGrad. Training data are JSON lines ({"text": ..., "labels": [...]}), fastText
 * lines ("__label__X __label__Y text") or the PAN-2012 sexual predator identification corpus
 * (one example per author). docs/text-model.md describes the features, the training and the
 * model file.
 *
 * No trained harm model ships with childguard: models are trained by the user on data they hold.
 *
 * Threading: a model is immutable once trained or loaded; cg_text_model_predict and
 * cg_text_model_eval may run on one model from many threads at once. Training uses one thread. */
#ifndef CHILDGUARD_TEXTMODEL_H
#define CHILDGUARD_TEXTMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many distinct labels in one model. */
#define CG_TEXT_MODEL_MAX_LABELS 64
/* A label name: 1..63 bytes of printable ASCII without spaces. */
#define CG_TEXT_LABEL_MAX 63

typedef struct cg_text_model cg_text_model;

typedef enum cg_text_format {
    CG_TEXT_FORMAT_AUTO = 0,     /* ".xml" is PAN-2012; otherwise each line: '{' JSON, else fastText */
    CG_TEXT_FORMAT_JSONL = 1,    /* {"text": "...", "labels": ["bullying", ...]}; [] is negative */
    CG_TEXT_FORMAT_FASTTEXT = 2, /* "__label__a __label__b text"; no label is negative */
    CG_TEXT_FORMAT_PAN2012 = 3   /* PAN-2012 conversations XML + predator id list */
} cg_text_format;

/* One labelled data file. Borrowed for the duration of the call that takes it. */
typedef struct cg_text_data {
    const char *path;
    cg_text_format format;
    const char *pan_predators; /* PAN-2012 only: the file of predator author ids, one a line;
                                  NULL labels every author negative */
} cg_text_data;

/* A line (or XML element) that was skipped: the file, its 1-based line and why. */
typedef void (*cg_text_bad_line_fn)(const char *path, uint64_t line, const char *reason,
                                    void *ud);

/* Training options. All-zero means the defaults given in brackets. */
typedef struct cg_text_train_options {
    unsigned hash_bits;      /* feature buckets = 2^hash_bits, 8..26 [20] */
    unsigned char_min;       /* shortest character n-gram [3] */
    unsigned char_max;       /* longest character n-gram, 0..8 [5]; char_min > char_max: none */
    unsigned word_ngrams;    /* word n-grams up to this length, 1..3 [2] */
    unsigned epochs;         /* passes over the data [5] */
    float learning_rate;     /* AdaGrad step [0.2] */
    float l2;                /* L2 penalty on the weights an example touches [0: none] */
    uint64_t seed;           /* shuffling seed; the same data + options give the same model */
    size_t max_text_bytes;   /* longer texts are cut at this many bytes [65536] */
    uint64_t max_examples;   /* more examples is CG_E_LIMIT [50,000,000] */
    uint64_t max_total_bytes; /* normalised text held for training, CG_E_LIMIT beyond [4 GiB] */
    cg_text_bad_line_fn on_bad_line; /* skipped lines are reported here (may be NULL) */
    void *ud;
} cg_text_train_options;

/* What training did. */
typedef struct cg_text_train_stats {
    uint64_t examples;       /* examples trained on */
    uint64_t negatives;      /* of which with no label */
    uint64_t bad_lines;      /* lines skipped (reported through on_bad_line) */
    unsigned labels;         /* distinct labels */
    double final_loss;       /* mean log-loss per example and label in the last epoch */
} cg_text_train_stats;

/* Reads every file of data (n of them), learns a model and returns it in *out (free with
 * cg_text_model_destroy). stats may be NULL. Bad lines are reported and skipped; no example at
 * all, or no label at all, is CG_E_INVAL; more than CG_TEXT_MODEL_MAX_LABELS labels is
 * CG_E_LIMIT. Deterministic for given data, options and seed. */
CG_API cg_status cg_text_model_train(const cg_text_data *data, size_t n,
                                     const cg_text_train_options *opt, cg_text_model **out,
                                     cg_text_train_stats *stats, cg_error *err);

/* Writes the model to path (versioned, SHA-256-checksummed; written to a temporary file and
 * renamed into place). */
CG_API cg_status cg_text_model_save(const cg_text_model *m, const char *path, cg_error *err);

/* Loads a model written by cg_text_model_save. A file that is not a model, truncated or
 * corrupt (checksum mismatch) is CG_E_DECODE; another format version is CG_E_UNSUPPORTED. The
 * message names the file. */
CG_API cg_status cg_text_model_load(const char *path, cg_text_model **out, cg_error *err);

/* Frees a model. NULL is a no-op. */
CG_API void cg_text_model_destroy(cg_text_model *m);

/* The number of labels, and the name of label i (owned by the model; NULL out of range). */
CG_API unsigned cg_text_model_label_count(const cg_text_model *m);
CG_API const char *cg_text_model_label_name(const cg_text_model *m, unsigned i);

/* Scores len bytes of text (UTF-8; invalid bytes are replaced): writes the probability of
 * each label, in label order, to scores[0 .. label_count). Texts longer than the training
 * cut (max_text_bytes) are cut the same way. */
CG_API cg_status cg_text_model_predict(const cg_text_model *m, const char *text, size_t len,
                                       float *scores, cg_error *err);

/* Per-label results of an evaluation. An example counts for a label as a true positive when
 * the label is true and its score >= the threshold, and so on. F0.5 weighs precision twice as
 * much as recall. A ratio with a zero denominator is 0. */
typedef struct cg_text_label_metrics {
    const char *name; /* owned by the model */
    uint64_t tp, fp, fn, tn;
    double precision, recall, f1, f05;
} cg_text_label_metrics;

typedef struct cg_text_eval {
    unsigned label_count;
    cg_text_label_metrics *labels;   /* label_count entries, in model order */
    cg_text_label_metrics micro;     /* counts summed over labels (name "micro") */
    /* (label_count + 1)^2 counts: confusion[t * (label_count + 1) + p] is the number of
     * examples with true label t that were assigned label p; index label_count stands for "no
     * label". A multi-label example adds to every pair of its true and assigned labels. */
    uint64_t *confusion;
    uint64_t examples;
    uint64_t bad_lines;
    uint64_t unknown_labels;         /* true labels in the data that the model does not know */
    double threshold;
} cg_text_eval;

/* Evaluation options. All-zero means the defaults. */
typedef struct cg_text_eval_options {
    double threshold;                /* a label is assigned at score >= threshold [0.5] */
    cg_text_bad_line_fn on_bad_line; /* may be NULL */
    void *ud;
} cg_text_eval_options;

/* Scores every example of data against its labels. *out is freed with cg_text_eval_destroy.
 * opt may be NULL. */
CG_API cg_status cg_text_model_eval(const cg_text_model *m, const cg_text_data *data, size_t n,
                                    const cg_text_eval_options *opt, cg_text_eval **out,
                                    cg_error *err);
CG_API void cg_text_eval_destroy(cg_text_eval *ev);

#ifdef __cplusplus
}
#endif
#endif
