/* The guidance catalogue (text.h, data/text/guidance.json): every topic (harms and the image
 * topics csam, ncii, nudity) has a text for every audience in both languages; help lines are
 * routed by country, topic and age band (Take It Down under 18, StopNCII 18 and over, both when
 * the age is unknown; 111 in Viet Nam); the old harm lookup still works; and a malformed
 * catalogue is refused with a message naming the file and the place. */
#include "cg_test.h"

#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childguard/guidance.h"
#include "childguard/harm.h"

#define DATA CG_SOURCE_DATA_DIR

static const char *const image_topics[] = {"csam", "ncii", "nudity"};
static const char *const langs[] = {"vi", "en"};

static cg_guidance_catalog *open_engine(const char *country)
{
    cg_guidance_catalog *e = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_guidance_catalog_open(DATA "/text/guidance.json", country, &e, &err), &err);
    CG_ASSERT(e != NULL);
    return e;
}

/* 1 when some help line contains needle. */
static int help_has(const cg_guidance *g, const char *needle)
{
    for (size_t i = 0; i < g->n_help; i++)
        if (strstr(g->help[i], needle) != NULL)
            return 1;
    return 0;
}

CG_TEST(age_band_names)
{
    CG_ASSERT_STR_EQ(cg_policy_age_band_name(CG_AGE_UNKNOWN), "unknown");
    CG_ASSERT_STR_EQ(cg_policy_age_band_name(CG_AGE_CHILD), "child");
    CG_ASSERT_STR_EQ(cg_policy_age_band_name(CG_AGE_ADULT), "adult");
    CG_ASSERT(cg_policy_age_band_name((cg_age_band)3) == NULL);
    CG_ASSERT(cg_policy_age_band_name((cg_age_band)-1) == NULL);
}

CG_TEST(every_topic_audience_and_language_has_a_text)
{
    cg_guidance_catalog *e = open_engine("VN");
    cg_guidance g;

    for (int t = 0; t < CG_HARM_COUNT + 3; t++) {
        const char *topic = t < CG_HARM_COUNT ? cg_text_harm_name((cg_harm)t)
                                              : image_topics[t - CG_HARM_COUNT];
        CG_ASSERT(cg_guidance_has_topic(e, topic));
        for (int a = CG_AUDIENCE_RECIPIENT; a <= CG_AUDIENCE_MODERATOR; a++) {
            const char *seen[2] = {NULL, NULL};
            for (int l = 0; l < 2; l++) {
                cg_guidance_lookup(e, topic, (cg_audience)a, langs[l], CG_AGE_UNKNOWN, &g);
                if (g.text == NULL || g.text[0] == '\0')
                    cg_test_fail(__FILE__, __LINE__, "no %s text for %s/%s", langs[l], topic,
                                 cg_policy_audience_name((cg_audience)a));
                CG_ASSERT_GE(g.n_help, 1);
                seen[l] = g.text;
            }
            /* Both languages are really there (no silent fallback to English). */
            if (strcmp(seen[0], seen[1]) == 0)
                cg_test_fail(__FILE__, __LINE__, "%s/%s: vi and en are the same text", topic,
                             cg_policy_audience_name((cg_audience)a));
        }
    }
    cg_guidance_catalog_destroy(e);
}

CG_TEST(image_topic_texts_fit_their_audience)
{
    cg_guidance_catalog *e = open_engine("VN");
    cg_guidance g;

    /* The child who received it is never blamed. */
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(strstr(g.text, "not your fault") != NULL);
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_CHILD, &g);
    CG_ASSERT(strstr(g.text, "không có lỗi") != NULL);
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(strstr(g.text, "not your fault") != NULL);
    /* The sender: firm (stop), and caring (help). */
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_SENDER, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(strstr(g.text, "stop") != NULL);
    CG_ASSERT(strstr(g.text, "helpline") != NULL);
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_SENDER, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(strstr(g.text, "Stop") != NULL);
    CG_ASSERT(strstr(g.text, "help") != NULL);
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_MODERATOR, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(strstr(g.text, "CyberTipline") != NULL);
    /* A language other than vi falls back to English. */
    const char *en = g.text;
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_MODERATOR, "fr", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(g.text == en);
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_MODERATOR, NULL, CG_AGE_UNKNOWN, &g);
    CG_ASSERT(g.text == en);
    cg_guidance_catalog_destroy(e);
}

