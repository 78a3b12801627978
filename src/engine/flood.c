/* Flood quarantine (docs/exchange.md "Flood quarantine"): a signal that an exchange put in a
 * bank and that matches more than its limit times within an hour of its first counted match
 * (the limit: the bank's flood_per_hour setting, else the exchange's api_json flood_per_hour,
 * else cfg.flood_per_hour; read once per signal when its window starts) is switched off (cg_bank_signal_set_disabled until enabled again: matching off, audited
 * as signal_disable), and a review item asks a person to release it (false_positive: the
 * quarantine was a false alarm, matching on again) or confirm it (the signal stays off). One
 * "quarantine" audit record says why.
 *
 * Only PDQ matches count, and only of contents that differ (see counted_signal, new_content):
 * re-uploading one image, or near-duplicates of it, cannot switch a signal off.
 *
 * The counters are in memory, per engine, and only matches touch them: a lookup that matches
 * nothing pays one test in cg__engine_record. Each counted signal has a slot {signal, start,
 * count} in a fixed table of CG__FLOOD_SLOTS; a window older than an hour starts again at the
 * next match. A signal that finds neither its slot nor a free or expired one within FLOOD_PROBE
 * probes takes the probed slot with the fewest matches (a flooding signal keeps its slot; a rare
 * one may lose its count, which only delays a quarantine, never causes one). Called under
 * record_lock. cg_engine_flood_counters reads the table under the same lock (the HTTP route
 * GET /c/exchange/<name>/flood); cg_engine_flood_limit says which limit applies and where it
 * comes from, with the same rules as the counting (resolve). */
#include "engine/engine_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard/exchange_store.h"
#include "childguard/review.h"
#include "common/alloc.h"
#include "common/error.h"

#define FLOOD_PROBE 16
#define FLOOD_NEAR 31

/* Only PDQ matches of exchange signals count: a hash that floods is one that matches many
 * different images (too broad, or of a common benign picture). An exact digest matches one
 * content only, so counting it would only count re-uploads of the same file: an abuser could
 * then switch off the signal of their own content by uploading it over and over. */
static int counted_signal(const cg_match *m)
{
    return m->kind == CG_BANK_BLOCK && !m->suppressed && m->signal_id > 0 &&
           m->type != NULL && strcmp(m->type->name, "pdq") == 0 &&
           strncmp(m->source, "exchange:", 9) == 0;
}

/* 1 when q is a new content for slot s: farther than FLOOD_NEAR bits (PDQ's usual
 * near-duplicate distance) from each of the last counted ones. Near-duplicates of one image and
 * re-encodings of it count once while they stay in the ring; the ring is small, so this is a
 * cheap filter, not an exact count of distinct images. */
static int new_content(cg__flood_slot *s, const cg_pdq *q)
{
    for (int i = 0; i < s->n_seen && i < CG__FLOOD_SEEN; i++)
        if (cg_pdq_distance(&s->seen[i], q) <= FLOOD_NEAR)
            return 0;
    s->seen[s->n_seen % CG__FLOOD_SEEN] = *q;
    s->n_seen++;
    return 1;
}

static cg__flood_slot *slot_for(cg__flood *f, int64_t id, int64_t now)
{
    const size_t h = (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 40) % CG__FLOOD_SLOTS;
    cg__flood_slot *vacant = NULL, *least = NULL, *take;

    for (size_t i = 0; i < FLOOD_PROBE; i++) {
        cg__flood_slot *s = &f->slots[(h + i) % CG__FLOOD_SLOTS];
        const int expired = now - s->start >= 3600;

        if (s->signal_id == id) {
            if (expired) { /* the window ended: a new one, the limit read again */
                s->start = now;
                s->count = 0;
                s->n_seen = 0;
                s->limit = 0;
            }
            return s;
        }
        if (s->signal_id == 0 || expired) {
            if (vacant == NULL)
                vacant = s;
        } else if (least == NULL || s->count < least->count) {
            least = s;
        }
    }
    take = vacant != NULL ? vacant : least;
    take->signal_id = id;
    take->start = now;
    take->count = 0;
    take->n_seen = 0;
    take->limit = 0;
    return take;
}

