/* The text excerpts of review items in SQLite (table review_excerpts, schema step 9; review.h
 * "text excerpts"): one row per item, replaced whole, read only for the handle's tenant and
 * only before its expiry, purged by expiry. The checks of the JSON are src/review/'s. */
#include "store/sqlite/sqlite_int.h"

#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

cg_status cg__sqlite_review_excerpt_put(cg_bankdb *db, int64_t id, const char *json, size_t len,
                                        int64_t expires, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT OR REPLACE INTO review_excerpts(item_id, excerpt, created,"
                           " expires) VALUES (?1, ?2, ?3, ?4)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, json, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
    sqlite3_bind_int64(st, 4, expires);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "keeping the excerpt of review item %lld",
                            (long long)id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_excerpt_get(cg_bankdb *db, int64_t id, int64_t now, char **json,
                                        size_t *len, int64_t *expires, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT e.excerpt, e.expires FROM review_excerpts e"
                           " JOIN review_items i ON i.id = e.item_id"
                           " WHERE e.item_id = ?1 AND i.tenant = ?2 AND e.expires > ?3",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        const size_t n = (size_t)sqlite3_column_bytes(st, 0);

        *json = cg__malloc(n + 1);
        if (*json == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (excerpt)",
                         db->path, (long long)id);
        } else {
            if (n > 0)
                memcpy(*json, t, n);
            (*json)[n] = '\0';
            *len = n;
            if (expires != NULL)
                *expires = sqlite3_column_int64(st, 1);
        }
    } else if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld has no excerpt", db->path,
                     (long long)id);
    } else {
        s = cg__bankdb_fail(db, err, rc, "reading the excerpt of review item %lld",
                            (long long)id);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_review_excerpt_purge(cg_bankdb *db, int64_t now, int64_t *removed,
                                          cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, "DELETE FROM review_excerpts WHERE expires <= ?1", &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, now);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "purging expired review excerpts");
    else if (removed != NULL)
        *removed = sqlite3_changes(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}
