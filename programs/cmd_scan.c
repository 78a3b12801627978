/* `childguard scan`: every file through the engine (engine.h) — hashes, bank matches, the
 * policy's decision — on all cores.
 *
 * Like `hash`, files go through batch.c's pool in chunks, printed in input order. Each worker
 * reads a file and hands its bytes to cg_engine_scan, which is safe for concurrent scans; the
 * engine records acting decisions in the audit log and queues review items. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childguard.h"
#include "auditpath.h"
#include "batch.h"
#include "cli.h"
#include "dbpath.h"
#include "hashfile.h"
#include "matchprint.h"
#include "walk.h"

typedef struct scan_opts {
    int json;
    int quiet;
    unsigned jobs;
    uint64_t max_bytes;
} scan_opts;

typedef struct scan_result {
    cg_status status;          /* reading or scanning failed */
    cg_error err;
    cg_verdict verdict;
} scan_result;

typedef struct scan_ctx {
    const scan_opts *opts;
    cg_engine *engine;
    int audience;
    size_t hits;               /* files the policy acted on */
} scan_ctx;

static void usage(void)
{
    printf("usage: childguard scan [--db PATH] [options] PATH...\n"
           "\n"
           "Scans every file through the engine: hashes (PDQ for images, vPDQ for videos, MD5\n"
           "and SHA-256 for all), looks them up in the banks and applies the policy (block, review, report\n"
           "draft, guidance). Images and videos are also scored by the nudity model (the\n"
           "'nudity' of the verdict; a 'NUDITY' line in text output when a rule acts on it).\n"
           "Directories are walked recursively; '-' reads standard input.\n"
           "No content is stored: review items and audit records carry hashes and decisions.\n"
           "\n"
           "Options:\n"
           "      --db PATH        the bank database (see 'childguard help bank'); without it\n"
           "                       the default one, and when there is none yet, scan runs\n"
           "                       without banks (no matches) and says how to create one\n"
           "      --policy FILE    the policy (default: the shipped defaults, docs/policy.md)\n"
           "      --context NAME   platform_upload (default), child_device or school_tablet\n"
           "      --audience NAME  whom the decision is for: recipient (default), sender,\n"
           "                       guardian or moderator\n"
           "  -d, --dihedral       also match rotated and mirrored copies (8 PDQ variants)\n"
           "      --no-review      do not add review items (default: decisions that ask for\n"
           "                       review add one to the queue, see 'childguard review')\n"
           "      --no-notify      do not queue notifications (default: each notify action\n"
           "                       becomes an outbox row that 'childguard serve' delivers)\n"
           "      --quarantine     keep a blurred greyscale preview with image review items\n"
           "      --log PATH       the audit log (default: audit.log beside the database)\n"
           "      --no-audit       do not record decisions in the audit log\n"
           "      --data DIR       data directory (lexicons, guidance; default: installed)\n"
           "      --country CC     help lines of this country in guidance (default VN; a\n"
           "                       country the catalogue lacks is an error listing those it\n"
           "                       has)\n"
           "      --guidance LANG  guidance language for files and for messages whose\n"
           "                       language is not detected: vi (default) or en\n"
           "      --json           one verdict per file as JSON (docs/verdict.md)\n"
           "  -j, --jobs N         worker threads (default: all CPUs)\n"
           "      --max-pixels N   refuse images over N pixels (default 100000000)\n"
           "      --max-bytes N    refuse files over N bytes (default 268435456)\n"
           "      --video-rate S   videos: hash one frame per S seconds (default 1; 0: every\n"
           "                       frame)\n"
           "      --video-early-exit  videos: stop at the first banked video that matches\n"
           "                       (enough for a yes/no; the percentages are then lower bounds)\n"
           "      --max-video-seconds N  refuse videos longer than N seconds (default 14400)\n"
           "      --no-classify    do not run the nudity model (docs/vision.md)\n"
           "      --vision-model FILE  the nudity model file (default: the installed one)\n"
           "  -q, --quiet          no progress bar\n"
           "\n"
           "Text output, one line per match: 'PATH<TAB>MATCH<TAB>description' (ALLOWED for a\n"
           "match an allow bank suppresses, LOW-QUALITY for a PDQ match where either hash's\n"
           "quality is below the bank's minimum, default 50: shown, never acted on), files\n"
           "without a match: 'PATH<TAB>no match';\n"
           "then, when the policy acts: 'PATH<TAB>DECISION<TAB>actions; rules; review item'.\n"
           "Errors go to standard error, one line per file; the other files are scanned (a\n"
           "file that cannot be decoded is still matched by its MD5 and SHA-256).\n"
           "Exit status: 0 the policy acted on some file (block, review, ...), 1 on none,\n"
           "2 an error.\n");
}

