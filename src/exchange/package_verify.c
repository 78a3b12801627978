/* Opening a signed package: the manifest's signature by a trusted key, then the manifest's
 * promises (not expired, sequence not rolled back, a delta's base imported), then each payload
 * against its SHA-256, line count and size. The payload bytes that were checked are the ones
 * kept for the import, so a file swapped after the check is never applied. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "childguard/hex.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "exchange_int.h"
#include "package_int.h"

#define MAX_TRUSTED 256

typedef struct line_check {
    cg_package_kind kind;
    const char *path;
    cg_error *err;
} line_check;

static cg_status check_line(const char *line, size_t n, uint64_t lineno, void *ud)
{
    line_check *c = ud;
    cg__package_line l;
    char why[160];

    if (cg__package_line_parse(c->kind, line, n, &l, why, sizeof(why)) != CG_OK)
        return cg__fail(c->err, CG_E_INVAL, "%s:%llu: %s", c->path, (unsigned long long)lineno,
                        why);
    return CG_OK;
}

static cg_status load_keys(const char *dir, cg_minisign_pubkey *keys, size_t *n, cg_error *err)
{
    DIR *d;
    struct dirent *e;
    cg_status st = CG_OK;

    *n = 0;
    if (dir == NULL)
        return cg__fail(err, CG_E_INVAL, "package: no trusted keys directory given");
    d = opendir(dir);
    if (d == NULL)
        return cg__fail(err, CG_E_IO, "%s: %s", dir, strerror(errno));
    while (st == CG_OK && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        char path[4096];
        uint8_t *buf = NULL;
        size_t len = 0;

        if (l < 5 || strcmp(e->d_name + l - 4, ".pub") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == MAX_TRUSTED) {
            st = cg__fail(err, CG_E_LIMIT, "%s: more than %d trusted keys", dir, MAX_TRUSTED);
            break;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        st = cg__read_file(path, 4096, &buf, &len, err);
        if (st == CG_OK)
            st = cg_minisign_pubkey_parse(path, (const char *)buf, len, &keys[*n], err);
        cg__free(buf);
        if (st == CG_OK)
            (*n)++;
    }
    closedir(d);
    if (st == CG_OK && *n == 0)
        st = cg__fail(err, CG_E_NOTFOUND, "%s: no trusted keys (*.pub)", dir);
    return st;
}

static uint64_t count_lines(const uint8_t *b, size_t len)
{
    uint64_t n = 0;
    size_t i = 0;

    while (i < len) {
        const uint8_t *nl = memchr(b + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (b + i)) : len - i;

        if (l > 0 && !(l == 1 && b[i] == '\r'))
            n++;
        i += l + (nl ? 1 : 0);
    }
    return n;
}

void cg__package_close(cg__package *p)
{
    for (size_t i = 0; i < CG_PACKAGE_MAX_FILES; i++) {
        cg__free(p->payload[i]);
        p->payload[i] = NULL;
    }
}

/* A directory source: <dir>/<file> read with cg__read_file. */
static cg_status dir_read(void *ud, const char *file, uint64_t max, uint8_t **buf, size_t *len,
                          cg_error *err)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", (const char *)ud, file);
    return cg__read_file(path, max, buf, len, err);
}

cg_status cg__package_open(const char *dir, const cg_package_trust *trust, cg__package *out,
                           cg_error *err)
{
    cg__package_source src = {dir, dir_read, (void *)dir};

    return cg__package_open_source(&src, trust, out, err);
}

