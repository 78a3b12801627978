/* The conversation model (src/text/conversation.h): findings go in, risks, stage and alert come
 * out, by the formulas of docs/text.md. Each case feeds cg__convs_update findings by hand (no
 * lexicon, no text analysis) and checks the number the formula gives: the noisy-OR of a
 * message, sextortion's co-occurrence window, the grooming trajectory and a stated minor,
 * decay (a single cue fades four times as fast as a run of messages), out-of-order time,
 * reciprocity of insults, the learned layer's cap, the held urgent state, the shared last
 * participant slot, and an allocation failure leaving the state as it was. */
#include "cg_test.h"

#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "common/alloc.h"
#include "text/conversation.h"
#include "text/session_state.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)
#define T0 (1767225600LL * 1000) /* 2026-01-01T00:00:00Z */

/* |a - b| <= 1e-3: the model computes in float. */
#define CG_ASSERT_NEAR(a, b)                                                                  \
    do {                                                                                      \
        double a_ = (a), b_ = (b);                                                            \
        if (fabs(a_ - b_) > 1e-3)                                                             \
            cg_test_fail(__FILE__, __LINE__, "%s ~ %s: %.5f vs %.5f", #a, #b, a_, b_);        \
    } while (0)

static cg__finding rule(cg_harm h, cg_facet f, float w)
{
    cg__finding x;

    memset(&x, 0, sizeof(x));
    x.harm = h;
    x.facet = f;
    x.weight = w;
    x.start = 0;
    x.end = 1;
    x.cue = "test.cue";
    return x;
}

static cg__finding learned(cg_harm h, float w)
{
    cg__finding x = rule(h, CG_FACET_NONE, w);

    x.learned = 1;
    x.cue = "learned.test";
    return x;
}

/* One message of conversation conv from sender to recipient (NULL: none) at ts with findings. */
static cg_status send(cg__convs *c, const char *conv, const char *sender, const char *recipient,
                      int64_t ts, const cg__finding *f, size_t n, const cg__age_facts *age,
                      cg_text_result *res)
{
    cg_text_message m;
    cg_error err = {0};

    memset(&m, 0, sizeof(m));
    m.conversation = conv;
    m.sender = sender;
    m.recipient = recipient;
    m.ts_ms = ts;
    m.text = "x";
    m.len = 1;
    return cg__convs_update(c, &m, f, n, age, res, &err);
}

/* The same with the message's text. */
static cg_status send_text(cg__convs *c, const char *conv, const char *sender,
                           const char *recipient, const char *text, const cg__finding *f,
                           size_t n, cg_text_result *res)
{
    cg_text_message m;
    cg_error err = {0};

    memset(&m, 0, sizeof(m));
    m.conversation = conv;
    m.sender = sender;
    m.recipient = recipient;
    m.ts_ms = T0;
    m.text = text;
    m.len = strlen(text);
    return cg__convs_update(c, &m, f, n, NULL, res, &err);
}

static cg__convs *open_convs(void)
{
    cg__convs *c = NULL;
    cg_error err = {0};

    CG_ASSERT_OK(cg__convs_new(&c, &err), &err);
    return c;
}

CG_TEST(conversation_message_risk_is_noisy_or)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding f[] = {rule(CG_HARM_BULLYING, CG_FACET_INSULT, 0.5f),
                             rule(CG_HARM_BULLYING, CG_FACET_EXCLUSION, 0.5f),
                             rule(CG_HARM_GROOMING, CG_FACET_FRIENDSHIP, 1.0f),
                             rule(CG_HARM_SEXTORTION, CG_FACET_THREAT, 1.0f)};

    CG_ASSERT_OK(send(c, "a", "bully", "kid", T0, f, 4, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_BULLYING], 0.75);
    /* A compliment alone is not grooming: the friendship stage's weight, 0.2. */
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_GROOMING], 0.2);
    /* A threat alone is not sextortion yet: 0.4 of its weight. */
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_SEXTORTION], 0.4);
    /* The conversation's risk is the party's, 1 - e^(-0.9 * 1.0), but never below the
     * message's; at the next message without findings it is the party's. */
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 0.75);
    CG_ASSERT_EQ(res.n_evidence, 4);
    CG_ASSERT_EQ(res.evidence[0].in_this_message, 1);
    CG_ASSERT_OK(send(c, "a", "kid", "bully", T0, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9));
    /* Its evidence: none of its own, the four earlier findings from the conversation's ring. */
    CG_ASSERT_EQ(res.n_evidence, 4);
    CG_ASSERT_EQ(res.evidence[0].in_this_message, 0);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_sextortion_needs_its_facets_together)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding threat = rule(CG_HARM_SEXTORTION, CG_FACET_THREAT, 1.0f);
    const cg__finding image = rule(CG_HARM_SEXTORTION, CG_FACET_IMAGE, 1.0f);
    const cg__finding demand = rule(CG_HARM_SEXTORTION, CG_FACET_DEMAND, 1.0f);

    CG_ASSERT_OK(send(c, "a", "x", "kid", T0, &threat, 1, NULL, &res), NULL);
    CG_ASSERT_LT(res.risk[CG_HARM_SEXTORTION] * 100, 50);
    CG_ASSERT_OK(send(c, "a", "x", "kid", T0 + HOUR_MS, &image, 1, NULL, &res), NULL);
    CG_ASSERT_GE(res.risk[CG_HARM_SEXTORTION] * 100, 60);
    CG_ASSERT_LT(res.risk[CG_HARM_SEXTORTION] * 100, 85);
    CG_ASSERT_OK(send(c, "a", "x", "kid", T0 + 2 * HOUR_MS, &demand, 1, NULL, &res), NULL);
    CG_ASSERT_GE(res.risk[CG_HARM_SEXTORTION] * 100, 95);
    CG_ASSERT_EQ(res.alert, CG_ALERT_URGENT);

    /* The same three, the demand four days after the rest: outside the 72-hour window. */
    CG_ASSERT_OK(send(c, "b", "x", "kid", T0, &threat, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "b", "x", "kid", T0, &image, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "b", "x", "kid", T0 + 4 * DAY_MS, &demand, 1, NULL, &res), NULL);
    CG_ASSERT_LT(res.risk[CG_HARM_SEXTORTION] * 100, 85);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_grooming_trajectory_and_a_stated_minor)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg_facet st[] = {CG_FACET_FRIENDSHIP, CG_FACET_RELATIONSHIP, CG_FACET_RISK_ASSESSMENT};
    const float k[] = {0.2f, 0.3f, 0.55f};
    double keep = 1.0;

    for (int i = 0; i < 3; i++) {
        const cg__finding f = rule(CG_HARM_GROOMING, st[i], 1.0f);
        CG_ASSERT_OK(send(c, "a", "adult", "kid", T0, &f, 1, NULL, &res), NULL);
        keep *= 1.0 - k[i];
    }
    /* Three stages present: a trajectory, g <- 1 - (1 - g)^(1 + 0.5). */
    CG_ASSERT_NEAR(res.risk[CG_HARM_GROOMING], 1.0 - pow(keep, 1.5));
    CG_ASSERT_EQ(res.stage, CG_FACET_RISK_ASSESSMENT);

    /* The child says they are 13: the other party's score is raised again, ^1.5. */
    const cg__age_facts age = {13, 13, 0, 0, 0, 0, 0, 0, 0};
    CG_ASSERT_OK(send(c, "a", "kid", "adult", T0, NULL, 0, &age, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_GROOMING], 1.0 - pow(keep, 1.5 * 1.5));
    CG_ASSERT_EQ(res.sender_age_max, 13);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_a_single_cue_fades_faster_than_a_run)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding one = rule(CG_HARM_BULLYING, CG_FACET_INSULT, 1.0f);
    const cg__finding half = rule(CG_HARM_BULLYING, CG_FACET_INSULT, 0.5f);

    /* One insult, then three days (bullying's half-life) of silence: the evidence is
     * 1 * (1/2)^4, a single message fading four times as fast. */
    CG_ASSERT_OK(send(c, "single", "x", "kid", T0, &one, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "single", "kid", "x", T0 + 3 * DAY_MS, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9 * 1.0 / 16));
    /* Two insults of half the weight: a run, which halves once in the same time. */
    CG_ASSERT_OK(send(c, "run", "x", "kid", T0, &half, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "run", "x", "kid", T0, &half, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "run", "kid", "x", T0 + 3 * DAY_MS, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9 * 1.0 / 2));
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_out_of_order_time_never_regrows_evidence)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding f = rule(CG_HARM_SELF_HARM_RISK, CG_FACET_DESPAIR, 0.4f);
    const cg__finding g = rule(CG_HARM_SELF_HARM_RISK, CG_FACET_DESPAIR, 0.4f);
    float after;

    CG_ASSERT_OK(send(c, "a", "kid", NULL, T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "a", "kid", NULL, T0, &g, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "a", "kid", NULL, T0 + 2 * DAY_MS, NULL, 0, NULL, &res), NULL);
    after = res.risk[CG_HARM_SELF_HARM_RISK];
    CG_ASSERT_NEAR(after, 1.0 - exp(-1.5 * 0.8 / 4));
    /* Older than the last message, and without a time: both take the latest time. */
    CG_ASSERT_OK(send(c, "a", "kid", NULL, T0 + DAY_MS, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_SELF_HARM_RISK], after);
    CG_ASSERT_OK(send(c, "a", "kid", NULL, 0, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_SELF_HARM_RISK], after);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_insults_traded_both_ways_count_half)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding f = rule(CG_HARM_BULLYING, CG_FACET_INSULT, 1.0f);

    /* Two insults one way: 1 - e^(-0.9 * 2), an alert (read at a message without findings:
     * the conversation's risk is never below the message's own). */
    CG_ASSERT_OK(send(c, "oneway", "x", "kid", T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "oneway", "x", "kid", T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "oneway", "kid", "x", T0, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9 * 2));
    CG_ASSERT_EQ(res.alert, CG_ALERT_ALERT);

    /* The same given back as much: each side counts at half weight, below the alert. */
    CG_ASSERT_OK(send(c, "banter", "x", "y", T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "banter", "y", "x", T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "banter", "x", "y", T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "banter", "y", "x", T0, &f, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "banter", "z", "group", T0, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9 * 0.5 * 2));
    CG_ASSERT_LT(res.alert, CG_ALERT_ALERT);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_a_learned_guess_alone_stays_below_alert)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding l = learned(CG_HARM_SELF_HARM_RISK, 1.0f);
    const cg__finding r = rule(CG_HARM_SELF_HARM_RISK, CG_FACET_DESPAIR, 0.4f);

    CG_ASSERT_OK(send(c, "a", "kid", NULL, T0, &l, 1, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_SELF_HARM_RISK], 0.55);
    CG_ASSERT_LE(res.risk[CG_HARM_SELF_HARM_RISK] * 1000, 550);
    CG_ASSERT_LT(res.alert, CG_ALERT_ALERT);
    /* The rules' evidence of the same harm lifts the cap: noisy-OR of both sources. */
    CG_ASSERT_OK(send(c, "a", "kid", NULL, T0, &r, 1, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_SELF_HARM_RISK],
                   1.0 - exp(-1.5 * 0.4) * exp(-0.9 * 1.0));
    CG_ASSERT_GE(res.alert, CG_ALERT_ALERT);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

