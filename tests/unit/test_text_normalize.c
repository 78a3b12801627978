/* src/text/normalize*.c: the folded and plain forms, the offset map and spans, invalid UTF-8,
 * limits, Vietnamese edge cases, teencode, leetspeak, look-alikes, spaced-out letters,
 * allocation failures and buffer reuse. */
#include "cg_test.h"

#include <stdint.h>

#include "childguard.h"
#include "common/alloc.h"
#include "text/normalize.h"

#define VI_TABLE CG_SOURCE_DATA_DIR "/text/teencode-vi.tsv"
#define EN_TABLE CG_SOURCE_DATA_DIR "/text/teencode-en.tsv"

/* ---- helpers -------------------------------------------------------------------------------- */

static void no_bad_rows(const char *path, uint64_t line, const char *reason, void *ud)
{
    (void)ud;
    cg_test_fail(__FILE__, __LINE__, "bad teencode row %s:%" PRIu64 ": %s", path, line, reason);
}

/* A normaliser with both shipped tables; every row must load. */
static cg__normalizer *open_tables(void)
{
    const char *paths[2] = {VI_TABLE, EN_TABLE};
    cg__normalizer *nz = NULL;
    cg_error err = {0};

    CG_ASSERT_OK(cg__normalizer_open_files(paths, 2, no_bad_rows, NULL, &nz, &err), &err);
    CG_ASSERT(nz != NULL);
    return nz;
}

/* Checks the invariants every successful result holds for an input of len bytes. */
static void check_form(const cg__textform *f, const char *text, size_t len, int valid)
{
    CG_ASSERT(f->s != NULL && f->src != NULL);
    CG_ASSERT_EQ(strlen(f->s), f->n);
    CG_ASSERT_EQ(f->src[f->n], len);
    if (f->n > 0) {
        CG_ASSERT(f->s[0] != ' ');
        CG_ASSERT(f->s[f->n - 1] != ' ');
    }
    for (size_t i = 0; i < f->n; i++) {
        size_t a, b;

        CG_ASSERT_LT(f->src[i], len);
        if (i > 0)
            CG_ASSERT_LE(f->src[i - 1], f->src[i]);
        CG_ASSERT(!(f->s[i] == ' ' && i + 1 < f->n && f->s[i + 1] == ' '));
        /* The span of one byte starts and ends on character boundaries of the original. */
        cg__textform_span(f, i, i + 1, &a, &b);
        CG_ASSERT_LT(a, b);
        CG_ASSERT_LE(b, len);
        if (valid) {
            CG_ASSERT(((unsigned char)text[a] & 0xC0) != 0x80);
            CG_ASSERT(b == len || ((unsigned char)text[b] & 0xC0) != 0x80);
        }
    }
}

/* Normalises text with the policy, checks the invariants and returns the result in *n. */
static void norm(const cg__normalizer *nz, const char *text, size_t len, cg__normalized *n)
{
    cg_error err = {0};

    CG_ASSERT_OK(cg__normalize(nz, text, len, CG__UTF8_REPLACE, 0, n, &err), &err);
    check_form(&n->folded, text, len, n->invalid == 0);
    check_form(&n->plain, text, len, n->invalid == 0);
}

/* Asserts the folded and plain forms of a NUL-terminated text. */
static void expect(const cg__normalizer *nz, const char *text, const char *folded,
                   const char *plain)
{
    cg__normalized n = {0};

    norm(nz, text, strlen(text), &n);
    if (folded != NULL && strcmp(n.folded.s, folded) != 0)
        cg_test_fail(__FILE__, __LINE__, "folded(\"%s\"): \"%s\", expected \"%s\"", text,
                     n.folded.s, folded);
    if (plain != NULL && strcmp(n.plain.s, plain) != 0)
        cg_test_fail(__FILE__, __LINE__, "plain(\"%s\"): \"%s\", expected \"%s\"", text,
                     n.plain.s, plain);
    cg__normalized_free(&n);
}

/* The original text behind bytes [a, b) of a form. */
static void expect_span(const cg__textform *f, const char *text, size_t a, size_t b,
                        const char *want)
{
    size_t s, e;

    cg__textform_span(f, a, b, &s, &e);
    if (e - s != strlen(want) || memcmp(text + s, want, e - s) != 0)
        cg_test_fail(__FILE__, __LINE__, "span [%zu, %zu) of \"%s\" is \"%.*s\", expected \"%s\"",
                     a, b, f->s, (int)(e - s), text + s, want);
}

/* Byte offset of the first occurrence of needle in the form, asserting there is one. */
static size_t find(const cg__textform *f, const char *needle)
{
    const char *p = strstr(f->s, needle);

    if (p == NULL)
        cg_test_fail(__FILE__, __LINE__, "\"%s\" not in \"%s\"", needle, f->s);
    return (size_t)(p - f->s);
}

