/* The review queue's rows in SQLite: an item's row and signals, its refresh, and the updates
 * of its state (claim, release, the two-reviewer proposal, the decision), each inside the
 * caller's write transaction. What may change and when (the state machine, the two-reviewer
 * rule, the bank additions, the audit records) is src/review/'s. */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "childguard/review_item.h"
#include "common/error.h"

cg_status cg__sqlite_review_insert(cg_bankdb *db, cg_review_item *item, const char *tenant,
                                   const char *verdict, const uint8_t *preview,
                                   size_t preview_len, int64_t now, cg_error *err)
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
    sqlite3_bind_text(st, 9, tenant, -1, SQLITE_STATIC);
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

cg_status cg__sqlite_review_find_open(cg_bankdb *db, const char *tenant, const char *content_id,
                                      int64_t *id, cg_error *err)
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

cg_status cg__sqlite_review_refresh_row(cg_bankdb *db, int64_t id, const cg_review_item *item,
                                        const char *verdict, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET label = ?1, reason = ?2,"
                           " priority = max(priority, ?3), verdict_json = ?4 WHERE id = ?5",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, item->label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, item->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, item->priority);
    sqlite3_bind_text(st, 4, verdict, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "refreshing review item %lld", (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_state(cg_bankdb *db, int64_t id, cg_review_state *state,
                                  char *reviewer, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int k;

    s = cg__sqlite_review_row(db,
                              "SELECT state, reviewer FROM review_items"
                              " WHERE id = ?1 AND tenant = ?2",
                              id, "reading review item", &st, err);
    if (s != CG_OK)
        return s;
    k = cg_review_state_from_name((const char *)sqlite3_column_text(st, 0));
    if (k < 0 || cg__bankdb_column_text(st, 1, reviewer, CG_REVIEW_NAME_MAX + 1) < 0)
        s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: bad stored state or reviewer",
                     db->path, (long long)id);
    else
        *state = (cg_review_state)k;
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_next_pending(cg_bankdb *db, int64_t *id, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT id FROM review_items WHERE tenant = ?1 AND state = 'pending'"
                           " ORDER BY priority DESC, created, id LIMIT 1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no pending review item", db->path);
    else
        s = cg__bankdb_fail(db, err, rc, "finding the next pending review item");
    sqlite3_finalize(st);
    return s;
}

/* Runs a one-row UPDATE of item id with text/int bindings prepared by the caller. */
static cg_status update_step(cg_bankdb *db, sqlite3_stmt *st, int64_t id, const char *what,
                             cg_error *err)
{
    const int rc = sqlite3_step(st);
    cg_status s = CG_OK;

    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "review item %lld: %s", (long long)id, what);
    else if (sqlite3_changes(cg__sq(db)) != 1)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld vanished while %s", db->path,
                     (long long)id, what);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_claim_row(cg_bankdb *db, int64_t id, const char *reviewer,
                                      int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET state = 'claimed', reviewer = ?2,"
                           " claimed_at = ?3 WHERE id = ?1 AND state = 'pending'",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    return update_step(db, st, id, "claiming", err);
}

cg_status cg__sqlite_review_release_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET state = 'pending', reviewer = '',"
                           " claimed_at = 0 WHERE id = ?1 AND state = 'claimed'",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    return update_step(db, st, id, "releasing", err);
}

cg_status cg__sqlite_review_propose_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                        int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET"
                           " state = CASE state WHEN 'escalated' THEN state ELSE 'pending' END,"
                           " reviewer = CASE state WHEN 'escalated' THEN reviewer ELSE '' END,"
                           " claimed_at = 0, proposed_state = ?2, proposed_by = ?3,"
                           " proposed_bank = ?4, proposed_note = ?5, proposed_at = ?6"
                           " WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg__review_state_names[d->state], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->bank, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->note != NULL ? d->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    return update_step(db, st, id, "recording a proposal", err);
}

cg_status cg__sqlite_review_decide_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                       const char *bank, int64_t added, int confirms,
                                       int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    /* A decision clears any proposal it does not confirm; a confirmation keeps the proposer
     * and names the second reviewer. */
    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET state = ?2, reviewer = ?3, note = ?4,"
                           " decided_at = ?5, bank = ?6, bank_signal_count = ?7,"
                           " confirmed_by = ?8,"
                           " proposed_state = CASE WHEN ?9 THEN proposed_state ELSE '' END,"
                           " proposed_by = CASE WHEN ?9 THEN proposed_by ELSE '' END,"
                           " proposed_bank = CASE WHEN ?9 THEN proposed_bank ELSE '' END,"
                           " proposed_note = CASE WHEN ?9 THEN proposed_note ELSE '' END,"
                           " proposed_at = CASE WHEN ?9 THEN proposed_at ELSE 0 END"
                           " WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg__review_state_names[d->state], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->note != NULL ? d->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, bank, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, added);
    sqlite3_bind_text(st, 8, confirms ? d->reviewer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, confirms);
    return update_step(db, st, id, "deciding", err);
}