CG_TEST(help_routing_by_age_band)
{
    cg_guidance_catalog *e = open_engine("VN");
    cg_guidance g;

    for (int l = 0; l < 2; l++) {
        /* A child: Take It Down, not StopNCII. */
        cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, langs[l], CG_AGE_CHILD, &g);
        CG_ASSERT(help_has(&g, "takeitdown.ncmec.org"));
        CG_ASSERT(!help_has(&g, "stopncii.org"));
        CG_ASSERT(help_has(&g, "111"));
        /* An adult: StopNCII, not Take It Down. */
        cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, langs[l], CG_AGE_ADULT, &g);
        CG_ASSERT(help_has(&g, "stopncii.org"));
        CG_ASSERT(!help_has(&g, "takeitdown.ncmec.org"));
        /* Unknown: both, each saying who it is for. */
        cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, langs[l], CG_AGE_UNKNOWN, &g);
        CG_ASSERT(help_has(&g, "stopncii.org"));
        CG_ASSERT(help_has(&g, "takeitdown.ncmec.org"));
        CG_ASSERT(help_has(&g, "111"));
        CG_ASSERT_EQ(g.n_help, 3);
        /* An age band out of range counts as unknown. */
        cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, langs[l], (cg_age_band)9, &g);
        CG_ASSERT_EQ(g.n_help, 3);
    }
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(help_has(&g, "Under 18"));
    CG_ASSERT(help_has(&g, "18 or over"));
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(help_has(&g, "Dưới 18 tuổi"));
    CG_ASSERT(help_has(&g, "Từ 18 tuổi trở lên"));
    cg_guidance_catalog_destroy(e);
}

