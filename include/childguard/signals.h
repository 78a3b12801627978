/* childguard: a content's signals, computed by one call: sniff (magic bytes) → decode (bounded)
 * → PDQ for images, vPDQ for videos → MD5 / SHA-256 of the bytes. Every front end (`childguard
 * hash`, `bank add --files`, the engine's scan, the HTTP server) computes signals through
 * cg_signals_compute, so a file hashes the same whichever way it came in.
 *
 * Threading: cg_signals_compute is thread-safe when each thread has its own cg_signals; the
 * hasher pool it borrows from is thread-safe. */
#ifndef CHILDGUARD_SIGNALS_H
#define CHILDGUARD_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "export.h"
#include "image.h"
#include "pdq.h"
#include "status.h"
#include "vpdq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to compute (cg_signals_options.want). */
#define CG_SIGNALS_PDQ 1u        /* images: decode + PDQ */
#define CG_SIGNALS_MD5 2u        /* the bytes' MD5 */
#define CG_SIGNALS_SHA256 4u     /* the bytes' SHA-256 */
#define CG_SIGNALS_VIDEO 8u      /* videos (sniffed after the image formats): vPDQ */
#define CG_SIGNALS_ANIMATION 16u /* an animated GIF: vPDQ of its frames besides the first's PDQ */
#define CG_SIGNALS_KEEP_IMAGE 32u /* keep the decoded image in cg_signals.image */

typedef struct cg_signals_options {
    unsigned want;               /* CG_SIGNALS_* bits */
    int dihedral;                /* PDQ: also the 8 dihedral variants */
    cg_decode_options decode;    /* image limits (max_file_bytes is not checked here) */
    cg_vpdq_options video;       /* vPDQ sampling and limits */
    const char *name;            /* names the content in vPDQ error messages; may be NULL */
} cg_signals_options;

typedef struct cg_signals {
    size_t bytes;                /* length of the content */
    int has_digests;             /* digests holds what was asked for */
    cg_digests digests;
    cg_image_format format;      /* sniffed image format, CG_FORMAT_UNKNOWN when not an image */
    const char *video_container; /* sniffed video container (a static string), else NULL */
    int has_pdq;                 /* pdq holds the image's PDQ */
    cg_pdq_result pdq;
    cg_vpdq *vpdq;               /* a video's (or an animation's) frame hashes; owned */
    cg_image *image;             /* with CG_SIGNALS_KEEP_IMAGE: the decoded image; owned */
    /* Facts about the decoded image (or the video's frames). */
    uint32_t width, height, source_width, source_height, channels;
    int exif_orientation, has_alpha, bit_depth, frame_count;
    /* Not CG_OK when an image or video could not be decoded (or PDQ was asked for bytes that
     * are neither): the digests still stand; decode_error says why (a video's message names
     * the content through options.name, an image's does not). */
    cg_status decode_status;
    cg_error decode_error;
    double digest_ms, decode_ms, hash_ms; /* time spent, monotonic clock */
} cg_signals;

/* want = PDQ | MD5 | SHA-256, no dihedral, default decoding and vPDQ options. */
CG_API void cg_signals_options_default(cg_signals_options *o);

/* Computes the signals of len bytes at data (borrowed) into out, borrowing a PDQ hasher from
 * pool (needed when PDQ or vPDQ is asked for). A content that cannot be decoded is not a
 * failure: see decode_status. Returns CG_E_INVAL on bad arguments and CG_E_NOMEM (or the
 * hasher's failure) when the signals cannot be computed; err then says why. Free out with
 * cg_signals_fini, whatever the result. */
CG_API cg_status cg_signals_compute(const uint8_t *data, size_t len, const cg_signals_options *o,
                                    cg_pdq_hasher_pool *pool, cg_signals *out, cg_error *err);

/* Frees what out holds (vPDQ, kept image) and zeroes it. Safe to call twice. */
CG_API void cg_signals_fini(cg_signals *s);

#ifdef __cplusplus
}
#endif
#endif
