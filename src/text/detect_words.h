/* Internal, for the detectors (detect_pii.c, detect_age.c): the plain form's words, each with
 * the byte range of the original it came from. */
#ifndef CG_TEXT_DETECT_WORDS_H
#define CG_TEXT_DETECT_WORDS_H

#include <stddef.h>
#include <stdint.h>

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

#endif