static void scan_work(void *ctx, const walk_item *item, void *result)
{
    scan_ctx *c = ctx;
    scan_result *r = result;
    uint8_t *data = NULL;
    size_t len = 0;
    cg_content content;

    r->status = strcmp(item->path, "-") == 0
                    ? cg_content_read_fd(STDIN_FILENO, "(standard input)", c->opts->max_bytes,
                                         &data, &len, &r->err)
                    : cg_content_read_file(item->path, c->opts->max_bytes, &data, &len, &r->err);
    if (r->status != CG_OK) {
        cg_verdict_free(&r->verdict);
        return;
    }
    cg_content_init(&content);
    content.kind = CG_CONTENT_BYTES;
    content.name = hashfile_display_name(item);
    content.data = data;
    content.len = len;
    content.audience = (cg_audience)c->audience;
    r->status = cg_engine_scan(c->engine, &content, &r->verdict, &r->err);
    cg_free(data);
}

/* "block, queue_review, notify:guardian" */
static void actions_text(const cg_policy_decision *d, char *out, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < d->n_actions && used < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s%s%s", i > 0 ? ", " : "",
                         cg_policy_action_name(d->actions[i].action),
                         d->actions[i].target[0] ? ":" : "", d->actions[i].target);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int acts(const cg_verdict *v)
{
    for (size_t i = 0; i < v->decision.n_actions; i++)
        if (v->decision.actions[i].action != CG_ACTION_ALLOW)
            return 1;
    return v->n_guidance > 0;
}

static void print_text(const char *name, const cg_verdict *v)
{
    char line[1024];

    if (v->matches.n == 0)
        printf("%s\tno match\n", name);
    for (size_t i = 0; i < v->matches.n; i++) {
        const cg_match *m = &v->matches.v[i];
        matchprint_text(m, line, sizeof(line));
        printf("%s\t%s\t%s\n", name, matchprint_tag(m), line);
    }
    if (!acts(v))
        return;
    if (v->nudity.status == CG_NUDITY_CLASSIFIED && v->nudity.scores.explicit_score > 0.0f)
        for (size_t i = 0; i < v->decision.n_fired; i++)
            if (strstr(v->decision.fired[i].why, "nudity ") != NULL) {
                printf("%s\tNUDITY\texplicit %.2f (porn %.2f, hentai %.2f, sexy %.2f)\n", name,
                       (double)v->nudity.scores.explicit_score,
                       (double)v->nudity.scores.p[CG_VISION_PORN],
                       (double)v->nudity.scores.p[CG_VISION_HENTAI],
                       (double)v->nudity.scores.p[CG_VISION_SEXY]);
                break;
            }
    actions_text(&v->decision, line, sizeof(line));
    printf("%s\tDECISION\t%s; rules:", name, line);
    for (size_t i = 0; i < v->decision.n_fired; i++)
        printf(" %s", v->decision.fired[i].id);
    if (v->review_id > 0)
        printf("; review item %lld", (long long)v->review_id);
    putchar('\n');
}

static void print_error_json(const char *name, const scan_result *r)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "name", name, "error", cg_status_word(r->status),
                          "message", r->err.message);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text != NULL)
        puts(text);
    free(text);
    json_decref(o);
}

