/* Audit records of bank changes: cg_bankdb_set_audit and the helper the store's write paths
 * call after they commit (store_audit.h).
 *
 * Why after the commit and not inside the transaction: the audit log is a separate file with
 * its own lock, so the two cannot commit atomically. Appending first would record changes that
 * then roll back (a busy database, a full disk, a failed COMMIT); appending after means the log
 * never claims a change that did not happen, and the one gap left (the process dies, or the log
 * fails, between the commit and the append) is reported to the caller as CG_E_IO rather than
 * hidden. The bank's own change log (store_changes.c) is transactional and still lists the
 * change in that case. */
#include "store/store_audit.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* The record kind of every bank change. */
#define BANK_AUDIT_KIND "bank_change"
/* Why a record could not be built: jansson reports neither cause apart. */
#define BUILD_FAILED "could not build the record (out of memory, or text not UTF-8)"

cg_status cg_bankdb_set_audit(cg_bankdb *db, cg_audit *log, const char *actor, cg_error *err)
{
    size_t n;

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_set_audit: db is NULL");
    if (log == NULL) {
        db->audit = NULL;
        db->audit_actor[0] = '\0';
        return CG_OK;
    }
    if (actor == NULL)
        actor = "";
    n = strlen(actor);
    if (n >= sizeof(db->audit_actor))
        return cg__fail(err, CG_E_INVAL, "%s: audit actor longer than %zu bytes", db->path,
                        sizeof(db->audit_actor) - 1);
    if (!cg__utf8_valid(actor, n))
        return cg__fail(err, CG_E_INVAL, "%s: audit actor is not valid UTF-8", db->path);
    memcpy(db->audit_actor, actor, n + 1);
    db->audit = log;
    return CG_OK;
}

int cg__bankdb_audited(const cg_bankdb *db)
{
    return db != NULL && db->audit != NULL;
}

/* The error of a change that committed but whose record could not be written. */
static cg_status hold(cg_bankdb *db, cg_audit *audit, const char *kind, const char *actor,
                      const char *subject, const char *what, char *text, cg_error *err);

static cg_status not_audited(cg_bankdb *db, const char *op, const char *bank, const char *why,
                             cg_error *err)
{
    return cg__fail(err, CG_E_IO, "%s: bank \"%s\": %s committed but not audited: %s", db->path,
                    bank, op, why);
}

cg_status cg__bankdb_audit(cg_bankdb *db, const char *op, const char *bank, json_t *data,
                           cg_error *err)
{
    cg_error aerr = {CG_OK, ""};
    char subject[CG_BANK_NAME_MAX + 8];
    char *text;
    cg_status st;

    if (!cg__bankdb_audited(db)) {
        json_decref(data);
        return CG_OK;
    }
    if (data == NULL || json_object_set_new(data, "op", json_string(op)) != 0 ||
        json_object_set_new(data, "bank", json_string(bank)) != 0) {
        json_decref(data);
        return not_audited(db, op, bank, BUILD_FAILED, err);
    }
    text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(data);
    if (text == NULL)
        return not_audited(db, op, bank, BUILD_FAILED, err);
    snprintf(subject, sizeof(subject), "bank:%s", bank);
    /* Inside a transaction that holds its records (an exchange page, a job), the record waits
     * for the commit: a page rolled back must leave no bank_change behind. */
    if (db->holding)
        return hold(db, db->audit, BANK_AUDIT_KIND, db->audit_actor, subject, op, text, err);
    st = cg_audit_append(db->audit, BANK_AUDIT_KIND, db->audit_actor, subject, text, NULL, &aerr);
    free(text);
    if (st != CG_OK)
        return not_audited(db, op, bank, aerr.message, err);
    return CG_OK;
}

cg_status cg__bankdb_audit_signal(cg_bankdb *db, const char *op, const char *bank,
                                  const cg_bank_signal *s, json_t *extra, cg_error *err)
{
    char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
    json_t *data;

    if (!cg__bankdb_audited(db)) {
        json_decref(extra);
        return CG_OK;
    }
    s->type->format(s->value, hex);
    data = json_pack("{s:s, s:s, s:I}", "signal_type", s->type->name, "value", hex, "signal_id",
                     (json_int_t)s->id);
    if (data != NULL && extra != NULL && json_object_update(data, extra) != 0) {
        json_decref(data);
        data = NULL;
    }
    json_decref(extra);
    return cg__bankdb_audit(db, op, bank, data, err);
}

/* One record held for a job's commit. */
struct cg__audit_held {
    struct cg__audit_held *next;
    cg_audit *audit;
    char *kind, *actor, *subject, *what, *text;
};

static void held_free(struct cg__audit_held *h)
{
    cg__free(h->kind);
    cg__free(h->actor);
    cg__free(h->subject);
    cg__free(h->what);
    free(h->text); /* jansson's allocator */
    cg__free(h);
}

/* Keeps a record (text taken) until the job's transaction ends: inside it, the nested commits
 * of a review item are not yet durable, and a record appended now would be written again by
 * the redelivery of a job whose process died before the commit. */
static cg_status hold(cg_bankdb *db, cg_audit *audit, const char *kind, const char *actor,
                      const char *subject, const char *what, char *text, cg_error *err)
{
    struct cg__audit_held *h = cg__calloc(1, sizeof(*h)), **tail = &db->held;

    if (h == NULL || (h->kind = cg__strdup(kind)) == NULL ||
        (h->actor = cg__strdup(actor != NULL ? actor : "")) == NULL ||
        (h->subject = cg__strdup(subject != NULL ? subject : "")) == NULL ||
        (h->what = cg__strdup(what)) == NULL) {
        if (h != NULL) {
            h->text = text;
            held_free(h);
        } else {
            free(text);
        }
        return cg__fail(err, CG_E_NOMEM, "%s: %s: out of memory", db->path, what);
    }
    h->audit = audit;
    h->text = text;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = h;
    return CG_OK;
}

cg_status cg__store_audit_release(cg_bankdb *db, int committed, cg_error *err)
{
    cg_status st = CG_OK;

    db->holding = 0;
    while (db->held != NULL) {
        struct cg__audit_held *h = db->held;
        cg_error aerr = {CG_OK, ""};

        db->held = h->next;
        if (committed && st == CG_OK &&
            cg_audit_append(h->audit, h->kind, h->actor, h->subject, h->text, NULL, &aerr) !=
                CG_OK)
            st = cg__fail(err, CG_E_IO, "%s: %s: change committed but not audited: %s",
                          db->path, h->what, aerr.message);
        held_free(h);
    }
    return st;
}

cg_status cg__store_audit_committed(cg_bankdb *db, cg_audit *audit, const char *kind,
                                    const char *actor, const char *subject, const char *what,
                                    json_t *data, cg_error *err)
{
    cg_error aerr = {CG_OK, ""};
    char *text;
    cg_status st;

    if (audit == NULL || data == NULL) {
        json_decref(data);
        return CG_OK;
    }
    text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(data);
    if (text == NULL)
        return cg__fail(err, CG_E_IO, "%s: %s: change committed but not audited: out of memory",
                        db->path, what);
    if (db->holding)
        return hold(db, audit, kind, actor, subject, what, text, err);
    st = cg_audit_append(audit, kind, actor, subject, text, NULL, &aerr);
    free(text); /* jansson's allocator: the default malloc */
    if (st != CG_OK)
        return cg__fail(err, CG_E_IO, "%s: %s: change committed but not audited: %s", db->path,
                        what, aerr.message);
    return CG_OK;
}
