/* API keys of the HTTP service (include/childguard/keys.h, docs/keys.md), in SQLite.
 *
 * Table (sqlite_store.c, schema steps 3 and 5): api_keys keeps, per key, its name, holder, tenant,
 * scope bits, the banks it may read, rate limit, the SHA-256 of its secret and its creation,
 * last use and revocation times. The secret itself is never stored, logged or kept in the
 * library's memory after the call that made it. Triggers (step 5) bump meta 'keys_generation'
 * whenever a key loses or changes a right, so a server's key cache can be dropped on the next
 * request (cg_keys_generation).
 *
 * Token: "cgk_<id>_<64 lowercase hex digits>". The id is the row id and is public (it only says
 * which row to compare against); the 32 secret bytes come from RAND_bytes. The stored hash is
 * SHA-256 of the 32 raw secret bytes: the secret is uniformly random and 256 bits long, so a
 * plain hash (no salt, no slow KDF) is enough; a stolen database gives no usable token.
 *
 * Verification parses the token strictly, hashes the presented secret, reads the row by id and
 * compares the hashes with CRYPTO_memcmp. Every way of not matching (malformed, unknown id,
 * revoked, wrong secret) returns the same status and message, and the hash is computed in all of
 * them, so neither the reply nor, to first order, its timing says which it was.
 *
 * Creating inserts the row first (to learn its id) and builds the token inside the same
 * transaction. Audit records follow sqlite_review.c: built before the commit, appended after it;
 * they name the key (id, name, scopes, rate), never the secret or its hash. */
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "store/store_audit.h"
#include "childguard/keys.h"
#include "childguard/tenant.h"
#include "common/error.h"
#include "common/hex.h"

/* The random part of a token, in bytes (64 hex digits). */
#define SECRET_BYTES 32
#define HASH_BYTES 32
#define TOKEN_PREFIX "cgk_"
/* A key's last_used is rewritten at most this often (seconds). */
#define LAST_USED_INTERVAL 60
/* The one message of every refused token. */
#define NOT_ACCEPTED "API key not accepted"
#define AUDIT_KIND "api_key"

_Static_assert(sizeof(TOKEN_PREFIX) - 1 + 19 + 1 + 2 * SECRET_BYTES <= CG_APIKEY_TOKEN_MAX,
               "the longest token fits CG_APIKEY_TOKEN_MAX");

/* ---- helpers ------------------------------------------------------------------------------ */

/* SHA-256 of the secret bytes through EVP (the one-shot SHA256() is deprecated in 3.0). */
static cg_status secret_hash(const uint8_t *secret, uint8_t out[HASH_BYTES], cg_error *err)
{
    unsigned int len = 0;

    if (EVP_Digest(secret, SECRET_BYTES, out, &len, EVP_sha256(), NULL) != 1 ||
        len != HASH_BYTES) {
        memset(out, 0, HASH_BYTES);
        return cg__fail(err, CG_E_BACKEND, "API key: SHA-256 failed (OpenSSL)");
    }
    return CG_OK;
}

/* A key name: 1..CG_APIKEY_NAME_MAX bytes of UTF-8, no control characters, not all digits. */
static const char *name_invalid(const char *s)
{
    size_t n;
    int digits = 1;

    if (s == NULL)
        return "name is missing";
    n = strnlen(s, CG_APIKEY_NAME_MAX + 1);
    if (n == 0)
        return "name is empty";
    if (n > CG_APIKEY_NAME_MAX)
        return "name longer than 64 bytes";
    if (!cg__utf8_valid(s, n))
        return "name is not valid UTF-8";
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f)
            return "name holds a control character";
        if (c < '0' || c > '9')
            digits = 0;
    }
    if (digits)
        return "name is all digits (it would read as a key id)";
    return NULL;
}

/* Parses a token into its id and secret bytes; 0 when it is not exactly "cgk_<id>_<64 hex>"
 * with a canonical decimal id (1..INT64_MAX, no sign, no leading zero). */
