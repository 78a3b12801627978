/* Personal-data detectors (detect.h): phone numbers, e-mail addresses, home-address words,
 * school and class, social handles and app IDs, one-time codes and passwords.
 *
 * Two kinds of evidence, read from two places:
 * - Shapes (phone numbers, e-mail addresses, @handles, profile URLs) are scanned by hand in the
 *   ORIGINAL bytes: the normaliser turns punctuation into spaces and folds leetspeak inside
 *   words, which is exactly the information these shapes are made of.
 * - Cues ("địa chỉ", "trường THCS", "mã OTP", "zalo:") are found word by word in the PLAIN form
 *   (no diacritics, teencode expanded, lowercase), so "địa chỉ", "dia chi" and "DIA CHI" are
 *   one cue. What follows a cue (the value: a number, a capitalised name, a password) is then
 *   read in the original again, starting at the original end of the cue's last word.
 * Plain words lose the diacritics that tell "quận" (district) from "quần" (trousers) or "xã"
 * (commune) from "xa" (far); for such ambiguous cue words the original is checked: it must be
 * the address spelling, or written without any diacritics at all (then the cue needs a number or
 * a capitalised name after it anyway).
 *
 * Every detector is a single forward pass with a bounded look-ahead, so a message costs time
 * linear in its length; nothing allocates except the hit array and, for messages of more than
 * WORDS_STACK words, the word array. Hits of one facet that lie inside another hit of that facet
 * are merged (the outer one stays, with the larger weight). */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/detect.h"
#include "text/detect_words.h"

/* ---- characters ------------------------------------------------------------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
    return is_digit(c) || is_alpha(c);
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* One code point of s (n > 0 bytes); *adv gets its length. Malformed bytes decode as U+FFFD of
 * length 1: the caller only compares, so being lenient is safe. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *adv)
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
static uint32_t lower_vi(uint32_t c)
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
static int ieq(const char *o, size_t on, const char *lit)
{
    const unsigned char *a = (const unsigned char *)o, *b = (const unsigned char *)lit;
    size_t i = 0, j = 0, bn = strlen(lit);

    while (i < on && j < bn) {
        size_t da, db;
        uint32_t ca = utf8_next(a + i, on - i, &da), cb = utf8_next(b + j, bn - j, &db);

        i += da;
        if (ca >= 0x300 && ca <= 0x36F)
            continue;
        if (lower_vi(ca) != cb)
            return 0;
        j += db;
    }
    while (i < on) {
        size_t da;
        uint32_t ca = utf8_next(a + i, on - i, &da);

        if (!(ca >= 0x300 && ca <= 0x36F))
            return 0;
        i += da;
    }
    return j == bn;
}

/* o equals one of the NULL-terminated list, ignoring case. */
static int iany(const char *o, size_t on, const char *const *list)
{
    const unsigned char f = on > 0 ? (unsigned char)lower((unsigned char)o[0]) : 0;

    for (; *list != NULL; list++) {
        const unsigned char l = (unsigned char)(*list)[0];

        /* Most entries differ in an ASCII first letter: skip them without decoding. */
        if (l < 0x80 && f < 0x80 && l != f)
            continue;
        if (ieq(o, on, *list))
            return 1;
    }
    return 0;
}

/* ---- the scan state and its words ------------------------------------------------------- */

#define WORDS_STACK 128

typedef cg__word word;

typedef struct scan {
    const char *t;            /* the original */
    size_t len;
    word *w;                  /* the plain form's words: stack or heap */
    size_t nw;
    cg__pii_hits *out;
    int nomem;                /* an append failed: the scan is abandoned */
    word stack[WORDS_STACK];
} scan;

/* The plain form's words with their original ranges (detect_words.c). */
static cg_status split_words(scan *sc, const cg__textform *f)
{
    return cg__words_split(f, sc->t, sc->len, sc->stack, WORDS_STACK, &sc->w, &sc->nw);
}

