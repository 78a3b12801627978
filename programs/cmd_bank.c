/* `childguard bank`: creating, filling, exchanging and curating hash banks. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditpath.h"
#include "childguard.h"
#include "cli.h"
#include "dbpath.h"
#include "hashfile.h"
#include "progress.h"
#include "walk.h"

static void usage(void)
{
    printf("usage: childguard bank [--db PATH] [--log PATH | --no-audit] SUBCOMMAND [options]"
           " [ARGS]\n"
           "\n"
           "Banks are named lists of known hashes (signals) with provenance, as hotlines and\n"
           "StopNCII exchange them. A 'block' bank flags what matches it; an 'allow' bank\n"
           "suppresses known false positives of the block banks.\n"
           "\n"
           "Subcommands:\n"
           "  create NAME [--label L] [--kind block|allow] [--description TEXT]\n"
           "              [--threshold TYPE=N]... [--pdq-min-quality Q] [--disabled]\n"
           "              (PDQ matches where either hash's quality is below Q, default 50,\n"
           "              are shown but not acted on: such hashes match unrelated images)\n"
           "  list [--json]                         banks with their signal counts\n"
           "  show NAME [--json]                    one bank in detail\n"
           "  add NAME [--type T] [--external-id ID] [--note TEXT] [--quality Q]\n"
           "           [--source S] HASH...         add hashes given in hex\n"
           "  add NAME --files PATH...              hash files (PDQ of images, vPDQ of videos,\n"
           "                                        + MD5) and add\n"
           "  import NAME [--format auto|lines|csv|tsv|jsonl] [--type T] [--source S]\n"
           "              [--create] [--label L] FILE...   ('-' is standard input)\n"
           "  export NAME|--all [--format csv|tsv|jsonl|lines] [-o FILE]\n"
           "  disable NAME [HASH...] [--until TIME | --for DURATION]\n"
           "              without hashes: the whole bank; with: those signals (TIME is\n"
           "              unix seconds or YYYY-MM-DD[THH:MM:SS]Z; DURATION like 90m, 12h, 7d)\n"
           "  enable NAME [HASH...]\n"
           "  delete NAME --yes                     the bank and all its signals\n"
           "\n"
           "The database: --db PATH, else $CHILDGUARD_DB, else\n"
           "$XDG_DATA_HOME/childguard/childguard.db (~/.local/share/childguard/childguard.db).\n"
           "Every change (create, add, import, disable, enable, delete) appends one\n"
           "'bank_change' record to the audit log: --log PATH, else $CHILDGUARD_AUDIT_LOG,\n"
           "else audit.log beside the database; the actor is $CHILDGUARD_ACTOR, else $USER,\n"
           "else 'cli'. --no-audit writes no record (for throwaway databases only). Reading\n"
           "(list, show, export) never touches the log. See 'childguard audit'.\n"
           "Import is one transaction per file: a file that fails leaves the bank as it was;\n"
           "bad lines are reported with their line number and skipped.\n"
           "Exit status: 0 success, 2 error (1 from import when every line was rejected).\n");
}

typedef struct bank_ctx {
    const char *db_arg;
    const char *log_arg; /* --log PATH, else NULL */
    int no_audit;        /* --no-audit */
    char db_path[4096];
    cg_bankdb *db;
    cg_audit *audit;     /* open for the changing subcommands unless --no-audit */
} bank_ctx;

/* Who the audit records name: $CHILDGUARD_ACTOR, else $USER, else "cli". */
static const char *audit_actor(void)
{
    const char *a = getenv("CHILDGUARD_ACTOR");

    if (a == NULL || *a == '\0')
        a = getenv("USER");
    return a != NULL && *a != '\0' ? a : "cli";
}

static int open_db(bank_ctx *c, int create);

/* open_db for a subcommand that changes the database: also opens the audit log (unless
 * --no-audit) and attaches it, so each change appends a bank_change record. */
