/* Saving and restoring the engine's live state (engine.h, cg_engine_state_save): so that a
 * server restart does not forget who has been sending what, nor an ongoing grooming
 * trajectory. The engine keeps it in the store (state_store.c).
 *
 * Format, version 2, little-endian: "CGST", u32 version, u32 topics (CG__REPEAT_TOPICS),
 * u64 next_message, u32 n, then n repeat slots of u64 sender key, i64 last_ms and topics × u32
 * counts, then u64 length and the text session's conversations (src/text/session_state.c;
 * its own magic, version and dimensions). Version 1 (no conversations) is still read: restoring
 * it keeps the conversations the engine already has. Restoring checks every length and count
 * before it changes anything, so a truncated or hostile buffer is refused with an error naming
 * what is wrong and the engine keeps its state. */
#include "engine/engine_int.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/session_state.h"

#define STATE_MAGIC "CGST"
#define STATE_VERSION 2u
#define SLOT_BYTES (8 + 8 + 4 * CG__REPEAT_TOPICS)
#define HEADER_BYTES (4 + 4 + 4 + 8 + 4)

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

cg_status cg_engine_state_save(cg_engine *e, uint8_t **out, size_t *len, cg_error *err)
{
    uint8_t *buf, *p, *conv = NULL;
    size_t n = 0, conv_len = 0;
    cg_status st;

    if (out == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "engine state: no output buffer");
    *out = NULL;
    *len = 0;
    if (e == NULL)
        return cg__fail(err, CG_E_INVAL, "engine state: no engine");
    pthread_mutex_lock(&e->state.lock);
    st = cg__text_session_state_save(e->state.session, &conv, &conv_len, err);
    if (st != CG_OK) {
        pthread_mutex_unlock(&e->state.lock);
        return st;
    }
    for (size_t i = 0; i < CG__REPEAT_SLOTS; i++)
        n += e->state.repeat.slots[i].key != 0;
    buf = cg__malloc(HEADER_BYTES + n * SLOT_BYTES + 8 + conv_len);
    if (buf == NULL) {
        pthread_mutex_unlock(&e->state.lock);
        cg__free(conv);
        return cg__fail(err, CG_E_NOMEM, "engine state: out of memory");
    }
    memcpy(buf, STATE_MAGIC, 4);
    put_u32(buf + 4, STATE_VERSION);
    put_u32(buf + 8, CG__REPEAT_TOPICS);
    put_u64(buf + 12, e->state.next_message);
    put_u32(buf + 20, (uint32_t)n);
    p = buf + HEADER_BYTES;
    for (size_t i = 0; i < CG__REPEAT_SLOTS; i++) {
        const cg__repeat_slot *s = &e->state.repeat.slots[i];
        if (s->key == 0)
            continue;
        put_u64(p, s->key);
        put_u64(p + 8, (uint64_t)s->last_ms);
        for (int t = 0; t < CG__REPEAT_TOPICS; t++)
            put_u32(p + 16 + 4 * t, s->count[t]);
        p += SLOT_BYTES;
    }
    pthread_mutex_unlock(&e->state.lock);
    put_u64(p, (uint64_t)conv_len);
    if (conv_len > 0)
        memcpy(p + 8, conv, conv_len);
    cg__free(conv);
    *out = buf;
    *len = HEADER_BYTES + n * SLOT_BYTES + 8 + conv_len;
    return CG_OK;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collects the conversation ids of the restored session (convtable rebuild). */
typedef struct id_list {
    char **ids;
    size_t n, cap;
    int nomem;
} id_list;

static void collect_id(void *ud, const char *id)
{
    id_list *l = ud;

    if (l->nomem)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? 2 * l->cap : 64;
        char **ids = cg__realloc(l->ids, cap * sizeof(*ids));

        if (ids == NULL) {
            l->nomem = 1;
            return;
        }
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n] = cg__strdup(id);
    if (l->ids[l->n] == NULL)
        l->nomem = 1;
    else
        l->n++;
}

static void forget_restored(void *ud, const char *key)
{
    cg_text_session_forget(ud, key);
}

/* After the session's conversations were replaced: the table of remembered conversations is
 * rebuilt from them, each touched now (a restart counts as a use); beyond the cap the extra
 * ones are forgotten as usual. Caller holds the state lock. */
