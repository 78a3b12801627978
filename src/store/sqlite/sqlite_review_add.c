/* Adding review items to SQLite: a new item (row + signals, optional preview) or the refresh of
 * the open item of the same content. */
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "store/store_audit.h"
#include "childguard/review.h"
#include "childguard/tenant.h"
#include "common/alloc.h"
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

/* Inserts the item row and its signals inside the caller's transaction. */
static cg_status item_insert(cg_bankdb *db, cg_review_item *item, const char *verdict,
                             const uint8_t *preview, size_t preview_len, int64_t now,
                             cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO review_items(content_id, kind, label, priority, reason,"
                           " state, created, verdict_json, preview, tenant)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?9)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, item->content_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, item->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, item->label, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, item->priority);
    sqlite3_bind_text(st, 5, item->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_text(st, 7, verdict, -1, SQLITE_STATIC);
    if (preview != NULL)
        sqlite3_bind_blob(st, 8, preview, (int)preview_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_text(st, 9, item_tenant(db, item), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "adding review item for \"%s\"", item->content_id);
    else
        item->id = sqlite3_last_insert_rowid(cg__sq(db));
    sqlite3_finalize(st);
    if (s != CG_OK || item->n_signals == 0)
        return s;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO review_signals(item_id, seq, signal_type, value, quality)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                           &st, err);
    if (s != CG_OK)
        return s;
    for (size_t i = 0; i < item->n_signals && s == CG_OK; i++) {
        const cg_review_signal *sg = &item->signals[i];

        sqlite3_bind_int64(st, 1, item->id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_text(st, 3, sg->type->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, sg->value, (int)sg->type->bytes, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, sg->quality);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = cg__bankdb_fail(db, err, rc, "review item %lld: adding signal %zu",
                                (long long)item->id, i);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_add(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
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

    s = cg__bankdb_begin_write(db, "adding a review item", err);
    if (s != CG_OK)
        return s;
    s = item_insert(db, item, verdict, preview, preview_len, now, err);
    if (s == CG_OK)
        s = cg__sqlite_review_audit_data(db, audit, item->id,
                       json_pack("{s:s,s:I,s:s,s:s,s:s,s:i,s:I,s:b,s:s}", "action", "add",
                                 "item", (json_int_t)item->id, "content_id", item->content_id,
                                 "kind", item->kind, "label", item->label, "priority",
                                 item->priority, "signals", (json_int_t)item->n_signals,
                                 "preview", preview != NULL, "tenant", item_tenant(db, item)),
                       &rec, err);
    if (s != CG_OK) {
        cg__bankdb_rollback(db);
        item->id = 0;
        return s;
    }
    s = cg__bankdb_commit(db, "adding a review item", err);
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
    snprintf(item->tenant, sizeof(item->tenant), "%s", item_tenant(db, item));
    /* Committed: the item exists (its id stands) even if its record cannot be appended. */
    return cg__sqlite_review_audit_record(db, audit, "childguard", item->id, rec, err);
}

/* The newest open (pending or claimed) item for content_id inside the caller's transaction;
 * *id = 0 when there is none. */
static cg_status find_open(cg_bankdb *db, const char *tenant, const char *content_id, int64_t *id,
                           cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *id = 0;
    s = cg__bankdb_prepare(db,
                           "SELECT id FROM review_items WHERE tenant = ?2 AND content_id = ?1"
                           " AND state IN ('pending', 'claimed') ORDER BY id DESC LIMIT 1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, content_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "looking up review items of \"%s\"", content_id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_refresh(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                                    cg_audit *audit, cg_error *err)
{
    const char *verdict = verdict_json != NULL ? verdict_json : "{}";
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL;
    int64_t id = 0;
    cg_status s;
    int rc;

    s = check_new_item(db, item, verdict, "cg_review_refresh", err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "refreshing a review item", err);
    if (s != CG_OK)
        return s;
    s = find_open(db, item_tenant(db, item), item->content_id, &id, err);
    if (s == CG_OK && id == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no open review item for \"%s\"", db->path,
                     item->content_id);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db,
                               "UPDATE review_items SET label = ?1, reason = ?2,"
                               " priority = max(priority, ?3), verdict_json = ?4 WHERE id = ?5",
                               &st, err);
    if (s == CG_OK) {
        sqlite3_bind_text(st, 1, item->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, item->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, item->priority);
        sqlite3_bind_text(st, 4, verdict, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, id);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = cg__bankdb_fail(db, err, rc, "refreshing review item %lld", (long long)id);
        sqlite3_finalize(st);
    }
    if (s == CG_OK)
        s = cg__sqlite_review_audit_data(db, audit, id,
                       json_pack("{s:s,s:I,s:s,s:s,s:i}", "action", "refresh", "item",
                                 (json_int_t)id, "content_id", item->content_id, "label",
                                 item->label, "priority", item->priority),
                       &rec, err);
    if (s == CG_OK)
        item->id = id;
    return cg__sqlite_review_finish(db, s, "refreshing a review item", audit, "childguard", id, rec,
                                    err);
}

