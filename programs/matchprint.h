/* Printing matches (matcher.h) the same way in `match` and `scan`. */
#ifndef CG_PROGRAMS_MATCHPRINT_H
#define CG_PROGRAMS_MATCHPRINT_H

#include <jansson.h>

#include "childguard.h"

/* The library's match object (cg_match_to_json, with "disabled") as a jansson value, to be
 * placed in a command's own output object. */
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
