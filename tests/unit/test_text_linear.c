/* The linear text classifier: features, training on a synthetic labelled set, save/load round
 * trips, corrupt model files, the data readers (JSONL, fastText, PAN-2012) and allocation
 * failures. All data are generated here: benign synthetic sentences about sports and weather. */
#include "cg_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/status.h"
#include "childguard/textmodel.h"
#include "common/alloc.h"
#include "text/linear.h"

/* ---- synthetic data ----------------------------------------------------------------------- */

static const char *const noise_words[] = {
    "the", "a", "today", "we", "saw", "and", "then", "it", "was", "very", "quite", "later",
    "my", "friend", "said", "that", "over", "there", "maybe", "after", "school", "lunch",
    "book", "garden", "window", "music", "pencil", "river", "table", "green", "blue", "small",
};
static const char *const sports_words[] = {"football", "goal", "match", "team", "referee",
                                           "striker"};
static const char *const weather_words[] = {"rain", "sunny", "cloudy", "storm", "forecast",
                                            "thunder"};

#define NOISE_N (sizeof(noise_words) / sizeof(noise_words[0]))

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A sentence of noise with, per label bit, two cue words of that label. */
static void make_sentence(uint64_t *rng, unsigned bits, char *out, size_t cap)
{
    size_t len = 0;
    int words = 6 + (int)(rng_next(rng) % 6);

    out[0] = '\0';
    for (int i = 0; i < words; i++) {
        const char *w = noise_words[rng_next(rng) % NOISE_N];

        if ((bits & 1) && i % 3 == 1)
            w = sports_words[rng_next(rng) % 6];
        else if ((bits & 2) && i % 3 == 2)
            w = weather_words[rng_next(rng) % 6];
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "",
                                i == 0 && rng_next(rng) % 2 ? "Hey" : w);
    }
}

/* Writes n examples as JSON lines (fasttext = 0) or fastText lines. */
static void write_set(const char *path, int n, uint64_t seed, int fasttext)
{
    FILE *f = fopen(path, "w");
    uint64_t rng = seed;
    char s[512];

    CG_ASSERT(f != NULL);
    for (int i = 0; i < n; i++) {
        unsigned bits = (unsigned)(rng_next(&rng) % 4);

        make_sentence(&rng, bits, s, sizeof(s));
        if (fasttext) {
            fprintf(f, "%s%s%s\n", bits & 1 ? "__label__sports " : "",
                    bits & 2 ? "__label__weather " : "", s);
        } else {
            fprintf(f, "{\"text\": \"%s\", \"labels\": [%s%s%s]}\n", s,
                    bits & 1 ? "\"sports\"" : "", bits == 3 ? ", " : "",
                    bits & 2 ? "\"weather\"" : "");
        }
    }
    CG_ASSERT_EQ(fclose(f), 0);
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", cg_test_tmpdir(), name);
}

static cg_text_train_options small_options(void)
{
    cg_text_train_options o;

    memset(&o, 0, sizeof(o));
    o.hash_bits = 16;
    o.epochs = 5;
    o.seed = 42;
    return o;
}

static cg_text_model *train_file(const char *path, cg_text_format fmt)
{
    cg_text_data d = {path, fmt, NULL};
    cg_text_train_options o = small_options();
    cg_text_train_stats stats;
    cg_text_model *m = NULL;
    cg_error err = {CG_OK, {0}};

    CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &m, &stats, &err), &err);
    CG_ASSERT(m != NULL);
    CG_ASSERT_EQ(stats.labels, 2);
    CG_ASSERT_GT(stats.negatives, 0);
    return m;
}

/* ---- features ----------------------------------------------------------------------------- */

CG_TEST(text_linear_feature_counts)
{
    cg__lin_params p = {16, 3, 5, 2, 65536, 0};
    cg__lin_feats f = {0};
    cg_error err = {CG_OK, {0}};
    uint32_t first[16];

    /* " abc " has 5 characters: 3-grams at 3 starts, 4-grams at 2, 5-grams at 1; one word. */
    CG_ASSERT_OK(cg__lin_featurize(&p, "abc", 3, &f, &err), &err);
    CG_ASSERT_EQ(f.n, 7);
    memcpy(first, f.idx, 7 * sizeof(uint32_t));
    CG_ASSERT_OK(cg__lin_featurize(&p, "abc", 3, &f, &err), &err);
    CG_ASSERT(memcmp(first, f.idx, 7 * sizeof(uint32_t)) == 0);
    /* "é" is one character of two bytes: " éb " has 4 characters, 3+2 grams, one word. */
    CG_ASSERT_OK(cg__lin_featurize(&p, "\xc3\xa9" "b", 3, &f, &err), &err);
    CG_ASSERT_EQ(f.n, 2 + 1 + 1);
    /* Two words: 7 characters " ab cd ": 5 + 4 + 3 grams; 2 unigrams and one bigram. */
    CG_ASSERT_OK(cg__lin_featurize(&p, "ab cd", 5, &f, &err), &err);
    CG_ASSERT_EQ(f.n, 12 + 3);
    for (size_t i = 0; i < f.n; i++)
        CG_ASSERT_LT(f.idx[i], 1u << 16);
    /* No character n-grams, word trigrams. */
    p.char_max = 0;
    p.word_ngrams = 3;
    CG_ASSERT_OK(cg__lin_featurize(&p, "ab cd ef", 8, &f, &err), &err);
    CG_ASSERT_EQ(f.n, 3 + 2 + 1);
    CG_ASSERT_OK(cg__lin_featurize(&p, "", 0, &f, &err), &err);
    CG_ASSERT_EQ(f.n, 0);
    cg__lin_feats_free(&f);
}

