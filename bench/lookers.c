/* Lookup threads for the benchmarks (lookers.h). */
#include "lookers.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double lookers_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *look_loop(void *arg)
{
    lookers *l = arg;
    const cg_signal_type *pdq = cg_signal_type_find("pdq");
    cg_match_list out = {0};
    uint64_t local = 0, state = (uint64_t)(uintptr_t)&out | 1;
    uint8_t q[32];

    while (!atomic_load(&l->stop)) {
        for (int i = 0; i < 32; i++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            q[i] = (uint8_t)state;
        }
        out.n = 0;
        cg_matcher_lookup(l->m, pdq, q, 1, NULL, &out, NULL);
        if (++local % 64 == 0)
            atomic_fetch_add(&l->count, 64);
    }
    cg_match_list_free(&out);
    return NULL;
}

int lookers_start(lookers *l, cg_matcher *m, size_t threads)
{
    memset(l, 0, sizeof(*l));
    l->m = m;
    atomic_init(&l->stop, 0);
    atomic_init(&l->count, 0);
    if (threads < 1 || threads > LOOKERS_MAX)
        return -1;
    for (size_t i = 0; i < threads; i++) {
        if (pthread_create(&l->tids[i], NULL, look_loop, l) != 0) {
            lookers_stop(l);
            return -1;
        }
        l->n_threads++;
    }
    return 0;
}

unsigned long long lookers_count(lookers *l)
{
    return atomic_load(&l->count);
}

double lookers_rate(lookers *l, double seconds)
{
    const unsigned long long c0 = atomic_load(&l->count);
    const double t0 = lookers_now();

    while (lookers_now() - t0 < seconds)
        usleep(20000);
    return (double)(atomic_load(&l->count) - c0) / (lookers_now() - t0);
}

void lookers_stop(lookers *l)
{
    atomic_store(&l->stop, 1);
    for (size_t i = 0; i < l->n_threads; i++)
        pthread_join(l->tids[i], NULL);
    l->n_threads = 0;
}
