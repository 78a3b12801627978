/* `childguard exchange`: hash exchanges kept in the store (docs/exchange.md): add one (its bank
 * is created with it; its credentials are sealed with the exchange key file), list, show,
 * status (HMA's status fields), fetch (one run: pages applied with their checkpoints), enable,
 * disable, remove. The network is libcurl (exchange_http.c); the library only sees the
 * transport. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auditpath.h"
#include "childguard.h"
#include "childguard/exchange.h"
#include "childguard/exchange_store.h"
#include "cli.h"
#include "cmd_exchange_feedback.h"
#include "dbpath.h"
#include "exchange_conf.h"
#include "exchange_session.h"

static void usage(void)
{
    printf("usage: childguard exchange SUBCOMMAND [options]\n"
           "\n"
           "Hash exchanges (NCMEC hash sharing, StopNCII, Meta ThreatExchange) kept in the bank\n"
           "database: each owns a bank of its name, fetched page by page; every page is applied\n"
           "with its checkpoint in one transaction (docs/exchange.md).\n"
           "\n"
           "Subcommands:\n"
           "  apis                       the API kinds and the credentials each takes\n"
           "  add NAME --api API [--config JSON] [--credentials FILE] [--label L]\n"
           "      [--adopt-bank] [--disabled]\n"
           "                             create the exchange and its bank. --config: api_json\n"
           "                             (base_url, collab, page_size, max_body, start_time;\n"
           "                             NCMEC: negative_reason, the reason id of a negative\n"
           "                             feedback queued without one);\n"
           "                             --credentials: a JSON file (user, password, api_key,\n"
           "                             subscription_key, feedback_key), sealed into the\n"
           "                             database with the key file ('-' reads stdin)\n"
           "  list [--json]              the exchanges (exit 1 when there are none)\n"
           "  show NAME [--json]         configuration and status (never the credentials)\n"
           "  status NAME [--json]       checkpoint_ts, running_fetch_start_ts,\n"
           "                             last_fetch_complete_ts, last_fetch_succeeded,\n"
           "                             up_to_date, fetched_items (HMA's status route)\n"
           "  fetch NAME [--full] [--max-pages N] [--max-seconds N] [--json] [--quiet]\n"
           "                             one fetch run; progress on a terminal, --json: one\n"
           "                             JSON line per page and a last one with \"done\"\n"
           "  enable NAME | disable NAME\n"
           "  remove NAME [--keep-bank]  delete it (and its bank, unless --keep-bank)\n"
           "  feedback NAME [...]        the feedback queue: list, --send, --entry KEY\n"
           "                             (childguard exchange feedback --help)\n"
           "\n"
           "Common options: --db PATH, --key-file PATH (the key that seals credentials; default\n"
           "$CHILDGUARD_EXCHANGE_KEY, else DB.exchange-key, made by the first add, mode 0600),\n"
           "--log PATH (audit log), --timeout SECONDS (per request, default 120).\n"
           "Exit status: 0 success (fetch: records applied), 1 nothing (list: no exchange;\n"
           "fetch: no new records), 2 an error (fetch: the run failed or skipped a page).\n");
}

typedef struct ex_opts {
    const char *db, *key_file, *log, *api, *config, *credentials, *label;
    int adopt, disabled, json, quiet, full, keep_bank;
    long max_pages, max_seconds, timeout;
    const char *sub, *name;
} ex_opts;

static int parse_long(const char *what, const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v <= 0) {
        fprintf(stderr, "childguard exchange: %s must be a positive integer, not \"%s\"\n",
                what, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, ex_opts *o)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},         {"key-file", required_argument, NULL, 'K'},
        {"log", required_argument, NULL, 'l'},        {"api", required_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'},     {"credentials", required_argument, NULL, 'C'},
        {"label", required_argument, NULL, 'L'},      {"adopt-bank", no_argument, NULL, 'A'},
        {"disabled", no_argument, NULL, 'D'},         {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},            {"full", no_argument, NULL, 'f'},
        {"keep-bank", no_argument, NULL, 'k'},        {"max-pages", required_argument, NULL, 'p'},
        {"max-seconds", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    int c;

    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'K': o->key_file = optarg; break;
        case 'l': o->log = optarg; break;
        case 'a': o->api = optarg; break;
        case 'c': o->config = optarg; break;
        case 'C': o->credentials = optarg; break;
        case 'L': o->label = optarg; break;
        case 'A': o->adopt = 1; break;
        case 'D': o->disabled = 1; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        case 'f': o->full = 1; break;
        case 'k': o->keep_bank = 1; break;
        case 'p': if (parse_long("--max-pages", optarg, &o->max_pages) != 0) return -1; break;
        case 's': if (parse_long("--max-seconds", optarg, &o->max_seconds) != 0) return -1; break;
        case 't': if (parse_long("--timeout", optarg, &o->timeout) != 0) return -1; break;
        case 'h': usage(); return 1;
        default: return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard exchange: a subcommand is required (try --help)\n");
        return -1;
    }
    o->sub = argv[optind++];
    if (optind < argc)
        o->name = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "childguard exchange %s: unexpected argument \"%s\"\n", o->sub,
                argv[optind]);
        return -1;
    }
    return 0;
}

static cg_bankdb *open_db(const ex_opts *o, int write, char *path, size_t n, cg_audit **audit)
{
    cg_bankdb *db = NULL;
    cg_error err;
    const char *actor = getenv("CHILDGUARD_ACTOR");

    *audit = NULL;
    if (dbpath_resolve("exchange", o->db, write, path, n) != 0)
        return NULL;
    if (!write && dbpath_missing(path)) {
        dbpath_error_missing("exchange", path);
        return NULL;
    }
    if (cg_bankdb_open(path, write ? CG_BANKDB_CREATE : CG_BANKDB_READONLY, &db, &err) !=
        CG_OK) {
        fprintf(stderr, "childguard exchange %s: %s\n", o->sub, err.message);
        return NULL;
    }
    if (write) {
        if (actor == NULL || *actor == '\0')
            actor = getenv("USER");
        *audit = auditpath_open("exchange", o->log, path);
        if (*audit == NULL ||
            cg_bankdb_set_audit(db, *audit, actor && *actor ? actor : "cli", &err) != CG_OK) {
            if (*audit != NULL)
                fprintf(stderr, "childguard exchange %s: %s\n", o->sub, err.message);
            cg_bankdb_close(db);
            cg_audit_close(*audit);
            *audit = NULL;
            return NULL;
        }
    }
    return db;
}

static void close_db(cg_bankdb *db, cg_audit *audit)
{
    cg_bankdb_close(db);
    cg_audit_close(audit);
}

static int need_name(const ex_opts *o)
{
    if (o->name != NULL)
        return 0;
    fprintf(stderr, "childguard exchange %s: an exchange NAME is required\n", o->sub);
    return -1;
}

/* Reads a credentials file (or stdin for "-") of at most 64 KiB into a new string. */
static char *read_credentials(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf;
    size_t n;

    if (f == NULL) {
        perror(path);
        return NULL;
    }
    buf = calloc(1, 65537);
    n = buf != NULL ? fread(buf, 1, 65536, f) : 0;
    if (f != stdin)
        fclose(f);
    if (buf == NULL || n == 65536) {
        fprintf(stderr, "childguard exchange add: %s: empty or over 64 KiB\n", path);
        free(buf);
        return NULL;
    }
    return buf;
}

