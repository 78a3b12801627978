/* The exchanges' fetch scheduler of `childguard serve` (docs/exchange.md, "In serve"): a
 * scheduler thread lists every tenant's exchanges each second and starts a fetcher thread for
 * each enabled one whose last run ended interval_s ago or more and that is not running yet (at
 * most max_fetchers at once). Each fetcher thread has its own database handle, audit log handle
 * and HTTP handle, and runs one bounded fetch run (exchange.h's cg_exchange_run): at most
 * run_seconds, an HTTP request in flight included (its timeout is cut to what is left of the
 * run), so a slow or stuck exchange never delays the others. Fetching and applying never happen
 * on the request threads: lookups read the matcher's snapshot and SQLite's WAL lets them read
 * while a page is written. A back-fill competes with lookups for the CPU only: fetcher threads
 * run at a lower priority (nice) and at most at duty_percent of a core (docs/exchange.md,
 * "Lookups during a back-fill"). */
#ifndef CG_SERVE_EXCHANGE_FETCHER_H
#define CG_SERVE_EXCHANGE_FETCHER_H

#include "childguard.h"

typedef struct exchange_fetcher exchange_fetcher;

typedef struct exchange_fetcher_options {
    const char *db;        /* the bank database */
    const char *log;       /* the audit log ("" none) */
    const char *key_file;  /* the credentials key ("" DB.exchange-key) */
    int interval_s;        /* between runs of one exchange (default 60) */
    int run_seconds;       /* the longest run (default 30) */
    int max_fetchers;      /* exchanges fetched at once (default 8) */
    int nice;              /* fetcher threads' nice, 0..19 (0: unchanged); serve's default 10 */
    int duty_percent;      /* a fetcher thread's CPU share: after each page it pauses for its
                            * CPU time since the previous page times (100 - duty) / duty;
                            * 1..100 (100: no pause), 0: serve's default 25 */
} exchange_fetcher_options;

/* Starts the thread. NULL with err set when the database or log cannot be opened. */
exchange_fetcher *exchange_fetcher_start(const exchange_fetcher_options *opt, cg_error *err);
/* Wakes the thread now (an exchange was added or changed). */
void exchange_fetcher_kick(exchange_fetcher *f);
/* Stops after the pages in flight (a run checks between pages; an HTTP request in flight is
 * aborted within about a second), joins every fetcher thread and frees everything. */
void exchange_fetcher_stop(exchange_fetcher *f);
/* Runs finished since start, for /metrics and the tests. */
unsigned long exchange_fetcher_runs(exchange_fetcher *f);

#endif
