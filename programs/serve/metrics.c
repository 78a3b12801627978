/* Counters behind /metrics (metrics.h). A handful of routes and banks: fixed tables under one
 * mutex, a linear search each (a request costs a few string compares). */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 64
#define MAX_BANKS 128
#define N_BUCKETS 12
#define MAX_EVENTS 32

/* Latency buckets, milliseconds (the last is +Inf). */
static const double bucket_ms[N_BUCKETS - 1] = {0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000};

typedef struct route_stat {
    char route[64];
    uint64_t by_class[6];          /* 1xx..5xx by status / 100; [0] other */
    uint64_t buckets[N_BUCKETS];   /* cumulative at render time */
    uint64_t count;
    double sum_ms;
} route_stat;

typedef struct bank_stat {
    char bank[CG_BANK_NAME_MAX + 1];
    char label[CG_BANK_LABEL_MAX + 1];
    uint64_t matches;
} bank_stat;

struct metrics {
    pthread_mutex_t lock;
    route_stat routes[MAX_ROUTES];
    size_t n_routes;
    bank_stat banks[MAX_BANKS];
    size_t n_banks;
    uint64_t webhook_ok, webhook_failed;
    struct {
        const char *name;          /* a string literal */
        uint64_t n;
    } events[MAX_EVENTS];
    size_t n_events;
};

metrics *metrics_new(void)
{
    metrics *m = calloc(1, sizeof(*m));

    if (m != NULL)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_request(metrics *m, const char *route, int status, double ms)
{
    route_stat *r = NULL;

    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_routes && r == NULL; i++)
        if (strcmp(m->routes[i].route, route) == 0)
            r = &m->routes[i];
    if (r == NULL && m->n_routes < MAX_ROUTES) {
        r = &m->routes[m->n_routes++];
        snprintf(r->route, sizeof(r->route), "%s", route);
    }
    if (r != NULL) {
        int b = 0;
        while (b < N_BUCKETS - 1 && ms > bucket_ms[b])
            b++;
        r->buckets[b]++;
        r->by_class[status >= 100 && status < 600 ? status / 100 : 0]++;
        r->count++;
        r->sum_ms += ms;
    }
    pthread_mutex_unlock(&m->lock);
}

void metrics_match(metrics *m, const char *bank, const char *label, unsigned n)
{
    bank_stat *b = NULL;

    if (m == NULL || n == 0)
        return;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_banks && b == NULL; i++)
        if (strcmp(m->banks[i].bank, bank) == 0 && strcmp(m->banks[i].label, label) == 0)
            b = &m->banks[i];
    if (b == NULL && m->n_banks < MAX_BANKS) {
        b = &m->banks[m->n_banks++];
        snprintf(b->bank, sizeof(b->bank), "%s", bank);
        snprintf(b->label, sizeof(b->label), "%s", label);
    }
    if (b != NULL)
        b->matches += n;
    pthread_mutex_unlock(&m->lock);
}

void metrics_webhook(metrics *m, int ok)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    if (ok)
        m->webhook_ok++;
    else
        m->webhook_failed++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_event(metrics *m, const char *event)
{
    size_t i;

    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    for (i = 0; i < m->n_events && strcmp(m->events[i].name, event) != 0; i++)
        ;
    if (i == m->n_events && m->n_events < MAX_EVENTS)
        m->events[m->n_events++].name = event;
    if (i < m->n_events)
        m->events[i].n++;
    pthread_mutex_unlock(&m->lock);
}

/* A growing text buffer; on allocation failure it stays failed and the render returns NULL. */
typedef struct text {
    char *s;
    size_t n, cap;
    int failed;
} text;

