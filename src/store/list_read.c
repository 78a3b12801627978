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
#include "store/list.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

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

static const char *const role_name[R_COUNT] = {
    "signal_type", "signal", "external_id", "note", "label", "quality", "source", "disabled_until",
};

/* Column names, lowercase, after ' ' and '-' became '_'. Within a role, earlier names win when a
 * header has several (a file with both "signal" and "hash" takes "signal"). "content_type" is
 * deliberately absent: it names the kind of media (photo, video), not the hash. */
static const struct {
    const char *name;
    enum role role;
} aliases[] = {
    {"signal_type", R_TYPE}, {"type", R_TYPE}, {"hash_type", R_TYPE}, {"indicator_type", R_TYPE},
    {"signal", R_VALUE}, {"signal_value", R_VALUE}, {"hash", R_VALUE}, {"hash_value", R_VALUE},
    {"value", R_VALUE}, {"indicator", R_VALUE},
    {"external_id", R_EXTID}, {"id", R_EXTID}, {"content_id", R_EXTID},
    {"bank_content_id", R_EXTID}, {"descriptor_id", R_EXTID}, {"indicator_id", R_EXTID},
    {"note", R_NOTE}, {"notes", R_NOTE}, {"description", R_NOTE}, {"comment", R_NOTE},
    {"label", R_LABEL}, {"tags", R_LABEL},
    {"quality", R_QUALITY}, {"pdq_quality", R_QUALITY},
    {"source", R_SOURCE}, {"owner", R_SOURCE}, {"collab", R_SOURCE},
    {"privacy_group", R_SOURCE},
    {"disabled_until", R_DISABLED},
};
#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))

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

