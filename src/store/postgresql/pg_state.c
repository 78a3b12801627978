/* The engine's saved live state in PostgreSQL (cg_bankdb_state_put/get): one row per tenant,
 * replaced whole, the bytes as a binary parameter (bytea). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

cg_status cg__pg_state_put(cg_bankdb *db, const char *tenant, const uint8_t *data, size_t len,
                           int64_t now, cg_error *err)
{
    cg__pg_params p = {0};
    char what[128];

    if (len > (size_t)INT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: engine state of %zu bytes is too large", db->path,
                        len);
    cg__pg_param_text(&p, tenant);
    cg__pg_param_bytes(&p, data, len);
    cg__pg_param_int(&p, now);
    snprintf(what, sizeof(what), "saving the engine state of tenant \"%.64s\"", tenant);
    return cg__pg_query(db,
                        "INSERT INTO engine_state(tenant, state, saved)"
                        " VALUES ($1, $2::bytea, $3::bigint) ON CONFLICT (tenant) DO UPDATE"
                        " SET state = excluded.state, saved = excluded.saved",
                        &p, what, NULL, err);
}

cg_status cg__pg_state_get(cg_bankdb *db, const char *tenant, uint8_t **data, size_t *len,
                           int64_t *saved, int *found, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[128];
    cg_status s;

    *data = NULL;
    *len = 0;
    *saved = 0;
    *found = 0;
    cg__pg_param_text(&p, tenant);
    snprintf(what, sizeof(what), "reading the engine state of tenant \"%.64s\"", tenant);
    s = cg__pg_query(db, "SELECT encode(state, 'hex'), saved FROM engine_state WHERE tenant = $1",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        const size_t n = (size_t)PQgetlength(res, 0, 0) / 2;

        *data = cg__malloc(n > 0 ? n : 1);
        if (*data == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: engine state: out of memory", db->path);
        } else if (n > 0 && cg__pg_hex(res, 0, 0, *data, n) < 0) {
            cg__free(*data);
            *data = NULL;
            s = cg__fail(err, CG_E_DECODE, "%s: engine state of tenant \"%.64s\": bad bytes",
                         db->path, tenant);
        } else {
            *len = n;
            *saved = cg__pg_int(res, 0, 1);
            *found = 1;
        }
    }
    PQclear(res);
    return s;
}
