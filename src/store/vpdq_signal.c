/* The identity of a vPDQ signal (include/childguard/vpdq_bank.h): the SHA-256 of its canonical
 * lines, each frame's exchange-form element (cg_vpdq_format_element) and a newline. The text
 * forms themselves are the hash layer's (src/hash/vpdq_text.c). */
#include "childguard/vpdq_bank.h"

#include <string.h>

#include "childguard/digest.h"

cg_status cg_bank_vpdq_identity(const cg_vpdq_frame *frames, size_t n, uint8_t out[32])
{
    cg_digest_ctx *ctx = NULL;
    cg_digests d;
    cg_status st;

    memset(out, 0, 32);
    if (frames == NULL && n > 0)
        return CG_E_INVAL;
    st = cg_digest_create(CG_DIGEST_SHA256, &ctx);
    for (size_t i = 0; st == CG_OK && i < n; i++) {
        char line[CG_VPDQ_LINE_MAX];
        size_t len = cg_vpdq_format_element(&frames[i], line, sizeof(line) - 1);

        if (len == 0)
            st = CG_E_INVAL; /* a timestamp too large to print: not a real video */
        else {
            line[len++] = '\n';
            st = cg_digest_update(ctx, line, len);
        }
    }
    if (st == CG_OK)
        st = cg_digest_final(ctx, &d);
    cg_digest_destroy(ctx);
    if (st == CG_OK)
        memcpy(out, d.sha256, 32);
    return st;
}
