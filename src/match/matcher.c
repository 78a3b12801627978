/* The matcher handle: publishes snapshots (snapshot.h) and keeps them current.
 *
 * Refreshing reads the change log after the snapshot's sequence number, rereads each changed
 * signal, merges them into the previous delta and publishes a new snapshot: the work is
 * proportional to the changes, not to the banks. When the delta outgrows its bound (or the log
 * was pruned past our sequence), a new main index is built from the whole database, in a thread
 * of its own when the matcher has a refresher thread, and the changes committed meanwhile are
 * replayed on it as its first delta. Publishing is a pointer swap under a mutex held for a few
 * instructions; lookups take a reference and never wait for a refresh or a build. */
#define _GNU_SOURCE /* pthread_setname_np: cg-refresh and cg-rebuild in top -H */
#include "childguard/matcher.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "match/refresh_schedule.h"
#include "match/snapshot.h"
#include "store/store_watch.h"

struct cg_matcher {
    char *path;
    cg_matcher_options opt;
    cg_bankdb *db;               /* refresher's connection; detail reads share it */
    pthread_mutex_t db_lock;
    pthread_mutex_t snap_lock;   /* guards snap (the pointer only) */
    cg__snapshot *snap;
    pthread_mutex_t refresh_lock; /* one refresh at a time */
    atomic_uint_fast64_t rebuilds; /* read by stats without the refresh lock */

    /* Background rebuild (thread mode). */
    pthread_mutex_t build_lock;
    int building;
    int64_t build_end;           /* when the last background build ended (monotonic ns) */
    int64_t build_took;          /* and how long it took: the next waits 4 times as long */
    pthread_t build_thread;
    cg__main *built;             /* finished, not yet published */
    cg_error build_err;
    int build_failed;

    /* Refresher thread. */
    int has_thread;
    pthread_t thread;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    int stop;
    int woken;                   /* the store told of a change: refresh now (store_watch.h) */
};

static cg__snapshot *snap_acquire(cg_matcher *m)
{
    pthread_mutex_lock(&m->snap_lock);
    cg__snapshot *s = m->snap;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&m->snap_lock);
    return s;
}

static void snap_publish(cg_matcher *m, cg__snapshot *s)
{
    pthread_mutex_lock(&m->snap_lock);
    cg__snapshot *old = m->snap;
    m->snap = s;
    pthread_mutex_unlock(&m->snap_lock);
    cg__snapshot_release(old);
}

/* How far past its bound the delta may grow while a due rebuild waits or runs (thread mode). */
#define CG__DELTA_STRETCH 4

static size_t delta_bound(const cg_matcher *m, const cg__main *main)
{
    if (m->opt.delta_max > 0)
        return m->opt.delta_max;
    size_t n = 0;
    for (size_t i = 0; i < CG__MAX_TYPES; i++)
        n += main->parts[i].n;
    return n / 64 > 4096 ? n / 64 : 4096;
}

/* ---- collecting changes ---- */

typedef struct change_ids {
    int64_t *ids;
    size_t n, cap;
    size_t limit;      /* stop collecting past this many (a rebuild is cheaper) */
    int banks_changed;
    int over;
    int nomem;
    int64_t last_seq;
} change_ids;

