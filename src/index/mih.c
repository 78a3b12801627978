/* Building the multi-index-hashing tables (search_body.h searches them).
 *
 * M. Norouzi, A. Punjani, D. J. Fleet, "Fast Search in Hamming Space with Multi-Index Hashing",
 * CVPR 2012: split the 256-bit PDQ hash into 16 slices of 16 bits and index every hash once per
 * slice. Each table is a counting sort of the entries by its slice: an offsets array (65537
 * bucket starts) and, in bucket order, a 16-byte partial copy of two other words of the hash and
 * the entry's position. Scanning a bucket is then a sequential read of partials, and the pointer
 * chase to the full hash happens only for the rare candidate that passes the partial filter.
 * The sort is stable, so positions within a bucket ascend. */
#include <string.h>
#include <sys/mman.h>

#include "common/alloc.h"
#include "index/index_int.h"

/* An entry in flight between the two scatter passes of table_fill. */
typedef struct mih_staged {
    uint64_t a, b;   /* the partial */
    uint64_t pos_lo; /* position | (low byte of the key) << 32 */
} mih_staged;

/* Sorts the entries of table i (idx->hashes, idx->n) into tab.
 *
 * A direct counting sort would scatter each entry to one of 65536 buckets spread over
 * 20 * n bytes: a cache and TLB miss per entry, 17 s for 10M hashes. Instead the entries are
 * scattered twice, 256 ways each (most significant byte of the key first, into stage, then the
 * low byte within each group), so that each pass writes to at most 256 streams: the open lines
 * fit in L1 and the second pass works inside one group's region (n / 256 entries). The result is
 * the same stable counting sort. stage holds n entries; cursor holds CG__MIH_KEYS counters. */
static void table_fill(const cg_pdq_index *idx, int i, cg__mih_table *tab, mih_staged *stage,
                       uint32_t *cursor)
{
    const uint64_t *h = idx->hashes;
    const size_t n = idx->n;
    const int w = i >> 2, shift = (i & 3) * 16;
    int wa, wb;
    uint32_t *off = tab->offsets;
    uint64_t *part = tab->partials;
    uint32_t *pos = tab->positions;
    uint32_t sum = 0;

    cg__mih_partial_words(i, &wa, &wb);
    memset(off, 0, (CG__MIH_KEYS + 1) * sizeof *off);
    for (size_t x = 0; x < n; x++)
        off[((h[4 * x + w] >> shift) & 0xffffu) + 1]++;
    for (size_t k = 0; k <= CG__MIH_KEYS; k++) {
        sum += off[k];
        off[k] = sum;
    }
    /* Pass 1: by the key's high byte into the groups' final regions of stage. */
    for (unsigned g = 0; g < 256; g++)
        cursor[g] = off[g << 8];
    for (size_t x = 0; x < n; x++) {
        const uint64_t *hx = h + 4 * x;
        const unsigned key = (unsigned)(hx[w] >> shift) & 0xffffu;
        mih_staged *e = &stage[cursor[key >> 8]++];

        e->a = hx[wa];
        e->b = hx[wb];
        e->pos_lo = (uint64_t)x | (uint64_t)(key & 0xffu) << 32;
    }
    /* Pass 2: within each group, by the low byte into the buckets. */
    memcpy(cursor, off, CG__MIH_KEYS * sizeof *cursor);
    for (unsigned g = 0; g < 256; g++) {
        uint32_t *cur = cursor + (g << 8);

        for (uint32_t k = off[g << 8]; k < off[(g + 1) << 8]; k++) {
            const mih_staged *e = &stage[k];
            const uint32_t p = cur[e->pos_lo >> 32]++;

            part[2 * (size_t)p] = e->a;
            part[2 * (size_t)p + 1] = e->b;
            pos[p] = (uint32_t)e->pos_lo;
        }
    }
}

/* Asks for transparent huge pages over the 2 MiB-aligned interior of a big block. A query
 * touches ~272 buckets spread over 320 bytes per hash; with 4 KiB pages nearly every one is a
 * TLB miss, with 2 MiB pages the whole index fits the second-level TLB. Building also takes
 * 512 times fewer page faults. Advice only: failure changes nothing. */
static void advise_huge_pages(void *block, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    const uintptr_t b = ((uintptr_t)block + huge - 1) & ~(huge - 1);
    const uintptr_t e = ((uintptr_t)block + bytes) & ~(huge - 1);

    if (e > b)
        (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)block;
    (void)bytes;
#endif
}

cg_status cg__mih_build(cg_pdq_index *idx)
{
    const size_t n = idx->n;
    const size_t off_bytes = (CG__MIH_KEYS + 1) * sizeof(uint32_t);
    size_t part_bytes, pos_bytes;
    uint32_t *cursor = NULL;
    mih_staged *stage = NULL;
    cg_status st = CG_E_NOMEM;

    /* n <= UINT32_MAX was checked by the caller; on 32-bit hosts the sizes can still overflow. */
    if (n > (SIZE_MAX - off_bytes) / 20)
        return CG_E_LIMIT;
    part_bytes = 16 * n;
    pos_bytes = 4 * n;
    idx->tables = cg__calloc(CG__MIH_SLICES, sizeof *idx->tables);
    if (idx->tables == NULL)
        goto fail;
    idx->memory += CG__MIH_SLICES * sizeof *idx->tables;
    cursor = cg__malloc(CG__MIH_KEYS * sizeof *cursor);
    stage = cg__malloc_array(n, sizeof *stage);
    if (cursor == NULL || stage == NULL)
        goto fail;
    for (int i = 0; i < CG__MIH_SLICES; i++) {
        cg__mih_table *tab = &idx->tables[i];
        char *block = cg__malloc(part_bytes + pos_bytes + off_bytes);

        if (block == NULL)
            goto fail;
        advise_huge_pages(block, part_bytes + pos_bytes + off_bytes);
        /* Partials first: malloc's alignment keeps each 16-byte pair in one cache line. */
        tab->block = block;
        tab->partials = (uint64_t *)(void *)block;
        tab->positions = (uint32_t *)(void *)(block + part_bytes);
        tab->offsets = (uint32_t *)(void *)(block + part_bytes + pos_bytes);
        idx->memory += part_bytes + pos_bytes + off_bytes;
        table_fill(idx, i, tab, stage, cursor);
    }
    cg__free(stage);
    cg__free(cursor);
    return CG_OK;
fail:
    cg__free(stage);
    cg__free(cursor);
    cg__mih_free(idx);
    return st;
}

void cg__mih_free(cg_pdq_index *idx)
{
    if (idx->tables == NULL)
        return;
    for (int i = 0; i < CG__MIH_SLICES; i++)
        cg__free(idx->tables[i].block);
    cg__free(idx->tables);
    idx->tables = NULL;
}
