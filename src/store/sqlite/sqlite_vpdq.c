/* vPDQ signals in the store (include/childguard/vpdq_bank.h): a "vpdq" row in signals whose
 * value is the identity of the frame list, and its frames in vpdq_frames (schema step 4).
 *
 * The signal row goes through the same insert-or-merge as every other signal
 * (cg__bank_signal_add_in_tx), so merging, the change-log triggers and the audit records are
 * the ordinary ones; the frames are written only when the row is new, in the same transaction,
 * so a matcher that rereads the signal after its change-log entry always finds its frames.
 * Frames never change after that: the identity is their hash. */
#include "store/sqlite/sqlite_int.h"

#include <string.h>

#include "common/error.h"
#include "common/hex.h"

static cg_status insert_frames(cg_bankdb *db, int64_t signal_id, const cg_vpdq_frame *frames,
                               size_t n, cg_error *err)
{
    sqlite3_stmt *st;
    cg_status r = cg__bankdb_stmt(db, CG__STMT_VPDQ_FRAME_INSERT,
                                  "INSERT INTO vpdq_frames(signal_id, frame, quality, hash,"
                                  " timestamp) VALUES (?1, ?2, ?3, ?4, ?5)",
                                  &st, err);

    for (size_t i = 0; r == CG_OK && i < n; i++) {
        char hex[CG_PDQ_HEX_LEN + 1];
        uint8_t value[32];
        int rc;

        cg_pdq_to_hex(&frames[i].hash, hex);
        r = cg__hex_decode(hex, CG_PDQ_HEX_LEN, value, 32);
        if (r != CG_OK)
            break;
        sqlite3_bind_int64(st, 1, signal_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)frames[i].frame_number);
        sqlite3_bind_int(st, 3, frames[i].quality);
        sqlite3_bind_blob(st, 4, value, 32, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 5, (double)frames[i].timestamp);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            r = cg__bankdb_fail(db, err, rc, "signal %lld: storing vpdq frame %zu",
                                (long long)signal_id, i + 1);
        sqlite3_reset(st);
    }
    return r;
}

cg_status cg__bank_vpdq_add_in_tx(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                  size_t n, int64_t now, int *merged, cg_error *err)
{
    cg_status r;

    *merged = 0;
    r = cg__vpdq_signal_from_frames(db, s, frames, n, err);
    if (r != CG_OK)
        return r;
    r = cg__bank_signal_add_in_tx(db, s, now, merged, err);
    if (r != CG_OK || *merged)
        return r;
    return insert_frames(db, s->id, frames, n, err);
}

cg_status cg__sqlite_vpdq_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                              size_t n, int64_t now, int *merged, int *filled, cg_error *err)
{
    /* A merge that fills nothing writes no row: the change counter tells the two apart. */
    const int before = sqlite3_total_changes(cg__sq(db));
    const cg_status r = cg__bank_vpdq_add_in_tx(db, s, frames, n, now, merged, err);

    *filled = r == CG_OK && *merged && sqlite3_total_changes(cg__sq(db)) != before;
    return r;
}

cg_status cg__sqlite_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                                 int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                                 cg_error *err)
{
    cg_bank_signal sig;
    sqlite3_stmt *st;
    cg_status r;
    int rc;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_vpdq_frames: NULL argument");
    r = cg_bank_signal_get(db, signal_id, &sig, err);
    if (r != CG_OK)
        return r;
    r = cg__bankdb_stmt(db, CG__STMT_VPDQ_FRAMES,
                        "SELECT frame, quality, hash, timestamp FROM vpdq_frames"
                        " WHERE signal_id = ?1 ORDER BY rowid",
                        &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, signal_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cg_vpdq_frame f;
        char hex[CG_PDQ_HEX_LEN + 1];
        const void *blob = sqlite3_column_blob(st, 2);

        memset(&f, 0, sizeof(f));
        if (blob == NULL || sqlite3_column_bytes(st, 2) != 32) {
            r = cg__fail(err, CG_E_DECODE, "%s: signal %lld: a vpdq frame hash is not 32 bytes",
                         db->path, (long long)signal_id);
            break;
        }
        cg__hex_encode(blob, 32, hex);
        if (cg_pdq_from_hex(hex, CG_PDQ_HEX_LEN, &f.hash) != CG_OK) {
            r = cg__fail(err, CG_E_DECODE, "%s: signal %lld: bad vpdq frame hash", db->path,
                         (long long)signal_id);
            break;
        }
        f.frame_number = (uint64_t)sqlite3_column_int64(st, 0);
        f.quality = sqlite3_column_int(st, 1);
        f.timestamp = (float)sqlite3_column_double(st, 3);
        if (fn(&f, ud) != 0)
            break;
    }
    if (r == CG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = cg__bankdb_fail(db, err, rc, "signal %lld: reading vpdq frames",
                            (long long)signal_id);
    sqlite3_reset(st);
    return r;
}
