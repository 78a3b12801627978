/* childguard: the human review queue, kept in the bank database beside the banks.
 *
 * A verdict whose decision holds queue_review becomes a review item: the content's id, its
 * signals (hashes), the verdict as JSON (hashes, matches, text risks and evidence spans — never
 * content bytes or message text), the reasons (the policy rules that fired) and, only when an
 * operator turned quarantine on, a blurred greyscale preview. Reviewers list, claim and decide
 * items; a decision can feed the banks: a confirmed item adds its signals to a block bank, a
 * false positive adds them to an allow bank (the feedback loop hotlines ask for).
 *
 * Every change (add, claim, release, decide) is written with the reviewer and the time; when an
 * audit log is given, one audit record per change is appended (kind "review").
 *
 * Tenants (tenant.h): an item belongs to the tenant of the handle that added it; every call
 * reads and changes only the items of the handle's current tenant (another tenant's item is
 * CG_E_NOTFOUND, exactly as a missing one).
 *
 * Who acts (cg_review_set_actor): the reviewer names the person whose decision it is; the
 * handle may name a different audit actor (the HTTP service names the API key, and an admin key
 * acting for a reviewer is recorded as both) and may lack the senior right needed to decide
 * escalated items. A new handle acts with every right, as the reviewer (the command line).
 *
 * Two reviewers: a false-positive decision that would add the signals of an item to an allow
 * bank, when the item holds a block match labelled "csam" (or is labelled "csam"), is an
 * irreversible change to what is blocked; the first reviewer's decision is recorded as a
 * proposal and the item returns to the queue (pending; an escalated item stays escalated); it
 * takes effect when a second, different reviewer
 * makes the same decision (same bank). A different decision by anyone replaces the proposal.
 *
 * The rows themselves (cg_review_item, its states, a filter, a decision) are plain data in
 * review_item.h, which the store that keeps them shares.
 *
 * Threading: like cg_bankdb, a handle is used by one thread at a time; any number of processes
 * may use the same database (SQLite locking; claims are atomic, so two reviewers never claim
 * the same item). */
#ifndef CHILDGUARD_REVIEW_H
#define CHILDGUARD_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "bank.h"
#include "export.h"
#include "review_item.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rights of whoever acts through a handle (cg_review_set_actor). */
enum {
    CG_REVIEW_RIGHT_SENIOR = 1 << 0 /* may decide escalated items */
};

/* Names who acts on the review queue through db from now on. actor: the audit actor of review
 * records (UTF-8, at most 159 bytes; NULL or "": the reviewer's name, as before); when it is
 * set, each record also names the reviewer. rights: CG_REVIEW_RIGHT_* bits. */
CG_API cg_status cg_review_set_actor(cg_bankdb *db, const char *actor, unsigned rights,
                                     cg_error *err);

/* 1 when the two-reviewer rule applies to a false-positive decision feeding an allow bank for
 * this item (its label, or its verdict's block matches, say "csam"). verdict_json may be NULL. */
CG_API int cg_review_needs_two(const cg_review_item *item, const char *verdict_json);

/* Adds an item (id, state = pending and created are set). verdict_json: the verdict as JSON
 * text (kept as is, must be a JSON object; NULL gives {}). preview: an image the library made
 * with cg_review_preview (NULL, 0: none). audit may be NULL. */
CG_API cg_status cg_review_add(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                               const uint8_t *preview, size_t preview_len, cg_audit *audit,
                               cg_error *err);

/* Refreshes the open item (pending or claimed) for item->content_id with a newer verdict: its
 * verdict JSON, reason and label are replaced and its priority raised to item->priority when
 * higher; item->id receives its id. One item per conversation or per repeatedly uploaded file,
 * not one per message or upload. CG_E_NOTFOUND when there is no open item (then add one). */
CG_API cg_status cg_review_refresh(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                                   cg_audit *audit, cg_error *err);

/* Reads item id; *verdict_json (may be NULL) receives a copy freed with cg_free.
 * CG_E_NOTFOUND when there is no such item. */
CG_API cg_status cg_review_get(cg_bankdb *db, int64_t id, cg_review_item *out,
                               char **verdict_json, cg_error *err);

/* Copies item id's preview (cg_free) or CG_E_NOTFOUND when it has none. */
CG_API cg_status cg_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                       cg_error *err);

/* Calls fn for every item that passes filter (NULL: all), highest priority first, then oldest
 * first; a non-zero return from fn stops. */
CG_API cg_status cg_review_list(cg_bankdb *db, const cg_review_filter *filter,
                                int (*fn)(const cg_review_item *item, void *ud), void *ud,
                                cg_error *err);

/* Counts per state (out[CG_REVIEW_STATE_COUNT]). */
CG_API cg_status cg_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT],
                                  cg_error *err);

/* Claims a pending item for reviewer (id < 0: the next pending one by priority and age; its
 * id is written to *claimed_id). CG_E_BUSY when another reviewer holds it, CG_E_INVAL when it
 * is already decided, CG_E_NOTFOUND when there is none. Claiming one's own claimed item again is
 * fine. */
CG_API cg_status cg_review_claim(cg_bankdb *db, int64_t id, const char *reviewer,
                                 int64_t *claimed_id, cg_audit *audit, cg_error *err);

