/* The bad-input corpus, generated here rather than stored: for each format this build decodes,
 * a small valid file is encoded in memory with the format's own library (libjpeg, libpng,
 * libwebp, giflib, stb_image_write), then broken in every way a hostile upload can be broken:
 * empty, random, truncated at every cut point, bit-flipped, a header claiming 60000x60000, a
 * progressive JPEG with hundreds of scans. Every result must be a clean status (never a crash,
 * a leak or an out-of-bounds read: run under ASan) with an error message; decode_file's
 * messages must name the path.
 *
 * WebP and GIF encoders are referenced weakly: a build configured without CG_WITH_WEBP or
 * CG_WITH_GIF does not link those libraries, and their cases then print SKIPPED. A format whose
 * decoder is not built in (it answers CG_E_UNSUPPORTED to a valid file) is skipped the same way. */
#include "cg_test.h"
#include "cg_testenc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <stb/stb_image_write.h>

#if __has_include(<webp/encode.h>)
#include <webp/encode.h>
#pragma weak WebPEncodeLosslessRGB
#pragma weak WebPFree
#define HAVE_WEBP_ENCODER 1
#endif
#if __has_include(<gif_lib.h>)
#include <gif_lib.h>
#pragma weak EGifOpen
#pragma weak EGifPutScreenDesc
#pragma weak EGifPutImageDesc
#pragma weak EGifPutLine
#pragma weak EGifCloseFile
#pragma weak GifMakeMapObject
#pragma weak GifFreeMapObject
#define HAVE_GIF_ENCODER 1
#endif

#include "childguard.h"
#include "media/media_int.h"

/* ASan's allocation hook (declared in sanitizer/allocator_interface.h, which not every compiler
 * ships). Weak: without ASan it is NULL and the "no pixel allocation" checks rely on the status
 * alone. */
int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void *, size_t),
                                              void (*on_free)(const volatile void *))
    __attribute__((weak));

#define IMG_W 64
#define IMG_H 48

/* ---- small helpers ------------------------------------------------------------------------ */

/* splitmix64: a fixed seed gives the same corpus on every run and machine. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A test picture with smooth gradients plus noise, so that every encoder produces a file with
 * real entropy-coded data (a flat picture would compress to almost nothing). */
static void make_rgb(uint8_t *rgb, int w, int h)
{
    uint64_t s = 12345;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            unsigned noise = (unsigned)(rng_next(&s) & 31);

            p[0] = (uint8_t)(x * 255 / w + noise);
            p[1] = (uint8_t)(y * 255 / h + noise);
            p[2] = (uint8_t)((x * y) & 0xff);
        }
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL)
        cg_test_fail(__FILE__, __LINE__, "cannot create %s", path);
    if (len > 0 && fwrite(data, 1, len, f) != len)
        cg_test_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (fclose(f) != 0)
        cg_test_fail(__FILE__, __LINE__, "cannot close %s", path);
}

/* ---- encoders ----------------------------------------------------------------------------- */

typedef enum jpeg_kind { JPEG_BASELINE, JPEG_PROGRESSIVE, JPEG_MANY_SCANS } jpeg_kind;

/* Largest successive-approximation shift libjpeg accepts for 8-bit samples (MAX_AH_AL). */
#define JPEG_MAX_AL 10

/* A scan script with as many scans as libjpeg's validator allows for one component: for the DC
 * coefficient and for each of the 63 AC coefficients separately, a first scan at bit position
 * JPEG_MAX_AL and one refinement scan per lower bit: 64 x 11 = 704 scans. */
static int many_scans_script(jpeg_scan_info *scans)
{
    int n = 0;

    for (int k = 0; k < 64; k++)
        for (int ah = 0, al = JPEG_MAX_AL; al >= 0; ah = al, al--) {
            scans[n].comps_in_scan = 1;
            scans[n].component_index[0] = 0;
            scans[n].Ss = k;
            scans[n].Se = k;
            scans[n].Ah = ah;
            scans[n].Al = al;
            n++;
        }
    return n;
}

static void encode_jpeg(const uint8_t *pix, int w, int h, int comps, jpeg_kind kind, cg_membuf *out)
{
    static jpeg_scan_info scans[64 * (JPEG_MAX_AL + 1)];
    int nscans = kind == JPEG_MANY_SCANS ? many_scans_script(scans) : 0;

    cg_test_encode_jpeg(pix, w, h, comps, 90, kind == JPEG_PROGRESSIVE,
                        kind == JPEG_MANY_SCANS ? scans : NULL, nscans, out);
}

