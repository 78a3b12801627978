/* Context markers of a message (detect.h): what changes how its cues read. A death threat with
 * "lol" and "plant the spike" is game trash talk; "this exam will kill me" is about a task;
 * "send me a photo of your homework" asks for a thing, not the child; "he told me to send pics"
 * is a child reporting, not someone asking. Each marker is a small set of words of the plain form
 * (diacritics folded, so "đề" is "de"), in Vietnamese and English, plus laughing emoji in the
 * original. The engine scales the weights of the cues these markers make weaker (text_engine.c,
 * docs/text.md "Context"). Deliberately short lists of unambiguous words: a marker only ever
 * weakens evidence, so a missing word costs a false alert, never a missed harm. */
#include "text/detect.h"

#include <string.h>
#include <threads.h>

#include "text/bytescan.h"
#include "text/detect_words.h"

/* A list entry: a word, or two words "a b" matched against two words in a row. */
typedef struct entry {
    const char *s;
    unsigned char n;
} entry;
#define E(x) {x, sizeof(x) - 1}

/* English (and other unaccented) words, matched on the plain form. */
static const entry laugh_en[] = {
    E("lol"), E("lmao"), E("lmfao"), E("rofl"), E("haha"), E("hahaha"), E("hehe"), E("hihi"),
    E("xd"), E("jk"), E("jkjk"), E("hjhj"), E("keke"), E("hoho"), {NULL, 0}
};
static const entry game_en[] = {
    E("gg"), E("noob"), E("noobs"), E("respawn"), E("ult"), E("clutch"), E("ranked"), E("boss"),
    E("raid"), E("lobby"), E("spike"), E("defuse"), E("headshot"), E("afk"), E("nerf"),
    E("teammate"), E("squad"), E("round"), E("match"), E("game"), E("minecraft"), E("fortnite"),
    E("valorant"), E("roblox"), E("pubg"), E("freefire"), E("lienquan"), E("skin"), E("carry"),
    E("feed"), E("feeding"), E("push"), E("plant"), E("rush"), E("camping"), E("spawn"),
    E("kill cam"), {NULL, 0}
};
static const entry task_en[] = {
    E("exam"), E("exams"), E("test"), E("tests"), E("quiz"), E("homework"), E("essay"),
    E("assignment"), E("deadline"), E("finals"), E("math"), E("maths"), E("physics"),
    E("chemistry"), E("revision"), E("btvn"), {NULL, 0}
};
static const entry object_en[] = {
    E("homework"), E("cake"), E("model"), E("drawing"), E("painting"), E("project"), E("poster"),
    E("craft"), E("lego"), E("garden"), E("dog"), E("cat"), E("puppy"), E("kitten"), E("dish"),
    E("food"), E("dinner"), E("lunch"), E("bill"), E("receipt"), E("screen"), E("certificate"),
    E("report card"), E("results"), E("grades"), E("trophy"), E("medal"), E("slime"),
    E("outfit for"), {NULL, 0}
};
static const entry kin_en[] = {
    E("mom"), E("mum"), E("mommy"), E("mama"), E("dad"), E("daddy"), E("aunt"), E("auntie"),
    E("uncle"), E("grandma"), E("grandpa"), E("granny"), E("nana"), E("teacher"), E("coach"),
    E("cousin"), {NULL, 0}
};
static const entry story_en[] = {
    E("movie"), E("movies"), E("film"), E("episode"), E("series"), E("anime"), E("manga"),
    E("novel"), E("book"), E("character"), E("plot"), E("villain"), E("the song"),
    E("this song"), E("lyrics"),
    E("trailer"), E("netflix"), E("season"), E("chapter"), E("scene"), E("mv"), E("cartoon"),
    E("drama"), {NULL, 0}
};
static const entry report_en[] = {
    E("told me"), E("said to"), E("he said"), E("she said"), E("they said"), E("asked me"),
    E("report"), E("reported"), E("reporting"), E("told him"), E("told her"), {NULL, 0}
};
static const entry news_en[] = {
    E("news"), E("article"), E("reportedly"), E("according to"), E("headline"),
    E("headlines"), E("journalist"), E("police said"), {NULL, 0}
};

