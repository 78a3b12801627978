/* Internal, for the detectors (detect_pii.c, detect_age.c): the plain form's words, each with
 * the byte range of the original it came from. */
#ifndef CG_TEXT_DETECT_WORDS_H
#define CG_TEXT_DETECT_WORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/normalize.h"

typedef struct cg__word {
    const char *s;    /* in the plain form (not NUL-terminated) */
    uint32_t n;       /* bytes of s */
    uint32_t os, oe;  /* the original byte range it came from */
} cg__word;

/* Splits form f (of the original t, len bytes) into words: into stack (stack_n entries) when
 * they fit, else into a new array (free it with cg__free when *w != stack). The last word's
 * range is trimmed of the punctuation that closes a message ("asl?"). Words whose range is
 * empty or outside the original (which a correct normaliser never produces) are dropped.
 * CG_E_NOMEM when the array cannot be made. */
cg_status cg__words_split(const cg__textform *f, const char *t, size_t len, cg__word *stack,
                          size_t stack_n, cg__word **w, size_t *nw);

/* ---- matching words and phrases (static inline: they run in the detectors' inner loops) ---- */

/* Word i of w (nw words) equals lit (n bytes). */
static inline int cg__word_eq(const cg__word *w, size_t nw, size_t i, const char *lit, size_t n)
{
    if (i >= nw || w[i].n != n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (w[i].s[k] != lit[k])
            return 0;
    return 1;
}

/* Word i equals the NUL-terminated lit. Callers pass a string literal: its length is known
 * when compiling, so a word of another length costs one comparison and the bytes one inline
 * memcmp (a byte loop here cost the detectors ~2,500 instructions a message). */
static inline int cg__word_is(const cg__word *w, size_t nw, size_t i, const char *lit)
{
    const size_t n = __builtin_strlen(lit);

    return i < nw && w[i].n == n && memcmp(w[i].s, lit, n) == 0;
}

/* Word i equals one of list (NULL-terminated): byte by byte, as the entries' lengths are not
 * known when compiling (most words differ at their first byte). */
static inline int cg__word_any(const cg__word *w, size_t nw, size_t i, const char *const *list)
{
    if (i >= nw)
        return 0;
    const char c0 = w[i].n > 0 ? w[i].s[0] : '\0'; /* an entry must start with it */
    for (; *list != NULL; list++) {
        const char *lit = *list;
        size_t k;

        if (lit[0] != c0)
            continue;
        for (k = 0; k < w[i].n; k++)
            if (lit[k] == '\0' || w[i].s[k] != lit[k])
                break;
        if (k == w[i].n && lit[k] == '\0')
            return 1;
    }
    return 0;
}

/* How many words the phrase ph (words separated by one space) matches at word i; 0 if none. */
static inline size_t cg__phrase_at(const cg__word *w, size_t nw, size_t i, const char *ph)
{
    for (size_t k = 0;; k++) {
        size_t j = 0;

        if (i + k >= nw)
            return 0;
        const cg__word *x = &w[i + k];
        while (ph[j] != '\0' && ph[j] != ' ') {
            if (j >= x->n || x->s[j] != ph[j])
                return 0;
            j++;
        }
        if (j != x->n)
            return 0;
        if (ph[j] == '\0')
            return k + 1;
        ph += j + 1;
    }
}

/* The first phrase of list (NULL-terminated) matching at word i: its word count, or 0. */
static inline size_t cg__phrase_any(const cg__word *w, size_t nw, size_t i,
                                    const char *const *list)
{
    /* A phrase that matches a word of one byte or more starts with the word's first byte, and
     * goes on with its second byte, or with the end of its first word (' ' or NUL) when the word
     * has one byte: two tests pass over most entries without cg__phrase_at. */
    const int c0 = i < nw && w[i].n > 0 ? (unsigned char)w[i].s[0] : -1;
    const int c1 = c0 > 0 && w[i].n > 1 ? (unsigned char)w[i].s[1] : -1;

    for (; *list != NULL; list++) {
        const char *ph = *list;

        if (c0 >= 0 && (unsigned char)ph[0] != c0)
            continue;
        if (c0 > 0 && (c1 >= 0 ? (unsigned char)ph[1] != c1 : ph[1] != ' ' && ph[1] != '\0'))
            continue;
        const size_t k = cg__phrase_at(w, nw, i, ph);

        if (k > 0)
            return k;
    }
    return 0;
}

/* The detectors' spellings of the above for a scan state with fields w and nw. */
#define weq(sc, i, lit, n) cg__word_eq((sc)->w, (sc)->nw, (i), (lit), (n))
#define wlit(sc, i, lit) cg__word_is((sc)->w, (sc)->nw, (i), (lit))
#define w_any(sc, i, list) cg__word_any((sc)->w, (sc)->nw, (i), (list))
#define phrase_at(sc, i, ph) cg__phrase_at((sc)->w, (sc)->nw, (i), (ph))
#define phrase_any(sc, i, list) cg__phrase_any((sc)->w, (sc)->nw, (i), (list))

#endif
