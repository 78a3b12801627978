/* The import ops in PostgreSQL (store_ops.h): one transaction per file, holding the store's
 * write lock from the first line (docs/banks.md "PostgreSQL", Import).
 *
 * Every signal line is checked, then appended to a buffer in PostgreSQL's binary COPY format;
 * the buffer goes out by PQputCopyData every CG__PG_COPY_CHUNK bytes into ONE
 * COPY cg_import_stage FROM STDIN (FORMAT binary), kept open while the file is read, so the
 * server stores rows while the client parses the next ones. No round trip per row. The staging
 * table is a temporary one (no WAL, no index, ON COMMIT DROP), created at the first row.
 *
 * The COPY is closed before any other statement: for import_bulk (which replaces the per-signal
 * change-log entries of this file by one CG_CHANGE_BULK entry and sets childguard.bulk, so the
 * signal trigger stays quiet), before a vPDQ line (the rows above it are merged first, then the
 * video goes in with its frames: ids follow the file's order), and at the end of the file.
 * A merge (merge_stage) moves the staged rows into signals, in file order (ord), with the merge
 * rules of a single add:
 *   1. the new signals, by one INSERT ... SELECT. Into a bank with no signal yet, the staged rows
 *      are reduced to the first copy of each value (DISTINCT ON over a sort by value, the cheap
 *      key) and inserted plainly; otherwise INSERT ... ON CONFLICT DO NOTHING decides (a value
 *      repeated in the file conflicts with its own first copy, as in SQLite). In bulk mode, when
 *      the role may set session_replication_role (a superuser, or GRANT SET ON PARAMETER), the
 *      INSERT runs with it at replica, so the per-row foreign-key check of signals.bank_id does
 *      not run a query per row: every row has the import's bank id, whose row this merge locks
 *      FOR KEY SHARE first, which is all that check would do (a million times). Nothing else
 *      runs in that mode: the setting is restored right after the INSERT;
 *   2. an UPDATE that fills, from the staged copies in file order, the fields a stored signal
 *      lacks (unknown quality, empty source, external_id, note), as a merge does one by one;
 *      only when some staged row was a merge.
 * Outside bulk mode the signal trigger logs each new or filled signal as a single add does.
 * A buffered row's *merged is only known at its merge: import_merged_late reports how many of
 * the signals import_put counted as added were merges. Every failure rolls the whole file back
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
        cap = cap ? cap * 2 : (size_t)CG__PG_COPY_CHUNK * 2;
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

/* The staging table: value first (the sort key of a merge into an empty bank: its offset in
 * the row is fixed, the text columns after it are only read for the rows that are kept). */
#define STAGE_TABLE                                                                          \
    "CREATE TEMP TABLE cg_import_stage (value bytea NOT NULL, ord bigint NOT NULL,"          \
    " signal_type text NOT NULL, quality integer NOT NULL, source text NOT NULL,"            \
    " external_id text NOT NULL, note text NOT NULL, disabled_until bigint NOT NULL)"        \
    " ON COMMIT DROP"
#define STAGE_COPY "COPY cg_import_stage FROM STDIN (FORMAT binary)"

static void buffer_row(cg__pg *c, const cg_bank_signal *s, size_t tn, size_t sn, size_t en,
                       size_t nn)
{
    put_u16(c, 8);
    put_bytes_field(c, s->value, s->type->bytes);
    put_i64_field(c, c->copy_total++);
    put_bytes_field(c, s->type->name, tn);
    put_u32(c, 4);
    put_u32(c, (uint32_t)(int32_t)s->quality);
    put_bytes_field(c, s->source, sn);
    put_bytes_field(c, s->external_id, en);
    put_bytes_field(c, s->note, nn);
    put_i64_field(c, s->disabled_until);
    c->copy_rows++;
}

/* Opens the COPY (and the staging table at the first row of the file). */
static cg_status copy_start(cg_bankdb *db, cg_error *err)
{
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    cg__pg *c = db->be;
    PGresult *res;
    cg_status st;

    if (!c->stage_ready) {
        st = cg__pg_exec(db, STAGE_TABLE, "staging the import", err);
        if (st != CG_OK)
            return st;
        c->stage_ready = 1;
    }
    res = PQexec(c->conn, STAGE_COPY);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        st = cg__pg_fail(db, res, err, "copying the import");
        PQclear(res);
        return st;
    }
    PQclear(res);
    c->copy_open = 1;
    if (PQputCopyData(c->conn, header, (int)sizeof(header)) != 1)
        return cg__pg_fail(db, NULL, err, "copying the import");
    return CG_OK;
}