/* Vietnamese words with their diacritics, matched on the folded form ("để" is not "đề"). */
static const entry laugh_vi[] = {
    E("đùa"), E("hihi"), E("haha"), E("hehe"), E("kaka"), {NULL, 0}
};
static const entry game_vi[] = {
    E("trận"), E("ván"), E("leo rank"), E("bắn"), E("game"), E("liên quân"), E("free fire"), {NULL, 0}
};
static const entry task_vi[] = {
    E("đề"), E("thi"), E("kiểm tra"), E("bài tập"), E("môn"), E("ôn thi"), E("học bài"),
    E("bài kiểm"), E("điểm"), {NULL, 0}
};
static const entry object_vi[] = {
    E("bánh"), E("mô hình"), E("bài tập"), E("sản phẩm"), E("hoạt động"), E("bảng điểm"),
    E("giấy khen"), E("món ăn"), E("hóa đơn"), E("màn hình"), E("tranh"), E("bài vẽ"),
    E("đồ án"), E("con chó"), E("con mèo"), {NULL, 0}
};
static const entry kin_vi[] = {
    E("mẹ"), E("bố"), E("má"), E("bà"), E("ông"), E("dì"), E("cô"), E("thầy"), E("bác"),
    E("ngoại"), E("nội"), E("cô giáo"), E("thầy giáo"), E("phụ huynh"), {NULL, 0}
};
static const entry story_vi[] = {
    E("phim"), E("truyện"), E("nhân vật"), E("hung thủ"), E("bài hát"), E("lời bài"),
    E("tiểu thuyết"), E("tập mới"), E("tập cuối"), E("tập này"), E("hoạt hình"), {NULL, 0}
};
static const entry report_vi[] = {
    E("bảo"), E("kể"), E("tố cáo"), E("báo cáo"), E("nói là"), E("bảo là"), E("đọc tin"),
    {NULL, 0}
};
static const entry news_vi[] = {
    E("bài báo"), E("báo viết"), E("tin tức"), E("thời sự"), E("báo đài"),
    E("bản tin"), E("báo chí"), E("phóng sự"), E("báo nói"), E("lên báo"), {NULL, 0}
};

/* Laughing and crying-laughing emoji in the original (UTF-8: 😂 🤣 😆 😜 😝 😅), and the
 * emoticons "=))", ":))", "xD". One pass over the bytes. */
int cg__context_laugh_emoji(const char *t, size_t len)
{
    /* memchr finds the few bytes that can start one (it runs on every message). */
    for (const char *p = memchr(t, 0xf0, len); p != NULL;
         p = memchr(p + 1, 0xf0, len - (size_t)(p + 1 - t))) {
        const size_t i = (size_t)(p - t);
        if (i + 3 < len && (unsigned char)t[i + 1] == 0x9f) {
            const unsigned char b2 = (unsigned char)t[i + 2], b3 = (unsigned char)t[i + 3];
            if (b2 == 0x98 && (b3 == 0x82 || b3 == 0x86 || b3 == 0x9c || b3 == 0x9d || b3 == 0x85))
                return 1;
            if (b2 == 0xa4 && b3 == 0xa3)
                return 1;
        }
    }
    for (const char *p = memchr(t, ')', len); p != NULL;
         p = memchr(p + 1, ')', len - (size_t)(p + 1 - t))) {
        const size_t i = (size_t)(p - t);
        if (i >= 1 && i + 1 < len && t[i + 1] == ')' && (t[i - 1] == '=' || t[i - 1] == ':'))
            return 1;
    }
    for (const char *p = memchr(t, 'D', len); p != NULL;
         p = memchr(p + 1, 'D', len - (size_t)(p + 1 - t))) {
        const size_t i = (size_t)(p - t);
        if (i >= 1 && (t[i - 1] == 'x' || t[i - 1] == 'X') && (i + 1 == len || t[i + 1] == ' ') &&
            (i == 1 || t[i - 2] == ' '))
            return 1;
    }
    return 0;
}