/* ---- basic folding -------------------------------------------------------------------------- */

CG_TEST(text_normalize_case_space_punct)
{
    expect(NULL, "  Hello,   WORLD!!!  ", "hello world", "hello world");
    expect(NULL, "ab\tcd\r\nef--gh", "ab cd ef gh", "ab cd ef gh");
    expect(NULL, "?!...", "", "");
    expect(NULL, "x", "x", "x");
    expect(NULL, "emoji \xF0\x9F\x98\x80 here", "emoji here", "emoji here");
    /* Zero-width and format characters vanish without splitting the word. */
    expect(NULL, "s\xE2\x80\x8B" "ex s\xC2\xAD" "ex", "sex sex", "sex sex");
    /* Apostrophes between letters are dropped, others separate. */
    expect(NULL, "don't I\xE2\x80\x99m 'quoted'", "dont im quoted", "dont im quoted");
}

CG_TEST(text_normalize_empty)
{
    cg__normalized n = {0};

    norm(NULL, "", 0, &n);
    CG_ASSERT_EQ(n.folded.n, 0);
    CG_ASSERT_EQ(n.plain.n, 0);
    CG_ASSERT_STR_EQ(n.folded.s, "");
    CG_ASSERT_EQ(n.plain.src[0], 0);
    norm(NULL, NULL, 0, &n);
    CG_ASSERT_EQ(n.plain.n, 0);
    cg__normalized_free(&n);
    cg__normalized_free(&n); /* a freed struct is zeroed: freeing again is fine */
}

CG_TEST(text_normalize_nul_bytes)
{
    static const char text[] = "ab\0cd\0\0ef";
    cg__normalized n = {0};

    norm(NULL, text, sizeof(text) - 1, &n);
    CG_ASSERT_STR_EQ(n.folded.s, "ab cd ef");
    CG_ASSERT_EQ(n.folded.src[3], 3); /* "cd" starts after the NUL */
    CG_ASSERT_EQ(n.folded.src[2], 2); /* the space stands for the NUL */
    cg__normalized_free(&n);
}

/* ---- Vietnamese ----------------------------------------------------------------------------- */

CG_TEST(text_normalize_vietnamese_nfc_nfd)
{
    /* "không" precomposed (NFC) and decomposed (o + circumflex, NFD) meet. */
    expect(NULL, "kh\xC3\xB4ng", "kh\xC3\xB4ng", "khong");
    expect(NULL, "kho\xCC\x82ng", "kh\xC3\xB4ng", "khong");
    /* "Trẻ em" in both forms, and uppercase. */
    expect(NULL, "Tr\xE1\xBA\xBB em", "tr\xE1\xBA\xBB em", "tre em");
    expect(NULL, "Tre\xCC\x89 em", "tr\xE1\xBA\xBB em", "tre em");
    expect(NULL, "TR\xE1\xBA\xBA EM", "tr\xE1\xBA\xBB em", "tre em");
    /* đ/Đ, ư/ơ. */
    expect(NULL, "\xC4\x90\xC6\xAF\xE1\xBB\x9C\xC3\x9C \xC4\x91\xC6\xB0\xE1\xBB\x9Dng",
           "\xC4\x91\xC6\xB0\xE1\xBB\x9D\xC3\xBC \xC4\x91\xC6\xB0\xE1\xBB\x9Dng", "duou duong");
    expect(NULL, "\xC6\xA0i \xC6\xA1i \xC6\xAFu \xC6\xB0u",
           "\xC6\xA1i \xC6\xA1i \xC6\xB0u \xC6\xB0u", "oi oi uu uu");
    /* Order of two marks in NFD input does not matter (canonical ordering): ộ = o + ̂ + ̣ */
    expect(NULL, "o\xCC\x82\xCC\xA3 o\xCC\xA3\xCC\x82", "\xE1\xBB\x99 \xE1\xBB\x99", "o o");
}

/* Every Vietnamese vowel with every tone mark, lower and upper case, decomposed input: the
 * folded form is one precomposed lowercase character, the same as for the lowercase input, and
 * the plain form is the bare Latin vowel. */
