/* `childguard text eval --conversations FILE`: runs every conversation of a labelled corpus
 * through the text engine, message by message as a chat would arrive, and compares what the
 * engine said with the labels (texteval_cli.h; the format is tests/text/corpus/README.md).
 *
 * Conversation level (the measures of issue 19):
 * - grooming alerted in time: the conversation's alert reached `alert` or `urgent` at or before
 *   the first sexual-stage message (the last message when none is labelled);
 * - negatives (benign, hard negatives) with a false alert: `alert` or `urgent` anywhere;
 * - recall per harm: the conversation's risk of that harm reached 0.5 at some message;
 * - false positives per harm: the same in a conversation not labelled with that harm.
 * Message level: a message is assigned a harm when its own risk (message_risk) is >= 0.5;
 * precision, recall and F1 per harm against the message labels, and their macro average. */
#include "texteval_cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "cli.h"
#include "msgtime.h"

#define MAX_FILES 64
#define MAX_LINE ((size_t)16 << 20)
#define MAX_MESSAGES 10000
#define RISK_HIT 0.5f
#define BAD_LINES_SHOWN 20

static const char *const kind_names[] = {"grooming", "sextortion", "bullying", "self_harm",
                                         "personal_data", "sexual_solicitation", "benign",
                                         "hard_negative"};
#define N_KINDS 8
#define KIND_BENIGN 6
#define KIND_HARD 7
static const char *const lang_names[] = {"vi", "en", "mixed"};
#define N_LANGS 3

void texteval_cli_usage(void)
{
    printf("usage: childguard text eval --conversations FILE [--conversations FILE ...]\n"
           "                            [--split train|dev] [--json] [--list] [engine options]\n"
           "\n"
           "Measures the text engine on a labelled corpus of conversations (JSON lines, one\n"
           "conversation a line: tests/text/corpus/README.md). Every conversation is scanned\n"
           "message by message in a fresh session, as a chat would arrive, and compared with\n"
           "its labels:\n"
           "  conversation level  grooming alerted (alert/urgent) at or before the first\n"
           "                      sexual-stage message; benign and hard-negative conversations\n"
           "                      with a false alert (alert/urgent anywhere); per harm, recall\n"
           "                      (risk >= 0.5 at some message) and false positives (the same\n"
           "                      in conversations without that harm)\n"
           "  message level       a message shows a harm when its own risk is >= 0.5:\n"
           "                      precision, recall and F1 per harm, and macro-F1\n"
           "\n"
           "Options:\n"
           "      --conversations FILE  a corpus file (repeatable)\n"
           "      --split train|dev     only conversations of this split (default: all)\n"
           "      --json                the figures as one JSON object\n"
           "      --list                one line per conversation: peak alert, harms missed,\n"
           "                            harms raised without a label\n"
           "      --lang auto|vi|en  --data DIR  --lexicon FILE  --model FILE   as for text scan\n"
           "      --learned FILE        the learned layer (default: DATA/text/learned.bin)\n"
           "      --no-learned          the rules alone\n"
           "      --features-out FILE   write each message's feature line with its labels\n"
           "                            (JSON lines: text, labels, conversation, split): the\n"
           "                            training data of the learned layer\n"
           "\n"
           "(`text eval --model MODEL --data FILE` evaluates a trained classifier on labelled\n"
           "texts instead: see 'childguard text train --help'.)\n"
           "\n"
           "Exit status: 0 figures printed, 1 no conversation found (in that split), 2 an error\n"
           "(bad lines are reported with file:line and skipped; the figures for the rest are\n"
           "still printed).\n");
}

int texteval_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--conversations") == 0 ||
            strncmp(argv[i], "--conversations=", 16) == 0)
            return 1;
    return 0;
}

/* ---- the tally ------------------------------------------------------------------------------ */

