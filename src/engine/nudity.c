/* The engine's nudity signal (engine.h, docs/vision.md): the classifier's model, loaded once at
 * open and shared read-only; a pool of per-thread contexts (about 15 MB each, so a scan borrows
 * one instead of making one); and the scoring of what scan.c decoded: an image (for an
 * animation, its first frame), or a video's frames sampled as vPDQ samples them, the video
 * scoring as its worst frame.
 *
 * A model that cannot be loaded does not stop the engine: hash matching and text still work,
 * and every verdict of bytes carries status "unavailable" with the reason, so nobody mistakes
 * "not classified" for "classified as safe". */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

static cg_status ctx_create(void *model, void **obj, cg_error *err)
{
    cg_vision_ctx *c = NULL;
    cg_status st = cg_vision_ctx_create(model, &c);

    *obj = c;
    return st == CG_OK ? CG_OK : cg__fail(err, st, "engine: cannot create a classifier context");
}

static void ctx_destroy(void *obj)
{
    cg_vision_ctx_destroy(obj);
}

cg_status cg__engine_vision_open(cg_engine *e, cg_error *err)
{
    cg_error verr;
    cg_status st;

    if (!e->cfg.classify)
        return CG_OK;
    st = cg_vision_model_open(e->cfg.vision_model_path, &e->vision, &verr);
    if (st == CG_OK) {
        if (cg_object_pool_create(0, ctx_create, ctx_destroy, e->vision, &e->vision_ctxs) !=
            CG_OK)
            return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
        return CG_OK;
    }
    if (st == CG_E_NOMEM)
        return cg__fail(err, st, "engine: out of memory loading the nudity model");
    e->vision_error = cg__strdup(verr.message);
    if (e->vision_error == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    return CG_OK;
}

void cg__engine_vision_close(cg_engine *e)
{
    cg_object_pool_destroy(e->vision_ctxs);
    e->vision_ctxs = NULL;
    cg_vision_model_close(e->vision);
    e->vision = NULL;
    cg__free(e->vision_error);
    e->vision_error = NULL;
}

const char *cg_engine_vision_error(const cg_engine *e)
{
    return e != NULL ? e->vision_error : NULL;
}

/* As vPDQ samples: every (int)(seconds * fps) frames, at least 1; <= 0 seconds: every frame. */
static uint64_t sample_step(double seconds, double fps)
{
    const double m = seconds * fps;
    if (!(seconds > 0) || !(m >= 1.0))
        return 1;
    return m > 9e18 ? UINT64_MAX : (uint64_t)m;
}

/* Scores the sampled frames of a video; the worst frame's scores stand for the video. */
static cg_status classify_video(cg_engine *e, const cg_content *c, cg_vision_ctx *ctx,
                                cg_verdict *v)
{
    cg_video_options vo;
    cg_video *vid = NULL;
    cg_error verr;
    cg_status st;
    const char *name = c->name != NULL ? c->name : "(content)";

    cg_video_options_default(&vo);
    const cg_video_limits *l = &e->cfg.video_limits;
    if (l->max_duration_s > 0)
        vo.limits.max_duration_s = l->max_duration_s;
    if (l->max_side > 0)
        vo.limits.max_side = l->max_side;
    if (l->max_pixels > 0)
        vo.limits.max_pixels = l->max_pixels;
    if (l->max_frames > 0)
        vo.limits.max_frames = l->max_frames;
    if (l->timeout_s > 0)
        vo.limits.timeout_s = l->timeout_s;
    st = cg_video_open_mem_ref(c->data, c->len, name, &vo, &vid, &verr);
    if (st == CG_OK) {
        const double secs = e->cfg.video_seconds_per_hash == 0 ? 1.0
                            : e->cfg.video_seconds_per_hash < 0 ? 0
                                                                : e->cfg.video_seconds_per_hash;
        cg_video_set_sample_every(vid, sample_step(secs, cg_video_get_info(vid)->frame_rate));
        for (;;) {
            cg_video_frame fr;
            cg_vision_scores s;
            int done = 0;
            st = cg_video_next(vid, &fr, &done, &verr);
            if (st != CG_OK || done)
                break;
            st = cg_vision_classify_rgb(ctx, fr.rgb, fr.width, fr.height, 3, fr.stride, &s,
                                        &verr);
            if (st != CG_OK)
                break;
            if (v->nudity.frames == 0 || s.explicit_score > v->nudity.scores.explicit_score) {
                v->nudity.scores = s;
                v->nudity.frame = (int64_t)fr.index;
            }
            v->nudity.frames++;
        }
        cg_video_close(vid);
    }
    if (st == CG_E_NOMEM)
        return st;
    /* Frames scored before a mid-stream error stand (as vPDQ keeps its hashes); a video with no
     * scored frame is a failure, with the reason. */
    if (v->nudity.frames > 0) {
        v->nudity.status = CG_NUDITY_CLASSIFIED;
        return CG_OK;
    }
    v->nudity.status = CG_NUDITY_FAILED;
    snprintf(v->nudity.error, sizeof v->nudity.error, "%s",
             st != CG_OK ? verr.message : "no frame to classify");
    return CG_OK;
}

cg_status cg__engine_classify(cg_engine *e, const cg_content *c, const cg_image *img,
                              cg_verdict *v, cg_error *err)
{
    const int is_image = v->format != CG_FORMAT_UNKNOWN;
    const int is_video = v->video_format[0] != '\0';
    cg_vision_ctx *ctx = NULL;
    void *obj = NULL;
    cg_error verr;
    cg_status st;
    const double t0 = cg__engine_now_ms();

    v->nudity.status = CG_NUDITY_NONE;
    v->nudity.frame = -1;
    v->nudity.frames = 0;
    if (!e->cfg.classify) {
        v->nudity.status = is_image || is_video ? CG_NUDITY_OFF : CG_NUDITY_NONE;
        return CG_OK;
    }
    if (e->vision == NULL) { /* said in every verdict of bytes, images or not */
        v->nudity.status = CG_NUDITY_UNAVAILABLE;
        snprintf(v->nudity.error, sizeof v->nudity.error, "%s", e->vision_error);
        return CG_OK;
    }
    if (!is_image && !is_video)
        return CG_OK;
    snprintf(v->nudity.model, sizeof v->nudity.model, "%s", cg_vision_model_id(e->vision));
    if (is_image && img == NULL) {
        v->nudity.status = CG_NUDITY_FAILED;
        snprintf(v->nudity.error, sizeof v->nudity.error, "%s", v->decode_error);
        return CG_OK;
    }
    st = cg_object_pool_take(e->vision_ctxs, &obj, NULL);
    if (st != CG_OK)
        return cg__fail(err, st, "engine: out of memory for the nudity classifier");
    ctx = obj;
    if (is_image) {
        st = cg_vision_classify_image(ctx, img, &v->nudity.scores, &verr);
        if (st == CG_OK) {
            v->nudity.status = CG_NUDITY_CLASSIFIED;
            v->nudity.frames = 1;
        } else {
            v->nudity.status = CG_NUDITY_FAILED;
            snprintf(v->nudity.error, sizeof v->nudity.error, "%s", verr.message);
            st = CG_OK;
        }
    } else {
        st = classify_video(e, c, ctx, v);
    }
    cg_object_pool_give(e->vision_ctxs, ctx);
    v->ms.classify_ms = cg__engine_now_ms() - t0;
    if (st != CG_OK)
        return cg__fail(err, st, "engine: out of memory in the nudity classifier");
    return CG_OK;
}
