/* childguard worker: scan jobs from a NATS JetStream work queue (docs/queue.md).
 *
 * N threads share one engine (its scans are thread-safe) and one durable pull consumer; each
 * fetches a few jobs at a time, scans each through cg_engine_scan with the job id set, so the
 * engine records it at most once (jobs.h: the review item, outbox rows and ledger row commit
 * together), publishes the verdict on S.results and only then acknowledges the job. A job that
 * was already recorded (a redelivery after a worker died between its commit and its ack) is
 * published again and acknowledged, recording nothing. Transient failures (a busy or
 * unreachable store, a publish that times out) are nak'ed with a growing delay; a job that
 * cannot succeed (a bad id, a path outside --root, too large) or that failed --max-attempts
 * times goes to the dead-letter subject S.dead and is terminated. SIGTERM/SIGINT: stop
 * fetching, finish the jobs in hand, nak the unstarted ones for quick redelivery, drain. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childguard.h"
#include "../auditpath.h"
#include "../cli.h"
#include "../dbpath.h"
#include "../hashfile.h"
#include "../progress.h"
#include "queue.h"

typedef struct worker_opts {
    const char *nats, *stream, *root;
    unsigned concurrency;
    size_t max_bytes;
    int max_attempts;
    int64_t backoff_ms, ack_wait_ms;
    int replicas, batch, json, quiet;
    double stats_every;
} worker_opts;

typedef struct worker_shared {
    const worker_opts *o;
    cg_engine *engine;
    queue_link link;
    int root_fd;
    atomic_ullong done, replayed, retried, dead, failed_publish, bytes;
    cg_bankdb *ledger;            /* marks dead-lettered jobs failed (under ledger_lock) */
    pthread_mutex_t ledger_lock;
} worker_shared;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(void)
{
    printf("usage: childguard worker --nats URL[,URL...] [options]\n"
           "\n"
           "Scans jobs from a NATS JetStream work queue (docs/queue.md): content bytes, or a\n"
           "path under --root. One verdict per job is recorded through the store (review,\n"
           "outbox, the job ledger) and published on STREAM.results; the job is acknowledged\n"
           "after that. A redelivered job is never recorded twice.\n"
           "\n"
           "Options:\n"
           "      --nats URLS        NATS servers, comma-separated (several: a cluster)\n"
           "      --stream NAME      the jobs stream (default " QUEUE_STREAM_DEFAULT ")\n"
           "      --concurrency N    worker threads (default 2)\n"
           "      --db PATH          the bank database (default: as for scan)\n"
           "      --policy FILE      the policy (default: the shipped defaults)\n"
           "      --log PATH         the audit log (default: audit.log beside the database)\n"
           "      --no-audit         do not record decisions in the audit log\n"
           "      --root DIR         jobs may name files under DIR (none without it)\n"
           "      --max-bytes N      largest job content (default 33554432)\n"
           "      --max-attempts N   dead-letter a job after N failed attempts (default 5)\n"
           "      --backoff MS       first retry delay, doubled per attempt (default 500)\n"
           "      --ack-wait MS      redelivery after a worker went silent (default 30000;\n"
           "                         used when the consumer is created)\n"
           "      --replicas N       stream replicas when the streams are created (default 1)\n"
           "      --batch N          jobs fetched at a time per thread (default 16)\n"
           "      --json             progress and summary as JSON lines on stderr\n"
           "      --stats-every S    progress every S seconds (default 5; 0: summary only)\n"
           "      --quiet            no progress, summary only\n"
           "      --no-classify      no nudity classifier\n"
           "\n"
           "Exit status: 0 stopped cleanly (SIGTERM/SIGINT), 2 an error.\n");
}

/* The header value or NULL. */
static const char *header(natsMsg *m, const char *key)
{
    const char *v = NULL;

    if (natsMsgHeader_Get(m, key, &v) != NATS_OK)
        return NULL;
    return v;
}