/* cg__lin_bucket leaves out mix13's last xor-shift, which cannot reach the bucket's bits: the
 * buckets must be those of the whole finaliser, for every width and a million hashes. */
CG_TEST(text_linear_bucket_is_mix13)
{
    uint64_t rng = 7;

    for (uint32_t bits = CG__LIN_MIN_BITS; bits <= CG__LIN_MAX_BITS; bits++)
        for (int i = 0; i < 1000000 / (CG__LIN_MAX_BITS - CG__LIN_MIN_BITS + 1); i++) {
            const uint64_t h0 = rng_next(&rng), seed = i & 1 ? CG__LIN_SEED_WORD : rng_next(&rng);
            uint64_t h = h0 ^ seed;

            h ^= h >> 30;
            h *= 0xbf58476d1ce4e5b9ULL;
            h ^= h >> 27;
            h *= 0x94d049bb133111ebULL;
            h ^= h >> 31;
            CG_ASSERT_EQ(cg__lin_bucket(h0, seed, bits), (uint32_t)(h >> (64 - bits)));
        }
}

static int cmp_u32_test(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* The TF-IDF vector of idx[0 .. n) written out the slow way (qsort, then each run of a bucket
 * as (1 + ln tf) * idf, scaled to unit length): what cg__lin_vectorize must give, bit for bit. */
static size_t reference_vector(const uint32_t *idx, size_t n, const float *idf, uint32_t *ri,
                               float *rv)
{
    uint32_t *s = cg__malloc_array(n + 1, sizeof(*s));
    double norm = 0.0;
    size_t m = 0;

    CG_ASSERT(s != NULL);
    memcpy(s, idx, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_u32_test);
    for (size_t k = 0; k < n;) {
        size_t e = k;
        while (e < n && s[e] == s[k])
            e++;
        const float x = (e - k == 1 ? 1.0f : 1.0f + logf((float)(e - k))) * idf[s[k]];
        ri[m] = s[k];
        rv[m++] = x;
        norm += (double)x * x;
        k = e;
    }
    if (norm > 0)
        for (size_t k = 0; k < m; k++)
            rv[k] *= (float)(1.0 / sqrt(norm));
    cg__free(s);
    return m;
}

/* cg__lin_vectorize's sort (by ranges of the top bits for short lists, qsort for long ones)
 * and its runs of repeats, against the reference: lists of 0 to 200 indices (both sides of the
 * short-list limit), spread over all buckets, crowded into one range (the worst case of the
 * range sort), or repeating a few buckets many times, for every bucket width from 8 to 16 bits
 * and 20. */
CG_TEST(text_linear_vectorize_sorts_and_counts)
{
    const uint32_t widths[] = {8, 9, 12, 15, 16, 20};
    uint64_t rng = 19;
    cg_error err = {CG_OK, {0}};
    size_t checked = 0, repeated = 0;

    for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++) {
        const uint32_t bits = widths[wi];
        const size_t nb = (size_t)1 << bits;
        cg__lin_params p = {bits, 0, 0, 1, 65536, CG__LIN_TFIDF | CG__LIN_RAW};
        float *idf = cg__malloc_array(nb, sizeof(float));
        uint32_t *ri = cg__malloc_array(256, sizeof(uint32_t));
        float *rv = cg__malloc_array(256, sizeof(float));
        cg__lin_feats f = {0};
        cg__lin_vec v = {0};

        CG_ASSERT(idf != NULL && ri != NULL && rv != NULL);
        for (size_t b = 0; b < nb; b++)
            idf[b] = 1.0f + (float)(rng_next(&rng) % 1000) / 97.0f;
        f.idx = cg__malloc_array(256, sizeof(uint32_t));
        CG_ASSERT(f.idx != NULL);
        f.cap = 256;
        for (size_t n = 0; n <= 200; n++)
            for (int shape = 0; shape < 3; shape++) {
                const uint64_t r0 = rng_next(&rng);
                for (size_t i = 0; i < n; i++) {
                    const uint64_t r = rng_next(&rng);
                    if (shape == 0)
                        f.idx[i] = (uint32_t)(r % nb);
                    else if (shape == 1) /* one range of the top five bits, a few buckets */
                        f.idx[i] = (uint32_t)((r0 % 32) << (bits - 5)) + (uint32_t)(r % 7);
                    else /* a few buckets, each many times */
                        f.idx[i] = (uint32_t)((r0 + r % 3) % nb);
                }
                f.n = n;
                f.n_char = 0;
                const size_t m = reference_vector(f.idx, n, idf, ri, rv);
                CG_ASSERT_OK(cg__lin_vectorize(&p, idf, &f, &v, &err), &err);
                CG_ASSERT_EQ(v.n, m);
                for (size_t k = 0; k < m; k++) {
                    CG_ASSERT_EQ(v.idx[k], ri[k]);
                    CG_ASSERT(memcmp(&v.val[k], &rv[k], sizeof(float)) == 0);
                }
                checked++;
                repeated += n - m;
            }
        cg__free(idf);
        cg__free(ri);
        cg__free(rv);
        cg__lin_feats_free(&f);
        cg__lin_vec_free(&v);
    }
    CG_ASSERT_EQ(checked, 6 * 201 * 3);
    CG_ASSERT_GT(repeated, 1000);
}

