/* Loading and validating policy files (policy.h, docs/policy.md).
 *
 * jansson parses the JSON (and reports syntax errors with line and column); this file walks
 * the tree, refusing every unknown key and every value of the wrong type or out of range. For
 * those errors jansson keeps no positions, so the loader remembers the path it is at
 * ("rules[2].when.harm") and, on an error, finds that path's line by a small scan of the raw
 * text (locate_line): only the failing path pays for it. */
#include "policy/policy_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/error.h"
#include "policy/json_words.h"
#include "common/file.h"

#define MAX_POLICY_BYTES (4u << 20)
#define MAX_DEPTH 8

static const char *const action_names[CG_ACTION_COUNT] = {
    "allow", "warn", "blur", "block", "queue_review", "draft_report", "notify"};
static const char *const context_names[CG_CONTEXT_COUNT] = {"platform_upload", "child_device",
                                                            "school_tablet"};

const char *cg_policy_action_name(cg_policy_action a)
{
    return (unsigned)a < CG_ACTION_COUNT ? action_names[a] : NULL;
}

int cg_policy_action_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < CG_ACTION_COUNT; i++)
        if (strcmp(name, action_names[i]) == 0)
            return i;
    return -1;
}

const char *cg_policy_context_name(cg_policy_context c)
{
    return (unsigned)c < CG_CONTEXT_COUNT ? context_names[c] : NULL;
}

int cg_policy_context_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < CG_CONTEXT_COUNT; i++)
        if (strcmp(name, context_names[i]) == 0)
            return i;
    return -1;
}

static int audience_from_name(const char *name)
{
    for (int i = 0; i < CG__N_AUDIENCE; i++)
        if (strcmp(name, cg_policy_audience_name((cg_audience)i)) == 0)
            return i;
    return -1;
}

static int alert_from_name(const char *name)
{
    for (int i = CG_ALERT_NONE; i <= CG_ALERT_URGENT; i++)
        if (strcmp(name, cg_text_alert_name((cg_alert)i)) == 0)
            return i;
    return -1;
}

const char *cg_policy_default_path(void)
{
    static char buf[4096];
    const char *env = getenv("CHILDGUARD_DATA");
    struct stat sb;

    if (env != NULL && *env != '\0') {
        snprintf(buf, sizeof(buf), "%s/policy/default.json", env);
        return buf;
    }
    snprintf(buf, sizeof(buf), "%s/policy/default.json", CG_DEFAULT_DATA_DIR);
    if (stat(buf, &sb) == 0)
        return buf;
    snprintf(buf, sizeof(buf), "%s/policy/default.json", CG_SOURCE_DATA_DIR);
    return buf;
}

/* ---- where an error is: path and line ----------------------------------------------------- */

typedef struct step {
    const char *key; /* NULL: an array index */
    size_t index;
} step;

typedef struct loader {
    const char *name;
    const char *text;
    size_t len;
    step path[MAX_DEPTH];
    int depth;
    cg_error *err;
} loader;

