/* MD5 and SHA-256 through OpenSSL's EVP interface, streamed (include/childguard/digest.h). */
#include "childguard/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/error.h"

#define READ_CHUNK (256u << 10)

struct cg_digest_ctx {
    unsigned which;
    EVP_MD_CTX *md5;
    EVP_MD_CTX *sha256;
    uint64_t bytes;
    int finished;
};

void cg_digest_destroy(cg_digest_ctx *ctx)
{
    if (ctx == NULL)
        return;
    EVP_MD_CTX_free(ctx->md5);
    EVP_MD_CTX_free(ctx->sha256);
    cg__free(ctx);
}

static cg_status start(EVP_MD_CTX **slot, const EVP_MD *md)
{
    *slot = EVP_MD_CTX_new();
    if (*slot == NULL)
        return CG_E_NOMEM;
    if (EVP_DigestInit_ex(*slot, md, NULL) != 1)
        return CG_E_BACKEND;
    return CG_OK;
}

cg_status cg_digest_create(unsigned which, cg_digest_ctx **out)
{
    cg_digest_ctx *ctx;
    cg_status st = CG_OK;

    *out = NULL;
    if (which == 0 || (which & ~(unsigned)(CG_DIGEST_MD5 | CG_DIGEST_SHA256)) != 0)
        return CG_E_INVAL;
    ctx = cg__calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return CG_E_NOMEM;
    ctx->which = which;
    if (which & CG_DIGEST_MD5)
        st = start(&ctx->md5, EVP_md5());
    if (st == CG_OK && (which & CG_DIGEST_SHA256))
        st = start(&ctx->sha256, EVP_sha256());
    if (st != CG_OK) {
        cg_digest_destroy(ctx);
        return st;
    }
    *out = ctx;
    return CG_OK;
}

cg_status cg_digest_update(cg_digest_ctx *ctx, const void *data, size_t len)
{
    if (ctx == NULL || ctx->finished || (data == NULL && len > 0))
        return CG_E_INVAL;
    if (ctx->md5 != NULL && EVP_DigestUpdate(ctx->md5, data, len) != 1)
        return CG_E_BACKEND;
    if (ctx->sha256 != NULL && EVP_DigestUpdate(ctx->sha256, data, len) != 1)
        return CG_E_BACKEND;
    ctx->bytes += len;
    return CG_OK;
}

cg_status cg_digest_final(cg_digest_ctx *ctx, cg_digests *out)
{
    unsigned n;

    memset(out, 0, sizeof(*out));
    if (ctx == NULL || ctx->finished)
        return CG_E_INVAL;
    ctx->finished = 1;
    if (ctx->md5 != NULL && EVP_DigestFinal_ex(ctx->md5, out->md5, &n) != 1)
        return CG_E_BACKEND;
    if (ctx->sha256 != NULL && EVP_DigestFinal_ex(ctx->sha256, out->sha256, &n) != 1)
        return CG_E_BACKEND;
    out->which = ctx->which;
    out->bytes = ctx->bytes;
    return CG_OK;
}

cg_status cg_digest_mem(unsigned which, const void *data, size_t len, cg_digests *out)
{
    cg_digest_ctx *ctx;
    cg_status st;

    memset(out, 0, sizeof(*out));
    st = cg_digest_create(which, &ctx);
    if (st != CG_OK)
        return st;
    st = cg_digest_update(ctx, data, len);
    if (st == CG_OK)
        st = cg_digest_final(ctx, out);
    cg_digest_destroy(ctx);
    return st;
}

cg_status cg_digest_file(unsigned which, const char *path, cg_digests *out, cg_error *err)
{
    cg_digest_ctx *ctx = NULL;
    uint8_t *buf = NULL;
    cg_status st;
    int fd;

    memset(out, 0, sizeof(*out));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cg__fail(err, errno == ENOENT ? CG_E_NOTFOUND : CG_E_IO, "%s: %s", path,
                        strerror(errno));
    st = cg_digest_create(which, &ctx);
    if (st != CG_OK) {
        cg__fail(err, st, "%s: cannot start digests", path);
        goto done;
    }
    buf = cg__malloc(READ_CHUNK);
    if (buf == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (;;) {
        ssize_t n = read(fd, buf, READ_CHUNK);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        st = cg_digest_update(ctx, buf, (size_t)n);
        if (st != CG_OK) {
            cg__fail(err, st, "%s: digest failed", path);
            goto done;
        }
    }
    st = cg_digest_final(ctx, out);
    if (st != CG_OK)
        cg__fail(err, st, "%s: digest failed", path);
done:
    cg__free(buf);
    cg_digest_destroy(ctx);
    close(fd);
    return st;
}
