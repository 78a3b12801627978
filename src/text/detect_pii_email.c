/* Personal-data detectors (detect_pii.c): e-mail addresses, @handles and profile URLs, read in
 * the original. */
#include <stdlib.h>
#include <string.h>

#include "text/detect_pii_int.h"

static int email_local(int c)
{
    return is_alnum(c) || in_set(c, "._%+-");
}

static int domain_char(int c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

static const char *const PROVIDERS[] = {"gmail", "yahoo", "hotmail", "outlook", "icloud",
                                        "live", "protonmail", "proton", "ymail", "mail", NULL};

/* A domain of n bytes: labels of letters, digits and '-' separated by single dots, the last one
 * two or more letters. */
static int domain_ok(const char *s, size_t n)
{
    size_t label = 0, dots = 0, tld_alpha = 1;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return 0;
            dots++;
            label = 0;
            tld_alpha = 1;
            continue;
        }
        if (!is_alpha((unsigned char)s[i]))
            tld_alpha = 0;
        label++;
    }
    return dots > 0 && label >= 2 && tld_alpha;
}

void cg__pii_at_signs(scan *sc)
{
    static const char *const not_handles[] = {"home", "school", "work", "everyone", "all",
                                              "here", "channel", NULL};
    const char *t = sc->t;
    const size_t len = sc->len;
    const char *p = t;

    while ((p = memchr(p, '@', len - (size_t)(p - t))) != NULL) {
        const size_t at = (size_t)(p - t);
        size_t ls = at, de = at + 1;

        p++;
        while (ls > 0 && email_local((unsigned char)t[ls - 1]))
            ls--;
        while (ls < at && t[ls] == '.')
            ls++;
        if (ls < at) {
            /* An e-mail address: local@domain.tld, or local@provider. */
            while (de < len && domain_char((unsigned char)t[de]))
                de++;
            while (de > at + 1 && (t[de - 1] == '.' || t[de - 1] == '-'))
                de--;
            if (de > at + 1 && (domain_ok(t + at + 1, de - at - 1) ||
                                cg__pii_iany(t + at + 1, de - at - 1, PROVIDERS))) {
                push(sc, CG_FACET_EMAIL, 0.8f, ls, de);
                p = t + de;
            }
            continue;
        }
        /* An @handle: a letter or '_' first, 3 to 30 bytes, not the '@' of leetspeak inside a
         * Vietnamese word ("@nh", "@nhé") and not "@home". */
        if (at > 0 && (is_alnum((unsigned char)t[at - 1]) || (unsigned char)t[at - 1] >= 0x80))
            continue;
        de = at + 1;
        if (de >= len || !(is_alpha((unsigned char)t[de]) || t[de] == '_'))
            continue;
        while (de < len && de - at <= 31 &&
               (is_alnum((unsigned char)t[de]) || t[de] == '_' || t[de] == '.'))
            de++;
        while (t[de - 1] == '.')
            de--;
        if (de < len && ((unsigned char)t[de] >= 0x80 || is_alnum((unsigned char)t[de])))
            continue;
        if (de - at - 1 < 3 || cg__pii_iany(t + at + 1, de - at - 1, not_handles))
            continue;
        push(sc, CG_FACET_HANDLE, 0.6f, at, de);
    }
}

/* Obfuscated e-mail: "name at gmail dot com", "name (at) gmail", "name[at]mail.com". */
static int at_word(const char *t, size_t len, size_t i, size_t *end, int *bracket)
{
    static const char *const wrapped[] = {"(at)", "[at]", "{at}", "<at>", NULL};

    for (size_t k = 0; wrapped[k] != NULL; k++)
        if (i + 4 <= len && cg__pii_ieq(t + i, 4, wrapped[k])) {
            *end = i + 4;
            *bracket = 1;
            return 1;
        }
    if (i + 2 < len && lower(t[i]) == 'a' && lower(t[i + 1]) == 't' && is_space(t[i + 2]) &&
        i > 0 && is_space(t[i - 1])) {
        *end = i + 2;
        *bracket = 0;
        return 1;
    }
    return 0;
}

static int dot_word(const char *t, size_t len, size_t i, size_t *end)
{
    static const char *const wrapped[] = {"(dot)", "[dot]", "{dot}", "<dot>", NULL};

    for (size_t k = 0; wrapped[k] != NULL; k++)
        if (i + 5 <= len && cg__pii_ieq(t + i, 5, wrapped[k])) {
            *end = i + 5;
            return 1;
        }
    if (i + 3 <= len && lower(t[i]) == 'd' && lower(t[i + 1]) == 'o' && lower(t[i + 2]) == 't' &&
        (i + 3 == len || is_space(t[i + 3]))) {
        *end = i + 3;
        return 1;
    }
    if (t[i] == '.') {
        *end = i + 1;
        return 1;
    }
    return 0;
}

