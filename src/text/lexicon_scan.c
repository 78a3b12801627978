/* Scanning a normalised message with a compiled lexicon (lexicon.h; lexicon.c explains why the
 * regexes carry no word boundaries and how this file restores them): per-thread scratch, the
 * word-level matcher that finds where a cue's match starts, and the word index pass that finds
 * the hits (docs/text-lexicons.md, "The word index"). Vectorscan no longer scans messages: its
 * callback is kept as the reference the tests hold the index to (cg__lexicon_scan_vectorscan),
 * and answers only for a lexicon without an index. Hits come in one documented order, whoever
 * found them (order_hits). */
#include "text/lexicon_int.h"

#include <string.h>

#include <utf8proc.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/normalize_int.h"

cg_status cg__lexicon_scratch_new(const cg__lexicon *lx, cg__lexicon_scratch **out,
                                  cg_error *err)
{
    cg__lexicon_scratch *s;
    hs_error_t he;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "lexicon scratch: no output");
    *out = NULL;
    if (lx == NULL || lx->proto == NULL)
        return cg__fail(err, CG_E_INVAL, "lexicon scratch: no lexicon");
    s = cg__malloc(sizeof *s);
    if (s == NULL)
        return cg__fail(err, CG_E_NOMEM, "lexicon scratch: out of memory");
    s->hs = NULL;
    s->n = lx->n;
    s->nwords = lx->nwords;
    s->atcap = 64;
    s->seen = cg__calloc(lx->n, 1);
    s->present = cg__calloc(lx->nwords + 1, 1);
    s->at = cg__malloc_array(s->atcap, sizeof *s->at);
    if (s->seen == NULL || s->present == NULL || s->at == NULL) {
        cg__lexicon_scratch_free(s);
        return cg__fail(err, CG_E_NOMEM, "lexicon scratch: out of memory");
    }
    he = hs_clone_scratch(lx->proto, &s->hs);
    if (he != HS_SUCCESS) {
        s->hs = NULL;
        cg__lexicon_scratch_free(s);
        return cg__fail(err, cg__lex_hs_status(he), "lexicon scratch: Vectorscan failed (%d)", he);
    }
    *out = s;
    return CG_OK;
}

void cg__lexicon_scratch_free(cg__lexicon_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->hs);
    cg__free(s->seen);
    cg__free(s->present);
    cg__free(s->at);
    cg__free(s);
}

/* ---- scanning ----------------------------------------------------------------------------- */

/* 1 when words a (an bytes) and b (bn bytes) of folded text have the same letters once their
 * diacritics are removed ("khói", "khỏi" and "khoi" do; "đt" and "điện" do not). */
static int same_letters(const char *a, size_t an, const char *b, size_t bn)
{
    const cg__nchar *tab = cg__nchar_table();
    size_t i = 0, j = 0;

    while (i < an && j < bn) {
        int32_t ca, cb;
        i += cg__utf8_next((const uint8_t *)a + i, an - i, &ca);
        j += cg__utf8_next((const uint8_t *)b + j, bn - j, &cb);
        if (ca < 0 || cb < 0)
            return 0;
        const uint32_t pa = ca < CG__NCHAR_TABLE ? tab[ca].plain : (uint32_t)ca;
        const uint32_t pb = cb < CG__NCHAR_TABLE ? tab[cb].plain : (uint32_t)cb;
        if (pa != pb)
            return 0;
    }
    return i == an && j == bn;
}

/* The spelling of a folded word as Vietnamese reads it: its letters with their vowel marks
 * (â ă ê ô ơ ư đ), canonically decomposed, with the tone marks (grave, acute, tilde, hook,
 * dot below) taken out into *tones (a bit each), so that "xoá" and "xóa" (the same word with the
 * tone on another vowel, both in use) are one spelling. Returns the code points written to
 * out (at most cap; 0 when the word does not fit). */