/* ---- training and the round trip ---------------------------------------------------------- */

static void assert_good(const cg_text_eval *ev, int n)
{
    CG_ASSERT_EQ(ev->examples, n);
    CG_ASSERT_EQ(ev->label_count, 2);
    for (unsigned l = 0; l < 2; l++) {
        printf("%s: P %.3f R %.3f F1 %.3f F0.5 %.3f\n", ev->labels[l].name,
               ev->labels[l].precision, ev->labels[l].recall, ev->labels[l].f1,
               ev->labels[l].f05);
        /* Chance F1 for a label on half the examples is about 0.5-0.67. */
        CG_ASSERT_GT(ev->labels[l].f1 * 1000, 950);
        CG_ASSERT_GT(ev->labels[l].f05 * 1000, 950);
    }
}

CG_TEST(text_linear_train_save_load_eval)
{
    char train[512], test[512], model[512];
    cg_text_data d;
    cg_text_model *m, *m2 = NULL;
    cg_text_eval *ev = NULL, *ev2 = NULL;
    cg_error err = {CG_OK, {0}};
    static const char *const probes[] = {
        "the football match had a late goal", "heavy rain and thunder in the forecast",
        "my friend said the striker ran in the storm", "a small green book on the table", "",
        "Mưa to quá, trận bóng đá bị hoãn",
    };

    tmp_path(train, sizeof(train), "train.jsonl");
    tmp_path(test, sizeof(test), "test.jsonl");
    tmp_path(model, sizeof(model), "model.bin");
    write_set(train, 2000, 1, 0);
    write_set(test, 500, 2, 0);
    m = train_file(train, CG_TEXT_FORMAT_AUTO);
    CG_ASSERT_STR_EQ(cg_text_model_label_name(m, 0) , cg_text_model_label_name(m, 0));
    CG_ASSERT(cg_text_model_label_name(m, 2) == NULL);

    d.path = test;
    d.format = CG_TEXT_FORMAT_JSONL;
    d.pan_predators = NULL;
    CG_ASSERT_OK(cg_text_model_eval(m, &d, 1, NULL, &ev, &err), &err);
    assert_good(ev, 500);
    {
        /* The confusion matrix agrees with the per-label counts. */
        uint64_t row = 0;

        for (unsigned b = 0; b < 3; b++)
            row += ev->confusion[0 * 3 + b];
        CG_ASSERT_GE(row, ev->labels[0].tp + ev->labels[0].fn);
        CG_ASSERT_EQ(ev->confusion[0 * 3 + 0], ev->labels[0].tp);
    }

    CG_ASSERT_OK(cg_text_model_save(m, model, &err), &err);
    CG_ASSERT_OK(cg_text_model_open(model, &m2, &err), &err);
    CG_ASSERT_EQ(cg_text_model_label_count(m2), 2);
    for (unsigned l = 0; l < 2; l++)
        CG_ASSERT_STR_EQ(cg_text_model_label_name(m2, l), cg_text_model_label_name(m, l));
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        float a[2], b[2];

        CG_ASSERT_OK(cg_text_model_predict(m, probes[i], strlen(probes[i]), a, &err), &err);
        CG_ASSERT_OK(cg_text_model_predict(m2, probes[i], strlen(probes[i]), b, &err), &err);
        CG_ASSERT(memcmp(a, b, sizeof(a)) == 0);
        CG_ASSERT(a[0] >= 0.0f && a[0] <= 1.0f);
    }
    {
        float s[2];
        unsigned sp = strcmp(cg_text_model_label_name(m, 0), "sports") == 0 ? 0 : 1;

        CG_ASSERT_OK(cg_text_model_predict(m, probes[0], strlen(probes[0]), s, &err), &err);
        CG_ASSERT_GT(s[sp] * 100, 50);
        CG_ASSERT_LT(s[1 - sp] * 100, 50);
    }
    CG_ASSERT_OK(cg_text_model_eval(m2, &d, 1, NULL, &ev2, &err), &err);
    for (unsigned l = 0; l < 2; l++) {
        CG_ASSERT_EQ(ev2->labels[l].tp, ev->labels[l].tp);
        CG_ASSERT_EQ(ev2->labels[l].fp, ev->labels[l].fp);
        CG_ASSERT_EQ(ev2->labels[l].fn, ev->labels[l].fn);
    }
    cg_text_eval_destroy(ev);
    cg_text_eval_destroy(ev2);
    cg_text_model_close(m);
    cg_text_model_close(m2);
}

/* The same data, options and seed give the same model file, byte for byte. */
CG_TEST(text_linear_deterministic)
{
    char train[512], m1[512], m2[512];
    cg_text_model *a, *b;
    cg_error err = {CG_OK, {0}};
    uint8_t *x, *y;
    size_t nx, ny;
    FILE *f;

    tmp_path(train, sizeof(train), "train.jsonl");
    tmp_path(m1, sizeof(m1), "a.bin");
    tmp_path(m2, sizeof(m2), "b.bin");
    write_set(train, 600, 7, 0);
    a = train_file(train, CG_TEXT_FORMAT_JSONL);
    b = train_file(train, CG_TEXT_FORMAT_JSONL);
    CG_ASSERT_OK(cg_text_model_save(a, m1, &err), &err);
    CG_ASSERT_OK(cg_text_model_save(b, m2, &err), &err);
    f = fopen(m1, "rb");
    CG_ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    nx = (size_t)ftell(f);
    fclose(f);
    x = malloc(nx);
    y = malloc(nx);
    CG_ASSERT(x != NULL && y != NULL);
    f = fopen(m1, "rb");
    CG_ASSERT_EQ(fread(x, 1, nx, f), nx);
    fclose(f);
    f = fopen(m2, "rb");
    ny = fread(y, 1, nx, f);
    fclose(f);
    CG_ASSERT_EQ(ny, nx);
    CG_ASSERT(memcmp(x, y, nx) == 0);
    free(x);
    free(y);
    cg_text_model_close(a);
    cg_text_model_close(b);
}

