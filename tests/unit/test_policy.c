/* The policy (policy.h): the shipped defaults give the actions the issue asks for, the
 * evaluator's precedence and stop rules, every malformed policy is a clear error naming the
 * place, and every allocation failure is clean. */
#include "cg_test.h"

#include "childguard/policy.h"
#include "common/alloc.h"

#define DEFAULT_POLICY CG_SOURCE_DATA_DIR "/policy/default.json"

static cg_policy *load_default(void)
{
    cg_policy *p = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_policy_open(DEFAULT_POLICY, &p, &err), &err);
    CG_ASSERT(p != NULL);
    return p;
}

static cg_policy *load_text(const char *text)
{
    cg_policy *p = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_policy_create("test.json", text, strlen(text), &p, &err), &err);
    return p;
}

static void decide(const cg_policy *p, const cg_policy_facts *f, cg_policy_decision *d)
{
    cg_error err;
    CG_ASSERT_OK(cg_policy_decide(p, f, d, &err), &err);
}

/* The decision's actions as one string: "block,queue_review,notify:guardian". */
static const char *actions_text(const cg_policy_decision *d)
{
    static char buf[512];
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < d->n_actions; i++) {
        const cg_policy_action_item *a = &d->actions[i];
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s%s%s", i ? "," : "",
                                 cg_policy_action_name(a->action), a->target[0] ? ":" : "",
                                 a->target);
    }
    return buf;
}

static int fired(const cg_policy_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_fired; i++)
        if (strcmp(d->fired[i].id, id) == 0)
            return 1;
    return 0;
}

/* 1 when the decision asks for guidance on topic for a (harm: the topic's cg_harm or -1). */
static int has_topic(const cg_policy_decision *d, const char *topic, int harm, cg_audience a)
{
    for (size_t i = 0; i < d->n_guidance; i++)
        if (strcmp(d->guidance[i].topic, topic) == 0 && d->guidance[i].harm == harm &&
            d->guidance[i].audience == a)
            return 1;
    return 0;
}

static int has_guidance(const cg_policy_decision *d, cg_harm h, cg_audience a)
{
    return has_topic(d, cg_text_harm_name(h), (int)h, a);
}

static void facts_init(cg_policy_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->context = CG_CONTEXT_PLATFORM_UPLOAD;
    f->audience = CG_AUDIENCE_RECIPIENT;
    f->sender_is_child = -1;
    f->repeat = 1;
}

