/* The self-hashing page's hashing core (web/selfhash/, docs/web.md), compiled to WebAssembly
 * by emscripten together with the library's own src/hash/pdq.c (its portable path: no AVX2 in
 * WebAssembly) and the few src/common files it needs. No I/O: the page hands it decoded RGBA
 * pixels (createImageBitmap + canvas) and reads back the hash. MD5 and SHA-256 of the file's
 * bytes are computed by the page (WebCrypto and the npm spark-md5 module): OpenSSL, which the
 * library's digest.c uses, is not built for WebAssembly.
 *
 * The same function is compiled natively for the proof test (tests/ui/pdq_rgba.c links the
 * library and calls it), so the browser and the native build hash identical buffers through
 * identical code paths, differing only in the compiler's target. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/image.h"
#include "childguard/pdq.h"
#include "selfhash_core.h"

static cg_pdq_hasher *hasher;

int cgw_hash_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, char *hex_out,
                  int *quality_out)
{
    cg_image img;
    cg_pdq_result res;
    uint8_t *rgb;
    size_t n;
    cg_status st;

    if (rgba == NULL || hex_out == NULL || quality_out == NULL || width == 0 || height == 0 ||
        (size_t)width > SIZE_MAX / 4 / height)
        return -1;
    if (hasher == NULL && cg_pdq_hasher_create(&hasher) != CG_OK)
        return -2;
    n = (size_t)width * height;
    rgb = malloc(n * 3);
    if (rgb == NULL)
        return -2;
    /* Alpha is dropped, as the library's decoders drop it. */
    for (size_t i = 0; i < n; i++) {
        rgb[3 * i] = rgba[4 * i];
        rgb[3 * i + 1] = rgba[4 * i + 1];
        rgb[3 * i + 2] = rgba[4 * i + 2];
    }
    memset(&img, 0, sizeof(img));
    img.width = width;
    img.height = height;
    img.channels = 3;
    img.pixels = rgb;
    st = cg_pdq_hash_image(hasher, &img, 0, &res);
    free(rgb);
    if (st != CG_OK)
        return -3;
    cg_pdq_to_hex(&res.hash, hex_out);
    *quality_out = res.quality;
    return 0;
}