static int collect_change(int64_t seq, cg_change_kind kind, int64_t id, void *ud)
{
    change_ids *c = ud;

    c->last_seq = seq;
    if (kind == CG_CHANGE_BULK) {
        c->over = 1; /* a large import: rebuilding is cheaper than a delta */
        return 1;
    }
    if (kind == CG_CHANGE_BANK) {
        c->banks_changed = 1;
        return 0;
    }
    if (c->n >= c->limit) {
        c->over = 1;
        return 1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        int64_t *v = cg__realloc(c->ids, cap * sizeof(*v));
        if (v == NULL) {
            c->nomem = 1;
            return 1;
        }
        c->ids = v;
        c->cap = cap;
    }
    c->ids[c->n++] = id;
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int change_cmp(const void *a, const void *b)
{
    const cg__change *x = a, *y = b;
    return id_cmp(&x->entry.signal_id, &y->entry.signal_id);
}

/* The previous changes (kept unless reread) plus the current state of every id in ids. */
static cg_status merge_changes(cg_bankdb *db, const cg__change *prev, size_t n_prev,
                               int64_t *ids, size_t n_ids, cg__change **out, size_t *n_out,
                               cg_error *err)
{
    if (n_ids > 1)
        qsort(ids, n_ids, sizeof(*ids), id_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n_ids; i++)
        if (u == 0 || ids[u - 1] != ids[i])
            ids[u++] = ids[i];
    n_ids = u;

    cg__change *v = cg__malloc_array(n_prev + n_ids + 1, sizeof(*v));
    if (v == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory applying bank changes");
    size_t n = 0, j = 0;
    for (size_t i = 0; i < n_prev; i++) {
        int64_t id = prev[i].entry.signal_id;
        while (j < n_ids && ids[j] < id)
            j++;
        if (j < n_ids && ids[j] == id)
            continue; /* reread below */
        v[n++] = prev[i];
    }
    for (size_t i = 0; i < n_ids; i++) {
        cg_bank_signal s;
        cg_error e;
        cg_status st = cg_bank_signal_get(db, ids[i], &s, &e);
        cg__change *c = &v[n];
        memset(c, 0, sizeof(*c));
        c->entry.signal_id = ids[i];
        if (st == CG_E_NOTFOUND) {
            c->type_index = -1;
        } else if (st != CG_OK) {
            cg__free(v);
            if (err != NULL)
                *err = e;
            return st;
        } else {
            c->type_index = cg__type_index(s.type);
            c->entry = (cg__entry){s.id, s.disabled_until, s.bank_id, s.quality};
            memcpy(c->value, s.value, s.type->bytes);
        }
        n++;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), change_cmp);
    *out = v;
    *n_out = n;
    return CG_OK;
}

/* 1 when changes hold a live vpdq signal that main has not indexed. */
static int new_video(const cg__main *main, const cg__change *changes, size_t n)
{
    const int vt = cg__vpdq_type_index();

    for (size_t i = 0; vt >= 0 && i < n; i++)
        if (changes[i].type_index == vt && !cg__main_has_video(main, changes[i].entry.signal_id))
            return 1;
    return 0;
}

/* ---- rebuilding ---- */

static int64_t mono_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000L + t.tv_nsec;
}

/* The calling thread's CPU time: what the pauses after refreshes and rebuilds are measured in. */
static int64_t cpu_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *build_main(void *arg)
{
    cg_matcher *m = arg;
    cg_bankdb *db = NULL;
    cg__main *main = NULL;
    cg_error e = {0};
    cg_status st;
    const int64_t c0 = cpu_ns();

    (void)pthread_setname_np(pthread_self(), "cg-rebuild");
    st = cg_bankdb_open(m->path, CG_BANKDB_READONLY, &db, &e);

    if (st == CG_OK)
        st = cg__main_build(db, m->opt.kind, &main, &e);
    cg_bankdb_close(db);
    pthread_mutex_lock(&m->build_lock);
    m->built = main;
    m->build_failed = st != CG_OK;
    m->build_err = e;
    m->build_end = mono_ns();
    m->build_took = cpu_ns() - c0; /* CPU, like the refresher's pause (refresh_schedule.h) */
    pthread_mutex_unlock(&m->build_lock);
    return NULL;
}

/* Starts a rebuild in the background (thread mode) or runs it now. paced: only when the pause
 * after the last background build is over (CG__REFRESH_PAUSE_FACTOR times its duration, as for
 * refreshes): a back-fill that outgrows the delta again and again then costs the rebuild
 * thread at most a fifth of a core; the refreshes publish the grown delta meanwhile. */
