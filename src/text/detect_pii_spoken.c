/* Personal data said in words rather than written in its usual shape (detect.h), read from the
 * plain form's words (lower case, no diacritics, teencode expanded):
 * - phone numbers dictated digit by digit or spelled out, in Vietnamese, English or both mixed
 *   with numerals ("không chín ba bảy, 6 6 hai", "ko 9 1 2 …", "five five five, oh one two",
 *   "O9l2 345 678"), and a message made only of a few digits, a piece of a number dictated over
 *   several messages ("4 4 1 9", "two oh seven");
 * - a home described by where it is rather than by its address ("nhà em ở cạnh chợ, hẻm 3",
 *   "the blue house behind the gas station on elm");
 * - when a child leaves school ("em tan lúc 4h30", "i get out at 3:10") and which class they
 *   are in ("em học 6A");
 * - a code read out digit by digit ("mã là 7-3-0-5-5-1").
 * Each is a single forward pass over the words with a bounded look-ahead. What these detectors
 * deliberately leave alone: a run of number words that counts up or down ("one two three four
 * five six seven"), a schedule given to a class ("các con tan lúc 16h30": no first person), a
 * parent's pickup arrangement without a home being described. */
#include <assert.h>
#include <string.h>

#include "text/detect.h"
#include "text/detect_words.h"

typedef cg__word word;

/* ---- what each word may start ----------------------------------------------------------- */

/* The classes of a word (word_class): each detector below reads only words of its classes, so
 * most words of a message are passed over by one test of a byte instead of a walk through its
 * lists. Each class is the set of first words of a detector's list or test, exactly: W_HOME |
 * W_FIRST holds every word home_at starts with, W_LEAVE every first word of LEAVE, W_YOU the
 * reader ("you", "u", "ur", "your", "youre", "ure") and "em", "e", W_ON "on", "at", "near",
 * "off". word_class must stay in step with those lists (a word missing from its class would be a
 * phrase never found): classes_match_lists checks it, asserted in every debug build's scan. */
enum { W_DIGIT = 1, W_HOME = 2, W_FIRST = 4, W_LEAVE = 8, W_HOC = 16, W_YOU = 32, W_ON = 64 };

/* The classes of the first CLASS_STACK words are kept on the stack; a word beyond them (a very
 * long message) has its class computed again when asked. */
#define CLASS_STACK 256

typedef struct word_classes {
    const word *w;
    size_t nw;
    uint8_t c[CLASS_STACK];
} word_classes;

static unsigned word_class(const word *w);

/* The classes of word i (i < nw). */
static inline unsigned class_of(const word_classes *cl, size_t i)
{
    return i < CLASS_STACK ? cl->c[i] : word_class(&cl->w[i]);
}

/* ---- numbers ---------------------------------------------------------------------------- */

#define MAX_DIGITS 16

/* w is the NUL-terminated lit. */
static int is(const word *w, const char *lit)
{
    return cg__word_is(w, 1, 0, lit);
}

/* The digit a number word stands for, or -1. Vietnamese (plain form: "không" and "ko" are
 * "khong", "bảy" is "bay") and English. One switch on the first letter: this runs for words of
 * every message. */
/* Inline in word_class, which asks it for every word that does not start with a digit. */
static inline __attribute__((always_inline)) int digit_word(const word *w)
{
    if (w->n == 0 || w->n > 5)
        return -1;
    switch (w->s[0]) {
    case 'b': return is(w, "ba") ? 3 : is(w, "bon") ? 4 : is(w, "bay") ? 7 : -1;
    case 'c': return is(w, "chin") ? 9 : -1;
    case 'e': return is(w, "eight") ? 8 : -1;
    case 'f': return is(w, "five") ? 5 : is(w, "four") ? 4 : -1;
    case 'h': return is(w, "hai") ? 2 : -1;
    case 'k': return is(w, "khong") ? 0 : -1;
    case 'l': return is(w, "linh") ? 0 : is(w, "lam") ? 5 : -1;
    case 'm': return is(w, "mot") ? 1 : -1;
    case 'n': return is(w, "nam") ? 5 : is(w, "nine") ? 9 : -1;
    case 'o': return is(w, "o") || is(w, "oh") ? 0 : is(w, "one") ? 1 : -1;
    case 's': return is(w, "sau") ? 6 : is(w, "six") ? 6 : is(w, "seven") ? 7 : -1;
    case 't': return is(w, "tam") ? 8 : is(w, "two") ? 2 : is(w, "three") ? 3 : -1;
    case 'z': return is(w, "zero") ? 0 : -1;
    default: return -1;
    }
}