/* Grooming builds up slowly: two learned guesses from the same sender are a run that may
 * alert; for the other harms a run is three messages, so two bullying guesses stay capped. */
CG_TEST(conversation_two_learned_grooming_guesses_are_a_run)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding g = learned(CG_HARM_GROOMING, 0.9f);
    const cg__finding b = learned(CG_HARM_BULLYING, 0.9f);

    CG_ASSERT_OK(send(c, "g", "adult", "kid", T0, &g, 1, NULL, &res), NULL);
    CG_ASSERT_LE(res.risk[CG_HARM_GROOMING] * 1000, 550);
    CG_ASSERT_OK(send(c, "g", "adult", "kid", T0, &g, 1, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_GROOMING], 1.0 - exp(-0.8 * 1.8));
    CG_ASSERT_GE(res.alert, CG_ALERT_ALERT);
    CG_ASSERT_OK(send(c, "b", "bully", "kid", T0, &b, 1, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "b", "bully", "kid", T0, &b, 1, NULL, &res), NULL);
    CG_ASSERT_LE(res.risk[CG_HARM_BULLYING] * 1000, 550);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_an_urgent_state_is_held_72_hours)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding d = rule(CG_HARM_SELF_HARM_RISK, CG_FACET_DESPAIR, 1.0f);

    CG_ASSERT_OK(send(c, "a", "kid", "group", T0, &d, 1, NULL, &res), NULL);
    CG_ASSERT_EQ(res.alert, CG_ALERT_URGENT);
    /* Others go on talking: the child's state stays urgent for 72 hours, then lets go. */
    CG_ASSERT_OK(send(c, "a", "other", "group", T0 + 48 * HOUR_MS, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_LT(res.risk[CG_HARM_SELF_HARM_RISK] * 100, 30);
    CG_ASSERT_EQ(res.alert, CG_ALERT_URGENT);
    CG_ASSERT_EQ(res.n_participants, 2);
    CG_ASSERT_STR_EQ(res.participants[0].name, "kid");
    CG_ASSERT_EQ(res.participants[0].alert, CG_ALERT_URGENT);
    CG_ASSERT_EQ(res.participants[0].peak_harm, CG_HARM_SELF_HARM_RISK);
    CG_ASSERT_EQ(res.peak[CG_HARM_SELF_HARM_RISK].level, CG_ALERT_URGENT);
    CG_ASSERT_STR_EQ(res.peak[CG_HARM_SELF_HARM_RISK].at_risk, "kid");
    CG_ASSERT_OK(send(c, "a", "other", "group", T0 + 73 * HOUR_MS, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_EQ(res.alert, CG_ALERT_NONE);
    CG_ASSERT_EQ(res.participants[0].peak, CG_ALERT_URGENT);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_parties_beyond_eight_share_the_last_slot)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    char name[16];

    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        CG_ASSERT_OK(send(c, "a", name, "group", T0 + i, NULL, 0, NULL, &res), NULL);
    }
    CG_ASSERT_EQ(res.n_participants, 8);
    CG_ASSERT_STR_EQ(res.participants[7].name, "p7");
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_an_allocation_failure_changes_nothing)
{
    const cg__finding f = rule(CG_HARM_BULLYING, CG_FACET_INSULT, 1.0f);
    int failed = 0;

    for (long n = 1; n < 64; n++) {
        cg__convs *c = open_convs();
        cg_text_result res = {0};
        cg_status st;
        long made;

        CG_ASSERT_OK(send(c, "a", "x", "kid", T0, &f, 1, NULL, &res), NULL);
        cg__alloc_fail_at(n);
        st = send(c, "a", "newcomer", "someone", T0, &f, 1, NULL, &res);
        made = cg__alloc_count();
        cg__alloc_fail_at(0);
        if (made >= n) {
            /* The n-th allocation failed: the message is refused, the state as it was. */
            CG_ASSERT_EQ(st, CG_E_NOMEM);
            failed++;
            CG_ASSERT_OK(send(c, "a", "kid", "x", T0, NULL, 0, NULL, &res), NULL);
            CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9));
        } else {
            CG_ASSERT_OK(st, NULL);
            cg_text_result_free(&res);
            cg__convs_free(c);
            break;
        }
        cg_text_result_free(&res);
        cg__convs_free(c);
    }
    CG_ASSERT_GT(failed, 0);
}

