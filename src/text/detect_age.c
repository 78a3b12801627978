/* Age signals (detect.h): the writer stating an age ("I'm 12", "em 12 tuổi", "mình 13t",
 * "em sinh năm 2013", "2k10", "học lớp 6", "grade 6", "year 7") or asking the other's ("how old
 * are you", "asl", "em bao nhiêu tuổi", "em học lớp mấy").
 *
 * Cues are words of the PLAIN form (no diacritics, teencode expanded), so "tuổi", "tuoi" and
 * "TUỔI" are one word. Numbers are read in the ORIGINAL: the normaliser folds leetspeak inside
 * words, so "13t" or "7a3" may reach the plain form as letters, while the original range of the
 * plain word still holds the digits.
 *
 * Grades map to ages the way the school systems do: Vietnamese "lớp g" and US "grade g" are
 * entered at about g + 5, so a pupil in grade g is g + 5 or g + 6; UK "year y" starts a year
 * earlier (y + 4 or y + 5). A birth year b gives this_year - b - 1 or this_year - b. Stated ages
 * outside 5-25 are taken to be something else ("I'm 100% sure", "I'm 30").
 *
 * A statement about someone else ("my brother is 10 years old", "con tôi học lớp 6") is not the
 * writer's age: a relation word just before it cancels it. One forward pass over the words with
 * a bounded look-ahead; nothing allocates except the signal array and, for messages of more than
 * WORDS_STACK words, the word array. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/detect.h"
#include "text/detect_words.h"

#define AGE_MIN 5
#define AGE_MAX 25
#define WORDS_STACK 128

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

typedef cg__word word;

typedef struct scan {
    const char *t;            /* the original */
    size_t len;
    const word *w;            /* the plain form's words (the caller's) */
    size_t nw;
    int year;                 /* this year, for birth years */
    cg__age_signals *out;
    int nomem;
} scan;

