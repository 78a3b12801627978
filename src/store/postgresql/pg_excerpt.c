/* The text excerpts of review items in PostgreSQL (table review_excerpts, schema step 9;
 * review.h "text excerpts"; the rules of sqlite_review_excerpt.c): one row per item, replaced
 * whole, read only for the handle's tenant and only before its expiry, purged by expiry. The
 * checks of the JSON are src/review/'s. The excerpt is handed to the server as the exact len
 * bytes (a binary text parameter): it need not end in a NUL, and a NUL or bytes that are not
 * UTF-8 inside it (which the checks never let through) would be refused by the server, never
 * cut. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

cg_status cg__pg_review_excerpt_put(cg_bankdb *db, int64_t id, const char *json, size_t len,
                                    int64_t expires, cg_error *err)
{
    cg__pg_params p = {0};
    char what[64];

    if (len > (size_t)INT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: review item %lld: excerpt of %zu bytes is too large",
                        db->path, (long long)id, len);
    cg__pg_param_int(&p, id);
    cg__pg_param_bytes(&p, json, len);
    cg__pg_param_int(&p, (int64_t)time(NULL));
    cg__pg_param_int(&p, expires);
    snprintf(what, sizeof(what), "keeping the excerpt of review item %lld", (long long)id);
    return cg__pg_query(db,
                        "INSERT INTO review_excerpts(item_id, excerpt, created, expires)"
                        " VALUES ($1::bigint, $2::text, $3::bigint, $4::bigint)"
                        " ON CONFLICT (item_id) DO UPDATE SET excerpt = excluded.excerpt,"
                        " created = excluded.created, expires = excluded.expires",
                        &p, what, NULL, err);
}

cg_status cg__pg_review_excerpt_get(cg_bankdb *db, int64_t id, int64_t now, char **json,
                                    size_t *len, int64_t *expires, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[64];
    cg_status s;

    cg__pg_param_int(&p, id);
    cg__pg_param_text(&p, cg_bankdb_tenant(db));
    cg__pg_param_int(&p, now);
    snprintf(what, sizeof(what), "reading the excerpt of review item %lld", (long long)id);
    s = cg__pg_query(db,
                     "SELECT e.excerpt, e.expires FROM review_excerpts e"
                     " JOIN review_items i ON i.id = e.item_id"
                     " WHERE e.item_id = $1::bigint AND i.tenant = $2 AND e.expires > $3::bigint",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        const size_t n = (size_t)PQgetlength(res, 0, 0);

        *json = cg__malloc(n + 1);
        if (*json == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (excerpt)",
                         db->path, (long long)id);
        } else {
            if (n > 0)
                memcpy(*json, PQgetvalue(res, 0, 0), n);
            (*json)[n] = '\0';
            *len = n;
            if (expires != NULL)
                *expires = cg__pg_int(res, 0, 1);
        }
    } else {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld has no excerpt", db->path,
                     (long long)id);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_review_excerpt_purge(cg_bankdb *db, int64_t now, int64_t *removed,
                                      cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;

    cg__pg_param_int(&p, now);
    s = cg__pg_query(db, "DELETE FROM review_excerpts WHERE expires <= $1::bigint", &p,
                     "purging expired review excerpts", &res, err);
    if (s != CG_OK)
        return s;
    if (removed != NULL)
        *removed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return CG_OK;
}
