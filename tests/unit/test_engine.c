/* The engine façade: images and messages in, verdicts out — matches (exact and perceptual),
 * decode failures that still match exact digests, policy decisions with guidance in both
 * languages, review items and audit records, the JSON form (and that it carries no message
 * text), bad configurations, and many threads scanning at once giving the same verdicts as one.
 * Images are synthetic patterns made here; the conversation is synthetic, written for tests. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg_test.h"
#include "cg_testenc.h"
#include "childguard.h"

/* A synthetic RGB pattern: smooth gradients and a few blocks, different per seed. */
static void pattern(uint8_t *pix, int w, int h, int seed)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = pix + 3 * ((size_t)y * w + x);
            int block = ((x / (16 + seed * 3)) + (y / (12 + seed * 5))) & 1;
            p[0] = (uint8_t)((x * (3 + seed)) ^ (y * (1 + seed)));
            p[1] = (uint8_t)(block ? 200 - y / 2 : 40 + x / 3);
            p[2] = (uint8_t)((x + y + seed * 37) & 0xff);
        }
}

static void make_png(int seed, cg_membuf *out)
{
    uint8_t *pix = malloc(3 * 160 * 120);
    CG_ASSERT(pix != NULL);
    pattern(pix, 160, 120, seed);
    cg_test_encode_png(pix, 160, 120, PNG_COLOR_TYPE_RGB, 0, NULL, 0, NULL, 0, out);
    free(pix);
}

static void make_jpeg(int seed, int quality, cg_membuf *out)
{
    uint8_t *pix = malloc(3 * 160 * 120);
    CG_ASSERT(pix != NULL);
    pattern(pix, 160, 120, seed);
    cg_test_encode_jpeg(pix, 160, 120, 3, quality, 0, NULL, 0, out);
    free(pix);
}

static char db_path[1024], audit_path[1024];

static int64_t make_bank(cg_bankdb *db, const char *name, const char *label, cg_bank_kind kind)
{
    cg_bank b;
    cg_error err;
    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    snprintf(b.label, sizeof(b.label), "%s", label);
    b.kind = kind;
    b.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &b, &err), &err);
    return b.id;
}

static void add_signal(cg_bankdb *db, int64_t bank, const char *type, const uint8_t *value)
{
    cg_bank_signal s;
    cg_error err;
    memset(&s, 0, sizeof(s));
    s.bank_id = bank;
    s.type = cg_signal_type_find(type);
    memcpy(s.value, value, s.type->bytes);
    s.quality = -1;
    snprintf(s.external_id, sizeof(s.external_id), "test-%s", type);
    CG_ASSERT_OK(cg_bank_signal_add(db, &s, NULL, &err), &err);
}

static void pdq_of(const cg_membuf *img, uint8_t out[32])
{
    cg_decode_options o;
    cg_image *im = NULL;
    cg_pdq_hasher *h = NULL;
    cg_pdq_result r;
    cg_error err;
    char hex[65];
    cg_decode_options_default(&o);
    CG_ASSERT_OK(cg_image_decode_mem(img->data, img->len, &o, &im, &err), &err);
    CG_ASSERT_EQ(cg_pdq_hasher_create(&h), CG_OK);
    CG_ASSERT_EQ(cg_pdq_hash_image(h, im, 0, &r), CG_OK);
    cg_pdq_to_hex(&r.hash, hex);
    CG_ASSERT_EQ(cg_signal_type_find("pdq")->parse(hex, 64, out), CG_OK);
    cg_pdq_hasher_destroy(h);
    cg_image_destroy(im);
}

/* The database: csam bank (sha256 of image 1, md5 of the truncated image 3), ncii bank (PDQ of
 * image 2 as PNG; the scan sends a JPEG of it), an allow bank (sha256 of image 4, which is also
 * in the csam bank). */
static cg_membuf img1, img2_jpeg, img3_cut, img4, img5;

static void setup(void)
{
    cg_bankdb *db = NULL;
    cg_error err;
    cg_membuf img2 = {0}, img3 = {0};
    cg_digests d;
    uint8_t pdq[32];

    snprintf(db_path, sizeof(db_path), "%s/engine.db", cg_test_tmpdir());
    snprintf(audit_path, sizeof(audit_path), "%s/audit.log", cg_test_tmpdir());
    make_png(1, &img1);
    make_png(2, &img2);
    make_jpeg(2, 80, &img2_jpeg);
    make_png(3, &img3);
    cg_membuf_append(&img3_cut, img3.data, img3.len / 2);
    make_png(4, &img4);
    make_png(5, &img5);

    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_CREATE, &db, &err), &err);
    int64_t csam = make_bank(db, "csam-list", "csam", CG_BANK_BLOCK);
    int64_t ncii = make_bank(db, "ncii-list", "ncii", CG_BANK_BLOCK);
    int64_t allow = make_bank(db, "known-ok", "allow", CG_BANK_ALLOW);
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_SHA256 | CG_DIGEST_MD5, img1.data, img1.len, &d), CG_OK);
    add_signal(db, csam, "sha256", d.sha256);
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_SHA256 | CG_DIGEST_MD5, img3_cut.data, img3_cut.len, &d),
                 CG_OK);
    add_signal(db, csam, "md5", d.md5);
    pdq_of(&img2, pdq);
    add_signal(db, ncii, "pdq", pdq);
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_SHA256 | CG_DIGEST_MD5, img4.data, img4.len, &d), CG_OK);
    add_signal(db, csam, "sha256", d.sha256);
    add_signal(db, allow, "sha256", d.sha256);
    cg_bankdb_close(db);
    cg_membuf_free(&img2);
    cg_membuf_free(&img3);
}

static cg_engine *open_engine(int review, int audit)
{
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_error err;

    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = CG_SOURCE_DATA_DIR "/policy/default.json";
    cfg.review = review;
    cfg.audit_path = audit ? audit_path : NULL;
    cfg.actor = "test";
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    return e;
}

static void scan_bytes(cg_engine *e, const cg_membuf *b, const char *name, cg_verdict *v)
{
    cg_content c;
    cg_error err;

    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.name = name;
    c.data = b->data;
    c.len = b->len;
    CG_ASSERT_OK(cg_engine_scan(e, &c, v, &err), &err);
}

