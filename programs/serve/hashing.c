/* Hashing uploaded bytes as the HMA hasher does for a photo: PDQ of the decoded image (the
 * same decoders and hasher as `childguard hash`, so hashes are bit-identical), and the exact
 * digests (MD5, SHA-256) of the bytes. Bytes that are not an image get the digests only.
 * The pipeline is the library's (cg_signals_compute); hashers come from the server's one
 * cg_pdq_hasher_pool. */
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
    cg_signals_options so;
    cg_signals sig;
    cg_status st;

    memset(out, 0, sizeof(*out));
    cg_signals_options_default(&so);
    serve_decode_options(&s->cfg, &so.decode);
    st = cg_signals_compute(data, len, &so, s->hashers, &sig, err);
    if (st == CG_OK) {
        out->digests = sig.digests;
        out->format = sig.format;
        out->has_pdq = sig.has_pdq;
        out->pdq = sig.pdq;
        out->decode_status = sig.decode_status;
        if (sig.format == CG_FORMAT_UNKNOWN)
            snprintf(out->decode_error, sizeof(out->decode_error), "not an image");
        else if (sig.decode_status != CG_OK)
            snprintf(out->decode_error, sizeof(out->decode_error), "%s",
                     sig.decode_error.message);
    }
    cg_signals_fini(&sig);
    return st;
}

int serve_hash_hex(const serve_hashes *h, const char *type, char *out)
{
    const cg_signal_type *t = cg_signal_type_find(type);

    if (t == NULL)
        return 0;
    if (strcmp(type, "pdq") == 0 && h->has_pdq) {
        cg_pdq_to_hex(&h->pdq.hash, out);
        return 1;
    }
    if (strcmp(type, "md5") == 0 && (h->digests.which & CG_DIGEST_MD5)) {
        t->format(h->digests.md5, out);
        return 1;
    }
    if (strcmp(type, "sha256") == 0 && (h->digests.which & CG_DIGEST_SHA256)) {
        t->format(h->digests.sha256, out);
        return 1;
    }
    return 0;
}
