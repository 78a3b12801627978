/* Internal: the bodies of the search kernels, written once and compiled twice.
 *
 * popcount_scalar.c includes this file and wraps the bodies in functions compiled for the
 * baseline ISA; popcount_avx2.c wraps the same bodies in functions marked
 * __attribute__((target("avx2,popcnt"))). The bodies are always_inline, so each copy is compiled
 * with its caller's instruction set: __builtin_popcountll becomes one POPCNT instruction in the
 * AVX2 copy and a bit-twiddling sequence in the portable one. Only those two files include this.
 *
 * Multi-index hashing: M. Norouzi, A. Punjani, D. J. Fleet, "Fast Search in Hamming Space with
 * Multi-Index Hashing", CVPR 2012. PDQ: Meta, "The TMK+PDQF Video-Hashing Algorithm and the PDQ
 * Image Similarity Algorithm" (2019). docs/index.md explains the structure and why it is exact. */
#ifndef CG_INDEX_SEARCH_BODY_H
#define CG_INDEX_SEARCH_BODY_H

#include "index/index_int.h"

#define CG__INLINE static inline __attribute__((always_inline))

/* Masks whose probes are prefetched and scanned together; 17 (radius < 32) fit in one batch. */
#define MIH_BATCH 32
/* Lines of each bucket prefetched ahead of its scan (the hardware prefetcher takes the rest),
 * and how many probes ahead. */
#ifndef MIH_PREFETCH_LINES
#define MIH_PREFETCH_LINES 4
#endif
#ifndef MIH_STREAM_LINES
#define MIH_STREAM_LINES 8
#endif
#ifndef MIH_AHEAD
#define MIH_AHEAD 8
#endif

CG__INLINE int body_popcount(uint64_t x)
{
    return __builtin_popcountll(x);
}

/* Brute force: every hash within radius of q, in build order. */
CG__INLINE cg_status scan_body(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                               cg_index_hits *hits)
{
    const uint64_t *h = idx->hashes;
    const uint64_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    const size_t n = idx->n;

    for (size_t i = 0; i < n; i++, h += 4) {
        if ((i & 1) == 0)
            __builtin_prefetch(h + 256); /* 2 KiB ahead, one line per two hashes */
        const int d = body_popcount(h[0] ^ q0) + body_popcount(h[1] ^ q1) +
                      body_popcount(h[2] ^ q2) + body_popcount(h[3] ^ q3);

        if (d <= radius) {
            const cg_status st = cg__hits_push(hits, idx->ids ? idx->ids[i] : i, d);

            if (st != CG_OK)
                return st;
        }
    }
    return CG_OK;
}

/* Enumerates the 16-bit masks with at most t bits set, by increasing popcount (Gosper's hack
 * within each popcount). */
typedef struct mask_iter {
    int t;      /* largest popcount wanted */
    int k;      /* popcount of m */
    unsigned m; /* next mask to hand out; k > t when done */
} mask_iter;

CG__INLINE int mask_next(mask_iter *it, unsigned *mask, int *bits)
{
    if (it->k > it->t)
        return 0;
    *mask = it->m;
    *bits = it->k;
    if (it->k == 0) {
        it->k = 1;
        it->m = 1;
    } else {
        const unsigned c = it->m & (0u - it->m);
        const unsigned r = it->m + c;

        it->m = (((r ^ it->m) >> 2) / c) | r;
        if (it->m >= CG__MIH_KEYS) {
            it->k++;
            it->m = (1u << it->k) - 1;
        }
    }
    if (it->k > 16)
        it->k = it->t + 1;
    return 1;
}

/* 1 when a candidate of table i has, among the slices held in its partial (xa, xb: the partial
 * XOR the query's words; ea, eb: whether each word comes before table i's word), one within t
 * of the query: then an earlier table reports it (if it is a hit at all), and the full hash
 * need not be read. On near-duplicate data a hit passes the filter in most of the 16 tables;
 * this leaves the random read of the full hash to the first four. */
CG__INLINE int mih_found_earlier(uint64_t xa, uint64_t xb, int ea, int eb, int t)
{
    for (int k = 0; k < 4; k++) {
        if (ea && body_popcount((xa >> (16 * k)) & 0xffffu) <= t)
            return 1;
        if (eb && body_popcount((xb >> (16 * k)) & 0xffffu) <= t)
            return 1;
    }
    return 0;
}

/* A candidate from table `table` passed the partial filter: checks the full distance, and
 * reports it only if no earlier table also holds it within t bits of the query (the table that
 * reports a hash is the first whose slice is within t: that is what makes each hit unique). */
CG__INLINE cg_status mih_verify(const cg_pdq_index *idx, uint32_t pos, const uint64_t q[4],
                                int radius, int t, int table, cg_index_hits *hits)
{
    const uint64_t *x = idx->hashes + 4 * (size_t)pos;
    uint64_t x4[4];
    int d;

    x4[0] = x[0] ^ q[0];
    x4[1] = x[1] ^ q[1];
    x4[2] = x[2] ^ q[2];
    x4[3] = x[3] ^ q[3];
    d = body_popcount(x4[0]) + body_popcount(x4[1]) + body_popcount(x4[2]) +
        body_popcount(x4[3]);
    if (d > radius)
        return CG_OK;
    for (int j = 0; j < table; j++)
        if (body_popcount(cg__mih_slice(x4, j)) <= t)
            return CG_OK;
    return cg__hits_push(hits, idx->ids ? idx->ids[pos] : pos, d);
}

