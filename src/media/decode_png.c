/* PNG through libpng, producing the samples ImageMagick hands the reference PDQ hasher: palette
 * expanded to RGB, low-bit grey expanded to 0..255, alpha (and tRNS) dropped keeping the colour
 * under it, no gamma correction. 16-bit samples are rounded to 8 bits (v * 255 / 65535): the
 * reference keeps the low byte instead, a defect we do not copy (docs/pdq.md). */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "common/alloc.h"
#include "media/media_int.h"

typedef struct png_src {
    const uint8_t *data;
    size_t len;
    size_t pos;
    char message[200];
} png_src;

static void on_read(png_structp png, png_bytep dst, png_size_t n)
{
    png_src *src = png_get_io_ptr(png);

    if (n > src->len - src->pos)
        png_error(png, "truncated PNG: data ends before the image does");
    memcpy(dst, src->data + src->pos, n);
    src->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *src = png_get_error_ptr(png);

    snprintf(src->message, sizeof(src->message), "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void *png_alloc(png_structp png, png_alloc_size_t n)
{
    (void)png;
    return cg__malloc(n);
}

static void png_dealloc(png_structp png, png_voidp p)
{
    (void)png;
    cg__free(p);
}

cg_status cg__decode_png(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err)
{
    png_src src = {data, len, 0, {0}};
    png_structp png;
    png_infop info = NULL;
    cg_image *volatile img = NULL;
    png_bytep *volatile rows = NULL;
    cg_status st;
    png_uint_32 w, h;
    int depth, color, channels, has_alpha;
    png_bytep exif = NULL;
    png_uint_32 exif_len = 0;

    *out = NULL;
    png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning, NULL,
                                   png_alloc, png_dealloc);
    if (png == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory");
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return cg__fail(err, CG_E_NOMEM, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        /* libpng reports its user limits (set below) as errors: those are CG_E_LIMIT. */
        st = cg__fail(err, strstr(src.message, "user limit") ? CG_E_LIMIT : CG_E_DECODE,
                      "corrupt PNG: %s", src.message);
        goto fail;
    }
    /* Ancillary chunks (text, ICC profiles) are capped so a small file cannot inflate them. */
    png_set_chunk_malloc_max(png, 8u << 20);
    if (opt->limits.max_side > 0)
        png_set_user_limits(png, opt->limits.max_side, opt->limits.max_side);
    png_set_read_fn(png, &src, on_read);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
    st = cg__image_check_size(w, h, &opt->limits, err);
    if (st != CG_OK)
        goto fail;

    has_alpha = (color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_scale_16(png);
    /* tRNS becomes an alpha channel when palette/grey is expanded: strip it as well. */
    if (has_alpha)
        png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    channels = png_get_channels(png, info);
    if (channels != 1 && channels != 3) {
        st = cg__fail(err, CG_E_DECODE, "unexpected PNG layout (%d channels)", channels);
        goto fail;
    }
    {
        cg_image *fresh = NULL;

        st = cg__image_new(w, h, (uint32_t)channels, CG_FORMAT_PNG, &opt->limits, &fresh, err);
        if (st != CG_OK)
            goto fail;
        img = fresh;
    }
    img->has_alpha = has_alpha;
    img->bit_depth = depth;
    rows = cg__malloc_array(h, sizeof(*rows));
    if (rows == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "out of memory");
        goto fail;
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = img->pixels + (size_t)y * w * (size_t)channels;
    png_read_image(png, rows);
    png_read_end(png, info);
    if (png_get_eXIf_1(png, info, &exif_len, &exif) != 0 && exif != NULL)
        img->exif_orientation = cg__exif_orientation(exif, exif_len);
    cg__free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *out = img;
    return CG_OK;
fail:
    cg__free(rows);
    cg_image_destroy(img);
    png_destroy_read_struct(&png, &info, NULL);
    return st;
}
