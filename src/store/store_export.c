/* cg_bank_export: the signals of one bank (or of all, bank by bank in name order) to a list
 * file, streamed row by row through cg_bank_signal_foreach, so memory does not grow with the
 * bank. The whole export reads one snapshot (snapshot_begin: a read transaction; SQLite's WAL
 * lets writers go on). */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "store/list.h"
#include "common/alloc.h"
#include "common/error.h"

typedef struct export_ctx {
    cg_bankdb *db;
    FILE *out;
    cg_list_format format;
    cg_bank bank;    /* the bank being written */
    cg_status st;    /* first failure of a callback */
    cg_error *err;
} export_ctx;

/* The frames of one vpdq signal, collected for its text form. */
typedef struct frame_vec {
    cg_vpdq_frame *v;
    size_t n, cap;
    int nomem;
} frame_vec;

static int collect_frame(const cg_vpdq_frame *f, void *ud)
{
    frame_vec *fv = ud;

    if (fv->n == fv->cap) {
        size_t cap = fv->cap ? fv->cap * 2 : 256;
        cg_vpdq_frame *v = cg__realloc(fv->v, cap * sizeof(*v));
        if (v == NULL) {
            fv->nomem = 1;
            return 1;
        }
        fv->v = v;
        fv->cap = cap;
    }
    fv->v[fv->n++] = *f;
    return 0;
}

/* A vpdq signal's row carries its frame list (vpdq_bank.h) as the signal field. */
static cg_status write_vpdq(export_ctx *x, const cg_bank_signal *s)
{
    frame_vec fv = {0};
    char *text = NULL;
    cg_status st = cg_bank_vpdq_frames(x->db, s->id, collect_frame, &fv, x->err);

    if (st == CG_OK && fv.nomem)
        st = cg__fail(x->err, CG_E_NOMEM, "%s: exporting: out of memory", x->db->path);
    if (st == CG_OK && fv.n == 0)
        st = cg__fail(x->err, CG_E_DECODE, "%s: signal %lld: vpdq signal without frames",
                      x->db->path, (long long)s->id);
    if (st == CG_OK && cg_vpdq_format_json(fv.v, fv.n, &text, NULL) != CG_OK)
        st = cg__fail(x->err, CG_E_NOMEM, "%s: exporting: out of memory", x->db->path);
    if (st == CG_OK)
        st = cg__list_write_row_text(x->out, x->format, s, &x->bank, text, x->err);
    cg__free(text);
    cg__free(fv.v);
    return st;
}

static int write_signal(const cg_bank_signal *s, void *ud)
{
    export_ctx *x = ud;

    if (s->type->flags & CG_SIGNAL_VIDEO)
        x->st = write_vpdq(x, s);
    else
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
    st = db->ops->snapshot_begin(db, "starting an export", err);
    if (st != CG_OK)
        return st;
    if (bank_id != 0)
        st = cg_bank_get_by_id(db, bank_id, &x.bank, err);
    if (st == CG_OK)
        st = cg__list_write_header(out, format, err);
    if (st == CG_OK && bank_id != 0)
        st = export_bank(&x);
    else if (st == CG_OK)
        st = cg_bank_list(db, export_listed_bank, &x, err);
    if (st == CG_OK)
        st = x.st;
    if (st == CG_OK)
        st = db->ops->snapshot_end(db, "finishing an export", err);
    else
        (void)db->ops->snapshot_end(db, NULL, NULL);
    if (st == CG_OK && fflush(out) != 0)
        st = cg__fail(err, CG_E_IO, "%s: exporting: writing the list failed: %s", db->path,
                      strerror(errno));
    return st;
}
