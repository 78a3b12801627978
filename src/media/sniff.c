/* Format detection from magic bytes (never from file names). */
#include <string.h>

#include "media/media_int.h"

static int has(const uint8_t *d, size_t len, size_t off, const char *magic, size_t n)
{
    return len >= off + n && memcmp(d + off, magic, n) == 0;
}

/* An ISO-BMFF "ftyp" box: the major brand and the compatible brands say HEIF or AVIF. */
static cg_image_format sniff_ftyp(const uint8_t *d, size_t len)
{
    static const char *heif_brands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis",
                                        "hevm", "hevs", "mif1", "msf1"};
    size_t box, i, b;

    if (!has(d, len, 4, "ftyp", 4))
        return CG_FORMAT_UNKNOWN;
    box = ((size_t)d[0] << 24) | ((size_t)d[1] << 16) | ((size_t)d[2] << 8) | d[3];
    if (box < 16 || box > len)
        box = len < 64 ? len : 64;
    /* Major brand at 8, minor version at 12, compatible brands from 16. AVIF first: an AVIF
     * file lists mif1 as well. */
    for (i = 8; i + 4 <= box; i += 4) {
        if (i == 12)
            continue;
        if (memcmp(d + i, "avif", 4) == 0 || memcmp(d + i, "avis", 4) == 0)
            return CG_FORMAT_AVIF;
    }
    for (i = 8; i + 4 <= box; i += 4) {
        if (i == 12)
            continue;
        for (b = 0; b < sizeof(heif_brands) / sizeof(heif_brands[0]); b++)
            if (memcmp(d + i, heif_brands[b], 4) == 0)
                return CG_FORMAT_HEIF;
    }
    return CG_FORMAT_UNKNOWN;
}

cg_image_format cg_image_sniff(const uint8_t *d, size_t len)
{
    if (d == NULL)
        return CG_FORMAT_UNKNOWN;
    if (has(d, len, 0, "\xff\xd8\xff", 3))
        return CG_FORMAT_JPEG;
    if (has(d, len, 0, "\x89PNG\r\n\x1a\n", 8))
        return CG_FORMAT_PNG;
    if (has(d, len, 0, "RIFF", 4) && has(d, len, 8, "WEBP", 4))
        return CG_FORMAT_WEBP;
    if (has(d, len, 0, "GIF87a", 6) || has(d, len, 0, "GIF89a", 6))
        return CG_FORMAT_GIF;
    if (has(d, len, 0, "BM", 2) && len >= 18)
        return CG_FORMAT_BMP;
    return sniff_ftyp(d, len);
}

const char *cg_image_format_name(cg_image_format f)
{
    switch (f) {
    case CG_FORMAT_JPEG: return "jpeg";
    case CG_FORMAT_PNG: return "png";
    case CG_FORMAT_WEBP: return "webp";
    case CG_FORMAT_GIF: return "gif";
    case CG_FORMAT_HEIF: return "heif";
    case CG_FORMAT_AVIF: return "avif";
    case CG_FORMAT_BMP: return "bmp";
    case CG_FORMAT_UNKNOWN: break;
    }
    return "unknown";
}
