/* Internal: the guidance catalogue (data/text/guidance.json): short texts per topic (a harm
 * name or an image topic such as "csam", "ncii", "nudity"), audience and language, and help
 * lines per country, each optionally limited to some topics ("harms") and age bands ("ages").
 * Loaded once by the engine; immutable after. docs/text.md describes the file. */
#ifndef CG_TEXT_GUIDANCE_H
#define CG_TEXT_GUIDANCE_H

#include "childguard/text.h"

typedef struct cg__guidance cg__guidance;

/* Loads path for country (help lines of that country, else "default"; NULL means "VN"). A
 * missing entry is not an error (lookups return NULL text); anything that is not of the
 * documented shape (unknown key, audience, language or age band, a text that is not a string,
 * more than CG_TEXT_GUIDANCE_MAX_HELP lines in a country, an unknown topic in "harms") is
 * CG_E_INVAL naming the file and the place ("help.VN[2].ages[0]"). Every country's lines are
 * checked, not only the loaded ones. */
cg_status cg__guidance_load(const char *path, const char *country, cg__guidance **out,
                            cg_error *err);
void cg__guidance_free(cg__guidance *g);
/* See cg_text_guidance_lookup. g may be NULL (empty result). */
void cg__guidance_lookup(const cg__guidance *g, const char *topic, cg_audience audience,
                         const char *lang, cg_age_band age, cg_text_guidance *out);
/* 1 when the file has messages for topic. */
int cg__guidance_has_topic(const cg__guidance *g, const char *topic);

#endif
