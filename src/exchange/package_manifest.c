/* manifest.json of a signed package (docs/exchange.md, "Signed packages"):
 *
 *   {"format":"childguard-package/1","producer":"hotline-a","bank":"csam-shared",
 *    "label":"csam","sequence":7,"base_sequence":6,"created":"2026-12-07T00:00:00Z",
 *    "expires":"2027-01-06T00:00:00Z","files":[{"name":"adds.jsonl","sha256":"<hex>",
 *    "count":120,"bytes":9000}]}
 *
 * Parsed strictly: an unknown key, a missing or mistyped field, a file name other than the
 * three payload names, a file listed twice: CG_E_INVAL naming the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "childguard/hex.h"
#include "childguard/package.h"
#include "childguard/timestamp.h"
#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

#define FORMAT "childguard-package/1"

static const char *const kind_files[CG_PACKAGE_MAX_FILES] = {"adds.jsonl", "removals.jsonl",
                                                              "disables.jsonl"};

const char *cg_package_kind_file(cg_package_kind kind)
{
    return (unsigned)kind < CG_PACKAGE_MAX_FILES ? kind_files[kind] : NULL;
}

static int get_text(json_t *o, const char *k, char *out, size_t cap, int required)
{
    json_t *v = json_object_get(o, k);
    size_t n;

    if (v == NULL)
        return !required;
    if (!json_is_string(v))
        return 0;
    n = json_string_length(v);
    if (n >= cap || (required && n == 0) || memchr(json_string_value(v), '\0', n) != NULL)
        return 0;
    memcpy(out, json_string_value(v), n + 1);
    return 1;
}

static int get_time(json_t *o, const char *k, int64_t *out)
{
    const char *s = json_string_value(json_object_get(o, k));
    int64_t ms;

    /* Before 1970 is refused: no package is that old, and a manifest must write back the same. */
    if (s == NULL || cg_timestamp_parse(s, &ms, NULL) != CG_OK || ms < 0)
        return 0;
    *out = ms / 1000;
    return 1;
}

static int only_keys(json_t *o, const char *const *keys, const char **bad)
{
    const char *k;
    json_t *v;

    json_object_foreach(o, k, v) {
        size_t i;

        for (i = 0; keys[i] != NULL; i++)
            if (strcmp(k, keys[i]) == 0)
                break;
        if (keys[i] == NULL) {
            *bad = k;
            return 0;
        }
    }
    return 1;
}

static cg_status parse_files(const char *name, json_t *files, cg_package_manifest *m,
                             cg_error *err)
{
    static const char *const keys[] = {"name", "sha256", "count", "bytes", NULL};

    if (!json_is_array(files) || json_array_size(files) > CG_PACKAGE_MAX_FILES)
        return cg__fail(err, CG_E_INVAL, "%s: \"files\" must be an array of at most %d files",
                        name, CG_PACKAGE_MAX_FILES);
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        const char *fname = json_string_value(json_object_get(f, "name"));
        const char *hex = json_string_value(json_object_get(f, "sha256"));
        json_t *count = json_object_get(f, "count"), *bytes = json_object_get(f, "bytes");
        const char *bad = NULL;
        cg_package_file *pf = &m->files[m->n_files];
        int kind = -1;

        if (!json_is_object(f) || !only_keys(f, keys, &bad))
            return cg__fail(err, CG_E_INVAL, "%s: files[%zu]: %s%s", name, i,
                            bad ? "unknown key " : "not an object", bad ? bad : "");
        for (int k = 0; k < CG_PACKAGE_MAX_FILES; k++)
            if (fname != NULL && strcmp(fname, kind_files[k]) == 0)
                kind = k;
        if (kind < 0)
            return cg__fail(err, CG_E_INVAL, "%s: files[%zu]: name must be adds.jsonl, "
                                             "removals.jsonl or disables.jsonl", name, i);
        for (size_t j = 0; j < m->n_files; j++)
            if ((int)m->files[j].kind == kind)
                return cg__fail(err, CG_E_INVAL, "%s: files[%zu]: %s listed twice", name, i,
                                fname);
        if (hex == NULL || strlen(hex) != 64 || cg_hex_decode(hex, 64, pf->sha256, 32) != CG_OK)
            return cg__fail(err, CG_E_INVAL, "%s: files[%zu]: sha256 must be 64 hex digits",
                            name, i);
        if (!json_is_integer(count) || json_integer_value(count) < 0 ||
            !json_is_integer(bytes) || json_integer_value(bytes) < 0)
            return cg__fail(err, CG_E_INVAL, "%s: files[%zu]: count and bytes must be "
                                             "non-negative integers", name, i);
        pf->kind = (cg_package_kind)kind;
        pf->count = (uint64_t)json_integer_value(count);
        pf->bytes = (uint64_t)json_integer_value(bytes);
        m->n_files++;
    }
    return CG_OK;
}