/* Negators, plain and folded: before a reporting word they make it an order to keep quiet. */
static const entry negators[] = {
    E("dont"), E("never"), E("not"), E("đừng"), E("không"), E("ko"), E("k"), E("chớ"),
    E("dung"), E("khong"), {NULL, 0}
};

#define N_LISTS 8
#define NEG_BIT (1u << N_LISTS) /* the word is a negator */

/* The lists of one language, made at first use into one open-addressing hash set of first
 * words: a word's slot says which lists hold it alone (mask) and which hold it as the first of
 * two words (the pairs chained from it). A scan costs one hash and one probe or two per word
 * that passes the first-byte filter, instead of a walk over every entry of every list.
 * A filter of one bit per (length, first two bytes) of the first words, hashed into 8,192 bits,
 * passes most words of a message over at once. No entry's first word is longer than MAX_WORD
 * bytes, so a first word is held as its bytes in two 8-byte keys (zero-padded): the hash and the
 * comparison of a slot read those, not the bytes one at a time. */
#define MAX_WORD 12
#define SLOTS 512   /* a power of two, over twice the distinct first words of a language */
#define SLOT_BITS 9
#define MAX_PAIRS 64
#define FILTER_LOG2 13
#define FILTER_BITS (1u << FILTER_LOG2)
_Static_assert(MAX_WORD <= 16 && SLOTS == 1 << SLOT_BITS, "a first word fits two keys");

typedef struct pair {
    const char *s; /* the second word */
    uint8_t n;
    uint16_t mask; /* the lists holding "first second" */
    int16_t next;  /* the next pair of the same first word, or -1 */
} pair;

typedef struct slot {
    uint64_t k0, k1; /* the first word's bytes 0-7 and 8-15 (bytescan.h's order), zero-padded */
    uint8_t n;       /* its length; 0 for an empty slot */
    uint16_t mask;   /* the lists holding it alone, and NEG_BIT */
    int16_t pairs;   /* its first pair, or -1 */
} slot;

typedef struct word_set {
    slot slots[SLOTS];
    pair pairs[MAX_PAIRS];
    int n_pairs;
    uint64_t filter[FILTER_BITS / 64]; /* the first words' (length, first two bytes) hashed */
} word_set;

/* The filter bit of a word of n >= 1 bytes starting with c0 and (when n >= 2) c1. */
static inline uint32_t filter_bit(size_t n, unsigned char c0, unsigned char c1)
{
    const uint32_t key = (uint32_t)n << 16 | (uint32_t)c0 << 8 | c1;

    return (key * 0x9e3779b1u) >> (32 - FILTER_LOG2);
}

/* The keys of word s (n <= MAX_WORD bytes, room >= n of them readable from s). */
static inline void word_key(const char *s, size_t n, size_t room, uint64_t *k0, uint64_t *k1)
{
    if (room >= 16) {
        *k0 = cg__bytes_load8(s);
        *k1 = cg__bytes_load8(s + 8);
    } else {
        char b[16] = {0};
        memcpy(b, s, n);
        *k0 = cg__bytes_load8(b);
        *k1 = cg__bytes_load8(b + 8);
        return;
    }
    if (n < 8) {
        *k0 &= ((uint64_t)1 << (8 * n)) - 1;
        *k1 = 0;
    } else if (n < 16) {
        *k1 &= ((uint64_t)1 << (8 * (n - 8))) - 1;
    }
}

static inline uint32_t key_hash(uint64_t k0, uint64_t k1, size_t n)
{
    return (uint32_t)(((k0 ^ (k1 * 0xc2b2ae3d27d4eb4fULL) ^ n) * 0x9e3779b97f4a7c15ULL) >>
                      (64 - SLOT_BITS));
}

