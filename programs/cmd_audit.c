/* `childguard audit`: verify the tamper-evident audit log, print its checkpoint, show records,
 * append one, expire old ones (docs/audit.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "childguard.h"
#include "childguard/audit.h"
#include "cli.h"
#include "auditpath.h"
#include "dbpath.h"
#include "hashfile.h"

static void usage(void)
{
    printf("usage: childguard audit verify [--log PATH] [--json]\n"
           "       childguard audit checkpoint [--log PATH] [--json]\n"
           "       childguard audit show [--log PATH] [--last N] [--json]\n"
           "       childguard audit append [--log PATH] --kind KIND [--actor NAME]\n"
           "                               [--subject TEXT] [--data JSON]\n"
           "       childguard audit expire [--log PATH] (--before DATE | --keep DAYS)\n"
           "                               [--actor NAME]\n"
           "\n"
           "The audit log is an append-only file of JSON lines; each record carries the SHA-256\n"
           "of the record before it, so an edited, removed or reordered record breaks the chain.\n"
           "\n"
           "  verify      check the whole chain; names the first bad record and why\n"
           "  checkpoint  print the hash of the last record: copy it somewhere else (a ticket,\n"
           "              another machine); only a checkpoint kept elsewhere catches someone who\n"
           "              rewrites the end of the log\n"
           "  show        print the records (all, or the last N), or the raw lines with --json\n"
           "  append      add one record (kind: decision, review, bank_change, report_draft...)\n"
           "  expire      remove the records older than DATE (YYYY-MM-DD or\n"
           "              YYYY-MM-DDTHH:MM:SSZ, UTC, or @UNIXSECONDS) or than DAYS days; the log\n"
           "              keeps verifying and the expiry is itself recorded\n"
           "\n"
           "Options:\n"
           "      --log PATH  the log; default $CHILDGUARD_AUDIT_LOG, else audit.log next to the\n"
           "                  bank database (see 'childguard help bank')\n"
           "      --json      machine-readable output\n"
           "\n"
           "Exit status: 0 all well, 1 verify found tampering, 2 an error.\n");
}

typedef struct audit_opts {
    const char *log;
    const char *before;
    const char *kind;
    const char *actor;
    const char *subject;
    const char *data;
    uint64_t keep_days;
    int have_keep;
    uint64_t last;
    int have_last;
    int json;
} audit_opts;

/* The log path: --log, $CHILDGUARD_AUDIT_LOG, or audit.log in the database's directory. */
static int resolve_log(const audit_opts *o, int create_dir, char *buf, size_t n)
{
    char db[4096];

    if (dbpath_resolve("audit", NULL, create_dir, db, sizeof(db)) != 0)
        return -1;
    return auditpath_resolve("audit", o->log, db, buf, n);
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);

    if (s != NULL)
        puts(s);
    free(s);
    json_decref(o);
}

static int do_verify(const audit_opts *o, const char *path)
{
    cg_audit_report rep;
    cg_error err;

    if (cg_audit_verify(path, &rep, &err) != CG_OK) {
        if (o->json) {
            print_json(json_pack("{s:s,s:s}", "status", "error", "error", err.message));
        }
        fprintf(stderr, "childguard audit verify: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o->json) {
        json_t *j = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:s}", "status",
                              rep.ok ? "ok" : "tampered", "ok", rep.ok,
                              "records", (json_int_t)rep.records,
                              "first_seq", (json_int_t)rep.first_seq,
                              "last_seq", (json_int_t)rep.last_seq,
                              "expired", (json_int_t)rep.expired,
                              "checkpoint", rep.last_hash);
        if (j != NULL && !rep.ok) {
            json_object_set_new(j, "first_bad_seq", json_integer((json_int_t)rep.first_bad_seq));
            json_object_set_new(j, "first_bad_line",
                                json_integer((json_int_t)rep.first_bad_line));
            json_object_set_new(j, "reason", json_string(rep.reason));
        }
        print_json(j);
    } else if (rep.ok) {
        printf("%s: ok, %" PRIu64 " records", path, rep.records);
        if (rep.records > 0)
            printf(" (seq %" PRIu64 "..%" PRIu64 ")", rep.first_seq, rep.last_seq);
        if (rep.expired > 0)
            printf(", %" PRIu64 " expired", rep.expired);
        printf("\ncheckpoint %s\n", rep.last_hash);
    } else {
        printf("%s: TAMPERED at line %" PRIu64 ": %s\n", path, rep.first_bad_line, rep.reason);
        printf("%" PRIu64 " good records before it; last good checkpoint %s\n", rep.records,
               rep.last_hash);
    }
    return rep.ok ? CLI_OK : CLI_NONE;
}

