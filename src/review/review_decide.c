/* Review state changes (docs/review.md): claim, release, decide (with the bank additions a
 * decision makes and the two-reviewer proposal), over the store's row operations. Each reads
 * the item and writes it inside one write transaction of the store (begin_write takes the lock
 * before the read), so two processes claiming the same item are serialised and the second sees
 * the first's claim (CG_E_BUSY). The bank additions of a decision are named in the decision's
 * own record (bank, bank_signals), not in separate bank_change records. */
#include "review/review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

static cg_status claim_locked(cg_bankdb *db, int64_t id, const char *reviewer, int64_t now,
                              cg_audit *audit, json_t **rec, cg_error *err)
{
    char holder[CG_REVIEW_NAME_MAX + 1];
    cg_review_state state = CG_REVIEW_PENDING;
    cg_status s;

    s = db->ops->review_state(db, id, &state, holder, err);
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
    s = db->ops->review_claim_row(db, id, reviewer, now, err);
    if (s == CG_OK)
        s = cg__review_audit_data(db, audit, id,
                       json_pack("{s:s,s:I}", "action", "claim", "item", (json_int_t)id), rec,
                       err);
    return s;
}

cg_status cg__review_claim(cg_bankdb *db, int64_t id, const char *reviewer, int64_t *claimed_id,
                           cg_audit *audit, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    cg_status s;

    if (claimed_id != NULL)
        *claimed_id = 0;
    if (!cg__review_reviewer_valid(reviewer))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review claim: reviewer must be 1-63 bytes of UTF-8 text", db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "claiming a review item", err);
    if (s != CG_OK)
        return s;
    if (id < 0)
        s = db->ops->review_next_pending(db, &id, err);
    if (s == CG_OK)
        s = claim_locked(db, id, reviewer, now, audit, &rec, err);
    s = cg__review_finish(db, s, "claiming a review item", audit, reviewer, id, rec, err);
    if (s == CG_OK && claimed_id != NULL)
        *claimed_id = id;
    return s;
}

cg_status cg__review_release(cg_bankdb *db, int64_t id, const char *reviewer, cg_audit *audit,
                             cg_error *err)
{
    char holder[CG_REVIEW_NAME_MAX + 1];
    cg_review_state state = CG_REVIEW_PENDING;
    json_t *rec = NULL;
    cg_status s;

    if (!cg__review_reviewer_valid(reviewer))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review release: reviewer must be 1-63 bytes of UTF-8 text",
                        db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "releasing a review item", err);
    if (s != CG_OK)
        return s;
    s = db->ops->review_state(db, id, &state, holder, err);
    if (s == CG_OK && state != CG_REVIEW_CLAIMED)
        s = cg__fail(err, CG_E_INVAL, "%s: review item %lld is not claimed (%s)", db->path,
                     (long long)id, cg__review_state_names[state]);
    else if (s == CG_OK && strcmp(holder, reviewer) != 0)
        s = cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s, not %s", db->path,
                     (long long)id, holder, reviewer);
    if (s == CG_OK)
        s = db->ops->review_release_row(db, id, err);
    if (s == CG_OK)
        s = cg__review_audit_data(db, audit, id,
                       json_pack("{s:s,s:I}", "action", "release", "item", (json_int_t)id), &rec,
                       err);
    return cg__review_finish(db, s, "releasing a review item", audit, reviewer, id, rec,
                                    err);
}

