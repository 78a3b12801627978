/* Reading video frames with FFmpeg (include/childguard/video.h).
 *
 * What the reference vPDQ hasher (facebook/ThreatExchange vpdq/cpp, FFmpegVideo and the file
 * hasher) does, and what this file reproduces so the RGB bytes are identical:
 *   - the first video stream of the container; the frame rate is avg_frame_rate, or
 *     r_frame_rate when that is 0/0;
 *   - every packet of that stream is decoded (send/receive API, flushed with a NULL packet at
 *     the end); a frame's number is the count of frames the decoder returned before it, i.e.
 *     AVCodecContext.frame_number - 1;
 *   - a sampled frame is converted with one SwsContext (source size and pixel format, the
 *     requested size, AV_PIX_FMT_RGB24, SWS_AREA, no other flags, default colour details) into
 *     a frame whose buffer av_frame_get_buffer(…, 1) allocated.
 * Deviations, each on inputs where the reference misbehaves: attached pictures (cover art) are
 * not taken as the video stream; when a frame's size or pixel format differs from the previous
 * one the scaler is rebuilt for it (the reference keeps scaling with stale parameters, reading
 * out of bounds); a demuxer error other than end-of-file is reported (the reference stops
 * quietly and keeps what it hashed).
 *
 * Skipping work: every frame must be decoded, because the numbering counts decoder output and
 * inter frames need their references; asking FFmpeg to discard non-reference frames
 * (skip_frame = AVDISCARD_NONREF) would drop them from the numbering. What is skipped is the
 * colour conversion (the costly part after decoding) of frames that are not sampled. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "childguard/image.h"
#include "childguard/video.h"
#include "common/alloc.h"
#include "common/error.h"

#define VIDEO_IO_BUFFER 65536

/* The memory source behind a custom AVIOContext. */
typedef struct mem_source {
    const uint8_t *data;
    size_t len;
    size_t pos;
} mem_source;

struct cg_video {
    char name[160];              /* for messages: the path or the caller's name */
    cg_video_options opt;
    cg_video_info info;
    AVFormatContext *fmt;
    AVIOContext *io;             /* custom IO (memory input), else NULL */
    mem_source mem;
    AVCodecContext *dec;
    int stream;                  /* index of the video stream in fmt */
    AVPacket *pkt;
    AVFrame *frame;              /* the decoder's output */
    AVFrame *rgb;                /* the sampled frame, converted */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt;   /* what sws was built for */
    uint64_t decoded;            /* frames returned by the decoder */
    int flushing;                /* the NULL packet was sent */
    int finished;                /* 1: end reached; the sticky result is CG_OK with done */
    cg_status sticky;            /* a failure repeated by later calls */
    cg_error sticky_err;
    double deadline;             /* monotonic seconds; 0 = none */
    double t_decode, t_convert;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cg_video_limits_default(cg_video_limits *lim)
{
    lim->max_duration_s = 4.0 * 3600.0;
    lim->max_side = 8192;
    lim->max_pixels = 8192ull * 4320ull;
    lim->max_frames = 1000000;
    lim->timeout_s = 600.0;
}

void cg_video_options_default(cg_video_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    cg_video_limits_default(&opt->limits);
    opt->sample_every = 1;
    opt->threads = 1;
}

void cg_video_set_ffmpeg_quiet(int quiet)
{
    av_log_set_level(quiet ? AV_LOG_FATAL : AV_LOG_INFO);
}

/* ---- sniffing ---------------------------------------------------------------------------- */

static int has(const uint8_t *d, size_t len, size_t off, const char *magic, size_t n)
{
    return len >= off + n && memcmp(d + off, magic, n) == 0;
}

const char *cg_video_sniff(const uint8_t *d, size_t len)
{
    if (d == NULL)
        return NULL;
    if (has(d, len, 4, "ftyp", 4)) {
        cg_image_format f = cg_image_sniff(d, len);

        /* HEIF and AVIF stills are ISO-BMFF too; they belong to the image decoders. */
        if (f == CG_FORMAT_HEIF || f == CG_FORMAT_AVIF)
            return NULL;
        return has(d, len, 8, "qt  ", 4) ? "mov" : "mp4";
    }
    if (has(d, len, 4, "moov", 4) || has(d, len, 4, "mdat", 4) || has(d, len, 4, "wide", 4) ||
        (has(d, len, 4, "free", 4) && len >= 16))
        return "mov";
    if (has(d, len, 0, "\x1a\x45\xdf\xa3", 4))
        return "webm";
    if (has(d, len, 0, "RIFF", 4) && has(d, len, 8, "AVI ", 4))
        return "avi";
    if (has(d, len, 0, "FLV\x01", 4))
        return "flv";
    if (has(d, len, 0, "\x00\x00\x01\xba", 4))
        return "mpegps";
    if (len >= 377 && d[0] == 0x47 && d[188] == 0x47 && d[376] == 0x47)
        return "mpegts";
    return NULL;
}

/* ---- custom IO over memory ----------------------------------------------------------------- */

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    mem_source *m = opaque;
    size_t n;