CG_TEST(help_routing_by_topic)
{
    cg_guidance_catalog *e = open_engine("VN");
    cg_guidance g;

    /* CSAM shows a minor: never StopNCII, whatever the age given. */
    cg_guidance_lookup(e, "csam", CG_AUDIENCE_GUARDIAN, "vi", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(help_has(&g, "takeitdown.ncmec.org"));
    CG_ASSERT(!help_has(&g, "stopncii.org"));
    CG_ASSERT(help_has(&g, "111"));
    /* Bullying: no image-removal lines, only the national hotline. */
    cg_guidance_lookup(e, "bullying", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_CHILD, &g);
    CG_ASSERT_EQ(g.n_help, 1);
    CG_ASSERT(help_has(&g, "111"));
    /* Nudity (a model score, not a known image): the general line only. */
    cg_guidance_lookup(e, "nudity", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT_EQ(g.n_help, 1);
    /* Sextortion of an adult: StopNCII; of a child: Take It Down. */
    cg_guidance_lookup(e, "sextortion", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_ADULT, &g);
    CG_ASSERT(help_has(&g, "stopncii.org") && !help_has(&g, "takeitdown"));
    cg_guidance_lookup(e, "sextortion", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(!help_has(&g, "stopncii.org") && help_has(&g, "takeitdown"));
    cg_guidance_catalog_destroy(e);
}

CG_TEST(help_routing_by_country)
{
    cg_guidance_catalog *vn = open_engine(NULL);      /* VN is the default */
    cg_guidance_catalog *fr = open_engine("fr");      /* lower case is the same country */
    cg_guidance_catalog *any = open_engine("default"); /* the lines for anywhere */
    cg_guidance g;

    cg_guidance_lookup(vn, "grooming", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_CHILD, &g);
    CG_ASSERT(help_has(&g, "111"));
    cg_guidance_lookup(fr, "grooming", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(!help_has(&g, "111"));
    CG_ASSERT(help_has(&g, "119"));
    CG_ASSERT(help_has(&g, "takeitdown.ncmec.org"));
    cg_guidance_lookup(fr, "ncii", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_ADULT, &g);
    CG_ASSERT(help_has(&g, "stopncii.org"));
    cg_guidance_lookup(any, "grooming", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(help_has(&g, "childhelplineinternational.org"));
    cg_guidance_catalog_destroy(vn);
    cg_guidance_catalog_destroy(fr);
    cg_guidance_catalog_destroy(any);
}

/* Issue 20.5: each audience gets only the lines meant for it. The moderator of a CSAM match is
 * told where to report it, not "Under 18? Take It Down"; the child is told whom to call. */
CG_TEST(help_routing_by_audience)
{
    static const char *const countries[] = {"US", "GB", "VN"};
    cg_guidance g;

    for (size_t c = 0; c < 3; c++) {
        cg_guidance_catalog *e = open_engine(countries[c]);

        for (int l = 0; l < 2; l++) {
            cg_guidance_lookup(e, "csam", CG_AUDIENCE_MODERATOR, langs[l], CG_AGE_CHILD,
                                    &g);
            CG_ASSERT(!help_has(&g, "takeitdown"));
            CG_ASSERT(!help_has(&g, "Under 18"));
            CG_ASSERT(!help_has(&g, "Dưới 18"));
            CG_ASSERT_GE(g.n_help, 1);
            cg_guidance_lookup(e, "csam", CG_AUDIENCE_RECIPIENT, langs[l], CG_AGE_CHILD,
                                    &g);
            CG_ASSERT(help_has(&g, "takeitdown") || help_has(&g, "Report Remove"));
        }
        cg_guidance_catalog_destroy(e);
    }
    cg_guidance_catalog *us = open_engine("US");
    cg_guidance_lookup(us, "csam", CG_AUDIENCE_MODERATOR, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(help_has(&g, "CyberTipline"));
    CG_ASSERT(!help_has(&g, "988"));
    cg_guidance_lookup(us, "self_harm_risk", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(help_has(&g, "988"));
    CG_ASSERT(!help_has(&g, "CyberTipline"));
    cg_guidance_catalog_destroy(us);
    cg_guidance_catalog *gb = open_engine("GB");
    cg_guidance_lookup(gb, "csam", CG_AUDIENCE_MODERATOR, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT(help_has(&g, "report.iwf.org.uk"));
    CG_ASSERT(!help_has(&g, "Childline"));
    cg_guidance_lookup(gb, "bullying", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(help_has(&g, "0800 1111"));
    cg_guidance_catalog_destroy(gb);
}

CG_TEST(harm_topics_and_unknown_topics)
{
    cg_guidance_catalog *e = open_engine("VN");
    cg_guidance a, b;

    /* Every harm is a topic, with a guardian text. */
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        cg_guidance_lookup(e, cg_text_harm_name((cg_harm)h), CG_AUDIENCE_GUARDIAN, "vi",
                           CG_AGE_UNKNOWN, &a);
        cg_guidance_lookup(e, cg_text_harm_name((cg_harm)h), CG_AUDIENCE_GUARDIAN, "en",
                           CG_AGE_UNKNOWN, &b);
        CG_ASSERT(a.text != NULL && b.text != NULL && a.text != b.text);
        CG_ASSERT_EQ(a.n_help, b.n_help);
    }
    cg_guidance_lookup(e, "grooming", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_UNKNOWN, &a);
    CG_ASSERT(help_has(&a, "111"));
    CG_ASSERT(help_has(&a, "takeitdown.ncmec.org"));

    /* Unknown topics, audiences and harms: nothing, never a crash. */
    memset(&a, 0x5a, sizeof(a));
    cg_guidance_lookup(e, "terror", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &a);
    CG_ASSERT(a.text == NULL);
    CG_ASSERT_EQ(a.n_help, 0);
    cg_guidance_lookup(e, NULL, CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &a);
    CG_ASSERT(a.text == NULL && a.n_help == 0);
    cg_guidance_lookup(e, "ncii", (cg_audience)4, "en", CG_AGE_CHILD, &a);
    CG_ASSERT(a.text == NULL && a.n_help == 0);
    cg_guidance_lookup(NULL, "ncii", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &a);
    CG_ASSERT(a.text == NULL && a.n_help == 0);
    CG_ASSERT(!cg_guidance_has_topic(e, "terror"));
    CG_ASSERT(!cg_guidance_has_topic(e, NULL));
    CG_ASSERT(!cg_guidance_has_topic(NULL, "ncii"));
    cg_guidance_catalog_destroy(e);
}

/* ---- catalogues written to a temporary data directory ---------------------------------------- */

/* A data directory whose text/guidance.json is json. */
static const char *write_catalogue(const char *name, const char *json)
{
    static char dir[1024];
    char path[1200];
    FILE *fp;

    snprintf(dir, sizeof(dir), "%s/%s", cg_test_tmpdir(), name);
    CG_ASSERT_EQ(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/text", dir);
    CG_ASSERT_EQ(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/text/guidance.json", dir);
    fp = fopen(path, "w");
    CG_ASSERT(fp != NULL);
    fputs(json, fp);
    CG_ASSERT_EQ(fclose(fp), 0);
    return dir;
}

/* The catalogue of data directory dir, found as the engine finds it. */
static cg_status open_dir(const char *dir, const char *country, cg_guidance_catalog **e,
                          cg_error *err)
{
    char path[1200];

    return cg_guidance_catalog_open(cg_guidance_default_path(dir, path, sizeof(path)), country,
                                    e, err);
}

CG_TEST(small_catalogue_routes_by_data)
{
    const char *dir = write_catalogue(
        "ok", "{\"version\": 1, \"note\": \"x\",\n"
              " \"messages\": {\"ncii\": {\"sender\": {\"en\": \"Stop.\"}},\n"
              "              \"grooming\": {\"recipient\": {\"vi\": \"Chào em.\"}}},\n"
              " \"help\": {\"XX\": [{\"en\": \"kids\", \"ages\": [\"child\"]},\n"
              "                   {\"vi\": \"người lớn\", \"ages\": [\"adult\"], \"harms\": "
              "[\"ncii\"]},\n"
              "                   {\"en\": \"all\", \"ages\": [\"child\", \"adult\"], \"note\": "
              "\"n\"}]}}\n");
    cg_guidance_catalog *e = NULL;
    cg_guidance g;
    cg_error err;

    CG_ASSERT_OK(open_dir(dir, "XX", &e, &err), &err);
    CG_ASSERT(cg_guidance_has_topic(e, "ncii"));
    CG_ASSERT(cg_guidance_has_topic(e, "grooming"));
    CG_ASSERT(!cg_guidance_has_topic(e, "bullying")); /* a harm without texts */
    CG_ASSERT(!cg_guidance_has_topic(e, "csam"));
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_SENDER, "vi", CG_AGE_ADULT, &g);
    CG_ASSERT_STR_EQ(g.text, "Stop."); /* no vi: en */
    CG_ASSERT_EQ(g.n_help, 2);
    CG_ASSERT_STR_EQ(g.help[0], "người lớn");
    CG_ASSERT_STR_EQ(g.help[1], "all");
    /* A text only in vi is still shown in en rather than nothing. */
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_SENDER, "en", CG_AGE_UNKNOWN, &g);
    CG_ASSERT_EQ(g.n_help, 3);
    CG_ASSERT_STR_EQ(g.help[1], "người lớn");
    /* A harm without texts still gets its help lines; the recipient text has only vi. */
    cg_guidance_lookup(e, "bullying", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_CHILD, &g);
    CG_ASSERT(g.text == NULL);
    CG_ASSERT_EQ(g.n_help, 2);
    cg_guidance_lookup(e, "grooming", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_CHILD, &g);
    CG_ASSERT_STR_EQ(g.text, "Chào em.");
    cg_guidance_catalog_destroy(e);
}

CG_TEST(malformed_catalogues_are_clear_errors)
{
    static const struct {
        const char *json;
        const char *want;
    } cases[] = {
        {"{\"messages\": {\"ncii\": {\"parent\": {\"en\": \"x\"}}}}",
         "messages.ncii.parent: unknown audience (recipient, sender, guardian, moderator)"},
        {"{\"messages\": {\"ncii\": {\"sender\": {\"en\": 5}}}}",
         "messages.ncii.sender.en: expected a text, got an integer"},
        {"{\"messages\": {\"ncii\": {\"sender\": {\"French\": \"x\"}}}}",
         "messages.ncii.sender.French: not a language code (two lowercase letters: vi, en, ...)"},
        {"{\"messages\": {\"ncii\": {\"sender\": {\"aa\": \"1\", \"bb\": \"2\", \"cc\": \"3\", "
         "\"dd\": \"4\", \"ee\": \"5\", \"ff\": \"6\", \"gg\": \"7\", \"hh\": \"8\", \"ii\": \"9\"}}}}",
         "messages.ncii.sender.ii: more than 8 languages"},
        {"{\"messages\": {\"ncii\": {\"sender\": \"x\"}}}",
         "messages.ncii.sender: expected {\"vi\": text, \"en\": text, ...}, got a string"},
        {"{\"messages\": {\"ncii\": [\"x\"]}}",
         "messages.ncii: expected an object of audiences"},
        {"{\"messages\": {\"NCII\": {}}}", "messages.NCII: a topic name is [a-z0-9_]{1,31}"},
        {"{\"messages\": []}", "messages: expected an object of topics, got an array"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"ages\": [\"teen\"]}]}}",
         "help.VN[0].ages[0]: \"teen\" is not an age band (child, adult)"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"ages\": \"child\"}]}}",
         "help.VN[0].ages: expected a non-empty array of age bands"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"ages\": []}]}}",
         "help.VN[0].ages: expected a non-empty array of age bands (child, adult), got an empty"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"harms\": [\"ncii\"]}]}}",
         "help.VN[0].harms[0]: \"ncii\" is neither a harm nor a topic under \"messages\""},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"harms\": [3]}]}}",
         "help.VN[0].harms[0]: expected a topic name, got an integer"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"harms\": \"grooming\"}]}}",
         "help.VN[0].harms: expected a non-empty array of topic names, got a string"},
        {"{\"help\": {\"VN\": [{\"en\": [\"x\"]}]}}",
         "help.VN[0].en: expected a text, got an array"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"url\": \"y\"}]}}",
         "help.VN[0].url: unknown key (a language code such as vi or en, harms, ages, "
         "audiences, source, note)"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"audiences\": [\"parent\"]}]}}",
         "help.VN[0].audiences[0]: not an audience (recipient, sender, guardian, moderator)"},
        {"{\"help\": {\"VN\": [{\"en\": \"x\", \"source\": 1}]}}",
         "help.VN[0].source: expected a text, got an integer"},
        {"{\"help\": {\"US\": [{\"en\": \"x\"}], \"GB\": []}}",
         "unknown country \"VN\": the help lines know US, GB"},
        {"{\"help\": {\"VN\": [{\"harms\": [\"grooming\"]}]}}",
         "help.VN[0]: a help line needs a text"},
        {"{\"help\": {\"VN\": [\"111\"]}}", "help.VN[0]: expected {\"vi\": text"},
        /* A country the engine does not load is checked all the same. */
        {"{\"help\": {\"US\": [{\"en\": \"x\", \"ages\": [\"kid\"]}]}}",
         "help.US[0].ages[0]: \"kid\" is not an age band"},
        {"{\"help\": {\"Viet Nam\": []}}", "help.Viet Nam: not a country"},
        {"{\"help\": {\"VN\": {}}}", "help.VN: expected an array of help lines, got an object"},
        {"{\"help\": {\"VN\": [{\"en\":\"1\"},{\"en\":\"2\"},{\"en\":\"3\"},{\"en\":\"4\"},"
         "{\"en\":\"5\"},{\"en\":\"6\"},{\"en\":\"7\"},{\"en\":\"8\"},{\"en\":\"9\"},"
         "{\"en\":\"10\"},"
         "{\"en\":\"11\"},{\"en\":\"12\"},{\"en\":\"13\"},{\"en\":\"14\"},{\"en\":\"15\"},"
         "{\"en\":\"16\"},{\"en\":\"17\"}]}}",
         "help.VN: 17 help lines, more than 16"},
        {"{\"help\": []}", "help: expected an object of countries, got an array"},
        {"{\"version\": 2}", "version: this build reads version 1"},
        {"{\"mesages\": {}}", "mesages: unknown key (version, note, messages, help)"},
        {"[]", "(top level): expected an object"},
        {"{\"help\": {}, \"help\": {}}", "duplicate"},
        {"{\"messages\": {", "guidance.json:1:"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[32];
        cg_guidance_catalog *e = (cg_guidance_catalog *)&e;
        cg_error err = {0};

        snprintf(name, sizeof(name), "bad%zu", i);
        const char *dir = write_catalogue(name, cases[i].json);
        cg_status st = open_dir(dir, "VN", &e, &err);
        if (st != CG_E_INVAL || e != NULL || strstr(err.message, cases[i].want) == NULL ||
            strstr(err.message, "/text/guidance.json") == NULL)
            cg_test_fail(__FILE__, __LINE__, "case %zu: %s\n  got %s: %s\n  want: %s", i,
                         cases[i].json, cg_status_name(st), err.message, cases[i].want);
    }
}

CG_TEST(shipped_catalogue_holds_every_country_line_limit)
{
    /* The shipped file loads for every country it names (VN, US, GB and at least a dozen
     * countries with an INHOPE member hotline). Every line says where its facts come from and
     * whom it is for; a country it does not name is an error listing those it does. */
    json_error_t je;
    json_t *root = json_load_file(DATA "/text/guidance.json", 0, &je);
    json_t *help = json_object_get(root, "help"), *lines;
    const char *cc;
    size_t countries = 0;
    cg_error err;

    CG_ASSERT(root != NULL);
    json_object_foreach(help, cc, lines) {
        /* The catalogue alone (no lexicons): 18 countries stay quick under sanitizers. */
        cg_guidance_catalog *cg = NULL;
        cg_guidance g;

        CG_ASSERT_OK(cg_guidance_catalog_open(DATA "/text/guidance.json", cc, &cg, &err), &err);

        countries += strcmp(cc, "default") != 0;
        for (size_t i = 0; i < json_array_size(lines); i++) {
            json_t *l = json_array_get(lines, i);
            const char *src = json_string_value(json_object_get(l, "source"));
            if (src == NULL || strncmp(src, "https://", 8) != 0 ||
                json_array_size(json_object_get(l, "audiences")) == 0)
                cg_test_fail(__FILE__, __LINE__, "help.%s[%zu]: no https source or audiences",
                             cc, i);
        }
        cg_guidance_lookup(cg, "ncii", CG_AUDIENCE_RECIPIENT, "en", CG_AGE_UNKNOWN, &g);
        CG_ASSERT_LE(g.n_help, CG_GUIDANCE_MAX_HELP);
        CG_ASSERT_GE(g.n_help, 2);
        cg_guidance_catalog_destroy(cg);
    }
    CG_ASSERT_GE(countries, 15);
    CG_ASSERT(json_object_get(help, "US") && json_object_get(help, "GB") &&
              json_object_get(help, "VN"));
    json_decref(root);
    {
        cg_guidance_catalog *cg = (cg_guidance_catalog *)&cg;

        CG_ASSERT_EQ(cg_guidance_catalog_open(DATA "/text/guidance.json", "ZZZ", &cg, &err),
                     CG_E_INVAL);
        CG_ASSERT(cg == NULL);
    }
    CG_ASSERT(strstr(err.message, "unknown country \"ZZZ\"") != NULL);
    CG_ASSERT(strstr(err.message, "GB") != NULL && strstr(err.message, "US") != NULL);
}

/* Loading the catalogue with each allocation failing in turn: CG_E_NOMEM, nothing leaked. */
static cg_status op_load(void *arg)
{
    cg_guidance_catalog *g = NULL;
    cg_error err;
    cg_status st = cg_guidance_catalog_open((const char *)arg, "VN", &g, &err);

    if (st == CG_OK) {
        cg_guidance out;
        cg_guidance_lookup(g, "ncii", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_UNKNOWN, &out);
        if (out.text == NULL || out.n_help != 3)
            st = CG_E_INVAL;
    }
    cg_guidance_catalog_destroy(g);
    return st;
}

CG_TEST(allocation_failures_are_clean)
{
    long n = cg_test_fail_each_allocation("guidance load", op_load,
                                          (void *)(DATA "/text/guidance.json"), 0);
    CG_ASSERT_GT(n, 50);
}

CG_TEST(languages_are_data)
{
    /* A third language needs no code: it is a column like the others, in file order, with the
     * same fallbacks (a language the file lacks reads "en"; a text missing in "fr" too). */
    const char *dir = write_catalogue(
        "three", "{\"version\": 1,\n"
                 " \"messages\": {\"ncii\": {\"recipient\": {\"fr\": \"Ce n'est pas ta faute.\","
                 " \"vi\": \"Không phải lỗi của em.\", \"en\": \"It is not your fault.\"},\n"
                 "                          \"sender\": {\"en\": \"Stop.\"}}},\n"
                 " \"help\": {\"FR\": [{\"fr\": \"119\", \"en\": \"119 (France)\"}]}}\n");
    cg_guidance_catalog *e = NULL;
    cg_guidance g;
    cg_error err;

    CG_ASSERT_OK(open_dir(dir, "fr", &e, &err), &err);
    CG_ASSERT_EQ(cg_guidance_lang_count(e), 3);
    CG_ASSERT_STR_EQ(cg_guidance_lang(e, 0), "fr");
    CG_ASSERT_STR_EQ(cg_guidance_lang(e, 1), "vi");
    CG_ASSERT_STR_EQ(cg_guidance_lang(e, 2), "en");
    CG_ASSERT(cg_guidance_lang(e, 3) == NULL);
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, "fr", CG_AGE_UNKNOWN, &g);
    CG_ASSERT_STR_EQ(g.text, "Ce n'est pas ta faute.");
    CG_ASSERT_EQ(g.n_help, 1);
    CG_ASSERT_STR_EQ(g.help[0], "119");
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, "vi", CG_AGE_UNKNOWN, &g);
    CG_ASSERT_STR_EQ(g.text, "Không phải lỗi của em.");
    CG_ASSERT_STR_EQ(g.help[0], "119 (France)"); /* no vi line: en */
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_RECIPIENT, "de", CG_AGE_UNKNOWN, &g);
    CG_ASSERT_STR_EQ(g.text, "It is not your fault.");
    cg_guidance_lookup(e, "ncii", CG_AUDIENCE_SENDER, "fr", CG_AGE_UNKNOWN, &g);
    CG_ASSERT_STR_EQ(g.text, "Stop.");
    cg_guidance_catalog_destroy(e);
    CG_ASSERT_EQ(cg_guidance_lang_count(NULL), 0);
    CG_ASSERT(cg_guidance_lang(NULL, 0) == NULL);
}
