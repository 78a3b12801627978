/* The engine's learned layer (learned.h): the feature line of a message and its score.
 *
 * Why words and rule tokens rather than character n-grams: the engine has already normalised
 * the message (leetspeak, look-alikes, teencode, spaced-out letters, diacritics) and matched
 * its lexicons, so whole words of the plain form are robust to most obfuscation already, and
 * the cue tokens carry what the lexicons know. Character n-grams cost a second normalisation
 * and about twenty times as many features (docs/text-model.md); these features cost one pass
 * over the forms. The model is trained by the project's trainer in raw-token mode. */
#include "text/learned.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
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

cg_status cg__learned_features(const cg__normalized *nm, const char *text, size_t len,
                               const cg__finding *f, size_t n, const cg__age_facts *age,
                               cg__learned_scratch *s, cg_error *err)
{
    /* The plain form's words, the folded form's (at most as long), and per finding its cue id
     * and facet name (under 64 bytes each), and a few fixed tokens. */
    const size_t need = nm->plain.n + 2 * nm->folded.n + 2 + n * 136 + 64;

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

cg_status cg__learned_score(const cg_text_model *m, cg__learned_scratch *s, float *scores,
                            cg_error *err)
{
    float z[CG_TEXT_MODEL_MAX_LABELS + 1];
    const size_t len = cg__lin_cut_utf8(s->s, s->n, m->p.max_text_bytes);
    cg_status st = cg__lin_featurize(&m->p, s->s, len, &s->f, err);

    if (st == CG_OK)
        st = cg__lin_vectorize(&m->p, m->idf, &s->f, &s->v, err);
    if (st != CG_OK)
        return st;
    cg__lin_scores(m, &s->v, z);
    cg__lin_link(&m->p, m->ncls, z);
    memcpy(scores, z, m->nlabels * sizeof(*scores));
    return CG_OK;
}
