/* The guidance catalogue (include/childguard/guidance.h): parsed with jansson and flattened into
 * a small table of topics by name (each with texts [audience][language]) plus the help lines of
 * one country, so lookups never touch JSON. Policy output, in the policy layer: it reads no text
 * engine data (only the harm names, harm.h).
 *
 * Languages are data: each language code the file uses (ISO 639-1: two lowercase letters, up to
 * CG_GUIDANCE_MAX_LANGS) gets a column in the order of first appearance (so a longer mistyped
 * key is an error, not a new language); a lookup in a language the file lacks falls back to
 * "en", then to the first language.
 *
 * A topic is a harm name ("grooming", ...) or an image topic named after a bank label ("csam",
 * "ncii") or a later model ("nudity"). The harm names are always in the table (so a catalogue
 * without a harm still gives that harm its help lines, as before topics existed), but only the
 * topics under "messages" count as present (cg_guidance_catalog_has_topic).
 *
 * Help routing is data, never code: a help line may carry "harms" (topics it is for), "ages"
 * (the age band of the person concerned: "child" under 18, "adult") and "audiences" (whom it is
 * for: a child helpline for the recipient and sender, a hotline's reporting form for moderators
 * and guardians). With an unknown age every line passes the age filter, which is why each
 * age-filtered line says in its own text who it is for. A line without "audiences" is for every
 * audience. "source" names where the line's facts come from (kept in the file for the people
 * who maintain it). Every country's list is validated, not only the one loaded, so a mistake
 * anywhere in the file is reported whatever the engine's country; a country the file does not
 * list is an error naming those it does. */
#include "childguard/guidance.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/error.h"
#include "policy/json_words.h"
#include "childguard/harm.h"

#define N_AUDIENCE 4
#define N_LANG CG_GUIDANCE_MAX_LANGS
#define MAX_TOPICS 64 /* topic bits are one uint64_t per help line */
#define TOPIC_MAX 31
#define MAX_HELP CG_GUIDANCE_MAX_HELP

static const char *const audience_names[N_AUDIENCE] = {"recipient", "sender", "guardian",
                                                       "moderator"};
static const char *const age_names[] = {"unknown", "child", "adult"};

typedef struct topic {
    char name[TOPIC_MAX + 1];
    int present;                        /* 1: under "messages" in the file */
    char *text[N_AUDIENCE][N_LANG];     /* NULL: none in the file */
} topic;

typedef struct help_line {
    char *text[N_LANG];
    uint64_t topics;                    /* bit per topic index; 0 = every topic */
    unsigned ages;                      /* bit per cg_age_band (child, adult); 0 = every age */
    unsigned audiences;                 /* bit per cg_audience; 0 = every audience */
} help_line;

struct cg_guidance_catalog {
    char langs[N_LANG][CG_GUIDANCE_LANG_MAX + 1]; /* language codes, in order of appearance */
    size_t n_langs;
    topic topics[MAX_TOPICS];
    size_t n_topics;
    help_line help[MAX_HELP];
    size_t n_help;
};

/* What a parse step needs: the file (for messages) and the caller's error. */
typedef struct loader {
    const char *path;
    cg_error *err;
} loader;

const char *cg_policy_audience_name(cg_audience a)
{
    return (unsigned)a < N_AUDIENCE ? audience_names[a] : NULL;
}

const char *cg_policy_age_band_name(cg_age_band b)
{
    return (unsigned)b <= CG_AGE_ADULT ? age_names[b] : NULL;
}

static void help_line_fini(help_line *h)
{
    for (int l = 0; l < N_LANG; l++) {
        cg__free(h->text[l]);
        h->text[l] = NULL;
    }
}

void cg_guidance_catalog_destroy(cg_guidance_catalog *g)
{
    if (g == NULL)
        return;
    for (size_t t = 0; t < g->n_topics; t++)
        for (int a = 0; a < N_AUDIENCE; a++)
            for (int l = 0; l < N_LANG; l++)
                cg__free(g->topics[t].text[a][l]);
    for (size_t i = 0; i < g->n_help; i++)
        help_line_fini(&g->help[i]);
    cg__free(g);
}

/* Fails with CG_E_INVAL: "PATH: PLACE: message". */
__attribute__((format(printf, 3, 4))) static cg_status bad(const loader *L, const char *place,
                                                           const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cg__fail(L->err, CG_E_INVAL, "%s: %s: %s", L->path, place, msg);
}

