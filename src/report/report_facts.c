/* Gathering what a report draft says from a review item, its verdict JSON and the options.
 *
 * The verdict is read defensively: it is whatever the engine stored when the item was queued,
 * and any field may be missing or of another type; such fields are simply left out. Only named
 * fields are read (hashes, matches, fired rules, risks, evidence cues and spans, ids), so text a
 * future verdict might carry is never copied into a draft by accident. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard/timestamp.h"
#include "common/alloc.h"
#include "common/error.h"
#include "report/report_int.h"

/* ---- text cleaning ----------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. Rejects
 * overlong forms, surrogates and code points above U+10FFFF (RFC 3629). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    /* U+FFFE and U+FFFF are not XML characters either. */
    if (cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return need;
}

/* XML 1.0 allows tab, newline and carriage return among the C0 controls; we keep tab and
 * newline and drop CR (a lone CR would be normalised away by any XML reader anyway). */
static int control_char(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F;
}

char *cg__report_clean(const char *s, size_t n)
{
    static const char repl[] = "\xEF\xBF\xBD";
    const unsigned char *u = (const unsigned char *)s;
    size_t cap, used = 0;
    char *out;

    /* Worst case: every byte becomes a 3-byte replacement. */
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    cap = n * 3 + 1;
    out = cg__malloc(cap);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);

        if (k == 0 || (k == 1 && control_char(u[i]))) {
            memcpy(out + used, repl, 3);
            used += 3;
            i += k == 0 ? 1 : k;
            continue;
        }
        memcpy(out + used, u + i, k);
        used += k;
        i += k;
    }
    out[used] = '\0';
    return out;
}

int cg__report_text_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);

    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);

        if (k == 0 || (k == 1 && control_char(u[i])))
            return 0;
        i += k;
    }
    return 1;
}

/* A cleaned copy of a fixed-size item field (which may lack its NUL), NULL when empty. */
static cg_status clean_field(const char *field, size_t size, char **out)
{
    size_t n = strnlen(field, size);

    *out = NULL;
    if (n == 0)
        return CG_OK;
    *out = cg__report_clean(field, n);
    return *out == NULL ? CG_E_NOMEM : CG_OK;
}

/* A cleaned copy of a JSON string member, NULL when missing, empty or not a string. */
static cg_status json_text(const json_t *obj, const char *key, char **out)
{
    const json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

    *out = NULL;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return CG_OK;
    *out = cg__report_clean(json_string_value(v), json_string_length(v));
    return *out == NULL ? CG_E_NOMEM : CG_OK;
}

/* ---- a bounded text buffer ---------------------------------------------------------------- */

typedef struct textbuf {
    char *p;
    size_t len, cap;
    cg_status st; /* the first failure; appends after it do nothing */
} textbuf;

