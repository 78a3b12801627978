/* The native API (/v1): scans through the engine (the verdict JSON every front end shares,
 * docs/verdict.md), chat messages with conversation state kept by the engine, the review queue
 * and its report drafts, audit verification, bank import and export, and policy reload.
 *
 * Everything is per tenant (the key's): conversations, review items, report drafts, outbox
 * entries. The reviewer is the key's holder (an admin key may name another, audited as both);
 * a decision that adds to a bank also needs bank:write, one on an escalated item needs
 * review:senior, and allow-listing the content of a csam match needs a second reviewer
 * (store_review.c). Every report draft handed out and every preview shown is audited first: one
 * that cannot be recorded is not handed out (docs/security.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "../msgtime.h"

/* The verdict as the key may see it: matches of banks outside its bank list are left out, and
 * distances (and vPDQ match percentages) too without match:distance. The decision itself was
 * taken on every bank and stands. */
static enum MHD_Result verdict_reply(serve_req *r, cg_verdict *v)
{
    char *json = cg_verdict_to_json(v, 0);
    const int distances = auth_has(r, CG_SCOPE_DISTANCE);
    json_t *j, *matches, *kept, *m;
    size_t i;
    enum MHD_Result ret;

    if (json == NULL)
        return http_error(r, 500, "nomem", "out of memory");
    if (distances && r->key.banks[0] == '\0') {
        ret = http_bytes(r, 200, "application/json", json, strlen(json));
        cg_free(json);
        return ret;
    }
    j = json_loads(json, 0, NULL);
    cg_free(json);
    matches = json_object_get(j, "matches");
    kept = json_array();
    if (j == NULL || kept == NULL) {
        json_decref(j);
        json_decref(kept);
        return http_error(r, 500, "nomem", "out of memory");
    }
    json_array_foreach(matches, i, m) {
        const char *bank = json_string_value(json_object_get(m, "bank"));

        if (bank == NULL || !serve_bank_visible(r, bank))
            continue;
        if (!distances) {
            json_object_del(m, "distance");
            json_object_del(m, "query_percent");
            json_object_del(m, "target_percent");
        }
        json_array_append(kept, m);
    }
    json_object_set_new(j, "matches", kept);
    return http_json(r, 200, j);
}

int serve_notify(serve_req *r, const cg_verdict *v)
{
    /* The engine wrote the outbox rows in its record step; the server only delivers them. */
    if (v->notify_dropped > 0) {
        /* The receiver is down or the tenant floods: dropped (the verdict and its review item
         * stand), counted and logged. */
        metrics_event(r->srv->metrics, "outbox_full");
        serve_log("notify", r->id, "dropped %d notification(s): the tenant's outbox is full",
                  v->notify_dropped);
    }
    if (v->notified > 0)
        webhooks_kick(r->srv->webhooks);
    return v->notified;
}

static enum MHD_Result scan(serve_req *r, const cg_content *c)
{
    serve_engine *e = serve_engine_acquire(r->srv);
    cg_verdict v;
    cg_error err;
    cg_status st;
    enum MHD_Result ret;

    memset(&v, 0, sizeof(v));
    if (e == NULL)
        return http_error(r, 503, "not_ready", "the engine is not loaded");
    st = cg_engine_scan(e->engine, c, &v, &err);
    serve_engine_release(r->srv, e);
    if (st == CG_OK) {
        for (size_t i = 0; i < v.matches.n; i++)
            if (!v.matches.v[i].suppressed)
                metrics_match(r->srv->metrics, v.matches.v[i].bank, v.matches.v[i].label, 1);
        serve_notify(r, &v);
    }
    if (st != CG_OK)
        ret = http_cg_error(r, st, err.message);
    else
        ret = verdict_reply(r, &v);
    cg_verdict_free(&v);
    return ret;
}

enum MHD_Result v1_scan(serve_req *r)
{
    const uint8_t *data;
    size_t len;
    enum MHD_Result ret;
    cg_content c;
    const char *name = http_query(r, "name");