static cg_status nomem(const loader *L)
{
    return cg__fail(L->err, CG_E_NOMEM, "out of memory loading %s", L->path);
}

/* The column of language code key, added when new; -1 when key is not a language code
 * (two lowercase letters) or the catalogue has no room (*full is then 1). */
static int lang_index(cg_guidance_catalog *g, const char *key, int *full)
{
    const size_t n = strlen(key);

    *full = 0;
    if (n != 2)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (key[i] < 'a' || key[i] > 'z')
            return -1;
    for (size_t l = 0; l < g->n_langs; l++)
        if (strcmp(key, g->langs[l]) == 0)
            return (int)l;
    if (g->n_langs == N_LANG) {
        *full = 1;
        return -1;
    }
    memcpy(g->langs[g->n_langs], key, n + 1);
    return (int)g->n_langs++;
}

/* The column of language code lang, or -1. */
static int find_lang(const cg_guidance_catalog *g, const char *lang)
{
    for (size_t l = 0; lang != NULL && l < g->n_langs; l++)
        if (strcmp(lang, g->langs[l]) == 0)
            return (int)l;
    return -1;
}

/* [a-z0-9_]{1,31}: the names a topic may have (harm names and bank labels fit). */
static int topic_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > TOPIC_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int find_topic(const cg_guidance_catalog *g, const char *name)
{
    for (size_t t = 0; name != NULL && t < g->n_topics; t++)
        if (strcmp(g->topics[t].name, name) == 0)
            return (int)t;
    return -1;
}

/* Copies a string value into *dst (which must be empty). */
static cg_status take_text(const loader *L, const char *place, json_t *v, char **dst)
{
    if (!json_is_string(v))
        return bad(L, place, "expected a text, got %s", cg__json_type_words(v));
    *dst = cg__strdup(json_string_value(v));
    return *dst == NULL ? nomem(L) : CG_OK;
}

/* messages.TOPIC: {"recipient": {"en": text, "vi": text}, "sender": ..., ...}. */
static cg_status parse_topic(const loader *L, cg_guidance_catalog *g,
                             const char *name, json_t *byaud)
{
    char place[160];
    const char *akey, *lkey;
    json_t *bylang, *v;

    snprintf(place, sizeof(place), "messages.%s", name);
    if (!topic_name_ok(name))
        return bad(L, place, "a topic name is [a-z0-9_]{1,31}");
    int t = find_topic(g, name);
    if (t < 0) {
        if (g->n_topics == MAX_TOPICS)
            return bad(L, place, "more than %d topics", MAX_TOPICS);
        t = (int)g->n_topics++;
        snprintf(g->topics[t].name, sizeof(g->topics[t].name), "%s", name);
    }
    topic *tp = &g->topics[t];
    tp->present = 1;
    if (!json_is_object(byaud))
        return bad(L, place, "expected an object of audiences (recipient, sender, guardian, "
                   "moderator), got %s", cg__json_type_words(byaud));
    json_object_foreach(byaud, akey, bylang) {
        int a = 0;
        while (a < N_AUDIENCE && strcmp(akey, audience_names[a]) != 0)
            a++;
        snprintf(place, sizeof(place), "messages.%s.%s", name, akey);
        if (a == N_AUDIENCE)
            return bad(L, place, "unknown audience (recipient, sender, guardian, moderator)");
        if (!json_is_object(bylang))
            return bad(L, place, "expected {\"vi\": text, \"en\": text, ...}, got %s",
                       cg__json_type_words(bylang));
        json_object_foreach(bylang, lkey, v) {
            int full;
            int l = lang_index(g, lkey, &full);
            snprintf(place, sizeof(place), "messages.%s.%s.%s", name, akey, lkey);
            if (l < 0 && full)
                return bad(L, place, "more than %d languages", N_LANG);
            if (l < 0)
                return bad(L, place, "not a language code (two lowercase letters: vi, en, ...)");
            cg_status st = take_text(L, place, v, &tp->text[a][l]);
            if (st != CG_OK)
                return st;
        }
    }
    return CG_OK;
}

