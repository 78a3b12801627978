/* Exchanges' rows (store_ops.h, include/childguard/exchange_store.h), schema step 8: the
 * exchanges table (configuration, checkpoint and fetch status), exchange_secrets (sealed
 * credentials, apart from the configuration) and exchange_links (which exchange record each
 * signal came from). Every op is one statement inside the caller's transaction, or autocommit. */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define EXCHANGE_COLUMNS                                                                    \
    "id, name, api, api_json, enabled, bank_id, created, checkpoint_ts,"                    \
    " running_fetch_start_ts, last_fetch_complete_ts, last_fetch_succeeded, up_to_date,"   \
    " fetched_items, last_error,"                                                           \
    " EXISTS (SELECT 1 FROM exchange_secrets WHERE exchange_id = exchanges.id), tenant,"       \
    " failures, next_fetch_ts, sweep_pending"

/* Copies text column col into dst (cap bytes); a longer value is cut (never happens for rows
 * written through the checks, but a hand-edited file must not overflow). */
static void column_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);

    if (t == NULL)
        n = 0;
    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

static void read_row(sqlite3_stmt *st, cg_exchange_info *out)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    column_text(st, 1, out->name, sizeof(out->name));
    column_text(st, 2, out->api, sizeof(out->api));
    column_text(st, 3, out->api_json, sizeof(out->api_json));
    out->enabled = sqlite3_column_int(st, 4) != 0;
    out->bank_id = sqlite3_column_int64(st, 5);
    out->created = sqlite3_column_int64(st, 6);
    out->checkpoint_ts = sqlite3_column_int64(st, 7);
    out->running_fetch_start_ts = sqlite3_column_int64(st, 8);
    out->last_fetch_complete_ts = sqlite3_column_int64(st, 9);
    out->last_fetch_succeeded = sqlite3_column_int(st, 10) != 0;
    out->up_to_date = sqlite3_column_int(st, 11) != 0;
    out->fetched_items = sqlite3_column_int64(st, 12);
    column_text(st, 13, out->last_error, sizeof(out->last_error));
    out->has_secret = sqlite3_column_int(st, 14) != 0;
    column_text(st, 15, out->tenant, sizeof(out->tenant));
    out->consecutive_failures = sqlite3_column_int(st, 16);
    out->next_fetch_ts = sqlite3_column_int64(st, 17);
    out->sweep_pending = sqlite3_column_int(st, 18) != 0;
}

