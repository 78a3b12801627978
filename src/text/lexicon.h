/* Internal: cue lexicons — data files (data/lexicons/NAME.tsv, one row per cue) compiled at load
 * time into one multi-pattern matcher (Vectorscan) over the plain form of normalize.h.
 *
 * Row: id<TAB>lang<TAB>harm<TAB>facet<TAB>weight<TAB>pattern<TAB>note. '#' comments and blank
 * lines are skipped; a header row starting with "id\t" is skipped. harm and facet are the text
 * names of include/childguard/text.h (facet "none" allowed); weight in (0, 1]; lang "vi", "en"
 * or "*". Pattern syntax (docs/text.md documents it with examples): words separated by spaces,
 * normalised with cg__normalize_plain (so diacritics, case and teencode do not matter); a word
 * ending in '*' matches any word with that prefix; a lone '~' matches up to three words of any
 * kind; '|' separates alternatives of one word ("gui|send"). Matches are on whole words only.
 *
 * Threading: a lexicon is immutable after load; scanning needs a per-thread scratch. */
#ifndef CG_TEXT_LEXICON_H
#define CG_TEXT_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/text.h"
#include "text/normalize.h"

typedef struct cg__cue {
    const char *id;      /* unique across the loaded files */
    const char *lang;
    cg_harm harm;
    cg_facet facet;
    float weight;
    const char *pattern; /* as written in the file */
    const char *note;
    const char *file;    /* where it came from, and its line */
    uint64_t line;
} cg__cue;

typedef struct cg__lexicon cg__lexicon;
typedef struct cg__lexicon_scratch cg__lexicon_scratch;

/* Loads and compiles every file of paths (n of them). Bad rows (wrong column count, unknown
 * harm or facet, bad weight, a pattern that does not compile, a duplicate id) are reported
 * through on_bad_row and skipped; the rest loads. CG_E_INVAL when no cue at all loads.
 * cache_dir (NULL: none) keeps compiled databases for the next load (lexicon_cache.h). */
cg_status cg__lexicon_load(const cg__normalizer *nz, const char *const *paths, size_t n,
                           void (*on_bad_row)(const char *path, uint64_t line,
                                              const char *reason, void *ud),
                           void *ud, const char *cache_dir, cg__lexicon **out, cg_error *err);
void cg__lexicon_free(cg__lexicon *lx);

size_t cg__lexicon_count(const cg__lexicon *lx);
const cg__cue *cg__lexicon_cue(const cg__lexicon *lx, uint32_t i);

cg_status cg__lexicon_scratch_new(const cg__lexicon *lx, cg__lexicon_scratch **out,
                                  cg_error *err);
void cg__lexicon_scratch_free(cg__lexicon_scratch *s);

typedef struct cg__cue_hit {
    uint32_t cue;          /* index for cg__lexicon_cue */
    uint32_t start, end;   /* byte range in the ORIGINAL message */
} cg__cue_hit;

typedef struct cg__cue_hits {
    cg__cue_hit *v;
    size_t n, cap;
} cg__cue_hits;

/* Appends every cue found in nm->plain (each cue at most once per message: its match with the
 * earliest end, and of those the nearest start), by the end of its span, and on the same end by
 * descending cue number (docs/text-lexicons.md, "The word index"). cg__cue_hits_free releases
 * the list. */
cg_status cg__lexicon_scan(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                           const cg__normalized *nm, cg__cue_hits *out, cg_error *err);
/* For tests that hold cg__lexicon_scan's matcher to a reference (lexicon.c): the hits of
 * Vectorscan (a subset: Vectorscan 5.4.9 misses some matches), and those of the word index (what
 * cg__lexicon_scan returns for a lexicon with one), in the same order. The index alone is
 * CG_E_UNSUPPORTED for a lexicon without one. */
cg_status cg__lexicon_scan_vectorscan(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                                      const cg__normalized *nm, cg__cue_hits *out,
                                      cg_error *err);
cg_status cg__lexicon_scan_index(const cg__lexicon *lx, cg__lexicon_scratch *scratch,
                                 const cg__normalized *nm, cg__cue_hits *out, cg_error *err);
void cg__cue_hits_free(cg__cue_hits *h);

#endif
