/* `childguard serve --queue`: scan jobs through NATS JetStream (docs/queue.md, docs/api.md).
 *
 * POST /v1/jobs takes content (the body, or one multipart file) or, with a JSON body
 * {"path": "...", "callback": "..."}, a path under the workers' --root; it writes the job's
 * ledger row (queued, in the key's tenant) and then publishes the job, and answers 202 with the
 * job id. GET /v1/jobs/<id> answers the row: state, and the verdict once a worker recorded it.
 * The tenant comes from the API key only: a job id of another tenant is not found (404), as
 * is an id that is not one. The scan itself runs in `childguard worker`. */
#include <string.h>

#include "../queue/queue.h"
#include "serve.h"

struct serve_queue {
    queue_link link;
};

void serve_queue_prepare(const serve_config *c)
{
    if (c->nats[0] != '\0' && queue_link_wants_tls(c->nats))
        queue_tls_prepare(); /* before libcrypto is first used (queue.h) */
}

int serve_queue_start(serve_server *s)
{
    queue_setup qs = {s->cfg.queue_replicas > 0 ? s->cfg.queue_replicas : 1,
                      (int64_t)s->cfg.max_body, 0};

    if (s->cfg.nats[0] == '\0')
        return 0;
    s->queue = calloc(1, sizeof(*s->queue));
    if (s->queue == NULL) {
        fprintf(stderr, "childguard serve: out of memory\n");
        return -1;
    }
    if (queue_link_open("serve", s->cfg.nats,
                        s->cfg.queue_stream[0] != '\0' ? s->cfg.queue_stream
                                                       : QUEUE_STREAM_DEFAULT,
                        &s->queue->link) != 0 ||
        queue_link_setup("serve", &s->queue->link, &qs, 0) != 0) {
        serve_queue_stop(s);
        return -1;
    }
    return 0;
}

void serve_queue_stop(serve_server *s)
{
    if (s->queue == NULL)
        return;
    if (s->queue->link.nc != NULL)
        natsConnection_DrainTimeout(s->queue->link.nc, 5000);
    queue_link_close(&s->queue->link);
    free(s->queue);
    s->queue = NULL;
    nats_Close(); /* the client library's threads and globals, after the last connection */
}

static int is_json(serve_req *r)
{
    const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);

    return ct != NULL && strncmp(ct, "application/json", 16) == 0;
}

