/* Exchange configuration for the programs (exchange_conf.h). */
#include "exchange_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "childguard/exchange_feedback.h"
#include "childguard/hex.h"

int exchange_key_path(const char *given, const char *dbpath, char *buf, size_t n)
{
    const char *env = getenv("CHILDGUARD_EXCHANGE_KEY");
    int w;

    if (given != NULL)
        w = snprintf(buf, n, "%s", given);
    else if (env != NULL && env[0] != '\0')
        w = snprintf(buf, n, "%s", env);
    else
        w = snprintf(buf, n, "%s.exchange-key",
                     strncmp(dbpath, "sqlite:", 7) == 0 ? dbpath + 7 : dbpath);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int make_key(const char *path, uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES], char *why,
                    size_t why_n)
{
    char hex[2 * CG_EXCHANGE_SEAL_KEY_BYTES + 2];
    FILE *r = fopen("/dev/urandom", "rb");
    int fd;
    size_t got = 0;

    if (r != NULL) {
        got = fread(key, 1, CG_EXCHANGE_SEAL_KEY_BYTES, r);
        fclose(r);
    }
    if (got != CG_EXCHANGE_SEAL_KEY_BYTES) {
        snprintf(why, why_n, "%s: no random bytes for a new key", path);
        return -1;
    }
    cg_hex_encode(key, CG_EXCHANGE_SEAL_KEY_BYTES, hex);
    hex[2 * CG_EXCHANGE_SEAL_KEY_BYTES] = '\n';
    hex[2 * CG_EXCHANGE_SEAL_KEY_BYTES + 1] = '\0';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, why_n, "%s: cannot create the key file: %s", path, strerror(errno));
        return -1;
    }
    if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
        snprintf(why, why_n, "%s: cannot write the key file: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    memset(hex, 0, sizeof(hex));
    return 0;
}

int exchange_key_load(const char *path, int create, uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                      char *why, size_t why_n)
{
    char buf[2 * CG_EXCHANGE_SEAL_KEY_BYTES + 8];
    struct stat sb;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && create)
        return make_key(path, key, why, why_n);
    if (fd < 0) {
        snprintf(why, why_n, "%s: cannot open the exchange key file: %s%s", path,
                 strerror(errno),
                 errno == ENOENT ? " (it is made by the first 'childguard exchange add')" : "");
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
        close(fd);
        snprintf(why, why_n, "%s: the exchange key file must be a regular file that only its "
                 "owner can read (chmod 600)", path);
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 2 * CG_EXCHANGE_SEAL_KEY_BYTES) {
        snprintf(why, why_n, "%s: not an exchange key (64 hex characters)", path);
        return -1;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n != 2 * CG_EXCHANGE_SEAL_KEY_BYTES ||
        cg_hex_decode(buf, (size_t)n, key, CG_EXCHANGE_SEAL_KEY_BYTES) != CG_OK) {
        memset(buf, 0, sizeof(buf));
        snprintf(why, why_n, "%s: not an exchange key (64 hex characters)", path);
        return -1;
    }
    memset(buf, 0, sizeof(buf));
    return 0;
}

static const char *const cred_keys[] = {"user", "password", "api_key", "subscription_key",
                                        "feedback_key", NULL};

const char *exchange_conf_credential_fields(const char *api)
{
    if (strcmp(api, "ncmec") == 0)
        return "user, password";
    if (strcmp(api, "stopncii") == 0)
        return "api_key, subscription_key, feedback_key (optional)";
    if (strcmp(api, "fb_threatexchange") == 0)
        return "api_key (the access token)";
    if (strcmp(api, "file") == 0 || strcmp(api, "package") == 0)
        return "none";
    return "";
}

static int known(const char *k, const char *const *keys)
{
    for (size_t i = 0; keys[i] != NULL; i++)
        if (strcmp(k, keys[i]) == 0)
            return 1;
    return 0;
}

