/* childguard: reading video frames with FFmpeg (libavformat, libavcodec, libswscale).
 *
 * Frames come out as RGB24 exactly as Meta's reference vPDQ hasher (vpdq-hash-video) sees them:
 * the first video stream is decoded in full, every frame the decoder outputs is numbered from 0
 * in output order, and the frames a caller samples are converted to RGB24 with libswscale's
 * SWS_AREA at the stream's own size or at a requested size. With the same libav* build the
 * pixels are byte-identical to the reference's, so vPDQ hashes are too (docs/vpdq.md).
 *
 * Limits (duration, dimensions, frames, wall-clock time) are checked from the container header
 * before the decoder is opened and again while decoding; going over one is CG_E_LIMIT.
 *
 * Threading: a cg_video is used by one thread at a time. Different videos may be read on
 * different threads. FFmpeg's log output is left as the application set it. */
#ifndef CHILDGUARD_VIDEO_H
#define CHILDGUARD_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits applied while opening and decoding. Zero in a field means "no limit" for it. */
typedef struct cg_video_limits {
    double max_duration_s; /* container duration and frame index / fps; default 4 hours */
    uint32_t max_side;     /* either dimension of the stream; default 8192 */
    uint64_t max_pixels;   /* width * height; default 8192 * 4320 (8K) */
    uint64_t max_frames;   /* frames decoded; default 1,000,000 */
    double timeout_s;      /* wall clock from open to the last frame; default 600 */
} cg_video_limits;

typedef struct cg_video_options {
    cg_video_limits limits;
    /* Size of the RGB frames handed out; 0 keeps the stream's own size (per axis, as the
     * reference's -s 0 / -s N). */
    uint32_t out_width, out_height;
    /* Only frames whose index is a multiple of this are converted and handed out; the others
     * are decoded (the numbering and the reference frames need them) and dropped. 0 or 1: all. */
    uint64_t sample_every;
    /* Decoder threads: 1 (the default) decodes on the calling thread; 0 lets FFmpeg choose
     * (slice threads, as the reference). The pixels are the same either way. */
    int threads;
} cg_video_options;

/* Facts about the opened stream. */
typedef struct cg_video_info {
    uint32_t width, height;         /* the stream's coded display size */
    uint32_t out_width, out_height; /* size of the frames handed out */
    double frame_rate;              /* avg_frame_rate, else r_frame_rate (as the reference) */
    double duration_s;              /* from the container; 0 when unknown */
    const char *codec;              /* FFmpeg's decoder name, e.g. "h264" */
    const char *container;          /* FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
} cg_video_info;

/* One decoded frame. pixels belong to the cg_video and stay valid until the next call on it. */
typedef struct cg_video_frame {
    uint64_t index;     /* 0-based, in decoder output order */
    float timestamp;    /* (float)index / (float)frame_rate, as the reference prints it */
    uint32_t width, height;
    size_t stride;      /* bytes per row, >= 3 * width */
    const uint8_t *rgb; /* RGB24 */
} cg_video_frame;

typedef struct cg_video cg_video;

/* Fills lim with the defaults documented on cg_video_limits. */
CG_API void cg_video_limits_default(cg_video_limits *lim);

/* Fills opt with default limits, native size, every frame and one decoder thread. */
CG_API void cg_video_options_default(cg_video_options *opt);

/* Guesses from the first bytes whether data is a video container this module reads: MP4/MOV
 * ("ftyp" at offset 4, except the HEIF/AVIF still-image brands), QuickTime without ftyp
 * ("moov"/"mdat"/"wide"/"free" at offset 4), WebM/Matroska (EBML 1A 45 DF A3), AVI
 * ("RIFF....AVI "), FLV, MPEG-TS (0x47 sync every 188 bytes) and MPEG-PS. Returns a short name
 * ("mp4", "mov", "webm", "avi", "flv", "mpegts", "mpegps") or NULL when nothing matches. 16
 * bytes are enough except for MPEG-TS (377). Never reads past len. */
CG_API const char *cg_video_sniff(const uint8_t *data, size_t len);

/* Opens a video file. name (optional, else path) is used in error messages. On success *out is
 * a new video to close with cg_video_close. Errors (err says which input and why):
 * CG_E_IO (cannot open), CG_E_DECODE (empty, corrupt or truncated, no decodable frame),
 * CG_E_UNSUPPORTED (no video stream, e.g. audio only; no decoder for the codec), CG_E_LIMIT
 * (dimensions or duration over the limits), CG_E_NOMEM. opt may be NULL for the defaults. */
CG_API cg_status cg_video_open_file(const char *path, const cg_video_options *opt,
                                    cg_video **out, cg_error *err);

/* Opens a video held in memory through a custom AVIOContext (read and seek, no copy). The
 * video keeps a pointer to data until cg_video_close: data must outlive it (hence _ref). name
 * (optional) is used in error messages. Errors as cg_video_open_file; an empty buffer is
 * CG_E_DECODE. */
CG_API cg_status cg_video_open_mem_ref(const uint8_t *data, size_t len, const char *name,
                                       const cg_video_options *opt, cg_video **out,
                                       cg_error *err);

/* The stream's facts; owned by v, valid until cg_video_close. */
CG_API const cg_video_info *cg_video_get_info(const cg_video *v);

/* Decodes up to the next sampled frame and fills *frame. Returns CG_OK with *done = 0 and a
 * frame, or CG_OK with *done = 1 at the end of the stream. Errors: CG_E_DECODE (the decoder or
 * demuxer failed mid-stream, e.g. a truncated file; frames already handed out stay valid
 * results), CG_E_LIMIT (frames, duration or time over the limits), CG_E_NOMEM. After an error
 * or the end, further calls return the same. */
CG_API cg_status cg_video_next(cg_video *v, cg_video_frame *frame, int *done, cg_error *err);

/* Changes the sampling step (cg_video_options.sample_every) for the frames not yet returned;
 * 0 means 1. Used once the frame rate is known (vPDQ's seconds per hash). */
CG_API void cg_video_set_sample_every(cg_video *v, uint64_t every);

/* Frames decoded so far (sampled or not). */
CG_API uint64_t cg_video_frames_decoded(const cg_video *v);

/* Seconds spent in demuxing + decoding and in RGB conversion so far (for benchmarks). */
CG_API void cg_video_timing(const cg_video *v, double *decode_s, double *convert_s);

/* Process-wide: sets FFmpeg's own log level (av_log_set_level; FFmpeg prints to stderr by
 * default). quiet != 0 keeps only fatal messages, as the reference hasher does; 0 restores
 * FFmpeg's default. The library never calls this itself: it is the application's choice. */
CG_API void cg_video_set_ffmpeg_quiet(int quiet);

/* Frees the video and everything FFmpeg holds for it. NULL is a no-op. */
CG_API void cg_video_close(cg_video *v);

#ifdef __cplusplus
}
#endif
#endif
