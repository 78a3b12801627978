/* Reading review items from SQLite: one item (with its signals and verdict), its preview, the
 * filtered list in queue order, the counts per state. Tables: sqlite_store.c, schema steps 2
 * and 5. */
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "store/store_audit.h"
#include "childguard/review_item.h"
#include "childguard/tenant.h"
#include "common/alloc.h"
#include "common/error.h"

/* Fills out from a row of CG__REVIEW_ITEM_COLUMNS (signals are read separately). */
static cg_status item_from_row(cg_bankdb *db, sqlite3_stmt *st, cg_review_item *out,
                               cg_error *err)
{
    const char *state = (const char *)sqlite3_column_text(st, 6);
    int s;

    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    if (cg__bankdb_column_text(st, 1, out->content_id, sizeof(out->content_id)) < 0 ||
        cg__bankdb_column_text(st, 2, out->kind, sizeof(out->kind)) < 0 ||
        cg__bankdb_column_text(st, 3, out->label, sizeof(out->label)) < 0 ||
        cg__bankdb_column_text(st, 5, out->reason, sizeof(out->reason)) < 0 ||
        cg__bankdb_column_text(st, 7, out->reviewer, sizeof(out->reviewer)) < 0 ||
        cg__bankdb_column_text(st, 8, out->note, sizeof(out->note)) < 0 ||
        cg__bankdb_column_text(st, 13, out->bank, sizeof(out->bank)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->priority = sqlite3_column_int(st, 4);
    s = cg_review_state_from_name(state);
    if (s < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: unknown state \"%s\"", db->path,
                        (long long)out->id, state != NULL ? state : "");
    out->state = (cg_review_state)s;
    out->created = sqlite3_column_int64(st, 9);
    out->claimed_at = sqlite3_column_int64(st, 10);
    out->decided_at = sqlite3_column_int64(st, 11);
    out->bank_signal_count = sqlite3_column_int64(st, 12);
    out->has_preview = sqlite3_column_int(st, 14);
    /* The excerpt's expiry against this process's clock, as cg_review_excerpt_get reads it. */
    out->has_excerpt = sqlite3_column_type(st, 21) != SQLITE_NULL &&
                       sqlite3_column_int64(st, 21) > (int64_t)time(NULL);
    if (cg__bankdb_column_text(st, 15, out->tenant, sizeof(out->tenant)) < 0 ||
        cg__bankdb_column_text(st, 17, out->proposed_by, sizeof(out->proposed_by)) < 0 ||
        cg__bankdb_column_text(st, 18, out->proposed_bank, sizeof(out->proposed_bank)) < 0 ||
        cg__bankdb_column_text(st, 20, out->confirmed_by, sizeof(out->confirmed_by)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    if (out->proposed_by[0] != '\0') {
        const char *ps = (const char *)sqlite3_column_text(st, 16);

        s = cg_review_state_from_name(ps);
        if (s < 0)
            return cg__fail(err, CG_E_DECODE, "%s: review item %lld: unknown proposed state",
                            db->path, (long long)out->id);
        out->proposed_state = (cg_review_state)s;
        out->proposed_at = sqlite3_column_int64(st, 19);
    }
    return CG_OK;
}

/* Reads the signals of out->id with sig (SELECT signal_type, value, quality ... WHERE item_id =
 * ?1 ORDER BY seq), which is reset afterwards. */
static cg_status item_signals(cg_bankdb *db, sqlite3_stmt *sig, cg_review_item *out,
                              cg_error *err)
{
    cg_status s = CG_OK;
    int rc;

    out->n_signals = 0;
    sqlite3_bind_int64(sig, 1, out->id);
    while ((rc = sqlite3_step(sig)) == SQLITE_ROW) {
        const char *tname = (const char *)sqlite3_column_text(sig, 0);
        const void *blob = sqlite3_column_blob(sig, 1);
        const size_t n = (size_t)sqlite3_column_bytes(sig, 1);
        cg_review_signal *rs;

        if (out->n_signals == CG_REVIEW_MAX_SIGNALS) {
            s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: more than %d signals stored",
                         db->path, (long long)out->id, CG_REVIEW_MAX_SIGNALS);
            break;
        }
        rs = &out->signals[out->n_signals];
        rs->type = cg_signal_type_find(tname);
        if (rs->type == NULL) {
            s = cg__fail(err, CG_E_UNSUPPORTED,
                         "%s: review item %lld: unknown signal type \"%s\"", db->path,
                         (long long)out->id, tname != NULL ? tname : "");
            break;
        }
        if (blob == NULL || n != rs->type->bytes) {
            s = cg__fail(err, CG_E_DECODE,
                         "%s: review item %lld: %s value of %zu bytes (expected %zu)", db->path,
                         (long long)out->id, rs->type->name, n, rs->type->bytes);
            break;
        }
        memcpy(rs->value, blob, n);
        rs->quality = sqlite3_column_int(sig, 2);
        out->n_signals++;
    }
    if (s == CG_OK && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "reading the signals of review item %lld",
                            (long long)out->id);
    sqlite3_reset(sig);
    return s;
}

static const char SIGNALS_SQL[] =
    "SELECT signal_type, value, quality FROM review_signals WHERE item_id = ?1 ORDER BY seq";

cg_status cg__sqlite_review_row(cg_bankdb *db, const char *sql, int64_t id, const char *what,
                                sqlite3_stmt **out, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *out = NULL;
    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = st;
        return CG_OK;
    }
    if (rc == SQLITE_DONE)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no review item %lld", db->path, (long long)id);
    else
        s = cg__bankdb_fail(db, err, rc, "%s %lld", what, (long long)id);
    sqlite3_finalize(st);
    return s;
}

/* Reads item id (with its signals) into out; CG_E_NOTFOUND when absent. verdict (may be NULL)
 * receives a copy of the verdict JSON. */
cg_status cg__sqlite_review_item_load(cg_bankdb *db, int64_t id, cg_review_item *out,
                                      char **verdict, cg_error *err)
{
    sqlite3_stmt *st = NULL, *sig = NULL;
    cg_status s;

    s = cg__sqlite_review_row(db,
                              "SELECT " CG__REVIEW_ITEM_COLUMNS ", verdict_json FROM review_items"
                              " WHERE id = ?1 AND tenant = ?2",
                              id, "reading review item", &st, err);
    if (s == CG_OK) {
        s = item_from_row(db, st, out, err);
        if (s == CG_OK && verdict != NULL) {
            const char *v = (const char *)sqlite3_column_text(st, CG__REVIEW_ITEM_VERDICT_COLUMN);

            *verdict = cg__strdup(v != NULL ? v : "{}");
            if (*verdict == NULL)
                s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory", db->path,
                             (long long)id);
        }
    }
    sqlite3_finalize(st);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db, SIGNALS_SQL, &sig, err);
    if (s == CG_OK)
        s = item_signals(db, sig, out, err);
    sqlite3_finalize(sig);
    if (s != CG_OK && verdict != NULL) {
        cg__free(*verdict);
        *verdict = NULL;
    }
    return s;
}

