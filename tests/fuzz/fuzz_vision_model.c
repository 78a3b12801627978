/* libFuzzer target for the nudity model's loader (cg_vision_model_open_mem and the file parser
 * under it, src/vision/model_file.c + model.c): hostile model files. A corrupt file must be
 * refused with CG_E_DECODE or CG_E_UNSUPPORTED (CG_E_NOMEM for huge claimed sizes is not
 * possible: sizes are checked against the bytes present), *out NULL and a message naming the
 * file; nothing may read past the input (ASan).
 *
 * The file's SHA-256 would stop almost every mutation at the checksum, so when the input's
 * first byte is odd the target first rewrites the header as a well-meaning writer would (magic,
 * version 1, header size, the payload's true size and SHA-256) and the mutations reach the
 * metadata and tensor records. Seeds: the head of the shipped model (scripts/fuzz-smoke.sh). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "vision/vision_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *p, size_t n)
{
    cg_vision_model *m = (cg_vision_model *)1;
    cg_error err;
    cg__vfile f;

    memset(&err, 0, sizeof err);
    const cg_status st = cg_vision_model_open_mem(p, n, "fuzz.cgvm", &m, &err);
    if (st == CG_OK) {
        /* Only a complete network loads; it must then classify. */
        cg_vision_ctx *c = NULL;
        cg_vision_scores s;
        const uint8_t px[3] = { 1, 2, 3 };
        if (m == NULL || cg_vision_ctx_create(m, &c) != CG_OK ||
            cg_vision_classify_rgb(c, px, 1, 1, 3, 3, &s, NULL) != CG_OK)
            __builtin_trap();
        cg_vision_ctx_destroy(c);
        cg_vision_model_close(m);
        return;
    }
    if (m != NULL || (st != CG_E_DECODE && st != CG_E_UNSUPPORTED) ||
        strncmp(err.message, "fuzz.cgvm: ", 11) != 0)
        __builtin_trap();
    /* The parser alone: when it accepts, every tensor lies inside the input and lookups find
     * each name. */
    if (cg__vfile_parse(p, n, "fuzz.cgvm", &f, NULL) == CG_OK) {
        for (uint32_t i = 0; i < f.n; i++) {
            const cg__vtensor *t = &f.t[i];
            if (t->q < p || t->q + t->count > p + n || t->count == 0)
                __builtin_trap();
            char name[CG_VFILE_MAX_NAME + 1];
            memcpy(name, t->name, t->name_len);
            name[t->name_len] = '\0';
            if (strlen(name) == t->name_len && cg__vfile_find(&f, name) != t)
                __builtin_trap();
        }
        cg__vfile_fini(&f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size < CG_VFILE_HEADER || (data[0] & 1) == 0)
        return 0;
    uint8_t *p = malloc(size);
    if (p == NULL)
        return 0;
    memcpy(p, data, size);
    const uint64_t payload = size - CG_VFILE_HEADER;
    memcpy(p, "CGVMODEL", 8);
    p[8] = 1, p[9] = p[10] = p[11] = 0;
    p[12] = CG_VFILE_HEADER, p[13] = p[14] = p[15] = 0;
    for (int i = 0; i < 8; i++)
        p[16 + i] = (uint8_t)(payload >> (8 * i));
    p[60] = p[61] = p[62] = p[63] = 0;
    unsigned len = 0;
    if (EVP_Digest(p + CG_VFILE_HEADER, payload, p + 24, &len, EVP_sha256(), NULL) == 1)
        check(p, size);
    free(p);
    return 0;
}
