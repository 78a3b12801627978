/* A content's signals (signals.h): the one content pipeline of the library. Every front end
 * reaches it: the engine's scan, `childguard hash` and `bank add --files`, the server's hashing
 * routes.
 *
 * Order: the digests first (a file that cannot be decoded is still matched by them, so they
 * must not depend on decoding), then the magic bytes decide between image and video. An image
 * is decoded with its limits checked from the header before any pixel is allocated, then
 * PDQ-hashed with a hasher borrowed from the caller's pool; a video is demuxed and decoded
 * frame by frame (vPDQ). A decoding failure is a fact about the content (decode_status), not
 * a failure of the call. */
#include "childguard/signals.h"

#include <string.h>
#include <time.h>

#include "childguard/video.h"
#include "common/error.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void cg_signals_options_default(cg_signals_options *o)
{
    memset(o, 0, sizeof(*o));
    o->want = CG_SIGNALS_PDQ | CG_SIGNALS_MD5 | CG_SIGNALS_SHA256;
    cg_decode_options_default(&o->decode);
    cg_vpdq_options_default(&o->video);
}

void cg_signals_fini(cg_signals *s)
{
    if (s == NULL)
        return;
    cg_vpdq_destroy(s->vpdq);
    cg_image_destroy(s->image);
    memset(s, 0, sizeof(*s));
}

static void keep_decode_error(cg_signals *s, cg_status st, const cg_error *e)
{
    s->decode_status = st;
    s->decode_error = *e;
    s->decode_error.status = st;
}

/* vPDQ of a video, or of an animation's frames (animation: a failure leaves only the first
 * frame's PDQ, which stands). Only running out of memory fails. */
static cg_status hash_video(const uint8_t *data, size_t len, const cg_signals_options *o,
                            cg_pdq_hasher_pool *pool, int animation, cg_signals *s,
                            cg_error *err)
{
    cg_pdq_hasher *h = NULL;
    cg_error verr;
    cg_status st = cg_pdq_hasher_pool_take(pool, &h);

    if (st != CG_OK)
        return cg__fail(err, st, "cannot create a PDQ hasher: %s", cg_status_text(st));
    st = cg_vpdq_hash_video_mem(data, len, o->name != NULL ? o->name : "(content)", &o->video,
                                h, &s->vpdq, &verr);
    cg_pdq_hasher_pool_give(pool, h);
    if (st == CG_E_NOMEM)
        return cg__fail(err, st, "vPDQ hashing failed: %s", cg_status_text(st));
    if (st != CG_OK) {
        s->vpdq = NULL;
        if (!animation)
            keep_decode_error(s, st, &verr);
        return CG_OK;
    }
    s->decode_ms += s->vpdq->decode_s * 1000.0;
    s->hash_ms += s->vpdq->hash_s * 1000.0;
    if (!animation) {
        s->width = s->source_width = s->vpdq->width;
        s->height = s->source_height = s->vpdq->height;
        s->channels = 3;
        s->bit_depth = 8;
        s->frame_count = (int)(s->vpdq->frames_decoded > INT32_MAX ? INT32_MAX
                                                                   : s->vpdq->frames_decoded);
    }
    return CG_OK;
}

/* Decodes and PDQ-hashes an image; a decoding failure is kept in s. */
static cg_status hash_image(const uint8_t *data, size_t len, const cg_signals_options *o,
                            cg_pdq_hasher_pool *pool, cg_signals *s, cg_error *err)
{
    cg_image *img = NULL;
    cg_pdq_hasher *h = NULL;
    cg_error derr;
    double t0 = now_ms();
    cg_status st = cg_image_decode_mem(data, len, &o->decode, &img, &derr);

    s->decode_ms = now_ms() - t0;
    if (st == CG_E_NOMEM)
        return cg__fail(err, st, "%s", derr.message);
    if (st != CG_OK) {
        keep_decode_error(s, st, &derr);
        return CG_OK;
    }
    s->width = img->width;
    s->height = img->height;
    s->source_width = img->source_width;
    s->source_height = img->source_height;
    s->channels = img->channels;
    s->exif_orientation = img->exif_orientation;
    s->has_alpha = img->has_alpha;
    s->bit_depth = img->bit_depth;
    s->frame_count = img->frame_count;
    t0 = now_ms();
    st = cg_pdq_hasher_pool_take(pool, &h);
    if (st == CG_OK)
        st = cg_pdq_hash_image(h, img, o->dihedral, &s->pdq);
    cg_pdq_hasher_pool_give(pool, h);
    s->hash_ms = now_ms() - t0;
    if (st != CG_OK) {
        cg_image_destroy(img);
        return cg__fail(err, st, "PDQ hashing failed: %s", cg_status_text(st));
    }
    s->has_pdq = 1;
    if (o->want & CG_SIGNALS_KEEP_IMAGE)
        s->image = img;
    else
        cg_image_destroy(img);
    return CG_OK;
}

cg_status cg_signals_compute(const uint8_t *data, size_t len, const cg_signals_options *o,
                             cg_pdq_hasher_pool *pool, cg_signals *s, cg_error *err)
{
    const unsigned which = ((o->want & CG_SIGNALS_MD5) ? CG_DIGEST_MD5 : 0) |
                           ((o->want & CG_SIGNALS_SHA256) ? CG_DIGEST_SHA256 : 0);
    cg_status st;

    memset(s, 0, sizeof(*s));
    if (data == NULL && len > 0)
        return cg__fail(err, CG_E_INVAL, "no bytes given");
    if (pool == NULL && (o->want & (CG_SIGNALS_PDQ | CG_SIGNALS_VIDEO)))
        return cg__fail(err, CG_E_INVAL, "no PDQ hasher pool given");
    s->bytes = len;
    if (which != 0) {
        double t0 = now_ms();
        st = cg_digest_mem(which, data != NULL ? data : (const uint8_t *)"", len, &s->digests);
        s->digest_ms = now_ms() - t0;
        if (st != CG_OK)
            return cg__fail(err, st, "digest failed: %s", cg_status_text(st));
        s->has_digests = 1;
    }
    s->format = len > 0 ? cg_image_sniff(data, len) : CG_FORMAT_UNKNOWN;
    if (s->format == CG_FORMAT_UNKNOWN && len > 0 && (o->want & CG_SIGNALS_VIDEO))
        s->video_container = cg_video_sniff(data, len);
    if (s->video_container != NULL)
        return hash_video(data, len, o, pool, 0, s, err);
    if (!(o->want & CG_SIGNALS_PDQ))
        return CG_OK;
    /* Not an image either: the decoder says so in its own words (it sniffs the same bytes). */
    st = hash_image(data, len, o, pool, s, err);
    if (st != CG_OK || s->format != CG_FORMAT_GIF || s->frame_count <= 1 ||
        !(o->want & CG_SIGNALS_ANIMATION))
        return st;
    /* An animated GIF is also a video: FFmpeg reads GIF, and its frames are matched against
     * video signals besides the first frame's PDQ. */
    return hash_video(data, len, o, pool, 1, s, err);
}
