/* Internal: the hash-list reader's state and the functions its files share (list.h is the
 * reader's contract with the store; docs/list-formats.md the formats).
 *
 * list_text.c     small text helpers: trimming, hex, UTF-8, column and type spellings.
 * list_record.c   bytes and records: the one state machine that assembles the records of every
 *                 format from the stream.
 * list_fields.c   fields to a signal: a record's text fields parsed and checked into a signal.
 * list_formats.c  the formats: a record's fields mapped to roles (LINES, CSV/TSV header, JSONL).
 * list_read.c     the reader: format detection, open, next, close. */
#ifndef CG_STORE_LIST_READ_INT_H
#define CG_STORE_LIST_READ_INT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "store/list.h"

#define READ_BUF 65536        /* bytes read from the stream at a time */
#define SNIFF_BYTES 4096      /* binary bytes in this prefix make the file fatal */
#define MAX_FIELDS 1024       /* fields of a record beyond this are ignored */
#define MAX_TYPED 8           /* columns named after a signal type ("pdq", "md5") */
#define FATAL_AFTER 100       /* this many rejected data lines and none good: not a hash list */
#define DEFAULT_MAX_LINE 65536

/* What a column (or JSON key) means. */
enum role {
    R_TYPE,
    R_VALUE,
    R_EXTID,
    R_NOTE,
    R_LABEL,
    R_QUALITY,
    R_SOURCE,
    R_DISABLED,
    R_COUNT
};

/* What read_record found. */
typedef enum rec_result {
    REC_OK,    /* a record is in r->rec / r->fields */
    REC_SKIP,  /* a blank or comment line: nothing to report */
    REC_BAD,   /* a malformed record, r->reason says why; its line was skipped */
    REC_END,   /* end of input */
    REC_IOERR  /* the stream failed; r->io_errno says why */
} rec_result;

struct cg__list_reader {
    FILE *in;                           /* borrowed */
    cg_list_format format;              /* never AUTO after open */
    const cg_signal_type *default_type; /* NULL: guess by length */
    char source[CG_BANK_FIELD_MAX + 1]; /* opt->source, "" when none */
    size_t max_line;

    unsigned char *buf;  /* READ_BUF bytes of input; buf[pos..len) not yet consumed */
    size_t len, pos;
    uint64_t buf_base;   /* input offset of buf[0] */
    int eof;
    int io_errno;

    uint64_t line;       /* physical line of the next byte, from 1 */
    uint64_t rec_line;   /* line the last record started on */

    char *rec;           /* max_line + 2 bytes: the fields of the record, NUL-terminated */
    size_t rec_cap;
    size_t *fields;      /* MAX_FIELDS offsets into rec */
    size_t nfields;

    /* CSV and TSV: the header's mapping of columns to roles (-1: absent). */
    int have_header;
    int col[R_COUNT];
    size_t col_rank[R_COUNT];
    int typed_col[MAX_TYPED];
    const cg_signal_type *typed_type[MAX_TYPED];
    size_t ntyped;

    /* The current row, which gives one record, or one per typed column that has a value. */
    const char *row[R_COUNT];
    const char *row_typed[MAX_TYPED];
    const cg_signal_type *row_typed_type[MAX_TYPED];
    size_t row_ntyped, row_next;
    json_t *json;        /* the JSONL row's object; row[] points into it */
    char num[R_COUNT][24]; /* JSON integers written out as text */

    char *json_value;    /* a JSONL signal given as a JSON array (vpdq), as text */
    cg_vpdq_frame *vframes; /* the frames of the last vpdq record (vpdq_bank.h) */
    size_t vn;

    uint64_t seen, good; /* data records so far, and the good ones among them */
    char reason[256];    /* the last reject reason */
};

/* The canonical name of each role (messages, JSONL keys). */
extern const char *const cg__list_role_name[R_COUNT];

/* Per-character tests, inline: the reader calls them for every byte of a field, from several
 * files, and a call into another file is never inlined (no LTO). */
static inline int cg__list_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static inline int cg__list_is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Returns s with leading and trailing whitespace removed, in place. */
char *cg__list_trim(char *s);
/* Writes at most 40 bytes of untrusted text into out (64 bytes), printable ASCII only, so a
 * reason can quote the input without carrying control bytes or broken UTF-8 into a log. */
void cg__list_quote_text(const char *s, size_t n, char *out);
/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
int cg__list_utf8_valid(const char *text);
/* Folds a column name or key to the form of the alias table: lowercase, ' ' and '-' as '_',
 * surrounding whitespace dropped. Returns 0 when it does not fit out (64 bytes). */
int cg__list_fold_name(const char *name, char *out);
/* The role of a folded column name, and its rank among the role's names; -1 if none. */
int cg__list_alias_role(const char *folded, size_t *rank);
/* The signal type of a spelling: pdq, PDQ, HASH_PDQ, photo_pdq, video_md5, ... (any case). */
const cg_signal_type *cg__list_type_from_spelling(const char *text);
const char *cg__list_set_reason(cg__list_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reads one record into r->rec and r->fields. delim is ',' or '\t' (0: the whole line is one
 * field); quotes enables RFC 4180 quoting; escapes enables TSV backslash escapes. A line whose
 * first byte is '#' is a comment, a line of only whitespace is blank: both are skipped.
 *
 * Invariant: the record's raw bytes (all but its newlines outside quotes) never exceed
 * max_line, and each field writes at most its raw bytes plus a NUL that replaces its delimiter
 * (the last one adds one byte), so rec never needs more than max_line + 1 bytes. */
rec_result cg__list_read_record(cg__list_reader *r, int delim, int quotes, int escapes);
/* Fills s from the current row's fields; type_fixed and value come from a typed column when
 * not NULL. Returns NULL or the reject reason. */
const char *cg__list_build_signal(cg__list_reader *r, const cg_signal_type *type_fixed,
                                const char *value, cg_bank_signal *s);
void cg__list_clear_row(cg__list_reader *r);
int cg__list_all_hex(const char *s);
/* LINES: "<hex>", "<type> <hex>" (python-threatexchange's file exchange), "<hex> <name>"
 * (md5sum/sha256sum output; the name becomes the note), "<hex>,<quality>[,<name>]" (the
 * reference pdq-photo-hasher). Returns 0 when the line is a comment. */
int cg__list_map_lines(cg__list_reader *r, const cg_signal_type **type_fixed);
/* Maps the header of a CSV or TSV file. Returns 1 if the record is the header, 0 if the file has
 * no header (its first record is data, in the reference hasher's hash,quality,name order). */
int cg__list_map_header(cg__list_reader *r);
/* Maps a CSV or TSV data row to roles. Returns NULL or a reason. */
const char *cg__list_map_row(cg__list_reader *r);
/* JSONL: maps the object's keys like CSV column names. Returns NULL or a reason. */
const char *cg__list_map_json(cg__list_reader *r);

#endif
