/* The audit log's path and opening, shared by the commands that record (auditpath.h). */
#include "auditpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int auditpath_resolve(const char *cmd, const char *given, const char *db, char *buf, size_t n)
{
    const char *env = getenv("CHILDGUARD_AUDIT_LOG");
    const char *p = given != NULL ? given : env != NULL && *env != '\0' ? env : NULL;
    int w;

    if (p != NULL) {
        w = snprintf(buf, n, "%s", p);
    } else if (strstr(db, "://") != NULL) {
        /* A server's URL has no directory to put the log beside. */
        fprintf(stderr,
                "childguard %s: the database is not a file (%.*s...): give the audit log with "
                "--log PATH or CHILDGUARD_AUDIT_LOG\n",
                cmd, (int)(strstr(db, "://") - db + 3), db);
        return -1;
    } else {
        const char *slash;

        if (strncmp(db, "sqlite:", 7) == 0) /* a store location naming a file (docs/banks.md) */
            db += 7;
        slash = strrchr(db, '/');
        w = slash == NULL ? snprintf(buf, n, "audit.log")
                          : snprintf(buf, n, "%.*s/audit.log", (int)(slash - db), db);
    }
    if (w < 0 || (size_t)w >= n) {
        fprintf(stderr, "childguard %s: audit log path too long\n", cmd);
        return -1;
    }
    return 0;
}

cg_audit *auditpath_open(const char *cmd, const char *given, const char *db)
{
    char path[4096];
    cg_audit *log = NULL;
    cg_error err;

    if (auditpath_resolve(cmd, given, db, path, sizeof(path)) != 0)
        return NULL;
    if (cg_audit_open(path, CG_AUDIT_CREATE | CG_AUDIT_FSYNC, &log, &err) != CG_OK) {
        fprintf(stderr, "childguard %s: %s\n", cmd, err.message);
        return NULL;
    }
    return log;
}
