/* Bullying by extortion (detect.h): a demand to hand over money or belongings at a time or a
 * place, with no insult in it — "bring 20 bucks behind the gym at lunch", "mai mang 50 nghìn ra
 * cổng sau", "mang tai nghe xuống canteen lúc 9h30". Read from the plain form's words (lower
 * case, no diacritics, teencode expanded) and, for the words whose plain spelling is ambiguous
 * ("mang" is also "mạng", "đưa" becomes "dua" like "đùa", "trả" like "trà"), the original.
 *
 * A demand is a hand-over verb (bring, give, hand, leave, pay; mang, đem, đưa, nộp) not said by
 * the writer about themself ("I'll bring it", "t mang cho"), followed within six words by a
 * value (an amount of money, "tiền", "lunch money", a belonging: airpods, phone, calculator, "tai
 * nghe", "máy tính") and with a time or a place in the message (tomorrow, at lunch, behind the
 * gym, 12:20; mai, giờ ra chơi, cổng, nhà xe, 9h30). Weight 0.45; 0.7 with a threat or a demand
 * of secrecy in the message ("or else", "if you tell", "come alone"; "không thì", "liệu hồn",
 * "đi một mình", "nói với ai"). A threat on not handing over ("ko mang thì", "if u dont bring")
 * is a demand of 0.5 on its own. What it leaves alone: a repayment or a collection ("mang 50k
 * trả t", "bring $15 for the trip", "please", "cảm ơn", "quỹ lớp", "học phí"), the writer's own
 * offer, a demand with no value or no time and place ("bring ketchup"). Laughter, a game and a
 * report weaken it as they weaken a bullying threat (the engine's context, docs/text.md). */
#include <string.h>
#include <threads.h>

#include "text/detect.h"
#include "text/detect_pii_int.h"

/* Word i's original equals lit (lower-case UTF-8, diacritics as written) or is plain ASCII: an
 * ambiguous plain word ("mang", "dua") typed with other diacritics is another word. */
static int spelt(const char *t, const word *w, size_t nw, size_t i, const char *lit)
{
    if (i >= nw)
        return 0;
    const char *o = t + w[i].os;
    const size_t n = w[i].oe - w[i].os;
    size_t k = 0;

    while (k < n && (unsigned char)o[k] < 0x80)
        k++;
    return k == n || cg__pii_ieq(o, n, lit);
}

static const char *const HAND_EN[] = {"bring", "give", "hand", "leave", "pay", "drop", NULL};
/* Vietnamese hand-over verbs, plain, and as they must be written (or without diacritics): "mang"
 * is also "mạng", "dem" "đếm", "dua" "đùa", "nop" "nốp". */
static const char *const HAND_VI[] = {"mang", "dem", "dua", "nop", NULL};
static const char *const HAND_VI_AS[] = {"mang", "đem", "đưa", "nộp", NULL};
static const char *const SELF[] = {"i", "ill", "im", "we", "well", "t", "tao", "minh", "to",
                                   "tui", "toi", "let", "lemme", NULL};

/* Word i is a hand-over verb; 0 when not, else its word count. */
static size_t hand_at(const char *t, const word *w, size_t nw, size_t i)
{
    if (cg__word_any(w, nw, i, HAND_EN))
        return cg__word_is(w, nw, i + 1, "over") ? 2 : 1;
    for (size_t k = 0; HAND_VI[k] != NULL; k++)
        if (w[i].s[0] == HAND_VI[k][0] && cg__word_eq(w, nw, i, HAND_VI[k], strlen(HAND_VI[k])))
            return spelt(t, w, nw, i, HAND_VI_AS[k]) ? 1 : 0;
    return 0;
}

static const char *const MONEY_UNIT[] = {"k", "nghin", "ngan", "trieu", "tr", "dong", "bucks",
                                         "buck", "dollars", "dollar", "quid", "pounds", "euros",
                                         "vnd", "cents", NULL};
static const char *const BELONGING[] = {
    "money", "cash", "lunch money", "lunch card", "airpods", "earbuds", "headphones", "phone",
    "charger", "calculator", "casio", "switch", "watch", "bike", "wallet", "snacks", "chips",
    "tai nghe", "dien thoai", "may tinh", "dong ho", "xe dap", "vi tien", "tien an sang",
    "tien", "the cao", "do an", NULL};

