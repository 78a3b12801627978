/* vPDQ and video decoding (include/childguard/vpdq.h, video.h).
 *
 * Conformance over the vPDQ vectors (../shared/testdata/vpdq when it is there, else the compact
 * set in tests/vectors/vpdq; READMEs there): every video is hashed at its own size and at 128x128
 * and compared line by line with expected/generated-s0 and generated-s128 (made by the reference
 * vpdq-hash-video on the same FFmpeg 5.1 libav*), then with the upstream sample hashes (distance
 * < 31 where both qualities >= 50, the upstream test's rule). One CTest case per video and size
 * keeps each under the timeout in sanitizer builds; a missing vector fails, never skips.
 *
 * Bad inputs: truncated, empty, random, audio-only and huge-dimension files (the last two made
 * with the ffmpeg CLI at test time, skipped with a message when it is not on PATH), and each
 * limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_test.h"
#include "childguard.h"

#define MAX_LINES 4096

typedef struct lines {
    char *buf;
    char *line[MAX_LINES];
    size_t n;
} lines;

/* The vPDQ vectors: ../shared/testdata/vpdq (14 videos) or the compact set in tests/vectors
 * (two videos, every generated-s0 text). */
static const char *vpdq_dir(void)
{
    static char dir[2048];

    snprintf(dir, sizeof(dir), "%.2000s/vpdq", cg_test_vectors_dir(NULL));
    return dir;
}

