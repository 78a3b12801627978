/* The webhook outbox (include/childguard/outbox.h, docs/keys.md): what an entry may hold, and
 * the public cg_outbox_* functions over the store's operations (the bounded add: checks, the
 * per-tenant bound and the insert in one transaction) (store_ops.h; the SQLite rows
 * are sqlite_outbox.c).
 * Delivery is the program's (programs/serve/webhook.c): the library keeps the entries. */
#include "store/store_int.h"

#include <string.h>
#include <time.h>

#include "childguard/outbox.h"
#include "common/error.h"

int cg__outbox_target_valid(const char *s)
{
    size_t n;

    if (s == NULL)
        return 0;
    n = strnlen(s, CG_OUTBOX_TARGET_MAX + 1);
    if (n == 0 || n > CG_OUTBOX_TARGET_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* Copies an error text into buf (CG_OUTBOX_ERROR_MAX + 1 bytes) as valid UTF-8: cut at a
 * character boundary when longer, control characters and bytes of invalid UTF-8 become '?'
 * (the text comes from network libraries and servers, and ends up in logs and JSON). */
void cg__outbox_error_text_copy(const char *text, char *buf)
{
    size_t n = text != NULL ? strnlen(text, CG_OUTBOX_ERROR_MAX + 1) : 0;

    if (n > CG_OUTBOX_ERROR_MAX) {
        n = CG_OUTBOX_ERROR_MAX;
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
            n--; /* text[n] continues a character: cut before that character */
    }
    if (n > 0)
        memcpy(buf, text, n);
    buf[n] = '\0';
    if (!cg__utf8_valid(buf, n))
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)buf[i] >= 0x80)
                buf[i] = '?';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
}

cg_status cg_outbox_add(cg_bankdb *db, const char *target, const char *payload_json, int64_t *id,
                        cg_error *err)
{
    return cg_outbox_add_bounded(db, target, payload_json, 0, id, err);
}

/* The bound and the insert run in one write transaction, so concurrent writers (other
 * processes too) cannot both pass the bound. */
cg_status cg_outbox_add_bounded(cg_bankdb *db, const char *target, const char *payload_json,
                                int64_t max_pending, int64_t *id, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    int64_t pending = 0, new_id = 0;
    cg_status s;

    if (id != NULL)
        *id = 0;
    if (db == NULL || target == NULL || payload_json == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_add: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    if (!cg__outbox_target_valid(target))
        return cg__fail(err, CG_E_INVAL,
                        "%s: outbox: target \"%.64s\" must be 1-64 characters of [a-z0-9_.-]",
                        db->path, target);
    s = cg__store_json_object_check(db, payload_json, CG_OUTBOX_PAYLOAD_MAX, "outbox: payload",
                                     err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "adding an outbox entry", err);
    if (s != CG_OK)
        return s;
    if (max_pending > 0) {
        s = db->ops->outbox_pending(db, cg_bankdb_tenant(db), &pending, err);
        if (s == CG_OK && pending >= max_pending)
            s = cg__fail(err, CG_E_LIMIT,
                         "%s: outbox: tenant \"%s\" already has %lld pending entries (the limit)",
                         db->path, cg_bankdb_tenant(db), (long long)pending);
    }
    if (s == CG_OK)
        s = db->ops->outbox_insert(db, cg_bankdb_tenant(db), target, payload_json, now, &new_id,
                                   err);
    if (s != CG_OK) {
        db->ops->rollback(db);
        return s;
    }
    s = db->ops->commit(db, "adding an outbox entry", err);
    if (s == CG_OK && id != NULL)
        *id = new_id;
    return s;
}

cg_status cg_outbox_due(cg_bankdb *db, int64_t now, int limit,
                        int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                        cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_due: db is NULL");
    return db->ops->outbox_due(db, now, limit, fn, ud, err);
}

cg_status cg_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_mark_delivered: db is NULL");
    return db->ops->outbox_mark_delivered(db, id, err);
}

cg_status cg_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                               int64_t next_attempt, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_mark_retry: db is NULL");
    return db->ops->outbox_mark_retry(db, id, error_text, next_attempt, err);
}

cg_status cg_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_outbox_mark_failed: db is NULL");
    return db->ops->outbox_mark_failed(db, id, error_text, err);
}

cg_status cg_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered, int64_t *failed,
                           cg_error *err)
{
    if (db == NULL) {
        if (pending != NULL)
            *pending = 0;
        if (delivered != NULL)
            *delivered = 0;
        if (failed != NULL)
            *failed = 0;
        return cg__fail(err, CG_E_INVAL, "cg_outbox_counts: db is NULL");
    }
    return db->ops->outbox_counts(db, pending, delivered, failed, err);
}

cg_status cg_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed, cg_error *err)
{
    if (db == NULL) {
        if (removed != NULL)
            *removed = 0;
        return cg__fail(err, CG_E_INVAL, "cg_outbox_prune: db is NULL");
    }
    return db->ops->outbox_prune(db, before, removed, err);
}
