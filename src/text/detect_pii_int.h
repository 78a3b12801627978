/* Private to the personal-data detectors (detect_pii*.c): the state of one scan, the words of
 * the plain form with their original ranges, and the helpers the detectors share. One file per
 * kind of data: phone numbers (detect_pii_phone.c), e-mail addresses, @handles and profile URLs
 * (detect_pii_email.c), values after cues (detect_pii_value.c), handles and app IDs
 * (detect_pii_handle.c), one-time codes and passwords (detect_pii_code.c), home addresses
 * (detect_pii_address.c), school and class (detect_pii_school.c); characters and the original
 * spelling of words (detect_pii_text.c); the scan that runs them (detect_pii.c). */
#ifndef CG_TEXT_DETECT_PII_INT_H
#define CG_TEXT_DETECT_PII_INT_H

#include <stddef.h>
#include <stdint.h>

#include "text/detect.h"
#include "text/detect_words.h"

#define WORDS_STACK 128

typedef cg__word word;

/* One scan of one message. */
typedef struct scan {
    const char *t;            /* the original */
    size_t len;
    const word *w;            /* the plain form's words (the caller's) */
    size_t nw;
    cg__pii_hits *out;
    int nomem;                /* an append failed: the scan is abandoned */
} scan;

/* A value read after a cue (detect_pii_value.c). */
typedef struct value {
    size_t s, e; /* the value's byte range in the original */
    int sep;     /* what came before it: 0 nothing, 1 ':', '=' or "là", 2 only "is"/"was" */
} value;

#define W_IS(sc, i, lit) weq((sc), (i), (lit), sizeof(lit) - 1)

/* ---- characters and words (inline: they run for every byte or word) ---------------------- */

static inline int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int is_alnum(int c)
{
    return is_digit(c) || is_alpha(c);
}

static inline int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* c is one of the bytes of set. A loop the compiler unrolls for each literal set: this runs for
 * every byte of a message, where a strchr call per byte cost a tenth of the engine's time. */
static inline int in_set(int c, const char *set)
{
    for (; *set != '\0'; set++)
        if (*set == c)
            return 1;
    return 0;
}

static inline void push(scan *sc, cg_facet facet, float weight, size_t start, size_t end)
{
    if (!sc->nomem && cg__pii_push(sc->out, facet, weight, start, end, sc->len) != 0)
        sc->nomem = 1;
}

static inline const char *orig(const scan *sc, size_t i)
{
    return sc->t + sc->w[i].os;
}

static inline size_t olen(const scan *sc, size_t i)
{
    return sc->w[i].oe - sc->w[i].os;
}

static inline int o_starts_digit(const scan *sc, size_t i)
{
    return i < sc->nw && is_digit((unsigned char)orig(sc, i)[0]);
}

/* ---- detect_pii_text.c ------------------------------------------------------------------- */

/* One code point of s (n > 0 bytes); *adv gets its length; malformed bytes are U+FFFD of 1. */
uint32_t cg__pii_utf8_next(const unsigned char *s, size_t n, size_t *adv);
/* Lowercase of the Latin letters Vietnamese uses. */
uint32_t cg__pii_lower_vi(uint32_t c);
/* o (on bytes of the original) equals lit (lowercase UTF-8), ignoring case and combining marks. */
int cg__pii_ieq(const char *o, size_t on, const char *lit);
/* o equals one of the NULL-terminated list, ignoring case. */
int cg__pii_iany(const char *o, size_t on, const char *const *list);
/* The original of word i has no byte outside ASCII (written without diacritics). */
int cg__pii_o_ascii(const scan *sc, size_t i);
/* Word i is the ambiguous cue word spelt lit in the original, or written without diacritics. */
int cg__pii_amb_ok(const scan *sc, size_t i, const char *lit);
/* The original of word i is only digits; their count (0 if not). */
size_t cg__pii_o_digits(const scan *sc, size_t i);
/* The original of word i starts with an upper-case letter. */
int cg__pii_o_upper(const scan *sc, size_t i);
/* Word i is "mk" in the original (teencode for "mật khẩu", and for "mình"). */
int cg__pii_mk(const scan *sc, size_t i);

/* ---- the detectors: each appends its hits with push() ------------------------------------- */

/* Reads the value after original offset p (detect_pii_value.c); 0 when none. */
int cg__pii_value_after(const scan *sc, size_t p, size_t max_fill, value *v);
/* How many words from i on are a place name (detect_pii_address.c), at most max. */
size_t cg__pii_place_run(const scan *sc, size_t i, size_t max);

void cg__pii_phones(scan *sc);                        /* detect_pii_phone.c */
void cg__pii_at_signs(scan *sc);                      /* detect_pii_email.c */
void cg__pii_spelled_emails(scan *sc);                /* detect_pii_email.c */
void cg__pii_profile_urls(scan *sc);                  /* detect_pii_email.c */
void cg__pii_handle_cue(scan *sc, size_t i);          /* detect_pii_handle.c */
void cg__pii_code_cue(scan *sc, size_t i);            /* detect_pii_code.c */
void cg__pii_password_cue(scan *sc, size_t i);        /* detect_pii_code.c */
void cg__pii_address_cue(scan *sc, size_t i, unsigned area); /* detect_pii_address.c */
void cg__pii_school_cue(scan *sc, size_t i);          /* detect_pii_school.c */

#endif