/* The slot of word s (n bytes): its own, or the empty one where it would go. */
static slot *set_slot(word_set *ws, const char *s, size_t n)
{
    uint64_t k0, k1;

    word_key(s, n, n, &k0, &k1);
    for (uint32_t i = key_hash(k0, k1, n);; i = (i + 1) & (SLOTS - 1)) {
        slot *sl = &ws->slots[i];
        if (sl->n == 0 || (sl->n == n && sl->k0 == k0 && sl->k1 == k1))
            return sl;
    }
}

/* Adds the entries of list (bit mask) to ws. The lists are this file's constants, sized well
 * within SLOTS and MAX_PAIRS (test_text_context checks every entry is found). */
static void set_add(word_set *ws, const entry *list, unsigned mask)
{
    for (const entry *p = list; p->s != NULL; p++) {
        const char *sp = memchr(p->s, ' ', p->n);
        const size_t n1 = sp ? (size_t)(sp - p->s) : p->n;
        if (n1 > MAX_WORD || n1 == 0)
            continue;
        const uint32_t fb =
            filter_bit(n1, (unsigned char)p->s[0], n1 > 1 ? (unsigned char)p->s[1] : 0);
        ws->filter[fb >> 6] |= (uint64_t)1 << (fb & 63);
        slot *sl = set_slot(ws, p->s, n1);
        if (sl->n == 0) {
            word_key(p->s, n1, n1, &sl->k0, &sl->k1);
            sl->n = (uint8_t)n1;
            sl->pairs = -1;
        }
        if (sp == NULL) {
            sl->mask |= (uint16_t)mask;
            continue;
        }
        const size_t n2 = p->n - n1 - 1;
        int16_t k = sl->pairs;
        while (k >= 0 && !(ws->pairs[k].n == n2 && memcmp(ws->pairs[k].s, sp + 1, n2) == 0))
            k = ws->pairs[k].next;
        if (k < 0 && ws->n_pairs < MAX_PAIRS) {
            k = (int16_t)ws->n_pairs++;
            ws->pairs[k] = (pair){sp + 1, (uint8_t)n2, 0, sl->pairs};
            sl->pairs = k;
        }
        if (k >= 0)
            ws->pairs[k].mask |= (uint16_t)mask;
    }
}

/* 1 when ws may hold word s (n >= 1 bytes): some entry's first word has its length and first
 * two bytes, or shares their filter bit. Most words of a message stop here. */
static inline int set_may_hold(const word_set *ws, const char *s, size_t n)
{
    if (n > MAX_WORD)
        return 0;
    const uint32_t fb = filter_bit(n, (unsigned char)s[0], n > 1 ? (unsigned char)s[1] : 0);
    return (ws->filter[fb >> 6] >> (fb & 63)) & 1u;
}

/* The lists (and NEG_BIT) that hold word s (n bytes, 1 .. MAX_WORD) alone, or s followed by
 * word s2 (n2 bytes; 0: none); room: the bytes readable from s (to the end of its form). */
static unsigned set_lookup(const word_set *ws, const char *s, size_t n, size_t room,
                           const char *s2, size_t n2)
{
    uint64_t k0, k1;

    word_key(s, n, room, &k0, &k1);
    for (uint32_t i = key_hash(k0, k1, n);; i = (i + 1) & (SLOTS - 1)) {
        const slot *sl = &ws->slots[i];
        if (sl->n == 0)
            return 0;
        if (sl->n != n || sl->k0 != k0 || sl->k1 != k1)
            continue;
        unsigned m = sl->mask;
        for (int16_t k = sl->pairs; k >= 0 && n2 > 0; k = ws->pairs[k].next)
            if (ws->pairs[k].n == n2 && memcmp(ws->pairs[k].s, s2, n2) == 0)
                m |= ws->pairs[k].mask;
        return m;
    }
}

