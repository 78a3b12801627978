/* HMA 1.x hashing and matching routes (OpenMediaMatch's /h, /m and /status), with the same
 * parameters and response shapes, so an HMA client works unchanged:
 *   GET  /h/hash?url=        400: this server never fetches URLs (see docs/api.md)
 *   POST /h/hash             {"pdq": hex, "md5": hex, "sha256": hex}
 *   GET  /m/raw_lookup       {"matches": [id, ...]} or [{"bank_content_id", "distance"}]
 *   GET  /m/lookup           {"<bank>": [{"bank_content_id": id, "distance": "d"}]}
 *   POST /m/lookup           {"<signal type>": {"<bank>": [...]}}
 *   GET  /m/index/status     {"<signal type>": {"present", "built_to", "size"}}
 *   POST /m/compare          {"<signal type>": [matches, {"distance": d}]}
 *   GET  /status             "I-AM-ALIVE", or 503 "INDEX-NOT-LOADED" / "INDEX-STALE"
 * A bank_content_id is a childguard signal id. Lookups go through the engine's matcher, which
 * a refresher thread keeps within refresh_ms of the database.
 *
 * What a key sees: only the banks its bank list allows (a bank it may not read is answered as
 * one that does not exist), and exact distances only with the match:distance scope (without
 * it, matches carry no "distance" and include_distance is refused): a distance is a gradient an
 * adversary can follow to edit an image until it just escapes the threshold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

#define MAX_BANKS 64

/* Splits "a,b" into a NULL-terminated list pointing into buf. Returns 0, or -1 (too many). */
static int split_banks(const char *text, char *buf, size_t n, const char **list)
{
    size_t k = 0;
    char *p;

    list[0] = NULL;
    if (text == NULL || text[0] == '\0')
        return 0;
    snprintf(buf, n, "%s", text);
    p = buf;
    while (p != NULL) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        while (*p == ' ')
            p++;
        if (*p != '\0') {
            if (k + 1 >= MAX_BANKS)
                return -1;
            list[k++] = p;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    list[k] = NULL;
    return 0;
}

/* Parses signal_type and signal; on failure queues a 400. */
static int parse_signal(serve_req *r, const char *type_name, const char *signal,
                        const cg_signal_type **type, uint8_t *value, enum MHD_Result *ret)
{
    if (type_name == NULL || signal == NULL) {
        *ret = http_error(r, 400, "bad_request", "signal_type and signal are required");
        return -1;
    }
    *type = cg_signal_type_find(type_name);
    if (*type == NULL) {
        *ret = http_error(r, 400, "bad_signal_type", "No such SignalType '%s'", type_name);
        return -1;
    }
    if ((*type)->parse(signal, strlen(signal), value) != CG_OK) {
        *ret = http_error(r, 400, "bad_signal", "invalid signal: '%s' is not a %s value (%zu hex "
                          "digits)", signal, (*type)->name, (*type)->hex_len);
        return -1;
    }
    return 0;
}

int serve_bank_visible(const serve_req *r, const char *bank)
{
    return cg_keys_may_read_bank(&r->key, bank);
}

/* Drops the matches of banks the key may not read, keeping the order. */
static void visible_only(const serve_req *r, cg_match_list *list)
{
    size_t k = 0;

    for (size_t i = 0; i < list->n; i++)
        if (serve_bank_visible(r, list->v[i].bank)) {
            if (k != i)
                list->v[k] = list->v[i];
            k++;
        }
    list->n = k;
}

/* Looks value up; on failure queues an error and returns -1. */
static int lookup(serve_req *r, const cg_signal_type *type, const uint8_t *value,
                  const char *banks_text, cg_match_list *list, enum MHD_Result *ret)
{
    char buf[4096];
    const char *banks[MAX_BANKS];
    cg_lookup_options opt = {.banks = NULL, .max_distance = -1};
    serve_engine *e;
    cg_matcher *m;
    cg_error err;
    cg_status st;

    if (banks_text != NULL && strlen(banks_text) >= sizeof(buf)) {
        *ret = http_error(r, 400, "bad_request", "the banks parameter is too long");
        return -1;
    }
    if (split_banks(banks_text, buf, sizeof(buf), banks) != 0) {
        *ret = http_error(r, 400, "bad_request", "at most %d banks may be named", MAX_BANKS - 1);
        return -1;
    }
    for (size_t i = 0; banks[i] != NULL; i++)
        if (!serve_bank_visible(r, banks[i])) {
            *ret = http_error(r, 400, "unknown_bank", "no bank named '%s'", banks[i]);
            return -1;
        }
    if (banks[0] != NULL)
        opt.banks = banks;
    e = serve_engine_acquire(r->srv);
    m = e != NULL ? cg_engine_matcher(e->engine) : NULL;
    if (m == NULL) {
        serve_engine_release(r->srv, e);
        *ret = http_error(r, 503, "index_not_ready", "index not yet ready");
        return -1;
    }
    st = cg_matcher_lookup(m, type, value, 1, &opt, list, &err);
    serve_engine_release(r->srv, e);
    if (st == CG_E_NOTFOUND) {
        *ret = http_error(r, 400, "unknown_bank", "%s", err.message);
        return -1;
    }
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    visible_only(r, list);
    for (size_t i = 0; i < list->n; i++)
        if (!list->v[i].suppressed)
            metrics_match(r->srv->metrics, list->v[i].bank, list->v[i].label, 1);
    return 0;
}

static json_t *match_entry(const cg_match *m, int with_distance)
{
    char d[16];

    if (!with_distance)
        return json_pack("{s:I}", "bank_content_id", (json_int_t)m->signal_id);
    snprintf(d, sizeof(d), "%d", m->distance);
    return json_pack("{s:I, s:s}", "bank_content_id", (json_int_t)m->signal_id, "distance", d);
}

/* {"<bank>": [{"bank_content_id": id, "distance": "d"}, ...]}; distances only with the
 * match:distance scope. */
static json_t *by_bank(serve_req *r, const cg_match_list *list)
{
    const int with_distance = auth_has(r, CG_SCOPE_DISTANCE);
    json_t *o = json_object();

    for (size_t i = 0; o != NULL && i < list->n; i++) {
        json_t *arr = json_object_get(o, list->v[i].bank);
        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(o, list->v[i].bank, arr);
        }
        json_array_append_new(arr, match_entry(&list->v[i], with_distance));
    }
    return o;
}

