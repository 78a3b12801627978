/* The exchange feedback loop (exchange_feedback.h, cg_exchange_feedback_run; docs/exchange.md
 * "Feedback"): a review decision on an item matched through an exchange's bank queues one row
 * per entry in the decision's transaction; the deliverer sends NCMEC's PUT and StopNCII's
 * SubmitFeedback with the right shape through an in-memory transport, retries a 5xx with
 * back-off on the injected clock, reports a 401 and gives up after the attempts; nothing but
 * ids and hashes leaves (the content id, the reviewer's note and the reviewer's name are
 * checked absent from every request). Synthetic hash values. */
#include "cg_test.h"

#include "childguard/exchange.h"
#include "childguard/exchange_feedback.h"
#include "childguard/exchange_store.h"
#include "childguard/hex.h"
#include "childguard/review.h"
#include "common/alloc.h"
#include "exchange/exchange_int.h"

#define PDQ1 "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
#define MD5A "0123456789abcdef0123456789abcdef"
#define MD5B "11111111111111111111111111111111"
#define MD5C "22222222222222222222222222222222"
#define NOW 1796083200 /* 2026-12-01 */
#define SECRET_NOTE "NOTE-SYNTHETIC-do-not-send"
#define CONTENT_ID "sha256:c0ffee-synthetic-content"

/* ---- a recording transport: method, URL, headers and body of each request but GETs; a
 * script of statuses answered in turn (the last one repeats). GETs (NCMEC's /v2/status, a
 * ThreatExchange indicator's descriptors) are counted apart and answered get_status with
 * get_body (by default NCMEC's status of member 7) ---- */

#define REC_MAX 16

typedef struct recorder {
    char method[REC_MAX][8];
    char url[REC_MAX][512];
    char auth[REC_MAX][256];
    char body[REC_MAX][1024];
    size_t n;
    int statuses[8];
    size_t n_statuses;
    int64_t now;
    char get_url[REC_MAX][512];
    char get_auth[REC_MAX][256];
    size_t n_get;
    int get_status;
    const char *get_body;
    const char *post_body;   /* NULL: "{}" */
    const char *reasons_body; /* NCMEC's GET /v2/feedback/{TYPE}/reasons answer */
} recorder;

/* NCMEC's negative-feedback reasons (the shape python-threatexchange's client reads: an
 * availableFeedbackReasons element of reasons with guid and name attributes; synthetic ids). */
#define NCMEC_REASONS_XML                                                                        \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feedbackReasons xmlns=\"https://"                \
    "hashsharing.ncmec.org/hashsharing/v2\"><availableFeedbackReasons>"                          \
    "<reason guid=\"3f1c2e0a-0000-4000-8000-00000000abcd\" name=\"Not the described content\" "  \
    "type=\"MD5\"/><reason guid=\"3f1c2e0a-0000-4000-8000-00000000beef\" name=\"Other\" "        \
    "type=\"MD5\"/></availableFeedbackReasons></feedbackReasons>"

#define NCMEC_STATUS_XML                                                                         \
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><status xmlns=\"https://"      \
    "hashsharing.ncmec.org/hashsharing/v2\"><ipAddress>127.0.0.1</ipAddress><member id=\"7\">"    \
    "Hotline (synthetic)</member></status>"

static cg_status rec_send(void *ud, const cg_http_request *req, cg_http_response *resp,
                          cg_error *err)
{
    recorder *r = ud;
    const size_t i = r->n < REC_MAX ? r->n : REC_MAX - 1;
    const size_t k = r->n < r->n_statuses ? r->n : r->n_statuses - 1;
    const char *answer = r->post_body != NULL ? r->post_body : "{}";

    (void)err;
    if (strcmp(req->method, "GET") == 0) {
        const size_t g = r->n_get < REC_MAX ? r->n_get : REC_MAX - 1;

        snprintf(r->get_url[g], sizeof(r->get_url[g]), "%s", req->url);
        r->get_auth[g][0] = '\0';
        for (size_t h = 0; h < req->n_headers; h++)
            if (strcmp(req->headers[h].name, "Authorization") == 0)
                snprintf(r->get_auth[g], sizeof(r->get_auth[g]), "%s", req->headers[h].value);
        r->n_get++;
        resp->status = r->get_status;
        if (strstr(req->url, "/v2/feedback/") != NULL && r->reasons_body != NULL)
            return cg_http_response_append(resp, r->reasons_body, strlen(r->reasons_body));
        return cg_http_response_append(resp, r->get_body, strlen(r->get_body));
    }
    snprintf(r->method[i], sizeof(r->method[i]), "%s", req->method);
    snprintf(r->url[i], sizeof(r->url[i]), "%s", req->url);
    r->auth[i][0] = '\0';
    for (size_t h = 0; h < req->n_headers; h++)
        if (strcmp(req->headers[h].name, "Authorization") == 0 ||
            strcmp(req->headers[h].name, "x-functions-key") == 0)
            snprintf(r->auth[i], sizeof(r->auth[i]), "%s", req->headers[h].value);
    snprintf(r->body[i], sizeof(r->body[i]), "%.*s", (int)req->body_len,
             req->body != NULL ? req->body : "");
    r->n++;
    resp->status = r->statuses[k];
    return cg_http_response_append(resp, answer, strlen(answer));
}

static int64_t rec_now(void *ud)
{
    return ((recorder *)ud)->now;
}

