/* The chunked, ordered thread-pool runner (batch.h). */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

typedef struct batch_job {
    const batch_spec *spec;
    const walk_item *items;
    unsigned char *results;
} batch_job;

static void run_one(void *arg, size_t i, unsigned worker)
{
    batch_job *job = arg;
    const batch_spec *s = job->spec;

    (void)worker;
    s->work(s->ctx, &job->items[i], job->results + i * s->result_size);
}

long batch_run(const batch_spec *spec, const walk_list *list)
{
    batch_job job = {spec, NULL, NULL};
    cg_pool *pool = NULL;
    progress prog;
    size_t chunk = 0;
    long failed = -1;

    if (cg_pool_create(spec->jobs, &pool) != CG_OK) {
        fprintf(stderr, "childguard %s: cannot start worker threads\n", spec->cmd);
        return -1;
    }
    chunk = 16 * (size_t)cg_pool_size(pool);
    job.results = calloc(chunk, spec->result_size);
    if (job.results == NULL)
        goto nomem;

    failed = 0;
    progress_init(&prog, list->count, "files", spec->quiet);
    for (size_t start = 0; start < list->count; start += chunk) {
        size_t n = list->count - start < chunk ? list->count - start : chunk;

        job.items = list->items + start;
        cg_pool_for(pool, n, run_one, &job);
        progress_finish(&prog);
        for (size_t k = 0; k < n; k++)
            failed += spec->emit(spec->ctx, &list->items[start + k],
                                 job.results + k * spec->result_size);
        fflush(stdout);
        progress_update(&prog, start + n, (size_t)failed);
    }
    progress_finish(&prog);
    goto out;
nomem:
    fprintf(stderr, "childguard %s: out of memory\n", spec->cmd);
out:
    if (job.results != NULL && spec->release != NULL)
        for (size_t k = 0; k < chunk; k++)
            spec->release(job.results + k * spec->result_size);
    free(job.results);
    cg_pool_destroy(pool);
    return failed;
}