/* Appends the digits word w stands for to d (at *n, at most MAX_DIGITS): a numeral of at most
 * four digits, one written with look-alike letters inside ("o9l2": o is 0, i and l are 1, at
 * least half of it real digits), or a number word. Returns 0 when it is none of these, 1 for a
 * numeral, 2 for a word. */
static int digits_of(const word *w, char *d, size_t *n)
{
    size_t real = 0;

    for (uint32_t k = 0; k < w->n; k++) {
        const char c = w->s[k];
        if (c >= '0' && c <= '9')
            real++;
        else if (c != 'o' && c != 'i' && c != 'l')
            real = 0, k = w->n; /* not a number */
    }
    if (real > 0 && 2 * real >= w->n && w->n <= 4) {
        for (uint32_t k = 0; k < w->n && *n < MAX_DIGITS; k++) {
            const char c = w->s[k];
            d[(*n)++] = c == 'o' ? '0' : c == 'i' || c == 'l' ? '1' : c;
        }
        return 1;
    }
    const int v = digit_word(w);
    if (v < 0)
        return 0;
    if (*n < MAX_DIGITS)
        d[(*n)++] = (char)('0' + v);
    return 2;
}

/* The digits count up or down by one all the way ("1234567", "9876"): counting, not a number. */
static int counting(const char *d, size_t n)
{
    int up = 1, down = 1;

    for (size_t k = 1; k < n; k++) {
        up &= d[k] == d[k - 1] + 1;
        down &= d[k] == d[k - 1] - 1;
    }
    return up || down;
}

/* Runs of number tokens ("double"/"triple" repeat the next one). A run with a number word is a
 * dictated number: a phone number when it has the length of one (9 to 11 digits from a leading
 * 0, as Vietnamese and British numbers are written) or, with three number words or more, seven
 * digits or more. A message that is nothing but 4 to 12 digits in three tokens or more is a
 * piece of a number. */
static int spoken_numbers(const char *t, size_t len, const word *w, size_t nw, cg__pii_hits *out)
{
    size_t i = 0;

    while (i < nw) {
        char d[MAX_DIGITS + 1];
        size_t nd = 0, j = i, words = 0, tokens = 0;

        while (j < nw) {
            size_t before = nd;
            int rep = 1, kind;

            if (cg__word_is(w, nw, j, "double") || cg__word_is(w, nw, j, "triple")) {
                rep = w[j].s[0] == 'd' ? 2 : 3;
                if (j + 1 >= nw || digit_word(&w[j + 1]) < 0)
                    break;
                j++;
            }
            kind = digits_of(&w[j], d, &nd);
            if (kind == 0)
                break;
            for (int r = 1; r < rep && nd < MAX_DIGITS; r++)
                d[nd++] = d[before];
            words += kind == 2;
            tokens++;
            j++;
        }
        if (tokens == 0) {
            i++;
            continue;
        }
        const int phone_len = d[0] == '0' ? nd >= 9 && nd <= 11 : 0;
        const int whole = i == 0 && j == nw;
        float wgt = 0.0f;
        if (words > 0 && !counting(d, nd) && (phone_len || (words >= 3 && nd >= 7)))
            wgt = 0.8f;
        else if (whole && tokens >= 3 && (nd >= 4 || words >= 3) && nd <= 12 && !counting(d, nd))
            wgt = 0.35f;
        cg_facet facet = CG_FACET_PHONE;
        if (wgt == 0.0f && words == 0 && tokens >= 4 && tokens == nd && nd <= 8 &&
            !counting(d, nd)) {
            /* Digits one by one ("7-3-0-5-5-1", "4 8 2 9 1 7"): a code read out. */
            facet = CG_FACET_CODE;
            wgt = 0.45f;
        }
        if (wgt > 0.0f && cg__pii_push(out, facet, wgt, w[i].os, w[j - 1].oe, len) != 0)
            return -1;
        i = j;
    }
    (void)t;
    return 0;
}