static int token_parse(const char *token, int64_t *id, uint8_t secret[SECRET_BYTES])
{
    const size_t len = token != NULL ? strnlen(token, CG_APIKEY_TOKEN_MAX + 1) : 0;
    const char *p, *us;
    int64_t v = 0;

    *id = 0;
    memset(secret, 0, SECRET_BYTES);
    if (len > CG_APIKEY_TOKEN_MAX || len < sizeof(TOKEN_PREFIX) - 1 + 2 + 2 * SECRET_BYTES)
        return 0;
    if (memcmp(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0)
        return 0;
    p = token + sizeof(TOKEN_PREFIX) - 1;
    us = memchr(p, '_', len - (size_t)(p - token));
    if (us == NULL || us == p || us - p > 19 || *p == '0')
        return 0;
    for (const char *q = p; q < us; q++) {
        if (*q < '0' || *q > '9')
            return 0;
        if (v > (INT64_MAX - (*q - '0')) / 10)
            return 0;
        v = v * 10 + (*q - '0');
    }
    if ((size_t)(token + len - (us + 1)) != 2 * SECRET_BYTES)
        return 0;
    for (const char *q = us + 1; q < token + len; q++)
        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
            return 0; /* lowercase only: one spelling per token */
    if (cg__hex_decode(us + 1, 2 * SECRET_BYTES, secret, SECRET_BYTES) != CG_OK)
        return 0;
    *id = v;
    return 1;
}

#define KEY_COLUMNS "id, name, scopes, rate, created, last_used, revoked, holder, tenant, banks"
/* The column after KEY_COLUMNS in verify's query. */
#define KEY_SECRET_COLUMN 10

/* Fills out from a row of KEY_COLUMNS. A key made before schema 5 has no holder: its name
 * stands for it. */
static cg_status key_from_row(cg_bankdb *db, sqlite3_stmt *st, cg_key *out, cg_error *err)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    if (cg__bankdb_column_text(st, 1, out->name, sizeof(out->name)) < 0 ||
        cg__bankdb_column_text(st, 7, out->holder, sizeof(out->holder)) < 0 ||
        cg__bankdb_column_text(st, 8, out->tenant, sizeof(out->tenant)) < 0 ||
        cg__bankdb_column_text(st, 9, out->banks, sizeof(out->banks)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: API key %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    if (out->holder[0] == '\0')
        memcpy(out->holder, out->name, sizeof(out->name));
    if (!cg_tenant_valid(out->tenant))
        return cg__fail(err, CG_E_DECODE, "%s: API key %lld: stored tenant is not valid",
                        db->path, (long long)out->id);
    out->scopes = (unsigned)sqlite3_column_int64(st, 2) & CG_SCOPE_ALL;
    out->rate_per_second = sqlite3_column_int(st, 3);
    out->created = sqlite3_column_int64(st, 4);
    out->last_used = sqlite3_column_int64(st, 5);
    out->revoked = sqlite3_column_int64(st, 6);
    return CG_OK;
}

cg_status cg__sqlite_apikey_generation(cg_bankdb *db, int64_t *out, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (out != NULL)
        *out = 0;
    if (db == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_generation: NULL argument");
    s = cg__bankdb_stmt(db, CG__STMT_KEYS_GENERATION,
                        "SELECT value FROM meta WHERE key = 'keys_generation'", &st, err);
    if (s != CG_OK)
        return s;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "reading the keys generation");
    sqlite3_reset(st);
    return s;
}

/* ---- audit -------------------------------------------------------------------------------- */

/* Appends one "api_key" record after the change committed; data is stolen (NULL: no audit). */
static cg_status audit_append(cg_bankdb *db, cg_audit *audit, int64_t id, json_t *data,
                              cg_error *err)
{
    char subject[40], what[48];

    snprintf(subject, sizeof(subject), "api_key:%lld", (long long)id);
    snprintf(what, sizeof(what), "API key %lld", (long long)id);
    return cg__store_audit_committed(db, audit, AUDIT_KIND,
                                     db->audit_actor[0] != '\0' ? db->audit_actor : "childguard",
                                     subject, what, data, err);
}

/* ---- create ------------------------------------------------------------------------------- */

/* Inserts the row inside the caller's transaction; *id receives its row id. A live key of the
 * same name is CG_E_INVAL. */
static cg_status key_insert(cg_bankdb *db, const cg_key *k, const uint8_t hash[HASH_BYTES],
                            int64_t now, int64_t *id, cg_error *err)
{
    const char *name = k->name;
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *id = 0;
    s = cg__bankdb_prepare(db, "SELECT id FROM api_keys WHERE name = ?1 AND revoked = 0", &st,
                           err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s = cg__fail(err, CG_E_INVAL, "%s: a live API key named \"%s\" already exists (id %lld)",
                     db->path, name, (long long)sqlite3_column_int64(st, 0));
    else if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "looking up API key \"%s\"", name);
    sqlite3_finalize(st);
    if (s != CG_OK)
        return s;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO api_keys(name, scopes, rate, secret_sha256, created,"
                           " last_used, revoked, holder, tenant, banks)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?7, ?8)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)k->scopes);
    sqlite3_bind_int(st, 3, k->rate_per_second);
    sqlite3_bind_blob(st, 4, hash, HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, k->holder, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, k->tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, k->banks, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "adding API key \"%s\"", name);
    else
        *id = sqlite3_last_insert_rowid(cg__sq(db));
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_apikey_create(cg_bankdb *db, const cg_key_spec *spec, char *token,
                                   cg_key *out, cg_audit *audit, cg_error *err)
{
    const char *name = spec != NULL ? spec->name : NULL;
    const unsigned scopes = spec != NULL ? spec->scopes : 0;
    const int rate_per_second = spec != NULL ? spec->rate_per_second : 0;
    cg_key k;
    const int64_t now = (int64_t)time(NULL);
    uint8_t secret[SECRET_BYTES], hash[HASH_BYTES];
    char hex[2 * SECRET_BYTES + 1];
    char scopes_text[CG_SCOPES_TEXT_MAX];
    json_t *rec = NULL;
    int64_t id = 0;
    int committed = 0;
    const char *why;
    cg_status s;
    int n;

    if (token != NULL)
        token[0] = '\0';
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (db == NULL || token == NULL || spec == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_create: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    why = name_invalid(name);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: API key \"%.64s\": %s", db->path,
                        name != NULL ? name : "", why);
    memset(&k, 0, sizeof(k));
    memcpy(k.name, name, strlen(name) + 1);
    why = name_invalid(spec->holder != NULL ? spec->holder : name);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: API key \"%s\": holder: %s", db->path, name,
                        strncmp(why, "name ", 5) == 0 ? why + 5 : why);
    snprintf(k.holder, sizeof(k.holder), "%s", spec->holder != NULL ? spec->holder : name);
    if (spec->tenant != NULL && spec->tenant[0] != '\0' && !cg_tenant_valid(spec->tenant))
        return cg__fail(err, CG_E_INVAL,
                        "%s: API key \"%s\": tenant \"%.64s\": 1-64 characters of"
                        " [A-Za-z0-9_.-] expected",
                        db->path, name, spec->tenant);
    snprintf(k.tenant, sizeof(k.tenant), "%s",
             spec->tenant != NULL && spec->tenant[0] != '\0' ? spec->tenant : CG_TENANT_DEFAULT);
    why = cg__apikey_banks_normalise(spec->banks, k.banks);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: API key \"%s\": banks: %s", db->path, name, why);
    k.scopes = scopes;
    k.rate_per_second = rate_per_second;
    if (scopes == 0 || (scopes & ~(unsigned)CG_SCOPE_ALL) != 0)
        return cg__fail(err, CG_E_INVAL, "%s: API key \"%s\": scopes 0x%x (need a non-empty"
                        " subset of 0x%x)", db->path, name, scopes, (unsigned)CG_SCOPE_ALL);
    if (rate_per_second < 0 || rate_per_second > CG_APIKEY_RATE_MAX)
        return cg__fail(err, CG_E_INVAL, "%s: API key \"%s\": rate %d out of range (0..%d)",
                        db->path, name, rate_per_second, CG_APIKEY_RATE_MAX);
    if (RAND_bytes(secret, SECRET_BYTES) != 1)
        return cg__fail(err, CG_E_BACKEND, "%s: API key \"%s\": no random bytes (RAND_bytes)",
                        db->path, name);
    s = secret_hash(secret, hash, err);
    if (s != CG_OK)
        goto done;
    cg_keys_scopes_format(scopes, scopes_text, sizeof(scopes_text));

    s = cg__bankdb_begin_write(db, "creating an API key", err);
    if (s != CG_OK)
        goto done;
    s = key_insert(db, &k, hash, now, &id, err);
    if (s == CG_OK) {
        cg__hex_encode(secret, SECRET_BYTES, hex);
        n = snprintf(token, CG_APIKEY_TOKEN_MAX + 1, TOKEN_PREFIX "%lld_%s", (long long)id, hex);
        if (n < 0 || n > CG_APIKEY_TOKEN_MAX)
            s = cg__fail(err, CG_E_LIMIT, "%s: API key %lld: token too long", db->path,
                         (long long)id);
    }
    if (s == CG_OK && audit != NULL) {
        rec = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:i,s:s}", "action", "create", "key",
                        (json_int_t)id, "name", name, "holder", k.holder, "tenant", k.tenant,
                        "scopes", scopes_text, "rate", rate_per_second, "banks",
                        k.banks[0] != '\0' ? k.banks : "*");
        if (rec == NULL)
            s = cg__fail(err, CG_E_NOMEM, "%s: API key \"%s\": out of memory (audit record)",
                         db->path, name);
    }
    if (s != CG_OK) {
        cg__bankdb_rollback(db);
        goto done;
    }
    s = cg__bankdb_commit(db, "creating an API key", err);
    if (s != CG_OK) {
        json_decref(rec);
        goto done;
    }
    committed = 1;
    if (out != NULL) {
        *out = k;
        out->id = id;
        out->created = now;
    }
    /* Committed: the key exists and the token is the only way to use it, so it stays written
     * even when the record cannot be appended. */
    s = audit_append(db, audit, id, rec, err);
done:
    if (s != CG_OK && !committed) {
        OPENSSL_cleanse(token, CG_APIKEY_TOKEN_MAX + 1);
        token[0] = '\0';
        if (out != NULL)
            memset(out, 0, sizeof(*out));
    }
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(hex, sizeof(hex));
    return s;
}