enum MHD_Result hma_raw_lookup(serve_req *r)
{
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    cg_match_list list = {0};
    enum MHD_Result ret;
    int with_distance = http_query_bool(r, "include_distance");
    json_t *arr;

    if (with_distance && !auth_has(r, CG_SCOPE_DISTANCE))
        return http_error(r, 403, "forbidden",
                          "include_distance needs the scope 'match:distance'");
    if (parse_signal(r, http_query(r, "signal_type"), http_query(r, "signal"), &type, value,
                     &ret) != 0)
        return ret;
    if (lookup(r, type, value, http_query(r, "banks"), &list, &ret) != 0) {
        cg_match_list_free(&list);
        return ret;
    }
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < list.n; i++)
        json_array_append_new(arr, with_distance ? match_entry(&list.v[i], 1)
                                                 : json_integer(list.v[i].signal_id));
    cg_match_list_free(&list);
    return http_json(r, 200, json_pack("{s:o}", "matches", arr));
}

enum MHD_Result hma_lookup_get(serve_req *r)
{
    const cg_signal_type *type;
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    cg_match_list list = {0};
    enum MHD_Result ret;
    json_t *o;

    if (http_query(r, "url") != NULL)
        return http_error(r, 400, "url_fetch_disabled",
                          "this server does not fetch URLs (no outbound requests from the "
                          "matching service); POST the file to /m/lookup instead");
    if (http_query(r, "signal") == NULL || http_query(r, "signal_type") == NULL)
        return http_error(r, 400, "bad_request",
                          "Either url or both signal and signal_type are required");
    if (parse_signal(r, http_query(r, "signal_type"), http_query(r, "signal"), &type, value,
                     &ret) != 0)
        return ret;
    if (lookup(r, type, value, http_query(r, "banks"), &list, &ret) != 0) {
        cg_match_list_free(&list);
        return ret;
    }
    o = by_bank(r, &list);
    cg_match_list_free(&list);
    return http_json(r, 200, o);
}

static const char *const upload_types[] = {"pdq", "md5", "sha256"};

