/* The self-hashing intake (docs/api.md "Self-hash intake", docs/security.md): a person hashes
 * their own images in the browser (web/selfhash/) and may send the hashes here. No image byte
 * ever reaches this route: the body is a small JSON object of hex hashes, and anything else is
 * refused.
 *
 *   POST /v1/selfhash            {"images": [{"pdq", "pdq_quality", "md5", "sha256"}, ...],
 *                                 "age": "child"|"adult"|"unknown"}  -> {"case", "state"}
 *   POST /v1/selfhash/status     {"case": "..."}                      -> {"state"}
 *   POST /v1/selfhash/withdraw   {"case": "..."}                      -> {"state": "withdrawn"}
 *
 * No key: the people who use it have none. What keeps it from being abused instead:
 *   - it is off unless the operator turns it on ("selfhash": 1);
 *   - a token bucket per client address (selfhash_per_hour, shared by the three routes) and a
 *     cap on the self-hash items waiting for review (selfhash_max_pending), past which 503;
 *   - the hashes land as one *pending* review item (kind "selfhash", label "ncii", or "csam"
 *     when the person says they were under 18) and block nothing until a reviewer confirms it
 *     into a block bank (the intake bank): an intake that blocked at once would let anyone
 *     block any image they can hash.
 * The case number is a random secret (125 bits, Crockford base32) shown once to the person; the
 * store keeps only its SHA-256, as the item's content id "selfhash:<hex>" (no schema change).
 * The secret travels in the body, never in a URL (paths are logged). Withdrawal closes a
 * pending item (decided false_positive with the note "withdrawn by the submitter", by the
 * reviewer "selfhash-intake"); for a confirmed item it deletes from the intake bank every
 * signal that decision added (external id "review:<id>"). */
#include <math.h>
#include <string.h>
#include <sys/random.h>

#include "serve.h"

#define SELFHASH_MAX_IMAGES 5 /* 3 signals each: within CG_REVIEW_MAX_SIGNALS */
#define SELFHASH_ACTOR "selfhash-intake"
#define SELFHASH_WITHDRAWN "withdrawn by the submitter"
#define CASE_CHARS 25

/* ---- per-address limit ------------------------------------------------------------------ */

#define SLOTS 1024

typedef struct slot {
    uint8_t addr[16];
    double tokens;
    int64_t last_ms;
    int used;
} slot;

static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;
static slot slots[SLOTS];

/* Takes one token for the client's address. A slot is shared by the addresses that hash to
 * it unless it is full again (then the newcomer takes it over): sharing is stricter, never
 * looser. Returns 0, or -1 with the seconds to wait in *wait_s. */
static int limit_take(serve_req *r, long *wait_s)
{
    uint8_t addr[16];
    uint32_t h = 2166136261u;
    double cap = r->srv->cfg.selfhash_per_hour, rate = cap / 3600.0;
    int64_t now = serve_now_us() / 1000;
    slot *s;
    int rc = 0;

    auth_client_addr(r, addr);
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    pthread_mutex_lock(&limit_mu);
    s = &slots[h % SLOTS];
    if (s->used) {
        s->tokens = fmin(cap, s->tokens + (double)(now - s->last_ms) / 1000.0 * rate);
        s->last_ms = now;
    }
    if (!s->used || (memcmp(s->addr, addr, 16) != 0 && s->tokens >= cap)) {
        memcpy(s->addr, addr, 16);
        s->tokens = cap;
        s->last_ms = now;
        s->used = 1;
    }
    if (s->tokens >= 1.0) {
        s->tokens -= 1.0;
    } else {
        *wait_s = (long)ceil((1.0 - s->tokens) / rate);
        rc = -1;
    }
    pthread_mutex_unlock(&limit_mu);
    return rc;
}

