/* The text engine and sessions (include/childguard/text.h): loading the data files once, and
 * per message: normalise → lexicon cues + personal-data and age detectors → conversation update.
 * A session owns every buffer a scan needs (normalised forms, hit lists, the lexicon scratch),
 * so a warm session scans without allocating. */
#include "childguard/text.h"
#include "childguard/textmodel.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/conversation.h"
#include "text/session_state.h"
#include "text/detect.h"
#include "text/detect_words.h"
#include "text/learned.h"
#include "text/lexicon.h"
#include "text/normalize.h"

#ifndef CG_DEFAULT_DATA_DIR
#define CG_DEFAULT_DATA_DIR "/usr/local/share/childguard"
#endif

#define MAX_MESSAGE_BYTES (1u << 20)

struct cg_text_engine {
    char *data_dir;
    char lang[8];                 /* "" = all */
    cg__normalizer *nz;
    cg__lexicon *lx;
    unsigned char *cue_allowed;   /* per cue: its language is wanted */
    cg_text_model *model;         /* optional */
    int *model_harm;              /* per model label: the harm it scores, or -1 */
    char (*model_cue)[64];        /* per model label: "model.<label>" */
    cg_text_model *learned;       /* the learned layer (learned.h), or NULL */
    int learned_harm[CG_TEXT_MODEL_MAX_LABELS];
    char learned_cue[CG_TEXT_MODEL_MAX_LABELS][64]; /* "learned.<harm>" */
};

struct cg_text_session {
    cg_text_engine *e;
    cg__lexicon_scratch *scratch;
    cg__normalized nm;
    cg__cue_hits cues;
    cg__pii_hits pii;
    cg__age_signals ages;
    cg__word *words;              /* the plain form's words, split once for every detector */
    size_t words_cap;
    cg__finding *findings;
    const char **langs;           /* per cue finding: its lexicon's language */
    size_t cap_findings;
    float *scores;                /* per model label */
    cg__convs *convs;
    cg__learned_scratch lf;       /* the learned layer's feature line and vectors */
    int keep_features;
    int have_features;            /* lf holds the last message's line */
};

