/* One fetch run of an exchange kept in the store (cg_exchange_run, exchange.h): checkpoint in,
 * pages fetched and applied one transaction each, status out.
 *
 * The rules that HMA's fetcher breaks (docs/exchange.md, "Fetch runs"):
 *   - a page and its checkpoint commit together (cg_exchange_apply_page), so a crash between
 *     pages neither loses nor repeats one;
 *   - a malformed page never stalls the exchange: the driver's checkpoint for it (which counts
 *     the attempts, then shrinks and skips) is stored, and the run moves on; a driver that keeps
 *     the same checkpoint for a bad page ends the run (the next run asks again), so a run is
 *     always bounded (pages, seconds, consecutive bad pages);
 *   - up_to_date is reported only when the run reached the end of the exchange and no page of
 *     the run failed or was skipped;
 *   - a stale or unreadable checkpoint starts over from the beginning (and says so). */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define RUN_MAX_PAGES 1000
#define RUN_MAX_SECONDS 60
#define RUN_MAX_BAD_PAGES 16

/* The run's view of the transport: the last answer's status and Retry-After (for the
 * back-off), passed through unchanged. */
typedef struct tap {
    const cg_http_transport *inner;
    int status;          /* of the last request; 0: no answer */
    int64_t retry_after; /* seconds, 0 none */
} tap;

static cg_status tap_send(void *ud, const cg_http_request *req, cg_http_response *resp,
                          cg_error *err)
{
    tap *t = ud;
    cg_status st = t->inner->send(t->inner->ud, req, resp, err);

    t->status = st == CG_OK ? resp->status : 0;
    t->retry_after = st == CG_OK && resp->retry_after > 0 ? resp->retry_after : 0;
    return st;
}

/* A run that ended on an answer worth waiting out: 429, 5xx, or none (refused, timed out). */
static int transient(const cg_exchange_run_result *res, const tap *t)
{
    if (res->succeeded || res->status == CG_OK)
        return 0;
    if (res->status == CG_E_IO)
        return 1;
    return (res->status == CG_E_LIMIT || res->status == CG_E_BACKEND) &&
           (t->status == 429 || (t->status >= 500 && t->status <= 599));
}

static void note(cg_exchange_run_result *res, cg_status st, const cg_error *e)
{
    res->status = st;
    snprintf(res->error, sizeof(res->error), "%s", e != NULL ? e->message : "");
}

/* Mark and sweep: a refetch that reached the end of the exchange with nothing skipped removes
 * the links it did not list again (entries deleted at the exchange while the checkpoint was
 * stale); one that skipped records drops its sweep (it cannot tell deleted from skipped). */
static cg_status sweep_if_done(cg_bankdb *db, const char *name, cg_exchange_info *ex,
                               cg_exchange_run_result *res, int skipped, cg_error *err)
{
    cg_exchange_page_counts c;
    cg_status st;

    if (!res->up_to_date && !skipped)
        return CG_OK;
    st = cg_exchange_get(db, name, ex, err); /* name: not ex->name, which get clears */
    if (st != CG_OK || !ex->sweep_pending)
        return st;
    st = cg_exchange_sweep(db, ex, skipped, &c, err);
    if (st != CG_OK)
        return st;
    res->swept = c.removed;
    res->applied.removed += c.removed;
    return CG_OK;
}

/* Stores the back-off for the next run: the wait grows with each transient failure in a row,
 * a success or another kind of failure resets it. */
