/* hash_bench: throughput of decode + PDQ hashing, against baselines measured in the same run.
 *
 *   hash_bench [DIR] [--synth N] [--threads N] [--min-seconds S] [--limit N] [--fast-only]
 *              [--json]
 *
 * What it measures (bench/README.md explains each figure):
 *   - exact mode: full decode + PDQ as the reference hasher does (including the 512x512
 *     nearest-neighbour resize of large images), on one thread and on a cg_pool of --threads
 *     workers (one cg_pdq_hasher each), with the split of time between decoding and hashing;
 *   - the decode floor: libjpeg-turbo / libpng called directly, straight to 8-bit RGB, on the
 *     same JPEG and PNG files; our whole pipeline is reported as a percentage over it;
 *   - the hashing step: cg_pdq_hash_image against pdq_baseline.c (a plain implementation doing
 *     what the reference C++ does), on the same decoded pixels; every file's baseline hash must
 *     equal ours (a cross-check);
 *   - fast mode: JPEG decoded with libjpeg-turbo's DCT-domain scaling (min_side = 512), then
 *     PDQ; its speed-up over exact mode and its Hamming distance to the exact hash.
 *
 * Method: files are read into memory first, so disk I/O is never timed. A verification pass
 * runs every path once over the whole set (the warm-up, and the source of the cross-checks);
 * then each measurement repeats whole passes over the set until --min-seconds have elapsed on
 * the monotonic clock, alternating passes with the measurements it is compared with so that
 * load from other processes falls on both sides of a ratio. Nothing here asserts a timing:
 * targets are printed, never enforced.
 *
 * Exit status: 0 when the run completed, 1 on a fatal error, when no image was found or when
 * the baseline cross-check found a mismatch, 2 on a usage error. */
#include "hash_bench.h"

/* ---- options ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hash_bench [DIR] [options]\n"
            "  DIR              images to benchmark (searched recursively; other files skipped)\n"
            "  --synth N        add N synthetic photo-like JPEGs (1600x1200, quality 85)\n"
            "  --threads N      pool workers for the all-threads figures (default: all CPUs)\n"
            "  --min-seconds S  minimum duration of each measurement (default 2)\n"
            "  --limit N        use at most N image files\n"
            "  --fast-only      time only the fast mode (checks still run)\n"
            "  --json           one JSON object on stdout; the text report goes to stderr\n");
}

/* Parses a whole decimal number in [lo, hi]; returns 0 on success. */
static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, bench_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = cg_cpu_count();
    o->min_seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n;

        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--fast-only") == 0) {
            o->fast_only = 1;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_ulong(v, 1, 1024, &n) != 0)
                goto bad_value;
            o->threads = (unsigned)n;
            i++;
        } else if (strcmp(a, "--limit") == 0) {
            if (parse_ulong(v, 1, (unsigned long)1 << 30, &n) != 0)
                goto bad_value;
            o->limit = n;
            i++;
        } else if (strcmp(a, "--synth") == 0) {
            if (parse_ulong(v, 1, 100000, &n) != 0)
                goto bad_value;
            o->synth = (unsigned)n;
            i++;
        } else if (strcmp(a, "--min-seconds") == 0) {
            char *end;

            if (v == NULL)
                goto bad_value;
            errno = 0;
            o->min_seconds = strtod(v, &end);
            if (errno != 0 || *end != '\0' || end == v || !(o->min_seconds >= 0.0) ||
                o->min_seconds > 86400.0)
                goto bad_value;
            i++;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "hash_bench: unknown option %s\n", a);
            return -1;
        } else if (o->dir == NULL) {
            o->dir = a;
        } else {
            fprintf(stderr, "hash_bench: only one DIR may be given\n");
            return -1;
        }
        continue;
bad_value:
        fprintf(stderr, "hash_bench: %s needs a valid value\n", a);
        return -1;
    }
    if (o->dir == NULL && o->synth == 0) {
        fprintf(stderr, "hash_bench: give a DIR, --synth N, or both\n");
        return -1;
    }
    return 0;
}

/* ---- verification pass (also the warm-up) ------------------------------------------------ */