    if (http_upload(r, &data, &len, &ret) != 0)
        return ret;
    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.tenant = r->key.tenant;
    c.data = data;
    c.len = len;
    c.name = name != NULL ? name : (r->file_name[0] != '\0' ? r->file_name : NULL);
    return scan(r, &c);
}

/* A string member of o, NULL when absent; -1 (and a 400 queued) when present but not a string
 * or longer than max. */
static int opt_string(serve_req *r, json_t *o, const char *key, size_t max, const char **out,
                      enum MHD_Result *ret)
{
    json_t *v = json_object_get(o, key);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max) {
        *ret = http_error(r, 400, "bad_request", "\"%s\" must be a string of at most %zu bytes",
                          key, max);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

enum MHD_Result v1_message(serve_req *r)
{
    json_t *body, *v;
    enum MHD_Result ret;
    cg_content c;
    const char *text;

    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    cg_content_init(&c);
    c.kind = CG_CONTENT_MESSAGE;
    c.tenant = r->key.tenant; /* conversations are kept per tenant */
    v = json_object_get(body, "text");
    if (!json_is_string(v)) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "\"text\" (a string) is required");
    }
    text = json_string_value(v);
    c.message.text = text;
    c.message.len = json_string_length(v);
    if (opt_string(r, body, "conversation", 127, &c.message.conversation, &ret) != 0 ||
        opt_string(r, body, "id", 63, &c.message.id, &ret) != 0 ||
        opt_string(r, body, "sender", 127, &c.message.sender, &ret) != 0 ||
        opt_string(r, body, "recipient", 127, &c.message.recipient, &ret) != 0) {
        json_decref(body);
        return ret;
    }
    /* "ts" as in chat exports and `text scan` input (ISO-8601 or unix seconds), or "ts_ms". */
    v = json_object_get(body, "ts_ms");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            json_decref(body);
            return http_error(r, 400, "bad_request", "\"ts_ms\" must be unix milliseconds");
        }
        c.message.ts_ms = json_integer_value(v);
    } else if ((c.message.ts_ms = timestamp_parse_ms(json_object_get(body, "ts"))) < 0) {
        json_decref(body);
        return http_error(r, 400, "bad_request",
                          "\"ts\" must be an ISO-8601 time or unix seconds");
    }
    v = json_object_get(body, "sender_age");
    if (json_is_integer(v))
        c.sender_age = (int)json_integer_value(v);
    v = json_object_get(body, "recipient_age");
    if (json_is_integer(v))
        c.recipient_age = (int)json_integer_value(v);
    v = json_object_get(body, "sender_is_child");
    if (json_is_boolean(v))
        c.sender_is_child = json_is_true(v);
    ret = scan(r, &c);
    json_decref(body);
    return ret;
}

/* ---- review ----------------------------------------------------------------------------- */

static json_t *review_json(const cg_review_item *it)
{
    json_t *sigs = json_array(), *j;

    for (size_t i = 0; sigs != NULL && i < it->n_signals; i++) {
        char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
        it->signals[i].type->format(it->signals[i].value, hex);
        json_array_append_new(sigs, json_pack("{s:s, s:s, s:i}", "signal_type",
                                              it->signals[i].type->name, "signal", hex,
                                              "quality", it->signals[i].quality));
    }
    j = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:o, s:s, s:s, s:s, s:I, s:I, s:I, s:s,"
                     " s:I, s:b, s:b}",
                     "id", (json_int_t)it->id, "content_id", it->content_id, "kind", it->kind,
                     "label", it->label, "priority", it->priority, "reason", it->reason,
                     "signals", sigs, "state", cg_review_state_name(it->state), "reviewer",
                     it->reviewer, "note", it->note, "created", (json_int_t)it->created,
                     "claimed_at", (json_int_t)it->claimed_at, "decided_at",
                     (json_int_t)it->decided_at, "bank", it->bank, "bank_signal_count",
                     (json_int_t)it->bank_signal_count, "has_preview", it->has_preview,
                     "has_excerpt", it->has_excerpt);
    if (j != NULL)
        json_object_set_new(
            j, "proposal",
            it->proposed_by[0] == '\0'
                ? json_null()
                : json_pack("{s:s, s:s, s:s, s:I}", "state",
                            cg_review_state_name(it->proposed_state), "by", it->proposed_by,
                            "bank", it->proposed_bank, "at", (json_int_t)it->proposed_at));
    if (j != NULL && it->confirmed_by[0] != '\0')
        json_object_set_new(j, "confirmed_by", json_string(it->confirmed_by));
    return j;
}

