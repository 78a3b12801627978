/* HMA 1.x curation routes (OpenMediaMatch's /c): banks and their content. HMA's bank is
 * {"name", "matching_enabled_ratio"}; ours adds the label, kind (block/allow), description,
 * thresholds, id and creation time as extra keys, which HMA clients ignore. HMA's "bank
 * content" is one item with one signal per type; here every signal is its own row, so a
 * bank_content_id is a signal id, and adding content that yields several signals (a photo:
 * pdq and md5) returns the first id plus every id under "ids". Every change goes through a
 * pooled read-write database handle, is committed in one SQLite transaction and audited with
 * the key as the actor ("api:<id>(<holder>)"); the matcher sees it within refresh_ms. A key
 * limited to some banks (keys.h) sees and touches only those: the others answer 404. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

static json_t *bank_json(const cg_bank *b)
{
    json_t *th = json_object();

    for (size_t i = 0; th != NULL && i < cg_signal_type_count(); i++) {
        const cg_signal_type *t = cg_signal_type_at(i);
        json_object_set_new(th, t->name, json_integer(cg_bank_threshold_for(b, t)));
    }
    return json_pack("{s:s, s:f, s:b, s:I, s:s, s:s, s:s, s:I, s:o}", "name", b->name,
                     "matching_enabled_ratio", b->enabled ? 1.0 : 0.0, "enabled", b->enabled,
                     "id", (json_int_t)b->id, "label", b->label, "kind",
                     b->kind == CG_BANK_ALLOW ? "allow" : "block", "description", b->description,
                     "created", (json_int_t)b->created, "thresholds", th);
}

int bank_lookup(serve_req *r, serve_db *d, const char *name, cg_bank *b, enum MHD_Result *ret)
{
    cg_error err;
    /* A bank outside the key's bank list is answered exactly as a missing one. */
    cg_status st = serve_bank_visible(r, name) ? cg_bank_get(d->db, name, b, &err) : CG_E_NOTFOUND;

    if (st == CG_E_NOTFOUND || st == CG_E_INVAL) {
        *ret = http_error(r, 404, "bank_not_found", "bank '%s' not found", name);
        return -1;
    }
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    return 0;
}

/* Applies the settings of body to b; on a bad value writes the reason into why. */
static int apply_settings(json_t *body, cg_bank *b, char *why, size_t n)
{
    json_t *v;

    v = json_object_get(body, "enabled");
    if (v != NULL) {
        if (!json_is_boolean(v)) {
            snprintf(why, n, "\"enabled\" must be true or false");
            return -1;
        }
        b->enabled = json_is_true(v);
    }
    v = json_object_get(body, "enabled_ratio");
    if (v != NULL && !json_is_null(v)) {
        double ratio = json_number_value(v);
        if (!json_is_number(v) || (ratio != 0.0 && ratio != 1.0)) {
            snprintf(why, n, "\"enabled_ratio\" must be 0 or 1 (this server does not sample "
                             "lookups)");
            return -1;
        }
        b->enabled = ratio == 1.0;
    }
    v = json_object_get(body, "label");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) > CG_BANK_LABEL_MAX) {
            snprintf(why, n, "\"label\" must be a string of at most %d bytes", CG_BANK_LABEL_MAX);
            return -1;
        }
        snprintf(b->label, sizeof(b->label), "%s", json_string_value(v));
    }
    v = json_object_get(body, "description");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) > CG_BANK_TEXT_MAX) {
            snprintf(why, n, "\"description\" must be a string of at most %d bytes",
                     CG_BANK_TEXT_MAX);
            return -1;
        }
        snprintf(b->description, sizeof(b->description), "%s", json_string_value(v));
    }
    v = json_object_get(body, "kind");
    if (v != NULL) {
        const char *k = json_string_value(v);
        if (k == NULL || (strcmp(k, "block") != 0 && strcmp(k, "allow") != 0)) {
            snprintf(why, n, "\"kind\" must be \"block\" or \"allow\"");
            return -1;
        }
        b->kind = strcmp(k, "allow") == 0 ? CG_BANK_ALLOW : CG_BANK_BLOCK;
    }
    v = json_object_get(body, "thresholds");
    if (v != NULL) {
        const char *type_name;
        json_t *d;
        if (!json_is_object(v)) {
            snprintf(why, n, "\"thresholds\" must be an object {\"pdq\": 31}");
            return -1;
        }
        json_object_foreach(v, type_name, d) {
            const cg_signal_type *t = cg_signal_type_find(type_name);
            size_t i;
            if (t == NULL || !json_is_integer(d) || json_integer_value(d) < 0 ||
                json_integer_value(d) > t->max_distance) {
                snprintf(why, n, "bad threshold for '%s'", type_name);
                return -1;
            }
            for (i = 0; i < b->n_thresholds && b->thresholds[i].type != t; i++)
                ;
            if (i == b->n_thresholds) {
                if (b->n_thresholds >= CG_BANK_MAX_THRESHOLDS) {
                    snprintf(why, n, "too many thresholds");
                    return -1;
                }
                b->n_thresholds++;
            }
            b->thresholds[i].type = t;
            b->thresholds[i].distance = (int)json_integer_value(d);
        }
    }
    return 0;
}