CG_TEST(conversation_a_parent_asking_for_a_photo_is_family_talk)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding req = rule(CG_HARM_SEXUAL_SOLICITATION, CG_FACET_REQUEST, 0.5f);
    const cg__age_facts mom = {0, 0, 0, 1, 0, 0, 0, 0, 0};

    /* The child calls the other "mom": that party's photo request counts at 0.4. */
    CG_ASSERT_OK(send(c, "family", "kid", "mom", T0, NULL, 0, &mom, &res), NULL);
    CG_ASSERT_OK(send(c, "family", "mom", "kid", T0, &req, 1, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_SEXUAL_SOLICITATION], 0.2);
    CG_ASSERT_EQ(res.evidence[0].weight * 100, 20);
    /* The same request from someone nobody called a parent counts in full. */
    CG_ASSERT_OK(send(c, "stranger", "kid", "x", T0, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "stranger", "x", "kid", T0, &req, 1, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_SEXUAL_SOLICITATION], 0.5);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_topic_context_carries_over_six_messages)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__age_facts game = {0, 0, 0, 0, 2u, 0, 0, 0, 0};
    cg_text_message m;

    memset(&m, 0, sizeof(m));
    m.conversation = "match";
    CG_ASSERT_EQ(cg__convs_context(c, &m), 0); /* a new conversation */
    CG_ASSERT_OK(send(c, "match", "a", "b", T0, NULL, 0, &game, &res), NULL);
    for (int i = 0; i < 6; i++) { /* the marker's message is one of the last six */
        CG_ASSERT_EQ(cg__convs_context(c, &m), 2u);
        CG_ASSERT_OK(send(c, "match", i % 2 ? "a" : "b", NULL, T0, NULL, 0, NULL, &res), NULL);
    }
    CG_ASSERT_EQ(cg__convs_context(c, &m), 0); /* seven messages on: forgotten */
    m.conversation = "other";
    CG_ASSERT_EQ(cg__convs_context(c, &m), 0);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_a_pile_on_is_summed_over_parties)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    const cg__finding l = learned(CG_HARM_BULLYING, 0.7f);
    const cg__finding ins = rule(CG_HARM_BULLYING, CG_FACET_INSULT, 0.4f);
    const char *bully[] = {"b1", "b2", "b3"};

    /* Three parties each say a little to a child who says nothing back: each alone is below
     * 0.5 (1 - e^(-0.9 * 0.7)); together, from the learned layer alone, capped at 0.55. */
    for (int i = 0; i < 3; i++) {
        CG_ASSERT_OK(send(c, "pile", "kid", "group", T0, NULL, 0, NULL, &res), NULL);
        CG_ASSERT_OK(send(c, "pile", bully[i], "group", T0, &l, 1, NULL, &res), NULL);
        CG_ASSERT_LT(res.participants[i + 1].risk[CG_HARM_BULLYING] * 1000, 500);
    }
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 0.55);
    /* (The child's own state is their exposure: three messages aimed at them, a run.) */
    /* A rule's cue joins: the sum is no longer capped. */
    CG_ASSERT_OK(send(c, "pile", "kid", "group", T0, NULL, 0, NULL, &res), NULL);
    CG_ASSERT_OK(send(c, "pile", "b1", "group", T0, &ins, 1, NULL, &res), NULL);
    CG_ASSERT_NEAR(res.risk[CG_HARM_BULLYING], 1.0 - exp(-0.9 * 0.4) * exp(-0.9 * 2.1));
    CG_ASSERT_EQ(res.alert, CG_ALERT_ALERT);
    /* Two who trade insults are no pile-on (conversation_insults_traded_both_ways_count_half). */
    cg_text_result_free(&res);
    cg__convs_free(c);
}

