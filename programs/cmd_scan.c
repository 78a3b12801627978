/* `childguard scan`: hash every file and look its signals up in the banks, on all cores.
 *
 * Like `hash`, files go through batch.c's pool in chunks, printed in input order. Each worker hashes (PDQ for images, MD5 and SHA-256 for every file) and looks the
 * signals up itself: the matcher is safe for concurrent lookups. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "cli.h"
#include "batch.h"
#include "dbpath.h"
#include "hashfile.h"
#include "matchprint.h"
#include "progress.h"
#include "walk.h"

#define MAX_BANK_FILTER 64

typedef struct scan_opts {
    hashfile_opts file;
    cg_lookup_options lookup;
    int json;
    int quiet;
    unsigned jobs;
} scan_opts;

typedef struct scan_result {
    hashfile_result h;
    cg_match_list matches;
    cg_status match_status;
    cg_error match_err;
    double ms_match;
} scan_result;

typedef struct scan_ctx {
    const scan_opts *opts;
    cg_matcher *matcher;
    size_t hits;               /* files that matched a block bank */
} scan_ctx;

static void usage(void)
{
    printf("usage: childguard scan [--db PATH] [--bank NAME]... [options] PATH...\n"
           "\n"
           "Hashes every file (PDQ for images, MD5 and SHA-256 for all) and looks the\n"
           "hashes up in the banks. Directories are walked recursively; '-' reads standard\n"
           "input. Nothing but hashes leaves memory: no content is stored.\n"
           "\n"
           "Options:\n"
           "      --db PATH       the bank database (see 'childguard help bank')\n"
           "  -b, --bank NAME     only this bank (repeatable)\n"
           "  -d, --dihedral      also match rotated and mirrored copies (8 PDQ variants)\n"
           "      --json          one JSON object per file (signals, matches, timings)\n"
           "  -j, --jobs N        worker threads (default: all CPUs)\n"
           "      --max-pixels N  refuse images over N pixels (default 100000000)\n"
           "      --max-bytes N   refuse files over N bytes (default 268435456)\n"
           "  -q, --quiet         no progress bar\n"
           "\n"
           "Text output, one line per match: 'PATH<TAB>MATCH<TAB>description' (or ALLOWED for\n"
           "a match an allow bank suppresses); files without a match: 'PATH<TAB>no match'.\n"
           "Errors go to standard error, one line per file; the other files are scanned.\n"
           "Exit status: 0 some file matched a block bank, 1 none did, 2 an error.\n");
}

static void scan_work(void *ctx, const walk_item *item, cg_pdq_hasher *hasher, void *result)
{
    scan_ctx *c = ctx;
    const scan_opts *o = c->opts;
    scan_result *r = result;

    hashfile_run(&o->file, item, hasher, &r->h);
    r->matches.n = 0;
    r->match_status = CG_OK;
    if (r->h.status != CG_OK || r->h.skipped)
        return;
    double t0 = progress_now();
    if (r->h.has_pdq) {
        uint8_t values[8 * 32];
        size_t n = o->file.dihedral ? 8 : 1;
        const cg_signal_type *pdq = cg_signal_type_find("pdq");
        for (size_t v = 0; v < n; v++) {
            char hex[65];
            cg_pdq_to_hex(o->file.dihedral ? &r->h.pdq.dihedral[v] : &r->h.pdq.hash, hex);
            pdq->parse(hex, 64, values + 32 * v);
        }
        r->match_status = cg_matcher_lookup(c->matcher, pdq, values, n, &o->lookup,
                                            &r->matches, &r->match_err);
    }
    if (r->match_status == CG_OK)
        r->match_status = cg_matcher_lookup(c->matcher, cg_signal_type_find("md5"),
                                            r->h.digests.md5, 1, &o->lookup, &r->matches,
                                            &r->match_err);
    if (r->match_status == CG_OK)
        r->match_status = cg_matcher_lookup(c->matcher, cg_signal_type_find("sha256"),
                                            r->h.digests.sha256, 1, &o->lookup, &r->matches,
                                            &r->match_err);
    r->ms_match = (progress_now() - t0) * 1000.0;
}

