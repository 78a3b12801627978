/* childguard: vPDQ (video) signals in banks.
 *
 * A vPDQ signal is a list of frame hashes, so it does not fit the fixed value of a cg_bank_signal.
 * It is stored as a signal of type "vpdq" whose value is its identity: the SHA-256 of the
 * canonical text of the frame list (below), which makes the same video in one bank merge like
 * any other signal; its frames go to a table of their own (vpdq_frames, schema version 4,
 * docs/banks.md), deleted with the signal. Everything else (bank, provenance, disabled_until,
 * the change log, the audit records) is the signal's, as for the other types.
 *
 * Text: a frame list in a list file or an exchange is vpdq.h's exchange form (a JSON array of
 * "pdqHex,quality,timestamp" strings, python-threatexchange's and HMA's), written by
 * cg_vpdq_format_json and read by cg_vpdq_parse (which also reads the reference's file form).
 *
 * Canonical text (identity): one line per frame in list order, cg_vpdq_format_element and a
 * "\n" ("pdqhex,quality,timestamp", lower-case hex, the timestamp with three decimals). Frame
 * numbers are not part of it (the exchange form has none), so a video hashed here and the same
 * list read back from HMA have the same identity.
 *
 * Threading: as bank.h (one thread per cg_bankdb); cg_bank_vpdq_identity is thread-safe. */
#ifndef CHILDGUARD_VPDQ_BANK_H
#define CHILDGUARD_VPDQ_BANK_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "status.h"
#include "vpdq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most frames one stored vPDQ signal may have (a 1 fps hash of 277 hours). */
#define CG_BANK_VPDQ_MAX_FRAMES 1000000

/* The identity of a frame list: SHA-256 (32 bytes) of its canonical text. CG_E_NOMEM, or
 * CG_E_INVAL when frames is NULL with n > 0. */
CG_API cg_status cg_bank_vpdq_identity(const cg_vpdq_frame *frames, size_t n, uint8_t out[32]);

/* Stores the n frames (1..CG_BANK_VPDQ_MAX_FRAMES, as given: no quality filter at storage) as a
 * "vpdq" signal of bank_id, with optional provenance (NULL = ""). When the bank already holds
 * the same frame list (same identity) it is merged as cg_bank_signal_add does (empty fields
 * filled, *merged = 1) and no frame is written again. *signal_id (optional) receives the id.
 * One transaction; audited like cg_bank_signal_add ("signal_add" / "signal_merge"). */
CG_API cg_status cg_bank_vpdq_add(cg_bankdb *db, int64_t bank_id, const cg_vpdq_frame *frames,
                                  size_t n, const char *source, const char *external_id,
                                  const char *note, int64_t *signal_id, int *merged,
                                  cg_error *err);

/* Calls fn for each stored frame of signal_id in list order; a non-zero return stops (not an
 * error). A vpdq signal added with cg_bank_signal_add (no frames) has none; a signal id that
 * does not exist is CG_E_NOTFOUND. fn must not call cg_bank_vpdq_frames on the same db. */
CG_API cg_status cg_bank_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                                     int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                                     cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