static void backoff(cg_bankdb *db, const cg_exchange_info *ex, cg_exchange_run_result *res,
                    const tap *tp, int64_t now)
{
    cg_error e;

    if (transient(res, tp)) {
        res->consecutive_failures = ex->consecutive_failures + 1;
        res->retry_after = tp->retry_after;
        res->next_fetch_ts = now + cg__exchange_backoff_delay(
                                       res->consecutive_failures, tp->retry_after,
                                       (uint64_t)ex->id * 0x100000001B3ull ^
                                           (uint64_t)res->consecutive_failures << 48 ^
                                           (uint64_t)now);
    }
    if (res->consecutive_failures == ex->consecutive_failures && res->next_fetch_ts == 0 &&
        ex->next_fetch_ts == 0)
        return; /* nothing changes */
    /* A store without the columns (CG_E_UNSUPPORTED) fetches at the plain interval. */
    (void)cg_exchange_backoff_put(db, ex->id, res->consecutive_failures, res->next_fetch_ts,
                                  &e);
}

cg_status cg_exchange_run(cg_bankdb *db, const char *name, const cg_exchange_config *cfg_in,
                          const cg_exchange_run_options *opt_in, cg_exchange_run_result *res,
                          cg_error *err)
{
    cg_exchange_run_options opt;
    cg_exchange_config cfg;
    const cg_exchange_driver *drv;
    cg_exchange_info *ex = NULL;
    cg_http_transport tapped;
    tap tp;
    char *cp = NULL;
    int64_t start, end;
    size_t bad = 0;
    int failed = 0, skipped = 0, reached_end = 0, started = 0, refetch = 0;
    cg_status st;
    cg_error e;

    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (db == NULL || name == NULL || cfg_in == NULL || res == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_run: NULL argument");
    memset(&opt, 0, sizeof(opt));
    if (opt_in != NULL)
        opt = *opt_in;
    if (opt.max_pages == 0)
        opt.max_pages = RUN_MAX_PAGES;
    if (opt.max_seconds <= 0)
        opt.max_seconds = RUN_MAX_SECONDS;
    if (opt.max_bad_pages == 0)
        opt.max_bad_pages = RUN_MAX_BAD_PAGES;
    cfg = *cfg_in;
    cfg.name = name;
    memset(&tp, 0, sizeof(tp));
    if (cfg.transport != NULL) {
        tp.inner = cfg.transport;
        tapped.send = tap_send;
        tapped.ud = &tp;
        cfg.transport = &tapped;
    }

    ex = cg__malloc(sizeof(*ex));
    if (ex == NULL)
        return cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", name);
    st = cg_exchange_get(db, name, ex, err);
    if (st != CG_OK)
        goto out;
    drv = cg_exchange_driver_find(ex->api);
    if (drv == NULL) {
        st = cg__fail(err, CG_E_UNSUPPORTED, "exchange %s: no driver for api \"%s\"", name,
                      ex->api);
        goto out;
    }
    start = cg__exchange_now(&cfg);
    st = cg_exchange_fetch_started(db, ex->id, start, err);
    started = st == CG_OK;
    if (st == CG_OK && !opt.full)
        st = cg_exchange_checkpoint_get(db, ex->id, &cp, err);
    if (st != CG_OK)
        goto out;
    if (cp != NULL && cp[0] != '\0' && drv->checkpoint_stale != NULL &&
        drv->checkpoint_stale(cp, start)) {
        /* The driver starts over itself and sets checkpoint_reset on the first page. */
        res->checkpoint_reset = 1;
    }
    if (opt.full)
        res->checkpoint_reset = 1;
    /* From the beginning (asked, stale, or never fetched): the first page applied opens a new
     * link generation, and the end of the refetch sweeps what it did not list again. */
    refetch = res->checkpoint_reset || cp == NULL || cp[0] == '\0';

    for (;;) {
        cg_exchange_delta d;
        cg_exchange_apply_report rep;
        cg_status fs;

        if (res->pages + res->pages_failed >= opt.max_pages ||
            cg__exchange_now(&cfg) - start >= opt.max_seconds)
            break; /* the budget: the next run goes on from the stored checkpoint */
        cg_exchange_delta_init(&d);
        memset(&e, 0, sizeof(e));
        fs = drv->fetch(&cfg, cp != NULL ? cp : "", &d, &e);
        if (fs == CG_E_INVAL && cp != NULL && cp[0] != '\0' && d.checkpoint == NULL &&
            strstr(e.message, "checkpoint") != NULL) {
            /* A checkpoint the driver cannot read (written by hand, or by a newer build):
             * start over rather than stall on it forever. */
            cg_exchange_delta_fini(&d);
            note(res, fs, &e);
            failed = 1;
            res->checkpoint_reset = 1;
            st = cg_exchange_checkpoint_put(db, ex->id, "", err);
            if (st != CG_OK)
                goto out;
            cg__free(cp);
            cp = NULL;
            refetch = 1;
            continue;
        }
        if (fs == CG_OK) {
            if (d.checkpoint_reset)
                res->checkpoint_reset = refetch = 1;
            st = cg__exchange_apply_page(db, ex, &d, refetch, &rep, err);
            if (st != CG_OK) {
                cg_exchange_delta_fini(&d);
                goto out; /* a store failure: nothing of the page stayed */
            }
            bad = 0;
            refetch = 0; /* marked with this page */
            res->pages++;
            res->records += d.n_records;
            res->rejected += d.n_rejected;
            res->applied.added += rep.added;
            res->applied.merged += rep.merged;
            res->applied.removed += rep.removed;
            res->applied.skipped += rep.skipped;
            if (d.n_rejected > 0 && res->status == CG_OK) {
                /* The page applied without its malformed records: say which, not fail. */
                snprintf(res->error, sizeof(res->error), "%zu malformed record(s) skipped: %.200s",
                         d.n_rejected, d.first_reject);
            }
            cg__free(cp);
            cp = d.checkpoint;
            d.checkpoint = NULL;
            reached_end = !d.more;
            cg_exchange_delta_fini(&d);
            if (reached_end)
                break;
        } else if (fs == CG_E_DECODE && d.checkpoint != NULL) {
            const int same = cp != NULL && strcmp(cp, d.checkpoint) == 0;

            failed = 1;
            res->pages_failed++;
            note(res, fs, &e);
            if (strstr(e.message, "skipped") != NULL)
                skipped = 1;
            st = cg_exchange_checkpoint_put(db, ex->id, d.checkpoint, err);
            if (st != CG_OK) {
                cg_exchange_delta_fini(&d);
                goto out;
            }
            cg__free(cp);
            cp = d.checkpoint;
            d.checkpoint = NULL;
            cg_exchange_delta_fini(&d);
            if (same || ++bad >= opt.max_bad_pages)
                break; /* retried by the next run */
        } else {
            /* No answer, an error status, 429, too large, or a bad configuration: keep the
             * checkpoint, end the run. */
            failed = 1;
            note(res, fs != CG_OK ? fs : CG_E_BACKEND, &e);
            cg_exchange_delta_fini(&d);
            break;
        }
        if (opt.progress != NULL && opt.progress(res, opt.progress_ud) != 0)
            break;
    }
    res->succeeded = !failed;
    res->up_to_date = reached_end && !failed && !skipped;
    st = sweep_if_done(db, name, ex, res, skipped, err);
    if (st != CG_OK)
        goto out;
    end = cg__exchange_now(&cfg);
    backoff(db, ex, res, &tp, end);
    st = cg_exchange_fetch_ended(db, ex->id, end, res->succeeded, res->up_to_date, res->error,
                                 err);
    started = 0;
    if (opt.progress != NULL)
        (void)opt.progress(res, opt.progress_ud);
out:
    if (started) {
        /* A store failure ended the run: record it as failed (best effort; if the store
         * cannot even do that, running_fetch_start_ts stays set and shows a stuck run). */
        res->succeeded = 0;
        res->up_to_date = 0;
        note(res, st, err);
        (void)cg_exchange_fetch_ended(db, ex->id, cg__exchange_now(&cfg), 0, 0, res->error,
                                      NULL);
    }
    cg__free(cp);
    cg__free(ex);
    return st;
}
