/* `childguard classify`: the nudity model's scores for image files (vision.h, docs/vision.md),
 * as a table or one JSON object per file. Files are decoded and scored on all cores (one
 * classifier context per worker of a cg_pool), in chunks, printed in input order.
 *
 * This is the classifier alone: no banks, no policy. `childguard scan` gives the same scores
 * inside its verdicts (and the policy's decision on them). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childguard.h"
#include "cli.h"
#include "hashfile.h"
#include "walk.h"

typedef struct item_result {
    cg_status status;
    cg_error err;
    cg_vision_scores s;
    uint32_t width, height;
} item_result;

typedef struct classify_job {
    const walk_item *items;
    item_result *results;
    cg_vision_ctx **ctxs;        /* one per pool worker */
    cg_decode_options decode;
    uint64_t max_bytes;
} classify_job;

static void usage(void)
{
    printf("usage: childguard classify [options] FILE|DIR...\n"
           "\n"
           "Scores images with the nudity model (nsfwjs's MobileNetV2, run in C; docs/vision.md):\n"
           "the probabilities of its five classes (Drawing, Hentai, Neutral, Porn, Sexy) and\n"
           "'explicit' = Hentai + Porn + Sexy. Animations are scored on their first frame.\n"
           "Directories are walked recursively; '-' reads standard input.\n"
           "The scores are a model's evidence, never proof: docs/vision.md gives the measured\n"
           "false-positive rates of each threshold.\n"
           "\n"
           "Options:\n"
           "      --model FILE   the model file (default: the installed\n"
           "                     " CG_VISION_MODEL_FILE ")\n"
           "      --json         one JSON object per file: name, width, height, model, scores,\n"
           "                     explicit (full float precision)\n"
           "  -j, --jobs N       worker threads (default: all CPUs)\n"
           "      --max-pixels N refuse images over N pixels (default 100000000)\n"
           "\n"
           "Table columns: drawing hentai neutral porn sexy explicit file (4 decimals).\n"
           "Errors go to standard error, one line per file naming it; the other files are\n"
           "scored. Exit status: 0 all files scored, 2 an error (a missing or corrupt model,\n"
           "a file that cannot be read or decoded).\n");
}

static void work(void *arg, size_t i, unsigned worker)
{
    classify_job *j = arg;
    item_result *r = &j->results[i];
    const walk_item *it = &j->items[i];
    uint8_t *data = NULL;
    size_t len = 0;
    const char *name = hashfile_display_name(it);

    r->status = strcmp(it->path, "-") == 0
                    ? cg_content_read_fd(STDIN_FILENO, "(standard input)", j->max_bytes, &data,
                                         &len, &r->err)
                    : cg_content_read_file(it->path, j->max_bytes, &data, &len, &r->err);
    if (r->status != CG_OK)
        return;
    r->status = cg_vision_classify_content(j->ctxs[worker], data, len, &j->decode, name, &r->s,
                                           &r->width, &r->height, &r->err);
    cg_free(data);
}

static int emit(const walk_item *it, const item_result *r, const char *model_id, int json)
{
    static const char *const keys[CG_VISION_CLASSES] = { "drawing", "hentai", "neutral", "porn",
                                                         "sexy" };
    const char *name = hashfile_display_name(it);

    if (r->status != CG_OK) {
        fprintf(stderr, "childguard classify: %s\n", r->err.message);
        if (json) {
            json_t *o = json_pack("{s:s,s:s,s:s}", "name", name, "error",
                                  cg_status_name(r->status), "message", r->err.message);
            char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
            if (text != NULL)
                puts(text);
            free(text);
            json_decref(o);
        }
        return 1;
    }
    if (!json) {
        for (int k = 0; k < CG_VISION_CLASSES; k++)
            printf("%.4f  ", (double)r->s.p[k]);
        printf("%.4f  %s\n", (double)r->s.explicit_score, name);
        return 0;
    }
    json_t *o = json_object(), *sc = json_object();
    for (int k = 0; k < CG_VISION_CLASSES; k++)
        json_object_set_new(sc, keys[k], json_real((double)r->s.p[k]));
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "width", json_integer(r->width));
    json_object_set_new(o, "height", json_integer(r->height));
    json_object_set_new(o, "model", json_string(model_id));
    json_object_set_new(o, "scores", sc);
    json_object_set_new(o, "explicit", json_real((double)r->s.explicit_score));
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(o);
    return 0;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'J'},
        {"jobs", required_argument, NULL, 'j'},
        {"max-pixels", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_path = NULL;
    int json = 0, ch, rc = CLI_OK;
    unsigned jobs = 0;
    uint64_t v;
    classify_job job;
    walk_list list = {0};
    cg_vision_model *model = NULL;
    cg_pool *pool = NULL;
    cg_error err;

    memset(&job, 0, sizeof job);
    cg_decode_options_default(&job.decode);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': model_path = optarg; break;
        case 'J': json = 1; break;
        case 'j':
            if (cli_parse_u64("classify", "--jobs", optarg, &v) != 0 || v > 1024)
                return CLI_ERROR;
            jobs = (unsigned)v;
            break;
        case 'P':
            if (cli_parse_u64("classify", "--max-pixels", optarg, &v) != 0)
                return CLI_ERROR;
            job.decode.limits.max_pixels = v;
            break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard classify --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard classify: no files given\n"
                        "Try 'childguard classify --help'.\n");
        return CLI_ERROR;
    }
    job.max_bytes = job.decode.limits.max_file_bytes;
    if (cg_vision_model_open(model_path, &model, &err) != CG_OK) {
        fprintf(stderr, "childguard classify: cannot load the nudity model: %s\n", err.message);
        return CLI_ERROR;
    }
    for (int i = optind; i < argc; i++)
        if (walk_add(&list, argv[i]) != 0)
            goto nomem;
    if (list.errors > 0)
        rc = CLI_ERROR;
    if (cg_pool_create(jobs, &pool) != CG_OK)
        goto nomem;
    const unsigned workers = cg_pool_size(pool);
    const size_t chunk = (size_t)workers * 16;
    job.ctxs = calloc(workers, sizeof *job.ctxs);
    job.results = calloc(chunk, sizeof *job.results);
    if (job.ctxs == NULL || job.results == NULL)
        goto nomem;
    for (unsigned w = 0; w < workers; w++)
        if (cg_vision_ctx_create(model, &job.ctxs[w]) != CG_OK)
            goto nomem;
    if (!json && list.count > 0)
        printf("drawing hentai  neutral porn    sexy    explicit file\n");
    for (size_t at = 0; at < list.count; at += chunk) {
        const size_t n = list.count - at < chunk ? list.count - at : chunk;
        job.items = list.items + at;
        memset(job.results, 0, chunk * sizeof *job.results);
        if (cg_pool_for(pool, n, work, &job) != CG_OK)
            goto nomem;
        for (size_t i = 0; i < n; i++)
            if (emit(&job.items[i], &job.results[i], cg_vision_model_id(model), json) != 0)
                rc = CLI_ERROR;
    }
    goto out;
nomem:
    fprintf(stderr, "childguard classify: out of memory\n");
    rc = CLI_ERROR;
out:
    if (job.ctxs != NULL)
        for (unsigned w = 0; pool != NULL && w < cg_pool_size(pool); w++)
            cg_vision_ctx_destroy(job.ctxs[w]);
    free(job.ctxs);
    free(job.results);
    cg_pool_destroy(pool);
    walk_free(&list);
    cg_vision_model_close(model);
    return rc;
}

const cli_command cmd_classify = {
    "classify",
    "score images with the nudity model (5 classes + explicit), table or JSON",
    run,
    usage,
};
