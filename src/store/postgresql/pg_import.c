/* The import ops in PostgreSQL (store_ops.h): one transaction per file, holding the store's
 * write lock from the first line.
 *
 * Until bulk mode (store_import.c switches after a few thousand signals) each signal is one
 * prepared INSERT ... ON CONFLICT, logged one change-log entry each, exactly as a single add.
 * import_bulk replaces those entries with one CG_CHANGE_BULK entry for the bank, sets
 * childguard.bulk for the transaction (the signal triggers stay quiet) and creates a temporary
 * staging table; from then on import_put only appends a row to a buffer in PostgreSQL's binary
 * COPY format, sent by one COPY ... FROM STDIN (FORMAT binary) per CG__PG_COPY_BATCH rows.
 * import_merged_late merges the staging table into signals, in file order:
 *   1. INSERT ... SELECT ... ORDER BY ord ON CONFLICT DO NOTHING: the new signals (a value
 *      repeated in the file conflicts with its own first copy and is a merge, as in SQLite);
 *   2. an UPDATE that fills, from the staged copies in file order, the fields a stored signal
 *      lacks (unknown quality, empty source, external_id, note), as a merge does one by one.
 * A buffered row's *merged is only known then: import_merged_late reports how many of the
 * signals import_put counted as added were merges. Every failure rolls the whole file back
 * (import_end). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* ---- the COPY buffer ---------------------------------------------------------------------- */

static int buf_reserve(cg__pg *c, size_t more)
{
    size_t cap = c->copy_cap;
    char *p;

    if (c->copy_len + more <= cap)
        return 0;
    while (cap < c->copy_len + more)
        cap = cap ? cap * 2 : (size_t)1 << 20;
    p = cg__realloc(c->copy_buf, cap);
    if (p == NULL)
        return -1;
    c->copy_buf = p;
    c->copy_cap = cap;
    return 0;
}

/* Big-endian (network order), as the binary COPY format wants. */
static void put_u16(cg__pg *c, uint16_t v)
{
    unsigned char *p = (unsigned char *)c->copy_buf + c->copy_len;

    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    c->copy_len += 2;
}

static void put_u32(cg__pg *c, uint32_t v)
{
    unsigned char *p = (unsigned char *)c->copy_buf + c->copy_len;

    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    c->copy_len += 4;
}

static void put_i64_field(cg__pg *c, int64_t v)
{
    put_u32(c, 8);
    put_u32(c, (uint32_t)((uint64_t)v >> 32));
    put_u32(c, (uint32_t)((uint64_t)v & 0xffffffffu));
}

static void put_bytes_field(cg__pg *c, const void *p, size_t n)
{
    put_u32(c, (uint32_t)n);
    memcpy(c->copy_buf + c->copy_len, p, n);
    c->copy_len += n;
}

/* The columns of the staging table, in COPY order. */
#define STAGE_COLUMNS "ord, signal_type, value, quality, source, external_id, note, disabled_until"

static cg_status buffer_row(cg_bankdb *db, const cg_bank_signal *s, cg_error *err)
{
    cg__pg *c = db->be;
    const size_t tn = strlen(s->type->name), sn = strlen(s->source),
                 en = strlen(s->external_id), nn = strlen(s->note);

    if (buf_reserve(c, 2 + 8 * 4 + 8 + tn + s->type->bytes + 4 + sn + en + nn + 8) != 0)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory buffering the import", db->path);
    put_u16(c, 8);
    put_i64_field(c, c->copy_total + (int64_t)c->copy_rows);
    put_bytes_field(c, s->type->name, tn);
    put_bytes_field(c, s->value, s->type->bytes);
    put_u32(c, 4);
    put_u32(c, (uint32_t)(int32_t)s->quality);
    put_bytes_field(c, s->source, sn);
    put_bytes_field(c, s->external_id, en);
    put_bytes_field(c, s->note, nn);
    put_i64_field(c, s->disabled_until);
    c->copy_rows++;
    return CG_OK;
}

