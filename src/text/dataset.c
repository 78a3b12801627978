/* Labelled text readers for the linear classifier (linear.h): JSON lines, fastText lines and the
 * PAN-2012 sexual predator identification corpus.
 *
 * Line formats are read through one bounded line reader; a line that does not parse, or that
 * names an invalid label, is reported with its number and skipped, and the reading goes on.
 *
 * PAN-2012 (Inches & Crestani, "Overview of the International Sexual Predator Identification
 * Competition at PAN-2012") ships conversations as XML,
 *   <conversations><conversation id=".."><message line="1"><author>id</author><time>..</time>
 *   <text>..</text></message>...</conversation>...</conversations>,
 * and the predators as a text file of author ids. The task is to name the predators, so the
 * reader makes one example per author: their messages concatenated in corpus order (cut at
 * max_text_bytes) and labelled "predator" when the id is listed. The XML is streamed with
 * libxml2's xmlTextReader, so memory grows with the authors' text, not with the file, and is
 * parsed without network access, DTD loading or entity substitution. */
#include "text/linear.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libxml/xmlreader.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"

/* A line longer than this is reported and skipped (JSON escapes make lines longer than texts). */
#define LINE_MAX_BYTES ((size_t)64 << 20)
#define BLOCK_BYTES ((size_t)64 << 10)
#define FT_PREFIX "__label__"
#define FT_PREFIX_LEN 9
#define PAN_LABEL "predator"
#define PAN_ID_MAX 256
#define PREDATOR_LIST_MAX ((uint64_t)256 << 20)

/* ---- bounded line reader ------------------------------------------------------------------- */

typedef struct line_reader {
    FILE *f;
    const char *path;
    char *blk;           /* BLOCK_BYTES read from f */
    size_t bpos, blen;
    char *buf;           /* the current line, NUL-terminated, without its newline */
    size_t len, cap;
    int too_long;        /* the current line was longer than LINE_MAX_BYTES (buf holds its start) */
    uint64_t line;       /* 1-based number of the current line */
} line_reader;

static cg_status lr_open(line_reader *lr, const char *path, cg_error *err)
{
    memset(lr, 0, sizeof(*lr));
    lr->path = path;
    lr->f = fopen(path, "rb");
    if (lr->f == NULL)
        return cg__fail(err, errno == ENOENT ? CG_E_NOTFOUND : CG_E_IO, "%s: %s", path,
                        strerror(errno));
    lr->blk = cg__malloc(BLOCK_BYTES);
    lr->cap = 4096;
    lr->buf = cg__malloc(lr->cap);
    if (lr->blk == NULL || lr->buf == NULL) {
        cg__free(lr->blk);
        cg__free(lr->buf);
        fclose(lr->f);
        memset(lr, 0, sizeof(*lr));
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    }
    return CG_OK;
}

static void lr_close(line_reader *lr)
{
    if (lr->f != NULL)
        fclose(lr->f);
    cg__free(lr->blk);
    cg__free(lr->buf);
    memset(lr, 0, sizeof(*lr));
}

/* Appends n bytes to the line, keeping at most LINE_MAX_BYTES of it. */
static cg_status lr_append(line_reader *lr, const char *p, size_t n, cg_error *err)
{
    if (lr->len + n > LINE_MAX_BYTES) {
        lr->too_long = 1;
        n = LINE_MAX_BYTES - lr->len;
    }
    if (lr->len + n + 1 > lr->cap) {
        size_t ncap = lr->cap;
        char *nb;

        while (ncap < lr->len + n + 1)
            ncap *= 2;
        nb = cg__realloc(lr->buf, ncap);
        if (nb == NULL)
            return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", lr->path,
                            (unsigned long long)lr->line);
        lr->buf = nb;
        lr->cap = ncap;
    }
    memcpy(lr->buf + lr->len, p, n);
    lr->len += n;
    return CG_OK;
}