/* help.COUNTRY[i].harms: topic names (harms or topics under "messages") → bits. */
static cg_status parse_line_topics(const loader *L, const cg_guidance_catalog *g, const char *place,
                                   json_t *v, uint64_t *bits)
{
    char where[200];

    if (!json_is_array(v) || json_array_size(v) == 0)
        return bad(L, place, "expected a non-empty array of topic names, got %s",
                   json_is_array(v) ? "an empty array" : cg__json_type_words(v));
    for (size_t k = 0; k < json_array_size(v); k++) {
        json_t *e = json_array_get(v, k);
        const char *s = json_string_value(e);
        int t = find_topic(g, s);
        snprintf(where, sizeof(where), "%.160s[%zu]", place, k);
        if (s == NULL)
            return bad(L, where, "expected a topic name, got %s", cg__json_type_words(e));
        if (t < 0 || !(g->topics[t].present || cg_text_harm_from_name(s) >= 0))
            return bad(L, where, "\"%s\" is neither a harm nor a topic under \"messages\"", s);
        *bits |= UINT64_C(1) << t;
    }
    return CG_OK;
}

/* help.COUNTRY[i].ages: ["child"], ["adult"] or both → bits. */
static cg_status parse_line_ages(const loader *L, const char *place, json_t *v, unsigned *bits)
{
    char where[200];

    if (!json_is_array(v) || json_array_size(v) == 0)
        return bad(L, place, "expected a non-empty array of age bands (child, adult), got %s",
                   json_is_array(v) ? "an empty array" : cg__json_type_words(v));
    for (size_t k = 0; k < json_array_size(v); k++) {
        const char *s = json_string_value(json_array_get(v, k));
        snprintf(where, sizeof(where), "%.160s[%zu]", place, k);
        if (s != NULL && strcmp(s, "child") == 0)
            *bits |= 1u << CG_AGE_CHILD;
        else if (s != NULL && strcmp(s, "adult") == 0)
            *bits |= 1u << CG_AGE_ADULT;
        else if (s != NULL)
            return bad(L, where, "\"%s\" is not an age band (child, adult)", s);
        else
            return bad(L, where, "expected an age band (child, adult), got %s",
                       cg__json_type_words(json_array_get(v, k)));
    }
    return CG_OK;
}

/* help.COUNTRY[i].audiences: ["recipient", "guardian", ...] → bits. */
static cg_status parse_line_audiences(const loader *L, const char *place, json_t *v,
                                      unsigned *bits)
{
    char where[200];

    if (!json_is_array(v) || json_array_size(v) == 0)
        return bad(L, place, "expected a non-empty array of audiences (recipient, sender, "
                   "guardian, moderator), got %s",
                   json_is_array(v) ? "an empty array" : cg__json_type_words(v));
    for (size_t k = 0; k < json_array_size(v); k++) {
        const char *s = json_string_value(json_array_get(v, k));
        int a = 0;

        snprintf(where, sizeof(where), "%.160s[%zu]", place, k);
        while (s != NULL && a < N_AUDIENCE && strcmp(s, audience_names[a]) != 0)
            a++;
        if (s == NULL || a == N_AUDIENCE)
            return bad(L, where, "not an audience (recipient, sender, guardian, moderator)");
        *bits |= 1u << a;
    }
    return CG_OK;
}

/* One help line into *h (empty on entry; the caller frees it on any result). */
static cg_status parse_line(const loader *L, cg_guidance_catalog *g, const char *country,
                            size_t i, json_t *o, help_line *h)
{
    char place[160];
    const char *key;
    json_t *v;
    cg_status st = CG_OK;

    snprintf(place, sizeof(place), "help.%s[%zu]", country, i);
    if (!json_is_object(o))
        return bad(L, place, "expected {\"vi\": text, \"en\": text, \"harms\": [...], "
                   "\"ages\": [...]}, got %s", cg__json_type_words(o));
    json_object_foreach(o, key, v) {
        snprintf(place, sizeof(place), "help.%s[%zu].%s", country, i, key);
        if (strcmp(key, "harms") == 0)
            st = parse_line_topics(L, g, place, v, &h->topics);
        else if (strcmp(key, "ages") == 0)
            st = parse_line_ages(L, place, v, &h->ages);
        else if (strcmp(key, "audiences") == 0)
            st = parse_line_audiences(L, place, v, &h->audiences);
        else if (strcmp(key, "note") == 0 || strcmp(key, "source") == 0)
            st = json_is_string(v) ? CG_OK
                                   : bad(L, place, "expected a text, got %s",
                                       cg__json_type_words(v));
        else {
            int full;
            int l = lang_index(g, key, &full);
            st = l >= 0 ? take_text(L, place, v, &h->text[l])
                 : full ? bad(L, place, "more than %d languages", N_LANG)
                        : bad(L, place, "unknown key (a language code such as vi or en, harms, "
                              "ages, audiences, source, note)");
        }
        if (st != CG_OK)
            return st;
    }
    int any = 0;
    for (int l = 0; l < N_LANG; l++)
        any |= h->text[l] != NULL;
    if (!any) {
        snprintf(place, sizeof(place), "help.%s[%zu]", country, i);
        return bad(L, place, "a help line needs a text in at least one language (\"vi\", "
                   "\"en\", ...)");
    }
    return CG_OK;
}

