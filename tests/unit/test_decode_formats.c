/* Decoding WebP, GIF, HEIF/AVIF and BMP. Every image is synthesised here with the formats' own
 * encoders (libwebp, giflib, libheif, stb_image_write, all linked through childguard_static),
 * or built byte by byte, so no image file is committed. Each case checks the decoded size,
 * channels, pixels (exactly for lossless encodings), has_alpha, frame_count and sniffing, and
 * that truncated copies and header bombs fail cleanly. Inputs are decoded from heap copies of
 * their exact length, so the sanitizers catch any read past the end. */
#include "cg_test.h"

#include <stdbool.h>
#include <stdint.h>

#include <stb/stb_image_write.h>

#include "childguard.h"
#include "common/alloc.h"

/* libwebp, giflib and libheif are linked (through childguard_static) only when the build has
 * them (CG_WITH_WEBP, CG_WITH_GIF, CG_WITH_HEIF). So that this file compiles and links either
 * way, a library's header is included only when installed, and the functions used from it are
 * declared weak: when the library is not linked they are NULL, and its cases skip. */
#if __has_include(<webp/encode.h>) && __has_include(<webp/decode.h>)
#define HAVE_WEBP_H 1
#include <webp/decode.h>
#include <webp/encode.h>
#pragma weak WebPConfigInitInternal
#pragma weak WebPPictureInitInternal
#pragma weak WebPPictureImportRGB
#pragma weak WebPPictureImportRGBA
#pragma weak WebPMemoryWriterInit
#pragma weak WebPMemoryWrite
#pragma weak WebPMemoryWriterClear
#pragma weak WebPEncode
#pragma weak WebPPictureFree
#pragma weak WebPEncodeRGBA
#pragma weak WebPDecodeRGBA
#pragma weak WebPFree
#else
#define HAVE_WEBP_H 0
#endif

#if __has_include(<gif_lib.h>)
#define HAVE_GIF_H 1
#include <gif_lib.h>
#pragma weak EGifOpen
#pragma weak EGifSetGifVersion
#pragma weak EGifPutScreenDesc
#pragma weak EGifPutExtension
#pragma weak EGifGCBToExtension
#pragma weak EGifPutImageDesc
#pragma weak EGifPutLine
#pragma weak EGifCloseFile
#pragma weak GifMakeMapObject
#pragma weak GifFreeMapObject
#else
#define HAVE_GIF_H 0
#endif

#if __has_include(<libheif/heif.h>)
#define HAVE_HEIF_H 1
#include <libheif/heif.h>
#pragma weak heif_have_encoder_for_format
#pragma weak heif_context_alloc
#pragma weak heif_context_free
#pragma weak heif_context_get_encoder_for_format
#pragma weak heif_encoder_set_lossless
#pragma weak heif_encoder_set_logging_level
#pragma weak heif_encoder_set_parameter
#pragma weak heif_encoder_release
#pragma weak heif_image_create
#pragma weak heif_image_add_plane
#pragma weak heif_image_get_plane
#pragma weak heif_image_release
#pragma weak heif_encoding_options_alloc
#pragma weak heif_encoding_options_free
#pragma weak heif_nclx_color_profile_alloc
#pragma weak heif_nclx_color_profile_free
#pragma weak heif_context_encode_image
#pragma weak heif_context_add_exif_metadata
#pragma weak heif_context_write
#pragma weak heif_image_handle_release
#else
#define HAVE_HEIF_H 0
#endif

/* x265 3.5 (libheif's HEVC encoder, used here only to make test files) leaks one block per
 * encoder it opens; tell LeakSanitizer so that real leaks stay visible. */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libx265.so\n";
}

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct membuf {
    uint8_t *data;
    size_t len;
    size_t cap;
} membuf;

static void membuf_put(membuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        uint8_t *grown;

        while (cap < b->len + n)
            cap *= 2;
        grown = realloc(b->data, cap);
        CG_ASSERT(grown != NULL);
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* An RGB (ch 3), RGBA (ch 4) or grey (ch 1) test pattern whose channels all differ. In RGBA,
 * every third pixel is fully transparent over a colour that must survive decoding. */
static uint8_t *pattern(uint32_t w, uint32_t h, uint32_t ch)
{
    uint8_t *p = malloc((size_t)w * h * ch);

    CG_ASSERT(p != NULL);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * ch;

            if (ch == 1) {
                q[0] = (uint8_t)(x * 13 + y * 7);
                continue;
            }
            q[0] = (uint8_t)(x * 255 / (w - 1));
            q[1] = (uint8_t)(y * 255 / (h - 1));
            q[2] = (uint8_t)((x * 31 + y * 17) ^ 0x5a);
            if (ch == 4)
                q[3] = (x + y) % 3 == 0 ? 0 : (uint8_t)(64 + x * 3);
        }
    }
    return p;
}

/* The RGB (or grey) part of a pattern, as a decoder must return it. */
static uint8_t *drop_alpha(const uint8_t *rgba, uint32_t w, uint32_t h)
{
    uint8_t *p = malloc((size_t)w * h * 3);

    CG_ASSERT(p != NULL);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(p + i * 3, rgba + i * 4, 3);
    return p;
}

/* A heap copy of exactly len bytes, so that sanitizers see any read past the end. */
static uint8_t *exact_copy(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);

    CG_ASSERT(p != NULL);
    memcpy(p, data, len);
    return p;
}

static cg_status decode_with(const uint8_t *data, size_t len, const cg_decode_options *opt,
                             cg_image **img, cg_error *err)
{
    uint8_t *copy = exact_copy(data, len);
    cg_status st;

    memset(err, 0, sizeof(*err));
    st = cg_image_decode_mem(copy, len, opt, img, err);
    free(copy);
    if (st != CG_OK) {
        CG_ASSERT(*img == NULL);
        CG_ASSERT(err->message[0] != '\0');
    }
    return st;
}

static cg_image *decode_ok(const uint8_t *data, size_t len)
{
    cg_image *img = NULL;
    cg_error err;

    CG_ASSERT_OK(decode_with(data, len, NULL, &img, &err), &err);
    return img;
}

