/* Reading one file and computing its signals (the library's cg_signals_compute): what
 * `childguard hash` and `bank add --files` do for every file, on worker threads. */
#ifndef CG_PROGRAMS_HASHFILE_H
#define CG_PROGRAMS_HASHFILE_H

#include <stddef.h>
#include <stdint.h>

#include "childguard.h"
#include "walk.h"

enum { WANT_PDQ = 1, WANT_MD5 = 2, WANT_SHA256 = 4 };

typedef struct hashfile_opts {
    unsigned types;
    int dihedral;
    /* PDQ of files that are not images (by their magic bytes): 0 = an error, 1 = skip PDQ and
     * still compute the digests asked for (scan), 2 = skip the file when only PDQ is asked and
     * it came from a directory walk (hash). */
    int non_image;
    cg_decode_options decode;
    /* Videos (sniffed by cg_video_sniff after the image formats): 0 = treated as non-images,
     * 1 = hashed with vPDQ using the options below (childguard hash). */
    int videos;
    cg_vpdq_options video;
} hashfile_opts;

typedef struct hashfile_result {
    cg_status status;
    cg_error err;           /* message names the file */
    int skipped;            /* the whole file was skipped (see non_image) */
    double ms_read;
    /* The file's signals (for a video: s.vpdq, s.video_container), freed by
     * hashfile_result_fini. */
    cg_signals s;
} hashfile_result;

/* "-" for standard input, else the path. */
const char *hashfile_display_name(const walk_item *item);

/* Reads one file and computes its signals (cg_signals_compute) into r, with hashers borrowed
 * from pool. */
void hashfile_run(const hashfile_opts *o, const walk_item *item, cg_pdq_hasher_pool *pool,
                  hashfile_result *r);

/* Frees what hashfile_run allocated in r (the vPDQ of a video). Safe to call twice. */
void hashfile_result_fini(hashfile_result *r);

/* Parses a --max-pixels style whole number; prints an error naming cmd and opt on failure. */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);

#endif