CG_TEST(text_normalize_vietnamese_all_tones)
{
    static const struct {
        const char *lower, *upper; /* base vowel (possibly with its quality mark), decomposed */
        const char *plain;
    } vowels[] = {
        {"a", "A", "a"},
        {"a\xCC\x86", "A\xCC\x86", "a"}, /* ă */
        {"a\xCC\x82", "A\xCC\x82", "a"}, /* â */
        {"e", "E", "e"},
        {"e\xCC\x82", "E\xCC\x82", "e"}, /* ê */
        {"i", "I", "i"},
        {"o", "O", "o"},
        {"o\xCC\x82", "O\xCC\x82", "o"}, /* ô */
        {"o\xCC\x9B", "O\xCC\x9B", "o"}, /* ơ */
        {"u", "U", "u"},
        {"u\xCC\x9B", "U\xCC\x9B", "u"}, /* ư */
        {"y", "Y", "y"},
    };
    static const char *const tones[] = {
        "", "\xCC\x80", "\xCC\x81", "\xCC\x83", "\xCC\x89", "\xCC\xA3", /* none ` ´ ~ ? . */
    };
    cg__normalized lo = {0}, up = {0};

    for (size_t v = 0; v < sizeof(vowels) / sizeof(vowels[0]); v++) {
        for (size_t t = 0; t < sizeof(tones) / sizeof(tones[0]); t++) {
            char a[32], b[32];
            int32_t cp;
            size_t chars = 0;

            snprintf(a, sizeof(a), "x%s%sx", vowels[v].lower, tones[t]);
            snprintf(b, sizeof(b), "X%s%sX", vowels[v].upper, tones[t]);
            norm(NULL, a, strlen(a), &lo);
            norm(NULL, b, strlen(b), &up);
            CG_ASSERT_STR_EQ(lo.folded.s, up.folded.s);
            /* one character between the x's */
            for (size_t i = 1; i + 1 < lo.folded.n; i++)
                chars += ((unsigned char)lo.folded.s[i] & 0xC0) != 0x80;
            if (chars != 1)
                cg_test_fail(__FILE__, __LINE__, "\"%s\" folds to \"%s\"", a, lo.folded.s);
            (void)cp;
            CG_ASSERT_EQ(lo.plain.n, 3);
            CG_ASSERT_EQ(lo.plain.s[1], vowels[v].plain[0]);
            CG_ASSERT_STR_EQ(lo.plain.s, up.plain.s);
            /* The vowel's span is the whole decomposed cluster. */
            {
                size_t s, e;

                cg__textform_span(&lo.folded, 1, lo.folded.n - 1, &s, &e);
                CG_ASSERT_EQ(s, 1);
                CG_ASSERT_EQ(e, strlen(a) - 1);
                cg__textform_span(&lo.plain, 1, 2, &s, &e);
                CG_ASSERT_EQ(s, 1);
                CG_ASSERT_EQ(e, strlen(a) - 1);
            }
        }
    }
    cg__normalized_free(&lo);
    cg__normalized_free(&up);
}

/* ---- teencode ------------------------------------------------------------------------------- */

CG_TEST(text_normalize_teencode_vi)
{
    cg__normalizer *nz = open_tables();

    expect(nz, "E bn tu\xE1\xBB\x95i? K b\xC3\xADt \xC4\x91" "c j",
           "e bn tu\xE1\xBB\x95i k b\xC3\xADt \xC4\x91" "c j",
           "em bao nhieu tuoi khong biet duoc gi");
    /* Whole words only: the k of "ok" and of "100k" stays. */
    expect(nz, "ok k 100k", "ok k 100k", "ok khong 100k");
    expect(nz, "ko hok kh khg", NULL, "khong khong khong khong");
    expect(nz, "ny c\xE1\xBB\xA7" "a mk", NULL, "nguoi yeu cua minh");
    /* A key with diacritics matches only that spelling: rùi -> rồi, rủi stays. */
    expect(nz, "r\xC3\xB9i r\xE1\xBB\xA7i ro", NULL, "roi rui ro");
    /* Leetspeak meets teencode: "k0" -> "ko" -> "khong". */
    expect(nz, "k0", "ko", "khong");
    /* Uppercase and squeezed keys. */
    expect(nz, "KOOOO", "ko", "khong");
    /* Teencode only touches the plain form. */
    expect(nz, "vs", "vs", "voi");
    cg__normalizer_free(nz);
}

CG_TEST(text_normalize_teencode_en)
{
    cg__normalizer *nz = open_tables();

    expect(nz, "send noodz pls", NULL, "send nudes please");
    expect(nz, "n00ds", "noods", "nudes");
    expect(nz, "u r cute", NULL, "you roi cute"); /* r keeps its Vietnamese meaning */
    expect(nz, "a/s/l?", "asl", "age sex location");
    expect(nz, "ur pic b4 2nite", NULL, "your picture before tonight");
    cg__normalizer_free(nz);
}

static void count_rows(const char *path, uint64_t line, const char *reason, void *ud)
{
    (void)path;
    (void)reason;
    ((uint64_t *)ud)[0]++;
    ((uint64_t *)ud)[1] = ((uint64_t *)ud)[1] * 100 + line;
}