/* Decodes and expects status st; returns the message for further checks. */
static void expect_status(const uint8_t *data, size_t len, const cg_decode_options *opt,
                          cg_status want, cg_error *err)
{
    cg_image *img = NULL;
    cg_status st = decode_with(data, len, opt, &img, err);

    cg_image_destroy(img);
    if (st != want)
        cg_test_fail(__FILE__, __LINE__, "expected %s, got %s (%s)", cg_status_name(want),
                     cg_status_name(st), err->message);
}

static void expect_pixels(const cg_image *img, const uint8_t *want, uint32_t w, uint32_t h,
                          uint32_t ch)
{
    CG_ASSERT_EQ(img->width, w);
    CG_ASSERT_EQ(img->height, h);
    CG_ASSERT_EQ(img->channels, ch);
    for (size_t i = 0; i < (size_t)w * h * ch; i++)
        if (img->pixels[i] != want[i])
            cg_test_fail(__FILE__, __LINE__, "pixel byte %zu (x %zu, y %zu): got %u, want %u", i,
                         i / ch % w, i / ch / w, img->pixels[i], want[i]);
}

/* Cuts data at many lengths from min_len on (all shorter than len - tail_ok) and expects each
 * cut to fail with CG_E_DECODE. */
static void expect_truncations_fail(const uint8_t *data, size_t len, size_t min_len,
                                    size_t tail_ok)
{
    size_t cuts[] = {min_len,     min_len + 1, min_len + 7, 40,          64,
                     len / 5,     len / 3,     len / 2,     2 * len / 3, 4 * len / 5,
                     len - 64,    len - 17,    len - 5,     len - 3,     len - 2,
                     len - 1};

    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        size_t cut = cuts[i];
        cg_error err;

        if (cut < min_len || cut >= len || cut + tail_ok >= len)
            continue;
        {
            cg_image *img = NULL;
            cg_status st = decode_with(data, cut, NULL, &img, &err);

            cg_image_destroy(img);
            if (st != CG_E_DECODE)
                cg_test_fail(__FILE__, __LINE__, "cut at %zu of %zu bytes: got %s (%s)", cut, len,
                             cg_status_name(st), err.message);
        }
    }
}

/* Fails allocation 1, 2, ... in turn: each run must give CG_E_NOMEM (or succeed once the
 * decoder needs no more allocations) and leak nothing. */
static void expect_alloc_failures_clean(const uint8_t *data, size_t len)
{
    for (long n = 1; n < 64; n++) {
        cg_image *img = NULL;
        cg_error err = {0};
        cg_status st;

        cg__alloc_fail_at(n);
        st = cg_image_decode_mem(data, len, NULL, &img, &err);
        cg__alloc_fail_at(0);
        if (st == CG_OK) {
            cg_image_destroy(img);
            return;
        }
        if (st != CG_E_NOMEM)
            cg_test_fail(__FILE__, __LINE__, "allocation %ld failing gave %s (%s)", n,
                         cg_status_name(st), err.message);
        CG_ASSERT(img == NULL);
    }
    cg_test_fail(__FILE__, __LINE__, "decoder still allocating after 64 allocations");
}

/* A TIFF-structured EXIF block (no "Exif" prefix) holding only an Orientation tag. (Unused
 * when neither libwebp's nor libheif's headers are installed.) */
__attribute__((unused)) static size_t tiff_orientation(uint8_t out[26], int orientation)
{
    static const uint8_t head[] = {'I', 'I', 42, 0, 8, 0, 0, 0, /* header, IFD at 8 */
                                   1, 0,                        /* one entry */
                                   0x12, 0x01, 3, 0, 1, 0, 0, 0}; /* 0x0112 SHORT x1 */

    memcpy(out, head, sizeof(head));
    out[18] = (uint8_t)orientation;
    memset(out + 19, 0, 7); /* value padding and "no next IFD" */
    return 26;
}

/* ---- WebP ----------------------------------------------------------------------------------- */

#if HAVE_WEBP_H

static void put_le16(membuf *b, uint32_t v)
{
    uint8_t p[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    membuf_put(b, p, 2);
}

static void put_le24(membuf *b, uint32_t v)
{
    uint8_t p[3] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16)};

    membuf_put(b, p, 3);
}

static void put_le32(membuf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    membuf_put(b, p, 4);
}

static void need_webp(void)
{
    if (WebPEncode == NULL)
        CG_SKIP("libwebp is not linked (a build with CG_WITH_WEBP=OFF)");
}

/* Lossless WebP of an RGB(A) buffer through the advanced API with exact = 1, so the encoder
 * keeps the RGB under transparent pixels (the simple API is allowed to change it). */
static void webp_lossless(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, membuf *out)
{
    WebPConfig config;
    WebPPicture pic;
    WebPMemoryWriter wr;

    CG_ASSERT(WebPConfigInit(&config));
    config.lossless = 1;
    config.exact = 1;
    config.method = 0;
    CG_ASSERT(WebPPictureInit(&pic));
    pic.use_argb = 1;
    pic.width = (int)w;
    pic.height = (int)h;
    CG_ASSERT(ch == 4 ? WebPPictureImportRGBA(&pic, px, (int)(w * 4))
                      : WebPPictureImportRGB(&pic, px, (int)(w * 3)));
    WebPMemoryWriterInit(&wr);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &wr;
    CG_ASSERT(WebPEncode(&config, &pic));
    WebPPictureFree(&pic);
    memset(out, 0, sizeof(*out));
    membuf_put(out, wr.mem, wr.size);
    WebPMemoryWriterClear(&wr);
}

/* The image chunk ("VP8L" + size + payload, padded) of a simple-format WebP file. */
static void webp_image_chunk(const membuf *simple, const uint8_t **chunk, size_t *len)
{
    CG_ASSERT(simple->len >= 20 && memcmp(simple->data + 12, "VP8", 3) == 0);
    *chunk = simple->data + 12;
    *len = simple->len - 12;
}

/* Wraps chunks into RIFF/WEBP, fixing the RIFF size. */
static void webp_riff(const membuf *body, membuf *out)
{
    memset(out, 0, sizeof(*out));
    membuf_put(out, "RIFF", 4);
    put_le32(out, (uint32_t)(4 + body->len));
    membuf_put(out, "WEBP", 4);
    membuf_put(out, body->data, body->len);
}

