/* `childguard exchange feedback`: the exchange feedback queue (docs/exchange.md "Feedback"):
 * list the rows (pending, sent, failed), deliver the due ones now over libcurl, or queue
 * feedback by hand on one entry of the exchange's bank. Review decisions queue rows by
 * themselves (childguard review decide); this command shows and sends them. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "childguard.h"
#include "childguard/exchange.h"
#include "childguard/exchange_feedback.h"
#include "childguard/exchange_store.h"
#include "cli.h"
#include "cmd_exchange_feedback.h"
#include "dbpath.h"
#include "exchange_session.h"
#include "hashfile.h" /* cli_parse_u64 */

void exchange_feedback_usage(void)
{
    printf("usage: childguard exchange feedback NAME [--state pending|sent|failed|all] [--json]\n"
           "       childguard exchange feedback NAME --send [--now] [--max N] [--json]\n"
           "       childguard exchange feedback NAME --entry KEY (--confirmed | --false-positive)\n"
           "                                [--reason ID]\n"
           "       childguard exchange feedback NAME --reasons [--fingerprint MD5|PDQ] [--json]\n"
           "\n"
           "The feedback queue of exchange NAME. A reviewer's confirm or false-positive decision\n"
           "on an item that matched the exchange's bank queues one row per entry; only the\n"
           "entry's ids and the matched hash are ever sent (NCMEC: PUT .../feedback, StopNCII:\n"
           "SubmitFeedback), never content, notes or names.\n"
           "\n"
           "  (no action)      list the rows (default: all), oldest first: id, state, verdict,\n"
           "                   key, attempts, next attempt, last error\n"
           "  --send           deliver the due rows now; a failure waits with back-off (60 s,\n"
           "                   doubling, at most 6 h; given up after 8 attempts) and stops the\n"
           "                   run. --now: also the rows still waiting. --max N: rows per run\n"
           "  --entry KEY      queue feedback by hand on the entry KEY (its key as the\n"
           "                   provenance shows it), --reason ID: an NCMEC reason id, checked\n"
           "                   against NCMEC's list (an unknown id is refused, nothing queued)\n"
           "  --reasons        NCMEC only: the reason ids NCMEC accepts in a negative\n"
           "                   (false-positive) feedback, read from the exchange (GET\n"
           "                   /v2/feedback/TYPE/reasons) for MD5 and PDQ, or --fingerprint's:\n"
           "                   fingerprint, id, name. They are NCMEC's GUIDs, not a fixed list.\n"
           "                   A negative without --reason uses the exchange's default (api_json\n"
           "                   negative_reason, checked against the list when it is sent),\n"
           "                   else the only one NCMEC lists; otherwise it is given up, naming\n"
           "                   the accepted ones\n"
           "\n"
           "Options: --db PATH, --key-file PATH, --timeout SECONDS (as for exchange fetch).\n"
           "Exit status: 0 rows listed / all tried rows sent / queued; 1 nothing to list or\n"
           "send; 2 an error, or a row that failed or waits for a retry.\n");
}

typedef struct fb_opts {
    const char *db, *key_file, *name, *entry, *reason, *state, *fingerprint;
    int send, now, json, verdict, reasons;
    long max, timeout;
} fb_opts;