static size_t skip_ws(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* Past the string starting at t[i] == '"'. */
static size_t skip_string(const char *t, size_t n, size_t i)
{
    for (i++; i < n && t[i] != '"'; i++)
        if (t[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

/* Past the value starting at t[i] (the text is valid JSON: jansson accepted it). */
static size_t skip_value(const char *t, size_t n, size_t i)
{
    int depth = 0;

    while (i < n) {
        char c = t[i];
        if (c == '"') {
            i = skip_string(t, n, i);
            if (depth == 0)
                return i;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            return i;
        }
        i++;
    }
    return n;
}

/* The 1-based line of the value at the loader's path, or of the deepest part of it found. */
static int locate_line(const loader *L)
{
    const char *t = L->text;
    size_t n = L->len, i = skip_ws(t, n, 0), at = i;

    for (int d = 0; d < L->depth && i < n; d++) {
        const step *s = &L->path[d];
        int found = 0;
        if (s->key != NULL && t[i] == '{') {
            size_t klen = strlen(s->key);
            i = skip_ws(t, n, i + 1);
            while (i < n && t[i] == '"') {
                size_t kend = skip_string(t, n, i);
                int same = kend - i == klen + 2 && memcmp(t + i + 1, s->key, klen) == 0;
                i = skip_ws(t, n, kend);
                i = skip_ws(t, n, i + 1); /* ':' */
                if (same) {
                    found = 1;
                    break;
                }
                i = skip_ws(t, n, skip_value(t, n, i));
                if (i < n && t[i] == ',')
                    i = skip_ws(t, n, i + 1);
            }
        } else if (s->key == NULL && t[i] == '[') {
            i = skip_ws(t, n, i + 1);
            for (size_t k = 0; i < n && t[i] != ']'; k++) {
                if (k == s->index) {
                    found = 1;
                    break;
                }
                i = skip_ws(t, n, skip_value(t, n, i));
                if (i < n && t[i] == ',')
                    i = skip_ws(t, n, i + 1);
            }
        }
        if (!found)
            break;
        at = i;
    }
    int line = 1;
    for (size_t k = 0; k < at && k < n; k++)
        line += t[k] == '\n';
    return line;
}

static void path_text(const loader *L, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int d = 0; d < L->depth && used < size; d++) {
        int w = L->path[d].key != NULL
                    ? snprintf(buf + used, size - used, "%s%s", d ? "." : "", L->path[d].key)
                    : snprintf(buf + used, size - used, "[%zu]", L->path[d].index);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (L->depth == 0)
        snprintf(buf, size, "(top level)");
}

/* Fails with CG_E_INVAL: "NAME:LINE: PATH: message". */
__attribute__((format(printf, 2, 3))) static cg_status bad(loader *L, const char *fmt, ...)
{
    char msg[160], where[96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    path_text(L, where, sizeof(where));
    return cg__fail(L->err, CG_E_INVAL, "%s:%d: %s: %s", L->name, locate_line(L), where, msg);
}

static void push_key(loader *L, const char *key)
{
    if (L->depth < MAX_DEPTH)
        L->path[L->depth++] = (step){key, 0};
}

static void push_index(loader *L, size_t index)
{
    if (L->depth < MAX_DEPTH)
        L->path[L->depth++] = (step){NULL, index};
}

static void pop(loader *L)
{
    L->depth--;
}

/* ---- values ------------------------------------------------------------------------------- */

/* A name list: a string or an array of strings, each resolved by from_name into a bit. */
static cg_status name_set(loader *L, json_t *v, const char *what, const char *choices,
                          int (*from_name)(const char *), unsigned *bits)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1;

    if (!json_is_string(v) && !json_is_array(v))
        return bad(L, "expected a %s name or an array of them, got %s", what,
            cg__json_type_words(v));
    if (n == 0)
        return bad(L, "empty list (leave the condition out to mean any %s)", what);
    *bits = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        if (json_is_array(v))
            push_index(L, i);
        if (!json_is_string(e))
            return bad(L, "expected a %s name, got %s", what, cg__json_type_words(e));
        int k = from_name(json_string_value(e));
        if (k < 0)
            return bad(L, "\"%s\" is not a %s (%s)", json_string_value(e), what, choices);
        *bits |= 1u << k;
        if (json_is_array(v))
            pop(L);
    }
    return CG_OK;
}

static int harm_from(const char *s)
{
    return cg_text_harm_from_name(s);
}

static const char harm_choices[] =
    "grooming, sexual_solicitation, sextortion, bullying, self_harm_risk, personal_data";

static int name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static cg_status parse_labels(loader *L, json_t *v, cg__policy_rule *r)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1;

    if (!json_is_string(v) && !json_is_array(v))
        return bad(L, "expected a bank label or an array of them, got %s", cg__json_type_words(v));
    if (n == 0)
        return bad(L, "empty list (leave bank_label out to mean any label)");
    if (n > CG__POLICY_MAX_LABELS)
        return bad(L, "more than %d labels", CG__POLICY_MAX_LABELS);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        if (json_is_array(v))
            push_index(L, i);
        if (!json_is_string(e))
            return bad(L, "expected a bank label (a string), got %s", cg__json_type_words(e));
        const char *s = json_string_value(e);
        if (json_string_length(e) == 0 || json_string_length(e) > CG_BANK_LABEL_MAX ||
            strlen(s) != json_string_length(e))
            return bad(L, "bank label \"%s\" must be 1..%d bytes", s, CG_BANK_LABEL_MAX);
        memcpy(r->labels[r->n_labels++], s, json_string_length(e) + 1);
        if (json_is_array(v))
            pop(L);
    }
    return CG_OK;
}

static cg_status parse_int(loader *L, json_t *v, int lo, int hi, int *out)
{
    if (!json_is_integer(v))
        return bad(L, "expected an integer %d..%d, got %s", lo, hi, cg__json_type_words(v));
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return bad(L, "%lld is out of range %d..%d", (long long)x, lo, hi);
    *out = (int)x;
    return CG_OK;
}

static cg_status parse_when(loader *L, json_t *when, cg__policy_rule *r)
{
    const char *key;
    json_t *v;
    cg_status st = CG_OK;

    if (!json_is_object(when))
        return bad(L, "expected an object of conditions, got %s", cg__json_type_words(when));
    json_object_foreach(when, key, v) {
        push_key(L, key);
        if (strcmp(key, "bank_label") == 0) {
            st = parse_labels(L, v, r);
        } else if (strcmp(key, "bank_kind") == 0) {
            const char *s = json_string_value(v);
            if (s == NULL)
                st = bad(L, "expected \"block\" or \"allow\", got %s", cg__json_type_words(v));
            else if (strcmp(s, "block") == 0 || strcmp(s, "allow") == 0)
                r->kind = strcmp(s, "block") == 0 ? CG_BANK_BLOCK : CG_BANK_ALLOW;
            else
                st = bad(L, "\"%s\" is not a bank kind (block, allow)", s);
        } else if (strcmp(key, "max_distance") == 0) {
            st = parse_int(L, v, 0, CG__POLICY_MAX_DISTANCE, &r->max_distance);
        } else if (strcmp(key, "harm") == 0) {
            st = name_set(L, v, "harm", harm_choices, harm_from, &r->harms);
        } else if (strcmp(key, "min_risk") == 0) {
            if (!json_is_number(v))
                st = bad(L, "expected a number 0..1, got %s", cg__json_type_words(v));
            else if (json_number_value(v) < 0 || json_number_value(v) > 1)
                st = bad(L, "%g is out of range 0..1", json_number_value(v));
            else
                r->min_risk = json_number_value(v);
        } else if (strcmp(key, "min_alert") == 0) {
            const char *s = json_string_value(v);
            int a = s ? alert_from_name(s) : -1;
            if (a < 0)
                st = s ? bad(L, "\"%s\" is not an alert level (none, watch, alert, urgent)", s)
                       : bad(L, "expected an alert level name, got %s", cg__json_type_words(v));
            r->min_alert = a;
        } else if (strcmp(key, "context") == 0) {
            st = name_set(L, v, "context", "platform_upload, child_device, school_tablet",
                          cg_policy_context_from_name, &r->contexts);
        } else if (strcmp(key, "audience") == 0) {
            st = name_set(L, v, "audience", "recipient, sender, guardian, moderator",
                          audience_from_name, &r->audiences);
        } else if (strcmp(key, "sender_is_child") == 0) {
            if (!json_is_boolean(v))
                st = bad(L, "expected true or false, got %s", cg__json_type_words(v));
            r->sender_is_child = json_is_true(v);
        } else if (strcmp(key, "repeat_at_least") == 0) {
            st = parse_int(L, v, 1, 1000000, &r->repeat_at_least);
        } else if (strcmp(key, "min_nudity") == 0) {
            if (!json_is_number(v))
                st = bad(L, "expected a number above 0 and up to 1, got %s",
                    cg__json_type_words(v));
            else if (!(json_number_value(v) > 0) || json_number_value(v) > 1)
                st = bad(L, "%g is out of range (0, 1]", json_number_value(v));
            else
                r->min_nudity = json_number_value(v);
        } else {
            st = bad(L, "unknown condition (bank_label, bank_kind, max_distance, harm, min_risk, "
                     "min_alert, context, audience, sender_is_child, repeat_at_least, "
                     "min_nudity)");
        }
        if (st != CG_OK)
            return st;
        pop(L);
    }
    return CG_OK;
}

static cg_status parse_actions(loader *L, json_t *v, cg__policy_rule *r)
{
    if (!json_is_array(v))
        return bad(L, "expected an array of actions, got %s", cg__json_type_words(v));
    if (json_array_size(v) > CG__POLICY_MAX_ACTIONS)
        return bad(L, "more than %d actions", CG__POLICY_MAX_ACTIONS);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        cg_policy_action_item *it = &r->acts[r->n_acts];
        push_index(L, i);
        memset(it, 0, sizeof(*it));
        if (json_is_string(e)) {
            int a = cg_policy_action_from_name(json_string_value(e));
            if (a == CG_ACTION_NOTIFY)
                return bad(L, "notify needs a target: {\"notify\": \"guardian\"}");
            if (a < 0)
                return bad(L, "\"%s\" is not an action (allow, warn, blur, block, queue_review, "
                           "draft_report, {\"notify\": TARGET})", json_string_value(e));
            it->action = (cg_policy_action)a;
        } else if (json_is_object(e)) {
            json_t *t = json_object_get(e, "notify");
            if (t == NULL || json_object_size(e) != 1)
                return bad(L, "an action object must be exactly {\"notify\": TARGET}");
            push_key(L, "notify");
            if (!json_is_string(t) || !name_ok(json_string_value(t), CG_POLICY_TARGET_MAX))
                return bad(L, "a notify target is a name of 1..%d characters [A-Za-z0-9_.-]",
                           CG_POLICY_TARGET_MAX);
            pop(L);
            it->action = CG_ACTION_NOTIFY;
            strcpy(it->target, json_string_value(t));
        } else {
            return bad(L, "expected an action name or {\"notify\": TARGET}, got %s",
                       cg__json_type_words(e));
        }
        r->n_acts++;
        pop(L);
    }
    return CG_OK;
}

