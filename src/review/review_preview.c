/* Reviewer-safe previews (review.h, docs/review.md): the media layer's reduced view of an image
 * (cg_image_preview: greyscale, downscaled, blurred, PGM), at the sizes the review queue stores.
 * Reviewers of abuse material see it often; blurring and removing colour are the measures
 * hotlines use to reduce the harm of repeated exposure. */
#include "childguard/image.h"
#include "childguard/review.h"

cg_status cg_review_preview(const uint8_t *rgb, int width, int height, int channels,
                            int max_side, int blur_radius, uint8_t **out, size_t *out_len,
                            cg_error *err)
{
    return cg_image_preview(rgb, width, height, channels, max_side, blur_radius, out, out_len,
                            err);
}
