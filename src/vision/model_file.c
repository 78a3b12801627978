/* The model file: childguard's own container for the quantised weights of a network.
 *
 *   offset  size  field
 *   0       8     magic "CGVMODEL"
 *   8       4     format version (1)
 *   12      4     header size (64)
 *   16      8     payload size in bytes (the file is exactly header + payload)
 *   24      32    SHA-256 of the payload
 *   56      4     tensor count
 *   60      4     reserved, 0
 *   64      ...   payload: u32 meta_len + meta_len bytes of "key=value\n" text, then per tensor
 *                 u16 name_len, name, u8 dtype (1: uint8 affine), u8 ndim, u32 dims[ndim],
 *                 f64 min, f64 scale, prod(dims) bytes of values
 *
 * All integers little-endian. Tensors are sorted by name, so lookups are a binary search and a
 * duplicate is caught at load. Everything read from the file is checked against the bytes left
 * before it is used: a truncated or hostile file is an error naming the file, never a read past
 * the buffer (tests/fuzz/fuzz_vision_model.c). */
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/hex.h"
#include "vision/vision_int.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static double rdf64(const uint8_t *p)
{
    const uint64_t u = rd64(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static cg_status check_digest(const uint8_t *payload, size_t len, const uint8_t want[32],
                              const char *name, char hex[65], cg_error *err)
{
    uint8_t got[EVP_MAX_MD_SIZE];
    unsigned got_len = 0;

    if (EVP_Digest(payload, len, got, &got_len, EVP_sha256(), NULL) != 1 || got_len != 32)
        return cg__fail(err, CG_E_BACKEND, "%s: SHA-256 failed (OpenSSL)", name);
    if (memcmp(got, want, 32) != 0)
        return cg__fail(err, CG_E_DECODE,
                        "%s: corrupt model file: the weights' SHA-256 does not match the header",
                        name);
    cg__hex_encode(got, 32, hex);
    return CG_OK;
}

cg_status cg__vfile_parse(const uint8_t *data, size_t len, const char *name, cg__vfile *out,
                          cg_error *err)
{
    cg_status st;
    memset(out, 0, sizeof *out);
    if (len < CG_VFILE_HEADER)
        return cg__fail(err, CG_E_DECODE, "%s: truncated model file (%zu bytes, header needs %d)",
                        name, len, CG_VFILE_HEADER);
    if (memcmp(data, "CGVMODEL", 8) != 0)
        return cg__fail(err, CG_E_DECODE, "%s: not a childguard model file (bad magic)", name);
    const uint32_t version = rd32(data + 8);
    if (version != CG_VFILE_VERSION)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "%s: model file format version %u, this build reads version %d", name,
                        version, CG_VFILE_VERSION);
    if (rd32(data + 12) != CG_VFILE_HEADER || rd32(data + 60) != 0)
        return cg__fail(err, CG_E_DECODE, "%s: corrupt model file header", name);
    const uint64_t payload_len = rd64(data + 16);
    if (payload_len != (uint64_t)(len - CG_VFILE_HEADER))
        return cg__fail(err, CG_E_DECODE,
                        "%s: %s model file: header says %llu bytes of weights, file has %zu",
                        name, payload_len > len - CG_VFILE_HEADER ? "truncated" : "corrupt",
                        (unsigned long long)payload_len, len - CG_VFILE_HEADER);
    const uint32_t n = rd32(data + 56);
    if (n == 0 || n > CG_VFILE_MAX_TENSORS)
        return cg__fail(err, CG_E_DECODE, "%s: corrupt model file: %u tensors", name, n);
    const uint8_t *p = data + CG_VFILE_HEADER;
    const uint8_t *end = data + len;
    st = check_digest(p, (size_t)payload_len, data + 24, name, out->sha256, err);
    if (st != CG_OK)
        return st;

    if (end - p < 4 || rd32(p) > CG_VFILE_MAX_META || rd32(p) > (size_t)(end - p - 4))
        return cg__fail(err, CG_E_DECODE, "%s: corrupt model file: bad metadata length", name);
    p += 4 + rd32(p);

    out->t = cg__calloc(n, sizeof *out->t);
    if (out->t == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory for %u tensors", name, n);
    out->n = n;
    for (uint32_t i = 0; i < n; i++) {
        cg__vtensor *t = &out->t[i];
        if (end - p < 2)
            goto truncated;
        t->name_len = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        if (t->name_len == 0 || t->name_len > CG_VFILE_MAX_NAME ||
            (size_t)(end - p) < t->name_len + 2)
            goto bad_record;
        t->name = (const char *)p;
        if (memchr(t->name, '\0', t->name_len) != NULL)
            goto bad_record;
        p += t->name_len;
        const uint8_t dtype = p[0];
        t->ndim = p[1];
        p += 2;
        if (dtype != 1 || t->ndim == 0 || t->ndim > CG_VFILE_MAX_DIMS ||
            (size_t)(end - p) < 4u * t->ndim + 16)
            goto bad_record;
        t->count = 1;
        for (uint32_t d = 0; d < t->ndim; d++) {
            t->dims[d] = rd32(p + 4 * d);
            /* Each dimension and the product stay far below SIZE_MAX: the product must fit in
             * the bytes left anyway. */
            if (t->dims[d] == 0 || t->dims[d] > (uint32_t)1 << 24 ||
                t->count > ((size_t)1 << 32) / t->dims[d])
                goto bad_record;
            t->count *= t->dims[d];
        }
        p += 4u * t->ndim;
        t->min = rdf64(p);
        t->scale = rdf64(p + 8);
        p += 16;
        if (!isfinite(t->min) || !isfinite(t->scale) || fabs(t->min) > 1e30 ||
            fabs(t->scale) > 1e30)
            goto bad_record;
        if ((size_t)(end - p) < t->count)
            goto truncated;
        t->q = p;
        p += t->count;
        if (i > 0 && name_cmp(out->t[i - 1].name, out->t[i - 1].name_len, t->name,
                              t->name_len) >= 0) {
            st = cg__fail(err, CG_E_DECODE,
                          "%s: corrupt model file: tensor %u (%.*s) out of order or repeated",
                          name, i, (int)t->name_len, t->name);
            goto fail;
        }
    }
    if (p != end) {
        st = cg__fail(err, CG_E_DECODE, "%s: corrupt model file: %zu bytes after the last tensor",
                      name, (size_t)(end - p));
        goto fail;
    }
    return CG_OK;

truncated:
    st = cg__fail(err, CG_E_DECODE, "%s: corrupt model file: a tensor runs past the end", name);
    goto fail;
bad_record:
    st = cg__fail(err, CG_E_DECODE, "%s: corrupt model file: bad tensor record", name);
fail:
    cg__vfile_fini(out);
    return st;
}

void cg__vfile_fini(cg__vfile *f)
{
    cg__free(f->t);
    f->t = NULL;
    f->n = 0;
}

const cg__vtensor *cg__vfile_find(const cg__vfile *f, const char *name)
{
    const size_t len = strlen(name);
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = name_cmp(f->t[mid].name, f->t[mid].name_len, name, len);
        if (c == 0)
            return &f->t[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
