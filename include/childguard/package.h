/* childguard: signed hash-list packages, for bilateral exchange between hotlines
 * (docs/exchange.md, "Signed packages").
 *
 * A package is a directory: manifest.json (producer, bank, label, sequence, base sequence,
 * created, expires, and for each payload file its kind, SHA-256, line count and size),
 * manifest.json.minisig (a minisign signature of the manifest: Ed25519 over its BLAKE2b-512,
 * the "ED" variant, readable by the minisign tool) and JSON-lines payloads: adds.jsonl,
 * removals.jsonl, disables.jsonl. The payloads are covered by the manifest's SHA-256s, so one
 * signature covers the whole package.
 *
 * An importer trusts a directory of minisign public keys (*.pub). A package is refused when its
 * signature is not from a trusted key or does not verify, when a payload differs from the
 * manifest, when it has expired (a frozen, withheld update cannot be replayed forever), or when
 * its sequence is lower than the last one imported from that key (rollback). The last sequence
 * per key is kept in a small state file beside the trusted keys (sequences.json, replaced
 * atomically under a lock) until the store has a table for it.
 *
 * Threading: functions are thread-safe on distinct arguments; the state file is locked while
 * it is read and replaced. */
#ifndef CHILDGUARD_PACKAGE_H
#define CHILDGUARD_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- minisign keys and signatures ---- */

typedef struct cg_minisign_pubkey {
    uint8_t key_id[8];
    uint8_t pk[32];
} cg_minisign_pubkey;

typedef struct cg_minisign_seckey {
    uint8_t key_id[8];
    uint8_t seed[32];
    uint8_t pk[32];
} cg_minisign_seckey;

/* Parses a minisign public key: a .pub file ("untrusted comment:" line, then the key) or the
 * bare base64 line. CG_E_INVAL naming name when malformed. */
CG_API cg_status cg_minisign_pubkey_parse(const char *name, const char *text, size_t len,
                                          cg_minisign_pubkey *out, cg_error *err);
/* Parses a minisign secret key file. Only unencrypted keys (minisign -G -W) are read; an
 * encrypted one is CG_E_UNSUPPORTED ("decrypt it with minisign first"). The public half is
 * derived from the seed and must match the stored one. Wipe *out after use. */
CG_API cg_status cg_minisign_seckey_parse(const char *name, const char *text, size_t len,
                                          cg_minisign_seckey *out, cg_error *err);
/* Formats pk as a minisign .pub file into *out (cg_free). */
CG_API cg_status cg_minisign_pubkey_format(const cg_minisign_pubkey *pk, char **out,
                                           cg_error *err);
/* Signs msg in minisign's prehashed "ED" form; trusted_comment (one line, NULL: "") is signed
 * too. *out (cg_free) is the .minisig file text. */
CG_API cg_status cg_minisign_sign(const cg_minisign_seckey *sk, const void *msg, size_t len,
                                  const char *trusted_comment, char **out, cg_error *err);
/* Verifies the .minisig text sig (named sig_name in errors) over msg against keys: the key
 * with the signature's key id must be among them (CG_E_NOTFOUND otherwise), and both the
 * signature and the global signature over the trusted comment must verify (CG_E_INVAL
 * otherwise). Accepts "Ed" (plain) and "ED" (prehashed). *which (may be NULL) gets the index of
 * the key; trusted (may be NULL, cap bytes) the trusted comment. */
CG_API cg_status cg_minisign_verify(const cg_minisign_pubkey *keys, size_t n_keys,
                                    const char *sig_name, const char *sig, size_t sig_len,
                                    const void *msg, size_t len, size_t *which, char *trusted,
                                    size_t cap, cg_error *err);

/* ---- manifests ---- */

#define CG_PACKAGE_FIELD_MAX 64
#define CG_PACKAGE_MAX_FILES 3

typedef enum cg_package_kind {
    CG_PACKAGE_ADDS = 0,      /* adds.jsonl: {"signal_type","signal"[,"external_id","note"]} */
    CG_PACKAGE_REMOVALS = 1,  /* removals.jsonl: {"signal_type","signal"} */
    CG_PACKAGE_DISABLES = 2   /* disables.jsonl: {"signal_type","signal"[,"until": unix s]} */
} cg_package_kind;

