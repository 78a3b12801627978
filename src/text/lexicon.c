/* Cue lexicons (lexicon.h): loading and validating rows, translating the pattern syntax into
 * regular expressions over the plain form, compiling them into one Vectorscan database, and
 * building the word index that scans answer from (build_index; docs/text-lexicons.md, "The
 * word index"). Scanning a normalised message with them is lexicon_scan.c. The database checks
 * that every pattern compiles and is the reference the tests hold the index to: Vectorscan
 * 5.4.9 misses some matches, so it no longer scans messages of an indexed lexicon. The rest of
 * this comment is how the regexes and the word-level matcher share one language.
 *
 * How a pattern becomes a regex. The plain form of a message (normalize.h) is words separated
 * by single spaces, with no space at either end, so a whole-word match is "start of text or a
 * space" before and "a space or end of text" after. A pattern is a list of tokens:
 * - a word, or a run of ordinary words, normalised together with cg__normalize_plain exactly as
 *   message text would be (so teencode, diacritics and spaced letters meet the same way);
 * - a token with alternatives or a prefix ("gui|send", "nud*"): each alternative normalised on
 *   its own; a trailing '*' becomes [^ ]* (the rest of the word);
 * - '~': (?:[^ ]+ ){0,3}, up to three words of any kind.
 * Word boundaries are not in the regex. Writing them in ("(?:^| )" before, "(?: |$)" after)
 * made the database twice as big and the scan 2.5x slower (measured: 5.1 against 2.0 us for a
 * 75-byte message over the shipped 247 cues), because every pattern then starts with a class
 * instead of a literal. So Vectorscan is an exact matcher of the words and a prefilter for the
 * boundaries: the callback keeps an end only where a word ends, and finds the start by
 * re-matching the cue's own token list backwards from that end, over word starts only, with a
 * tiny word-level matcher (match_tokens) that implements the same language as the regex. No
 * word start matching means a hit inside a word ("kys" in "skysail"), which is dropped. The
 * nearest start wins, so "send ~ pic" over "send send me a pic" highlights "send me a pic".
 *
 * Once per message: Vectorscan reports matches in order of their end, and the first end that
 * passes the checks is kept; a per-scratch bitmap drops the rest. (HS_FLAG_SINGLEMATCH cannot
 * do this, because the first raw match may be the one that fails the boundary check.) Asking
 * Vectorscan for start of match (HS_FLAG_SOM_LEFTMOST) instead would cost a 4x bigger database
 * and a slower scan on every message, while hits are rare.
 *
 * Memory: every allocation of ours goes through cg__malloc. Vectorscan allocates its database
 * and scratch with its own (process-wide) allocator, which we leave alone so as not to change
 * it under an application that also uses Vectorscan; its HS_NOMEM maps to CG_E_NOMEM. */
#include "text/lexicon_int.h"

#include <hs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "text/lexicon_cache.h"

#define LEX_MAX_FILE_BYTES ((uint64_t)64 << 20) /* one lexicon file */
#define LEX_MAX_CUES 1000000u                   /* all files together */
#define LEX_MAX_PATTERN 1024u                   /* bytes of one pattern as written */
#define LEX_MAX_TOKENS 24u                      /* tokens of one pattern */
#define LEX_MAX_ALTS 64u                        /* alternatives of one token */
#define LEX_MAX_ID 128u                         /* bytes of an id */

/* Load-time state: the caller's report callback and the regex pool. */
typedef struct lex_loader {
    cg__lexicon *lx;
    const cg__normalizer *nz;
    void (*on_bad_row)(const char *path, uint64_t line, const char *reason, void *ud);
    void *ud;
    char *rx; /* regexes, each NUL-terminated */
    size_t nrx, rxcap;
    const char *cache_dir; /* compiled databases (lexicon_cache.h); NULL: none */
    int vi;                /* the row being compiled is a Vietnamese cue */
} lex_loader;

/* Grows *v (elements of size) so that it holds at least need; 0 on allocation failure. */
int cg__lex_grow(void **v, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *nv;

    if (need <= *cap)
        return 1;
    ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    if (size != 0 && ncap > SIZE_MAX / size)
        return 0;
    nv = cg__realloc(*v, ncap * size);
    if (nv == NULL)
        return 0;
    *v = nv;
    *cap = ncap;
    return 1;
}

static void report(const lex_loader *ld, const char *path, uint64_t line, const char *reason)
{
    if (ld->on_bad_row != NULL)
        ld->on_bad_row(path, line, reason, ld->ud);
}

/* ---- pattern translation ------------------------------------------------------------------ */

/* Appends n bytes to the regex pool. */
static int rx_put(lex_loader *ld, const char *s, size_t n)
{
    if (!cg__lex_grow((void **)&ld->rx, &ld->rxcap, ld->nrx + n + 1, 1))
        return 0;
    memcpy(ld->rx + ld->nrx, s, n);
    ld->nrx += n;
    return 1;
}

