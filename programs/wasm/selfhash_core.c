/* The self-hashing page's hashing core (web/selfhash/, docs/web.md), compiled to WebAssembly
 * by emscripten together with the library's own src/hash/pdq.c (its portable path: no AVX2 in
 * WebAssembly) and the few src/common files it needs. No I/O: the page hands it decoded RGBA
 * pixels (createImageBitmap + canvas) and reads back the hash. MD5 and SHA-256 of the file's
 * bytes are computed by the page (WebCrypto and the npm spark-md5 module): OpenSSL, which the
 * library's digest.c uses, is not built for WebAssembly.
 *
 * The same function is compiled natively for the proof test (tests/ui/pdq_rgba.c links the
 * library and calls it), so the browser and the native build hash identical buffers through
 * identical code paths, differing only in the compiler's target. pdq_rgba also checks every
 * result against cg_pdq_hash_image of the same pixels as RGB (the library's photo path).
 *
 * Speed: cg_pdq_hash_image of a photo reads only the pixels its 512x512 nearest-neighbour
 * resize samples, so this file does that resize itself, straight from the RGBA, and computes
 * the luma plane as pdq.c does (float32 ((0.299 R + 0.587 G) + 0.114 B), compiled with
 * -ffp-contract=off), then hands the plane to cg_pdq_hash_luma: the same floats reach the same
 * filter, without an RGB copy of the whole image (a 1-megapixel RGBA image is 4 MB; the plane
 * is 1 MB). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/pdq.h"
#include "selfhash_core.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define RESIZE 512 /* pdq.c's PDQ_RESIZE: photos with a side over 512 are resized to 512x512 */

static cg_pdq_hasher *hasher;
static float *plane;      /* rows x cols luma */
static size_t plane_cap;  /* floats */

/* Luma of n pixels of RGBA, source pixel xs[j] (or j when xs is NULL) of the row. The products
 * and sums are pdq.c's luma_rgb ones: its tables hold 0.299f * (float)v, and so on. */
static void luma_row(const uint8_t *restrict row, const uint32_t *restrict xs, size_t n,
                     float *restrict dst)
{
#ifdef __wasm_simd128__
    /* Four pixels a vector (cghash-simd): each lane takes one pixel's bytes, converts them to
     * float (exact) and does the same multiplies and adds in the same order. */
    const v128_t kr = wasm_f32x4_splat(0.299f), kg = wasm_f32x4_splat(0.587f);
    const v128_t kb = wasm_f32x4_splat(0.114f), byte = wasm_i32x4_splat(0xff);
    size_t j0 = 0;

    for (; j0 + 4 <= n; j0 += 4) {
        v128_t px;
        if (xs == NULL) {
            px = wasm_v128_load(row + 4 * j0);
        } else {
            uint32_t q[4];
            for (int k = 0; k < 4; k++)
                memcpy(&q[k], row + 4 * (size_t)xs[j0 + k], 4);
            px = wasm_v128_load(q);
        }
        const v128_t r = wasm_f32x4_convert_i32x4(wasm_v128_and(px, byte));
        const v128_t g = wasm_f32x4_convert_i32x4(wasm_v128_and(wasm_u32x4_shr(px, 8), byte));
        const v128_t b = wasm_f32x4_convert_i32x4(wasm_v128_and(wasm_u32x4_shr(px, 16), byte));
        wasm_v128_store(dst + j0, wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(kr, r),
                                                                wasm_f32x4_mul(kg, g)),
                                                 wasm_f32x4_mul(kb, b)));
    }
    row += xs == NULL ? 4 * j0 : 0;
    xs = xs == NULL ? NULL : xs + j0;
    dst += j0;
    n -= j0;
#endif
    if (xs == NULL) {
        for (size_t j = 0; j < n; j++) {
            const uint8_t *p = row + 4 * j;
            dst[j] = 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
        }
        return;
    }
    for (size_t j = 0; j < n; j++) {
        const uint8_t *p = row + 4 * (size_t)xs[j];
        dst[j] = 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
    }
}

int cgw_hash_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, char *hex_out,
                  int *quality_out)
{
    uint32_t xs[RESIZE];
    cg_pdq_result res;
    size_t rows = height, cols = width;
    int resize;

    if (rgba == NULL || hex_out == NULL || quality_out == NULL || width == 0 || height == 0 ||
        (size_t)width > SIZE_MAX / 4 / height)
        return -1;
    if (hasher == NULL && cg_pdq_hasher_create(&hasher) != CG_OK)
        return -2;
    /* cg_pdq_hash_image hashes nothing when a side is under 5 pixels, resize or not: such an
     * image keeps its size here, and cg_pdq_hash_luma then does the same. */
    resize = (width > RESIZE || height > RESIZE) && width >= 5 && height >= 5;
    if (resize)
        rows = cols = RESIZE;
    if (rows * cols > plane_cap) {
        float *p = malloc(rows * cols * sizeof(float));
        if (p == NULL)
            return -2;
        free(plane);
        plane = p;
        plane_cap = rows * cols;
    }
    /* Alpha is dropped, as the library's decoders drop it. Source row and column of output
     * (i, j) after the resize: floor(i * height / 512), floor(j * width / 512), as pdq.c. */
    for (size_t j = 0; resize && j < cols; j++)
        xs[j] = (uint32_t)((uint64_t)j * width / RESIZE);
    for (size_t i = 0; i < rows; i++) {
        const size_t y = resize ? (size_t)((uint64_t)i * height / RESIZE) : i;
        luma_row(rgba + y * width * 4, resize ? xs : NULL, cols, plane + i * cols);
    }
    if (cg_pdq_hash_luma(hasher, plane, (uint32_t)cols, (uint32_t)rows, 0, &res) != CG_OK)
        return -3;
    cg_pdq_to_hex(&res.hash, hex_out);
    *quality_out = res.quality;
    return 0;
}