static void webp_vp8x(membuf *b, uint8_t flags, uint32_t cw, uint32_t ch)
{
    membuf_put(b, "VP8X", 4);
    put_le32(b, 10);
    membuf_put(b, &flags, 1);
    put_le24(b, 0);
    put_le24(b, cw - 1);
    put_le24(b, ch - 1);
}

static void webp_exif_chunk(membuf *b, int orientation)
{
    uint8_t tiff[26];
    size_t n = tiff_orientation(tiff, orientation);

    membuf_put(b, "EXIF", 4);
    put_le32(b, (uint32_t)n);
    membuf_put(b, tiff, n); /* even length: no padding */
}

static void webp_lossless_rgb(void)
{
    const uint32_t w = 37, h = 23;
    uint8_t *px = pattern(w, h, 3);
    membuf file;
    cg_image *img;

    webp_lossless(px, w, h, 3, &file);
    CG_ASSERT_EQ(cg_image_sniff(file.data, file.len), CG_FORMAT_WEBP);
    CG_ASSERT_EQ(cg_image_sniff(file.data, 16), CG_FORMAT_WEBP);
    img = decode_ok(file.data, file.len);
    expect_pixels(img, px, w, h, 3);
    CG_ASSERT_EQ(img->format, CG_FORMAT_WEBP);
    CG_ASSERT_EQ(img->has_alpha, 0);
    CG_ASSERT_EQ(img->frame_count, 1);
    CG_ASSERT_EQ(img->bit_depth, 8);
    CG_ASSERT_EQ(img->exif_orientation, 0);
    CG_ASSERT_EQ(img->source_width, w);
    cg_image_destroy(img);
    expect_alloc_failures_clean(file.data, file.len);
    free(file.data);
    free(px);
}

static void webp_lossless_rgba_keeps_rgb_under_alpha(void)
{
    const uint32_t w = 31, h = 17;
    uint8_t *px = pattern(w, h, 4), *rgb = drop_alpha(px, w, h);
    membuf file;
    cg_image *img;

    webp_lossless(px, w, h, 4, &file);
    img = decode_ok(file.data, file.len);
    expect_pixels(img, rgb, w, h, 3);
    CG_ASSERT_EQ(img->has_alpha, 1);
    cg_image_destroy(img);
    free(file.data);
    free(rgb);
    free(px);
}

static void webp_grey_is_one_channel(void)
{
    const uint32_t w = 20, h = 9;
    uint8_t *grey = pattern(w, h, 1), *rgb = malloc((size_t)w * h * 3);
    membuf file;
    cg_image *img;

    CG_ASSERT(rgb != NULL);
    for (size_t i = 0; i < (size_t)w * h; i++)
        rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = grey[i];
    webp_lossless(rgb, w, h, 3, &file);
    img = decode_ok(file.data, file.len);
    expect_pixels(img, grey, w, h, 1);
    cg_image_destroy(img);
    free(file.data);
    free(rgb);
    free(grey);
}

/* Lossy WebP (with an ALPH chunk) decodes to pixels close to the input; exactness against
 * libwebp's own decoder is what the PDQ conformance test checks on real files. */
static void webp_lossy_with_alpha(void)
{
    const uint32_t w = 48, h = 32;
    uint8_t *px = pattern(w, h, 4), *out = NULL, *ref;
    size_t n = WebPEncodeRGBA(px, (int)w, (int)h, (int)w * 4, 90.0f, &out);
    int rw = 0, rh = 0;
    cg_image *img;

    CG_ASSERT(n > 0);
    img = decode_ok(out, n);
    CG_ASSERT_EQ(img->width, w);
    CG_ASSERT_EQ(img->height, h);
    CG_ASSERT_EQ(img->channels, 3);
    CG_ASSERT_EQ(img->has_alpha, 1);
    /* Same bytes as libwebp's default RGBA decode, minus alpha (what ImageMagick uses). */
    ref = WebPDecodeRGBA(out, n, &rw, &rh);
    CG_ASSERT(ref != NULL);
    for (size_t i = 0; i < (size_t)w * h; i++)
        if (memcmp(img->pixels + i * 3, ref + i * 4, 3) != 0)
            cg_test_fail(__FILE__, __LINE__, "pixel %zu differs from WebPDecodeRGBA", i);
    WebPFree(ref);
    cg_image_destroy(img);
    expect_truncations_fail(out, n, 12, 0);
    WebPFree(out);
    free(px);
}

static void webp_exif_orientation(void)
{
    const uint32_t w = 10, h = 6;
    uint8_t *px = pattern(w, h, 3);
    membuf simple, body = {0}, file;
    const uint8_t *chunk;
    size_t chunk_len;
    cg_image *img;

    webp_lossless(px, w, h, 3, &simple);
    webp_image_chunk(&simple, &chunk, &chunk_len);
    webp_vp8x(&body, 0x08 /* EXIF */, w, h);
    membuf_put(&body, chunk, chunk_len);
    webp_exif_chunk(&body, 6);
    webp_riff(&body, &file);
    img = decode_ok(file.data, file.len);
    expect_pixels(img, px, w, h, 3);
    CG_ASSERT_EQ(img->exif_orientation, 6);
    cg_image_destroy(img);
    free(file.data);
    free(body.data);
    free(simple.data);
    free(px);
}

/* Builds an animation: canvas 16x12 with a grey-blue background colour, frame 1 (8x6 at
 * +2+4), frame 2 (full canvas). */
