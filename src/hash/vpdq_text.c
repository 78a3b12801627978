/* The text of a vPDQ frame list (include/childguard/vpdq.h, "Text"): the two forms the field
 * uses, read by one parser with one set of rules for a frame's fields.
 *
 *   file form     one line per frame "frameNumber,quality,pdqHex,timestamp" (the reference's
 *                 vpdqio: what vpdq-hash-video writes and its matchers read);
 *   exchange form a JSON array of "pdqHex,quality,timestamp" strings (python-threatexchange's
 *                 and HMA's "vpdq" signal: vpdq_util.py vpdq_to_json / json_to_vpdq); an
 *                 element may also be a four-field file line.
 *
 * cg_vpdq_parse tells them apart by the first non-blank byte ('[' is the exchange form). A
 * timestamp is whatever strtod reads without sign or blanks, finite and at most 1e9 seconds:
 * python-threatexchange prints "{:.3}" (three significant digits, "1e+02" for 100.5 s) and we
 * print "%.3f", which its float() reads. The JSON is jansson's (strict). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "childguard/vpdq.h"
#include "common/alloc.h"
#include "common/error.h"
#include "vpdq_int.h"

#define VPDQ_PARSE_MAX_DEFAULT 10000000u
/* A field list longer than this is not a frame ("N,100,<64 hex>,T" is under 100 bytes). */
#define ELEMENT_MAX (CG_VPDQ_LINE_MAX + 8)

size_t cg_vpdq_format_line(const cg_vpdq_frame *f, char *out, size_t cap)
{
    char hex[CG_PDQ_HEX_LEN + 1];
    int n;

    cg_pdq_to_hex(&f->hash, hex);
    n = snprintf(out, cap, "%llu,%d,%s,%.3f", (unsigned long long)f->frame_number, f->quality,
                 hex, (double)f->timestamp);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

size_t cg_vpdq_format_element(const cg_vpdq_frame *f, char *out, size_t cap)
{
    char hex[CG_PDQ_HEX_LEN + 1];
    int n;

    cg_pdq_to_hex(&f->hash, hex);
    n = snprintf(out, cap, "%s,%d,%.3f", hex, f->quality, (double)f->timestamp);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

cg_status cg_vpdq_format(const cg_vpdq *v, char **out, size_t *len)
{
    size_t cap, pos = 0;
    char *buf;

    *out = NULL;
    if (len != NULL)
        *len = 0;
    if (v == NULL)
        return CG_E_INVAL;
    if (v->count > (SIZE_MAX - 1) / CG_VPDQ_LINE_MAX)
        return CG_E_LIMIT;
    cap = v->count * CG_VPDQ_LINE_MAX + 1;
    buf = cg__malloc(cap);
    if (buf == NULL)
        return CG_E_NOMEM;
    buf[0] = '\0';
    for (size_t i = 0; i < v->count; i++) {
        size_t n = cg_vpdq_format_line(&v->frames[i], buf + pos, cap - pos);

        if (n == 0) {
            cg__free(buf);
            return CG_E_INVAL;
        }
        pos += n;
        buf[pos++] = '\n';
        buf[pos] = '\0';
    }
    *out = buf;
    if (len != NULL)
        *len = pos;
    return CG_OK;
}

cg_status cg_vpdq_format_json(const cg_vpdq_frame *frames, size_t n, char **out, size_t *len)
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
        size_t l = cg_vpdq_format_element(&frames[i], buf + used, CG_VPDQ_LINE_MAX);
        if (l == 0) {
            cg__free(buf);
            return CG_E_INVAL;
        }
        used += l;
        buf[used++] = '"';
    }
    buf[used++] = ']';
    buf[used] = '\0';
    *out = buf;
    if (len != NULL)
        *len = used;
    return CG_OK;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* A whole unsigned decimal number in [s, e), at most max. */
static int parse_uint(const char *s, const char *e, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s == e)
        return -1;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Seconds in [s, e): what strtod reads, with no sign or blank, finite, 0..1e9. */
static int parse_seconds(const char *s, const char *e, float *out)
{
    char tmp[64];
    char *end = NULL;
    double d;
    size_t n = (size_t)(e - s);

    if (n == 0 || n >= sizeof(tmp) || (*s != '.' && (*s < '0' || *s > '9')))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    d = strtod(tmp, &end);
    if (errno != 0 || end != tmp + n || !isfinite(d) || d < 0 || d > 1e9)
        return -1;
    *out = (float)d;
    return 0;
}

/* One frame from the fields in [s, e): "hex,quality,timestamp" (numbered index) or
 * "frameNumber,quality,hex,timestamp". Returns NULL or what is wrong. */
static const char *parse_frame(const char *s, const char *e, uint64_t index, cg_vpdq_frame *f)
{
    const char *fld[5], *fe[5];
    const char *hex, *hex_end, *q, *q_end, *ts, *ts_end;
    size_t n = 0;
    uint64_t v;

    memset(f, 0, sizeof(*f));
    if ((size_t)(e - s) > ELEMENT_MAX)
        return "too long for a frame";
    fld[0] = s;
    for (const char *p = s; p < e && n < 4; p++)
        if (*p == ',') {
            fe[n++] = p;
            fld[n] = p + 1;
        }
    fe[n++] = e;
    if (n < 3 || n > 4)
        return "expected \"pdqHex,quality,timestamp\" or \"frameNumber,quality,pdqHex,timestamp\"";
    if (n == 3) {
        f->frame_number = index;
        hex = fld[0], hex_end = fe[0], q = fld[1], q_end = fe[1], ts = fld[2], ts_end = fe[2];
    } else {
        if (parse_uint(fld[0], fe[0], INT64_MAX, &f->frame_number) != 0)
            return "bad frame number";
        q = fld[1], q_end = fe[1], hex = fld[2], hex_end = fe[2], ts = fld[3], ts_end = fe[3];
    }
    if (hex_end - hex != CG_PDQ_HEX_LEN || cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &f->hash) != CG_OK)
        return "bad PDQ hash (expected 64 hex digits)";
    if (parse_uint(q, q_end, 100, &v) != 0)
        return "quality must be 0..100";
    f->quality = (int)v;
    if (parse_seconds(ts, ts_end, &f->timestamp) != 0)
        return "bad timestamp (seconds >= 0)";
    return NULL;
}