CG_TEST(text_normalize_teencode_bad_rows)
{
    char path[4096];
    FILE *f;
    cg__normalizer *nz = NULL;
    cg_error err = {0};
    uint64_t seen[2] = {0, 0};

    snprintf(path, sizeof(path), "%s/t.tsv", cg_test_tmpdir());
    f = fopen(path, "wb");
    CG_ASSERT(f != NULL);
    fputs("# comment\n"
          "\n"
          "xy\tabc def\n"         /* 3: fine */
          "no tab here\n"         /* 4: no tab */
          "two words\tfoo\n"      /* 5: key is two words */
          "xy\tother\n"           /* 6: duplicate */
          "zz\tfoo xy\n"          /* 7: expansion holds a key */
          "qq\tx y\n"             /* 8: single-letter words */
          "bad\xFF\tfoo\n"        /* 9: invalid UTF-8 */
          "-\tfoo\n"              /* 10: key normalises to nothing */
          "ww\twide word\tnote\r\n", /* 11: fine, with a note and CRLF */
          f);
    CG_ASSERT_EQ(fclose(f), 0);
    CG_ASSERT_OK(cg__normalizer_open(path, count_rows, seen, &nz, &err), &err);
    CG_ASSERT_EQ(seen[0], 7);
    expect(nz, "xy ww zz", NULL, "abc def wide word zz");
    cg__normalizer_free(nz);

    /* A missing file is an error naming it. */
    nz = (cg__normalizer *)&nz;
    CG_ASSERT_NE(cg__normalizer_open("/nonexistent/t.tsv", NULL, NULL, &nz, &err), CG_OK);
    CG_ASSERT(nz == NULL);
    CG_ASSERT(strstr(err.message, "/nonexistent/t.tsv") != NULL);
}

/* ---- squeeze, spaced letters, leetspeak, look-alikes ----------------------------------------- */

CG_TEST(text_normalize_squeeze)
{
    expect(NULL, "helloooo good cool", "hello good cool", "hello good cool");
    expect(NULL, "\xC4\x91\xE1\xBA\xB9pppp", "\xC4\x91\xE1\xBA\xB9p", "dep");
    expect(NULL, "1000 aaa", "1000 a", "1000 a"); /* digits are never squeezed */
    expect(NULL, "soooo", "so", "so");
}

/* The fast paths (bench/RESULTS.md, "round 6"): a run of ASCII is decoded without per-byte
 * checks up to one byte before a byte >= 0x80 (which may be a combining mark on the run's last
 * letter), an ASCII word is copied from the folded form to the plain form, and teencode keys are
 * rejected by length and first or last byte before hashing. The expected forms are those the
 * byte-at-a-time code gave before these paths existed. */
CG_TEST(text_normalize_ascii_runs)
{
    cg__normalizer *nz = open_tables();
    cg__normalized n = {0};
    char *big = cg__malloc(4096);

    /* A mark after runs of 15, 8 and 7 ASCII bytes (across the eight-byte steps). */
    expect(NULL, "abcdefghijklmne\xCC\x81 xyz", "abcdefghijklmn\xC3\xA9 xyz",
           "abcdefghijklmne xyz");
    expect(NULL, "abcdefgh\xCC\x81", "abcdefgh\xCC\x81", "abcdefgh");
    expect(NULL, "abcdefg\xCC\x81 12345678 hi", "abcdef\xC7\xB5 12345678 hi",
           "abcdefg 12345678 hi");
    /* ASCII and Vietnamese words side by side, squeezed runs in both. */
    expect(NULL, "CHAO xin ch\xC3\xA0o b\xE1\xBA\xA1n ooo",
           "chao xin ch\xC3\xA0o b\xE1\xBA\xA1n o", "chao xin chao ban o");
    /* Keys, and words that share a key's first byte and length but not its last byte. */
    expect(nz, "k ko kx dc dcx cooool ok", "k ko kx dc dcx col ok",
           "khong khong kx duoc dcx col ok");
    /* An ASCII word's plain bytes map to the same original offsets as its folded bytes. */
    norm(NULL, "see you at 7 tomorrow", 21, &n);
    CG_ASSERT_EQ(n.plain.n, n.folded.n);
    for (size_t i = 0; i <= n.plain.n; i++)
        CG_ASSERT_EQ(n.plain.src[i], n.folded.src[i]);
    /* A long hostile run: 4,000 ASCII bytes, then a mark on the last letter. */
    CG_ASSERT(big != NULL);
    for (size_t i = 0; i < 4000; i++)
        big[i] = i % 2 ? 'b' : 'a';
    big[3999] = 'e';
    memcpy(big + 4000, "\xCC\x81", 3);
    norm(nz, big, 4002, &n);
    CG_ASSERT_EQ(n.folded.n, 4001);
    CG_ASSERT(memcmp(n.folded.s + 3999, "\xC3\xA9", 2) == 0);
    CG_ASSERT_EQ(n.plain.n, 4000);
    CG_ASSERT_EQ(n.plain.s[3999], 'e');
    CG_ASSERT_EQ(n.plain.src[3999], 3999);
    cg__free(big);
    cg__normalized_free(&n);
    cg__normalizer_free(nz);
}