static void encode_png(const uint8_t *rgb, int w, int h, cg_membuf *out)
{
    cg_test_encode_png(rgb, w, h, PNG_COLOR_TYPE_RGB, 0, NULL, 0, NULL, 0, out);
}

static void stb_write_cb(void *ctx, void *data, int n)
{
    cg_membuf_append(ctx, data, (size_t)n);
}

/* Each encoder returns false when this build cannot encode the format. */
static bool make_jpeg(cg_membuf *out)
{
    uint8_t rgb[IMG_W * IMG_H * 3];

    make_rgb(rgb, IMG_W, IMG_H);
    encode_jpeg(rgb, IMG_W, IMG_H, 3, JPEG_BASELINE, out);
    return true;
}

static bool make_png(cg_membuf *out)
{
    uint8_t rgb[IMG_W * IMG_H * 3];

    make_rgb(rgb, IMG_W, IMG_H);
    encode_png(rgb, IMG_W, IMG_H, out);
    return true;
}

static bool make_bmp(cg_membuf *out)
{
    uint8_t rgb[IMG_W * IMG_H * 3];

    make_rgb(rgb, IMG_W, IMG_H);
    CG_ASSERT(stbi_write_bmp_to_func(stb_write_cb, out, IMG_W, IMG_H, 3, rgb) != 0);
    return true;
}

static bool make_webp(cg_membuf *out)
{
#ifdef HAVE_WEBP_ENCODER
    uint8_t rgb[IMG_W * IMG_H * 3];
    uint8_t *enc = NULL;
    size_t n;

    if (WebPEncodeLosslessRGB == NULL || WebPFree == NULL)
        return false;
    make_rgb(rgb, IMG_W, IMG_H);
    n = WebPEncodeLosslessRGB(rgb, IMG_W, IMG_H, IMG_W * 3, &enc);
    CG_ASSERT(n > 0);
    cg_membuf_append(out, enc, n);
    WebPFree(enc);
    return true;
#else
    (void)out;
    return false;
#endif
}

#ifdef HAVE_GIF_ENCODER
static int gif_write_cb(GifFileType *gif, const GifByteType *data, int n)
{
    cg_membuf_append(gif->UserData, data, (size_t)n);
    return n;
}
#endif

static bool make_gif(cg_membuf *out)
{
#ifdef HAVE_GIF_ENCODER
    GifFileType *gif;
    ColorMapObject *map;
    GifPixelType line[IMG_W];
    int e = 0;

    if (EGifOpen == NULL || EGifPutScreenDesc == NULL || EGifPutImageDesc == NULL ||
        EGifPutLine == NULL || EGifCloseFile == NULL || GifMakeMapObject == NULL ||
        GifFreeMapObject == NULL)
        return false;
    map = GifMakeMapObject(256, NULL);
    CG_ASSERT(map != NULL);
    for (int i = 0; i < 256; i++) {
        map->Colors[i].Red = (GifByteType)i;
        map->Colors[i].Green = (GifByteType)(255 - i);
        map->Colors[i].Blue = (GifByteType)(i * 7);
    }
    gif = EGifOpen(out, gif_write_cb, &e);
    CG_ASSERT(gif != NULL);
    CG_ASSERT_EQ(EGifPutScreenDesc(gif, IMG_W, IMG_H, 8, 0, map), GIF_OK);
    CG_ASSERT_EQ(EGifPutImageDesc(gif, 0, 0, IMG_W, IMG_H, false, NULL), GIF_OK);
    for (int y = 0; y < IMG_H; y++) {
        for (int x = 0; x < IMG_W; x++)
            line[x] = (GifPixelType)((x * 3 + y * 5 + (x * y) % 7) & 0xff);
        CG_ASSERT_EQ(EGifPutLine(gif, line, IMG_W), GIF_OK);
    }
    CG_ASSERT_EQ(EGifCloseFile(gif, &e), GIF_OK);
    GifFreeMapObject(map);
    return true;
#else
    (void)out;
    return false;
#endif
}

/* ---- formats and result checks ------------------------------------------------------------ */

typedef cg_status (*decode_fn)(const uint8_t *data, size_t len, const cg_decode_options *opt,
                               cg_image **out, cg_error *err);

