/* The review queue's rows in PostgreSQL (the rules of sqlite_review_write.c): an item's row and
 * signals, its refresh, and the one-row updates of its state (claim, release, proposal,
 * decision), each inside the caller's write transaction. The state machine, the two-reviewer
 * rule, the bank additions and the audit records are src/review/'s. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>

#include "childguard/review_item.h"
#include "common/error.h"

cg_status cg__pg_review_insert(cg_bankdb *db, cg_review_item *item, const char *tenant,
                               const char *verdict, const uint8_t *preview, size_t preview_len,
                               int64_t now, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[CG_REVIEW_ID_MAX + 48];
    cg_status s;

    cg__pg_param_text(&p, item->content_id);
    cg__pg_param_text(&p, item->kind);
    cg__pg_param_text(&p, item->label);
    cg__pg_param_int(&p, item->priority);
    cg__pg_param_text(&p, item->reason);
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, verdict);
    if (preview != NULL)
        cg__pg_param_bytes(&p, preview, preview_len);
    else
        cg__pg_param_null(&p);
    cg__pg_param_text(&p, tenant);
    snprintf(what, sizeof(what), "adding review item for \"%s\"", item->content_id);
    s = cg__pg_query(db,
                     "INSERT INTO review_items(content_id, kind, label, priority, reason, state,"
                     " created, verdict_json, preview, tenant) VALUES ($1, $2, $3, $4::bigint,"
                     " $5, 'pending', $6::bigint, $7, $8::bytea, $9) RETURNING id",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    item->id = cg__pg_int(res, 0, 0);
    PQclear(res);
    for (size_t i = 0; i < item->n_signals && s == CG_OK; i++) {
        const cg_review_signal *sg = &item->signals[i];
        cg__pg_params q = {0};

        cg__pg_param_int(&q, item->id);
        cg__pg_param_int(&q, (int64_t)i);
        cg__pg_param_text(&q, sg->type->name);
        cg__pg_param_bytes(&q, sg->value, sg->type->bytes);
        cg__pg_param_int(&q, sg->quality);
        snprintf(what, sizeof(what), "review item %lld: adding signal %zu", (long long)item->id,
                 i);
        s = cg__pg_query(db,
                         "INSERT INTO review_signals(item_id, seq, signal_type, value, quality)"
                         " VALUES ($1::bigint, $2::bigint, $3, $4::bytea, $5::integer)",
                         &q, what, NULL, err);
    }
    return s;
}

cg_status cg__pg_review_find_open(cg_bankdb *db, const char *tenant, const char *content_id,
                                  int64_t *id, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    *id = 0;
    cg__pg_param_text(&p, content_id);
    cg__pg_param_text(&p, tenant);
    s = cg__pg_query(db,
                     "SELECT id FROM review_items WHERE tenant = $2 AND content_id = $1"
                     " AND state IN ('pending', 'claimed') ORDER BY id DESC LIMIT 1",
                     &p, "looking up open review items", &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1)
        *id = cg__pg_int(res, 0, 0);
    PQclear(res);
    return CG_OK;
}

/* Runs a one-row UPDATE of item id; CG_E_NOTFOUND "vanished" when no row changed. */
static cg_status update_one(cg_bankdb *db, const char *sql, const cg__pg_params *p, int64_t id,
                            const char *what, cg_error *err)
{
    PGresult *res = NULL;
    char step[96];
    cg_status s;

    snprintf(step, sizeof(step), "review item %lld: %s", (long long)id, what);
    s = cg__pg_query(db, sql, p, step, &res, err);
    if (s != CG_OK)
        return s;
    if (strcmp(PQcmdTuples(res), "1") != 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld vanished while %s", db->path,
                     (long long)id, what);
    PQclear(res);
    return s;
}

cg_status cg__pg_review_refresh_row(cg_bankdb *db, int64_t id, const cg_review_item *item,
                                    const char *verdict, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_text(&p, item->label);
    cg__pg_param_text(&p, item->reason);
    cg__pg_param_int(&p, item->priority);
    cg__pg_param_text(&p, verdict);
    cg__pg_param_int(&p, id);
    return update_one(db,
                      "UPDATE review_items SET label = $1, reason = $2,"
                      " priority = greatest(priority, $3::bigint), verdict_json = $4"
                      " WHERE id = $5::bigint",
                      &p, id, "refreshing", err);
}

