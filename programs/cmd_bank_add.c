/* `childguard bank add`: signals given as hex values, or hashed from files and videos
 * (bank_cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childguard.h"
#include "bank_cli.h"
#include "cli.h"
#include "hashfile.h"
#include "walk.h"

/* The type of a hex value: --type, else by length (64 = pdq, 32 = md5). */
const cg_signal_type *bank_type_of(const cg_signal_type *given, const char *hex)
{
    if (given != NULL)
        return given;
    const cg_signal_type *t = NULL;
    return cg_signal_type_guess(strlen(hex), &t, 1) > 0 ? t : NULL;
}

static int add_signal(bank_ctx *c, cg_bank_signal *s, const char *what)
{
    cg_error err;
    int merged = 0;

    if (cg_bank_signal_add(c->db, s, &merged, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s: %s\n", what, err.message);
        return -1;
    }
    char hex[CG_SIGNAL_MAX_BYTES * 2 + 1];
    s->type->format(s->value, hex);
    printf("%s %s %s\n", merged ? "merged" : "added", s->type->name, hex);
    return 0;
}

/* A video's frames as one vpdq signal (vpdq_bank.h), with tmpl's bank and provenance. */
static int add_video(bank_ctx *c, const cg_bank_signal *tmpl, const cg_vpdq *v, const char *what)
{
    cg_error err;
    int merged = 0;
    int64_t id = 0;
    uint8_t ident[32];
    char hex[65];

    if (cg_bank_vpdq_add(c->db, tmpl->bank_id, v->frames, v->count, tmpl->source,
                         tmpl->external_id, tmpl->note, &id, &merged, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s: %s\n", what, err.message);
        return -1;
    }
    if (cg_bank_vpdq_identity(v->frames, v->count, ident) == CG_OK) {
        cg_signal_type_find("vpdq")->format(ident, hex);
        printf("%s vpdq %s (%zu frames)\n", merged ? "merged" : "added", hex, v->count);
    }
    return 0;
}

/* The file's name without its directories: a note must not leak where the file was kept. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

static int add_files(bank_ctx *c, const cg_bank_signal *tmpl, int argc, char **argv)
{
    walk_list list = {0};
    hashfile_opts o;
    cg_pdq_hasher_pool *hashers = NULL;
    int rc = CLI_OK;

    memset(&o, 0, sizeof(o));
    o.types = WANT_PDQ | WANT_MD5;
    o.non_image = 1;
    cg_decode_options_default(&o.decode);
    o.videos = 1; /* a video becomes one vpdq signal (every frame, as `childguard hash`) */
    cg_vpdq_options_default(&o.video);
    for (int i = 0; i < argc; i++)
        if (walk_add(&list, argv[i]) != 0)
            rc = CLI_ERROR;
    if (list.errors > 0)
        rc = CLI_ERROR;
    if (cg_pdq_hasher_pool_create(1, &hashers) != CG_OK) {
        walk_free(&list);
        return CLI_ERROR;
    }
    for (size_t i = 0; i < list.count; i++) {
        hashfile_result r;
        const char *name = hashfile_display_name(&list.items[i]);
        hashfile_run(&o, &list.items[i], hashers, &r);
        if (r.status != CG_OK) {
            fprintf(stderr, "childguard bank: %s\n", r.err.message);
            rc = CLI_ERROR;
            hashfile_result_fini(&r);
            continue;
        }
        cg_bank_signal s = *tmpl;
        if (s.note[0] == '\0')
            snprintf(s.note, sizeof(s.note), "%s", base_name(name));
        if (r.s.vpdq != NULL && add_video(c, &s, r.s.vpdq, name) != 0)
            rc = CLI_ERROR;
        if (r.s.has_pdq) {
            s.type = cg_signal_type_find("pdq");
            cg_pdq_to_bytes(&r.s.pdq.hash, s.value);
            s.quality = r.s.pdq.quality;
            cg_bank owner;
            int min_q = cg_bank_get_by_id(c->db, s.bank_id, &owner, NULL) == CG_OK
                            ? cg_bank_pdq_min_quality(&owner)
                            : CG_PDQ_MIN_QUALITY;
            if (r.s.pdq.quality < min_q)
                fprintf(stderr, "childguard bank: %s: PDQ quality %d is below %d; such hashes "
                        "match unrelated images: added, but its PDQ matches are shown as low "
                        "quality and not acted on\n", name, r.s.pdq.quality, min_q);
            if (add_signal(c, &s, name) != 0)
                rc = CLI_ERROR;
        }
        s.type = cg_signal_type_find("md5");
        memcpy(s.value, r.s.digests.md5, CG_MD5_BYTES);
        s.quality = -1;
        if (add_signal(c, &s, name) != 0)
            rc = CLI_ERROR;
        hashfile_result_fini(&r);
    }
    cg_pdq_hasher_pool_destroy(hashers);
    walk_free(&list);
    return rc;
}

int bank_do_add(bank_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"type", required_argument, NULL, 't'},
        {"external-id", required_argument, NULL, 'e'},
        {"note", required_argument, NULL, 'n'},
        {"quality", required_argument, NULL, 'Q'},
        {"source", required_argument, NULL, 's'},
        {"files", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const cg_signal_type *type = NULL;
    cg_bank_signal tmpl;
    cg_bank b;
    int ch, files = 0, rc = CLI_OK;
    uint64_t v;

    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.quality = -1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            if (bank_type_arg(optarg, &type) != 0)
                return CLI_ERROR;
            break;
        case 'e':
            if (bank_set_text(tmpl.external_id, sizeof(tmpl.external_id), "--external-id", optarg))
                return CLI_ERROR;
            break;
        case 'n':
            if (bank_set_text(tmpl.note, sizeof(tmpl.note), "--note", optarg) != 0)
                return CLI_ERROR;
            break;
        case 's':
            if (bank_set_text(tmpl.source, sizeof(tmpl.source), "--source", optarg) != 0)
                return CLI_ERROR;
            break;
        case 'Q':
            if (cli_parse_u64("bank", "--quality", optarg, &v) != 0 || v > 100)
                return CLI_ERROR;
            tmpl.quality = (int)v;
            break;
        case 'f': files = 1; break;
        default: return CLI_ERROR;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "childguard bank add: give a bank NAME and at least one %s\n",
                files ? "file" : "hash");
        return CLI_ERROR;
    }
    if (bank_open_db_write(c, 0) != 0 || bank_get(c, argv[optind], &b) != 0)
        return CLI_ERROR;
    tmpl.bank_id = b.id;
    if (files)
        return add_files(c, &tmpl, argc - optind - 1, argv + optind + 1);
    for (int i = optind + 1; i < argc; i++) {
        cg_bank_signal s = tmpl;
        s.type = bank_type_of(type, argv[i]);
        if (s.type == NULL ||
            s.type->parse(argv[i], strlen(argv[i]), s.value) != CG_OK) {
            fprintf(stderr, "childguard bank: '%s' is not a %s hash\n", argv[i],
                    s.type ? s.type->name : "pdq (64 hex digits) or md5 (32 hex digits)");
            rc = CLI_ERROR;
            continue;
        }
        if (add_signal(c, &s, argv[i]) != 0)
            rc = CLI_ERROR;
    }
    return rc;
}