static void rec_config(recorder *r, cg_exchange_config *cfg, cg_http_transport *tr,
                       cg_clock *ck, const int *statuses, size_t n)
{
    memset(r, 0, sizeof(*r));
    memcpy(r->statuses, statuses, n * sizeof(int));
    r->n_statuses = n;
    r->now = NOW;
    r->get_status = 200;
    r->get_body = NCMEC_STATUS_XML;
    r->reasons_body = NCMEC_REASONS_XML;
    memset(cfg, 0, sizeof(*cfg));
    tr->send = rec_send;
    tr->ud = r;
    ck->now = rec_now;
    ck->ud = r;
    cfg->transport = tr;
    cfg->clock = ck;
    cfg->base_url = "https://x.test";
    cfg->user = "hotline";
    cfg->password = "pw-synthetic";
    cfg->api_key = "key-synthetic";
    cfg->subscription_key = "sub-synthetic";
}

/* Nothing of the item but ids and hashes in any request. */
static void assert_no_content(const recorder *r)
{
    for (size_t i = 0; i < r->n && i < REC_MAX; i++) {
        CG_ASSERT(strstr(r->body[i], SECRET_NOTE) == NULL);
        CG_ASSERT(strstr(r->body[i], "c0ffee") == NULL);
        CG_ASSERT(strstr(r->body[i], "alice") == NULL);
        CG_ASSERT(strstr(r->url[i], "c0ffee") == NULL);
        CG_ASSERT(strstr(r->url[i], "alice") == NULL);
    }
}

/* ---- the store: an exchange, a page of records, a review item matching them ---- */

