/* Signals: add (with merge), get, find, disable/enable, delete, foreach, count.
 *
 * Adding is the import hot path, so it is one cached INSERT ... ON CONFLICT DO NOTHING: a new
 * signal costs one statement. Only a duplicate (same bank, type, value) takes the slow path:
 * read the stored row, and UPDATE it only when the new one fills something (unknown quality,
 * empty source, external_id or note), so a pure repeat writes nothing and logs no change.
 * disabled_until is never merged: a reviewer's decision stands over a re-import. */
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"

#define SIGNAL_COLUMNS                                                                           \
    "id, bank_id, signal_type, value, quality, source, external_id, note, added, disabled_until"

/* ---- rows --------------------------------------------------------------------------------- */

/* Fills out from a row of SIGNAL_COLUMNS. A type this build does not know, or a value of the
 * wrong size (written by something else), is reported rather than skipped. */
static cg_status signal_from_row(cg_bankdb *db, sqlite3_stmt *st, cg_bank_signal *out,
                                 cg_error *err)
{
    const char *tname = (const char *)sqlite3_column_text(st, 2);
    const void *blob;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    out->bank_id = sqlite3_column_int64(st, 1);
    out->type = cg_signal_type_find(tname);
    if (out->type == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: signal %lld: unknown signal type \"%s\"",
                        db->path, (long long)out->id, tname != NULL ? tname : "");
    blob = sqlite3_column_blob(st, 3);
    n = (size_t)sqlite3_column_bytes(st, 3);
    if (n != out->type->bytes || blob == NULL)
        return cg__fail(err, CG_E_DECODE, "%s: signal %lld: %s value of %zu bytes (expected %zu)",
                        db->path, (long long)out->id, out->type->name, n, out->type->bytes);
    memcpy(out->value, blob, n);
    out->quality = sqlite3_column_int(st, 4);
    if (cg__bankdb_column_text(st, 5, out->source, sizeof(out->source)) < 0 ||
        cg__bankdb_column_text(st, 6, out->external_id, sizeof(out->external_id)) < 0 ||
        cg__bankdb_column_text(st, 7, out->note, sizeof(out->note)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: signal %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->added = sqlite3_column_int64(st, 8);
    out->disabled_until = sqlite3_column_int64(st, 9);
    return CG_OK;
}

/* Steps a one-row query (parameters bound) into out and resets it. */
static cg_status signal_fetch(cg_bankdb *db, sqlite3_stmt *st, const char *what,
                              cg_bank_signal *out, cg_error *err)
{
    cg_status s;
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        s = signal_from_row(db, st, out, err);
    else if (rc == SQLITE_DONE)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %s", db->path, what);
    else
        s = cg__bankdb_fail(db, err, rc, "reading signal %s", what);
    sqlite3_reset(st);
    if (s != CG_OK)
        memset(out, 0, sizeof(*out));
    return s;
}

/* The cached lookup by (bank, type, value), bound and ready to step. */
static cg_status lookup_stmt(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                             const uint8_t *value, sqlite3_stmt **out, cg_error *err)
{
    cg_status s = cg__bankdb_stmt(db, CG__STMT_SIGNAL_LOOKUP,
                                  "SELECT " SIGNAL_COLUMNS " FROM signals "
                                  "WHERE bank_id = ?1 AND signal_type = ?2 AND value = ?3",
                                  out, err);

    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(*out, 1, bank_id);
    sqlite3_bind_text(*out, 2, type->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(*out, 3, value, (int)type->bytes, SQLITE_STATIC);
    return CG_OK;
}

/* Checks that bank_id names a bank (for calls that would otherwise silently do nothing). */
static cg_status bank_exists(cg_bankdb *db, int64_t bank_id, cg_error *err)
{
    cg_bank b;

    return cg__bank_load_id(db, bank_id, &b, err);
}

/* ---- adding ------------------------------------------------------------------------------- */

/* The slow path of an add: s duplicates a stored signal; fill what the stored one lacks. */
static cg_status merge_into_stored(cg_bankdb *db, cg_bank_signal *s, cg_error *err)
{
    cg_bank_signal cur;
    sqlite3_stmt *st;
    cg_status r;
    int rc;

    r = lookup_stmt(db, s->bank_id, s->type, s->value, &st, err);
    if (r == CG_OK)
        r = signal_fetch(db, st, "being merged", &cur, err);
    if (r != CG_OK)
        return r;
    s->id = cur.id;
    if (!((cur.quality < 0 && s->quality >= 0) || (cur.source[0] == '\0' && s->source[0]) ||
          (cur.external_id[0] == '\0' && s->external_id[0]) || (cur.note[0] == '\0' && s->note[0])))
        return CG_OK;
    r = cg__bankdb_stmt(db, CG__STMT_SIGNAL_FILL,
                        "UPDATE signals SET"
                        " quality = CASE WHEN quality < 0 THEN ?2 ELSE quality END,"
                        " source = CASE WHEN source = '' THEN ?3 ELSE source END,"
                        " external_id = CASE WHEN external_id = '' THEN ?4 ELSE external_id END,"
                        " note = CASE WHEN note = '' THEN ?5 ELSE note END"
                        " WHERE id = ?1",
                        &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, cur.id);
    sqlite3_bind_int(st, 2, s->quality);
    sqlite3_bind_text(st, 3, s->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->external_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->note, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        r = cg__bankdb_fail(db, err, rc, "bank id %lld: merging signal %lld",
                            (long long)s->bank_id, (long long)cur.id);
    sqlite3_reset(st);
    return r;
}

cg_status cg__bank_signal_add_in_tx(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                    cg_error *err)
{
    const char *why;
    sqlite3_stmt *st;
    cg_status r;
    int rc;

    *merged = 0;
    why = cg__bank_signal_invalid(s);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: signal: %s", db->path,
                        (long long)s->bank_id, why);
    r = cg__bankdb_stmt(db, CG__STMT_SIGNAL_INSERT,
                        "INSERT INTO signals(bank_id, signal_type, value, quality, source,"
                        " external_id, note, added, disabled_until)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                        " ON CONFLICT(bank_id, signal_type, value) DO NOTHING",
                        &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, s->bank_id);
    sqlite3_bind_text(st, 2, s->type->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, s->value, (int)s->type->bytes, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, s->quality);
    sqlite3_bind_text(st, 5, s->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, s->external_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, s->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now);
    sqlite3_bind_int64(st, 9, s->disabled_until);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE && sqlite3_changes(cg__sq(db)) == 1) {
        /* The trigger's own insert does not disturb last_insert_rowid once it has ended. */
        s->id = sqlite3_last_insert_rowid(cg__sq(db));
        s->added = now;
        sqlite3_reset(st);
        return CG_OK;
    }
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        r = cg__fail(err, CG_E_NOTFOUND, "%s: no bank id %lld", db->path, (long long)s->bank_id);
    else if (rc != SQLITE_DONE)
        r = cg__bankdb_fail(db, err, rc, "bank id %lld: adding a signal", (long long)s->bank_id);
    sqlite3_reset(st);
    if (r != CG_OK)
        return r;
    *merged = 1;
    return merge_into_stored(db, s, err);
}

cg_status cg__sqlite_signal_put(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                int *filled, cg_error *err)
{
    /* A merge that fills nothing writes no row: the change counter tells the two apart. */
    const int before = sqlite3_total_changes(cg__sq(db));
    const cg_status r = cg__bank_signal_add_in_tx(db, s, now, merged, err);

    *filled = r == CG_OK && *merged && sqlite3_total_changes(cg__sq(db)) != before;
    return r;
}

/* ---- reading ------------------------------------------------------------------------------ */

cg_status cg__sqlite_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err)
{
    sqlite3_stmt *st;
    char what[32];
    cg_status r;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_get: out is NULL");
    memset(out, 0, sizeof(*out));
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_get: db is NULL");
    r = cg__bankdb_stmt(db, CG__STMT_SIGNAL_GET,
                        "SELECT " SIGNAL_COLUMNS " FROM signals WHERE id = ?1", &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, id);
    snprintf(what, sizeof(what), "%lld", (long long)id);
    return signal_fetch(db, st, what, out, err);
}

cg_status cg__sqlite_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                 const uint8_t *value, cg_bank_signal *out, cg_error *err)
{
    sqlite3_stmt *st;
    char what[CG_SIGNAL_MAX_BYTES * 2 + 64];
    char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
    cg_status r;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_find: out is NULL");
    memset(out, 0, sizeof(*out));
    if (db == NULL || type == NULL || value == NULL || type->name == NULL ||
        cg_signal_type_find(type->name) != type)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_find: NULL argument or unknown type");
    r = lookup_stmt(db, bank_id, type, value, &st, err);
    if (r != CG_OK)
        return r;
    type->format(value, hex);
    snprintf(what, sizeof(what), "%s %s in bank id %lld", type->name, hex, (long long)bank_id);
    return signal_fetch(db, st, what, out, err);
}

