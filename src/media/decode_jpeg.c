/* JPEG through libjpeg-turbo, configured as ImageMagick 6 reads it for the reference PDQ hasher
 * (so that the same file gives the same pixels): see decode settings below. Progressive and
 * CMYK/YCCK files are supported; EXIF orientation is read from APP1 and reported. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "common/alloc.h"
#include "media/media_int.h"

/* A progressive JPEG can hold thousands of tiny scans, each making the decoder walk the whole
 * coefficient buffer: a CPU bomb in a small file. libjpeg-turbo's own tools cap scans too. */
#define MAX_SCANS 500

typedef struct jpeg_err {
    struct jpeg_error_mgr mgr; /* must be first: libjpeg casts back to it */
    jmp_buf jmp;
    char message[JMSG_LENGTH_MAX];
    int truncated;             /* libjpeg warned that data ended early */
} jpeg_err;

typedef struct jpeg_progress {
    struct jpeg_progress_mgr mgr; /* must be first */
} jpeg_progress;

static void on_error(j_common_ptr cinfo)
{
    jpeg_err *e = (jpeg_err *)cinfo->err;

    e->mgr.format_message(cinfo, e->message);
    longjmp(e->jmp, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    jpeg_err *e = (jpeg_err *)cinfo->err;

    /* level -1 is a warning: corrupt data the decoder worked around. Premature end of data is
     * remembered (a truncated upload is an error here, not a grey-filled image); others are
     * tolerated like ImageMagick does. */
    if (level == -1 && e->mgr.msg_code == JWRN_JPEG_EOF)
        e->truncated = 1;
}

static void on_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;

    if (cinfo->is_decompressor && d->input_scan_number > MAX_SCANS) {
        jpeg_err *e = (jpeg_err *)cinfo->err;

        snprintf(e->message, sizeof(e->message),
                 "progressive JPEG with more than %d scans (possible CPU bomb)", MAX_SCANS);
        longjmp(e->jmp, 2);
    }
}

/* CMYK as ImageMagick converts it: samples are taken as inverted (Adobe) CMYK, and
 * RGB = C' x K' / 255 with rounding, which is what its Q16 arithmetic reduces to. */
static void cmyk_to_rgb(const uint8_t *src, uint8_t *dst, uint32_t width)
{
    for (uint32_t x = 0; x < width; x++, src += 4, dst += 3) {
        unsigned k = src[3];

        dst[0] = (uint8_t)((src[0] * k + 127) / 255);
        dst[1] = (uint8_t)((src[1] * k + 127) / 255);
        dst[2] = (uint8_t)((src[2] * k + 127) / 255);
    }
}

static int read_exif(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0)
            return cg__exif_orientation(m->data, m->data_length);
    return 0;
}

/* Smallest libjpeg-turbo scale M/8 whose output has both sides >= min_side. */
/* The smallest DCT-domain scale that keeps both sides >= min_side. Only 1/8, 2/8, 4/8 and 8/8
 * are tried: libjpeg-turbo has SIMD code for those, and its other scales (3/8, 5/8, ...) are
 * slower than decoding at full size (measured: 5/8 took 10.8 ms against 7.6 ms for 8/8 on a
 * 1600x1004 photo; bench/RESULTS.md). */
static void choose_scale(j_decompress_ptr cinfo, uint32_t min_side)
{
    for (unsigned m = 1; m <= 8; m *= 2) {
        cinfo->scale_num = m;
        cinfo->scale_denom = 8;
        jpeg_calc_output_dimensions(cinfo);
        if (cinfo->output_width >= min_side && cinfo->output_height >= min_side)
            return;
    }
    cinfo->scale_num = 1;
    cinfo->scale_denom = 1;
}

cg_status cg__decode_jpeg(const uint8_t *data, size_t len, const cg_decode_options *opt,
                          cg_image **out, cg_error *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_err jerr;
    jpeg_progress prog;
    cg_image *volatile img = NULL;
    uint8_t *volatile row = NULL;
    cg_status st;
    uint32_t channels;
    int r;

    *out = NULL;
    memset(&jerr, 0, sizeof(jerr));
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = on_error;
    jerr.mgr.emit_message = on_message;
    r = setjmp(jerr.jmp);
    if (r != 0) {
        st = r == 2 ? CG_E_LIMIT : CG_E_DECODE;
        cg__fail(err, st, "corrupt JPEG: %s", jerr.message);
        goto fail;
    }
    jpeg_create_decompress(&cinfo);
    memset(&prog, 0, sizeof(prog));
    prog.mgr.progress_monitor = on_progress;
    cinfo.progress = &prog.mgr;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    st = cg__image_check_size(cinfo.image_width, cinfo.image_height, &opt->limits, err);
    if (st != CG_OK)
        goto fail;

    /* ImageMagick's defaults: the default (integer, accurate) DCT, fancy upsampling on. */
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        channels = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        channels = 3;
        break;
    default:
        cinfo.out_color_space = JCS_RGB;
        channels = 3;
        break;
    }
    if (opt->min_side > 0)
        choose_scale(&cinfo, opt->min_side);
    jpeg_start_decompress(&cinfo);

    {
        cg_image *fresh = NULL;

        st = cg__image_new(cinfo.output_width, cinfo.output_height, channels, CG_FORMAT_JPEG,
                           &opt->limits, &fresh, err);
        if (st != CG_OK)
            goto fail;
        img = fresh;
    }
    img->source_width = cinfo.image_width;
    img->source_height = cinfo.image_height;
    img->exif_orientation = read_exif(&cinfo);
    if (cinfo.out_color_space == JCS_CMYK) {
        row = cg__malloc_array(cinfo.output_width, 4);
        if (row == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = img->pixels + (size_t)cinfo.output_scanline * img->width * channels;
        JSAMPROW rows[1];

        rows[0] = row != NULL ? row : dst;
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (row != NULL)
            cmyk_to_rgb(row, dst, img->width);
        if (jerr.truncated)
            break;
    }
    if (jerr.truncated) {
        st = cg__fail(err, CG_E_DECODE, "truncated JPEG: data ends before the image does");
        goto fail;
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    cg__free(row);
    *out = img;
    return CG_OK;
fail:
    jpeg_destroy_decompress(&cinfo);
    cg__free(row);
    cg_image_destroy(img);
    return st;
}
