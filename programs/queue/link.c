/* The NATS JetStream link of the queue programs (queue.h): connection, stream and consumer
 * set-up, publishing with retries, job ids. */
#include "queue.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int queue_names_make(const char *cmd, const char *stream, queue_names *out)
{
    size_t n = strlen(stream);

    memset(out, 0, sizeof(*out));
    if (n == 0 || n > QUEUE_NAME_MAX) {
        fprintf(stderr, "childguard %s: --stream '%s': 1-64 characters expected\n", cmd, stream);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = stream[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            fprintf(stderr, "childguard %s: --stream '%s': only A-Z a-z 0-9 _ - allowed\n", cmd,
                    stream);
            return -1;
        }
    }
    snprintf(out->stream, sizeof(out->stream), "%s", stream);
    snprintf(out->results_stream, sizeof(out->results_stream), "%s_RESULTS", stream);
    snprintf(out->jobs_subject, sizeof(out->jobs_subject), "%s.jobs", stream);
    snprintf(out->results_subject, sizeof(out->results_subject), "%s.results", stream);
    snprintf(out->dead_subject, sizeof(out->dead_subject), "%s.dead", stream);
    return 0;
}

int queue_transient(natsStatus s, jsErrCode jerr)
{
    (void)jerr;
    return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_DISCONNECTED ||
           s == NATS_NO_SERVER || s == NATS_STALE_CONNECTION ||
           (s == NATS_ERR && (jerr == JSClusterNotAvailErr || jerr == JSStreamNotFoundErr ||
                              jerr == JSClusterNoPeersErr));
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Writes urls to f with the password of each "scheme://user:password@host" masked: the
 * messages reach logs, which must not hold a secret. */
void queue_urls_masked(FILE *f, const char *urls)
{
    const char *p = urls;

    while (*p != '\0') {
        const char *end = strchr(p, ','), *at, *colon, *user;
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

        user = strstr(p, "://");
        user = user != NULL && (size_t)(user - p) < n ? user + 3 : p;
        at = memchr(user, '@', n - (size_t)(user - p));
        colon = at != NULL ? memchr(user, ':', (size_t)(at - user)) : NULL;
        if (colon != NULL)
            fprintf(f, "%.*s:***%.*s", (int)(colon - p), p, (int)(n - (size_t)(at - p)), at);
        else
            fprintf(f, "%.*s", (int)n, p);
        p += n;
        if (*p == ',')
            fputc(*p++, f);
    }
}

/* TLS from the environment (docs/scale.md "Security"): CHILDGUARD_NATS_CA, the CA file the
 * servers' certificates are checked against, and CHILDGUARD_NATS_CERT + CHILDGUARD_NATS_KEY, a
 * client certificate (the servers map its subject to a user with its permissions). Files, not
 * arguments: nothing secret on a command line, which every local user can read. Any of them
 * turns TLS on; none leaves the URLs' schemes to decide (tls:// is TLS too). */
static natsStatus link_tls(const char *cmd, natsOptions *opts)
{
    const char *ca = getenv("CHILDGUARD_NATS_CA"), *cert = getenv("CHILDGUARD_NATS_CERT"),
               *key = getenv("CHILDGUARD_NATS_KEY");
    natsStatus s;

    if (ca == NULL && cert == NULL && key == NULL)
        return NATS_OK;
    if ((cert == NULL) != (key == NULL)) {
        fprintf(stderr, "childguard %s: CHILDGUARD_NATS_CERT and CHILDGUARD_NATS_KEY go together\n",
                cmd);
        return NATS_INVALID_ARG;
    }
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK && ca != NULL) {
        s = natsOptions_LoadCATrustedCertificates(opts, ca);
        if (s != NATS_OK)
            fprintf(stderr, "childguard %s: CHILDGUARD_NATS_CA %s: %s\n", cmd, ca,
                    natsStatus_GetText(s));
    }
    if (s == NATS_OK && cert != NULL) {
        s = natsOptions_LoadCertificatesChain(opts, cert, key);
        if (s != NATS_OK)
            fprintf(stderr, "childguard %s: CHILDGUARD_NATS_CERT %s / CHILDGUARD_NATS_KEY %s: %s\n",
                    cmd, cert, key, natsStatus_GetText(s));
    }
    return s;
}

int queue_link_wants_tls(const char *urls)
{
    return getenv("CHILDGUARD_NATS_CA") != NULL || getenv("CHILDGUARD_NATS_CERT") != NULL ||
           getenv("CHILDGUARD_NATS_KEY") != NULL || (urls != NULL && strstr(urls, "tls://") != NULL);
}