/* The checks every route makes first: turned on, within the limit, a JSON body. */
static int begin(serve_req *r, json_t **body, enum MHD_Result *ret)
{
    long wait_s = 1;

    if (!r->srv->cfg.selfhash) {
        *ret = http_error(r, 404, "not_found", "the self-hash intake is not turned on here");
        return -1;
    }
    if (limit_take(r, &wait_s) != 0) {
        struct MHD_Response *resp;
        char text[160], retry[32];
        int n = snprintf(text, sizeof(text), "{\"error\":\"rate_limited\",\"message\":\"too many "
                                             "requests from this address; retry later\"}");
        snprintf(retry, sizeof(retry), "%ld", wait_s);
        resp = MHD_create_response_from_buffer((size_t)n, text, MHD_RESPMEM_MUST_COPY);
        if (resp != NULL &&
            (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
                 MHD_YES ||
             MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry) != MHD_YES)) {
            MHD_destroy_response(resp);
            resp = NULL;
        }
        *ret = http_queue(r, 429, resp);
        return -1;
    }
    return http_body_json(r, body, ret);
}

/* A database handle acting as the intake (audit actor and reviewer "selfhash-intake", the
 * default tenant). */
static serve_db *intake_db(serve_req *r, enum MHD_Result *ret)
{
    serve_db *d = serve_db_get(r, ret);
    cg_error err;

    if (d == NULL)
        return NULL;
    if (cg_review_set_actor(d->db, SELFHASH_ACTOR, 0, &err) != CG_OK ||
        (d->audit != NULL && cg_bankdb_set_audit(d->db, d->audit, SELFHASH_ACTOR, &err) != CG_OK)) {
        serve_db_put(r, d);
        *ret = http_cg_error(r, CG_E_INVAL, err.message);
        return NULL;
    }
    return d;
}

/* ---- case numbers ------------------------------------------------------------------------ */

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford's alphabet */

/* A new case number "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX" (30 bytes with the NUL). */
static int case_new(char out[30])
{
    uint8_t rnd[16];
    size_t got = 0;
    int o = 0;

    while (got < sizeof(rnd)) {
        ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    for (int i = 0; i < CASE_CHARS; i++) {
        int bit = i * 5, v = 0;
        for (int b = 0; b < 5; b++, bit++)
            v = (v << 1) | ((rnd[bit / 8] >> (7 - bit % 8)) & 1);
        if (i > 0 && i % 5 == 0)
            out[o++] = '-';
        out[o++] = b32[v];
    }
    out[o] = '\0';
    return 0;
}

/* The content id of a case number as a person may type it (any case, dashes and spaces
 * anywhere, O for 0, I and L for 1): "selfhash:<SHA-256 hex of the 25 canonical characters>".
 * -1 when it is not a case number. */
static int case_content_id(const char *text, char out[CG_REVIEW_ID_MAX + 1])
{
    char canon[CASE_CHARS + 1];
    size_t n = 0;
    cg_digests dg;

    for (const char *p = text; *p != '\0'; p++) {
        char c = *p;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c == 'O')
            c = '0';
        if (c == 'I' || c == 'L')
            c = '1';
        if (strchr(b32, c) == NULL || c == '\0' || n == CASE_CHARS)
            return -1;
        canon[n++] = c;
    }
    if (n != CASE_CHARS)
        return -1;
    if (cg_digest_mem(CG_DIGEST_SHA256, canon, n, &dg) != CG_OK)
        return -1;
    memcpy(out, "selfhash:", 9);
    for (size_t i = 0; i < CG_SHA256_BYTES; i++)
        snprintf(out + 9 + 2 * i, 3, "%02x", dg.sha256[i]);
    return 0;
}

/* ---- submit ------------------------------------------------------------------------------ */

/* Parses one hash of type name from image i into the item. Returns 0 (absent is fine unless
 * required), or -1 with a 400 queued. */
