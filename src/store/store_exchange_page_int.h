/* Internal: what the files that write an exchange's pages and sweeps into its bank share
 * (exchange_store.h is their public contract; docs/exchange.md the rules).
 *
 * store_exchange_page.c     cg_exchange_page_apply: a page as one batch in the page's write
 *                           transaction; the generic path, record by record, and the record-level
 *                           work (checks, a signal's add or delete with its audit record).
 * store_exchange_segment.c  the set-based path, where the backend has exchange_page_apply: every
 *                           entry checked first, the page cut into segments, the segments'
 *                           counts and audit records.
 * store_exchange_sweep.c    a full refetch: cg_exchange_page_refetch marks the links,
 *                           cg_exchange_sweep removes those the refetch did not see again.
 *
 * Threading: as the store handle's (one thread at a time). */
#ifndef CG_STORE_STORE_EXCHANGE_PAGE_INT_H
#define CG_STORE_STORE_EXCHANGE_PAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

/* The hashes one record may list (the generic path keeps their ids on the stack). */
#define CG__PAGE_MAX_HASHES 64

/* The signal ids linked to a key, read back before a record is applied; grows as needed and is
 * reused from record to record (freed by the caller of the path). */
typedef struct cg__xpage_ids {
    int64_t *v;
    size_t n, cap;
    int nomem; /* an append failed: the list is short */
} cg__xpage_ids;

/* A text field of an entry: at most CG_BANK_FIELD_MAX bytes of UTF-8 (NULL is ""). */
int cg__xpage_field_ok(const char *s);

/* A record's own checks, before its hashes: a key, provenance text within bounds and a hash
 * count within CG__PAGE_MAX_HASHES; CG_OK or the record's error in err. */
cg_status cg__xpage_check_record(cg_bankdb *db, const cg_exchange_info *ex,
                                 const cg_exchange_page_entry *e, cg_error *err);

/* Sets sig's source, external id (the entry's key) and note (the entry's note, cut to the
 * field) as the signals of entry e hold them. */
void cg__xpage_signal_text(cg_bank_signal *sig, const char *source,
                           const cg_exchange_page_entry *e);

/* cg_bank_signal_delete's work and audit record, inside the open transaction; a signal deleted
 * meanwhile (its links went with it) is not an error. *gone: it was deleted here. */
cg_status cg__xpage_delete_signal(cg_bankdb *db, int64_t id, int *gone, cg_error *err);

/* Entries [from, to) record by record (store_exchange_page.c). bank names the bank in the
 * audit records, source is "exchange:<name>", old and sig are the caller's scratch; counts add
 * up. The first failing record stops it with its error. */
cg_status cg__xpage_apply_generic(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                                  const char *source, const cg_exchange_page_entry *entries,
                                  size_t from, size_t to, int64_t now, cg__xpage_ids *old,
                                  cg_bank_signal *sig, cg_exchange_page_counts *counts,
                                  cg_error *err);

/* The n entries set-based where the backend's exchange_page_apply can take them, record by
 * record where it cannot (store_exchange_segment.c): the same result, counts, audit records
 * and first error as cg__xpage_apply_generic over [0, n). Arguments as for that. */
cg_status cg__xpage_apply_sets(cg_bankdb *db, const cg_exchange_info *ex, const char *bank,
                               const char *source, const cg_exchange_page_entry *entries,
                               size_t n, int64_t now, cg__xpage_ids *old, cg_bank_signal *sig,
                               cg_exchange_page_counts *counts, cg_error *err);

#endif
