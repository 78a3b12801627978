/* childguard: exchanges kept in the store (docs/exchange.md, "Exchanges in the store").
 *
 * An exchange is a remote hash-sharing API (exchange.h) that the store remembers: its name
 * (also the name of the bank it owns), its API kind ("ncmec", "stopncii",
 * "fb_threatexchange"), its non-secret configuration as a JSON object (api_json: base URL,
 * collab, page size, start time), whether it is enabled, its credentials (kept apart, sealed:
 * cg_exchange_secret_*), its checkpoint and its fetch status (HMA's /c/exchange/<name>/status
 * fields). Exchanges belong to the handle's tenant: another tenant's exchange is not found.
 *
 * Provenance: every signal an exchange put in its bank is linked to the record (key) it came
 * from, with the member, entry id and classification. A record the exchange deletes removes
 * its links; a signal loses its last link and was added by an exchange (not there before) is
 * deleted, so a deletion from the exchange removes only what the exchange added.
 *
 * A fetched page is applied in one write transaction together with its checkpoint
 * (cg_exchange_page_begin .. cg_exchange_page_commit; the exchange layer's
 * cg_exchange_apply_page drives it): after a crash the store holds either the page and its
 * checkpoint or neither, so the next fetch neither loses nor duplicates a page.
 *
 * Threading: like cg_bankdb, one thread at a time per handle. */
#ifndef CHILDGUARD_EXCHANGE_STORE_H
#define CHILDGUARD_EXCHANGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "status.h"
#include "tenant.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CG_EXCHANGE_API_MAX 32          /* an API kind's name */
#define CG_EXCHANGE_CONFIG_MAX 4096     /* api_json, bytes */
#define CG_EXCHANGE_ERROR_MAX 512       /* last_error, bytes (longer ones are cut) */
#define CG_EXCHANGE_SECRET_MAX 8192     /* a sealed credential blob, bytes */
#define CG_EXCHANGE_CHECKPOINT_MAX (64u * 1024u) /* a stored checkpoint, bytes */

typedef struct cg_exchange_info {
    int64_t id;                             /* set by the store */
    char tenant[CG_TENANT_MAX + 1];         /* whose it is (set by the store) */
    char name[CG_BANK_NAME_MAX + 1];        /* the exchange's and its bank's name */
    char api[CG_EXCHANGE_API_MAX + 1];      /* "ncmec", "stopncii", "fb_threatexchange" */
    char api_json[CG_EXCHANGE_CONFIG_MAX + 1]; /* a JSON object; "" reads as "{}" */
    int enabled;                            /* 0: the scheduler leaves it alone */
    int64_t bank_id;                        /* the bank it owns (set by the store) */
    int64_t created;                        /* unix seconds (set by the store) */
    int has_secret;                         /* credentials are stored (read only) */
    /* The fetch status (read only; HMA's status route). */
    int64_t checkpoint_ts;          /* when the last checkpoint was stored, 0 never */
    int64_t running_fetch_start_ts; /* a fetch run started then and has not ended, 0 none */
    int64_t last_fetch_complete_ts; /* when the last run ended, 0 never */
    int last_fetch_succeeded;       /* the last run ended without an error */
    int up_to_date;                 /* the last run read every page there was */
    int64_t fetched_items;          /* records applied since the exchange was created */
    char last_error[CG_EXCHANGE_ERROR_MAX + 1]; /* why the last run failed or skipped, "" */
    /* Back-off and refetch (schema 10 of exchanges-3; 0 on a store without them). */
    int consecutive_failures;       /* runs in a row that ended on 429, 5xx or no answer */
    int64_t next_fetch_ts;          /* the scheduler waits until then (back-off), 0 none */
    int sweep_pending;              /* a full refetch is under way; its end sweeps */
} cg_exchange_info;

/* 1 when s is a valid exchange name (a bank name: [A-Za-z0-9_.-]{1,64}). */
CG_API int cg_exchange_name_valid(const char *s);

/* Creates exchange ex (name, api, api_json, enabled) for the handle's tenant, and its bank of
 * the same name (label bank_label, may be NULL: ""), in one transaction; sets ex->id,
 * ex->bank_id and ex->created. An existing bank of that name is adopted only when adopt_bank
 * is 1 (its signals stay; they are not the exchange's and its deletions never remove them),
 * else CG_E_INVAL "bank NAME already exists". A taken exchange name: CG_E_INVAL. api_json must
 * be a JSON object of at most CG_EXCHANGE_CONFIG_MAX bytes. */
CG_API cg_status cg_exchange_create(cg_bankdb *db, cg_exchange_info *ex, const char *bank_label,
                                    int adopt_bank, cg_error *err);
