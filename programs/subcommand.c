/* Finding the subcommand word among global options (subcommand.h). */
#include "subcommand.h"

#include <stdio.h>
#include <string.h>

int subcommand_find(const char *cmd, int argc, char **argv, void (*usage)(void))
{
    int first = 1;

    while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "-") != 0) {
        if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
            usage();
            return 0;
        }
        if ((strcmp(argv[first], "--db") == 0 || strcmp(argv[first], "--log") == 0) &&
            first + 1 < argc)
            first += 2;
        else if (strncmp(argv[first], "--db=", 5) == 0 || strncmp(argv[first], "--log=", 6) == 0)
            first++;
        else
            break;
    }
    if (first >= argc || argv[first][0] == '-') {
        fprintf(stderr, "childguard %s: which subcommand?\nTry 'childguard %s --help'.\n", cmd,
                cmd);
        return -1;
    }
    return first;
}