/* Splits a text into lines (no trailing empty line); 0 when the file is missing. */
static int split_lines(char *text, lines *l)
{
    char *p = text;

    l->buf = text;
    l->n = 0;
    while (*p != '\0' && l->n < MAX_LINES) {
        char *nl = strchr(p, '\n');

        l->line[l->n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return 1;
}

static int read_lines(const char *path, lines *l)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *text;

    if (cg_content_read_file(path, 64u << 20, &data, &len, NULL) != CG_OK)
        return 0;
    text = malloc(len + 1);
    CG_ASSERT(text != NULL);
    memcpy(text, data, len);
    text[len] = '\0';
    cg_free(data);
    return split_lines(text, l);
}

static void free_lines(lines *l)
{
    free(l->buf);
    l->buf = NULL;
    l->n = 0;
}

/* Hashes videos/NAME.mp4 at size (0 = native) into text lines. */
static cg_vpdq *hash_video(const char *dir, const char *name, uint32_t size, double rate)
{
    char path[4096];
    cg_vpdq_options opt;
    cg_pdq_hasher *h = NULL;
    cg_vpdq *v = NULL;
    cg_error err = {0};

    snprintf(path, sizeof(path), "%s/videos/%s.mp4", dir, name);
    if (access(path, R_OK) != 0)
        cg_test_fail(__FILE__, __LINE__, "%s is missing", path);
    cg_video_set_ffmpeg_quiet(1);
    cg_vpdq_options_default(&opt);
    opt.width = opt.height = size;
    opt.seconds_per_hash = rate;
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    CG_ASSERT_OK(cg_vpdq_hash_video_file(path, &opt, h, &v, &err), &err);
    cg_pdq_hasher_destroy(h);
    return v;
}

/* The fields of one reference line; 0 when malformed. */
static int line_fields(const char *line, unsigned long *frame, int *quality, cg_pdq *hash)
{
    char hex[65];

    if (sscanf(line, "%lu,%d,%64[0-9a-f],", frame, quality, hex) != 3)
        return 0;
    return cg_pdq_from_hex(hex, 64, hash) == CG_OK;
}

/* Compares our lines with the generated vectors: prints how many lines are identical and, for
 * the others, the Hamming distance. Returns the number of non-identical lines; asserts frame
 * numbers, qualities and timestamps agree and distances stay <= max_dist. */
static size_t compare_generated(const char *what, const lines *ours, const lines *ref,
                                int max_dist)
{
    size_t same = 0, n = ours->n < ref->n ? ours->n : ref->n;
    int worst = 0;

    CG_ASSERT_EQ(ours->n, ref->n);
    for (size_t i = 0; i < n; i++) {
        unsigned long fa, fb;
        int qa, qb, d;
        cg_pdq ha, hb;

        if (strcmp(ours->line[i], ref->line[i]) == 0) {
            same++;
            continue;
        }
        CG_ASSERT(line_fields(ours->line[i], &fa, &qa, &ha));
        CG_ASSERT(line_fields(ref->line[i], &fb, &qb, &hb));
        CG_ASSERT_EQ(fa, fb);
        CG_ASSERT_STR_EQ(strrchr(ours->line[i], ','), strrchr(ref->line[i], ','));
        d = cg_pdq_distance(&ha, &hb);
        printf("  %s frame %lu: quality %d vs %d, distance %d\n", what, fa, qa, qb, d);
        if (d > worst)
            worst = d;
        CG_ASSERT_LE(d, max_dist);
    }
    printf("%s: %zu/%zu lines identical to generated (worst distance %d)\n", what, same,
           ref->n, worst);
    return ref->n - same;
}

/* The upstream rule: every frame in both lists with both qualities >= 50 is within 30 bits. */
static void compare_upstream(const char *what, const cg_vpdq *v, const lines *up)
{
    size_t checked = 0, same = 0;
    int worst = 0;

    for (size_t i = 0; i < up->n; i++) {
        unsigned long f;
        int q;
        cg_pdq h;

        CG_ASSERT(line_fields(up->line[i], &f, &q, &h));
        if (f >= v->count)
            continue;
        CG_ASSERT_EQ(v->frames[f].frame_number, f);
        if (q < 50 || v->frames[f].quality < 50)
            continue;
        {
            int d = cg_pdq_distance(&h, &v->frames[f].hash);

            checked++;
            same += d == 0;
            if (d > worst)
                worst = d;
            CG_ASSERT_LT(d, 31);
        }
    }
    printf("%s: upstream %zu frames compared (both q>=50), %zu identical, max distance %d\n",
           what, checked, same, worst);
    CG_ASSERT_GT(checked, 0);
}

static void conformance(const char *name, uint32_t size)
{
    const char *dir = vpdq_dir();
    char path[4096], what[256];
    lines ref = {0}, ours = {0}, up = {0};
    cg_vpdq *v;
    char *text = NULL;
    size_t bad;

    snprintf(path, sizeof(path), "%s/expected/generated-s%u/%s%s.txt", dir, size, name,
             size ? "-128x128" : "");
    if (!read_lines(path, &ref))
        cg_test_fail(__FILE__, __LINE__, "%s is missing", path);
    v = hash_video(dir, name, size, 0);
    CG_ASSERT_OK(cg_vpdq_format(v, &text, NULL), NULL);
    split_lines(text, &ours);
    snprintf(what, sizeof(what), "%s s%u", name, size);
    bad = compare_generated(what, &ours, &ref, 0);
    CG_ASSERT_EQ(bad, 0);
    snprintf(path, sizeof(path), "%s/expected/upstream-sample-hashes/%s%s.txt", dir, name,
             size ? "-128x128" : "");
    if (read_lines(path, &up)) {
        compare_upstream(what, v, &up);
        free_lines(&up);
    }
    ours.buf = NULL; /* text is the library's */
    cg_free(text);
    free_lines(&ref);
    cg_vpdq_destroy(v);
}

/* One case per video and size: tests/CMakeLists.txt registers "vpdq_conformance NAME SIZE" for
 * every video of the vector set the tests read. */
CG_TEST_PARAM(vpdq_conformance)
{
    const char *name = cg_test_arg(0), *size = cg_test_arg(1);

    if (name == NULL || size == NULL)
        cg_test_fail(__FILE__, __LINE__, "usage: vpdq_conformance VIDEO SIZE");
    conformance(name, (uint32_t)atoi(size));
}

/* -r 1 keeps the generated-s0 lines whose frame number is a multiple of (int)(1 * 30). */
CG_TEST(vpdq_sampling_rate)
{
    const char *dir = vpdq_dir();
    char path[4096];
    lines ref = {0};
    cg_vpdq *v = hash_video(dir, "test-padded-dimensions", 0, 1.0);
    size_t k = 0;

    snprintf(path, sizeof(path), "%s/expected/generated-s0/test-padded-dimensions.txt", dir);
    if (!read_lines(path, &ref))
        cg_test_fail(__FILE__, __LINE__, "%s is missing", path);
    CG_ASSERT_EQ(v->frames_decoded, 150);
    for (size_t i = 0; i < ref.n; i++) {
        char line[CG_VPDQ_LINE_MAX];

        if (i % 30 != 0)
            continue;
        CG_ASSERT(k < v->count);
        CG_ASSERT(cg_vpdq_format_line(&v->frames[k++], line, sizeof(line)) > 0);
        CG_ASSERT_STR_EQ(line, ref.line[i]);
    }
    CG_ASSERT_EQ(k, v->count);
    CG_ASSERT_EQ(k, 5);
    free_lines(&ref);
    cg_vpdq_destroy(v);
}

/* The text parser reads the reference files back and the writer reproduces them byte for byte;
 * matching a video with itself gives 100 %, with an unrelated one much less. */
CG_TEST(vpdq_parse_format_match)
{
    const char *dir = vpdq_dir();
    const char *names[2] = {"chair-22-sd-grey-bar", "pattern-sd-grey-bar"};
    cg_vpdq *v[2] = {NULL, NULL};
    cg_vpdq_match_result m;
    cg_error err = {0};

    for (int i = 0; i < 2; i++) {
        char path[4096];
        uint8_t *data = NULL;
        size_t len = 0, out_len = 0;
        char *out = NULL;

        snprintf(path, sizeof(path), "%s/expected/generated-s0/%s.txt", dir, names[i]);
        if (cg_content_read_file(path, 64u << 20, &data, &len, NULL) != CG_OK)
            cg_test_fail(__FILE__, __LINE__, "%s is missing", path);
        CG_ASSERT_OK(cg_vpdq_parse((const char *)data, len, 0, &v[i], &err), &err);
        CG_ASSERT_OK(cg_vpdq_format(v[i], &out, &out_len), NULL);
        CG_ASSERT_EQ(out_len, len);
        CG_ASSERT(memcmp(out, data, len) == 0);
        cg_free(out);
        cg_free(data);
    }
    CG_ASSERT_OK(cg_vpdq_match(v[0], v[0], CG_VPDQ_DISTANCE_TOLERANCE,
                               CG_VPDQ_QUALITY_TOLERANCE, 1, &m), NULL);
    CG_ASSERT(m.query_percent == 100.0 && m.target_percent == 100.0);
    CG_ASSERT(cg_vpdq_is_match(&m, CG_VPDQ_QUERY_MATCH_PERCENT, CG_VPDQ_TARGET_MATCH_PERCENT));
    CG_ASSERT_OK(cg_vpdq_match(v[0], v[1], CG_VPDQ_DISTANCE_TOLERANCE,
                               CG_VPDQ_QUALITY_TOLERANCE, 0, &m), NULL);
    printf("chair vs pattern: query %.2f %% target %.2f %%\n", m.query_percent,
           m.target_percent);
    CG_ASSERT(!cg_vpdq_is_match(&m, CG_VPDQ_QUERY_MATCH_PERCENT, CG_VPDQ_TARGET_MATCH_PERCENT));
    cg_vpdq_destroy(v[1]);
    /* Malformed text names the line. */
    CG_ASSERT_EQ(cg_vpdq_parse("0,100,zz,0.000\n", 15, 0, &v[1], &err) == CG_OK, 0);
    CG_ASSERT(strstr(err.message, "line 1") != NULL);
    CG_ASSERT(v[1] == NULL);
    CG_ASSERT_EQ(cg_vpdq_parse("", 0, 0, &v[1], &err), CG_E_INVAL);
    cg_vpdq_destroy(v[0]);
}

/* One parser for both text forms: the reference's file read back as the exchange form gives the
 * same frames; both forms share the field rules (python-threatexchange's "1e+02" seconds, the
 * quality range, the hex length) and name the place of an error. */
CG_TEST(vpdq_text_forms)
{
    const char *dir = vpdq_dir();
    char path[4096];
    uint8_t *data = NULL;
    size_t len = 0, jlen = 0;
    char *json = NULL;
    cg_vpdq *a = NULL, *b = NULL;
    cg_error err = {0};
    const char *hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    char text[512];

    snprintf(path, sizeof(path), "%s/expected/generated-s0/chair-22-sd-grey-bar.txt", dir);
    if (cg_content_read_file(path, 64u << 20, &data, &len, NULL) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "%s is missing", path);
    CG_ASSERT_OK(cg_vpdq_parse((const char *)data, len, 0, &a, &err), &err);
    CG_ASSERT_OK(cg_vpdq_format_json(a->frames, a->count, &json, &jlen), NULL);
    CG_ASSERT(json[0] == '[' && json[jlen - 1] == ']');
    CG_ASSERT_OK(cg_vpdq_parse(json, jlen, 0, &b, &err), &err);
    CG_ASSERT_EQ(b->count, a->count);
    for (size_t i = 0; i < a->count; i++) {
        CG_ASSERT(memcmp(&a->frames[i].hash, &b->frames[i].hash, sizeof(cg_pdq)) == 0);
        CG_ASSERT_EQ(a->frames[i].quality, b->frames[i].quality);
        CG_ASSERT(a->frames[i].timestamp == b->frames[i].timestamp);
        CG_ASSERT_EQ(b->frames[i].frame_number, i); /* the exchange form has none */
    }
    cg_vpdq_destroy(b);
    cg_free(json);
    cg_free(data);
    cg_vpdq_destroy(a);

    /* python-threatexchange's "{:.3}" seconds, read in both forms, elements of both kinds */
    snprintf(text, sizeof(text), "7,90,%s,1e+02\r\n\n", hex);
    CG_ASSERT_OK(cg_vpdq_parse(text, strlen(text), 0, &a, &err), &err);
    CG_ASSERT(a->count == 1 && a->frames[0].frame_number == 7 && a->frames[0].quality == 90 &&
              a->frames[0].timestamp == 100.0f);
    snprintf(text, sizeof(text), " \n[\"%s,90,1e+02\", \"3,80,%s,0.5\"]", hex, hex);
    CG_ASSERT_OK(cg_vpdq_parse(text, strlen(text), 0, &b, &err), &err);
    CG_ASSERT(b->count == 2 && b->frames[0].timestamp == 100.0f && b->frames[0].frame_number == 0);
    CG_ASSERT(b->frames[1].frame_number == 3 && b->frames[1].quality == 80);
    CG_ASSERT(memcmp(&a->frames[0].hash, &b->frames[0].hash, sizeof(cg_pdq)) == 0);
    cg_vpdq_destroy(a);
    cg_vpdq_destroy(b);

    struct {
        const char *fmt, *why;
        cg_status st;
    } bad[] = {
        {"0,101,%s,0.0\n", "vpdq line 1: quality must be 0..100", CG_E_INVAL},
        {"0,100,%s,0.0\n\n0,100,%s,-1\n", "vpdq line 3: bad timestamp", CG_E_INVAL},
        {"0,100,%s,+1\n", "vpdq line 1: bad timestamp", CG_E_INVAL},
        {"0,100,%s,nan\n", "vpdq line 1: bad timestamp", CG_E_INVAL},
        {"0,100,%s,1e10\n", "vpdq line 1: bad timestamp", CG_E_INVAL},
        {"0,100,%s,0.0,9\n", "vpdq line 1: expected", CG_E_INVAL},
        {"0,100,%s\n", "vpdq line 1: bad PDQ hash", CG_E_INVAL},
        {"x,100,%s,0.0\n", "vpdq line 1: bad frame number", CG_E_INVAL},
        {"[\"%s,100,0.0\",\"%s,100\"]", "vpdq frame 2: expected", CG_E_INVAL},
        {"[\"%s,100,0.0\", 7]", "vpdq frame 2: not a string", CG_E_INVAL},
        {"[\"%s,100,0.0\"] x", "vpdq: not a JSON list", CG_E_INVAL},
        {"[]", "vpdq: empty frame list", CG_E_INVAL},
        {"\r\n\n", "vpdq: empty frame list", CG_E_INVAL},
        {"[\"%s,100,0.0\",\"%s,100,0.0\",\"%s,100,0.0\"]", "vpdq: 3 frames, more than",
         CG_E_LIMIT},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), bad[i].fmt, hex, hex, hex);
        a = (cg_vpdq *)&err; /* must be reset to NULL on failure */
        CG_ASSERT_EQ(cg_vpdq_parse(text, strlen(text), 2, &a, &err), bad[i].st);
        CG_ASSERT(a == NULL);
        if (strstr(err.message, bad[i].why) == NULL)
            cg_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not say \"%s\"", i,
                         err.message, bad[i].why);
    }
}

