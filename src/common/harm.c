/* The names of the harms and alert levels (include/childguard/harm.h): the vocabulary the text
 * engine, the policy and the guidance catalogue share, in the lowest layer so that none of them
 * depends on another for it. */
#include "childguard/harm.h"

#include <string.h>

static const char *const harm_names[CG_HARM_COUNT] = {
    "grooming", "sexual_solicitation", "sextortion", "bullying", "self_harm_risk",
    "personal_data",
};

const char *cg_text_harm_name(cg_harm h)
{
    return (unsigned)h < CG_HARM_COUNT ? harm_names[h] : NULL;
}

int cg_text_harm_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < CG_HARM_COUNT; i++)
        if (strcmp(harm_names[i], name) == 0)
            return i;
    return -1;
}

const char *cg_text_alert_name(cg_alert a)
{
    static const char *const names[] = {"none", "watch", "alert", "urgent"};
    return (unsigned)a < 4 ? names[a] : NULL;
}
