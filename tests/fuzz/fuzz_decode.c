/* libFuzzer target for one decoder entry point of src/media/media_int.h, chosen at compile time
 * by CG_FUZZ_FORMAT (CMakeLists.txt builds fuzz_decode_jpeg, _png, _webp, _gif, _heif, _bmp
 * from this file). The decoder is called directly, bypassing the sniffer, so every input
 * reaches the format's library. Limits are small (4M pixels, 16384 per side) so that no input
 * can make the fuzzer run out of memory by asking for a huge picture.
 *
 * Besides the sanitizers, the target checks the decoder contract and traps when it is broken:
 * a success is a complete image within the limits (every pixel is read, so ASan sees a short
 * buffer); a failure leaves *out NULL, fills err with the same status and a message, and is one
 * of CG_E_DECODE, CG_E_LIMIT or CG_E_UNSUPPORTED. JPEG inputs that decode are decoded again
 * with DCT scaling (the --fast mode). */
#include <stdint.h>
#include <string.h>

#include "media/media_int.h"

#ifndef CG_FUZZ_FORMAT
#error "CG_FUZZ_FORMAT must name the decoder's format, e.g. CG_FORMAT_JPEG"
#endif

#define FUZZ_MAX_PIXELS (4u << 20)
#define FUZZ_MAX_SIDE 16384u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *__lsan_default_suppressions(void);

/* Leaks inside third-party decoders that are not ours to fix, matched by module because
 * libFuzzer's fast unwinder stops at the first frame of a library built without frame
 * pointers: libheif 1.15's dav1d plugin leaks the Dav1dData of a packet dav1d rejects
 * (strukturag/libheif issue 1753, open). */
const char *__lsan_default_suppressions(void)
{
    return "leak:libdav1d.so\n";
}

static cg_status decode(const uint8_t *data, size_t size, const cg_decode_options *opt,
                        cg_image **out, cg_error *err)
{
    switch (CG_FUZZ_FORMAT) {
    case CG_FORMAT_JPEG: return cg__decode_jpeg(data, size, opt, out, err);
    case CG_FORMAT_PNG: return cg__decode_png(data, size, opt, out, err);
    case CG_FORMAT_WEBP: return cg__decode_webp(data, size, opt, out, err);
    case CG_FORMAT_GIF: return cg__decode_gif(data, size, opt, out, err);
    case CG_FORMAT_BMP: return cg__decode_bmp(data, size, opt, out, err);
    case CG_FORMAT_HEIF:
    case CG_FORMAT_AVIF: {
        /* The decoder is told which the sniffer saw; anything else is fuzzed as HEIF. */
        cg_image_format f = cg_image_sniff(data, size);

        return cg__decode_heif(data, size, f == CG_FORMAT_AVIF ? f : CG_FORMAT_HEIF, opt, out,
                               err);
    }
    case CG_FORMAT_UNKNOWN: break;
    }
    __builtin_trap();
}

static int format_ok(cg_image_format f)
{
    if (CG_FUZZ_FORMAT == CG_FORMAT_HEIF || CG_FUZZ_FORMAT == CG_FORMAT_AVIF)
        return f == CG_FORMAT_HEIF || f == CG_FORMAT_AVIF;
    return f == CG_FUZZ_FORMAT;
}

/* Traps unless (st, img, err) keeps the contract described at the top; frees img. */
static void check(cg_status st, cg_image *img, const cg_error *err, const cg_decode_options *opt)
{
    if (st == CG_OK) {
        volatile unsigned sum = 0;
        size_t n;

        if (img == NULL || img->pixels == NULL || img->width == 0 || img->height == 0 ||
            img->width > opt->limits.max_side || img->height > opt->limits.max_side ||
            (uint64_t)img->width * img->height > opt->limits.max_pixels ||
            (img->channels != 1 && img->channels != 3) || !format_ok(img->format) ||
            img->exif_orientation < 0 || img->exif_orientation > 8 || img->frame_count < 1)
            __builtin_trap();
        n = (size_t)img->width * img->height * img->channels;
        for (size_t i = 0; i < n; i++)
            sum += img->pixels[i];
        (void)sum;
        cg_image_destroy(img);
        return;
    }
    if (img != NULL || err->status != st || err->message[0] == '\0' ||
        memchr(err->message, '\0', sizeof(err->message)) == NULL)
        __builtin_trap();
    if (st != CG_E_DECODE && st != CG_E_LIMIT && st != CG_E_UNSUPPORTED)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_decode_options opt;
    cg_image *img = NULL;
    cg_error err;
    cg_status st;

    cg_decode_options_default(&opt);
    opt.limits.max_pixels = FUZZ_MAX_PIXELS;
    opt.limits.max_side = FUZZ_MAX_SIDE;
    memset(&err, 0, sizeof(err));
    st = decode(data, size, &opt, &img, &err);
    check(st, img, &err, &opt);
    if (CG_FUZZ_FORMAT == CG_FORMAT_JPEG && st == CG_OK) {
        opt.min_side = 16;
        img = NULL;
        memset(&err, 0, sizeof(err));
        st = decode(data, size, &opt, &img, &err);
        check(st, img, &err, &opt);
    }
    return 0;
}
