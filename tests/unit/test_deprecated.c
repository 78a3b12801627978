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

    /* the vPDQ exchange text moved to vpdq.h: the old pair still round-trips */
    cg_vpdq_frame fr;
    memset(&fr, 0, sizeof fr);
    fr.quality = 100;
    fr.timestamp = 1.0f;
    char *text = NULL;
    size_t len = 0;
    CG_ASSERT_OK(cg_bank_vpdq_format(&fr, 1, &text, &len), NULL);
    cg_vpdq_frame *back = NULL;
    size_t n = 0;
    CG_ASSERT_OK(cg_bank_vpdq_parse(text, len, 0, &back, &n, &err), &err);
    CG_ASSERT(n == 1 && back[0].quality == 100 && back[0].timestamp == 1.0f);
    cg_free(back);
    CG_ASSERT(cg_bank_vpdq_parse("x", 1, 0, &back, &n, &err) == CG_E_INVAL);
    CG_ASSERT(back == NULL && n == 0);
    cg_free(text);
}