CG_TEST(defaults_csam_block_review_report)
{
    cg_policy *p = load_default();
    cg_policy_decision d = {0};
    cg_policy_facts f;
    cg_policy_match m = {"csam", CG_BANK_BLOCK, 6, 0};

    facts_init(&f);
    f.matches = &m;
    f.n_matches = 1;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "block,queue_review,draft_report");
    CG_ASSERT(fired(&d, "csam-block"));
    CG_ASSERT(!fired(&d, "allow-list"));
    CG_ASSERT(strstr(d.fired[0].why, "\"csam\"") != NULL);
    CG_ASSERT(strstr(d.fired[0].why, "distance 6") != NULL);
    /* On a platform: guidance for the moderator only. */
    CG_ASSERT_EQ(d.n_guidance, 1);
    CG_ASSERT(has_topic(&d, "csam", -1, CG_AUDIENCE_MODERATOR));
    CG_ASSERT(!fired(&d, "csam-on-device"));

    /* On a child's device or a school tablet, the child who received it gets guidance too. */
    f.context = CG_CONTEXT_CHILD_DEVICE;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "block,queue_review,draft_report");
    CG_ASSERT_EQ(d.n_guidance, 2);
    CG_ASSERT(has_topic(&d, "csam", -1, CG_AUDIENCE_MODERATOR));
    CG_ASSERT(has_topic(&d, "csam", -1, CG_AUDIENCE_RECIPIENT));
    f.context = CG_CONTEXT_SCHOOL_TABLET;
    decide(p, &f, &d);
    CG_ASSERT(fired(&d, "csam-on-device"));
    CG_ASSERT_EQ(d.n_guidance, 2);
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(defaults_ncii_block_review)
{
    cg_policy *p = load_default();
    cg_policy_decision d = {0};
    cg_policy_facts f;
    cg_policy_match m = {"ncii", CG_BANK_BLOCK, 0, 0};

    facts_init(&f);
    f.matches = &m;
    f.n_matches = 1;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "block,queue_review");
    CG_ASSERT(fired(&d, "ncii-block"));
    CG_ASSERT_EQ(d.n_guidance, 2);
    CG_ASSERT(has_topic(&d, "ncii", -1, CG_AUDIENCE_RECIPIENT));
    CG_ASSERT(has_topic(&d, "ncii", -1, CG_AUDIENCE_SENDER));
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(defaults_allow_list_overrides_block)
{
    cg_policy *p = load_default();
    cg_policy_decision d = {0};
    cg_policy_facts f;
    cg_policy_match m[2] = {{"csam", CG_BANK_BLOCK, 3, 1}, {"fp", CG_BANK_ALLOW, 0, 0}};

    facts_init(&f);
    f.matches = m;
    f.n_matches = 2;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow");
    CG_ASSERT(fired(&d, "allow-list"));
    CG_ASSERT(!fired(&d, "csam-block"));
    CG_ASSERT_EQ(d.n_fired, 1);
    /* Nothing matched at all: allow, nothing fired. */
    f.n_matches = 0;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow");
    CG_ASSERT_EQ(d.n_fired, 0);
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(defaults_bullying_child_warn_then_notify)
{
    cg_policy *p = load_default();
    cg_policy_decision d = {0};
    cg_policy_facts f;

    facts_init(&f);
    f.context = CG_CONTEXT_CHILD_DEVICE;
    f.audience = CG_AUDIENCE_SENDER;
    f.sender_is_child = 1;
    f.risk[CG_HARM_BULLYING] = 0.8f;
    f.alert = CG_ALERT_WATCH;
    f.repeat = 1;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "warn");
    CG_ASSERT(has_guidance(&d, CG_HARM_BULLYING, CG_AUDIENCE_SENDER));
    CG_ASSERT(fired(&d, "bullying-nudge"));
    CG_ASSERT(!fired(&d, "bullying-repeat"));

    f.repeat = 2;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "warn,notify:guardian,notify:moderator");
    CG_ASSERT(fired(&d, "bullying-repeat"));
    CG_ASSERT(strstr(d.fired[1].why, "repeat 2 >= 2") != NULL);

    /* An adult sender (or unknown) is not nudged as a child. */
    f.sender_is_child = -1;
    decide(p, &f, &d);
    CG_ASSERT(!fired(&d, "bullying-nudge"));
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(defaults_grooming_alert_review_and_guidance)
{
    cg_policy *p = load_default();
    cg_policy_decision d = {0};
    cg_policy_facts f;

    facts_init(&f);
    f.context = CG_CONTEXT_CHILD_DEVICE;
    f.risk[CG_HARM_GROOMING] = 0.82f;
    f.alert = CG_ALERT_ALERT;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow,queue_review");
    CG_ASSERT_EQ(d.n_guidance, 1);
    CG_ASSERT(has_guidance(&d, CG_HARM_GROOMING, CG_AUDIENCE_RECIPIENT));
    CG_ASSERT(strstr(d.fired[0].why, "grooming risk 0.82") != NULL);

    f.alert = CG_ALERT_URGENT;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow,queue_review,notify:guardian");

    f.alert = CG_ALERT_WATCH;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow");
    CG_ASSERT_EQ(d.n_guidance, 0);
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(precedence_dedup_and_stop)
{
    cg_policy *p = load_text(
        "{\"version\":1,\"rules\":["
        "{\"id\":\"a\",\"actions\":[\"allow\",\"warn\",{\"notify\":\"x\"}]},"
        "{\"id\":\"b\",\"when\":{\"harm\":[\"bullying\",\"grooming\"],\"min_risk\":0.3},"
        " \"actions\":[\"blur\",{\"notify\":\"x\"},{\"notify\":\"y\"}],"
        " \"guidance\":[{\"harm\":\"bullying\",\"audience\":\"recipient\"},"
        "               {\"harm\":\"bullying\",\"audience\":\"recipient\"}]},"
        "{\"id\":\"c\",\"when\":{\"context\":\"school_tablet\"},\"actions\":[\"block\"],"
        " \"stop\":true},"
        "{\"id\":\"d\",\"actions\":[\"draft_report\"]}]}");
    cg_policy_decision d = {0};
    cg_policy_facts f;

    facts_init(&f);
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "warn,draft_report,notify:x");
    CG_ASSERT_EQ(d.stopped, 0);

    f.risk[CG_HARM_GROOMING] = 0.3f;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "warn,blur,draft_report,notify:x,notify:y");
    CG_ASSERT_EQ(d.n_guidance, 1);

    f.context = CG_CONTEXT_SCHOOL_TABLET;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "block,notify:x,notify:y");
    CG_ASSERT_EQ(d.stopped, 1);
    CG_ASSERT(!fired(&d, "d"));

    /* Unknown context: a rule asking for one does not hold. */
    f.context = CG_CONTEXT_UNKNOWN;
    decide(p, &f, &d);
    CG_ASSERT(!fired(&d, "c"));
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(match_conditions_distance_kind_label)
{
    cg_policy *p = load_text(
        "{\"version\":1,\"rules\":[{\"id\":\"near\",\"when\":{\"bank_label\":\"csam\","
        "\"max_distance\":10},\"actions\":[\"block\"]}]}");
    cg_policy_decision d = {0};
    cg_policy_facts f;
    cg_policy_match m[2] = {{"terror", CG_BANK_BLOCK, 0, 0}, {"csam", CG_BANK_BLOCK, 11, 0}};

    facts_init(&f);
    f.matches = m;
    f.n_matches = 2;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow");
    m[1].distance = 10;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "block");
    m[1].suppressed = 1;
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow");
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

