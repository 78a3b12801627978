/* The server's configuration: defaults, a JSON config file whose keys mirror the command-line
 * options (docs/api.md, contrib/serve.json), and the listen address. The command line is
 * applied after the file, so an option always wins over the file. */
#include <stdio.h>
#include <stdlib.h>
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
    /* docs/security.md explains each value. */
    c->per_ip_connections = 64;
    c->header_timeout_s = 10;
    c->body_min_rate = 1024;
    c->max_buffered = (size_t)256 << 20;
    c->auth_failures_per_minute = 30;
    c->auth_failure_burst = 10;
    c->max_pixels = 24000000;     /* 6000 x 4000; 72 MB of RGB per decode */
    c->max_side = 16384;
    c->video_max_frames = 18000;  /* 10 minutes at 30 frames/s */
    c->video_max_seconds = 600;
    c->video_timeout_s = 20;
    c->decode_workers = 0;
    c->decode_queue = 64;
    c->max_conversations = 20000;
    c->conversation_ttl_s = 30LL * 86400;
    c->outbox_max_pending = 10000;
    c->selfhash = 0;
    c->selfhash_per_hour = 20;
    c->selfhash_max_pending = 10000;
    c->exchange_fetch = 1;
    c->exchange_interval_s = 60;
    c->exchange_run_s = 30;
    c->exchange_nice = 10;
    c->exchange_duty = 25; /* lookups keep ~0.8 of their rate in a back-fill (docs/exchange.md) */
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
    } else if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
        return -1; /* an IPv6 literal must be bracketed: [::1]:8080 */
    }
    port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || port > 65535)
        return -1;
    if ((size_t)(host_end - host) >= sizeof(c->listen_addr))
        return -1;
    for (const char *p = host; p < host_end; p++)
        if (*p == ' ' || *p == '/' || *p == '[' || *p == ']' || (unsigned char)*p < 0x21)
            return -1;
    if (host_end == host)
        snprintf(c->listen_addr, sizeof(c->listen_addr), "0.0.0.0");
    else
        snprintf(c->listen_addr, sizeof(c->listen_addr), "%.*s", (int)(host_end - host), host);
    c->port = (unsigned)port;
    return 0;
}