static void webp_animation(const uint8_t *f1, const uint8_t *f2, membuf *file)
{
    membuf s1, s2, body = {0};
    const uint8_t *c1, *c2;
    size_t l1, l2;
    const uint8_t bgra[4] = {10, 20, 30, 255};

    webp_lossless(f1, 8, 6, 3, &s1);
    webp_lossless(f2, 16, 12, 3, &s2);
    webp_image_chunk(&s1, &c1, &l1);
    webp_image_chunk(&s2, &c2, &l2);
    webp_vp8x(&body, 0x02 /* animation */ | 0x08 /* EXIF */, 16, 12);
    membuf_put(&body, "ANIM", 4);
    put_le32(&body, 6);
    membuf_put(&body, bgra, 4);
    put_le16(&body, 0);
    /* ANMF: X/2, Y/2, width-1, height-1, duration (24 bits each), flags; then the frame. */
    membuf_put(&body, "ANMF", 4);
    put_le32(&body, (uint32_t)(16 + l1));
    put_le24(&body, 1);
    put_le24(&body, 2);
    put_le24(&body, 7);
    put_le24(&body, 5);
    put_le24(&body, 100);
    membuf_put(&body, "\x02", 1); /* do not blend */
    membuf_put(&body, c1, l1);
    membuf_put(&body, "ANMF", 4);
    put_le32(&body, (uint32_t)(16 + l2));
    put_le24(&body, 0);
    put_le24(&body, 0);
    put_le24(&body, 15);
    put_le24(&body, 11);
    put_le24(&body, 100);
    membuf_put(&body, "\x02", 1);
    membuf_put(&body, c2, l2);
    webp_exif_chunk(&body, 3);
    webp_riff(&body, file);
    free(body.data);
    free(s1.data);
    free(s2.data);
}

static void webp_animated_first_frame(void)
{
    uint8_t *f1 = pattern(8, 6, 3), *f2 = pattern(16, 12, 3);
    membuf file;
    cg_image *img;

    webp_animation(f1, f2, &file);
    CG_ASSERT_EQ(cg_image_sniff(file.data, file.len), CG_FORMAT_WEBP);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->width, 16);
    CG_ASSERT_EQ(img->height, 12);
    CG_ASSERT_EQ(img->channels, 3);
    CG_ASSERT_EQ(img->frame_count, 2);
    CG_ASSERT_EQ(img->exif_orientation, 3);
    for (uint32_t y = 0; y < 12; y++) {
        for (uint32_t x = 0; x < 16; x++) {
            const uint8_t *p = img->pixels + (y * 16 + x) * 3;

            if (x >= 2 && x < 10 && y >= 4 && y < 10) {
                const uint8_t *q = f1 + ((y - 4) * 8 + (x - 2)) * 3;

                CG_ASSERT(memcmp(p, q, 3) == 0);
            } else {
                /* Black, as ImageMagick draws it, whatever the ANIM background colour. */
                CG_ASSERT_EQ(p[0], 0);
                CG_ASSERT_EQ(p[1], 0);
                CG_ASSERT_EQ(p[2], 0);
            }
        }
    }
    cg_image_destroy(img);
    expect_truncations_fail(file.data, file.len, 12, 0);
    expect_alloc_failures_clean(file.data, file.len);
    free(file.data);
    free(f1);
    free(f2);
}

static void webp_truncated_is_decode_error(void)
{
    const uint32_t w = 64, h = 40;
    uint8_t *px = pattern(w, h, 3);
    membuf file;

    webp_lossless(px, w, h, 3, &file);
    expect_truncations_fail(file.data, file.len, 12, 0);
    free(file.data);
    free(px);
}

static void webp_header_bombs_are_limit_errors(void)
{
    const uint32_t w = 8, h = 8;
    uint8_t *px = pattern(w, h, 3);
    membuf file, body = {0}, anim;
    cg_error err;
    cg_decode_options opt;

    /* A lossless bitstream claiming 16384 x 16384 (the VP8L maximum): 268 M pixels. */
    webp_lossless(px, w, h, 3, &file);
    CG_ASSERT_EQ(file.data[20], 0x2f);
    file.data[21] = file.data[22] = file.data[23] = 0xff;
    file.data[24] |= 0x0f;
    expect_status(file.data, file.len, NULL, CG_E_LIMIT, &err);

    /* An animation canvas of 60000 x 60000 in a 42-byte file. */
    webp_vp8x(&body, 0x02, 60000, 60000);
    membuf_put(&body, "ANIM", 4);
    put_le32(&body, 6);
    put_le32(&body, 0);
    put_le16(&body, 0);
    webp_riff(&body, &anim);
    expect_status(anim.data, anim.len, NULL, CG_E_LIMIT, &err);
    CG_ASSERT(strstr(err.message, "60000") != NULL);

    /* A caller's own limit applies as well. */
    free(file.data);
    webp_lossless(px, w, h, 3, &file);
    cg_decode_options_default(&opt);
    opt.limits.max_pixels = 63;
    expect_status(file.data, file.len, &opt, CG_E_LIMIT, &err);
    free(anim.data);
    free(body.data);
    free(file.data);
    free(px);
}

/* Runs a case, or skips it when the library is not linked. */
#define WEBP_CASE(body) \
    do {                \
        need_webp();    \
        body();         \
    } while (0)
#else
#define WEBP_CASE(body) CG_SKIP("libwebp's headers are not installed")
#endif

CG_TEST(webp_lossless_rgb)
{
    WEBP_CASE(webp_lossless_rgb);
}

CG_TEST(webp_lossless_rgba_keeps_rgb_under_alpha)
{
    WEBP_CASE(webp_lossless_rgba_keeps_rgb_under_alpha);
}

CG_TEST(webp_grey_is_one_channel)
{
    WEBP_CASE(webp_grey_is_one_channel);
}

CG_TEST(webp_lossy_with_alpha)
{
    WEBP_CASE(webp_lossy_with_alpha);
}

CG_TEST(webp_exif_orientation)
{
    WEBP_CASE(webp_exif_orientation);
}

CG_TEST(webp_animated_first_frame)
{
    WEBP_CASE(webp_animated_first_frame);
}

CG_TEST(webp_truncated_is_decode_error)
{
    WEBP_CASE(webp_truncated_is_decode_error);
}

CG_TEST(webp_header_bombs_are_limit_errors)
{
    WEBP_CASE(webp_header_bombs_are_limit_errors);
}

/* ---- GIF ------------------------------------------------------------------------------------ */

#if HAVE_GIF_H

static void need_gif(void)
{
    if (EGifOpen == NULL)
        CG_SKIP("giflib is not linked (a build with CG_WITH_GIF=OFF)");
}

static int gif_write(GifFileType *gif, const GifByteType *data, int n)
{
    membuf_put(gif->UserData, data, (size_t)n);
    return n;
}

