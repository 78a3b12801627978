/* childguard: hexadecimal text <-> bytes, the one codec of the library and its programs (signal
 * values, digests, key ids, audit hashes).
 * Threading: pure functions, thread-safe. */
#ifndef CHILDGUARD_HEX_H
#define CHILDGUARD_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes 2 * n lowercase hex digits and a NUL into out (2 * n + 1 bytes). */
CG_API void cg_hex_encode(const uint8_t *bytes, size_t n, char *out);

/* Parses exactly 2 * n hex digits (either case) from text of length len into out. CG_E_INVAL
 * when len != 2 * n or a character is not a hex digit; out is then zeroed. */
CG_API cg_status cg_hex_decode(const char *text, size_t len, uint8_t *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
