/* The one ISO-8601 parser (include/childguard/timestamp.h). Hand-written rather than strptime:
 * strptime has no fractions or zones and accepts out-of-range days that timegm then moves into
 * the next month; here the calendar is checked by a round trip through timegm. */
#include "childguard/timestamp.h"

#include <string.h>
#include <time.h>

/* Reads exactly n decimal digits at *s into *v and advances *s; 0 when they are not there. */
static int digits(const char **s, int n, int *v)
{
    int x = 0;

    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return 0;
        x = 10 * x + ((*s)[i] - '0');
    }
    *s += n;
    *v = x;
    return 1;
}

static int zone(const char *s, int *off_min)
{
    int sign, oh, om = 0;

    *off_min = 0;
    if (*s == '\0')
        return 1;
    if (s[0] == 'Z')
        return s[1] == '\0';
    if (*s != '+' && *s != '-')
        return 0;
    sign = *s++ == '+' ? 1 : -1;
    if (!digits(&s, 2, &oh))
        return 0;
    if (*s == ':')
        s++;
    if (*s != '\0' && !digits(&s, 2, &om))
        return 0;
    if (*s != '\0' || oh > 23 || om > 59)
        return 0;
    *off_min = sign * (oh * 60 + om);
    return 1;
}

cg_status cg_timestamp_parse(const char *s, int64_t *out_ms, int *has_time)
{
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, off = 0, timed = 0;
    struct tm tm;
    time_t t;

    *out_ms = 0;
    if (has_time != NULL)
        *has_time = 0;
    if (s == NULL || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d))
        return CG_E_INVAL;
    if (*s == 'T' || *s == ' ') {
        s++;
        if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) || *s++ != ':' ||
            !digits(&s, 2, &se))
            return CG_E_INVAL;
        timed = 1;
        if (*s == '.') {
            int scale = 100, any = 0;
            for (s++; *s >= '0' && *s <= '9'; s++, any = 1) {
                ms += (*s - '0') * scale;
                scale /= 10;
            }
            if (!any)
                return CG_E_INVAL;
        }
    }
    if (!zone(s, &off) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return CG_E_INVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    t = timegm(&tm);
    /* timegm normalises out-of-range days: a round trip catches "2026-02-30". */
    if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d)
        return CG_E_INVAL;
    *out_ms = ((int64_t)t + h * 3600LL + mi * 60LL + se - off * 60LL) * 1000 + ms;
    if (has_time != NULL)
        *has_time = timed;
    return CG_OK;
}
