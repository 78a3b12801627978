/* The normaliser's teencode table: "short<TAB>expansion[<TAB>note]" rows, '#' comments.
 *
 * Keys and expansions are normalised like message text (without the teencode step itself), so a
 * row matches what the word stage produces. A key written without diacritics is matched against
 * the plain word ("ko" matches "ko", "kó", "k0"); a key written with them is matched against the
 * folded word, diacritics included, so "rùi" -> "rồi" does not also turn "rủi" (bad luck) into
 * "rồi". Expansions are stored in plain form.
 *
 * Expansion happens once, word by word. For the plain form to be stable when normalised again,
 * a row is refused when a word of its expansion is itself a key, or is a single letter (three
 * single letters in a row would be joined as spaced-out letters on the next pass). */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "text/normalize_int.h"

#define TEENCODE_MAX_FILE ((uint64_t)16 << 20)
#define KEY_MAX 31 /* < 32: lens[] holds one bit per length */
#define EXP_MAX 255

typedef void (*bad_row_fn)(const char *path, uint64_t line, const char *reason, void *ud);

/* A row being loaded. */
typedef struct row {
    cg__tcentry e;
    uint64_t line; /* 0 once the row is dropped */
    size_t file;   /* index into paths */
    const char *kp; /* the key's bytes, set once the arena stops moving (for sorting) */
    int marked;
} row;

static cg_status arena_put(cg__normalizer *nz, const char *s, size_t n, uint32_t *off,
                           cg_error *err)
{
    if (nz->arena_len + n + 1 > nz->arena_cap) {
        size_t cap = nz->arena_cap ? nz->arena_cap : 4096;
        char *a;

        while (cap < nz->arena_len + n + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return cg__fail(err, CG_E_LIMIT, "teencode table too large");
        a = cg__realloc(nz->arena, cap);
        if (a == NULL)
            return cg__fail(err, CG_E_NOMEM, "teencode: out of memory");
        nz->arena = a;
        nz->arena_cap = cap;
    }
    memcpy(nz->arena + nz->arena_len, s, n);
    nz->arena[nz->arena_len + n] = '\0';
    *off = (uint32_t)nz->arena_len;
    nz->arena_len += n + 1;
    return CG_OK;
}

/* Builds map m from the rows with the given marked flag that are still valid (line != 0). */
static cg_status map_build(struct cg__tcmap *m, const row *rows, size_t n, int marked,
                           cg_error *err)
{
    size_t count = 0, cap = 16;

    cg__free(m->slots);
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < n; i++)
        count += rows[i].line != 0 && rows[i].marked == marked;
    if (count == 0)
        return CG_OK;
    while (cap < 2 * count)
        cap *= 2;
    m->slots = cg__calloc(cap, sizeof(*m->slots));
    if (m->slots == NULL)
        return cg__fail(err, CG_E_NOMEM, "teencode: out of memory");
    m->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t k;

        if (rows[i].line == 0 || rows[i].marked != marked)
            continue;
        for (k = rows[i].e.hash & m->mask; m->slots[k].key_len != 0; k = (k + 1) & m->mask)
            ;
        m->slots[k] = rows[i].e;
        m->count++;
        if (rows[i].e.key_len > m->max_key)
            m->max_key = rows[i].e.key_len;
        m->lens[(uint8_t)rows[i].kp[0]] |= 1u << rows[i].e.key_len;
        m->last_lens[(uint8_t)rows[i].kp[rows[i].e.key_len - 1]] |= 1u << rows[i].e.key_len;
        {
            const uint32_t b =
                cg__teencode_bloom_bit((const uint8_t *)rows[i].kp, rows[i].e.key_len);

            m->bloom[b >> 6] |= (uint64_t)1 << (b & 63);
        }
    }
    return CG_OK;
}

static void report(bad_row_fn fn, void *ud, const char *path, uint64_t line, const char *why)
{
    if (fn != NULL)
        fn(path, line, why, ud);
}