static json_t *info_json(const cg_exchange_info *ex, int status_only)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:b, s:b, s:I}", "checkpoint_ts",
                          (json_int_t)ex->checkpoint_ts, "running_fetch_start_ts",
                          (json_int_t)ex->running_fetch_start_ts, "last_fetch_complete_ts",
                          (json_int_t)ex->last_fetch_complete_ts, "last_fetch_succeeded",
                          ex->last_fetch_succeeded, "up_to_date", ex->up_to_date,
                          "fetched_items", (json_int_t)ex->fetched_items);

    if (o != NULL) {
        json_object_set_new(o, "consecutive_failures", json_integer(ex->consecutive_failures));
        json_object_set_new(o, "next_fetch_ts", json_integer(ex->next_fetch_ts));
        json_object_set_new(o, "sweep_pending", json_boolean(ex->sweep_pending));
    }
    if (o == NULL || status_only)
        return o;
    json_t *cfg = json_loads(ex->api_json[0] ? ex->api_json : "{}", 0, NULL);

    json_object_set_new(o, "name", json_string(ex->name));
    json_object_set_new(o, "api", json_string(ex->api));
    json_object_set_new(o, "api_json", cfg != NULL ? cfg : json_object());
    json_object_set_new(o, "enabled", json_boolean(ex->enabled));
    json_object_set_new(o, "bank_id", json_integer(ex->bank_id));
    json_object_set_new(o, "has_credentials", json_boolean(ex->has_secret));
    json_object_set_new(o, "last_error", json_string(ex->last_error));
    return o;
}

