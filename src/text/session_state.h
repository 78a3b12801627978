/* Internal: saving and restoring a text session's conversation state (session_state.c), so
 * that a restart of the service does not forget an ongoing grooming trajectory. */
#ifndef CG_TEXT_SESSION_STATE_H
#define CG_TEXT_SESSION_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/text.h"

/* The largest saved conversation state accepted (bytes). */
#define CG__SESSION_STATE_MAX ((size_t)256 << 20)

/* Serialises every conversation of s into a new buffer (*out, cg_free; *len bytes). CG_E_LIMIT
 * when it would exceed CG__SESSION_STATE_MAX, CG_E_NOMEM. The caller serialises access to s. */
cg_status cg__text_session_state_save(cg_text_session *s, uint8_t **out, size_t *len,
                                      cg_error *err);
/* Replaces the conversations of s with those saved in buf (len bytes). The whole buffer is
 * checked first (magic, version, the build's dimensions, every length, count, index and
 * number): a truncated, foreign or corrupt buffer is refused (CG_E_DECODE, CG_E_UNSUPPORTED for
 * another version or dimensions) with an error naming what is wrong, and s is left as it was. */
cg_status cg__text_session_state_restore(cg_text_session *s, const uint8_t *buf, size_t len,
                                         cg_error *err);
/* Calls fn for each conversation id of s. */
void cg__text_session_each(cg_text_session *s, void (*fn)(void *ud, const char *id), void *ud);

/* text_engine.c: the session's conversation table (its address, to swap it). */
struct cg__convs **cg__text_session_convs(cg_text_session *s);

#endif
