/* The `file` exchange: a hash list (any format `childguard bank import` reads: one hash per
 * line, CSV, TSV, JSON lines; docs/list-formats.md) at a path (base_url "file:///abs/path") or
 * an https URL (through the injected transport). docs/exchange.md "file".
 *
 * The list is the whole truth, so removals are honoured (HMA's file exchange only adds): the
 * checkpoint holds the SHA-256 of the list last read and how many of its records were applied.
 * A list whose SHA-256 differs is a new full list: its first page says checkpoint_reset, which
 * opens a new link generation (exchange_run.c), and when its last page is applied the sweep
 * removes every hash the new list no longer holds. The same list again is nothing to do. A
 * list is read in pages of page_size records (default 100,000); each page reads the list again
 * and skips what was applied (stateless between calls), and a list that changed between two
 * pages starts over.
 *
 * Hostile input: a body over max_body (64 MiB by default) is refused; a truncated download or
 * something that is plainly not a hash list (binary, the first 100 data lines all rejected)
 * fails the page without touching the bank or the checkpoint; a bad line is counted in
 * n_rejected and skipped. */
#define _GNU_SOURCE /* fmemopen */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"
#include "store/list.h"

#define FILE_PAGE_SIZE 100000

/* Reads the list into *buf (cg_free) from base_url: "file://" + absolute path, or a URL. */
static cg_status read_list(const cg_exchange_config *cfg, char **buf, size_t *len, cg_error *err)
{
    const size_t cap = cfg->max_body ? cfg->max_body : (size_t)64 << 20;
    const char *u = cfg->base_url;

    *buf = NULL;
    *len = 0;
    if (strncmp(u, "file://", 7) == 0) {
        const char *path = u + 7;
        FILE *f;
        char *b;
        size_t n = 0;

        if (path[0] != '/')
            return cg__fail(err, CG_E_INVAL, "exchange %s: %s: a file:// list needs an absolute "
                            "path", cfg->name, u);
        f = fopen(path, "rb");
        if (f == NULL)
            return cg__fail(err, CG_E_IO, "exchange %s: %s: %s", cfg->name, path,
                            strerror(errno));
        b = cg__malloc(cap + 2);
        if (b == NULL) {
            fclose(f);
            return cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", cfg->name);
        }
        n = fread(b, 1, cap + 1, f);
        if (ferror(f)) {
            fclose(f);
            cg__free(b);
            return cg__fail(err, CG_E_IO, "exchange %s: %s: read error", cfg->name, path);
        }
        fclose(f);
        if (n > cap) {
            cg__free(b);
            return cg__fail(err, CG_E_LIMIT, "exchange %s: %s is larger than %zu bytes (max_body)",
                            cfg->name, path, cap);
        }
        b[n] = '\0';
        *buf = b;
        *len = n;
        return CG_OK;
    }
    {
        cg_http_response resp;
        cg_status st = cg__exchange_send(cfg, "GET", u, NULL, 0, NULL, 0, &resp, err);

        if (st != CG_OK)
            return st; /* resp freed; a truncated body is CG_E_DECODE */
        *buf = resp.body;
        *len = resp.body_len;
        if (*buf == NULL) {
            *buf = cg__malloc(1);
            if (*buf == NULL)
                return cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", cfg->name);
            (*buf)[0] = '\0';
        }
        return CG_OK;
    }
}

