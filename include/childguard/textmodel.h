/* childguard: a trainable linear text classifier. One-vs-rest logistic regression (any subset
 * of labels) or multinomial (softmax) logistic regression (exactly one label) over hashed
 * character n-grams and word (Vietnamese: syllable) n-grams of the normalised text, optionally
 * TF-IDF weighted, with balanced class weights for skewed data, trained by AdaGrad; held-out
 * data choose the epochs, the L2 penalty and the decision thresholds. Training data are JSON
 * lines ({"text": ..., "labels": [...]}), fastText lines ("__label__X __label__Y text") or the
 * PAN-2012 sexual predator identification corpus (one example per author).
 * docs/text-model.md describes the features, the training and the model file.
 *
 * The text engine ships one model, trained on childguard's own synthetic corpus over the
 * engine's cue features (docs/text-model.md, "The engine's model"); models of text are trained
 * by the user on data they hold.
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

/* How labels relate. Values are pinned. */
typedef enum cg_text_model_mode {
    CG_TEXT_MODE_OVR = 0,     /* one-vs-rest: each label its own logistic regression; an example
                                 may carry any subset of labels */
    CG_TEXT_MODE_SOFTMAX = 1  /* multinomial: exactly one class per example; an example without
                                 a label belongs to an implicit "no label" class */
} cg_text_model_mode;

/* How examples are weighted in the loss. Values are pinned. */
typedef enum cg_text_class_weight {
    CG_TEXT_WEIGHT_AUTO = 0,     /* balanced when the data are skewed (a class, or one side of a
                                    label, has more than 1.5 times the examples of another) */
    CG_TEXT_WEIGHT_NONE = 1,     /* every example 1 */
    CG_TEXT_WEIGHT_BALANCED = 2  /* softmax: class c weighs N / (K * N_c); one-vs-rest: the
                                    positives of a label weigh N / (2 P), its negatives
                                    N / (2 (N - P)) */
} cg_text_class_weight;

/* Where character n-grams are taken. Values are pinned. */
typedef enum cg_text_char_scope {
    CG_TEXT_CHARS_TEXT = 0,  /* over the whole text padded with a space: grams cross words */
    CG_TEXT_CHARS_WORDS = 1  /* within each word padded with a space on each side */
} cg_text_char_scope;

/* How the loss is minimised. Values are pinned. */
typedef enum cg_text_solver {
    CG_TEXT_SOLVER_AUTO = 0,  /* L-BFGS when the data's vectors fit in memory, else SGD */
    CG_TEXT_SOLVER_SGD = 1,   /* AdaGrad SGD, `epochs` passes, L2 `l2` on touched weights */
    CG_TEXT_SOLVER_LBFGS = 2  /* full-batch L-BFGS to convergence, L2 from `c` */
} cg_text_solver;

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
    /* Added after the first release (all-zero keeps the behaviour above). */
    cg_text_model_mode mode;         /* [one-vs-rest] */
    cg_text_class_weight class_weight; /* [auto: balanced for skewed data] */
    int tfidf;               /* 1: each distinct feature weighs (1 + ln tf) * idf and the
                                vector is scaled to unit length; idf = ln((1 + N) / (1 + df)) + 1
                                from the training data [0: 1/sqrt(occurrences) per occurrence] */
    cg_text_char_scope char_scope; /* [whole text] */
    int raw_tokens;          /* 1: texts are space-separated feature tokens used as they are
                                (no normalisation, no character n-grams) [0] */
    const cg_text_data *dev; /* held-out data (n_dev files; NULL: none). With it, training runs
                                up to `epochs` epochs [20] and keeps the epoch with the best
                                macro-F1 on it, tries L2 penalties 0, 1e-6, 1e-5 and 1e-4 unless
                                l2 is set, and chooses each label's threshold (one-vs-rest) or
                                each class's bias shift (softmax) for the best F1 on it */
    size_t n_dev;
    int keep_diacritics;     /* 1: features of the folded form (NFKC, case, look-alikes and
                                leetspeak folded; Vietnamese diacritics kept) instead of the
                                plain form [0: diacritics removed] */
    cg_text_solver solver;   /* [auto] */
    float c;                 /* L-BFGS: inverse L2 strength, as scikit-learn's C: the loss
                                summed over examples plus |w|^2 / (2 c) [4]; with dev data and
                                c 0, each of 1, 4, 16 and 64 is tried */
} cg_text_train_options;

/* What training did. */
typedef struct cg_text_train_stats {
    uint64_t examples;       /* examples trained on */
    uint64_t negatives;      /* of which with no label */
    uint64_t bad_lines;      /* lines skipped (reported through on_bad_line) */
    unsigned labels;         /* distinct labels */
    double final_loss;       /* mean log-loss per example and label in the last epoch */
    /* Added after the first release. */
    unsigned epochs_run;     /* the epochs of the model returned */
    float l2;                /* its L2 penalty */
    uint64_t dev_examples;   /* examples in the dev data (0 without) */
    double dev_macro_f1;     /* macro-F1 on the dev data, thresholds chosen (0 without) */
    cg_text_solver solver;   /* the solver used (SGD or L-BFGS) */
    float c;                 /* L-BFGS: the C used; epochs_run counts its iterations */
} cg_text_train_stats;

/* Reads every file of data (n of them), learns a model and returns it in *out (free with
 * cg_text_model_close). stats may be NULL. Bad lines are reported and skipped; no example at
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
CG_API cg_status cg_text_model_open(const char *path, cg_text_model **out, cg_error *err);

/* Frees a model. NULL is a no-op. */
CG_API void cg_text_model_close(cg_text_model *m);

/* The number of labels, and the name of label i (owned by the model; NULL out of range). */
CG_API unsigned cg_text_model_label_count(const cg_text_model *m);
CG_API const char *cg_text_model_label_name(const cg_text_model *m, unsigned i);

/* Scores len bytes of text (UTF-8; invalid bytes are replaced): writes the probability of
 * each label, in label order, to scores[0 .. label_count). Texts longer than the training
 * cut (max_text_bytes) are cut the same way. A softmax model's scores sum to at most 1 (the
 * rest is the "no label" class). */
CG_API cg_status cg_text_model_predict(const cg_text_model *m, const char *text, size_t len,
                                       float *scores, cg_error *err);

/* How the model relates labels (CG_TEXT_MODE_OVR for models of the first format). */
CG_API cg_text_model_mode cg_text_model_mode_of(const cg_text_model *m);

/* The threshold of label i (0.5 unless chosen on dev data at training; 0.5 for softmax
 * models, which assign by the most probable class). */
CG_API double cg_text_model_threshold(const cg_text_model *m, unsigned i);

/* The labels the model assigns given scores from cg_text_model_predict: assigned[i] is set to
 * 1 or 0 for each label. One-vs-rest: scores[i] >= threshold, or >= the model's own threshold
 * of label i when threshold <= 0. Softmax: the most probable class only (nothing when the
 * "no label" class is the most probable), threshold ignored. Returns how many were assigned.
 * Thread-safe. */
CG_API unsigned cg_text_model_assign(const cg_text_model *m, const float *scores,
                                     double threshold, unsigned char *assigned);

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
    double threshold;                /* <= 0: the model's own thresholds were used */
    double macro_f1;                 /* F1 averaged over the labels */
} cg_text_eval;

/* Evaluation options. All-zero means the defaults. */
typedef struct cg_text_eval_options {
    double threshold;                /* one-vs-rest: a label is assigned at score >= threshold
                                        [the model's own thresholds, 0.5 unless chosen on dev
                                        data]; softmax models assign their most probable class */
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
