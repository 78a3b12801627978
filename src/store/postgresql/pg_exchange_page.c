/* An exchange page applied set-based in PostgreSQL (store_ops.h exchange_page_apply; the
 * generic path, one record at a time, is store_exchange_page.c's, whose rules this follows).
 *
 * The caller (store_exchange_segment.c) has checked every entry in C and cut the page into
 * segments where no key and no (type, value) appears twice. Here, per segment:
 *   1. one COPY (text format) of its hashes into the temp table cg_xpage (one row per hash;
 *      an entry without hashes, or deleted, is one row without a hash);
 *   2. one query looking for what a set-based apply would get wrong: a signal linked to a key
 *      of the segment that another key of the segment lists or is linked to as well (the
 *      record-by-record order then decides); when there is one, nothing is written and the
 *      caller applies the segment record by record (*generic = 1);
 *   3. one batch of statements: the new signals (INSERT ... ON CONFLICT DO NOTHING, in page
 *      order), the merges' fills (only where a field was empty, so a pure repeat writes no row
 *      and logs no change), the links (the generic upsert), the ownership shared by merged
 *      signals, the links the entries no longer list removed, and the signals that leaves
 *      without a link deleted when some link of theirs was owned before;
 *   4. two reads: each hash's signal id, fresh and filled flags, and the deleted signals.
 * The audit records and the counts are made by the caller from those, in the generic path's
 * order. The change log is written by the schema's triggers, one entry per changed row, as
 * on the generic path (the order of entries within the page may differ).
 *
 * Everything runs inside the page's transaction; the temp tables' rows go at its commit. */
#include "store/postgresql/pg_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define XPAGE_TABLES                                                                       \
    "CREATE TEMP TABLE IF NOT EXISTS cg_xpage (ord integer NOT NULL, hidx integer,"        \
    " key text NOT NULL, member text NOT NULL, entry_id text NOT NULL,"                   \
    " classification text NOT NULL, ts bigint NOT NULL, note text NOT NULL, stype text,"   \
    " value bytea, sid bigint, fresh boolean NOT NULL DEFAULT false,"                      \
    " filled boolean NOT NULL DEFAULT false) ON COMMIT DELETE ROWS;"                       \
    "CREATE TEMP TABLE IF NOT EXISTS cg_xpage_old (ord integer NOT NULL, key text NOT NULL," \
    " signal_id bigint NOT NULL, owned_before boolean NOT NULL DEFAULT false,"             \
    " remove boolean NOT NULL DEFAULT false) ON COMMIT DELETE ROWS;"                       \
    "TRUNCATE cg_xpage, cg_xpage_old"

