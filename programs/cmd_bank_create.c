/* `childguard bank create`: a new bank with its label, kind, thresholds (bank_cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childguard.h"
#include "bank_cli.h"
#include "cli.h"
#include "hashfile.h" /* cli_parse_u64 */

int bank_do_create(bank_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"label", required_argument, NULL, 'l'},
        {"kind", required_argument, NULL, 'k'},
        {"description", required_argument, NULL, 'D'},
        {"threshold", required_argument, NULL, 'T'},
        {"pdq-min-quality", required_argument, NULL, 'q'},
        {"flood-per-hour", required_argument, NULL, 'F'},
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
            if (bank_set_text(b.label, sizeof(b.label), "--label", optarg) != 0)
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
            if (bank_set_text(b.description, sizeof(b.description), "--description", optarg) != 0)
                return CLI_ERROR;
            break;
        case 'T':
            if (bank_parse_threshold(&b, optarg) != 0)
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
        case 'F':
            if (strcmp(optarg, "off") == 0) {
                b.flood_per_hour = -1;
            } else if (cli_parse_u64("bank", "--flood-per-hour", optarg, &q) != 0 || q < 1 ||
                       q > CG_BANK_FLOOD_MAX) {
                fprintf(stderr, "childguard bank: --flood-per-hour is 1..%d or off\n",
                        CG_BANK_FLOOD_MAX);
                return CLI_ERROR;
            } else {
                b.flood_per_hour = (int)q;
            }
            break;
        case 'x': b.enabled = 0; break;
        default: return CLI_ERROR;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "childguard bank create: give one bank NAME\n");
        return CLI_ERROR;
    }
    if (bank_set_text(b.name, sizeof(b.name), "bank name", argv[optind]) != 0 ||
        bank_open_db_write(c, 1) != 0)
        return CLI_ERROR;
    if (cg_bank_create(c->db, &b, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    fprintf(stderr, "created bank '%s' (%s, label '%s') in %s\n", b.name, bank_kind_name(b.kind),
            b.label, c->db_path);
    return CLI_OK;
}