CG_TEST(engine_exact_match_blocks_reviews_and_audits)
{
    cg_verdict v = {0};
    cg_audit_report rep;
    cg_error err;
    setup();
    cg_engine *e = open_engine(1, 1);

    scan_bytes(e, &img1, "one.png", &v);
    CG_ASSERT(v.has_pdq && v.has_digests);
    CG_ASSERT_EQ(strncmp(v.content_id, "sha256:", 7), 0);
    CG_ASSERT_STR_EQ(cg_verdict_kind_name(&v), "image");
    CG_ASSERT_EQ(v.matches.n, 1);
    CG_ASSERT_STR_EQ(v.matches.v[0].label, "csam");
    CG_ASSERT(cg_verdict_blocks(&v));
    CG_ASSERT(cg_policy_decision_has(&v.decision, CG_ACTION_QUEUE_REVIEW));
    CG_ASSERT(cg_policy_decision_has(&v.decision, CG_ACTION_DRAFT_REPORT));
    CG_ASSERT_GT(v.review_id, 0);
    CG_ASSERT_GT(v.audit_seq, 0);

    cg_review_item item;
    char *stored = NULL;
    cg_bankdb *db = NULL;
    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_review_get(db, v.review_id, &item, &stored, &err), &err);
    CG_ASSERT_STR_EQ(item.content_id, v.content_id);
    CG_ASSERT_STR_EQ(item.label, "csam");
    CG_ASSERT_EQ(item.priority, 3);
    CG_ASSERT_EQ(item.has_preview, 0); /* quarantine is off */
    CG_ASSERT_GE(item.n_signals, 3);
    CG_ASSERT(stored != NULL && strstr(stored, v.content_id) != NULL);
    cg_free(stored);
    cg_bankdb_close(db);

    cg_verdict_free(&v);
    cg_engine_close(e);
    CG_ASSERT_OK(cg_audit_verify(audit_path, &rep, &err), &err);
    CG_ASSERT(rep.ok);
    CG_ASSERT_GE(rep.records, 2); /* the review item and the decision */
}

CG_TEST(engine_perceptual_match_and_allow_list)
{
    cg_verdict v = {0};
    setup();
    cg_engine *e = open_engine(0, 0);

    scan_bytes(e, &img2_jpeg, "two.jpg", &v);
    CG_ASSERT_EQ(v.matches.n, 1);
    CG_ASSERT_STR_EQ(v.matches.v[0].label, "ncii");
    CG_ASSERT_LE(v.matches.v[0].distance, 31);
    CG_ASSERT(cg_verdict_blocks(&v));
    CG_ASSERT(!cg_policy_decision_has(&v.decision, CG_ACTION_DRAFT_REPORT));
    CG_ASSERT_EQ(v.review_id, 0); /* review is off */

    /* In the csam bank and in the allow bank: the allow-list wins. */
    scan_bytes(e, &img4, "four.png", &v);
    CG_ASSERT_EQ(v.matches.n, 2);
    CG_ASSERT(!cg_verdict_blocks(&v));

    scan_bytes(e, &img5, "five.png", &v);
    CG_ASSERT_EQ(v.matches.n, 0);
    CG_ASSERT(!cg_verdict_blocks(&v));
    CG_ASSERT_EQ(v.decision.n_actions, 1);
    CG_ASSERT_EQ(v.decision.actions[0].action, CG_ACTION_ALLOW);
    cg_verdict_free(&v);
    cg_engine_close(e);
}

CG_TEST(engine_corrupt_image_still_matches_exact_digest)
{
    cg_verdict v = {0};
    setup();
    cg_engine *e = open_engine(0, 0);

    scan_bytes(e, &img3_cut, "three-truncated.png", &v);
    CG_ASSERT_NE(v.decode_status, CG_OK);
    CG_ASSERT(strstr(v.decode_error, "three-truncated.png") != NULL);
    CG_ASSERT(!v.has_pdq);
    CG_ASSERT_EQ(v.matches.n, 1);
    CG_ASSERT_STR_EQ(v.matches.v[0].type->name, "md5");
    CG_ASSERT(cg_verdict_blocks(&v));
    cg_verdict_free(&v);
    cg_engine_close(e);
}

/* Synthetic conversation written for tests: an adult stranger grooming a 12-year-old. */
static const struct {
    const char *id, *sender, *recipient, *text;
} groom[] = {
    {"1", "stranger", "mia", "hey, you're so mature for your age"},
    {"2", "mia", "stranger", "thanks i'm 12"},
    {"3", "stranger", "mia", "I understand you better than your parents do"},
    {"4", "stranger", "mia", "are you alone right now? are your parents home?"},
    {"5", "stranger", "mia", "this is our little secret, don't tell anyone. delete this chat ok"},
    {"6", "stranger", "mia", "add me on snap, it's more private"},
    {"7", "stranger", "mia", "let's meet after school, I can pick you up"},
};
#define N_GROOM (sizeof(groom) / sizeof(groom[0]))

static void scan_message(cg_engine *e, const char *conv, size_t i, cg_verdict *v)
{
    cg_content c;
    cg_error err;

    cg_content_init(&c);
    c.kind = CG_CONTENT_MESSAGE;
    c.message.conversation = conv;
    c.message.id = groom[i].id;
    c.message.sender = groom[i].sender;
    c.message.recipient = groom[i].recipient;
    c.message.ts_ms = 1772377200000LL + (int64_t)i * 86400000LL / 2;
    c.message.text = groom[i].text;
    c.message.len = strlen(groom[i].text);
    CG_ASSERT_OK(cg_engine_scan(e, &c, v, &err), &err);
}

