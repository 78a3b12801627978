/* Where the audit log lives, for every command that records: --log PATH, else
 * $CHILDGUARD_AUDIT_LOG, else audit.log in the bank database's directory. */
#ifndef CG_PROGRAMS_AUDITPATH_H
#define CG_PROGRAMS_AUDITPATH_H

#include <stddef.h>

#include "childguard.h"

/* Fills buf with the log path (given: the --log value or NULL; db: the resolved database path).
 * Returns 0, or -1 with a message printed for cmd. */
int auditpath_resolve(const char *cmd, const char *given, const char *db, char *buf, size_t n);

/* Resolves the path and opens the log for appending (created when missing, fsync'd). Returns
 * the handle, or NULL with a message printed for cmd. */
cg_audit *auditpath_open(const char *cmd, const char *given, const char *db);

#endif