/* The markers found in the words of one form (a marker per list). The form holds words
 * separated by single spaces (normalize.h), so it is split in place. */
static unsigned scan_form(const cg__textform *f, const word_set *ws, unsigned want)
{
    /* List l marks bit 1 << l (the order of en[] and vi[] below). */
    _Static_assert(CG__CTX_LAUGH == 1u << 0 && CG__CTX_GAME == 1u << 1 &&
                       CG__CTX_TASK == 1u << 2 && CG__CTX_OBJECT == 1u << 3 &&
                       CG__CTX_KIN == 1u << 4 && CG__CTX_REPORT == 1u << 5 &&
                       CG__CTX_STORY == 1u << 6 && CG__CTX_NEWS == 1u << 7,
                   "a list's marker is 1 << its index");
    if (f->n == 0)
        return 0;
    const char *const end = f->s + f->n;
    unsigned m = 0;
    int prev_neg = 0; /* the word before is a negator: "đừng kể", "don't tell" is secrecy */

    /* w (wn bytes) is the word, nw (nn bytes) the next one, found once and then moved into w;
     * each word's end is found eight bytes at a time (bytescan.h: a memchr call a word cost
     * more). */
    const char *w = f->s;
    size_t wn = cg__bytes_space(w, 0, f->n);
    for (;;) {
        const char *const nw = w + wn + 1;
        const int more = nw < end;
        const size_t nn = more ? cg__bytes_space(nw, 0, (size_t)(end - nw)) : 0;
        const unsigned hit = wn > 0 && set_may_hold(ws, w, wn)
                                 ? set_lookup(ws, w, wn, (size_t)(end - w), nw, nn)
                                 : 0;
        m |= hit & want & (prev_neg ? ~(NEG_BIT | CG__CTX_REPORT) : ~NEG_BIT);
        prev_neg = (hit & NEG_BIT) != 0;
        if (!more)
            break;
        w = nw;
        wn = nn;
    }
    return m;
}

/* The word of form f that starts at byte i (length in *n); i is a word start. */
static const char *word_at(const cg__textform *f, size_t i, size_t *n)
{
    size_t j = i;
    while (j < f->n && f->s[j] != ' ')
        j++;
    *n = j - i;
    return f->s + i;
}

static int word_in(const char *w, size_t n, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strlen(*list) == n && memcmp(*list, w, n) == 0)
            return 1;
    return 0;
}

/* A photo of a thing, not of a person: "a photo of page 1", "pics of ur dresses", "ảnh cái
 * bánh", "hình bài tập". English: a photo word, "of", determiners, then a word that is not the
 * reader, a person or a body part; Vietnamese: a photo word and a classifier for things (cái,
 * chiếc, bức, tờ, trang, bài …). */
