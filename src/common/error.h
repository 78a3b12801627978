/* Internal: filling a caller's cg_error. */
#ifndef CG_COMMON_ERROR_H
#define CG_COMMON_ERROR_H

#include "childguard/status.h"

/* Records status and a printf-style message in err (which may be NULL) and returns st, so a
 * failing path can say `return cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));`. */
cg_status cg__fail(cg_error *err, cg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
