/* Reading review items from PostgreSQL (the rules of sqlite_review_read.c): one item with its
 * signals and verdict, its preview, the filtered list in queue order, the counts per state.
 * Every read is of the handle's tenant. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "childguard/review_item.h"
#include "common/alloc.h"
#include "common/error.h"

#define ITEM_COLUMNS                                                                         \
    "id, content_id, kind, label, priority, reason, state, reviewer, note, created,"        \
    " claimed_at, decided_at, bank_signal_count, bank, (preview IS NOT NULL)::integer,"     \
    " tenant, proposed_state, proposed_by, proposed_bank, proposed_at, confirmed_by,"        \
    " (SELECT expires FROM review_excerpts WHERE item_id = review_items.id)"
#define VERDICT_COLUMN 22

static cg_status item_from_row(cg_bankdb *db, const PGresult *res, int r, cg_review_item *out,
                               cg_error *err)
{
    int s;

    memset(out, 0, sizeof(*out));
    out->id = cg__pg_int(res, r, 0);
    if (cg__pg_text(res, r, 1, out->content_id, sizeof(out->content_id)) < 0 ||
        cg__pg_text(res, r, 2, out->kind, sizeof(out->kind)) < 0 ||
        cg__pg_text(res, r, 3, out->label, sizeof(out->label)) < 0 ||
        cg__pg_text(res, r, 5, out->reason, sizeof(out->reason)) < 0 ||
        cg__pg_text(res, r, 7, out->reviewer, sizeof(out->reviewer)) < 0 ||
        cg__pg_text(res, r, 8, out->note, sizeof(out->note)) < 0 ||
        cg__pg_text(res, r, 13, out->bank, sizeof(out->bank)) < 0 ||
        cg__pg_text(res, r, 15, out->tenant, sizeof(out->tenant)) < 0 ||
        cg__pg_text(res, r, 17, out->proposed_by, sizeof(out->proposed_by)) < 0 ||
        cg__pg_text(res, r, 18, out->proposed_bank, sizeof(out->proposed_bank)) < 0 ||
        cg__pg_text(res, r, 20, out->confirmed_by, sizeof(out->confirmed_by)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->priority = (int)cg__pg_int(res, r, 4);
    s = cg_review_state_from_name(PQgetvalue(res, r, 6));
    if (s < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: unknown state \"%.32s\"",
                        db->path, (long long)out->id, PQgetvalue(res, r, 6));
    out->state = (cg_review_state)s;
    out->created = cg__pg_int(res, r, 9);
    out->claimed_at = cg__pg_int(res, r, 10);
    out->decided_at = cg__pg_int(res, r, 11);
    out->bank_signal_count = cg__pg_int(res, r, 12);
    out->has_preview = (int)cg__pg_int(res, r, 14);
    /* The excerpt's expiry against this process's clock, as cg_review_excerpt_get reads it. */
    out->has_excerpt = !PQgetisnull(res, r, 21) && cg__pg_int(res, r, 21) > (int64_t)time(NULL);
    if (out->proposed_by[0] != '\0') {
        s = cg_review_state_from_name(PQgetvalue(res, r, 16));
        if (s < 0)
            return cg__fail(err, CG_E_DECODE, "%s: review item %lld: unknown proposed state",
                            db->path, (long long)out->id);
        out->proposed_state = (cg_review_state)s;
        out->proposed_at = cg__pg_int(res, r, 19);
    }
    return CG_OK;
}

/* The signals of out->id, in order. */
static cg_status item_signals(cg_bankdb *db, cg_review_item *out, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    out->n_signals = 0;
    cg__pg_param_int(&p, out->id);
    snprintf(what, sizeof(what), "reading the signals of review item %lld", (long long)out->id);
    s = cg__pg_query(db,
                     "SELECT signal_type, encode(value, 'hex'), quality FROM review_signals"
                     " WHERE item_id = $1::bigint ORDER BY seq",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res) && s == CG_OK; i++) {
        cg_review_signal *rs;

        if (out->n_signals == CG_REVIEW_MAX_SIGNALS) {
            s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: more than %d signals stored",
                         db->path, (long long)out->id, CG_REVIEW_MAX_SIGNALS);
            break;
        }
        rs = &out->signals[out->n_signals];
        rs->type = cg_signal_type_find(PQgetvalue(res, i, 0));
        if (rs->type == NULL)
            s = cg__fail(err, CG_E_UNSUPPORTED,
                         "%s: review item %lld: unknown signal type \"%.31s\"", db->path,
                         (long long)out->id, PQgetvalue(res, i, 0));
        else if (cg__pg_hex(res, i, 1, rs->value, rs->type->bytes) < 0)
            s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: %s value of the wrong size",
                         db->path, (long long)out->id, rs->type->name);
        else {
            rs->quality = (int)cg__pg_int(res, i, 2);
            out->n_signals++;
        }
    }
    PQclear(res);
    return s;
}

/* The one row of sql ($1 the item id, $2 the handle's tenant) in *out (PQclear by the caller);
 * CG_E_NOTFOUND "no review item ID" when there is none. */
