/* `childguard keys`: API keys of the HTTP service (docs/keys.md): create (the token is printed
 * once and never stored), list (never a secret) and revoke. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auditpath.h"
#include "childguard.h"
#include "cli.h"
#include "subcommand.h"
#include "dbpath.h"
#include "hashfile.h"

static void usage(void)
{
    printf("usage: childguard keys [--db PATH] [--log PATH] SUBCOMMAND [options]\n"
           "\n"
           "API keys for 'childguard serve'. A key is shown once, when it is created; the\n"
           "database keeps only a SHA-256 of its secret, so a lost key cannot be shown again:\n"
           "revoke it and create another.\n"
           "\n"
           "Subcommands:\n"
           "  create NAME --scope LIST [--holder WHO] [--tenant T] [--banks LIST] [--rate N]\n"
           "         [--json]\n"
           "                     make a key and print its token (once). --scope LIST,\n"
           "                     comma-separated: " CG_SCOPES_KNOWN "\n"
           "                     (admin implies every scope; review:senior decides escalated\n"
           "                     items; match:distance sees exact distances).\n"
           "                     --holder: the person or service given the key; as a reviewer\n"
           "                     it is who decides (default: NAME). --tenant: whose review items,\n"
           "                     conversations and reports it sees (default \"default\", the\n"
           "                     command line's). --banks: the only banks it may read (default:\n"
           "                     all). --rate N: requests per second (0: the server's limit)\n"
           "  list [--json]      every key, revoked ones too (never a secret), below a\n"
           "                     header line\n"
           "  revoke ID|NAME     revoke a live key (by its id, or its name); a running server\n"
           "                     refuses it from its next request\n"
           "\n"
           "The database: --db PATH, else $CHILDGUARD_DB, else the default (see 'childguard\n"
           "help bank'). create and revoke append an 'api_key' record to the audit log (--log\n"
           "PATH, else $CHILDGUARD_AUDIT_LOG, else audit.log beside the database); the actor is\n"
           "$CHILDGUARD_ACTOR, else $USER.\n"
           "Exit status: 0 success, 1 nothing (no keys to list), 2 an error (including an\n"
           "unknown or already revoked key).\n");
}

typedef struct keys_opts {
    const char *db;
    const char *log;
    const char *scope;
    const char *holder;
    const char *tenant;
    const char *banks;
    uint64_t rate;
    int json;
    const char *arg; /* the positional NAME / ID */
} keys_opts;

typedef struct keys_ctx {
    char db_path[4096];
    cg_bankdb *db;
    cg_audit *audit;
} keys_ctx;

/* Who the audit records name: $CHILDGUARD_ACTOR, else $USER, else "cli". */
static const char *audit_actor(void)
{
    const char *a = getenv("CHILDGUARD_ACTOR");

    if (a == NULL || *a == '\0')
        a = getenv("USER");
    return a != NULL && *a != '\0' ? a : "cli";
}

/* Opens the database; with write, also the audit log, named as the records' actor. */
static int open_ctx(keys_ctx *c, const keys_opts *o, int write, int create)
{
    cg_error err;

    if (dbpath_resolve("keys", o->db, create, c->db_path, sizeof(c->db_path)) != 0)
        return -1;
    if (cg_bankdb_open(c->db_path, create ? CG_BANKDB_CREATE : 0, &c->db, &err) != CG_OK) {
        fprintf(stderr, "childguard keys: %s\n", err.message);
        return -1;
    }
    if (write) {
        c->audit = auditpath_open("keys", o->log, c->db_path);
        if (c->audit == NULL)
            return -1;
        if (cg_bankdb_set_audit(c->db, c->audit, audit_actor(), &err) != CG_OK) {
            fprintf(stderr, "childguard keys: %s (set CHILDGUARD_ACTOR)\n", err.message);
            return -1;
        }
    }
    return 0;
}

static void close_ctx(keys_ctx *c)
{
    cg_audit_close(c->audit);
    cg_bankdb_close(c->db);
}

static void time_text(int64_t t, char *buf, size_t n)
{
    const time_t tt = (time_t)t;
    struct tm tm;

    if (t == 0 || gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "-");
}

static int print_json(json_t *j)
{
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    int ok = s != NULL;

    if (ok)
        puts(s);
    else
        fprintf(stderr, "childguard keys: out of memory (JSON)\n");
    free(s);
    json_decref(j);
    return ok ? 0 : -1;
}

/* ---- create ------------------------------------------------------------------------------- */