CG_TEST(engine_conversation_gets_review_and_guidance_in_both_languages)
{
    cg_verdict v = {0};
    setup();
    cg_engine *e = open_engine(1, 1);

    int64_t first_item = 0;
    for (size_t i = 0; i < N_GROOM; i++) {
        scan_message(e, "g1", i, &v);
        if (first_item == 0)
            first_item = v.review_id;
        else /* later messages refresh the conversation's one item */
            CG_ASSERT_EQ(v.review_id, first_item);
    }
    CG_ASSERT(v.has_text);
    CG_ASSERT_STR_EQ(v.content_id, "msg:g1/7");
    CG_ASSERT_GE(v.text.alert, CG_ALERT_ALERT);
    CG_ASSERT(cg_policy_decision_has(&v.decision, CG_ACTION_QUEUE_REVIEW));
    CG_ASSERT_GT(v.review_id, 0);
    CG_ASSERT_GE(v.n_guidance, 1);
    CG_ASSERT_STR_EQ(v.guidance[0].topic, "grooming");
    CG_ASSERT_EQ(v.guidance[0].audience, CG_AUDIENCE_RECIPIENT);
    CG_ASSERT_EQ(v.guidance[0].age, CG_AGE_CHILD); /* "i'm 12" */
    /* One entry per catalogue language, in the catalogue's order (vi, then en). */
    CG_ASSERT_EQ(v.guidance[0].n_texts, 2);
    const cg_verdict_guidance_text *vi = &v.guidance[0].texts[0], *en = &v.guidance[0].texts[1];
    CG_ASSERT_STR_EQ(vi->lang, "vi");
    CG_ASSERT_STR_EQ(en->lang, "en");
    CG_ASSERT(vi->text != NULL && en->text != NULL);
    CG_ASSERT(strcmp(vi->text, en->text) != 0);
    int has_111 = 0;
    for (size_t i = 0; i < vi->n_help; i++)
        if (strstr(vi->help[i], "111") != NULL)
            has_111 = 1;
    CG_ASSERT(has_111);

    /* The JSON carries evidence spans and cue ids, never the message text. */
    char *json = cg_verdict_to_json(&v, 0);
    CG_ASSERT(json != NULL);
    for (size_t i = 0; i < N_GROOM; i++)
        CG_ASSERT(strstr(json, groom[i].text) == NULL);
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    CG_ASSERT(o != NULL);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(o, "kind")), "message");
    CG_ASSERT(json_is_array(json_object_get(json_object_get(o, "text"), "evidence")));
    CG_ASSERT(json_is_object(json_object_get(o, "decision")));
    CG_ASSERT(json_is_array(json_object_get(o, "guidance")));
    CG_ASSERT(json_is_object(json_object_get(o, "timings")));
    json_decref(o);
    cg_free(json);

    cg_verdict_free(&v);
    cg_engine_close(e);
}

/* Two tenants using the same conversation id keep separate state: the second tenant's first
 * message starts from nothing, and their review items are separate. The conversation table is
 * bounded: past max_conversations the least recently used is forgotten (and counted). */
static void scan_message_for(cg_engine *e, const char *tenant, const char *conv, size_t i,
                             cg_verdict *v)
{
    cg_content c;
    cg_error err;

    cg_content_init(&c);
    c.kind = CG_CONTENT_MESSAGE;
    c.tenant = tenant;
    c.message.conversation = conv;
    c.message.id = groom[i].id;
    c.message.sender = groom[i].sender;
    c.message.recipient = groom[i].recipient;
    c.message.ts_ms = 1772377200000LL + (int64_t)i * 86400000LL / 2;
    c.message.text = groom[i].text;
    c.message.len = strlen(groom[i].text);
    CG_ASSERT_OK(cg_engine_scan(e, &c, v, &err), &err);
}

CG_TEST(engine_tenants_keep_separate_conversations)
{
    cg_verdict v = {0}, w = {0};
    cg_engine_stats st;
    setup();
    cg_engine *e = open_engine(1, 0);

    for (size_t i = 0; i < N_GROOM; i++)
        scan_message_for(e, "acme", "shared-id", i, &v);
    CG_ASSERT_GE(v.text.alert, CG_ALERT_ALERT);
    CG_ASSERT_STR_EQ(v.conversation, "shared-id"); /* the caller's id, not the key */
    CG_ASSERT_STR_EQ(v.tenant, "acme");
    /* Another tenant, same conversation id, one harmless-looking message: none of acme's
     * evidence, no item of acme's touched. */
    scan_message_for(e, "globex", "shared-id", 0, &w);
    CG_ASSERT_LT(w.text.alert, v.text.alert);
    CG_ASSERT(w.review_id == 0 || w.review_id != v.review_id);
    cg_engine_stats_get(e, &st);
    CG_ASSERT_EQ(st.conversations, 2);
    {
        cg_content c;
        cg_error err;

        cg_content_init(&c);
        c.kind = CG_CONTENT_MESSAGE;
        c.tenant = "not a tenant";
        c.message.text = "hi";
        c.message.len = 2;
        CG_ASSERT_EQ(cg_engine_scan(e, &c, &w, &err), CG_E_INVAL);
    }
    cg_verdict_free(&v);
    cg_verdict_free(&w);
    cg_engine_close(e);
}

CG_TEST(engine_conversation_table_is_bounded)
{
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_engine_stats st;
    cg_verdict v = {0}, first = {0};
    cg_error err;
    char conv[32];

    setup();
    cg_engine_config_default(&cfg);
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = CG_SOURCE_DATA_DIR "/policy/default.json";
    cfg.max_conversations = 4;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    /* Conversation c0 builds up evidence over three messages. */
    for (size_t i = 2; i < 5; i++)
        scan_message_for(e, NULL, "c0", i, &first);
    /* 100 other conversations: the table never holds more than 4. */
    for (int k = 1; k <= 100; k++) {
        snprintf(conv, sizeof(conv), "c%d", k);
        scan_message_for(e, NULL, conv, 0, &v);
        cg_engine_stats_get(e, &st);
        CG_ASSERT_LE(st.conversations, 4);
    }
    CG_ASSERT_EQ(st.conversations_evicted, 97); /* 101 seen, 4 kept */
    /* c0 was evicted: its next message starts over (lower risk than with its history). */
    scan_message_for(e, NULL, "c0", 5, &v);
    {
        cg_verdict fresh = {0};
        cg_engine_close(e);
        CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
        scan_message_for(e, NULL, "c0", 5, &fresh);
        CG_ASSERT_EQ(v.text.alert, fresh.text.alert);
        CG_ASSERT(v.text.risk[CG_HARM_GROOMING] == fresh.text.risk[CG_HARM_GROOMING]);
        cg_verdict_free(&fresh);
    }
    cg_verdict_free(&v);
    cg_verdict_free(&first);
    cg_engine_close(e);
}

