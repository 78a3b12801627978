/* `childguard report`: hotline report DRAFTS from review queue items (docs/report.md). A draft is
 * written to a file or standard output for a person to check and send; nothing is sent. Each
 * draft made is recorded in the audit log (kind "report_draft": the item, the format and the
 * draft's SHA-256), so which drafts exist, and whether one was changed afterwards, can be
 * checked later. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "auditpath.h"
#include "childguard.h"
#include "cli.h"
#include "dbpath.h"

static void usage(void)
{
    printf("usage: childguard report draft ID --format ncmec-xml|json|referral [--db PATH]\n"
           "                          [--log PATH] [--reporter-name NAME]\n"
           "                          [--reporter-email EMAIL] [--org NAME] [--country CC]\n"
           "                          [--service NAME] [--url URL] [--incident-type TYPE]\n"
           "                          [--escalate REASON] [--force] [--actor NAME] [-o FILE]\n"
           "       childguard report validate FILE.xml [--schema XSD]\n"
           "\n"
           "Makes a DRAFT hotline report from review queue item ID: nothing is sent anywhere.\n"
           "A person checks and completes the draft and submits it through the hotline.\n"
           "\n"
           "  draft     ncmec-xml: NCMEC CyberTipline report elements in the documented order,\n"
           "            validated against the shipped schema (report/cybertipline-draft.xsd);\n"
           "            json: the same content for other hotlines (INHOPE members, police);\n"
           "            referral: a plain-text note for the service a harm belongs to.\n"
           "            The incident type follows the item's harm: csam, grooming, sexual\n"
           "            solicitation and sextortion only; other harms (bullying, self-harm,\n"
           "            personal data) get no NCMEC draft, and the command says whom to refer\n"
           "            them to. An item ruled a false positive gets no draft (--force);\n"
           "            one no reviewer confirmed yet gets a warning.\n"
           "            Appends an audit record (kind report_draft) with the draft's SHA-256.\n"
           "  validate  checks an XML draft (edited or not) against the schema\n"
           "\n"
           "Options:\n"
           "      --format F          ncmec-xml, json or referral (required for draft)\n"
           "      --db PATH           bank database (see 'childguard help bank')\n"
           "      --log PATH          audit log; default $CHILDGUARD_AUDIT_LOG, else audit.log\n"
           "                          next to the database\n"
           "      --reporter-name N   reportingPerson (split at the last space: first, last)\n"
           "      --reporter-email E  reportingPerson email\n"
           "      --org NAME          the reporting organisation (companyTemplate, espService)\n"
           "      --country CC        the reporter's country (JSON draft)\n"
           "      --service NAME      the product used (chatClient)\n"
           "      --url URL           where the content was seen (webPageIncident)\n"
           "      --incident-type T   override the CyberTipline incident type\n"
           "      --escalate REASON   escalateToHighPriority (an immediate risk to a child)\n"
           "      --force             draft an item ruled a false positive (the override is\n"
           "                          recorded in the audit log)\n"
           "      --actor NAME        who made the draft, for the audit log (default $USER)\n"
           "  -o, --output FILE       write the draft to FILE (mode 0600) instead of stdout\n"
           "      --schema XSD        validate against another schema file\n"
           "\n"
           "Exit status: 0 ok (draft made, or the file is valid), 2 an error, a refused draft\n"
           "or an invalid file.\n");
}

typedef struct report_opts {
    const char *db, *log, *format, *output, *actor, *schema;
    cg_report_options ro;
} report_opts;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the draft to path (created 0600: a draft names people) or to stdout. */
static int write_draft(const char *path, const char *text, size_t len)
{
    int fd;

    if (path == NULL) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "childguard report draft: writing stdout: %s\n", strerror(errno));
            return -1;
        }
        return 0;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "childguard report draft: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        fprintf(stderr, "childguard report draft: %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "childguard report draft: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int do_draft(const report_opts *o, const char *id_text)
{
    char dbpath[4096], *end = NULL, *verdict = NULL, *text = NULL, *data = NULL;
    char sha[2 * CG_SHA256_BYTES + 1], subject[64];
    const char *actor = o->actor != NULL ? o->actor : getenv("USER");
    cg_bankdb *db = NULL;
    cg_audit *log = NULL;
    cg_review_item item;
    cg_report_advice advice;
    cg_digests dg;
    cg_error err;
    size_t len = 0;
    long long id;
    int fmt, rc = CLI_ERROR;
    json_t *j;

    if (actor == NULL || *actor == '\0')
        actor = "childguard report";
    errno = 0;
    id = strtoll(id_text, &end, 10);
    if (errno != 0 || end == id_text || *end != '\0' || id <= 0) {
        fprintf(stderr, "childguard report draft: '%s' is not a review item id\n", id_text);
        return CLI_ERROR;
    }
    if (o->format == NULL) {
        fprintf(stderr, "childguard report draft: --format ncmec-xml|json|referral is required\n");
        return CLI_ERROR;
    }
    fmt = cg_report_format_from_name(o->format);
    if (fmt < 0) {
        fprintf(stderr,
                "childguard report draft: unknown format '%s' (ncmec-xml, json or referral)\n",
                o->format);
        return CLI_ERROR;
    }
    if (dbpath_resolve("report", o->db, 0, dbpath, sizeof(dbpath)) != 0)
        return CLI_ERROR;
    if (cg_bankdb_open(dbpath, CG_BANKDB_READONLY, &db, &err) != CG_OK) {
        fprintf(stderr, "childguard report draft: %s\n", err.message);
        return CLI_ERROR;
    }
    if (cg_review_get(db, (int64_t)id, &item, &verdict, &err) != CG_OK) {
        fprintf(stderr, "childguard report draft: review item %lld: %s\n", id, err.message);
        goto done;
    }
    /* The library refuses what should not be drafted; its advice is printed either way. */
    cg_report_advise(&item, (cg_report_format)fmt, &o->ro, &advice);
    if (cg_report_draft(&item, verdict, (cg_report_format)fmt, &o->ro, &text, &len, &err) !=
        CG_OK) {
        fprintf(stderr, "childguard report draft: %s\n", err.message);
        if (advice.kind == CG_REPORT_ADVICE_REFUSE && advice.incident_type == NULL &&
            item.state != CG_REVIEW_FALSE_POSITIVE)
            fprintf(stderr, "childguard report draft: if a CyberTipline incident type does "
                            "apply, give it with --incident-type TYPE (docs/report.md)\n");
        goto done;
    }
    if (advice.kind == CG_REPORT_ADVICE_WARN)
        fprintf(stderr, "childguard report draft: warning: %s\n", advice.message);
    /* The log is opened before the draft is written: a draft that cannot be recorded is not
     * handed out. */
    log = auditpath_open("report", o->log, dbpath);
    if (log == NULL)
        goto done;
    if (cg_digest_mem(CG_DIGEST_SHA256, text, len, &dg) != CG_OK) {
        fprintf(stderr, "childguard report draft: hashing the draft failed\n");
        goto done;
    }
    cg_hex_encode(dg.sha256, CG_SHA256_BYTES, sha);
    if (write_draft(o->output, text, len) != 0)
        goto done;
    j = json_pack("{s:s,s:s,s:I}", "format", cg_report_format_name((cg_report_format)fmt),
                  "sha256", sha, "bytes", (json_int_t)len);
    if (j != NULL && o->output != NULL)
        json_object_set_new(j, "output", json_string(o->output));
    if (j != NULL && advice.forced) {
        json_object_set_new(j, "forced", json_true());
        json_object_set_new(j, "override", json_string(advice.message));
    }
    data = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (data == NULL) {
        fprintf(stderr, "childguard report draft: out of memory\n");
        goto done;
    }
    snprintf(subject, sizeof(subject), "review:%lld", id);
    if (cg_audit_append(log, "report_draft", actor, subject, data, NULL,
                        &err) != CG_OK) {
        fprintf(stderr, "childguard report draft: audit log: %s (the draft was written but is "
                        "not recorded)\n",
                err.message);
        goto done;
    }
    if (o->output != NULL)
        fprintf(stderr, "draft written to %s (sha256 %s); nothing was sent\n", o->output, sha);
    rc = CLI_OK;
done:
    free(data);
    cg_free(text);
    cg_free(verdict);
    cg_audit_close(log);
    cg_bankdb_close(db);
    return rc;
}

