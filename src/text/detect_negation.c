/* Negation of a cue (detect.h): "I won't send it", "em không gửi đâu", "đừng chuyển tiền",
 * "tao không muốn chết", "không phải muốn chết đâu". A cue is negated when a negator stands
 * just before it, with at most three helper words between ("not GOING TO send", "không PHẢI
 * muốn chết"), and the cue starts with a word of will or of the act itself (want, send, pay,
 * kill, die; muốn, gửi, chuyển, chết): a negator before such a word turns a request into a
 * refusal, a demand into advice, despair into its denial. A condition before the negator ("if
 * you don't send", "nếu không gửi") is a threat's demand, not a refusal, and keeps the cue.
 * Words are those of the plain form (no diacritics, teencode expanded, lower case), so "ko",
 * "k", "hong" are "không"; "đừng" is read in the original, its plain "dung" being also "dùng"
 * (use) and "đúng" (right). */
#include "text/detect.h"

#include <string.h>

#include "text/detect_words.h"

static const char *const NEGATORS[] = {
    "khong", "ko", "k", "kh", "hong", "hok", "chang", "dont", "not", "never", "wont", "cant",
    "cannot", "didnt", "doesnt", "isnt", "wouldnt", "shouldnt", "aint", NULL};
/* Words that may stand between a negator and the cue. */
static const char *const BETWEEN[] = {
    "phai", "he", "co", "bao", "gio", "nao", "dinh", "muon", "se", "con", "nua", "the", "going",
    "gonna", "to", "want", "wanna", "really", "ever", "will", "do", "be", "a", "an", "that", NULL};
/* The first word of a cue that a negator before it turns around. */
static const char *const ACTS[] = {
    "want", "wanna", "wish", "going", "gonna", "plan", "planning", "thinking", "kill", "die",
    "hurt", "cut", "end", "send", "sending", "pay", "share", "post", "show", "give", "transfer",
    "muon", "dinh", "nghi", "tinh", "chet", "tu", "cat", "rach", "gui", "chuyen", "dang", "tung",
    "nap", "dua", NULL};
/* A condition: "if", "unless", "nếu". */
static const char *const CONDITIONS[] = {"if", "unless", "neu", NULL};

static int in(const cg__word *w, size_t nw, size_t i, const char *const *list)
{
    return cg__word_any(w, nw, i, list);
}

/* Word i's original is "đừng" (either case of Đ). */
static int dung_orig(const char *t, const cg__word *w)
{
    const char *o = t + w->os;
    const size_t n = w->oe - w->os;

    return n == 7 && (memcmp(o, "\xc4\x91\xe1\xbb\xabng", 7) == 0 ||
                      memcmp(o, "\xc4\x90\xe1\xbb\xabng", 7) == 0);
}

/* First person before a sending word: "I'll send a pic", "let me send", "i can send"; "t sẽ
 * chụp ảnh", "t mang đi rửa rồi gửi ảnh vào nhóm", "tớ đăng lên" (round 8). Vietnamese "em",
 * "anh", "mình" are left out: either side says them ("em gửi anh ảnh" is a request from an
 * adult), and "mình gửi cho nhau" is "let's". */
static const char *const SELF[] = {"i", "ill", "im", "ive", "lemme", "me", "t", "tao", "to",
                                   "tui", "toi", NULL};
static const char *const SELF_AUX[] = {
    "will", "can", "could", "gonna", "going", "to", "just", "already", "sent", "also", "might",
    "se", "dang", "vua", "da", "cung", "mang", "di", "rua", "roi", "de", "xong", "quay", "luon",
    "chup", "in", NULL};
static const char *const SENDING[] = {"send", "sent", "sending", "share", "post", "snap", "gui",
                                      "chup", "dang", "up", NULL};

int cg__context_self_offer(const cg__word *w, size_t nw, uint32_t start)
{
    size_t c = 0;

    while (c < nw && w[c].oe <= start)
        c++;
    if (c >= nw || c == 0 || w[c].os > start || !in(w, nw, c, SENDING))
        return 0;
    for (size_t back = 1; back <= 5 && back <= c; back++) {
        const size_t i = c - back;
        if (in(w, nw, i, SELF))
            return !(i > 0 &&
                     in(w, nw, i - 1, (const char *const[]){"you", "u", "if", "neu", "muon",
                                                             "bat", "bao", "cho", NULL}));
        if (!in(w, nw, i, SELF_AUX))
            return 0;
    }
    return 0;
}

int cg__context_negated(const char *t, const cg__word *w, size_t nw, uint32_t start)
{
    size_t c = 0;

    while (c < nw && w[c].oe <= start)
        c++;
    if (c >= nw || c == 0 || w[c].os > start || !in(w, nw, c, ACTS))
        return 0;
    for (size_t back = 1; back <= 4 && back <= c; back++) {
        const size_t i = c - back;
        if (in(w, nw, i, NEGATORS) || dung_orig(t, &w[i])) {
            for (size_t k = 1; k <= 3 && k <= i; k++)
                if (in(w, nw, i - k, CONDITIONS))
                    return 0;
            return 1;
        }
        if (!in(w, nw, i, BETWEEN))
            return 0;
    }
    return 0;
}

/* What comes after a despair cue and makes it hyperbole: dying of embarrassment, of laughter,
 * of boredom; "muốn chết vì xấu hổ / ngại / quê". Not "cười" or "chán" alone: plain "cuoi" is
 * also "cuối" ("cuối tuần này t sẽ kết thúc"), and "chán sống" is despair. */
static const char *const HYPERBOLE[] = {
    "vi xau ho", "vi ngai", "vi que", "of embarrassment", "from embarrassment", "of cringe",
    "from cringe", "of laughter", "of boredom", "from boredom", NULL};

int cg__context_hyperbole(const cg__word *w, size_t nw, uint32_t end)
{
    size_t c = 0;

    while (c < nw && w[c].os < end)
        c++;
    /* The cue's last word may run past end (a cue ending inside a word): the next word on. */
    for (size_t k = c; k < nw && k <= c + 1; k++)
        if (cg__phrase_any(w, nw, k, HYPERBOLE) > 0)
            return 1;
    return 0;
}
