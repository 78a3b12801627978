/* The normaliser's word stage and its public face (normalize.h): a message is cut into units by
 * the character stage (normalize_char.c), the units are resolved into words (leetspeak, '@' and
 * '$', apostrophes, spaced-out letters), and each word is written to the folded form (squeezed)
 * and to the plain form (diacritics stripped, squeezed, teencode expanded). docs/text-normalize.md
 * describes each step with examples and what it cannot do.
 *
 * Offsets: every unit carries the original offset of the character cluster it came from; every
 * byte written for a unit carries that offset, a space between words carries the offset of the
 * first separator it replaces, and a teencode expansion carries the offset of its word. The map is
 * therefore non-decreasing, and the end of the original character behind a byte is the next larger
 * offset in the map (cg__textform_span).
 *
 * Speed: most messages need no word pass and are written by the one-pass writer (normalize_stream),
 * which reads the characters and writes both forms at once with no unit array; the rest take the
 * unit path (characters to units, the passes, emission), which gives the same bytes. The buffers
 * of cg__normalized (forms, units, pool) are kept across calls, so a warm call allocates
 * nothing; ASCII and precomposed letters go through tables without calling utf8proc; teencode
 * lookups are rejected inline by length bitmaps and a bloom filter. */
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/normalize_int.h"

#define DEFAULT_MAX_BYTES ((size_t)1 << 20)
#define POOL_ROOM ((size_t)CG__NCLUSTER_MAX_UNITS * CG__NUNIT_MAX_BYTES)

/* ---- buffers ---- */

static cg_status grow_units(struct cg__nscratch *sc, size_t need, cg_error *err)
{
    size_t cap = sc->ucap ? sc->ucap : 64;
    cg__nunit *u;

    while (cap < need)
        cap *= 2;
    u = cg__realloc(sc->u, cap * sizeof(*u));
    if (u == NULL)
        return cg__fail(err, CG_E_NOMEM, "normalise: out of memory (%zu units)", cap);
    sc->u = u;
    sc->ucap = cap;
    return CG_OK;
}

static cg_status grow_pool(struct cg__nscratch *sc, size_t need, cg_error *err)
{
    size_t cap = sc->pool_cap ? sc->pool_cap : POOL_ROOM;
    uint8_t *p;

    while (cap < need)
        cap *= 2;
    p = cg__realloc(sc->pool, cap);
    if (p == NULL)
        return cg__fail(err, CG_E_NOMEM, "normalise: out of memory (%zu pool bytes)", cap);
    sc->pool = p;
    sc->pool_cap = cap;
    return CG_OK;
}

/* Makes room for need bytes (plus the NUL and src[n]) in a form. */
static cg_status grow_form(cg__textform *f, size_t *cap, size_t need, cg_error *err)
{
    size_t c = *cap ? *cap : 64;
    char *s;
    uint32_t *src;

    if (need <= *cap && f->s != NULL)
        return CG_OK;
    while (c < need)
        c *= 2;
    s = cg__realloc(f->s, c + 1);
    if (s == NULL)
        return cg__fail(err, CG_E_NOMEM, "normalise: out of memory (%zu bytes)", c);
    f->s = s;
    src = cg__realloc(f->src, (c + 1) * sizeof(*src));
    if (src == NULL)
        return cg__fail(err, CG_E_NOMEM, "normalise: out of memory (%zu offsets)", c);
    f->src = src;
    *cap = c;
    return CG_OK;
}

static void form_clear(cg__textform *f)
{
    f->n = 0;
    f->last_end = 0;
    if (f->s != NULL)
        f->s[0] = '\0';
    if (f->src != NULL)
        f->src[0] = 0;
}

/* ---- characters ---- */

/* Where the run of ASCII that starts at p[i] ends for the ASCII path (one table lookup a byte):
 * the run is found eight bytes at a time, and its last byte is left to the cluster path when a
 * byte >= 0x80 (perhaps a combining mark) follows it. Returns i when p[i] is not such a run's
 * first byte. */
static inline size_t ascii_run(const uint8_t *p, size_t len, size_t i)
{
    size_t j = i + 1;

    if (p[i] >= 0x80 || (j < len && p[j] >= 0x80))
        return i;
    while (j + 8 <= len) {
        uint64_t w8;

        memcpy(&w8, p + j, 8);
        if (w8 & 0x8080808080808080ULL)
            break;
        j += 8;
    }
    while (j < len && p[j] < 0x80)
        j++;
    return j == len ? len : j - 1;
}

/* Reads the character cluster at p[*i] that the ASCII path does not take (a character and the
 * combining marks after it) into cl, advancing *i past it. Returns the code points kept (a base
 * and at most CG__NCLUSTER_MAX_CPS - 1 marks), 0 for marks without a base (dropped), or -1 for
 * an ill-formed sequence (*i is past its maximal subpart). */
static inline int read_cluster(const cg__nchar *tab, const uint8_t *p, size_t len, size_t *i,
                               int32_t *cl)
{
    int32_t cp;
    int ncl = 1;

    *i += cg__utf8_next(p + *i, len - *i, &cp);
    if (cp < 0)
        return -1;
    cl[0] = cp;
    while (*i < len && p[*i] >= 0x80) {
        int32_t m;
        const size_t ml = cg__utf8_next(p + *i, len - *i, &m);

        if (m < 0 || !cg__nchar_is_mark(tab, m))
            break;
        if (ncl < CG__NCLUSTER_MAX_CPS)
            cl[ncl++] = m;
        *i += ml;
    }
    return cg__nchar_is_mark(tab, cp) ? 0 : ncl;
}

/* The unit of a lone character whose table entry e is usable (not CG__NCF_SLOW, not DROP). */
static inline void table_unit(cg__nunit *x, const cg__nchar *e, uint32_t src)
{
    x->src = src;
    x->pcp = e->plain;
    x->f.off = 0;
    x->len = (uint8_t)cg__utf8_put(x->f.b, e->folded);
    x->cls = e->cls;
    x->simple = cg__nunit_simple(x);
}

/* ---- word passes ---- */

static void set_ascii(cg__nunit *u, char c)
{
    u->len = 1;
    u->f.off = 0;
    u->f.b[0] = (uint8_t)c;
    u->pcp = (uint8_t)c;
    u->cls = CG__NC_LETTER;
    u->simple = cg__nunit_simple(u);
}

/* '@' between letters is 'a', '$' next to a letter is 's', an apostrophe between letters is
 * dropped; otherwise they separate words. */
