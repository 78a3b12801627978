/* Writing a report draft as JSON (jansson) for hotlines other than NCMEC: the same content as
 * the XML draft in a documented shape ("childguard.report-draft/1", docs/report.md). Lists from
 * the verdict are rebuilt from named fields only, so nothing the verdict might carry besides
 * hashes, matches, rules, risks and evidence spans reaches the draft. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_int.h"

/* Sets key to a string when s is non-empty; 0 on failure. */
static int set_str(json_t *o, const char *key, const char *s)
{
    json_t *v;

    if (s == NULL || *s == '\0')
        return 1;
    v = json_string(s);
    return v != NULL && json_object_set_new(o, key, v) == 0;
}

static int set_new(json_t *o, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(o, key, v) == 0;
}

/* Copies the named members of src that have the expected JSON type (strings are cleaned). */
static int copy_fields(json_t *dst, const json_t *src, const char *const *str_keys,
                       const char *const *num_keys)
{
    for (size_t i = 0; str_keys != NULL && str_keys[i] != NULL; i++) {
        const json_t *v = json_object_get(src, str_keys[i]);
        char *c;
        int ok;

        if (!json_is_string(v))
            continue;
        c = cg__report_clean(json_string_value(v), json_string_length(v));
        if (c == NULL)
            return 0;
        ok = set_new(dst, str_keys[i], json_string(c));
        cg__free(c);
        if (!ok)
            return 0;
    }
    for (size_t i = 0; num_keys != NULL && num_keys[i] != NULL; i++) {
        const json_t *v = json_object_get(src, num_keys[i]);

        if (json_is_number(v) && !set_new(dst, num_keys[i], json_deep_copy(v)))
            return 0;
    }
    return 1;
}