static int add_signal(serve_req *r, json_t *img, size_t i, const char *name, int required,
                      cg_review_item *item, enum MHD_Result *ret)
{
    const cg_signal_type *t = cg_signal_type_find(name);
    json_t *v = json_object_get(img, name);
    cg_review_signal *s;

    if (v == NULL && !required)
        return 0;
    if (t == NULL || !json_is_string(v) ||
        t->parse(json_string_value(v), json_string_length(v), item->signals[item->n_signals].value) != CG_OK) {
        *ret = http_error(r, 400, "bad_signal", "images[%zu].%s must be a %s hash (%zu hex digits)",
                          i, name, name, t != NULL ? t->hex_len : 0);
        return -1;
    }
    s = &item->signals[item->n_signals++];
    s->type = t;
    s->quality = -1;
    if (strcmp(name, "pdq") == 0) {
        json_t *q = json_object_get(img, "pdq_quality");
        if (q != NULL && (!json_is_integer(q) || json_integer_value(q) < 0 ||
                          json_integer_value(q) > 100)) {
            *ret = http_error(r, 400, "bad_request", "images[%zu].pdq_quality must be 0..100", i);
            return -1;
        }
        s->quality = q != NULL ? (int)json_integer_value(q) : -1;
    }
    return 0;
}

static int count_pending(const cg_review_item *item, void *ud)
{
    if (strcmp(item->kind, "selfhash") == 0)
        (*(int64_t *)ud)++;
    return 0;
}

enum MHD_Result selfhash_submit(serve_req *r)
{
    json_t *body = NULL, *images, *img, *age_j, *verdict;
    char age[8] = "unknown";
    int n_images;
    cg_review_item item;
    char case_no[30], *verdict_text;
    serve_db *d;
    cg_error err;
    cg_status st;
    enum MHD_Result ret;
    int64_t pending = 0;
    size_t i;

    if (begin(r, &body, &ret) != 0)
        return ret;
    memset(&item, 0, sizeof(item));
    {
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            if (strcmp(key, "images") != 0 && strcmp(key, "age") != 0) {
                ret = http_error(r, 400, "bad_request", "unknown field '%.64s' (images, age): "
                                 "only hashes are accepted here", key);
                json_decref(body); /* key lives in body */
                return ret;
            }
        }
    }
    images = json_object_get(body, "images");
    if (!json_is_array(images) || json_array_size(images) == 0 ||
        json_array_size(images) > SELFHASH_MAX_IMAGES) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "\"images\" must be an array of 1 to %d objects "
                          "of hashes", SELFHASH_MAX_IMAGES);
    }
    age_j = json_object_get(body, "age");
    if (age_j != NULL) {
        if (!json_is_string(age_j) || (strcmp(json_string_value(age_j), "child") != 0 &&
                                       strcmp(json_string_value(age_j), "adult") != 0 &&
                                       strcmp(json_string_value(age_j), "unknown") != 0)) {
            json_decref(body);
            return http_error(r, 400, "bad_request", "\"age\" must be child, adult or unknown");
        }
        snprintf(age, sizeof(age), "%s", json_string_value(age_j));
    }
    json_array_foreach(images, i, img) {
        const char *key;
        json_t *v;
        if (!json_is_object(img)) {
            json_decref(body);
            return http_error(r, 400, "bad_request", "images[%zu] must be an object of hashes", i);
        }
        json_object_foreach(img, key, v) {
            if (strcmp(key, "pdq") != 0 && strcmp(key, "pdq_quality") != 0 &&
                strcmp(key, "md5") != 0 && strcmp(key, "sha256") != 0) {
                ret = http_error(r, 400, "bad_request", "images[%zu]: unknown field '%.64s' "
                                 "(pdq, pdq_quality, md5, sha256)", i, key);
                json_decref(body); /* key lives in body */
                return ret;
            }
        }
        if (add_signal(r, img, i, "pdq", 1, &item, &ret) != 0 ||
            add_signal(r, img, i, "md5", 0, &item, &ret) != 0 ||
            add_signal(r, img, i, "sha256", 0, &item, &ret) != 0) {
            json_decref(body);
            return ret;
        }
    }
    n_images = (int)json_array_size(images);
    json_decref(body); /* images and the strings in it are gone from here on */

    if (case_new(case_no) != 0 || case_content_id(case_no, item.content_id) != 0)
        return http_error(r, 500, "io", "no random numbers available");
    snprintf(item.kind, sizeof(item.kind), "selfhash");
    snprintf(item.label, sizeof(item.label), "%s", strcmp(age, "child") == 0 ? "csam" : "ncii");
    item.priority = strcmp(age, "child") == 0 ? 3 : 2;
    snprintf(item.reason, sizeof(item.reason),
             "self-hash: hashes a person made of their own images on the self-hash page "
             "(age: %s); pending until a reviewer confirms them into an intake bank",
             age);
    verdict = json_pack("{s:s, s:i, s:s, s:s}", "kind", "selfhash", "images", n_images, "age",
                        age, "source", "selfhash page");
    verdict_text = verdict != NULL ? json_dumps(verdict, JSON_COMPACT) : NULL;
    json_decref(verdict);
    if (verdict_text == NULL)
        return http_error(r, 500, "nomem", "out of memory");

    d = intake_db(r, &ret);
    if (d == NULL) {
        free(verdict_text);
        return ret;
    }
    {
        cg_review_filter f = {.state = CG_REVIEW_PENDING, .label = NULL, .reviewer = NULL,
                              .limit = 0};
        st = cg_review_list(d->db, &f, count_pending, &pending, &err);
    }
    if (st == CG_OK && pending >= r->srv->cfg.selfhash_max_pending) {
        serve_db_put(r, d);
        free(verdict_text);
        return http_error(r, 503, "busy", "the intake has as many cases waiting as it may take; "
                                          "please try again later");
    }
    if (st == CG_OK)
        st = cg_review_add(d->db, &item, verdict_text, NULL, 0, d->audit, &err);
    serve_db_put(r, d);
    free(verdict_text);
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 201, json_pack("{s:s, s:s, s:i}", "case", case_no, "state", "pending",
                                       "signals", (int)item.n_signals));
}