/* The handle's tenant's exchange called name into *out; CG_E_NOTFOUND when there is none. */
CG_API cg_status cg_exchange_get(cg_bankdb *db, const char *name, cg_exchange_info *out,
                                 cg_error *err);
/* Calls fn for each exchange of the handle's tenant, by name; fn returns non-zero to stop. */
CG_API cg_status cg_exchange_list(cg_bankdb *db,
                                  int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                                  cg_error *err);
/* Calls fn for every exchange of every tenant, by tenant then name (a fetch scheduler's view;
 * set the handle's tenant to ex->tenant before acting on one). */
CG_API cg_status cg_exchange_list_all(cg_bankdb *db,
                                      int (*fn)(const cg_exchange_info *ex, void *ud), void *ud,
                                      cg_error *err);
/* Writes ex's api_json and enabled (found by name); CG_E_NOTFOUND when absent. */
CG_API cg_status cg_exchange_update(cg_bankdb *db, const cg_exchange_info *ex, cg_error *err);
/* Deletes exchange name with its credentials, checkpoint and provenance; its bank too (and
 * every signal in it) when delete_bank is 1, else the bank stays as an ordinary bank. */
CG_API cg_status cg_exchange_delete(cg_bankdb *db, const char *name, int delete_bank,
                                    cg_error *err);

/* ---- credentials: opaque sealed bytes (exchange.h's cg_exchange_secret_seal makes them) ----
 * Kept in their own table, never in api_json and never in a message. */
/* Stores blob (len bytes, at most CG_EXCHANGE_SECRET_MAX) as the credentials of exchange id;
 * len 0 removes them. */
CG_API cg_status cg_exchange_secret_put(cg_bankdb *db, int64_t id, const uint8_t *blob,
                                        size_t len, cg_error *err);
/* The credentials of exchange id into a new buffer (*blob, cg_free; *len); *found 0 (and *blob
 * NULL) when none are stored. */
CG_API cg_status cg_exchange_secret_get(cg_bankdb *db, int64_t id, uint8_t **blob, size_t *len,
                                        int *found, cg_error *err);

/* ---- checkpoint and status ---- */
/* The stored checkpoint of exchange id (cg_free; "" when none). */
CG_API cg_status cg_exchange_checkpoint_get(cg_bankdb *db, int64_t id, char **checkpoint,
                                            cg_error *err);
/* Replaces the checkpoint (NULL or "": back to the beginning, a full refetch) in a transaction
 * of its own: for a page that applied nothing (a malformed page whose checkpoint counts the
 * attempt, a stale checkpoint reset). */
CG_API cg_status cg_exchange_checkpoint_put(cg_bankdb *db, int64_t id, const char *checkpoint,
                                            cg_error *err);
/* Marks a fetch run of exchange id as started at now (running_fetch_start_ts). */
CG_API cg_status cg_exchange_fetch_started(cg_bankdb *db, int64_t id, int64_t now,
                                           cg_error *err);
/* Marks the run ended at now: running_fetch_start_ts 0, last_fetch_complete_ts now,
 * last_fetch_succeeded, up_to_date, last_error (NULL: ""; cut at CG_EXCHANGE_ERROR_MAX). */
CG_API cg_status cg_exchange_fetch_ended(cg_bankdb *db, int64_t id, int64_t now, int succeeded,
                                         int up_to_date, const char *error, cg_error *err);

/* Stores the back-off state of exchange id: failures in a row and the time before which the
 * scheduler does not run it (0: no wait). CG_E_UNSUPPORTED on a store without the columns. */
CG_API cg_status cg_exchange_backoff_put(cg_bankdb *db, int64_t id, int failures,
                                         int64_t next_fetch_ts, cg_error *err);

/* ---- one page in one transaction (cg_exchange_apply_page drives these) ---- */

/* A link from a signal to the exchange record it came from. */
typedef struct cg_exchange_link {
    int64_t signal_id;
    int owned;                  /* the exchange added the signal (it was not there before) */
    const char *key;            /* the record's key (exchange.h) */
    const char *member;         /* may be NULL: "" */
    const char *entry_id;
    const char *classification;
    int64_t timestamp;
} cg_exchange_link;

/* Opens the page's write transaction. Bank writes (cg_bank_signal_add/_delete) made until the
 * commit join it, and their audit records are held until it commits. */
CG_API cg_status cg_exchange_page_begin(cg_bankdb *db, int64_t id, cg_error *err);
/* Calls fn(signal_id, owned) for each signal linked to key of exchange id. */
CG_API cg_status cg_exchange_page_key_signals(cg_bankdb *db, int64_t id, const char *key,
                                              int (*fn)(int64_t signal_id, int owned,
                                                        void *ud),
                                              void *ud, cg_error *err);
