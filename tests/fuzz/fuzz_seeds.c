/* Writes the fuzzers' seed corpora: small valid files of every format, made with each format's
 * own encoder (libjpeg, libpng, libwebp, giflib, libheif, stb_image_write), so no binary seeds
 * are stored in the repository and no image tool is needed.
 *
 *     fuzz_seeds OUTDIR
 *
 * creates OUTDIR/{jpeg,png,webp,gif,heif,bmp,hex,list,text}/ and fills them; formats this build lacks
 * (CG_WITH_WEBP/GIF/HEIF off, or no HEVC/AV1 encoder in libheif) are left empty or get only a
 * hand-made header. The seeds cover the decoders' branches: colour types, bit depths,
 * progressive and arithmetic JPEG, interlacing, alpha, palettes, EXIF orientation, animation.
 * Exits non-zero when a file cannot be written or an encoder that is present fails. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>
#include <stb/stb_image_write.h>

#if CG_HAVE_WEBP
#include <webp/encode.h>
#endif
#if CG_HAVE_GIF
#include <gif_lib.h>
#endif
#if CG_HAVE_HEIF
#include <libheif/heif.h>
#endif

static const char *outdir;

/* libx265 leaks an allocation per encoder (seen through libheif); the seed generator runs under
 * the fuzz build's ASan, whose leak checker would fail it for that. Our own leaks still count. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libx265.so\n";
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz_seeds: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        die("cannot create %s: %s", path, strerror(errno));
}

static void seed_path(char *out, size_t n, const char *kind, const char *name)
{
    snprintf(out, n, "%s/%s/%s", outdir, kind, name);
}

static void write_seed(const char *kind, const char *name, const void *data, size_t len)
{
    char path[4096];
    FILE *f;

    seed_path(path, sizeof(path), kind, name);
    f = fopen(path, "wb");
    if (f == NULL)
        die("cannot create %s: %s", path, strerror(errno));
    if ((len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        die("cannot write %s", path);
}

/* A growing in-memory file for the encoders that write through callbacks. */
typedef struct mem {
    uint8_t *data;
    size_t len;
} mem;

static void mem_append(mem *m, const void *data, size_t n)
{
    uint8_t *d = realloc(m->data, m->len + n);

    if (d == NULL)
        die("out of memory");
    memcpy(d + m->len, data, n);
    m->data = d;
    m->len += n;
}

/* A test picture: gradients plus a little deterministic noise, channels 1..4. */
static uint8_t *make_pixels(int w, int h, int comps)
{
    uint8_t *p = malloc((size_t)w * h * comps);
    uint32_t s = 1;

    if (p == NULL)
        die("out of memory");
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < comps; c++) {
                s = s * 1103515245u + 12345u;
                p[((size_t)y * w + x) * comps + c] =
                    (uint8_t)(c == 3 ? x * 255 / w : (x * 7 + y * 5) * (c + 1) + (s >> 28));
            }
    return p;
}

/* "Exif\0\0", then a little-endian TIFF header with one IFD entry: Orientation (0x0112) = 6. */
static const uint8_t exif_block[] = {
    'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 0x2a, 0, 8, 0, 0, 0, 1, 0,
    0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
};

/* ---- JPEG ---------------------------------------------------------------------------------- */

typedef struct jpeg_seed {
    const char *name;
    int w, h, comps;        /* comps 4 is CMYK */
    bool progressive;
    bool arithmetic;
    bool exif;
    int restart_rows;
    bool many_scans;        /* a scan script over libjpeg-turbo's cap: 704 one-bit scans */
    bool subsample_444;
} jpeg_seed;

static int many_scans_script(jpeg_scan_info *scans)
{
    int n = 0;

    for (int k = 0; k < 64; k++)
        for (int ah = 0, al = 10; al >= 0; ah = al, al--) {
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

static void jpeg_seed_write(const jpeg_seed *s)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    static jpeg_scan_info scans[64 * 11];
    unsigned char *buf = NULL;
    unsigned long size = 0;
    uint8_t *pix = make_pixels(s->w, s->h, s->comps);

    cinfo.err = jpeg_std_error(&jerr); /* libjpeg's default: print and exit(1) */
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buf, &size);
    cinfo.image_width = (JDIMENSION)s->w;
    cinfo.image_height = (JDIMENSION)s->h;
    cinfo.input_components = s->comps;
    cinfo.in_color_space = s->comps == 1 ? JCS_GRAYSCALE : s->comps == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 75, TRUE);
    if (s->progressive)
        jpeg_simple_progression(&cinfo);
    if (s->many_scans) {
        cinfo.scan_info = scans;
        cinfo.num_scans = many_scans_script(scans);
    }
    cinfo.arith_code = s->arithmetic;
    cinfo.restart_in_rows = s->restart_rows;
    if (s->subsample_444)
        for (int c = 0; c < cinfo.num_components; c++)
            cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
    jpeg_start_compress(&cinfo, TRUE);
    if (s->exif)
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif_block, sizeof(exif_block));
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = pix + (size_t)cinfo.next_scanline * s->w * s->comps;

        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    write_seed("jpeg", s->name, buf, size);
    free(buf);
    free(pix);
}