cg_status cg__pg_review_state(cg_bankdb *db, int64_t id, cg_review_state *state, char *reviewer,
                              cg_error *err)
{
    PGresult *res = NULL;
    cg_status s;
    int k;

    s = cg__pg_review_row(db,
                          "SELECT state, reviewer FROM review_items WHERE id = $1::bigint"
                          " AND tenant = $2",
                          id, "reading review item", &res, err);
    if (s != CG_OK)
        return s;
    k = cg_review_state_from_name(PQgetvalue(res, 0, 0));
    if (k < 0 || cg__pg_text(res, 0, 1, reviewer, CG_REVIEW_NAME_MAX + 1) < 0)
        s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: bad stored state or reviewer",
                     db->path, (long long)id);
    else
        *state = (cg_review_state)k;
    PQclear(res);
    return s;
}

cg_status cg__pg_review_next_pending(cg_bankdb *db, int64_t *id, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    cg__pg_param_text(&p, cg_bankdb_tenant(db));
    s = cg__pg_query(db,
                     "SELECT id FROM review_items WHERE tenant = $1 AND state = 'pending'"
                     " ORDER BY priority DESC, created, id LIMIT 1",
                     &p, "finding the next pending review item", &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1)
        *id = cg__pg_int(res, 0, 0);
    else
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no pending review item", db->path);
    PQclear(res);
    return s;
}

cg_status cg__pg_review_claim_row(cg_bankdb *db, int64_t id, const char *reviewer, int64_t now,
                                  cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, reviewer);
    cg__pg_param_int(&p, now);
    return update_one(db,
                      "UPDATE review_items SET state = 'claimed', reviewer = $2,"
                      " claimed_at = $3::bigint WHERE id = $1::bigint AND state = 'pending'",
                      &p, id, "claiming", err);
}

cg_status cg__pg_review_release_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    return update_one(db,
                      "UPDATE review_items SET state = 'pending', reviewer = '', claimed_at = 0"
                      " WHERE id = $1::bigint AND state = 'claimed'",
                      &p, id, "releasing", err);
}

cg_status cg__pg_review_propose_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                    int64_t now, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, cg__review_state_names[d->state]);
    cg__pg_param_text(&p, d->reviewer);
    cg__pg_param_text(&p, d->bank);
    cg__pg_param_text(&p, d->note != NULL ? d->note : "");
    cg__pg_param_int(&p, now);
    return update_one(db,
                      "UPDATE review_items SET"
                      " state = CASE state WHEN 'escalated' THEN state ELSE 'pending' END,"
                      " reviewer = CASE state WHEN 'escalated' THEN reviewer ELSE '' END,"
                      " claimed_at = 0, proposed_state = $2, proposed_by = $3,"
                      " proposed_bank = $4, proposed_note = $5, proposed_at = $6::bigint"
                      " WHERE id = $1::bigint",
                      &p, id, "recording a proposal", err);
}

cg_status cg__pg_review_decide_row(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                   const char *bank, int64_t added, int confirms, int64_t now,
                                   cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, cg__review_state_names[d->state]);
    cg__pg_param_text(&p, d->reviewer);
    cg__pg_param_text(&p, d->note != NULL ? d->note : "");
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, bank);
    cg__pg_param_int(&p, added);
    cg__pg_param_text(&p, confirms ? d->reviewer : "");
    cg__pg_param_int(&p, confirms != 0);
    /* A decision clears any proposal it does not confirm; a confirmation keeps the proposer
     * and names the second reviewer. */
    return update_one(db,
                      "UPDATE review_items SET state = $2, reviewer = $3, note = $4,"
                      " decided_at = $5::bigint, bank = $6, bank_signal_count = $7::bigint,"
                      " confirmed_by = $8,"
                      " proposed_state = CASE WHEN $9::integer <> 0 THEN proposed_state ELSE '' END,"
                      " proposed_by = CASE WHEN $9::integer <> 0 THEN proposed_by ELSE '' END,"
                      " proposed_bank = CASE WHEN $9::integer <> 0 THEN proposed_bank ELSE '' END,"
                      " proposed_note = CASE WHEN $9::integer <> 0 THEN proposed_note ELSE '' END,"
                      " proposed_at = CASE WHEN $9::integer <> 0 THEN proposed_at ELSE 0 END"
                      " WHERE id = $1::bigint",
                      &p, id, "deciding", err);
}
