/* childguard: the exchange feedback queue (docs/exchange.md, "Feedback").
 *
 * When a reviewer confirms, or marks as a false positive, a review item whose verdict matched a
 * signal that an exchange put in its bank (exchange_store.h, provenance), one feedback row per
 * (exchange, entry) is written in the same transaction as the decision (review.h). A row holds
 * only ids and the matched hash: the exchange record's key, member and entry id, the signal's
 * type and value, the verdict, an optional reason id, never the content, the reviewer's note
 * or anything of the verdict besides that. A row is pending until the exchange's driver
 * delivered it (sent) or the deliverer gave it up (failed); the deliverer is
 * cg_exchange_feedback_run (exchange.h), which retries with back-off.
 *
 * One row per (exchange, review item, record key): deciding an item enqueues each entry once,
 * however many of its hashes matched. Feedback added by hand (cg_exchange_feedback_add) has no
 * review item. Rows belong to their exchange and so to its tenant; deleting the exchange
 * deletes them.
 *
 * Threading: like cg_bankdb, one thread at a time per handle. */
#ifndef CHILDGUARD_EXCHANGE_FEEDBACK_H
#define CHILDGUARD_EXCHANGE_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "signal.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The verdicts (the same values as exchange.h's cg_exchange_verdict). */
#define CG_EXCHANGE_FB_CONFIRMED 0
#define CG_EXCHANGE_FB_FALSE_POSITIVE 1

/* A reason id: 1-64 characters of [A-Za-z0-9_.:-] (an NCMEC reason GUID). Free text is refused,
 * so that nothing a person wrote leaves with the feedback. */
#define CG_EXCHANGE_FB_REASON_MAX 64
#define CG_EXCHANGE_FB_ERROR_MAX 512

typedef enum cg_exchange_fb_state {
    CG_EXCHANGE_FB_PENDING = 0, /* waiting for (another) delivery attempt */
    CG_EXCHANGE_FB_SENT = 1,    /* the exchange accepted it */
    CG_EXCHANGE_FB_FAILED = 2   /* given up: attempts exhausted, or the exchange cannot take it */
} cg_exchange_fb_state;

/* One queued feedback row. */
typedef struct cg_exchange_feedback_item {
    int64_t id;
    int64_t exchange_id;
    char exchange[CG_BANK_NAME_MAX + 1];    /* the exchange's name */
    int64_t review_item;                    /* the decided review item, 0: added by hand */
    char key[CG_BANK_FIELD_MAX + 1];        /* the exchange record's key (exchange.h) */
    char member[CG_BANK_FIELD_MAX + 1];
    char entry_id[CG_BANK_FIELD_MAX + 1];
    const cg_signal_type *type;             /* the matched hash's type, NULL: none kept */
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    int verdict;                            /* CG_EXCHANGE_FB_* */
    char reason[CG_EXCHANGE_FB_REASON_MAX + 1]; /* "" none */
    char actor[160];                        /* who decided (kept here, never sent) */
    int64_t created;
    cg_exchange_fb_state state;
    int attempts;                           /* failed attempts so far */
    int64_t next_attempt;                   /* due when <= now (pending rows) */
    int64_t finished;                       /* when it was sent or given up, 0 pending */
    char last_error[CG_EXCHANGE_FB_ERROR_MAX + 1];
} cg_exchange_feedback_item;

/* 1 when s is a valid reason id (see CG_EXCHANGE_FB_REASON_MAX); NULL and "" are valid (none). */
CG_API int cg_exchange_feedback_reason_valid(const char *s);

/* Queues feedback by hand on the record key of the handle's tenant's exchange name (the key as
 * `childguard exchange show` or the provenance lists it), for verdict (CG_EXCHANGE_FB_*) with
 * an optional reason id, decided by actor (may be NULL). *id (may be NULL) gets the row id.
 * CG_E_NOTFOUND when the exchange or the key is unknown; CG_E_INVAL for a bad verdict or
 * reason. Committed when it returns. */
CG_API cg_status cg_exchange_feedback_add(cg_bankdb *db, const char *name, const char *key,
                                          int verdict, const char *reason, const char *actor,
                                          int64_t *id, cg_error *err);

/* Which rows cg_exchange_feedback_list visits. */
typedef enum cg_exchange_fb_filter {
    CG_EXCHANGE_FB_ALL = 0,
    CG_EXCHANGE_FB_ONLY_PENDING = 1,
    CG_EXCHANGE_FB_ONLY_SENT = 2,
    CG_EXCHANGE_FB_ONLY_FAILED = 3,
    CG_EXCHANGE_FB_DUE = 4 /* pending with next_attempt <= now */
} cg_exchange_fb_filter;

/* Calls fn for the rows of the handle's tenant's exchange name (NULL: all its exchanges) that
 * pass filter, oldest first, at most limit (0: all); non-zero from fn stops. now is used by
 * CG_EXCHANGE_FB_DUE. Do not write to db from fn (collect, then act). */
CG_API cg_status cg_exchange_feedback_list(cg_bankdb *db, const char *name,
                                           cg_exchange_fb_filter filter, int64_t now, int limit,
                                           int (*fn)(const cg_exchange_feedback_item *it,
                                                     void *ud),
                                           void *ud, cg_error *err);

/* Counts the rows of name (NULL: all the tenant's exchanges) per state; out-params may be NULL. */
CG_API cg_status cg_exchange_feedback_counts(cg_bankdb *db, const char *name, int64_t *pending,
                                             int64_t *sent, int64_t *failed, cg_error *err);

/* Records the outcome of a delivery attempt of pending row id (committed):
 * CG_EXCHANGE_FB_SENT (finished = now), CG_EXCHANGE_FB_PENDING (attempts + 1, last_error,
 * due again at next_attempt) or CG_EXCHANGE_FB_FAILED (attempts + 1, last_error, finished =
 * now; never due again). CG_E_NOTFOUND when id is not a pending row. error may be NULL. */
CG_API cg_status cg_exchange_feedback_mark(cg_bankdb *db, int64_t id, cg_exchange_fb_state to,
                                           int64_t now, int64_t next_attempt, const char *error,
                                           cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