static int is_dir(const char *p)
{
    struct stat st;
    return p != NULL && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The data directory: the config's, $CHILDGUARD_DATA, the install's, the source tree's. */
static const char *pick_data_dir(const cg_text_config *cfg)
{
    if (cfg != NULL && cfg->data_dir != NULL)
        return cfg->data_dir;
    const char *env = getenv("CHILDGUARD_DATA");
    if (env != NULL && *env != '\0')
        return env;
    if (is_dir(CG_DEFAULT_DATA_DIR))
        return CG_DEFAULT_DATA_DIR;
#ifdef CG_SOURCE_DATA_DIR
    return CG_SOURCE_DATA_DIR;
#else
    return CG_DEFAULT_DATA_DIR;
#endif
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct path_list {
    char **v;     /* NULL-terminated */
    size_t n, cap;
} path_list;

static void path_list_free(path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        cg__free(l->v[i]);
    cg__free(l->v);
}

/* Appends a, or a/b when b is not NULL. -1 when out of memory. */
static int path_list_add(path_list *l, const char *a, const char *b)
{
    if (l->n + 1 >= l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **w = cg__realloc(l->v, cap * sizeof(*w));
        if (w == NULL)
            return -1;
        l->v = w;
        l->cap = cap;
    }
    size_t need = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
    char *p = cg__malloc(need);
    if (p == NULL)
        return -1;
    snprintf(p, need, b ? "%s/%s" : "%s", a, b);
    l->v[l->n++] = p;
    l->v[l->n] = NULL;
    return 0;
}

/* The *.tsv files of dir/lexicons, sorted, then the extra ones. */
static cg_status lexicon_paths(const char *dir, const char *const *extra, path_list *out,
                               cg_error *err)
{
    char path[4096];
    int nomem = 0;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "%s/lexicons", dir);
    DIR *d = opendir(path);
    if (d == NULL && (extra == NULL || extra[0] == NULL))
        return cg__fail(err, CG_E_IO, "%s: no lexicon directory (set the data directory)", path);
    for (struct dirent *de; d != NULL && !nomem && (de = readdir(d)) != NULL;) {
        size_t len = strlen(de->d_name);
        if (len >= 5 && strcmp(de->d_name + len - 4, ".tsv") == 0 && de->d_name[0] != '.')
            nomem = path_list_add(out, path, de->d_name) != 0;
    }
    if (d != NULL)
        closedir(d);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    for (size_t i = 0; !nomem && extra != NULL && extra[i] != NULL; i++)
        nomem = path_list_add(out, extra[i], NULL) != 0;
    if (nomem) {
        path_list_free(out);
        return cg__fail(err, CG_E_NOMEM, "out of memory listing lexicons");
    }
    return CG_OK;
}

/* Loads the learned layer: the configured file, else dir/text/learned.bin when it exists. It
 * must be a raw-token model whose labels are harm names. */
static cg_status learned_open(cg_text_engine *e, const cg_text_config *cfg, const char *dir,
                              cg_error *err)
{
    char path[4096];
    struct stat sb;
    cg_status st;

    if (cfg != NULL && cfg->no_learned)
        return CG_OK;
    if (cfg != NULL && cfg->learned_path != NULL)
        snprintf(path, sizeof(path), "%s", cfg->learned_path);
    else {
        snprintf(path, sizeof(path), "%s/text/learned.bin", dir);
        if (stat(path, &sb) != 0)
            return CG_OK;
    }
    st = cg_text_model_open(path, &e->learned, err);
    if (st != CG_OK)
        return st;
    if (!(e->learned->p.flags & CG__LIN_RAW) || e->learned->nlabels == 0)
        return cg__fail(err, CG_E_INVAL, "%s: not a learned layer (a model trained with "
                        "--tokens on the engine's feature lines)", path);
    for (unsigned i = 0; i < e->learned->nlabels; i++) {
        const char *label = e->learned->labels[i];
        e->learned_harm[i] = cg_text_harm_from_name(label);
        if (e->learned_harm[i] < 0)
            return cg__fail(err, CG_E_INVAL, "%s: label \"%s\" is not a harm name", path,
                            label);
        snprintf(e->learned_cue[i], sizeof(e->learned_cue[i]), "learned.%s", label);
    }
    return CG_OK;
}

void cg_text_engine_close(cg_text_engine *e)
{
    if (e == NULL)
        return;
    cg__lexicon_free(e->lx);
    cg__normalizer_free(e->nz);
    cg__free(e->cue_allowed);
    cg_text_model_close(e->model);
    cg_text_model_close(e->learned);
    cg__free(e->model_harm);
    cg__free(e->model_cue);
    cg__free(e->data_dir);
    cg__free(e);
}

/* Where compiled lexicons are kept: cfg->cache_dir, else $CHILDGUARD_CACHE_DIR; "" or "off"
 * (in either) is none. */
static const char *pick_cache_dir(const cg_text_config *cfg)
{
    const char *d = cfg != NULL && cfg->cache_dir != NULL ? cfg->cache_dir
                                                          : getenv("CHILDGUARD_CACHE_DIR");

    return d == NULL || d[0] == '\0' || strcmp(d, "off") == 0 ? NULL : d;
}

cg_status cg_text_engine_open(const cg_text_config *cfg, cg_text_engine **out, cg_error *err)
{
    const char *dir = pick_data_dir(cfg);
    void (*bad)(const char *, uint64_t, const char *, void *) = cfg ? cfg->on_bad_row : NULL;
    void *ud = cfg ? cfg->ud : NULL;
    path_list paths;
    cg_status st;

    *out = NULL;
    cg_text_engine *e = cg__calloc(1, sizeof(*e));
    if (e == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory opening the text engine");
    e->data_dir = cg__strdup(dir);
    if (cfg != NULL && cfg->lang != NULL && strcmp(cfg->lang, "auto") != 0)
        snprintf(e->lang, sizeof(e->lang), "%s", cfg->lang);
    if (e->data_dir == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "out of memory opening the text engine");
        goto fail;
    }
    char vi[4096], en[4096];
    snprintf(vi, sizeof(vi), "%s/text/teencode-vi.tsv", dir);
    snprintf(en, sizeof(en), "%s/text/teencode-en.tsv", dir);
    const char *tables[2] = {vi, en};
    st = cg__normalizer_open_files(tables, 2, bad, ud, &e->nz, err);
    if (st != CG_OK)
        goto fail;
    st = lexicon_paths(dir, cfg ? cfg->extra_lexicons : NULL, &paths, err);
    if (st != CG_OK)
        goto fail;
    st = cg__lexicon_load(e->nz, (const char *const *)paths.v, paths.n, bad, ud,
                          pick_cache_dir(cfg), &e->lx, err);
    path_list_free(&paths);
    if (st != CG_OK)
        goto fail;
    size_t n = cg__lexicon_count(e->lx);
    e->cue_allowed = cg__malloc(n + 1);
    if (e->cue_allowed == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "out of memory opening the text engine");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const char *l = cg__lexicon_cue(e->lx, (uint32_t)i)->lang;
        e->cue_allowed[i] = e->lang[0] == '\0' || strcmp(l, "*") == 0 || strcmp(l, e->lang) == 0;
    }
    if (cfg != NULL && cfg->model_path != NULL) {
        st = cg_text_model_open(cfg->model_path, &e->model, err);
        if (st != CG_OK)
            goto fail;
        unsigned nl = cg_text_model_label_count(e->model);
        e->model_harm = cg__calloc(nl + 1, sizeof(*e->model_harm));
        e->model_cue = cg__calloc(nl + 1, sizeof(*e->model_cue));
        if (e->model_harm == NULL || e->model_cue == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "out of memory opening the text engine");
            goto fail;
        }
        for (unsigned i = 0; i < nl; i++) {
            const char *label = cg_text_model_label_name(e->model, i);
            e->model_harm[i] = cg_text_harm_from_name(label);
            snprintf(e->model_cue[i], sizeof(e->model_cue[i]), "model.%s", label);
        }
    }
    st = learned_open(e, cfg, dir, err);
    if (st != CG_OK)
        goto fail;
    *out = e;
    return CG_OK;
