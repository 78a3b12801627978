/* The change log (bank.h): the public functions over the store's operations. A reader (the
 * matcher's refresher, docs/matching.md) polls it by sequence number. */
#include <string.h>

#include "store/store_int.h"
#include "store/store_watch.h"

#include "common/error.h"

cg_status cg_bankdb_change_seq(cg_bankdb *db, int64_t *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            *out = 0;
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_change_seq: db is NULL");
    }
    return db->ops->change_seq(db, out, err);
}

cg_status cg_bankdb_changes_since(cg_bankdb *db, int64_t seq, int (*fn)(int64_t seq,
                                  cg_change_kind kind, int64_t id, void *ud), void *ud,
                                  cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_changes_since: db is NULL");
    return db->ops->changes_since(db, seq, fn, ud, err);
}

cg_status cg_bankdb_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_prune_changes: db is NULL");
    return db->ops->prune_changes(db, keep_seconds, err);
}

cg_status cg_bankdb_data_version(cg_bankdb *db, uint64_t *out, cg_error *err)
{
    if (out != NULL)
        *out = 0;
    if (db == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_data_version: NULL argument");
    if (db->ops->data_version == NULL || db->ops->data_version(db, out) != CG_OK)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "%s: this store cannot tell cheaply whether it changed", db->path);
    return CG_OK;
}

cg_status cg_bankdb_replica_state_get(cg_bankdb *db, cg_bankdb_replica_state *out,
                                      cg_error *err)
{
    if (db == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_replica_state_get: NULL argument");
    memset(out, 0, sizeof(*out));
    if (db->ops->replica_state == NULL)
        return CG_OK;
    return db->ops->replica_state(db, out, err);
}

cg_status cg__bankdb_watch(cg_bankdb *db, void (*fn)(void *ud), void *ud, cg_error *err)
{
    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg__bankdb_watch: NULL argument");
    if (db->ops->watch == NULL)
        return CG_E_UNSUPPORTED;
    return db->ops->watch(db, fn, ud, err);
}