static void pass_symbols(cg__nunit *u, size_t nu)
{
    for (size_t i = 0; i < nu; i++) {
        const int prev_l = i > 0 && u[i - 1].cls == CG__NC_LETTER;
        const int next_l = i + 1 < nu && u[i + 1].cls == CG__NC_LETTER;

        switch (u[i].cls) {
        case CG__NC_AT:
            if (prev_l && next_l)
                set_ascii(&u[i], 'a');
            else
                u[i].cls = CG__NC_SEP;
            break;
        case CG__NC_DOLLAR:
            if (prev_l || next_l)
                set_ascii(&u[i], 's');
            else
                u[i].cls = CG__NC_SEP;
            break;
        case CG__NC_APOS:
            u[i].cls = prev_l && next_l ? CG__NC_DROP : CG__NC_SEP;
            break;
        default:
            break;
        }
    }
}

static char leet_letter(uint8_t d)
{
    switch (d) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    default: return 0;
    }
}

/* Digits inside words: a digit run between letters becomes letters when every digit has a
 * letter ("h0t", "s3x", "n00ds"); a lone '0' ending a word after a letter becomes 'o' ("k0",
 * "ph0t0"). Runs at the start of a word ("13t", "100k", "5h": ages, amounts, hours) and other
 * runs at the end ("covid19", "mp3") stay digits, and so do words without letters. */
static void pass_leet(cg__nunit *u, size_t nu)
{
    size_t i = 0;

    while (i < nu) {
        size_t a, b;
        int ok = 1;

        if (u[i].cls != CG__NC_DIGIT) {
            i++;
            continue;
        }
        a = i;
        while (i < nu && u[i].cls == CG__NC_DIGIT) {
            if (u[i].len != 1 || leet_letter(u[i].f.b[0]) == 0)
                ok = 0;
            i++;
        }
        b = i;
        if (!ok || a == 0 || u[a - 1].cls != CG__NC_LETTER)
            continue;
        if (b < nu && u[b].cls == CG__NC_LETTER) {
            for (size_t k = a; k < b; k++)
                set_ascii(&u[k], leet_letter(u[k].f.b[0]));
        } else if (b - a == 1 && u[a].f.b[0] == '0') {
            set_ascii(&u[a], 'o');
        }
    }
}

static int is_word(uint8_t cls)
{
    return cls == CG__NC_LETTER || cls == CG__NC_DIGIT;
}

/* The word classes as a mask (cls < 32), and those a word runs over in the emission loop. */
#define WORD_UNITS ((1u << CG__NC_LETTER) | (1u << CG__NC_DIGIT))
#define WORD_OR_DROP (WORD_UNITS | (1u << CG__NC_DROP))

/* Joins the letters of a chain of >= 3 spaced-out single letters: a lone space or joiner between
 * two letters of the chain is dropped; a longer run of whitespace stays a word break. */
static void join_chain(cg__nunit *u, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        size_t p, q;

        if (u[k].cls != CG__NC_WS && u[k].cls != CG__NC_JOIN)
            continue;
        p = k;
        while (p > from && u[p - 1].cls == CG__NC_DROP)
            p--;
        q = k + 1;
        while (q < to && u[q].cls == CG__NC_DROP)
            q++;
        if (p > from && u[p - 1].cls == CG__NC_LETTER && q < to && u[q].cls == CG__NC_LETTER)
            u[k].cls = CG__NC_DROP;
    }
}

/* Finds chains of single-letter words separated by one space or joiner ('.', '-', '_', '*'),
 * or by longer whitespace (which keeps its break), and joins those with 3 letters or more:
 * "s e x" -> "sex", "g ử i  ả n h" -> "gửi ảnh". */
static void pass_spaced(cg__nunit *u, size_t nu)
{
    size_t i = 0, chain_from = 0, chain_to = 0, chain_n = 0;
    int chain_kind = 0; /* 0 while the chain has one letter */

    while (i <= nu) {
        size_t ts, te, wc = 0, first = 0;
        int single;

        while (i < nu && !is_word(u[i].cls))
            i++;
        if (i == nu) {
            if (chain_n >= 3)
                join_chain(u, chain_from, chain_to);
            break;
        }
        ts = i;
        while (i < nu && (is_word(u[i].cls) || u[i].cls == CG__NC_DROP)) {
            if (u[i].cls != CG__NC_DROP && wc++ == 0)
                first = i;
            i++;
        }
        te = i;
        single = wc == 1 && u[first].cls == CG__NC_LETTER;
        if (single && chain_n > 0) {
            size_t nd = 0, ws = 0;

            for (size_t k = chain_to; k < ts; k++) {
                if (u[k].cls == CG__NC_DROP)
                    continue;
                nd++;
                ws += u[k].cls == CG__NC_WS;
            }
            /* The gap's kind: whitespace (1) or a joiner such as '.' (2). A chain keeps one
             * kind: "s.e.n.d n.u.d.e.s" is two words, not "sendnudes". */
            int kind = nd == 1 && ws == 0 ? 2 : 1;
            if (!((nd == 1 && (ws == 1 || u[ts - 1].cls == CG__NC_JOIN ||
                               u[chain_to].cls == CG__NC_JOIN)) ||
                  (nd >= 2 && ws == nd)) ||
                (chain_kind != 0 && kind != chain_kind)) {
                if (chain_n >= 3)
                    join_chain(u, chain_from, chain_to);
                chain_n = 0;
                chain_kind = 0;
            } else {
                chain_kind = kind;
            }
        }
        if (!single) {
            if (chain_n >= 3)
                join_chain(u, chain_from, chain_to);
            chain_n = 0;
            chain_kind = 0;
            continue;
        }
        if (chain_n == 0)
            chain_from = ts;
        chain_n++;
        chain_to = te;
    }
}

/* ---- emission ---- */

/* Whether two units have the same folded bytes. Units of up to 4 bytes keep them in f.b with
 * the unused bytes zero, so one 32-bit comparison decides. */
static inline int same_folded(const cg__nunit *a, const cg__nunit *b, const uint8_t *pool)
{
    if (a->len != b->len)
        return 0;
    if (a->len <= 4)
        return a->f.off == b->f.off;
    return memcmp(pool + a->f.off, pool + b->f.off, a->len) == 0;
}

