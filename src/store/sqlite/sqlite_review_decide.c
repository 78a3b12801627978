/* Review state changes in SQLite: claim, release, decide (with the bank additions a decision
 * makes and the two-reviewer proposal). Each reads the item and writes it inside one BEGIN
 * IMMEDIATE transaction: the write lock is taken before the read, so two processes claiming
 * the same item are serialised and the second sees the first's claim (CG_E_BUSY). The bank
 * additions of a decision are named in the decision's own record (bank, bank_signals), not in
 * separate bank_change records. */
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

/* The state and reviewer of item id, read inside the caller's transaction. */
static cg_status item_state(cg_bankdb *db, int64_t id, cg_review_state *state, char *reviewer,
                            cg_error *err)
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

/* The next pending item by priority then age, inside the caller's transaction. */
static cg_status next_pending(cg_bankdb *db, int64_t *id, cg_error *err)
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

static cg_status claim_locked(cg_bankdb *db, int64_t id, const char *reviewer, int64_t now,
                              cg_audit *audit, json_t **rec, cg_error *err)
{
    char holder[CG_REVIEW_NAME_MAX + 1];
    cg_review_state state = CG_REVIEW_PENDING;
    sqlite3_stmt *st = NULL;
    cg_status s;

    s = item_state(db, id, &state, holder, err);
    if (s != CG_OK)
        return s;
    if (state == CG_REVIEW_CLAIMED && strcmp(holder, reviewer) == 0)
        return CG_OK; /* claiming one's own item again */
    if (state == CG_REVIEW_CLAIMED)
        return cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s", db->path,
                        (long long)id, holder);
    if (state == CG_REVIEW_ESCALATED)
        return cg__fail(err, CG_E_INVAL,
                        "%s: review item %lld is escalated: a senior reviewer decides it "
                        "without claiming",
                        db->path, (long long)id);
    if (state != CG_REVIEW_PENDING)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld is already decided (%s by %s)",
                        db->path, (long long)id, cg__review_state_names[state], holder);
    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET state = 'claimed', reviewer = ?2,"
                           " claimed_at = ?3 WHERE id = ?1 AND state = 'pending'",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    s = update_step(db, st, id, "claiming", err);
    if (s == CG_OK)
        s = cg__sqlite_review_audit_data(db, audit, id,
                       json_pack("{s:s,s:I}", "action", "claim", "item", (json_int_t)id), rec,
                       err);
    return s;
}

cg_status cg__sqlite_review_claim(cg_bankdb *db, int64_t id, const char *reviewer,
                                  int64_t *claimed_id, cg_audit *audit, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    cg_status s;

    if (claimed_id != NULL)
        *claimed_id = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_claim: db is NULL");
    if (!cg__review_reviewer_valid(reviewer))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review claim: reviewer must be 1-63 bytes of UTF-8 text", db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "claiming a review item", err);
    if (s != CG_OK)
        return s;
    if (id < 0)
        s = next_pending(db, &id, err);
    if (s == CG_OK)
        s = claim_locked(db, id, reviewer, now, audit, &rec, err);
    s = cg__sqlite_review_finish(db, s, "claiming a review item", audit, reviewer, id, rec, err);
    if (s == CG_OK && claimed_id != NULL)
        *claimed_id = id;
    return s;
}

cg_status cg__sqlite_review_release(cg_bankdb *db, int64_t id, const char *reviewer,
                                    cg_audit *audit, cg_error *err)
{
    char holder[CG_REVIEW_NAME_MAX + 1];
    cg_review_state state = CG_REVIEW_PENDING;
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL;
    cg_status s;

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_release: db is NULL");
    if (!cg__review_reviewer_valid(reviewer))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review release: reviewer must be 1-63 bytes of UTF-8 text",
                        db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "releasing a review item", err);
    if (s != CG_OK)
        return s;
    s = item_state(db, id, &state, holder, err);
    if (s == CG_OK && state != CG_REVIEW_CLAIMED)
        s = cg__fail(err, CG_E_INVAL, "%s: review item %lld is not claimed (%s)", db->path,
                     (long long)id, cg__review_state_names[state]);
    else if (s == CG_OK && strcmp(holder, reviewer) != 0)
        s = cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s, not %s", db->path,
                     (long long)id, holder, reviewer);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db,
                               "UPDATE review_items SET state = 'pending', reviewer = '',"
                               " claimed_at = 0 WHERE id = ?1 AND state = 'claimed'",
                               &st, err);
    if (s == CG_OK) {
        sqlite3_bind_int64(st, 1, id);
        s = update_step(db, st, id, "releasing", err);
    }
    if (s == CG_OK)
        s = cg__sqlite_review_audit_data(db, audit, id,
                       json_pack("{s:s,s:I}", "action", "release", "item", (json_int_t)id), &rec,
                       err);
    return cg__sqlite_review_finish(db, s, "releasing a review item", audit, reviewer, id, rec,
                                    err);
}

