/* `childguard match`: look hashes up in the banks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "cli.h"
#include "dbpath.h"
#include "hashfile.h"
#include "matchprint.h"

#define MAX_BANK_FILTER 64

static void usage(void)
{
    printf("usage: childguard match [--db PATH] [--bank NAME]... [--type pdq|md5|sha256]\n"
           "                        [--max-distance N] [--json] HASH... | -\n"
           "       childguard match --video [--db PATH] [--bank NAME]... [--max-distance N]\n"
           "                        [--query-percent P] [--target-percent P] [--early-exit]\n"
           "                        [--json] VIDEO...\n"
           "\n"
           "Looks each hash up in the banks (all enabled banks, or those named) and prints its\n"
           "matches: PDQ within each bank's threshold (31 unless the bank says otherwise),\n"
           "md5/sha256 exactly. The type comes from --type, else from the length: 64 hex\n"
           "digits are looked up as pdq and as sha256 (each match says which), 32 as md5.\n"
           "'-' reads hashes from standard input, one per line.\n"
           "\n"
           "Options:\n"
           "      --db PATH         the bank database (see 'childguard help bank')\n"
           "  -b, --bank NAME       only this bank (repeatable)\n"
           "  -t, --type TYPE       signal type of the hashes\n"
           "      --max-distance N  match within N instead of the banks' thresholds\n"
           "      --json            one JSON object per hash\n"
           "      --video           the arguments are video files: hash each with vPDQ (every\n"
           "                        frame) and look it up against the banks' vpdq signals\n"
           "      --query-percent P  video match: share of the query's frames (quality >= 50,\n"
           "                        distinct) that must match, default 80\n"
           "      --target-percent P share of the stored video's frames, default 0\n"
           "      --early-exit      stop at the first video match (yes/no policies)\n"
           "\n"
           "Text output: one line per match, 'HASH<TAB>match description', or 'HASH<TAB>no\n"
           "match'. Matches that are shown but not acted on say why: a block match is\n"
           "suppressed when the same hash also matches an allow bank; a PDQ match is low\n"
           "quality when the stored hash's quality is below the bank's minimum (default 50);\n"
           "a disabled bank or hash is shown as disabled.\n"
           "Exit status: 0 some hash matched a block bank and is acted on, 1 none did (no\n"
           "match, or only allow-list, suppressed, low-quality or disabled matches), 2 an\n"
           "error (a bad hash, no bank database).\n");
}

typedef struct match_ctx {
    cg_matcher *m;
    int video;
    cg_video_match_options vo;
    cg_pdq_hasher *hasher;
    const cg_signal_type *type;
    cg_lookup_options lo;
    int json;
    int any;
    int errors;
} match_ctx;

/* The types a hash of len hex digits is looked up as, without --type: a 64-digit value may be
 * a PDQ hash or a SHA-256 digest (an analyst pastes either), so both are tried. */
static size_t types_for(const match_ctx *c, size_t len, const cg_signal_type **out)
{
    if (c->type != NULL) {
        out[0] = c->type;
        return 1;
    }
    return cg_signal_type_guess(len, out, 2);
}

static void match_one(match_ctx *c, const char *hex)
{
    size_t len = strlen(hex), n_types;
    const cg_signal_type *types[2] = {NULL, NULL};
    uint8_t value[CG_SIGNAL_MAX_BYTES];
    cg_match_list list = {0};
    cg_error err;

    n_types = types_for(c, len, types);
    for (size_t k = 0; k < n_types; k++) {
        if (types[k]->parse(hex, len, value) != CG_OK) {
            fprintf(stderr, "childguard match: '%s' is not a %s hash (%zu hex digits)\n", hex,
                    types[k]->name, types[k]->hex_len);
            c->errors++;
            cg_match_list_free(&list);
            return;
        }
        if (cg_matcher_lookup(c->m, types[k], value, 1, &c->lo, &list, &err) != CG_OK) {
            fprintf(stderr, "childguard match: %s: %s\n", hex, err.message);
            c->errors++;
            cg_match_list_free(&list);
            return;
        }
    }
    if (n_types == 0) {
        fprintf(stderr,
                "childguard match: '%s' is not a hash: 64 hex digits (pdq or sha256) or 32 "
                "(md5), or give --type\n",
                hex);
        c->errors++;
        return;
    }
    c->any |= matchprint_any_hit(&list, 0);
    if (c->json) {
        json_t *o = json_object(), *arr = json_array(), *tried = json_array();
        for (size_t k = 0; k < n_types; k++)
            json_array_append_new(tried, json_string(types[k]->name));
        /* signal_type: the type that matched (the first match's), else the first tried. */
        json_object_set_new(o, "signal_type",
                            json_string(list.n > 0 ? list.v[0].type->name : types[0]->name));
        json_object_set_new(o, "signal", json_string(hex));
        json_object_set_new(o, "tried", tried);
        for (size_t i = 0; i < list.n; i++)
            json_array_append_new(arr, matchprint_json(&list.v[i]));
        json_object_set_new(o, "matches", arr);
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(o);
    } else if (list.n == 0) {
        if (n_types == 2)
            printf("%s\tno match (looked up as %s and %s)\n", hex, types[0]->name,
                   types[1]->name);
        else
            printf("%s\tno match\n", hex);
    } else {
        for (size_t i = 0; i < list.n; i++) {
            char line[1024];
            matchprint_text(&list.v[i], line, sizeof(line));
            printf("%s\t%s\n", hex, line);
        }
    }
    cg_match_list_free(&list);
}

