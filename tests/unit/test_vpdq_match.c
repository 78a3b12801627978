/* vPDQ signals in banks and video lookups (vpdq_bank.h, matcher.h: cg_matcher_lookup_video).
 *
 * The shared reference vectors (../shared/testdata/vpdq/expected/generated-s0, every frame of
 * each video) are stored as signals, then looked up as queries: each video matches itself, the
 * "chair" re-edits match their original, "pattern" videos do not match "chair" ones. A clip
 * re-encoded at another size and bitrate with two seconds trimmed (made with the ffmpeg CLI at
 * test time) still matches its original (the chair clip with the full set, the doorknob clip with
 * the compact set). Bank changes, the allow-list, import/export round trip and malformed lines
 * use small synthetic frame lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_test.h"
#include "childguard.h"

static const char *const videos[] = {
    "chair-19-sd-bar",         "chair-20-sd-bar",
    "chair-22-sd-grey-bar",    "chair-22-sd-sepia-bar",
    "chair-22-with-large-logo-bar", "chair-22-with-small-logo-bar",
    "chair-orig-22-sd-bar",    "doorknob-hd-no-bar",
    "pattern-hd-no-bar",       "pattern-longer-no-bar",
    "pattern-sd-grey-bar",     "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar",
};
#define N_VIDEOS (sizeof(videos) / sizeof(videos[0]))

/* ../shared/testdata/vpdq, or the compact set in tests/vectors/vpdq (every generated-s0 text,
 * two of the videos). */
static const char *vpdq_dir(void)
{
    static char dir[1024];

    snprintf(dir, sizeof(dir), "%.1000s/vpdq", cg_test_vectors_dir(NULL));
    return dir;
}

static cg_vpdq *load_vector(const char *name)
{
    char path[1200];
    uint8_t *data = NULL;
    size_t len = 0;
    cg_vpdq *v = NULL;
    cg_error err;

    snprintf(path, sizeof(path), "%s/expected/generated-s0/%s.txt", vpdq_dir(), name);
    CG_ASSERT_OK(cg_content_read_file(path, 64u << 20, &data, &len, &err), &err);
    CG_ASSERT_OK(cg_vpdq_parse((const char *)data, len, 0, &v, &err), &err);
    cg_free(data);
    return v;
}

static const char *db_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", cg_test_tmpdir(), name);
    return path;
}

static cg_bankdb *open_rw(const char *path)
{
    cg_bankdb *db = NULL;
    cg_error err;
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    return db;
}

static int64_t make_bank(cg_bankdb *db, const char *name, cg_bank_kind kind)
{
    cg_bank b;
    cg_error err;

    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "%s", name);
    snprintf(b.label, sizeof(b.label), "test");
    b.kind = kind;
    b.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &b, &err), &err);
    return b.id;
}

static int64_t add_frames(cg_bankdb *db, int64_t bank, const cg_vpdq_frame *f, size_t n,
                          const char *name)
{
    int64_t id = 0;
    int merged = -1;
    cg_error err;

    CG_ASSERT_OK(cg_bank_vpdq_add(db, bank, f, n, "test", name, NULL, &id,
                                  &merged, &err),
                 &err);
    CG_ASSERT_EQ(merged, 0);
    CG_ASSERT_GT(id, 0);
    return id;
}

static int64_t add_video(cg_bankdb *db, int64_t bank, const cg_vpdq *v, const char *name)
{
    return add_frames(db, bank, v->frames, v->count, name);
}

static cg_matcher *open_matcher(const char *path)
{
    cg_matcher *m = NULL;
    cg_error err;
    CG_ASSERT_OK(cg_matcher_open(path, NULL, &m, &err), &err);
    return m;
}

/* The match of external id name in list, or NULL. */
static const cg_match *find_match(const cg_match_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].external_id, name) == 0)
            return &l->v[i];
    return NULL;
}

/* Percentages of query a against stored b with the default thresholds but query 0 %, so every
 * pair with a common frame is reported. */
