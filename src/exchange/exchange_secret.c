/* Exchange credentials sealed at rest (exchange.h, docs/exchange.md "Credentials"): AES-256-GCM
 * through OpenSSL's EVP API, a random 96-bit nonce per seal, and the exchange's tenant and name
 * as additional authenticated data, so a blob moved to another exchange's row fails to open.
 * The key is the application's (the childguard program keeps it in a file of its own, mode
 * 0600, beside the database); the store only ever sees the sealed bytes. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define MAGIC "CGS1"
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define TAG_LEN 16
#define PLAIN_MAX (CG_EXCHANGE_SECRET_MAX - MAGIC_LEN - NONCE_LEN - TAG_LEN)

/* AAD: "childguard-exchange-secret/1" NUL tenant NUL name. */
static int set_aad(EVP_CIPHER_CTX *c, const char *tenant, const char *name)
{
    static const char label[] = "childguard-exchange-secret/1";
    int n = 0;

    return EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)label, sizeof(label)) == 1 &&
           EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)tenant,
                            (int)strlen(tenant) + 1) == 1 &&
           EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)name, (int)strlen(name)) == 1;
}

static const char *tenant_or_default(const char *t)
{
    return t != NULL && t[0] != '\0' ? t : "default";
}

cg_status cg_exchange_secret_seal(const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                                  const char *tenant, const char *name, const char *plaintext,
                                  size_t n, uint8_t **out, size_t *out_len, cg_error *err)
{
    EVP_CIPHER_CTX *c = NULL;
    uint8_t *blob = NULL;
    int len = 0, fin = 0;
    cg_status st = CG_OK;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (key == NULL || name == NULL || (plaintext == NULL && n > 0) || out == NULL ||
        out_len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_secret_seal: NULL argument");
    if (n > PLAIN_MAX)
        return cg__fail(err, CG_E_LIMIT, "exchange %s: credentials longer than %d bytes", name,
                        PLAIN_MAX);
    tenant = tenant_or_default(tenant);
    blob = cg__malloc(MAGIC_LEN + NONCE_LEN + n + TAG_LEN);
    c = EVP_CIPHER_CTX_new();
    if (blob == NULL || c == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", name);
        goto done;
    }
    memcpy(blob, MAGIC, MAGIC_LEN);
    if (RAND_bytes(blob + MAGIC_LEN, NONCE_LEN) != 1) {
        st = cg__fail(err, CG_E_BACKEND, "exchange %s: no random bytes for a nonce", name);
        goto done;
    }
    if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(c, NULL, NULL, key, blob + MAGIC_LEN) != 1 ||
        !set_aad(c, tenant, name) ||
        EVP_EncryptUpdate(c, blob + MAGIC_LEN + NONCE_LEN, &len, (const unsigned char *)plaintext,
                          (int)n) != 1 ||
        EVP_EncryptFinal_ex(c, blob + MAGIC_LEN + NONCE_LEN + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                            blob + MAGIC_LEN + NONCE_LEN + n) != 1) {
        st = cg__fail(err, CG_E_BACKEND, "exchange %s: sealing the credentials failed", name);
        goto done;
    }
    *out = blob;
    *out_len = MAGIC_LEN + NONCE_LEN + n + TAG_LEN;
    blob = NULL;
done:
    EVP_CIPHER_CTX_free(c);
    if (blob != NULL) {
        OPENSSL_cleanse(blob, MAGIC_LEN + NONCE_LEN + n + TAG_LEN);
        cg__free(blob);
    }
    return st;
}

cg_status cg_exchange_secret_open(const uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES],
                                  const char *tenant, const char *name, const uint8_t *blob,
                                  size_t len, char **out, cg_error *err)
{
    EVP_CIPHER_CTX *c = NULL;
    char *plain = NULL;
    size_t n;
    int got = 0, fin = 0;
    cg_status st = CG_OK;
    uint8_t tag[TAG_LEN];

    if (out != NULL)
        *out = NULL;
    if (key == NULL || name == NULL || blob == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_exchange_secret_open: NULL argument");
    if (len < MAGIC_LEN + NONCE_LEN + TAG_LEN || len > CG_EXCHANGE_SECRET_MAX ||
        memcmp(blob, MAGIC, MAGIC_LEN) != 0)
        return cg__fail(err, CG_E_DECODE, "exchange %s: stored credentials are not sealed "
                        "credentials (CGS1)", name);
    tenant = tenant_or_default(tenant);
    n = len - MAGIC_LEN - NONCE_LEN - TAG_LEN;
    memcpy(tag, blob + len - TAG_LEN, TAG_LEN);
    plain = cg__malloc(n + 1);
    c = EVP_CIPHER_CTX_new();
    if (plain == NULL || c == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", name);
        goto done;
    }
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(c, NULL, NULL, key, blob + MAGIC_LEN) != 1 || !set_aad(c, tenant, name) ||
        EVP_DecryptUpdate(c, (unsigned char *)plain, &got, blob + MAGIC_LEN + NONCE_LEN,
                          (int)n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
        EVP_DecryptFinal_ex(c, (unsigned char *)plain + got, &fin) != 1) {
        st = cg__fail(err, CG_E_DECODE,
                      "exchange %s: stored credentials do not open with this key (another "
                      "key file, another exchange's row, or tampered)",
                      name);
        goto done;
    }
    plain[n] = '\0';
    *out = plain;
    plain = NULL;
done:
    EVP_CIPHER_CTX_free(c);
    if (plain != NULL) {
        OPENSSL_cleanse(plain, n + 1);
        cg__free(plain);
    }
    return st;
}
