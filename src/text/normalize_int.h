/* Private to src/text/normalize*.c: the character stage (normalize_char.c), the teencode table
 * (normalize_teencode.c) and the word stage (normalize.c) of the normaliser.
 *
 * The message is first cut into units: one unit is one folded base character with the marks
 * that stay on it (a grapheme of the folded text), tagged with the original byte offset of the
 * character cluster it came from and a class saying how it behaves between words. The word stage
 * then works on units only, never on raw bytes. */
#ifndef CG_TEXT_NORMALIZE_INT_H
#define CG_TEXT_NORMALIZE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/normalize.h"

/* How a unit behaves at the word level. */
enum {
    CG__NC_SEP = 0, /* punctuation, symbols, controls, U+FFFD: separates words */
    CG__NC_WS,      /* whitespace: separates words; two or more end a spaced-out word */
    CG__NC_JOIN,    /* '.', '-', '_', '*': separate, but may sit between spaced-out letters */
    CG__NC_APOS,    /* ' and U+2019: dropped between letters ("don't" -> "dont"), else separate */
    CG__NC_AT,      /* '@': leet 'a' between letters, else separates */
    CG__NC_DOLLAR,  /* '$': leet 's' next to a letter, else separates */
    CG__NC_DIGIT,   /* ASCII digits */
    CG__NC_LETTER,  /* letters and non-ASCII numbers (word characters) */
    CG__NC_DROP     /* removed without separating (format characters, joined gaps) */
};

/* The most bytes one unit keeps: a base character and up to 31 marks. */
#define CG__NUNIT_MAX_BYTES 128
/* The most units one character cluster can fold into (NFKC expansions are at most 18). */
#define CG__NCLUSTER_MAX_UNITS 160
/* The most code points of one cluster that are kept (a base and its marks); further marks on the
 * same base are dropped (they stay inside the base's original span). */
#define CG__NCLUSTER_MAX_CPS 32

typedef struct cg__nunit {
    uint32_t src;  /* original byte offset of the cluster */
    uint32_t pcp;  /* the plain form's code point (the base without marks), 0 for none */
    union {
        uint8_t b[4];  /* folded bytes when len <= 4 */
        uint32_t off;  /* else their offset in the scratch pool */
    } f;
    uint8_t len;   /* folded bytes */
    uint8_t cls;   /* CG__NC_* */
    uint8_t simple; /* cg__nunit_simple(): set wherever len, f or pcp are set */
    uint8_t pad;
} cg__nunit;

/* Whether a unit is one byte that is its own plain code point (ASCII letters and digits, the
 * look-alikes folded to them, leetspeak): its folded and plain forms are the same byte, which
 * the word stage writes to both forms at once. */
static inline uint8_t cg__nunit_simple(const cg__nunit *x)
{
    return x->len == 1 && x->pcp != 0 && x->f.b[0] == x->pcp;
}

/* Working memory of one cg__normalized (reused across calls). */
struct cg__nscratch {
    cg__nunit *u;       /* units of the current message */
    size_t ucap;
    uint8_t *pool;      /* folded bytes of units longer than 4 bytes */
    size_t pool_len, pool_cap;
    size_t fcap, pcap;  /* allocated bytes of folded.s / plain.s (and entries of src, minus 1) */
};

/* One entry of the per-code-point table for U+0000..U+1FFF (ASCII, Latin, Greek, Cyrillic,
 * Vietnamese): the folded code point when a lone character folds to one code point. */
typedef struct cg__nchar {
    uint32_t folded; /* folded code point (valid when !(flags & CG__NCF_SLOW)) */
    uint32_t plain;  /* the folded code point without diacritics */
    uint32_t strip;  /* this code point itself without diacritics (for slow-path bases) */
    uint8_t cls;     /* CG__NC_* of the folded code point */
    uint8_t flags;   /* CG__NCF_* */
    uint8_t pad[2];
} cg__nchar;

#define CG__NCHAR_TABLE 0x2000
#define CG__NCF_MARK 1u /* a combining mark: joins the cluster before it */
#define CG__NCF_SLOW 2u /* folds to several code points: take the slow path */

/* The unit of every ASCII byte (src 0), and the bit 1 << cls of its class: the character stage
 * copies a template per byte of an ASCII run instead of filling a unit field by field. */