/* Publishes a dead letter for job m (headers only: no content) and terminates the job. */
static void dead_letter(worker_shared *w, natsMsg *m, const char *id, const char *tenant,
                        const char *reason, uint64_t delivered)
{
    natsMsg *d = NULL;
    jsErrCode jerr = 0;
    char n[32];
    natsStatus s;

    snprintf(n, sizeof(n), "%llu", (unsigned long long)delivered);
    s = natsMsg_Create(&d, w->link.names.dead_subject, NULL, "", 0);
    if (s == NATS_OK) {
        natsMsgHeader_Set(d, "Cg-Job", id != NULL ? id : "");
        natsMsgHeader_Set(d, "Cg-Tenant", tenant != NULL ? tenant : "");
        natsMsgHeader_Set(d, "Cg-Reason", reason);
        natsMsgHeader_Set(d, "Cg-Attempts", n);
        if (header(m, "Cg-Path") != NULL)
            natsMsgHeader_Set(d, "Cg-Path", header(m, "Cg-Path"));
        s = queue_publish(&w->link, d, &jerr);
    }
    natsMsg_Destroy(d);
    if (s != NATS_OK) { /* keep the job: it comes back and is dead-lettered again */
        fprintf(stderr, "childguard worker: job %s: dead letter not published: %s\n",
                id != NULL ? id : "(no id)", natsStatus_GetText(s));
        natsMsg_NakWithDelay(m, w->o->backoff_ms, NULL);
        return;
    }
    fprintf(stderr, "childguard worker: job %s: dead-lettered: %s\n", id != NULL ? id : "(no id)",
            reason);
    if (cg_job_id_valid(id) && cg_tenant_valid(tenant)) {
        cg_error e;
        pthread_mutex_lock(&w->ledger_lock);
        if (cg_bankdb_set_tenant(w->ledger, tenant, &e) != CG_OK ||
            cg_job_fail(w->ledger, id, reason, &e) != CG_OK)
            fprintf(stderr, "childguard worker: job %s: %s\n", id, e.message);
        pthread_mutex_unlock(&w->ledger_lock);
    }
    atomic_fetch_add(&w->dead, 1);
    natsMsg_Term(m, NULL);
}

/* Publishes the verdict of job id: Nats-Msg-Id makes a second publish of the same job (after a
 * redelivery) a duplicate the results stream drops within its window. */
static natsStatus publish_result(worker_shared *w, const char *id, const char *tenant,
                                 const char *json, int replayed)
{
    natsMsg *r = NULL;
    jsErrCode jerr = 0;
    char msgid[160];
    natsStatus s;

    snprintf(msgid, sizeof(msgid), "result:%s:%s", tenant, id);
    s = natsMsg_Create(&r, w->link.names.results_subject, NULL, json, (int)strlen(json));
    if (s == NATS_OK) {
        natsMsgHeader_Set(r, "Cg-Job", id);
        natsMsgHeader_Set(r, "Cg-Tenant", tenant);
        natsMsgHeader_Set(r, "Nats-Msg-Id", msgid);
        if (replayed)
            natsMsgHeader_Set(r, "Cg-Replayed", "1");
        s = queue_publish(&w->link, r, &jerr);
    }
    natsMsg_Destroy(r);
    return s;
}

static int transient_status(cg_status st)
{
    return st == CG_E_BACKEND || st == CG_E_IO || st == CG_E_NOMEM;
}

