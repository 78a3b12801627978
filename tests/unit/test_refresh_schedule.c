/* The matcher refresher's schedule (src/match/refresh_schedule.h), on made-up clock values: the
 * pause after a refresh, its cap, ticks counted from a refresh's start, notices waiting only for
 * the pause, and the staleness bound docs/matching.md states, checked over a sweep of refresh
 * durations (no wall clock involved). */
#include <stdint.h>

#include "cg_test.h"
#include "match/refresh_schedule.h"

#define MS 1000000LL

CG_TEST(refresh_schedule_cheap_refresh_keeps_the_tick)
{
    cg__refresh_clock c;

    cg__refresh_clock_init(&c, 1000 * MS, 200);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 0), 1200 * MS); /* the first tick */
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), 1000 * MS); /* a notice: at once */
    /* A 1 ms refresh: 4 ms of pause, the tick 200 ms after its start. */
    cg__refresh_clock_ran(&c, 1200 * MS, 1201 * MS, 1 * MS);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 0), 1400 * MS);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), 1205 * MS);
}

CG_TEST(refresh_schedule_expensive_refresh_pauses_four_times_its_duration)
{
    cg__refresh_clock c;

    cg__refresh_clock_init(&c, 0, 100);
    /* 60 ms: the pause (240 ms) outlasts the tick (100 ms after the start). */
    cg__refresh_clock_ran(&c, 0, 60 * MS, 60 * MS);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 0), 300 * MS);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), 300 * MS); /* a notice waits for it too */
    /* 400 ms: capped at 500 ms. */
    cg__refresh_clock_ran(&c, 1000 * MS, 1400 * MS, 400 * MS);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), 1900 * MS);
    /* Hostile clock values: a clock gone backwards is a zero duration; a huge one is capped
     * without overflow. */
    cg__refresh_clock_ran(&c, 5000 * MS, 4000 * MS, -1);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), 5000 * MS);
    cg__refresh_clock_ran(&c, 0, INT64_MAX - CG__REFRESH_PAUSE_MAX_MS * MS, INT64_MAX);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), INT64_MAX);
    /* The pause counts the CPU used, not the wall time: a 1 ms refresh that the machine's load
     * stretched to 300 ms pauses 4 ms. */
    cg__refresh_clock_ran(&c, 10000 * MS, 10300 * MS, 1 * MS);
    CG_ASSERT_EQ(cg__refresh_clock_next(&c, 1), 10304 * MS);
}

/* Back-to-back refreshes of duration d (a stream of commits) use at most a fifth of the time,
 * and a change committed just after a refresh started reading is published within
 * d + max(refresh_ms, pause) + d, the pause at most 500 ms: the stated bound. */
CG_TEST(refresh_schedule_duty_and_staleness_bound)
{
    const int periods[] = {50, 100, 200, 1000};

    for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
        for (int64_t d = 0; d <= 2000 * MS; d += d < 10 * MS ? MS / 2 : 7 * MS) {
            cg__refresh_clock c;
            int64_t t = 0, busy = 0;

            cg__refresh_clock_init(&c, t, periods[p]);
            for (int i = 0; i < 20; i++) {
                int64_t start = cg__refresh_clock_next(&c, 1); /* always a change waiting */
                CG_ASSERT_GE(start, t);
                cg__refresh_clock_ran(&c, start, start + d, d);
                busy += d;
                t = start + d;
            }
            /* Busy share <= 1 / (1 + factor) while the pause is not capped (counting the last
             * refresh's pause, not over yet). */
            if (d * CG__REFRESH_PAUSE_FACTOR <= CG__REFRESH_PAUSE_MAX_MS * MS)
                CG_ASSERT_LE(busy * (1 + CG__REFRESH_PAUSE_FACTOR),
                             t + CG__REFRESH_PAUSE_FACTOR * d);
            /* Staleness on a polled store: committed at the start of the last refresh (missed by
             * it), published at the end of the next one. */
            int64_t committed = t - d, next = cg__refresh_clock_next(&c, 0);
            int64_t wait = periods[p] * MS > CG__REFRESH_PAUSE_MAX_MS * MS
                               ? periods[p] * MS
                               : CG__REFRESH_PAUSE_MAX_MS * MS;
            CG_ASSERT_LE(next + d - committed, d + wait + d);
            /* A notifying store: within d + pause + d. */
            CG_ASSERT_LE(cg__refresh_clock_next(&c, 1) + d - committed,
                         d + CG__REFRESH_PAUSE_MAX_MS * MS + d);
        }
    }
}
