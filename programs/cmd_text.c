/* `childguard text`: the text-harm engine on chat messages (scan, explain), and the trainable
 * classifier (train, eval, predict: cmd_textmodel.c). */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard.h"
#include "cli.h"
#include "textmodel_cli.h"

#define MAX_LINE (16u << 20) /* longer input lines are skipped with an error */

static void usage(void)
{
    printf("usage: childguard text scan [options] FILE|-\n"
           "       childguard text explain [options] FILE|-\n"
           "       childguard text train|eval|predict ...   (see 'childguard text train --help')\n"
           "\n"
           "Finds grooming, sexual solicitation, sextortion, bullying, self-harm risk and\n"
           "personal-data leaks in chat, in Vietnamese and English, conversation by\n"
           "conversation. Input: JSON lines {\"conversation\", \"id\", \"sender\", \"recipient\",\n"
           "\"ts\" (ISO-8601 or unix seconds), \"text\"}; a line that is not JSON is one message\n"
           "of a single conversation.\n"
           "\n"
           "scan prints one JSON line per message, in input order: conversation, id, alert\n"
           "(none|watch|alert|urgent, for the conversation as of this message), risks (harm ->\n"
           "0..1), message_risks, stage (grooming stage reached), ages, evidence (cue, harm,\n"
           "facet, byte span and text), and guidance for the child who received it.\n"
           "explain prints a readable report with the evidence highlighted.\n"
           "\n"
           "Options:\n"
           "      --lang auto|vi|en   cues of one language only (default auto: all)\n"
           "      --guidance vi|en    language of the guidance texts (default vi)\n"
           "      --country CC        help lines for this country (default VN: hotline 111)\n"
           "      --data DIR          data directory (lexicons, teencode, guidance)\n"
           "      --lexicon FILE      an extra lexicon file (repeatable)\n"
           "      --model FILE        a trained classifier (text train) whose labels are harm\n"
           "                          names; its scores join the lexicon evidence\n"
           "\n"
           "Exit status: 0 some message reached watch or higher, 1 none did, 2 an error (bad\n"
           "lines are reported with their line number and skipped; the stream goes on).\n");
}

typedef struct text_opts {
    int explain;
    const char *guidance_lang;
    cg_text_config cfg;
    const char *extra[17];
    size_t n_extra;
} text_opts;

/* Reads one line of at most MAX_LINE bytes into *buf (grown); returns its length, -1 at the
 * end, -2 when the line was too long (it is skipped). */
static long read_line(FILE *in, char **buf, size_t *cap)
{
    size_t n = 0;
    int c, too_long = 0;

    while ((c = getc(in)) != EOF && c != '\n') {
        if (n + 1 >= *cap && !too_long) {
            if (*cap >= MAX_LINE) {
                too_long = 1;
                continue;
            }
            size_t nc = *cap ? *cap * 2 : 4096;
            char *b = realloc(*buf, nc);
            if (b == NULL) {
                too_long = 1;
                continue;
            }
            *buf = b;
            *cap = nc;
        }
        if (!too_long)
            (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0 && !too_long)
        return -1;
    if (too_long)
        return -2;
    if (n > 0 && (*buf)[n - 1] == '\r')
        n--;
    (*buf)[n] = '\0';
    return (long)n;
}

/* ISO-8601 ("2024-05-01T10:00:00Z", "+07:00" offsets, fractions) or unix seconds → ms; -1 bad. */
static int64_t parse_ts(json_t *v)
{
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v) * 1000;
    if (json_is_real(v))
        return (int64_t)(json_real_value(v) * 1000.0);
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    int Y, M, D, h = 0, m = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &used) != 3)
        return -1;
    s += used;
    double frac = 0;
    if (*s == 'T' || *s == ' ') {
        if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &used) != 3)
            return -1;
        s += 1 + used;
        if (*s == '.') {
            char *end;
            frac = strtod(s, &end);
            s = end;
        }
    }
    int off = 0;
    if (*s == '+' || *s == '-') {
        int oh, om = 0;
        if (sscanf(s + 1, "%2d:%2d", &oh, &om) < 1)
            return -1;
        off = (oh * 60 + om) * (*s == '+' ? 1 : -1);
    } else if (*s == 'Z') {
        s++;
    } else if (*s != '\0') {
        return -1;
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    return ((int64_t)t - off * 60) * 1000 + (int64_t)(frac * 1000.0);
}

static const char *str_field(json_t *o, const char *k, char *buf, size_t n)
{
    json_t *v = json_object_get(o, k);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    return NULL;
}