CG_TEST(conversation_an_answer_to_a_probe_is_personal_data)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    cg__finding ask = rule(CG_HARM_PERSONAL_DATA, CG_FACET_ADDRESS, 0.35f);

    ask.cue = "pd.ask.live.en";
    CG_ASSERT_OK(send_text(c, "q", "x", "kid", "where do u live", &ask, 1, &res), NULL);
    CG_ASSERT_OK(send_text(c, "q", "kid", "x", "near the big park by the station", NULL, 0, &res),
                 NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_PERSONAL_DATA], 0.5);
    CG_ASSERT_EQ(res.n_evidence > 0 && strcmp(res.evidence[0].cue, "pd.answer") == 0, 1);
    /* A question back, a one-word reply or an answer to nobody's question is not. */
    CG_ASSERT_OK(send_text(c, "q2", "x", "kid", "where do u live", &ask, 1, &res), NULL);
    CG_ASSERT_OK(send_text(c, "q2", "kid", "x", "why do u want to know?", NULL, 0, &res), NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_PERSONAL_DATA], 0.0);
    CG_ASSERT_OK(send_text(c, "q3", "x", "kid", "where do u live", &ask, 1, &res), NULL);
    CG_ASSERT_OK(send_text(c, "q3", "kid", "x", "no", NULL, 0, &res), NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_PERSONAL_DATA], 0.0);
    CG_ASSERT_OK(send_text(c, "q4", "kid", "x", "we had pizza at the park today", NULL, 0, &res),
                 NULL);
    CG_ASSERT_NEAR(res.message_risk[CG_HARM_PERSONAL_DATA], 0.0);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

/* Asking for images, a refusal by another party, asking again (docs/text.md, "pressure after a
 * request"): the conversation remembers who asked last and whether someone refused since. */
