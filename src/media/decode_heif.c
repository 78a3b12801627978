/* HEIF, HEIC and AVIF through libheif, reading from memory without a copy.
 *
 * The primary image is decoded to interleaved 8-bit RGB (10- and 12-bit images are reduced by
 * libheif); an alpha plane is not requested, so nothing is composited or premultiplied.
 * Monochrome images come out with R == G == B and image.c turns them into one channel.
 * libheif converts YCbCr to RGB as the file's colour profile (nclx) says. ImageMagick 6.9.11
 * (Debian 12) does not: it takes the YCbCr planes and converts them itself, so its pixels
 * differ from ours by about one level on average (a few at most) on ordinary files; the PDQ
 * hashes we compared were the same. No reference vectors cover HEIF.
 *
 * Orientation: in HEIF the rotation and mirroring are part of the container (irot and imir
 * boxes), and libheif applies them, with any clean-aperture crop, by default. We keep that
 * default, so the pixels are the image as the file says to display it. The EXIF orientation is
 * still reported, but the HEIF specification says readers must not apply it on top of
 * irot/imir: it only records the camera's orientation.
 *
 * Size limits are applied twice before decoding: libheif rejects any image item whose stored
 * size (ispe) has a side over max_side while it parses the file, and we check the primary
 * image's stored and displayed sizes against all limits before asking for pixels. libheif and
 * its codecs allocate with their own allocator; only our result goes through cg__malloc. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "media/media_int.h"

#if CG_HAVE_HEIF

#include <limits.h>
#include <threads.h>

#include <libheif/heif.h>

/* EXIF blocks larger than this are ignored (libexif would reject them anyway). */
#define MAX_EXIF_BYTES (16u << 20)

static once_flag heif_once = ONCE_FLAG_INIT;

/* Registers libheif's decoders once per process, which libheif asks for before it is used from
 * several threads. It is never undone: libheif counts init calls, so an application that also
 * calls heif_init/heif_deinit is not disturbed. */
static void heif_init_once(void)
{
    (void)heif_init(NULL);
}

static const char *codec_name(cg_image_format fmt)
{
    return fmt == CG_FORMAT_AVIF ? "AV1" : "HEVC";
}

/* Maps a libheif error to our status and message. */
static cg_status heif_fail(cg_error *err, struct heif_error he, cg_image_format fmt)
{
    const char *name = fmt == CG_FORMAT_AVIF ? "AVIF" : "HEIF";
    char detail[256];
    size_t n;

    /* libheif's messages sometimes end with a newline. */
    snprintf(detail, sizeof(detail), "%s", he.message != NULL ? he.message : "unknown error");
    n = strlen(detail);
    while (n > 0 && (detail[n - 1] == '\n' || detail[n - 1] == '\r' || detail[n - 1] == ' '))
        detail[--n] = '\0';
    if (he.subcode == heif_suberror_Security_limit_exceeded)
        return cg__fail(err, CG_E_LIMIT, "%s image over the size limit: %s", name, detail);
    if (he.code == heif_error_Memory_allocation_error)
        return cg__fail(err, CG_E_NOMEM, "out of memory in libheif: %s", detail);
    if (he.subcode == heif_suberror_Unsupported_codec)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "cannot decode this %s image: this libheif has no decoder for its codec "
                        "(%s expected; a libheif %s decoder plugin is needed): %s",
                        name, codec_name(fmt), codec_name(fmt), detail);
    if (he.code == heif_error_Unsupported_feature || he.code == heif_error_Unsupported_filetype)
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported %s feature: %s", name, detail);
    return cg__fail(err, CG_E_DECODE, "corrupt %s: %s", name, detail);
}

/* Sets *orientation from the first EXIF block (0 when there is none or it is unreadable). The
 * block starts with a 4-byte big-endian offset from its fifth byte to the TIFF header. */
static cg_status read_exif(const struct heif_image_handle *handle, int *orientation,
                           cg_error *err)
{
    heif_item_id id;
    uint8_t *buf;
    size_t size;
    uint32_t skip;

    *orientation = 0;
    if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) != 1)
        return CG_OK;
    size = heif_image_handle_get_metadata_size(handle, id);
    if (size < 8 || size > MAX_EXIF_BYTES)
        return CG_OK;
    buf = cg__malloc(size);
    if (buf == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory for a %zu-byte EXIF block", size);
    if (heif_image_handle_get_metadata(handle, id, buf).code == heif_error_Ok) {
        skip = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) |
               buf[3];
        if (skip < size - 4)
            *orientation = cg__exif_orientation(buf + 4 + skip, size - 4 - skip);
    }
    cg__free(buf);
    return CG_OK;
}