fail:
    cg_text_engine_close(e);
    return st;
}

int cg_text_engine_has_learned(const cg_text_engine *e)
{
    return e != NULL && e->learned != NULL;
}

void cg_text_session_keep_features(cg_text_session *s, int on)
{
    if (s != NULL)
        s->keep_features = on != 0;
}

const char *cg_text_session_features(const cg_text_session *s)
{
    return s != NULL && s->have_features ? s->lf.s : NULL;
}

const cg__learned_scratch *cg__text_session_learned(const cg_text_session *s)
{
    return s != NULL ? &s->lf : NULL;
}

size_t cg_text_engine_cue_count(const cg_text_engine *e)
{
    return e != NULL && e->lx != NULL ? cg__lexicon_count(e->lx) : 0;
}

cg_status cg_text_session_create(cg_text_engine *e, cg_text_session **out, cg_error *err)
{
    cg_status st;
    cg_text_session *s = cg__calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory for a text session");
    s->e = e;
    st = cg__lexicon_scratch_new(e->lx, &s->scratch, err);
    if (st == CG_OK && e->model != NULL) {
        s->scores = cg__calloc(cg_text_model_label_count(e->model) + 1, sizeof(*s->scores));
        if (s->scores == NULL)
            st = cg__fail(err, CG_E_NOMEM, "out of memory for a text session");
    }
    if (st == CG_OK)
        st = cg__convs_new(&s->convs, err);
    if (st != CG_OK) {
        cg_text_session_destroy(s);
        return st;
    }
    *out = s;
    return CG_OK;
}

void cg_text_session_destroy(cg_text_session *s)
{
    if (s == NULL)
        return;
    cg__lexicon_scratch_free(s->scratch);
    cg__normalized_free(&s->nm);
    cg__cue_hits_free(&s->cues);
    cg__pii_hits_free(&s->pii);
    cg__age_signals_free(&s->ages);
    cg__free(s->words);
    cg__free(s->findings);
    cg__free(s->langs);
    cg__free(s->scores);
    cg__convs_free(s->convs);
    cg__learned_scratch_free(&s->lf);
    cg__free(s);
}

void cg_text_result_free(cg_text_result *res)
{
    if (res == NULL)
        return;
    cg__free(res->evidence);
    cg__free(res->participants);
    memset(res, 0, sizeof(*res));
}


/* The learned layer's constants, chosen by 4-fold cross-validation over the corpus's train
 * split (docs/text.md, "The learned layer"): a label counts from its harm's minimum score (or
 * the model's own threshold when higher), as evidence of LEARNED_WEIGHT times its score. The
 * harms whose evidence builds up over a conversation (grooming, bullying, personal data) count
 * from 0.5: one such guess stays below the alert level, a run of them is a trajectory. */
static const float learned_min_score[CG_HARM_COUNT] = {0.5f, 0.6f, 0.6f, 0.5f, 0.6f, 0.5f};
#define LEARNED_WEIGHT 1.0f

/* The score from which a learned label counts. */
static float learned_threshold(const cg_text_model *m, unsigned i, int h)
{
    const float t = m->threshold[i];
    const float mn = learned_min_score[h];
    return t > mn ? t : mn;
}
#define MODEL_MIN_SCORE 0.7f
#define MODEL_WEIGHT 0.7f

/* How much a context marker weakens a cue of a harm and facet (docs/text.md, "Context"):
 * laughter and game talk make threats, "go die" and despair read as banter; schoolwork as the
 * subject makes "it will kill me" hyperbole; a thing as the object of a photo request, or a
 * relative or teacher asking, makes it a family or school request; quoting or reporting makes
 * the writer a witness. Factors multiply. */
static float context_factor(unsigned ctx, cg_harm h, cg_facet f)
{
    float k = 1.0f;
    const int threat = h == CG_HARM_BULLYING &&
                       (f == CG_FACET_BULLY_THREAT || f == CG_FACET_INCITEMENT);

    if (ctx & CG__CTX_LAUGH) {
        if (h == CG_HARM_SELF_HARM_RISK || threat)
            k *= 0.4f;
    }
    if (ctx & CG__CTX_GAME) {
        if (threat)
            k *= 0.5f;
        else if (h == CG_HARM_BULLYING && f == CG_FACET_INSULT)
            k *= 0.7f;
        else if (h == CG_HARM_SELF_HARM_RISK)
            k *= 0.7f;
    }
    if ((ctx & CG__CTX_TASK) && (h == CG_HARM_SELF_HARM_RISK || threat))
        k *= 0.5f;
    if (ctx & CG__CTX_OBJECT) {
        if (h == CG_HARM_SEXUAL_SOLICITATION)
            k *= 0.3f;
        else if (h == CG_HARM_SEXTORTION && f == CG_FACET_IMAGE)
            k *= 0.5f;
    }
    if (ctx & CG__CTX_KIN) {
        if (h == CG_HARM_SEXUAL_SOLICITATION)
            k *= 0.6f;
        else if (h == CG_HARM_GROOMING &&
                 (f == CG_FACET_FRIENDSHIP || f == CG_FACET_RELATIONSHIP || f == CG_FACET_MEETING))
            k *= 0.6f;
    }
    if ((ctx & (CG__CTX_REPORT | CG__CTX_NEWS)) && h != CG_HARM_SELF_HARM_RISK &&
        h != CG_HARM_PERSONAL_DATA)
        k *= 0.5f;
    if (ctx & CG__CTX_STORY) {
        if (h == CG_HARM_SELF_HARM_RISK)
            k *= 0.4f;
        else if (threat)
            k *= 0.5f;
    }
    return k;
}

