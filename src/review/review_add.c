/* Adding review items (cg_review_add, cg_review_refresh; docs/review.md): a new item (row +
 * signals, optional preview) or the refresh of the open item of the same content, checked here
 * and written through the store's row operations in one transaction with its audit record
 * (review_int.h). */
#include "review/review_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "childguard/tenant.h"
#include "common/error.h"

/* The largest preview accepted: a PGM of 1024 x 1024 (cg_review_preview's largest) plus its
 * header. */
#define REVIEW_PREVIEW_MAX (1024u * 1024u + 64u)

/* What adding and refreshing both check first: arguments, a writable handle, a valid item and
 * verdict. fn names the caller in the NULL-argument message. */
static cg_status check_new_item(cg_bankdb *db, const cg_review_item *item, const char *verdict,
                                const char *fn, cg_error *err)
{
    const char *why;
    cg_status s;

    if (db == NULL || item == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: NULL argument", fn);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    why = cg__review_item_invalid(item);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item \"%.*s\": %s", db->path,
                        CG_REVIEW_ID_MAX, item->content_id, why);
    if (memchr(item->tenant, '\0', sizeof(item->tenant)) == NULL ||
        (item->tenant[0] != '\0' && !cg_tenant_valid(item->tenant)))
        return cg__fail(err, CG_E_INVAL, "%s: review item \"%.*s\": invalid tenant", db->path,
                        CG_REVIEW_ID_MAX, item->content_id);
    return cg__review_verdict_check(db, verdict, err);
}

/* The tenant an item is added or refreshed for: its own, else the handle's. */
static const char *item_tenant(const cg_bankdb *db, const cg_review_item *item)
{
    return item->tenant[0] != '\0' ? item->tenant : cg_bankdb_tenant(db);
}

cg_status cg__review_add(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                         const uint8_t *preview, size_t preview_len, cg_audit *audit,
                         cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    const char *verdict = verdict_json != NULL ? verdict_json : "{}";
    json_t *rec = NULL;
    cg_status s;

    s = check_new_item(db, item, verdict, "cg_review_add", err);
    if (s != CG_OK)
        return s;
    if ((preview == NULL) != (preview_len == 0))
        return cg__fail(err, CG_E_INVAL, "%s: review item \"%s\": preview and its length disagree",
                        db->path, item->content_id);
    if (preview_len > REVIEW_PREVIEW_MAX)
        return cg__fail(err, CG_E_LIMIT,
                        "%s: review item \"%s\": preview of %zu bytes (at most %u)", db->path,
                        item->content_id, preview_len, REVIEW_PREVIEW_MAX);
    if (preview != NULL && (preview_len < 3 || memcmp(preview, "P5", 2) != 0))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review item \"%s\": preview is not a PGM made by cg_review_preview",
                        db->path, item->content_id);

    s = db->ops->begin_write(db, "adding a review item", err);
    if (s != CG_OK)
        return s;
    s = db->ops->review_insert(db, item, item_tenant(db, item), verdict, preview, preview_len,
                               now, err);
    if (s == CG_OK)
        s = cg__review_audit_data(db, audit, item->id,
                       json_pack("{s:s,s:I,s:s,s:s,s:s,s:i,s:I,s:b,s:s}", "action", "add",
                                 "item", (json_int_t)item->id, "content_id", item->content_id,
                                 "kind", item->kind, "label", item->label, "priority",
                                 item->priority, "signals", (json_int_t)item->n_signals,
                                 "preview", preview != NULL, "tenant", item_tenant(db, item)),
                       &rec, err);
    if (s != CG_OK) {
        db->ops->rollback(db);
        item->id = 0;
        return s;
    }
    s = db->ops->commit(db, "adding a review item", err);
    if (s != CG_OK) {
        json_decref(rec);
        item->id = 0;
        return s;
    }
    item->state = CG_REVIEW_PENDING;
    item->created = now;
    item->claimed_at = item->decided_at = 0;
    item->reviewer[0] = item->note[0] = item->bank[0] = '\0';
    item->bank_signal_count = 0;
    item->has_preview = preview != NULL;
    item->has_excerpt = 0; /* cg_review_excerpt_set adds one */
    snprintf(item->tenant, sizeof(item->tenant), "%s", item_tenant(db, item));
    /* Committed: the item exists (its id stands) even if its record cannot be appended. */
    return cg__review_audit_record(db, audit, "childguard", item->id, rec, err);
}

cg_status cg__review_refresh(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                             cg_audit *audit, cg_error *err)
{
    const char *verdict = verdict_json != NULL ? verdict_json : "{}";
    json_t *rec = NULL;
    int64_t id = 0;
    cg_status s;

    s = check_new_item(db, item, verdict, "cg_review_refresh", err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "refreshing a review item", err);
    if (s != CG_OK)
        return s;
    s = db->ops->review_find_open(db, item_tenant(db, item), item->content_id, &id, err);
    if (s == CG_OK && id == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no open review item for \"%s\"", db->path,
                     item->content_id);
    if (s == CG_OK)
        s = db->ops->review_refresh_row(db, id, item, verdict, err);
    if (s == CG_OK)
        s = cg__review_audit_data(db, audit, id,
                       json_pack("{s:s,s:I,s:s,s:s,s:i}", "action", "refresh", "item",
                                 (json_int_t)id, "content_id", item->content_id, "label",
                                 item->label, "priority", item->priority),
                       &rec, err);
    if (s == CG_OK)
        item->id = id;
    return cg__review_finish(db, s, "refreshing a review item", audit, "childguard", id, rec, err);
}

