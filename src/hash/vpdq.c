/* vPDQ (include/childguard/vpdq.h): a PDQ hash per sampled video frame.
 *
 * The algorithm is the reference's (facebook/ThreatExchange vpdq/README.md; PDQ itself is
 * "The TMK+PDQF video-hashing algorithm and the PDQ image similarity algorithm", 2019):
 * frames come from video.c as RGB24 (SWS_AREA, at the stream's size or the requested one), the
 * luma of each pixel is 0.299 R + 0.587 G + 0.114 B in float32 (the PDQ reference's
 * fillFloatLumaFromRGB), and the plane is hashed at its own size by pdqHash256FromFloatLuma:
 * Jarosz box filter, 64x64 decimation, DCT, median threshold. Here both steps are one call,
 * cg_pdq_hash_rgb, bit-identical to building the plane and calling cg_pdq_hash_luma but
 * without the plane (on AVX2 CPUs the luma is computed while the filter reads the rows). The
 * photo hasher's 512x512 pre-resize is not part of vPDQ.
 *
 * Sampling is the reference's: with S seconds per hash, frames whose number is a multiple of
 * (int)(S * fps) are hashed (every frame when that is 0); video.c skips the colour conversion
 * of the others but must still decode them. */
#include <string.h>
#include <time.h>

#include "childguard/vpdq.h"
#include "common/alloc.h"
#include "common/error.h"
#include "vpdq_int.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cg_vpdq_options_default(cg_vpdq_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    cg_video_limits_default(&opt->limits);
    opt->threads = 1;
}

void cg_vpdq_destroy(cg_vpdq *v)
{
    if (v == NULL)
        return;
    cg__free(v->frames);
    cg__free(v);
}

cg_status cg__vpdq_push(cg_vpdq *v, size_t *cap, const cg_vpdq_frame *f)
{
    if (v->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        cg_vpdq_frame *nf = cg__realloc(v->frames, ncap * sizeof(*nf));

        if (nf == NULL)
            return CG_E_NOMEM;
        v->frames = nf;
        *cap = ncap;
    }
    v->frames[v->count++] = *f;
    return CG_OK;
}

/* Reads every sampled frame of an opened video and hashes it. */
static cg_status hash_frames(cg_video *vid, const char *name, cg_pdq_hasher *hasher,
                             cg_vpdq *out, cg_error *err)
{
    size_t cap = 0;
    cg_status st;

    for (;;) {
        cg_video_frame f;
        cg_pdq_result res;
        cg_vpdq_frame vf;
        double t0;
        int eos = 0;

        st = cg_video_next(vid, &f, &eos, err);
        if (st != CG_OK)
            goto done;
        if (eos)
            break;
        t0 = now_s();
        if (f.width < 5 || f.height < 5) {
            /* The reference refuses to hash such frames and fails the whole video. */
            st = cg__fail(err, CG_E_DECODE, "%s: frame %llu is %ux%u, below PDQ's 5x5 minimum",
                          name, (unsigned long long)f.index, f.width, f.height);
            goto done;
        }
        /* The RGB frame straight in: luma is computed as the filter reads each row. */
        st = cg_pdq_hash_rgb(hasher, f.rgb, f.width, f.height, f.stride, 0, &res);
        if (st != CG_OK) {
            cg__fail(err, st, "%s: PDQ hashing of frame %llu failed", name,
                     (unsigned long long)f.index);
            goto done;
        }
        vf.hash = res.hash;
        vf.quality = res.quality;
        vf.frame_number = f.index;
        vf.timestamp = f.timestamp;
        st = cg__vpdq_push(out, &cap, &vf);
        out->hash_s += now_s() - t0;
        if (st != CG_OK) {
            cg__fail(err, st, "%s: out of memory for %zu frame hashes", name, out->count + 1);
            goto done;
        }
    }
    st = CG_OK;
done:
    return st;
}

