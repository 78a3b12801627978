/* Flood quarantine (engine flood.c, docs/exchange.md "Flood quarantine"): an exchange's PDQ
 * signal that matches more than flood_per_hour different images is switched off, audited
 * ("quarantine") and queued for review; re-uploading the same images (the attack: switching
 * off the signal of one's own content) counts each once; a bank's own signal matching as often
 * is never quarantined; an exact digest never floods; a false_positive decision on the item
 * releases the signal (it matches again and needs a new flood), a confirmed one keeps it off.
 * The images are synthetic patterns; the banks' PDQ threshold is 256 (a "too broad" hash that
 * matches every image, the case the quarantine is for). */
#include "cg_test.h"

#include <stdint.h>
#include <time.h>

#include "childguard/audit.h"
#include "childguard/digest.h"
#include "childguard/engine.h"
#include "childguard/exchange.h"
#include "childguard/exchange_store.h"
#include "childguard/hex.h"
#include "childguard/matcher.h"
#include "childguard/review.h"
#include "cg_testenc.h"
#include "exchange/exchange_int.h"

static const char MD5_BYTES[] = "synthetic file shared through an exchange (flood test)";

static void pattern(uint8_t *pix, int w, int h, int seed)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = pix + 3 * ((size_t)y * w + x);
            int block = ((x / (8 + seed * 3)) + (y / (6 + seed * 5))) & 1;
            p[0] = (uint8_t)((x * (3 + seed)) ^ (y * (1 + seed)));
            p[1] = (uint8_t)(block ? 200 - y / 2 : 40 + x / 3);
            p[2] = (uint8_t)((x + y + seed * 37) & 0xff);
        }
}

static cg_membuf images[12];

static const cg_membuf *image(int seed)
{
    if (images[seed].len == 0) {
        uint8_t *pix = malloc(3 * 160 * 120);

        CG_ASSERT(pix != NULL);
        pattern(pix, 160, 120, seed);
        cg_test_encode_png(pix, 160, 120, PNG_COLOR_TYPE_RGB, 0, NULL, 0, NULL, 0,
                           &images[seed]);
        free(pix);
    }
    return &images[seed];
}

static char db_path[1024], audit_path[1024];

#define PDQ1 "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

static void md5_hex(const char *bytes, char out[33])
{
    cg_digests d;

    CG_ASSERT_EQ(cg_digest_mem(CG_DIGEST_MD5, bytes, strlen(bytes), &d), CG_OK);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d.md5[i]);
}

static void broad(cg_bankdb *db, const char *name)
{
    cg_bank b;
    cg_error err;

    CG_ASSERT_OK(cg_bank_get(db, name, &b, &err), &err);
    b.thresholds[0].type = cg_signal_type_find("pdq");
    b.thresholds[0].distance = 256;
    b.n_thresholds = 1;
    CG_ASSERT_OK(cg_bank_update(db, &b, &err), &err);
}

static int64_t find(cg_bankdb *db, const char *bank, const char *type, const char *hex)
{
    const cg_signal_type *t = cg_signal_type_find(type);
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    cg_bank b;
    cg_bank_signal s;
    cg_error err;

    CG_ASSERT_OK(cg_bank_get(db, bank, &b, &err), &err);
    CG_ASSERT_OK(cg_hex_decode(hex, strlen(hex), value, t->bytes), NULL);
    CG_ASSERT_OK(cg_bank_signal_find(db, b.id, t, value, &s, &err), &err);
    return s.id;
}

/* An exchange "sn" whose bank holds PDQ1 (threshold 256: it matches every image) and the MD5 of
 * MD5_BYTES; a bank "own" holding PDQ1 too, not an exchange's. Returns the exchange's PDQ
 * signal id; *own_id the own bank's, *md5_id the exchange's MD5 signal. */
