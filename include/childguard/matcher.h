/* childguard: matching signals against the banks of a database, kept up to date while lookups
 * run.
 *
 * A matcher holds an immutable snapshot per signal type: a main index built from every signal of
 * the database, and a small delta index with the signals changed since (added, disabled,
 * enabled, deleted), which supersedes the main one entry by entry. A refresher (a thread, or
 * explicit cg_matcher_refresh calls) reads the database's change log, builds a new delta and
 * swaps the snapshot in atomically: a bank change is visible to lookups well under a second
 * after it is committed, and lookups never wait for it. When the delta grows past a bound, a
 * background rebuild makes a new main index; lookups keep using the old one until the swap.
 * docs/matching.md has the numbers.
 *
 * Semantics of a lookup: a signal matches when its bank is enabled, the signal is not disabled
 * (disabled_until in the past), and the distance is <= the bank's threshold for that type. When
 * anything matches in an allow bank, every block match of the same lookup is marked suppressed
 * (the allow-list wins over the block lists). A caller that looks up several signals of one
 * content (PDQ, MD5, SHA-256, vPDQ) applies the same rule across all of them with
 * cg_match_list_apply_allow: an allow match of any type suppresses block matches of every type.
 *
 * PDQ quality (the field's rule): a PDQ match where the stored hash's quality, or the query's
 * when the caller gives it, is below the bank's minimum (cg_bank_pdq_min_quality, 50 by default)
 * is marked low_quality and suppressed: it is shown, never acted on, and a low-quality allow
 * match suppresses nothing. Likewise a match in a disabled bank or on a disabled signal, which
 * a lookup returns only when asked (include_disabled), is marked disabled and suppressed.
 * "suppressed" therefore means "not acted on"; the flags say why.
 *
 * Threading: cg_matcher_lookup is thread-safe (any number of threads); open/close on one thread. */
#ifndef CHILDGUARD_MATCHER_H
#define CHILDGUARD_MATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "index.h"
#include "signal.h"
#include "status.h"
#include "vpdq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_matcher cg_matcher;

typedef struct cg_matcher_options {
    /* Poll the change log every refresh_ms in a background thread; 0 = no thread (lookups see
     * the state at open and after each cg_matcher_refresh). */
    int refresh_ms;
    cg_index_kind kind;        /* for the main PDQ index; AUTO by default */
    /* Changes kept in the delta before a background rebuild of the main index; 0 = automatic
     * (max(4096, size / 64)). */
    size_t delta_max;
} cg_matcher_options;

/* Opens the database at path read-only for matching and builds the indexes. opt may be NULL. */
CG_API cg_status cg_matcher_open(const char *path, const cg_matcher_options *opt,
                                 cg_matcher **out, cg_error *err);
CG_API void cg_matcher_close(cg_matcher *m);

/* Applies the changes committed since the last refresh now (also what the thread does).
 * *changed (may be NULL) is set to the number of changes applied. */
CG_API cg_status cg_matcher_refresh(cg_matcher *m, uint64_t *changed, cg_error *err);

typedef struct cg_match {
    int64_t signal_id;
    int64_t bank_id;
    char bank[CG_BANK_NAME_MAX + 1];
    char label[CG_BANK_LABEL_MAX + 1];
    cg_bank_kind kind;
    const cg_signal_type *type;
    int distance;
    int threshold;                              /* the bank's, for this type */
    int variant;                                /* which of the query values matched (0..) */
    /* Not acted on: a block match overridden by an allow match, or any match that is
     * low_quality or disabled. Every consumer acts only on matches with suppressed == 0. */
    int suppressed;
    char suppressed_by[CG_BANK_NAME_MAX + 1];   /* the allow bank that overrode it (else "") */
    int quality;                                /* of the stored signal, -1 unknown */
    char external_id[CG_BANK_FIELD_MAX + 1];
    char source[CG_BANK_FIELD_MAX + 1];
    /* Video matches (cg_matcher_lookup_video; 0 for other lookups): the share of the query's
     * frames (after the quality filter and de-duplication) with a frame of the stored video
     * within the threshold, and the share of the stored video's indexed frames matched by some
     * query frame, both in percent. distance is then the best frame distance. */
    double query_percent;
    double target_percent;
    /* PDQ: the bank's minimum quality, and 1 when the stored or the query hash is below it. */
    int min_quality;
    int low_quality;
    /* 1: the bank or the signal is disabled (only with cg_lookup_options.include_disabled). */
    int disabled;
} cg_match;

/* A caller-owned, growable list. Zero-initialise; lookups append; free with
 * cg_match_list_free. */
typedef struct cg_match_list {
    cg_match *v;
    size_t n;
    size_t cap;
} cg_match_list;

CG_API void cg_match_list_free(cg_match_list *list);