static void convtable_rebuild(cg_engine *e, int64_t now_ms)
{
    const size_t cap = e->state.convs.cap;
    const int64_t ttl = e->state.convs.ttl_ms;
    id_list l = {NULL, 0, 0, 0};

    cg__text_session_each(e->state.session, collect_id, &l);
    cg__excerpt_ring_free(&e->state.excerpts); /* texts of the replaced conversations */
    cg__convtable_free(&e->state.convs);
    if (cg__convtable_init(&e->state.convs, cap, ttl) != CG_OK)
        l.nomem = 1;
    for (size_t i = 0; i < l.n; i++) {
        if (l.nomem || cg__convtable_touch(&e->state.convs, l.ids[i], now_ms, forget_restored,
                                           e->state.session) != CG_OK)
            cg_text_session_forget(e->state.session, l.ids[i]); /* not remembered: not kept */
        cg__free(l.ids[i]);
    }
    cg__free(l.ids);
}

cg_status cg_engine_state_restore(cg_engine *e, const uint8_t *buf, size_t len, cg_error *err)
{
    uint32_t n, version;
    cg__repeat fresh;
    size_t at, conv_len = 0;
    cg_status st = CG_OK;

    if (e == NULL || (buf == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "engine state: no engine or no bytes");
    if (len < HEADER_BYTES || memcmp(buf, STATE_MAGIC, 4) != 0)
        return cg__fail(err, CG_E_DECODE, "engine state: not a saved engine state (%zu bytes)",
                        len);
    version = get_u32(buf + 4);
    if (version != 1 && version != STATE_VERSION)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "engine state: version %u (this engine reads 1 and %u)", version,
                        STATE_VERSION);
    if (get_u32(buf + 8) != CG__REPEAT_TOPICS)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "engine state: %u repeat topics (this engine counts %d)",
                        get_u32(buf + 8), CG__REPEAT_TOPICS);
    n = get_u32(buf + 20);
    at = HEADER_BYTES + (size_t)n * SLOT_BYTES;
    if (n <= CG__REPEAT_SLOTS / 2 && version == STATE_VERSION && len >= at + 8) {
        const uint64_t cl = get_u64(buf + at);

        conv_len = cl <= len - at - 8 ? (size_t)cl : SIZE_MAX;
    }
    if (n > CG__REPEAT_SLOTS / 2 ||
        (version == 1 && len != at) ||
        (version == STATE_VERSION && (len < at + 8 || conv_len != len - at - 8)))
        return cg__fail(err, CG_E_DECODE,
                        "engine state: %u senders and their conversations do not fit %zu bytes "
                        "(at most %d senders)", n, len, CG__REPEAT_SLOTS / 2);
    if (cg__repeat_init(&fresh) != CG_OK)
        return cg__fail(err, CG_E_NOMEM, "engine state: out of memory");
    for (uint32_t k = 0; k < n; k++) {
        const uint8_t *p = buf + HEADER_BYTES + (size_t)k * SLOT_BYTES;
        const uint64_t key = get_u64(p);
        size_t i = (size_t)(key & (CG__REPEAT_SLOTS - 1));

        if (key == 0) {
            cg__repeat_free(&fresh);
            return cg__fail(err, CG_E_DECODE, "engine state: sender %u has no key", k);
        }
        while (fresh.slots[i].key != 0 && fresh.slots[i].key != key)
            i = (i + 1) & (CG__REPEAT_SLOTS - 1);
        if (fresh.slots[i].key == key) {
            cg__repeat_free(&fresh);
            return cg__fail(err, CG_E_DECODE, "engine state: sender %u appears twice", k);
        }
        fresh.slots[i].key = key;
        fresh.slots[i].last_ms = (int64_t)get_u64(p + 8);
        for (int t = 0; t < CG__REPEAT_TOPICS; t++)
            fresh.slots[i].count[t] = get_u32(p + 16 + 4 * t);
        fresh.used++;
    }
    pthread_mutex_lock(&e->state.lock);
    if (version == STATE_VERSION) {
        st = cg__text_session_state_restore(e->state.session, buf + at + 8, conv_len, err);
        if (st != CG_OK) {
            pthread_mutex_unlock(&e->state.lock);
            cg__repeat_free(&fresh);
            return st;
        }
        convtable_rebuild(e, wall_ms());
    }
    cg__repeat_free(&e->state.repeat);
    e->state.repeat = fresh;
    if (get_u64(buf + 12) > e->state.next_message)
        e->state.next_message = get_u64(buf + 12);
    pthread_mutex_unlock(&e->state.lock);
    return CG_OK;
}
