/* vPDQ signals in a bank (vpdq_bank.h): adding one (checked and audited here, stored by the
 * backend's vpdq_put in one write transaction) and reading its frames; the identity and text
 * form of a frame list are vpdq_signal.c. */
#include "store/store_int.h"

#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/error.h"
#include "store/store_audit.h"

/* Copies src (NULL = "") into a field of cap bytes; 0 when it does not fit. */
static int copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= cap)
        return 0;
    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
    return 1;
}

cg_status cg__vpdq_signal_from_frames(cg_bankdb *db, cg_bank_signal *s,
                                      const cg_vpdq_frame *frames, size_t n, cg_error *err)
{
    const char *why = cg__vpdq_frames_invalid(frames, n);

    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: %s", db->path,
                        (long long)s->bank_id, why);
    s->type = cg_signal_type_find("vpdq");
    if (cg_bank_vpdq_identity(frames, n, s->value) != CG_OK)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: vpdq frames cannot be encoded",
                        db->path, (long long)s->bank_id);
    return CG_OK;
}

cg_status cg_bank_vpdq_add(cg_bankdb *db, int64_t bank_id, const cg_vpdq_frame *frames, size_t n,
                           const char *source, const char *external_id, const char *note,
                           int64_t *signal_id, int *merged, cg_error *err)
{
    cg_bank_signal s;
    cg_bank bank;
    cg_status r;
    int m = 0, filled = 0;

    if (signal_id != NULL)
        *signal_id = 0;
    if (merged != NULL)
        *merged = 0;
    if (db == NULL || (frames == NULL && n > 0))
        return cg__fail(err, CG_E_INVAL, "cg_bank_vpdq_add: NULL argument");
    memset(&s, 0, sizeof(s));
    s.bank_id = bank_id;
    s.quality = -1;
    if (!copy_field(s.source, sizeof(s.source), source) ||
        !copy_field(s.external_id, sizeof(s.external_id), external_id) ||
        !copy_field(s.note, sizeof(s.note), note))
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: signal: a text field is too long",
                        db->path, (long long)bank_id);
    r = cg__bankdb_check_writable(db, err);
    if (r != CG_OK)
        return r;
    r = db->ops->begin_write(db, "adding a vpdq signal", err);
    if (r != CG_OK)
        return r;
    r = db->ops->vpdq_put(db, &s, frames, n, (int64_t)time(NULL), &m, &filled, err);
    if (r == CG_OK && cg__bankdb_audited(db))
        r = db->ops->bank_get_by_id(db, bank_id, &bank, err);
    if (r == CG_OK)
        r = db->ops->commit(db, "adding a vpdq signal", err);
    else
        db->ops->rollback(db);
    if (r != CG_OK)
        return r;
    if (signal_id != NULL)
        *signal_id = s.id;
    if (merged != NULL)
        *merged = m;
    if (!cg__bankdb_audited(db))
        return CG_OK;
    return cg__bankdb_audit_signal(
        db, m ? "signal_merge" : "signal_add", bank.name, &s,
        m ? json_pack("{s:b}", "filled", filled != 0)
          : json_pack("{s:i, s:s, s:s, s:I}", "quality", s.quality, "source", s.source,
                      "external_id", s.external_id, "frames", (json_int_t)n),
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
