/* HMA's exchange routes (docs/api.md, docs/exchange.md "In serve"): the APIs, creating,
 * listing, reading, changing and deleting exchanges, and their fetch status. Reading needs
 * bank:read, changing needs admin; exchanges belong to the key's tenant, and an exchange whose
 * bank the key may not see answers 404 like a missing one. Credentials given on creation are
 * sealed with the server's exchange key file and never returned. The fetching itself is the
 * scheduler's (exchange_fetcher.c), never a request thread's. The flood quarantine's view of an
 * exchange (GET /c/exchange/<name>/flood, and "flood" in its status) is routes_exchange_flood.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exchange_conf.h"
#include "childguard/exchange.h"
#include "childguard/exchange_store.h"
#include "exchange_fetcher.h"
#include "serve.h"

/* HMA's six fields, then childguard's: the back-off (consecutive_failures, next_fetch_ts: the
 * scheduler waits until then) and a full refetch under way (sweep_pending). */
static json_t *status_json(const cg_exchange_info *ex)
{
    return json_pack("{s:I, s:I, s:I, s:b, s:b, s:I, s:i, s:I, s:b}", "checkpoint_ts",
                     (json_int_t)ex->checkpoint_ts, "running_fetch_start_ts",
                     (json_int_t)ex->running_fetch_start_ts, "last_fetch_complete_ts",
                     (json_int_t)ex->last_fetch_complete_ts, "last_fetch_succeeded",
                     ex->last_fetch_succeeded, "up_to_date", ex->up_to_date, "fetched_items",
                     (json_int_t)ex->fetched_items, "consecutive_failures",
                     ex->consecutive_failures, "next_fetch_ts", (json_int_t)ex->next_fetch_ts,
                     "sweep_pending", ex->sweep_pending);
}

static json_t *exchange_json(const cg_exchange_info *ex)
{
    json_t *cfg = json_loads(ex->api_json[0] ? ex->api_json : "{}", 0, NULL);

    return json_pack("{s:s, s:s, s:s, s:o, s:b, s:b, s:s, s:o}", "name", ex->name, "bank",
                     ex->name, "api", ex->api, "api_json", cfg != NULL ? cfg : json_object(),
                     "enabled", ex->enabled, "has_credentials", ex->has_secret, "last_error",
                     ex->last_error, "status", status_json(ex));
}

enum MHD_Result exchange_apis_route(serve_req *r)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < cg_exchange_driver_count(); i++)
        json_array_append_new(arr, json_string(cg_exchange_driver_at(i)->name));
    return http_json(r, 200, arr);
}

typedef struct list_ctx {
    serve_req *r;
    json_t *arr;
} list_ctx;

static int list_one(const cg_exchange_info *ex, void *ud)
{
    list_ctx *c = ud;

    if (serve_bank_visible(c->r, ex->name))
        json_array_append_new(c->arr, exchange_json(ex));
    return 0;
}

enum MHD_Result exchange_list_route(serve_req *r)
{
    enum MHD_Result ret;
    serve_db *d = serve_db_get(r, &ret);
    list_ctx c;
    cg_error err;
    cg_status st;

    if (d == NULL)
        return ret;
    c.r = r;
    c.arr = json_array();
    st = cg_exchange_list(d->db, list_one, &c, &err);
    serve_db_put(r, d);
    if (st != CG_OK) {
        json_decref(c.arr);
        return http_cg_error(r, st, err.message);
    }
    return http_json(r, 200, c.arr);
}

/* Reads the key's tenant's exchange r->params[0] into ex; 404 when missing or not visible. */
static int lookup(serve_req *r, serve_db *d, cg_exchange_info *ex, enum MHD_Result *ret)
{
    cg_error err;
    cg_status st = serve_bank_visible(r, r->params[0]) ? cg_exchange_get(d->db, r->params[0], ex, &err)
                                                       : CG_E_NOTFOUND;

    if (st == CG_E_NOTFOUND || st == CG_E_INVAL) {
        *ret = http_error(r, 404, "exchange_not_found", "exchange '%s' not found", r->params[0]);
        return -1;
    }
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    return 0;
}

/* What get_common answers. */
enum get_what { GET_EXCHANGE, GET_STATUS, GET_FLOOD };

static enum MHD_Result get_common(serve_req *r, enum get_what what)
{
    enum MHD_Result ret;
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    serve_db *d;
    json_t *j = NULL, *extra = NULL; /* credential status, or flood summary/listing */
    cg_error err;
    int rc;