/* A unit glued to the number: "2tr", "5triệu", "300usd". */
static const char *const GLUED_UNIT[] = {"tr", "triệu", "trieu", "usd", "vnd", "nghìn", "nghin",
                                         "ngàn", "ngan", NULL};

/* Word i is an amount of money ("50k", "20 bucks", "$10", "50 nghìn", "100.000đ") or a
 * belonging; its word count, else 0. */
static size_t value_at(const char *t, const word *w, size_t nw, size_t i)
{
    if (i >= nw)
        return 0;
    const char *o = t + w[i].os;
    const size_t n = w[i].oe - w[i].os;
    size_t d = o[0] == '$' ? 1 : 0;
    const size_t lead = d;

    while (d < n && ((o[d] >= '0' && o[d] <= '9') || o[d] == '.' || o[d] == ','))
        d++;
    if (d > lead && o[lead] >= '0' && o[lead] <= '9') {
        /* "$10": the normaliser may leave the "$" out of the word. */
        if (lead == 1 || (w[i].os > 0 && t[w[i].os - 1] == '$') ||
            (d < n && (o[d] == 'k' || o[d] == 'K' || o[d] == '$')) ||
            (d + 2 <= n && memcmp(o + d, "\xc4\x91", 2) == 0) /* đ */ || (d < n && o[d] == 'd') ||
            (d < n && cg__pii_iany(o + d, n - d, GLUED_UNIT)))
            return 1;
        if (cg__word_any(w, nw, i + 1, MONEY_UNIT))
            return 2;
        return 0;
    }
    const size_t k = cg__phrase_any(w, nw, i, BELONGING);
    if (k == 0)
        return 0;
    /* "tiền" and "tai nghe" as written ("tiên", "tiện" are other words). */
    if (cg__word_is(w, nw, i, "tien") && !spelt(t, w, nw, i, "tiền"))
        return 0;
    return k;
}

static const char *const WHEN_WHERE[] = {
    "tomorrow", "tmrw", "tmr", "tonight", "lunch", "recess", "break", "behind", "gym",
    "locker", "bleachers", "bathroom", "toilets", "gate", "after school", "before school",
    "before class", "first period", "monday", "tuesday", "wednesday", "thursday", "friday",
    "every day", "next week", "canteen", "cafeteria", "parking lot",
    "mai", "ngay mai", "ra choi", "tan hoc", "nha xe", "cang tin", "nha ve sinh", "sau truong",
    "san sau", "thu hai", "thu ba", "thu tu", "thu nam", "thu sau", "thu bay", "chieu nay",
    "toi nay", "sang nay", "tuan sau", "moi ngay", "cong sau", "cong truong", NULL};

static const char *const THREAT[] = {
    "or else", "or ur", "or youre", "or you", "or u", "or we", "if u tell", "if you tell",
    "tell a teacher", "tell anyone", "come alone", "you know what happens",
    "u know what happens", "khong thi", "keo", "lieu hon", "biet tay", "dung trach",
    "can than", "di mot minh", "mot minh thoi", "noi voi ai", "ke voi ai", "mach co",
    "mach thay", NULL};

/* Threats of the sextortion kind, for a demand carried over messages ("or I post it", "or
 * everyone sees"); not used by the one-message rule. */
static const char *const THREAT_SX[] = {
    "or i post", "or i send", "or i share", "or i leak", "or ill post", "or ill send",
    "or ill share", "or everyone", "or ur", "or your", "khong thi", "neu khong", "ko thi",
    "k thi", NULL};
/* Where to pay: a payment destination. */
static const char *const DEST[] = {
    "account", "acc", "acct", "bank", "cashapp", "venmo", "paypal", "zelle", "wallet",
    "stk", "so tai khoan", "tai khoan", "momo", "zalopay", "ngan hang", NULL};
/* Payment verbs: they ask for an amount ("send 500k", "chuyển 2 triệu") only for a demand
 * carried over messages; the one-message rule keeps its hand-over verbs. */
