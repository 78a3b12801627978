/* Connection deadlines: what keeps a slowloris client from holding every connection slot.
 *
 * libmicrohttpd's own timeout is an idle timeout: a client that sends one byte every few
 * seconds is never idle, and one that opens a thousand such connections fills the server. So
 * each connection gets two deadlines, measured from when it opened or its previous response
 * completed:
 *   - its request headers must be complete within header_timeout_s (the access handler is
 *     first called only then, so "phase HEADERS for longer than that" means "too slow");
 *   - once the headers are in, its body must keep up body_min_rate bytes/s on average after
 *     a grace of header_timeout_s.
 * While a response is being computed or sent there is no deadline here (libmicrohttpd's idle
 * timeout covers a client that stops reading). A per-address connection limit
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT, server.c) bounds what one address can open at all.
 *
 * A watchdog thread looks at every connection twice a second and shuts down (shutdown(2), both
 * directions) the socket of one that missed a deadline; libmicrohttpd then sees the connection
 * end and cleans it up as usual. The socket is only touched under the registry lock, and a
 * connection leaves the registry in libmicrohttpd's CLOSED notification, which comes before
 * the socket is closed, so a socket number reused by a newer connection is never shut down by
 * mistake. The phase fields are atomics written by the connection's own I/O thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "serve.h"

enum { PHASE_HEADERS = 0, PHASE_BODY = 1, PHASE_PROCESSING = 2 };

struct serve_conn {
    int fd;
    atomic_int phase;
    atomic_llong since_us;         /* when the phase started */
    atomic_ullong bytes;           /* body bytes received in PHASE_BODY */
    int shut;                      /* shut down by the watchdog (under the lock) */
    serve_conn *prev, *next;
};

struct serve_conns {
    serve_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    serve_conn *head;
    int stop;
    pthread_t thread;
};

void conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe)
{
    serve_conns *c = cls;
    serve_conn *sc;

    if (c == NULL)
        return;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

        sc = calloc(1, sizeof(*sc));
        if (sc == NULL || ci == NULL) {
            free(sc); /* untracked: the idle timeout and the per-address limit still apply */
            *socket_context = NULL;
            return;
        }
        sc->fd = ci->connect_fd;
        atomic_init(&sc->phase, PHASE_HEADERS);
        atomic_init(&sc->since_us, serve_now_us());
        atomic_init(&sc->bytes, 0);
        pthread_mutex_lock(&c->mu);
        sc->next = c->head;
        if (c->head != NULL)
            c->head->prev = sc;
        c->head = sc;
        pthread_mutex_unlock(&c->mu);
        *socket_context = sc;
        return;
    }
    sc = *socket_context;
    if (sc == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    if (sc->prev != NULL)
        sc->prev->next = sc->next;
    else
        c->head = sc->next;
    if (sc->next != NULL)
        sc->next->prev = sc->prev;
    pthread_mutex_unlock(&c->mu);
    free(sc);
    *socket_context = NULL;
}

serve_conn *conns_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

static void set_phase(serve_conn *c, int phase)
{
    if (c == NULL)
        return;
    atomic_store(&c->bytes, 0);
    atomic_store(&c->since_us, serve_now_us());
    atomic_store(&c->phase, phase);
}

void conns_body_started(serve_conn *c)
{
    set_phase(c, PHASE_BODY);
}

void conns_body_bytes(serve_conn *c, size_t n)
{
    if (c != NULL)
        atomic_fetch_add(&c->bytes, n);
}

void conns_processing(serve_conn *c)
{
    set_phase(c, PHASE_PROCESSING);
}

void conns_idle(serve_conn *c)
{
    set_phase(c, PHASE_HEADERS);
}

static void *watchdog(void *arg)
{
    serve_conns *c = arg;
    const serve_config *cfg = &c->srv->cfg;
    const int64_t header_us = (int64_t)cfg->header_timeout_s * 1000000;

    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        struct timespec ts;
        const int64_t now = serve_now_us();

        for (serve_conn *sc = c->head; sc != NULL; sc = sc->next) {
            const int phase = atomic_load(&sc->phase);
            const int64_t age = now - atomic_load(&sc->since_us);
            const char *event = NULL;

            if (sc->shut)
                continue;
            if (phase == PHASE_HEADERS && age > header_us)
                event = "header_timeout";
            else if (phase == PHASE_BODY && age > header_us && cfg->body_min_rate > 0 &&
                     (double)atomic_load(&sc->bytes) <
                         (double)cfg->body_min_rate * (double)age / 1e6)
                event = "slow_body";
            if (event == NULL)
                continue;
            sc->shut = 1;
            (void)shutdown(sc->fd, SHUT_RDWR); /* the I/O thread sees the end and cleans up */
            metrics_event(c->srv->metrics, event);
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 500L * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

serve_conns *conns_start(serve_server *s)
{
    serve_conns *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->srv = s;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, watchdog, c) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
        return NULL;
    }
    return c;
}

void conns_stop(serve_conns *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    /* Called after the daemon stopped: every connection has been notified CLOSED. */
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}
