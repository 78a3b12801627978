/* video_bench: vPDQ throughput on H.264 clips made at run time with the ffmpeg CLI (testsrc2,
 * a synthetic pattern; fixed content, so runs are comparable).
 *
 * For each size it reports, single thread (one decoder thread, one hashing thread):
 *   - frames hashed per second and seconds of video per second, every frame hashed (-r 0);
 *   - the split: demux + decode + RGB conversion ("decode") against luma + PDQ ("hash",
 *     cg_pdq_hash_rgb on the RGB frame), the ratio hash / decode (the target is <= 10 %), and
 *     both per hashed frame in milliseconds;
 *   - the same with one hash per second (-r 1), where only the colour conversion of the sampled
 *     frames is skipped: every frame must still be decoded (docs/vpdq.md).
 *
 * usage: video_bench [--sizes 480,1080] [--seconds N] [--dir /tmp] [--json]
 *   --seconds: clip length (default 10); --sizes: heights of 16:9 clips (854x480, 1920x1080). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int make_clip(const char *dir, int height, int seconds, char *path, size_t n)
{
    int width = height == 480 ? 854 : (height * 16 / 9 + 1) / 2 * 2;
    char cmd[2048];

    snprintf(path, n, "%s/cg_video_bench_%dp_%ds.mp4", dir, height, seconds);
    if (access(path, R_OK) == 0)
        return 0;
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -hide_banner -loglevel error -y -f lavfi "
             "-i testsrc2=size=%dx%d:rate=30:duration=%d -c:v libx264 -preset veryfast "
             "-pix_fmt yuv420p '%s'",
             width, height, seconds, path);
    if (system(cmd) != 0) {
        fprintf(stderr, "video_bench: ffmpeg failed (is the ffmpeg CLI installed?): %s\n", cmd);
        return -1;
    }
    return 0;
}

typedef struct run_result {
    double wall, decode, hash, video_seconds;
    size_t hashed;
    uint64_t decoded;
} run_result;

static int run_threads(const char *path, double rate, int threads, cg_pdq_hasher *h,
                       run_result *r);

static int run(const char *path, double rate, cg_pdq_hasher *h, run_result *r)
{
    return run_threads(path, rate, 1, h, r);
}

/* One clip per worker, all at once: what a machine scanning many uploads gets. */
typedef struct par_job {
    const char *path;
    run_result r;
    int rc;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    cg_pdq_hasher *h = NULL;

    j->rc = cg_pdq_hasher_create(&h) == CG_OK ? run(j->path, 0, h, &j->r) : -1;
    cg_pdq_hasher_destroy(h);
    return NULL;
}

/* Runs n copies of the clip on n threads; *fps receives frames hashed per second overall. */
static int run_parallel(const char *path, int n, double *fps, double *video_s_per_s)
{
    pthread_t t[64];
    par_job jobs[64];
    double t0 = now_s(), wall;
    size_t hashed = 0;
    double video = 0;

    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].path = path;
        if (pthread_create(&t[i], NULL, par_worker, &jobs[i]) != 0)
            return -1;
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        if (jobs[i].rc != 0)
            return -1;
        hashed += jobs[i].r.hashed;
        video += jobs[i].r.video_seconds;
    }
    wall = now_s() - t0;
    *fps = (double)hashed / wall;
    *video_s_per_s = video / wall;
    return 0;
}