typedef struct format_case {
    const char *name;
    cg_image_format format;
    bool (*make)(cg_membuf *out);
    decode_fn decode;
    size_t header_len; /* a cut shorter than this leaves no complete header */
} format_case;

static const format_case formats[] = {
    {"jpeg", CG_FORMAT_JPEG, make_jpeg, cg__decode_jpeg, 20},
    {"png", CG_FORMAT_PNG, make_png, cg__decode_png, 33},
    {"webp", CG_FORMAT_WEBP, make_webp, cg__decode_webp, 30},
    {"gif", CG_FORMAT_GIF, make_gif, cg__decode_gif, 13},
    {"bmp", CG_FORMAT_BMP, make_bmp, cg__decode_bmp, 54},
};

static const format_case *format_named(const char *name)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    cg_test_fail(__FILE__, __LINE__, "no format %s", name);
}

/* Encodes fc's valid file into out and checks that it decodes; returns false when this build
 * cannot encode or cannot decode the format (the caller then skips). */
static bool valid_file(const format_case *fc, cg_membuf *out)
{
    cg_image *img = NULL;
    cg_error err = {0};
    cg_status st;

    if (!fc->make(out))
        return false;
    st = cg_image_decode_mem(out->data, out->len, NULL, &img, &err);
    if (st == CG_E_UNSUPPORTED)
        return false;
    CG_ASSERT_OK(st, &err);
    CG_ASSERT_EQ(img->format, fc->format);
    CG_ASSERT_EQ(img->width, IMG_W);
    CG_ASSERT_EQ(img->height, IMG_H);
    cg_image_destroy(img);
    return true;
}

static void valid_or_skip(const format_case *fc, cg_membuf *out)
{
    static char why[128];

    if (!valid_file(fc, out)) {
        cg_membuf_free(out);
        snprintf(why, sizeof(why), "this build does not encode or decode %s", fc->name);
        CG_SKIP(why);
    }
}

#define ALLOW(s) (1u << (s))

/* Checks one decode result: its status is in allowed; a success is a complete image (every
 * pixel is read, so ASan sees a short buffer) and is freed; a failure leaves *img NULL and
 * err filled with the same status and a message. what names the input for failure output. */
static void check_result(cg_status st, cg_image *img, const cg_error *err, unsigned allowed,
                         const char *what, size_t cut)
{
    if (!(allowed & ALLOW(st)))
        cg_test_fail(__FILE__, __LINE__, "%s (%zu bytes): unexpected %s (%s)", what, cut,
                     cg_status_name(st), err->message);
    if (st == CG_OK) {
        size_t n;
        unsigned sum = 0;

        CG_ASSERT(img != NULL && img->pixels != NULL);
        CG_ASSERT(img->width > 0 && img->height > 0);
        CG_ASSERT(img->channels == 1 || img->channels == 3);
        n = (size_t)img->width * img->height * img->channels;
        for (size_t i = 0; i < n; i++)
            sum += img->pixels[i];
        (void)sum;
        cg_image_destroy(img);
        return;
    }
    CG_ASSERT(img == NULL);
    CG_ASSERT_EQ(err->status, st);
    if (err->message[0] == '\0')
        cg_test_fail(__FILE__, __LINE__, "%s (%zu bytes): %s with an empty message", what, cut,
                     cg_status_name(st));
}

/* Decodes data through the public entry point and checks the result against allowed. */
static cg_status decode_public(const uint8_t *data, size_t len, const cg_decode_options *opt,
                               unsigned allowed, const char *what)
{
    cg_image *img = (cg_image *)&img; /* poisoned: the call must reset it */
    cg_error err = {0};
    cg_status st = cg_image_decode_mem(data, len, opt, &img, &err);

    check_result(st, img, &err, allowed, what, len);
    return st;
}

/* The same through the format's own decoder (bypassing the sniffer). */
static cg_status decode_direct(const format_case *fc, const uint8_t *data, size_t len,
                               unsigned allowed, const char *what)
{
    cg_decode_options opt;
    cg_image *img = (cg_image *)&img;
    cg_error err = {0};
    cg_status st;

    cg_decode_options_default(&opt);
    st = fc->decode(data, len, &opt, &img, &err);
    check_result(st, img, &err, allowed, what, len);
    return st;
}

/* ---- empty and random input --------------------------------------------------------------- */