static void process(worker_shared *w, natsMsg *m)
{
    const worker_opts *o = w->o;
    const char *id = header(m, "Cg-Job"), *tenant = header(m, "Cg-Tenant");
    const char *path = header(m, "Cg-Path");
    jsMsgMetaData *meta = NULL;
    uint64_t delivered = 1;
    uint8_t *owned = NULL;
    cg_content c;
    cg_verdict v;
    cg_error err = {CG_OK, ""};
    char why[512];
    cg_status st;

    memset(&v, 0, sizeof(v));
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        delivered = meta->NumDelivered;
        jsMsgMetaData_Destroy(meta);
    }
    if (tenant == NULL || tenant[0] == '\0')
        tenant = CG_TENANT_DEFAULT;
    if (!cg_job_id_valid(id)) {
        dead_letter(w, m, id, tenant, "no valid Cg-Job header (1-64 of [A-Za-z0-9_.:-])",
                    delivered);
        return;
    }
    if (!cg_tenant_valid(tenant)) {
        dead_letter(w, m, id, tenant, "invalid Cg-Tenant header", delivered);
        return;
    }
    if (delivered > (uint64_t)o->max_attempts) {
        /* Delivered more often than allowed although no attempt failed here: workers died on
         * it (a poison job), or its failures were nak'ed by others. */
        snprintf(why, sizeof(why), "delivered %llu times (at most %d attempts)",
                 (unsigned long long)delivered, o->max_attempts);
        dead_letter(w, m, id, tenant, why, delivered);
        return;
    }
    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.tenant = tenant;
    c.job_id = id;
    c.job_callback = header(m, "Cg-Callback");
    c.name = header(m, "Cg-Name") != NULL ? header(m, "Cg-Name") : path;
    if (path != NULL) {
        size_t len = 0;
        if (w->root_fd < 0) {
            dead_letter(w, m, id, tenant, "a path job, but this worker has no --root", delivered);
            return;
        }
        if (queue_path_read(w->root_fd, path, o->max_bytes, &owned, &len, why, sizeof(why)) !=
            0) {
            dead_letter(w, m, id, tenant, why, delivered);
            return;
        }
        c.data = owned;
        c.len = len;
    } else {
        if ((size_t)natsMsg_GetDataLength(m) > o->max_bytes) {
            snprintf(why, sizeof(why), "%d bytes of content (at most %zu)",
                     natsMsg_GetDataLength(m), o->max_bytes);
            dead_letter(w, m, id, tenant, why, delivered);
            return;
        }
        c.data = (const uint8_t *)natsMsg_GetData(m);
        c.len = (size_t)natsMsg_GetDataLength(m);
    }
    if (c.job_callback != NULL && c.job_callback[0] == '\0')
        c.job_callback = NULL;
    st = cg_engine_scan(w->engine, &c, &v, &err);
    if (st != CG_OK) {
        if (transient_status(st) && delivered < (uint64_t)o->max_attempts) {
            int64_t delay = o->backoff_ms;
            for (uint64_t k = 1; k < delivered && delay < 60000; k++)
                delay *= 2;
            fprintf(stderr,
                    "childguard worker: job %s: attempt %llu failed, retry in %lld ms: %s\n", id, (unsigned long long)delivered, (long long)delay, err.message);
            atomic_fetch_add(&w->retried, 1);
            natsMsg_NakWithDelay(m, delay, NULL);
        } else {
            snprintf(why, sizeof(why), "%s", err.message);
            dead_letter(w, m, id, tenant, why, delivered);
        }
        goto out;
    }
    {
        char *json = cg_verdict_to_json(&v, 0);
        natsStatus s = json != NULL ? publish_result(w, id, tenant, json, v.job_replayed)
                                    : NATS_NO_MEMORY;
        cg_free(json);
        if (s != NATS_OK) {
            /* Recorded but not published: the redelivery replays it (publishes, records
             * nothing). */
            atomic_fetch_add(&w->failed_publish, 1);
            natsMsg_NakWithDelay(m, o->backoff_ms, NULL);
            goto out;
        }
    }
    /* The record is committed and the verdict published: now the job may go. An ack that is
     * lost makes a redelivery, which is replayed. */
    natsMsg_AckSync(m, NULL, NULL);
    atomic_fetch_add(&w->done, 1);
    atomic_fetch_add(&w->bytes, c.len);
    if (v.job_replayed)
        atomic_fetch_add(&w->replayed, 1);
out:
    cg_verdict_free(&v);
    free(owned);
}

static void *worker_thread(void *arg)
{
    worker_shared *w = arg;
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    natsStatus s;

    jsSubOptions_Init(&so);
    so.Stream = w->link.names.stream;
    so.Consumer = QUEUE_CONSUMER;
    for (int attempt = 0; !stopping; attempt++) {
        s = js_PullSubscribe(&sub, w->link.js, w->link.names.jobs_subject, QUEUE_CONSUMER, NULL,
                             &so, &jerr);
        if (s == NATS_OK)
            break;
        if (attempt % 20 == 0)
            fprintf(stderr, "childguard worker: subscribing: %s (retrying)\n",
                    natsStatus_GetText(s));
        usleep(250000);
    }
    while (!stopping && sub != NULL) {
        natsMsgList list = {0};

        s = natsSubscription_Fetch(&list, sub, w->o->batch, 1000, &jerr);
        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK) {
            usleep(100000); /* a reconnection or an election: fetch again shortly */
            continue;
        }
        for (int i = 0; i < list.Count; i++) {
            if (stopping) /* not started: back to the queue at once, for the others */
                natsMsg_Nak(list.Msgs[i], NULL);
            else
                process(w, list.Msgs[i]);
        }
        natsMsgList_Destroy(&list);
    }
    if (sub != NULL) {
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    return NULL;
}