int cg__pii_push(cg__pii_hits *h, cg_facet facet, float weight, size_t start, size_t end,
                 size_t len)
{
    if (start >= end || end > len)
        return 0;
    if (h->n == h->cap) {
        const size_t cap = h->cap ? 2 * h->cap : 8;
        cg__pii_hit *v = cg__realloc(h->v, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n].facet = facet;
    h->v[h->n].weight = weight;
    h->v[h->n].start = (uint32_t)start;
    h->v[h->n].end = (uint32_t)end;
    h->n++;
    return 0;
}

static void push(scan *sc, cg_facet facet, float weight, size_t start, size_t end)
{
    if (!sc->nomem && cg__pii_push(sc->out, facet, weight, start, end, sc->len) != 0)
        sc->nomem = 1;
}


#define W_IS(sc, i, lit) weq((sc), (i), (lit), sizeof(lit) - 1)

static const char *orig(const scan *sc, size_t i)
{
    return sc->t + sc->w[i].os;
}

static size_t olen(const scan *sc, size_t i)
{
    return sc->w[i].oe - sc->w[i].os;
}

/* The original of word i has no byte outside ASCII (written without diacritics). */
static int o_ascii(const scan *sc, size_t i)
{
    const char *o = orig(sc, i);

    for (size_t k = 0; k < olen(sc, i); k++)
        if ((unsigned char)o[k] >= 0x80)
            return 0;
    return 1;
}

/* Word i is the ambiguous cue word spelt lit in the original, or written without diacritics. */
static int amb_ok(const scan *sc, size_t i, const char *lit)
{
    return o_ascii(sc, i) || ieq(orig(sc, i), olen(sc, i), lit);
}

static int o_starts_digit(const scan *sc, size_t i)
{
    return i < sc->nw && is_digit((unsigned char)orig(sc, i)[0]);
}

/* The original of word i is only digits; their count (0 if not). */
static size_t o_digits(const scan *sc, size_t i)
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
static int o_upper(const scan *sc, size_t i)
{
    size_t adv;
    uint32_t c;

    if (i >= sc->nw)
        return 0;
    c = utf8_next((const unsigned char *)orig(sc, i), olen(sc, i), &adv);
    return lower_vi(c) != c;
}

/* ---- phone numbers (original) ------------------------------------------------------------ */

#define PHONE_MAX_DIGITS 15

/* Bytes that may separate digit groups of one number: "091 234 5678", "091.234.5678",
 * "(+84) 91", "0-9-1". Not '/' or ':' (dates, times) and not ',' (decimals, lists). */
static int phone_sep(int c)
{
    return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '\t';
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

static void scan_phones(scan *sc)
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

/* ---- e-mail addresses, @handles and profile URLs (original) ----------------------------- */

static int email_local(int c)
{
    return is_alnum(c) || in_set(c, "._%+-");
}

static int domain_char(int c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

static const char *const PROVIDERS[] = {"gmail", "yahoo", "hotmail", "outlook", "icloud",
                                        "live", "protonmail", "proton", "ymail", "mail", NULL};

/* A domain of n bytes: labels of letters, digits and '-' separated by single dots, the last one
 * two or more letters. */
static int domain_ok(const char *s, size_t n)
{
    size_t label = 0, dots = 0, tld_alpha = 1;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return 0;
            dots++;
            label = 0;
            tld_alpha = 1;
            continue;
        }
        if (!is_alpha((unsigned char)s[i]))
            tld_alpha = 0;
        label++;
    }
    return dots > 0 && label >= 2 && tld_alpha;
}

static void scan_at_signs(scan *sc)
{
    static const char *const not_handles[] = {"home", "school", "work", "everyone", "all",
                                              "here", "channel", NULL};
    const char *t = sc->t;
    const size_t len = sc->len;
    const char *p = t;

    while ((p = memchr(p, '@', len - (size_t)(p - t))) != NULL) {
        const size_t at = (size_t)(p - t);
        size_t ls = at, de = at + 1;

        p++;
        while (ls > 0 && email_local((unsigned char)t[ls - 1]))
            ls--;
        while (ls < at && t[ls] == '.')
            ls++;
        if (ls < at) {
            /* An e-mail address: local@domain.tld, or local@provider. */
            while (de < len && domain_char((unsigned char)t[de]))
                de++;
            while (de > at + 1 && (t[de - 1] == '.' || t[de - 1] == '-'))
                de--;
            if (de > at + 1 && (domain_ok(t + at + 1, de - at - 1) ||
                                iany(t + at + 1, de - at - 1, PROVIDERS))) {
                push(sc, CG_FACET_EMAIL, 0.8f, ls, de);
                p = t + de;
            }
            continue;
        }
        /* An @handle: a letter or '_' first, 3 to 30 bytes, not the '@' of leetspeak inside a
         * Vietnamese word ("@nh", "@nhé") and not "@home". */
        if (at > 0 && (is_alnum((unsigned char)t[at - 1]) || (unsigned char)t[at - 1] >= 0x80))
            continue;
        de = at + 1;
        if (de >= len || !(is_alpha((unsigned char)t[de]) || t[de] == '_'))
            continue;
        while (de < len && de - at <= 31 &&
               (is_alnum((unsigned char)t[de]) || t[de] == '_' || t[de] == '.'))
            de++;
        while (t[de - 1] == '.')
            de--;
        if (de < len && ((unsigned char)t[de] >= 0x80 || is_alnum((unsigned char)t[de])))
            continue;
        if (de - at - 1 < 3 || iany(t + at + 1, de - at - 1, not_handles))
            continue;
        push(sc, CG_FACET_HANDLE, 0.6f, at, de);
    }
}

/* Obfuscated e-mail: "name at gmail dot com", "name (at) gmail", "name[at]mail.com". */
static int at_word(const char *t, size_t len, size_t i, size_t *end, int *bracket)
{
    static const char *const wrapped[] = {"(at)", "[at]", "{at}", "<at>", NULL};

    for (size_t k = 0; wrapped[k] != NULL; k++)
        if (i + 4 <= len && ieq(t + i, 4, wrapped[k])) {
            *end = i + 4;
            *bracket = 1;
            return 1;
        }
    if (i + 2 < len && lower(t[i]) == 'a' && lower(t[i + 1]) == 't' && is_space(t[i + 2]) &&
        i > 0 && is_space(t[i - 1])) {
        *end = i + 2;
        *bracket = 0;
        return 1;
    }
    return 0;
}

static int dot_word(const char *t, size_t len, size_t i, size_t *end)
{
    static const char *const wrapped[] = {"(dot)", "[dot]", "{dot}", "<dot>", NULL};

    for (size_t k = 0; wrapped[k] != NULL; k++)
        if (i + 5 <= len && ieq(t + i, 5, wrapped[k])) {
            *end = i + 5;
            return 1;
        }
    if (i + 3 <= len && lower(t[i]) == 'd' && lower(t[i + 1]) == 'o' && lower(t[i + 2]) == 't' &&
        (i + 3 == len || is_space(t[i + 3]))) {
        *end = i + 3;
        return 1;
    }
    if (t[i] == '.') {
        *end = i + 1;
        return 1;
    }
    return 0;
}

static void scan_spelled_emails(scan *sc)
{
    const char *t = sc->t;
    const size_t len = sc->len;

    for (size_t i = 1; i + 2 < len; i++) {
        size_t e, ls, le, p, labels = 0, first_s = 0, first_e = 0, last_s = 0, last_e = 0;
        int bracket, spelled = 0;

        /* A cheap look at the bytes first: most positions are no "at". */
        if (lower(t[i]) == 'a') {
            if (!is_space(t[i - 1]) || lower(t[i + 1]) != 't' || !is_space(t[i + 2]))
                continue;
        } else if (!((t[i] == '(' || t[i] == '[' || t[i] == '{' || t[i] == '<') &&
                     lower(t[i + 1]) == 'a')) {
            continue;
        }
        if (!at_word(t, len, i, &e, &bracket))
            continue;
        le = i;
        while (le > 0 && is_space(t[le - 1]))
            le--;
        ls = le;
        while (ls > 0 && email_local((unsigned char)t[ls - 1]))
            ls--;
        if (le - ls < 2 || (ls > 0 && (unsigned char)t[ls - 1] >= 0x80))
            continue;
        p = e;
        for (;;) {
            size_t s0, q = p, de;

            while (q < len && is_space(t[q]))
                q++;
            s0 = q;
            while (q < len && (is_alnum((unsigned char)t[q]) || t[q] == '-'))
                q++;
            if (q == s0)
                break;
            if (labels == 0) {
                first_s = s0;
                first_e = q;
            }
            last_s = s0;
            last_e = q;
            labels++;
            p = q;
            while (q < len && is_space(t[q]))
                q++;
            if (q >= len || !dot_word(t, len, q, &de) || labels >= 6)
                break;
            spelled |= t[q] != '.';
            p = de;
        }
        if (labels == 0)
            continue;
        if (labels >= 2) {
            int tld = last_e - last_s >= 2;

            for (size_t k = last_s; k < last_e; k++)
                tld &= is_alpha((unsigned char)t[k]);
            if (!tld) {
                labels = 1; /* "at home.5" and the like: keep only the first label */
                last_e = first_e;
            }
        }
        if (labels >= 2 ? (bracket || spelled || iany(t + first_s, first_e - first_s, PROVIDERS))
                        : (iany(t + first_s, first_e - first_s, PROVIDERS) ||
                           (bracket && first_e - first_s >= 2))) {
            push(sc, CG_FACET_EMAIL, 0.8f, ls, labels >= 2 ? last_e : first_e);
            i = (labels >= 2 ? last_e : first_e) - 1;
        }
    }
}

/* Profile links: "facebook.com/x", "fb.com/x", "instagram.com/x", "t.me/x", "zalo.me/x". */
static void scan_profile_urls(scan *sc)
{
    static const char *const hosts[] = {"facebook.com", "fb.com", "instagram.com", "tiktok.com",
                                        "t.me", "zalo.me", "twitter.com", "x.com",
                                        "snapchat.com", "discord.gg", "discord.com", NULL};
    const char *t = sc->t;
    const char *p = t;

    while ((p = memchr(p, '/', sc->len - (size_t)(p - t))) != NULL) {
        const size_t slash = (size_t)(p - t);
        size_t e = slash + 1;

        p++;
        while (e < sc->len && (is_alnum((unsigned char)t[e]) || in_set(t[e], "._-@%?=&/")))
            e++;
        while (e > slash + 1 && in_set(t[e - 1], ".?&/"))
            e--;
        if (e == slash + 1)
            continue;
        for (size_t k = 0; hosts[k] != NULL; k++) {
            const size_t hn = strlen(hosts[k]);
            size_t s;

            if (slash < hn || !ieq(t + slash - hn, hn, hosts[k]))
                continue;
            s = slash - hn;
            if (s > 0 && (is_alnum((unsigned char)t[s - 1]) || t[s - 1] == '-'))
                continue; /* "notfacebook.com"; "m.facebook.com" stays (the dot) */
            push(sc, CG_FACET_HANDLE, 0.7f, s, e);
            p = t + e;
            break;
        }
    }
}

/* ---- values after cues (original) ------------------------------------------------------- */

typedef struct value {
    size_t s, e; /* the value's byte range in the original */
    int sep;     /* what came before it: 0 nothing, 1 ':', '=' or "là", 2 only "is"/"was" */
} value;

static int value_stop(int c)
{
    return is_space(c) || in_set(c, ",;!?\"()[]{}<>");
}

static const char *const SEP_WORDS[] = {"là", "la", "=", "-", NULL};
static const char *const SEP_WORDS_EN[] = {"is", "was", "are", NULL};
/* Words that may stand between a cue and its value ("mật khẩu CỦA EM là", "my zalo"). */
static const char *const FILLERS[] = {
    "của", "cua", "em", "anh", "mình", "minh", "tớ", "to", "tôi", "toi", "tui", "chị", "chi",
    "my", "your", "ur", "the", "me", "mới", "moi", "new", "otp", "code", "xác", "xac", "nhận",
    "nhan", "thực", "thuc", "minh", "facebook", "fb", "zalo", "wifi", "ig", "acc", "account",
    "nick", "tk", "tài", "tai", "khoản", "khoan", "number", "số", "so", "id", NULL};

/* Reads the value after original offset p: skips separators and, without a separator yet, up
 * to max_fill filler words; the value runs to whitespace or bracket-like punctuation, without
 * trailing '.', ':' or '\''. Returns 0 when none. At most 10 steps, so a cue costs O(1)
 * besides the value itself. */
static int value_after(const scan *sc, size_t p, size_t max_fill, value *v)
{
    const char *t = sc->t;
    size_t fill = 0;

    v->sep = 0;
    for (int step = 0; step < 10; step++) {
        size_t ws, we, te;

        while (p < sc->len && is_space(t[p]))
            p++;
        if (p >= sc->len)
            return 0;
        if (t[p] == ':' || t[p] == '=') {
            v->sep = 1;
            p++;
            continue;
        }
        ws = p;
        we = ws;
        while (we < sc->len && !value_stop((unsigned char)t[we]))
            we++;
        te = we;
        while (te > ws && in_set(t[te - 1], ".:'"))
            te--;
        if (we == ws)
            return 0; /* punctuation that ends the sentence */
        if (te == ws || iany(t + ws, te - ws, SEP_WORDS)) {
            if (te > ws || t[ws] != '.')
                v->sep = 1;
            p = we;
            continue;
        }
        if (iany(t + ws, te - ws, SEP_WORDS_EN)) {
            if (v->sep == 0)
                v->sep = 2;
            p = we;
            continue;
        }
        if (!v->sep && fill < max_fill && iany(t + ws, te - ws, FILLERS)) {
            fill++;
            if (te < we && t[te] == ':')
                v->sep = 1;
            p = we;
            continue;
        }
        v->s = ws;
        v->e = te;
        return 1;
    }
    return 0;
}

/* ---- handles and app IDs (cues) --------------------------------------------------------- */

/* Apps named so specifically that a value after them needs no separator ("zalo 09..."). */
static const char *const APPS_STRONG[] = {
    "zalo", "telegram", "tele", "snapchat", "snap", "instagram", "insta", "discord", "facebook",
    "kik", "wechat", "viber", "skype", "tiktok", "whatsapp", "messenger", NULL};
/* Short or common words that name an app or an ID only with ':' or "là" ("ig: x", "id: 123"). */
static const char *const APPS_WEAK[] = {"ig", "sc", "tg", "fb", "id", "nick", "username", "user",
                                        "line", "wa", "ins", "face", "skp", NULL};
static const char *const NOT_HANDLES[] = {"gì", "gi", "j", "nhé", "nhe", "nha", "đi", "di",
                                          "ko", "k", "không", "khong", "what", "đâu", "dau",
                                          "nào", "nao", "ok", "oke", "chưa", "chua", NULL};

/* v is a plausible handle or ID: ASCII handle characters, 2 to 64 bytes; without a separator
 * it needs a sign of being an ID (a digit, '_', '.', '@' or '#'), not a plain word. */
static int handle_value_ok(const scan *sc, const value *v)
{
    const size_t n = v->e - v->s;
    int sig = 0;

    if (n < 2 || n > 64)
        return 0;
    for (size_t k = v->s; k < v->e; k++) {
        const unsigned char c = (unsigned char)sc->t[k];

        if (!is_alnum(c) && !in_set(c, "._#@+-"))
            return 0;
        sig |= is_digit(c) || in_set(c, "._#@");
    }
    if (!v->sep && !sig)
        return 0;
    return !iany(sc->t + v->s, n, NOT_HANDLES);
}

static void handle_cue(scan *sc, size_t i)
{
    static const char *const asks[] = {"add", "kb", "ib", "inbox", "xin", "qua", "my", "follow",
                                       NULL};
    const int strong = w_any(sc, i, APPS_STRONG);
    value v;

    if (!strong && !w_any(sc, i, APPS_WEAK))
        return;
    /* "mật khẩu facebook là ...": the value is a password, found by password_cue. */
    if ((i >= 1 && (W_IS(sc, i - 1, "khau") || W_IS(sc, i - 1, "password") ||
                    W_IS(sc, i - 1, "pass") || W_IS(sc, i - 1, "pw"))))
        return;
    /* A weak cue needs ':' or "là": "the line is long" is no ID. */
    if (value_after(sc, sc->w[i].oe, 2, &v) && (strong || v.sep == 1) &&
        handle_value_ok(sc, &v)) {
        push(sc, CG_FACET_HANDLE, 0.7f, sc->w[i].os, v.e);
        return;
    }
    if (!strong)
        return;
    /* "add my zalo", "kết bạn zalo", "ib zalo", "add me on snap": a handle being offered. */
    for (size_t b = i < 3 ? i : 3; b >= 1; b--) {
        const size_t j = i - b;

        if (w_any(sc, j, asks) || phrase_at(sc, j, "ket ban") > 0) {
            push(sc, CG_FACET_HANDLE, 0.5f, sc->w[j].os, sc->w[i].oe);
            return;
        }
    }
}

/* ---- one-time codes and passwords (cues) ------------------------------------------------ */

static int code_digits_ok(const scan *sc, const value *v)
{
    const size_t n = v->e - v->s;

    if (n < 4 || n > 8)
        return 0;
    for (size_t k = v->s; k < v->e; k++)
        if (!is_digit((unsigned char)sc->t[k]))
            return 0;
    return 1;
}

static void code_cue(scan *sc, size_t i)
{
    static const char *const ma_next[] = {"otp", "xac nhan", "xac thuc", "xac minh", "kich hoat",
                                          "dang nhap", "pin", "code", "bi mat", NULL};
    size_t k = 0;
    int need_sep = 0;
    value v;

    if (W_IS(sc, i, "ma") && amb_ok(sc, i, "mã")) {
        k = 1 + phrase_any(sc, i + 1, ma_next);
        need_sep = k == 1;
    } else if (W_IS(sc, i, "otp") || W_IS(sc, i, "code") || W_IS(sc, i, "passcode")) {
        k = 1;
    } else if (W_IS(sc, i, "pin")) {
        k = 1;
        need_sep = 1; /* Vietnamese "pin" is a battery: "pin 5000 mah" */
    } else {
        return;
    }
    if (value_after(sc, sc->w[i + k - 1].oe, 3, &v) && (!need_sep || v.sep) &&
        code_digits_ok(sc, &v))
        push(sc, CG_FACET_CODE, 0.9f, sc->w[i].os, v.e);
}

static void password_cue(scan *sc, size_t i)
{
    static const char *const cues[] = {"mat khau", "password", "passwd", "pass", "pwd", "pw",
                                       "mat ma", NULL};
    static const char *const not_pw[] = {"gì", "gi", "j", "what", "đâu", "dau", "sao", "thế",
                                         "the", "nhé", "nhe", "nha", "đi", "di", "ko", "k",
                                         "không", "khong", "ấy", "ay", "đó", "do", "nào", "nao",
                                         "mới", "moi", "cũ", "cu", "of", "for", "ơi", "oi", NULL};
    const size_t k = phrase_any(sc, i, cues);
    size_t n, digits = 0;
    value v;

    if (k == 0 || (k == 2 && W_IS(sc, i + 1, "ma") && !amb_ok(sc, i, "mật")))
        return;
    if (!value_after(sc, sc->w[i + k - 1].oe, 3, &v))
        return;
    n = v.e - v.s;
    for (size_t q = v.s; q < v.e; q++)
        digits += is_digit((unsigned char)sc->t[q]);
    if (n < 3 || n > 64 || iany(sc->t + v.s, n, not_pw))
        return;
    if (!v.sep && (n < 4 || digits == 0 || digits == n))
        return; /* "pass 2 cái", "pass 2023": not a password without "là" or ':' */
    push(sc, CG_FACET_CODE, 0.9f, sc->w[i].os, v.e);
}

/* ---- home addresses (cues) -------------------------------------------------------------- */

/* After "nhà em ở": words that are no address ("nhà em ở đâu?", "ở xa lắm", "ở gần đây"). */
static const char *const QUESTION_WORDS[] = {
    "dau", "gi", "nao", "di", "ha", "a", "khong", "chua", "where", "what", "xa", "gan", "day",
    "do", "kia", "cung", "chung", "voi", "mot", "rat", "home", "here", "there", "the", NULL};
/* Address words that join the parts of a place: "số 7 ngõ 12", "12 Lê Lợi, quận 1". */
static const char *const CONNECTORS[] = {"so", "duong", "ngo", "ngach", "hem", "kiet", "pho",
                                         "phuong", "quan", "huyen", "xa", "thon", "ap", "to",
                                         "khu", "tinh", "thanh", NULL};
static const char *const UNITS[] = {"km", "m", "phut", "p", "h", "gio", "k", "nghin", "tr",
                                    "trieu", "d", "dong", "cm", "kg", "nam", "tuoi", "lan",
                                    "cai", "nguoi", NULL};

/* How many words from i (at most max) name a place: numbers ("12", "3/2", "45a") and words
 * written with a capital letter ("Lê Lợi", "Bình Thạnh"). A number followed by a unit
 * ("5 km") is not a place. */
static size_t place_run(const scan *sc, size_t i, size_t max)
{
    size_t k = 0;

    while (k < max && i + k < sc->nw) {
        if (k > 0 && w_any(sc, i + k, CONNECTORS) &&
            (o_starts_digit(sc, i + k + 1) || o_upper(sc, i + k + 1))) {
            k++;
            continue;
        }
        if (o_starts_digit(sc, i + k)) {
            if (w_any(sc, i + k + 1, UNITS) || olen(sc, i + k) > 6)
                break;
        } else if (!o_upper(sc, i + k) || W_IS(sc, i + k, "i")) {
            break;
        }
        k++;
    }
    return k;
}

static void address_lead(scan *sc, size_t i, size_t k, int fillers)
{
    static const char *const skip[] = {"cua", "em", "minh", "toi", "to", "tui", "nha", "la", "o",
                                       "hien", "tai", "nay", "is", "my", NULL};
    size_t j = i + k, run;

    while (fillers > 0 && j < sc->nw && w_any(sc, j, skip)) {
        j++;
        fillers--;
    }
    if (j >= sc->nw || w_any(sc, j, QUESTION_WORDS) || W_IS(sc, j, "email") ||
        W_IS(sc, j, "mail") || W_IS(sc, j, "ip") || W_IS(sc, j, "web"))
        return;
    /* "nhà em ở ngõ 5 Hàng Bông", "địa chỉ là số 7": an address word opens the place. */
    for (int c = 0; c < 2 && w_any(sc, j, CONNECTORS) &&
                    (o_starts_digit(sc, j + 1) || o_upper(sc, j + 1) ||
                     w_any(sc, j + 1, CONNECTORS));
         c++) {
        const size_t r = place_run(sc, j + 1, 6);

        if (r > 0) {
            push(sc, CG_FACET_ADDRESS, 0.8f, sc->w[i].os, sc->w[j + r].oe);
            return;
        }
        j++;
    }
    run = place_run(sc, j, 6);
    if (run > 0)
        push(sc, CG_FACET_ADDRESS, 0.8f, sc->w[i].os, sc->w[j + run - 1].oe);
    else
        push(sc, CG_FACET_ADDRESS, 0.6f, sc->w[i].os, sc->w[j].oe);
}

/* area: word i is a street or area word ("đường", "quận"). */
static void address_cue(scan *sc, size_t i, unsigned area)
{
    static const char *const leads[] = {
        "nha em o", "nha minh o", "nha toi o", "nha tui o", "nha to o", "nha anh o", "nha chi o",
        "nha t o", "em song o", "minh song o", "toi song o", "tui song o", "to song o",
        "i live at", "i live on", "i live in", "my address is", "my home address is",
        "my address", NULL};
    /* Street and area words with the spelling that makes them address words. */
    static const struct {
        const char *plain, *vi;
    } areas[] = {
        {"duong", "đường"}, {"pho", "phố"}, {"ngo", "ngõ"}, {"ngach", "ngách"}, {"hem", "hẻm"},
        {"kiet", "kiệt"}, {"phuong", "phường"}, {"quan", "quận"}, {"xa", "xã"},
        {"huyen", "huyện"}, {"thon", "thôn"}, {"ap", "ấp"}, {"khom", "khóm"},
    };
    enum { HEM = 4 }; /* the index of "hẻm" in areas */
    static const char *const streets_en[] = {"street", "st", "road", "rd", "avenue", "ave",
                                             "lane", "ln", "drive", "dr", "boulevard", "blvd",
                                             "way", "court", "ct", "place", NULL};
    size_t k;

    k = W_IS(sc, i, "nha") || W_IS(sc, i, "i") || W_IS(sc, i, "my") || W_IS(sc, i + 1, "song")
            ? phrase_any(sc, i, leads)
            : 0;
    if (k > 0) {
        address_lead(sc, i, k, 0);
        return;
    }
    if (phrase_at(sc, i, "dia chi") > 0) {
        address_lead(sc, i, 2, 4);
        return;
    }
    if (phrase_at(sc, i, "so nha") > 0 && o_starts_digit(sc, i + 2)) {
        const size_t run = place_run(sc, i + 2, 5);

        if (run > 0)
            push(sc, CG_FACET_ADDRESS, 0.8f, sc->w[i].os, sc->w[i + 1 + run].oe);
        return;
    }
    if (phrase_at(sc, i, "khu pho") > 0 || phrase_at(sc, i, "chung cu") > 0 ||
        phrase_at(sc, i, "to dan pho") > 0) {
        const size_t kk = phrase_at(sc, i, "to dan pho") > 0 ? 3 : 2;
        const size_t run = place_run(sc, i + kk, 5);

        if (run > 0)
            push(sc, CG_FACET_ADDRESS, 0.7f, sc->w[i].os, sc->w[i + kk + run - 1].oe);
        return;
    }
    for (size_t a = 0; area && a < sizeof(areas) / sizeof(areas[0]); a++) {
        size_t run;

        /* The teencode table reads "hem" as "không": look at the original for that one. */
        if (!weq(sc, i, areas[a].plain, strlen(areas[a].plain)) &&
            !(a == HEM && W_IS(sc, i, "khong") &&
              (ieq(orig(sc, i), olen(sc, i), "hẻm") ||
               (ieq(orig(sc, i), olen(sc, i), "hem") && o_starts_digit(sc, i + 1)))))
            continue;
        if (!amb_ok(sc, i, areas[a].vi))
            return;
        run = place_run(sc, i + 1, 5);
        /* Without diacritics "Phuong Anh" is a name and "xa 5 km" is far: a capitalised cue
         * written in ASCII needs a number after it. */
        if (run == 0 || (o_ascii(sc, i) && o_upper(sc, i) && !o_starts_digit(sc, i + 1)))
            return;
        push(sc, CG_FACET_ADDRESS, 0.7f, sc->w[i].os, sc->w[i + run].oe);
        return;
    }
    /* English: "221 Baker Street", "12 Main St". */
    if (o_starts_digit(sc, i) && olen(sc, i) <= 6) {
        const size_t run = place_run(sc, i + 1, 4);

        if (run > 0 && w_any(sc, i + 1 + run, streets_en))
            push(sc, CG_FACET_ADDRESS, 0.7f, sc->w[i].os, sc->w[i + 1 + run].oe);
    }
}

/* ---- school and class (cues) ------------------------------------------------------------ */

/* The original of word i is a class: a grade 1-12 with an optional suffix ("6", "7A", "10a1"). */
static int class_word(const scan *sc, size_t i)
{
    const char *o;
    size_t n, d = 0;
    int g = 0;

    if (i >= sc->nw)
        return 0;
    o = orig(sc, i);
    n = olen(sc, i);
    while (d < n && d < 3 && is_digit((unsigned char)o[d]))
        g = g * 10 + (o[d++] - '0');
    if (d == 0 || d > 2 || g < 1 || g > 12 || n > 5)
        return 0;
    for (size_t k = d; k < n; k++)
        if (!is_alnum((unsigned char)o[k]))
            return 0;
    return 1;
}

static void school_cue(scan *sc, size_t i)
{
    static const char *const levels[] = {
        "thcs", "thpt", "th", "tieu hoc", "mam non", "mau giao", "dai hoc", "cao dang", "cap 1",
        "cap 2", "cap 3", "c1", "c2", "c3", "trung hoc co so", "trung hoc pho thong",
        "trung hoc", "quoc te", "chuyen", "pho thong", "ptth", "ptcs", "dh", "cd", NULL};
    static const char *const levels_alone[] = {"thcs", "thpt", "tieu hoc", "ptth", "ptcs", NULL};
    static const char *const kinds_en[] = {"high", "middle", "primary", "elementary", "junior",
                                           "senior", "secondary", "grammar", "public", "private",
                                           "international", NULL};
    static const char *const not_names[] = {"my", "our", "the", "your", "his", "her", "a", "this",
                                            "that", "i", "at", "to", "in", NULL};
    size_t k;

    if (W_IS(sc, i, "truong") && amb_ok(sc, i, "trường")) {
        const size_t lv = phrase_any(sc, i + 1, levels);
        const size_t run = place_run(sc, i + 1 + lv, 5);

        if (run > 0)
            push(sc, CG_FACET_SCHOOL, 0.6f, sc->w[i].os, sc->w[i + lv + run].oe);
        else if (lv > 0)
            push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i].os, sc->w[i + lv].oe);
        return;
    }
    k = phrase_any(sc, i, levels_alone);
    if (k > 0) {
        const size_t run = place_run(sc, i + k, 5);

        if (run > 0 && !(i > 0 && W_IS(sc, i - 1, "truong")))
            push(sc, CG_FACET_SCHOOL, 0.6f, sc->w[i].os, sc->w[i + k + run - 1].oe);
        return;
    }
    if (W_IS(sc, i, "lop") && amb_ok(sc, i, "lớp") && class_word(sc, i + 1)) {
        const size_t s = i > 0 && W_IS(sc, i - 1, "hoc") ? i - 1 : i;

        push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[s].os, sc->w[i + 1].oe);
        return;
    }
    /* English grades: "grade 6", "6th grade", "in year 7". */
    if (W_IS(sc, i, "grade") && class_word(sc, i + 1)) {
        push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i].os, sc->w[i + 1].oe);
        return;
    }
    if (W_IS(sc, i, "year") && i > 0 && W_IS(sc, i - 1, "in") && o_digits(sc, i + 1) > 0 &&
        o_digits(sc, i + 1) <= 2 && class_word(sc, i + 1)) {
        push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i - 1].os, sc->w[i + 1].oe);
        return;
    }
    if (W_IS(sc, i + 1, "grade") && class_word(sc, i)) {
        const char *o = orig(sc, i);
        const size_t n = olen(sc, i);

        if (n >= 3 && is_alpha((unsigned char)o[n - 1]) && !is_digit((unsigned char)o[n - 1]))
            push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i].os, sc->w[i + 1].oe);
        return;
    }
    /* "Lincoln High School", "I go to Nguyen Du school": capitalised name words before
     * "school", the kind words between them allowed. */
    if (W_IS(sc, i, "school") && i > 0) {
        size_t j = i, names = 0;

        while (j > 0 && i - j < 3 && w_any(sc, j - 1, kinds_en))
            j--;
        while (j > 0 && i - j < 7 && o_upper(sc, j - 1) && !w_any(sc, j - 1, not_names) &&
               !w_any(sc, j - 1, kinds_en)) {
            j--;
            names++;
        }
        if (names > 0)
            push(sc, CG_FACET_SCHOOL, 0.6f, sc->w[j].os, sc->w[i].oe);
    }
}