typedef struct bad_case {
    const char *text;
    const char *want; /* substring of the error */
} bad_case;

CG_TEST(malformed_policies_are_clear_errors)
{
    static const bad_case cases[] = {
        {"not json", "test.json:1:"},
        {"{\"version\":1,\"rules\":[}", "not valid JSON"},
        {"[]", "test.json:1: (top level): expected an object"},
        {"{\"rules\":[]}", "missing \"version\""},
        {"{\"version\":2,\"rules\":[]}", "test.json:1: version: unsupported version"},
        {"{\"version\":\"1\",\"rules\":[]}", "version: unsupported version"},
        {"{\"version\":1}", "missing \"rules\""},
        {"{\"version\":1,\"rules\":{}}", "rules: expected an array of rules, got an object"},
        {"{\"version\":1,\"rules\":[],\"rulez\":[]}", "rulez: unknown key"},
        {"{\"version\":1,\"rules\":[\n{\"id\":\"a\",\n\"actions\":[\"block\"],\n\"wen\":{}}]}",
         "test.json:4: rules[0].wen: unknown key in rule \"a\""},
        {"{\"version\":1,\"rules\":[{\"actions\":[\"block\"]}]}", "rules[0]: every rule needs"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":[\"block\"]},"
         "{\"id\":\"a\",\"actions\":[\"block\"]}]}", "rules[1]: rule id \"a\" is also"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\"}]}", "neither actions nor guidance"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":[\"blok\"]}]}",
         "rules[0].actions[0]: \"blok\" is not an action"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":[\"notify\"]}]}",
         "notify needs a target"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":[{\"notify\":7}]}]}",
         "rules[0].actions[0].notify: a notify target"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":[{\"email\":\"x\"}]}]}",
         "exactly {\"notify\": TARGET}"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":\"block\"}]}",
         "rules[0].actions: expected an array of actions, got a string"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"context\":\"phone\"},"
         "\"actions\":[\"block\"]}]}", "rules[0].when.context: \"phone\" is not a context"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"context\":[\"child_device\",3]},"
         "\"actions\":[\"block\"]}]}", "rules[0].when.context[1]: expected a context name"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"harm\":\"bulying\"},"
         "\"actions\":[\"warn\"]}]}", "when.harm: \"bulying\" is not a harm"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"bank_label\":[\"csam\",5]},"
         "\"actions\":[\"block\"]}]}", "when.bank_label[1]: expected a bank label (a string), "
                                       "got an integer"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"bank_label\":[]},"
         "\"actions\":[\"block\"]}]}", "when.bank_label: empty list"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"bank_kind\":\"deny\"},"
         "\"actions\":[\"block\"]}]}", "when.bank_kind: \"deny\" is not a bank kind"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"max_distance\":300},"
         "\"actions\":[\"block\"]}]}", "when.max_distance: 300 is out of range 0..256"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"max_distance\":1.5},"
         "\"actions\":[\"block\"]}]}", "when.max_distance: expected an integer"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"min_risk\":1.5},"
         "\"actions\":[\"block\"]}]}", "when.min_risk: 1.5 is out of range 0..1"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"min_alert\":\"high\"},"
         "\"actions\":[\"block\"]}]}", "when.min_alert: \"high\" is not an alert level"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"sender_is_child\":1},"
         "\"actions\":[\"block\"]}]}", "when.sender_is_child: expected true or false"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"repeat_at_least\":0},"
         "\"actions\":[\"block\"]}]}", "when.repeat_at_least: 0 is out of range"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"when\":{\"label\":\"csam\"},"
         "\"actions\":[\"block\"]}]}", "rules[0].when.label: unknown condition"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"harm\":\"grooming\"}}]}",
         "guidance needs \"harm\" or \"topic\", and \"audience\""},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"audience\":\"sender\"}}]}",
         "rules[0].guidance: guidance needs \"harm\" or \"topic\""},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"topic\":\"NCII\","
         "\"audience\":\"sender\"}}]}", "rules[0].guidance.topic: \"NCII\" is not a topic"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"topic\":\"\","
         "\"audience\":\"sender\"}}]}", "rules[0].guidance.topic: \"\" is not a topic"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"topic\":"
         "\"a_topic_name_that_is_32_bytes_xx\",\"audience\":\"sender\"}}]}",
         "is not a topic"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":[{\"topic\":\"ncii\","
         "\"audience\":\"sender\"},{\"topic\":7,\"audience\":\"sender\"}]}]}",
         "rules[0].guidance[1].topic: expected a topic name, got an integer"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"topic\":\"ncii\","
         "\"harm\":\"grooming\",\"audience\":\"sender\"}}]}", "not both"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"harm\":\"ncii\","
         "\"audience\":\"sender\"}}]}", "rules[0].guidance.harm: \"ncii\" is not a harm"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":{\"topic\":\"ncii\","
         "\"audience\":\"sender\",\"lang\":\"vi\"}}]}",
         "rules[0].guidance.lang: unknown key (harm or topic, audience)"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"guidance\":[{\"harm\":\"grooming\","
         "\"audience\":\"parent\"}]}]}", "rules[0].guidance[0].audience: \"parent\" is not an "
                                         "audience"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"actions\":[\"warn\"],\"stop\":\"yes\"}]}",
         "rules[0].stop: expected true or false"},
        {"{\"version\":1,\"rules\":[{\"id\":\"a b\",\"actions\":[\"warn\"]}]}",
         "needs an \"id\""},
        {"{\"version\":1,\"rules\":[],\"version\":1}", "duplicate"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cg_policy *p = (cg_policy *)&p;
        cg_error err = {0};
        cg_status st = cg_policy_create("test.json", cases[i].text, strlen(cases[i].text),
                                             &p, &err);
        if (st != CG_E_INVAL || p != NULL || strstr(err.message, cases[i].want) == NULL ||
            strncmp(err.message, "test.json:", 10) != 0)
            cg_test_fail(__FILE__, __LINE__, "case %zu: %s\n  got %s: %s\n  want: %s", i,
                         cases[i].text, cg_status_name(st), err.message, cases[i].want);
    }
}