static inline void put_folded(cg__textform *f, const cg__nunit *x, const uint8_t *pool)
{
    const uint8_t *b = cg__nunit_bytes(x, pool);

    if (x->len == 1) {
        f->s[f->n] = (char)b[0];
        f->src[f->n++] = x->src;
        return;
    }
    for (size_t k = 0; k < x->len; k++) {
        f->s[f->n] = (char)b[k];
        f->src[f->n++] = x->src;
    }
}

/* Writes the plain code point of x; returns the bytes written. */
static inline size_t put_plain(cg__textform *f, const cg__nunit *x)
{
    uint8_t b[4];
    size_t l;

    if (x->pcp < 0x80) {
        if (x->pcp == 0)
            return 0;
        f->s[f->n] = (char)x->pcp;
        f->src[f->n++] = x->src;
        return 1;
    }
    l = cg__utf8_put(b, x->pcp);
    for (size_t k = 0; k < l; k++) {
        f->s[f->n] = (char)b[k];
        f->src[f->n++] = x->src;
    }
    return l;
}

/* Writes the space that starts a word at s[*n], mapped to at, unless the form is empty. */
static inline __attribute__((always_inline)) void space_before(char *s, uint32_t *srcs, size_t *n,
                                                               uint32_t at)
{
    if (*n > 0) {
        s[*n] = ' ';
        srcs[(*n)++] = at;
    }
}

/* Writes plain code point pcp (0: nothing) at s[n], mapped to src; returns the bytes written. */
static inline size_t plain_at(char *s, uint32_t *srcs, size_t n, uint32_t pcp, uint32_t src)
{
    uint8_t b[4];
    size_t l;

    if (pcp < 0x80) {
        s[n] = (char)pcp;
        srcs[n] = src;
        return pcp != 0;
    }
    l = cg__utf8_put(b, pcp);
    for (size_t k = 0; k < l; k++) {
        s[n + k] = (char)b[k];
        srcs[n + k] = src;
    }
    return l;
}

/* Replaces the word just written at folded[fws..] and plain[pws..] with its teencode expansion,
 * if it has one (a key with diacritics matched against the folded word when it differs from the
 * plain one, else a key without them against the plain word). The expansion's bytes map to
 * wsrc, the offset of the word's first unit; the plain form keeps reserve bytes of room after
 * it. */
static cg_status expand_teencode(const cg__normalizer *nz, cg__normalized *out, size_t fws,
                                 size_t pws, int differs, uint32_t wsrc, size_t reserve,
                                 cg_error *err)
{
    cg__textform *fo = &out->folded, *pl = &out->plain;
    const cg__tcentry *e = NULL;
    cg_status st;

    if (differs && nz->marked.count > 0)
        e = cg__tcmap_find(&nz->marked, nz->arena, (const uint8_t *)fo->s + fws, fo->n - fws);
    if (e == NULL && nz->plain.count > 0)
        e = cg__tcmap_find(&nz->plain, nz->arena, (const uint8_t *)pl->s + pws, pl->n - pws);
    if (e == NULL)
        return CG_OK;
    pl->n = pws;
    st = grow_form(pl, &out->scratch->pcap, pws + e->exp_len + reserve, err);
    if (st != CG_OK)
        return st;
    memcpy(pl->s + pws, nz->arena + e->exp, e->exp_len);
    for (size_t r = 0; r < e->exp_len; r++)
        pl->src[pws + r] = wsrc;
    pl->n = pws + e->exp_len;
    return CG_OK;
}

/* Writes the word that starts at unit wi (a word unit) to both forms, preceded by a space mapped
 * to space_src when the form is not empty; the word runs over word and dropped units up to
 * *end (set; at most nu). Runs of 3+ identical letters are written once. *single is set when
 * the word holds exactly one unit, a letter (what pass_spaced calls a single-letter word). The
 * plain form is kept with room for 5 bytes a unit after the word (grown after a teencode
 * expansion). */
static cg_status emit_word(const cg__normalizer *nz, int teencode, const cg__nunit *u, size_t wi,
                           size_t nu, size_t *end, int *single, const uint8_t *pool,
                           uint32_t space_src, cg__normalized *out, cg_error *err)
{
    size_t wj = nu;
    cg__textform *fo = &out->folded, *pl = &out->plain;
    size_t fws, pws, k, units = 0;
    int differs = 0; /* the folded word is not the plain word */

    space_before(fo->s, fo->src, &fo->n, space_src);
    space_before(pl->s, pl->src, &pl->n, space_src);
    fws = fo->n;
    pws = pl->n;
    /* The common case first: every unit is simple (an ASCII word), so the squeezing decisions
     * are the same on both forms and each byte is written to both at once. prev is the byte of
     * the letter that began the current run, or 0x100 after a digit; a run's second letter is
     * written and taken back when a third one shows that the run is to be squeezed. */
    {
        char *fs = fo->s + fws, *ps = pl->s + pws;
        uint32_t *fsrc = fo->src + fws, *psrc = pl->src + pws;
        size_t n = 0;
        unsigned prev = 0x100, run = 0, cls = 0;

        for (k = wi; k < nu; k++) {
            const cg__nunit *x = &u[k];
            unsigned c;

            cls = x->cls;
            if (!((WORD_OR_DROP >> cls) & 1u))
                break;
            if (cls == CG__NC_DROP)
                continue;
            if (!x->simple)
                goto general;
            units++;
            c = x->f.b[0];
            if (c == prev && cls == CG__NC_LETTER) {
                if (++run == 2) {
                    fs[n] = ps[n] = (char)c;
                    fsrc[n] = psrc[n] = x->src;
                    n++;
                } else if (run == 3) {
                    n--;
                }
                continue;
            }
            fs[n] = ps[n] = (char)c;
            fsrc[n] = psrc[n] = x->src;
            n++;
            prev = cls == CG__NC_LETTER ? c : 0x100;
            run = 1;
        }
        *single = units == 1 && prev != 0x100;
        wj = k;
        *end = wj;
        fo->n = fws + n;
        pl->n = pws + n;
        goto teencode;
    }
general:
    units = 0;
    /* The folded word, squeezing as it goes: the second of a run is written, and taken back
     * when a third one shows that the run is to be squeezed. */
    {
        const cg__nunit *fprev = NULL;
        size_t frun = 0;

        for (k = wi; k < nu && ((WORD_OR_DROP >> u[k].cls) & 1); k++) {
            const cg__nunit *x = &u[k];

            if (x->cls == CG__NC_DROP)
                continue;
            units++;
            differs |= x->len != 1 || x->f.b[0] != x->pcp;
            if (fprev != NULL && x->cls == CG__NC_LETTER && fprev->cls == CG__NC_LETTER &&
                same_folded(x, fprev, pool)) {
                if (++frun == 2)
                    put_folded(fo, x, pool);
                else if (frun == 3)
                    fo->n -= x->len;
            } else {
                put_folded(fo, x, pool);
                fprev = x;
                frun = 1;
            }
        }
        wj = k;
        *end = wj;
        *single = units == 1 && fprev->cls == CG__NC_LETTER;
    }
    if (!differs) {
        /* Every unit is one byte that is its own plain code point: the plain word is the
         * folded word, bytes and offsets. */
        const size_t fl = fo->n - fws;

        for (size_t b = 0; b < fl; b++) { /* a few bytes: a loop costs less than memcpy calls */
            pl->s[pws + b] = fo->s[fws + b];
            pl->src[pws + b] = fo->src[fws + b];
        }
        pl->n = pws + fl;
    } else {
        const cg__nunit *pprev = NULL;
        size_t prun = 0, plast = 0;

        for (k = wi; k < wj; k++) {
            const cg__nunit *x = &u[k];

            if (x->cls == CG__NC_DROP)
                continue;
            if (pprev != NULL && x->cls == CG__NC_LETTER && pprev->cls == CG__NC_LETTER &&
                x->pcp == pprev->pcp) {
                if (++prun == 2)
                    plast = put_plain(pl, x);
                else if (prun == 3)
                    pl->n -= plast;
            } else {
                put_plain(pl, x);
                pprev = x;
                prun = 1;
            }
        }
    }
    if (pl->n == pws) { /* nothing to write: take the space back */
        if (pws > 0)
            pl->n--;
        return CG_OK;
    }

teencode:
    if (teencode && nz != NULL)
        return expand_teencode(nz, out, fws, pws, differs, u[wi].src, 5 * (nu - wj) + 1, err);
    return CG_OK;
}

