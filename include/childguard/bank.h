/* childguard: hash banks in one SQLite file.
 *
 * A bank is a named list of signals (hashes) with provenance, as hotlines and StopNCII exchange
 * them: a label ("csam", "ncii", "terror", free text), a kind (block, or allow: an allow-list
 * suppresses known false positives), a match threshold per signal type, an enabled flag.
 * A signal is a value of a signal type (signal.h) in one bank, with its PDQ quality when known,
 * where it came from, and `disabled_until` (a reviewer can switch a hash off for a while).
 * The same value twice in one bank is merged into one signal, never repeated.
 *
 * Every change to banks and signals is also written to a change log with an increasing sequence
 * number, in the same transaction, so a matcher can pick up changes without rereading everything.
 *
 * Threading: a cg_bankdb is one SQLite connection: use it from one thread at a time (open one
 * per thread; any number of processes may open the same file, WAL mode). */
#ifndef CHILDGUARD_BANK_H
#define CHILDGUARD_BANK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "export.h"
#include "signal.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_bankdb cg_bankdb;

enum {
    CG_BANKDB_READONLY = 1 << 0, /* open for reading only */
    CG_BANKDB_CREATE = 1 << 1    /* create the file (and schema) when missing */
};

/* Opens (and migrates to the current schema) the database at path. A file that is not a
 * childguard database, a newer schema, a locked or unreadable file: CG_E_BACKEND / CG_E_IO /
 * CG_E_INVAL with a message naming the path. */
CG_API cg_status cg_bankdb_open(const char *path, int flags, cg_bankdb **out, cg_error *err);
CG_API void cg_bankdb_close(cg_bankdb *db);
/* The schema version this build writes (PRAGMA user_version of its databases). */
CG_API int cg_bankdb_schema_version(void);

/* Audits every change made through db: after this call each successful bank_create,
 * bank_update, bank_delete, signal_add (and merge), signal_set_disabled, signal_delete and
 * import appends ONE record of kind "bank_change" to log (audit.h), with actor = actor and
 * subject "bank:<name>". Its data is an object with "op" ("bank_create", "bank_update",
 * "bank_delete", "signal_add", "signal_merge", "signal_disable", "signal_enable",
 * "signal_delete" or "import") and "bank" (the name), plus per op: the bank's settings
 * ("bank_id", "label", "kind", "enabled", "description", "thresholds"; an update adds
 * "changed", the list of settings that differ), "signals" deleted with a bank, the signal's
 * "signal_type", "value" (lower-case hex) and "signal_id" (an add also "quality", "source",
 * "external_id"; a merge "filled": whether it filled an empty field; disable/enable "until"),
 * or an import's "source", "lines", "added", "merged", "rejected" (one record per file, not
 * per line). docs/banks.md lists them.
 *
 * Ordering and atomicity: the record is appended right AFTER the SQLite transaction commits,
 * so a change that fails or rolls back is never recorded. If the append fails after the
 * commit, the call returns CG_E_IO with a message saying the change was committed but not
 * audited; the change stays (and out-parameters such as bank->id, s->id or *rep are filled as
 * on success). A merge that fills nothing is still recorded (the hash was submitted again).
 *
 * log NULL turns auditing off. db does not own log: keep it open while db may change things,
 * and close it yourself after cg_bankdb_close or after turning auditing off. actor (NULL: "")
 * is copied: at most 63 bytes of UTF-8, else CG_E_INVAL and the previous setting stays. */
CG_API cg_status cg_bankdb_set_audit(cg_bankdb *db, cg_audit *log, const char *actor,
                                     cg_error *err);

/* Limits of the text fields (bytes, UTF-8). Longer input is rejected (CG_E_INVAL), never cut. */
#define CG_BANK_NAME_MAX 64     /* [A-Za-z0-9_.-], 1..64, unique */
#define CG_BANK_LABEL_MAX 64
#define CG_BANK_TEXT_MAX 1024   /* description, note */
#define CG_BANK_FIELD_MAX 256   /* source, external id */
#define CG_BANK_MAX_THRESHOLDS 8

typedef enum cg_bank_kind { CG_BANK_BLOCK = 0, CG_BANK_ALLOW = 1 } cg_bank_kind;

typedef struct cg_bank_threshold {
    const cg_signal_type *type;
    int distance; /* match when distance <= this */
} cg_bank_threshold;

