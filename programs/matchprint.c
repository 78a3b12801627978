/* Printing matches (matchprint.h). */
#include "matchprint.h"

#include <stdio.h>

const char *matchprint_variant_name(int v)
{
    return cg_pdq_dihedral_name(v);
}

json_t *matchprint_json(const cg_match *m)
{
    json_t *o = json_object();

    json_object_set_new(o, "bank", json_string(m->bank));
    json_object_set_new(o, "label", json_string(m->label));
    json_object_set_new(o, "kind", json_string(m->kind == CG_BANK_ALLOW ? "allow" : "block"));
    json_object_set_new(o, "signal_type", json_string(m->type->name));
    json_object_set_new(o, "distance", json_integer(m->distance));
    json_object_set_new(o, "threshold", json_integer(m->threshold));
    json_object_set_new(o, "signal_id", json_integer(m->signal_id));
    json_object_set_new(o, "external_id", json_string(m->external_id));
    json_object_set_new(o, "source", json_string(m->source));
    json_object_set_new(o, "quality", m->quality >= 0 ? json_integer(m->quality) : json_null());
    json_object_set_new(o, "variant", json_string(matchprint_variant_name(m->variant)));
    json_object_set_new(o, "suppressed", json_boolean(m->suppressed));
    json_object_set_new(o, "suppressed_by",
                        m->suppressed_by[0] ? json_string(m->suppressed_by) : json_null());
    json_object_set_new(o, "low_quality", json_boolean(m->low_quality));
    if (m->min_quality > 0)
        json_object_set_new(o, "min_quality", json_integer(m->min_quality));
    json_object_set_new(o, "disabled", json_boolean(m->disabled));
    return o;
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