static void report(worker_shared *w, const char *event, double elapsed)
{
    unsigned long long done = atomic_load(&w->done);
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;

    if (w->o->json)
        fprintf(stderr,
                "{\"event\":\"%s\",\"done\":%llu,\"replayed\":%llu,\"retried\":%llu,"
                "\"dead\":%llu,\"publish_failed\":%llu,\"bytes\":%llu,\"seconds\":%.3f,"
                "\"jobs_per_s\":%.1f}\n",
                event, done, (unsigned long long)atomic_load(&w->replayed),
                (unsigned long long)atomic_load(&w->retried),
                (unsigned long long)atomic_load(&w->dead),
                (unsigned long long)atomic_load(&w->failed_publish),
                (unsigned long long)atomic_load(&w->bytes), elapsed, rate);
    else
        fprintf(stderr,
                "childguard worker: %s: %llu done (%llu replayed), %llu retried, %llu "
                "dead-lettered, %.1f jobs/s over %.1f s\n",
                event, done, (unsigned long long)atomic_load(&w->replayed),
                (unsigned long long)atomic_load(&w->retried),
                (unsigned long long)atomic_load(&w->dead), rate, elapsed);
}

static int parse_int(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (cli_parse_u64("worker", opt, s, out) != 0)
        return -1;
    if (*out < lo || *out > hi) {
        fprintf(stderr, "childguard worker: %s: %s is out of range %llu..%llu\n", opt, s,
                (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"nats", required_argument, NULL, 'n'},       {"stream", required_argument, NULL, 's'},
        {"concurrency", required_argument, NULL, 'c'}, {"db", required_argument, NULL, 'D'},
        {"policy", required_argument, NULL, 'p'},     {"log", required_argument, NULL, 'L'},
        {"no-audit", no_argument, NULL, 'N'},         {"root", required_argument, NULL, 'r'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"max-attempts", required_argument, NULL, 'a'},
        {"backoff", required_argument, NULL, 'b'},    {"ack-wait", required_argument, NULL, 'w'},
        {"replicas", required_argument, NULL, 'R'},   {"batch", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'J'},             {"stats-every", required_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},            {"no-classify", no_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    worker_opts o = {NULL, QUEUE_STREAM_DEFAULT, NULL, 2, 32u << 20, 5, 500, 30000,
                     1,    16,                   0,    0, 5.0};
    static worker_shared w;
    const char *db_arg = NULL, *log_arg = NULL;
    int no_audit = 0, ch, rc = CLI_OK;
    char path[4096], log_path[4096];
    cg_engine_config cfg;
    cg_error err;
    pthread_t *threads = NULL;
    queue_setup qs;
    uint64_t v;
    double t0, last;

    cg_engine_config_default(&cfg);
    cfg.review = 1;
    cfg.notify = 1;
    cfg.jobs = 1;
    cfg.refresh_ms = 1000;
    cfg.actor = getenv("CHILDGUARD_ACTOR") != NULL ? getenv("CHILDGUARD_ACTOR") : "worker";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n': o.nats = optarg; break;
        case 's': o.stream = optarg; break;
        case 'c':
            if (parse_int("--concurrency", optarg, 1, 256, &v) != 0)
                return CLI_ERROR;
            o.concurrency = (unsigned)v;
            break;
        case 'D': db_arg = optarg; break;
        case 'p': cfg.policy_path = optarg; break;
        case 'L': log_arg = optarg; break;
        case 'N': no_audit = 1; break;
        case 'r': o.root = optarg; break;
        case 'B':
            if (parse_int("--max-bytes", optarg, 1, 1u << 30, &v) != 0)
                return CLI_ERROR;
            o.max_bytes = (size_t)v;
            break;
        case 'a':
            if (parse_int("--max-attempts", optarg, 1, 1000, &v) != 0)
                return CLI_ERROR;
            o.max_attempts = (int)v;
            break;
        case 'b':
            if (parse_int("--backoff", optarg, 1, 600000, &v) != 0)
                return CLI_ERROR;
            o.backoff_ms = (int64_t)v;
            break;
        case 'w':
            if (parse_int("--ack-wait", optarg, 100, 3600000, &v) != 0)
                return CLI_ERROR;
            o.ack_wait_ms = (int64_t)v;
            break;
        case 'R':
            if (parse_int("--replicas", optarg, 1, 5, &v) != 0)
                return CLI_ERROR;
            o.replicas = (int)v;
            break;
        case 'k':
            if (parse_int("--batch", optarg, 1, 1024, &v) != 0)
                return CLI_ERROR;
            o.batch = (int)v;
            break;
        case 'J': o.json = 1; break;
        case 'S': {
            char *end = NULL;
            o.stats_every = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || o.stats_every < 0) {
                fprintf(stderr, "childguard worker: --stats-every: seconds expected, got '%s'\n",
                        optarg);
                return CLI_ERROR;
            }
            break;
        }
        case 'q': o.quiet = 1; break;
        case 'K': cfg.classify = 0; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard worker --help'.\n");
            return CLI_ERROR;
        }
    }
    if (o.nats == NULL) {
        fprintf(stderr,
                "childguard worker: --nats URL is required\nTry 'childguard worker --help'.\n");
        return CLI_ERROR;
    }
    if (queue_link_wants_tls(o.nats))
        queue_tls_prepare(); /* before the engine first uses libcrypto (queue.h) */
    if (optind < argc) {
        fprintf(stderr, "childguard worker: unexpected argument '%s'\n", argv[optind]);
        return CLI_ERROR;
    }
    memset(&w, 0, sizeof(w));
    w.o = &o;
    w.root_fd = -1;
    if (o.root != NULL) {
        w.root_fd = open(o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (w.root_fd < 0) {
            fprintf(stderr, "childguard worker: --root %s: %s\n", o.root, strerror(errno));
            return CLI_ERROR;
        }
    }
    if (dbpath_resolve("worker", db_arg, 0, path, sizeof(path)) != 0)
        return CLI_ERROR;
    if (dbpath_missing(path)) {
        dbpath_error_missing("worker", path);
        return CLI_ERROR;
    }
    cfg.db_path = path;
    cfg.decode.limits.max_file_bytes = o.max_bytes;
    if (!no_audit) {
        if (auditpath_resolve("worker", log_arg, path, log_path, sizeof(log_path)) != 0)
            return CLI_ERROR;
        cfg.audit_path = log_path;
        cfg.audit_fsync = 1;
    }
    if (cg_engine_open(&cfg, &w.engine, &err) != CG_OK) {
        fprintf(stderr, "childguard worker: %s\n", err.message);
        return CLI_ERROR;
    }
    pthread_mutex_init(&w.ledger_lock, NULL);
    if (cg_bankdb_open(path, 0, &w.ledger, &err) != CG_OK) {
        fprintf(stderr, "childguard worker: %s\n", err.message);
        cg_engine_close(w.engine);
        return CLI_ERROR;
    }
    if (queue_link_open("worker", o.nats, o.stream, &w.link) != 0) {
        rc = CLI_ERROR;
        goto out;
    }
    qs.replicas = o.replicas;
    qs.max_job_bytes = (int64_t)o.max_bytes;
    qs.ack_wait_ms = o.ack_wait_ms;
    if (queue_link_setup("worker", &w.link, &qs, 1) != 0) {
        rc = CLI_ERROR;
        goto out;
    }
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }
    threads = calloc(o.concurrency, sizeof(*threads));
    if (threads == NULL) {
        fprintf(stderr, "childguard worker: out of memory\n");
        rc = CLI_ERROR;
        goto out;
    }
    t0 = last = progress_now();
    if (o.json)
        fprintf(stderr, "{\"event\":\"ready\",\"stream\":\"%s\",\"concurrency\":%u}\n",
                o.stream, o.concurrency);
    else if (!o.quiet)
        fprintf(stderr, "childguard worker: ready: stream %s, %u threads\n", o.stream,
                o.concurrency);
    for (unsigned i = 0; i < o.concurrency; i++)
        if (pthread_create(&threads[i], NULL, worker_thread, &w) != 0) {
            fprintf(stderr, "childguard worker: cannot start thread %u\n", i);
            stopping = 1;
            rc = CLI_ERROR;
            o.concurrency = i;
            break;
        }
    while (!stopping) {
        usleep(100000);
        if (!o.quiet && o.stats_every > 0 && progress_now() - last >= o.stats_every) {
            last = progress_now();
            report(&w, "progress", last - t0);
        }
    }
    for (unsigned i = 0; i < o.concurrency; i++)
        pthread_join(threads[i], NULL);
    natsConnection_DrainTimeout(w.link.nc, 10000);
    report(&w, "stopped", progress_now() - t0);
out:
    free(threads);
    queue_link_close(&w.link);
    cg_engine_close(w.engine);
    cg_bankdb_close(w.ledger);
    pthread_mutex_destroy(&w.ledger_lock);
    nats_Close(); /* the client library's threads and globals, after the last connection */
    if (w.root_fd >= 0)
        close(w.root_fd);
    return rc;
}

const cli_command cmd_worker = {"worker", "scan jobs from a NATS JetStream queue", run, usage};