static void make_clip(const char *args, const char *file, char *path, size_t n);

/* A clip and a re-edit of it (grey, half size, re-encoded at a low bit rate by the ffmpeg CLI)
 * match with the reference's thresholds; an unrelated clip does not. */
CG_TEST(vpdq_match_variants)
{
    const char *dir = vpdq_dir();
    char src[4300], edit[4300], args[9000];
    cg_vpdq *a = hash_video(dir, "doorknob-hd-no-bar", 128, 0.5);
    cg_vpdq *c = hash_video(dir, "test-padded-dimensions", 128, 0.5);
    cg_vpdq *b = NULL;
    cg_vpdq_options opt;
    cg_pdq_hasher *h = NULL;
    cg_vpdq_match_result m;
    cg_error err = {0};

    snprintf(src, sizeof(src), "%s/videos/doorknob-hd-no-bar.mp4", dir);
    snprintf(args, sizeof(args),
             "-i '%s' -vf hue=s=0,scale=iw/2:-2 -c:v libx264 -b:v 200k -an", src);
    make_clip(args, "edit.mp4", edit, sizeof(edit));
    cg_vpdq_options_default(&opt);
    opt.width = opt.height = 128;
    opt.seconds_per_hash = 0.5;
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    CG_ASSERT_OK(cg_vpdq_hash_video_file(edit, &opt, h, &b, &err), &err);
    CG_ASSERT_OK(cg_vpdq_match(a, b, CG_VPDQ_DISTANCE_TOLERANCE, CG_VPDQ_QUALITY_TOLERANCE, 1,
                               &m), NULL);
    printf("doorknob vs grey half-size re-encode: query %.2f %% target %.2f %% (%zu / %zu)\n",
           m.query_percent, m.target_percent, m.query_frames, m.target_frames);
    CG_ASSERT(cg_vpdq_is_match(&m, CG_VPDQ_QUERY_MATCH_PERCENT, CG_VPDQ_TARGET_MATCH_PERCENT));
    CG_ASSERT_OK(cg_vpdq_match(c, b, CG_VPDQ_DISTANCE_TOLERANCE, CG_VPDQ_QUALITY_TOLERANCE, 0,
                               &m), NULL);
    printf("padded clip vs the re-encode: query %.2f %%\n", m.query_percent);
    CG_ASSERT(!cg_vpdq_is_match(&m, CG_VPDQ_QUERY_MATCH_PERCENT, CG_VPDQ_TARGET_MATCH_PERCENT));
    cg_vpdq_destroy(a);
    cg_vpdq_destroy(b);
    cg_vpdq_destroy(c);
    cg_pdq_hasher_destroy(h);
}