static const char *const PAY_EN[] = {"send", "transfer", "wire", "ck", NULL};
/* Vietnamese payment verbs, plain and as they must be written: "gửi" (not "gụi"), "nạp". */
static const char *const PAY_VI[] = {"chuyen", "gui", "nap", NULL};
static const char *const PAY_VI_AS[] = {"chuyển", "gửi", "nạp", NULL};

static const char *const BENIGN[] = {"please", "pls", "plz", "thanks", "thank", "cam on",
                                     "trip", "fee", "fees", "fund", "donation", "hoc phi",
                                     "quy lop", "ung ho", "pay back", "paid back", NULL};

/* k when byte c is 'a' + k, else 31: with a first byte, the class of words a list's first words
 * may be (a word of one byte, or whose second byte is no letter, is class 31). */
static unsigned second_class(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned)(c - 'a') : 31u;
}

static uint32_t second_bit(unsigned char c)
{
    return 1u << second_class(c);
}

/* A word's class for second_class; its second byte only when it has one. */
static unsigned word_class(const word *x)
{
    return x->n >= 2 ? second_class((unsigned char)x->s[1]) : 31u;
}

/* The lists the parts loop reads for every word, split by first byte: by_byte[l] + at[l][c]
 * is list l's entries that start with byte c, in list order, NULL-terminated (at 0: an empty
 * list). cg__phrase_any matches only entries starting with the word's first byte and returns
 * the first match in list order, so reading the sub-list gives the same answer without walking
 * the whole list for every word of the message. Bit l of l_mask[c][k] is set when list l has an
 * entry starting with byte c whose second byte has second_class k (a space or the end for a
 * first word of one byte: 31): a word whose first byte and class give no bit matches no entry of
 * any list, and most words are passed over by that one load. */
enum { L_WHEN, L_THREAT, L_THREAT_SX, L_DEST, L_BENIGN, L_COUNT, SUB_CAP = 160 };
static const char *by_byte[L_COUNT][SUB_CAP];
static unsigned char at[L_COUNT][256];
static uint8_t l_mask[256][32];
static once_flag by_byte_once = ONCE_FLAG_INIT;

static void by_byte_init(void)
{
    const char *const *const lists[L_COUNT] = {WHEN_WHERE, THREAT, THREAT_SX, DEST, BENIGN};

    for (int l = 0; l < L_COUNT; l++) {
        size_t n = 1; /* by_byte[l][0] = NULL: the empty list */

        for (int c = 1; c < 256; c++) {
            size_t start = n;

            for (const char *const *e = lists[l]; *e != NULL; e++)
                if ((unsigned char)(*e)[0] == c && n + 2 < SUB_CAP) {
                    by_byte[l][n++] = *e;
                    l_mask[c][second_class((unsigned char)(*e)[1])] |= (uint8_t)(1u << l);
                }
            if (n > start) {
                at[l][c] = (unsigned char)start;
                by_byte[l][n++] = NULL;
            }
        }
    }
}

/* The lists word i may match: bit l for list l (every list for a word with no first byte). */
static unsigned lists_of(const word *x)
{
    return x->n == 0 ? (1u << L_COUNT) - 1u : l_mask[(unsigned char)x->s[0]][word_class(x)];
}

/* cg__phrase_any(w, nw, i, list l), by the sub-list of word i's first byte; m is
 * lists_of(&w[i]). */
static size_t phrase_in(const word *w, size_t nw, size_t i, int l, unsigned m)
{
    static const char *const *const lists[L_COUNT] = {WHEN_WHERE, THREAT, THREAT_SX, DEST, BENIGN};

    if (!(m & (1u << l)))
        return 0;
    if (w[i].n == 0) /* no first byte: every entry, as cg__phrase_any reads it */
        return cg__phrase_any(w, nw, i, lists[l]);
    return cg__phrase_any(w, nw, i, &by_byte[l][at[l][(unsigned char)w[i].s[0]]]);
}