CG_TEST(text_normalize_spaced_letters)
{
    expect(NULL, "s e x", "sex", "sex");
    expect(NULL, "S.E.X please", "sex please", "sex please");
    expect(NULL, "s-e-x, s_e_x; s*e*x", "sex sex sex", "sex sex sex");
    expect(NULL, "g \xE1\xBB\xAD i  \xE1\xBA\xA3 n h", "g\xE1\xBB\xADi \xE1\xBA\xA3nh", "gui anh");
    expect(NULL, "a b", "a b", "a b");             /* two letters: not a spaced word */
    expect(NULL, "i am a b", "i am a b", "i am a b");
    expect(NULL, "x y z w", "xyzw", "xyzw");
    expect(NULL, "s e x, now", "sex now", "sex now");
}

CG_TEST(text_normalize_leet)
{
    expect(NULL, "h0t s3x l33t n00ds ph0t0", "hot sex leet noods photo", "hot sex leet noods photo");
    /* Digits on their own, at the start of a word (ages, amounts) or a number stay. */
    expect(NULL, "12 0912345678 13t 100k 5h covid19 mp3", "12 0912345678 13t 100k 5h covid19 mp3",
           NULL);
    expect(NULL, "h@te @john a$$ $ex $100", "hate john ass sex 100", NULL);
    expect(NULL, "abc@gmail.com", "abcagmail com", NULL);
}

CG_TEST(text_normalize_homoglyphs)
{
    /* Cyrillic ѕ е х, р а у; Greek ο α; fullwidth letters; mathematical bold. */
    expect(NULL, "\xD1\x95\xD0\xB5\xD1\x85 \xD1\x80\xD0\xB0\xD1\x83", "sex pay", "sex pay");
    expect(NULL, "g\xCE\xBF\xCE\xBF" "d \xCE\xB1nal", "good anal", NULL);
    expect(NULL, "\xEF\xBD\x93\xEF\xBD\x85\xEF\xBD\x98 \xEF\xBC\xA8\xEF\xBC\xAF\xEF\xBC\xB4",
           "sex hot", NULL);
    expect(NULL, "\xF0\x9D\x90\xAC\xF0\x9D\x90\x9E\xF0\x9D\x90\xB1", "sex", NULL);
    /* Uppercase Cyrillic look-alikes: С Е Х */
    expect(NULL, "\xD0\xA1\xD0\x95\xD0\xA5", "cex", NULL);
}

/* ---- offsets and spans ---------------------------------------------------------------------- */

CG_TEST(text_normalize_spans)
{
    cg__normalizer *nz = open_tables();
    cg__normalized n = {0};
    const char *t;
    size_t a;

    /* Decomposed "không": the ô of the form spans o + combining circumflex (3 bytes). */
    t = "ab kho\xCC\x82ng! cd";
    norm(nz, t, strlen(t), &n);
    a = find(&n.folded, "kh\xC3\xB4ng");
    expect_span(&n.folded, t, a, a + 6, "kho\xCC\x82ng");
    expect_span(&n.folded, t, a + 2, a + 4, "o\xCC\x82");
    expect_span(&n.folded, t, a + 2, a + 3, "o\xCC\x82"); /* part of a character: all of it */
    a = find(&n.plain, "khong");
    expect_span(&n.plain, t, a + 2, a + 3, "o\xCC\x82");

    /* A teencode expansion spans its short form; the span of any part of it too. */
    t = "e k bi\xE1\xBA\xBFt";
    norm(nz, t, strlen(t), &n);
    CG_ASSERT_STR_EQ(n.plain.s, "em khong biet");
    expect_span(&n.plain, t, 0, 2, "e");
    expect_span(&n.plain, t, 3, 8, "k");
    expect_span(&n.plain, t, 4, 5, "k");
    expect_span(&n.plain, t, 9, 13, "bi\xE1\xBA\xBFt");
    expect_span(&n.plain, t, 0, 8, "e k");

    /* Squeezed letters: the kept letter spans the whole run. */
    t = "helloooo you";
    norm(nz, t, strlen(t), &n);
    expect_span(&n.folded, t, 0, 5, "helloooo");
    expect_span(&n.folded, t, 4, 5, "oooo");

    /* Spaced letters: the joined word spans the letters and the gaps between them. */
    t = "hi s e x!";
    norm(nz, t, strlen(t), &n);
    a = find(&n.folded, "sex");
    expect_span(&n.folded, t, a, a + 3, "s e x");

    /* Several characters into one unit (NFKC of the ligature ﬁ gives two letters). */
    t = "\xEF\xAC\x81ne";
    norm(nz, t, strlen(t), &n);
    CG_ASSERT_STR_EQ(n.folded.s, "fine");
    expect_span(&n.folded, t, 0, 1, "\xEF\xAC\x81");
    expect_span(&n.folded, t, 1, 2, "\xEF\xAC\x81");
    expect_span(&n.folded, t, 2, 4, "ne");

    /* Empty and out-of-range spans. */
    {
        size_t s, e;

        cg__textform_span(&n.folded, 2, 2, &s, &e);
        CG_ASSERT_EQ(s, e);
        cg__textform_span(&n.folded, 0, 1000, &s, &e);
        CG_ASSERT_EQ(s, 0);
        CG_ASSERT_EQ(e, strlen(t));
    }
    cg__normalized_free(&n);
    cg__normalizer_free(nz);
}

