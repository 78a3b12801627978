/* libFuzzer target for the text of a vPDQ frame list (cg_vpdq_parse: the reference's file form
 * and HMA's JSON exchange form, src/hash/vpdq_text.c). The input is not NUL-terminated: the
 * parser must read only len bytes, which ASan checks. Traps unless:
 *   - a failed parse leaves *out NULL and names the problem (a non-empty message);
 *   - a parsed list writes both forms, each parses back to as many frames, and the written
 *     text is a fixed point: format(parse(format(v))) == format(v), for both forms. */
#include <stdint.h>
#include <string.h>

#include "childguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes v in the form (0 file, 1 exchange), parses it back and writes it again: the same text
 * (three-decimal seconds read into a float print the same three decimals again). */
static void round_trip(const cg_vpdq *v, int json)
{
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    cg_vpdq *w = NULL;
    cg_error err;

    if ((json ? cg_vpdq_format_json(v->frames, v->count, &t1, &l1)
              : cg_vpdq_format(v, &t1, &l1)) != CG_OK)
        __builtin_trap(); /* every parsed frame prints */
    if (cg_vpdq_parse(t1, l1, 0, &w, &err) != CG_OK || w->count != v->count)
        __builtin_trap();
    if ((json ? cg_vpdq_format_json(w->frames, w->count, &t2, &l2)
              : cg_vpdq_format(w, &t2, &l2)) != CG_OK)
        __builtin_trap();
    if (l2 != l1 || memcmp(t1, t2, l1) != 0)
        __builtin_trap();
    cg_free(t1);
    cg_free(t2);
    cg_vpdq_destroy(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_vpdq *v = (cg_vpdq *)&size; /* must become NULL on failure */
    cg_error err = {CG_OK, ""};
    cg_status st = cg_vpdq_parse((const char *)data, size, 4096, &v, &err);

    if (st != CG_OK) {
        if (v != NULL || err.message[0] == '\0')
            __builtin_trap();
        return 0;
    }
    if (v == NULL || v->count == 0 || v->count > 4096)
        __builtin_trap();
    round_trip(v, 0);
    round_trip(v, 1);
    cg_vpdq_destroy(v);
    return 0;
}