static int run_threads(const char *path, double rate, int threads, cg_pdq_hasher *h,
                       run_result *r)
{
    cg_vpdq_options opt;
    cg_vpdq *v = NULL;
    cg_error err = {0};
    double t0;

    cg_vpdq_options_default(&opt);
    opt.seconds_per_hash = rate;
    opt.threads = threads; /* 1: decode on this thread; 0: FFmpeg's own threads */
    t0 = now_s();
    if (cg_vpdq_hash_video_file(path, &opt, h, &v, &err) != CG_OK) {
        fprintf(stderr, "video_bench: %s\n", err.message);
        return -1;
    }
    r->wall = now_s() - t0;
    r->decode = v->decode_s;
    r->hash = v->hash_s;
    r->hashed = v->count;
    r->decoded = v->frames_decoded;
    r->video_seconds = (double)v->frames_decoded / v->frame_rate;
    cg_vpdq_destroy(v);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = "/tmp", *sizes = "480,1080";
    int seconds = 10, json = 0, rc = 0;
    cg_pdq_hasher *h = NULL;
    char list[64];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
            sizes = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: video_bench [--sizes 480,1080] [--seconds N] [--dir D] "
                            "[--json]\n");
            return 2;
        }
    }
    if (seconds < 1 || seconds > 3600)
        seconds = 10;
    cg_video_set_ffmpeg_quiet(1);
    if (cg_pdq_hasher_create(&h) != CG_OK)
        return 1;
    snprintf(list, sizeof(list), "%s", sizes);
    for (char *tok = list, *next; tok != NULL && *tok; tok = next) {
        char path[1024];
        run_result all, r1;
        int height;

        next = strchr(tok, ',');
        if (next != NULL)
            *next++ = '\0';
        height = (int)strtol(tok, NULL, 10);
        if (height < 16 || height > 4320 || make_clip(dir, height, seconds, path, sizeof(path)))
            continue;
        run_result ff;
        double par_fps = 0, par_vps = 0;
        int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (ncpu < 1)
            ncpu = 1;
        if (run(path, 0, h, &all) != 0 || run(path, 1.0, h, &r1) != 0 ||
            run_threads(path, 0, 0, h, &ff) != 0 ||
            run_parallel(path, ncpu, &par_fps, &par_vps) != 0) {
            rc = 1;
            continue;
        }
        if (json) {
            printf("{\"clip\":\"%dp\",\"seconds\":%.1f,\"frames\":%llu,"
                   "\"all\":{\"fps\":%.1f,\"video_s_per_s\":%.2f,\"decode_s\":%.3f,"
                   "\"hash_s\":%.3f,\"hash_over_decode\":%.4f,\"hash_ms_per_frame\":%.3f},"
                   "\"r1\":{\"hashed\":%zu,\"fps_decoded\":%.1f,\"video_s_per_s\":%.2f,"
                   "\"decode_s\":%.3f,\"hash_s\":%.3f},\"ffmpeg_threads\":{\"fps\":%.1f,"
                   "\"video_s_per_s\":%.2f},\"parallel\":{\"clips\":%d,\"fps\":%.1f,"
                   "\"video_s_per_s\":%.2f}}\n",
                   height, all.video_seconds, (unsigned long long)all.decoded,
                   (double)all.hashed / all.wall, all.video_seconds / all.wall, all.decode,
                   all.hash, all.hash / all.decode, 1e3 * all.hash / (double)all.hashed,
                   r1.hashed, (double)r1.decoded / r1.wall, r1.video_seconds / r1.wall,
                   r1.decode, r1.hash, (double)ff.hashed / ff.wall, ff.video_seconds / ff.wall,
                   ncpu, par_fps, par_vps);
        } else {
            printf("%dp H.264, %.1f s, %llu frames, 1 thread\n", height, all.video_seconds,
                   (unsigned long long)all.decoded);
            printf("  -r 0: %7.1f frames hashed/s  %6.2f s of video/s  decode %.3f s  "
                   "hash %.3f s  hash/decode %.1f %%  (%.2f + %.2f ms/frame)\n",
                   (double)all.hashed / all.wall, all.video_seconds / all.wall, all.decode,
                   all.hash, 100.0 * all.hash / all.decode,
                   1e3 * all.decode / (double)all.hashed, 1e3 * all.hash / (double)all.hashed);
            printf("  -r 1: %zu frames hashed, %6.2f s of video/s  decode %.3f s  hash %.3f s\n",
                   r1.hashed, r1.video_seconds / r1.wall, r1.decode, r1.hash);
            printf("  all threads, -r 0: FFmpeg decoder threads %7.1f frames hashed/s "
                   "(%.2f s of video/s); %d clips at once %7.1f frames hashed/s (%.2f s of "
                   "video/s)\n",
                   (double)ff.hashed / ff.wall, ff.video_seconds / ff.wall, ncpu, par_fps,
                   par_vps);
        }
    }
    cg_pdq_hasher_destroy(h);
    return rc;
}
