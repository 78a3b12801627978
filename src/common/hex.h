/* Internal: hexadecimal text <-> bytes. The codec is public (include/childguard/hex.h); these
 * internal names are kept for the library's callers. */
#ifndef CG_COMMON_HEX_H
#define CG_COMMON_HEX_H

#include "childguard/hex.h"

static inline void cg__hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    cg_hex_encode(bytes, n, out);
}

static inline cg_status cg__hex_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
    return cg_hex_decode(text, len, out, n);
}

#endif