/* Sends the buffered rows into the open COPY (opening it first if needed). */
static cg_status copy_send(cg_bankdb *db, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    if (c->copy_rows == 0)
        return CG_OK;
    if (!c->copy_open) {
        st = copy_start(db, err);
        if (st != CG_OK)
            return st;
    }
    if (PQputCopyData(c->conn, c->copy_buf, (int)c->copy_len) != 1)
        return cg__pg_fail(db, NULL, err, "copying the import");
    c->stage_rows += (int64_t)c->copy_rows;
    c->copy_rows = 0;
    c->copy_len = 0;
    return CG_OK;
}

/* Ends the COPY: with its trailer (abandon NULL), or abandoned with that reason (the server
 * then fails the COPY, and the transaction, which is being rolled back anyway). */
static cg_status copy_end(cg_bankdb *db, const char *abandon, cg_error *err)
{
    static const char trailer[2] = {'\377', '\377'};
    cg__pg *c = db->be;
    cg_status st = CG_OK;
    PGresult *res;

    if (!c->copy_open)
        return CG_OK;
    c->copy_open = 0;
    if (abandon == NULL && PQputCopyData(c->conn, trailer, 2) != 1)
        st = cg__pg_fail(db, NULL, err, "copying the import");
    if (PQputCopyEnd(c->conn, st == CG_OK ? abandon : "import abandoned") != 1 && st == CG_OK)
        st = cg__pg_fail(db, NULL, err, "copying the import");
    while ((res = PQgetResult(c->conn)) != NULL) {
        if (st == CG_OK && abandon == NULL && PQresultStatus(res) != PGRES_COMMAND_OK)
            st = cg__pg_fail(db, res, err, "copying the import");
        PQclear(res);
        if (PQstatus(c->conn) == CONNECTION_BAD)
            break;
    }
    return st;
}

/* Every row put so far in the staging table, the COPY closed: before any other statement. */
static cg_status stage_all(cg_bankdb *db, cg_error *err)
{
    cg_status st = copy_send(db, err);

    if (st == CG_OK)
        st = copy_end(db, NULL, err);
    return st;
}

/* ---- the merge ---------------------------------------------------------------------------- */

#define SIGNAL_INSERT                                                                        \
    "INSERT INTO signals(bank_id, signal_type, value, quality, source, external_id, note,"  \
    " added, disabled_until) SELECT $1::bigint, signal_type, value, quality, source,"       \
    " external_id, note, $2::bigint, disabled_until FROM "

/* Into a bank with no signal: the first copy of each value, in file order. */
#define INSERT_FIRST_COPIES                                                                  \
    SIGNAL_INSERT "(SELECT DISTINCT ON (value, signal_type) * FROM cg_import_stage"          \
                  " ORDER BY value, signal_type, ord) f ORDER BY ord"
/* Into a bank that has signals: the arbiter decides. */
#define INSERT_NEW                                                                           \
    SIGNAL_INSERT "cg_import_stage ORDER BY ord"                                             \
                  " ON CONFLICT (bank_id, signal_type, value) DO NOTHING"

/* What the merge's INSERT needs to know, in one round trip: the bank row (locked as the
 * foreign-key check would lock it; none: the bank is gone), whether it has signals, whether
 * this role may set session_replication_role (has_parameter_privilege is PostgreSQL 15's;
 * before it only a superuser may), and the setting to restore. Also settings for the rest of
 * the transaction: the merge's sort in memory, no JIT compilation of an INSERT. */
static cg_status merge_facts(cg_bankdb *db, int *empty, int *replica_ok, char *prev,
                             size_t cap, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_status st;

    cg__pg_param_int(&p, c->import_bank);
    st = cg__pg_query(
        db,
        PQserverVersion(c->conn) >= 150000
            ? "SELECT NOT EXISTS (SELECT 1 FROM signals WHERE bank_id = b.id),"
              " has_parameter_privilege('session_replication_role', 'SET'),"
              " current_setting('session_replication_role'),"
              " set_config('work_mem', '64MB', true), set_config('jit', 'off', true)"
              " FROM banks b WHERE b.id = $1::bigint FOR KEY SHARE OF b"
            : "SELECT NOT EXISTS (SELECT 1 FROM signals WHERE bank_id = b.id),"
              " current_setting('is_superuser') = 'on',"
              " current_setting('session_replication_role'),"
              " set_config('work_mem', '64MB', true), set_config('jit', 'off', true)"
              " FROM banks b WHERE b.id = $1::bigint FOR KEY SHARE OF b",
        &p, "merging the import", &res, err);
    if (st != CG_OK)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return cg__fail(err, CG_E_NOTFOUND, "%s: no bank id %lld", db->path,
                        (long long)c->import_bank);
    }
    *empty = PQgetvalue(res, 0, 0)[0] == 't';
    *replica_ok = PQgetvalue(res, 0, 1)[0] == 't';
    if (cg__pg_text(res, 0, 2, prev, cap) < 0)
        snprintf(prev, cap, "origin");
    PQclear(res);
    return CG_OK;
}

