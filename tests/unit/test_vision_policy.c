/* The policy's min_nudity condition (docs/policy.md): parsing bounds, evaluation at, above and
 * below the threshold, content that was not classified (nudity 0), the rule's "why", and the
 * shipped nudity rules per context and audience. */
#include <string.h>

#include "cg_test.h"
#include "childguard.h"

static cg_policy *load(const char *text, cg_status *st, cg_error *err)
{
    cg_policy *p = NULL;
    *st = cg_policy_create("t.json", text, strlen(text), &p, err);
    return p;
}

CG_TEST(min_nudity_bounds)
{
    const char *bad[] = { "0", "-0.1", "1.0001", "\"0.5\"", "null", "true" };
    char text[256];
    cg_status st;
    cg_error err;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"version\": 1, \"rules\": [{\"id\": \"x\", \"when\": {\"min_nudity\": %s}, "
                 "\"actions\": [\"blur\"]}]}", bad[i]);
        cg_policy *p = load(text, &st, &err);
        CG_ASSERT(p == NULL);
        CG_ASSERT_EQ(st, CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "rules[0].when.min_nudity") != NULL);
    }
    cg_policy *p = load("{\"version\": 1, \"rules\": [{\"id\": \"x\", \"when\": "
                        "{\"min_nudity\": 1}, \"actions\": [\"blur\"]}]}", &st, &err);
    CG_ASSERT_OK(st, &err);
    cg_policy_destroy(p);
}

CG_TEST(min_nudity_evaluation)
{
    cg_status st;
    cg_error err;
    cg_policy *p = load("{\"version\": 1, \"rules\": [{\"id\": \"n\", \"when\": "
                        "{\"min_nudity\": 0.8}, \"actions\": [\"blur\"]}]}", &st, &err);
    const float scores[] = { 0.0f, 0.5f, 0.7999f, 0.8f, 0.95f };
    const int blurs[] = { 0, 0, 0, 1, 1 };
    char desc[256];

    CG_ASSERT_OK(st, &err);
    for (int i = 0; i < 5; i++) {
        cg_policy_facts f;
        cg_policy_decision d = { 0 };
        memset(&f, 0, sizeof f);
        f.nudity = scores[i];
        CG_ASSERT_OK(cg_policy_decide(p, &f, &d, &err), &err);
        CG_ASSERT_EQ(cg_policy_decision_has(&d, CG_ACTION_BLUR), blurs[i]);
        if (blurs[i])
            CG_ASSERT(strstr(d.fired[0].why, "nudity 0.") != NULL &&
                      strstr(d.fired[0].why, ">= 0.80") != NULL);
        cg_policy_decision_free(&d);
    }
    cg_policy_rule_describe(p, 0, desc, sizeof desc);
    CG_ASSERT(strstr(desc, "nudity >= 0.80") != NULL);
    cg_policy_destroy(p);
}

/* The shipped rules: blur + guidance for the audience on a child's or a school's device from
 * 0.8; review from 0.9 on a platform, never a block; nothing below. */
CG_TEST(shipped_nudity_rules)
{
    cg_policy *p = NULL;
    cg_error err;
    struct {
        cg_policy_context ctx;
        cg_audience aud;
        float score;
        int blur, review;
        const char *guidance_audience;
    } cases[] = {
        { CG_CONTEXT_CHILD_DEVICE, CG_AUDIENCE_RECIPIENT, 0.85f, 1, 0, "recipient" },
        { CG_CONTEXT_SCHOOL_TABLET, CG_AUDIENCE_SENDER, 0.85f, 1, 0, "sender" },
        { CG_CONTEXT_CHILD_DEVICE, CG_AUDIENCE_RECIPIENT, 0.79f, 0, 0, NULL },
        { CG_CONTEXT_PLATFORM_UPLOAD, CG_AUDIENCE_RECIPIENT, 0.95f, 0, 1, "moderator" },
        { CG_CONTEXT_PLATFORM_UPLOAD, CG_AUDIENCE_RECIPIENT, 0.85f, 0, 0, NULL },
    };

    CG_ASSERT_OK(cg_policy_open(cg_policy_default_path(), &p, &err), &err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cg_policy_facts f;
        cg_policy_decision d = { 0 };
        memset(&f, 0, sizeof f);
        f.context = cases[i].ctx;
        f.audience = cases[i].aud;
        f.sender_is_child = -1;
        f.nudity = cases[i].score;
        CG_ASSERT_OK(cg_policy_decide(p, &f, &d, &err), &err);
        CG_ASSERT_EQ(cg_policy_decision_has(&d, CG_ACTION_BLUR), cases[i].blur);
        CG_ASSERT_EQ(cg_policy_decision_has(&d, CG_ACTION_QUEUE_REVIEW), cases[i].review);
        CG_ASSERT_EQ(cg_policy_decision_has(&d, CG_ACTION_BLOCK), 0);
        CG_ASSERT_EQ(cg_policy_decision_has(&d, CG_ACTION_NOTIFY), 0);
        if (cases[i].guidance_audience != NULL) {
            CG_ASSERT_EQ(d.n_guidance, 1);
            CG_ASSERT_STR_EQ(d.guidance[0].topic, "nudity");
            CG_ASSERT_STR_EQ(cg_policy_audience_name(d.guidance[0].audience),
                             cases[i].guidance_audience);
        } else {
            CG_ASSERT_EQ(d.n_guidance, 0);
        }
        cg_policy_decision_free(&d);
    }
    cg_policy_destroy(p);
}
