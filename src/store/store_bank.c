/* Banks: per-type thresholds, the threshold text every backend stores, validation, and the
 * public cg_bank_* functions of bank.h over the store's operations (store_ops.h).
 *
 * Thresholds are kept with the bank as compact text, "pdq=31,md5=0": a bank has at most
 * CG_BANK_MAX_THRESHOLDS of them and they are always read and written with the bank. The bank's
 * PDQ minimum quality, when it is not the default, is one more entry of the same text,
 * "pdq_min_quality=N": a setting that travels with the thresholds needs no schema change. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "childguard/pdq.h"
#include "store/store_audit.h"
#include "common/error.h"

#define MIN_QUALITY_KEY "pdq_min_quality"
#define FLOOD_KEY "flood_per_hour"

int cg_bank_threshold_for(const cg_bank *b, const cg_signal_type *t)
{
    if (t == NULL)
        return 0;
    if (b != NULL)
        for (size_t i = 0; i < b->n_thresholds && i < CG_BANK_MAX_THRESHOLDS; i++)
            if (b->thresholds[i].type == t)
                return b->thresholds[i].distance;
    return t->default_threshold;
}

int cg_bank_pdq_min_quality(const cg_bank *b)
{
    return b != NULL && b->pdq_min_quality > 0 && b->pdq_min_quality <= 100 ? b->pdq_min_quality
                                                                            : CG_PDQ_MIN_QUALITY;
}

/* ---- thresholds as text ------------------------------------------------------------------- */

/* Writes "name=distance,..." into out (cap bytes). The bank was validated. */
void cg__bank_thresholds_format(const cg_bank *b, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < b->n_thresholds; i++) {
        const int n = snprintf(out + used, cap - used, "%s%s=%d", i > 0 ? "," : "",
                               b->thresholds[i].type->name, b->thresholds[i].distance);

        if (n < 0 || (size_t)n >= cap - used)
            break; /* cannot happen: cap covers 8 entries of the longest type name */
        used += (size_t)n;
    }
    if (b->pdq_min_quality > 0 && used < cap) {
        const int n = snprintf(out + used, cap - used, "%s" MIN_QUALITY_KEY "=%d",
                               used > 0 ? "," : "", b->pdq_min_quality);

        used = n > 0 && (size_t)n < cap - used ? used + (size_t)n : cap;
    }
    if (b->flood_per_hour != 0 && used < cap) /* -1 (off) is stored as 0 */
        snprintf(out + used, cap - used, "%s" FLOOD_KEY "=%d", used > 0 ? "," : "",
                 b->flood_per_hour > 0 ? b->flood_per_hour : 0);
}

/* Parses the stored text back. A type this build does not know (written by a newer one) or a
 * malformed entry is an error, never dropped silently. */
cg_status cg__bank_thresholds_parse(cg_bankdb *db, const char *bank, const char *text,
                                    cg_bank *out, cg_error *err)
{
    const char *p = text;

    out->n_thresholds = 0;
    out->pdq_min_quality = 0;
    out->flood_per_hour = 0;
    while (*p != '\0') {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        char name[32];
        long v = 0;
        const char *q;
        const cg_signal_type *t;

        if (end == NULL)
            end = p + strlen(p);
        if (eq == NULL || eq > end || eq == p || (size_t)(eq - p) >= sizeof(name) || eq + 1 == end)
            goto bad;
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = '\0';
        for (q = eq + 1; q < end; q++) {
            if (*q < '0' || *q > '9' || v > 100000)
                goto bad;
            v = v * 10 + (*q - '0');
        }
        if (strcmp(name, MIN_QUALITY_KEY) == 0) {
            if (v < 1 || v > 100)
                goto bad;
            out->pdq_min_quality = (int)v;
            p = *end == ',' ? end + 1 : end;
            continue;
        }
        if (strcmp(name, FLOOD_KEY) == 0) {
            if (v > CG_BANK_FLOOD_MAX)
                goto bad;
            out->flood_per_hour = v == 0 ? -1 : (int)v;
            p = *end == ',' ? end + 1 : end;
            continue;
        }
        t = cg_signal_type_find(name);
        if (t == NULL)
            return cg__fail(err, CG_E_UNSUPPORTED,
                            "%s: bank \"%s\": threshold for unknown signal type \"%s\"", db->path,
                            bank, name);
        if (out->n_thresholds == CG_BANK_MAX_THRESHOLDS || v > t->max_distance)
            goto bad;
        out->thresholds[out->n_thresholds].type = t;
        out->thresholds[out->n_thresholds].distance = (int)v;
        out->n_thresholds++;
        p = *end == ',' ? end + 1 : end;
    }
    return CG_OK;
bad:
    return cg__fail(err, CG_E_DECODE, "%s: bank \"%s\": malformed thresholds \"%s\"", db->path,
                    bank, text);
}

