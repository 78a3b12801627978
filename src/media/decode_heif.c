/* Stub: replaced by the real decoder. */
#include "media/media_int.h"

cg_status cg__decode_heif(const uint8_t *data, size_t len, cg_image_format fmt,
                          const cg_decode_options *opt, cg_image **out, cg_error *err)
{
    (void)data;
    (void)len;
    (void)fmt;
    (void)opt;
    *out = NULL;
    return cg__fail(err, CG_E_UNSUPPORTED, "HEIF decoding is not built in yet");
}