static int list_one(const cg_review_item *it, void *ud)
{
    json_array_append_new(ud, review_json(it));
    return 0;
}

enum MHD_Result v1_review_list(serve_req *r)
{
    cg_review_filter f = {-1, NULL, NULL, 100};
    const char *state = http_query(r, "state");
    const char *limit = http_query(r, "limit");
    int64_t counts[CG_REVIEW_STATE_COUNT];
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;
    json_t *items, *cj;

    if (state != NULL && state[0] != '\0') {
        f.state = cg_review_state_from_name(state);
        if (f.state < 0)
            return http_error(r, 400, "bad_request", "unknown state '%s' (pending, claimed, "
                              "confirmed, false_positive, escalated)", state);
    }
    if (limit != NULL) {
        char *end;
        unsigned long v = strtoul(limit, &end, 10);
        if (*end != '\0' || v == 0 || v > 10000)
            return http_error(r, 400, "bad_request", "limit must be 1..10000");
        f.limit = v;
    }
    f.label = http_query(r, "label");
    f.reviewer = http_query(r, "reviewer");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    items = json_array();
    st = cg_review_list(d->db, &f, list_one, items, &err);
    if (st == CG_OK)
        st = cg_review_counts(d->db, counts, &err);
    serve_db_put(r, d);
    if (st != CG_OK) {
        json_decref(items);
        return http_cg_error(r, st, err.message);
    }
    cj = json_object();
    for (int i = 0; i < CG_REVIEW_STATE_COUNT; i++)
        json_object_set_new(cj, cg_review_state_name((cg_review_state)i),
                            json_integer(counts[i]));
    return http_json(r, 200, json_pack("{s:o, s:o}", "items", items, "counts", cj));
}

/* r->params[0] as an item id ("next" gives -1 when allow_next); else a 404 queued. */
static int item_id(serve_req *r, int allow_next, int64_t *id, enum MHD_Result *ret)
{
    char *end;
    long long v;

    if (allow_next && strcmp(r->params[0], "next") == 0) {
        *id = -1;
        return 0;
    }
    errno = 0;
    v = strtoll(r->params[0], &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0) {
        *ret = http_error(r, 404, "not_found", "review item '%s' not found", r->params[0]);
        return -1;
    }
    *id = v;
    return 0;
}

/* Reads item id into it (and its verdict); replies with the item on success when reply. */
static enum MHD_Result item_reply(serve_req *r, serve_db *d, int64_t id)
{
    cg_review_item it;
    char *verdict = NULL;
    cg_error err;
    cg_status st = cg_review_get(d->db, id, &it, &verdict, &err);
    json_t *j, *vj;

    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    j = review_json(&it);
    vj = verdict != NULL ? json_loads(verdict, 0, NULL) : NULL;
    cg_free(verdict);
    if (j != NULL)
        json_object_set_new(j, "verdict", vj != NULL ? vj : json_object());
    return http_json(r, 200, j);
}

enum MHD_Result v1_review_get(serve_req *r)
{
    int64_t id;
    enum MHD_Result ret;
    serve_db *d;

