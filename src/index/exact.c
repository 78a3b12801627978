/* Exact-value sets (md5, sha256): the values sorted, searched by binary search.
 *
 * A sorted array rather than a hash table: it holds only the values and the ids (width + 8 bytes
 * per entry), duplicates sit next to each other so a lookup returns all of them by walking from
 * the lower bound, and building is O(n log n) whatever the input (a hash table degrades to
 * quadratic when many entries share one value). The sort is a stable merge sort on a 64-bit
 * prefix of each value, falling back to memcmp only when prefixes are equal. */
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "index/index_int.h"

#define EXACT_MAX_WIDTH 64

struct cg_exact_index {
    size_t width;     /* bytes per value */
    size_t n;
    uint8_t *values;  /* n * width bytes, ascending (memcmp order) */
    uint64_t *ids;    /* ids in the same order */
    size_t memory;
};

/* One entry being sorted. */
typedef struct exact_key {
    uint64_t prefix; /* the first up to 8 bytes, big-endian, so integer order is memcmp order */
    size_t pos;      /* position in the caller's array */
} exact_key;

static uint64_t prefix_of(const uint8_t *v, size_t width)
{
    uint64_t p = 0;

    for (size_t i = 0; i < 8; i++)
        p = (p << 8) | (i < width ? v[i] : 0);
    return p;
}

/* memcmp order of the values, then position (which makes the merge sort's order total). */
static int key_less(const exact_key *a, const exact_key *b, const uint8_t *values, size_t width)
{
    int c;

    if (a->prefix != b->prefix)
        return a->prefix < b->prefix;
    c = width > 8 ? memcmp(values + a->pos * width + 8, values + b->pos * width + 8, width - 8)
                  : 0;
    if (c != 0)
        return c < 0;
    return a->pos < b->pos;
}

/* Bottom-up merge sort of k (n entries) using tmp; returns the array holding the result. */
static exact_key *sort_keys(exact_key *k, exact_key *tmp, size_t n, const uint8_t *values,
                            size_t width)
{
    for (size_t run = 1; run < n; run *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * run) {
            const size_t mid = lo + run < n ? lo + run : n;
            const size_t hi = mid + run < n ? mid + run : n;
            size_t a = lo, b = mid, o = lo;

            while (a < mid && b < hi)
                tmp[o++] = key_less(&k[b], &k[a], values, width) ? k[b++] : k[a++];
            while (a < mid)
                tmp[o++] = k[a++];
            while (b < hi)
                tmp[o++] = k[b++];
        }
        exact_key *swap = k;
        k = tmp;
        tmp = swap;
        if (run > SIZE_MAX / 4)
            break;
    }
    return k;
}

cg_status cg_exact_index_build(const uint8_t *values, size_t width, const uint64_t *ids,
                               size_t n, cg_exact_index **out, cg_error *err)
{
    cg_exact_index *idx = NULL;
    exact_key *keys = NULL, *tmp = NULL, *sorted;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "exact index: no output pointer");
    *out = NULL;
    if (width == 0 || width > EXACT_MAX_WIDTH)
        return cg__fail(err, CG_E_INVAL, "exact index: width %zu outside 1..%d", width,
                        EXACT_MAX_WIDTH);
    if (values == NULL && n > 0)
        return cg__fail(err, CG_E_INVAL, "exact index: %zu values but no array", n);
    idx = cg__calloc(1, sizeof *idx);
    if (idx == NULL)
        goto nomem;
    idx->width = width;
    idx->n = n;
    idx->memory = sizeof *idx;
    idx->values = cg__malloc_array(n, width);
    idx->ids = cg__malloc_array(n, sizeof *idx->ids);
    keys = cg__malloc_array(n, sizeof *keys);
    tmp = cg__malloc_array(n, sizeof *tmp);
    if (idx->values == NULL || idx->ids == NULL || keys == NULL || tmp == NULL)
        goto nomem;
    idx->memory += n * (width + sizeof *idx->ids);
    for (size_t i = 0; i < n; i++) {
        keys[i].prefix = prefix_of(values + i * width, width);
        keys[i].pos = i;
    }
    sorted = sort_keys(keys, tmp, n, values, width);
    for (size_t i = 0; i < n; i++) {
        const size_t p = sorted[i].pos;

        memcpy(idx->values + i * width, values + p * width, width);
        idx->ids[i] = ids ? ids[p] : p;
    }
    cg__free(keys);
    cg__free(tmp);
    *out = idx;
    return CG_OK;
nomem:
    cg__free(keys);
    cg__free(tmp);
    cg_exact_index_destroy(idx);
    return cg__fail(err, CG_E_NOMEM, "exact index: out of memory building %zu values", n);
}

void cg_exact_index_destroy(cg_exact_index *idx)
{
    if (idx == NULL)
        return;
    cg__free(idx->values);
    cg__free(idx->ids);
    cg__free(idx);
}

cg_status cg_exact_index_search(const cg_exact_index *idx, const uint8_t *value,
                                cg_index_hits *hits)
{
    const size_t n0 = hits ? hits->n : 0;
    size_t lo = 0, hi;

    if (idx == NULL || value == NULL || hits == NULL)
        return CG_E_INVAL;
    /* Lower bound: the first entry not less than value. */
    hi = idx->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;

        if (memcmp(idx->values + mid * idx->width, value, idx->width) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < idx->n && memcmp(idx->values + lo * idx->width, value, idx->width) == 0; lo++) {
        if (cg__hits_push(hits, idx->ids[lo], 0) != CG_OK) {
            hits->n = n0;
            return CG_E_NOMEM;
        }
    }
    return CG_OK;
}

size_t cg_exact_index_count(const cg_exact_index *idx)
{
    return idx ? idx->n : 0;
}

size_t cg_exact_index_memory(const cg_exact_index *idx)
{
    return idx ? idx->memory : 0;
}