CG_TEST(badinput_empty)
{
    static const uint8_t one = 0;
    cg_error err = {0};
    cg_image *img = NULL;

    decode_public(&one, 0, NULL, ALLOW(CG_E_DECODE), "zero bytes");
    CG_ASSERT_EQ(cg_image_decode_mem(NULL, 0, NULL, &img, &err), CG_E_DECODE);
    CG_ASSERT(img == NULL);
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        cg_membuf valid = {0};

        if (valid_file(&formats[i], &valid))
            decode_direct(&formats[i], &one, 0, ALLOW(CG_E_DECODE), formats[i].name);
        cg_membuf_free(&valid);
    }
}

CG_TEST(badinput_random_bytes)
{
    uint64_t seed = 0xc0ffee;
    uint8_t buf[4096];

    for (int i = 0; i < 3000; i++) {
        size_t len = 1 + (size_t)(rng_next(&seed) % sizeof(buf));
        unsigned allowed = ALLOW(CG_E_UNSUPPORTED) | ALLOW(CG_E_DECODE);

        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rng_next(&seed);
        /* A random header that happens to start with a magic number may claim any size. */
        if (cg_image_sniff(buf, len) != CG_FORMAT_UNKNOWN)
            allowed |= ALLOW(CG_E_LIMIT);
        decode_public(buf, len, NULL, allowed, "random bytes");
    }
    /* Each built-in decoder, called directly, rejects random bytes: as corrupt, as too large,
     * or as a variant of its format it does not support (a BMP compression it lacks). */
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        cg_membuf valid = {0};

        if (!valid_file(&formats[f], &valid)) {
            cg_membuf_free(&valid);
            continue;
        }
        for (int i = 0; i < 300; i++) {
            size_t len = 1 + (size_t)(rng_next(&seed) % sizeof(buf));

            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)rng_next(&seed);
            decode_direct(&formats[f], buf, len,
                          ALLOW(CG_E_DECODE) | ALLOW(CG_E_LIMIT) | ALLOW(CG_E_UNSUPPORTED),
                          formats[f].name);
        }
        cg_membuf_free(&valid);
    }
}

/* A valid header followed by random bytes, and the valid file with random bit flips: any
 * status a decoder may give (UNSUPPORTED too: a flipped bit can name a variant the decoder
 * lacks), a complete image on success, and never a crash. */
static void corrupted(const char *name)
{
    const format_case *fc = format_named(name);
    const unsigned allowed =
        ALLOW(CG_OK) | ALLOW(CG_E_DECODE) | ALLOW(CG_E_LIMIT) | ALLOW(CG_E_UNSUPPORTED);
    cg_membuf valid = {0};
    uint64_t seed = 42;
    uint8_t *buf;

    valid_or_skip(fc, &valid);
    buf = malloc(valid.len);
    CG_ASSERT(buf != NULL);
    for (int i = 0; i < 400; i++) {
        size_t keep = 16 + (size_t)(rng_next(&seed) % (valid.len - 16));

        memcpy(buf, valid.data, keep);
        for (size_t j = keep; j < valid.len; j++)
            buf[j] = (uint8_t)rng_next(&seed);
        decode_public(buf, valid.len, NULL, allowed, "valid header, random rest");
    }
    for (int i = 0; i < 400; i++) {
        int flips = 1 + (int)(rng_next(&seed) % 8);

        memcpy(buf, valid.data, valid.len);
        for (int k = 0; k < flips; k++) {
            /* Keep the first 16 bytes, which the sniffer reads, so that the format's decoder
             * is the one exercised. */
            size_t at = 16 + (size_t)(rng_next(&seed) % (valid.len - 16));

            buf[at] ^= (uint8_t)(1u << (rng_next(&seed) % 8));
        }
        decode_public(buf, valid.len, NULL, allowed, "bit flips");
    }
    free(buf);
    cg_membuf_free(&valid);
}

CG_TEST(badinput_corrupted_jpeg) { corrupted("jpeg"); }
CG_TEST(badinput_corrupted_png) { corrupted("png"); }
CG_TEST(badinput_corrupted_webp) { corrupted("webp"); }
CG_TEST(badinput_corrupted_gif) { corrupted("gif"); }
CG_TEST(badinput_corrupted_bmp) { corrupted("bmp"); }

/* ---- truncation --------------------------------------------------------------------------- */

