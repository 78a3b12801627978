/* The exchanges' HTTP transport (exchange.h's cg_http_transport) on libcurl: the library has no
 * network code, the program gives it this one (docs/exchange.md, "Transport").
 *
 * Every request: TLS certificates and host names verified (libcurl's defaults, never turned
 * off), https only (plain http only to a loopback address: tests and a local proxy),
 * redirects never followed (a 3xx is an error status: a redirect off-site cannot carry the
 * credentials elsewhere), a connect timeout, a total timeout, a minimum transfer speed (a body
 * that trickles is cut), and the body capped by the response's max_body (the library's
 * cg_http_response_append refuses past it; the transfer is aborted then). Header values carry
 * credentials: they never appear in messages. */
#ifndef CG_PROGRAMS_EXCHANGE_HTTP_H
#define CG_PROGRAMS_EXCHANGE_HTTP_H

#include "childguard/exchange.h"

typedef struct exchange_http_options {
    long connect_timeout_ms; /* 0: 10 s */
    long timeout_ms;         /* the whole request, 0: 120 s */
    long low_speed_bytes;    /* slower than this ... */
    long low_speed_seconds;  /* ... for this long ends the request (0: 1 byte/s for 30 s) */
    /* Polled while a request is in flight (about once a second); non-zero aborts it (a server
     * shutting down). NULL: never. Called on the thread that sends. */
    int (*cancelled)(void *ud);
    void *cancelled_ud;
} exchange_http_options;

typedef struct exchange_http exchange_http;

/* A transport with its own curl handle (one thread at a time). NULL when out of memory. */
exchange_http *exchange_http_create(const exchange_http_options *opt);
void exchange_http_destroy(exchange_http *h);
/* Every request from now on ends by deadline_ms (CLOCK_MONOTONIC milliseconds, as from
 * exchange_http_now_ms; 0: no deadline): its timeout is cut to what is left, and one sent
 * after it fails at once (CG_E_IO "the run's time is spent"). A fetch run's bound. */
void exchange_http_set_deadline(exchange_http *h, long long deadline_ms);
long long exchange_http_now_ms(void);
/* The transport to put in cg_exchange_config (valid while h lives). */
const cg_http_transport *exchange_http_transport(exchange_http *h);

#endif
