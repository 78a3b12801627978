/* The fetch scheduler (exchange_fetcher.h): a scheduler thread and one fetcher thread per
 * exchange being fetched. The scheduler owns the slots (used, thread); a fetcher thread only
 * sets its slot's done flag, under the mutex, and wakes the scheduler. */
#define _GNU_SOURCE /* gettid, pthread_setname_np */
#include "exchange_fetcher.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../exchange_conf.h"
#include "../exchange_creds.h"
#include "../exchange_http.h"
#include "childguard/exchange.h"
#include "childguard/exchange_store.h"

/* One fetcher thread: one run of one exchange, with handles of its own. */
typedef struct worker {
    exchange_fetcher *f;
    char tenant[CG_TENANT_MAX + 1];
    char name[CG_BANK_NAME_MAX + 1];
    exchange_creds_key key; /* the scheduler's, copied at the start (wiped at the end) */
    pthread_t thread;
    int used;         /* the slot holds a thread not joined yet (scheduler's) */
    atomic_int done;  /* the thread has finished its run */
} worker;

struct exchange_fetcher {
    exchange_fetcher_options opt;
    char db[4096], log[4096], key_file[4096];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_cond_t pace_cv; /* fetcher threads pausing between pages (broadcast on stop) */
    int stop, kicked;
    atomic_ulong runs;
    cg_bankdb *bankdb; /* the scheduler's: lists the exchanges */
    worker *workers;   /* max_fetchers slots */
};

typedef struct due_list {
    char (*tenant)[CG_TENANT_MAX + 1];
    char (*name)[CG_BANK_NAME_MAX + 1];
    size_t n, cap;
    int64_t now, interval;
} due_list;

static int collect_due(const cg_exchange_info *ex, void *ud)
{
    due_list *d = ud;

    if (!ex->enabled)
        return 0;
    /* A run that succeeded without reaching the end stopped on its bound with pages waiting
     * (a back-fill): due again at once, not an interval later. */
    if (ex->last_fetch_complete_ts != 0 && d->now - ex->last_fetch_complete_ts < d->interval &&
        !(ex->last_fetch_succeeded && !ex->up_to_date))
        return 0;
    if (ex->next_fetch_ts > d->now) /* backing off after 429, 5xx or no answer */
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        void *t = realloc(d->tenant, cap * sizeof(*d->tenant));

        if (t == NULL)
            return 1;
        d->tenant = t;
        t = realloc(d->name, cap * sizeof(*d->name));
        if (t == NULL)
            return 1;
        d->name = t;
        d->cap = cap;
    }
    snprintf(d->tenant[d->n], sizeof(d->tenant[0]), "%s", ex->tenant);
    snprintf(d->name[d->n], sizeof(d->name[0]), "%s", ex->name);
    d->n++;
    return 0;
}

static void logf_line(const char *event, const char *tenant, const char *name, const char *msg)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "event", event, "tenant", tenant, "exchange",
                          name, "message", msg);
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (s != NULL)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(o);
}

static int should_stop(const cg_exchange_run_result *r, void *ud)
{
    exchange_fetcher *f = ud;
    int stop;

    (void)r;
    pthread_mutex_lock(&f->mu);
    stop = f->stop;
    pthread_mutex_unlock(&f->mu);
    return stop;
}

/* The duty cycle of one run (exchange_fetcher.h, duty_percent): after each page the fetcher
 * thread pauses for its own CPU time since the previous page times (100 - duty) / duty, so it
 * uses at most duty percent of a core however fast the exchange answers. The run's time bound
 * counts the pauses (the run ends at it cleanly, between pages). */
typedef struct pacer {
    exchange_fetcher *f;
    double cpu_mark;      /* this thread's CPU seconds at the previous page */
    size_t pages_seen;    /* pages + pages_failed at the previous call */
    int64_t paused_ms;    /* summed over the run, for the log line */
} pacer;

static double thread_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress callback: pauses after a page (only stopping ends a pause early), then says
 * whether the server is stopping. The run's last call (after its status is recorded) pauses
 * only when it follows a page and the run did not succeed. */