static void print_json(json_t *o)
{
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    if (s != NULL)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

static int run_apis(void)
{
    for (size_t i = 0; i < cg_exchange_driver_count(); i++) {
        const char *name = cg_exchange_driver_at(i)->name;

        printf("%-18s credentials: %s\n", name, exchange_conf_credential_fields(name));
    }
    return CLI_OK;
}

static int run_add(const ex_opts *o)
{
    uint8_t key[CG_EXCHANGE_SEAL_KEY_BYTES];
    char path[4096], keypath[4096], why[512];
    cg_exchange_info *ex = calloc(1, sizeof(*ex));
    char *creds = NULL;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    cg_audit *audit = NULL;
    cg_bankdb *db = NULL;
    cg_error err;
    cg_status st;
    int rc = CLI_ERROR;

    if (ex == NULL || need_name(o) != 0)
        goto out;
    if (o->api == NULL) {
        fprintf(stderr, "childguard exchange add: --api is required (childguard exchange apis)\n");
        goto out;
    }
    if (strlen(o->name) > CG_BANK_NAME_MAX || strlen(o->api) > CG_EXCHANGE_API_MAX ||
        (o->config != NULL && strlen(o->config) > CG_EXCHANGE_CONFIG_MAX)) {
        fprintf(stderr, "childguard exchange add: name, --api or --config too long\n");
        goto out;
    }
    snprintf(ex->name, sizeof(ex->name), "%s", o->name);
    snprintf(ex->api, sizeof(ex->api), "%s", o->api);
    snprintf(ex->api_json, sizeof(ex->api_json), "%s", o->config != NULL ? o->config : "{}");
    ex->enabled = !o->disabled;
    if (exchange_conf_check(ex->api, ex->api_json, why, sizeof(why)) != 0) {
        fprintf(stderr, "childguard exchange add: %s\n", why);
        goto out;
    }
    if (o->credentials != NULL) {
        creds = read_credentials(o->credentials);
        if (creds == NULL)
            goto out;
        if (exchange_conf_check_secret(ex->api, creds, why, sizeof(why)) != 0) {
            fprintf(stderr, "childguard exchange add: %s: %s\n", o->credentials, why);
            goto out;
        }
    }
    db = open_db(o, 1, path, sizeof(path), &audit);
    if (db == NULL)
        goto out;
    if (creds != NULL) {
        if (exchange_key_path(o->key_file, path, keypath, sizeof(keypath)) != 0 ||
            exchange_key_load(keypath, 1, key, why, sizeof(why)) != 0) {
            fprintf(stderr, "childguard exchange add: %s\n", why);
            goto out;
        }
        st = cg_exchange_secret_seal(key, cg_bankdb_tenant(db), ex->name, creds, strlen(creds),
                                     &blob, &blob_len, &err);
        memset(key, 0, sizeof(key));
        if (st != CG_OK) {
            fprintf(stderr, "childguard exchange add: %s\n", err.message);
            goto out;
        }
    }
    st = cg_exchange_create(db, ex, o->label, o->adopt, &err);
    if (st == CG_OK && blob != NULL)
        st = cg_exchange_secret_put(db, ex->id, blob, blob_len, &err);
    if (st != CG_OK) {
        fprintf(stderr, "childguard exchange add: %s\n", err.message);
        goto out;
    }
    printf("exchange %s added (api %s, bank id %" PRId64 "%s)\n", ex->name, ex->api, ex->bank_id,
           blob != NULL ? ", credentials sealed" : ", no credentials");
    rc = CLI_OK;
out:
    if (creds != NULL) {
        memset(creds, 0, strlen(creds));
        free(creds);
    }
    cg_free(blob);
    if (db != NULL)
        close_db(db, audit);
    free(ex);
    return rc;
}

typedef struct list_ctx {
    int json, n;
} list_ctx;

static int list_one(const cg_exchange_info *ex, void *ud)
{
    list_ctx *c = ud;

    c->n++;
    if (c->json)
        print_json(info_json(ex, 0));
    else
        printf("%-24s %-18s %-8s %-10s items %" PRId64 "%s%s\n", ex->name, ex->api,
               ex->enabled ? "enabled" : "disabled",
               ex->up_to_date ? "up-to-date" : ex->last_fetch_complete_ts ? "behind" : "new",
               ex->fetched_items, ex->last_error[0] ? "  last error: " : "", ex->last_error);
    return 0;
}

static int run_list(const ex_opts *o)
{
    char path[4096];
    cg_audit *audit = NULL;
    cg_bankdb *db = open_db(o, 0, path, sizeof(path), &audit);
    list_ctx c = {o->json, 0};
    cg_error err;
    cg_status st;

    if (db == NULL)
        return CLI_ERROR;
    st = cg_exchange_list(db, list_one, &c, &err);
    close_db(db, audit);
    if (st != CG_OK) {
        fprintf(stderr, "childguard exchange list: %s\n", err.message);
        return CLI_ERROR;
    }
    return c.n > 0 ? CLI_OK : CLI_NONE;
}

/* An exchange read for show, status, enable and disable, with the database it came from. */
typedef struct opened {
    cg_bankdb *db;
    cg_audit *audit;
    cg_exchange_info *ex; /* allocated */
} opened;

/* Opens the database (writable or not) and reads the exchange o->name into x. 0, or -1
 * reported on stderr; close x either way. */
static int open_exchange(const ex_opts *o, int writable, opened *x)
{
    char path[4096];
    cg_error err;

    memset(x, 0, sizeof(*x));
    x->ex = calloc(1, sizeof(*x->ex));
    if (x->ex == NULL) {
        fprintf(stderr, "childguard exchange %s: out of memory\n", o->sub);
        return -1;
    }
    if (need_name(o) != 0)
        return -1;
    x->db = open_db(o, writable, path, sizeof(path), &x->audit);
    if (x->db == NULL)
        return -1;
    if (cg_exchange_get(x->db, o->name, x->ex, &err) != CG_OK) {
        fprintf(stderr, "childguard exchange %s: %s\n", o->sub, err.message);
        return -1;
    }
    return 0;
}

static void close_exchange(opened *x)
{
    if (x->db != NULL)
        close_db(x->db, x->audit);
    free(x->ex);
    memset(x, 0, sizeof(*x));
}

static int run_show(const ex_opts *o, int status_only)
{
    opened x;
    const cg_exchange_info *ex;
    cg_error err;
    int rc = CLI_ERROR;

    if (open_exchange(o, 0, &x) != 0)
        goto out;
    ex = x.ex;
    /* The signals of the exchange's bank a flood quarantine switched off (count, first 10). */
    int64_t qids[10];
    size_t nq = 0;
    if (cg_flood_quarantined(x.db, ex->bank_id, (int64_t)time(NULL), qids, 10, &nq, &err) !=
        CG_OK) {
        fprintf(stderr, "childguard exchange %s: %s\n", o->sub, err.message);
        goto out;
    }
    if (o->json) {
        json_t *j = info_json(ex, status_only), *first = json_array();

        for (size_t i = 0; i < nq && i < 10; i++)
            json_array_append_new(first, json_integer(qids[i]));
        json_object_set_new(j, "quarantined",
                            json_pack("{s:I,s:o}", "count", (json_int_t)nq, "first", first));
        print_json(j);
    } else {
        if (!status_only)
            printf("name: %s\napi: %s\napi_json: %s\nenabled: %s\nbank_id: %" PRId64
                   "\ncredentials: %s\n",
                   ex->name, ex->api, ex->api_json, ex->enabled ? "yes" : "no", ex->bank_id,
                   ex->has_secret ? "sealed in the database" : "none");
        printf("checkpoint_ts: %" PRId64 "\nrunning_fetch_start_ts: %" PRId64
               "\nlast_fetch_complete_ts: %" PRId64 "\nlast_fetch_succeeded: %s\nup_to_date: %s\n"
               "fetched_items: %" PRId64 "\n",
               ex->checkpoint_ts, ex->running_fetch_start_ts, ex->last_fetch_complete_ts,
               ex->last_fetch_succeeded ? "true" : "false", ex->up_to_date ? "true" : "false",
               ex->fetched_items);
        if (ex->last_error[0] != '\0')
            printf("last_error: %s\n", ex->last_error);
        if (ex->consecutive_failures > 0 || ex->next_fetch_ts > 0)
            printf("consecutive_failures: %d\nnext_fetch_ts: %" PRId64 "\n",
                   ex->consecutive_failures, ex->next_fetch_ts);
        if (ex->sweep_pending)
            printf("sweep_pending: true (a full refetch is under way)\n");
        printf("quarantined: %zu", nq);
        for (size_t i = 0; i < nq && i < 10; i++)
            printf("%s%" PRId64, i == 0 ? " (signal " : ", ", qids[i]);
        printf("%s\n", nq == 0 ? "" : nq > 10 ? ", ...)" : ")");
    }
    rc = CLI_OK;
out:
    close_exchange(&x);
    return rc;
}

static int run_enable(const ex_opts *o, int enabled)
{
    opened x;
    cg_error err;
    int rc = CLI_ERROR;

    if (open_exchange(o, 1, &x) != 0)
        goto out;
    x.ex->enabled = enabled;
    if (cg_exchange_update(x.db, x.ex, &err) != CG_OK) {
        fprintf(stderr, "childguard exchange %s: %s\n", o->sub, err.message);
        goto out;
    }
    printf("exchange %s %s\n", x.ex->name, enabled ? "enabled" : "disabled");
    rc = CLI_OK;
out:
    close_exchange(&x);
    return rc;
}

static int run_remove(const ex_opts *o)
{
    char path[4096];
    cg_audit *audit = NULL;
    cg_bankdb *db;
    cg_error err;

    if (need_name(o) != 0)
        return CLI_ERROR;
    db = open_db(o, 1, path, sizeof(path), &audit);
    if (db == NULL)
        return CLI_ERROR;
    if (cg_exchange_delete(db, o->name, !o->keep_bank, &err) != CG_OK) {
        fprintf(stderr, "childguard exchange remove: %s\n", err.message);
        close_db(db, audit);
        return CLI_ERROR;
    }
    close_db(db, audit);
    printf("exchange %s removed%s\n", o->name, o->keep_bank ? " (its bank kept)" : " with its bank");
    return CLI_OK;
}

typedef struct fetch_ctx {
    int json, tty;
    const char *name;
} fetch_ctx;

static json_t *result_json(const char *name, const cg_exchange_run_result *r, int done)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "exchange", name,
                          "pages", (json_int_t)r->pages, "pages_failed",
                          (json_int_t)r->pages_failed, "records", (json_int_t)r->records,
                          "added", (json_int_t)r->applied.added, "removed",
                          (json_int_t)r->applied.removed, "merged",
                          (json_int_t)r->applied.merged, "rejected", (json_int_t)r->rejected,
                          "checkpoint_reset", r->checkpoint_reset, "done", done);

    if (o != NULL && done) {
        json_object_set_new(o, "succeeded", json_boolean(r->succeeded));
        json_object_set_new(o, "up_to_date", json_boolean(r->up_to_date));
        json_object_set_new(o, "error", json_string(r->error));
        json_object_set_new(o, "swept", json_integer((json_int_t)r->swept));
        json_object_set_new(o, "consecutive_failures", json_integer(r->consecutive_failures));
        json_object_set_new(o, "next_fetch_ts", json_integer(r->next_fetch_ts));
    }
    return o;
}