    if (item_id(r, 0, &id, &ret) != 0)
        return ret;
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    ret = item_reply(r, d, id);
    serve_db_put(r, d);
    return ret;
}

/* Bodies of claim/release are optional: an empty body is {}. */
static int optional_body(serve_req *r, json_t **body, enum MHD_Result *ret)
{
    if (r->len == 0) {
        *body = json_object();
        return 0;
    }
    return http_body_json(r, body, ret);
}

/* What claim and release both start with: the item id from the path (0 = "the next one" where
 * next_ok), an optional body, the reviewer the key names and a store handle. On failure *ret is
 * the reply and nothing is held. */
typedef struct {
    int64_t id;
    json_t *body;
    const char *who;
    serve_db *d;
} review_call;

static int review_call_open(serve_req *r, int next_ok, review_call *c, enum MHD_Result *ret)
{
    memset(c, 0, sizeof(*c));
    if (item_id(r, next_ok, &c->id, ret) != 0)
        return -1;
    if (optional_body(r, &c->body, ret) != 0)
        return -1;
    if ((c->who = auth_reviewer(r, c->body, ret)) == NULL ||
        (c->d = serve_db_get(r, ret)) == NULL) {
        json_decref(c->body);
        return -1;
    }
    return 0;
}

static void review_call_close(serve_req *r, review_call *c)
{
    serve_db_put(r, c->d);
    json_decref(c->body);
}

enum MHD_Result v1_review_claim(serve_req *r)
{
    int64_t claimed = 0;
    enum MHD_Result ret;
    review_call c;
    cg_error err;
    cg_status st;

    if (review_call_open(r, 1, &c, &ret) != 0)
        return ret;
    st = cg_review_claim(c.d->db, c.id, c.who, &claimed, c.d->audit, &err);
    if (st != CG_OK)
        ret = http_cg_error(r, st, err.message);
    else
        ret = item_reply(r, c.d, c.id > 0 ? c.id : claimed);
    review_call_close(r, &c);
    return ret;
}

enum MHD_Result v1_review_release(serve_req *r)
{
    enum MHD_Result ret;
    review_call c;
    cg_error err;
    cg_status st;

    if (review_call_open(r, 0, &c, &ret) != 0)
        return ret;
    st = cg_review_release(c.d->db, c.id, c.who, c.d->audit, &err);
    ret = st != CG_OK ? http_cg_error(r, st, err.message) : item_reply(r, c.d, c.id);
    review_call_close(r, &c);
    return ret;
}

enum MHD_Result v1_review_decide(serve_req *r)
{
    int64_t id;
    enum MHD_Result ret;
    json_t *body;
    serve_db *d;
    cg_error err;
    cg_status st;
    cg_review_decision dec;
    const char *state;
    int s;

