/* childguard: hash exchanges (docs/exchange.md). An exchange is a remote hash-sharing API
 * (NCMEC hash sharing, StopNCII, Meta ThreatExchange) read page by page: each fetch takes the
 * checkpoint stored after the previous page and returns an ordered delta {key: record |
 * deleted}, the checkpoint to store with it, and whether more pages are waiting. The caller
 * applies the delta to the exchange's bank (cg_exchange_apply) and stores the checkpoint; the
 * library keeps neither.
 *
 * The library has no network code: HTTP goes through a transport the application injects
 * (the childguard program uses libcurl; the unit tests answer from memory), and time through
 * an injected clock, so every paging rule is a pure function of the responses and the clock.
 *
 * Threading: the driver table is immutable; a delta, a response and a config belong to one
 * thread at a time. The transport and clock are called on the calling thread. */
#ifndef CHILDGUARD_EXCHANGE_H
#define CHILDGUARD_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "exchange_feedback.h"
#include "exchange_store.h"
#include "export.h"
#include "signal.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the injected transport and clock ---- */

typedef struct cg_http_header {
    const char *name;
    const char *value;
} cg_http_header;

typedef struct cg_http_request {
    const char *method;             /* "GET", "POST", "PUT" */
    const char *url;                /* absolute */
    const cg_http_header *headers;  /* may be NULL when n_headers is 0 */
    size_t n_headers;
    const char *body;               /* NULL: none */
    size_t body_len;
} cg_http_request;

/* A response the transport fills through cg_http_response_append / _set_header; the library
 * owns its memory and caps its body (max_body, set by the library before the call). */
typedef struct cg_http_response {
    int status;          /* HTTP status; 0 when nothing came back */
    char *body;          /* NUL-terminated (the NUL is not counted in body_len) */
    size_t body_len;
    size_t body_cap;
    size_t max_body;     /* appending past this fails with CG_E_LIMIT */
    int truncated;       /* the transport saw the body end early (a short read) */
    int64_t retry_after; /* the answer's Retry-After in seconds (a date made relative), 0 */
} cg_http_response;

/* Appends n bytes to the response body. CG_E_LIMIT past max_body, CG_E_NOMEM. */
CG_API cg_status cg_http_response_append(cg_http_response *r, const void *data, size_t n);
/* Frees the body; the struct may be reused after it. NULL is a no-op. */
CG_API void cg_http_response_fini(cg_http_response *r);

/* Sends req and fills resp (status, body; truncated when the body ended early). Returns CG_OK
 * when a response arrived, whatever its status; CG_E_IO (with err, which may be NULL, naming the
 * URL) when none did (refused, timed out). Never logs header values: they carry credentials. */
typedef struct cg_http_transport {
    cg_status (*send)(void *ud, const cg_http_request *req, cg_http_response *resp,
                      cg_error *err);
    void *ud;
} cg_http_transport;

/* Unix seconds. */
typedef struct cg_clock {
    int64_t (*now)(void *ud);
    void *ud;
} cg_clock;

/* ---- records and deltas ---- */

#define CG_EXCHANGE_MAX_HASHES 8

typedef struct cg_exchange_hash {
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
} cg_exchange_hash;

/* One entry of a delta. key identifies the entry across pages ("ncmec:<member>-<entry>",
 * "stopncii:<type>:<hash>", "fbte:<indicator id>"); a later record with the same key replaces
 * the earlier one. deleted: the exchange withdrew it (its signals leave the bank). */
typedef struct cg_exchange_record {
    char *key;
    int deleted;
    char *member;          /* who shared it (NCMEC member id, StopNCII "", TE owner); may be "" */
    char *entry_id;        /* the exchange's own id for the entry */
    char *classification;  /* NCMEC classification, StopNCII status, TE tags; may be "" */
    int64_t timestamp;     /* unix seconds of the entry's last change; 0 unknown */
    cg_exchange_hash hashes[CG_EXCHANGE_MAX_HASHES];
    size_t n_hashes;
    /* Fingerprints of kinds this build has no signal type for (NCMEC sha1 and pdna, TE TMK). */
    size_t n_unsupported;
} cg_exchange_record;

