/* The exchange feedback queue (include/childguard/exchange_feedback.h, docs/exchange.md
 * "Feedback"): argument checks and dispatch to the backend's feedback ops (store_ops.h; the
 * SQLite rows are sqlite_feedback.c). Review decisions queue their rows through the op directly
 * (review_decide.c), inside the decision's transaction. */
#include "store/store_int.h"

#include <string.h>
#include <time.h>

#include "childguard/outbox.h"
#include "common/alloc.h"
#include "common/error.h"

_Static_assert(CG_EXCHANGE_FB_ERROR_MAX == CG_OUTBOX_ERROR_MAX,
               "feedback errors are copied by the outbox's rule");

int cg_exchange_feedback_reason_valid(const char *s)
{
    size_t n;

    if (s == NULL)
        return 1;
    n = strnlen(s, CG_EXCHANGE_FB_REASON_MAX + 1);
    if (n > CG_EXCHANGE_FB_REASON_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

static cg_status check_db(cg_bankdb *db, const char *fn, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: db is NULL", fn);
    if (db->ops->feedback_list == NULL || db->ops->exchange_get == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "%s: exchange feedback is not built for the %s store", db->path,
                        db->ops->name);
    return CG_OK;
}

/* The id of the handle's tenant's exchange name; 0 for NULL (every exchange). */
static cg_status exchange_id(cg_bankdb *db, const char *name, int64_t *id, cg_error *err)
{
    cg_exchange_info *ex;
    cg_status s;

    *id = 0;
    if (name == NULL)
        return CG_OK;
    if (memchr(name, '\0', CG_BANK_NAME_MAX + 1) == NULL || !cg__bank_name_valid(name))
        return cg__fail(err, CG_E_INVAL, "%s: invalid exchange name \"%.*s\"", db->path,
                        CG_BANK_NAME_MAX, name);
    ex = cg__malloc(sizeof(*ex));
    if (ex == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    s = db->ops->exchange_get(db, cg_bankdb_tenant(db), name, ex, err);
    if (s == CG_OK)
        *id = ex->id;
    cg__free(ex);
    return s;
}

cg_status cg_exchange_feedback_add(cg_bankdb *db, const char *name, const char *key,
                                   int verdict, const char *reason, const char *actor,
                                   int64_t *id, cg_error *err)
{
    int64_t ex_id = 0, new_id = 0;
    cg_status s;

    if (id != NULL)
        *id = 0;
    s = check_db(db, "cg_exchange_feedback_add", err);
    if (s != CG_OK)
        return s;
    if (name == NULL || key == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: exchange feedback: the exchange and the key are "
                                         "required", db->path);
    if (memchr(key, '\0', CG_BANK_FIELD_MAX + 1) == NULL || key[0] == '\0')
        return cg__fail(err, CG_E_INVAL, "%s: exchange feedback: the key must be 1-%d bytes",
                        db->path, CG_BANK_FIELD_MAX);
    if (verdict != CG_EXCHANGE_FB_CONFIRMED && verdict != CG_EXCHANGE_FB_FALSE_POSITIVE)
        return cg__fail(err, CG_E_INVAL, "%s: exchange feedback: verdict %d is neither "
                                         "confirmed nor false_positive", db->path, verdict);
    if (!cg_exchange_feedback_reason_valid(reason))
        return cg__fail(err, CG_E_INVAL,
                        "%s: exchange feedback: the reason must be an id of 1-%d characters "
                        "of [A-Za-z0-9_.:-] (free text never leaves)",
                        db->path, CG_EXCHANGE_FB_REASON_MAX);
    if (actor != NULL && memchr(actor, '\0', 160) == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: exchange feedback: actor over 159 bytes",
                        db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "queueing exchange feedback", err);
    if (s != CG_OK)
        return s;
    s = exchange_id(db, name, &ex_id, err);
    if (s == CG_OK)
        s = db->ops->feedback_enqueue_key(db, ex_id, key, verdict, reason, actor,
                                          (int64_t)time(NULL), &new_id, err);
    if (s != CG_OK) {
        db->ops->rollback(db);
        return s;
    }
    s = db->ops->commit(db, "queueing exchange feedback", err);
    if (s == CG_OK && id != NULL)
        *id = new_id;
    return s;
}

cg_status cg_exchange_feedback_list(cg_bankdb *db, const char *name,
                                    cg_exchange_fb_filter filter, int64_t now, int limit,
                                    int (*fn)(const cg_exchange_feedback_item *it, void *ud),
                                    void *ud, cg_error *err)
{
    int64_t ex_id = 0;
    cg_status s = check_db(db, "cg_exchange_feedback_list", err);

    if (s != CG_OK)
        return s;
    if (fn == NULL || (int)filter < 0 || filter > CG_EXCHANGE_FB_DUE)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_feedback_list: bad argument");
    s = exchange_id(db, name, &ex_id, err);
    if (s != CG_OK)
        return s;
    return db->ops->feedback_list(db, cg_bankdb_tenant(db), ex_id, (int)filter, now, limit, fn,
                                  ud, err);
}

cg_status cg_exchange_feedback_counts(cg_bankdb *db, const char *name, int64_t *pending,
                                      int64_t *sent, int64_t *failed, cg_error *err)
{
    int64_t ex_id = 0, c[3] = {0, 0, 0};
    cg_status s = check_db(db, "cg_exchange_feedback_counts", err);

    if (s == CG_OK)
        s = exchange_id(db, name, &ex_id, err);
    if (s == CG_OK)
        s = db->ops->feedback_counts(db, cg_bankdb_tenant(db), ex_id, c, err);
    if (s != CG_OK)
        c[0] = c[1] = c[2] = 0;
    if (pending != NULL)
        *pending = c[0];
    if (sent != NULL)
        *sent = c[1];
    if (failed != NULL)
        *failed = c[2];
    return s;
}

cg_status cg_exchange_feedback_mark(cg_bankdb *db, int64_t id, cg_exchange_fb_state to,
                                    int64_t now, int64_t next_attempt, const char *error,
                                    cg_error *err)
{
    char text[CG_EXCHANGE_FB_ERROR_MAX + 1];
    cg_status s = check_db(db, "cg_exchange_feedback_mark", err);

    if (s != CG_OK)
        return s;
    if ((int)to < 0 || to > CG_EXCHANGE_FB_FAILED)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_feedback_mark: bad state %d", (int)to);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    /* Errors come from servers and network libraries: kept as valid UTF-8 without control
     * characters, cut at a character boundary (the outbox's rule). */
    cg__outbox_error_text_copy(error, text);
    return db->ops->feedback_mark(db, id, (int)to, now, next_attempt, text, err);
}