static cg_bankdb *open_db(const char *file)
{
    char path[512];
    cg_bankdb *db = NULL;
    cg_error err;

    /* Every backend keeps exchanges and their feedback queue: a missing op fails the case
     * (CG_E_UNSUPPORTED), it is never skipped. */
    cg_test_store_location(file, path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

static void add_rec(cg_exchange_delta *d, const char *key, const char *member,
                    const char *entry, const char *const *hashes)
{
    cg_exchange_record *r = NULL;

    CG_ASSERT_OK(cg__delta_add(d, key, member, entry, "A1", &r), NULL);
    for (size_t i = 0; hashes[i] != NULL; i++) {
        const char *colon = strchr(hashes[i], ':');
        char type[16];
        char why[128];

        snprintf(type, sizeof(type), "%.*s", (int)(colon - hashes[i]), hashes[i]);
        CG_ASSERT_EQ(cg__record_add_hash(r, type, colon + 1, why, sizeof(why)), 1);
    }
}

/* Applies page d (then freed) to exchange ex with checkpoint cp. */
static void apply_page(cg_bankdb *db, const cg_exchange_info *ex, cg_exchange_delta *d,
                       const char *cp)
{
    cg_exchange_apply_report rep;
    cg_error err;

    CG_ASSERT_OK(cg__delta_set_checkpoint(d, cp), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, ex, d, &rep, &err), &err);
    cg_exchange_delta_fini(d);
}

static void make_exchange(cg_bankdb *db, const char *name, const char *api,
                          cg_exchange_info *ex)
{
    cg_error err;

    memset(ex, 0, sizeof(*ex));
    snprintf(ex->name, sizeof(ex->name), "%s", name);
    snprintf(ex->api, sizeof(ex->api), "%s", api);
    snprintf(ex->api_json, sizeof(ex->api_json), "{\"base_url\":\"https://x.test\"}");
    ex->enabled = 1;
    CG_ASSERT_OK(cg_exchange_create(db, ex, "csam", 0, &err), &err);
}

static int64_t signal_id(cg_bankdb *db, int64_t bank, const char *type, const char *hex)
{
    const cg_signal_type *t = cg_signal_type_find(type);
    uint8_t v[32];
    cg_bank_signal s;
    cg_error err;

    CG_ASSERT_OK(cg_hex_decode(hex, strlen(hex), v, t->bytes), NULL);
    CG_ASSERT_OK(cg_bank_signal_find(db, bank, t, v, &s, &err), &err);
    return s.id;
}

/* Adds a pending review item whose verdict holds block matches of the given signal ids (the
 * second and later with distance and kind as a real verdict has them), and returns its id. */
static int64_t add_item(cg_bankdb *db, const char *bank, const int64_t *ids, size_t n,
                        int low_quality_last)
{
    cg_review_item item;
    char verdict[4096];
    size_t used;
    cg_error err;

    used = (size_t)snprintf(verdict, sizeof(verdict),
                            "{\"content_id\":\"" CONTENT_ID "\",\"matches\":[");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(verdict + used, sizeof(verdict) - used,
                                 "%s{\"bank\":\"%s\",\"label\":\"ncii\",\"kind\":\"block\","
                                 "\"signal_type\":\"md5\",\"distance\":0,\"signal_id\":%lld,"
                                 "\"low_quality\":%s}",
                                 i ? "," : "", bank, (long long)ids[i],
                                 low_quality_last && i == n - 1 ? "true" : "false");
    snprintf(verdict + used, sizeof(verdict) - used, "]}");
    memset(&item, 0, sizeof(item));
    snprintf(item.content_id, sizeof(item.content_id), CONTENT_ID);
    snprintf(item.kind, sizeof(item.kind), "image");
    snprintf(item.label, sizeof(item.label), "ncii");
    CG_ASSERT_OK(cg_review_add(db, &item, verdict, NULL, 0, NULL, &err), &err);
    return item.id;
}

static void decide(cg_bankdb *db, int64_t id, cg_review_state state)
{
    cg_review_decision d;
    cg_error err;

    memset(&d, 0, sizeof(d));
    d.state = state;
    d.reviewer = "alice";
    d.note = SECRET_NOTE;
    CG_ASSERT_OK(cg_review_decide(db, id, &d, NULL, &err), &err);
}

typedef struct items {
    cg_exchange_feedback_item it[8];
    size_t n;
} items;

static int items_cb(const cg_exchange_feedback_item *it, void *ud)
{
    items *l = ud;

    if (l->n < 8)
        l->it[l->n] = *it;
    l->n++;
    return 0;
}

static items list(cg_bankdb *db, const char *name, cg_exchange_fb_filter f, int64_t now)
{
    items l;
    cg_error err;

    memset(&l, 0, sizeof(l));
    CG_ASSERT_OK(cg_exchange_feedback_list(db, name, f, now, 0, items_cb, &l, &err), &err);
    return l;
}

/* An NCMEC exchange with entry 42-a (md5 + pdq) and 42-b (md5), and one signal of the bank
 * that is no exchange's. */
static void ncmec_setup(cg_bankdb *db, cg_exchange_info *ex)
{
    static const char *const a[] = {"md5:" MD5A, "pdq:" PDQ1, NULL};
    static const char *const b[] = {"md5:" MD5B, NULL};
    cg_exchange_delta d;

    make_exchange(db, "ncmec-a", "ncmec", ex);
    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:42-a", "42", "a1", a);
    add_rec(&d, "ncmec:video:42-b", "42", "b2", b);
    apply_page(db, ex, &d, "{\"done\":1}");
}

CG_TEST(exchange_feedback_confirm_ncmec_delivered_once)
{
    static const int ok[] = {200};
    cg_bankdb *db = open_db("exfb1.db");
    cg_exchange_info ex;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_feedback_result res;
    recorder r;
    items l;
    int64_t ids[3], item, pending, sent, failed;
    cg_bank_signal other;
    cg_error err;
    int merged;

    ncmec_setup(db, &ex);
    memset(&other, 0, sizeof(other));
    other.bank_id = ex.bank_id;
    other.type = cg_signal_type_find("md5");
    CG_ASSERT_OK(cg_hex_decode(MD5C, 32, other.value, 16), NULL);
    other.quality = -1;
    CG_ASSERT_OK(cg_bank_signal_add(db, &other, &merged, &err), &err);
    /* The item matched both hashes of entry a and the bank's own signal. */
    ids[0] = signal_id(db, ex.bank_id, "md5", MD5A);
    ids[1] = signal_id(db, ex.bank_id, "pdq", PDQ1);
    ids[2] = signal_id(db, ex.bank_id, "md5", MD5C);
    item = add_item(db, "ncmec-a", ids, 3, 0);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ALL, NOW);
    CG_ASSERT_EQ(l.n, 0); /* nothing before a decision */
    decide(db, item, CG_REVIEW_CONFIRMED);
    /* One row for the entry (two of its hashes matched), none for the bank's own signal. */
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ALL, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT_STR_EQ(l.it[0].key, "ncmec:image:42-a");
    CG_ASSERT_STR_EQ(l.it[0].member, "42");
    CG_ASSERT_STR_EQ(l.it[0].entry_id, "a1");
    CG_ASSERT_EQ(l.it[0].review_item, item);
    CG_ASSERT_EQ(l.it[0].verdict, CG_EXCHANGE_FB_CONFIRMED);
    CG_ASSERT_EQ(l.it[0].state, CG_EXCHANGE_FB_PENDING);
    CG_ASSERT_STR_EQ(l.it[0].actor, "alice");

    rec_config(&r, &cfg, &tr, &ck, ok, 1);
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.sent, 1);
    CG_ASSERT_EQ(res.status, CG_OK);
    CG_ASSERT_EQ(r.n, 1);
    CG_ASSERT_STR_EQ(r.method[0], "PUT");
    /* On the matched fingerprint (MD5), under our own member id read from GET /v2/status
     * (python-threatexchange's submit_feedback), not the sharing member's 42. */
    CG_ASSERT_STR_EQ(r.url[0], "https://x.test/v2/entries/7/a1/MD5/feedback");
    CG_ASSERT_EQ(r.n_get, 1);
    CG_ASSERT_STR_EQ(r.get_url[0], "https://x.test/v2/status");
    CG_ASSERT_STR_EQ(r.get_auth[0], "Basic aG90bGluZTpwdy1zeW50aGV0aWM=");
    CG_ASSERT_STR_EQ(r.auth[0], "Basic aG90bGluZTpwdy1zeW50aGV0aWM="); /* hotline:pw-synthetic */
    CG_ASSERT_STR_EQ(r.body[0], "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feedbackSubmission "
                                "xmlns=\"https://hashsharing.ncmec.org/hashsharing/v2\">"
                                "<affirmative/></feedbackSubmission>");
    assert_no_content(&r);
    /* Delivered once: a second run sends nothing; the row is sent. */
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(r.n, 1);
    CG_ASSERT_OK(cg_exchange_feedback_counts(db, "ncmec-a", &pending, &sent, &failed, &err),
                 &err);
    CG_ASSERT_EQ(pending, 0);
    CG_ASSERT_EQ(sent, 1);
    CG_ASSERT_EQ(failed, 0);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_SENT, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT_EQ(l.it[0].finished, NOW);
    cg_bankdb_close(db);
}