    if (m->pos >= m->len)
        return AVERROR_EOF;
    n = m->len - m->pos;
    if (n > (size_t)size)
        n = (size_t)size;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
    mem_source *m = opaque;
    int64_t base;

    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return (int64_t)m->len;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)m->pos;
        break;
    case SEEK_END:
        base = (int64_t)m->len;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (offset > INT64_MAX - base || base + offset < 0)
        return AVERROR(EINVAL);
    /* Positions past the end are allowed (reads there return EOF), as for files. */
    m->pos = (size_t)(base + offset);
    return (int64_t)m->pos;
}

/* Aborts blocking FFmpeg calls (probing, reading) once the deadline has passed. */
static int interrupt_cb(void *opaque)
{
    const cg_video *v = opaque;

    return v->deadline > 0 && now_s() > v->deadline;
}

/* ---- opening ----------------------------------------------------------------------------- */

static cg_status av_fail(const cg_video *v, cg_error *err, cg_status st, const char *what,
                         int averr)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];

    if (averr == AVERROR_EXIT && v->deadline > 0 && now_s() > v->deadline)
        return cg__fail(err, CG_E_LIMIT, "%s: video timeout of %.0f s exceeded while %s",
                        v->name, v->opt.limits.timeout_s, what);
    if (averr == AVERROR(ENOMEM))
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory while %s", v->name, what);
    if (av_strerror(averr, msg, sizeof(msg)) < 0)
        snprintf(msg, sizeof(msg), "error %d", averr);
    return cg__fail(err, st, "%s: %s: %s", v->name, what, msg);
}

static int find_video_stream(const AVFormatContext *fmt)
{
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *s = fmt->streams[i];

        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    }
    return -1;
}

static cg_status check_dims(const cg_video *v, uint64_t w, uint64_t h, cg_error *err)
{
    const cg_video_limits *lim = &v->opt.limits;

    if (w == 0 || h == 0)
        return cg__fail(err, CG_E_DECODE, "%s: video stream has no size (%llux%llu)", v->name,
                        (unsigned long long)w, (unsigned long long)h);
    if (lim->max_side != 0 && (w > lim->max_side || h > lim->max_side))
        return cg__fail(err, CG_E_LIMIT, "%s: video is %llux%llu, over the limit of %u per side",
                        v->name, (unsigned long long)w, (unsigned long long)h, lim->max_side);
    if (lim->max_pixels != 0 && w * h > lim->max_pixels)
        return cg__fail(err, CG_E_LIMIT, "%s: video is %llux%llu, over the limit of %llu pixels",
                        v->name, (unsigned long long)w, (unsigned long long)h,
                        (unsigned long long)lim->max_pixels);
    return CG_OK;
}

