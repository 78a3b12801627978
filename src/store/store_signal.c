/* Signals: the public cg_bank_signal_* functions of bank.h over the store's operations
 * (store_ops.h). Adding, disabling and deleting are checked and audited here, around the
 * backend's row operations, in one write transaction each; reading is the backend's. */
#include "store/store_int.h"

#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/error.h"
#include "store/store_audit.h"

cg_status cg_bank_signal_add(cg_bankdb *db, cg_bank_signal *s, int *merged, cg_error *err)
{
    int m = 0, filled = 0;
    cg_bank bank;
    cg_status r;

    if (merged != NULL)
        *merged = 0;
    if (db == NULL || s == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_add: NULL argument");
    r = cg__bankdb_check_writable(db, err);
    if (r != CG_OK)
        return r;
    /* One transaction: the insert and, for a duplicate, the read and fill are atomic. */
    r = db->ops->begin_write(db, "adding a signal", err);
    if (r != CG_OK)
        return r;
    r = db->ops->signal_put(db, s, (int64_t)time(NULL), &m, &filled, err);
    if (r == CG_OK && cg__bankdb_audited(db))
        r = db->ops->bank_get_by_id(db, s->bank_id, &bank, err); /* the record names the bank */
    if (r == CG_OK)
        r = db->ops->commit(db, "adding a signal", err);
    else
        db->ops->rollback(db);
    if (r != CG_OK)
        return r;
    if (merged != NULL)
        *merged = m;
    if (!cg__bankdb_audited(db))
        return CG_OK;
    /* A merge is recorded even when it filled nothing: someone submitted the hash again. */
    return cg__bankdb_audit_signal(
        db, m ? "signal_merge" : "signal_add", bank.name, s,
        m ? json_pack("{s:b}", "filled", filled != 0)
          : json_pack("{s:i, s:s, s:s}", "quality", s->quality, "source", s->source,
                      "external_id", s->external_id),
        err);
}

/* A change to one signal by id (row: the backend's op for it, given arg). Not audited: the
 * row op alone. Audited: the signal is described, changed and committed in one transaction,
 * then recorded as op (extra: more data, ownership taken). */
static cg_status modify_by_id(cg_bankdb *db, int64_t id, int64_t arg,
                              cg_status (*row)(cg_bankdb *db, int64_t id, int64_t arg,
                                               cg_error *err),
                              const char *what, const char *op, json_t *extra, cg_error *err)
{
    cg__signal_facts f;
    json_t *data;
    cg_status r;

    r = cg__bankdb_check_writable(db, err);
    if (r != CG_OK || !cg__bankdb_audited(db)) {
        json_decref(extra);
        return r != CG_OK ? r : row(db, id, arg, err);
    }
    r = db->ops->begin_write(db, what, err);
    if (r == CG_OK) {
        r = db->ops->signal_describe(db, id, &f, err);
        if (r == CG_OK)
            r = row(db, id, arg, err);
        if (r == CG_OK)
            r = db->ops->commit(db, what, err);
        else
            db->ops->rollback(db);
    }
    if (r != CG_OK) {
        json_decref(extra);
        return r;
    }
    /* NULL data is reported by cg__bankdb_audit after the commit, like any failed record. */
    data = json_pack("{s:I, s:s, s:s, s:I}", "bank_id", (json_int_t)f.bank_id, "signal_type",
                     f.type, "value", f.hex, "signal_id", (json_int_t)id);
    if (data != NULL && extra != NULL && json_object_update(data, extra) != 0) {
        json_decref(data);
        data = NULL;
    }
    json_decref(extra);
    return cg__bankdb_audit(db, op, f.bank, data, err);
}

static cg_status disable_row(cg_bankdb *db, int64_t id, int64_t until, cg_error *err)
{
    return db->ops->signal_set_disabled_row(db, id, until, err);
}

static cg_status delete_row(cg_bankdb *db, int64_t id, int64_t unused, cg_error *err)
{
    (void)unused;
    return db->ops->signal_delete_row(db, id, err);
}

cg_status cg_bank_signal_set_disabled(cg_bankdb *db, int64_t id, int64_t until, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_set_disabled: db is NULL");
    if (until < 0)
        return cg__fail(err, CG_E_INVAL, "%s: signal %lld: disabled_until %lld is negative",
                        db->path, (long long)id, (long long)until);
    return modify_by_id(db, id, until, disable_row, "disabling",
                        until != 0 ? "signal_disable" : "signal_enable",
                        cg__bankdb_audited(db) ? json_pack("{s:I}", "until", (json_int_t)until)
                                               : NULL,
                        err);
}

cg_status cg_bank_signal_delete(cg_bankdb *db, int64_t id, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_delete: db is NULL");
    return modify_by_id(db, id, 0, delete_row, "deleting", "signal_delete", NULL, err);
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