/* --max and --timeout: 1..100000 (the shared whole-number reader, then the range). */
static int parse_count(const char *what, const char *s, long *out)
{
    uint64_t v;

    if (cli_parse_u64("exchange feedback", what, s, &v) != 0)
        return -1;
    if (v < 1 || v > 100000) {
        fprintf(stderr, "childguard exchange feedback: %s must be 1-100000, not \"%.40s\"\n",
                what, s);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static int parse(int argc, char **argv, fb_opts *o)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},    {"key-file", required_argument, NULL, 'K'},
        {"entry", required_argument, NULL, 'e'}, {"reason", required_argument, NULL, 'r'},
        {"state", required_argument, NULL, 'S'}, {"send", no_argument, NULL, 's'},
        {"now", no_argument, NULL, 'n'},         {"json", no_argument, NULL, 'j'},
        {"confirmed", no_argument, NULL, 'c'},   {"false-positive", no_argument, NULL, 'f'},
        {"max", required_argument, NULL, 'm'},   {"timeout", required_argument, NULL, 't'},
        {"reasons", no_argument, NULL, 'R'},     {"fingerprint", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;

    memset(o, 0, sizeof(*o));
    o->verdict = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'K': o->key_file = optarg; break;
        case 'e': o->entry = optarg; break;
        case 'r': o->reason = optarg; break;
        case 'S': o->state = optarg; break;
        case 's': o->send = 1; break;
        case 'n': o->now = 1; break;
        case 'j': o->json = 1; break;
        case 'c': o->verdict = o->verdict == -1 ? CG_EXCHANGE_FB_CONFIRMED : 9; break;
        case 'f': o->verdict = o->verdict == -1 ? CG_EXCHANGE_FB_FALSE_POSITIVE : 9; break;
        case 'm': if (parse_count("--max", optarg, &o->max) != 0) return -1; break;
        case 't': if (parse_count("--timeout", optarg, &o->timeout) != 0) return -1; break;
        case 'R': o->reasons = 1; break;
        case 'F': o->fingerprint = optarg; break;
        case 'h': exchange_feedback_usage(); return 1;
        default: return -1;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "childguard exchange feedback: exactly one exchange NAME is required\n");
        return -1;
    }
    o->name = argv[optind];
    if ((o->entry != NULL) + o->send + (o->state != NULL) + o->reasons > 1) {
        fprintf(stderr, "childguard exchange feedback: --entry, --send, --state and --reasons "
                        "do not go together\n");
        return -1;
    }
    if (o->fingerprint != NULL &&
        (!o->reasons || (strcmp(o->fingerprint, "MD5") != 0 && strcmp(o->fingerprint, "PDQ")))) {
        fprintf(stderr, "childguard exchange feedback: --fingerprint is MD5 or PDQ and goes "
                        "with --reasons\n");
        return -1;
    }
    if ((o->entry != NULL) != (o->verdict != -1) || o->verdict == 9) {
        fprintf(stderr, "childguard exchange feedback: --entry takes exactly one of "
                        "--confirmed and --false-positive\n");
        return -1;
    }
    if (o->reason != NULL && o->entry == NULL) {
        fprintf(stderr, "childguard exchange feedback: --reason goes with --entry\n");
        return -1;
    }
    if (o->now && !o->send) {
        fprintf(stderr, "childguard exchange feedback: --now goes with --send\n");
        return -1;
    }
    return 0;
}

static const char *state_word(cg_exchange_fb_state s)
{
    return s == CG_EXCHANGE_FB_SENT ? "sent" : s == CG_EXCHANGE_FB_FAILED ? "failed" : "pending";
}

static const char *verdict_word(int v)
{
    return v == CG_EXCHANGE_FB_CONFIRMED ? "confirmed" : "false_positive";
}

/* Prints o as one compact JSON line and releases it. */
static void print_line(json_t *o)
{
    char *t = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    if (t != NULL)
        printf("%s\n", t);
    free(t);
    json_decref(o);
}

static int print_item(const cg_exchange_feedback_item *it, void *ud)
{
    const int json = *(const int *)ud;
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1] = "";

    if (it->type != NULL)
        it->type->format(it->value, hex);
    if (json) {
        json_t *o = json_pack(
            "{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:I,s:I,s:s}", "id",
            (json_int_t)it->id, "exchange", it->exchange, "review_item",
            (json_int_t)it->review_item, "key", it->key, "member", it->member, "entry_id",
            it->entry_id, "signal_type", it->type != NULL ? it->type->name : "", "signal", hex,
            "verdict", verdict_word(it->verdict), "reason", it->reason, "state",
            state_word(it->state), "created", (json_int_t)it->created, "attempts", it->attempts,
            "next_attempt", (json_int_t)it->next_attempt, "finished", (json_int_t)it->finished,
            "last_error", it->last_error);

        print_line(o);
    } else {
        printf("%" PRId64 "\t%s\t%s\t%s\tattempts=%d\tnext=%" PRId64 "\t%s\n", it->id,
               state_word(it->state), verdict_word(it->verdict), it->key, it->attempts,
               it->next_attempt, it->last_error);
    }
    return 0;
}

static int count_item(const cg_exchange_feedback_item *it, void *ud)
{
    (void)it;
    (*(size_t *)ud)++;
    return 0;
}