/* help: {"VN": [line, ...], "default": [...]}. Every list is validated; only the lines of
 * the chosen country (country, else "default") are kept. */
static cg_status parse_help(const loader *L, cg_guidance_catalog *g,
                            json_t *help, const char *country)
{
    const char *key;
    json_t *lines;
    char place[160];

    if (!json_is_object(help))
        return bad(L, "help", "expected an object of countries, got %s", cg__json_type_words(help));
    const char *keep = json_object_get(help, country) != NULL ? country : "default";
    json_object_foreach(help, key, lines) {
        int is_cc = strlen(key) == 2 && key[0] >= 'A' && key[0] <= 'Z' && key[1] >= 'A' &&
                    key[1] <= 'Z';
        snprintf(place, sizeof(place), "help.%s", key);
        if (!is_cc && strcmp(key, "default") != 0)
            return bad(L, place, "not a country (ISO 3166 alpha-2, e.g. \"VN\") or \"default\"");
        if (!json_is_array(lines))
            return bad(L, place, "expected an array of help lines, got %s",
                cg__json_type_words(lines));
        if (json_array_size(lines) > MAX_HELP)
            return bad(L, place, "%zu help lines, more than %d", json_array_size(lines),
                       MAX_HELP);
        int kept = strcmp(key, keep) == 0;
        for (size_t i = 0; i < json_array_size(lines); i++) {
            help_line scratch = {0};
            help_line *h = kept ? &g->help[g->n_help++] : &scratch;
            cg_status st = parse_line(L, g, key, i, json_array_get(lines, i), h);
            if (!kept)
                help_line_fini(&scratch);
            if (st != CG_OK)
                return st;
        }
    }
    if (json_object_get(help, country) == NULL && strcmp(country, "default") != 0) {
        /* A country the catalogue does not know: say which it knows, never fall back
         * silently to lines for somewhere else. */
        char known[400];
        size_t used = 0;

        known[0] = '\0';
        json_object_foreach(help, key, lines) {
            int w = snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "", key);
            if (w < 0 || (size_t)w >= sizeof(known) - used)
                break;
            used += (size_t)w;
        }
        return cg__fail(L->err, CG_E_INVAL,
                        "unknown country \"%.16s\": the help lines know %s (%s)", country,
                        known, L->path);
    }
    return CG_OK;
}

static cg_status parse_root(const loader *L, cg_guidance_catalog *g,
                            json_t *root, const char *country)
{
    const char *key;
    json_t *v;
    cg_status st;

    if (!json_is_object(root))
        return bad(L, "(top level)", "expected an object with \"messages\" and \"help\", got %s",
                   cg__json_type_words(root));
    json_object_foreach(root, key, v) {
        if (strcmp(key, "version") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != 1)
                return bad(L, "version", "this build reads version 1");
        } else if (strcmp(key, "note") == 0) {
            if (!json_is_string(v))
                return bad(L, "note", "expected a text, got %s", cg__json_type_words(v));
        } else if (strcmp(key, "messages") != 0 && strcmp(key, "help") != 0) {
            return bad(L, key, "unknown key (version, note, messages, help)");
        }
    }
    /* The harms first, so they are topics even when the file has no messages for them. */
    for (int h = 0; h < CG_HARM_COUNT; h++)
        snprintf(g->topics[h].name, sizeof(g->topics[h].name), "%s", cg_text_harm_name((cg_harm)h));
    g->n_topics = CG_HARM_COUNT;
    json_t *messages = json_object_get(root, "messages");
    if (messages != NULL && !json_is_object(messages))
        return bad(L, "messages", "expected an object of topics, got %s",
            cg__json_type_words(messages));
    json_object_foreach(messages, key, v) {
        st = parse_topic(L, g, key, v);
        if (st != CG_OK)
            return st;
    }
    /* After the messages: help lines name topics. */
    json_t *help = json_object_get(root, "help");
    return help != NULL ? parse_help(L, g, help, country) : CG_OK;
}

