/* Internal: audit records of bank changes (cg_bankdb_set_audit), shared by store_bank.c,
 * store_signal.c and store_import.c; implemented in store_audit.c.
 *
 * Ordering: a change is recorded right after its transaction commits (for a single
 * statement in autocommit mode, right after the statement), never before, so a change that
 * fails or rolls back is never recorded. A record that cannot be appended after the commit
 * makes the call fail with CG_E_IO "... committed but not audited: ...": the change stays.
 * Threading: as for the cg_bankdb. */
#ifndef CG_BANK_STORE_AUDIT_H
#define CG_BANK_STORE_AUDIT_H

#include <jansson.h>

#include "store/store_int.h"

/* 1 when changes made through db are audited (the callers skip the reads that only feed the
 * record when it is not). */
int cg__bankdb_audited(const cg_bankdb *db);

/* Appends one "bank_change" record for a committed change: actor = the handle's actor,
 * subject "bank:<bank>", data = data plus {"op": op, "bank": bank}. Takes ownership of data
 * (a new JSON object, e.g. from json_pack; NULL stands for an allocation that failed and is
 * reported as such). Does nothing but release data when db is not audited. Failure:
 * CG_E_IO "<path>: bank "<bank>": <op> committed but not audited: <reason>". */
cg_status cg__bankdb_audit(cg_bankdb *db, const char *op, const char *bank, json_t *data,
                           cg_error *err);

/* The record of a change to one signal: data gets signal_type, value (lower-case hex) and
 * signal_id, then the fields of extra (may be NULL; ownership taken as above). */
cg_status cg__bankdb_audit_signal(cg_bankdb *db, const char *op, const char *bank,
                                  const cg_bank_signal *s, json_t *extra, cg_error *err);

/* Appends one record of kind to audit for a change that already committed (review items, API
 * keys): data (stolen; NULL: nothing to record) is written as sorted compact JSON with actor
 * and subject. what names the changed thing in the error, e.g. "review item 12". Failure:
 * CG_E_IO "<path>: <what>: change committed but not audited: <reason>". audit NULL: nothing. */
cg_status cg__store_audit_committed(cg_bankdb *db, cg_audit *audit, const char *kind,
                                    const char *actor, const char *subject, const char *what,
                                    json_t *data, cg_error *err);

#endif
