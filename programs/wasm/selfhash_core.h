/* The self-hashing page's hashing core (selfhash_core.c): one call, the same in WebAssembly
 * and native builds. */
#ifndef CG_PROGRAMS_SELFHASH_CORE_H
#define CG_PROGRAMS_SELFHASH_CORE_H

#include <stdint.h>

/* PDQ of width x height RGBA pixels (4 bytes a pixel, rows without padding; alpha ignored),
 * hashed as cg_pdq_hash_image hashes a decoded RGB image (the 512 resize included). Writes 64
 * hex digits and a NUL into hex_out (65 bytes) and the quality (0..100) into *quality_out.
 * Returns 0; -1 bad arguments, -2 out of memory, -3 the hasher failed. Not thread-safe (one
 * hasher, created on the first call). */
int cgw_hash_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, char *hex_out,
                  int *quality_out);

#endif
