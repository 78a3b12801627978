/* Internal: detectors that are code, not word lists: personal data (phone numbers, e-mail
 * addresses, home-address words, school and class, social handles and app IDs, one-time codes
 * and passwords) and age signals ("I'm 12", "em 12 tuổi", "học lớp 6" → about 11–12; "how old
 * are you", "em bao nhiêu tuổi" → age asked). They read the original text and the normalised
 * forms (normalize.h) and report spans in the original.
 *
 * Threading: pure functions; thread-safe. */
#ifndef CG_TEXT_DETECT_H
#define CG_TEXT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/text.h"
#include "text/normalize.h"

typedef struct cg__pii_hit {
    cg_facet facet;        /* CG_FACET_PHONE .. CG_FACET_CODE */
    float weight;          /* 0..1: how sure, and how sensitive (a full phone number > "my school") */
    uint32_t start, end;   /* byte range in the original */
} cg__pii_hit;

typedef struct cg__pii_hits {
    cg__pii_hit *v;
    size_t n, cap;
} cg__pii_hits;

/* Appends the personal data found in text (len bytes; nm is its normalisation). */
cg_status cg__pii_scan(const char *text, size_t len, const cg__normalized *nm, cg__pii_hits *out,
                       cg_error *err);
void cg__pii_hits_free(cg__pii_hits *h);

struct cg__word;
/* The same over the plain form's words already split (cg__words_split of nm->plain, w[0 ..
 * nw)): the engine splits a message once for every detector (detect_words.h). */
cg_status cg__pii_scan_words(const char *text, size_t len, const struct cg__word *w, size_t nw,
                             cg__pii_hits *out, cg_error *err);

/* Appends one hit (detect_pii.c); ignored when the range is empty or beyond len bytes. -1 when
 * out of memory. */
int cg__pii_push(cg__pii_hits *out, cg_facet facet, float weight, size_t start, size_t end,
                 size_t len);

struct cg__word;
/* Personal data said in words (detect_pii_spoken.c): dictated and spelled-out phone numbers,
 * homes described by where they are, leaving school at a time, a class; w[0 .. nw) are the
 * plain form's words of text (len bytes). -1 when out of memory. */
int cg__pii_scan_spoken(const char *text, size_t len, const struct cg__word *w, size_t nw,
                        cg__pii_hits *out);

/* Bullying by extortion (detect_demand.c): a demand to hand over money or belongings at a time
 * or a place ("bring 20 bucks behind the gym at lunch", "mai mang 50 nghìn ra cổng sau"),
 * appended as a CG_FACET_BULLY_THREAT hit (the engine makes it a bullying finding "bl.demand").
 * -1 when out of memory. */
int cg__demand_scan(const char *text, size_t len, const struct cg__word *w, size_t nw,
                    cg__pii_hits *out);

/* Whose personal data a message states (detect_pii_subject.c): the writer's own ("nhà em ở
 * số 12", "my address is"), the reader's ("you live at 14 Carver", "ur in 7B right?", "I know
 * where you live", "anh biết hết"), or unknown ("em", "anh" name either side in Vietnamese:
 * the conversation decides from who is the child). w[0 .. nw) are the plain form's words of
 * text (len bytes). Read only for messages with personal data. */
#define CG__PD_UNKNOWN 0
#define CG__PD_WRITER 1
#define CG__PD_READER 2
#define CG__PD_KNOWN 3 /* the reader's, and the writer claims to know it: "I know where you live" */
int cg__pii_subject(const char *text, size_t len, const struct cg__word *w, size_t nw);

/* The parts of a demand a message holds (cg__demand_scan_parts), for a demand spread over
 * messages ("send 500k" … "to this account by tonight or I post it"). */
