/* `childguard bank`: creating, filling, exchanging and curating hash banks. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditpath.h"
#include "childguard.h"
#include "bank_cli.h"
#include "cli.h"
#include "dbpath.h"
#include "hashfile.h" /* cli_parse_u64 */

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
           "              [--flood-per-hour N|off]  flood quarantine limit for the exchange\n"
           "              signals in it (default: the exchange's, else the engine's)\n"
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

/* Who the audit records name: $CHILDGUARD_ACTOR, else $USER, else "cli". */
static const char *audit_actor(void)
{
    const char *a = getenv("CHILDGUARD_ACTOR");

    if (a == NULL || *a == '\0')
        a = getenv("USER");
    return a != NULL && *a != '\0' ? a : "cli";
}

/* open_db for a subcommand that changes the database: also opens the audit log (unless
 * --no-audit) and attaches it, so each change appends a bank_change record. */
int bank_open_db_write(bank_ctx *c, int create)
{
    cg_error err;

    if (bank_open_db(c, create) != 0)
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

int bank_open_db(bank_ctx *c, int create)
{
    cg_error err;

    if (dbpath_resolve("bank", c->db_arg, create, c->db_path, sizeof(c->db_path)) != 0)
        return -1;
    if (!create && dbpath_missing(c->db_path)) {
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

int bank_get(bank_ctx *c, const char *name, cg_bank *b)
{
    cg_error err;

    if (cg_bank_get(c->db, name, b, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return -1;
    }
    return 0;
}

int bank_set_text(char *dst, size_t cap, const char *what, const char *src)
{
    if (strlen(src) >= cap) {
        fprintf(stderr, "childguard bank: %s longer than %zu bytes\n", what, cap - 1);
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* TYPE=N into b->thresholds. */
int bank_parse_threshold(cg_bank *b, const char *arg)
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
    const cg_signal_type *t;
    if (bank_type_arg(name, &t) != 0)
        return -1;
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

int bank_type_arg(const char *arg, const cg_signal_type **out)
{
    *out = cg_signal_type_find(arg);
    if (*out == NULL) {
        fprintf(stderr, "childguard bank: unknown signal type '%s'\n", arg);
        return -1;
    }
    return 0;
}

const char *bank_kind_name(cg_bank_kind k)
{
    return k == CG_BANK_ALLOW ? "allow" : "block";
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
        rc = bank_do_create(&c, n, sub);
    else if (strcmp(name, "list") == 0)
        rc = bank_do_list(&c, n, sub);
    else if (strcmp(name, "show") == 0)
        rc = bank_do_show(&c, n, sub);
    else if (strcmp(name, "add") == 0)
        rc = bank_do_add(&c, n, sub);
    else if (strcmp(name, "import") == 0)
        rc = bank_do_import(&c, n, sub);
    else if (strcmp(name, "export") == 0)
        rc = bank_do_export(&c, n, sub);
    else if (strcmp(name, "disable") == 0)
        rc = bank_do_toggle(&c, n, sub, 0);
    else if (strcmp(name, "enable") == 0)
        rc = bank_do_toggle(&c, n, sub, 1);
    else if (strcmp(name, "delete") == 0)
        rc = bank_do_delete(&c, n, sub);
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