/* The exchange's api_json "flood_per_hour" (0: not set, or unreadable). */
static int exchange_limit(cg_bankdb *db, const char *exchange)
{
    cg_exchange_info *ex;
    int limit = 0;

    if (exchange == NULL || exchange[0] == '\0')
        return 0;
    ex = cg__malloc(sizeof(*ex));
    if (ex != NULL && cg_exchange_get(db, exchange, ex, NULL) == CG_OK) {
        json_t *o = json_loads(ex->api_json, 0, NULL);
        json_t *v = json_object_get(o, "flood_per_hour");

        if (json_is_integer(v) && json_integer_value(v) >= -1 &&
            json_integer_value(v) <= CG_BANK_FLOOD_MAX)
            limit = (int)json_integer_value(v);
        json_decref(o);
    }
    cg__free(ex);
    return limit;
}

/* The limit of bank's signals from exchange on db: the bank's flood_per_hour when set, else the
 * exchange's api_json flood_per_hour when set (0 there is "not set" too), else the engine's. A
 * store error or a bank or exchange that is gone (deleted meanwhile) falls back to the
 * engine's: a read failure never stops counting. -1: off. */
static int resolve(const cg_engine *e, cg_bankdb *db, const char *bank, const char *exchange,
                   cg_flood_limit_from *from)
{
    cg_bank b;
    int limit;

    if (e->cfg.flood_per_hour <= 0 || db == NULL) {
        *from = db == NULL ? CG_FLOOD_FROM_NO_DATABASE : CG_FLOOD_FROM_ENGINE;
        return -1;
    }
    if (cg_bank_get(db, bank, &b, NULL) == CG_OK && b.flood_per_hour != 0) {
        *from = CG_FLOOD_FROM_BANK;
        return b.flood_per_hour;
    }
    limit = exchange_limit(db, exchange);
    *from = limit != 0 ? CG_FLOOD_FROM_EXCHANGE : CG_FLOOD_FROM_ENGINE;
    return limit != 0 ? limit : e->cfg.flood_per_hour;
}

static int resolve_limit(cg_engine *e, const cg_match *m)
{
    cg_flood_limit_from from;

    return resolve(e, e->rw_db, m->bank, m->source + 9, &from);
}

