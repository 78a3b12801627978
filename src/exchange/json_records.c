/* The record loop of the JSON page parsers (StopNCII's hashRecords, ThreatExchange's data):
 * each element of a page's array goes through the driver's record parser, which appends a
 * record or counts the element as rejected; only running out of memory stops the page. */
#include "common/error.h"
#include "exchange_int.h"

cg_status cg__delta_parse_records(const char *name, json_t *array,
                                  cg_status (*parse)(json_t *r, size_t i, cg_exchange_delta *out),
                                  cg_exchange_delta *out, cg_error *err)
{
    for (size_t i = 0; i < json_array_size(array); i++) {
        const cg_status st = parse(json_array_get(array, i), i, out);

        if (st != CG_OK)
            return cg__fail(err, st, "%s: out of memory", name);
    }
    return CG_OK;
}