CG_TEST(guidance_topic_requests_parse_and_dedup)
{
    /* A topic that is a harm name gets harm set, the same as {"harm": ...}; duplicates across
     * rules and between the two spellings collapse into one request, in rule order. */
    cg_policy *p = load_text(
        "{\"version\":1,\"rules\":["
        "{\"id\":\"a\",\"guidance\":[{\"topic\":\"ncii\",\"audience\":\"recipient\"},"
        "                         {\"topic\":\"grooming\",\"audience\":\"guardian\"}]},"
        "{\"id\":\"b\",\"guidance\":[{\"harm\":\"grooming\",\"audience\":\"guardian\"},"
        "                         {\"topic\":\"ncii\",\"audience\":\"recipient\"},"
        "                         {\"topic\":\"ncii\",\"audience\":\"sender\"},"
        "                         {\"topic\":\"csam\",\"audience\":\"moderator\"},"
        "                         {\"topic\":\"nudity_v2\",\"audience\":\"recipient\"}]}]}");
    cg_policy_decision d = {0};
    cg_policy_facts f;
    char buf[512];

    facts_init(&f);
    decide(p, &f, &d);
    CG_ASSERT_EQ(d.n_guidance, 5);
    CG_ASSERT_STR_EQ(d.guidance[0].topic, "ncii");
    CG_ASSERT_EQ(d.guidance[0].harm, -1);
    CG_ASSERT_EQ(d.guidance[0].audience, CG_AUDIENCE_RECIPIENT);
    CG_ASSERT_STR_EQ(d.guidance[1].topic, "grooming");
    CG_ASSERT_EQ(d.guidance[1].harm, CG_HARM_GROOMING);
    CG_ASSERT_EQ(d.guidance[1].audience, CG_AUDIENCE_GUARDIAN);
    CG_ASSERT_STR_EQ(d.guidance[2].topic, "ncii");
    CG_ASSERT_EQ(d.guidance[2].audience, CG_AUDIENCE_SENDER);
    CG_ASSERT_STR_EQ(d.guidance[3].topic, "csam");
    CG_ASSERT_STR_EQ(d.guidance[4].topic, "nudity_v2");
    CG_ASSERT_EQ(d.guidance[4].harm, -1);

    cg_policy_rule_describe(p, 0, buf, sizeof(buf));
    CG_ASSERT(strstr(buf, "guidance ncii/recipient, guidance grooming/guardian") != NULL);
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}

