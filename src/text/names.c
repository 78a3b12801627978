/* The facet name table (include/childguard/text.h); the harms' names are in
 * src/common/harm.c. */
#include "childguard/text.h"

#include <string.h>

static const struct {
    const char *name;
    int harm;
} facets[CG_FACET_COUNT] = {
    {"none", -1},
    {"friendship", CG_HARM_GROOMING},
    {"relationship", CG_HARM_GROOMING},
    {"risk_assessment", CG_HARM_GROOMING},
    {"exclusivity", CG_HARM_GROOMING},
    {"sexual", CG_HARM_GROOMING},
    {"meeting", CG_HARM_GROOMING},
    {"threat", CG_HARM_SEXTORTION},
    {"image", CG_HARM_SEXTORTION},
    {"demand", CG_HARM_SEXTORTION},
    {"insult", CG_HARM_BULLYING},
    {"bully_threat", CG_HARM_BULLYING},
    {"exclusion", CG_HARM_BULLYING},
    {"humiliation", CG_HARM_BULLYING},
    {"incitement", CG_HARM_BULLYING},
    {"despair", CG_HARM_SELF_HARM_RISK},
    {"request", CG_HARM_SEXUAL_SOLICITATION},
    {"phone", CG_HARM_PERSONAL_DATA},
    {"email", CG_HARM_PERSONAL_DATA},
    {"address", CG_HARM_PERSONAL_DATA},
    {"school", CG_HARM_PERSONAL_DATA},
    {"handle", CG_HARM_PERSONAL_DATA},
    {"code", CG_HARM_PERSONAL_DATA},
};

const char *cg_text_facet_name(cg_facet f)
{
    return (unsigned)f < CG_FACET_COUNT ? facets[f].name : NULL;
}

int cg_facet_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < CG_FACET_COUNT; i++)
        if (strcmp(facets[i].name, name) == 0)
            return i;
    return -1;
}

int cg_facet_harm(cg_facet f)
{
    return (unsigned)f < CG_FACET_COUNT ? facets[f].harm : -1;
}

const char *cg_text_pd_how_name(cg_text_pd_how h)
{
    static const char *const names[] = {"none", "own", "asked", "revealed"};
    return (unsigned)h < sizeof(names) / sizeof(names[0]) ? names[h] : NULL;
}