/* ---- changing ----------------------------------------------------------------------------- */

/* Runs a one-row UPDATE/DELETE by id; CG_E_NOTFOUND when no row had that id. */
static cg_status run_by_id(cg_bankdb *db, const char *sql, int64_t id, int64_t arg,
                           const char *what, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status r;
    int rc;

    r = cg__bankdb_prepare(db, sql, &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, arg);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        r = cg__bankdb_fail(db, err, rc, "%s signal %lld", what, (long long)id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        r = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %lld", db->path, (long long)id);
    sqlite3_finalize(st);
    return r;
}

cg_status cg__sqlite_signal_describe(cg_bankdb *db, int64_t id, cg__signal_facts *f,
                                     cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status r;
    int rc;

    memset(f, 0, sizeof(*f));
    r = cg__bankdb_prepare(db,
                           "SELECT b.name, s.bank_id, s.signal_type, lower(hex(s.value))"
                           " FROM signals s JOIN banks b ON b.id = s.bank_id WHERE s.id = ?1",
                           &st, err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        f->bank_id = sqlite3_column_int64(st, 1);
        /* A type name or value longer than any this build knows is kept cut: the record
         * still names the row. */
        if (cg__bankdb_column_text(st, 0, f->bank, sizeof(f->bank)) < 0)
            r = cg__fail(err, CG_E_DECODE, "%s: signal %lld: its bank's name is too long",
                         db->path, (long long)id);
        snprintf(f->type, sizeof(f->type), "%s",
                 sqlite3_column_text(st, 2) != NULL ? (const char *)sqlite3_column_text(st, 2)
                                                    : "");
        snprintf(f->hex, sizeof(f->hex), "%s",
                 sqlite3_column_text(st, 3) != NULL ? (const char *)sqlite3_column_text(st, 3)
                                                    : "");
    } else if (rc == SQLITE_DONE) {
        r = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %lld", db->path, (long long)id);
    } else {
        r = cg__bankdb_fail(db, err, rc, "reading signal %lld", (long long)id);
    }
    sqlite3_finalize(st);
    return r;
}

cg_status cg__sqlite_signal_set_disabled_row(cg_bankdb *db, int64_t id, int64_t until,
                                             cg_error *err)
{
    return run_by_id(db, "UPDATE signals SET disabled_until = ?2 WHERE id = ?1", id, until,
                     "disabling", err);
}

cg_status cg__sqlite_signal_delete_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status r;
    int rc;

    /* Cached: an exchange page deletes one signal per withdrawn record. */
    r = cg__bankdb_stmt(db, CG__STMT_SIGNAL_DELETE, "DELETE FROM signals WHERE id = ?1", &st,
                        err);
    if (r != CG_OK)
        return r;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        r = cg__bankdb_fail(db, err, rc, "deleting signal %lld", (long long)id);
    else if (sqlite3_changes(cg__sq(db)) == 0)
        r = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %lld", db->path, (long long)id);
    sqlite3_reset(st);
    return r;
}

