/* Signals in PostgreSQL: add (with merge), get, find, disable, delete, foreach, count.
 *
 * The merge rules are the SQLite backend's (sqlite_signal.c): a new signal is one prepared
 * INSERT ... ON CONFLICT DO NOTHING; a duplicate fills only what the stored one lacks (unknown
 * quality, empty source, external_id or note), and a pure repeat writes nothing (so logs no
 * change). disabled_until is never merged. foreach reads in pages of PAGE rows by id (keyset),
 * so the callback may use the same connection between pages (libpq runs one query at a time
 * per connection). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define SIGNAL_COLUMNS                                                                       \
    "id, bank_id, signal_type, encode(value, 'hex'), quality, source, external_id, note,"   \
    " added, disabled_until"
#define PAGE 10000

/* Fills out from row of a SIGNAL_COLUMNS result; an unknown type or a value of the wrong
 * size (written by something else) is reported rather than skipped. */
static cg_status signal_from_row(cg_bankdb *db, const PGresult *res, int row,
                                 cg_bank_signal *out, cg_error *err)
{
    const char *tname = PQgetvalue(res, row, 2);

    memset(out, 0, sizeof(*out));
    out->id = cg__pg_int(res, row, 0);
    out->bank_id = cg__pg_int(res, row, 1);
    out->type = cg_signal_type_find(tname);
    if (out->type == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: signal %lld: unknown signal type \"%.31s\"",
                        db->path, (long long)out->id, tname);
    if (cg__pg_hex(res, row, 3, out->value, out->type->bytes) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: signal %lld: %s value of %d bytes (expected %zu)",
                        db->path, (long long)out->id, out->type->name,
                        PQgetlength(res, row, 3) / 2, out->type->bytes);
    out->quality = (int)cg__pg_int(res, row, 4);
    if (cg__pg_text(res, row, 5, out->source, sizeof(out->source)) < 0 ||
        cg__pg_text(res, row, 6, out->external_id, sizeof(out->external_id)) < 0 ||
        cg__pg_text(res, row, 7, out->note, sizeof(out->note)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: signal %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->added = cg__pg_int(res, row, 8);
    out->disabled_until = cg__pg_int(res, row, 9);
    return CG_OK;
}

/* Runs a one-row signal query into out. */
static cg_status signal_fetch(cg_bankdb *db, cg__pg_stmt slot, const char *sql,
                              const cg__pg_params *p, const char *what, cg_bank_signal *out,
                              cg_error *err)
{
    PGresult *res = NULL;
    char step[CG_SIGNAL_MAX_BYTES * 2 + 96];
    cg_status s;

    snprintf(step, sizeof(step), "reading signal %s", what);
    s = cg__pg_query_slot(db, slot, sql, p, step, &res, err);
    if (s == CG_OK) {
        if (PQntuples(res) == 1)
            s = signal_from_row(db, res, 0, out, err);
        else
            s = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %s", db->path, what);
        PQclear(res);
    }
    if (s != CG_OK)
        memset(out, 0, sizeof(*out));
    return s;
}

static cg_status lookup(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                        const uint8_t *value, const char *what, cg_bank_signal *out,
                        cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, bank_id);
    cg__pg_param_text(&p, type->name);
    cg__pg_param_bytes(&p, value, type->bytes);
    return signal_fetch(db, CG__PG_SIGNAL_LOOKUP,
                        "SELECT " SIGNAL_COLUMNS " FROM signals WHERE bank_id = $1::bigint"
                        " AND signal_type = $2 AND value = $3::bytea",
                        &p, what, out, err);
}

/* ---- adding ------------------------------------------------------------------------------- */

static cg_status merge_into_stored(cg_bankdb *db, cg_bank_signal *s, int *filled,
                                   cg_error *err)
{
    cg__pg_params p = {0};
    cg_bank_signal cur;
    char what[96];
    cg_status r;

    r = lookup(db, s->bank_id, s->type, s->value, "being merged", &cur, err);
    if (r != CG_OK)
        return r;
    s->id = cur.id;
    if (!((cur.quality < 0 && s->quality >= 0) || (cur.source[0] == '\0' && s->source[0]) ||
          (cur.external_id[0] == '\0' && s->external_id[0]) || (cur.note[0] == '\0' && s->note[0])))
        return CG_OK;
    cg__pg_param_int(&p, cur.id);
    cg__pg_param_int(&p, s->quality);
    cg__pg_param_text(&p, s->source);
    cg__pg_param_text(&p, s->external_id);
    cg__pg_param_text(&p, s->note);
    snprintf(what, sizeof(what), "bank id %lld: merging signal %lld", (long long)s->bank_id,
             (long long)cur.id);
    r = cg__pg_query_slot(db, CG__PG_SIGNAL_FILL,
                          "UPDATE signals SET"
                          " quality = CASE WHEN quality < 0 THEN $2::integer ELSE quality END,"
                          " source = CASE WHEN source = '' THEN $3 ELSE source END,"
                          " external_id = CASE WHEN external_id = '' THEN $4 ELSE external_id END,"
                          " note = CASE WHEN note = '' THEN $5 ELSE note END"
                          " WHERE id = $1::bigint",
                          &p, what, NULL, err);
    if (r == CG_OK)
        *filled = 1;
    return r;
}

cg_status cg__pg_signal_add_in_tx(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                  int *filled, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    const char *why;
    char what[64];
    cg_status r;

    *merged = 0;
    *filled = 0;
    why = cg__bank_signal_invalid(s);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: signal: %s", db->path,
                        (long long)s->bank_id, why);
    cg__pg_param_int(&p, s->bank_id);
    cg__pg_param_text(&p, s->type->name);
    cg__pg_param_bytes(&p, s->value, s->type->bytes);
    cg__pg_param_int(&p, s->quality);
    cg__pg_param_text(&p, s->source);
    cg__pg_param_text(&p, s->external_id);
    cg__pg_param_text(&p, s->note);
    cg__pg_param_int(&p, now);
    cg__pg_param_int(&p, s->disabled_until);
    snprintf(what, sizeof(what), "bank id %lld: adding a signal", (long long)s->bank_id);
    r = cg__pg_query_slot(db, CG__PG_SIGNAL_INSERT,
                          "INSERT INTO signals(bank_id, signal_type, value, quality, source,"
                          " external_id, note, added, disabled_until)"
                          " VALUES ($1::bigint, $2, $3::bytea, $4::integer, $5, $6, $7,"
                          " $8::bigint, $9::bigint)"
                          " ON CONFLICT (bank_id, signal_type, value) DO NOTHING RETURNING id",
                          &p, what, &res, err);
    if (r != CG_OK) {
        if (strcmp(((cg__pg *)db->be)->last_state, "23503") == 0) /* foreign_key_violation */
            return cg__fail(err, CG_E_NOTFOUND, "%s: no bank id %lld", db->path,
                            (long long)s->bank_id);
        return r;
    }
    if (PQntuples(res) == 1) {
        s->id = cg__pg_int(res, 0, 0);
        s->added = now;
        PQclear(res);
        return CG_OK;
    }
    PQclear(res);
    *merged = 1;
    return merge_into_stored(db, s, filled, err);
}