/* Reads a vector video into memory (caller frees with cg_free). */
static uint8_t *read_video(const char *name, size_t *len)
{
    char path[4096];
    uint8_t *data = NULL;

    snprintf(path, sizeof(path), "%s/videos/%s.mp4", vpdq_dir(), name);
    if (cg_content_read_file(path, 64u << 20, &data, len, NULL) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "%s is missing", path);
    return data;
}

/* Memory input (custom AVIOContext) gives the same hashes as the file path. */
CG_TEST(vpdq_memory_equals_file)
{
    size_t len = 0;
    uint8_t *data = read_video("test-padded-dimensions", &len);
    cg_vpdq *f = hash_video(vpdq_dir(), "test-padded-dimensions", 0, 0.5);
    cg_vpdq_options opt;
    cg_pdq_hasher *h = NULL;
    cg_vpdq *m = NULL;
    cg_error err = {0};

    cg_vpdq_options_default(&opt);
    opt.seconds_per_hash = 0.5;
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    CG_ASSERT_OK(cg_vpdq_hash_video_mem(data, len, "padded", &opt, h, &m, &err), &err);
    CG_ASSERT_EQ(m->count, f->count);
    CG_ASSERT_EQ(m->count, 10);
    for (size_t i = 0; i < m->count; i++) {
        CG_ASSERT_EQ(cg_pdq_distance(&m->frames[i].hash, &f->frames[i].hash), 0);
        CG_ASSERT_EQ(m->frames[i].frame_number, f->frames[i].frame_number);
    }
    cg_vpdq_destroy(m);
    cg_vpdq_destroy(f);
    cg_pdq_hasher_destroy(h);
    cg_free(data);
}