CG_TEST(engine_image_json_shape)
{
    cg_verdict v = {0};
    setup();
    cg_engine *e = open_engine(0, 0);
    scan_bytes(e, &img1, "one.png", &v);
    char *json = cg_verdict_to_json(&v, CG_VERDICT_JSON_NO_TIMINGS | CG_VERDICT_JSON_PRETTY);
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    CG_ASSERT(o != NULL);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(o, "kind")), "image");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(o, "format")), "png");
    json_t *sig = json_object_get(o, "signals");
    CG_ASSERT_EQ(strlen(json_string_value(json_object_get(sig, "pdq"))), 64);
    CG_ASSERT_EQ(strlen(json_string_value(json_object_get(sig, "md5"))), 32);
    CG_ASSERT_EQ(json_array_size(json_object_get(o, "matches")), 1);
    CG_ASSERT(json_is_true(json_object_get(json_object_get(o, "decision"), "blocked")));
    CG_ASSERT(json_object_get(o, "timings") == NULL);
    json_decref(o);
    cg_free(json);
    cg_verdict_free(&v);
    cg_engine_close(e);
}

CG_TEST(engine_bad_configuration_is_a_clear_error)
{
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_error err;
    char bad[1024];
    FILE *f;

    cg_engine_config_default(&cfg);
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    snprintf(bad, sizeof(bad), "%s/bad-policy.json", cg_test_tmpdir());
    f = fopen(bad, "w");
    CG_ASSERT(f != NULL);
    fputs("{\"version\": 1, \"rules\": [{\"id\": \"x\", \"actions\": [\"blok\"]}]}\n", f);
    fclose(f);
    cfg.policy_path = bad;
    CG_ASSERT_EQ(cg_engine_open(&cfg, &e, &err), CG_E_INVAL);
    CG_ASSERT(e == NULL);
    CG_ASSERT(strstr(err.message, "bad-policy.json") != NULL);

    cfg.policy_path = NULL;
    cfg.review = 1; /* no database */
    CG_ASSERT_EQ(cg_engine_open(&cfg, &e, &err), CG_E_INVAL);
    cfg.review = 0;
    snprintf(bad, sizeof(bad), "%s/missing/nothing.db", cg_test_tmpdir());
    cfg.db_path = bad;
    CG_ASSERT_NE(cg_engine_open(&cfg, &e, &err), CG_OK);
    CG_ASSERT(strstr(err.message, "nothing.db") != NULL);

    /* Content errors: over the byte limit, unknown kind; the engine keeps working after. */
    cfg.db_path = NULL;
    cfg.decode.limits.max_file_bytes = 100;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    cg_content c;
    cg_verdict v = {0};
    uint8_t big[200] = {0};
    cg_content_init(&c);
    c.data = big;
    c.len = sizeof(big);
    c.name = "big.bin";
    CG_ASSERT_EQ(cg_engine_scan(e, &c, &v, &err), CG_E_LIMIT);
    CG_ASSERT(strstr(err.message, "big.bin") != NULL);
    c.kind = (cg_content_kind)7;
    CG_ASSERT_EQ(cg_engine_scan(e, &c, &v, &err), CG_E_INVAL);
    c.kind = CG_CONTENT_BYTES;
    c.len = 50;
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v, &err), &err);
    CG_ASSERT_STR_EQ(cg_verdict_kind_name(&v), "file");
    cg_verdict_free(&v);
    cg_engine_close(e);
}

/* ---- many threads at once ---------------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 40

typedef struct worker {
    cg_engine *e;
    int index;
    int failures;
    int blocked;
} worker;

static const cg_membuf *const *images_for_threads(void)
{
    static const cg_membuf *imgs[5];
    imgs[0] = &img1;
    imgs[1] = &img2_jpeg;
    imgs[2] = &img3_cut;
    imgs[3] = &img4;
    imgs[4] = &img5;
    return imgs;
}

static const int expect_block[5] = {1, 1, 1, 0, 0};

static void *work(void *arg)
{
    worker *w = arg;
    const cg_membuf *const *imgs = images_for_threads();
    cg_verdict v = {0};
    cg_error err;
    char conv[32];

    snprintf(conv, sizeof(conv), "t%d", w->index);
    for (int r = 0; r < ROUNDS; r++) {
        int k = (r + w->index) % 5;
        cg_content c;
        cg_content_init(&c);
        c.data = imgs[k]->data;
        c.len = imgs[k]->len;
        c.name = "img";
        if (cg_engine_scan(w->e, &c, &v, &err) != CG_OK || cg_verdict_blocks(&v) != expect_block[k])
            w->failures++;
        w->blocked += cg_verdict_blocks(&v);
        /* Each thread also runs its own conversation, message by message. */
        size_t i = (size_t)r % N_GROOM;
        cg_content_init(&c);
        c.kind = CG_CONTENT_MESSAGE;
        c.message.conversation = conv;
        c.message.sender = groom[i].sender;
        c.message.recipient = groom[i].recipient;
        c.message.ts_ms = 1772377200000LL + (int64_t)r * 3600000LL;
        c.message.text = groom[i].text;
        c.message.len = strlen(groom[i].text);
        if (cg_engine_scan(w->e, &c, &v, &err) != CG_OK || !v.has_text)
            w->failures++;
    }
    cg_verdict_free(&v);
    return NULL;
}

typedef struct kinds {
    int files, conversations;
} kinds;

static int count_kind(const cg_review_item *item, void *ud)
{
    kinds *k = ud;
    if (strcmp(item->kind, "message") == 0) {
        CG_ASSERT_EQ(strncmp(item->content_id, "conv:", 5), 0);
        k->conversations++;
    } else {
        k->files++;
    }
    return 0;
}

CG_TEST(engine_concurrent_scans_agree_with_one_thread)
{
    pthread_t t[THREADS];
    worker w[THREADS];
    cg_audit_report rep;
    cg_error err;
    setup();
    cg_engine *e = open_engine(1, 1);

    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){e, i, 0, 0};
        CG_ASSERT_EQ(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    int blocked = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CG_ASSERT_EQ(w[i].failures, 0);
        blocked += w[i].blocked;
    }
    CG_ASSERT_EQ(blocked, THREADS * ROUNDS * 3 / 5);
    cg_engine_close(e);

    /* Each blocked image is one review item however often it was scanned, each conversation
     * at most one; and the audit chain holds together. */
    cg_bankdb *db = NULL;
    kinds k = {0, 0};
    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_review_list(db, NULL, count_kind, &k, &err), &err);
    CG_ASSERT_EQ(k.files, 3);
    CG_ASSERT_GE(k.conversations, 1);
    CG_ASSERT_LE(k.conversations, THREADS);
    cg_bankdb_close(db);
    CG_ASSERT_OK(cg_audit_verify(audit_path, &rep, &err), &err);
    CG_ASSERT(rep.ok);
    CG_ASSERT_GE(rep.records, (uint64_t)blocked);
}