    if (item_id(r, 0, &id, &ret) != 0)
        return ret;
    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    state = json_string_value(json_object_get(body, "state"));
    s = state != NULL ? cg_review_state_from_name(state) : -1;
    if (s != CG_REVIEW_CONFIRMED && s != CG_REVIEW_FALSE_POSITIVE && s != CG_REVIEW_ESCALATED) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "\"state\" must be confirmed, false_positive "
                          "or escalated");
    }
    memset(&dec, 0, sizeof(dec));
    dec.state = (cg_review_state)s;
    dec.reviewer = auth_reviewer(r, body, &ret);
    if (dec.reviewer == NULL) {
        json_decref(body);
        return ret;
    }
    if (opt_string(r, body, "note", CG_REVIEW_TEXT_MAX, &dec.note, &ret) != 0 ||
        opt_string(r, body, "bank", CG_BANK_NAME_MAX, &dec.bank, &ret) != 0) {
        json_decref(body);
        return ret;
    }
    /* Writing into a bank (an allow bank above all) is a bank change: it needs bank:write. */
    if (dec.bank != NULL && !auth_has(r, CG_SCOPE_BANK_WRITE)) {
        json_decref(body);
        return http_error(r, 403, "forbidden", "a decision that adds to a bank needs the scope "
                                               "'bank:write' besides 'review'");
    }
    if (dec.bank != NULL && !serve_bank_visible(r, dec.bank)) {
        json_decref(body);
        return http_error(r, 404, "bank_not_found", "bank '%s' not found", dec.bank);
    }
    d = serve_db_get(r, &ret);
    if (d == NULL) {
        json_decref(body);
        return ret;
    }
    {
        /* Escalated items are for senior reviewers: a clear 403 here; the store enforces it
         * again inside the decision's transaction (409 if the item was escalated meanwhile). */
        cg_review_item cur;

        if (!auth_has(r, CG_SCOPE_REVIEW_SENIOR) &&
            cg_review_get(d->db, id, &cur, NULL, &err) == CG_OK &&
            cur.state == CG_REVIEW_ESCALATED) {
            serve_db_put(r, d);
            json_decref(body);
            return http_error(r, 403, "forbidden", "this item is escalated: deciding it needs "
                                                   "the scope 'review:senior'");
        }
    }
    st = cg_review_decide(d->db, id, &dec, d->audit, &err);
    ret = st != CG_OK ? http_cg_error(r, st, err.message) : item_reply(r, d, id);
    serve_db_put(r, d);
    json_decref(body);
    return ret;
}

/* Appends the record of something handed out about item id (a report draft, a preview) before
 * it is: kind, the SHA-256 and size of what is handed out, the tenant. -1 with a 500 queued when
 * it cannot be recorded (then nothing is handed out, as on the command line). */
int audit_handout(serve_req *r, serve_db *d, const char *kind, int64_t id,
                         const char *format, const void *data, size_t len,
                         enum MHD_Result *ret)
{
    char actor[64], subject[48], sha[2 * CG_SHA256_BYTES + 1];
    cg_digests dg;
    cg_error err;
    json_t *j;
    char *text;
    cg_status st;

    if (d->audit == NULL) {
        *ret = http_error(r, 503, "no_audit_log",
                          "this server keeps no audit log, so it hands out no %s",
                          strcmp(kind, "report_draft") == 0 ? "report drafts" : "previews");
        return -1;
    }
    if (cg_digest_mem(CG_DIGEST_SHA256, data, len, &dg) != CG_OK) {
        *ret = http_error(r, 500, "nomem", "out of memory");
        return -1;
    }
    cg_hex_encode(dg.sha256, CG_SHA256_BYTES, sha);
    serve_actor(r, actor, sizeof(actor));
    snprintf(subject, sizeof(subject), "review:%lld", (long long)id);
    j = json_pack("{s:s, s:s, s:I, s:s, s:s}", "format", format, "sha256", sha, "bytes",
                  (json_int_t)len, "via", "api", "tenant", cg_bankdb_tenant(d->db));
    text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (text == NULL) {
        *ret = http_error(r, 500, "nomem", "out of memory");
        return -1;
    }
    st = cg_audit_append(d->audit, kind, actor, subject, text, NULL, &err);
    free(text);
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    return 0;
}

enum MHD_Result v1_review_report(serve_req *r)
{
    const char *fname = http_query(r, "format");
    int fmt = cg_report_format_from_name(fname != NULL ? fname : "json");
    cg_report_options opt;
    cg_review_item it;
    char *verdict = NULL, *draft = NULL;
    size_t len = 0;
    int64_t id;
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;

