/* GIF (87a and 89a, interlaced, animated) through giflib, reading from memory.
 *
 * Only the first frame is decoded; the rest of the file is walked record by record without
 * decompressing (DGifGetImageHeader keeps no per-frame state, so a file with millions of frames
 * grows nothing) to count the frames and to see that the file is whole.
 *
 * The first frame is drawn on the logical screen. Inside its rectangle every pixel takes the
 * palette colour of its index, the transparent index included (the RGB under transparency is
 * kept, as for the other formats). Screen pixels outside the rectangle take the screen's
 * background colour from the global colour map, or black when there is none. Indices past the
 * end of the colour map are drawn black. When the first frame reaches past the logical screen
 * the screen is enlarged to hold it, as browsers do for such broken files (and for a 0x0
 * screen). */
#include <limits.h>
#include <string.h>

#include "common/alloc.h"
#include "media/media_int.h"

#if CG_HAVE_GIF

#include <gif_lib.h>

typedef struct gif_src {
    const uint8_t *data;
    size_t len;
    size_t pos;
} gif_src;

static int on_read(GifFileType *gif, GifByteType *dst, int n)
{
    gif_src *src = gif->UserData;
    size_t take;

    if (n <= 0)
        return 0;
    take = (size_t)n < src->len - src->pos ? (size_t)n : src->len - src->pos;
    memcpy(dst, src->data + src->pos, take);
    src->pos += take;
    return (int)take;
}

/* giflib reports a short read as a generic read failure: say "truncated" when it was that. */
static cg_status gif_fail(cg_error *err, const GifFileType *gif, const gif_src *src)
{
    int code = gif != NULL ? gif->Error : D_GIF_ERR_READ_FAILED;
    const char *text = GifErrorString(code);

    if (code == D_GIF_ERR_NOT_ENOUGH_MEM)
        return cg__fail(err, CG_E_NOMEM, "out of memory in giflib");
    if (src->pos >= src->len &&
        (code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON))
        return cg__fail(err, CG_E_DECODE, "truncated GIF: data ends before the image does");
    return cg__fail(err, CG_E_DECODE, "corrupt GIF: %s", text != NULL ? text : "unknown error");
}

/* Skips an extension's data sub-blocks; returns the transparent index when the extension is a
 * graphic control block (otherwise leaves *transparent unchanged). */
