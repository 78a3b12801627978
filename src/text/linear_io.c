/* Saving and loading linear text models (linear.h). The file, all integers little-endian:
 *
 *   magic     8 bytes  "CGTXTLIN"
 *   version   u32      1 or 2
 *   bits      u32      buckets = 2^bits
 *   char_min  u32, char_max u32, word_ngrams u32, max_text_bytes u32
 *   nlabels   u32      1..64
 *   flags     u32      version 1: 0 (reserved); version 2: CG__LIN_* (softmax, TF-IDF,
 *                      character n-grams within words, raw tokens, "no label" class)
 *   labels    nlabels x (u8 length, that many bytes)
 *   bias      C x float32 (IEEE 754 bits, little-endian); C = nlabels, + 1 with the
 *                      "no label" class
 *   thresholds nlabels x float32                       (version 2 only)
 *   idf       2^bits x float32                        (version 2 with TF-IDF only)
 *   weights   2^bits x C float32, bucket-major
 *   sha256    32 bytes over everything before it
 *
 * A model that uses nothing of version 2 (one-vs-rest, no TF-IDF, grams over the whole text,
 * every threshold 0.5) is written as version 1, which older builds read.
 *
 * Loading checks, in this order, the magic (CG_E_DECODE: not a model), the version
 * (CG_E_UNSUPPORTED), the header and the exact length the header implies (CG_E_DECODE:
 * truncated or trailing bytes), and the checksum (CG_E_DECODE: corrupt), so that each failure
 * says what is wrong. */
#include "text/linear.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"

#define MAGIC "CGTXTLIN"
#define MAGIC_LEN 8
#define VERSION 2u
#define HEADER_BYTES (MAGIC_LEN + 8 * 4)
#define SHA_BYTES 32

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t float_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    return u;
}

static float bits_float(uint32_t u)
{
    float f;

    memcpy(&f, &u, sizeof(f));
    return f;
}

/* ---- save ---------------------------------------------------------------------------------- */

typedef struct writer {
    FILE *f;
    EVP_MD_CTX *md;
    int failed;
} writer;

static void emit(writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (EVP_DigestUpdate(w->md, p, n) != 1 || fwrite(p, 1, n, w->f) != n)
        w->failed = 1;
}

/* Writes n floats little-endian through a small buffer. */
static void emit_floats(writer *w, const float *v, size_t n)
{
    uint8_t buf[4096];

    while (n > 0) {
        const size_t k = n < sizeof(buf) / 4 ? n : sizeof(buf) / 4;

        for (size_t i = 0; i < k; i++)
            put_u32(buf + 4 * i, float_bits(v[i]));
        emit(w, buf, 4 * k);
        v += k;
        n -= k;
    }
}

