/* The `package` exchange: a signed package (docs/exchange.md "Signed packages") read as an
 * exchange, from a directory or a .tar file on this machine (base_url "file:///abs/path") or a
 * .tar at an https URL (through the injected transport). docs/exchange.md "A signed package as
 * an exchange".
 *
 * Every page opens the package again with cg__package_open_source, the importer's verifier
 * (minisign signature by one of the configured trusted keys, payloads against the signed
 * manifest, not expired, sequence not below the last one applied), and emits the next
 * page_size of its lines as records keyed "package:<type>:<hex>": adds add, removals delete,
 * a disable still in force deletes (the exchange's bank has adds and deletions only; see the
 * doc). The checkpoint holds the last package applied completely ("seq", and "sha", the
 * package's identity: key id, sequence, base and payload digests), and the one being applied
 * ("cur", "cur_sha", "done": lines applied), so a run cut between pages resumes where it
 * stopped and a page is never applied twice under another identity.
 *
 * - A full list (base_sequence null) starts over (checkpoint_reset: a new link generation), and
 *   the run that applies its last page sweeps what it no longer lists.
 * - A delta whose base is the last package applied is applied as it is.
 * - A delta on anything else (a package missed, the first fetch, a package superseded
 *   half-way) cannot be applied correctly: the driver reads the producer's latest full list
 *   from full_url instead (a full refetch); without full_url the run fails naming it.
 * - The same sequence with other contents, a lower sequence (rollback), an expired package, a
 *   key not trusted, a payload that differs from the manifest, a cut or foreign tar: the run
 *   fails with the reason and neither the bank nor the checkpoint changes. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "childguard/hex.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "exchange_int.h"
#include "package_int.h"

#define PACKAGE_PAGE_SIZE 100000
#define MAX_KEYS 16

typedef struct cp_state {
    int64_t seq, cur, done;
    char sha[65], cur_sha[65];
} cp_state;

static int get_sha(json_t *o, const char *k, char out[65])
{
    json_t *v = json_object_get(o, k);
    const char *s = json_string_value(v);

    out[0] = '\0';
    if (v == NULL)
        return 1;
    if (s == NULL || (strlen(s) != 64 && s[0] != '\0'))
        return 0;
    memcpy(out, s, strlen(s) + 1);
    return 1;
}

/* 0 (empty or read), -1 when the checkpoint is not ours. */
static int read_cp(const char *cp, cp_state *s)
{
    json_t *o;
    int ok;

    memset(s, 0, sizeof(*s));
    if (cp == NULL || cp[0] == '\0')
        return 0;
    o = json_loads(cp, JSON_REJECT_DUPLICATES, NULL);
    ok = json_is_object(o) && cg__cp_get_int(o, "seq", &s->seq) &&
         cg__cp_get_int(o, "cur", &s->cur) && cg__cp_get_int(o, "done", &s->done) &&
         get_sha(o, "sha", s->sha) && get_sha(o, "cur_sha", s->cur_sha);
    json_decref(o);
    return ok ? 0 : -1;
}

/* The package's identity: SHA-256 over key id, sequence, base and each payload's kind and
 * digest (all signed), as hex. */
