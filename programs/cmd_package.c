/* `childguard package`: signed hash-list packages between hotlines (docs/exchange.md, "Signed
 * packages"): sign a directory of payloads, verify one, export a bank as one, import one into a
 * bank. Keys are minisign's (make them with `minisign -G -W`). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditpath.h"
#include "childguard.h"
#include "childguard/package.h"
#include "cli.h"
#include "dbpath.h"

static void usage(void)
{
    printf("usage: childguard package SUBCOMMAND [options] DIR\n"
           "\n"
           "Signed hash-list packages: a directory with manifest.json, its minisign signature\n"
           "manifest.json.minisig, and JSON-lines payloads adds.jsonl, removals.jsonl,\n"
           "disables.jsonl (docs/exchange.md). Keys are minisign keys: 'minisign -G -W -p\n"
           "KEY.pub -s KEY.key' makes an unencrypted pair; the .pub goes to the importers.\n"
           "\n"
           "Subcommands:\n"
           "  sign DIR --key SECKEY --producer NAME --bank NAME --sequence N [--base N]\n"
           "       [--label L] [--expires-in DAYS]\n"
           "                     write manifest.json for the payloads in DIR and sign it\n"
           "                     (--base N: a delta on package N; none: a full list)\n"
           "  export DIR --db PATH --bank NAME --key SECKEY --producer NAME --sequence N\n"
           "       [--expires-in DAYS]\n"
           "                     write the bank's enabled signals as a signed full list\n"
           "  verify DIR --trusted KEYDIR [--state PATH]\n"
           "                     check signature (a *.pub of KEYDIR), payloads, expiry and\n"
           "                     sequence; print the manifest's summary\n"
           "  import DIR --trusted KEYDIR [--state PATH] --db PATH --bank NAME [--create]\n"
           "       [--log PATH]\n"
           "                     verify, then apply adds, removals and disables to the bank\n"
           "                     (--create: make the bank when missing, with the package's\n"
           "                     label); a full list also removes the producer's signals it no\n"
           "                     longer holds. The sequence is then recorded for the key.\n"
           "\n"
           "--expires-in: days until the package is refused (default 30). --state: the last\n"
           "sequence per key (default KEYDIR/sequences.json); a package older than the last\n"
           "imported from its key is refused as a rollback, an expired one as stale.\n"
           "Exit status: 0 success, 2 an error or a refused package.\n");
}

typedef struct pkg_opts {
    const char *key, *producer, *bank, *label, *trusted, *state, *db, *log;
    int64_t sequence, base, expires_in;
    int create;
    const char *dir;
} pkg_opts;

static int parse_int(const char *what, const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < 0) {
        fprintf(stderr, "childguard package: %s must be a non-negative integer, not \"%s\"\n",
                what, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, pkg_opts *o)
{
    static const struct option longs[] = {
        {"key", required_argument, NULL, 'k'},      {"producer", required_argument, NULL, 'p'},
        {"bank", required_argument, NULL, 'b'},     {"label", required_argument, NULL, 'L'},
        {"sequence", required_argument, NULL, 'n'}, {"base", required_argument, NULL, 'B'},
        {"expires-in", required_argument, NULL, 'e'},
        {"trusted", required_argument, NULL, 't'},  {"state", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},       {"log", required_argument, NULL, 'l'},
        {"create", no_argument, NULL, 'c'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(o, 0, sizeof(*o));
    o->base = -1;
    o->expires_in = 30;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'p': o->producer = optarg; break;
        case 'b': o->bank = optarg; break;
        case 'L': o->label = optarg; break;
        case 'n': if (parse_int("--sequence", optarg, &o->sequence) != 0) return -1; break;
        case 'B': if (parse_int("--base", optarg, &o->base) != 0) return -1; break;
        case 'e': if (parse_int("--expires-in", optarg, &o->expires_in) != 0) return -1; break;
        case 't': o->trusted = optarg; break;
        case 's': o->state = optarg; break;
        case 'd': o->db = optarg; break;
        case 'l': o->log = optarg; break;
        case 'c': o->create = 1; break;
        case 'h': usage(); return 1;
        default: return -1;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "childguard package: give exactly one package directory\n");
        return -1;
    }
    o->dir = argv[optind];
    return 0;
}

static int need(const char *sub, const char *opt, const void *v)
{
    if (v != NULL)
        return 0;
    fprintf(stderr, "childguard package %s: %s is required\n", sub, opt);
    return -1;
}

static int load_seckey(const char *path, cg_minisign_seckey *sk)
{
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t n;
    cg_error err;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (cg_minisign_seckey_parse(path, buf, n, sk, &err) != CG_OK) {
        fprintf(stderr, "childguard package: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int fill_manifest(const char *sub, const pkg_opts *o, cg_package_manifest *m)
{
    if (need(sub, "--key", o->key) || need(sub, "--producer", o->producer) ||
        need(sub, "--bank", o->bank))
        return -1;
    if (o->sequence < 1) {
        fprintf(stderr, "childguard package %s: --sequence N (N >= 1) is required\n", sub);
        return -1;
    }
    if (strlen(o->producer) > CG_PACKAGE_FIELD_MAX || strlen(o->bank) > CG_PACKAGE_FIELD_MAX ||
        (o->label && strlen(o->label) > CG_PACKAGE_FIELD_MAX)) {
        fprintf(stderr, "childguard package %s: producer, bank and label are at most %d bytes\n",
                sub, CG_PACKAGE_FIELD_MAX);
        return -1;
    }
    memset(m, 0, sizeof(*m));
    snprintf(m->producer, sizeof(m->producer), "%s", o->producer);
    snprintf(m->bank, sizeof(m->bank), "%s", o->bank);
    snprintf(m->label, sizeof(m->label), "%s", o->label ? o->label : "");
    m->sequence = o->sequence;
    m->base_sequence = o->base;
    m->created = (int64_t)time(NULL);
    m->expires = m->created + (o->expires_in > 0 ? o->expires_in : 1) * 86400;
    return 0;
}

static void print_manifest(const char *verb, const cg_package_manifest *m)
{
    printf("%s: producer %s, bank %s, sequence %" PRId64, verb, m->producer, m->bank,
           m->sequence);
    if (m->base_sequence >= 0)
        printf(" (delta on %" PRId64 ")", m->base_sequence);
    else
        printf(" (full list)");
    for (size_t i = 0; i < m->n_files; i++)
        printf(", %s %" PRIu64, cg_package_kind_file(m->files[i].kind), m->files[i].count);
    printf("\n");
}

static int run_sign(const pkg_opts *o)
{
    cg_package_manifest m;
    cg_minisign_seckey sk;
    cg_error err;
    cg_status st;

    if (fill_manifest("sign", o, &m) != 0 || load_seckey(o->key, &sk) != 0)
        return CLI_ERROR;
    st = cg_package_seal(o->dir, &m, &sk, &err);
    memset(&sk, 0, sizeof(sk));
    if (st != CG_OK) {
        fprintf(stderr, "childguard package sign: %s\n", err.message);
        return CLI_ERROR;
    }
    print_manifest("signed", &m);
    return CLI_OK;
}

static cg_bankdb *open_db(const char *sub, const pkg_opts *o, int create, char *path, size_t n,
                          cg_audit **audit)
{
    cg_bankdb *db = NULL;
    cg_error err;
    const char *actor = getenv("CHILDGUARD_ACTOR");

    *audit = NULL;
    if (dbpath_resolve("package", o->db, create, path, n) != 0)
        return NULL;
    if (cg_bankdb_open(path, create ? CG_BANKDB_CREATE : CG_BANKDB_READONLY, &db, &err) !=
        CG_OK) {
        fprintf(stderr, "childguard package %s: %s\n", sub, err.message);
        return NULL;
    }
    if (create) {
        if (actor == NULL || *actor == '\0')
            actor = getenv("USER");
        *audit = auditpath_open("package", o->log, path);
        if (*audit == NULL ||
            cg_bankdb_set_audit(db, *audit, actor && *actor ? actor : "cli", &err) != CG_OK) {
            if (*audit != NULL)
                fprintf(stderr, "childguard package %s: %s\n", sub, err.message);
            cg_bankdb_close(db);
            cg_audit_close(*audit);
            *audit = NULL;
            return NULL;
        }
    }
    return db;
}

static int run_export(const pkg_opts *o)
{
    cg_package_manifest m;
    cg_minisign_seckey sk;
    cg_bank b;
    cg_error err;
    char path[4096];
    cg_audit *audit = NULL;
    cg_bankdb *db;
    cg_status st;

    if (fill_manifest("export", o, &m) != 0 || load_seckey(o->key, &sk) != 0)
        return CLI_ERROR;
    db = open_db("export", o, 0, path, sizeof(path), &audit);
    if (db == NULL)
        return CLI_ERROR;
    st = cg_bank_get(db, o->bank, &b, &err);
    if (st == CG_OK) {
        if (o->label == NULL)
            snprintf(m.label, sizeof(m.label), "%s", b.label);
        st = cg_package_export(db, b.id, o->dir, &m, &sk, &err);
    }
    memset(&sk, 0, sizeof(sk));
    cg_bankdb_close(db);
    if (st != CG_OK) {
        fprintf(stderr, "childguard package export: %s\n", err.message);
        return CLI_ERROR;
    }
    print_manifest("exported", &m);
    return CLI_OK;
}

static int run_verify(const pkg_opts *o)
{
    cg_package_trust t = {o->trusted, o->state, 0, NULL, 0, NULL};
    cg_package_manifest m;
    cg_error err;

    if (need("verify", "--trusted", o->trusted))
        return CLI_ERROR;
    if (cg_package_verify(o->dir, &t, &m, NULL, &err) != CG_OK) {
        fprintf(stderr, "childguard package verify: %s\n", err.message);
        return CLI_ERROR;
    }
    print_manifest("verified", &m);
    return CLI_OK;
}

static int run_import(const pkg_opts *o)
{
    cg_package_trust t = {o->trusted, o->state, 0, NULL, 0, NULL};
    cg_package_import_report rep;
    cg_package_manifest m;
    cg_bank b;
    cg_error err;
    char path[4096];
    cg_audit *audit = NULL;
    cg_bankdb *db;
    cg_status st;

    if (need("import", "--trusted", o->trusted) || need("import", "--bank", o->bank))
        return CLI_ERROR;
    /* Verified first, so that --create never makes a bank for a refused package. */
    if (cg_package_verify(o->dir, &t, &m, NULL, &err) != CG_OK) {
        fprintf(stderr, "childguard package import: %s\n", err.message);
        return CLI_ERROR;
    }
    db = open_db("import", o, 1, path, sizeof(path), &audit);
    if (db == NULL)
        return CLI_ERROR;
    st = cg_bank_get(db, o->bank, &b, &err);
    if (st == CG_E_NOTFOUND && o->create) {
        memset(&b, 0, sizeof(b));
        snprintf(b.name, sizeof(b.name), "%s", o->bank);
        snprintf(b.label, sizeof(b.label), "%s", m.label);
        b.enabled = 1;
        st = cg_bank_create(db, &b, &err);
    }
    if (st == CG_OK)
        st = cg_package_import(db, b.id, o->dir, &t, &rep, &err);
    cg_bankdb_close(db);
    cg_audit_close(audit);
    if (st != CG_OK) {
        fprintf(stderr, "childguard package import: %s%s\n", err.message,
                st == CG_E_NOTFOUND && !o->create ? " (--create makes the bank)" : "");
        return CLI_ERROR;
    }
    print_manifest("imported", &m);
    printf("added %" PRIu64 ", merged %" PRIu64 ", removed %" PRIu64 ", disabled %" PRIu64
           ", not in the bank %" PRIu64 "\n",
           rep.added, rep.merged, rep.removed, rep.disabled, rep.missing);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    pkg_opts o;
    const char *sub;
    int r;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_ERROR : CLI_OK;
    }
    sub = argv[1];
    r = parse_opts(argc - 1, argv + 1, &o);
    if (r != 0)
        return r > 0 ? CLI_OK : CLI_ERROR;
    if (strcmp(sub, "sign") == 0)
        return run_sign(&o);
    if (strcmp(sub, "export") == 0)
        return run_export(&o);
    if (strcmp(sub, "verify") == 0)
        return run_verify(&o);
    if (strcmp(sub, "import") == 0)
        return run_import(&o);
    fprintf(stderr, "childguard package: unknown subcommand \"%s\" (sign, export, verify, "
                    "import)\n", sub);
    return CLI_ERROR;
}

const cli_command cmd_package = {"package", "sign, verify, export and import signed hash-list "
                                            "packages", run, usage};
