/* Context markers of a message (detect.h): what changes how its cues read. A death threat with
 * "lol" and "plant the spike" is game trash talk; "this exam will kill me" is about a task;
 * "send me a photo of your homework" asks for a thing, not the child; "he told me to send pics"
 * is a child reporting, not someone asking. Each marker is a small set of words of the plain form
 * (diacritics folded, so "đề" is "de"), in Vietnamese and English, plus laughing emoji in the
 * original. The engine scales the weights of the cues these markers make weaker (engine.c,
 * docs/text.md "Context"). Deliberately short lists of unambiguous words: a marker only ever
 * weakens evidence, so a missing word costs a false alert, never a missed harm. */
#include "text/detect.h"

#include <string.h>

#include "common/alloc.h"
#include "text/detect_words.h"

/* A list entry: a word, or two words "a b" matched against two words in a row. */
typedef struct entry {
    const char *s;
    unsigned char n;
} entry;
#define E(x) {x, sizeof(x) - 1}

/* Word i (and, for an entry "a b", word i + 1) of w matches an entry of list (ended by a NULL
 * entry). */
static int in_list(const cg__word *w, size_t nw, size_t i, const entry *list)
{
    for (const entry *p = list; p->s != NULL; p++) {
        if (p->s[0] != w[i].s[0] || w[i].n > p->n)
            continue; /* most entries fail on the first byte or the length */
        const char *sp = memchr(p->s, ' ', p->n);
        const size_t n1 = sp ? (size_t)(sp - p->s) : p->n;
        if (w[i].n != n1 || memcmp(w[i].s, p->s, n1) != 0)
            continue;
        if (sp == NULL)
            return 1;
        const size_t n2 = p->n - n1 - 1;
        if (i + 1 < nw && w[i + 1].n == n2 && memcmp(w[i + 1].s, sp + 1, n2) == 0)
            return 1;
    }
    return 0;
}

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
static const entry report_en[] = {
    E("told me"), E("said to"), E("he said"), E("she said"), E("they said"), E("asked me"),
    E("report"), E("reported"), E("reporting"), E("told him"), E("told her"), {NULL, 0}
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
static const entry report_vi[] = {
    E("bảo"), E("kể"), E("tố cáo"), E("báo cáo"), E("nói là"), E("bảo là"), {NULL, 0}
};

/* Laughing and crying-laughing emoji in the original (UTF-8). */
static int has_laugh_emoji(const char *t, size_t len)
{
    static const char *const emoji[] = {"\xf0\x9f\x98\x82", "\xf0\x9f\xa4\xa3", "\xf0\x9f\x98\x86",
                                        "\xf0\x9f\x98\x9c", "\xf0\x9f\x98\x9d", "\xf0\x9f\x98\x85",
                                        "=))", ":))", "=)))", "xD", "XD"};
    for (size_t e = 0; e < sizeof(emoji) / sizeof(emoji[0]); e++) {
        const size_t n = strlen(emoji[e]);
        for (size_t i = 0; i + n <= len; i++)
            if (memcmp(t + i, emoji[e], n) == 0)
                return 1;
    }
    return 0;
}

/* The markers found in the words of one form against each list (a marker per list). */
static unsigned scan_form(const cg__textform *f, const char *text, size_t len,
                          const entry *const lists[6])
{
    static const unsigned bit[6] = {CG__CTX_LAUGH, CG__CTX_GAME, CG__CTX_TASK, CG__CTX_OBJECT,
                                    CG__CTX_KIN, CG__CTX_REPORT};
    cg__word stack[96], *w = NULL;
    size_t nw = 0;
    unsigned m = 0;

    if (cg__words_split(f, text, len, stack, sizeof(stack) / sizeof(stack[0]), &w, &nw) != CG_OK)
        return 0;
    for (size_t i = 0; i < nw; i++)
        for (int k = 0; k < 6; k++)
            if (!(m & bit[k]) && in_list(w, nw, i, lists[k]))
                m |= bit[k];
    if (w != stack)
        cg__free(w);
    return m;
}

unsigned cg__context_scan(const char *text, size_t len, const cg__normalized *nm)
{
    static const entry *const en[6] = {laugh_en, game_en, task_en, object_en, kin_en, report_en};
    static const entry *const vi[6] = {laugh_vi, game_vi, task_vi, object_vi, kin_vi, report_vi};
    unsigned m = has_laugh_emoji(text, len) ? CG__CTX_LAUGH : 0;

    m |= scan_form(&nm->plain, text, len, en);
    m |= scan_form(&nm->folded, text, len, vi);
    return m;
}
