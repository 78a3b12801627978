/* Change notification from PostgreSQL (store_watch.h): a thread of the handle's own holds a
 * second connection that LISTENs on childguard_changes (the change-log trigger NOTIFYs it with
 * the schema's name once per committing transaction, pg_schema.c) and calls the watcher's fn
 * for every notification of this store's schema. A lost connection is retried every second;
 * while it is down the readers' polling is all there is, and when it comes back fn is called
 * once (commits may have gone unnoticed meanwhile). close stops the thread through a pipe and
 * joins it before the handle goes. A read-only handle reading from a replica (pg_replica.c)
 * is told only once the replica has replayed the commit notified. */
#include "store/postgresql/pg_int.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"

/* The watcher behind cg__pg.watch. */
struct cg__pg_watch {
    char *url;         /* the store's URL (with its password, never printed) */
    char *replica;     /* CHILDGUARD_DB_REPLICA for a read-only handle, else NULL */
    PGconn *rconn;     /* the listener's connection to it (pg_replica.c) */
    int64_t rdown;     /* when it last could not be reached, 0 */
    cg__pg_lag *lag;   /* the watched handle's lag limit (pg_replica.c; outlives the thread) */
    char schema[64];
    void (*fn)(void *ud);
    void *ud;
    int stop_pipe[2];  /* a byte written here stops the thread */
    pthread_t thread;
};

/* Waits up to ms for a stop; 1 when stopping. */
static int stopping(cg__pg_watch *w, int ms)
{
    struct pollfd p = {w->stop_pipe[0], POLLIN, 0};

    return poll(&p, 1, ms) > 0;
}

static PGconn *listen_connect(cg__pg_watch *w)
{
    PGconn *c = PQconnectdb(w->url);
    PGresult *res;

    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    res = PQexec(c, "LISTEN childguard_changes");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        PQclear(res);
        PQfinish(c);
        return NULL;
    }
    PQclear(res);
    return c;
}

/* 1 when the notifications queued on c include one of w's schema. */
static int drain(cg__pg_watch *w, PGconn *c)
{
    int hit = 0;

    for (PGnotify *n = PQnotifies(c); n != NULL; n = PQnotifies(c)) {
        hit |= strcmp(n->extra, w->schema) == 0;
        PQfreemem(n);
    }
    return hit;
}

static void *listen_main(void *arg)
{
    cg__pg_watch *w = arg;
    PGconn *c = listen_connect(w);

    for (;;) {
        struct pollfd p[2];
        int hit = 0;

        if (c == NULL) {
            if (stopping(w, 1000))
                break;
            c = listen_connect(w);
            if (c != NULL)
                w->fn(w->ud); /* back: what was committed meanwhile went unnoticed */
            continue;
        }
        p[0] = (struct pollfd){PQsocket(c), POLLIN, 0};
        p[1] = (struct pollfd){w->stop_pipe[0], POLLIN, 0};
        if (poll(p, 2, 1000) < 0 && errno != EINTR)
            break;
        if (p[1].revents != 0)
            break;
        if (p[0].revents == 0)
            continue;
        if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
            PQfinish(c);
            c = NULL;
            continue;
        }
        hit = drain(w, c);
        while (hit) {
            /* Notifications that came during the replica wait's query are queued: again.
             * A handle reading from the primary (its replica too far behind) is told at
             * once, and again after the wait: a refresh then may find the replica caught
             * up (pg_replica.c, the lag limit). */
            if (cg__pg_replica_lagging(w->lag))
                w->fn(w->ud);
            cg__pg_replica_wait(c, &w->rconn, w->replica, &w->rdown, w->lag);
            w->fn(w->ud);
            hit = w->replica != NULL && drain(w, c);
        }
    }
    if (c != NULL)
        PQfinish(c);
    PQfinish(w->rconn);
    w->rconn = NULL;
    return NULL;
}

cg_status cg__pg_watch_start(cg_bankdb *db, void (*fn)(void *ud), void *ud, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_watch *w;

    if (c->watch != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: the store is already watched", db->path);
    w = cg__calloc(1, sizeof(*w));
    if (w == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    w->url = cg__strdup(c->url);
    if ((db->flags & CG_BANKDB_READONLY) && cg__pg_replica_url() != NULL &&
        (w->replica = cg__strdup(cg__pg_replica_url())) == NULL) {
        cg__free(w->url);
        w->url = NULL;
    }
    snprintf(w->schema, sizeof(w->schema), "%s", c->schema);
    w->lag = c->lag;
    w->fn = fn;
    w->ud = ud;
    if (w->url == NULL || pipe(w->stop_pipe) != 0) {
        cg__free(w->url);
        cg__free(w->replica);
        cg__free(w);
        return cg__fail(err, CG_E_NOMEM, "%s: cannot start watching for changes", db->path);
    }
    if (pthread_create(&w->thread, NULL, listen_main, w) != 0) {
        close(w->stop_pipe[0]);
        close(w->stop_pipe[1]);
        cg__free(w->url);
        cg__free(w->replica);
        cg__free(w);
        return cg__fail(err, CG_E_BACKEND, "%s: cannot start the change listener", db->path);
    }
    c->watch = w;
    return CG_OK;
}

void cg__pg_watch_stop(cg__pg *c)
{
    cg__pg_watch *w = c->watch;

    if (w == NULL)
        return;
    if (write(w->stop_pipe[1], "x", 1) != 1)
        close(w->stop_pipe[1]); /* a closed pipe reads as ready too */
    pthread_join(w->thread, NULL);
    close(w->stop_pipe[0]);
    close(w->stop_pipe[1]);
    cg__free(w->url);
    cg__free(w->replica);
    cg__free(w);
    c->watch = NULL;
}
