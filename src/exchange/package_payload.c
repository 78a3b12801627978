/* The JSON-lines payloads of a signed package: one object per line.
 *   adds.jsonl      {"signal_type":"pdq","signal":"<hex>","external_id":"..","note":".."}
 *   removals.jsonl  {"signal_type":"pdq","signal":"<hex>"}
 *   disables.jsonl  {"signal_type":"pdq","signal":"<hex>","until":1799999999}
 * Unknown keys are refused so that a typo is an error, not a silently ignored field. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "package_int.h"

static int copy_text(json_t *o, const char *k, char *out, size_t cap)
{
    json_t *v = json_object_get(o, k);

    out[0] = '\0';
    if (v == NULL)
        return 1;
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
        return 0;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 1;
}

cg_status cg__package_line_parse(cg_package_kind kind, const char *line, size_t len,
                                 cg__package_line *out, char *why, size_t cap)
{
    json_error_t je;
    json_t *o;
    const char *tn, *hex, *k;
    json_t *v, *until;
    cg_status st = CG_E_INVAL;

    memset(out, 0, sizeof(*out));
    out->until = INT64_MAX;
    if (len > CG_PACKAGE_LINE_MAX) {
        snprintf(why, cap, "line longer than %d bytes", CG_PACKAGE_LINE_MAX);
        return CG_E_INVAL;
    }
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        snprintf(why, cap, "not a JSON object");
        goto done;
    }
    json_object_foreach(o, k, v) {
        int known = strcmp(k, "signal_type") == 0 || strcmp(k, "signal") == 0 ||
                    (kind == CG_PACKAGE_ADDS &&
                     (strcmp(k, "external_id") == 0 || strcmp(k, "note") == 0)) ||
                    (kind == CG_PACKAGE_DISABLES && strcmp(k, "until") == 0);
        if (!known) {
            snprintf(why, cap, "unknown key \"%.40s\"", k);
            goto done;
        }
    }
    tn = json_string_value(json_object_get(o, "signal_type"));
    hex = json_string_value(json_object_get(o, "signal"));
    out->type = tn ? cg_signal_type_find(tn) : NULL;
    if (out->type == NULL) {
        snprintf(why, cap, "signal_type missing or unknown");
        goto done;
    }
    if (hex == NULL || strlen(hex) != out->type->hex_len ||
        out->type->parse(hex, strlen(hex), out->value) != CG_OK) {
        snprintf(why, cap, "signal is not a %s value", out->type->name);
        goto done;
    }
    if (!copy_text(o, "external_id", out->external_id, sizeof(out->external_id)) ||
        !copy_text(o, "note", out->note, sizeof(out->note))) {
        snprintf(why, cap, "external_id or note not a string or too long");
        goto done;
    }
    until = json_object_get(o, "until");
    if (until != NULL) {
        if (!json_is_integer(until) || json_integer_value(until) <= 0) {
            snprintf(why, cap, "until must be a positive integer (unix seconds)");
            goto done;
        }
        out->until = json_integer_value(until);
    }
    st = CG_OK;
done:
    json_decref(o);
    return st;
}

cg_status cg__package_each_line(const char *buf, size_t len,
                                cg_status (*fn)(const char *line, size_t n, uint64_t lineno,
                                                void *ud),
                                void *ud)
{
    uint64_t lineno = 0;
    size_t i = 0;

    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
        cg_status st;

        lineno++;
        if (n > 0 && buf[i + n - 1] == '\r')
            n--;
        if (n > 0) {
            st = fn(buf + i, n, lineno, ud);
            if (st != CG_OK)
                return st;
        }
        i += (nl ? (size_t)(nl - (buf + i)) + 1 : len - i);
    }
    return CG_OK;
}