/* Adds or refreshes a link (a link that exists keeps owned if it was set). *owned_any (may be
 * NULL): after the call, some link of the signal is owned. */
CG_API cg_status cg_exchange_page_link(cg_bankdb *db, int64_t id, const cg_exchange_link *l,
                                       int *owned_any, cg_error *err);
/* Removes the link of (key, signal_id); *orphaned: it was the signal's last link and some
 * link of it was owned (the caller deletes the signal). */
CG_API cg_status cg_exchange_page_unlink(cg_bankdb *db, int64_t id, const char *key,
                                         int64_t signal_id, int *orphaned, cg_error *err);
/* Stores checkpoint, checkpoint_ts = now and fetched_items += items, and commits the page. On
 * failure everything since cg_exchange_page_begin is rolled back. */
CG_API cg_status cg_exchange_page_commit(cg_bankdb *db, int64_t id, const char *checkpoint,
                                         int64_t items, int64_t now, cg_error *err);
/* One hash of a page entry (cg_exchange_page_apply). */
typedef struct cg_exchange_page_hash {
    const cg_signal_type *type;
    const uint8_t *value;       /* type->bytes */
} cg_exchange_page_hash;

/* One record of a page for cg_exchange_page_apply: the last record of its key in the page. */
typedef struct cg_exchange_page_entry {
    const char *key;            /* the record's key (exchange.h), at most CG_BANK_FIELD_MAX */
    int deleted;                /* the exchange withdrew it: every signal linked to key goes */
    const char *member;         /* provenance (NULL: "") */
    const char *entry_id;
    const char *classification;
    int64_t timestamp;
    const char *note;           /* the added signals' note (NULL: "") */
    const cg_exchange_page_hash *hashes; /* what the record lists now (ignored when deleted) */
    size_t n_hashes;
} cg_exchange_page_entry;

/* What cg_exchange_page_apply did. */
typedef struct cg_exchange_page_counts {
    uint64_t added;    /* signals the page created */
    uint64_t merged;   /* hashes already in the bank: merged and linked */
    uint64_t removed;  /* signals deleted (their last link went and the exchange added them) */
} cg_exchange_page_counts;

/* Applies entries (at most one per key; n may be 0) to the bank of exchange ex inside the
 * page's open transaction (cg_exchange_page_begin), in the given order, with no transaction
 * or savepoint per signal: for each entry the signals linked to its key are read; a deleted
 * entry unlinks them all; otherwise each hash is added to the bank (source "exchange:<name>",
 * external_id the key, quality -1; a hash already there is merged, as cg_bank_signal_add does)
 * and linked (owned when the add created it), then the links the entry no longer lists are
 * removed. A removed link that was a signal's last, when the exchange added the signal,
 * deletes the signal. Audit records (signal_add, signal_merge, signal_delete) are held until
 * the page commits, as for cg_bank_signal_add/_delete. On failure the caller aborts the page
 * (cg_exchange_page_abort): nothing of it stays. */
CG_API cg_status cg_exchange_page_apply(cg_bankdb *db, const cg_exchange_info *ex,
                                        const cg_exchange_page_entry *entries, size_t n,
                                        cg_exchange_page_counts *counts, cg_error *err);
/* Inside the page's transaction: this page starts a full refetch of exchange id (a new link
 * generation; sweep_pending set). Links written from now on carry the new generation; those
 * the refetch never lists again are removed by cg_exchange_sweep when it completes. */
CG_API cg_status cg_exchange_page_refetch(cg_bankdb *db, int64_t id, cg_error *err);
/* In a transaction of its own, when exchange ex has a sweep pending: removes every link older
 * than the current generation (entries the completed refetch did not list: deleted at the
 * exchange meanwhile), deleting the signals that leaves without a link and that the exchange
 * added, and clears sweep_pending. counts->removed: signals deleted. keep_links 1 clears
 * sweep_pending without removing anything (a refetch that skipped records cannot tell a
 * deleted entry from a skipped one). */
CG_API cg_status cg_exchange_sweep(cg_bankdb *db, const cg_exchange_info *ex, int keep_links,
                                   cg_exchange_page_counts *counts, cg_error *err);
/* Rolls the page back (nothing of it stays). */
CG_API void cg_exchange_page_abort(cg_bankdb *db);

/* The provenance of signal_id: fn(exchange name, key, member, entry_id, classification) for
 * each link, any tenant's exchanges of the signal's bank. */
CG_API cg_status cg_exchange_provenance(cg_bankdb *db, int64_t signal_id,
                                        int (*fn)(const char *exchange, const char *key,
                                                  const char *member, const char *entry_id,
                                                  const char *classification, void *ud),
                                        void *ud, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
