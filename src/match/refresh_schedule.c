/* The refresher's schedule (refresh_schedule.h): pure arithmetic, no clock of its own. */
#include "match/refresh_schedule.h"

void cg__refresh_clock_init(cg__refresh_clock *c, int64_t now_ns, int refresh_ms)
{
    c->period = (int64_t)refresh_ms * 1000000;
    c->tick_at = now_ns + c->period;
    c->pause_end = now_ns;
}

int64_t cg__refresh_clock_next(const cg__refresh_clock *c, int woken)
{
    if (woken || c->tick_at < c->pause_end)
        return c->pause_end;
    return c->tick_at;
}

void cg__refresh_clock_ran(cg__refresh_clock *c, int64_t start_ns, int64_t end_ns,
                           int64_t busy_ns)
{
    const int64_t max = (int64_t)CG__REFRESH_PAUSE_MAX_MS * 1000000;
    int64_t took = busy_ns > 0 ? busy_ns : 0;
    /* took > max / factor: the cap applies (and the product cannot overflow). */
    int64_t pause = took > max / CG__REFRESH_PAUSE_FACTOR ? max : took * CG__REFRESH_PAUSE_FACTOR;

    c->tick_at = start_ns + c->period;
    c->pause_end = (end_ns > start_ns ? end_ns : start_ns) + pause;
}