static int64_t setup(int64_t *own_id, int64_t *md5_id)
{
    cg_bankdb *db = NULL;
    cg_exchange_info ex;
    cg_exchange_delta d;
    cg_exchange_apply_report rep;
    cg_exchange_record *r = NULL;
    cg_bank bank;
    cg_bank_signal own;
    char hex[33], why[128];
    int64_t id;
    int merged = 0;
    cg_error err;

    snprintf(db_path, sizeof(db_path), "%s/flood.db", cg_test_tmpdir());
    snprintf(audit_path, sizeof(audit_path), "%s/flood-audit.log", cg_test_tmpdir());
    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_CREATE, &db, &err), &err);
    memset(&ex, 0, sizeof(ex));
    snprintf(ex.name, sizeof(ex.name), "sn");
    snprintf(ex.api, sizeof(ex.api), "stopncii");
    snprintf(ex.api_json, sizeof(ex.api_json), "{}");
    ex.enabled = 1;
    CG_ASSERT_OK(cg_exchange_create(db, &ex, "ncii", 0, &err), &err);
    md5_hex(MD5_BYTES, hex);
    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(cg__delta_add(&d, "stopncii:ImagePDQ:" PDQ1, "", "p", "Active", &r), NULL);
    CG_ASSERT_EQ(cg__record_add_hash(r, "pdq", PDQ1, why, sizeof(why)), 1);
    CG_ASSERT_OK(cg__delta_add(&d, "stopncii:VideoMD5:x", "", "x", "Active", &r), NULL);
    CG_ASSERT_EQ(cg__record_add_hash(r, "md5", hex, why, sizeof(why)), 1);
    CG_ASSERT_OK(cg__delta_set_checkpoint(&d, "{}"), NULL);
    CG_ASSERT_OK(cg_exchange_apply_page(db, &ex, &d, &rep, &err), &err);
    cg_exchange_delta_fini(&d);
    broad(db, "sn");
    id = find(db, "sn", "pdq", PDQ1);
    *md5_id = find(db, "sn", "md5", hex);

    memset(&bank, 0, sizeof(bank));
    snprintf(bank.name, sizeof(bank.name), "own");
    snprintf(bank.label, sizeof(bank.label), "ncii");
    bank.kind = CG_BANK_BLOCK;
    bank.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &bank, &err), &err);
    broad(db, "own");
    memset(&own, 0, sizeof(own));
    own.bank_id = bank.id;
    own.type = cg_signal_type_find("pdq");
    CG_ASSERT_OK(cg_hex_decode(PDQ1, 64, own.value, 32), NULL);
    own.quality = -1;
    CG_ASSERT_OK(cg_bank_signal_add(db, &own, &merged, &err), &err);
    *own_id = find(db, "own", "pdq", PDQ1);
    cg_bankdb_close(db);
    return id;
}

/* The acted-on matches of one scan in bank "sn". */
static size_t scan_data(cg_engine *e, const uint8_t *data, size_t len)
{
    cg_content c;
    cg_verdict v = {0};
    size_t n = 0;
    cg_error err;

    cg_content_init(&c);
    c.kind = CG_CONTENT_BYTES;
    c.name = "upload";
    c.data = data;
    c.len = len;
    CG_ASSERT_OK(cg_engine_scan(e, &c, &v, &err), &err);
    for (size_t i = 0; i < v.matches.n; i++)
        n += !v.matches.v[i].suppressed && strcmp(v.matches.v[i].bank, "sn") == 0;
    cg_verdict_free(&v);
    return n;
}

static size_t scan(cg_engine *e, int seed)
{
    return scan_data(e, image(seed)->data, image(seed)->len);
}

static int64_t disabled_until(int64_t id)
{
    cg_bankdb *db = NULL;
    cg_bank_signal s;
    cg_error err;

    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_bank_signal_get(db, id, &s, &err), &err);
    cg_bankdb_close(db);
    return s.disabled_until;
}

typedef struct found {
    int64_t id;
    int n;
    char content_id[CG_REVIEW_ID_MAX + 1];
    char kind[CG_REVIEW_NAME_MAX + 1];
} found;

