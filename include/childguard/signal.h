/* childguard: signal types. A signal type is one table row (ThreatExchange's names: "pdq",
 * "md5", "sha256", "vpdq"): its size, text form, distance and default threshold. Adding a
 * hash type means adding a row and its functions. A "vpdq" value is the identity (SHA-256) of
 * a video's frame list; the frames themselves are stored beside it (vpdq_bank.h).
 * Threading: the table is immutable; everything here is thread-safe. */
#ifndef CHILDGUARD_SIGNAL_H
#define CHILDGUARD_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CG_SIGNAL_MAX_BYTES 32

/* What a signal type is (cg_signal_type.flags). */
#define CG_SIGNAL_EXACT 1u      /* compared for equality (distance 0 or 1) */
#define CG_SIGNAL_PERCEPTUAL 2u /* compared by a distance with a threshold (PDQ bits) */
#define CG_SIGNAL_VIDEO 4u      /* a video's signal: its value is the identity of a frame list */
#define CG_SIGNAL_DIGEST 8u     /* a digest of the bytes (md5, sha256) */

typedef struct cg_signal_type {
    const char *name;          /* "pdq", "md5", "sha256" */
    size_t bytes;              /* binary size of one value */
    size_t hex_len;            /* length of its text form */
    int max_distance;          /* largest possible distance (1 for exact-only types) */
    int default_threshold;     /* match when distance <= this (0: exact) */
    /* Parses the text form into out (bytes long). CG_E_INVAL on bad text. */
    cg_status (*parse)(const char *text, size_t len, uint8_t *out);
    /* Writes the text form and a NUL into out (hex_len + 1 bytes). */
    void (*format)(const uint8_t *value, char *out);
    /* Distance between two values. */
    int (*distance)(const uint8_t *a, const uint8_t *b);
    unsigned flags;            /* CG_SIGNAL_* (appended: the struct grows at its end only) */
} cg_signal_type;

/* The row named name (exact, lowercase), or NULL. */
CG_API const cg_signal_type *cg_signal_type_find(const char *name);
/* The types a bare value of hex_len hex digits may be, in table order (64 digits: a PDQ hash
 * or a SHA-256 digest, both returned; 32: md5). Video identities are never guessed. Whether the
 * text parses is the caller's next step (each type's parse). Writes at most max rows into out
 * and returns how many there are (0: none). */
CG_API size_t cg_signal_type_guess(size_t hex_len, const cg_signal_type **out, size_t max);
/* Number of rows, and row i (NULL past the end), for listing. */
CG_API size_t cg_signal_type_count(void);
CG_API const cg_signal_type *cg_signal_type_at(size_t i);

#ifdef __cplusplus
}
#endif
#endif
