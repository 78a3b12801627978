/* Message timestamps as the front ends read them from JSON (chat exports, `text scan` input,
 * the server's /v1/messages): an ISO-8601 string ("2026-03-05T22:00:00Z", "+07:00" offsets,
 * fractions, a date alone) or a number of unix seconds (integer or fractional). */
#ifndef CG_PROGRAMS_MSGTIME_H
#define CG_PROGRAMS_MSGTIME_H

#include <jansson.h>
#include <stdint.h>

/* Unix milliseconds; 0 for an absent or null value; -1 when the value is not a timestamp. */
int64_t timestamp_parse_ms(json_t *v);

#endif