/* Checks the content_type HMA names the form field (or query) with: photo, or none. */
static int check_content_type(serve_req *r, enum MHD_Result *ret)
{
    const char *ct = http_query(r, "content_type");

    if (ct == NULL && r->n_files > 0)
        ct = r->file_field;
    if (ct == NULL || ct[0] == '\0' || strcmp(ct, "photo") == 0 || strcmp(ct, "file") == 0)
        return 0;
    if (strcmp(ct, "video") == 0) {
        *ret = http_error(r, 400, "unsupported_content_type",
                          "content_type video is not supported by this server yet");
        return -1;
    }
    *ret = http_error(r, 400, "bad_content_type", "no such content_type: '%s'", ct);
    return -1;
}

enum MHD_Result hma_lookup_post(serve_req *r)
{
    const uint8_t *data;
    size_t len;
    serve_hashes h;
    cg_error err;
    enum MHD_Result ret;
    json_t *out;

    if (http_upload(r, &data, &len, &ret) != 0)
        return ret;
    if (check_content_type(r, &ret) != 0)
        return ret;
    if (serve_hash_bytes(r->srv, data, len, &h, &err) != CG_OK)
        return http_cg_error(r, err.status, err.message);
    out = json_object();
    for (size_t i = 0; out != NULL && i < sizeof(upload_types) / sizeof(upload_types[0]); i++) {
        char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
        uint8_t value[CG_SIGNAL_MAX_BYTES];
        const cg_signal_type *type = cg_signal_type_find(upload_types[i]);
        cg_match_list list = {0};

        if (type == NULL || !serve_hash_hex(&h, upload_types[i], hex))
            continue;
        if (type->parse(hex, strlen(hex), value) != CG_OK)
            continue;
        if (lookup(r, type, value, http_query(r, "banks"), &list, &ret) != 0) {
            cg_match_list_free(&list);
            json_decref(out);
            return ret;
        }
        json_object_set_new(out, upload_types[i], by_bank(r, &list));
        cg_match_list_free(&list);
    }
    return http_json(r, 200, out);
}

enum MHD_Result hma_hash_get(serve_req *r)
{
    return http_error(r, 400, "url_fetch_disabled",
                      "GET /h/hash?url= is disabled: this server never fetches URLs (that "
                      "would let any key holder make it request internal addresses). POST the "
                      "bytes to /h/hash instead, as a multipart/form-data file (field 'photo') "
                      "or as the raw request body");
}

enum MHD_Result hma_hash_post(serve_req *r)
{
    const uint8_t *data;
    size_t len;
    serve_hashes h;
    cg_error err;
    enum MHD_Result ret;
    const char *types = http_query(r, "types");
    json_t *out;

    if (http_upload(r, &data, &len, &ret) != 0)
        return ret;
    if (check_content_type(r, &ret) != 0)
        return ret;
    if (serve_hash_bytes(r->srv, data, len, &h, &err) != CG_OK)
        return http_cg_error(r, err.status, err.message);
    if (!h.has_pdq && h.format != CG_FORMAT_UNKNOWN)
        return http_error(r, 422, "decode", "the image could not be decoded: %s",
                          h.decode_error);
    out = json_object();
    for (size_t i = 0; out != NULL && i < sizeof(upload_types) / sizeof(upload_types[0]); i++) {
        char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
        if (types != NULL) {
            /* "types=pdq,md5": only those (HMA's parameter). */
            const char *p = strstr(types, upload_types[i]);
            size_t n = strlen(upload_types[i]);
            if (p == NULL || (p != types && p[-1] != ',') || (p[n] != ',' && p[n] != '\0'))
                continue;
        }
        if (serve_hash_hex(&h, upload_types[i], hex))
            json_object_set_new(out, upload_types[i], json_string(hex));
    }
    return http_json(r, 200, out);
}

enum MHD_Result hma_index_status(serve_req *r)
{
    const char *only = http_query(r, "signal_type");
    serve_engine *e;
    cg_matcher *m;
    cg_matcher_stats stats;
    serve_db *d;
    enum MHD_Result ret;
    json_t *out;