/* ---- a home described ------------------------------------------------------------------- */

static const char *const FIRST_VI[] = {"em", "minh", "to", "tao", "t", "con", "chau", "tui",
                                       "toi", "e", NULL};
static const char *const HOME_EN[] = {"house", "home", "place", "apartment", "apt", "flat",
                                      NULL};
static const char *const SPATIAL[] = {
    "canh", "gan", "sau", "truoc", "doi dien", "dau", "cuoi", "ngay", "ben canh", "trong",
    "behind", "next to", "near", "across from", "opposite", "beside", "in front of",
    "around the corner", "on the corner", "past", "right behind", "right next to", "after",
    "right after", "just past", "by", "down the street from", "at the end of", "ngay sau", NULL};
static const char *const LANDMARK[] = {
    "cho", "cay xang", "nha tho", "chua", "cong vien", "sieu thi", "buu dien", "nga tu",
    "nga ba", "hem", "ngo", "kiet", "cau", "benh vien", "tiem", "cua hang", "tap hoa",
    "truong", "ubnd", "dinh", "gas station", "station", "church", "school", "park", "store",
    "market", "mall", "library", "supermarket", "hospital", "bridge", "gym", "pool",
    "playground", "mosque", "temple", "shop", "street", "st", "road", "rd", "avenue", "ave",
    "lane", "drive", "corner", NULL};

/* Word i starts a home: "nhà em", "em ở", "my house", "i live", "the blue house". Returns the
 * weight: 0.6 with a first person, 0.45 for a house described without one, 0 for none. */
static float home_at(const word *w, size_t nw, size_t i)
{
    if (cg__word_is(w, nw, i, "nha") && i + 1 < nw && cg__word_any(w, nw, i + 1, FIRST_VI))
        return 0.6f;
    if (cg__word_any(w, nw, i, FIRST_VI) && cg__word_is(w, nw, i + 1, "o"))
        return 0.6f;
    if ((cg__word_is(w, nw, i, "my") || cg__word_is(w, nw, i, "our")) &&
        cg__word_any(w, nw, i + 1, HOME_EN))
        return 0.6f;
    if ((cg__word_is(w, nw, i, "i") || cg__word_is(w, nw, i, "we")) &&
        (cg__word_is(w, nw, i + 1, "live") || cg__word_is(w, nw, i + 1, "stay")))
        return 0.6f;
    if (cg__word_is(w, nw, i, "house") && i > 0 && !cg__word_is(w, nw, i - 1, "my") &&
        !cg__word_is(w, nw, i - 1, "our"))
        return 0.45f;
    return 0.0f;
}

/* A home, then within 12 words a place beside a landmark ("cạnh chợ", "behind the gas
 * station"; a word may stand between them: "behind the shell gas station"). */
static int described_homes(size_t len, const word *w, size_t nw, const word_classes *cl,
                           cg__pii_hits *out)
{
    for (size_t i = 0; i < nw; i++) {
        if (!(class_of(cl, i) & (W_HOME | W_FIRST))) /* home_at is 0 */
            continue;
        const float wgt = home_at(w, nw, i);

        if (wgt <= 0.0f)
            continue;
        for (size_t k = i + 1; k < nw && k <= i + 12; k++) {
            const size_t s = cg__phrase_any(w, nw, k, SPATIAL);
            if (s == 0)
                continue;
            for (size_t g = k + s; g < nw && g <= k + s + 2; g++) {
                const size_t l = cg__phrase_any(w, nw, g, LANDMARK);
                if (l > 0)
                    return cg__pii_push(out, CG_FACET_ADDRESS, wgt, w[i].os, w[g + l - 1].oe,
                                        len);
            }
        }
    }
    return 0;
}

/* ---- leaving school, and the class ------------------------------------------------------ */

/* Word i is a time of day: "4h30", "4h", "16:30", "3:10", "5pm", "3.30" (the word may end
 * before the ":" of "3:10": then the original goes on with ":" and a digit). */
