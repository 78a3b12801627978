/* Expanding command-line paths into a list of files: directories are walked recursively in
 * sorted order (symbolic links to directories are not followed, so loops cannot happen). */
#ifndef CG_PROGRAMS_WALK_H
#define CG_PROGRAMS_WALK_H

#include <stddef.h>

typedef struct walk_item {
    char *path;
    int from_dir;   /* found inside a directory (rather than named on the command line) */
} walk_item;

typedef struct walk_list {
    walk_item *items;
    size_t count;
    size_t cap;
    size_t errors;  /* paths that could not be opened; each was reported on stderr */
} walk_list;

/* Appends path (a file, "-" for standard input, or a directory to walk). Returns 0, or -1 when
 * out of memory. Unreadable paths are reported on stderr and counted in list->errors. */
int walk_add(walk_list *list, const char *path);

void walk_free(walk_list *list);

#endif