/* Runs the memory hasher and expects status want with a message containing needle. */
static void expect_mem_error(const uint8_t *data, size_t len, const char *name,
                             const cg_vpdq_options *opt, cg_status want, const char *needle)
{
    cg_pdq_hasher *h = NULL;
    cg_vpdq *v = NULL;
    cg_error err = {0};
    cg_status st;

    cg_video_set_ffmpeg_quiet(1);
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    st = cg_vpdq_hash_video_mem(data, len, name, opt, h, &v, &err);
    printf("%s: %s: %s\n", name, cg_status_name(st), err.message);
    CG_ASSERT_STR_EQ(cg_status_name(st), cg_status_name(want));
    CG_ASSERT(v == NULL);
    CG_ASSERT(strstr(err.message, name) != NULL);
    if (needle != NULL)
        CG_ASSERT(strstr(err.message, needle) != NULL);
    cg_pdq_hasher_destroy(h);
}

CG_TEST(video_bad_truncated_empty_random)
{
    size_t len = 0;
    uint8_t *data = read_video("doorknob-hd-no-bar", &len);
    uint8_t *rnd = malloc(65536);
    uint32_t x = 12345;

    /* Cut in the middle of the media data: the header is intact, decoding fails part-way. */
    expect_mem_error(data, len / 2, "half.mp4", NULL, CG_E_DECODE, "truncated");
    /* Cut inside the header. */
    expect_mem_error(data, 1000, "head.mp4", NULL, CG_E_DECODE, "truncated");
    expect_mem_error(data, 0, "empty.mp4", NULL, CG_E_DECODE, "empty");
    CG_ASSERT(rnd != NULL);
    for (size_t i = 0; i < 65536; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (uint8_t)(x >> 24);
    }
    expect_mem_error(rnd, 65536, "random.bin", NULL, CG_E_DECODE, NULL);
    free(rnd);
    cg_free(data);
}

