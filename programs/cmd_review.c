/* `childguard review`: the human review queue (docs/review.md): list, show, claim, release and
 * decide items; write an item's quarantine preview; count items by state; add items (operators
 * importing items, and tests). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auditpath.h"
#include "childguard.h"
#include "cli.h"
#include "subcommand.h"
#include "dbpath.h"
#include "hashfile.h"

static void usage(void)
{
    printf("usage: childguard review [--db PATH] [--log PATH] SUBCOMMAND [options]\n"
           "\n"
           "The human review queue: items a policy sent to review (a content id, its hashes,\n"
           "the verdict as JSON, the rules that fired; never content bytes, and an image only as\n"
           "a blurred greyscale preview when quarantine is on). Reviewers claim an item, look at\n"
           "it and decide; a decision can feed the banks.\n"
           "\n"
           "Subcommands:\n"
           "  list [--state S] [--label L] [--reviewer R] [--limit N] [--json]\n"
           "                     items by priority (urgent first), then oldest first\n"
           "  show ID [--json]   one item and its verdict\n"
           "  claim ID|--next [--reviewer NAME]\n"
           "                     take an item (--next: the first pending one)\n"
           "  release ID [--reviewer NAME]\n"
           "                     give a claimed item back to the queue\n"
           "  decide ID (--confirm | --false-positive | --escalate) [--reviewer NAME]\n"
           "         [--bank NAME] [--note TEXT]\n"
           "                     --confirm --bank adds the item's hashes to that block bank;\n"
           "                     --false-positive --bank adds them to that allow bank;\n"
           "                     --escalate hands it to a senior reviewer (who decides again)\n"
           "  preview ID -o FILE write the item's blurred greyscale preview (PGM; '-' stdout)\n"
           "  counts [--json]    items per state\n"
           "  purge-excerpts [--json]\n"
           "                     delete text excerpts past their expiry (text quarantine)\n"
           "  add --content-id ID --kind K --label L [--signal TYPE:HEX]... [--reason TEXT]\n"
           "      [--priority 0-3] [--verdict JSON] [--preview-from IMAGE] [--excerpt FILE]\n"
           "                     queue an item by hand (operators importing items, tests);\n"
           "                     --preview-from stores a blurred greyscale preview of IMAGE;\n"
           "                     --excerpt stores FILE as its conversation excerpt (JSON,\n"
           "                     docs/review.md \"Text excerpts\"), kept for --retention-days\n"
           "                     (default 30)\n"
           "\n"
           "States: pending, claimed, confirmed, false_positive, escalated.\n"
           "The reviewer is --reviewer, else $CHILDGUARD_REVIEWER, else $USER.\n"
           "The database: --db PATH, else $CHILDGUARD_DB, else the default (see 'childguard\n"
           "help bank'). Every change (add, claim, release, decide) appends a 'review' record to\n"
           "the audit log: --log PATH, else $CHILDGUARD_AUDIT_LOG, else audit.log beside the\n"
           "database.\n"
           "Exit status: 0 success, 1 nothing (empty list, no pending item, no preview),\n"
           "2 an error (including an item claimed by someone else).\n");
}

typedef struct review_opts {
    const char *db;
    const char *log;
    int state;             /* -1 any */
    const char *label;
    const char *reviewer;
    uint64_t limit;
    int json;
    int next;
    int decision;          /* -1 none */
    const char *bank;
    const char *note;
    const char *output;
    const char *content_id;
    const char *kind;
    const char *reason;
    uint64_t priority;
    const char *verdict;
    const char *preview_from;
    const char *excerpt;   /* --excerpt FILE */
    uint64_t retention_days;
    const char *signals[CG_REVIEW_MAX_SIGNALS];
    size_t n_signals;
    const char *id_arg;    /* the positional ID */
} review_opts;

typedef struct review_ctx {
    char db_path[4096];
    cg_bankdb *db;
    cg_audit *audit;
} review_ctx;

