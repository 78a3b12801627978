/* bench: a deliberately plain PDQ hasher, the "reference-style hashing step" that hash_bench
 * measures the library against. It does what the reference C++ pdq-photo-hasher does, in the
 * same natural order and with the same amount of work (see ../shared/testdata/pdq/ALGORITHM.md):
 * nearest-neighbour resize to 512x512 when a side is over 512, per-pixel float32 luma, full
 * Jarosz box passes along every row and every column with one division per output, the full
 * 64x64 decimation, a naive 16x64x64 + 16x16x64 DCT and Torben's median.
 *
 * It shares no code with src/hash/pdq.c, so equal hashes from the two are also a cross-check.
 * It is compiled with -O2 -ffp-contract=off (bench/CMakeLists.txt), as the reference is built
 * without fused multiply-add.
 *
 * Threading: a pdq_baseline is immutable after pdq_baseline_init and may be shared; each call
 * allocates its own scratch buffers, as the reference does per image. */
#ifndef CG_BENCH_PDQ_BASELINE_H
#define CG_BENCH_PDQ_BASELINE_H

#include <stdint.h>

typedef struct pdq_baseline {
    float dct[16][64]; /* D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)), DC row dropped */
} pdq_baseline;

/* Fills b's DCT matrix (caller-provided storage; nothing to free). */
void pdq_baseline_init(pdq_baseline *b);

/* Hashes an 8-bit image: pixels row-major without padding, channels 1 (grey, used as luma) or 3
 * (RGB). Writes the hash in cg_pdq's layout (bit j of words[i] is DCT coefficient (i, j)) and
 * the quality 0..100. Images with a side below 5 hash to zeros with quality 0. Returns 0, or -1
 * when an argument is invalid or scratch memory cannot be allocated (words and quality are then
 * zero). */
int pdq_baseline_hash(const pdq_baseline *b, const uint8_t *pixels, uint32_t width,
                      uint32_t height, uint32_t channels, uint16_t words[16], int *quality);

#endif
