/* Which credentials an exchange uses, and opening them (exchange_creds.h). */
#include "exchange_creds.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_api_creds.h"
#include "exchange_conf.h"

const char *exchange_creds_source_name(exchange_creds_source s)
{
    return s == EXCHANGE_CREDS_OWN ? "exchange" : s == EXCHANGE_CREDS_API ? "api" : "none";
}

const char *exchange_key_origin(const char *given)
{
    const char *env = getenv("CHILDGUARD_EXCHANGE_KEY");

    if (given != NULL && given[0] != '\0')
        return "config";
    return env != NULL && env[0] != '\0' ? "env" : "default";
}

void exchange_creds_key_load(exchange_creds_key *k, const char *path)
{
    memset(k, 0, sizeof(*k));
    k->path = path;
    k->loaded = exchange_key_load(path, 0, k->key, k->why, sizeof(k->why)) == 0;
    if (k->loaded)
        k->why[0] = '\0';
    else
        memset(k->key, 0, sizeof(k->key));
}

void exchange_creds_key_wipe(exchange_creds_key *k)
{
    memset(k->key, 0, sizeof(k->key));
    k->loaded = 0;
}

/* The fallback of an exchange without credentials of its own: its tenant's credentials for its
 * API, from the file beside the key file (docs/exchange.md "Credentials per API"). The key is
 * needed only when that file holds them. */
static int api_creds(const exchange_creds_key *key, const char *tenant, const char *api,
                     char **secret, char *why, size_t why_n)
{
    char path[4200];
    int set = 0;

    if (exchange_api_creds_path(key->path, path, sizeof(path)) != 0) {
        snprintf(why, why_n, "exchange key file path too long");
        return -1;
    }
    if (exchange_api_creds_has(path, tenant, api, &set, why, why_n) != 0)
        return -1;
    if (!set)
        return 0;
    if (!key->loaded) {
        snprintf(why, why_n, "%s", key->why);
        return -1;
    }
    return exchange_api_creds_open(path, key->key, tenant, api, secret, why, why_n);
}

int exchange_creds_open(cg_bankdb *db, const cg_exchange_info *ex, const exchange_creds_key *key,
                        char **secret, exchange_creds_source *source, char *why, size_t why_n)
{
    uint8_t *blob = NULL;
    size_t len = 0;
    int found = 0, rc = -1;
    cg_error err;

    *secret = NULL;
    *source = EXCHANGE_CREDS_NONE;
    if (cg_exchange_secret_get(db, ex->id, &blob, &len, &found, &err) != CG_OK) {
        snprintf(why, why_n, "%s", err.message);
        return -1;
    }
    if (!found) {
        if (api_creds(key, cg_bankdb_tenant(db), ex->api, secret, why, why_n) != 0) {
            *source = EXCHANGE_CREDS_API;
            return -1;
        }
        *source = *secret != NULL ? EXCHANGE_CREDS_API : EXCHANGE_CREDS_NONE;
        return 0;
    }
    *source = EXCHANGE_CREDS_OWN;
    if (!key->loaded)
        snprintf(why, why_n, "%s", key->why);
    else if (cg_exchange_secret_open(key->key, cg_bankdb_tenant(db), ex->name, blob, len, secret,
                                     &err) != CG_OK)
        snprintf(why, why_n, "%s (the exchange's own credentials, sealed in the database, with "
                 "the key file %s)", err.message, key->path);
    else
        rc = 0;
    cg_free(blob);
    return rc;
}