/* The facet a learned finding of harm h is read as by the context (it has none of its own):
 * the facet its harm's context factors are meant for. */
static cg_facet learned_facet(cg_harm h)
{
    switch (h) {
    case CG_HARM_GROOMING: return CG_FACET_FRIENDSHIP;
    case CG_HARM_SEXUAL_SOLICITATION: return CG_FACET_REQUEST;
    case CG_HARM_SEXTORTION: return CG_FACET_IMAGE;
    case CG_HARM_BULLYING: return CG_FACET_INSULT;
    case CG_HARM_SELF_HARM_RISK: return CG_FACET_DESPAIR;
    default: return CG_FACET_NONE;
    }
}

/* Facets a negator before the cue turns around (detect_negation.c): a request or a demand
 * refused or advised against, an image denied, despair denied. Threats stay: "pay and I won't
 * post it" is still a threat. */
static int negatable(cg_facet f)
{
    return f == CG_FACET_REQUEST || f == CG_FACET_DEMAND || f == CG_FACET_IMAGE ||
           f == CG_FACET_DESPAIR;
}

#define NEGATED_FACTOR 0.3f

/* 1 when bytes [a, b) of text lie between an opening and a closing quotation mark (ASCII '"',
 * “ ” „ « »): a cue inside quotes is someone else's words, quoted. */
static int quoted(const char *text, size_t len, uint32_t a, uint32_t b)
{
    int inside = 0;
    size_t open = 0;

    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)text[i];
        size_t w = 0;
        if (c == '"')
            w = 1;
        else if (c == 0xe2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
                 ((unsigned char)text[i + 2] == 0x9c || (unsigned char)text[i + 2] == 0x9d ||
                  (unsigned char)text[i + 2] == 0x9e))
            w = 3;
        else if (c == 0xc2 && i + 1 < len &&
                 ((unsigned char)text[i + 1] == 0xab || (unsigned char)text[i + 1] == 0xbb))
            w = 2;
        if (w == 0)
            continue;
        if (!inside) {
            inside = 1;
            open = i;
        } else {
            inside = 0;
            if (open < a && b <= i)
                return 1;
        }
        i += w - 1;
    }
    return 0;
}

#define QUOTED_FACTOR 0.4f

/* Weakens the lexicon cues of a message by its context markers (detected only when a cue that
 * context can weaken was found, so most messages pay nothing), cues inside quotation marks
 * (a child quoting what was said to them, lyrics, a title) of every harm but personal data,
 * negated cues and the writer's own offers to send ("I'll send a pic"). *quoted_harms gets the
 * harms with a quoted, negated or offered cue; *own gets the message's markers | SCANNED when
 * they were read, else 0. carried: the topic markers of the conversation's last messages, which count as this
 * message's own except for despair (a child may despair in the middle of a game or an exam
 * chat: cross-validation lost self-harm conversations when they counted). */
#define SCANNED 0x80000000u

static void apply_context(const char *text, size_t len, const cg__normalized *nm,
                          const cg__word *w, size_t nw, cg__finding *f, size_t n,
                          unsigned carried, unsigned *own, unsigned *quoted_harms)
{
    int any = 0, neg = 0;
    int quotes = -1; /* unknown until a cue asks */

    *quoted_harms = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].harm == CG_HARM_PERSONAL_DATA)
            continue;
        neg |= negatable(f[i].facet);
        if (quotes < 0)
            quotes = memchr(text, '"', len) != NULL || memchr(text, 0xe2, len) != NULL ||
                     memchr(text, 0xc2, len) != NULL;
        if (quotes && quoted(text, len, f[i].start, f[i].end)) {
            f[i].weight *= QUOTED_FACTOR;
            *quoted_harms |= 1u << f[i].harm;
        }
    }
    /* A demand read over the whole message (carried from earlier messages, a countdown) in a
     * message whose cues of its harm are quoted is quoted too: a child telling what was said. */
    for (size_t i = 0; *quoted_harms != 0 && i < n; i++)
        if (f[i].start == 0 && f[i].end == len && f[i].harm != CG_HARM_PERSONAL_DATA &&
            (*quoted_harms & (1u << f[i].harm)) && !quoted(text, len, f[i].start, f[i].end))
            f[i].weight *= QUOTED_FACTOR;
    if (neg) {
        for (size_t i = 0; i < n; i++) {
            if (f[i].harm == CG_HARM_PERSONAL_DATA || !negatable(f[i].facet))
                continue;
            if (cg__context_negated(text, w, nw, f[i].start) ||
                (f[i].facet == CG_FACET_REQUEST && cg__context_self_offer(w, nw, f[i].start)) ||
                (f[i].facet == CG_FACET_DESPAIR && cg__context_hyperbole(w, nw, f[i].end))) {
                f[i].weight *= NEGATED_FACTOR;
                *quoted_harms |= 1u << f[i].harm; /* the learned layer read the same words */
            }
        }
    }
    *own = 0;
    for (size_t i = 0; i < n && !any; i++)
        any = context_factor(~0u, f[i].harm, f[i].facet) < 1.0f;
    if (!any)
        return;
    *own = cg__context_scan(text, len, nm) | SCANNED;
    const unsigned mine = *own & ~SCANNED;
    if ((mine | carried) == 0)
        return;
    for (size_t i = 0; i < n; i++)
        f[i].weight *= context_factor(f[i].harm == CG_HARM_SELF_HARM_RISK ? mine : mine | carried,
                                      f[i].harm, f[i].facet);
}

