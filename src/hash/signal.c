/* The signal-type table (include/childguard/signal.h). Values are stored as the bytes of their
 * hex text (big-endian), so PDQ's distance is the popcount of the XOR in any byte order.
 *
 * "vpdq" (a video: a list of PDQ frame hashes, vpdq_bank.h) has as its fixed value the SHA-256
 * of its canonical frame list: the identity used to merge and find it, compared exactly. Its
 * max_distance and default_threshold are those of its frames (PDQ bits, 31 as in
 * python-threatexchange's VPDQ_DISTANCE_THRESHOLD): a bank's "vpdq=N" threshold applies to
 * frame distances in cg_matcher_lookup_video. */
#include "childguard/signal.h"

#include <string.h>

#include "common/hex.h"

static cg_status parse_pdq(const char *t, size_t n, uint8_t *o) { return cg__hex_decode(t, n, o, 32); }
static cg_status parse_md5(const char *t, size_t n, uint8_t *o) { return cg__hex_decode(t, n, o, 16); }
static cg_status parse_sha256(const char *t, size_t n, uint8_t *o) { return cg__hex_decode(t, n, o, 32); }
static void format_32(const uint8_t *v, char *o) { cg__hex_encode(v, 32, o); }
static void format_16(const uint8_t *v, char *o) { cg__hex_encode(v, 16, o); }

static int hamming_256(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[4], y[4];
    int d = 0;

    memcpy(x, a, 32);
    memcpy(y, b, 32);
    for (int i = 0; i < 4; i++)
        d += __builtin_popcountll(x[i] ^ y[i]);
    return d;
}

/* Exact types: 0 when equal, 1 otherwise. */
static int exact_16(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 16) != 0; }
static int exact_32(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 32) != 0; }

static const cg_signal_type signal_types[] = {
    {"pdq", 32, 64, 256, 31, parse_pdq, format_32, hamming_256, CG_SIGNAL_PERCEPTUAL},
    {"md5", 16, 32, 1, 0, parse_md5, format_16, exact_16, CG_SIGNAL_EXACT | CG_SIGNAL_DIGEST},
    {"sha256", 32, 64, 1, 0, parse_sha256, format_32, exact_32,
     CG_SIGNAL_EXACT | CG_SIGNAL_DIGEST},
    {"vpdq", 32, 64, 256, 31, parse_sha256, format_32, exact_32,
     CG_SIGNAL_EXACT | CG_SIGNAL_VIDEO},
};

#define SIGNAL_TYPE_COUNT (sizeof(signal_types) / sizeof(signal_types[0]))

const cg_signal_type *cg_signal_type_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < SIGNAL_TYPE_COUNT; i++)
        if (strcmp(signal_types[i].name, name) == 0)
            return &signal_types[i];
    return NULL;
}

size_t cg_signal_type_guess(size_t hex_len, const cg_signal_type **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < SIGNAL_TYPE_COUNT; i++) {
        const cg_signal_type *t = &signal_types[i];
        if ((t->flags & CG_SIGNAL_VIDEO) || t->hex_len != hex_len)
            continue;
        if (n < max)
            out[n] = t;
        n++;
    }
    return n;
}

size_t cg_signal_type_count(void)
{
    return SIGNAL_TYPE_COUNT;
}

const cg_signal_type *cg_signal_type_at(size_t i)
{
    return i < SIGNAL_TYPE_COUNT ? &signal_types[i] : NULL;
}