CG_TEST(text_linear_fasttext_format)
{
    char train[512], test[512];
    cg_text_data d;
    cg_text_model *m;
    cg_text_eval *ev = NULL;
    cg_error err = {CG_OK, {0}};

    tmp_path(train, sizeof(train), "train.txt");
    tmp_path(test, sizeof(test), "test.txt");
    write_set(train, 2000, 3, 1);
    write_set(test, 400, 4, 1);
    m = train_file(train, CG_TEXT_FORMAT_FASTTEXT);
    d.path = test;
    d.format = CG_TEXT_FORMAT_AUTO; /* lines not starting with '{' are fastText */
    d.pan_predators = NULL;
    CG_ASSERT_OK(cg_text_model_eval(m, &d, 1, NULL, &ev, &err), &err);
    assert_good(ev, 400);
    cg_text_eval_destroy(ev);
    cg_text_model_close(m);
}

/* ---- bad input ---------------------------------------------------------------------------- */

typedef struct bad_log {
    uint64_t lines[16];
    int n;
} bad_log;

static void log_bad(const char *path, uint64_t line, const char *reason, void *ud)
{
    bad_log *bl = ud;

    CG_ASSERT(path != NULL && reason != NULL && reason[0] != '\0');
    printf("bad line %s:%llu: %s\n", path, (unsigned long long)line, reason);
    if (bl->n < 16)
        bl->lines[bl->n++] = line;
}

CG_TEST(text_linear_bad_lines_reported_and_skipped)
{
    char path[512];
    FILE *f;
    cg_text_data d;
    cg_text_train_options o = small_options();
    cg_text_train_stats stats;
    cg_text_model *m = NULL;
    cg_error err = {CG_OK, {0}};
    bad_log bl = {{0}, 0};
    static const uint64_t want[] = {2, 3, 4, 5, 6, 8, 9};

    tmp_path(path, sizeof(path), "bad.jsonl");
    f = fopen(path, "w");
    CG_ASSERT(f != NULL);
    fputs("{\"text\": \"football goal\", \"labels\": [\"sports\"]}\n"      /* 1 good */
          "{\"text\": \"broken json\", \"labels\": [\n"                    /* 2 not JSON */
          "{\"labels\": [\"sports\"]}\n"                                  /* 3 no text */
          "{\"text\": \"no labels\"}\n"                                   /* 4 no labels */
          "{\"text\": \"bad label\", \"labels\": [\"has space\"]}\n"      /* 5 bad label */
          "{\"text\": \"number label\", \"labels\": [7]}\n"               /* 6 not a string */
          "\n"                                                            /* 7 blank: fine */
          "__label__ empty fasttext label\n"                              /* 8 bad label */
          "{\"text\": \"dup\", \"text\": \"x\", \"labels\": []}\n"        /* 9 duplicate key */
          "__label__sports the match\r\n"                                 /* 10 good, CRLF */
          "a quiet garden\n"                                              /* 11 good negative */
          "{\"text\": \"rain\", \"labels\": []}",                         /* 12 good, no \n */
          f);
    CG_ASSERT_EQ(fclose(f), 0);
    d.path = path;
    d.format = CG_TEXT_FORMAT_AUTO;
    d.pan_predators = NULL;
    o.on_bad_line = log_bad;
    o.ud = &bl;
    CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &m, &stats, &err), &err);
    CG_ASSERT_EQ(stats.examples, 4);
    CG_ASSERT_EQ(stats.negatives, 2);
    CG_ASSERT_EQ(stats.bad_lines, 7);
    CG_ASSERT_EQ(bl.n, 7);
    for (int i = 0; i < 7; i++)
        CG_ASSERT_EQ(bl.lines[i], want[i]);
    CG_ASSERT_EQ(cg_text_model_label_count(m), 1);
    CG_ASSERT_STR_EQ(cg_text_model_label_name(m, 0), "sports");
    cg_text_model_close(m);
}

