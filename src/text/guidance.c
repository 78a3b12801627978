/* The guidance catalogue (guidance.h): parsed with jansson, flattened into a table of strings
 * [harm][audience][language] plus the help lines of one country, so lookups never touch JSON. */
#include "text/guidance.h"

#include <jansson.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define N_AUDIENCE 4
#define N_LANG 2
#define MAX_HELP 8

static const char *const lang_names[N_LANG] = {"en", "vi"};
static const char *const audience_names[N_AUDIENCE] = {"recipient", "sender", "guardian",
                                                       "moderator"};

struct cg__guidance {
    char *text[CG_HARM_COUNT][N_AUDIENCE][N_LANG];
    char *help[MAX_HELP][N_LANG];
    unsigned help_harms[MAX_HELP]; /* bit per harm the line is for; 0 = every harm */
    size_t n_help;
};

const char *cg_audience_name(cg_audience a)
{
    return (unsigned)a < N_AUDIENCE ? audience_names[a] : NULL;
}

void cg__guidance_free(cg__guidance *g)
{
    if (g == NULL)
        return;
    for (int h = 0; h < CG_HARM_COUNT; h++)
        for (int a = 0; a < N_AUDIENCE; a++)
            for (int l = 0; l < N_LANG; l++)
                cg__free(g->text[h][a][l]);
    for (size_t i = 0; i < MAX_HELP; i++)
        for (int l = 0; l < N_LANG; l++)
            cg__free(g->help[i][l]);
    cg__free(g);
}

/* Copies the string member lang of obj (absent: NULL, fine; not a string: error). */
static int take(json_t *obj, const char *lang, char **dst)
{
    json_t *v = json_object_get(obj, lang);
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return -1;
    *dst = cg__strdup(json_string_value(v));
    return *dst == NULL ? -2 : 0;
}

cg_status cg__guidance_load(const char *path, const char *country, cg__guidance **out,
                            cg_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    cg_status st = CG_OK;
    cg__guidance *g;

    *out = NULL;
    if (root == NULL)
        return cg__fail(err, CG_E_INVAL, "%s:%d: %s", path, je.line, je.text);
    g = cg__calloc(1, sizeof(*g));
    if (g == NULL) {
        json_decref(root);
        return cg__fail(err, CG_E_NOMEM, "out of memory loading %s", path);
    }
    json_t *messages = json_object_get(root, "messages");
    json_t *help = json_object_get(root, "help");
    if (!json_is_object(root) || (messages != NULL && !json_is_object(messages)) ||
        (help != NULL && !json_is_object(help))) {
        st = cg__fail(err, CG_E_INVAL, "%s: expected an object with \"messages\" and \"help\" "
                      "objects", path);
        goto done;
    }
    for (int h = 0; h < CG_HARM_COUNT && messages != NULL; h++) {
        json_t *byaud = json_object_get(messages, cg_harm_name((cg_harm)h));
        for (int a = 0; byaud != NULL && a < N_AUDIENCE; a++) {
            json_t *bylang = json_object_get(byaud, audience_names[a]);
            for (int l = 0; bylang != NULL && l < N_LANG; l++) {
                int r = json_is_object(bylang) ? take(bylang, lang_names[l], &g->text[h][a][l]) : -1;
                if (r != 0) {
                    st = r == -2 ? cg__fail(err, CG_E_NOMEM, "out of memory loading %s", path)
                                 : cg__fail(err, CG_E_INVAL, "%s: messages.%s.%s: expected "
                                            "{\"en\": text, \"vi\": text}", path,
                                            cg_harm_name((cg_harm)h), audience_names[a]);
                    goto done;
                }
            }
        }
    }
    json_t *lines = help ? json_object_get(help, country ? country : "VN") : NULL;
    if (lines == NULL && help != NULL)
        lines = json_object_get(help, "default");
    if (lines != NULL && !json_is_array(lines)) {
        st = cg__fail(err, CG_E_INVAL, "%s: help lines must be an array", path);
        goto done;
    }
    for (size_t i = 0; lines != NULL && i < json_array_size(lines) && i < MAX_HELP; i++) {
        json_t *line = json_array_get(lines, i);
        for (int l = 0; l < N_LANG; l++) {
            int r = json_is_object(line) ? take(line, lang_names[l], &g->help[i][l]) : -1;
            if (r != 0) {
                st = r == -2 ? cg__fail(err, CG_E_NOMEM, "out of memory loading %s", path)
                             : cg__fail(err, CG_E_INVAL, "%s: help line %zu: expected {\"en\": "
                                        "text, \"vi\": text}", path, i + 1);
                goto done;
            }
        }
        json_t *harms = json_is_object(line) ? json_object_get(line, "harms") : NULL;
        for (size_t k = 0; json_is_array(harms) && k < json_array_size(harms); k++) {
            int h = cg_harm_from_name(json_string_value(json_array_get(harms, k)));
            if (h < 0) {
                st = cg__fail(err, CG_E_INVAL, "%s: help line %zu: unknown harm in \"harms\"",
                              path, i + 1);
                goto done;
            }
            g->help_harms[i] |= 1u << h;
        }
        g->n_help = i + 1;
    }
done:
    json_decref(root);
    if (st != CG_OK) {
        cg__guidance_free(g);
        return st;
    }
    *out = g;
    return CG_OK;
}

void cg__guidance_get(const cg__guidance *g, cg_harm harm, cg_audience audience, const char *lang,
                      cg_text_guidance *out)
{
    int l = lang != NULL && strcmp(lang, "vi") == 0 ? 1 : 0;

    memset(out, 0, sizeof(*out));
    if (g == NULL || (unsigned)harm >= CG_HARM_COUNT || (unsigned)audience >= N_AUDIENCE)
        return;
    out->text = g->text[harm][audience][l] ? g->text[harm][audience][l]
                                           : g->text[harm][audience][0];
    for (size_t i = 0; i < g->n_help; i++) {
        if (g->help_harms[i] != 0 && !(g->help_harms[i] & (1u << harm)))
            continue;
        const char *h = g->help[i][l] ? g->help[i][l] : g->help[i][0];
        if (h != NULL)
            out->help[out->n_help++] = h;
    }
}
