/* The names before docs/api-c.md's vocabulary still compile and reach the same functions
 * (include/childguard/deprecated.h), for one minor release. The project is built with
 * CG_NO_DEPRECATED so that its own code uses only the current names; this file turns it off. */
#undef CG_NO_DEPRECATED
#include "cg_test.h"

#include "childguard.h"

CG_TEST(old_names_reach_the_new_functions)
{
    CG_ASSERT(cg_harm_name(CG_HARM_GROOMING) == cg_text_harm_name(CG_HARM_GROOMING));
    CG_ASSERT(cg_harm_from_name("grooming") == CG_HARM_GROOMING);
    CG_ASSERT(cg_audience_name(CG_AUDIENCE_GUARDIAN) == cg_policy_audience_name(CG_AUDIENCE_GUARDIAN));

    cg_policy *p = NULL;
    cg_error err;
    const char *json = "{\"version\": 1, \"rules\": []}";
    cg_status st = cg_policy_load_buffer("inline", json, strlen(json), &p, &err);
    CG_ASSERT(st == CG_OK || p == NULL);
    cg_policy_free(p);

    cg_apikey key;
    memset(&key, 0, sizeof key);
    CG_ASSERT(sizeof key == sizeof(cg_key));
}