/* Reads the next line into lr->buf. *got is 0 at the end of the file. */
static cg_status lr_next(line_reader *lr, int *got, cg_error *err)
{
    int any = 0;

    *got = 0;
    lr->len = 0;
    lr->too_long = 0;
    for (;;) {
        const char *start, *nl;
        cg_status st;

        if (lr->bpos == lr->blen) {
            lr->blen = fread(lr->blk, 1, BLOCK_BYTES, lr->f);
            lr->bpos = 0;
            if (lr->blen == 0) {
                if (ferror(lr->f))
                    return cg__fail(err, CG_E_IO, "%s: read error after line %llu", lr->path,
                                    (unsigned long long)lr->line);
                break;
            }
        }
        any = 1;
        start = lr->blk + lr->bpos;
        nl = memchr(start, '\n', lr->blen - lr->bpos);
        if (nl == NULL) {
            st = lr_append(lr, start, lr->blen - lr->bpos, err);
            lr->bpos = lr->blen;
            if (st != CG_OK)
                return st;
            continue;
        }
        st = lr_append(lr, start, (size_t)(nl - start), err);
        lr->bpos += (size_t)(nl - start) + 1;
        if (st != CG_OK)
            return st;
        break;
    }
    if (!any)
        return CG_OK;
    lr->line++;
    if (lr->len > 0 && lr->buf[lr->len - 1] == '\r')
        lr->len--;
    lr->buf[lr->len] = '\0';
    *got = 1;
    return CG_OK;
}

/* ---- line formats -------------------------------------------------------------------------- */

typedef struct reader {
    const char *path;
    size_t max_text_bytes;
    cg_text_bad_line_fn bad;
    void *bud;
    uint64_t *bad_lines;
    cg__example_fn fn;
    void *ud;
} reader;

static void report(const reader *r, uint64_t line, const char *reason)
{
    (*r->bad_lines)++;
    if (r->bad != NULL)
        r->bad(r->path, line, reason, r->bud);
}

/* The length of text cut to max bytes without splitting a UTF-8 character. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* One JSON line. Returns CG_OK for skipped lines (reported), else the callback's status. */
static cg_status jsonl_line(const reader *r, const char *s, size_t len, uint64_t line,
                            cg_error *err)
{
    const char *labels[CG_TEXT_MODEL_MAX_LABELS];
    json_error_t jerr;
    json_t *root, *text, *arr;
    char why[JSON_ERROR_TEXT_LENGTH + 48];
    size_t nl = 0, i;
    cg_status st;

    root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(why, sizeof(why), "not JSON: %s (column %d)", jerr.text, jerr.column);
        report(r, line, why);
        return CG_OK;
    }
    text = json_object_get(root, "text");
    arr = json_object_get(root, "labels");
    if (!json_is_object(root) || !json_is_string(text)) {
        report(r, line, "no \"text\" string");
        goto skip;
    }
    if (!json_is_array(arr)) {
        report(r, line, "no \"labels\" array (use [] for a negative example)");
        goto skip;
    }
    if (json_array_size(arr) > CG_TEXT_MODEL_MAX_LABELS) {
        report(r, line, "more than 64 labels");
        goto skip;
    }
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *l = json_array_get(arr, i);

        if (!json_is_string(l) || !cg__lin_label_ok(json_string_value(l), json_string_length(l))) {
            report(r, line, "a label is not a string of 1-63 printable characters without spaces");
            goto skip;
        }
        labels[nl++] = json_string_value(l);
    }
    st = r->fn(r->ud, json_string_value(text),
               cut_utf8(json_string_value(text), json_string_length(text), r->max_text_bytes),
               labels, nl, r->path, line, err);
    json_decref(root);
    return st;
skip:
    json_decref(root);
    return CG_OK;
}

/* One fastText line: leading "__label__X" tokens, then the text. The line is modified. */
static cg_status fasttext_line(const reader *r, char *s, size_t len, uint64_t line,
                               cg_error *err)
{
    const char *labels[CG_TEXT_MODEL_MAX_LABELS];
    size_t nl = 0, i = 0;

    for (;;) {
        size_t j;

        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (len - i < FT_PREFIX_LEN || memcmp(s + i, FT_PREFIX, FT_PREFIX_LEN) != 0)
            break;
        j = i + FT_PREFIX_LEN;
        while (j < len && s[j] != ' ' && s[j] != '\t')
            j++;
        if (!cg__lin_label_ok(s + i + FT_PREFIX_LEN, j - i - FT_PREFIX_LEN)) {
            report(r, line, "a label is not 1-63 printable characters after __label__");
            return CG_OK;
        }
        if (nl == CG_TEXT_MODEL_MAX_LABELS) {
            report(r, line, "more than 64 labels");
            return CG_OK;
        }
        labels[nl++] = s + i + FT_PREFIX_LEN;
        if (j < len)
            s[j++] = '\0'; /* terminates the label; the text starts after it */
        i = j;
    }
    return r->fn(r->ud, s + i, cut_utf8(s + i, len - i, r->max_text_bytes), labels, nl, r->path,
                 line, err);
}