/* The result of one fetch. Records are in the exchange's order. */
typedef struct cg_exchange_delta {
    cg_exchange_record *records;
    size_t n_records;
    size_t cap_records;
    size_t n_rejected;      /* entries of the page skipped as malformed (see first_reject) */
    char first_reject[CG_ERROR_MAX];
    char *checkpoint;       /* the checkpoint to store with this page (JSON text), never NULL
                               after a fetch that returned CG_OK or CG_E_DECODE */
    int more;               /* 1: fetch again now, more pages are waiting */
    int checkpoint_reset;   /* 1: the given checkpoint was stale and this page starts over */
} cg_exchange_delta;

CG_API void cg_exchange_delta_init(cg_exchange_delta *d);
/* Frees records and checkpoint; d is empty and reusable afterwards. */
CG_API void cg_exchange_delta_fini(cg_exchange_delta *d);

/* ---- drivers ---- */

/* What a driver needs. Strings are borrowed for the call. Fields a driver does not use are
 * ignored; a missing field it needs is CG_E_INVAL naming the field. */
typedef struct cg_exchange_config {
    const char *name;          /* the exchange's name (its bank's name, provenance) */
    const char *base_url;      /* without a trailing slash; NULL: the driver's default */
    const char *user;          /* NCMEC: HTTP Basic user */
    const char *password;      /* NCMEC: HTTP Basic password */
    const char *api_key;       /* StopNCII x-functions-key; TE access token */
    const char *subscription_key; /* StopNCII Ocp-Apim-Subscription-Key */
    const char *feedback_key;  /* StopNCII SubmitFeedback's x-functions-key (NULL: api_key) */
    const char *collab;        /* TE privacy group id */
    size_t page_size;          /* 0: the driver's default */
    size_t max_body;           /* largest response accepted, 0: 64 MiB */
    int64_t start_time;        /* unix seconds the first fetch starts from, 0: the beginning */
    const cg_http_transport *transport;
    const cg_clock *clock;     /* NULL: time(NULL) */
    /* package: the minisign public keys trusted (the base64 line of each .pub), and where the
     * producer's latest full list is (read when a delta does not follow the last package
     * applied; NULL: such a delta fails the run). */
    const char *const *trusted_keys;
    size_t n_trusted_keys;
    const char *full_url;
    /* NCMEC: the reason id a negative feedback carries when its row has none (api_json
     * negative_reason); checked against the reasons NCMEC lists for the fingerprint type when
     * it is sent, and refused naming the accepted ones. NULL or "": none (then a negative
     * without a reason uses the only one NCMEC lists, or is refused). */
    const char *negative_reason;
} cg_exchange_config;

typedef enum cg_exchange_verdict {
    CG_EXCHANGE_FEEDBACK_CONFIRMED = 0,      /* a reviewer confirmed the match */
    CG_EXCHANGE_FEEDBACK_FALSE_POSITIVE = 1  /* the matched content was not what the entry is */
} cg_exchange_verdict;

/* Feedback on one entry, sent back to the exchange it came from. */
typedef struct cg_exchange_feedback {
    const cg_exchange_record *record; /* key, entry_id, member, hashes of the entry */
    cg_exchange_verdict verdict;
    const char *reason;               /* free text or the exchange's reason id; may be NULL */
} cg_exchange_feedback;

typedef struct cg_exchange_driver {
    const char *name;  /* "ncmec", "stopncii", "fb_threatexchange" (HMA's API names) */
    /* Fetches the page after checkpoint (NULL or "": the beginning) into out (which must be
     * initialised and empty). CG_OK: out holds the delta, its checkpoint and more. CG_E_DECODE:
     * the page was malformed; out->checkpoint is still set (it counts the failed attempts so
     * that a page that never parses is retried smaller and then skipped, never forever: store
     * it) and the delta is empty. CG_E_IO / CG_E_BACKEND: the exchange did not answer or
     * answered with an error status; keep the old checkpoint and retry later. */
    cg_status (*fetch)(const cg_exchange_config *cfg, const char *checkpoint,
                       cg_exchange_delta *out, cg_error *err);
    /* Sends feedback on one entry. CG_E_UNSUPPORTED when the driver cannot. */
    cg_status (*feedback)(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                          cg_error *err);
    /* 1 when checkpoint is too old to resume from at unix time now (a full refetch follows). */
    int (*checkpoint_stale)(const char *checkpoint, int64_t now);
} cg_exchange_driver;