static json_t *span_text(const char *text, size_t len, uint32_t a, uint32_t b)
{
    if (a > b || b > len)
        return json_null();
    json_t *s = json_stringn(text + a, b - a);
    return s ? s : json_null(); /* invalid UTF-8 in the span: no text */
}

static void print_json(const text_opts *o, cg_text_engine *e, const cg_text_message *m,
                       const char *line_id, const cg_text_result *r)
{
    json_t *obj = json_object(), *risks = json_object(), *mrisks = json_object();
    json_t *ev = json_array();

    json_object_set_new(obj, "conversation", json_string(m->conversation ? m->conversation
                                                                         : "default"));
    json_object_set_new(obj, "id", json_string(line_id));
    json_object_set_new(obj, "alert", json_string(cg_alert_name(r->alert)));
    cg_harm top = CG_HARM_GROOMING;
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        json_object_set_new(risks, cg_harm_name((cg_harm)h), json_real(r->risk[h]));
        json_object_set_new(mrisks, cg_harm_name((cg_harm)h), json_real(r->message_risk[h]));
        if (r->risk[h] > r->risk[top])
            top = (cg_harm)h;
    }
    json_object_set_new(obj, "risks", risks);
    json_object_set_new(obj, "message_risks", mrisks);
    json_object_set_new(obj, "stage", json_string(cg_facet_name(r->stage)));
    json_t *ages = json_object();
    if (r->sender_age_max > 0)
        json_object_set_new(ages, "sender", json_pack("[ii]", r->sender_age_min,
                                                      r->sender_age_max));
    if (r->recipient_age_max > 0)
        json_object_set_new(ages, "recipient", json_pack("[ii]", r->recipient_age_min,
                                                         r->recipient_age_max));
    if (r->age_asked)
        json_object_set_new(ages, "sender_asked_age", json_true());
    json_object_set_new(obj, "ages", ages);
    for (size_t i = 0; i < r->n_evidence; i++) {
        const cg_text_evidence *x = &r->evidence[i];
        json_t *it = json_object();
        json_object_set_new(it, "message", json_string(x->message_id));
        json_object_set_new(it, "harm", json_string(cg_harm_name(x->harm)));
        json_object_set_new(it, "facet", json_string(cg_facet_name(x->facet)));
        json_object_set_new(it, "cue", json_string(x->cue));
        json_object_set_new(it, "start", json_integer(x->start));
        json_object_set_new(it, "end", json_integer(x->end));
        json_object_set_new(it, "weight", json_real(x->weight));
        if (x->in_this_message)
            json_object_set_new(it, "text", span_text(m->text, m->len, x->start, x->end));
        json_array_append_new(ev, it);
    }
    json_object_set_new(obj, "evidence", ev);
    if (r->invalid_utf8 > 0)
        json_object_set_new(obj, "invalid_utf8", json_integer((json_int_t)r->invalid_utf8));
    if (r->alert != CG_ALERT_NONE) {
        cg_text_guidance g;
        cg_text_guidance_get(e, top, CG_AUDIENCE_RECIPIENT, o->guidance_lang, &g);
        json_t *gj = json_object(), *help = json_array();
        json_object_set_new(gj, "harm", json_string(cg_harm_name(top)));
        json_object_set_new(gj, "audience", json_string("recipient"));
        json_object_set_new(gj, "text", g.text ? json_string(g.text) : json_null());
        for (size_t i = 0; i < g.n_help; i++)
            json_array_append_new(help, json_string(g.help[i]));
        json_object_set_new(gj, "help", help);
        json_object_set_new(obj, "guidance", gj);
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(3));
    if (s != NULL)
        puts(s);
    free(s);
    json_decref(obj);
}

/* The message text with this message's evidence wrapped in [[...]] (or colour on a tty). */
static void print_highlighted(const cg_text_message *m, const cg_text_result *r, int colour)
{
    for (size_t i = 0; i < m->len;) {
        size_t end = 0;
        for (size_t k = 0; k < r->n_evidence; k++) {
            const cg_text_evidence *x = &r->evidence[k];
            if (x->in_this_message && x->start == i && x->end > end && x->end <= m->len)
                end = x->end;
        }
        if (end > i) {
            fputs(colour ? "\033[1;31m" : "[[", stdout);
            fwrite(m->text + i, 1, end - i, stdout);
            fputs(colour ? "\033[0m" : "]]", stdout);
            i = end;
        } else {
            putchar(m->text[i] == '\n' ? ' ' : m->text[i]);
            i++;
        }
    }
}