typedef struct buf {
    char *p;
    size_t len, cap;
    int nomem;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        char *g;

        while (b->len + n + 1 > cap)
            cap *= 2;
        g = cg__realloc(b->p, cap);
        if (g == NULL) {
            b->nomem = 1;
            return;
        }
        b->p = g;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* A text field of COPY's text format: backslash, tab, newline and CR escaped; at most max
 * bytes of s (NULL is ""), then the separator sep. */
static void put_field(buf *b, const char *s, size_t max, char sep)
{
    size_t n = s != NULL ? strnlen(s, max) : 0;

    for (size_t i = 0; i < n; i++) {
        const char c = s[i];

        if (c == '\\')
            put(b, "\\\\", 2);
        else if (c == '\t')
            put(b, "\\t", 2);
        else if (c == '\n')
            put(b, "\\n", 2);
        else if (c == '\r')
            put(b, "\\r", 2);
        else
            put(b, &c, 1);
    }
    put(b, &sep, 1);
}

static void put_int(buf *b, int64_t v, char sep)
{
    char t[32];
    const int n = snprintf(t, sizeof(t), "%" PRId64 "%c", v, sep);

    put(b, t, (size_t)n);
}

/* One row of cg_xpage; h NULL: the entry's row without a hash. */
static void put_row(buf *b, const cg__xpage *xp, size_t ord, const cg_exchange_page_entry *e,
                    size_t hidx, const cg_exchange_page_hash *h)
{
    static const char digits[] = "0123456789abcdef";

    put_int(b, (int64_t)ord, '\t');
    if (h != NULL)
        put_int(b, (int64_t)hidx, '\t');
    else
        put(b, "\\N\t", 3);
    put_field(b, e->key, CG_BANK_FIELD_MAX, '\t');
    if (h == NULL) {
        /* Only the key of a deletion counts (its other fields are not checked: not sent). */
        static const char rest[] = "\t\t\t0\t\t\\N\t\\N\n";

        put(b, rest, sizeof(rest) - 1);
        return;
    }
    put_field(b, e->member, CG_BANK_FIELD_MAX, '\t');
    put_field(b, e->entry_id, CG_BANK_FIELD_MAX, '\t');
    put_field(b, e->classification, CG_BANK_FIELD_MAX, '\t');
    put_int(b, e->timestamp, '\t');
    put_field(b, e->note, xp->note_max, '\t');
    put_field(b, h->type->name, 64, '\t');
    put(b, "\\\\x", 3);
    for (size_t i = 0; i < h->type->bytes; i++) {
        const char two[2] = {digits[h->value[i] >> 4], digits[h->value[i] & 15]};

        put(b, two, 2);
    }
    put(b, "\n", 1);
}

static cg_status copy_in(cg_bankdb *db, const cg__xpage *xp, cg_error *err)
{
    PGconn *conn = cg__pgc(db);
    PGresult *res;
    buf b = {0};
    cg_status st = CG_OK;

    for (size_t i = 0; i < xp->n; i++) {
        const cg_exchange_page_entry *e = &xp->entries[i];

        if (e->deleted || e->n_hashes == 0)
            put_row(&b, xp, i, e, 0, NULL);
        else
            for (size_t h = 0; h < e->n_hashes; h++)
                put_row(&b, xp, i, e, h, &e->hashes[h]);
    }
    if (b.nomem) {
        cg__free(b.p);
        return cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path,
                        xp->ex->name);
    }
    res = PQexec(conn, "COPY cg_xpage (ord, hidx, key, member, entry_id, classification, ts,"
                       " note, stype, value) FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        st = cg__pg_fail(db, res, err, "exchange %s: copying a page", xp->ex->name);
        PQclear(res);
        cg__free(b.p);
        return st;
    }
    PQclear(res);
    if (b.len > 0 && PQputCopyData(conn, b.p, (int)b.len) != 1)
        st = cg__pg_fail(db, NULL, err, "exchange %s: copying a page", xp->ex->name);
    cg__free(b.p);
    if (PQputCopyEnd(conn, st == CG_OK ? NULL : "page abandoned") != 1 && st == CG_OK)
        st = cg__pg_fail(db, NULL, err, "exchange %s: copying a page", xp->ex->name);
    while ((res = PQgetResult(conn)) != NULL) {
        if (st == CG_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            st = cg__pg_fail(db, res, err, "exchange %s: copying a page", xp->ex->name);
        PQclear(res);
        if (PQstatus(conn) == CONNECTION_BAD)
            break;
    }
    return st;
}

/* The segment's old links (cg_xpage_old), and whether a set-based apply is exact. */
static cg_status old_links(cg_bankdb *db, const cg__xpage *xp, int *generic, cg_error *err)
{
    char sql[2048];
    PGresult *res = NULL;
    cg_status st;

    snprintf(sql, sizeof(sql),
             "INSERT INTO cg_xpage_old(ord, key, signal_id)"
             " SELECT DISTINCT x.ord, l.key, l.signal_id FROM exchange_links l"
             " JOIN cg_xpage x ON x.key = l.key WHERE l.exchange_id = %" PRId64 ";"
             "ANALYZE cg_xpage; ANALYZE cg_xpage_old",
             xp->ex->id);
    st = cg__pg_exec(db, sql, "reading the links of a page", err);
    if (st != CG_OK)
        return st;
    /* A signal linked to a key of the page that another of its keys lists or is linked to. */
    snprintf(sql, sizeof(sql),
             "SELECT 1 FROM cg_xpage_old o JOIN signals s ON s.id = o.signal_id"
             " WHERE EXISTS (SELECT 1 FROM cg_xpage x WHERE x.stype = s.signal_type"
             " AND x.value = s.value AND x.key <> o.key)"
             " OR EXISTS (SELECT 1 FROM cg_xpage_old p WHERE p.signal_id = o.signal_id"
             " AND p.key <> o.key) LIMIT 1");
    st = cg__pg_query(db, sql, NULL, "checking a page", &res, err);
    if (st != CG_OK)
        return st;
    *generic = PQntuples(res) > 0;
    PQclear(res);
    return CG_OK;
}

static cg_status writes(cg_bankdb *db, const cg__xpage *xp, cg_error *err)
{
    const int64_t E = xp->ex->id, B = xp->ex->bank_id;
    char *src = PQescapeLiteral(cg__pgc(db), xp->source, strlen(xp->source));
    char *sql;
    size_t cap;
    cg_status st;

    if (src == NULL)
        return cg__pg_fail(db, NULL, err, "exchange %s: quoting its source", xp->ex->name);
    cap = 6000 + strlen(src) * 2;
    sql = cg__malloc(cap);
    if (sql == NULL) {
        PQfreemem(src);
        return cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path,
                        xp->ex->name);
    }
    snprintf(sql, cap,
             /* The new signals, in page order (their ids follow it, as one by one). */
             "WITH ins AS (INSERT INTO signals(bank_id, signal_type, value, quality, source,"
             " external_id, note, added, disabled_until)"
             " SELECT %" PRId64 ", stype, value, -1, %s, key, note, %" PRId64 ", 0"
             " FROM cg_xpage WHERE stype IS NOT NULL ORDER BY ord, hidx"
             " ON CONFLICT (bank_id, signal_type, value) DO NOTHING"
             " RETURNING id, signal_type, value)"
             " UPDATE cg_xpage x SET sid = ins.id, fresh = true FROM ins"
             " WHERE x.stype = ins.signal_type AND x.value = ins.value;"
             /* The merged ones: their ids, then what they lacked filled (cg__pg_signal_put's
              * rule; quality -1 never fills). */
             "UPDATE cg_xpage x SET sid = s.id FROM signals s WHERE x.sid IS NULL"
             " AND x.stype IS NOT NULL AND s.bank_id = %" PRId64 " AND s.signal_type = x.stype"
             " AND s.value = x.value;"
             "WITH f AS (UPDATE signals s SET"
             " source = CASE WHEN s.source = '' THEN %s ELSE s.source END,"
             " external_id = CASE WHEN s.external_id = '' THEN x.key ELSE s.external_id END,"
             " note = CASE WHEN s.note = '' THEN x.note ELSE s.note END"
             " FROM cg_xpage x WHERE x.sid = s.id AND NOT x.fresh"
             " AND ((s.source = '' AND %s <> '') OR (s.external_id = '' AND x.key <> '')"
             " OR (s.note = '' AND x.note <> '')) RETURNING s.id)"
             " UPDATE cg_xpage x SET filled = true FROM f WHERE x.sid = f.id;"
             /* The links: cg__pg_exchange_link's upsert. */
             "INSERT INTO exchange_links(exchange_id, key, signal_id, owned, member, entry_id,"
             " classification, timestamp, gen)"
             " SELECT %" PRId64 ", key, sid, CASE WHEN fresh THEN 1 ELSE 0 END, member,"
             " entry_id, classification, ts,"
             " (SELECT link_gen FROM exchanges WHERE id = %" PRId64 ")"
             " FROM cg_xpage WHERE sid IS NOT NULL ORDER BY ord, hidx"
             " ON CONFLICT (exchange_id, key, signal_id) DO UPDATE SET"
             " owned = GREATEST(exchange_links.owned, excluded.owned),"
             " member = excluded.member, entry_id = excluded.entry_id,"
             " classification = excluded.classification,"
             " timestamp = excluded.timestamp, gen = excluded.gen;"
             /* A merged signal's ownership shared by all its links. */
             "UPDATE exchange_links SET owned = 1 WHERE owned = 0 AND signal_id IN"
             " (SELECT sid FROM cg_xpage WHERE sid IS NOT NULL AND NOT fresh)"
             " AND EXISTS (SELECT 1 FROM exchange_links l2"
             " WHERE l2.signal_id = exchange_links.signal_id AND l2.owned = 1);"
             /* The links no longer listed, with their signals' ownership before. */
             "UPDATE cg_xpage_old o SET remove = true, owned_before = EXISTS (SELECT 1 FROM"
             " exchange_links l WHERE l.signal_id = o.signal_id AND l.owned = 1)"
             " WHERE NOT EXISTS (SELECT 1 FROM cg_xpage x WHERE x.key = o.key"
             " AND x.sid = o.signal_id);"
             "DELETE FROM exchange_links l USING cg_xpage_old o WHERE o.remove"
             " AND l.exchange_id = %" PRId64 " AND l.key = o.key"
             " AND l.signal_id = o.signal_id",
             B, src, xp->now, B, src, src, E, E, E);
    PQfreemem(src);
    st = cg__pg_exec(db, sql, "applying a page", err);
    cg__free(sql);
    return st;
}

