/* Telling Vietnamese from English in one chat message (text.h, cg_text_detect_lang), so that
 * guidance is shown in the language the child wrote in.
 *
 * Only the two languages the catalogue has are told apart, and only well enough to choose a
 * guidance language; anything else (too short, no cue either way, a tie) is "unknown" and the
 * caller falls back to its configured default. Two kinds of evidence:
 *  - letters only Vietnamese writes: ă â đ ê ô ơ ư and the precomposed tone letters
 *    (U+1EA0..U+1EF9), or tone marks as combining characters (decomposed input). Each counts
 *    for three words: one such letter is strong evidence, and most Vietnamese words have one;
 *  - function words in plain ASCII: English ones, and Vietnamese ones as people type them
 *    without diacritics or in teencode ("ko", "dc", "minh", "ban"). Words that are common in
 *    both once the diacritics are gone ("the" = thế, "me" = mẹ, "to", "do", "a", "may") count
 *    for neither.
 * No allocation, no state: safe from any thread. */
#include <stdint.h>
#include <string.h>

#include "childguard/text.h"

static const char *const en_words[] = {
    "i",     "you",    "your",  "im",     "i'm",   "is",     "are",   "was",   "and",
    "it",    "my",     "what",  "don't",  "dont",  "not",    "this",  "that",  "with",
    "for",   "of",     "have",  "be",     "just",  "so",     "can",   "want",  "know",
    "we",    "he",     "she",   "they",   "please", "here",  "there", "anymore", "anyone",
    "at",    "all",    "yes",   "how",    "why",   "hi",     "hello", "would", "will",
    "if",    "about",  "when",  "where",  "who",   "send",   "pic",   "pics",  "photo",
    "school", "tell",  "one",   "no",     "like",  "can't",  "cant",  "nobody", "everyone",
    "alone", "really", "think", "should", "going", "feel",   "out",   "up",
};

static const char *const vi_words[] = {
    "ko",    "k",     "khong", "hok",   "hong",  "dc",    "duoc",  "ban",  "minh", "em",
    "anh",   "chi",   "toi",   "tao",   "la",    "cua",   "nay",   "di",   "oi",   "roi",
    "gi",    "vay",   "nha",   "nhe",   "co",    "chua",  "lam",   "thi",  "va",   "voi",
    "cho",   "nguoi", "mot",   "biet",  "dang",  "se",    "da",    "cung", "nhung", "day",
    "ne",    "ak",    "ah",    "j",     "bn",    "mk",    "mik",   "dk",   "vs",   "ny",
    "bao",   "nhieu", "tuoi",  "hoc",   "truong", "nua",  "qua",   "lai",  "muon", "ai",
    "sao",   "bi",    "duoi",  "tren",  "hay",   "chan",  "chet",
};

static int in_list(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
            return 1;
    return 0;
}

/* Decodes one UTF-8 sequence at s (n bytes left); *len gets its length (1 for a bad byte). */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *len)
{
    uint32_t c = s[0];
    size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                : (c & 0xF8) == 0xF0 ? 4 : 0;

    *len = 1;
    if (need <= 1 || need > n)
        return need == 1 ? c : 0xFFFD;
    c &= 0xFF >> (need + 1);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *len = need;
    return c;
}

static int vietnamese_letter(uint32_t c)
{
    switch (c) {
    case 0x0102: case 0x0103: /* Ă ă */
    case 0x00C2: case 0x00E2: /* Â â */
    case 0x0110: case 0x0111: /* Đ đ */
    case 0x00CA: case 0x00EA: /* Ê ê */
    case 0x00D4: case 0x00F4: /* Ô ô */
    case 0x01A0: case 0x01A1: /* Ơ ơ */
    case 0x01AF: case 0x01B0: /* Ư ư */
    case 0x0300: case 0x0301: case 0x0303: case 0x0309: case 0x0323: /* combining tones */
        return 1;
    default:
        return c >= 0x1EA0 && c <= 0x1EF9;
    }
}

const char *cg_text_detect_lang(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    char word[16];
    size_t wn = 0, i = 0;
    int vi = 0, en = 0, skip = 0; /* skip: the word is too long or not plain ASCII */

    if (text == NULL)
        return NULL;
    while (i <= len) {
        size_t k = 1;
        uint32_t c = i < len ? next_cp(s + i, len - i, &k) : ' ';

        if (vietnamese_letter(c))
            vi += 3;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'') {
            if (wn < sizeof(word))
                word[wn++] = (char)(c == '\'' ? c : (c | 0x20));
            else
                skip = 1;
        } else if (c >= 0x80) {
            skip = 1; /* a letter beyond ASCII: not one of the plain words below */
        } else {
            if (wn > 0 && !skip) {
                en += in_list(word, wn, en_words, sizeof(en_words) / sizeof(en_words[0]));
                vi += in_list(word, wn, vi_words, sizeof(vi_words) / sizeof(vi_words[0]));
            }
            wn = 0;
            skip = 0;
        }
        i += k;
    }
    if (vi > en)
        return "vi";
    if (en > vi)
        return "en";
    return NULL;
}