cg_status cg__pg_signal_put(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                            int *filled, cg_error *err)
{
    return cg__pg_signal_add_in_tx(db, s, now, merged, filled, err);
}

/* ---- reading ------------------------------------------------------------------------------ */

cg_status cg__pg_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err)
{
    cg__pg_params p = {0};
    char what[32];

    memset(out, 0, sizeof(*out));
    cg__pg_param_int(&p, id);
    snprintf(what, sizeof(what), "%lld", (long long)id);
    return signal_fetch(db, CG__PG_SIGNAL_GET,
                        "SELECT " SIGNAL_COLUMNS " FROM signals WHERE id = $1::bigint", &p, what,
                        out, err);
}

cg_status cg__pg_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                             const uint8_t *value, cg_bank_signal *out, cg_error *err)
{
    char what[CG_SIGNAL_MAX_BYTES * 2 + 64];
    char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];

    memset(out, 0, sizeof(*out));
    if (type == NULL || value == NULL || type->name == NULL ||
        cg_signal_type_find(type->name) != type)
        return cg__fail(err, CG_E_INVAL, "cg_bank_signal_find: NULL argument or unknown type");
    type->format(value, hex);
    snprintf(what, sizeof(what), "%s %s in bank id %lld", type->name, hex, (long long)bank_id);
    return lookup(db, bank_id, type, value, what, out, err);
}

/* ---- changing ----------------------------------------------------------------------------- */

static cg_status run_by_id(cg_bankdb *db, const char *sql, const cg__pg_params *p, int64_t id,
                           const char *what, cg_error *err)
{
    PGresult *res = NULL;
    char step[64];
    cg_status r;

    snprintf(step, sizeof(step), "%s signal %lld", what, (long long)id);
    r = cg__pg_query(db, sql, p, step, &res, err);
    if (r != CG_OK)
        return r;
    if (strcmp(PQcmdTuples(res), "0") == 0)
        r = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %lld", db->path, (long long)id);
    PQclear(res);
    return r;
}