CG_TEST(exchange_feedback_false_positive_stopncii_retried_after_5xx)
{
    static const int flaky[] = {503, 200};
    static const char *const a[] = {"md5:" MD5A, NULL};
    cg_bankdb *db = open_db("exfb2.db");
    char path[512];
    cg_exchange_info ex;
    cg_exchange_delta d;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_feedback_result res;
    recorder r;
    items l;
    int64_t ids[1], item;
    cg_error err;

    make_exchange(db, "sn", "stopncii", &ex);
    cg_exchange_delta_init(&d);
    add_rec(&d, "stopncii:md5:" MD5A, "", MD5A, a);
    apply_page(db, &ex, &d, "{}");
    ids[0] = signal_id(db, ex.bank_id, "md5", MD5A);
    item = add_item(db, "sn", ids, 1, 0);
    decide(db, item, CG_REVIEW_FALSE_POSITIVE);

    rec_config(&r, &cfg, &tr, &ck, flaky, 2);
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.sent, 0);
    CG_ASSERT_EQ(res.retried, 1);
    CG_ASSERT_EQ(res.status, CG_E_BACKEND);
    CG_ASSERT(strstr(res.error, "503") != NULL);
    l = list(db, "sn", CG_EXCHANGE_FB_ONLY_PENDING, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT_EQ(l.it[0].attempts, 1);
    CG_ASSERT_EQ(l.it[0].next_attempt, NOW + 60);
    CG_ASSERT(strstr(l.it[0].last_error, "503") != NULL);
    /* The queue is durable: close and reopen the store. Not due yet: nothing is sent. */
    cg_bankdb_close(db);
    cg_test_store_location("exfb2.db", path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, 0, &db, &err), &err);
    r.now = NOW + 59;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(r.n, 1);
    r.now = NOW + 60;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "sn", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.sent, 1);
    CG_ASSERT_EQ(r.n, 2);
    for (size_t i = 0; i < 2; i++) {
        CG_ASSERT_STR_EQ(r.method[i], "POST");
        CG_ASSERT_STR_EQ(r.url[i], "https://x.test/SubmitFeedback");
        CG_ASSERT_STR_EQ(r.auth[i], "key-synthetic");
        CG_ASSERT_STR_EQ(r.body[i], "{\"count\":1,\"hashFeedbacks\":[{\"hashValue\":\"" MD5A
                                    "\",\"feedbackValue\":\"NotBlocked\",\"tags\":[]}]}");
    }
    assert_no_content(&r);
    l = list(db, "sn", CG_EXCHANGE_FB_ONLY_SENT, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT_EQ(l.it[0].attempts, 1);
    cg_bankdb_close(db);
}

CG_TEST(exchange_feedback_401_reported_then_given_up)
{
    static const int denied[] = {401};
    cg_bankdb *db = open_db("exfb3.db");
    cg_exchange_info ex;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_feedback_options opt;
    cg_exchange_feedback_result res;
    recorder r;
    items l;
    int64_t ids[2], item;
    cg_error err;

    ncmec_setup(db, &ex);
    ids[0] = signal_id(db, ex.bank_id, "md5", MD5A);
    ids[1] = signal_id(db, ex.bank_id, "md5", MD5B);
    item = add_item(db, "ncmec-a", ids, 2, 0);
    decide(db, item, CG_REVIEW_CONFIRMED);
    CG_ASSERT_EQ(list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_PENDING, NOW).n, 2);

    rec_config(&r, &cfg, &tr, &ck, denied, 1);
    memset(&opt, 0, sizeof(opt));
    opt.max_attempts = 2;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, &opt, &res, &err), &err);
    /* The first row is refused: it is reported, and the run stops (the second row waits
     * without spending an attempt). */
    CG_ASSERT_EQ(r.n, 1);
    CG_ASSERT(strstr(r.body[0], "<affirmative/>") != NULL);
    CG_ASSERT_STR_EQ(r.url[0], "https://x.test/v2/entries/7/a1/MD5/feedback");
    CG_ASSERT_EQ(res.retried, 1);
    CG_ASSERT_EQ(res.status, CG_E_BACKEND);
    CG_ASSERT(strstr(res.error, "401") != NULL);
    CG_ASSERT(strstr(res.error, "pw-synthetic") == NULL);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ALL, NOW);
    CG_ASSERT_EQ(l.n, 2);
    CG_ASSERT_EQ(l.it[0].attempts, 1);
    CG_ASSERT(strstr(l.it[0].last_error, "401") != NULL);
    CG_ASSERT_EQ(l.it[1].attempts, 0);
    /* The second attempt is the last: the row is given up, and stays for inspection. */
    r.now = NOW + 60;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.failed, 1);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_FAILED, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT_EQ(l.it[0].attempts, 2);
    CG_ASSERT(strstr(l.it[0].last_error, "given up") != NULL);
    /* The video entry is next. */
    r.now = NOW + 120;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_STR_EQ(r.url[2], "https://x.test/v2/entries/7/b2/MD5/feedback");
    assert_no_content(&r);
    cg_bankdb_close(db);
}