static void print_explain(const text_opts *o, cg_text_engine *e, const cg_text_message *m,
                          const char *id, const cg_text_result *r, int colour)
{
    (void)o;
    (void)e;
    printf("%-6s %s %s -> %s: ", cg_alert_name(r->alert), id, m->sender ? m->sender : "?",
           m->recipient ? m->recipient : "?");
    print_highlighted(m, r, colour);
    putchar('\n');
    for (size_t k = 0; k < r->n_evidence; k++) {
        const cg_text_evidence *x = &r->evidence[k];
        if (!x->in_this_message)
            continue;
        printf("         %s/%s  %s  w=%.2f  \"%.*s\"\n", cg_harm_name(x->harm),
               cg_facet_name(x->facet), x->cue, (double)x->weight, (int)(x->end - x->start),
               m->text + x->start);
    }
}

static void explain_summary(const text_opts *o, cg_text_engine *e, const char *conv,
                            const cg_text_result *r)
{
    printf("\n== conversation %s: alert %s, grooming stage %s\n", conv, cg_alert_name(r->alert),
           cg_facet_name(r->stage));
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (r->risk[h] >= 0.05f)
            printf("   %-20s %.2f\n", cg_harm_name((cg_harm)h), (double)r->risk[h]);
    if (r->alert == CG_ALERT_NONE)
        return;
    cg_harm top = CG_HARM_GROOMING;
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (r->risk[h] > r->risk[top])
            top = (cg_harm)h;
    for (int a = 0; a < 4; a++) {
        cg_text_guidance g;
        cg_text_guidance_get(e, top, (cg_audience)a, o->guidance_lang, &g);
        if (g.text != NULL)
            printf("   guidance for the %s: %s\n", cg_audience_name((cg_audience)a), g.text);
        if (a == 0)
            for (size_t i = 0; i < g.n_help; i++)
                printf("     help: %s\n", g.help[i]);
    }
}

static void on_bad_row(const char *path, uint64_t line, const char *reason, void *ud)
{
    (void)ud;
    fprintf(stderr, "childguard text: %s:%llu: %s (row skipped)\n", path,
            (unsigned long long)line, reason);
}

