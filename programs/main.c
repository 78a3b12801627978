/* childguard: one program, subcommands (`childguard help` lists them). */
#include <stdio.h>
#include <string.h>

#include "cachepath.h"
#include "childguard.h"
#include "cli.h"

static const cli_command *const commands[] = {&cmd_hash, &cmd_distance, &cmd_bank, &cmd_match,
                                              &cmd_scan, &cmd_classify, &cmd_text, &cmd_policy,
                                              &cmd_audit, &cmd_review, &cmd_report, &cmd_serve, &cmd_keys,
                                              &cmd_package, &cmd_exchange, &cmd_worker,
                                              &cmd_submit};
#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: childguard [--version] [--help] COMMAND [ARGS]\n\n"
                 "childguard is a child online protection engine: it hashes content with the\n"
                 "signals the field exchanges (PDQ, MD5, SHA-256) and matches them against\n"
                 "lists of known abuse material.\n\nCommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-10s %s\n", "help", "show help for a command: childguard help COMMAND");
    fprintf(out, "\nExit status: 0 success (or found), 1 nothing found, 2 error.\n");
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const cli_command *cmd;

    if (argc < 2) {
        usage(stderr);
        return CLI_ERROR;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("childguard %s\n", cg_version());
        return CLI_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return CLI_OK;
        }
        cmd = find(argv[2]);
        if (cmd == NULL) {
            fprintf(stderr, "childguard: no command '%s'\n", argv[2]);
            return CLI_ERROR;
        }
        cmd->usage();
        return CLI_OK;
    }
    cmd = find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "childguard: no command '%s'\n", argv[1]);
        usage(stderr);
        return CLI_ERROR;
    }
    cachepath_default();
    return cmd->run(argc - 1, argv + 1);
}
