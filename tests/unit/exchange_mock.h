/* An in-memory HTTP transport and clock for the exchange tests: each request is answered by the
 * first route whose URL prefix matches (status, body, truncated flag), and every URL asked is
 * kept in order. No network. */
#ifndef CG_TEST_EXCHANGE_MOCK_H
#define CG_TEST_EXCHANGE_MOCK_H

#include <stdio.h>
#include <string.h>

#include "childguard/exchange.h"

#define MOCK_ROUTES 16
#define MOCK_LOG 64

typedef struct mock_route {
    const char *prefix;
    int status;
    const char *body;
    int truncated;
} mock_route;

typedef struct mock {
    mock_route routes[MOCK_ROUTES];
    size_t n_routes;
    char urls[MOCK_LOG][1024];
    char auth[MOCK_LOG][256];   /* the Authorization or x-functions-key header sent */
    size_t n_urls;
    int fail_io;                /* 1: no response at all */
    int64_t retry_after;        /* every answer's Retry-After (seconds), 0 none */
    int64_t now;
} mock;

static void mock_route_add(mock *m, const char *prefix, int status, const char *body,
                           int truncated)
{
    mock_route r = {prefix, status, body, truncated};

    m->routes[m->n_routes++] = r;
}

static cg_status mock_send(void *ud, const cg_http_request *req, cg_http_response *resp,
                           cg_error *err)
{
    mock *m = ud;

    if (m->n_urls < MOCK_LOG) {
        snprintf(m->urls[m->n_urls], sizeof(m->urls[0]), "%s", req->url);
        m->auth[m->n_urls][0] = '\0';
        for (size_t i = 0; i < req->n_headers; i++)
            if (strcmp(req->headers[i].name, "Authorization") == 0 ||
                strcmp(req->headers[i].name, "x-functions-key") == 0)
                snprintf(m->auth[m->n_urls], sizeof(m->auth[0]), "%s", req->headers[i].value);
        m->n_urls++;
    }
    if (m->fail_io) {
        err->status = CG_E_IO;
        snprintf(err->message, sizeof(err->message), "%s: connection refused", req->url);
        return CG_E_IO;
    }
    for (size_t i = 0; i < m->n_routes; i++) {
        if (strncmp(req->url, m->routes[i].prefix, strlen(m->routes[i].prefix)) != 0)
            continue;
        resp->status = m->routes[i].status;
        resp->truncated = m->routes[i].truncated;
        resp->retry_after = m->retry_after;
        return cg_http_response_append(resp, m->routes[i].body, strlen(m->routes[i].body));
    }
    resp->status = 404;
    return CG_OK;
}

static int64_t mock_now(void *ud)
{
    return ((mock *)ud)->now;
}

/* A config whose transport and clock are m's. */
static void mock_config(mock *m, cg_exchange_config *cfg, cg_http_transport *tr, cg_clock *ck)
{
    memset(cfg, 0, sizeof(*cfg));
    tr->send = mock_send;
    tr->ud = m;
    ck->now = mock_now;
    ck->ud = m;
    cfg->transport = tr;
    cfg->clock = ck;
    cfg->name = "test";
}

#endif