static cg_status feed_bank(cg_bankdb *db, const cg_review_item *item, const cg_bank *bank,
                           const char *note, int64_t now, int64_t *added, cg_review_outcome *out,
                           cg_error *err)
{
    const int min_q = cg_bank_pdq_min_quality(bank);
    cg_bank_signal bs;
    cg_status s = CG_OK;
    int merged, low_q = -1;

    *added = 0;
    out->min_quality = min_q;
    for (size_t i = 0; i < item->n_signals && s == CG_OK; i++) {
        if (strcmp(item->signals[i].type->name, "pdq") == 0 && item->signals[i].quality >= 0 &&
            item->signals[i].quality < min_q) {
            out->skipped_low_quality++;
            low_q = item->signals[i].quality;
            continue;
        }
        memset(&bs, 0, sizeof(bs));
        bs.bank_id = bank->id;
        bs.type = item->signals[i].type;
        memcpy(bs.value, item->signals[i].value, bs.type->bytes);
        bs.quality = item->signals[i].quality;
        snprintf(bs.source, sizeof(bs.source), "review");
        snprintf(bs.external_id, sizeof(bs.external_id), "review:%lld", (long long)item->id);
        snprintf(bs.note, sizeof(bs.note), "%s", note != NULL ? note : "");
        s = cg__bank_signal_add_in_tx(db, &bs, now, &merged, err);
        if (s == CG_OK && !merged)
            (*added)++;
    }
    if (out->skipped_low_quality > 0)
        snprintf(out->note, sizeof(out->note),
                 "the PDQ hash (quality %d, below bank \"%s\"'s minimum %d) was not added: "
                 "such hashes match unrelated images; the exact hashes were",
                 low_q, bank->name, min_q);
    out->added = *added;
    return s;
}

static cg_status propose_locked(cg_bankdb *db, const cg_review_item *item,
                                const cg_review_decision *d, int64_t now, cg_audit *audit,
                                json_t **rec, cg_error *err)
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
    sqlite3_bind_int64(st, 1, item->id);
    sqlite3_bind_text(st, 2, cg__review_state_names[d->state], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->bank, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->note != NULL ? d->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    s = update_step(db, st, item->id, "recording a proposal", err);
    if (s == CG_OK)
        s = cg__sqlite_review_audit_data(db, audit, item->id,
                       json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "action", "propose", "item",
                                 (json_int_t)item->id, "content_id", item->content_id, "from",
                                 cg__review_state_names[item->state], "state",
                                 cg__review_state_names[d->state],
                                 "bank", d->bank, "note", d->note != NULL ? d->note : ""),
                       rec, err);
    return s;
}

