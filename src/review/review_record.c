/* Audit records of review changes (docs/review.md; review_int.h): the record is built before
 * the commit (so running out of memory rolls the change back) and appended after it, so the log
 * never claims a change that did not land; if the append fails after the commit, the caller
 * gets CG_E_IO saying the change "committed but not audited". */
#include "review/review_int.h"

#include <stdio.h>

#include "common/error.h"
#include "store/store_audit.h"

/* Appends one "review" record for item id after its change committed; data is stolen (NULL:
 * no change, no record). A failure is CG_E_IO naming the committed change. */
cg_status cg__review_audit_record(cg_bankdb *db, cg_audit *audit, const char *actor,
                                         int64_t id, json_t *data, cg_error *err)
{
    char subject[32], what[48];

    snprintf(subject, sizeof(subject), "review:%lld", (long long)id);
    snprintf(what, sizeof(what), "review item %lld", (long long)id);
    return cg__store_audit_committed(db, audit, "review", actor, subject, what, data, err);
}

/* The record of a change, built before the commit: NULL from json_pack (out of memory, or text
 * that is not UTF-8) fails the change instead of losing its record. */
cg_status cg__review_audit_data(cg_bankdb *db, cg_audit *audit, int64_t id, json_t *data,
                                       json_t **out, cg_error *err)
{
    *out = NULL;
    if (audit == NULL) {
        json_decref(data);
        return CG_OK;
    }
    if (data == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (audit record)",
                        db->path, (long long)id);
    *out = data;
    return CG_OK;
}

/* Ends a state change: commit and then append its record on success; rollback otherwise. */
cg_status cg__review_finish(cg_bankdb *db, cg_status s, const char *what, cg_audit *audit,
                                   const char *actor, int64_t id, json_t *rec, cg_error *err)
{
    /* A handle that names its own actor (the HTTP service: the API key) records the change
     * under it, and the reviewer whose decision it is in the record. */
    if (s == CG_OK && rec != NULL && db->review_actor[0] != '\0') {
        if (json_object_set_new(rec, "reviewer", json_string(actor)) != 0)
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (audit record)",
                         db->path, (long long)id);
        actor = db->review_actor;
    }
    if (s == CG_OK)
        s = db->ops->commit(db, what, err); /* rolls back itself when it fails */
    else
        db->ops->rollback(db);
    if (s != CG_OK) {
        json_decref(rec);
        return s;
    }
    return cg__review_audit_record(db, audit, actor, id, rec, err);
}