/* Appends normalised text as a regex literal: letters, digits and the separating spaces stay;
 * every other byte (including UTF-8 bytes of other scripts) is written as \xHH. */
static int rx_literal(lex_loader *ld, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        char esc[5];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == ' ') {
            if (!rx_put(ld, s + i, 1))
                return 0;
            continue;
        }
        snprintf(esc, sizeof esc, "\\x%02x", c);
        if (!rx_put(ld, esc, 4))
            return 0;
    }
    return 1;
}

/* Normalises one alternative (or a run of ordinary words) and appends it to lx->alts.
 * CG_E_INVAL with a reason when it normalises to nothing. */
static cg_status add_alt(lex_loader *ld, const char *s, size_t n, int prefix, char *why,
                         size_t whylen)
{
    cg__lexicon *lx = ld->lx;
    char *plain = NULL, *folded = NULL;
    size_t plen = 0, flen = 0;
    cg_error nerr = {0};
    cg_status st;
    int toned = 0;

    st = cg__normalize_pattern(ld->nz, s, n, &plain, &plen, &folded, &flen, &nerr);
    if (st == CG_E_NOMEM)
        return st;
    if (st != CG_OK) {
        snprintf(why, whylen, "pattern word \"%.*s\" does not normalise: %s", (int)n, s,
                 nerr.message);
        return CG_E_INVAL;
    }
    if (plen == 0) {
        snprintf(why, whylen, "pattern word \"%.*s\" is empty once normalised", (int)n, s);
        cg__free(plain);
        cg__free(folded);
        return CG_E_INVAL;
    }
    /* A word written with diacritics is checked against the message's own spelling when that
     * has diacritics too (lexicon_scan.c); prefixes are not. So is a word of a Vietnamese cue
     * written without any (letters only): "ngu" (stupid) is a spelling of its own, and a
     * message that typed "ngủ" (sleep) with its tone did not write it — the diacritic form is
     * checked before the folded one. */
    for (size_t i = 0; i < flen && !prefix && !toned; i++)
        toned = (unsigned char)folded[i] >= 0x80;
    if (!toned && !prefix && ld->vi) {
        toned = 1;
        for (size_t i = 0; i < flen && toned; i++)
            toned = (folded[i] >= 'a' && folded[i] <= 'z') || folded[i] == ' ';
    }
    if (!toned)
        flen = 0;
    if (lx->ntext + plen + flen > UINT32_MAX ||
        !cg__lex_grow((void **)&lx->text, &lx->textcap, lx->ntext + plen + flen, 1) ||
        !cg__lex_grow((void **)&lx->alts, &lx->altcap, lx->nalt + 1, sizeof *lx->alts)) {
        cg__free(plain);
        cg__free(folded);
        return CG_E_NOMEM;
    }
    memcpy(lx->text + lx->ntext, plain, plen);
    lx->alts[lx->nalt].off = (uint32_t)lx->ntext;
    lx->alts[lx->nalt].len = (uint32_t)plen;
    lx->alts[lx->nalt].prefix = (uint8_t)prefix;
    lx->alts[lx->nalt].toned = (uint8_t)toned;
    lx->alts[lx->nalt].foff = (uint32_t)(lx->ntext + plen);
    lx->alts[lx->nalt].flen = (uint32_t)flen;
    if (flen > 0)
        memcpy(lx->text + lx->ntext + plen, folded, flen);
    lx->nalt++;
    lx->ntext += plen + flen;
    cg__free(plain);
    cg__free(folded);
    return CG_OK;
}

static cg_status add_tok(cg__lexicon *lx, int kind, uint32_t first_alt)
{
    if (!cg__lex_grow((void **)&lx->toks, &lx->tokcap, lx->ntok + 1, sizeof *lx->toks))
        return CG_E_NOMEM;
    lx->toks[lx->ntok].kind = (uint8_t)kind;
    lx->toks[lx->ntok].first_alt = first_alt;
    lx->toks[lx->ntok].nalt = kind == TOK_GAP ? 0 : (uint32_t)(lx->nalt - first_alt);
    lx->ntok++;
    return CG_OK;
}

/* Flushes a run of ordinary words [s, e) as one token of one alternative. */
static cg_status flush_run(lex_loader *ld, const char *s, const char *e, char *why, size_t whylen)
{
    const uint32_t first = (uint32_t)ld->lx->nalt;
    cg_status st;

    if (s == NULL || e <= s)
        return CG_OK;
    st = add_alt(ld, s, (size_t)(e - s), 0, why, whylen);
    if (st != CG_OK)
        return st;
    return add_tok(ld->lx, TOK_WORDS, first);
}