void queue_tls_prepare(void)
{
    (void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

/* The connection's asynchronous errors: a permissions violation (the server's -ERR, e.g. a
 * certificate that may not publish jobs) is kept for queue_publish, which would otherwise wait
 * for an acknowledgement that never comes and retry its timeouts for minutes. */
static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *ud)
{
    queue_link *l = ud;
    const char *text = NULL;

    (void)sub;
    if (err != NATS_NOT_PERMITTED)
        return;
    (void)natsConnection_GetLastError(nc, &text);
    pthread_mutex_lock(&l->denied_mu);
    snprintf(l->denied, sizeof(l->denied), "%s",
             text != NULL && text[0] != '\0' ? text : "permissions violation");
    pthread_mutex_unlock(&l->denied_mu);
}

int queue_link_denied(queue_link *l, char *out, size_t cap)
{
    pthread_mutex_lock(&l->denied_mu);
    snprintf(out, cap, "%s", l->denied);
    pthread_mutex_unlock(&l->denied_mu);
    return out[0] != '\0';
}

/* Prints why a connection failed: the status and the client library's own account of it
 * (nats_GetLastError: "SSL handshake error: certificate verify failed", ...), with a hint for
 * the TLS cases, which are not worth retrying. */
static void connect_failed(const char *cmd, const char *urls, natsStatus s, const char *detail)
{
    fprintf(stderr, "childguard %s: --nats ", cmd);
    queue_urls_masked(stderr, urls);
    fprintf(stderr, ": %s", natsStatus_GetText(s));
    if (detail != NULL && detail[0] != '\0' && strcmp(detail, natsStatus_GetText(s)) != 0)
        fprintf(stderr, ": %s", detail);
    if (s == NATS_SSL_ERROR || s == NATS_PROTOCOL_ERROR || s == NATS_SECURE_CONNECTION_REQUIRED ||
        (s != NATS_NO_SERVER && queue_link_wants_tls(urls)))
        fprintf(stderr, " (TLS: is the server's certificate signed by CHILDGUARD_NATS_CA and "
                        "made out to the host in the URL; does the server accept the client "
                        "certificate CHILDGUARD_NATS_CERT?)");
    fputc('\n', stderr);
}

int queue_link_open(const char *cmd, const char *urls, const char *stream, queue_link *out)
{
    natsOptions *opts = NULL;
    const char *servers[16];
    char *copy = NULL, *save = NULL, detail[512] = "";
    int n = 0;
    natsStatus s;

    memset(out, 0, sizeof(*out));
    pthread_mutex_init(&out->denied_mu, NULL);
    if (queue_names_make(cmd, stream, &out->names) != 0)
        return -1;
    copy = strdup(urls);
    if (copy == NULL) {
        fprintf(stderr, "childguard %s: out of memory\n", cmd);
        return -1;
    }
    for (char *t = strtok_r(copy, ",", &save); t != NULL && n < 16; t = strtok_r(NULL, ",", &save))
        if (t[0] != '\0')
            servers[n++] = t;
    if (n == 0) {
        fprintf(stderr, "childguard %s: --nats '", cmd);
        queue_urls_masked(stderr, urls);
        fprintf(stderr, "': no server URL\n");
        free(copy);
        return -1;
    }
    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetServers(opts, servers, n);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1); /* forever: a cluster may be electing */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, 250);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(opts, 5000);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(opts, on_async_error, out);
    if (s == NATS_OK)
        s = link_tls(cmd, opts);
    /* A server that is starting (or a cluster coming up) gets about 5 s; then it is an error
     * to report, not a hang. Once connected, reconnection is the client's (forever). Only a
     * server not listening yet is worth waiting for: a TLS failure will not go away. */
    for (int attempt = 0; s == NATS_OK && attempt < 20; attempt++) {
        natsStatus why = NATS_OK;
        const char *text;

        s = natsConnection_Connect(&out->nc, opts);
        if (s == NATS_OK)
            break;
        text = nats_GetLastError(&why);
        snprintf(detail, sizeof(detail), "%s", text != NULL ? text : "");
        if (why == NATS_SSL_ERROR || why == NATS_PROTOCOL_ERROR ||
            why == NATS_SECURE_CONNECTION_REQUIRED || why == NATS_NOT_PERMITTED)
            s = why; /* the connection was made and refused: tell why, do not retry */
        if (s != NATS_NO_SERVER)
            break;
        if (strstr(detail, "SSL") != NULL || strstr(detail, "certificate") != NULL ||
            strstr(detail, "TLS") != NULL) {
            s = NATS_SSL_ERROR;
            break;
        }
        s = NATS_OK;
        nap_ms(250);
    }
    if (s == NATS_OK && out->nc == NULL)
        s = NATS_NO_SERVER;
    natsOptions_Destroy(opts);
    free(copy);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&out->js, out->nc, NULL);
    if (s != NATS_OK) {
        connect_failed(cmd, urls, s, detail);
        queue_link_close(out);
        return -1;
    }
    return 0;
}

void queue_link_close(queue_link *l)
{
    jsCtx_Destroy(l->js);
    if (l->nc != NULL)
        natsConnection_Destroy(l->nc);
    l->js = NULL;
    l->nc = NULL;
}