static void jpeg_seeds(void)
{
    static const jpeg_seed seeds[] = {
        {"rgb.jpg", 32, 24, 3, false, false, false, 0, false, false},
        {"grey.jpg", 17, 9, 1, false, false, false, 0, false, false},
        {"progressive.jpg", 40, 30, 3, true, false, false, 0, false, false},
        {"cmyk.jpg", 16, 16, 4, false, false, false, 0, false, false},
        {"exif.jpg", 24, 16, 3, false, false, true, 0, false, false},
        {"arith.jpg", 24, 24, 3, false, true, false, 0, false, false},
        {"restart.jpg", 48, 32, 3, false, false, false, 1, false, true},
        {"many-scans.jpg", 8, 8, 1, false, false, false, 0, true, false},
    };

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        jpeg_seed_write(&seeds[i]);
}

/* ---- PNG ----------------------------------------------------------------------------------- */

static void png_fatal(png_structp png, png_const_charp msg)
{
    (void)png;
    die("libpng: %s", msg);
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    mem_append(png_get_io_ptr(png), data, n);
}

static void png_flush_cb(png_structp png)
{
    (void)png;
}

typedef struct png_seed {
    const char *name;
    int w, h, depth, color;
    bool interlace;
    bool trns;
    bool exif;
} png_seed;

static void png_seed_write(const png_seed *s)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fatal, NULL);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    int comps = s->color == PNG_COLOR_TYPE_RGB ? 3 : s->color == PNG_COLOR_TYPE_RGB_ALPHA ? 4
              : s->color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
    const size_t rowbytes = ((size_t)s->w * comps * s->depth + 7) / 8;
    uint8_t *pix = make_pixels((int)rowbytes, s->h, 1);
    mem m = {NULL, 0};

    if (info == NULL)
        die("libpng: out of memory");
    png_set_write_fn(png, &m, png_write_cb, png_flush_cb);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->color,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[16];
        png_byte alpha[16];

        for (int i = 0; i < 16; i++) {
            pal[i].red = (png_byte)(i * 16);
            pal[i].green = (png_byte)(255 - i * 16);
            pal[i].blue = (png_byte)(i * 40);
            alpha[i] = (png_byte)(i * 17);
        }
        png_set_PLTE(png, info, pal, 1 << s->depth);
        if (s->trns)
            png_set_tRNS(png, info, alpha, 1 << s->depth, NULL);
    } else if (s->trns) {
        png_color_16 key = {0, 10, 20, 30, 10};

        png_set_tRNS(png, info, NULL, 0, &key);
    }
    if (s->exif)
        png_set_eXIf_1(png, info, sizeof(exif_block) - 6, (png_bytep)(exif_block + 6));
    png_write_info(png, info);
    for (int pass = png_set_interlace_handling(png); pass > 0; pass--)
        for (int y = 0; y < s->h; y++)
            png_write_row(png, pix + (size_t)y * rowbytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    write_seed("png", s->name, m.data, m.len);
    free(m.data);
    free(pix);
}

static void png_seeds(void)
{
    static const png_seed seeds[] = {
        {"rgb.png", 32, 24, 8, PNG_COLOR_TYPE_RGB, false, false, false},
        {"rgba.png", 20, 20, 8, PNG_COLOR_TYPE_RGB_ALPHA, false, false, false},
        {"rgb16.png", 12, 10, 16, PNG_COLOR_TYPE_RGB, false, false, false},
        {"grey1.png", 33, 7, 1, PNG_COLOR_TYPE_GRAY, false, false, false},
        {"grey4-trns.png", 9, 9, 4, PNG_COLOR_TYPE_GRAY, false, true, false},
        {"greyalpha.png", 16, 8, 8, PNG_COLOR_TYPE_GRAY_ALPHA, false, false, false},
        {"palette.png", 24, 24, 4, PNG_COLOR_TYPE_PALETTE, false, true, false},
        {"interlaced.png", 37, 29, 8, PNG_COLOR_TYPE_RGB, true, false, false},
        {"exif.png", 16, 16, 8, PNG_COLOR_TYPE_RGB, false, true, true},
    };

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        png_seed_write(&seeds[i]);
}