/* Adds a token with alternatives and prefixes ("gui|send", "nud*"). */
static cg_status add_operator_tok(lex_loader *ld, const char *s, size_t n, char *why,
                                  size_t whylen)
{
    const uint32_t first = (uint32_t)ld->lx->nalt;
    size_t i = 0, nalt = 0;

    while (i <= n) {
        size_t j = i;
        int prefix = 0;
        cg_status st;

        while (j < n && s[j] != '|')
            j++;
        if (j > i && s[j - 1] == '*')
            prefix = 1;
        if (j - (size_t)prefix == i) {
            snprintf(why, whylen, "empty alternative in \"%.*s\"", (int)n, s);
            return CG_E_INVAL;
        }
        if (memchr(s + i, '*', j - i - (size_t)prefix) != NULL ||
            memchr(s + i, '~', j - i) != NULL) {
            snprintf(why, whylen, "'*' only ends a word and '~' stands alone: \"%.*s\"", (int)n,
                     s);
            return CG_E_INVAL;
        }
        if (++nalt > LEX_MAX_ALTS) {
            snprintf(why, whylen, "more than %u alternatives in one word", LEX_MAX_ALTS);
            return CG_E_INVAL;
        }
        st = add_alt(ld, s + i, j - i - (size_t)prefix, prefix, why, whylen);
        if (st != CG_OK)
            return st;
        i = j + 1;
    }
    return add_tok(ld->lx, TOK_WORDS, first);
}

/* Turns pattern into tokens of the cue e (appended to lx->toks) and its regex (appended to the
 * pool). CG_E_INVAL with a reason in why for a pattern that does not compile. On any failure
 * the lexicon's arrays may hold orphan entries, which is harmless: nothing points at them. */
static cg_status compile_pattern(lex_loader *ld, lex_entry *e, const char *pattern, char *why,
                                 size_t whylen)
{
    cg__lexicon *lx = ld->lx;
    const size_t plen = strlen(pattern);
    const char *run = NULL, *run_end = NULL, *p = pattern;
    uint32_t words = 0;
    cg_status st;

    if (plen == 0 || plen > LEX_MAX_PATTERN) {
        snprintf(why, whylen, plen == 0 ? "empty pattern" : "pattern longer than %u bytes",
                 LEX_MAX_PATTERN);
        return CG_E_INVAL;
    }
    if (lx->ntok > UINT32_MAX - LEX_MAX_TOKENS || lx->nalt > UINT32_MAX - LEX_MAX_ALTS *
        LEX_MAX_TOKENS)
        return CG_E_NOMEM;
    e->first_tok = (uint32_t)lx->ntok;
    /* Split on spaces; ordinary words accumulate in a run normalised as one piece of text. */
    while (*p != '\0') {
        const char *w = p;
        size_t n;

        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        w = p;
        while (*p != '\0' && *p != ' ')
            p++;
        n = (size_t)(p - w);
        if ((n == 1 && w[0] == '~') || memchr(w, '|', n) != NULL || memchr(w, '*', n) != NULL ||
            memchr(w, '~', n) != NULL) {
            st = flush_run(ld, run, run_end, why, whylen);
            if (st != CG_OK)
                return st;
            run = NULL;
            if (n == 1 && w[0] == '~')
                st = add_tok(lx, TOK_GAP, 0);
            else
                st = add_operator_tok(ld, w, n, why, whylen);
            if (st != CG_OK)
                return st;
        } else {
            if (run == NULL)
                run = w;
            run_end = p;
        }
        if (lx->ntok - e->first_tok > LEX_MAX_TOKENS) {
            snprintf(why, whylen, "more than %u tokens", LEX_MAX_TOKENS);
            return CG_E_INVAL;
        }
    }
    st = flush_run(ld, run, run_end, why, whylen);
    if (st != CG_OK)
        return st;
    e->ntok = (uint32_t)(lx->ntok - e->first_tok);
    if (e->ntok == 0 || lx->toks[e->first_tok].kind == TOK_GAP ||
        lx->toks[lx->ntok - 1].kind == TOK_GAP) {
        snprintf(why, whylen, "a pattern needs a word and cannot start or end with '~'");
        return CG_E_INVAL;
    }

    /* The regex, and the most words a match can span. */
    if (ld->nrx > UINT32_MAX)
        return CG_E_NOMEM;
    e->regex_off = (uint32_t)ld->nrx;
    for (uint32_t t = 0; t < e->ntok; t++) {
        const lex_tok *tk = &lx->toks[e->first_tok + t];
        uint32_t most = 1;

        if (tk->kind == TOK_GAP) {
            if (!rx_put(ld, "(?:[^ ]+ ){0,3}", 15))
                return CG_E_NOMEM;
            words += LEX_GAP_WORDS;
            continue;
        }
        if (!rx_put(ld, "(?:", 3))
            return CG_E_NOMEM;
        for (uint32_t a = 0; a < tk->nalt; a++) {
            const lex_alt *al = &lx->alts[tk->first_alt + a];
            uint32_t w = 1;

            for (uint32_t k = 0; k < al->len; k++)
                w += lx->text[al->off + k] == ' ';
            if (w > most)
                most = w;
            if ((a > 0 && !rx_put(ld, "|", 1)) || !rx_literal(ld, lx->text + al->off, al->len) ||
                (al->prefix && !rx_put(ld, "[^ ]*", 5)))
                return CG_E_NOMEM;
        }
        if (!rx_put(ld, ")", 1))
            return CG_E_NOMEM;
        if (t + 1 < e->ntok && !rx_put(ld, " ", 1))
            return CG_E_NOMEM;
        words += most;
    }
    ld->rx[ld->nrx++] = '\0';
    e->span_words = words;
    return CG_OK;
}

