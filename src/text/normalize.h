/* Internal: text normalisation for matching. Every form keeps, for each of its bytes, the byte
 * offset in the original text it came from, so evidence found in a form is highlighted exactly
 * in the original.
 *
 * Two forms of one message:
 * - folded: valid UTF-8; NFKC + case folding (utf8proc); homoglyphs (Cyrillic/Greek look-alikes,
 *   fullwidth) and leetspeak (0→o, 1→i, 3→e, 4→a, 5→s, 7→t, @→a, $→s) folded to Latin letters
 *   *inside words* (a digit run on its own, like a phone number or an age, stays digits);
 *   letters repeated 3+ times squeezed to one ("helloooo" → "hello", "đẹppp" → "đẹp");
 *   spaced-out single letters rejoined ("s e x" → "sex", "g ử i  ả n h" → "gửi ảnh", also with
 *   '.', '-', '_', '*' or '/' between them); runs of whitespace and punctuation collapsed to one
 *   space; Vietnamese diacritics kept. docs/text-normalize.md details every step.
 * - plain: the folded form with Vietnamese tone marks and diacritics removed (đ → d, ư → u,
 *   ơ → o, â → a, …) and teencode expanded word by word from the normaliser's table ("k", "ko",
 *   "hok", "kh" → "khong"; "dc" → "duoc"; "j" → "gi"; "ny" → "nguoi yeu"; …). Lexicon patterns
 *   are normalised the same way, so "không", "khong", "ko" and "k0" all meet as "khong".
 * Both forms start and end without spaces and hold words separated by single spaces.
 *
 * Threading: a normaliser is immutable after open; normalising is thread-safe. */
#ifndef CG_TEXT_NORMALIZE_H
#define CG_TEXT_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/status.h"

typedef struct cg__textform {
    char *s;       /* NUL-terminated */
    size_t n;      /* bytes, without the NUL */
    uint32_t *src; /* n + 1 entries: src[i] = offset in the original of the byte that produced
                      s[i]; src[n] = the original's length. A span [a, b) of the form is the
                      original's [src[a], end) where end is the end of the original character
                      that produced s[b - 1] (use cg__textform_span). */
    uint32_t last_end; /* end in the original of the character that produced s[n - 1], so a
                          span reaching the end of the form stops there rather than at src[n]
                          (0 when n == 0) */
} cg__textform;

typedef struct cg__normalized {
    cg__textform folded;
    cg__textform plain;
    size_t invalid;        /* invalid UTF-8 sequences met (replaced by U+FFFD, or rejected) */
    struct cg__nscratch *scratch; /* private: working memory and capacities reused across calls
                                     (NULL in a zeroed struct; freed by cg__normalized_free) */
} cg__normalized;

typedef struct cg__normalizer cg__normalizer;

enum {
    CG__UTF8_REPLACE = 0, /* invalid bytes become U+FFFD (a space for matching) */
    CG__UTF8_REJECT = 1   /* invalid UTF-8 is CG_E_INVAL naming the byte offset */
};

/* Opens a normaliser with the teencode table at teencode_path (TSV: "short<TAB>expansion", an
 * optional third column as a note, '#' comments; data/text/teencode-vi.tsv), or none when NULL.
 * A key written without diacritics matches the plain word, one written with them only that
 * spelling. A bad row is reported through on_bad_row (line number, reason; may be NULL) and
 * skipped; the rest loads. */
cg_status cg__normalizer_open(const char *teencode_path,
                              void (*on_bad_row)(const char *path, uint64_t line,
                                                 const char *reason, void *ud),
                              void *ud, cg__normalizer **out, cg_error *err);
/* Like cg__normalizer_open with several teencode tables (n of them, loaded in order, e.g.
 * teencode-vi.tsv then teencode-en.tsv); a key defined twice keeps its first definition and the
 * later row is reported as bad. n == 0 opens a normaliser without teencode. */
cg_status cg__normalizer_open_files(const char *const *paths, size_t n,
                                    void (*on_bad_row)(const char *path, uint64_t line,
                                                       const char *reason, void *ud),
                                    void *ud, cg__normalizer **out, cg_error *err);
void cg__normalizer_free(cg__normalizer *nz);

/* Normalises len bytes of text (need not be NUL-terminated) into out (zero it before the first
 * use; reuse it across calls to avoid allocations; free with cg__normalized_free). Messages
 * longer than max_bytes (0: 1 MiB) are CG_E_LIMIT. nz may be NULL: no teencode. On failure both
 * forms are empty (their buffers stay owned by out) and invalid is 0, or 1 for a rejected
 * message. */
cg_status cg__normalize(const cg__normalizer *nz, const char *text, size_t len, int utf8_policy,
                        size_t max_bytes, cg__normalized *out, cg_error *err);
void cg__normalized_free(cg__normalized *n);

/* The original byte range [*start, *end) that bytes [a, b) of form f came from. */
void cg__textform_span(const cg__textform *f, size_t a, size_t b, size_t *start, size_t *end);

/* Normalises a lexicon pattern or a teencode key the way message text is normalised, into the
 * plain form only (caller frees *out with cg__free). */
cg_status cg__normalize_plain(const cg__normalizer *nz, const char *text, size_t len, char **out,
                              size_t *out_len, cg_error *err);

/* Like cg__normalize_plain, and the folded form too (*folded, freed with cg__free): the
 * lexicon keeps a pattern word's spelling with diacritics to tell apart words that only their
 * tones separate ("khói" smoke, "khỏi" out of). */
cg_status cg__normalize_pattern(const cg__normalizer *nz, const char *text, size_t len,
                                char **plain, size_t *plain_len, char **folded,
                                size_t *folded_len, cg_error *err);

#endif