CG_TEST(text_linear_no_data_errors)
{
    char path[512];
    FILE *f;
    cg_text_data d;
    cg_text_model *m = (cg_text_model *)&m;
    cg_error err = {CG_OK, {0}};

    tmp_path(path, sizeof(path), "negatives.jsonl");
    f = fopen(path, "w");
    CG_ASSERT(f != NULL);
    fputs("{\"text\": \"a\", \"labels\": []}\n", f);
    CG_ASSERT_EQ(fclose(f), 0);
    d.path = path;
    d.format = CG_TEXT_FORMAT_AUTO;
    d.pan_predators = NULL;
    /* Only negatives: nothing to learn. */
    CG_ASSERT_EQ(cg_text_model_train(&d, 1, NULL, &m, NULL, &err), CG_E_INVAL);
    CG_ASSERT(m == NULL);
    CG_ASSERT(strstr(err.message, path) != NULL);
    /* A missing file. */
    tmp_path(path, sizeof(path), "missing.jsonl");
    CG_ASSERT_EQ(cg_text_model_train(&d, 1, NULL, &m, NULL, &err), CG_E_NOTFOUND);
    CG_ASSERT(strstr(err.message, "missing.jsonl") != NULL);
    /* 65 labels. */
    tmp_path(path, sizeof(path), "many.txt");
    f = fopen(path, "w");
    CG_ASSERT(f != NULL);
    for (int i = 0; i < 65; i++)
        fprintf(f, "__label__l%d text %d\n", i, i);
    CG_ASSERT_EQ(fclose(f), 0);
    CG_ASSERT_EQ(cg_text_model_train(&d, 1, NULL, &m, NULL, &err), CG_E_LIMIT);
    CG_ASSERT(strstr(err.message, ":65:") != NULL);
}

/* ---- model files -------------------------------------------------------------------------- */

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");

    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fwrite(b, 1, n, f), n);
    CG_ASSERT_EQ(fclose(f), 0);
}

static void expect_load(const char *path, cg_status want, const char *words)
{
    cg_text_model *m = (cg_text_model *)&m;
    cg_error err = {CG_OK, {0}};

    CG_ASSERT_EQ(cg_text_model_open(path, &m, &err), want);
    CG_ASSERT(m == NULL);
    printf("%s\n", err.message);
    CG_ASSERT(strstr(err.message, path) != NULL);
    CG_ASSERT(strstr(err.message, words) != NULL);
}

CG_TEST(text_linear_corrupt_model_files)
{
    char train[512], model[512], bad[512];
    cg_text_model *m;
    cg_error err = {CG_OK, {0}};
    uint8_t *b;
    size_t n;
    FILE *f;

    tmp_path(train, sizeof(train), "train.jsonl");
    tmp_path(model, sizeof(model), "model.bin");
    tmp_path(bad, sizeof(bad), "bad.bin");
    write_set(train, 300, 5, 0);
    m = train_file(train, CG_TEXT_FORMAT_AUTO);
    CG_ASSERT_OK(cg_text_model_save(m, model, &err), &err);
    cg_text_model_close(m);
    f = fopen(model, "rb");
    CG_ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    n = (size_t)ftell(f);
    rewind(f);
    b = malloc(n);
    CG_ASSERT(b != NULL);
    CG_ASSERT_EQ(fread(b, 1, n, f), n);
    fclose(f);
    /* 40-byte header, labels "sports"/"weather" (order of appearance), 2 biases, 2^16 x 2
     * weights, SHA-256. */
    CG_ASSERT_EQ(n, 40 + 7 + 8 + 8 + (size_t)4 * 2 * 65536 + 32);

    write_bytes(bad, b, n - 1);
    expect_load(bad, CG_E_DECODE, "truncated");
    write_bytes(bad, b, 20);
    expect_load(bad, CG_E_DECODE, "truncated");
    write_bytes(bad, b, 3);
    expect_load(bad, CG_E_DECODE, "not a childguard text model");
    b[n / 2] ^= 0x40;
    write_bytes(bad, b, n);
    expect_load(bad, CG_E_DECODE, "checksum");
    b[n / 2] ^= 0x40;
    b[8] = 3; /* format 2 exists (softmax, TF-IDF, thresholds); 3 does not yet */
    write_bytes(bad, b, n);
    expect_load(bad, CG_E_UNSUPPORTED, "version 3");
    b[8] = 1;
    b[12] = 40; /* 2^40 buckets */
    write_bytes(bad, b, n);
    expect_load(bad, CG_E_DECODE, "header");
    b[12] = 16;
    b[0] = 'X';
    write_bytes(bad, b, n);
    expect_load(bad, CG_E_DECODE, "bad magic");
    b[0] = 'C';
    write_bytes(bad, b, n);
    CG_ASSERT_OK(cg_text_model_open(bad, &m, &err), &err);
    cg_text_model_close(m);
    tmp_path(bad, sizeof(bad), "nonexistent.bin");
    {
        cg_text_model *m2 = NULL;

        CG_ASSERT(cg_text_model_open(bad, &m2, &err) != CG_OK);
        CG_ASSERT(m2 == NULL);
    }
    free(b);
}

/* ---- PAN-2012 ----------------------------------------------------------------------------- */

/* A tiny synthetic corpus in the PAN-2012 layout (benign invented chat; ids are made up). The
 * DOCTYPE declares an external entity that must not be loaded. */
static void write_pan(const char *xml, const char *list)
{
    FILE *f = fopen(xml, "w");

    CG_ASSERT(f != NULL);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<!DOCTYPE conversations [<!ENTITY ext SYSTEM \"file:///etc/hostname\">]>\n"
          "<conversations>\n"
          "<conversation id=\"c1\">\n"
          "  <message line=\"1\"><author>aaa111</author><time>03:20</time>"
          "<text>hi do you like football</text></message>\n"
          "  <message line=\"2\"><author>bbb222</author><time>03:21</time>"
          "<text>yes &amp; tennis &ext;</text></message>\n"
          "  <message line=\"3\"><author>aaa111</author><time>03:22</time>"
          "<text>cool</text></message>\n"
          "</conversation>\n"
          "<conversation id=\"c2\">\n"
          "  <message line=\"1\"><author>ccc333</author><time>04:00</time><text/></message>\n"
          "  <message line=\"2\"><time>04:01</time><text>no author</text></message>\n"
          "  <message line=\"3\"><author>bbb222</author><time>04:02</time>"
          "<text><![CDATA[see <you> later]]></text></message>\n"
          "</conversation>\n"
          "</conversations>\n",
          f);
    CG_ASSERT_EQ(fclose(f), 0);
    f = fopen(list, "w");
    CG_ASSERT(f != NULL);
    fputs("bbb222\r\n\n  zzz999  \n", f);
    CG_ASSERT_EQ(fclose(f), 0);
}

