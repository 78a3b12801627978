/* Reading hash-list files: one hash per line, CSV (RFC 4180), TSV and JSON lines (list.h;
 * docs/list-formats.md lists every accepted column name and type spelling).
 *
 * The reader streams. Bytes come through a fixed 64 KiB read buffer and are assembled into one
 * record buffer of max_line + 2 bytes, so memory does not depend on the size of the file: a
 * record longer than max_line is rejected and the rest of its physical line is skipped without
 * being stored. One state machine assembles records for every format; only CSV knows quotes
 * (a quoted field may span lines) and only TSV knows backslash escapes. The fields of a record
 * are written NUL-terminated into the record buffer and located by offsets, then mapped to the
 * roles of a signal (type, value, external id, ...) through the header (CSV, TSV), the object's
 * keys (JSONL) or a fixed grammar (LINES).
 *
 * Liberal in what it accepts, but never guessing silently: every record is either a complete
 * signal or a rejection with a short reason naming what is wrong. Nothing is truncated. */
#include "store/list_read_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* Whether the candidate header line (not NUL-terminated) names a known column, split by sep.
 * A field that is itself a 32 or 64 digit hash means the line is data, not a header. */
static int names_a_column(const char *line, size_t n, char sep)
{
    int named = 0;
    size_t i = 0;

    while (i <= n) {
        size_t j = i, a, b;
        char field[64], folded[64];

        while (j < n && line[j] != sep)
            j++;
        a = i;
        b = j;
        while (a < b && (cg__list_is_space((unsigned char)line[a]) || line[a] == '"'))
            a++;
        while (b > a && (cg__list_is_space((unsigned char)line[b - 1]) || line[b - 1] == '"'))
            b--;
        if (b - a < sizeof(field)) {
            size_t rank;

            memcpy(field, line + a, b - a);
            field[b - a] = '\0';
            if ((b - a == 32 || b - a == 64) && cg__list_all_hex(field))
                return 0;
            if (cg__list_fold_name(field, folded) &&
                (cg__list_alias_role(folded, &rank) >= 0 || cg__list_type_from_spelling(folded) != NULL))
                named = 1;
        }
        i = j + 1;
    }
    return named;
}

/* AUTO: looks at the first line that is neither blank nor a comment in the buffered prefix. */
static cg_list_format detect_format(const cg__list_reader *r)
{
    size_t i = r->pos;

    while (i < r->len) {
        size_t end = i, a = i;

        while (end < r->len && r->buf[end] != '\n')
            end++;
        while (a < end && cg__list_is_space(r->buf[a]))
            a++;
        if (a < end && r->buf[a] != '#') {
            const char *line = (const char *)r->buf + a;
            const size_t n = end - a;

            if (line[0] == '{')
                return CG_LIST_JSONL;
            if (memchr(line, '\t', n) != NULL && names_a_column(line, n, '\t'))
                return CG_LIST_TSV;
            if (memchr(line, ',', n) != NULL && names_a_column(line, n, ','))
                return CG_LIST_CSV;
            return CG_LIST_LINES;
        }
        i = end + 1;
    }
    return CG_LIST_LINES;
}

/* Binary input: a NUL or a control byte no text file has, within the first 4 KiB. */
static cg_status check_text(const cg__list_reader *r, cg_error *err)
{
    const size_t n = r->len < SNIFF_BYTES ? r->len : SNIFF_BYTES;
    uint64_t line = 1;

    if (n >= 2 && ((r->buf[0] == 0xff && r->buf[1] == 0xfe) ||
                   (r->buf[0] == 0xfe && r->buf[1] == 0xff)))
        return cg__fail(err, CG_E_INVAL,
                        "line 1: UTF-16 text is not supported (convert the list to UTF-8)");
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = r->buf[i];

        if (c == '\n')
            line++;
        if (c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b) || c == 0x7f)
            return cg__fail(err, CG_E_INVAL,
                            "line %" PRIu64 ": binary data (byte 0x%02x at offset %zu): "
                            "not a hash list", line, c, i);
    }
    return CG_OK;
}

