/* HMA's per-API routes (docs/api.md "Exchanges", docs/exchange.md "Credentials per API"):
 *   GET  /c/exchanges/api/<api>         {"supports_authentification", "has_set_authentification"}
 *   POST /c/exchanges/api/<api>         {"credential_json": {...}}: set ({} clears; absent or
 *                                       null changes nothing), answered like GET
 *   GET  /c/exchanges/api/<api>/schema  {"config_schema": {"fields": [...]},
 *                                        "credentials_schema": {"fields": [...]} | null}
 * (HMA's spelling, "authentification", kept.) GET adds "credential_status": set or not, from
 * where, whether they open with the key file, and the error naming the file when they do not
 * (exchange_credential_status says the same of one exchange for GET /c/exchange/<name>). Credentials are per tenant (the key's) and API,
 * sealed with the server's exchange key file (exchange_api_creds.c) and never returned; an
 * exchange's own credentials take precedence over its API's. Reading needs bank:read; setting
 * needs admin and a key not limited to some banks (they serve every exchange of the API in
 * the tenant). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exchange_api_creds.h"
#include "../exchange_conf.h"
#include "../exchange_creds.h"
#include "childguard/exchange.h"
#include "exchange_fetcher.h"
#include "serve.h"

/* The longest credential value accepted, bytes. */
#define CRED_VALUE_MAX 1024

typedef struct field {
    const char *name, *type, *help;
    int required;
} field;

typedef struct api_schema {
    const char *api;
    field creds[4]; /* name NULL ends */
    const char *collab_help;    /* NULL: the API has no collab */
    int package;                /* the package driver's settings */
} api_schema;

static const api_schema schemas[] = {
    {"ncmec",
     {{"user", "string", "NCMEC hash sharing user (HTTP Basic)", 1},
      {"password", "string", "NCMEC hash sharing password (HTTP Basic)", 1},
      {NULL, NULL, NULL, 0}},
     NULL, 0},
    {"stopncii",
     {{"api_key", "string", "FetchHashes function key (x-functions-key)", 1},
      {"subscription_key", "string", "Ocp-Apim-Subscription-Key", 1},
      {"feedback_key", "string", "SubmitFeedback function key (default: api_key)", 0},
      {NULL, NULL, NULL, 0}},
     NULL, 0},
    {"fb_threatexchange",
     {{"api_key", "string", "ThreatExchange access token", 1}, {NULL, NULL, NULL, 0}},
     "the privacy group (collaboration) id", 0},
    {"file", {{NULL, NULL, NULL, 0}}, NULL, 0},
    {"package", {{NULL, NULL, NULL, 0}}, NULL, 1},
};