/* ---- validation --------------------------------------------------------------------------- */

cg_status cg__bank_check(cg_bankdb *db, const cg_bank *b, const char *name, cg_error *err)
{
    if (cg__bank_text_check(b->label, sizeof(b->label)) < 0)
        return cg__fail(err, CG_E_INVAL, "%s: bank \"%s\": label longer than %d bytes or not UTF-8",
                        db->path, name, CG_BANK_LABEL_MAX);
    if (cg__bank_text_check(b->description, sizeof(b->description)) < 0)
        return cg__fail(err, CG_E_INVAL,
                        "%s: bank \"%s\": description longer than %d bytes or not UTF-8", db->path,
                        name, CG_BANK_TEXT_MAX);
    if (b->kind != CG_BANK_BLOCK && b->kind != CG_BANK_ALLOW)
        return cg__fail(err, CG_E_INVAL,
                        "%s: bank \"%s\": kind %d is neither block (0) nor allow (1)", db->path,
                        name, (int)b->kind);
    if (b->pdq_min_quality < 0 || b->pdq_min_quality > 100)
        return cg__fail(err, CG_E_INVAL,
                        "%s: bank \"%s\": PDQ minimum quality %d outside 1..100 (0: default)",
                        db->path, name, b->pdq_min_quality);
    if (b->flood_per_hour < -1 || b->flood_per_hour > CG_BANK_FLOOD_MAX)
        return cg__fail(err, CG_E_INVAL,
                        "%s: bank \"%s\": flood_per_hour %d outside -1 (off), 0 (not set) and "
                        "1..%d", db->path, name, b->flood_per_hour, CG_BANK_FLOOD_MAX);
    if (b->n_thresholds > CG_BANK_MAX_THRESHOLDS)
        return cg__fail(err, CG_E_INVAL, "%s: bank \"%s\": %zu thresholds (at most %d)", db->path,
                        name, b->n_thresholds, CG_BANK_MAX_THRESHOLDS);
    for (size_t i = 0; i < b->n_thresholds; i++) {
        const cg_signal_type *t = b->thresholds[i].type;

        if (t == NULL || t->name == NULL || cg_signal_type_find(t->name) != t)
            return cg__fail(err, CG_E_INVAL, "%s: bank \"%s\": threshold %zu has no known type",
                            db->path, name, i);
        if (b->thresholds[i].distance < 0 || b->thresholds[i].distance > t->max_distance)
            return cg__fail(err, CG_E_INVAL,
                            "%s: bank \"%s\": %s threshold %d outside 0..%d", db->path, name,
                            t->name, b->thresholds[i].distance, t->max_distance);
        for (size_t k = 0; k < i; k++)
            if (b->thresholds[k].type == t)
                return cg__fail(err, CG_E_INVAL, "%s: bank \"%s\": two %s thresholds", db->path,
                                name, t->name);
    }
    return CG_OK;
}

/* ---- audit records ------------------------------------------------------------------------ */

static const char *kind_text(cg_bank_kind k)
{
    return k == CG_BANK_ALLOW ? "allow" : "block";
}

/* The settings of a bank as audit data (thr: its thresholds as stored); NULL when out of
 * memory (cg__bankdb_audit reports it). */
static json_t *bank_audit_data(const cg_bank *b, const char *thr)
{
    return json_pack("{s:I, s:s, s:s, s:b, s:s, s:s}", "bank_id", (json_int_t)b->id, "label",
                     b->label, "kind", kind_text(b->kind), "enabled", b->enabled != 0,
                     "description", b->description, "thresholds", thr);
}

/* Adds to data the list of settings that differ between old and new ("changed"). */
static json_t *bank_audit_changed(json_t *data, const cg_bank *old, const char *old_thr,
                                  const cg_bank *new, const char *new_thr)
{
    json_t *changed = json_array();

    if (data == NULL || changed == NULL) {
        json_decref(changed);
        json_decref(data);
        return NULL;
    }
    if (strcmp(old->label, new->label) != 0)
        json_array_append_new(changed, json_string("label"));
    if (old->kind != new->kind)
        json_array_append_new(changed, json_string("kind"));
    if ((old->enabled != 0) != (new->enabled != 0))
        json_array_append_new(changed, json_string("enabled"));
    if (strcmp(old->description, new->description) != 0)
        json_array_append_new(changed, json_string("description"));
    if (strcmp(old_thr, new_thr) != 0)
        json_array_append_new(changed, json_string("thresholds"));
    if (json_object_set_new(data, "changed", changed) != 0) {
        json_decref(data);
        return NULL;
    }
    return data;
}