typedef struct tally {
    uint64_t convs, messages;
    uint64_t kind_n[N_KINDS], kind_alerted[N_KINDS];
    uint64_t groom_n, groom_timely;
    uint64_t neg_n[2], neg_false[2];        /* benign, hard negatives */
    uint64_t harm_n[CG_HARM_COUNT], harm_hit[CG_HARM_COUNT];
    uint64_t harm_neg_n[CG_HARM_COUNT], harm_fp[CG_HARM_COUNT];
    uint64_t msg_tp[CG_HARM_COUNT], msg_fp[CG_HARM_COUNT], msg_fn[CG_HARM_COUNT];
    uint64_t lang_harmful[N_LANGS], lang_found[N_LANGS], lang_neg[N_LANGS], lang_false[N_LANGS];
} tally;

typedef struct eval_opts {
    const char *files[MAX_FILES];
    size_t n_files;
    const char *split;      /* NULL: all */
    int json, list;
    cg_text_config text;
    const char *extra[17];
    size_t n_extra;
    const char *features_out; /* --features-out: the learned layer's training lines */
} eval_opts;

typedef struct eval_run {
    const eval_opts *o;
    cg_text_engine *engine;
    cg_text_result res;
    tally t;
    unsigned long long bad;
    FILE *features;
} eval_run;

static void bad_line(eval_run *r, const char *file, unsigned long long line, const char *why)
{
    if (r->bad++ < BAD_LINES_SHOWN)
        fprintf(stderr, "childguard text eval: %s:%llu: %s (conversation skipped)\n", file, line,
                why);
    else if (r->bad == BAD_LINES_SHOWN + 1)
        fprintf(stderr, "childguard text eval: more bad lines not shown\n");
}