static int time_word(const char *t, size_t len, const word *w)
{
    const char *o = t + w->os;
    const size_t n = w->oe - w->os;
    size_t d = 0;

    while (d < n && d < 2 && o[d] >= '0' && o[d] <= '9')
        d++;
    if (d > 0 && d == n && w->oe + 1 < len && t[w->oe] == ':' && t[w->oe + 1] >= '0' &&
        t[w->oe + 1] <= '9')
        return 1;
    if (d == 0 || d == n)
        return 0;
    const char c = o[d];
    return c == 'h' || c == 'H' || c == ':' || c == 'g' ||
           (n >= d + 2 && (c == 'p' || c == 'a') && o[d + 1] == 'm');
}

static const char *const LEAVE[] = {"tan", "tan hoc", "ra ve", "ra cong", "ve nha", "get out",
                                    "gets out", "finish school", "leave school", "school ends",
                                    "school finishes", "get home", "walk home", "get off",
                                    "drops me", "drop me off", NULL};

/* The reader, as the subject: "you", "u", "ur", "your", "youre", "ure" (the writer stating the
 * reader's schedule or place is the reader's personal data as much as the reader saying it):
 * word_class's W_YOU, with "em" and "e". */

/* "em tan lúc 4h30", "5h chiều em tan", "i get out at 3:10", "you walk home down Maple around
 * 3:20": a first or second person, a word for leaving school or getting home and a time within
 * four words. */
static int schedules(const char *t, size_t len, const word *w, size_t nw,
                     const word_classes *cl, cg__pii_hits *out)
{
    /* The caller runs this for a message with a first or second person (a word of FIRST_VI,
     * "i", "my" or the reader: W_FIRST | W_YOU). */
    for (size_t i = 0; i < nw; i++) {
        if (!(class_of(cl, i) & W_LEAVE)) /* no phrase of LEAVE starts here */
            continue;
        const size_t l = cg__phrase_any(w, nw, i, LEAVE);
        if (l == 0 || (i > 0 && cg__word_is(w, nw, i - 1, "cac")))
            continue;
        for (size_t k = i >= 4 ? i - 4 : 0; k < nw && k <= i + l + 4; k++)
            if (time_word(t, len, &w[k])) {
                size_t a = k < i ? k : i, b = k < i ? i + l - 1 : k;
                if (b == k && k + 1 < nw && w[k + 1].os == w[k].oe + 1 && t[w[k].oe] == ':')
                    b = k + 1; /* "3:20" is two words */
                return cg__pii_push(out, CG_FACET_SCHOOL, 0.35f, w[a].os, w[b].oe, len);
            }
    }
    return 0;
}

/* "em học 6A", "con học lớp 3B" is the school detector's: a class after "học" with a letter in
 * it (a grade and a section), so "học 3 môn" is not one. */
static int school_classes(const char *t, size_t len, const word *w, size_t nw,
                          cg__pii_hits *out)
{
    for (size_t i = 0; i + 1 < nw; i++) {
        if (!cg__word_is(w, nw, i, "hoc"))
            continue;
        const char *o = t + w[i + 1].os;
        const size_t n = w[i + 1].oe - w[i + 1].os;
        size_t d = 0;
        while (d < n && o[d] >= '0' && o[d] <= '9')
            d++;
        if (d >= 1 && d <= 2 && n > d && n <= 5 &&
            ((o[d] >= 'A' && o[d] <= 'Z') || (o[d] >= 'a' && o[d] <= 'z')))
            return cg__pii_push(out, CG_FACET_SCHOOL, 0.4f, w[i].os, w[i + 1].oe, len);
    }
    return 0;
}

/* ---- the reader's place, stated and asked to confirm ------------------------------------ */

static const char *const AT[] = {"in", "at", "on", "from", "near", "o", NULL};
/* What follows "you're in/at/on" that is not a place: states, times, activities. */
static const char *const NOT_PLACE[] = {
    "the", "a", "an", "my", "your", "ur", "his", "her", "this", "that", "it", "trouble", "bed",
    "class", "love", "charge", "danger", "time", "line", "game", "call", "school", "home",
    "here", "there", "now", "today", "tonight", "pain", "fact", "general", "front", "luck",
    "mind", "private", "public", "person", "team", "dau", "nha", "day", "do", "khong", "lop",
    "online", "discord", "chat", NULL};
static const char *const CONFIRM[] = {"right", "rite", "correct", "yeah", "huh", "dung khong",
                                      "phai khong", "dung hong", "nhi", "chu gi", "dung chu",
                                      "phai chu", NULL};