static cg_status set_replication_role(cg_bankdb *db, const char *role, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_text(&p, role);
    return cg__pg_query(db, "SELECT set_config('session_replication_role', $1, true)", &p,
                        "merging the import", NULL, err);
}

/* The fills: for each staged value, the first known quality and the first non-empty text
 * fields in file order, written where the stored signal lacks them. */
static cg_status fill_stored(cg_bankdb *db, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, ((cg__pg *)db->be)->import_bank);
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

/* Merges the staging table into signals (see the top) and empties it; the staged rows that
 * were merges are added to import_late. */
static cg_status merge_stage(cg_bankdb *db, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char prev[32];
    int empty = 0, replica = 0;
    int64_t late;
    cg_status st;

    st = stage_all(db, err);
    if (st != CG_OK || c->stage_rows == 0)
        return st;
    st = merge_facts(db, &empty, &replica, prev, sizeof(prev), err);
    replica = replica && c->import_bulk && strcmp(prev, "replica") != 0;
    if (st == CG_OK && replica)
        st = set_replication_role(db, "replica", err);
    if (st != CG_OK)
        return st;
    cg__pg_param_int(&p, c->import_bank);
    cg__pg_param_int(&p, c->import_now);
    st = cg__pg_query(db, empty ? INSERT_FIRST_COPIES : INSERT_NEW, &p, "merging the import",
                      &res, err);
    if (st == CG_OK && replica)
        st = set_replication_role(db, prev, err);
    if (st != CG_OK) {
        PQclear(res);
        return st;
    }
    late = c->stage_rows - strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (late > 0)
        st = fill_stored(db, err);
    if (st == CG_OK)
        st = cg__pg_exec(db, "TRUNCATE cg_import_stage", "merging the import", err);
    if (st == CG_OK) {
        c->import_late += late;
        c->stage_rows = 0;
    }
    return st;
}

/* ---- the ops ------------------------------------------------------------------------------ */

cg_status cg__pg_import_begin(cg_bankdb *db, int64_t bank_id, cg_bank *bank, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    c->import_bulk = 0;
    c->import_bank = bank_id;
    c->import_late = 0;
    c->stage_ready = 0;
    c->copy_open = 0;
    c->copy_rows = 0;
    c->copy_len = 0;
    c->copy_total = 0;
    c->stage_rows = 0;
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
    size_t tn, sn, en, nn;
    cg_status st;

    *merged = 0;
    c->import_now = now;
    /* A video goes in at once with its frames, after the lines above it. */
    if (frames != NULL) {
        int filled = 0;

        st = merge_stage(db, err);
        if (st != CG_OK)
            return st;
        return cg__pg_vpdq_add_in_tx(db, s, frames, n, now, merged, &filled, err);
    }
    why = cg__bank_signal_invalid(s);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld: signal: %s", db->path,
                        (long long)s->bank_id, why);
    tn = strlen(s->type->name);
    sn = strlen(s->source);
    en = strlen(s->external_id);
    nn = strlen(s->note);
    if (buf_reserve(c, 2 + 8 * 4 + 8 + 8 + tn + s->type->bytes + 4 + sn + en + nn) != 0)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory buffering the import", db->path);
    buffer_row(c, s, tn, sn, en, nn);
    if (c->copy_len >= CG__PG_COPY_CHUNK)
        return copy_send(db, err);
    return CG_OK;
}

cg_status cg__pg_import_bulk(cg_bankdb *db, int64_t bank_id, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_params p = {0};
    cg_status st;

    if (c->import_bulk)
        return CG_OK;
    st = stage_all(db, err); /* the COPY is reopened at the next row */
    if (st == CG_OK)
        st = cg__pg_exec(db, "SET LOCAL childguard.bulk = 'on'",
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

cg_status cg__pg_import_merged_late(cg_bankdb *db, int64_t *merged, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    st = merge_stage(db, err);
    *merged = st == CG_OK ? c->import_late : 0;
    c->import_late = 0;
    return st;
}

cg_status cg__pg_import_end(cg_bankdb *db, int commit, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st = CG_OK;

    if (commit)
        st = merge_stage(db, err); /* nothing left when import_merged_late ran */
    (void)copy_end(db, "import abandoned", NULL);
    c->import_bulk = 0;
    c->stage_ready = 0;
    c->copy_rows = 0;
    c->copy_len = 0;
    c->stage_rows = 0;
    if (commit && st == CG_OK)
        return cg__pg_commit(db, "committing the import", err); /* rolls back on failure */
    cg__pg_rollback(db);
    return st;
}
