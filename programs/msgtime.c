/* Message timestamps in the JSON the front ends read (msgtime.h). */
#include "msgtime.h"

#include "childguard.h"

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
    int64_t ms;
    return cg_timestamp_parse(json_string_value(v), &ms, NULL) == CG_OK ? ms : -1;
}
