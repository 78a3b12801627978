/* `childguard text train|eval|predict`: training, evaluating and applying the linear text
 * classifier (include/childguard/textmodel.h). */
#include "textmodel_cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "childguard.h"
#include "childguard/textmodel.h"
#include "cli.h"

#define MAX_DATA 64
#define BAD_LINES_SHOWN 20
#define PREDICT_LINE_MAX ((size_t)1 << 20)

void textmodel_cli_usage(void)
{
    printf("usage: childguard text train --data FILE [--data FILE ...] --out MODEL [options]\n"
           "       childguard text eval --model MODEL --data FILE [...] [--threshold X] [--json]\n"
           "       childguard text predict --model MODEL [--threshold X] [FILE ...]\n"
           "       (childguard text eval --conversations FILE measures the whole engine on\n"
           "       labelled conversations: 'childguard text eval --conversations x --help')\n"
           "\n"
           "A linear classifier over hashed character and word n-grams of the normalised\n"
           "text (docs/text-model.md): one-vs-rest (any subset of labels) or softmax (one\n"
           "label per example).\n"
           "\n"
           "Data files (--data, repeatable):\n"
           "  JSON lines   {\"text\": \"...\", \"labels\": [\"bullying\"]}   ([] is a negative)\n"
           "  fastText     __label__bullying __label__insult some text  (no label: negative)\n"
           "  PAN-2012     conversations XML (*.xml) with --pan-predators FILE; one example\n"
           "               per author, labelled \"predator\"\n"
           "  --format auto|jsonl|fasttext|pan   (auto: *.xml is PAN, else per line: '{' JSON)\n"
           "\n"
           "train options:\n"
           "  --out MODEL            where to write the model (required)\n"
           "  --bits N               2^N hash buckets, 8..26 (20)\n"
           "  --char-ngrams MIN-MAX  character n-gram lengths (3-5); 0-0 for none\n"
           "  --word-ngrams N        word n-grams up to N, 1..3 (2)\n"
           "  --char-scope text|words  character n-grams over the whole text (text) or\n"
           "                         within each word (words)\n"
           "  --tfidf                sublinear tf x idf, scaled to unit length (default:\n"
           "                         1/sqrt(n) per occurrence)\n"
           "  --keep-diacritics      n-grams of the text with its Vietnamese diacritics\n"
           "                         (default: without, so 'khong' meets 'không')\n"
           "  --tokens               texts are space-separated feature tokens (no\n"
           "                         normalisation, no character n-grams)\n"
           "  --mode ovr|softmax     one-vs-rest (ovr, default) or multinomial (softmax:\n"
           "                         one label per example; no label is its own class)\n"
           "  --class-weight auto|balanced|none   (auto: balanced when the data are skewed)\n"
           "  --dev FILE             held-out data (repeatable): keeps the epoch with the\n"
           "                         best macro-F1 on it (up to --epochs, default 20), tries\n"
           "                         --l2 0, 1e-6, 1e-5, 1e-4 unless --l2 is given, and\n"
           "                         chooses thresholds (ovr) or class shifts (softmax)\n"
           "  --solver auto|lbfgs|sgd  full-batch L-BFGS to convergence (auto: when the\n"
           "                         vectors fit in memory) or AdaGrad SGD\n"
           "  --c X                  L-BFGS: inverse L2 strength, scikit-learn's C (4);\n"
           "                         with --dev and no --c, 1, 4, 16 and 64 are tried\n"
           "  SGD: --epochs N (5)  --lr X (0.2)  --l2 X (0)  --seed N (0)\n"
           "  --max-text-bytes N     cut longer texts (65536)\n"
           "eval options:\n"
           "  --threshold X          assign a label at score >= X (default: the model's\n"
           "                         thresholds, 0.5 unless chosen with --dev; softmax\n"
           "                         models assign their most probable class)\n"
           "  --json                 metrics and confusion matrix as one JSON object\n"
           "predict: one JSON line of label scores per input line (FILE or stdin; '-' is\n"
           "stdin): {\"scores\": {...}, \"labels\": [labels at or over the threshold]}\n"
           "\n"
           "Exit status: 0 success, 2 error. Bad data lines are reported and skipped.\n");
}

/* ---- shared -------------------------------------------------------------------------------- */

typedef struct bad_report {
    const char *cmd;
    unsigned long long count;
} bad_report;