    if (only != NULL && cg_signal_type_find(only) == NULL)
        return http_error(r, 400, "bad_signal_type", "No such signal type '%s'", only);
    /* The counts describe the index, itself built from the replica: read there (a count of
     * every signal, the heaviest GET; docs/scale.md). */
    d = serve_db_get_stale_ok(r, &ret);
    if (d == NULL)
        return ret;
    e = serve_engine_acquire(r->srv);
    m = e != NULL ? cg_engine_matcher(e->engine) : NULL;
    memset(&stats, 0, sizeof(stats));
    if (m != NULL)
        cg_matcher_stats_get(m, &stats);
    out = json_object();
    for (size_t i = 0; out != NULL && i < cg_signal_type_count(); i++) {
        const cg_signal_type *t = cg_signal_type_at(i);
        int64_t n = 0;
        cg_error err;

        if (only != NULL && strcmp(only, t->name) != 0)
            continue;
        if (cg_bank_signal_count(d->db, 0, t, &n, &err) != CG_OK)
            n = 0;
        json_object_set_new(out, t->name,
                            json_pack("{s:b, s:I, s:I}", "present", m != NULL, "built_to",
                                      (json_int_t)(m != NULL ? stats.built_at : -1), "size",
                                      (json_int_t)(m != NULL ? n : 0)));
    }
    serve_engine_release(r->srv, e);
    serve_db_put(r, d);
    return http_json(r, 200, out);
}

enum MHD_Result hma_compare(serve_req *r)
{
    json_t *body, *out, *pair;
    const char *name;
    enum MHD_Result ret;

    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    out = json_object();
    json_object_foreach(body, name, pair) {
        const cg_signal_type *t = cg_signal_type_find(name);
        uint8_t a[CG_SIGNAL_MAX_BYTES], b[CG_SIGNAL_MAX_BYTES];
        const char *ha, *hb;
        int d;

        if (t == NULL) {
            ret = http_error(r, 400, "bad_signal_type", "No such SignalType '%s'", name);
            json_decref(body);
            json_decref(out);
            return ret;
        }
        if (!json_is_array(pair) || json_array_size(pair) != 2) {
            ret = http_error(r, 400, "bad_request",
                              "Comparison hash list length must be exactly 2");
            json_decref(body);
            json_decref(out);
            return ret;
        }
        ha = json_string_value(json_array_get(pair, 0));
        hb = json_string_value(json_array_get(pair, 1));
        if (ha == NULL || hb == NULL || t->parse(ha, strlen(ha), a) != CG_OK ||
            t->parse(hb, strlen(hb), b) != CG_OK) {
            ret = http_error(r, 400, "bad_signal", "Invalid %s hash", name);
            json_decref(body);
            json_decref(out);
            return ret;
        }
        d = t->distance(a, b);
        json_object_set_new(out, name, json_pack("[b, {s:i}]", d <= t->default_threshold,
                                                 "distance", d));
    }
    json_decref(body);
    return http_json(r, 200, out);
}

static enum MHD_Result text_reply(serve_req *r, unsigned status, const char *text)
{
    return http_bytes(r, status, "text/plain; charset=utf-8", text, strlen(text));
}

enum MHD_Result hma_status(serve_req *r)
{
    serve_server *s = r->srv;
    serve_engine *e = serve_engine_acquire(s);
    cg_matcher *m = e != NULL ? cg_engine_matcher(e->engine) : NULL;
    cg_matcher_stats stats;
    serve_db *d;
    int64_t seq = 0;
    cg_error err;
    enum MHD_Result ret;
    int stale = 0;

    if (m == NULL) {
        serve_engine_release(s, e);
        return text_reply(r, 503, "INDEX-NOT-LOADED");
    }
    cg_matcher_stats_get(m, &stats);
    serve_engine_release(s, e);
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (cg_bankdb_change_seq(d->db, &seq, &err) != CG_OK)
        seq = 0;
    serve_db_put(r, d);
    /* Stale: the matcher has been behind the database's change log for longer than
     * stale_seconds (the refresher is stuck or failing). */
    if ((uint64_t)seq > stats.seq) {
        long long now = (long long)time(NULL) * 1000, since = atomic_load(&s->lag_since_ms);
        if (since == 0)
            atomic_compare_exchange_strong(&s->lag_since_ms, &since, now);
        else if (s->cfg.stale_seconds > 0 && now - since > (long long)s->cfg.stale_seconds * 1000)
            stale = 1;
    } else {
        atomic_store(&s->lag_since_ms, 0);
    }
    if (stale)
        return text_reply(r, 503, "INDEX-STALE");
    return text_reply(r, 200, "I-AM-ALIVE");
}

enum MHD_Result hma_status_live(serve_req *r)
{
    return text_reply(r, 200, "I-AM-ALIVE");
}
