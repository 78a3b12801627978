/* childguard: classifying images that no hash list knows. A MobileNetV2 nudity model (the one
 * the npm package nsfwjs 4.4.0 ships, MIT) run in C: five class probabilities (Drawing, Hentai,
 * Neutral, Porn, Sexy) equal to TensorFlow.js's within 1e-4, plus one combined score. The model
 * file is childguard's own format (a versioned header and a SHA-256 of the weights), made once
 * from the npm package by tools/vision/convert-nsfwjs.mjs. docs/vision.md describes the model,
 * the preprocessing, the kernels and the measured false-positive rates.
 *
 * The model's accuracy is the model's: nsfwjs's authors report about 90 % on their test set.
 * Scores are evidence for a policy (blur, review), never proof.
 *
 * Threading: a loaded cg_vision_model is immutable and may be shared by any number of threads;
 * a cg_vision_ctx (scratch buffers, about 15 MB) is used by one thread at a time. */
#ifndef CHILDGUARD_VISION_H
#define CHILDGUARD_VISION_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "image.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The model's classes, in the order of its outputs. */
typedef enum cg_vision_class {
    CG_VISION_DRAWING = 0,
    CG_VISION_HENTAI = 1,
    CG_VISION_NEUTRAL = 2,
    CG_VISION_PORN = 3,
    CG_VISION_SEXY = 4
} cg_vision_class;
#define CG_VISION_CLASSES 5

/* The model file's name inside the data directory (data/ in the source tree). */
#define CG_VISION_MODEL_FILE "vision/nsfw_mobilenet_v2.cgvm"

typedef struct cg_vision_model cg_vision_model;
typedef struct cg_vision_ctx cg_vision_ctx;

/* What the model says about one image. */
typedef struct cg_vision_scores {
    float p[CG_VISION_CLASSES]; /* softmax probabilities, indexed by cg_vision_class */
    float explicit_score;       /* p[HENTAI] + p[PORN] + p[SEXY]: the probability mass the
                                   model puts outside Drawing and Neutral, 0..1 */
} cg_vision_scores;

/* "Drawing", "Hentai", "Neutral", "Porn", "Sexy"; NULL for a value outside the enum. */
CG_API const char *cg_vision_class_name(cg_vision_class c);

/* Where the model is looked for when no path is given: $CHILDGUARD_DATA, the installed data
 * directory, then the source tree's data/; each + CG_VISION_MODEL_FILE. Writes the path into
 * buf (cap bytes, NUL-terminated) and returns CG_E_LIMIT when it does not fit. */
CG_API cg_status cg_vision_default_model_path(char *buf, size_t cap);

/* Loads a model file: checks its header, version and SHA-256, every tensor's name and shape
 * against the architecture, then dequantises the weights and folds the batch normalisations into
 * them. path NULL means cg_vision_default_model_path. On success *out is a new immutable model
 * (free with cg_vision_model_close). On failure *out is NULL and err names the file and the
 * reason: CG_E_NOTFOUND (missing), CG_E_IO (unreadable), CG_E_DECODE (truncated, corrupt,
 * checksum mismatch, a tensor missing or of the wrong shape), CG_E_UNSUPPORTED (another format
 * version), CG_E_NOMEM. */
CG_API cg_status cg_vision_model_open(const char *path, cg_vision_model **out, cg_error *err);

/* The same from bytes in memory (borrowed for the call); name labels the error messages. */
CG_API cg_status cg_vision_model_open_mem(const uint8_t *data, size_t len, const char *name,
                                          cg_vision_model **out, cg_error *err);

/* Frees a model. NULL is a no-op. No context of the model may be in use. */
CG_API void cg_vision_model_close(cg_vision_model *m);

/* The SHA-256 of the model's weights as 64 lowercase hex digits (owned by the model). It
 * identifies the model in verdicts. */
CG_API const char *cg_vision_model_id(const cg_vision_model *m);

/* Creates the scratch state one thread needs to classify with m (m is borrowed and must outlive
 * the context). Free with cg_vision_ctx_destroy. */
CG_API cg_status cg_vision_ctx_create(const cg_vision_model *m, cg_vision_ctx **out);

/* Frees a context. NULL is a no-op. */
CG_API void cg_vision_ctx_destroy(cg_vision_ctx *ctx);

/* Classifies 8-bit pixels: width x height, channels 1 (grey, copied to R, G and B), 3 (RGB) or
 * 4 (RGBA, alpha ignored), rows stride bytes apart. Preprocessing is nsfwjs's: values / 255,
 * then a bilinear resize to 224 x 224 with aligned corners (none when the image is already
 * 224 x 224), no crop. Returns CG_E_INVAL for a zero size or a bad channel count. */
CG_API cg_status cg_vision_classify_rgb(cg_vision_ctx *ctx, const uint8_t *pixels, uint32_t width,
                                        uint32_t height, uint32_t channels, size_t stride,
                                        cg_vision_scores *out, cg_error *err);

/* Classifies a decoded image (cg_image_decode_*). */
CG_API cg_status cg_vision_classify_image(cg_vision_ctx *ctx, const cg_image *img,
                                          cg_vision_scores *out, cg_error *err);

/* Classifies an image given as its bytes: the format is sniffed from the bytes, the image
 * decoded under decode's limits (NULL: the defaults; cg_image_decode_mem), then classified.
 * name (NULL: "(content)") starts a decoding error's message. width and height (may be NULL)
 * receive the decoded size. data is borrowed for the call. */
CG_API cg_status cg_vision_classify_content(cg_vision_ctx *ctx, const uint8_t *data, size_t len,
                                            const cg_decode_options *decode, const char *name,
                                            cg_vision_scores *out, uint32_t *width,
                                            uint32_t *height, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
