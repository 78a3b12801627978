/* childguard: PDQ, Meta's 256-bit perceptual image hash, bit-identical to the reference
 * pdq-photo-hasher (facebook/ThreatExchange, pdq/README.md and the PDQ hashing paper,
 * "The TMK+PDQF video-hashing algorithm and the PDQ image similarity algorithm", 2019).
 *
 * Threading: a cg_pdq_hasher holds scratch buffers and is used by one thread at a time;
 * create one per thread. The other functions are pure and thread-safe. */
#ifndef CHILDGUARD_PDQ_H
#define CHILDGUARD_PDQ_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "image.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CG_PDQ_BITS 256
#define CG_PDQ_HEX_LEN 64
/* The field's usual match threshold: Hamming distance <= 31. */
#define CG_PDQ_MATCH_THRESHOLD 31
/* Hashes of quality below this are usually discarded by the field. */
#define CG_PDQ_MIN_QUALITY 50

/* A PDQ hash. words[i] holds DCT row i (i = 0..15): bit j of words[i] is set when coefficient
 * (i, j) is above the median. Hex output prints words[15] first, as the reference does. */
typedef struct cg_pdq {
    uint16_t words[16];
} cg_pdq;

/* The 8 dihedral variants, in the reference's --pdqdih-across order. */
typedef enum cg_pdq_dihedral {
    CG_PDQ_ORIGINAL = 0,
    CG_PDQ_ROT90,       /* counter-clockwise */
    CG_PDQ_ROT180,
    CG_PDQ_ROT270,
    CG_PDQ_FLIPX,       /* top and bottom swapped */
    CG_PDQ_FLIPY,       /* left and right mirrored */
    CG_PDQ_FLIP_PLUS1,  /* transpose */
    CG_PDQ_FLIP_MINUS1  /* anti-transpose */
} cg_pdq_dihedral;

typedef struct cg_pdq_result {
    cg_pdq hash;
    int quality;          /* 0..100 */
    cg_pdq dihedral[8];   /* filled only when asked for; [0] equals hash */
} cg_pdq_result;

typedef struct cg_pdq_hasher cg_pdq_hasher;

/* Creates a hasher with its scratch buffers (about 0.33 MiB on AVX2 CPUs, 2.5 MiB on others).
 * Free with cg_pdq_hasher_destroy. */
CG_API cg_status cg_pdq_hasher_create(cg_pdq_hasher **out);

/* Frees a hasher. NULL is a no-op. */
CG_API void cg_pdq_hasher_destroy(cg_pdq_hasher *h);

/* Hashes a decoded image as the reference command-line hasher does: images larger than 512 on
 * either side are first resized to exactly 512x512 by nearest neighbour, grey images use their
 * grey value as luma, RGB uses 0.299 R + 0.587 G + 0.114 B in float32. Images with a side below
 * 5 pixels hash to all zeros with quality 0 (as the reference). With dihedral non-zero, also
 * fills res->dihedral. img is borrowed for the call. */
CG_API cg_status cg_pdq_hash_image(cg_pdq_hasher *h, const cg_image *img, int dihedral,
                                   cg_pdq_result *res);

/* Hashes a luma plane (row-major, values 0..255 as float) of any size, without the 512 resize:
 * the entry point for video frames and for callers with their own decoders. */
CG_API cg_status cg_pdq_hash_luma(cg_pdq_hasher *h, const float *luma, uint32_t width,
                                  uint32_t height, int dihedral, cg_pdq_result *res);

/* Hashes RGB24 pixels (3 bytes a pixel, R first; row y at rgb + y * stride, stride >= 3 *
 * width; only the first 3 * width bytes of each row are read) of any size, without the 512
 * resize: what the reference vPDQ does per frame. Bit-identical to filling a float plane with
 * 0.299 R + 0.587 G + 0.114 B in float32 (the reference's fillFloatLumaFromRGB) and calling
 * cg_pdq_hash_luma, but on AVX2 CPUs the luma is computed while the filter reads the rows and
 * no float plane is built. Sides below 5 give all zeros with quality 0. CG_E_INVAL on NULL
 * arguments or stride < 3 * width. */
CG_API cg_status cg_pdq_hash_rgb(cg_pdq_hasher *h, const uint8_t *rgb, uint32_t width,
                                 uint32_t height, size_t stride, int dihedral,
                                 cg_pdq_result *res);

/* A pool of hashers shared by the threads of a program (the engine, a command's workers, a
 * server's request threads): each caller borrows one for a call and gives it back. At most max
 * hashers exist (0: no bound); take blocks while max are lent. The pool is thread-safe; the
 * hasher a caller holds is its own until it gives it back. */
typedef struct cg_pdq_hasher_pool cg_pdq_hasher_pool;

/* Creates an empty pool (hashers are created on first use). Free with
 * cg_pdq_hasher_pool_destroy, after every hasher was given back. */
CG_API cg_status cg_pdq_hasher_pool_create(size_t max, cg_pdq_hasher_pool **out);
/* Frees the pool and the hashers in it. NULL is a no-op. */
CG_API void cg_pdq_hasher_pool_destroy(cg_pdq_hasher_pool *p);
/* Lends a hasher: a free one, else a new one (blocking while max are lent). CG_E_NOMEM when a
 * new one cannot be created; *out is then NULL. */
CG_API cg_status cg_pdq_hasher_pool_take(cg_pdq_hasher_pool *p, cg_pdq_hasher **out);
/* Gives back a hasher taken from p. NULL is a no-op. */
CG_API void cg_pdq_hasher_pool_give(cg_pdq_hasher_pool *p, cg_pdq_hasher *h);

/* The hash as the 32 bytes of its hex text read as one big-endian number (row 15 first): the
 * form the signal table, the banks and the indexes keep ("pdq" values). This is how a PDQ
 * crosses module boundaries; text is only for people and files. */
#define CG_PDQ_BYTES 32
CG_API void cg_pdq_to_bytes(const cg_pdq *hash, uint8_t out[CG_PDQ_BYTES]);
CG_API void cg_pdq_from_bytes(const uint8_t in[CG_PDQ_BYTES], cg_pdq *out);

/* Writes 64 lowercase hex digits and a NUL into out (at least 65 bytes). */
CG_API void cg_pdq_to_hex(const cg_pdq *hash, char *out);

/* Parses 64 hex digits (either case, nothing else). CG_E_INVAL on anything else. */
CG_API cg_status cg_pdq_from_hex(const char *hex, size_t len, cg_pdq *out);

/* Hamming distance, 0..256. */
CG_API int cg_pdq_distance(const cg_pdq *a, const cg_pdq *b);

/* Number of set bits (the reference's "norm"; normally 128). */
CG_API int cg_pdq_popcount(const cg_pdq *a);

/* "original", "rot90", "rot180", "rot270", "flipx", "flipy", "flip_plus1", "flip_minus1";
 * "?" out of range. */
CG_API const char *cg_pdq_dihedral_name(int variant);

#ifdef __cplusplus
}
#endif
#endif
