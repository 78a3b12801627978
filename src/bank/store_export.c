/* cg_bank_export: the signals of one bank (or of all, bank by bank in name order) to a list
 * file, streamed row by row through cg_bank_signal_foreach, so memory does not grow with the
 * bank. The whole export reads one snapshot (a read transaction; WAL lets writers go on). */
#include "bank/store_int.h"

#include <errno.h>
#include <string.h>

#include "bank/list.h"
#include "common/error.h"

typedef struct export_ctx {
    cg_bankdb *db;
    FILE *out;
    cg_list_format format;
    cg_bank bank;    /* the bank being written */
    cg_status st;    /* first failure of a callback */
    cg_error *err;
} export_ctx;

static int write_signal(const cg_bank_signal *s, void *ud)
{
    export_ctx *x = ud;

    x->st = cg__list_write_row(x->out, x->format, s, &x->bank, x->err);
    return x->st != CG_OK;
}

static cg_status export_bank(export_ctx *x)
{
    cg_status st;

    st = cg_bank_signal_foreach(x->db, x->bank.id, NULL, write_signal, x, x->err);
    return st != CG_OK ? st : x->st;
}

static int export_listed_bank(const cg_bank *b, void *ud)
{
    export_ctx *x = ud;

    x->bank = *b;
    x->st = export_bank(x);
    return x->st != CG_OK;
}

cg_status cg_bank_export(cg_bankdb *db, int64_t bank_id, FILE *out, cg_list_format format,
                         cg_error *err)
{
    export_ctx x;
    cg_status st;

    if (db == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_export: NULL argument");
    if (format == CG_LIST_AUTO)
        format = CG_LIST_CSV;
    if (format != CG_LIST_LINES && format != CG_LIST_CSV && format != CG_LIST_TSV &&
        format != CG_LIST_JSONL)
        return cg__fail(err, CG_E_INVAL, "%s: unknown list format %d", db->path, (int)format);
    if (bank_id < 0)
        return cg__fail(err, CG_E_INVAL, "%s: bank id %lld is negative", db->path,
                        (long long)bank_id);
    memset(&x, 0, sizeof(x));
    x.db = db;
    x.out = out;
    x.format = format;
    x.err = err;
    st = cg__bankdb_begin_read(db, "starting an export", err);
    if (st != CG_OK)
        return st;
    if (bank_id != 0)
        st = cg__bank_load_id(db, bank_id, &x.bank, err);
    if (st == CG_OK)
        st = cg__list_write_header(out, format, err);
    if (st == CG_OK && bank_id != 0)
        st = export_bank(&x);
    else if (st == CG_OK)
        st = cg_bank_list(db, export_listed_bank, &x, err);
    if (st == CG_OK)
        st = x.st;
    if (st == CG_OK)
        st = cg__bankdb_commit(db, "finishing an export", err);
    else
        cg__bankdb_rollback(db);
    if (st == CG_OK && fflush(out) != 0)
        st = cg__fail(err, CG_E_IO, "%s: exporting: writing the list failed: %s", db->path,
                      strerror(errno));
    return st;
}