static void tb_printf(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tb_printf(textbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->st != CG_OK)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->st = CG_E_INVAL;
        return;
    }
    if (b->len + (size_t)n + 1 > CG__REPORT_MAX_INFO) {
        b->st = CG_E_LIMIT;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;

        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        p = cg__realloc(b->p, cap);
        if (p == NULL) {
            b->st = CG_E_NOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Hands the text over as a cleaned string (NULL when nothing was written). */
static cg_status tb_take(textbuf *b, char **out)
{
    cg_status st = b->st;

    *out = NULL;
    if (st == CG_OK && b->len > 0) {
        /* Drop the trailing newline: the XML schema's strings are plain text. */
        while (b->len > 0 && b->p[b->len - 1] == '\n')
            b->len--;
        *out = cg__report_clean(b->p, b->len);
        if (*out == NULL)
            st = CG_E_NOMEM;
    }
    cg__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    return st;
}

/* A JSON string member for text output, "" when missing. */
static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

/* ---- times --------------------------------------------------------------------------------- */

static void format_time(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* Parses a full ISO-8601 time (a date and a time of day; cg_timestamp_parse) into unix
 * seconds; 0 when it is not such a time. */
static int parse_time(const char *s, long long *out)
{
    int64_t ms;
    int timed = 0;

    if (s == NULL || cg_timestamp_parse(s, &ms, &timed) != CG_OK || !timed)
        return 0;
    *out = (long long)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    return 1;
}

/* ---- hashes ---------------------------------------------------------------------------------- */

static const struct {
    const char *signal; /* signal type name */
    const char *attr;   /* hashType */
    size_t hex_len;
} hash_names[] = {{"md5", "MD5", 32}, {"sha256", "SHA256", 64}, {"pdq", "PDQ", 64}};

static int have_hash(const cg__report_facts *f, const char *attr)
{
    for (size_t i = 0; i < f->n_hashes; i++)
        if (strcmp(f->hashes[i].type, attr) == 0)
            return 1;
    return 0;
}

static int lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The item's signals first (they are what the store keeps), then the verdict's for any type the
 * item lacks. */
static void gather_hashes(cg__report_facts *f)
{
    const cg_review_item *it = f->item;
    const json_t *sig = json_object_get(f->verdict, "signals");
    const json_t *q;

    f->pdq_quality = -1;
    for (size_t h = 0; h < sizeof(hash_names) / sizeof(hash_names[0]); h++) {
        size_t n = it->n_signals < CG_REVIEW_MAX_SIGNALS ? it->n_signals : CG_REVIEW_MAX_SIGNALS;

        for (size_t i = 0; i < n && !have_hash(f, hash_names[h].attr); i++) {
            const cg_signal_type *t = it->signals[i].type;
            char hex[2 * CG_SIGNAL_MAX_BYTES + 1];

            if (t == NULL || strcmp(t->name, hash_names[h].signal) != 0 ||
                t->hex_len != hash_names[h].hex_len)
                continue;
            t->format(it->signals[i].value, hex);
            f->hashes[f->n_hashes].type = hash_names[h].attr;
            memcpy(f->hashes[f->n_hashes].hex, hex, t->hex_len + 1);
            f->n_hashes++;
            if (strcmp(t->name, "pdq") == 0 && it->signals[i].quality >= 0)
                f->pdq_quality = it->signals[i].quality;
        }
        if (!have_hash(f, hash_names[h].attr) && json_is_object(sig)) {
            const char *v = jstr(sig, hash_names[h].signal);

            if (lower_hex(v, hash_names[h].hex_len)) {
                f->hashes[f->n_hashes].type = hash_names[h].attr;
                memcpy(f->hashes[f->n_hashes].hex, v, hash_names[h].hex_len + 1);
                f->n_hashes++;
            }
        }
    }
    q = json_object_get(sig, "pdq_quality");
    if (f->pdq_quality < 0 && have_hash(f, "PDQ") && json_is_integer(q) &&
        json_integer_value(q) >= 0 && json_integer_value(q) <= 100)
        f->pdq_quality = (int)json_integer_value(q);
}

/* ---- the free-text sections ---------------------------------------------------------------- */

static void write_matches(textbuf *b, const json_t *matches, const char *lead)
{
    size_t n = json_array_size(matches);

    if (n == 0)
        return;
    tb_printf(b, "%s\n", lead);
    for (size_t i = 0; i < n && i < CG__REPORT_MAX_LIST; i++) {
        const json_t *m = json_array_get(matches, i);
        const json_t *d = json_object_get(m, "distance");

        if (!json_is_object(m))
            continue;
        tb_printf(b, "- bank \"%s\", label \"%s\", signal %s", jstr(m, "bank"), jstr(m, "label"),
                  *jstr(m, "signal_type") ? jstr(m, "signal_type") : "?");
        if (json_is_integer(d))
            tb_printf(b, ", distance %lld", (long long)json_integer_value(d));
        if (*jstr(m, "external_id"))
            tb_printf(b, ", external id \"%s\"", jstr(m, "external_id"));
        tb_printf(b, "\n");
    }
    if (n > CG__REPORT_MAX_LIST)
        tb_printf(b, "- ... and %zu more\n", n - CG__REPORT_MAX_LIST);
}

static const char *state_text(cg_review_state s)
{
    const char *name = cg_review_state_name(s);
    return name != NULL ? name : "unknown";
}

static cg_status write_summary(cg__report_facts *f)
{
    const cg_review_item *it = f->item;
    const json_t *v = f->verdict;
    const json_t *text = json_object_get(v, "text");
    const json_t *fired = json_object_get(json_object_get(v, "decision"), "fired");
    const json_t *risk = json_object_get(text, "risk");
    const json_t *ev = json_object_get(text, "evidence");
    textbuf b = {0};

    tb_printf(&b, "DRAFT prepared by childguard from review item %lld for a person to review, "
                  "complete and send; nothing has been sent.\n",
              (long long)it->id);
    if (f->advice.kind == CG_REPORT_ADVICE_WARN)
        tb_printf(&b, "WARNING: %s.\n", f->advice.message);
    tb_printf(&b, "Content: id \"%s\", kind %s, queued for label \"%s\" (priority %d).\n",
              f->content_id ? f->content_id : "", f->kind ? f->kind : "unknown",
              f->label ? f->label : "", it->priority);
    tb_printf(&b, "Review: %s", state_text(it->state));
    if (f->reviewer != NULL)
        tb_printf(&b, " by %s", f->reviewer);
    if (f->note != NULL)
        tb_printf(&b, "; note: %s", f->note);
    tb_printf(&b, ".\n");
    tb_printf(&b, "Incident time (%s): %s.\n", f->date_time_source, f->date_time);

    if (json_array_size(fired) > 0) {
        tb_printf(&b, "Rules fired:\n");
        for (size_t i = 0; i < json_array_size(fired) && i < CG__REPORT_MAX_LIST; i++) {
            const json_t *r = json_array_get(fired, i);

            if (!json_is_object(r))
                continue;
            tb_printf(&b, "- %s", jstr(r, "id"));
            if (*jstr(r, "why"))
                tb_printf(&b, ": %s", jstr(r, "why"));
            tb_printf(&b, "\n");
        }
    } else if (it->reason[0] != '\0') {
        tb_printf(&b, "Rules fired:\n");
        /* The item's reason: one rule per line. */
        const char *p = it->reason;
        size_t rest = strnlen(it->reason, sizeof(it->reason));
        while (rest > 0) {
            const char *nl = memchr(p, '\n', rest);
            size_t n = nl != NULL ? (size_t)(nl - p) : rest;

            if (n > 0)
                tb_printf(&b, "- %.*s\n", (int)n, p);
            p += n;
            rest -= n;
            if (rest > 0) {
                p++;
                rest--;
            }
        }
    }
    write_matches(&b, json_object_get(v, "matches"), "Hash matches:");

    if (json_is_object(text)) {
        if (f->alert != NULL)
            tb_printf(&b, "Conversation alert level: %s.\n", f->alert);
        if (json_is_object(risk) && json_object_size(risk) > 0) {
            const char *key;
            const json_t *val;
            int first = 1;

            tb_printf(&b, "Text risks:");
            json_object_foreach((json_t *)risk, key, val) {
                if (!json_is_number(val))
                    continue;
                tb_printf(&b, "%s %s %.2f", first ? "" : ",", key, json_number_value(val));
                first = 0;
            }
            tb_printf(&b, ".\n");
        }
        if (json_array_size(ev) > 0) {
            tb_printf(&b, "Evidence (detector cues and character spans; no message text):\n");
            for (size_t i = 0; i < json_array_size(ev) && i < CG__REPORT_MAX_LIST; i++) {
                const json_t *e = json_array_get(ev, i);
                const json_t *s = json_object_get(e, "start"), *en = json_object_get(e, "end");
                const json_t *w = json_object_get(e, "weight");

                if (!json_is_object(e))
                    continue;
                tb_printf(&b, "- message \"%s\": %s", jstr(e, "message_id"),
                          *jstr(e, "harm") ? jstr(e, "harm") : "?");
                if (*jstr(e, "facet"))
                    tb_printf(&b, "/%s", jstr(e, "facet"));
                if (*jstr(e, "cue"))
                    tb_printf(&b, ", cue \"%s\"", jstr(e, "cue"));
                if (json_is_integer(s) && json_is_integer(en))
                    tb_printf(&b, ", span [%lld, %lld)", (long long)json_integer_value(s),
                              (long long)json_integer_value(en));
                if (json_is_number(w))
                    tb_printf(&b, ", weight %.2f", json_number_value(w));
                tb_printf(&b, "\n");
            }
            if (json_array_size(ev) > CG__REPORT_MAX_LIST)
                tb_printf(&b, "- ... and %zu more\n", json_array_size(ev) - CG__REPORT_MAX_LIST);
        }
    }
    tb_printf(&b, "Draft generated at %s.\n", f->generated_at);
    return tb_take(&b, &f->summary);
}

static cg_status write_file_info(cg__report_facts *f)
{
    textbuf b = {0};

    write_matches(&b, json_object_get(f->verdict, "matches"),
                  "Matched hash lists (childguard banks):");
    return tb_take(&b, &f->file_info);
}

/* ---- options ------------------------------------------------------------------------------- */

static cg_status copy_opt(const char *value, const char *what, char **out, cg_error *err)
{
    *out = NULL;
    if (value == NULL || *value == '\0')
        return CG_OK;
    if (!cg__report_text_ok(value))
        return cg__fail(err, CG_E_INVAL,
                        "report option %s: not valid UTF-8 text (or holds control characters)",
                        what);
    *out = cg__strdup(value);
    return *out == NULL ? cg__fail(err, CG_E_NOMEM, "report: out of memory") : CG_OK;
}

/* "Ada King Lovelace" -> first "Ada King", last "Lovelace"; one word -> first only. */
static cg_status split_name(cg__report_facts *f)
{
    const char *name = f->reporter_name;
    const char *sp;
    size_t n;

    if (name == NULL)
        return CG_OK;
    n = strlen(name);
    while (n > 0 && name[n - 1] == ' ')
        n--;
    sp = NULL;
    for (size_t i = n; i > 0; i--) {
        if (name[i - 1] == ' ') {
            sp = name + i - 1;
            break;
        }
    }
    if (sp == NULL || sp == name) {
        f->reporter_first = cg__report_clean(name, n);
        return f->reporter_first == NULL ? CG_E_NOMEM : CG_OK;
    }
    {
        size_t first_n = (size_t)(sp - name);
        while (first_n > 0 && name[first_n - 1] == ' ')
            first_n--;
        f->reporter_first = cg__report_clean(name, first_n);
        f->reporter_last = cg__report_clean(sp + 1, n - (size_t)(sp + 1 - name));
    }
    return f->reporter_first == NULL || f->reporter_last == NULL ? CG_E_NOMEM : CG_OK;
}

/* ---- the whole ------------------------------------------------------------------------------- */

static int is_incident_type(const char *s)
{
    static const char *const types[] = {
        CG_REPORT_INCIDENT_CSAM,
        "Child Sex Trafficking",
        "Child Sex Tourism",
        "Child Sexual Molestation",
        "Misleading Domain Name",
        "Misleading Words or Digital Images on the Internet",
        CG_REPORT_INCIDENT_ENTICEMENT,
        "Unsolicited Obscene Material Sent to a Child",
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(s, types[i]) == 0)
            return 1;
    return 0;
}

static void choose_time(cg__report_facts *f, long long now)
{
    const json_t *text = json_object_get(f->verdict, "text");
    const json_t *ts = json_object_get(text, "ts_ms");
    long long t;

    if (json_is_integer(ts) && json_integer_value(ts) > 0) {
        format_time((long long)(json_integer_value(ts) / 1000), f->date_time);
        f->date_time_source = "message";
    } else if (parse_time(jstr(f->verdict, "scanned_at"), &t)) {
        format_time(t, f->date_time);
        f->date_time_source = "scanned";
    } else if (f->item->created > 0) {
        format_time((long long)f->item->created, f->date_time);
        f->date_time_source = "queued";
    } else {
        format_time(now, f->date_time);
        f->date_time_source = "drafted";
    }
}

static cg_status gather(cg__report_facts *f, cg_report_format fmt, const cg_report_options *opt,
                        cg_error *err)
{
    const cg_review_item *it = f->item;
    const json_t *text = json_object_get(f->verdict, "text");
    long long now = opt->now != 0 ? opt->now : (long long)time(NULL);
    cg_status st = CG_OK;

    /* Options first: a bad option is the caller's error, named. */
    if ((st = copy_opt(opt->reporter_name, "reporter name", &f->reporter_name, err)) != CG_OK ||
        (st = copy_opt(opt->reporter_email, "reporter email", &f->reporter_email, err)) != CG_OK ||
        (st = copy_opt(opt->organization, "organization", &f->organization, err)) != CG_OK ||
        (st = copy_opt(opt->country, "country", &f->country, err)) != CG_OK ||
        (st = copy_opt(opt->incident_type, "incident type", &f->incident_type_opt, err)) !=
            CG_OK ||
        (st = copy_opt(opt->service, "service", &f->service, err)) != CG_OK ||
        (st = copy_opt(opt->url, "url", &f->url, err)) != CG_OK ||
        (st = copy_opt(opt->escalate, "escalate", &f->escalate, err)) != CG_OK)
        return st;
    if (f->incident_type_opt != NULL && !is_incident_type(f->incident_type_opt))
        return cg__fail(err, CG_E_INVAL,
                        "report option incident type: \"%s\" is not a CyberTipline incident type "
                        "(see docs/report.md)",
                        f->incident_type_opt);
    if (split_name(f) != CG_OK)
        goto nomem;

    if (clean_field(it->content_id, sizeof(it->content_id), &f->content_id) != CG_OK ||
        clean_field(it->kind, sizeof(it->kind), &f->kind) != CG_OK ||
        clean_field(it->label, sizeof(it->label), &f->label) != CG_OK ||
        clean_field(it->reviewer, sizeof(it->reviewer), &f->reviewer) != CG_OK ||
        clean_field(it->note, sizeof(it->note), &f->note) != CG_OK)
        goto nomem;
    if (json_text(f->verdict, "name", &f->file_name) != CG_OK ||
        json_text(text, "conversation", &f->conversation) != CG_OK ||
        json_text(text, "message_id", &f->message_id) != CG_OK ||
        json_text(text, "sender", &f->sender) != CG_OK ||
        json_text(text, "recipient", &f->recipient) != CG_OK ||
        json_text(text, "alert", &f->alert) != CG_OK)
        goto nomem;
    f->has_text = json_is_object(text);

    gather_hashes(f);
    f->text_only = f->n_hashes == 0;
    /* The incident type follows the item's harm (cg_report_advise), or the caller's choice. */
    cg_report_advise(it, fmt, opt, &f->advice);
    f->incident_type = f->incident_type_opt != NULL ? f->incident_type_opt
                                                    : f->advice.incident_type;

    format_time(now, f->generated_at);
    choose_time(f, now);

    st = write_summary(f);
    if (st == CG_OK && !f->text_only)
        st = write_file_info(f);
    if (st == CG_E_LIMIT)
        return cg__fail(err, st, "report: the additional information exceeds %u bytes",
                        CG__REPORT_MAX_INFO);
    if (st != CG_OK)
        goto nomem;
    return CG_OK;
nomem:
    return cg__fail(err, CG_E_NOMEM, "report: out of memory");
}

cg_status cg__report_facts_init(cg__report_facts *f, const cg_review_item *item,
                                const char *verdict_json, cg_report_format fmt,
                                const cg_report_options *opt, cg_error *err)
{
    static const cg_report_options no_opt;
    json_error_t jerr;
    cg_status st;

    memset(f, 0, sizeof(*f));
    f->item = item;
    f->pdq_quality = -1;
    if (verdict_json == NULL || *verdict_json == '\0') {
        f->verdict = json_object();
        if (f->verdict == NULL)
            return cg__fail(err, CG_E_NOMEM, "report: out of memory");
    } else {
        f->verdict = json_loads(verdict_json, JSON_REJECT_DUPLICATES, &jerr);
        if (f->verdict == NULL)
            return cg__fail(err, CG_E_INVAL, "report: review item %lld: verdict JSON: %s",
                            (long long)item->id, jerr.text);
        if (!json_is_object(f->verdict)) {
            st = cg__fail(err, CG_E_INVAL, "report: review item %lld: verdict is not a JSON "
                                           "object",
                          (long long)item->id);
            cg__report_facts_fini(f);
            return st;
        }
    }
    st = gather(f, fmt, opt != NULL ? opt : &no_opt, err);
    if (st != CG_OK)
        cg__report_facts_fini(f);
    return st;
}

void cg__report_facts_fini(cg__report_facts *f)
{
    char **strs[] = {&f->content_id,     &f->kind,           &f->label,
                     &f->reviewer,       &f->note,           &f->incident_type_opt,
                     &f->escalate,       &f->url,            &f->service,
                     &f->conversation,   &f->message_id,     &f->sender,
                     &f->recipient,      &f->alert,          &f->reporter_name,
                     &f->reporter_first, &f->reporter_last,  &f->reporter_email,
                     &f->organization,   &f->country,        &f->file_name,
                     &f->summary,        &f->file_info};

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        cg__free(*strs[i]);
        *strs[i] = NULL;
    }
    json_decref(f->verdict);
    f->verdict = NULL;
}
