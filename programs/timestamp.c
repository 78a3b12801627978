/* Message timestamps in the JSON the front ends read (timestamp.h). */
#include "timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t timestamp_parse_ms(json_t *v)
{
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v) * 1000;
    if (json_is_real(v))
        return (int64_t)(json_real_value(v) * 1000.0);
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    int Y, M, D, h = 0, m = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &used) != 3)
        return -1;
    s += used;
    double frac = 0;
    if (*s == 'T' || *s == ' ') {
        if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &used) != 3)
            return -1;
        s += 1 + used;
        if (*s == '.') {
            char *end;
            frac = strtod(s, &end);
            s = end;
        }
    }
    int off = 0;
    if (*s == '+' || *s == '-') {
        int oh, om = 0;
        if (sscanf(s + 1, "%2d:%2d", &oh, &om) < 1)
            return -1;
        off = (oh * 60 + om) * (*s == '+' ? 1 : -1);
    } else if (*s == 'Z') {
        s++;
    } else if (*s != '\0') {
        return -1;
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    return ((int64_t)t - off * 60) * 1000 + (int64_t)(frac * 1000.0);
}