static int pair(cg_matcher *m, const cg_vpdq *q, const char *target, double *qp, double *tp)
{
    cg_video_match_options o;
    cg_match_list l = {0};
    cg_error err;

    cg_video_match_options_default(&o);
    o.query_percent = 0.0;
    CG_ASSERT_OK(cg_matcher_lookup_video(m, q->frames, q->count, &o, &l, &err), &err);
    const cg_match *x = find_match(&l, target);
    *qp = x != NULL ? x->query_percent : 0.0;
    *tp = x != NULL ? x->target_percent : 0.0;
    int found = x != NULL;
    cg_match_list_free(&l);
    return found;
}

CG_TEST(vpdq_match_reference_vectors)
{
    cg_vpdq *v[N_VIDEOS];
    const char *path = db_path("ref.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "videos", CG_BANK_BLOCK);
    cg_error err;

    for (size_t i = 0; i < N_VIDEOS; i++) {
        v[i] = load_vector(videos[i]);
        add_video(db, bank, v[i], videos[i]);
    }
    /* The same list again merges. */
    {
        int64_t id = 0;
        int merged = 0;
        CG_ASSERT_OK(cg_bank_vpdq_add(db, bank, v[0]->frames, v[0]->count, NULL, NULL, "again",
                                      &id, &merged, &err),
                     &err);
        CG_ASSERT_EQ(merged, 1);
    }
    cg_bankdb_close(db);

    cg_matcher *m = open_matcher(path);
    printf("query \\ target: query%% / target%% (default rule: query >= 80)\n");
    for (size_t i = 0; i < N_VIDEOS; i++) {
        cg_match_list l = {0};
        CG_ASSERT_OK(cg_matcher_lookup_video(m, v[i]->frames, v[i]->count, NULL, &l, &err), &err);
        const cg_match *self = find_match(&l, videos[i]);
        CG_ASSERT(self != NULL);
        CG_ASSERT(self->query_percent == 100.0 && self->target_percent == 100.0);
        CG_ASSERT_EQ(self->distance, 0);
        CG_ASSERT_STR_EQ(self->type->name, "vpdq");
        CG_ASSERT_STR_EQ(self->bank, "videos");
        cg_match_list_free(&l);
        for (size_t j = 0; j < N_VIDEOS; j++) {
            double qp, tp;
            if (i != j && pair(m, v[i], videos[j], &qp, &tp))
                printf("  %-30s -> %-30s %6.2f / %6.2f\n", videos[i], videos[j], qp, tp);
        }
    }
    /* Every chair re-edit matches the original both ways at the default rule; pattern and
     * chair never match. */
    for (size_t i = 0; i < N_VIDEOS; i++) {
        double qp, tp;
        /* The large logo covers too much of the frame: about 11 % (docs/vpdq.md). */
        if (strncmp(videos[i], "chair", 5) == 0 && strcmp(videos[i], "chair-orig-22-sd-bar") &&
            strstr(videos[i], "large-logo") == NULL) {
            CG_ASSERT(pair(m, v[i], "chair-orig-22-sd-bar", &qp, &tp));
            CG_ASSERT(qp >= 80.0);
        }
        if (strncmp(videos[i], "pattern", 7) == 0)
            for (size_t j = 0; j < N_VIDEOS; j++)
                if (strncmp(videos[j], "chair", 5) == 0) {
                    if (pair(m, v[i], videos[j], &qp, &tp))
                        CG_ASSERT(qp < 80.0);
                    if (pair(m, v[j], videos[i], &qp, &tp))
                        CG_ASSERT(qp < 80.0);
                }
    }
    /* early_exit still says yes, with at most the full percentages. */
    {
        cg_video_match_options o;
        cg_match_list l = {0};
        cg_video_match_options_default(&o);
        o.early_exit = 1;
        CG_ASSERT_OK(cg_matcher_lookup_video(m, v[6]->frames, v[6]->count, &o, &l, &err), &err);
        CG_ASSERT_GE(l.n, 1);
        CG_ASSERT_GE(l.v[0].query_percent, 80.0);
        cg_match_list_free(&l);
    }
    /* A plain lookup of the vpdq type is refused with a pointer to the video call. */
    {
        uint8_t value[32] = {0};
        cg_match_list l = {0};
        CG_ASSERT_EQ(cg_matcher_lookup(m, cg_signal_type_find("vpdq"), value, 1, NULL, &l, &err),
                     CG_E_INVAL);
    }
    cg_matcher_close(m);
    for (size_t i = 0; i < N_VIDEOS; i++)
        cg_vpdq_destroy(v[i]);
}

CG_TEST(vpdq_match_reencoded_trimmed)
{
    char in[1200], outp[1200], cmd[4096];
    const char *dir = vpdq_dir();
    const char *clip = "chair-orig-22-sd-bar";
    int cut = 2;
    cg_vpdq *orig, *other = load_vector("pattern-sd-grey-bar");
    cg_vpdq *q = NULL;
    cg_pdq_hasher *h = NULL;
    cg_vpdq_options vo;
    cg_error err;

    if (system("ffmpeg -version >/dev/null 2>&1") != 0) {
        cg_vpdq_destroy(other);
        CG_SKIP("ffmpeg CLI not on PATH: the re-encoded clip cannot be made");
    }
    snprintf(in, sizeof(in), "%s/videos/%s.mp4", dir, clip);
    if (access(in, R_OK) != 0) { /* the compact set: a shorter clip, a shorter cut */
        clip = "doorknob-hd-no-bar";
        cut = 1;
        snprintf(in, sizeof(in), "%s/videos/%s.mp4", dir, clip);
    }
    orig = load_vector(clip);
    snprintf(outp, sizeof(outp), "%s/reenc.mp4", cg_test_tmpdir());
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -loglevel error -y -i '%s' -ss %d -vf scale=320:-2 -b:v 300k '%s'",
             in, cut, outp);
    CG_ASSERT_EQ(system(cmd), 0);
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    cg_vpdq_options_default(&vo);
    CG_ASSERT_OK(cg_vpdq_hash_video_file(outp, &vo, h, &q, &err), &err);

    const char *path = db_path("reenc.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "videos", CG_BANK_BLOCK);
    add_video(db, bank, orig, clip);
    add_video(db, bank, other, "pattern-sd-grey-bar");
    cg_bankdb_close(db);
    cg_matcher *m = open_matcher(path);
    cg_match_list l = {0};
    CG_ASSERT_OK(cg_matcher_lookup_video(m, q->frames, q->count, NULL, &l, &err), &err);
    const cg_match *x = find_match(&l, clip);
    CG_ASSERT(x != NULL);
    printf("%s re-encoded 320 wide, 300 kb/s, first %d s cut (%zu frames): query %.2f %%, "
           "target %.2f %%, best frame distance %d\n",
           clip, cut, q->count, x->query_percent, x->target_percent, x->distance);
    CG_ASSERT(find_match(&l, "pattern-sd-grey-bar") == NULL);
    cg_match_list_free(&l);
    cg_matcher_close(m);
    cg_pdq_hasher_destroy(h);
    cg_vpdq_destroy(q);
    cg_vpdq_destroy(orig);
    cg_vpdq_destroy(other);
}

/* ---- synthetic frame lists ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random video of n frames, quality 100. */
static void random_video(cg_vpdq_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&f[i], 0, sizeof(f[i]));
        for (int w = 0; w < 16; w++)
            f[i].hash.words[w] = (uint16_t)rnd();
        f[i].quality = 100;
        f[i].frame_number = i;
        f[i].timestamp = (float)i;
    }
}