typedef struct list_ctx {
    serve_req *r;
    json_t *arr;
} list_ctx;

static int list_one(const cg_bank *b, void *ud)
{
    list_ctx *c = ud;

    if (serve_bank_visible(c->r, b->name))
        json_array_append_new(c->arr, bank_json(b));
    return 0;
}

enum MHD_Result bank_list(serve_req *r)
{
    enum MHD_Result ret;
    serve_db *d = serve_db_get(r, &ret);
    json_t *arr;
    cg_error err;
    cg_status st;

    if (d == NULL)
        return ret;
    arr = json_array();
    {
        list_ctx c = {r, arr};
        st = cg_bank_list(d->db, list_one, &c, &err);
    }
    serve_db_put(r, d);
    if (st != CG_OK) {
        json_decref(arr);
        return http_cg_error(r, st, err.message);
    }
    return http_json(r, 200, arr);
}

enum MHD_Result bank_create_route(serve_req *r)
{
    json_t *body;
    enum MHD_Result ret;
    serve_db *d;
    cg_bank b, existing;
    cg_error err;
    cg_status st;
    char why[256];
    const char *name;

    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    name = json_string_value(json_object_get(body, "name"));
    memset(&b, 0, sizeof(b));
    b.enabled = 1;
    b.kind = CG_BANK_BLOCK;
    if (name == NULL || name[0] == '\0' || strlen(name) > CG_BANK_NAME_MAX) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "\"name\" is required (1-%d characters of "
                          "[A-Za-z0-9_.-])", CG_BANK_NAME_MAX);
    }
    snprintf(b.name, sizeof(b.name), "%s", name);
    if (apply_settings(body, &b, why, sizeof(why)) != 0) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "%s", why);
    }
    json_decref(body);
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (cg_bank_get(d->db, b.name, &existing, &err) == CG_OK) {
        serve_db_put(r, d);
        return http_error(r, 403, "bank_exists", "Bank already exists");
    }
    st = cg_bank_create(d->db, &b, &err);
    serve_db_put(r, d);
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 201, bank_json(&b));
}

enum MHD_Result bank_get_route(serve_req *r)
{
    enum MHD_Result ret;
    serve_db *d = serve_db_get(r, &ret);
    cg_bank b;
    int rc;

    if (d == NULL)
        return ret;
    rc = bank_lookup(r, d, r->params[0], &b, &ret);
    serve_db_put(r, d);
    if (rc != 0)
        return ret;
    return http_json(r, 200, bank_json(&b));
}

enum MHD_Result bank_update_route(serve_req *r)
{
    json_t *body;
    enum MHD_Result ret;
    serve_db *d;
    cg_bank b;
    cg_error err;
    cg_status st;
    char why[256];
    const char *rename;

    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    d = serve_db_get(r, &ret);
    if (d == NULL) {
        json_decref(body);
        return ret;
    }
    if (bank_lookup(r, d, r->params[0], &b, &ret) != 0)
        goto done;
    rename = json_string_value(json_object_get(body, "name"));
    if (rename != NULL && strcmp(rename, b.name) != 0) {
        ret = http_error(r, 400, "rename_unsupported", "banks cannot be renamed; create a new "
                         "bank and import the old one's export");
        goto done;
    }
    if (apply_settings(body, &b, why, sizeof(why)) != 0) {
        ret = http_error(r, 400, "bad_request", "%s", why);
        goto done;
    }
    st = cg_bank_update(d->db, &b, &err);
    if (st != CG_OK)
        ret = http_cg_error(r, st, err.message);
    else
        ret = http_json(r, 200, bank_json(&b));
done:
    serve_db_put(r, d);
    json_decref(body);
    return ret;
}