static cg_status parse_lines(const char *text, size_t len, size_t max_frames, cg_vpdq *v,
                             cg_error *err)
{
    size_t cap = 0, line = 0;
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl != NULL ? nl : end;
        cg_vpdq_frame f;
        const char *why;

        line++;
        if (e > p && e[-1] == '\r')
            e--;
        if (e > p) {
            if (v->count >= max_frames)
                return cg__fail(err, CG_E_LIMIT, "vpdq: more than %zu frames (line %zu)",
                                max_frames, line);
            why = parse_frame(p, e, v->count, &f);
            if (why != NULL)
                return cg__fail(err, CG_E_INVAL, "vpdq line %zu: %s", line, why);
            if (cg__vpdq_push(v, &cap, &f) != CG_OK)
                return cg__fail(err, CG_E_NOMEM, "out of memory at vpdq line %zu", line);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (v->count == 0)
        return cg__fail(err, CG_E_INVAL, "vpdq: empty frame list");
    return CG_OK;
}

static cg_status parse_json(const char *text, size_t len, size_t max_frames, cg_vpdq *v,
                            cg_error *err)
{
    json_error_t je;
    json_t *arr = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    cg_status st = CG_OK;
    size_t count;

    if (arr == NULL)
        return cg__fail(err, CG_E_INVAL,
                        "vpdq: not a JSON list of \"pdqHex,quality,timestamp\" strings: %s",
                        je.text);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return cg__fail(err, CG_E_INVAL,
                        "vpdq: not a JSON list of \"pdqHex,quality,timestamp\" strings");
    }
    count = json_array_size(arr);
    if (count == 0)
        st = cg__fail(err, CG_E_INVAL, "vpdq: empty frame list");
    else if (count > max_frames)
        st = cg__fail(err, CG_E_LIMIT, "vpdq: %zu frames, more than the limit of %zu", count,
                      max_frames);
    if (st == CG_OK) {
        v->frames = cg__malloc_array(count, sizeof(*v->frames));
        if (v->frames == NULL)
            st = cg__fail(err, CG_E_NOMEM, "vpdq: out of memory");
    }
    for (size_t i = 0; st == CG_OK && i < count; i++) {
        const json_t *e = json_array_get(arr, i);
        const char *why = "not a string";

        if (json_is_string(e)) {
            const char *s = json_string_value(e);
            why = parse_frame(s, s + json_string_length(e), i, &v->frames[i]);
        }
        if (why != NULL)
            st = cg__fail(err, CG_E_INVAL, "vpdq frame %zu: %s", i + 1, why);
        else
            v->count = i + 1;
    }
    json_decref(arr);
    return st;
}

cg_status cg_vpdq_parse(const char *text, size_t len, size_t max_frames, cg_vpdq **out,
                        cg_error *err)
{
    const char *p = text, *end = text + len;
    cg_vpdq *v;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_vpdq_parse: out is NULL");
    *out = NULL;
    if (text == NULL && len != 0)
        return cg__fail(err, CG_E_INVAL, "cg_vpdq_parse: text is NULL");
    if (max_frames == 0)
        max_frames = VPDQ_PARSE_MAX_DEFAULT;
    v = cg__calloc(1, sizeof(*v));
    if (v == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory");
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p < end && *p == '[')
        st = parse_json(text, len, max_frames, v, err);
    else
        st = parse_lines(text, len, max_frames, v, err);
    if (st != CG_OK) {
        cg_vpdq_destroy(v);
        return st;
    }
    *out = v;
    return CG_OK;
}