/* Sends the buffered rows with one COPY (its header, the rows, the trailer). */
static cg_status flush_rows(cg_bankdb *db, cg_error *err)
{
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    static const char trailer[2] = {'\377', '\377'};
    cg__pg *c = db->be;
    PGresult *res;
    cg_status st = CG_OK;

    if (c->copy_rows == 0)
        return CG_OK;
    res = PQexec(c->conn, "COPY cg_import_stage(" STAGE_COLUMNS ") FROM STDIN (FORMAT binary)");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        st = cg__pg_fail(db, res, err, "copying the import");
        PQclear(res);
        return st;
    }
    PQclear(res);
    if (PQputCopyData(c->conn, header, (int)sizeof(header)) != 1 ||
        PQputCopyData(c->conn, c->copy_buf, (int)c->copy_len) != 1 ||
        PQputCopyData(c->conn, trailer, 2) != 1 || PQputCopyEnd(c->conn, NULL) != 1)
        st = cg__pg_fail(db, NULL, err, "copying the import");
    while ((res = PQgetResult(c->conn)) != NULL) {
        if (st == CG_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            st = cg__pg_fail(db, res, err, "copying the import");
        PQclear(res);
    }
    c->copy_total += (int64_t)c->copy_rows;
    c->copy_rows = 0;
    c->copy_len = 0;
    return st;
}

/* ---- the ops ------------------------------------------------------------------------------ */

cg_status cg__pg_import_begin(cg_bankdb *db, int64_t bank_id, cg_bank *bank, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    c->import_bulk = 0;
    c->import_bank = bank_id;
    c->copy_rows = 0;
    c->copy_len = 0;
    c->copy_total = 0;
    st = cg__pg_begin_write(db, "starting an import", err);
    if (st != CG_OK)
        return st;
    st = cg__pg_bank_load_id(db, bank_id, bank, err);
    if (st == CG_OK)
        st = cg__pg_change_seq(db, &c->import_seq0, err);
    if (st != CG_OK)
        cg__pg_rollback(db);
    return st;
}

cg_status cg__pg_import_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                            size_t n, int64_t now, int *merged, cg_error *err)
{
    cg__pg *c = db->be;
    const char *why;
    int filled = 0;
    cg_status st;

    *merged = 0;
    /* A video's frames go in at once, also in bulk mode (rare in a hash list): its signal
     * then gets its id before the buffered rows of the lines above it. */
    if (frames != NULL)
        return cg__pg_vpdq_add_in_tx(db, s, frames, n, now, merged, &filled, err);
    if (!c->import_bulk)
        return cg__pg_signal_add_in_tx(db, s, now, merged, &filled, err);
    why = cg__bank_signal_invalid(s);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: signal: %s", db->path,
                        (long long)s->bank_id, why);
    c->import_now = now;
    st = buffer_row(db, s, err);
    if (st == CG_OK && c->copy_rows >= CG__PG_COPY_BATCH)
        st = flush_rows(db, err);
    return st;
}

cg_status cg__pg_import_bulk(cg_bankdb *db, int64_t bank_id, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_params p = {0};
    cg_status st;

    if (c->import_bulk)
        return CG_OK;
    st = cg__pg_exec(db,
                     "SET LOCAL childguard.bulk = 'on';"
                     "CREATE TEMP TABLE cg_import_stage (ord bigint NOT NULL,"
                     " signal_type text NOT NULL, value bytea NOT NULL, quality integer NOT NULL,"
                     " source text NOT NULL, external_id text NOT NULL, note text NOT NULL,"
                     " disabled_until bigint NOT NULL) ON COMMIT DROP",
                     "switching the import to bulk mode", err);
    if (st != CG_OK)
        return st;
    cg__pg_param_int(&p, c->import_seq0);
    cg__pg_param_int(&p, bank_id);
    st = cg__pg_query(db,
                      "WITH d AS (DELETE FROM changes WHERE seq > $1::bigint AND kind = 0)"
                      " SELECT cg_log(2, $2::bigint)",
                      &p, "switching the import to bulk mode", NULL, err);
    if (st == CG_OK) {
        c->import_bulk = 1;
        c->import_bank = bank_id;
    }
    return st;
}