/* ---- WebP ---------------------------------------------------------------------------------- */

static void webp_seeds(void)
{
#if CG_HAVE_WEBP
    uint8_t *rgb = make_pixels(32, 24, 3), *rgba = make_pixels(24, 24, 4), *out = NULL;
    size_t n;

    n = WebPEncodeLosslessRGB(rgb, 32, 24, 32 * 3, &out);
    if (n == 0)
        die("libwebp: lossless encoding failed");
    write_seed("webp", "lossless.webp", out, n);
    WebPFree(out);
    n = WebPEncodeRGB(rgb, 32, 24, 32 * 3, 60.0f, &out);
    if (n == 0)
        die("libwebp: lossy encoding failed");
    write_seed("webp", "lossy.webp", out, n);
    WebPFree(out);
    n = WebPEncodeRGBA(rgba, 24, 24, 24 * 4, 60.0f, &out);
    if (n == 0)
        die("libwebp: lossy alpha encoding failed");
    write_seed("webp", "lossy-alpha.webp", out, n);
    WebPFree(out);
    n = WebPEncodeLosslessRGBA(rgba, 24, 24, 24 * 4, &out);
    if (n == 0)
        die("libwebp: lossless alpha encoding failed");
    write_seed("webp", "lossless-alpha.webp", out, n);
    WebPFree(out);
    free(rgb);
    free(rgba);
#endif
}

/* ---- GIF ----------------------------------------------------------------------------------- */

#if CG_HAVE_GIF
static int gif_write_cb(GifFileType *gif, const GifByteType *data, int n)
{
    mem_append(gif->UserData, data, (size_t)n);
    return n;
}

static void gif_check(int rc, const char *what)
{
    if (rc != GIF_OK)
        die("giflib: %s failed", what);
}

/* frames frames of w x h at (left, top) on a screen of sw x sh; interlaced when asked, with a
 * graphic control block (delay, transparent index 3) before each frame when frames > 1. */
static void gif_seed_write(const char *name, int sw, int sh, int left, int top, int w, int h,
                           int frames, bool interlace, int colors)
{
    mem m = {NULL, 0};
    int e = 0, bits = 1;
    GifFileType *gif;
    ColorMapObject *map;
    GifPixelType *line = malloc((size_t)w);

    while ((1 << bits) < colors)
        bits++;
    map = GifMakeMapObject(1 << bits, NULL);
    if (map == NULL || line == NULL)
        die("out of memory");
    for (int i = 0; i < (1 << bits); i++) {
        map->Colors[i].Red = (GifByteType)(i * 37);
        map->Colors[i].Green = (GifByteType)(255 - i * 11);
        map->Colors[i].Blue = (GifByteType)(i * 5);
    }
    gif = EGifOpen(&m, gif_write_cb, &e);
    if (gif == NULL)
        die("giflib: cannot start %s", name);
    EGifSetGifVersion(gif, frames > 1);
    gif_check(EGifPutScreenDesc(gif, sw, sh, bits, 0, map), "screen descriptor");
    for (int f = 0; f < frames; f++) {
        if (frames > 1) {
            static const GifByteType gce[4] = {0x05, 10, 0, 3};

            gif_check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce), "extension");
        }
        gif_check(EGifPutImageDesc(gif, left, top, w, h, interlace, NULL), "image descriptor");
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++)
                line[x] = (GifPixelType)((x + y * 3 + f * 5) % colors);
            gif_check(EGifPutLine(gif, line, w), "line");
        }
    }
    gif_check(EGifCloseFile(gif, &e), "close");
    write_seed("gif", name, m.data, m.len);
    free(m.data);
    GifFreeMapObject(map);
    free(line);
}
#endif

static void gif_seeds(void)
{
#if CG_HAVE_GIF
    gif_seed_write("static.gif", 32, 24, 0, 0, 32, 24, 1, false, 200);
    gif_seed_write("interlaced.gif", 19, 23, 0, 0, 19, 23, 1, true, 16);
    gif_seed_write("animated.gif", 16, 16, 0, 0, 16, 16, 3, false, 4);
    gif_seed_write("offset-frame.gif", 20, 20, 4, 6, 10, 8, 1, false, 2);
#endif
}

/* ---- HEIF / AVIF --------------------------------------------------------------------------- */

/* A bare ftyp box for each brand family, so the fuzzer starts inside the container parser even
 * when libheif has no encoder here. */
