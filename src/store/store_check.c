/* Validation of what the store writes: bank names, text fields (byte limits of bank.h, UTF-8),
 * signal fields. Input over a limit is rejected, never cut (bank.h). */
#include "store/store_int.h"

#include <string.h>

#include <jansson.h>

#include "common/error.h"

int cg__bank_name_valid(const char *s)
{
    size_t n = 0;

    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++) {
        const char c = s[n];

        if (n == CG_BANK_NAME_MAX)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return n > 0;
}

/* A strict decoder's view of UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. NUL is refused too: SQLite would store it, but C strings would cut there. */
int cg__utf8_valid(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    while (i < n) {
        const unsigned c = s[i];
        size_t len;
        unsigned cp, min;

        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

long cg__bank_text_check(const char *field, size_t cap)
{
    const char *end = memchr(field, '\0', cap);
    size_t n;

    if (end == NULL)
        return -1;
    n = (size_t)(end - field);
    if (!cg__utf8_valid(field, n))
        return -1;
    return (long)n;
}

const char *cg__bank_signal_invalid(const cg_bank_signal *s)
{
    if (s->type == NULL || s->type->name == NULL || cg_signal_type_find(s->type->name) != s->type)
        return "unknown signal type";
    if (s->quality < -1 || s->quality > 100)
        return "quality out of range (-1..100)";
    if (cg__bank_text_check(s->source, sizeof(s->source)) < 0)
        return "source longer than 256 bytes or not UTF-8";
    if (cg__bank_text_check(s->external_id, sizeof(s->external_id)) < 0)
        return "external_id longer than 256 bytes or not UTF-8";
    if (cg__bank_text_check(s->note, sizeof(s->note)) < 0)
        return "note longer than 1024 bytes or not UTF-8";
    if (s->disabled_until < 0)
        return "disabled_until is negative";
    return NULL;
}

const char *cg__vpdq_frames_invalid(const cg_vpdq_frame *frames, size_t n)
{
    if (n == 0)
        return "a vpdq signal needs at least one frame";
    if (n > CG_BANK_VPDQ_MAX_FRAMES)
        return "too many vpdq frames";
    if (frames == NULL)
        return "no frames";
    for (size_t i = 0; i < n; i++)
        if (frames[i].quality < 0 || frames[i].quality > 100 || !(frames[i].timestamp >= 0) ||
            frames[i].frame_number > (uint64_t)INT64_MAX)
            return "invalid vpdq frame (quality 0..100, timestamp >= 0)";
    return NULL;
}

cg_status cg__store_json_object_check(cg_bankdb *db, const char *json, size_t max,
                                      const char *what, cg_error *err)
{
    const size_t n = strnlen(json, max + 1);
    json_error_t jerr;
    json_t *v;
    int obj;

    if (n > max)
        return cg__fail(err, CG_E_LIMIT, "%s: %s JSON longer than %zu bytes", db->path, what,
                        max);
    v = json_loadb(json, n, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: %s is not JSON: %s (column %d)", db->path, what,
                        jerr.text, jerr.column);
    obj = json_is_object(v);
    json_decref(v);
    if (!obj)
        return cg__fail(err, CG_E_INVAL, "%s: %s JSON is not an object", db->path, what);
    return CG_OK;
}
