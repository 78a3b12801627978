/* Internal: what the package files share (docs/exchange.md, "Signed packages"). */
#ifndef CG_EXCHANGE_PACKAGE_INT_H
#define CG_EXCHANGE_PACKAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/package.h"

#define CG_PACKAGE_MANIFEST_MAX (1u << 20)
#define CG_PACKAGE_SIG_MAX (64u << 10)
#define CG_PACKAGE_PAYLOAD_MAX ((uint64_t)1 << 30)
#define CG_PACKAGE_LINE_MAX 4096

/* One payload line. */
typedef struct cg__package_line {
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    char external_id[CG_BANK_FIELD_MAX + 1];
    char note[CG_BANK_TEXT_MAX + 1];
    int64_t until;   /* disables: unix seconds, INT64_MAX when absent (until enabled) */
} cg__package_line;

/* Parses one line of a payload of kind (unknown keys refused). CG_E_INVAL with why filled. */
cg_status cg__package_line_parse(cg_package_kind kind, const char *line, size_t len,
                                 cg__package_line *out, char *why, size_t cap);

/* Calls fn for each non-empty line of buf (line numbers from 1); a non-OK return stops and is
 * returned. */
cg_status cg__package_each_line(const char *buf, size_t len,
                                cg_status (*fn)(const char *line, size_t n, uint64_t lineno,
                                                void *ud),
                                void *ud);

/* A verified package held in memory: the payloads are the bytes that were checked. */
typedef struct cg__package {
    cg_package_manifest m;
    uint8_t key_id[8];
    uint8_t *payload[CG_PACKAGE_MAX_FILES]; /* by file index of m.files */
    size_t payload_len[CG_PACKAGE_MAX_FILES];
} cg__package;

cg_status cg__package_open(const char *dir, const cg_package_trust *trust, cg__package *out,
                           cg_error *err);

/* Where a package's files come from (a directory, a tar in memory): read gives a copy of the
 * file called file (cg__free) of at most max bytes, CG_E_NOTFOUND when the package has none. */
typedef struct cg__package_source {
    const char *name; /* names the package in errors: a directory, a tar, a URL */
    cg_status (*read)(void *ud, const char *file, uint64_t max, uint8_t **buf, size_t *len,
                      cg_error *err);
    void *ud;
} cg__package_source;

/* cg__package_open for any source: the same checks, in the same order. */
cg_status cg__package_open_source(const cg__package_source *src, const cg_package_trust *trust,
                                  cg__package *out, cg_error *err);

/* A ustar/pax archive held in memory (package_tar.c): the package's regular files, found by
 * name. */
typedef struct cg__package_tar {
    const char *name;                    /* names the archive in errors */
    const uint8_t *data[5];              /* by cg__package_tar_files order; NULL: absent */
    size_t len[5];
} cg__package_tar;
/* The five names a package may hold, in the order of cg__package_tar's arrays. */
extern const char *const cg__package_tar_files[5];
/* Indexes the archive buf (len bytes, borrowed; it must outlive *out). Members may be named
 * "F", "./F" or "DIR/F" for the five package files; directories and pax headers are skipped;
 * any other member (another name, a link, a device, a file twice) is CG_E_INVAL, a cut archive
 * (a member running past the end, no end-of-archive block) or a bad header checksum
 * CG_E_DECODE, each naming the archive. */
cg_status cg__package_tar_index(const char *name, const uint8_t *buf, size_t len,
                                cg__package_tar *out, cg_error *err);
/* A source reading from an indexed archive (ud: the cg__package_tar). */
cg_status cg__package_tar_read(void *ud, const char *file, uint64_t max, uint8_t **buf,
                               size_t *len, cg_error *err);
void cg__package_close(cg__package *p);

/* The last sequence imported from key_id (0: none) in the trust's state file. */
cg_status cg__package_state_get(const cg_package_trust *trust, const uint8_t key_id[8],
                                int64_t *out, cg_error *err);
/* Records seq for key_id (never lowers it), replacing the state file atomically under a lock. */
cg_status cg__package_state_put(const cg_package_trust *trust, const uint8_t key_id[8],
                                int64_t seq, cg_error *err);

/* Writes data to path atomically (a temporary file beside it, fsync, rename, fsync of the
 * directory). */
cg_status cg__package_write_atomic(const char *path, const void *data, size_t len,
                                   cg_error *err);

#endif