/* [a-z0-9_]{1,31}: a guidance topic that is not a harm name (an image topic such as "ncii").
 * The policy does not know the catalogue, so any such name is accepted; a front end asks
 * cg_guidance_has_topic when it wants to check. */
static int topic_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CG_POLICY_TOPIC_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* {"harm": HARM, "audience": AUDIENCE} or {"topic": TOPIC, "audience": AUDIENCE}. */
static cg_status parse_one_guidance(loader *L, json_t *g, cg__policy_rule *r)
{
    const char *key, *topic = NULL;
    json_t *v;
    int harm = -1, aud = -1;

    if (!json_is_object(g))
        return bad(L, "expected {\"harm\": HARM, \"audience\": AUDIENCE} or {\"topic\": TOPIC, "
                   "\"audience\": AUDIENCE}, got %s", cg__json_type_words(g));
    json_object_foreach(g, key, v) {
        push_key(L, key);
        const char *s = json_string_value(v);
        if (strcmp(key, "harm") == 0) {
            harm = s ? cg_text_harm_from_name(s) : -1;
            if (harm < 0)
                return s ? bad(L, "\"%s\" is not a harm (%s)", s, harm_choices)
                         : bad(L, "expected a harm name, got %s", cg__json_type_words(v));
            if (topic != NULL)
                return bad(L, "give either \"harm\" or \"topic\", not both");
            topic = s;
        } else if (strcmp(key, "topic") == 0) {
            if (s == NULL)
                return bad(L, "expected a topic name, got %s", cg__json_type_words(v));
            if (!topic_ok(s))
                return bad(L, "\"%s\" is not a topic (a harm name, or [a-z0-9_]{1,31} such as "
                           "csam, ncii, nudity)", s);
            if (topic != NULL)
                return bad(L, "give either \"harm\" or \"topic\", not both");
            topic = s;
        } else if (strcmp(key, "audience") == 0) {
            aud = s ? audience_from_name(s) : -1;
            if (aud < 0)
                return s ? bad(L, "\"%s\" is not an audience (recipient, sender, guardian, "
                               "moderator)", s)
                         : bad(L, "expected an audience name, got %s", cg__json_type_words(v));
        } else {
            return bad(L, "unknown key (harm or topic, audience)");
        }
        pop(L);
    }
    if (topic == NULL || aud < 0)
        return bad(L, "guidance needs \"harm\" or \"topic\", and \"audience\"");
    cg_policy_guidance_request *q = &r->guid[r->n_guid++];
    snprintf(q->topic, sizeof(q->topic), "%s", topic);
    q->harm = cg_text_harm_from_name(topic);
    q->audience = (cg_audience)aud;
    return CG_OK;
}