static cg_status start_rebuild(cg_matcher *m, int paced, cg_error *err)
{
    if (!m->has_thread) {
        cg__main *main = NULL;
        pthread_mutex_lock(&m->db_lock);
        cg_status st = cg__main_build(m->db, m->opt.kind, &main, err);
        pthread_mutex_unlock(&m->db_lock);
        if (st != CG_OK)
            return st;
        m->built = main;
        return CG_OK;
    }
    pthread_mutex_lock(&m->build_lock);
    if (!m->building &&
        (!paced || mono_ns() - m->build_end >= CG__REFRESH_PAUSE_FACTOR * m->build_took)) {
        if (pthread_create(&m->build_thread, NULL, build_main, m) == 0)
            m->building = 1;
    }
    pthread_mutex_unlock(&m->build_lock);
    return CG_OK;
}

/* A finished background build, joined; NULL when none is ready. */
static cg__main *take_built(cg_matcher *m, cg_error *err, cg_status *st)
{
    cg__main *main = NULL;

    *st = CG_OK;
    pthread_mutex_lock(&m->build_lock);
    if (!m->has_thread) {
        main = m->built;
        m->built = NULL;
    } else if (m->building && (m->built != NULL || m->build_failed)) {
        pthread_join(m->build_thread, NULL);
        m->building = 0;
        main = m->built;
        m->built = NULL;
        if (m->build_failed) {
            *st = m->build_err.status ? m->build_err.status : CG_E_BACKEND;
            if (err != NULL)
                *err = m->build_err;
            m->build_failed = 0;
        }
    }
    pthread_mutex_unlock(&m->build_lock);
    return main;
}

/* ---- refreshing ---- */

static cg_status refresh_locked(cg_matcher *m, uint64_t *changed, cg_error *err)
{
    cg_status st;
    cg__snapshot *cur = snap_acquire(m);
    cg__main *main = take_built(m, err, &st);
    const cg__change *prev = cur->changes;
    size_t n_prev = cur->n_changes;
    int64_t base_seq = cur->seq;
    cg__change *changes = NULL;
    size_t n_changes = 0;
    change_ids c = {0};
    cg_bank *banks = NULL;
    size_t n_banks = 0;
    int banks_loaded = 0;

    if (st != CG_OK)
        goto done;
    if (main != NULL) {
        /* A new main index: the delta restarts from the changes after its build. */
        prev = NULL;
        n_prev = 0;
        base_seq = main->seq;
        atomic_fetch_add(&m->rebuilds, 1);
    } else {
        main = cur->main;
        atomic_fetch_add(&main->refs, 1);
    }

    pthread_mutex_lock(&m->db_lock);
    /* Past the bound a rebuild is due; with a refresher thread the delta may grow to
     * CG__DELTA_STRETCH times the bound while that rebuild waits for its pace or runs. */
    const size_t bound = delta_bound(m, main);
    c.limit = m->has_thread ? bound * CG__DELTA_STRETCH : bound;
    c.last_seq = base_seq;
    st = cg_bankdb_changes_since(m->db, base_seq, collect_change, &c, err);
    if (st == CG_OK && c.nomem)
        st = cg__fail(err, CG_E_NOMEM, "out of memory reading the change log");
    if (st == CG_E_NOTFOUND || (st == CG_OK && (c.over || n_prev + c.n > c.limit))) {
        /* The log no longer reaches back to us, or the delta would be too big. */
        pthread_mutex_unlock(&m->db_lock);
        st = start_rebuild(m, 0, err);
        if (st == CG_OK && !m->has_thread) {
            cg__main_release(main);
            cg__snapshot_release(cur);
            cg__free(c.ids);
            return refresh_locked(m, changed, err);
        }
        goto done;
    }
    if (st == CG_OK && (c.last_seq != cur->seq || main != cur->main)) {
        st = merge_changes(m->db, prev, n_prev, c.ids, c.n, &changes, &n_changes, err);
        if (st == CG_OK && new_video(main, changes, n_changes)) {
            /* A new vpdq signal: its frames are indexed only in a main index (snapshot.h). */
            pthread_mutex_unlock(&m->db_lock);
            cg__free(changes);
            changes = NULL;
            st = start_rebuild(m, 0, err);
            if (st == CG_OK && !m->has_thread) {
                cg__main_release(main);
                cg__snapshot_release(cur);
                cg__free(c.ids);
                return refresh_locked(m, changed, err);
            }
            goto done;
        }
        if (st == CG_OK && (c.banks_changed || main != cur->main)) {
            st = cg__banks_load(m->db, &banks, &n_banks, err);
            banks_loaded = st == CG_OK;
        }
        if (st == CG_OK && n_changes > bound)
            st = start_rebuild(m, 1, err); /* thread mode only: past the bound, within limit */
    }
    pthread_mutex_unlock(&m->db_lock);
    if (st != CG_OK || (c.last_seq == cur->seq && main == cur->main))
        goto done;

    cg__snapshot *next = NULL;
    st = cg__snapshot_new(main, c.last_seq, changes, n_changes,
                          banks_loaded ? banks : cur->banks,
                          banks_loaded ? n_banks : cur->n_banks, &next, err);
    changes = NULL;
    if (st == CG_OK) {
        snap_publish(m, next);
        if (changed != NULL)
            *changed = (uint64_t)(c.last_seq - cur->seq);
    }
done:
    cg__free(changes);
    cg__free(banks);
    cg__free(c.ids);
    cg__main_release(main);
    cg__snapshot_release(cur);
    return st;
}