/* The driver called name, or NULL. */
CG_API const cg_exchange_driver *cg_exchange_driver_find(const char *name);
CG_API size_t cg_exchange_driver_count(void);
CG_API const cg_exchange_driver *cg_exchange_driver_at(size_t i);

/* ---- page parsers (pure functions of the bytes; the fuzz targets call them) ---- */

/* Parses one NCMEC hash-sharing queryResult page (XML; no DTD, no entities, no network).
 * Appends its records to out; *next gets the paging/next URL (cg_free; NULL when none) and
 * *in_range the entries the server says the whole query holds (estimated as HMA does). name
 * names the input in errors. CG_E_DECODE on a malformed page (nothing appended). */
CG_API cg_status cg_exchange_parse_ncmec(const char *name, const char *xml, size_t len,
                                         cg_exchange_delta *out, char **next,
                                         uint64_t *in_range, cg_error *err);

/* A StopNCII FetchHashes page's paging fields. */
typedef struct cg_stopncii_page {
    char *next_page_token;     /* cg_free; NULL when absent */
    int64_t next_set_timestamp;
    int has_more;
} cg_stopncii_page;

/* Parses one StopNCII FetchHashes page (JSON). Records with hashStatus Withdrawn or Deleted
 * are deletions. A malformed record is skipped and counted in out->n_rejected; a page whose
 * envelope is malformed is CG_E_DECODE (nothing appended). */
CG_API cg_status cg_exchange_parse_stopncii(const char *name, const char *json, size_t len,
                                            cg_exchange_delta *out, cg_stopncii_page *page,
                                            cg_error *err);

/* Parses one ThreatExchange threat_updates page (JSON): should_delete or no descriptors is a
 * deletion. *next: paging.next (cg_free; NULL when none). Malformed records are skipped and
 * counted; a malformed envelope is CG_E_DECODE. */
CG_API cg_status cg_exchange_parse_threat_updates(const char *name, const char *json, size_t len,
                                                  cg_exchange_delta *out, char **next,
                                                  cg_error *err);

/* ---- applying a page to a bank ---- */

typedef struct cg_exchange_apply_report {
    uint64_t added;      /* signals added */
    uint64_t merged;     /* already in the bank (possibly from elsewhere): merged */
    uint64_t removed;    /* signals deleted (withdrawn entries, or hashes an entry dropped) */
    uint64_t skipped;    /* records without a hash of a supported type */
} cg_exchange_apply_report;

/* Applies delta d, in its order, to the bank bank_id through the public bank API: for each
 * record the signals whose external_id is its key are found (one pass over the bank per call),
 * a deleted record's are deleted, an upserted record's hashes are added (source
 * "exchange:<exchange>", external_id = key, note = "member=..; entry=..; class=..") and its
 * stored hashes that the record no longer lists are deleted. Not one transaction: a failure
 * half-way leaves the records before it applied; applying the same page again is harmless
 * (adds merge, deletes of absent signals are skipped), so the caller stores the checkpoint
 * only after CG_OK and refetches otherwise. */
CG_API cg_status cg_exchange_apply(cg_bankdb *db, int64_t bank_id, const char *exchange,
                                   const cg_exchange_delta *d, cg_exchange_apply_report *rep,
                                   cg_error *err);


/* ---- exchanges kept in the store (exchange_store.h) ---- */

/* Applies delta d to exchange ex's bank (ex from cg_exchange_get) and stores d->checkpoint,
 * in ONE write transaction: after a crash the store holds the page and its checkpoint, or
 * neither. Each record's signals are linked to its key (provenance: member, entry id,
 * classification); a deleted record (or one that no longer lists a hash) is unlinked, and a
 * signal the exchange added loses its last link is deleted: signals that were in the bank
 * before the exchange listed them stay. Only the last record of a key in the page counts.
 * Applying the same page twice changes nothing. */