/* ---- invalid UTF-8 and limits --------------------------------------------------------------- */

CG_TEST(text_normalize_invalid_utf8)
{
    /* stray continuation, truncated 3-byte, overlong, surrogate, > U+10FFFF, bad lead */
    static const char text[] = "ok\x80x \xE1\xBA y \xC0\xAF z \xED\xA0\x80 w \xF4\x90\x80\x80 "
                               "v\xFFu";
    cg__normalized n = {0};
    cg_error err = {0};
    cg_status st;

    norm(NULL, text, sizeof(text) - 1, &n);
    CG_ASSERT_STR_EQ(n.folded.s, "ok x y z w v u");
    CG_ASSERT_EQ(n.invalid, 1 + 1 + 2 + 3 + 4 + 1);

    st = cg__normalize(NULL, text, sizeof(text) - 1, CG__UTF8_REJECT, 0, &n, &err);
    CG_ASSERT_EQ(st, CG_E_INVAL);
    CG_ASSERT_EQ(err.status, CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "offset 2") != NULL);
    CG_ASSERT_EQ(n.folded.n, 0);
    CG_ASSERT_EQ(n.plain.n, 0);
    CG_ASSERT_EQ(n.invalid, 1);

    /* Valid text passes REJECT; a truncated sequence at the very end is caught. */
    CG_ASSERT_OK(cg__normalize(NULL, "kh\xC3\xB4ng", 6, CG__UTF8_REJECT, 0, &n, &err), &err);
    CG_ASSERT_STR_EQ(n.plain.s, "khong");
    st = cg__normalize(NULL, "kh\xC3", 3, CG__UTF8_REJECT, 0, &n, &err);
    CG_ASSERT_EQ(st, CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "offset 2") != NULL);
    CG_ASSERT_EQ(cg__normalize(NULL, "x", 1, 7, 0, &n, &err), CG_E_INVAL);
    cg__normalized_free(&n);
}

CG_TEST(text_normalize_limits)
{
    const size_t big = 10u << 20;
    char *text = malloc(big);
    cg__normalized n = {0};
    cg_error err = {0};

    CG_ASSERT(text != NULL);
    for (size_t i = 0; i < big; i++)
        text[i] = "hello world k\xC3\xB4ng "[i % 16];
    CG_ASSERT_EQ(cg__normalize(NULL, text, 11, CG__UTF8_REPLACE, 10, &n, &err), CG_E_LIMIT);
    CG_ASSERT_EQ(err.status, CG_E_LIMIT);
    CG_ASSERT_EQ(n.folded.n, 0);
    CG_ASSERT_OK(cg__normalize(NULL, text, 11, CG__UTF8_REPLACE, 11, &n, &err), &err);
    CG_ASSERT_STR_EQ(n.folded.s, "hello world");
    /* 10 MB: over the default 1 MiB limit at once; allowed with a larger limit. */
    CG_ASSERT_EQ(cg__normalize(NULL, text, big, CG__UTF8_REPLACE, 0, &n, &err), CG_E_LIMIT);
    CG_ASSERT_OK(cg__normalize(NULL, text, big, CG__UTF8_REPLACE, big, &n, &err), &err);
    CG_ASSERT_EQ(n.folded.src[n.folded.n], big);
    CG_ASSERT_GT(n.plain.n, big / 2);
    free(text);
    cg__normalized_free(&n);
}

/* ---- stability, reuse, allocation failures -------------------------------------------------- */

CG_TEST(text_normalize_plain_idempotent)
{
    static const char *const samples[] = {
        "E bn tu\xE1\xBB\x95i? K b\xC3\xADt \xC4\x91" "c j",
        "send n00dz pls u r s0 h0t",
        "g \xE1\xBB\xAD i  \xE1\xBA\xA3 n h cho a",
        "helloooo W\xD0\xBE" "R\xD0\x86" "D \xEF\xBC\xA8\xEF\xBD\x89",
        "\xC4\x90\xE1\xBA\xB8PPP QU\xC3\x81\xC3\x81\xC3\x81 ko co j",
        "a.b.c d-e-f 0912345678 13t",
    };
    cg__normalizer *nz = open_tables();
    cg__normalized a = {0}, b = {0};

    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        norm(nz, samples[i], strlen(samples[i]), &a);
        norm(nz, a.plain.s, a.plain.n, &b);
        CG_ASSERT_STR_EQ(b.plain.s, a.plain.s);
        norm(nz, a.folded.s, a.folded.n, &b);
        CG_ASSERT_STR_EQ(b.folded.s, a.folded.s);
    }
    cg__normalized_free(&a);
    cg__normalized_free(&b);
    cg__normalizer_free(nz);
}

