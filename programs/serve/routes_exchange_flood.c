/* Flood quarantine over HTTP (docs/exchange.md "Flood quarantine", docs/api.md "Exchanges"):
 * what an exchange's bank looks like to the flood counting — the limit that applies and where it
 * comes from, the signals counting this hour (this server process's counters) and the signals a
 * quarantine switched off (from the store's review queue, shared by every process on it).
 *   GET /c/exchange/<name>/flood   the whole listing (exchange_flood_json, full)
 *   GET /c/exchange/<name>/status  its summary as the extra key "flood" (HMA's keys unchanged)
 * The route checks (scope bank:read, the key's tenant, a bank the key may see) are
 * routes_exchange.c's lookup, as for the other /c/exchange/<name> routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard/engine.h"
#include "childguard/hex.h"
#include "serve.h"

/* The most signals listed in each of "counting" and "quarantined" (the counts are whole). */
#define FLOOD_LIST_MAX 100
/* The engine's table: no more signals can be counting at once (CG__FLOOD_SLOTS). */
#define FLOOD_COUNTERS_MAX 1024

static const char *from_name(cg_flood_limit_from f)
{
    switch (f) {
    case CG_FLOOD_FROM_BANK:
        return "bank";
    case CG_FLOOD_FROM_EXCHANGE:
        return "exchange";
    case CG_FLOOD_FROM_NO_DATABASE:
        return "off: the engine has no read-write database";
    default:
        return "engine";
    }
}

/* {"signal_id", "signal_type", "signal", "external_id"} of the bank's signal id, or NULL when it
 * is gone (deleted meanwhile) or not in bank_id. */
static json_t *signal_json(cg_bankdb *db, int64_t id, int64_t bank_id)
{
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1] = "";
    cg_bank_signal s;

    memset(&s, 0, sizeof(s));
    if (cg_bank_signal_get(db, id, &s, NULL) != CG_OK || s.bank_id != bank_id || s.type == NULL)
        return NULL;
    s.type->format(s.value, hex);
    return json_pack("{s:I, s:s, s:s, s:s}", "signal_id", (json_int_t)id, "signal_type",
                     s.type->name, "signal", hex, "external_id", s.external_id);
}

json_t *exchange_flood_json(serve_req *r, cg_bankdb *db, const cg_exchange_info *ex, int full,
                            cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    serve_engine *e = serve_engine_acquire(r->srv);
    cg_flood_counter *c = calloc(FLOOD_COUNTERS_MAX, sizeof(*c));
    int64_t *q = calloc(FLOOD_LIST_MAX, sizeof(*q));
    cg_flood_limit_from from = CG_FLOOD_FROM_ENGINE;
    size_t nc = 0, nq = 0;
    int64_t matches = 0;
    int limit = -1;
    json_t *o = NULL, *counting, *quarantined;
    cg_status st = CG_OK;

    if (c == NULL || q == NULL) {
        st = err->status = CG_E_NOMEM;
        snprintf(err->message, sizeof(err->message), "out of memory");
    }
    if (st == CG_OK && e != NULL)
        st = cg_engine_flood_limit(e->engine, db, ex->name, ex->name, &limit, &from, err);
    if (st == CG_OK && e != NULL)
        st = cg_engine_flood_counters(e->engine, ex->bank_id, now, c, FLOOD_COUNTERS_MAX, &nc,
                                      err);
    if (st == CG_OK)
        st = cg_flood_quarantined(db, ex->bank_id, now, q, FLOOD_LIST_MAX, &nq, err);
    if (e != NULL)
        serve_engine_release(r->srv, e);
    if (st != CG_OK)
        goto out;
    for (size_t i = 0; i < nc && i < FLOOD_COUNTERS_MAX; i++)
        matches += c[i].count;
    o = json_pack("{s:i, s:s, s:I, s:I, s:I, s:s}", "limit_per_hour", limit, "limit_from",
                  from_name(from), "signals_counting", (json_int_t)nc, "matches_this_hour",
                  (json_int_t)matches, "quarantined", (json_int_t)nq, "counters",
                  "this server process (another process on the same store counts apart)");
    if (o == NULL || !full)
        goto out;
    counting = json_array();
    quarantined = json_array();
    json_object_set_new(o, "window_seconds", json_integer(3600));
    json_object_set_new(o, "counting", counting);
    json_object_set_new(o, "quarantined_signals", quarantined);
    for (size_t i = 0; i < nc && i < FLOOD_LIST_MAX; i++) {
        json_t *s = signal_json(db, c[i].signal_id, ex->bank_id);

        if (s == NULL)
            continue;
        json_object_set_new(s, "count", json_integer(c[i].count));
        json_object_set_new(s, "window_start", json_integer(c[i].window_start));
        json_object_set_new(s, "limit", json_integer(c[i].limit));
        json_array_append_new(counting, s);
    }
    for (size_t i = 0; i < nq && i < FLOOD_LIST_MAX; i++) {
        json_t *s = signal_json(db, q[i], ex->bank_id);

        if (s != NULL)
            json_array_append_new(quarantined, s);
    }
out:
    free(c);
    free(q);
    if (st == CG_OK && o == NULL) {
        err->status = CG_E_NOMEM;
        snprintf(err->message, sizeof(err->message), "out of memory");
    }
    return o;
}