int exchange_conf_check_secret(const char *api, const char *json, char *why, size_t why_n)
{
    json_error_t je;
    json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    const char *k;
    json_t *v;
    int rc = 0;

    (void)api;
    if (!json_is_object(o)) {
        /* Never quote the text: it holds secrets. */
        snprintf(why, why_n, "credentials: not a JSON object (line %d)", o == NULL ? je.line : 1);
        json_decref(o);
        return -1;
    }
    json_object_foreach(o, k, v)
    {
        if (!known(k, cred_keys) || !json_is_string(v)) {
            snprintf(why, why_n, "credentials: \"%.40s\" is not a credential field, or not a "
                     "string (fields: user, password, api_key, subscription_key, feedback_key)",
                     k);
            rc = -1;
            break;
        }
    }
    json_decref(o);
    return rc;
}

static const char *const api_keys[] = {"base_url",     "collab",     "page_size",
                                       "max_body",     "start_time", "flood_per_hour",
                                       "trusted_keys", "full_url",   "negative_reason",
                                       NULL};

/* An exchange URL: https, http on loopback (tests, a local proxy), or for the file and package
 * exchanges an absolute file:// path. */
static int url_ok(const char *api, const char *u)
{
    return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://127.", 11) == 0 ||
           strncmp(u, "http://localhost", 16) == 0 ||
           ((strcmp(api, "file") == 0 || strcmp(api, "package") == 0) &&
            strncmp(u, "file:///", 8) == 0 && strstr(u, "/../") == NULL);
}

/* package's trusted_keys: 1 to EXCHANGE_CONF_MAX_KEYS strings. */
static int keys_ok(json_t *v)
{
    size_t i;
    json_t *k;

    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > EXCHANGE_CONF_MAX_KEYS)
        return 0;
    json_array_foreach(v, i, k)
    {
        if (!json_is_string(k) || json_string_length(k) > 200)
            return 0;
    }
    return 1;
}