enum MHD_Result bank_delete_route(serve_req *r)
{
    enum MHD_Result ret;
    serve_db *d = serve_db_get(r, &ret);
    cg_bank b;
    cg_error err;
    cg_status st;

    if (d == NULL)
        return ret;
    if (bank_lookup(r, d, r->params[0], &b, &ret) != 0) {
        serve_db_put(r, d);
        return ret;
    }
    st = cg_bank_delete(d->db, b.name, &err);
    serve_db_put(r, d);
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 200, json_pack("{s:s}", "message", "Done"));
}

/* ---- content ---------------------------------------------------------------------------- */

typedef struct add_item {
    const cg_signal_type *type;
    char text[CG_SIGNAL_MAX_BYTES * 2 + 1];
} add_item;

/* Adds the signals to bank b, answering {"id", "signals", "ids", "merged"}. */
static enum MHD_Result add_signals(serve_req *r, serve_db *d, const cg_bank *b,
                                   add_item *items, size_t n, json_t *meta)
{
    json_t *signals = json_object(), *ids = json_object(), *merged = json_object();
    int64_t first = 0;
    const char *source = json_string_value(json_object_get(meta, "source"));
    const char *ext = json_string_value(json_object_get(meta, "external_id"));
    const char *note = json_string_value(json_object_get(meta, "note"));

    if (ext == NULL)
        ext = json_string_value(json_object_get(meta, "content_id")); /* HMA's metadata */
    for (size_t i = 0; i < n; i++) {
        cg_bank_signal s;
        cg_error err;
        cg_status st;
        int was_merged = 0;

        memset(&s, 0, sizeof(s));
        s.bank_id = b->id;
        s.type = items[i].type;
        s.quality = -1;
        if (items[i].type->parse(items[i].text, strlen(items[i].text), s.value) != CG_OK) {
            json_decref(signals);
            json_decref(ids);
            json_decref(merged);
            return http_error(r, 400, "bad_signal", "Invalid %s signal: '%s'",
                              items[i].type->name, items[i].text);
        }
        if ((source != NULL && strlen(source) > CG_BANK_FIELD_MAX) ||
            (ext != NULL && strlen(ext) > CG_BANK_FIELD_MAX) ||
            (note != NULL && strlen(note) > CG_BANK_TEXT_MAX)) {
            json_decref(signals);
            json_decref(ids);
            json_decref(merged);
            return http_error(r, 400, "bad_request", "source, external_id or note too long");
        }
        snprintf(s.source, sizeof(s.source), "%s", source != NULL ? source : "api");
        snprintf(s.external_id, sizeof(s.external_id), "%s", ext != NULL ? ext : "");
        snprintf(s.note, sizeof(s.note), "%s", note != NULL ? note : "");
        st = cg_bank_signal_add(d->db, &s, &was_merged, &err);
        if (st != CG_OK) {
            json_decref(signals);
            json_decref(ids);
            json_decref(merged);
            return http_cg_error(r, st, err.message);
        }
        if (first == 0)
            first = s.id;
        items[i].type->format(s.value, items[i].text);
        json_object_set_new(signals, items[i].type->name, json_string(items[i].text));
        json_object_set_new(ids, items[i].type->name, json_integer(s.id));
        json_object_set_new(merged, items[i].type->name, json_boolean(was_merged));
    }
    return http_json(r, 200, json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)first,
                                       "signals", signals, "ids", ids, "merged", merged));
}

static const char *const meta_keys[] = {"metadata", "source", "external_id", "note",
                                        "signal_type", "value", "signal", NULL};

