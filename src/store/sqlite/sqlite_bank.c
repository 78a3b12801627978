/* Banks in SQLite: create, read, update, delete, list.
 *
 * Thresholds are stored in banks.thresholds as the compact text of cg__bank_thresholds_format
 * (store_bank.c): keeping them in the row makes an update one UPDATE, so one change-log
 * entry. */
#include "store/sqlite/sqlite_int.h"

#include <string.h>
#include <time.h>

#include "childguard/pdq.h"
#include "common/error.h"

#define BANK_COLUMNS "id, name, label, kind, enabled, description, created, thresholds"

/* ---- rows --------------------------------------------------------------------------------- */

/* Fills out from a row of BANK_COLUMNS. */
static cg_status bank_from_row(cg_bankdb *db, sqlite3_stmt *st, cg_bank *out, cg_error *err)
{
    const char *thr = (const char *)sqlite3_column_text(st, 7);

    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    if (cg__bankdb_column_text(st, 1, out->name, sizeof(out->name)) < 0 ||
        cg__bankdb_column_text(st, 2, out->label, sizeof(out->label)) < 0 ||
        cg__bankdb_column_text(st, 5, out->description, sizeof(out->description)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: bank %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->kind = sqlite3_column_int(st, 3) == 1 ? CG_BANK_ALLOW : CG_BANK_BLOCK;
    out->enabled = sqlite3_column_int(st, 4) != 0;
    out->created = sqlite3_column_int64(st, 6);
    return cg__bank_thresholds_parse(db, out->name, thr != NULL ? thr : "", out, err);
}

/* Runs a cached one-row bank query with one bound parameter (already bound). */
static cg_status bank_fetch(cg_bankdb *db, sqlite3_stmt *st, const char *what, cg_bank *out,
                            cg_error *err)
{
    cg_status s;
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        s = bank_from_row(db, st, out, err);
    else if (rc == SQLITE_DONE)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank %s", db->path, what);
    else
        s = cg__bankdb_fail(db, err, rc, "reading bank %s", what);
    sqlite3_reset(st);
    if (s != CG_OK)
        memset(out, 0, sizeof(*out));
    return s;
}

cg_status cg__bank_load_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err)
{
    sqlite3_stmt *st;
    char what[32];
    cg_status s;

    s = cg__bankdb_stmt(db, CG__STMT_BANK_BY_ID,
                        "SELECT " BANK_COLUMNS " FROM banks WHERE id = ?1", &st, err);
    if (s != CG_OK) {
        memset(out, 0, sizeof(*out));
        return s;
    }
    sqlite3_bind_int64(st, 1, id);
    snprintf(what, sizeof(what), "id %lld", (long long)id);
    return bank_fetch(db, st, what, out, err);
}

/* ---- public ------------------------------------------------------------------------------- */

cg_status cg__sqlite_bank_insert(cg_bankdb *db, cg_bank *bank, const char *thresholds, int64_t now,
                                 cg_error *err)
{
    static const char sql[] =
        "INSERT INTO banks(name, label, kind, enabled, description, created, thresholds) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, bank->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bank->label, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)bank->kind);
    sqlite3_bind_int(st, 4, bank->enabled != 0);
    sqlite3_bind_text(st, 5, bank->description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_text(st, 7, thresholds, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        bank->id = sqlite3_last_insert_rowid(cg__sq(db));
        bank->created = now;
    } else if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        s = cg__fail(err, CG_E_INVAL, "%s: bank \"%s\" already exists", db->path, bank->name);
    } else {
        s = cg__bankdb_fail(db, err, rc, "creating bank \"%s\"", bank->name);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err)
{
    sqlite3_stmt *st;
    char what[CG_BANK_NAME_MAX + 8];
    cg_status s;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_get: out is NULL");
    memset(out, 0, sizeof(*out));
    if (db == NULL || name == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_get: NULL argument");
    if (!cg__bank_name_valid(name))
        return cg__fail(err, CG_E_INVAL, "%s: invalid bank name \"%.*s\"", db->path,
                        CG_BANK_NAME_MAX, name);
    s = cg__bankdb_stmt(db, CG__STMT_BANK_BY_NAME,
                        "SELECT " BANK_COLUMNS " FROM banks WHERE name = ?1", &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    snprintf(what, sizeof(what), "\"%s\"", name);
    s = bank_fetch(db, st, what, out, err);
    sqlite3_clear_bindings(st); /* name is borrowed only for this call */
    return s;
}

cg_status cg__sqlite_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err)
{
    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_get_by_id: out is NULL");
    if (db == NULL) {
        memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_bank_get_by_id: db is NULL");
    }
    return cg__bank_load_id(db, id, out, err);
}

cg_status cg__sqlite_bank_update_row(cg_bankdb *db, const cg_bank *bank, const char *thr,
                                     const char *name, cg_error *err)
{
    static const char sql[] = "UPDATE banks SET label = ?2, kind = ?3, enabled = ?4, "
                              "description = ?5, thresholds = ?6 WHERE id = ?1";
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, bank->id);
    sqlite3_bind_text(st, 2, bank->label, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)bank->kind);
    sqlite3_bind_int(st, 4, bank->enabled != 0);
    sqlite3_bind_text(st, 5, bank->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, thr, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "updating bank %s", name);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank %s", db->path, name);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_bank_delete_row(cg_bankdb *db, const char *name, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    /* One statement, so atomic: the bank row goes and its signals and their index entries
     * follow by ON DELETE CASCADE (foreign_keys is on for every connection we open). */
    s = cg__bankdb_prepare(db, "DELETE FROM banks WHERE name = ?1", &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "deleting bank \"%s\"", name);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank \"%s\"", db->path, name);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_bank_delete_facts(cg_bankdb *db, const char *name, int64_t *id,
                                       int64_t *count, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT id, (SELECT count(*) FROM signals WHERE bank_id = banks.id)"
                           " FROM banks WHERE name = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *count = sqlite3_column_int64(st, 1);
    } else if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no bank \"%s\"", db->path, name);
    } else {
        s = cg__bankdb_fail(db, err, rc, "reading bank \"%s\"", name);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                               cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_bank b;
    cg_status s;
    int rc;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_list: NULL argument");
    s = cg__bankdb_prepare(db, "SELECT " BANK_COLUMNS " FROM banks ORDER BY name", &st, err);
    if (s != CG_OK)
        return s;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            s = cg__bankdb_fail(db, err, rc, "listing banks");
            break;
        }
        s = bank_from_row(db, st, &b, err);
        if (s != CG_OK || fn(&b, ud) != 0)
            break;
    }
    sqlite3_finalize(st);
    return s;
}
