/* childguard: vPDQ, Meta's video hash: one PDQ hash per sampled frame (facebook/ThreatExchange
 * vpdq/README.md), bit-exact with the reference vpdq-hash-video when built on the same libav*
 * (docs/vpdq.md has the conformance numbers).
 *
 * A frame is decoded and converted to RGB24 as the reference does (video.h), its luma is
 * 0.299 R + 0.587 G + 0.114 B in float32, and it is hashed at its own size with
 * cg_pdq_hash_rgb (the same as building the luma plane and calling cg_pdq_hash_luma; no
 * 512x512 resize: that belongs to the photo hasher only).
 *
 * Text: a frame list has two forms in the field, both read by cg_vpdq_parse with one set of
 * rules for a frame's fields (src/hash/vpdq_text.c):
 *   file form, one line per hashed frame, no header (the reference's vpdqio):
 *     frameNumber,quality,pdqHex,timestampSeconds      e.g. 30,100,e271…055c,1.000
 *   exchange form, python-threatexchange's and HMA's "vpdq" signal (list files, exchanges):
 *     ["pdqHex,quality,timestampSeconds", …]           e.g. ["e271…055c,100,1.000"]
 * with the timestamp (float)frameNumber / (float)frameRate printed with 3 decimals.
 *
 * Threading: the functions are thread-safe; a cg_pdq_hasher passed in is used by one thread at
 * a time (the caller's); a cg_vpdq is plain data. */
#ifndef CHILDGUARD_VPDQ_H
#define CHILDGUARD_VPDQ_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "pdq.h"
#include "status.h"
#include "video.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The reference's defaults (python-threatexchange signal_type/vpdq, vpdq_util.py): frames
 * below quality 50 are dropped, two frames match at a Hamming distance below 31 (strictly), and
 * a video matches when at least 80 % of the query's frames and at least 0 % of the target's
 * matched, both compared with >= (signal_type/vpdq/signal.py compare_hash;
 * VPDQ_QUERY_MATCH_THRESHOLD_PERCENT and VPDQ_INDEX_MATCH_THRESHOLD_PERCENT). */
#define CG_VPDQ_QUALITY_TOLERANCE 50
#define CG_VPDQ_DISTANCE_TOLERANCE 31
#define CG_VPDQ_QUERY_MATCH_PERCENT 80.0
#define CG_VPDQ_TARGET_MATCH_PERCENT 0.0

/* One hashed frame. */
typedef struct cg_vpdq_frame {
    cg_pdq hash;
    int quality;           /* 0..100 */
    uint64_t frame_number; /* 0-based, decoder output order */
    float timestamp;       /* seconds: (float)frame_number / (float)frame_rate */
} cg_vpdq_frame;

/* A video's vPDQ: frames sorted by frame number. Free with cg_vpdq_destroy. */
typedef struct cg_vpdq {
    cg_vpdq_frame *frames;
    size_t count;
    double frame_rate;     /* 0 when parsed from text */
    uint64_t frames_decoded;
    uint32_t width, height; /* the stream's size (0 when parsed) */
    double decode_s, hash_s; /* time in decoding + RGB conversion, and in luma + PDQ */
} cg_vpdq;

typedef struct cg_vpdq_options {
    cg_video_limits limits;
    /* The reference's -r: hash frames whose number is a multiple of (int)(S * fps) (1 when
     * that is 0). 0 hashes every frame. */
    double seconds_per_hash;
    /* The reference's -s: scale frames to width x height with SWS_AREA first; 0 keeps the
     * stream's size on that axis. */
    uint32_t width, height;
    int threads; /* decoder threads, see cg_video_options; default 1 */
} cg_vpdq_options;

/* Fills opt: default video limits, every frame, native size, one thread. */
CG_API void cg_vpdq_options_default(cg_vpdq_options *opt);

/* Hashes a video file. hasher (owned by the calling thread) is used for every frame; errors
 * name path. On success *out is a new cg_vpdq. Errors as
 * cg_video_open_file and cg_video_next (a video that fails part-way yields no result). */
CG_API cg_status cg_vpdq_hash_video_file(const char *path, const cg_vpdq_options *opt,
                                         cg_pdq_hasher *hasher, cg_vpdq **out, cg_error *err);

/* The same for a video held in memory; data is borrowed for the call, name (optional) names
 * it in errors. An empty buffer is CG_E_DECODE. */
