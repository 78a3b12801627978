/* Internal: hexadecimal text <-> bytes. */
#ifndef CG_COMMON_HEX_H
#define CG_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/export.h"
#include "childguard/status.h"

/* Writes 2 * n lowercase hex digits and a NUL into out (2 * n + 1 bytes). */
void cg__hex_encode(const uint8_t *bytes, size_t n, char *out);

/* Parses exactly 2 * n hex digits (either case) from text of length len into out. CG_E_INVAL
 * when len != 2 * n or a character is not a hex digit; out is then zeroed. Exported for the
 * fuzz target. */
CG_API cg_status cg__hex_decode(const char *text, size_t len, uint8_t *out, size_t n);

#endif
