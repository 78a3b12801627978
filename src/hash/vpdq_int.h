/* vPDQ internals shared by the hasher (vpdq.c) and the text reader (vpdq_text.c). */
#ifndef CG_HASH_VPDQ_INT_H
#define CG_HASH_VPDQ_INT_H

#include <stddef.h>

#include "childguard/vpdq.h"

/* Appends f to v->frames, growing the array geometrically (*cap is its capacity). */
cg_status cg__vpdq_push(cg_vpdq *v, size_t *cap, const cg_vpdq_frame *f);

#endif
