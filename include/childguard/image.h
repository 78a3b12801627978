/* childguard: image sniffing and bounded decoding (JPEG, PNG, WebP, GIF, HEIF/AVIF, BMP).
 *
 * Decoding follows what Meta's reference PDQ hasher sees through ImageMagick, so hashes are
 * bit-identical: libjpeg-turbo and libpng with default settings, alpha dropped (the RGB stored
 * under transparent pixels is kept), grey images kept as one channel, EXIF orientation reported
 * but not applied. Limits are checked from the header before any pixel buffer is allocated.
 *
 * Threading: every function is thread-safe; a cg_image is plain data owned by its caller. */
#ifndef CHILDGUARD_IMAGE_H
#define CHILDGUARD_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cg_image_format {
    CG_FORMAT_UNKNOWN = 0,
    CG_FORMAT_JPEG,
    CG_FORMAT_PNG,
    CG_FORMAT_WEBP,
    CG_FORMAT_GIF,
    CG_FORMAT_HEIF, /* HEIC and other HEIF brands */
    CG_FORMAT_AVIF,
    CG_FORMAT_BMP
} cg_image_format;

/* Limits applied before allocation. Zero in a field means "no limit" for that field. */
typedef struct cg_image_limits {
    uint64_t max_pixels;     /* width * height; default 100,000,000 */
    uint64_t max_file_bytes; /* encoded size; default 256 MiB */
    uint32_t max_side;       /* either dimension; default 65,535 */
} cg_image_limits;

typedef struct cg_decode_options {
    cg_image_limits limits;
    /* 0: decode at full size (the exact mode). N > 0: JPEG only, let libjpeg-turbo scale in the
     * DCT domain to the smallest size whose both sides are >= N (the --fast mode). Other
     * formats ignore it. */
    uint32_t min_side;
} cg_decode_options;

/* A decoded image: 8-bit samples, row-major, rows of width * channels bytes, no padding. */
typedef struct cg_image {
    uint32_t width;
    uint32_t height;
    uint32_t channels;        /* 1 (grey) or 3 (RGB); alpha is always dropped */
    uint8_t *pixels;
    cg_image_format format;
    uint32_t source_width;    /* size stored in the file (differs from width after scaling) */
    uint32_t source_height;
    int exif_orientation;     /* 1..8 from EXIF, 0 when the file has none */
    int has_alpha;            /* the file had an alpha channel (dropped here) */
    int bit_depth;            /* bits per sample in the file (8 or 16; 1..8 for palettes) */
    int frame_count;          /* frames in an animation (only the first is decoded), else 1 */
} cg_image;

/* Fills lim with the defaults documented on cg_image_limits. */
CG_API void cg_image_limits_default(cg_image_limits *lim);

/* Fills opt with default limits and exact (full-size) decoding. */
CG_API void cg_decode_options_default(cg_decode_options *opt);

/* Guesses the format from the first bytes (magic numbers, never a file name). 16 bytes are
 * enough for every supported format; returns CG_FORMAT_UNKNOWN when nothing matches. */
CG_API cg_image_format cg_image_sniff(const uint8_t *data, size_t len);

/* "jpeg", "png", "webp", "gif", "heif", "avif", "bmp" or "unknown". */
CG_API const char *cg_image_format_name(cg_image_format f);

/* Decodes an image held in memory. data is borrowed for the call. On success *out is a new
 * image to free with cg_image_destroy. On failure *out is NULL and err (optional) says why:
 * CG_E_DECODE (corrupt, truncated), CG_E_LIMIT (too large), CG_E_UNSUPPORTED (unknown format or
 * a format this build lacks), CG_E_NOMEM. opt may be NULL for the defaults. */
CG_API cg_status cg_image_decode_mem(const uint8_t *data, size_t len, const cg_decode_options *opt,
                                     cg_image **out, cg_error *err);

/* Reads path (bounded by opt->limits.max_file_bytes) and decodes it as cg_image_decode_mem does;
 * error messages name the path. */
CG_API cg_status cg_image_decode_file(const char *path, const cg_decode_options *opt,
                                      cg_image **out, cg_error *err);

/* Frees an image and its pixels. NULL is a no-op. */
CG_API void cg_image_destroy(cg_image *img);

/* A reduced, safer view of pixels (rgb: width x height, channels 1 or 3, row-major, borrowed for
 * the call): greyscale, downscaled so the longer side is at most max_side (0: 256, at most
 * 1024) and blurred with a box blur of radius blur_radius (0: max_side / 16; -1: no blur),
 * encoded as PGM (portable greymap, no metadata). On success *out (cg_free) and *out_len hold
 * the PGM; on failure they are NULL and 0. Reviewers' previews (cg_review_preview) are made
 * with it. Thread-safe: a pure function. */
CG_API cg_status cg_image_preview(const uint8_t *rgb, int width, int height, int channels,
                                  int max_side, int blur_radius, uint8_t **out, size_t *out_len,
                                  cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
