/* An exchange of the store ready to be talked to (exchange_session.h). */
#include "exchange_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int exchange_session_open(exchange_session *s, cg_bankdb *db, const char *name,
                          const char *key_file, const char *dbpath, long timeout_s,
                          const char *who)
{
    char keypath[4096], why[512] = "";
    exchange_creds_key key;
    exchange_http_options hopt;
    cg_error err;
    int rc;

    memset(s, 0, sizeof(*s));
    s->ex = calloc(1, sizeof(*s->ex));
    if (s->ex == NULL) {
        fprintf(stderr, "%s: out of memory\n", who);
        return -1;
    }
    if (cg_exchange_get(db, name, s->ex, &err) != CG_OK) {
        fprintf(stderr, "%s: %s\n", who, err.message);
        return -1;
    }
    if (exchange_key_path(key_file, dbpath, keypath, sizeof(keypath)) != 0) {
        fprintf(stderr, "%s: exchange key file path too long\n", who);
        return -1;
    }
    exchange_creds_key_load(&key, keypath);
    rc = exchange_creds_open(db, s->ex, &key, &s->secret, &s->source, why, sizeof(why));
    exchange_creds_key_wipe(&key);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", who, why);
        return -1;
    }
    if (exchange_conf_init(&s->conf, s->ex, s->secret, why, sizeof(why)) != 0) {
        fprintf(stderr, "%s: exchange %s: %s\n", who, s->ex->name, why);
        return -1;
    }
    s->conf_ok = 1;
    memset(&hopt, 0, sizeof(hopt));
    hopt.timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 0;
    s->http = exchange_http_create(&hopt);
    if (s->http == NULL) {
        fprintf(stderr, "%s: out of memory\n", who);
        return -1;
    }
    s->conf.cfg.transport = exchange_http_transport(s->http);
    return 0;
}

void exchange_session_close(exchange_session *s)
{
    if (s->conf_ok)
        exchange_conf_fini(&s->conf);
    if (s->secret != NULL) {
        memset(s->secret, 0, strlen(s->secret));
        cg_free(s->secret);
    }
    exchange_http_destroy(s->http);
    free(s->ex);
    memset(s, 0, sizeof(*s));
}