cg_status cg_package_manifest_parse(const char *name, const char *json, size_t len,
                                    cg_package_manifest *m, cg_error *err)
{
    static const char *const keys[] = {"format", "producer", "bank", "label", "sequence",
                                       "base_sequence", "created", "expires", "files", NULL};
    json_error_t je;
    json_t *o, *seq, *base;
    const char *bad = NULL;
    cg_status st = CG_OK;

    memset(m, 0, sizeof(*m));
    o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: not JSON (line %d: %s)", name, je.line, je.text);
    seq = json_object_get(o, "sequence");
    base = json_object_get(o, "base_sequence");
    if (!json_is_object(o)) {
        st = cg__fail(err, CG_E_INVAL, "%s: not a JSON object", name);
    } else if (!only_keys(o, keys, &bad)) {
        st = cg__fail(err, CG_E_INVAL, "%s: unknown key \"%.64s\"", name, bad);
    } else if (json_string_value(json_object_get(o, "format")) == NULL ||
               strcmp(json_string_value(json_object_get(o, "format")), FORMAT) != 0) {
        st = cg__fail(err, CG_E_INVAL, "%s: \"format\" must be \"" FORMAT "\"", name);
    } else if (!get_text(o, "producer", m->producer, sizeof(m->producer), 1) ||
               !get_text(o, "bank", m->bank, sizeof(m->bank), 1) ||
               !get_text(o, "label", m->label, sizeof(m->label), 0)) {
        st = cg__fail(err, CG_E_INVAL, "%s: producer and bank (and label) must be strings of "
                                       "1..%d bytes", name, CG_PACKAGE_FIELD_MAX);
    } else if (!json_is_integer(seq) || json_integer_value(seq) < 1) {
        st = cg__fail(err, CG_E_INVAL, "%s: \"sequence\" must be an integer >= 1", name);
    } else if (!(json_is_null(base) ||
                 (json_is_integer(base) && json_integer_value(base) >= 0 &&
                  json_integer_value(base) < json_integer_value(seq)))) {
        st = cg__fail(err, CG_E_INVAL, "%s: \"base_sequence\" must be null or an integer "
                                       "below sequence", name);
    } else if (!get_time(o, "created", &m->created) || !get_time(o, "expires", &m->expires)) {
        st = cg__fail(err, CG_E_INVAL, "%s: \"created\" and \"expires\" must be ISO-8601 "
                                       "times from 1970 on", name);
    } else if (m->expires <= m->created) {
        st = cg__fail(err, CG_E_INVAL, "%s: \"expires\" is not after \"created\"", name);
    } else {
        m->sequence = json_integer_value(seq);
        m->base_sequence = json_is_integer(base) ? json_integer_value(base) : -1;
        st = parse_files(name, json_object_get(o, "files"), m, err);
    }
    json_decref(o);
    if (st != CG_OK)
        memset(m, 0, sizeof(*m));
    return st;
}

cg_status cg_package_manifest_write(const cg_package_manifest *m, char **out, cg_error *err)
{
    char created[32], expires[32], hex[65];
    json_t *o, *files;
    char *text, *copy;

    *out = NULL;
    cg__exchange_format_time(m->created, created, sizeof(created));
    cg__exchange_format_time(m->expires, expires, sizeof(expires));
    files = json_array();
    for (size_t i = 0; files != NULL && i < m->n_files; i++) {
        cg_hex_encode(m->files[i].sha256, 32, hex);
        if (json_array_append_new(files, json_pack("{sssssIsI}", "name",
                                                   cg_package_kind_file(m->files[i].kind),
                                                   "sha256", hex, "count",
                                                   (json_int_t)m->files[i].count, "bytes",
                                                   (json_int_t)m->files[i].bytes)) != 0) {
            json_decref(files);
            files = NULL;
        }
    }
    o = files == NULL ? NULL
                      : json_pack("{sssssssssIsosssssO}", "format", FORMAT, "producer",
                                  m->producer, "bank", m->bank, "label", m->label, "sequence",
                                  (json_int_t)m->sequence, "base_sequence",
                                  m->base_sequence >= 0 ? json_integer(m->base_sequence)
                                                        : json_null(),
                                  "created", created, "expires", expires, "files", files);
    json_decref(files);
    text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (text == NULL)
        return cg__fail(err, CG_E_NOMEM, "manifest: out of memory");
    copy = cg__malloc(strlen(text) + 2);
    if (copy != NULL)
        snprintf(copy, strlen(text) + 2, "%s\n", text);
    free(text);
    if (copy == NULL)
        return cg__fail(err, CG_E_NOMEM, "manifest: out of memory");
    *out = copy;
    return CG_OK;
}