/* Adds the stream cfg unless a stream of that name exists, retrying transient failures. */
static int ensure_stream(const char *cmd, queue_link *l, jsStreamConfig *cfg)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = NATS_OK;

    for (int attempt = 0; attempt < 80; attempt++) {
        jerr = 0;
        s = js_GetStreamInfo(&si, l->js, cfg->Name, NULL, &jerr);
        if (s == NATS_OK) {
            jsStreamInfo_Destroy(si);
            return 0;
        }
        if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
            jerr = 0;
            s = js_AddStream(&si, l->js, cfg, NULL, &jerr);
            if (s == NATS_OK) {
                jsStreamInfo_Destroy(si);
                return 0;
            }
            if (jerr == JSStreamNameExistErr)
                continue; /* another process made it meanwhile */
        }
        if (!queue_transient(s, jerr))
            break;
        nap_ms(250);
    }
    fprintf(stderr, "childguard %s: stream %s: %s (JetStream error %d)\n", cmd, cfg->Name,
            natsStatus_GetText(s), (int)jerr);
    return -1;
}

int queue_link_setup(const char *cmd, queue_link *l, const queue_setup *q, int consumer)
{
    jsStreamConfig sc;
    jsConsumerConfig cc;
    const char *jobs[1] = {l->names.jobs_subject};
    const char *out[2] = {l->names.results_subject, l->names.dead_subject};
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = NATS_OK;

    jsStreamConfig_Init(&sc);
    sc.Name = l->names.stream;
    sc.Subjects = jobs;
    sc.SubjectsLen = 1;
    sc.Retention = js_WorkQueuePolicy;
    sc.Storage = js_FileStorage;
    sc.Replicas = q->replicas > 0 ? q->replicas : 1;
    sc.MaxMsgSize = (int32_t)(q->max_job_bytes + 4096);
    if (ensure_stream(cmd, l, &sc) != 0)
        return -1;
    jsStreamConfig_Init(&sc);
    sc.Name = l->names.results_stream;
    sc.Subjects = out;
    sc.SubjectsLen = 2;
    sc.Storage = js_FileStorage;
    /* Verdicts and dead letters are read by whoever follows the results; a week bounds what
     * the stream keeps (hashes and decisions, never content). */
    sc.MaxAge = (int64_t)7 * 24 * 3600 * 1000000000LL;
    sc.Replicas = q->replicas > 0 ? q->replicas : 1;
    if (ensure_stream(cmd, l, &sc) != 0)
        return -1;
    if (!consumer)
        return 0;
    jsConsumerConfig_Init(&cc);
    cc.Durable = QUEUE_CONSUMER;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = (q->ack_wait_ms > 0 ? q->ack_wait_ms : 30000) * 1000000LL; /* ns */
    cc.MaxAckPending = 4096;
    for (int attempt = 0; attempt < 80; attempt++) {
        jerr = 0;
        s = js_GetConsumerInfo(&ci, l->js, l->names.stream, QUEUE_CONSUMER, NULL, &jerr);
        if (s == NATS_OK)
            break;
        if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
            jerr = 0;
            s = js_AddConsumer(&ci, l->js, l->names.stream, &cc, NULL, &jerr);
            if (s == NATS_OK)
                break;
        }
        if (!queue_transient(s, jerr) && jerr != JSConsumerNameExistErr)
            break;
        nap_ms(250);
    }
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK) {
        fprintf(stderr, "childguard %s: consumer %s of %s: %s (JetStream error %d)\n", cmd,
                QUEUE_CONSUMER, l->names.stream, natsStatus_GetText(s), (int)jerr);
        return -1;
    }
    return 0;
}

natsStatus queue_publish(queue_link *l, natsMsg *m, jsErrCode *jerr)
{
    jsPubOptions po;
    natsStatus s = NATS_OK;

    char denied[sizeof(l->denied)];

    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    for (int attempt = 0; attempt < 40; attempt++) {
        jsPubAck *pa = NULL;

        *jerr = 0;
        s = js_PublishMsg(&pa, l->js, m, &po, jerr);
        jsPubAck_Destroy(pa);
        if (s == NATS_OK)
            return s;
        /* A publish the server refused comes back as a timeout: the -ERR went to the error
         * handler. Retrying would only wait again. */
        if (queue_link_denied(l, denied, sizeof(denied)))
            return NATS_NOT_PERMITTED;
        if (!queue_transient(s, *jerr))
            return s;
        nap_ms(250);
    }
    return s;
}

int queue_job_id(char out[40])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, r, sizeof(r)) : -1;

    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof(r))
        return -1;
    out[0] = 'j';
    for (size_t i = 0; i < sizeof(r); i++) {
        out[1 + 2 * i] = hex[r[i] >> 4];
        out[2 + 2 * i] = hex[r[i] & 15];
    }
    out[33] = '\0';
    return 0;
}