/* ---- the one-pass path ---- */

/* Most messages need none of the word passes: no '@' or '$', no digit right after a letter (the
 * only place pass_leet changes anything) and fewer than three single-letter words (pass_spaced
 * needs a chain of three); an apostrophe is settled here as pass_symbols settles it, by a look
 * at the unit after it. For those, the forms are written as the characters are
 * read, with no unit array. The writer gives up as soon as it meets anything a pass would have
 * to look at (or a unit of more than 4 folded bytes), and the message is done again by the
 * unit path from the start: both paths give the same bytes.
 *
 * The writer's state is a local struct whose address never leaves normalize_stream (its
 * functions are always inlined), so the compiler keeps it in registers; the forms' pointers
 * and lengths are copied into it and written back to out only around calls that use out. */
typedef struct stream {
    char *fs, *ps;      /* the forms' bytes (copies of out's pointers) */
    uint32_t *fsr, *psr; /* their offsets */
    size_t fn, pn;      /* their lengths (out's are stale while the writer runs) */
    size_t fcap, pcap;  /* their capacities (0 before the first allocation) */
    size_t fws, pws;    /* where the current word starts in each form */
    uint32_t wsrc;      /* original offset of the current word's first unit */
    uint32_t fkey;      /* folded bytes of the letter that began the folded run, 0 after a
                           non-letter (a letter's first byte is never 0) */
    uint32_t pkey;      /* plain code point of the letter that began the plain run, UINT32_MAX
                           after a non-letter */
    uint32_t gap_src;   /* offset of the first separator since the last word */
    uint32_t last_end;  /* offset of the unit that ended the last word */
    unsigned frun, prun, plast, units, singles;
    unsigned in_word, last_letter, differs, have_gap;
} stream;

#define STREAM_INLINE static inline __attribute__((always_inline))

/* The units that make the writer give up: pass_symbols' classes (and DROP, which only the
 * passes make). */
#define STREAM_STOP_CLS \
    ((1u << CG__NC_AT) | (1u << CG__NC_DOLLAR) | (1u << CG__NC_APOS) | (1u << CG__NC_DROP))

STREAM_INLINE void stream_sync(stream *s, cg__normalized *out)
{
    out->folded.n = s->fn;
    out->plain.n = s->pn;
}

STREAM_INLINE void stream_load(stream *s, const cg__normalized *out)
{
    s->fs = out->folded.s;
    s->fsr = out->folded.src;
    s->fn = out->folded.n;
    s->ps = out->plain.s;
    s->psr = out->plain.src;
    s->pn = out->plain.n;
    s->fcap = out->folded.s != NULL ? out->scratch->fcap : 0;
    s->pcap = out->plain.s != NULL ? out->scratch->pcap : 0;
}

/* Makes room for need more bytes (and their offsets) after the n bytes of each form. */
static cg_status forms_grow(cg__normalized *out, size_t fn, size_t pn, size_t need,
                            cg_error *err)
{
    struct cg__nscratch *sc = out->scratch;
    cg_status st = grow_form(&out->folded, &sc->fcap, fn + need, err);

    if (st == CG_OK)
        st = grow_form(&out->plain, &sc->pcap, pn + need, err);
    return st;
}

STREAM_INLINE cg_status stream_room(stream *s, cg__normalized *out, size_t need, cg_error *err)
{
    cg_status st;

    if (s->fn + need <= s->fcap && s->pn + need <= s->pcap)
        return CG_OK;
    stream_sync(s, out);
    st = forms_grow(out, s->fn, s->pn, need, err);
    stream_load(s, out);
    return st;
}

/* Ends the current word at a unit from original offset end_src; reserve: room the plain form
 * keeps after a teencode expansion. Returns 1 to give up, -1 on a failure (*st). */
STREAM_INLINE int stream_end_word(stream *s, const cg__normalizer *nz, cg__normalized *out,
                                  uint32_t end_src, size_t reserve, cg_status *st)
{
    s->in_word = 0;
    s->have_gap = 0;
    s->last_end = end_src;
    if (s->units == 1 && s->fkey != 0 && ++s->singles == 3)
        return 1;
    if (s->pn == s->pws) { /* nothing written to the plain form: take the space back */
        if (s->pws > 0)
            s->pn--;
        return 0;
    }
    if (nz != NULL && cg__teencode_maybe_any(nz, s->fs + s->fws, s->fn - s->fws, s->ps + s->pws,
                                              s->pn - s->pws, s->differs)) {
        stream_sync(s, out);
        *st = expand_teencode(nz, out, s->fws, s->pws, (int)s->differs, s->wsrc, reserve, NULL);
        stream_load(s, out);
        if (*st != CG_OK)
            return -1;
    }
    return 0;
}