static int index_of(const char *const *names, int n, const char *s)
{
    for (int i = 0; s != NULL && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* The harm names of a JSON array as a bit set; -1 when it is not an array of harm names. */
static int harm_bits(json_t *a)
{
    size_t i;
    json_t *v;
    int bits = 0;

    if (!json_is_array(a))
        return -1;
    json_array_foreach(a, i, v) {
        int h = json_is_string(v) ? cg_text_harm_from_name(json_string_value(v)) : -1;
        if (h < 0)
            return -1;
        bits |= 1 << h;
    }
    return bits;
}

static const char *opt_string(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Checks the labels of one conversation; NULL when fine, else why not. */
static const char *check_conversation(json_t *c, int *kind, int *lang, int *harms, long *stage,
                                      size_t *n_msgs)
{
    json_t *msgs = json_object_get(c, "messages"), *ss = json_object_get(c, "sexual_stage");
    size_t i;
    json_t *m;

    if (!json_is_object(c))
        return "not a JSON object";
    if (opt_string(c, "conversation") == NULL)
        return "no \"conversation\" id";
    *kind = index_of(kind_names, N_KINDS, opt_string(c, "kind"));
    if (*kind < 0)
        return "\"kind\" is not one of grooming, sextortion, bullying, self_harm, "
               "personal_data, sexual_solicitation, benign, hard_negative";
    *lang = index_of(lang_names, N_LANGS, opt_string(c, "lang"));
    if (*lang < 0)
        return "\"lang\" is not vi, en or mixed";
    *harms = harm_bits(json_object_get(c, "harms"));
    if (*harms < 0)
        return "\"harms\" is not an array of harm names";
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return "\"messages\" is not a non-empty array";
    if (json_array_size(msgs) > MAX_MESSAGES)
        return "more than 10000 messages";
    *n_msgs = json_array_size(msgs);
    *stage = -1;
    if (ss != NULL && !json_is_null(ss)) {
        if (!json_is_integer(ss) || json_integer_value(ss) < 0 ||
            (size_t)json_integer_value(ss) >= *n_msgs)
            return "\"sexual_stage\" is not a message index";
        *stage = (long)json_integer_value(ss);
    }
    json_array_foreach(msgs, i, m) {
        json_t *text = json_object_get(m, "text");
        if (!json_is_object(m) || !json_is_string(text))
            return "a message without a \"text\" string";
        if (harm_bits(json_object_get(m, "harms")) < 0)
            return "a message whose \"harms\" is not an array of harm names";
        if (timestamp_parse_ms(json_object_get(m, "ts")) < 0)
            return "a message with a bad \"ts\" (ISO-8601 or unix seconds)";
    }
    return NULL;
}

static void harm_list(int bits, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (bits & (1 << h)) {
            int w = snprintf(out + used, cap - used, "%s%s", used ? "," : "",
                             cg_text_harm_name((cg_harm)h));
            if (w < 0 || (size_t)w >= cap - used)
                return;
            used += (size_t)w;
        }
}

/* One training line of the learned layer: the message's feature line and its harms. */
static int write_features(eval_run *r, json_t *c, const char *id, int harms,
                          const cg_text_session *s)
{
    const char *line = cg_text_session_features(s);
    json_t *o = json_object(), *labels = json_array();
    int rc = -1;

    if (o != NULL && labels != NULL && line != NULL) {
        for (int h = 0; h < CG_HARM_COUNT; h++)
            if (harms & (1 << h))
                json_array_append_new(labels, json_string(cg_text_harm_name((cg_harm)h)));
        json_object_set_new(o, "text", json_string(line));
        json_object_set(o, "labels", labels);
        json_object_set_new(o, "conversation", json_string(id));
        json_object_set(o, "split", json_object_get(c, "split"));
        char *dump = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (dump != NULL && fprintf(r->features, "%s\n", dump) > 0)
            rc = 0;
        free(dump);
    }
    json_decref(labels);
    json_decref(o);
    return rc;
}

/* Scans one checked conversation and adds it to the tally. */
static cg_status run_conversation(eval_run *r, json_t *c, int kind, int lang, int harms,
                                  long stage, const char *file, unsigned long long line)
{
    const char *id = opt_string(c, "conversation");
    json_t *msgs = json_object_get(c, "messages");
    cg_text_session *s = NULL;
    cg_error err;
    tally *t = &r->t;
    float peak[CG_HARM_COUNT] = {0};
    cg_alert top = CG_ALERT_NONE;
    int timely = 0;
    size_t i;
    json_t *m;
    cg_status st = cg_text_session_create(r->engine, &s, &err);

    if (st != CG_OK) {
        fprintf(stderr, "childguard text eval: %s\n", err.message);
        return st;
    }
    if (r->features != NULL)
        cg_text_session_keep_features(s, 1);
    json_array_foreach(msgs, i, m) {
        json_t *text = json_object_get(m, "text");
        char idbuf[24];
        cg_text_message msg;

        snprintf(idbuf, sizeof(idbuf), "%zu", i);
        memset(&msg, 0, sizeof(msg));
        msg.conversation = id;
        msg.id = idbuf;
        msg.sender = opt_string(m, "sender");
        msg.recipient = opt_string(m, "recipient");
        msg.ts_ms = timestamp_parse_ms(json_object_get(m, "ts"));
        msg.text = json_string_value(text);
        msg.len = json_string_length(text);
        st = cg_text_scan(s, &msg, &r->res, &err);
        if (st != CG_OK) {
            fprintf(stderr, "childguard text eval: %s:%llu: conversation %s, message %zu: %s\n",
                    file, line, id, i, err.message);
            break;
        }
        int truth = harm_bits(json_object_get(m, "harms"));
        if (r->features != NULL && write_features(r, c, id, truth, s) != 0) {
            fprintf(stderr, "childguard text eval: %s: cannot write\n", r->o->features_out);
            st = CG_E_IO;
            break;
        }
        for (int h = 0; h < CG_HARM_COUNT; h++) {
            int want = (truth >> h) & 1, got = r->res.message_risk[h] >= RISK_HIT;
            t->msg_tp[h] += want && got;
            t->msg_fp[h] += !want && got;
            t->msg_fn[h] += want && !got;
            if (r->res.risk[h] > peak[h])
                peak[h] = r->res.risk[h];
        }
        if (r->res.alert > top)
            top = r->res.alert;
        if (r->res.alert >= CG_ALERT_ALERT && (stage < 0 || (long)i <= stage))
            timely = 1;
        t->messages++;
    }
    cg_text_session_destroy(s);
    if (st != CG_OK)
        return st;

    int raised = 0, missed = 0, extra = 0;
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (peak[h] >= RISK_HIT)
            raised |= 1 << h;
    t->convs++;
    t->kind_n[kind]++;
    t->kind_alerted[kind] += top >= CG_ALERT_ALERT;
    if (harms & (1 << CG_HARM_GROOMING)) {
        t->groom_n++;
        t->groom_timely += timely;
    }
    if (kind == KIND_BENIGN || kind == KIND_HARD) {
        int k = kind == KIND_HARD;
        t->neg_n[k]++;
        t->neg_false[k] += top >= CG_ALERT_ALERT;
        t->lang_neg[lang]++;
        t->lang_false[lang] += top >= CG_ALERT_ALERT;
    } else {
        t->lang_harmful[lang]++;
        t->lang_found[lang] += (raised & harms) != 0;
    }
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        if (harms & (1 << h)) {
            t->harm_n[h]++;
            t->harm_hit[h] += (raised >> h) & 1;
            missed |= raised & (1 << h) ? 0 : 1 << h;
        } else {
            t->harm_neg_n[h]++;
            t->harm_fp[h] += (raised >> h) & 1;
            extra |= raised & (1 << h);
        }
    }
    if (r->o->list) {
        char a[160], b[160], labels[160];
        harm_list(harms, labels, sizeof(labels));
        harm_list(missed, a, sizeof(a));
        harm_list(extra, b, sizeof(b));
        printf("%-14s %-19s %-5s %-6s peak %-6s%s%s%s%s%s%s\n", id, kind_names[kind],
               lang_names[lang], opt_string(c, "split") ? opt_string(c, "split") : "-",
               cg_text_alert_name(top), labels[0] ? "  labels " : "", labels,
               missed ? "  MISSED " : "", a, extra ? "  RAISED " : "", b);
        if ((harms & (1 << CG_HARM_GROOMING)) && !timely)
            printf("%-14s grooming not alerted by the sexual stage (message %ld)\n", id, stage);
    }
    return CG_OK;
}

/* Reads one corpus file line by line. Returns CG_OK unless something other than a bad line
 * went wrong (the engine failed). */
static cg_status run_file(eval_run *r, const char *file)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long lineno = 0;
    cg_status st = CG_OK;

    if (f == NULL) {
        fprintf(stderr, "childguard text eval: %s: cannot open: %m\n", file);
        r->bad++;
        return CG_OK;
    }
    while (st == CG_OK && (n = getline(&line, &cap, f)) >= 0) {
        json_error_t je;
        json_t *c;
        const char *why, *split;
        int kind = 0, lang = 0, harms = 0;
        long stage = -1;
        size_t n_msgs = 0;

        lineno++;
        if ((size_t)n > MAX_LINE) {
            bad_line(r, file, lineno, "line longer than 16 MiB");
            continue;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (strspn(line, " \t") == (size_t)n)
            continue;
        c = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
        if (c == NULL) {
            bad_line(r, file, lineno, je.text);
            continue;
        }
        why = check_conversation(c, &kind, &lang, &harms, &stage, &n_msgs);
        if (why != NULL) {
            bad_line(r, file, lineno, why);
            json_decref(c);
            continue;
        }
        split = opt_string(c, "split");
        if (r->o->split == NULL || (split != NULL && strcmp(split, r->o->split) == 0))
            st = run_conversation(r, c, kind, lang, harms, stage, file, lineno);
        json_decref(c);
    }
    if (ferror(f)) {
        fprintf(stderr, "childguard text eval: %s: read error\n", file);
        r->bad++;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return st;
}

/* ---- output --------------------------------------------------------------------------------- */

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void prf(const tally *t, int h, double *p, double *rc, double *f1)
{
    *p = ratio(t->msg_tp[h], t->msg_tp[h] + t->msg_fp[h]);
    *rc = ratio(t->msg_tp[h], t->msg_tp[h] + t->msg_fn[h]);
    *f1 = *p + *rc > 0 ? 2 * *p * *rc / (*p + *rc) : 0.0;
}

/* Macro-F1 over the harms that have at least one labelled message. */
static double macro_f1(const tally *t)
{
    double sum = 0;
    int n = 0;

    for (int h = 0; h < CG_HARM_COUNT; h++) {
        double p, rc, f1;
        if (t->msg_tp[h] + t->msg_fn[h] == 0)
            continue;
        prf(t, h, &p, &rc, &f1);
        sum += f1;
        n++;
    }
    return n ? sum / n : 0.0;
}

static void print_text(const eval_opts *o, const tally *t)
{
    char buf[32];

    printf("text eval: %llu conversations%s%s%s, %llu messages\n\n",
           (unsigned long long)t->convs, o->split ? " (split " : "", o->split ? o->split : "",
           o->split ? ")" : "", (unsigned long long)t->messages);
    printf("conversation level\n");
#define ROW(label, a, b)                                                                   \
    do {                                                                                   \
        snprintf(buf, sizeof(buf), "%llu/%llu", (unsigned long long)(a),                   \
                 (unsigned long long)(b));                                                 \
        printf("  %-76s %9s\n", label, buf);                                               \
    } while (0)
    ROW("grooming alerted (alert/urgent) at or before the first sexual-stage message",
        t->groom_timely, t->groom_n);
    ROW("benign conversations with a false alert (alert/urgent)", t->neg_false[0], t->neg_n[0]);
    ROW("hard-negative conversations with a false alert (alert/urgent)", t->neg_false[1],
        t->neg_n[1]);
    ROW("negative conversations (both) with a false alert", t->neg_false[0] + t->neg_false[1],
        t->neg_n[0] + t->neg_n[1]);
    printf("  %-30s %16s %17s\n", "harm", "recall", "false positives");
    printf("  %-30s %16s %17s\n", "", "(risk >= 0.5)", "(no such label)");
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "%llu/%llu", (unsigned long long)t->harm_hit[h],
                 (unsigned long long)t->harm_n[h]);
        snprintf(b, sizeof(b), "%llu/%llu", (unsigned long long)t->harm_fp[h],
                 (unsigned long long)t->harm_neg_n[h]);
        printf("  %-30s %16s %17s\n", cg_text_harm_name((cg_harm)h), a, b);
    }
    printf("\n  %-30s %16s %17s\n", "language", "harmful found", "negatives alerted");
    for (int l = 0; l < N_LANGS; l++) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "%llu/%llu", (unsigned long long)t->lang_found[l],
                 (unsigned long long)t->lang_harmful[l]);
        snprintf(b, sizeof(b), "%llu/%llu", (unsigned long long)t->lang_false[l],
                 (unsigned long long)t->lang_neg[l]);
        printf("  %-30s %16s %17s\n", lang_names[l], a, b);
    }
    printf("\nmessage level (a message's own risk >= 0.5)\n");
    printf("  %-22s %6s %6s %6s %9s %9s %9s\n", "harm", "tp", "fp", "fn", "precision", "recall",
           "F1");
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        double p, rc, f1;
        prf(t, h, &p, &rc, &f1);
        printf("  %-22s %6llu %6llu %6llu %9.3f %9.3f %9.3f\n", cg_text_harm_name((cg_harm)h),
               (unsigned long long)t->msg_tp[h], (unsigned long long)t->msg_fp[h],
               (unsigned long long)t->msg_fn[h], p, rc, f1);
    }
    printf("  %-22s %50.3f\n", "macro-F1", macro_f1(t));