static size_t lookup_n(cg_matcher *m, const cg_vpdq_frame *f, size_t n, cg_match_list *l)
{
    cg_error err;
    cg_match_list_free(l);
    CG_ASSERT_OK(cg_matcher_lookup_video(m, f, n, NULL, l, &err), &err);
    return l->n;
}

CG_TEST(vpdq_match_bank_changes_and_allow_list)
{
    cg_vpdq_frame a[20], b[20];
    const char *path = db_path("changes.db");
    cg_bankdb *db = open_rw(path);
    int64_t block = make_bank(db, "block", CG_BANK_BLOCK);
    cg_match_list l = {0};
    cg_error err;
    int64_t ida, idb, idb2;

    random_video(a, 20);
    random_video(b, 20);
    ida = add_frames(db, block, a, 20, "a");
    cg_matcher *m = open_matcher(path);
    CG_ASSERT_EQ(lookup_n(m, a, 20, &l), 1);
    CG_ASSERT_EQ(lookup_n(m, b, 20, &l), 0);

    /* A new video becomes visible after a refresh (through a rebuild). */
    idb = add_frames(db, block, b, 20, "b");
    CG_ASSERT_OK(cg_matcher_refresh(m, NULL, &err), &err);
    CG_ASSERT_EQ(lookup_n(m, b, 20, &l), 1);
    CG_ASSERT_EQ(l.v[0].signal_id, idb);
    CG_ASSERT_STR_EQ(l.v[0].external_id, "b");

    /* Half of a's frames: query 100 %, target 50 %; with target >= 60 % no match. */
    {
        cg_video_match_options o;
        cg_video_match_options_default(&o);
        cg_match_list_free(&l);
        CG_ASSERT_OK(cg_matcher_lookup_video(m, a, 10, &o, &l, &err), &err);
        CG_ASSERT_EQ(l.n, 1);
        CG_ASSERT(l.v[0].query_percent == 100.0 && l.v[0].target_percent == 50.0);
        o.target_percent = 60.0;
        cg_match_list_free(&l);
        CG_ASSERT_OK(cg_matcher_lookup_video(m, a, 10, &o, &l, &err), &err);
        CG_ASSERT_EQ(l.n, 0);
    }
    /* Low-quality query frames are dropped: 5 good of 20 frames, all a's, is 100 %. */
    {
        cg_vpdq_frame q[20];
        memcpy(q, a, sizeof(q));
        for (int i = 5; i < 20; i++)
            q[i].quality = 10;
        CG_ASSERT_EQ(lookup_n(m, q, 20, &l), 1);
        CG_ASSERT(l.v[0].query_percent == 100.0 && l.v[0].target_percent == 25.0);
    }

    /* Disable, enable, delete. */
    CG_ASSERT_OK(cg_bank_signal_set_disabled(db, ida, INT64_MAX, &err), &err);
    CG_ASSERT_OK(cg_matcher_refresh(m, NULL, &err), &err);
    CG_ASSERT_EQ(lookup_n(m, a, 20, &l), 0);
    CG_ASSERT_OK(cg_bank_signal_set_disabled(db, ida, 0, &err), &err);
    CG_ASSERT_OK(cg_matcher_refresh(m, NULL, &err), &err);
    CG_ASSERT_EQ(lookup_n(m, a, 20, &l), 1);
    CG_ASSERT_OK(cg_bank_signal_delete(db, ida, &err), &err);
    CG_ASSERT_OK(cg_matcher_refresh(m, NULL, &err), &err);
    CG_ASSERT_EQ(lookup_n(m, a, 20, &l), 0);
    CG_ASSERT_EQ(lookup_n(m, b, 20, &l), 1);

    /* The allow-list: b in an allow bank suppresses the block match. */
    int64_t allow = make_bank(db, "allow", CG_BANK_ALLOW);
    idb2 = add_frames(db, allow, b, 20, "b-allowed");
    CG_ASSERT_NE(idb2, idb);
    CG_ASSERT_OK(cg_matcher_refresh(m, NULL, &err), &err);
    CG_ASSERT_EQ(lookup_n(m, b, 20, &l), 2);
    for (size_t i = 0; i < l.n; i++)
        CG_ASSERT_EQ(l.v[i].suppressed, l.v[i].kind == CG_BANK_BLOCK);
    /* early_exit is ignored when an allow bank could match: still suppressed. */
    {
        cg_video_match_options o;
        cg_video_match_options_default(&o);
        o.early_exit = 1;
        cg_match_list_free(&l);
        CG_ASSERT_OK(cg_matcher_lookup_video(m, b, 20, &o, &l, &err), &err);
        CG_ASSERT_EQ(l.n, 2);
    }
    /* Only the block bank: a plain match. */
    {
        const char *only[] = {"block", NULL};
        cg_video_match_options o;
        cg_video_match_options_default(&o);
        o.banks = only;
        cg_match_list_free(&l);
        CG_ASSERT_OK(cg_matcher_lookup_video(m, b, 20, &o, &l, &err), &err);
        CG_ASSERT_EQ(l.n, 1);
        CG_ASSERT_EQ(l.v[0].suppressed, 0);
    }
    /* Deleting the bank removes its videos. */
    CG_ASSERT_OK(cg_bank_delete(db, "allow", &err), &err);
    CG_ASSERT_OK(cg_matcher_refresh(m, NULL, &err), &err);
    CG_ASSERT_EQ(lookup_n(m, b, 20, &l), 1);
    CG_ASSERT_EQ(l.v[0].suppressed, 0);
    cg_match_list_free(&l);
    cg_matcher_close(m);
    cg_bankdb_close(db);
}

