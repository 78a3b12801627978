/* Personal-data detectors (detect_pii.c): school and class (cues). */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

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

/* The original of word i ends in an English ordinal suffix ("7th", "1st", "2nd", "3rd"). */
static int ordinal(const scan *sc, size_t i)
{
    const char *o = orig(sc, i);
    const size_t n = olen(sc, i);

    if (n < 3 || !is_digit((unsigned char)o[n - 3]))
        return 0;
    const char a = (char)lower((unsigned char)o[n - 2]), b = (char)lower((unsigned char)o[n - 1]);
    return (a == 't' && b == 'h') || (a == 's' && b == 't') || (a == 'n' && b == 'd') ||
           (a == 'r' && b == 'd');
}

void cg__pii_school_cue(scan *sc, size_t i)
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
    static const char *const ranks[] = {"place", "round", "period", "row", "line", "seat",
                                        "lap", "gen", "minute", "inning", "half", NULL};
    static const char *const kinds_end[] = {"middle", "high", "elementary", "primary",
                                            "academy", "prep", NULL};
    static const char *const persons[] = {"i", "im", "u", "ur", "your", "you", "youre", "ure", "r",
                                          "are", "am", "she", "he", "shes", "hes", NULL};
    size_t k;

    if (W_IS(sc, i, "truong") && cg__pii_amb_ok(sc, i, "trường")) {
        const size_t lv = phrase_any(sc, i + 1, levels);
        const size_t run = cg__pii_place_run(sc, i + 1 + lv, 5);

        if (run > 0)
            push(sc, CG_FACET_SCHOOL, 0.6f, sc->w[i].os, sc->w[i + lv + run].oe);
        else if (lv > 0)
            push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i].os, sc->w[i + lv].oe);
        return;
    }
    k = phrase_any(sc, i, levels_alone);
    if (k > 0) {
        const size_t run = cg__pii_place_run(sc, i + k, 5);

        if (run > 0 && !(i > 0 && W_IS(sc, i - 1, "truong")))
            push(sc, CG_FACET_SCHOOL, 0.6f, sc->w[i].os, sc->w[i + k + run - 1].oe);
        return;
    }
    if (W_IS(sc, i, "lop") && cg__pii_amb_ok(sc, i, "lớp") && class_word(sc, i + 1)) {
        const size_t s = i > 0 && W_IS(sc, i - 1, "hoc") ? i - 1 : i;

        push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[s].os, sc->w[i + 1].oe);
        return;
    }
    /* English grades: "grade 6", "6th grade", "in year 7". */
    if (W_IS(sc, i, "grade") && class_word(sc, i + 1)) {
        push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i].os, sc->w[i + 1].oe);
        return;
    }
    if (W_IS(sc, i, "year") && i > 0 && W_IS(sc, i - 1, "in") && cg__pii_o_digits(sc, i + 1) > 0 &&
        cg__pii_o_digits(sc, i + 1) <= 2 && class_word(sc, i + 1)) {
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
    /* "im in 7th", "ur in 10th at ...": an ordinal grade after "in" and a person. */
    if (i > 1 && W_IS(sc, i - 1, "in") && class_word(sc, i) && ordinal(sc, i) &&
        !w_any(sc, i + 1, ranks) &&
        (w_any(sc, i - 2, persons) || (i > 2 && w_any(sc, i - 3, persons)))) {
        push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i - 1].os, sc->w[i].oe);
        return;
    }
    /* "Lincoln High School", "I go to Nguyen Du school": capitalised name words before
     * "school", the kind words between them allowed; "Westbrook Middle", "Oak Academy": a
     * capitalised kind word ends the name too. */
    const int kind_end = w_any(sc, i, kinds_end) && cg__pii_o_upper(sc, i) && i > 0 &&
                         !W_IS(sc, i + 1, "school");
    if (kind_end) {
        if (cg__pii_o_upper(sc, i - 1) && !w_any(sc, i - 1, not_names) &&
            !w_any(sc, i - 1, kinds_en) && !W_IS(sc, i - 1, "very"))
            push(sc, CG_FACET_SCHOOL, 0.5f, sc->w[i - 1].os, sc->w[i].oe);
        return;
    }
    if (W_IS(sc, i, "school") && i > 0) {
        size_t j = i, names = 0;

        while (j > 0 && i - j < 3 && w_any(sc, j - 1, kinds_en))
            j--;
        while (j > 0 && i - j < 7 && cg__pii_o_upper(sc, j - 1) && !w_any(sc, j - 1, not_names) &&
               !w_any(sc, j - 1, kinds_en)) {
            j--;
            names++;
        }
        if (names > 0)
            push(sc, CG_FACET_SCHOOL, 0.6f, sc->w[j].os, sc->w[i].oe);
    }
}