cg_status cg__pg_review_row(cg_bankdb *db, const char *sql, int64_t id, const char *what,
                            PGresult **out, cg_error *err)
{
    cg__pg_params p = {0};
    char step[96];
    cg_status s;

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, cg_bankdb_tenant(db));
    snprintf(step, sizeof(step), "%s %lld", what, (long long)id);
    s = cg__pg_query(db, sql, &p, step, out, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(*out) != 1) {
        PQclear(*out);
        *out = NULL;
        return cg__fail(err, CG_E_NOTFOUND, "%s: no review item %lld", db->path, (long long)id);
    }
    return CG_OK;
}

cg_status cg__pg_review_get(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict,
                            cg_error *err)
{
    PGresult *res = NULL;
    cg_status s;

    if (verdict != NULL)
        *verdict = NULL;
    memset(out, 0, sizeof(*out));
    s = cg__pg_review_row(db,
                          "SELECT " ITEM_COLUMNS ", verdict_json FROM review_items"
                          " WHERE id = $1::bigint AND tenant = $2",
                          id, "reading review item", &res, err);
    if (s != CG_OK)
        return s;
    s = item_from_row(db, res, 0, out, err);
    if (s == CG_OK && verdict != NULL) {
        *verdict = cg__strdup(PQgetvalue(res, 0, VERDICT_COLUMN));
        if (*verdict == NULL)
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory", db->path,
                         (long long)id);
    }
    PQclear(res);
    if (s == CG_OK)
        s = item_signals(db, out, err);
    if (s != CG_OK && verdict != NULL) {
        cg__free(*verdict);
        *verdict = NULL;
    }
    return s;
}

cg_status cg__pg_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                    cg_error *err)
{
    PGresult *res = NULL;
    cg_status s;

    *data = NULL;
    *len = 0;
    s = cg__pg_review_row(db,
                          "SELECT encode(preview, 'hex') FROM review_items"
                          " WHERE id = $1::bigint AND tenant = $2",
                          id, "reading the preview of review item", &res, err);
    if (s != CG_OK)
        return s;
    if (PQgetisnull(res, 0, 0)) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld has no preview", db->path,
                     (long long)id);
    } else {
        const size_t n = (size_t)PQgetlength(res, 0, 0) / 2;

        *data = cg__malloc(n > 0 ? n : 1);
        if (*data == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (preview)",
                         db->path, (long long)id);
        } else if (n > 0 && cg__pg_hex(res, 0, 0, *data, n) < 0) {
            cg__free(*data);
            *data = NULL;
            s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: bad preview bytes", db->path,
                         (long long)id);
        } else {
            *len = n;
        }
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_review_list(cg_bankdb *db, const cg_review_filter *filter,
                             int (*fn)(const cg_review_item *item, void *ud), void *ud,
                             cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_review_item item;
    cg_status s;

    if (filter != NULL && (filter->state < -1 || filter->state >= CG_REVIEW_STATE_COUNT))
        return cg__fail(err, CG_E_INVAL, "%s: review list: state %d out of range", db->path,
                        filter->state);
    /* NULL parameters stand for "any": one fixed statement, values always bound. */
    cg__pg_param_text(&p, cg_bankdb_tenant(db));
    if (filter != NULL && filter->state >= 0)
        cg__pg_param_text(&p, cg__review_state_names[filter->state]);
    else
        cg__pg_param_null(&p);
    if (filter != NULL && filter->label != NULL)
        cg__pg_param_text(&p, filter->label);
    else
        cg__pg_param_null(&p);
    if (filter != NULL && filter->reviewer != NULL)
        cg__pg_param_text(&p, filter->reviewer);
    else
        cg__pg_param_null(&p);
    if (filter != NULL && filter->limit > 0 && filter->limit <= INT64_MAX)
        cg__pg_param_int(&p, (int64_t)filter->limit);
    else
        cg__pg_param_null(&p);
    s = cg__pg_query(db,
                     "SELECT " ITEM_COLUMNS " FROM review_items WHERE tenant = $1"
                     " AND ($2::text IS NULL OR state = $2::text)"
                     " AND ($3::text IS NULL OR label = $3::text)"
                     " AND ($4::text IS NULL OR reviewer = $4::text)"
                     " ORDER BY priority DESC, created, id LIMIT $5::bigint",
                     &p, "listing review items", &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res); i++) {
        s = item_from_row(db, res, i, &item, err);
        if (s == CG_OK)
            s = item_signals(db, &item, err);
        if (s != CG_OK || fn(&item, ud) != 0)
            break;
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT], cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
    cg__pg_param_text(&p, cg_bankdb_tenant(db));
    s = cg__pg_query(db,
                     "SELECT state, count(*) FROM review_items WHERE tenant = $1 GROUP BY state",
                     &p, "counting review items", &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res); i++) {
        const int k = cg_review_state_from_name(PQgetvalue(res, i, 0));

        if (k < 0) {
            s = cg__fail(err, CG_E_DECODE, "%s: review items in an unknown state \"%.32s\"",
                         db->path, PQgetvalue(res, i, 0));
            break;
        }
        out[k] = cg__pg_int(res, i, 1);
    }
    PQclear(res);
    if (s != CG_OK)
        memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
    return s;
}