static int cmp_int(const void *a, const void *b)
{
    const int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Decodes every file once in each mode, hashes it with the library and with the baseline,
 * records the exact hash, the fast-mode distance and whether the floor decodes it, and keeps
 * decoded images (up to BENCH_CACHE_BYTES) for the hashing-step timing. Files that fail to
 * decode are reported and removed from the set. Returns -1 when out of memory. */
static int verify(bench *b)
{
    file_set *set = &b->set;
    bench_results *r = &b->res;
    size_t kept = 0, shown = 0;

    for (size_t i = 0; i < set->count; i++) {
        bench_file *f = &set->files[i];
        cg_image *img = NULL, *fimg = NULL;
        cg_error err = {0};
        cg_pdq_result ours, fast;
        uint16_t words[16];
        int bq, drop = 1;
        cg_status st;
        char msg[256];

        st = cg_image_decode_mem(f->data, f->len, &b->exact_opt, &img, &err);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: %s (%s)\n", f->name, err.message,
                    cg_status_name(st));
            goto next;
        }
        st = cg_pdq_hash_image(b->hasher, img, 0, &ours);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: hashing failed (%s)\n", f->name,
                    cg_status_name(st));
            goto next;
        }
        st = cg_image_decode_mem(f->data, f->len, &b->fast_opt, &fimg, &err);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: fast mode: %s (%s)\n", f->name,
                    err.message, cg_status_name(st));
            goto next;
        }
        st = cg_pdq_hash_image(b->hasher, fimg, 0, &fast);
        if (st != CG_OK) {
            fprintf(stderr, "hash_bench: skipping %s: fast mode: hashing failed (%s)\n",
                    f->name, cg_status_name(st));
            goto next;
        }
        f->width = img->width;
        f->height = img->height;
        f->fast_width = fimg->width;
        f->fast_height = fimg->height;
        f->exact = ours.hash;
        f->quality = ours.quality;
        f->fast_distance = cg_pdq_distance(&ours.hash, &fast.hash);

        if (pdq_baseline_hash(&b->base, img->pixels, img->width, img->height, img->channels,
                              words, &bq) != 0 ||
            memcmp(words, ours.hash.words, sizeof(words)) != 0 || bq != ours.quality) {
            r->mismatches++;
            if (shown++ < 10) {
                cg_pdq bh;
                char hx[CG_PDQ_HEX_LEN + 1], hy[CG_PDQ_HEX_LEN + 1];

                memcpy(bh.words, words, sizeof(words));
                cg_pdq_to_hex(&ours.hash, hx);
                cg_pdq_to_hex(&bh, hy);
                fprintf(stderr, "hash_bench: MISMATCH %s: ours %s q%d, baseline %s q%d\n",
                        f->name, hx, ours.quality, hy, bq);
            }
        }
        if (hb_floor_handles(f->format)) {
            if (hb_floor_decode(f, msg, sizeof(msg)) == 0)
                f->floor_ok = 1;
            else
                fprintf(stderr, "hash_bench: %s: left out of the decode floor: %s\n", f->name,
                        msg);
        }
        {
            const size_t bytes = (size_t)img->width * img->height * img->channels;

            if (r->cached_bytes + bytes <= BENCH_CACHE_BYTES) {
                f->img = img;
                img = NULL;
                r->cached_bytes += bytes;
            }
        }
        drop = 0;
next:
        cg_image_destroy(img);
        cg_image_destroy(fimg);
        if (drop) {
            set->errors++;
            free(f->name);
            free(f->data);
        } else {
            set->files[kept++] = *f;
        }
    }
    set->count = kept;
    if (kept == 0)
        return 0;

    {
        dist_stats *d = &r->dist;
        int *v = malloc(kept * sizeof(*v));
        double sum = 0.0;

        if (v == NULL)
            return -1;
        d->files = kept;
        d->worst = -1;
        for (size_t i = 0; i < kept; i++) {
            const bench_file *f = &set->files[i];

            v[i] = f->fast_distance;
            sum += f->fast_distance;
            d->scaled += f->fast_width != f->width || f->fast_height != f->height;
            d->differ += f->fast_distance > 0;
            d->over_threshold += f->fast_distance > CG_PDQ_MATCH_THRESHOLD;
            if (f->fast_distance > d->worst) {
                d->worst = f->fast_distance;
                d->worst_name = f->name;
            }
        }
        qsort(v, kept, sizeof(*v), cmp_int);
        d->mean = sum / (double)kept;
        d->p99 = v[(size_t)ceil(0.99 * (double)kept) - 1];
        free(v);
    }
    return 0;
}