/* Prints one file's result in order; 1 when it failed. */
static int scan_emit(void *ctx, const walk_item *item, void *result)
{
    scan_ctx *c = ctx;
    const scan_result *r = result;
    const char *name = hashfile_display_name(item);
    int failed = r->status != CG_OK || r->verdict.decode_status != CG_OK;

    if (r->status != CG_OK)
        fprintf(stderr, "childguard: %s\n", r->err.message);
    else if (r->verdict.decode_status != CG_OK)
        fprintf(stderr, "childguard: %s\n", r->verdict.decode_error);
    if (r->status != CG_OK) {
        if (c->opts->json)
            print_error_json(name, r);
        return 1;
    }
    if (c->opts->json) {
        char *text = cg_verdict_to_json(&r->verdict, 0);
        if (text != NULL)
            puts(text);
        cg_free(text);
    } else {
        print_text(name, &r->verdict);
    }
    if (acts(&r->verdict))
        c->hits++;
    return failed;
}

static void scan_release(void *result)
{
    cg_verdict_free(&((scan_result *)result)->verdict);
}

static int name_index(const char *(*name)(int), int count, const char *s)
{
    for (int i = 0; i < count; i++)
        if (name(i) != NULL && strcmp(name(i), s) == 0)
            return i;
    return -1;
}

static const char *context_name(int i)
{
    return cg_policy_context_name((cg_policy_context)i);
}