static int between_pages(const cg_exchange_run_result *r, void *ud)
{
    pacer *p = ud;
    exchange_fetcher *f = p->f;
    const size_t seen = r->pages + r->pages_failed;
    const double now = thread_cpu_s(), busy = now - p->cpu_mark;
    int stop;

    pthread_mutex_lock(&f->mu);
    if (f->opt.duty_percent < 100 && seen > p->pages_seen && !r->succeeded && busy > 0) {
        double wait = busy * (100 - f->opt.duty_percent) / f->opt.duty_percent;
        struct timespec until, t0, t1;

        if (wait > (double)f->opt.run_seconds)
            wait = (double)f->opt.run_seconds;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)wait;
        until.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!f->stop && pthread_cond_timedwait(&f->pace_cv, &f->mu, &until) != ETIMEDOUT)
            ;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        p->paused_ms += (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
                        (t1.tv_nsec - t0.tv_nsec) / 1000000;
    }
    stop = f->stop;
    pthread_mutex_unlock(&f->mu);
    p->pages_seen = seen;
    p->cpu_mark = thread_cpu_s();
    return stop;
}

/* Lowers this thread's scheduling priority to nice (Linux's nice is per thread): lookups on the
 * request threads then win the CPU whenever both want it. A failure is logged, not fatal. */
static void lower_priority(exchange_fetcher *f, const char *tenant, const char *name)
{
    char msg[128];

    (void)pthread_setname_np(pthread_self(), "cg-fetch");
    if (f->opt.nice <= 0)
        return;
    errno = 0;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), f->opt.nice) != 0) {
        snprintf(msg, sizeof(msg), "cannot lower the fetcher thread's priority to nice %d: %s",
                 f->opt.nice, strerror(errno));
        logf_line("exchange_error", tenant, name, msg);
    }
}

/* Delivers the exchange's due feedback rows (docs/exchange.md "Feedback") after its fetch run,
 * with the same configuration; what happened is logged, the rows keep their own status. */
static void deliver_feedback(cg_bankdb *db, const char *tenant, const char *name,
                             const cg_exchange_config *cfg)
{
    cg_exchange_feedback_result res;
    char msg[768];
    cg_error err;

    if (cg_exchange_feedback_run(db, name, cfg, NULL, &res, &err) != CG_OK) {
        logf_line("exchange_error", tenant, name, err.message);
        return;
    }
    if (res.sent + res.retried + res.failed == 0)
        return;
    snprintf(msg, sizeof(msg), "%zu sent, %zu waiting for a retry, %zu given up%s%s", res.sent,
             res.retried, res.failed, res.error[0] ? ": " : "", res.error);
    logf_line("exchange_feedback", tenant, name, msg);
}

/* One run of one exchange on the fetcher thread's own handles (db, http), its credentials
 * opened with the scheduler's key (exchange_creds_open: the command line's order); failures
 * are logged and recorded in its status. */
static void run_one(exchange_fetcher *f, cg_bankdb *db, exchange_http *http, const char *tenant,
                    const char *name, const exchange_creds_key *key)
{
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    cg_exchange_run_options opt;
    cg_exchange_run_result res;
    exchange_creds_source source;
    pacer pace = {f, 0, 0, 0};
    exchange_conf conf;
    char *secret = NULL, why[512], msg[768];
    int conf_ok = 0;
    cg_error err;

    memset(&conf, 0, sizeof(conf));
    if (ex == NULL)
        return;
    if (cg_bankdb_set_tenant(db, tenant, &err) != CG_OK ||
        cg_exchange_get(db, name, ex, &err) != CG_OK) {
        logf_line("exchange_error", tenant, name, err.message);
        goto out;
    }
    if (exchange_creds_open(db, ex, key, &secret, &source, why, sizeof(why)) != 0) {
        (void)cg_exchange_fetch_ended(db, ex->id, (int64_t)time(NULL), 0, 0, why, NULL);
        logf_line("exchange_error", tenant, name, why);
        goto out;
    }
    if (exchange_conf_init(&conf, ex, secret, why, sizeof(why)) != 0) {
        (void)cg_exchange_fetch_ended(db, ex->id, (int64_t)time(NULL), 0, 0, why, NULL);
        logf_line("exchange_error", tenant, name, why);
        goto out;
    }
    conf_ok = 1;
    conf.cfg.transport = exchange_http_transport(http);
    /* The run's bound covers the request in flight too (its timeout is cut to what is left). */
    exchange_http_set_deadline(http, exchange_http_now_ms() + 1000LL * f->opt.run_seconds);
    memset(&opt, 0, sizeof(opt));
    opt.max_seconds = f->opt.run_seconds;
    opt.progress = between_pages;
    opt.progress_ud = &pace;
    pace.cpu_mark = thread_cpu_s();
    if (cg_exchange_run(db, name, &conf.cfg, &opt, &res, &err) != CG_OK) {
        logf_line("exchange_error", tenant, name, err.message);
    } else {
        snprintf(msg, sizeof(msg),
                 "%zu pages, %llu records (+%llu -%llu), up_to_date %d, paused %lld ms%s%s",
                 res.pages, (unsigned long long)res.records,
                 (unsigned long long)res.applied.added, (unsigned long long)res.applied.removed,
                 res.up_to_date, (long long)pace.paused_ms, res.error[0] ? ": " : "", res.error);
        logf_line(res.succeeded ? "exchange_fetch" : "exchange_fetch_failed", tenant, name, msg);
    }
    atomic_fetch_add(&f->runs, 1);
    if (!should_stop(NULL, f)) {
        exchange_http_set_deadline(http, exchange_http_now_ms() + 1000LL * f->opt.run_seconds);
        deliver_feedback(db, tenant, name, &conf.cfg);
    }
out:
    if (conf_ok)
        exchange_conf_fini(&conf);
    if (secret != NULL) {
        memset(secret, 0, strlen(secret));
        cg_free(secret);
    }
    free(ex);
}