static void heif_headers(void)
{
    static const uint8_t heic[] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0,
                                   'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'};
    static const uint8_t avif[] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f', 0, 0, 0, 0,
                                   'm', 'i', 'f', '1', 'a', 'v', 'i', 'f'};

    write_seed("heif", "ftyp-heic.heic", heic, sizeof(heic));
    write_seed("heif", "ftyp-avif.avif", avif, sizeof(avif));
}

#if CG_HAVE_HEIF
/* Encodes a small picture with libheif's encoder for compression (HEVC or AV1); returns false
 * when this libheif has no such encoder. */
static bool heif_encode(enum heif_compression_format compression, const char *name)
{
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *img = NULL;
    struct heif_error he;
    char path[4096];
    uint8_t *rgb = make_pixels(64, 64, 3);
    uint8_t *plane;
    int stride;

    if (ctx == NULL)
        die("libheif: out of memory");
    he = heif_context_get_encoder_for_format(ctx, compression, &enc);
    if (he.code != heif_error_Ok) {
        heif_context_free(ctx);
        free(rgb);
        return false;
    }
    heif_encoder_set_lossy_quality(enc, 40);
    he = heif_image_create(64, 64, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &img);
    if (he.code == heif_error_Ok)
        he = heif_image_add_plane(img, heif_channel_interleaved, 64, 64, 8);
    if (he.code != heif_error_Ok)
        die("libheif: %s", he.message);
    plane = heif_image_get_plane(img, heif_channel_interleaved, &stride);
    for (int y = 0; y < 64; y++)
        memcpy(plane + (size_t)y * stride, rgb + (size_t)y * 64 * 3, 64 * 3);
    he = heif_context_encode_image(ctx, img, enc, NULL, NULL);
    if (he.code != heif_error_Ok)
        die("libheif: encoding %s: %s", name, he.message);
    seed_path(path, sizeof(path), "heif", name);
    he = heif_context_write_to_file(ctx, path);
    if (he.code != heif_error_Ok)
        die("libheif: writing %s: %s", path, he.message);
    heif_encoder_release(enc);
    heif_image_release(img);
    heif_context_free(ctx);
    free(rgb);
    return true;
}
#endif

static void heif_seeds(void)
{
    heif_headers();
#if CG_HAVE_HEIF
    if (!heif_encode(heif_compression_HEVC, "x265.heic"))
        fprintf(stderr, "fuzz_seeds: note: libheif has no HEVC encoder, no HEIC seed\n");
    if (!heif_encode(heif_compression_AV1, "aom.avif"))
        fprintf(stderr, "fuzz_seeds: note: libheif has no AV1 encoder, no AVIF seed\n");
#endif
}

/* ---- BMP and hex --------------------------------------------------------------------------- */

static void stb_write_cb(void *ctx, void *data, int n)
{
    mem_append(ctx, data, (size_t)n);
}

static void bmp_seed_write(const char *name, int w, int h, int comps)
{
    uint8_t *pix = make_pixels(w, h, comps);
    mem m = {NULL, 0};

    if (stbi_write_bmp_to_func(stb_write_cb, &m, w, h, comps, pix) == 0)
        die("stb_image_write: %s failed", name);
    write_seed("bmp", name, m.data, m.len);
    free(m.data);
    free(pix);
}

static void bmp_seeds(void)
{
    bmp_seed_write("rgb24.bmp", 31, 17, 3);
    bmp_seed_write("rgba32.bmp", 16, 16, 4);
}