#undef ROW
}

static json_t *frac(uint64_t a, uint64_t b)
{
    return json_pack("{s:I,s:I}", "hit", (json_int_t)a, "of", (json_int_t)b);
}

static int print_json(const eval_opts *o, const tally *t)
{
    json_t *root = json_object(), *conv = json_object(), *recall = json_object(),
           *fp = json_object(), *msg = json_object(), *langs = json_object(),
           *kinds = json_object();
    int ok = root && conv && recall && fp && msg && langs && kinds;

    for (int h = 0; ok && h < CG_HARM_COUNT; h++) {
        double p, rc, f1;
        const char *name = cg_text_harm_name((cg_harm)h);
        prf(t, h, &p, &rc, &f1);
        ok = json_object_set_new(recall, name, frac(t->harm_hit[h], t->harm_n[h])) == 0 &&
             json_object_set_new(fp, name, frac(t->harm_fp[h], t->harm_neg_n[h])) == 0 &&
             json_object_set_new(msg, name,
                                 json_pack("{s:I,s:I,s:I,s:f,s:f,s:f}", "tp",
                                           (json_int_t)t->msg_tp[h], "fp",
                                           (json_int_t)t->msg_fp[h], "fn",
                                           (json_int_t)t->msg_fn[h], "precision", p, "recall",
                                           rc, "f1", f1)) == 0;
    }
    for (int l = 0; ok && l < N_LANGS; l++)
        ok = json_object_set_new(langs, lang_names[l],
                                 json_pack("{s:o,s:o}", "harmful_found",
                                           frac(t->lang_found[l], t->lang_harmful[l]),
                                           "negatives_alerted",
                                           frac(t->lang_false[l], t->lang_neg[l]))) == 0;
    for (int k = 0; ok && k < N_KINDS; k++)
        ok = json_object_set_new(kinds, kind_names[k],
                                 frac(t->kind_alerted[k], t->kind_n[k])) == 0;
    ok = ok && json_object_set_new(conv, "grooming_alerted_by_sexual_stage",
                                   frac(t->groom_timely, t->groom_n)) == 0;
    ok = ok && json_object_set_new(conv, "benign_false_alert",
                                   frac(t->neg_false[0], t->neg_n[0])) == 0;
    ok = ok && json_object_set_new(conv, "hard_negative_false_alert",
                                   frac(t->neg_false[1], t->neg_n[1])) == 0;
    ok = ok && json_object_set_new(conv, "negative_false_alert",
                                   frac(t->neg_false[0] + t->neg_false[1],
                                        t->neg_n[0] + t->neg_n[1])) == 0;
    ok = ok && json_object_set(conv, "recall", recall) == 0;
    ok = ok && json_object_set(conv, "false_positives", fp) == 0;
    ok = ok && json_object_set(conv, "by_language", langs) == 0;
    ok = ok && json_object_set(conv, "alerted_by_kind", kinds) == 0;
    ok = ok && json_object_set_new(root, "split", o->split ? json_string(o->split)
                                                           : json_null()) == 0;
    ok = ok && json_object_set_new(root, "conversations", json_integer((json_int_t)t->convs)) == 0;
    ok = ok && json_object_set_new(root, "messages", json_integer((json_int_t)t->messages)) == 0;
    ok = ok && json_object_set(root, "conversation_level", conv) == 0;
    ok = ok && json_object_set(root, "message_level", msg) == 0;
    ok = ok && json_object_set_new(root, "macro_f1", json_real(macro_f1(t))) == 0;
    if (ok) {
        char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        ok = s != NULL;
        if (ok)
            printf("%s\n", s);
        free(s);
    }
    json_decref(conv);
    json_decref(recall);
    json_decref(fp);
    json_decref(msg);
    json_decref(langs);
    json_decref(kinds);
    json_decref(root);
    return ok ? 0 : -1;
}

