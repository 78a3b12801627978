/* childguard: reading content bytes with a cap, for front ends that need the bytes of a file
 * for more than one signal (decode + digests) without reading it twice.
 * Threading: thread-safe. */
#ifndef CHILDGUARD_CONTENT_H
#define CHILDGUARD_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads all of path ("-" is not special here) into a new buffer freed with cg_free. max_bytes
 * > 0 caps the size: a larger file gives CG_E_LIMIT. Missing file: CG_E_NOTFOUND; a directory
 * or read failure: CG_E_IO. err names the path. */
CG_API cg_status cg_content_read_file(const char *path, uint64_t max_bytes, uint8_t **data,
                                      size_t *len, cg_error *err);

/* Reads a file descriptor (a pipe, standard input) to its end under the same cap; name is
 * used in error messages. */
CG_API cg_status cg_content_read_fd(int fd, const char *name, uint64_t max_bytes,
                                    uint8_t **data, size_t *len, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
