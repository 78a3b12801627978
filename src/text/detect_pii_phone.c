/* Personal-data detectors (detect_pii.c): phone numbers (original). */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

#define PHONE_MAX_DIGITS 15

/* Bytes that may separate digit groups of one number: "091 234 5678", "091.234.5678",
 * "(+84) 91", "0-9-1". Not '/' or ':' (dates, times) and not ',' (decimals, lists). */
static int phone_sep(int c)
{
    return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '\t';
}


/* The weight of digits d (n of them; plus: written with a leading '+') as a phone number, or 0.
 * Vietnamese numbers: mobiles 0[35789] + 8 digits, landlines 02 + 9 digits, old 11-digit
 * mobiles 01..., the same after the country code 84 (with or without '+', tolerating the
 * common "+84 0912..." mistake); other numbers only with '+' and 8-15 digits (E.164). */
static float phone_weight(const char *d, size_t n, int plus)
{
    if (n >= 2 && d[0] == '8' && d[1] == '4') {
        const char *r = d + 2;
        size_t m = n - 2;

        if (plus && m > 0 && r[0] == '0') {
            r++;
            m--;
        }
        if (m == 9 && in_set(r[0], "35789"))
            return 0.9f;
        if (m == 10 && r[0] == '2')
            return 0.8f;
    }
    if (plus)
        return n >= 8 && n <= PHONE_MAX_DIGITS && d[0] != '0' ? 0.7f : 0.0f;
    if (n == 10 && d[0] == '0' && in_set(d[1], "35789"))
        return 0.9f;
    if (n == 11 && d[0] == '0' && (d[1] == '2' || d[1] == '1'))
        return 0.8f;
    return 0.0f;
}

/* The byte after a number at end does not make it part of something else: a word ("200k",
 * "50.000đ", "0912345678abc"), a percentage, a date or time, a decimal. */
static int phone_right_ok(const char *t, size_t len, size_t end)
{
    unsigned char c;

    if (end >= len)
        return 1;
    c = (unsigned char)t[end];
    if (is_alnum(c) || c >= 0x80 || in_set(c, "%/_@#&$"))
        return 0;
    if ((c == ':' || c == ',') && end + 1 < len && is_digit((unsigned char)t[end + 1]))
        return 0;
    return 1;
}

/* A number may start at i: not inside a word, a larger number, a decimal or a path. */
static int phone_left_ok(const char *t, size_t i)
{
    unsigned char p;

    if (i == 0)
        return 1;
    p = (unsigned char)t[i - 1];
    if (is_alnum(p) || p >= 0x80 || in_set(p, "_/+@#&$%=\\"))
        return 0;
    if (in_set(p, ".,-:") && i >= 2 && is_digit((unsigned char)t[i - 2]))
        return 0;
    return 1;
}

/* Tries a phone number starting at i; returns the end of the hit, or 0. Reads digit groups
 * joined by up to three separator bytes, at most PHONE_MAX_DIGITS + 1 digits, then accepts the
 * longest prefix ending at a group boundary that is a phone number and ends where a number may
 * end (the end of the run, or a separator with whitespace before another number). */
static size_t phone_at(scan *sc, size_t i)
{
    const char *t = sc->t;
    const size_t len = sc->len;
    char d[PHONE_MAX_DIGITS + 2];
    size_t nd = 0, j = i, ngroups = 0;
    size_t gend[PHONE_MAX_DIGITS + 2], gdig[PHONE_MAX_DIGITS + 2];
    int gspace[PHONE_MAX_DIGITS + 2];
    int plus = 0;

    if (t[j] == '(') {
        j++;
        if (j < len && t[j] == ' ')
            j++;
    }
    if (j < len && t[j] == '+') {
        plus = 1;
        j++;
    }
    if (j >= len || !is_digit((unsigned char)t[j]))
        return 0;
    for (;;) {
        size_t k, nsep = 0;
        int space = 0;

        while (j < len && is_digit((unsigned char)t[j]) && nd <= PHONE_MAX_DIGITS)
            d[nd++] = t[j++];
        if (j < len && is_digit((unsigned char)t[j]))
            break; /* too long: this group cannot end a number */
        gend[ngroups] = j;
        gdig[ngroups] = nd;
        k = j;
        while (k < len && nsep < 3 && phone_sep((unsigned char)t[k])) {
            space |= t[k] == ' ' || t[k] == '\t';
            k++;
            nsep++;
        }
        gspace[ngroups] = space;
        ngroups++;
        if (nsep == 0 || k >= len || !is_digit((unsigned char)t[k]) || nd > PHONE_MAX_DIGITS)
            break;
        j = k;
    }
    for (size_t g = ngroups; g-- > 0;) {
        const int last = g + 1 == ngroups;
        float wgt;

        if (last ? !phone_right_ok(t, len, gend[g]) : !gspace[g])
            continue;
        wgt = phone_weight(d, gdig[g], plus);
        if (wgt > 0.0f) {
            push(sc, CG_FACET_PHONE, wgt, i, gend[g]);
            return gend[g];
        }
    }
    return 0;
}

void cg__pii_phones(scan *sc)
{
    const char *t = sc->t;
    size_t i = 0;

    while (i < sc->len) {
        const unsigned char c = (unsigned char)t[i];
        size_t end;

        if ((c != '+' && c != '(' && !is_digit(c)) || !phone_left_ok(t, i)) {
            i++;
            continue;
        }
        end = phone_at(sc, i);
        if (end > i) {
            i = end;
            continue;
        }
        /* Skip the rest of this digit run: a number never starts inside one. */
        i++;
        while (i < sc->len && is_digit((unsigned char)t[i]))
            i++;
    }
}