static int photo_of_thing(const cg__normalized *nm, int vi)
{
    static const char *const photo_en[] = {"photo", "photos", "pic", "pics", "picture",
                                           "pictures", "pix", "video", "vid", NULL};
    static const char *const det_en[] = {"a", "an", "the", "ur", "your", "my", "his", "her",
                                         "this", "that", "these", "those", "our", "their",
                                         "all", "some", "any", "just", NULL};
    static const char *const person_en[] = {
        "u", "you", "yourself", "urself", "yourselves", "body", "face", "chest", "boobs",
        "butt", "ass", "legs", "feet", "thighs", "underwear", "bra", "panties", "self", "selfie",
        "outfit", "bed", "room", "mirror", "bath", "shower", "naked", "nude", "nudes", "girl",
        "boy", "lips", "back", "belly", "stomach", "skin", "hair", "pajamas", "pyjamas", "pjs",
        "what", "how", "wearing", "yourself", "legs", "towel", NULL};
    static const char *const reader_en[] = {"u", "you", "yourself", "urself", "ya", NULL};
    static const char *const photo_vi[] = {"ảnh", "hình", "clip", NULL};
    static const char *const thing_vi[] = {"cái", "chiếc", "bức", "tờ", "trang", "quyển",
                                           "cuốn", "món", "bài", "bản", "đề", "mô", NULL};
    const cg__textform *pf = &nm->plain, *ff = &nm->folded;

    for (size_t i = 0; i < pf->n; i++) {
        if (i > 0 && pf->s[i - 1] != ' ')
            continue;
        /* Photo words start with p or v: most words are passed over on their first byte. */
        if (pf->s[i] != 'p' && pf->s[i] != 'v')
            continue;
        size_t n, k = i;
        const char *w = word_at(pf, i, &n);
        if (!word_in(w, n, photo_en))
            continue;
        k = i + n + 1;
        if (k >= pf->n || !(w = word_at(pf, k, &n), n == 2 && memcmp(w, "of", 2) == 0))
            continue;
        for (int d = 0; d < 4; d++) {
            k += n + 1;
            if (k >= pf->n)
                break;
            w = word_at(pf, k, &n);
            if (word_in(w, n, det_en))
                continue;
            if (word_in(w, n, person_en))
                break;
            /* "pics of the real you", "a photo of cute u": an adjective just before the
             * reader ("pics of the blue car you drew" is a thing). */
            size_t n2 = 0;
            const char *w2 = k + n + 1 < pf->n ? word_at(pf, k + n + 1, &n2) : NULL;
            if (w2 == NULL || !word_in(w2, n2, reader_en))
                return 1;
            break;
        }
    }
    for (size_t i = 0; vi && i < ff->n; i++) {
        if (i > 0 && ff->s[i - 1] != ' ')
            continue;
        /* "ảnh" starts with 0xe1, "hình" with h, "clip" with c. */
        const unsigned char c0 = (unsigned char)ff->s[i];
        if (c0 != 0xe1 && c0 != 'h' && c0 != 'c')
            continue;
        size_t n;
        const char *w = word_at(ff, i, &n);
        if (!word_in(w, n, photo_vi) || i + n + 1 >= ff->n)
            continue;
        w = word_at(ff, i + n + 1, &n);
        if (word_in(w, n, thing_vi))
            return 1;
    }
    return 0;
}

int cg__context_refusal(const cg__normalized *nm)
{
    static const char *const first[] = {"no", "nope", "nah", "nop", "stop", "never", "ew",
                                        "eww", "thoi", "khong", "hong", "dung", "ko", NULL};
    static const char *const pairs_refuse[] = {"dont want", "do not", "not sending", "wont send",
                                       "not comfortable", "said no", "i said", "no thanks",
                                       "leave me", "not doing", "dont feel", "khong muon",
                                       "khong gui", "khong chup", "khong dam", "khong thich",
                                       "khong quen", "khong lam", "dung gui", "dung hoi",
                                       "khong duoc", "chiu thoi", NULL};
    const cg__textform *f = &nm->plain;
    size_t n, n2;
    const char *w = word_at(f, 0, &n);

    if (n > 0 && word_in(w, n, first))
        return 1;
    for (size_t i = 0; i < f->n; i += n + 1) {
        w = word_at(f, i, &n);
        if (i + n + 1 >= f->n)
            break;
        const char *w2 = word_at(f, i + n + 1, &n2);
        for (const char *const *p = pairs_refuse; *p != NULL; p++) {
            const char *sp = strchr(*p, ' ');
            if ((size_t)(sp - *p) == n && memcmp(*p, w, n) == 0 && strlen(sp + 1) == n2 &&
                memcmp(sp + 1, w2, n2) == 0)
                return 1;
        }
    }
    return 0;
}