static int do_validate(const report_opts *o, const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    cg_error err;

    if (cg_content_read_file(path, 16u << 20, &data, &len, &err) != CG_OK) {
        fprintf(stderr, "childguard report validate: %s\n", err.message);
        return CLI_ERROR;
    }
    if (cg_report_validate_xml((const char *)data, len, o->schema, &err) != CG_OK) {
        fprintf(stderr, "childguard report validate: %s: %s\n", path, err.message);
        cg_free(data);
        return CLI_ERROR;
    }
    cg_free(data);
    printf("%s: valid (%s)\n", path, o->schema != NULL ? o->schema : cg_report_schema_path());
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'D'},
        {"log", required_argument, NULL, 'L'},
        {"reporter-name", required_argument, NULL, 'N'},
        {"reporter-email", required_argument, NULL, 'E'},
        {"org", required_argument, NULL, 'O'},
        {"country", required_argument, NULL, 'C'},
        {"service", required_argument, NULL, 'S'},
        {"url", required_argument, NULL, 'U'},
        {"incident-type", required_argument, NULL, 'T'},
        {"escalate", required_argument, NULL, 'X'},
        {"force", no_argument, NULL, 'F'},
        {"actor", required_argument, NULL, 'a'},
        {"output", required_argument, NULL, 'o'},
        {"schema", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    report_opts o;
    const char *action;
    int ch;

    memset(&o, 0, sizeof(o));
    if (argc < 2) {
        fprintf(stderr, "childguard report: which action?\nTry 'childguard report --help'.\n");
        return CLI_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return CLI_OK;
    }
    action = argv[1];
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': o.format = optarg; break;
        case 'D': o.db = optarg; break;
        case 'L': o.log = optarg; break;
        case 'N': o.ro.reporter_name = optarg; break;
        case 'E': o.ro.reporter_email = optarg; break;
        case 'O': o.ro.organization = optarg; break;
        case 'C': o.ro.country = optarg; break;
        case 'S': o.ro.service = optarg; break;
        case 'U': o.ro.url = optarg; break;
        case 'T': o.ro.incident_type = optarg; break;
        case 'X': o.ro.escalate = optarg; break;
        case 'F': o.ro.force = 1; break;
        case 'a': o.actor = optarg; break;
        case 'o': o.output = optarg; break;
        case 's': o.schema = optarg; break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard report --help'.\n");
            return CLI_ERROR;
        }
    }
    /* Exactly one operand: the item id (draft) or the file (validate). */
    if (optind + 1 != argc - 1) {
        fprintf(stderr, "childguard report %s: %s\nTry 'childguard report --help'.\n", action,
                optind + 1 > argc - 1 ? "missing operand" : "too many operands");
        return CLI_ERROR;
    }
    if (strcmp(action, "draft") == 0)
        return do_draft(&o, argv[optind + 1]);
    if (strcmp(action, "validate") == 0)
        return do_validate(&o, argv[optind + 1]);
    fprintf(stderr, "childguard report: unknown action '%s'\nTry 'childguard report --help'.\n",
            action);
    return CLI_ERROR;
}

const cli_command cmd_report = {
    "report",
    "make hotline report drafts (NCMEC CyberTipline XML, JSON, referral notes) from review "
    "items",
    run,
    usage,
};
