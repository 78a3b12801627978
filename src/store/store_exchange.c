/* Exchanges in the store (include/childguard/exchange_store.h, docs/exchange.md): argument
 * checks and dispatch to the backend's exchange ops (store_ops.h; the SQLite rows are
 * sqlite_exchange.c). Creating an exchange creates its bank in the same transaction; a page is
 * one write transaction from cg_exchange_page_begin to cg_exchange_page_commit, in which the
 * bank writes of the page nest (savepoints) and their audit records are held until the commit
 * (as a job's record holds them, store_jobs.c). */
#include "store/store_int.h"

#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

int cg_exchange_name_valid(const char *s)
{
    return s != NULL && cg__bank_name_valid(s);
}

/* The common checks: a handle with the exchange ops (fn names the caller). */
static cg_status check_db(cg_bankdb *db, const char *fn, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: db is NULL", fn);
    if (db->ops->exchange_get == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: exchanges are not built for the %s store",
                        db->path, db->ops->name);
    return CG_OK;
}

/* The prologue of every write: the checks above, and a handle that may write. */
static cg_status check_write(cg_bankdb *db, const char *fn, cg_error *err)
{
    cg_status st = check_db(db, fn, err);

    return st == CG_OK ? cg__bankdb_check_writable(db, err) : st;
}

static cg_status check_name(cg_bankdb *db, const char *name, cg_error *err)
{
    if (name == NULL || memchr(name, '\0', CG_BANK_NAME_MAX + 1) == NULL ||
        !cg__bank_name_valid(name))
        return cg__fail(err, CG_E_INVAL,
                        "%s: invalid exchange name \"%.*s\" (1 to %d of A-Z a-z 0-9 _ . -)",
                        db->path, CG_BANK_NAME_MAX, name != NULL ? name : "(null)",
                        CG_BANK_NAME_MAX);
    return CG_OK;
}