static void print_json(const walk_item *item, const scan_result *r)
{
    json_t *obj = json_object(), *sig = json_object(), *arr = json_array();
    json_t *timings = json_object();
    char hex[65];

    json_object_set_new(obj, "path", json_string(hashfile_display_name(item)));
    if (r->h.status != CG_OK || r->match_status != CG_OK) {
        const cg_error *e = r->h.status != CG_OK ? &r->h.err : &r->match_err;
        cg_status st = r->h.status != CG_OK ? r->h.status : r->match_status;
        json_object_set_new(obj, "error", json_string(cg_status_name(st)));
        json_object_set_new(obj, "message", json_string(e->message));
        json_decref(sig);
        json_decref(arr);
        json_decref(timings);
    } else {
        json_object_set_new(obj, "bytes", json_integer((json_int_t)r->h.bytes));
        json_object_set_new(obj, "format", json_string(cg_image_format_name(r->h.format)));
        if (r->h.has_pdq) {
            cg_pdq_to_hex(&r->h.pdq.hash, hex);
            json_object_set_new(sig, "pdq", json_string(hex));
            json_object_set_new(sig, "pdq_quality", json_integer(r->h.pdq.quality));
        }
        hashfile_hex(r->h.digests.md5, CG_MD5_BYTES, hex);
        json_object_set_new(sig, "md5", json_string(hex));
        hashfile_hex(r->h.digests.sha256, CG_SHA256_BYTES, hex);
        json_object_set_new(sig, "sha256", json_string(hex));
        json_object_set_new(obj, "signals", sig);
        for (size_t i = 0; i < r->matches.n; i++)
            json_array_append_new(arr, matchprint_json(&r->matches.v[i]));
        json_object_set_new(obj, "matched", json_boolean(matchprint_any_hit(&r->matches, 0)));
        json_object_set_new(obj, "matches", arr);
        json_object_set_new(timings, "read_ms", json_real(r->h.ms_read));
        json_object_set_new(timings, "decode_ms", json_real(r->h.ms_decode));
        json_object_set_new(timings, "pdq_ms", json_real(r->h.ms_hash));
        json_object_set_new(timings, "digest_ms", json_real(r->h.ms_digest));
        json_object_set_new(timings, "match_ms", json_real(r->ms_match));
        json_object_set_new(obj, "timings", timings);
    }
    char *text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(4));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(obj);
}

static void print_text(const walk_item *item, const scan_result *r)
{
    const char *name = hashfile_display_name(item);

    if (r->matches.n == 0) {
        printf("%s\tno match\n", name);
        return;
    }
    for (size_t i = 0; i < r->matches.n; i++) {
        const cg_match *m = &r->matches.v[i];
        char line[1024];
        matchprint_text(m, line, sizeof(line));
        printf("%s\t%s\t%s\n", name,
               m->kind == CG_BANK_ALLOW || m->suppressed ? "ALLOWED" : "MATCH", line);
    }
}

/* Prints one file's result in order; 1 when it failed. */
static int scan_emit(void *ctx, const walk_item *item, void *result)
{
    scan_ctx *c = ctx;
    const scan_result *r = result;
    int failed = r->h.status != CG_OK || r->match_status != CG_OK;

    if (r->h.skipped)
        return 0;
    if (failed)
        fprintf(stderr, "childguard: %s\n", r->h.status != CG_OK ? r->h.err.message
                                                                : r->match_err.message);
    if (c->opts->json)
        print_json(item, r);
    else if (!failed)
        print_text(item, r);
    if (!failed && matchprint_any_hit(&r->matches, 0))
        c->hits++;
    return failed;
}

static void scan_release(void *result)
{
    cg_match_list_free(&((scan_result *)result)->matches);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'},
        {"bank", required_argument, NULL, 'b'},
        {"dihedral", no_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'J'},
        {"jobs", required_argument, NULL, 'j'},
        {"max-pixels", required_argument, NULL, 'P'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_arg = NULL, *banks[MAX_BANK_FILTER + 1] = {0};
    size_t n_banks = 0;
    scan_opts o;
    scan_ctx sc = {&o, NULL, 0};
    walk_list list = {0};
    char path[4096];
    cg_error err;
    int ch, rc = CLI_OK;
    uint64_t v;

    memset(&o, 0, sizeof(o));
    o.file.types = WANT_PDQ | WANT_MD5 | WANT_SHA256;
    o.file.non_image = 1;
    o.lookup.max_distance = -1;
    cg_decode_options_default(&o.file.decode);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "b:dj:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'D': db_arg = optarg; break;
        case 'b':
            if (n_banks == MAX_BANK_FILTER) {
                fprintf(stderr, "childguard scan: at most %d --bank options\n", MAX_BANK_FILTER);
                return CLI_ERROR;
            }
            banks[n_banks++] = optarg;
            break;
        case 'd': o.file.dihedral = 1; break;
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
            o.file.decode.limits.max_pixels = v;
            break;
        case 'B':
            if (cli_parse_u64("scan", "--max-bytes", optarg, &v) != 0)
                return CLI_ERROR;
            o.file.decode.limits.max_file_bytes = v;
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
    if (n_banks > 0)
        o.lookup.banks = banks;
    if (dbpath_resolve("scan", db_arg, 0, path, sizeof(path)) != 0)
        return CLI_ERROR;
    if (cg_matcher_open(path, NULL, &sc.matcher, &err) != CG_OK) {
        fprintf(stderr, "childguard scan: %s\n", err.message);
        return CLI_ERROR;
    }
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
    cg_matcher_close(sc.matcher);
    return rc;
}

const cli_command cmd_scan = {
    "scan",
    "hash files and match them against the banks",
    run,
    usage,
};
