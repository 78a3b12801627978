/* BMP through stb_image (libstb, which provides the implementation).
 *
 * stb_image reads the size with stbi_info before any pixel is allocated, then decodes to the
 * channel count we ask for: 3, which drops the alpha of 32-bit files and keeps the RGB under
 * it (stb converts formats by dropping channels, never by compositing). stb_image reads zeros
 * past the end of its input instead of failing, so the header is checked here too: an
 * uncompressed file whose pixel array does not fit in the data is reported as truncated.
 * stb_image lacks RLE and embedded JPEG/PNG BMPs (and OS/2 2.x headers): those are reported
 * as unsupported. */
#include <limits.h>
#include <string.h>

#include <stb/stb_image.h>

#include "media/media_int.h"

/* BITMAPINFOHEADER compression values. */
#define BMP_RGB 0
#define BMP_BITFIELDS 3

typedef struct bmp_header {
    uint32_t pixel_offset; /* start of the pixel array from the file's start */
    uint32_t header_size;  /* 12 (OS/2 core header) or 40 and up */
    int64_t width;
    int64_t height;        /* negative for top-down rows */
    uint32_t bpp;          /* bits per pixel: 1, 4, 8, 16, 24 or 32 */
    uint32_t compression;
} bmp_header;

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Parses the file and info headers; 0 when they are too short to hold what they announce. */
static int parse_header(const uint8_t *data, size_t len, bmp_header *h)
{
    memset(h, 0, sizeof(*h));
    if (len < 18)
        return 0;
    h->pixel_offset = le32(data + 10);
    h->header_size = le32(data + 14);
    if (h->header_size == 12) {
        if (len < 26)
            return 0;
        h->width = le16(data + 18);
        h->height = le16(data + 20);
        h->bpp = le16(data + 24);
        h->compression = BMP_RGB;
        return 1;
    }
    if (h->header_size < 40 || len < 34)
        return 0;
    h->width = (int32_t)le32(data + 18);
    h->height = (int32_t)le32(data + 22);
    h->bpp = le16(data + 28);
    h->compression = le32(data + 30);
    return 1;
}

/* Maps stb_image's short failure reason to a status and message. */
static cg_status stb_fail(cg_error *err)
{
    const char *why = stbi_failure_reason();

    if (why == NULL)
        why = "unknown error";
    if (strcmp(why, "BMP RLE") == 0 || strcmp(why, "BMP JPEG/PNG") == 0)
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported BMP variant (%s)", why);
    if (strcmp(why, "outofmem") == 0)
        return cg__fail(err, CG_E_NOMEM, "out of memory in stb_image");
    if (strcmp(why, "too large") == 0)
        return cg__fail(err, CG_E_LIMIT, "BMP too large for stb_image");
    return cg__fail(err, CG_E_DECODE, "corrupt BMP: %s", why);
}

/* CG_OK for the variants stb_image decodes: the 12-, 40-, 56-, 108- and 124-byte info headers
 * with uncompressed or bit-field pixels. */
static cg_status check_variant(const bmp_header *h, cg_error *err)
{
    switch (h->header_size) {
    case 12: case 40: case 56: case 108: case 124:
        break;
    case 16: case 52: case 64: /* OS/2 2.x, and the rare BITMAPV2INFOHEADER */
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported BMP variant (%u-byte info header)",
                        h->header_size);
    default:
        return cg__fail(err, CG_E_DECODE, "corrupt BMP: no BMP version has a %u-byte info header",
                        h->header_size);
    }
    switch (h->compression) {
    case BMP_RGB: case BMP_BITFIELDS:
        return CG_OK;
    case 1: case 2:
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported BMP compression: RLE%d",
                        h->compression == 1 ? 8 : 4);
    case 4: case 5:
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported BMP compression: embedded %s",
                        h->compression == 4 ? "JPEG" : "PNG");
    case 6: case 11: case 12: case 13:
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported BMP compression %u", h->compression);
    default:
        return cg__fail(err, CG_E_DECODE, "corrupt BMP: unknown compression %u", h->compression);
    }
}

cg_status cg__decode_bmp(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err)
{
    bmp_header hdr;
    cg_image *img = NULL;
    stbi_uc *pixels;
    cg_status st;
    int w = 0, h = 0, comp = 0, want;

    *out = NULL;
    if (len > INT_MAX)
        return cg__fail(err, CG_E_LIMIT, "BMP input of %zu bytes is over stb_image's 2 GiB limit",
                        len);
    if (!parse_header(data, len, &hdr))
        return cg__fail(err, CG_E_DECODE, "truncated BMP: data ends inside the header");
    /* stbi_info tries every format stb knows, so its failure reason names none of them: the
     * variants stb_image lacks are recognised here. Values no BMP version defines are
     * corruption, not an unsupported variant. */
    st = check_variant(&hdr, err);
    if (st != CG_OK)
        return st;
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &comp))
        return stb_fail(err);
    st = cg__image_check_size((uint64_t)w, (uint64_t)h, &opt->limits, err);
    if (st != CG_OK)
        return st;

    {
        /* Rows are padded to 4 bytes. Compared by division: with no limits set, row * h could
         * overflow. */
        uint64_t row = ((uint64_t)w * hdr.bpp + 31) / 32 * 4;
        uint64_t avail = len > hdr.pixel_offset ? len - hdr.pixel_offset : 0;

        if (hdr.pixel_offset > len || (row != 0 && (uint64_t)h > avail / row))
            return cg__fail(err, CG_E_DECODE,
                            "truncated BMP: the %dx%d pixel array does not fit in the %zu bytes "
                            "of data",
                            w, h, len);
    }

    /* stbi_info says 1 or 2 components only for grey sources; BMP palettes give 3 or 4. */
    want = comp <= 2 ? 1 : 3;
    pixels = stbi_load_from_memory(data, (int)len, &w, &h, &comp, want);
    if (pixels == NULL)
        return stb_fail(err);
    st = cg__image_new((uint32_t)w, (uint32_t)h, (uint32_t)want, CG_FORMAT_BMP, &opt->limits,
                       &img, err);
    if (st != CG_OK) {
        stbi_image_free(pixels);
        return st;
    }
    memcpy(img->pixels, pixels, (size_t)w * (size_t)h * (size_t)want);
    stbi_image_free(pixels);
    img->has_alpha = comp == 2 || comp == 4;
    img->bit_depth = hdr.bpp >= 1 && hdr.bpp <= 8 ? (int)hdr.bpp : 8;
    *out = img;
    return CG_OK;
}
