/* Internal: the engine's learned layer (docs/text.md, "The learned layer"). A linear model
 * (linear.h, one-vs-rest over the harm names) scores each message from features the engine has
 * already computed, so it costs no second normalisation and no character n-grams:
 * - the words of the plain form (diacritics removed, teencode expanded), as word unigrams and
 *   bigrams;
 * - for words that carry Vietnamese diacritics, the folded spelling too ("mày" and "máy" are
 *   one plain word "may"), as unigrams;
 * - one token per lexicon cue found ("#" + cue id) and per facet ("#" + facet name), one per
 *   personal-data and age finding, and one for laughing emoji.
 * The features are written as a line of space-separated tokens and hashed by the model's own
 * raw-token featuriser (CG__LIN_RAW), so the text `childguard text eval --features-out` writes
 * for training is exactly what the engine scores: train/serve skew is impossible by
 * construction. tests/text/train_model.sh trains data/text/learned.bin from the corpus's train
 * split.
 *
 * Threading: the builder and the scorer use only their arguments; a scratch belongs to one
 * session. */
#ifndef CG_TEXT_LEARNED_H
#define CG_TEXT_LEARNED_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/textmodel.h"
#include "text/conversation.h"
#include "text/linear.h"
#include "text/normalize.h"

/* Per-session working memory of the learned layer (zero it before the first use). */
typedef struct cg__learned_scratch {
    char *s;             /* the feature line of the last message, NUL-terminated */
    size_t n, cap;
    cg__lin_feats f;
    cg__lin_vec v;
} cg__learned_scratch;

void cg__learned_scratch_free(cg__learned_scratch *s);

/* Writes the feature line of one message into s->s: nm is its normalisation, text its original
 * (len bytes), f[0..n) its rule findings (cues and detectors, before the context weakens
 * them), age its age facts. CG_E_NOMEM when the line cannot grow. */
cg_status cg__learned_features(const cg__normalized *nm, const char *text, size_t len,
                               const cg__finding *f, size_t n, const cg__age_facts *age,
                               cg__learned_scratch *s, cg_error *err);

/* Scores the feature line in s with model m (a raw-token model): the probability of each label
 * in scores[0 .. label count). Allocates only when s has never held that many features. */
cg_status cg__learned_score(const cg_text_model *m, cg__learned_scratch *s, float *scores,
                            cg_error *err);

#endif