#define CG__DEM_ASK 1u     /* an amount or a belonging asked for ("send 500k", "bring 50 nghìn") */
#define CG__DEM_VERB 2u    /* a hand-over verb, not the writer's own act ("bring it", "đưa đây") */
#define CG__DEM_WHEN 4u    /* a time or a place ("tonight", "behind the gym", "9h30") */
#define CG__DEM_DEST 8u    /* where to pay ("this account", "stk", "momo", "cashapp") */
#define CG__DEM_THREAT 16u /* a threat ("or else", "or I post it", "không thì") */
#define CG__DEM_BENIGN 32u /* a repayment or a collection ("please", "quỹ lớp", "trả") */
#define CG__DEM_DONE 64u   /* a whole demand in the message (the hit appended) */
#define CG__DEM_VALUE 128u /* a value named without a verb ("500k", "$50", "a gift card", "thêm 3
                              tấm nữa", "3 more pics"); not the writer's own ("i only have 50k") */
#define CG__DEM_CLOCK 256u /* a countdown ("you have 10 minutes", "5 minutes left", "còn 5 phút",
                              "hết giờ", "time's up", "tick tock"; not "give me 10 minutes") */
/* cg__demand_scan, and the parts of a demand the message holds in *parts. full = 1 reads
 * every part (the writer has a demand pending); 0 only when the message has a hand-over or
 * payment verb. -1 when out of memory. */
int cg__demand_scan_parts(const char *text, size_t len, const struct cg__word *w, size_t nw,
                          int full, cg__pii_hits *out, unsigned *parts);
/* 1 when a message's parts complete a demand pending from the same writer (pending: the parts
 * of their last messages), or hold a value named with a threat or a countdown (pending 0):
 * *facet and *weight say what it is — a sextortion demand (CG_FACET_DEMAND, 0.5) when
 * extortion (the writer's sextortion evidence) or an account is in it, else bullying by
 * extortion (CG_FACET_BULLY_THREAT: 0.7 with a threat, 0.45 with a time or a place, else 0.5).
 * A value (CG__DEM_VALUE) is asked for only with a threat or a countdown, never with a time, a
 * place or an account alone. The caller keeps the value and countdown parts only from a writer
 * with extortion or a demand pending (text_engine.c). */
int cg__demand_carry(unsigned pending, unsigned parts, int extortion, cg_facet *facet,
                     float *weight);
/* 1 when a message's countdown (CG__DEM_CLOCK in parts) counts as a sextortion demand: from a
 * writer with extortion, or with an amount, a value, a threat or a countdown pending; *weight
 * 0.45, or 0.6 when it repeats a countdown pending ("10 minutes" … "5 minutes left"). */
int cg__demand_countdown(unsigned pending, unsigned parts, int extortion, float *weight);

typedef enum cg__age_kind {
    CG__AGE_STATED = 0, /* the writer says how old they are (or their school grade) */
    CG__AGE_ASKED = 1   /* the writer asks the other's age */
} cg__age_kind;

typedef struct cg__age_signal {
    cg__age_kind kind;
    int min_age, max_age;  /* years; for ASKED both 0 */
    uint32_t start, end;   /* byte range in the original */
} cg__age_signal;

typedef struct cg__age_signals {
    cg__age_signal *v;
    size_t n, cap;
} cg__age_signals;

cg_status cg__age_scan(const char *text, size_t len, const cg__normalized *nm,
                       cg__age_signals *out, cg_error *err);
void cg__age_signals_free(cg__age_signals *a);

/* The age range of someone born in birth_year as of this_year (returns 0 when implausible),
 * and the scan with this_year given instead of taken from the clock (tests use a fixed year). */
int cg__age_from_birth_year(int birth_year, int this_year, int *min_age, int *max_age);
cg_status cg__age_scan_year(const char *text, size_t len, const cg__normalized *nm,
                            int this_year, cg__age_signals *out, cg_error *err);
/* The scan over the plain form's words already split (as cg__pii_scan_words), and the current
 * UTC year to give it. */
cg_status cg__age_scan_words(const char *text, size_t len, const struct cg__word *w, size_t nw,
                             int this_year, cg__age_signals *out, cg_error *err);
