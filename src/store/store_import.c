/* cg_bank_import: a hash-list file into one bank, in ONE transaction, through the store's
 * import ops (store_ops.h; the SQLite ones are sqlite_import.c).
 *
 * import_begin takes the write lock before the first line, so a busy database fails at once
 * (after the busy timeout) rather than halfway. Bad lines (the reader's rejects, and records
 * the store refuses: too-long fields, invalid UTF-8) are counted, reported through on_reject
 * and skipped. Anything else (a fatal reader error, an I/O error, a full disk, a failed
 * commit, an allocation failure) rolls the whole file back: the bank is exactly as before.
 * The first BULK_AFTER signals are logged one change-log entry each (a matcher applies those as
 * a delta within a tick); past BULK_AFTER the import switches to bulk mode (import_bulk: one
 * CG_CHANGE_BULK entry for the bank), as a matcher rebuilds its index for an import that large
 * anyway. */
#include "store/store_int.h"

#include <stdio.h>

#include <string.h>
#include <time.h>

#include "store/list.h"
#include "store/store_audit.h"
#include "common/error.h"

/* Lines between two progress callbacks. */
#define IMPORT_PROGRESS_EVERY 10000
/* Signals stored one change-log entry each before an import switches to bulk mode. */
#define BULK_AFTER 4096

/* Store messages start with "<path>: "; the import's own message says the path once. */
static const char *without_path(const cg_bankdb *db, const char *msg)
{
    const size_t n = strlen(db->path);

    if (strncmp(msg, db->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        return msg + n + 2;
    return msg;
}

/* Reads and stores every record; runs inside the import transaction. e receives the detail of
 * a fatal failure (unprefixed); rep counts. */
static cg_status import_rows(cg_bankdb *db, int64_t bank_id, cg__list_reader *rd,
                             const cg_import_options *opt, cg_import_report *rep, cg_error *e)
{
    const int64_t now = (int64_t)time(NULL);
    cg_bank_signal s;
    cg_status st;
    int bulk = 0;

    for (;;) {
        const char *reject = NULL;
        int got = 0, merged = 0;

        st = cg__list_reader_next(rd, &s, &got, &reject, e);
        if (st != CG_OK)
            return st;
        if (!got)
            return CG_OK;
        if (!bulk && rep->added + rep->merged >= BULK_AFTER) {
            st = db->ops->import_bulk(db, bank_id, e);
            if (st != CG_OK)
                return st;
            bulk = 1;
        }
        rep->lines++;
        if (reject == NULL) {
            s.id = 0;
            s.bank_id = bank_id;
            s.added = 0;
            reject = cg__bank_signal_invalid(&s);
        }
        if (reject != NULL) {
            rep->rejected++;
            if (opt != NULL && opt->on_reject != NULL)
                opt->on_reject(cg__list_reader_line(rd), reject, opt->ud);
        } else {
            const cg_vpdq_frame *frames = NULL;
            size_t nf = 0;

            if (s.type->flags & CG_SIGNAL_VIDEO)
                cg__list_reader_vpdq(rd, &frames, &nf);
            st = db->ops->import_put(db, &s, frames, nf, now, &merged, e);
            if (st != CG_OK) {
                /* Name the line: the store's message names the database and the bank. */
                char msg[CG_ERROR_MAX];

                snprintf(msg, sizeof(msg), "%s", without_path(db, e->message));
                return cg__fail(e, st, "line %llu: %s",
                                (unsigned long long)cg__list_reader_line(rd), msg);
            }
            if (merged)
                rep->merged++;
            else
                rep->added++;
        }
        if (rep->lines % IMPORT_PROGRESS_EVERY == 0 && opt != NULL && opt->on_progress != NULL)
            opt->on_progress(rep->lines, cg__list_reader_bytes(rd), opt->ud);
    }
}

cg_status cg_bank_import(cg_bankdb *db, int64_t bank_id, FILE *in, const cg_import_options *opt,
                         cg_import_report *rep, cg_error *err)
{
    cg_import_report r = {0, 0, 0, 0};
    cg_error e = {CG_OK, ""};
    cg__list_reader *rd = NULL;
    cg_bank bank;
    cg_status st;

    if (rep != NULL)
        memset(rep, 0, sizeof(*rep));
    if (db == NULL || in == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_import: NULL argument");
    st = cg__bankdb_check_writable(db, err);
    if (st != CG_OK)
        return st;
    st = db->ops->import_begin(db, bank_id, &bank, err);
    if (st != CG_OK)
        return st;
    st = cg__list_reader_open(in, opt, &rd, &e);
    if (st == CG_OK)
        st = import_rows(db, bank_id, rd, opt, &r, &e);
    cg__list_reader_close(rd);
    if (st == CG_OK && db->ops->import_merged_late != NULL) {
        int64_t late = 0; /* a buffering backend learns of some merges only now */

        st = db->ops->import_merged_late(db, &late, &e);
        r.added -= (uint64_t)late;
        r.merged += (uint64_t)late;
    }
    if (st == CG_OK)
        st = db->ops->import_end(db, 1, &e); /* rolls back if the commit fails */
    else
        (void)db->ops->import_end(db, 0, NULL);
    if (st != CG_OK)
        return cg__fail(err, st, "%s: bank \"%s\": import failed, nothing of it was kept: %s",
                        db->path, bank.name, without_path(db, e.message));
    if (rep != NULL)
        *rep = r;
    /* One record for the whole file, after its commit (a failed import records nothing). The
     * counts are filled in *rep even if the record fails: the import itself is kept. */
    if (!cg__bankdb_audited(db))
        return CG_OK;
    return cg__bankdb_audit(db, "import", bank.name,
                            json_pack("{s:I, s:s, s:I, s:I, s:I, s:I}", "bank_id",
                                      (json_int_t)bank_id, "source",
                                      opt != NULL && opt->source != NULL ? opt->source : "",
                                      "lines", (json_int_t)r.lines, "added",
                                      (json_int_t)r.added, "merged", (json_int_t)r.merged,
                                      "rejected", (json_int_t)r.rejected),
                            err);
}