static cg_status parse_guidance(loader *L, json_t *v, cg__policy_rule *r)
{
    if (!json_is_array(v))
        return parse_one_guidance(L, v, r);
    if (json_array_size(v) > CG__POLICY_MAX_GUIDANCE)
        return bad(L, "more than %d guidance requests", CG__POLICY_MAX_GUIDANCE);
    for (size_t i = 0; i < json_array_size(v); i++) {
        push_index(L, i);
        cg_status st = parse_one_guidance(L, json_array_get(v, i), r);
        if (st != CG_OK)
            return st;
        pop(L);
    }
    return CG_OK;
}

static cg_status parse_rule(loader *L, json_t *o, cg__policy_rule *rules, size_t i)
{
    cg__policy_rule *r = &rules[i];
    const char *key;
    json_t *v;
    cg_status st = CG_OK;

    memset(r, 0, sizeof(*r));
    r->kind = -1;
    r->max_distance = -1;
    r->min_risk = -1;
    r->min_nudity = -1;
    r->min_alert = -1;
    r->sender_is_child = -1;
    if (!json_is_object(o))
        return bad(L, "expected a rule object, got %s", cg__json_type_words(o));
    json_t *id = json_object_get(o, "id");
    if (!json_is_string(id) || !name_ok(json_string_value(id), CG_POLICY_ID_MAX))
        return bad(L, "every rule needs an \"id\": 1..%d characters [A-Za-z0-9_.-]",
                   CG_POLICY_ID_MAX);
    strcpy(r->id, json_string_value(id));
    for (size_t k = 0; k < i; k++)
        if (strcmp(rules[k].id, r->id) == 0)
            return bad(L, "rule id \"%s\" is also the id of rules[%zu]", r->id, k);
    json_object_foreach(o, key, v) {
        push_key(L, key);
        if (strcmp(key, "id") == 0) {
            /* done above */
        } else if (strcmp(key, "note") == 0) {
            if (!json_is_string(v))
                st = bad(L, "expected a string, got %s", cg__json_type_words(v));
        } else if (strcmp(key, "when") == 0) {
            st = parse_when(L, v, r);
        } else if (strcmp(key, "actions") == 0) {
            st = parse_actions(L, v, r);
        } else if (strcmp(key, "guidance") == 0) {
            st = parse_guidance(L, v, r);
        } else if (strcmp(key, "stop") == 0) {
            if (!json_is_boolean(v))
                st = bad(L, "expected true or false, got %s", cg__json_type_words(v));
            r->stop = json_is_true(v);
        } else {
            st = bad(L, "unknown key in rule \"%s\" (id, note, when, actions, guidance, stop)",
                     r->id);
        }
        if (st != CG_OK)
            return st;
        pop(L);
    }
    if (r->n_acts == 0 && r->n_guid == 0)
        return bad(L, "rule \"%s\" has neither actions nor guidance", r->id);
    return CG_OK;
}

