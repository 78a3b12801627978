/* Printing matches (matchprint.h). */
#include "matchprint.h"

#include <stdio.h>

const char *matchprint_variant_name(int v)
{
    return cg_pdq_dihedral_name(v);
}

json_t *matchprint_json(const cg_match *m)
{
    char *text = cg_match_to_json(m, CG_MATCH_JSON_DISABLED);
    json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;

    cg_free(text);
    return o != NULL ? o : json_object();
}

/* Why a match is not acted on, as a parenthesis for people ("" when it is acted on). */
static void why_not(const cg_match *m, char *out, size_t n)
{
    out[0] = '\0';
    if (m->disabled)
        snprintf(out, n, " (disabled: the bank or the hash is switched off; not acted on)");
    else if (m->low_quality && m->quality >= 0 && m->quality < m->min_quality)
        snprintf(out, n, " (low quality: the stored hash's quality %d is below %d; not acted on)",
                 m->quality, m->min_quality);
    else if (m->low_quality)
        snprintf(out, n, " (low quality: this image's PDQ quality is below %d; not acted on)",
                 m->min_quality);
    else if (m->suppressed)
        snprintf(out, n, " (suppressed by allow bank %s)",
                 m->suppressed_by[0] ? m->suppressed_by : "?");
}

void matchprint_text(const cg_match *m, char *out, size_t n)
{
    char why[128];

    why_not(m, why, sizeof(why));
    snprintf(out, n, "%s bank=%s label=%s %s distance=%d/%d%s%s%s%s%s", m->type->name, m->bank,
             m->label[0] ? m->label : "-", m->kind == CG_BANK_ALLOW ? "allow" : "block",
             m->distance, m->threshold, m->external_id[0] ? " id=" : "", m->external_id,
             m->variant > 0 ? " variant=" : "",
             m->variant > 0 ? matchprint_variant_name(m->variant) : "", why);
}

const char *matchprint_tag(const cg_match *m)
{
    if (m->disabled)
        return "DISABLED";
    if (m->low_quality)
        return "LOW-QUALITY";
    return m->kind == CG_BANK_ALLOW || m->suppressed ? "ALLOWED" : "MATCH";
}

int matchprint_any_hit(const cg_match_list *list, size_t first)
{
    for (size_t i = first; i < list->n; i++)
        if (list->v[i].kind == CG_BANK_BLOCK && !list->v[i].suppressed)
            return 1;
    return 0;
}