/* Where a baseline JPEG's entropy-coded data starts (after the SOS header) and ends (at EOI). */
static void jpeg_entropy_range(const cg_membuf *j, size_t *start, size_t *end)
{
    size_t p = 2;

    *start = *end = 0;
    while (p + 4 <= j->len && j->data[p] == 0xff) {
        const unsigned marker = j->data[p + 1];
        const size_t seglen = (size_t)j->data[p + 2] << 8 | j->data[p + 3];

        if (marker == 0xda) {
            *start = p + 2 + seglen;
            break;
        }
        p += 2 + seglen;
    }
    CG_ASSERT(*start > 0);
    CG_ASSERT(j->len >= 2 && j->data[j->len - 2] == 0xff && j->data[j->len - 1] == 0xd9);
    *end = j->len - 2;
    CG_ASSERT_LT(*start + 64, *end);
}

/* Decodes every prefix of the valid file (all of them: the file is a few KiB), through the
 * public entry point and the format's own decoder. A prefix must decode to an error, except that
 * a library may tolerate a cut in the trailer (CG_OK): for JPEG only a missing EOI (any cut
 * inside the entropy-coded data is an error: the decoder treats libjpeg's premature-EOF warning
 * as one), for PNG nothing (libpng reads up to IEND), for the others anything after the header. */
static void truncated(const char *name)
{
    const format_case *fc = format_named(name);
    cg_membuf valid = {0};
    size_t ok_from, tolerated = 0;

    valid_or_skip(fc, &valid);
    ok_from = fc->header_len;
    if (fc->format == CG_FORMAT_JPEG) {
        size_t entropy_start;

        jpeg_entropy_range(&valid, &entropy_start, &ok_from);
    } else if (fc->format == CG_FORMAT_PNG) {
        ok_from = valid.len;
    }
    for (size_t cut = 0; cut < valid.len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees over-reads */
        unsigned allowed = ALLOW(CG_E_DECODE);
        cg_status st;

        CG_ASSERT(copy != NULL);
        memcpy(copy, valid.data, cut);
        if (cut >= ok_from)
            allowed |= ALLOW(CG_OK);
        decode_direct(fc, copy, cut, allowed, name);
        if (cut > 0 && cg_image_sniff(copy, cut) == CG_FORMAT_UNKNOWN)
            allowed = ALLOW(CG_E_UNSUPPORTED); /* too short to show the magic number */
        st = decode_public(copy, cut, NULL, allowed, name);
        if (st == CG_OK)
            tolerated++;
        free(copy);
    }
    printf("%s: %zu cut points, %zu tolerated\n", name, valid.len, tolerated);
    cg_membuf_free(&valid);
}

CG_TEST(badinput_truncated_jpeg) { truncated("jpeg"); }
CG_TEST(badinput_truncated_png) { truncated("png"); }
CG_TEST(badinput_truncated_webp) { truncated("webp"); }
CG_TEST(badinput_truncated_gif) { truncated("gif"); }
CG_TEST(badinput_truncated_bmp) { truncated("bmp"); }

/* The premature end of a progressive JPEG, between two scans, is an error too. */
CG_TEST(badinput_truncated_progressive_jpeg)
{
    uint8_t rgb[IMG_W * IMG_H * 3];
    cg_membuf prog = {0};
    size_t cuts = 0;

    make_rgb(rgb, IMG_W, IMG_H);
    encode_jpeg(rgb, IMG_W, IMG_H, 3, JPEG_PROGRESSIVE, &prog);
    decode_public(prog.data, prog.len, NULL, ALLOW(CG_OK), "progressive jpeg");
    /* Cut just before each SOS marker after the first: the file then ends between scans. */
    for (size_t p = 4; p + 1 < prog.len; p++) {
        if (prog.data[p] != 0xff || prog.data[p + 1] != 0xda)
            continue;
        if (cuts++ == 0)
            continue;
        decode_public(prog.data, p, NULL, ALLOW(CG_E_DECODE), "progressive jpeg cut between scans");
    }
    CG_ASSERT_GT(cuts, 2);
    cg_membuf_free(&prog);
}

/* ---- headers claiming huge sizes ---------------------------------------------------------- */

static atomic_size_t largest_alloc;
static atomic_bool recording;