static void on_bad_line(const char *path, uint64_t line, const char *reason, void *ud)
{
    bad_report *br = ud;

    if (br->count++ < BAD_LINES_SHOWN)
        fprintf(stderr, "childguard text %s: %s:%llu: skipped: %s\n", br->cmd, path,
                (unsigned long long)line, reason);
    else if (br->count == BAD_LINES_SHOWN + 1)
        fprintf(stderr, "childguard text %s: more bad lines not shown\n", br->cmd);
}

static int parse_format(const char *s, cg_text_format *out)
{
    if (strcmp(s, "auto") == 0)
        *out = CG_TEXT_FORMAT_AUTO;
    else if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
        *out = CG_TEXT_FORMAT_JSONL;
    else if (strcmp(s, "fasttext") == 0)
        *out = CG_TEXT_FORMAT_FASTTEXT;
    else if (strcmp(s, "pan") == 0 || strcmp(s, "pan2012") == 0)
        *out = CG_TEXT_FORMAT_PAN2012;
    else
        return -1;
    return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    v = strtoul(s, &end, 10);
    if (end == s || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v >= 0.0))
        return -1;
    *out = v;
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The data-file options shared by train and eval. Returns 1 if c was one of them, -1 on a bad
 * value, 0 otherwise. */
typedef struct data_args {
    cg_text_data d[MAX_DATA];
    size_t n;
    cg_text_format format;
    const char *predators;
} data_args;

enum { OPT_DATA = 1000, OPT_FORMAT, OPT_PAN, OPT_OUT, OPT_BITS, OPT_CHAR, OPT_WORD, OPT_EPOCHS,
       OPT_LR, OPT_L2, OPT_SEED, OPT_MAXTEXT, OPT_MODEL, OPT_THRESHOLD, OPT_JSON, OPT_HELP,
       OPT_MODE, OPT_CW, OPT_TFIDF, OPT_SCOPE, OPT_TOKENS, OPT_DEV, OPT_SOLVER, OPT_C, OPT_DIAC };

static int data_option(const char *cmd, int c, const char *arg, data_args *da)
{
    switch (c) {
    case OPT_DATA:
        if (da->n == MAX_DATA) {
            fprintf(stderr, "childguard text %s: at most %d --data files\n", cmd, MAX_DATA);
            return -1;
        }
        da->d[da->n++].path = arg;
        return 1;
    case OPT_FORMAT:
        if (parse_format(arg, &da->format) != 0) {
            fprintf(stderr, "childguard text %s: unknown --format '%s'\n", cmd, arg);
            return -1;
        }
        return 1;
    case OPT_PAN: da->predators = arg; return 1;
    default: return 0;
    }
}

static void data_finish(data_args *da)
{
    for (size_t i = 0; i < da->n; i++) {
        da->d[i].format = da->format;
        da->d[i].pan_predators = da->predators;
    }
}

static void print_error(const char *cmd, cg_status st, const cg_error *err)
{
    fprintf(stderr, "childguard text %s: %s\n", cmd,
            err->message[0] ? err->message : cg_status_text(st));
}

/* ---- train --------------------------------------------------------------------------------- */

