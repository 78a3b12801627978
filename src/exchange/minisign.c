/* The minisign formats (https://jedisct1.github.io/minisign/), read and written with OpenSSL's
 * EVP API: Ed25519 signatures, BLAKE2b-512 for the prehashed "ED" variant.
 *
 *   public key  base64("Ed" | key id (8) | Ed25519 public key (32))
 *   secret key  base64("Ed" | kdf "Sc" or 0,0 | "B2" | salt (32) | opslimit (8) | memlimit (8)
 *                      | key id (8) | seed (32) | public key (32) | checksum (32))
 *   signature   untrusted comment line, base64("ED" | key id | Ed25519(BLAKE2b-512(msg))),
 *               "trusted comment: " line, base64(Ed25519(signature | trusted comment))
 *
 * The secret key's checksum is BLAKE2b-256, which OpenSSL 3.0 cannot compute (its BLAKE2b has a
 * fixed 512-bit output); the key is checked instead by deriving the public key from the seed
 * and comparing it with the stored one. Encrypted secret keys (scrypt) are not read. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "childguard/package.h"
#include "common/alloc.h"
#include "common/error.h"

#define PK_BYTES 42
#define SK_BYTES 158
#define SIG_BYTES 74

/* Decodes one base64 line of exactly want bytes. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
    uint8_t buf[256];
    size_t pad = 0;
    int n;

    while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    if (len == 0 || len % 4 != 0 || len > 4 * sizeof(buf) / 3)
        return 0;
    if (s[len - 1] == '=')
        pad++;
    if (s[len - 2] == '=')
        pad++;
    n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
    if (n < 0 || (size_t)n - pad != want)
        return 0;
    memcpy(out, buf, want);
    OPENSSL_cleanse(buf, sizeof(buf));
    return 1;
}

static char *b64_encode(const uint8_t *in, size_t n)
{
    char *out = cg__malloc(4 * ((n + 2) / 3) + 1);

    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

/* The lines of text: line i (0-based) start and length, or 0 when absent. */
static int line_at(const char *text, size_t len, int i, const char **start, size_t *n)
{
    const char *p = text, *end = text + len;

    for (; i > 0; i--) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return 0;
        p = nl + 1;
    }
    if (p >= end)
        return 0;
    {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        *start = p;
        *n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
    }
    if (*n > 0 && (*start)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

/* The key line of a key file: after an "untrusted comment:" line, or the only line. */
static int key_line(const char *text, size_t len, const char **s, size_t *n)
{
    if (!line_at(text, len, 0, s, n))
        return 0;
    if (*n >= 18 && memcmp(*s, "untrusted comment:", 18) == 0)
        return line_at(text, len, 1, s, n);
    return 1;
}

cg_status cg_minisign_pubkey_parse(const char *name, const char *text, size_t len,
                                   cg_minisign_pubkey *out, cg_error *err)
{
    uint8_t raw[PK_BYTES];
    const char *s;
    size_t n;

    memset(out, 0, sizeof(*out));
    if (!key_line(text, len, &s, &n) || !b64_decode(s, n, raw, sizeof(raw)))
        return cg__fail(err, CG_E_INVAL, "%s: not a minisign public key", name);
    if (raw[0] != 'E' || raw[1] != 'd')
        return cg__fail(err, CG_E_INVAL, "%s: not an Ed25519 minisign public key", name);
    memcpy(out->key_id, raw + 2, 8);
    memcpy(out->pk, raw + 10, 32);
    return CG_OK;
}

static cg_status derive_pk(const uint8_t seed[32], uint8_t pk[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t n = 32;
    cg_status st = CG_E_BACKEND;

    if (k != NULL && EVP_PKEY_get_raw_public_key(k, pk, &n) == 1 && n == 32)
        st = CG_OK;
    EVP_PKEY_free(k);
    return st;
}

cg_status cg_minisign_seckey_parse(const char *name, const char *text, size_t len,
                                   cg_minisign_seckey *out, cg_error *err)
{
    uint8_t raw[SK_BYTES], pk[32];
    const char *s;
    size_t n;
    cg_status st = CG_OK;

    memset(out, 0, sizeof(*out));
    if (!key_line(text, len, &s, &n) || !b64_decode(s, n, raw, sizeof(raw)))
        return cg__fail(err, CG_E_INVAL, "%s: not a minisign secret key", name);
    if (raw[0] != 'E' || raw[1] != 'd' || raw[4] != 'B' || raw[5] != '2') {
        st = cg__fail(err, CG_E_INVAL, "%s: not an Ed25519 minisign secret key", name);
    } else if (raw[2] == 'S' && raw[3] == 'c') {
        st = cg__fail(err, CG_E_UNSUPPORTED, "%s: the secret key is encrypted (make an "
                                             "unencrypted copy with minisign, or use -W)", name);
    } else if (raw[2] != 0 || raw[3] != 0) {
        st = cg__fail(err, CG_E_INVAL, "%s: unknown key derivation in the secret key", name);
    } else {
        memcpy(out->key_id, raw + 54, 8);
        memcpy(out->seed, raw + 62, 32);
        memcpy(out->pk, raw + 94, 32);
        if (derive_pk(out->seed, pk) != CG_OK)
            st = cg__fail(err, CG_E_BACKEND, "%s: OpenSSL could not load the key", name);
        else if (memcmp(pk, out->pk, 32) != 0)
            st = cg__fail(err, CG_E_INVAL, "%s: the secret key is damaged (its public half "
                                           "does not match)", name);
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    if (st != CG_OK)
        OPENSSL_cleanse(out, sizeof(*out));
    return st;
}

cg_status cg_minisign_pubkey_format(const cg_minisign_pubkey *pk, char **out, cg_error *err)
{
    uint8_t raw[PK_BYTES];
    char *b64, *text;
    size_t cap;

    *out = NULL;
    raw[0] = 'E';
    raw[1] = 'd';
    memcpy(raw + 2, pk->key_id, 8);
    memcpy(raw + 10, pk->pk, 32);
    b64 = b64_encode(raw, sizeof(raw));
    cap = 128 + (b64 ? strlen(b64) : 0);
    text = b64 ? cg__malloc(cap) : NULL;
    if (text == NULL) {
        cg__free(b64);
        return cg__fail(err, CG_E_NOMEM, "minisign: out of memory");
    }
    snprintf(text, cap, "untrusted comment: minisign public key %02X%02X%02X%02X%02X%02X%02X%02X\n%s\n",
             pk->key_id[7], pk->key_id[6], pk->key_id[5], pk->key_id[4], pk->key_id[3],
             pk->key_id[2], pk->key_id[1], pk->key_id[0], b64);
    cg__free(b64);
    *out = text;
    return CG_OK;
}

static cg_status blake2b512(const void *msg, size_t len, uint8_t out[64])
{
    EVP_MD *md = EVP_MD_fetch(NULL, "BLAKE2B-512", NULL);
    unsigned n = 0;
    int ok = md != NULL && EVP_Digest(msg, len, out, &n, md, NULL) == 1 && n == 64;

    EVP_MD_free(md);
    return ok ? CG_OK : CG_E_BACKEND;
}

static cg_status ed_sign(const uint8_t seed[32], const uint8_t *m, size_t n, uint8_t sig[64])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t sl = 64;
    int ok = k != NULL && c != NULL && EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(c, sig, &sl, m, n) == 1 && sl == 64;

    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    return ok ? CG_OK : CG_E_BACKEND;
}

static int ed_verify(const uint8_t pk[32], const uint8_t *m, size_t n, const uint8_t sig[64])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = k != NULL && c != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(c, sig, 64, m, n) == 1;

    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    return ok;
}

cg_status cg_minisign_sign(const cg_minisign_seckey *sk, const void *msg, size_t len,
                           const char *trusted_comment, char **out, cg_error *err)
{
    const char *tc = trusted_comment ? trusted_comment : "";
    uint8_t hash[64], raw[SIG_BYTES], global[64];
    uint8_t *gm = NULL;
    char *b64 = NULL, *b64g = NULL, *text = NULL;
    size_t tl = strlen(tc), cap;
    cg_status st;

    *out = NULL;
    if (strchr(tc, '\n') != NULL || strchr(tc, '\r') != NULL)
        return cg__fail(err, CG_E_INVAL, "minisign: the trusted comment must be one line");
    raw[0] = 'E';
    raw[1] = 'D';
    memcpy(raw + 2, sk->key_id, 8);
    st = blake2b512(msg, len, hash);
    if (st == CG_OK)
        st = ed_sign(sk->seed, hash, sizeof(hash), raw + 10);
    if (st != CG_OK)
        return cg__fail(err, st, "minisign: OpenSSL could not sign (Ed25519, BLAKE2B-512)");
    gm = cg__malloc(64 + tl);
    if (gm == NULL)
        return cg__fail(err, CG_E_NOMEM, "minisign: out of memory");
    memcpy(gm, raw + 10, 64);
    memcpy(gm + 64, tc, tl);
    st = ed_sign(sk->seed, gm, 64 + tl, global);
    cg__free(gm);
    if (st != CG_OK)
        return cg__fail(err, st, "minisign: OpenSSL could not sign the trusted comment");
    b64 = b64_encode(raw, sizeof(raw));
    b64g = b64_encode(global, sizeof(global));
    cap = 160 + tl + (b64 ? strlen(b64) : 0) + (b64g ? strlen(b64g) : 0);
    text = (b64 && b64g) ? cg__malloc(cap) : NULL;
    if (text == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "minisign: out of memory");
    } else {
        snprintf(text, cap, "untrusted comment: signature from childguard\n%s\n"
                            "trusted comment: %s\n%s\n", b64, tc, b64g);
        *out = text;
    }
    cg__free(b64);
    cg__free(b64g);
    return st;
}