CG_TEST(text_normalize_plain_pattern)
{
    cg__normalizer *nz = open_tables();
    cg_error err = {0};
    char *s = (char *)&s;
    size_t n = 99;
    const char *t;

    t = "Kh\xC3\xB4ng ai B\xC3\x8DT";
    CG_ASSERT_OK(cg__normalize_plain(nz, t, strlen(t), &s, &n, &err), &err);
    CG_ASSERT_STR_EQ(s, "khong ai biet");
    CG_ASSERT_EQ(n, 13);
    cg__free(s);
    CG_ASSERT_OK(cg__normalize_plain(nz, "", 0, &s, &n, &err), &err);
    CG_ASSERT_STR_EQ(s, "");
    cg__free(s);
    cg__normalizer_free(nz);
}

CG_TEST(text_normalize_reuse_no_alloc)
{
    cg__normalizer *nz = open_tables();
    cg__normalized n = {0};
    const char *msgs[] = {"warm up with a long enough message k\xC3\xB4ng \xC4\x91\xC6\xB0\xE1\xBB\xA3" "c "
                          "kho\xCC\x82ng \xEF\xAC\x81",
                          "e bn tu\xE1\xBB\x95i", "hi", "", "kho\xCC\x82ng k"};

    norm(nz, msgs[0], strlen(msgs[0]), &n);
    cg__alloc_fail_at(0);
    for (size_t i = 1; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        norm(nz, msgs[i], strlen(msgs[i]), &n);
    CG_ASSERT_EQ(cg__alloc_count(), 0);
    cg__normalized_free(&n);
    cg__normalizer_free(nz);
}

static void fail_each(const char *what, cg_status (*op)(void))
{
    long nth;

    for (nth = 1; nth < 100000; nth++) {
        cg_status st;
        long made;

        cg__alloc_fail_at(nth);
        st = op();
        made = cg__alloc_count();
        cg__alloc_fail_at(0);
        if (made < nth) {
            CG_ASSERT_EQ(st, CG_OK);
            break;
        }
        if (st != CG_E_NOMEM)
            cg_test_fail(__FILE__, __LINE__, "%s: allocation %ld failed, got %s", what, nth,
                         cg_status_name(st));
    }
    printf("%s: %ld allocation points\n", what, nth - 1);
    CG_ASSERT_GT(nth, 1);
}

static cg_status op_open(void)
{
    const char *paths[2] = {VI_TABLE, EN_TABLE};
    cg__normalizer *nz = (cg__normalizer *)&nz;
    cg_error err = {0};
    cg_status st = cg__normalizer_open_files(paths, 2, NULL, NULL, &nz, &err);

    if (st == CG_OK)
        cg__normalizer_free(nz);
    else
        CG_ASSERT(nz == NULL);
    return st;
}

CG_TEST(text_normalize_alloc_failure)
{
    fail_each("normalizer_open", op_open);
}

static cg__normalizer *alloc_nz;

static cg_status op_normalize_counted(void)
{
    static const char text[] = "Tre\xCC\x89 em \xEF\xAC\x81ne k ko ny \xF0\x9D\x90\xAC "
                               "\xEF\xB7\xBA \xEF\xB7\xBA \xEF\xB7\xBA \xEF\xB7\xBA "
                               "s e x hellooo";
    cg__normalized n = {0};
    cg_error err = {0};
    cg_status st = cg__normalize(alloc_nz, text, sizeof(text) - 1, CG__UTF8_REPLACE, 0, &n, &err);

    if (st == CG_OK)
        CG_ASSERT_STR_EQ(n.folded.s, "trẻ em fine k ko ny s صلى الله عليه وسلم صلى الله عليه "
                                     "وسلم صلى الله عليه وسلم صلى الله عليه وسلم sex hello");
    else
        CG_ASSERT_EQ(n.folded.n, 0);
    cg__normalized_free(&n);
    return st;
}

static cg_status op_plain(void)
{
    char *s = (char *)&s;
    size_t n = 1;
    cg_error err = {0};
    const char *t = "Kh\xC3\xB4ng ai bi\xE1\xBA\xBFt k";
    cg_status st = cg__normalize_plain(alloc_nz, t, strlen(t), &s, &n, &err);

    if (st == CG_OK) {
        CG_ASSERT_STR_EQ(s, "khong ai biet khong");
        cg__free(s);
    } else {
        CG_ASSERT(s == NULL && n == 0);
    }
    return st;
}

CG_TEST(text_normalize_alloc_failure_normalize)
{
    alloc_nz = open_tables();
    fail_each("normalize", op_normalize_counted);
    fail_each("normalize_plain", op_plain);
    cg__normalizer_free(alloc_nz);
}

/* ---- the one-pass writer against the unit path ---------------------------------------------- */

/* Whether two results are the same bytes, offsets and counts, except the offset after the end
 * (the message's length: b's text is longer). */
static int same_result(const cg__normalized *a, const cg__normalized *b)
{
    const cg__textform *fa[2] = {&a->folded, &a->plain}, *fb[2] = {&b->folded, &b->plain};

    if (a->invalid != b->invalid)
        return 0;
    for (int k = 0; k < 2; k++) {
        if (fa[k]->n != fb[k]->n || fa[k]->last_end != fb[k]->last_end ||
            memcmp(fa[k]->s, fb[k]->s, fa[k]->n) != 0 ||
            memcmp(fa[k]->src, fb[k]->src, fa[k]->n * sizeof(uint32_t)) != 0)
            return 0;
    }
    return 1;
}

/* Most messages are written in one pass (normalize_stream); a lone '@' makes the normaliser
 * give that up and take the unit path, and " @" after a message changes none of its words. So
 * every text T must normalise as T + " @" does, but for the offset after the end. Synthetic
 * fragments (written for this test) are glued at random with separators, apostrophes, marks,
 * look-alikes, teencode, leetspeak, spaced and repeated letters, invalid bytes and NULs; both
 * UTF-8 policies; a fixed seed. */
CG_TEST(text_normalize_one_pass_matches_unit_path)
{
    static const char *const frag[] = {
        "g\xE1\xBB\xAD" "i \xE1\xBA\xA3nh", "em h\xE1\xBB\x8D" "c l\xE1\xBB\x9Bp 6", "sdt 0912",
        "k", "ko", "dc", "j", "e", "a", "s e x", "s.e.x", "h0t", "s3x", "n00ds", "k0", "13t",
        "don't", "I\xE2\x80\x99m", "you're", "helloooo", "\xC4\x91\xE1\xBA\xB9pppp", "aaa", "xx",
        "000", "\xD1\x95\xD0\xB5nd", "\xEF\xBC\xB3\xEF\xBC\xA5\xEF\xBC\xAE\xEF\xBC\xA4",
        "\xEF\xAC\x81ne", "kho\xCC\x82ng", "o\xCC\xA3\xCC\x82", "KH\xC3\x94NG", "\xC4\x90",
        "\xC6\xB0\xC6\xB0\xC6\xB0", "\xC3\xB4oo", "\xC8\xBA", "\xE2\x80\x8B", "s\xE2\x80\x8B" "ex",
        "r\xC3\xB9i", "ny", "hok", "w\xC3\xA1", "x\xCC\xB6y\xCC\xB4",
        "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
        "\xEF\xB7\xBA", "0", "7", "Q", "\xC3\x85", "A\xCC\x8A", "i'", "'",
    };
    static const char *const sep[] = {" ", " ", " ", "", ".", "-", "  ", ",", "'", "\xE2\x80\x99",
                                      "\xCC\x81", "\xFF", "\xE2\x80", "\n"};
    cg__normalizer *nz = open_tables();
    cg__normalized a = {0}, b = {0};
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    char buf[512];
    size_t checked = 0;

    for (int it = 0; it < 20000; it++) {
        size_t n = 0;
        const int parts = 1 + (int)(it % 9);
        const int policy = it % 5 == 0 ? CG__UTF8_REJECT : CG__UTF8_REPLACE;
        cg_error err = {0};
        cg_status sa, sb;

        for (int i = 0; i < parts; i++) {
            const char *f, *s;

            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            f = frag[rng % (sizeof(frag) / sizeof(*frag))];
            s = sep[(rng >> 20) % (sizeof(sep) / sizeof(*sep))];
            if (n + strlen(f) + strlen(s) + 3 > sizeof(buf))
                break;
            memcpy(buf + n, f, strlen(f));
            n += strlen(f);
            if ((rng >> 40) % 7 == 0) /* a NUL now and then */
                buf[n++] = '\0';
            memcpy(buf + n, s, strlen(s));
            n += strlen(s);
        }
        sa = cg__normalize(nz, buf, n, policy, 0, &a, &err);
        memcpy(buf + n, " @", 2);
        sb = cg__normalize(nz, buf, n + 2, policy, 0, &b, &err);
        CG_ASSERT_EQ(sa, sb);
        if (sa != CG_OK)
            continue;
        if (!same_result(&a, &b))
            cg_test_fail(__FILE__, __LINE__, "\"%.*s\": one pass \"%s\" | \"%s\", unit path "
                         "\"%s\" | \"%s\"", (int)n, buf, a.folded.s, a.plain.s, b.folded.s,
                         b.plain.s);
        checked++;
    }
    printf("%zu texts checked\n", checked);
    CG_ASSERT_GT(checked, 10000);
    cg__normalized_free(&a);
    cg__normalized_free(&b);
    cg__normalizer_free(nz);
}
