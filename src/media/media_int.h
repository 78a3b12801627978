/* Internal interface between the image front door (image.c) and the per-format decoders.
 *
 * Every decoder:
 *   - reads only data[0..len) and never trusts a size it reads from the file;
 *   - checks the header's dimensions with cg__image_check_size before allocating pixels;
 *   - allocates the result with cg__image_new, fills width * height * channels bytes
 *     (channels 1 for grey sources, else 3; alpha dropped, the RGB under it kept);
 *   - on failure frees everything, leaves *out NULL and fills err through cg__fail with a
 *     message that does NOT name the file (image.c prefixes the path).
 * A decoder for a library this build lacks returns CG_E_UNSUPPORTED. */
#ifndef CG_MEDIA_INT_H
#define CG_MEDIA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/image.h"
#include "common/error.h"

/* CG_E_LIMIT with a clear message when w x h breaks lim (or either is 0: CG_E_DECODE). */
cg_status cg__image_check_size(uint64_t w, uint64_t h, const cg_image_limits *lim, cg_error *err);

/* Checks the size as above, then allocates an image with an uninitialised pixel buffer of
 * w * h * channels bytes; sets width, height, channels, source size = w x h, format,
 * frame_count = 1, bit_depth = 8. */
cg_status cg__image_new(uint32_t w, uint32_t h, uint32_t channels, cg_image_format fmt,
                        const cg_image_limits *lim, cg_image **out, cg_error *err);

/* Turns an RGB image whose pixels all have R == G == B into a 1-channel image in place, as
 * ImageMagick does when it writes PNM (it writes such images as greyscale), so the luma the
 * hash sees is the grey value itself. */
void cg__image_collapse_grey(cg_image *img);

/* EXIF orientation (1..8) of a TIFF-structured EXIF block (starting with "Exif\0\0" or with
 * the TIFF header), or 0 when absent or unreadable. Uses libexif. */
int cg__exif_orientation(const uint8_t *data, size_t len);

cg_status cg__decode_jpeg(const uint8_t *data, size_t len, const cg_decode_options *opt,
                          cg_image **out, cg_error *err);
cg_status cg__decode_png(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err);
cg_status cg__decode_webp(const uint8_t *data, size_t len, const cg_decode_options *opt,
                          cg_image **out, cg_error *err);
cg_status cg__decode_gif(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err);
/* HEIF, HEIC and AVIF; fmt says which the sniffer saw. */
cg_status cg__decode_heif(const uint8_t *data, size_t len, cg_image_format fmt,
                          const cg_decode_options *opt, cg_image **out, cg_error *err);
cg_status cg__decode_bmp(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err);

#endif