/* Normalises one field (without teencode) into tmp; returns a reason when it is unusable. */
static cg_status norm_field(const char *s, size_t n, cg__normalized *tmp, const char **why,
                            cg_error *err)
{
    cg_error local;
    cg_status st;

    *why = NULL;
    st = cg__normalize_ex(NULL, s, n, CG__UTF8_REJECT, 4096, 0, tmp, &local);
    if (st == CG_E_INVAL || st == CG_E_LIMIT) {
        *why = st == CG_E_INVAL ? "invalid UTF-8" : "field too long";
        return CG_OK;
    }
    if (st != CG_OK) {
        if (err != NULL)
            *err = local;
        return st;
    }
    if (tmp->plain.n == 0)
        *why = "normalises to nothing";
    return CG_OK;
}

/* Parses one row into r (keys and expansion stored in the arena); *why is set for a bad row. */
static cg_status parse_row(cg__normalizer *nz, const char *line, size_t len, row *r,
                           cg__normalized *tmp, const char **why, cg_error *err)
{
    const char *tab1 = memchr(line, '\t', len), *tab2;
    size_t klen, elen;
    cg_status st;
    uint32_t off;

    *why = NULL;
    if (tab1 == NULL) {
        *why = "expected short<TAB>expansion";
        return CG_OK;
    }
    klen = (size_t)(tab1 - line);
    tab2 = memchr(tab1 + 1, '\t', len - klen - 1);
    elen = tab2 != NULL ? (size_t)(tab2 - tab1 - 1) : len - klen - 1;
    if (klen == 0 || elen == 0) {
        *why = "empty key or expansion";
        return CG_OK;
    }
    /* The key: one word, after folding. */
    st = norm_field(line, klen, tmp, why, err);
    if (st != CG_OK || *why != NULL)
        return st;
    if (memchr(tmp->plain.s, ' ', tmp->plain.n) != NULL) {
        *why = "the key is more than one word after normalisation";
        return CG_OK;
    }
    r->marked = tmp->folded.n != tmp->plain.n ||
                memcmp(tmp->folded.s, tmp->plain.s, tmp->plain.n) != 0;
    {
        const cg__textform *k = r->marked ? &tmp->folded : &tmp->plain;

        if (k->n > KEY_MAX) {
            *why = "key too long";
            return CG_OK;
        }
        st = arena_put(nz, k->s, k->n, &off, err);
        if (st != CG_OK)
            return st;
        r->e.key = off;
        r->e.key_len = (uint16_t)k->n;
        r->e.hash = cg__teencode_hash((const uint8_t *)k->s, k->n);
    }
    /* The expansion, in plain form. */
    st = norm_field(tab1 + 1, elen, tmp, why, err);
    if (st != CG_OK || *why != NULL)
        return st;
    if (tmp->plain.n > EXP_MAX) {
        *why = "expansion too long";
        return CG_OK;
    }
    for (size_t i = 0; i < tmp->plain.n; i++) {
        const int start = i == 0 || tmp->plain.s[i - 1] == ' ';
        const int end = i + 1 == tmp->plain.n || tmp->plain.s[i + 1] == ' ';

        if (start && end && tmp->plain.s[i] != ' ') {
            *why = "the expansion has a single-letter word";
            return CG_OK;
        }
    }
    st = arena_put(nz, tmp->plain.s, tmp->plain.n, &off, err);
    if (st != CG_OK)
        return st;
    r->e.exp = off;
    r->e.exp_len = (uint16_t)tmp->plain.n;
    return CG_OK;
}

