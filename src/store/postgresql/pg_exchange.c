/* Exchanges' rows in PostgreSQL (store_ops.h, include/childguard/exchange_store.h; the rules of
 * sqlite_exchange.c), schema step 8: exchanges (configuration, checkpoint and fetch status),
 * exchange_secrets (sealed credentials, bytea, apart from the configuration) and
 * exchange_links (which exchange record each signal came from); step 11: the back-off
 * (failures, next_fetch_ts) and the refetch generation (link_gen, sweep_pending, and each
 * link's gen, written by every link upsert). Every op runs inside the caller's transaction
 * (a page: cg_exchange_page_begin .. _commit), or autocommit.
 *
 * Where PostgreSQL differs from SQLite: a taken (tenant, name) is answered through ON CONFLICT
 * DO NOTHING, not a constraint error, since a failed statement would abort the caller's whole
 * transaction; a list or a link query is read whole before its callback runs, so the callback
 * may call into the same handle; lists are sorted in byte order (COLLATE "C"), as SQLite sorts
 * text, whatever the database's collation; text longer than its field (only a hand-edited row
 * can hold one) is cut, as the SQLite backend cuts it, but at a character boundary. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define EXCHANGE_COLUMNS                                                                    \
    "id, name, api, api_json, enabled, bank_id, created, checkpoint_ts,"                    \
    " running_fetch_start_ts, last_fetch_complete_ts, last_fetch_succeeded, up_to_date,"   \
    " fetched_items, last_error,"                                                           \
    " (EXISTS (SELECT 1 FROM exchange_secrets WHERE exchange_id = exchanges.id))::integer," \
    " tenant, failures, next_fetch_ts, sweep_pending"

static void read_row(const PGresult *res, int row, cg_exchange_info *out)
{
    memset(out, 0, sizeof(*out));
    out->id = cg__pg_int(res, row, 0);
    cg__pg_text_cut(res, row, 1, out->name, sizeof(out->name));
    cg__pg_text_cut(res, row, 2, out->api, sizeof(out->api));
    cg__pg_text_cut(res, row, 3, out->api_json, sizeof(out->api_json));
    out->enabled = cg__pg_int(res, row, 4) != 0;
    out->bank_id = cg__pg_int(res, row, 5);
    out->created = cg__pg_int(res, row, 6);
    out->checkpoint_ts = cg__pg_int(res, row, 7);
    out->running_fetch_start_ts = cg__pg_int(res, row, 8);
    out->last_fetch_complete_ts = cg__pg_int(res, row, 9);
    out->last_fetch_succeeded = cg__pg_int(res, row, 10) != 0;
    out->up_to_date = cg__pg_int(res, row, 11) != 0;
    out->fetched_items = cg__pg_int(res, row, 12);
    cg__pg_text_cut(res, row, 13, out->last_error, sizeof(out->last_error));
    out->has_secret = cg__pg_int(res, row, 14) != 0;
    cg__pg_text_cut(res, row, 15, out->tenant, sizeof(out->tenant));
    out->consecutive_failures = (int)cg__pg_int(res, row, 16);
    out->next_fetch_ts = cg__pg_int(res, row, 17);
    out->sweep_pending = cg__pg_int(res, row, 18) != 0;
}

/* The number of rows a command changed. */
static int64_t changed_rows(const PGresult *res)
{
    return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

cg_status cg__pg_exchange_insert(cg_bankdb *db, const char *tenant, cg_exchange_info *ex,
                                 int64_t now, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[CG_BANK_NAME_MAX + 32];
    cg_status s;

    cg__pg_param_text(&p, tenant);
    cg__pg_param_text(&p, ex->name);
    cg__pg_param_text(&p, ex->api);
    cg__pg_param_text(&p, ex->api_json[0] != '\0' ? ex->api_json : "{}");
    cg__pg_param_int(&p, ex->enabled != 0);
    cg__pg_param_int(&p, ex->bank_id);
    cg__pg_param_int(&p, now);
    snprintf(what, sizeof(what), "exchange \"%s\": creating", ex->name);
    s = cg__pg_query(db,
                     "INSERT INTO exchanges(tenant, name, api, api_json, enabled, bank_id,"
                     " created) VALUES ($1, $2, $3, $4, $5::integer, $6::bigint, $7::bigint)"
                     " ON CONFLICT (tenant, name) DO NOTHING RETURNING id",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        ex->id = cg__pg_int(res, 0, 0);
        ex->created = now;
    } else {
        s = cg__fail(err, CG_E_INVAL, "%s: exchange \"%s\" already exists", db->path, ex->name);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_exchange_get(cg_bankdb *db, const char *tenant, const char *name,
                              cg_exchange_info *out, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[CG_BANK_NAME_MAX + 32];
    cg_status s;

    cg__pg_param_text(&p, tenant);
    cg__pg_param_text(&p, name);
    snprintf(what, sizeof(what), "exchange \"%s\": reading", name);
    s = cg__pg_query(db,
                     "SELECT " EXCHANGE_COLUMNS " FROM exchanges WHERE tenant = $1 AND name = $2",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1)
        read_row(res, 0, out);
    else
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange \"%s\"", db->path, name);
    PQclear(res);
    return s;
}

cg_status cg__pg_exchange_list(cg_bankdb *db, const char *tenant,
                               int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                               cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_exchange_info *row;
    cg_status s;

    row = cg__malloc(sizeof(*row));
    if (row == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: listing exchanges: out of memory", db->path);
    if (tenant != NULL)
        cg__pg_param_text(&p, tenant);
    else
        cg__pg_param_null(&p);
    s = cg__pg_query(db,
                     "SELECT " EXCHANGE_COLUMNS " FROM exchanges"
                     " WHERE $1::text IS NULL OR tenant = $1"
                     " ORDER BY tenant COLLATE \"C\", name COLLATE \"C\"",
                     &p, "listing exchanges", &res, err);
    for (int i = 0; s == CG_OK && i < PQntuples(res); i++) {
        read_row(res, i, row);
        if (fn(row, ud) != 0)
            break;
    }
    PQclear(res);
    cg__free(row);
    return s;
}

/* Runs the command sql with the parameters p; *changed (may be NULL): rows it changed. */
static cg_status run(cg_bankdb *db, const char *sql, const cg__pg_params *p, const char *what,
                     int64_t *changed, cg_error *err)
{
    PGresult *res = NULL;
    cg_status s = cg__pg_query(db, sql, p, what, &res, err);

    if (s != CG_OK)
        return s;
    if (changed != NULL)
        *changed = changed_rows(res);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_exchange_update_row(cg_bankdb *db, const cg_exchange_info *ex, cg_error *err)
{
    cg__pg_params p = {0};
    int64_t changed = 0;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, ex->id);
    cg__pg_param_text(&p, ex->api_json[0] != '\0' ? ex->api_json : "{}");
    cg__pg_param_int(&p, ex->enabled != 0);
    snprintf(what, sizeof(what), "exchange %lld: updating", (long long)ex->id);
    s = run(db, "UPDATE exchanges SET api_json = $2, enabled = $3::integer WHERE id = $1::bigint",
            &p, what, &changed, err);
    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange \"%s\"", db->path, ex->name);
    return s;
}

cg_status cg__pg_exchange_delete_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    cg__pg_params p = {0};
    int64_t changed = 0;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "exchange %lld: deleting", (long long)id);
    /* The secret and the links go by ON DELETE CASCADE. */
    s = run(db, "DELETE FROM exchanges WHERE id = $1::bigint", &p, what, &changed, err);
    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    return s;
}