/* Copies libheif's interleaved RGB plane (rows padded to its stride) into a new image. */
static cg_status copy_pixels(const struct heif_image *himg, const cg_decode_options *opt,
                             cg_image **out, cg_error *err)
{
    const uint8_t *plane;
    int stride = 0, w, h;
    cg_status st;

    w = heif_image_get_width(himg, heif_channel_interleaved);
    h = heif_image_get_height(himg, heif_channel_interleaved);
    plane = heif_image_get_plane_readonly(himg, heif_channel_interleaved, &stride);
    if (plane == NULL || w <= 0 || h <= 0 || stride < w * 3 ||
        heif_image_get_bits_per_pixel_range(himg, heif_channel_interleaved) != 8)
        return cg__fail(err, CG_E_DECODE, "libheif returned no 8-bit interleaved RGB plane");
    st = cg__image_new((uint32_t)w, (uint32_t)h, 3, CG_FORMAT_UNKNOWN, &opt->limits, out, err);
    if (st != CG_OK)
        return st;
    for (int y = 0; y < h; y++)
        memcpy((*out)->pixels + (size_t)y * (size_t)w * 3, plane + (size_t)y * (size_t)stride,
               (size_t)w * 3);
    return CG_OK;
}

cg_status cg__decode_heif(const uint8_t *data, size_t len, cg_image_format fmt,
                          const cg_decode_options *opt, cg_image **out, cg_error *err)
{
    struct heif_context *ctx = NULL;
    struct heif_image_handle *handle = NULL;
    struct heif_image *himg = NULL;
    struct heif_error he;
    cg_image *img = NULL;
    cg_status st;
    int ispe_w, ispe_h, depth;

    *out = NULL;
    call_once(&heif_once, heif_init_once);
    ctx = heif_context_alloc();
    if (ctx == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory");
    if (opt->limits.max_side > 0)
        heif_context_set_maximum_image_size_limit(
            ctx, opt->limits.max_side < INT_MAX ? (int)opt->limits.max_side : INT_MAX);
    he = heif_context_read_from_memory_without_copy(ctx, data, len, NULL);
    if (he.code != heif_error_Ok) {
        st = heif_fail(err, he, fmt);
        goto fail;
    }
    he = heif_context_get_primary_image_handle(ctx, &handle);
    if (he.code != heif_error_Ok) {
        st = heif_fail(err, he, fmt);
        goto fail;
    }
    /* The stored size is what libheif has the codec decode; the displayed size (after rotation
     * and cropping) is what we allocate. Both must pass before any pixel is decoded. */
    ispe_w = heif_image_handle_get_ispe_width(handle);
    ispe_h = heif_image_handle_get_ispe_height(handle);
    if (ispe_w > 0 && ispe_h > 0) {
        st = cg__image_check_size((uint64_t)ispe_w, (uint64_t)ispe_h, &opt->limits, err);
        if (st != CG_OK)
            goto fail;
    }
    st = cg__image_check_size((uint64_t)(uint32_t)heif_image_handle_get_width(handle),
                              (uint64_t)(uint32_t)heif_image_handle_get_height(handle),
                              &opt->limits, err);
    if (st != CG_OK)
        goto fail;

    /* NULL options: libheif's defaults, which apply irot/imir/clap (see the top of the file). */
    he = heif_decode_image(handle, &himg, heif_colorspace_RGB, heif_chroma_interleaved_RGB, NULL);
    if (he.code != heif_error_Ok) {
        st = heif_fail(err, he, fmt);
        goto fail;
    }
    st = copy_pixels(himg, opt, &img, err);
    if (st != CG_OK)
        goto fail;
    img->format = fmt;
    img->has_alpha = heif_image_handle_has_alpha_channel(handle) != 0;
    depth = heif_image_handle_get_luma_bits_per_pixel(handle);
    img->bit_depth = depth > 0 ? depth : 8;
    st = read_exif(handle, &img->exif_orientation, err);
    if (st != CG_OK)
        goto fail;
    heif_image_release(himg);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    *out = img;
    return CG_OK;
fail:
    cg_image_destroy(img);
    heif_image_release(himg);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    return st;
}

#else /* !CG_HAVE_HEIF */

cg_status cg__decode_heif(const uint8_t *data, size_t len, cg_image_format fmt,
                          const cg_decode_options *opt, cg_image **out, cg_error *err)
{
    (void)data;
    (void)len;
    (void)opt;
    *out = NULL;
    return cg__fail(err, CG_E_UNSUPPORTED, "%s support is not built in (CG_WITH_HEIF=OFF)",
                    cg_image_format_name(fmt));
}

#endif
