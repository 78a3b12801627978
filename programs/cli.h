/* The childguard program's subcommands and what they share. Programs use only the public API
 * (include/childguard.h). */
#ifndef CG_PROGRAMS_CLI_H
#define CG_PROGRAMS_CLI_H

/* Exit statuses, after grep: 0 found / all well, 1 nothing found, 2 an error. */
enum { CLI_OK = 0, CLI_NONE = 1, CLI_ERROR = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
    void (*usage)(void);                  /* full help, on stdout */
} cli_command;

extern const cli_command cmd_hash;
extern const cli_command cmd_distance;
extern const cli_command cmd_bank;
extern const cli_command cmd_match;
extern const cli_command cmd_scan;
extern const cli_command cmd_text;
extern const cli_command cmd_policy;
extern const cli_command cmd_audit;
extern const cli_command cmd_review;
extern const cli_command cmd_report;
extern const cli_command cmd_serve;
extern const cli_command cmd_keys;
extern const cli_command cmd_classify;
extern const cli_command cmd_package;
extern const cli_command cmd_exchange;
extern const cli_command cmd_worker;
extern const cli_command cmd_submit;

#endif