static const api_schema *schema_of(const char *api)
{
    if (cg_exchange_driver_find(api) == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
        if (strcmp(schemas[i].api, api) == 0)
            return &schemas[i];
    return NULL;
}

static int supports_auth(const api_schema *s)
{
    return s->creds[0].name != NULL;
}

/* The API of the path, or NULL with a 400 queued (HMA answers 400 for an unknown API). */
static const api_schema *api_param(serve_req *r, enum MHD_Result *ret)
{
    const api_schema *s = schema_of(r->params[0]);

    if (s == NULL)
        *ret = http_error(r, 400, "unknown_api", "no such Exchange API '%.40s' (GET "
                          "/c/exchanges/apis lists them)", r->params[0]);
    return s;
}

static int creds_file(serve_req *r, char *key_path, size_t kn, char *path, size_t pn)
{
    return exchange_key_path(r->srv->cfg.exchange_key_file[0] ? r->srv->cfg.exchange_key_file
                                                              : NULL,
                             r->srv->cfg.db, key_path, kn) != 0 ||
                   exchange_api_creds_path(key_path, path, pn) != 0
               ? -1
               : 0;
}

/* Removes the directory of key_path from msg wherever it appears: the files beside the key
 * file are named by their base names in answers (paths stay in the server log). */
static void strip_dir(char *msg, const char *key_path)
{
    const char *slash = strrchr(key_path, '/');
    size_t n = slash != NULL ? (size_t)(slash - key_path) + 1 : 0;
    char *p;

    while (n > 0 && (p = strstr(msg, key_path)) != NULL && strncmp(p, key_path, n) == 0)
        memmove(p, p + n, strlen(p + n) + 1);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

/* The credential status of the API: set or not, whether the sealed value opens with the key
 * file (opened and wiped at once, never returned), and the error naming the file when it does
 * not. A file that cannot be read (unreadable, others may read it, not a credentials file) is
 * said here too: the status is what an operator reads to find it. */
static json_t *api_status(serve_req *r, const api_schema *s, const char *key_path,
                          const char *path, int *set)
{
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES];
    char why[768] = "", *secret = NULL;
    int usable = 0;

    *set = 0;
    if (exchange_api_creds_has(path, r->key.tenant, s->api, set, why, sizeof(why)) == 0 &&
        *set && exchange_key_load(key_path, 0, key, why, sizeof(why)) == 0) {
        usable = exchange_api_creds_open(path, key, r->key.tenant, s->api, &secret, why,
                                         sizeof(why)) == 0 && secret != NULL;
        if (secret != NULL) {
            memset(secret, 0, strlen(secret));
            cg_free(secret);
        }
    }
    memset(key, 0, sizeof(key));
    if (why[0] != '\0')
        serve_log("exchange_credentials", r->id, "%s", why);
    strip_dir(why, key_path);
    return json_pack("{s:b, s:s, s:o, s:o, s:s, s:s, s:s}", "set", *set, "source",
                     *set ? "api" : "none", "usable", *set || why[0] ? json_boolean(usable)
                                                                    : json_null(),
                     "error", why[0] != '\0' ? json_string(why) : json_null(), "file",
                     base_name(path), "key_file", base_name(key_path), "key_file_from",
                     exchange_key_origin(r->srv->cfg.exchange_key_file));
}

static enum MHD_Result answer(serve_req *r, const api_schema *s)
{
    char key_path[SERVE_PATH_MAX], path[SERVE_PATH_MAX + 32];
    json_t *status = NULL;
    int set = 0;

    if (supports_auth(s)) {
        if (creds_file(r, key_path, sizeof(key_path), path, sizeof(path)) != 0)
            return http_cg_error(r, CG_E_IO, "exchange key file path too long");
        status = api_status(r, s, key_path, path, &set);
    }
    return http_json(r, 200, json_pack("{s:b, s:b, s:o}", "supports_authentification",
                                       supports_auth(s), "has_set_authentification", set,
                                       "credential_status",
                                       status != NULL ? status : json_null()));
}

json_t *exchange_credential_status(serve_req *r, cg_bankdb *db, const cg_exchange_info *ex)
{
    char key_path[SERVE_PATH_MAX], why[768] = "", *secret = NULL;
    exchange_creds_source source = EXCHANGE_CREDS_NONE;
    exchange_creds_key key;
    int usable = 0;

    if (exchange_key_path(r->srv->cfg.exchange_key_file[0] ? r->srv->cfg.exchange_key_file : NULL,
                          r->srv->cfg.db, key_path, sizeof(key_path)) != 0) {
        snprintf(why, sizeof(why), "exchange key file path too long");
    } else {
        exchange_creds_key_load(&key, key_path);
        usable = exchange_creds_open(db, ex, &key, &secret, &source, why, sizeof(why)) == 0;
        exchange_creds_key_wipe(&key);
    }
    if (secret != NULL) {
        memset(secret, 0, strlen(secret));
        cg_free(secret);
    }
    if (why[0] != '\0')
        serve_log("exchange_credentials", r->id, "exchange %s: %s", ex->name, why);
    strip_dir(why, key_path);
    return json_pack("{s:s, s:o, s:o, s:s, s:s}", "source", exchange_creds_source_name(source),
                     "usable", source != EXCHANGE_CREDS_NONE || why[0] ? json_boolean(usable)
                                                                        : json_null(),
                     "error", why[0] != '\0' ? json_string(why) : json_null(), "key_file",
                     base_name(key_path), "key_file_from",
                     exchange_key_origin(r->srv->cfg.exchange_key_file));
}

enum MHD_Result exchange_api_get_route(serve_req *r)
{
    enum MHD_Result ret;
    const api_schema *s = api_param(r, &ret);

    return s == NULL ? ret : answer(r, s);
}

/* Checks the credentials object c against the API's fields: only its fields, strings of 1 to
 * CRED_VALUE_MAX bytes without control characters (a value goes into an HTTP header), the
 * required ones present. Never quotes a value. 0, or -1 with why. */
static int check_creds(const api_schema *s, json_t *c, char *why, size_t n)
{
    const char *k;
    json_t *v;

    json_object_foreach(c, k, v)
    {
        const field *f = NULL;
        const char *t;

        for (size_t i = 0; s->creds[i].name != NULL; i++)
            if (strcmp(k, s->creds[i].name) == 0)
                f = &s->creds[i];
        if (f == NULL) {
            snprintf(why, n, "credential_json: \"%.40s\" is not a credential of API %s "
                     "(GET /c/exchanges/api/%s/schema lists them)", k, s->api, s->api);
            return -1;
        }
        t = json_string_value(v);
        if (t == NULL || json_string_length(v) == 0 || json_string_length(v) > CRED_VALUE_MAX ||
            strlen(t) != json_string_length(v)) {
            snprintf(why, n, "credential_json: \"%s\" must be a string of 1 to %d bytes", k,
                     CRED_VALUE_MAX);
            return -1;
        }
        for (const unsigned char *p = (const unsigned char *)t; *p != '\0'; p++)
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(why, n, "credential_json: \"%s\" holds a control character", k);
                return -1;
            }
    }
    for (size_t i = 0; s->creds[i].name != NULL; i++)
        if (s->creds[i].required && json_object_get(c, s->creds[i].name) == NULL) {
            snprintf(why, n, "credential_json: \"%s\" is required for API %s", s->creds[i].name,
                     s->api);
            return -1;
        }
    return 0;
}