/* ---- many --------------------------------------------------------------------------------- */

/* Binds the (bank, type) filter of the foreach/count queries, after checking the bank. */
static cg_status filter_prepare(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                const char *sql_bank, const char *sql_all, sqlite3_stmt **out,
                                cg_error *err)
{
    cg_status r;

    *out = NULL;
    if (bank_id < 0)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld is negative", db->path,
                        (long long)bank_id);
    if (type != NULL && (type->name == NULL || cg_signal_type_find(type->name) != type))
        return cg__fail(err, CG_E_INVAL, "%s: unknown signal type", db->path);
    if (bank_id != 0) {
        r = bank_exists(db, bank_id, err);
        if (r != CG_OK)
            return r;
    }
    r = cg__bankdb_prepare(db, bank_id != 0 ? sql_bank : sql_all, out, err);
    if (r != CG_OK)
        return r;
    if (bank_id != 0)
        sqlite3_bind_int64(*out, 1, bank_id);
    if (type != NULL)
        sqlite3_bind_text(*out, 2, type->name, -1, SQLITE_STATIC);
    return CG_OK;
}

cg_status cg__sqlite_signal_foreach(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                    int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                    cg_error *err)
{
    /* INDEXED BY: signals_bank holds a bank's rows in rowid order, so no sort (which would
     * buffer the whole bank) is needed for ORDER BY id. */
    static const char sql_bank[] =
        "SELECT " SIGNAL_COLUMNS " FROM signals INDEXED BY signals_bank"
        " WHERE bank_id = ?1 AND (?2 IS NULL OR signal_type = ?2) ORDER BY id";
    static const char sql_all[] = "SELECT " SIGNAL_COLUMNS " FROM signals"
                                  " WHERE (?2 IS NULL OR signal_type = ?2) ORDER BY id";
    sqlite3_stmt *st = NULL;
    cg_bank_signal s;
    cg_status r;
    int rc;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_foreach: NULL argument");
    r = filter_prepare(db, bank_id, type, sql_bank, sql_all, &st, err);
    if (r != CG_OK)
        return r;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            r = cg__bankdb_fail(db, err, rc, "bank id %lld: reading signals", (long long)bank_id);
            break;
        }
        r = signal_from_row(db, st, &s, err);
        if (r != CG_OK || fn(&s, ud) != 0)
            break;
    }
    sqlite3_finalize(st);
    return r;
}

cg_status cg__sqlite_signal_count(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                  int64_t *out, cg_error *err)
{
    static const char sql_bank[] = "SELECT count(*) FROM signals"
                                   " WHERE bank_id = ?1 AND (?2 IS NULL OR signal_type = ?2)";
    static const char sql_all[] =
        "SELECT count(*) FROM signals WHERE (?2 IS NULL OR signal_type = ?2)";
    sqlite3_stmt *st = NULL;
    cg_status r;
    int rc;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_count: out is NULL");
    *out = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_count: db is NULL");
    r = filter_prepare(db, bank_id, type, sql_bank, sql_all, &st, err);
    if (r != CG_OK)
        return r;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        r = cg__bankdb_fail(db, err, rc, "bank id %lld: counting signals", (long long)bank_id);
    sqlite3_finalize(st);
    return r;
}
