/* Classifying content bytes (cg_vision_classify_content): the library's one path from bytes
 * to scores — the format sniffed from the bytes, decoded under the caller's limits
 * (cg_image_decode_mem), then cg_vision_classify_image — so that a front end (childguard
 * classify, a service) reads the bytes and holds no decoding logic. */
#include "childguard/vision.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

cg_status cg_vision_classify_content(cg_vision_ctx *ctx, const uint8_t *data, size_t len,
                                     const cg_decode_options *decode, const char *name,
                                     cg_vision_scores *out, uint32_t *width, uint32_t *height,
                                     cg_error *err)
{
    cg_image *img = NULL;
    cg_status st;

    if (width != NULL)
        *width = 0;
    if (height != NULL)
        *height = 0;
    if (ctx == NULL || (data == NULL && len > 0) || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_vision_classify_content: NULL argument");
    if (name == NULL)
        name = "(content)";
    st = cg_image_decode_mem(data, len, decode, &img, err);
    if (st != CG_OK) {
        if (err != NULL) {
            char msg[CG_ERROR_MAX];

            snprintf(msg, sizeof(msg), "%s", err->message);
            snprintf(err->message, sizeof(err->message), "%.100s: %.150s", name, msg);
        }
        return st;
    }
    if (width != NULL)
        *width = img->width;
    if (height != NULL)
        *height = img->height;
    st = cg_vision_classify_image(ctx, img, out, err);
    cg_image_destroy(img);
    return st;
}