/* Writes text to a file and imports it into bank; returns the report. */
static cg_import_report import_text(cg_bankdb *db, int64_t bank, const char *text,
                                    cg_list_format fmt, char *rejects, size_t cap);

typedef struct reject_log {
    char *buf;
    size_t cap;
} reject_log;

static void on_reject(uint64_t line, const char *reason, void *ud)
{
    reject_log *r = ud;
    size_t n = strlen(r->buf);
    snprintf(r->buf + n, r->cap - n, "%llu: %s\n", (unsigned long long)line, reason);
}

static cg_import_report import_text(cg_bankdb *db, int64_t bank, const char *text,
                                    cg_list_format fmt, char *rejects, size_t cap)
{
    cg_import_options o;
    cg_import_report rep;
    reject_log rl = {rejects, cap};
    cg_error err;
    FILE *f = fmemopen((void *)text, strlen(text), "r");

    CG_ASSERT(f != NULL);
    memset(&o, 0, sizeof(o));
    o.format = fmt;
    o.on_reject = on_reject;
    o.ud = &rl;
    rejects[0] = '\0';
    CG_ASSERT_OK(cg_bank_import(db, bank, f, &o, &rep, &err), &err);
    fclose(f);
    return rep;
}

static char *export_text(cg_bankdb *db, int64_t bank, cg_list_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    cg_error err;
    FILE *f = open_memstream(&buf, &len);

    CG_ASSERT(f != NULL);
    CG_ASSERT_OK(cg_bank_export(db, bank, f, fmt, &err), &err);
    fclose(f);
    return buf;
}