/* Cues of one harm and facet over overlapping words from lexicons of two languages are one
 * piece of evidence said twice (the English and the Vietnamese "send a pic" both match "send a
 * pic"): the strongest is kept, so a phrase never counts twice. Returns the new count; lang[i]
 * is the language of finding i. */
static size_t merge_languages(cg__finding *f, const char **lang, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < k && !(f[j].harm == f[i].harm && f[j].facet == f[i].facet &&
                          f[j].start < f[i].end && f[i].start < f[j].end &&
                          strcmp(lang[j], lang[i]) != 0))
            j++;
        if (j == k) {
            lang[k] = lang[i];
            f[k++] = f[i];
        } else if (f[i].weight > f[j].weight) {
            lang[j] = lang[i];
            f[j] = f[i];
        }
    }
    return k;
}

/* Pressure cues ("just one", "pls", "why not, everyone does it", "đi mà", "có sao đâu") and
 * vague asks ("send me something", "send another one", "gửi đi", "5 tấm") are solicitation only
 * from a sender who has already asked for images: their id starts with PRESSURE_PREFIX or
 * ASK_PREFIX, and they count only when, before this message, the sender's solicitation
 * evidence is at least PRESSURE_MIN, or the sender was the last to ask (a solicitation cue but
 * pressure and calls: a request or a vague ask, counted or not) and another party has refused
 * since ("no", "stop", "thôi", "em không muốn": asking again after a no is pressure, whatever
 * the words; "pls" about homework and a "no way" are not an ask and its refusal). A video call asked for (CALL_PREFIX) counts
 * from a sender whose solicitation or grooming evidence is at least PRESSURE_MIN: friends and
 * family call, a groomer's call is a request. Otherwise they are dropped before anything
 * reads them (the learned layer included), so "pls" in a chat about homework is no evidence
 * of anything. *asked: the message held a solicitation cue before the gate. */
#define PRESSURE_PREFIX "sol.press."
#define ASK_PREFIX "sol.ask."
#define CALL_PREFIX "sol.call."
#define PRESSURE_MIN 0.3f

static int has_prefix(const char *id, const char *prefix, size_t n)
{
    return id[0] == prefix[0] && strncmp(id, prefix, n) == 0;
}

static size_t pressure_filter(cg_text_session *s, const cg_text_message *msg, size_t n,
                              int *asked)
{
    cg__finding *f = s->findings;
    float sol = -1.0f; /* the sender's solicitation evidence, unknown until a cue asks */
    int open = -1, call = -1;
    size_t k = 0;

    *asked = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].harm != CG_HARM_SEXUAL_SOLICITATION) {
            s->langs[k] = s->langs[i];
            f[k++] = f[i];
            continue;
        }
        const int press = has_prefix(f[i].cue, PRESSURE_PREFIX, sizeof(PRESSURE_PREFIX) - 1) ||
                          has_prefix(f[i].cue, ASK_PREFIX, sizeof(ASK_PREFIX) - 1);
        const int calls = !press && has_prefix(f[i].cue, CALL_PREFIX, sizeof(CALL_PREFIX) - 1);
        *asked |= !calls && !has_prefix(f[i].cue, PRESSURE_PREFIX, sizeof(PRESSURE_PREFIX) - 1);
        if ((press || calls) && sol < 0.0f)
            sol = cg__convs_sender_evidence(s->convs, msg, CG_HARM_SEXUAL_SOLICITATION);
        if (press) {
            if (open < 0)
                open = sol >= PRESSURE_MIN ||
                       cg__convs_ask_state(s->convs, msg) == CG__ASK_MINE_REFUSED;
            if (!open)
                continue;
        } else if (calls) {
            if (call < 0)
                call = sol >= PRESSURE_MIN ||
                       cg__convs_sender_evidence(s->convs, msg, CG_HARM_GROOMING) >= PRESSURE_MIN;
            if (!call)
                continue;
        }
        s->langs[k] = s->langs[i];
        f[k++] = f[i];
    }
    return k;
}