/* The orphans deleted (owned before, no link left), with their facts, in the generic order. */
static cg_status deletions(cg_bankdb *db, cg__xpage *xp, cg_error *err)
{
    PGresult *res = NULL;
    cg_status st;
    int n;

    st = cg__pg_query(db,
                      "WITH d AS (DELETE FROM signals s USING cg_xpage_old o"
                      " WHERE o.remove AND o.owned_before AND s.id = o.signal_id"
                      " AND NOT EXISTS (SELECT 1 FROM exchange_links l WHERE l.signal_id = s.id)"
                      " RETURNING o.ord, s.id, s.bank_id, s.signal_type, encode(s.value, 'hex'))"
                      " SELECT d.*, b.name FROM d LEFT JOIN banks b ON b.id = d.bank_id"
                      " ORDER BY d.ord, d.id",
                      NULL, "deleting a page's orphans", &res, err);
    if (st != CG_OK)
        return st;
    n = PQntuples(res);
    if (n > 0) {
        xp->removed = cg__calloc((size_t)n, sizeof(*xp->removed));
        if (xp->removed == NULL) {
            PQclear(res);
            return cg__fail(err, CG_E_NOMEM, "%s: exchange %s: out of memory", db->path,
                            xp->ex->name);
        }
    }
    for (int i = 0; i < n; i++) {
        cg__xpage_removed *r = &xp->removed[i];

        r->entry = (size_t)cg__pg_int(res, i, 0);
        r->signal_id = cg__pg_int(res, i, 1);
        r->facts.bank_id = cg__pg_int(res, i, 2);
        cg__pg_text_cut(res, i, 3, r->facts.type, sizeof(r->facts.type));
        cg__pg_text_cut(res, i, 4, r->facts.hex, sizeof(r->facts.hex));
        cg__pg_text_cut(res, i, 5, r->facts.bank, sizeof(r->facts.bank));
    }
    xp->n_removed = (size_t)n;
    PQclear(res);
    return CG_OK;
}