static int pending_cb(const cg_review_item *it, void *ud)
{
    found *f = ud;

    f->n++;
    f->id = it->id;
    snprintf(f->content_id, sizeof(f->content_id), "%s", it->content_id);
    snprintf(f->kind, sizeof(f->kind), "%s", it->kind);
    return 0;
}

static found quarantine_items(void)
{
    cg_bankdb *db = NULL;
    cg_review_filter flt;
    found f;
    cg_error err;

    memset(&f, 0, sizeof(f));
    memset(&flt, 0, sizeof(flt));
    flt.state = CG_REVIEW_PENDING;
    flt.label = "quarantine";
    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    CG_ASSERT_OK(cg_review_list(db, &flt, pending_cb, &f, &err), &err);
    cg_bankdb_close(db);
    return f;
}

static void decide(int64_t item, cg_review_state state)
{
    cg_bankdb *db = NULL;
    cg_review_decision d;
    cg_error err;

    memset(&d, 0, sizeof(d));
    d.state = state;
    d.reviewer = "alice";
    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    CG_ASSERT_OK(cg_review_decide(db, item, &d, NULL, &err), &err);
    cg_bankdb_close(db);
}

static void refresh(cg_engine *e)
{
    cg_error err;

    CG_ASSERT_OK(cg_matcher_refresh(cg_engine_matcher(e), NULL, &err), &err);
}