enum MHD_Result v1_job_submit(serve_req *r)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    const char *path = NULL, *callback = http_query(r, "callback"), *name = http_query(r, "name");
    json_t *body = NULL;
    enum MHD_Result ret;
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus ns;
    serve_db *d;
    cg_error err;
    cg_status st;
    char id[40];

    if (r->srv->queue == NULL)
        return http_error(r, 404, "not_found", "the job queue is off (serve --queue --nats URL)");
    if (is_json(r)) {
        json_t *p, *cb;
        if (http_body_json(r, &body, &ret) != 0)
            return ret;
        p = json_object_get(body, "path");
        cb = json_object_get(body, "callback");
        if (!json_is_string(p) || json_string_length(p) == 0 || json_string_length(p) > 1024) {
            json_decref(body);
            return http_error(r, 400, "bad_request",
                              "\"path\" (1-1024 bytes, relative to the workers' root) is required "
                              "in a JSON body; send content as the raw body or a file");
        }
        path = json_string_value(p);
        if (cb != NULL && !json_is_null(cb)) {
            if (!json_is_string(cb)) {
                json_decref(body);
                return http_error(r, 400, "bad_request", "\"callback\" must be a string");
            }
            callback = json_string_value(cb);
        }
    } else if (http_upload(r, &data, &len, &ret) != 0) {
        return ret;
    }
    if (callback != NULL && (strlen(callback) == 0 || strlen(callback) > 64 ||
                             strspn(callback, "abcdefghijklmnopqrstuvwxyz0123456789_.-") !=
                                 strlen(callback))) {
        json_decref(body);
        return http_error(r, 400, "bad_request",
                          "callback: an outbox target, 1-64 characters of [a-z0-9_.-]");
    }
    if (data != NULL &&
        (int64_t)len > natsConnection_GetMaxPayload(r->srv->queue->link.nc) - 4096) {
        json_decref(body);
        return http_error(r, 413, "too_large",
                          "content of %zu bytes is over what the queue takes (%lld); send a "
                          "path the workers can read instead",
                          len, (long long)natsConnection_GetMaxPayload(r->srv->queue->link.nc));
    }
    if (queue_job_id(id) != 0) {
        json_decref(body);
        return http_cg_error(r, CG_E_IO, "no random source for job ids");
    }
    d = serve_db_get(r, &ret);
    if (d == NULL) {
        json_decref(body);
        return ret;
    }
    /* The row first: a job a worker records before this request returns still has its row,
     * and GET answers "queued" as soon as the id is handed out. */
    st = cg_job_queue(d->db, id, NULL, &err);
    if (st != CG_OK) {
        serve_db_put(r, d);
        json_decref(body);
        return http_cg_error(r, st, err.message);
    }
    ns = natsMsg_Create(&m, r->srv->queue->link.names.jobs_subject, NULL, (const char *)data,
                        (int)len);
    if (ns == NATS_OK) {
        natsMsgHeader_Set(m, "Cg-Job", id);
        natsMsgHeader_Set(m, "Nats-Msg-Id", id);
        natsMsgHeader_Set(m, "Cg-Tenant", r->key.tenant);
        if (path != NULL)
            natsMsgHeader_Set(m, "Cg-Path", path);
        if (name != NULL && strlen(name) <= 255)
            natsMsgHeader_Set(m, "Cg-Name", name);
        else if (r->file_name[0] != '\0')
            natsMsgHeader_Set(m, "Cg-Name", r->file_name);
        if (callback != NULL)
            natsMsgHeader_Set(m, "Cg-Callback", callback);
        ns = queue_publish(&r->srv->queue->link, m, &jerr);
    }
    natsMsg_Destroy(m);
    json_decref(body);
    if (ns != NATS_OK) {
        char why[160];
        snprintf(why, sizeof(why), "not queued: %s (JetStream error %d)", natsStatus_GetText(ns),
                 (int)jerr);
        (void)cg_job_fail(d->db, id, why, &err);
        serve_db_put(r, d);
        serve_log("queue_error", r->id, "job %s: %s", id, why);
        return http_error(r, 503, "queue_unavailable", "the job queue is unavailable; retry later");
    }
    serve_db_put(r, d);
    {
        char loc[64];
        snprintf(loc, sizeof(loc), "/v1/jobs/%s", id);
        return http_json(r, 202, json_pack("{s:s,s:s,s:s}", "id", id, "state", "queued",
                                           "location", loc));
    }
}

enum MHD_Result v1_job_get(serve_req *r)
{
    const char *id = r->params[0];
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;
    cg_job job;
    json_t *o, *verdict = NULL;

    memset(&job, 0, sizeof(job));
    if (r->srv->queue == NULL)
        return http_error(r, 404, "not_found", "the job queue is off (serve --queue --nats URL)");
    if (!cg_job_id_valid(id))
        return http_error(r, 404, "not_found", "job not found");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    st = cg_job_get(d->db, id, &job, &err); /* in the key's tenant only */
    serve_db_put(r, d);
    if (st == CG_E_NOTFOUND)
        return http_error(r, 404, "not_found", "job not found");
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    if (job.verdict_json != NULL)
        verdict = json_loads(job.verdict_json, 0, NULL);
    o = json_pack("{s:s,s:s,s:I,s:I,s:o,s:o,s:o}", "id", job.id, "state",
                  cg_job_state_name(job.state), "created", (json_int_t)job.created, "updated",
                  (json_int_t)job.updated, "review_id",
                  job.review_id > 0 ? json_integer(job.review_id) : json_null(), "verdict",
                  verdict != NULL ? verdict : json_null(), "error",
                  job.state == CG_JOB_FAILED ? json_string(job.error) : json_null());
    cg_job_clear(&job);
    return http_json(r, 200, o);
}