typedef struct cg__nascii {
    cg__nunit unit[128];
    uint16_t cls_bit[128];
} cg__nascii;

/* The table, built once (thread-safe) from utf8proc; immutable afterwards. */
const cg__nchar *cg__nchar_table(void);
/* The ASCII templates, built with the table. */
const cg__nascii *cg__nchar_ascii(void);

/* Whether cp (a valid scalar value, >= CG__NCHAR_TABLE) is a combining mark (utf8proc). */
int cg__nchar_is_mark_wide(int32_t cp);

/* Whether cp (a valid scalar value) is a combining mark (general category M*): the table below
 * U+2000, inline, as the character stage asks after every non-ASCII character. */
static inline int cg__nchar_is_mark(const cg__nchar *tab, int32_t cp)
{
    if (cp < CG__NCHAR_TABLE)
        return (tab[cp].flags & CG__NCF_MARK) != 0;
    return cg__nchar_is_mark_wide(cp);
}

/* Folds one cluster cps[0..n) (a base, or an orphan mark, followed by marks) that started at
 * original offset src: NFKD + case folding, homoglyphs to Latin, canonical order, composition.
 * Appends the resulting units to u (room for CG__NCLUSTER_MAX_UNITS) with bytes longer than 4
 * appended to pool (room for CG__NCLUSTER_MAX_UNITS * CG__NUNIT_MAX_BYTES from *pool_len).
 * Returns the number of units written. */
size_t cg__nchar_fold_cluster(const cg__nchar *tab, const int32_t *cps, size_t n, uint32_t src,
                              cg__nunit *u, uint8_t *pool, size_t *pool_len);

/* The folded bytes of a unit. */
static inline const uint8_t *cg__nunit_bytes(const cg__nunit *u, const uint8_t *pool)
{
    return u->len <= 4 ? u->f.b : pool + u->f.off;
}

/* Decodes one UTF-8 sequence of p[0..avail) (avail >= 1). Returns its length and sets *cp, or,
 * for an ill-formed sequence, sets *cp = -1 and returns the length of its maximal subpart (the
 * Unicode "substitution of maximal subparts": each maximal subpart is one U+FFFD). */