/* The allow-list holds across signal types (cg_match_list_apply_allow): an operator who
 * allow-lists a content by one hash sees it allowed whatever type its block match came from.
 * Three pairs - a SHA-256 allow against a PDQ block, an MD5 allow against a vPDQ block (a video),
 * a PDQ allow against an MD5 block - and a control (a PDQ block alone still blocks). */
CG_TEST(engine_allow_list_holds_across_signal_types)
{
    cg_bankdb *db = NULL;
    cg_error err;
    cg_membuf a = {0}, b = {0}, c = {0};
    cg_digests d;
    uint8_t pdq[32];
    char path[1200];
    uint8_t *clip = NULL;
    size_t clip_len = 0;
    cg_vpdq *frames = NULL;
    cg_vpdq_options vo;
    cg_pdq_hasher *h = NULL;
    cg_verdict v = {0};

    snprintf(db_path, sizeof(db_path), "%s/allow-types.db", cg_test_tmpdir());
    make_png(11, &a);
    make_png(12, &b);
    make_png(13, &c);
    snprintf(path, sizeof(path), "%s/vpdq/videos/doorknob-hd-no-bar.mp4", CG_SOURCE_VECTORS_DIR);
    CG_ASSERT_OK(cg_content_read_file(path, 64u << 20, &clip, &clip_len, &err), &err);
    cg_vpdq_options_default(&vo);
    vo.seconds_per_hash = 0; /* every frame in the bank; the engine samples one a second */
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    CG_ASSERT_OK(cg_vpdq_hash_video_mem(clip, clip_len, "clip", &vo, h, &frames, &err), &err);
    cg_pdq_hasher_destroy(h);

    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_CREATE, &db, &err), &err);
    int64_t blk = make_bank(db, "blk", "csam", CG_BANK_BLOCK);
    int64_t alw = make_bank(db, "alw", "", CG_BANK_ALLOW);
    /* a: PDQ blocked, SHA-256 allowed. */
    pdq_of(&a, pdq);
    add_signal(db, blk, "pdq", pdq);
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_SHA256 | CG_DIGEST_MD5, a.data, a.len, &d), CG_OK);
    add_signal(db, alw, "sha256", d.sha256);
    /* The clip: vPDQ blocked, MD5 allowed. */
    CG_ASSERT_OK(cg_bank_vpdq_add(db, blk, frames->frames, frames->count, NULL, "clip", NULL,
                                  NULL, NULL, &err), &err);
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_SHA256 | CG_DIGEST_MD5, clip, clip_len, &d), CG_OK);
    add_signal(db, alw, "md5", d.md5);
    /* b: MD5 blocked, PDQ allowed. */
    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_SHA256 | CG_DIGEST_MD5, b.data, b.len, &d), CG_OK);
    add_signal(db, blk, "md5", d.md5);
    pdq_of(&b, pdq);
    add_signal(db, alw, "pdq", pdq);
    /* c: PDQ blocked only. */
    pdq_of(&c, pdq);
    add_signal(db, blk, "pdq", pdq);
    cg_bankdb_close(db);

    cg_engine *e = open_engine(0, 0);
    const struct {
        const cg_membuf *bytes;
        cg_membuf clipbuf;
        const char *name, *blocked_type, *allowed_type;
    } cases[3] = {
        {&a, {0}, "a.png", "pdq", "sha256"},
        {NULL, {clip, clip_len, clip_len}, "clip.mp4", "vpdq", "md5"},
        {&b, {0}, "b.png", "md5", "pdq"},
    };
    for (int i = 0; i < 3; i++) {
        int saw_block = 0, saw_allow = 0;

        scan_bytes(e, cases[i].bytes != NULL ? cases[i].bytes : &cases[i].clipbuf, cases[i].name,
                   &v);
        for (size_t k = 0; k < v.matches.n; k++) {
            const cg_match *m = &v.matches.v[k];

            if (m->kind == CG_BANK_BLOCK) {
                CG_ASSERT_STR_EQ(m->type->name, cases[i].blocked_type);
                CG_ASSERT(m->suppressed);
                CG_ASSERT_STR_EQ(m->suppressed_by, "alw");
                saw_block = 1;
            } else {
                CG_ASSERT_STR_EQ(m->type->name, cases[i].allowed_type);
                CG_ASSERT(!m->suppressed);
                saw_allow = 1;
            }
        }
        printf("%s: %s block suppressed by a %s allow match\n", cases[i].name,
               cases[i].blocked_type, cases[i].allowed_type);
        CG_ASSERT(saw_block && saw_allow);
        CG_ASSERT(!cg_verdict_blocks(&v));
        CG_ASSERT(cg_policy_decision_has(&v.decision, CG_ACTION_ALLOW));
        char *json = cg_verdict_to_json(&v, 0);
        CG_ASSERT(json != NULL && strstr(json, "\"suppressed_by\":\"alw\"") != NULL);
        cg_free(json);
    }
    scan_bytes(e, &c, "c.png", &v);
    CG_ASSERT_EQ(v.matches.n, 1);
    CG_ASSERT(!v.matches.v[0].suppressed);
    CG_ASSERT_STR_EQ(v.matches.v[0].suppressed_by, "");
    CG_ASSERT(cg_verdict_blocks(&v));
    cg_verdict_free(&v);
    cg_engine_close(e);
    cg_vpdq_destroy(frames);
    cg_free(clip);
    cg_membuf_free(&a);
    cg_membuf_free(&b);
    cg_membuf_free(&c);
}

typedef struct outbox_seen {
    int n;
    char target[2][CG_OUTBOX_TARGET_MAX + 1];
    char tenant[2][CG_TENANT_MAX + 1];
    int payload_ok;
} outbox_seen;

