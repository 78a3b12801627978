/* An exchange of the store ready to be talked to (docs/exchange.md, "Command line"): its row,
 * its credentials opened (its own, else its API's: exchange_creds.h), its configuration and a
 * libcurl transport. Shared by `childguard exchange fetch` and `exchange feedback` (--send,
 * --reasons, a reason checked before queuing). */
#ifndef CG_PROGRAMS_EXCHANGE_SESSION_H
#define CG_PROGRAMS_EXCHANGE_SESSION_H

#include "childguard/exchange_store.h"
#include "exchange_conf.h"
#include "exchange_creds.h"
#include "exchange_http.h"

typedef struct exchange_session {
    cg_exchange_info *ex;          /* the exchange's row */
    exchange_conf conf;            /* conf.cfg.transport is http's */
    exchange_http *http;
    char *secret;                  /* the opened credentials (wiped and freed at close) */
    exchange_creds_source source;  /* where they came from */
    int conf_ok;
} exchange_session;

/* Opens exchange name of db's tenant: the key file is key_file, else exchange_key_path's
 * default for dbpath; timeout_s > 0 bounds each request. who starts every message
 * ("childguard exchange fetch"). 0, or -1 reported on stderr; close s either way. */
int exchange_session_open(exchange_session *s, cg_bankdb *db, const char *name,
                          const char *key_file, const char *dbpath, long timeout_s,
                          const char *who);
/* Wipes the credentials and frees everything s holds. */
void exchange_session_close(exchange_session *s);

#endif
