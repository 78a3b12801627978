/* The server's configuration: defaults, a JSON config file whose keys mirror the command-line
 * options (docs/api.md, contrib/serve.json), and the listen address. The command line is
 * applied after the file, so an option always wins over the file. */
#include <stdio.h>
#include <string.h>

#include "serve.h"

void serve_config_default(serve_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen_addr, sizeof(c->listen_addr), "127.0.0.1");
    c->port = 8080;
    c->threads = 0;
    c->connection_limit = 1024;
    c->timeout_s = 30;
    c->max_body = 32u << 20;
    c->rate_per_second = 1000;
    c->burst = 0;
    c->refresh_ms = 200;
    c->stale_seconds = 65;
    c->review = 1;
    c->classify = 1;
    c->key_cache_s = 5;
    c->access_log = 1;
}

int serve_config_listen(serve_config *c, const char *text)
{
    const char *colon = strrchr(text, ':');
    const char *host = text, *host_end;
    char *end;
    unsigned long port;

    if (colon == NULL)
        return -1;
    host_end = colon;
    if (text[0] == '[') {
        host = text + 1;
        if (colon == text || colon[-1] != ']')
            return -1;
        host_end = colon - 1;
    }
    port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || port > 65535)
        return -1;
    if ((size_t)(host_end - host) >= sizeof(c->listen_addr))
        return -1;
    if (host_end == host)
        snprintf(c->listen_addr, sizeof(c->listen_addr), "0.0.0.0");
    else
        snprintf(c->listen_addr, sizeof(c->listen_addr), "%.*s", (int)(host_end - host), host);
    c->port = (unsigned)port;
    return 0;
}

static int get_string(json_t *root, const char *key, char *out, size_t n, const char *path)
{
    json_t *v = json_object_get(root, key);

    if (v == NULL)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= n) {
        fprintf(stderr, "childguard serve: %s: \"%s\" must be a string shorter than %zu bytes\n",
                path, key, n);
        return -1;
    }
    snprintf(out, n, "%s", json_string_value(v));
    return 0;
}

static int get_int(json_t *root, const char *key, long long lo, long long hi, long long *out,
                   const char *path)
{
    json_t *v = json_object_get(root, key);

    if (v == NULL)
        return 0;
    if (json_is_boolean(v) && lo == 0 && hi == 1) {
        *out = json_is_true(v);
        return 1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        fprintf(stderr, "childguard serve: %s: \"%s\" must be an integer in %lld..%lld\n", path,
                key, lo, hi);
        return -1;
    }
    *out = json_integer_value(v);
    return 1;
}

static const char *const known_keys[] = {
    "listen", "db", "log", "policy", "data", "country", "threads", "connection_limit",
    "timeout", "max_body", "no_auth", "rate_per_second", "burst", "refresh_ms",
    "stale_seconds", "review", "db_handles", "key_cache", "webhooks", "webhook_poll_ms",
    "webhook_max_attempts", "webhook_backoff_s", "access_log", "classify", NULL};

/* "webhooks": [{"target": "guardian", "url": "https://...", "secret": "..."}, ...] */
static int get_webhooks(json_t *root, serve_config *c, const char *path)
{
    json_t *arr = json_object_get(root, "webhooks"), *w;
    size_t i;

    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > sizeof(c->webhooks) / sizeof(c->webhooks[0])) {
        fprintf(stderr, "childguard serve: %s: \"webhooks\" must be an array of at most %zu "
                        "objects\n", path, sizeof(c->webhooks) / sizeof(c->webhooks[0]));
        return -1;
    }
    json_array_foreach(arr, i, w) {
        webhook_target *t = &c->webhooks[i];
        const char *key;
        json_t *v;
        if (!json_is_object(w)) {
            fprintf(stderr, "childguard serve: %s: webhooks[%zu] must be an object\n", path, i);
            return -1;
        }
        json_object_foreach(w, key, v) {
            if (strcmp(key, "target") != 0 && strcmp(key, "url") != 0 && strcmp(key, "secret") != 0) {
                fprintf(stderr, "childguard serve: %s: webhooks[%zu]: unknown key \"%s\" "
                                "(target, url, secret)\n", path, i, key);
                return -1;
            }
        }
        if (get_string(w, "target", t->name, sizeof(t->name), path) != 0 ||
            get_string(w, "url", t->url, sizeof(t->url), path) != 0 ||
            get_string(w, "secret", t->secret, sizeof(t->secret), path) != 0)
            return -1;
        if (t->name[0] == '\0' || (strncmp(t->url, "http://", 7) != 0 &&
                                    strncmp(t->url, "https://", 8) != 0)) {
            fprintf(stderr, "childguard serve: %s: webhooks[%zu] needs a \"target\" and an "
                            "http(s) \"url\"\n", path, i);
            return -1;
        }
    }
    c->n_webhooks = json_array_size(arr);
    return 0;
}

