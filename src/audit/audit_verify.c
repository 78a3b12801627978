/* The audit log's record format and its verifier (audit_int.h, docs/audit.md).
 *
 * A record is one line: the canonical JSON (compact, keys sorted, ASCII only) of an object with
 * exactly the fields seq, time, kind, actor, subject, data, prev and hash. hash is the SHA-256
 * of the canonical JSON of the same object without "hash"; prev is the hash of the record
 * before (64 zeros for record 1). The verifier checks, line by line: the line parses, has those
 * fields, its hash recomputes, its bytes are exactly the canonical form (so no byte of a line
 * can change without detection, not even the case of a \u escape), its seq is one more than
 * the previous one and its prev is the previous hash. It reads in 64 KiB chunks and holds at
 * most one line (CG_AUDIT_MAX_LINE), so memory does not grow with the log. */
#include "audit/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/hex.h"

#define CHUNK (64u * 1024u)

static const char zero_hash[CG_AUDIT_HEX_BYTES] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *cg__audit_tip(const cg__audit_rec *rec)
{
    return rec->anchor ? rec->prev : rec->hash;
}

/* Hashes the canonical form of obj. 0, or -1 when out of memory. */
static int hash_object(const json_t *obj, char hex[CG_AUDIT_HEX_BYTES])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    char *text = json_dumps(obj, CG__AUDIT_JSON_FLAGS);

    if (text == NULL)
        return -1;
    const int ok = EVP_Digest(text, strlen(text), md, &md_len, EVP_sha256(), NULL);
    free(text);
    if (!ok || md_len != 32)
        return -1;
    cg__hex_encode(md, 32, hex);
    return 0;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int why_set(char *why, size_t n, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int why_set(char *why, size_t n, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return code;
}

int cg__audit_check_line(const char *line, size_t len, cg__audit_rec *rec, char *why,
                         size_t why_size)
{
    json_error_t jerr;
    json_t *obj;
    int rc = CG__AUDIT_LINE_OK;

    memset(rec, 0, sizeof(*rec));
    obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL)
        return why_set(why, why_size, CG__AUDIT_LINE_NOT_JSON, "not valid JSON (%s)", jerr.text);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return why_set(why, why_size, CG__AUDIT_LINE_NOT_RECORD, "not a JSON object");
    }
    const json_t *seq = json_object_get(obj, "seq"), *tm = json_object_get(obj, "time");
    const json_t *kind = json_object_get(obj, "kind"), *data = json_object_get(obj, "data");
    const json_t *prev = json_object_get(obj, "prev"), *hash = json_object_get(obj, "hash");
    const char *missing = !json_is_integer(seq) || json_integer_value(seq) < 0 ? "seq"
                          : !json_is_integer(tm)                              ? "time"
                          : !json_is_string(kind)                             ? "kind"
                          : !json_is_string(json_object_get(obj, "actor"))    ? "actor"
                          : !json_is_string(json_object_get(obj, "subject"))  ? "subject"
                          : !json_is_object(data)                             ? "data"
                          : !json_is_string(prev) || !is_hex64(json_string_value(prev)) ? "prev"
                          : !json_is_string(hash) || !is_hex64(json_string_value(hash)) ? "hash"
                          : json_object_size(obj) != 8 ? "(no other fields)"
                                                       : NULL;
    if (json_is_integer(seq) && json_integer_value(seq) >= 0)
        rec->seq = (uint64_t)json_integer_value(seq);
    if (missing != NULL) {
        rc = why_set(why, why_size, CG__AUDIT_LINE_NOT_RECORD,
                     "not an audit record (missing or invalid \"%s\")", missing);
        goto out;
    }
    rec->time = (int64_t)json_integer_value(tm);
    snprintf(rec->kind, sizeof(rec->kind), "%s", json_string_value(kind));
    memcpy(rec->prev, json_string_value(prev), CG_AUDIT_HEX_BYTES);
    memcpy(rec->hash, json_string_value(hash), CG_AUDIT_HEX_BYTES);
    if (strcmp(rec->kind, "expiry") == 0 && json_is_true(json_object_get(data, "anchor"))) {
        const json_t *tot = json_object_get(data, "removed_total");
        rec->anchor = 1;
        rec->removed_total = json_is_integer(tot) && json_integer_value(tot) > 0
                                 ? (uint64_t)json_integer_value(tot) : 0;
    }

    /* Bytes first: the line must be exactly what we would write for this object. */
    char *canon = json_dumps(obj, CG__AUDIT_JSON_FLAGS);
    if (canon == NULL) {
        rc = why_set(why, why_size, CG__AUDIT_LINE_NOMEM, "out of memory");
        goto out;
    }
    const int canonical = strlen(canon) == len && memcmp(canon, line, len) == 0;
    free(canon);

    char computed[CG_AUDIT_HEX_BYTES];
    if (json_object_del(obj, "hash") != 0 || hash_object(obj, computed) != 0) {
        rc = why_set(why, why_size, CG__AUDIT_LINE_NOMEM, "out of memory");
        goto out;
    }
    if (strcmp(computed, rec->hash) != 0)
        rc = why_set(why, why_size, CG__AUDIT_LINE_BAD_HASH,
                     "hash does not match its content (edited?)");
    else if (!canonical)
        rc = why_set(why, why_size, CG__AUDIT_LINE_NOT_CANON,
                     "not in canonical form (edited?)");