cg_status cg__pg_exchange_secret_put(cg_bankdb *db, int64_t id, const uint8_t *blob, size_t len,
                                     cg_error *err)
{
    cg__pg_params p = {0};
    char what[64];

    cg__pg_param_int(&p, id);
    if (len == 0) {
        snprintf(what, sizeof(what), "exchange %lld: removing its credentials", (long long)id);
        return run(db, "DELETE FROM exchange_secrets WHERE exchange_id = $1::bigint", &p, what,
                   NULL, err);
    }
    cg__pg_param_bytes(&p, blob, len);
    snprintf(what, sizeof(what), "exchange %lld: storing its credentials", (long long)id);
    return cg__pg_query(db,
                        "INSERT INTO exchange_secrets(exchange_id, sealed)"
                        " VALUES ($1::bigint, $2::bytea) ON CONFLICT (exchange_id)"
                        " DO UPDATE SET sealed = excluded.sealed",
                        &p, what, NULL, err);
}

cg_status cg__pg_exchange_secret_get(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                     int *found, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "exchange %lld: reading its credentials", (long long)id);
    s = cg__pg_query(db,
                     "SELECT encode(sealed, 'hex') FROM exchange_secrets"
                     " WHERE exchange_id = $1::bigint",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        const size_t n = (size_t)PQgetlength(res, 0, 0) / 2;

        *blob = cg__malloc(n > 0 ? n : 1);
        if (*blob == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
        } else if (n > 0 && cg__pg_hex(res, 0, 0, *blob, n) < 0) {
            cg__free(*blob);
            *blob = NULL;
            s = cg__fail(err, CG_E_DECODE, "%s: exchange %lld: its stored credentials are not "
                                           "bytes", db->path, (long long)id);
        } else {
            *len = n;
            *found = 1;
        }
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_exchange_checkpoint_get(cg_bankdb *db, int64_t id, char **checkpoint,
                                         cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "exchange %lld: reading its checkpoint", (long long)id);
    s = cg__pg_query(db, "SELECT checkpoint FROM exchanges WHERE id = $1::bigint", &p, what,
                     &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        const size_t n = PQgetisnull(res, 0, 0) ? 0 : (size_t)PQgetlength(res, 0, 0);

        *checkpoint = cg__malloc(n + 1);
        if (*checkpoint == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
        } else {
            if (n > 0)
                memcpy(*checkpoint, PQgetvalue(res, 0, 0), n);
            (*checkpoint)[n] = '\0';
        }
    } else {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_exchange_checkpoint_put(cg_bankdb *db, int64_t id, const char *checkpoint,
                                         int64_t now, int64_t items, cg_error *err)
{
    cg__pg_params p = {0};
    int64_t changed = 0;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, checkpoint);
    cg__pg_param_int(&p, now);
    cg__pg_param_int(&p, items);
    snprintf(what, sizeof(what), "exchange %lld: storing its checkpoint", (long long)id);
    s = run(db,
            "UPDATE exchanges SET checkpoint = $2, checkpoint_ts = $3::bigint,"
            " fetched_items = fetched_items + $4::bigint WHERE id = $1::bigint",
            &p, what, &changed, err);
    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    return s;
}

cg_status cg__pg_exchange_fetch_mark(cg_bankdb *db, int64_t id, int started, int64_t now,
                                     int succeeded, int up_to_date, const char *error,
                                     cg_error *err)
{
    cg__pg_params p = {0};
    char what[64];

    cg__pg_param_int(&p, id);
    cg__pg_param_int(&p, now);
    if (started) {
        snprintf(what, sizeof(what), "exchange %lld: marking a fetch started", (long long)id);
        return run(db,
                   "UPDATE exchanges SET running_fetch_start_ts = $2::bigint"
                   " WHERE id = $1::bigint",
                   &p, what, NULL, err);
    }
    cg__pg_param_int(&p, succeeded != 0);
    cg__pg_param_int(&p, up_to_date != 0);
    cg__pg_param_text(&p, error);
    snprintf(what, sizeof(what), "exchange %lld: marking a fetch ended", (long long)id);
    return cg__pg_query(db,
                        "UPDATE exchanges SET running_fetch_start_ts = 0,"
                        " last_fetch_complete_ts = $2::bigint, last_fetch_succeeded = $3::integer,"
                        " up_to_date = $4::integer, last_error = $5 WHERE id = $1::bigint",
                        &p, what, NULL, err);
}

cg_status cg__pg_exchange_key_signals(cg_bankdb *db, int64_t id, const char *key,
                                      int (*fn)(int64_t signal_id, int owned, void *ud),
                                      void *ud, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[80];
    cg_status s;

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, key);
    snprintf(what, sizeof(what), "exchange %lld: reading the links of a record", (long long)id);
    s = cg__pg_query(db,
                     "SELECT signal_id, owned FROM exchange_links"
                     " WHERE exchange_id = $1::bigint AND key = $2 ORDER BY signal_id",
                     &p, what, &res, err);
    for (int i = 0; s == CG_OK && i < PQntuples(res); i++)
        if (fn(cg__pg_int(res, i, 0), cg__pg_int(res, i, 1) != 0, ud) != 0)
            break;
    PQclear(res);
    return s;
}