/* After avformat_open_input: finds the stream, checks limits, opens the decoder. */
static cg_status open_decoder(cg_video *v, cg_error *err)
{
    const AVCodecParameters *par;
    const AVCodec *codec;
    AVStream *s;
    AVRational fr;
    cg_status st;
    int ret;

    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret < 0)
        return av_fail(v, err, CG_E_DECODE, "cannot read stream information", ret);
    v->stream = find_video_stream(v->fmt);
    if (v->stream < 0)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: no video stream (%u stream%s, e.g. audio only)",
                        v->name, v->fmt->nb_streams, v->fmt->nb_streams == 1 ? "" : "s");
    s = v->fmt->streams[v->stream];
    par = s->codecpar;
    if (par->width < 0 || par->height < 0)
        return cg__fail(err, CG_E_DECODE, "%s: negative video size", v->name);
    st = check_dims(v, (uint64_t)par->width, (uint64_t)par->height, err);
    if (st != CG_OK)
        return st;
    v->info.width = (uint32_t)par->width;
    v->info.height = (uint32_t)par->height;
    v->info.out_width = v->opt.out_width ? v->opt.out_width : v->info.width;
    v->info.out_height = v->opt.out_height ? v->opt.out_height : v->info.height;
    st = check_dims(v, v->info.out_width, v->info.out_height, err);
    if (st != CG_OK)
        return st;
    v->info.container = v->fmt->iformat->name;

    fr = s->avg_frame_rate;
    if (fr.num == 0 || fr.den == 0)
        fr = s->r_frame_rate;
    if (fr.num <= 0 || fr.den <= 0)
        return cg__fail(err, CG_E_DECODE, "%s: video frame rate is unknown or zero (%d/%d)",
                        v->name, fr.num, fr.den);
    v->info.frame_rate = (double)fr.num / (double)fr.den;

    if (v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0)
        v->info.duration_s = (double)v->fmt->duration / AV_TIME_BASE;
    else if (s->duration != AV_NOPTS_VALUE && s->duration > 0)
        v->info.duration_s = (double)s->duration * av_q2d(s->time_base);
    if (v->opt.limits.max_duration_s > 0 && v->info.duration_s > v->opt.limits.max_duration_s)
        return cg__fail(err, CG_E_LIMIT, "%s: video lasts %.1f s, over the limit of %.0f s",
                        v->name, v->info.duration_s, v->opt.limits.max_duration_s);

    codec = avcodec_find_decoder(par->codec_id);
    if (codec == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: no decoder for video codec '%s' in this FFmpeg",
                        v->name, avcodec_get_name(par->codec_id));
    v->info.codec = codec->name;
    v->dec = avcodec_alloc_context3(codec);
    if (v->dec == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory for the decoder", v->name);
    ret = avcodec_parameters_to_context(v->dec, par);
    if (ret < 0)
        return av_fail(v, err, CG_E_DECODE, "cannot set up the decoder", ret);
    if (v->opt.threads == 0) {
        /* As the reference: FFmpeg picks the count, slice threads only (no frame delay). */
        v->dec->thread_count = 0;
        if (codec->capabilities & AV_CODEC_CAP_SLICE_THREADS)
            v->dec->thread_type = FF_THREAD_SLICE;
        else
            v->dec->thread_count = 1;
    } else {
        v->dec->thread_count = v->opt.threads;
    }
    ret = avcodec_open2(v->dec, codec, NULL);
    if (ret < 0)
        return av_fail(v, err, CG_E_UNSUPPORTED, "cannot open the video decoder", ret);
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    v->rgb = av_frame_alloc();
    if (v->pkt == NULL || v->frame == NULL || v->rgb == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory for frames", v->name);
    v->rgb->format = AV_PIX_FMT_RGB24;
    v->rgb->width = (int)v->info.out_width;
    v->rgb->height = (int)v->info.out_height;
    /* Alignment 1 as the reference: rows of exactly 3 * width bytes. */
    ret = av_frame_get_buffer(v->rgb, 1);
    if (ret < 0)
        return av_fail(v, err, CG_E_NOMEM, "cannot allocate the RGB frame", ret);
    return CG_OK;
}

static cg_status video_new(const char *name, const cg_video_options *opt, cg_video **out,
                           cg_error *err)
{
    cg_video *v;

    *out = NULL;
    v = cg__calloc(1, sizeof(*v));
    if (v == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
    snprintf(v->name, sizeof(v->name), "%s", name);
    if (opt != NULL)
        v->opt = *opt;
    else
        cg_video_options_default(&v->opt);
    if (v->opt.sample_every == 0)
        v->opt.sample_every = 1;
    if (v->opt.limits.timeout_s > 0)
        v->deadline = now_s() + v->opt.limits.timeout_s;
    v->stream = -1;
    v->fmt = avformat_alloc_context();
    if (v->fmt == NULL) {
        cg__free(v);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
    }
    v->fmt->interrupt_callback.callback = interrupt_cb;
    v->fmt->interrupt_callback.opaque = v;
    *out = v;
    return CG_OK;
}

/* The FFmpeg demuxers allowed for a container cg_video_sniff (or the image sniffer) named: an
 * upload that says it is an MP4 is never handed to another of FFmpeg's many demuxers. A
 * container the sniffer does not recognise may still be one of those it knows (an unusual MPEG
 * stream, a truncated header): it gets all of them, never the rest — playlists (hls, concat),
 * image sequences and the like open other files or URLs named inside the input. */
static const char *demuxers_for(const uint8_t *d, size_t len)
{
    static const struct {
        const char *sniffed, *demuxers;
    } map[] = {
        {"mp4", "mov,mp4,m4a,3gp,3g2,mj2"}, {"mov", "mov,mp4,m4a,3gp,3g2,mj2"},
        {"webm", "matroska,webm"},          {"avi", "avi"},
        {"flv", "flv"},                     {"mpegts", "mpegts"},
        {"mpegps", "mpeg"},
    };
    static const char every_known[] = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,gif";
    const char *c = cg_video_sniff(d, len);

    if (c == NULL)
        return cg_image_sniff(d, len) == CG_FORMAT_GIF ? "gif" : every_known;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].sniffed, c) == 0)
            return map[i].demuxers;
    return every_known;
}

