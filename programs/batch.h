/* Running a per-file job over a list of files on a thread pool, in chunks, printing each chunk's
 * results in input order (so output never depends on scheduling and memory stays bounded by
 * the chunk size), with a progress bar on a terminal. `hash` and `scan` both run this way. */
#ifndef CG_PROGRAMS_BATCH_H
#define CG_PROGRAMS_BATCH_H

#include <stddef.h>

#include "childguard.h"
#include "walk.h"

typedef struct batch_spec {
    const char *cmd;     /* for messages: "hash" */
    unsigned jobs;       /* 0 = all CPUs */
    int quiet;           /* no progress bar */
    size_t result_size;  /* bytes of one result slot */
    /* On a worker: fills result for item (PDQ hashers come from the job's cg_pdq_hasher_pool
     * or the engine's). */
    void (*work)(void *ctx, const walk_item *item, void *result);
    /* On the main thread, in input order: prints result; returns 1 when it is a failure. */
    int (*emit)(void *ctx, const walk_item *item, void *result);
    /* Frees what a result slot holds (called once per slot at the end); may be NULL. */
    void (*release)(void *result);
    void *ctx;
} batch_spec;

/* Runs spec over list. Returns the number of failures emit reported, or -1 when the run could
 * not start (threads, memory; a message is printed). */
long batch_run(const batch_spec *spec, const walk_list *list);

#endif
