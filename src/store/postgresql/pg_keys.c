/* API keys' rows in PostgreSQL (keys.h; the rules of sqlite_keys.c): the SHA-256 of the secret,
 * never the secret; the token, its verification and the audit records are store_keys.c's. The
 * schema's triggers bump meta 'keys_generation' whenever a key loses or changes a right. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <string.h>

#include "childguard/keys.h"
#include "childguard/tenant.h"
#include "common/error.h"

#define KEY_COLUMNS "id, name, scopes, rate, created, last_used, revoked, holder, tenant, banks"
#define KEY_SECRET_COLUMN 10

static cg_status key_from_row(cg_bankdb *db, const PGresult *res, int row, cg_key *out,
                              cg_error *err)
{
    memset(out, 0, sizeof(*out));
    out->id = cg__pg_int(res, row, 0);
    if (cg__pg_text(res, row, 1, out->name, sizeof(out->name)) < 0 ||
        cg__pg_text(res, row, 7, out->holder, sizeof(out->holder)) < 0 ||
        cg__pg_text(res, row, 8, out->tenant, sizeof(out->tenant)) < 0 ||
        cg__pg_text(res, row, 9, out->banks, sizeof(out->banks)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: API key %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    if (out->holder[0] == '\0')
        memcpy(out->holder, out->name, sizeof(out->name));
    if (!cg_tenant_valid(out->tenant))
        return cg__fail(err, CG_E_DECODE, "%s: API key %lld: stored tenant is not valid",
                        db->path, (long long)out->id);
    out->scopes = (unsigned)cg__pg_int(res, row, 2) & CG_SCOPE_ALL;
    out->rate_per_second = (int)cg__pg_int(res, row, 3);
    out->created = cg__pg_int(res, row, 4);
    out->last_used = cg__pg_int(res, row, 5);
    out->revoked = cg__pg_int(res, row, 6);
    return CG_OK;
}

cg_status cg__pg_apikey_generation(cg_bankdb *db, int64_t *out, cg_error *err)
{
    PGresult *res = NULL;
    cg_status s;

    *out = 0;
    s = cg__pg_query(db, "SELECT value FROM meta WHERE key = 'keys_generation'", NULL,
                     "reading the keys generation", &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) == 1)
        *out = cg__pg_int(res, 0, 0);
    PQclear(res);
    return CG_OK;
}

static cg_status key_select(cg_bankdb *db, const char *sql, const cg__pg_params *p, cg_key *out,
                            uint8_t *hash, int *found, cg_error *err)
{
    PGresult *res = NULL;
    cg_status s;

    *found = 0;
    s = cg__pg_query(db, sql, p, "looking up an API key", &res, err);
    if (s != CG_OK)
        return s;
    if (PQntuples(res) >= 1) {
        s = key_from_row(db, res, 0, out, err);
        *found = s == CG_OK;
        if (hash != NULL && cg__pg_hex(res, 0, KEY_SECRET_COLUMN, hash, CG__APIKEY_HASH_BYTES) < 0)
            memset(hash, 0, CG__APIKEY_HASH_BYTES);
    }
    PQclear(res);
    return s;
}

cg_status cg__pg_apikey_get(cg_bankdb *db, int64_t id, cg_key *out,
                            uint8_t hash[CG__APIKEY_HASH_BYTES], int *found, cg_error *err)
{
    cg__pg_params p = {0};

    cg__pg_param_int(&p, id);
    return key_select(db,
                      "SELECT " KEY_COLUMNS ", encode(secret_sha256, 'hex') FROM api_keys"
                      " WHERE id = $1::bigint",
                      &p, out, hash, found, err);
}

cg_status cg__pg_apikey_find_live(cg_bankdb *db, int64_t id, const char *name, cg_key *out,
                                  int *found, cg_error *err)
{
    cg__pg_params p = {0};

    if (id > 0) {
        cg__pg_param_int(&p, id);
        return key_select(db,
                          "SELECT " KEY_COLUMNS " FROM api_keys WHERE id = $1::bigint"
                          " AND revoked = 0",
                          &p, out, NULL, found, err);
    }
    cg__pg_param_text(&p, name);
    return key_select(db, "SELECT " KEY_COLUMNS " FROM api_keys WHERE name = $1 AND revoked = 0",
                      &p, out, NULL, found, err);
}

cg_status cg__pg_apikey_insert(cg_bankdb *db, const cg_key *k,
                               const uint8_t hash[CG__APIKEY_HASH_BYTES], int64_t now,
                               int64_t *id, cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    char what[CG_APIKEY_NAME_MAX + 32];
    cg_status s;

    *id = 0;
    cg__pg_param_text(&p, k->name);
    cg__pg_param_int(&p, (int64_t)k->scopes);
    cg__pg_param_int(&p, k->rate_per_second);
    cg__pg_param_bytes(&p, hash, CG__APIKEY_HASH_BYTES);
    cg__pg_param_int(&p, now);
    cg__pg_param_text(&p, k->holder);
    cg__pg_param_text(&p, k->tenant);
    cg__pg_param_text(&p, k->banks);
    snprintf(what, sizeof(what), "adding API key \"%s\"", k->name);
    s = cg__pg_query(db,
                     "INSERT INTO api_keys(name, scopes, rate, secret_sha256, created, last_used,"
                     " revoked, holder, tenant, banks) VALUES ($1, $2::bigint, $3::bigint,"
                     " $4::bytea, $5::bigint, 0, 0, $6, $7, $8) RETURNING id",
                     &p, what, &res, err);
    if (s != CG_OK)
        return s;
    *id = cg__pg_int(res, 0, 0);
    PQclear(res);
    return CG_OK;
}

cg_status cg__pg_apikey_touch(cg_bankdb *db, int64_t id, int64_t now, int *done, cg_error *err)
{
    cg__pg_params p = {0};
    char what[64];
    cg_status s;

    *done = 0;
    cg__pg_param_int(&p, id);
    cg__pg_param_int(&p, now);
    snprintf(what, sizeof(what), "recording the use of API key %lld", (long long)id);
    s = cg__pg_query(db,
                     "UPDATE api_keys SET last_used = $2::bigint WHERE id = $1::bigint"
                     " AND revoked = 0",
                     &p, what, NULL, err);
    if (s == CG_OK) {
        *done = 1;
        return CG_OK;
    }
    /* Busy or read-only: the use is not recorded, which is no error. */
    {
        const char *st = ((cg__pg *)db->be)->last_state;

        if (strcmp(st, "55P03") == 0 || strcmp(st, "25006") == 0 || strcmp(st, "40001") == 0 ||
            strcmp(st, "40P01") == 0)
            return CG_OK;
    }
    return s;
}

cg_status cg__pg_apikey_revoke_row(cg_bankdb *db, int64_t id, int64_t now, cg_error *err)
{
    cg__pg_params p = {0};
    char what[48];

    cg__pg_param_int(&p, id);
    cg__pg_param_int(&p, now);
    snprintf(what, sizeof(what), "revoking API key %lld", (long long)id);
    return cg__pg_query(db, "UPDATE api_keys SET revoked = $2::bigint WHERE id = $1::bigint", &p,
                        what, NULL, err);
}

cg_status cg__pg_apikey_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                             cg_error *err)
{
    PGresult *res = NULL;
    cg_key k;
    cg_status s;

    s = cg__pg_query(db, "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id", NULL,
                     "listing API keys", &res, err);
    if (s != CG_OK)
        return s;
    for (int i = 0; i < PQntuples(res); i++) {
        s = key_from_row(db, res, i, &k, err);
        if (s != CG_OK || fn(&k, ud) != 0)
            break;
    }
    PQclear(res);
    return s;
}
