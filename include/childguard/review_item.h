/* childguard: a review item as data — the row the review queue (review.h) keeps in the store.
 *
 * Plain data shared by the store, which keeps the rows (its row operations read and write
 * them), and the review queue above it, which owns what happens to them (add, claim, decide,
 * the two-reviewer rule, their audit records: review.h). The state names are the store's text
 * in the database and the JSON. */
#ifndef CHILDGUARD_REVIEW_ITEM_H
#define CHILDGUARD_REVIEW_ITEM_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "signal.h"
#include "status.h"
#include "tenant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: values are pinned; the text names are used in the database and JSON. */
typedef enum cg_review_state {
    CG_REVIEW_PENDING = 0,        /* "pending": waiting for a reviewer */
    CG_REVIEW_CLAIMED = 1,        /* "claimed": a reviewer is looking at it */
    CG_REVIEW_CONFIRMED = 2,      /* "confirmed": the harm is real */
    CG_REVIEW_FALSE_POSITIVE = 3, /* "false_positive" */
    CG_REVIEW_ESCALATED = 4,      /* "escalated": to a senior reviewer, legal or a hotline */
    CG_REVIEW_STATE_COUNT = 5
} cg_review_state;

CG_API const char *cg_review_state_name(cg_review_state s);
CG_API int cg_review_state_from_name(const char *name);

#define CG_REVIEW_ID_MAX 127      /* content id, e.g. "sha256:<hex>" or "msg:<conv>/<id>" */
#define CG_REVIEW_NAME_MAX 63     /* reviewer, content kind */
#define CG_REVIEW_TEXT_MAX 1023   /* reason, note */
#define CG_REVIEW_MAX_SIGNALS 16

typedef struct cg_review_signal {
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    int quality;                  /* PDQ quality, -1 unknown */
} cg_review_signal;

typedef struct cg_review_item {
    int64_t id;                              /* set by the store */
    char content_id[CG_REVIEW_ID_MAX + 1];
    char kind[CG_REVIEW_NAME_MAX + 1];       /* "image", "file", "message", later "video" */
    char label[CG_BANK_LABEL_MAX + 1];       /* the harm or bank label that queued it */
    int priority;                            /* higher first: 0 normal .. 3 urgent */
    char reason[CG_REVIEW_TEXT_MAX + 1];     /* the fired rules, one per line */
    cg_review_signal signals[CG_REVIEW_MAX_SIGNALS];
    size_t n_signals;
    cg_review_state state;
    char reviewer[CG_REVIEW_NAME_MAX + 1];   /* who claimed / decided, "" none */
    char note[CG_REVIEW_TEXT_MAX + 1];       /* the reviewer's note */
    int64_t created, claimed_at, decided_at; /* unix seconds; 0 = not yet */
    int64_t bank_signal_count;               /* signals a decision added to a bank */
    char bank[CG_BANK_NAME_MAX + 1];         /* the bank a decision fed, "" none */
    int has_preview;
    char tenant[CG_TENANT_MAX + 1];          /* "" when adding: the handle's tenant */
    /* A decision awaiting a second reviewer (see "Two reviewers"); proposed_by "" = none. */
    cg_review_state proposed_state;
    char proposed_by[CG_REVIEW_NAME_MAX + 1];
    char proposed_bank[CG_BANK_NAME_MAX + 1];
    int64_t proposed_at;
    char confirmed_by[CG_REVIEW_NAME_MAX + 1]; /* the second reviewer of a confirmed proposal */
    /* A text excerpt is stored for the item and has not expired (review.h "text excerpts"):
     * cg_review_excerpt_get would hand it out now. Read only: set by the store's reads. */
    int has_excerpt;
} cg_review_item;

typedef struct cg_review_filter {
    int state;                   /* a cg_review_state, or -1 for any */
    const char *label;           /* NULL any */
    const char *reviewer;        /* NULL any */
    size_t limit;                /* 0 = no limit */
} cg_review_filter;

typedef struct cg_review_decision {
    cg_review_state state;       /* confirmed, false_positive or escalated */
    const char *reviewer;
    const char *note;            /* NULL: none */
    /* confirmed: a block bank to add the item's signals to; false_positive: an allow bank.
     * NULL: the banks are not changed. A bank of the wrong kind is CG_E_INVAL. */
    const char *bank;
} cg_review_decision;

#ifdef __cplusplus
}
#endif

#endif