/* A time of day in the original: "12:20", "9h30", "5pm", "4h". */
static int clock_word(const char *t, const word *w)
{
    const char *o = t + w->os;
    const size_t n = w->oe - w->os;
    size_t d = 0;

    while (d < n && d < 2 && o[d] >= '0' && o[d] <= '9')
        d++;
    if (d == 0 || d == n)
        return 0;
    return o[d] == 'h' || o[d] == ':' || (d + 2 <= n && (o[d] == 'p' || o[d] == 'a') &&
                                          (o[d + 1] == 'm'));
}

/* Word i is the writer's own act: "I'll bring it", "t mang cho", "let me give". */
static int own_act(const word *w, size_t nw, size_t i)
{
    return (i > 0 && cg__word_any(w, nw, i - 1, SELF)) ||
           (i > 1 && cg__word_any(w, nw, i - 2, SELF) && !cg__word_is(w, nw, i - 1, "dont") &&
            !cg__word_is(w, nw, i - 1, "khong"));
}

/* A countdown named in words (round 8): "time's up", "tick tock", "the clock is ticking",
 * "hết giờ", "đếm ngược". Numbers with a unit ("10 minutes", "còn 5 phút") are read by
 * number_at. */
static const char *const CLOCK[] = {
    "times up", "time up", "time is up", "times ticking", "time is ticking", "tick tock",
    "ticktock", "tic tac", "clock is ticking", "clocks ticking", "clock ticking", "clock started",
    "countdown", "het gio", "het thoi gian", "dem nguoc", NULL};
/* A value named without a verb, besides amounts: what sextortion asks for. */
static const char *const VALUE_WORDS[] = {
    "gift card", "gift cards", "giftcard", "giftcards", "steam card", "steam cards",
    "steam gift", "itunes card", "apple card", "google play card", "the cao", "the steam",
    "the garena", NULL};
/* Time units after a number ("10 minutes", "30 phút", "2 tiếng"); "giờ" is also a time of day
 * ("2 giờ chiều") and needs "còn", "trong" before or "nữa" after. */
static const char *const UNIT[] = {"minutes", "minute", "mins", "min", "phut", "p", "hours",
                                   "hour", "hrs", "hr", "tieng", "seconds", "secs", "giay", NULL};
/* The same glued to the number: "10p", "30mins", "2hrs" (not "2h": a time of day). */
static const char *const UNIT_GLUED[] = {"p", "ph", "phut", "min", "mins", "minute", "minutes",
                                         "hr", "hrs", "hour", "hours", "secs", NULL};
/* Before a number, a time asked for or lasting rather than given: "give me 10 minutes", "đợi
 * em 5 phút", "for 2 minutes", "the first 20 min". */
static const char *const NOT_CLOCK[] = {"me", "gimme", "xin", "need", "wait", "doi", "for",
                                        "first", "last", "like", "every", NULL};
/* Before an amount, the writer giving or having it: "anh cho em 500k", "i'll pay you $50",
 * "i only have 50k", "em chỉ có 50k", "nợ m 50k". */
static const char *const GIVING[] = {"cho", "give", "pay", "tang", "thuong", "offer", "buy",
                                     "mua", "lend", "owe", "no", "have", "got", "only", "co",
                                     "chi", NULL};
/* Images asked for by number: "3 more pics", "thêm 3 tấm nữa", "5 ảnh nữa". */
static const char *const IMAGES[] = {"pics", "pic", "photos", "pictures", "vids", "videos",
                                     "nudes", "tam", "anh", "clip", "clips", NULL};

/* The first two bytes of every verb hand_at and pay_at know (verb_head) and of every countdown
 * and value phrase's first word (cue_head): bit k of head[c] is set when some word starts with
 * byte c then byte 'a' + k (any byte past 'z' sets bit 31). Derived from the lists at first use,
 * so nothing is kept in step by hand: a word whose first two bytes have no bit is none of them,
 * and most words are passed over by this one test. */
static uint32_t verb_head[256], cue_head[256];
static once_flag heads_once = ONCE_FLAG_INIT;

static void heads_add(uint32_t *head, const char *const *list)
{
    for (; *list != NULL; list++)
        head[(unsigned char)(*list)[0]] |= second_bit((unsigned char)(*list)[1]);
}