/* Hashes one video and prints its video matches. */
static void match_video(match_ctx *c, const char *path)
{
    cg_vpdq_options opt;
    cg_vpdq *v = NULL;
    cg_match_list list = {0};
    cg_error err;

    cg_vpdq_options_default(&opt);
    if (cg_vpdq_hash_video_file(path, &opt, c->hasher, &v, &err) != CG_OK ||
        cg_matcher_lookup_video(c->m, v->frames, v->count, &c->vo, &list, &err) != CG_OK) {
        fprintf(stderr, "childguard match: %s\n", err.message);
        c->errors++;
        cg_vpdq_destroy(v);
        return;
    }
    c->any |= matchprint_any_hit(&list, 0);
    if (c->json) {
        json_t *o = json_object(), *arr = json_array();
        json_object_set_new(o, "file", json_string(path));
        json_object_set_new(o, "signal_type", json_string("vpdq"));
        json_object_set_new(o, "frames", json_integer((json_int_t)v->count));
        for (size_t i = 0; i < list.n; i++) {
            json_array_append_new(arr, matchprint_json(&list.v[i]));
        }
        json_object_set_new(o, "matches", arr);
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(o);
    } else if (list.n == 0) {
        printf("%s\tno match\n", path);
    } else {
        for (size_t i = 0; i < list.n; i++) {
            char line[1024];
            matchprint_text(&list.v[i], line, sizeof(line));
            printf("%s\tquery=%.2f%% target=%.2f%% %s\n", path, list.v[i].query_percent,
                   list.v[i].target_percent, line);
        }
    }
    cg_match_list_free(&list);
    cg_vpdq_destroy(v);
}

static int parse_percent(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (*s == '\0' || *end != '\0' || !(v >= 0.0 && v <= 100.0)) {
        fprintf(stderr, "childguard match: %s must be a number 0..100, not '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'},
        {"bank", required_argument, NULL, 'b'},
        {"type", required_argument, NULL, 't'},
        {"max-distance", required_argument, NULL, 'M'},
        {"json", no_argument, NULL, 'J'},
        {"video", no_argument, NULL, 'V'},
        {"query-percent", required_argument, NULL, 'Q'},
        {"target-percent", required_argument, NULL, 'T'},
        {"early-exit", no_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_arg = NULL, *banks[MAX_BANK_FILTER + 1] = {0};
    size_t n_banks = 0;
    match_ctx c;
    char path[4096];
    cg_error err;
    int ch;
    uint64_t v;

    memset(&c, 0, sizeof(c));
    c.lo.max_distance = -1;
    c.lo.include_disabled = 1; /* a disabled bank or hash says so, not "no match" */
    cg_video_match_options_default(&c.vo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "b:t:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'D': db_arg = optarg; break;
        case 'b':
            if (n_banks == MAX_BANK_FILTER) {
                fprintf(stderr, "childguard match: at most %d --bank options\n",
                        MAX_BANK_FILTER);
                return CLI_ERROR;
            }
            banks[n_banks++] = optarg;
            break;
        case 't':
            c.type = cg_signal_type_find(optarg);
            if (c.type == NULL) {
                fprintf(stderr, "childguard match: unknown signal type '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 'M':
            if (cli_parse_u64("match", "--max-distance", optarg, &v) != 0 || v > 256)
                return CLI_ERROR;
            c.lo.max_distance = (int)v;
            break;
        case 'J': c.json = 1; break;
        case 'V': c.video = 1; break;
        case 'E': c.vo.early_exit = 1; break;
        case 'Q':
            if (parse_percent("--query-percent", optarg, &c.vo.query_percent) != 0)
                return CLI_ERROR;
            break;
        case 'T':
            if (parse_percent("--target-percent", optarg, &c.vo.target_percent) != 0)
                return CLI_ERROR;
            break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard match --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard match: no hashes given\nTry 'childguard match --help'.\n");
        return CLI_ERROR;
    }
    if (n_banks > 0)
        c.lo.banks = banks;
    c.vo.banks = c.lo.banks;
    c.vo.max_distance = c.lo.max_distance;
    if (c.video) {
        if (cg_pdq_hasher_create(&c.hasher) != CG_OK) {
            fprintf(stderr, "childguard match: out of memory\n");
            return CLI_ERROR;
        }
        cg_video_set_ffmpeg_quiet(1);
    }
    if (dbpath_resolve("match", db_arg, 0, path, sizeof(path)) != 0) {
        cg_pdq_hasher_destroy(c.hasher);
        return CLI_ERROR;
    }
    if (dbpath_missing(path)) { /* nothing to match against: say how to get banks */
        dbpath_error_missing("match", path);
        cg_pdq_hasher_destroy(c.hasher);
        return CLI_ERROR;
    }
    if (cg_matcher_open(path, NULL, &c.m, &err) != CG_OK) {
        fprintf(stderr, "childguard match: %s\n", err.message);
        cg_pdq_hasher_destroy(c.hasher);
        return CLI_ERROR;
    }
    for (int i = optind; c.video && i < argc; i++)
        match_video(&c, argv[i]);
    for (int i = optind; !c.video && i < argc; i++) {
        if (strcmp(argv[i], "-") != 0) {
            match_one(&c, argv[i]);
            continue;
        }
        char line[512];
        while (fgets(line, sizeof(line), stdin) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            char *p = line + strspn(line, " \t");
            p[strcspn(p, " \t,")] = '\0';
            if (*p != '\0' && *p != '#')
                match_one(&c, p);
        }
    }
    fflush(stdout);
    cg_matcher_close(c.m);
    cg_pdq_hasher_destroy(c.hasher);
    return c.errors ? CLI_ERROR : c.any ? CLI_OK : CLI_NONE;
}

const cli_command cmd_match = {
    "match",
    "look hashes up in the banks",
    run,
    usage,
};
