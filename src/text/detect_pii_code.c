/* Personal-data detectors (detect_pii.c): one-time codes and passwords (cues). */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

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

void cg__pii_code_cue(scan *sc, size_t i)
{
    static const char *const ma_next[] = {"otp", "xac nhan", "xac thuc", "xac minh", "kich hoat",
                                          "dang nhap", "pin", "code", "bi mat", NULL};
    size_t k = 0;
    int need_sep = 0;
    value v;

    if (W_IS(sc, i, "ma") && cg__pii_amb_ok(sc, i, "mã")) {
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
    if (cg__pii_value_after(sc, sc->w[i + k - 1].oe, 3, &v) && (!need_sep || v.sep) &&
        code_digits_ok(sc, &v))
        push(sc, CG_FACET_CODE, 0.9f, sc->w[i].os, v.e);
}

void cg__pii_password_cue(scan *sc, size_t i)
{
    static const char *const cues[] = {"mat khau", "password", "passwd", "pass", "pwd", "pw",
                                       "mat ma", NULL};
    static const char *const not_pw[] = {"gì", "gi", "j", "what", "đâu", "dau", "sao", "thế",
                                         "the", "nhé", "nhe", "nha", "đi", "di", "ko", "k",
                                         "không", "khong", "ấy", "ay", "đó", "do", "nào", "nao",
                                         "mới", "moi", "cũ", "cu", "of", "for", "ơi", "oi", NULL};
    const int mk = cg__pii_mk(sc, i); /* "mk là ...", "mk: ..." */
    const size_t k = mk ? 1 : phrase_any(sc, i, cues);
    size_t n, digits = 0;
    value v;

    if (k == 0 || (k == 2 && W_IS(sc, i + 1, "ma") && !cg__pii_amb_ok(sc, i, "mật")))
        return;
    if (!cg__pii_value_after(sc, sc->w[i + k - 1].oe, mk ? 0 : 3, &v) || (mk && v.sep != 1))
        return;
    n = v.e - v.s;
    for (size_t q = v.s; q < v.e; q++)
        digits += is_digit((unsigned char)sc->t[q]);
    if (n < 3 || n > 64 || cg__pii_iany(sc->t + v.s, n, not_pw))
        return;
    if (!v.sep && (n < 4 || digits == 0 || digits == n))
        return; /* "pass 2 cái", "pass 2023": not a password without "là" or ':' */
    if (mk && digits == 0)
        return; /* "mk là Lan" is "mình là Lan": a password written "mk" needs a digit */
    push(sc, CG_FACET_CODE, 0.9f, sc->w[i].os, v.e);
}