static int read_extension(GifFileType *gif, int *transparent)
{
    GifByteType *ext = NULL;
    int code;

    if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
        return GIF_ERROR;
    if (code == GRAPHICS_EXT_FUNC_CODE && ext != NULL) {
        GraphicsControlBlock gcb;

        /* ext[0] is the sub-block length; a malformed block is ignored like browsers do. */
        if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
            *transparent = gcb.TransparentColor;
    }
    while (ext != NULL)
        if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

/* Skips a frame's compressed data without decoding it. */
static int skip_frame(GifFileType *gif)
{
    GifByteType *block = NULL;
    int code_size;

    if (DGifGetImageHeader(gif) == GIF_ERROR || DGifGetCode(gif, &code_size, &block) == GIF_ERROR)
        return GIF_ERROR;
    while (block != NULL)
        if (DGifGetCodeNext(gif, &block) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

static void fill_background(cg_image *img, const GifFileType *gif)
{
    const ColorMapObject *cmap = gif->SColorMap;
    GifColorType bg = {0, 0, 0};
    size_t n = (size_t)img->width * img->height;
    uint8_t *p = img->pixels;

    if (cmap != NULL && gif->SBackGroundColor >= 0 && gif->SBackGroundColor < cmap->ColorCount)
        bg = cmap->Colors[gif->SBackGroundColor];
    for (size_t i = 0; i < n; i++, p += 3) {
        p[0] = bg.Red;
        p[1] = bg.Green;
        p[2] = bg.Blue;
    }
}

/* Reads the first frame (its header just read) and draws it on the screen image. */
static cg_status draw_first_frame(GifFileType *gif, const gif_src *src, cg_image *img,
                                  cg_error *err)
{
    /* Interlaced rows come in four passes: every 8th row from 0, every 8th from 4, every 4th
     * from 2, every 2nd from 1. */
    static const uint32_t start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    const GifImageDesc *desc = &gif->Image;
    const ColorMapObject *cmap = desc->ColorMap != NULL ? desc->ColorMap : gif->SColorMap;
    const uint32_t w = (uint32_t)desc->Width, h = (uint32_t)desc->Height;
    const int passes = desc->Interlace ? 4 : 1;
    GifPixelType *line;

    line = cg__malloc(w);
    if (line == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory");
    for (int pass = 0; pass < passes; pass++) {
        uint32_t y0 = desc->Interlace ? start[pass] : 0, dy = desc->Interlace ? step[pass] : 1;

        for (uint32_t y = y0; y < h; y += dy) {
            uint8_t *dst = img->pixels +
                           ((size_t)(desc->Top + (int)y) * img->width + (size_t)desc->Left) * 3;

            if (DGifGetLine(gif, line, (int)w) == GIF_ERROR) {
                cg__free(line);
                return gif_fail(err, gif, src);
            }
            for (uint32_t x = 0; x < w; x++, dst += 3) {
                if (line[x] < cmap->ColorCount) {
                    const GifColorType *c = &cmap->Colors[line[x]];

                    dst[0] = c->Red;
                    dst[1] = c->Green;
                    dst[2] = c->Blue;
                } else {
                    dst[0] = dst[1] = dst[2] = 0;
                }
            }
        }
    }
    cg__free(line);
    return CG_OK;
}

/* Reads the first frame's header, makes the screen image and draws the frame on it. */
static cg_status decode_first_frame(GifFileType *gif, const gif_src *src, int transparent,
                                    const cg_decode_options *opt, cg_image **out, cg_error *err)
{
    const GifImageDesc *d = &gif->Image;
    const ColorMapObject *cmap;
    uint64_t right, bottom, sw, sh;
    cg_image *img = NULL;
    cg_status st;

    *out = NULL;
    if (DGifGetImageHeader(gif) == GIF_ERROR)
        return gif_fail(err, gif, src);
    if (d->Width <= 0 || d->Height <= 0 || d->Left < 0 || d->Top < 0)
        return cg__fail(err, CG_E_DECODE, "corrupt GIF: first frame is %dx%d at +%d+%d",
                        d->Width, d->Height, d->Left, d->Top);
    cmap = d->ColorMap != NULL ? d->ColorMap : gif->SColorMap;
    if (cmap == NULL)
        return cg__fail(err, CG_E_DECODE,
                        "corrupt GIF: first frame has no colour map (neither a local nor a "
                        "global one)");
    right = (uint64_t)d->Left + (uint64_t)d->Width;
    bottom = (uint64_t)d->Top + (uint64_t)d->Height;
    sw = gif->SWidth > 0 ? (uint64_t)gif->SWidth : 0;
    sh = gif->SHeight > 0 ? (uint64_t)gif->SHeight : 0;
    /* Each side is at most 2 x 65535, so the casts are exact; cg__image_new checks the limits. */
    st = cg__image_new((uint32_t)(right > sw ? right : sw), (uint32_t)(bottom > sh ? bottom : sh),
                       3, CG_FORMAT_GIF, &opt->limits, &img, err);
    if (st != CG_OK)
        return st;
    if (d->Left > 0 || d->Top > 0 || (uint32_t)d->Width < img->width ||
        (uint32_t)d->Height < img->height)
        fill_background(img, gif);
    img->bit_depth = cmap->BitsPerPixel;
    img->has_alpha = transparent != NO_TRANSPARENT_COLOR;
    st = draw_first_frame(gif, src, img, err);
    if (st != CG_OK) {
        cg_image_destroy(img);
        return st;
    }
    *out = img;
    return CG_OK;
}

cg_status cg__decode_gif(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err)
{
    gif_src src = {data, len, 0};
    GifFileType *gif;
    cg_image *img = NULL;
    cg_status st;
    int gif_err = 0, transparent = NO_TRANSPARENT_COLOR, frames = 0;

    *out = NULL;
    gif = DGifOpen(&src, on_read, &gif_err);
    if (gif == NULL) {
        if (gif_err == D_GIF_ERR_NOT_ENOUGH_MEM)
            return cg__fail(err, CG_E_NOMEM, "out of memory in giflib");
        if (src.pos >= src.len)
            return cg__fail(err, CG_E_DECODE, "truncated GIF: data ends inside the header");
        return cg__fail(err, CG_E_DECODE, "corrupt GIF: %s",
                        GifErrorString(gif_err) != NULL ? GifErrorString(gif_err) : "bad header");
    }
    /* The screen is checked before anything else; the frame once its header is read. */
    if (gif->SWidth > 0 && gif->SHeight > 0) {
        st = cg__image_check_size((uint64_t)gif->SWidth, (uint64_t)gif->SHeight, &opt->limits,
                                  err);
        if (st != CG_OK)
            goto fail;
    }
    for (;;) {
        GifRecordType type;
        size_t record_at = src.pos;

        if (DGifGetRecordType(gif, &type) == GIF_ERROR) {
            /* A file that ends cleanly after a frame but lacks the trailer byte is common and
             * loses nothing: accept it. Anything else that ends early is truncated. */
            if (frames > 0 && record_at == src.len)
                break;
            st = gif_fail(err, gif, &src);
            goto fail;
        }
        if (type == TERMINATE_RECORD_TYPE)
            break;
        if (type == EXTENSION_RECORD_TYPE) {
            int later = NO_TRANSPARENT_COLOR; /* a later frame's transparency is not used */

            if (read_extension(gif, frames == 0 ? &transparent : &later) == GIF_ERROR) {
                st = gif_fail(err, gif, &src);
                goto fail;
            }
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE) {
            st = cg__fail(err, CG_E_DECODE, "corrupt GIF: unknown record type");
            goto fail;
        }
        if (frames == INT_MAX) {
            st = cg__fail(err, CG_E_LIMIT, "GIF has more than %d frames", INT_MAX);
            goto fail;
        }
        frames++;
        if (frames > 1) {
            if (skip_frame(gif) == GIF_ERROR) {
                st = gif_fail(err, gif, &src);
                goto fail;
            }
            continue;
        }
        st = decode_first_frame(gif, &src, transparent, opt, &img, err);
        if (st != CG_OK)
            goto fail;
    }
    if (frames == 0) {
        st = cg__fail(err, CG_E_DECODE, "corrupt GIF: no image in the file");
        goto fail;
    }
    img->frame_count = frames;
    DGifCloseFile(gif, &gif_err);
    *out = img;
    return CG_OK;
fail:
    DGifCloseFile(gif, &gif_err);
    cg_image_destroy(img);
    return st;
}

#else /* !CG_HAVE_GIF */

cg_status cg__decode_gif(const uint8_t *data, size_t len, const cg_decode_options *opt,
                         cg_image **out, cg_error *err)
{
    (void)data;
    (void)len;
    (void)opt;
    *out = NULL;
    return cg__fail(err, CG_E_UNSUPPORTED, "GIF support is not built in (CG_WITH_GIF=OFF)");
}

#endif
