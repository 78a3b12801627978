/* Internal to lexicon.c (loading and compiling) and lexicon_scan.c (scanning): the compiled
 * form of a lexicon. */
#ifndef CG_TEXT_LEXICON_INT_H
#define CG_TEXT_LEXICON_INT_H

#include <hs.h>
#include <string.h>

#include "text/lexicon.h"

#define LEX_GAP_WORDS 3                         /* words one '~' may skip */
#define LEX_MAX_MESSAGE 0xFFFFFFFFu             /* Vectorscan lengths and hit offsets are 32-bit */
#define LEX_NO_WORD 0xFFFFFFFFu                 /* lex_alt.w0 and lex_at.word: no index word */


enum { TOK_WORDS = 0, TOK_GAP = 1 };

typedef struct lex_alt {
    uint32_t off, len; /* the normalised text, in lx->text */
    uint8_t prefix;    /* 1: matches any word starting with the text's last word */
    uint8_t toned;     /* 1: written with diacritics: the folded spelling is checked */
    uint32_t foff, flen; /* that folded spelling, in lx->text */
    uint32_t w0;       /* the index word a message needs whole for this alternative to match
                          there: its first word; LEX_NO_WORD for a one-word prefix */
} lex_alt;

typedef struct lex_tok {
    uint8_t kind;       /* TOK_WORDS or TOK_GAP */
    uint32_t first_alt; /* TOK_WORDS: alternatives lx->alts[first_alt .. first_alt + nalt) */
    uint32_t nalt;
} lex_tok;

typedef struct lex_entry {
    cg__cue cue;                /* strings point into a file buffer of lx->bufs */
    uint32_t first_tok, ntok;   /* lx->toks[first_tok .. first_tok + ntok) */
    uint32_t span_words;        /* the most words a match can cover (bounds the start search) */
    uint32_t first_word;        /* 1: every alternative of its first token needs a word
                                   (lex_alt.w0), so a match starts only where one is */
    uint32_t regex_off;         /* in the load-time regex pool; unused after load */
} lex_entry;

/* A word of the word index (lexicon.c builds it, lexicon_scan.c reads it): the first word of
 * some alternative, or the last word of an alternative of some cue's last token. */
typedef struct lex_word {
    uint32_t off, len;   /* its bytes, in lx->text */
    uint32_t first, n;   /* cues whose match can end with this word: lx->ends[first .. first + n),
                            ascending */
} lex_word;

/* The last word of a prefix alternative of a cue's last token ("nud*"): a match of the cue can
 * end with any word that starts with it. */
typedef struct lex_prefix {
    uint32_t off, len; /* in lx->text */
    uint32_t cue;
} lex_prefix;

struct cg__lexicon {
    lex_entry *cues;
    size_t n, cap;
    lex_tok *toks;
    size_t ntok, tokcap;
    lex_alt *alts;
    size_t nalt, altcap;
    char *text;           /* normalised alternatives, back to back (not NUL-separated) */
    size_t ntext, textcap;
    char **bufs;          /* one per file: its content, split in place into the cue strings */
    char **paths;         /* one per file: a copy of its path (cg__cue.file) */
    size_t nfiles;
    hs_database_t *db;
    hs_scratch_t *proto;  /* cloned by cg__lexicon_scratch_new */
    /* The word index (lexicon.c explains it): an open-addressing table of the index words. */
    lex_word *words;
    size_t nwords;
    uint32_t *slots;      /* word index + 1, or 0 for an empty slot; slot_mask + 1 of them */
    uint32_t slot_mask;
    uint32_t *ends;       /* cue numbers, per word (lex_word.first) */
    size_t nends;
    uint64_t *sig;        /* per cue, two masks: the index words that two of its tokens need,
                             as bits (lex_sig_bit); a message lacking every word of either
                             cannot match it. LEX_SIG_ANY: no need. */
    lex_prefix *prefixes;
    size_t nprefixes;
    int indexed;          /* 1: the word index finds the hits; 0: Vectorscan alone does */
};

/* A word of the message being scanned that the word index knows, or any word when the lexicon
 * has prefixes. */
typedef struct lex_at {
    uint32_t start, end; /* in the plain form */
    uint32_t word;       /* its index word, or LEX_NO_WORD */
    uint32_t ord;        /* its number among all the words of the message */
} lex_at;

struct cg__lexicon_scratch {
    hs_scratch_t *hs;
    uint8_t *seen;    /* per cue: already reported in the current scan (all 0 between scans) */
    size_t n;         /* cues of the lexicon it was made for */
    uint8_t *present; /* per index word: in the current message (all 0 between scans) */
    size_t nwords;    /* index words of the lexicon it was made for */
    lex_at *at;       /* the current message's words that the index knows */
    size_t atcap;
};

/* Grows *v (of *cap elements of size bytes) to hold need; 0 when out of memory (v unchanged). */
int cg__lex_grow(void **v, size_t *cap, size_t need, size_t size);
/* The hash of a word of the index (FNV-1a, then the high bits folded into the low ones, which
 * pick the table slot), the same at load and at scan; a scan feeds it byte by byte while it
 * splits the message into words. */
#define LEX_HASH_SEED 2166136261u

static inline uint32_t cg__lex_hash_byte(uint32_t h, uint8_t c)
{
    return (h ^ c) * 16777619u;
}

static inline uint32_t cg__lex_hash_end(uint32_t h)
{
    return h ^ (h >> 16);
}

static inline uint32_t cg__lex_hash(const char *s, size_t n)
{
    uint32_t h = LEX_HASH_SEED;

    for (size_t i = 0; i < n; i++)
        h = cg__lex_hash_byte(h, (uint8_t)s[i]);
    return cg__lex_hash_end(h);
}

/* The index word with these n bytes (h: their hash), or LEX_NO_WORD. */
static inline uint32_t cg__lex_word_find(const cg__lexicon *lx, const char *w, size_t n,
                                         uint32_t h)
{
    for (uint32_t i = h & lx->slot_mask;; i = (i + 1) & lx->slot_mask) {
        const uint32_t k = lx->slots[i];

        if (k == 0)
            return LEX_NO_WORD;
        if (lx->words[k - 1].len == n) {
            const char *x = lx->text + lx->words[k - 1].off;
            size_t j = 0;

            while (j < n && x[j] == w[j]) /* index words are short: no memcmp call */
                j++;
            if (j == n)
                return k - 1;
        }
    }
}

/* A message's signature has the bit of each index word it has, and LEX_SIG_ANY always: a mask
 * of LEX_SIG_ANY meets every signature, even that of a message with no index word. (Words 63,
 * 127, ... share its bit, which only lets a few more cues through to the exact checks.) */
#define LEX_SIG_ANY ((uint64_t)1 << 63)

static inline uint64_t lex_sig_bit(uint32_t word)
{
    return (uint64_t)1 << (word & 63);
}

/* The status of a Vectorscan error (HS_NOMEM: CG_E_NOMEM, else CG_E_BACKEND). */
cg_status cg__lex_hs_status(hs_error_t e);

#endif
