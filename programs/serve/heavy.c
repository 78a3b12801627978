/* Decoding routes on a bounded pool of workers. libmicrohttpd serves each connection from one
 * of a few I/O threads; if those threads decoded images and videos, a handful of heavy uploads
 * would stall every lookup queued behind them. Instead, a route that decodes content (hashing,
 * scanning, adding content to a bank) has its connection suspended once its body is in, and is
 * queued here: decode_workers threads run the route (the response is queued on the suspended
 * connection, which libmicrohttpd allows) and resume the connection. At most decode_workers
 * decodes run at once (the semaphore of the design), at most decode_queue wait, and past that
 * a request gets 503 at once. The I/O threads are never blocked by a decode, so lookups keep
 * answering while heavy scans run (tests/cli/serve_limits.sh). */
#include <pthread.h>
#include <stdlib.h>

#include "serve.h"

struct serve_heavy {
    serve_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    serve_req **queue;             /* ring of queue_max */
    unsigned queue_max, head, n;
    unsigned running;
    int stop;
    pthread_t *threads;
    unsigned n_threads;
};

static void *worker(void *arg)
{
    serve_heavy *h = arg;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        serve_req *r;

        while (h->n == 0 && !h->stop)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->n == 0)
            break; /* stopping, nothing left */
        r = h->queue[h->head];
        h->head = (h->head + 1) % h->queue_max;
        h->n--;
        h->running++;
        pthread_mutex_unlock(&h->mu);
        (void)router_call(r);
        /* r belongs to its connection again from here on: it may be freed at once. */
        MHD_resume_connection(r->conn);
        pthread_mutex_lock(&h->mu);
        h->running--;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

serve_heavy *heavy_start(serve_server *s, unsigned workers, unsigned queue_max)
{
    serve_heavy *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->srv = s;
    h->queue_max = queue_max > 0 ? queue_max : 1;
    h->queue = calloc(h->queue_max, sizeof(*h->queue));
    h->threads = calloc(workers > 0 ? workers : 1, sizeof(*h->threads));
    if (h->queue == NULL || h->threads == NULL) {
        free(h->queue);
        free(h->threads);
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    for (unsigned i = 0; i < (workers > 0 ? workers : 1); i++) {
        if (pthread_create(&h->threads[i], NULL, worker, h) != 0)
            break;
        h->n_threads++;
    }
    if (h->n_threads == 0) {
        heavy_stop(h);
        return NULL;
    }
    return h;
}

int heavy_submit(serve_heavy *h, serve_req *r)
{
    pthread_mutex_lock(&h->mu);
    if (h->stop || h->n == h->queue_max) {
        pthread_mutex_unlock(&h->mu);
        return -1;
    }
    /* Suspended before any worker can see it: the worker's resume always follows. */
    MHD_suspend_connection(r->conn);
    h->queue[(h->head + h->n) % h->queue_max] = r;
    h->n++;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void heavy_counts(serve_heavy *h, unsigned *queued, unsigned *running)
{
    *queued = *running = 0;
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->mu);
    *queued = h->n;
    *running = h->running;
    pthread_mutex_unlock(&h->mu);
}

void heavy_stop(serve_heavy *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->mu);
    /* The requests still waiting are answered 503 and resumed, so that no connection stays
     * suspended when the daemon stops. */
    while (h->n > 0) {
        serve_req *r = h->queue[h->head];

        h->head = (h->head + 1) % h->queue_max;
        h->n--;
        (void)http_error(r, 503, "shutting_down", "the server is shutting down; try again");
        MHD_resume_connection(r->conn);
    }
    h->stop = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (unsigned i = 0; i < h->n_threads; i++)
        pthread_join(h->threads[i], NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h->queue);
    free(h->threads);
    free(h);
}
