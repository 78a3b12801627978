/* childguard: Hamming-radius indexes over PDQ hashes, and exact-value sets for md5/sha256.
 *
 * An index is immutable once built: build it from an array of values, search it from any number
 * of threads at once, free it when no search uses it. Updates are made by building a new index
 * (or a small one beside it) and swapping pointers; see matcher.h.
 *
 * PDQ searches are exact: every stored hash within the radius is returned, whatever the kind
 * of index (recall 100 %, checked against brute force in the tests). A value is the 32 bytes of
 * its hex text (cg_signal_type "pdq": parse/format), so the distance is the popcount of the XOR.
 *
 * Threading: cg_*_index_build/free on one thread; searches are thread-safe. */
#ifndef CHILDGUARD_INDEX_H
#define CHILDGUARD_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cg_index_kind {
    CG_INDEX_AUTO = 0, /* the faster of the two for the size (documented in docs/index.md) */
    CG_INDEX_SCAN = 1, /* brute-force SIMD scan: 32 bytes per hash + ids */
    CG_INDEX_MIH = 2   /* multi-index hashing over 16-bit slices + the scan's array */
} cg_index_kind;

/* The radius searches are tuned for by default: 31, the field's PDQ match threshold (the index
 * itself knows 256-bit values, not PDQ). */
#define CG_INDEX_DEFAULT_RADIUS 31

typedef struct cg_index_options {
    cg_index_kind kind;
    /* Largest radius searches are tuned for (0 means CG_INDEX_DEFAULT_RADIUS). Larger radii
     * still give exact results, only slower. */
    int tuned_radius;
} cg_index_options;

/* One result: the id given at build time and the Hamming distance. */
typedef struct cg_index_hit {
    uint64_t id;
    int distance;
} cg_index_hit;

/* A caller-owned, growable list of hits. Zero-initialise it; searches append; reuse it across
 * searches (set n = 0) to avoid allocations; release with cg_index_hits_free. */
typedef struct cg_index_hits {
    cg_index_hit *v;
    size_t n;
    size_t cap;
} cg_index_hits;

CG_API void cg_index_hits_free(cg_index_hits *hits);

typedef struct cg_pdq_index cg_pdq_index;

/* Builds an index over n hashes (hashes + 32 * i is hash i). ids[i] is reported for hash i; with
 * ids NULL the id is i. opt may be NULL (AUTO, radius 31). The index copies what it needs: the
 * inputs may be freed afterwards. n may be 0. */
CG_API cg_status cg_pdq_index_build(const uint8_t *hashes, const uint64_t *ids, size_t n,
                                    const cg_index_options *opt, cg_pdq_index **out,
                                    cg_error *err);

CG_API void cg_pdq_index_destroy(cg_pdq_index *idx);

/* Appends to hits every stored hash whose distance to query (32 bytes) is <= radius (0..256),
 * each exactly once, in no particular order. CG_E_NOMEM if hits cannot grow. */
CG_API cg_status cg_pdq_index_search(const cg_pdq_index *idx, const uint8_t *query, int radius,
                                     cg_index_hits *hits);

/* Size, kind actually built, and heap bytes held (for the bytes-per-hash figure). */
CG_API size_t cg_pdq_index_count(const cg_pdq_index *idx);
CG_API cg_index_kind cg_pdq_index_kind(const cg_pdq_index *idx);
CG_API size_t cg_pdq_index_memory(const cg_pdq_index *idx);
/* Name of the brute-force kernel chosen at run time for this CPU: "avx2" or "portable". */
CG_API const char *cg_pdq_index_kernel(void);

/* An exact-value set: values of a fixed width (16 for md5, 32 for sha256), each with an id.
 * Several entries may share a value (the same hash in two banks); lookups return all of them. */
typedef struct cg_exact_index cg_exact_index;

CG_API cg_status cg_exact_index_build(const uint8_t *values, size_t width, const uint64_t *ids,
                                      size_t n, cg_exact_index **out, cg_error *err);
CG_API void cg_exact_index_destroy(cg_exact_index *idx);
/* Appends a hit (distance 0) for every entry equal to value (width bytes). */
CG_API cg_status cg_exact_index_search(const cg_exact_index *idx, const uint8_t *value,
                                       cg_index_hits *hits);
CG_API size_t cg_exact_index_count(const cg_exact_index *idx);
CG_API size_t cg_exact_index_memory(const cg_exact_index *idx);

#ifdef __cplusplus
}
#endif
#endif