/* Starts a word at a word unit from original offset src. */
STREAM_INLINE void stream_start_word(stream *s, uint32_t src)
{
    const uint32_t sp = s->have_gap ? s->gap_src : src;

    space_before(s->fs, s->fsr, &s->fn, sp);
    space_before(s->ps, s->psr, &s->pn, sp);
    s->fws = s->fn;
    s->pws = s->pn;
    s->wsrc = src;
    s->units = 0;
    s->differs = 0;
    s->fkey = 0;
    s->pkey = UINT32_MAX;
    s->in_word = 1;
}

/* Writes a word unit of class cls, folded bytes key (len <= 4 of them, zero-padded; b0 the
 * first), plain code point pcp, from original offset src. Returns non-zero to give up. The
 * forms have room for it, a space and 4 bytes of slack. */
STREAM_INLINE int stream_word_unit(stream *s, unsigned cls, uint32_t key, unsigned b0,
                                   unsigned len, uint32_t pcp, uint32_t src)
{
    const unsigned letter = cls == CG__NC_LETTER;

    if (!s->in_word)
        stream_start_word(s, src);
    else if (!letter && s->last_letter)
        return 1; /* a digit right after a letter: pass_leet's */
    s->last_letter = letter;
    s->units++;
    s->differs |= len != 1 || b0 != pcp;
    /* Folded: a run's second letter is written, and taken back when a third one shows that the
     * run is to be squeezed. The bytes are stored four at a time (zero-padded). */
    if (letter && key == s->fkey) {
        if (++s->frun == 2) {
            memcpy(s->fs + s->fn, &key, 4);
            for (unsigned b = 0; b < len; b++)
                s->fsr[s->fn + b] = src;
            s->fn += len;
        } else if (s->frun == 3) {
            s->fn -= len;
        }
    } else {
        memcpy(s->fs + s->fn, &key, 4);
        for (unsigned b = 0; b < len; b++)
            s->fsr[s->fn + b] = src;
        s->fn += len;
        s->fkey = letter ? key : 0;
        s->frun = 1;
    }
    /* Plain: the same over the plain code points, which may run where the folded bytes do not
     * ("ôoo" squeezes on the plain form only). */
    if (letter && pcp == s->pkey) {
        if (++s->prun == 2) {
            s->plast = (unsigned)plain_at(s->ps, s->psr, s->pn, pcp, src);
            s->pn += s->plast;
        } else if (s->prun == 3) {
            s->pn -= s->plast;
        }
    } else {
        s->pn += plain_at(s->ps, s->psr, s->pn, pcp, src);
        s->pkey = letter ? pcp : UINT32_MAX;
        s->prun = 1;
    }
    return 0;
}

/* A unit that is not a word unit, of class cls from original offset src. Returns 1 to give up,
 * -1 on a failure (*st). */
STREAM_INLINE int stream_gap_unit(stream *s, const cg__normalizer *nz, cg__normalized *out,
                                  unsigned cls, uint32_t src, size_t reserve, cg_status *st)
{
    if ((STREAM_STOP_CLS >> cls) & 1u)
        return 1;
    if (s->in_word) {
        const int r = stream_end_word(s, nz, out, src, reserve, st);

        if (r != 0)
            return r;
    }
    if (!s->have_gap) {
        s->gap_src = src;
        s->have_gap = 1;
    }
    return 0;
}

/* Any unit x of at most 4 folded bytes. */
STREAM_INLINE int stream_unit(stream *s, const cg__normalizer *nz, cg__normalized *out,
                              const cg__nunit *x, size_t reserve, cg_status *st)
{
    if ((WORD_UNITS >> x->cls) & 1u)
        return stream_word_unit(s, x->cls, x->f.off, x->f.b[0], x->len, x->pcp, x->src);
    return stream_gap_unit(s, nz, out, x->cls, x->src, reserve, st);
}

/* The class of the unit at p[j] when it is a lone ASCII byte (the byte after it is ASCII too, or
 * the end), CG__NC_SEP at the end of the message, or -1 when a cluster would have to be read. */
STREAM_INLINE int peek_class(const cg__nascii *asc, const uint8_t *p, size_t len, size_t j)
{
    if (j >= len)
        return CG__NC_SEP;
    if (p[j] >= 0x80 || (j + 1 < len && p[j + 1] >= 0x80))
        return -1;
    return asc->unit[p[j]].cls;
}

/* An apostrophe after a letter is dropped when the next unit (of class next, -1: unknown) is a
 * letter ("don't" -> "dont"); otherwise it separates. Returns 1 to drop it, 0 to treat it as a
 * separator, -1 to give up. */
STREAM_INLINE int stream_apos(const stream *s, int next)
{
    if (!s->in_word || !s->last_letter)
        return 0;
    if (next < 0)
        return -1;
    return next == CG__NC_LETTER;
}

/* The room both forms keep for the rest of a message from input offset i on (and, after a
 * teencode expansion, for the rest of a cluster being written): a byte of ASCII writes at most
 * 2 bytes (itself and a space), a character of the table at most 5 for its 2 or 3 bytes, plus 4
 * bytes of slack for the folded bytes stored four at a time; a cluster checks for itself. */
#define REST_ROOM(len, i) (4 * ((len) - (i)) + 5 * CG__NCLUSTER_MAX_UNITS + 16)

/* Normalises p[0..len) in one pass. *done is 0 when the message needs the unit path (the
 * forms are then to be cleared); a failure is a status, with *done set. */
