/* Writing hash-list files (list.h): exact in what we write, so that everything written reads
 * back to the same signals (docs/list-formats.md).
 *
 * CSV quotes a field only when it must (a comma, a quote, CR or LF, or whitespace at either end
 * that a reader would trim); TSV escapes backslash, tab, CR and LF as \\ \t \r \n; JSONL is
 * built and serialised by jansson. Rows are not flushed one by one (a syscall per signal would
 * make exports of millions of hashes slow): a write error is reported (CG_E_IO with the
 * system's reason) by the call whose write failed, and the caller flushes and checks once at
 * the end (store_export.c does). */
#include "store/list.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "common/error.h"

/* The columns of CSV and TSV output, in order. */
static const char *const columns[] = {
    "signal_type", "signal", "bank", "label", "quality", "source", "external_id", "note",
    "added", "disabled_until",
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static cg_status io_fail(cg_error *err, const char *what)
{
    const int e = errno != 0 ? errno : EIO;

    return cg__fail(err, CG_E_IO, "writing the %s: %s", what, strerror(e));
}

static int put(FILE *out, const char *s, size_t n)
{
    return n == 0 || fwrite(s, 1, n, out) == n;
}

/* Whether a CSV field needs quotes: a comma, quote, CR or LF, or at either end whitespace that
 * the reader trims from unquoted fields (space, tab, form feed). */
static int needs_quotes(const char *s)
{
    const size_t n = strlen(s);

    if (n > 0 && (strchr(" \t\f", s[0]) != NULL || strchr(" \t\f", s[n - 1]) != NULL))
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

/* Writes one CSV field (RFC 4180: quoted when needed, quotes doubled). */
static int put_csv(FILE *out, const char *s)
{
    if (!needs_quotes(s))
        return put(out, s, strlen(s));
    if (!put(out, "\"", 1))
        return 0;
    for (;;) {
        const char *q = strchr(s, '"');

        if (q == NULL)
            return put(out, s, strlen(s)) && put(out, "\"", 1);
        if (!put(out, s, (size_t)(q - s) + 1) || !put(out, "\"", 1))
            return 0;
        s = q + 1;
    }
}

/* Writes one TSV field with \\, \t, \r and \n escaped (our reader keeps TSV spaces). */
static int put_tsv(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
                      : *s == '\r' ? "\\r" : NULL;

        if (e != NULL ? !put(out, e, 2) : !put(out, s, 1))
            return 0;
    }
    return 1;
}

static int put_field(FILE *out, cg_list_format format, const char *s, int first)
{
    const char *sep = format == CG_LIST_TSV ? "\t" : ",";

    if (!first && !put(out, sep, 1))
        return 0;
    return format == CG_LIST_TSV ? put_tsv(out, s) : put_csv(out, s);
}

cg_status cg__list_write_header(FILE *out, cg_list_format format, cg_error *err)
{
    if (format == CG_LIST_AUTO)
        format = CG_LIST_CSV;
    if (format < CG_LIST_AUTO || format > CG_LIST_JSONL)
        return cg__fail(err, CG_E_INVAL, "list writer: unknown format %d", (int)format);
    if (format != CG_LIST_CSV && format != CG_LIST_TSV)
        return CG_OK;
    errno = 0;
    for (size_t i = 0; i < N_COLUMNS; i++)
        if (!put_field(out, format, columns[i], i == 0))
            return io_fail(err, "header");
    if (!put(out, "\n", 1) || fflush(out) != 0 || ferror(out))
        return io_fail(err, "header");
    return CG_OK;
}

/* Sets key to a string, failing when jansson cannot (no memory, or text not valid UTF-8). */
static int set_str(json_t *o, const char *key, const char *text)
{
    return json_object_set_new(o, key, json_string(text)) == 0;
}

static cg_status write_json(FILE *out, const cg_bank_signal *s, const char *hex,
                            const cg_bank *bank, cg_error *err)
{
    json_t *o = json_object();
    char *text = NULL;
    cg_status st = CG_OK;
    int ok;

    if (o == NULL)
        return cg__fail(err, CG_E_NOMEM, "list writer: out of memory");
    ok = set_str(o, "signal_type", s->type->name) && set_str(o, "signal", hex) &&
         set_str(o, "bank", bank != NULL ? bank->name : "") &&
         set_str(o, "label", bank != NULL ? bank->label : "") &&
         json_object_set_new(o, "quality",
                             s->quality >= 0 ? json_integer(s->quality) : json_null()) == 0 &&
         set_str(o, "source", s->source) && set_str(o, "external_id", s->external_id) &&
         set_str(o, "note", s->note) &&
         json_object_set_new(o, "added", json_integer(s->added)) == 0 &&
         json_object_set_new(o, "disabled_until", json_integer(s->disabled_until)) == 0;
    if (ok)
        text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        /* json_string refuses invalid UTF-8; otherwise jansson ran out of memory. */
        st = cg__fail(err, CG_E_INVAL,
                      "list writer: cannot encode signal %s as JSON (text not valid UTF-8, or "
                      "out of memory)", hex);
        goto done;
    }
    errno = 0;
    if (!put(out, text, strlen(text)) || !put(out, "\n", 1) || ferror(out))
        st = io_fail(err, "list");
done:
    free(text); /* jansson's allocator: the default malloc */
    json_decref(o);
    return st;
}

cg_status cg__list_write_row(FILE *out, cg_list_format format, const cg_bank_signal *s,
                             const cg_bank *bank, cg_error *err)
{
    return cg__list_write_row_text(out, format, s, bank, NULL, err);
}

cg_status cg__list_write_row_text(FILE *out, cg_list_format format, const cg_bank_signal *s,
                                  const cg_bank *bank, const char *text, cg_error *err)
{
    char hexbuf[2 * CG_SIGNAL_MAX_BYTES + 1];
    const char *hex = hexbuf;
    char quality[16], added[24], until[24];

    if (format == CG_LIST_AUTO)
        format = CG_LIST_CSV;
    if (format < CG_LIST_AUTO || format > CG_LIST_JSONL)
        return cg__fail(err, CG_E_INVAL, "list writer: unknown format %d", (int)format);
    if (s == NULL || s->type == NULL)
        return cg__fail(err, CG_E_INVAL, "list writer: signal without a type");
    s->type->format(s->value, hexbuf);
    if (text != NULL)
        hex = text;
    if (format == CG_LIST_JSONL)
        return write_json(out, s, hex, bank, err);
    errno = 0;
    if (format == CG_LIST_LINES) {
        if ((text != NULL && (!put(out, s->type->name, strlen(s->type->name)) ||
                              !put(out, " ", 1))) ||
            !put(out, hex, strlen(hex)) || !put(out, "\n", 1) || ferror(out))
            return io_fail(err, "list");
        return CG_OK;
    }
    if (s->quality >= 0)
        snprintf(quality, sizeof(quality), "%d", s->quality);
    else
        quality[0] = '\0';
    snprintf(added, sizeof(added), "%" PRId64, s->added);
    snprintf(until, sizeof(until), "%" PRId64, s->disabled_until);
    {
        const char *const fields[N_COLUMNS] = {
            s->type->name, hex, bank != NULL ? bank->name : "", bank != NULL ? bank->label : "",
            quality, s->source, s->external_id, s->note, added, until,
        };

        for (size_t i = 0; i < N_COLUMNS; i++)
            if (!put_field(out, format, fields[i], i == 0))
                return io_fail(err, "list");
    }
    if (!put(out, "\n", 1) || ferror(out))
        return io_fail(err, "list");
    return CG_OK;
}