cg_status cg_matcher_refresh(cg_matcher *m, uint64_t *changed, cg_error *err)
{
    if (changed != NULL)
        *changed = 0;
    pthread_mutex_lock(&m->refresh_lock);
    cg_status st = refresh_locked(m, changed, err);
    pthread_mutex_unlock(&m->refresh_lock);
    return st;
}

/* A deadline ns from now on CLOCK_REALTIME (the clock of stop_cond's timed wait). */
static void deadline_after(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ns += ts->tv_nsec;
    ts->tv_sec += (time_t)(ns / 1000000000L);
    ts->tv_nsec = (long)(ns % 1000000000L);
}

/* Refreshes at the tick or on a change notice, never before the previous refresh's pause has
 * ended (refresh_schedule.h): a back-fill's stream of commits costs the refresher at most a
 * fifth of a core, and a change still shows within the bound stated there. */
static void *refresher(void *arg)
{
    cg_matcher *m = arg;
    cg__refresh_clock clk;

    (void)pthread_setname_np(pthread_self(), "cg-refresh");
    cg__refresh_clock_init(&clk, mono_ns(), m->opt.refresh_ms);
    pthread_mutex_lock(&m->stop_lock);
    while (!m->stop) {
        struct timespec ts;
        const int64_t now = mono_ns(), at = cg__refresh_clock_next(&clk, m->woken);

        if (now < at) {
            /* A notice, stopping or the deadline ends the wait; the loop decides again. */
            deadline_after(&ts, at - now);
            pthread_cond_timedwait(&m->stop_cond, &m->stop_lock, &ts);
            continue;
        }
        m->woken = 0;
        pthread_mutex_unlock(&m->stop_lock);
        /* Errors (a locked database, a failed read) are retried at the next tick; the last
         * good snapshot stays published. */
        const int64_t t0 = mono_ns(), c0 = cpu_ns();
        cg_matcher_refresh(m, NULL, NULL);
        cg__refresh_clock_ran(&clk, t0, mono_ns(), cpu_ns() - c0);
        pthread_mutex_lock(&m->stop_lock);
    }
    pthread_mutex_unlock(&m->stop_lock);
    return NULL;
}

/* The store's change notice (store_watch.h, from the store's thread): refresh now. */
static void wake_refresher(void *ud)
{
    cg_matcher *m = ud;

    pthread_mutex_lock(&m->stop_lock);
    m->woken = 1;
    pthread_cond_signal(&m->stop_cond);
    pthread_mutex_unlock(&m->stop_lock);
}

/* ---- the handle ---- */

