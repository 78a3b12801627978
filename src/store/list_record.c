/* Bytes and records of the hash-list reader (list_read_int.h): bytes come through a fixed
 * 64 KiB read buffer and are assembled into one record buffer of max_line + 2 bytes, so memory
 * does not depend on the size of the file: a record longer than max_line is rejected and the
 * rest of its physical line is skipped without being stored. One state machine assembles
 * records for every format; only CSV knows quotes (a quoted field may span lines) and only TSV
 * knows backslash escapes. The fields of a record are written NUL-terminated into the record
 * buffer and located by offsets. */
#include "store/list_read_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* The next input byte, -1 at the end, -2 on a read error. */
static int get_byte(cg__list_reader *r)
{
    size_t n;

    if (r->pos < r->len)
        return r->buf[r->pos++];
    if (r->eof)
        return -1;
    r->buf_base += r->len;
    r->pos = r->len = 0;
    errno = 0;
    n = fread(r->buf, 1, READ_BUF, r->in);
    if (n == 0) {
        if (ferror(r->in)) {
            r->io_errno = errno != 0 ? errno : EIO;
            return -2;
        }
        r->eof = 1;
        return -1;
    }
    r->len = n;
    return r->buf[r->pos++];
}

/* Consumes the rest of the physical line (its newline included). */
static rec_result skip_line(cg__list_reader *r, rec_result result)
{
    for (;;) {
        const int c = get_byte(r);

        if (c == -2)
            return REC_IOERR;
        if (c == -1)
            return result;
        if (c == '\n') {
            r->line++;
            return result;
        }
    }
}

enum rec_state { S_FIELD_START, S_UNQUOTED, S_ESCAPE, S_QUOTED, S_QUOTE_SEEN, S_AFTER_QUOTE };

/* Ends the field that starts at rec[start] and ends at rec[*o]: trims what trailing whitespace
 * it may (never inside quotes, never a character an escape produced: rec[..floor)), adds the
 * NUL and records its offset. TSV (trim_ws 0) keeps its spaces and drops only a CR, so that
 * text with spaces at its ends survives a round trip; CSV quotes such text instead. */
static void end_field(cg__list_reader *r, size_t start, size_t *o, size_t floor, int quoted,
                      int trim_ws)
{
    if (!quoted)
        while (*o > floor && *o > start &&
               (r->rec[*o - 1] == '\r' ||
                (trim_ws && (r->rec[*o - 1] == ' ' || r->rec[*o - 1] == '\f' ||
                             r->rec[*o - 1] == '\t'))))
            (*o)--;
    r->rec[(*o)++] = '\0';
    if (r->nfields < MAX_FIELDS)
        r->fields[r->nfields++] = start;
}

/* Reads one record into r->rec and r->fields. delim is ',' or '\t' (0: the whole line is one
 * field); quotes enables RFC 4180 quoting; escapes enables TSV backslash escapes. A line whose
 * first byte is '#' is a comment, a line of only whitespace is blank: both are skipped.
 *
 * Invariant: the record's raw bytes (all but its newlines outside quotes) never exceed
 * max_line, and each field writes at most its raw bytes plus a NUL that replaces its delimiter
 * (the last one adds one byte), so rec never needs more than max_line + 1 bytes. */
rec_result cg__list_read_record(cg__list_reader *r, int delim, int quotes, int escapes)
{
    enum rec_state state = S_FIELD_START;
    size_t o = 0, start = 0, floor = 0, raw = 0;
    const int trim_ws = delim != '\t';
    int quoted = 0;
    int c;

    r->nfields = 0;
    r->rec_line = r->line;
    c = get_byte(r);
    if (c == -2)
        return REC_IOERR;
    if (c == -1)
        return REC_END;
    if (c == '#')
        return skip_line(r, REC_SKIP);
    for (;; c = get_byte(r)) {
        if (c == -2)
            return REC_IOERR;
        if (c == -1 || (c == '\n' && state != S_QUOTED)) {
            if (c == '\n')
                r->line++;
            if (state == S_QUOTED) {
                cg__list_set_reason(r, "unterminated quoted field");
                return REC_BAD;
            }
            if (state == S_ESCAPE)
                r->rec[o++] = '\\'; /* a backslash ending the line stands for itself */
            end_field(r, start, &o, floor, quoted, trim_ws);
            if (r->nfields == 1 && !quoted && r->rec[0] == '\0')
                return REC_SKIP;
            return REC_OK;
        }
        if (++raw > r->max_line) {
            if (state == S_QUOTED)
                cg__list_set_reason(r, "quoted field runs past %zu bytes (unterminated quote?)",
                           r->max_line);
            else
                cg__list_set_reason(r, "line longer than %zu bytes", r->max_line);
            return skip_line(r, REC_BAD);
        }
        if (c == '\n')
            r->line++; /* inside quotes: part of the field */
        if (c == 0) {
            cg__list_set_reason(r, "NUL byte in line");
            return skip_line(r, REC_BAD);
        }
        switch (state) {
        case S_FIELD_START:
            if (quotes && c == '"') {
                state = S_QUOTED;
                quoted = 1;
                break;
            }
            if (trim_ws && (c == ' ' || c == '\r' || c == '\f' || c == '\t'))
                break; /* leading whitespace of an unquoted field */
            state = S_UNQUOTED;
            /* fall through */
        case S_UNQUOTED:
            if (c == delim) {
                end_field(r, start, &o, floor, quoted, trim_ws);
                start = floor = o;
                quoted = 0;
                state = S_FIELD_START;
            } else if (escapes && c == '\\') {
                state = S_ESCAPE;
            } else {
                r->rec[o++] = (char)c;
            }
            break;
        case S_ESCAPE:
            state = S_UNQUOTED;
            if (c == 't' || c == 'n' || c == 'r' || c == '\\') {
                r->rec[o++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : '\\';
                floor = o;
            } else if (c == delim) { /* a lone backslash ends the field as itself */
                r->rec[o++] = '\\';
                end_field(r, start, &o, o, quoted, trim_ws);
                start = floor = o;
                state = S_FIELD_START;
            } else {
                r->rec[o++] = '\\';
                r->rec[o++] = (char)c;
            }
            break;
        case S_QUOTED:
            if (c == '"')
                state = S_QUOTE_SEEN;
            else
                r->rec[o++] = (char)c;
            break;
        case S_QUOTE_SEEN:
        case S_AFTER_QUOTE:
            if (c == '"' && state == S_QUOTE_SEEN) {
                r->rec[o++] = '"';
                state = S_QUOTED;
            } else if (c == delim) {
                end_field(r, start, &o, floor, quoted, trim_ws);
                start = floor = o;
                quoted = 0;
                state = S_FIELD_START;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                state = S_AFTER_QUOTE;
            } else {
                cg__list_set_reason(r, "text after closing quote in field %zu", r->nfields + 1);
                return skip_line(r, REC_BAD);
            }
            break;
        }
    }
}

