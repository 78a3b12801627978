/* Small text helpers of the hash-list reader (list_read_int.h): trimming, hex digits, quoting
 * text for messages, UTF-8 checks, and the spellings of column names and signal types. */
#include "store/list_read_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* Column names, lowercase, after ' ' and '-' became '_'. Within a role, earlier names win when a
 * header has several (a file with both "signal" and "hash" takes "signal"). "content_type" is
 * deliberately absent: it names the kind of media (photo, video), not the hash. */
static const struct {
    const char *name;
    enum role role;
} aliases[] = {
    {"signal_type", R_TYPE}, {"type", R_TYPE}, {"hash_type", R_TYPE}, {"indicator_type", R_TYPE},
    {"signal", R_VALUE}, {"signal_value", R_VALUE}, {"hash", R_VALUE}, {"hash_value", R_VALUE},
    {"value", R_VALUE}, {"indicator", R_VALUE},
    {"external_id", R_EXTID}, {"id", R_EXTID}, {"content_id", R_EXTID},
    {"bank_content_id", R_EXTID}, {"descriptor_id", R_EXTID}, {"indicator_id", R_EXTID},
    {"note", R_NOTE}, {"notes", R_NOTE}, {"description", R_NOTE}, {"comment", R_NOTE},
    {"label", R_LABEL}, {"tags", R_LABEL},
    {"quality", R_QUALITY}, {"pdq_quality", R_QUALITY},
    {"source", R_SOURCE}, {"owner", R_SOURCE}, {"collab", R_SOURCE},
    {"privacy_group", R_SOURCE},
    {"disabled_until", R_DISABLED},
};
#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Returns s with leading and trailing whitespace removed, in place. */
char *cg__list_trim(char *s)
{
    size_t n;

    while (cg__list_is_space((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && cg__list_is_space((unsigned char)s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

/* Writes at most 40 bytes of untrusted text into out (64 bytes), printable ASCII only, so a
 * reason can quote the input without carrying control bytes or broken UTF-8 into a log. */
void cg__list_quote_text(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n && i < 40; i++) {
        const unsigned char c = (unsigned char)s[i];

        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
int cg__list_utf8_valid(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;

    while (*s != '\0') {
        const unsigned char c = *s;
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* Folds a column name or key to the form of the alias table: lowercase, ' ' and '-' as '_',
 * surrounding whitespace dropped. Returns 0 when it does not fit out (64 bytes). */
int cg__list_fold_name(const char *name, char *out)
{
    size_t n, o;

    while (cg__list_is_space((unsigned char)*name))
        name++;
    n = strlen(name);
    while (n > 0 && cg__list_is_space((unsigned char)name[n - 1]))
        n--;
    if (n > 63)
        return 0;
    for (o = 0; o < n; o++) {
        const int c = lower((unsigned char)name[o]);

        out[o] = (char)(c == ' ' || c == '-' ? '_' : c);
    }
    out[o] = '\0';
    return 1;
}

/* The role of a folded column name, and its rank among the role's names; -1 if none. */
int cg__list_alias_role(const char *folded, size_t *rank)
{
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(aliases[i].name, folded) == 0) {
            *rank = i;
            return (int)aliases[i].role;
        }
    return -1;
}

/* The signal type of a spelling: pdq, PDQ, HASH_PDQ, photo_pdq, video_md5, ... (any case). */
const cg_signal_type *cg__list_type_from_spelling(const char *text)
{
    static const char *const prefixes[] = {"hash_", "photo_", "video_"};
    char folded[64];
    const char *name = folded;

    if (!cg__list_fold_name(text, folded))
        return NULL;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        const size_t n = strlen(prefixes[i]);

        /* "hash_" may precede "video_": ThreatExchange's HASH_VIDEO_VPDQ. */
        if (strncmp(name, prefixes[i], n) == 0) {
            name += n;
            if (i > 0)
                break;
        }
    }
    return cg_signal_type_find(name);
}

const char *cg__list_set_reason(cg__list_reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
    return r->reason;
}

