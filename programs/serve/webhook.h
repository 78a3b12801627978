/* Webhook delivery for `childguard serve`: notify actions are written to the outbox in the bank
 * database (include/childguard/outbox.h) and delivered by one background thread — POSTed with
 * libcurl to the URL configured for their target, signed with HMAC-SHA256, retried with
 * exponential back-off, given up after a number of attempts. A restart loses nothing: what was
 * pending is due again when the server comes back. */
#ifndef CG_SERVE_WEBHOOK_H
#define CG_SERVE_WEBHOOK_H

#include <stddef.h>

#include "childguard.h"
#include "metrics.h"

typedef struct webhook_target {
    char name[CG_OUTBOX_TARGET_MAX + 1]; /* "guardian", "moderator", ... */
    char url[1024];                      /* http:// or https:// */
    char secret[256];                    /* HMAC key (required: unsigned is refused) */
    int allow_plain_http;                /* 1: an http:// url is accepted (trusted network) */
} webhook_target;

typedef struct webhook_options {
    const webhook_target *targets;
    size_t n_targets;
    int poll_ms;          /* how often the outbox is checked (default 1000) */
    int max_attempts;     /* then the entry fails for good (default 10) */
    int timeout_ms;       /* per attempt (default 10000) */
    int backoff_s;        /* first retry delay, doubled each attempt, at most an hour (default 30) */
} webhook_options;

typedef struct webhooks webhooks;

/* Opens its own handle on db_path and starts the delivery thread. NULL with a message in
 * err on failure. */
webhooks *webhooks_start(const char *db_path, const webhook_options *opt, metrics *m,
                         cg_error *err);
/* Wakes the thread now (after an entry was added). */
void webhooks_kick(webhooks *w);
/* Stops the thread (an attempt in flight finishes first) and frees everything. */
void webhooks_stop(webhooks *w);

/* Writes the hex HMAC-SHA256 of "<timestamp>.<body>" with key into out (65 bytes): the value
 * of the X-Childguard-Signature header ("sha256=" + this), for receivers to check; "" when it
 * cannot be computed (the delivery is then not sent). Receivers should also refuse a
 * X-Childguard-Timestamp more than 5 minutes from their clock (replays; docs/keys.md). */
void webhook_sign(const char *key, long long timestamp, const char *body, size_t len,
                  char out[65]);

#endif
