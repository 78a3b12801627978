/* Scanning a normalised message with a compiled lexicon (lexicon.h; lexicon.c explains why the
 * regexes carry no word boundaries and how this file restores them): per-thread scratch, the
 * Vectorscan callback that keeps a cue's first match ending on a word end, and the word-level
 * matcher that finds where it starts. */
#include "text/lexicon_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

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
    s->seen = cg__calloc(lx->n, 1);
    if (s->seen == NULL) {
        cg__free(s);
        return cg__fail(err, CG_E_NOMEM, "lexicon scratch: out of memory");
    }
    he = hs_clone_scratch(lx->proto, &s->hs);
    if (he != HS_SUCCESS) {
        cg__free(s->seen);
        cg__free(s);
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
    cg__free(s);
}

/* ---- scanning ----------------------------------------------------------------------------- */

/* Whether tokens toks[0 .. nt) match s from pos and end exactly at end. The language is the
 * regex's: a word token ends at a word end, a token that follows is after one space, a gap
 * skips 0..3 whole words each followed by a space. Recursion depth is at most the number of
 * tokens; branching is at most (alternatives × 4 per gap), tiny for real patterns. */
static int match_tokens(const cg__lexicon *lx, const lex_tok *toks, uint32_t nt, const char *s,
                        size_t n, size_t pos, size_t end)
{
    const lex_tok *t = toks;

    if (t->kind == TOK_GAP) {
        size_t p = pos;

        for (int k = 0;; k++) {
            size_t q = p;

            if (match_tokens(lx, toks + 1, nt - 1, s, n, p, end))
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

        if (q > n || memcmp(s + pos, lx->text + al->off, al->len) != 0)
            continue;
        if (al->prefix)
            while (q < n && s[q] != ' ')
                q++;
        if (q < n && s[q] != ' ')
            continue;
        if (nt == 1) {
            if (q == end)
                return 1;
            continue;
        }
        if (q >= n || q >= end)
            continue;
        if (match_tokens(lx, toks + 1, nt - 1, s, n, q + 1, end))
            return 1;
    }
    return 0;
}

/* The nearest word start from which cue e matches s and ends exactly at end, in *start; 0 when
 * there is none (Vectorscan matched inside a word). Only the span_words word starts before end
 * can begin a match, which bounds the work on long messages. */
static int find_start(const cg__lexicon *lx, const lex_entry *e, const char *s, size_t n,
                      size_t end, size_t *start)
{
    size_t p = end, tried = 0;

    while (p > 0 && tried <= e->span_words) {
        p--;
        if (p > 0 && s[p - 1] != ' ')
            continue;
        tried++;
        if (match_tokens(lx, lx->toks + e->first_tok, e->ntok, s, n, p, end)) {
            *start = p;
            return 1;
        }
    }
    return 0;
}

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
    size_t end = (size_t)to, start, ostart = 0, oend = 0;
    cg__cue_hit *h;

    (void)from;
    (void)flags;
    if (c->seen[id] || (end < pf->n && pf->s[end] != ' ') ||
        !find_start(c->lx, e, pf->s, pf->n, end, &start))
        return 0;
    if (!cg__lex_grow((void **)&c->out->v, &c->out->cap, c->out->n + 1, sizeof *c->out->v)) {
        c->nomem = 1;
        return 1; /* stop the scan */
    }
    cg__textform_span(pf, start, end, &ostart, &oend);
    c->seen[id] = 1;
    h = &c->out->v[c->out->n++];
    h->cue = id;
    h->start = (uint32_t)ostart;
    h->end = (uint32_t)oend;
    return 0;
}

cg_status cg__lexicon_scan(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                           const cg__normalized *nm, cg__cue_hits *out, cg_error *err)
{
    scan_ctx c;
    const size_t n0 = out != NULL ? out->n : 0;
    hs_error_t he;

    if (lx == NULL || scratch == NULL || nm == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "lexicon scan: missing argument");
    if (scratch->n != lx->n)
        return cg__fail(err, CG_E_INVAL, "lexicon scan: scratch made for another lexicon");
    if (nm->plain.n == 0 || nm->plain.s == NULL)
        return CG_OK;
    if (nm->plain.n > LEX_MAX_MESSAGE || nm->plain.src[nm->plain.n] > LEX_MAX_MESSAGE)
        return cg__fail(err, CG_E_LIMIT, "lexicon scan: message of %zu bytes is too long",
                        nm->plain.n);
    c.lx = lx;
    c.nm = nm;
    c.out = out;
    c.nomem = 0;
    c.seen = scratch->seen;
    he = hs_scan(lx->db, nm->plain.s, (unsigned int)nm->plain.n, 0, scratch->hs, on_match, &c);
    for (size_t i = n0; i < out->n; i++) /* leave the bitmap all zero for the next scan */
        scratch->seen[out->v[i].cue] = 0;
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

void cg__cue_hits_free(cg__cue_hits *h)
{
    if (h == NULL)
        return;
    cg__free(h->v);
    h->v = NULL;
    h->n = 0;
    h->cap = 0;
}