/* ---- status and withdraw ----------------------------------------------------------------- */

typedef struct find_ctx {
    const char *content_id;
    cg_review_item item;
    int found;
} find_ctx;

static int find_case(const cg_review_item *item, void *ud)
{
    find_ctx *f = ud;

    if (strcmp(item->kind, "selfhash") != 0 || strcmp(item->content_id, f->content_id) != 0)
        return 0;
    f->item = *item;
    f->found = 1;
    return 1;
}

/* Reads the body's case number and finds its item. Returns the handle (to put back) with
 * f filled, or NULL with *ret set (404 for an unknown case). */
static serve_db *case_lookup(serve_req *r, char content_id[CG_REVIEW_ID_MAX + 1], find_ctx *f,
                             enum MHD_Result *ret)
{
    json_t *body = NULL, *c;
    serve_db *d;
    cg_error err;
    cg_status st;

    if (begin(r, &body, ret) != 0)
        return NULL;
    c = json_object_get(body, "case");
    if (!json_is_string(c) || case_content_id(json_string_value(c), content_id) != 0) {
        json_decref(body);
        *ret = http_error(r, 400, "bad_request", "\"case\" must be the case number you were given "
                                                 "(25 letters and digits)");
        return NULL;
    }
    json_decref(body);
    memset(f, 0, sizeof(*f));
    f->content_id = content_id;
    d = intake_db(r, ret);
    if (d == NULL)
        return NULL;
    st = cg_review_list(d->db, NULL, find_case, f, &err);
    if (st != CG_OK) {
        serve_db_put(r, d);
        *ret = http_cg_error(r, st, err.message);
        return NULL;
    }
    if (!f->found) {
        serve_db_put(r, d);
        *ret = http_error(r, 404, "not_found", "no case with this number");
        return NULL;
    }
    return d;
}

/* The state a person is told: pending (waiting or being looked at), confirmed, withdrawn,
 * declined (a reviewer found the hashes should not be blocked), escalated (taken further). */
