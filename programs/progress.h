/* A progress line on standard error, drawn only when it is a terminal. */
#ifndef CG_PROGRAMS_PROGRESS_H
#define CG_PROGRAMS_PROGRESS_H

#include <stddef.h>

typedef struct progress {
    int enabled;
    size_t total;
    double start;     /* monotonic seconds */
    double last_draw;
    const char *unit; /* "files" */
} progress;

/* Enables the bar when stderr is a terminal and quiet is 0. */
void progress_init(progress *p, size_t total, const char *unit, int quiet);
/* Redraws (at most 10 times a second, and always when done == total). */
void progress_update(progress *p, size_t done, size_t failed);
/* Clears the line. */
void progress_finish(progress *p);
/* Monotonic time in seconds. */
double progress_now(void);

#endif