static cg_status results(cg_bankdb *db, cg__xpage *xp, cg_error *err)
{
    PGresult *res = NULL;
    size_t k = 0;
    cg_status st;

    st = cg__pg_query(db,
                      "SELECT sid, fresh::integer, filled::integer FROM cg_xpage"
                      " WHERE stype IS NOT NULL ORDER BY ord, hidx",
                      NULL, "reading a page's signals", &res, err);
    if (st != CG_OK)
        return st;
    for (size_t i = 0; i < xp->n; i++)
        if (!xp->entries[i].deleted)
            k += xp->entries[i].n_hashes;
    if ((size_t)PQntuples(res) != k) {
        PQclear(res);
        return cg__fail(err, CG_E_BACKEND, "%s: exchange %s: a page's %zu hashes gave %d rows",
                        db->path, xp->ex->name, k, PQntuples(res));
    }
    for (size_t i = 0; i < k; i++) {
        xp->hashes[i].signal_id = cg__pg_int(res, (int)i, 0);
        xp->hashes[i].fresh = cg__pg_int(res, (int)i, 1) != 0;
        xp->hashes[i].filled = cg__pg_int(res, (int)i, 2) != 0;
    }
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_exchange_page_apply(cg_bankdb *db, cg__xpage *xp, cg_error *err)
{
    cg_status st;

    xp->generic = 0;
    xp->removed = NULL;
    xp->n_removed = 0;
    st = cg__pg_exec(db, XPAGE_TABLES, "preparing a page", err);
    if (st == CG_OK)
        st = copy_in(db, xp, err);
    if (st == CG_OK)
        st = old_links(db, xp, &xp->generic, err);
    if (st != CG_OK || xp->generic)
        return st;
    st = writes(db, xp, err);
    if (st == CG_OK)
        st = deletions(db, xp, err);
    if (st == CG_OK)
        st = results(db, xp, err);
    return st;
}
