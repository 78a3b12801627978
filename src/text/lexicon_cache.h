/* A cache of compiled lexicon databases (lexicon_cache.c): compiling the shipped cues with
 * Vectorscan is most of the time a text engine takes to open (about 0.3 s, several seconds
 * under AddressSanitizer), and the same cues compile to the same database every time. */
#ifndef CG_TEXT_LEXICON_CACHE_H
#define CG_TEXT_LEXICON_CACHE_H

#include <hs.h>
#include <stddef.h>
#include <stdint.h>

/* The key of a compile: SHA-256 over the Vectorscan version, the platform it compiles for, the
 * mode and every expression with its flags and id, in order. 0 when it cannot be computed. */
int cg__lexcache_key(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                     size_t n, uint8_t key[32]);

/* The database cached under key in dir, or NULL: no file, a file that is not a whole cache
 * entry for this key (checked: magic, key, length, SHA-256 of the bytes), a directory that is
 * not the user's own or is writable by others, or bytes Vectorscan does not accept (another
 * CPU). Never an error: the caller compiles. */
hs_database_t *cg__lexcache_load(const char *dir, const uint8_t key[32]);

/* Writes db under key in dir (created 0700 when missing), atomically (a temporary file renamed
 * over the entry); best effort, failures are ignored. */
void cg__lexcache_store(const char *dir, const uint8_t key[32], const hs_database_t *db);

#endif
