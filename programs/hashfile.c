/* Reading, decoding and hashing one file (hashfile.h). */
#include "hashfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

static double ms_since(double t0)
{
    return (progress_now() - t0) * 1000.0;
}

const char *hashfile_display_name(const walk_item *item)
{
    return strcmp(item->path, "-") == 0 ? "-" : item->path;
}

void hashfile_run(const hashfile_opts *o, const walk_item *item, cg_pdq_hasher_pool *pool,
                  hashfile_result *r)
{
    uint8_t *data = NULL;
    size_t len = 0;
    cg_signals_options so;
    double t0;

    memset(r, 0, sizeof(*r));
    t0 = progress_now();
    if (strcmp(item->path, "-") == 0)
        r->status = cg_content_read_fd(STDIN_FILENO, "(standard input)",
                                       o->decode.limits.max_file_bytes, &data, &len, &r->err);
    else
        r->status = cg_content_read_file(item->path, o->decode.limits.max_file_bytes, &data,
                                         &len, &r->err);
    r->ms_read = ms_since(t0);
    if (r->status != CG_OK)
        return;
    cg_signals_options_default(&so);
    so.want = ((o->types & WANT_PDQ) ? CG_SIGNALS_PDQ : 0) |
              ((o->types & WANT_MD5) ? CG_SIGNALS_MD5 : 0) |
              ((o->types & WANT_SHA256) ? CG_SIGNALS_SHA256 : 0) |
              ((o->types & WANT_PDQ) && o->videos ? CG_SIGNALS_VIDEO : 0);
    so.dihedral = o->dihedral;
    so.decode = o->decode;
    so.video = o->video;
    so.name = hashfile_display_name(item);
    r->status = cg_signals_compute(data, len, &so, pool, &r->s, &r->err);
    cg_free(data);
    if (r->status != CG_OK)
        return;
    if ((o->types & WANT_PDQ) && r->s.format == CG_FORMAT_UNKNOWN &&
        r->s.video_container == NULL) {
        /* Not an image: skipped when only PDQ was asked of a file found in a directory (hash);
         * its digests stand with non_image 1 (bank add); else the decoder's error stands. */
        r->skipped = o->non_image == 2 && item->from_dir && o->types == WANT_PDQ;
        if (r->skipped || o->non_image == 1)
            return;
    }
    if (r->s.decode_status != CG_OK) {
        r->status = r->s.decode_status;
        if (r->s.video_container != NULL) {
            r->err = r->s.decode_error; /* vPDQ's message names the file */
        } else {
            char full[CG_ERROR_MAX + 4096];

            snprintf(full, sizeof(full), "%s: %s", so.name, r->s.decode_error.message);
            memcpy(r->err.message, full, sizeof(r->err.message) - 1);
            r->err.message[sizeof(r->err.message) - 1] = '\0';
        }
    }
}

void hashfile_result_fini(hashfile_result *r)
{
    cg_signals_fini(&r->s);
}
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s == '\0' || *s == '-')
        goto bad;
    v = strtoull(s, &end, 10);
    if (end == NULL || *end != '\0')
        goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "childguard %s: %s needs a whole number, got '%s'\n", cmd, opt, s ? s : "");
    return -1;
}

