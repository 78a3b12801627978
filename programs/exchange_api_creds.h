/* API-level exchange credentials (docs/exchange.md, "Credentials per API"): HMA keeps one set
 * of credentials per exchange API (`POST /c/exchanges/api/<api>`); childguard keeps them per
 * tenant and API, sealed like an exchange's own (cg_exchange_secret_seal, bound to the tenant
 * and "api:<api>", a name no exchange can have), in a file beside the exchange key file
 * (<key file>.api-credentials, mode 0600, replaced atomically under a lock) until the store
 * has a table for them. An exchange's own credentials take precedence over its API's; the
 * two are never merged field by field. Shared by `serve` and `childguard exchange`. */
#ifndef CG_PROGRAMS_EXCHANGE_API_CREDS_H
#define CG_PROGRAMS_EXCHANGE_API_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/exchange.h"

/* The longest credentials JSON accepted for one API, bytes. */
#define EXCHANGE_API_CREDS_MAX 4096

/* The credentials file for the exchange key file key_path: "<key_path>.api-credentials".
 * 0, or -1 when it does not fit. */
int exchange_api_creds_path(const char *key_path, char *buf, size_t n);

/* *set = 1 when tenant has credentials for api in the file at path (a missing file: 0). Needs no
 * key: nothing is opened. 0, or -1 with why. */
int exchange_api_creds_has(const char *path, const char *tenant, const char *api, int *set,
                           char *why, size_t why_n);

/* Seals json (the credentials object, checked by the caller) for (tenant, api) with key and
 * stores it; json NULL removes them. 0, or -1 with why (never quoting json). */
int exchange_api_creds_put(const char *path, const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                           const char *tenant, const char *api, const char *json, char *why,
                           size_t why_n);

/* Opens tenant's credentials for api into *out (cg_free; wipe after use), NULL when none are
 * set. 0, or -1 with why (a blob that does not open is an error, not "none"). */
int exchange_api_creds_open(const char *path, const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                            const char *tenant, const char *api, char **out, char *why,
                            size_t why_n);

#endif