/* *out: 1 some link of signal_id is owned, 0 it has links but none owned, -1 it has none. */
static cg_status owned_any(cg_bankdb *db, int64_t signal_id, int *out, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, signal_id);
    snprintf(what, sizeof(what), "signal %lld: reading its links", (long long)signal_id);
    s = cg__pg_query(db,
                     "SELECT count(*), coalesce(max(owned), 0) FROM exchange_links"
                     " WHERE signal_id = $1::bigint",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    *out = cg__pg_int(res, 0, 1) != 0 ? 1 : (cg__pg_int(res, 0, 0) > 0 ? 0 : -1);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_exchange_link(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                               int *owned_out, cg_error *err)
{
    cg__pg_params p = {0};
    char what[80];
    cg_status s;
    int any = 0;

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, l->key);
    cg__pg_param_int(&p, l->signal_id);
    cg__pg_param_int(&p, l->owned != 0);
    cg__pg_param_text(&p, l->member != NULL ? l->member : "");
    cg__pg_param_text(&p, l->entry_id != NULL ? l->entry_id : "");
    cg__pg_param_text(&p, l->classification != NULL ? l->classification : "");
    cg__pg_param_int(&p, l->timestamp);
    snprintf(what, sizeof(what), "exchange %lld: linking signal %lld", (long long)id,
             (long long)l->signal_id);
    s = cg__pg_query(db,
                     "INSERT INTO exchange_links(exchange_id, key, signal_id, owned, member,"
                     " entry_id, classification, timestamp, gen)"
                     " VALUES ($1::bigint, $2, $3::bigint, $4::integer, $5, $6, $7, $8::bigint,"
                     " (SELECT link_gen FROM exchanges WHERE id = $1::bigint))"
                     " ON CONFLICT (exchange_id, key, signal_id) DO UPDATE SET"
                     " owned = GREATEST(exchange_links.owned, excluded.owned),"
                     " member = excluded.member, entry_id = excluded.entry_id,"
                     " classification = excluded.classification,"
                     " timestamp = excluded.timestamp, gen = excluded.gen",
                     &p, what, NULL, err);
    /* Ownership belongs to the signal, not to one link: when an owned link exists, every link
     * of the signal is owned, so the last one removed (whichever it is) deletes the signal. A
     * signal inserted in this transaction has no other link: nothing to share (a round trip
     * less per new record). */
    if (s == CG_OK && l->owned != CG__LINK_FRESH) {
        cg__pg_params q = {0};

        cg__pg_param_int(&q, l->signal_id);
        snprintf(what, sizeof(what), "signal %lld: sharing its ownership",
                 (long long)l->signal_id);
        s = run(db,
                "UPDATE exchange_links SET owned = 1 WHERE signal_id = $1::bigint AND owned = 0"
                " AND EXISTS (SELECT 1 FROM exchange_links WHERE signal_id = $1::bigint"
                " AND owned = 1)",
                &q, what, NULL, err);
    }
    if (s == CG_OK && owned_out != NULL) {
        s = owned_any(db, l->signal_id, &any, err);
        *owned_out = any == 1;
    }
    return s;
}

