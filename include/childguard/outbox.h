/* childguard: the webhook outbox, kept in the bank database (docs/keys.md, "Outbox").
 *
 * A notify action the HTTP service must deliver is written here first (cg_outbox_add, one
 * committed row) and only then attempted; the deliverer asks for the due entries
 * (cg_outbox_due), tries each, and records the outcome (delivered, retry at a later time, or
 * failed for good). Because the row is committed before any attempt, a restart loses no
 * notification: the entries still pending are due again when the process comes back.
 *
 * Delivery is at least once: a process that dies after a receiver accepted an entry but before
 * cg_outbox_mark_delivered committed delivers it again. Receivers deduplicate by the entry id
 * (send it, e.g. as an idempotency header). One deliverer per database at a time: two would
 * each see the same due entries.
 *
 * Every entry belongs to the tenant of the handle that wrote it (tenant.h); the deliverer sees
 * the entries of every tenant and each entry names its tenant.
 *
 * Threading: like cg_bankdb, one thread at a time per handle. */
#ifndef CHILDGUARD_OUTBOX_H
#define CHILDGUARD_OUTBOX_H

#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "status.h"
#include "tenant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A target names a configured receiver: 1-64 characters of [a-z0-9_.-]. */
#define CG_OUTBOX_TARGET_MAX 64
/* The largest payload accepted (bytes of JSON text). */
#define CG_OUTBOX_PAYLOAD_MAX (256u * 1024u)
/* The longest last_error kept (bytes); longer texts are cut at a character boundary. */
#define CG_OUTBOX_ERROR_MAX 512
/* The most entries one cg_outbox_due call visits. */
#define CG_OUTBOX_DUE_MAX 10000

/* One entry, as cg_outbox_due shows it. The strings belong to the call and are valid during the
 * callback only. */
typedef struct cg_outbox_entry {
    int64_t id;           /* row id: stable, use it as the idempotency key */
    const char *target;   /* the receiver's name */
    const char *payload;  /* a JSON object */
    int64_t created;      /* unix seconds */
    int attempts;         /* failed attempts so far */
    int64_t next_attempt; /* unix seconds; due when <= now */
    const char *last_error; /* "" before the first failure */
    const char *tenant;   /* the tenant whose scan wrote it (tenant.h) */
} cg_outbox_entry;

/* Adds an entry, due at once, and commits it. target: see CG_OUTBOX_TARGET_MAX; payload_json:
 * a JSON object of at most CG_OUTBOX_PAYLOAD_MAX bytes, stored as given. *id (may be NULL)
 * receives the entry id (0 on failure). CG_E_INVAL for a bad target or payload, CG_E_LIMIT for
 * an oversized payload. */
CG_API cg_status cg_outbox_add(cg_bankdb *db, const char *target, const char *payload_json,
                               int64_t *id, cg_error *err);

/* cg_outbox_add for the handle's tenant (tenant.h), refusing with CG_E_LIMIT (nothing written)
 * when that tenant already has max_pending entries pending (0: no bound). The count and the
 * insert are one transaction. A tenant that floods its own outbox cannot hold back another's
 * notifications, and the table cannot grow without bound while a receiver is down. */
CG_API cg_status cg_outbox_add_bounded(cg_bankdb *db, const char *target,
                                       const char *payload_json, int64_t max_pending, int64_t *id,
                                       cg_error *err);

/* Calls fn for the pending entries (neither delivered nor failed) with next_attempt <= now,
 * oldest (lowest id) first, at most limit of them (1..CG_OUTBOX_DUE_MAX); non-zero from fn
 * stops. The ids are read first and each entry is read again just before its call, so fn may
 * take its time (no read transaction stays open across calls) and may call the mark functions
 * and cg_outbox_add on the same db; an entry marked meanwhile is skipped. */
CG_API cg_status cg_outbox_due(cg_bankdb *db, int64_t now, int limit,
                               int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                               cg_error *err);

/* Marks a pending entry delivered (now). CG_E_NOTFOUND when id is not a pending entry. */
CG_API cg_status cg_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err);

/* Records a failed attempt of a pending entry: attempts + 1, last_error = error_text (NULL gives
 * ""), due again at next_attempt (unix seconds). CG_E_NOTFOUND when id is not pending. */
CG_API cg_status cg_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                                      int64_t next_attempt, cg_error *err);

/* Gives a pending entry up (the caller decides when: typically after its maximum attempts):
 * attempts + 1 (this last attempt), last_error = error_text, failed = now. It stays in the table
 * for inspection and is never due again. CG_E_NOTFOUND when id is not pending. */
CG_API cg_status cg_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text,
                                       cg_error *err);

/* Counts the entries: pending (due or not), delivered and failed; each out-param may be NULL. */
CG_API cg_status cg_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                                  int64_t *failed, cg_error *err);

/* Deletes delivered and failed entries finished before `before` (unix seconds); pending ones
 * are never deleted. *removed (may be NULL) receives how many rows went. */
CG_API cg_status cg_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed, cg_error *err);

#ifdef __cplusplus
}
#endif

#endif
