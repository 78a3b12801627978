/* Hashing uploaded bytes as the HMA hasher does for a photo: PDQ of the decoded image (the
 * same decoders and hasher as `childguard hash`, so hashes are bit-identical), and the exact
 * digests (MD5, SHA-256) of the bytes. Bytes that are not an image get the digests only.
 * Hashers come from the server's pool: a cg_pdq_hasher is used by one thread at a time. */
#include <stdio.h>
#include <string.h>

#include "serve.h"

void serve_decode_options(const serve_config *c, cg_decode_options *opt)
{
    cg_decode_options_default(opt);
    opt->limits.max_pixels = c->max_pixels;
    opt->limits.max_side = c->max_side;
    opt->limits.max_file_bytes = c->max_body;
}

cg_status serve_hash_bytes(serve_server *s, const uint8_t *data, size_t len, serve_hashes *out,
                           cg_error *err)
{
    cg_decode_options opt;
    cg_image *img = NULL;
    cg_error derr;
    void *h;
    cg_status st;

    memset(out, 0, sizeof(*out));
    st = cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, data, len, &out->digests);
    if (st != CG_OK) {
        err->status = st;
        snprintf(err->message, sizeof(err->message), "cannot digest the content");
        return st;
    }
    out->format = cg_image_sniff(data, len);
    if (out->format == CG_FORMAT_UNKNOWN) {
        out->decode_status = CG_E_UNSUPPORTED;
        snprintf(out->decode_error, sizeof(out->decode_error), "not an image");
        return CG_OK;
    }
    serve_decode_options(&s->cfg, &opt);
    st = cg_image_decode_mem(data, len, &opt, &img, &derr);
    if (st != CG_OK) {
        out->decode_status = st;
        snprintf(out->decode_error, sizeof(out->decode_error), "%s", derr.message);
        return st == CG_E_NOMEM ? st : CG_OK;
    }
    st = serve_pool_get(&s->hashers, &h, err);
    if (st == CG_OK) {
        st = cg_pdq_hash_image(h, img, 0, &out->pdq);
        serve_pool_put(&s->hashers, h);
        if (st == CG_OK) {
            out->has_pdq = 1;
        } else {
            err->status = st;
            snprintf(err->message, sizeof(err->message), "PDQ hashing failed: %s",
                     cg_status_text(st));
        }
    }
    cg_image_destroy(img);
    return st;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int serve_hash_hex(const serve_hashes *h, const char *type, char *out)
{
    if (strcmp(type, "pdq") == 0 && h->has_pdq) {
        cg_pdq_to_hex(&h->pdq.hash, out);
        return 1;
    }
    if (strcmp(type, "md5") == 0 && (h->digests.which & CG_DIGEST_MD5)) {
        hex(h->digests.md5, CG_MD5_BYTES, out);
        return 1;
    }
    if (strcmp(type, "sha256") == 0 && (h->digests.which & CG_DIGEST_SHA256)) {
        hex(h->digests.sha256, CG_SHA256_BYTES, out);
        return 1;
    }
    return 0;
}