static void on_malloc(const volatile void *p, size_t n)
{
    size_t cur;

    (void)p;
    if (!atomic_load(&recording))
        return;
    cur = atomic_load(&largest_alloc);
    while (n > cur && !atomic_compare_exchange_weak(&largest_alloc, &cur, n))
        ;
}

static void on_free(const volatile void *p)
{
    (void)p;
}

/* Decodes a file whose header claims a huge picture: CG_E_LIMIT, a message naming the size, and
 * (under ASan, which reports every allocation) no allocation anywhere near the pixel buffer. */
static void expect_limit(const cg_membuf *m, const char *claimed, const char *what)
{
    static bool hooked;
    cg_image *img = NULL;
    cg_error err = {0};
    cg_status st;

    if (!hooked && __sanitizer_install_malloc_and_free_hooks != NULL)
        hooked = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
    atomic_store(&largest_alloc, 0);
    atomic_store(&recording, true);
    st = cg_image_decode_mem(m->data, m->len, NULL, &img, &err);
    atomic_store(&recording, false);
    check_result(st, img, &err, ALLOW(CG_E_LIMIT), what, m->len);
    if (strstr(err.message, claimed) == NULL)
        cg_test_fail(__FILE__, __LINE__, "%s: message does not give the size %s: %s", what,
                     claimed, err.message);
    if (hooked) {
        printf("%s: largest allocation %zu bytes\n", what, atomic_load(&largest_alloc));
        CG_ASSERT_LT(atomic_load(&largest_alloc), 16u << 20);
    }
}

static void put_be16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, v >> 16);
    put_be16(p + 2, v & 0xffff);
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

CG_TEST(badinput_huge_header_jpeg)
{
    cg_membuf j = {0};
    size_t p = 2;
    bool patched = false;

    make_jpeg(&j);
    /* Walk the markers to the SOF (baseline C0 or extended C1) and rewrite its height, width. */
    while (p + 9 <= j.len && j.data[p] == 0xff) {
        const unsigned marker = j.data[p + 1];

        if (marker == 0xc0 || marker == 0xc1) {
            put_be16(j.data + p + 5, 60000);
            put_be16(j.data + p + 7, 60000);
            patched = true;
            break;
        }
        p += 2 + ((size_t)j.data[p + 2] << 8 | j.data[p + 3]);
    }
    CG_ASSERT(patched);
    expect_limit(&j, "60000", "jpeg claiming 60000x60000");
    cg_membuf_free(&j);
}

CG_TEST(badinput_huge_header_png)
{
    cg_membuf png = {0};

    make_png(&png);
    /* IHDR is the first chunk: length at 8, type at 12, width at 16, height at 20, CRC (over
     * type and data) at 29. */
    CG_ASSERT(memcmp(png.data + 12, "IHDR", 4) == 0);
    put_be32(png.data + 16, 60000);
    put_be32(png.data + 20, 60000);
    put_be32(png.data + 29, crc32_png(png.data + 12, 17));
    expect_limit(&png, "60000", "png claiming 60000x60000");
    cg_membuf_free(&png);
}

CG_TEST(badinput_huge_header_bmp)
{
    const format_case *fc = format_named("bmp");
    cg_membuf bmp = {0};

    valid_or_skip(fc, &bmp);
    /* BITMAPINFOHEADER: width at 18, height at 22 (little-endian int32). */
    put_le16(bmp.data + 18, 60000);
    put_le16(bmp.data + 20, 0);
    put_le16(bmp.data + 22, 60000);
    put_le16(bmp.data + 24, 0);
    expect_limit(&bmp, "60000", "bmp claiming 60000x60000");
    cg_membuf_free(&bmp);
}

CG_TEST(badinput_huge_header_gif)
{
    const format_case *fc = format_named("gif");
    cg_membuf gif = {0};
    size_t p;

    valid_or_skip(fc, &gif);
    /* Logical screen at 6, then the global colour table, then the image descriptor (0x2c):
     * left, top, width, height as little-endian 16-bit values. */
    put_le16(gif.data + 6, 60000);
    put_le16(gif.data + 8, 60000);
    p = 13;
    if (gif.data[10] & 0x80)
        p += 3u << ((gif.data[10] & 7) + 1);
    CG_ASSERT_EQ(gif.data[p], 0x2c);
    put_le16(gif.data + p + 5, 60000);
    put_le16(gif.data + p + 7, 60000);
    expect_limit(&gif, "60000", "gif claiming 60000x60000");
    cg_membuf_free(&gif);
}