/* Merges the staging table into signals (see the top); *late: the staged rows that were
 * merges. */
static cg_status merge_stage(cg_bankdb *db, int64_t *late, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status st;

    *late = 0;
    st = flush_rows(db, err);
    if (st != CG_OK)
        return st;
    cg__pg_param_int(&p, c->import_bank);
    cg__pg_param_int(&p, c->import_now);
    st = cg__pg_query(db,
                      "INSERT INTO signals(bank_id, signal_type, value, quality, source,"
                      " external_id, note, added, disabled_until)"
                      " SELECT $1::bigint, signal_type, value, quality, source, external_id,"
                      " note, $2::bigint, disabled_until FROM cg_import_stage ORDER BY ord"
                      " ON CONFLICT (bank_id, signal_type, value) DO NOTHING",
                      &p, "merging the import", &res, err);
    if (st != CG_OK)
        return st;
    *late = c->copy_total - strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (*late == 0)
        return CG_OK;
    memset(&p, 0, sizeof(p));
    cg__pg_param_int(&p, c->import_bank);
    /* The fills: for each staged value, the first known quality and the first non-empty text
     * fields in file order, written where the stored signal lacks them. */
    return cg__pg_query(
        db,
        "UPDATE signals s SET"
        " quality = CASE WHEN s.quality < 0 AND g.quality IS NOT NULL THEN g.quality"
        "   ELSE s.quality END,"
        " source = CASE WHEN s.source = '' THEN coalesce(g.source, '') ELSE s.source END,"
        " external_id = CASE WHEN s.external_id = '' THEN coalesce(g.external_id, '')"
        "   ELSE s.external_id END,"
        " note = CASE WHEN s.note = '' THEN coalesce(g.note, '') ELSE s.note END"
        " FROM (SELECT signal_type, value,"
        "   (array_agg(quality ORDER BY ord) FILTER (WHERE quality >= 0))[1] AS quality,"
        "   (array_agg(source ORDER BY ord) FILTER (WHERE source <> ''))[1] AS source,"
        "   (array_agg(external_id ORDER BY ord) FILTER (WHERE external_id <> ''))[1]"
        "     AS external_id,"
        "   (array_agg(note ORDER BY ord) FILTER (WHERE note <> ''))[1] AS note"
        "  FROM cg_import_stage"
        "  WHERE quality >= 0 OR source <> '' OR external_id <> '' OR note <> ''"
        "  GROUP BY signal_type, value) g"
        " WHERE s.bank_id = $1::bigint AND s.signal_type = g.signal_type AND s.value = g.value"
        " AND ((s.quality < 0 AND g.quality IS NOT NULL) OR (s.source = '' AND g.source <> '')"
        "   OR (s.external_id = '' AND g.external_id <> '') OR (s.note = '' AND g.note <> ''))",
        &p, "merging the import", NULL, err);
}

cg_status cg__pg_import_merged_late(cg_bankdb *db, int64_t *merged, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    *merged = 0;
    if (!c->import_bulk)
        return CG_OK;
    st = merge_stage(db, merged, err);
    c->import_bulk = 2; /* merged: import_end commits as is */
    return st;
}

cg_status cg__pg_import_end(cg_bankdb *db, int commit, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st = CG_OK;
    int64_t late;

    if (commit && c->import_bulk == 1)
        st = merge_stage(db, &late, err);
    c->import_bulk = 0;
    c->copy_rows = 0;
    c->copy_len = 0;
    if (commit && st == CG_OK)
        return cg__pg_commit(db, "committing the import", err); /* rolls back on failure */
    cg__pg_rollback(db);
    return st;
}
