/* API-level exchange credentials kept in a sealed file (exchange_api_creds.h).
 *
 * The file is JSON: {"format": "childguard-exchange-api-credentials/1", "tenants": {"<tenant>":
 * {"<api>": "<hex of the sealed blob>"}}}. Only sealed bytes are in it; each blob opens only
 * for its tenant and "api:<api>". A change takes an exclusive flock on "<path>.lock", rereads
 * the file and replaces it atomically (a temporary file, fsync, rename, fsync of the
 * directory), so two servers or commands sharing the file never lose each other's update. */
#include "exchange_api_creds.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "childguard/hex.h"

#define FORMAT "childguard-exchange-api-credentials/1"
#define FILE_MAX (1u << 20)

int exchange_api_creds_path(const char *key_path, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s.api-credentials", key_path);

    return w < 0 || (size_t)w >= n ? -1 : 0;
}

static const char *tenant_name(const char *t)
{
    return t != NULL && t[0] != '\0' ? t : "default";
}

/* The AAD name of an API's blob: "api:<api>" (':' is not allowed in an exchange name). */
static void seal_name(const char *api, char *out, size_t n)
{
    snprintf(out, n, "api:%s", api);
}

/* Reads the file into *out (an empty document when it does not exist). The file must be a
 * regular file only its owner can read or write. */
static int read_doc(const char *path, json_t **out, char *why, size_t why_n)
{
    struct stat sb;
    json_error_t je;
    json_t *o, *t;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f;

    *out = NULL;
    if (fd < 0 && errno == ENOENT) {
        *out = json_pack("{s:s, s:{}}", "format", FORMAT, "tenants");
        if (*out == NULL)
            snprintf(why, why_n, "out of memory");
        return *out != NULL ? 0 : -1;
    }
    if (fd < 0) {
        snprintf(why, why_n, "%s: cannot open the API credentials file: %s", path,
                 strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0 ||
        sb.st_size > (off_t)FILE_MAX) {
        close(fd);
        snprintf(why, why_n, "%s: the API credentials file must be a regular file of at most "
                 "1 MiB that only its owner can read (chmod 600)", path);
        return -1;
    }
    f = fdopen(fd, "rb");
    if (f == NULL) {
        close(fd);
        snprintf(why, why_n, "%s: %s", path, strerror(errno));
        return -1;
    }
    o = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    t = json_object_get(o, "tenants");
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "format")) ||
        strcmp(json_string_value(json_object_get(o, "format")), FORMAT) != 0 ||
        !json_is_object(t)) {
        json_decref(o);
        snprintf(why, why_n, "%s: not an API credentials file (%s); fix or remove it", path,
                 FORMAT);
        return -1;
    }
    *out = o;
    return 0;
}

/* The hex blob of (tenant, api) in doc, or NULL. */
static const char *blob_hex(json_t *doc, const char *tenant, const char *api)
{
    json_t *t = json_object_get(json_object_get(doc, "tenants"), tenant_name(tenant));

    return json_string_value(json_object_get(t, api));
}

int exchange_api_creds_has(const char *path, const char *tenant, const char *api, int *set,
                           char *why, size_t why_n)
{
    json_t *doc;

    *set = 0;
    if (read_doc(path, &doc, why, why_n) != 0)
        return -1;
    *set = blob_hex(doc, tenant, api) != NULL;
    json_decref(doc);
    return 0;
}

int exchange_api_creds_open(const char *path, const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                            const char *tenant, const char *api, char **out, char *why,
                            size_t why_n)
{
    json_t *doc;
    const char *hex;
    uint8_t *blob = NULL;
    size_t len;
    char name[CG_EXCHANGE_API_MAX + 8];
    cg_error err;
    int rc = -1;

    *out = NULL;
    if (read_doc(path, &doc, why, why_n) != 0)
        return -1;
    hex = blob_hex(doc, tenant, api);
    if (hex == NULL) {
        json_decref(doc);
        return 0;
    }
    len = strlen(hex) / 2;
    blob = malloc(len + 1);
    seal_name(api, name, sizeof(name));
    if (blob == NULL)
        snprintf(why, why_n, "out of memory");
    else if (strlen(hex) % 2 != 0 || len > CG_EXCHANGE_SECRET_MAX ||
             cg_hex_decode(hex, strlen(hex), blob, len) != CG_OK)
        snprintf(why, why_n, "%s: the credentials of API %s are damaged", path, api);
    else if (cg_exchange_secret_open(key, tenant_name(tenant), name, blob, len, out, &err) !=
             CG_OK)
        snprintf(why, why_n, "%s: %s", path, err.message);
    else
        rc = 0;
    free(blob);
    json_decref(doc);
    return rc;
}

/* Writes text to path atomically with mode 0600. */
static int write_atomic(const char *path, const char *text, char *why, size_t why_n)
{
    char tmp[4200], dir[4200];
    size_t n = strlen(text);
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        snprintf(why, why_n, "API credentials file path too long");
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
        snprintf(why, why_n, "%s: cannot write: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        snprintf(why, why_n, "%s: cannot replace: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    return 0;
}

int exchange_api_creds_put(const char *path, const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                           const char *tenant, const char *api, const char *json, char *why,
                           size_t why_n)
{
    char lock[4200], name[CG_EXCHANGE_API_MAX + 8], *hex = NULL, *text = NULL;
    uint8_t *blob = NULL;
    size_t len = 0;
    json_t *doc = NULL, *tenants, *t;
    cg_error err;
    int lfd, rc = -1;

    if (strlen(api) > CG_EXCHANGE_API_MAX ||
        snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock)) {
        snprintf(why, why_n, "API credentials file path too long");
        return -1;
    }
    seal_name(api, name, sizeof(name));
    if (json != NULL) {
        if (strlen(json) > EXCHANGE_API_CREDS_MAX) {
            snprintf(why, why_n, "credentials longer than %d bytes", EXCHANGE_API_CREDS_MAX);
            return -1;
        }
        if (cg_exchange_secret_seal(key, tenant_name(tenant), name, json, strlen(json), &blob,
                                    &len, &err) != CG_OK) {
            snprintf(why, why_n, "%s", err.message);
            return -1;
        }
        hex = malloc(2 * len + 1);
        if (hex == NULL) {
            cg_free(blob);
            snprintf(why, why_n, "out of memory");
            return -1;
        }
        cg_hex_encode(blob, len, hex);
        cg_free(blob);
    }
    lfd = open(lock, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
        snprintf(why, why_n, "%s: cannot lock: %s", lock, strerror(errno));
        goto out;
    }
    if (read_doc(path, &doc, why, why_n) != 0)
        goto out;
    tenants = json_object_get(doc, "tenants");
    t = json_object_get(tenants, tenant_name(tenant));
    if (!json_is_object(t)) {
        t = json_object();
        if (t == NULL || json_object_set_new(tenants, tenant_name(tenant), t) != 0) {
            snprintf(why, why_n, "out of memory");
            goto out;
        }
    }
    if (hex != NULL ? json_object_set_new(t, api, json_string(hex)) != 0
                    : (json_object_del(t, api), 0)) {
        snprintf(why, why_n, "out of memory");
        goto out;
    }
    if (json_object_size(t) == 0)
        json_object_del(tenants, tenant_name(tenant));
    text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (text == NULL) {
        snprintf(why, why_n, "out of memory");
        goto out;
    }
    rc = write_atomic(path, text, why, why_n);
out:
    if (lfd >= 0)
        close(lfd); /* releases the lock */
    free(text);
    free(hex);
    json_decref(doc);
    return rc;
}
