/* `childguard serve`: the HTTP service (programs/serve/, docs/api.md). This file reads the
 * command line over the config file and hands the result to serve_run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditpath.h"
#include "cli.h"
#include "dbpath.h"
#include "hashfile.h"
#include "serve/serve.h"

static void usage(void)
{
    printf("usage: childguard serve [OPTIONS]\n\n"
           "Serves the HMA-compatible hashing, matching and curation API (/h, /m, /c, /status)\n"
           "and childguard's native API (/v1) over HTTP. docs/api.md lists every route;\n"
           "docs/security.md says who may do what and the limits that protect the server.\n\n"
           "Options (each overrides the same key of the config file):\n"
           "  --config FILE       JSON config file (contrib/serve.json is a sample; docs/api.md\n"
           "                      lists every key: listen, db, log, policy, limits, webhooks...)\n"
           "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080; HOST may be a name,\n"
           "                      e.g. localhost:8080, or [::1]:8080)\n"
           "  --db PATH           the bank database (created when missing; default as `bank`)\n"
           "  --db-replica URL    a streaming replica of a PostgreSQL --db: the matcher's\n"
           "                      snapshots and bank exports read from it, all else from the\n"
           "                      primary (also CHILDGUARD_DB_REPLICA; docs/scale.md)\n"
           "  --db-replica-max-lag SECONDS\n"
           "                      read from the primary while the replica is further behind\n"
           "                      (default 5; 0 = no limit; also CHILDGUARD_DB_REPLICA_MAX_LAG)\n"
           "  --log PATH          the audit log (default: audit.log beside the database)\n"
           "  --policy FILE       the policy (default: the shipped one)\n"
           "  --threads N         I/O threads (default: one per CPU)\n"
           "  --max-body BYTES    largest upload or import (default 33554432); larger: 413\n"
           "  --timeout SECONDS   idle connection timeout (default 30)\n"
           "  --connections N     simultaneous connections (default 1024)\n"
           "  --rate N            default requests per second per API key (0 = unlimited)\n"
           "  --refresh-ms N      how often lookups pick up bank changes (default 200)\n"
           "  --no-auth           do not check API keys (DEVELOPMENT ONLY; refused unless\n"
           "                      listening on a loopback address)\n"
           "  --errors-only-log   log only failed requests (4xx/5xx), not every request\n"
           "  --no-classify       do not run the nudity model on scanned images and videos\n"
           "  --queue --nats URLS scan jobs through NATS JetStream: POST /v1/jobs, GET\n"
           "                      /v1/jobs/<id> (docs/queue.md); `childguard worker` scans\n"
           "  --stream NAME       the jobs stream (default CG_JOBS)\n"
           "  -h, --help          this help\n\n"
           "API keys: `childguard keys create NAME --holder WHO --tenant T --scope LIST`\n"
           "(scopes: " CG_SCOPES_KNOWN ");\n"
           "clients send \"Authorization: Bearer <key>\". SIGTERM or SIGINT: stop accepting,\n"
           "finish the requests in flight, exit 0.\n");
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'D'},
        {"log", required_argument, NULL, 'L'},
        {"policy", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"max-body", required_argument, NULL, 'B'},
        {"timeout", required_argument, NULL, 'T'},
        {"connections", required_argument, NULL, 'C'},
        {"rate", required_argument, NULL, 'r'},
        {"refresh-ms", required_argument, NULL, 'R'},
        {"no-auth", no_argument, NULL, 'N'},
        {"errors-only-log", no_argument, NULL, 'E'},
        {"no-classify", no_argument, NULL, 'K'},
        {"queue", no_argument, NULL, 'Q'},
        {"nats", required_argument, NULL, 'n'},
        {"stream", required_argument, NULL, 's'},
        {"db-replica", required_argument, NULL, 'P'},
        {"db-replica-max-lag", required_argument, NULL, 'G'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    serve_config cfg;
    char path[SERVE_PATH_MAX], log_path[SERVE_PATH_MAX];
    uint64_t v;
    const char *replica = getenv("CHILDGUARD_DB_REPLICA");
    const char *max_lag = getenv("CHILDGUARD_DB_REPLICA_MAX_LAG");
    int ch, queue = 0, lag_option = 0;

    serve_config_default(&cfg);
    /* The config file first, so that options given on the command line win. */
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        if (file != NULL && serve_config_load(&cfg, file) != 0)
            return CLI_ERROR;
    }
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': break;
        case 'l':
            if (serve_config_listen(&cfg, optarg) != 0) {
                fprintf(stderr, "childguard serve: bad --listen '%s' (HOST:PORT, e.g. "
                                "127.0.0.1:8080, localhost:8080 or [::1]:8080)\n", optarg);
                return CLI_ERROR;
            }
            break;
        case 'D': snprintf(cfg.db, sizeof(cfg.db), "%s", optarg); break;
        case 'L': snprintf(cfg.log, sizeof(cfg.log), "%s", optarg); break;
        case 'p': snprintf(cfg.policy, sizeof(cfg.policy), "%s", optarg); break;
        case 't':
            if (cli_parse_u64("serve", "--threads", optarg, &v) != 0 || v > 1024)
                return CLI_ERROR;
            cfg.threads = (unsigned)v;
            break;
        case 'B':
            if (cli_parse_u64("serve", "--max-body", optarg, &v) != 0 || v == 0)
                return CLI_ERROR;
            cfg.max_body = (size_t)v;
            break;
        case 'T':
            if (cli_parse_u64("serve", "--timeout", optarg, &v) != 0 || v == 0 || v > 86400)
                return CLI_ERROR;
            cfg.timeout_s = (unsigned)v;
            break;
        case 'C':
            if (cli_parse_u64("serve", "--connections", optarg, &v) != 0 || v == 0 ||
                v > 1000000)
                return CLI_ERROR;
            cfg.connection_limit = (unsigned)v;
            break;
        case 'r':
            if (cli_parse_u64("serve", "--rate", optarg, &v) != 0 || v > 10000000)
                return CLI_ERROR;
            cfg.rate_per_second = (int)v;
            break;
        case 'R':
            if (cli_parse_u64("serve", "--refresh-ms", optarg, &v) != 0 || v > 3600000)
                return CLI_ERROR;
            cfg.refresh_ms = (int)v;
            break;
        case 'N': cfg.no_auth = 1; break;
        case 'E': cfg.access_log = 0; break;
        case 'K': cfg.classify = 0; break;
        case 'Q': queue = 1; break;
        case 'n': snprintf(cfg.nats, sizeof(cfg.nats), "%s", optarg); break;
        case 's': snprintf(cfg.queue_stream, sizeof(cfg.queue_stream), "%s", optarg); break;
        case 'P': replica = optarg; break;
        case 'G': max_lag = optarg; lag_option = 1; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard serve --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "childguard serve: unexpected argument '%s'\n", argv[optind]);
        return CLI_ERROR;
    }
    if (queue != (cfg.nats[0] != '\0')) {
        fprintf(stderr, "childguard serve: --queue and --nats URL go together\n");
        return CLI_ERROR;
    }
    if (dbpath_resolve("serve", cfg.db[0] != '\0' ? cfg.db : NULL, 1, path, sizeof(path)) != 0)
        return CLI_ERROR;
    snprintf(cfg.db, sizeof(cfg.db), "%s", path);
    if (replica != NULL && replica[0] != '\0') {
        /* The store reads CHILDGUARD_DB_REPLICA for its read-only handles (docs/scale.md). */
        const int pg_db = strncmp(cfg.db, "postgresql://", 13) == 0 ||
                          strncmp(cfg.db, "postgres://", 11) == 0;
        const int pg_replica = strncmp(replica, "postgresql://", 13) == 0 ||
                               strncmp(replica, "postgres://", 11) == 0;
        if (!pg_db || !pg_replica) {
            fprintf(stderr, "childguard serve: --db-replica (CHILDGUARD_DB_REPLICA): a "
                            "postgresql:// URL of a replica of a PostgreSQL --db expected\n");
            return CLI_ERROR;
        }
        if (setenv("CHILDGUARD_DB_REPLICA", replica, 1) != 0) {
            fprintf(stderr, "childguard serve: out of memory\n");
            return CLI_ERROR;
        }
    }
    if (max_lag != NULL && max_lag[0] != '\0') {
        /* The store reads CHILDGUARD_DB_REPLICA_MAX_LAG (pg_replica.c): checked here, so that
         * a bad value stops serve rather than falling back to the default. */
        char *end;
        const double lag = strtod(max_lag, &end);
        if (end == max_lag || *end != '\0' || !(lag >= 0.0 && lag <= 86400.0)) {
            fprintf(stderr, "childguard serve: --db-replica-max-lag "
                            "(CHILDGUARD_DB_REPLICA_MAX_LAG) '%s': seconds from 0 to 86400 "
                            "expected\n", max_lag);
            return CLI_ERROR;
        }
        if (lag_option && (replica == NULL || replica[0] == '\0')) {
            fprintf(stderr, "childguard serve: --db-replica-max-lag needs --db-replica\n");
            return CLI_ERROR;
        }
        if (setenv("CHILDGUARD_DB_REPLICA_MAX_LAG", max_lag, 1) != 0) {
            fprintf(stderr, "childguard serve: out of memory\n");
            return CLI_ERROR;
        }
    }
    if (auditpath_resolve("serve", cfg.log[0] != '\0' ? cfg.log : NULL, cfg.db, log_path,
                          sizeof(log_path)) != 0)
        return CLI_ERROR;
    snprintf(cfg.log, sizeof(cfg.log), "%s", log_path);
    return serve_run(&cfg);
}

const cli_command cmd_serve = {"serve", "serve the HMA-compatible and native HTTP API", run,
                               usage};