/* api: 1..32 of [a-z0-9_]; api_json: a JSON object. */
static cg_status check_info(cg_bankdb *db, const cg_exchange_info *ex, cg_error *err)
{
    const size_t n = strnlen(ex->api, sizeof(ex->api));
    cg_status st = check_name(db, ex->name, err);

    if (st != CG_OK)
        return st;
    if (n == 0 || n >= sizeof(ex->api))
        return cg__fail(err, CG_E_INVAL, "%s: exchange \"%s\": api missing or longer than %d",
                        db->path, ex->name, CG_EXCHANGE_API_MAX);
    for (size_t i = 0; i < n; i++) {
        const char c = ex->api[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return cg__fail(err, CG_E_INVAL, "%s: exchange \"%s\": api \"%s\" is not a name",
                            db->path, ex->name, ex->api);
    }
    if (memchr(ex->api_json, '\0', sizeof(ex->api_json)) == NULL)
        return cg__fail(err, CG_E_LIMIT, "%s: exchange \"%s\": api_json longer than %d bytes",
                        db->path, ex->name, CG_EXCHANGE_CONFIG_MAX);
    if (ex->api_json[0] != '\0')
        return cg__store_json_object_check(db, ex->api_json, CG_EXCHANGE_CONFIG_MAX,
                                           "exchange: api_json", err);
    return CG_OK;
}

cg_status cg_exchange_create(cg_bankdb *db, cg_exchange_info *ex, const char *bank_label,
                             int adopt_bank, cg_error *err)
{
    cg_bank bank;
    cg_status st;

    if (ex == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_create: ex is NULL");
    st = check_write(db, "cg_exchange_create", err);
    if (st == CG_OK)
        st = check_info(db, ex, err);
    if (st == CG_OK && bank_label != NULL && strlen(bank_label) > CG_BANK_LABEL_MAX)
        st = cg__fail(err, CG_E_INVAL, "%s: exchange \"%s\": bank label longer than %d",
                      db->path, ex->name, CG_BANK_LABEL_MAX);
    if (st != CG_OK)
        return st;
    st = db->ops->begin_write(db, "creating an exchange", err);
    if (st != CG_OK)
        return st;
    db->holding = 1;
    memset(&bank, 0, sizeof(bank));
    st = db->ops->bank_get(db, ex->name, &bank, err);
    if (st == CG_OK && !adopt_bank) {
        st = cg__fail(err, CG_E_INVAL,
                      "%s: bank \"%s\" already exists (an exchange creates its own bank; "
                      "adopt it explicitly or choose another name)",
                      db->path, ex->name);
    } else if (st == CG_E_NOTFOUND) {
        memset(&bank, 0, sizeof(bank));
        snprintf(bank.name, sizeof(bank.name), "%s", ex->name);
        snprintf(bank.label, sizeof(bank.label), "%s", bank_label != NULL ? bank_label : "");
        snprintf(bank.description, sizeof(bank.description), "owned by exchange %s (%s)",
                 ex->name, ex->api);
        bank.enabled = 1;
        st = cg_bank_create(db, &bank, err);
    }
    if (st == CG_OK) {
        ex->bank_id = bank.id;
        st = db->ops->exchange_insert(db, cg_bankdb_tenant(db), ex, (int64_t)time(NULL), err);
    }
    if (st == CG_OK)
        st = db->ops->commit(db, "creating an exchange", err);
    else
        db->ops->rollback(db);
    if (st != CG_OK) {
        (void)cg__store_audit_release(db, 0, NULL);
        return st;
    }
    return cg__store_audit_release(db, 1, err);
}

cg_status cg_exchange_get(cg_bankdb *db, const char *name, cg_exchange_info *out, cg_error *err)
{
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_get: out is NULL");
    memset(out, 0, sizeof(*out));
    st = check_db(db, "cg_exchange_get", err);
    if (st == CG_OK)
        st = check_name(db, name, err);
    if (st == CG_OK)
        st = db->ops->exchange_get(db, cg_bankdb_tenant(db), name, out, err);
    if (st != CG_OK)
        memset(out, 0, sizeof(*out));
    return st;
}

cg_status cg_exchange_list(cg_bankdb *db, int (*fn)(const cg_exchange_info *ex, void *ud),
                           void *ud, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_list", err);

    if (st == CG_OK && fn == NULL)
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_list: fn is NULL");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_list(db, cg_bankdb_tenant(db), fn, ud, err);
}

cg_status cg_exchange_list_all(cg_bankdb *db, int (*fn)(const cg_exchange_info *ex, void *ud),
                               void *ud, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_list_all", err);

    if (st == CG_OK && fn == NULL)
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_list_all: fn is NULL");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_list(db, NULL, fn, ud, err);
}

cg_status cg_exchange_update(cg_bankdb *db, const cg_exchange_info *ex, cg_error *err)
{
    cg_exchange_info *cur;
    cg_status st;

    if (ex == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_update: ex is NULL");
    st = check_write(db, "cg_exchange_update", err);
    if (st == CG_OK)
        st = check_info(db, ex, err);
    if (st != CG_OK)
        return st;
    cur = cg__malloc(sizeof(*cur));
    if (cur == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    st = db->ops->begin_write(db, "updating an exchange", err);
    if (st == CG_OK) {
        /* Found by name in the handle's tenant: an id from elsewhere is never trusted. */
        st = db->ops->exchange_get(db, cg_bankdb_tenant(db), ex->name, cur, err);
        if (st == CG_OK) {
            snprintf(cur->api_json, sizeof(cur->api_json), "%s", ex->api_json);
            cur->enabled = ex->enabled != 0;
            st = db->ops->exchange_update_row(db, cur, err);
        }
        if (st == CG_OK)
            st = db->ops->commit(db, "updating an exchange", err);
        else
            db->ops->rollback(db);
    }
    cg__free(cur);
    return st;
}

cg_status cg_exchange_delete(cg_bankdb *db, const char *name, int delete_bank, cg_error *err)
{
    cg_exchange_info *cur;
    cg_bank bank;
    cg_status st;

    st = check_write(db, "cg_exchange_delete", err);
    if (st == CG_OK)
        st = check_name(db, name, err);
    if (st != CG_OK)
        return st;
    cur = cg__malloc(sizeof(*cur));
    if (cur == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    st = db->ops->begin_write(db, "deleting an exchange", err);
    if (st != CG_OK) {
        cg__free(cur);
        return st;
    }
    db->holding = 1;
    st = db->ops->exchange_get(db, cg_bankdb_tenant(db), name, cur, err);
    if (st == CG_OK)
        st = db->ops->exchange_delete_row(db, cur->id, err);
    if (st == CG_OK && delete_bank) {
        st = db->ops->bank_get_by_id(db, cur->bank_id, &bank, err);
        if (st == CG_OK)
            st = cg_bank_delete(db, bank.name, err);
    }
    if (st == CG_OK)
        st = db->ops->commit(db, "deleting an exchange", err);
    else
        db->ops->rollback(db);
    cg__free(cur);
    if (st != CG_OK) {
        (void)cg__store_audit_release(db, 0, NULL);
        return st;
    }
    return cg__store_audit_release(db, 1, err);
}

cg_status cg_exchange_secret_put(cg_bankdb *db, int64_t id, const uint8_t *blob, size_t len,
                                 cg_error *err)
{
    cg_status st = check_write(db, "cg_exchange_secret_put", err);
    if (st == CG_OK && len > CG_EXCHANGE_SECRET_MAX)
        st = cg__fail(err, CG_E_LIMIT, "%s: exchange %lld: credentials longer than %d bytes",
                      db->path, (long long)id, CG_EXCHANGE_SECRET_MAX);
    if (st == CG_OK && len > 0 && blob == NULL)
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_secret_put: blob is NULL");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_secret_put(db, id, blob, len, err);
}

cg_status cg_exchange_secret_get(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                 int *found, cg_error *err)
{
    cg_status st;

    if (blob == NULL || len == NULL || found == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_secret_get: NULL argument");
    *blob = NULL;
    *len = 0;
    *found = 0;
    st = check_db(db, "cg_exchange_secret_get", err);
    if (st == CG_OK)
        st = db->ops->exchange_secret_get(db, id, blob, len, found, err);
    if (st != CG_OK) {
        cg__free(*blob);
        *blob = NULL;
        *len = 0;
        *found = 0;
    }
    return st;
}

cg_status cg_exchange_checkpoint_get(cg_bankdb *db, int64_t id, char **checkpoint,
                                     cg_error *err)
{
    cg_status st;

    if (checkpoint == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_checkpoint_get: checkpoint is NULL");
    *checkpoint = NULL;
    st = check_db(db, "cg_exchange_checkpoint_get", err);
    if (st == CG_OK)
        st = db->ops->exchange_checkpoint_get(db, id, checkpoint, err);
    if (st != CG_OK) {
        cg__free(*checkpoint);
        *checkpoint = NULL;
    }
    return st;
}

static cg_status check_checkpoint(cg_bankdb *db, int64_t id, const char *cp, cg_error *err)
{
    const size_t n = strnlen(cp, CG_EXCHANGE_CHECKPOINT_MAX + 1);

    if (n > CG_EXCHANGE_CHECKPOINT_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: exchange %lld: checkpoint longer than %u bytes",
                        db->path, (long long)id, CG_EXCHANGE_CHECKPOINT_MAX);
    if (!cg__utf8_valid(cp, n))
        return cg__fail(err, CG_E_INVAL, "%s: exchange %lld: checkpoint is not UTF-8 text",
                        db->path, (long long)id);
    return CG_OK;
}

cg_status cg_exchange_checkpoint_put(cg_bankdb *db, int64_t id, const char *checkpoint,
                                     cg_error *err)
{
    cg_status st = check_write(db, "cg_exchange_checkpoint_put", err);

    if (checkpoint == NULL)
        checkpoint = "";
    if (st == CG_OK)
        st = check_checkpoint(db, id, checkpoint, err);
    if (st != CG_OK)
        return st;
    return db->ops->exchange_checkpoint_put(db, id, checkpoint, (int64_t)time(NULL), 0, err);
}

cg_status cg_exchange_fetch_started(cg_bankdb *db, int64_t id, int64_t now, cg_error *err)
{
    cg_status st = check_write(db, "cg_exchange_fetch_started", err);
    if (st != CG_OK)
        return st;
    return db->ops->exchange_fetch_mark(db, id, 1, now, 0, 0, "", err);
}

cg_status cg_exchange_fetch_ended(cg_bankdb *db, int64_t id, int64_t now, int succeeded,
                                  int up_to_date, const char *error, cg_error *err)
{
    char text[CG_EXCHANGE_ERROR_MAX + 1];
    size_t n;
    cg_status st = check_write(db, "cg_exchange_fetch_ended", err);
    if (st != CG_OK)
        return st;
    /* Cut at a character boundary; bytes that are not UTF-8 or control characters become '?'
     * (a message may quote a hostile page). */
    if (error == NULL)
        error = "";
    n = strnlen(error, CG_EXCHANGE_ERROR_MAX + 1);
    if (n > CG_EXCHANGE_ERROR_MAX)
        for (n = CG_EXCHANGE_ERROR_MAX; n > 0 && ((unsigned char)error[n] & 0xC0) == 0x80; n--)
            ;
    memcpy(text, error, n);
    text[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] < 0x20)
            text[i] = '?';
    if (!cg__utf8_valid(text, n))
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)text[i] >= 0x80)
                text[i] = '?';
    return db->ops->exchange_fetch_mark(db, id, 0, now, succeeded, up_to_date, text, err);
}

cg_status cg_exchange_backoff_put(cg_bankdb *db, int64_t id, int failures,
                                  int64_t next_fetch_ts, cg_error *err)
{
    cg_status st = check_write(db, "cg_exchange_backoff_put", err);
    if (st == CG_OK && db->ops->exchange_backoff_put == NULL)
        st = cg__fail(err, CG_E_UNSUPPORTED, "%s: exchange back-off is not built for the %s store",
                      db->path, db->ops->name);
    if (st == CG_OK && (failures < 0 || next_fetch_ts < 0))
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_backoff_put: negative failures or time");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_backoff_put(db, id, failures, next_fetch_ts, err);
}

/* ---- one page, one transaction ---------------------------------------------------------- */

cg_status cg_exchange_page_begin(cg_bankdb *db, int64_t id, cg_error *err)
{
    cg_status st = check_write(db, "cg_exchange_page_begin", err);

    (void)id;
    if (st == CG_OK)
        st = db->ops->begin_write(db, "applying an exchange page", err);
    if (st == CG_OK)
        db->holding = 1;
    return st;
}

cg_status cg_exchange_page_key_signals(cg_bankdb *db, int64_t id, const char *key,
                                       int (*fn)(int64_t signal_id, int owned, void *ud),
                                       void *ud, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_page_key_signals", err);

    if (st == CG_OK && (key == NULL || fn == NULL))
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_page_key_signals: NULL argument");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_key_signals(db, id, key, fn, ud, err);
}

/* A text field of a link: at most CG_BANK_FIELD_MAX bytes of UTF-8 (NULL is ""). */
static int field_ok(const char *s)
{
    if (s == NULL)
        return 1;
    const size_t n = strnlen(s, CG_BANK_FIELD_MAX + 1);

    return n <= CG_BANK_FIELD_MAX && cg__utf8_valid(s, n);
}

cg_status cg_exchange_page_link(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                                int *owned_any, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_page_link", err);

    if (owned_any != NULL)
        *owned_any = 0;
    if (st == CG_OK && (l == NULL || l->key == NULL))
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_page_link: NULL argument");
    if (st == CG_OK && (l->key[0] == '\0' || !field_ok(l->key) || !field_ok(l->member) ||
                        !field_ok(l->entry_id) || !field_ok(l->classification)))
        st = cg__fail(err, CG_E_INVAL,
                      "%s: exchange %lld: a record's key, member, entry id or classification "
                      "is empty, longer than %d bytes or not UTF-8",
                      db->path, (long long)id, CG_BANK_FIELD_MAX);
    if (st != CG_OK)
        return st;
    {
        cg_exchange_link own = *l;

        own.owned = l->owned != 0; /* never the store's CG__LINK_FRESH from a caller */
        return db->ops->exchange_link(db, id, &own, owned_any, err);
    }
}

cg_status cg_exchange_page_unlink(cg_bankdb *db, int64_t id, const char *key, int64_t signal_id,
                                  int *orphaned, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_page_unlink", err);

    if (st == CG_OK && (key == NULL || orphaned == NULL))
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_page_unlink: NULL argument");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_unlink(db, id, key, signal_id, orphaned, err);
}

cg_status cg_exchange_page_commit(cg_bankdb *db, int64_t id, const char *checkpoint,
                                  int64_t items, int64_t now, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_page_commit", err);

    if (st != CG_OK)
        return st;
    if (checkpoint == NULL)
        checkpoint = "";
    st = check_checkpoint(db, id, checkpoint, err);
    if (st == CG_OK)
        st = db->ops->exchange_checkpoint_put(db, id, checkpoint, now, items, err);
    if (st == CG_OK)
        st = db->ops->commit(db, "applying an exchange page", err);
    else
        db->ops->rollback(db);
    if (st != CG_OK) {
        (void)cg__store_audit_release(db, 0, NULL);
        return st;
    }
    return cg__store_audit_release(db, 1, err);
}

void cg_exchange_page_abort(cg_bankdb *db)
{
    if (db == NULL)
        return;
    db->ops->rollback(db);
    (void)cg__store_audit_release(db, 0, NULL);
}

cg_status cg_exchange_provenance(cg_bankdb *db, int64_t signal_id,
                                 int (*fn)(const char *exchange, const char *key,
                                           const char *member, const char *entry_id,
                                           const char *classification, void *ud),
                                 void *ud, cg_error *err)
{
    cg_status st = check_db(db, "cg_exchange_provenance", err);

    if (st == CG_OK && fn == NULL)
        st = cg__fail(err, CG_E_INVAL, "cg_exchange_provenance: fn is NULL");
    if (st != CG_OK)
        return st;
    return db->ops->exchange_provenance(db, signal_id, fn, ud, err);
}
