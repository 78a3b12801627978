/* The libcurl transport of the exchanges (exchange_http.h). */
#include "exchange_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

struct exchange_http {
    CURL *curl;
    exchange_http_options opt;
    long long deadline_ms; /* 0: none */
    cg_http_transport transport;
};

long long exchange_http_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void exchange_http_set_deadline(exchange_http *h, long long deadline_ms)
{
    if (h != NULL)
        h->deadline_ms = deadline_ms;
}

/* libcurl's progress callback: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    exchange_http *h = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return h->opt.cancelled(h->opt.cancelled_ud) != 0;
}

typedef struct sink {
    cg_http_response *resp;
    cg_status st; /* CG_E_LIMIT when the body went over max_body */
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    cg_status st = cg_http_response_append(s->resp, p, size * n);

    if (st != CG_OK) {
        s->st = st;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    return size * n;
}

/* 1 when url is http:// to a loopback host (127.0.0.0/8, [::1], localhost). */
static int loopback_http(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = 0;

    if (u == NULL)
        return 0;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        ok = strcasecmp(scheme, "http") == 0 &&
             (strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 ||
              strcasecmp(host, "localhost") == 0);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static void fail(cg_error *err, cg_status st, const char *fmt, const char *a, const char *b)
{
    if (err == NULL)
        return;
    err->status = st;
    snprintf(err->message, sizeof(err->message), fmt, a, b);
}

/* The URL for messages: without its query (a next link may hold a token). */
static void url_for_message(const char *url, char *out, size_t cap)
{
    size_t n = strcspn(url, "?#");

    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), url);
}

static cg_status send_req(void *ud, const cg_http_request *req, cg_http_response *resp,
                          cg_error *err)
{
    exchange_http *h = ud;
    struct curl_slist *hdr = NULL;
    char line[8192], where[128];
    sink s = {resp, CG_OK};
    long code = 0;
    CURLcode rc;
    int plain = loopback_http(req->url);
    long timeout_ms = h->opt.timeout_ms;

    url_for_message(req->url, where, sizeof(where));
    if (h->deadline_ms > 0) {
        const long long left = h->deadline_ms - exchange_http_now_ms();

        if (left <= 0) {
            fail(err, CG_E_IO, "%.8s %.100s: not sent: the run's time is spent", req->method,
                 where);
            return CG_E_IO;
        }
        if (left < timeout_ms)
            timeout_ms = (long)left;
    }
    if (!plain && strncasecmp(req->url, "https://", 8) != 0) {
        fail(err, CG_E_IO, "%.8s %.100s: refused: only https:// (plain http only to loopback)",
             req->method, where);
        return CG_E_IO;
    }
    curl_easy_reset(h->curl);
    for (size_t i = 0; i < req->n_headers; i++) {
        struct curl_slist *n;

        snprintf(line, sizeof(line), "%s: %s", req->headers[i].name, req->headers[i].value);
        n = curl_slist_append(hdr, line);
        if (n == NULL) {
            curl_slist_free_all(hdr);
            fail(err, CG_E_NOMEM, "%.8s %.100s: out of memory", req->method, where);
            return CG_E_NOMEM;
        }
        hdr = n;
    }
    memset(line, 0, sizeof(line)); /* held a credential */
    curl_easy_setopt(h->curl, CURLOPT_URL, req->url);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, h->opt.connect_timeout_ms);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (h->opt.cancelled != NULL) {
        curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
        curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, h->opt.low_speed_bytes);
    curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, h->opt.low_speed_seconds);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "childguard-exchange/1");
    /* A Content-Length over the cap is refused before the body is read. */
    curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)resp->max_body);
    if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    rc = curl_easy_perform(h->curl);
    curl_slist_free_all(hdr);
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
    if (s.st != CG_OK || rc == CURLE_FILESIZE_EXCEEDED) {
        /* The library names the cap in its message (cg__exchange_send). */
        return CG_E_LIMIT;
    }
    if (rc == CURLE_PARTIAL_FILE && code > 0) {
        resp->status = (int)code;
        resp->truncated = 1;
        return CG_OK;
    }
    if (rc != CURLE_OK) {
        if (err != NULL) {
            err->status = CG_E_IO;
            snprintf(err->message, sizeof(err->message), "%.8s %.100s: %.80s%s", req->method, where,
                     curl_easy_strerror(rc),
                     rc == CURLE_OPERATION_TIMEDOUT ? " (timeout or a body too slow)"
                     : rc == CURLE_ABORTED_BY_CALLBACK ? " (the server is stopping)" : "");
        }
        return CG_E_IO;
    }
    resp->status = (int)code;
    {
        /* Retry-After, seconds or an HTTP date (libcurl makes the date relative); a 429 or
         * 503 that names one is waited out by the fetch scheduler (docs/exchange.md). */
        curl_off_t ra = 0;

        if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            resp->retry_after = (int64_t)ra;
    }
    return CG_OK;
}

exchange_http *exchange_http_create(const exchange_http_options *opt)
{
    exchange_http *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    if (opt != NULL)
        h->opt = *opt;
    if (h->opt.connect_timeout_ms <= 0)
        h->opt.connect_timeout_ms = 10000;
    if (h->opt.timeout_ms <= 0)
        h->opt.timeout_ms = 120000;
    if (h->opt.low_speed_seconds <= 0) {
        h->opt.low_speed_bytes = 1;
        h->opt.low_speed_seconds = 30;
    }
    h->curl = curl_easy_init();
    if (h->curl == NULL) {
        free(h);
        return NULL;
    }
    h->transport.send = send_req;
    h->transport.ud = h;
    return h;
}

void exchange_http_destroy(exchange_http *h)
{
    if (h == NULL)
        return;
    curl_easy_cleanup(h->curl);
    free(h);
}

const cg_http_transport *exchange_http_transport(exchange_http *h)
{
    return &h->transport;
}