static size_t spelling(const char *w, size_t n, int32_t *out, size_t cap, unsigned *tones)
{
    size_t k = 0;

    *tones = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c, d[4];
        int bc = 0;
        utf8proc_ssize_t r = 1;

        i += cg__utf8_next((const uint8_t *)w + i, n - i, &c);
        if (c < 0)
            return 0;
        d[0] = c;
        if (c >= 0x80)
            r = utf8proc_decompose_char(c, d, 4, UTF8PROC_DECOMPOSE, &bc);
        if (r < 1 || r > 4)
            return 0;
        for (utf8proc_ssize_t j = 0; j < r; j++) {
            switch (d[j]) {
            case 0x300: *tones |= 1; break;
            case 0x301: *tones |= 2; break;
            case 0x303: *tones |= 4; break;
            case 0x309: *tones |= 8; break;
            case 0x323: *tones |= 16; break;
            default:
                if (k == cap)
                    return 0;
                out[k++] = d[j];
            }
        }
    }
    return k;
}

/* 1 when folded words a and b are one Vietnamese spelling (see spelling()), or too long to
 * tell. */
static int same_spelling(const char *a, size_t an, const char *b, size_t bn)
{
    int32_t x[48], y[48];
    unsigned tx, ty;
    const size_t nx = spelling(a, an, x, 48, &tx), ny = spelling(b, bn, y, 48, &ty);

    return nx == 0 || ny == 0 || (nx == ny && tx == ty && memcmp(x, y, nx * sizeof(*x)) == 0);
}

/* 1 when a word of the message at plain offset pos is written with diacritics other than
 * those of alternative al (which has them) on the same letters: "khói" (smoke) is not "khỏi"
 * (out of), though both are "khoi" in the plain form. Words typed without diacritics, as chat
 * often is, still match — unless the message has Vietnamese letters elsewhere (its writer
 * types diacritics, so "gửi cho anh" is not "gửi ảnh") — and so do teencode words ("ko" for
 * "không"), both placements of a tone ("xoá", "xóa") and places the folded form cannot be
 * aligned with. Runs only on candidate matches, which are rare. */
static int has_marks(const cg__textform *ff)
{
    for (size_t i = 0; i < ff->n; i++)
        if ((unsigned char)ff->s[i] >= 0x80)
            return 1;
    return 0;
}

static int tone_mismatch(const cg__lexicon *lx, const lex_alt *al, const cg__normalized *nm,
                         size_t pos)
{
    const cg__textform *pf = &nm->plain, *ff = &nm->folded;
    const char *a = lx->text + al->foff;
    size_t lo = 0, hi = ff->n, k = 0;

    if (!al->toned || pos >= pf->n)
        return 0;
    const uint32_t o = pf->src[pos];
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (ff->src[mid] < o)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= ff->n || ff->src[lo] != o || (lo > 0 && ff->s[lo - 1] != ' '))
        return 0;
    /* Word by word: the alternative's folded words against the message's from lo. */
    while (k < al->flen && lo < ff->n) {
        size_t ke = k, e = lo;
        int ascii = 1;

        while (ke < al->flen && a[ke] != ' ')
            ke++;
        while (e < ff->n && ff->s[e] != ' ')
            ascii &= (unsigned char)ff->s[e++] < 0x80;
        /* A word typed without diacritics is read as any spelling, unless the writer types
         * them: in a message with Vietnamese letters elsewhere, "anh" (you) is not "ảnh"
         * (photo). */
        if ((!ascii || has_marks(ff)) &&
            same_letters(ff->s + lo, e - lo, a + k, ke - k) &&
            !same_spelling(ff->s + lo, e - lo, a + k, ke - k))
            return 1;
        k = ke + 1;
        lo = e + 1;
    }
    return 0;
}

/* Whether tokens toks[0 .. nt) match s from pos and end exactly at end. The language is the
 * regex's: a word token ends at a word end, a token that follows is after one space, a gap
 * skips 0..3 whole words each followed by a space. Recursion depth is at most the number of
 * tokens; branching is at most (alternatives × 4 per gap), tiny for real patterns. */
