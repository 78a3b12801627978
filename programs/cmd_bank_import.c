/* `childguard bank import` and `bank export`: hash-list files in and out, one transaction per
 * imported file (bank_cli.h, docs/list-formats.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "childguard.h"
#include "bank_cli.h"
#include "cli.h"
#include "progress.h"

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

int bank_do_import(bank_ctx *c, int argc, char **argv)
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
            if (bank_type_arg(optarg, &io.default_type) != 0)
                return CLI_ERROR;
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
    if (bank_open_db_write(c, create) != 0)
        return CLI_ERROR;
    cg_bank b;
    cg_error err;
    if (cg_bank_get(c->db, argv[optind], &b, &err) == CG_E_NOTFOUND && create) {
        memset(&b, 0, sizeof(b));
        b.enabled = 1;
        if (bank_set_text(b.name, sizeof(b.name), "bank name", argv[optind]) != 0 ||
            bank_set_text(b.label, sizeof(b.label), "--label", label) != 0)
            return CLI_ERROR;
        if (cg_bank_create(c->db, &b, &err) != CG_OK) {
            fprintf(stderr, "childguard bank: %s\n", err.message);
            return CLI_ERROR;
        }
    } else if (bank_get(c, argv[optind], &b) != 0) {
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

int bank_do_export(bank_ctx *c, int argc, char **argv)
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
    if (bank_open_db(c, 0) != 0 || (!all && bank_get(c, argv[optind], &b) != 0))
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

