/* childguard: the one ISO-8601 timestamp parser of the library and its programs (message times,
 * verdict times in reports, `audit expire --before`, `bank ... --until`).
 * Threading: pure function, thread-safe. */
#ifndef CHILDGUARD_TIMESTAMP_H
#define CHILDGUARD_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses "YYYY-MM-DD", optionally followed by "T" (or a space) "hh:mm:ss", an optional fraction
 * (".5", ".123456": milliseconds kept) and an optional zone: "Z" or "+hh:mm", "-hh:mm", "+hh",
 * "+hhmm"; no zone means UTC. The whole string must be the time, and the date must exist
 * (2026-02-30 is refused; a leap second :60 is allowed). *out_ms gets unix milliseconds;
 * has_time (may be NULL) says whether a time of day was given. CG_E_INVAL otherwise (*out_ms 0). */
CG_API cg_status cg_timestamp_parse(const char *s, int64_t *out_ms, int *has_time);

#ifdef __cplusplus
}
#endif
#endif
