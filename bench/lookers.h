/* Lookup threads for the benchmarks that measure what a writer costs the matcher's readers
 * (update_bench, exchange_bench): T threads look up random PDQ hashes flat out against one
 * matcher and count what they answered. Fixed-seed queries per thread (the seed is the
 * thread's slot address), so runs are comparable.
 *
 *   lookers l;
 *   lookers_start(&l, m, threads);     threads in 1..LOOKERS_MAX
 *   rate = lookers_rate(&l, seconds);  lookups/s over the next seconds
 *   n = lookers_count(&l);             lookups so far (for a rate over a phase of your own)
 *   lookers_stop(&l);                  joins the threads
 *
 * Threads: start/stop/rate from one thread; the counter is atomic. */
#ifndef CG_BENCH_LOOKERS_H
#define CG_BENCH_LOOKERS_H

#include <pthread.h>
#include <stdatomic.h>

#include "childguard.h"

#define LOOKERS_MAX 64

typedef struct lookers {
    cg_matcher *m;
    atomic_int stop;
    atomic_ullong count;
    size_t n_threads;
    pthread_t tids[LOOKERS_MAX];
} lookers;

/* Starts threads lookup threads on m (borrowed until lookers_stop); 0, or -1 when a thread
 * could not be started (those started are stopped again). */
int lookers_start(lookers *l, cg_matcher *m, size_t threads);
/* Lookups counted so far (in steps of 64 per thread). */
unsigned long long lookers_count(lookers *l);
/* Lookups per second over the next seconds of wall-clock time. */
double lookers_rate(lookers *l, double seconds);
/* Stops and joins the threads. */
void lookers_stop(lookers *l);
/* CLOCK_MONOTONIC in seconds. */
double lookers_now(void);

#endif