static const char *const STREET[] = {"street", "st", "road", "rd", "avenue", "ave", "lane",
                                     "drive", "dr", "boulevard", "blvd", "way", NULL};

/* Word i of the original is a street's name: an ordinal ("2nd", "5th") or a capitalised word,
 * with a street word after it ("2nd street", "Carver Road"). */
static int street_name(const char *t, const word *w, size_t nw, size_t i)
{
    if (i + 1 >= nw || !cg__word_any(w, nw, i + 1, STREET))
        return 0;
    const char *o = t + w[i].os;
    const size_t n = w[i].oe - w[i].os;
    if (n >= 3 && o[0] >= '0' && o[0] <= '9') {
        const char *x = o + n - 2;
        return memcmp(x, "st", 2) == 0 || memcmp(x, "nd", 2) == 0 || memcmp(x, "rd", 2) == 0 ||
               memcmp(x, "th", 2) == 0;
    }
    return o[0] >= 'A' && o[0] <= 'Z';
}

/* "ur in fairfield right?", "you're at Riverside, yeah?", "em ở Cầu Giấy đúng không": the
 * reader as the subject, a place word after "in / at / on / from / ở" (not "in trouble", "at
 * home", "ở đâu") and a tag asking to confirm within five words: the writer states where the
 * reader lives or studies. 0.5. In a message that speaks to the reader ("you", "ur"), a street
 * named after "on / at / near / off" and asked to confirm is the same: "bus from ur town, the
 * station on 2nd street right?", "the house on Carver Road, yeah?". */
static int confirmed_places(const char *t, size_t len, const word *w, size_t nw,
                            const word_classes *cl, cg__pii_hits *out)
{
    for (size_t i = 0; i + 3 < nw; i++) {
        /* W_ON: "on", "at", "near" or "off". */
        if (!(class_of(cl, i) & W_ON) || !street_name(t, w, nw, i + 1))
            continue;
        for (size_t k = i + 3; k < nw && k <= i + 7; k++)
            if (cg__phrase_any(w, nw, k, CONFIRM) > 0)
                return cg__pii_push(out, CG_FACET_ADDRESS, 0.5f, w[i + 1].os, w[i + 2].oe, len);
    }
    for (size_t i = 0; i + 2 < nw; i++) {
        if (!(class_of(cl, i) & W_YOU)) /* not the reader, "em" or "e" */
            continue;
        size_t j = i + 1;
        if (cg__word_is(w, nw, j, "are") || cg__word_is(w, nw, j, "r") ||
            cg__word_is(w, nw, j, "live") || cg__word_is(w, nw, j, "go") ||
            cg__word_is(w, nw, j, "hoc") || cg__word_is(w, nw, j, "song"))
            j++;
        if (cg__word_is(w, nw, j, "to") || !cg__word_any(w, nw, j, AT) ||
            j + 1 >= nw || cg__word_any(w, nw, j + 1, NOT_PLACE))
            continue;
        for (size_t k = j + 2; k < nw && k <= j + 6; k++)
            if (cg__phrase_any(w, nw, k, CONFIRM) > 0)
                return cg__pii_push(out, CG_FACET_ADDRESS, 0.5f, w[i].os, w[k - 1].oe, len);
    }
    return 0;
}

/* What a word may start, so that each detector runs only on messages that have its words and
 * reads only those words (W_*, above). */