/* ---- the command ---------------------------------------------------------------------------- */

static void on_bad_row(const char *path, uint64_t line, const char *reason, void *ud)
{
    (void)ud;
    fprintf(stderr, "childguard text eval: %s:%llu: %s (row skipped)\n", path,
            (unsigned long long)line, reason);
}

int texteval_cli(int argc, char **argv)
{
    enum { O_CONV = 1000, O_SPLIT, O_JSON, O_LIST, O_LANG, O_DATA, O_LEX, O_MODEL, O_HELP,
           O_FEATURES, O_LEARNED, O_NO_LEARNED };
    static const struct option longopts[] = {
        {"conversations", required_argument, NULL, O_CONV},
        {"split", required_argument, NULL, O_SPLIT},
        {"json", no_argument, NULL, O_JSON},
        {"list", no_argument, NULL, O_LIST},
        {"lang", required_argument, NULL, O_LANG},
        {"data", required_argument, NULL, O_DATA},
        {"lexicon", required_argument, NULL, O_LEX},
        {"model", required_argument, NULL, O_MODEL},
        {"features-out", required_argument, NULL, O_FEATURES},
        {"learned", required_argument, NULL, O_LEARNED},
        {"no-learned", no_argument, NULL, O_NO_LEARNED},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    eval_opts o;
    eval_run r;
    cg_error err;
    cg_status st = CG_OK;
    int c;

    memset(&o, 0, sizeof(o));
    memset(&r, 0, sizeof(r));
    o.text.on_bad_row = on_bad_row;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_CONV:
            if (o.n_files == MAX_FILES) {
                fprintf(stderr, "childguard text eval: at most %d --conversations files\n",
                        MAX_FILES);
                return CLI_ERROR;
            }
            o.files[o.n_files++] = optarg;
            break;
        case O_SPLIT:
            if (strcmp(optarg, "train") != 0 && strcmp(optarg, "dev") != 0) {
                fprintf(stderr, "childguard text eval: --split is train or dev\n");
                return CLI_ERROR;
            }
            o.split = optarg;
            break;
        case O_JSON: o.json = 1; break;
        case O_LIST: o.list = 1; break;
        case O_LANG:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "vi") != 0 &&
                strcmp(optarg, "en") != 0) {
                fprintf(stderr, "childguard text eval: --lang is auto, vi or en\n");
                return CLI_ERROR;
            }
            o.text.lang = optarg;
            break;
        case O_DATA: o.text.data_dir = optarg; break;
        case O_MODEL: o.text.model_path = optarg; break;
        case O_FEATURES: o.features_out = optarg; break;
        case O_LEARNED: o.text.learned_path = optarg; break;
        case O_NO_LEARNED: o.text.no_learned = 1; break;
        case O_LEX:
            if (o.n_extra == 16) {
                fprintf(stderr, "childguard text eval: at most 16 --lexicon files\n");
                return CLI_ERROR;
            }
            o.extra[o.n_extra++] = optarg;
            o.text.extra_lexicons = o.extra;
            break;
        case O_HELP:
        case 'h': texteval_cli_usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard text eval --help'.\n");
            return CLI_ERROR;
        }
    }
    if (o.n_files == 0 || optind != argc) {
        fprintf(stderr, "childguard text eval: give --conversations FILE (and no other "
                        "arguments)\n");
        return CLI_ERROR;
    }
    r.o = &o;
    if (cg_text_engine_open(&o.text, &r.engine, &err) != CG_OK) {
        fprintf(stderr, "childguard text eval: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o.features_out != NULL) {
        r.features = fopen(o.features_out, "w");
        if (r.features == NULL) {
            fprintf(stderr, "childguard text eval: %s: cannot create: %m\n", o.features_out);
            cg_text_engine_close(r.engine);
            return CLI_ERROR;
        }
    }
    for (size_t i = 0; i < o.n_files && st == CG_OK; i++)
        st = run_file(&r, o.files[i]);
    if (r.features != NULL && fclose(r.features) != 0 && st == CG_OK) {
        fprintf(stderr, "childguard text eval: %s: cannot write\n", o.features_out);
        st = CG_E_IO;
    }
    cg_text_result_free(&r.res);
    cg_text_engine_close(r.engine);
    if (st != CG_OK)
        return CLI_ERROR;
    if (r.t.convs > 0) {
        if (o.json) {
            if (print_json(&o, &r.t) != 0) {
                fprintf(stderr, "childguard text eval: out of memory writing JSON\n");
                return CLI_ERROR;
            }
        } else {
            print_text(&o, &r.t);
        }
    } else {
        fprintf(stderr, "childguard text eval: no conversation%s%s found\n",
                o.split ? " in split " : "", o.split ? o.split : "");
    }
    if (r.bad > 0)
        return CLI_ERROR;
    return r.t.convs > 0 ? CLI_OK : CLI_NONE;
}