CG_TEST(badinput_huge_header_webp)
{
    const format_case *fc = format_named("webp");
    cg_membuf webp = {0};
    uint32_t bits;

    valid_or_skip(fc, &webp);
    /* Simple lossless file: "VP8L" chunk at 12, signature 0x2f at 20, then 14 bits width - 1 and
     * 14 bits height - 1 (little-endian bit order). 16384 per side is the format's maximum and
     * 268M pixels is over the default limit. */
    CG_ASSERT(memcmp(webp.data + 12, "VP8L", 4) == 0 && webp.data[20] == 0x2f);
    bits = (uint32_t)webp.data[21] | (uint32_t)webp.data[22] << 8 |
           (uint32_t)webp.data[23] << 16 | (uint32_t)webp.data[24] << 24;
    bits = (bits & ~0x0fffffffu) | 16383u | 16383u << 14;
    webp.data[21] = (uint8_t)bits;
    webp.data[22] = (uint8_t)(bits >> 8);
    webp.data[23] = (uint8_t)(bits >> 16);
    webp.data[24] = (uint8_t)(bits >> 24);
    expect_limit(&webp, "16384", "webp claiming 16384x16384");
    cg_membuf_free(&webp);
}

/* ---- CPU bombs ---------------------------------------------------------------------------- */

CG_TEST(badinput_jpeg_scan_bomb)
{
    uint8_t grey[64 * 64];
    cg_membuf bomb = {0}, ok = {0};
    cg_image *img = NULL;
    cg_error err = {0};
    cg_status st;

    for (int i = 0; i < 64 * 64; i++)
        grey[i] = (uint8_t)(i * 37 + (i >> 6) * 11);
    /* The same picture with the ordinary progressive script decodes. */
    encode_jpeg(grey, 64, 64, 1, JPEG_PROGRESSIVE, &ok);
    decode_public(ok.data, ok.len, NULL, ALLOW(CG_OK), "progressive grey jpeg");
    encode_jpeg(grey, 64, 64, 1, JPEG_MANY_SCANS, &bomb);
    printf("scan bomb: %zu bytes, %d scans\n", bomb.len, 64 * (JPEG_MAX_AL + 1));
    st = cg_image_decode_mem(bomb.data, bomb.len, NULL, &img, &err);
    check_result(st, img, &err, ALLOW(CG_E_LIMIT), "jpeg with 704 scans", bomb.len);
    CG_ASSERT(strstr(err.message, "scans") != NULL);
    cg_membuf_free(&bomb);
    cg_membuf_free(&ok);
}

/* ---- files -------------------------------------------------------------------------------- */

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", cg_test_tmpdir(), name);
}

/* decode_file must fail with want (0: any error) and name the path in its message. */
static void expect_file_error(const char *path, const cg_decode_options *opt, cg_status want)
{
    cg_image *img = (cg_image *)&img;
    cg_error err = {0};
    cg_status st = cg_image_decode_file(path, opt, &img, &err);

    if (st == CG_OK || (want != CG_OK && st != want))
        cg_test_fail(__FILE__, __LINE__, "%s: got %s (%s), wanted %s", path, cg_status_name(st),
                     err.message, want == CG_OK ? "an error" : cg_status_name(want));
    CG_ASSERT(img == NULL);
    CG_ASSERT_EQ(err.status, st);
    if (strstr(err.message, path) == NULL)
        cg_test_fail(__FILE__, __LINE__, "message does not name %s: %s", path, err.message);
}

CG_TEST(badinput_wrong_extension)
{
    cg_membuf j = {0}, p = {0};
    char path[512];
    cg_image *img = NULL;
    cg_error err = {0};

    make_jpeg(&j);
    make_png(&p);
    tmp_path(path, sizeof(path), "x.png");
    write_file(path, j.data, j.len);
    CG_ASSERT_OK(cg_image_decode_file(path, NULL, &img, &err), &err);
    CG_ASSERT_EQ(img->format, CG_FORMAT_JPEG);
    cg_image_destroy(img);
    tmp_path(path, sizeof(path), "y.jpg");
    write_file(path, p.data, p.len);
    CG_ASSERT_OK(cg_image_decode_file(path, NULL, &img, &err), &err);
    CG_ASSERT_EQ(img->format, CG_FORMAT_PNG);
    cg_image_destroy(img);
    cg_membuf_free(&j);
    cg_membuf_free(&p);
}