static int run_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pan-predators", required_argument, NULL, OPT_PAN},
        {"out", required_argument, NULL, OPT_OUT},
        {"bits", required_argument, NULL, OPT_BITS},
        {"char-ngrams", required_argument, NULL, OPT_CHAR},
        {"word-ngrams", required_argument, NULL, OPT_WORD},
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"lr", required_argument, NULL, OPT_LR},
        {"l2", required_argument, NULL, OPT_L2},
        {"seed", required_argument, NULL, OPT_SEED},
        {"max-text-bytes", required_argument, NULL, OPT_MAXTEXT},
        {"mode", required_argument, NULL, OPT_MODE},
        {"class-weight", required_argument, NULL, OPT_CW},
        {"tfidf", no_argument, NULL, OPT_TFIDF},
        {"char-scope", required_argument, NULL, OPT_SCOPE},
        {"tokens", no_argument, NULL, OPT_TOKENS},
        {"dev", required_argument, NULL, OPT_DEV},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"c", required_argument, NULL, OPT_C},
        {"keep-diacritics", no_argument, NULL, OPT_DIAC},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    data_args da, dev;
    cg_text_train_options o;
    cg_text_train_stats stats;
    bad_report br = {"train", 0};
    cg_text_model *m = NULL;
    cg_error err = {CG_OK, {0}};
    const char *out = NULL;
    double t0, secs;
    cg_status st;
    int c;

    memset(&da, 0, sizeof(da));
    memset(&dev, 0, sizeof(dev));
    memset(&o, 0, sizeof(o));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        unsigned long v = 0, v2 = 0;
        double d = 0.0;
        int r = data_option("train", c, optarg, &da);

        if (r < 0)
            return CLI_ERROR;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_OUT: out = optarg; break;
        case OPT_BITS:
            if (parse_ulong(optarg, 26, &v) != 0 || v < 8)
                goto bad_value;
            o.hash_bits = (unsigned)v;
            break;
        case OPT_CHAR: {
            char buf[32];
            char *dash;

            snprintf(buf, sizeof(buf), "%s", optarg);
            dash = strchr(buf, '-');
            if (dash == NULL)
                goto bad_value;
            *dash = '\0';
            if (parse_ulong(buf, 8, &v) != 0 || parse_ulong(dash + 1, 8, &v2) != 0 || v > v2 ||
                (v == 0 && v2 != 0))
                goto bad_value;
            /* 0-0 means none: min > max tells the library so (all-zero means the default). */
            o.char_min = v2 == 0 ? 1 : (unsigned)v;
            o.char_max = (unsigned)v2;
            break;
        }
        case OPT_WORD:
            if (parse_ulong(optarg, 3, &v) != 0 || v < 1)
                goto bad_value;
            o.word_ngrams = (unsigned)v;
            break;
        case OPT_EPOCHS:
            if (parse_ulong(optarg, 10000, &v) != 0 || v < 1)
                goto bad_value;
            o.epochs = (unsigned)v;
            break;
        case OPT_LR:
            if (parse_double(optarg, &d) != 0 || d <= 0.0)
                goto bad_value;
            o.learning_rate = (float)d;
            break;
        case OPT_L2:
            if (parse_double(optarg, &d) != 0)
                goto bad_value;
            o.l2 = (float)d;
            break;
        case OPT_SEED:
            if (parse_ulong(optarg, ULONG_MAX, &v) != 0)
                goto bad_value;
            o.seed = v;
            break;
        case OPT_MAXTEXT:
            if (parse_ulong(optarg, (unsigned long)1 << 30, &v) != 0 || v < 1)
                goto bad_value;
            o.max_text_bytes = v;
            break;
        case OPT_MODE:
            if (strcmp(optarg, "ovr") == 0)
                o.mode = CG_TEXT_MODE_OVR;
            else if (strcmp(optarg, "softmax") == 0)
                o.mode = CG_TEXT_MODE_SOFTMAX;
            else
                goto bad_value;
            break;
        case OPT_CW:
            if (strcmp(optarg, "auto") == 0)
                o.class_weight = CG_TEXT_WEIGHT_AUTO;
            else if (strcmp(optarg, "none") == 0)
                o.class_weight = CG_TEXT_WEIGHT_NONE;
            else if (strcmp(optarg, "balanced") == 0)
                o.class_weight = CG_TEXT_WEIGHT_BALANCED;
            else
                goto bad_value;
            break;
        case OPT_TFIDF: o.tfidf = 1; break;
        case OPT_DIAC: o.keep_diacritics = 1; break;
        case OPT_TOKENS: o.raw_tokens = 1; break;
        case OPT_SCOPE:
            if (strcmp(optarg, "text") == 0)
                o.char_scope = CG_TEXT_CHARS_TEXT;
            else if (strcmp(optarg, "words") == 0)
                o.char_scope = CG_TEXT_CHARS_WORDS;
            else
                goto bad_value;
            break;
        case OPT_DEV:
            if (data_option("train", OPT_DATA, optarg, &dev) < 0)
                return CLI_ERROR;
            break;
        case OPT_SOLVER:
            if (strcmp(optarg, "auto") == 0)
                o.solver = CG_TEXT_SOLVER_AUTO;
            else if (strcmp(optarg, "lbfgs") == 0)
                o.solver = CG_TEXT_SOLVER_LBFGS;
            else if (strcmp(optarg, "sgd") == 0)
                o.solver = CG_TEXT_SOLVER_SGD;
            else
                goto bad_value;
            break;
        case OPT_C:
            if (parse_double(optarg, &d) != 0 || d <= 0.0 || d > 1e9)
                goto bad_value;
            o.c = (float)d;
            break;
        case OPT_HELP:
        case 'h': textmodel_cli_usage(); return CLI_OK;
        default: return CLI_ERROR;
        }
        continue;
