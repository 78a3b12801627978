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

int exchange_creds_open(cg_bankdb *db, const cg_exchange_info *ex, const char *key_path,
                        char **secret, exchange_creds_source *source, char *why, size_t why_n)
{
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES];
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
        /* none of its own: its API's, if set (docs/exchange.md "Credentials per API") */
        if (exchange_api_creds_fallback(key_path, cg_bankdb_tenant(db), ex->api, secret, why,
                                        why_n) != 0) {
            *source = EXCHANGE_CREDS_API;
            return -1;
        }
        *source = *secret != NULL ? EXCHANGE_CREDS_API : EXCHANGE_CREDS_NONE;
        return 0;
    }
    *source = EXCHANGE_CREDS_OWN;
    if (exchange_key_load(key_path, 0, key, why, why_n) != 0)
        goto out;
    if (cg_exchange_secret_open(key, cg_bankdb_tenant(db), ex->name, blob, len, secret, &err) !=
        CG_OK) {
        snprintf(why, why_n, "%s (the exchange's own credentials, sealed in the database, with "
                 "the key file %s)", err.message, key_path);
        goto out;
    }
    rc = 0;
out:
    memset(key, 0, sizeof(key));
    cg_free(blob);
    return rc;
}
