/* Internal: the store interface, the table of operations a storage backend implements
 * (docs/banks.md "Backends"). One table per backend, like libuv's per-platform files or redis's
 * ae_epoll.c/ae_kqueue.c: src/store/sqlite/ is the first (sqlite_ops.c holds its table),
 * src/store/postgresql/ the second (pg_ops.c, issue 17; built when libpq is found).
 *
 * Who does what:
 *   - src/store/store.c parses the location given to cg_bankdb_open ("sqlite:PATH", a plain path,
 *     "postgresql://...") and picks the table; the public cg_bankdb, cg_bank, cg_key,
 *     cg_outbox and (src/review/) cg_review functions check their arguments, then call through
 *     db->ops. Nothing outside src/store/<backend>/ knows which database is underneath.
 *   - A backend keeps its connection in db->be and stores rows: the checks, the logic over
 *     rows and the audit records are in the backend-neutral modules above it (store_bank.c,
 *     store_signal.c, store_keys.c, store_outbox.c, src/review/), which call the ops below
 *     inside the write transactions they open (begin_write .. commit). Helpers a backend may
 *     use: validation (store_check.c), the threshold text (cg__bank_thresholds_*), the review
 *     state names.
 *
 * What a second backend must honour (the rules the SQLite one follows; docs/banks.md):
 *   - Every op that writes is all or nothing: one transaction per call, and one per imported
 *     file (import_begin .. import_end).
 *   - Import is a stream: import_begin opens the file's transaction and reads the bank,
 *     import_put hands over one signal at a time (a COPY-like backend may buffer rows and flush
 *     them in batches, as long as *merged is right and errors name the line they came from:
 *     flush before returning a failure), import_bulk switches the change log from one entry per
 *     signal to one CG_CHANGE_BULK entry for the bank, import_end commits or rolls back.
 *   - The change log is a sequence: change_seq gives the last number committed, changes_since
 *     every entry after a number, in order; a reader polls it (a backend with notifications may
 *     also wake readers, but polling must always work). prune_changes drops old entries and
 *     changes_since reports CG_E_NOTFOUND for a number older than the pruned point.
 *   - Errors name the database (db->path) and the thing; store failures map to cg_status as
 *     bank.h says (a busy database is CG_E_BACKEND "database is locked", a full disk CG_E_IO).
 *   - A cg_bankdb is used by one thread at a time; ops need no locking of their own.
 * Each op has the contract of the public function of the same name (bank.h, review.h, keys.h,
 * outbox.h, vpdq_bank.h) after the argument checks of the public layer; the others are stated
 * here. */
#ifndef CG_STORE_OPS_H
#define CG_STORE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/bank.h"
#include "childguard/exchange_feedback.h"
#include "childguard/exchange_store.h"
#include "childguard/jobs.h"
#include "childguard/keys.h"
#include "childguard/outbox.h"
#include "childguard/review_item.h"
#include "childguard/vpdq_bank.h"

/* The SHA-256 of a key's secret as the store keeps it. */
#define CG__APIKEY_HASH_BYTES 32

/* cg_exchange_link.owned inside the store only (exchange_link below): owned, and the signal was
 * inserted in this transaction (it has no other link). */
#define CG__LINK_FRESH 2

/* A stored signal as the audit record of a change names it (signal_describe). */
typedef struct cg__signal_facts {
    char bank[CG_BANK_NAME_MAX + 1];            /* its bank's name */
    int64_t bank_id;
    char type[32];                              /* the stored type name */
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1];      /* the stored value, lower-case hex */
} cg__signal_facts;

/* An exchange page's segment for exchange_page_apply (store_exchange_segment.c cuts and checks
 * it: every entry passed the generic path's checks, and no key and no (type, value) appears
 * twice in it). */
typedef struct cg__xpage_hash {
    int64_t signal_id;
    int fresh;  /* the segment inserted the signal */
    int filled; /* merged, and an empty field of the stored signal was filled */
} cg__xpage_hash;

