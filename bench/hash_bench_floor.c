/* hash_bench: the decode floor, libjpeg-turbo and libpng called directly. */
#include "hash_bench.h"

/* ---- the decode floor: the libraries called directly ------------------------------------- */

/* The least a caller must do to get 8-bit pixels from libjpeg-turbo: one decompressor, output
 * straight to RGB (grey stays grey and CMYK stays CMYK: converting them would only add work),
 * library defaults otherwise, a fresh output buffer per image as any decoder returning an image
 * needs. Returns 0, or -1 with a message. */
static int floor_jpeg(const uint8_t *data, size_t len, char *msg, size_t msg_size)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_fail jerr;
    uint8_t *volatile pixels = NULL;

    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = hb_jpeg_fail_exit;
    if (setjmp(jerr.jmp) != 0) {
        snprintf(msg, msg_size, "libjpeg: %s", jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_GRAYSCALE)
        cinfo.out_color_space = JCS_GRAYSCALE;
    else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
        cinfo.out_color_space = JCS_CMYK;
    else
        cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    {
        const size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
        uint8_t *p = malloc(stride * cinfo.output_height);

        pixels = p;
        if (p == NULL) {
            snprintf(msg, msg_size, "out of memory");
            jpeg_destroy_decompress(&cinfo);
            return -1;
        }
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW row = p + (size_t)cinfo.output_scanline * stride;

            jpeg_read_scanlines(&cinfo, &row, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
    return 0;
}

typedef struct png_mem {
    const uint8_t *data;
    size_t len, pos;
    char message[200];
} png_mem;

static void png_mem_read(png_structp png, png_bytep dst, png_size_t n)
{
    png_mem *m = png_get_io_ptr(png);

    if (n > m->len - m->pos)
        png_error(png, "truncated PNG");
    memcpy(dst, m->data + m->pos, n);
    m->pos += n;
}

static void png_mem_error(png_structp png, png_const_charp text)
{
    png_mem *m = png_get_error_ptr(png);

    snprintf(m->message, sizeof(m->message), "%s", text);
    png_longjmp(png, 1);
}

static void png_mem_warning(png_structp png, png_const_charp text)
{
    (void)png;
    (void)text;
}

/* The least a caller must do to get 8-bit RGB (or grey) from libpng: palette expanded, alpha
 * (and tRNS) stripped, 16-bit reduced to 8, interlacing handled, one output buffer per image. */
static int floor_png(const uint8_t *data, size_t len, char *msg, size_t msg_size)
{
    png_mem src = {data, len, 0, {0}};
    png_structp png;
    png_infop info;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    png_uint_32 w, h;
    int depth, color;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_mem_error, png_mem_warning);
    if (png == NULL) {
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(msg, msg_size, "libpng: %s", src.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return -1;
    }
    png_set_read_fn(png, &src, png_mem_read);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);
    /* Expanding a palette or grey image with tRNS adds an alpha channel: strip that too. */
    if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    {
        const size_t stride = png_get_rowbytes(png, info);
        uint8_t *p = malloc(stride * h);
        png_bytep *r = malloc(h * sizeof(*r));

        pixels = p;
        rows = r;
        if (p == NULL || r == NULL)
            png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < h; y++)
            r[y] = p + (size_t)y * stride;
        png_read_image(png, r);
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    return 0;
}

int hb_floor_handles(cg_image_format f)
{
    return f == CG_FORMAT_JPEG || f == CG_FORMAT_PNG;
}

int hb_floor_decode(const bench_file *f, char *msg, size_t msg_size)
{
    return f->format == CG_FORMAT_JPEG ? floor_jpeg(f->data, f->len, msg, msg_size)
                                       : floor_png(f->data, f->len, msg, msg_size);
}


/* libjpeg's error exit for a jpeg_fail: keeps the message, jumps back. */
void hb_jpeg_fail_exit(j_common_ptr cinfo)
{
    jpeg_fail *e = (jpeg_fail *)cinfo->err;

    e->mgr.format_message(cinfo, e->message);
    longjmp(e->jmp, 1);
}