/* ---- timed measurements ------------------------------------------------------------------ */

/* Per-worker counters, each on its own cache line. */
typedef struct worker_acc {
    _Alignas(64) uint64_t decode_ns;
    uint64_t hash_ns;
    uint64_t images;
    uint64_t errors;
} worker_acc;

typedef struct pass_ctx {
    bench *b;
    const cg_decode_options *opt;
    int per_file;             /* add each file's times to its exact_ns / exact_dec_ns */
} pass_ctx;

/* Decodes and hashes file f into acc: the pipeline step shared by the one-thread and pool
 * passes. Freeing the image counts as decoding (it undoes the decoder's allocation). */
static void pipeline_one(const pass_ctx *c, bench_file *f, cg_pdq_hasher *h, worker_acc *acc)
{
    cg_image *img = NULL;
    cg_pdq_result res;
    uint64_t t0, t1, t2, t3;

    t0 = now_ns();
    if (cg_image_decode_mem(f->data, f->len, c->opt, &img, NULL) != CG_OK) {
        acc->errors++;
        return;
    }
    t1 = now_ns();
    if (cg_pdq_hash_image(h, img, 0, &res) != CG_OK)
        acc->errors++;
    t2 = now_ns();
    cg_image_destroy(img);
    t3 = now_ns();
    acc->decode_ns += (t1 - t0) + (t3 - t2);
    acc->hash_ns += t2 - t1;
    acc->images++;
    if (c->per_file) {
        f->exact_ns += t3 - t0;
        f->exact_dec_ns += (t1 - t0) + (t3 - t2);
    }
}

static void pool_item(void *arg, size_t i, unsigned worker)
{
    const pass_ctx *c = arg;
    bench *b = c->b;

    pipeline_one(c, &b->set.files[i % b->set.count], b->hashers[worker], &b->acc[worker]);
}

/* Runs one pass of m and adds it to m's totals. Returns -1 if the pool fails. */
static int run_pass(bench *b, measure *m)
{
    const unsigned workers = m->kind >= PASS_POOL_EXACT ? cg_pool_size(b->pool) : 1;
    pass_ctx c = {b, m->kind == PASS_FAST || m->kind == PASS_POOL_FAST ? &b->fast_opt
                                                                        : &b->exact_opt,
                  m->kind == PASS_EXACT};
    uint64_t start, dec = 0, hash = 0, images = 0;
    double cpu0;
    char msg[256];

    memset(b->acc, 0, workers * sizeof(*b->acc));
    cpu0 = process_cpu_s();
    start = now_ns();
    switch (m->kind) {
    case PASS_EXACT:
    case PASS_FAST:
        for (size_t i = 0; i < b->set.count; i++)
            pipeline_one(&c, &b->set.files[i], b->hasher, &b->acc[0]);
        break;
    case PASS_POOL_EXACT:
    case PASS_POOL_FAST:
        if (cg_pool_for(b->pool, b->set.count * m->reps, pool_item, &c) != CG_OK)
            return -1;
        break;
    case PASS_FLOOR:
        for (size_t i = 0; i < b->set.count; i++) {
            bench_file *f = &b->set.files[i];
            uint64_t t0, dt;

            if (!f->floor_ok)
                continue;
            t0 = now_ns();
            if (hb_floor_decode(f, msg, sizeof(msg)) != 0)
                b->acc[0].errors++;
            dt = now_ns() - t0;
            f->floor_ns += dt;
            b->acc[0].decode_ns += dt;
            images++;
        }
        break;
    case PASS_STEP_OURS:
    case PASS_STEP_BASE:
        for (size_t i = 0; i < b->set.count; i++) {
            const cg_image *img = b->set.files[i].img;
            const uint64_t t0 = now_ns();
            cg_pdq_result res;
            uint16_t words[16];
            int q;

            if (img == NULL)
                continue;
            if (m->kind == PASS_STEP_BASE) {
                if (pdq_baseline_hash(&b->base, img->pixels, img->width, img->height,
                                      img->channels, words, &q) != 0)
                    b->acc[0].errors++;
            } else if (cg_pdq_hash_image(b->hasher, img, 0, &res) != CG_OK) {
                b->acc[0].errors++;
            }
            b->acc[0].hash_ns += now_ns() - t0;
            images++;
        }
        break;
    }
    {
        const double took = ns_to_s(now_ns() - start);

        m->cpu_s += process_cpu_s() - cpu0;
        for (unsigned w = 0; w < workers; w++) {
            dec += b->acc[w].decode_ns;
            hash += b->acc[w].hash_ns;
            images += b->acc[w].images;
            m->errors += b->acc[w].errors;
        }
        if (m->passes == 0 || took < m->best_pass_s)
            m->best_pass_s = took;
        m->seconds += took;
        m->decode_s += ns_to_s(dec);
        m->hash_s += ns_to_s(hash);
        m->images += images;
        m->pass_images = images;
        m->passes++;
        m->done = 1;
    }
    return 0;
}