static int sha256_hex(const char *buf, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;

    if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* The checkpoint's sha256, offset and done; 0 when it is empty, -1 when it is not ours. */
static int read_cp(const char *cp, char sha[65], int64_t *offset, int *done)
{
    json_t *o, *s, *d;
    int ok;

    sha[0] = '\0';
    *offset = 0;
    *done = 0;
    if (cp == NULL || cp[0] == '\0')
        return 0;
    o = json_loads(cp, JSON_REJECT_DUPLICATES, NULL);
    s = json_is_object(o) ? json_object_get(o, "sha256") : NULL;
    d = json_is_object(o) ? json_object_get(o, "done") : NULL;
    ok = json_is_string(s) && strlen(json_string_value(s)) == 64 &&
         cg__cp_get_int(o, "offset", offset) && (d == NULL || json_is_boolean(d));
    *done = json_is_true(d);
    if (ok)
        memcpy(sha, json_string_value(s), 65);
    json_decref(o);
    return ok ? 0 : -1;
}

static cg_status file_fetch(const cg_exchange_config *cfg, const char *checkpoint,
                            cg_exchange_delta *out, cg_error *err)
{
    const size_t page = cfg->page_size ? cfg->page_size : FILE_PAGE_SIZE;
    char old_sha[65], sha[65];
    int64_t offset = 0, seen = 0;
    cg__list_reader *rd = NULL;
    cg_import_options io;
    char *buf = NULL;
    size_t len = 0;
    FILE *in = NULL;
    int more = 0, done = 0;
    cg_status st;

    if (cfg->base_url == NULL || cfg->base_url[0] == '\0')
        return cg__fail(err, CG_E_INVAL, "exchange %s: a file exchange needs base_url (an "
                        "https:// URL or file:///path)", cfg->name);
    if (read_cp(checkpoint, old_sha, &offset, &done) != 0)
        return cg__fail(err, CG_E_INVAL, "exchange %s: unreadable checkpoint", cfg->name);
    st = read_list(cfg, &buf, &len, err);
    if (st != CG_OK)
        return st;
    if (sha256_hex(buf, len, sha) != 0) {
        cg__free(buf);
        return cg__fail(err, CG_E_NOMEM, "exchange %s: SHA-256 failed", cfg->name);
    }
    if (strcmp(sha, old_sha) != 0) {
        /* A new list (or the first): read it all, sweep what it no longer holds. */
        offset = 0;
        out->checkpoint_reset = 1;
    } else if (done) { /* the same list, all applied: nothing to do */
        cg__free(buf);
        st = cg__cp_emit(out, json_pack("{s:s, s:I, s:b}", "sha256", sha, "offset",
                                        (json_int_t)offset, "done", 1));
        return st == CG_OK ? CG_OK
                           : cg__fail(err, st, "exchange %s: out of memory", cfg->name);
    }
    memset(&io, 0, sizeof(io));
    io.format = CG_LIST_AUTO;
    in = len > 0 ? fmemopen(buf, len, "r") : NULL;
    if (len > 0 && in == NULL) {
        cg__free(buf);
        return cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", cfg->name);
    }
    if (in != NULL)
        st = cg__list_reader_open(in, &io, &rd, err);
    while (st == CG_OK && rd != NULL) {
        cg_bank_signal s;
        const char *reject = NULL;
        int got = 0;

        st = cg__list_reader_next(rd, &s, &got, &reject, err);
        if (st != CG_OK || !got)
            break;
        if (seen++ < offset)
            continue; /* applied by an earlier page */
        if ((size_t)(seen - offset) > page) {
            more = 1;
            seen--;
            break;
        }
        if (reject != NULL) {
            cg__delta_reject(out, "line %llu: %s",
                             (unsigned long long)cg__list_reader_line(rd), reject);
            continue;
        }
        if (s.type->bytes > CG_SIGNAL_MAX_BYTES || strcmp(s.type->name, "vpdq") == 0) {
            cg__delta_reject(out, "line %llu: %s lists are not read by the file exchange",
                             (unsigned long long)cg__list_reader_line(rd), s.type->name);
            continue;
        }
        {
            char hex[2 * CG_SIGNAL_MAX_BYTES + 1], key[CG_BANK_FIELD_MAX + 1];
            cg_exchange_record *r = NULL;

            s.type->format(s.value, hex);
            snprintf(key, sizeof(key), "file:%s:%s", s.type->name, hex);
            st = cg__delta_add(out, key, "", "", "", &r);
            if (st != CG_OK) {
                st = cg__fail(err, CG_E_NOMEM, "exchange %s: out of memory", cfg->name);
                break;
            }
            r->hashes[0].type = s.type;
            memcpy(r->hashes[0].value, s.value, s.type->bytes);
            r->n_hashes = 1;
        }
    }
    if (rd != NULL)
        cg__list_reader_close(rd);
    if (in != NULL)
        fclose(in);
    cg__free(buf);
    if (st != CG_OK) {
        /* Not a hash list, or a read error: nothing of it is applied, the checkpoint stays. */
        cg__delta_truncate(out, 0);
        out->checkpoint_reset = 0;
        char why[CG_ERROR_MAX];

        if (st == CG_E_NOMEM)
            return st;
        snprintf(why, sizeof(why), "%s", err != NULL ? err->message : "not a hash list");
        return cg__fail(err, CG_E_DECODE, "exchange %s: %.300s: %s", cfg->name, cfg->base_url,
                        why);
    }
    out->more = more;
    st = cg__cp_emit(out, json_pack("{s:s, s:I, s:b}", "sha256", sha, "offset", (json_int_t)seen,
                                    "done", !more));
    return st == CG_OK ? CG_OK : cg__fail(err, st, "exchange %s: out of memory", cfg->name);
}

static cg_status file_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                               cg_error *err)
{
    (void)fb;
    return cg__fail(err, CG_E_UNSUPPORTED, "exchange %s: a file exchange takes no feedback",
                    cfg->name);
}

const cg_exchange_driver cg__exchange_file = {"file", file_fetch, file_feedback, NULL};