CG_TEST(exchange_feedback_only_decisions_queue)
{
    cg_bankdb *db = open_db("exfb4.db");
    cg_exchange_info ex;
    cg_review_decision d;
    int64_t ids[2], item;
    cg_error err;

    ncmec_setup(db, &ex);
    ids[0] = signal_id(db, ex.bank_id, "md5", MD5A);
    ids[1] = signal_id(db, ex.bank_id, "md5", MD5B); /* low quality: not acted on */
    item = add_item(db, "ncmec-a", ids, 2, 1);
    /* Escalating is not a decision on the entry: nothing queued. */
    memset(&d, 0, sizeof(d));
    d.state = CG_REVIEW_ESCALATED;
    d.reviewer = "alice";
    CG_ASSERT_OK(cg_review_decide(db, item, &d, NULL, &err), &err);
    CG_ASSERT_EQ(list(db, NULL, CG_EXCHANGE_FB_ALL, NOW).n, 0);
    decide(db, item, CG_REVIEW_CONFIRMED);
    CG_ASSERT_EQ(list(db, NULL, CG_EXCHANGE_FB_ALL, NOW).n, 1); /* not the low-quality one */
    /* Another tenant's decision on a bank signal queues nothing for this tenant's exchange,
     * and sees none of its rows. */
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "tenant-b", &err), &err);
    item = add_item(db, "ncmec-a", ids, 1, 0);
    decide(db, item, CG_REVIEW_CONFIRMED);
    CG_ASSERT_EQ(list(db, NULL, CG_EXCHANGE_FB_ALL, NOW).n, 0);
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 0, NULL, NULL, NULL,
                                          &err),
                 CG_E_NOTFOUND);
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "default", &err), &err);
    CG_ASSERT_EQ(list(db, NULL, CG_EXCHANGE_FB_ALL, NOW).n, 1);
    cg_bankdb_close(db);
}

CG_TEST(exchange_feedback_manual_and_hostile)
{
    static const int ok[] = {200};
    static const char *const dots[] = {"md5:" MD5C, NULL};
    cg_bankdb *db = open_db("exfb5.db");
    cg_exchange_info ex;
    cg_exchange_delta d;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_feedback_result res;
    recorder r;
    items l;
    int64_t id = -1;
    cg_error err;

    ncmec_setup(db, &ex);
    /* An entry whose id is a dot segment (hostile exchange data). */
    cg_exchange_delta_init(&d);
    add_rec(&d, "ncmec:image:42-dots", "42", "..", dots);
    apply_page(db, &ex, &d, "{\"done\":2}");

    /* Refused: an unknown key, an unknown exchange, a reason that is free text or markup, a
     * bad verdict, an empty key. */
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:99-x", 0, NULL, NULL, &id,
                                          &err),
                 CG_E_NOTFOUND);
    CG_ASSERT_EQ(id, 0);
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "nope", "k", 0, NULL, NULL, &id, &err),
                 CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 1,
                                          "the child in it is my niece", NULL, &id, &err),
                 CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "niece") == NULL);
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 1,
                                          "</guid><x>", NULL, &id, &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 7, NULL, NULL, &id,
                                          &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(cg_exchange_feedback_add(db, "ncmec-a", "", 0, NULL, NULL, &id, &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(list(db, NULL, CG_EXCHANGE_FB_ALL, NOW).n, 0);

    /* Accepted: a negative with a reason id; the dot-segment entry. */
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 1,
                                          "3f1c2e0a-0000-4000-8000-00000000abcd", "ops", &id,
                                          &err),
                 &err);
    CG_ASSERT(id > 0);
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-dots", 0, NULL, NULL,
                                          NULL, &err),
                 &err);
    /* NCMEC refuses a negative without a reason id (python-threatexchange: "Negative feedback
     * must have a reason_id"): with two reasons listed, given up, naming them; a reason id
     * NCMEC does not list: given up, naming the accepted ones. */
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:video:42-b", 1, NULL, NULL, NULL,
                                          &err),
                 &err);
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 1,
                                          "3f1c2e0a-0000-4000-8000-00000000f00d", NULL, NULL,
                                          &err),
                 &err);
    /* Manual feedback may be given twice (no review item makes it unique). */
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 0, NULL, NULL, NULL,
                                          &err),
                 &err);
    rec_config(&r, &cfg, &tr, &ck, ok, 1);
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, NULL, &res, &err), &err);
    /* The dot segment, the negative without a reason and the one with an unknown reason are
     * given up without a PUT and do not stop the others. */
    CG_ASSERT_EQ(res.sent, 2);
    CG_ASSERT_EQ(res.failed, 3);
    CG_ASSERT_EQ(r.n, 2);
    CG_ASSERT(strstr(r.body[0], "<negative><reasonIds><guid>3f1c2e0a-0000-4000-8000-"
                                "00000000abcd</guid></reasonIds></negative>") != NULL);
    CG_ASSERT(strstr(r.body[1], "<affirmative/>") != NULL);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_FAILED, NOW);
    CG_ASSERT_EQ(l.n, 3);
    CG_ASSERT(strstr(l.it[0].last_error, "dot segment") != NULL);
    CG_ASSERT_EQ(l.it[0].attempts, 1);
    CG_ASSERT(strstr(l.it[1].last_error, "needs a reason id") != NULL);
    CG_ASSERT(strstr(l.it[1].last_error, "00000000beef (Other)") != NULL);
    CG_ASSERT(strstr(l.it[2].last_error, "reason id 3f1c2e0a-0000-4000-8000-00000000f00d is "
                                         "not one NCMEC accepts for MD5") != NULL);
    CG_ASSERT(strstr(l.it[2].last_error, "00000000abcd (Not the described content)") != NULL);

    CG_ASSERT_EQ(cg_exchange_feedback_run(db, "absent", &cfg, NULL, &res, &err), CG_E_NOTFOUND);
    cg_bankdb_close(db);
}