/* A 16-colour palette whose entries are all distinct and not grey. */
static ColorMapObject *palette16(int grey)
{
    GifColorType colors[16];

    for (int i = 0; i < 16; i++) {
        colors[i].Red = (GifByteType)(i * 16 + 3);
        colors[i].Green = grey ? colors[i].Red : (GifByteType)(255 - i * 15);
        colors[i].Blue = grey ? colors[i].Red : (GifByteType)(i * 7 + 100);
    }
    return GifMakeMapObject(16, colors);
}

static uint8_t gif_index(uint32_t x, uint32_t y)
{
    return (uint8_t)((x + y * 3) % 16);
}

typedef struct gif_frame {
    int left, top, width, height;
    bool interlace;
    int transparent;             /* -1 for none */
    const ColorMapObject *local; /* NULL to use the global map */
} gif_frame;

/* Writes a GIF with the given screen, optional global map and frames (indices gif_index). */
static void gif_encode(int sw, int sh, int bg, const ColorMapObject *global,
                       const gif_frame *frames, int count, membuf *out)
{
    int e = 0;
    GifFileType *gif;

    memset(out, 0, sizeof(*out));
    gif = EGifOpen(out, gif_write, &e);
    CG_ASSERT(gif != NULL);
    EGifSetGifVersion(gif, true);
    CG_ASSERT_EQ(EGifPutScreenDesc(gif, sw, sh, 8, bg, global), GIF_OK);
    for (int f = 0; f < count; f++) {
        const gif_frame *fr = &frames[f];
        static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
        GifPixelType *line = malloc((size_t)fr->width);

        CG_ASSERT(line != NULL);
        if (fr->transparent >= 0 || count > 1) {
            GraphicsControlBlock gcb = {DISPOSAL_UNSPECIFIED, false, 10, fr->transparent};
            GifByteType ext[4];
            size_t n = EGifGCBToExtension(&gcb, ext);

            CG_ASSERT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, (int)n, ext), GIF_OK);
        }
        /* giflib 5.2.1 forgets (leaks) the previous frame's local map when a frame without one
         * follows; free it here. */
        if (fr->local == NULL && gif->Image.ColorMap != NULL) {
            GifFreeMapObject(gif->Image.ColorMap);
            gif->Image.ColorMap = NULL;
        }
        CG_ASSERT_EQ(EGifPutImageDesc(gif, fr->left, fr->top, fr->width, fr->height,
                                      fr->interlace, fr->local),
                     GIF_OK);
        /* giflib writes lines in the order given: an interlaced frame is fed pass by pass. */
        for (int pass = 0; pass < (fr->interlace ? 4 : 1); pass++) {
            int y0 = fr->interlace ? start[pass] : 0, dy = fr->interlace ? step[pass] : 1;

            for (int y = y0; y < fr->height; y += dy) {
                for (int x = 0; x < fr->width; x++)
                    line[x] = (GifPixelType)((gif_index((uint32_t)x, (uint32_t)y) + f) % 16);
                CG_ASSERT_EQ(EGifPutLine(gif, line, fr->width), GIF_OK);
            }
        }
        free(line);
    }
    CG_ASSERT_EQ(EGifCloseFile(gif, &e), GIF_OK);
}

/* Checks frame 0 of a gif_encode image drawn at (left, top) through cmap. */
static void expect_gif_frame(const cg_image *img, const gif_frame *fr, const ColorMapObject *cmap)
{
    for (int y = 0; y < fr->height; y++) {
        for (int x = 0; x < fr->width; x++) {
            const GifColorType *c = &cmap->Colors[gif_index((uint32_t)x, (uint32_t)y)];
            const uint8_t *p =
                img->pixels + ((size_t)(fr->top + y) * img->width + (size_t)(fr->left + x)) * 3;

            if (p[0] != c->Red || p[1] != c->Green || p[2] != c->Blue)
                cg_test_fail(__FILE__, __LINE__, "pixel (%d,%d): got %u,%u,%u want %u,%u,%u",
                             fr->left + x, fr->top + y, p[0], p[1], p[2], c->Red, c->Green,
                             c->Blue);
        }
    }
}

static void gif_palette_image(void)
{
    ColorMapObject *cmap = palette16(0);
    gif_frame fr = {0, 0, 21, 13, false, -1, NULL};
    membuf file;
    cg_image *img;

    gif_encode(21, 13, 0, cmap, &fr, 1, &file);
    CG_ASSERT_EQ(cg_image_sniff(file.data, file.len), CG_FORMAT_GIF);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->width, 21);
    CG_ASSERT_EQ(img->height, 13);
    CG_ASSERT_EQ(img->channels, 3);
    CG_ASSERT_EQ(img->format, CG_FORMAT_GIF);
    CG_ASSERT_EQ(img->has_alpha, 0);
    CG_ASSERT_EQ(img->frame_count, 1);
    CG_ASSERT_EQ(img->bit_depth, 4);
    expect_gif_frame(img, &fr, cmap);
    cg_image_destroy(img);
    expect_alloc_failures_clean(file.data, file.len);
    GifFreeMapObject(cmap);
    free(file.data);
}

static void gif_transparent_index_keeps_palette_colour(void)
{
    ColorMapObject *cmap = palette16(0);
    gif_frame fr = {0, 0, 16, 16, false, 5, NULL};
    membuf file;
    cg_image *img;

    gif_encode(16, 16, 0, cmap, &fr, 1, &file);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->has_alpha, 1);
    expect_gif_frame(img, &fr, cmap); /* index 5 included: its palette colour, not a matte */
    cg_image_destroy(img);
    GifFreeMapObject(cmap);
    free(file.data);
}

static void gif_interlaced(void)
{
    ColorMapObject *cmap = palette16(0);
    gif_frame fr = {0, 0, 9, 19, true, -1, NULL}; /* 19 rows: every pass is partial */
    membuf file;
    cg_image *img;

    gif_encode(9, 19, 0, cmap, &fr, 1, &file);
    CG_ASSERT(file.data[13 + 3 * 16 + 9] & 0x40); /* the frame's interlace flag */
    img = decode_ok(file.data, file.len);
    expect_gif_frame(img, &fr, cmap);
    cg_image_destroy(img);
    expect_truncations_fail(file.data, file.len, 6, 1);
    GifFreeMapObject(cmap);
    free(file.data);
}

