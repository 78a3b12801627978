/* Where the bank database lives: --db PATH, else $CHILDGUARD_DB, else
 * $XDG_DATA_HOME/childguard/childguard.db (XDG_DATA_HOME defaults to ~/.local/share), else
 * ./childguard.db when there is no home directory. */
#ifndef CG_PROGRAMS_DBPATH_H
#define CG_PROGRAMS_DBPATH_H

#include <stddef.h>

/* Fills buf with the database path (given: the --db value or NULL). With create_dir, creates
 * the default directory when missing. Returns 0, or -1 with a message printed for cmd. */
int dbpath_resolve(const char *cmd, const char *given, int create_dir, char *buf, size_t n);

#endif