static int count_kind(const char *path, const char *kind)
{
    char needle[64], line[8192];
    FILE *f = fopen(path, "r");
    int n = 0;

    if (f == NULL)
        return 0;
    snprintf(needle, sizeof(needle), "\"kind\":\"%s\"", kind);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static cg_engine *open_engine(int review, int flood)
{
    cg_engine_config cfg;
    cg_engine *e = NULL;
    cg_error err;

    cg_engine_config_default(&cfg);
    cfg.db_path = db_path;
    cfg.audit_path = audit_path;
    cfg.text.data_dir = CG_SOURCE_DATA_DIR;
    cfg.review = review;
    cfg.flood_per_hour = flood;
    CG_ASSERT_OK(cg_engine_open(&cfg, &e, &err), &err);
    return e;
}

CG_TEST(exchange_flood_quarantine_release_confirm)
{
    int64_t own_id = 0, md5_id = 0, sid = setup(&own_id, &md5_id);
    cg_engine *e = open_engine(1, 3);
    found f;
    char expect[64];

    /* Three different images match: at the limit, nothing happens. Re-uploading them (the
     * attack) and exact-digest matches count nothing more. */
    for (int seed = 1; seed <= 3; seed++)
        CG_ASSERT_EQ(scan(e, seed), 1);
    for (int round = 0; round < 5; round++)
        for (int seed = 1; seed <= 3; seed++)
            CG_ASSERT_EQ(scan(e, seed), 1);
    for (int i = 0; i < 6; i++)
        CG_ASSERT_EQ(scan_data(e, (const uint8_t *)MD5_BYTES, strlen(MD5_BYTES)), 1);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    CG_ASSERT_EQ(disabled_until(md5_id), 0);
    CG_ASSERT_EQ(quarantine_items().n, 0);
    CG_ASSERT_EQ(count_kind(audit_path, "quarantine"), 0);
    /* A fourth different image: quarantined. The bank's own signal, matched by all of them, is
     * not an exchange's: never. */
    CG_ASSERT_EQ(scan(e, 4), 1);
    CG_ASSERT_EQ(disabled_until(sid), INT64_MAX);
    CG_ASSERT_EQ(disabled_until(own_id), 0);
    f = quarantine_items();
    CG_ASSERT_EQ(f.n, 1);
    snprintf(expect, sizeof(expect), "quarantine:signal:%lld", (long long)sid);
    CG_ASSERT_STR_EQ(f.content_id, expect);
    CG_ASSERT_STR_EQ(f.kind, "signal");
    CG_ASSERT_EQ(count_kind(audit_path, "quarantine"), 1);
    /* Matching is off once the matcher sees the change. */
    refresh(e);
    CG_ASSERT_EQ(scan(e, 5), 0);

    /* Released (false_positive): on again, and the count starts over. */
    decide(f.id, CG_REVIEW_FALSE_POSITIVE);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    refresh(e);
    for (int seed = 5; seed <= 7; seed++)
        CG_ASSERT_EQ(scan(e, seed), 1);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    CG_ASSERT_EQ(quarantine_items().n, 0);
    /* A new flood: quarantined again; confirmed: it stays off. */
    CG_ASSERT_EQ(scan(e, 8), 1);
    f = quarantine_items();
    CG_ASSERT_EQ(f.n, 1);
    decide(f.id, CG_REVIEW_CONFIRMED);
    CG_ASSERT_EQ(disabled_until(sid), INT64_MAX);
    CG_ASSERT_EQ(count_kind(audit_path, "quarantine"), 2);
    cg_engine_close(e);
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        cg_membuf_free(&images[i]);
}

CG_TEST(exchange_flood_off_and_without_review)
{
    int64_t own_id = 0, md5_id = 0, sid = setup(&own_id, &md5_id);
    cg_engine *e = open_engine(1, -1); /* off */

    for (int seed = 1; seed <= 8; seed++)
        CG_ASSERT_EQ(scan(e, seed), 1);
    cg_engine_close(e);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    /* No read-write database (no review queue): no one could release it, so nothing is
     * switched off. */
    e = open_engine(0, 2);
    for (int seed = 1; seed <= 8; seed++)
        CG_ASSERT_EQ(scan(e, seed), 1);
    cg_engine_close(e);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    CG_ASSERT_EQ(quarantine_items().n, 0);
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        cg_membuf_free(&images[i]);
}

/* Sets bank "sn"'s flood_per_hour and, when api_json is not NULL, the exchange's api_json. */
static void set_limits(int bank_limit, const char *api_json)
{
    cg_bankdb *db = NULL;
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    cg_bank b;
    cg_error err;

    CG_ASSERT(ex != NULL);
    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "sn", &b, &err), &err);
    b.flood_per_hour = bank_limit;
    CG_ASSERT_OK(cg_bank_update(db, &b, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "sn", &b, &err), &err);
    CG_ASSERT_EQ(b.flood_per_hour, bank_limit); /* kept with the thresholds */
    CG_ASSERT_EQ(b.thresholds[0].distance, 256);
    if (api_json != NULL) {
        CG_ASSERT_OK(cg_exchange_get(db, "sn", ex, &err), &err);
        snprintf(ex->api_json, sizeof(ex->api_json), "%s", api_json);
        CG_ASSERT_OK(cg_exchange_update(db, ex, &err), &err);
    }
    cg_bankdb_close(db);
    free(ex);
}

static size_t quarantined(int64_t bank_id, int64_t *first)
{
    cg_bankdb *db = NULL;
    size_t n = 0;
    cg_error err;

    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_flood_quarantined(db, bank_id, (int64_t)time(NULL), first, 1, &n, &err),
                 &err);
    cg_bankdb_close(db);
    return n;
}