    if (ex == NULL)
        return http_cg_error(r, CG_E_NOMEM, "out of memory");
    /* The status is the fetcher's to write, not the client's: a moment old is fine, from the
     * replica (docs/scale.md); the configuration a client may just have PUT: the primary. */
    d = what == GET_STATUS ? serve_db_get_stale_ok(r, &ret) : serve_db_get(r, &ret);
    if (d == NULL) {
        free(ex);
        return ret;
    }
    rc = lookup(r, d, ex, &ret);
    /* Which credentials it uses (docs/exchange.md "Credentials"), or the flood summary (status)
     * or listing (flood): docs/exchange.md "Flood quarantine". */
    if (rc == 0 && what == GET_EXCHANGE)
        extra = exchange_credential_status(r, d->db, ex);
    if (rc == 0 && what != GET_EXCHANGE) {
        extra = exchange_flood_json(r, d->db, ex, what == GET_FLOOD, &err);
        if (extra == NULL) {
            ret = http_cg_error(r, err.status, err.message);
            rc = -1;
        }
    }
    serve_db_put(r, d);
    if (rc == 0) {
        if (what == GET_FLOOD) {
            j = extra;
            json_object_set_new(j, "exchange", json_string(ex->name));
            json_object_set_new(j, "bank", json_string(ex->name));
        } else if (what == GET_STATUS) {
            j = status_json(ex);
            json_object_set_new(j, "flood", extra);
        } else {
            j = exchange_json(ex);
            json_object_set_new(j, "credential_status", extra != NULL ? extra : json_null());
        }
        ret = http_json(r, 200, j);
    }
    free(ex);
    return ret;
}

enum MHD_Result exchange_get_route(serve_req *r)
{
    return get_common(r, GET_EXCHANGE);
}

enum MHD_Result exchange_status_route(serve_req *r)
{
    return get_common(r, GET_STATUS);
}

enum MHD_Result exchange_flood_route(serve_req *r)
{
    return get_common(r, GET_FLOOD);
}

/* Seals the credentials object creds for (tenant, name) with the server's key file (made when
 * missing). 0, or -1 with why. */
static int seal(serve_req *r, const char *tenant, const char *name, json_t *creds,
                uint8_t **blob, size_t *len, char *why, size_t n)
{
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES];
    char path[SERVE_PATH_MAX];
    char *text = json_dumps(creds, JSON_COMPACT);
    cg_error err;
    int rc = -1;

    if (text == NULL) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    if (exchange_key_path(r->srv->cfg.exchange_key_file[0] ? r->srv->cfg.exchange_key_file : NULL,
                          r->srv->cfg.db, path, sizeof(path)) != 0 ||
        exchange_key_load(path, 1, key, why, n) != 0) {
        if (why[0] == '\0')
            snprintf(why, n, "exchange key file path too long");
    } else if (cg_exchange_secret_seal(key, tenant, name, text, strlen(text), blob, len, &err) !=
               CG_OK) {
        snprintf(why, n, "%s", err.message);
    } else {
        rc = 0;
    }
    memset(key, 0, sizeof(key));
    memset(text, 0, strlen(text));
    free(text);
    return rc;
}

/* The api_json object cfg (NULL: {}) as the compact text stored, keys sorted, into *text (free
 * it), checked as settings of api that may be set over HTTP (exchange_conf_check_remote). 0, or
 * -1 with the answer queued in *ret (400 naming the setting or the limit). */
static int api_json_text(serve_req *r, const char *api, json_t *cfg, char **text,
                         enum MHD_Result *ret)
{
    char why[512];

    *text = cfg != NULL ? json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
    if (*text == NULL) {
        *ret = http_cg_error(r, CG_E_NOMEM, "out of memory");
        return -1;
    }
    if (strlen(*text) > CG_EXCHANGE_CONFIG_MAX) {
        *ret = http_error(r, 400, "bad_request", "\"api_json\" longer than %d bytes",
                          CG_EXCHANGE_CONFIG_MAX);
        return -1;
    }
    if (exchange_conf_check_remote(api, *text, why, sizeof(why)) != 0) {
        *ret = http_error(r, 400, "bad_request", "%s", why);
        return -1;
    }
    return 0;
}

enum MHD_Result exchange_create_route(serve_req *r)
{
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    json_t *body = NULL, *cfg, *creds;
    enum MHD_Result ret;
    serve_db *d = NULL;
    const char *bank, *api;
    char *cfg_text = NULL, *creds_text = NULL, why[512] = "";
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    cg_error err;
    cg_status st;

