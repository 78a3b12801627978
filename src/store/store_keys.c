/* API keys (include/childguard/keys.h, docs/keys.md): scopes, the bank list of a key, and the
 * public cg_keys_* functions over the store's operations (store_ops.h; the SQLite rows, the
 * token format and its verification are sqlite_keys.c). */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "childguard/keys.h"
#include "common/error.h"

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
    return db->ops->apikey_create(db, spec, token, out, audit, err);
}

cg_status cg_keys_generation(cg_bankdb *db, int64_t *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            *out = 0;
        return cg__fail(err, CG_E_INVAL, "cg_keys_generation: db is NULL");
    }
    return db->ops->apikey_generation(db, out, err);
}

cg_status cg_keys_verify(cg_bankdb *db, const char *token, cg_key *out, cg_error *err)
{
    if (db == NULL) {
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return cg__fail(err, CG_E_INVAL, "cg_keys_verify: db is NULL");
    }
    return db->ops->apikey_verify(db, token, out, err);
}

cg_status cg_keys_revoke(cg_bankdb *db, int64_t id, const char *name, cg_audit *audit,
                           cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_revoke: db is NULL");
    return db->ops->apikey_revoke(db, id, name, audit, err);
}

cg_status cg_keys_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud), void *ud,
                         cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_keys_list: db is NULL");
    return db->ops->apikey_list(db, fn, ud, err);
}
