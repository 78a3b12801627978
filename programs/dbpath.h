/* Where the bank database lives: --db PATH, else $CHILDGUARD_DB, else
 * $XDG_DATA_HOME/childguard/childguard.db (XDG_DATA_HOME defaults to ~/.local/share), else
 * ./childguard.db when there is no home directory. */
#ifndef CG_PROGRAMS_DBPATH_H
#define CG_PROGRAMS_DBPATH_H

#include <stddef.h>

/* Fills buf with the database path (given: the --db value or NULL). With create_dir, creates
 * the default directory when missing. Returns 0, or -1 with a message printed for cmd. */
int dbpath_resolve(const char *cmd, const char *given, int create_dir, char *buf, size_t n);

/* 1 when no file exists at path yet (no bank was ever created there). path is a store location
 * (docs/banks.md): "sqlite:FILE" is checked as FILE; a location of another scheme
 * ("postgresql://...") is never missing here: opening it says what is wrong. */
int dbpath_missing(const char *path);

/* Prints for cmd, on standard error, that there is no bank database at path yet, what the
 * command does without one (consequence, e.g. "scanning without banks"), and how to create a
 * bank. One line for the notice and one for the hint; `scan` and `text scan` print the same. */
void dbpath_notice_missing(const char *cmd, const char *path, const char *consequence);

/* The error for a database named with --db that does not exist, with the same hint. */
void dbpath_error_missing(const char *cmd, const char *path);

#endif