static int http_cancelled(void *ud)
{
    return should_stop(NULL, ud);
}

/* A fetcher thread: opens its own handles, runs its exchange once, closes them, says done. */
static void *work(void *arg)
{
    worker *w = arg;
    exchange_fetcher *f = w->f;
    exchange_http_options hopt;
    exchange_http *http = NULL;
    cg_bankdb *db = NULL;
    cg_audit *audit = NULL;
    cg_error err;

    lower_priority(f, w->tenant, w->name);
    memset(&hopt, 0, sizeof(hopt));
    hopt.timeout_ms = (long)f->opt.run_seconds * 1000;
    hopt.cancelled = http_cancelled;
    hopt.cancelled_ud = f;
    http = exchange_http_create(&hopt);
    if (http == NULL) {
        logf_line("exchange_error", w->tenant, w->name, "out of memory");
    } else if (cg_bankdb_open(f->db, 0, &db, &err) != CG_OK ||
               (f->log[0] != '\0' &&
                (cg_audit_open(f->log, 0, &audit, &err) != CG_OK ||
                 cg_bankdb_set_audit(db, audit, "exchange-fetcher", &err) != CG_OK))) {
        logf_line("exchange_error", w->tenant, w->name, err.message);
    } else {
        run_one(f, db, http, w->tenant, w->name, &w->key);
    }
    cg_bankdb_close(db);
    cg_audit_close(audit);
    exchange_http_destroy(http);
    exchange_creds_key_wipe(&w->key);
    pthread_mutex_lock(&f->mu);
    atomic_store(&w->done, 1);
    pthread_cond_signal(&f->cv); /* the scheduler may start the next one */
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Joins the fetcher threads that have finished (all of them, waiting, when wait_all). */
static void reap(exchange_fetcher *f, int wait_all)
{
    for (int i = 0; i < f->opt.max_fetchers; i++) {
        worker *w = &f->workers[i];

        if (w->used && (wait_all || atomic_load(&w->done))) {
            pthread_join(w->thread, NULL);
            w->used = 0;
        }
    }
}

/* Starts a fetcher thread for (tenant, name) unless one runs it already or every slot is busy
 * (it is due again at the next tick). */
static void start_one(exchange_fetcher *f, const char *tenant, const char *name,
                      const exchange_creds_key *key)
{
    worker *free_slot = NULL;

    for (int i = 0; i < f->opt.max_fetchers; i++) {
        worker *w = &f->workers[i];

        if (w->used && strcmp(w->tenant, tenant) == 0 && strcmp(w->name, name) == 0)
            return; /* still running (a slow or stuck exchange): never twice at once */
        if (!w->used && free_slot == NULL)
            free_slot = w;
    }
    if (free_slot == NULL)
        return;
    free_slot->f = f;
    snprintf(free_slot->tenant, sizeof(free_slot->tenant), "%s", tenant);
    snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
    free_slot->key = *key;
    atomic_store(&free_slot->done, 0);
    if (pthread_create(&free_slot->thread, NULL, work, free_slot) != 0) {
        exchange_creds_key_wipe(&free_slot->key);
        logf_line("exchange_error", tenant, name, "cannot start a fetcher thread");
        return;
    }
    free_slot->used = 1;
}

static void *loop(void *arg)
{
    exchange_fetcher *f = arg;
    exchange_creds_key key;

    exchange_creds_key_load(&key, f->key_file);
    for (;;) {
        due_list d;
        cg_error err;
        struct timespec until;

        pthread_mutex_lock(&f->mu);
        if (f->stop) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        f->kicked = 0;
        pthread_mutex_unlock(&f->mu);
        reap(f, 0);
        if (!key.loaded) /* made later by the first POST /c/exchanges with credentials */
            exchange_creds_key_load(&key, f->key_file);
        memset(&d, 0, sizeof(d));
        d.now = (int64_t)time(NULL);
        d.interval = f->opt.interval_s;
        if (cg_exchange_list_all(f->bankdb, collect_due, &d, &err) != CG_OK)
            logf_line("exchange_error", "", "", err.message);
        for (size_t i = 0; i < d.n && !should_stop(NULL, f); i++)
            start_one(f, d.tenant[i], d.name[i], &key);
        free(d.tenant);
        free(d.name);
        pthread_mutex_lock(&f->mu);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        while (!f->stop && !f->kicked &&
               pthread_cond_timedwait(&f->cv, &f->mu, &until) == 0)
            ;
        pthread_mutex_unlock(&f->mu);
    }
    reap(f, 1); /* each stops after its page in flight; a request in flight is aborted */
    exchange_creds_key_wipe(&key);
    return NULL;
}

exchange_fetcher *exchange_fetcher_start(const exchange_fetcher_options *opt, cg_error *err)
{
    exchange_fetcher *f = calloc(1, sizeof(*f));
    cg_audit *audit = NULL;

    if (f == NULL) {
        snprintf(err->message, sizeof(err->message), "out of memory");
        return NULL;
    }
    f->opt = *opt;
    if (f->opt.interval_s <= 0)
        f->opt.interval_s = 60;
    if (f->opt.run_seconds <= 0)
        f->opt.run_seconds = 30;
    if (f->opt.max_fetchers <= 0)
        f->opt.max_fetchers = 8;
    if (f->opt.nice < 0 || f->opt.nice > 19)
        f->opt.nice = 0;
    if (f->opt.duty_percent <= 0)
        f->opt.duty_percent = 25;
    if (f->opt.duty_percent > 100)
        f->opt.duty_percent = 100;
    snprintf(f->db, sizeof(f->db), "%s", opt->db);
    snprintf(f->log, sizeof(f->log), "%s", opt->log != NULL ? opt->log : "");
    if (exchange_key_path(opt->key_file != NULL && opt->key_file[0] ? opt->key_file : NULL,
                          f->db, f->key_file, sizeof(f->key_file)) != 0) {
        free(f);
        snprintf(err->message, sizeof(err->message), "exchange key file path too long");
        return NULL;
    }
    f->workers = calloc((size_t)f->opt.max_fetchers, sizeof(*f->workers));
    /* The audit log is opened here once only to refuse a bad path at start (each fetcher
     * thread opens its own handle; appends are serialised by the log's flock). */
    if (f->workers == NULL || cg_bankdb_open(f->db, 0, &f->bankdb, err) != CG_OK ||
        (f->log[0] != '\0' && cg_audit_open(f->log, 0, &audit, err) != CG_OK)) {
        if (f->workers == NULL)
            snprintf(err->message, sizeof(err->message), "out of memory");
        cg_bankdb_close(f->bankdb);
        free(f->workers);
        free(f);
        return NULL;
    }
    cg_audit_close(audit);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    pthread_cond_init(&f->pace_cv, NULL);
    if (pthread_create(&f->thread, NULL, loop, f) != 0) {
        snprintf(err->message, sizeof(err->message), "cannot start the exchange fetcher thread");
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        pthread_cond_destroy(&f->pace_cv);
        cg_bankdb_close(f->bankdb);
        free(f->workers);
        free(f);
        return NULL;
    }
    return f;
}

void exchange_fetcher_kick(exchange_fetcher *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->kicked = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void exchange_fetcher_stop(exchange_fetcher *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_signal(&f->cv);
    pthread_cond_broadcast(&f->pace_cv); /* fetcher threads pausing between pages */
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    pthread_cond_destroy(&f->pace_cv);
    cg_bankdb_close(f->bankdb);
    free(f->workers);
    free(f);
}

unsigned long exchange_fetcher_runs(exchange_fetcher *f)
{
    return f != NULL ? atomic_load(&f->runs) : 0;
}