/* ThreatExchange: one reaction per descriptor of another app, HMA's mapping (confirmed
 * SAW_THIS_TOO, false positive DISAGREE_WITH_TAGS); hostile answers and entries. */
#define TE_DESCRIPTORS                                                                           \
    "{\"id\":\"1234\",\"descriptors\":{\"data\":[{\"id\":\"9001\",\"owner\":{\"id\":\"55\"}},"        \
    "{\"id\":\"9002\",\"owner\":{\"id\":\"777\"}},{\"id\":\"9003\",\"owner\":{\"id\":\"56\"}}]}}"

static void te_row(cg_bankdb *db, const char *key, int verdict)
{
    cg_error err;

    CG_ASSERT_OK(cg_exchange_feedback_add(db, "te", key, verdict, NULL, NULL, NULL, &err), &err);
}

static const cg_exchange_feedback_item *te_last_failed(cg_bankdb *db, items *l)
{
    *l = list(db, "te", CG_EXCHANGE_FB_ONLY_FAILED, NOW);
    CG_ASSERT(l->n > 0);
    return &l->it[l->n - 1];
}

CG_TEST(exchange_feedback_threatexchange_reactions)
{
    static const int ok[] = {200};
    static const char *const h1[] = {"md5:" MD5A, NULL};
    static const char *const h2[] = {"md5:" MD5B, NULL};
    cg_bankdb *db = open_db("exfb7.db");
    cg_exchange_info te;
    cg_exchange_delta d;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_feedback_result res;
    cg_exchange_feedback_options opt;
    recorder r;
    items l;
    char huge[8192];
    size_t used;
    cg_error err;

    make_exchange(db, "te", "fb_threatexchange", &te);
    cg_exchange_delta_init(&d);
    add_rec(&d, "fbte:1234", "55", "1234", h1);
    add_rec(&d, "fbte:x/../1", "55", "x/../1", h2); /* hostile: not a Graph id */
    apply_page(db, &te, &d, "{\"since\":1}");
    te_row(db, "fbte:1234", 0);
    te_row(db, "fbte:1234", 1);
    rec_config(&r, &cfg, &tr, &ck, ok, 1);
    cfg.api_key = "777|te-token-synthetic";
    r.get_body = TE_DESCRIPTORS;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.sent, 2);
    CG_ASSERT_EQ(res.failed, 0);
    /* Each row reads the indicator's descriptors, then reacts on 9001 and 9003 (9002 is the
     * token's own app, 777): the token in the header only, the reaction in a form body. */
    CG_ASSERT_EQ(r.n_get, 2);
    CG_ASSERT_STR_EQ(r.get_url[0], "https://x.test/1234?fields=descriptors");
    CG_ASSERT_STR_EQ(r.get_auth[0], "OAuth 777|te-token-synthetic");
    CG_ASSERT_EQ(r.n, 4);
    for (size_t i = 0; i < 4; i++) {
        CG_ASSERT_STR_EQ(r.method[i], "POST");
        CG_ASSERT_STR_EQ(r.url[i], i % 2 == 0 ? "https://x.test/9001" : "https://x.test/9003");
        CG_ASSERT_STR_EQ(r.auth[i], "OAuth 777|te-token-synthetic");
        CG_ASSERT_STR_EQ(r.body[i], i < 2 ? "reactions=SAW_THIS_TOO"
                                          : "reactions=DISAGREE_WITH_TAGS");
    }
    assert_no_content(&r);

    /* An entry id that is not a Graph id: given up before any request. */
    te_row(db, "fbte:x/../1", 0);
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.failed, 1);
    CG_ASSERT_EQ(r.n_get, 2);
    CG_ASSERT(strstr(te_last_failed(db, &l)->last_error, "numeric indicator id") != NULL);

    /* A malformed descriptor id in the answer: nothing posted, retried later. */
    te_row(db, "fbte:1234", 0);
    r.get_body = "{\"descriptors\":{\"data\":[{\"id\":\"9001\",\"owner\":{\"id\":\"55\"}},"
                 "{\"id\":\"../me\",\"owner\":{\"id\":\"56\"}}]}}";
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.retried, 1);
    CG_ASSERT_EQ(res.status, CG_E_DECODE);
    CG_ASSERT(strstr(res.error, "numeric Graph ids") != NULL);
    CG_ASSERT_EQ(r.n, 4);
    /* A huge list (65 descriptors): refused whole, none sent, given up. */
    used = (size_t)snprintf(huge, sizeof(huge), "{\"descriptors\":{\"data\":[");
    for (int i = 0; i < 65; i++)
        used += (size_t)snprintf(huge + used, sizeof(huge) - used,
                                 "%s{\"id\":\"%d\",\"owner\":{\"id\":\"%d\"}}", i ? "," : "",
                                 10000 + i, 20000 + i);
    snprintf(huge + used, sizeof(huge) - used, "]}}");
    r.get_body = huge;
    memset(&opt, 0, sizeof(opt));
    opt.now = 1;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.failed, 1);
    CG_ASSERT_EQ(r.n, 4);
    CG_ASSERT(strstr(te_last_failed(db, &l)->last_error, "65 descriptors") != NULL);
    /* Only our own descriptor: nothing to react to, given up saying so. */
    te_row(db, "fbte:1234", 1);
    r.get_body = "{\"descriptors\":{\"data\":[{\"id\":\"9002\",\"owner\":{\"id\":\"777\"}}]}}";
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.failed, 1);
    CG_ASSERT_EQ(r.n, 4);
    CG_ASSERT(strstr(te_last_failed(db, &l)->last_error, "another member") != NULL);
    /* Not JSON, and "success": false on the reaction: retried, never marked sent. */
    te_row(db, "fbte:1234", 1);
    r.get_body = "<html>";
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.retried, 1);
    r.get_body = TE_DESCRIPTORS;
    r.post_body = "{\"success\":false}";
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "te", &cfg, &opt, &res, &err), &err);
    CG_ASSERT_EQ(res.retried, 1);
    CG_ASSERT_EQ(res.sent, 0);
    CG_ASSERT(strstr(res.error, "not accepted") != NULL);
    CG_ASSERT(strstr(res.error, "te-token-synthetic") == NULL);
    cg_bankdb_close(db);
}