static const char *person_state(const cg_review_item *it)
{
    switch (it->state) {
    case CG_REVIEW_PENDING:
    case CG_REVIEW_CLAIMED:
        return "pending";
    case CG_REVIEW_CONFIRMED:
        return "confirmed";
    case CG_REVIEW_FALSE_POSITIVE:
        return strcmp(it->note, SELFHASH_WITHDRAWN) == 0 ? "withdrawn" : "declined";
    case CG_REVIEW_ESCALATED:
        return "escalated";
    default:
        return "pending";
    }
}

/* Deletes (dry: only counts) the signals of the item's bank that its decision added. */
static cg_status unbank(serve_db *d, const cg_review_item *it, int dry, int64_t *removed,
                        cg_error *err)
{
    cg_bank bank;
    char ext[64];
    cg_status st = cg_bank_get(d->db, it->bank, &bank, err);

    if (st != CG_OK)
        return st == CG_E_NOTFOUND ? CG_OK : st;
    snprintf(ext, sizeof(ext), "review:%lld", (long long)it->id);
    for (size_t i = 0; i < it->n_signals; i++) {
        cg_bank_signal s;
        st = cg_bank_signal_find(d->db, bank.id, it->signals[i].type, it->signals[i].value, &s,
                                 err);
        if (st == CG_E_NOTFOUND)
            continue;
        if (st != CG_OK)
            return st;
        if (strcmp(s.external_id, ext) != 0)
            continue; /* there before this case: not this case's to remove */
        if (!dry) {
            st = cg_bank_signal_delete(d->db, s.id, err);
            if (st != CG_OK)
                return st;
        }
        (*removed)++;
    }
    return CG_OK;
}

enum MHD_Result selfhash_status(serve_req *r)
{
    char content_id[CG_REVIEW_ID_MAX + 1];
    find_ctx f;
    enum MHD_Result ret;
    serve_db *d = case_lookup(r, content_id, &f, &ret);
    int64_t removed = 0;

    const char *state;
    cg_error err;
    cg_status st = CG_OK;

    if (d == NULL)
        return ret;
    state = person_state(&f.item);
    /* A confirmed case whose signals were all taken out of the bank again was withdrawn. */
    if (strcmp(state, "confirmed") == 0 && f.item.bank[0] != '\0') {
        st = unbank(d, &f.item, 1, &removed, &err);
        if (st == CG_OK && removed == 0 && f.item.bank_signal_count > 0)
            state = "withdrawn";
    }
    serve_db_put(r, d);
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 200, json_pack("{s:s}", "state", state));
}

enum MHD_Result selfhash_withdraw(serve_req *r)
{
    char content_id[CG_REVIEW_ID_MAX + 1];
    find_ctx f;
    enum MHD_Result ret;
    serve_db *d = case_lookup(r, content_id, &f, &ret);
    cg_error err;
    cg_status st = CG_OK;
    int64_t removed = 0;
    const char *state;

    if (d == NULL)
        return ret;
    state = person_state(&f.item);
    if (strcmp(state, "pending") == 0) {
        cg_review_decision dec = {.state = CG_REVIEW_FALSE_POSITIVE, .reviewer = SELFHASH_ACTOR,
                                  .note = SELFHASH_WITHDRAWN, .bank = NULL};
        st = cg_review_decide(d->db, f.item.id, &dec, d->audit, &err);
    } else if (strcmp(state, "confirmed") == 0 && f.item.bank[0] != '\0') {
        st = unbank(d, &f.item, 0, &removed, &err);
        if (st == CG_OK && d->audit != NULL) {
            char data[160];
            snprintf(data, sizeof(data), "{\"item\":%lld,\"bank\":\"%s\",\"removed\":%lld}",
                     (long long)f.item.id, f.item.bank, (long long)removed);
            st = cg_audit_append(d->audit, "selfhash_withdraw", SELFHASH_ACTOR, content_id, data,
                                 NULL, &err);
        }
    }
    serve_db_put(r, d);
    if (st == CG_E_BUSY)
        return http_error(r, 409, "busy", "a reviewer is looking at this case right now; please "
                                          "try again in a few minutes");
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 200, json_pack("{s:s, s:I}", "state", "withdrawn", "removed",
                                       (json_int_t)removed));
}