bad_value:
        for (size_t k = 0; longopts[k].name != NULL; k++)
            if (longopts[k].val == c)
                fprintf(stderr, "childguard text train: bad value '%s' for --%s\n", optarg,
                        longopts[k].name);
        return CLI_ERROR;
    }
    if (da.n == 0 || out == NULL || optind != argc) {
        fprintf(stderr, "childguard text train: needs --data FILE and --out MODEL (and no other "
                        "arguments)\n");
        return CLI_ERROR;
    }
    data_finish(&da);
    dev.format = da.format;
    data_finish(&dev);
    o.dev = dev.n > 0 ? dev.d : NULL;
    o.n_dev = dev.n;
    o.on_bad_line = on_bad_line;
    o.ud = &br;
    t0 = now_seconds();
    st = cg_text_model_train(da.d, da.n, &o, &m, &stats, &err);
    secs = now_seconds() - t0;
    if (st != CG_OK) {
        print_error("train", st, &err);
        return CLI_ERROR;
    }
    st = cg_text_model_save(m, out, &err);
    if (st != CG_OK) {
        print_error("train", st, &err);
        cg_text_model_close(m);
        return CLI_ERROR;
    }
    fprintf(stderr,
            "childguard text train: %llu examples (%llu with no label), %u labels, %llu bad "
            "lines; final loss %.4f; %.2f s (reading, normalising and training)\n",
            (unsigned long long)stats.examples, (unsigned long long)stats.negatives,
            stats.labels, (unsigned long long)stats.bad_lines, stats.final_loss, secs);
    if (stats.solver == CG_TEXT_SOLVER_LBFGS)
        fprintf(stderr, "childguard text train: L-BFGS, C %g, %u iterations\n",
                (double)stats.c, stats.epochs_run);
    else
        fprintf(stderr, "childguard text train: SGD, %u epochs, l2 %g\n", stats.epochs_run,
                (double)stats.l2);
    if (stats.dev_examples > 0)
        fprintf(stderr, "childguard text train: dev: %llu examples; macro-F1 %.4f with the "
                "thresholds chosen\n", (unsigned long long)stats.dev_examples,
                stats.dev_macro_f1);
    cg_text_model_close(m);
    return CLI_OK;
}

/* ---- eval ---------------------------------------------------------------------------------- */

static void print_eval_text(const cg_text_eval *ev)
{
    const unsigned L = ev->label_count, W = L + 1;

    if (ev->threshold > 0)
        printf("%llu examples, threshold %.3g", (unsigned long long)ev->examples, ev->threshold);
    else
        printf("%llu examples, the model's thresholds", (unsigned long long)ev->examples);
    if (ev->unknown_labels)
        printf(", %llu true labels unknown to the model (ignored)",
               (unsigned long long)ev->unknown_labels);
    printf("\n\n%-24s %8s %8s %8s %8s %9s %9s %9s %9s\n", "label", "tp", "fp", "fn", "tn",
           "precision", "recall", "F1", "F0.5");
    for (unsigned i = 0; i <= L; i++) {
        const cg_text_label_metrics *lm = i < L ? &ev->labels[i] : &ev->micro;

        printf("%-24s %8llu %8llu %8llu %8llu %9.4f %9.4f %9.4f %9.4f\n", lm->name,
               (unsigned long long)lm->tp, (unsigned long long)lm->fp,
               (unsigned long long)lm->fn, (unsigned long long)lm->tn, lm->precision,
               lm->recall, lm->f1, lm->f05);
    }
    printf("%-24s %80.4f\n", "macro-F1", ev->macro_f1);
    printf("\nconfusion (rows: true label, columns: assigned label; (none) = no label)\n");
    printf("%-24s", "");
    for (unsigned b = 0; b < W; b++)
        printf(" %12.12s", b < L ? ev->labels[b].name : "(none)");
    printf("\n");
    for (unsigned a = 0; a < W; a++) {
        printf("%-24.24s", a < L ? ev->labels[a].name : "(none)");
        for (unsigned b = 0; b < W; b++)
            printf(" %12llu", (unsigned long long)ev->confusion[a * W + b]);
        printf("\n");
    }
}

