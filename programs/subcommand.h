/* Commands with subcommands (`keys`, `review`) accept their global options (--db, --log) before
 * or after the subcommand word: this finds that word. */
#ifndef CG_PROGRAMS_SUBCOMMAND_H
#define CG_PROGRAMS_SUBCOMMAND_H

/* Skips --db/--log (with their values) and stops at the first other word. Returns its index;
 * 0 when --help/-h came first (usage was printed); -1 when there is no subcommand (a message
 * naming cmd was printed). */
int subcommand_find(const char *cmd, int argc, char **argv, void (*usage)(void));

#endif