/* Shared by the file and memory entry points: vid is open, ownership stays with the caller. */
static cg_status hash_video(cg_video *vid, const char *name, cg_pdq_hasher *hasher,
                            cg_vpdq **out, cg_error *err)
{
    const cg_video_info *info = cg_video_get_info(vid);
    cg_vpdq *v;
    cg_status st;

    v = cg__calloc(1, sizeof(*v));
    if (v == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
    v->frame_rate = info->frame_rate;
    v->width = info->width;
    v->height = info->height;
    st = hash_frames(vid, name, hasher, v, err);
    if (st != CG_OK) {
        cg_vpdq_destroy(v);
        return st;
    }
    v->frames_decoded = cg_video_frames_decoded(vid);
    cg_video_timing(vid, &v->decode_s, NULL);
    {
        double conv = 0;

        cg_video_timing(vid, NULL, &conv);
        v->decode_s += conv;
    }
    *out = v;
    return CG_OK;
}

static void video_options(const cg_vpdq_options *opt, cg_video_options *vo)
{
    cg_video_options_default(vo);
    if (opt == NULL)
        return;
    vo->limits = opt->limits;
    vo->out_width = opt->width;
    vo->out_height = opt->height;
    vo->threads = opt->threads;
}

/* (int)(S * fps) as the reference truncates it, at least 1; 0 seconds means every frame. */
static uint64_t sample_step(double seconds_per_hash, double fps)
{
    double m;

    if (!(seconds_per_hash > 0))
        return 1;
    m = seconds_per_hash * fps;
    if (!(m >= 1.0))
        return 1;
    if (m > 9e18)
        return UINT64_MAX;
    return (uint64_t)m;
}

/* Runs on a video that is open; sets the sampling once the frame rate is known. */
static cg_status hash_opened(cg_video *vid, const char *name, const cg_vpdq_options *opt,
                             cg_pdq_hasher *hasher, cg_vpdq **out, cg_error *err)
{
    if (opt != NULL)
        cg_video_set_sample_every(
            vid, sample_step(opt->seconds_per_hash, cg_video_get_info(vid)->frame_rate));
    return hash_video(vid, name, hasher, out, err);
}

cg_status cg_vpdq_hash_video_file(const char *path, const cg_vpdq_options *opt,
                                  cg_pdq_hasher *hasher, cg_vpdq **out, cg_error *err)
{
    cg_video_options vo;
    cg_video *vid = NULL;
    cg_status st;

    if (out == NULL || hasher == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_vpdq_hash_video_file: NULL argument");
    *out = NULL;
    video_options(opt, &vo);
    st = cg_video_open_file(path, &vo, &vid, err);
    if (st != CG_OK)
        return st;
    st = hash_opened(vid, path, opt, hasher, out, err);
    cg_video_close(vid);
    return st;
}

cg_status cg_vpdq_hash_video_mem(const uint8_t *data, size_t len, const char *name,
                                 const cg_vpdq_options *opt, cg_pdq_hasher *hasher,
                                 cg_vpdq **out, cg_error *err)
{
    cg_video_options vo;
    cg_video *vid = NULL;
    cg_status st;

    if (out == NULL || hasher == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_vpdq_hash_video_mem: NULL argument");
    *out = NULL;
    video_options(opt, &vo);
    st = cg_video_open_mem_ref(data, len, name, &vo, &vid, err);
    if (st != CG_OK)
        return st;
    st = hash_opened(vid, name != NULL ? name : "(memory)", opt, hasher, out, err);
    cg_video_close(vid);
    return st;
}

/* ---- matching -------------------------------------------------------------------------------- */

/* Indices of the frames kept: quality >= tolerance, and (dedup) the first of equal hashes. */
static size_t keep_frames(const cg_vpdq *v, int quality_tolerance, int dedup, size_t *idx)
{
    size_t n = 0;

    for (size_t i = 0; i < v->count; i++) {
        int dup = 0;

        if (v->frames[i].quality < quality_tolerance)
            continue;
        for (size_t j = 0; dedup && j < n && !dup; j++)
            dup = memcmp(&v->frames[idx[j]].hash, &v->frames[i].hash, sizeof(cg_pdq)) == 0;
        if (!dup)
            idx[n++] = i;
    }
    return n;
}

static size_t count_matched(const cg_vpdq *a, const size_t *ia, size_t na, const cg_vpdq *b,
                            const size_t *ib, size_t nb, int distance_tolerance)
{
    size_t m = 0;

    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (cg_pdq_distance(&a->frames[ia[i]].hash, &b->frames[ib[j]].hash) <
                distance_tolerance) {
                m++;
                break;
            }
    return m;
}

cg_status cg_vpdq_match(const cg_vpdq *query, const cg_vpdq *target, int distance_tolerance,
                        int quality_tolerance, int dedup, cg_vpdq_match_result *res)
{
    size_t *iq = NULL, *it = NULL, nq, nt;
    cg_status st = CG_OK;

    if (res == NULL)
        return CG_E_INVAL;
    memset(res, 0, sizeof(*res));
    if (query == NULL || target == NULL)
        return CG_E_INVAL;
    if (query->count == 0 || target->count == 0)
        return CG_OK;
    iq = cg__malloc_array(query->count, sizeof(size_t));
    it = cg__malloc_array(target->count, sizeof(size_t));
    if (iq == NULL || it == NULL) {
        st = CG_E_NOMEM;
        goto done;
    }
    nq = keep_frames(query, quality_tolerance, dedup, iq);
    nt = keep_frames(target, quality_tolerance, dedup, it);
    res->query_frames = nq;
    res->target_frames = nt;
    if (nq == 0 || nt == 0)
        goto done;
    res->query_percent =
        cg_vpdq_percent(count_matched(query, iq, nq, target, it, nt, distance_tolerance), nq);
    res->target_percent =
        cg_vpdq_percent(count_matched(target, it, nt, query, iq, nq, distance_tolerance), nt);
done:
    cg__free(iq);
    cg__free(it);
    return st;
}

double cg_vpdq_percent(size_t matched, size_t frames)
{
    return frames > 0 ? (double)matched * 100.0 / (double)frames : 0.0;
}

int cg_vpdq_is_match(const cg_vpdq_match_result *res, double query_threshold,
                     double target_threshold)
{
    return res != NULL && res->query_frames > 0 && res->target_frames > 0 &&
           res->query_percent >= query_threshold && res->target_percent >= target_threshold;
}
