/* Saving and restoring a text session's conversations (session_state.h).
 *
 * Format, version 3, little-endian, no padding: "CGTS", u32 version, six u32 dimensions of this
 * build (facets, harms, parties per conversation, evidence ring, pending group messages, words
 * per pending message: a build with other dimensions refuses the state rather than guess), u32
 * conversation count, then each conversation: its id (u32 length + bytes), i64 last_ts, u64
 * messages, u32 parties, i32 last sender, the harm peaks, the pending group messages, the last
 * probe for personal data (i32 from, i32 to, u64 at) and the message of each topic context
 * marker (8 x u64), the last ask for images (i32 party, i32 refused since: version 3 only; a
 * version 2 state reads as no ask), the evidence ring, then its parties (version 1 had no probe
 * and markers; version 4 adds, after the last ask, the demand left pending (i32 party, u32
 * parts, u64 message), and to each party, last, three f32: the part of their personal-data
 * evidence, rules' and learned, that was someone else's data, and the evidence of their own
 * data written out by others; an older state reads them as none and 0; version 5 has the same
 * layout, and the demand's parts may also hold a value named and a countdown, 128 and 256). A
 * slot of the evidence ring outside its window (the ring_n slots from ring_head) is written as
 * zeros. Strings are a length and bytes, never NUL-terminated; floats
 * are their IEEE-754 bits. What is kept is what the scoring keeps: sender and conversation ids,
 * message ids, cue ids, byte offsets, numbers and word hashes; never message text.
 *
 * Restoring reads into a new table and checks every length, count, index, enum and number
 * (finite, not negative where evidence) as it goes; only a buffer read to its exact end without
 * a fault replaces the session's table. */
#include "text/session_state.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/conversation_int.h"

#define MAGIC "CGTS"
#define VERSION 5u
/* The longest id (conversation, party) accepted. */
#define ID_MAX 4096u