/* ---- banks over the store ---------------------------------------------------------------- */

cg_status cg_bank_create(cg_bankdb *db, cg_bank *bank, cg_error *err)
{
    char thr[CG_BANK_MAX_THRESHOLDS * 48];
    cg_status s;

    if (db == NULL || bank == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_create: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    if (memchr(bank->name, '\0', sizeof(bank->name)) == NULL || !cg__bank_name_valid(bank->name))
        return cg__fail(err, CG_E_INVAL,
                        "%s: invalid bank name \"%.*s\" (1 to %d of A-Z a-z 0-9 _ . -)", db->path,
                        CG_BANK_NAME_MAX, bank->name, CG_BANK_NAME_MAX);
    s = cg__bank_check(db, bank, bank->name, err);
    if (s != CG_OK)
        return s;
    cg__bank_thresholds_format(bank, thr, sizeof(thr));
    s = db->ops->bank_insert(db, bank, thr, (int64_t)time(NULL), err);
    /* One statement in autocommit mode: committed once it is done, so recorded now. */
    if (s == CG_OK && cg__bankdb_audited(db))
        s = cg__bankdb_audit(db, "bank_create", bank->name, bank_audit_data(bank, thr), err);
    return s;
}

cg_status cg_bank_update(cg_bankdb *db, const cg_bank *bank, cg_error *err)
{
    char thr[CG_BANK_MAX_THRESHOLDS * 48], old_thr[CG_BANK_MAX_THRESHOLDS * 48];
    char name[32];
    cg_bank old;
    cg_status s;

    if (db == NULL || bank == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_update: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    /* The name is not written; messages name the bank by id in case bank->name is stale. */
    snprintf(name, sizeof(name), "id %lld", (long long)bank->id);
    s = cg__bank_check(db, bank, name, err);
    if (s != CG_OK)
        return s;
    cg__bank_thresholds_format(bank, thr, sizeof(thr));
    if (!cg__bankdb_audited(db))
        return db->ops->bank_update_row(db, bank, thr, name, err);
    /* Audited: read the stored bank (its name is the record's subject, its settings tell what
     * changed) in the same transaction as the update. */
    s = db->ops->begin_write(db, "updating a bank", err);
    if (s != CG_OK)
        return s;
    s = db->ops->bank_get_by_id(db, bank->id, &old, err);
    if (s == CG_OK)
        s = db->ops->bank_update_row(db, bank, thr, name, err);
    if (s == CG_OK)
        s = db->ops->commit(db, "updating a bank", err);
    else
        db->ops->rollback(db);
    if (s != CG_OK)
        return s;
    cg__bank_thresholds_format(&old, old_thr, sizeof(old_thr));
    return cg__bankdb_audit(db, "bank_update", old.name,
                            bank_audit_changed(bank_audit_data(bank, thr), &old, old_thr, bank,
                                               thr),
                            err);
}

cg_status cg_bank_delete(cg_bankdb *db, const char *name, cg_error *err)
{
    int64_t id = 0, count = 0;
    cg_status s;

    if (db == NULL || name == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_delete: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    if (!cg__bank_name_valid(name))
        return cg__fail(err, CG_E_INVAL, "%s: invalid bank name \"%.*s\"", db->path,
                        CG_BANK_NAME_MAX, name);
    if (!cg__bankdb_audited(db))
        return db->ops->bank_delete_row(db, name, err);
    /* Audited: the record says how many signals went with the bank, counted in the same
     * transaction as the delete. */
    s = db->ops->begin_write(db, "deleting a bank", err);
    if (s != CG_OK)
        return s;
    s = db->ops->bank_delete_facts(db, name, &id, &count, err);
    if (s == CG_OK)
        s = db->ops->bank_delete_row(db, name, err);
    if (s == CG_OK)
        s = db->ops->commit(db, "deleting a bank", err);
    else
        db->ops->rollback(db);
    if (s != CG_OK)
        return s;
    return cg__bankdb_audit(db, "bank_delete", name,
                            json_pack("{s:I, s:I}", "bank_id", (json_int_t)id, "signals",
                                      (json_int_t)count),
                            err);
}

cg_status cg_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_bank_get: db is NULL");
    }
    return db->ops->bank_get(db, name, out, err);
}

cg_status cg_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_bank_get_by_id: db is NULL");
    }
    return db->ops->bank_get_by_id(db, id, out, err);
}

cg_status cg_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                       cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_list: db is NULL");
    return db->ops->bank_list(db, fn, ud, err);
}
