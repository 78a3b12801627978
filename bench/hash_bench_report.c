/* hash_bench: the text and JSON reports. */
#include "hash_bench.h"

/* ---- report ------------------------------------------------------------------------------ */

static double per_s(const measure *m)
{
    return m->seconds > 0 ? (double)m->images / m->seconds : 0.0;
}

/* Average number of CPUs the process kept busy during m. */
static double cpus_used(const measure *m)
{
    return m->seconds > 0 ? m->cpu_s / m->seconds : 0.0;
}

static double best_per_s(const measure *m)
{
    return m->best_pass_s > 0 ? (double)m->pass_images / m->best_pass_s : 0.0;
}

static double ms_per_image(const measure *m)
{
    return m->images ? m->seconds * 1e3 / (double)m->images : 0.0;
}

/* Milliseconds of one part (decode or hash time, summed over threads) per image. */
static double cpu_ms_per_image(const measure *m, double part_s)
{
    return m->images ? part_s * 1e3 / (double)m->images : 0.0;
}

static double share(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* How much longer t is than the floor, in percent of the floor. */
static double over_percent(double t, double floor_t)
{
    return share(t - floor_t, floor_t);
}

static const char *verdict(int met)
{
    return met ? "met" : "NOT met";
}

void hb_read_cpu_model(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    snprintf(out, size, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');

        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            colon++;
            colon += strspn(colon, " \t");
            colon[strcspn(colon, "\r\n")] = '\0';
            snprintf(out, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static void print_mode_line(FILE *o, const char *label, const measure *m, const measure *exact)
{
    const double cpu = m->decode_s + m->hash_s;

    fprintf(o, "  %-10s %9.2f images/s (best pass %.2f) %9.3f ms/image", label, per_s(m),
            best_per_s(m), ms_per_image(m));
    if (exact != NULL && exact->done && per_s(exact) > 0)
        fprintf(o, "  x%.2f over exact", per_s(m) / per_s(exact));
    fprintf(o, "  (%.2f CPUs busy)", cpus_used(m));
    fprintf(o, "\n  %-10s CPU per image: decode %.3f ms (%.1f %%) + hash %.3f ms (%.1f %%)\n", "",
            cpu_ms_per_image(m, m->decode_s), share(m->decode_s, cpu),
            cpu_ms_per_image(m, m->hash_s), share(m->hash_s, cpu));
    if (m->errors)
        fprintf(o, "  %-10s %" PRIu64 " failures during timing\n", "", m->errors);
}

void hb_print_text(FILE *o, const bench *b)
{
    const bench_results *r = &b->res;
    const file_set *set = &b->set;
    size_t per_format[CG_FORMAT_BMP + 1] = {0};
    uint32_t max_w = 0, max_h = 0;
    double mpix = 0;
    char all[32];
    size_t synthetic = 0;

    for (size_t i = 0; i < set->count; i++) {
        const bench_file *f = &set->files[i];

        if ((unsigned)f->format <= CG_FORMAT_BMP)
            per_format[f->format]++;
        synthetic += f->synthetic;
        mpix += (double)f->width * f->height / 1e6;
        if ((uint64_t)f->width * f->height > (uint64_t)max_w * max_h) {
            max_w = f->width;
            max_h = f->height;
        }
    }
    fprintf(o, "hash_bench: %zu images (", set->count);
    if (b->opt.dir != NULL)
        fprintf(o, "%zu from %s%s", set->count - synthetic, b->opt.dir, synthetic ? ", " : "");
    if (synthetic > 0)
        fprintf(o, "%zu synthetic %dx%d JPEGs", synthetic, BENCH_SYNTH_W, BENCH_SYNTH_H);
    fprintf(o, "); %zu non-image files skipped, %zu files with errors\n", set->skipped,
            set->errors);
    fprintf(o, "  formats:");
    for (int k = 0; k <= CG_FORMAT_BMP; k++)
        if (per_format[k])
            fprintf(o, " %s %zu", cg_image_format_name((cg_image_format)k), per_format[k]);
    fprintf(o, "; %.1f Mpixel in all, largest %ux%u\n", mpix, max_w, max_h);
    fprintf(o, "  machine: %s, %u CPUs online, %u pool threads; %s, libpng %s\n", b->cpu_model,
            cg_cpu_count(), b->opt.threads, BENCH_JPEG_NAME, png_get_libpng_ver(NULL));
    fprintf(o, "  method: files in memory; a warm-up pass first; each figure is whole passes "
               "repeated for >= %.2f s (monotonic clock), interleaved with the figures it is "
               "compared with\n", b->opt.min_seconds);
    snprintf(all, sizeof(all), "%u thread%s", b->opt.threads, b->opt.threads > 1 ? "s" : "");

    if (r->exact1.done) {
        fprintf(o, "exact mode (full decode + PDQ; 512x512 nearest resize above 512 a side)\n");
        print_mode_line(o, "1 thread", &r->exact1, NULL);
        print_mode_line(o, all, &r->exactn, NULL);
        fprintf(o, "  %-10s %s: x%.2f over 1 thread\n", "", all,
                per_s(&r->exact1) > 0 ? per_s(&r->exactn) / per_s(&r->exact1) : 0.0);
    }
    if (r->floor1.done) {
        const double over = over_percent(r->floor_pipeline_ms, r->floor_ms);

        fprintf(o, "decode floor (%s / libpng straight to RGB, no PDQ; %zu JPEG/PNG files)\n",
                BENCH_JPEG_NAME, r->floor_files);
        fprintf(o, "  floor %.3f ms/image, our whole exact pipeline %.3f ms/image on the same "
                   "files: %+.1f %% over the floor (target <= %.0f %%: %s)\n",
                r->floor_ms, r->floor_pipeline_ms, over, BENCH_TARGET_FLOOR_PERCENT,
                verdict(over <= BENCH_TARGET_FLOOR_PERCENT));
        fprintf(o, "  of which our decoding alone %.3f ms/image (%+.1f %% over the floor)\n",
                r->floor_decode_ms, over_percent(r->floor_decode_ms, r->floor_ms));
    } else if (!b->opt.fast_only) {
        fprintf(o, "decode floor: no JPEG or PNG file in the set\n");
    }
    if (r->step_ours.done) {
        const double ours = ms_per_image(&r->step_ours), base = ms_per_image(&r->step_base);
        const double speedup = ours > 0 ? base / ours : 0.0;

        fprintf(o, "hashing step (resize, luma, PDQ on decoded pixels; 1 thread, %zu of %zu "
                   "images)\n", r->step_files, set->count);
        fprintf(o, "  ours %.4f ms/image, reference-style baseline %.3f ms/image: x%.1f "
                   "(targets <= %.1f ms: %s; >= %.0fx: %s)\n",
                ours, base, speedup, BENCH_TARGET_STEP_MS, verdict(ours <= BENCH_TARGET_STEP_MS),
                BENCH_TARGET_STEP_SPEEDUP, verdict(speedup >= BENCH_TARGET_STEP_SPEEDUP));
    }
    fprintf(o, "cross-check: the baseline's hash and quality equal ours on %zu of %zu files "
               "(%zu mismatches)\n", set->count - r->mismatches, set->count, r->mismatches);
    fprintf(o, "fast mode (JPEG scaled in the DCT domain to >= %u a side, then PDQ)\n",
            BENCH_FAST_MIN_SIDE);
    print_mode_line(o, "1 thread", &r->fast1, r->exact1.done ? &r->exact1 : NULL);
    print_mode_line(o, all, &r->fastn, r->exactn.done ? &r->exactn : NULL);
    fprintf(o, "  distance to the exact hash over %zu files (%zu decoded smaller): mean %.2f, "
               "p99 %d, worst %d (%s); %zu differ, %zu over %d\n",
            r->dist.files, r->dist.scaled, r->dist.mean, r->dist.p99, r->dist.worst,
            r->dist.worst_name ? r->dist.worst_name : "-", r->dist.differ,
            r->dist.over_threshold, CG_PDQ_MATCH_THRESHOLD);
}

static void json_string(FILE *o, const char *s)
{
    fputc('"', o);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(o, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(o, "\\u%04x", *p);
        else
            fputc(*p, o);
    }
    fputc('"', o);
}

static void json_number(FILE *o, double v)
{
    if (isfinite(v))
        fprintf(o, "%.6g", v);
    else
        fputs("null", o);
}

/* Prints key (with its quotes, colon and any leading comma) and a number. */
static void json_kv(FILE *o, const char *key, double v)
{
    fputs(key, o);
    json_number(o, v);
}

static void json_measure(FILE *o, const char *key, const measure *m, const char *tail)
{
    const double cpu = m->decode_s + m->hash_s;

    fprintf(o, "\"%s\":", key);
    if (!m->done) {
        fprintf(o, "null%s", tail);
        return;
    }
    fprintf(o, "{\"images_per_s\":");
    json_number(o, per_s(m));
    json_kv(o, ",\"best_pass_images_per_s\":", best_per_s(m));
    json_kv(o, ",\"ms_per_image\":", ms_per_image(m));
    json_kv(o, ",\"decode_ms_per_image\":", cpu_ms_per_image(m, m->decode_s));
    json_kv(o, ",\"hash_ms_per_image\":", cpu_ms_per_image(m, m->hash_s));
    json_kv(o, ",\"decode_percent\":", share(m->decode_s, cpu));
    json_kv(o, ",\"hash_percent\":", share(m->hash_s, cpu));
    json_kv(o, ",\"seconds\":", m->seconds);
    json_kv(o, ",\"cpus_busy\":", cpus_used(m));
    fprintf(o, ",\"images\":%" PRIu64 ",\"passes\":%" PRIu64 ",\"set_reps_per_pass\":%zu"
               ",\"errors\":%" PRIu64 "}%s", m->images, m->passes, m->reps ? m->reps : 1,
            m->errors, tail);
}

static void json_ratio(FILE *o, const char *key, const measure *a, const measure *b,
                       const char *tail)
{
    fprintf(o, "\"%s\":", key);
    if (a->done && b->done && per_s(b) > 0)
        json_number(o, per_s(a) / per_s(b));
    else
        fputs("null", o);
    fputs(tail, o);
}

void hb_print_json(FILE *o, const bench *b)
{
    const bench_results *r = &b->res;
    const dist_stats *d = &r->dist;

    fprintf(o, "{\"tool\":\"hash_bench\",\"childguard\":\"%s\",\"dir\":", cg_version());
    if (b->opt.dir)
        json_string(o, b->opt.dir);
    else
        fputs("null", o);
    fprintf(o, ",\"synth\":%u,\"files\":%zu,\"skipped_non_image\":%zu,\"errors\":%zu,",
            b->opt.synth, b->set.count, b->set.skipped, b->set.errors);
    fprintf(o, "\"machine\":{\"cpu_model\":");
    json_string(o, b->cpu_model);
    fprintf(o, ",\"cpus\":%u,\"threads\":%u,\"libjpeg\":\"%s\",\"libpng\":\"%s\"},",
            cg_cpu_count(), b->opt.threads, BENCH_JPEG_NAME, png_get_libpng_ver(NULL));
    json_kv(o, "\"min_seconds\":", b->opt.min_seconds);
    fprintf(o, ",\"exact\":{");
    json_measure(o, "one_thread", &r->exact1, ",");
    json_measure(o, "all_threads", &r->exactn, ",");
    json_ratio(o, "thread_scaling", &r->exactn, &r->exact1, "},");
    fprintf(o, "\"decode_floor\":");
    if (r->floor1.done) {
        fprintf(o, "{\"files\":%zu,\"floor_ms_per_image\":", r->floor_files);
        json_number(o, r->floor_ms);
        json_kv(o, ",\"pipeline_ms_per_image\":", r->floor_pipeline_ms);
        json_kv(o, ",\"over_floor_percent\":", over_percent(r->floor_pipeline_ms, r->floor_ms));
        json_kv(o, ",\"decode_ms_per_image\":", r->floor_decode_ms);
        json_kv(o, ",\"decode_over_floor_percent\":",
                over_percent(r->floor_decode_ms, r->floor_ms));
        json_kv(o, ",\"target_percent\":", BENCH_TARGET_FLOOR_PERCENT);
        fprintf(o, ",\"passes\":%" PRIu64 ",\"errors\":%" PRIu64 "},", r->floor1.passes,
                r->floor1.errors);
    } else {
        fprintf(o, "null,");
    }
    fprintf(o, "\"hashing_step\":{\"files\":%zu,\"ours_ms_per_image\":", r->step_files);
    if (r->step_ours.done) {
        const double ours = ms_per_image(&r->step_ours), base = ms_per_image(&r->step_base);

        json_number(o, ours);
        json_kv(o, ",\"baseline_ms_per_image\":", base);
        json_kv(o, ",\"speedup\":", ours > 0 ? base / ours : 0.0);
    } else {
        fprintf(o, "null,\"baseline_ms_per_image\":null,\"speedup\":null");
    }
    json_kv(o, ",\"target_ms\":", BENCH_TARGET_STEP_MS);
    json_kv(o, ",\"target_speedup\":", BENCH_TARGET_STEP_SPEEDUP);
    fprintf(o, ",\"checked_files\":%zu,\"mismatches\":%zu},", b->set.count, r->mismatches);
    fprintf(o, "\"fast\":{\"min_side\":%u,", BENCH_FAST_MIN_SIDE);
    json_measure(o, "one_thread", &r->fast1, ",");
    json_measure(o, "all_threads", &r->fastn, ",");
    json_ratio(o, "speedup_one_thread", &r->fast1, &r->exact1, ",");
    json_ratio(o, "speedup_all_threads", &r->fastn, &r->exactn, ",");
    fprintf(o, "\"distance\":{\"files\":%zu,\"scaled_files\":%zu,\"differ\":%zu,"
               "\"over_threshold\":%zu,\"threshold\":%d,\"mean\":",
            d->files, d->scaled, d->differ, d->over_threshold, CG_PDQ_MATCH_THRESHOLD);
    json_number(o, d->mean);
    fprintf(o, ",\"p99\":%d,\"worst\":%d,\"worst_file\":", d->p99, d->worst);
    if (d->worst_name)
        json_string(o, d->worst_name);
    else
        fputs("null", o);
    fprintf(o, "}}}\n");
}