enum MHD_Result bank_signal_add_route(serve_req *r)
{
    json_t *body, *v, *meta;
    enum MHD_Result ret;
    serve_db *d;
    cg_bank b;
    add_item items[8];
    size_t n = 0;
    const char *key;
    const char *st_name;

    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    /* Two shapes: HMA's {"pdq": "<hex>", "md5": "<hex>"}, or {"signal_type", "value"}. */
    st_name = json_string_value(json_object_get(body, "signal_type"));
    if (st_name != NULL) {
        const char *val = json_string_value(json_object_get(body, "value"));
        if (val == NULL)
            val = json_string_value(json_object_get(body, "signal"));
        items[0].type = cg_signal_type_find(st_name);
        if (items[0].type == NULL || val == NULL || strlen(val) >= sizeof(items[0].text)) {
            ret = http_error(r, 400, items[0].type == NULL ? "bad_signal_type" : "bad_signal",
                              items[0].type == NULL ? "No such signal type %s"
                                                    : "Invalid %s signal",
                              st_name);
            json_decref(body);
            return ret;
        }
        snprintf(items[0].text, sizeof(items[0].text), "%s", val);
        n = 1;
    } else {
        json_object_foreach(body, key, v) {
            size_t k = 0;
            while (meta_keys[k] != NULL && strcmp(meta_keys[k], key) != 0)
                k++;
            if (meta_keys[k] != NULL)
                continue;
            if (n >= sizeof(items) / sizeof(items[0])) {
                ret = http_error(r, 400, "bad_request", "too many signals");
                json_decref(body);
                return ret;
            }
            items[n].type = cg_signal_type_find(key);
            if (items[n].type == NULL) {
                ret = http_error(r, 400, "bad_signal_type", "No such signal type %s", key);
                json_decref(body);
                return ret;
            }
            if (!json_is_string(v) || json_string_length(v) >= sizeof(items[n].text)) {
                ret = http_error(r, 400, "bad_signal", "Invalid %s signal", key);
                json_decref(body);
                return ret;
            }
            snprintf(items[n].text, sizeof(items[n].text), "%s", json_string_value(v));
            n++;
        }
    }
    if (n == 0) {
        ret = http_error(r, 400, "bad_request", "No signals given");
        json_decref(body);
        return ret;
    }
    meta = json_object_get(body, "metadata");
    if (!json_is_object(meta))
        meta = body;
    d = serve_db_get(r, &ret);
    if (d == NULL) {
        json_decref(body);
        return ret;
    }
    if (bank_lookup(r, d, r->params[0], &b, &ret) == 0)
        ret = add_signals(r, d, &b, items, n, meta);
    serve_db_put(r, d);
    json_decref(body);
    return ret;
}

enum MHD_Result bank_content_add_route(serve_req *r)
{
    const uint8_t *data;
    size_t len;
    enum MHD_Result ret;
    serve_hashes h;
    cg_error err;
    serve_db *d;
    cg_bank b;
    add_item items[2];
    size_t n = 0;
    json_t *meta;

    if (http_query(r, "url") != NULL)
        return http_error(r, 400, "url_fetch_disabled",
                          "this server does not fetch URLs; upload the file as "
                          "multipart/form-data (field 'photo') or as the raw body");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (bank_lookup(r, d, r->params[0], &b, &ret) != 0)
        goto done;
    if (http_upload(r, &data, &len, &ret) != 0)
        goto done;
    if (serve_hash_bytes(r->srv, data, len, &h, &err) != CG_OK) {
        ret = http_cg_error(r, err.status, err.message);
        goto done;
    }
    if (!h.has_pdq && h.format != CG_FORMAT_UNKNOWN) {
        ret = http_error(r, 422, "decode", "the image could not be decoded: %s", h.decode_error);
        goto done;
    }
    if (h.has_pdq) {
        items[n].type = cg_signal_type_find("pdq");
        serve_hash_hex(&h, "pdq", items[n].text);
        n++;
    }
    items[n].type = cg_signal_type_find("md5");
    serve_hash_hex(&h, "md5", items[n].text);
    n++;
    meta = r->fields;
    if (meta != NULL && json_is_string(json_object_get(meta, "metadata"))) {
        /* HMA sends metadata as a JSON string field of the form. */
        json_t *parsed = json_loads(json_string_value(json_object_get(meta, "metadata")), 0,
                                    NULL);
        if (json_is_object(parsed)) {
            ret = add_signals(r, d, &b, items, n, parsed);
            json_decref(parsed);
            goto done;
        }
        json_decref(parsed);
        ret = http_error(r, 400, "bad_request", "metadata should be a json object");
        goto done;
    }
    ret = add_signals(r, d, &b, items, n, meta);
done:
    serve_db_put(r, d);
    return ret;
}

/* Parses r->params[1] as a content (signal) id of bank b and reads it; else queues a 404. */
static int content_lookup(serve_req *r, serve_db *d, cg_bank *b, cg_bank_signal *s,
                          enum MHD_Result *ret)
{
    char *end;
    long long id;
    cg_error err;
    cg_status st;