/* ---- the scan --------------------------------------------------------------------------- */

enum { T_CODE = 1, T_PASS = 2, T_ADDR = 4, T_SCHOOL = 8, T_HANDLE = 16, T_AT = 32, T_AREA = 64 };

/* The word w equals lit: its bit m, else 0. memcmp of a constant size compiles to a compare. */
#define WM(w, lit, m) \
    ((w)->n == sizeof(lit) - 1 && memcmp((w)->s, (lit), sizeof(lit) - 1) == 0 ? (m) : 0)

/* Which detectors a plain word wakes: the words that can start a cue (one switch and a few
 * compares; most words of a message are none of these). */
static unsigned trigger_mask(const word *w)
{
    switch (w->s[0]) {
    case 'a':
        return WM(w, "ap", T_AREA) | WM(w, "at", T_AT);
    case 'c':
        return WM(w, "chung", T_ADDR) | WM(w, "code", T_CODE);
    case 'd':
        return WM(w, "dia", T_ADDR) | WM(w, "discord", T_HANDLE) | WM(w, "duong", T_AREA);
    case 'e':
        return WM(w, "em", T_ADDR);
    case 'f':
        return WM(w, "face", T_HANDLE) | WM(w, "facebook", T_HANDLE) | WM(w, "fb", T_HANDLE);
    case 'g':
        return WM(w, "grade", T_SCHOOL);
    case 'h':
        return WM(w, "hem", T_AREA) | WM(w, "huyen", T_AREA);
    case 'i':
        return WM(w, "i", T_ADDR) | WM(w, "id", T_HANDLE) | WM(w, "ig", T_HANDLE) |
               WM(w, "ins", T_HANDLE) | WM(w, "insta", T_HANDLE) | WM(w, "instagram", T_HANDLE);
    case 'k':
        return WM(w, "khom", T_AREA) | WM(w, "khong", T_AREA) | WM(w, "khu", T_ADDR) |
               WM(w, "kiet", T_AREA) | WM(w, "kik", T_HANDLE);
    case 'l':
        return WM(w, "line", T_HANDLE) | WM(w, "lop", T_SCHOOL);
    case 'm':
        return WM(w, "ma", T_CODE) | WM(w, "mat", T_PASS) | WM(w, "messenger", T_HANDLE) |
               WM(w, "minh", T_ADDR) | WM(w, "my", T_ADDR);
    case 'n':
        return WM(w, "ngach", T_AREA) | WM(w, "ngo", T_AREA) | WM(w, "nha", T_ADDR) |
               WM(w, "nick", T_HANDLE);
    case 'o':
        return WM(w, "otp", T_CODE);
    case 'p':
        return WM(w, "pass", T_PASS) | WM(w, "passcode", T_CODE) | WM(w, "passwd", T_PASS) |
               WM(w, "password", T_PASS) | WM(w, "pho", T_AREA) | WM(w, "phuong", T_AREA) |
               WM(w, "pin", T_CODE) | WM(w, "ptcs", T_SCHOOL) | WM(w, "ptth", T_SCHOOL) |
               WM(w, "pw", T_PASS) | WM(w, "pwd", T_PASS);
    case 'q':
        return WM(w, "quan", T_AREA);
    case 's':
        return WM(w, "sc", T_HANDLE) | WM(w, "school", T_SCHOOL) | WM(w, "skp", T_HANDLE) |
               WM(w, "skype", T_HANDLE) | WM(w, "snap", T_HANDLE) | WM(w, "snapchat", T_HANDLE) |
               WM(w, "so", T_ADDR);
    case 't':
        return WM(w, "tele", T_HANDLE) | WM(w, "telegram", T_HANDLE) | WM(w, "tg", T_HANDLE) |
               WM(w, "thcs", T_SCHOOL) | WM(w, "thon", T_AREA) | WM(w, "thpt", T_SCHOOL) |
               WM(w, "tieu", T_SCHOOL) | WM(w, "tiktok", T_HANDLE) | WM(w, "to", T_ADDR) |
               WM(w, "toi", T_ADDR) | WM(w, "truong", T_SCHOOL) | WM(w, "tui", T_ADDR);
    case 'u':
        return WM(w, "user", T_HANDLE) | WM(w, "username", T_HANDLE);
    case 'v':
        return WM(w, "viber", T_HANDLE);
    case 'w':
        return WM(w, "wa", T_HANDLE) | WM(w, "wechat", T_HANDLE) | WM(w, "whatsapp", T_HANDLE);
    case 'x':
        return WM(w, "xa", T_AREA);
    case 'y':
        return WM(w, "year", T_SCHOOL);
    case 'z':
        return WM(w, "zalo", T_HANDLE);
    default:
        return 0;
    }
}

