/* Delivering the exchange feedback queue (cg_exchange_feedback_run, exchange.h;
 * docs/exchange.md "Feedback"): the due rows of one exchange are read first (no read stays
 * open while the network is asked), then each is sent through the exchange's driver and its
 * outcome committed before the next is tried. A failing exchange stops the call at its first
 * failure: the row waits with exponential back-off, and so do the rows behind it, without
 * spending their attempts. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define FB_MAX_ITEMS 100
#define FB_MAX_ATTEMPTS 8
#define FB_RETRY_BASE 60
#define FB_RETRY_MAX (6 * 3600)

typedef struct due_list {
    cg_exchange_feedback_item *items;
    size_t n, cap;
    int oom;
} due_list;

static int collect(const cg_exchange_feedback_item *it, void *ud)
{
    due_list *l = ud;

    if (l->n == l->cap) {
        l->oom = 1;
        return 1;
    }
    l->items[l->n++] = *it;
    return 0;
}

/* Seconds to wait after the attempts-th failed attempt: base, 2 base, 4 base ... up to max. */
static int64_t backoff(int attempts, int64_t base, int64_t max)
{
    int64_t wait = base;

    for (int i = 1; i < attempts && wait < max; i++)
        wait *= 2;
    return wait < max ? wait : max;
}

static void note(cg_exchange_feedback_result *res, cg_status st, const char *text)
{
    if (res->status != CG_OK)
        return;
    res->status = st;
    snprintf(res->error, sizeof(res->error), "%s", text);
}

/* Sends one row; *stop when the exchange is failing. Store errors are returned. */
static cg_status deliver(cg_bankdb *db, const cg_exchange_driver *drv,
                         const cg_exchange_config *cfg, const cg_exchange_feedback_options *opt,
                         const cg_exchange_feedback_item *it, cg_exchange_feedback_result *res,
                         int *stop, cg_error *err)
{
    cg_exchange_record rec;
    cg_exchange_feedback fb;
    const int64_t now = cg__exchange_now(cfg);
    cg_status st;
    cg_error e;

    memset(&rec, 0, sizeof(rec));
    rec.key = (char *)it->key;
    rec.member = (char *)it->member;
    rec.entry_id = (char *)it->entry_id;
    rec.classification = (char *)"";
    if (it->type != NULL) {
        rec.hashes[0].type = it->type;
        memcpy(rec.hashes[0].value, it->value, it->type->bytes);
        rec.n_hashes = 1;
    }
    memset(&fb, 0, sizeof(fb));
    fb.record = &rec;
    fb.verdict = it->verdict == CG_EXCHANGE_FB_CONFIRMED ? CG_EXCHANGE_FEEDBACK_CONFIRMED
                                                         : CG_EXCHANGE_FEEDBACK_FALSE_POSITIVE;
    fb.reason = it->reason[0] != '\0' ? it->reason : NULL;
    memset(&e, 0, sizeof(e));
    st = drv->feedback(cfg, &fb, &e);
    if (st == CG_OK) {
        res->sent++;
        return cg_exchange_feedback_mark(db, it->id, CG_EXCHANGE_FB_SENT, now, 0, NULL, err);
    }
    if (st == CG_E_INVAL || st == CG_E_UNSUPPORTED || it->attempts + 1 >= opt->max_attempts) {
        char why[CG_EXCHANGE_FB_ERROR_MAX + 1];

        res->failed++;
        note(res, st, e.message);
        snprintf(why, sizeof(why), "%s%s",
                 st == CG_E_INVAL || st == CG_E_UNSUPPORTED ? "" : "given up: ", e.message);
        if (st != CG_E_INVAL && st != CG_E_UNSUPPORTED)
            *stop = 1;
        return cg_exchange_feedback_mark(db, it->id, CG_EXCHANGE_FB_FAILED, now, 0, why, err);
    }
    res->retried++;
    note(res, st, e.message);
    *stop = 1;
    return cg_exchange_feedback_mark(
        db, it->id, CG_EXCHANGE_FB_PENDING, now,
        now + backoff(it->attempts + 1, opt->retry_base, opt->retry_max), e.message, err);
}

cg_status cg_exchange_feedback_run(cg_bankdb *db, const char *name,
                                   const cg_exchange_config *cfg_in,
                                   const cg_exchange_feedback_options *opt_in,
                                   cg_exchange_feedback_result *res, cg_error *err)
{
    cg_exchange_feedback_options opt;
    cg_exchange_config cfg;
    const cg_exchange_driver *drv;
    cg_exchange_info *ex = NULL;
    due_list due;
    int stop = 0;
    cg_status st;

    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (db == NULL || name == NULL || cfg_in == NULL || res == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_feedback_run: NULL argument");
    memset(&opt, 0, sizeof(opt));
    if (opt_in != NULL)
        opt = *opt_in;
    if (opt.max_items == 0)
        opt.max_items = FB_MAX_ITEMS;
    if (opt.max_attempts <= 0)
        opt.max_attempts = FB_MAX_ATTEMPTS;
    if (opt.retry_base <= 0)
        opt.retry_base = FB_RETRY_BASE;
    if (opt.retry_max <= 0)
        opt.retry_max = FB_RETRY_MAX;
    cfg = *cfg_in;
    cfg.name = name;
    memset(&due, 0, sizeof(due));
    ex = cg__malloc(sizeof(*ex));
    due.items = cg__malloc(opt.max_items * sizeof(*due.items));
    due.cap = opt.max_items;
    if (ex == NULL || due.items == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: feedback: out of memory", name);
        goto done;
    }
    st = cg_exchange_get(db, name, ex, err);
    if (st != CG_OK)
        goto done;
    drv = cg_exchange_driver_find(ex->api);
    if (drv == NULL) {
        st = cg__fail(err, CG_E_UNSUPPORTED, "exchange %s: unknown API \"%s\"", name, ex->api);
        goto done;
    }
    st = cg_exchange_feedback_list(db, name,
                                   opt.now ? CG_EXCHANGE_FB_ONLY_PENDING : CG_EXCHANGE_FB_DUE,
                                   cg__exchange_now(&cfg),
                                   (int)opt.max_items, collect, &due, err);
    if (st != CG_OK)
        goto done;
    for (size_t i = 0; i < due.n && !stop && st == CG_OK; i++)
        st = deliver(db, drv, &cfg, &opt, &due.items[i], res, &stop, err);
done:
    cg__free(due.items);
    cg__free(ex);
    return st;
}
