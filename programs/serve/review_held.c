/* The check shared by the routes that hand out an item's quarantined material, a preview
 * (routes_reveal.c) or a text excerpt (routes_excerpt.c): the item is read for the key's
 * tenant (another tenant's answers as a missing one, 404), then it must be held — claimed by
 * the reviewer the request names — else 409. An admin key passes the reviewer test; with
 * ADMIN_ANY_STATE it passes whatever the item's state (excerpts), without it the item must
 * still be claimed (previews). */
#include <string.h>

#include "serve.h"

int review_item_held(serve_req *r, serve_db *d, int64_t id, int admin, const char *what,
                     cg_review_item *item, enum MHD_Result *ret)
{
    const char *reviewer = auth_reviewer(r, NULL, NULL);
    const int is_admin = auth_has(r, CG_SCOPE_ADMIN);
    cg_error err;
    cg_status st;
    int claimed, mine;

    st = cg_review_get(d->db, id, item, NULL, &err);
    if (st != CG_OK) {
        *ret = http_cg_error(r, st, err.message);
        return -1;
    }
    claimed = item->state == CG_REVIEW_CLAIMED;
    mine = claimed && reviewer != NULL && strcmp(item->reviewer, reviewer) == 0;
    if (mine || (is_admin && (claimed || admin == ADMIN_ANY_STATE)))
        return 0;
    *ret = http_error(r, 409, "busy", "claim the item first: %s only to the reviewer who holds "
                                      "the item", what);
    return -1;
}
