/* childguard: API keys for the HTTP service, kept in the bank database.
 *
 * A key is shown once, when it is created: "cgk_<id>_<secret>" (the id is public, the secret 32
 * random bytes in hex from OpenSSL's RAND_bytes). The database keeps only the SHA-256 of the
 * secret, the key's name, its holder (the person or service it was given to), its tenant
 * (tenant.h), its scopes, the banks it may read, an optional per-key rate limit, creation, last
 * use and revocation times. Verification looks the key up by id and compares the hashes in constant
 * time (CRYPTO_memcmp); a revoked or unknown key, a malformed token and a wrong secret are all
 * CG_E_NOTFOUND with the same message, so callers cannot tell them apart.
 *
 * Every create and revoke appends an audit record (kind "api_key") when a log is given; the
 * secret never appears in it.
 *
 * Threading: like cg_bankdb, one thread at a time per handle. */
#ifndef CHILDGUARD_KEYS_H
#define CHILDGUARD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "bank.h"
#include "export.h"
#include "status.h"
#include "tenant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scopes, one bit each (text names in parentheses, used by the CLI and in the database). The
 * bits are stored: never renumber. */
enum {
    CG_SCOPE_HASH = 1 << 0,       /* "hash": hash content */
    CG_SCOPE_MATCH = 1 << 1,      /* "match": look hashes up (no distances) */
    CG_SCOPE_SCAN = 1 << 2,       /* "scan": scan content and messages through the engine */
    CG_SCOPE_BANK_READ = 1 << 3,  /* "bank:read" */
    CG_SCOPE_BANK_WRITE = 1 << 4, /* "bank:write"; a review decision that adds to a bank
                                   * needs it too */
    CG_SCOPE_REVIEW = 1 << 5,     /* "review": the review queue and report drafts */
    CG_SCOPE_ADMIN = 1 << 6,      /* "admin": keys, policy reload, audit; implies every scope
                                   * and may act for a named reviewer */
    CG_SCOPE_REVIEW_SENIOR = 1 << 7, /* "review:senior": decide escalated items (with review) */
    CG_SCOPE_DISTANCE = 1 << 8,   /* "match:distance": exact distances in lookups and verdicts */
    CG_SCOPE_ALL = (1 << 9) - 1
};

/* Parses "hash,match,bank:read" (or "all") into bits; spaces around a name are ignored.
 * "review:senior" also sets "review" (a senior reviewer is a reviewer). An empty list, an empty
 * name ("hash,,match") or an unknown name is CG_E_INVAL naming it; *out is then 0. */
CG_API cg_status cg_keys_scopes_parse(const char *text, unsigned *out, cg_error *err);
/* Writes the names of scopes, comma-separated in the order of the enum, into buf ("" for none;
 * bits outside CG_SCOPE_ALL are ignored). When buf is too small the text is cut at a name
 * boundary and always NUL-terminated (size 0: nothing is written). */
CG_API void cg_keys_scopes_format(unsigned scopes, char *buf, size_t size);
/* The longest text cg_keys_scopes_format writes (every scope), NUL included. */
#define CG_SCOPES_TEXT_MAX 96
/* Every scope name, comma-separated, for help texts and messages. */
#define CG_SCOPES_KNOWN                                                                        \
    "hash, match, match:distance, scan, bank:read, bank:write, review, review:senior, admin, all"

/* 1 when a key with scopes `have` may do what `need` asks (every bit of need; CG_SCOPE_ADMIN
 * implies every scope), else 0. need = 0 is always allowed. */
CG_API int cg_keys_scopes_allow(unsigned have, unsigned need);

#define CG_APIKEY_NAME_MAX 64
/* The holder: the person or service the key was given to (it is who a reviewer is). */
#define CG_APIKEY_HOLDER_MAX 64
/* The banks a key may read, as stored: comma-separated bank names, no spaces. */
#define CG_APIKEY_BANKS_MAX 512
/* "cgk_" + id (decimal) + "_" + 64 hex digits + NUL fits in this. */
#define CG_APIKEY_TOKEN_MAX 96

typedef struct cg_key {
    int64_t id;
    char name[CG_APIKEY_NAME_MAX + 1];
    unsigned scopes;
    int rate_per_second;       /* requests per second allowed, 0 = the server's default */
    int64_t created, last_used, revoked; /* unix seconds; 0 = never / not revoked */
    char holder[CG_APIKEY_HOLDER_MAX + 1]; /* who holds it; keys made before schema 5: name */
    char tenant[CG_TENANT_MAX + 1];        /* the tenant it acts for ("default") */
    char banks[CG_APIKEY_BANKS_MAX + 1];   /* banks it may read, "" = every bank */
} cg_key;

