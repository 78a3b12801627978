/* Personal-data detectors (detect_pii.c): characters and the original spelling of words. */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

/* One code point of s (n > 0 bytes); *adv gets its length. Malformed bytes decode as U+FFFD of
 * length 1: the caller only compares, so being lenient is safe. */
uint32_t cg__pii_utf8_next(const unsigned char *s, size_t n, size_t *adv)
{
    uint32_t c = s[0];
    size_t k;

    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        c &= 0x07;
    } else {
        *adv = 1;
        return 0xFFFD;
    }
    if (k > n) {
        *adv = 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *adv = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *adv = k;
    return c;
}

/* Lowercase of the Latin letters Vietnamese uses (ASCII, Latin-1, the Latin Extended-A pairs,
 * Ơ/Ư and the Latin Extended Additional block where upper case is the even code point). */
uint32_t cg__pii_lower_vi(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c >= 0x100 && c <= 0x137 && (c & 1) == 0)
        return c + 1;
    if (c == 0x1A0 || c == 0x1AF)
        return c + 1;
    if (c >= 0x1EA0 && c <= 0x1EF9 && (c & 1) == 0)
        return c + 1;
    return c;
}

/* o (on bytes of the original) equals lit (lowercase UTF-8), ignoring case. Combining marks in
 * o are skipped, so decomposed text compares like text without diacritics. */
int cg__pii_ieq(const char *o, size_t on, const char *lit)
{
    const unsigned char *a = (const unsigned char *)o, *b = (const unsigned char *)lit;
    size_t i = 0, j = 0, bn = strlen(lit);

    while (i < on && j < bn) {
        size_t da, db;
        uint32_t ca = cg__pii_utf8_next(a + i, on - i, &da);
        uint32_t cb = cg__pii_utf8_next(b + j, bn - j, &db);

        i += da;
        if (ca >= 0x300 && ca <= 0x36F)
            continue;
        if (cg__pii_lower_vi(ca) != cb)
            return 0;
        j += db;
    }
    while (i < on) {
        size_t da;
        uint32_t ca = cg__pii_utf8_next(a + i, on - i, &da);

        if (!(ca >= 0x300 && ca <= 0x36F))
            return 0;
        i += da;
    }
    return j == bn;
}

/* o equals one of the NULL-terminated list, ignoring case. */
int cg__pii_iany(const char *o, size_t on, const char *const *list)
{
    const unsigned char f = on > 0 ? (unsigned char)lower((unsigned char)o[0]) : 0;

    for (; *list != NULL; list++) {
        const unsigned char l = (unsigned char)(*list)[0];

        /* Most entries differ in an ASCII first letter: skip them without decoding. */
        if (l < 0x80 && f < 0x80 && l != f)
            continue;
        if (cg__pii_ieq(o, on, *list))
            return 1;
    }
    return 0;
}


/* The original of word i has no byte outside ASCII (written without diacritics). */
int cg__pii_o_ascii(const scan *sc, size_t i)
{
    const char *o = orig(sc, i);

    for (size_t k = 0; k < olen(sc, i); k++)
        if ((unsigned char)o[k] >= 0x80)
            return 0;
    return 1;
}

/* Word i is the ambiguous cue word spelt lit in the original, or written without diacritics. */
int cg__pii_amb_ok(const scan *sc, size_t i, const char *lit)
{
    return cg__pii_o_ascii(sc, i) || cg__pii_ieq(orig(sc, i), olen(sc, i), lit);
}

/* The original of word i is only digits; their count (0 if not). */
size_t cg__pii_o_digits(const scan *sc, size_t i)
{
    const char *o;

    if (i >= sc->nw)
        return 0;
    o = orig(sc, i);
    for (size_t k = 0; k < olen(sc, i); k++)
        if (!is_digit((unsigned char)o[k]))
            return 0;
    return olen(sc, i);
}

/* The original of word i starts with an upper-case letter. */
int cg__pii_o_upper(const scan *sc, size_t i)
{
    size_t adv;
    uint32_t c;

    if (i >= sc->nw)
        return 0;
    c = cg__pii_utf8_next((const unsigned char *)orig(sc, i), olen(sc, i), &adv);
    return cg__pii_lower_vi(c) != c;
}

int cg__pii_mk(const scan *sc, size_t i)
{
    return i < sc->nw && olen(sc, i) == 2 && cg__pii_ieq(orig(sc, i), 2, "mk");
}