static unsigned triggers(const scan *sc, size_t i)
{
    unsigned m = trigger_mask(&sc->w[i]);

    /* A number may start an English street ("221 Baker Street") or a grade ("6th grade"). */
    if (o_starts_digit(sc, i))
        m |= T_ADDR | T_SCHOOL;
    return m;
}

static int hit_cmp(const void *pa, const void *pb)
{
    const cg__pii_hit *a = pa, *b = pb;

    if (a->facet != b->facet)
        return a->facet < b->facet ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1;
    return a->weight > b->weight ? -1 : a->weight < b->weight;
}

/* Sorts the hits from n0 on by facet and start, and drops each one that lies inside an earlier
 * hit of its facet (raising that one's weight to the larger of the two). */
static void merge_hits(cg__pii_hits *h, size_t n0)
{
    size_t w = n0;

    if (h->n - n0 < 2)
        return;
    qsort(h->v + n0, h->n - n0, sizeof(h->v[0]), hit_cmp);
    for (size_t r = n0; r < h->n; r++) {
        if (w > n0) {
            cg__pii_hit *last = &h->v[w - 1];

            if (last->facet == h->v[r].facet && h->v[r].start >= last->start &&
                h->v[r].end <= last->end) {
                if (h->v[r].weight > last->weight)
                    last->weight = h->v[r].weight;
                continue;
            }
        }
        h->v[w++] = h->v[r];
    }
    h->n = w;
}

