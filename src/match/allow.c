/* The allow-list rule (matcher.h: cg_match_list_apply_allow): an operator's allow bank wins over
 * every block bank for the same content, whatever signal type either match came from. */
#include "childguard/matcher.h"

#include <string.h>

void cg_match_list_apply_allow(cg_match_list *list, size_t first)
{
    const cg_match *winner = NULL;

    if (list == NULL)
        return;
    for (size_t i = first; i < list->n; i++) {
        const cg_match *m = &list->v[i];

        /* Only an allow match that is itself acted on (not low quality, not disabled) wins. */
        if (m->kind == CG_BANK_ALLOW && !m->suppressed &&
            (winner == NULL || m->distance < winner->distance))
            winner = m;
    }
    if (winner == NULL)
        return;
    for (size_t i = first; i < list->n; i++) {
        cg_match *m = &list->v[i];

        if (m->kind != CG_BANK_BLOCK)
            continue;
        m->suppressed = 1;
        memcpy(m->suppressed_by, winner->bank, sizeof(m->suppressed_by));
    }
}