static int match_tokens(const cg__lexicon *lx, const cg__normalized *nm, const lex_tok *toks,
                        uint32_t nt, const char *s, size_t n, size_t pos, size_t end)
{
    const lex_tok *t = toks;

    if (t->kind == TOK_GAP) {
        size_t p = pos;

        for (int k = 0;; k++) {
            size_t q = p;

            if (match_tokens(lx, nm, toks + 1, nt - 1, s, n, p, end))
                return 1;
            if (k == LEX_GAP_WORDS)
                return 0;
            while (q < n && s[q] != ' ')
                q++;
            if (q == p || q >= n)
                return 0;
            p = q + 1;
        }
    }
    for (uint32_t a = 0; a < t->nalt; a++) {
        const lex_alt *al = &lx->alts[t->first_alt + a];
        size_t q = pos + al->len;

        if (q > n || s[pos] != lx->text[al->off] ||
            memcmp(s + pos, lx->text + al->off, al->len) != 0)
            continue;
        if (al->prefix)
            while (q < n && s[q] != ' ')
                q++;
        if (q < n && s[q] != ' ')
            continue;
        if (tone_mismatch(lx, al, nm, pos))
            continue;
        if (nt == 1) {
            if (q == end)
                return 1;
            continue;
        }
        if (q >= n || q >= end)
            continue;
        if (match_tokens(lx, nm, toks + 1, nt - 1, s, n, q + 1, end))
            return 1;
    }
    return 0;
}

/* The nearest word start from which cue e matches s and ends exactly at end, in *start; 0 when
 * there is none (Vectorscan matched inside a word). Only the span_words word starts before end
 * can begin a match, which bounds the work on long messages. */
static int find_start(const cg__lexicon *lx, const cg__normalized *nm, const lex_entry *e,
                      const char *s, size_t n, size_t end, size_t *start)
{
    size_t p = end, tried = 0;

    while (p > 0 && tried <= e->span_words) {
        p--;
        if (p > 0 && s[p - 1] != ' ')
            continue;
        tried++;
        if (match_tokens(lx, nm, lx->toks + e->first_tok, e->ntok, s, n, p, end)) {
            *start = p;
            return 1;
        }
    }
    return 0;
}

/* find_start's answer for the match of cue e that ends with word at[k], found by trying only
 * the starts of words at[j] (j <= k) that its first token's alternatives need, of the
 * span_words + 1 words find_start tries. The same start when every word start of the message
 * begins a word of at[] or one the index does not know (a regular plain form), and e's first
 * token needs a word (lex_entry.first_word). */
static int find_start_at(const cg__lexicon *lx, const cg__normalized *nm, const lex_entry *e,
                         const lex_at *at, size_t k, size_t *start)
{
    const lex_tok *t0 = &lx->toks[e->first_tok];
    const lex_alt *alts = &lx->alts[t0->first_alt];
    const uint32_t lo = at[k].ord > e->span_words ? at[k].ord - e->span_words : 0;

    for (size_t j = k + 1; j-- > 0 && at[j].ord >= lo;) {
        uint32_t a = 0;

        while (a < t0->nalt && alts[a].w0 != at[j].word)
            a++;
        if (a < t0->nalt && match_tokens(lx, nm, t0, e->ntok, nm->plain.s, nm->plain.n,
                                         at[j].start, at[k].end)) {
            *start = at[j].start;
            return 1;
        }
    }
    return 0;
}

/* Appends the hit of cue id, from start to end of the plain form, and marks the cue seen; 0
 * when out of memory. */
static int add_hit(cg__cue_hits *out, uint8_t *seen, const cg__textform *pf, uint32_t id,
                   size_t start, size_t end)
{
    size_t ostart = 0, oend = 0;
    cg__cue_hit *h;

    if (!cg__lex_grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v))
        return 0;
    cg__textform_span(pf, start, end, &ostart, &oend);
    seen[id] = 1;
    h = &out->v[out->n++];
    h->cue = id;
    h->start = (uint32_t)ostart;
    h->end = (uint32_t)oend;
    return 1;
}