static cg_status read_lines(const reader *r, cg_text_format fmt, cg_error *err)
{
    line_reader lr;
    cg_status st;
    int got;

    st = lr_open(&lr, r->path, err);
    if (st != CG_OK)
        return st;
    for (;;) {
        size_t a = 0;

        st = lr_next(&lr, &got, err);
        if (st != CG_OK || !got)
            break;
        if (lr.too_long) {
            report(r, lr.line, "line longer than 64 MiB");
            continue;
        }
        while (a < lr.len && (lr.buf[a] == ' ' || lr.buf[a] == '\t'))
            a++;
        if (a == lr.len)
            continue; /* blank lines separate nothing and are not errors */
        if (fmt == CG_TEXT_FORMAT_JSONL || (fmt == CG_TEXT_FORMAT_AUTO && lr.buf[a] == '{'))
            st = jsonl_line(r, lr.buf + a, lr.len - a, lr.line, err);
        else
            st = fasttext_line(r, lr.buf + a, lr.len - a, lr.line, err);
        if (st != CG_OK)
            break;
    }
    lr_close(&lr);
    return st;
}

/* ---- PAN-2012 ------------------------------------------------------------------------------ */

typedef struct author {
    char *id;
    char *text;
    size_t len, cap;
    uint64_t line;      /* where the author's first message is */
    int predator;
} author;

/* Authors in order of first appearance, found by an open-addressing table of indices + 1. */
typedef struct author_map {
    author *v;
    size_t n, cap;
    uint32_t *slots;
    size_t nslots;      /* a power of two, at least twice n */
} author_map;

static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

static void map_free(author_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        cg__free(m->v[i].id);
        cg__free(m->v[i].text);
    }
    cg__free(m->v);
    cg__free(m->slots);
    memset(m, 0, sizeof(*m));
}

static author *map_find(const author_map *m, const char *id, size_t n)
{
    size_t i;

    if (m->nslots == 0)
        return NULL;
    for (i = str_hash(id, n) & (m->nslots - 1); m->slots[i] != 0; i = (i + 1) & (m->nslots - 1)) {
        author *a = &m->v[m->slots[i] - 1];

        if (strlen(a->id) == n && memcmp(a->id, id, n) == 0)
            return a;
    }
    return NULL;
}

static cg_status map_grow(author_map *m)
{
    size_t nn = m->nslots ? m->nslots * 2 : 1024;
    uint32_t *ns = cg__calloc(nn, sizeof(*ns));

    if (ns == NULL)
        return CG_E_NOMEM;
    for (size_t k = 0; k < m->n; k++) {
        size_t i = str_hash(m->v[k].id, strlen(m->v[k].id)) & (nn - 1);

        while (ns[i] != 0)
            i = (i + 1) & (nn - 1);
        ns[i] = (uint32_t)(k + 1);
    }
    cg__free(m->slots);
    m->slots = ns;
    m->nslots = nn;
    return CG_OK;
}

/* The author named id, added when new. */
static cg_status map_get(author_map *m, const char *id, size_t n, uint64_t line, author **out)
{
    author *a = map_find(m, id, n);
    size_t i;

    *out = a;
    if (a != NULL)
        return CG_OK;
    if (m->n >= UINT32_MAX - 1)
        return CG_E_LIMIT;
    if ((m->n + 1) * 2 > m->nslots && map_grow(m) != CG_OK)
        return CG_E_NOMEM;
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        author *nv = cg__realloc(m->v, ncap * sizeof(*nv));

        if (nv == NULL)
            return CG_E_NOMEM;
        m->v = nv;
        m->cap = ncap;
    }
    a = &m->v[m->n];
    memset(a, 0, sizeof(*a));
    a->id = cg__malloc(n + 1);
    if (a->id == NULL)
        return CG_E_NOMEM;
    memcpy(a->id, id, n);
    a->id[n] = '\0';
    a->line = line;
    for (i = str_hash(id, n) & (m->nslots - 1); m->slots[i] != 0; i = (i + 1) & (m->nslots - 1))
        ;
    m->slots[i] = (uint32_t)(m->n + 1);
    m->n++;
    *out = a;
    return CG_OK;
}

