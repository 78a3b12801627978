/* Printing matches (matcher.h) the same way in `match` and `scan`. */
#ifndef CG_PROGRAMS_MATCHPRINT_H
#define CG_PROGRAMS_MATCHPRINT_H

#include <jansson.h>

#include "childguard.h"

/* {"bank":..,"label":..,"kind":..,"signal_type":..,"distance":..,"threshold":..,
 *  "external_id":..,"source":..,"quality":..,"variant":..,"suppressed":..,"low_quality":..,
 *  "min_quality":.. (pdq),"disabled":..} */
json_t *matchprint_json(const cg_match *m);

/* "bank=NAME label=L distance=D/T id=EXT [variant] [why it is not acted on]". */
void matchprint_text(const cg_match *m, char *out, size_t n);

/* The column a match gets in text output: MATCH (acted on), ALLOWED (an allow match, or a block
 * match an allow match suppresses), LOW-QUALITY or DISABLED (shown, never acted on). */
const char *matchprint_tag(const cg_match *m);

/* Whether any match in list[first..] counts (a block match not suppressed). */
int matchprint_any_hit(const cg_match_list *list, size_t first);

/* Name of dihedral variant v ("original", "rot90", ...). */
const char *matchprint_variant_name(int v);

#endif