cg_status cg_matcher_open(const char *path, const cg_matcher_options *opt, cg_matcher **out,
                          cg_error *err)
{
    cg_matcher *m;
    cg_status st;
    cg__main *main = NULL;
    cg_bank *banks = NULL;
    size_t n_banks = 0;

    *out = NULL;
    if (path == NULL)
        return cg__fail(err, CG_E_INVAL, "no database path");
    if (opt != NULL && (opt->refresh_ms < 0 || opt->kind < CG_INDEX_AUTO ||
                        opt->kind > CG_INDEX_MIH))
        return cg__fail(err, CG_E_INVAL, "%s: invalid matcher options", path);
    m = cg__calloc(1, sizeof(*m));
    if (m == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory opening the matcher");
    if (opt != NULL)
        m->opt = *opt;
    m->path = cg__strdup(path);
    pthread_mutex_init(&m->db_lock, NULL);
    pthread_mutex_init(&m->snap_lock, NULL);
    pthread_mutex_init(&m->refresh_lock, NULL);
    pthread_mutex_init(&m->build_lock, NULL);
    pthread_mutex_init(&m->stop_lock, NULL);
    pthread_cond_init(&m->stop_cond, NULL);
    if (m->path == NULL) {
        cg_matcher_close(m);
        return cg__fail(err, CG_E_NOMEM, "out of memory opening the matcher");
    }
    st = cg_bankdb_open(path, CG_BANKDB_READONLY, &m->db, err);
    if (st == CG_OK)
        st = cg__main_build(m->db, m->opt.kind, &main, err);
    if (st == CG_OK)
        st = cg__banks_load(m->db, &banks, &n_banks, err);
    if (st == CG_OK) {
        /* Changes committed during the build are replayed by the first refresh. */
        st = cg__snapshot_new(main, main->seq, NULL, 0, banks, n_banks, &m->snap, err);
        atomic_store(&m->rebuilds, 1);
    }
    cg__main_release(main);
    cg__free(banks);
    if (st == CG_OK)
        st = cg_matcher_refresh(m, NULL, err);
    if (st == CG_OK && m->opt.refresh_ms > 0) {
        /* A store that tells of changes (PostgreSQL) wakes the refresher before its tick;
         * one that cannot is polled every refresh_ms. Either way the polling goes on. */
        (void)cg__bankdb_watch(m->db, wake_refresher, m, NULL);
        if (pthread_create(&m->thread, NULL, refresher, m) != 0)
            st = cg__fail(err, CG_E_BACKEND, "%s: cannot start the refresher thread", path);
        else
            m->has_thread = 1;
    }
    if (st != CG_OK) {
        cg_matcher_close(m);
        return st;
    }
    *out = m;
    return CG_OK;
}

void cg_matcher_close(cg_matcher *m)
{
    if (m == NULL)
        return;
    if (m->has_thread) {
        pthread_mutex_lock(&m->stop_lock);
        m->stop = 1;
        pthread_cond_signal(&m->stop_cond);
        pthread_mutex_unlock(&m->stop_lock);
        pthread_join(m->thread, NULL);
    }
    pthread_mutex_lock(&m->build_lock);
    int building = m->building;
    pthread_mutex_unlock(&m->build_lock);
    if (building)
        pthread_join(m->build_thread, NULL);
    cg__main_release(m->built);
    cg__snapshot_release(m->snap);
    cg_bankdb_close(m->db);
    pthread_mutex_destroy(&m->db_lock);
    pthread_mutex_destroy(&m->snap_lock);
    pthread_mutex_destroy(&m->refresh_lock);
    pthread_mutex_destroy(&m->build_lock);
    pthread_mutex_destroy(&m->stop_lock);
    pthread_cond_destroy(&m->stop_cond);
    cg__free(m->path);
    cg__free(m);
}

void cg_match_list_free(cg_match_list *list)
{
    if (list == NULL)
        return;
    cg__free(list->v);
    memset(list, 0, sizeof(*list));
}

/* Matches are rare: their provenance comes from the database, not from memory. */
static void fill_provenance(cg_matcher *m, cg_match_list *out, size_t first)
{
    pthread_mutex_lock(&m->db_lock);
    for (size_t i = first; i < out->n; i++) {
        cg_bank_signal sig;
        if (cg_bank_signal_get(m->db, out->v[i].signal_id, &sig, NULL) == CG_OK) {
            memcpy(out->v[i].external_id, sig.external_id, sizeof(sig.external_id));
            memcpy(out->v[i].source, sig.source, sizeof(sig.source));
        }
    }
    pthread_mutex_unlock(&m->db_lock);
}

cg_status cg_matcher_lookup(cg_matcher *m, const cg_signal_type *type, const uint8_t *values,
                            size_t n_values, const cg_lookup_options *opt, cg_match_list *out,
                            cg_error *err)
{
    if (m == NULL || type == NULL || (values == NULL && n_values > 0) || out == NULL)
        return cg__fail(err, CG_E_INVAL, "invalid lookup arguments");
    size_t first = out->n;
    cg__snapshot *s = snap_acquire(m);
    cg_status st = cg__snapshot_lookup(s, type, values, n_values, opt, out, err);
    cg__snapshot_release(s);
    if (st != CG_OK || out->n == first)
        return st;
    fill_provenance(m, out, first);
    return CG_OK;
}

void cg_video_match_options_default(cg_video_match_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->max_distance = -1;
    opt->quality = CG_VPDQ_QUALITY_TOLERANCE;
    opt->query_percent = CG_VPDQ_QUERY_MATCH_PERCENT;
    opt->target_percent = CG_VPDQ_TARGET_MATCH_PERCENT;
}

cg_status cg_matcher_lookup_video(cg_matcher *m, const cg_vpdq_frame *frames, size_t n,
                                  const cg_video_match_options *opt, cg_match_list *out,
                                  cg_error *err)
{
    cg_video_match_options def;

    if (m == NULL || (frames == NULL && n > 0) || out == NULL)
        return cg__fail(err, CG_E_INVAL, "invalid video lookup arguments");
    if (opt == NULL) {
        cg_video_match_options_default(&def);
        opt = &def;
    }
    size_t first = out->n;
    cg__snapshot *s = snap_acquire(m);
    cg_status st = cg__snapshot_lookup_video(s, frames, n, opt, out, err);
    cg__snapshot_release(s);
    if (st != CG_OK || out->n == first)
        return st;
    fill_provenance(m, out, first);
    return CG_OK;
}

void cg_matcher_stats_get(cg_matcher *m, cg_matcher_stats *out)
{
    cg__snapshot *s = snap_acquire(m);

    memset(out, 0, sizeof(*out));
    out->seq = (uint64_t)s->seq;
    out->built_at = s->main->built_at;
    out->rebuilds = atomic_load(&m->rebuilds);
    for (size_t i = 0; i < CG__MAX_TYPES; i++) {
        const cg__part *p = &s->main->parts[i];
        const cg__part *d = &s->delta[i];
        out->signals += p->n + d->n;
        out->delta += d->n;
        out->index_bytes += p->n * sizeof(cg__entry) + d->n * sizeof(cg__entry);
        if (p->pdq != NULL) {
            out->index_bytes += cg_pdq_index_memory(p->pdq);
            out->pdq_kind = cg_pdq_index_kind(p->pdq);
        }
        if (p->exact != NULL)
            out->index_bytes += cg_exact_index_memory(p->exact);
        if (d->pdq != NULL)
            out->index_bytes += cg_pdq_index_memory(d->pdq);
        if (d->exact != NULL)
            out->index_bytes += cg_exact_index_memory(d->exact);
    }
    if (s->main->videos.frames != NULL) /* vpdq frames: 32 bytes + owner each */
        out->index_bytes += cg_pdq_index_memory(s->main->videos.frames) +
                            s->main->videos.n_frames * sizeof(uint32_t);
    out->delta = s->n_changes;
    cg__snapshot_release(s);
}