static int do_checkpoint(const audit_opts *o, const char *path)
{
    cg_audit *log;
    cg_error err;
    char hex[CG_AUDIT_HEX_BYTES];
    uint64_t seq;

    if (cg_audit_open(path, 0, &log, &err) != CG_OK ||
        (cg_audit_checkpoint(log, hex, &seq, &err) != CG_OK && (cg_audit_close(log), 1))) {
        fprintf(stderr, "childguard audit checkpoint: %s\n", err.message);
        return CLI_ERROR;
    }
    cg_audit_close(log);
    const long long t = (long long)time(NULL);
    if (o->json)
        print_json(json_pack("{s:I,s:s,s:I}", "seq", (json_int_t)seq, "checkpoint", hex,
                             "time", (json_int_t)t));
    else
        printf("%s seq %" PRIu64 "\n", hex, seq);
    return CLI_OK;
}

/* Prints one line of the log as text (or as is with --json). */
static void show_line(const audit_opts *o, const char *line)
{
    json_error_t jerr;
    json_t *r;

    if (o->json) {
        fputs(line, stdout);
        return;
    }
    r = json_loads(line, 0, &jerr);
    if (r == NULL || !json_is_object(r)) {
        printf("?\t(not a record: %.*s)\n", (int)strcspn(line, "\n"), line);
        json_decref(r);
        return;
    }
    const time_t t = (time_t)json_integer_value(json_object_get(r, "time"));
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *data = json_dumps(json_object_get(r, "data"), JSON_COMPACT | JSON_SORT_KEYS);
    printf("%" JSON_INTEGER_FORMAT "\t%s\t%s\t%s\t%s\t%s\n",
           json_integer_value(json_object_get(r, "seq")), when,
           json_string_value(json_object_get(r, "kind")) ? json_string_value(json_object_get(r, "kind")) : "?",
           json_string_value(json_object_get(r, "actor")) ? json_string_value(json_object_get(r, "actor")) : "",
           json_string_value(json_object_get(r, "subject")) ? json_string_value(json_object_get(r, "subject")) : "",
           data != NULL ? data : "{}");
    free(data);
    json_decref(r);
}