cg_status cg__sqlite_exchange_insert(cg_bankdb *db, const char *tenant, cg_exchange_info *ex,
                                     int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO exchanges(tenant, name, api, api_json, enabled, bank_id,"
                           " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ex->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ex->api, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ex->api_json[0] != '\0' ? ex->api_json : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, ex->enabled != 0);
    sqlite3_bind_int64(st, 6, ex->bank_id);
    sqlite3_bind_int64(st, 7, now);
    rc = sqlite3_step(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        s = cg__fail(err, CG_E_INVAL, "%s: exchange \"%s\" already exists", db->path, ex->name);
    } else if (rc != SQLITE_DONE) {
        s = cg__bankdb_fail(db, err, rc, "exchange \"%s\": creating", ex->name);
    } else {
        ex->id = sqlite3_last_insert_rowid(cg__sq(db));
        ex->created = now;
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_get(cg_bankdb *db, const char *tenant, const char *name,
                                  cg_exchange_info *out, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT " EXCHANGE_COLUMNS " FROM exchanges"
                           " WHERE tenant = ?1 AND name = ?2",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_row(st, out);
    else if (rc == SQLITE_DONE)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange \"%s\"", db->path, name);
    else
        s = cg__bankdb_fail(db, err, rc, "exchange \"%s\": reading", name);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_list(cg_bankdb *db, const char *tenant,
                                   int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                                   cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_exchange_info *row;
    cg_status s;
    int rc;

    row = cg__malloc(sizeof(*row));
    if (row == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: listing exchanges: out of memory", db->path);
    s = cg__bankdb_prepare(db,
                           "SELECT " EXCHANGE_COLUMNS " FROM exchanges"
                           " WHERE ?1 IS NULL OR tenant = ?1 ORDER BY tenant, name",
                           &st, err);
    if (s != CG_OK) {
        cg__free(row);
        return s;
    }
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st)) {
        read_row(st, row);
        if (fn(row, ud) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "listing exchanges");
    sqlite3_finalize(st);
    cg__free(row);
    return s;
}

/* Runs sql, binding ?1 = id (and ?2 text2 when not NULL, ?3 int3); *changed: rows changed. */
static cg_status run_id(cg_bankdb *db, const char *sql, int64_t id, const char *text2,
                        int64_t int3, const char *what, int *changed, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    if (text2 != NULL)
        sqlite3_bind_text(st, 2, text2, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, int3);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: %s", (long long)id, what);
    else if (changed != NULL)
        *changed = sqlite3_changes(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_update_row(cg_bankdb *db, const cg_exchange_info *ex,
                                         cg_error *err)
{
    int changed = 0;
    cg_status s = run_id(db, "UPDATE exchanges SET api_json = ?2, enabled = ?3 WHERE id = ?1",
                         ex->id, ex->api_json[0] != '\0' ? ex->api_json : "{}", ex->enabled != 0,
                         "updating", &changed, err);

    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange \"%s\"", db->path, ex->name);
    return s;
}

cg_status cg__sqlite_exchange_delete_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    int changed = 0;
    /* The secret and the links go by ON DELETE CASCADE (foreign_keys is on). */
    cg_status s = run_id(db, "DELETE FROM exchanges WHERE id = ?1", id, NULL, 0, "deleting",
                         &changed, err);

    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    return s;
}

cg_status cg__sqlite_exchange_secret_put(cg_bankdb *db, int64_t id, const uint8_t *blob,
                                         size_t len, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (len == 0)
        return run_id(db, "DELETE FROM exchange_secrets WHERE exchange_id = ?1", id, NULL, 0,
                      "removing its credentials", NULL, err);
    s = cg__bankdb_prepare(db,
                           "INSERT INTO exchange_secrets(exchange_id, sealed) VALUES (?1, ?2)"
                           " ON CONFLICT (exchange_id) DO UPDATE SET sealed = excluded.sealed",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_blob(st, 2, blob, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: storing its credentials",
                            (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_secret_get(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                         int *found, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "SELECT sealed FROM exchange_secrets WHERE exchange_id = ?1", &st,
                           err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        const size_t n = (size_t)sqlite3_column_bytes(st, 0);

        *blob = cg__malloc(n > 0 ? n : 1);
        if (*blob == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
        } else {
            if (n > 0)
                memcpy(*blob, b, n);
            *len = n;
            *found = 1;
        }
    } else if (rc != SQLITE_DONE) {
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: reading its credentials",
                            (long long)id);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_checkpoint_get(cg_bankdb *db, int64_t id, char **checkpoint,
                                             cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "SELECT checkpoint FROM exchanges WHERE id = ?1", &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        const size_t n = t != NULL ? (size_t)sqlite3_column_bytes(st, 0) : 0;

        *checkpoint = cg__malloc(n + 1);
        if (*checkpoint == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
        } else {
            if (n > 0)
                memcpy(*checkpoint, t, n);
            (*checkpoint)[n] = '\0';
        }
    } else if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    } else {
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: reading its checkpoint",
                            (long long)id);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_checkpoint_put(cg_bankdb *db, int64_t id, const char *checkpoint,
                                             int64_t now, int64_t items, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "UPDATE exchanges SET checkpoint = ?2, checkpoint_ts = ?3,"
                           " fetched_items = fetched_items + ?4 WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, checkpoint, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, items);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: storing its checkpoint",
                            (long long)id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_fetch_mark(cg_bankdb *db, int64_t id, int started, int64_t now,
                                         int succeeded, int up_to_date, const char *error,
                                         cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (started)
        return run_id(db, "UPDATE exchanges SET running_fetch_start_ts = ?3 WHERE id = ?1", id,
                      NULL, now, "marking a fetch started", NULL, err);
    s = cg__bankdb_prepare(db,
                           "UPDATE exchanges SET running_fetch_start_ts = 0,"
                           " last_fetch_complete_ts = ?2, last_fetch_succeeded = ?3,"
                           " up_to_date = ?4, last_error = ?5 WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, succeeded != 0);
    sqlite3_bind_int(st, 4, up_to_date != 0);
    sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: marking a fetch ended", (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_key_signals(cg_bankdb *db, int64_t id, const char *key,
                                          int (*fn)(int64_t signal_id, int owned, void *ud),
                                          void *ud, cg_error *err)
{
    static const char sql[] = "SELECT signal_id, owned FROM exchange_links"
                              " WHERE exchange_id = ?1 AND key = ?2 ORDER BY signal_id";
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc, cached = 0;

    /* The cached statement, unless a callback of it is calling back in (then a fresh one). */
    s = cg__bankdb_stmt(db, CG__STMT_EXCHANGE_KEY_SIGNALS, sql, &st, err);
    if (s == CG_OK && sqlite3_stmt_busy(st) == 0)
        cached = 1;
    else if (s == CG_OK)
        s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st))
        if (fn(sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1) != 0, ud) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: reading the links of a record",
                            (long long)id);
    if (cached)
        sqlite3_reset(st);
    else
        sqlite3_finalize(st);
    return s;
}

/* *out: some link of signal_id is owned. */
static cg_status owned_any(cg_bankdb *db, int64_t signal_id, int *out, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_stmt(db, CG__STMT_EXCHANGE_OWNED_ANY,
                        "SELECT count(*), coalesce(max(owned), 0) FROM exchange_links"
                        " WHERE signal_id = ?1",
                        &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, signal_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 1) != 0 ? 1 : (sqlite3_column_int64(st, 0) > 0 ? 0 : -1);
    else
        s = cg__bankdb_fail(db, err, rc, "signal %lld: reading its links", (long long)signal_id);
    sqlite3_reset(st);
    return s;
}

cg_status cg__sqlite_exchange_link(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                                   int *owned_out, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc, any = 0;

    s = cg__bankdb_stmt(db, CG__STMT_EXCHANGE_LINK,
                        "INSERT INTO exchange_links(exchange_id, key, signal_id, owned, member,"
                        " entry_id, classification, timestamp, gen)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                        " (SELECT link_gen FROM exchanges WHERE id = ?1))"
                        " ON CONFLICT (exchange_id, key, signal_id) DO UPDATE SET"
                        " owned = max(owned, excluded.owned), member = excluded.member,"
                        " entry_id = excluded.entry_id,"
                        " classification = excluded.classification,"
                        " timestamp = excluded.timestamp, gen = excluded.gen",
                        &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, l->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, l->signal_id);
    sqlite3_bind_int(st, 4, l->owned != 0);
    sqlite3_bind_text(st, 5, l->member != NULL ? l->member : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, l->entry_id != NULL ? l->entry_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, l->classification != NULL ? l->classification : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, l->timestamp);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: linking signal %lld", (long long)id,
                            (long long)l->signal_id);
    sqlite3_reset(st);
    /* Ownership belongs to the signal, not to one link: when an owned link exists, every link
     * of the signal is owned, so the last one removed (whichever it is) deletes the signal. A
     * signal inserted in this transaction has no other link: nothing to share. */
    if (s == CG_OK && l->owned == CG__LINK_FRESH)
        st = NULL;
    else if (s == CG_OK)
        s = cg__bankdb_stmt(db, CG__STMT_EXCHANGE_LINK_OWN,
                            "UPDATE exchange_links SET owned = 1 WHERE signal_id = ?1"
                            " AND owned = 0 AND EXISTS (SELECT 1 FROM exchange_links"
                            " WHERE signal_id = ?1 AND owned = 1)",
                            &st, err);
    if (s == CG_OK && st != NULL) {
        sqlite3_bind_int64(st, 1, l->signal_id);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = cg__bankdb_fail(db, err, rc, "exchange %lld: sharing a signal's ownership",
                                (long long)id);
        sqlite3_reset(st);
    }
    if (s == CG_OK && owned_out != NULL) {
        s = owned_any(db, l->signal_id, &any, err);
        *owned_out = any == 1;
    }
    return s;
}

cg_status cg__sqlite_exchange_unlink(cg_bankdb *db, int64_t id, const char *key,
                                     int64_t signal_id, int *orphaned, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc, before = -1, after = -1;

    *orphaned = 0;
    s = owned_any(db, signal_id, &before, err);
    if (s == CG_OK)
        s = cg__bankdb_stmt(db, CG__STMT_EXCHANGE_UNLINK,
                            "DELETE FROM exchange_links WHERE exchange_id = ?1 AND key = ?2"
                            " AND signal_id = ?3",
                            &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, signal_id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: unlinking signal %lld", (long long)id,
                            (long long)signal_id);
    sqlite3_reset(st);
    if (s == CG_OK)
        s = owned_any(db, signal_id, &after, err);
    /* Orphaned: some link was owned before, and none is left. */
    if (s == CG_OK && before == 1 && after == -1)
        *orphaned = 1;
    return s;
}

cg_status cg__sqlite_exchange_provenance(cg_bankdb *db, int64_t signal_id,
                                         int (*fn)(const char *exchange, const char *key,
                                                   const char *member, const char *entry_id,
                                                   const char *classification, void *ud),
                                         void *ud, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT e.name, l.key, l.member, l.entry_id, l.classification"
                           " FROM exchange_links l JOIN exchanges e ON e.id = l.exchange_id"
                           " WHERE l.signal_id = ?1 ORDER BY e.name, l.key",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, signal_id);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st))
        if (fn((const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1),
               (const char *)sqlite3_column_text(st, 2),
               (const char *)sqlite3_column_text(st, 3),
               (const char *)sqlite3_column_text(st, 4), ud) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "signal %lld: reading its provenance",
                            (long long)signal_id);
    sqlite3_finalize(st);
    return s;
}