typedef struct collected {
    char text[8][128];
    int predator[8];
    uint64_t line[8];
    int n;
} collected;

static cg_status collect(void *ud, const char *text, size_t len, const char *const *labels,
                         size_t nlabels, const char *where, uint64_t line, cg_error *err)
{
    collected *c = ud;

    (void)where;
    (void)err;
    CG_ASSERT_LT(c->n, 8);
    snprintf(c->text[c->n], sizeof(c->text[0]), "%.*s", (int)len, text);
    c->predator[c->n] = nlabels == 1 && strcmp(labels[0], "predator") == 0;
    CG_ASSERT(nlabels <= 1);
    c->line[c->n] = line;
    c->n++;
    return CG_OK;
}

CG_TEST(text_linear_pan2012_reader)
{
    char xml[512], list[512];
    cg_text_data d;
    collected c;
    uint64_t bad = 0;
    bad_log bl = {{0}, 0};
    cg_error err = {CG_OK, {0}};

    tmp_path(xml, sizeof(xml), "pan.xml");
    tmp_path(list, sizeof(list), "predators.txt");
    write_pan(xml, list);
    memset(&c, 0, sizeof(c));
    d.path = xml;
    d.format = CG_TEXT_FORMAT_AUTO;
    d.pan_predators = list;
    CG_ASSERT_OK(cg__dataset_read(&d, 65536, log_bad, &bl, &bad, collect, &c, &err), &err);
    CG_ASSERT_EQ(c.n, 3); /* aaa111, bbb222, ccc333; zzz999 never writes */
    CG_ASSERT_STR_EQ(c.text[0], "hi do you like football\ncool");
    CG_ASSERT_EQ(c.predator[0], 0);
    CG_ASSERT(strncmp(c.text[1], "yes & tennis", 12) == 0);
    CG_ASSERT(strstr(c.text[1], "see <you> later") != NULL);
    CG_ASSERT_EQ(c.predator[1], 1);
    CG_ASSERT_STR_EQ(c.text[2], "");
    CG_ASSERT_EQ(c.line[0], 5);
    CG_ASSERT_EQ(bad, 1); /* the message without an author */
    CG_ASSERT_EQ(bl.lines[0], 11);

    /* Each author's text is cut at max_text_bytes. */
    memset(&c, 0, sizeof(c));
    CG_ASSERT_OK(cg__dataset_read(&d, 10, NULL, NULL, &bad, collect, &c, &err), &err);
    CG_ASSERT_STR_EQ(c.text[0], "hi do you ");

    /* Malformed XML: CG_E_DECODE naming the file. */
    {
        FILE *f = fopen(xml, "w");

        CG_ASSERT(f != NULL);
        fputs("<conversations><conversation><message><author>x</author>\n<text>t</message>",
              f);
        CG_ASSERT_EQ(fclose(f), 0);
        memset(&c, 0, sizeof(c));
        CG_ASSERT_EQ(cg__dataset_read(&d, 65536, NULL, NULL, &bad, collect, &c, &err),
                     CG_E_DECODE);
        printf("%s\n", err.message);
        CG_ASSERT(strstr(err.message, xml) != NULL);
    }
}

/* Author-level training and evaluation through the public API. */
CG_TEST(text_linear_pan2012_train_eval)
{
    char xml[512], list[512];
    cg_text_data d;
    cg_text_train_options o = small_options();
    cg_text_model *m = NULL;
    cg_text_eval *ev = NULL;
    cg_error err = {CG_OK, {0}};

    tmp_path(xml, sizeof(xml), "pan.xml");
    tmp_path(list, sizeof(list), "predators.txt");
    write_pan(xml, list);
    d.path = xml;
    d.format = CG_TEXT_FORMAT_PAN2012;
    d.pan_predators = list;
    o.epochs = 20;
    CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &m, NULL, &err), &err);
    CG_ASSERT_STR_EQ(cg_text_model_label_name(m, 0), "predator");
    CG_ASSERT_OK(cg_text_model_eval(m, &d, 1, NULL, &ev, &err), &err);
    CG_ASSERT_EQ(ev->examples, 3);
    CG_ASSERT_EQ(ev->labels[0].tp + ev->labels[0].fn, 1);
    CG_ASSERT_EQ(ev->labels[0].tp, 1); /* learnt on its own data */
    cg_text_eval_destroy(ev);
    cg_text_model_close(m);
}

/* ---- allocation failures ------------------------------------------------------------------ */

typedef cg_status (*op_fn)(void *arg);

/* Every allocation failure of op is handled (cg_test.h). */
#define fail_each_allocation(what, op, arg) ((void)cg_test_fail_each_allocation(what, op, arg, 0))

typedef struct alloc_arg {
    cg_text_data d;
    const char *model;
} alloc_arg;

