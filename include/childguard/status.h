/* childguard: status codes, error details and memory the library hands out.
 * Threading: all functions are thread-safe; a cg_error is owned by one caller. */
#ifndef CHILDGUARD_STATUS_H
#define CHILDGUARD_STATUS_H

#include <stddef.h>
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: values are pinned and never renumbered. */
typedef enum cg_status {
    CG_OK = 0,
    CG_E_NOMEM = 1,       /* an allocation failed */
    CG_E_INVAL = 2,       /* an argument or an input is malformed */
    CG_E_IO = 3,          /* reading or writing a file failed */
    CG_E_DECODE = 4,      /* the content could not be decoded (corrupt, truncated) */
    CG_E_LIMIT = 5,       /* the input exceeds a configured limit */
    CG_E_UNSUPPORTED = 6, /* the format or feature is not supported by this build */
    CG_E_NOTFOUND = 7,    /* the named thing does not exist */
    CG_E_BACKEND = 8,     /* a library the engine uses failed */
    CG_E_BUSY = 9         /* someone else holds it (a claimed review item, a lock) */
} cg_status;

#define CG_ERROR_MAX 256

/* Detail of the last failure of a call that took it: the status and one human-readable line
 * naming the input and the reason ("truncated JPEG: premature end of data"). The caller owns the
 * storage; calls that fail fill it, calls that succeed leave it untouched. */
typedef struct cg_error {
    cg_status status;
    char message[CG_ERROR_MAX];
} cg_error;

/* The enum name of a status, e.g. "CG_E_LIMIT"; "CG_E_UNKNOWN" for values not in the table. */
CG_API const char *cg_status_name(cg_status s);

/* A short English description, e.g. "input exceeds configured limit". */
CG_API const char *cg_status_text(cg_status s);

/* The status as one lower-case word for people and for JSON a client reads ("decode",
 * "limit", "not_found", "invalid", ...; "internal" for values not in the table). Front ends
 * show this, never the enum name: it is the same table as cg_status_name. */
CG_API const char *cg_status_word(cg_status s);

/* Frees memory that the library returned as writable (strings, arrays). NULL is a no-op. */
CG_API void cg_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