static int on_page(const cg_exchange_run_result *r, void *ud)
{
    fetch_ctx *c = ud;

    if (c->json) {
        print_json(result_json(c->name, r, 0));
        fflush(stdout);
    } else if (c->tty) {
        fprintf(stderr, "\r%s: %zu pages, %" PRIu64 " records (+%" PRIu64 " -%" PRIu64 ")   ",
                c->name, r->pages, r->records, r->applied.added, r->applied.removed);
    }
    return 0;
}

static int run_fetch(const ex_opts *o)
{
    char path[4096];
    cg_exchange_run_options opt;
    cg_exchange_run_result res;
    exchange_session s;
    fetch_ctx ctx;
    cg_audit *audit = NULL;
    cg_bankdb *db = NULL;
    int rc = CLI_ERROR;
    cg_error err;

    memset(&s, 0, sizeof(s));
    if (need_name(o) != 0)
        goto out;
    db = open_db(o, 1, path, sizeof(path), &audit);
    if (db == NULL)
        goto out;
    if (exchange_session_open(&s, db, o->name, o->key_file, path, o->timeout,
                              "childguard exchange fetch") != 0)
        goto out;
    memset(&opt, 0, sizeof(opt));
    opt.full = o->full;
    opt.max_pages = (size_t)o->max_pages;
    opt.max_seconds = o->max_seconds;
    ctx.json = o->json;
    ctx.tty = !o->quiet && !o->json && isatty(STDERR_FILENO);
    ctx.name = s.ex->name;
    opt.progress = on_page;
    opt.progress_ud = &ctx;
    if (cg_exchange_run(db, s.ex->name, &s.conf.cfg, &opt, &res, &err) != CG_OK) {
        if (ctx.tty)
            fprintf(stderr, "\n");
        fprintf(stderr, "childguard exchange fetch: %s\n", err.message);
        goto out;
    }
    if (ctx.tty)
        fprintf(stderr, "\n");
    if (o->json)
        print_json(result_json(s.ex->name, &res, 1));
    else if (!o->quiet)
        printf("%s: %zu pages, %" PRIu64 " records: %" PRIu64 " added, %" PRIu64
               " removed, %" PRIu64 " merged, %" PRIu64 " malformed skipped; %s\n",
               s.ex->name, res.pages, res.records, res.applied.added, res.applied.removed,
               res.applied.merged, res.rejected,
               res.up_to_date ? "up to date" : res.succeeded ? "more to fetch" : "not up to date");
    if (!res.succeeded || res.status != CG_OK) {
        fprintf(stderr, "childguard exchange fetch: %s\n", res.error);
        rc = CLI_ERROR;
    } else {
        rc = res.records > 0 ? CLI_OK : CLI_NONE;
    }
out:
    exchange_session_close(&s);
    if (db != NULL)
        close_db(db, audit);
    return rc;
}

