/* `childguard bank disable`, `enable` and `delete`: curating signals and banks (bank_cli.h). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard.h"
#include "bank_cli.h"
#include "cli.h"
#include "hashfile.h" /* cli_parse_u64 */

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
        const cg_signal_type *t = bank_type_of(type, argv[i]);
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

int bank_do_toggle(bank_ctx *c, int argc, char **argv, int enable)
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
            if (bank_type_arg(optarg, &type) != 0)
                return CLI_ERROR;
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
    if (bank_open_db_write(c, 0) != 0 || bank_get(c, argv[optind], &b) != 0)
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

int bank_do_delete(bank_ctx *c, int argc, char **argv)
{
    cg_error err;

    if (argc != 3 || strcmp(argv[2], "--yes") != 0) {
        fprintf(stderr, "childguard bank delete: give NAME --yes (deletes every signal of the "
                        "bank; export it first if unsure)\n");
        return CLI_ERROR;
    }
    if (bank_open_db_write(c, 0) != 0)
        return CLI_ERROR;
    if (cg_bank_delete(c->db, argv[1], &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    fprintf(stderr, "deleted bank '%s'\n", argv[1]);
    return CLI_OK;
}