static json_t *metrics_json(const cg_text_label_metrics *lm)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "label", lm->name, "tp",
                     (json_int_t)lm->tp, "fp", (json_int_t)lm->fp, "fn", (json_int_t)lm->fn,
                     "tn", (json_int_t)lm->tn, "precision", lm->precision, "recall", lm->recall,
                     "f1", lm->f1, "f0_5", lm->f05);
}

static int print_eval_json(const cg_text_eval *ev)
{
    const unsigned L = ev->label_count, W = L + 1;
    json_t *root = json_object(), *labels = json_array(), *names = json_array(),
           *rows = json_array();
    int ok = root && labels && names && rows;

    for (unsigned i = 0; ok && i < L; i++)
        ok = json_array_append_new(labels, metrics_json(&ev->labels[i])) == 0;
    for (unsigned b = 0; ok && b < W; b++)
        ok = json_array_append_new(names, json_string(b < L ? ev->labels[b].name : "(none)")) == 0;
    for (unsigned a = 0; ok && a < W; a++) {
        json_t *row = json_array();

        ok = row != NULL;
        for (unsigned b = 0; ok && b < W; b++)
            ok = json_array_append_new(row, json_integer((json_int_t)ev->confusion[a * W + b])) ==
                 0;
        ok = ok && json_array_append_new(rows, row) == 0;
        if (!ok)
            json_decref(row);
    }
    ok = ok && json_object_set_new(root, "examples", json_integer((json_int_t)ev->examples)) == 0;
    ok = ok && json_object_set_new(root, "bad_lines", json_integer((json_int_t)ev->bad_lines)) == 0;
    ok = ok && json_object_set_new(root, "unknown_labels",
                                   json_integer((json_int_t)ev->unknown_labels)) == 0;
    ok = ok && json_object_set_new(root, "threshold", ev->threshold > 0 ? json_real(ev->threshold)
                                                                         : json_null()) == 0;
    ok = ok && json_object_set_new(root, "macro_f1", json_real(ev->macro_f1)) == 0;
    ok = ok && json_object_set(root, "labels", labels) == 0;
    ok = ok && json_object_set_new(root, "micro", metrics_json(&ev->micro)) == 0;
    ok = ok && json_object_set_new(root, "confusion",
                                   json_pack("{s:O, s:O}", "labels", names, "rows", rows)) == 0;
    if (ok) {
        char *s = json_dumps(root, JSON_COMPACT);

        ok = s != NULL;
        if (ok)
            printf("%s\n", s);
        free(s);
    }
    json_decref(labels);
    json_decref(names);
    json_decref(rows);
    json_decref(root);
    return ok ? 0 : -1;
}

static cg_status load_model(const char *cmd, const char *path, cg_text_model **m)
{
    cg_error err = {CG_OK, {0}};
    cg_status st = cg_text_model_open(path, m, &err);

    if (st != CG_OK)
        print_error(cmd, st, &err);
    return st;
}

static int run_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pan-predators", required_argument, NULL, OPT_PAN},
        {"model", required_argument, NULL, OPT_MODEL},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    data_args da;
    cg_text_eval_options eo;
    bad_report br = {"eval", 0};
    cg_text_model *m = NULL;
    cg_text_eval *ev = NULL;
    cg_error err = {CG_OK, {0}};
    const char *model = NULL;
    int c, json = 0, rc = CLI_OK;
    cg_status st;

    memset(&da, 0, sizeof(da));
    memset(&eo, 0, sizeof(eo));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = data_option("eval", c, optarg, &da);

        if (r < 0)
            return CLI_ERROR;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_THRESHOLD:
            if (parse_double(optarg, &eo.threshold) != 0 || eo.threshold <= 0.0 ||
                eo.threshold > 1.0) {
                fprintf(stderr, "childguard text eval: bad --threshold '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        case OPT_JSON: json = 1; break;
        case OPT_HELP:
        case 'h': textmodel_cli_usage(); return CLI_OK;
        default: return CLI_ERROR;
        }
    }
    if (model == NULL || da.n == 0 || optind != argc) {
        fprintf(stderr, "childguard text eval: needs --model MODEL and --data FILE\n");
        return CLI_ERROR;
    }
    data_finish(&da);
    if (load_model("eval", model, &m) != CG_OK)
        return CLI_ERROR;
    eo.on_bad_line = on_bad_line;
    eo.ud = &br;
    st = cg_text_model_eval(m, da.d, da.n, &eo, &ev, &err);
    if (st != CG_OK) {
        print_error("eval", st, &err);
        rc = CLI_ERROR;
    } else if (json) {
        if (print_eval_json(ev) != 0) {
            fprintf(stderr, "childguard text eval: out of memory writing JSON\n");
            rc = CLI_ERROR;
        }
    } else {
        print_eval_text(ev);
    }
    cg_text_eval_destroy(ev);
    cg_text_model_close(m);
    return rc;
}