static void heads_init(void)
{
    heads_add(verb_head, HAND_EN);
    heads_add(verb_head, HAND_VI);
    heads_add(verb_head, PAY_EN);
    heads_add(verb_head, PAY_VI);
    heads_add(cue_head, CLOCK);
    heads_add(cue_head, VALUE_WORDS);
}

/* Word i is a number (1 to 3 digits in the plain form: longer ones are no countdown, and
 * nothing is converted, so no number overflows) and a value or a countdown:
 * CG__DEM_CLOCK for a countdown ("10 minutes", "còn 5 phút", "10p nữa", "2 tiếng", not "give
 * me 10 minutes", "5 phút trước"), CG__DEM_VALUE for an amount not the writer's own ("500k",
 * "$50", "5tr"; not "i only have 50k") or images asked for by number ("3 more pics", "thêm 3
 * tấm nữa"); 0 when neither. */
static unsigned number_at(const char *t, const word *w, size_t nw, size_t i)
{
    const word *x = &w[i];
    size_t d = 0;
    unsigned got = 0;

    while (d < x->n && x->s[d] >= '0' && x->s[d] <= '9')
        d++;
    if (d <= 3) {
        int unit = 0;
        if (d < x->n) {
            for (const char *const *u = UNIT_GLUED; *u != NULL && !unit; u++)
                unit = x->n - d == strlen(*u) && memcmp(x->s + d, *u, x->n - d) == 0;
        } else {
            unit = cg__word_any(w, nw, i + 1, UNIT) ||
                   (cg__word_is(w, nw, i + 1, "gio") &&
                    (cg__word_is(w, nw, i + 2, "nua") ||
                     (i > 0 && (cg__word_is(w, nw, i - 1, "con") ||
                                cg__word_is(w, nw, i - 1, "trong")))));
        }
        const size_t after = i + (d < x->n ? 1 : 2);
        if (unit && !(i > 0 && cg__word_any(w, nw, i - 1, NOT_CLOCK)) &&
            !(i > 1 && cg__word_any(w, nw, i - 2, NOT_CLOCK)) &&
            !cg__word_is(w, nw, after, "ago") && !cg__word_is(w, nw, after, "truoc"))
            got |= CG__DEM_CLOCK;
    }
    if (d == x->n && ((cg__word_is(w, nw, i + 1, "more") && cg__word_any(w, nw, i + 2, IMAGES)) ||
                      (i > 0 && cg__word_is(w, nw, i - 1, "them") &&
                       cg__word_any(w, nw, i + 1, IMAGES)) ||
                      (cg__word_any(w, nw, i + 1, IMAGES) && cg__word_is(w, nw, i + 2, "nua"))))
        got |= CG__DEM_VALUE;
    else if (!(got & CG__DEM_CLOCK) && value_at(t, w, nw, i) > 0 && !own_act(w, nw, i) &&
             !(i > 0 && cg__word_any(w, nw, i - 1, GIVING)) &&
             !(i > 1 && cg__word_any(w, nw, i - 2, GIVING)))
        got |= CG__DEM_VALUE;
    return got;
}

/* Word i is a payment verb followed within four words by an amount of money. */
static int pay_at(const char *t, const word *w, size_t nw, size_t i)
{
    int verb = cg__word_any(w, nw, i, PAY_EN);

    for (size_t k = 0; !verb && PAY_VI[k] != NULL; k++)
        if (w[i].s[0] == PAY_VI[k][0] && cg__word_eq(w, nw, i, PAY_VI[k], strlen(PAY_VI[k])))
            verb = spelt(t, w, nw, i, PAY_VI_AS[k]) ? 1 : -1;
    if (verb <= 0)
        return 0;
    for (size_t j = i + 1; j < nw && j <= i + 5; j++)
        if (value_at(t, w, nw, j) > 0 && t[w[j].os] >= '$' && t[w[j].os] <= '9')
            return 1;
    return 0;
}

int cg__demand_scan(const char *text, size_t len, const cg__word *w, size_t nw,
                    cg__pii_hits *out)
{
    unsigned parts;

    return cg__demand_scan_parts(text, len, w, nw, 0, out, &parts);
}

