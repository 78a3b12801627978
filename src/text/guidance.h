/* Internal: the guidance catalogue (data/text/guidance.json): short texts per harm, audience and
 * language, and help lines per country. Loaded once by the engine; immutable after. */
#ifndef CG_TEXT_GUIDANCE_H
#define CG_TEXT_GUIDANCE_H

#include "childguard/text.h"

typedef struct cg__guidance cg__guidance;

/* Loads path for country (help lines of that country, else "default"). A missing entry is
 * not an error (lookups return NULL text); a file that is not valid JSON of the documented shape
 * is CG_E_INVAL naming the file and the place. */
cg_status cg__guidance_load(const char *path, const char *country, cg__guidance **out,
                            cg_error *err);
void cg__guidance_free(cg__guidance *g);
void cg__guidance_get(const cg__guidance *g, cg_harm harm, cg_audience audience, const char *lang,
                      cg_text_guidance *out);

#endif