static cg_status op_train(void *p)
{
    alloc_arg *a = p;
    cg_text_train_options o = small_options();
    cg_text_model *m = (cg_text_model *)&m;
    cg_error err = {CG_OK, {0}};
    cg_status st;

    o.hash_bits = 10;
    o.epochs = 1;
    st = cg_text_model_train(&a->d, 1, &o, &m, NULL, &err);
    if (st == CG_OK)
        cg_text_model_close(m);
    else
        CG_ASSERT(m == NULL && err.status == st);
    return st;
}

static cg_status op_load_eval_predict(void *p)
{
    alloc_arg *a = p;
    cg_text_model *m = (cg_text_model *)&m;
    cg_text_eval *ev = (cg_text_eval *)&ev;
    cg_error err = {CG_OK, {0}};
    float s[2];
    cg_status st;

    st = cg_text_model_open(a->model, &m, &err);
    if (st != CG_OK) {
        CG_ASSERT(m == NULL);
        return st;
    }
    st = cg_text_model_eval(m, &a->d, 1, NULL, &ev, &err);
    if (st != CG_OK)
        CG_ASSERT(ev == NULL);
    cg_text_eval_destroy(st == CG_OK ? ev : NULL);
    if (st == CG_OK)
        st = cg_text_model_predict(m, "rain and a goal", 15, s, &err);
    cg_text_model_close(m);
    return st;
}

CG_TEST(text_linear_alloc_failure)
{
    char train[512], model[512], pan[512], list[512];
    alloc_arg a;
    cg_text_model *m;
    cg_error err = {CG_OK, {0}};
    cg_text_train_options o = small_options();

    tmp_path(train, sizeof(train), "train.jsonl");
    tmp_path(model, sizeof(model), "model.bin");
    write_set(train, 40, 9, 0);
    a.d.path = train;
    a.d.format = CG_TEXT_FORMAT_AUTO;
    a.d.pan_predators = NULL;
    a.model = model;
    o.hash_bits = 10;
    CG_ASSERT_OK(cg_text_model_train(&a.d, 1, &o, &m, NULL, &err), &err);
    CG_ASSERT_OK(cg_text_model_save(m, model, &err), &err);
    cg_text_model_close(m);
    fail_each_allocation("text model train", op_train, &a);
    fail_each_allocation("text model load + eval + predict", op_load_eval_predict, &a);
    tmp_path(pan, sizeof(pan), "pan.xml");
    tmp_path(list, sizeof(list), "predators.txt");
    write_pan(pan, list);
    a.d.path = pan;
    a.d.pan_predators = list;
    fail_each_allocation("text model train on PAN-2012", op_train, &a);
}

/* ---- softmax, TF-IDF, class weights, dev data, format 2 ---------------------------------- */

/* Writes n examples with exactly one class each: "sports", "weather", or none (a negative). */
static void write_exclusive(const char *path, int n, uint64_t seed)
{
    FILE *f = fopen(path, "w");
    uint64_t rng = seed;
    char s[512];

    CG_ASSERT(f != NULL);
    for (int i = 0; i < n; i++) {
        unsigned bits = (unsigned)(rng_next(&rng) % 3); /* 0 none, 1 sports, 2 weather */

        make_sentence(&rng, bits, s, sizeof(s));
        fprintf(f, "{\"text\": \"%s\", \"labels\": [%s]}\n", s,
                bits == 1 ? "\"sports\"" : bits == 2 ? "\"weather\"" : "");
    }
    CG_ASSERT_EQ(fclose(f), 0);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;

    CG_ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    b = malloc(*n);
    CG_ASSERT(b != NULL);
    CG_ASSERT_EQ(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

CG_TEST(text_linear_softmax_tfidf_format2_roundtrip)
{
    char train[512], test[512], model[512];
    cg_text_data d = {train, CG_TEXT_FORMAT_AUTO, NULL}, t = {test, CG_TEXT_FORMAT_AUTO, NULL};
    cg_text_train_options o = small_options();
    cg_text_train_stats stats;
    cg_text_model *m = NULL, *back = NULL;
    cg_text_eval *ev = NULL;
    cg_error err = {CG_OK, {0}};
    float s1[4], s2[4];
    unsigned char as[4];
    uint8_t *b;
    size_t n;

    tmp_path(train, sizeof(train), "ex_train.jsonl");
    tmp_path(test, sizeof(test), "ex_test.jsonl");
    tmp_path(model, sizeof(model), "ex_model.bin");
    write_exclusive(train, 600, 11);
    write_exclusive(test, 300, 12);
    o.mode = CG_TEXT_MODE_SOFTMAX;
    o.tfidf = 1;
    o.char_scope = CG_TEXT_CHARS_WORDS;
    o.char_min = 1;
    o.char_max = 5;
    o.word_ngrams = 3;
    o.class_weight = CG_TEXT_WEIGHT_BALANCED;
    CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &m, &stats, &err), &err);
    CG_ASSERT_EQ(stats.solver, CG_TEXT_SOLVER_LBFGS); /* auto: the vectors fit */
    CG_ASSERT_EQ(cg_text_model_mode_of(m), CG_TEXT_MODE_SOFTMAX);
    CG_ASSERT_EQ(cg_text_model_label_count(m), 2);
    CG_ASSERT_OK(cg_text_model_eval(m, &t, 1, NULL, &ev, &err), &err);
    printf("softmax + TF-IDF: macro-F1 %.3f\n", ev->macro_f1);
    CG_ASSERT_GT(ev->macro_f1 * 1000, 950);
    cg_text_eval_destroy(ev);
    /* A softmax model's scores leave the rest to "no label" and assign one class at most. */
    CG_ASSERT_OK(cg_text_model_predict(m, "the referee and the striker", 27, s1, &err), &err);
    CG_ASSERT(s1[0] + s1[1] <= 1.0001f);
    CG_ASSERT_LE(cg_text_model_assign(m, s1, 0.0, as), 1);
    CG_ASSERT_OK(cg_text_model_save(m, model, &err), &err);
    b = slurp(model, &n);
    CG_ASSERT_EQ(b[8], 2); /* format 2: softmax, TF-IDF, grams within words */
    free(b);
    CG_ASSERT_OK(cg_text_model_open(model, &back, &err), &err);
    CG_ASSERT_OK(cg_text_model_predict(back, "the referee and the striker", 27, s2, &err), &err);
    CG_ASSERT(memcmp(s1, s2, sizeof(float) * 2) == 0);
    cg_text_model_close(back);
    cg_text_model_close(m);
}