/* ---- the public reads ---------------------------------------------------------------------- */

cg_status cg__sqlite_review_get(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict_json,
                                cg_error *err)
{
    if (verdict_json != NULL)
        *verdict_json = NULL;
    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_get: out is NULL");
    memset(out, 0, sizeof(*out));
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_get: db is NULL");
    return cg__sqlite_review_item_load(db, id, out, verdict_json, err);
}

cg_status cg__sqlite_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                        cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    if (data == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_preview_get: NULL argument");
    *data = NULL;
    *len = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_preview_get: db is NULL");
    s = cg__sqlite_review_row(db, "SELECT preview FROM review_items WHERE id = ?1 AND tenant = ?2",
                              id, "reading the preview of review item", &st, err);
    if (s != CG_OK)
        return s;
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld has no preview", db->path,
                     (long long)id);
    } else {
        const void *b = sqlite3_column_blob(st, 0);
        const size_t n = (size_t)sqlite3_column_bytes(st, 0);

        *data = cg__malloc(n > 0 ? n : 1);
        if (*data == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (preview)",
                         db->path, (long long)id);
        } else {
            if (n > 0)
                memcpy(*data, b, n);
            *len = n;
        }
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_list(cg_bankdb *db, const cg_review_filter *filter,
                                 int (*fn)(const cg_review_item *item, void *ud), void *ud,
                                 cg_error *err)
{
    char sql[512];
    sqlite3_stmt *st = NULL, *sig = NULL;
    cg_review_item item;
    cg_status s;
    int rc, w;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_list: NULL argument");
    if (filter != NULL && (filter->state < -1 || filter->state >= CG_REVIEW_STATE_COUNT))
        return cg__fail(err, CG_E_INVAL, "%s: review list: state %d out of range", db->path,
                        filter->state);
    /* Only fixed text goes into the SQL; values are bound. With a state the queue index serves
     * both the filter and the order. */
    w = snprintf(sql, sizeof(sql),
                 "SELECT " CG__REVIEW_ITEM_COLUMNS " FROM review_items WHERE tenant = ?5%s%s%s"
                 " ORDER BY priority DESC, created, id LIMIT ?4",
                 filter != NULL && filter->state >= 0 ? " AND state = ?1" : "",
                 filter != NULL && filter->label != NULL ? " AND label = ?2" : "",
                 filter != NULL && filter->reviewer != NULL ? " AND reviewer = ?3" : "");
    if (w < 0 || (size_t)w >= sizeof(sql))
        return cg__fail(err, CG_E_INVAL, "%s: review list: query too long", db->path);
    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db, SIGNALS_SQL, &sig, err);
    if (s != CG_OK) {
        sqlite3_finalize(st);
        return s;
    }
    if (filter != NULL && filter->state >= 0)
        sqlite3_bind_text(st, 1, cg__review_state_names[filter->state], -1, SQLITE_STATIC);
    if (filter != NULL && filter->label != NULL)
        sqlite3_bind_text(st, 2, filter->label, -1, SQLITE_STATIC);
    if (filter != NULL && filter->reviewer != NULL)
        sqlite3_bind_text(st, 3, filter->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4,
                       filter != NULL && filter->limit > 0 && filter->limit <= INT64_MAX
                           ? (int64_t)filter->limit
                           : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s = item_from_row(db, st, &item, err);
        if (s == CG_OK)
            s = item_signals(db, sig, &item, err);
        if (s != CG_OK || fn(&item, ud) != 0)
            break;
    }
    if (s == CG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "listing review items");
    sqlite3_finalize(sig);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT], cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_counts: out is NULL");
    memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_counts: db is NULL");
    s = cg__bankdb_prepare(db,
                           "SELECT state, count(*) FROM review_items WHERE tenant = ?1"
                           " GROUP BY state",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const int k = cg_review_state_from_name((const char *)sqlite3_column_text(st, 0));

        if (k < 0) {
            s = cg__fail(err, CG_E_DECODE, "%s: review items in an unknown state \"%s\"",
                         db->path, (const char *)sqlite3_column_text(st, 0));
            break;
        }
        out[k] = sqlite3_column_int64(st, 1);
    }
    if (s == CG_OK && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "counting review items");
    sqlite3_finalize(st);
    if (s != CG_OK)
        memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
    return s;
}