/* Appends a message to an author's text, separated by a newline, up to max bytes in all. */
static cg_status author_append(author *a, const char *s, size_t n, size_t max)
{
    size_t room, need;

    if (a->len >= max)
        return CG_OK;
    room = max - a->len;
    if (a->len > 0) {
        if (room < 2)
            return CG_OK;
        room--;
    }
    n = cut_utf8(s, n, room);
    need = a->len + (a->len > 0) + n + 1;
    if (need > a->cap) {
        size_t ncap = a->cap ? a->cap : 256;
        char *nt;

        while (ncap < need)
            ncap *= 2;
        nt = cg__realloc(a->text, ncap);
        if (nt == NULL)
            return CG_E_NOMEM;
        a->text = nt;
        a->cap = ncap;
    }
    if (a->len > 0)
        a->text[a->len++] = '\n';
    memcpy(a->text + a->len, s, n);
    a->len += n;
    a->text[a->len] = '\0';
    return CG_OK;
}

/* Reads the predator file (one id a line; blank lines ignored) into the set m. */
static cg_status read_predators(const char *path, author_map *m, cg_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0, i = 0;
    cg_status st;

    st = cg__read_file(path, PREDATOR_LIST_MAX, &buf, &len, err);
    if (st != CG_OK)
        return st;
    while (i < len) {
        size_t a = i, b;
        author *au;

        while (i < len && buf[i] != '\n')
            i++;
        b = i++;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r'))
            a++;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
            b--;
        if (a == b || b - a > PAN_ID_MAX)
            continue;
        st = map_get(m, (const char *)buf + a, b - a, 0, &au);
        if (st != CG_OK) {
            cg__fail(err, st, "%s: %s", path, cg_status_text(st));
            break;
        }
    }
    cg__free(buf);
    return st;
}

typedef struct xml_errors {
    char first[200];
    int seen;
} xml_errors;

static void xml_error(void *arg, const char *msg, xmlParserSeverities sev,
                      xmlTextReaderLocatorPtr loc)
{
    xml_errors *xe = arg;
    size_t n;

    (void)loc;
    if (xe->seen ||
        (sev != XML_PARSER_SEVERITY_ERROR && sev != XML_PARSER_SEVERITY_VALIDITY_ERROR))
        return;
    xe->seen = 1;
    snprintf(xe->first, sizeof(xe->first), "%s", msg);
    n = strlen(xe->first);
    while (n > 0 && (xe->first[n - 1] == '\n' || xe->first[n - 1] == ' '))
        xe->first[--n] = '\0';
}

/* The text of the current element (NULL for an empty element); caller xmlFree()s it. */
static xmlChar *element_text(xmlTextReaderPtr xr)
{
    if (xmlTextReaderIsEmptyElement(xr))
        return NULL;
    return xmlTextReaderReadString(xr);
}