/* "quarantine": {"text": {...}}: what review items may keep of a conversation (policy.h,
 * docs/review.md "Text excerpts"). Absent: nothing is kept. */
static cg_status parse_text_quarantine(loader *L, json_t *o, cg_policy_text_quarantine *q)
{
    static const struct {
        const char *key;
        int lo, hi;
    } ints[] = {{"max_messages", 1, CG_POLICY_EXCERPT_MESSAGES_MAX},
                {"max_bytes", 256, CG_POLICY_EXCERPT_BYTES_MAX},
                {"retention_days", 1, 365}};
    const char *key;
    json_t *v;

    if (!json_is_object(o))
        return bad(L, "expected an object {\"enabled\": true, ...}, got %s",
                   cg__json_type_words(o));
    json_object_foreach(o, key, v) {
        size_t k;
        push_key(L, key);
        if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(v))
                return bad(L, "expected true or false, got %s", cg__json_type_words(v));
            q->enabled = json_is_true(v);
            pop(L);
            continue;
        }
        for (k = 0; k < sizeof(ints) / sizeof(ints[0]); k++)
            if (strcmp(key, ints[k].key) == 0)
                break;
        if (k == sizeof(ints) / sizeof(ints[0]))
            return bad(L, "unknown key (enabled, max_messages, max_bytes, retention_days)");
        if (!json_is_integer(v) || json_integer_value(v) < ints[k].lo ||
            json_integer_value(v) > ints[k].hi)
            return bad(L, "expected an integer %d..%d", ints[k].lo, ints[k].hi);
        if (k == 0)
            q->max_messages = (int)json_integer_value(v);
        else if (k == 1)
            q->max_bytes = (int)json_integer_value(v);
        else
            q->retention_s = (int64_t)json_integer_value(v) * 86400;
        pop(L);
    }
    return CG_OK;
}

static cg_status parse_quarantine(loader *L, json_t *o, cg_policy *p)
{
    const char *key;
    json_t *v;

    if (!json_is_object(o))
        return bad(L, "expected an object {\"text\": {...}}, got %s", cg__json_type_words(o));
    json_object_foreach(o, key, v) {
        push_key(L, key);
        if (strcmp(key, "text") != 0)
            return bad(L, "unknown key (text; image previews are the engine's --quarantine)");
        cg_status st = parse_text_quarantine(L, v, &p->text_quarantine);
        if (st != CG_OK)
            return st;
        pop(L);
    }
    return CG_OK;
}

