/* Appending to the audit log, checkpoints and expiry (audit.h, docs/audit.md).
 *
 * A handle caches where the chain ends (the last seq and hash, and the file size they were read
 * at). Every append takes an exclusive flock on the file, then checks under the lock that the
 * path still names the file it has open (cg_audit_expire replaces it by rename) and that the
 * size is the cached one; only when another writer appended since does it reread the file's
 * last line (a pread of at most CG_AUDIT_MAX_LINE bytes from the end), never the whole file.
 * The record is written with one write(2) on an O_APPEND descriptor, so readers under the
 * shared lock see whole lines only. */
#include "audit/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"

static const char zero_hash[CG_AUDIT_HEX_BYTES] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct cg_audit {
    char *path;
    int fd;                          /* O_RDWR | O_APPEND */
    unsigned flags;                  /* CG_AUDIT_* */
    off_t size;                      /* file size when seq/tip were read; -1: unknown */
    uint64_t seq;                    /* seq of the last record, 0 for an empty log */
    char tip[CG_AUDIT_HEX_BYTES];    /* the hash the next record's prev must carry */
    int64_t clock;                   /* testing: fixed time, or -1 for the clock */
};

void cg__audit_set_clock(cg_audit *log, int64_t t)
{
    if (log != NULL)
        log->clock = t;
}

static int64_t now(const cg_audit *log)
{
    return log != NULL && log->clock >= 0 ? log->clock : (int64_t)time(NULL);
}

static void lock_fd(int fd, int how)
{
    while (flock(fd, how) != 0 && errno == EINTR)
        ;
}

static int valid_kind(const char *k)
{
    size_t n = 0;

    if (k == NULL)
        return 0;
    for (; k[n] != '\0'; n++)
        if (!((k[n] >= 'a' && k[n] <= 'z') || (k[n] >= '0' && k[n] <= '9') || k[n] == '_'))
            return 0;
    return n >= 1 && n <= 32;
}

/* Reads the last line of the file open on fd (size bytes long) into *seq and tip. */
static cg_status read_tail(int fd, const char *path, off_t size, uint64_t *seq, char *tip,
                           cg_error *err)
{
    if (size == 0) {
        *seq = 0;
        memcpy(tip, zero_hash, CG_AUDIT_HEX_BYTES);
        return CG_OK;
    }
    const size_t want = (uint64_t)size < CG_AUDIT_MAX_LINE + 1u ? (size_t)size
                                                                 : CG_AUDIT_MAX_LINE + 1u;
    char *buf = cg__malloc(want);
    cg_status st = CG_OK;
    size_t got = 0;

    if (buf == NULL)
        return cg__fail(err, CG_E_NOMEM, "audit log %s: out of memory", path);
    while (got < want) {
        const ssize_t n = pread(fd, buf + got, want - got, size - (off_t)want + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            st = cg__fail(err, CG_E_IO, "reading audit log %s: %s", path,
                          n < 0 ? strerror(errno) : "file shrank while reading");
            goto out;
        }
        got += (size_t)n;
    }
    if (buf[want - 1] != '\n') {
        st = cg__fail(err, CG_E_DECODE,
                      "audit log %s: last line truncated (no newline); run 'childguard audit "
                      "verify'", path);
        goto out;
    }
    size_t start = want - 1;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    if (start == 0 && (uint64_t)want < (uint64_t)size) {
        st = cg__fail(err, CG_E_DECODE, "audit log %s: last line longer than %u bytes", path,
                      CG_AUDIT_MAX_LINE);
        goto out;
    }
    cg__audit_rec r;
    char why[200];
    const int rc = cg__audit_check_line(buf + start, want - 1 - start, &r, why, sizeof(why));
    if (rc == CG__AUDIT_LINE_NOMEM) {
        st = cg__fail(err, CG_E_NOMEM, "audit log %s: out of memory", path);
    } else if (rc != CG__AUDIT_LINE_OK) {
        st = cg__fail(err, CG_E_DECODE, "audit log %s: last line: %s; run 'childguard audit "
                      "verify'", path, why);
    } else {
        *seq = r.seq;
        memcpy(tip, cg__audit_tip(&r), CG_AUDIT_HEX_BYTES);
    }
out:
    cg__free(buf);
    return st;
}

