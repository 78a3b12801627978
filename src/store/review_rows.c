/* The review queue's rows as every store backend keeps them (review.h, docs/review.md): the
 * stored names of the states, and the checks of what may be written (items, verdicts,
 * reviewer names, decisions). The review layer (src/review/) and the backends use them; no
 * database here. */
#include "store/store_int.h"

#include <string.h>

#include "childguard/review_item.h"
#include "common/error.h"

/* The largest verdict JSON accepted (bytes): a verdict is hashes, matches and spans, never
 * content, so this is generous. */
#define REVIEW_VERDICT_MAX (1u << 20)

const char *const cg__review_state_names[CG_REVIEW_STATE_COUNT] = {
    "pending", "claimed", "confirmed", "false_positive", "escalated",
};

const char *cg_review_state_name(cg_review_state s)
{
    if ((unsigned)s >= CG_REVIEW_STATE_COUNT)
        return "unknown";
    return cg__review_state_names[s];
}

int cg_review_state_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < CG_REVIEW_STATE_COUNT; i++)
        if (strcmp(name, cg__review_state_names[i]) == 0)
            return i;
    return -1;
}


/* A reviewer name: 1..CG_REVIEW_NAME_MAX bytes of UTF-8 without control characters. */
int cg__review_reviewer_valid(const char *s)
{
    size_t n;

    if (s == NULL)
        return 0;
    n = strnlen(s, CG_REVIEW_NAME_MAX + 1);
    if (n == 0 || n > CG_REVIEW_NAME_MAX || !cg__utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* A content kind: 1..CG_REVIEW_NAME_MAX of [a-z0-9_-]. */
static int kind_valid(const char *s, size_t cap)
{
    const char *end = memchr(s, '\0', cap);

    if (end == NULL || end == s)
        return 0;
    for (; s < end; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Checks what cg_review_add stores; returns NULL when valid, else a static reason. */
const char *cg__review_item_invalid(const cg_review_item *it)
{
    const long cid = cg__bank_text_check(it->content_id, sizeof(it->content_id));

    if (cid <= 0)
        return cid == 0 ? "content_id is empty"
                        : "content_id longer than 127 bytes or not UTF-8";
    for (long i = 0; i < cid; i++)
        if ((unsigned char)it->content_id[i] < 0x20)
            return "content_id holds a control character";
    if (!kind_valid(it->kind, sizeof(it->kind)))
        return "kind must be 1-63 characters of [a-z0-9_-] (image, file, message, video)";
    if (cg__bank_text_check(it->label, sizeof(it->label)) < 0)
        return "label longer than 64 bytes or not UTF-8";
    if (it->priority < 0 || it->priority > 3)
        return "priority out of range (0 normal .. 3 urgent)";
    if (cg__bank_text_check(it->reason, sizeof(it->reason)) < 0)
        return "reason longer than 1023 bytes or not UTF-8";
    if (it->n_signals > CG_REVIEW_MAX_SIGNALS)
        return "more than 16 signals";
    for (size_t i = 0; i < it->n_signals; i++) {
        const cg_review_signal *s = &it->signals[i];

        if (s->type == NULL || s->type->name == NULL ||
            cg_signal_type_find(s->type->name) != s->type)
            return "a signal has an unknown signal type";
        if (s->quality < -1 || s->quality > 100)
            return "a signal's quality is out of range (-1..100)";
    }
    return NULL;
}

cg_status cg__review_verdict_check(cg_bankdb *db, const char *json, cg_error *err)
{
    return cg__store_json_object_check(db, json, REVIEW_VERDICT_MAX, "review item: verdict",
                                       err);
}

/* Checks a decision's fields; returns NULL when valid, else a static reason. */
const char *cg__review_decision_invalid(const cg_review_decision *d)
{
    if (d->state != CG_REVIEW_CONFIRMED && d->state != CG_REVIEW_FALSE_POSITIVE &&
        d->state != CG_REVIEW_ESCALATED)
        return "the decision must be confirmed, false_positive or escalated";
    if (!cg__review_reviewer_valid(d->reviewer))
        return "reviewer must be 1-63 bytes of UTF-8 text";
    if (d->note != NULL &&
        (strnlen(d->note, CG_REVIEW_TEXT_MAX + 1) > CG_REVIEW_TEXT_MAX ||
         !cg__utf8_valid(d->note, strlen(d->note))))
        return "note longer than 1023 bytes or not UTF-8";
    if (d->bank != NULL && d->state == CG_REVIEW_ESCALATED)
        return "an escalation feeds no bank (decide it later with a bank)";
    if (d->bank != NULL && !cg__bank_name_valid(d->bank))
        return "invalid bank name";
    return NULL;
}

/* Adds item's signals to bank (inside the caller's transaction); *added counts the new ones.
 * PDQ hashes below the bank's minimum quality are left out and counted in *out. */