/* ---- back-off and refetch generation (schema step of exchanges-3) ----------------------- */

cg_status cg__sqlite_exchange_backoff_put(cg_bankdb *db, int64_t id, int failures,
                                          int64_t next_fetch_ts, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "UPDATE exchanges SET failures = ?2, next_fetch_ts = ?3"
                               " WHERE id = ?1", &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, failures);
    sqlite3_bind_int64(st, 3, next_fetch_ts);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: storing its back-off", (long long)id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_refetch_mark(cg_bankdb *db, int64_t id, cg_error *err)
{
    int changed = 0;
    cg_status s = run_id(db, "UPDATE exchanges SET link_gen = link_gen + 1, sweep_pending = 1"
                             " WHERE id = ?1", id, NULL, 0, "starting a refetch", &changed, err);

    if (s == CG_OK && changed == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no exchange %lld", db->path, (long long)id);
    return s;
}

cg_status cg__sqlite_exchange_stale_links(cg_bankdb *db, int64_t id,
                                          int (*fn)(const char *key, int64_t signal_id,
                                                    void *ud),
                                          void *ud, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT key, signal_id FROM exchange_links WHERE exchange_id = ?1"
                           " AND gen < (SELECT link_gen FROM exchanges WHERE id = ?1)"
                           " ORDER BY key, signal_id",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st))
        if (fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), ud) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "exchange %lld: reading its stale links",
                            (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_exchange_sweep_done(cg_bankdb *db, int64_t id, cg_error *err)
{
    return run_id(db, "UPDATE exchanges SET sweep_pending = 0 WHERE id = ?1", id, NULL, 0,
                  "ending a sweep", NULL, err);
}