int cg__age_this_year(void);

/* ---- context markers (detect_context.c) ----------------------------------------------------- */

#define CG__CTX_LAUGH 1u   /* laughter: lol, haha, "đùa", 😂 */
#define CG__CTX_GAME 2u    /* game vocabulary: gg, noob, round, spike; "trận", "ván" */
#define CG__CTX_TASK 4u    /* schoolwork as the subject: exam, homework; "đề", "thi" */
#define CG__CTX_OBJECT 8u  /* a thing as the object of a request: homework, cake, model;
                              "bánh", "mô hình" */
#define CG__CTX_KIN 16u    /* family and school roles: mom, aunt, teacher; "mẹ", "cô giáo" */
#define CG__CTX_REPORT 32u /* quoting or reporting: "told me", "report"; "nó bảo", "tố cáo" */
#define CG__CTX_STORY 64u  /* a story or a show as the subject: movie, episode, lyrics; "phim",
                              "truyện", "nhân vật" */
#define CG__CTX_NEWS 128u /* news as the subject: news, article; "tin tức", "bài báo" (weakens as
                             reporting does) */
/* Markers that describe the conversation's topic rather than one message: they carry over to
 * the next messages (conversation.c, cg__convs_context). */
#define CG__CTX_TOPIC (CG__CTX_LAUGH | CG__CTX_GAME | CG__CTX_TASK | CG__CTX_STORY | CG__CTX_NEWS)

/* 1 when the original holds a laughing emoji or emoticon (😂 🤣 😆 😜 😝 😅, "=))", ":))",
 * "xD"): the normaliser drops them, so the context scan and the learned layer read them here. */
int cg__context_laugh_emoji(const char *text, size_t len);

/* 1 when the message calls its recipient a parent or a relative: it starts with "mom", "dad",
 * "grandma", "auntie", "uncle"..., ends with one not named after "my", "ask", "tell"... ("love
 * u mom", "thank u auntie", not "im telling my mom"), ends with "mẹ ạ", "bố ạ", or holds "mẹ
 * ơi", "má ơi", "bố ơi", "ba ơi" (the vocative). */
int cg__context_to_parent(const cg__normalized *nm);

/* 1 when the message refuses: it starts with "no", "nope", "stop", "thôi", "không", "đừng"…,
 * or says "don't want", "not sending", "i said no", "em không muốn", "không gửi", "không dám"
 * (plain form). The conversation reads it only after another party asked for images. */
int cg__context_refusal(const cg__normalized *nm);

/* The context markers of a message (bit set). */
unsigned cg__context_scan(const char *text, size_t len, const cg__normalized *nm);
/* Its topic markers only (CG__CTX_TOPIC), cheaper: every message is read for them. laugh is
 * cg__context_laugh_emoji of the message's original, computed once a message by the engine for
 * these markers and the learned layer both. */
unsigned cg__context_topic(int laugh, const cg__normalized *nm);
/* For tests: how many entries of the marker lists (and negators) their word sets do not find
 * (0: every list fits its hash set). */
int cg__context_check(void);

struct cg__word;
/* 1 when the cue starting at byte start of the original t is negated (detect_negation.c):
 * "I won't send", "đừng chuyển tiền", "không muốn chết". w: the plain form's words of t. */
int cg__context_negated(const char *t, const struct cg__word *w, size_t nw, uint32_t start);
/* 1 when the cue starting at byte start is the writer offering to send something themselves
 * ("I'll send a pic when I get it", "let me send"): not a request of the reader. */
int cg__context_self_offer(const struct cg__word *w, size_t nw, uint32_t start);
/* 1 when a despair cue ending at byte end is hyperbole: "dying of embarrassment", "muốn chết
 * vì xấu hổ", "chết cười" (the next word or the one after it, detect_negation.c). */
int cg__context_hyperbole(const struct cg__word *w, size_t nw, uint32_t end);

#endif
