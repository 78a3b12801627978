/* Test support: buffers and encoders (cg_testenc.h). */
#include "cg_testenc.h"

#include <stdlib.h>
#include <string.h>

#include "cg_test.h"

void cg_membuf_append(cg_membuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *d;

        while (cap < b->len + n)
            cap *= 2;
        d = realloc(b->data, cap);
        if (d == NULL)
            cg_test_fail(__FILE__, __LINE__, "out of memory growing a buffer to %zu", cap);
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void cg_membuf_free(cg_membuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static void jpeg_fatal(j_common_ptr cinfo)
{
    char msg[JMSG_LENGTH_MAX];

    cinfo->err->format_message(cinfo, msg);
    cg_test_fail(__FILE__, __LINE__, "libjpeg encoder: %s", msg);
}

void cg_test_encode_jpeg(const uint8_t *pix, int w, int h, int comps, int quality,
                         int progressive, const jpeg_scan_info *scans, int nscans,
                         cg_membuf *out)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    unsigned long size = 0;

    cinfo.err = jpeg_std_error(&jerr);
    jerr.error_exit = jpeg_fatal;
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buf, &size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = comps;
    cinfo.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&cinfo);
    if (scans != NULL) {
        cinfo.scan_info = scans;
        cinfo.num_scans = nscans;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pix + (size_t)cinfo.next_scanline * w * comps);

        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    cg_membuf_append(out, buf, size);
    free(buf);
}

static void png_fatal(png_structp png, png_const_charp msg)
{
    (void)png;
    cg_test_fail(__FILE__, __LINE__, "libpng encoder: %s", msg);
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    cg_membuf_append(png_get_io_ptr(png), data, n);
}

static void png_flush_cb(png_structp png)
{
    (void)png;
}

void cg_test_encode_png(const uint8_t *pix, int w, int h, int color, int interlace,
                        const png_color *palette, int npal, const png_byte *trans, int ntrans,
                        cg_membuf *out)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fatal, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    const int comps = color == PNG_COLOR_TYPE_RGB_ALPHA    ? 4
                      : color == PNG_COLOR_TYPE_RGB        ? 3
                      : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                                           : 1;

    CG_ASSERT(info != NULL);
    png_set_write_fn(png, out, png_write_cb, png_flush_cb);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, color,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette != NULL)
        png_set_PLTE(png, info, palette, npal);
    if (trans != NULL)
        png_set_tRNS(png, info, trans, ntrans, NULL);
    png_write_info(png, info);
    for (int pass = png_set_interlace_handling(png); pass > 0; pass--)
        for (int y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)(pix + (size_t)y * w * comps));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
}