/* ---- verify ------------------------------------------------------------------------------- */

/* Records a use at now when the last one is older than LAST_USED_INTERVAL. Best effort on a
 * read-only handle or a locked database; other failures are reported. */
static cg_status touch(cg_bankdb *db, cg_key *k, int64_t now, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (now - k->last_used < LAST_USED_INTERVAL && now >= k->last_used)
        return CG_OK;
    if (db->flags & CG_BANKDB_READONLY)
        return CG_OK;
    s = cg__bankdb_prepare(db,
                           "UPDATE api_keys SET last_used = ?2 WHERE id = ?1 AND revoked = 0",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, k->id);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        k->last_used = now;
    else if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED &&
             (rc & 0xff) != SQLITE_READONLY)
        s = cg__bankdb_fail(db, err, rc, "recording the use of API key %lld", (long long)k->id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg__sqlite_apikey_verify(cg_bankdb *db, const char *token, cg_key *out, cg_error *err)
{
    static const uint8_t nothing[HASH_BYTES] = {0};
    uint8_t secret[SECRET_BYTES], hash[HASH_BYTES];
    const void *stored = nothing;
    sqlite3_stmt *st = NULL;
    cg_key k = {0};
    int64_t id = 0;
    int ok, found = 0, rc;
    cg_status s;

    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_verify: NULL argument");
    /* A malformed token goes on with id 0 (no row) and a zero secret: the same work as a real
     * miss, and the same answer. */
    ok = token_parse(token, &id, secret);
    s = secret_hash(secret, hash, err);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (s != CG_OK)
        return s;
    s = cg__bankdb_prepare(db, "SELECT " KEY_COLUMNS ", secret_sha256 FROM api_keys WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        s = key_from_row(db, st, &k, err);
        if (s == CG_OK && sqlite3_column_bytes(st, KEY_SECRET_COLUMN) == HASH_BYTES &&
            sqlite3_column_blob(st, KEY_SECRET_COLUMN) != NULL) {
            stored = sqlite3_column_blob(st, KEY_SECRET_COLUMN);
            found = 1;
        }
    } else if (rc != SQLITE_DONE) {
        s = cg__bankdb_fail(db, err, rc, "looking up an API key");
    }
    /* Compare even when there is nothing to compare against, so a miss costs the same. */
    if (CRYPTO_memcmp(hash, stored, HASH_BYTES) != 0)
        found = 0;
    sqlite3_finalize(st); /* stored pointed into the row: not used past here */
    OPENSSL_cleanse(hash, sizeof(hash));
    if (s != CG_OK)
        return s;
    if (!ok || !found || k.revoked != 0)
        return cg__fail(err, CG_E_NOTFOUND, NOT_ACCEPTED);
    s = touch(db, &k, (int64_t)time(NULL), err);
    if (s != CG_OK)
        return s;
    if (out != NULL)
        *out = k;
    return CG_OK;
}

/* ---- revoke and list ---------------------------------------------------------------------- */

cg_status cg__sqlite_apikey_revoke(cg_bankdb *db, int64_t id, const char *name, cg_audit *audit,
                                   cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL;
    cg_key k = {0};
    cg_status s;
    int rc;

    if (db == NULL || (id <= 0 && name == NULL))
        return cg__fail(err, CG_E_INVAL, "cg_keys_revoke: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "revoking an API key", err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_prepare(db,
                           id > 0 ? "SELECT " KEY_COLUMNS " FROM api_keys WHERE id = ?1"
                                    " AND revoked = 0"
                                  : "SELECT " KEY_COLUMNS " FROM api_keys WHERE name = ?2"
                                    " AND revoked = 0",
                           &st, err);
    if (s == CG_OK) {
        if (id > 0)
            sqlite3_bind_int64(st, 1, id);
        else
            sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            s = key_from_row(db, st, &k, err);
        else if (rc == SQLITE_DONE && id > 0)
            s = cg__fail(err, CG_E_NOTFOUND, "%s: no live API key with id %lld", db->path,
                         (long long)id);
        else if (rc == SQLITE_DONE)
            s = cg__fail(err, CG_E_NOTFOUND, "%s: no live API key named \"%.64s\"", db->path,
                         name);
        else
            s = cg__bankdb_fail(db, err, rc, "looking up an API key");
        sqlite3_finalize(st);
    }
    if (s == CG_OK)
        s = cg__bankdb_prepare(db, "UPDATE api_keys SET revoked = ?2 WHERE id = ?1", &st, err);
    if (s == CG_OK) {
        sqlite3_bind_int64(st, 1, k.id);
        sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = cg__bankdb_fail(db, err, rc, "revoking API key %lld", (long long)k.id);
        sqlite3_finalize(st);
    }
    if (s == CG_OK && audit != NULL) {
        rec = json_pack("{s:s,s:I,s:s}", "action", "revoke", "key", (json_int_t)k.id, "name",
                        k.name);
        if (rec == NULL)
            s = cg__fail(err, CG_E_NOMEM, "%s: API key %lld: out of memory (audit record)",
                         db->path, (long long)k.id);
    }
    if (s != CG_OK) {
        cg__bankdb_rollback(db);
        return s;
    }
    s = cg__bankdb_commit(db, "revoking an API key", err);
    if (s != CG_OK) {
        json_decref(rec);
        return s;
    }
    return audit_append(db, audit, k.id, rec, err);
}

cg_status cg__sqlite_apikey_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                                 cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_key k;
    cg_status s;
    int rc;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_list: NULL argument");
    s = cg__bankdb_prepare(db, "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id", &st, err);
    if (s != CG_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s = key_from_row(db, st, &k, err);
        if (s != CG_OK || fn(&k, ud) != 0)
            break;
    }
    if (s == CG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "listing API keys");
    sqlite3_finalize(st);
    return s;
}