static int do_show(const audit_opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, **ring = NULL;
    size_t cap = 0, n = 0;
    uint64_t count = 0;

    if (f == NULL) {
        fprintf(stderr, "childguard audit show: %s: %s\n", path, strerror(errno));
        return CLI_ERROR;
    }
    if (o->have_last && o->last > 0) {
        if (o->last > 1000000) {
            fprintf(stderr, "childguard audit show: --last is at most 1000000\n");
            fclose(f);
            return CLI_ERROR;
        }
        n = (size_t)o->last;
        ring = calloc(n, sizeof(*ring));
        if (ring == NULL) {
            fprintf(stderr, "childguard audit show: out of memory\n");
            fclose(f);
            return CLI_ERROR;
        }
    }
    while (getline(&line, &cap, f) != -1) {
        if (o->have_last && n == 0)
            continue;
        if (ring == NULL) {
            show_line(o, line);
        } else {
            free(ring[count % n]);
            ring[count % n] = line;
            line = NULL;
            cap = 0;
        }
        count++;
    }
    const int rd_err = ferror(f);
    fclose(f);
    free(line);
    if (ring != NULL) {
        const uint64_t first = count > n ? count - n : 0;
        for (uint64_t i = first; i < count; i++)
            show_line(o, ring[i % n]);
        for (size_t i = 0; i < n; i++)
            free(ring[i]);
        free(ring);
    }
    if (rd_err) {
        fprintf(stderr, "childguard audit show: %s: read error\n", path);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int do_append(const audit_opts *o, const char *path)
{
    cg_audit *log;
    cg_error err;
    uint64_t seq;

    if (o->kind == NULL) {
        fprintf(stderr, "childguard audit append: --kind is required\n");
        return CLI_ERROR;
    }
    if (cg_audit_open(path, CG_AUDIT_CREATE | CG_AUDIT_FSYNC, &log, &err) != CG_OK) {
        fprintf(stderr, "childguard audit append: %s\n", err.message);
        return CLI_ERROR;
    }
    const cg_status st = cg_audit_append(log, o->kind, o->actor, o->subject, o->data, &seq, &err);
    cg_audit_close(log);
    if (st != CG_OK) {
        fprintf(stderr, "childguard audit append: %s\n", err.message);
        return CLI_ERROR;
    }
    printf("%" PRIu64 "\n", seq);
    return CLI_OK;
}

/* DATE: an ISO-8601 date or time (cg_timestamp_parse; UTC unless a zone is given) or
 * @UNIXSECONDS. */
static int parse_date(const char *s, int64_t *out)
{
    int64_t ms;

    if (s[0] == '@') {
        char *end;
        errno = 0;
        const long long v = strtoll(s + 1, &end, 10);
        if (errno != 0 || end == s + 1 || *end != '\0')
            return -1;
        *out = v;
        return 0;
    }
    if (cg_timestamp_parse(s, &ms, NULL) != CG_OK)
        return -1;
    *out = ms / 1000;
    return 0;
}

static int do_expire(const audit_opts *o, const char *path)
{
    int64_t cutoff;
    uint64_t removed;
    cg_error err;

    if ((o->before != NULL) == o->have_keep) {
        fprintf(stderr, "childguard audit expire: give one of --before DATE and --keep DAYS\n");
        return CLI_ERROR;
    }
    if (o->before != NULL) {
        if (parse_date(o->before, &cutoff) != 0) {
            fprintf(stderr, "childguard audit expire: '%s' is not YYYY-MM-DD, "
                    "YYYY-MM-DDTHH:MM:SSZ or @UNIXSECONDS\n", o->before);
            return CLI_ERROR;
        }
    } else {
        if (o->keep_days > 1000000) {
            fprintf(stderr, "childguard audit expire: --keep is at most 1000000 days\n");
            return CLI_ERROR;
        }
        cutoff = (int64_t)time(NULL) - (int64_t)o->keep_days * 86400;
    }
    if (cg_audit_expire(path, cutoff, o->actor != NULL ? o->actor : "childguard audit expire",
                        &removed, &err) != CG_OK) {
        fprintf(stderr, "childguard audit expire: %s\n", err.message);
        return CLI_ERROR;
    }
    if (o->json)
        print_json(json_pack("{s:I,s:I}", "removed", (json_int_t)removed, "cutoff",
                             (json_int_t)cutoff));
    else
        printf("expired %" PRIu64 " records older than %lld\n", removed, (long long)cutoff);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"log", required_argument, NULL, 'L'},
        {"json", no_argument, NULL, 'J'},
        {"last", required_argument, NULL, 'n'},
        {"before", required_argument, NULL, 'B'},
        {"keep", required_argument, NULL, 'K'},
        {"kind", required_argument, NULL, 'k'},
        {"actor", required_argument, NULL, 'a'},
        {"subject", required_argument, NULL, 's'},
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    audit_opts o;
    char path[4096];
    int ch;

    memset(&o, 0, sizeof(o));
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc < 2) {
            fprintf(stderr, "childguard audit: which action?\nTry 'childguard audit --help'.\n");
            return CLI_ERROR;
        }
        usage();
        return CLI_OK;
    }
    const char *action = argv[1];
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "n:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'L': o.log = optarg; break;
        case 'J': o.json = 1; break;
        case 'n':
            if (cli_parse_u64("audit", "--last", optarg, &o.last) != 0)
                return CLI_ERROR;
            o.have_last = 1;
            break;
        case 'B': o.before = optarg; break;
        case 'K':
            if (cli_parse_u64("audit", "--keep", optarg, &o.keep_days) != 0)
                return CLI_ERROR;
            o.have_keep = 1;
            break;
        case 'k': o.kind = optarg; break;
        case 'a': o.actor = optarg; break;
        case 's': o.subject = optarg; break;
        case 'd': o.data = optarg; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard audit --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind < argc - 1) {
        fprintf(stderr, "childguard audit %s: unexpected argument '%s'\n", action,
                argv[optind + 1]);
        return CLI_ERROR;
    }
    const int is_append = strcmp(action, "append") == 0;
    if (resolve_log(&o, is_append, path, sizeof(path)) != 0)
        return CLI_ERROR;
    if (strcmp(action, "verify") == 0)
        return do_verify(&o, path);
    if (strcmp(action, "checkpoint") == 0)
        return do_checkpoint(&o, path);
    if (strcmp(action, "show") == 0)
        return do_show(&o, path);
    if (is_append)
        return do_append(&o, path);
    if (strcmp(action, "expire") == 0)
        return do_expire(&o, path);
    fprintf(stderr, "childguard audit: unknown action '%s'\nTry 'childguard audit --help'.\n",
            action);
    return CLI_ERROR;
}

const cli_command cmd_audit = {
    "audit",
    "verify, checkpoint, show and expire the tamper-evident audit log",
    run,
    usage,
};