static cg_status decide_locked(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                               cg__review_rule rule, int64_t now, cg_audit *audit,
                               json_t **rec, cg_review_outcome *out, cg_error *err)
{
    cg_review_item item;
    cg_review_outcome outcome;
    cg_bank bank;
    sqlite3_stmt *st = NULL;
    char *verdict = NULL;
    int64_t added = 0;
    int needs_two, confirms = 0;
    cg_status s;

    memset(&outcome, 0, sizeof(outcome));
    s = cg__sqlite_review_item_load(db, id, &item, &verdict, err);
    if (s != CG_OK)
        return s;
    needs_two = d->state == CG_REVIEW_FALSE_POSITIVE && d->bank != NULL &&
                rule(&item, verdict);
    cg__free(verdict);
    if (item.state == CG_REVIEW_CLAIMED && strcmp(item.reviewer, d->reviewer) != 0)
        return cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s", db->path,
                        (long long)id, item.reviewer);
    if (item.state == CG_REVIEW_CONFIRMED || item.state == CG_REVIEW_FALSE_POSITIVE)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld is already decided (%s by %s)",
                        db->path, (long long)id, cg__review_state_names[item.state], item.reviewer);
    if (item.state == CG_REVIEW_ESCALATED && db->review_rights_set &&
        !(db->review_rights & CG_REVIEW_RIGHT_SENIOR))
        return cg__fail(err, CG_E_BUSY,
                        "%s: review item %lld is escalated: only a senior reviewer decides it",
                        db->path, (long long)id);
    if (needs_two) {
        /* The same decision proposed by someone else confirms it; by oneself, it waits. */
        const int same = item.proposed_by[0] != '\0' &&
                         item.proposed_state == CG_REVIEW_FALSE_POSITIVE &&
                         strcmp(item.proposed_bank, d->bank) == 0;

        if (same && strcmp(item.proposed_by, d->reviewer) == 0)
            return cg__fail(err, CG_E_BUSY,
                            "%s: review item %lld: allow-listing content of a csam match needs a "
                            "second reviewer to confirm it (proposed by %s)",
                            db->path, (long long)id, item.proposed_by);
        if (!same) {
            memset(&bank, 0, sizeof(bank));
            s = cg_bank_get(db, d->bank, &bank, err);
            if (s != CG_OK)
                return s;
            if (bank.kind != CG_BANK_ALLOW)
                return cg__fail(err, CG_E_INVAL,
                                "%s: review item %lld: bank \"%s\" is a block bank; a "
                                "false_positive decision feeds an allow bank",
                                db->path, (long long)id, bank.name);
            return propose_locked(db, &item, d, now, audit, rec, err);
        }
        confirms = 1;
    }
    memset(&bank, 0, sizeof(bank));
    if (d->bank != NULL) {
        const cg_bank_kind want = d->state == CG_REVIEW_CONFIRMED ? CG_BANK_BLOCK : CG_BANK_ALLOW;

        s = cg_bank_get(db, d->bank, &bank, err);
        if (s != CG_OK)
            return s;
        if (bank.kind != want)
            return cg__fail(err, CG_E_INVAL,
                            "%s: review item %lld: bank \"%s\" is %s; a %s decision feeds %s",
                            db->path, (long long)id, bank.name,
                            bank.kind == CG_BANK_BLOCK ? "a block bank" : "an allow bank",
                            cg__review_state_names[d->state],
                            want == CG_BANK_BLOCK ? "a block bank" : "an allow bank");
        s = feed_bank(db, &item, &bank, d->note, now, &added, &outcome, err);
        if (s != CG_OK)
            return s;
    }
    /* A decision clears any proposal it does not confirm (the proposal stays named in the
     * audit log); a confirmation keeps the proposer and names the second reviewer. */
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
    sqlite3_bind_text(st, 6, bank.name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, added);
    sqlite3_bind_text(st, 8, confirms ? d->reviewer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, confirms);
    s = update_step(db, st, id, "deciding", err);
    if (s == CG_OK) {
        json_t *data = json_pack("{s:s,s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "action", "decide",
                                 "item", (json_int_t)id, "content_id", item.content_id, "from",
                                 cg__review_state_names[item.state], "state",
                                 cg__review_state_names[d->state],
                                 "bank_signals", (json_int_t)added, "skipped_low_quality",
                                 (json_int_t)outcome.skipped_low_quality, "bank", bank.name,
                                 "note", d->note != NULL ? d->note : "");

        if (data != NULL && item.proposed_by[0] != '\0' &&
            json_object_set_new(data, confirms ? "proposed_by" : "replaces_proposal_by",
                                json_string(item.proposed_by)) != 0) {
            json_decref(data);
            data = NULL;
        }
        s = cg__sqlite_review_audit_data(db, audit, id, data, rec, err);
    }
    if (s == CG_OK && out != NULL)
        *out = outcome;
    return s;
}

cg_status cg__sqlite_review_decide(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                   cg__review_rule needs_two, cg_audit *audit,
                                   cg_review_outcome *outcome, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    const char *why;
    cg_status s;

    if (db == NULL || d == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_decide: NULL argument");
    why = cg__review_decision_invalid(d);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld: %s", db->path, (long long)id,
                        why);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "deciding a review item", err);
    if (s != CG_OK)
        return s;
    if (outcome != NULL)
        memset(outcome, 0, sizeof(*outcome));
    s = decide_locked(db, id, d, needs_two, now, audit, &rec, outcome, err);
    return cg__sqlite_review_finish(db, s, "deciding a review item", audit, d->reviewer, id, rec,
                                    err);
}

