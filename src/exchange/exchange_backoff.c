/* The wait before an exchange is fetched again after runs that failed on a transient error
 * (HTTP 429, 5xx, no answer or a timeout): exponential, capped, with jitter, never shorter
 * than the exchange's Retry-After (itself capped, so a hostile answer cannot stop the
 * fetches for good). docs/exchange.md "Back-off". */
#include "exchange_int.h"

int64_t cg__exchange_backoff_delay(int failures, int64_t retry_after, uint64_t seed)
{
    int64_t d = CG__EXCHANGE_BACKOFF_BASE;
    uint64_t x = seed;

    if (failures < 1)
        return 0;
    for (int i = 1; i < failures && d < CG__EXCHANGE_BACKOFF_MAX; i++)
        d *= 2;
    if (d > CG__EXCHANGE_BACKOFF_MAX)
        d = CG__EXCHANGE_BACKOFF_MAX;
    /* "Equal jitter": half fixed, half drawn from the seed (splitmix64 of the exchange id,
     * the failure count and the clock's time), so exchanges that failed together spread out
     * and a test with a fixed clock gets a fixed answer. */
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    d = d / 2 + (int64_t)(x % (uint64_t)(d / 2 + 1));
    if (retry_after > CG__EXCHANGE_RETRY_AFTER_MAX)
        retry_after = CG__EXCHANGE_RETRY_AFTER_MAX;
    return retry_after > d ? retry_after : d;
}