/* ---- rows and files ----------------------------------------------------------------------- */

static int valid_id(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        const char c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0 && n <= LEX_MAX_ID;
}

/* "*", or an ISO 639 code in lowercase ("vi", "en", "fil"), optionally with a region or script
 * ("pt-br"): new languages need no code change. */
static int valid_lang(const char *s)
{
    size_t n = 0;

    if (strcmp(s, "*") == 0)
        return 1;
    while (s[n] >= 'a' && s[n] <= 'z')
        n++;
    if (n < 2 || n > 3)
        return 0;
    if (s[n] == '\0')
        return 1;
    if (s[n] != '-')
        return 0;
    s += n + 1;
    for (n = 0; s[n] != '\0'; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9')))
            return 0;
    return n >= 2 && n <= 8;
}

static int parse_weight(const char *s, float *out)
{
    char *end = NULL;
    double w;

    if (*s == '\0' || *s == ' ')
        return 0;
    w = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(w) || w <= 0.0 || w > 1.0)
        return 0;
    *out = (float)w;
    return 1;
}

/* Validates one row already split into fields and appends it as a cue. CG_E_INVAL (with a
 * reason) rejects the row; CG_E_NOMEM fails the load. */
static cg_status add_row(lex_loader *ld, char **f, size_t nf, const char *path, uint64_t line,
                         char *why, size_t whylen)
{
    cg__lexicon *lx = ld->lx;
    lex_entry *e;
    int harm, facet, fh;
    float weight = 0.0f;
    const size_t ntok0 = lx->ntok, nalt0 = lx->nalt, ntext0 = lx->ntext, nrx0 = ld->nrx;
    cg_status st;

    if (nf != 6 && nf != 7) {
        snprintf(why, whylen, "%zu columns, expected 7 (id, lang, harm, facet, weight, pattern, "
                 "note)", nf);
        return CG_E_INVAL;
    }
    if (!valid_id(f[0])) {
        snprintf(why, whylen, "bad id \"%.60s\" (1-%u of A-Z a-z 0-9 . _ -)", f[0], LEX_MAX_ID);
        return CG_E_INVAL;
    }
    if (!valid_lang(f[1])) {
        snprintf(why, whylen, "bad lang \"%.20s\" (\"*\" or a lowercase ISO 639 code)", f[1]);
        return CG_E_INVAL;
    }
    harm = cg_text_harm_from_name(f[2]);
    if (harm < 0) {
        snprintf(why, whylen, "unknown harm \"%.40s\"", f[2]);
        return CG_E_INVAL;
    }
    facet = cg_facet_from_name(f[3]);
    if (facet < 0) {
        snprintf(why, whylen, "unknown facet \"%.40s\"", f[3]);
        return CG_E_INVAL;
    }
    fh = cg_facet_harm((cg_facet)facet);
    if (facet != CG_FACET_NONE && fh != harm) {
        snprintf(why, whylen, "facet %s belongs to harm %s, not %s", f[3],
                 cg_text_harm_name((cg_harm)fh), f[2]);
        return CG_E_INVAL;
    }
    if (!parse_weight(f[4], &weight)) {
        snprintf(why, whylen, "bad weight \"%.20s\" (a number in (0, 1])", f[4]);
        return CG_E_INVAL;
    }
    if (lx->n >= LEX_MAX_CUES) {
        snprintf(why, whylen, "more than %u cues", LEX_MAX_CUES);
        return CG_E_INVAL;
    }
    if (!cg__lex_grow((void **)&lx->cues, &lx->cap, lx->n + 1, sizeof *lx->cues))
        return CG_E_NOMEM;
    e = &lx->cues[lx->n];
    memset(e, 0, sizeof *e);
    ld->vi = strcmp(f[1], "vi") == 0;
    st = compile_pattern(ld, e, f[5], why, whylen);
    if (st != CG_OK) {
        /* Drop what the half-compiled pattern appended, so a rejected row leaves no trace. */
        lx->ntok = ntok0;
        lx->nalt = nalt0;
        lx->ntext = ntext0;
        ld->nrx = nrx0;
        return st;
    }
    e->cue.id = f[0];
    e->cue.lang = f[1];
    e->cue.harm = (cg_harm)harm;
    e->cue.facet = (cg_facet)facet;
    e->cue.weight = weight;
    e->cue.pattern = f[5];
    e->cue.note = nf == 7 ? f[6] : "";
    e->cue.file = path;
    e->cue.line = line;
    lx->n++;
    return CG_OK;
}

