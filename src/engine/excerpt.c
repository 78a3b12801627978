/* The conversation excerpt of a review item (engine_int.h; docs/review.md "Text excerpts"):
 * only when the policy turns text quarantine on.
 *
 * The text session keeps no message text (it keeps decayed evidence), so the engine remembers
 * the text of recent messages that hold evidence in a ring of its own, under the state lock:
 * at most CG__EXCERPT_SLOTS messages and CG__EXCERPT_BYTES bytes of text for every tenant and
 * conversation together, the oldest dropped first, a conversation's dropped when the engine
 * forgets the conversation. It lives in memory only: it is never part of the saved live state,
 * so after a restart an excerpt starts with the messages seen since.
 *
 * When a review item is added or refreshed, the excerpt is built from the ring and the
 * verdict's evidence: the newest max_messages messages of the conversation that hold evidence,
 * their text together at most max_bytes (older messages are left out first; a message cut to
 * fit is marked truncated), each with its spans (UTF-8 byte offsets on character boundaries,
 * clipped to the text kept). Text that is not valid UTF-8 has each bad byte replaced by '?',
 * so that byte offsets stay true. */
#include "engine/engine_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "childguard/review.h"
#include "common/alloc.h"
#include "common/error.h"

struct cg__excerpt_msg {
    char *key;                  /* "<tenant>" 0x1f "<conversation>"; NULL: free slot */
    char id[64], sender[64];
    int64_t ts_ms;
    char *text;                 /* valid UTF-8, len bytes, at most CG__EXCERPT_TEXT_MAX */
    size_t len;
};

void cg__excerpt_ring_free(cg__excerpt_ring *r)
{
    for (size_t i = 0; r->slots != NULL && i < CG__EXCERPT_SLOTS; i++) {
        cg__free(r->slots[i].key);
        cg__free(r->slots[i].text);
    }
    cg__free(r->slots);
    memset(r, 0, sizeof(*r));
}

static void drop(cg__excerpt_ring *r, cg__excerpt_msg *m)
{
    if (m->key == NULL)
        return;
    r->bytes -= m->len;
    r->n--;
    cg__free(m->key);
    cg__free(m->text);
    memset(m, 0, sizeof(*m));
}

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t need;
    uint32_t c;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        need = 2, c = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        need = 3, c = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        need = 4, c = s[0] & 0x07;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (need == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    return need;
}

/* Copies n bytes of UTF-8 with every byte of an invalid sequence replaced by '?'. */
static void sanitize(char *dst, const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;

    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0) {
            dst[i++] = '?';
            continue;
        }
        memcpy(dst + i, s + i, k);
        i += k;
    }
}

/* How many bytes of s (n long) fit in max bytes without cutting a UTF-8 character. */
static size_t fit(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

cg_status cg__excerpt_keep(cg__excerpt_ring *r, const char *key, const cg_text_message *m)
{
    const size_t len = fit(m->text != NULL ? m->text : "", m->len, CG__EXCERPT_TEXT_MAX);
    cg__excerpt_msg *slot;
    char *k, *t;

    if (r->slots == NULL) {
        r->slots = cg__calloc(CG__EXCERPT_SLOTS, sizeof(*r->slots));
        if (r->slots == NULL)
            return CG_E_NOMEM;
    }
    k = cg__strdup(key);
    t = cg__malloc(len + 1);
    if (k == NULL || t == NULL) {
        cg__free(k);
        cg__free(t);
        return CG_E_NOMEM;
    }
    sanitize(t, m->text, len);
    t[len] = '\0';
    /* The oldest go first: the slot about to be reused, then more until the bytes fit. */
    drop(r, &r->slots[r->next]);
    for (size_t i = 1; r->bytes + len > CG__EXCERPT_BYTES && i < CG__EXCERPT_SLOTS; i++)
        drop(r, &r->slots[(r->next + i) % CG__EXCERPT_SLOTS]);
    slot = &r->slots[r->next];
    r->next = (r->next + 1) % CG__EXCERPT_SLOTS;
    slot->key = k;
    slot->text = t;
    slot->len = len;
    snprintf(slot->id, sizeof(slot->id), "%s", m->id != NULL ? m->id : "");
    slot->id[fit(slot->id, strlen(slot->id), sizeof(slot->id) - 1)] = '\0';
    snprintf(slot->sender, sizeof(slot->sender), "%s", m->sender != NULL ? m->sender : "");
    slot->sender[fit(slot->sender, strlen(slot->sender), sizeof(slot->sender) - 1)] = '\0';
    slot->ts_ms = m->ts_ms;
    r->bytes += len;
    r->n++;
    return CG_OK;
}

void cg__excerpt_forget(cg__excerpt_ring *r, const char *key)
{
    for (size_t i = 0; r->slots != NULL && r->n > 0 && i < CG__EXCERPT_SLOTS; i++)
        if (r->slots[i].key != NULL && strcmp(r->slots[i].key, key) == 0)
            drop(r, &r->slots[i]);
}

/* 1 when the evidence names message id. */
static int holds_evidence(const cg_text_result *res, const char *id)
{
    for (size_t i = 0; i < res->n_evidence; i++)
        if (strcmp(res->evidence[i].message_id, id) == 0)
            return 1;
    return 0;
}

/* The spans of message m (its first kept bytes) as JSON; NULL when out of memory. */
static json_t *spans_of(const cg_text_result *res, const cg__excerpt_msg *m, size_t kept)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < res->n_evidence; i++) {
        const cg_text_evidence *e = &res->evidence[i];
        size_t lo = e->start, hi = e->end, k;

        if (strcmp(e->message_id, m->id) != 0 || lo >= kept || hi <= lo)
            continue;
        if (hi > kept)
            hi = kept;
        while (lo > 0 && ((unsigned char)m->text[lo] & 0xC0) == 0x80)
            lo--;
        while (hi < kept && ((unsigned char)m->text[hi] & 0xC0) == 0x80)
            hi++;
        for (k = 0; k < json_array_size(a); k++) { /* the same span and harm once */
            json_t *s = json_array_get(a, k);
            if ((size_t)json_integer_value(json_object_get(s, "start")) == lo &&
                (size_t)json_integer_value(json_object_get(s, "end")) == hi &&
                strcmp(json_string_value(json_object_get(s, "harm")),
                       cg_text_harm_name(e->harm)) == 0)
                break;
        }
        if (k < json_array_size(a) || json_array_size(a) >= CG_REVIEW_EXCERPT_SPANS_MAX)
            continue;
        if (json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:s,s:s}", "start",
                                               (json_int_t)lo, "end", (json_int_t)hi, "harm",
                                               cg_text_harm_name(e->harm), "facet",
                                               cg_text_facet_name(e->facet) != NULL
                                                   ? cg_text_facet_name(e->facet)
                                                   : "none",
                                               "cue", e->cue)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

