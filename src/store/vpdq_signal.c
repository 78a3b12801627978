/* The text of a vPDQ signal (include/childguard/vpdq_bank.h): the exchange form
 * python-threatexchange and HMA use (a JSON array of "pdqHex,quality,timestamp" strings; read
 * from facebook/ThreatExchange python-threatexchange/threatexchange/extensions/vpdq/
 * vpdq_util.py, vpdq_to_json / json_to_vpdq), and the identity, the SHA-256 of the canonical
 * lines. No SQLite here: the list reader and writer use it too.
 *
 * The parser is jansson's (strict JSON); each element is then split by hand, so a malformed
 * element is reported by its position. python-threatexchange prints the timestamp with
 * "{:.3}" (three significant digits, e.g. "1e+02" for 100.5 s); strtod reads every such form,
 * and we write "%.3f", which its float() reads. */
#include "childguard/vpdq_bank.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "childguard/digest.h"
#include "common/alloc.h"
#include "common/error.h"

/* One canonical line: "hex,quality,timestamp\n"; returns its length. */
static int canonical_line(const cg_vpdq_frame *f, char *out, size_t cap)
{
    char hex[CG_PDQ_HEX_LEN + 1];

    cg_pdq_to_hex(&f->hash, hex);
    return snprintf(out, cap, "%s,%d,%.3f", hex, f->quality, (double)f->timestamp);
}

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
        int len = canonical_line(&frames[i], line, sizeof(line) - 1);

        if (len < 0 || (size_t)len >= sizeof(line) - 1)
            st = CG_E_INVAL; /* a timestamp too large to print: not a real video */
        else {
            line[len++] = '\n';
            st = cg_digest_update(ctx, line, (size_t)len);
        }
    }
    if (st == CG_OK)
        st = cg_digest_final(ctx, &d);
    cg_digest_destroy(ctx);
    if (st == CG_OK)
        memcpy(out, d.sha256, 32);
    return st;
}

cg_status cg_bank_vpdq_format(const cg_vpdq_frame *frames, size_t n, char **out, size_t *len)
{
    size_t cap, used = 0;
    char *buf;

    *out = NULL;
    if (len != NULL)
        *len = 0;
    if (frames == NULL && n > 0)
        return CG_E_INVAL;
    if (n > (SIZE_MAX - 3) / (CG_VPDQ_LINE_MAX + 3))
        return CG_E_LIMIT;
    cap = n * (CG_VPDQ_LINE_MAX + 3) + 3;
    buf = cg__malloc(cap);
    if (buf == NULL)
        return CG_E_NOMEM;
    buf[used++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            buf[used++] = ',';
        buf[used++] = '"';
        int l = canonical_line(&frames[i], buf + used, cap - used);
        if (l < 0 || (size_t)l >= CG_VPDQ_LINE_MAX) {
            cg__free(buf);
            return CG_E_INVAL;
        }
        used += (size_t)l;
        buf[used++] = '"';
    }
    buf[used++] = ']';
    buf[used] = '\0';
    *out = buf;
    if (len != NULL)
        *len = used;
    return CG_OK;
}

/* Splits s at commas into at most 5 fields (the 5th signals too many). */
static size_t split_commas(char *s, char **f)
{
    size_t n = 0;

    f[n++] = s;
    for (char *p = s; *p != '\0'; p++)
        if (*p == ',') {
            *p = '\0';
            if (n == 5)
                return n;
            f[n++] = p + 1;
        }
    return n;
}

static int parse_long(const char *s, long long lo, long long hi, long long *out)
{
    char *end;

    if (*s == '\0' || *s == ' ' || *s == '+')
        return 0;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* One element into f; returns NULL or the reason. */
static const char *parse_element(const char *text, size_t index, cg_vpdq_frame *f)
{
    char buf[CG_VPDQ_LINE_MAX + 8];
    char *fld[5];
    const char *hex, *q, *ts;
    long long v;

    if (strlen(text) >= sizeof(buf))
        return "element too long";
    memcpy(buf, text, strlen(text) + 1);
    size_t n = split_commas(buf, fld);
    memset(f, 0, sizeof(*f));
    if (n == 3) {
        hex = fld[0], q = fld[1], ts = fld[2];
        f->frame_number = index;
    } else if (n == 4) {
        if (!parse_long(fld[0], 0, INT64_MAX, &v))
            return "bad frame number";
        f->frame_number = (uint64_t)v;
        q = fld[1], hex = fld[2], ts = fld[3];
    } else {
        return "expected \"pdqHex,quality,timestamp\"";
    }
    if (strlen(hex) != CG_PDQ_HEX_LEN || cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &f->hash) != CG_OK)
        return "bad PDQ hash (expected 64 hex digits)";
    if (!parse_long(q, 0, 100, &v))
        return "quality must be 0..100";
    f->quality = (int)v;
    char *end;
    errno = 0;
    double t = strtod(ts, &end);
    if (*ts == '\0' || *end != '\0' || errno != 0 || !isfinite(t) || t < 0 || t > 1e9)
        return "bad timestamp (seconds >= 0)";
    f->timestamp = (float)t;
    return NULL;
}

cg_status cg_bank_vpdq_parse(const char *text, size_t len, size_t max_frames,
                             cg_vpdq_frame **out, size_t *n, cg_error *err)
{
    json_error_t je;
    json_t *arr;
    cg_vpdq_frame *v = NULL;
    cg_status st = CG_OK;

    *out = NULL;
    *n = 0;
    if (text == NULL)
        return cg__fail(err, CG_E_INVAL, "vpdq: no text");
    if (max_frames == 0)
        max_frames = CG_BANK_VPDQ_MAX_FRAMES;
    arr = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (arr == NULL)
        return cg__fail(err, CG_E_INVAL,
                        "vpdq: not a JSON list of \"pdqHex,quality,timestamp\" strings: %s",
                        je.text);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return cg__fail(err, CG_E_INVAL,
                        "vpdq: not a JSON list of \"pdqHex,quality,timestamp\" strings");
    }
    size_t count = json_array_size(arr);
    if (count == 0)
        st = cg__fail(err, CG_E_INVAL, "vpdq: empty frame list");
    else if (count > max_frames)
        st = cg__fail(err, CG_E_LIMIT, "vpdq: %zu frames, more than the limit of %zu", count,
                      max_frames);
    if (st == CG_OK) {
        v = cg__malloc_array(count, sizeof(*v));
        if (v == NULL)
            st = cg__fail(err, CG_E_NOMEM, "vpdq: out of memory");
    }
    for (size_t i = 0; st == CG_OK && i < count; i++) {
        const json_t *e = json_array_get(arr, i);
        const char *why = json_is_string(e) ? parse_element(json_string_value(e), i, &v[i])
                                            : "not a string";
        if (why != NULL)
            st = cg__fail(err, CG_E_INVAL, "vpdq frame %zu: %s", i + 1, why);
    }
    json_decref(arr);
    if (st != CG_OK) {
        cg__free(v);
        return st;
    }
    *out = v;
    *n = count;
    return CG_OK;
}