static void hex_seeds(void)
{
    static const char *seeds[][2] = {
        {"pdq.txt", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"},
        {"pdq-upper.txt", "F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B22"},
        {"md5.txt", "d41d8cd98f00b204e9800998ecf8427e"},
        {"sha256.txt", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"name.txt", "sha256"},
        {"bad.txt", "0g"},
    };

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        write_seed("hex", seeds[i][0], seeds[i][1], strlen(seeds[i][1]));
}

/* Hash lists for fuzz_bank_list. Its first byte picks the options (format = byte % 5: 0 AUTO,
 * 1 LINES, 2 CSV, 3 TSV, 4 JSONL), so each seed starts with one. */
static void list_seeds(void)
{
    static const char *seeds[][2] = {
        {"auto-lines.txt", "\x00# pdq list\n"
         "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n\n"
         "d41d8cd98f00b204e9800998ecf8427e\r\n"},
        {"lines-forms.txt",
         "\x01pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n"
         "HASH_MD5 d41d8cd98f00b204e9800998ecf8427e\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  file name.jpg\n"
         "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,87,a,b.jpg\n"},
        {"csv.csv", "\x02\xef\xbb\xbfsignal_type,signal,quality,external_id,note,"
         "disabled_until\r\n"
         "pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,90,x1,"
         "\"a, \"\"quoted\"\"\nnote\",0\r\n"
         "HASH_MD5,d41d8cd98f00b204e9800998ecf8427e,,x2,Tr\xe1\xba\xbb em,1700000000\r\n"},
        {"csv-typed.csv", "\x02PDQ,md5,notes\n"
         "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,"
         "d41d8cd98f00b204e9800998ecf8427e,both\n,\"d41d8cd98f00b204e9800998ecf8427e\",\n"},
        {"tsv.tsv", "\x03hash_type\thash\tdescription\tsource\n"
         "photo_pdq\tf8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\t"
         "tab\\there\\nline\tncmec\n"},
        {"jsonl.jsonl", "\x04{\"signal_type\":\"pdq\",\"signal\":"
         "\"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\","
         "\"external_id\":\"x\",\"quality\":90}\n"
         "{\"md5\":\"d41d8cd98f00b204e9800998ecf8427e\",\"id\":12,\"tags\":[\"a\"]}\n"},
        {"small-max-line.csv", "\x16signal,note\n"
         "d41d8cd98f00b204e9800998ecf8427e,\"runs on\nand on and on and on and on and on and "
         "on and on and on and on\nd41d8cd98f00b204e9800998ecf8427e,after\n"},
    };

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        write_seed("list", seeds[i][0], seeds[i][1], strlen(seeds[i][1] + 1) + 1);
}

/* Chat messages for fuzz_text_normalize: English and Vietnamese (precomposed and decomposed),
 * teencode, leetspeak, look-alikes, spaced-out letters, and invalid UTF-8 (with NUL bytes, so
 * the lengths are given). */
static void text_seeds(void)
{
    static const struct {
        const char *name, *data;
        size_t len;
    } seeds[] = {
#define TEXT_SEED(name, lit) {name, lit, sizeof(lit) - 1}
        TEXT_SEED("en.txt", "hey how r u?? wanna send me a pic pls :) helloooo"),
        TEXT_SEED("vi-nfc.txt", "Em \xc6\xa1i, em bao nhi\xc3\xaau tu\xe1\xbb\x95i r\xe1\xbb\x93i? "
                                "Tr\xe1\xba\xbb em \xc4\x90\xe1\xba\xb8P qu\xc3\xa1"),
        TEXT_SEED("vi-nfd.txt", "kho\xcc\x82ng co\xcc\x81 gi\xcc\x80 \xc4\x91" "a\xcc\x82u "
                                "o\xcc\xa3\xcc\x82 U\xcc\x9b\xcc\x80"),
        TEXT_SEED("teencode.txt", "k bi\xcc\x81t \xc4\x91" "c j, ib mk nh\xc3\xa9, ny c\xe1\xbb\xa7"
                                  "a bn h0t s3x k0 0912345678 13t a/s/l"),
        TEXT_SEED("spaced.txt", "s e x  g \xe1\xbb\xad i  \xe1\xba\xa3 n h s.e.x d-i-c-k"),
        TEXT_SEED("homoglyph.txt", "\xd1\x95\xd0\xb5\xd1\x85 g\xce\xbf\xce\xbf" "d "
                                   "\xef\xbd\x93\xef\xbd\x85\xef\xbd\x98 \xef\xac\x81ne "
                                   "\xf0\x9d\x90\xac\xe2\x80\x8b"),
        TEXT_SEED("invalid.txt", "ok\x80x \xe1\xba y \xc0\xaf z \xed\xa0\x80 \xf4\x90\x80\x80 "
                                 "v\xffu\x00nul\xc3"),
        TEXT_SEED("marks.txt", "\xcc\x81\xcc\x81 a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85"
                               "\xcc\x86\xcc\x87 \xef\xb7\xba \xe1\x84\x80\xe1\x85\xa1 "
                               "\xea\xb0\x80"),
#undef TEXT_SEED
    };

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        write_seed("text", seeds[i].name, seeds[i].data, seeds[i].len);
}

int main(int argc, char **argv)
{
    static const char *kinds[] = {"jpeg", "png", "webp", "gif", "heif", "bmp", "hex", "list",
                                  "text"};
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    make_dir(outdir);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", outdir, kinds[i]);
        make_dir(path);
    }
    jpeg_seeds();
    png_seeds();
    webp_seeds();
    gif_seeds();
    heif_seeds();
    bmp_seeds();
    hex_seeds();
    list_seeds();
    text_seeds();
    return 0;
}
