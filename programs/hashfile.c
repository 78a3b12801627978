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

void hashfile_run(const hashfile_opts *o, const walk_item *item, cg_pdq_hasher *hasher,
                  hashfile_result *r)
{
    uint8_t *data = NULL;
    size_t len = 0;
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
    r->bytes = len;
    if (o->types & WANT_PDQ) {
        cg_image *img = NULL;
        const char *container = NULL;

        r->format = cg_image_sniff(data, len);
        if (r->format == CG_FORMAT_UNKNOWN && o->videos)
            container = cg_video_sniff(data, len);
        if (r->format == CG_FORMAT_UNKNOWN && container == NULL && o->non_image == 2 &&
            item->from_dir && o->types == WANT_PDQ) {
            r->skipped = 1;
            goto done;
        }
        if (r->format == CG_FORMAT_UNKNOWN && container == NULL && o->non_image == 1)
            goto digests;
        if (container != NULL) {
            r->video_container = container;
            t0 = progress_now();
            r->status = cg_vpdq_hash_video_mem(data, len, hashfile_display_name(item),
                                               &o->video, hasher, &r->vpdq, &r->err);
            r->ms_decode = ms_since(t0);
            if (r->status != CG_OK)
                goto done;
            r->ms_hash = r->vpdq->hash_s * 1000.0;
            r->ms_decode -= r->ms_hash;
            r->width = r->source_width = r->vpdq->width;
            r->height = r->source_height = r->vpdq->height;
            r->channels = 3;
            r->bit_depth = 8;
            r->frame_count = (int)(r->vpdq->frames_decoded > INT32_MAX
                                       ? INT32_MAX
                                       : r->vpdq->frames_decoded);
            goto digests;
        }
        t0 = progress_now();
        r->status = cg_image_decode_mem(data, len, &o->decode, &img, &r->err);
        r->ms_decode = ms_since(t0);
        if (r->status != CG_OK) {
            char full[CG_ERROR_MAX + 4096];

            snprintf(full, sizeof(full), "%s: %s", hashfile_display_name(item), r->err.message);
            memcpy(r->err.message, full, sizeof(r->err.message) - 1);
            r->err.message[sizeof(r->err.message) - 1] = '\0';
            goto done;
        }
        r->width = img->width;
        r->height = img->height;
        r->source_width = img->source_width;
        r->source_height = img->source_height;
        r->channels = img->channels;
        r->exif_orientation = img->exif_orientation;
        r->has_alpha = img->has_alpha;
        r->bit_depth = img->bit_depth;
        r->frame_count = img->frame_count;
        t0 = progress_now();
        r->status = cg_pdq_hash_image(hasher, img, o->dihedral, &r->pdq);
        r->ms_hash = ms_since(t0);
        cg_image_destroy(img);
        if (r->status != CG_OK) {
            snprintf(r->err.message, sizeof(r->err.message), "PDQ hashing failed: %s",
                     cg_status_text(r->status));
            goto done;
        }
        r->has_pdq = 1;
    }
digests:
    if (o->types & (WANT_MD5 | WANT_SHA256)) {
        unsigned which = ((o->types & WANT_MD5) ? CG_DIGEST_MD5 : 0) |
                         ((o->types & WANT_SHA256) ? CG_DIGEST_SHA256 : 0);

        t0 = progress_now();
        r->status = cg_digest_mem(which, data, len, &r->digests);
        r->ms_digest = ms_since(t0);
        if (r->status != CG_OK)
            snprintf(r->err.message, sizeof(r->err.message), "digest failed: %s",
                     cg_status_text(r->status));
    }
done:
    cg_free(data);
}

void hashfile_result_fini(hashfile_result *r)
{
    cg_vpdq_destroy(r->vpdq);
    r->vpdq = NULL;
}

void hashfile_hex(const uint8_t *b, size_t n, char *out)
{
    /* The signal types' own text form: md5 for 16 bytes, sha256 (and pdq) for 32. */
    const cg_signal_type *t = cg_signal_type_find(n == 16 ? "md5" : "sha256");

    if (t != NULL && t->bytes == n)
        t->format(b, out);
    else
        out[0] = '\0';
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