cg_status cg__pg_signal_describe(cg_bankdb *db, int64_t id, cg__signal_facts *f, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char step[48];
    cg_status r;

    memset(f, 0, sizeof(*f));
    cg__pg_param_int(&p, id);
    snprintf(step, sizeof(step), "reading signal %lld", (long long)id);
    r = cg__pg_query(db,
                     "SELECT b.name, s.bank_id, s.signal_type, encode(s.value, 'hex')"
                     " FROM signals s JOIN banks b ON b.id = s.bank_id WHERE s.id = $1::bigint",
                     &p, step, &res, err);
    if (r != CG_OK)
        return r;
    if (PQntuples(res) == 1) {
        f->bank_id = cg__pg_int(res, 0, 1);
        if (cg__pg_text(res, 0, 0, f->bank, sizeof(f->bank)) < 0)
            r = cg__fail(err, CG_E_DECODE, "%s: signal %lld: its bank's name is too long",
                         db->path, (long long)id);
        /* Longer than any this build knows: kept cut, the record still names the row. */
        snprintf(f->type, sizeof(f->type), "%.31s", PQgetvalue(res, 0, 2));
        snprintf(f->hex, sizeof(f->hex), "%.*s", (int)sizeof(f->hex) - 1, PQgetvalue(res, 0, 3));
    } else {
        r = cg__fail(err, CG_E_NOTFOUND, "%s: no signal %lld", db->path, (long long)id);
    }
    PQclear(res);
    return r;
}

cg_status cg__pg_signal_set_disabled_row(cg_bankdb *db, int64_t id, int64_t until,
                                         cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    cg__pg_param_int(&p, until);
    return run_by_id(db, "UPDATE signals SET disabled_until = $2::bigint WHERE id = $1::bigint",
                     &p, id, "disabling", err);
}

cg_status cg__pg_signal_delete_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    return run_by_id(db, "DELETE FROM signals WHERE id = $1::bigint", &p, id, "deleting", err);
}

/* ---- many --------------------------------------------------------------------------------- */

static cg_status filter_check(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                              cg_error *err)
{
    cg_bank b;

    if (bank_id < 0)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld is negative", db->path,
                        (long long)bank_id);
    if (type != NULL && (type->name == NULL || cg_signal_type_find(type->name) != type))
        return cg__fail(err, CG_E_INVAL, "%s: unknown signal type", db->path);
    if (bank_id != 0)
        return cg__pg_bank_load_id(db, bank_id, &b, err);
    return CG_OK;
}

cg_status cg__pg_signal_foreach(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                cg_error *err)
{
    /* $1 0: every bank. */
    static const char sql[] = "SELECT " SIGNAL_COLUMNS " FROM signals"
                              " WHERE ($1::bigint = 0 OR bank_id = $1::bigint)"
                              " AND ($2::text IS NULL OR signal_type = $2::text)"
                              " AND id > $3::bigint ORDER BY id LIMIT " CG__PG_STR(PAGE);
    int64_t last = 0;
    cg_bank_signal s;
    char step[64];
    cg_status r;

    r = filter_check(db, bank_id, type, err);
    if (r != CG_OK)
        return r;
    snprintf(step, sizeof(step), "bank id %lld: reading signals", (long long)bank_id);
    for (;;) {
        cg__pg_params p = {0};
        PGresult *res = NULL;
        int n, stop = 0;

        cg__pg_param_int(&p, bank_id);
        if (type != NULL)
            cg__pg_param_text(&p, type->name);
        else
            cg__pg_param_null(&p);
        cg__pg_param_int(&p, last);
        r = cg__pg_query(db, sql, &p, step, &res, err);
        if (r != CG_OK)
            return r;
        n = PQntuples(res);
        for (int i = 0; i < n && !stop; i++) {
            r = signal_from_row(db, res, i, &s, err);
            if (r != CG_OK)
                break;
            last = s.id;
            stop = fn(&s, ud) != 0;
        }
        PQclear(res);
        if (r != CG_OK || stop || n < PAGE)
            return r;
    }
}

cg_status cg__pg_signal_count(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                              int64_t *out, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char step[64];
    cg_status r;

    *out = 0;
    r = filter_check(db, bank_id, type, err);
    if (r != CG_OK)
        return r;
    cg__pg_param_int(&p, bank_id);
    if (type != NULL)
        cg__pg_param_text(&p, type->name);
    else
        cg__pg_param_null(&p);
    snprintf(step, sizeof(step), "bank id %lld: counting signals", (long long)bank_id);
    r = cg__pg_query(db,
                     "SELECT count(*) FROM signals WHERE ($1::bigint = 0 OR bank_id = $1::bigint)"
                     " AND ($2::text IS NULL OR signal_type = $2::text)",
                     &p, step, &res, err);
    if (r != CG_OK)
        return r;
    *out = cg__pg_int(res, 0, 0);
    PQclear(res);
    return r;
}
