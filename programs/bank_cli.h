/* The `childguard bank` subcommands (cmd_bank.c: options and dispatch, and the helpers they
 * share; cmd_bank_create.c, cmd_bank_show.c (list, show), cmd_bank_add.c, cmd_bank_import.c
 * (import, export), cmd_bank_curate.c (disable, enable, delete)). Each subcommand takes its own
 * arguments (argv[0] is its name) and returns a CLI_* exit status. */
#ifndef CG_PROGRAMS_BANK_CLI_H
#define CG_PROGRAMS_BANK_CLI_H

#include <stddef.h>

#include "childguard.h"

typedef struct bank_ctx {
    const char *db_arg;
    const char *log_arg; /* --log PATH, else NULL */
    int no_audit;        /* --no-audit */
    char db_path[4096];
    cg_bankdb *db;
    cg_audit *audit;     /* open for the changing subcommands unless --no-audit */
} bank_ctx;

/* Opens the database (create: make it if missing); -1 after printing why. */
int bank_open_db(bank_ctx *c, int create);
/* bank_open_db for a subcommand that changes the database: also opens the audit log (unless
 * --no-audit) and attaches it, so each change appends a bank_change record. */
int bank_open_db_write(bank_ctx *c, int create);
/* Reads bank name into b; -1 after printing why. */
int bank_get(bank_ctx *c, const char *name, cg_bank *b);
/* Copies src into dst (cap bytes) or prints that what is too long and returns -1. */
int bank_set_text(char *dst, size_t cap, const char *what, const char *src);
/* Adds a "TYPE=DISTANCE" threshold to b; -1 after printing why. */
int bank_parse_threshold(cg_bank *b, const char *arg);
/* The signal type named arg (--type) into *out; -1 after printing that it is unknown. */
int bank_type_arg(const char *arg, const cg_signal_type **out);
/* "block" or "allow". */
const char *bank_kind_name(cg_bank_kind k);
/* The signal type of a hex value: given, else guessed from its length. */
const cg_signal_type *bank_type_of(const cg_signal_type *given, const char *hex);

int bank_do_create(bank_ctx *c, int argc, char **argv);
int bank_do_list(bank_ctx *c, int argc, char **argv);
int bank_do_show(bank_ctx *c, int argc, char **argv);
int bank_do_add(bank_ctx *c, int argc, char **argv);
int bank_do_import(bank_ctx *c, int argc, char **argv);
int bank_do_export(bank_ctx *c, int argc, char **argv);
/* disable (enable 0) or enable (1) signals or a whole bank. */
int bank_do_toggle(bank_ctx *c, int argc, char **argv, int enable);
int bank_do_delete(bank_ctx *c, int argc, char **argv);

#endif
