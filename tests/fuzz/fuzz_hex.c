/* libFuzzer target for the text forms of hashes: cg_hex_decode, cg_pdq_from_hex and the parse
 * and format functions of every signal type (cg_signal_type_at / cg_signal_type_find). The input
 * is used both as text (it is not NUL-terminated: parsers must read only len bytes, which ASan
 * checks) and as a binary value. Traps unless:
 *   - a parse that succeeds formats back to the input in lowercase, and parses again to the
 *     same value: parse(format(x)) == x;
 *   - a parse that fails returns CG_E_INVAL and leaves the output zeroed;
 *   - any binary value formats to hex_len lowercase hex digits that parse back to it. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "childguard.h"
#include "common/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* Lowercase hex of exactly len characters equals text (of len bytes) folded to lowercase. */
static int same_text_folded(const char *hex, const char *text, size_t len)
{
    if (strlen(hex) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (hex[i] != (char)tolower((unsigned char)text[i]))
            return 0;
    return 1;
}

static int all_lower_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void fuzz_hex_decode(const char *text, size_t size)
{
    uint8_t out[64], again[64];
    char hex[129];
    const size_t n = size / 2 <= sizeof(out) ? size / 2 : sizeof(out);
    cg_status st;

    memset(out, 0xa5, sizeof(out));
    st = cg_hex_decode(text, size, out, n);
    if (st != CG_OK) {
        if (st != CG_E_INVAL || !is_zero(out, n))
            __builtin_trap();
        return;
    }
    if (size != 2 * n)
        __builtin_trap();
    cg_hex_encode(out, n, hex);
    if (!same_text_folded(hex, text, size) || cg_hex_decode(hex, 2 * n, again, n) != CG_OK ||
        memcmp(out, again, n) != 0)
        __builtin_trap();
}

static void fuzz_pdq(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cg_pdq h, again;
    char hex[CG_PDQ_HEX_LEN + 1];

    memset(&h, 0xa5, sizeof(h));
    if (cg_pdq_from_hex(text, size, &h) == CG_OK) {
        cg_pdq_to_hex(&h, hex);
        if (!same_text_folded(hex, text, size) ||
            cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &again) != CG_OK ||
            memcmp(&h, &again, sizeof(h)) != 0 || cg_pdq_distance(&h, &again) != 0)
            __builtin_trap();
    } else if (!is_zero((const uint8_t *)&h, sizeof(h))) {
        __builtin_trap();
    }
    /* The input as a binary hash. */
    if (size >= sizeof(h)) {
        memcpy(&h, data, sizeof(h));
        cg_pdq_to_hex(&h, hex);
        if (!all_lower_hex(hex, CG_PDQ_HEX_LEN) ||
            cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &again) != CG_OK ||
            memcmp(&h, &again, sizeof(h)) != 0 || cg_pdq_popcount(&h) != cg_pdq_popcount(&again))
            __builtin_trap();
    }
}

static void fuzz_signal_type(const cg_signal_type *t, const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    uint8_t value[CG_SIGNAL_MAX_BYTES], again[CG_SIGNAL_MAX_BYTES];
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1];
    cg_status st;

    if (t == NULL || cg_signal_type_find(t->name) != t || t->bytes > CG_SIGNAL_MAX_BYTES ||
        t->hex_len > 2 * CG_SIGNAL_MAX_BYTES)
        __builtin_trap();
    memset(value, 0xa5, sizeof(value));
    st = t->parse(text, size, value);
    if (st == CG_OK) {
        t->format(value, hex);
        if (size != t->hex_len || !same_text_folded(hex, text, size) ||
            t->parse(hex, t->hex_len, again) != CG_OK || memcmp(value, again, t->bytes) != 0 ||
            t->distance(value, again) != 0)
            __builtin_trap();
    } else if (st != CG_E_INVAL || !is_zero(value, t->bytes)) {
        __builtin_trap();
    }
    if (size >= t->bytes) {
        int d;

        t->format(data, hex);
        if (!all_lower_hex(hex, t->hex_len) || t->parse(hex, t->hex_len, again) != CG_OK ||
            memcmp(data, again, t->bytes) != 0 || t->distance(data, again) != 0)
            __builtin_trap();
        d = t->distance(data, value);
        if (d < 0 || d > t->max_distance)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[32];

    fuzz_hex_decode((const char *)data, size);
    fuzz_pdq(data, size);
    for (size_t i = 0; i < cg_signal_type_count(); i++)
        fuzz_signal_type(cg_signal_type_at(i), data, size);
    if (cg_signal_type_at(cg_signal_type_count()) != NULL)
        __builtin_trap();
    /* The input as a type name: found only under its exact name. */
    if (size < sizeof(name)) {
        const cg_signal_type *t;

        memcpy(name, data, size);
        name[size] = '\0';
        t = cg_signal_type_find(name);
        if (t != NULL && strcmp(t->name, name) != 0)
            __builtin_trap();
    }
    return 0;
}