out:
    json_decref(obj);
    return rc;
}

cg_status cg__audit_build(uint64_t seq, int64_t time, const char *kind, const char *actor,
                          const char *subject, json_t *data, const char *prev, char **line_out,
                          size_t *len_out, char hash_out[CG_AUDIT_HEX_BYTES], cg_error *err)
{
    json_t *obj = json_object();
    char *text = NULL;
    cg_status st = CG_OK;

    if (data == NULL)
        data = json_object();
    if (obj == NULL || data == NULL) {
        json_decref(data);
        st = cg__fail(err, CG_E_NOMEM, "audit record: out of memory");
        goto out;
    }
    json_t *js = json_string(actor ? actor : ""), *jsub = json_string(subject ? subject : "");
    if (js == NULL || jsub == NULL) {
        json_decref(js);
        json_decref(jsub);
        json_decref(data);
        st = cg__fail(err, CG_E_INVAL, "audit record: actor or subject is not valid UTF-8");
        goto out;
    }
    if (json_object_set_new(obj, "seq", json_integer((json_int_t)seq)) != 0 ||
        json_object_set_new(obj, "time", json_integer((json_int_t)time)) != 0 ||
        json_object_set_new(obj, "kind", json_string(kind)) != 0 ||
        json_object_set_new(obj, "actor", js) != 0 ||
        json_object_set_new(obj, "subject", jsub) != 0 ||
        json_object_set_new(obj, "data", data) != 0 ||
        json_object_set_new(obj, "prev", json_string(prev)) != 0 ||
        hash_object(obj, hash_out) != 0 ||
        json_object_set_new(obj, "hash", json_string(hash_out)) != 0) {
        st = cg__fail(err, CG_E_NOMEM, "audit record: out of memory");
        goto out;
    }
    text = json_dumps(obj, CG__AUDIT_JSON_FLAGS);
    if (text == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "audit record: out of memory");
        goto out;
    }
    const size_t n = strlen(text);
    if (n + 1 > CG_AUDIT_MAX_LINE) {
        st = cg__fail(err, CG_E_LIMIT, "audit record: %zu bytes, longer than the limit of %u",
                      n + 1, CG_AUDIT_MAX_LINE);
        goto out;
    }
    char *line = cg__malloc(n + 1);
    if (line == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "audit record: out of memory");
        goto out;
    }
    memcpy(line, text, n);
    line[n] = '\n';
    *line_out = line;
    *len_out = n + 1;