/* The largest rate_per_second a key may carry. */
#define CG_APIKEY_RATE_MAX 1000000

/* Creates a key; writes the token (shown once) into token (CG_APIKEY_TOKEN_MAX + 1 bytes) and
 * the key's row into *out (may be NULL). Name: 1-64 bytes of UTF-8 without control characters,
 * not all digits (so "keys revoke 12" is never ambiguous), unique among live keys (a second
 * live key of the same name is CG_E_INVAL; a revoked key's name may be reused). scopes: a
 * non-empty subset of CG_SCOPE_ALL. rate_per_second: 0..CG_APIKEY_RATE_MAX. The row is
 * inserted and the token built in one transaction; audit (may be NULL) receives an "api_key"
 * record {action: "create", key, name, scopes, rate} after the commit (a failing append is
 * CG_E_IO "committed but not audited": the key exists; the token is still written). On any other
 * failure token is "" and *out zeroed. The secret is wiped from the library's memory; the
 * caller owns token and should wipe it after showing it. The key's holder is its name, its
 * tenant CG_TENANT_DEFAULT, and it may read every bank (cg_keys_create_ex sets them). */
CG_API cg_status cg_keys_create(cg_bankdb *db, const char *name, unsigned scopes,
                                  int rate_per_second, char *token, cg_key *out,
                                  cg_audit *audit, cg_error *err);

/* What cg_keys_create_ex makes. */
typedef struct cg_key_spec {
    const char *name;          /* as cg_keys_create */
    const char *holder;        /* 1-64 bytes of UTF-8 without control characters; NULL: name */
    const char *tenant;        /* a tenant name (tenant.h); NULL: CG_TENANT_DEFAULT */
    unsigned scopes;           /* as cg_keys_create */
    int rate_per_second;       /* as cg_keys_create */
    const char *banks;         /* comma-separated bank names the key may read (spaces around
                                * names ignored; at most CG_APIKEY_BANKS_MAX bytes once joined);
                                * NULL or "": every bank */
} cg_key_spec;

/* cg_keys_create with a holder, a tenant and a bank list (the audit record names them too).
 * A bad holder, tenant or bank list is CG_E_INVAL naming it. The banks need not exist yet. */
CG_API cg_status cg_keys_create_ex(cg_bankdb *db, const cg_key_spec *spec, char *token,
                                     cg_key *out, cg_audit *audit, cg_error *err);

/* 1 when key may read bank (its list is empty, or names the bank), else 0. */
CG_API int cg_keys_may_read_bank(const cg_key *key, const char *bank);

/* The keys generation: a number that grows whenever a key is revoked, deleted or has its
 * scopes, banks, tenant, holder or rate changed (by this library, another process or the
 * sqlite3 shell: a trigger keeps it). A server that caches verified keys reads it on every
 * request and drops its cache when it moved, so a revocation takes effect on the next request.
 * One indexed read of a cached statement. */
CG_API cg_status cg_keys_generation(cg_bankdb *db, int64_t *out, cg_error *err);

/* Checks a token; on success fills *out (may be NULL) and records the use (last_used, at most
 * once a minute per key, so verification stays a read in the common case). Any failure to
 * accept the token is CG_E_NOTFOUND "API key not accepted"; other statuses are database
 * errors. Recording the use is best effort on a read-only handle or a locked database (the
 * request is not refused because last_used could not be written). */
CG_API cg_status cg_keys_verify(cg_bankdb *db, const char *token, cg_key *out,
                                  cg_error *err);

/* Revokes key id (by id or, when id <= 0, by name). CG_E_NOTFOUND if there is no live key.
 * On success, audit (may be NULL) receives an "api_key" record {action:
 * "revoke", key, name} after the commit (CG_E_IO "committed but not audited" if it fails). */
CG_API cg_status cg_keys_revoke(cg_bankdb *db, int64_t id, const char *name, cg_audit *audit,
                                  cg_error *err);

/* Calls fn for every key (revoked ones too), oldest first; non-zero from fn stops. The key
 * passed to fn is valid during the call only; fn may call into the same db. */
CG_API cg_status cg_keys_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud),
                                void *ud, cg_error *err);

#ifdef __cplusplus
}
#endif

#endif