/* Appends to out the personal data found in text. On failure out keeps exactly the hits it had
 * before the call. nm must be the normalisation of these very bytes. */
cg_status cg__pii_scan(const char *text, size_t len, const cg__normalized *nm, cg__pii_hits *out,
                       cg_error *err)
{
    scan sc;
    size_t n0;
    cg_status st;
    int spelled = 0;

    if (out == NULL || nm == NULL || (text == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "personal-data scan: NULL argument");
    if (len > UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "personal-data scan: message of %zu bytes", len);
    n0 = out->n;
    sc.t = text != NULL ? text : "";
    sc.len = len;
    sc.out = out;
    sc.nomem = 0;
    st = split_words(&sc, &nm->plain);
    if (st != CG_OK)
        return cg__fail(err, st, "personal-data scan: out of memory");

    scan_phones(&sc);
    if (memchr(sc.t, '@', len) != NULL)
        scan_at_signs(&sc);
    if (memchr(sc.t, '/', len) != NULL)
        scan_profile_urls(&sc);
    for (size_t i = 0; i < sc.nw && !sc.nomem; i++) {
        const unsigned m = triggers(&sc, i);

        if (m == 0)
            continue;
        if (m & T_AT) {
            /* "name at gmail dot com", "(at)", "[at]": all give the plain word "at". */
            if (!spelled)
                scan_spelled_emails(&sc);
            spelled = 1;
        }
        if (m & T_CODE)
            code_cue(&sc, i);
        if (m & T_PASS)
            password_cue(&sc, i);
        if (m & (T_ADDR | T_AREA))
            address_cue(&sc, i, m & T_AREA);
        if (m & T_SCHOOL)
            school_cue(&sc, i);
        if (m & T_HANDLE)
            handle_cue(&sc, i);
    }
    if (!sc.nomem && cg__pii_scan_spoken(sc.t, sc.len, sc.w, sc.nw, out) != 0)
        sc.nomem = 1;
    if (sc.w != sc.stack)
        cg__free(sc.w);
    if (sc.nomem) {
        out->n = n0;
        return cg__fail(err, CG_E_NOMEM, "personal-data scan: out of memory");
    }
    merge_hits(out, n0);
    return CG_OK;
}

void cg__pii_hits_free(cg__pii_hits *h)
{
    if (h == NULL)
        return;
    cg__free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
