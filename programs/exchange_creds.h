/* Which credentials an exchange uses, and opening them (docs/exchange.md "Credentials" and
 * "Credentials per API"): its own, sealed in the store (exchange_secrets), else its tenant's
 * credentials for its API, sealed in the file beside the key file (exchange_api_creds.h), else
 * none. The two are never merged. Shared by `childguard exchange fetch|feedback|show`, the
 * server's exchange routes (the credential status they show) and its fetcher. */
#ifndef CG_PROGRAMS_EXCHANGE_CREDS_H
#define CG_PROGRAMS_EXCHANGE_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/exchange.h"
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

/* The exchange key file as its caller loaded it, once, before opening credentials: the key,
 * or why it cannot be used. Only sealed credentials need it, so an unusable key file is an
 * error only for an exchange that has some (its own, or its API's). */
typedef struct exchange_creds_key {
    const char *path;                            /* the key file (borrowed: outlives this) */
    int loaded;                                  /* 1: key holds it; 0: why says why not */
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES];
    char why[512];                               /* names path and the reason */
} exchange_creds_key;

/* Loads the key file at path into k (never made: create 0). Never fails: k->loaded says
 * whether it did. path is borrowed for k's lifetime. Wipe k with exchange_creds_key_wipe. */
void exchange_creds_key_load(exchange_creds_key *k, const char *path);
/* Zeroes k's key (k may be loaded again after). */
void exchange_creds_key_wipe(exchange_creds_key *k);

/* Opens ex's credentials (db: its tenant's handle; key: the loaded exchange key file) into
 * *secret (cg_free; wipe after use; NULL with EXCHANGE_CREDS_NONE) and says where they came
 * from in *source (set even when opening fails). The one order, for the command line and the
 * server's fetcher and status alike: the exchange's own (sealed in the store), else its
 * tenant's for its API (the file beside the key file), else none. 0, or -1 with why naming
 * what failed: the key file, the store's sealed row, or the API credentials file (never
 * quoting a secret). */
int exchange_creds_open(cg_bankdb *db, const cg_exchange_info *ex, const exchange_creds_key *key,
                        char **secret, exchange_creds_source *source, char *why, size_t why_n);

#endif