CG_TEST(conversation_asking_again_after_a_refusal_is_known)
{
    cg__convs *c = open_convs();
    cg_text_result res = {0};
    cg_text_message a = {0}, b = {0};
    cg__age_facts ask = {0, 0, 0, 0, 0, 1, 0, 0, 0}, no = {0, 0, 0, 0, 0, 0, 1, 0, 0};
    const cg__age_facts none = {0, 0, 0, 0, 0, 0, 0, 0, 0};

    a.conversation = b.conversation = "q";
    a.sender = "asker";
    b.sender = "kid";
    /* A refusal before any ask is nothing. */
    CG_ASSERT_OK(send(c, "q", "kid", NULL, T0, NULL, 0, &no, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), 0);
    CG_ASSERT_OK(send(c, "q", "asker", NULL, T0 + 1000, NULL, 0, &ask, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), 0);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &b), CG__ASK_OTHER);
    /* The asker's own "no" is not a refusal of their ask. */
    CG_ASSERT_OK(send(c, "q", "asker", NULL, T0 + 2000, NULL, 0, &no, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), 0);
    /* A message of the kid that does not refuse changes nothing; a refusal does. */
    CG_ASSERT_OK(send(c, "q", "kid", NULL, T0 + 3000, NULL, 0, &none, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), 0);
    CG_ASSERT_OK(send(c, "q", "kid", NULL, T0 + 4000, NULL, 0, &no, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), CG__ASK_MINE_REFUSED);
    /* Asking again keeps the refusal; another party asking starts over. */
    CG_ASSERT_OK(send(c, "q", "asker", NULL, T0 + 5000, NULL, 0, &ask, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), CG__ASK_MINE_REFUSED);
    CG_ASSERT_OK(send(c, "q", "kid", NULL, T0 + 6000, NULL, 0, &ask, &res), NULL);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), CG__ASK_OTHER);
    CG_ASSERT_EQ(cg__convs_ask_state(c, &b), 0);
    /* Another conversation knows nothing of it. */
    a.conversation = "other";
    CG_ASSERT_EQ(cg__convs_ask_state(c, &a), 0);
    cg_text_result_free(&res);
    cg__convs_free(c);
}

/* One message through the whole engine; 1 when its own evidence holds a cue whose id starts
 * with prefix. */
static int scan_has(cg_text_session *s, const char *sender, const char *text, const char *prefix)
{
    cg_text_message m = {0};
    cg_text_result res = {0};
    cg_error err = {0};
    int has = 0;

    m.conversation = "saved";
    m.sender = sender;
    m.text = text;
    m.len = strlen(text);
    CG_ASSERT_OK(cg_text_scan(s, &m, &res, &err), &err);
    for (size_t i = 0; i < res.n_evidence; i++)
        has |= res.evidence[i].in_this_message &&
               strncmp(res.evidence[i].cue, prefix, strlen(prefix)) == 0;
    cg_text_result_free(&res);
    return has;
}

/* The last ask and the refusal since are kept in the saved state (version 3 on): pressure after a
 * no still counts after a restart. A version 5 state relabelled as version 2 (which has no ask)
 * does not read to its end and is refused, naming why. */
CG_TEST(conversation_saved_state_keeps_the_refused_ask)
{
    cg_text_config cfg = {0};
    cg_text_engine *e = NULL;
    cg_text_session *s = NULL, *s2 = NULL;
    cg_error err = {0};
    uint8_t *buf = NULL;
    size_t len = 0;

    cfg.data_dir = CG_SOURCE_DATA_DIR;
    cfg.no_learned = 1;
    CG_ASSERT_OK(cg_text_engine_open(&cfg, &e, &err), &err);
    CG_ASSERT_OK(cg_text_session_create(e, &s, &err), &err);
    CG_ASSERT_OK(cg_text_session_create(e, &s2, &err), &err);
    /* Pressure with no ask before it is dropped. */
    CG_ASSERT(!scan_has(s2, "asker", "come on, just one", "sol."));
    CG_ASSERT(!scan_has(s, "asker", "send me something tonight", "sol."));
    CG_ASSERT(!scan_has(s, "kid", "no. going to sleep", "sol."));
    CG_ASSERT_OK(cg__text_session_state_save(s, &buf, &len, &err), &err);
    CG_ASSERT(len > 8 && memcmp(buf, "CGTS", 4) == 0 && buf[4] == 5);
    CG_ASSERT_OK(cg__text_session_state_restore(s2, buf, len, &err), &err);
    CG_ASSERT(scan_has(s2, "asker", "come on, just one", "sol.press."));
    buf[4] = 2;
    CG_ASSERT_EQ(cg__text_session_state_restore(s2, buf, len, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "conversation state") != NULL);
    cg_free(buf);
    cg_text_session_destroy(s2);
    cg_text_session_destroy(s);
    cg_text_engine_close(e);
}

/* Fills every block malloc hands out from now on with the complement of byte b (glibc's
 * M_PERTURB; 0 turns it off): memory that holds other bytes than zeros. Where malloc is not
 * glibc's (a sanitizer's: mallopt does nothing there and returns 0) the test still runs, over
 * whatever memory held. */
static void perturb_heap(int b)
{
#ifdef M_PERTURB
    (void)mallopt(M_PERTURB, b);
#else
    (void)b;
#endif
}

/* A new conversation is not zeroed beyond its header (conversation_int.h): its evidence ring's
 * slots that hold nothing yet are saved as zeros. Two sessions given the same messages, each
 * over memory that malloc fills with other bytes, save the same state, and a restored state
 * saves the bytes it was read from. */
CG_TEST(conversation_saved_state_is_the_same_whatever_memory_held)
{
    cg_text_config cfg = {0};
    cg_text_engine *e = NULL;
    cg_text_session *s[3] = {NULL, NULL, NULL};
    cg_error err = {0};
    uint8_t *buf[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};

    cfg.data_dir = CG_SOURCE_DATA_DIR;
    cfg.no_learned = 1;
    CG_ASSERT_OK(cg_text_engine_open(&cfg, &e, &err), &err);
    for (int k = 0; k < 3; k++)
        CG_ASSERT_OK(cg_text_session_create(e, &s[k], &err), &err);
    for (int k = 0; k < 2; k++) {
        perturb_heap(k == 0 ? 0xa5 : 0x3c);
        CG_ASSERT(!scan_has(s[k], "asker", "send me something tonight", "none."));
        CG_ASSERT(!scan_has(s[k], "kid", "no. going to sleep", "none."));
        CG_ASSERT_OK(cg__text_session_state_save(s[k], &buf[k], &len[k], &err), &err);
    }
    perturb_heap(0);
    CG_ASSERT_EQ(len[0], len[1]);
    CG_ASSERT(memcmp(buf[0], buf[1], len[0]) == 0);
    CG_ASSERT_OK(cg__text_session_state_restore(s[2], buf[0], len[0], &err), &err);
    CG_ASSERT_OK(cg__text_session_state_save(s[2], &buf[2], &len[2], &err), &err);
    CG_ASSERT_EQ(len[2], len[0]);
    CG_ASSERT(memcmp(buf[2], buf[0], len[0]) == 0);
    for (int k = 0; k < 3; k++) {
        cg_free(buf[k]);
        cg_text_session_destroy(s[k]);
    }
    cg_text_engine_close(e);
}