/* ---- predict ------------------------------------------------------------------------------- */

static int predict_stream(const cg_text_model *m, FILE *f, const char *name, double threshold,
                          float *scores)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long lineno = 0;
    int rc = CLI_OK;

    while ((n = getline(&line, &cap, f)) >= 0) {
        cg_error err = {CG_OK, {0}};
        json_t *obj, *sc, *labs;
        char *s;
        cg_status st;

        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        st = cg_text_model_predict(m, line, (size_t)n, scores, &err);
        if (st != CG_OK) {
            fprintf(stderr, "childguard text predict: %s:%llu: %s\n", name, lineno,
                    err.message);
            rc = CLI_ERROR;
            continue;
        }
        obj = json_object();
        sc = json_object();
        labs = json_array();
        unsigned char assigned[CG_TEXT_MODEL_MAX_LABELS];
        cg_text_model_assign(m, scores, threshold, assigned);
        for (unsigned l = 0; obj && sc && labs && l < cg_text_model_label_count(m); l++) {
            const char *ln = cg_text_model_label_name(m, l);

            json_object_set_new(sc, ln, json_real(scores[l]));
            if (assigned[l])
                json_array_append_new(labs, json_string(ln));
        }
        s = NULL;
        if (obj && sc && labs && json_object_set(obj, "scores", sc) == 0 &&
            json_object_set(obj, "labels", labs) == 0)
            s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        json_decref(sc);
        json_decref(labs);
        json_decref(obj);
        if (s == NULL) {
            fprintf(stderr, "childguard text predict: out of memory\n");
            rc = CLI_ERROR;
            break;
        }
        printf("%s\n", s);
        free(s);
    }
    if (ferror(f)) {
        fprintf(stderr, "childguard text predict: %s: read error\n", name);
        rc = CLI_ERROR;
    }
    free(line);
    return rc;
}

static int run_predict(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    float scores[CG_TEXT_MODEL_MAX_LABELS];
    cg_text_model *m = NULL;
    const char *model = NULL;
    double threshold = 0.0; /* the model's own */
    int c, rc = CLI_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_THRESHOLD:
            if (parse_double(optarg, &threshold) != 0 || threshold <= 0.0 || threshold > 1.0) {
                fprintf(stderr, "childguard text predict: bad --threshold '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        case OPT_HELP:
        case 'h': textmodel_cli_usage(); return CLI_OK;
        default: return CLI_ERROR;
        }
    }
    if (model == NULL) {
        fprintf(stderr, "childguard text predict: needs --model MODEL\n");
        return CLI_ERROR;
    }
    if (load_model("predict", model, &m) != CG_OK)
        return CLI_ERROR;
    if (optind == argc) {
        rc = predict_stream(m, stdin, "(stdin)", threshold, scores);
    } else {
        for (int i = optind; i < argc; i++) {
            FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "rb");

            if (f == NULL) {
                perror(argv[i]);
                rc = CLI_ERROR;
                continue;
            }
            if (predict_stream(m, f, argv[i], threshold, scores) != CLI_OK)
                rc = CLI_ERROR;
            if (f != stdin)
                fclose(f);
        }
    }
    cg_text_model_close(m);
    return rc;
}

int textmodel_cli(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        textmodel_cli_usage();
        return argc < 1 ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(argv[0], "train") == 0)
        return run_train(argc, argv);
    if (strcmp(argv[0], "eval") == 0)
        return run_eval(argc, argv);
    if (strcmp(argv[0], "predict") == 0)
        return run_predict(argc, argv);
    fprintf(stderr, "childguard text: no subcommand '%s' (train, eval, predict)\n", argv[0]);
    return CLI_ERROR;
}
