/* Operations routes: GET /metrics (Prometheus text format: requests, latencies, matches by
 * bank and label, webhook deliveries, index size and age, outbox counts, conversations kept
 * and evicted, buffered bytes, the decoding queue, protective events). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

enum MHD_Result serve_metrics_route(serve_req *r)
{
    serve_server *s = r->srv;
    metrics_gauges g;
    serve_engine *e;
    serve_db *d;
    enum MHD_Result ret;
    cg_matcher *m;
    cg_error err;
    char *text;

    memset(&g, 0, sizeof(g));
    g.now = (int64_t)time(NULL);
    e = serve_engine_acquire(s);
    m = e != NULL ? cg_engine_matcher(e->engine) : NULL;
    if (m != NULL) {
        cg_matcher_stats_get(m, &g.index);
        g.has_index = 1;
    }
    if (e != NULL) {
        cg_engine_stats es;
        cg_engine_stats_get(e->engine, &es);
        g.has_engine = 1;
        g.conversations = es.conversations;
        g.conversations_evicted = es.conversations_evicted;
    }
    serve_engine_release(s, e);
    g.buffered_bytes = atomic_load(&s->buffered);
    heavy_counts(s->heavy, &g.decode_queued, &g.decode_running);
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (cg_outbox_counts(d->db, &g.outbox_pending, &g.outbox_delivered, &g.outbox_failed,
                         &err) == CG_OK)
        g.has_outbox = 1;
    serve_db_put(r, d);
    if (s->ro_dbs != NULL) {
        /* The replica's state as one of the read-only handles sees it, checked now. */
        d = serve_db_get_stale_ok(r, &ret);
        if (d == NULL)
            return ret;
        g.has_replica = cg_bankdb_replica_state_get(d->db, &g.replica, &err) == CG_OK &&
                        g.replica.configured;
        serve_db_put(r, d);
    }
    text = metrics_render(s->metrics, &g);
    if (text == NULL)
        return http_error(r, 500, "nomem", "out of memory");
    ret = http_bytes(r, 200, "text/plain; version=0.0.4", text, strlen(text));
    free(text);
    return ret;
}
