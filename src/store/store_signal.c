/* Signals: the public cg_bank_signal_* functions of bank.h over the store's operations
 * (store_ops.h); the rules (merging a duplicate, what is audited) are the backend's contract,
 * written in bank.h. */
#include "store/store_int.h"

#include <string.h>

#include "common/error.h"

cg_status cg_bank_signal_add(cg_bankdb *db, cg_bank_signal *s, int *merged, cg_error *err)
{
    if (db == NULL) {
        if (merged != NULL)
            *merged = 0;
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_add: db is NULL");
    }
    return db->ops->signal_add(db, s, merged, err);
}

cg_status cg_bank_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_get: db is NULL");
    }
    return db->ops->signal_get(db, id, out, err);
}

cg_status cg_bank_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                              const uint8_t *value, cg_bank_signal *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_find: db is NULL");
    }
    return db->ops->signal_find(db, bank_id, type, value, out, err);
}

cg_status cg_bank_signal_set_disabled(cg_bankdb *db, int64_t id, int64_t until, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_set_disabled: db is NULL");
    return db->ops->signal_set_disabled(db, id, until, err);
}

cg_status cg_bank_signal_delete(cg_bankdb *db, int64_t id, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_delete: db is NULL");
    return db->ops->signal_delete(db, id, err);
}

cg_status cg_bank_signal_foreach(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                 int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                 cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_foreach: db is NULL");
    return db->ops->signal_foreach(db, bank_id, type, fn, ud, err);
}

cg_status cg_bank_signal_count(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                               int64_t *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            *out = 0;
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_count: db is NULL");
    }
    return db->ops->signal_count(db, bank_id, type, out, err);
}