typedef struct cg_package_file {
    cg_package_kind kind;
    uint8_t sha256[32];
    uint64_t count;  /* lines */
    uint64_t bytes;
} cg_package_file;

typedef struct cg_package_manifest {
    char producer[CG_PACKAGE_FIELD_MAX + 1];
    char bank[CG_PACKAGE_FIELD_MAX + 1];
    char label[CG_PACKAGE_FIELD_MAX + 1];
    int64_t sequence;        /* >= 1, increases with every package of a producer key */
    int64_t base_sequence;   /* the package this one is a delta on; -1: a full list */
    int64_t created;         /* unix seconds */
    int64_t expires;         /* unix seconds; after it the package is refused */
    cg_package_file files[CG_PACKAGE_MAX_FILES];
    size_t n_files;
} cg_package_manifest;

/* The file name of a kind ("adds.jsonl" ...). */
CG_API const char *cg_package_kind_file(cg_package_kind kind);
/* Parses manifest.json strictly (unknown keys, a missing field, a bad value: CG_E_INVAL with
 * name and the field). */
CG_API cg_status cg_package_manifest_parse(const char *name, const char *json, size_t len,
                                           cg_package_manifest *out, cg_error *err);
/* Writes m as manifest.json text into *out (cg_free). */
CG_API cg_status cg_package_manifest_write(const cg_package_manifest *m, char **out,
                                           cg_error *err);

/* ---- writing, verifying, importing ---- */

/* Finishes the package in dir: for each payload file present (adds/removals/disables.jsonl)
 * its SHA-256, lines and bytes go into m->files, then manifest.json and manifest.json.minisig
 * (signed with sk) are written (each replaced atomically). m's other fields are the caller's.
 * Each payload line is checked first: a bad line is CG_E_INVAL naming file and line. */
CG_API cg_status cg_package_seal(const char *dir, cg_package_manifest *m,
                                 const cg_minisign_seckey *sk, cg_error *err);

/* Writes the enabled signals of bank_id as dir/adds.jsonl (dir is created if missing), a full
 * list (base_sequence -1), then seals it as cg_package_seal does. */
CG_API cg_status cg_package_export(cg_bankdb *db, int64_t bank_id, const char *dir,
                                   cg_package_manifest *m, const cg_minisign_seckey *sk,
                                   cg_error *err);

typedef struct cg_package_trust {
    const char *keys_dir;   /* trusted minisign public keys: every *.pub in it */
    const char *state_path; /* last sequence per key; NULL: <keys_dir>/sequences.json */
    int64_t now;            /* unix seconds; 0: time(NULL) */
    /* The package exchange (docs/exchange.md "A signed package as an exchange"): keys given
     * in memory instead of keys_dir (used when n_keys > 0), and the last sequence applied kept
     * by the caller (its checkpoint) instead of the state file (used when non-NULL; a lower
     * sequence is still refused, and whether a delta's base fits is then the caller's check). */
    const cg_minisign_pubkey *keys;
    size_t n_keys;
    const int64_t *last_sequence;
} cg_package_trust;

/* Verifies the package in dir: signature by a trusted key, payloads as the manifest says,
 * not expired, sequence not below the last imported from the key. Fills *m and key_id (8
 * bytes, may be NULL). Errors name the package and the reason: CG_E_NOTFOUND (no trusted key
 * signed it, a payload file missing), CG_E_INVAL (bad signature, tampered payload, expired,
 * rolled back, malformed manifest), CG_E_IO. */
CG_API cg_status cg_package_verify(const char *dir, const cg_package_trust *trust,
                                   cg_package_manifest *m, uint8_t *key_id, cg_error *err);

typedef struct cg_package_import_report {
    uint64_t added, merged, removed, disabled;
    uint64_t missing; /* removals and disables of signals the bank does not hold */
} cg_package_import_report;

/* Verifies the package (cg_package_verify), applies it to bank_id through the public bank API
 * (adds with source "package:<producer>", removals, disables), then records its sequence for
 * the key. A failure while applying leaves the lines before it applied and the sequence not
 * recorded, so importing the same package again finishes it. */
CG_API cg_status cg_package_import(cg_bankdb *db, int64_t bank_id, const char *dir,
                                   const cg_package_trust *trust,
                                   cg_package_import_report *rep, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
