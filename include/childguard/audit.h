/* childguard: the tamper-evident audit log. Every decision, review, bank change and report draft
 * appends one record to an append-only file of JSON lines; each record carries the SHA-256 of
 * the record before it (a hash chain), so editing, removing or reordering any record breaks the
 * chain at that point. The hash of the last record (the checkpoint) is what operators copy
 * somewhere else: it is the only defence against someone who rewrites the whole tail.
 * Format and guarantees: docs/audit.md.
 *
 * Threading: a cg_audit handle is used by one thread at a time. Any number of handles, in any
 * number of threads or processes, may append to the same file at once: appends take an
 * exclusive flock(2) on the file, so they form one chain. */
#ifndef CHILDGUARD_AUDIT_H
#define CHILDGUARD_AUDIT_H

#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hex SHA-256 plus NUL. */
#define CG_AUDIT_HEX_BYTES 65
/* The longest record line accepted (bytes, newline included): longer lines are refused when
 * appending and reported as tampering when verifying. */
#define CG_AUDIT_MAX_LINE (1u << 20)

/* cg_audit_open flags. */
enum {
    CG_AUDIT_CREATE = 1 << 0, /* create the file (mode 0600) when it does not exist */
    CG_AUDIT_FSYNC = 1 << 1   /* fsync after each append (durable, ~1 disk flush per record) */
};

typedef struct cg_audit cg_audit;

/* What cg_audit_verify found. ok = 1: every record is intact and chained. ok = 0: the first
 * bad line is named by first_bad_line (1-based), the record by first_bad_seq (the seq the
 * verifier expected there, 0 when unknown), and reason says why in one line, e.g.
 * "record 17: hash does not match its content (edited?)". records counts the good records
 * before the first bad one; last_seq and last_hash are those of the last good record (the
 * checkpoint; 64 zeros for an empty log). */
typedef struct cg_audit_report {
    int ok;
    uint64_t records;        /* good records (an expiry anchor line included) */
    uint64_t first_seq;      /* seq of the first record (> 1 after an expiry), 0 when empty */
    uint64_t last_seq;       /* seq of the last good record, 0 when none */
    uint64_t expired;        /* records removed by expiry so far (from the anchor), else 0 */
    uint64_t first_bad_seq;  /* 0 when ok */
    uint64_t first_bad_line; /* 0 when ok */
    char reason[256];        /* "" when ok */
    char last_hash[CG_AUDIT_HEX_BYTES];
} cg_audit_report;

/* Opens the log at path for appending (CG_AUDIT_* flags). Reads only the file's last line to
 * find where the chain ends; a file whose last line is cut short or is not a record is refused
 * (CG_E_DECODE; run cg_audit_verify). A missing file is CG_E_NOTFOUND unless CG_AUDIT_CREATE. */
CG_API cg_status cg_audit_open(const char *path, unsigned flags, cg_audit **out, cg_error *err);

/* Appends one record. kind: 1-32 characters of [a-z0-9_] ("decision", "review",
 * "bank_change", "report_draft", "expiry", ...). actor and subject: UTF-8 text (NULL gives "").
 * json_data_text: a JSON object (NULL gives {}). The record is written with one write(2) under
 * an exclusive flock; *seq_out (may be NULL) receives its seq. CG_E_LIMIT when the record would
 * be longer than CG_AUDIT_MAX_LINE. */
CG_API cg_status cg_audit_append(cg_audit *log, const char *kind, const char *actor,
                                 const char *subject, const char *json_data_text,
                                 uint64_t *seq_out, cg_error *err);

/* The checkpoint: the hash of the last record in the file (other writers' appends included),
 * 64 zeros for an empty log, into hex_out; its seq into *seq_out (may be NULL). */
CG_API cg_status cg_audit_checkpoint(cg_audit *log, char hex_out[CG_AUDIT_HEX_BYTES],
                                     uint64_t *seq_out, cg_error *err);

/* Closes a handle. NULL is a no-op. */
CG_API void cg_audit_close(cg_audit *log);

/* Checks the whole log at path, streaming it in bounded memory (one line at a time, at most
 * CG_AUDIT_MAX_LINE). Returns CG_OK whenever the file could be read, tampered or not: look at
 * report->ok. Other statuses mean the file could not be read (CG_E_NOTFOUND, CG_E_IO,
 * CG_E_INVAL for a directory or other non-regular file). A zero-byte file is an empty, valid
 * log. */
CG_API cg_status cg_audit_verify(const char *path, cg_audit_report *report, cg_error *err);

/* Removes the records older than older_than (unix seconds) from the start of the log, keeping
 * the chain verifiable: the rewritten log starts with an "expiry" anchor line carrying the last
 * removed record's seq and hash and how many records were removed, and an "expiry" record
 * (actor = actor) is appended to the chain, so the expiry is itself audited (also when nothing
 * was old enough). Removal stops at the first record that is not older than the cut-off. The
 * log must verify first (else CG_E_DECODE). The file is replaced atomically (write + fsync +
 * rename) while holding the append lock; handles open on it notice and reopen. *removed_out (may
 * be NULL) receives how many records were removed. */
CG_API cg_status cg_audit_expire(const char *path, int64_t older_than, const char *actor,
                                 uint64_t *removed_out, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