static const char *reviewer_of(const review_opts *o)
{
    const char *r = o->reviewer;

    if (r == NULL || *r == '\0')
        r = getenv("CHILDGUARD_REVIEWER");
    if (r == NULL || *r == '\0')
        r = getenv("USER");
    return r != NULL && *r != '\0' ? r : NULL;
}

/* Opens the database; with write, also the audit log (every change is audited). */
static int open_ctx(review_ctx *c, const review_opts *o, int write, int create)
{
    cg_error err;

    if (dbpath_resolve("review", o->db, create, c->db_path, sizeof(c->db_path)) != 0)
        return -1;
    if (cg_bankdb_open(c->db_path, create ? CG_BANKDB_CREATE : 0, &c->db, &err) != CG_OK) {
        fprintf(stderr, "childguard review: %s\n", err.message);
        return -1;
    }
    if (write) {
        c->audit = auditpath_open("review", o->log, c->db_path);
        if (c->audit == NULL)
            return -1;
    }
    return 0;
}

static void close_ctx(review_ctx *c)
{
    cg_audit_close(c->audit);
    cg_bankdb_close(c->db);
}

static int parse_id(const review_opts *o, int64_t *id)
{
    uint64_t v;

    if (o->id_arg == NULL) {
        fprintf(stderr, "childguard review: which item? (give its ID)\n");
        return -1;
    }
    if (cli_parse_u64("review", "ID", o->id_arg, &v) != 0)
        return -1;
    if (v == 0 || v > INT64_MAX) {
        fprintf(stderr, "childguard review: bad item ID '%s'\n", o->id_arg);
        return -1;
    }
    *id = (int64_t)v;
    return 0;
}

static void time_text(int64_t t, char *buf, size_t n)
{
    const time_t tt = (time_t)t;
    struct tm tm;

    if (t == 0 || gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "-");
}

static void print_json(json_t *j, size_t flags)
{
    char *s = j != NULL ? json_dumps(j, flags) : NULL;

    if (s != NULL)
        puts(s);
    else
        fprintf(stderr, "childguard review: out of memory (JSON)\n");
    free(s);
    json_decref(j);
}

/* An item as JSON (without the verdict). */
static json_t *item_json(const cg_review_item *it)
{
    json_t *sigs = json_array();
    json_t *j;

    for (size_t i = 0; sigs != NULL && i < it->n_signals; i++) {
        char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];

        it->signals[i].type->format(it->signals[i].value, hex);
        json_array_append_new(sigs, json_pack("{s:s,s:s,s:i}", "type", it->signals[i].type->name,
                                              "value", hex, "quality", it->signals[i].quality));
    }
    j = json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:I,s:b,s:b,s:o}", "id",
                  (json_int_t)it->id, "content_id", it->content_id, "kind", it->kind, "label",
                  it->label, "priority", it->priority, "reason", it->reason, "state",
                  cg_review_state_name(it->state), "reviewer", it->reviewer, "note", it->note,
                  "created", (json_int_t)it->created, "claimed_at", (json_int_t)it->claimed_at,
                  "decided_at", (json_int_t)it->decided_at, "bank", it->bank,
                  "bank_signal_count", (json_int_t)it->bank_signal_count, "has_preview",
                  it->has_preview, "has_excerpt", it->has_excerpt, "signals", sigs);
    if (j != NULL && it->proposed_by[0] != '\0')
        json_object_set_new(j, "proposal",
                            json_pack("{s:s,s:s,s:s,s:I}", "state",
                                      cg_review_state_name(it->proposed_state), "by",
                                      it->proposed_by, "bank", it->proposed_bank, "at",
                                      (json_int_t)it->proposed_at));
    if (j != NULL && it->confirmed_by[0] != '\0')
        json_object_set_new(j, "confirmed_by", json_string(it->confirmed_by));
    return j;
}

/* ---- list, show, counts, preview ---------------------------------------------------------- */

typedef struct list_state {
    const review_opts *o;
    uint64_t n;
} list_state;