/* The allow-list rule, the one place it is written: when any match in list->v[first..] is in an
 * allow bank and is itself acted on (suppressed == 0: not low quality, not disabled), every block
 * match there is marked suppressed, naming the allow bank of the
 * nearest allow match (ties: the first in list order). Lookups apply it to what they append; a
 * caller that collects the matches of all of one content's signals in one list applies it again
 * from the content's first match, so the rule holds across signal types. Idempotent. */
CG_API void cg_match_list_apply_allow(cg_match_list *list, size_t first);

typedef struct cg_lookup_options {
    /* Only these banks (NULL-terminated names); NULL = all. An unknown name is CG_E_NOTFOUND. */
    const char *const *banks;
    /* Overrides every bank's threshold when >= 0 (e.g. `match --max-distance`); -1 = banks'. */
    int max_distance;
    /* 1: query_quality is the PDQ quality (0..100) of the values looked up; their matches are
     * low_quality when it is below the bank's minimum. 0: the query's quality is unknown. */
    int has_query_quality;
    int query_quality;
    /* 1: also return matches in disabled banks and on disabled signals, marked disabled and
     * suppressed (to tell a person "disabled" rather than "no match"). */
    int include_disabled;
} cg_lookup_options;

/* Looks up n_values values of type (each type->bytes long, back to back: e.g. the 8 dihedral
 * variants of a PDQ hash, variant i at values + 32 * i) and appends one cg_match per matching
 * signal (the closest variant when several match), nearest first. opt may be NULL. */
CG_API cg_status cg_matcher_lookup(cg_matcher *m, const cg_signal_type *type,
                                   const uint8_t *values, size_t n_values,
                                   const cg_lookup_options *opt, cg_match_list *out,
                                   cg_error *err);

/* Options of a video lookup. Start from cg_video_match_options_default: the defaults are
 * python-threatexchange's (extensions/vpdq/vpdq_util.py, vpdq_index.py). */
typedef struct cg_video_match_options {
    /* Only these banks (NULL-terminated names); NULL = all. An unknown name is CG_E_NOTFOUND. */
    const char *const *banks;
    /* Frame distance: overrides every bank's "vpdq" threshold when >= 0; -1 = the banks'
     * (default 31, VPDQ_DISTANCE_THRESHOLD; a frame pair matches at distance <= it). */
    int max_distance;
    /* Query frames below this quality are dropped (VPDQ_QUALITY_THRESHOLD, 50). Stored frames
     * are indexed when their quality is >= 50, whatever this says. */
    int quality;
    /* A stored video matches when query_percent >= this (VPDQ_QUERY_MATCH_THRESHOLD_PERCENT,
     * 80) and target_percent >= target_percent (VPDQ_INDEX_MATCH_THRESHOLD_PERCENT, 0). */
    double query_percent;
    double target_percent;
    /* Stop at the first query frame after which some video passes both thresholds, for a
     * policy that needs only a yes/no. The reported percentages are then lower bounds. Ignored
     * (the lookup runs to the end) when an allow bank could match, so that the allow-list
     * still suppresses. Default 0. */
    int early_exit;
} cg_video_match_options;

/* Fills opt with the defaults above (all banks, banks' thresholds, 50, 80 %, 0 %, no early
 * exit). */
CG_API void cg_video_match_options_default(cg_video_match_options *opt);

/* Looks a video up by its n vPDQ frames (vpdq.h; e.g. cg_vpdq_hash_video_file's) against the
 * enabled vpdq signals of the banks: query frames are filtered by quality and de-duplicated,
 * each is searched in the frame index within the threshold, hits are aggregated per stored
 * video, and one cg_match is appended per video that passes both percentages (type "vpdq",
 * distance = best frame distance, query_percent / target_percent set), most-matched first.
 * Allow-list suppression as cg_matcher_lookup. opt NULL = defaults. A query with no frame
 * left after the filter matches nothing (CG_OK). Thread-safe like cg_matcher_lookup. */
CG_API cg_status cg_matcher_lookup_video(cg_matcher *m, const cg_vpdq_frame *frames, size_t n,
                                         const cg_video_match_options *opt, cg_match_list *out,
                                         cg_error *err);

typedef struct cg_matcher_stats {
    uint64_t seq;              /* change-log sequence the snapshot reflects */
    int64_t built_at;          /* unix seconds of the last main-index build */
    uint64_t signals;          /* signals in the snapshot (main + delta additions) */
    uint64_t delta;            /* entries in the delta */
    uint64_t rebuilds;         /* main-index builds since open */
    size_t index_bytes;        /* heap bytes of the indexes */
    cg_index_kind pdq_kind;    /* kind of the main PDQ index */
} cg_matcher_stats;

CG_API void cg_matcher_stats_get(cg_matcher *m, cg_matcher_stats *out);

#ifdef __cplusplus
}
#endif
#endif