cg_status cg__list_reader_open(FILE *in, const cg_import_options *opt, cg__list_reader **out,
                               cg_error *err)
{
    cg__list_reader *r = NULL;
    cg_status st;

    *out = NULL;
    if (in == NULL)
        return cg__fail(err, CG_E_INVAL, "list reader: no input stream");
    if (opt != NULL && (opt->format < CG_LIST_AUTO || opt->format > CG_LIST_JSONL))
        return cg__fail(err, CG_E_INVAL, "list reader: unknown format %d", (int)opt->format);
    if (opt != NULL && opt->source != NULL &&
        (strlen(opt->source) > CG_BANK_FIELD_MAX || !cg__list_utf8_valid(opt->source)))
        return cg__fail(err, CG_E_INVAL,
                        "list reader: source must be valid UTF-8 of at most %d bytes",
                        CG_BANK_FIELD_MAX);
    if (opt != NULL && opt->max_line > SIZE_MAX / 2)
        return cg__fail(err, CG_E_INVAL, "list reader: max_line %zu is too large",
                        opt->max_line);
    r = cg__calloc(1, sizeof(*r));
    if (r == NULL)
        return cg__fail(err, CG_E_NOMEM, "list reader: out of memory");
    r->in = in;
    r->format = opt != NULL ? opt->format : CG_LIST_AUTO;
    r->default_type = opt != NULL ? opt->default_type : NULL;
    if (opt != NULL && opt->source != NULL)
        memcpy(r->source, opt->source, strlen(opt->source) + 1);
    r->max_line = opt != NULL && opt->max_line != 0 ? opt->max_line : DEFAULT_MAX_LINE;
    r->line = 1;
    r->rec_cap = r->max_line + 2;
    r->buf = cg__malloc(READ_BUF);
    r->rec = cg__malloc(r->rec_cap);
    r->fields = cg__malloc_array(MAX_FIELDS, sizeof(*r->fields));
    if (r->buf == NULL || r->rec == NULL || r->fields == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "list reader: out of memory");
        goto fail;
    }
    /* Fill the whole buffer once: the binary check and the format detection look at it. */
    while (r->len < READ_BUF) {
        size_t n;

        errno = 0;
        n = fread(r->buf + r->len, 1, READ_BUF - r->len, in);

        if (n == 0) {
            if (ferror(in)) {
                st = cg__fail(err, CG_E_IO, "line 1: read error: %s",
                              strerror(errno != 0 ? errno : EIO));
                goto fail;
            }
            r->eof = 1;
            break;
        }
        r->len += n;
    }
    st = check_text(r, err);
    if (st != CG_OK)
        goto fail;
    if (r->len >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
        r->pos = 3; /* the UTF-8 byte order mark some spreadsheets write */
    if (r->format == CG_LIST_AUTO)
        r->format = detect_format(r);
    *out = r;
    return CG_OK;
fail:
    cg__list_reader_close(r);
    return st;
}

/* Counts a record as good or rejected; a rejection may turn fatal (FATAL_AFTER). */
static cg_status finish(cg__list_reader *r, const char *why, int *got, const char **reject,
                        cg_error *err)
{
    r->seen++;
    if (why == NULL) {
        r->good++;
        *got = 1;
        return CG_OK;
    }
    if (r->good == 0 && r->seen >= FATAL_AFTER)
        return cg__fail(err, CG_E_INVAL,
                        "line %" PRIu64 ": does not look like a hash list: the first %d data "
                        "lines were all rejected (this one: %s)", r->rec_line, FATAL_AFTER, why);
    *got = 1;
    *reject = why;
    return CG_OK;
}

/* Emits the next record of a row whose typed columns give several. */
static cg_status next_typed(cg__list_reader *r, cg_bank_signal *s, int *got, const char **reject,
                            cg_error *err)
{
    const size_t i = r->row_next++;
    const char *why = cg__list_build_signal(r, r->row_typed_type[i], r->row_typed[i], s);

    return finish(r, why, got, reject, err);
}

cg_status cg__list_reader_next(cg__list_reader *r, cg_bank_signal *s, int *got,
                               const char **reject, cg_error *err)
{
    *got = 0;
    *reject = NULL;
    if (r->row_next < r->row_ntyped)
        return next_typed(r, s, got, reject, err);
    for (;;) {
        const int csv = r->format == CG_LIST_CSV, tsv = r->format == CG_LIST_TSV;
        const cg_signal_type *type_fixed = NULL;
        const char *why = NULL;
        rec_result rr;

        cg__list_clear_row(r);
        rr = cg__list_read_record(r, csv ? ',' : tsv ? '\t' : 0, csv, tsv);
        if (rr == REC_END)
            return CG_OK;
        if (rr == REC_IOERR)
            return cg__fail(err, CG_E_IO, "line %" PRIu64 ": read error: %s", r->line,
                            strerror(r->io_errno));
        if (rr == REC_SKIP)
            continue;
        if (rr == REC_BAD) {
            memset(s, 0, sizeof(*s));
            return finish(r, r->reason, got, reject, err);
        }
        switch (r->format) {
        case CG_LIST_LINES:
            if (!cg__list_map_lines(r, &type_fixed))
                continue;
            break;
        case CG_LIST_JSONL:
            why = cg__list_map_json(r);
            break;
        default:
            if (!r->have_header && cg__list_map_header(r))
                continue;
            why = cg__list_map_row(r);
            break;
        }
        if (why != NULL) {
            memset(s, 0, sizeof(*s));
            return finish(r, why, got, reject, err);
        }
        if (r->row_ntyped > 0)
            return next_typed(r, s, got, reject, err);
        why = cg__list_build_signal(r, type_fixed, NULL, s);
        return finish(r, why, got, reject, err);
    }
}

void cg__list_reader_vpdq(const cg__list_reader *r, const cg_vpdq_frame **frames, size_t *n)
{
    *frames = r->vframes;
    *n = r->vn;
}

uint64_t cg__list_reader_line(const cg__list_reader *r)
{
    return r->rec_line;
}

uint64_t cg__list_reader_bytes(const cg__list_reader *r)
{
    return r->buf_base + r->pos;
}

cg_list_format cg__list_reader_format(const cg__list_reader *r)
{
    return r->format;
}

void cg__list_reader_close(cg__list_reader *r)
{
    if (r == NULL)
        return;
    cg__list_clear_row(r);
    cg__free(r->vframes);
    cg__free(r->buf);
    cg__free(r->rec);
    cg__free(r->fields);
    cg__free(r);
}