    if (fmt < 0)
        return http_error(r, 400, "bad_request", "format must be ncmec-xml, json or referral");
    if (item_id(r, 0, &id, &ret) != 0)
        return ret;
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    st = cg_review_get(d->db, id, &it, &verdict, &err);
    if (st != CG_OK) {
        serve_db_put(r, d);
        return http_cg_error(r, st, err.message);
    }
    memset(&opt, 0, sizeof(opt));
    opt.reporter_name = http_query(r, "reporter_name");
    opt.reporter_email = http_query(r, "reporter_email");
    opt.organization = http_query(r, "organization");
    opt.country = http_query(r, "country");
    opt.service = http_query(r, "service");
    opt.url = http_query(r, "url");
    opt.escalate = http_query(r, "escalate");
    st = cg_report_draft(&it, verdict, (cg_report_format)fmt, &opt, &draft, &len, &err);
    cg_free(verdict);
    if (st != CG_OK) {
        serve_db_put(r, d);
        /* The two refusals a reviewer must understand, in words that name nobody. */
        if (st == CG_E_INVAL && it.state == CG_REVIEW_FALSE_POSITIVE) {
            serve_log("info", r->id, "report draft refused: %s", err.message);
            return http_error(r, 400, cg_status_word(st), "%s",
                              "this item was ruled a false positive: no report draft");
        }
        if (st == CG_E_UNSUPPORTED) {
            serve_log("info", r->id, "report draft refused: %s", err.message);
            return http_error(r, 415, cg_status_word(st), "%s",
                              "this harm is not a CyberTipline incident type: ask for "
                              "format=json or format=referral (whom to refer it to)");
        }
        return http_cg_error(r, st, err.message);
    }
    if (audit_handout(r, d, "report_draft", id, cg_report_format_name((cg_report_format)fmt),
                      draft, len, &ret) != 0) {
        serve_db_put(r, d);
        cg_free(draft);
        return ret;
    }
    serve_db_put(r, d);
    ret = http_bytes(r, 200,
                     fmt == CG_REPORT_NCMEC_XML ? "application/xml"
                     : fmt == CG_REPORT_REFERRAL ? "text/plain; charset=utf-8"
                                                 : "application/json",
                     draft, len);
    cg_free(draft);
    return ret;
}

enum MHD_Result v1_review_preview(serve_req *r)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int64_t id;
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;

    if (item_id(r, 0, &id, &ret) != 0)
        return ret;
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    st = cg_review_preview_get(d->db, id, &data, &len, &err);
    if (st != CG_OK) {
        serve_db_put(r, d);
        return http_cg_error(r, st, err.message);
    }
    if (audit_handout(r, d, "review_preview", id, "pgm", data, len, &ret) != 0) {
        serve_db_put(r, d);
        cg_free(data);
        return ret;
    }
    serve_db_put(r, d);
    ret = http_bytes(r, 200, "image/x-portable-graymap", data, len);
    cg_free(data);
    return ret;
}

/* ---- audit, banks, policy --------------------------------------------------------------- */

enum MHD_Result v1_audit_verify(serve_req *r)
{
    cg_audit_report rep;
    cg_error err;
    cg_status st;

    if (r->srv->cfg.log[0] == '\0')
        return http_error(r, 404, "no_audit_log", "this server keeps no audit log");
    st = cg_audit_verify(r->srv->cfg.log, &rep, &err);
    if (st == CG_E_NOTFOUND)
        return http_json(r, 200, json_pack("{s:b, s:i, s:s}", "ok", 1, "records", 0,
                                           "last_hash", ""));
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 200,
                     json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "ok", rep.ok,
                               "records", (json_int_t)rep.records, "first_seq",
                               (json_int_t)rep.first_seq, "last_seq", (json_int_t)rep.last_seq,
                               "expired", (json_int_t)rep.expired, "first_bad_seq",
                               (json_int_t)rep.first_bad_seq, "first_bad_line",
                               (json_int_t)rep.first_bad_line, "reason", rep.reason,
                               "last_hash", rep.last_hash));
}

static int list_format(const char *name, cg_list_format *out)
{
    static const char *const names[] = {"auto", "lines", "csv", "tsv", "jsonl"};

    if (name == NULL) {
        *out = CG_LIST_AUTO;
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i], name) == 0) {
            *out = (cg_list_format)i;
            return 0;
        }
    return -1;
}