static cg_status feed_bank(cg_bankdb *db, const cg_review_item *item, const cg_bank *bank,
                           const char *note, int64_t now, int64_t *added, cg_review_outcome *out,
                           cg_error *err)
{
    const int min_q = cg_bank_pdq_min_quality(bank);
    cg_bank_signal bs;
    cg_status s = CG_OK;
    int merged, filled, low_q = -1;

    *added = 0;
    out->min_quality = min_q;
    for (size_t i = 0; i < item->n_signals && s == CG_OK; i++) {
        if ((item->signals[i].type->flags & CG_SIGNAL_PERCEPTUAL) && item->signals[i].quality >= 0 &&
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
        s = db->ops->signal_put(db, &bs, now, &merged, &filled, err);
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
    cg_status s;

    s = db->ops->review_propose_row(db, item->id, d, now, err);
    if (s == CG_OK)
        s = cg__review_audit_data(db, audit, item->id,
                       json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "action", "propose", "item",
                                 (json_int_t)item->id, "content_id", item->content_id, "from",
                                 cg__review_state_names[item->state], "state",
                                 cg__review_state_names[d->state],
                                 "bank", d->bank, "note", d->note != NULL ? d->note : ""),
                       rec, err);
    return s;
}

/* Queues exchange feedback for a decided item (docs/exchange.md "Feedback"): every block match
 * of its verdict that is acted on (not low quality) names a signal; each link of that signal to
 * an exchange of the tenant becomes one feedback row, in the decision's transaction. Only ids
 * and hashes are queued: the note and the verdict's other fields stay here. *queued counts the
 * rows. A store without the feedback ops queues nothing. */
static cg_status queue_feedback(cg_bankdb *db, int64_t id, const char *verdict_json,
                                const cg_review_decision *d, int64_t now, int64_t *queued,
                                cg_error *err)
{
    const int fb = d->state == CG_REVIEW_CONFIRMED ? 0 : 1;
    json_t *root, *matches;
    cg_status s = CG_OK;

    *queued = 0;
    if (db->ops->feedback_enqueue_signal == NULL || verdict_json == NULL ||
        (d->state != CG_REVIEW_CONFIRMED && d->state != CG_REVIEW_FALSE_POSITIVE))
        return CG_OK;
    root = json_loads(verdict_json, 0, NULL);
    matches = json_object_get(root, "matches");
    for (size_t i = 0; i < json_array_size(matches) && s == CG_OK; i++) {
        json_t *m = json_array_get(matches, i);
        json_t *sid = json_object_get(m, "signal_id");
        const char *kind = json_string_value(json_object_get(m, "kind"));

        if (!json_is_integer(sid) || kind == NULL || strcmp(kind, "block") != 0 ||
            json_is_true(json_object_get(m, "low_quality")))
            continue;
        s = db->ops->feedback_enqueue_signal(db, cg_bankdb_tenant(db), id,
                                             (int64_t)json_integer_value(sid), fb, d->reviewer,
                                             now, queued, err);
    }
    json_decref(root);
    return s;
}

/* A flood quarantine's item (engine flood.c: kind "signal", content id
 * "quarantine:signal:<id>"): a false_positive decision releases the signal (matching on again),
 * in the decision's transaction; a confirmed one leaves it off. *released: the signal id, 0. */
static cg_status release_quarantine(cg_bankdb *db, const cg_review_item *item,
                                    const cg_review_decision *d, int64_t *released,
                                    cg_error *err)
{
    const char *p = item->content_id + strlen("quarantine:signal:");
    char *end = NULL;
    long long id;
    cg_status s;

    *released = 0;
    if (d->state != CG_REVIEW_FALSE_POSITIVE || strcmp(item->kind, "signal") != 0 ||
        strncmp(item->content_id, "quarantine:signal:", strlen("quarantine:signal:")) != 0)
        return CG_OK;
    id = strtoll(p, &end, 10);
    if (end == p || *end != '\0' || id <= 0)
        return CG_OK;
    s = db->ops->signal_set_disabled_row(db, (int64_t)id, 0, err);
    if (s == CG_E_NOTFOUND)
        return CG_OK; /* deleted meanwhile: nothing to release */
    if (s == CG_OK)
        *released = (int64_t)id;
    return s;
}

static cg_status decide_checked(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                const cg_review_item *itemp, const char *verdict, int needs_two,
                                int64_t now, cg_audit *audit, json_t **rec,
                                cg_review_outcome *out, cg_error *err)
{
    cg_review_item item = *itemp;
    cg_review_outcome outcome;
    cg_bank bank;
    int64_t added = 0, queued = 0, released = 0;
    int confirms = 0;
    cg_status s;

    memset(&outcome, 0, sizeof(outcome));
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
    s = db->ops->review_decide_row(db, id, d, bank.name, added, confirms, now, err);
    if (s == CG_OK)
        s = queue_feedback(db, id, verdict, d, now, &queued, err);
    if (s == CG_OK)
        s = release_quarantine(db, &item, d, &released, err);
    if (s == CG_OK) {
        json_t *data = json_pack("{s:s,s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:I}", "action",
                                 "decide", "item", (json_int_t)id, "content_id",
                                 item.content_id, "from", cg__review_state_names[item.state],
                                 "state", cg__review_state_names[d->state],
                                 "bank_signals", (json_int_t)added, "skipped_low_quality",
                                 (json_int_t)outcome.skipped_low_quality, "bank", bank.name,
                                 "note", d->note != NULL ? d->note : "", "exchange_feedback",
                                 (json_int_t)queued);

        if (data != NULL && released > 0 &&
            json_object_set_new(data, "released_signal", json_integer(released)) != 0) {
            json_decref(data);
            data = NULL;
        }
        if (data != NULL && item.proposed_by[0] != '\0' &&
            json_object_set_new(data, confirms ? "proposed_by" : "replaces_proposal_by",
                                json_string(item.proposed_by)) != 0) {
            json_decref(data);
            data = NULL;
        }
        s = cg__review_audit_data(db, audit, id, data, rec, err);
    }
    if (s == CG_OK && out != NULL)
        *out = outcome;
    return s;
}

static cg_status decide_locked(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                               int64_t now, cg_audit *audit, json_t **rec,
                               cg_review_outcome *out, cg_error *err)
{
    cg_review_item item;
    char *verdict = NULL;
    int needs_two;
    cg_status s;

    s = db->ops->review_get(db, id, &item, &verdict, err);
    if (s != CG_OK)
        return s;
    needs_two = d->state == CG_REVIEW_FALSE_POSITIVE && d->bank != NULL &&
                cg_review_needs_two(&item, verdict);
    s = decide_checked(db, id, d, &item, verdict, needs_two, now, audit, rec, out, err);
    cg__free(verdict);
    return s;
}

cg_status cg__review_decide(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                            cg_audit *audit, cg_review_outcome *outcome, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    const char *why;
    cg_status s;

    if (d == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_decide: NULL argument");
    why = cg__review_decision_invalid(d);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld: %s", db->path, (long long)id,
                        why);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "deciding a review item", err);
    if (s != CG_OK)
        return s;
    if (outcome != NULL)
        memset(outcome, 0, sizeof(*outcome));
    s = decide_locked(db, id, d, now, audit, &rec, outcome, err);
    return cg__review_finish(db, s, "deciding a review item", audit, d->reviewer, id, rec,
                                    err);
}

