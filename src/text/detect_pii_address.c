/* Personal-data detectors (detect_pii.c): home addresses (cues). */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

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
size_t cg__pii_place_run(const scan *sc, size_t i, size_t max)
{
    size_t k = 0;

    while (k < max && i + k < sc->nw) {
        if (k > 0 && w_any(sc, i + k, CONNECTORS) &&
            (o_starts_digit(sc, i + k + 1) || cg__pii_o_upper(sc, i + k + 1))) {
            k++;
            continue;
        }
        if (o_starts_digit(sc, i + k)) {
            if (w_any(sc, i + k + 1, UNITS) || olen(sc, i + k) > 6)
                break;
        } else if (!cg__pii_o_upper(sc, i + k) || W_IS(sc, i + k, "i")) {
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
                    (o_starts_digit(sc, j + 1) || cg__pii_o_upper(sc, j + 1) ||
                     w_any(sc, j + 1, CONNECTORS));
         c++) {
        const size_t r = cg__pii_place_run(sc, j + 1, 6);

        if (r > 0) {
            push(sc, CG_FACET_ADDRESS, 0.8f, sc->w[i].os, sc->w[j + r].oe);
            return;
        }
        j++;
    }
    run = cg__pii_place_run(sc, j, 6);
    if (run > 0)
        push(sc, CG_FACET_ADDRESS, 0.8f, sc->w[i].os, sc->w[j + run - 1].oe);
    else
        push(sc, CG_FACET_ADDRESS, 0.6f, sc->w[i].os, sc->w[j].oe);
}

/* area: word i is a street or area word ("đường", "quận"). */
void cg__pii_address_cue(scan *sc, size_t i, unsigned area)
{
    static const char *const leads[] = {
        "nha em o", "nha minh o", "nha toi o", "nha tui o", "nha to o", "nha anh o", "nha chi o",
        "nha t o", "em song o", "minh song o", "toi song o", "tui song o", "to song o",
        "i live at", "i live on", "i live in", "my address is", "my home address is",
        "my address", NULL};
    /* Street and area words with the spelling that makes them address words. */
#define AREA(plain, vi) {plain, vi, sizeof(plain) - 1}
    static const struct {
        const char *plain, *vi;
        size_t n; /* bytes of plain */
    } areas[] = {
        AREA("duong", "đường"), AREA("pho", "phố"), AREA("ngo", "ngõ"), AREA("ngach", "ngách"),
        AREA("hem", "hẻm"), AREA("kiet", "kiệt"), AREA("phuong", "phường"), AREA("quan", "quận"),
        AREA("xa", "xã"), AREA("huyen", "huyện"), AREA("thon", "thôn"), AREA("ap", "ấp"),
        AREA("khom", "khóm"),
    };
#undef AREA
    enum { HEM = 4 }; /* the index of "hẻm" in areas */
    static const char *const streets_en[] = {"street", "st", "road", "rd", "avenue", "ave",
                                             "lane", "ln", "drive", "dr", "boulevard", "blvd",
                                             "way", "court", "ct", "place", NULL};
    /* A phrase below matches only a word with its first byte: c picks the ones to compare. */
    const char c = sc->w[i].n > 0 ? sc->w[i].s[0] : '\0';
    size_t k;

    k = W_IS(sc, i, "nha") || W_IS(sc, i, "i") || W_IS(sc, i, "my") || W_IS(sc, i + 1, "song")
            ? phrase_any(sc, i, leads)
            : 0;
    if (k > 0) {
        address_lead(sc, i, k, 0);
        return;
    }
    if (c == 'd' && phrase_at(sc, i, "dia chi") > 0) {
        address_lead(sc, i, 2, 4);
        return;
    }
    if (c == 's' && phrase_at(sc, i, "so nha") > 0 && o_starts_digit(sc, i + 2)) {
        const size_t run = cg__pii_place_run(sc, i + 2, 5);

        if (run > 0)
            push(sc, CG_FACET_ADDRESS, 0.8f, sc->w[i].os, sc->w[i + 1 + run].oe);
        return;
    }
    if ((c == 'k' && phrase_at(sc, i, "khu pho") > 0) ||
        (c == 'c' && phrase_at(sc, i, "chung cu") > 0) ||
        (c == 't' && phrase_at(sc, i, "to dan pho") > 0)) {
        const size_t kk = phrase_at(sc, i, "to dan pho") > 0 ? 3 : 2;
        const size_t run = cg__pii_place_run(sc, i + kk, 5);

        if (run > 0)
            push(sc, CG_FACET_ADDRESS, 0.7f, sc->w[i].os, sc->w[i + kk + run - 1].oe);
        return;
    }
    for (size_t a = 0; area && a < sizeof(areas) / sizeof(areas[0]); a++) {
        size_t run;

        /* The teencode table reads "hem" as "không": look at the original for that one. */
        if (!weq(sc, i, areas[a].plain, areas[a].n) &&
            !(a == HEM && W_IS(sc, i, "khong") &&
              (cg__pii_ieq(orig(sc, i), olen(sc, i), "hẻm") ||
               (cg__pii_ieq(orig(sc, i), olen(sc, i), "hem") && o_starts_digit(sc, i + 1)))))
            continue;
        if (!cg__pii_amb_ok(sc, i, areas[a].vi))
            return;
        run = cg__pii_place_run(sc, i + 1, 5);
        /* Without diacritics "Phuong Anh" is a name and "xa 5 km" is far: a capitalised cue
         * written in ASCII needs a number after it. */
        if (run == 0 ||
            (cg__pii_o_ascii(sc, i) && cg__pii_o_upper(sc, i) && !o_starts_digit(sc, i + 1)))
            return;
        push(sc, CG_FACET_ADDRESS, 0.7f, sc->w[i].os, sc->w[i + run].oe);
        return;
    }
    /* English: "221 Baker Street", "12 Main St". */
    if (o_starts_digit(sc, i) && olen(sc, i) <= 6) {
        const size_t run = cg__pii_place_run(sc, i + 1, 4);

        if (run > 0 && w_any(sc, i + 1 + run, streets_en))
            push(sc, CG_FACET_ADDRESS, 0.7f, sc->w[i].os, sc->w[i + 1 + run].oe);
    }
}
