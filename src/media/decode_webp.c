/* WebP (lossy, lossless, extended and animated) through libwebp and libwebpdemux.
 *
 * The pixels are those ImageMagick 6 hands the reference PDQ hasher: it calls WebPDecode with
 * the default WebPDecoderConfig (fancy upsampling on, no dithering) and non-premultiplied RGBA
 * output. We ask libwebp for MODE_RGB instead, which runs the same YUV->RGB (lossy) or ARGB
 * (lossless) conversion and simply does not store alpha, so the RGB is identical and the RGB
 * under transparent pixels is kept (nothing is composited or premultiplied).
 *
 * The container is walked with WebPDemux, which indexes chunks without decoding: it gives the
 * frame count, the EXIF chunk and the first frame. Of an animation only the first frame is
 * decoded, as ImageMagick 6 reads it: the frame's pixels copied (not blended) to its offset on
 * a canvas-sized image, and the canvas pixels it does not cover black (transparent black in
 * ImageMagick and in libwebp's own WebPAnimDecoder; the ANIM background colour is only a hint
 * that both ignore). */
#include <string.h>

#include "media/media_int.h"

#if CG_HAVE_WEBP

#include <webp/decode.h>
#include <webp/demux.h>

static cg_status vp8_fail(cg_error *err, VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
        return cg__fail(err, CG_E_DECODE, "truncated WebP: data ends before the image does");
    case VP8_STATUS_OUT_OF_MEMORY:
        return cg__fail(err, CG_E_NOMEM, "out of memory in libwebp");
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        return cg__fail(err, CG_E_UNSUPPORTED, "unsupported WebP feature");
    case VP8_STATUS_BITSTREAM_ERROR:
        return cg__fail(err, CG_E_DECODE, "corrupt WebP: bitstream error");
    default:
        return cg__fail(err, CG_E_DECODE, "corrupt WebP: libwebp status %d", (int)s);
    }
}

static int read_exif(const WebPDemuxer *dmux)
{
    WebPChunkIterator chunk;
    int orientation = 0;

    if ((WebPDemuxGetI(dmux, WEBP_FF_FORMAT_FLAGS) & EXIF_FLAG) == 0)
        return 0;
    if (WebPDemuxGetChunk(dmux, "EXIF", 1, &chunk))
        orientation = cg__exif_orientation(chunk.chunk.bytes, chunk.chunk.size);
    WebPDemuxReleaseChunkIterator(&chunk);
    return orientation;
}

/* Decodes frame iter (a bare VP8/VP8L bitstream, possibly with an ALPH chunk) straight into
 * img's pixel buffer at the frame's offset, with the canvas row length as stride. */
static cg_status decode_frame(const WebPIterator *iter, cg_image *img, cg_error *err)
{
    WebPDecoderConfig config;
    const size_t stride = (size_t)img->width * 3;
    const size_t offset = (size_t)iter->y_offset * stride + (size_t)iter->x_offset * 3;
    VP8StatusCode s;

    if (!WebPInitDecoderConfig(&config))
        return cg__fail(err, CG_E_DECODE, "libwebp version mismatch");
    s = WebPGetFeatures(iter->fragment.bytes, iter->fragment.size, &config.input);
    if (s != VP8_STATUS_OK)
        return vp8_fail(err, s);
    /* The demuxer checked the frame against the canvas; the bitstream must agree with it. */
    if (config.input.width != iter->width || config.input.height != iter->height ||
        (uint64_t)iter->x_offset + (uint64_t)iter->width > img->width ||
        (uint64_t)iter->y_offset + (uint64_t)iter->height > img->height)
        return cg__fail(err, CG_E_DECODE,
                        "corrupt WebP: frame of %dx%d at +%d+%d does not fit the %ux%u canvas",
                        config.input.width, config.input.height, iter->x_offset, iter->y_offset,
                        img->width, img->height);
    config.output.colorspace = MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = img->pixels + offset;
    config.output.u.RGBA.stride = (int)stride;
    config.output.u.RGBA.size = (size_t)img->width * img->height * 3 - offset;
    s = WebPDecode(iter->fragment.bytes, iter->fragment.size, &config);
    WebPFreeDecBuffer(&config.output); /* libwebp's rule; a no-op for external memory */
    if (s != VP8_STATUS_OK)
        return vp8_fail(err, s);
    return CG_OK;
}