/* The lexicon's countdown cues ("you have 2 hours", "5 minutes left", "còn 30 phút", "quá
 * giờ"): a threat only from a writer who has named an image or a threat, whose demand is
 * pending or whose message asks for an amount or has another sextortion cue (round 8, as the countdown of
 * detect_demand.c); otherwise a teacher's "10 minutes left on the test" or a parent's "you have
 * 5 minutes to get ready", and dropped before anything reads them (the learned layer
 * included). held: as in cg_text_scan (-1 unknown); *dropped: some were. Returns the new
 * count. */
static const char *const COUNTDOWN_CUES[] = {"sx.threat.deadline.", "sx.threat.time_left.",
                                             "sx.threat.minutes.", "sx.threat.past_time.",
                                             "sx.dem.countdown.", NULL};

static int countdown_id(const char *id)
{
    for (const char *const *c = COUNTDOWN_CUES; *c != NULL; c++)
        if (has_prefix(id, *c, strlen(*c)))
            return 1;
    return 0;
}

static int countdown_cue(const cg__finding *f)
{
    return f->harm == CG_HARM_SEXTORTION && countdown_id(f->cue);
}

static size_t countdown_filter(cg_text_session *s, const cg_text_message *msg, size_t n,
                               int held, unsigned parts, int *dropped)
{
    cg__finding *f = s->findings;
    size_t k = 0;
    int any = 0, other = 0;

    *dropped = 0;
    for (size_t i = 0; i < n; i++) {
        const int c = countdown_cue(&f[i]);
        any |= c;
        other |= f[i].harm == CG_HARM_SEXTORTION && !c;
    }
    if (!any || other || (parts & CG__DEM_ASK))
        return n;
    if (held < 0)
        held = cg__convs_sender_rules(s->convs, msg, CG_HARM_SEXTORTION) >= PRESSURE_MIN ||
               (cg__convs_pending_demand(s->convs, msg) &
                (CG__DEM_ASK | CG__DEM_THREAT | CG__DEM_VALUE | CG__DEM_CLOCK));
    if (held)
        return n;
    for (size_t i = 0; i < n; i++) {
        if (countdown_cue(&f[i])) {
            *dropped = 1;
            continue;
        }
        s->langs[k] = s->langs[i];
        f[k++] = f[i];
    }
    return k;
}

static const char *pii_cue_name(cg_facet f)
{
    switch (f) {
    case CG_FACET_PHONE: return "pii.phone";
    case CG_FACET_EMAIL: return "pii.email";
    case CG_FACET_ADDRESS: return "pii.address";
    case CG_FACET_SCHOOL: return "pii.school";
    case CG_FACET_HANDLE: return "pii.handle";
    case CG_FACET_CODE: return "pii.code";
    case CG_FACET_BULLY_THREAT: return "bl.demand"; /* detect_demand.c */
    case CG_FACET_DEMAND: return "sx.dem.carried";  /* detect_demand.c, over messages */
    default: return "pii";
    }
}

int cg_text_session_forget(cg_text_session *s, const char *conversation)
{
    if (s == NULL)
        return 0;
    return cg__convs_forget(s->convs,
                            conversation != NULL && *conversation ? conversation : "default");
}

