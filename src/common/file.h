/* Internal: reading whole files with a size cap. */
#ifndef CG_COMMON_FILE_H
#define CG_COMMON_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/status.h"

/* Reads all of path into a new buffer (free with cg__free). max_bytes > 0 caps the size:
 * a larger file gives CG_E_LIMIT before anything is read. err names the path. */
cg_status cg__read_file(const char *path, uint64_t max_bytes, uint8_t **out, size_t *out_len,
                        cg_error *err);

#endif
