/* Personal-data detectors (detect_pii.c): values after cues (original). */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

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
int cg__pii_value_after(const scan *sc, size_t p, size_t max_fill, value *v)
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
        if (te == ws || cg__pii_iany(t + ws, te - ws, SEP_WORDS)) {
            if (te > ws || t[ws] != '.')
                v->sep = 1;
            p = we;
            continue;
        }
        if (cg__pii_iany(t + ws, te - ws, SEP_WORDS_EN)) {
            if (v->sep == 0)
                v->sep = 2;
            p = we;
            continue;
        }
        if (!v->sep && fill < max_fill && cg__pii_iany(t + ws, te - ws, FILLERS)) {
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