CG_TEST(video_limits)
{
    size_t len = 0;
    uint8_t *data = read_video("doorknob-hd-no-bar", &len);
    cg_vpdq_options opt;

    cg_vpdq_options_default(&opt);
    opt.limits.max_frames = 10;
    expect_mem_error(data, len, "frames.mp4", &opt, CG_E_LIMIT, "more than 10 frames");
    cg_vpdq_options_default(&opt);
    opt.limits.max_duration_s = 1;
    expect_mem_error(data, len, "long.mp4", &opt, CG_E_LIMIT, "over the limit of 1 s");
    cg_vpdq_options_default(&opt);
    opt.limits.max_side = 640;
    expect_mem_error(data, len, "wide.mp4", &opt, CG_E_LIMIT, "per side");
    cg_vpdq_options_default(&opt);
    opt.limits.max_pixels = 1000;
    expect_mem_error(data, len, "pixels.mp4", &opt, CG_E_LIMIT, "pixels");
    cg_vpdq_options_default(&opt);
    opt.limits.timeout_s = 1e-6;
    expect_mem_error(data, len, "slow.mp4", &opt, CG_E_LIMIT, "timeout");
    cg_free(data);
}

/* Makes a clip with the ffmpeg CLI in the case's temporary directory; skips without it. */
static void make_clip(const char *args, const char *file, char *path, size_t n)
{
    char cmd[8192];

    if (system("command -v ffmpeg >/dev/null 2>&1") != 0)
        CG_SKIP("ffmpeg CLI not on PATH (scripts/install-deps.sh installs it)");
    snprintf(path, n, "%s/%s", cg_test_tmpdir(), file);
    snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -y %s '%s'", args, path);
    CG_ASSERT_EQ(system(cmd), 0);
}

