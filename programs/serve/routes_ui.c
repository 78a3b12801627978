/* GET /ui/guidance.json: the help page's words, read from the engine's own guidance catalogue
 * (data/text/guidance.json through cg_guidance_lookup), so that the help page and the
 * verdicts never disagree: the same texts, the same help lines for the server's country,
 * routed by topic and age band the same way. No key: the catalogue is public help.
 *
 * Reply: {"country": "VN", "topics": {"<topic>": {"<audience>": {"<lang>": {"text": "...",
 * "help": ["...", ...]}}}}} for the topics a child, the adults around them and a person whose
 * images were shared need (moderator texts stay out: they are for the review console), with the
 * age band unknown (every help line passes, and each says who it is for), plus "help_by_age":
 * {"<topic>": {"child"|"adult": {"<lang>": [...]}}} for the pages that ask the age first. The
 * languages are the catalogue's (the shipped one: vi and en). */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const char *const topics[] = {"grooming", "sextortion", "ncii", "bullying",
                                     "sexual_solicitation", "self_harm_risk", "personal_data"};
static const cg_audience audiences[] = {CG_AUDIENCE_RECIPIENT, CG_AUDIENCE_SENDER,
                                        CG_AUDIENCE_GUARDIAN};

static json_t *help_array(const cg_guidance *g)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < g->n_help; i++)
        json_array_append_new(a, json_string(g->help[i]));
    return a;
}

static json_t *guidance_json(const cg_guidance_catalog *te, const char *country)
{
    json_t *root = json_object(), *tj = json_object(), *hj = json_object();

    if (root == NULL || tj == NULL || hj == NULL) {
        json_decref(root);
        json_decref(tj);
        json_decref(hj);
        return NULL;
    }
    json_object_set_new(root, "country", json_string(country));
    json_object_set_new(root, "topics", tj);
    json_object_set_new(root, "help_by_age", hj);
    for (size_t t = 0; t < sizeof(topics) / sizeof(topics[0]); t++) {
        json_t *topic, *by_age;

        if (!cg_guidance_has_topic(te, topics[t]))
            continue;
        topic = json_object();
        by_age = json_object();
        json_object_set_new(tj, topics[t], topic);
        json_object_set_new(hj, topics[t], by_age);
        for (size_t a = 0; a < sizeof(audiences) / sizeof(audiences[0]); a++) {
            json_t *aj = json_object();
            json_object_set_new(topic, cg_policy_audience_name(audiences[a]), aj);
            for (size_t l = 0; l < cg_guidance_lang_count(te); l++) {
                const char *lang = cg_guidance_lang(te, l);
                cg_guidance g;
                json_t *lj = json_object();
                cg_guidance_lookup(te, topics[t], audiences[a], lang, CG_AGE_UNKNOWN, &g);
                json_object_set_new(lj, "text", g.text != NULL ? json_string(g.text) : json_null());
                json_object_set_new(lj, "help", help_array(&g));
                json_object_set_new(aj, lang, lj);
            }
        }
        for (int age = CG_AGE_CHILD; age <= CG_AGE_ADULT; age++) {
            json_t *agej = json_object();
            json_object_set_new(by_age, cg_policy_age_band_name((cg_age_band)age), agej);
            for (size_t l = 0; l < cg_guidance_lang_count(te); l++) {
                const char *lang = cg_guidance_lang(te, l);
                cg_guidance g;
                cg_guidance_lookup(te, topics[t], CG_AUDIENCE_RECIPIENT, lang, (cg_age_band)age,
                                   &g);
                json_object_set_new(agej, lang, help_array(&g));
            }
        }
    }
    return root;
}

enum MHD_Result ui_guidance(serve_req *r)
{
    serve_engine *e = serve_engine_acquire(r->srv);
    const cg_guidance_catalog *te;
    json_t *j;
    char *text;
    struct MHD_Response *resp;

    if (e == NULL)
        return http_error(r, 503, "not_ready", "the engine is not loaded");
    te = cg_engine_guidance(e->engine);
    if (te == NULL) {
        serve_engine_release(r->srv, e);
        return http_error(r, 503, "not_ready", "the guidance catalogue is not loaded");
    }
    j = guidance_json(te, r->srv->cfg.country[0] != '\0' ? r->srv->cfg.country : "VN");
    serve_engine_release(r->srv, e);
    if (j == NULL)
        return http_error(r, 500, "nomem", "out of memory");
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text == NULL)
        return http_error(r, 500, "nomem", "out of memory");
    resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return http_queue(r, 500, NULL);
    }
    if (static_headers(resp, "application/json") != 0) {
        MHD_destroy_response(resp);
        return http_queue(r, 500, NULL);
    }
    return http_queue(r, 200, resp);
}