int exchange_conf_check(const char *api, const char *api_json, char *why, size_t why_n)
{
    json_error_t je;
    json_t *o = json_loads(api_json[0] != '\0' ? api_json : "{}", JSON_REJECT_DUPLICATES, &je);
    const char *k;
    json_t *v;
    int rc = 0;

    if (cg_exchange_driver_find(api) == NULL) {
        snprintf(why, why_n, "no exchange API \"%.40s\" (childguard exchange apis lists them)",
                 api);
        json_decref(o);
        return -1;
    }
    if (!json_is_object(o)) {
        snprintf(why, why_n, "api_json: not a JSON object: %s", o == NULL ? je.text : "");
        json_decref(o);
        return -1;
    }
    json_object_foreach(o, k, v)
    {
        int ok = known(k, api_keys);

        const int package_only = strcmp(k, "trusted_keys") == 0 || strcmp(k, "full_url") == 0;
        const int ncmec_only = strcmp(k, "negative_reason") == 0;

        if (ok && package_only && strcmp(api, "package") != 0)
            ok = 0;
        else if (ok && ncmec_only && strcmp(api, "ncmec") != 0)
            ok = 0;
        else if (ok && ncmec_only) /* an id (NCMEC's list is checked when feedback is sent) */
            ok = json_is_string(v) && json_string_length(v) > 0 &&
                 cg_exchange_feedback_reason_valid(json_string_value(v));
        else if (ok && strcmp(k, "trusted_keys") == 0)
            ok = keys_ok(v);
        else if (ok && (strcmp(k, "base_url") == 0 || strcmp(k, "collab") == 0 ||
                        strcmp(k, "full_url") == 0))
            ok = json_is_string(v);
        else if (ok && strcmp(k, "flood_per_hour") == 0) /* -1 off, 0 the engine's */
            ok = json_is_integer(v) && json_integer_value(v) >= -1 &&
                 json_integer_value(v) <= CG_BANK_FLOOD_MAX;
        else if (ok)
            ok = json_is_integer(v) && json_integer_value(v) >= 0;
        if (ok && (strcmp(k, "base_url") == 0 || strcmp(k, "full_url") == 0))
            ok = url_ok(api, json_string_value(v));
        if (!ok) {
            snprintf(why, why_n, "api_json: \"%.40s\" is not a setting or has a bad value "
                     "(base_url: an https:// URL, collab: text, page_size, max_body, "
                     "start_time: non-negative integers, flood_per_hour: -1..%d; ncmec only: "
                     "negative_reason: a reason id of [A-Za-z0-9_.:-], at most 64; package "
                     "only: trusted_keys: 1 to %d minisign public keys, full_url: a URL)", k,
                     CG_BANK_FLOOD_MAX, EXCHANGE_CONF_MAX_KEYS);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && strcmp(api, "package") == 0 &&
        (json_object_get(o, "trusted_keys") == NULL || json_object_get(o, "base_url") == NULL)) {
        snprintf(why, why_n, "api_json: a package exchange needs base_url and trusted_keys (the "
                 "producers' minisign public keys)");
        rc = -1;
    }
    json_decref(o);
    return rc;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int exchange_conf_init(exchange_conf *c, const cg_exchange_info *ex, const char *secret,
                       char *why, size_t why_n)
{
    json_error_t je;
    json_t *a, *s = NULL;

    memset(c, 0, sizeof(*c));
    if (exchange_conf_check(ex->api, ex->api_json, why, why_n) != 0)
        return -1;
    if (secret != NULL && exchange_conf_check_secret(ex->api, secret, why, why_n) != 0)
        return -1;
    a = json_loads(ex->api_json[0] != '\0' ? ex->api_json : "{}", 0, &je);
    if (secret != NULL)
        s = json_loads(secret, 0, &je);
    if (a == NULL || (secret != NULL && s == NULL)) {
        json_decref(a);
        json_decref(s);
        snprintf(why, why_n, "out of memory");
        return -1;
    }
    c->api = a;
    c->secret = s;
    c->cfg.name = ex->name;
    c->cfg.base_url = str(a, "base_url");
    c->cfg.collab = str(a, "collab");
    c->cfg.page_size = (size_t)json_integer_value(json_object_get(a, "page_size"));
    c->cfg.max_body = (size_t)json_integer_value(json_object_get(a, "max_body"));
    c->cfg.start_time = (int64_t)json_integer_value(json_object_get(a, "start_time"));
    c->cfg.full_url = str(a, "full_url");
    c->cfg.negative_reason = str(a, "negative_reason");
    for (size_t i = 0; i < json_array_size(json_object_get(a, "trusted_keys")) &&
                       i < EXCHANGE_CONF_MAX_KEYS; i++)
        c->keys[c->cfg.n_trusted_keys++] =
            json_string_value(json_array_get(json_object_get(a, "trusted_keys"), i));
    c->cfg.trusted_keys = c->keys;
    if (s != NULL) {
        c->cfg.user = str(s, "user");
        c->cfg.password = str(s, "password");
        c->cfg.api_key = str(s, "api_key");
        c->cfg.subscription_key = str(s, "subscription_key");
        c->cfg.feedback_key = str(s, "feedback_key");
    }
    return 0;
}

void exchange_conf_fini(exchange_conf *c)
{
    if (c == NULL)
        return;
    json_decref(c->api);
    json_decref(c->secret);
    memset(c, 0, sizeof(*c));
}

int exchange_conf_check_remote(const char *api, const char *api_json, char *why, size_t why_n)
{
    json_t *o, *u;
    int local;

    if (exchange_conf_check(api, api_json, why, why_n) != 0)
        return -1;
    o = json_loads(api_json[0] != '\0' ? api_json : "{}", 0, NULL);
    u = json_object_get(o, "base_url");
    local = json_is_string(u) && strncmp(json_string_value(u), "file:", 5) == 0;
    u = json_object_get(o, "full_url");
    local = local || (json_is_string(u) && strncmp(json_string_value(u), "file:", 5) == 0);
    json_decref(o);
    if (local) {
        /* Over HTTP an API key could make the server read any file it can as a hash list. */
        snprintf(why, why_n, "api_json: a file:// base_url is set with the command line only "
                 "(childguard exchange add), not over HTTP");
        return -1;
    }
    return 0;
}