static void expect_file_error(const char *path, const cg_vpdq_options *opt, cg_status want,
                              const char *needle)
{
    cg_pdq_hasher *h = NULL;
    cg_vpdq *v = NULL;
    cg_error err = {0};
    cg_status st;

    cg_video_set_ffmpeg_quiet(1);
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    st = cg_vpdq_hash_video_file(path, opt, h, &v, &err);
    printf("%s: %s\n", cg_status_name(st), err.message);
    CG_ASSERT_STR_EQ(cg_status_name(st), cg_status_name(want));
    CG_ASSERT(v == NULL);
    CG_ASSERT(strstr(err.message, path) != NULL);
    CG_ASSERT(strstr(err.message, needle) != NULL);
    cg_pdq_hasher_destroy(h);
}

CG_TEST(video_bad_audio_only)
{
    char path[4096];

    make_clip("-f lavfi -i sine=duration=1 -c:a aac", "audio.m4a", path, sizeof(path));
    expect_file_error(path, NULL, CG_E_UNSUPPORTED, "no video stream");
}

CG_TEST(video_bad_huge_dimensions)
{
    char path[4096];

    make_clip("-f lavfi -i testsrc2=size=8208x64:duration=0.2 -c:v libx264 -pix_fmt yuv420p",
              "huge.mp4", path, sizeof(path));
    expect_file_error(path, NULL, CG_E_LIMIT, "over the limit of 8192 per side");
}

/* A playlist names other files (or URLs) for FFmpeg to open: hashing one would read whatever it
 * names and hand back its frame hashes. Only the containers the sniffer knows are demuxed, from a
 * file (read through the file protocol only) or from memory; the playlist is refused as not a
 * video, and the file it names is never opened. (Before the demuxer whitelist, the file below
 * hashed as the doorknob clip it names.) */