/* avformat_open_input frees the context on failure; this keeps v->fmt consistent. whitelist
 * limits the demuxers FFmpeg may probe; a file is read through the file protocol only. */
static cg_status open_input(cg_video *v, const char *url, const char *whitelist, cg_error *err)
{
    AVDictionary *opts = NULL;
    int ret;

    if (av_dict_set(&opts, "format_whitelist", whitelist, 0) < 0 ||
        (v->io == NULL && av_dict_set(&opts, "protocol_whitelist", "file", 0) < 0)) {
        av_dict_free(&opts);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", v->name);
    }
    ret = avformat_open_input(&v->fmt, url, NULL, &opts);
    av_dict_free(&opts);

    if (ret < 0) {
        v->fmt = NULL;
        if (ret == AVERROR(ENOENT) || ret == AVERROR(EACCES) || ret == AVERROR(EISDIR))
            return av_fail(v, err, CG_E_IO, "cannot open", ret);
        return av_fail(v, err, CG_E_DECODE,
                       "cannot read the video container (corrupt, truncated or not a video)", ret);
    }
    return open_decoder(v, err);
}

/* The first bytes of a file, for the sniffer (fewer when the file is shorter). */
static cg_status read_head(const char *path, uint8_t *head, size_t cap, size_t *len,
                           cg_error *err)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        return cg__fail(err, CG_E_IO, "%s: cannot open: %s", path, strerror(errno));
    *len = fread(head, 1, cap, f);
    if (ferror(f)) {
        fclose(f);
        return cg__fail(err, CG_E_IO, "%s: cannot read: %s", path, strerror(errno));
    }
    fclose(f);
    return CG_OK;
}

