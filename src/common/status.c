/* The one table of status names and texts (include/childguard/status.h). */
#include "childguard/status.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/error.h"

static const struct {
    const char *name;
    const char *text;
    const char *word; /* what front ends show (cg_status_word) */
} status_table[] = {
    [CG_OK] = {"CG_OK", "success", "ok"},
    [CG_E_NOMEM] = {"CG_E_NOMEM", "out of memory", "nomem"},
    [CG_E_INVAL] = {"CG_E_INVAL", "invalid argument or input", "invalid"},
    [CG_E_IO] = {"CG_E_IO", "input/output error", "io"},
    [CG_E_DECODE] = {"CG_E_DECODE", "content could not be decoded", "decode"},
    [CG_E_LIMIT] = {"CG_E_LIMIT", "input exceeds configured limit", "limit"},
    [CG_E_UNSUPPORTED] = {"CG_E_UNSUPPORTED", "format or feature not supported", "unsupported"},
    [CG_E_NOTFOUND] = {"CG_E_NOTFOUND", "not found", "not_found"},
    [CG_E_BACKEND] = {"CG_E_BACKEND", "backend library failed", "backend"},
    [CG_E_BUSY] = {"CG_E_BUSY", "held by someone else", "busy"},
};

#define STATUS_COUNT (sizeof(status_table) / sizeof(status_table[0]))

const char *cg_version(void)
{
    return CG_VERSION_STRING;
}

unsigned cg_version_number(void)
{
    return CG_VERSION_NUMBER;
}

const char *cg_status_name(cg_status s)
{
    if ((unsigned)s >= STATUS_COUNT || status_table[s].name == NULL)
        return "CG_E_UNKNOWN";
    return status_table[s].name;
}

const char *cg_status_text(cg_status s)
{
    if ((unsigned)s >= STATUS_COUNT || status_table[s].text == NULL)
        return "unknown status";
    return status_table[s].text;
}

const char *cg_status_word(cg_status s)
{
    if ((unsigned)s >= STATUS_COUNT || status_table[s].word == NULL)
        return "internal";
    return status_table[s].word;
}

cg_status cg__fail(cg_error *err, cg_status st, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return st;
    err->status = st;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return st;
}
