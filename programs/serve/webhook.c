/* The webhook deliverer (webhook.h): one thread, its own database handle, libcurl. */
#include "webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct webhooks {
    webhook_options opt;
    webhook_target *targets;
    cg_bankdb *db;
    metrics *metrics;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop, kicked;
    CURL *curl;
};

void webhook_sign(const char *key, long long timestamp, const char *body, size_t len,
                  char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char prefix[32];
    int n = snprintf(prefix, sizeof(prefix), "%lld.", timestamp);
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t got = 0;

    out[0] = '\0';
    if (ctx != NULL && EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key), params) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
        EVP_MAC_final(ctx, mac, &got, sizeof(mac)) == 1) {
        mac_len = (unsigned int)got;
        cg_hex_encode(mac, mac_len < 32 ? mac_len : 32, out);
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
}

static const webhook_target *find_target(const webhooks *w, const char *name)
{
    for (size_t i = 0; i < w->opt.n_targets; i++)
        if (strcmp(w->targets[i].name, name) == 0)
            return &w->targets[i];
    return NULL;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POSTs one entry; 0 delivered, else -1 with why. */
static int post(webhooks *w, const webhook_target *t, const cg_outbox_entry *e, char *why,
                size_t n)
{
    struct curl_slist *h = NULL;
    char line[256], sig[65];
    long long now = (long long)time(NULL);
    long code = 0;
    size_t len = strlen(e->payload);
    CURLcode rc;

    curl_easy_reset(w->curl);
    h = curl_slist_append(h, "Content-Type: application/json");
    snprintf(line, sizeof(line), "X-Childguard-Delivery: %lld", (long long)e->id);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "X-Childguard-Target: %s", e->target);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "X-Childguard-Timestamp: %lld", now);
    h = curl_slist_append(h, line);
    /* Never unsigned: a receiver cannot tell a forged delivery from a real one without the
     * signature (serve_config_check refuses targets without a secret; a failed HMAC is a
     * failed attempt, not an unsigned one). */
    webhook_sign(t->secret, now, e->payload, len, sig);
    if (t->secret[0] == '\0' || sig[0] == '\0') {
        curl_slist_free_all(h);
        snprintf(why, n, "not sent: the delivery could not be signed");
        return -1;
    }
    snprintf(line, sizeof(line), "X-Childguard-Signature: sha256=%s", sig);
    h = curl_slist_append(h, line);
    curl_easy_setopt(w->curl, CURLOPT_URL, t->url);
    curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, t->allow_plain_http ? "http,https" : "https");
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, e->payload);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, (long)w->opt.timeout_ms);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard);
    rc = curl_easy_perform(w->curl);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        snprintf(why, n, "%s", curl_easy_strerror(rc)); /* never the URL: it may hold a token */
        return -1;
    }
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) {
        snprintf(why, n, "HTTP %ld", code);
        return -1;
    }
    return 0;
}

static int deliver(const cg_outbox_entry *e, void *ud)
{
    webhooks *w = ud;
    const webhook_target *t = find_target(w, e->target);
    char why[512];
    cg_error err;
    int ok;

    if (t == NULL) {
        snprintf(why, sizeof(why), "no webhook configured for target \"%s\"", e->target);
        ok = 0;
        cg_outbox_mark_failed(w->db, e->id, why, &err);
    } else if (post(w, t, e, why, sizeof(why)) == 0) {
        ok = 1;
        cg_outbox_mark_delivered(w->db, e->id, &err);
    } else if (e->attempts + 1 >= w->opt.max_attempts) {
        ok = 0;
        cg_outbox_mark_failed(w->db, e->id, why, &err);
    } else {
        long long delay = (long long)w->opt.backoff_s << (e->attempts < 20 ? e->attempts : 20);
        ok = 0;
        cg_outbox_mark_retry(w->db, e->id, why, (int64_t)time(NULL) + (delay < 3600 ? delay : 3600),
                             &err);
    }
    metrics_webhook(w->metrics, ok);
    pthread_mutex_lock(&w->lock);
    int stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop; /* stop visiting when the server shuts down */
}

static void *run(void *arg)
{
    webhooks *w = arg;

    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        cg_error err;
        if (cg_outbox_due(w->db, (int64_t)time(NULL), 100, deliver, w, &err) != CG_OK)
            fprintf(stderr, "{\"event\":\"webhook\",\"error\":\"outbox: %s\"}\n", err.message);
        pthread_mutex_lock(&w->lock);
        if (w->stop)
            break;
        if (!w->kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += w->opt.poll_ms / 1000;
            ts.tv_nsec += (long)(w->opt.poll_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        }
        w->kicked = 0;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

webhooks *webhooks_start(const char *db_path, const webhook_options *opt, metrics *m,
                         cg_error *err)
{
    webhooks *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        snprintf(err->message, sizeof(err->message), "webhooks: out of memory");
        return NULL;
    }
    w->opt = *opt;
    if (w->opt.poll_ms <= 0)
        w->opt.poll_ms = 1000;
    if (w->opt.max_attempts <= 0)
        w->opt.max_attempts = 10;
    if (w->opt.timeout_ms <= 0)
        w->opt.timeout_ms = 10000;
    if (w->opt.backoff_s <= 0)
        w->opt.backoff_s = 30;
    w->metrics = m;
    if (opt->n_targets > 0) {
        w->targets = calloc(opt->n_targets, sizeof(*w->targets));
        if (w->targets == NULL) {
            free(w);
            snprintf(err->message, sizeof(err->message), "webhooks: out of memory");
            return NULL;
        }
        memcpy(w->targets, opt->targets, opt->n_targets * sizeof(*w->targets));
    }
    w->opt.targets = w->targets;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (cg_bankdb_open(db_path, 0, &w->db, err) != CG_OK)
        goto fail;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    w->curl = curl_easy_init();
    if (w->curl == NULL) {
        snprintf(err->message, sizeof(err->message), "webhooks: libcurl failed to start");
        goto fail;
    }
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        snprintf(err->message, sizeof(err->message), "webhooks: cannot start a thread: %s",
                 strerror(errno));
        goto fail;
    }
    return w;
fail:
    if (w->curl != NULL)
        curl_easy_cleanup(w->curl);
    cg_bankdb_close(w->db);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->targets);
    free(w);
    return NULL;
}

void webhooks_kick(webhooks *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->kicked = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void webhooks_stop(webhooks *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    curl_easy_cleanup(w->curl);
    cg_bankdb_close(w->db);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->targets);
    free(w);
}