/* Reads one file into lx (which keeps its content) and adds its good rows. */
static cg_status load_file(lex_loader *ld, const char *path, cg_error *err)
{
    cg__lexicon *lx = ld->lx;
    uint8_t *data = NULL;
    size_t len = 0;
    char *buf, *p, *end, *pathcopy;
    uint64_t line = 0;
    cg_status st;

    pathcopy = cg__strdup(path);
    if (pathcopy == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    lx->paths[lx->nfiles] = pathcopy;
    lx->bufs[lx->nfiles] = NULL;
    lx->nfiles++;
    st = cg__read_file(path, LEX_MAX_FILE_BYTES, &data, &len, err);
    if (st != CG_OK)
        return st;
    buf = cg__realloc(data, len + 1);
    if (buf == NULL) {
        cg__free(data);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    }
    buf[len] = '\0';
    lx->bufs[lx->nfiles - 1] = buf;

    p = buf;
    end = buf + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte-order mark */
        p += 3;
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        char *f[8];
        size_t nf = 0;
        char why[320];
        char *q;

        if (eol == NULL)
            eol = end;
        *eol = '\0';
        line++;
        if (eol > p && eol[-1] == '\r')
            eol[-1] = '\0';
        q = p;
        p = eol + 1;
        while (*q == ' ')
            q++;
        if (*q == '\0' || *q == '#' || strncmp(q, "id\t", 3) == 0)
            continue;
        if (strlen(q) != strspn(q, " \t")) {
            /* Split on tabs in place; more than 7 fields counts as 8 for the message. */
            f[nf++] = q;
            for (char *c = q; *c != '\0'; c++) {
                if (*c != '\t')
                    continue;
                *c = '\0';
                if (nf < 8)
                    f[nf++] = c + 1;
                else
                    nf++;
            }
        }
        if (nf == 0)
            continue;
        st = add_row(ld, f, nf, pathcopy, line, why, sizeof why);
        if (st == CG_E_NOMEM)
            return cg__fail(err, CG_E_NOMEM, "%s:%llu: out of memory", path,
                            (unsigned long long)line);
        if (st != CG_OK)
            report(ld, pathcopy, line, why);
    }
    return CG_OK;
}

/* ---- duplicates and the database ---------------------------------------------------------- */

typedef struct id_ref {
    const char *id;
    size_t idx;
} id_ref;