static inline size_t cg__utf8_next(const uint8_t *p, size_t avail, int32_t *cp)
{
    const uint8_t c = p[0];
    uint8_t lo = 0x80, hi = 0xBF;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    *cp = -1;
    if (c < 0xC2 || c > 0xF4)
        return 1;
    if (c < 0xE0) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80)
            return 1;
        *cp = (int32_t)(((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F));
        return 2;
    }
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (avail < 2 || p[1] < lo || p[1] > hi)
        return 1;
    if (avail < 3 || (p[2] & 0xC0) != 0x80)
        return 2;
    if (c < 0xF0) {
        *cp = (int32_t)(((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
                        (p[2] & 0x3F));
        return 3;
    }
    if (avail < 4 || (p[3] & 0xC0) != 0x80)
        return 3;
    *cp = (int32_t)(((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                    ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F));
    return 4;
}

/* Encodes cp (a valid scalar value) at out (room for 4); returns the byte count. */
static inline size_t cg__utf8_put(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- teencode table (normalize_teencode.c) ---- */

typedef struct cg__tcmap cg__tcmap;

/* Loads the files paths[0..n) into nz's tables (normalize_teencode.c); on a key defined twice
 * the first definition wins. */
cg_status cg__teencode_load(cg__normalizer *nz, const char *const *paths, size_t n,
                            void (*on_bad_row)(const char *path, uint64_t line,
                                               const char *reason, void *ud),
                            void *ud, cg_error *err);
void cg__teencode_free(cg__normalizer *nz);

/* Normalises with or without the teencode step (the table loader normalises its keys and
 * expansions without it). */
cg_status cg__normalize_ex(const cg__normalizer *nz, const char *text, size_t len,
                           int utf8_policy, size_t max_bytes, int teencode, cg__normalized *out,
                           cg_error *err);

/* One hash table of teencode keys. */
typedef struct cg__tcentry {
    uint32_t hash;
    uint32_t key;      /* offset of the key in the arena */
    uint32_t exp;      /* offset of the NUL-terminated expansion in the arena */
    uint16_t key_len;
    uint16_t exp_len;
} cg__tcentry;

struct cg__tcmap {
    cg__tcentry *slots; /* open addressing, key_len 0 = empty */
    size_t mask;        /* slots - 1 (a power of two), or 0 with slots == NULL */
    size_t count;
    size_t max_key;     /* longest key, for a quick reject */
    uint32_t lens[256]; /* by first byte: bit l set when a key of l bytes (< 32) starts with it;
                           most words are rejected by this alone, before hashing */
    uint32_t last_lens[256]; /* the same by last byte */
    uint64_t bloom[64]; /* bit cg__teencode_bloom_bit() of every key: the first, second and
                           last byte and the length together (~1 word in 20 that passes the
                           length bitmaps passes this too, and far fewer are hashed) */
};

/* The bloom bit of word w[0..n) (n >= 1) in cg__tcmap.bloom. */
static inline uint32_t cg__teencode_bloom_bit(const uint8_t *w, size_t n)
{
    const uint32_t k = (uint32_t)w[0] | (uint32_t)w[n > 1] << 8 | (uint32_t)w[n - 1] << 16 |
                       (uint32_t)n << 24;

    return (k * 0x9E3779B1u) >> 20;
}

/* 0 when no key of table m can be word w[0..n) (its length with its first or its last byte, or
 * the bloom bit, rules it out), before any hashing. */
static inline int cg__teencode_maybe(const struct cg__tcmap *m, const uint8_t *w, size_t n)
{
    uint32_t b;

    if (m->slots == NULL || n == 0 || n > m->max_key || !((m->lens[w[0]] >> n) & 1) ||
        !((m->last_lens[w[n - 1]] >> n) & 1))
        return 0;
    b = cg__teencode_bloom_bit(w, n);
    return (m->bloom[b >> 6] >> (b & 63)) & 1;
}

/* Whether a word whose folded form is f[0..fl) and plain form p[0..pl) may have a teencode
 * expansion (differs: the two differ, so the keys with diacritics are tried too). */
static inline int cg__teencode_maybe_any(const cg__normalizer *nz, const char *f, size_t fl,
                                         const char *p, size_t pl, unsigned differs);

/* The hash of a key or word w[0..n) (n <= 31): its length and its first and last four bytes
 * (the first, middle and last byte when shorter), mixed by one multiplication. Bytes in the
 * middle of a long word are left out: the table holds a few hundred keys and a probe compares
 * the key itself, so a collision costs a comparison, never a wrong answer. */
static inline uint32_t cg__teencode_hash(const uint8_t *w, size_t n)
{
    uint32_t a = 0, b = 0;
    uint64_t h;

    if (n >= 4) {
        memcpy(&a, w, 4);
        memcpy(&b, w + n - 4, 4);
    } else if (n > 0) {
        a = (uint32_t)w[0] | (uint32_t)w[n / 2] << 8 | (uint32_t)w[n - 1] << 16;
    }
    h = ((uint64_t)b << 32 | a) ^ ((uint64_t)n << 59);
    h *= 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(h >> 32);
}

/* The entry of table m whose key is w[0..n), or NULL: inline, as the word stage asks for every
 * word that passes cg__teencode_maybe. */
static inline const cg__tcentry *cg__tcmap_find(const struct cg__tcmap *m, const char *arena,
                                                const uint8_t *w, size_t n)
{
    uint32_t h;

    if (!cg__teencode_maybe(m, w, n))
        return NULL;
    h = cg__teencode_hash(w, n);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const cg__tcentry *e = &m->slots[i];

        if (e->key_len == 0)
            return NULL;
        if (e->hash == h && e->key_len == n && memcmp(arena + e->key, w, n) == 0)
            return e;
    }
}

struct cg__normalizer {
    const cg__nchar *tab;
    const cg__nascii *ascii;
    struct cg__tcmap plain;  /* keys without diacritics, against the plain word */
    struct cg__tcmap marked; /* keys with diacritics, against the folded word */
    char *arena;             /* keys and expansions */
    size_t arena_len, arena_cap;
};

static inline int cg__teencode_maybe_any(const cg__normalizer *nz, const char *f, size_t fl,
                                         const char *p, size_t pl, unsigned differs)
{
    return (differs && cg__teencode_maybe(&nz->marked, (const uint8_t *)f, fl)) ||
           cg__teencode_maybe(&nz->plain, (const uint8_t *)p, pl);
}

#endif