cg_status cg__package_open_source(const cg__package_source *src, const cg_package_trust *trust,
                                  cg__package *out, cg_error *err)
{
    const char *dir = src->name;
    cg_minisign_pubkey *trusted = NULL;
    char path[4096], sigpath[4096];
    uint8_t *man = NULL, *sig = NULL;
    size_t man_len = 0, sig_len = 0, n_keys = 0, which = 0;
    int64_t now = trust->now ? trust->now : (int64_t)time(NULL), last = 0;
    cg_status st;

    memset(out, 0, sizeof(*out));
    trusted = cg__malloc_array(MAX_TRUSTED, sizeof(*trusted));
    if (trusted == NULL)
        return cg__fail(err, CG_E_NOMEM, "package: out of memory");
    if (trust->n_keys > 0) {
        n_keys = trust->n_keys < MAX_TRUSTED ? trust->n_keys : MAX_TRUSTED;
        memcpy(trusted, trust->keys, n_keys * sizeof(*trusted));
        st = CG_OK;
    } else {
        st = load_keys(trust->keys_dir, trusted, &n_keys, err);
    }
    if (st != CG_OK)
        goto fail;
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    snprintf(sigpath, sizeof(sigpath), "%s/manifest.json.minisig", dir);
    st = src->read(src->ud, "manifest.json", CG_PACKAGE_MANIFEST_MAX, &man, &man_len, err);
    if (st == CG_OK)
        st = src->read(src->ud, "manifest.json.minisig", CG_PACKAGE_SIG_MAX, &sig, &sig_len,
                       err);
    if (st != CG_OK)
        goto fail;
    st = cg_minisign_verify(trusted, n_keys, sigpath, (const char *)sig, sig_len, man, man_len,
                            &which, NULL, 0, err);
    if (st != CG_OK)
        goto fail;
    memcpy(out->key_id, trusted[which].key_id, 8);
    st = cg_package_manifest_parse(path, (const char *)man, man_len, &out->m, err);
    if (st != CG_OK)
        goto fail;
    if (now >= out->m.expires) {
        char when[32];

        cg__exchange_format_time(out->m.expires, when, sizeof(when));
        st = cg__fail(err, CG_E_INVAL, "%s: package %s #%lld expired at %s: refused (ask the "
                                       "producer for a current one)", dir, out->m.producer,
                      (long long)out->m.sequence, when);
        goto fail;
    }
    if (trust->last_sequence != NULL)
        last = *trust->last_sequence;
    else
        st = cg__package_state_get(trust, out->key_id, &last, err);
    if (st != CG_OK)
        goto fail;
    if (out->m.sequence < last) {
        st = cg__fail(err, CG_E_INVAL, "%s: package sequence %lld is older than %lld, the last "
                                       "imported from this key: rollback refused", dir,
                      (long long)out->m.sequence, (long long)last);
        goto fail;
    }
    if (trust->last_sequence == NULL && out->m.base_sequence >= 0 &&
        last < out->m.base_sequence) {
        st = cg__fail(err, CG_E_INVAL, "%s: package %lld is a delta on %lld, but the last "
                                       "imported from this key is %lld: import %lld first", dir,
                      (long long)out->m.sequence, (long long)out->m.base_sequence,
                      (long long)last, (long long)out->m.base_sequence);
        goto fail;
    }
    for (size_t i = 0; i < out->m.n_files; i++) {
        const cg_package_file *f = &out->m.files[i];
        const char *fname = cg_package_kind_file(f->kind);
        uint8_t digest[32];
        unsigned dl = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, fname);
        st = src->read(src->ud, fname, CG_PACKAGE_PAYLOAD_MAX, &out->payload[i],
                       &out->payload_len[i], err);
        if (st != CG_OK)
            goto fail;
        if (EVP_Digest(out->payload[i], out->payload_len[i], digest, &dl, EVP_sha256(), NULL) !=
                1 || dl != 32) {
            st = cg__fail(err, CG_E_BACKEND, "%s: OpenSSL SHA-256 failed", path);
            goto fail;
        }
        if (memcmp(digest, f->sha256, 32) != 0 || out->payload_len[i] != f->bytes) {
            st = cg__fail(err, CG_E_INVAL, "%s: differs from the signed manifest (tampered or "
                                           "damaged): refused", path);
            goto fail;
        }
        if (count_lines(out->payload[i], out->payload_len[i]) != f->count) {
            st = cg__fail(err, CG_E_INVAL, "%s: %llu lines, the manifest says %llu", path,
                          (unsigned long long)count_lines(out->payload[i],
                                                          out->payload_len[i]),
                          (unsigned long long)f->count);
            goto fail;
        }
        {
            /* Every line must parse before anything is applied. */
            line_check c = {f->kind, path, err};

            st = cg__package_each_line((const char *)out->payload[i], out->payload_len[i],
                                       check_line, &c);
            if (st != CG_OK)
                goto fail;
        }
    }
    cg__free(man);
    cg__free(sig);
    cg__free(trusted);
    return CG_OK;
fail:
    cg__free(man);
    cg__free(sig);
    cg__free(trusted);
    cg__package_close(out);
    return st;
}

cg_status cg_package_verify(const char *dir, const cg_package_trust *trust,
                            cg_package_manifest *m, uint8_t *key_id, cg_error *err)
{
    cg__package p;
    cg_status st = cg__package_open(dir, trust, &p, err);

    if (st == CG_OK) {
        *m = p.m;
        if (key_id != NULL)
            memcpy(key_id, p.key_id, 8);
    } else {
        memset(m, 0, sizeof(*m));
    }
    cg__package_close(&p);
    return st;
}