typedef struct cg__xpage_removed {
    size_t entry;          /* index (in the segment) of the entry whose unlink deleted it */
    int64_t signal_id;
    cg__signal_facts facts;
} cg__xpage_removed;

typedef struct cg__xpage {
    const cg_exchange_info *ex;
    const cg_exchange_page_entry *entries;
    size_t n;
    const char *source;          /* "exchange:<name>" as the signals hold it */
    size_t note_max;             /* an entry's note is cut to this many bytes */
    int64_t now;                 /* the new signals' added time */
    cg__xpage_hash *hashes;      /* out (caller's array): one per hash of the non-deleted
                                  * entries, in page order */
    cg__xpage_removed *removed;  /* out (the op allocates, the caller frees): in entry order,
                                  * then signal id */
    size_t n_removed;
    int generic;                 /* out: 1 nothing was written; apply the segment record by
                                  * record (a set-based apply would differ from it) */
} cg__xpage;

typedef struct cg__store_ops {
    const char *name; /* "sqlite": the scheme that selects it */

    /* ---- connection ---- */
    /* Opens the store at where (the location without its scheme), with db->flags and db->path
     * set; fills db->be. On failure db->be may be partly set: close is called. */
    cg_status (*open)(cg_bankdb *db, const char *where, cg_error *err);
    /* Releases db->be (may be NULL after a failed open). */
    void (*close)(cg_bankdb *db);

    /* ---- read snapshots ---- */
    /* Starts a read transaction: the reads until snapshot_end see one state of the store (an
     * export reads banks and signals from it while writers go on). */
    cg_status (*snapshot_begin)(cg_bankdb *db, const char *what, cg_error *err);
    /* Ends it; what NULL: after a failure (never fails then). */
    cg_status (*snapshot_end)(cg_bankdb *db, const char *what, cg_error *err);

    /* ---- write transactions (a public write that spans several ops) ---- */
    /* Starts a write transaction that holds the write lock from here (so a busy store fails
     * now, not halfway); what names the step in messages. */
    cg_status (*begin_write)(cg_bankdb *db, const char *what, cg_error *err);
    /* Commits it; a failed commit rolls back (all or nothing). */
    cg_status (*commit)(cg_bankdb *db, const char *what, cg_error *err);
    /* Rolls back the open transaction, if any; never fails (the first error stands). */
    void (*rollback)(cg_bankdb *db);

    /* ---- banks (store_bank.c checks, formats the thresholds and audits) ---- */
    /* Inserts the checked bank created at now, with its thresholds as stored text; sets
     * bank->id and bank->created. A taken name: CG_E_INVAL "bank "NAME" already exists". */
    cg_status (*bank_insert)(cg_bankdb *db, cg_bank *bank, const char *thresholds, int64_t now,
                             cg_error *err);
    cg_status (*bank_get)(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err);
    cg_status (*bank_get_by_id)(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);
    /* Writes every setting of bank->id but its name; name names it in messages. CG_E_NOTFOUND
     * when there is no such bank. */
    cg_status (*bank_update_row)(cg_bankdb *db, const cg_bank *bank, const char *thresholds,
                                 const char *name, cg_error *err);
    /* The id and signal count of bank name (the record of its deletion). */
    cg_status (*bank_delete_facts)(cg_bankdb *db, const char *name, int64_t *id, int64_t *count,
                                   cg_error *err);
    /* Deletes bank name and all its signals, atomically; the change log gets one bank entry.
     * CG_E_NOTFOUND when there is no such bank. */
    cg_status (*bank_delete_row)(cg_bankdb *db, const char *name, cg_error *err);
    cg_status (*bank_list)(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                           cg_error *err);

    /* ---- signals (store_signal.c checks and audits the writes) ---- */
    /* Adds s, or merges it into the stored signal of the same (bank, type, value), inside the
     * caller's write transaction; now is the `added` time of a new one. *merged: it was there;
     * *filled: the merge filled a field the stored one lacked (bank.h). */
    cg_status (*signal_put)(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                            int *filled, cg_error *err);
    cg_status (*signal_get)(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err);
    cg_status (*signal_find)(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                             const uint8_t *value, cg_bank_signal *out, cg_error *err);
    /* What the audit record of a change to signal id names, read as stored (raw, so that a row
     * this build cannot decode can still be changed). CG_E_NOTFOUND when absent. */
    cg_status (*signal_describe)(cg_bankdb *db, int64_t id, cg__signal_facts *out,
                                 cg_error *err);
    /* Sets disabled_until of signal id (0: enabled); CG_E_NOTFOUND when absent. */
    cg_status (*signal_set_disabled_row)(cg_bankdb *db, int64_t id, int64_t until,
                                         cg_error *err);
    /* Deletes signal id (and its frames); CG_E_NOTFOUND when absent. */
    cg_status (*signal_delete_row)(cg_bankdb *db, int64_t id, cg_error *err);
    /* Streams the signals in id order; fn may call into the same db (no cursor held across
     * a call is shared with it). */
    cg_status (*signal_foreach)(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                cg_error *err);
    cg_status (*signal_count)(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                              int64_t *out, cg_error *err);

    /* ---- import: one file, one transaction (store_import.c drives it) ---- */
    /* Starts the file's write transaction and reads the bank into *bank inside it (so it cannot
     * vanish under the import). On failure nothing is open. */
    cg_status (*import_begin)(cg_bankdb *db, int64_t bank_id, cg_bank *bank, cg_error *err);
    /* Adds or merges one signal (frames: its vpdq frames, n 0 for other types); now is the
     * `added` time of a new signal. */
    cg_status (*import_put)(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                            size_t n, int64_t now, int *merged, cg_error *err);
    /* From now on the file's signals are logged as one CG_CHANGE_BULK entry for bank_id; the
     * per-signal entries this import wrote so far are replaced by it. */
    cg_status (*import_bulk)(cg_bankdb *db, int64_t bank_id, cg_error *err);
    /* Optional (NULL: import_put always knows *merged). Called once after the file's last
     * import_put, before import_end(db, 1): a backend that buffers rows (PostgreSQL's COPY)
     * writes them now and sets *merged to how many of the signals import_put reported as
     * added turned out to be merges. A failure rolls the file back like any other. */
    cg_status (*import_merged_late)(cg_bankdb *db, int64_t *merged, cg_error *err);
    /* Commits (commit 1) or rolls back (0) the file; a failed commit rolls back. */
    cg_status (*import_end)(cg_bankdb *db, int commit, cg_error *err);

    /* ---- vPDQ frames ---- */
    /* signal_put for a vpdq signal s and its n frames (checked here; s->value is set to their
     * identity), inside the caller's write transaction. */
    cg_status (*vpdq_put)(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                          size_t n, int64_t now, int *merged, int *filled, cg_error *err);
    cg_status (*vpdq_frames)(cg_bankdb *db, int64_t signal_id,
                             int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                             cg_error *err);

    /* ---- the change log ---- */
    cg_status (*change_seq)(cg_bankdb *db, int64_t *out, cg_error *err);
    cg_status (*changes_since)(cg_bankdb *db, int64_t seq,
                               int (*fn)(int64_t seq, cg_change_kind kind, int64_t id, void *ud),
                               void *ud, cg_error *err);
    cg_status (*prune_changes)(cg_bankdb *db, int64_t keep_seconds, cg_error *err);
    /* cg_bankdb_data_version: a number that changes with every commit to the store by anyone,
     * read without a query; CG_E_UNSUPPORTED (sets no error) when the store cannot tell that
     * way. Unlike every other op it may run while another thread uses db: it may only read
     * state fixed at open and memory the database shares. NULL: never supported. */
    cg_status (*data_version)(cg_bankdb *db, uint64_t *out);
    /* store_watch.h: calls fn(ud) from a thread of the backend's own after commits that write
     * the change log, until close (which stops it first). NULL: polling only. */
    cg_status (*watch)(cg_bankdb *db, void (*fn)(void *ud), void *ud, cg_error *err);
    /* cg_bankdb_replica_state_get, *out zeroed first. NULL: the store has no replicas. */
    cg_status (*replica_state)(cg_bankdb *db, cg_bankdb_replica_state *out, cg_error *err);

    /* ---- the review queue's rows (src/review/ holds the rest: the checks, the state machine,
     * the two-reviewer rule, the bank additions of a decision and the audit records) ---- */
    /* Inserts the checked item (state pending, created now, for tenant) and its signals inside
     * the caller's write transaction; sets item->id. */
    cg_status (*review_insert)(cg_bankdb *db, cg_review_item *item, const char *tenant,
                               const char *verdict_json, const uint8_t *preview,
                               size_t preview_len, int64_t now, cg_error *err);
    /* The newest open (pending or claimed) item of tenant for content_id; *id 0 when none. */
    cg_status (*review_find_open)(cg_bankdb *db, const char *tenant, const char *content_id,
                                  int64_t *id, cg_error *err);
    /* Sets label, reason, verdict and priority = max(stored, item's) of item id. */
    cg_status (*review_refresh_row)(cg_bankdb *db, int64_t id, const cg_review_item *item,
                                    const char *verdict_json, cg_error *err);
    /* Item id of the handle's tenant with its signals (and a copy of its verdict, cg_free, when
     * verdict_json is not NULL); CG_E_NOTFOUND "no review item ID" when absent. */
    cg_status (*review_get)(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict_json,
                            cg_error *err);
    cg_status (*review_preview_get)(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                    cg_error *err);
    cg_status (*review_list)(cg_bankdb *db, const cg_review_filter *filter,
                             int (*fn)(const cg_review_item *item, void *ud), void *ud,
                             cg_error *err);
    cg_status (*review_counts)(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT], cg_error *err);
    /* The state and reviewer (CG_REVIEW_NAME_MAX + 1 bytes) of item id of the handle's tenant;
     * CG_E_NOTFOUND when absent. */
    cg_status (*review_state)(cg_bankdb *db, int64_t id, cg_review_state *state, char *reviewer,
                              cg_error *err);
    /* The handle's tenant's next pending item by priority (highest first), then age, then id;
     * CG_E_NOTFOUND "no pending review item" when there is none. */
    cg_status (*review_next_pending)(cg_bankdb *db, int64_t *id, cg_error *err);
    /* The state updates, each of one row inside the caller's write transaction; a row that is
     * not (or no longer) in the state the update expects is CG_E_NOTFOUND "vanished".
     * claim: pending -> claimed by reviewer at now. release: claimed -> pending. propose:
     * records d as a proposal (pending again, unless escalated). decide: d's state, reviewer,
     * note, the bank fed and the signals added to it; confirms 1 keeps the proposal and names
     * d->reviewer as the confirming second reviewer, 0 clears any proposal. */
    cg_status (*review_claim_row)(cg_bankdb *db, int64_t id, const char *reviewer, int64_t now,
                                  cg_error *err);
    cg_status (*review_release_row)(cg_bankdb *db, int64_t id, cg_error *err);
    cg_status (*review_propose_row)(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                    int64_t now, cg_error *err);
    cg_status (*review_decide_row)(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                   const char *bank, int64_t added, int confirms, int64_t now,
                                   cg_error *err);
    /* Text excerpts (review.h; src/review/review_excerpt.c checks them). put replaces item
     * id's excerpt (json, len bytes, checked) inside the caller's write transaction; get copies
     * the excerpt of item id of the handle's tenant unless it expired at now (CG_E_NOTFOUND
     * otherwise); purge deletes every excerpt expired at now. NULL in a backend that does not
     * keep them yet: the review layer answers CG_E_UNSUPPORTED. */
    cg_status (*review_excerpt_put)(cg_bankdb *db, int64_t id, const char *json, size_t len,
                                    int64_t expires, cg_error *err);
    cg_status (*review_excerpt_get)(cg_bankdb *db, int64_t id, int64_t now, char **json,
                                    size_t *len, int64_t *expires, cg_error *err);
    cg_status (*review_excerpt_purge)(cg_bankdb *db, int64_t now, int64_t *removed,
                                      cg_error *err);

    /* ---- API keys ---- */
    /* The store keeps rows; the token, its verification and the audit records are
     * store_keys.c's. */
    /* The key of row id with its stored secret hash (zeros when it is not HASH_BYTES long);
     * *found 0 when there is no such row (not an error). */
    cg_status (*apikey_get)(cg_bankdb *db, int64_t id, cg_key *out,
                            uint8_t hash[CG__APIKEY_HASH_BYTES], int *found, cg_error *err);
    /* The live (not revoked) key with id (id > 0) or else name; *found 0 when there is none. */
    cg_status (*apikey_find_live)(cg_bankdb *db, int64_t id, const char *name, cg_key *out,
                                  int *found, cg_error *err);
    /* Inserts the checked key k (name, holder, tenant, banks, scopes, rate) with the secret's
     * hash, created at now, inside the caller's write transaction; sets *id. */
    cg_status (*apikey_insert)(cg_bankdb *db, const cg_key *k,
                               const uint8_t hash[CG__APIKEY_HASH_BYTES], int64_t now,
                               int64_t *id, cg_error *err);
    /* Sets last_used of live key id to now in its own transaction; a busy or read-only store
     * is no error (*done 0). */
    cg_status (*apikey_touch)(cg_bankdb *db, int64_t id, int64_t now, int *done, cg_error *err);
    /* Marks key id revoked at now inside the caller's write transaction; the keys generation
     * grows with the commit. */
    cg_status (*apikey_revoke_row)(cg_bankdb *db, int64_t id, int64_t now, cg_error *err);
    /* A number that grows with every commit that takes a right from a key. */
    cg_status (*apikey_generation)(cg_bankdb *db, int64_t *out, cg_error *err);
    cg_status (*apikey_list)(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                             cg_error *err);

    /* ---- the engine's live state (cg_bankdb_state_put/get) ---- */
    /* Replaces tenant's saved state with the len bytes at data, saved at now, in one
     * transaction of its own. */
    cg_status (*state_put)(cg_bankdb *db, const char *tenant, const uint8_t *data, size_t len,
                           int64_t now, cg_error *err);
    /* tenant's saved state into a new buffer (*data, cg_free; *len); *found 0 when none. */
    cg_status (*state_get)(cg_bankdb *db, const char *tenant, uint8_t **data, size_t *len,
                           int64_t *saved, int *found, cg_error *err);

    /* ---- the webhook outbox ---- */
    /* The number of pending entries of tenant, inside the caller's write transaction. */
    cg_status (*outbox_pending)(cg_bankdb *db, const char *tenant, int64_t *n, cg_error *err);
    /* Inserts a checked pending entry created at now (due now), inside the caller's write
     * transaction; sets *id. */
    cg_status (*outbox_insert)(cg_bankdb *db, const char *tenant, const char *target,
                               const char *payload_json, int64_t now, int64_t *id,
                               cg_error *err);
    cg_status (*outbox_due)(cg_bankdb *db, int64_t now, int limit,
                            int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                            cg_error *err);
    cg_status (*outbox_mark_delivered)(cg_bankdb *db, int64_t id, cg_error *err);
    cg_status (*outbox_mark_retry)(cg_bankdb *db, int64_t id, const char *error_text,
                                   int64_t next_attempt, cg_error *err);
    cg_status (*outbox_mark_failed)(cg_bankdb *db, int64_t id, const char *error_text,
                                    cg_error *err);
    cg_status (*outbox_counts)(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                               int64_t *failed, cg_error *err);
    cg_status (*outbox_prune)(cg_bankdb *db, int64_t before, int64_t *removed, cg_error *err);

    /* ---- the job ledger (jobs.h; store_jobs.c checks; the rows: sqlite_jobs.c) ----
     * A job is recorded inside one write transaction (cg_job_record_begin): begin_write,
     * job_get, the caller's review/outbox writes, job_done, commit. So a backend's begin_write
     * and commit must nest: inside an open write transaction they open and release an inner
     * level (a savepoint), and rollback inside one undoes only that level (an outbox entry
     * refused by its bound does not undo the review item before it). */
    /* Adds the queued row of (tenant, id) unless one exists; *created: it was added. */
    cg_status (*job_queue)(cg_bankdb *db, const char *tenant, const char *id, int64_t now,
                           int *created, cg_error *err);
    /* Reads (tenant, id) into *out (cleared by the caller); CG_E_NOTFOUND when absent. */
    cg_status (*job_get)(cg_bankdb *db, const char *tenant, const char *id, cg_job *out,
                         cg_error *err);
    /* Writes (tenant, id) as done, inside the caller's write transaction. */
    cg_status (*job_done)(cg_bankdb *db, const char *tenant, const char *id,
                          const char *verdict_json, int64_t review_id, int64_t now,
                          cg_error *err);
    /* Writes (tenant, id) as failed with reason unless it is done; committed. */
    cg_status (*job_fail)(cg_bankdb *db, const char *tenant, const char *id, const char *reason,
                          int64_t now, cg_error *err);
    cg_status (*job_counts)(cg_bankdb *db, const char *tenant, int64_t counts[3],
                            cg_error *err);

    /* ---- exchanges (exchange_store.h; store_exchange.c checks; the rows: sqlite_exchange.c;
     * schema 8). NULL in a backend that does not have them yet: the public functions answer
     * CG_E_UNSUPPORTED. ---- */
    /* Inserts the checked exchange ex of tenant (bank_id set), created at now; sets ex->id. A
     * taken (tenant, name): CG_E_INVAL "exchange "NAME" already exists". */
    cg_status (*exchange_insert)(cg_bankdb *db, const char *tenant, cg_exchange_info *ex,
                                 int64_t now, cg_error *err);
    cg_status (*exchange_get)(cg_bankdb *db, const char *tenant, const char *name,
                              cg_exchange_info *out, cg_error *err);
    /* tenant NULL: every tenant's, by tenant then name. */
    cg_status (*exchange_list)(cg_bankdb *db, const char *tenant,
                               int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                               cg_error *err);
    /* Writes api_json and enabled of ex->id. */
    cg_status (*exchange_update_row)(cg_bankdb *db, const cg_exchange_info *ex, cg_error *err);
    /* Deletes exchange id with its secret and links (not its bank). */
    cg_status (*exchange_delete_row)(cg_bankdb *db, int64_t id, cg_error *err);
    /* len 0 deletes. */
    cg_status (*exchange_secret_put)(cg_bankdb *db, int64_t id, const uint8_t *blob, size_t len,
                                     cg_error *err);
    cg_status (*exchange_secret_get)(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                     int *found, cg_error *err);
    cg_status (*exchange_checkpoint_get)(cg_bankdb *db, int64_t id, char **checkpoint,
                                         cg_error *err);
    /* Sets the checkpoint, checkpoint_ts = now, fetched_items += items, inside the caller's
     * write transaction (or autocommit). */
    cg_status (*exchange_checkpoint_put)(cg_bankdb *db, int64_t id, const char *checkpoint,
                                         int64_t now, int64_t items, cg_error *err);
    /* started 1: running_fetch_start_ts = now; 0: the run ended at now with the fields. */
    cg_status (*exchange_fetch_mark)(cg_bankdb *db, int64_t id, int started, int64_t now,
                                     int succeeded, int up_to_date, const char *error,
                                     cg_error *err);
    cg_status (*exchange_key_signals)(cg_bankdb *db, int64_t id, const char *key,
                                      int (*fn)(int64_t signal_id, int owned, void *ud),
                                      void *ud, cg_error *err);
    /* l->owned is 0, 1, or CG__LINK_FRESH: owned, and the page inserted the signal in this
     * transaction, so it has no other link and sharing its ownership can be skipped (an
     * exchange page's new signals: one statement less per record). Stored as 1. */
    cg_status (*exchange_link)(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                               int *owned_any, cg_error *err);
    cg_status (*exchange_unlink)(cg_bankdb *db, int64_t id, const char *key, int64_t signal_id,
                                 int *orphaned, cg_error *err);
    /* Optional (NULL: the generic path, record by record): the segment xp applied in a few
     * set-based statements inside the page's transaction, with exactly the generic path's
     * result; or xp->generic = 1 and nothing written. */
    cg_status (*exchange_page_apply)(cg_bankdb *db, cg__xpage *xp, cg_error *err);
    /* Back-off and refetch generation (schema step of exchanges-3; NULL in a backend without
     * them: the public functions answer CG_E_UNSUPPORTED). failures/next_fetch_ts of id. */
    cg_status (*exchange_backoff_put)(cg_bankdb *db, int64_t id, int failures,
                                      int64_t next_fetch_ts, cg_error *err);
    /* link_gen += 1, sweep_pending = 1 (inside the page's transaction). */
    cg_status (*exchange_refetch_mark)(cg_bankdb *db, int64_t id, cg_error *err);
    /* fn(key, signal_id) for each link of id older than its link_gen. */
    cg_status (*exchange_stale_links)(cg_bankdb *db, int64_t id,
                                      int (*fn)(const char *key, int64_t signal_id, void *ud),
                                      void *ud, cg_error *err);
    /* sweep_pending = 0. */
    cg_status (*exchange_sweep_done)(cg_bankdb *db, int64_t id, cg_error *err);
    cg_status (*exchange_provenance)(cg_bankdb *db, int64_t signal_id,
                                     int (*fn)(const char *exchange, const char *key,
                                               const char *member, const char *entry_id,
                                               const char *classification, void *ud),
                                     void *ud, cg_error *err);

    /* ---- the exchange feedback queue (exchange_feedback.h; store_feedback.c checks; the rows:
     * sqlite_feedback.c; schema 10). NULL in a backend without them: the public functions
     * answer CG_E_UNSUPPORTED and a review decision queues nothing. ---- */
    /* Inside the caller's write transaction: one row per link of signal_id to an exchange of
     * tenant (none already queued for that item and key); *added += rows written. */
    cg_status (*feedback_enqueue_signal)(cg_bankdb *db, const char *tenant, int64_t review_item,
                                         int64_t signal_id, int verdict, const char *actor,
                                         int64_t now, int64_t *added, cg_error *err);
    /* One row for record key of exchange_id (its first linked signal's hash); CG_E_NOTFOUND
     * when the exchange has no such key. */
    cg_status (*feedback_enqueue_key)(cg_bankdb *db, int64_t exchange_id, const char *key,
                                      int verdict, const char *reason, const char *actor,
                                      int64_t now, int64_t *id, cg_error *err);
    /* exchange_id 0: every exchange of tenant; filter: cg_exchange_fb_filter; limit 0: all. */
    cg_status (*feedback_list)(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                               int filter, int64_t now, int limit,
                               int (*fn)(const cg_exchange_feedback_item *it, void *ud),
                               void *ud, cg_error *err);
    /* to: cg_exchange_fb_state; CG_E_NOTFOUND when id is not pending. */
    cg_status (*feedback_mark)(cg_bankdb *db, int64_t id, int to, int64_t now,
                               int64_t next_attempt, const char *error, cg_error *err);
    cg_status (*feedback_counts)(cg_bankdb *db, const char *tenant, int64_t exchange_id,
                                 int64_t out[3], cg_error *err);
} cg__store_ops;

/* The backends built into this library. */
extern const cg__store_ops cg__store_sqlite;
#if CG_HAVE_POSTGRESQL
extern const cg__store_ops cg__store_postgresql;
#endif

/* A backend's table may leave ops NULL (not implemented yet). cg_bankdb_open uses a copy of
 * the table with every such op (but the optional data_version, watch, replica_state and
 * import_merged_late) answering CG_E_UNSUPPORTED "<what> is not supported by the <backend> store yet", so no
 * caller ever calls NULL (store_unsupported.c). Returns 1 when out was filled that way, 0
 * when the table is complete (use it as is). */
int cg__store_ops_fill(const cg__store_ops *in, cg__store_ops *out);

#endif