enum MHD_Result exchange_api_post_route(serve_req *r)
{
    char key_path[SERVE_PATH_MAX], path[SERVE_PATH_MAX + 32], why[512] = "";
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES];
    json_error_t je;
    json_t *body, *c;
    enum MHD_Result ret;
    const api_schema *s = api_param(r, &ret);
    const char *k;
    json_t *v;
    char *text = NULL;
    int rc;

    if (s == NULL)
        return ret;
    if (r->key.banks[0] != '\0')
        return http_error(r, 403, "forbidden", "credentials of an API serve every exchange of "
                          "the tenant: a key limited to some banks may not set them");
    /* Parsed here rather than by http_body_json: a parse error never quotes the body. */
    body = r->len > 0 ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!json_is_object(body)) {
        json_decref(body);
        return http_error(r, 400, "bad_json", "a JSON object body {\"credential_json\": {...}} "
                          "is required (malformed or not an object)");
    }
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "credential_json") != 0) {
            /* the reply is made before the body (which holds k) is released */
            ret = http_error(r, 400, "bad_request", "unknown field \"%.40s\" (only "
                             "\"credential_json\")", k);
            json_decref(body);
            return ret;
        }
    }
    c = json_object_get(body, "credential_json");
    if (c == NULL || json_is_null(c)) { /* HMA: nothing to change */
        json_decref(body);
        return answer(r, s);
    }
    if (!json_is_object(c)) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "\"credential_json\" must be an object ({} "
                          "clears the API's credentials)");
    }
    if (json_object_size(c) > 0 && !supports_auth(s)) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "API %s takes no credentials", s->api);
    }
    if (json_object_size(c) > 0 && check_creds(s, c, why, sizeof(why)) != 0) {
        json_decref(body);
        return http_error(r, 400, "bad_request", "%s", why);
    }
    if (json_object_size(c) > 0) {
        text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
        if (text == NULL) {
            json_decref(body);
            return http_cg_error(r, CG_E_NOMEM, "out of memory");
        }
        if (strlen(text) > EXCHANGE_API_CREDS_MAX) {
            memset(text, 0, strlen(text));
            free(text);
            json_decref(body);
            return http_error(r, 400, "bad_request", "credential_json longer than %d bytes",
                              EXCHANGE_API_CREDS_MAX);
        }
    }
    json_decref(body);
    if (creds_file(r, key_path, sizeof(key_path), path, sizeof(path)) != 0)
        rc = -1, snprintf(why, sizeof(why), "exchange key file path too long");
    else if (text == NULL && !supports_auth(s))
        rc = 0; /* {} for an API without credentials: nothing is stored */
    else if (exchange_key_load(key_path, 1, key, why, sizeof(why)) != 0)
        rc = -1;
    else
        rc = exchange_api_creds_put(path, key, r->key.tenant, s->api, text, why, sizeof(why));
    memset(key, 0, sizeof(key));
    if (text != NULL) {
        memset(text, 0, strlen(text));
        free(text);
    }
    if (rc != 0)
        return http_cg_error(r, CG_E_IO, why);
    exchange_fetcher_kick(r->srv->fetcher);
    return answer(r, s);
}

