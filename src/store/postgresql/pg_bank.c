/* Banks in PostgreSQL: create, read, update, delete, list (the rows of store_bank.c's
 * operations; thresholds are the compact text of cg__bank_thresholds_format, as in SQLite). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define BANK_COLUMNS "id, name, label, kind, enabled, description, created, thresholds"

/* Fills out from row of a BANK_COLUMNS result. */
static cg_status bank_from_row(cg_bankdb *db, const PGresult *res, int row, cg_bank *out,
                               cg_error *err)
{
    memset(out, 0, sizeof(*out));
    out->id = cg__pg_int(res, row, 0);
    if (cg__pg_text(res, row, 1, out->name, sizeof(out->name)) < 0 ||
        cg__pg_text(res, row, 2, out->label, sizeof(out->label)) < 0 ||
        cg__pg_text(res, row, 5, out->description, sizeof(out->description)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: bank %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->kind = cg__pg_int(res, row, 3) == 1 ? CG_BANK_ALLOW : CG_BANK_BLOCK;
    out->enabled = cg__pg_int(res, row, 4) != 0;
    out->created = cg__pg_int(res, row, 6);
    return cg__bank_thresholds_parse(db, out->name, PQgetvalue(res, row, 7), out, err);
}

/* Runs a one-row bank query of slot with its parameter. */
static cg_status bank_fetch(cg_bankdb *db, cg__pg_stmt slot, const char *sql,
                            const cg__pg_params *p, const char *what, cg_bank *out,
                            cg_error *err)
{
    PGresult *res = NULL;
    char step[CG_BANK_NAME_MAX + 32];
    cg_status s;

    snprintf(step, sizeof(step), "reading bank %s", what);
    s = cg__pg_query_slot(db, slot, sql, p, step, &res, err);
    if (s == CG_OK) {
        if (PQntuples(res) == 1)
            s = bank_from_row(db, res, 0, out, err);
        else
            s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank %s", db->path, what);
        PQclear(res);
    }
    if (s != CG_OK)
        memset(out, 0, sizeof(*out));
    return s;
}

cg_status cg__pg_bank_load_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err)
{
    cg__pg_params p = {0};
    char what[32];

    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "id %lld", (long long)id);
    return bank_fetch(db, CG__PG_BANK_BY_ID,
                      "SELECT " BANK_COLUMNS " FROM banks WHERE id = $1::bigint", &p, what, out,
                      err);
}

cg_status cg__pg_bank_insert(cg_bankdb *db, cg_bank *bank, const char *thresholds, int64_t now,
                             cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status s;
    char what[CG_BANK_NAME_MAX + 32];

    cg__pg_param_text(&p, bank->name);
    cg__pg_param_text(&p, bank->label);
    cg__pg_param_int(&p, (int64_t)bank->kind);
    cg__pg_param_int(&p, bank->enabled != 0);
    cg__pg_param_text(&p, bank->description);
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, thresholds);
    snprintf(what, sizeof(what), "creating bank \"%s\"", bank->name);
    /* ON CONFLICT: a taken name is an answer, not an error that would abort the caller's
     * transaction. */
    s = cg__pg_query(db,
                     "INSERT INTO banks(name, label, kind, enabled, description, created,"
                     " thresholds) VALUES ($1, $2, $3::integer, $4::integer, $5, $6::bigint, $7)"
                     " ON CONFLICT (name) DO NOTHING RETURNING id",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        bank->id = cg__pg_int(res, 0, 0);
        bank->created = now;
    } else {
        s = cg__fail(err, CG_E_INVAL, "%s: bank \"%s\" already exists", db->path, bank->name);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err)
{
    cg__pg_params p = {0};
    char what[CG_BANK_NAME_MAX + 8];

    memset(out, 0, sizeof(*out));
    if (!cg__bank_name_valid(name))
        return cg__fail(err, CG_E_INVAL, "%s: invalid bank name \"%.*s\"", db->path,
                        CG_BANK_NAME_MAX, name);
    cg__pg_param_text(&p, name);
    snprintf(what, sizeof(what), "\"%s\"", name);
    return bank_fetch(db, CG__PG_BANK_BY_NAME,
                      "SELECT " BANK_COLUMNS " FROM banks WHERE name = $1", &p, what, out, err);
}

cg_status cg__pg_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err)
{
    return cg__pg_bank_load_id(db, id, out, err);
}

/* Runs a statement that changes at most one row; CG_E_NOTFOUND (naming name) when none. */
static cg_status change_one(cg_bankdb *db, const char *sql, const cg__pg_params *p,
                            const char *what, const char *name, cg_error *err)
{
    PGresult *res = NULL;
    cg_status s = cg__pg_query(db, sql, p, what, &res, err);

    if (s != CG_OK)
        return s;
    if (strcmp(PQcmdTuples(res), "0") == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank %s", db->path, name);
    PQclear(res);
    return s;
}

cg_status cg__pg_bank_update_row(cg_bankdb *db, const cg_bank *bank, const char *thr,
                                 const char *name, cg_error *err)
{
    cg__pg_params p = {0};
    char what[CG_BANK_NAME_MAX + 32];

    cg__pg_param_int(&p, bank->id);
    cg__pg_param_text(&p, bank->label);
    cg__pg_param_int(&p, (int64_t)bank->kind);
    cg__pg_param_int(&p, bank->enabled != 0);
    cg__pg_param_text(&p, bank->description);
    cg__pg_param_text(&p, thr);
    snprintf(what, sizeof(what), "updating bank %s", name);
    return change_one(db,
                      "UPDATE banks SET label = $2, kind = $3::integer, enabled = $4::integer,"
                      " description = $5, thresholds = $6 WHERE id = $1::bigint",
                      &p, what, name, err);
}

cg_status cg__pg_bank_delete_row(cg_bankdb *db, const char *name, cg_error *err)
{
    cg__pg_params p = {0};
    char what[CG_BANK_NAME_MAX + 32], quoted[CG_BANK_NAME_MAX + 4];

    cg__pg_param_text(&p, name);
    snprintf(what, sizeof(what), "deleting bank \"%s\"", name);
    snprintf(quoted, sizeof(quoted), "\"%s\"", name);
    /* One statement: the signals (and their frames) follow by ON DELETE CASCADE. */
    return change_one(db, "DELETE FROM banks WHERE name = $1", &p, what, quoted, err);
}

cg_status cg__pg_bank_delete_facts(cg_bankdb *db, const char *name, int64_t *id, int64_t *count,
                                   cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[CG_BANK_NAME_MAX + 32];
    cg_status s;

    cg__pg_param_text(&p, name);
    snprintf(what, sizeof(what), "reading bank \"%s\"", name);
    s = cg__pg_query(db,
                     "SELECT id, (SELECT count(*) FROM signals WHERE bank_id = banks.id)"
                     " FROM banks WHERE name = $1",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1) {
        *id = cg__pg_int(res, 0, 0);
        *count = cg__pg_int(res, 0, 1);
    } else {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank \"%s\"", db->path, name);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                           cg_error *err)
{
    PGresult *res = NULL;
    cg_bank b;
    cg_status s;

    /* COLLATE "C": byte order, as SQLite's default. Banks are few: one result. */
    s = cg__pg_query(db, "SELECT " BANK_COLUMNS " FROM banks ORDER BY name COLLATE \"C\"", NULL,
                     "listing banks", &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res); i++) {
        s = bank_from_row(db, res, i, &b, err);
        if (s != CG_OK || fn(&b, ud) != 0)
            break;
    }
    PQclear(res);
    return s;
}
