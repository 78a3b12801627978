/* API keys (include/childguard/keys.h, docs/keys.md): scopes, the bank list of a key, the token
 * and its verification, the audit records, and the public cg_keys_* functions over the store's
 * row operations (store_ops.h; the SQLite rows are sqlite_keys.c).
 *
 * Token: "cgk_<id>_<64 lowercase hex digits>". The id is the row id and is public (it only says
 * which row to compare against); the 32 secret bytes come from RAND_bytes. The stored hash is
 * SHA-256 of the 32 raw secret bytes: the secret is uniformly random and 256 bits long, so a
 * plain hash (no salt, no slow KDF) is enough; a stolen database gives no usable token. The
 * secret itself is never stored, logged or kept in the library's memory after the call that
 * made it.
 *
 * Verification parses the token strictly, hashes the presented secret, reads the row by id and
 * compares the hashes with CRYPTO_memcmp. Every way of not matching (malformed, unknown id,
 * revoked, wrong secret) returns the same status and message, and the hash is computed in all of
 * them, so neither the reply nor, to first order, its timing says which it was.
 *
 * Creating inserts the row first (to learn its id) and builds the token inside the same
 * transaction. Audit records are built before the commit and appended after it (store_audit.h);
 * they name the key (id, name, scopes, rate), never the secret or its hash. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "childguard/keys.h"
#include "childguard/tenant.h"
#include "common/error.h"
#include "common/hex.h"
#include "store/store_audit.h"

/* The random part of a token, in bytes (64 hex digits). */
#define SECRET_BYTES 32
#define HASH_BYTES CG__APIKEY_HASH_BYTES
#define TOKEN_PREFIX "cgk_"
/* A key's last_used is rewritten at most this often (seconds). */
#define LAST_USED_INTERVAL 60
/* The one message of every refused token. */
#define NOT_ACCEPTED "API key not accepted"
#define AUDIT_KIND "api_key"

_Static_assert(sizeof(TOKEN_PREFIX) - 1 + 19 + 1 + 2 * SECRET_BYTES <= CG_APIKEY_TOKEN_MAX,
               "the longest token fits CG_APIKEY_TOKEN_MAX");

/* ---- scopes ------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned bit;
} scope_names[] = {
    {"hash", CG_SCOPE_HASH},           {"match", CG_SCOPE_MATCH},
    {"scan", CG_SCOPE_SCAN},           {"bank:read", CG_SCOPE_BANK_READ},
    {"bank:write", CG_SCOPE_BANK_WRITE}, {"review", CG_SCOPE_REVIEW},
    {"admin", CG_SCOPE_ADMIN},         {"review:senior", CG_SCOPE_REVIEW_SENIOR},
    {"match:distance", CG_SCOPE_DISTANCE},
};
#define N_SCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

/* The next item of a comma-separated list at *p, without the blanks around it: returns its start
 * and sets *n to its length; *p is left on the comma after it or on the end of the text. */
static const char *list_item(const char **p, size_t *n)
{
    const char *start, *end;

    while (**p == ' ' || **p == '\t')
        (*p)++;
    start = *p;
    while (**p != '\0' && **p != ',')
        (*p)++;
    end = *p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *n = (size_t)(end - start);
    return start;
}