static void gif_grey_palette_is_one_channel(void)
{
    ColorMapObject *cmap = palette16(1);
    gif_frame fr = {0, 0, 12, 7, false, -1, NULL};
    membuf file;
    cg_image *img;

    gif_encode(12, 7, 0, cmap, &fr, 1, &file);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->channels, 1);
    for (uint32_t y = 0; y < 7; y++)
        for (uint32_t x = 0; x < 12; x++)
            CG_ASSERT_EQ(img->pixels[y * 12 + x], cmap->Colors[gif_index(x, y)].Red);
    cg_image_destroy(img);
    GifFreeMapObject(cmap);
    free(file.data);
}

/* Frame 1 is smaller than the screen and has a local map; the rest of the screen takes the
 * global map's background colour. Three frames are counted; only the first is decoded. */
static void gif_animated_offset_frame_and_background(void)
{
    ColorMapObject *global = palette16(0), *local = palette16(0);
    gif_frame fr[3] = {{4, 2, 10, 8, false, 7, NULL},
                       {0, 0, 20, 16, false, -1, NULL},
                       {3, 3, 5, 5, true, -1, NULL}};
    membuf file;
    cg_image *img;

    for (int i = 0; i < 16; i++)
        local->Colors[i].Blue = (GifByteType)(200 - i); /* tell the two maps apart */
    fr[0].local = local;
    gif_encode(20, 16, 3, global, fr, 3, &file);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->width, 20);
    CG_ASSERT_EQ(img->height, 16);
    CG_ASSERT_EQ(img->frame_count, 3);
    CG_ASSERT_EQ(img->has_alpha, 1);
    expect_gif_frame(img, &fr[0], local);
    for (uint32_t y = 0; y < 16; y++) {
        for (uint32_t x = 0; x < 20; x++) {
            const uint8_t *p = img->pixels + (y * 20 + x) * 3;

            if (x >= 4 && x < 14 && y >= 2 && y < 10)
                continue;
            CG_ASSERT_EQ(p[0], global->Colors[3].Red);
            CG_ASSERT_EQ(p[1], global->Colors[3].Green);
            CG_ASSERT_EQ(p[2], global->Colors[3].Blue);
        }
    }
    cg_image_destroy(img);
    /* Cuts inside the later frames fail too: the file must be whole. */
    expect_truncations_fail(file.data, file.len, 6, 1);
    /* Only the trailer byte missing: accepted, nothing is lost. */
    img = decode_ok(file.data, file.len - 1);
    CG_ASSERT_EQ(img->frame_count, 3);
    cg_image_destroy(img);
    expect_alloc_failures_clean(file.data, file.len);
    GifFreeMapObject(global);
    GifFreeMapObject(local);
    free(file.data);
}

/* A 1x1 GIF with neither a global nor a local colour map (LZW: clear, 0, end). */
static const uint8_t gif_no_map[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x00, 0, 0,
                                     ',', 0, 0, 0, 0, 1, 0, 1, 0, 0x00,
                                     2, 2, 0x44, 0x01, 0, ';'};

/* The same with a 2-entry global map. Screen size at 6, frame size at 24. */
static const uint8_t gif_tiny[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0,
                                   0, 0, 0, 255, 255, 255,
                                   ',', 0, 0, 0, 0, 1, 0, 1, 0, 0x00,
                                   2, 2, 0x44, 0x01, 0, ';'};

static void gif_without_colour_map_is_decode_error(void)
{
    cg_image *img;
    cg_error err;

    img = decode_ok(gif_tiny, sizeof(gif_tiny));
    CG_ASSERT_EQ(img->width, 1);
    CG_ASSERT_EQ(img->channels, 1); /* black */
    CG_ASSERT_EQ(img->pixels[0], 0);
    CG_ASSERT_EQ(img->bit_depth, 1);
    cg_image_destroy(img);
    CG_ASSERT_EQ(cg_image_sniff(gif_no_map, sizeof(gif_no_map)), CG_FORMAT_GIF);
    expect_status(gif_no_map, sizeof(gif_no_map), NULL, CG_E_DECODE, &err);
    CG_ASSERT(strstr(err.message, "colour map") != NULL);
}

static void gif_header_bombs_are_limit_errors(void)
{
    uint8_t bomb[sizeof(gif_tiny)];
    cg_error err;

    /* Logical screen 60000 x 60000 (0xea60). */
    memcpy(bomb, gif_tiny, sizeof(bomb));
    bomb[6] = bomb[8] = 0x60;
    bomb[7] = bomb[9] = 0xea;
    expect_status(bomb, sizeof(bomb), NULL, CG_E_LIMIT, &err);
    CG_ASSERT(strstr(err.message, "60000") != NULL);
    /* A 1x1 screen with a 60000 x 60000 first frame. */
    memcpy(bomb, gif_tiny, sizeof(bomb));
    bomb[24] = bomb[26] = 0x60;
    bomb[25] = bomb[27] = 0xea;
    expect_status(bomb, sizeof(bomb), NULL, CG_E_LIMIT, &err);
    CG_ASSERT(strstr(err.message, "60000") != NULL);
}

static void gif_truncated_is_decode_error(void)
{
    ColorMapObject *cmap = palette16(0);
    gif_frame fr = {0, 0, 40, 30, false, -1, NULL};
    membuf file;

    gif_encode(40, 30, 0, cmap, &fr, 1, &file);
    expect_truncations_fail(file.data, file.len, 6, 1);
    GifFreeMapObject(cmap);
    free(file.data);
}

/* Runs a case, or skips it when the library is not linked. */
#define GIF_CASE(body) \
    do {               \
        need_gif();    \
        body();        \
    } while (0)
#else
#define GIF_CASE(body) CG_SKIP("giflib's header is not installed")
#endif

CG_TEST(gif_palette_image)
{
    GIF_CASE(gif_palette_image);
}

CG_TEST(gif_transparent_index_keeps_palette_colour)
{
    GIF_CASE(gif_transparent_index_keeps_palette_colour);
}

CG_TEST(gif_interlaced)
{
    GIF_CASE(gif_interlaced);
}

CG_TEST(gif_grey_palette_is_one_channel)
{
    GIF_CASE(gif_grey_palette_is_one_channel);
}