static cg_status read_pan(const reader *r, const char *predators, cg_error *err)
{
    author_map m = {0}, preds = {0};
    xml_errors xe = {{0}, 0};
    xmlTextReaderPtr xr = NULL;
    xmlChar *cur_author = NULL, *cur_text = NULL;
    uint64_t msg_line = 0;
    int in_message = 0, rc;
    cg_status st = CG_OK;

    if (predators != NULL) {
        st = read_predators(predators, &preds, err);
        if (st != CG_OK)
            goto done;
    }
    /* No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD, no network; line numbers
     * past 65535 are kept. */
    xr = xmlReaderForFile(r->path, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    if (xr == NULL) {
        st = cg__fail(err, CG_E_IO, "%s: cannot open for XML reading", r->path);
        goto done;
    }
    xmlTextReaderSetErrorHandler(xr, xml_error, &xe);
    while ((rc = xmlTextReaderRead(xr)) == 1) {
        int type = xmlTextReaderNodeType(xr);
        const char *name = (const char *)xmlTextReaderConstLocalName(xr);

        if (name == NULL)
            continue;
        if (type == XML_READER_TYPE_ELEMENT && strcmp(name, "message") == 0) {
            in_message = !xmlTextReaderIsEmptyElement(xr);
            msg_line = (uint64_t)xmlGetLineNo(xmlTextReaderCurrentNode(xr));
            xmlFree(cur_author);
            xmlFree(cur_text);
            cur_author = cur_text = NULL;
        } else if (type == XML_READER_TYPE_ELEMENT && in_message && strcmp(name, "author") == 0) {
            xmlFree(cur_author);
            cur_author = element_text(xr);
        } else if (type == XML_READER_TYPE_ELEMENT && in_message && strcmp(name, "text") == 0) {
            xmlFree(cur_text);
            cur_text = element_text(xr);
        } else if (type == XML_READER_TYPE_END_ELEMENT && strcmp(name, "message") == 0) {
            size_t idn = cur_author ? strlen((const char *)cur_author) : 0;
            author *a;

            in_message = 0;
            while (idn > 0 && (cur_author[idn - 1] == ' ' || cur_author[idn - 1] == '\n'))
                idn--;
            if (idn == 0 || idn > PAN_ID_MAX) {
                report(r, msg_line, "message without a valid <author>");
                continue;
            }
            st = map_get(&m, (const char *)cur_author, idn, msg_line, &a);
            if (st == CG_OK && a->line == msg_line) /* new (or met again on its line) */
                a->predator = map_find(&preds, (const char *)cur_author, idn) != NULL;
            if (st == CG_OK && cur_text != NULL)
                st = author_append(a, (const char *)cur_text, strlen((const char *)cur_text),
                                   r->max_text_bytes);
            if (st != CG_OK) {
                cg__fail(err, st, "%s:%llu: %s", r->path, (unsigned long long)msg_line,
                         cg_status_text(st));
                goto done;
            }
        }
    }
    if (rc != 0 || xe.seen) {
        st = cg__fail(err, CG_E_DECODE, "%s:%d: XML error: %s", r->path,
                      xmlTextReaderGetParserLineNumber(xr), xe.seen ? xe.first : "parse failed");
        goto done;
    }
    for (size_t i = 0; i < m.n && st == CG_OK; i++) {
        const author *a = &m.v[i];
        const char *lab[1] = {PAN_LABEL};

        st = r->fn(r->ud, a->text ? a->text : "", a->len, lab, a->predator ? 1 : 0, r->path,
                   a->line, err);
    }
done:
    xmlFree(cur_author);
    xmlFree(cur_text);
    if (xr != NULL)
        xmlFreeTextReader(xr);
    map_free(&m);
    map_free(&preds);
    return st;
}

/* ---- entry --------------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

cg_status cg__dataset_read(const cg_text_data *d, size_t max_text_bytes, cg_text_bad_line_fn bad,
                           void *bud, uint64_t *bad_lines, cg__example_fn fn, void *ud,
                           cg_error *err)
{
    reader r = {d->path, max_text_bytes, bad, bud, bad_lines, fn, ud};
    cg_text_format fmt = d->format;

    if (d->path == NULL)
        return cg__fail(err, CG_E_INVAL, "text data: no path");
    if (fmt == CG_TEXT_FORMAT_AUTO && (ends_with(d->path, ".xml") || ends_with(d->path, ".XML")))
        fmt = CG_TEXT_FORMAT_PAN2012;
    switch (fmt) {
    case CG_TEXT_FORMAT_PAN2012:
        return read_pan(&r, d->pan_predators, err);
    case CG_TEXT_FORMAT_AUTO:
    case CG_TEXT_FORMAT_JSONL:
    case CG_TEXT_FORMAT_FASTTEXT:
        return read_lines(&r, fmt, err);
    }
    return cg__fail(err, CG_E_INVAL, "%s: unknown data format %d", d->path, (int)fmt);
}