cg_status cg_video_open_file(const char *path, const cg_video_options *opt, cg_video **out,
                             cg_error *err)
{
    uint8_t head[4096];
    size_t head_len = 0;
    cg_video *v = NULL;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_video_open_file: out is NULL");
    *out = NULL;
    if (path == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_video_open_file: path is NULL");
    st = read_head(path, head, sizeof(head), &head_len, err);
    if (st != CG_OK)
        return st;
    st = video_new(path, opt, &v, err);
    if (st != CG_OK)
        return st;
    st = open_input(v, path, demuxers_for(head, head_len), err);
    if (st != CG_OK)
        goto fail;
    *out = v;
    return CG_OK;
fail:
    cg_video_close(v);
    return st;
}

cg_status cg_video_open_mem_ref(const uint8_t *data, size_t len, const char *name,
                                const cg_video_options *opt, cg_video **out, cg_error *err)
{
    cg_video *v = NULL;
    unsigned char *buf;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_video_open_mem_ref: out is NULL");
    *out = NULL;
    if (name == NULL)
        name = "(memory)";
    if (data == NULL || len == 0)
        return cg__fail(err, CG_E_DECODE, "%s: empty input (0 bytes), not a video", name);
    st = video_new(name, opt, &v, err);
    if (st != CG_OK)
        return st;
    v->mem.data = data;
    v->mem.len = len;
    buf = av_malloc(VIDEO_IO_BUFFER);
    if (buf == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
        goto fail;
    }
    v->io = avio_alloc_context(buf, VIDEO_IO_BUFFER, 0, &v->mem, mem_read, NULL, mem_seek);
    if (v->io == NULL) {
        av_free(buf);
        st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
        goto fail;
    }
    v->fmt->pb = v->io;
    v->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    st = open_input(v, "", demuxers_for(data, len), err);
    if (st != CG_OK)
        goto fail;
    *out = v;
    return CG_OK;
fail:
    cg_video_close(v);
    return st;
}

const cg_video_info *cg_video_get_info(const cg_video *v)
{
    return v == NULL ? NULL : &v->info;
}

void cg_video_set_sample_every(cg_video *v, uint64_t every)
{
    if (v != NULL)
        v->opt.sample_every = every == 0 ? 1 : every;
}

uint64_t cg_video_frames_decoded(const cg_video *v)
{
    return v == NULL ? 0 : v->decoded;
}

void cg_video_timing(const cg_video *v, double *decode_s, double *convert_s)
{
    if (decode_s != NULL)
        *decode_s = v != NULL ? v->t_decode : 0;
    if (convert_s != NULL)
        *convert_s = v != NULL ? v->t_convert : 0;
}

void cg_video_close(cg_video *v)
{
    if (v == NULL)
        return;
    sws_freeContext(v->sws);
    av_frame_free(&v->rgb);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    if (v->io != NULL) {
        av_freep(&v->io->buffer);
        avio_context_free(&v->io);
    }
    cg__free(v);
}

/* ---- decoding ---------------------------------------------------------------------------- */

/* Converts v->frame into v->rgb, (re)building the scaler for the frame's size and format. */
static cg_status convert(cg_video *v, cg_error *err)
{
    const AVFrame *f = v->frame;
    int ret;

    if (v->sws == NULL || f->width != v->sws_w || f->height != v->sws_h || f->format != v->sws_fmt) {
        cg_status st = check_dims(v, (uint64_t)(f->width > 0 ? f->width : 0),
                                  (uint64_t)(f->height > 0 ? f->height : 0), err);

        if (st != CG_OK)
            return st;
        sws_freeContext(v->sws);
        v->sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format,
                                (int)v->info.out_width, (int)v->info.out_height,
                                AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
        if (v->sws == NULL) {
            const char *pf = av_get_pix_fmt_name((enum AVPixelFormat)f->format);

            return cg__fail(err, CG_E_UNSUPPORTED, "%s: cannot convert %dx%d %s frames to RGB",
                            v->name, f->width, f->height, pf != NULL ? pf : "?");
        }
        v->sws_w = f->width;
        v->sws_h = f->height;
        v->sws_fmt = f->format;
    }
    ret = av_frame_make_writable(v->rgb);
    if (ret < 0)
        return av_fail(v, err, CG_E_NOMEM, "cannot allocate the RGB frame", ret);
    ret = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                    v->rgb->data, v->rgb->linesize);
    if (ret <= 0)
        return cg__fail(err, CG_E_DECODE, "%s: converting frame %llu to RGB failed", v->name,
                        (unsigned long long)(v->decoded - 1));
    return CG_OK;
}