/* ---- whose personal data, and demands over messages (the whole engine, rules only) ---------- */

typedef struct engine_fixture {
    cg_text_engine *e;
    cg_text_session *s;
    cg_text_result res;
} engine_fixture;

static void fixture_open(engine_fixture *f)
{
    cg_text_config cfg = {0};
    cg_error err = {0};

    memset(f, 0, sizeof(*f));
    cfg.data_dir = CG_SOURCE_DATA_DIR;
    cfg.no_learned = 1;
    CG_ASSERT_OK(cg_text_engine_open(&cfg, &f->e, &err), &err);
    CG_ASSERT_OK(cg_text_session_create(f->e, &f->s, &err), &err);
}

static void fixture_close(engine_fixture *f)
{
    cg_text_result_free(&f->res);
    cg_text_session_destroy(f->s);
    cg_text_engine_close(f->e);
}

/* One message; the result is in f->res. */
static void say(engine_fixture *f, const char *conv, const char *from, const char *to,
                const char *text)
{
    cg_text_message m = {0};
    cg_error err = {0};

    m.conversation = conv;
    m.sender = from;
    m.recipient = to;
    m.text = text;
    m.len = strlen(text);
    CG_ASSERT_OK(cg_text_scan(f->s, &m, &f->res, &err), &err);
}

static const cg_text_participant *who(const cg_text_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_participants; i++)
        if (strcmp(r->participants[i].name, name) == 0)
            return &r->participants[i];
    CG_ASSERT(0);
    return NULL;
}