cg_status cg_audit_open(const char *path, unsigned flags, cg_audit **out, cg_error *err)
{
    cg_audit *log;
    cg_status st;

    if (out == NULL || path == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_audit_open: NULL argument");
    *out = NULL;
    if ((flags & ~(unsigned)(CG_AUDIT_CREATE | CG_AUDIT_FSYNC)) != 0)
        return cg__fail(err, CG_E_INVAL, "cg_audit_open: unknown flags 0x%x", flags);
    log = cg__calloc(1, sizeof(*log));
    if (log == NULL || (log->path = cg__strdup(path)) == NULL) {
        cg__free(log);
        return cg__fail(err, CG_E_NOMEM, "audit log %s: out of memory", path);
    }
    log->fd = -1;
    log->flags = flags;
    log->size = -1;
    log->clock = -1;
    st = cg__audit_open_file(path, O_RDWR | O_APPEND | ((flags & CG_AUDIT_CREATE) ? O_CREAT : 0),
                             &log->fd, err);
    if (st == CG_OK)
        st = cg_audit_checkpoint(log, NULL, NULL, err);
    if (st != CG_OK) {
        cg_audit_close(log);
        return st;
    }
    *out = log;
    return CG_OK;
}

void cg_audit_close(cg_audit *log)
{
    if (log == NULL)
        return;
    if (log->fd >= 0)
        close(log->fd);
    cg__free(log->path);
    cg__free(log);
}

/* Takes the exclusive lock on the file the path names now (reopening it when an expiry
 * replaced it) and brings seq/tip up to date. On failure the lock is not held. */
static cg_status lock_current(cg_audit *log, cg_error *err)
{
    struct stat a, b;

    for (int tries = 0;; tries++) {
        lock_fd(log->fd, LOCK_EX);
        if (fstat(log->fd, &a) != 0) {
            lock_fd(log->fd, LOCK_UN);
            return cg__fail(err, CG_E_IO, "audit log %s: %s", log->path, strerror(errno));
        }
        if (stat(log->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            break;
        /* Replaced (expiry) or removed since we opened it: follow the path. */
        lock_fd(log->fd, LOCK_UN);
        int fd;
        cg_status st = cg__audit_open_file(log->path, O_RDWR | O_APPEND, &fd, err);
        if (st != CG_OK)
            return st;
        close(log->fd);
        log->fd = fd;
        log->size = -1;
        if (tries > 100)
            return cg__fail(err, CG_E_IO, "audit log %s: keeps being replaced", log->path);
    }
    if (a.st_size != log->size) {
        cg_status st = read_tail(log->fd, log->path, a.st_size, &log->seq, log->tip, err);
        if (st != CG_OK) {
            lock_fd(log->fd, LOCK_UN);
            log->size = -1;
            return st;
        }
        log->size = a.st_size;
    }
    return CG_OK;
}

/* Writes one line at the end of the locked file, undoing a partial write. */
static cg_status write_line(cg_audit *log, const char *line, size_t len, cg_error *err)
{
    ssize_t n;

    do
        n = write(log->fd, line, len);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len) {
        const int e = n < 0 ? errno : ENOSPC;
        if (n > 0 && ftruncate(log->fd, log->size) != 0)
            log->size = -1;
        return cg__fail(err, CG_E_IO, "writing audit log %s: %s", log->path, strerror(e));
    }
    if ((log->flags & CG_AUDIT_FSYNC) && fsync(log->fd) != 0)
        return cg__fail(err, CG_E_IO, "syncing audit log %s: %s", log->path, strerror(errno));
    return CG_OK;
}

cg_status cg_audit_append(cg_audit *log, const char *kind, const char *actor,
                          const char *subject, const char *json_data_text, uint64_t *seq_out,
                          cg_error *err)
{
    json_t *data = NULL;
    char *line = NULL, hash[CG_AUDIT_HEX_BYTES];
    size_t len = 0;
    cg_status st;

    if (log == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_audit_append: NULL log");
    if (!valid_kind(kind))
        return cg__fail(err, CG_E_INVAL, "audit record: kind '%s' is not 1-32 of [a-z0-9_]",
                        kind ? kind : "(null)");
    if (json_data_text != NULL) {
        json_error_t jerr;
        data = json_loads(json_data_text, JSON_REJECT_DUPLICATES, &jerr);
        if (data == NULL)
            return cg__fail(err, CG_E_INVAL, "audit record data: not valid JSON (%s)",
                            jerr.text);
        if (!json_is_object(data)) {
            json_decref(data);
            return cg__fail(err, CG_E_INVAL, "audit record data: not a JSON object");
        }
    }
    st = lock_current(log, err);
    if (st != CG_OK) {
        json_decref(data);
        return st;
    }
    st = cg__audit_build(log->seq + 1, now(log), kind, actor, subject, data, log->tip, &line,
                         &len, hash, err);
    if (st == CG_OK)
        st = write_line(log, line, len, err);
    if (st == CG_OK) {
        log->seq++;
        memcpy(log->tip, hash, CG_AUDIT_HEX_BYTES);
        log->size += (off_t)len;
        if (seq_out != NULL)
            *seq_out = log->seq;
    }
    lock_fd(log->fd, LOCK_UN);
    cg__free(line);
    return st;
}

cg_status cg_audit_checkpoint(cg_audit *log, char hex_out[CG_AUDIT_HEX_BYTES], uint64_t *seq_out,
                              cg_error *err)
{
    if (log == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_audit_checkpoint: NULL log");
    cg_status st = lock_current(log, err);
    if (st != CG_OK)
        return st;
    if (hex_out != NULL)
        memcpy(hex_out, log->tip, CG_AUDIT_HEX_BYTES);
    if (seq_out != NULL)
        *seq_out = log->seq;
    lock_fd(log->fd, LOCK_UN);
    return CG_OK;
}

/* ---- expiry ---------------------------------------------------------------------------- */

typedef struct expire_ctx {
    int64_t cutoff;
    int prefix_done;                 /* met a record not older than the cut-off */
    uint64_t removed;                /* records in the removed prefix */
    uint64_t prev_total;             /* removed_total of the old anchor, if any */
    uint64_t first_seq, last_seq;    /* of the removed records */
    char last_hash[CG_AUDIT_HEX_BYTES];
    off_t cut;                       /* file offset just past the removed prefix */
} expire_ctx;

static int expire_rec(void *vctx, const cg__audit_rec *r, uint64_t line_no, off_t end)
{
    expire_ctx *c = vctx;

    (void)line_no;
    if (c->prefix_done)
        return 0;
    if (r->anchor) {
        /* The old anchor goes along with the first removed record; its time is the time of
         * the previous expiry, not of a record, so it does not end the prefix. */
        c->prev_total = r->removed_total;
        return 0;
    }
    if (r->time >= c->cutoff) {
        c->prefix_done = 1;
        return 0;
    }
    if (c->removed == 0)
        c->first_seq = r->seq;
    c->removed++;
    c->last_seq = r->seq;
    memcpy(c->last_hash, r->hash, CG_AUDIT_HEX_BYTES);
    c->cut = end;
    return 0;
}

static cg_status write_all(int fd, const char *buf, size_t len, const char *what, cg_error *err)
{
    while (len > 0) {
        const ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cg__fail(err, CG_E_IO, "writing %s: %s", what,
                            n < 0 ? strerror(errno) : "no progress");
        buf += n;
        len -= (size_t)n;
    }
    return CG_OK;
}

/* Copies [from, to) of in to the end of out. */
static cg_status copy_range(int in, off_t from, off_t to, int out, const char *what,
                            cg_error *err)
{
    const size_t bufsize = 64 * 1024;
    char *buf = cg__malloc(bufsize);
    cg_status st = CG_OK;

    if (buf == NULL)
        return cg__fail(err, CG_E_NOMEM, "expiring %s: out of memory", what);
    while (from < to && st == CG_OK) {
        const size_t want = (uint64_t)(to - from) < bufsize ? (size_t)(to - from) : bufsize;
        const ssize_t n = pread(in, buf, want, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            st = cg__fail(err, CG_E_IO, "reading %s: %s", what,
                          n < 0 ? strerror(errno) : "file shrank");
            break;
        }
        st = write_all(out, buf, (size_t)n, what, err);
        from += n;
    }
    cg__free(buf);
    return st;
}

static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Builds the data object of an expiry record. */
static json_t *expiry_data(const expire_ctx *c, int anchor)
{
    json_t *d = json_object();

    if (d == NULL)
        return NULL;
    if ((anchor && json_object_set_new(d, "anchor", json_true()) != 0) ||
        json_object_set_new(d, "cutoff", json_integer((json_int_t)c->cutoff)) != 0 ||
        json_object_set_new(d, "removed", json_integer((json_int_t)c->removed)) != 0 ||
        json_object_set_new(d, "removed_total",
                            json_integer((json_int_t)(c->prev_total + c->removed))) != 0 ||
        (c->removed > 0 &&
         (json_object_set_new(d, "first_removed_seq", json_integer((json_int_t)c->first_seq)) ||
          json_object_set_new(d, "last_removed_seq", json_integer((json_int_t)c->last_seq)) ||
          json_object_set_new(d, "last_removed_hash", json_string(c->last_hash))))) {
        json_decref(d);
        return NULL;
    }
    return d;
}

cg_status cg_audit_expire(const char *path, int64_t older_than, const char *actor,
                          uint64_t *removed_out, cg_error *err)
{
    cg_audit_report rep;
    expire_ctx c;
    struct stat a, b;
    int fd = -1, tmp = -1;
    char *tmp_path = NULL, *line = NULL, hash[CG_AUDIT_HEX_BYTES];
    size_t len = 0;
    cg_status st;
    const int64_t t = (int64_t)time(NULL);

    if (path == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_audit_expire: NULL path");
    /* Lock the file the path names (an expiry running at the same time may replace it). */
    for (int tries = 0;; tries++) {
        st = cg__audit_open_file(path, O_RDWR, &fd, err);
        if (st != CG_OK)
            return st;
        lock_fd(fd, LOCK_EX);
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            break;
        close(fd);
        fd = -1;
        if (tries > 100)
            return cg__fail(err, CG_E_IO, "audit log %s: keeps being replaced", path);
    }
    memset(&c, 0, sizeof(c));
    c.cutoff = older_than;
    st = cg__audit_scan(fd, path, &rep, expire_rec, &c, err);
    if (st != CG_OK)
        goto out;
    if (!rep.ok) {
        st = cg__fail(err, CG_E_DECODE, "audit log %s does not verify (%s); not expiring", path,
                      rep.reason);
        goto out;
    }
    if (c.removed == 0) {
        /* Nothing to remove: the run is still audited, at the end of the chain. */
        st = cg__audit_build(rep.last_seq + 1, t, "expiry", actor, "audit log",
                             expiry_data(&c, 0), rep.last_hash, &line, &len, hash, err);
        if (st == CG_OK && lseek(fd, 0, SEEK_END) < 0)
            st = cg__fail(err, CG_E_IO, "audit log %s: %s", path, strerror(errno));
        if (st == CG_OK)
            st = write_all(fd, line, len, path, err);
        if (st == CG_OK && fsync(fd) != 0)
            st = cg__fail(err, CG_E_IO, "syncing audit log %s: %s", path, strerror(errno));
        goto out;
    }

    /* Rewrite: anchor, the kept records byte for byte, then the chained expiry record. */
    const size_t plen = strlen(path);
    tmp_path = cg__malloc(plen + sizeof(".expire-tmp"));
    if (tmp_path == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "expiring %s: out of memory", path);
        goto out;
    }
    memcpy(tmp_path, path, plen);
    memcpy(tmp_path + plen, ".expire-tmp", sizeof(".expire-tmp"));
    tmp = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (tmp < 0) {
        st = cg__fail(err, CG_E_IO, "expiring %s: %s: %s", path, tmp_path, strerror(errno));
        goto out;
    }
    st = cg__audit_build(c.last_seq, t, "expiry", actor, "audit log", expiry_data(&c, 1),
                         c.last_hash, &line, &len, hash, err);
    if (st == CG_OK)
        st = write_all(tmp, line, len, tmp_path, err);
    if (st == CG_OK)
        st = copy_range(fd, c.cut, a.st_size, tmp, tmp_path, err);
    cg__free(line);
    line = NULL;
    if (st == CG_OK)
        st = cg__audit_build(rep.last_seq + 1, t, "expiry", actor, "audit log",
                             expiry_data(&c, 0), rep.last_hash, &line, &len, hash, err);
    if (st == CG_OK)
        st = write_all(tmp, line, len, tmp_path, err);
    if (st == CG_OK && (fchmod(tmp, a.st_mode & 07777) != 0 || fsync(tmp) != 0))
        st = cg__fail(err, CG_E_IO, "expiring %s: %s: %s", path, tmp_path, strerror(errno));
    if (st == CG_OK && rename(tmp_path, path) != 0)
        st = cg__fail(err, CG_E_IO, "expiring %s: rename: %s", path, strerror(errno));
    if (st == CG_OK)
        sync_dir(path);
out:
    if (tmp >= 0) {
        close(tmp);
        if (st != CG_OK)
            unlink(tmp_path);
    }
    if (st == CG_OK && removed_out != NULL)
        *removed_out = c.removed;
    cg__free(line);
    cg__free(tmp_path);
    if (fd >= 0)
        close(fd); /* releases the lock; waiting appenders then see the new file */
    return st;
}