int cg__demand_scan_parts(const char *text, size_t len, const cg__word *w, size_t nw, int full,
                          cg__pii_hits *out, unsigned *parts)
{
    int when = 0, threat = 0, benign = 0, ask = 0, verb = 0, dest = 0, amount = 0;
    size_t hand = nw, val_end = nw, neg = nw;
    unsigned cand = 0; /* CG__DEM_CLOCK, CG__DEM_VALUE: a countdown or a value named */

    *parts = 0;
    call_once(&heads_once, heads_init);

    /* Most messages have no hand-over verb, no number and no countdown or value phrase: a test
     * of each word's first two bytes finds out. The message's word lists (time and place,
     * threat, repayment) are read only when a verb has a value after it, a threat on not
     * handing over, or a countdown or a value was named. */
    for (size_t i = 0; i < nw; i++) {
        const word *x = &w[i];
        size_t k;

        if (x->n == 0)
            continue;
        const unsigned char c0 = (unsigned char)x->s[0];
        if (c0 >= '0' && c0 <= '9') {
            cand |= number_at(text, w, nw, i);
            continue;
        }
        if (x->n < 2)
            continue;
        const uint32_t bit = second_bit((unsigned char)x->s[1]);
        if (cue_head[c0] & bit) {
            const unsigned c = cg__phrase_any(w, nw, i, CLOCK) > 0         ? CG__DEM_CLOCK
                               : cg__phrase_any(w, nw, i, VALUE_WORDS) > 0 ? CG__DEM_VALUE
                                                                           : 0;
            cand |= c;
            if (c != 0)
                continue;
        }
        if (hand < nw || x->n > 8 || !(verb_head[c0] & bit)) /* verbs have 2 to 8 letters */
            continue;
        if ((k = hand_at(text, w, nw, i)) == 0) {
            ask |= pay_at(text, w, nw, i) && !own_act(w, nw, i);
            continue;
        }
        if (own_act(w, nw, i))
            continue;
        /* "ko mang thì", "không đưa thì", "if u dont bring": a threat on not handing over. */
        if (neg == nw && i > 0 &&
            (cg__word_is(w, nw, i - 1, "khong") || cg__word_is(w, nw, i - 1, "dont"))) {
            const int iff = cg__word_is(w, nw, i - 1, "dont") && i > 2 &&
                            cg__word_is(w, nw, i - 3, "if");
            for (size_t j = i + k; j < nw && j <= i + k + 4 && neg == nw; j++)
                if (iff || cg__word_is(w, nw, j, "thi") || cg__word_is(w, nw, j, "then"))
                    neg = i;
        }
        verb = 1;
        for (size_t j = i + k; j < nw && j <= i + k + 6; j++) {
            const size_t v = value_at(text, w, nw, j);
            if (v > 0) {
                hand = i;
                val_end = j + v - 1;
                break;
            }
        }
    }
    ask |= hand < nw;
    /* full: the writer has a demand pending (a carried demand may complete it): every part. */
    if (hand == nw && neg == nw && !ask && !verb && !cand && !full)
        return 0;
    call_once(&by_byte_once, by_byte_init);
    for (size_t i = 0; i < nw; i++) {
        const unsigned m = lists_of(&w[i]);

        if (!when && (phrase_in(w, nw, i, L_WHEN, m) > 0 || clock_word(text, &w[i])))
            when = 1;
        if (!(threat & 1) && phrase_in(w, nw, i, L_THREAT, m) > 0)
            threat |= 1;
        if (!(threat & 2) && phrase_in(w, nw, i, L_THREAT_SX, m) > 0)
            threat |= 2;
        if (!dest && phrase_in(w, nw, i, L_DEST, m) > 0)
            dest = 1;
        /* A bare amount ("500k", "$200") answers a demand pending. */
        if (full && !amount && text[w[i].os] >= '$' && text[w[i].os] <= '9' &&
            value_at(text, w, nw, i) > 0)
            amount = 1;
        /* "trả" (repay) and "nợ" (owe) as written ("tra" may be "trà", tea; "no" English). */
        if (phrase_in(w, nw, i, L_BENIGN, m) > 0 ||
            (cg__word_is(w, nw, i, "tra") &&
             cg__pii_ieq(text + w[i].os, w[i].oe - w[i].os, "trả")) ||
            (cg__word_is(w, nw, i, "no") && cg__pii_ieq(text + w[i].os, w[i].oe - w[i].os, "nợ")))
            benign = 1;
    }
    *parts = (ask || amount ? CG__DEM_ASK : 0) | (verb ? CG__DEM_VERB : 0) |
             (when ? CG__DEM_WHEN : 0) | (dest ? CG__DEM_DEST : 0) |
             (threat ? CG__DEM_THREAT : 0) | (benign ? CG__DEM_BENIGN : 0) | cand;
    if (benign)
        return 0;
    if (hand < nw && when) {
        *parts |= CG__DEM_DONE;
        return cg__pii_push(out, CG_FACET_BULLY_THREAT, (threat & 1) ? 0.7f : 0.45f,
                            w[hand].os, w[val_end].oe, len);
    }
    if (neg < nw) {
        *parts |= CG__DEM_DONE;
        return cg__pii_push(out, CG_FACET_BULLY_THREAT, 0.5f, w[neg - 1].os, w[neg].oe, len);
    }
    return 0;
}