int cg__context_to_parent(const cg__normalized *nm)
{
    static const char *const first_en[] = {"mom", "mum", "mommy", "mummy", "mama", "dad",
                                           "daddy", "papa", "grandma", "grandpa", "granny",
                                           "nana", "aunt", "auntie", "aunty", "uncle", NULL};
    static const char *const parent_vi[] = {"mẹ", "má", "bố", "ba", "nội", "ngoại", NULL};
    static const char *const yes_vi[] = {"dạ", "vâng", NULL};
    size_t n;
    const char *w = word_at(&nm->plain, 0, &n);
    const char c0 = n > 0 ? w[0] : 0;

    /* The first words start with m, d, p, g, n, a or u: most messages are passed over at once.
     * An aunt or an uncle is family too; so is the word that ends a message ("thank u
     * auntie", "love u mom"), the vocative in English. */
    if ((c0 == 'm' || c0 == 'd' || c0 == 'p' || c0 == 'g' || c0 == 'n' || c0 == 'a' ||
         c0 == 'u') && word_in(w, n, first_en))
        return 1;
    if (nm->plain.n > 0) {
        /* Not "im telling my mom", "ask ur dad": someone named, not called. */
        static const char *const named[] = {"my", "your", "ur", "his", "her", "their", "our",
                                            "the", "a", "to", "ask", "tell", "telling", "call",
                                            "with", "about", "and", "or", "of", "for", "at",
                                            "from", "by", "ill", "im", NULL};
        const char *e = nm->plain.s + nm->plain.n, *b = e;
        while (b > nm->plain.s && b[-1] != ' ')
            b--;
        const char c1 = b < e ? *b : 0;
        if (b > nm->plain.s &&
            (c1 == 'm' || c1 == 'd' || c1 == 'p' || c1 == 'g' || c1 == 'n' || c1 == 'a' ||
             c1 == 'u') &&
            word_in(b, (size_t)(e - b), first_en)) {
            const char *pe = b - 1, *pb = pe;
            while (pb > nm->plain.s && pb[-1] != ' ')
                pb--;
            if (!word_in(pb, (size_t)(pe - pb), named))
                return 1;
        }
    }
    const cg__textform *f = &nm->folded;
    /* A polite answer to a parent: "dạ mẹ, …", "vâng bố" at the start (not "dạ bố mẹ đi
     * làm", the parents as the subject; not "ba", also "three"). */
    static const char *const answered_vi[] = {"mẹ", "má", "bố", NULL};
    static const char *const couple_vi[] = {"mẹ", "má", "bố", "ba", NULL};
    size_t k = 0;
    w = word_at(f, 0, &n);
    if (n > 0 && (w[0] == 'd' || w[0] == 'v') && word_in(w, n, yes_vi) && (k = n + 1) < f->n) {
        w = word_at(f, k, &n);
        k += n + 1;
        if (word_in(w, n, answered_vi) &&
            (k >= f->n || (w = word_at(f, k, &n), !word_in(w, n, couple_vi))))
            return 1;
    }
    /* "ạ" (0xe1 0xba 0xa1), the polite particle, ending a message after a parent addresses
     * them: "hơi rộng mẹ ạ", "con về rồi bố ạ". */
    if (f->n >= 4 && memcmp(f->s + f->n - 3, "\xe1\xba\xa1", 3) == 0 && f->s[f->n - 4] == ' ') {
        const char *pe = f->s + f->n - 4, *pb = pe;
        while (pb > f->s && pb[-1] != ' ')
            pb--;
        if (word_in(pb, (size_t)(pe - pb), answered_vi))
            return 1;
    }
    /* "ơi" (0xc6 0xa1 'i') after a name calls that person: "mẹ ơi". */
    const char *end = f->s + f->n;
    for (const char *q = f->s; (q = memchr(q, 0xc6, (size_t)(end - q))) != NULL; q++) {
        if (q - f->s < 2 || q[-1] != ' ' || end - q < 3 || (unsigned char)q[1] != 0xa1 ||
            q[2] != 'i' || (q + 3 != end && q[3] != ' '))
            continue;
        const char *p = q - 1;
        const char *b = p;
        while (b > f->s && b[-1] != ' ')
            b--;
        if (word_in(b, (size_t)(p - b), parent_vi))
            return 1;
    }
    return 0;
}