CG_TEST(exchange_feedback_deleted_with_exchange)
{
    cg_bankdb *db = open_db("exfb6.db");
    cg_exchange_info ex;
    int64_t pending = -1;
    cg_error err;

    ncmec_setup(db, &ex);
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 0, NULL, NULL, NULL,
                                          &err),
                 &err);
    CG_ASSERT_OK(cg_exchange_feedback_counts(db, NULL, &pending, NULL, NULL, &err), &err);
    CG_ASSERT_EQ(pending, 1);
    CG_ASSERT_OK(cg_exchange_delete(db, "ncmec-a", 1, &err), &err);
    CG_ASSERT_OK(cg_exchange_feedback_counts(db, NULL, &pending, NULL, NULL, &err), &err);
    CG_ASSERT_EQ(pending, 0);
    cg_bankdb_close(db);
}

/* cg_exchange_ncmec_reasons: NCMEC's list read with HTTP Basic from /v2/feedback/{TYPE}/reasons
 * (the root may be availableFeedbackReasons itself), names with control characters made
 * printable; refused: another fingerprint type, a DOCTYPE (no entity expands), no list, a reason
 * without a guid or with one that could break out of the XML body, more than 64 reasons, not
 * XML, an HTTP error. Delivery: with one reason listed, a negative without a reason id uses it
 * (python-threatexchange's client does the same); a list that cannot be read is retried. */
CG_TEST(exchange_feedback_ncmec_reasons)
{
    static const int ok[] = {200};
    static const char *const bad[] = {
        "<!DOCTYPE x [<!ENTITY a \"b\">]><availableFeedbackReasons/>",
        "<feedbackReasons><other/></feedbackReasons>",
        "<availableFeedbackReasons><reason name=\"no guid\"/></availableFeedbackReasons>",
        "<availableFeedbackReasons><reason guid=\"a&lt;/guid&gt;\"/></availableFeedbackReasons>",
        "not xml <",
    };
    cg_bankdb *db = open_db("exfb-reasons.db");
    cg_exchange_info ex;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_feedback_result res;
    cg_ncmec_reason rs[4];
    recorder r;
    items l;
    char *many;
    size_t n = 9, used = 0;
    cg_error err;

    rec_config(&r, &cfg, &tr, &ck, ok, 1);
    cfg.base_url = "https://x.test";
    cfg.user = "esp-user";
    cfg.password = "pw-synthetic";
    CG_ASSERT_OK(cg_exchange_ncmec_reasons(&cfg, "MD5", rs, 4, &n, &err), &err);
    CG_ASSERT_EQ(n, 2);
    CG_ASSERT_STR_EQ(rs[0].guid, "3f1c2e0a-0000-4000-8000-00000000abcd");
    CG_ASSERT_STR_EQ(rs[1].name, "Other");
    CG_ASSERT_STR_EQ(r.get_url[0], "https://x.test/v2/feedback/MD5/reasons");
    CG_ASSERT(strncmp(r.get_auth[0], "Basic ", 6) == 0);
    CG_ASSERT_OK(cg_exchange_ncmec_reasons(&cfg, "PDQ", rs, 1, &n, &err), &err);
    CG_ASSERT_EQ(n, 2); /* counted whole, one written */
    r.reasons_body = "<availableFeedbackReasons><reason guid=\"g-1\" name=\"a&#9;b\"/>"
                     "</availableFeedbackReasons>";
    CG_ASSERT_OK(cg_exchange_ncmec_reasons(&cfg, "MD5", rs, 4, &n, &err), &err);
    CG_ASSERT_EQ(n, 1);
    CG_ASSERT_STR_EQ(rs[0].name, "a b");
    CG_ASSERT_EQ(cg_exchange_ncmec_reasons(&cfg, "SHA1", rs, 4, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_exchange_ncmec_reasons(&cfg, "../x", rs, 4, &n, &err), CG_E_INVAL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.reasons_body = bad[i];
        CG_ASSERT_EQ(cg_exchange_ncmec_reasons(&cfg, "MD5", rs, 4, &n, &err), CG_E_DECODE);
        CG_ASSERT_EQ(n, 0);
        CG_ASSERT(strstr(err.message, "pw-synthetic") == NULL);
    }
    many = calloc(1, 65 * 64 + 128);
    CG_ASSERT(many != NULL);
    used = (size_t)sprintf(many, "<availableFeedbackReasons>");
    for (int i = 0; i < 65; i++)
        used += (size_t)sprintf(many + used, "<reason guid=\"g-%d\" name=\"n\"/>", i);
    sprintf(many + used, "</availableFeedbackReasons>");
    r.reasons_body = many;
    CG_ASSERT_EQ(cg_exchange_ncmec_reasons(&cfg, "MD5", rs, 4, &n, &err), CG_E_LIMIT);
    r.reasons_body = NCMEC_REASONS_XML;
    r.get_status = 503;
    CG_ASSERT(cg_exchange_ncmec_reasons(&cfg, "MD5", rs, 4, &n, &err) != CG_OK);
    CG_ASSERT_EQ(n, 0);

    /* Delivery: one reason listed, a negative without a reason id takes it. */
    ncmec_setup(db, &ex);
    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 1, NULL, NULL, NULL,
                                          &err),
                 &err);
    rec_config(&r, &cfg, &tr, &ck, ok, 1);
    r.get_status = 503; /* the list cannot be read: retried later, no PUT */
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.sent, 0);
    CG_ASSERT_EQ(r.n, 0);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_PENDING, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT_EQ(l.it[0].attempts, 1);
    rec_config(&r, &cfg, &tr, &ck, ok, 1);
    r.now = NOW + 100000;
    r.reasons_body = "<availableFeedbackReasons><reason guid=\"only-one\" name=\"x\"/>"
                     "</availableFeedbackReasons>";
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, NULL, &res, &err), &err);
    CG_ASSERT_EQ(res.sent, 1);
    CG_ASSERT_EQ(r.n, 1);
    CG_ASSERT(strstr(r.body[0], "<guid>only-one</guid>") != NULL);
    free(many);
    cg_bankdb_close(db);
}

