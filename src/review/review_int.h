/* Internal: the review layer's changes over the store's row operations (store_ops.h), shared by
 * review_add.c (add, refresh), review_decide.c (claim, release, decide, the two-reviewer
 * proposal) and review_record.c (their audit records).
 *
 * Every change is one write transaction of the store: the write lock is taken before the item
 * is read (begin_write), so two processes claiming the same item are serialised and the second
 * sees the first's claim (CG_E_BUSY). Audit records are built before the commit (so running
 * out of memory rolls the change back) and appended after it, so the log never claims a change
 * that did not land; if the append fails after the commit, the caller gets CG_E_IO saying the
 * change "committed but not audited". */
#ifndef CG_REVIEW_REVIEW_INT_H
#define CG_REVIEW_REVIEW_INT_H

#include <stdint.h>

#include <jansson.h>

#include "childguard/review.h"
#include "store/store_int.h"

/* The record of a change, built before the commit: NULL data (out of memory, or text that is
 * not UTF-8) fails the change instead of losing its record; *out is the record to append after
 * the commit (NULL: audit is NULL, nothing to record). data is stolen. */
cg_status cg__review_audit_data(cg_bankdb *db, cg_audit *audit, int64_t id, json_t *data,
                                json_t **out, cg_error *err);
/* Appends one "review" record for item id after its change committed; data is stolen (NULL:
 * no change, no record). A failure is CG_E_IO naming the committed change. */
cg_status cg__review_audit_record(cg_bankdb *db, cg_audit *audit, const char *actor, int64_t id,
                                  json_t *data, cg_error *err);
/* Ends a state change of item id: commits and then appends rec (stolen) on success; rolls back
 * otherwise. actor is the reviewer whose change it is. */
cg_status cg__review_finish(cg_bankdb *db, cg_status s, const char *what, cg_audit *audit,
                            const char *actor, int64_t id, json_t *rec, cg_error *err);

/* The state changes behind cg_review_claim, cg_review_release and cg_review_decide_outcome
 * (db checked non-NULL). */
cg_status cg__review_claim(cg_bankdb *db, int64_t id, const char *reviewer, int64_t *claimed_id,
                           cg_audit *audit, cg_error *err);
cg_status cg__review_release(cg_bankdb *db, int64_t id, const char *reviewer, cg_audit *audit,
                             cg_error *err);
cg_status cg__review_decide(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                            cg_audit *audit, cg_review_outcome *outcome, cg_error *err);
/* cg_review_add and cg_review_refresh (db checked non-NULL). */
cg_status cg__review_add(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                         const uint8_t *preview, size_t preview_len, cg_audit *audit,
                         cg_error *err);
cg_status cg__review_refresh(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                             cg_audit *audit, cg_error *err);

#endif
