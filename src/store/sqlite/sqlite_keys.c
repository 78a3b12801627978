/* API keys of the HTTP service (include/childguard/keys.h, docs/keys.md): their rows in SQLite.
 * The token format, its verification and the audit records are store_keys.c's.
 *
 * Table (sqlite_store.c, schema steps 3 and 5): api_keys keeps, per key, its name, holder, tenant,
 * scope bits, the banks it may read, rate limit, the SHA-256 of its secret and its creation,
 * last use and revocation times. Triggers (step 5) bump meta 'keys_generation' whenever a key
 * loses or changes a right, so a server's key cache can be dropped on the next request
 * (cg_keys_generation). */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "childguard/keys.h"
#include "childguard/tenant.h"
#include "common/error.h"

#define KEY_COLUMNS "id, name, scopes, rate, created, last_used, revoked, holder, tenant, banks"
/* The column after KEY_COLUMNS in verify's query. */
#define KEY_SECRET_COLUMN 10

/* Fills out from a row of KEY_COLUMNS. A key made before schema 5 has no holder: its name
 * stands for it. */
static cg_status key_from_row(cg_bankdb *db, sqlite3_stmt *st, cg_key *out, cg_error *err)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    if (cg__bankdb_column_text(st, 1, out->name, sizeof(out->name)) < 0 ||
        cg__bankdb_column_text(st, 7, out->holder, sizeof(out->holder)) < 0 ||
        cg__bankdb_column_text(st, 8, out->tenant, sizeof(out->tenant)) < 0 ||
        cg__bankdb_column_text(st, 9, out->banks, sizeof(out->banks)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: API key %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    if (out->holder[0] == '\0')
        memcpy(out->holder, out->name, sizeof(out->name));
    if (!cg_tenant_valid(out->tenant))
        return cg__fail(err, CG_E_DECODE, "%s: API key %lld: stored tenant is not valid",
                        db->path, (long long)out->id);
    out->scopes = (unsigned)sqlite3_column_int64(st, 2) & CG_SCOPE_ALL;
    out->rate_per_second = sqlite3_column_int(st, 3);
    out->created = sqlite3_column_int64(st, 4);
    out->last_used = sqlite3_column_int64(st, 5);
    out->revoked = sqlite3_column_int64(st, 6);
    return CG_OK;
}

cg_status cg__sqlite_apikey_generation(cg_bankdb *db, int64_t *out, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *out = 0;
    s = cg__bankdb_stmt(db, CG__STMT_KEYS_GENERATION,
                        "SELECT value FROM meta WHERE key = 'keys_generation'", &st, err);
    if (s != CG_OK)
        return s;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "reading the keys generation");
    sqlite3_reset(st);
    return s;
}

/* The row of KEY_COLUMNS selected by st (bound), into out; *found 0 when there is none. With
 * hash non-NULL the query has the secret's hash after KEY_COLUMNS: copied there (zero when it
 * is not HASH_BYTES long). */
static cg_status key_select(cg_bankdb *db, sqlite3_stmt *st, cg_key *out, uint8_t *hash,
                            int *found, cg_error *err)
{
    cg_status s = CG_OK;
    int rc;

    *found = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        s = key_from_row(db, st, out, err);
        *found = s == CG_OK;
        if (hash != NULL) {
            memset(hash, 0, CG__APIKEY_HASH_BYTES);
            if (sqlite3_column_bytes(st, KEY_SECRET_COLUMN) == CG__APIKEY_HASH_BYTES &&
                sqlite3_column_blob(st, KEY_SECRET_COLUMN) != NULL)
                memcpy(hash, sqlite3_column_blob(st, KEY_SECRET_COLUMN),
                       CG__APIKEY_HASH_BYTES);
        }
    } else if (rc != SQLITE_DONE) {
        s = cg__bankdb_fail(db, err, rc, "looking up an API key");
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_apikey_get(cg_bankdb *db, int64_t id, cg_key *out,
                                uint8_t hash[CG__APIKEY_HASH_BYTES], int *found, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    *found = 0;
    s = cg__bankdb_prepare(db, "SELECT " KEY_COLUMNS ", secret_sha256 FROM api_keys WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    return key_select(db, st, out, hash, found, err);
}

cg_status cg__sqlite_apikey_find_live(cg_bankdb *db, int64_t id, const char *name, cg_key *out,
                                      int *found, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    *found = 0;
    s = cg__bankdb_prepare(db,
                           id > 0 ? "SELECT " KEY_COLUMNS " FROM api_keys WHERE id = ?1"
                                    " AND revoked = 0"
                                  : "SELECT " KEY_COLUMNS " FROM api_keys WHERE name = ?2"
                                    " AND revoked = 0",
                           &st, err);
    if (s != CG_OK)
        return s;
    if (id > 0)
        sqlite3_bind_int64(st, 1, id);
    else
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    return key_select(db, st, out, NULL, found, err);
}

cg_status cg__sqlite_apikey_insert(cg_bankdb *db, const cg_key *k,
                                   const uint8_t hash[CG__APIKEY_HASH_BYTES], int64_t now,
                                   int64_t *id, cg_error *err)
{
    const char *name = k->name;
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *id = 0;
    s = cg__bankdb_prepare(db,
                           "INSERT INTO api_keys(name, scopes, rate, secret_sha256, created,"
                           " last_used, revoked, holder, tenant, banks)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?7, ?8)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)k->scopes);
    sqlite3_bind_int(st, 3, k->rate_per_second);
    sqlite3_bind_blob(st, 4, hash, CG__APIKEY_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, k->holder, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, k->tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, k->banks, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "adding API key \"%s\"", name);
    else
        *id = sqlite3_last_insert_rowid(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_apikey_touch(cg_bankdb *db, int64_t id, int64_t now, int *done,
                                  cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *done = 0;
    s = cg__bankdb_prepare(db,
                           "UPDATE api_keys SET last_used = ?2 WHERE id = ?1 AND revoked = 0",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        *done = 1;
    else if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED &&
             (rc & 0xff) != SQLITE_READONLY)
        s = cg__bankdb_fail(db, err, rc, "recording the use of API key %lld", (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_apikey_revoke_row(cg_bankdb *db, int64_t id, int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "UPDATE api_keys SET revoked = ?2 WHERE id = ?1", &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "revoking API key %lld", (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_apikey_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                                 cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_key k;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id", &st, err);
    if (s != CG_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s = key_from_row(db, st, &k, err);
        if (s != CG_OK || fn(&k, ud) != 0)
            break;
    }
    if (s == CG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "listing API keys");
    sqlite3_finalize(st);
    return s;
}
