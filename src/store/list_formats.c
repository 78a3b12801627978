/* The formats of the hash-list reader (list_read_int.h): a record's fields mapped to the roles
 * of a signal (type, value, external id, ...) through a fixed grammar (LINES), the header (CSV,
 * TSV) or the object's keys (JSONL). */
#include "store/list_read_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* Returns the next whitespace-separated token of *p (advancing *p past it), or NULL. */
static char *next_token(char **p)
{
    char *s = *p, *t;

    while (cg__list_is_space((unsigned char)*s))
        s++;
    if (*s == '\0')
        return NULL;
    t = s;
    while (*s != '\0' && !cg__list_is_space((unsigned char)*s))
        s++;
    if (*s != '\0')
        *s++ = '\0';
    *p = s;
    return t;
}

int cg__list_all_hex(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!cg__list_is_hex((unsigned char)*s))
            return 0;
    return 1;
}

/* LINES: "<hex>", "<type> <hex>" (python-threatexchange's file exchange), "<hex> <name>"
 * (md5sum/sha256sum output; the name becomes the note), "<hex>,<quality>[,<name>]" (the
 * reference pdq-photo-hasher). Returns 0 when the line is a comment. */
int cg__list_map_lines(cg__list_reader *r, const cg_signal_type **type_fixed)
{
    char *line = cg__list_trim(r->rec), *rest, *tok;

    *type_fixed = NULL;
    if (line[0] == '#')
        return 0;
    /* "vpdq [frames]": the value is the rest of the line (a JSON list has commas, spaces). */
    rest = line + strcspn(line, " \t");
    if (*rest != '\0') {
        char save = *rest;
        const cg_signal_type *t;

        *rest = '\0';
        t = cg__list_type_from_spelling(line);
        *rest = save;
        if (t != NULL && (t->flags & CG_SIGNAL_VIDEO)) {
            *type_fixed = t;
            r->row[R_VALUE] = cg__list_trim(rest);
            return 1;
        }
    }
    rest = strchr(line, ',');
    if (rest != NULL) {
        char *name;

        *rest++ = '\0';
        r->row[R_VALUE] = cg__list_trim(line);
        name = strchr(rest, ',');
        if (name != NULL) {
            *name++ = '\0';
            r->row[R_NOTE] = cg__list_trim(name);
        }
        r->row[R_QUALITY] = cg__list_trim(rest);
        return 1;
    }
    rest = line;
    tok = next_token(&rest);
    r->row[R_VALUE] = tok;
    while (cg__list_is_space((unsigned char)*rest))
        rest++;
    if (*rest == '\0')
        return 1;
    if (!cg__list_all_hex(tok) || cg__list_type_from_spelling(tok) != NULL) {
        char *value;

        *type_fixed = cg__list_type_from_spelling(tok);
        value = next_token(&rest);
        if (*type_fixed == NULL) {
            if (value != NULL && cg__list_all_hex(value) && (strlen(value) == 32 || strlen(value) == 64))
                r->row[R_TYPE] = tok; /* "foo <hash>": an unknown type */
            return 1;                 /* else the hex check names what is wrong with tok */
        }
        r->row[R_VALUE] = value;
        while (cg__list_is_space((unsigned char)*rest))
            rest++;
    }
    if (*rest != '\0' && *rest != '#')
        r->row[R_NOTE] = *rest == '*' ? rest + 1 : rest; /* sha256sum marks binary mode "*" */
    return 1;
}

/* Maps the header of a CSV or TSV file. Returns 1 if the record is the header, 0 if the file has
 * no header (its first record is data, in the reference hasher's hash,quality,name order). */