CG_TEST(gif_animated_offset_frame_and_background)
{
    GIF_CASE(gif_animated_offset_frame_and_background);
}

CG_TEST(gif_without_colour_map_is_decode_error)
{
    GIF_CASE(gif_without_colour_map_is_decode_error);
}

CG_TEST(gif_header_bombs_are_limit_errors)
{
    GIF_CASE(gif_header_bombs_are_limit_errors);
}

CG_TEST(gif_truncated_is_decode_error)
{
    GIF_CASE(gif_truncated_is_decode_error);
}

/* ---- BMP ------------------------------------------------------------------------------------ */

static void bmp_write(void *ctx, void *data, int n)
{
    membuf_put(ctx, data, (size_t)n);
}

static void bmp_encode(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, membuf *out)
{
    memset(out, 0, sizeof(*out));
    CG_ASSERT(stbi_write_bmp_to_func(bmp_write, out, (int)w, (int)h, (int)ch, px));
}

CG_TEST(bmp_rgb)
{
    const uint32_t w = 17, h = 9; /* 51-byte rows: padded to 52 */
    uint8_t *px = pattern(w, h, 3);
    membuf file;
    cg_image *img;

    bmp_encode(px, w, h, 3, &file);
    CG_ASSERT_EQ(cg_image_sniff(file.data, file.len), CG_FORMAT_BMP);
    img = decode_ok(file.data, file.len);
    expect_pixels(img, px, w, h, 3);
    CG_ASSERT_EQ(img->format, CG_FORMAT_BMP);
    CG_ASSERT_EQ(img->has_alpha, 0);
    CG_ASSERT_EQ(img->frame_count, 1);
    CG_ASSERT_EQ(img->bit_depth, 8);
    cg_image_destroy(img);
    expect_truncations_fail(file.data, file.len, 18, 0);
    expect_alloc_failures_clean(file.data, file.len);
    free(file.data);
    free(px);
}

CG_TEST(bmp_rgba_keeps_rgb_under_alpha)
{
    const uint32_t w = 13, h = 11;
    uint8_t *px = pattern(w, h, 4), *rgb = drop_alpha(px, w, h);
    membuf file;
    cg_image *img;

    bmp_encode(px, w, h, 4, &file);
    img = decode_ok(file.data, file.len);
    expect_pixels(img, rgb, w, h, 3);
    CG_ASSERT_EQ(img->has_alpha, 1);
    cg_image_destroy(img);
    expect_truncations_fail(file.data, file.len, 18, 0);
    free(file.data);
    free(rgb);
    free(px);
}

CG_TEST(bmp_grey_is_one_channel)
{
    const uint32_t w = 10, h = 5;
    uint8_t *grey = pattern(w, h, 1);
    membuf file;
    cg_image *img;

    bmp_encode(grey, w, h, 1, &file); /* stb writes grey as 24-bit R = G = B */
    img = decode_ok(file.data, file.len);
    expect_pixels(img, grey, w, h, 1);
    cg_image_destroy(img);
    free(file.data);
    free(grey);
}

CG_TEST(bmp_bombs_and_unsupported_variants)
{
    uint8_t *px = pattern(4, 4, 3);
    membuf file;
    cg_error err;

    bmp_encode(px, 4, 4, 3, &file);
    CG_ASSERT_EQ(file.data[14], 40); /* BITMAPINFOHEADER */
    /* 60000 x 60000 in a 102-byte file. */
    file.data[18] = file.data[22] = 0x60;
    file.data[19] = file.data[23] = 0xea;
    expect_status(file.data, file.len, NULL, CG_E_LIMIT, &err);
    free(file.data);
    /* RLE8 compression: stb_image does not implement it. */
    bmp_encode(px, 4, 4, 3, &file);
    file.data[30] = 1;
    expect_status(file.data, file.len, NULL, CG_E_UNSUPPORTED, &err);
    free(file.data);
    free(px);
}

/* ---- HEIF / AVIF ---------------------------------------------------------------------------- */

#if HAVE_HEIF_H

static void need_heif(void)
{
    if (heif_context_alloc == NULL)
        CG_SKIP("libheif is not linked (a build with CG_WITH_HEIF=OFF)");
}

static void heif_ok(struct heif_error e, int line)
{
    if (e.code != heif_error_Ok)
        cg_test_fail(__FILE__, line, "libheif: %s", e.message);
}

static struct heif_error heif_write_mem(struct heif_context *ctx, const void *data, size_t size,
                                        void *user)
{
    struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};

    (void)ctx;
    membuf_put(user, data, size);
    return ok;
}

/* Encodes px (RGB, or grey when ch is 1) with libheif's encoder for format, losslessly when
 * the encoder can (4:4:4, identity matrix), attaching an EXIF block with the given orientation
 * when it is nonzero. Skips the case when this libheif has no such encoder. */
static void heif_encode(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch,
                        enum heif_compression_format format, int orientation, membuf *out)
{
    struct heif_context *ctx;
    struct heif_encoder *enc = NULL;
    struct heif_image *image = NULL;
    struct heif_image_handle *handle = NULL;
    struct heif_encoding_options *eo;
    struct heif_color_profile_nclx *nclx;
    struct heif_writer writer = {1, heif_write_mem};
    enum heif_channel plane_ch = ch == 1 ? heif_channel_Y : heif_channel_interleaved;
    uint8_t *plane;
    int stride = 0;

