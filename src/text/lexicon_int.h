/* Internal to lexicon.c (loading and compiling) and lexicon_scan.c (scanning): the compiled
 * form of a lexicon. */
#ifndef CG_TEXT_LEXICON_INT_H
#define CG_TEXT_LEXICON_INT_H

#include <hs.h>

#include "text/lexicon.h"

#define LEX_GAP_WORDS 3                         /* words one '~' may skip */
#define LEX_MAX_MESSAGE 0xFFFFFFFFu             /* Vectorscan lengths and hit offsets are 32-bit */


enum { TOK_WORDS = 0, TOK_GAP = 1 };

typedef struct lex_alt {
    uint32_t off, len; /* the normalised text, in lx->text */
    uint8_t prefix;    /* 1: matches any word starting with the text's last word */
    uint8_t toned;     /* 1: written with diacritics: the folded spelling is checked */
    uint32_t foff, flen; /* that folded spelling, in lx->text */
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
    uint32_t regex_off;         /* in the load-time regex pool; unused after load */
} lex_entry;

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
};

struct cg__lexicon_scratch {
    hs_scratch_t *hs;
    uint8_t *seen;  /* per cue: already reported in the current scan (all 0 between scans) */
    size_t n;       /* cues of the lexicon it was made for */
};

/* Grows *v (of *cap elements of size bytes) to hold need; 0 when out of memory (v unchanged). */
int cg__lex_grow(void **v, size_t *cap, size_t need, size_t size);
/* The status of a Vectorscan error (HS_NOMEM: CG_E_NOMEM, else CG_E_BACKEND). */
cg_status cg__lex_hs_status(hs_error_t e);

#endif