struct cg_text_session; /* text_engine.c */

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct writer {
    uint8_t *buf;
    size_t len, cap;
    int failed; /* 1: out of memory, 2: over CG__SESSION_STATE_MAX */
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->failed)
        return;
    if (n > CG__SESSION_STATE_MAX - w->len) {
        w->failed = 2;
        return;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap > 0 ? w->cap : 4096;
        uint8_t *b;

        while (cap < w->len + n)
            cap *= 2;
        if (cap > CG__SESSION_STATE_MAX)
            cap = CG__SESSION_STATE_MAX;
        b = cg__realloc(w->buf, cap);
        if (b == NULL) {
            w->failed = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_u32(writer *w, uint32_t v)
{
    uint8_t b[4];

    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 4);
}

static void put_u64(writer *w, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
}

static void put_i32(writer *w, int v) { put_u32(w, (uint32_t)(int32_t)v); }
static void put_i64(writer *w, int64_t v) { put_u64(w, (uint64_t)v); }

static void put_f32(writer *w, float f)
{
    uint32_t v;

    memcpy(&v, &f, 4);
    put_u32(w, v);
}

static void put_str(writer *w, const char *s, size_t cap)
{
    const size_t n = strnlen(s, cap);

    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

static void put_f32s(writer *w, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_f32(w, f[i]);
}

static void write_party(writer *w, const party *p)
{
    put_str(w, p->name, ID_MAX);
    put_f32s(w, p->facet_e, CG_FACET_COUNT);
    put_f32s(w, p->harm_e, CG_HARM_COUNT);
    put_f32s(w, p->learn_e, CG_HARM_COUNT);
    put(w, p->msgs, CG_HARM_COUNT);
    put_i32(w, p->bully_at);
    for (int f = 0; f < CG_FACET_COUNT; f++)
        put_i64(w, p->facet_ts[f]);
    put_i32(w, p->age_min);
    put_i32(w, p->age_max);
    put_i32(w, p->asked_age);
    put_f32s(w, p->expo_e, CG_HARM_COUNT);
    put_f32s(w, p->expo_l, CG_HARM_COUNT);
    put(w, p->expo_msgs, CG_HARM_COUNT);
    for (int h = 0; h < CG_HARM_COUNT; h++)
        put_i32(w, p->expo_from[h]);
    put_u32(w, (uint32_t)p->peak);
    put_u32(w, (uint32_t)p->peak_harm);
    put_str(w, p->peak_msg, sizeof(p->peak_msg));
    put_i64(w, p->urgent_ts);
    put_i32(w, p->parent);
    put_f32(w, p->pdx_e);
    put_f32(w, p->pdx_l);
    put_f32(w, p->rev_e);
}

static void write_conv(writer *w, const conv *v)
{
    put_str(w, v->id, ID_MAX);
    put_i64(w, v->last_ts);
    put_u64(w, v->n_messages);
    put_u32(w, (uint32_t)v->n_parties);
    put_i32(w, v->last_sender);
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        const cg_text_harm_peak *pk = &v->peak[h];

        put_u32(w, (uint32_t)pk->level);
        put_f32(w, pk->risk);
        put_str(w, pk->message_id, sizeof(pk->message_id));
        put_str(w, pk->at_risk, sizeof(pk->at_risk));
        put_str(w, pk->author, sizeof(pk->author));
    }
    for (int i = 0; i < PENDING; i++) {
        for (int k = 0; k < PENDING_WORDS; k++)
            put_u32(w, v->pend[i].word[k]);
        put(w, &v->pend[i].n, 1);
        put_i32(w, v->pend[i].from);
        put_f32s(w, v->pend[i].w, CG_HARM_COUNT);
    }
    put_u32(w, (uint32_t)v->pend_next);
    put_i32(w, v->probe_from);
    put_i32(w, v->probe_to);
    put_u64(w, v->probe_at);
    for (int i = 0; i < CONTEXT_BITS; i++)
        put_u64(w, v->ctx_at[i]);
    put_i32(w, v->ask_from);
    put_i32(w, v->ask_refused);
    put_i32(w, v->dem_from);
    put_u32(w, v->dem_parts);
    put_u64(w, v->dem_at);
    for (int i = 0; i < EVIDENCE_RING; i++) {
        /* A slot outside the ring's window may never have been written (conversation_int.h):
         * it is saved as zeros, what it held before conversations were created unzeroed. */
        static const cg_text_evidence none;
        const size_t from_head = ((size_t)i + EVIDENCE_RING - v->ring_head) % EVIDENCE_RING;
        const cg_text_evidence *ev = from_head < v->ring_n ? &v->ring[i] : &none;

        put_str(w, ev->message_id, sizeof(ev->message_id));
        put_u32(w, (uint32_t)ev->harm);
        put_u32(w, (uint32_t)ev->facet);
        put_str(w, ev->cue, sizeof(ev->cue));
        put_u32(w, ev->start);
        put_u32(w, ev->end);
        put_f32(w, ev->weight);
        put_i32(w, ev->in_this_message);
    }
    put_u32(w, (uint32_t)v->ring_n);
    put_u32(w, (uint32_t)v->ring_head);
    for (size_t i = 0; i < v->n_parties; i++)
        write_party(w, &v->parties[i]);
}

cg_status cg__text_session_state_save(cg_text_session *s, uint8_t **out, size_t *len,
                                      cg_error *err)
{
    cg__convs *c;
    writer w = {NULL, 0, 0, 0};

    if (out == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "conversation state: no output buffer");
    *out = NULL;
    *len = 0;
    if (s == NULL)
        return cg__fail(err, CG_E_INVAL, "conversation state: no session");
    c = *cg__text_session_convs(s);
    put(&w, MAGIC, 4);
    put_u32(&w, VERSION);
    put_u32(&w, CG_FACET_COUNT);
    put_u32(&w, CG_HARM_COUNT);
    put_u32(&w, MAX_PARTIES);
    put_u32(&w, EVIDENCE_RING);
    put_u32(&w, PENDING);
    put_u32(&w, PENDING_WORDS);
    put_u32(&w, c != NULL ? (uint32_t)c->n : 0);
    for (size_t b = 0; c != NULL && b < c->n_buckets; b++)
        for (const conv *v = c->buckets[b]; v != NULL; v = v->next)
            write_conv(&w, v);
    if (w.failed) {
        cg__free(w.buf);
        return w.failed == 2
                   ? cg__fail(err, CG_E_LIMIT, "conversation state: larger than %zu bytes",
                              CG__SESSION_STATE_MAX)
                   : cg__fail(err, CG_E_NOMEM, "conversation state: out of memory");
    }
    *out = w.buf;
    *len = w.len;
    return CG_OK;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct reader {
    const uint8_t *p;
    size_t left;
    const char *fault; /* the first thing found wrong; NULL while all is well */
    uint32_t version;  /* of the state being read (2 to 5) */
} reader;

static int take(reader *r, void *dst, size_t n)
{
    if (r->fault != NULL)
        return 0;
    if (n > r->left) {
        r->fault = "truncated";
        return 0;
    }
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
    return 1;
}

static uint32_t get_u32(reader *r)
{
    uint8_t b[4] = {0};
    uint32_t v = 0;

    take(r, b, 4);
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

static uint64_t get_u64(reader *r)
{
    uint8_t b[8] = {0};
    uint64_t v = 0;

    take(r, b, 8);
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void check(reader *r, int ok, const char *what)
{
    if (!ok && r->fault == NULL)
        r->fault = what;
}

/* A float that must be finite (and, when nonneg, not negative). */
static float get_f32(reader *r, int nonneg)
{
    uint32_t v = get_u32(r);
    float f;

    memcpy(&f, &v, 4);
    check(r, isfinite(f) && (!nonneg || f >= 0.0f), "a number is not finite or is negative");
    return r->fault == NULL ? f : 0.0f;
}

static void get_f32s(reader *r, float *f, size_t n, int nonneg)
{
    for (size_t i = 0; i < n; i++)
        f[i] = get_f32(r, nonneg);
}

static int get_i32(reader *r) { return (int)(int32_t)get_u32(r); }
static int64_t get_i64(reader *r) { return (int64_t)get_u64(r); }

/* A string into a fixed field of cap bytes (NUL added). */
static void get_fixed(reader *r, char *dst, size_t cap)
{
    const uint32_t n = get_u32(r);

    dst[0] = '\0';
    check(r, n < cap, "a text field is too long");
    if (r->fault == NULL && take(r, dst, n)) {
        dst[n] = '\0';
        check(r, memchr(dst, '\0', n) == NULL, "a text field holds a NUL byte");
    }
}

/* A string of at most ID_MAX bytes into a new allocation (NULL on a fault). */
static char *get_id(reader *r)
{
    const uint32_t n = get_u32(r);
    char *s;

    check(r, n > 0 && n <= ID_MAX, "an id is empty or too long");
    if (r->fault != NULL)
        return NULL;
    s = cg__malloc((size_t)n + 1);
    if (s == NULL) {
        r->fault = "out of memory";
        return NULL;
    }
    if (!take(r, s, n)) {
        cg__free(s);
        return NULL;
    }
    s[n] = '\0';
    if (memchr(s, '\0', n) != NULL) {
        check(r, 0, "an id holds a NUL byte");
        cg__free(s);
        return NULL;
    }
    return s;
}

static int index_ok(int i, size_t n) { return i >= -1 && i < (int)n; }

static void read_party(reader *r, party *p, size_t n_parties)
{
    p->name = get_id(r);
    get_f32s(r, p->facet_e, CG_FACET_COUNT, 1);
    get_f32s(r, p->harm_e, CG_HARM_COUNT, 1);
    get_f32s(r, p->learn_e, CG_HARM_COUNT, 1);
    take(r, p->msgs, CG_HARM_COUNT);
    p->bully_at = get_i32(r);
    check(r, index_ok(p->bully_at, n_parties), "a party index is out of range");
    for (int f = 0; f < CG_FACET_COUNT; f++)
        p->facet_ts[f] = get_i64(r);
    p->age_min = get_i32(r);
    p->age_max = get_i32(r);
    p->asked_age = get_i32(r);
    check(r, p->age_min >= 0 && p->age_min <= 200 && p->age_max >= 0 && p->age_max <= 200,
          "an age is out of range");
    get_f32s(r, p->expo_e, CG_HARM_COUNT, 1);
    get_f32s(r, p->expo_l, CG_HARM_COUNT, 1);
    take(r, p->expo_msgs, CG_HARM_COUNT);
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        p->expo_from[h] = get_i32(r);
        check(r, index_ok(p->expo_from[h], n_parties), "a party index is out of range");
    }
    p->peak = (cg_alert)get_u32(r);
    check(r, (unsigned)p->peak <= CG_ALERT_URGENT, "an alert level is out of range");
    p->peak_harm = (cg_harm)get_u32(r);
    check(r, (unsigned)p->peak_harm < CG_HARM_COUNT, "a harm is out of range");
    get_fixed(r, p->peak_msg, sizeof(p->peak_msg));
    p->urgent_ts = get_i64(r);
    p->parent = get_i32(r);
    if (r->version >= 4) {
        p->pdx_e = get_f32(r, 1);
        p->pdx_l = get_f32(r, 1);
        p->rev_e = get_f32(r, 1);
    }
    for (int f = 0; f < CG_FACET_COUNT; f++)
        if (p->facet_e[f] != 0.0f)
            p->facet_live |= CG__FACET_BIT(f);
}

/* Reads one conversation into the new table c. */
static void read_conv(reader *r, cg__convs *c)
{
    char *id = get_id(r);
    conv *v;
    uint32_t np;

    if (id == NULL)
        return;
    if (cg__convs_find(c, id, 0) != NULL) {
        cg__free(id);
        check(r, 0, "a conversation appears twice");
        return;
    }
    v = cg__convs_find(c, id, 1);
    cg__free(id);
    if (v == NULL) {
        check(r, 0, "out of memory");
        return;
    }
    v->last_ts = get_i64(r);
    v->n_messages = get_u64(r);
    np = get_u32(r);
    check(r, np <= MAX_PARTIES, "too many parties in a conversation");
    v->last_sender = get_i32(r);
    check(r, index_ok(v->last_sender, np), "a party index is out of range");
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        cg_text_harm_peak *pk = &v->peak[h];

        pk->level = (cg_alert)get_u32(r);
        check(r, (unsigned)pk->level <= CG_ALERT_URGENT, "an alert level is out of range");
        pk->risk = get_f32(r, 1);
        get_fixed(r, pk->message_id, sizeof(pk->message_id));
        get_fixed(r, pk->at_risk, sizeof(pk->at_risk));
        get_fixed(r, pk->author, sizeof(pk->author));
    }
    for (int i = 0; i < PENDING; i++) {
        for (int k = 0; k < PENDING_WORDS; k++)
            v->pend[i].word[k] = get_u32(r);
        take(r, &v->pend[i].n, 1);
        check(r, v->pend[i].n <= PENDING_WORDS, "a pending message has too many words");
        v->pend[i].from = get_i32(r);
        check(r, index_ok(v->pend[i].from, np), "a party index is out of range");
        get_f32s(r, v->pend[i].w, CG_HARM_COUNT, 1);
    }
    v->pend_next = get_u32(r);
    check(r, v->pend_next < PENDING, "the pending ring position is out of range");
    v->probe_from = get_i32(r);
    v->probe_to = get_i32(r);
    check(r, index_ok(v->probe_from, np) && index_ok(v->probe_to, np),
          "a party index is out of range");
    v->probe_at = get_u64(r);
    for (int i = 0; i < CONTEXT_BITS; i++) {
        v->ctx_at[i] = get_u64(r);
        check(r, v->ctx_at[i] <= v->n_messages, "a context marker is after the last message");
    }
    check(r, v->probe_at <= v->n_messages, "a probe is after the last message");
    v->ask_from = -1;
    v->ask_refused = 0;
    if (r->version >= 3) {
        v->ask_from = get_i32(r);
        v->ask_refused = get_i32(r);
        check(r, index_ok(v->ask_from, np), "a party index is out of range");
        check(r, v->ask_refused == 0 || v->ask_refused == 1, "a refusal flag is not 0 or 1");
    }
    v->dem_from = -1;
    v->dem_parts = 0;
    v->dem_at = 0;
    if (r->version >= 4) {
        v->dem_from = get_i32(r);
        v->dem_parts = get_u32(r);
        v->dem_at = get_u64(r);
        check(r, index_ok(v->dem_from, np), "a party index is out of range");
        /* Version 5 adds a value named and a countdown (detect.h CG__DEM_VALUE, _CLOCK). */
        check(r, v->dem_parts < (r->version >= 5 ? 512u : 128u),
              "the parts of a pending demand are out of range");
        check(r, v->dem_at <= v->n_messages, "a pending demand is after the last message");
    }
    for (int i = 0; i < EVIDENCE_RING; i++) {
        cg_text_evidence *ev = &v->ring[i];

        get_fixed(r, ev->message_id, sizeof(ev->message_id));
        ev->harm = (cg_harm)get_u32(r);
        check(r, (unsigned)ev->harm < CG_HARM_COUNT, "a harm is out of range");
        ev->facet = (cg_facet)get_u32(r);
        check(r, (unsigned)ev->facet < CG_FACET_COUNT, "a facet is out of range");
        get_fixed(r, ev->cue, sizeof(ev->cue));
        ev->start = get_u32(r);
        ev->end = get_u32(r);
        check(r, ev->start <= ev->end, "an evidence span ends before it starts");
        ev->weight = get_f32(r, 0);
        ev->in_this_message = get_i32(r) != 0;
    }
    v->ring_n = get_u32(r);
    v->ring_head = get_u32(r);
    check(r, v->ring_n <= EVIDENCE_RING && v->ring_head < EVIDENCE_RING,
          "the evidence ring position is out of range");
    /* Parties last: a party's name is only owned by v once it is counted in n_parties. */
    for (uint32_t i = 0; i < np && r->fault == NULL; i++) {
        party *p = &v->parties[i];

        memset(p, 0, sizeof(*p));
        read_party(r, p, np);
        if (p->name == NULL) {
            check(r, 0, "a party has no name");
            return;
        }
        v->n_parties = i + 1; /* counted even after a fault: freed with the conversation */
    }
}

cg_status cg__text_session_state_restore(cg_text_session *s, const uint8_t *buf, size_t len,
                                         cg_error *err)
{
    static const uint32_t dims[6] = {CG_FACET_COUNT, CG_HARM_COUNT, MAX_PARTIES,
                                     EVIDENCE_RING,  PENDING,       PENDING_WORDS};
    reader r = {buf, len, NULL, 0};
    cg__convs *fresh = NULL, **slot;
    uint8_t magic[4] = {0};
    uint32_t version, n;
    cg_status st;

    if (s == NULL || (buf == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "conversation state: no session or no bytes");
    if (len > CG__SESSION_STATE_MAX)
        return cg__fail(err, CG_E_LIMIT, "conversation state: %zu bytes (at most %zu)", len,
                        CG__SESSION_STATE_MAX);
    if (!take(&r, magic, 4) || memcmp(magic, MAGIC, 4) != 0)
        return cg__fail(err, CG_E_DECODE, "conversation state: not a saved conversation state "
                        "(%zu bytes)", len);
    version = get_u32(&r);
    if (r.fault == NULL && (version < 2 || version > VERSION))
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "conversation state: version %u (this build reads 2 to %u)", version,
                        VERSION);
    r.version = version;
    for (int i = 0; i < 6; i++) {
        const uint32_t d = get_u32(&r);

        if (r.fault == NULL && d != dims[i])
            return cg__fail(err, CG_E_UNSUPPORTED,
                            "conversation state: written by a build with other dimensions "
                            "(field %d is %u, here %u)", i + 1, d, dims[i]);
    }
    n = get_u32(&r);
    if (r.fault != NULL)
        return cg__fail(err, CG_E_DECODE, "conversation state: %s header (%zu bytes)", r.fault,
                        len);
    /* Each conversation takes far more than 64 bytes: a count the bytes cannot hold is a lie. */
    if (n > r.left / 64)
        return cg__fail(err, CG_E_DECODE,
                        "conversation state: %u conversations cannot fit in %zu bytes", n, len);
    st = cg__convs_new(&fresh, err);
    if (st != CG_OK)
        return st;
    for (uint32_t i = 0; i < n && r.fault == NULL; i++)
        read_conv(&r, fresh);
    if (r.fault == NULL && r.left != 0)
        r.fault = "bytes after the last conversation";
    if (r.fault != NULL) {
        const size_t at = len - r.left;

        cg__convs_free(fresh);
        if (strcmp(r.fault, "out of memory") == 0)
            return cg__fail(err, CG_E_NOMEM, "conversation state: out of memory");
        return cg__fail(err, CG_E_DECODE, "conversation state: %s (at byte %zu of %zu)",
                        r.fault, at, len);
    }
    slot = cg__text_session_convs(s);
    cg__convs_free(*slot);
    *slot = fresh;
    return CG_OK;
}

void cg__text_session_each(cg_text_session *s, void (*fn)(void *ud, const char *id), void *ud)
{
    const cg__convs *c = s != NULL ? *cg__text_session_convs(s) : NULL;

    for (size_t b = 0; c != NULL && b < c->n_buckets; b++)
        for (const conv *v = c->buckets[b]; v != NULL; v = v->next)
            fn(ud, v->id);
}