CG_TEST(bad_guidance_topic_names_file_and_line)
{
    char path[1024];
    const char *text = "{\n  \"version\": 1,\n  \"rules\": [\n    {\n      \"id\": \"x\",\n"
                       "      \"actions\": [\"block\"],\n      \"guidance\": [\n"
                       "        {\"topic\": \"ncii\", \"audience\": \"recipient\"},\n"
                       "        {\"topic\": \"NCII image\", \"audience\": \"sender\"}\n"
                       "      ]\n    }\n  ]\n}\n";
    cg_policy *p = NULL;
    cg_error err;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/topic.json", cg_test_tmpdir());
    fp = fopen(path, "w");
    CG_ASSERT(fp != NULL);
    fputs(text, fp);
    fclose(fp);
    CG_ASSERT_EQ(cg_policy_open(path, &p, &err), CG_E_INVAL);
    CG_ASSERT(p == NULL);
    if (strstr(err.message, "topic.json:9: rules[0].guidance[1].topic: \"NCII image\" is not a "
                            "topic") == NULL)
        cg_test_fail(__FILE__, __LINE__, "message: %s", err.message);
}

CG_TEST(error_names_the_line_in_a_file)
{
    char path[1024];
    const char *text = "{\n  \"version\": 1,\n  \"rules\": [\n    {\"id\": \"ok\", \"actions\": "
                       "[\"allow\"]},\n    {\n      \"id\": \"typo\",\n      \"when\": {\n"
                       "        \"bank_lable\": \"csam\"\n      },\n      \"actions\": [\"block\"]"
                       "\n    }\n  ]\n}\n";
    cg_policy *p = NULL;
    cg_error err;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/typo.json", cg_test_tmpdir());
    fp = fopen(path, "w");
    CG_ASSERT(fp != NULL);
    fputs(text, fp);
    fclose(fp);
    CG_ASSERT_EQ(cg_policy_open(path, &p, &err), CG_E_INVAL);
    CG_ASSERT(p == NULL);
    char want[1100];
    snprintf(want, sizeof(want), "%s:8: rules[1].when.bank_lable: unknown condition", path);
    CG_ASSERT(strncmp(err.message, want, strlen(want)) == 0 || (printf("%s\n", err.message), 0));

    snprintf(path, sizeof(path), "%s/absent.json", cg_test_tmpdir());
    CG_ASSERT_EQ(cg_policy_open(path, &p, &err), CG_E_NOTFOUND);
    CG_ASSERT(strstr(err.message, "absent.json") != NULL);
}

CG_TEST(names_round_trip)
{
    for (int a = 0; a < CG_ACTION_COUNT; a++)
        CG_ASSERT_EQ(cg_policy_action_from_name(cg_policy_action_name((cg_policy_action)a)), a);
    for (int c = 0; c < CG_CONTEXT_COUNT; c++)
        CG_ASSERT_EQ(cg_policy_context_from_name(cg_policy_context_name((cg_policy_context)c)),
                     c);
    CG_ASSERT(cg_policy_action_name(CG_ACTION_COUNT) == NULL);
    CG_ASSERT(cg_policy_context_name(CG_CONTEXT_UNKNOWN) == NULL);
    CG_ASSERT_EQ(cg_policy_action_from_name("nope"), -1);
    CG_ASSERT_EQ(cg_policy_context_from_name(NULL), -1);
}

