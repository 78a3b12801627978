/* Internal: finding spaces and bytes >= 0x80 in a normalised form eight bytes at a time (the
 * learned layer and the context markers walk every message's forms word by word; a byte loop or
 * a memchr call per word cost them more than the words' own work).
 *
 * Each 8-byte block is read with memcpy (no alignment needed) only when all eight bytes lie
 * inside [s, s + n); the tail is read byte by byte, so nothing past the form is read. The zero
 * test is the classic one ((x - 0x01..) & ~x & 0x80..): its lowest set bit marks the first zero
 * byte exactly (a false bit can only appear above a true zero byte, from the borrow).
 *
 * Threading: pure functions. */
#ifndef CG_TEXT_BYTESCAN_H
#define CG_TEXT_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CG__BYTES_01 0x0101010101010101ULL
#define CG__BYTES_80 0x8080808080808080ULL

/* The 8 bytes at p as a little-endian word (byte i of p in bits 8i .. 8i + 7). */
static inline uint64_t cg__bytes_load8(const char *p)
{
    uint64_t x;

    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* The index of the first ' ' in s[i .. n), or n when there is none. */
static inline size_t cg__bytes_space(const char *s, size_t i, size_t n)
{
    for (; i + 8 <= n; i += 8) {
        const uint64_t x = cg__bytes_load8(s + i) ^ (CG__BYTES_01 * ' ');
        const uint64_t z = (x - CG__BYTES_01) & ~x & CG__BYTES_80;

        if (z != 0)
            return i + (size_t)__builtin_ctzll(z) / 8;
    }
    while (i < n && s[i] != ' ')
        i++;
    return i;
}

/* The index of the first byte >= 0x80 in s[i .. n), or n when there is none. */
static inline size_t cg__bytes_wide(const char *s, size_t i, size_t n)
{
    for (; i + 8 <= n; i += 8) {
        const uint64_t z = cg__bytes_load8(s + i) & CG__BYTES_80;

        if (z != 0)
            return i + (size_t)__builtin_ctzll(z) / 8;
    }
    while (i < n && (unsigned char)s[i] < 0x80)
        i++;
    return i;
}

#endif