enum MHD_Result v1_bank_export(serve_req *r)
{
    cg_list_format fmt;
    enum MHD_Result ret;
    serve_db *d;
    cg_bank b;
    cg_error err;
    struct MHD_Response *resp;
    int rc;

    if (list_format(http_query(r, "format"), &fmt) != 0)
        return http_error(r, 400, "bad_request", "format must be csv, tsv, jsonl or lines");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    rc = bank_lookup(r, d, r->params[0], &b, &ret);
    serve_db_put(r, d);
    if (rc != 0)
        return ret;
    resp = export_response(r->srv->cfg.db, b.id, fmt, &err);
    if (resp == NULL)
        return http_cg_error(r, err.status, err.message);
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                fmt == CG_LIST_JSONL ? "application/x-ndjson"
                                : fmt == CG_LIST_TSV ? "text/tab-separated-values"
                                : fmt == CG_LIST_LINES ? "text/plain"
                                                       : "text/csv") != MHD_YES) {
        MHD_destroy_response(resp);
        return http_error(r, 500, "nomem", "out of memory");
    }
    return http_queue(r, 200, resp);
}

static void on_reject(uint64_t line, const char *reason, void *ud)
{
    json_t *arr = ud;

    if (json_array_size(arr) < 20)
        json_array_append_new(arr, json_pack("{s:I, s:s}", "line", (json_int_t)line, "reason",
                                             reason));
}

enum MHD_Result v1_bank_import(serve_req *r)
{
    cg_import_options opt;
    cg_import_report rep;
    const char *type = http_query(r, "type");
    enum MHD_Result ret;
    serve_db *d;
    cg_bank b;
    cg_error err;
    cg_status st;
    json_t *rejects;
    FILE *in;

    memset(&opt, 0, sizeof(opt));
    memset(&rep, 0, sizeof(rep));
    if (list_format(http_query(r, "format"), &opt.format) != 0)
        return http_error(r, 400, "bad_request", "format must be auto, csv, tsv, jsonl or lines");
    if (type != NULL) {
        opt.default_type = cg_signal_type_find(type);
        if (opt.default_type == NULL)
            return http_error(r, 400, "bad_signal_type", "No such signal type %s", type);
    }
    opt.source = http_query(r, "source") != NULL ? http_query(r, "source") : "api import";
    if (r->len == 0)
        return http_error(r, 400, "no_content", "send the list as the request body");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (bank_lookup(r, d, r->params[0], &b, &ret) != 0) {
        serve_db_put(r, d);
        return ret;
    }
    rejects = json_array();
    opt.on_reject = on_reject;
    opt.ud = rejects;
    in = fmemopen(r->body, r->len, "r");
    if (in == NULL) {
        serve_db_put(r, d);
        json_decref(rejects);
        return http_error(r, 500, "nomem", "out of memory");
    }
    st = cg_bank_import(d->db, b.id, in, &opt, &rep, &err);
    fclose(in);
    serve_db_put(r, d);
    if (st != CG_OK) {
        json_decref(rejects);
        return http_cg_error(r, st, err.message);
    }
    return http_json(r, 200, json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "bank", b.name,
                                       "lines", (json_int_t)rep.lines, "added",
                                       (json_int_t)rep.added, "merged", (json_int_t)rep.merged,
                                       "rejected", (json_int_t)rep.rejected, "rejects",
                                       rejects));
}

enum MHD_Result v1_policy_reload(serve_req *r)
{
    cg_error err;
    cg_status st = serve_engine_reload(r->srv, &err);

    if (st != CG_OK)
        return http_error(r, st == CG_E_NOMEM ? 500 : 400, "reload_failed",
                          "the policy was not reloaded (the old one stays): %s", err.message);
    return http_json(r, 200, json_pack("{s:b, s:s}", "reloaded", 1, "policy",
                                       r->srv->cfg.policy[0] != '\0' ? r->srv->cfg.policy
                                                                     : "(shipped default)"));
}
