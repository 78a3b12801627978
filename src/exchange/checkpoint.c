/* The drivers' checkpoints (exchange_int.h): each driver keeps its own fields, all stored as one
 * compact JSON object with sorted keys, so that a checkpoint reads the same however often it is
 * written and a malformed one is refused by its driver with a clear error. */
#include "exchange/exchange_int.h"

#include <stdlib.h>

int cg__cp_get_int(json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);

    if (v == NULL)
        return 1;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return 0;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

cg_status cg__cp_emit(cg_exchange_delta *d, json_t *o)
{
    char *text;
    cg_status st;

    if (o == NULL)
        return CG_E_NOMEM;
    text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL)
        return CG_E_NOMEM;
    st = cg__delta_set_checkpoint(d, text);
    free(text);
    return st;
}