    if (bank_lookup(r, d, r->params[0], b, ret) != 0)
        return -1;
    errno = 0;
    id = strtoll(r->params[1], &end, 10);
    if (errno != 0 || *end != '\0' || id <= 0) {
        *ret = http_error(r, 404, "content_not_found", "content '%s' not found", r->params[1]);
        return -1;
    }
    st = cg_bank_signal_get(d->db, id, s, &err);
    if (st == CG_E_NOTFOUND || (st == CG_OK && s->bank_id != b->id)) {
        *ret = http_error(r, 404, "content_not_found", "content '%lld' not found", id);
        return -1;
    }
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    return 0;
}

static json_t *content_json(const cg_bank *b, const cg_bank_signal *s, int with_signals)
{
    char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
    json_t *j;

    s->type->format(s->value, hex);
    j = json_pack("{s:I, s:I, s:{}, s:n, s:{s:s, s:f}, s:s, s:s, s:i, s:s, s:s, s:s, s:I}",
                  "id", (json_int_t)s->id, "disable_until_ts", (json_int_t)s->disabled_until,
                  "collab_metadata", "original_media_uri", "bank", "name", b->name,
                  "matching_enabled_ratio", b->enabled ? 1.0 : 0.0, "signal_type",
                  s->type->name, "signal", hex, "quality", s->quality, "source", s->source,
                  "external_id", s->external_id, "note", s->note, "added", (json_int_t)s->added);
    if (j != NULL && with_signals)
        json_object_set_new(j, "signals", json_pack("{s:s}", s->type->name, hex));
    return j;
}

enum MHD_Result bank_content_get_route(serve_req *r)
{
    enum MHD_Result ret;
    serve_db *d = serve_db_get(r, &ret);
    cg_bank b;
    cg_bank_signal s;

    if (d == NULL)
        return ret;
    if (content_lookup(r, d, &b, &s, &ret) == 0)
        ret = http_json(r, 200, content_json(&b, &s, http_query_bool(r, "include_signals")));
    serve_db_put(r, d);
    return ret;
}

enum MHD_Result bank_content_update_route(serve_req *r)
{
    json_t *body, *v;
    enum MHD_Result ret;
    serve_db *d;
    cg_bank b;
    cg_bank_signal s;
    cg_error err;
    cg_status st;
    long long until;

    if (http_body_json(r, &body, &ret) != 0)
        return ret;
    d = serve_db_get(r, &ret);
    if (d == NULL) {
        json_decref(body);
        return ret;
    }
    if (content_lookup(r, d, &b, &s, &ret) != 0)
        goto done;
    v = json_object_get(body, "disable_until_ts");
    if (v == NULL) {
        ret = http_json(r, 200, content_json(&b, &s, 0));
        goto done;
    }
    if (json_is_string(v)) {
        char *end;
        errno = 0;
        until = strtoll(json_string_value(v), &end, 10);
        if (errno != 0 || *end != '\0' || json_string_length(v) == 0)
            until = -1;
    } else if (json_is_integer(v)) {
        until = json_integer_value(v);
    } else {
        until = -1;
    }
    if (until < 0) {
        ret = http_error(r, 400, "bad_request", "disable_until_ts must be a non-negative integer");
        goto done;
    }
    if (until > (long long)time(NULL) + 5LL * 365 * 86400) {
        ret = http_error(r, 400, "bad_request",
                         "disable_until_ts must be less than 5 years in the future");
        goto done;
    }
    st = cg_bank_signal_set_disabled(d->db, s.id, until, &err);
    if (st != CG_OK) {
        ret = http_cg_error(r, st, err.message);
        goto done;
    }
    s.disabled_until = until;
    ret = http_json(r, 200, content_json(&b, &s, 0));
done:
    serve_db_put(r, d);
    json_decref(body);
    return ret;
}

enum MHD_Result bank_content_delete_route(serve_req *r)
{
    enum MHD_Result ret;
    serve_db *d = serve_db_get(r, &ret);
    cg_bank b;
    cg_bank_signal s;
    cg_error err;
    cg_status st;

    if (d == NULL)
        return ret;
    if (content_lookup(r, d, &b, &s, &ret) != 0) {
        serve_db_put(r, d);
        return ret;
    }
    st = cg_bank_signal_delete(d->db, s.id, &err);
    serve_db_put(r, d);
    if (st != CG_OK)
        return http_cg_error(r, st, err.message);
    return http_json(r, 200, json_pack("{s:i}", "deleted", 1));
}
