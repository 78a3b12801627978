/* The import ops (store_ops.h): one transaction per file, driven row by row by store_import.c.
 *
 * BEGIN IMMEDIATE takes the write lock before the first line, so a busy database fails at once
 * (after the busy timeout) rather than halfway. Rows go through the cached INSERT of
 * sqlite_signal.c; with one transaction the cost per line is one B-tree insert into the table
 * and its two indexes, and one change-log entry each until the import switches to bulk mode.
 * Bulk mode replaces the file's per-signal entries with one CG_CHANGE_BULK entry for the bank
 * and drops the signal triggers inside the transaction (they are recreated, from the same text
 * as the schema's, before the commit; a crash or a failure rolls the drop back with everything
 * else): that more than halves the cost per line, and a matcher rebuilds its index for an
 * import that large anyway. */
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

cg_status cg__sqlite_import_begin(cg_bankdb *db, int64_t bank_id, cg_bank *bank, cg_error *err)
{
    cg__sqlite *c = db->be;
    cg_status st;

    c->import_bulk = 0;
    st = cg__bankdb_begin_write(db, "starting an import", err);
    if (st != CG_OK)
        return st;
    /* Inside the transaction, so the bank cannot vanish under the import. */
    st = cg__bank_load_id(db, bank_id, bank, err);
    if (st == CG_OK)
        st = cg__sqlite_change_seq(db, &c->import_seq0, err);
    if (st != CG_OK)
        cg__bankdb_rollback(db);
    return st;
}

cg_status cg__sqlite_import_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                size_t n, int64_t now, int *merged, cg_error *err)
{
    if (frames != NULL)
        return cg__bank_vpdq_add_in_tx(db, s, frames, n, now, merged, err);
    return cg__bank_signal_add_in_tx(db, s, now, merged, err);
}

cg_status cg__sqlite_import_bulk(cg_bankdb *db, int64_t bank_id, cg_error *err)
{
    cg__sqlite *c = db->be;
    char sql[256];
    cg_status st;

    if (c->import_bulk)
        return CG_OK;
    snprintf(sql, sizeof(sql),
             "DELETE FROM changes WHERE seq > %lld AND kind = 0;"
             "INSERT INTO changes(kind, ref_id, at)"
             " VALUES (2, %lld, CAST(strftime('%%s', 'now') AS INTEGER));"
             CG__SIGNAL_LOG_TRIGGERS_DROP,
             (long long)c->import_seq0, (long long)bank_id);
    st = cg__bankdb_exec(db, sql, "switching the import to bulk mode", err);
    if (st == CG_OK)
        c->import_bulk = 1;
    return st;
}

cg_status cg__sqlite_import_end(cg_bankdb *db, int commit, cg_error *err)
{
    cg__sqlite *c = db->be;
    cg_status st = CG_OK;

    if (commit && c->import_bulk)
        st = cg__bankdb_exec(db, CG__SIGNAL_LOG_TRIGGERS, "leaving bulk mode", err);
    c->import_bulk = 0;
    if (commit && st == CG_OK)
        return cg__bankdb_commit(db, "committing the import", err); /* rolls back on failure */
    cg__bankdb_rollback(db);
    return st;
}