CG_TEST(video_playlist_not_followed)
{
    char seg[4300], list[4300], link[4300];
    size_t len = 0;
    uint8_t *data = read_video("doorknob-hd-no-bar", &len);
    const char *names[] = {"seg.mp4", "seg.ts", "seg"};
    FILE *f;

    snprintf(seg, sizeof(seg), "%s/seg.mp4", cg_test_tmpdir());
    f = fopen(seg, "wb");
    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
    for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(link, sizeof(link), "%s/%s", cg_test_tmpdir(), names[i]);
        CG_ASSERT_EQ(symlink(seg, link), 0);
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[512];
        int n = snprintf(text, sizeof(text),
                         "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n%s\n#EXT-X-ENDLIST\n",
                         names[i]);

        snprintf(list, sizeof(list), "%s/list%zu.m3u8", cg_test_tmpdir(), i);
        f = fopen(list, "wb");
        CG_ASSERT(f != NULL);
        CG_ASSERT_EQ(fwrite(text, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        expect_file_error(list, NULL, CG_E_DECODE, "not a video");
        expect_mem_error((const uint8_t *)text, (size_t)n, "list.m3u8", NULL, CG_E_DECODE,
                         "not a video");
    }
    snprintf(list, sizeof(list), "%s/list.ffconcat", cg_test_tmpdir());
    f = fopen(list, "wb");
    CG_ASSERT(f != NULL);
    fprintf(f, "ffconcat version 1.0\nfile seg.mp4\n");
    fclose(f);
    expect_file_error(list, NULL, CG_E_DECODE, "not a video");
    cg_free(data);
}

CG_TEST(video_missing_file)
{
    expect_file_error("/nonexistent/dir/clip.mp4", NULL, CG_E_IO, "cannot open");
}

/* Other containers and codecs decode through the same path (WebM/VP9 here). */
CG_TEST(video_webm_and_frames)
{
    char path[4096];
    cg_video_options opt;
    cg_video *v = NULL;
    cg_video_frame f;
    cg_error err = {0};
    int done = 0, n = 0;

    make_clip("-f lavfi -i testsrc2=size=160x120:rate=10:duration=1 -c:v libvpx-vp9",
              "clip.webm", path, sizeof(path));
    cg_video_options_default(&opt);
    opt.sample_every = 3;
    opt.out_width = 64;
    opt.out_height = 32;
    CG_ASSERT_OK(cg_video_open_file(path, &opt, &v, &err), &err);
    CG_ASSERT_EQ(cg_video_get_info(v)->width, 160);
    CG_ASSERT(cg_video_get_info(v)->frame_rate == 10.0);
    for (;;) {
        CG_ASSERT_OK(cg_video_next(v, &f, &done, &err), &err);
        if (done)
            break;
        CG_ASSERT_EQ(f.index, 3 * (uint64_t)n);
        CG_ASSERT_EQ(f.width, 64);
        CG_ASSERT_EQ(f.height, 32);
        CG_ASSERT(f.stride >= 3 * 64);
        n++;
    }
    CG_ASSERT_EQ(n, 4); /* frames 0, 3, 6, 9 of 10 */
    CG_ASSERT_EQ(cg_video_frames_decoded(v), 10);
    CG_ASSERT_OK(cg_video_next(v, &f, &done, &err), &err);
    CG_ASSERT_EQ(done, 1);
    cg_video_close(v);
    cg_video_close(NULL);
}

CG_TEST(video_sniff)
{
    static const uint8_t mp4[] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm',
                                  0, 0, 2, 0, 'i', 's', 'o', 'm', 'a', 'v', 'c', '1'};
    static const uint8_t heic[] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c',
                                   0, 0, 0, 0, 'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'};
    static const uint8_t mkv[] = {0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81};
    static const uint8_t avi[] = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'A', 'V', 'I', ' '};
    static const uint8_t webp[] = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'W', 'E', 'B', 'P'};
    static const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};

    CG_ASSERT_STR_EQ(cg_video_sniff(mp4, sizeof(mp4)), "mp4");
    CG_ASSERT(cg_video_sniff(heic, sizeof(heic)) == NULL);
    CG_ASSERT_STR_EQ(cg_video_sniff(mkv, sizeof(mkv)), "webm");
    CG_ASSERT_STR_EQ(cg_video_sniff(avi, sizeof(avi)), "avi");
    CG_ASSERT(cg_video_sniff(webp, sizeof(webp)) == NULL);
    CG_ASSERT(cg_video_sniff(jpg, sizeof(jpg)) == NULL);
    CG_ASSERT(cg_video_sniff(mp4, 7) == NULL);
    CG_ASSERT(cg_video_sniff(NULL, 0) == NULL);
}
