/* The engine's saved live state (bank.h, cg_bankdb_state_put/get): opaque bytes kept per
 * tenant in the store, so that the engine (src/engine/state_store.c) finds them after a
 * restart. Their format and checks are the engine's (src/engine/state.c). */
#include "store/store_int.h"

#include <time.h>

#include "childguard/tenant.h"
#include "common/error.h"

cg_status cg_bankdb_state_put(cg_bankdb *db, const uint8_t *data, size_t len, cg_error *err)
{
    cg_status s;

    if (db == NULL || (data == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_state_put: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    return db->ops->state_put(db, cg_bankdb_tenant(db), data, len, (int64_t)time(NULL), err);
}

cg_status cg_bankdb_state_get(cg_bankdb *db, uint8_t **data, size_t *len, int64_t *saved,
                              cg_error *err)
{
    int64_t at = 0;
    int found = 0;
    cg_status s;

    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    if (saved != NULL)
        *saved = 0;
    if (db == NULL || data == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_state_get: NULL argument");
    s = db->ops->state_get(db, cg_bankdb_tenant(db), data, len, &at, &found, err);
    if (s != CG_OK)
        return s;
    if (!found)
        return cg__fail(err, CG_E_NOTFOUND, "%s: no saved engine state for tenant \"%s\"",
                        db->path, cg_bankdb_tenant(db));
    if (saved != NULL)
        *saved = at;
    return CG_OK;
}