static void push(scan *sc, cg__age_kind kind, int min_age, int max_age, size_t wa, size_t wb)
{
    cg__age_signals *a = sc->out;

    if (sc->nomem)
        return;
    if (a->n == a->cap) {
        const size_t cap = a->cap ? 2 * a->cap : 4;
        cg__age_signal *v = cg__realloc(a->v, cap * sizeof(*v));

        if (v == NULL) {
            sc->nomem = 1;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n].kind = kind;
    a->v[a->n].min_age = kind == CG__AGE_ASKED ? 0 : min_age;
    a->v[a->n].max_age = kind == CG__AGE_ASKED ? 0 : max_age;
    a->v[a->n].start = sc->w[wa].os;
    a->v[a->n].end = sc->w[wb].oe;
    a->n++;
}

#define W_IS(sc, i, lit) weq((sc), (i), (lit), sizeof(lit) - 1)

/* The original of word i (< nw) as a number of 1 to maxd digits followed by the suffix suf
 * (ASCII, lowercase, compared ignoring case; "" for none). Returns the number, or -1. */
static int o_num_at(const scan *sc, size_t i, size_t maxd, const char *suf)
{
    const char *o;
    size_t n, d = 0, sn = strlen(suf);
    int v = 0;

    o = sc->t + sc->w[i].os;
    n = sc->w[i].oe - sc->w[i].os;
    while (d < n && is_digit((unsigned char)o[d])) {
        if (d == maxd)
            return -1;
        v = v * 10 + (o[d++] - '0');
    }
    if (d == 0 || n - d != sn)
        return -1;
    for (size_t k = 0; k < sn; k++)
        if (lower((unsigned char)o[d + k]) != suf[k])
            return -1;
    return v;
}

/* o_num_at for a word i that exists and starts with a digit (most words do not: they cost a
 * test here, not a call). */
static inline int o_num(const scan *sc, size_t i, size_t maxd, const char *suf)
{
    if (i >= sc->nw || sc->w[i].oe == sc->w[i].os ||
        !is_digit((unsigned char)sc->t[sc->w[i].os]))
        return -1;
    return o_num_at(sc, i, maxd, suf);
}

/* The original of word i is a class: grade 1-13 with an optional letter-and-digit suffix
 * ("6", "7A", "10a1"); the grade, or -1. */
static int o_class(const scan *sc, size_t i)
{
    const char *o;
    size_t n, d = 0;
    int g = 0;

    if (i >= sc->nw)
        return -1;
    o = sc->t + sc->w[i].os;
    n = sc->w[i].oe - sc->w[i].os;
    while (d < n && d < 3 && is_digit((unsigned char)o[d]))
        g = g * 10 + (o[d++] - '0');
    if (d == 0 || d > 2 || g < 1 || g > 13 || n > 5)
        return -1;
    for (size_t k = d; k < n; k++) {
        const int c = lower((unsigned char)o[k]);

        if (!is_digit(c) && !(c >= 'a' && c <= 'z'))
            return -1;
    }
    return g;
}

/* The byte after word i in the original makes its number something else: "100%", "12.5",
 * "12,5", "12/5", "12:30". */
static int o_num_continues(const scan *sc, size_t i)
{
    const size_t e = sc->w[i].oe;
    char c;

    if (e >= sc->len)
        return 0;
    c = sc->t[e];
    if (c == '%' || c == '/' || c == '$')
        return 1;
    return (c == '.' || c == ',' || c == ':' || c == '-') && e + 1 < sc->len &&
           is_digit((unsigned char)sc->t[e + 1]);
}

static int plausible(int age)
{
    return age >= AGE_MIN && age <= AGE_MAX;
}

int cg__age_from_birth_year(int birth_year, int this_year, int *min_age, int *max_age)
{
    const int age = this_year - birth_year;

    *min_age = *max_age = 0;
    if (age - 1 < AGE_MIN || age > AGE_MAX)
        return 0;
    *min_age = age - 1;
    *max_age = age;
    return 1;
}

/* A relation word among the up to three words before word i: the age is someone else's. */
static int about_someone_else(const scan *sc, size_t i)
{
    static const char *const others[] = {
        "he", "she", "hes", "shes", "brother", "sister", "son", "daughter", "kid", "kids",
        "cousin", "friend", "mom", "dad", "mother", "father", "him", "her", "his", "they",
        "when", "since", "until", "trai", "gai", "con", "chau", "no", "ong", "bo", "me", "thay",
        "day", "hoi", "luc", "khi", "ban", NULL}; /* "bạn em 12 tuổi" */
    /* Only right before the number: "a 5 year old", "the 12 year olds". */
    static const char *const articles[] = {"a", "an", "the", NULL};

    if (i > 0 && w_any(sc, i - 1, articles))
        return 1;
    for (size_t b = 1; b <= 3 && b <= i; b++) {
        if (w_any(sc, i - b, others))
            return 1;
        /* "bé" (a young child: "bé nhà em 6 tuổi"), as written: plain "be" is also English. */
        const size_t on = sc->w[i - b].oe - sc->w[i - b].os;
        const char *o = sc->t + sc->w[i - b].os;
        if (on == 3 && (o[0] == 'b' || o[0] == 'B') && memcmp(o + 1, "\xc3\xa9", 2) == 0)
            return 1;
    }
    return 0;
}

/* The writer speaking of themself just before word i ("em", "mình", "tớ"), or "năm nay". */
static int first_person_before(const scan *sc, size_t i)
{
    static const char *const me[] = {"em", "e", "minh", "mk", "to", "toi", "tui", "t", "tao",
                                     "nay", NULL};

    return i > 0 && w_any(sc, i - 1, me);
}

/* English units after "I'm N" that make N something other than an age. */
static const char *const NOT_AGE_UNITS[] = {
    "percent", "min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs", "sec", "secs",
    "second", "seconds", "km", "mi", "mile", "miles", "kg", "lbs", "lb", "pounds", "feet", "ft",
    "foot", "inch", "inches", "cm", "dollars", "bucks", "usd", "points", "pts", "times", "day",
    "days", "week", "weeks", "month", "months", "of", "out", "x", "in", "k", "apples", "th",
    "st", "nd", "rd", "more", "euro", "euros", NULL};

/* Stated ages. Returns 1 when word i starts one (and pushes it). */
static int stated(scan *sc, size_t i)
{
    static const char *const im[] = {"i m", "im", "i am", "iam", "i a m", NULL};
    /* Not "years" alone: "I waited 12 years". */
    static const char *const yo_words[] = {"years old", "year old", "yrs old", "yr old", "yo",
                                           "y o", "tuoi", NULL};
    const char c = sc->w[i].s[0];
    size_t k;
    int n, g, lo = 0, hi = 0;

    /* "I'm 12", "im 13", "I am 12 years old". */
    k = c == 'i' ? phrase_any(sc, i, im) : 0;
    if (k > 0 && i + k < sc->nw) {
        size_t end = i + k;
        const int yo = o_num(sc, i + k, 2, "yo");

        n = yo >= 0 ? yo : o_num(sc, i + k, 2, "");
        if (n >= 0 && plausible(n) && !o_num_continues(sc, i + k) &&
            !w_any(sc, i + k + 1, NOT_AGE_UNITS)) {
            end += phrase_any(sc, end + 1, yo_words);
            push(sc, CG__AGE_STATED, n, n, i, end);
            return 1;
        }
    }
    /* "my age is 12", "age: 12", "age 12". */
    k = c == 'm' ? phrase_at(sc, i, "my age is") : 0;
    if (k == 0 && c == 'a')
        k = phrase_at(sc, i, "age is");
    if (k == 0 && c == 'a')
        k = phrase_at(sc, i, "age");
    if (k > 0) {
        n = o_num(sc, i + k, 2, "");
        if (n >= 0 && plausible(n) && !o_num_continues(sc, i + k)) {
            push(sc, CG__AGE_STATED, n, n, i, i + k);
            return 1;
        }
    }
    /* "12 tuổi", "12 years old", "12 yo", "12 y/o"; "12yo", "12yrs", "12tuoi" as one word;
     * "mình 13t" and "em 13 t" after the writer. */
    n = o_num(sc, i, 2, "");
    if (n < 0)
        n = o_num(sc, i, 2, "yo");
    if (n < 0)
        n = o_num(sc, i, 2, "tuoi");
    if (n < 0) {
        n = o_num(sc, i, 2, "t");
        if (n >= 0 && !first_person_before(sc, i))
            n = -1; /* "13t" alone may be 13 triệu (millions) */
        if (n >= 0) {
            if (plausible(n) && !about_someone_else(sc, i)) {
                push(sc, CG__AGE_STATED, n, n, i - 1, i);
                return 1;
            }
            return 0;
        }
    }
    if (n >= 0 && plausible(n) && !o_num_continues(sc, i)) {
        size_t start = i;

        k = o_num(sc, i, 2, "") >= 0 ? phrase_any(sc, i + 1, yo_words) : 0;
        if (k == 0 && o_num(sc, i, 2, "") >= 0 &&
            (W_IS(sc, i + 1, "t") || W_IS(sc, i + 1, "tao")) && first_person_before(sc, i))
            k = 1; /* "em 13 t" ("t" is "tao" after the teencode table) */
        if ((k > 0 || o_num(sc, i, 2, "") < 0) && !about_someone_else(sc, i)) {
            if (first_person_before(sc, i))
                start = i - 1;
            push(sc, CG__AGE_STATED, n, n, start, i + k);
            return 1;
        }
    }
    /* "sinh năm 2013", "born in 2013", and "2k10" (born in 2010). */
    k = c == 's' ? phrase_at(sc, i, "sinh nam") : c == 'b' ? phrase_at(sc, i, "born in") : 0;
    if (k > 0) {
        n = o_num(sc, i + k, 4, "");
        if (n >= 1900 && cg__age_from_birth_year(n, sc->year, &lo, &hi) &&
            !about_someone_else(sc, i)) {
            push(sc, CG__AGE_STATED, lo, hi, i, i + k);
            return 1;
        }
    }
    if (sc->w[i].oe - sc->w[i].os >= 3 && sc->t[sc->w[i].os] == '2' &&
        lower((unsigned char)sc->t[sc->w[i].os + 1]) == 'k') {
        const char *o = sc->t + sc->w[i].os + 2;
        const size_t m = sc->w[i].oe - sc->w[i].os - 2;

        n = 0;
        for (size_t d = 0; d < m && n >= 0; d++)
            n = is_digit((unsigned char)o[d]) && m <= 2 ? n * 10 + (o[d] - '0') : -1;
        if (n >= 0 && cg__age_from_birth_year(2000 + n, sc->year, &lo, &hi) &&
            !about_someone_else(sc, i)) {
            push(sc, CG__AGE_STATED, lo, hi, i, i);
            return 1;
        }
    }
    /* Grades: "học lớp 6", "lớp 7A"; "grade 6", "6th grade", "in year 7". */
    if (W_IS(sc, i, "lop")) {
        g = o_class(sc, i + 1);
        if (g >= 1 && g <= 12 && !about_someone_else(sc, i)) {
            const size_t s = i > 0 && W_IS(sc, i - 1, "hoc") ? i - 1 : i;

            push(sc, CG__AGE_STATED, g + 5, g + 6, s, i + 1);
            return 1;
        }
    }
    if (W_IS(sc, i, "grade")) {
        g = o_class(sc, i + 1);
        if (g >= 1 && g <= 12 && !about_someone_else(sc, i)) {
            push(sc, CG__AGE_STATED, g + 5, g + 6, i, i + 1);
            return 1;
        }
    }
    if (W_IS(sc, i + 1, "grade") || W_IS(sc, i + 1, "grader")) {
        static const char *const ords[] = {"st", "nd", "rd", "th", NULL};

        for (size_t q = 0; ords[q] != NULL; q++) {
            g = o_num(sc, i, 2, ords[q]);
            if (g >= 1 && g <= 12 && !about_someone_else(sc, i)) {
                push(sc, CG__AGE_STATED, g + 5, g + 6, i, i + 1);
                return 1;
            }
        }
    }
    if (W_IS(sc, i, "in") && W_IS(sc, i + 1, "year")) {
        g = o_num(sc, i + 2, 2, "");
        if (g >= 1 && g <= 13 && !o_num_continues(sc, i + 2)) {
            push(sc, CG__AGE_STATED, g + 4, g + 5, i, i + 2);
            return 1;
        }
    }
    return 0;
}

/* Questions about the other's age or grade. Returns 1 when word i starts one. */
static int asked(scan *sc, size_t i)
{
    /* The teencode table turns "u" into "you" and "r" into "rồi". */
    static const char *const you[] = {"are you", "are u", "r you", "r u", "roi you", "roi u",
                                      "ru", "are ya", "r ya", "roi ya", "u", "you", NULL};
    static const char *const your_age[] = {"your age", "ur age", "yr age", "hbu age",
                                           "wbu age", "how about you age",
                                           "what about you age", "u age", "you age", NULL};
    static const char *const vi[] = {
        "bao nhieu tuoi", "may tuoi", "bn tuoi", "bao tuoi", "tuoi gi", "tuoi j", "tuoi con gi",
        "sinh nam bao nhieu", "sinh nam may", "sinh nam nao", "nam nay bao nhieu",
        "hoc lop may", "lop may", "hoc lop nao", "lop nao", "hoc nam may", NULL};
    const char c = sc->w[i].s[0];
    size_t k;

    if (c == 'h' && phrase_at(sc, i, "how old") > 0) {
        k = phrase_any(sc, i + 2, you);
        if (k == 0 && (W_IS(sc, i + 2, "is") || W_IS(sc, i + 2, "was") || W_IS(sc, i + 2, "s")))
            return 0; /* "how old is your brother" */
        push(sc, CG__AGE_ASKED, 0, 0, i, i + 1 + k);
        return 1;
    }
    if (c == 'w' && (phrase_at(sc, i, "what grade") > 0 || phrase_at(sc, i, "which grade") > 0 ||
                     phrase_at(sc, i, "what year") > 0)) {
        k = phrase_any(sc, i + 2, you);
        if (k > 0) {
            const size_t end = i + 1 + k + (W_IS(sc, i + 2 + k, "in") ? 1 : 0);

            push(sc, CG__AGE_ASKED, 0, 0, i, end);
            return 1;
        }
    }
    k = c == 'y' || c == 'u' || c == 'h' || c == 'w' ? phrase_any(sc, i, your_age) : 0;
    if (k > 0 && o_num(sc, i + k, 2, "") < 0) {
        push(sc, CG__AGE_ASKED, 0, 0, i, i + k - 1);
        return 1;
    }
    /* "asl" is "age sex location" after the English teencode table. */
    k = c == 'a' ? phrase_at(sc, i, "age sex location") : 0;
    if (k == 0 && c == 'a')
        k = phrase_at(sc, i, "a s l");
    if (k == 0 && c == 'a')
        k = phrase_at(sc, i, "asl");
    if (k > 0) {
        push(sc, CG__AGE_ASKED, 0, 0, i, i + k - 1);
        return 1;
    }
    /* "age?" */
    if (W_IS(sc, i, "age") && sc->w[i].oe < sc->len && sc->t[sc->w[i].oe] == '?') {
        push(sc, CG__AGE_ASKED, 0, 0, i, i);
        return 1;
    }
    k = c == 'b' || c == 'm' || c == 't' || c == 's' || c == 'n' || c == 'h' || c == 'l'
            ? phrase_any(sc, i, vi)
            : 0;
    if (k > 0) {
        push(sc, CG__AGE_ASKED, 0, 0, i, i + k - 1);
        return 1;
    }
    return 0;
}

/* The word w equals lit: m, else 0. memcmp of a constant size compiles to a compare. */
#define WM(w, lit, m) \
    ((w)->n == sizeof(lit) - 1 && memcmp((w)->s, (lit), sizeof(lit) - 1) == 0 ? (m) : 0)

/* The plain word w can start a signal (numbers aside): one switch and a few compares. */
static int trigger_word(const word *w)
{
    switch (w->s[0]) {
    case 'a':
        return WM(w, "a", 1) | WM(w, "age", 1) | WM(w, "asl", 1);
    case 'b':
        return WM(w, "bao", 1) | WM(w, "bn", 1) | WM(w, "born", 1);
    case 'g':
        return WM(w, "grade", 1);
    case 'h':
        return WM(w, "hbu", 1) | WM(w, "hoc", 1) | WM(w, "how", 1);
    case 'i':
        return WM(w, "i", 1) | WM(w, "iam", 1) | WM(w, "im", 1) | WM(w, "in", 1);
    case 'l':
        return WM(w, "lop", 1);
    case 'm':
        return WM(w, "may", 1) | WM(w, "my", 1);
    case 'n':
        return WM(w, "nam", 1);
    case 's':
        return WM(w, "sinh", 1);
    case 't':
        return WM(w, "tuoi", 1);
    case 'u':
        return WM(w, "u", 1) | WM(w, "ur", 1);
    case 'w':
        return WM(w, "wbu", 1) | WM(w, "what", 1) | WM(w, "which", 1);
    case 'y':
        return WM(w, "you", 1) | WM(w, "your", 1) | WM(w, "yr", 1);
    default:
        return 0;
    }
}

static int may_start(const scan *sc, size_t i)
{
    return is_digit((unsigned char)sc->t[sc->w[i].os]) || trigger_word(&sc->w[i]);
}

static int sig_cmp(const void *pa, const void *pb)
{
    const cg__age_signal *a = pa, *b = pb;

    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1;
    return (int)a->kind - (int)b->kind;
}

/* Sorts the signals from n0 on by start and drops each that lies inside an earlier one of the
 * same kind ("im 13yo" is found as "im 13yo" and as "13yo"). */
static void merge_signals(cg__age_signals *a, size_t n0)
{
    size_t w = n0;

    if (a->n - n0 < 2)
        return;
    qsort(a->v + n0, a->n - n0, sizeof(a->v[0]), sig_cmp);
    for (size_t r = n0; r < a->n; r++) {
        int inside = 0;

        for (size_t q = w; q-- > n0 && !inside;) {
            if (a->v[q].end <= a->v[r].start)
                break;
            inside = a->v[q].kind == a->v[r].kind && a->v[r].end <= a->v[q].end;
        }
        if (!inside)
            a->v[w++] = a->v[r];
    }
    a->n = w;
}

cg_status cg__age_scan_year(const char *text, size_t len, const cg__normalized *nm,
                            int this_year, cg__age_signals *out, cg_error *err)
{
    cg__word stack[WORDS_STACK], *w = stack;
    size_t nw = 0;
    cg_status st;

    if (out == NULL || nm == NULL || (text == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "age scan: NULL argument");
    if (len > UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "age scan: message of %zu bytes", len);
    st = cg__words_split(&nm->plain, text != NULL ? text : "", len, stack, WORDS_STACK, &w, &nw);
    if (st != CG_OK)
        return cg__fail(err, st, "age scan: out of memory");
    st = cg__age_scan_words(text, len, w, nw, this_year, out, err);
    if (w != stack)
        cg__free(w);
    return st;
}

cg_status cg__age_scan_words(const char *text, size_t len, const struct cg__word *w, size_t nw,
                             int this_year, cg__age_signals *out, cg_error *err)
{
    scan sc;
    size_t n0;

    if (out == NULL || (text == NULL && len > 0) || (w == NULL && nw > 0))
        return cg__fail(err, CG_E_INVAL, "age scan: NULL argument");
    if (len > UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "age scan: message of %zu bytes", len);
    n0 = out->n;
    sc.t = text != NULL ? text : "";
    sc.len = len;
    sc.year = this_year;
    sc.out = out;
    sc.nomem = 0;
    sc.w = w;
    sc.nw = nw;
    for (size_t i = 0; i < sc.nw && !sc.nomem; i++) {
        if (may_start(&sc, i) && !stated(&sc, i))
            asked(&sc, i);
    }
    if (sc.nomem) {
        out->n = n0;
        return cg__fail(err, CG_E_NOMEM, "age scan: out of memory");
    }
    merge_signals(out, n0);
    return CG_OK;
}

/* The UTC year of t, by the days-to-civil-date arithmetic (H. Hinnant, "chrono-compatible
 * low-level date algorithms"): gmtime_r costs more than a whole scan of a short message. */
static int utc_year(time_t t)
{
    const long long days = (long long)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
    const long long z = days + 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const long long doe = z - era * 146097;
    const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long long mp = (5 * doy + 2) / 153;

    return (int)(yoe + era * 400 + (mp >= 10 ? 1 : 0));
}

int cg__age_this_year(void)
{
    const time_t now = time(NULL);

    return now == (time_t)-1 ? 2025 : utc_year(now);
}

/* Appends the age signals of text to out; on failure out keeps exactly the signals it had. Birth
 * years are counted from the current UTC year. */
cg_status cg__age_scan(const char *text, size_t len, const cg__normalized *nm,
                       cg__age_signals *out, cg_error *err)
{
    return cg__age_scan_year(text, len, nm, cg__age_this_year(), out, err);
}

void cg__age_signals_free(cg__age_signals *a)
{
    if (a == NULL)
        return;
    cg__free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}