/* Gives a claimed item back to the queue. */
CG_API cg_status cg_review_release(cg_bankdb *db, int64_t id, const char *reviewer,
                                   cg_audit *audit, cg_error *err);

/* What a decision did to its bank (cg_review_decide_outcome). */
typedef struct cg_review_outcome {
    int64_t added;               /* signals new to the bank */
    size_t skipped_low_quality;  /* PDQ hashes below the bank's minimum quality: not added */
    int min_quality;             /* that minimum (0: no bank was fed) */
    char note[256];              /* one line for a person on what was left out, "" none */
} cg_review_outcome;

/* Decides item id. The item must be pending or claimed by the same reviewer (else CG_E_BUSY),
 * or escalated (a senior reviewer decides it again: without CG_REVIEW_RIGHT_SENIOR on the handle
 * it is CG_E_BUSY). The decision and the bank additions are one transaction: the signals are
 * added with source "review", external id "review:<id>" and the note. A PDQ hash whose quality
 * is below the bank's minimum (cg_bank_pdq_min_quality) is left out (it would match unrelated
 * images and is never acted on); the exact hashes still go in, and the audit record
 * ("skipped_low_quality") says what was left out. A decision the two-reviewer rule covers is
 * recorded as a proposal (the item is pending again, or still escalated, proposed_* set, no bank
 * changed; CG_OK); the same decision by a second reviewer then takes effect (the proposer
 * deciding it again is CG_E_BUSY). */
CG_API cg_status cg_review_decide(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                  cg_audit *audit, cg_error *err);
/* cg_review_decide, also filling *outcome (may be NULL) on success: what the bank got and a
 * note on what was left out, for the person deciding. */
CG_API cg_status cg_review_decide_outcome(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                          cg_audit *audit, cg_review_outcome *outcome,
                                          cg_error *err);

/* ---- text excerpts (text quarantine only; docs/review.md "Text excerpts") ------------------
 * When the policy turns text quarantine on (policy.h, cg_policy_text_quarantine), the review item
 * of a conversation keeps an excerpt: the messages that hold its evidence, capped, as JSON:
 *   {"version": 1, "conversation": "...", "offsets": "utf8_bytes",
 *    "messages": [{"id": "...", "sender": "...", "ts_ms": 0, "text": "...", "truncated": false,
 *                  "spans": [{"start": 0, "end": 5, "harm": "grooming", "facet": "meeting",
 *                             "cue": "..."}]}]}
 * span offsets are UTF-8 byte offsets into that message's text, on character boundaries. Nothing
 * else is stored of a message. An excerpt has an expiry: after it, it is never handed out, and
 * the next excerpt written (or cg_review_excerpt_purge) deletes it. Deciding an item keeps its
 * excerpt until then, as previews are kept. */
#define CG_REVIEW_EXCERPT_MAX (256 * 1024)   /* bytes of excerpt JSON */
#define CG_REVIEW_EXCERPT_MESSAGES_MAX 32
#define CG_REVIEW_EXCERPT_TEXT_MAX 65536     /* message text bytes, all messages together */
#define CG_REVIEW_EXCERPT_SPANS_MAX 64       /* per message */

/* Replaces item id's excerpt with the len bytes of JSON at excerpt (checked: the shape above,
 * valid UTF-8, within the caps; CG_E_INVAL / CG_E_LIMIT naming what is wrong), kept until
 * expires (unix seconds, after now). Excerpts already expired are purged in the same
 * transaction. One "review" audit record {"action": "excerpt", messages, bytes, expires}. The
 * item must be the handle's tenant's (else CG_E_NOTFOUND). */
CG_API cg_status cg_review_excerpt_set(cg_bankdb *db, int64_t id, const char *excerpt, size_t len,
                                       int64_t expires, cg_audit *audit, cg_error *err);
/* Copies item id's excerpt (*excerpt NUL-terminated, cg_free; *len its bytes; expires may be
 * NULL). CG_E_NOTFOUND when the item is not the handle's tenant's, has no excerpt, or its
 * excerpt has expired. The caller audits whom it shows it to. */
CG_API cg_status cg_review_excerpt_get(cg_bankdb *db, int64_t id, char **excerpt, size_t *len,
                                       int64_t *expires, cg_error *err);
/* Deletes every excerpt (of every tenant) expired at now; *removed (may be NULL) counts them. */
CG_API cg_status cg_review_excerpt_purge(cg_bankdb *db, int64_t now, int64_t *removed,
                                         cg_error *err);

/* ---- previews (quarantine only) ---------------------------------------------------------
 * A reviewer-safe preview of an image: greyscale, downscaled so the longer side is at most
 * max_side (0: 256) and blurred with a box blur of radius blur_radius (0: max_side / 16; -1: no
 * blur, for operators who must see detail), encoded as PGM (portable greymap). The result is
 * freed with cg_free. */
CG_API cg_status cg_review_preview(const uint8_t *rgb, int width, int height, int channels,
                                   int max_side, int blur_radius, uint8_t **out, size_t *out_len,
                                   cg_error *err);

#ifdef __cplusplus
}
#endif

#endif
