/* Which credentials an exchange uses, and opening them (docs/exchange.md "Credentials" and
 * "Credentials per API"): its own, sealed in the store (exchange_secrets), else its tenant's
 * credentials for its API, sealed in the file beside the key file (exchange_api_creds.h), else
 * none. The two are never merged. Shared by `childguard exchange fetch|feedback|show` and the
 * server's exchange routes (the credential status they show). */
#ifndef CG_PROGRAMS_EXCHANGE_CREDS_H
#define CG_PROGRAMS_EXCHANGE_CREDS_H

#include <stddef.h>

#include "childguard/exchange_store.h"

/* Where an exchange's credentials come from. */
typedef enum exchange_creds_source {
    EXCHANGE_CREDS_NONE = 0, /* none set: the exchange is fetched without credentials */
    EXCHANGE_CREDS_OWN,      /* its own, sealed in the store */
    EXCHANGE_CREDS_API       /* its API's, sealed in the API credentials file */
} exchange_creds_source;

/* "none", "exchange", "api": the name the status shows. */
const char *exchange_creds_source_name(exchange_creds_source s);

/* Where the key file's path comes from, with exchange_key_path's rules: "config" (given: the
 * --key-file option or serve's exchange_key_file), "env" ($CHILDGUARD_EXCHANGE_KEY), "default"
 * (beside the database). */
const char *exchange_key_origin(const char *given);

/* Opens ex's credentials (db: its tenant's handle; key_path: the exchange key file) into
 * *secret (cg_free; wipe after use; NULL with EXCHANGE_CREDS_NONE) and says where they came
 * from in *source (set even when opening fails). 0, or -1 with why naming what failed: the key
 * file, the store's sealed row, or the API credentials file (never quoting a secret). */
int exchange_creds_open(cg_bankdb *db, const cg_exchange_info *ex, const char *key_path,
                        char **secret, exchange_creds_source *source, char *why, size_t why_n);

#endif