static int list_one(const cg_review_item *it, void *ud)
{
    list_state *ls = ud;
    char when[32];

    ls->n++;
    if (ls->o->json) {
        print_json(item_json(it), JSON_COMPACT);
        return 0;
    }
    time_text(it->created, when, sizeof(when));
    if (ls->n == 1) /* a header above the first row; an empty queue prints nothing */
        printf("ID\tSTATE\tPRIORITY\tLABEL\tKIND\tCONTENT\tREVIEWER\tQUEUED\n");
    printf("%" PRId64 "\t%s\tp%d\t%s\t%s\t%s\t%s\t%s\n", it->id, cg_review_state_name(it->state),
           it->priority, it->label[0] ? it->label : "-", it->kind, it->content_id,
           it->reviewer[0] ? it->reviewer : "-", when);
    return 0;
}

static int do_list(review_ctx *c, const review_opts *o)
{
    cg_review_filter f = {o->state, o->label, o->reviewer, (size_t)o->limit};
    list_state ls = {o, 0};
    cg_error err;

    if (o->limit > 1000000000) {
        fprintf(stderr, "childguard review list: --limit is at most 1000000000\n");
        return CLI_ERROR;
    }
    if (cg_review_list(c->db, &f, list_one, &ls, &err) != CG_OK) {
        fprintf(stderr, "childguard review list: %s\n", err.message);
        return CLI_ERROR;
    }
    return ls.n > 0 ? CLI_OK : CLI_NONE;
}