/* ---- small text helpers -------------------------------------------------------------------- */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Returns s with leading and trailing whitespace removed, in place. */
static char *trim(char *s)
{
    size_t n;

    while (is_space((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_space((unsigned char)s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

/* Writes at most 40 bytes of untrusted text into out (64 bytes), printable ASCII only, so a
 * reason can quote the input without carrying control bytes or broken UTF-8 into a log. */
static void quote_text(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n && i < 40; i++) {
        const unsigned char c = (unsigned char)s[i];

        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;

    while (*s != '\0') {
        const unsigned char c = *s;
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* Folds a column name or key to the form of the alias table: lowercase, ' ' and '-' as '_',
 * surrounding whitespace dropped. Returns 0 when it does not fit out (64 bytes). */
static int fold_name(const char *name, char *out)
{
    size_t n, o;

    while (is_space((unsigned char)*name))
        name++;
    n = strlen(name);
    while (n > 0 && is_space((unsigned char)name[n - 1]))
        n--;
    if (n > 63)
        return 0;
    for (o = 0; o < n; o++) {
        const int c = lower((unsigned char)name[o]);

        out[o] = (char)(c == ' ' || c == '-' ? '_' : c);
    }
    out[o] = '\0';
    return 1;
}

/* The role of a folded column name, and its rank among the role's names; -1 if none. */
static int alias_role(const char *folded, size_t *rank)
{
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(aliases[i].name, folded) == 0) {
            *rank = i;
            return (int)aliases[i].role;
        }
    return -1;
}

/* The signal type of a spelling: pdq, PDQ, HASH_PDQ, photo_pdq, video_md5, ... (any case). */
static const cg_signal_type *type_from_spelling(const char *text)
{
    static const char *const prefixes[] = {"hash_", "photo_", "video_"};
    char folded[64];
    const char *name = folded;

    if (!fold_name(text, folded))
        return NULL;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        const size_t n = strlen(prefixes[i]);

        /* "hash_" may precede "video_": ThreatExchange's HASH_VIDEO_VPDQ. */
        if (strncmp(name, prefixes[i], n) == 0) {
            name += n;
            if (i > 0)
                break;
        }
    }
    return cg_signal_type_find(name);
}

static const char *set_reason(cg__list_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *set_reason(cg__list_reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
    return r->reason;
}

/* ---- bytes and records ---------------------------------------------------------------------- */

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
static rec_result read_record(cg__list_reader *r, int delim, int quotes, int escapes)
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
                set_reason(r, "unterminated quoted field");
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
                set_reason(r, "quoted field runs past %zu bytes (unterminated quote?)",
                           r->max_line);
            else
                set_reason(r, "line longer than %zu bytes", r->max_line);
            return skip_line(r, REC_BAD);
        }
        if (c == '\n')
            r->line++; /* inside quotes: part of the field */
        if (c == 0) {
            set_reason(r, "NUL byte in line");
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
                set_reason(r, "text after closing quote in field %zu", r->nfields + 1);
                return skip_line(r, REC_BAD);
            }
            break;
        }
    }
}

/* ---- fields to a signal -------------------------------------------------------------------- */

/* A vpdq signal: the frame list (vpdq_bank.h), kept in the reader for the store; the value is
 * its identity. */
static const char *parse_vpdq(cg__list_reader *r, const cg_signal_type *type, const char *text,
                              size_t n, cg_bank_signal *s)
{
    cg_error e;
    cg_status st;

    cg__free(r->vframes);
    r->vframes = NULL;
    r->vn = 0;
    st = cg_bank_vpdq_parse(text, n, 0, &r->vframes, &r->vn, &e);
    if (st == CG_E_NOMEM)
        return "out of memory reading vpdq frames";
    if (st != CG_OK)
        return set_reason(r, "%s", e.message);
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

    while (is_space((unsigned char)*text))
        text++;
    n = strlen(text);
    while (n > 0 && is_space((unsigned char)text[n - 1]))
        n--;
    if (n == 0)
        return "missing signal value";
    if (type == NULL)
        type = r->default_type;
    if (type != NULL && strcmp(type->name, "vpdq") == 0)
        return parse_vpdq(r, type, text, n, s);
    if (type == NULL) {
        const cg_signal_type *pdq = cg_signal_type_find("pdq"), *md5 = cg_signal_type_find("md5");

        if (pdq != NULL && n == pdq->hex_len)
            type = pdq;
        else if (md5 != NULL && n == md5->hex_len)
            type = md5;
        else
            return set_reason(r, "bad hex in signal (expected 32 hex digits for md5 or 64 for "
                                 "pdq, got %zu)", n);
    }
    if (n != type->hex_len)
        return set_reason(r, "bad hex in signal (expected %zu hex digits for %s, got %zu)",
                          type->hex_len, type->name, n);
    for (size_t i = 0; i < n; i++)
        if (!is_hex((unsigned char)text[i])) {
            char q[64];

            quote_text(text + i, 1, q);
            return set_reason(r, "bad hex in signal (non-hex character '%s' at position %zu)", q,
                              i + 1);
        }
    if (type->parse(text, n, s->value) != CG_OK)
        return set_reason(r, "bad hex in signal for %s", type->name);
    s->type = type;
    return NULL;
}

/* A decimal integer in [lo, hi], the whole of text (surrounding whitespace allowed). */
static int parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v = 0;
    const char *p = text;

    while (is_space((unsigned char)*p))
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
    while (is_space((unsigned char)*p))
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
        return set_reason(r, "%s longer than %zu bytes", role_name[role], max);
    if (!utf8_valid(text))
        return set_reason(r, "%s is not valid UTF-8", role_name[role]);
    memcpy(dst, text, n + 1);
    return NULL;
}

/* Fills s from the current row's fields; type_fixed and value come from a typed column when
 * not NULL. Returns NULL or the reject reason. */
static const char *build_signal(cg__list_reader *r, const cg_signal_type *type_fixed,
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
        type = type_from_spelling(f[R_TYPE]);
        if (type == NULL) {
            char q[64];

            quote_text(f[R_TYPE], strlen(f[R_TYPE]), q);
            return set_reason(r, "unknown signal type '%s'", q);
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

static void clear_row(cg__list_reader *r)
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

/* ---- the formats ----------------------------------------------------------------------------- */

/* Returns the next whitespace-separated token of *p (advancing *p past it), or NULL. */
static char *next_token(char **p)
{
    char *s = *p, *t;

    while (is_space((unsigned char)*s))
        s++;
    if (*s == '\0')
        return NULL;
    t = s;
    while (*s != '\0' && !is_space((unsigned char)*s))
        s++;
    if (*s != '\0')
        *s++ = '\0';
    *p = s;
    return t;
}

static int all_hex(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!is_hex((unsigned char)*s))
            return 0;
    return 1;
}

/* LINES: "<hex>", "<type> <hex>" (python-threatexchange's file exchange), "<hex> <name>"
 * (md5sum/sha256sum output; the name becomes the note), "<hex>,<quality>[,<name>]" (the
 * reference pdq-photo-hasher). Returns 0 when the line is a comment. */
static int map_lines(cg__list_reader *r, const cg_signal_type **type_fixed)
{
    char *line = trim(r->rec), *rest, *tok;

    *type_fixed = NULL;
    if (line[0] == '#')
        return 0;
    /* "vpdq [frames]": the value is the rest of the line (a JSON list has commas, spaces). */
    rest = line + strcspn(line, " \t");
    if (*rest != '\0') {
        char save = *rest;
        const cg_signal_type *t;

        *rest = '\0';
        t = type_from_spelling(line);
        *rest = save;
        if (t != NULL && strcmp(t->name, "vpdq") == 0) {
            *type_fixed = t;
            r->row[R_VALUE] = trim(rest);
            return 1;
        }
    }
    rest = strchr(line, ',');
    if (rest != NULL) {
        char *name;

        *rest++ = '\0';
        r->row[R_VALUE] = trim(line);
        name = strchr(rest, ',');
        if (name != NULL) {
            *name++ = '\0';
            r->row[R_NOTE] = trim(name);
        }
        r->row[R_QUALITY] = trim(rest);
        return 1;
    }
    rest = line;
    tok = next_token(&rest);
    r->row[R_VALUE] = tok;
    while (is_space((unsigned char)*rest))
        rest++;
    if (*rest == '\0')
        return 1;
    if (!all_hex(tok) || type_from_spelling(tok) != NULL) {
        char *value;

        *type_fixed = type_from_spelling(tok);
        value = next_token(&rest);
        if (*type_fixed == NULL) {
            if (value != NULL && all_hex(value) && (strlen(value) == 32 || strlen(value) == 64))
                r->row[R_TYPE] = tok; /* "foo <hash>": an unknown type */
            return 1;                 /* else the hex check names what is wrong with tok */
        }
        r->row[R_VALUE] = value;
        while (is_space((unsigned char)*rest))
            rest++;
    }
    if (*rest != '\0' && *rest != '#')
        r->row[R_NOTE] = *rest == '*' ? rest + 1 : rest; /* sha256sum marks binary mode "*" */
    return 1;
}

/* Maps the header of a CSV or TSV file. Returns 1 if the record is the header, 0 if the file has
 * no header (its first record is data, in the reference hasher's hash,quality,name order). */
static int map_header(cg__list_reader *r)
{
    int found = 0;

    for (int k = 0; k < R_COUNT; k++)
        r->col[k] = -1;
    r->ntyped = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const char *name = r->rec + r->fields[i];
        char folded[64];
        size_t rank;
        int role;
        const cg_signal_type *t;

        if (!fold_name(name, folded))
            continue;
        role = alias_role(folded, &rank);
        if (role >= 0) {
            if (r->col[role] < 0 || rank < r->col_rank[role]) {
                r->col[role] = (int)i;
                r->col_rank[role] = rank;
            }
            found = 1;
            continue;
        }
        t = type_from_spelling(folded);
        if (t != NULL && r->ntyped < MAX_TYPED) {
            r->typed_col[r->ntyped] = (int)i;
            r->typed_type[r->ntyped++] = t;
            found = 1;
        }
    }
    r->have_header = 1;
    if (!found && r->nfields > 0 && all_hex(trim(r->rec + r->fields[0]))) {
        const size_t n = strlen(trim(r->rec + r->fields[0]));

        if (n == 32 || n == 64 || (r->default_type != NULL && n == r->default_type->hex_len)) {
            r->col[R_VALUE] = 0;
            r->col[R_QUALITY] = 1;
            r->col[R_NOTE] = 2;
            return 0;
        }
    }
    return 1;
}

/* Maps a CSV or TSV data row to roles. Returns NULL or a reason. */
static const char *map_row(cg__list_reader *r)
{
    for (int k = 0; k < R_COUNT; k++)
        if (r->col[k] >= 0 && (size_t)r->col[k] < r->nfields)
            r->row[k] = r->rec + r->fields[r->col[k]];
    if (r->col[R_VALUE] >= 0)
        return NULL;
    if (r->ntyped == 0)
        return "no signal column in the header (expected signal, hash, value, pdq, md5, ...)";
    for (size_t i = 0; i < r->ntyped; i++) {
        const char *v;

        if ((size_t)r->typed_col[i] >= r->nfields)
            continue;
        v = trim(r->rec + r->fields[r->typed_col[i]]);
        if (v[0] == '\0')
            continue;
        r->row_typed[r->row_ntyped] = v;
        r->row_typed_type[r->row_ntyped++] = r->typed_type[i];
    }
    return r->row_ntyped == 0 ? "missing signal value" : NULL;
}

/* JSONL: maps the object's keys like CSV column names. Returns NULL or a reason. */
static const char *map_json(cg__list_reader *r)
{
    const char *line = trim(r->rec), *key;
    size_t rank[R_COUNT] = {0};
    json_error_t jerr;
    json_t *v;

    if (line[0] != '{')
        return "not a JSON object";
    r->json = json_loadb(line, strlen(line), JSON_REJECT_DUPLICATES, &jerr);
    if (r->json == NULL) {
        char q[64];

        quote_text(jerr.text, strlen(jerr.text), q);
        return set_reason(r, "bad JSON: %s", q);
    }
    if (!json_is_object(r->json))
        return "not a JSON object";
    json_object_foreach(r->json, key, v) {
        char folded[64];
        size_t rk = 0;
        int role;
        const cg_signal_type *t;
        const char *text = NULL;

        if (!fold_name(key, folded))
            continue;
        role = alias_role(folded, &rk);
        t = role < 0 ? type_from_spelling(folded) : NULL;
        if ((role < 0 && t == NULL) || role == R_LABEL || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (json_is_array(v) && (role == R_VALUE || t != NULL) && r->json_value == NULL) {
            /* A vpdq frame list given as a JSON list rather than as its text. */
            r->json_value = json_dumps(v, JSON_COMPACT);
            if (r->json_value == NULL)
                return "out of memory reading a JSON list";
            text = r->json_value;
        } else if (json_is_integer(v) && t == NULL && role != R_VALUE && role != R_TYPE) {
            snprintf(r->num[role], sizeof(r->num[role]), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
            text = r->num[role];
        } else if (role == R_QUALITY) {
            return "quality must be 0..100";
        } else {
            return set_reason(r, "%s must be a string", t != NULL ? t->name : role_name[role]);
        }
        if (t != NULL) {
            if (r->row_ntyped < MAX_TYPED && text[0] != '\0') {
                r->row_typed[r->row_ntyped] = text;
                r->row_typed_type[r->row_ntyped++] = t;
            }
        } else if (r->row[role] == NULL || rk < rank[role]) {
            r->row[role] = text;
            rank[role] = rk;
        }
    }
    if (r->row[R_VALUE] == NULL && r->row_ntyped == 0)
        return "missing signal value";
    if (r->row[R_VALUE] != NULL)
        r->row_ntyped = 0; /* an explicit value wins over typed keys */
    return NULL;
}

/* ---- the reader ------------------------------------------------------------------------------ */

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
        while (a < b && (is_space((unsigned char)line[a]) || line[a] == '"'))
            a++;
        while (b > a && (is_space((unsigned char)line[b - 1]) || line[b - 1] == '"'))
            b--;
        if (b - a < sizeof(field)) {
            size_t rank;

            memcpy(field, line + a, b - a);
            field[b - a] = '\0';
            if ((b - a == 32 || b - a == 64) && all_hex(field))
                return 0;
            if (fold_name(field, folded) &&
                (alias_role(folded, &rank) >= 0 || type_from_spelling(folded) != NULL))
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
        while (a < end && is_space(r->buf[a]))
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
        (strlen(opt->source) > CG_BANK_FIELD_MAX || !utf8_valid(opt->source)))
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
    const char *why = build_signal(r, r->row_typed_type[i], r->row_typed[i], s);

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

        clear_row(r);
        rr = read_record(r, csv ? ',' : tsv ? '\t' : 0, csv, tsv);
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
            if (!map_lines(r, &type_fixed))
                continue;
            break;
        case CG_LIST_JSONL:
            why = map_json(r);
            break;
        default:
            if (!r->have_header && map_header(r))
                continue;
            why = map_row(r);
            break;
        }
        if (why != NULL) {
            memset(s, 0, sizeof(*s));
            return finish(r, why, got, reject, err);
        }
        if (r->row_ntyped > 0)
            return next_typed(r, s, got, reject, err);
        why = build_signal(r, type_fixed, NULL, s);
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
    clear_row(r);
    cg__free(r->vframes);
    cg__free(r->buf);
    cg__free(r->rec);
    cg__free(r->fields);
    cg__free(r);
}
