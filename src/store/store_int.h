/* Internal: the store handle and the backend-neutral helpers shared by the store modules, the
 * backends (src/store/<backend>/) and the review layer (src/review/).
 *
 * store.c          cg_bankdb_open/close: picks the backend from the location (store_ops.h).
 * store_check.c    validation of names, text fields (limits, UTF-8) and vPDQ frame lists.
 * store_bank.c     banks and signals: argument checks, thresholds as text, dispatch.
 * store_import.c   cg_bank_import: drives the list reader (list.h) through the import ops.
 * store_export.c   cg_bank_export: drives the list writer from a streaming foreach.
 * store_changes.c  the change log, store_vpdq.c vPDQ signals, store_keys.c API keys,
 * store_outbox.c   the webhook outbox: argument checks and dispatch.
 * store_audit.c    audit records of committed changes (store_audit.h).
 *
 * docs/banks.md describes the schema and the transaction rules.
 * Threading: a cg_bankdb is used by one thread at a time. */
#ifndef CG_STORE_STORE_INT_H
#define CG_STORE_STORE_INT_H

#include <stdarg.h>
#include <stdint.h>

#include "childguard/audit.h"
#include "childguard/bank.h"
#include "childguard/vpdq_bank.h"
#include "store/store_ops.h"

/* The schema version this build writes (every backend keeps the same version numbers: a
 * version is a set of tables and columns, whatever the database). */
#define CG__BANKDB_SCHEMA_VERSION 12

struct cg_bankdb {
    const cg__store_ops *ops;             /* the backend (or own_ops) */
    cg__store_ops own_ops;                /* its table with the ops it lacks answering
                                             CG_E_UNSUPPORTED (cg__store_ops_fill) */
    void *be;                             /* the backend's connection state */
    char *path;                           /* the location as given to open, for messages */
    int flags;                            /* CG_BANKDB_* */
    cg_audit *audit;                      /* cg_bankdb_set_audit: bank changes logged here */
    char audit_actor[64];                 /* who makes the changes, for the audit records */
    char tenant[65];                      /* cg_bankdb_set_tenant; "" = "default" */
    char review_actor[160];               /* cg_review_set_actor; "" = the reviewer's name */
    unsigned review_rights;               /* cg_review_set_actor; ~0u until set */
    int review_rights_set;                /* 0: every right (a new handle) */
    struct cg__audit_held *held;          /* a job's record: audit records of its changes,
                                             appended after its commit (store_jobs.c) */
    int holding;                          /* 1 inside cg_job_record_begin .. commit/abort */
};

/* ---- audit records held for a job's commit (store_audit.c) ---- */

/* Appends the records held since cg_job_record_begin in order (committed is 1), or drops them
 * (0: rolled back); holding ends. The first append that fails is reported as
 * cg__store_audit_committed reports it. */
cg_status cg__store_audit_release(cg_bankdb *db, int committed, cg_error *err);

/* CG_E_INVAL naming the path when db was opened read-only. */
cg_status cg__bankdb_check_writable(cg_bankdb *db, cg_error *err);

/* ---- validation (store_check.c) ---- */

/* 1 when s is a valid bank name: [A-Za-z0-9_.-]{1,64}. */
int cg__bank_name_valid(const char *s);
/* 1 when the n bytes at s are valid UTF-8 without NUL bytes. */
int cg__utf8_valid(const char *s, size_t n);
/* Checks a text field held in a char array of size cap (max bytes + 1): NUL-terminated within
 * it, and valid UTF-8. Returns its length, or -1 when invalid. */
long cg__bank_text_check(const char *field, size_t cap);
/* Checks the fields of a signal before it is stored (type, quality, text fields,
 * disabled_until); returns NULL when valid, else a static reason. */
const char *cg__bank_signal_invalid(const cg_bank_signal *s);
/* Checks the n frames of a vPDQ signal before it is stored (count 1..CG_BANK_VPDQ_MAX_FRAMES,
 * quality 0..100, timestamp >= 0, frame number within int64); NULL when valid, else a static
 * reason. Every backend's vpdq add checks with it (a signal added one by one or imported). */
const char *cg__vpdq_frames_invalid(const cg_vpdq_frame *frames, size_t n);

/* Checks text given as JSON: an object of at most max bytes, no duplicate keys; what names it
 * in messages ("outbox: payload"). CG_E_LIMIT when longer, else CG_E_INVAL. */
cg_status cg__store_json_object_check(cg_bankdb *db, const char *json, size_t max,
                                      const char *what, cg_error *err);

/* ---- banks (store_bank.c) ---- */

/* Checks the fields of bank b before it is written (text limits, kind, thresholds); name names
 * it in messages. */
cg_status cg__bank_check(cg_bankdb *db, const cg_bank *b, const char *name, cg_error *err);

/* The thresholds (and the PDQ minimum quality) of b as the compact text a backend stores,
 * "pdq=31,md5=0". */
void cg__bank_thresholds_format(const cg_bank *b, char *out, size_t cap);
/* Parses that text into out's thresholds; bank names the bank in messages. */
cg_status cg__bank_thresholds_parse(cg_bankdb *db, const char *bank, const char *text,
                                    cg_bank *out, cg_error *err);

/* ---- vPDQ signals (store_vpdq.c) ---- */

/* Makes s the vpdq signal of the n frames before a backend stores it: checks the frames
 * (cg__vpdq_frames_invalid), sets s->type to vpdq and s->value to the identity of the list
 * (cg_bank_vpdq_identity). CG_E_INVAL naming db's path and s's bank when the frames are not
 * valid or cannot be encoded; s's type and value are then undefined. Every backend's vpdq add
 * (one by one or imported) starts with it, so the rule for a frame list is the store's. */
cg_status cg__vpdq_signal_from_frames(cg_bankdb *db, cg_bank_signal *s,
                                      const cg_vpdq_frame *frames, size_t n, cg_error *err);

/* ---- API keys (store_keys.c) ---- */

/* Normalises a key's bank list ("a, b,c" -> "a,b,c") into out (CG_APIKEY_BANKS_MAX + 1 bytes);
 * returns NULL, or why it is not valid. */
const char *cg__apikey_banks_normalise(const char *in, char *out);

/* ---- the outbox (store_outbox.c) ---- */

/* 1 when s is a delivery target name: 1..CG_OUTBOX_TARGET_MAX of [a-z0-9_.-]. */
int cg__outbox_target_valid(const char *s);
/* Copies an error text into buf (CG_OUTBOX_ERROR_MAX + 1 bytes) as valid UTF-8: cut at a
 * character boundary when longer, control characters and bytes of invalid UTF-8 become '?'. */
void cg__outbox_error_text_copy(const char *text, char *buf);

/* ---- review rows (review_rows.c) ---- */

/* The stored name of each cg_review_state (cg_review_state_name). */
extern const char *const cg__review_state_names[CG_REVIEW_STATE_COUNT];
/* 1 when s is a reviewer name: 1..CG_REVIEW_NAME_MAX bytes of UTF-8, no control characters. */
int cg__review_reviewer_valid(const char *s);
/* Checks what cg_review_add stores; returns NULL when valid, else a static reason. */
const char *cg__review_item_invalid(const cg_review_item *it);
/* Checks a verdict: a JSON object of at most 1 MiB. */
cg_status cg__review_verdict_check(cg_bankdb *db, const char *json, cg_error *err);
/* Checks a decision's fields; returns NULL when valid, else a static reason. */
const char *cg__review_decision_invalid(const cg_review_decision *d);

#endif
