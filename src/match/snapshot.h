/* Internal: one immutable view of the banks for lookups: per signal type a main index (shared
 * between snapshots, built from the whole database) and a delta (the signals changed since the
 * main index was built: live ones indexed, and the ids of every changed signal, which supersede
 * the main index's entries). Snapshots are reference-counted; nothing in one changes after it is
 * published, so lookups need no lock. */
#ifndef CG_MATCH_SNAPSHOT_H
#define CG_MATCH_SNAPSHOT_H

#include <stdatomic.h>
#include <stdint.h>

#include "childguard/bank.h"
#include "childguard/index.h"
#include "childguard/matcher.h"
#include "childguard/vpdq_bank.h"

#define CG__MAX_TYPES 8

/* What a lookup needs of a stored signal without going to the database. */
typedef struct cg__entry {
    int64_t signal_id;
    int64_t disabled_until;
    int64_t bank_id;
    int quality;
} cg__entry;

/* The signals of one type, indexed: the index's ids are positions in entries. */
typedef struct cg__part {
    cg_pdq_index *pdq;      /* distance types (pdq) */
    cg_exact_index *exact;  /* exact types (md5, sha256) */
    cg__entry *entries;
    uint8_t *values;        /* only while building: the index keeps its own copy */
    size_t n;
} cg__part;

/* The frames of the vpdq signals of a main index (the signals themselves are the entries of
 * the vpdq part, in signal id order). Only frames of quality >= 50 are indexed, each distinct
 * hash once per video (python-threatexchange's VPDQIndex does the same). Frames of a signal
 * never change (its value is their identity), so a change to a vpdq signal (disable, enable,
 * merge, bank) supersedes the entry's metadata and keeps these frames; a new vpdq signal is
 * not in the delta: the matcher rebuilds the main index for it (matcher.c). */
typedef struct cg__videos {
    cg_pdq_index *frames;   /* ids are frame slots */
    uint32_t *owner;        /* slot -> video (index into the vpdq part's entries) */
    uint32_t *count;        /* video -> frames indexed */
    size_t n_frames;
} cg__videos;

typedef struct cg__main {
    atomic_long refs;
    int64_t seq;            /* change-log sequence it reflects */
    int64_t built_at;
    cg__part parts[CG__MAX_TYPES];
    cg__videos videos;
} cg__main;

/* A changed signal, as the delta remembers it: type_index -1 means deleted. */
typedef struct cg__change {
    cg__entry entry;
    int type_index;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
} cg__change;

typedef struct cg__snapshot {
    atomic_long refs;
    int64_t seq;
    cg__main *main;
    cg__change *changes;    /* sorted by signal id, one per id */
    size_t n_changes;
    cg__part delta[CG__MAX_TYPES];
    cg_bank *banks;         /* sorted by id */
    size_t n_banks;
} cg__snapshot;

/* Builds a main index from every signal in db (seq is read before, so the delta built on it
 * replays anything committed during the read). */
cg_status cg__main_build(cg_bankdb *db, cg_index_kind kind, cg__main **out, cg_error *err);
void cg__main_release(cg__main *m);

/* A new snapshot on main (a reference is taken) with the given changes (sorted, unique ids;
 * ownership passes to the snapshot, also on failure) and banks (copied). */
cg_status cg__snapshot_new(cg__main *main, int64_t seq, cg__change *changes, size_t n_changes,
                           const cg_bank *banks, size_t n_banks, cg__snapshot **out,
                           cg_error *err);
void cg__snapshot_release(cg__snapshot *s);

/* Position of t in the signal-type table (the index into parts), or -1. */
int cg__type_index(const cg_signal_type *t);

/* Position of "vpdq" in the signal-type table. */
int cg__vpdq_type_index(void);

/* 1 when main has the vpdq signal id among its videos. */
int cg__main_has_video(const cg__main *m, int64_t signal_id);

/* Reads every bank of db into a new array sorted by id. */
cg_status cg__banks_load(cg_bankdb *db, cg_bank **out, size_t *n, cg_error *err);

/* The lookup on one snapshot (matcher.h: cg_matcher_lookup); fills all but the fields that need
 * the database (external_id, source). */
cg_status cg__snapshot_lookup(const cg__snapshot *s, const cg_signal_type *type,
                              const uint8_t *values, size_t n_values,
                              const cg_lookup_options *opt, cg_match_list *out, cg_error *err);

/* The video lookup on one snapshot (matcher.h: cg_matcher_lookup_video), opt not NULL. */
cg_status cg__snapshot_lookup_video(const cg__snapshot *s, const cg_vpdq_frame *frames, size_t n,
                                    const cg_video_match_options *opt, cg_match_list *out,
                                    cg_error *err);

#endif