cg_status cg__pg_exchange_unlink(cg_bankdb *db, int64_t id, const char *key, int64_t signal_id,
                                 int *orphaned, cg_error *err)
{
    cg__pg_params p = {0};
    char what[80];
    cg_status s;
    int before = -1, after = -1;

    *orphaned = 0;
    s = owned_any(db, signal_id, &before, err);
    if (s != CG_OK)
        return s;
    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, key);
    cg__pg_param_int(&p, signal_id);
    snprintf(what, sizeof(what), "exchange %lld: unlinking signal %lld", (long long)id,
             (long long)signal_id);
    s = cg__pg_query(db,
                     "DELETE FROM exchange_links WHERE exchange_id = $1::bigint AND key = $2"
                     " AND signal_id = $3::bigint",
                     &p, what, NULL, err);
    if (s == CG_OK)
        s = owned_any(db, signal_id, &after, err);
    /* Orphaned: some link was owned before, and none is left. */
    if (s == CG_OK && before == 1 && after == -1)
        *orphaned = 1;
    return s;
}

cg_status cg__pg_exchange_provenance(cg_bankdb *db, int64_t signal_id,
                                     int (*fn)(const char *exchange, const char *key,
                                               const char *member, const char *entry_id,
                                               const char *classification, void *ud),
                                     void *ud, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, signal_id);
    snprintf(what, sizeof(what), "signal %lld: reading its provenance", (long long)signal_id);
    /* COLLATE "C": the byte order SQLite sorts text in, whatever the database's collation. */
    s = cg__pg_query(db,
                     "SELECT e.name, l.key, l.member, l.entry_id, l.classification"
                     " FROM exchange_links l JOIN exchanges e ON e.id = l.exchange_id"
                     " WHERE l.signal_id = $1::bigint"
                     " ORDER BY e.name COLLATE \"C\", l.key COLLATE \"C\"",
                     &p, what, &res, err);
    for (int i = 0; s == CG_OK && i < PQntuples(res); i++)
        if (fn(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
               PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), ud) != 0)
            break;
    PQclear(res);
    return s;
}