static int id_ref_cmp(const void *a, const void *b)
{
    const id_ref *x = a, *y = b;
    const int c = strcmp(x->id, y->id);

    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Keeps the cues whose keep[i] is set, in order. */
static void compact(cg__lexicon *lx, const uint8_t *keep)
{
    size_t j = 0;

    for (size_t i = 0; i < lx->n; i++)
        if (keep[i])
            lx->cues[j++] = lx->cues[i];
    lx->n = j;
}

/* Reports and drops every cue whose id an earlier row (in file order) already used. */
static cg_status drop_duplicates(lex_loader *ld, cg_error *err)
{
    cg__lexicon *lx = ld->lx;
    id_ref *refs = NULL;
    uint8_t *keep = NULL;
    size_t dups = 0;

    if (lx->n < 2)
        return CG_OK;
    refs = cg__malloc_array(lx->n, sizeof *refs);
    keep = cg__malloc(lx->n);
    if (refs == NULL || keep == NULL) {
        cg__free(refs);
        cg__free(keep);
        return cg__fail(err, CG_E_NOMEM, "lexicon: out of memory checking ids");
    }
    for (size_t i = 0; i < lx->n; i++) {
        refs[i].id = lx->cues[i].cue.id;
        refs[i].idx = i;
        keep[i] = 1;
    }
    qsort(refs, lx->n, sizeof *refs, id_ref_cmp);
    for (size_t i = 1; i < lx->n; i++) {
        const cg__cue *first, *dup;
        char why[320];
        size_t k = i - 1;

        if (strcmp(refs[i].id, refs[k].id) != 0)
            continue;
        while (k > 0 && strcmp(refs[k - 1].id, refs[i].id) == 0)
            k--;
        first = &lx->cues[refs[k].idx].cue;
        dup = &lx->cues[refs[i].idx].cue;
        snprintf(why, sizeof why, "duplicate id \"%s\" (first at %s:%llu)", dup->id, first->file,
                 (unsigned long long)first->line);
        report(ld, dup->file, dup->line, why);
        keep[refs[i].idx] = 0;
        dups++;
    }
    if (dups > 0)
        compact(lx, keep);
    cg__free(refs);
    cg__free(keep);
    return CG_OK;
}

cg_status cg__lex_hs_status(hs_error_t e)
{
    return e == HS_NOMEM ? CG_E_NOMEM : CG_E_BACKEND;
}

/* Compiles every cue into one block-mode database. A pattern Vectorscan rejects is reported as
 * a bad row and dropped, and the rest is compiled again. With a cache directory, a database
 * compiled before from the very same expressions is read back instead (lexicon_cache.h); only
 * a set that compiled whole is stored, so a rejected pattern is always reported. */
static cg_status build_db(lex_loader *ld, cg_error *err)
{
    cg__lexicon *lx = ld->lx;
    const char **exprs = NULL;
    unsigned *flags = NULL, *ids = NULL;
    uint8_t *keep = NULL;
    cg_status st = CG_OK;

    exprs = cg__malloc_array(lx->n, sizeof *exprs);
    flags = cg__malloc_array(lx->n, sizeof *flags);
    ids = cg__malloc_array(lx->n, sizeof *ids);
    keep = cg__malloc(lx->n);
    if (exprs == NULL || flags == NULL || ids == NULL || keep == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "lexicon: out of memory compiling %zu cues", lx->n);
        goto done;
    }
    for (int attempt = 0;; attempt++) {
        hs_compile_error_t *cerr = NULL;
        hs_error_t he;
        uint8_t key[32];
        int keyed = 0;

        if (lx->n == 0) {
            st = cg__fail(err, CG_E_INVAL, "lexicon: no cue compiled");
            goto done;
        }
        for (size_t i = 0; i < lx->n; i++) {
            exprs[i] = ld->rx + lx->cues[i].regex_off;
            flags[i] = 0;
            ids[i] = (unsigned)i;
            keep[i] = 1;
        }
        if (ld->cache_dir != NULL && attempt == 0) {
            keyed = cg__lexcache_key(exprs, flags, ids, lx->n, key);
            lx->db = keyed ? cg__lexcache_load(ld->cache_dir, key) : NULL;
            if (lx->db != NULL)
                break;
        }
        he = hs_compile_multi(exprs, flags, ids, (unsigned)lx->n, HS_MODE_BLOCK, NULL, &lx->db,
                              &cerr);
        if (he == HS_SUCCESS) {
            if (keyed)
                cg__lexcache_store(ld->cache_dir, key, lx->db);
            break;
        }
        lx->db = NULL;
        if (cerr != NULL && cerr->expression >= 0 && (size_t)cerr->expression < lx->n) {
            const cg__cue *c = &lx->cues[cerr->expression].cue;
            char why[320];

            snprintf(why, sizeof why, "pattern does not compile: %s", cerr->message);
            report(ld, c->file, c->line, why);
            keep[cerr->expression] = 0;
            compact(lx, keep);
            hs_free_compile_error(cerr);
            continue;
        }
        st = cg__fail(err, he == HS_NOMEM ? CG_E_NOMEM : CG_E_BACKEND,
                      "lexicon: Vectorscan cannot compile %zu cues: %s", lx->n,
                      cerr != NULL ? cerr->message : "unknown error");
        hs_free_compile_error(cerr);
        goto done;
    }
    {
        const hs_error_t he = hs_alloc_scratch(lx->db, &lx->proto);

        if (he != HS_SUCCESS) {
            lx->proto = NULL;
            st = cg__fail(err, cg__lex_hs_status(he), "lexicon: Vectorscan scratch failed (%d)", he);
        }
    }
done:
    cg__free(exprs);
    cg__free(flags);
    cg__free(ids);
    cg__free(keep);
    return st;
}

/* ---- the word index ----------------------------------------------------------------------- */

/* 1 when s[0 .. n) is words separated by single spaces, with none at either end: what every
 * normalised alternative is, and what the word index assumes of it. */
static int single_spaced(const char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (s[i] == ' ' && s[i - 1] == ' ')
            return 0;
    return 1;
}

/* The index word of the n bytes at lx->text + off, added when new (the table has room: it was
 * sized for every word the cues have). LEX_NO_WORD when out of memory. */
static uint32_t intern(cg__lexicon *lx, uint32_t off, uint32_t n, size_t *wordcap)
{
    const char *w = lx->text + off;
    uint32_t i;

    for (i = cg__lex_hash(w, n) & lx->slot_mask; lx->slots[i] != 0; i = (i + 1) & lx->slot_mask) {
        const lex_word *x = &lx->words[lx->slots[i] - 1];

        if (x->len == n && memcmp(lx->text + x->off, w, n) == 0)
            return lx->slots[i] - 1;
    }
    if (!cg__lex_grow((void **)&lx->words, wordcap, lx->nwords + 1, sizeof *lx->words))
        return LEX_NO_WORD;
    lx->words[lx->nwords] = (lex_word){off, n, 0, 0};
    lx->slots[i] = (uint32_t)++lx->nwords;
    return (uint32_t)(lx->nwords - 1);
}

/* Table slots for n words: a power of two at least 3n, so probes stay short and a lookup
 * always reaches an empty slot. 0 when too many. */
static size_t table_size(size_t n)
{
    size_t size = 16;

    while (size < 3 * n && size <= UINT32_MAX / 4)
        size *= 2;
    return size >= 3 * n ? size : 0;
}

