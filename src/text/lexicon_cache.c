/* The compiled-lexicon cache (lexicon_cache.h).
 *
 * An entry is one file, DIR/lexicon-<key hex>.hsdb:
 *     8 bytes  "CGHSDB1\n"
 *    32 bytes  the key (lexicon_cache.h)
 *     8 bytes  n, the length of the serialised database, little-endian
 *    32 bytes  SHA-256 of those n bytes
 *     n bytes  hs_serialize_database's output
 * Anything else (short, long, another key, a wrong digest) is a miss, and so is a directory
 * another user owns or may write to: the bytes become a database this process runs, so only
 * the user's own files are trusted. Vectorscan checks its own version and the platform when
 * deserialising, and both are in the key too. Writes go to a temporary file in the same
 * directory and are renamed over the entry, so a reader sees a whole entry or none, and two
 * processes compiling at the same time both write the same bytes. */
#include "text/lexicon_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/hex.h"

#define MAGIC "CGHSDB1\n"
#define HEAD (8 + 32 + 8 + 32)
#define MAX_DB (256u << 20)

static int digest_update_u64(EVP_MD_CTX *c, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return EVP_DigestUpdate(c, b, sizeof b);
}

int cg__lexcache_key(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                     size_t n, uint8_t key[32])
{
    hs_platform_info_t plat;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned len = 0;
    int ok;

    memset(&plat, 0, sizeof plat);
    ok = c != NULL && hs_populate_platform(&plat) == HS_SUCCESS &&
         EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(c, MAGIC, 8) == 1 &&
         EVP_DigestUpdate(c, hs_version(), strlen(hs_version()) + 1) == 1 &&
         digest_update_u64(c, plat.tune) == 1 && digest_update_u64(c, plat.cpu_features) == 1 &&
         digest_update_u64(c, HS_MODE_BLOCK) == 1 && digest_update_u64(c, n) == 1;
    for (size_t i = 0; ok && i < n; i++) {
        size_t l = strlen(exprs[i]);

        ok = digest_update_u64(c, flags[i]) == 1 && digest_update_u64(c, ids[i]) == 1 &&
             digest_update_u64(c, l) == 1 && EVP_DigestUpdate(c, exprs[i], l) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(c, key, &len) == 1 && len == 32;
    EVP_MD_CTX_free(c);
    return ok;
}

/* The entry's path; 0 when it does not fit. */
static int entry_path(const char *dir, const uint8_t key[32], char *out, size_t cap)
{
    char hex[65];

    cg_hex_encode(key, 32, hex);
    return snprintf(out, cap, "%s/lexicon-%s.hsdb", dir, hex) < (int)cap;
}

/* 1 when dir is a directory of this user that nobody else may write to. */
static int trusted_dir(const char *dir)
{
    struct stat st;

    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
           (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static uint64_t get_u64(const uint8_t *b)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

hs_database_t *cg__lexcache_load(const char *dir, const uint8_t key[32])
{
    char path[4096];
    uint8_t head[HEAD], sum[32];
    uint8_t *body = NULL;
    unsigned len = 0;
    hs_database_t *db = NULL;
    struct stat st;
    uint64_t n;
    FILE *f;

    if (dir == NULL || !trusted_dir(dir) || !entry_path(dir, key, path, sizeof path))
        return NULL;
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        fread(head, 1, HEAD, f) != HEAD || memcmp(head, MAGIC, 8) != 0 ||
        memcmp(head + 8, key, 32) != 0)
        goto done;
    n = get_u64(head + 40);
    if (n == 0 || n > MAX_DB || (uint64_t)st.st_size != HEAD + n)
        goto done;
    body = cg__malloc((size_t)n);
    if (body == NULL || fread(body, 1, (size_t)n, f) != (size_t)n ||
        EVP_Digest(body, (size_t)n, sum, &len, EVP_sha256(), NULL) != 1 || len != 32 ||
        memcmp(sum, head + 48, 32) != 0)
        goto done;
    if (hs_deserialize_database((const char *)body, (size_t)n, &db) != HS_SUCCESS)
        db = NULL;
done:
    cg__free(body);
    fclose(f);
    return db;
}

void cg__lexcache_store(const char *dir, const uint8_t key[32], const hs_database_t *db)
{
    char path[4096], tmp[4096 + 16];
    uint8_t head[HEAD];
    char *bytes = NULL;
    size_t n = 0;
    unsigned len = 0;
    int fd, ok;

    if (dir == NULL || !entry_path(dir, key, path, sizeof path))
        return;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return;
    if (!trusted_dir(dir) || hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
        return;
    memcpy(head, MAGIC, 8);
    memcpy(head + 8, key, 32);
    for (int i = 0; i < 8; i++)
        head[40 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    ok = n > 0 && n <= MAX_DB &&
         EVP_Digest(bytes, n, head + 48, &len, EVP_sha256(), NULL) == 1 && len == 32 &&
         snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) < (int)sizeof tmp;
    if (ok && (fd = mkstemp(tmp)) >= 0) {
        ok = write(fd, head, HEAD) == (ssize_t)HEAD && write(fd, bytes, n) == (ssize_t)n;
        if (close(fd) != 0 || !ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(bytes); /* Vectorscan's allocator: malloc unless the application changed it */
}