/* Runs the measurements in ms by alternating passes (A B C A B C ...) until each has at least
 * --min-seconds of timed passes, so that a disturbance from other processes falls on all of
 * them rather than on one. */
static int run_interleaved(bench *b, measure *const *ms, size_t k)
{
    for (;;) {
        int more = 0;

        for (size_t j = 0; j < k; j++)
            if (ms[j]->passes == 0 || ms[j]->seconds < b->opt.min_seconds) {
                more = 1;
                if (run_pass(b, ms[j]) != 0)
                    return -1;
            }
        if (!more)
            return 0;
    }
}

static void progress(const bench *b, const char *what)
{
    if (b->progress)
        fprintf(stderr, "hash_bench: measuring %s...\n", what);
}

/* Prepares a pool measurement: one cg_pool_for call covers the set `reps` times (item i is file
 * i mod count), sized from the one-thread time to last about BENCH_MT_CHUNK_SECONDS, so that
 * workers idling at the end of a call are a small part of the total; then a short untimed call
 * warms up every worker and its hasher. */
static int pool_prepare(bench *b, measure *m, pass_kind kind, const measure *single)
{
    const unsigned workers = cg_pool_size(b->pool);
    const size_t n = b->set.count;
    const double chunk = b->opt.min_seconds / 4 < BENCH_MT_CHUNK_SECONDS
                             ? b->opt.min_seconds / 4 : BENCH_MT_CHUNK_SECONDS;
    pass_ctx c = {b, kind == PASS_POOL_FAST ? &b->fast_opt : &b->exact_opt, 0};

    m->kind = kind;
    m->reps = 1;
    if (single->images > 0 && single->seconds > 0) {
        const double r = ceil(chunk * workers / (single->seconds / single->images * n));

        m->reps = r < 1 ? 1 : r > 1000 ? 1000 : (size_t)r;
    }
    return cg_pool_for(b->pool, n < 2 * workers ? n : 2 * workers, pool_item, &c) == CG_OK
               ? 0 : -1;
}

static int run_all(bench *b)
{
    bench_results *r = &b->res;
    measure *group[3];
    size_t k = 0;

    r->exact1.kind = PASS_EXACT;
    r->floor1.kind = PASS_FLOOR;
    r->fast1.kind = PASS_FAST;
    r->step_ours.kind = PASS_STEP_OURS;
    r->step_base.kind = PASS_STEP_BASE;
    for (size_t i = 0; i < b->set.count; i++) {
        r->floor_files += b->set.files[i].floor_ok;
        r->step_files += b->set.files[i].img != NULL;
    }

    /* One thread: exact pipeline, decode floor and fast pipeline, interleaved. */
    if (!b->opt.fast_only) {
        group[k++] = &r->exact1;
        if (r->floor_files > 0)
            group[k++] = &r->floor1;
    }
    group[k++] = &r->fast1;
    progress(b, b->opt.fast_only ? "fast mode, 1 thread" : "one thread: exact, floor, fast");
    if (run_interleaved(b, group, k) != 0)
        return -1;
    if (r->floor1.done) {
        uint64_t floor_ns = 0, ours_ns = 0, dec_ns = 0;

        for (size_t i = 0; i < b->set.count; i++) {
            const bench_file *f = &b->set.files[i];

            if (f->floor_ok) {
                floor_ns += f->floor_ns;
                ours_ns += f->exact_ns;
                dec_ns += f->exact_dec_ns;
            }
        }
        r->floor_ms = ns_to_s(floor_ns) * 1e3 / (double)(r->floor_files * r->floor1.passes);
        r->floor_pipeline_ms =
            ns_to_s(ours_ns) * 1e3 / (double)(r->floor_files * r->exact1.passes);
        r->floor_decode_ms = ns_to_s(dec_ns) * 1e3 / (double)(r->floor_files * r->exact1.passes);
    }

    /* The hashing step alone: ours and the baseline, interleaved. */
    if (!b->opt.fast_only && r->step_files > 0) {
        group[0] = &r->step_ours;
        group[1] = &r->step_base;
        progress(b, "hashing step: ours and the reference-style baseline");
        if (run_interleaved(b, group, 2) != 0)
            return -1;
    }

    /* All workers: exact and fast, interleaved. */
    k = 0;
    if (!b->opt.fast_only) {
        if (pool_prepare(b, &r->exactn, PASS_POOL_EXACT, &r->exact1) != 0)
            return -1;
        group[k++] = &r->exactn;
    }
    if (pool_prepare(b, &r->fastn, PASS_POOL_FAST, &r->fast1) != 0)
        return -1;
    group[k++] = &r->fastn;
    progress(b, "all threads");
    return run_interleaved(b, group, k);
}