cg_status cg_keys_scopes_parse(const char *text, unsigned *out, cg_error *err)
{
    unsigned bits = 0;
    const char *p;

    if (out != NULL)
        *out = 0;
    if (text == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_scopes_parse: NULL argument");
    p = text;
    for (;;) {
        size_t n;
        const char *start = list_item(&p, &n);
        unsigned bit = 0;

        if (n == 3 && memcmp(start, "all", 3) == 0)
            bit = CG_SCOPE_ALL;
        for (size_t i = 0; i < N_SCOPES && bit == 0; i++)
            if (strlen(scope_names[i].name) == n && memcmp(start, scope_names[i].name, n) == 0)
                bit = scope_names[i].bit;
        if (bit == CG_SCOPE_REVIEW_SENIOR)
            bit |= CG_SCOPE_REVIEW; /* a senior reviewer is a reviewer */
        if (bit == 0) {
            if (n == 0)
                return cg__fail(err, CG_E_INVAL,
                                "scopes \"%.64s\": empty scope name (known: " CG_SCOPES_KNOWN
                                ")",
                                text);
            return cg__fail(err, CG_E_INVAL, "unknown scope \"%.*s\" (known: " CG_SCOPES_KNOWN ")",
                            (int)(n > 64 ? 64 : n), start);
        }
        bits |= bit;
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    *out = bits;
    return CG_OK;
}

void cg_keys_scopes_format(unsigned scopes, char *buf, size_t size)
{
    size_t used = 0;

    if (buf == NULL || size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < N_SCOPES; i++) {
        const size_t n = strlen(scope_names[i].name);
        const size_t need = n + (used > 0);

        if (!(scopes & scope_names[i].bit))
            continue;
        if (used + need + 1 > size)
            break; /* cut at a name boundary */
        if (used > 0)
            buf[used++] = ',';
        memcpy(buf + used, scope_names[i].name, n);
        used += n;
        buf[used] = '\0';
    }
}

int cg_keys_scopes_allow(unsigned have, unsigned need)
{
    if (have & CG_SCOPE_ADMIN)
        return 1;
    return (have & need) == need;
}

/* Normalises a bank list ("a, b,c" -> "a,b,c") into out (CG_APIKEY_BANKS_MAX + 1 bytes);
 * returns NULL, or why it is not valid. */
const char *cg__apikey_banks_normalise(const char *in, char *out)
{
    size_t used = 0;
    const char *p = in;

    out[0] = '\0';
    if (in == NULL)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return NULL;
    for (;;) {
        char name[CG_BANK_NAME_MAX + 1];
        size_t n;
        const char *start = list_item(&p, &n);

        if (n == 0)
            return "an empty bank name in the list";
        if (n > CG_BANK_NAME_MAX)
            return "a bank name in the list is too long";
        memcpy(name, start, n);
        name[n] = '\0';
        if (!cg__bank_name_valid(name))
            return "a bank name in the list is not valid ([A-Za-z0-9_.-])";
        if (used + n + (used > 0) > CG_APIKEY_BANKS_MAX)
            return "the bank list is longer than 512 bytes";
        if (used > 0)
            out[used++] = ',';
        memcpy(out + used, name, n);
        used += n;
        out[used] = '\0';
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    return NULL;
}

int cg_keys_may_read_bank(const cg_key *key, const char *bank)
{
    const char *p;
    size_t n;

    if (key == NULL || bank == NULL)
        return 0;
    if (key->banks[0] == '\0')
        return 1;
    n = strlen(bank);
    for (p = key->banks; *p != '\0';) {
        const char *comma = strchr(p, ',');
        const size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

        if (len == n && memcmp(p, bank, n) == 0)
            return 1;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

/* ---- the token ---------------------------------------------------------------------------- */

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

/* ---- create, verify, revoke ---------------------------------------------------------------- */

static cg_status key_create(cg_bankdb *db, const cg_key_spec *spec, char *token, cg_key *out,
                            cg_audit *audit, cg_error *err)
{
    const char *name = spec != NULL ? spec->name : NULL;
    const unsigned scopes = spec != NULL ? spec->scopes : 0;
    const int rate_per_second = spec != NULL ? spec->rate_per_second : 0;
    cg_key k, live;
    int found = 0;
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

    s = db->ops->begin_write(db, "creating an API key", err);
    if (s != CG_OK)
        goto done;
    s = db->ops->apikey_find_live(db, 0, name, &live, &found, err);
    if (s == CG_OK && found)
        s = cg__fail(err, CG_E_INVAL, "%s: a live API key named \"%s\" already exists (id %lld)",
                     db->path, name, (long long)live.id);
    if (s == CG_OK)
        s = db->ops->apikey_insert(db, &k, hash, now, &id, err);
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
        db->ops->rollback(db);
        goto done;
    }
    s = db->ops->commit(db, "creating an API key", err);
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

/* Records a use at now when the last one is older than LAST_USED_INTERVAL. Best effort on a
 * read-only handle or a busy store; other failures are reported. */
static cg_status touch(cg_bankdb *db, cg_key *k, int64_t now, cg_error *err)
{
    int done = 0;
    cg_status s;

    if (now - k->last_used < LAST_USED_INTERVAL && now >= k->last_used)
        return CG_OK;
    if (db->flags & CG_BANKDB_READONLY)
        return CG_OK;
    s = db->ops->apikey_touch(db, k->id, now, &done, err);
    if (s == CG_OK && done)
        k->last_used = now;
    return s;
}

static cg_status key_verify(cg_bankdb *db, const char *token, cg_key *out, cg_error *err)
{
    static const uint8_t nothing[HASH_BYTES] = {0};
    uint8_t secret[SECRET_BYTES], hash[HASH_BYTES], stored[HASH_BYTES];
    cg_key k = {0};
    int64_t id = 0;
    int ok, found = 0;
    cg_status s;

    if (out != NULL)
        memset(out, 0, sizeof(*out));
    /* A malformed token goes on with id 0 (no row) and a zero secret: the same work as a real
     * miss, and the same answer. */
    ok = token_parse(token, &id, secret);
    s = secret_hash(secret, hash, err);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (s != CG_OK)
        return s;
    memset(stored, 0, sizeof(stored));
    s = db->ops->apikey_get(db, id, &k, stored, &found, err);
    /* Compare even when there is nothing to compare against, so a miss costs the same; a
     * stored hash of zeros (missing or of the wrong length) never matches. */
    if (CRYPTO_memcmp(stored, nothing, HASH_BYTES) == 0)
        found = 0;
    if (CRYPTO_memcmp(hash, stored, HASH_BYTES) != 0)
        found = 0;
    OPENSSL_cleanse(hash, sizeof(hash));
    OPENSSL_cleanse(stored, sizeof(stored));
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

static cg_status key_revoke(cg_bankdb *db, int64_t id, const char *name, cg_audit *audit,
                            cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    cg_key k = {0};
    int found = 0;
    cg_status s;

    if (id <= 0 && name == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_revoke: NULL argument");
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "revoking an API key", err);
    if (s != CG_OK)
        return s;
    s = db->ops->apikey_find_live(db, id, name, &k, &found, err);
    if (s == CG_OK && !found && id > 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no live API key with id %lld", db->path,
                     (long long)id);
    else if (s == CG_OK && !found)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no live API key named \"%.64s\"", db->path, name);
    if (s == CG_OK)
        s = db->ops->apikey_revoke_row(db, k.id, now > 0 ? now : 1, err);
    if (s == CG_OK && audit != NULL) {
        rec = json_pack("{s:s,s:I,s:s}", "action", "revoke", "key", (json_int_t)k.id, "name",
                        k.name);
        if (rec == NULL)
            s = cg__fail(err, CG_E_NOMEM, "%s: API key %lld: out of memory (audit record)",
                         db->path, (long long)k.id);
    }
    if (s != CG_OK) {
        db->ops->rollback(db);
        return s;
    }
    s = db->ops->commit(db, "revoking an API key", err);
    if (s != CG_OK) {
        json_decref(rec);
        return s;
    }
    return audit_append(db, audit, k.id, rec, err);
}

cg_status cg_keys_create(cg_bankdb *db, const char *name, unsigned scopes, int rate_per_second,
                           char *token, cg_key *out, cg_audit *audit, cg_error *err)
{
    const cg_key_spec spec = {name, NULL, NULL, scopes, rate_per_second, NULL};

    return cg_keys_create_ex(db, &spec, token, out, audit, err);
}

cg_status cg_keys_create_ex(cg_bankdb *db, const cg_key_spec *spec, char *token,
                              cg_key *out, cg_audit *audit, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_keys_create_ex: db is NULL");
    }
    return key_create(db, spec, token, out, audit, err);
}

cg_status cg_keys_generation(cg_bankdb *db, int64_t *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            *out = 0;
        return cg__fail(err, CG_E_INVAL, "cg_keys_generation: db is NULL");
    }
    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_generation: NULL argument");
    return db->ops->apikey_generation(db, out, err);
}

cg_status cg_keys_verify(cg_bankdb *db, const char *token, cg_key *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_keys_verify: db is NULL");
    }
    return key_verify(db, token, out, err);
}

cg_status cg_keys_revoke(cg_bankdb *db, int64_t id, const char *name, cg_audit *audit,
                           cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_revoke: db is NULL");
    return key_revoke(db, id, name, audit, err);
}

cg_status cg_keys_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                         cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_list: db is NULL");
    if (fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_list: NULL argument");
    return db->ops->apikey_list(db, fn, ud, err);
}