static int do_show(review_ctx *c, const review_opts *o)
{
    cg_review_item it;
    char *verdict = NULL;
    json_t *v;
    cg_error err;
    int64_t id;
    char t1[32], t2[32], t3[32];

    if (parse_id(o, &id) != 0)
        return CLI_ERROR;
    if (cg_review_get(c->db, id, &it, &verdict, &err) != CG_OK) {
        fprintf(stderr, "childguard review show: %s\n", err.message);
        return CLI_ERROR;
    }
    v = json_loads(verdict, 0, NULL);
    if (o->json) {
        json_t *j = item_json(&it);

        if (j != NULL)
            json_object_set_new(j, "verdict", v != NULL ? v : json_object());
        print_json(j, JSON_COMPACT);
        cg_free(verdict);
        return CLI_OK;
    }
    time_text(it.created, t1, sizeof(t1));
    time_text(it.claimed_at, t2, sizeof(t2));
    time_text(it.decided_at, t3, sizeof(t3));
    printf("item        %" PRId64 "\n"
           "content     %s (%s)\n"
           "label       %s\n"
           "priority    %d\n"
           "state       %s\n"
           "reviewer    %s\n"
           "created     %s\n"
           "claimed     %s\n"
           "decided     %s\n",
           it.id, it.content_id, it.kind, it.label[0] ? it.label : "-", it.priority,
           cg_review_state_name(it.state), it.reviewer[0] ? it.reviewer : "-", t1, t2, t3);
    if (it.note[0])
        printf("note        %s\n", it.note);
    if (it.bank[0])
        printf("bank        %s (%" PRId64 " signals added)\n", it.bank, it.bank_signal_count);
    printf("preview     %s\n", it.has_preview ? "yes (childguard review preview)" : "none");
    printf("excerpt     %s\n",
           it.has_excerpt ? "yes (GET /v1/review/<id>/excerpt, to its claimant)" : "none");
    for (size_t i = 0; i < it.n_signals; i++) {
        char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];

        it.signals[i].type->format(it.signals[i].value, hex);
        printf("signal      %s %s", it.signals[i].type->name, hex);
        if (it.signals[i].quality >= 0)
            printf(" (quality %d)", it.signals[i].quality);
        printf("\n");
    }
    if (it.reason[0]) {
        const char *p = it.reason;

        while (*p) {
            const size_t n = strcspn(p, "\n");

            printf("reason      %.*s\n", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    {
        char *pretty = v != NULL ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

        printf("verdict     %s\n", pretty != NULL ? pretty : verdict);
        free(pretty);
    }
    json_decref(v);
    cg_free(verdict);
    return CLI_OK;
}

/* Deletes the text excerpts past their expiry (docs/review.md "Text excerpts"); for a cron job
 * (the next excerpt written also purges them). */
static int do_purge_excerpts(review_ctx *c, const review_opts *o)
{
    int64_t n = 0;
    cg_error err;

    if (cg_review_excerpt_purge(c->db, (int64_t)time(NULL), &n, &err) != CG_OK) {
        fprintf(stderr, "childguard review purge-excerpts: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o->json)
        print_json(json_pack("{s:I}", "purged", (json_int_t)n), JSON_COMPACT);
    else
        printf("%" PRId64 " expired excerpts deleted\n", n);
    return CLI_OK;
}

static int do_counts(review_ctx *c, const review_opts *o)
{
    int64_t n[CG_REVIEW_STATE_COUNT];
    cg_error err;
    int64_t total = 0;

    if (cg_review_counts(c->db, n, &err) != CG_OK) {
        fprintf(stderr, "childguard review counts: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o->json) {
        json_t *j = json_object();

        for (int i = 0; j != NULL && i < CG_REVIEW_STATE_COUNT; i++)
            json_object_set_new(j, cg_review_state_name((cg_review_state)i),
                                json_integer((json_int_t)n[i]));
        print_json(j, JSON_COMPACT);
    } else {
        for (int i = 0; i < CG_REVIEW_STATE_COUNT; i++)
            printf("%-15s %" PRId64 "\n", cg_review_state_name((cg_review_state)i), n[i]);
    }
    for (int i = 0; i < CG_REVIEW_STATE_COUNT; i++)
        total += n[i];
    return total > 0 ? CLI_OK : CLI_NONE;
}

static int do_preview(review_ctx *c, const review_opts *o)
{
    cg_review_item it;
    uint8_t *data = NULL;
    size_t len = 0;
    cg_error err;
    int64_t id;
    FILE *f;

    if (parse_id(o, &id) != 0)
        return CLI_ERROR;
    if (o->output == NULL) {
        fprintf(stderr, "childguard review preview: -o FILE is required ('-' for stdout)\n");
        return CLI_ERROR;
    }
    if (cg_review_get(c->db, id, &it, NULL, &err) != CG_OK) {
        fprintf(stderr, "childguard review preview: %s\n", err.message);
        return CLI_ERROR;
    }
    if (!it.has_preview) {
        fprintf(stderr, "childguard review preview: item %" PRId64 " has no preview (quarantine "
                "was off)\n", id);
        return CLI_NONE;
    }
    if (cg_review_preview_get(c->db, id, &data, &len, &err) != CG_OK) {
        fprintf(stderr, "childguard review preview: %s\n", err.message);
        return CLI_ERROR;
    }
    {
        /* Recorded before it is written: a preview that cannot be recorded is not shown. */
        char subject[48], data_json[160];
        const char *who = reviewer_of(o);

        snprintf(subject, sizeof(subject), "review:%" PRId64, id);
        snprintf(data_json, sizeof(data_json), "{\"bytes\":%zu,\"format\":\"pgm\",\"via\":\"cli\"}",
                 len);
        if (cg_audit_append(c->audit, "review_preview", who != NULL ? who : "cli", subject,
                            data_json, NULL, &err) != CG_OK) {
            fprintf(stderr, "childguard review preview: audit log: %s (the preview was not "
                            "written)\n", err.message);
            cg_free(data);
            return CLI_ERROR;
        }
    }
    f = strcmp(o->output, "-") == 0 ? stdout : fopen(o->output, "wb");
    if (f == NULL) {
        perror(o->output);
        cg_free(data);
        return CLI_ERROR;
    }
    const int bad = fwrite(data, 1, len, f) != len || (f != stdout ? fclose(f) : fflush(f)) != 0;
    cg_free(data);
    if (bad) {
        fprintf(stderr, "childguard review preview: %s: write failed\n", o->output);
        return CLI_ERROR;
    }
    if (f != stdout)
        printf("wrote %s (%zu bytes)\n", o->output, len);
    return CLI_OK;
}

/* ---- claim, release, decide, add ---------------------------------------------------------- */

static int do_claim(review_ctx *c, const review_opts *o)
{
    const char *who = reviewer_of(o);
    int64_t id = -1, got = 0;
    cg_error err;
    cg_status st;

    if (who == NULL) {
        fprintf(stderr, "childguard review claim: who? give --reviewer NAME\n");
        return CLI_ERROR;
    }
    if (o->next == (o->id_arg != NULL)) {
        fprintf(stderr, "childguard review claim: give an ID or --next\n");
        return CLI_ERROR;
    }
    if (!o->next && parse_id(o, &id) != 0)
        return CLI_ERROR;
    st = cg_review_claim(c->db, id, who, &got, c->audit, &err);
    if (st == CG_E_NOTFOUND && o->next) {
        fprintf(stderr, "childguard review claim: no pending item\n");
        return CLI_NONE;
    }
    if (st != CG_OK) {
        fprintf(stderr, "childguard review claim: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o->json)
        print_json(json_pack("{s:I,s:s,s:s}", "id", (json_int_t)got, "state", "claimed",
                             "reviewer", who),
                   JSON_COMPACT);
    else
        printf("claimed %" PRId64 " for %s\n", got, who);
    return CLI_OK;
}

static int do_release(review_ctx *c, const review_opts *o)
{
    const char *who = reviewer_of(o);
    cg_error err;
    int64_t id;

    if (who == NULL) {
        fprintf(stderr, "childguard review release: who? give --reviewer NAME\n");
        return CLI_ERROR;
    }
    if (parse_id(o, &id) != 0)
        return CLI_ERROR;
    if (cg_review_release(c->db, id, who, c->audit, &err) != CG_OK) {
        fprintf(stderr, "childguard review release: %s\n", err.message);
        return CLI_ERROR;
    }
    printf("released %" PRId64 "\n", id);
    return CLI_OK;
}

static int do_decide(review_ctx *c, const review_opts *o)
{
    cg_review_decision d;
    cg_review_outcome outcome;
    cg_review_item it;
    cg_error err;
    int64_t id;

    d.reviewer = reviewer_of(o);
    if (d.reviewer == NULL) {
        fprintf(stderr, "childguard review decide: who? give --reviewer NAME\n");
        return CLI_ERROR;
    }
    if (o->decision < 0) {
        fprintf(stderr,
                "childguard review decide: give one of --confirm, --false-positive, --escalate\n");
        return CLI_ERROR;
    }
    if (parse_id(o, &id) != 0)
        return CLI_ERROR;
    d.state = (cg_review_state)o->decision;
    d.note = o->note;
    d.bank = o->bank;
    if (cg_review_decide_outcome(c->db, id, &d, c->audit, &outcome, &err) != CG_OK) {
        fprintf(stderr, "childguard review decide: %s\n", err.message);
        return CLI_ERROR;
    }
    if (outcome.note[0] != '\0')
        fprintf(stderr, "childguard review decide: note: %s\n", outcome.note);
    if (cg_review_get(c->db, id, &it, NULL, &err) != CG_OK) {
        fprintf(stderr, "childguard review decide: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o->json) {
        print_json(item_json(&it), JSON_COMPACT);
        return CLI_OK;
    }
    if (it.proposed_by[0] != '\0' && (it.state == CG_REVIEW_PENDING ||
                                       it.state == CG_REVIEW_ESCALATED)) {
        /* The two-reviewer rule (docs/review.md): nothing changed in the banks yet. */
        printf("%" PRId64 " %s into bank %s proposed by %s; a second reviewer must make the same"
               " decision before it takes effect\n",
               id, cg_review_state_name(it.proposed_state), it.proposed_bank, it.proposed_by);
        return CLI_OK;
    }
    printf("%" PRId64 " %s by %s", id, cg_review_state_name(it.state), it.reviewer);
    if (it.confirmed_by[0] != '\0')
        printf(" (proposed by %s)", it.proposed_by);
    if (it.bank[0])
        printf("; %" PRId64 " new signals in bank %s", it.bank_signal_count, it.bank);
    printf("\n");
    return CLI_OK;
}

/* TYPE:HEX into s. */
static int parse_signal(const char *text, cg_review_signal *s)
{
    const char *colon = strchr(text, ':');
    char name[16];

    if (colon == NULL || (size_t)(colon - text) >= sizeof(name))
        goto bad;
    memcpy(name, text, (size_t)(colon - text));
    name[colon - text] = '\0';
    s->type = cg_signal_type_find(name);
    if (s->type == NULL || strlen(colon + 1) != s->type->hex_len ||
        s->type->parse(colon + 1, s->type->hex_len, s->value) != CG_OK)
        goto bad;
    s->quality = -1;
    return 0;
bad:
    fprintf(stderr, "childguard review add: --signal '%s' is not TYPE:HEX (md5:<32 hex>, "
            "sha256:<64 hex>, pdq:<64 hex>)\n", text);
    return -1;
}

/* The blurred greyscale preview of an image file (quarantine). */
static int make_preview(const char *path, uint8_t **out, size_t *len)
{
    cg_decode_options opt;
    cg_image *img = NULL;
    cg_error err;

    cg_decode_options_default(&opt);
    if (cg_image_decode_file(path, &opt, &img, &err) != CG_OK) {
        fprintf(stderr, "childguard review add: %s\n", err.message);
        return -1;
    }
    const cg_status st = cg_review_preview(img->pixels, (int)img->width, (int)img->height,
                                           (int)img->channels, 0, 0, out, len, &err);
    cg_image_destroy(img);
    if (st != CG_OK) {
        fprintf(stderr, "childguard review add: %s: %s\n", path, err.message);
        return -1;
    }
    return 0;
}

static int copy_field(const char *opt, const char *v, char *dst, size_t cap)
{
    const int w = snprintf(dst, cap, "%s", v != NULL ? v : "");

    if (w < 0 || (size_t)w >= cap) {
        fprintf(stderr, "childguard review add: %s is longer than %zu bytes\n", opt, cap - 1);
        return -1;
    }
    return 0;
}

static int do_add(review_ctx *c, const review_opts *o)
{
    cg_review_item it;
    uint8_t *preview = NULL, *excerpt = NULL;
    size_t plen = 0, elen = 0;
    cg_error err;
    cg_status st;

    memset(&it, 0, sizeof(it));
    if (o->content_id == NULL || o->kind == NULL) {
        fprintf(stderr, "childguard review add: --content-id and --kind are required\n");
        return CLI_ERROR;
    }
    if (o->priority > 3) {
        fprintf(stderr, "childguard review add: --priority is 0 (normal) to 3 (urgent)\n");
        return CLI_ERROR;
    }
    if (copy_field("--content-id", o->content_id, it.content_id, sizeof(it.content_id)) != 0 ||
        copy_field("--kind", o->kind, it.kind, sizeof(it.kind)) != 0 ||
        copy_field("--label", o->label, it.label, sizeof(it.label)) != 0 ||
        copy_field("--reason", o->reason, it.reason, sizeof(it.reason)) != 0)
        return CLI_ERROR;
    it.priority = (int)o->priority;
    for (size_t i = 0; i < o->n_signals; i++)
        if (parse_signal(o->signals[i], &it.signals[i]) != 0)
            return CLI_ERROR;
    it.n_signals = o->n_signals;
    if (o->preview_from != NULL && make_preview(o->preview_from, &preview, &plen) != 0)
        return CLI_ERROR;
    if (o->excerpt != NULL &&
        cg_content_read_file(o->excerpt, CG_REVIEW_EXCERPT_MAX, &excerpt, &elen, &err) != CG_OK) {
        fprintf(stderr, "childguard review add: --excerpt %s: %s\n", o->excerpt, err.message);
        cg_free(preview);
        return CLI_ERROR;
    }
    if (o->retention_days < 1 || o->retention_days > 365) {
        fprintf(stderr, "childguard review add: --retention-days is 1 to 365\n");
        cg_free(preview);
        cg_free(excerpt);
        return CLI_ERROR;
    }
    st = cg_review_add(c->db, &it, o->verdict, preview, plen, c->audit, &err);
    cg_free(preview);
    /* The item first, then its excerpt: a refused excerpt leaves the item without one. */
    if (st == CG_OK && excerpt != NULL)
        st = cg_review_excerpt_set(c->db, it.id, (const char *)excerpt, elen,
                                   (int64_t)time(NULL) + (int64_t)o->retention_days * 86400,
                                   c->audit, &err);
    cg_free(excerpt);
    if (st != CG_OK) {
        fprintf(stderr, "childguard review add: %s\n", err.message);
        if (it.id == 0)
            return CLI_ERROR;
    }
    if (o->json)
        print_json(json_pack("{s:I,s:s}", "id", (json_int_t)it.id, "state", "pending"),
                   JSON_COMPACT);
    else
        printf("%" PRId64 "\n", it.id);
    return st == CG_OK ? CLI_OK : CLI_ERROR;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int run(int argc, char **argv)
{
    enum {
        O_DB = 256, O_LOG, O_STATE, O_LABEL, O_REVIEWER, O_LIMIT, O_JSON, O_NEXT, O_CONFIRM,
        O_FP, O_ESCALATE, O_BANK, O_NOTE, O_CONTENT, O_KIND, O_SIGNAL, O_REASON, O_PRIORITY,
        O_VERDICT, O_PREVIEW_FROM, O_EXCERPT, O_RETENTION
    };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, O_DB},
        {"log", required_argument, NULL, O_LOG},
        {"state", required_argument, NULL, O_STATE},
        {"label", required_argument, NULL, O_LABEL},
        {"reviewer", required_argument, NULL, O_REVIEWER},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"next", no_argument, NULL, O_NEXT},
        {"confirm", no_argument, NULL, O_CONFIRM},
        {"false-positive", no_argument, NULL, O_FP},
        {"escalate", no_argument, NULL, O_ESCALATE},
        {"bank", required_argument, NULL, O_BANK},
        {"note", required_argument, NULL, O_NOTE},
        {"output", required_argument, NULL, 'o'},
        {"content-id", required_argument, NULL, O_CONTENT},
        {"kind", required_argument, NULL, O_KIND},
        {"signal", required_argument, NULL, O_SIGNAL},
        {"reason", required_argument, NULL, O_REASON},
        {"priority", required_argument, NULL, O_PRIORITY},
        {"verdict", required_argument, NULL, O_VERDICT},
        {"preview-from", required_argument, NULL, O_PREVIEW_FROM},
        {"excerpt", required_argument, NULL, O_EXCERPT},
        {"retention-days", required_argument, NULL, O_RETENTION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    review_opts o;
    review_ctx c;
    int ch, rc, first;

    memset(&o, 0, sizeof(o));
    o.retention_days = 30;
    memset(&c, 0, sizeof(c));
    o.state = -1;
    o.decision = -1;
    first = subcommand_find("review", argc, argv, usage);
    if (first <= 0)
        return first == 0 ? CLI_OK : CLI_ERROR;
    const char *action = argv[first];
    /* Parse every option, before or after the subcommand; the subcommand word itself is the
     * first positional and is skipped. */
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        uint64_t v;

        switch (ch) {
        case O_DB: o.db = optarg; break;
        case O_LOG: o.log = optarg; break;
        case O_STATE:
            o.state = cg_review_state_from_name(optarg);
            if (o.state < 0) {
                fprintf(stderr, "childguard review: unknown state '%s' (pending, claimed, "
                        "confirmed, false_positive, escalated)\n", optarg);
                return CLI_ERROR;
            }
            break;
        case O_LABEL: o.label = optarg; break;
        case O_REVIEWER: o.reviewer = optarg; break;
        case O_LIMIT:
            if (cli_parse_u64("review", "--limit", optarg, &o.limit) != 0)
                return CLI_ERROR;
            break;
        case O_JSON: o.json = 1; break;
        case O_NEXT: o.next = 1; break;
        case O_CONFIRM:
        case O_FP:
        case O_ESCALATE: {
            const int d = ch == O_CONFIRM ? CG_REVIEW_CONFIRMED
                          : ch == O_FP    ? CG_REVIEW_FALSE_POSITIVE
                                          : CG_REVIEW_ESCALATED;
            if (o.decision >= 0 && o.decision != d) {
                fprintf(stderr, "childguard review: give only one of --confirm, "
                        "--false-positive, --escalate\n");
                return CLI_ERROR;
            }
            o.decision = d;
            break;
        }
        case O_BANK: o.bank = optarg; break;
        case O_NOTE: o.note = optarg; break;
        case 'o': o.output = optarg; break;
        case O_CONTENT: o.content_id = optarg; break;
        case O_KIND: o.kind = optarg; break;
        case O_SIGNAL:
            if (o.n_signals == CG_REVIEW_MAX_SIGNALS) {
                fprintf(stderr, "childguard review add: at most %d --signal options\n",
                        CG_REVIEW_MAX_SIGNALS);
                return CLI_ERROR;
            }
            o.signals[o.n_signals++] = optarg;
            break;
        case O_REASON: o.reason = optarg; break;
        case O_RETENTION:
            if (cli_parse_u64("review", "--retention-days", optarg, &o.retention_days) != 0)
                return CLI_ERROR;
            break;
        case O_PRIORITY:
            if (cli_parse_u64("review", "--priority", optarg, &v) != 0)
                return CLI_ERROR;
            o.priority = v;
            break;
        case O_VERDICT: o.verdict = optarg; break;
        case O_PREVIEW_FROM: o.preview_from = optarg; break;
        case O_EXCERPT: o.excerpt = optarg; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard review --help'.\n");
            return CLI_ERROR;
        }
    }
    /* Positionals (getopt moved them to the end): the subcommand, then at most one ID. */
    for (int i = optind; i < argc; i++) {
        if (argv[i] == action)
            continue;
        if (o.id_arg != NULL) {
            fprintf(stderr, "childguard review %s: unexpected argument '%s'\n", action, argv[i]);
            return CLI_ERROR;
        }
        o.id_arg = argv[i];
    }

    const int is_add = strcmp(action, "add") == 0;
    const int writes = is_add || strcmp(action, "claim") == 0 ||
                       strcmp(action, "release") == 0 || strcmp(action, "decide") == 0 ||
                       strcmp(action, "purge-excerpts") == 0;
    const int known = writes || strcmp(action, "list") == 0 || strcmp(action, "show") == 0 ||
                      strcmp(action, "counts") == 0 || strcmp(action, "preview") == 0;
    if (!known) {
        fprintf(stderr, "childguard review: unknown subcommand '%s'\n"
                "Try 'childguard review --help'.\n", action);
        return CLI_ERROR;
    }
    /* Showing a preview is audited too (docs/security.md): it opens the log as a change does. */
    if (open_ctx(&c, &o, writes || strcmp(action, "preview") == 0, is_add) != 0) {
        close_ctx(&c);
        return CLI_ERROR;
    }
    if (strcmp(action, "list") == 0)
        rc = do_list(&c, &o);
    else if (strcmp(action, "show") == 0)
        rc = do_show(&c, &o);
    else if (strcmp(action, "counts") == 0)
        rc = do_counts(&c, &o);
    else if (strcmp(action, "preview") == 0)
        rc = do_preview(&c, &o);
    else if (strcmp(action, "claim") == 0)
        rc = do_claim(&c, &o);
    else if (strcmp(action, "release") == 0)
        rc = do_release(&c, &o);
    else if (strcmp(action, "decide") == 0)
        rc = do_decide(&c, &o);
    else if (strcmp(action, "purge-excerpts") == 0)
        rc = do_purge_excerpts(&c, &o);
    else
        rc = do_add(&c, &o);
    close_ctx(&c);
    return rc;
}

const cli_command cmd_review = {
    "review",
    "the human review queue: list, claim and decide items (decisions feed the banks)",
    run,
    usage,
};