int serve_config_check(const serve_config *c)
{
    for (size_t i = 0; i < c->n_webhooks; i++) {
        const webhook_target *t = &c->webhooks[i];

        if (t->secret[0] == '\0') {
            fprintf(stderr, "childguard serve: webhook \"%s\": a \"secret\" is required (receivers "
                            "check each delivery's HMAC signature; unsigned deliveries are "
                            "refused)\n", t->name);
            return -1;
        }
        if (strncmp(t->url, "https://", 8) != 0 && !t->allow_plain_http) {
            fprintf(stderr, "childguard serve: webhook \"%s\": the url must be https:// (set "
                            "\"allow_plain_http\": true on the webhook for a receiver on a trusted "
                            "network)\n", t->name);
            return -1;
        }
    }
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
    "listen", "db", "log", "policy", "data", "country", "guidance_lang", "threads", "connection_limit",
    "timeout", "max_body", "no_auth", "rate_per_second", "burst", "refresh_ms",
    "stale_seconds", "review", "db_handles", "key_cache", "webhooks", "webhook_poll_ms",
    "webhook_max_attempts", "webhook_backoff_s", "access_log", "per_ip_connections",
    "header_timeout", "body_min_rate", "max_buffered", "auth_failures_per_minute",
    "auth_failure_burst", "max_pixels", "max_side", "video_max_frames", "video_max_seconds",
    "video_timeout", "decode_workers", "decode_queue", "max_conversations", "conversation_ttl",
    "outbox_max_pending", "classify", "web", "selfhash", "selfhash_per_hour",
    "selfhash_max_pending", "exchange_fetch", "exchange_interval", "exchange_run_seconds",
    "exchange_nice", "exchange_duty_percent",
    "exchange_key_file", "flood_per_hour", NULL};

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
            if (strcmp(key, "target") != 0 && strcmp(key, "url") != 0 &&
                strcmp(key, "secret") != 0 && strcmp(key, "allow_plain_http") != 0) {
                fprintf(stderr, "childguard serve: %s: webhooks[%zu]: unknown key \"%s\" "
                                "(target, url, secret, allow_plain_http)\n", path, i, key);
                return -1;
            }
        }
        v = json_object_get(w, "allow_plain_http");
        if (v != NULL && !json_is_boolean(v)) {
            fprintf(stderr, "childguard serve: %s: webhooks[%zu]: \"allow_plain_http\" must be "
                            "true or false\n", path, i);
            return -1;
        }
        t->allow_plain_http = json_is_true(v);
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
        get_string(root, "country", c->country, sizeof(c->country), path) != 0 ||
        get_string(root, "guidance_lang", c->guidance_lang, sizeof(c->guidance_lang), path) != 0 ||
        get_string(root, "web", c->web_dir, sizeof(c->web_dir), path) != 0 ||
        get_string(root, "exchange_key_file", c->exchange_key_file,
                   sizeof(c->exchange_key_file), path) != 0)
        goto out;
    if (c->guidance_lang[0] != '\0' && strcmp(c->guidance_lang, "vi") != 0 &&
        strcmp(c->guidance_lang, "en") != 0) {
        fprintf(stderr, "childguard serve: %s: \"guidance_lang\" is \"vi\" or \"en\"\n", path);
        goto out;
    }
    if (get_webhooks(root, c, path) != 0)
        goto out;
    if (listen[0] != '\0' && serve_config_listen(c, listen) != 0) {
        fprintf(stderr, "childguard serve: %s: bad \"listen\" '%s' (HOST:PORT)\n", path, listen);
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
            {"per_ip_connections", 0, 1000000, &c->per_ip_connections, NULL, NULL},
            {"header_timeout", 1, 3600, &c->header_timeout_s, NULL, NULL},
            {"body_min_rate", 0, 1LL << 30, &c->body_min_rate, NULL, NULL},
            {"max_buffered", 1 << 16, (long long)1 << 40, NULL, NULL, &c->max_buffered},
            {"auth_failures_per_minute", 1, 1000000, NULL, &c->auth_failures_per_minute, NULL},
            {"auth_failure_burst", 1, 1000000, NULL, &c->auth_failure_burst, NULL},
            {"max_side", 16, 65535, &c->max_side, NULL, NULL},
            {"decode_workers", 0, 1024, &c->decode_workers, NULL, NULL},
            {"decode_queue", 1, 1000000, &c->decode_queue, NULL, NULL},
            {"max_conversations", 1, 100000000, NULL, NULL, &c->max_conversations},
            {"selfhash", 0, 1, NULL, &c->selfhash, NULL},
            {"selfhash_per_hour", 1, 1000000, NULL, &c->selfhash_per_hour, NULL},
            {"selfhash_max_pending", 1, 100000000, NULL, &c->selfhash_max_pending, NULL},
            {"exchange_fetch", 0, 1, NULL, &c->exchange_fetch, NULL},
            {"exchange_interval", 1, 86400, NULL, &c->exchange_interval_s, NULL},
            {"exchange_run_seconds", 1, 3600, NULL, &c->exchange_run_s, NULL},
            {"exchange_nice", 0, 19, NULL, &c->exchange_nice, NULL},
            {"exchange_duty_percent", 1, 100, NULL, &c->exchange_duty, NULL},
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
    {
        /* 64-bit and fractional keys. */
        struct {
            const char *name;
            long long lo, hi;
            uint64_t *u64;
            int64_t *i64;
            double *d;
        } wide[] = {
            {"max_pixels", 1, (long long)1 << 40, &c->max_pixels, NULL, NULL},
            {"video_max_frames", 1, (long long)1 << 40, &c->video_max_frames, NULL, NULL},
            {"video_max_seconds", 1, 86400, NULL, NULL, &c->video_max_seconds},
            {"video_timeout", 1, 86400, NULL, NULL, &c->video_timeout_s},
            {"conversation_ttl", 0, 10LL * 365 * 86400, NULL, &c->conversation_ttl_s, NULL},
            {"outbox_max_pending", 1, 100000000, NULL, &c->outbox_max_pending, NULL},
            {"flood_per_hour", -1, 100000000, NULL, &c->flood_per_hour, NULL},
        };
        for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
            r = get_int(root, wide[i].name, wide[i].lo, wide[i].hi, &v, path);
            if (r < 0)
                goto out;
            if (r == 0)
                continue;
            if (wide[i].u64 != NULL)
                *wide[i].u64 = (uint64_t)v;
            else if (wide[i].i64 != NULL)
                *wide[i].i64 = (int64_t)v;
            else
                *wide[i].d = (double)v;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