static unsigned word_class(const word *w)
{
    unsigned m = 0;

    if (w->n == 0)
        return 0;
    if ((w->s[0] >= '0' && w->s[0] <= '9') || digit_word(w) >= 0)
        m |= W_DIGIT;
    else if (w->n <= 4 && (w->s[0] == 'o' || w->s[0] == 'i' || w->s[0] == 'l'))
        for (uint32_t k = 1; k < w->n; k++)
            m |= w->s[k] >= '0' && w->s[k] <= '9' ? W_DIGIT : 0; /* "o9l2" */
    switch (w->s[0]) {
    case 'c': m |= is(w, "con") || is(w, "chau") ? W_FIRST : 0; break;
    case 'd': m |= is(w, "drops") || is(w, "drop") ? W_LEAVE : 0; break;
    case 'e': m |= is(w, "em") || is(w, "e") ? W_FIRST | W_YOU : 0; break;
    case 'f': m |= is(w, "finish") ? W_LEAVE : 0; break;
    case 'g': m |= is(w, "get") || is(w, "gets") ? W_LEAVE : 0; break;
    case 'h': m |= is(w, "hoc") ? W_HOC : is(w, "house") ? W_HOME : 0; break;
    case 'i': m |= w->n == 1 ? W_FIRST | W_HOME : 0; break;
    case 'l': m |= is(w, "leave") ? W_LEAVE : 0; break;
    case 'm': m |= is(w, "minh") ? W_FIRST : is(w, "my") ? W_FIRST | W_HOME : 0; break;
    case 'a': m |= is(w, "at") ? W_ON : 0; break;
    case 'n': m |= is(w, "nha") ? W_HOME : is(w, "near") ? W_ON : 0; break;
    case 'o': m |= is(w, "our") ? W_HOME : is(w, "on") || is(w, "off") ? W_ON : 0; break;
    case 'r': m |= is(w, "ra") ? W_LEAVE : 0; break;
    case 'u': m |= is(w, "u") || is(w, "ur") || is(w, "ure") ? W_YOU : 0; break;
    case 'v': m |= is(w, "ve") ? W_LEAVE : 0; break;
    case 'y': m |= is(w, "you") || is(w, "youre") || is(w, "your") ? W_YOU : 0; break;
    case 's': m |= is(w, "school") ? W_LEAVE : 0; break;
    case 't':
        m |= is(w, "to") || is(w, "tao") || is(w, "t") || is(w, "tui") || is(w, "toi") ? W_FIRST
             : is(w, "tan")                                                          ? W_LEAVE
                                                                                     : 0;
        break;
    case 'w': m |= is(w, "we") ? W_HOME : is(w, "walk") ? W_LEAVE : 0; break;
    default: break;
    }
    return m;
}

#ifndef NDEBUG
/* 1 when the first word of every phrase of list has one of the classes m. */
static int list_in_class(const char *const *list, unsigned m)
{
    for (; *list != NULL; list++) {
        const char *sp = strchr(*list, ' ');
        const word x = {*list, (uint32_t)(sp != NULL ? (size_t)(sp - *list) : strlen(*list)), 0,
                        0};

        if (!(word_class(&x) & m))
            return 0;
    }
    return 1;
}

/* The classes hold every word the detectors' loops pass over them for (see W_*). */
static int classes_match_lists(void)
{
    static const char *const home[] = {"nha", "my", "our", "i", "we", "house", NULL};
    static const char *const you[] = {"you", "u", "ur", "your", "youre", "ure", "em", "e",
                                      NULL};
    static const char *const on[] = {"on", "at", "near", "off", NULL};

    return list_in_class(FIRST_VI, W_FIRST) && list_in_class(home, W_HOME | W_FIRST) &&
           list_in_class(LEAVE, W_LEAVE) && list_in_class(you, W_YOU) &&
           list_in_class(on, W_ON);
}
#endif

int cg__pii_scan_spoken(const char *text, size_t len, const cg__word *w, size_t nw,
                        cg__pii_hits *out)
{
    assert(classes_match_lists());
    unsigned any = 0, digits = 0;
    word_classes cl;

    cl.w = w;
    cl.nw = nw;
    for (size_t i = 0; i < nw; i++) {
        const unsigned m = word_class(&w[i]);
        if (i < CLASS_STACK)
            cl.c[i] = (uint8_t)m;
        any |= m;
        digits += (m & W_DIGIT) != 0;
    }
    /* A number in words needs three tokens at least; a home, a first person or a class. */
    if (digits >= 3 && spoken_numbers(text, len, w, nw, out) != 0)
        return -1;
    if ((any & (W_HOME | W_FIRST)) && described_homes(len, w, nw, &cl, out) != 0)
        return -1;
    if ((any & W_LEAVE) && (any & (W_FIRST | W_YOU)) && schedules(text, len, w, nw, &cl, out) != 0)
        return -1;
    if ((any & W_HOC) && school_classes(text, len, w, nw, out) != 0)
        return -1;
    if ((any & W_YOU) && confirmed_places(text, len, w, nw, &cl, out) != 0)
        return -1;
    return 0;
}
