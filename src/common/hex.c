/* Hexadecimal text (include/childguard/hex.h): the one hex codec. */
#include "common/hex.h"

#include <string.h>

static int digit_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void cg_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

cg_status cg_hex_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
    if (text == NULL || len != 2 * n) {
        memset(out, 0, n);
        return CG_E_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = digit_value((unsigned char)text[2 * i]);
        int lo = digit_value((unsigned char)text[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            memset(out, 0, n);
            return CG_E_INVAL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return CG_OK;
}