static int see_outbox(const cg_outbox_entry *e, void *ud)
{
    outbox_seen *s = ud;
    json_t *j = json_loads(e->payload, 0, NULL);

    if (s->n < 2) {
        snprintf(s->target[s->n], sizeof(s->target[s->n]), "%s", e->target);
        snprintf(s->tenant[s->n], sizeof(s->tenant[s->n]), "%s", e->tenant);
    }
    s->n++;
    /* ids and the decision, never content: the payload names the content by its id only */
    s->payload_ok += j != NULL &&
                     strcmp(json_string_value(json_object_get(j, "event")), "notify") == 0 &&
                     strncmp(json_string_value(json_object_get(j, "content_id")), "sha256:", 7) == 0 &&
                     json_is_integer(json_object_get(j, "review_id"));
    json_decref(j);
    return 0;
}

/* A policy notify becomes an outbox row in the engine's record step (what `childguard scan`
 * and the server share), in the content's tenant, after the review item it names; a bounded
 * outbox drops and counts; with notify off nothing is written. */
CG_TEST(engine_notify_writes_the_outbox_in_the_record_step)
{
    char policy[1024];
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_verdict v = {0};
    cg_content c;
    cg_bankdb *db = NULL;
    outbox_seen seen;
    cg_error err;
    FILE *f;

    setup();
    snprintf(policy, sizeof(policy), "%s/notify.json", cg_test_tmpdir());
    f = fopen(policy, "w");
    CG_ASSERT(f != NULL);
    fputs("{\"version\": 1, \"rules\": [{\"id\": \"csam-notify\", \"when\": {\"bank_label\": "
          "[\"csam\"], \"bank_kind\": \"block\"}, \"actions\": [\"block\", \"queue_review\", "
          "{\"notify\": \"guardian\"}, {\"notify\": \"moderator\"}]}]}\n", f);
    fclose(f);
    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = policy;
    cfg.review = 1;
    cfg.notify = 1;
    cfg.outbox_max_pending = 3;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.name = "one.png";
    c.data = img1.data;
    c.len = img1.len;
    c.tenant = "school-a";
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v, &err), &err);
    CG_ASSERT_EQ(v.notified, 2);
    CG_ASSERT_EQ(v.notify_dropped, 0);
    CG_ASSERT_GT(v.review_id, 0);

    memset(&seen, 0, sizeof(seen));
    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    CG_ASSERT_OK(cg_outbox_due(db, INT64_MAX / 2, 100, see_outbox, &seen, &err), &err);
    CG_ASSERT_EQ(seen.n, 2);
    CG_ASSERT_EQ(seen.payload_ok, 2);
    CG_ASSERT_STR_EQ(seen.target[0], "guardian");
    CG_ASSERT_STR_EQ(seen.target[1], "moderator");
    CG_ASSERT_STR_EQ(seen.tenant[0], "school-a");

    /* Three pending for the tenant at most: the second scan writes one and drops one. */
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v, &err), &err);
    CG_ASSERT_EQ(v.notified, 1);
    CG_ASSERT_EQ(v.notify_dropped, 1);
    cg_engine_close(e);

    /* Notify off: the decision still says notify, nothing more is written. */
    cfg.notify = 0;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v, &err), &err);
    CG_ASSERT(cg_policy_decision_has(&v.decision, CG_ACTION_NOTIFY));
    CG_ASSERT_EQ(v.notified, 0);
    memset(&seen, 0, sizeof(seen));
    CG_ASSERT_OK(cg_outbox_due(db, INT64_MAX / 2, 100, see_outbox, &seen, &err), &err);
    CG_ASSERT_EQ(seen.n, 3);
    cg_bankdb_close(db);
    cg_verdict_free(&v);
    cg_engine_close(e);

    /* Notify needs the database. */
    cfg.notify = 1;
    cfg.review = 0;
    cfg.db_path = NULL;
    CG_ASSERT_EQ(cg_engine_open(&cfg, &e, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "outbox") != NULL);
}

static void scan_from(cg_engine *e, const cg_membuf *b, const char *sender, cg_verdict *v)
{
    cg_content c;
    cg_error err;

    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.name = "one.png";
    c.data = b->data;
    c.len = b->len;
    c.sender_id = sender;
    CG_ASSERT_OK(cg_engine_scan(e, &c, v, &err), &err);
}

/* cg_engine_set_policy swaps the policy without reopening: the repeat counts go on, the new
 * rules decide at once, a policy with a typo leaves the old one. The live state saved as bytes
 * comes back in another engine; damaged bytes are refused and change nothing. */
CG_TEST(engine_policy_swap_keeps_state_and_state_round_trips)
{
    char good[1024], bad[1024];
    cg_verdict v = {0};
    uint8_t *saved = NULL;
    size_t saved_len = 0;
    cg_error err;
    FILE *f;

    setup();
    snprintf(good, sizeof(good), "%s/swap.json", cg_test_tmpdir());
    snprintf(bad, sizeof(bad), "%s/typo.json", cg_test_tmpdir());
    f = fopen(good, "w");
    CG_ASSERT(f != NULL);
    fputs("{\"version\": 1, \"rules\": [{\"id\": \"warn-only\", \"when\": {\"bank_kind\": "
          "\"block\"}, \"actions\": [\"warn\"]}]}\n", f);
    fclose(f);
    f = fopen(bad, "w");
    CG_ASSERT(f != NULL);
    fputs("{\"version\": 1, \"rules\": [{\"id\": \"x\", \"wen\": {}}]}\n", f);
    fclose(f);

    cg_engine *e = open_engine(0, 0);
    scan_from(e, &img1, "sender-1", &v);
    CG_ASSERT_EQ(v.repeat, 1);
    CG_ASSERT(cg_verdict_blocks(&v));
    scan_from(e, &img1, "sender-1", &v);
    CG_ASSERT_EQ(v.repeat, 2);

    CG_ASSERT_OK(cg_engine_set_policy(e, good, &err), &err);
    scan_from(e, &img1, "sender-1", &v);
    CG_ASSERT_EQ(v.repeat, 3); /* the counts survived the reload */
    CG_ASSERT(!cg_verdict_blocks(&v));
    CG_ASSERT_STR_EQ(v.decision.fired[0].id, "warn-only");

    CG_ASSERT_NE(cg_engine_set_policy(e, bad, &err), CG_OK);
    CG_ASSERT(strstr(err.message, "typo.json") != NULL);
    scan_from(e, &img1, "sender-1", &v);
    CG_ASSERT_STR_EQ(v.decision.fired[0].id, "warn-only"); /* the old policy stayed */
    CG_ASSERT_EQ(v.repeat, 4);

    CG_ASSERT_OK(cg_engine_state_save(e, &saved, &saved_len, &err), &err);
    CG_ASSERT_GT(saved_len, 24);
    cg_engine_close(e);

    e = open_engine(0, 0);
    /* Damaged bytes: refused, nothing changes. */
    CG_ASSERT_EQ(cg_engine_state_restore(e, saved, saved_len - 1, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "engine state") != NULL);
    saved[0] ^= 1;
    CG_ASSERT_EQ(cg_engine_state_restore(e, saved, saved_len, &err), CG_E_DECODE);
    saved[0] ^= 1;
    saved[4] = 99; /* a newer version */
    CG_ASSERT_EQ(cg_engine_state_restore(e, saved, saved_len, &err), CG_E_UNSUPPORTED);
    saved[4] = 2;
    CG_ASSERT_OK(cg_engine_state_restore(e, saved, saved_len, &err), &err);
    scan_from(e, &img1, "sender-1", &v);
    CG_ASSERT_EQ(v.repeat, 5);
    scan_from(e, &img1, "sender-2", &v);
    CG_ASSERT_EQ(v.repeat, 1);
    cg_free(saved);
    cg_verdict_free(&v);
    cg_engine_close(e);
}