static int do_create(keys_ctx *c, const keys_opts *o)
{
    char token[CG_APIKEY_TOKEN_MAX + 1];
    char scopes[CG_SCOPES_TEXT_MAX];
    cg_key_spec spec;
    cg_key k;
    cg_error err;
    unsigned bits;
    cg_status st;
    int rc = CLI_OK;

    if (cg_keys_scopes_parse(o->scope, &bits, &err) != CG_OK) {
        fprintf(stderr, "childguard keys: %s\n", err.message);
        return CLI_ERROR;
    }
    spec.name = o->arg;
    spec.holder = o->holder;
    spec.tenant = o->tenant;
    spec.scopes = bits;
    spec.rate_per_second = (int)o->rate;
    spec.banks = o->banks;
    st = cg_keys_create_ex(c->db, &spec, token, &k, c->audit, &err);
    if (st != CG_OK && token[0] == '\0') {
        fprintf(stderr, "childguard keys: %s\n", err.message);
        return CLI_ERROR;
    }
    /* From here the key exists: print its token even if its audit record failed (it could
     * never be shown again), then report that failure. */
    cg_keys_scopes_format(k.scopes, scopes, sizeof(scopes));
    if (o->json) {
        if (print_json(json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "id", (json_int_t)k.id,
                                 "name", k.name, "holder", k.holder, "tenant", k.tenant,
                                 "scopes", scopes, "banks", k.banks, "rate", k.rate_per_second,
                                 "token", token)) != 0)
            rc = CLI_ERROR;
    } else {
        printf("%s\n", token);
    }
    fflush(stdout);
    fprintf(stderr,
            "childguard keys: created API key %" PRId64 " \"%s\" for %s, tenant %s (scopes %s%s%s)."
            " The token above is shown only now and is not stored: keep it somewhere safe.\n",
            k.id, k.name, k.holder, k.tenant, scopes, k.banks[0] != '\0' ? "; banks " : "",
            k.banks);
    if (st != CG_OK) {
        fprintf(stderr, "childguard keys: %s\n", err.message);
        rc = CLI_ERROR;
    }
    memset(token, 0, sizeof(token));
    return rc;
}

/* ---- list --------------------------------------------------------------------------------- */

typedef struct list_state {
    const keys_opts *o;
    uint64_t n;
    int failed;
} list_state;

static int list_one(const cg_key *k, void *ud)
{
    list_state *ls = ud;
    char scopes[CG_SCOPES_TEXT_MAX], created[32], used[32], revoked[32];

    ls->n++;
    cg_keys_scopes_format(k->scopes, scopes, sizeof(scopes));
    if (ls->o->json) {
        if (print_json(json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:b}", "id",
                                 (json_int_t)k->id, "name", k->name, "holder", k->holder,
                                 "tenant", k->tenant, "scopes", scopes, "banks", k->banks,
                                 "rate", k->rate_per_second, "created", (json_int_t)k->created,
                                 "last_used", (json_int_t)k->last_used, "revoked",
                                 (json_int_t)k->revoked, "live", k->revoked == 0)) != 0) {
            ls->failed = 1;
            return 1;
        }
        return 0;
    }
    time_text(k->created, created, sizeof(created));
    time_text(k->last_used, used, sizeof(used));
    time_text(k->revoked, revoked, sizeof(revoked));
    if (ls->n == 1) /* a header above the first row */
        printf("ID\tNAME\tSCOPES\tRATE\tCREATED\tLAST_USED\tSTATE\tHOLDER\tTENANT\tBANKS\n");
    printf("%" PRId64 "\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k->id, k->name, scopes,
           k->rate_per_second, created, used, k->revoked != 0 ? revoked : "live", k->holder,
           k->tenant, k->banks[0] != '\0' ? k->banks : "*");
    return 0;
}

static int do_list(keys_ctx *c, const keys_opts *o)
{
    list_state ls = {o, 0, 0};
    cg_error err;

    if (o->arg != NULL) {
        fprintf(stderr, "childguard keys list: unexpected argument '%s'\n", o->arg);
        return CLI_ERROR;
    }
    if (cg_keys_list(c->db, list_one, &ls, &err) != CG_OK) {
        fprintf(stderr, "childguard keys: %s\n", err.message);
        return CLI_ERROR;
    }
    if (ls.failed)
        return CLI_ERROR;
    return ls.n > 0 ? CLI_OK : CLI_NONE;
}

/* ---- revoke ------------------------------------------------------------------------------- */