CG_TEST(text_linear_dev_data_deterministic_thresholds)
{
    char train[512], dev[512], m1[512], m2[512];
    cg_text_data d = {train, CG_TEXT_FORMAT_AUTO, NULL}, v = {dev, CG_TEXT_FORMAT_AUTO, NULL};
    cg_text_train_options o = small_options();
    cg_text_train_stats stats;
    cg_text_model *a = NULL, *b = NULL;
    cg_error err = {CG_OK, {0}};
    uint8_t *x, *y;
    size_t nx, ny;

    tmp_path(train, sizeof(train), "dv_train.jsonl");
    tmp_path(dev, sizeof(dev), "dv_dev.jsonl");
    tmp_path(m1, sizeof(m1), "dv_1.bin");
    tmp_path(m2, sizeof(m2), "dv_2.bin");
    write_set(train, 400, 21, 0);
    write_set(dev, 150, 22, 0);
    o.dev = &v;
    o.n_dev = 1;
    o.tfidf = 1;
    for (int solver = CG_TEXT_SOLVER_SGD; solver <= CG_TEXT_SOLVER_LBFGS; solver++) {
        o.solver = (cg_text_solver)solver;
        CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &a, &stats, &err), &err);
        CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &b, NULL, &err), &err);
        CG_ASSERT_EQ(stats.dev_examples, 150);
        CG_ASSERT_GT(stats.dev_macro_f1 * 1000, 900);
        CG_ASSERT_GE(stats.epochs_run, 1);
        for (unsigned l = 0; l < 2; l++) {
            double t = cg_text_model_threshold(a, l);
            CG_ASSERT(t > 0.0 && t < 1.0);
        }
        CG_ASSERT_OK(cg_text_model_save(a, m1, &err), &err);
        CG_ASSERT_OK(cg_text_model_save(b, m2, &err), &err);
        x = slurp(m1, &nx);
        y = slurp(m2, &ny);
        CG_ASSERT_EQ(nx, ny);
        CG_ASSERT(memcmp(x, y, nx) == 0); /* the same data and options: the same bytes */
        free(x);
        free(y);
        cg_text_model_close(a);
        cg_text_model_close(b);
    }
}

CG_TEST(text_linear_balanced_weights_help_a_rare_label)
{
    char train[512], test[512];
    cg_text_data d = {train, CG_TEXT_FORMAT_AUTO, NULL}, t = {test, CG_TEXT_FORMAT_AUTO, NULL};
    cg_text_train_options o = small_options();
    cg_text_model *m = NULL;
    cg_text_eval *ev = NULL;
    cg_error err = {CG_OK, {0}};
    double recall[2];
    FILE *f;
    uint64_t rng = 31;
    char s[512];

    tmp_path(train, sizeof(train), "rare_train.jsonl");
    tmp_path(test, sizeof(test), "rare_test.jsonl");
    /* One positive in 25, and its cue words appear in negatives too (noise): a skewed label. */
    for (int k = 0; k < 2; k++) {
        f = fopen(k ? test : train, "w");
        CG_ASSERT(f != NULL);
        for (int i = 0; i < (k ? 500 : 1000); i++) {
            int pos = rng_next(&rng) % 25 == 0;
            make_sentence(&rng, pos || rng_next(&rng) % 8 == 0 ? 1 : 0, s, sizeof(s));
            fprintf(f, "{\"text\": \"%s%s\", \"labels\": [%s]}\n", s, pos ? " goal goal" : "",
                    pos ? "\"sports\"" : "");
        }
        CG_ASSERT_EQ(fclose(f), 0);
    }
    for (int k = 0; k < 2; k++) {
        o.class_weight = k ? CG_TEXT_WEIGHT_BALANCED : CG_TEXT_WEIGHT_NONE;
        o.solver = CG_TEXT_SOLVER_LBFGS;
        o.c = 0.05f; /* strong regularisation: the prior of the majority shows */
        CG_ASSERT_OK(cg_text_model_train(&d, 1, &o, &m, NULL, &err), &err);
        CG_ASSERT_OK(cg_text_model_eval(m, &t, 1, NULL, &ev, &err), &err);
        recall[k] = ev->labels[0].recall;
        cg_text_eval_destroy(ev);
        cg_text_model_close(m);
    }
    printf("rare label recall: unweighted %.3f, balanced %.3f\n", recall[0], recall[1]);
    CG_ASSERT(recall[1] > recall[0]);
}