static const char *audience_name(int i)
{
    return cg_policy_audience_name((cg_audience)i);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'},
        {"policy", required_argument, NULL, 'p'},
        {"context", required_argument, NULL, 'C'},
        {"audience", required_argument, NULL, 'A'},
        {"dihedral", no_argument, NULL, 'd'},
        {"no-review", no_argument, NULL, 'R'},
        {"no-notify", no_argument, NULL, 'O'},
        {"quarantine", no_argument, NULL, 'Q'},
        {"log", required_argument, NULL, 'L'},
        {"no-audit", no_argument, NULL, 'N'},
        {"data", required_argument, NULL, 'T'},
        {"country", required_argument, NULL, 'c'},
        {"guidance", required_argument, NULL, 'G'},
        {"json", no_argument, NULL, 'J'},
        {"jobs", required_argument, NULL, 'j'},
        {"max-pixels", required_argument, NULL, 'P'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"video-rate", required_argument, NULL, 'V'},
        {"video-early-exit", no_argument, NULL, 'X'},
        {"max-video-seconds", required_argument, NULL, 'M'},
        {"quiet", no_argument, NULL, 'q'},
        {"no-classify", no_argument, NULL, 'K'},
        {"vision-model", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_arg = NULL, *log_arg = NULL;
    int no_audit = 0, audience = CG_AUDIENCE_RECIPIENT;
    scan_opts o;
    scan_ctx sc = {&o, NULL, CG_AUDIENCE_RECIPIENT, 0};
    cg_engine_config cfg;
    walk_list list = {0};
    char path[4096], log_path[4096];
    cg_error err;
    int ch, rc = CLI_OK;
    uint64_t v;

    memset(&o, 0, sizeof(o));
    cg_engine_config_default(&cfg);
    cfg.review = 1;
    cfg.notify = 1;
    cfg.actor = getenv("CHILDGUARD_ACTOR") != NULL ? getenv("CHILDGUARD_ACTOR") : "cli";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "dj:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'D': db_arg = optarg; break;
        case 'p': cfg.policy_path = optarg; break;
        case 'C':
            if ((cfg.context = name_index(context_name, CG_CONTEXT_COUNT, optarg)) < 0) {
                fprintf(stderr, "childguard scan: unknown context '%s' (platform_upload, "
                                "child_device, school_tablet)\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 'A':
            if ((audience = name_index(audience_name, CG_AUDIENCE_MODERATOR + 1, optarg)) < 0) {
                fprintf(stderr, "childguard scan: unknown audience '%s' (recipient, sender, "
                                "guardian, moderator)\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 'd': cfg.dihedral = 1; break;
        case 'R': cfg.review = 0; break;
        case 'O': cfg.notify = 0; break;
        case 'Q': cfg.quarantine = 1; break;
        case 'L': log_arg = optarg; break;
        case 'N': no_audit = 1; break;
        case 'T': cfg.text.data_dir = optarg; break;
        case 'c': cfg.text.country = optarg; break;
        case 'G':
            if (strcmp(optarg, "vi") != 0 && strcmp(optarg, "en") != 0) {
                fprintf(stderr, "childguard scan: --guidance is vi or en\n");
                return CLI_ERROR;
            }
            cfg.guidance_lang = optarg;
            break;
        case 'J': o.json = 1; break;
        case 'q': o.quiet = 1; break;
        case 'j':
            if (cli_parse_u64("scan", "--jobs", optarg, &v) != 0 || v > 1024)
                return CLI_ERROR;
            o.jobs = (unsigned)v;
            break;
        case 'P':
            if (cli_parse_u64("scan", "--max-pixels", optarg, &v) != 0)
                return CLI_ERROR;
            cfg.decode.limits.max_pixels = v;
            break;
        case 'B':
            if (cli_parse_u64("scan", "--max-bytes", optarg, &v) != 0)
                return CLI_ERROR;
            cfg.decode.limits.max_file_bytes = v;
            break;
        case 'V': {
            char *end = NULL;
            double r = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || r < 0 || r > 3600) {
                fprintf(stderr, "childguard scan: --video-rate needs seconds in 0..3600, got '%s'\n",
                        optarg);
                return CLI_ERROR;
            }
            cfg.video_seconds_per_hash = r == 0 ? -1 : r;
            break;
        }
        case 'X': cfg.video_early_exit = 1; break;
        case 'K': cfg.classify = 0; break;
        case 'W': cfg.vision_model_path = optarg; break;
        case 'M':
            if (cli_parse_u64("scan", "--max-video-seconds", optarg, &v) != 0 || v == 0)
                return CLI_ERROR;
            cfg.video_limits.max_duration_s = (double)v;
            break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard scan --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard scan: no files given\nTry 'childguard scan --help'.\n");
        return CLI_ERROR;
    }
    o.max_bytes = cfg.decode.limits.max_file_bytes;
    if (dbpath_resolve("scan", db_arg, 0, path, sizeof(path)) != 0)
        return CLI_ERROR;
    cfg.db_path = path;
    /* No database yet: a newcomer's first scan still hashes and decides (there is nothing to
     * match); a --db that names no file is a mistake to report. */
    if (dbpath_missing(path)) {
        if (db_arg != NULL) {
            dbpath_error_missing("scan", path);
            return CLI_ERROR;
        }
        dbpath_notice_missing("scan", path,
                              "scanning without banks (hashes and decisions, no matches, no "
                              "review queue)");
        cfg.db_path = NULL;
        cfg.review = 0;
        cfg.notify = 0;
        if (log_arg == NULL && getenv("CHILDGUARD_AUDIT_LOG") == NULL)
            no_audit = 1; /* the default log lives beside the database */
    }
    if (!no_audit) {
        if (auditpath_resolve("scan", log_arg, path, log_path, sizeof(log_path)) != 0)
            return CLI_ERROR;
        cfg.audit_path = log_path;
        cfg.audit_fsync = 1;
    }
    if (cg_engine_open(&cfg, &sc.engine, &err) != CG_OK) {
        fprintf(stderr, "childguard scan: %s\n", err.message);
        return CLI_ERROR;
    }
    if (cg_engine_vision_error(sc.engine) != NULL)
        fprintf(stderr, "childguard scan: nudity classifier unavailable, scanning without it: "
                        "%s\n", cg_engine_vision_error(sc.engine));
    sc.audience = audience;
    for (int i = optind; i < argc; i++)
        if (walk_add(&list, argv[i]) != 0) {
            fprintf(stderr, "childguard scan: out of memory\n");
            rc = CLI_ERROR;
            goto out;
        }
    if (list.errors > 0)
        rc = CLI_ERROR;
    batch_spec spec = {"scan", o.jobs, o.quiet, sizeof(scan_result), scan_work, scan_emit,
                       scan_release, &sc};
    long failed = batch_run(&spec, &list);
    if (failed != 0)
        rc = CLI_ERROR;
    else if (rc == CLI_OK && sc.hits == 0)
        rc = CLI_NONE;
out:
    walk_free(&list);
    cg_engine_close(sc.engine);
    return rc;
}

const cli_command cmd_scan = {
    "scan",
    "scan files and videos through the engine: hashes, bank matches, the policy's decision",
    run,
    usage,
};