static int run_list(cg_bankdb *db, const fb_opts *o)
{
    cg_exchange_fb_filter f = CG_EXCHANGE_FB_ALL;
    size_t n = 0;
    cg_error err;

    if (o->state == NULL || strcmp(o->state, "all") == 0)
        f = CG_EXCHANGE_FB_ALL;
    else if (strcmp(o->state, "pending") == 0)
        f = CG_EXCHANGE_FB_ONLY_PENDING;
    else if (strcmp(o->state, "sent") == 0)
        f = CG_EXCHANGE_FB_ONLY_SENT;
    else if (strcmp(o->state, "failed") == 0)
        f = CG_EXCHANGE_FB_ONLY_FAILED;
    else {
        fprintf(stderr, "childguard exchange feedback: --state is pending, sent, failed or all, "
                        "not \"%.40s\"\n", o->state);
        return CLI_ERROR;
    }
    if (cg_exchange_feedback_list(db, o->name, f, 0, 0, count_item, &n, &err) != CG_OK ||
        cg_exchange_feedback_list(db, o->name, f, 0, 0, print_item, (void *)&o->json, &err) !=
            CG_OK) {
        fprintf(stderr, "childguard exchange feedback: %s\n", err.message);
        return CLI_ERROR;
    }
    return n > 0 ? CLI_OK : CLI_NONE;
}

#define WHO "childguard exchange feedback"

/* Opens exchange o->name, which must be an NCMEC one. 0, or -1 (reported). */
static int ncmec_open(cg_bankdb *db, const fb_opts *o, const char *dbpath, exchange_session *s)
{
    if (exchange_session_open(s, db, o->name, o->key_file, dbpath, o->timeout, WHO) != 0)
        return -1;
    if (strcmp(s->ex->api, "ncmec") != 0) {
        fprintf(stderr, WHO ": reason ids are NCMEC's; exchange %s is %s\n", s->ex->name,
                s->ex->api);
        return -1;
    }
    return 0;
}

/* Calls fn(type, reason, ud) for each reason NCMEC lists for o->fingerprint (else MD5, then
 * PDQ). 0, or -1 (reported). */
static int each_reason(exchange_session *s, const fb_opts *o,
                       void (*fn)(const char *, const cg_ncmec_reason *, void *), void *ud)
{
    static const char *const types[] = {"MD5", "PDQ"};
    cg_ncmec_reason *r = calloc(CG_NCMEC_REASONS_MAX, sizeof(*r));
    int rc = 0;

    if (r == NULL) {
        fprintf(stderr, "childguard exchange feedback: out of memory\n");
        return -1;
    }
    for (size_t t = 0; t < 2 && rc == 0; t++) {
        size_t n = 0;
        cg_error err;

        if (o->fingerprint != NULL && strcmp(o->fingerprint, types[t]) != 0)
            continue;
        if (cg_exchange_ncmec_reasons(&s->conf.cfg, types[t], r, CG_NCMEC_REASONS_MAX, &n,
                                      &err) != CG_OK) {
            fprintf(stderr, "childguard exchange feedback: %s\n", err.message);
            rc = -1;
        }
        for (size_t i = 0; i < n && rc == 0; i++)
            fn(types[t], &r[i], ud);
    }
    free(r);
    return rc;
}

static void print_reason(const char *type, const cg_ncmec_reason *r, void *ud)
{
    size_t *n = ((void **)ud)[0];
    const int json = *(const int *)((void **)ud)[1];

    (*n)++;
    if (json) {
        print_line(json_pack("{s:s,s:s,s:s}", "fingerprint", type, "guid", r->guid, "name",
                             r->name));
    } else {
        printf("%s\t%s\t%s\n", type, r->guid, r->name);
    }
}

static int run_reasons(cg_bankdb *db, const fb_opts *o, const char *dbpath)
{
    exchange_session s;
    size_t n = 0;
    void *ud[2] = {&n, (void *)&o->json};
    int rc = CLI_ERROR;

    if (ncmec_open(db, o, dbpath, &s) == 0 && each_reason(&s, o, print_reason, ud) == 0)
        rc = n > 0 ? CLI_OK : CLI_NONE;
    exchange_session_close(&s);
    return rc;
}

static void find_reason(const char *type, const cg_ncmec_reason *r, void *ud)
{
    (void)type;
    if (strcmp(r->guid, ((const char **)ud)[0]) == 0)
        ((const char **)ud)[1] = "found";
}

/* An NCMEC negative's reason id must be one NCMEC lists (for MD5 or PDQ; the delivery checks
 * it again for the matched fingerprint). Other exchanges: nothing to check. 0, or -1
 * (reported: nothing is queued). */
