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

#include "childguard/pdq.h"
#include "common/error.h"

#define MIN_QUALITY_KEY "pdq_min_quality"

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
    if (b->pdq_min_quality > 0 && used < cap)
        snprintf(out + used, cap - used, "%s" MIN_QUALITY_KEY "=%d", used > 0 ? "," : "",
                 b->pdq_min_quality);
}

/* Parses the stored text back. A type this build does not know (written by a newer one) or a
 * malformed entry is an error, never dropped silently. */
cg_status cg__bank_thresholds_parse(cg_bankdb *db, const char *bank, const char *text,
                                    cg_bank *out, cg_error *err)
{
    const char *p = text;

    out->n_thresholds = 0;
    out->pdq_min_quality = 0;
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

/* ---- banks over the store ---------------------------------------------------------------- */

cg_status cg_bank_create(cg_bankdb *db, cg_bank *bank, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_create: db is NULL");
    return db->ops->bank_create(db, bank, err);
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

cg_status cg_bank_update(cg_bankdb *db, const cg_bank *bank, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_update: db is NULL");
    return db->ops->bank_update(db, bank, err);
}

cg_status cg_bank_delete(cg_bankdb *db, const char *name, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_delete: db is NULL");
    return db->ops->bank_delete(db, name, err);
}

cg_status cg_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                       cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_list: db is NULL");
    return db->ops->bank_list(db, fn, ud, err);
}