/* How many messages a signature mask lets through, roughly: its bits; LEX_SIG_ANY all. */
static int mask_width(uint64_t m)
{
    return (m & LEX_SIG_ANY) != 0 ? 64 : __builtin_popcountll(m);
}

typedef struct word_cue {
    uint32_t word, cue;
} word_cue;

static int word_cue_cmp(const void *a, const void *b)
{
    const word_cue *x = a, *y = b;

    if (x->word != y->word)
        return x->word < y->word ? -1 : 1;
    return (x->cue > y->cue) - (x->cue < y->cue);
}

/* Builds the word index of the loaded cues. */
static cg_status build_index(cg__lexicon *lx, cg_error *err)
{
    size_t bound = 0, nwc = 0, wordcap = 0, prefcap = 0, size;
    word_cue *wc = NULL;
    cg_status st = CG_OK;

    for (size_t c = 0; c < lx->n; c++)
        for (uint32_t t = 0; t < lx->cues[c].ntok; t++)
            bound += 2 * (size_t)lx->toks[lx->cues[c].first_tok + t].nalt;
    size = table_size(bound);
    if (size == 0)
        return cg__fail(err, CG_E_NOMEM, "lexicon: too many words to index");
    lx->slots = cg__calloc(size, sizeof *lx->slots);
    wc = cg__malloc_array(bound + 1, sizeof *wc);
    if (lx->slots == NULL || wc == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "lexicon: out of memory indexing words");
        goto done;
    }
    lx->slot_mask = (uint32_t)(size - 1);
    lx->indexed = 1;
    for (size_t c = 0; c < lx->n && lx->indexed; c++) {
        const lex_entry *e = &lx->cues[c];

        for (uint32_t t = 0; t < e->ntok; t++) {
            const lex_tok *tk = &lx->toks[e->first_tok + t];

            for (uint32_t a = 0; tk->kind == TOK_WORDS && a < tk->nalt; a++) {
                lex_alt *al = &lx->alts[tk->first_alt + a];
                const char *x = lx->text + al->off, *sp;
                uint32_t first = al->len, last = 0;

                if (!single_spaced(x, al->len)) {
                    lx->indexed = 0; /* cannot happen with the normaliser's output */
                    break;
                }
                sp = memchr(x, ' ', al->len);
                if (sp != NULL)
                    first = (uint32_t)(sp - x);
                for (uint32_t k = al->len; k > 0 && last == 0; k--)
                    if (x[k - 1] == ' ')
                        last = k;
                al->w0 = LEX_NO_WORD;
                if (!(al->prefix && sp == NULL)) {
                    al->w0 = intern(lx, al->off, first, &wordcap);
                    if (al->w0 == LEX_NO_WORD)
                        goto nomem;
                }
                if (t + 1 < e->ntok)
                    continue;
                if (al->prefix) {
                    if (!cg__lex_grow((void **)&lx->prefixes, &prefcap, lx->nprefixes + 1,
                                      sizeof *lx->prefixes))
                        goto nomem;
                    lx->prefixes[lx->nprefixes++] =
                        (lex_prefix){al->off + last, al->len - last, (uint32_t)c};
                    continue;
                }
                wc[nwc].word = intern(lx, al->off + last, al->len - last, &wordcap);
                wc[nwc++].cue = (uint32_t)c;
                if (wc[nwc - 1].word == LEX_NO_WORD)
                    goto nomem;
            }
        }
    }
    /* Each word's cues, ascending and once each. */
    qsort(wc, nwc, sizeof *wc, word_cue_cmp);
    lx->ends = cg__malloc_array(nwc + 1, sizeof *lx->ends);
    if (lx->ends == NULL)
        goto nomem;
    for (size_t i = 0; i < nwc; i++) {
        lex_word *w = &lx->words[wc[i].word];

        if (i > 0 && wc[i].word == wc[i - 1].word && wc[i].cue == wc[i - 1].cue)
            continue;
        if (w->n == 0)
            w->first = (uint32_t)lx->nends;
        w->n++;
        lx->ends[lx->nends++] = wc[i].cue;
    }
    /* Each cue's two most selective tokens (fewest bits; the last token is the word found) as
     * word bits, for a test cheaper than may_match (lexicon_scan.c). */
    lx->sig = cg__malloc_array(2 * lx->n + 1, sizeof *lx->sig);
    if (lx->sig == NULL)
        goto nomem;
    for (size_t c = 0; c < lx->n; c++) {
        lex_entry *e = &lx->cues[c];
        const lex_tok *t0 = &lx->toks[e->first_tok];
        uint64_t *m = &lx->sig[2 * c];

        e->first_word = 1;
        for (uint32_t a = 0; a < t0->nalt; a++)
            e->first_word &= lx->alts[t0->first_alt + a].w0 != LEX_NO_WORD;
        m[0] = m[1] = LEX_SIG_ANY;
        for (uint32_t t = 0; t + 1 < e->ntok; t++) {
            const lex_tok *tk = &lx->toks[e->first_tok + t];
            uint64_t bits = 0;

            for (uint32_t a = 0; tk->kind == TOK_WORDS && a < tk->nalt; a++) {
                const uint32_t w0 = lx->alts[tk->first_alt + a].w0;

                bits |= w0 == LEX_NO_WORD ? LEX_SIG_ANY : lex_sig_bit(w0);
            }
            if (tk->kind == TOK_GAP || (bits & LEX_SIG_ANY) != 0)
                continue;
            if (mask_width(bits) < mask_width(m[0])) {
                m[1] = m[0];
                m[0] = bits;
            } else if (mask_width(bits) < mask_width(m[1])) {
                m[1] = bits;
            }
        }
    }
    /* The table again, sized for the words there are (it was sized for the most there could
     * be): a smaller table keeps lookups in cache. */
    size = table_size(lx->nwords);
    cg__free(lx->slots);
    lx->slots = cg__calloc(size, sizeof *lx->slots);
    if (lx->slots == NULL)
        goto nomem;
    lx->slot_mask = (uint32_t)(size - 1);
    for (size_t k = 0; k < lx->nwords; k++) {
        const lex_word *w = &lx->words[k];
        uint32_t i;

        for (i = cg__lex_hash(lx->text + w->off, w->len) & lx->slot_mask; lx->slots[i] != 0;
             i = (i + 1) & lx->slot_mask)
            ;
        lx->slots[i] = (uint32_t)k + 1;
    }
    goto done;