typedef struct cg_bank {
    int64_t id;                       /* set by the store */
    char name[CG_BANK_NAME_MAX + 1];
    char label[CG_BANK_LABEL_MAX + 1];
    cg_bank_kind kind;
    int enabled;
    char description[CG_BANK_TEXT_MAX + 1];
    int64_t created;                  /* unix seconds, set by the store */
    /* Overrides of the signal types' default thresholds; types not listed use the default. */
    cg_bank_threshold thresholds[CG_BANK_MAX_THRESHOLDS];
    size_t n_thresholds;
    /* PDQ matches where the query's or the stored hash's quality is below this (1..100) are
     * not acted on (the field's rule: such hashes match unrelated images). 0: the default,
     * CG_PDQ_MIN_QUALITY (50). Kept with the thresholds ("pdq_min_quality=N"). */
    int pdq_min_quality;
    /* Flood quarantine of this bank's exchange signals (docs/exchange.md "Flood quarantine"):
     * N > 0: more than N different images an hour switch a signal off; -1: never; 0: not set
     * (the exchange's flood_per_hour, else the engine's). At most CG_BANK_FLOOD_MAX. Kept with
     * the thresholds ("flood_per_hour=N", off as "flood_per_hour=0"). */
    int flood_per_hour;
} cg_bank;

#define CG_BANK_FLOOD_MAX 1000000

/* The threshold bank b uses for type t. */
CG_API int cg_bank_threshold_for(const cg_bank *b, const cg_signal_type *t);
/* The PDQ quality below which bank b's matches are not acted on (b->pdq_min_quality, else
 * 50). */
CG_API int cg_bank_pdq_min_quality(const cg_bank *b);

/* Creates a bank (id and created are filled in). CG_E_INVAL if the name is taken or invalid. */
CG_API cg_status cg_bank_create(cg_bankdb *db, cg_bank *bank, cg_error *err);
/* Reads the bank named name. CG_E_NOTFOUND if there is none. */
CG_API cg_status cg_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err);
CG_API cg_status cg_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err);
/* Writes label, kind, enabled, description and thresholds of bank->id (name is not renamed). */
CG_API cg_status cg_bank_update(cg_bankdb *db, const cg_bank *bank, cg_error *err);
/* Deletes a bank and all its signals. */
CG_API cg_status cg_bank_delete(cg_bankdb *db, const char *name, cg_error *err);
/* Calls fn for every bank in name order; a non-zero return from fn stops (and is not an error). */
CG_API cg_status cg_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud), void *ud,
                              cg_error *err);

typedef struct cg_bank_signal {
    int64_t id;                          /* set by the store */
    int64_t bank_id;
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];  /* type->bytes used */
    int quality;                         /* PDQ quality 0..100, -1 unknown */
    char source[CG_BANK_FIELD_MAX + 1];  /* exchange or file it came from, "" unknown */
    char external_id[CG_BANK_FIELD_MAX + 1];
    char note[CG_BANK_TEXT_MAX + 1];
    int64_t added;                       /* unix seconds, set by the store */
    int64_t disabled_until;              /* unix seconds; 0 = enabled; INT64_MAX = until enabled */
} cg_bank_signal;

/* Adds s to its bank (s->bank_id). When the bank already holds the same type and value, the
 * signal is merged: empty fields of the stored one are filled from s, and *merged (if not NULL)
 * is set to 1; s->id is set to the stored signal's id either way. */
CG_API cg_status cg_bank_signal_add(cg_bankdb *db, cg_bank_signal *s, int *merged, cg_error *err);
CG_API cg_status cg_bank_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out, cg_error *err);
/* Finds the signal of that type and value in bank_id. CG_E_NOTFOUND if absent. */
CG_API cg_status cg_bank_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                     const uint8_t *value, cg_bank_signal *out, cg_error *err);
/* Sets disabled_until (0 enables again). */
CG_API cg_status cg_bank_signal_set_disabled(cg_bankdb *db, int64_t id, int64_t until,
                                             cg_error *err);
CG_API cg_status cg_bank_signal_delete(cg_bankdb *db, int64_t id, cg_error *err);
/* Calls fn for every signal of bank_id (0: all banks) of type (NULL: all types), in id order.
 * A non-zero return from fn stops. Streams: memory does not grow with the bank. */
CG_API cg_status cg_bank_signal_foreach(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                        int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                        cg_error *err);
/* Number of signals of bank_id (0: all) of type (NULL: all). */
CG_API cg_status cg_bank_signal_count(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                      int64_t *out, cg_error *err);

/* ---- import / export (docs/banks.md describes the formats) ---- */

typedef enum cg_list_format {
    CG_LIST_AUTO = 0,   /* guessed from the first line */
    CG_LIST_LINES = 1,  /* one hash per line (type from the option or from its length) */
    CG_LIST_CSV = 2,    /* header line, RFC 4180 quoting */
    CG_LIST_TSV = 3,    /* header line, tab-separated */
    CG_LIST_JSONL = 4   /* one JSON object per line */
} cg_list_format;

typedef struct cg_import_options {
    cg_list_format format;
    const cg_signal_type *default_type; /* for lines without a type; NULL: guess by length
                                           (32 hex = md5, 64 hex = pdq) */
    const char *source;                 /* provenance written when a line has none */
    size_t max_line;                    /* longest line accepted, 0 = 64 KiB */
    /* Called for each rejected line (line number from 1, reason); may be NULL. */
    void (*on_reject)(uint64_t line, const char *reason, void *ud);
    /* Called every few thousand lines with lines read so far; may be NULL. */
    void (*on_progress)(uint64_t lines, uint64_t bytes, void *ud);
    void *ud;
} cg_import_options;