/* Leaves the scratch's bitmaps all zero for the next scan: the cues of out->v[n0 ..) and the
 * words of at[0 .. nat). */
static void scratch_reset(cg__lexicon_scratch *sc, const cg__cue_hits *out, size_t n0,
                          size_t nat)
{
    for (size_t i = n0; i < out->n; i++)
        sc->seen[out->v[i].cue] = 0;
    for (size_t k = 0; k < nat; k++)
        if (sc->at[k].word != LEX_NO_WORD)
            sc->present[sc->at[k].word] = 0;
}

/* ---- Vectorscan: the reference ---------------------------------------------------------- */

typedef struct scan_ctx {
    const cg__lexicon *lx;
    uint8_t *seen;
    const cg__normalized *nm;
    cg__cue_hits *out;
    int nomem;
} scan_ctx;

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ud)
{
    scan_ctx *c = ud;
    const cg__textform *pf = &c->nm->plain;
    const lex_entry *e = &c->lx->cues[id];
    size_t end = (size_t)to, start;

    (void)from;
    (void)flags;
    if (c->seen[id] || (end < pf->n && pf->s[end] != ' ') ||
        !find_start(c->lx, c->nm, e, pf->s, pf->n, end, &start))
        return 0;
    if (!add_hit(c->out, c->seen, pf, id, start, end)) {
        c->nomem = 1;
        return 1; /* stop the scan */
    }
    return 0;
}

/* The hits by Vectorscan, appended to out from n0 (its length on entry), in the order of its
 * reports. */
static cg_status scan_vectorscan(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                                 const cg__normalized *nm, cg__cue_hits *out, size_t n0,
                                 cg_error *err)
{
    scan_ctx c;
    hs_error_t he;

    c.lx = lx;
    c.nm = nm;
    c.out = out;
    c.nomem = 0;
    c.seen = scratch->seen;
    he = hs_scan(lx->db, nm->plain.s, (unsigned int)nm->plain.n, 0, scratch->hs, on_match, &c);
    scratch_reset(scratch, out, n0, 0);
    if (c.nomem) {
        out->n = n0;
        return cg__fail(err, CG_E_NOMEM, "lexicon scan: out of memory");
    }
    if (he != HS_SUCCESS) {
        out->n = n0;
        return cg__fail(err, cg__lex_hs_status(he), "lexicon scan: Vectorscan failed (%d)", he);
    }
    return CG_OK;
}

/* ---- the word index ----------------------------------------------------------------------- */

/* 1 when every word token of cue e but the last has an alternative whose first word is in the
 * message (present) or that needs none: true of every match, and far cheaper to tell than
 * trying one. */
static int may_match(const cg__lexicon *lx, const lex_entry *e, const uint8_t *present)
{
    const lex_tok *t = lx->toks + e->first_tok, *last = t + e->ntok - 1;

    for (; t < last; t++) {
        const lex_alt *al = lx->alts + t->first_alt, *end = al + t->nalt;

        if (t->kind == TOK_GAP)
            continue;
        while (al < end && al->w0 != LEX_NO_WORD && !present[al->w0])
            al++;
        if (al == end)
            return 0;
    }
    return 1;
}

/* Splits the plain form into words and keeps, in order, those the index knows (every word when
 * the lexicon has prefixes) in sc->at, marking them present, and their bits in *sig (lx->sig).
 * *regular is 1 when the words are separated by single spaces with none at either end (as the
 * normaliser writes them). *nat is how many were kept, also when out of memory (0 returned). */
