/* The default cache directory (cachepath.h). */
#include "cachepath.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

void cachepath_default(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[4096], dir[4096 + 16];
    int n;

    if (getenv("CHILDGUARD_CACHE_DIR") != NULL)
        return;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(base, sizeof base, "%s", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(base, sizeof base, "%s/.cache", home);
    else
        return;
    if (n < 0 || (size_t)n >= sizeof base)
        return;
    (void)mkdir(base, 0700); /* the XDG base may not exist yet; an error shows as no cache */
    snprintf(dir, sizeof dir, "%s/childguard", base);
    setenv("CHILDGUARD_CACHE_DIR", dir, 0);
}
