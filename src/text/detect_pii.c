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
 * are merged (the outer one stays, with the larger weight).
 *
 * This file holds the scan; each kind of data has its own file (detect_pii_int.h lists them). */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/detect_pii_int.h"

/* ---- the scan state ----------------------------------------------------------------------- */

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
        return WM(w, "ap", T_AREA) | WM(w, "at", T_AT) | WM(w, "acc", T_HANDLE) |
               WM(w, "academy", T_SCHOOL);
    case 'c':
        return WM(w, "chung", T_ADDR) | WM(w, "code", T_CODE);
    case 'd':
        return WM(w, "dia", T_ADDR) | WM(w, "discord", T_HANDLE) | WM(w, "duong", T_AREA);
    case 'e':
        return WM(w, "em", T_ADDR) | WM(w, "elementary", T_SCHOOL);
    case 'f':
        return WM(w, "face", T_HANDLE) | WM(w, "facebook", T_HANDLE) | WM(w, "fb", T_HANDLE);
    case 'g':
        return WM(w, "grade", T_SCHOOL);
    case 'h':
        return WM(w, "hem", T_AREA) | WM(w, "huyen", T_AREA) | WM(w, "high", T_SCHOOL);
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
               WM(w, "minh", T_ADDR) | WM(w, "my", T_ADDR) | WM(w, "middle", T_SCHOOL);
    case 'n':
        return WM(w, "ngach", T_AREA) | WM(w, "ngo", T_AREA) | WM(w, "nha", T_ADDR) |
               WM(w, "nick", T_HANDLE);
    case 'o':
        return WM(w, "otp", T_CODE);
    case 'p':
        return WM(w, "pass", T_PASS) | WM(w, "passcode", T_CODE) | WM(w, "passwd", T_PASS) |
               WM(w, "password", T_PASS) | WM(w, "pho", T_AREA) | WM(w, "phuong", T_AREA) |
               WM(w, "pin", T_CODE) | WM(w, "ptcs", T_SCHOOL) | WM(w, "ptth", T_SCHOOL) |
               WM(w, "primary", T_SCHOOL) | WM(w, "prep", T_SCHOOL) |
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
               WM(w, "toi", T_ADDR) | WM(w, "truong", T_SCHOOL) | WM(w, "tui", T_ADDR) |
               WM(w, "tk", T_HANDLE);
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
    /* "mk" is teencode for both "mình" and "mật khẩu": a password cue when written so (two
     * bytes of the original starting with 'm' or 'M', tested before the call). */
    if ((m & T_ADDR) && olen(sc, i) == 2 && (orig(sc, i)[0] | 0x20) == 'm' && cg__pii_mk(sc, i))
        m |= T_PASS;
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
    cg__word stack[WORDS_STACK], *w = stack;
    size_t nw = 0;
    cg_status st;

    if (out == NULL || nm == NULL || (text == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "personal-data scan: NULL argument");
    if (len > UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "personal-data scan: message of %zu bytes", len);
    st = cg__words_split(&nm->plain, text != NULL ? text : "", len, stack, WORDS_STACK, &w, &nw);
    if (st != CG_OK)
        return cg__fail(err, st, "personal-data scan: out of memory");
    st = cg__pii_scan_words(text, len, w, nw, out, err);
    if (w != stack)
        cg__free(w);
    return st;
}

/* A message to a class's parents or pupils ("kính gửi phụ huynh", "các con", "dear parents",
 * "all students") is an announcement: a class, a school or a place in it is the school's
 * timetable, not a child's disclosure. Its school and address hits from n0 on count
 * ANNOUNCE_FACTOR. Phone numbers, e-mails, handles and codes keep their weight. */
#define ANNOUNCE_FACTOR 0.4f

static void announcement(scan *sc, size_t n0)
{
    static const char *const to_all[] = {"phu huynh", "cac con", "cac em", "kinh gui",
                                         "dear parents", "dear families", "dear students",
                                         "all students", "families", "parents of", NULL};
    cg__pii_hits *h = sc->out;
    size_t k = n0;

    while (k < h->n && h->v[k].facet != CG_FACET_SCHOOL && h->v[k].facet != CG_FACET_ADDRESS)
        k++;
    if (k == h->n)
        return;
    for (size_t i = 0; i < sc->nw; i++)
        if (phrase_any(sc, i, to_all) > 0) {
            for (; k < h->n; k++)
                if (h->v[k].facet == CG_FACET_SCHOOL || h->v[k].facet == CG_FACET_ADDRESS)
                    h->v[k].weight *= ANNOUNCE_FACTOR;
            return;
        }
}

cg_status cg__pii_scan_words(const char *text, size_t len, const struct cg__word *w, size_t nw,
                             cg__pii_hits *out, cg_error *err)
{
    scan sc;
    size_t n0;
    int spelled = 0;

    if (out == NULL || (text == NULL && len > 0) || (w == NULL && nw > 0))
        return cg__fail(err, CG_E_INVAL, "personal-data scan: NULL argument");
    if (len > UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "personal-data scan: message of %zu bytes", len);
    n0 = out->n;
    sc.t = text != NULL ? text : "";
    sc.len = len;
    sc.out = out;
    sc.nomem = 0;
    sc.w = w;
    sc.nw = nw;

    cg__pii_phones(&sc);
    if (memchr(sc.t, '@', len) != NULL)
        cg__pii_at_signs(&sc);
    if (memchr(sc.t, '/', len) != NULL)
        cg__pii_profile_urls(&sc);
    for (size_t i = 0; i < sc.nw && !sc.nomem; i++) {
        const unsigned m = triggers(&sc, i);

        if (m == 0)
            continue;
        if (m & T_AT) {
            /* "name at gmail dot com", "(at)", "[at]": all give the plain word "at". */
            if (!spelled)
                cg__pii_spelled_emails(&sc);
            spelled = 1;
        }
        if (m & T_CODE)
            cg__pii_code_cue(&sc, i);
        if (m & T_PASS)
            cg__pii_password_cue(&sc, i);
        if (m & (T_ADDR | T_AREA))
            cg__pii_address_cue(&sc, i, m & T_AREA);
        if (m & T_SCHOOL)
            cg__pii_school_cue(&sc, i);
        if (m & T_HANDLE)
            cg__pii_handle_cue(&sc, i);
    }
    if (!sc.nomem && cg__pii_scan_spoken(sc.t, sc.len, sc.w, sc.nw, out) != 0)
        sc.nomem = 1;
    if (sc.nomem) {
        out->n = n0;
        return cg__fail(err, CG_E_NOMEM, "personal-data scan: out of memory");
    }
    merge_hits(out, n0);
    announcement(&sc, n0);
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