    if (ex == NULL)
        return http_cg_error(r, CG_E_NOMEM, "out of memory");
    if (http_body_json(r, &body, &ret) != 0) {
        free(ex);
        return ret;
    }
    bank = json_string_value(json_object_get(body, "bank"));
    api = json_string_value(json_object_get(body, "api"));
    cfg = json_object_get(body, "api_json");
    creds = json_object_get(body, "credentials");
    if (bank == NULL || !cg_exchange_name_valid(bank) || api == NULL ||
        strlen(api) > CG_EXCHANGE_API_MAX || (cfg != NULL && !json_is_object(cfg)) ||
        (creds != NULL && !json_is_object(creds))) {
        ret = http_error(r, 400, "bad_request", "{\"bank\": name (1-%d of [A-Za-z0-9_.-]), "
                         "\"api\": an API of /c/exchanges/apis, \"api_json\": {...}, "
                         "\"credentials\": {...}} expected", CG_BANK_NAME_MAX);
        goto out;
    }
    if (!serve_bank_visible(r, bank)) {
        ret = http_error(r, 403, "forbidden", "this key may not use bank '%s'", bank);
        goto out;
    }
    if (api_json_text(r, api, cfg, &cfg_text, &ret) != 0)
        goto out;
    if (creds != NULL) {
        creds_text = json_dumps(creds, JSON_COMPACT);
        if (creds_text == NULL ||
            exchange_conf_check_secret(api, creds_text, why, sizeof(why)) != 0) {
            ret = http_error(r, 400, "bad_request", "%s", creds_text ? why : "out of memory");
            goto out;
        }
        if (seal(r, r->key.tenant, bank, creds, &blob, &blob_len, why, sizeof(why)) != 0) {
            ret = http_cg_error(r, CG_E_IO, why);
            goto out;
        }
    }
    snprintf(ex->name, sizeof(ex->name), "%s", bank);
    snprintf(ex->api, sizeof(ex->api), "%s", api);
    snprintf(ex->api_json, sizeof(ex->api_json), "%s", cfg_text);
    ex->enabled = !json_is_false(json_object_get(body, "enabled"));
    d = serve_db_get(r, &ret);
    if (d == NULL)
        goto out;
    st = cg_exchange_create(d->db, ex, NULL, 0, &err);
    if (st == CG_OK && blob != NULL)
        st = cg_exchange_secret_put(d->db, ex->id, blob, blob_len, &err);
    if (st == CG_OK) /* name copied: cg_exchange_get clears ex first */
        st = cg_exchange_get(d->db, bank, ex, &err);
    serve_db_put(r, d);
    if (st == CG_E_INVAL && strstr(err.message, "already exists") != NULL)
        ret = http_error(r, 409, "exchange_exists", "exchange or bank '%s' already exists", bank);
    else if (st != CG_OK)
        ret = http_cg_error(r, st, err.message);
    else {
        exchange_fetcher_kick(r->srv->fetcher);
        ret = http_json(r, 201, exchange_json(ex));
    }
out:
    if (creds_text != NULL) {
        memset(creds_text, 0, strlen(creds_text));
        free(creds_text);
    }
    free(cfg_text);
    cg_free(blob);
    json_decref(body);
    free(ex);
    return ret;
}

enum MHD_Result exchange_update_route(serve_req *r)
{
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    json_t *body = NULL, *cfg, *en;
    enum MHD_Result ret;
    serve_db *d = NULL;
    char *cfg_text = NULL;
    cg_error err;
    cg_status st;

    if (ex == NULL)
        return http_cg_error(r, CG_E_NOMEM, "out of memory");
    if (http_body_json(r, &body, &ret) != 0) {
        free(ex);
        return ret;
    }
    cfg = json_object_get(body, "api_json");
    en = json_object_get(body, "enabled");
    if ((cfg != NULL && !json_is_object(cfg)) || (en != NULL && !json_is_boolean(en))) {
        ret = http_error(r, 400, "bad_request", "{\"api_json\": {...}, \"enabled\": bool}");
        goto out;
    }
    d = serve_db_get(r, &ret);
    if (d == NULL)
        goto out;
    if (lookup(r, d, ex, &ret) != 0)
        goto out;
    if (cfg != NULL) {
        if (api_json_text(r, ex->api, cfg, &cfg_text, &ret) != 0)
            goto out;
        snprintf(ex->api_json, sizeof(ex->api_json), "%s", cfg_text);
    }
    if (en != NULL)
        ex->enabled = json_is_true(en);
    st = cg_exchange_update(d->db, ex, &err);
    if (st == CG_OK) /* r->params[0] is the name: cg_exchange_get clears ex first */
        st = cg_exchange_get(d->db, r->params[0], ex, &err);
    if (st != CG_OK) {
        ret = http_cg_error(r, st, err.message);
        goto out;
    }
    exchange_fetcher_kick(r->srv->fetcher);
    ret = http_json(r, 200, exchange_json(ex));
out:
    if (d != NULL)
        serve_db_put(r, d);
    free(cfg_text);
    json_decref(body);
    free(ex);
    return ret;
}

enum MHD_Result exchange_delete_route(serve_req *r)
{
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;

    if (ex == NULL)
        return http_cg_error(r, CG_E_NOMEM, "out of memory");
    d = serve_db_get(r, &ret);
    if (d == NULL) {
        free(ex);
        return ret;
    }
    if (lookup(r, d, ex, &ret) == 0) {
        st = cg_exchange_delete(d->db, ex->name, !http_query_bool(r, "keep_bank"), &err);
        ret = st == CG_OK ? http_json(r, 200, json_pack("{s:s}", "deleted", ex->name))
                          : http_cg_error(r, st, err.message);
    }
    serve_db_put(r, d);
    free(ex);
    return ret;
}
