/* childguard submit: queue files as scan jobs on NATS JetStream, for back-fills
 * (docs/queue.md). Each file becomes one job with a fresh id: its bytes, or with --ref its path
 * relative to --root for workers that share that directory. stdout gets one line per job,
 * "JOB_ID<TAB>PATH"; stderr the progress and a summary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "../cli.h"
#include "../hashfile.h"
#include "../progress.h"
#include "../walk.h"
#include "queue.h"

static void usage(void)
{
    printf("usage: childguard submit --nats URL[,URL...] [options] DIR|FILE...\n"
           "\n"
           "Queues each file (directories are walked) as one scan job on the jobs stream of\n"
           "NATS JetStream (docs/queue.md); `childguard worker` scans them. Prints\n"
           "'JOB_ID<TAB>PATH' per job queued.\n"
           "\n"
           "Options:\n"
           "      --nats URLS        NATS servers, comma-separated\n"
           "      --stream NAME      the jobs stream (default " QUEUE_STREAM_DEFAULT ")\n"
           "      --tenant NAME      the tenant the jobs are scanned for (default: default)\n"
           "      --ref              send paths, not bytes: each file must lie under --root\n"
           "      --root DIR         the directory the workers' --root names (with --ref)\n"
           "      --paths            the arguments are paths relative to the workers' --root,\n"
           "                         sent as they are (this machine need not see the files;\n"
           "                         the workers refuse any that would leave their root)\n"
           "      --callback TARGET  an outbox target told when each job is recorded\n"
           "      --max-bytes N      largest file sent as bytes (default 33554432)\n"
           "      --replicas N       stream replicas when the streams are created (default 1)\n"
           "      --quiet            no progress\n"
           "\n"
           "Exit status: 0 every file queued, 1 no file given or found, 2 an error (a file\n"
           "not read or not queued: named on stderr; the others are still queued).\n");
}

/* path relative to root (both as given), or NULL when it is not under root. */
static const char *under_root(const char *root, const char *path)
{
    size_t n = strlen(root);

    while (n > 1 && root[n - 1] == '/')
        n--;
    if (strncmp(path, root, n) != 0 || path[n] != '/')
        return NULL;
    path += n;
    while (*path == '/')
        path++;
    return *path != '\0' ? path : NULL;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"nats", required_argument, NULL, 'n'},     {"stream", required_argument, NULL, 's'},
        {"tenant", required_argument, NULL, 't'},   {"ref", no_argument, NULL, 'r'},
        {"root", required_argument, NULL, 'R'},     {"callback", required_argument, NULL, 'c'},
        {"max-bytes", required_argument, NULL, 'B'}, {"replicas", required_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {"paths", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    const char *nats = NULL, *stream = QUEUE_STREAM_DEFAULT, *tenant = CG_TENANT_DEFAULT;
    const char *root = NULL, *callback = NULL;
    int ref = 0, quiet = 0, ch, replicas = 1, as_is = 0;
    uint64_t max_bytes = 32u << 20, v;
    size_t queued = 0, failed = 0;
    walk_list list = {0};
    queue_link link;
    queue_setup qs;
    progress pr;
    double t0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n': nats = optarg; break;
        case 's': stream = optarg; break;
        case 't': tenant = optarg; break;
        case 'r': ref = 1; break;
        case 'p': as_is = 1; break;
        case 'R': root = optarg; break;
        case 'c': callback = optarg; break;
        case 'B':
            if (cli_parse_u64("submit", "--max-bytes", optarg, &max_bytes) != 0 || max_bytes == 0)
                return CLI_ERROR;
            break;
        case 'P':
            if (cli_parse_u64("submit", "--replicas", optarg, &v) != 0 || v < 1 || v > 5) {
                fprintf(stderr, "childguard submit: --replicas is 1..5\n");
                return CLI_ERROR;
            }
            replicas = (int)v;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard submit --help'.\n");
            return CLI_ERROR;
        }
    }
    if (nats == NULL) {
        fprintf(stderr, "childguard submit: --nats URL is required\n");
        return CLI_ERROR;
    }
    if (!cg_tenant_valid(tenant)) {
        fprintf(stderr, "childguard submit: --tenant '%s': 1-64 of [A-Za-z0-9_.-] expected\n",
                tenant);
        return CLI_ERROR;
    }
    if (ref && root == NULL) {
        fprintf(stderr, "childguard submit: --ref needs --root DIR\n");
        return CLI_ERROR;
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard submit: no files given\n");
        return CLI_NONE;
    }
    for (int i = optind; i < argc && as_is; i++) { /* not walked: the workers' paths */
        walk_item *items = realloc(list.items, (list.count + 1) * sizeof(*items));
        if (items == NULL || (items[list.count].path = strdup(argv[i])) == NULL) {
            fprintf(stderr, "childguard submit: out of memory\n");
            if (items != NULL)
                list.items = items;
            walk_free(&list);
            return CLI_ERROR;
        }
        items[list.count].from_dir = 0;
        list.items = items;
        list.count++;
    }
    for (int i = optind; i < argc && !as_is; i++)
        if (walk_add(&list, argv[i]) != 0) {
            fprintf(stderr, "childguard submit: out of memory\n");
            walk_free(&list);
            return CLI_ERROR;
        }
    if (list.count == 0) {
        fprintf(stderr, "childguard submit: no files found\n");
        walk_free(&list);
        return list.errors > 0 ? CLI_ERROR : CLI_NONE;
    }
    if (queue_link_open("submit", nats, stream, &link) != 0) {
        walk_free(&list);
        nats_Close();
        return CLI_ERROR;
    }
    qs.replicas = replicas;
    qs.max_job_bytes = (int64_t)max_bytes;
    qs.ack_wait_ms = 0;
    if (queue_link_setup("submit", &link, &qs, 0) != 0) {
        queue_link_close(&link);
        walk_free(&list);
        nats_Close();
        return CLI_ERROR;
    }
    progress_init(&pr, list.count, "jobs", quiet);
    t0 = progress_now();
    for (size_t i = 0; i < list.count; i++) {
        const char *path = list.items[i].path, *rel = NULL;
        uint8_t *data = NULL;
        size_t len = 0;
        natsMsg *m = NULL;
        jsErrCode jerr = 0;
        char id[40];
        natsStatus s;
        cg_error err;

        if (as_is) {
            rel = path;
        } else if (ref) {
            rel = under_root(root, path);
            if (rel == NULL) {
                fprintf(stderr, "childguard submit: %s: not under --root %s\n", path, root);
                failed++;
                continue;
            }
        } else if (cg_content_read_file(path, max_bytes, &data, &len, &err) != CG_OK) {
            fprintf(stderr, "childguard submit: %s\n", err.message);
            failed++;
            continue;
        }
        if (queue_job_id(id) != 0) {
            fprintf(stderr, "childguard submit: no random source for job ids\n");
            cg_free(data);
            failed++;
            break;
        }
        s = natsMsg_Create(&m, link.names.jobs_subject, NULL, (const char *)data, (int)len);
        if (s == NATS_OK) {
            natsMsgHeader_Set(m, "Cg-Job", id);
            natsMsgHeader_Set(m, "Nats-Msg-Id", id);
            natsMsgHeader_Set(m, "Cg-Tenant", tenant);
            natsMsgHeader_Set(m, "Cg-Name", path);
            if (rel != NULL)
                natsMsgHeader_Set(m, "Cg-Path", rel);
            if (callback != NULL)
                natsMsgHeader_Set(m, "Cg-Callback", callback);
            s = queue_publish(&link, m, &jerr);
        }
        natsMsg_Destroy(m);
        cg_free(data);
        if (s == NATS_NOT_PERMITTED) {
            /* Every other file would be refused too, after a wait each: stop here. */
            char why[256];
            queue_link_denied(&link, why, sizeof(why));
            fprintf(stderr, "childguard submit: --nats ");
            queue_urls_masked(stderr, nats);
            fprintf(stderr, ": the server refused the publish on %s: %s (is CHILDGUARD_NATS_CERT "
                            "a certificate that may queue jobs?); %zu files not queued\n",
                    link.names.jobs_subject, why, list.count - i);
            failed += list.count - i;
            break;
        }
        if (s != NATS_OK) {
            fprintf(stderr, "childguard submit: %s: not queued: %s (JetStream error %d)\n", path,
                    natsStatus_GetText(s), (int)jerr);
            failed++;
            continue;
        }
        printf("%s\t%s\n", id, path);
        queued++;
        progress_update(&pr, queued + failed, failed);
    }
    progress_finish(&pr);
    fflush(stdout);
    fprintf(stderr, "childguard submit: %zu jobs queued, %zu failed, %.1f jobs/s\n", queued,
            failed + list.errors, (double)queued / (progress_now() - t0 + 1e-9));
    queue_link_close(&link);
    nats_Close(); /* the client library's threads and globals, after the last connection */
    failed += list.errors;
    walk_free(&list);
    return failed > 0 ? CLI_ERROR : CLI_OK;
}

const cli_command cmd_submit = {"submit", "queue files as scan jobs on NATS JetStream", run,
                                usage};
