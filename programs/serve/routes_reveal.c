/* GET /v1/review/<id>/reveal?level=1|2|3: the review console's stepwise reveal of an item's
 * quarantine preview (docs/review.md "Reviewer wellbeing", docs/web.md).
 *
 * The stored preview is already greyscale, small and blurred (cg_review_preview). The console
 * starts with nothing shown, and each step is one request here: level 1 blurs the stored
 * preview again strongly, level 2 lightly, level 3 hands out the stored preview as it is. The
 * extra blur is applied here, on the server, so a less blurred picture is never sent before
 * its own audit record ("review_preview", format "pgm-level-N": who, which item, which level,
 * the SHA-256 of what was sent) is written; without an audit log nothing is handed out (503).
 * Only a key with the review scope, only for an item the key's reviewer has claimed (one item
 * at a time, as the console shows them), and only when quarantine stored a preview (404). */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

/* Parses a binary PGM (P5, maxval 255) as cg_review_preview writes it. Returns the pixels
 * (inside data) or NULL. */
static const uint8_t *pgm_pixels(const uint8_t *data, size_t len, int *w, int *h)
{
    const char *p = (const char *)data, *end = (const char *)data + len;
    long v[3];

    if (len < 3 || data[0] != 'P' || data[1] != '5')
        return NULL;
    p += 2;
    for (int i = 0; i < 3; i++) {
        char *e;
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        v[i] = strtol(p, &e, 10);
        if (e > end || v[i] <= 0 || v[i] > 65535)
            return NULL;
        p = e;
    }
    if (p >= end || v[2] != 255)
        return NULL;
    p++; /* the single whitespace after maxval */
    if ((size_t)(end - p) < (size_t)v[0] * (size_t)v[1])
        return NULL;
    *w = (int)v[0];
    *h = (int)v[1];
    return (const uint8_t *)p;
}

enum MHD_Result v1_review_reveal(serve_req *r)
{
    const char *lv = http_query(r, "level");
    char *end;
    long level;
    int64_t id;
    cg_review_item item;
    uint8_t *data = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    const uint8_t *px;
    int w = 0, h = 0;
    char format[16];
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;

    level = lv != NULL ? strtol(lv, &end, 10) : 0;
    if (lv == NULL || *end != '\0' || level < 1 || level > 3)
        return http_error(r, 400, "bad_request", "level must be 1 (strong blur), 2 (light "
                                                 "blur) or 3 (the stored preview)");
    id = strtoll(r->params[0], &end, 10);
    if (*end != '\0' || id <= 0)
        return http_error(r, 400, "bad_request", "the item id must be a positive number");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (review_item_held(r, d, id, ADMIN_CLAIMED, "previews are revealed", &item, &ret) != 0) {
        serve_db_put(r, d);
        return ret;
    }
    st = cg_review_preview_get(d->db, id, &data, &len, &err);
    if (st != CG_OK) {
        serve_db_put(r, d);
        return http_cg_error(r, st, err.message);
    }
    px = pgm_pixels(data, len, &w, &h);
    if (px == NULL) {
        serve_db_put(r, d);
        cg_free(data);
        return http_cg_error(r, CG_E_DECODE, "the stored preview is not a PGM");
    }
    if (level < 3) {
        int side = w > h ? w : h;
        int radius = level == 1 ? side / 12 + 1 : side / 40 + 1;
        st = cg_review_preview(px, w, h, 1, side, radius, &out, &out_len, &err);
        if (st != CG_OK) {
            serve_db_put(r, d);
            cg_free(data);
            return http_cg_error(r, st, err.message);
        }
    } else {
        out = data;
        out_len = len;
        data = NULL;
    }
    snprintf(format, sizeof(format), "pgm-level-%ld", level);
    if (audit_handout(r, d, "review_preview", id, format, out, out_len, &ret) != 0) {
        serve_db_put(r, d);
        cg_free(data);
        cg_free(out);
        return ret;
    }
    serve_db_put(r, d);
    cg_free(data);
    ret = http_bytes(r, 200, "image/x-portable-graymap", out, out_len);
    cg_free(out);
    return ret;
}