CG_API cg_status cg_exchange_apply_page(cg_bankdb *db, const cg_exchange_info *ex,
                                        const cg_exchange_delta *d,
                                        cg_exchange_apply_report *rep, cg_error *err);

/* The progress of a fetch run, given to the progress callback after each page. */
typedef struct cg_exchange_run_result {
    size_t pages;            /* pages applied */
    size_t pages_failed;     /* malformed pages (retried, shrunk or skipped by the driver) */
    uint64_t records;        /* records applied */
    uint64_t rejected;       /* malformed records skipped inside applied pages */
    cg_exchange_apply_report applied; /* summed over the pages */
    int checkpoint_reset;    /* the stored checkpoint was stale or unreadable: started over */
    int up_to_date;          /* the run read every page there was and skipped none */
    int succeeded;           /* the run ended without an error */
    cg_status status;        /* the error that ended (or marked) the run, CG_OK */
    char error[CG_ERROR_MAX];/* its text, "" */
    /* Back-off (docs/exchange.md): after a run that ended on 429, 5xx or no answer, the
     * failures in a row and when the scheduler may run it again; 0 and 0 otherwise. */
    int consecutive_failures;
    int64_t next_fetch_ts;
    int64_t retry_after;     /* the exchange's Retry-After of the last answer, seconds, 0 */
    uint64_t swept;          /* signals removed by the sweep that ended a full refetch */
} cg_exchange_run_result;

typedef struct cg_exchange_run_options {
    size_t max_pages;        /* pages per run, 0: 1000 */
    int64_t max_seconds;     /* the run stops after this long on the config's clock, 0: 60 */
    size_t max_bad_pages;    /* consecutive malformed pages before the run stops, 0: 16 */
    int full;                /* 1: start from the beginning (a full refetch) */
    /* Called after each page (may be NULL); non-zero stops the run (as a budget would). */
    int (*progress)(const cg_exchange_run_result *so_far, void *ud);
    void *progress_ud;
} cg_exchange_run_options;

/* One fetch run of the handle's tenant's exchange name: reads the stored checkpoint (stale:
 * start over), fetches page after page through cfg (its transport, clock and credentials;
 * cfg->name is set to name for the call), applies each page with its checkpoint
 * (cg_exchange_apply_page) until the exchange has no more pages, the page or time budget is
 * spent, or an error stops it, and records the status (running_fetch_start_ts while it runs,
 * then last_fetch_complete_ts, last_fetch_succeeded, up_to_date, last_error).
 *
 * A malformed page (CG_E_DECODE) stores the driver's checkpoint (which counts the attempt so
 * that the page is retried, shrunk, then skipped: never forever) and the run goes on; a
 * driver that keeps its checkpoint unchanged (NCMEC: pages are regenerated per request) ends
 * the run, to be retried by the next. up_to_date is 1 only when the run reached the end and
 * no page was skipped or failed in it. CG_E_IO / CG_E_BACKEND / CG_E_LIMIT end the run with
 * the checkpoint unchanged. Returns CG_OK when the run was recorded (res says how it went;
 * res->status its error), or the store's error. */
CG_API cg_status cg_exchange_run(cg_bankdb *db, const char *name, const cg_exchange_config *cfg,
                                 const cg_exchange_run_options *opt, cg_exchange_run_result *res,
                                 cg_error *err);

/* ---- delivering queued feedback (exchange_feedback.h; docs/exchange.md "Feedback") ---- */

typedef struct cg_exchange_feedback_options {
    size_t max_items;      /* rows tried per call, 0: 100 */
    int max_attempts;      /* failed attempts before a row is given up, 0: 8 */
    int64_t retry_base;    /* seconds before the first retry, doubling each time, 0: 60 */
    int64_t retry_max;     /* the longest wait between attempts, 0: 6 hours */
    int now;               /* 1: every pending row is tried, waiting or not (an operator's
                              "send now"); 0: only the due ones */
} cg_exchange_feedback_options;

