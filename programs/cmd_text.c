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
#include "auditpath.h"
#include "cli.h"
#include "dbpath.h"
#include "msgtime.h"
#include "texteval_cli.h"
#include "textmodel_cli.h"

#define MAX_LINE (16u << 20) /* longer input lines are skipped with an error */

static void usage(void)
{
    printf("usage: childguard text scan [options] FILE|-\n"
           "       childguard text explain [options] FILE|-\n"
           "       childguard text eval --conversations FILE [--split train|dev] [--json]\n"
           "       childguard text train|eval|predict ...   (see 'childguard text train --help')\n"
           "\n"
           "Finds grooming, sexual solicitation, sextortion, bullying, self-harm risk and\n"
           "personal-data leaks in chat, in Vietnamese and English, conversation by\n"
           "conversation. Input: JSON lines {\"conversation\", \"id\", \"sender\", \"recipient\",\n"
           "\"ts\" (ISO-8601 or unix seconds), \"text\"}; a line that is not JSON is one message\n"
           "of a single conversation.\n"
           "\n"
           "Every message goes through the engine: scan prints one verdict per message as a\n"
           "JSON line (docs/verdict.md), in input order: text.alert (none|watch|alert|urgent,\n"
           "for the conversation as of this message), text.risk (harm -> 0..1),\n"
           "text.message_risk, text.stage (grooming stage reached), ages, text.evidence (cue,\n"
           "harm, facet, byte span), the policy's decision and guidance in Vietnamese and\n"
           "English.\n"
           "explain prints a readable report with the evidence highlighted.\n"
           "eval --conversations measures the engine on a labelled corpus of conversations\n"
           "(see 'childguard text eval --conversations - --help').\n"
           "\n"
           "Options:\n"
           "      --lang auto|vi|en   cues of one language only (default auto: all)\n"
           "      --guidance auto|vi|en  language of the guidance texts: auto (default) is\n"
           "                          the message's language, else Vietnamese; vi or en also\n"
           "                          become the default when a message's language is unknown\n"
           "      --country CC        help lines for this country (default VN: hotline 111);\n"
           "                          a country the catalogue lacks is an error listing those\n"
           "                          it has\n"
           "      --data DIR          data directory (lexicons, teencode, guidance)\n"
           "      --lexicon FILE      an extra lexicon file (repeatable)\n"
           "      --model FILE        a trained classifier (text train) whose labels are harm\n"
           "                          names; its scores join the lexicon evidence\n"
           "      --learned FILE      the engine's learned layer (default: DATA/text/\n"
           "                          learned.bin when it exists)\n"
           "      --no-learned        the rules alone (lexicons and detectors)\n"
           "      --policy FILE       the policy (default: the shipped defaults)\n"
           "      --context NAME      platform_upload (default), child_device, school_tablet\n"
           "      --audience NAME     whom decisions are for: recipient (default), sender,\n"
           "                          guardian, moderator\n"
           "      --db PATH           a bank database: decisions asking for review add items\n"
           "                          to its queue (--no-review: not) and acting decisions\n"
           "                          are recorded in the audit log beside it. scan uses the\n"
           "                          default database as 'childguard scan' does; when there\n"
           "                          is none yet it says so (review items are not kept)\n"
           "      --no-review         queue no review items (and use no default database)\n"
           "      --log PATH          the audit log (also without --db); --no-audit: none\n"
           "\n"
           "Exit status: 0 some message reached watch or higher, 1 none did, 2 an error (bad\n"
           "lines are reported with their line number and skipped; the stream goes on).\n");
}