CG_TEST(exchange_flood_limits_per_bank_and_exchange)
{
    int64_t own_id = 0, md5_id = 0, sid = setup(&own_id, &md5_id), first = 0;
    cg_engine *e;
    cg_bankdb *db = NULL;
    cg_bank b;
    cg_error err;
    found f;

    /* The exchange's api_json limit (2) replaces the engine's (100): the third image trips. */
    set_limits(0, "{\"flood_per_hour\":2}");
    e = open_engine(1, 100);
    for (int seed = 1; seed <= 2; seed++)
        CG_ASSERT_EQ(scan(e, seed), 1);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    CG_ASSERT_EQ(quarantined(0, &first), 0);
    CG_ASSERT_EQ(scan(e, 3), 1);
    CG_ASSERT_EQ(disabled_until(sid), INT64_MAX);
    /* Named where an operator looks: count and first ids, for its bank and for all banks, not
     * for another bank. */
    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "sn", &b, &err), &err);
    cg_bankdb_close(db);
    CG_ASSERT_EQ(quarantined(b.id, &first), 1);
    CG_ASSERT_EQ(first, sid);
    CG_ASSERT_EQ(quarantined(0, &first), 1);
    CG_ASSERT_EQ(quarantined(b.id + 1000, &first), 0);
    f = quarantine_items();
    CG_ASSERT_EQ(f.n, 1);
    /* The bank's 1 wins over the exchange's 2: released, the limit is read again at the next
     * match, and the second different image trips it. A released signal is not listed. */
    set_limits(1, NULL);
    decide(f.id, CG_REVIEW_FALSE_POSITIVE);
    CG_ASSERT_EQ(quarantined(b.id, &first), 0);
    refresh(e);
    CG_ASSERT_EQ(scan(e, 4), 1);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    CG_ASSERT_EQ(scan(e, 5), 1);
    CG_ASSERT_EQ(disabled_until(sid), INT64_MAX);
    CG_ASSERT_EQ(quarantined(b.id, &first), 1);
    /* The bank's setting off wins over the exchange's 2: four different images (twice the
     * exchange's limit), never quarantined. */
    set_limits(-1, NULL);
    f = quarantine_items();
    CG_ASSERT_EQ(f.n, 1);
    decide(f.id, CG_REVIEW_FALSE_POSITIVE);
    refresh(e);
    for (int seed = 6; seed <= 9; seed++)
        CG_ASSERT_EQ(scan(e, seed), 1);
    CG_ASSERT_EQ(disabled_until(sid), 0);
    CG_ASSERT_EQ(quarantined(0, &first), 0);
    cg_engine_close(e);
    /* A hostile stored setting is refused, not read as a limit. */
    CG_ASSERT_OK(cg_bankdb_open(db_path, 0, &db, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "sn", &b, &err), &err);
    b.flood_per_hour = -2;
    CG_ASSERT_EQ(cg_bank_update(db, &b, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "flood_per_hour") != NULL);
    b.flood_per_hour = CG_BANK_FLOOD_MAX + 1;
    CG_ASSERT_EQ(cg_bank_update(db, &b, &err), CG_E_INVAL);
    cg_bankdb_close(db);
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        cg_membuf_free(&images[i]);
}

/* cg_engine_flood_counters and cg_engine_flood_limit (what GET /c/exchange/<name>/flood shows):
 * the counter of the signal with its bank, window and limit, the same image counted once, a
 * filter on another bank empty, cap 0 counting without writing, the counter gone at the
 * quarantine; the limit and where it came from (exchange, bank, engine, engine off, no
 * read-write database), hostile arguments refused. */