CG_TEST(describe_lists_every_rule)
{
    cg_policy *p = load_default();
    char buf[512];

    CG_ASSERT_GE(cg_policy_rule_count(p), 10);
    for (size_t i = 0; i < cg_policy_rule_count(p); i++) {
        cg_policy_rule_describe(p, i, buf, sizeof(buf));
        CG_ASSERT(strstr(buf, "when ") == buf);
        CG_ASSERT(strstr(buf, " -> ") != NULL);
    }
    CG_ASSERT_STR_EQ(cg_policy_rule_id(p, 1), "csam-block");
    cg_policy_rule_describe(p, 1, buf, sizeof(buf));
    CG_ASSERT_STR_EQ(buf, "when bank label csam; block bank -> block, queue_review, draft_report, "
                          "guidance csam/moderator");
    CG_ASSERT_STR_EQ(cg_policy_rule_id(p, 2), "csam-on-device");
    cg_policy_rule_describe(p, 2, buf, sizeof(buf));
    CG_ASSERT_STR_EQ(buf, "when bank label csam; block bank; context child_device|school_tablet "
                          "-> guidance csam/recipient");
    cg_policy_rule_describe(p, 0, buf, 8); /* truncated, terminated */
    CG_ASSERT_EQ(strlen(buf), 7);
    cg_policy_destroy(p);
}

/* Mutated copies of the defaults (bytes replaced, deleted, truncated): each loads or is an
 * error naming the buffer, never a crash (ASan runs this). */
CG_TEST(mutated_policies_never_crash)
{
    static const char subst[] = "{}[],:\"\\ 0a-.e\n";
    FILE *fp = fopen(DEFAULT_POLICY, "rb");
    char *orig = malloc(1 << 16), *buf = malloc(1 << 16);
    size_t n;
    uint32_t rng = 12345;

    CG_ASSERT(fp != NULL && orig != NULL && buf != NULL);
    n = fread(orig, 1, 1 << 16, fp);
    fclose(fp);
    CG_ASSERT_GT(n, 100);
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = n;
        memcpy(buf, orig, n);
        for (int k = 0; k < 1 + iter % 4 && len > 1; k++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % len;
            if (iter % 7 == 3)
                len = at;
            else if (iter % 5 == 1)
                memmove(buf + at, buf + at + 1, len-- - at - 1);
            else
                buf[at] = subst[(rng >> 24) % (sizeof(subst) - 1)];
        }
        cg_policy *p = NULL;
        cg_error err = {0};
        cg_status st = cg_policy_create("m.json", buf, len, &p, &err);
        CG_ASSERT(st == CG_OK || st == CG_E_INVAL);
        CG_ASSERT(st != CG_OK || p != NULL);
        CG_ASSERT(st == CG_OK || strncmp(err.message, "m.json:", 7) == 0);
        cg_policy_destroy(p);
    }
    free(orig);
    free(buf);
}

static cg_status load_and_decide(void *arg)
{
    cg_policy *p = NULL;
    cg_policy_decision d = {0};
    cg_policy_facts f;
    cg_policy_match m = {"csam", CG_BANK_BLOCK, 2, 0};
    cg_status st;

    (void)arg;
    facts_init(&f);
    f.matches = &m;
    f.n_matches = 1;
    f.risk[CG_HARM_GROOMING] = 0.9f;
    f.alert = CG_ALERT_URGENT;
    st = cg_policy_open(DEFAULT_POLICY, &p, NULL);
    if (st != CG_OK)
        return st;
    st = cg_policy_decide(p, &f, &d, NULL);
    if (st != CG_OK && (d.actions != NULL || d.n_actions != 0))
        st = CG_E_INVAL; /* a failed decision must be empty */
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
    return st;
}

CG_TEST(allocation_failures_are_clean)
{
    CG_ASSERT_GE(cg_test_fail_each_allocation("policy load+decide", load_and_decide, NULL, 0),
                 4);
}

CG_TEST(null_arguments)
{
    cg_policy_decision d = {0};
    cg_policy_facts f = {0};
    cg_policy *p = NULL;
    cg_error err;

    CG_ASSERT_EQ(cg_policy_decide(NULL, &f, &d, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_policy_open(NULL, &p, &err), CG_E_INVAL);
    cg_policy_destroy(NULL);
    cg_policy_decision_free(NULL);
    CG_ASSERT_EQ(cg_policy_rule_count(NULL), 0);
    /* An empty policy: every decision is allow. */
    p = load_text("{\"version\":1,\"rules\":[]}");
    decide(p, &f, &d);
    CG_ASSERT_STR_EQ(actions_text(&d), "allow");
    cg_policy_decision_free(&d);
    cg_policy_destroy(p);
}