CG_API cg_status cg_vpdq_hash_video_mem(const uint8_t *data, size_t len, const char *name,
                                        const cg_vpdq_options *opt, cg_pdq_hasher *hasher,
                                        cg_vpdq **out, cg_error *err);

/* Frees a cg_vpdq. NULL is a no-op. */
CG_API void cg_vpdq_destroy(cg_vpdq *v);

/* Writes one frame's file-form line ("N,Q,hex,T.TTT", no newline) into out. Returns the line's
 * length, or 0 when cap (use CG_VPDQ_LINE_MAX) is too small. */
#define CG_VPDQ_LINE_MAX 128
CG_API size_t cg_vpdq_format_line(const cg_vpdq_frame *f, char *out, size_t cap);

/* Writes one frame's exchange-form element ("hex,Q,T.TTT", no quotes) into out; the same
 * return as cg_vpdq_format_line. It is also the line a vPDQ signal's identity hashes
 * (vpdq_bank.h). */
CG_API size_t cg_vpdq_format_element(const cg_vpdq_frame *f, char *out, size_t cap);

/* The whole file form: one line per frame, each ending in '\n'. *out is NUL-terminated, freed
 * with cg_free; *len (optional) is its length. */
CG_API cg_status cg_vpdq_format(const cg_vpdq *v, char **out, size_t *len);

/* The exchange form of n frames: a JSON array of elements, no spaces, no newline. *out is
 * NUL-terminated, freed with cg_free; *len (optional) is its length. */
CG_API cg_status cg_vpdq_format_json(const cg_vpdq_frame *frames, size_t n, char **out,
                                     size_t *len);

/* Parses either form; text whose first non-blank byte is '[' is the exchange form. A frame is
 * "pdqHex,quality,timestamp" (numbered by its position from 0) or "frameNumber,quality,pdqHex,
 * timestamp": 64 hex digits, quality 0..100, seconds as strtod reads them without sign or
 * blank (python-threatexchange writes "1e+02"), 0..1e9. The file form tolerates CR/LF and
 * blank lines; the exchange form is strict JSON (jansson) whose elements may be of either
 * kind. At least one frame, at most max_frames (0: 10,000,000). On success *out is a new
 * cg_vpdq; on failure err names the place: "vpdq line 3: quality must be 0..100", "vpdq frame
 * 2: bad timestamp (seconds >= 0)", "vpdq: empty frame list", "vpdq: not a JSON list …". */
CG_API cg_status cg_vpdq_parse(const char *text, size_t len, size_t max_frames, cg_vpdq **out,
                               cg_error *err);

typedef struct cg_vpdq_match_result {
    double query_percent;  /* query frames (after the quality filter) with a target frame
                              closer than the distance tolerance */
    double target_percent; /* the same from the target's side */
    size_t query_frames, target_frames; /* frames left after filtering and de-duplication */
} cg_vpdq_match_result;

/* The reference's matchTwoHashBrute: frames below quality_tolerance are dropped; with dedup,
 * frames whose hash already appeared are dropped too (what the reference's Python/HMA index
 * does; the C++ brute matcher does not), then each side's frames are counted when some frame
 * of the other side is at distance < distance_tolerance. Both percentages are 0 when either
 * side is empty after filtering. Returns CG_OK, CG_E_INVAL (NULL argument) or CG_E_NOMEM (res
 * is then all zeros). */
CG_API cg_status cg_vpdq_match(const cg_vpdq *query, const cg_vpdq *target, int distance_tolerance,
                               int quality_tolerance, int dedup, cg_vpdq_match_result *res);

/* The share of frames matched, in percent (0 when frames is 0): the one percentage of vPDQ,
 * used by cg_vpdq_match and by the matcher's video lookups (query_percent, target_percent). */
CG_API double cg_vpdq_percent(size_t matched, size_t frames);

/* 1 when query_percent >= query_threshold and target_percent >= target_threshold (the
 * reference's comparison; defaults CG_VPDQ_QUERY_MATCH_PERCENT and CG_VPDQ_TARGET_MATCH_PERCENT). */
CG_API int cg_vpdq_is_match(const cg_vpdq_match_result *res, double query_threshold,
                            double target_threshold);

#ifdef __cplusplus
}
#endif
#endif