/* Checks the limits that grow while decoding, for the frame just numbered index. */
static cg_status check_progress(const cg_video *v, uint64_t index, cg_error *err)
{
    const cg_video_limits *lim = &v->opt.limits;

    if (lim->max_frames != 0 && index >= lim->max_frames)
        return cg__fail(err, CG_E_LIMIT, "%s: video has more than %llu frames", v->name,
                        (unsigned long long)lim->max_frames);
    if (lim->max_duration_s > 0 && (double)index / v->info.frame_rate > lim->max_duration_s)
        return cg__fail(err, CG_E_LIMIT, "%s: video runs past the limit of %.0f s (frame %llu)",
                        v->name, lim->max_duration_s, (unsigned long long)index);
    if (v->deadline > 0 && now_s() > v->deadline)
        return cg__fail(err, CG_E_LIMIT, "%s: video timeout of %.0f s exceeded at frame %llu",
                        v->name, lim->timeout_s, (unsigned long long)index);
    return CG_OK;
}

/* Feeds the decoder one packet of the video stream, or the flush packet at the end. */
static cg_status feed(cg_video *v, cg_error *err)
{
    int ret;

    for (;;) {
        ret = av_read_frame(v->fmt, v->pkt);
        if (ret == AVERROR_EOF) {
            v->flushing = 1;
            ret = avcodec_send_packet(v->dec, NULL);
            if (ret < 0 && ret != AVERROR_EOF)
                return av_fail(v, err, CG_E_DECODE, "flushing the decoder failed", ret);
            return CG_OK;
        }
        if (ret < 0)
            return av_fail(v, err, CG_E_DECODE,
                           "reading the container failed (corrupt or truncated video)", ret);
        if (v->pkt->stream_index != v->stream) {
            av_packet_unref(v->pkt);
            continue;
        }
        ret = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (ret < 0) {
            char what[96];

            snprintf(what, sizeof(what),
                     "decoding failed after frame %llu (corrupt or truncated video)",
                     (unsigned long long)v->decoded);
            return av_fail(v, err, CG_E_DECODE, what, ret);
        }
        return CG_OK;
    }
}

static cg_status next_frame(cg_video *v, cg_video_frame *frame, int *done, cg_error *err)
{
    cg_status st;
    double t0 = now_s();
    int ret;

    for (;;) {
        ret = avcodec_receive_frame(v->dec, v->frame);
        if (ret == 0) {
            uint64_t index = v->decoded++;

            st = check_progress(v, index, err);
            if (st != CG_OK)
                return st;
            if (index % v->opt.sample_every != 0) {
                av_frame_unref(v->frame);
                continue;
            }
            v->t_decode += now_s() - t0;
            t0 = now_s();
            st = convert(v, err);
            av_frame_unref(v->frame);
            v->t_convert += now_s() - t0;
            if (st != CG_OK)
                return st;
            frame->index = index;
            frame->timestamp = (float)index / (float)v->info.frame_rate;
            frame->width = v->info.out_width;
            frame->height = v->info.out_height;
            frame->stride = (size_t)v->rgb->linesize[0];
            frame->rgb = v->rgb->data[0];
            return CG_OK;
        }
        if (ret == AVERROR_EOF) {
            v->t_decode += now_s() - t0;
            if (v->decoded == 0)
                return cg__fail(err, CG_E_DECODE, "%s: no video frame could be decoded",
                                v->name);
            *done = 1;
            v->finished = 1;
            return CG_OK;
        }
        if (ret != AVERROR(EAGAIN))
            return av_fail(v, err, CG_E_DECODE, "decoding a frame failed", ret);
        if (v->flushing) /* EAGAIN after the flush packet cannot happen; be safe */
            return cg__fail(err, CG_E_DECODE, "%s: decoder stalled at end of stream", v->name);
        st = feed(v, err);
        if (st != CG_OK)
            return st;
    }
}

cg_status cg_video_next(cg_video *v, cg_video_frame *frame, int *done, cg_error *err)
{
    cg_status st;

    if (done != NULL)
        *done = 0;
    if (frame != NULL)
        memset(frame, 0, sizeof(*frame));
    if (v == NULL || frame == NULL || done == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_video_next: NULL argument");
    if (v->sticky != CG_OK) {
        if (err != NULL)
            *err = v->sticky_err;
        return v->sticky;
    }
    if (v->finished) {
        *done = 1;
        return CG_OK;
    }
    st = next_frame(v, frame, done, &v->sticky_err);
    if (st != CG_OK) {
        v->sticky = st;
        memset(frame, 0, sizeof(*frame));
        if (err != NULL)
            *err = v->sticky_err;
    }
    return st;
}