CG_TEST(badinput_missing_file)
{
    char path[512];

    tmp_path(path, sizeof(path), "no-such-file.jpg");
    expect_file_error(path, NULL, CG_E_NOTFOUND);
}

CG_TEST(badinput_directory)
{
    expect_file_error(cg_test_tmpdir(), NULL, CG_OK);
}

CG_TEST(badinput_file_over_limit)
{
    cg_membuf j = {0};
    char path[512];
    cg_decode_options opt;
    cg_image *img = NULL;
    cg_error err = {0};

    make_jpeg(&j);
    tmp_path(path, sizeof(path), "big.jpg");
    write_file(path, j.data, j.len);
    cg_decode_options_default(&opt);
    opt.limits.max_file_bytes = j.len - 1;
    expect_file_error(path, &opt, CG_E_LIMIT);
    decode_public(j.data, j.len, &opt, ALLOW(CG_E_LIMIT), "memory over max_file_bytes");
    /* Exactly at the limit is allowed. */
    opt.limits.max_file_bytes = j.len;
    CG_ASSERT_OK(cg_image_decode_file(path, &opt, &img, &err), &err);
    cg_image_destroy(img);
    cg_membuf_free(&j);
}

/* Every way decode_file can fail names the path. */
CG_TEST(badinput_file_errors_name_path)
{
    cg_membuf j = {0};
    uint8_t junk[300];
    uint64_t seed = 7;
    char path[512];
    cg_decode_options opt;

    make_jpeg(&j);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)rng_next(&seed);

    tmp_path(path, sizeof(path), "empty.jpg");
    write_file(path, "", 0);
    expect_file_error(path, NULL, CG_E_DECODE);

    tmp_path(path, sizeof(path), "junk.jpg");
    write_file(path, junk, sizeof(junk));
    expect_file_error(path, NULL, CG_E_UNSUPPORTED);

    tmp_path(path, sizeof(path), "cut.jpg");
    write_file(path, j.data, j.len / 2);
    expect_file_error(path, NULL, CG_E_DECODE);

    tmp_path(path, sizeof(path), "header-only.jpg");
    write_file(path, j.data, 40);
    expect_file_error(path, NULL, CG_E_DECODE);

    /* Huge by its header (limits lowered instead of patching the file). */
    tmp_path(path, sizeof(path), "limit.jpg");
    write_file(path, j.data, j.len);
    cg_decode_options_default(&opt);
    opt.limits.max_pixels = 100;
    expect_file_error(path, &opt, CG_E_LIMIT);
    cg_decode_options_default(&opt);
    opt.limits.max_side = 10;
    expect_file_error(path, &opt, CG_E_LIMIT);

    tmp_path(path, sizeof(path), "no-such-dir/x.jpg");
    expect_file_error(path, NULL, CG_E_NOTFOUND);
    expect_file_error(cg_test_tmpdir(), NULL, CG_OK);

    cg_membuf_free(&j);
}

/* A palette PNG with a tRNS chunk (common: transparent icons, screenshots) decodes to the
 * palette's RGB with alpha dropped, not to an error. */
CG_TEST(png_palette_with_trns_decodes)
{
    png_color palette[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
    png_byte trans[2] = {0, 128};
    cg_membuf out = {0};
    cg_image *img = NULL;
    cg_error err = {0};
    uint8_t pix[64];

    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            pix[y * 8 + x] = (uint8_t)((x + y) % 4);
    cg_test_encode_png(pix, 8, 8, PNG_COLOR_TYPE_PALETTE, 0, palette, 4, trans, 2, &out);

    CG_ASSERT_OK(cg_image_decode_mem(out.data, out.len, NULL, &img, &err), &err);
    CG_ASSERT_EQ(img->channels, 3);
    CG_ASSERT_EQ(img->has_alpha, 1);
    /* Pixel (0,0) is index 0 (fully transparent red): its colour is kept. */
    CG_ASSERT_EQ(img->pixels[0], 255);
    CG_ASSERT_EQ(img->pixels[1], 0);
    /* Pixel (3,0) is index 3. */
    CG_ASSERT_EQ(img->pixels[9], 10);
    CG_ASSERT_EQ(img->pixels[10], 20);
    CG_ASSERT_EQ(img->pixels[11], 30);
    cg_image_destroy(img);
    cg_membuf_free(&out);
}
