/* Fields to a signal (list_read_int.h): the text fields of one record (by role) parsed and
 * checked into a cg_bank_signal; every failure is a short reason naming what is wrong. */
#include "store/list_read_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* The canonical name of each role (messages, JSONL keys). */
const char *const cg__list_role_name[R_COUNT] = {
    "signal_type", "signal", "external_id", "note", "label", "quality", "source", "disabled_until",
};

/* A vpdq signal: the frame list (vpdq_bank.h), kept in the reader for the store; the value is
 * its identity. */
static const char *parse_vpdq(cg__list_reader *r, const cg_signal_type *type, const char *text,
                              size_t n, cg_bank_signal *s)
{
    cg_error e;
    cg_status st;
    cg_vpdq *v = NULL;

    cg__free(r->vframes);
    r->vframes = NULL;
    r->vn = 0;
    if (n == 0 || text[0] != '[') /* a list field holds the exchange form only */
        return "vpdq: not a JSON list of \"pdqHex,quality,timestamp\" strings";
    st = cg_vpdq_parse(text, n, CG_BANK_VPDQ_MAX_FRAMES, &v, &e);
    if (st == CG_E_NOMEM)
        return "out of memory reading vpdq frames";
    if (st != CG_OK)
        return cg__list_set_reason(r, "%s", e.message);
    r->vframes = v->frames;
    r->vn = v->count;
    v->frames = NULL;
    cg_vpdq_destroy(v);
    if (cg_bank_vpdq_identity(r->vframes, r->vn, s->value) != CG_OK)
        return "vpdq frames cannot be encoded";
    s->type = type;
    return NULL;
}

/* Parses text (surrounding whitespace ignored) as a value of type (NULL: opt->default_type,
 * else guessed by length). */
static const char *parse_value(cg__list_reader *r, const cg_signal_type *type, const char *text,
                               cg_bank_signal *s)
{
    size_t n;

    while (cg__list_is_space((unsigned char)*text))
        text++;
    n = strlen(text);
    while (n > 0 && cg__list_is_space((unsigned char)text[n - 1]))
        n--;
    if (n == 0)
        return "missing signal value";
    if (type == NULL)
        type = r->default_type;
    if (type != NULL && (type->flags & CG_SIGNAL_VIDEO))
        return parse_vpdq(r, type, text, n, s);
    if (type == NULL) {
        /* A bare value: the first type of its length in table order (64 digits: pdq before
         * sha256, the way hash lists are written; a sha256 list names its column). */
        const cg_signal_type *guess[4];

        if (cg_signal_type_guess(n, guess, 4) > 0)
            type = guess[0];
        else
            return cg__list_set_reason(r, "bad hex in signal (expected 32 hex digits for md5 or 64 for "
                                 "pdq, got %zu)", n);
    }
    if (n != type->hex_len)
        return cg__list_set_reason(r, "bad hex in signal (expected %zu hex digits for %s, got %zu)",
                          type->hex_len, type->name, n);
    for (size_t i = 0; i < n; i++)
        if (!cg__list_is_hex((unsigned char)text[i])) {
            char q[64];

            cg__list_quote_text(text + i, 1, q);
            return cg__list_set_reason(r, "bad hex in signal (non-hex character '%s' at position %zu)", q,
                              i + 1);
        }
    if (type->parse(text, n, s->value) != CG_OK)
        return cg__list_set_reason(r, "bad hex in signal for %s", type->name);
    s->type = type;
    return NULL;
}

/* A decimal integer in [lo, hi], the whole of text (surrounding whitespace allowed). */
static int parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v = 0;
    const char *p = text;

    while (cg__list_is_space((unsigned char)*p))
        p++;
    if (*p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return 0;
        v = v * 10 + (*p - '0');
    }
    while (cg__list_is_space((unsigned char)*p))
        p++;
    if (*p != '\0' || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* Copies a text field, checking UTF-8 and the limit (never cutting). */
static const char *copy_text(cg__list_reader *r, enum role role, const char *text, char *dst,
                             size_t max)
{
    const size_t n = strlen(text);

    if (n > max)
        return cg__list_set_reason(r, "%s longer than %zu bytes", cg__list_role_name[role], max);
    if (!cg__list_utf8_valid(text))
        return cg__list_set_reason(r, "%s is not valid UTF-8", cg__list_role_name[role]);
    memcpy(dst, text, n + 1);
    return NULL;
}

/* Fills s from the current row's fields; type_fixed and value come from a typed column when
 * not NULL. Returns NULL or the reject reason. */
const char *cg__list_build_signal(cg__list_reader *r, const cg_signal_type *type_fixed,
                                const char *value, cg_bank_signal *s)
{
    const char *const *f = r->row;
    const cg_signal_type *type = type_fixed;
    const char *why;
    int64_t v;

    memset(s, 0, sizeof(*s));
    s->quality = -1;
    memcpy(s->source, r->source, sizeof(s->source));
    if (type == NULL && f[R_TYPE] != NULL && f[R_TYPE][0] != '\0') {
        type = cg__list_type_from_spelling(f[R_TYPE]);
        if (type == NULL) {
            char q[64];

            cg__list_quote_text(f[R_TYPE], strlen(f[R_TYPE]), q);
            return cg__list_set_reason(r, "unknown signal type '%s'", q);
        }
    }
    why = parse_value(r, type, value != NULL ? value : f[R_VALUE] != NULL ? f[R_VALUE] : "", s);
    if (why != NULL)
        return why;
    if (f[R_QUALITY] != NULL && f[R_QUALITY][0] != '\0') {
        if (!parse_int(f[R_QUALITY], 0, 100, &v))
            return "quality must be 0..100";
        s->quality = (int)v;
    }
    if (f[R_DISABLED] != NULL && f[R_DISABLED][0] != '\0') {
        if (!parse_int(f[R_DISABLED], 0, INT64_MAX, &v))
            return "disabled_until must be unix seconds (an integer >= 0)";
        s->disabled_until = v;
    }
    if (f[R_EXTID] != NULL) {
        why = copy_text(r, R_EXTID, f[R_EXTID], s->external_id, CG_BANK_FIELD_MAX);
        if (why != NULL)
            return why;
    }
    if (f[R_NOTE] != NULL) {
        why = copy_text(r, R_NOTE, f[R_NOTE], s->note, CG_BANK_TEXT_MAX);
        if (why != NULL)
            return why;
    }
    if (f[R_SOURCE] != NULL && f[R_SOURCE][0] != '\0') {
        why = copy_text(r, R_SOURCE, f[R_SOURCE], s->source, CG_BANK_FIELD_MAX);
        if (why != NULL)
            return why;
    }
    return NULL; /* the label is read but not kept: the bank carries the label */
}

void cg__list_clear_row(cg__list_reader *r)
{
    memset(r->row, 0, sizeof(r->row));
    r->row_ntyped = r->row_next = 0;
    free(r->json_value); /* jansson's allocator */
    r->json_value = NULL;
    if (r->json != NULL) {
        json_decref(r->json);
        r->json = NULL;
    }
}