/* ---- main -------------------------------------------------------------------------------- */

static void bench_fini(bench *b)
{
    cg_pool_destroy(b->pool);
    if (b->hashers != NULL)
        for (unsigned i = 0; i < b->opt.threads; i++)
            cg_pdq_hasher_destroy(b->hashers[i]);
    free(b->hashers);
    free(b->acc);
    cg_pdq_hasher_destroy(b->hasher);
    hb_set_free(&b->set);
}

static int bench_init(bench *b)
{
    cg_decode_options_default(&b->exact_opt);
    cg_decode_options_default(&b->fast_opt);
    b->fast_opt.min_side = BENCH_FAST_MIN_SIDE;
    pdq_baseline_init(&b->base);
    hb_read_cpu_model(b->cpu_model, sizeof(b->cpu_model));
    b->progress = isatty(STDERR_FILENO);
    b->set.limit = b->opt.limit;
    if (cg_pdq_hasher_create(&b->hasher) != CG_OK)
        return -1;
    b->hashers = calloc(b->opt.threads, sizeof(*b->hashers));
    b->acc = aligned_alloc(64, b->opt.threads * sizeof(*b->acc));
    if (b->hashers == NULL || b->acc == NULL)
        return -1;
    for (unsigned i = 0; i < b->opt.threads; i++)
        if (cg_pdq_hasher_create(&b->hashers[i]) != CG_OK)
            return -1;
    return cg_pool_create(b->opt.threads, &b->pool) == CG_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    bench b;
    int rc = 1;

    memset(&b, 0, sizeof(b));
    if (parse_args(argc, argv, &b.opt) != 0) {
        usage(stderr);
        return 2;
    }
    if (bench_init(&b) != 0) {
        fprintf(stderr, "hash_bench: cannot create hashers or the thread pool\n");
        goto done;
    }
    if (b.opt.dir != NULL && hb_walk(&b.set, b.opt.dir) != 0)
        goto nomem;
    if (b.opt.synth > 0 && hb_add_synth(&b.set, b.opt.synth) != 0)
        goto nomem;
    if (b.progress)
        fprintf(stderr, "hash_bench: verifying %zu files (warm-up)...\n", b.set.count);
    if (verify(&b) != 0)
        goto nomem;
    if (b.set.count == 0) {
        fprintf(stderr, "hash_bench: no decodable image found\n");
        goto done;
    }
    if (run_all(&b) != 0) {
        fprintf(stderr, "hash_bench: the thread pool failed\n");
        goto done;
    }
    hb_print_text(b.opt.json ? stderr : stdout, &b);
    if (b.opt.json)
        hb_print_json(stdout, &b);
    if (b.res.mismatches > 0)
        fprintf(stderr, "hash_bench: cross-check FAILED: %zu files hash differently in the "
                        "baseline\n", b.res.mismatches);
    rc = b.res.mismatches > 0 ? 1 : 0;
    goto done;
nomem:
    fprintf(stderr, "hash_bench: out of memory\n");
done:
    bench_fini(&b);
    return rc;
}