typedef struct cg_exchange_feedback_result {
    size_t sent;           /* rows the exchange accepted */
    size_t retried;        /* rows that failed and wait for a later attempt */
    size_t failed;         /* rows given up (attempts exhausted, or the exchange cannot take
                              them: an entry without member or id, a driver without feedback) */
    cg_status status;      /* the error that stopped the call, CG_OK */
    char error[CG_ERROR_MAX]; /* its text, "" */
} cg_exchange_feedback_result;

/* Delivers the due feedback rows of the handle's tenant's exchange name through its driver's
 * feedback function and cfg (transport, clock, credentials; cfg->name is set to name), oldest
 * first. A row the exchange accepts is marked sent. A row the exchange cannot take
 * (CG_E_INVAL, CG_E_UNSUPPORTED from the driver) is given up with the reason. Any other failure
 * (no answer, an error status such as 401 or 503, 429) is recorded on the row (attempts + 1,
 * last_error; given up after max_attempts), the row is due again after retry_base * 2^(attempts
 * - 1) seconds (at most retry_max), and the call stops there: the exchange is failing, the rest
 * waits. Each outcome is committed before the next row is tried, so a restart neither loses nor
 * resends a row that was marked; a crash between the exchange's answer and the mark resends that
 * one row (NCMEC's PUT and StopNCII's feedback are idempotent). Returns CG_OK when the rows
 * tried were recorded (res says how they went), or the store's error. */
CG_API cg_status cg_exchange_feedback_run(cg_bankdb *db, const char *name,
                                          const cg_exchange_config *cfg,
                                          const cg_exchange_feedback_options *opt,
                                          cg_exchange_feedback_result *res, cg_error *err);

/* ---- NCMEC's negative-feedback reasons (docs/exchange.md, NCMEC "Feedback") ---- */

/* The most reasons read for one fingerprint type; a longer list is refused (CG_E_LIMIT). */
#define CG_NCMEC_REASONS_MAX 64
/* One reason NCMEC accepts in a negative feedback: its id (a GUID; [A-Za-z0-9_.:-], at most 64
 * bytes) and its name (UTF-8, control characters replaced by spaces, cut at 128 bytes). */
typedef struct cg_ncmec_reason {
    char guid[65];
    char name[129];
} cg_ncmec_reason;

/* Reads the reasons NCMEC accepts for negative feedback on fingerprint ("MD5" or "PDQ", the
 * types childguard matches) from GET {base}/v2/feedback/{fingerprint}/reasons with cfg's
 * credentials, transport and base URL. The first cap are written to out, *count gets how many
 * there are. CG_E_INVAL for another fingerprint; CG_E_DECODE for a malformed answer (a DOCTYPE,
 * no availableFeedbackReasons, a reason without a valid guid); CG_E_LIMIT for more than
 * CG_NCMEC_REASONS_MAX; the transport's errors otherwise. Errors name the URL, never a
 * credential. Thread-safe for distinct outputs. The feedback delivery checks a negative's
 * reason id against this list before its PUT. */
CG_API cg_status cg_exchange_ncmec_reasons(const cg_exchange_config *cfg, const char *fingerprint,
                                           cg_ncmec_reason *out, size_t cap, size_t *count,
                                           cg_error *err);

/* ---- credentials at rest (docs/exchange.md, "Credentials") ---- */

#define CG_EXCHANGE_SEAL_KEY_BYTES 32

/* Seals the n bytes of plaintext (the exchange's credentials, JSON) with AES-256-GCM under key,
 * bound to (tenant, name): a blob copied to another exchange or tenant does not open. The blob
 * is "CGS1", a random 12-byte nonce, the ciphertext and the 16-byte tag (*out, cg_free). */
CG_API cg_status cg_exchange_secret_seal(const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                                         const char *tenant, const char *name,
                                         const char *plaintext, size_t n, uint8_t **out,
                                         size_t *out_len, cg_error *err);
/* Opens a blob of cg_exchange_secret_seal into a NUL-terminated plaintext (*out, cg_free;
 * wipe it after use). A wrong key, a blob of another exchange or tenant, or a tampered blob is
 * CG_E_DECODE naming the exchange (never the plaintext). */
CG_API cg_status cg_exchange_secret_open(const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                                         const char *tenant, const char *name,
                                         const uint8_t *blob, size_t len, char **out,
                                         cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