typedef struct text_opts {
    int explain;
    const char *guidance_lang;
    cg_engine_config engine;       /* engine.text holds the text options */
    cg_audience audience;
    const char *db, *log;
    int no_audit, no_review;
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

static void print_explain(const cg_text_message *m, const char *id, const cg_text_result *r,
                          int colour)
{
    printf("%-6s %s %s -> %s: ", cg_text_alert_name(r->alert), id, m->sender ? m->sender : "?",
           m->recipient ? m->recipient : "?");
    print_highlighted(m, r, colour);
    putchar('\n');
    for (size_t k = 0; k < r->n_evidence; k++) {
        const cg_text_evidence *x = &r->evidence[k];
        if (!x->in_this_message)
            continue;
        printf("         %s/%s  %s  w=%.2f  \"%.*s\"\n", cg_text_harm_name(x->harm),
               cg_text_facet_name(x->facet), x->cue, (double)x->weight, (int)(x->end - x->start),
               m->text + x->start);
    }
}

/* What the summary of a conversation needs from its last result (the participants copied). */
typedef struct conv_summary {
    cg_text_result r;
    cg_text_participant parts[8];
    char lang[4]; /* the guidance language of its last verdict ("" unknown) */
} conv_summary;

static void summary_keep(conv_summary *s, const cg_text_result *res)
{
    memcpy(s->r.risk, res->risk, sizeof(s->r.risk));
    memcpy(s->r.peak, res->peak, sizeof(s->r.peak));
    s->r.alert = res->alert;
    s->r.stage = res->stage;
    s->r.pd_how = res->pd_how;
    memcpy(s->r.pd_owner, res->pd_owner, sizeof(s->r.pd_owner));
    s->r.n_participants = res->n_participants < 8 ? res->n_participants : 8;
    memcpy(s->parts, res->participants, s->r.n_participants * sizeof(s->parts[0]));
}

/* The harm a person's guidance is about: the gravest of those at or over watch in vals (by
 * level, then value); -1 when none. */
static int gravest(const float vals[CG_HARM_COUNT], const int *allowed)
{
    int best = -1;
    cg_alert best_l = CG_ALERT_NONE;

    for (int h = 0; h < CG_HARM_COUNT; h++) {
        if (allowed != NULL && !allowed[h])
            continue;
        cg_alert l = cg_text_harm_level((cg_harm)h, vals[h], 0);
        if (l >= CG_ALERT_WATCH && (l > best_l || (l == best_l && vals[h] > vals[best])))
            best = h, best_l = l;
    }
    return best;
}

/* print_guidance's help: 1 shows the help lines; with PD_REVEALED, the personal data was
 * someone else's writing (the catalogue's personal_data_revealed). */
#define PD_REVEALED 2

static void print_guidance(const char *lang, const cg_guidance_catalog *e, cg_harm h,
                           cg_audience a, const char *who, int help)
{
    cg_guidance g;
    const char *topic = cg_text_harm_name(h);

    /* A child's personal data someone else wrote out (docs/text.md, "Whose personal data"). */
    if (help & PD_REVEALED) {
        help &= ~PD_REVEALED;
        if (cg_guidance_has_topic(e, "personal_data_revealed"))
            topic = "personal_data_revealed";
    }
    cg_guidance_lookup(e, topic, a, lang, CG_AGE_UNKNOWN, &g);
    if (g.text == NULL)
        return;
    if (who != NULL)
        printf("   guidance for %s (%s, as the %s): %s\n", who, topic,
               cg_policy_audience_name(a), g.text);
    else
        printf("   guidance for the %s: %s\n", cg_policy_audience_name(a), g.text);
    for (size_t i = 0; help && i < g.n_help; i++)
        printf("     help: %s\n", g.help[i]);
}

static void explain_summary(const text_opts *o, const cg_guidance_catalog *e, const char *conv,
                            const conv_summary *s)
{
    const cg_text_result *r = &s->r;
    static const int at_risk_harms[CG_HARM_COUNT] = {1, 1, 1, 1, 1, 1};
    static const int own_harms[CG_HARM_COUNT] = {0, 0, 0, 0, 1, 1};
    static const int aimed_harms[CG_HARM_COUNT] = {1, 1, 1, 1, 0, 0};

    printf("\n== conversation %s: alert %s, grooming stage %s\n", conv, cg_text_alert_name(r->alert),
           cg_text_facet_name(r->stage));
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (r->risk[h] >= 0.05f || r->peak[h].level != CG_ALERT_NONE) {
            printf("   %-20s %.2f", cg_text_harm_name((cg_harm)h), (double)r->risk[h]);
            if (r->peak[h].level != CG_ALERT_NONE)
                printf("   (peak %s at message %s%s%s)", cg_text_alert_name(r->peak[h].level),
                       r->peak[h].message_id, r->peak[h].at_risk[0] ? ", at risk: " : "",
                       r->peak[h].at_risk);
            putchar('\n');
        }
    /* Every participant: their own state as a child at risk (never lowered below a held
     * urgent), and what they wrote against others. */
    for (size_t i = 0; i < r->n_participants; i++) {
        const cg_text_participant *q = &s->parts[i];
        if (q->peak == CG_ALERT_NONE && q->author_alert == CG_ALERT_NONE)
            continue;
        printf("   participant %s: %s", q->name, cg_text_alert_name(q->alert));
        if (q->peak != CG_ALERT_NONE)
            printf(" (peak %s: %s at message %s)", cg_text_alert_name(q->peak),
                   cg_text_harm_name(q->peak_harm), q->peak_message);
        if (q->author_alert != CG_ALERT_NONE)
            printf("; wrote harm against others: %s", cg_text_alert_name(q->author_alert));
        putchar('\n');
    }
    if (r->alert == CG_ALERT_NONE)
        return;
    /* auto: the language the conversation's last message was in (else the default). */
    const char *lang = strcmp(o->guidance_lang, "auto") != 0 ? o->guidance_lang
                       : s->lang[0] != '\0'                 ? s->lang
                                                             : "vi";
    /* Guidance per person: the child at risk gets the guidance of their gravest harm (their
     * own self-harm or personal data, or what was aimed at them) with the help lines; the
     * author of a harm gets the sender guidance. */
    int named_at_risk = 0, named_author = 0;
    for (size_t i = 0; i < r->n_participants; i++) {
        const cg_text_participant *q = &s->parts[i];
        float at[CG_HARM_COUNT];
        for (int h = 0; h < CG_HARM_COUNT; h++)
            at[h] = own_harms[h] ? q->risk[h] : q->exposure[h];
        /* Their personal data asked for or written out by someone else: guidance for them as
         * the recipient (written out: the catalogue's personal_data_revealed). */
        const int pd_other = q->exposure[CG_HARM_PERSONAL_DATA] > q->risk[CG_HARM_PERSONAL_DATA];
        if (pd_other)
            at[CG_HARM_PERSONAL_DATA] = q->exposure[CG_HARM_PERSONAL_DATA];
        /* Their peak first (a child who wrote despair gets the self-harm guidance even when
         * the bullying aimed at them scores higher now), then what they face now. */
        int first = q->peak != CG_ALERT_NONE ? (int)q->peak_harm : -1;
        int h = gravest(at, at_risk_harms);
        if (first >= 0) {
            const int other = first == CG_HARM_PERSONAL_DATA && pd_other;
            print_guidance(lang, e, (cg_harm)first,
                           own_harms[first] && !other ? CG_AUDIENCE_SENDER : CG_AUDIENCE_RECIPIENT,
                           q->name,
                           other && r->pd_how == CG_TEXT_PD_REVEALED ? 1 | PD_REVEALED : 1);
            named_at_risk = 1;
        }
        if (h >= 0 && h != first) {
            const int other = h == CG_HARM_PERSONAL_DATA && pd_other;
            print_guidance(lang, e, (cg_harm)h,
                           own_harms[h] && !other ? CG_AUDIENCE_SENDER : CG_AUDIENCE_RECIPIENT,
                           q->name,
                           (first < 0) | (other && r->pd_how == CG_TEXT_PD_REVEALED ? PD_REVEALED
                                                                                    : 0));
            named_at_risk = 1;
        }
        h = gravest(q->risk, aimed_harms);
        if (h >= 0) {
            print_guidance(lang, e, (cg_harm)h, CG_AUDIENCE_SENDER, q->name, 0);
            named_author = 1;
        }
    }
    /* The conversation's gravest harm (by peak level, then risk) for everyone else. */
    int top = -1;
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (top < 0 || r->peak[h].level > r->peak[top].level ||
            (r->peak[h].level == r->peak[top].level && r->risk[h] > r->risk[top]))
            top = h;
    /* The audiences no participant was named for: the recipient (with the help lines) when
     * nobody at risk is known, the sender when no author is. */
    for (int a = 0; a < 4; a++)
        if (!(a == CG_AUDIENCE_RECIPIENT && named_at_risk) &&
            !(a == CG_AUDIENCE_SENDER && named_author))
            print_guidance(lang, e, (cg_harm)top, (cg_audience)a, NULL,
                           (a == 0) | (top == CG_HARM_PERSONAL_DATA &&
                                               r->pd_how == CG_TEXT_PD_REVEALED
                                           ? PD_REVEALED
                                           : 0));
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
    cg_engine *engine = NULL;
    cg_verdict v;
    cg_error err;
    char *line = NULL, idbuf[32], cbuf[32], sbuf[32], rbuf[32];
    size_t cap = 0;
    uint64_t lineno = 0;
    int rc = CLI_NONE, errors = 0, colour = o->explain && isatty(STDOUT_FILENO);
    char last_conv[256] = "";
    conv_summary last;

    memset(&v, 0, sizeof(v));
    memset(&last, 0, sizeof(last));
    if (in == NULL) {
        fprintf(stderr, "childguard text: %s: cannot open: %m\n", file);
        return CLI_ERROR;
    }
    if (cg_engine_open(&o->engine, &engine, &err) != CG_OK) {
        fprintf(stderr, "childguard text: %s\n", err.message);
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
            m.ts_ms = timestamp_parse_ms(json_object_get(obj, "ts"));
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
            explain_summary(o, cg_engine_guidance(engine), last_conv, &last);
        cg_content content;
        cg_content_init(&content);
        content.kind = CG_CONTENT_MESSAGE;
        content.message = m;
        content.audience = o->audience;
        cg_text_result *res = &v.text;
        if (cg_engine_scan(engine, &content, &v, &err) != CG_OK) {
            fprintf(stderr, "childguard text: %s:%llu: %s\n", name, (unsigned long long)lineno,
                    err.message);
            errors++;
        } else {
            if (res->alert != CG_ALERT_NONE)
                rc = CLI_OK;
            if (o->explain) {
                if (strcmp(conv, last_conv) != 0)
                    printf("\n-- conversation %s\n", conv);
                print_explain(&m, m.id, res, colour);
                snprintf(last_conv, sizeof(last_conv), "%s", conv);
                summary_keep(&last, res);
                snprintf(last.lang, sizeof(last.lang), "%s", v.guidance_lang);
            } else {
                char *text = cg_verdict_to_json(&v, 0);
                if (text != NULL)
                    puts(text);
                cg_free(text);
            }
        }
        json_decref(obj);
    }
    if (o->explain && last_conv[0] != '\0')
        explain_summary(o, cg_engine_guidance(engine), last_conv, &last);
    if (ferror(in)) {
        fprintf(stderr, "childguard text: %s: read error\n", name);
        errors++;
    }
    free(line);
    cg_verdict_free(&v);
    cg_engine_close(engine);
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
        {"learned", required_argument, NULL, 'E'},
        {"no-learned", no_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'J'},
        {"db", required_argument, NULL, 'B'},
        {"policy", required_argument, NULL, 'P'},
        {"context", required_argument, NULL, 'c'},
        {"audience", required_argument, NULL, 'A'},
        {"log", required_argument, NULL, 'l'},
        {"no-audit", no_argument, NULL, 'N'},
        {"no-review", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    text_opts o;
    int c;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(argv[1], "eval") == 0 && texteval_wanted(argc - 1, argv + 1))
        return texteval_cli(argc - 1, argv + 1);
    if (strcmp(argv[1], "train") == 0 || strcmp(argv[1], "eval") == 0 ||
        strcmp(argv[1], "predict") == 0)
        return textmodel_cli(argc - 1, argv + 1);
    memset(&o, 0, sizeof(o));
    cg_engine_config_default(&o.engine);
    o.engine.actor = getenv("CHILDGUARD_ACTOR") != NULL ? getenv("CHILDGUARD_ACTOR") : "cli";
    if (strcmp(argv[1], "explain") == 0)
        o.explain = 1;
    else if (strcmp(argv[1], "scan") != 0) {
        fprintf(stderr, "childguard text: no subcommand '%s'\nTry 'childguard text --help'.\n",
                argv[1]);
        return CLI_ERROR;
    }
    o.guidance_lang = "auto";
    o.engine.text.on_bad_row = on_bad_row;
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
            o.engine.text.lang = optarg;
            break;
        case 'G':
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "vi") != 0 &&
                strcmp(optarg, "en") != 0) {
                fprintf(stderr, "childguard text: --guidance is auto, vi or en\n");
                return CLI_ERROR;
            }
            o.guidance_lang = optarg;
            o.engine.guidance_lang = strcmp(optarg, "auto") != 0 ? optarg : NULL;
            break;
        case 'C': o.engine.text.country = optarg; break;
        case 'M': o.engine.text.model_path = optarg; break;
        case 'E': o.engine.text.learned_path = optarg; break;
        case 'e': o.engine.text.no_learned = 1; break;
        case 'D': o.engine.text.data_dir = optarg; break;
        case 'X':
            if (o.n_extra == 16) {
                fprintf(stderr, "childguard text: at most 16 --lexicon files\n");
                return CLI_ERROR;
            }
            o.extra[o.n_extra++] = optarg;
            o.engine.text.extra_lexicons = o.extra;
            break;
        case 'J': break; /* scan's output is JSON lines already */
        case 'B': o.db = optarg; break;
        case 'P': o.engine.policy_path = optarg; break;
        case 'l': o.log = optarg; break;
        case 'N': o.no_audit = 1; break;
        case 'R': o.no_review = 1; break;
        case 'c': {
            int k = -1;
            for (int i = 0; i < CG_CONTEXT_COUNT; i++)
                if (strcmp(optarg, cg_policy_context_name((cg_policy_context)i)) == 0)
                    k = i;
            if (k < 0) {
                fprintf(stderr, "childguard text: --context is platform_upload, child_device "
                                "or school_tablet\n");
                return CLI_ERROR;
            }
            o.engine.context = (cg_policy_context)k;
            break;
        }
        case 'A': {
            int k = -1;
            for (int i = 0; i <= CG_AUDIENCE_MODERATOR; i++)
                if (strcmp(optarg, cg_policy_audience_name((cg_audience)i)) == 0)
                    k = i;
            if (k < 0) {
                fprintf(stderr, "childguard text: --audience is recipient, sender, guardian "
                                "or moderator\n");
                return CLI_ERROR;
            }
            o.audience = (cg_audience)k;
            break;
        }
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
    /* With a database: review items are queued and decisions recorded beside it. scan uses the
     * same default database as `childguard scan` when it exists, and says so when there is
     * none; explain reads only, and uses a database only when given one. */
    char log_path[4096], db_path[4096];
    if (o.db != NULL && dbpath_missing(o.db)) {
        dbpath_error_missing("text", o.db);
        return CLI_ERROR;
    }
    if (o.db == NULL && !o.explain && !o.no_review) {
        if (dbpath_resolve("text", NULL, 0, db_path, sizeof(db_path)) != 0)
            return CLI_ERROR;
        if (!dbpath_missing(db_path))
            o.db = db_path;
        else
            dbpath_notice_missing("text", db_path,
                                  "review items are not kept (\"review_id\": null)");
    }
    o.engine.db_path = o.db;
    o.engine.review = o.db != NULL && !o.no_review;
    if (!o.no_audit && (o.db != NULL || o.log != NULL)) {
        if (auditpath_resolve("text", o.log, o.db != NULL ? o.db : "", log_path,
                              sizeof(log_path)) != 0)
            return CLI_ERROR;
        o.engine.audit_path = log_path;
    }
    return run_scan(&o, argv[optind]);
}

const cli_command cmd_text = {
    "text",
    "find grooming, sextortion, bullying, self-harm and personal-data risks in chat",
    run,
    usage,
};
