/* childguard: exact-copy digests (MD5, SHA-256) of content bytes, through OpenSSL's libcrypto.
 * Threading: thread-safe; a cg_digest_ctx is used by one thread at a time. */
#ifndef CHILDGUARD_DIGEST_H
#define CHILDGUARD_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CG_MD5_BYTES 16
#define CG_SHA256_BYTES 32

/* Which digests to compute: a bit set. */
enum { CG_DIGEST_MD5 = 1 << 0, CG_DIGEST_SHA256 = 1 << 1 };

typedef struct cg_digests {
    unsigned which;                   /* the CG_DIGEST_* bits that were computed */
    uint8_t md5[CG_MD5_BYTES];
    uint8_t sha256[CG_SHA256_BYTES];
    uint64_t bytes;                   /* how many bytes were digested */
} cg_digests;

typedef struct cg_digest_ctx cg_digest_ctx;

/* Starts streaming digests of the kinds in which. Free with cg_digest_destroy. */
CG_API cg_status cg_digest_create(unsigned which, cg_digest_ctx **out);
/* Feeds len bytes. */
CG_API cg_status cg_digest_update(cg_digest_ctx *ctx, const void *data, size_t len);
/* Finishes and writes the results; the context cannot be updated afterwards. */
CG_API cg_status cg_digest_final(cg_digest_ctx *ctx, cg_digests *out);
/* Frees a context. NULL is a no-op. */
CG_API void cg_digest_destroy(cg_digest_ctx *ctx);

/* One-shot digests of a buffer. */
CG_API cg_status cg_digest_mem(unsigned which, const void *data, size_t len, cg_digests *out);

/* Streams a file through the digests in 256 KiB reads; err names the path on failure. */
CG_API cg_status cg_digest_file(unsigned which, const char *path, cg_digests *out, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
