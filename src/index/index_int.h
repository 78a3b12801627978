/* Internal: the PDQ index's data structures, its search kernels and the test hooks.
 *
 * Layout (docs/index.md has the why):
 *   - hashes: every stored hash as 4 host-order 64-bit words, in build order. The brute-force
 *     scan reads only this; MIH verifies candidates against it.
 *   - MIH adds CG__MIH_SLICES tables, one per 16-bit slice of the hash. Table i holds every
 *     entry sorted (counting sort, stable) by slice i, an offsets array of 65537 bucket starts,
 *     and per entry a 16-byte "partial" (two words other than the one holding slice i) plus the
 *     entry's position in hashes. */
#ifndef CG_INDEX_INDEX_INT_H
#define CG_INDEX_INDEX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/index.h"

#define CG__MIH_SLICES 16
#define CG__MIH_KEYS 65536u

/* One MIH table (slice i of the hash). */
typedef struct cg__mih_table {
    uint64_t *partials;  /* 2 words per entry: hash words cg__mih_partial_words(i) */
    uint32_t *positions; /* entry -> position in cg_pdq_index.hashes */
    uint32_t *offsets;   /* CG__MIH_KEYS + 1 bucket starts; bucket k is [offsets[k], [k+1]) */
    void *block;         /* the one allocation holding the three arrays */
} cg__mih_table;

struct cg_pdq_index {
    cg_index_kind kind;      /* CG_INDEX_SCAN or CG_INDEX_MIH, never AUTO */
    int tuned_radius;        /* searches above it scan */
    size_t n;
    uint64_t *hashes;        /* 4 words per hash */
    uint64_t *ids;           /* NULL: the id of hash i is i */
    cg__mih_table *tables;   /* CG__MIH_SLICES of them when kind is MIH, else NULL */
    size_t memory;           /* heap bytes held, including this struct */
};

/* Which brute-force/MIH kernel to run. */
typedef enum cg__index_kernel {
    CG__KERNEL_BEST = 0,     /* the one the CPU supports (cg_pdq_index_kernel) */
    CG__KERNEL_PORTABLE = 1, /* plain C, __builtin_popcountll compiled for the baseline ISA */
    CG__KERNEL_AVX2 = 2      /* AVX2 + POPCNT; only valid when the CPU has them */
} cg__index_kernel;

/* Which algorithm a search uses on an MIH index. */
typedef enum cg__index_path {
    CG__PATH_AUTO = 0, /* MIH when radius <= tuned radius and the cost model favours it */
    CG__PATH_SCAN = 1, /* brute force over hashes */
    CG__PATH_MIH = 2   /* the tables, for any radius (even 256); only for MIH indexes */
} cg__index_path;

/* cg_pdq_index_search with the kernel and path chosen by the caller (tests and match_bench).
 * CG_E_INVAL if the path is MIH on a SCAN index or the kernel is AVX2 on a CPU without it. */
cg_status cg__pdq_index_search_ex(const cg_pdq_index *idx, const uint8_t *query, int radius,
                                  cg_index_hits *hits, cg__index_kernel kernel,
                                  cg__index_path path);

/* 1 when the CPU runs the AVX2 kernel (resolved once). */
int cg__index_have_avx2(void);

/* The path CG__PATH_AUTO takes for this index and radius (CG__PATH_SCAN or CG__PATH_MIH). */
cg__index_path cg__pdq_index_choose_path(const cg_pdq_index *idx, int radius);

/* Grows hits (doubling) so that one more hit fits. */
cg_status cg__hits_grow(cg_index_hits *hits);

static inline cg_status cg__hits_push(cg_index_hits *hits, uint64_t id, int distance)
{
    if (hits->n == hits->cap && cg__hits_grow(hits) != CG_OK)
        return CG_E_NOMEM;
    hits->v[hits->n].id = id;
    hits->v[hits->n].distance = distance;
    hits->n++;
    return CG_OK;
}

/* The kernels: each appends the hits of one query (q: 4 words) to hits. The caller has checked
 * the arguments; on CG_E_NOMEM hits may hold part of the results (the caller rolls back). */
cg_status cg__scan_portable(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                            cg_index_hits *hits);
cg_status cg__scan_avx2(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                        cg_index_hits *hits);
cg_status cg__mih_search_portable(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                                  cg_index_hits *hits);
cg_status cg__mih_search_avx2(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                              cg_index_hits *hits);

/* Builds the MIH tables of idx (idx->hashes and idx->n set). On failure frees what it made. */
cg_status cg__mih_build(cg_pdq_index *idx);
void cg__mih_free(cg_pdq_index *idx);

/* The two words of the hash that table i keeps as its partial. Never word i / 4 (which holds the
 * slice, so the filter's bits are disjoint from it); word 0, then word 1, as soon as they come
 * before i's word, because a candidate whose earlier slices are in the partial can be recognised
 * as another table's hit without reading the full hash (search_body.h, mih_found_earlier). */
static inline void cg__mih_partial_words(int i, int *wa, int *wb)
{
    static const int words[4][2] = {{1, 2}, {0, 2}, {0, 1}, {0, 1}};

    *wa = words[i >> 2][0];
    *wb = words[i >> 2][1];
}

/* The slice of 16 bits number i (0..15) of a hash held as 4 words. */
static inline unsigned cg__mih_slice(const uint64_t h[4], int i)
{
    return (unsigned)(h[i >> 2] >> ((i & 3) * 16)) & 0xffffu;
}

#endif
