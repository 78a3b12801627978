/* The engine's saved live state in SQLite (schema step 6): one row per tenant holding the bytes
 * of cg_engine_state_save; the store keeps them as they are (their checks are the engine's). */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

cg_status cg__sqlite_state_put(cg_bankdb *db, const char *tenant, const uint8_t *data, size_t len,
                               int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (len > (size_t)INT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: engine state of %zu bytes is too large", db->path,
                        len);
    s = cg__bankdb_prepare(db,
                           "INSERT INTO engine_state(tenant, state, saved) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT(tenant) DO UPDATE SET state = excluded.state,"
                           " saved = excluded.saved",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, len > 0 ? (const void *)data : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "saving the engine state of tenant \"%s\"", tenant);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_state_get(cg_bankdb *db, const char *tenant, uint8_t **data, size_t *len,
                               int64_t *saved, int *found, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *data = NULL;
    *len = 0;
    *saved = 0;
    *found = 0;
    s = cg__bankdb_prepare(db, "SELECT state, saved FROM engine_state WHERE tenant = ?1", &st,
                           err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const int n = sqlite3_column_bytes(st, 0);
        const void *p = sqlite3_column_blob(st, 0);

        *data = cg__malloc(n > 0 ? (size_t)n : 1);
        if (*data == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: engine state: out of memory", db->path);
        } else {
            if (n > 0 && p != NULL)
                memcpy(*data, p, (size_t)n);
            *len = (size_t)n;
            *saved = sqlite3_column_int64(st, 1);
            *found = 1;
        }
    } else if (rc != SQLITE_DONE) {
        s = cg__bankdb_fail(db, err, rc, "reading the engine state of tenant \"%s\"", tenant);
    }
    sqlite3_finalize(st);
    return s;
}