static int identity(const cg__package *p, char out[65])
{
    uint8_t buf[8 + 16 + CG_PACKAGE_MAX_FILES * 33], md[32];
    size_t n = 0;
    unsigned dl = 0;

    memcpy(buf, p->key_id, 8);
    n = 8;
    memcpy(buf + n, &p->m.sequence, 8);
    memcpy(buf + n + 8, &p->m.base_sequence, 8);
    n += 16;
    for (size_t i = 0; i < p->m.n_files; i++) {
        buf[n++] = (uint8_t)p->m.files[i].kind;
        memcpy(buf + n, p->m.files[i].sha256, 32);
        n += 32;
    }
    if (EVP_Digest(buf, n, md, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
        return -1;
    cg_hex_encode(md, 32, out);
    return 0;
}

/* Opens the package at url (file:///dir, file:///x.tar, https://.../x.tar) with trust. */
static cg_status open_package(const cg_exchange_config *cfg, const char *url,
                              const cg_package_trust *trust, cg__package *p, cg_error *err)
{
    const size_t cap = cfg->max_body ? cfg->max_body : (size_t)64 << 20;
    uint8_t *tar = NULL;
    size_t len = 0;
    cg__package_tar idx;
    cg__package_source src;
    cg_status st;

    memset(p, 0, sizeof(*p));
    if (strncmp(url, "file://", 7) == 0) {
        const char *path = url + 7;
        struct stat sb;

        if (path[0] != '/')
            return cg__fail(err, CG_E_INVAL, "exchange %s: %s: a file:// package needs an "
                            "absolute path", cfg->name, url);
        if (stat(path, &sb) != 0)
            return cg__fail(err, CG_E_IO, "exchange %s: %s: no such package", cfg->name, path);
        if (S_ISDIR(sb.st_mode))
            return cg__package_open(path, trust, p, err);
        st = cg__read_file(path, cap, &tar, &len, err);
    } else {
        cg_http_response resp;

        st = cg__exchange_send(cfg, "GET", url, NULL, 0, NULL, 0, &resp, err);
        if (st == CG_OK) {
            tar = (uint8_t *)resp.body;
            len = resp.body_len;
            resp.body = NULL;
        }
    }
    if (st != CG_OK)
        return st;
    st = cg__package_tar_index(url, tar, len, &idx, err);
    if (st == CG_OK) {
        src.name = url;
        src.read = cg__package_tar_read;
        src.ud = &idx;
        st = cg__package_open_source(&src, trust, p, err);
    }
    cg__free(tar);
    return st;
}

typedef struct emit_ctx {
    cg_exchange_delta *out;
    const cg__package *p;
    cg_package_kind kind;
    int64_t skip, index, now;
    size_t page, emitted;
    cg_error *err;
} emit_ctx;

static cg_status emit_line(const char *line, size_t n, uint64_t lineno, void *ud)
{
    emit_ctx *c = ud;
    cg__package_line l;
    char why[160], hex[2 * CG_SIGNAL_MAX_BYTES + 1], key[CG_BANK_FIELD_MAX + 1];
    cg_exchange_record *r = NULL;

    if (c->index++ < c->skip)
        return CG_OK; /* applied by an earlier page */
    if (c->emitted == c->page)
        return CG_E_LIMIT; /* the page is full: stop here */
    c->emitted++;
    if (cg__package_line_parse(c->kind, line, n, &l, why, sizeof(why)) != CG_OK) {
        cg__delta_reject(c->out, "%s line %llu: %s", cg_package_kind_file(c->kind),
                         (unsigned long long)lineno, why);
        return CG_OK; /* cannot happen: every line was checked when the package was opened */
    }
    if (l.type->bytes > CG_SIGNAL_MAX_BYTES || strcmp(l.type->name, "vpdq") == 0) {
        cg__delta_reject(c->out, "%s line %llu: %s is not read by the package exchange",
                         cg_package_kind_file(c->kind), (unsigned long long)lineno,
                         l.type->name);
        return CG_OK;
    }
    if (c->kind == CG_PACKAGE_DISABLES && l.until <= c->now)
        return CG_OK; /* a disable that has ended: nothing to do */
    l.type->format(l.value, hex);
    snprintf(key, sizeof(key), "package:%s:%s", l.type->name, hex);
    if (cg__delta_add(c->out, key, c->p->m.producer, "", c->p->m.label, &r) != CG_OK)
        return cg__fail(c->err, CG_E_NOMEM, "package: out of memory");
    r->deleted = c->kind != CG_PACKAGE_ADDS;
    r->timestamp = c->p->m.created;
    if (!r->deleted) {
        r->hashes[0].type = l.type;
        memcpy(r->hashes[0].value, l.value, l.type->bytes);
        r->n_hashes = 1;
    }
    return CG_OK;
}

/* Emits lines [skip, skip + page) of p (adds, then removals, then disables). *finished: no line
 * is left after them. */
static cg_status emit_page(const cg_exchange_config *cfg, const cg__package *p, int64_t skip,
                           size_t page, int64_t now, cg_exchange_delta *out, int64_t *next,
                           int *finished, cg_error *err)
{
    emit_ctx c = {out, p, CG_PACKAGE_ADDS, skip, 0, now, page, 0, err};
    cg_status st = CG_OK;

    *finished = 1;
    for (int kind = CG_PACKAGE_ADDS; kind <= CG_PACKAGE_DISABLES && st == CG_OK; kind++)
        for (size_t i = 0; i < p->m.n_files && st == CG_OK; i++) {
            if ((int)p->m.files[i].kind != kind)
                continue;
            c.kind = (cg_package_kind)kind;
            st = cg__package_each_line((const char *)p->payload[i], p->payload_len[i],
                                       emit_line, &c);
        }
    if (st == CG_E_LIMIT) { /* stopped at a full page, lines are left */
        *finished = 0;
        st = CG_OK;
    }
    if (st != CG_OK)
        return cg__fail(err, st, "exchange %s: out of memory", cfg->name);
    *next = skip + (int64_t)c.emitted;
    return CG_OK;
}

static cg_status package_fetch(const cg_exchange_config *cfg, const char *checkpoint,
                               cg_exchange_delta *out, cg_error *err)
{
    const size_t page = cfg->page_size ? cfg->page_size : PACKAGE_PAGE_SIZE;
    cg_minisign_pubkey keys[MAX_KEYS];
    cg_package_trust trust;
    cg__package p;
    cp_state cp;
    int64_t last, next = 0, now = cg__exchange_now(cfg), from;
    char ident[65];
    int continuing, finished = 0, opened = 0;
    cg_status st;

    memset(&p, 0, sizeof(p));
    if (cfg->base_url == NULL || cfg->base_url[0] == '\0')
        return cg__fail(err, CG_E_INVAL, "exchange %s: a package exchange needs base_url (a "
                        "directory or .tar as file:///path, or an https:// URL of a .tar)",
                        cfg->name);
    if (cfg->n_trusted_keys == 0 || cfg->n_trusted_keys > MAX_KEYS)
        return cg__fail(err, CG_E_INVAL, "exchange %s: a package exchange needs trusted_keys "
                        "(1 to %d minisign public keys)", cfg->name, MAX_KEYS);
    for (size_t i = 0; i < cfg->n_trusted_keys; i++) {
        const char *k = cfg->trusted_keys[i] != NULL ? cfg->trusted_keys[i] : "";

        st = cg_minisign_pubkey_parse("trusted_keys", k, strlen(k), &keys[i], err);
        if (st != CG_OK)
            return cg__fail(err, CG_E_INVAL, "exchange %s: trusted_keys[%zu] is not a minisign "
                            "public key", cfg->name, i);
    }
    if (read_cp(checkpoint, &cp) != 0)
        return cg__fail(err, CG_E_INVAL, "exchange %s: unreadable checkpoint", cfg->name);
    last = cp.cur > cp.seq ? cp.cur : cp.seq;
    memset(&trust, 0, sizeof(trust));
    trust.now = now;
    trust.keys = keys;
    trust.n_keys = cfg->n_trusted_keys;
    trust.last_sequence = &last;
    st = open_package(cfg, cfg->base_url, &trust, &p, err);
    opened = st == CG_OK;
    if (st == CG_OK && identity(&p, ident) != 0)
        st = cg__fail(err, CG_E_NOMEM, "exchange %s: SHA-256 failed", cfg->name);
    if (st != CG_OK)
        goto out;
    continuing = cp.cur != 0 && p.m.sequence == cp.cur && strcmp(ident, cp.cur_sha) == 0;
    if (!continuing && p.m.base_sequence >= 0 &&
        !(cp.cur == 0 && cp.seq > 0 && p.m.base_sequence == cp.seq) &&
        !(cp.cur == 0 && p.m.sequence == cp.seq)) {
        /* A delta that does not follow the last package applied: a full refetch. */
        const int64_t base = p.m.base_sequence, seq = p.m.sequence;

        cg__package_close(&p);
        opened = 0;
        if (cfg->full_url == NULL || cfg->full_url[0] == '\0') {
            st = cg__fail(err, CG_E_INVAL, "exchange %s: package #%lld is a delta on #%lld, but "
                          "the last package applied is #%lld: set full_url (where the "
                          "producer's full list is) for a full refetch", cfg->name,
                          (long long)seq, (long long)base, (long long)cp.seq);
            goto out;
        }
        st = open_package(cfg, cfg->full_url, &trust, &p, err);
        opened = st == CG_OK;
        if (st == CG_OK && identity(&p, ident) != 0)
            st = cg__fail(err, CG_E_NOMEM, "exchange %s: SHA-256 failed", cfg->name);
        if (st == CG_OK && p.m.base_sequence >= 0)
            st = cg__fail(err, CG_E_INVAL, "exchange %s: full_url holds a delta (#%lld on "
                          "#%lld), not a full list", cfg->name, (long long)p.m.sequence,
                          (long long)p.m.base_sequence);
        if (st != CG_OK)
            goto out;
        continuing = cp.cur != 0 && p.m.sequence == cp.cur && strcmp(ident, cp.cur_sha) == 0;
        if (!continuing && cp.cur == 0 && p.m.sequence == cp.seq) {
            st = cg__fail(err, CG_E_INVAL, "exchange %s: package #%lld is a delta on #%lld, "
                          "and full_url still holds #%lld, applied already: waiting for a newer "
                          "full list", cfg->name, (long long)seq, (long long)base,
                          (long long)p.m.sequence);
            goto out;
        }
    }
    if (!continuing && cp.cur == 0 && p.m.sequence == cp.seq) {
        /* The state at the sequence applied last (the same package, or the full list and the
         * delta of one sequence): nothing to do. */
        st = cg__cp_emit(out, json_pack("{s:I, s:s, s:I, s:s, s:I}", "seq", (json_int_t)cp.seq,
                                        "sha", cp.sha, "cur", (json_int_t)0, "cur_sha", "",
                                        "done", (json_int_t)0));
        goto out;
    }
    /* A new package, or another one with the sequence being applied (re-signed by the
     * producer): from its first line (adds and removals applied again change nothing). */
    from = continuing ? cp.done : 0;
    /* A full list read from its first line starts over: what it does not list is swept. */
    out->checkpoint_reset = p.m.base_sequence < 0 && from == 0;
    st = emit_page(cfg, &p, from, page, now, out, &next, &finished, err);
    if (st != CG_OK)
        goto out;
    out->more = !finished;
    if (finished)
        st = cg__cp_emit(out, json_pack("{s:I, s:s, s:I, s:s, s:I}", "seq",
                                        (json_int_t)p.m.sequence, "sha", ident, "cur",
                                        (json_int_t)0, "cur_sha", "", "done", (json_int_t)0));
    else
        st = cg__cp_emit(out, json_pack("{s:I, s:s, s:I, s:s, s:I}", "seq", (json_int_t)cp.seq,
                                        "sha", cp.sha, "cur", (json_int_t)p.m.sequence,
                                        "cur_sha", ident, "done", (json_int_t)next));
    if (st != CG_OK)
        st = cg__fail(err, st, "exchange %s: out of memory", cfg->name);
out:
    if (opened)
        cg__package_close(&p);
    if (st != CG_OK) {
        /* Nothing of a refused package is applied; the stored checkpoint stays. */
        cg__delta_truncate(out, 0);
        out->checkpoint_reset = 0;
        out->more = 0;
        cg__free(out->checkpoint);
        out->checkpoint = NULL;
    }
    return st;
}

static cg_status package_feedback(const cg_exchange_config *cfg, const cg_exchange_feedback *fb,
                                  cg_error *err)
{
    (void)fb;
    return cg__fail(err, CG_E_UNSUPPORTED, "exchange %s: a package exchange takes no feedback "
                    "(tell the producer directly)", cfg->name);
}

/* No stale checkpoint: a package's age is its manifest's expiry, checked on every page. */
const cg_exchange_driver cg__exchange_package = {"package", package_fetch, package_feedback,
                                                 NULL};
