/* Writing signed packages: sealing a directory of payloads (manifest + minisign signature) and
 * exporting a bank as a full-list package. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "package_int.h"

typedef struct seal_check {
    cg_package_kind kind;
    const char *path;
    uint64_t lines;
    cg_error *err;
} seal_check;

static cg_status seal_line(const char *line, size_t n, uint64_t lineno, void *ud)
{
    seal_check *c = ud;
    cg__package_line l;
    char why[160];

    if (cg__package_line_parse(c->kind, line, n, &l, why, sizeof(why)) != CG_OK)
        return cg__fail(c->err, CG_E_INVAL, "%s:%llu: %s", c->path, (unsigned long long)lineno,
                        why);
    c->lines++;
    return CG_OK;
}

cg_status cg_package_seal(const char *dir, cg_package_manifest *m, const cg_minisign_seckey *sk,
                          cg_error *err)
{
    char path[4096], comment[256];
    char *man = NULL, *sig = NULL;
    cg_status st = CG_OK;

    m->n_files = 0;
    for (int k = 0; k < CG_PACKAGE_MAX_FILES && st == CG_OK; k++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        unsigned dl = 0;
        cg_package_file *f = &m->files[m->n_files];
        seal_check c = {(cg_package_kind)k, path, 0, err};

        snprintf(path, sizeof(path), "%s/%s", dir, cg_package_kind_file((cg_package_kind)k));
        if (access(path, F_OK) != 0 && errno == ENOENT)
            continue;
        st = cg__read_file(path, CG_PACKAGE_PAYLOAD_MAX, &buf, &len, err);
        if (st == CG_OK)
            st = cg__package_each_line((const char *)buf, len, seal_line, &c);
        if (st == CG_OK &&
            (EVP_Digest(buf, len, f->sha256, &dl, EVP_sha256(), NULL) != 1 || dl != 32))
            st = cg__fail(err, CG_E_BACKEND, "%s: OpenSSL SHA-256 failed", path);
        cg__free(buf);
        if (st == CG_OK) {
            f->kind = (cg_package_kind)k;
            f->count = c.lines;
            f->bytes = len;
            m->n_files++;
        }
    }
    if (st != CG_OK)
        return st;
    if (m->sequence < 1 || m->expires <= m->created || m->producer[0] == '\0' ||
        m->bank[0] == '\0' || m->base_sequence >= m->sequence)
        return cg__fail(err, CG_E_INVAL, "%s: the manifest needs a producer, a bank, a sequence "
                                         ">= 1 above its base, and expires after created", dir);
    st = cg_package_manifest_write(m, &man, err);
    if (st == CG_OK) {
        snprintf(comment, sizeof(comment), "childguard package producer:%.64s bank:%.64s "
                                           "sequence:%lld", m->producer, m->bank,
                 (long long)m->sequence);
        st = cg_minisign_sign(sk, man, strlen(man), comment, &sig, err);
    }
    if (st == CG_OK) {
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
        st = cg__package_write_atomic(path, man, strlen(man), err);
    }
    if (st == CG_OK) {
        snprintf(path, sizeof(path), "%s/manifest.json.minisig", dir);
        st = cg__package_write_atomic(path, sig, strlen(sig), err);
    }
    cg__free(man);
    cg__free(sig);
    return st;
}

typedef struct export_ctx {
    FILE *f;
    int failed;
} export_ctx;

static int export_one(const cg_bank_signal *s, void *ud)
{
    export_ctx *c = ud;
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1];
    json_t *o;
    char *line;

    if (s->disabled_until != 0)
        return 0;
    s->type->format(s->value, hex);
    o = json_pack("{ssss}", "signal_type", s->type->name, "signal", hex);
    if (o != NULL && s->external_id[0] != '\0')
        json_object_set_new(o, "external_id", json_string(s->external_id));
    if (o != NULL && s->note[0] != '\0')
        json_object_set_new(o, "note", json_string(s->note));
    line = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (line == NULL || fprintf(c->f, "%s\n", line) < 0) {
        free(line);
        c->failed = 1;
        return 1;
    }
    free(line);
    return 0;
}

cg_status cg_package_export(cg_bankdb *db, int64_t bank_id, const char *dir,
                            cg_package_manifest *m, const cg_minisign_seckey *sk, cg_error *err)
{
    char path[4096], tmp[4200];
    export_ctx c = {NULL, 0};
    cg_status st;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return cg__fail(err, CG_E_IO, "%s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/adds.jsonl", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    c.f = fopen(tmp, "w");
    if (c.f == NULL)
        return cg__fail(err, CG_E_IO, "%s: %s", tmp, strerror(errno));
    st = cg_bank_signal_foreach(db, bank_id, NULL, export_one, &c, err);
    if (st == CG_OK && c.failed)
        st = cg__fail(err, CG_E_IO, "%s: write failed", tmp);
    if (fflush(c.f) != 0 || fsync(fileno(c.f)) != 0) {
        if (st == CG_OK)
            st = cg__fail(err, CG_E_IO, "%s: %s", tmp, strerror(errno));
    }
    fclose(c.f);
    if (st == CG_OK && rename(tmp, path) != 0)
        st = cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
    if (st != CG_OK) {
        unlink(tmp);
        return st;
    }
    /* A full list: payloads of an earlier delta in the same directory are not part of it. */
    for (int k = CG_PACKAGE_REMOVALS; k <= CG_PACKAGE_DISABLES; k++) {
        snprintf(path, sizeof(path), "%s/%s", dir, cg_package_kind_file((cg_package_kind)k));
        if (unlink(path) != 0 && errno != ENOENT)
            return cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
    }
    m->base_sequence = -1;
    return cg_package_seal(dir, m, sk, err);
}