CG_TEST(vpdq_bank_import_export_round_trip)
{
    const cg_list_format fmts[] = {CG_LIST_CSV, CG_LIST_TSV, CG_LIST_JSONL, CG_LIST_LINES};
    cg_vpdq_frame a[7], b[3];
    const char *path = db_path("io.db");
    cg_bankdb *db = open_rw(path);
    int64_t src = make_bank(db, "src", CG_BANK_BLOCK);
    char rejects[4096];
    cg_error err;

    random_video(a, 7);
    random_video(b, 3);
    a[2].quality = 30; /* kept at storage: the quality filter is a matching rule */
    a[3].timestamp = 3.25f;
    add_frames(db, src, a, 7, "a");
    add_frames(db, src, b, 3, "b");
    for (size_t k = 0; k < sizeof(fmts) / sizeof(fmts[0]); k++) {
        char name[16];
        snprintf(name, sizeof(name), "dst%zu", k);
        int64_t dst = make_bank(db, name, CG_BANK_BLOCK);
        char *text = export_text(db, src, fmts[k]);
        cg_import_report rep = import_text(db, dst, text, fmts[k], rejects, sizeof(rejects));
        CG_ASSERT_STR_EQ(rejects, "");
        CG_ASSERT_EQ(rep.added, 2);
        /* The same signals: identity and frames. */
        char *again = export_text(db, dst, fmts[k]);
        if (fmts[k] == CG_LIST_LINES)
            CG_ASSERT_STR_EQ(again, text);
        free(again);
        free(text);
        uint8_t id[32];
        cg_bank_signal s;
        CG_ASSERT_OK(cg_bank_vpdq_identity(a, 7, id), NULL);
        CG_ASSERT_OK(cg_bank_signal_find(db, dst, cg_signal_type_find("vpdq"), id, &s, &err),
                     &err);
        if (fmts[k] != CG_LIST_LINES)
            CG_ASSERT_STR_EQ(s.external_id, "a");
    }
    /* HMA's own form (json.dumps: ", " separators) in a JSONL signal, and a JSON list value. */
    {
        char hex[CG_PDQ_HEX_LEN + 1], text[2048], *fmt_text = NULL;
        int64_t dst = make_bank(db, "hma", CG_BANK_BLOCK);
        cg_pdq_to_hex(&b[0].hash, hex);
        snprintf(text, sizeof(text),
                 "{\"signal_type\": \"vpdq\", \"signal\": \"[\\\"%s,100,0.0\\\", \\\"%s,99,1.0\\\"]\"}\n",
                 hex, hex);
        cg_import_report rep = import_text(db, dst, text, CG_LIST_JSONL, rejects,
                                           sizeof(rejects));
        CG_ASSERT_STR_EQ(rejects, "");
        CG_ASSERT_EQ(rep.added, 1);
        CG_ASSERT_OK(cg_vpdq_format_json(b, 3, &fmt_text, NULL), NULL);
        snprintf(text, sizeof(text), "{\"signal_type\":\"HASH_VIDEO_VPDQ\",\"signal\":%s}\n",
                 fmt_text);
        cg_free(fmt_text);
        rep = import_text(db, dst, text, CG_LIST_JSONL, rejects, sizeof(rejects));
        CG_ASSERT_STR_EQ(rejects, "");
        CG_ASSERT_EQ(rep.added, 1);
    }
    cg_bankdb_close(db);
}