cg_status cg_engine_flood_limit(cg_engine *e, cg_bankdb *db, const char *bank,
                                const char *exchange, int *limit, cg_flood_limit_from *from,
                                cg_error *err)
{
    if (limit != NULL)
        *limit = -1;
    if (e == NULL || bank == NULL || limit == NULL || from == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_engine_flood_limit: NULL argument");
    /* The engine counts only with its read-write database; the limit is read on db. */
    if (e->rw_db == NULL) {
        *from = CG_FLOOD_FROM_NO_DATABASE;
        return CG_OK;
    }
    *limit = resolve(e, db, bank, exchange, from);
    return CG_OK;
}

static int by_count_desc(const void *a, const void *b)
{
    const cg_flood_counter *x = a, *y = b;

    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->signal_id < y->signal_id ? -1 : x->signal_id > y->signal_id;
}

cg_status cg_engine_flood_counters(cg_engine *e, int64_t bank_id, int64_t now,
                                   cg_flood_counter *out, size_t cap, size_t *count,
                                   cg_error *err)
{
    cg_flood_counter *all;
    size_t n = 0;

    if (count != NULL)
        *count = 0;
    if (e == NULL || count == NULL || (out == NULL && cap > 0))
        return cg__fail(err, CG_E_INVAL, "cg_engine_flood_counters: NULL argument");
    all = cg__malloc(CG__FLOOD_SLOTS * sizeof(*all));
    if (all == NULL)
        return cg__fail(err, CG_E_NOMEM, "flood counters: out of memory");
    pthread_mutex_lock(&e->record_lock);
    for (size_t i = 0; i < CG__FLOOD_SLOTS; i++) {
        const cg__flood_slot *s = &e->flood.slots[i];

        /* A window older than an hour is over (slot_for starts it again at the next match). */
        if (s->signal_id == 0 || s->count == 0 || now - s->start >= 3600 || now < s->start ||
            (bank_id > 0 && s->bank_id != bank_id))
            continue;
        all[n].signal_id = s->signal_id;
        all[n].bank_id = s->bank_id;
        all[n].window_start = s->start;
        all[n].count = s->count;
        all[n].limit = s->limit;
        n++;
    }
    pthread_mutex_unlock(&e->record_lock);
    qsort(all, n, sizeof(*all), by_count_desc);
    if (cap > 0)
        memcpy(out, all, (n < cap ? n : cap) * sizeof(*all));
    cg__free(all);
    *count = n;
    return CG_OK;
}

static cg_status quarantine(cg_engine *e, const cg_verdict *v, const cg_match *m, int64_t count,
                            int limit, int64_t now, cg_error *err)
{
    cg_review_item *it;
    cg_bank_signal sig;
    json_t *rec;
    char *text = NULL, hex[2 * CG_SIGNAL_MAX_BYTES + 1] = "";
    cg_status st;

    st = cg_bank_signal_set_disabled(e->rw_db, m->signal_id, INT64_MAX, err);
    if (st == CG_E_NOTFOUND)
        return CG_OK; /* deleted meanwhile: nothing left to quarantine */
    if (st != CG_OK)
        return st;
    it = cg__calloc(1, sizeof(*it));
    if (it == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    memset(&sig, 0, sizeof(sig));
    st = cg_bank_signal_get(e->rw_db, m->signal_id, &sig, err);
    if (st == CG_OK) {
        snprintf(it->content_id, sizeof(it->content_id), "quarantine:signal:%lld",
                 (long long)m->signal_id);
        snprintf(it->kind, sizeof(it->kind), "signal");
        snprintf(it->label, sizeof(it->label), "quarantine");
        snprintf(it->tenant, sizeof(it->tenant), "%s", v->tenant);
        it->priority = 2;
        snprintf(it->reason, sizeof(it->reason),
                 "flood: signal %lld of bank %s (%s, %s) matched %lld times within an hour "
                 "(limit %d): matching is off until a reviewer releases it (false_positive) or "
                 "confirms the quarantine",
                 (long long)m->signal_id, m->bank, m->source, m->external_id, (long long)count,
                 limit);
        it->signals[0].type = sig.type;
        memcpy(it->signals[0].value, sig.value, sig.type->bytes);
        it->signals[0].quality = sig.quality;
        it->n_signals = 1;
        sig.type->format(sig.value, hex);
        rec = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:i,s:I}", "signal_id",
                        (json_int_t)m->signal_id, "bank", m->bank, "source", m->source,
                        "signal_type", sig.type->name, "signal", hex, "matches",
                        (json_int_t)count, "limit_per_hour", limit, "at",
                        (json_int_t)now);
        text = rec != NULL ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(rec);
        if (text == NULL)
            st = cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    }
    if (st == CG_OK)
        st = cg_review_add(e->rw_db, it, text, NULL, 0, e->audit, err);
    if (st == CG_OK && e->audit != NULL)
        st = cg_audit_append(e->audit, "quarantine", e->actor, it->content_id, text, NULL, err);
    free(text);
    cg__free(it);
    return st;
}

cg_status cg__engine_flood_note(cg_engine *e, const cg_verdict *v, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    cg_status st = CG_OK;

    /* The engine's limit off turns off the per-bank and per-exchange ones too: an operator's
     * "never" for this process (a bank cannot switch it back on). */
    if (e->cfg.flood_per_hour <= 0 || e->rw_db == NULL)
        return CG_OK;
    for (size_t i = 0; i < v->matches.n && st == CG_OK; i++) {
        const cg_match *m = &v->matches.v[i];
        cg__flood_slot *s;

        if (!counted_signal(m) || !v->has_pdq)
            continue;
        s = slot_for(&e->flood, m->signal_id, now);
        s->bank_id = m->bank_id;
        if (s->limit == 0)
            s->limit = resolve_limit(e, m);
        if (s->limit < 0 || !new_content(s, &v->pdq.hash))
            continue;
        if (++s->count <= s->limit)
            continue;
        /* Counted again from 0: released within the hour, it needs a new flood (and the limit
         * is read again: a setting changed meanwhile applies). */
        st = quarantine(e, v, m, s->count, s->limit, now, err);
        s->count = 0;
        s->n_seen = 0;
        s->start = now;
        s->limit = 0;
    }
    return st;
}