static int run_scan(const text_opts *o, const char *file)
{
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    const char *name = in == stdin ? "(standard input)" : file;
    cg_text_engine *e = NULL;
    cg_text_session *s = NULL;
    cg_text_result res;
    cg_error err;
    char *line = NULL, idbuf[32], cbuf[32], sbuf[32], rbuf[32];
    size_t cap = 0;
    uint64_t lineno = 0;
    int rc = CLI_NONE, errors = 0, colour = o->explain && isatty(STDOUT_FILENO);
    char last_conv[256] = "";
    cg_text_result last;

    memset(&res, 0, sizeof(res));
    memset(&last, 0, sizeof(last));
    if (in == NULL) {
        fprintf(stderr, "childguard text: %s: cannot open: %m\n", file);
        return CLI_ERROR;
    }
    if (cg_text_engine_open(&o->cfg, &e, &err) != CG_OK ||
        cg_text_session_new(e, &s, &err) != CG_OK) {
        fprintf(stderr, "childguard text: %s\n", err.message);
        cg_text_engine_close(e);
        if (in != stdin)
            fclose(in);
        return CLI_ERROR;
    }
    for (long n; (n = read_line(in, &line, &cap)) != -1;) {
        lineno++;
        if (n == -2) {
            fprintf(stderr, "childguard text: %s:%llu: line longer than %u bytes, skipped\n", name,
                    (unsigned long long)lineno, MAX_LINE);
            errors++;
            continue;
        }
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            continue;
        cg_text_message m;
        memset(&m, 0, sizeof(m));
        json_t *obj = NULL;
        if (*p == '{') {
            json_error_t je;
            obj = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
            json_t *text = obj ? json_object_get(obj, "text") : NULL;
            if (obj == NULL || !json_is_object(obj) || !json_is_string(text)) {
                fprintf(stderr, "childguard text: %s:%llu: %s\n", name, (unsigned long long)lineno,
                        obj == NULL ? je.text : "expected an object with a \"text\" string");
                json_decref(obj);
                errors++;
                continue;
            }
            m.conversation = str_field(obj, "conversation", cbuf, sizeof(cbuf));
            m.id = str_field(obj, "id", idbuf, sizeof(idbuf));
            m.sender = str_field(obj, "sender", sbuf, sizeof(sbuf));
            m.recipient = str_field(obj, "recipient", rbuf, sizeof(rbuf));
            m.text = json_string_value(text);
            m.len = json_string_length(text);
            m.ts_ms = parse_ts(json_object_get(obj, "ts"));
            if (m.ts_ms < 0) {
                fprintf(stderr, "childguard text: %s:%llu: bad \"ts\" (ISO-8601 or unix seconds); "
                        "using the conversation's last time\n", name, (unsigned long long)lineno);
                m.ts_ms = 0;
            }
        } else {
            m.text = line;
            m.len = (size_t)n;
        }
        if (m.id == NULL) {
            snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)lineno);
            m.id = idbuf;
        }
        const char *conv = m.conversation ? m.conversation : "default";
        if (o->explain && last_conv[0] != '\0' && strcmp(conv, last_conv) != 0)
            explain_summary(o, e, last_conv, &last);
        if (cg_text_scan(s, &m, &res, &err) != CG_OK) {
            fprintf(stderr, "childguard text: %s:%llu: %s\n", name, (unsigned long long)lineno,
                    err.message);
            errors++;
        } else {
            if (res.alert != CG_ALERT_NONE)
                rc = CLI_OK;
            if (o->explain) {
                if (strcmp(conv, last_conv) != 0)
                    printf("\n-- conversation %s\n", conv);
                print_explain(o, e, &m, m.id, &res, colour);
                snprintf(last_conv, sizeof(last_conv), "%s", conv);
                memcpy(last.risk, res.risk, sizeof(last.risk));
                last.alert = res.alert;
                last.stage = res.stage;
            } else {
                print_json(o, e, &m, m.id, &res);
            }
        }
        json_decref(obj);
    }
    if (o->explain && last_conv[0] != '\0')
        explain_summary(o, e, last_conv, &last);
    if (ferror(in)) {
        fprintf(stderr, "childguard text: %s: read error\n", name);
        errors++;
    }
    free(line);
    cg_text_result_free(&res);
    cg_text_session_free(s);
    cg_text_engine_close(e);
    if (in != stdin)
        fclose(in);
    return errors ? CLI_ERROR : rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"lang", required_argument, NULL, 'L'},
        {"guidance", required_argument, NULL, 'G'},
        {"country", required_argument, NULL, 'C'},
        {"data", required_argument, NULL, 'D'},
        {"lexicon", required_argument, NULL, 'X'},
        {"model", required_argument, NULL, 'M'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    text_opts o;
    int c;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(argv[1], "train") == 0 || strcmp(argv[1], "eval") == 0 ||
        strcmp(argv[1], "predict") == 0)
        return textmodel_cli(argc - 1, argv + 1);
    memset(&o, 0, sizeof(o));
    if (strcmp(argv[1], "explain") == 0)
        o.explain = 1;
    else if (strcmp(argv[1], "scan") != 0) {
        fprintf(stderr, "childguard text: no subcommand '%s'\nTry 'childguard text --help'.\n",
                argv[1]);
        return CLI_ERROR;
    }
    o.guidance_lang = "vi";
    o.cfg.on_bad_row = on_bad_row;
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'L':
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "vi") != 0 &&
                strcmp(optarg, "en") != 0) {
                fprintf(stderr, "childguard text: --lang is auto, vi or en\n");
                return CLI_ERROR;
            }
            o.cfg.lang = optarg;
            break;
        case 'G':
            if (strcmp(optarg, "vi") != 0 && strcmp(optarg, "en") != 0) {
                fprintf(stderr, "childguard text: --guidance is vi or en\n");
                return CLI_ERROR;
            }
            o.guidance_lang = optarg;
            break;
        case 'C': o.cfg.country = optarg; break;
        case 'M': o.cfg.model_path = optarg; break;
        case 'D': o.cfg.data_dir = optarg; break;
        case 'X':
            if (o.n_extra == 16) {
                fprintf(stderr, "childguard text: at most 16 --lexicon files\n");
                return CLI_ERROR;
            }
            o.extra[o.n_extra++] = optarg;
            o.cfg.extra_lexicons = o.extra;
            break;
        case 'J': break; /* scan's output is JSON lines already */
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard text --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "childguard text: give one FILE (or - for standard input)\n");
        return CLI_ERROR;
    }
    return run_scan(&o, argv[optind]);
}

const cli_command cmd_text = {
    "text",
    "find grooming, sextortion, bullying, self-harm and personal-data risks in chat",
    run,
    usage,
};
