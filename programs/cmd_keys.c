/* `childguard keys`: placeholder until the command lands. */
#include <stdio.h>

#include "cli.h"

static void usage(void)
{
    printf("usage: childguard keys (not built yet)\n");
}

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "childguard keys: not built yet\n");
    return CLI_ERROR;
}

const cli_command cmd_keys = {"keys", "(not built yet)", run, usage};
