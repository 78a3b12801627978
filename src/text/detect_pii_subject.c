/* Whose personal data a message states (detect.h, cg__pii_subject): the writer's own ("nhà em ở
 * số 12", "my address is", "I live at") or the reader's ("you live at 14 Carver", "ur in 7B
 * right?", "em học lớp 7A4 đúng ko", "I know where you live", "anh biết hết, 5h15 em ra cổng").
 *
 * Read from the plain form's words (lower case, no diacritics, teencode expanded), and only for
 * a message with personal data in it. The reader's side counts second-person words ("you",
 * "ur", "mày", "cậu"), a tag asking the reader to confirm ("right?", "đúng không", "phải
 * không") and a claim to know ("i know", "we know", "anh biết", "tao biết", "biết hết",
 * "biết nhà"): each claim or tag counts twice, since it says the data is the reader's whatever
 * pronouns the message uses. The writer's side counts first-person words ("i", "my", "our",
 * "tôi", "tớ", "mình", "tao" — but not in a claim to know). "em", "anh", "chị" are left alone:
 * in Vietnamese they name the writer or the reader depending on who speaks, which the
 * conversation knows and the message does not (conversation.c settles the unknown cases from
 * who is the child). The side with more wins; a tie is unknown. */
#include "text/detect.h"
#include "text/detect_pii_int.h"

static const char *const YOU_EN[] = {"you", "u", "ur", "your", "youre", "ure", "yours", "yourself",
                                     NULL};
static const char *const ME_EN[] = {"i", "im", "my", "me", "mine", "our", "we", "ill", "ive",
                                    "id", "myself", NULL};
static const char *const TAG[] = {"right", "rite", "correct", "yeah", "dung khong", "dung ko",
                                  "dung k", "phai khong", "phai ko", "dung hong", "dung chu",
                                  "phai chu", "dung roi chu", NULL};
static const char *const KNOW[] = {"i know", "we know", "i found", "i see u", "i see you",
                                   "i saw u", "i saw you", "i know where", "biet het",
                                   "biet nha", "biet truong", "biet lop", "biet cho", NULL};
static const char *const KNOWER[] = {"anh", "tao", "t", "chu", "chi", "minh", "toi", "tui",
                                     "bon tao", "bon anh", NULL};

int cg__pii_subject(const char *text, size_t len, const cg__word *w, size_t nw)
{
    int you = 0, me = 0, know = 0;

    (void)len;
    for (size_t i = 0; i < nw; i++) {
        const char c = w[i].n > 0 ? w[i].s[0] : '\0';
        size_t k;

        /* One switch on the first byte: most words start no cue. */
        switch (c) {
        case 'a': case 'b': case 'c': case 'd': case 'i': case 'm': case 'o': case 'p':
        case 'r': case 't': case 'u': case 'w': case 'y':
            break;
        default:
            continue;
        }
        if ((k = cg__phrase_any(w, nw, i, KNOW)) > 0) {
            you += 2;
            know = 1;
            i += k - 1;
            continue;
        }
        /* "anh biết", "tao biết em học ở đâu": the writer claims to know. */
        if ((k = cg__phrase_any(w, nw, i, KNOWER)) > 0 && cg__word_is(w, nw, i + k, "biet")) {
            you += 2;
            know = 1;
            i += k;
            continue;
        }
        if ((k = cg__phrase_any(w, nw, i, TAG)) > 0) {
            you += 2;
            i += k - 1;
            continue;
        }
        /* "mày", "cậu" as written ("máy", "câu" are other words; "may" is English). */
        if (cg__word_any(w, nw, i, YOU_EN) ||
            (cg__word_is(w, nw, i, "may") && cg__pii_ieq(text + w[i].os, w[i].oe - w[i].os,
                                                         "mày")) ||
            (cg__word_is(w, nw, i, "cau") && cg__pii_ieq(text + w[i].os, w[i].oe - w[i].os,
                                                         "cậu")))
            you++;
        else if (cg__word_any(w, nw, i, ME_EN) || cg__word_is(w, nw, i, "toi") ||
                 cg__word_is(w, nw, i, "minh") || cg__word_is(w, nw, i, "tao"))
            me++;
    }
    if (you > me)
        return know ? CG__PD_KNOWN : CG__PD_READER;
    return me > you ? CG__PD_WRITER : CG__PD_UNKNOWN;
}