static int open_db_write(bank_ctx *c, int create)
{
    cg_error err;

    if (open_db(c, create) != 0)
        return -1;
    if (c->no_audit)
        return 0;
    c->audit = auditpath_open("bank", c->log_arg, c->db_path);
    if (c->audit == NULL)
        return -1;
    if (cg_bankdb_set_audit(c->db, c->audit, audit_actor(), &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s (set CHILDGUARD_ACTOR)\n", err.message);
        return -1;
    }
    return 0;
}

static int open_db(bank_ctx *c, int create)
{
    cg_error err;

    if (dbpath_resolve("bank", c->db_arg, create, c->db_path, sizeof(c->db_path)) != 0)
        return -1;
    if (!create && access(c->db_path, F_OK) != 0) {
        fprintf(stderr,
                "childguard bank: %s: no database yet: create a bank first ('childguard bank "
                "create NAME --label LABEL', or 'bank import NAME --create FILE')\n",
                c->db_path);
        return -1;
    }
    if (cg_bankdb_open(c->db_path, CG_BANKDB_CREATE, &c->db, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int get_bank(bank_ctx *c, const char *name, cg_bank *b)
{
    cg_error err;

    if (cg_bank_get(c->db, name, b, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int set_text(char *dst, size_t cap, const char *what, const char *src)
{
    if (strlen(src) >= cap) {
        fprintf(stderr, "childguard bank: %s longer than %zu bytes\n", what, cap - 1);
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* TYPE=N into b->thresholds. */
static int parse_threshold(cg_bank *b, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[32];
    uint64_t v;

    if (eq == NULL || (size_t)(eq - arg) >= sizeof(name)) {
        fprintf(stderr, "childguard bank: --threshold wants TYPE=N, e.g. pdq=31\n");
        return -1;
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    const cg_signal_type *t = cg_signal_type_find(name);
    if (t == NULL) {
        fprintf(stderr, "childguard bank: unknown signal type '%s'\n", name);
        return -1;
    }
    if (cli_parse_u64("bank", "--threshold", eq + 1, &v) != 0)
        return -1;
    if (v > (uint64_t)t->max_distance) {
        fprintf(stderr, "childguard bank: threshold %" PRIu64 " out of range for %s (0..%d)\n",
                v, t->name, t->max_distance);
        return -1;
    }
    for (size_t i = 0; i < b->n_thresholds; i++)
        if (b->thresholds[i].type == t) {
            b->thresholds[i].distance = (int)v;
            return 0;
        }
    if (b->n_thresholds == CG_BANK_MAX_THRESHOLDS)
        return -1;
    b->thresholds[b->n_thresholds++] = (cg_bank_threshold){t, (int)v};
    return 0;
}

static const char *kind_name(cg_bank_kind k)
{
    return k == CG_BANK_ALLOW ? "allow" : "block";
}

/* ---- create ---- */

static int do_create(bank_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"label", required_argument, NULL, 'l'},
        {"kind", required_argument, NULL, 'k'},
        {"description", required_argument, NULL, 'D'},
        {"threshold", required_argument, NULL, 'T'},
        {"pdq-min-quality", required_argument, NULL, 'q'},
        {"disabled", no_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    uint64_t q;
    cg_bank b;
    cg_error err;
    int ch;

    memset(&b, 0, sizeof(b));
    b.enabled = 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "l:k:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l':
            if (set_text(b.label, sizeof(b.label), "--label", optarg) != 0)
                return CLI_ERROR;
            break;
        case 'k':
            if (strcmp(optarg, "block") == 0)
                b.kind = CG_BANK_BLOCK;
            else if (strcmp(optarg, "allow") == 0)
                b.kind = CG_BANK_ALLOW;
            else {
                fprintf(stderr, "childguard bank: --kind is block or allow\n");
                return CLI_ERROR;
            }
            break;
        case 'D':
            if (set_text(b.description, sizeof(b.description), "--description", optarg) != 0)
                return CLI_ERROR;
            break;
        case 'T':
            if (parse_threshold(&b, optarg) != 0)
                return CLI_ERROR;
            break;
        case 'q':
            if (cli_parse_u64("bank", "--pdq-min-quality", optarg, &q) != 0 || q < 1 ||
                q > 100) {
                fprintf(stderr, "childguard bank: --pdq-min-quality is 1..100\n");
                return CLI_ERROR;
            }
            b.pdq_min_quality = (int)q;
            break;
        case 'x': b.enabled = 0; break;
        default: return CLI_ERROR;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "childguard bank create: give one bank NAME\n");
        return CLI_ERROR;
    }
    if (set_text(b.name, sizeof(b.name), "bank name", argv[optind]) != 0 ||
        open_db_write(c, 1) != 0)
        return CLI_ERROR;
    if (cg_bank_create(c->db, &b, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    fprintf(stderr, "created bank '%s' (%s, label '%s') in %s\n", b.name, kind_name(b.kind),
            b.label, c->db_path);
    return CLI_OK;
}

/* ---- list / show ---- */

static json_t *bank_json(bank_ctx *c, const cg_bank *b)
{
    json_t *o = json_object(), *counts = json_object(), *thr = json_object();
    int64_t total = 0;

    json_object_set_new(o, "name", json_string(b->name));
    json_object_set_new(o, "label", json_string(b->label));
    json_object_set_new(o, "kind", json_string(kind_name(b->kind)));
    json_object_set_new(o, "enabled", json_boolean(b->enabled));
    json_object_set_new(o, "description", json_string(b->description));
    json_object_set_new(o, "created", json_integer(b->created));
    for (size_t i = 0; i < cg_signal_type_count(); i++) {
        const cg_signal_type *t = cg_signal_type_at(i);
        int64_t n = 0;
        if (cg_bank_signal_count(c->db, b->id, t, &n, NULL) == CG_OK && n > 0)
            json_object_set_new(counts, t->name, json_integer(n));
        total += n;
        json_object_set_new(thr, t->name, json_integer(cg_bank_threshold_for(b, t)));
    }
    json_object_set_new(o, "signals", json_integer(total));
    json_object_set_new(o, "by_type", counts);
    json_object_set_new(o, "thresholds", thr);
    json_object_set_new(o, "pdq_min_quality", json_integer(cg_bank_pdq_min_quality(b)));
    return o;
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(o);
}

typedef struct list_ctx {
    bank_ctx *c;
    int json;
    int count;
} list_ctx;

static int list_one(const cg_bank *b, void *ud)
{
    list_ctx *l = ud;
    json_t *o = bank_json(l->c, b);

    l->count++;
    if (l->json) {
        print_json(o);
        return 0;
    }
    printf("%-24s %-10s %-5s %-8s %10" JSON_INTEGER_FORMAT "  %s\n", b->name, b->label,
           kind_name(b->kind), b->enabled ? "enabled" : "disabled",
           json_integer_value(json_object_get(o, "signals")), b->description);
    json_decref(o);
    return 0;
}

static int do_list(bank_ctx *c, int argc, char **argv)
{
    list_ctx l = {c, argc > 1 && strcmp(argv[1], "--json") == 0, 0};
    cg_error err;

    if (open_db(c, 0) != 0)
        return CLI_ERROR;
    if (!l.json)
        printf("%-24s %-10s %-5s %-8s %10s  %s\n", "NAME", "LABEL", "KIND", "STATE", "SIGNALS",
               "DESCRIPTION");
    if (cg_bank_list(c->db, list_one, &l, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int do_show(bank_ctx *c, int argc, char **argv)
{
    int json = argc > 2 && strcmp(argv[2], "--json") == 0;
    cg_bank b;

    if (argc < 2) {
        fprintf(stderr, "childguard bank show: give a bank NAME\n");
        return CLI_ERROR;
    }
    if (open_db(c, 0) != 0 || get_bank(c, argv[1], &b) != 0)
        return CLI_ERROR;
    json_t *o = bank_json(c, &b);
    if (json) {
        print_json(o);
        return CLI_OK;
    }
    time_t created = (time_t)b.created;
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&created, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("name:        %s\nlabel:       %s\nkind:        %s\nstate:       %s\n"
           "created:     %s\ndescription: %s\nsignals:     %" JSON_INTEGER_FORMAT "\n",
           b.name, b.label, kind_name(b.kind), b.enabled ? "enabled" : "disabled", when,
           b.description, json_integer_value(json_object_get(o, "signals")));
    for (size_t i = 0; i < cg_signal_type_count(); i++) {
        const cg_signal_type *t = cg_signal_type_at(i);
        json_t *n = json_object_get(json_object_get(o, "by_type"), t->name);
        printf("  %-8s %10" JSON_INTEGER_FORMAT " signals, match at distance <= %d", t->name,
               n ? json_integer_value(n) : 0, cg_bank_threshold_for(&b, t));
        if (strcmp(t->name, "pdq") == 0)
            printf(", acted on when both qualities >= %d", cg_bank_pdq_min_quality(&b));
        putchar('\n');
    }
    json_decref(o);
    return CLI_OK;
}

/* ---- add ---- */

/* The type of a hex value: --type, else by length (64 = pdq, 32 = md5). */
static const cg_signal_type *type_of(const cg_signal_type *given, const char *hex)
{
    if (given != NULL)
        return given;
    const cg_signal_type *t = NULL;
    return cg_signal_type_guess(strlen(hex), &t, 1) > 0 ? t : NULL;
}

static int add_signal(bank_ctx *c, cg_bank_signal *s, const char *what)
{
    cg_error err;
    int merged = 0;

    if (cg_bank_signal_add(c->db, s, &merged, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s: %s\n", what, err.message);
        return -1;
    }
    char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
    s->type->format(s->value, hex);
    printf("%s %s %s\n", merged ? "merged" : "added", s->type->name, hex);
    return 0;
}

/* A video's frames as one vpdq signal (vpdq_bank.h), with tmpl's bank and provenance. */
static int add_video(bank_ctx *c, const cg_bank_signal *tmpl, const cg_vpdq *v, const char *what)
{
    cg_error err;
    int merged = 0;
    int64_t id = 0;
    uint8_t ident[32];
    char hex[65];

    if (cg_bank_vpdq_add(c->db, tmpl->bank_id, v->frames, v->count, tmpl->source,
                         tmpl->external_id, tmpl->note, &id, &merged, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s: %s\n", what, err.message);
        return -1;
    }
    if (cg_bank_vpdq_identity(v->frames, v->count, ident) == CG_OK) {
        cg_signal_type_find("vpdq")->format(ident, hex);
        printf("%s vpdq %s (%zu frames)\n", merged ? "merged" : "added", hex, v->count);
    }
    return 0;
}

/* The file's name without its directories: a note must not leak where the file was kept. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

static int add_files(bank_ctx *c, const cg_bank_signal *tmpl, int argc, char **argv)
{
    walk_list list = {0};
    hashfile_opts o;
    cg_pdq_hasher_pool *hashers = NULL;
    int rc = CLI_OK;

    memset(&o, 0, sizeof(o));
    o.types = WANT_PDQ | WANT_MD5;
    o.non_image = 1;
    cg_decode_options_default(&o.decode);
    o.videos = 1; /* a video becomes one vpdq signal (every frame, as `childguard hash`) */
    cg_vpdq_options_default(&o.video);
    for (int i = 0; i < argc; i++)
        if (walk_add(&list, argv[i]) != 0)
            rc = CLI_ERROR;
    if (list.errors > 0)
        rc = CLI_ERROR;
    if (cg_pdq_hasher_pool_create(1, &hashers) != CG_OK) {
        walk_free(&list);
        return CLI_ERROR;
    }
    for (size_t i = 0; i < list.count; i++) {
        hashfile_result r;
        const char *name = hashfile_display_name(&list.items[i]);
        hashfile_run(&o, &list.items[i], hashers, &r);
        if (r.status != CG_OK) {
            fprintf(stderr, "childguard bank: %s\n", r.err.message);
            rc = CLI_ERROR;
            hashfile_result_fini(&r);
            continue;
        }
        cg_bank_signal s = *tmpl;
        if (s.note[0] == '\0')
            snprintf(s.note, sizeof(s.note), "%s", base_name(name));
        if (r.s.vpdq != NULL && add_video(c, &s, r.s.vpdq, name) != 0)
            rc = CLI_ERROR;
        if (r.s.has_pdq) {
            s.type = cg_signal_type_find("pdq");
            cg_pdq_to_bytes(&r.s.pdq.hash, s.value);
            s.quality = r.s.pdq.quality;
            cg_bank owner;
            int min_q = cg_bank_get_by_id(c->db, s.bank_id, &owner, NULL) == CG_OK
                            ? cg_bank_pdq_min_quality(&owner)
                            : CG_PDQ_MIN_QUALITY;
            if (r.s.pdq.quality < min_q)
                fprintf(stderr, "childguard bank: %s: PDQ quality %d is below %d; such hashes "
                        "match unrelated images: added, but its PDQ matches are shown as low "
                        "quality and not acted on\n", name, r.s.pdq.quality, min_q);
            if (add_signal(c, &s, name) != 0)
                rc = CLI_ERROR;
        }
        s.type = cg_signal_type_find("md5");
        memcpy(s.value, r.s.digests.md5, CG_MD5_BYTES);
        s.quality = -1;
        if (add_signal(c, &s, name) != 0)
            rc = CLI_ERROR;
        hashfile_result_fini(&r);
    }
    cg_pdq_hasher_pool_destroy(hashers);
    walk_free(&list);
    return rc;
}

static int do_add(bank_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"type", required_argument, NULL, 't'},
        {"external-id", required_argument, NULL, 'e'},
        {"note", required_argument, NULL, 'n'},
        {"quality", required_argument, NULL, 'Q'},
        {"source", required_argument, NULL, 's'},
        {"files", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const cg_signal_type *type = NULL;
    cg_bank_signal tmpl;
    cg_bank b;
    int ch, files = 0, rc = CLI_OK;
    uint64_t v;

    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.quality = -1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            type = cg_signal_type_find(optarg);
            if (type == NULL) {
                fprintf(stderr, "childguard bank: unknown signal type '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 'e':
            if (set_text(tmpl.external_id, sizeof(tmpl.external_id), "--external-id", optarg))
                return CLI_ERROR;
            break;
        case 'n':
            if (set_text(tmpl.note, sizeof(tmpl.note), "--note", optarg) != 0)
                return CLI_ERROR;
            break;
        case 's':
            if (set_text(tmpl.source, sizeof(tmpl.source), "--source", optarg) != 0)
                return CLI_ERROR;
            break;
        case 'Q':
            if (cli_parse_u64("bank", "--quality", optarg, &v) != 0 || v > 100)
                return CLI_ERROR;
            tmpl.quality = (int)v;
            break;
        case 'f': files = 1; break;
        default: return CLI_ERROR;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "childguard bank add: give a bank NAME and at least one %s\n",
                files ? "file" : "hash");
        return CLI_ERROR;
    }
    if (open_db_write(c, 0) != 0 || get_bank(c, argv[optind], &b) != 0)
        return CLI_ERROR;
    tmpl.bank_id = b.id;
    if (files)
        return add_files(c, &tmpl, argc - optind - 1, argv + optind + 1);
    for (int i = optind + 1; i < argc; i++) {
        cg_bank_signal s = tmpl;
        s.type = type_of(type, argv[i]);
        if (s.type == NULL ||
            s.type->parse(argv[i], strlen(argv[i]), s.value) != CG_OK) {
            fprintf(stderr, "childguard bank: '%s' is not a %s hash\n", argv[i],
                    s.type ? s.type->name : "pdq (64 hex digits) or md5 (32 hex digits)");
            rc = CLI_ERROR;
            continue;
        }
        if (add_signal(c, &s, argv[i]) != 0)
            rc = CLI_ERROR;
    }
    return rc;
}

/* ---- import / export ---- */

static int parse_format(const char *s, cg_list_format *out)
{
    static const char *const names[] = {"auto", "lines", "csv", "tsv", "jsonl"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (cg_list_format)i;
            return 0;
        }
    fprintf(stderr, "childguard bank: unknown format '%s' (auto, lines, csv, tsv, jsonl)\n", s);
    return -1;
}

typedef struct import_ui {
    const char *file;
    progress prog;
    uint64_t shown;
} import_ui;

static void on_reject(uint64_t line, const char *reason, void *ud)
{
    import_ui *u = ud;
    if (u->shown++ < 50)
        fprintf(stderr, "childguard bank: %s:%" PRIu64 ": %s (line skipped)\n", u->file, line,
                reason);
    else if (u->shown == 51)
        fprintf(stderr, "childguard bank: %s: more bad lines; only the count follows\n",
                u->file);
}

static void on_progress(uint64_t lines, uint64_t bytes, void *ud)
{
    import_ui *u = ud;
    (void)bytes;
    u->prog.total = (size_t)lines + 1;
    progress_update(&u->prog, (size_t)lines, 0);
}

static int do_import(bank_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'F'},
        {"type", required_argument, NULL, 't'},
        {"source", required_argument, NULL, 's'},
        {"create", no_argument, NULL, 'c'},
        {"label", required_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    cg_import_options io;
    const char *label = "";
    int ch, create = 0, quiet = 0, rc = CLI_OK;
    uint64_t accepted = 0, lines = 0;

    memset(&io, 0, sizeof(io));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:q", longopts, NULL)) != -1) {
        switch (ch) {
        case 'F':
            if (parse_format(optarg, &io.format) != 0)
                return CLI_ERROR;
            break;
        case 't':
            io.default_type = cg_signal_type_find(optarg);
            if (io.default_type == NULL) {
                fprintf(stderr, "childguard bank: unknown signal type '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 's': io.source = optarg; break;
        case 'c': create = 1; break;
        case 'l': label = optarg; break;
        case 'q': quiet = 1; break;
        default: return CLI_ERROR;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "childguard bank import: give a bank NAME and at least one FILE\n");
        return CLI_ERROR;
    }
    if (open_db_write(c, create) != 0)
        return CLI_ERROR;
    cg_bank b;
    cg_error err;
    if (cg_bank_get(c->db, argv[optind], &b, &err) == CG_E_NOTFOUND && create) {
        memset(&b, 0, sizeof(b));
        b.enabled = 1;
        if (set_text(b.name, sizeof(b.name), "bank name", argv[optind]) != 0 ||
            set_text(b.label, sizeof(b.label), "--label", label) != 0)
            return CLI_ERROR;
        if (cg_bank_create(c->db, &b, &err) != CG_OK) {
            fprintf(stderr, "childguard bank: %s\n", err.message);
            return CLI_ERROR;
        }
    } else if (get_bank(c, argv[optind], &b) != 0) {
        fprintf(stderr, "childguard bank import: to create bank '%s' while importing, add "
                        "--create (and --label LABEL)\n",
                argv[optind]);
        return CLI_ERROR;
    }
    for (int i = optind + 1; i < argc; i++) {
        const char *file = argv[i];
        FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
        import_ui ui = {strcmp(file, "-") == 0 ? "(standard input)" : file, {0}, 0};
        cg_import_report rep;

        if (in == NULL) {
            fprintf(stderr, "childguard bank: %s: cannot open: %m\n", file);
            rc = CLI_ERROR;
            continue;
        }
        progress_init(&ui.prog, 0, "lines", quiet);
        io.on_reject = on_reject;
        io.on_progress = on_progress;
        io.ud = &ui;
        memset(&rep, 0, sizeof(rep));
        cg_status st = cg_bank_import(c->db, b.id, in, &io, &rep, &err);
        progress_finish(&ui.prog);
        if (in != stdin)
            fclose(in);
        if (st != CG_OK) {
            fprintf(stderr, "childguard bank: %s: %s; nothing of this file was imported\n",
                    ui.file, err.message);
            rc = CLI_ERROR;
            continue;
        }
        fprintf(stderr, "%s: %" PRIu64 " lines: %" PRIu64 " added, %" PRIu64 " merged, %"
                PRIu64 " rejected (bank '%s')\n", ui.file, rep.lines, rep.added, rep.merged,
                rep.rejected, b.name);
        accepted += rep.added + rep.merged;
        lines += rep.lines;
    }
    if (rc == CLI_OK && lines > 0 && accepted == 0)
        rc = CLI_NONE;
    return rc;
}

static int do_export(bank_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"all", no_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    cg_list_format fmt = CG_LIST_CSV;
    const char *outpath = NULL;
    int ch, all = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'F':
            if (parse_format(optarg, &fmt) != 0)
                return CLI_ERROR;
            break;
        case 'o': outpath = optarg; break;
        case 'a': all = 1; break;
        default: return CLI_ERROR;
        }
    }
    if ((all && optind != argc) || (!all && optind + 1 != argc)) {
        fprintf(stderr, "childguard bank export: give one bank NAME or --all\n");
        return CLI_ERROR;
    }
    cg_bank b = {0};
    if (open_db(c, 0) != 0 || (!all && get_bank(c, argv[optind], &b) != 0))
        return CLI_ERROR;
    FILE *out = outpath ? fopen(outpath, "wb") : stdout;
    if (out == NULL) {
        fprintf(stderr, "childguard bank: %s: cannot create: %m\n", outpath);
        return CLI_ERROR;
    }
    cg_error err;
    cg_status st = cg_bank_export(c->db, all ? 0 : b.id, out, fmt, &err);
    if (out != stdout && fclose(out) != 0 && st == CG_OK)
        st = CG_E_IO, snprintf(err.message, sizeof(err.message), "%s: %m", outpath);
    if (st != CG_OK) {
        fprintf(stderr, "childguard bank: export failed: %s\n", err.message);
        return CLI_ERROR;
    }
    return CLI_OK;
}

/* ---- disable / enable / delete ---- */

static int parse_until(const char *until, const char *dur, int64_t *out)
{
    if (dur != NULL) {
        char *end;
        long long n = strtoll(dur, &end, 10);
        long long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600
                       : *end == 'd' ? 86400 : 0;
        if (n <= 0 || unit == 0 || end[1] != '\0' || n > LLONG_MAX / unit / 2) {
            fprintf(stderr, "childguard bank: --for wants a duration like 90m, 12h or 7d\n");
            return -1;
        }
        *out = (int64_t)time(NULL) + n * unit;
        return 0;
    }
    if (until == NULL) {
        *out = INT64_MAX;
        return 0;
    }
    int64_t ms;
    if (cg_timestamp_parse(until, &ms, NULL) == CG_OK) {
        *out = ms / 1000;
        return 0;
    }
    uint64_t v;
    if (cli_parse_u64("bank", "--until", until, &v) != 0 || v > INT64_MAX)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int set_signals(bank_ctx *c, const cg_bank *b, const cg_signal_type *type, int64_t until,
                       int argc, char **argv)
{
    int rc = CLI_OK;

    for (int i = 0; i < argc; i++) {
        const cg_signal_type *t = type_of(type, argv[i]);
        uint8_t value[CG_SIGNAL_MAX_BYTES];
        cg_bank_signal s;
        cg_error err;
        if (t == NULL || t->parse(argv[i], strlen(argv[i]), value) != CG_OK) {
            fprintf(stderr, "childguard bank: '%s' is not a hash\n", argv[i]);
            rc = CLI_ERROR;
            continue;
        }
        if (cg_bank_signal_find(c->db, b->id, t, value, &s, &err) != CG_OK ||
            cg_bank_signal_set_disabled(c->db, s.id, until, &err) != CG_OK) {
            fprintf(stderr, "childguard bank: %s: %s\n", argv[i], err.message);
            rc = CLI_ERROR;
            continue;
        }
        if (until == 0) {
            printf("enabled %s %s\n", t->name, argv[i]);
        } else if (until == INT64_MAX) {
            printf("disabled %s %s until enabled again\n", t->name, argv[i]);
        } else {
            char when[32] = "?";
            time_t tt = (time_t)until;
            struct tm tm;

            if (gmtime_r(&tt, &tm) != NULL)
                strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
            printf("disabled %s %s until %s\n", t->name, argv[i], when);
        }
    }
    return rc;
}

static int do_toggle(bank_ctx *c, int argc, char **argv, int enable)
{
    static const struct option longopts[] = {
        {"until", required_argument, NULL, 'u'},
        {"for", required_argument, NULL, 'f'},
        {"type", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *until = NULL, *dur = NULL;
    const cg_signal_type *type = NULL;
    int ch;
    int64_t when = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'u': until = optarg; break;
        case 'f': dur = optarg; break;
        case 't':
            type = cg_signal_type_find(optarg);
            if (type == NULL) {
                fprintf(stderr, "childguard bank: unknown signal type '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        default: return CLI_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard bank %s: give a bank NAME\n", argv[0]);
        return CLI_ERROR;
    }
    if (!enable && parse_until(until, dur, &when) != 0)
        return CLI_ERROR;
    cg_bank b;
    if (open_db_write(c, 0) != 0 || get_bank(c, argv[optind], &b) != 0)
        return CLI_ERROR;
    if (optind + 1 < argc)
        return set_signals(c, &b, type, when, argc - optind - 1, argv + optind + 1);
    if (until != NULL || dur != NULL) {
        fprintf(stderr, "childguard bank: --until/--for apply to signals (give their hashes); "
                        "a whole bank stays disabled until 'childguard bank enable %s'\n",
                b.name);
        return CLI_ERROR;
    }
    cg_error err;
    b.enabled = enable;
    if (cg_bank_update(c->db, &b, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    fprintf(stderr, "bank '%s' %s\n", b.name,
            enable ? "enabled" : "disabled until 'childguard bank enable' (its matches are shown "
                                 "as disabled, never acted on)");
    return CLI_OK;
}

static int do_delete(bank_ctx *c, int argc, char **argv)
{
    cg_error err;

    if (argc != 3 || strcmp(argv[2], "--yes") != 0) {
        fprintf(stderr, "childguard bank delete: give NAME --yes (deletes every signal of the "
                        "bank; export it first if unsure)\n");
        return CLI_ERROR;
    }
    if (open_db_write(c, 0) != 0)
        return CLI_ERROR;
    if (cg_bank_delete(c->db, argv[1], &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    fprintf(stderr, "deleted bank '%s'\n", argv[1]);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    bank_ctx c;
    int rc;

    memset(&c, 0, sizeof(c));
    /* `bank --db PATH SUB ...` and `bank SUB --db PATH ...` both work. */
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            c.db_arg = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            c.db_arg = argv[i] + 5;
            i++;
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            c.log_arg = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--log=", 6) == 0) {
            c.log_arg = argv[i] + 6;
            i++;
        } else if (strcmp(argv[i], "--no-audit") == 0) {
            c.no_audit = 1;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return CLI_OK;
        } else {
            fprintf(stderr, "childguard bank: unknown option '%s'\n", argv[i]);
            return CLI_ERROR;
        }
    }
    if (i >= argc) {
        usage();
        return CLI_ERROR;
    }
    /* Pull --db, --log and --no-audit given after the subcommand out of its arguments. */
    char **sub = calloc((size_t)(argc - i) + 1, sizeof(*sub));
    int n = 0;
    if (sub == NULL)
        return CLI_ERROR;
    for (int k = i; k < argc; k++) {
        if (strcmp(argv[k], "--db") == 0 && k + 1 < argc) {
            c.db_arg = argv[++k];
            continue;
        }
        if (strncmp(argv[k], "--db=", 5) == 0) {
            c.db_arg = argv[k] + 5;
            continue;
        }
        if (strcmp(argv[k], "--log") == 0 && k + 1 < argc) {
            c.log_arg = argv[++k];
            continue;
        }
        if (strncmp(argv[k], "--log=", 6) == 0) {
            c.log_arg = argv[k] + 6;
            continue;
        }
        if (strcmp(argv[k], "--no-audit") == 0) {
            c.no_audit = 1;
            continue;
        }
        sub[n++] = argv[k];
    }
    if (n == 0 || (c.no_audit && c.log_arg != NULL)) {
        if (n == 0)
            usage();
        else
            fprintf(stderr, "childguard bank: --log and --no-audit exclude each other\n");
        free(sub);
        return CLI_ERROR;
    }
    const char *name = sub[0];
    if (strcmp(name, "create") == 0)
        rc = do_create(&c, n, sub);
    else if (strcmp(name, "list") == 0)
        rc = do_list(&c, n, sub);
    else if (strcmp(name, "show") == 0)
        rc = do_show(&c, n, sub);
    else if (strcmp(name, "add") == 0)
        rc = do_add(&c, n, sub);
    else if (strcmp(name, "import") == 0)
        rc = do_import(&c, n, sub);
    else if (strcmp(name, "export") == 0)
        rc = do_export(&c, n, sub);
    else if (strcmp(name, "disable") == 0)
        rc = do_toggle(&c, n, sub, 0);
    else if (strcmp(name, "enable") == 0)
        rc = do_toggle(&c, n, sub, 1);
    else if (strcmp(name, "delete") == 0)
        rc = do_delete(&c, n, sub);
    else if (strcmp(name, "help") == 0)
        usage(), rc = CLI_OK;
    else {
        fprintf(stderr, "childguard bank: no subcommand '%s'\nTry 'childguard bank --help'.\n",
                name);
        rc = CLI_ERROR;
    }
    free(sub);
    cg_bankdb_close(c.db);
    cg_audit_close(c.audit); /* after the database: it must outlive every change */
    return rc;
}

const cli_command cmd_bank = {
    "bank",
    "create, fill, exchange and curate hash banks",
    run,
    usage,
};
