/* Recursive, sorted expansion of paths (walk.h). */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int push(walk_list *list, const char *path, int from_dir)
{
    char *copy;

    if (list->count == list->cap) {
        size_t ncap = list->cap ? list->cap * 2 : 64;
        walk_item *n = realloc(list->items, ncap * sizeof(*n));

        if (n == NULL)
            return -1;
        list->items = n;
        list->cap = ncap;
    }
    copy = strdup(path);
    if (copy == NULL)
        return -1;
    list->items[list->count].path = copy;
    list->items[list->count].from_dir = from_dir;
    list->count++;
    return 0;
}

static int walk_dir(walk_list *list, const char *dir)
{
    struct dirent **names = NULL;
    int n, rc = 0;

    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "childguard: %s: %s\n", dir, strerror(errno));
        list->errors++;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len;
        char *path;
        struct stat st;

        if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            len = strlen(dir) + strlen(name) + 2;
            path = malloc(len);
            if (path == NULL) {
                rc = -1;
            } else {
                snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
                if (lstat(path, &st) != 0) {
                    fprintf(stderr, "childguard: %s: %s\n", path, strerror(errno));
                    list->errors++;
                } else if (S_ISDIR(st.st_mode)) {
                    rc = walk_dir(list, path);
                } else if (S_ISREG(st.st_mode) ||
                           (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode))) {
                    rc = push(list, path, 1);
                }
                free(path);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int walk_add(walk_list *list, const char *path)
{
    struct stat st;

    if (strcmp(path, "-") == 0)
        return push(list, path, 0);
    if (stat(path, &st) != 0) {
        /* Kept, so that the per-file error (with its exit status) is reported in order. */
        return push(list, path, 0);
    }
    if (S_ISDIR(st.st_mode))
        return walk_dir(list, path);
    return push(list, path, 0);
}

void walk_free(walk_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].path);
    free(list->items);
    memset(list, 0, sizeof(*list));
}
