/* GET /v1/review/<id>/excerpt: the conversation excerpt of a text review item, kept only under
 * the policy's text quarantine (docs/review.md "Text excerpts", docs/api.md).
 *
 * The same rules as the stepwise reveal of an image preview (routes_reveal.c): only a key with
 * the review scope (the router), only an item of the key's tenant (another tenant's is 404, as
 * a missing one), only for the reviewer who has claimed it (409; an admin key may look), only
 * when an excerpt is stored and not expired (404), and only after the audit record of the
 * hand-out ("review_excerpt": who, which item, the SHA-256 and size of what was sent) is
 * written: without an audit log nothing is handed out (503). An item id is 1 to 18 digits
 * (400 otherwise). */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

/* Parses the item id of the path: 1..18 ASCII digits, not 0. */
static int parse_id(const char *s, int64_t *id)
{
    size_t n = strlen(s);
    int64_t v = 0;

    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0)
        return -1;
    *id = v;
    return 0;
}

enum MHD_Result v1_review_excerpt(serve_req *r)
{
    int64_t id = 0;
    cg_review_item item;
    char *text = NULL;
    size_t len = 0;
    enum MHD_Result ret;
    serve_db *d;
    cg_error err;
    cg_status st;

    if (parse_id(r->params[0], &id) != 0)
        return http_error(r, 400, "bad_request", "the item id must be a positive number");
    d = serve_db_get(r, &ret);
    if (d == NULL)
        return ret;
    if (review_item_held(r, d, id, ADMIN_ANY_STATE, "excerpts are shown", &item, &ret) != 0) {
        serve_db_put(r, d);
        return ret;
    }
    st = cg_review_excerpt_get(d->db, id, &text, &len, NULL, &err);
    if (st != CG_OK) {
        serve_db_put(r, d);
        return http_cg_error(r, st, err.message);
    }
    if (audit_handout(r, d, "review_excerpt", id, "excerpt-json", text, len, &ret) != 0) {
        serve_db_put(r, d);
        cg_free(text);
        return ret;
    }
    serve_db_put(r, d);
    ret = http_bytes(r, 200, "application/json", text, len);
    cg_free(text);
    return ret;
}