cg_status cg_text_scan(cg_text_session *s, const cg_text_message *msg, cg_text_result *res,
                       cg_error *err)
{
    cg_status st;

    if (s == NULL || msg == NULL || res == NULL || (msg->text == NULL && msg->len > 0))
        return cg__fail(err, CG_E_INVAL, "cg_text_scan: NULL argument");
    const char *text = msg->text ? msg->text : "";
    st = cg__normalize(s->e->nz, text, msg->len, CG__UTF8_REPLACE, MAX_MESSAGE_BYTES, &s->nm, err);
    if (st != CG_OK)
        return st;
    s->cues.n = 0;
    s->pii.n = 0;
    s->ages.n = 0;
    /* The plain form's words, split once: the personal-data and age detectors and the negation
     * check read the same words (a split of their own each cost ~1,250 instructions). */
    cg__word *words = s->words;
    size_t nw = 0;
    st = cg__words_split(&s->nm.plain, text, msg->len, s->words, s->words_cap, &words, &nw);
    if (st != CG_OK)
        return cg__fail(err, st, "out of memory splitting a message into words");
    if (words != s->words) { /* a bigger array: the session keeps it for the next messages */
        cg__free(s->words);
        s->words = words;
        s->words_cap = (s->nm.plain.n + 1) / 2;
    }
    st = cg__lexicon_scan(s->e->lx, s->scratch, &s->nm, &s->cues, err);
    if (st == CG_OK)
        st = cg__pii_scan_words(text, msg->len, words, nw, &s->pii, err);
    /* A demand: whole in this message, or completing one its writer left pending ("send
     * 500k" … "to this account by tonight"; detect_demand.c). */
    const unsigned dem_pending = cg__convs_pending_demand(s->convs, msg);
    unsigned dem_parts = 0;
    cg_facet dem_f;
    float dem_w;
    size_t clock_at = SIZE_MAX; /* the countdown's hit in s->pii, if any */
    if (st == CG_OK && cg__demand_scan_parts(text, msg->len, words, nw, dem_pending != 0, &s->pii,
                                             &dem_parts) != 0)
        st = cg__fail(err, CG_E_NOMEM, "out of memory scanning a message");
    /* A countdown or a value named (round 8) counts only from a writer who has named an image
     * or a threat (their rules' sextortion evidence, or a sextortion cue in this message: a
     * learned guess is not enough) or whose demand is pending; a countdown also with an amount
     * asked in its message: a
     * teacher's "10 minutes left", a parent's "you have 5 minutes", a shop's "500k" are
     * nothing. held: -1 until needed. */
    int held = -1;
    if (st == CG_OK && (dem_parts & (CG__DEM_VALUE | CG__DEM_CLOCK))) {
        held = cg__convs_sender_rules(s->convs, msg, CG_HARM_SEXTORTION) >= PRESSURE_MIN ||
               (dem_pending & (CG__DEM_ASK | CG__DEM_THREAT | CG__DEM_VALUE | CG__DEM_CLOCK));
        /* Or a sextortion cue of the lexicon in this message ("a $100 steam gift card"). */
        for (size_t i = 0; !held && i < s->cues.n; i++)
            held = cg__lexicon_cue(s->e->lx, s->cues.v[i].cue)->harm == CG_HARM_SEXTORTION &&
                   !countdown_id(cg__lexicon_cue(s->e->lx, s->cues.v[i].cue)->id);
        if (!held)
            dem_parts &= ~(dem_parts & CG__DEM_ASK ? CG__DEM_VALUE
                                                   : CG__DEM_VALUE | CG__DEM_CLOCK);
    }
    if (st == CG_OK && (dem_pending != 0 || (dem_parts & (CG__DEM_VALUE | CG__DEM_CLOCK)))) {
        const int extortion =
            cg__convs_sender_evidence(s->convs, msg, CG_HARM_SEXTORTION) >= PRESSURE_MIN;
        if (cg__demand_carry(dem_pending, dem_parts, extortion, &dem_f, &dem_w)) {
            dem_parts |= CG__DEM_DONE;
            if (cg__pii_push(&s->pii, dem_f, dem_w, 0, msg->len, msg->len) != 0)
                st = cg__fail(err, CG_E_NOMEM, "out of memory scanning a message");
        } else if (cg__demand_countdown(dem_pending, dem_parts, held > 0 || extortion,
                                        &dem_w)) {
            clock_at = s->pii.n;
            if (cg__pii_push(&s->pii, CG_FACET_DEMAND, dem_w, 0, msg->len, msg->len) != 0)
                st = cg__fail(err, CG_E_NOMEM, "out of memory scanning a message");
        }
    }
    if (st == CG_OK)
        st = cg__age_scan_words(text, msg->len, words, nw, cg__age_this_year(), &s->ages, err);
    if (st != CG_OK)
        return st;

    unsigned n_labels = s->e->model ? cg_text_model_label_count(s->e->model) : 0;
    if (n_labels > 0) {
        st = cg_text_model_predict(s->e->model, text, msg->len, s->scores, err);
        if (st != CG_OK)
            return st;
    }
    const unsigned n_learned = s->e->learned ? s->e->learned->nlabels : 0;
    size_t need = s->cues.n + s->pii.n + n_labels + n_learned;
    if (need > s->cap_findings) {
        cg__finding *f = cg__realloc(s->findings, need * sizeof(*f));
        if (f != NULL)
            s->findings = f;
        const char **l = f != NULL ? cg__realloc(s->langs, need * sizeof(*l)) : NULL;
        if (l == NULL)
            return cg__fail(err, CG_E_NOMEM, "out of memory scanning a message");
        s->langs = l;
        s->cap_findings = need;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->cues.n; i++) {
        if (!s->e->cue_allowed[s->cues.v[i].cue])
            continue;
        const cg__cue *c = cg__lexicon_cue(s->e->lx, s->cues.v[i].cue);
        s->langs[n] = c->lang;
        s->findings[n++] = (cg__finding){c->harm, c->facet, c->weight, s->cues.v[i].start,
                                         s->cues.v[i].end, c->id, 0};
    }
    int sol_ask;
    n = pressure_filter(s, msg, n, &sol_ask);
    int clock_dropped;
    n = countdown_filter(s, msg, n, held, dem_parts, &clock_dropped);
    n = merge_languages(s->findings, s->langs, n);
    for (size_t i = 0; i < s->pii.n; i++) {
        const cg__pii_hit *h = &s->pii.v[i];
        s->findings[n++] = (cg__finding){(cg_harm)cg_facet_harm(h->facet), h->facet, h->weight, h->start,
                                         h->end, i == clock_at ? "sx.dem.countdown"
                                                               : pii_cue_name(h->facet), 0};
    }
    cg__age_facts age = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    age.sol_ask = sol_ask;
    age.demand = dem_parts;
    /* A refusal matters only after another party asked for images (checked only then). */
    if (!sol_ask && cg__convs_ask_state(s->convs, msg) == CG__ASK_OTHER)
        age.refusal = cg__context_refusal(&s->nm);
    for (size_t i = 0; i < s->ages.n; i++) {
        if (s->ages.v[i].kind == CG__AGE_ASKED)
            age.asked = 1;
        else if (age.stated_min == 0) {
            age.stated_min = s->ages.v[i].min_age;
            age.stated_max = s->ages.v[i].max_age;
        }
    }
    age.to_parent = cg__context_to_parent(&s->nm);
    /* The learned layer reads the rule findings before the context weakens them (the words
     * that make a cue banter are among its own features). */
    s->have_features = 0;
    if (s->keep_features) {
        st = cg__learned_features(&s->nm, text, msg->len, s->findings, n, &age, &s->lf, err);
        if (st != CG_OK)
            return st;
        s->have_features = 1;
    }
    float learned[CG_TEXT_MODEL_MAX_LABELS];
    const int laugh = cg__context_laugh_emoji(text, msg->len); /* the layer's and the topic's */
    if (s->e->learned != NULL) { /* the same features, hashed without the line (learned.h) */
        st = cg__learned_vector(s->e->learned, &s->nm, text, msg->len, s->findings, n, &age,
                                laugh, &s->lf, err);
        if (st != CG_OK)
            return st;
        cg__learned_score_vector(s->e->learned, &s->lf, learned);
    }
    unsigned quoted_harms, own;
    /* The topic of the last few messages (a game, an exam, laughter, the news) is context too:
     * every message's topic markers are kept by the conversation for the next ones. */
    const unsigned carried = cg__convs_context(s->convs, msg);
    apply_context(text, msg->len, &s->nm, words, nw, s->findings, n, carried, &own, &quoted_harms);
    /* A photo of a thing asked for ("a pic of the worksheet") is not an ask a refusal answers:
     * asking again for it is no pressure. */
    if (own & CG__CTX_OBJECT)
        age.sol_ask = 0;
    /* A learned score counts from its label's threshold (chosen on held-out data at training),
     * as evidence of LEARNED_WEIGHT times the score, kept apart from the rules' evidence: the
     * conversation model combines the two (conversation.c). The context but kinship weakens
     * it as it weakens a cue of its harm (read as that harm's usual facet), and so does a
     * quoted cue of its harm: the words the layer read were someone else's. */
    for (unsigned i = 0; i < n_learned; i++)
        if (learned[i] >= learned_threshold(s->e->learned, i, s->e->learned_harm[i])) {
            const cg_harm h = (cg_harm)s->e->learned_harm[i];
            float w = LEARNED_WEIGHT * learned[i];
            if (own == 0 && context_factor(~(SCANNED | CG__CTX_KIN), h, learned_facet(h)) < 1.0f)
                own = cg__context_scan(text, msg->len, &s->nm) | SCANNED;
            /* A photo of a thing ("a pic of the worksheet"): the rules weakened the request,
             * the layer's guess over the same words adds nothing. */
            if (h == CG_HARM_SEXUAL_SOLICITATION && (own & CG__CTX_OBJECT))
                continue;
            /* A countdown nobody's threat goes with (countdown_filter): nor is its guess. */
            if (h == CG_HARM_SEXTORTION && clock_dropped)
                continue;
            /* Not kinship: "đừng kể với bố mẹ" names parents to keep them out. */
            const unsigned ctx = (own | (h == CG_HARM_SELF_HARM_RISK ? 0 : carried)) &
                                 ~(SCANNED | CG__CTX_KIN);
            w *= context_factor(ctx, h, learned_facet(h));
            if (quoted_harms & (1u << h))
                w *= QUOTED_FACTOR;
            s->findings[n++] = (cg__finding){h, CG_FACET_NONE, w, 0, (uint32_t)msg->len,
                                             s->e->learned_cue[i], 1};
        }
    age.context = own != 0 ? own & CG__CTX_TOPIC : cg__context_topic(laugh, &s->nm);
    /* The model's labels join as evidence when they reach the model's own threshold (chosen on
     * held-out data at training) and at least MODEL_MIN_SCORE, weighing MODEL_WEIGHT times the
     * score: a learned guess counts less than a listed phrase (both constants chosen on a
     * held-out fifth of the corpus's train split, docs/text-model.md). */
    for (unsigned i = 0; i < n_labels; i++) {
        float t = (float)cg_text_model_threshold(s->e->model, i);
        if (t < MODEL_MIN_SCORE)
            t = MODEL_MIN_SCORE;
        if (s->e->model_harm[i] >= 0 && s->scores[i] >= t)
            s->findings[n++] = (cg__finding){(cg_harm)s->e->model_harm[i], CG_FACET_NONE,
                                             MODEL_WEIGHT * s->scores[i], 0, (uint32_t)msg->len,
                                             s->e->model_cue[i], 0};
    }
    /* Whose personal data it is: read only for a message with some (detect_pii_subject.c). */
    for (size_t i = 0; i < n; i++)
        if (s->findings[i].harm == CG_HARM_PERSONAL_DATA) {
            age.pd_subject = cg__pii_subject(text, msg->len, words, nw);
            break;
        }
    st = cg__convs_update(s->convs, msg, s->findings, n, &age, res, err);
    if (st == CG_OK)
        res->invalid_utf8 = s->nm.invalid;
    return st;
}

/* For session_state.c (session_state.h): the table it saves and replaces. */
cg__convs **cg__text_session_convs(cg_text_session *s)
{
    return &s->convs;
}
