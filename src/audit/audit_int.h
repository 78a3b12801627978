/* Internal: the audit log's record format, shared by the appender (audit.c) and the verifier
 * and expirer (audit_verify.c). docs/audit.md describes the format. */
#ifndef CG_AUDIT_AUDIT_INT_H
#define CG_AUDIT_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "childguard/audit.h"

/* Canonical serialisation: what is hashed and what is written. */
#define CG__AUDIT_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

/* One parsed record line. */
typedef struct cg__audit_rec {
    uint64_t seq;
    int64_t time;
    int anchor;                        /* an expiry anchor (first line after an expiry) */
    uint64_t removed_total;            /* anchors: records removed by expiry so far */
    char kind[40];
    char prev[CG_AUDIT_HEX_BYTES];
    char hash[CG_AUDIT_HEX_BYTES];
} cg__audit_rec;

/* How a line failed cg__audit_check_line. */
enum {
    CG__AUDIT_LINE_OK = 0,
    CG__AUDIT_LINE_NOT_JSON,   /* why says jansson's reason */
    CG__AUDIT_LINE_NOT_RECORD, /* JSON, but a field is missing or of the wrong type */
    CG__AUDIT_LINE_BAD_HASH,   /* the hash does not recompute */
    CG__AUDIT_LINE_NOT_CANON,  /* the hash recomputes, but the bytes are not canonical */
    CG__AUDIT_LINE_NOMEM       /* jansson or OpenSSL failed to allocate */
};

/* Parses and checks one line (without its newline): fields, hash, canonical bytes. Fills rec
 * as far as it could parse (seq is 0 when unknown) and why on failure. */
int cg__audit_check_line(const char *line, size_t len, cg__audit_rec *rec, char *why,
                         size_t why_size);

/* The chain tip a record leaves behind: its hash, or for an anchor the hash it stands for. */
const char *cg__audit_tip(const cg__audit_rec *rec);

/* Builds a record line (newline included) in a new cg__malloc buffer. data is stolen (NULL
 * gives {}). hash_out receives the record's hash. */
cg_status cg__audit_build(uint64_t seq, int64_t time, const char *kind, const char *actor,
                          const char *subject, json_t *data, const char *prev, char **line_out,
                          size_t *len_out, char hash_out[CG_AUDIT_HEX_BYTES], cg_error *err);

/* Called by cg__audit_scan for each good record; end is the file offset just past its line.
 * Returns 0 to go on. */
typedef int (*cg__audit_rec_fn)(void *ctx, const cg__audit_rec *rec, uint64_t line_no,
                                off_t end);

/* Streams the log open on fd (from its start) through the verifier, filling report; calls fn
 * (may be NULL) for every good record until the first bad one. path names the file in errors. */
cg_status cg__audit_scan(int fd, const char *path, cg_audit_report *report, cg__audit_rec_fn fn,
                         void *ctx, cg_error *err);

/* Opens path for reading or writing, refusing what is not a regular file. */
cg_status cg__audit_open_file(const char *path, int oflags, int *fd_out, cg_error *err);

/* Testing hook: records appended through log get time t (unix seconds) instead of the clock;
 * t < 0 goes back to the clock. */
CG_API void cg__audit_set_clock(cg_audit *log, int64_t t);

#endif
