/* Internal: when the matcher's refresher thread refreshes next (matcher.c), as arithmetic on
 * monotonic nanoseconds, so that the rule is tested without a clock (tests/unit/
 * test_refresh_schedule.c).
 *
 * A refresh starts at the tick (refresh_ms after the previous refresh *started*) or, sooner,
 * when the store tells of a change (a notice); either way not before the previous refresh's
 * pause has ended: CG__REFRESH_PAUSE_FACTOR times as long as that refresh took, at most
 * CG__REFRESH_PAUSE_MAX_MS. A cheap refresh (a reviewer's change: well under a millisecond)
 * pauses for nothing worth counting; a stream of commits (an exchange back-fill landing a page
 * every few milliseconds) makes every refresh large, and the pause keeps the refresher's share
 * of a core at 1 / (1 + factor), a fifth, instead of all of it (the duration that counts is the
 * refresher thread's CPU time).
 *
 * Staleness (docs/matching.md): a change committed at time t is in a published snapshot by
 *     t + d1 + max(refresh_ms, pause) + d2        (a notifying store: t + d1 + pause + d2)
 * with d1 what was left of the refresh running at t and d2 the next refresh's duration; the
 * pause adds at most CG__REFRESH_PAUSE_MAX_MS - refresh_ms to a polled store's bound (300 ms
 * with serve's 200 ms), and at most CG__REFRESH_PAUSE_MAX_MS to a notifying store's. */
#ifndef CG_MATCH_REFRESH_SCHEDULE_H
#define CG_MATCH_REFRESH_SCHEDULE_H

#include <stdint.h>

#define CG__REFRESH_PAUSE_FACTOR 4
#define CG__REFRESH_PAUSE_MAX_MS 500

typedef struct cg__refresh_clock {
    int64_t tick_at;   /* the next tick (ns) */
    int64_t pause_end; /* no refresh starts before this (ns) */
    int64_t period;    /* refresh_ms in ns */
} cg__refresh_clock;

/* A clock whose first tick is refresh_ms after now (refresh_ms > 0). */
void cg__refresh_clock_init(cg__refresh_clock *c, int64_t now_ns, int refresh_ms);

/* When the next refresh may start: the pause's end when a notice came (woken), else the later
 * of the tick and the pause's end. */
int64_t cg__refresh_clock_next(const cg__refresh_clock *c, int woken);

/* Records a refresh that ran from start_ns to end_ns and used busy_ns of the refresher
 * thread's CPU: the next tick is a period after its start, its pause ends
 * CG__REFRESH_PAUSE_FACTOR times busy_ns after its end (at most CG__REFRESH_PAUSE_MAX_MS). The
 * pause counts CPU, not wall time: on a loaded machine a cheap refresh may take long on the
 * clock, and pausing for that would only make changes later. A negative time counts as 0. */
void cg__refresh_clock_ran(cg__refresh_clock *c, int64_t start_ns, int64_t end_ns,
                           int64_t busy_ns);

#endif
