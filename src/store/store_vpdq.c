/* vPDQ signals in a bank (vpdq_bank.h): the public functions over the store's operations; the
 * identity and text form of a frame list are vpdq_signal.c. */
#include "store/store_int.h"

#include "common/error.h"

cg_status cg_bank_vpdq_add(cg_bankdb *db, int64_t bank_id, const cg_vpdq_frame *frames, size_t n,
                           const char *source, const char *external_id, const char *note,
                           int64_t *signal_id, int *merged, cg_error *err)
{
    if (db == NULL) {
        if (signal_id != NULL)
            *signal_id = 0;
        if (merged != NULL)
            *merged = 0;
        return cg__fail(err, CG_E_INVAL, "cg_bank_vpdq_add: db is NULL");
    }
    return db->ops->vpdq_add(db, bank_id, frames, n, source, external_id, note, signal_id, merged,
                             err);
}

cg_status cg_bank_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                              int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                              cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_vpdq_frames: db is NULL");
    return db->ops->vpdq_frames(db, signal_id, fn, ud, err);
}
