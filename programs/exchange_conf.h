/* What a program needs to run an exchange kept in the store (docs/exchange.md): the key that
 * seals its credentials (a file of its own), and a cg_exchange_config made from the stored
 * api_json and the opened credentials. Shared by `childguard exchange` and `serve`. */
#ifndef CG_PROGRAMS_EXCHANGE_CONF_H
#define CG_PROGRAMS_EXCHANGE_CONF_H

#include <stddef.h>

#include "childguard/exchange.h"

/* The key file: path given, else $CHILDGUARD_EXCHANGE_KEY, else DBPATH.exchange-key (DBPATH
 * without a "sqlite:" prefix). Fills buf; 0, or -1 when it does not fit. */
int exchange_key_path(const char *given, const char *dbpath, char *buf, size_t n);
/* Reads the 32-byte key at path (a file of exactly 64 hex characters and a newline, mode 0600:
 * a file that group or others can read is refused). create 1: a missing file is made (random
 * key, O_EXCL, mode 0600). 0, or -1 with the reason in why. */
int exchange_key_load(const char *path, int create, uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                      char *why, size_t why_n);

/* The credential fields an API takes, for `exchange apis` and the add check. */
const char *exchange_conf_credential_fields(const char *api);

/* A config and the strings it borrows. */
#define EXCHANGE_CONF_MAX_KEYS 16
typedef struct exchange_conf {
    cg_exchange_config cfg;
    void *api, *secret;    /* json_t *: the parsed JSON the fields point into */
    const char *keys[EXCHANGE_CONF_MAX_KEYS]; /* package: trusted_keys */
} exchange_conf;

/* Fills c from ex->api_json (base_url, collab, page_size, max_body, start_time: unknown keys
 * refused) and the opened credentials JSON secret (user, password, api_key, subscription_key,
 * feedback_key; may be NULL). 0, or -1 with why. */
int exchange_conf_init(exchange_conf *c, const cg_exchange_info *ex, const char *secret,
                       char *why, size_t why_n);
void exchange_conf_fini(exchange_conf *c);

/* Checks api_json for api (the keys exchange_conf_init takes, right types). 0 or -1 + why. */
int exchange_conf_check(const char *api, const char *api_json, char *why, size_t why_n);
/* exchange_conf_check, and no file:// base_url (for configuration that arrives over HTTP). */
int exchange_conf_check_remote(const char *api, const char *api_json, char *why, size_t why_n);
/* Checks a credentials JSON object: only known keys, all strings. 0 or -1 + why. */
int exchange_conf_check_secret(const char *api, const char *json, char *why, size_t why_n);

#endif