static int run(int argc, char **argv)
{
    ex_opts o;
    int r;

    /* The feedback queue takes options of its own (cmd_exchange_feedback.c). */
    if (argc > 1 && strcmp(argv[1], "feedback") == 0)
        return exchange_feedback_main(argc - 1, argv + 1);
    r = parse_opts(argc, argv, &o);

    if (r != 0)
        return r > 0 ? CLI_OK : CLI_ERROR;
    if (strcmp(o.sub, "apis") == 0)
        return run_apis();
    if (strcmp(o.sub, "add") == 0)
        return run_add(&o);
    if (strcmp(o.sub, "list") == 0)
        return run_list(&o);
    if (strcmp(o.sub, "show") == 0)
        return run_show(&o, 0);
    if (strcmp(o.sub, "status") == 0)
        return run_show(&o, 1);
    if (strcmp(o.sub, "fetch") == 0)
        return run_fetch(&o);
    if (strcmp(o.sub, "enable") == 0 || strcmp(o.sub, "disable") == 0)
        return run_enable(&o, strcmp(o.sub, "enable") == 0);
    if (strcmp(o.sub, "remove") == 0)
        return run_remove(&o);
    if (strcmp(o.sub, "feedback") == 0) {
        fprintf(stderr, "childguard exchange: write feedback first, then its options "
                        "(childguard exchange feedback NAME ...)\n");
        return CLI_ERROR;
    }
    fprintf(stderr, "childguard exchange: unknown subcommand \"%s\" (try --help)\n", o.sub);
    return CLI_ERROR;
}

const cli_command cmd_exchange = {"exchange", "hash exchanges: add, list, show, status, fetch, feedback",
                                  run, usage};