static json_t *field_json(const char *name, const char *type, int required, const char *help)
{
    return json_pack("{s:s, s:s, s:b, s:s}", "name", name, "type", type, "required", required,
                     "help", help);
}

enum MHD_Result exchange_api_schema_route(serve_req *r)
{
    enum MHD_Result ret;
    const api_schema *s = api_param(r, &ret);
    json_t *cfg, *creds = NULL;

    if (s == NULL)
        return ret;
    cfg = json_array();
    json_array_append_new(cfg, field_json("base_url", "string", s->package || !strcmp(s->api, "file"),
                                          s->package ? "where the signed package is: an https:// "
                                                       "URL of a tar (file:// paths: command line only)"
                                                     : "the API's base URL (https://; default: "
                                                       "the API's own)"));
    if (s->collab_help != NULL)
        json_array_append_new(cfg, field_json("collab", "string", 1, s->collab_help));
    if (s->package) {
        json_array_append_new(cfg, field_json("trusted_keys", "set_of_string", 1,
                                              "minisign public keys (the base64 line of a "
                                              ".pub file) whose packages are accepted"));
        json_array_append_new(cfg, field_json("full_url", "string", 0,
                                              "where the producer's latest full list is, "
                                              "read when a delta does not follow the last "
                                              "package applied"));
    }
    json_array_append_new(cfg, field_json("page_size", "number", 0, "records per page"));
    json_array_append_new(cfg, field_json("max_body", "number", 0,
                                          "the largest answer accepted, bytes (64 MiB)"));
    if (!s->package && strcmp(s->api, "file") != 0)
        json_array_append_new(cfg, field_json("start_time", "number", 0,
                                              "unix seconds the first fetch starts from"));
    if (strcmp(s->api, "ncmec") == 0)
        json_array_append_new(cfg, field_json("negative_reason", "string", 0,
                                              "the reason id of a negative feedback queued "
                                              "without one (checked against NCMEC's list when "
                                              "sent)"));
    if (supports_auth(s)) {
        json_t *arr = json_array();

        for (size_t i = 0; s->creds[i].name != NULL; i++)
            json_array_append_new(arr, field_json(s->creds[i].name, s->creds[i].type,
                                                  s->creds[i].required, s->creds[i].help));
        creds = json_pack("{s:o}", "fields", arr);
    }
    return http_json(r, 200, json_pack("{s:s, s:{s:o}, s:o, s:b}", "api", s->api,
                                       "config_schema", "fields", cfg, "credentials_schema",
                                       creds != NULL ? creds : json_null(),
                                       "supports_authentification", supports_auth(s)));
}