static cg_status normalize_stream(const cg__normalizer *nz, const uint8_t *p, size_t len,
                                  int utf8_policy, int teencode, cg__normalized *out, int *done,
                                  cg_error *err)
{
    const cg__nchar *tab = nz != NULL ? nz->tab : cg__nchar_table();
    const cg__nascii *asc = nz != NULL ? nz->ascii : cg__nchar_ascii();
    const cg__normalizer *tz = teencode ? nz : NULL;
    struct cg__nscratch *sc = out->scratch;
    stream s;
    size_t i = 0, invalid = 0;
    cg_status st = CG_OK;
    int r = 0;

    *done = 1;
    memset(&s, 0, sizeof(s));
    s.pkey = UINT32_MAX;
    stream_load(&s, out);
    st = stream_room(&s, out, REST_ROOM(len, 0), err);
    if (st != CG_OK)
        return st;
    while (i < len) {
        const size_t stop = ascii_run(p, len, i);
        size_t start;
        int32_t cl[CG__NCLUSTER_MAX_CPS];
        int ncl;

        if (stop > i) {
            do {
                const cg__nunit *t = &asc->unit[p[i]];
                const unsigned cls = t->cls, fb = t->f.b[0];

                /* The commonest units first: letters inside a word that start no run on either
                 * form (what stream_word_unit does then, written out), as many in a row as
                 * there are, with the state in locals. */
                if (cls == CG__NC_LETTER && s.in_word && t->f.off != s.fkey && fb != s.pkey) {
                    char *const fs = s.fs, *const ps = s.ps;
                    uint32_t *const fsr = s.fsr, *const psr = s.psr;
                    size_t fn = s.fn, pn = s.pn;
                    uint32_t fkey, pkey;
                    unsigned units = s.units, b = fb;

                    for (;;) {
                        fs[fn] = (char)b;
                        fsr[fn++] = (uint32_t)i;
                        ps[pn] = (char)b;
                        psr[pn++] = (uint32_t)i;
                        fkey = t->f.off;
                        pkey = b;
                        units++;
                        if (++i == stop)
                            break;
                        t = &asc->unit[p[i]];
                        b = t->f.b[0];
                        if (t->cls != CG__NC_LETTER || t->f.off == fkey || b == pkey)
                            break;
                    }
                    s.fn = fn;
                    s.pn = pn;
                    s.fkey = fkey;
                    s.pkey = pkey;
                    s.units = units;
                    s.frun = s.prun = 1;
                    s.last_letter = 1;
                    continue;
                }
                /* An ASCII word unit is its own plain code point (b & 0x7F tells the compiler
                 * so: the plain byte is one byte, and the word's 'differs' stays as it is). */
                if ((WORD_UNITS >> cls) & 1u) {
                    r = stream_word_unit(&s, cls, t->f.off, t->f.b[0], 1, t->f.b[0] & 0x7Fu,
                                         (uint32_t)i);
                } else if (cls != CG__NC_APOS) {
                    r = stream_gap_unit(&s, tz, out, cls, (uint32_t)i, REST_ROOM(len, i), &st);
                } else {
                    const int a = stream_apos(&s, peek_class(asc, p, len, i + 1));

                    r = a < 0 ? 1
                        : a > 0 ? 0
                                : stream_gap_unit(&s, tz, out, CG__NC_SEP, (uint32_t)i,
                                                  REST_ROOM(len, i), &st);
                }
                if (r != 0)
                    goto stopped;
                i++;
            } while (i < stop);
            continue;
        }
        start = i;
        ncl = read_cluster(tab, p, len, &i, cl);
        if (ncl < 0) {
            invalid++;
            if (utf8_policy == CG__UTF8_REJECT) {
                r = 1; /* the unit path words the error */
                goto stopped;
            }
            r = stream_gap_unit(&s, tz, out, CG__NC_SEP, (uint32_t)start, REST_ROOM(len, i), &st);
            if (r != 0)
                goto stopped;
            continue;
        }
        if (ncl == 0)
            continue; /* marks with no base: dropped */
        if (ncl == 1 && cl[0] < CG__NCHAR_TABLE && !(tab[cl[0]].flags & CG__NCF_SLOW)) {
            cg__nunit x;

            if (tab[cl[0]].cls == CG__NC_DROP)
                continue;
            table_unit(&x, &tab[cl[0]], (uint32_t)start);
            /* A letter inside a word that starts no run on either form, whose plain form is
             * one ASCII byte ("ô" in "không"): stream_word_unit's work written out. */
            if (x.cls == CG__NC_LETTER && s.in_word && x.f.off != s.fkey && x.pcp != s.pkey &&
                x.pcp - 1 < 0x7F) {
                memcpy(s.fs + s.fn, &x.f.off, 4);
                for (unsigned b = 0; b < x.len; b++)
                    s.fsr[s.fn + b] = x.src;
                s.fn += x.len;
                s.ps[s.pn] = (char)x.pcp;
                s.psr[s.pn++] = x.src;
                s.differs |= x.len != 1 || x.f.b[0] != x.pcp;
                s.fkey = x.f.off;
                s.pkey = x.pcp;
                s.frun = s.prun = 1;
                s.units++;
                s.last_letter = 1;
                continue;
            }
            r = stream_unit(&s, tz, out, &x, REST_ROOM(len, i), &st);
            if (r != 0)
                goto stopped;
            continue;
        }
        {
            cg__nunit cu[CG__NCLUSTER_MAX_UNITS];
            size_t ncu, reserve;

            if (sc->pool_len + POOL_ROOM > sc->pool_cap) {
                st = grow_pool(sc, sc->pool_len + POOL_ROOM, err);
                if (st != CG_OK)
                    return st;
            }
            ncu = cg__nchar_fold_cluster(tab, cl, (size_t)ncl, (uint32_t)start, cu, sc->pool,
                                         &sc->pool_len);
            /* A cluster may write more than 4 bytes a byte (NFKC expansions): its units, and
             * the room the rest of the message is owed. */
            reserve = 5 * ncu + REST_ROOM(len, i);
            st = stream_room(&s, out, reserve, err);
            if (st != CG_OK)
                return st;
            for (size_t k = 0; k < ncu; k++) {
                if (cu[k].len > 4) {
                    r = 1;
                } else if (cu[k].cls != CG__NC_APOS) {
                    r = stream_unit(&s, tz, out, &cu[k], reserve, &st);
                } else {
                    const int a = stream_apos(
                        &s, k + 1 < ncu ? (int)cu[k + 1].cls : peek_class(asc, p, len, i));

                    r = a < 0 ? 1
                        : a > 0 ? 0
                                : stream_gap_unit(&s, tz, out, CG__NC_SEP, cu[k].src, reserve,
                                                  &st);
                }
                if (r != 0)
                    goto stopped;
            }
        }
    }
    if (s.in_word) {
        r = stream_end_word(&s, tz, out, (uint32_t)len, 1, &st);
        if (r != 0)
            goto stopped;
    }
    stream_sync(&s, out);
    out->invalid = invalid;
    out->folded.last_end = s.fn > 0 ? s.last_end : 0;
    out->plain.last_end = s.pn > 0 ? s.last_end : 0;
    out->folded.s[s.fn] = '\0';
    out->folded.src[s.fn] = (uint32_t)len;
    out->plain.s[s.pn] = '\0';
    out->plain.src[s.pn] = (uint32_t)len;
    return CG_OK;

stopped:
    if (r < 0)
        return cg__fail(err, st, "normalise: out of memory");
    *done = 0;
    return CG_OK;
}

