/* `childguard distance`: the distance between two signals of one type, and whether it is a
 * match at the type's threshold. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "cli.h"

static void usage(void)
{
    printf("usage: childguard distance [--type pdq|md5|sha256] [--threshold N] [--label TEXT]\n"
           "                           SIGNAL1 SIGNAL2\n"
           "\n"
           "Prints the distance between two signals (PDQ: Hamming distance of the 256 bits;\n"
           "md5/sha256: 0 when equal, 1 otherwise) and whether that is a match at the\n"
           "threshold (PDQ default 31, the field's usual one).\n"
           "Exit status: 0 match, 1 no match, 2 error.\n");
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"type", required_argument, NULL, 't'},
        {"threshold", required_argument, NULL, 'T'},
        {"label", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const cg_signal_type *type = cg_signal_type_find("pdq");
    const char *label = NULL;
    uint8_t a[CG_SIGNAL_MAX_BYTES], b[CG_SIGNAL_MAX_BYTES];
    long threshold = -1;
    int c, d;

    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            type = cg_signal_type_find(optarg);
            if (type == NULL) {
                fprintf(stderr, "childguard distance: unknown signal type '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 'T': {
            char *end = NULL;

            threshold = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || threshold < 0) {
                fprintf(stderr, "childguard distance: bad --threshold '%s'\n", optarg);
                return CLI_ERROR;
            }
            break;
        }
        case 'l': label = optarg; break;
        case 'h': usage(); return CLI_OK;
        default: return CLI_ERROR;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "childguard distance: needs two signals\n");
        return CLI_ERROR;
    }
    for (int i = 0; i < 2; i++) {
        const char *s = argv[optind + i];

        if (type->parse(s, strlen(s), i == 0 ? a : b) != CG_OK) {
            fprintf(stderr, "childguard distance: '%s' is not a %s signal (%zu hex digits)\n", s,
                    type->name, type->hex_len);
            return CLI_ERROR;
        }
    }
    if (threshold < 0)
        threshold = type->default_threshold;
    d = type->distance(a, b);
    printf("%s distance %d: %s at threshold %ld%s%s\n", type->name, d,
           d <= threshold ? "match" : "no match", threshold, label ? "  " : "", label ? label : "");
    return d <= threshold ? CLI_OK : CLI_NONE;
}

const cli_command cmd_distance = {
    "distance",
    "distance between two hashes, and whether they match",
    run,
    usage,
};