void cg_policy_text_quarantine_get(const cg_policy *p, cg_policy_text_quarantine *out)
{
    const cg_policy_text_quarantine off = {0, CG_POLICY_EXCERPT_MESSAGES_DEFAULT,
                                           CG_POLICY_EXCERPT_BYTES_DEFAULT,
                                           CG_POLICY_EXCERPT_RETENTION_DEFAULT};

    if (out != NULL)
        *out = p != NULL ? p->text_quarantine : off;
}

static cg_status parse_root(loader *L, json_t *root, cg_policy *p)
{
    const char *key;
    json_t *v;

    if (!json_is_object(root))
        return bad(L, "expected an object {\"version\": 1, \"rules\": [...]}, got %s",
                   cg__json_type_words(root));
    json_object_foreach(root, key, v) {
        if (strcmp(key, "version") != 0 && strcmp(key, "rules") != 0 &&
            strcmp(key, "note") != 0 && strcmp(key, "quarantine") != 0) {
            push_key(L, key);
            return bad(L, "unknown key (version, rules, note, quarantine)");
        }
    }
    json_t *ver = json_object_get(root, "version");
    json_t *rules = json_object_get(root, "rules");
    json_t *note = json_object_get(root, "note");
    if (ver == NULL)
        return bad(L, "missing \"version\": 1");
    push_key(L, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return bad(L, "unsupported version (this build reads version 1)");
    pop(L);
    if (note != NULL && !json_is_string(note)) {
        push_key(L, "note");
        return bad(L, "expected a string, got %s", cg__json_type_words(note));
    }
    p->text_quarantine = (cg_policy_text_quarantine){0, CG_POLICY_EXCERPT_MESSAGES_DEFAULT,
                                                     CG_POLICY_EXCERPT_BYTES_DEFAULT,
                                                     CG_POLICY_EXCERPT_RETENTION_DEFAULT};
    if (json_object_get(root, "quarantine") != NULL) {
        push_key(L, "quarantine");
        cg_status st = parse_quarantine(L, json_object_get(root, "quarantine"), p);
        if (st != CG_OK)
            return st;
        pop(L);
    }
    if (rules == NULL)
        return bad(L, "missing \"rules\": [...]");
    push_key(L, "rules");
    if (!json_is_array(rules))
        return bad(L, "expected an array of rules, got %s", cg__json_type_words(rules));
    if (json_array_size(rules) > CG__POLICY_MAX_RULES)
        return bad(L, "more than %d rules", CG__POLICY_MAX_RULES);
    if (json_array_size(rules) > 0) {
        p->rules = cg__calloc(json_array_size(rules), sizeof(*p->rules));
        if (p->rules == NULL)
            return cg__fail(L->err, CG_E_NOMEM, "out of memory loading %s", L->name);
    }
    for (size_t i = 0; i < json_array_size(rules); i++) {
        push_index(L, i);
        cg_status st = parse_rule(L, json_array_get(rules, i), p->rules, i);
        if (st != CG_OK)
            return st;
        p->n_rules++;
        pop(L);
    }
    return CG_OK;
}

cg_status cg_policy_create(const char *name, const char *text, size_t len,
                                cg_policy **out, cg_error *err)
{
    json_error_t je;
    loader L = {name ? name : "(policy)", text, len, {{0}}, 0, err};
    cg_policy *p;
    cg_status st;

    if (out == NULL || (text == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "cg_policy_open: NULL argument");
    *out = NULL;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return cg__fail(err, CG_E_INVAL, "%s:%d:%d: not valid JSON: %s", L.name, je.line,
                        je.column, je.text);
    p = cg__calloc(1, sizeof(*p));
    if (p == NULL) {
        json_decref(root);
        return cg__fail(err, CG_E_NOMEM, "out of memory loading %s", L.name);
    }
    st = parse_root(&L, root, p);
    json_decref(root);
    if (st != CG_OK) {
        cg_policy_destroy(p);
        return st;
    }
    *out = p;
    return CG_OK;
}

cg_status cg_policy_open(const char *path, cg_policy **out, cg_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    cg_status st;

    if (path == NULL || out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_policy_open: NULL argument");
    *out = NULL;
    st = cg__read_file(path, MAX_POLICY_BYTES, &buf, &len, err);
    if (st != CG_OK)
        return st;
    st = cg_policy_create(path, (const char *)buf, len, out, err);
    cg__free(buf);
    return st;
}

void cg_policy_destroy(cg_policy *p)
{
    if (p == NULL)
        return;
    cg__free(p->rules);
    cg__free(p);
}