typedef struct cg_import_report {
    uint64_t lines;     /* data lines read (not the header, not blank lines) */
    uint64_t added;
    uint64_t merged;    /* already in the bank: merged */
    uint64_t rejected;  /* bad lines, skipped */
} cg_import_report;

/* Imports a list from in (read to its end) into bank_id, in ONE transaction: if reading fails
 * (I/O error, a line longer than max_line in a malformed file, the disk fills), nothing of the
 * file is kept and the bank is as it was. Bad lines are reported and skipped, not fatal. */
CG_API cg_status cg_bank_import(cg_bankdb *db, int64_t bank_id, FILE *in,
                                const cg_import_options *opt, cg_import_report *rep,
                                cg_error *err);

/* Writes the signals of bank_id (0: all banks) to out in format (AUTO means CSV). CSV and TSV
 * carry a header: signal_type,signal,bank,label,quality,source,external_id,note,added,
 * disabled_until. */
CG_API cg_status cg_bank_export(cg_bankdb *db, int64_t bank_id, FILE *out, cg_list_format format,
                                cg_error *err);

/* ---- change log ---- */

/* The sequence number of the latest change (0 for a new database). */
CG_API cg_status cg_bankdb_change_seq(cg_bankdb *db, int64_t *out, cg_error *err);

typedef enum cg_change_kind {
    CG_CHANGE_SIGNAL = 0, /* a signal was added, changed or deleted: reread it by id */
    CG_CHANGE_BANK = 1,   /* a bank was created, changed or deleted (its signals too) */
    CG_CHANGE_BULK = 2    /* many signals of bank id changed at once (a large import): reread
                             the bank's signals, or everything */
} cg_change_kind;

/* Calls fn for every change after seq, in order, with its sequence number, kind and the id of
 * the signal or bank. Returns CG_E_NOTFOUND (calling nothing) when changes after seq were
 * already pruned: the caller must reread everything. */
CG_API cg_status cg_bankdb_changes_since(cg_bankdb *db, int64_t seq,
                                         int (*fn)(int64_t seq, cg_change_kind kind, int64_t id,
                                                   void *ud),
                                         void *ud, cg_error *err);

/* A number that changes whenever anything is committed to the store, by any connection or
 * process, read without a database query where the backend allows it (SQLite in WAL mode: the
 * wal-index header's change counter, shared memory). Equal numbers mean nothing was committed
 * in between; a different number means something (perhaps unrelated) was. CG_E_UNSUPPORTED
 * when this store cannot tell cheaply (SQLite not in WAL mode, a file without shared memory):
 * read what you need instead. Thread-safe: unlike the other functions it may be called while
 * another thread uses db (the HTTP service checks it on every request before reading the keys
 * generation). */
CG_API cg_status cg_bankdb_data_version(cg_bankdb *db, uint64_t *out, cg_error *err);

/* Where a read-only handle (CG_BANKDB_READONLY) reads, when its store has a read replica (a
 * PostgreSQL store with CHILDGUARD_DB_REPLICA: docs/scale.md "A read replica"). */
typedef struct cg_bankdb_replica_state {
    int configured;     /* 1: the handle reads from a replica when it can; 0: the rest is 0 */
    int on_replica;     /* 1: it reads from the replica now; 0: from the primary */
    int lagging;        /* 1: on the primary because the replica was past the lag limit */
    int lost;           /* 1: on the primary because the replica could not be reached */
    double lag_seconds; /* the replica's replay lag as this handle knows it (a lower bound,
                         * measured now); -1 when it cannot say */
} cg_bankdb_replica_state;

/* Checks the replica's lag now (a short statement on the primary and one on the replica,
 * moving the handle between them as a statement would: docs/scale.md) and fills *out. A
 * store or handle without a replica: CG_OK with configured 0. Threading: db's. */
CG_API cg_status cg_bankdb_replica_state_get(cg_bankdb *db, cg_bankdb_replica_state *out,
                                             cg_error *err);

/* ---- the engine's saved live state ---- */

/* Keeps data (len bytes: what cg_engine_state_save wrote) as the saved state of the handle's
 * tenant, replacing the previous one, in one transaction. The store does not look inside. */
CG_API cg_status cg_bankdb_state_put(cg_bankdb *db, const uint8_t *data, size_t len,
                                     cg_error *err);
/* The saved state of the handle's tenant into a new buffer (*data, cg_free; *len bytes) and
 * when it was saved (*saved, unix seconds; may be NULL); CG_E_NOTFOUND when there is none. */
CG_API cg_status cg_bankdb_state_get(cg_bankdb *db, uint8_t **data, size_t *len, int64_t *saved,
                                     cg_error *err);

/* Drops change-log entries older than keep_seconds (0: all but the last). */
CG_API cg_status cg_bankdb_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
