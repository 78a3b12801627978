/* The image front door: limits, allocation, dispatch to the per-format decoders. */
#include <string.h>

#include "common/alloc.h"
#include "common/file.h"
#include "media/media_int.h"

void cg_image_limits_default(cg_image_limits *lim)
{
    lim->max_pixels = 100000000ULL;
    lim->max_file_bytes = 256ULL << 20;
    lim->max_side = 65535;
}

void cg_decode_options_default(cg_decode_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    cg_image_limits_default(&opt->limits);
}

cg_status cg__image_check_size(uint64_t w, uint64_t h, const cg_image_limits *lim, cg_error *err)
{
    if (w == 0 || h == 0)
        return cg__fail(err, CG_E_DECODE, "image has zero size (%llux%llu)",
                        (unsigned long long)w, (unsigned long long)h);
    if (lim->max_side > 0 && (w > lim->max_side || h > lim->max_side))
        return cg__fail(err, CG_E_LIMIT, "image is %llux%llu, a side over the limit of %u",
                        (unsigned long long)w, (unsigned long long)h, lim->max_side);
    if (lim->max_pixels > 0 && w * h > lim->max_pixels)
        return cg__fail(err, CG_E_LIMIT,
                        "image is %llux%llu = %llu pixels, over the limit of %llu (possible "
                        "decompression bomb)",
                        (unsigned long long)w, (unsigned long long)h,
                        (unsigned long long)(w * h), (unsigned long long)lim->max_pixels);
    return CG_OK;
}

cg_status cg__image_new(uint32_t w, uint32_t h, uint32_t channels, cg_image_format fmt,
                        const cg_image_limits *lim, cg_image **out, cg_error *err)
{
    cg_image *img;
    cg_status st;

    *out = NULL;
    st = cg__image_check_size(w, h, lim, err);
    if (st != CG_OK)
        return st;
    img = cg__calloc(1, sizeof(*img));
    if (img == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory");
    img->pixels = cg__malloc_array((size_t)w * h, channels);
    if (img->pixels == NULL) {
        cg__free(img);
        return cg__fail(err, CG_E_NOMEM, "out of memory for %ux%u pixels", w, h);
    }
    img->width = w;
    img->height = h;
    img->channels = channels;
    img->format = fmt;
    img->source_width = w;
    img->source_height = h;
    img->frame_count = 1;
    img->bit_depth = 8;
    *out = img;
    return CG_OK;
}

void cg__image_collapse_grey(cg_image *img)
{
    size_t n = (size_t)img->width * img->height, i;
    const uint8_t *p = img->pixels;

    if (img->channels != 3)
        return;
    for (i = 0; i < n; i++, p += 3)
        if (p[0] != p[1] || p[0] != p[2])
            return;
    for (i = 0; i < n; i++)
        img->pixels[i] = img->pixels[i * 3];
    img->channels = 1;
}

void cg_image_destroy(cg_image *img)
{
    if (img == NULL)
        return;
    cg__free(img->pixels);
    cg__free(img);
}

cg_status cg_image_decode_mem(const uint8_t *data, size_t len, const cg_decode_options *opt,
                              cg_image **out, cg_error *err)
{
    cg_decode_options defaults;
    cg_image_format fmt;
    cg_status st;

    *out = NULL;
    if (opt == NULL) {
        cg_decode_options_default(&defaults);
        opt = &defaults;
    }
    if (data == NULL || len == 0)
        return cg__fail(err, CG_E_DECODE, "empty input (0 bytes)");
    if (opt->limits.max_file_bytes > 0 && len > opt->limits.max_file_bytes)
        return cg__fail(err, CG_E_LIMIT, "input is %zu bytes, over the limit of %llu", len,
                        (unsigned long long)opt->limits.max_file_bytes);
    fmt = cg_image_sniff(data, len);
    switch (fmt) {
    case CG_FORMAT_JPEG: st = cg__decode_jpeg(data, len, opt, out, err); break;
    case CG_FORMAT_PNG: st = cg__decode_png(data, len, opt, out, err); break;
    case CG_FORMAT_WEBP: st = cg__decode_webp(data, len, opt, out, err); break;
    case CG_FORMAT_GIF: st = cg__decode_gif(data, len, opt, out, err); break;
    case CG_FORMAT_HEIF:
    case CG_FORMAT_AVIF: st = cg__decode_heif(data, len, fmt, opt, out, err); break;
    case CG_FORMAT_BMP: st = cg__decode_bmp(data, len, opt, out, err); break;
    default:
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "not a recognised image format (first bytes %02x %02x %02x %02x)",
                        data[0], len > 1 ? data[1] : 0, len > 2 ? data[2] : 0,
                        len > 3 ? data[3] : 0);
    }
    if (st != CG_OK) {
        cg_image_destroy(*out);
        *out = NULL;
        return st;
    }
    cg__image_collapse_grey(*out);
    return CG_OK;
}

cg_status cg_image_decode_file(const char *path, const cg_decode_options *opt, cg_image **out,
                               cg_error *err)
{
    cg_decode_options defaults;
    uint8_t *buf = NULL;
    size_t len = 0;
    cg_status st;

    *out = NULL;
    if (opt == NULL) {
        cg_decode_options_default(&defaults);
        opt = &defaults;
    }
    st = cg__read_file(path, opt->limits.max_file_bytes, &buf, &len, err);
    if (st != CG_OK)
        return st;
    st = cg_image_decode_mem(buf, len, opt, out, err);
    cg__free(buf);
    if (st != CG_OK && err != NULL) {
        char detail[CG_ERROR_MAX];

        memcpy(detail, err->message, sizeof(detail));
        cg__fail(err, st, "%s: %s", path, detail);
    }
    return st;
}