cg_status cg_text_model_save(const cg_text_model *m, const char *path, cg_error *err)
{
    uint8_t hdr[HEADER_BYTES], sha[SHA_BYTES];
    unsigned int shalen = 0;
    writer w = {NULL, NULL, 0};
    char *tmp = NULL;
    size_t plen;
    int v2;
    cg_status st = CG_OK;

    if (m == NULL || path == NULL)
        return cg__fail(err, CG_E_INVAL, "text model save: NULL argument");
    plen = strlen(path);
    tmp = cg__malloc(plen + 5);
    if (tmp == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    w.md = EVP_MD_CTX_new();
    if (w.md == NULL || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
        st = cg__fail(err, CG_E_BACKEND, "%s: cannot start SHA-256", path);
        goto done;
    }
    w.f = fopen(tmp, "wb");
    if (w.f == NULL) {
        st = cg__fail(err, CG_E_IO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    v2 = m->p.flags != 0;
    for (uint32_t l = 0; l < m->nlabels; l++)
        v2 |= m->threshold[l] != 0.5f;
    memcpy(hdr, MAGIC, MAGIC_LEN);
    put_u32(hdr + 8, v2 ? 2u : 1u);
    put_u32(hdr + 12, m->p.bits);
    put_u32(hdr + 16, m->p.char_min);
    put_u32(hdr + 20, m->p.char_max);
    put_u32(hdr + 24, m->p.word_ngrams);
    put_u32(hdr + 28, m->p.max_text_bytes);
    put_u32(hdr + 32, m->nlabels);
    put_u32(hdr + 36, v2 ? m->p.flags : 0u);
    emit(&w, hdr, sizeof(hdr));
    for (uint32_t l = 0; l < m->nlabels; l++) {
        const uint8_t len = (uint8_t)strlen(m->labels[l]);

        emit(&w, &len, 1);
        emit(&w, m->labels[l], len);
    }
    emit_floats(&w, m->bias, m->ncls);
    if (v2)
        emit_floats(&w, m->threshold, m->nlabels);
    if (v2 && (m->p.flags & CG__LIN_TFIDF))
        emit_floats(&w, m->idf, (size_t)1 << m->p.bits);
    emit_floats(&w, m->w, ((size_t)1 << m->p.bits) * m->ncls);
    if (!w.failed && EVP_DigestFinal_ex(w.md, sha, &shalen) == 1 && shalen == SHA_BYTES)
        w.failed = fwrite(sha, 1, SHA_BYTES, w.f) != SHA_BYTES;
    else
        w.failed = 1;
    if (fflush(w.f) != 0)
        w.failed = 1;
    if (fclose(w.f) != 0)
        w.failed = 1;
    w.f = NULL;
    if (w.failed) {
        st = cg__fail(err, CG_E_IO, "%s: write failed: %s", tmp, strerror(errno));
        remove(tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        st = cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
        remove(tmp);
    }
done:
    if (w.f != NULL) {
        fclose(w.f);
        remove(tmp);
    }
    EVP_MD_CTX_free(w.md);
    cg__free(tmp);
    return st;
}

/* ---- load ---------------------------------------------------------------------------------- */

cg_status cg_text_model_open(const char *path, cg_text_model **out, cg_error *err)
{
    uint8_t *buf = NULL, sha[SHA_BYTES];
    unsigned int shalen = 0;
    size_t len = 0, pos, need;
    cg__lin_params p;
    uint32_t version, nlabels, ncls;
    cg_text_model *m = NULL;
    const uint64_t max_file = HEADER_BYTES + 64 * 65 + 4 * (CG__LIN_MAX_WEIGHTS + 200) +
                              4 * ((uint64_t)1 << CG__LIN_MAX_BITS) + SHA_BYTES;
    cg_error perr = {CG_OK, {0}};
    cg_status st;

    *out = NULL;
    if (path == NULL)
        return cg__fail(err, CG_E_INVAL, "text model load: NULL path");
    st = cg__read_file(path, max_file, &buf, &len, err);
    if (st != CG_OK)
        return st;
    if (len < MAGIC_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0) {
        st = cg__fail(err, CG_E_DECODE, "%s: not a childguard text model (bad magic)", path);
        goto fail;
    }
    if (len < HEADER_BYTES) {
        st = cg__fail(err, CG_E_DECODE, "%s: truncated text model (%zu bytes)", path, len);
        goto fail;
    }
    version = get_u32(buf + 8);
    if (version < 1 || version > VERSION) {
        st = cg__fail(err, CG_E_UNSUPPORTED, "%s: text model format version %u, this build "
                      "reads versions 1 to %u", path, version, VERSION);
        goto fail;
    }
    p.bits = get_u32(buf + 12);
    p.char_min = get_u32(buf + 16);
    p.char_max = get_u32(buf + 20);
    p.word_ngrams = get_u32(buf + 24);
    p.max_text_bytes = get_u32(buf + 28);
    nlabels = get_u32(buf + 32);
    p.flags = version >= 2 ? get_u32(buf + 36) : 0;
    if (cg__lin_params_check(&p, "parameters", &perr) != CG_OK) {
        st = cg__fail(err, CG_E_DECODE, "%s: corrupt text model header (%s)", path,
                      perr.message);
        goto fail;
    }
    ncls = nlabels + ((p.flags & CG__LIN_NONE_CLASS) != 0);
    if (nlabels == 0 || nlabels > CG_TEXT_MODEL_MAX_LABELS ||
        (version == 1 && get_u32(buf + 36) != 0) ||
        ((uint64_t)1 << p.bits) * ncls > CG__LIN_MAX_WEIGHTS) {
        st = cg__fail(err, CG_E_DECODE, "%s: corrupt text model header (%u labels)", path,
                      nlabels);
        goto fail;
    }
    /* Label names, each checked; then the exact length the header implies. */
    pos = HEADER_BYTES;
    for (uint32_t l = 0; l < nlabels; l++) {
        size_t n;

        if (pos >= len) {
            st = cg__fail(err, CG_E_DECODE, "%s: truncated text model (in the labels)", path);
            goto fail;
        }
        n = buf[pos++];
        if (n > len - pos) {
            st = cg__fail(err, CG_E_DECODE, "%s: truncated text model (in the labels)", path);
            goto fail;
        }
        if (!cg__lin_label_ok((const char *)buf + pos, n)) {
            st = cg__fail(err, CG_E_DECODE, "%s: corrupt text model (label %u)", path, l);
            goto fail;
        }
        pos += n;
    }
    need = pos + 4 * ((size_t)ncls + ((size_t)1 << p.bits) * ncls) + SHA_BYTES;
    if (version >= 2)
        need += 4 * ((size_t)nlabels + ((p.flags & CG__LIN_TFIDF) ? (size_t)1 << p.bits : 0));
    if (len != need) {
        st = cg__fail(err, CG_E_DECODE, "%s: %s text model (%zu bytes, expected %zu)", path,
                      len < need ? "truncated" : "trailing bytes after the", len, need);
        goto fail;
    }
    if (EVP_Digest(buf, len - SHA_BYTES, sha, &shalen, EVP_sha256(), NULL) != 1 ||
        shalen != SHA_BYTES) {
        st = cg__fail(err, CG_E_BACKEND, "%s: SHA-256 failed", path);
        goto fail;
    }
    if (memcmp(sha, buf + len - SHA_BYTES, SHA_BYTES) != 0) {
        st = cg__fail(err, CG_E_DECODE, "%s: text model checksum mismatch (corrupt file)", path);
        goto fail;
    }
    st = cg__lin_model_new(&p, nlabels, &m, err);
    if (st != CG_OK)
        goto fail;
    pos = HEADER_BYTES;
    for (uint32_t l = 0; l < nlabels; l++) {
        const size_t n = buf[pos++];

        m->labels[l] = cg__malloc(n + 1);
        if (m->labels[l] == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        memcpy(m->labels[l], buf + pos, n);
        m->labels[l][n] = '\0';
        pos += n;
    }
    for (uint32_t c = 0; c < ncls; c++, pos += 4)
        m->bias[c] = bits_float(get_u32(buf + pos));
    for (uint32_t l = 0; version >= 2 && l < nlabels; l++, pos += 4) {
        m->threshold[l] = bits_float(get_u32(buf + pos));
        if (!(m->threshold[l] >= 0.0f && m->threshold[l] <= 1.0f)) {
            st = cg__fail(err, CG_E_DECODE, "%s: corrupt text model (threshold %u)", path, l);
            goto fail;
        }
    }
    for (size_t i = 0; version >= 2 && (p.flags & CG__LIN_TFIDF) && i < (size_t)1 << p.bits;
         i++, pos += 4)
        m->idf[i] = bits_float(get_u32(buf + pos));
    for (size_t i = 0; i < ((size_t)1 << p.bits) * ncls; i++, pos += 4)
        m->w[i] = bits_float(get_u32(buf + pos));
    cg__free(buf);
    *out = m;
    return CG_OK;
fail:
    cg__free(buf);
    cg_text_model_close(m);
    return st;
}