__attribute__((format(printf, 2, 3))) static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (t->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        w = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (w < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)w < t->cap - t->n) {
            t->n += (size_t)w;
            return;
        }
        size_t cap = (t->cap + (size_t)w + 1) * 2;
        char *s = realloc(t->s, cap);
        if (s == NULL) {
            t->failed = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

/* Label values are route patterns and bank names: [A-Za-z0-9_.{}/-]; anything else becomes '_'
 * so the exposition format can never be broken by a value. */
static const char *clean(const char *v, char *buf, size_t n)
{
    size_t i = 0;

    for (; v[i] != '\0' && i + 1 < n; i++) {
        char c = v[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '{' || c == '}' || c == '/' || c == '-';
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
    return buf;
}

static void render_requests(const metrics *m, text *t)
{
    char r[64];

    put(t, "# HELP childguard_http_requests_total HTTP requests by route and status class.\n"
           "# TYPE childguard_http_requests_total counter\n");
    for (size_t i = 0; i < m->n_routes; i++)
        for (int c = 0; c < 6; c++)
            if (m->routes[i].by_class[c] > 0)
                put(t, "childguard_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n",
                    clean(m->routes[i].route, r, sizeof(r)),
                    (const char *[]){"other", "1xx", "2xx", "3xx", "4xx", "5xx"}[c],
                    (unsigned long long)m->routes[i].by_class[c]);
    put(t, "# HELP childguard_http_request_duration_seconds Request latency by route.\n"
           "# TYPE childguard_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->n_routes; i++) {
        const route_stat *s = &m->routes[i];
        uint64_t cum = 0;
        clean(s->route, r, sizeof(r));
        for (int b = 0; b < N_BUCKETS; b++) {
            cum += s->buckets[b];
            if (b < N_BUCKETS - 1)
                put(t, "childguard_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                       "%llu\n", r, bucket_ms[b] / 1000.0, (unsigned long long)cum);
            else
                put(t, "childguard_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                       "%llu\n", r, (unsigned long long)cum);
        }
        put(t, "childguard_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", r,
            s->sum_ms / 1000.0);
        put(t, "childguard_http_request_duration_seconds_count{route=\"%s\"} %llu\n", r,
            (unsigned long long)s->count);
    }
}

char *metrics_render(metrics *m, const metrics_gauges *g)
{
    text t = {NULL, 0, 0, 0};
    char a[CG_BANK_NAME_MAX + 1], b[CG_BANK_LABEL_MAX + 1];

    if (m == NULL)
        return NULL;
    pthread_mutex_lock(&m->lock);
    render_requests(m, &t);
    put(&t, "# HELP childguard_matches_total Matches returned, by bank and label.\n"
            "# TYPE childguard_matches_total counter\n");
    for (size_t i = 0; i < m->n_banks; i++)
        put(&t, "childguard_matches_total{bank=\"%s\",label=\"%s\"} %llu\n",
            clean(m->banks[i].bank, a, sizeof(a)), clean(m->banks[i].label, b, sizeof(b)),
            (unsigned long long)m->banks[i].matches);
    put(&t, "# HELP childguard_webhook_deliveries_total Webhook delivery attempts by result.\n"
            "# TYPE childguard_webhook_deliveries_total counter\n"
            "childguard_webhook_deliveries_total{result=\"delivered\"} %llu\n"
            "childguard_webhook_deliveries_total{result=\"failed\"} %llu\n",
        (unsigned long long)m->webhook_ok, (unsigned long long)m->webhook_failed);
    put(&t, "# HELP childguard_events_total Protective events: connections cut for slow headers "
            "or bodies, requests refused for a full buffer or queue, failed and limited "
            "authentications, dropped outbox entries.\n"
            "# TYPE childguard_events_total counter\n");
    for (size_t i = 0; i < m->n_events; i++) {
        char e[64];
        put(&t, "childguard_events_total{event=\"%s\"} %llu\n",
            clean(m->events[i].name, e, sizeof(e)), (unsigned long long)m->events[i].n);
    }
    pthread_mutex_unlock(&m->lock);
    if (g != NULL && g->has_engine)
        put(&t, "# HELP childguard_conversations Conversations whose state is kept.\n"
                "# TYPE childguard_conversations gauge\n"
                "childguard_conversations %llu\n"
                "# HELP childguard_conversations_evicted_total Conversations forgotten to stay "
                "within max_conversations or conversation_ttl.\n"
                "# TYPE childguard_conversations_evicted_total counter\n"
                "childguard_conversations_evicted_total %llu\n",
            (unsigned long long)g->conversations, (unsigned long long)g->conversations_evicted);
    if (g != NULL)
        put(&t, "# HELP childguard_buffered_bytes Request body bytes held across connections.\n"
                "# TYPE childguard_buffered_bytes gauge\n"
                "childguard_buffered_bytes %llu\n"
                "# HELP childguard_decode_queued Decoding requests waiting for a worker.\n"
                "# TYPE childguard_decode_queued gauge\n"
                "childguard_decode_queued %u\n"
                "# HELP childguard_decode_running Decoding requests being worked on.\n"
                "# TYPE childguard_decode_running gauge\n"
                "childguard_decode_running %u\n",
            (unsigned long long)g->buffered_bytes, g->decode_queued, g->decode_running);
    if (g != NULL && g->has_index) {
        put(&t, "# HELP childguard_index_signals Signals in the matcher's snapshot.\n"
                "# TYPE childguard_index_signals gauge\n"
                "childguard_index_signals %llu\n"
                "# HELP childguard_index_bytes Heap bytes of the indexes.\n"
                "# TYPE childguard_index_bytes gauge\n"
                "childguard_index_bytes %zu\n"
                "# HELP childguard_index_age_seconds Seconds since the main index was built.\n"
                "# TYPE childguard_index_age_seconds gauge\n"
                "childguard_index_age_seconds %lld\n"
                "# HELP childguard_index_delta Changes held in the delta index.\n"
                "# TYPE childguard_index_delta gauge\n"
                "childguard_index_delta %llu\n",
            (unsigned long long)g->index.signals, g->index.index_bytes,
            (long long)(g->now - g->index.built_at), (unsigned long long)g->index.delta);
    }
    if (g != NULL && g->has_outbox)
        put(&t, "# HELP childguard_outbox_entries Webhook outbox entries by state.\n"
                "# TYPE childguard_outbox_entries gauge\n"
                "childguard_outbox_entries{state=\"pending\"} %lld\n"
                "childguard_outbox_entries{state=\"delivered\"} %lld\n"
                "childguard_outbox_entries{state=\"failed\"} %lld\n",
            (long long)g->outbox_pending, (long long)g->outbox_delivered,
            (long long)g->outbox_failed);
    if (g != NULL && g->has_replica)
        put(&t, "# HELP childguard_db_replica_reads 1 while read-only handles read from the read "
                "replica, 0 while from the primary (the replica past --db-replica-max-lag, or "
                "unreachable).\n"
                "# TYPE childguard_db_replica_reads gauge\n"
                "childguard_db_replica_reads %d\n"
                "# HELP childguard_db_replica_lag_seconds The read replica's replay lag as a "
                "read-only handle measured it now (a lower bound; -1: cannot say).\n"
                "# TYPE childguard_db_replica_lag_seconds gauge\n"
                "childguard_db_replica_lag_seconds %.3f\n",
            g->replica.on_replica, g->replica.lag_seconds);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s != NULL ? t.s : calloc(1, 1);
}
