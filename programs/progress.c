/* Progress line (progress.h). */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(progress *p, size_t total, const char *unit, int quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->total = total;
    p->start = progress_now();
    p->last_draw = 0;
    p->unit = unit;
}

void progress_update(progress *p, size_t done, size_t failed)
{
    const int width = 30;
    double now, rate, frac;
    int fill;
    char bar[31];

    if (!p->enabled)
        return;
    now = progress_now();
    if (done != p->total && now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    frac = p->total ? (double)done / (double)p->total : 1.0;
    fill = (int)(frac * width);
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    rate = now > p->start ? (double)done / (now - p->start) : 0.0;
    fprintf(stderr, "\r[%s] %zu/%zu %s, %.1f/s", bar, done, p->total, p->unit, rate);
    if (failed)
        fprintf(stderr, ", %zu failed", failed);
    fprintf(stderr, "\033[K");
    fflush(stderr);
}

void progress_finish(progress *p)
{
    if (!p->enabled)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}