/* The bytes an "at" may start with: 1 for 'a' and 'A', 2 for an opening bracket. */
static const unsigned char at_start[256] = {['a'] = 1, ['A'] = 1, ['('] = 2, ['['] = 2,
                                            ['{'] = 2, ['<'] = 2};

void cg__pii_spelled_emails(scan *sc)
{
    const char *t = sc->t;
    const size_t len = sc->len;

    for (size_t i = 1; i + 2 < len; i++) {
        size_t e, ls, le, p, labels = 0, first_s = 0, first_e = 0, last_s = 0, last_e = 0;
        int bracket, spelled = 0;

        /* A cheap look at the bytes first: most positions are no "at" (one table load for a
         * byte that starts none). */
        if (at_start[(unsigned char)t[i]] == 0)
            continue;
        if (lower(t[i]) == 'a') {
            if (!is_space(t[i - 1]) || lower(t[i + 1]) != 't' || !is_space(t[i + 2]))
                continue;
        } else if (!((t[i] == '(' || t[i] == '[' || t[i] == '{' || t[i] == '<') &&
                     lower(t[i + 1]) == 'a')) {
            continue;
        }
        if (!at_word(t, len, i, &e, &bracket))
            continue;
        le = i;
        while (le > 0 && is_space(t[le - 1]))
            le--;
        ls = le;
        while (ls > 0 && email_local((unsigned char)t[ls - 1]))
            ls--;
        if (le - ls < 2 || (ls > 0 && (unsigned char)t[ls - 1] >= 0x80))
            continue;
        p = e;
        for (;;) {
            size_t s0, q = p, de;

            while (q < len && is_space(t[q]))
                q++;
            s0 = q;
            while (q < len && (is_alnum((unsigned char)t[q]) || t[q] == '-'))
                q++;
            if (q == s0)
                break;
            if (labels == 0) {
                first_s = s0;
                first_e = q;
            }
            last_s = s0;
            last_e = q;
            labels++;
            p = q;
            while (q < len && is_space(t[q]))
                q++;
            if (q >= len || !dot_word(t, len, q, &de) || labels >= 6)
                break;
            spelled |= t[q] != '.';
            p = de;
        }
        if (labels == 0)
            continue;
        if (labels >= 2) {
            int tld = last_e - last_s >= 2;

            for (size_t k = last_s; k < last_e; k++)
                tld &= is_alpha((unsigned char)t[k]);
            if (!tld) {
                labels = 1; /* "at home.5" and the like: keep only the first label */
                last_e = first_e;
            }
        }
        const int provider = cg__pii_iany(t + first_s, first_e - first_s, PROVIDERS);

        if (labels >= 2 ? (bracket || spelled || provider)
                        : (provider || (bracket && first_e - first_s >= 2))) {
            push(sc, CG_FACET_EMAIL, 0.8f, ls, labels >= 2 ? last_e : first_e);
            i = (labels >= 2 ? last_e : first_e) - 1;
        }
    }
}

/* Profile links: "facebook.com/x", "fb.com/x", "instagram.com/x", "t.me/x", "zalo.me/x". */
void cg__pii_profile_urls(scan *sc)
{
    static const char *const hosts[] = {"facebook.com", "fb.com", "instagram.com", "tiktok.com",
                                        "t.me", "zalo.me", "twitter.com", "x.com",
                                        "snapchat.com", "discord.gg", "discord.com", NULL};
    const char *t = sc->t;
    const char *p = t;

    while ((p = memchr(p, '/', sc->len - (size_t)(p - t))) != NULL) {
        const size_t slash = (size_t)(p - t);
        size_t e = slash + 1;

        p++;
        while (e < sc->len && (is_alnum((unsigned char)t[e]) || in_set(t[e], "._-@%?=&/")))
            e++;
        while (e > slash + 1 && in_set(t[e - 1], ".?&/"))
            e--;
        if (e == slash + 1)
            continue;
        for (size_t k = 0; hosts[k] != NULL; k++) {
            const size_t hn = strlen(hosts[k]);
            size_t s;

            if (slash < hn || !cg__pii_ieq(t + slash - hn, hn, hosts[k]))
                continue;
            s = slash - hn;
            if (s > 0 && (is_alnum((unsigned char)t[s - 1]) || t[s - 1] == '-'))
                continue; /* "notfacebook.com"; "m.facebook.com" stays (the dot) */
            push(sc, CG_FACET_HANDLE, 0.7f, s, e);
            p = t + e;
            break;
        }
    }
}