/* A filtered copy of an array of objects (at most CG__REPORT_MAX_LIST entries). */
static json_t *copy_list(const json_t *src, const char *const *str_keys,
                         const char *const *num_keys)
{
    json_t *arr = json_array();

    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < json_array_size(src) && i < CG__REPORT_MAX_LIST; i++) {
        const json_t *e = json_array_get(src, i);
        json_t *o;

        if (!json_is_object(e))
            continue;
        o = json_object();
        if (json_array_append_new(arr, o) != 0 || !copy_fields(o, e, str_keys, num_keys)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *party(const char *id, const char *service)
{
    json_t *o = json_object();

    if (o == NULL || !set_str(o, "id", id) || !set_str(o, "service", service)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int add_people(json_t *root, const cg__report_facts *f)
{
    int enticement = f->incident_type != NULL &&
                     strcmp(f->incident_type, CG_REPORT_INCIDENT_ENTICEMENT) == 0;
    json_t *recipients, *victims;

    if (f->sender != NULL && !set_new(root, "reported_user", party(f->sender, f->organization)))
        return 0;
    recipients = json_array();
    if (!set_new(root, "intended_recipients", recipients))
        return 0;
    victims = json_array();
    if (!set_new(root, "victims", victims))
        return 0;
    if (f->recipient != NULL &&
        json_array_append_new(enticement ? victims : recipients,
                              party(f->recipient, f->organization)) != 0)
        return 0;
    return 1;
}

static int add_internet(json_t *root, const cg__report_facts *f)
{
    json_t *arr = json_array();

    if (!set_new(root, "internet_details", arr))
        return 0;
    if (f->url != NULL) {
        json_t *w = json_object();
        if (json_array_append_new(arr, w) != 0 || !set_str(w, "medium", "web_page") ||
            !set_str(w, "url", f->url))
            return 0;
    }
    if (f->has_text) {
        json_t *c = json_object();
        if (json_array_append_new(arr, c) != 0 || !set_str(c, "medium", "chat_im") ||
            !set_str(c, "client", f->service) || !set_str(c, "conversation", f->conversation) ||
            !set_str(c, "message_id", f->message_id))
            return 0;
    }
    return 1;
}

static int add_files(json_t *root, const cg__report_facts *f)
{
    json_t *files = json_array(), *file, *hashes;

    if (!set_new(root, "files", files))
        return 0;
    if (f->n_hashes == 0)
        return 1;
    file = json_object();
    if (json_array_append_new(files, file) != 0 || !set_str(file, "name", f->file_name))
        return 0;
    hashes = json_array();
    if (!set_new(file, "hashes", hashes))
        return 0;
    for (size_t i = 0; i < f->n_hashes; i++) {
        json_t *h = json_pack("{s:s,s:s}", "type", f->hashes[i].type, "value", f->hashes[i].hex);
        if (json_array_append_new(hashes, h) != 0)
            return 0;
    }
    if (f->pdq_quality >= 0 && !set_new(file, "pdq_quality", json_integer(f->pdq_quality)))
        return 0;
    return 1;
}

static int add_analysis(json_t *root, const cg__report_facts *f)
{
    static const char *const match_s[] = {"bank", "label", "signal_type", "external_id", NULL};
    static const char *const match_n[] = {"distance", NULL};
    static const char *const fired_s[] = {"id", "why", NULL};
    static const char *const ev_s[] = {"message_id", "harm", "facet", "cue", NULL};
    static const char *const ev_n[] = {"start", "end", "weight", NULL};
    const json_t *v = f->verdict;
    const json_t *text = json_object_get(v, "text");
    const json_t *risk = json_object_get(text, "risk");
    json_t *t, *risks;
    const char *key;
    json_t *val;

    if (!set_new(root, "matches", copy_list(json_object_get(v, "matches"), match_s, match_n)) ||
        !set_new(root, "fired_rules",
                 copy_list(json_object_get(json_object_get(v, "decision"), "fired"), fired_s,
                           NULL)))
        return 0;
    if (!f->has_text)
        return 1;
    t = json_object();
    if (!set_new(root, "text", t))
        return 0;
    risks = json_object();
    if (!set_new(t, "risks", risks) ||
        !set_str(t, "alert", f->alert) ||
        !set_new(t, "evidence", copy_list(json_object_get(text, "evidence"), ev_s, ev_n)))
        return 0;
    json_object_foreach((json_t *)risk, key, val) {
        char *k;
        int ok;

        if (!json_is_number(val))
            continue;
        k = cg__report_clean(key, strlen(key));
        ok = k != NULL && set_new(risks, k, json_deep_copy(val));
        cg__free(k);
        if (!ok)
            return 0;
    }
    return 1;
}

static json_t *build(const cg__report_facts *f)
{
    const cg_review_item *it = f->item;
    const char *state = cg_review_state_name(it->state);
    json_t *root = json_object(), *item, *inc, *rep;

    if (root == NULL)
        return NULL;
    /* Each object is attached as soon as it is made, so one json_decref frees everything. */
    if (!set_new(root, "draft", json_true()) ||
        !set_str(root, "notice", "DRAFT for human review, prepared by childguard. Nothing has "
                                 "been sent: check and complete it, then submit it through the "
                                 "hotline's own channel.") ||
        !set_str(root, "format", "childguard.report-draft/1") ||
        !set_str(root, "generated_at", f->generated_at))
        goto fail;
    item = json_object();
    if (!set_new(root, "review_item", item) ||
        !set_new(item, "id", json_integer((json_int_t)it->id)) ||
        !set_str(item, "content_id", f->content_id) || !set_str(item, "kind", f->kind) ||
        !set_str(item, "label", f->label) ||
        !set_new(item, "priority", json_integer(it->priority)) ||
        !set_str(item, "state", state) || !set_str(item, "reviewer", f->reviewer) ||
        !set_str(item, "note", f->note))
        goto fail;
    if (f->advice.kind == CG_REPORT_ADVICE_WARN &&
        !set_new(root, "warnings", json_pack("[s]", f->advice.message)))
        goto fail;
    inc = json_object();
    if (!set_new(root, "incident", inc) ||
        !set_new(inc, "type", f->incident_type != NULL ? json_string(f->incident_type)
                                                        : json_null()) ||
        !set_str(inc, "harm", f->advice.harm) || !set_str(inc, "refer_to", f->advice.refer_to) ||
        !set_str(inc, "date_time", f->date_time) ||
        !set_str(inc, "date_time_source", f->date_time_source) ||
        !set_str(inc, "escalate", f->escalate) ||
        !set_new(inc, "text_only", json_boolean(f->text_only)) || !add_internet(root, f))
        goto fail;
    rep = json_object();
    if (!set_new(root, "reporter", rep) || !set_str(rep, "name", f->reporter_name) ||
        !set_str(rep, "first_name", f->reporter_first) ||
        !set_str(rep, "last_name", f->reporter_last) ||
        !set_str(rep, "email", f->reporter_email) ||
        !set_str(rep, "organization", f->organization) || !set_str(rep, "country", f->country) ||
        !add_people(root, f) || !add_files(root, f) || !add_analysis(root, f) ||
        !set_str(root, "additional_info", f->summary))
        goto fail;
    return root;
fail:
    json_decref(root);
    return NULL;
}

cg_status cg__report_write_json(const cg__report_facts *f, char **out, size_t *len, cg_error *err)
{
    json_t *root = build(f);
    char *s;
    size_t n;

    *out = NULL;
    *len = 0;
    if (root == NULL)
        return cg__fail(err, CG_E_NOMEM, "report: out of memory building the JSON draft");
    s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (s == NULL)
        return cg__fail(err, CG_E_NOMEM, "report: out of memory building the JSON draft");
    n = strlen(s);
    if (n + 1 > CG__REPORT_MAX_BYTES) {
        free(s);
        return cg__fail(err, CG_E_LIMIT, "report: the draft exceeds %u bytes",
                        CG__REPORT_MAX_BYTES);
    }
    *out = cg__malloc(n + 2);
    if (*out == NULL) {
        free(s);
        return cg__fail(err, CG_E_NOMEM, "report: out of memory");
    }
    memcpy(*out, s, n);
    (*out)[n] = '\n';
    (*out)[n + 1] = '\0';
    *len = n + 1;
    free(s);
    return CG_OK;
}