    if (!heif_have_encoder_for_format(format))
        CG_SKIP(format == heif_compression_AV1 ? "this libheif has no AV1 encoder"
                                               : "this libheif has no HEVC encoder");
    ctx = heif_context_alloc();
    CG_ASSERT(ctx != NULL);
    heif_ok(heif_context_get_encoder_for_format(ctx, format, &enc), __LINE__);
    heif_ok(heif_encoder_set_lossless(enc, 1), __LINE__);
    heif_ok(heif_encoder_set_logging_level(enc, 0), __LINE__); /* quiet x265 */
    (void)heif_encoder_set_parameter(enc, "chroma", "444");
    heif_ok(heif_image_create((int)w, (int)h,
                              ch == 1 ? heif_colorspace_monochrome : heif_colorspace_RGB,
                              ch == 1 ? heif_chroma_monochrome : heif_chroma_interleaved_RGB,
                              &image),
            __LINE__);
    heif_ok(heif_image_add_plane(image, plane_ch, (int)w, (int)h, 8), __LINE__);
    plane = heif_image_get_plane(image, plane_ch, &stride);
    CG_ASSERT(plane != NULL);
    for (uint32_t y = 0; y < h; y++)
        memcpy(plane + (size_t)y * (size_t)stride, px + (size_t)y * w * ch, (size_t)w * ch);
    eo = heif_encoding_options_alloc();
    nclx = heif_nclx_color_profile_alloc();
    CG_ASSERT(eo != NULL && nclx != NULL);
    nclx->matrix_coefficients = heif_matrix_coefficients_RGB_GBR;
    nclx->full_range_flag = 1;
    eo->output_nclx_profile = nclx;
    heif_ok(heif_context_encode_image(ctx, image, enc, eo, &handle), __LINE__);
    if (orientation != 0) {
        uint8_t tiff[26];
        size_t n = tiff_orientation(tiff, orientation);

        heif_ok(heif_context_add_exif_metadata(ctx, handle, tiff, (int)n), __LINE__);
    }
    memset(out, 0, sizeof(*out));
    heif_ok(heif_context_write(ctx, &writer, out), __LINE__);
    heif_nclx_color_profile_free(nclx);
    heif_encoding_options_free(eo);
    heif_image_handle_release(handle);
    heif_image_release(image);
    heif_encoder_release(enc);
    heif_context_free(ctx);
}

/* Largest absolute difference between two sample buffers. */
static int max_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    int m = 0;

    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);

        if (d > m)
            m = d;
    }
    return m;
}

static void set_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Overwrites the size in every ispe box (the stored image size) with w x h. */
static int patch_ispe(membuf *file, uint32_t w, uint32_t h)
{
    int found = 0;

    for (size_t i = 4; i + 16 <= file->len; i++) {
        if (memcmp(file->data + i, "ispe", 4) == 0) {
            set_be32(file->data + i + 8, w); /* after the version and flags */
            set_be32(file->data + i + 12, h);
            found++;
        }
    }
    return found;
}

static void heif_roundtrip(enum heif_compression_format format, cg_image_format want_fmt)
{
    const uint32_t w = 64, h = 48;
    uint8_t *px = pattern(w, h, 3);
    membuf file;
    cg_image *img;

    heif_encode(px, w, h, 3, format, 6, &file);
    CG_ASSERT_EQ(cg_image_sniff(file.data, file.len), want_fmt);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->width, w);
    CG_ASSERT_EQ(img->height, h);
    CG_ASSERT_EQ(img->channels, 3);
    CG_ASSERT_EQ(img->format, want_fmt);
    CG_ASSERT_EQ(img->has_alpha, 0);
    CG_ASSERT_EQ(img->frame_count, 1);
    CG_ASSERT_EQ(img->bit_depth, 8);
    /* Reported from the EXIF block (found past its 4-byte offset), not applied: libheif wrote
     * no irot box, so the pixels are as stored. */
    CG_ASSERT_EQ(img->exif_orientation, 6);
    /* Lossless coding with an identity matrix: libheif's RGB round trip is off by at most 1. */
    CG_ASSERT_LE(max_diff(img->pixels, px, (size_t)w * h * 3), 2);
    cg_image_destroy(img);
    expect_truncations_fail(file.data, file.len, 24, 0);
    expect_alloc_failures_clean(file.data, file.len);
    free(file.data);
    free(px);
}

static void heic_roundtrip(void)
{
    heif_roundtrip(heif_compression_HEVC, CG_FORMAT_HEIF);
}

static void avif_roundtrip(void)
{
    heif_roundtrip(heif_compression_AV1, CG_FORMAT_AVIF);
}

static void heic_grey_is_one_channel(void)
{
    const uint32_t w = 32, h = 24;
    uint8_t *grey = pattern(w, h, 1);
    membuf file;
    cg_image *img;

    heif_encode(grey, w, h, 1, heif_compression_HEVC, 0, &file);
    img = decode_ok(file.data, file.len);
    CG_ASSERT_EQ(img->channels, 1);
    CG_ASSERT_EQ(img->exif_orientation, 0);
    CG_ASSERT_LE(max_diff(img->pixels, grey, (size_t)w * h), 2);
    cg_image_destroy(img);
    free(file.data);
    free(grey);
}

static void heic_limits(void)
{
    const uint32_t w = 64, h = 48;
    uint8_t *px = pattern(w, h, 3);
    membuf file;
    cg_error err;
    cg_decode_options opt;

    heif_encode(px, w, h, 3, heif_compression_HEVC, 0, &file);
    /* A side over max_side: libheif's own size check, at parse time. */
    cg_decode_options_default(&opt);
    opt.limits.max_side = 32;
    expect_status(file.data, file.len, &opt, CG_E_LIMIT, &err);
    /* Too many pixels: our check, before decoding. */
    cg_decode_options_default(&opt);
    opt.limits.max_pixels = (uint64_t)w * h - 1;
    expect_status(file.data, file.len, &opt, CG_E_LIMIT, &err);
    /* A stored size of 60000 x 60000 in a tiny file. */
    CG_ASSERT_GE(patch_ispe(&file, 60000, 60000), 1);
    expect_status(file.data, file.len, NULL, CG_E_LIMIT, &err);
    CG_ASSERT(strstr(err.message, "60000") != NULL);
    free(file.data);
    free(px);
}

/* Runs a case, or skips it when the library is not linked. */
#define HEIF_CASE(body) \
    do {                \
        need_heif();    \
        body();         \
    } while (0)
#else
#define HEIF_CASE(body) CG_SKIP("libheif's header is not installed")
#endif

CG_TEST(heic_roundtrip)
{
    HEIF_CASE(heic_roundtrip);
}

CG_TEST(avif_roundtrip)
{
    HEIF_CASE(avif_roundtrip);
}

CG_TEST(heic_grey_is_one_channel)
{
    HEIF_CASE(heic_grey_is_one_channel);
}

CG_TEST(heic_limits)
{
    HEIF_CASE(heic_limits);
}