/* ---- the pipeline ---- */

static void reset_out(cg__normalized *out)
{
    form_clear(&out->folded);
    form_clear(&out->plain);
    out->invalid = 0;
}

cg_status cg__normalize_ex(const cg__normalizer *nz, const char *text, size_t len,
                           int utf8_policy, size_t max_bytes, int teencode, cg__normalized *out,
                           cg_error *err)
{
    const cg__nchar *tab = nz != NULL ? nz->tab : cg__nchar_table();
    const cg__nascii *asc = nz != NULL ? nz->ascii : cg__nchar_ascii();
    const uint8_t *p = (const uint8_t *)text;
    struct cg__nscratch *sc;
    cg__nunit *u;
    size_t nu = 0, i = 0, fbytes = 0, invalid = 0;
    uint32_t last_end = 0;
    unsigned seen = 0;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "normalise: no output");
    reset_out(out);
    if (text == NULL && len > 0)
        return cg__fail(err, CG_E_INVAL, "normalise: NULL text of %zu bytes", len);
    if (utf8_policy != CG__UTF8_REPLACE && utf8_policy != CG__UTF8_REJECT)
        return cg__fail(err, CG_E_INVAL, "normalise: unknown UTF-8 policy %d", utf8_policy);
    if (max_bytes == 0)
        max_bytes = DEFAULT_MAX_BYTES;
    if (len > max_bytes || len >= UINT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "normalise: message of %zu bytes exceeds the limit of %zu",
                        len, max_bytes);
    if (out->scratch == NULL) {
        out->scratch = cg__calloc(1, sizeof(*out->scratch));
        if (out->scratch == NULL)
            return cg__fail(err, CG_E_NOMEM, "normalise: out of memory");
    }
    sc = out->scratch;
    sc->pool_len = 0;
    {
        int done;

        st = normalize_stream(nz, p, len, utf8_policy, teencode, out, &done, err);
        if (st != CG_OK)
            goto fail;
        if (done)
            return CG_OK;
        reset_out(out);
        sc->pool_len = 0;
    }
    if (sc->ucap < len + CG__NCLUSTER_MAX_UNITS) {
        st = grow_units(sc, len + CG__NCLUSTER_MAX_UNITS, err);
        if (st != CG_OK)
            goto fail;
    }
    u = sc->u;

    /* Character stage: clusters to units. */
    while (i < len) {
        size_t start, stop;
        int32_t cl[CG__NCLUSTER_MAX_CPS];
        int ncl;

        /* Room for a cluster's units and one unit for every byte left, so that a run of ASCII
         * needs no check per byte (the units are grown only when a cluster expanded). */
        if (nu + CG__NCLUSTER_MAX_UNITS + (len - i) > sc->ucap) {
            st = grow_units(sc, nu + CG__NCLUSTER_MAX_UNITS + (len - i), err);
            if (st != CG_OK)
                goto fail;
            u = sc->u;
        }
        /* ASCII not followed by a possible combining mark: a template copied for each. */
        stop = ascii_run(p, len, i);

        if (stop > i) {
            fbytes += stop - i;
            do {
                const uint8_t b = p[i];
                cg__nunit *x = &u[nu++];

                *x = asc->unit[b];
                x->src = (uint32_t)i;
                seen |= asc->cls_bit[b];
                i++;
            } while (i < stop);
            continue;
        }
        start = i;
        ncl = read_cluster(tab, p, len, &i, cl);
        if (ncl < 0) {
            cg__nunit *x;

            invalid++;
            if (utf8_policy == CG__UTF8_REJECT) {
                st = cg__fail(err, CG_E_INVAL, "invalid UTF-8 at byte offset %zu", start);
                out->invalid = invalid;
                goto fail_keep_invalid;
            }
            x = &u[nu++];
            memset(x, 0, sizeof(*x));
            x->src = (uint32_t)start;
            x->cls = CG__NC_SEP;
            continue;
        }
        if (ncl == 0)
            continue; /* marks with no base: dropped */
        if (ncl == 1 && cl[0] < CG__NCHAR_TABLE && !(tab[cl[0]].flags & CG__NCF_SLOW)) {
            if (tab[cl[0]].cls == CG__NC_DROP)
                continue;
            table_unit(&u[nu], &tab[cl[0]], (uint32_t)start);
            seen |= 1u << u[nu].cls;
            fbytes += u[nu].len;
            nu++;
            continue;
        }
        if (sc->pool_len + POOL_ROOM > sc->pool_cap) {
            st = grow_pool(sc, sc->pool_len + POOL_ROOM, err);
            if (st != CG_OK)
                goto fail;
        }
        {
            const size_t before = nu;

            nu += cg__nchar_fold_cluster(tab, cl, (size_t)ncl, (uint32_t)start, u + nu, sc->pool,
                                         &sc->pool_len);
            for (size_t k = before; k < nu; k++) {
                seen |= 1u << u[k].cls;
                fbytes += u[k].len;
            }
        }
    }
    out->invalid = invalid;

    /* Word stage. */
    if (seen & ((1u << CG__NC_AT) | (1u << CG__NC_DOLLAR) | (1u << CG__NC_APOS)))
        pass_symbols(u, nu);
    if ((seen & (1u << CG__NC_DIGIT)) && (seen & (1u << CG__NC_LETTER)))
        pass_leet(u, nu);

    st = grow_form(&out->folded, &sc->fcap, fbytes + nu + 1, err);
    if (st != CG_OK)
        goto fail;
    st = grow_form(&out->plain, &sc->pcap, 5 * nu + 1, err);
    if (st != CG_OK)
        goto fail;
    /* Emission. Spaced-out letters need a chain of three single-letter words, which emit_word
     * reports as it goes: when a third one is met, pass_spaced joins the chains and the forms
     * are written again from the start (pass_spaced sees the same words, so with fewer than
     * three it would change nothing). */
    {
        size_t k = 0, singles = 0;
        uint32_t gap_src = 0;
        int have_gap = 0, spaced = 0;

        while (k < nu) {
            size_t wj;
            int single;

            if (u[k].cls == CG__NC_DROP) {
                k++;
                continue;
            }
            if (!is_word(u[k].cls)) {
                if (!have_gap) {
                    gap_src = u[k].src;
                    have_gap = 1;
                }
                k++;
                continue;
            }
            st = emit_word(nz, teencode, u, k, nu, &wj, &single, sc->pool,
                           have_gap ? gap_src : u[k].src, out, err);
            if (st != CG_OK)
                goto fail;
            if (single && ++singles == 3 && !spaced) {
                pass_spaced(u, nu);
                spaced = 1;
                out->folded.n = 0;
                out->plain.n = 0;
                k = 0;
                have_gap = 0;
                last_end = 0;
                continue;
            }
            have_gap = 0;
            k = wj;
            last_end = k < nu ? u[k].src : (uint32_t)len;
        }
    }
    out->folded.last_end = out->folded.n > 0 ? last_end : 0;
    out->plain.last_end = out->plain.n > 0 ? last_end : 0;
    out->folded.s[out->folded.n] = '\0';
    out->folded.src[out->folded.n] = (uint32_t)len;
    out->plain.s[out->plain.n] = '\0';
    out->plain.src[out->plain.n] = (uint32_t)len;
    return CG_OK;