cg_status cg__decode_webp(const uint8_t *data, size_t len, const cg_decode_options *opt,
                          cg_image **out, cg_error *err)
{
    WebPBitstreamFeatures features;
    WebPData webp_data;
    WebPDemuxer *dmux = NULL;
    WebPIterator iter;
    int have_iter = 0;
    cg_image *img = NULL;
    cg_status st;
    VP8StatusCode s;
    uint32_t frames;

    *out = NULL;
    /* The header alone gives the canvas size (for VP8X files even before any image chunk), so
     * a decompression bomb stops here, before anything is allocated. */
    s = WebPGetFeatures(data, len, &features);
    if (s != VP8_STATUS_OK)
        return vp8_fail(err, s);
    st = cg__image_check_size((uint64_t)features.width, (uint64_t)features.height, &opt->limits,
                              err);
    if (st != CG_OK)
        return st;

    webp_data.bytes = data;
    webp_data.size = len;
    dmux = WebPDemux(&webp_data);
    if (dmux == NULL) {
        /* WebPDemux only says no; the partial parser says whether the data merely ends early. */
        WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
        WebPDemuxer *partial = WebPDemuxPartial(&webp_data, &state);

        WebPDemuxDelete(partial);
        if (state == WEBP_DEMUX_PARSED_HEADER || state == WEBP_DEMUX_PARSING_HEADER)
            return cg__fail(err, CG_E_DECODE,
                            "truncated WebP: data ends before the container does");
        return cg__fail(err, CG_E_DECODE, "corrupt WebP: invalid RIFF container");
    }
    frames = WebPDemuxGetI(dmux, WEBP_FF_FRAME_COUNT);
    if (frames == 0 || !WebPDemuxGetFrame(dmux, 1, &iter)) {
        st = cg__fail(err, CG_E_DECODE, "corrupt WebP: no image frame");
        goto fail;
    }
    have_iter = 1;
    if (!iter.complete) {
        st = cg__fail(err, CG_E_DECODE, "truncated WebP: first frame is incomplete");
        goto fail;
    }
    st = cg__image_new(WebPDemuxGetI(dmux, WEBP_FF_CANVAS_WIDTH),
                       WebPDemuxGetI(dmux, WEBP_FF_CANVAS_HEIGHT), 3, CG_FORMAT_WEBP,
                       &opt->limits, &img, err);
    if (st != CG_OK)
        goto fail;
    if (iter.x_offset != 0 || iter.y_offset != 0 || (uint32_t)iter.width != img->width ||
        (uint32_t)iter.height != img->height)
        memset(img->pixels, 0, (size_t)img->width * img->height * 3);
    st = decode_frame(&iter, img, err);
    if (st != CG_OK)
        goto fail;
    img->has_alpha = features.has_alpha != 0;
    img->frame_count = (int)frames;
    img->exif_orientation = read_exif(dmux);
    WebPDemuxReleaseIterator(&iter);
    WebPDemuxDelete(dmux);
    *out = img;
    return CG_OK;
fail:
    if (have_iter)
        WebPDemuxReleaseIterator(&iter);
    WebPDemuxDelete(dmux);
    cg_image_destroy(img);
    return st;
}

#else /* !CG_HAVE_WEBP */

cg_status cg__decode_webp(const uint8_t *data, size_t len, const cg_decode_options *opt,
                          cg_image **out, cg_error *err)
{
    (void)data;
    (void)len;
    (void)opt;
    *out = NULL;
    return cg__fail(err, CG_E_UNSUPPORTED, "WebP support is not built in (CG_WITH_WEBP=OFF)");
}

#endif