static int has_cue(const cg_text_result *r, const char *prefix)
{
    for (size_t i = 0; i < r->n_evidence; i++)
        if (r->evidence[i].in_this_message &&
            strncmp(r->evidence[i].cue, prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

/* A stranger reciting a child's school and class is that child's data, revealed: the child
 * (not the writer) is at risk of it, the writer is named; the child's own disclosure, a
 * parent's, a parent's to a delivery man and a question are told apart. */
CG_TEST(conversation_personal_data_says_whose_it_is)
{
    engine_fixture f;
    const int pd = CG_HARM_PERSONAL_DATA;

    fixture_open(&f);
    say(&f, "a", "lan", "x99", "em 12 tuổi");
    say(&f, "a", "x99", "lan", "em học lớp 7A4 trường THCS Nguyễn Du đúng ko");
    CG_ASSERT(f.res.message_risk[pd] >= 0.5f); /* the conversation's risk is unchanged */
    CG_ASSERT_EQ(f.res.pd_how, CG_TEXT_PD_REVEALED);
    CG_ASSERT_STR_EQ(f.res.pd_owner, "lan");
    CG_ASSERT_STR_EQ(f.res.pd_writer, "x99");
    CG_ASSERT(who(&f.res, "lan")->exposure[pd] >= 0.5f);
    CG_ASSERT(who(&f.res, "x99")->risk[pd] < 0.05f);
    CG_ASSERT(who(&f.res, "lan")->alert == CG_ALERT_WATCH);
    CG_ASSERT(who(&f.res, "x99")->author_alert == CG_ALERT_WATCH);
    CG_ASSERT_STR_EQ(f.res.peak[pd].at_risk, "lan");
    CG_ASSERT_STR_EQ(f.res.peak[pd].author, "x99");
    /* "I know where you live" with a street, from someone nobody gave an age. */
    say(&f, "b", "jay", "mia", "i know where you live. 14 Carver Street");
    CG_ASSERT_EQ(f.res.pd_how, CG_TEXT_PD_REVEALED);
    CG_ASSERT_STR_EQ(f.res.pd_owner, "mia");
    /* A question for it is asked, not revealed. */
    say(&f, "c", "jay", "mia", "what school do u go to?");
    CG_ASSERT_EQ(f.res.pd_how, CG_TEXT_PD_ASKED);
    CG_ASSERT_STR_EQ(f.res.pd_owner, "mia");
    /* The child's own. */
    say(&f, "d", "kid", "friend", "nhà em ở số 12 ngõ 45 Cầu Giấy");
    CG_ASSERT_EQ(f.res.pd_how, CG_TEXT_PD_OWN);
    CG_ASSERT_STR_EQ(f.res.pd_owner, "kid");
    CG_ASSERT_STR_EQ(f.res.pd_writer, "kid");
    /* Hard negatives: a parent reminding the child of the family's address, a parent giving
     * it to a delivery man: the writer's own (household), never revealed. */
    say(&f, "e", "kid", "mom", "mẹ ơi con quên rồi");
    say(&f, "e", "mom", "kid", "con nhớ nhé, nhà mình ở số 12 ngõ 45 Cầu Giấy, đúng không");
    CG_ASSERT(f.res.pd_how == CG_TEXT_PD_OWN);
    CG_ASSERT_STR_EQ(f.res.pd_owner, "mom");
    say(&f, "g", "mom", "shipper",
        "anh giao giúp chị tới số 12 ngõ 45 Cầu Giấy, bé nhà chị ở nhà nhận");
    CG_ASSERT(f.res.pd_how == CG_TEXT_PD_OWN);
    /* No personal data: none. */
    say(&f, "h", "a", "b", "see you at practice");
    CG_ASSERT_EQ(f.res.pd_how, CG_TEXT_PD_NONE);
    CG_ASSERT_STR_EQ(f.res.pd_owner, "");
    fixture_close(&f);
}

/* The part of the writer's evidence that was the child's data, and the child's exposure, are
 * in the saved state (version 4): after a restart the child is still the one it concerns. */
CG_TEST(conversation_saved_state_keeps_whose_data)
{
    engine_fixture f, g;
    cg_error err = {0};
    uint8_t *buf = NULL;
    size_t len = 0;

    fixture_open(&f);
    fixture_open(&g);
    say(&f, "a", "lan", "x99", "em 12 tuổi");
    say(&f, "a", "x99", "lan", "em học lớp 7A4 trường THCS Nguyễn Du đúng ko");
    say(&f, "a", "x99", "lan", "send 500k");
    CG_ASSERT_OK(cg__text_session_state_save(f.s, &buf, &len, &err), &err);
    CG_ASSERT_OK(cg__text_session_state_restore(g.s, buf, len, &err), &err);
    say(&g, "a", "lan", "x99", "ok");
    CG_ASSERT_EQ(g.res.pd_how, CG_TEXT_PD_REVEALED);
    CG_ASSERT_STR_EQ(g.res.pd_owner, "lan");
    /* The demand left pending is kept too. */
    say(&g, "a", "x99", "lan", "to this account by tonight");
    CG_ASSERT(has_cue(&g.res, "sx.dem.carried"));
    cg_free(buf);
    fixture_close(&g);
    fixture_close(&f);
}

/* A demand whose amount is in one message and its account, deadline or threat in the next ones
 * (up to four messages later, from the same writer) is completed; a repayment, another writer,
 * the writer's own payment and a demand gone stale are not. */
CG_TEST(conversation_a_demand_carried_over_messages)
{
    engine_fixture f;

    fixture_open(&f);
    say(&f, "s", "x", "kid", "send 500k");
    CG_ASSERT(!has_cue(&f.res, "sx.dem.carried"));
    say(&f, "s", "kid", "x", "what");
    say(&f, "s", "x", "kid", "to this account: 0123 456 789, by tonight");
    CG_ASSERT(has_cue(&f.res, "sx.dem.carried"));
    CG_ASSERT(f.res.message_risk[CG_HARM_SEXTORTION] > 0.0f);
    /* Completed once: the next message is no demand again. */
    say(&f, "s", "x", "kid", "by tonight");
    CG_ASSERT(!has_cue(&f.res, "sx.dem.carried") && !has_cue(&f.res, "bl.demand"));
    /* Bullying: "mang 50k" then the threat. */
    say(&f, "b", "bully", "kid", "mang 50k đây");
    say(&f, "b", "bully", "kid", "không thì biết tay");
    CG_ASSERT(has_cue(&f.res, "bl.demand"));
    CG_ASSERT(f.res.message_risk[CG_HARM_BULLYING] >= 0.69f);
    /* Traps. */
    say(&f, "t1", "x", "kid", "send 500k");
    say(&f, "t1", "y", "kid", "to this account by tonight"); /* another writer */
    CG_ASSERT(!has_cue(&f.res, "sx.dem.carried"));
    say(&f, "t2", "mom", "kid", "can u send 50k");
    say(&f, "t2", "mom", "kid", "by tonight pls, for the class trip"); /* a collection */
    CG_ASSERT(!has_cue(&f.res, "sx.dem.carried") && !has_cue(&f.res, "bl.demand"));
    say(&f, "t3", "kid", "x", "ok i'll send 500k");
    say(&f, "t3", "kid", "x", "tonight"); /* the writer's own payment */
    CG_ASSERT(!has_cue(&f.res, "sx.dem.carried") && !has_cue(&f.res, "bl.demand"));
    say(&f, "t4", "x", "kid", "send 500k");
    for (int i = 0; i < 4; i++)
        say(&f, "t4", "kid", "x", "?");
    say(&f, "t4", "x", "kid", "to this account by tonight"); /* stale */
    CG_ASSERT(!has_cue(&f.res, "sx.dem.carried"));
    fixture_close(&f);
}

/* Round 8: sextortion spread over messages. A countdown ("you have 10 minutes" … "5 minutes
 * left" … "time's up", "còn 5 phút" … "hết giờ rồi") after an image was named, and a value
 * named before its demand ("500k" … "send it or else", "thêm 3 tấm nữa" … "gửi đi không thì t
 * đăng"), are a demand; the hard negatives stay quiet: a teacher's countdown on a test, a
 * game's, a parent's, a shop's price then the address, a friend repaying money. */
CG_TEST(conversation_countdown_and_value_before_the_demand)
{
    engine_fixture f;
    const int sx = CG_HARM_SEXTORTION;

    fixture_open(&f);
    say(&f, "c1", "x", "kid", "i saved the video u sent");
    say(&f, "c1", "x", "kid", "you have 10 minutes");
    CG_ASSERT(has_cue(&f.res, "sx.dem.countdown"));
    say(&f, "c1", "kid", "x", "please dont");
    say(&f, "c1", "x", "kid", "5 minutes left");
    CG_ASSERT(has_cue(&f.res, "sx.dem.countdown"));
    say(&f, "c1", "x", "kid", "time's up");
    CG_ASSERT(has_cue(&f.res, "sx.dem.countdown"));
    CG_ASSERT(f.res.risk[sx] >= 0.6f);
    CG_ASSERT(f.res.alert >= CG_ALERT_ALERT);

    say(&f, "c2", "x", "kid", "t có ảnh của m");
    say(&f, "c2", "x", "kid", "còn 5 phút");
    CG_ASSERT(has_cue(&f.res, "sx.dem.countdown"));
    say(&f, "c2", "x", "kid", "hết giờ rồi");
    CG_ASSERT(f.res.alert >= CG_ALERT_ALERT);

    say(&f, "v1", "x", "kid", "i have ur pics");
    say(&f, "v1", "x", "kid", "500k");
    say(&f, "v1", "kid", "x", "i dont have it");
    say(&f, "v1", "x", "kid", "send it or else");
    CG_ASSERT(has_cue(&f.res, "sx.dem.carried"));
    CG_ASSERT(f.res.alert >= CG_ALERT_ALERT);

    say(&f, "v2", "x", "kid", "t giữ ảnh m rồi");
    say(&f, "v2", "x", "kid", "thêm 3 tấm nữa");
    say(&f, "v2", "kid", "x", "ko");
    say(&f, "v2", "x", "kid", "gửi đi không thì t đăng");
    CG_ASSERT(has_cue(&f.res, "sx.dem.carried"));

    /* Hard negatives. */
    /* Hard negatives, each a conversation of one writer: a teacher, a game, a shop, a parent,
     * a friend repaying. */
    static const char *const quiet[][4] = {
        {"10 minutes left on the test", "5 minutes left", "time's up, pens down", NULL},
        {"gg lobby in 5 mins", "2 mins", "tick tock", NULL},
        {"áo này 500k nha", "gửi chị địa chỉ nhé, mai ship", NULL, NULL},
        {"you have 5 minutes to get ready", "2 minutes left, shoes on", "time's up!", NULL},
        {"tao nợ m 50k", "mai t gửi nhé, không thì thứ 2", NULL, NULL}};
    for (size_t k = 0; k < sizeof(quiet) / sizeof(quiet[0]); k++) {
        const char conv[] = {'n', (char)('1' + k), '\0'};
        for (size_t i = 0; i < 4 && quiet[k][i] != NULL; i++) {
            say(&f, conv, "writer", "reader", quiet[k][i]);
            CG_ASSERT(!has_cue(&f.res, "sx.") && !has_cue(&f.res, "bl.demand"));
        }
        CG_ASSERT(f.res.alert < CG_ALERT_ALERT && f.res.risk[sx] < 0.3f);
    }
    /* A child quoting a threat to a helpline: the carried demand is quoted too. */
    say(&f, "q", "kid", "helpline", "có người có ảnh của em");
    say(&f, "q", "kid", "helpline", "anh ấy bảo \"thêm 3 tấm nữa không thì anh đăng\"");
    for (size_t i = 0; i < f.res.n_evidence; i++)
        if (f.res.evidence[i].in_this_message &&
            strcmp(f.res.evidence[i].cue, "sx.dem.carried") == 0)
            CG_ASSERT(f.res.evidence[i].weight < 0.3f);

    /* Hostile: invalid UTF-8 and a 64 KiB message of countdowns and amounts from a writer
     * holding images; the scan goes on and the next message is read. */
    say(&f, "h", "x", "kid", "i have ur pics");
    say(&f, "h", "x", "kid", "c\xf2n 5 ph\xc3t \xff 500k \x80 99999999999999999999 minutes");
    {
        const size_t n = 64 * 1024;
        static const char unit[] = "5 minutes left 500k tick tock ";
        char *big = malloc(n + 1);
        CG_ASSERT(big != NULL);
        for (size_t i = 0; i < n; i++)
            big[i] = unit[i % (sizeof(unit) - 1)];
        big[n] = '\0';
        say(&f, "h", "x", "kid", big);
        free(big);
    }
    say(&f, "h", "x", "kid", "time's up");
    CG_ASSERT(f.res.alert >= CG_ALERT_ALERT);
    fixture_close(&f);
}

/* Round 8: a child telling a parent what happened to a friend (a photo threatened, money
 * demanded) reports the harm: the message to someone called mom counts at the parent factor,
 * and the conversation stays below alert. The same words to a friend still count. */
CG_TEST(conversation_told_to_a_parent_is_a_report)
{
    engine_fixture f;
    static const char told[] = "bạn Linh lớp con gửi ảnh nhạy cảm cho 1 đứa quen trên mạng, giờ "
                               "nó dọa tung ảnh lên nhóm trường nếu ko chuyển tiền";

    fixture_open(&f);
    say(&f, "p", "kid", "mom", "mẹ ơi con kể mẹ chuyện này");
    say(&f, "p", "mom", "kid", "ừ mẹ nghe");
    say(&f, "p", "kid", "mom", told);
    CG_ASSERT(f.res.alert < CG_ALERT_ALERT);
    const float to_mom = f.res.risk[CG_HARM_SEXUAL_SOLICITATION] + f.res.risk[CG_HARM_SEXTORTION];
    say(&f, "q", "kid", "friend", "ê kể m nghe chuyện này");
    say(&f, "q", "friend", "kid", "gì");
    say(&f, "q", "kid", "friend", told);
    CG_ASSERT(f.res.risk[CG_HARM_SEXUAL_SOLICITATION] + f.res.risk[CG_HARM_SEXTORTION] > to_mom);
    fixture_close(&f);
}
