/* /metrics for `childguard serve`: request counts and latencies per route and status, matches
 * per bank and label, webhook deliveries, rendered in Prometheus' text exposition format with
 * the index size and age and the outbox counts read at render time. */
#ifndef CG_SERVE_METRICS_H
#define CG_SERVE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "childguard.h"

typedef struct metrics metrics;

metrics *metrics_new(void);
void metrics_free(metrics *m);

/* One finished request: route is the pattern ("/m/raw_lookup", "/c/bank/{name}"), not the
 * path, so label values stay few. Thread-safe. */
void metrics_request(metrics *m, const char *route, int status, double ms);
/* Matches a lookup or scan returned, per bank and label. Thread-safe. */
void metrics_match(metrics *m, const char *bank, const char *label, unsigned n);
/* A webhook delivery attempt: ok 1 delivered, 0 failed (will retry or gave up). */
void metrics_webhook(metrics *m, int ok);
/* Counts one event ("header_timeout", "slow_body", "buffer_full", "auth_failed",
 * "auth_failures_limited", "decode_queue_full", "outbox_full", ...); a handful of fixed names,
 * rendered as childguard_events_total{event="..."}. Thread-safe. */
void metrics_event(metrics *m, const char *event);

/* Facts read when rendering (any may be absent: has_* = 0). */
typedef struct metrics_gauges {
    int has_index;
    cg_matcher_stats index;
    int has_outbox;
    int64_t outbox_pending, outbox_delivered, outbox_failed;
    int64_t now;                /* unix seconds, for the index age */
    int has_engine;
    uint64_t conversations, conversations_evicted;
    uint64_t buffered_bytes;
    unsigned decode_queued, decode_running;
    int has_replica;            /* serve has a read replica (--db-replica) */
    cg_bankdb_replica_state replica; /* as a read-only handle saw it at render time */
} metrics_gauges;

/* The exposition text (malloc'd, NUL-terminated), or NULL when out of memory. */
char *metrics_render(metrics *m, const metrics_gauges *g);

#endif