/* The live state kept in the store (state_save_s): a conversation scanned half by one engine
 * and half, after a "restart", by another on the same database reaches exactly the risk of a
 * conversation scanned by one engine throughout; without the saved state it does not. */
static cg_engine *open_engine_kept(int64_t save_s)
{
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_error err;

    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = CG_SOURCE_DATA_DIR "/policy/default.json";
    cfg.actor = "test";
    cfg.state_save_s = save_s;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    return e;
}

CG_TEST(engine_state_survives_restart_through_the_store)
{
    cg_verdict v = {0};
    float whole, resumed, fresh;
    cg_alert whole_alert;
    char note[512];
    cg_error err;
    cg_engine *e;

    setup();
    e = open_engine(0, 0); /* the reference: one engine throughout */
    for (size_t i = 0; i < N_GROOM; i++)
        scan_message(e, "g1", i, &v);
    whole = v.text.risk[CG_HARM_GROOMING];
    whole_alert = v.text.alert;
    cg_engine_close(e);

    e = open_engine_kept(3600);
    CG_ASSERT_EQ(cg_engine_state_note(e, note, sizeof(note)), 0); /* nothing saved yet: fine */
    for (size_t i = 0; i < 4; i++)
        scan_message(e, "g1", i, &v);
    cg_engine_close(e); /* saves */

    e = open_engine_kept(3600); /* the restart */
    CG_ASSERT_EQ(cg_engine_state_note(e, note, sizeof(note)), 0);
    for (size_t i = 4; i < N_GROOM; i++)
        scan_message(e, "g1", i, &v);
    resumed = v.text.risk[CG_HARM_GROOMING];
    CG_ASSERT(resumed == whole);
    CG_ASSERT_EQ(v.text.alert, whole_alert);
    cg_engine_close(e);

    e = open_engine(0, 0); /* the control: the second half alone */
    for (size_t i = 4; i < N_GROOM; i++)
        scan_message(e, "g2", i, &v);
    fresh = v.text.risk[CG_HARM_GROOMING];
    CG_ASSERT(fresh < whole);
    cg_verdict_free(&v);
    cg_engine_close(e);

    /* Without a database there is nowhere to keep it. */
    {
        cg_engine_config cfg;
        cg_engine *x = NULL;

        cg_engine_config_default(&cfg);
        cfg.text.data_dir = CG_SOURCE_DATA_DIR;
        cfg.state_save_s = 60;
        CG_ASSERT_EQ(cg_engine_open(&cfg, &x, &err), CG_E_INVAL);
        CG_ASSERT(strstr(err.message, "bank database") != NULL);
    }
}

/* The live state is kept under the default tenant even when the last record (a notify, which
 * writes the outbox in the verdict's tenant) left the read-write handle in another tenant: a
 * multi-tenant server finds its conversations again after a restart. */
CG_TEST(engine_state_is_kept_under_the_default_tenant)
{
    cg_engine_config cfg;
    cg_verdict v = {0};
    cg_bankdb *db = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    int notified = 0;
    cg_error err;
    cg_engine *e = NULL;

    setup();
    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.policy_path = CG_SOURCE_DATA_DIR "/policy/default.json";
    cfg.actor = "test";
    cfg.notify = 1;
    cfg.context = CG_CONTEXT_CHILD_DEVICE; /* urgent grooming notifies the guardian there */
    cfg.state_save_s = 3600;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    for (size_t i = 0; i < N_GROOM; i++) {
        scan_message_for(e, "school-b", "g1", i, &v);
        notified += v.notified;
    }
    CG_ASSERT(notified > 0); /* the notify path ran, in tenant school-b */
    cg_engine_close(e);      /* saves */
    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_bankdb_state_get(db, &buf, &len, NULL, &err), &err);
    CG_ASSERT(len > 0);
    cg_free(buf);
    CG_ASSERT_OK(cg_bankdb_set_tenant(db, "school-b", &err), &err);
    CG_ASSERT_EQ(cg_bankdb_state_get(db, &buf, &len, NULL, &err), CG_E_NOTFOUND);
    cg_bankdb_close(db);
    cg_verdict_free(&v);
}

/* A stored state that is truncated, of another version or corrupt is refused with a note and
 * the engine starts fresh (and works); restoring any prefix of a saved state, or one with a
 * byte changed, never crashes (ASan/UBSan run this) and a prefix is always refused. */