static int index_words(const cg__lexicon *lx, cg__lexicon_scratch *sc, const cg__textform *pf,
                       size_t *nat, uint64_t *sig, int *regular)
{
    const char *s = pf->s;
    const size_t n = pf->n;
    size_t i = 0, k = 0;
    uint32_t ord = 0;

    *regular = 1;
    while (i < n) {
        const size_t start = i;
        uint32_t h = LEX_HASH_SEED, w;

        if (s[i] == ' ') {
            if (i == 0 || i + 1 == n || s[i - 1] == ' ')
                *regular = 0;
            i++;
            continue;
        }
        do
            h = cg__lex_hash_byte(h, (uint8_t)s[i++]);
        while (i < n && s[i] != ' ');
        w = cg__lex_word_find(lx, s + start, i - start, cg__lex_hash_end(h));
        ord++;
        if (w == LEX_NO_WORD && lx->nprefixes == 0)
            continue;
        if (k == sc->atcap && !cg__lex_grow((void **)&sc->at, &sc->atcap, k + 1, sizeof *sc->at)) {
            *nat = k;
            return 0;
        }
        sc->at[k++] = (lex_at){(uint32_t)start, (uint32_t)i, w, ord - 1};
        if (w != LEX_NO_WORD) {
            sc->present[w] = 1;
            *sig |= lex_sig_bit(w);
        }
    }
    *nat = k;
    return 1;
}

/* 1 when cue c is worth trying for the message of signature sig: not seen, and it has words
 * of its two most selective tokens (most cues are dropped here, inline). */
static inline int worth_trying(const cg__lexicon *lx, const cg__lexicon_scratch *sc, uint32_t c,
                               uint64_t sig)
{
    return (lx->sig[2 * c] & sig) != 0 && (lx->sig[2 * c + 1] & sig) != 0 && !sc->seen[c];
}

/* Whether cue c, worth trying, matches ending with word at[k] (start in *start). */
static int try_cue(const cg__lexicon *lx, const cg__lexicon_scratch *sc,
                   const cg__normalized *nm, uint32_t c, size_t k, int regular, size_t *start)
{
    const lex_entry *e = &lx->cues[c];

    if (!may_match(lx, e, sc->present))
        return 0;
    if (regular && e->first_word)
        return find_start_at(lx, nm, e, sc->at, k, start);
    return find_start(lx, nm, e, nm->plain.s, nm->plain.n, sc->at[k].end, start);
}

/* The hits by the word index, appended to out from n0. A cue's match ends with a word of its
 * last token, so the words of the message, in order, name the only cues that can end there; of
 * those, the ones not seen yet that may match are tried with the word-level matcher, so each
 * cue's hit is its match with the earliest end (and, of those, the nearest start). */
static cg_status scan_index(const cg__lexicon *lx, cg__lexicon_scratch *sc,
                            const cg__normalized *nm, cg__cue_hits *out, size_t n0,
                            cg_error *err)
{
    const cg__textform *pf = &nm->plain;
    size_t nat = 0;
    uint64_t sig = LEX_SIG_ANY;
    int regular;
    int ok = index_words(lx, sc, pf, &nat, &sig, &regular);

    for (size_t k = 0; ok && k < nat; k++) {
        const lex_at *a = &sc->at[k];
        const uint32_t *c = lx->ends, *cend = lx->ends;
        size_t start;

        if (a->word != LEX_NO_WORD) {
            c += lx->words[a->word].first;
            cend = c + lx->words[a->word].n;
        }
        for (; ok && c < cend; c++)
            if (worth_trying(lx, sc, *c, sig) && try_cue(lx, sc, nm, *c, k, regular, &start))
                ok = add_hit(out, sc->seen, pf, *c, start, a->end);
        for (size_t p = 0; ok && lx->nprefixes > 0 && p < lx->nprefixes; p++) {
            const lex_prefix *x = &lx->prefixes[p];

            if (x->len <= a->end - a->start &&
                memcmp(pf->s + a->start, lx->text + x->off, x->len) == 0 &&
                worth_trying(lx, sc, x->cue, sig) &&
                try_cue(lx, sc, nm, x->cue, k, regular, &start))
                ok = add_hit(out, sc->seen, pf, x->cue, start, a->end);
        }
    }
    scratch_reset(sc, out, n0, nat);
    if (!ok) {
        out->n = n0;
        return cg__fail(err, CG_E_NOMEM, "lexicon scan: out of memory");
    }
    return CG_OK;
}