out:
    free(text);
    json_decref(obj);
    return st;
}

cg_status cg__audit_open_file(const char *path, int oflags, int *fd_out, cg_error *err)
{
    struct stat sb;
    int fd = open(path, oflags | O_CLOEXEC, 0600);

    if (fd < 0) {
        const int e = errno;
        return cg__fail(err, e == ENOENT ? CG_E_NOTFOUND : e == EISDIR ? CG_E_INVAL : CG_E_IO,
                        "audit log %s: %s", path, strerror(e));
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return cg__fail(err, CG_E_INVAL, "audit log %s: not a regular file", path);
    }
    *fd_out = fd;
    return CG_OK;
}

/* Verifier state between lines. */
typedef struct scan_state {
    cg_audit_report *rep;
    uint64_t line_no;
    uint64_t expect;                 /* the seq the next record must have */
    char tip[CG_AUDIT_HEX_BYTES];    /* the prev the next record must have */
    cg__audit_rec_fn fn;
    void *ctx;
} scan_state;

static void bad(scan_state *s, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(scan_state *s, uint64_t seq, const char *fmt, ...)
{
    va_list ap;

    s->rep->ok = 0;
    s->rep->first_bad_seq = seq;
    s->rep->first_bad_line = s->line_no;
    va_start(ap, fmt);
    vsnprintf(s->rep->reason, sizeof(s->rep->reason), fmt, ap);
    va_end(ap);
}

/* Checks one complete line. Returns 0 to go on, 1 when it was bad (the report says why), -1
 * when out of memory. */
static int scan_line(scan_state *s, const char *line, size_t len, off_t end)
{
    cg__audit_rec r;
    char why[200];
    const uint64_t e = s->expect;

    s->line_no++;
    if (len == 0) {
        bad(s, e, "line %" PRIu64 ": empty line (inserted?)", s->line_no);
        return 1;
    }
    const int rc = cg__audit_check_line(line, len, &r, why, sizeof(why));
    if (rc == CG__AUDIT_LINE_NOMEM)
        return -1;
    if (rc == CG__AUDIT_LINE_NOT_JSON || rc == CG__AUDIT_LINE_NOT_RECORD) {
        bad(s, e, "line %" PRIu64 ": %s", s->line_no, why);
        return 1;
    }
    if (rc != CG__AUDIT_LINE_OK) {
        if (r.seq == e)
            bad(s, e, "record %" PRIu64 ": %s", r.seq, why);
        else
            bad(s, e, "line %" PRIu64 " (claims seq %" PRIu64 "): %s", s->line_no, r.seq, why);
        return 1;
    }
    if (r.anchor) {
        if (s->line_no != 1) {
            bad(s, e, "line %" PRIu64 ": expiry anchor not at the start of the log (inserted?)",
                s->line_no);
            return 1;
        }
        s->rep->expired = r.removed_total;
    } else if (s->line_no == 1 && r.seq != 1) {
        bad(s, 1, "record 1 missing: the log starts at seq %" PRIu64
            " without an expiry anchor (removed?)", r.seq);
        return 1;
    } else if (r.seq > e) {
        bad(s, e, "record %" PRIu64 " missing: seq jumps from %" PRIu64 " to %" PRIu64
            " (removed?)", e, e - 1, r.seq);
        return 1;
    } else if (r.seq < e) {
        bad(s, r.seq, "line %" PRIu64 ": seq %" PRIu64 " after %" PRIu64
            " (reordered or duplicated?)", s->line_no, r.seq, e - 1);
        return 1;
    } else if (strcmp(r.prev, s->tip) != 0) {
        if (e == 1)
            bad(s, r.seq, "line %" PRIu64 ": record 1 has a non-zero prev (inserted?)",
                s->line_no);
        else
            bad(s, r.seq, "line %" PRIu64 ": prev does not match record %" PRIu64
                " (reordered or inserted?)", s->line_no, e - 1);
        return 1;
    }
    if (s->rep->records == 0)
        s->rep->first_seq = r.anchor ? r.seq + 1 : r.seq;
    s->rep->records++;
    s->rep->last_seq = r.seq;
    s->expect = r.seq + 1;
    memcpy(s->tip, cg__audit_tip(&r), CG_AUDIT_HEX_BYTES);
    memcpy(s->rep->last_hash, s->tip, CG_AUDIT_HEX_BYTES);
    if (s->fn != NULL && s->fn(s->ctx, &r, s->line_no, end) != 0)
        return 1;
    return 0;
}

cg_status cg__audit_scan(int fd, const char *path, cg_audit_report *report, cg__audit_rec_fn fn,
                         void *ctx, cg_error *err)
{
    scan_state s;
    char *chunk = cg__malloc(CHUNK), *line = NULL;
    size_t len = 0, cap = 0;
    off_t off = 0;
    cg_status st = CG_OK;
    int stop = 0;

    memset(report, 0, sizeof(*report));
    report->ok = 1;
    memcpy(report->last_hash, zero_hash, CG_AUDIT_HEX_BYTES);
    memset(&s, 0, sizeof(s));
    s.rep = report;
    s.expect = 1;
    s.fn = fn;
    s.ctx = ctx;
    memcpy(s.tip, zero_hash, CG_AUDIT_HEX_BYTES);
    if (chunk == NULL)
        return cg__fail(err, CG_E_NOMEM, "verifying %s: out of memory", path);
    if (lseek(fd, 0, SEEK_SET) != 0) {
        st = cg__fail(err, CG_E_IO, "reading audit log %s: %s", path, strerror(errno));
        goto out;
    }
    while (!stop) {
        const ssize_t n = read(fd, chunk, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = cg__fail(err, CG_E_IO, "reading audit log %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        size_t i = 0;
        while (i < (size_t)n && !stop) {
            const char *nl = memchr(chunk + i, '\n', (size_t)n - i);
            const size_t seg = nl ? (size_t)(nl - (chunk + i)) : (size_t)n - i;
            if (len + seg + 1 > CG_AUDIT_MAX_LINE) {
                s.line_no++;
                bad(&s, s.expect, "line %" PRIu64 ": longer than %u bytes (not a record)",
                    s.line_no, CG_AUDIT_MAX_LINE);
                stop = 1;
                break;
            }
            if (len + seg + 1 > cap) {
                size_t ncap = cap ? cap : 4096;
                while (ncap < len + seg + 1)
                    ncap *= 2;
                char *p = cg__realloc(line, ncap);
                if (p == NULL) {
                    st = cg__fail(err, CG_E_NOMEM, "verifying %s: out of memory", path);
                    goto out;
                }
                line = p;
                cap = ncap;
            }
            memcpy(line + len, chunk + i, seg);
            len += seg;
            i += seg;
            off += (off_t)seg;
            if (nl == NULL)
                break;
            i++;
            off++;
            const int rc = scan_line(&s, line, len, off);
            if (rc < 0) {
                st = cg__fail(err, CG_E_NOMEM, "verifying %s: out of memory", path);
                goto out;
            }
            stop = rc != 0;
            len = 0;
        }
    }
    if (!stop && len > 0) {
        s.line_no++;
        bad(&s, s.expect, "line %" PRIu64 ": last line truncated (no newline)", s.line_no);
    }
out:
    cg__free(line);
    cg__free(chunk);
    return st;
}

cg_status cg_audit_verify(const char *path, cg_audit_report *report, cg_error *err)
{
    int fd;
    cg_status st;

    if (path == NULL || report == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_audit_verify: NULL argument");
    st = cg__audit_open_file(path, O_RDONLY, &fd, err);
    if (st != CG_OK)
        return st;
    /* A shared lock: appenders write whole lines under an exclusive one, so we never see half
     * a record being written. */
    while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
        ;
    st = cg__audit_scan(fd, path, report, NULL, NULL, err);
    close(fd);
    return st;
}
