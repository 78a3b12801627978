/* Internal: what the exchange drivers, parsers and the apply step share. */
#ifndef CG_EXCHANGE_INT_H
#define CG_EXCHANGE_INT_H

#include <jansson.h>
#include <stdint.h>

#include "childguard/exchange.h"

/* Longest URL a driver builds or accepts from a page (a next link). */
#define CG_EXCHANGE_URL_MAX 4096

/* Appends a zeroed record to d and returns it in *out (CG_E_NOMEM). key, member, entry_id and
 * classification are copied (NULL: ""). */
cg_status cg__delta_add(cg_exchange_delta *d, const char *key, const char *member,
                        const char *entry_id, const char *classification,
                        cg_exchange_record **out);
/* Drops records from index n on (undoes the appends of a page that then failed). */
void cg__delta_truncate(cg_exchange_delta *d, size_t n);
/* Counts a skipped entry and keeps the first reason. */
void cg__delta_reject(cg_exchange_delta *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets d->checkpoint to a copy of text (CG_E_NOMEM). */
cg_status cg__delta_set_checkpoint(cg_exchange_delta *d, const char *text);

/* Runs parse on each element of array (a JSON page's records; json_records.c): parse appends a
 * record to out or counts the element rejected, and fails only when out of memory, which stops
 * the page with err naming it. */
cg_status cg__delta_parse_records(const char *name, json_t *array,
                                  cg_status (*parse)(json_t *r, size_t i, cg_exchange_delta *out),
                                  cg_exchange_delta *out, cg_error *err);

/* Checkpoints (checkpoint.c). Reads key of o into *out: 1 when it is a non-negative integer or
 * absent (*out unchanged), 0 when it is anything else. */
int cg__cp_get_int(json_t *o, const char *key, int64_t *out);
/* Sets d's checkpoint to o as compact JSON with sorted keys, and releases o (NULL: CG_E_NOMEM,
 * so that a failed json_pack or field set can be handed over as NULL). */
cg_status cg__cp_emit(cg_exchange_delta *d, json_t *o);

/* Adds a hash of the signal type named type_name ("pdq", "md5", "sha256") given as hex text to
 * rec. 1: added; 0: a kind this build has no type for (counted in n_unsupported); -1: the text
 * is not a valid value of the type (reason in why). */
int cg__record_add_hash(cg_exchange_record *rec, const char *type_name, const char *text,
                        char *why, size_t why_cap);

/* The clock's time (time(NULL) when cfg->clock is NULL). */
int64_t cg__exchange_now(const cg_exchange_config *cfg);
/* Sends one request through cfg->transport into resp (initialised here, capped at
 * cfg->max_body). A status outside 200..299 is CG_E_BACKEND (CG_E_LIMIT for 429), a truncated
 * body CG_E_DECODE, each with err naming the exchange and the URL; resp is freed on failure. */
cg_status cg__exchange_send(const cg_exchange_config *cfg, const char *method, const char *url,
                            const cg_http_header *headers, size_t n_headers, const char *body,
                            size_t body_len, cg_http_response *resp, cg_error *err);
/* Percent-encodes s into out (cap bytes with the NUL). CG_E_LIMIT when it does not fit. */
cg_status cg__url_escape(const char *s, char *out, size_t cap);
/* Formats unix seconds as 2024-01-02T03:04:05Z into out (21 bytes at least). */
void cg__exchange_format_time(int64_t t, char *out, size_t cap);

/* HTTP Basic (http_basic.c): "Basic base64(user:password)" into out (cap bytes). user and
 * password together at most CG_HTTP_BASIC_MAX bytes; who names the exchange in errors. */
#define CG_HTTP_BASIC_MAX 512
cg_status cg__http_basic_auth(const char *who, const char *user, const char *password,
                              char *out, size_t cap, cg_error *err);
/* NCMEC feedback (ncmec_feedback.c): the ncmec driver's feedback function. */
cg_status cg__ncmec_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                             cg_error *err);
/* NCMEC GET /v2/status (ncmec_parse.c): this account's member id (digits) into member (cap).
 * CG_E_DECODE when the document is not a status with a numeric member id. */
cg_status cg__ncmec_parse_status(const char *name, const char *xml, size_t len, char *member,
                                 size_t cap, cg_error *err);

/* NCMEC GET /v2/feedback/{FINGERPRINT}/reasons (ncmec_parse.c): the availableFeedbackReasons
 * element's children (attributes guid and name; the root may be that element or hold it) into
 * out (cap), *count how many. CG_E_DECODE on a malformed document, CG_E_LIMIT over cap. */
cg_status cg__ncmec_parse_reasons(const char *name, const char *xml, size_t len,
                                  cg_ncmec_reason *out, size_t cap, size_t *count,
                                  cg_error *err);

/* Back-off between runs (exchange_backoff.c): the first wait after a transient failure is
 * BASE seconds, doubling per failure in a row up to MAX; a Retry-After is honoured up to
 * RETRY_AFTER_MAX. */
#define CG__EXCHANGE_BACKOFF_BASE 30
#define CG__EXCHANGE_BACKOFF_MAX 3600
#define CG__EXCHANGE_RETRY_AFTER_MAX 86400
/* Seconds to wait after the failures-th transient failure in a row (0 when failures < 1): in
 * [d/2, d] for d = min(BASE * 2^(failures-1), MAX), the point drawn from seed; at least
 * min(retry_after, RETRY_AFTER_MAX). */
int64_t cg__exchange_backoff_delay(int failures, int64_t retry_after, uint64_t seed);

/* cg_exchange_apply_page; refetch 1: the page starts a full refetch (a new link generation,
 * cg_exchange_page_refetch, in the page's transaction). */
cg_status cg__exchange_apply_page(cg_bankdb *db, const cg_exchange_info *ex,
                                  const cg_exchange_delta *d, int refetch,
                                  cg_exchange_apply_report *rep, cg_error *err);

/* The drivers (driver table in exchange.c). */
extern const cg_exchange_driver cg__exchange_ncmec;
extern const cg_exchange_driver cg__exchange_stopncii;
extern const cg_exchange_driver cg__exchange_threatexchange;
extern const cg_exchange_driver cg__exchange_file;
extern const cg_exchange_driver cg__exchange_package; /* package_exchange.c */

#endif