CG_TEST(exchange_flood_counters_and_limit)
{
    int64_t own_id = 0, md5_id = 0, sid = setup(&own_id, &md5_id);
    const int64_t now = (int64_t)time(NULL);
    cg_flood_counter c[4];
    cg_flood_limit_from from;
    cg_bankdb *db = NULL;
    cg_engine *e;
    cg_bank b;
    size_t n = 9;
    int limit = 0;
    cg_error err;

    set_limits(0, "{\"flood_per_hour\":3}");
    e = open_engine(1, 100);
    CG_ASSERT_OK(cg_bankdb_open(db_path, CG_BANKDB_READONLY, &db, &err), &err);
    CG_ASSERT_OK(cg_bank_get(db, "sn", &b, &err), &err);
    CG_ASSERT_OK(cg_engine_flood_counters(e, b.id, now, c, 4, &n, &err), &err);
    CG_ASSERT_EQ(n, 0);
    CG_ASSERT_OK(cg_engine_flood_limit(e, db, "sn", "sn", &limit, &from, &err), &err);
    CG_ASSERT_EQ(limit, 3);
    CG_ASSERT_EQ(from, CG_FLOOD_FROM_EXCHANGE);
    CG_ASSERT_EQ(scan(e, 1), 1);
    CG_ASSERT_EQ(scan(e, 1), 1); /* the same image: counted once */
    CG_ASSERT_EQ(scan(e, 2), 1);
    CG_ASSERT_OK(cg_engine_flood_counters(e, b.id, (int64_t)time(NULL), c, 4, &n, &err), &err);
    CG_ASSERT_EQ(n, 1);
    CG_ASSERT_EQ(c[0].signal_id, sid);
    CG_ASSERT_EQ(c[0].bank_id, b.id);
    CG_ASSERT_EQ(c[0].count, 2);
    CG_ASSERT_EQ(c[0].limit, 3);
    CG_ASSERT(c[0].window_start >= now && c[0].window_start <= (int64_t)time(NULL));
    CG_ASSERT_OK(cg_engine_flood_counters(e, 0, (int64_t)time(NULL), NULL, 0, &n, &err), &err);
    CG_ASSERT_EQ(n, 1); /* all banks, counted without writing */
    CG_ASSERT_OK(cg_engine_flood_counters(e, b.id + 1000, (int64_t)time(NULL), c, 4, &n, &err),
                 &err);
    CG_ASSERT_EQ(n, 0);
    /* An hour after the window started it is over: not listed. */
    CG_ASSERT_OK(cg_engine_flood_counters(e, b.id, c[0].window_start + 3600, c, 4, &n, &err),
                 &err);
    CG_ASSERT_EQ(n, 0);
    CG_ASSERT_EQ(scan(e, 3), 1);
    CG_ASSERT_EQ(scan(e, 4), 1); /* the fourth: quarantined, the counter starts over */
    CG_ASSERT_EQ(disabled_until(sid), INT64_MAX);
    CG_ASSERT_OK(cg_engine_flood_counters(e, b.id, (int64_t)time(NULL), c, 4, &n, &err), &err);
    CG_ASSERT_EQ(n, 0);
    /* Where the limit comes from. */
    set_limits(7, NULL);
    CG_ASSERT_OK(cg_engine_flood_limit(e, db, "sn", "sn", &limit, &from, &err), &err);
    CG_ASSERT_EQ(limit, 7);
    CG_ASSERT_EQ(from, CG_FLOOD_FROM_BANK);
    set_limits(0, "{}");
    CG_ASSERT_OK(cg_engine_flood_limit(e, db, "sn", "sn", &limit, &from, &err), &err);
    CG_ASSERT_EQ(limit, 100);
    CG_ASSERT_EQ(from, CG_FLOOD_FROM_ENGINE);
    CG_ASSERT_OK(cg_engine_flood_limit(e, db, "gone", NULL, &limit, &from, &err), &err);
    CG_ASSERT_EQ(limit, 100); /* a bank that cannot be read: the engine's */
    CG_ASSERT_EQ(cg_engine_flood_limit(e, db, NULL, "sn", &limit, &from, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_engine_flood_counters(e, 0, now, NULL, 4, &n, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_engine_flood_counters(NULL, 0, now, c, 4, &n, &err), CG_E_INVAL);
    cg_engine_close(e);
    e = open_engine(1, -1); /* the engine's off wins */
    CG_ASSERT_OK(cg_engine_flood_limit(e, db, "sn", "sn", &limit, &from, &err), &err);
    CG_ASSERT_EQ(limit, -1);
    CG_ASSERT_EQ(from, CG_FLOOD_FROM_ENGINE);
    cg_engine_close(e);
    e = open_engine(0, 5); /* no read-write database: nothing is counted */
    CG_ASSERT_OK(cg_engine_flood_limit(e, db, "sn", "sn", &limit, &from, &err), &err);
    CG_ASSERT_EQ(limit, -1);
    CG_ASSERT_EQ(from, CG_FLOOD_FROM_NO_DATABASE);
    cg_engine_close(e);
    cg_bankdb_close(db);
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        cg_membuf_free(&images[i]);
}
