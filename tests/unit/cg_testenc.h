/* Test support: growable byte buffers and in-memory JPEG/PNG encoders (libjpeg, libpng), shared
 * by the unit tests that build their inputs (bad-input corpus, allocation failures). Encoder
 * errors fail the running test. */
#ifndef CG_TESTENC_H
#define CG_TESTENC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* jpeglib.h needs FILE */

#include <jpeglib.h>
#include <png.h>

typedef struct cg_membuf {
    uint8_t *data;
    size_t len;
    size_t cap;
} cg_membuf;

void cg_membuf_append(cg_membuf *b, const void *p, size_t n);
void cg_membuf_free(cg_membuf *b);

/* Encodes w x h pixels of comps components (1 grey, 3 RGB, 4 CMYK) at quality; progressive
 * uses libjpeg's simple progression; scans/nscans (when scans is not NULL) set a custom scan
 * script instead. Appends the file to out. */
void cg_test_encode_jpeg(const uint8_t *pix, int w, int h, int comps, int quality,
                         int progressive, const jpeg_scan_info *scans, int nscans,
                         cg_membuf *out);

/* Encodes 8-bit w x h pixels of a PNG colour type (samples per pixel follow from it; palette
 * images take indices and need palette/npal), Adam7 when interlace, with an optional tRNS
 * (trans/ntrans, palette images). Appends the file to out. */
void cg_test_encode_png(const uint8_t *pix, int w, int h, int color, int interlace,
                        const png_color *palette, int npal, const png_byte *trans, int ntrans,
                        cg_membuf *out);

#endif