static int check_reason(cg_bankdb *db, const fb_opts *o, const char *dbpath)
{
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    const char *ud[2] = {o->reason, NULL};
    exchange_session s;
    cg_error err;
    int ncmec, rc;

    if (ex == NULL || cg_exchange_get(db, o->name, ex, &err) != CG_OK) {
        free(ex);
        return 0; /* cg_exchange_feedback_add says what is wrong */
    }
    ncmec = strcmp(ex->api, "ncmec") == 0;
    free(ex);
    if (!ncmec || o->reason == NULL)
        return 0;
    rc = ncmec_open(db, o, dbpath, &s) == 0 && each_reason(&s, o, find_reason, ud) == 0 ? 0 : -1;
    exchange_session_close(&s);
    if (rc == 0 && ud[1] == NULL) {
        fprintf(stderr, "childguard exchange feedback: reason id \"%.64s\" is not one NCMEC "
                        "accepts (childguard exchange feedback %s --reasons lists them); "
                        "nothing queued\n", o->reason, o->name);
        rc = -1;
    }
    return rc;
}

static int run_add(cg_bankdb *db, const fb_opts *o, const char *dbpath)
{
    const char *actor = getenv("CHILDGUARD_ACTOR");
    int64_t id = 0;
    cg_error err;

    if (actor == NULL || *actor == '\0')
        actor = getenv("USER");
    /* A reason that is not an id is refused by cg_exchange_feedback_add, before any request. */
    if (cg_exchange_feedback_reason_valid(o->reason) && check_reason(db, o, dbpath) != 0)
        return CLI_ERROR;
    if (cg_exchange_feedback_add(db, o->name, o->entry, o->verdict, o->reason, actor, &id,
                                 &err) != CG_OK) {
        fprintf(stderr, "childguard exchange feedback: %s\n", err.message);
        return CLI_ERROR;
    }
    printf("%" PRId64 "\n", id);
    return CLI_OK;
}

static int run_send(cg_bankdb *db, const fb_opts *o, const char *dbpath)
{
    cg_exchange_feedback_options opt;
    cg_exchange_feedback_result res;
    exchange_session s;
    int rc = CLI_ERROR;
    cg_error err;

    if (exchange_session_open(&s, db, o->name, o->key_file, dbpath, o->timeout, WHO) != 0)
        goto out;
    memset(&opt, 0, sizeof(opt));
    opt.max_items = (size_t)o->max;
    opt.now = o->now;
    if (cg_exchange_feedback_run(db, s.ex->name, &s.conf.cfg, &opt, &res, &err) != CG_OK) {
        fprintf(stderr, WHO ": %s\n", err.message);
        goto out;
    }
    if (o->json) {
        print_line(json_pack("{s:s,s:I,s:I,s:I,s:s}", "exchange", s.ex->name, "sent",
                             (json_int_t)res.sent, "retried", (json_int_t)res.retried, "failed",
                             (json_int_t)res.failed, "error", res.error));
    } else {
        printf("%s: %zu sent, %zu waiting for a retry, %zu given up\n", s.ex->name, res.sent,
               res.retried, res.failed);
    }
    if (res.status != CG_OK)
        fprintf(stderr, WHO ": %s\n", res.error);
    if (res.retried > 0 || res.failed > 0)
        rc = CLI_ERROR;
    else
        rc = res.sent > 0 ? CLI_OK : CLI_NONE;
out:
    exchange_session_close(&s);
    return rc;
}

int exchange_feedback_main(int argc, char **argv)
{
    char path[4096];
    cg_bankdb *db = NULL;
    fb_opts o;
    cg_error err;
    int write, rc, r = parse(argc, argv, &o);

    if (r != 0)
        return r > 0 ? CLI_OK : CLI_ERROR;
    write = o.send || o.entry != NULL;
    if (dbpath_resolve("exchange", o.db, write, path, sizeof(path)) != 0)
        return CLI_ERROR;
    if (dbpath_missing(path)) {
        dbpath_error_missing("exchange", path);
        return CLI_ERROR;
    }
    if (cg_bankdb_open(path, write ? 0 : CG_BANKDB_READONLY, &db, &err) != CG_OK) {
        fprintf(stderr, "childguard exchange feedback: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o.send)
        rc = run_send(db, &o, path);
    else if (o.reasons)
        rc = run_reasons(db, &o, path);
    else if (o.entry != NULL)
        rc = run_add(db, &o, path);
    else
        rc = run_list(db, &o);
    cg_bankdb_close(db);
    return rc;
}