cg_status cg__excerpt_build(const cg__excerpt_ring *r, const char *key, const char *conversation,
                            const cg_text_result *res, const cg_policy_text_quarantine *q,
                            char **out, cg_error *err)
{
    const cg__excerpt_msg *pick[CG_POLICY_EXCERPT_MESSAGES_MAX];
    const size_t max_bytes = (size_t)q->max_bytes;
    size_t n = 0, total = 0;
    json_t *msgs = json_array(), *o = NULL;

    *out = NULL;
    if (msgs == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory (excerpt)");
    /* Newest first: walk the ring backwards from the slot written last, until the messages
     * or the bytes allowed are used up. */
    for (size_t i = 1; r->slots != NULL && i <= CG__EXCERPT_SLOTS && total < max_bytes &&
                       n < (size_t)q->max_messages && n < CG_POLICY_EXCERPT_MESSAGES_MAX;
         i++) {
        const cg__excerpt_msg *m =
            &r->slots[(r->next + CG__EXCERPT_SLOTS - i) % CG__EXCERPT_SLOTS];
        size_t k;
        if (m->key == NULL || strcmp(m->key, key) != 0 || !holds_evidence(res, m->id))
            continue;
        for (k = 0; k < n && strcmp(pick[k]->id, m->id) != 0; k++)
            ;
        if (k < n) /* the same id sent again: the newest is kept */
            continue;
        pick[n++] = m;
        total += m->len;
    }
    /* Oldest first in the excerpt; the bytes go to the newest messages first, so a message
     * gets what the newer ones left (cut at a character boundary). */
    for (size_t i = n; i-- > 0;) {
        const cg__excerpt_msg *m = pick[i];
        size_t newer = 0, kept;
        json_t *spans;

        for (size_t j = 0; j < i; j++)
            newer += pick[j]->len;
        kept = newer >= max_bytes ? 0 : fit(m->text, m->len, max_bytes - newer);
        if (kept == 0 && m->len > 0)
            continue;
        spans = spans_of(res, m, kept);
        if (spans == NULL ||
            json_array_append_new(msgs, json_pack("{s:s,s:s,s:I,s:s%,s:b,s:o}", "id", m->id,
                                                  "sender", m->sender, "ts_ms",
                                                  (json_int_t)m->ts_ms, "text", m->text, kept,
                                                  "truncated", kept < m->len, "spans",
                                                  spans)) != 0) {
            json_decref(msgs);
            return cg__fail(err, CG_E_NOMEM, "engine: out of memory (excerpt)");
        }
    }
    if (json_array_size(msgs) == 0) {
        json_decref(msgs);
        return CG_OK;
    }
    o = json_pack("{s:i,s:s,s:s,s:o}", "version", 1, "conversation", conversation, "offsets",
                  "utf8_bytes", "messages", msgs);
    *out = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (*out == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory (excerpt)");
    return CG_OK;
}