/* ---- back-off and refetch generation (schema step 11) ----------------------------------- */

cg_status cg__pg_exchange_backoff_put(cg_bankdb *db, int64_t id, int failures,
                                      int64_t next_fetch_ts, cg_error *err)
{
    cg__pg_params p = {0};
    int64_t changed = 0;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    cg__pg_param_int(&p, failures);
    cg__pg_param_int(&p, next_fetch_ts);
    snprintf(what, sizeof(what), "exchange %lld: storing its back-off", (long long)id);
    s = run(db,
            "UPDATE exchanges SET failures = $2::bigint, next_fetch_ts = $3::bigint"
            " WHERE id = $1::bigint",
            &p, what, &changed, err);
    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    return s;
}

cg_status cg__pg_exchange_refetch_mark(cg_bankdb *db, int64_t id, cg_error *err)
{
    cg__pg_params p = {0};
    int64_t changed = 0;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "exchange %lld: starting a refetch", (long long)id);
    s = run(db,
            "UPDATE exchanges SET link_gen = link_gen + 1, sweep_pending = 1"
            " WHERE id = $1::bigint",
            &p, what, &changed, err);
    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    return s;
}

cg_status cg__pg_exchange_stale_links(cg_bankdb *db, int64_t id,
                                      int (*fn)(const char *key, int64_t signal_id, void *ud),
                                      void *ud, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "exchange %lld: reading its stale links", (long long)id);
    /* Read whole before the callbacks (which may call into the handle); keys in byte order. */
    s = cg__pg_query(db,
                     "SELECT key, signal_id FROM exchange_links WHERE exchange_id = $1::bigint"
                     " AND gen < (SELECT link_gen FROM exchanges WHERE id = $1::bigint)"
                     " ORDER BY key COLLATE \"C\", signal_id",
                     &p, what, &res, err);
    for (int i = 0; s == CG_OK && i < PQntuples(res); i++)
        if (fn(PQgetvalue(res, i, 0), cg__pg_int(res, i, 1), ud) != 0)
            break;
    PQclear(res);
    return s;
}

cg_status cg__pg_exchange_sweep_done(cg_bankdb *db, int64_t id, cg_error *err)
{
    cg__pg_params p = {0};
    char what[64];

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "exchange %lld: ending a sweep", (long long)id);
    return run(db, "UPDATE exchanges SET sweep_pending = 0 WHERE id = $1::bigint", &p, what,
               NULL, err);
}