/* Whether a word of the expansion of r is a key of the plain map. */
static int expansion_has_key(const cg__normalizer *nz, const row *r)
{
    const char *s = nz->arena + r->e.exp;
    size_t i = 0;

    while (i < r->e.exp_len) {
        size_t j = i;

        while (j < r->e.exp_len && s[j] != ' ')
            j++;
        if (cg__tcmap_find(&nz->plain, nz->arena, (const uint8_t *)s + i, j - i) != NULL)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* Reads the rows of one file into *rows (growing it). */
static cg_status load_file(cg__normalizer *nz, const char *path, size_t file, row **rows,
                           size_t *nrows, size_t *cap, cg__normalized *tmp, bad_row_fn on_bad_row,
                           void *ud, cg_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0, pos = 0;
    uint64_t lineno = 0;
    cg_status st;

    st = cg__read_file(path, TEENCODE_MAX_FILE, &buf, &len, err);
    if (st != CG_OK)
        return st;
    while (pos < len) {
        const char *line = (const char *)buf + pos;
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        size_t ll = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
        const char *why = NULL;
        size_t lead = 0;
        row *r;

        pos += ll + (nl != NULL);
        lineno++;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        while (lead < ll && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == ll || line[lead] == '#')
            continue;
        if (*nrows == *cap) {
            const size_t nc = *cap ? 2 * *cap : 128;
            row *g = cg__realloc(*rows, nc * sizeof(**rows));

            if (g == NULL) {
                st = cg__fail(err, CG_E_NOMEM, "teencode: out of memory");
                goto done;
            }
            *rows = g;
            *cap = nc;
        }
        r = &(*rows)[*nrows];
        memset(r, 0, sizeof(*r));
        st = parse_row(nz, line, ll, r, tmp, &why, err);
        if (st != CG_OK)
            goto done;
        if (why != NULL) {
            report(on_bad_row, ud, path, lineno, why);
            continue;
        }
        r->line = lineno;
        r->file = file;
        (*nrows)++;
    }
done:
    cg__free(buf);
    return st;
}

/* Orders rows by (marked, key), then by load order, so duplicates are adjacent. */
static int row_cmp(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    const size_t n = a->e.key_len < b->e.key_len ? a->e.key_len : b->e.key_len;
    int c;

    if (a->marked != b->marked)
        return a->marked - b->marked;
    c = memcmp(a->kp, b->kp, n);
    if (c != 0)
        return c;
    if (a->e.key_len != b->e.key_len)
        return a->e.key_len < b->e.key_len ? -1 : 1;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

cg_status cg__teencode_load(cg__normalizer *nz, const char *const *paths, size_t npaths,
                            bad_row_fn on_bad_row, void *ud, cg_error *err)
{
    size_t nrows = 0, cap = 0;
    row *rows = NULL;
    cg__normalized tmp;
    cg_status st = CG_OK;
    int changed;

    memset(&tmp, 0, sizeof(tmp));
    for (size_t f = 0; f < npaths; f++) {
        st = load_file(nz, paths[f], f, &rows, &nrows, &cap, &tmp, on_bad_row, ud, err);
        if (st != CG_OK)
            goto done;
    }
    /* A key defined twice: the first row (earliest file, then line) wins. */
    for (size_t i = 0; i < nrows; i++)
        rows[i].kp = nz->arena + rows[i].e.key;
    if (nrows > 1) {
        qsort(rows, nrows, sizeof(*rows), row_cmp);
        for (size_t i = 1; i < nrows; i++) {
            const row *a = &rows[i - 1], *b = &rows[i];

            if (a->marked == b->marked && a->e.key_len == b->e.key_len &&
                memcmp(a->kp, b->kp, a->e.key_len) == 0) {
                report(on_bad_row, ud, paths[b->file], b->line,
                       "duplicate key (the first definition is kept)");
                rows[i].line = 0;
            }
        }
    }
    /* Drop rows whose expansion holds a key, until none does (each drop only removes keys). */
    do {
        changed = 0;
        st = map_build(&nz->plain, rows, nrows, 0, err);
        if (st != CG_OK)
            goto done;
        for (size_t i = 0; i < nrows; i++) {
            if (rows[i].line != 0 && expansion_has_key(nz, &rows[i])) {
                report(on_bad_row, ud, paths[rows[i].file], rows[i].line,
                       "a word of the expansion is itself a key (it would not be stable)");
                rows[i].line = 0;
                changed = 1;
            }
        }
    } while (changed);
    st = map_build(&nz->marked, rows, nrows, 1, err);
done:
    cg__normalized_free(&tmp);
    cg__free(rows);
    return st;
}

void cg__teencode_free(cg__normalizer *nz)
{
    cg__free(nz->plain.slots);
    cg__free(nz->marked.slots);
    cg__free(nz->arena);
    memset(&nz->plain, 0, sizeof(nz->plain));
    memset(&nz->marked, 0, sizeof(nz->marked));
    nz->arena = NULL;
    nz->arena_len = nz->arena_cap = 0;
}