/* Queues a negative on entry 42-a (fingerprint MD5) with reason (NULL: none). */
static void negative(cg_bankdb *db, const char *reason)
{
    cg_error err;

    CG_ASSERT_OK(cg_exchange_feedback_add(db, "ncmec-a", "ncmec:image:42-a", 1, reason, NULL,
                                          NULL, &err),
                 &err);
}

/* One feedback run of ncmec-a against a recorder answering 200, with the exchange's default
 * negative reason dflt. */
static void run_with_default(cg_bankdb *db, const char *dflt, recorder *r,
                             cg_exchange_feedback_result *res)
{
    static const int ok[] = {200};
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_error err;

    rec_config(r, &cfg, &tr, &ck, ok, 1);
    cfg.negative_reason = dflt;
    CG_ASSERT_OK(cg_exchange_feedback_run(db, "ncmec-a", &cfg, NULL, res, &err), &err);
}

/* The exchange's default negative reason (cfg.negative_reason: api_json negative_reason). One
 * NCMEC does not list: a negative without a reason of its own is given up without a PUT, naming
 * the setting and the accepted ids, while a row with its own reason is sent with it (the row's
 * wins). One NCMEC lists: carried by a negative without one. One that is not an id (markup that
 * would break out of the XML body): given up before any request. */
CG_TEST(exchange_feedback_ncmec_default_reason)
{
    cg_bankdb *db = open_db("exfb-default-reason.db");
    cg_exchange_info ex;
    cg_exchange_feedback_result res;
    recorder r;
    items l;

    ncmec_setup(db, &ex);
    negative(db, NULL);
    negative(db, "3f1c2e0a-0000-4000-8000-00000000beef");
    run_with_default(db, "3f1c2e0a-0000-4000-8000-00000000f00d", &r, &res);
    CG_ASSERT_EQ(res.sent, 1);
    CG_ASSERT_EQ(res.failed, 1);
    CG_ASSERT_EQ(r.n, 1);
    CG_ASSERT(strstr(r.body[0], "<guid>3f1c2e0a-0000-4000-8000-00000000beef</guid>") != NULL);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_FAILED, NOW);
    CG_ASSERT_EQ(l.n, 1);
    CG_ASSERT(strstr(l.it[0].last_error, "api_json negative_reason 3f1c2e0a-0000-4000-8000-"
                                         "00000000f00d is not one NCMEC lists for MD5") != NULL);
    CG_ASSERT(strstr(l.it[0].last_error, "00000000abcd (Not the described content)") != NULL);
    CG_ASSERT(strstr(l.it[0].last_error, "00000000beef (Other)") != NULL);

    negative(db, NULL);
    run_with_default(db, "3f1c2e0a-0000-4000-8000-00000000abcd", &r, &res);
    CG_ASSERT_EQ(res.sent, 1);
    CG_ASSERT_EQ(res.failed, 0);
    CG_ASSERT_EQ(r.n, 1);
    CG_ASSERT(strstr(r.body[0], "<negative><reasonIds><guid>3f1c2e0a-0000-4000-8000-"
                                "00000000abcd</guid></reasonIds></negative>") != NULL);

    negative(db, NULL);
    run_with_default(db, "x</guid><y>", &r, &res);
    CG_ASSERT_EQ(res.sent, 0);
    CG_ASSERT_EQ(res.failed, 1);
    CG_ASSERT_EQ(r.n, 0);
    CG_ASSERT_EQ(r.n_get, 0);
    l = list(db, "ncmec-a", CG_EXCHANGE_FB_ONLY_FAILED, NOW);
    CG_ASSERT_EQ(l.n, 2);
    CG_ASSERT(strstr(l.it[1].last_error, "api_json negative_reason) must be a reason id") !=
              NULL);
    assert_no_content(&r);
    cg_bankdb_close(db);
}
