/* Personal-data detectors (detect_pii.c): handles and app IDs (cues). */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

/* Apps named so specifically that a value after them needs no separator ("zalo 09..."). */
static const char *const APPS_STRONG[] = {
    "zalo", "telegram", "tele", "snapchat", "snap", "instagram", "insta", "discord", "facebook",
    "kik", "wechat", "viber", "skype", "tiktok", "whatsapp", "messenger", NULL};
/* Short or common words that name an app or an ID only with ':' or "là" ("ig: x", "id: 123"). */
static const char *const APPS_WEAK[] = {"ig", "sc", "tg", "fb", "id", "nick", "username", "user",
                                        "line", "wa", "ins", "face", "skp", "tk", "acc", NULL};
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
    return !cg__pii_iany(sc->t + v->s, n, NOT_HANDLES);
}

void cg__pii_handle_cue(scan *sc, size_t i)
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
    if (cg__pii_value_after(sc, sc->w[i].oe, 2, &v) && (strong || v.sep == 1) &&
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