/* Checks the arguments of a scan; CG_OK with *empty set when there is nothing to scan. */
static cg_status scan_args(const cg__lexicon *lx, const cg__lexicon_scratch *scratch,
                           const cg__normalized *nm, const cg__cue_hits *out, int *empty,
                           cg_error *err)
{
    *empty = 0;
    if (lx == NULL || scratch == NULL || nm == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "lexicon scan: missing argument");
    if (scratch->n != lx->n || scratch->nwords != lx->nwords)
        return cg__fail(err, CG_E_INVAL, "lexicon scan: scratch made for another lexicon");
    if (nm->plain.n == 0 || nm->plain.s == NULL) {
        *empty = 1;
        return CG_OK;
    }
    if (nm->plain.n > LEX_MAX_MESSAGE || nm->plain.src[nm->plain.n] > LEX_MAX_MESSAGE)
        return cg__fail(err, CG_E_LIMIT, "lexicon scan: message of %zu bytes is too long",
                        nm->plain.n);
    return CG_OK;
}

/* 1 when hit a comes before hit b in a scan's result: by the end of its span in the original,
 * and on the same end by descending cue number (the later-loaded cue first). */
static int hit_before(const cg__cue_hit *a, const cg__cue_hit *b)
{
    return a->end < b->end || (a->end == b->end && a->cue > b->cue);
}

/* Puts out->v[n0 ..) in the documented order (hit_before). Both matchers append hits in the
 * order of their ends in the plain form, so only runs of hits on the same end move: an
 * insertion sort is linear here. Vectorscan's order within a run is its own (mostly, not
 * always, descending cue number), the index's the order of its word lists; this makes both the
 * same, so what reads the hits (merge_languages keeps the first of equal weights) does not
 * depend on which matcher ran. */
static void order_hits(cg__cue_hits *out, size_t n0)
{
    for (size_t i = n0 + 1; i < out->n; i++) {
        const cg__cue_hit h = out->v[i];
        size_t j = i;

        while (j > n0 && hit_before(&h, &out->v[j - 1])) {
            out->v[j] = out->v[j - 1];
            j--;
        }
        out->v[j] = h;
    }
}

enum { SCAN_ANY, SCAN_VECTORSCAN, SCAN_INDEX };

static cg_status scan_with(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                           const cg__normalized *nm, cg__cue_hits *out, int how, cg_error *err)
{
    int empty;
    cg_status st = scan_args(lx, scratch, nm, out, &empty, err);

    if (st != CG_OK || empty)
        return st;
    const size_t n0 = out->n;
    if (how == SCAN_INDEX && !lx->indexed)
        return cg__fail(err, CG_E_UNSUPPORTED, "lexicon scan: no word index");
    /* The word index finds every match the word-level matcher accepts, which Vectorscan 5.4.9
     * does not (why: lexicon.c); Vectorscan answers only for a lexicon without an index, or
     * when a test asks for it. */
    if (how != SCAN_VECTORSCAN && lx->indexed)
        st = scan_index(lx, scratch, nm, out, n0, err);
    else
        st = scan_vectorscan(lx, scratch, nm, out, n0, err);
    if (st == CG_OK)
        order_hits(out, n0);
    return st;
}

cg_status cg__lexicon_scan(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                           const cg__normalized *nm, cg__cue_hits *out, cg_error *err)
{
    return scan_with(lx, scratch, nm, out, SCAN_ANY, err);
}

cg_status cg__lexicon_scan_vectorscan(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                                      const cg__normalized *nm, cg__cue_hits *out,
                                      cg_error *err)
{
    return scan_with(lx, scratch, nm, out, SCAN_VECTORSCAN, err);
}

cg_status cg__lexicon_scan_index(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                                 const cg__normalized *nm, cg__cue_hits *out, cg_error *err)
{
    return scan_with(lx, scratch, nm, out, SCAN_INDEX, err);
}

void cg__cue_hits_free(cg__cue_hits *h)
{
    if (h == NULL)
        return;
    cg__free(h->v);
    h->v = NULL;
    h->n = 0;
    h->cap = 0;
}