CG_TEST(engine_state_hostile_bytes_are_refused)
{
    cg_verdict v = {0};
    uint8_t *saved = NULL, *copy;
    size_t len = 0, refused = 0;
    char note[512];
    cg_bankdb *db = NULL;
    cg_error err;
    cg_engine *e;

    setup();
    e = open_engine_kept(3600);
    for (size_t i = 0; i < N_GROOM; i++)
        scan_message(e, "g1", i, &v);
    CG_ASSERT_OK(cg_engine_state_save(e, &saved, &len, &err), &err);
    CG_ASSERT_GT(len, 1000); /* the conversation is in it */
    copy = malloc(len);
    CG_ASSERT(copy != NULL);

    for (size_t n = 0; n < len; n += (len > 4000 ? 7 : 1)) {
        memcpy(copy, saved, n);
        CG_ASSERT_NE(cg_engine_state_restore(e, copy, n, &err), CG_OK);
        refused++;
    }
    CG_ASSERT_GT(refused, 100);
    for (size_t at = 0; at < len; at += 3) {
        memcpy(copy, saved, len);
        copy[at] ^= (uint8_t)(0x5a + at);
        (void)cg_engine_state_restore(e, copy, len, &err); /* either way: no crash */
    }
    CG_ASSERT_OK(cg_engine_state_restore(e, saved, len, &err), &err); /* the real one */
    cg_engine_close(e);

    /* In the store: a corrupt row is refused at open, the engine starts fresh and works, and
     * its next save replaces the row. */
    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    CG_ASSERT_OK(cg_bankdb_state_put(db, saved, len / 2, &err), &err);
    e = open_engine_kept(3600);
    CG_ASSERT_GT(cg_engine_state_note(e, note, sizeof(note)), 0);
    CG_ASSERT(strstr(note, "refused") != NULL);
    scan_message(e, "g1", 0, &v);
    CG_ASSERT_OK(cg_engine_state_flush(e, &err), &err);
    CG_ASSERT_EQ(cg_engine_state_note(e, note, sizeof(note)), 0);
    cg_engine_close(e);
    memcpy(copy, saved, len);
    copy[4] = 77; /* another version */
    CG_ASSERT_OK(cg_bankdb_state_put(db, copy, len, &err), &err);
    e = open_engine_kept(3600);
    CG_ASSERT_GT(cg_engine_state_note(e, note, sizeof(note)), 0);
    CG_ASSERT(strstr(note, "version 77") != NULL);
    cg_engine_close(e);
    cg_bankdb_close(db);
    free(copy);
    cg_free(saved);
    cg_verdict_free(&v);
}

/* Text detection off: the engine opens from a data directory that holds the guidance catalogue
 * and nothing of the text engine (no lexicons, teencode or learned layer), which it could not
 * open with text on; images are matched, decided and given guidance, in every language of the
 * catalogue (here a third one, "fr": languages are data), and messages are refused. */
CG_TEST(engine_without_text_opens_no_text_data)
{
    static const char catalogue[] =
        "{\"version\": 1, \"messages\": {\"csam\": {\"moderator\": "
        "{\"vi\": \"Xem xét.\", \"en\": \"Review it.\", \"fr\": \"A examiner.\"}}},\n"
        " \"help\": {\"VN\": [{\"vi\": \"Gọi 111\", \"en\": \"Call 111\", \"fr\": \"Appelez le 111\"}]}}\n";
    char dir[1024], path[1200];
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_verdict v = {0};
    cg_error err;
    FILE *fp;

    setup();
    snprintf(dir, sizeof(dir), "%s/notext", cg_test_tmpdir());
    CG_ASSERT_EQ(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/text", dir);
    CG_ASSERT_EQ(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/text/guidance.json", dir);
    fp = fopen(path, "w");
    CG_ASSERT(fp != NULL);
    fputs(catalogue, fp);
    CG_ASSERT_EQ(fclose(fp), 0);

    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.text.data_dir = dir;
    cfg.policy_path = CG_SOURCE_DATA_DIR "/policy/default.json";
    cfg.classify = 0;
    cfg.actor = "test";
    /* With text on, the same directory is not enough: the text engine needs its lexicons. */
    CG_ASSERT(cg_engine_open(&cfg, &e, &err) != CG_OK);
    CG_ASSERT(e == NULL);
    if (strstr(err.message, "lexicon") == NULL && strstr(err.message, "teencode") == NULL)
        cg_test_fail(__FILE__, __LINE__, "not a text data error: %s", err.message);

    cfg.no_text = 1;
    memset(&err, 0, sizeof(err));
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    CG_ASSERT(cg_engine_text(e) == NULL);
    CG_ASSERT(cg_engine_guidance(e) != NULL);
    CG_ASSERT_EQ(cg_guidance_lang_count(cg_engine_guidance(e)), 3);

    scan_bytes(e, &img1, "one.png", &v);
    CG_ASSERT(cg_verdict_blocks(&v));
    CG_ASSERT_GE(v.n_guidance, 1);
    CG_ASSERT_STR_EQ(v.guidance[0].topic, "csam");
    CG_ASSERT_EQ(v.guidance[0].n_texts, 3);
    const char *const langs[] = {"vi", "en", "fr"}, *const texts[] = {"Xem xét.", "Review it.",
                                                                      "A examiner."};
    for (size_t l = 0; l < 3; l++) {
        const cg_verdict_guidance_text *t = &v.guidance[0].texts[l];
        CG_ASSERT_STR_EQ(t->lang, langs[l]);
        CG_ASSERT_STR_EQ(t->text, texts[l]);
        CG_ASSERT_EQ(t->n_help, 1);
    }
    CG_ASSERT_STR_EQ(v.guidance[0].texts[2].help[0], "Appelez le 111");
    /* The JSON has one key per language, each {text, help}. */
    char *json = cg_verdict_to_json(&v, 0);
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    CG_ASSERT(o != NULL);
    json_t *g = json_array_get(json_object_get(o, "guidance"), 0);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(g, "fr"), "text")),
                     "A examiner.");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(g, "vi"), "text")),
                     "Xem xét.");
    CG_ASSERT_EQ(json_array_size(json_object_get(json_object_get(g, "en"), "help")), 1);
    json_decref(o);
    cg_free(json);
    cg_verdict_free(&v);

    /* Messages are refused, clearly, and the engine keeps going. */
    cg_content c;
    cg_content_init(&c);
    c.kind = CG_CONTENT_MESSAGE;
    c.message.text = "hi";
    c.message.len = 2;
    memset(&v, 0, sizeof(v));
    CG_ASSERT_EQ(cg_engine_scan(e, &c, &v, &err), CG_E_UNSUPPORTED);
    CG_ASSERT(strstr(err.message, "without text detection") != NULL);
    cg_verdict_free(&v);
    scan_bytes(e, &img1, "again.png", &v);
    CG_ASSERT(cg_verdict_blocks(&v));
    cg_verdict_free(&v);
    cg_engine_close(e);
}
