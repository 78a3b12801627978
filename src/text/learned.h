/* Internal: the engine's learned layer (docs/text.md, "The learned layer"). A linear model
 * (linear.h, one-vs-rest over the harm names) scores each message from features the engine has
 * already computed, so it costs no second normalisation and no character n-grams:
 * - the words of the plain form (diacritics removed, teencode expanded), as word unigrams and
 *   bigrams;
 * - for words that carry Vietnamese diacritics, the folded spelling too ("mày" and "máy" are
 *   one plain word "may"), as unigrams;
 * - one token per lexicon cue found ("#" + cue id) and per facet ("#" + facet name), one per
 *   personal-data and age finding, and one for laughing emoji.
 * The features are defined as a line of space-separated tokens hashed by the model's own
 * raw-token featuriser (CG__LIN_RAW), so the text `childguard text eval --features-out` writes
 * for training is exactly what the engine scores: train/serve skew is impossible by
 * construction. The engine does not build that line per message: cg__learned_vector hashes the
 * same tokens, in the same order, straight into bucket indices (linear.h's cg__lin_word_emit,
 * the featuriser's own code) and makes the TF-IDF vector with cg__lin_vectorize; the line builder
 * stays for --features-out and explain, and as the oracle of test_text_learned, which checks
 * over the whole corpus that both paths give the same buckets and values, bit for bit.
 * tests/text/train_model.sh trains data/text/learned.bin from the corpus's train split.
 *
 * Threading: the builder and the scorer use only their arguments; a scratch belongs to one
 * session. */
#ifndef CG_TEXT_LEARNED_H
#define CG_TEXT_LEARNED_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/text.h"
#include "childguard/textmodel.h"
#include "text/conversation.h"
#include "text/linear.h"
#include "text/normalize.h"

/* Per-session working memory of the learned layer (zero it before the first use). */
typedef struct cg__learned_scratch {
    char *s;             /* the feature line of the last message, NUL-terminated */
    size_t n, cap;
    cg__lin_feats f;
    cg__lin_vec v;       /* the vector of the last message scored */
} cg__learned_scratch;

void cg__learned_scratch_free(cg__learned_scratch *s);

/* Writes the feature line of one message into s->s: nm is its normalisation, text its original
 * (len bytes), f[0..n) its rule findings (cues and detectors, before the context weakens
 * them), age its age facts. CG_E_NOMEM when the line cannot grow. */
cg_status cg__learned_features(const cg__normalized *nm, const char *text, size_t len,
                               const cg__finding *f, size_t n, const cg__age_facts *age,
                               cg__learned_scratch *s, cg_error *err);

/* Scores the feature line in s with model m (a raw-token model): the probability of each label
 * in scores[0 .. label count); s->v gets the vector. Allocates only when s has never held that
 * many features. */
cg_status cg__learned_score(const cg_text_model *m, cg__learned_scratch *s, float *scores,
                            cg_error *err);

/* The direct path: the vector of the features cg__learned_features would write (same arguments)
 * for model m, made without the line, into s->v. laugh is cg__context_laugh_emoji(text, len),
 * which the engine computes once a message for this layer and the context markers both.
 * Bit-identical to featurising and vectorising the line (test_text_learned); falls back to the
 * line itself for models with character n-grams or lines longer than the model's cut. */
cg_status cg__learned_vector(const cg_text_model *m, const cg__normalized *nm, const char *text,
                             size_t len, const cg__finding *f, size_t n,
                             const cg__age_facts *age, int laugh, cg__learned_scratch *s,
                             cg_error *err);

/* The probability of each label of model m for the vector in s->v, in scores[0 .. label
 * count). */
void cg__learned_score_vector(const cg_text_model *m, const cg__learned_scratch *s,
                              float *scores);

/* For tests: the learned layer's scratch of session s (its last message's vector in v, and its
 * feature line in s when the session keeps features). */
const cg__learned_scratch *cg__text_session_learned(const cg_text_session *s);

#endif