CG_TEST(vpdq_bank_import_malformed_lines)
{
    const char *path = db_path("bad.db");
    cg_bankdb *db = open_rw(path);
    int64_t bank = make_bank(db, "bad", CG_BANK_BLOCK);
    char rejects[4096];
    const char *h = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";
    char text[4096];

    snprintf(text, sizeof(text),
             "signal_type,signal\n"
             "vpdq,\"[\"\"%s,100,0.000\"\"]\"\n"        /* 2: good */
             "vpdq,\"[\"\"%s,101,0.000\"\"]\"\n"        /* 3: quality */
             "vpdq,\"[\"\"%s,100\"\"]\"\n"              /* 4: fields */
             "vpdq,\"[\"\"%.60s,100,0.000\"\"]\"\n"     /* 5: short hash */
             "vpdq,\"[]\"\n"                            /* 6: empty */
             "vpdq,not json\n"                          /* 7: not JSON */
             "vpdq,\"[\"\"%s,100,0.000\"\",\"\"%s,100,-1\"\"]\"\n" /* 8: timestamp, frame 2 */
             "vpdq,\"[\"\"%s,100,0.000\"\"]\"\n",       /* 9: merged with 2 */
             h, h, h, h, h, h, h);
    cg_import_report rep = import_text(db, bank, text, CG_LIST_CSV, rejects, sizeof(rejects));
    printf("%s", rejects);
    CG_ASSERT_EQ(rep.added, 1);
    CG_ASSERT_EQ(rep.merged, 1);
    CG_ASSERT_EQ(rep.rejected, 6);
    CG_ASSERT(strstr(rejects, "3: vpdq frame 1: quality must be 0..100\n") != NULL);
    CG_ASSERT(strstr(rejects, "4: vpdq frame 1: expected") != NULL);
    CG_ASSERT(strstr(rejects, "5: vpdq frame 1: bad PDQ hash") != NULL);
    CG_ASSERT(strstr(rejects, "6: vpdq: empty frame list\n") != NULL);
    CG_ASSERT(strstr(rejects, "7: vpdq: not a JSON list") != NULL);
    CG_ASSERT(strstr(rejects, "8: vpdq frame 2: bad timestamp") != NULL);
    cg_bankdb_close(db);
}