/* Multi-index search, exact for any radius 0..256: with t = radius / 16, a hash within the
 * radius has some slice within t bits of the query's (16 slices of t + 1 bits would exceed the
 * radius), so probing in every table each key within t bits of the query's slice finds it.
 * Each bucket holds only entries whose slice differs from the query's by exactly the probe
 * mask, so popcount(mask) + the distance over the 128 partial bits is a lower bound of the
 * full distance: a candidate over the radius is dropped without touching the hash array. */
CG__INLINE cg_status mih_body(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                              cg_index_hits *hits)
{
    const int t = radius / 16;
    unsigned qk[CG__MIH_SLICES];
    unsigned masks[MIH_BATCH];
    int limits[MIH_BATCH];
    uint32_t begin[CG__MIH_SLICES * MIH_BATCH], end[CG__MIH_SLICES * MIH_BATCH];
    mask_iter it = {t, 0, 0};

    for (int i = 0; i < CG__MIH_SLICES; i++)
        qk[i] = cg__mih_slice(q, i);
    for (;;) {
        int nm = 0, bits, np;

        while (nm < MIH_BATCH && mask_next(&it, &masks[nm], &bits)) {
            limits[nm] = radius - bits;
            nm++;
        }
        if (nm == 0)
            break;
        np = CG__MIH_SLICES * nm;
        /* The probes of a batch, table by table: probe k is table k / nm, mask k % nm. Their
         * memory accesses are overlapped: prefetch every bucket offset, then read them all
         * (prefetching each bucket's first line), then scan, prefetching the next lines of the
         * bucket MIH_AHEAD probes ahead. */
        for (int i = 0; i < CG__MIH_SLICES; i++) {
            const uint32_t *off = idx->tables[i].offsets;

            for (int j = 0; j < nm; j++)
                __builtin_prefetch(off + (qk[i] ^ masks[j]));
        }
        for (int i = 0, k = 0; i < CG__MIH_SLICES; i++) {
            const cg__mih_table *tab = &idx->tables[i];

            for (int j = 0; j < nm; j++, k++) {
                const unsigned key = qk[i] ^ masks[j];

                begin[k] = tab->offsets[key];
                end[k] = tab->offsets[key + 1];
                __builtin_prefetch(tab->partials + 2 * (size_t)begin[k]);
            }
        }
        for (int k = 0; k < np; k++) {
            const int i = k / nm, j = k - i * nm;
            const cg__mih_table *tab = &idx->tables[i];
            int wa, wb;

            cg__mih_partial_words(i, &wa, &wb);
            const int ea = wa < (i >> 2), eb = wb < (i >> 2);
            const uint64_t qa = q[wa], qb = q[wb];
            const uint64_t *p = tab->partials + 2 * (size_t)begin[k];
            const uint32_t e = end[k];
            const int lim = limits[j];

            if (k + MIH_AHEAD < np) {
                const int k2 = k + MIH_AHEAD;
                const uint64_t *p2 = idx->tables[k2 / nm].partials + 2 * (size_t)begin[k2];
                const uint32_t len = end[k2] - begin[k2];

                for (uint32_t l = 1; l < MIH_PREFETCH_LINES && 4 * l < len; l++)
                    __builtin_prefetch(p2 + 8 * l);
            }
            uint32_t x = begin[k];

            /* Long buckets (large indexes): one line (4 entries) at a time, keeping
             * MIH_STREAM_LINES lines in flight ahead; then the rest, or a short bucket whole. */
            for (; x + 4 * MIH_STREAM_LINES < e; x += 4, p += 8) {
                __builtin_prefetch(p + 8 * MIH_STREAM_LINES);
                for (int u = 0; u < 4; u++) {
                    const int d = body_popcount(p[2 * u] ^ qa) + body_popcount(p[2 * u + 1] ^ qb);

                    if (d <= lim && !mih_found_earlier(p[2 * u] ^ qa, p[2 * u + 1] ^ qb, ea, eb,
                                                       t)) {
                        const cg_status st =
                            mih_verify(idx, tab->positions[x + u], q, radius, t, i, hits);

                        if (st != CG_OK)
                            return st;
                    }
                }
            }
            for (; x < e; x++, p += 2) {
                const int d = body_popcount(p[0] ^ qa) + body_popcount(p[1] ^ qb);

                if (d <= lim && !mih_found_earlier(p[0] ^ qa, p[1] ^ qb, ea, eb, t)) {
                    const cg_status st = mih_verify(idx, tab->positions[x], q, radius, t, i, hits);

                    if (st != CG_OK)
                        return st;
                }
            }
        }
    }
    return CG_OK;
}

#endif