int serve_config_load(serve_config *c, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *val;
    char listen[128] = "";
    long long v;
    int rc = -1, r;

    if (root == NULL) {
        fprintf(stderr, "childguard serve: %s:%d: %s\n", path, jerr.line, jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        fprintf(stderr, "childguard serve: %s: the config must be a JSON object\n", path);
        goto out;
    }
    json_object_foreach(root, key, val) {
        size_t i = 0;
        while (known_keys[i] != NULL && strcmp(known_keys[i], key) != 0)
            i++;
        if (known_keys[i] == NULL) {
            fprintf(stderr, "childguard serve: %s: unknown key \"%s\"\n", path, key);
            goto out;
        }
    }
    if (get_string(root, "listen", listen, sizeof(listen), path) != 0 ||
        get_string(root, "db", c->db, sizeof(c->db), path) != 0 ||
        get_string(root, "log", c->log, sizeof(c->log), path) != 0 ||
        get_string(root, "policy", c->policy, sizeof(c->policy), path) != 0 ||
        get_string(root, "data", c->data_dir, sizeof(c->data_dir), path) != 0 ||
        get_string(root, "country", c->country, sizeof(c->country), path) != 0)
        goto out;
    if (get_webhooks(root, c, path) != 0)
        goto out;
    if (listen[0] != '\0' && serve_config_listen(c, listen) != 0) {
        fprintf(stderr, "childguard serve: %s: bad \"listen\" '%s' (ADDR:PORT)\n", path, listen);
        goto out;
    }
    {
        /* Integer keys: where each goes and its range. */
        struct {
            const char *name;
            long long lo, hi;
            unsigned *u;
            int *i;
            size_t *z;
        } ints[] = {
            {"threads", 0, 1024, &c->threads, NULL, NULL},
            {"connection_limit", 1, 1000000, &c->connection_limit, NULL, NULL},
            {"timeout", 1, 86400, &c->timeout_s, NULL, NULL},
            {"max_body", 1, (long long)1 << 34, NULL, NULL, &c->max_body},
            {"no_auth", 0, 1, NULL, &c->no_auth, NULL},
            {"rate_per_second", 0, 10000000, NULL, &c->rate_per_second, NULL},
            {"burst", 0, 10000000, NULL, &c->burst, NULL},
            {"refresh_ms", 0, 3600000, NULL, &c->refresh_ms, NULL},
            {"stale_seconds", 0, 86400, NULL, &c->stale_seconds, NULL},
            {"review", 0, 1, NULL, &c->review, NULL},
            {"classify", 0, 1, NULL, &c->classify, NULL},
            {"db_handles", 0, 4096, &c->db_handles, NULL, NULL},
            {"key_cache", 0, 3600, NULL, &c->key_cache_s, NULL},
            {"access_log", 0, 1, NULL, &c->access_log, NULL},
            {"webhook_poll_ms", 10, 3600000, NULL, &c->webhook_poll_ms, NULL},
            {"webhook_max_attempts", 1, 1000, NULL, &c->webhook_max_attempts, NULL},
            {"webhook_backoff_s", 1, 3600, NULL, &c->webhook_backoff_s, NULL},
        };
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
            r = get_int(root, ints[i].name, ints[i].lo, ints[i].hi, &v, path);
            if (r < 0)
                goto out;
            if (r == 0)
                continue;
            if (ints[i].u != NULL)
                *ints[i].u = (unsigned)v;
            else if (ints[i].i != NULL)
                *ints[i].i = (int)v;
            else
                *ints[i].z = (size_t)v;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