fail:
    out->invalid = 0;
fail_keep_invalid:
    form_clear(&out->folded);
    form_clear(&out->plain);
    return st;
}

cg_status cg__normalize(const cg__normalizer *nz, const char *text, size_t len, int utf8_policy,
                        size_t max_bytes, cg__normalized *out, cg_error *err)
{
    return cg__normalize_ex(nz, text, len, utf8_policy, max_bytes, 1, out, err);
}

void cg__normalized_free(cg__normalized *n)
{
    if (n == NULL)
        return;
    cg__free(n->folded.s);
    cg__free(n->folded.src);
    cg__free(n->plain.s);
    cg__free(n->plain.src);
    if (n->scratch != NULL) {
        cg__free(n->scratch->u);
        cg__free(n->scratch->pool);
        cg__free(n->scratch);
    }
    memset(n, 0, sizeof(*n));
}

void cg__textform_span(const cg__textform *f, size_t a, size_t b, size_t *start, size_t *end)
{
    size_t j;
    uint32_t last;

    if (f == NULL || f->src == NULL) {
        *start = 0;
        *end = 0;
        return;
    }
    if (b > f->n)
        b = f->n;
    if (a > b)
        a = b;
    if (a == b) {
        *start = f->src[a];
        *end = f->src[a];
        return;
    }
    *start = f->src[a];
    last = f->src[b - 1];
    j = b;
    while (j < f->n && f->src[j] <= last)
        j++;
    *end = j == f->n && f->last_end > last ? f->last_end : f->src[j];
}

cg_status cg__normalize_plain(const cg__normalizer *nz, const char *text, size_t len, char **out,
                              size_t *out_len, cg_error *err)
{
    cg__normalized tmp;
    cg_status st;
    char *s;

    *out = NULL;
    *out_len = 0;
    memset(&tmp, 0, sizeof(tmp));
    st = cg__normalize_ex(nz, text, len, CG__UTF8_REPLACE, len > 0 ? len : 1, 1, &tmp, err);
    if (st != CG_OK)
        goto done;
    s = cg__malloc(tmp.plain.n + 1);
    if (s == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "normalise: out of memory");
        goto done;
    }
    memcpy(s, tmp.plain.s, tmp.plain.n + 1);
    *out = s;
    *out_len = tmp.plain.n;
done:
    cg__normalized_free(&tmp);
    return st;
}

cg_status cg__normalize_pattern(const cg__normalizer *nz, const char *text, size_t len,
                                char **plain, size_t *plain_len, char **folded,
                                size_t *folded_len, cg_error *err)
{
    cg__normalized tmp;
    cg_status st;

    *plain = *folded = NULL;
    *plain_len = *folded_len = 0;
    memset(&tmp, 0, sizeof(tmp));
    st = cg__normalize_ex(nz, text, len, CG__UTF8_REPLACE, len > 0 ? len : 1, 1, &tmp, err);
    if (st == CG_OK) {
        *plain = cg__malloc(tmp.plain.n + 1);
        *folded = cg__malloc(tmp.folded.n + 1);
        if (*plain == NULL || *folded == NULL) {
            cg__free(*plain);
            cg__free(*folded);
            *plain = *folded = NULL;
            st = cg__fail(err, CG_E_NOMEM, "normalise: out of memory");
        } else {
            memcpy(*plain, tmp.plain.s, tmp.plain.n + 1);
            memcpy(*folded, tmp.folded.s, tmp.folded.n + 1);
            *plain_len = tmp.plain.n;
            *folded_len = tmp.folded.n;
        }
    }
    cg__normalized_free(&tmp);
    return st;
}

/* ---- the normaliser ---- */

cg_status cg__normalizer_open_files(const char *const *paths, size_t n,
                                    void (*on_bad_row)(const char *path, uint64_t line,
                                                       const char *reason, void *ud),
                                    void *ud, cg__normalizer **out, cg_error *err)
{
    cg__normalizer *nz;
    cg_status st;

    *out = NULL;
    if (n > 0 && paths == NULL)
        return cg__fail(err, CG_E_INVAL, "normaliser: NULL list of %zu teencode files", n);
    nz = cg__calloc(1, sizeof(*nz));
    if (nz == NULL)
        return cg__fail(err, CG_E_NOMEM, "normaliser: out of memory");
    nz->tab = cg__nchar_table();
    nz->ascii = cg__nchar_ascii();
    if (n > 0) {
        st = cg__teencode_load(nz, paths, n, on_bad_row, ud, err);
        if (st != CG_OK) {
            cg__normalizer_free(nz);
            return st;
        }
    }
    *out = nz;
    return CG_OK;
}

cg_status cg__normalizer_open(const char *teencode_path,
                              void (*on_bad_row)(const char *path, uint64_t line,
                                                 const char *reason, void *ud),
                              void *ud, cg__normalizer **out, cg_error *err)
{
    return cg__normalizer_open_files(&teencode_path, teencode_path != NULL ? 1 : 0, on_bad_row,
                                     ud, out, err);
}

void cg__normalizer_free(cg__normalizer *nz)
{
    if (nz == NULL)
        return;
    cg__teencode_free(nz);
    cg__free(nz);
}
