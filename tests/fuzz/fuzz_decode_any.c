/* libFuzzer target for the public front door: cg_image_decode_mem (sniffing, limits, dispatch,
 * grey collapse) followed by PDQ hashing of whatever decodes, with the dihedral variants, and
 * a round trip of the hash through its hex form. Limits as in fuzz_decode.c.
 *
 * Traps when a contract is broken: see check() below and the comments in fuzz_decode.c. */
#include <stdint.h>
#include <string.h>

#include "childguard.h"

#define FUZZ_MAX_PIXELS (4u << 20)
#define FUZZ_MAX_SIDE 16384u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *__lsan_default_suppressions(void);

/* Leaks inside third-party decoders that are not ours to fix, matched by module because
 * libFuzzer's fast unwinder stops at the first frame of a library built without frame
 * pointers: libheif 1.15's dav1d plugin leaks the Dav1dData of a packet dav1d rejects
 * (strukturag/libheif issue 1753, open). */
const char *__lsan_default_suppressions(void)
{
    return "leak:libdav1d.so\n";
}

/* One hasher for the whole run, as a worker thread would keep it (libFuzzer runs inputs on one
 * thread). Created once; reachable until exit, so not a leak. */
static cg_pdq_hasher *hasher;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (cg_pdq_hasher_create(&hasher) != CG_OK)
        __builtin_trap();
    return 0;
}

static void hash(const cg_image *img)
{
    cg_pdq_result res;
    cg_pdq back;
    char hex[CG_PDQ_HEX_LEN + 1];

    if (cg_pdq_hash_image(hasher, img, 1, &res) != CG_OK)
        __builtin_trap();
    if (res.quality < 0 || res.quality > 100 || cg_pdq_distance(&res.hash, &res.dihedral[0]) != 0)
        __builtin_trap();
    for (int i = 0; i < 8; i++) {
        const int d = cg_pdq_distance(&res.hash, &res.dihedral[i]);

        if (d < 0 || d > CG_PDQ_BITS)
            __builtin_trap();
    }
    cg_pdq_to_hex(&res.hash, hex);
    if (strlen(hex) != CG_PDQ_HEX_LEN || cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &back) != CG_OK ||
        memcmp(&back, &res.hash, sizeof(back)) != 0)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_decode_options opt;
    cg_image *img = NULL;
    cg_error err;
    cg_status st;

    cg_decode_options_default(&opt);
    opt.limits.max_pixels = FUZZ_MAX_PIXELS;
    opt.limits.max_side = FUZZ_MAX_SIDE;
    memset(&err, 0, sizeof(err));
    st = cg_image_decode_mem(data, size, &opt, &img, &err);
    if (st != CG_OK) {
        if (img != NULL || err.status != st || err.message[0] == '\0' ||
            memchr(err.message, '\0', sizeof(err.message)) == NULL)
            __builtin_trap();
        if (st != CG_E_DECODE && st != CG_E_LIMIT && st != CG_E_UNSUPPORTED)
            __builtin_trap();
        return 0;
    }
    if (img == NULL || img->pixels == NULL || img->width == 0 || img->height == 0 ||
        (uint64_t)img->width * img->height > opt.limits.max_pixels ||
        (img->channels != 1 && img->channels != 3) || img->format != cg_image_sniff(data, size))
        __builtin_trap();
    hash(img);
    cg_image_destroy(img);
    return 0;
}
