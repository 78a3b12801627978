/* Reading, decoding and hashing one file: what `childguard hash` and `childguard scan` both do
 * for every file, on worker threads. */
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
    int has_pdq;            /* PDQ computed (an image) */
    size_t bytes;
    cg_pdq_result pdq;
    cg_digests digests;
    cg_image_format format;
    uint32_t width, height, source_width, source_height, channels;
    int exif_orientation, has_alpha, bit_depth, frame_count;
    double ms_read, ms_decode, ms_hash, ms_digest;
    /* A video: vpdq is set (free with hashfile_result_fini), video_container names it. */
    cg_vpdq *vpdq;
    const char *video_container;
} hashfile_result;

/* "-" for standard input, else the path. */
const char *hashfile_display_name(const walk_item *item);

/* Hashes one file with hasher (owned by the calling thread) into r. */
void hashfile_run(const hashfile_opts *o, const walk_item *item, cg_pdq_hasher *hasher,
                  hashfile_result *r);

/* Frees what hashfile_run allocated in r (the vPDQ of a video). Safe to call twice. */
void hashfile_result_fini(hashfile_result *r);

/* Lowercase hex of a 16- or 32-byte digest into out (2n + 1 bytes), by the signal types. */
void hashfile_hex(const uint8_t *b, size_t n, char *out);

/* Parses a --max-pixels style whole number; prints an error naming cmd and opt on failure. */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);

#endif