nomem:
    st = cg__fail(err, CG_E_NOMEM, "lexicon: out of memory indexing words");
done:
    cg__free(wc);
    return st;
}

/* ---- the public load/free ----------------------------------------------------------------- */

cg_status cg__lexicon_load(const cg__normalizer *nz, const char *const *paths, size_t n,
                           void (*on_bad_row)(const char *path, uint64_t line,
                                              const char *reason, void *ud),
                           void *ud, const char *cache_dir, cg__lexicon **out, cg_error *err)
{
    lex_loader ld = {0};
    cg__lexicon *lx = NULL;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "lexicon: no output");
    *out = NULL;
    if (nz == NULL || (paths == NULL && n > 0))
        return cg__fail(err, CG_E_INVAL, "lexicon: no normaliser or no paths");
    lx = cg__calloc(1, sizeof *lx);
    if (lx == NULL)
        return cg__fail(err, CG_E_NOMEM, "lexicon: out of memory");
    if (n > 0) {
        lx->paths = cg__calloc(n, sizeof *lx->paths);
        lx->bufs = cg__calloc(n, sizeof *lx->bufs);
        if (lx->paths == NULL || lx->bufs == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "lexicon: out of memory");
            goto fail;
        }
    }
    ld.lx = lx;
    ld.nz = nz;
    ld.on_bad_row = on_bad_row;
    ld.ud = ud;
    ld.cache_dir = cache_dir;
    for (size_t i = 0; i < n; i++) {
        if (paths[i] == NULL) {
            st = cg__fail(err, CG_E_INVAL, "lexicon: path %zu is NULL", i);
            goto fail;
        }
        st = load_file(&ld, paths[i], err);
        if (st != CG_OK)
            goto fail;
    }
    st = drop_duplicates(&ld, err);
    if (st != CG_OK)
        goto fail;
    if (lx->n == 0) {
        st = cg__fail(err, CG_E_INVAL, "lexicon: no cue loaded from %zu file(s)%s%s", n,
                      n > 0 ? ", first " : "", n > 0 ? paths[0] : "");
        goto fail;
    }
    st = build_db(&ld, err);
    if (st == CG_OK)
        st = build_index(lx, err);
    if (st != CG_OK)
        goto fail;
    cg__free(ld.rx);
    *out = lx;
    return CG_OK;
fail:
    cg__free(ld.rx);
    cg__lexicon_free(lx);
    return st;
}

void cg__lexicon_free(cg__lexicon *lx)
{
    if (lx == NULL)
        return;
    hs_free_scratch(lx->proto);
    hs_free_database(lx->db);
    for (size_t i = 0; i < lx->nfiles; i++) {
        cg__free(lx->bufs[i]);
        cg__free(lx->paths[i]);
    }
    cg__free(lx->bufs);
    cg__free(lx->paths);
    cg__free(lx->cues);
    cg__free(lx->toks);
    cg__free(lx->alts);
    cg__free(lx->text);
    cg__free(lx->words);
    cg__free(lx->slots);
    cg__free(lx->ends);
    cg__free(lx->sig);
    cg__free(lx->prefixes);
    cg__free(lx);
}

size_t cg__lexicon_count(const cg__lexicon *lx)
{
    return lx != NULL ? lx->n : 0;
}

const cg__cue *cg__lexicon_cue(const cg__lexicon *lx, uint32_t i)
{
    if (lx == NULL || i >= lx->n)
        return NULL;
    return &lx->cues[i].cue;
}