cg_status cg_guidance_catalog_open(const char *path, const char *country,
                                   cg_guidance_catalog **out, cg_error *err)
{
    const loader L = {path, err};
    json_error_t je;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "guidance: NULL argument");
    *out = NULL;
    if (path == NULL)
        return cg__fail(err, CG_E_INVAL, "guidance: no catalogue path");
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return cg__fail(err, CG_E_INVAL, "%s:%d: %s", path, je.line, je.text);
    cg_guidance_catalog *g = cg__calloc(1, sizeof(*g));
    if (g == NULL) {
        json_decref(root);
        return nomem(&L);
    }
    /* "us" and "US" are the same country; "default" stays as it is. */
    char cc[17];
    snprintf(cc, sizeof(cc), "%s", country != NULL && *country != '\0' ? country : "VN");
    if (strcmp(cc, "default") != 0)
        for (char *p = cc; *p != '\0'; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    st = parse_root(&L, g, root, cc);
    json_decref(root);
    if (st != CG_OK) {
        cg_guidance_catalog_destroy(g);
        return st;
    }
    *out = g;
    return CG_OK;
}

const char *cg_guidance_default_path(const char *data_dir, char *buf, size_t cap)
{
    const char *env = getenv("CHILDGUARD_DATA");
    struct stat sb;

    if (data_dir == NULL && env != NULL && *env != '\0')
        data_dir = env;
    if (data_dir == NULL) {
        data_dir = CG_DEFAULT_DATA_DIR;
#ifdef CG_SOURCE_DATA_DIR
        if (stat(CG_DEFAULT_DATA_DIR, &sb) != 0 || !S_ISDIR(sb.st_mode))
            data_dir = CG_SOURCE_DATA_DIR;
#else
        (void)sb;
#endif
    }
    snprintf(buf, cap, "%s/text/guidance.json", data_dir);
    return buf;
}

int cg_guidance_has_topic(const cg_guidance_catalog *g, const char *name)
{
    int t = g != NULL ? find_topic(g, name) : -1;
    return t >= 0 && g->topics[t].present;
}

size_t cg_guidance_lang_count(const cg_guidance_catalog *g)
{
    return g != NULL ? g->n_langs : 0;
}

const char *cg_guidance_lang(const cg_guidance_catalog *g, size_t i)
{
    return g != NULL && i < g->n_langs ? g->langs[i] : NULL;
}

/* The first text of texts[0 .. N_LANG) in the order: lang l, "en", the first language. */
static const char *pick(const cg_guidance_catalog *g, char *const *texts, int l)
{
    const int en = find_lang(g, "en");

    if (l >= 0 && texts[l] != NULL)
        return texts[l];
    if (en >= 0 && texts[en] != NULL)
        return texts[en];
    for (size_t k = 0; k < g->n_langs; k++)
        if (texts[k] != NULL)
            return texts[k];
    return NULL;
}

void cg_guidance_lookup(const cg_guidance_catalog *g, const char *name, cg_audience audience,
                        const char *lang, cg_age_band age, cg_guidance *out)
{
    memset(out, 0, sizeof(*out));
    if (g == NULL || (unsigned)audience >= N_AUDIENCE)
        return;
    int t = find_topic(g, name);
    if (t < 0)
        return;
    const int l = find_lang(g, lang);
    const topic *tp = &g->topics[t];
    out->text = pick(g, tp->text[audience], l);
    for (size_t i = 0; i < g->n_help; i++) {
        const help_line *h = &g->help[i];
        if (h->topics != 0 && !(h->topics & (UINT64_C(1) << t)))
            continue;
        if (h->ages != 0 && (age == CG_AGE_CHILD || age == CG_AGE_ADULT) &&
            !(h->ages & (1u << age)))
            continue;
        if (h->audiences != 0 && !(h->audiences & (1u << audience)))
            continue;
        out->help[out->n_help++] = pick(g, h->text, l);
    }
}