int cg__demand_carry(unsigned pending, unsigned parts, int extortion, cg_facet *facet,
                     float *weight)
{
    const unsigned all = pending | parts,
                   rest = CG__DEM_WHEN | CG__DEM_DEST | CG__DEM_THREAT | CG__DEM_CLOCK,
                   push = CG__DEM_THREAT | CG__DEM_CLOCK;
    /* A value named with no verb ("500k", "a gift card", "thêm 3 tấm nữa") is asked for once a
     * threat or a countdown goes with it, in its message or a later one (round 8); a time, a
     * place or an account alone do not make it one (a shop's price, then "ship tomorrow"). */
    const unsigned asked = (all & CG__DEM_ASK) | ((all & CG__DEM_VALUE) && (all & push) ? 1u : 0u);

    if ((all & (CG__DEM_BENIGN | CG__DEM_DONE)) || !asked || !(all & rest))
        return 0;
    if (pending == 0) {
        /* Whole in one message: a value and a threat or a countdown (a hand-over demand whole
         * in one message is cg__demand_scan_parts' own). */
        if (!(parts & CG__DEM_VALUE) || !(parts & push))
            return 0;
    } else if (!(pending & (CG__DEM_ASK | CG__DEM_VERB | CG__DEM_VALUE | CG__DEM_CLOCK)) ||
               !(parts & ~pending & (CG__DEM_ASK | CG__DEM_VALUE | rest))) {
        /* A demand pending, and this message adds what it lacked (the amount or the value, or
         * the time, the account, the threat or the countdown). */
        return 0;
    }
    if (!(all & CG__DEM_ASK) && !(parts & ~pending & (CG__DEM_VALUE | push)))
        return 0; /* a value and its threat: one of them is new here */
    if (extortion || (all & CG__DEM_DEST)) {
        *facet = CG_FACET_DEMAND; /* sextortion: images held, or money to an account */
        *weight = 0.5f;
    } else {
        *facet = CG_FACET_BULLY_THREAT;
        *weight = (all & CG__DEM_THREAT) ? 0.7f : (all & CG__DEM_WHEN) ? 0.45f : 0.5f;
    }
    return 1;
}

int cg__demand_countdown(unsigned pending, unsigned parts, int extortion, float *weight)
{
    /* A countdown from a writer who holds images or has threatened (extortion), or whose
     * demand is pending; one repeated ("10 minutes" … "5 minutes left" … "time's up") weighs
     * more. A repayment or a collection in the message is none. */
    if (!(parts & CG__DEM_CLOCK) || (parts & CG__DEM_BENIGN) ||
        !(extortion || (pending & (CG__DEM_ASK | CG__DEM_THREAT | CG__DEM_VALUE | CG__DEM_CLOCK))))
        return 0;
    *weight = (pending & CG__DEM_CLOCK) ? 0.6f : 0.45f;
    return 1;
}