int cg__list_map_header(cg__list_reader *r)
{
    int found = 0;

    for (int k = 0; k < R_COUNT; k++)
        r->col[k] = -1;
    r->ntyped = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const char *name = r->rec + r->fields[i];
        char folded[64];
        size_t rank;
        int role;
        const cg_signal_type *t;

        if (!cg__list_fold_name(name, folded))
            continue;
        role = cg__list_alias_role(folded, &rank);
        if (role >= 0) {
            if (r->col[role] < 0 || rank < r->col_rank[role]) {
                r->col[role] = (int)i;
                r->col_rank[role] = rank;
            }
            found = 1;
            continue;
        }
        t = cg__list_type_from_spelling(folded);
        if (t != NULL && r->ntyped < MAX_TYPED) {
            r->typed_col[r->ntyped] = (int)i;
            r->typed_type[r->ntyped++] = t;
            found = 1;
        }
    }
    r->have_header = 1;
    if (!found && r->nfields > 0 && cg__list_all_hex(cg__list_trim(r->rec + r->fields[0]))) {
        const size_t n = strlen(cg__list_trim(r->rec + r->fields[0]));

        if (cg_signal_type_guess(n, NULL, 0) > 0 ||
            (r->default_type != NULL && n == r->default_type->hex_len)) {
            r->col[R_VALUE] = 0;
            r->col[R_QUALITY] = 1;
            r->col[R_NOTE] = 2;
            return 0;
        }
    }
    return 1;
}

/* Maps a CSV or TSV data row to roles. Returns NULL or a reason. */
const char *cg__list_map_row(cg__list_reader *r)
{
    for (int k = 0; k < R_COUNT; k++)
        if (r->col[k] >= 0 && (size_t)r->col[k] < r->nfields)
            r->row[k] = r->rec + r->fields[r->col[k]];
    if (r->col[R_VALUE] >= 0)
        return NULL;
    if (r->ntyped == 0)
        return "no signal column in the header (expected signal, hash, value, pdq, md5, ...)";
    for (size_t i = 0; i < r->ntyped; i++) {
        const char *v;

        if ((size_t)r->typed_col[i] >= r->nfields)
            continue;
        v = cg__list_trim(r->rec + r->fields[r->typed_col[i]]);
        if (v[0] == '\0')
            continue;
        r->row_typed[r->row_ntyped] = v;
        r->row_typed_type[r->row_ntyped++] = r->typed_type[i];
    }
    return r->row_ntyped == 0 ? "missing signal value" : NULL;
}

/* JSONL: maps the object's keys like CSV column names. Returns NULL or a reason. */
const char *cg__list_map_json(cg__list_reader *r)
{
    const char *line = cg__list_trim(r->rec), *key;
    size_t rank[R_COUNT] = {0};
    json_error_t jerr;
    json_t *v;

    if (line[0] != '{')
        return "not a JSON object";
    r->json = json_loadb(line, strlen(line), JSON_REJECT_DUPLICATES, &jerr);
    if (r->json == NULL) {
        char q[64];

        cg__list_quote_text(jerr.text, strlen(jerr.text), q);
        return cg__list_set_reason(r, "bad JSON: %s", q);
    }
    if (!json_is_object(r->json))
        return "not a JSON object";
    json_object_foreach(r->json, key, v) {
        char folded[64];
        size_t rk = 0;
        int role;
        const cg_signal_type *t;
        const char *text = NULL;

        if (!cg__list_fold_name(key, folded))
            continue;
        role = cg__list_alias_role(folded, &rk);
        t = role < 0 ? cg__list_type_from_spelling(folded) : NULL;
        if ((role < 0 && t == NULL) || role == R_LABEL || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (json_is_array(v) && (role == R_VALUE || t != NULL) && r->json_value == NULL) {
            /* A vpdq frame list given as a JSON list rather than as its text. */
            r->json_value = json_dumps(v, JSON_COMPACT);
            if (r->json_value == NULL)
                return "out of memory reading a JSON list";
            text = r->json_value;
        } else if (json_is_integer(v) && t == NULL && role != R_VALUE && role != R_TYPE) {
            snprintf(r->num[role], sizeof(r->num[role]), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
            text = r->num[role];
        } else if (role == R_QUALITY) {
            return "quality must be 0..100";
        } else {
            return cg__list_set_reason(r, "%s must be a string", t != NULL ? t->name : cg__list_role_name[role]);
        }
        if (t != NULL) {
            if (r->row_ntyped < MAX_TYPED && text[0] != '\0') {
                r->row_typed[r->row_ntyped] = text;
                r->row_typed_type[r->row_ntyped++] = t;
            }
        } else if (r->row[role] == NULL || rk < rank[role]) {
            r->row[role] = text;
            rank[role] = rk;
        }
    }
    if (r->row[R_VALUE] == NULL && r->row_ntyped == 0)
        return "missing signal value";
    if (r->row[R_VALUE] != NULL)
        r->row_ntyped = 0; /* an explicit value wins over typed keys */
    return NULL;
}