static const entry *const en[N_LISTS] = {laugh_en, game_en,   task_en,  object_en,
                                         kin_en,   report_en, story_en, news_en};
static const entry *const vi[N_LISTS] = {laugh_vi, game_vi,   task_vi,  object_vi,
                                         kin_vi,   report_vi, story_vi, news_vi};
/* Every list (and the negators), and the topic lists alone: every message is read for its
 * topic, and a set without the other lists' words lets more words fail the first-byte filter. */
static word_set set_en, set_vi, topic_en, topic_vi;
static once_flag sets_once = ONCE_FLAG_INIT;

static void sets_init(void)
{
    for (int l = 0; l < N_LISTS; l++) {
        set_add(&set_en, en[l], 1u << l);
        set_add(&set_vi, vi[l], 1u << l);
        if ((1u << l) & CG__CTX_TOPIC) {
            set_add(&topic_en, en[l], 1u << l);
            set_add(&topic_vi, vi[l], 1u << l);
        }
    }
    set_add(&set_en, negators, NEG_BIT);
    set_add(&set_vi, negators, NEG_BIT);
}

int cg__context_check(void)
{
    int missed = 0;

    call_once(&sets_once, sets_init);
    for (int lang = 0; lang < 2; lang++) {
        const word_set *ws = lang ? &set_vi : &set_en;
        const word_set *ts = lang ? &topic_vi : &topic_en;
        for (int l = 0; l <= N_LISTS; l++)
            for (const entry *p = l < N_LISTS ? (lang ? vi : en)[l] : negators; p->s != NULL;
                 p++) {
                const char *sp = memchr(p->s, ' ', p->n);
                const cg__word w0 = {p->s, sp ? (uint32_t)(sp - p->s) : p->n, 0, 0};
                const cg__word w1 = {sp ? sp + 1 : p->s + p->n,
                                     sp ? (uint32_t)(p->n - (size_t)(sp - p->s) - 1) : 0, 0, 0};
                const unsigned bit = l < N_LISTS ? 1u << l : NEG_BIT;
                missed += !(set_may_hold(ws, w0.s, w0.n) &&
                            (set_lookup(ws, w0.s, w0.n, p->n, w1.s, w1.n) & bit));
                if (bit & CG__CTX_TOPIC)
                    missed += !(set_may_hold(ts, w0.s, w0.n) &&
                                (set_lookup(ts, w0.s, w0.n, p->n, w1.s, w1.n) & bit));
            }
    }
    return missed;
}

/* The markers of want (a bit set) found in the message with the word sets en and vi; laugh:
 * its laughing emoji. */
static unsigned scan(int laugh, const cg__normalized *nm, unsigned want, const word_set *en_set,
                     const word_set *vi_set)
{
    unsigned m = laugh ? CG__CTX_LAUGH : 0;
    const int ascii = cg__bytes_wide(nm->folded.s, 0, nm->folded.n) == nm->folded.n;

    m |= scan_form(&nm->plain, en_set, want & ~m);
    /* The Vietnamese lists matter only where the folded form has letters beyond ASCII, except
     * for a few unaccented words they share with English, which the English lists hold too. */
    if (!ascii)
        m |= scan_form(&nm->folded, vi_set, want & ~m);
    if ((want & CG__CTX_OBJECT) && !(m & CG__CTX_OBJECT) && photo_of_thing(nm, !ascii))
        m |= CG__CTX_OBJECT;
    return m;
}

unsigned cg__context_scan(const char *text, size_t len, const cg__normalized *nm)
{
    call_once(&sets_once, sets_init);
    return scan(cg__context_laugh_emoji(text, len), nm, ~0u, &set_en, &set_vi);
}

unsigned cg__context_topic(int laugh, const cg__normalized *nm)
{
    call_once(&sets_once, sets_init);
    return scan(laugh, nm, CG__CTX_TOPIC, &topic_en, &topic_vi) & CG__CTX_TOPIC;
}