cg_status cg_minisign_verify(const cg_minisign_pubkey *keys, size_t n_keys, const char *sig_name,
                             const char *sig, size_t sig_len, const void *msg, size_t len,
                             size_t *which, char *trusted, size_t cap, cg_error *err)
{
    uint8_t raw[SIG_BYTES], global[64], hash[64];
    const char *l1, *l2, *l3, *l0;
    size_t n1, n2, n3, n0, k;
    uint8_t *gm;
    int ok;

    if (which != NULL)
        *which = 0;
    if (trusted != NULL && cap > 0)
        trusted[0] = '\0';
    if (!line_at(sig, sig_len, 0, &l0, &n0) || n0 < 18 ||
        memcmp(l0, "untrusted comment:", 18) != 0 || !line_at(sig, sig_len, 1, &l1, &n1) ||
        !line_at(sig, sig_len, 2, &l2, &n2) || !line_at(sig, sig_len, 3, &l3, &n3) ||
        n2 < 17 || memcmp(l2, "trusted comment: ", 17) != 0 ||
        !b64_decode(l1, n1, raw, sizeof(raw)) || !b64_decode(l3, n3, global, sizeof(global)))
        return cg__fail(err, CG_E_INVAL, "%s: not a minisign signature", sig_name);
    if (raw[0] != 'E' || (raw[1] != 'd' && raw[1] != 'D'))
        return cg__fail(err, CG_E_INVAL, "%s: unknown signature algorithm", sig_name);
    for (k = 0; k < n_keys; k++)
        if (memcmp(keys[k].key_id, raw + 2, 8) == 0)
            break;
    if (k == n_keys)
        return cg__fail(err, CG_E_NOTFOUND,
                        "%s: signed by key %02X%02X%02X%02X%02X%02X%02X%02X, which is not "
                        "trusted", sig_name, raw[9], raw[8], raw[7], raw[6], raw[5], raw[4],
                        raw[3], raw[2]);
    if (raw[1] == 'D') {
        if (blake2b512(msg, len, hash) != CG_OK)
            return cg__fail(err, CG_E_BACKEND, "%s: OpenSSL has no BLAKE2B-512", sig_name);
        ok = ed_verify(keys[k].pk, hash, sizeof(hash), raw + 10);
    } else {
        ok = ed_verify(keys[k].pk, msg, len, raw + 10);
    }
    if (!ok)
        return cg__fail(err, CG_E_INVAL, "%s: the signature does not match the signed file",
                        sig_name);
    gm = cg__malloc(64 + n2 - 17);
    if (gm == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", sig_name);
    memcpy(gm, raw + 10, 64);
    memcpy(gm + 64, l2 + 17, n2 - 17);
    ok = ed_verify(keys[k].pk, gm, 64 + n2 - 17, global);
    cg__free(gm);
    if (!ok)
        return cg__fail(err, CG_E_INVAL, "%s: the trusted comment's signature does not match",
                        sig_name);
    if (which != NULL)
        *which = k;
    if (trusted != NULL && cap > 0)
        snprintf(trusted, cap, "%.*s", (int)(n2 - 17), l2 + 17);
    return CG_OK;
}
