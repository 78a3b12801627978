/* The human review queue (include/childguard/review.h, docs/review.md): the public cg_review_*
 * functions over the store (src/store/store_ops.h), the reviewer identity of a handle, and the
 * two-reviewer rule.
 *
 * Items live in the store beside the banks, so a decision and the bank additions it makes are
 * one transaction of the store: review_add.c and review_decide.c drive the store's row
 * operations (src/store/store_ops.h) inside the transactions they open, review_record.c writes
 * their audit records. No content bytes are stored: the verdict is hashes, matches and spans,
 * and the preview (quarantine only) is the blurred greyscale image cg_review_preview made
 * (review_preview.c). The stored state names and
 * the checks of what may be written are the store's (src/store/review_rows.c); the rule of who
 * must agree before content is allow-listed is this layer's (review_decide.c). */
#include "review/review_int.h"

#include <string.h>

#include <jansson.h>

#include "childguard/review.h"
#include "common/error.h"

/* The label whose allow-listing needs two reviewers. */
#define TWO_REVIEWER_LABEL "csam"

cg_status cg_review_set_actor(cg_bankdb *db, const char *actor, unsigned rights, cg_error *err)
{
    size_t n;

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_set_actor: db is NULL");
    if (actor == NULL)
        actor = "";
    n = strnlen(actor, sizeof(db->review_actor));
    if (n >= sizeof(db->review_actor) || !cg__utf8_valid(actor, n))
        return cg__fail(err, CG_E_INVAL, "%s: review actor longer than %zu bytes or not UTF-8",
                        db->path, sizeof(db->review_actor) - 1);
    memcpy(db->review_actor, actor, n + 1);
    db->review_rights = rights;
    db->review_rights_set = 1;
    return CG_OK;
}

int cg_review_needs_two(const cg_review_item *item, const char *verdict_json)
{
    json_t *v, *matches, *m;
    size_t i;
    int hit = 0;

    if (item == NULL)
        return 0;
    if (strcmp(item->label, TWO_REVIEWER_LABEL) == 0)
        return 1;
    if (verdict_json == NULL)
        return 0;
    v = json_loads(verdict_json, 0, NULL);
    matches = json_object_get(v, "matches");
    json_array_foreach(matches, i, m) {
        const char *label = json_string_value(json_object_get(m, "label"));
        const char *kind = json_string_value(json_object_get(m, "kind"));

        if (label != NULL && kind != NULL && strcmp(kind, "block") == 0 &&
            strcmp(label, TWO_REVIEWER_LABEL) == 0)
            hit = 1;
    }
    json_decref(v);
    return hit;
}

/* Records d as a proposal awaiting a second reviewer: the item goes back to pending (an
 * escalated one stays escalated, so that a senior reviewer confirms it). */
cg_status cg_review_add(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                        const uint8_t *preview, size_t preview_len, cg_audit *audit,
                        cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_add: db is NULL");
    return cg__review_add(db, item, verdict_json, preview, preview_len, audit, err);
}

cg_status cg_review_refresh(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                            cg_audit *audit, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_refresh: db is NULL");
    return cg__review_refresh(db, item, verdict_json, audit, err);
}

cg_status cg_review_get(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict_json,
                        cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        if (verdict_json != NULL)
            *verdict_json = NULL;
        return cg__fail(err, CG_E_INVAL, "cg_review_get: db is NULL");
    }
    return db->ops->review_get(db, id, out, verdict_json, err);
}

cg_status cg_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                cg_error *err)
{
    if (db == NULL) {
        if (data != NULL)
            *data = NULL;
        if (len != NULL)
            *len = 0;
        return cg__fail(err, CG_E_INVAL, "cg_review_preview_get: db is NULL");
    }
    return db->ops->review_preview_get(db, id, data, len, err);
}

cg_status cg_review_list(cg_bankdb *db, const cg_review_filter *filter,
                         int (*fn)(const cg_review_item *item, void *ud), void *ud, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_list: db is NULL");
    return db->ops->review_list(db, filter, fn, ud, err);
}

cg_status cg_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT], cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
        return cg__fail(err, CG_E_INVAL, "cg_review_counts: db is NULL");
    }
    return db->ops->review_counts(db, out, err);
}

cg_status cg_review_claim(cg_bankdb *db, int64_t id, const char *reviewer, int64_t *claimed_id,
                          cg_audit *audit, cg_error *err)
{
    if (db == NULL) {
        if (claimed_id != NULL)
            *claimed_id = 0;
        return cg__fail(err, CG_E_INVAL, "cg_review_claim: db is NULL");
    }
    return cg__review_claim(db, id, reviewer, claimed_id, audit, err);
}

cg_status cg_review_release(cg_bankdb *db, int64_t id, const char *reviewer, cg_audit *audit,
                            cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_release: db is NULL");
    return cg__review_release(db, id, reviewer, audit, err);
}

cg_status cg_review_decide_outcome(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                   cg_audit *audit, cg_review_outcome *outcome, cg_error *err)
{
    if (outcome != NULL)
        memset(outcome, 0, sizeof(*outcome));
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_decide: db is NULL");
    return cg__review_decide(db, id, d, audit, outcome, err);
}

cg_status cg_review_decide(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                           cg_audit *audit, cg_error *err)
{
    return cg_review_decide_outcome(db, id, d, audit, NULL, err);
}