static int do_revoke(keys_ctx *c, const keys_opts *o)
{
    const char *a = o->arg;
    int64_t id = 0;
    cg_error err;
    cg_status st;

    if (a == NULL || *a == '\0') {
        fprintf(stderr, "childguard keys revoke: which key? (give its ID or NAME)\n");
        return CLI_ERROR;
    }
    /* Key names are never all digits (the library refuses them), so digits are an id. */
    if (strspn(a, "0123456789") == strlen(a)) {
        uint64_t v;

        if (cli_parse_u64("keys", "ID", a, &v) != 0)
            return CLI_ERROR;
        if (v == 0 || v > INT64_MAX) {
            fprintf(stderr, "childguard keys: bad key ID '%s'\n", a);
            return CLI_ERROR;
        }
        id = (int64_t)v;
    }
    st = cg_keys_revoke(c->db, id, id > 0 ? NULL : a, c->audit, &err);
    if (st != CG_OK) {
        fprintf(stderr, "childguard keys: %s\n", err.message);
        return CLI_ERROR;
    }
    printf("revoked API key %s\n", a);
    return CLI_OK;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int run(int argc, char **argv)
{
    enum { O_DB = 256, O_LOG, O_SCOPE, O_RATE, O_JSON, O_HOLDER, O_TENANT, O_BANKS };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, O_DB},
        {"log", required_argument, NULL, O_LOG},
        {"scope", required_argument, NULL, O_SCOPE},
        {"scopes", required_argument, NULL, O_SCOPE}, /* accepted; documented as --scope */
        {"holder", required_argument, NULL, O_HOLDER},
        {"tenant", required_argument, NULL, O_TENANT},
        {"banks", required_argument, NULL, O_BANKS},
        {"rate", required_argument, NULL, O_RATE},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    keys_opts o;
    keys_ctx c;
    int ch, rc, first;

    memset(&o, 0, sizeof(o));
    memset(&c, 0, sizeof(c));
    first = subcommand_find("keys", argc, argv, usage);
    if (first <= 0)
        return first == 0 ? CLI_OK : CLI_ERROR;
    const char *action = argv[first];
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_DB: o.db = optarg; break;
        case O_LOG: o.log = optarg; break;
        case O_SCOPE: o.scope = optarg; break;
        case O_HOLDER: o.holder = optarg; break;
        case O_TENANT: o.tenant = optarg; break;
        case O_BANKS: o.banks = optarg; break;
        case O_RATE:
            if (cli_parse_u64("keys", "--rate", optarg, &o.rate) != 0)
                return CLI_ERROR;
            if (o.rate > CG_APIKEY_RATE_MAX) {
                fprintf(stderr, "childguard keys: --rate %s: at most %d requests per second\n",
                        optarg, CG_APIKEY_RATE_MAX);
                return CLI_ERROR;
            }
            break;
        case O_JSON: o.json = 1; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard keys --help'.\n");
            return CLI_ERROR;
        }
    }
    /* Positionals (getopt moved them to the end): the subcommand, then at most one argument. */
    for (int i = optind; i < argc; i++) {
        if (argv[i] == action)
            continue;
        if (o.arg != NULL) {
            fprintf(stderr, "childguard keys %s: unexpected argument '%s'\n", action, argv[i]);
            return CLI_ERROR;
        }
        o.arg = argv[i];
    }

    const int is_create = strcmp(action, "create") == 0;
    const int writes = is_create || strcmp(action, "revoke") == 0;
    if (!writes && strcmp(action, "list") != 0) {
        fprintf(stderr, "childguard keys: unknown subcommand '%s'\n"
                "Try 'childguard keys --help'.\n", action);
        return CLI_ERROR;
    }
    if (is_create && (o.arg == NULL || o.scope == NULL)) {
        fprintf(stderr, "childguard keys create: give a NAME and --scope LIST\n"
                "Try 'childguard keys --help'.\n");
        return CLI_ERROR;
    }
    if (open_ctx(&c, &o, writes, is_create) != 0) {
        close_ctx(&c);
        return CLI_ERROR;
    }
    if (is_create)
        rc = do_create(&c, &o);
    else if (strcmp(action, "list") == 0)
        rc = do_list(&c, &o);
    else
        rc = do_revoke(&c, &o);
    close_ctx(&c);
    return rc;
}

const cli_command cmd_keys = {
    "keys",
    "API keys for the HTTP service: create (shown once), list, revoke",
    run,
    usage,
};
