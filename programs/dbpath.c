/* Resolving the bank database path (dbpath.h). */
#include "dbpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int fits(const char *cmd, int w, size_t n)
{
    if (w < 0 || (size_t)w >= n) {
        fprintf(stderr, "childguard %s: database path too long\n", cmd);
        return -1;
    }
    return 0;
}

/* mkdir -p for the directory part of path. */
static int make_parents(const char *cmd, char *path)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        int e = errno;
        *p = '/';
        if (rc != 0 && e != EEXIST) {
            fprintf(stderr, "childguard %s: cannot create %.*s: %s\n", cmd, (int)(p - path),
                    path, strerror(e));
            return -1;
        }
    }
    return 0;
}

int dbpath_resolve(const char *cmd, const char *given, int create_dir, char *buf, size_t n)
{
    const char *env = getenv("CHILDGUARD_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (given != NULL && *given != '\0')
        return fits(cmd, snprintf(buf, n, "%s", given), n);
    if (env != NULL && *env != '\0')
        return fits(cmd, snprintf(buf, n, "%s", env), n);
    int w;
    if (xdg != NULL && xdg[0] == '/')
        w = snprintf(buf, n, "%s/childguard/childguard.db", xdg);
    else if (home != NULL && home[0] == '/')
        w = snprintf(buf, n, "%s/.local/share/childguard/childguard.db", home);
    else
        w = snprintf(buf, n, "childguard.db");
    if (fits(cmd, w, n) != 0)
        return -1;
    return create_dir ? make_parents(cmd, buf) : 0;
}

int dbpath_missing(const char *path)
{
    struct stat sb;

    if (strncmp(path, "sqlite:", 7) == 0)
        path += 7;
    else if (strstr(path, "://") != NULL)
        return 0;
    return stat(path, &sb) != 0 && errno == ENOENT;
}

static void create_hint(const char *cmd)
{
    fprintf(stderr,
            "childguard %s: to add banks: childguard bank create NAME --label LABEL, then "
            "childguard bank add NAME --files IMAGE... (see 'childguard help bank')\n",
            cmd);
}

void dbpath_notice_missing(const char *cmd, const char *path, const char *consequence)
{
    fprintf(stderr, "childguard %s: no bank database at %s yet: %s\n", cmd, path, consequence);
    create_hint(cmd);
}

void dbpath_error_missing(const char *cmd, const char *path)
{
    fprintf(stderr, "childguard %s: no bank database at %s\n", cmd, path);
    create_hint(cmd);
}
