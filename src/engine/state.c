/* Saving and restoring the engine's live state (engine.h, cg_engine_state_save): so that a
 * server restart does not forget who has been sending what. The lead wires the bytes into the
 * store (a row per engine) in a later step.
 *
 * Format, version 1, little-endian: "CGST", u32 version, u32 topics (CG__REPEAT_TOPICS),
 * u64 next_message, u32 n, then n repeat slots of u64 sender key, i64 last_ms and topics × u32
 * counts. The conversations' text evidence is not in version 1: it lives in the text session
 * (src/text), which cannot serialise itself yet; restoring keeps the conversations the engine
 * already has. Restoring checks every length and count before it changes anything, so a
 * truncated or hostile buffer is refused with an error naming what is wrong. */
#include "engine/engine_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define STATE_MAGIC "CGST"
#define STATE_VERSION 1u
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
    uint8_t *buf, *p;
    size_t n = 0;

    if (out == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "engine state: no output buffer");
    *out = NULL;
    *len = 0;
    if (e == NULL)
        return cg__fail(err, CG_E_INVAL, "engine state: no engine");
    pthread_mutex_lock(&e->state.lock);
    for (size_t i = 0; i < CG__REPEAT_SLOTS; i++)
        n += e->state.repeat.slots[i].key != 0;
    buf = cg__malloc(HEADER_BYTES + n * SLOT_BYTES);
    if (buf == NULL) {
        pthread_mutex_unlock(&e->state.lock);
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
    *out = buf;
    *len = HEADER_BYTES + n * SLOT_BYTES;
    return CG_OK;
}

cg_status cg_engine_state_restore(cg_engine *e, const uint8_t *buf, size_t len, cg_error *err)
{
    uint32_t n;
    cg__repeat fresh;

    if (e == NULL || (buf == NULL && len > 0))
        return cg__fail(err, CG_E_INVAL, "engine state: no engine or no bytes");
    if (len < HEADER_BYTES || memcmp(buf, STATE_MAGIC, 4) != 0)
        return cg__fail(err, CG_E_DECODE, "engine state: not a saved engine state (%zu bytes)",
                        len);
    if (get_u32(buf + 4) != STATE_VERSION)
        return cg__fail(err, CG_E_UNSUPPORTED, "engine state: version %u (this engine reads %u)",
                        get_u32(buf + 4), STATE_VERSION);
    if (get_u32(buf + 8) != CG__REPEAT_TOPICS)
        return cg__fail(err, CG_E_UNSUPPORTED,
                        "engine state: %u repeat topics (this engine counts %d)",
                        get_u32(buf + 8), CG__REPEAT_TOPICS);
    n = get_u32(buf + 20);
    if (n > CG__REPEAT_SLOTS / 2 || len != HEADER_BYTES + (size_t)n * SLOT_BYTES)
        return cg__fail(err, CG_E_DECODE,
                        "engine state: %u senders in %zu bytes (expected %zu bytes, at most %d "
                        "senders)", n, len, HEADER_BYTES + (size_t)n * SLOT_BYTES,
                        CG__REPEAT_SLOTS / 2);
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
    cg__repeat_free(&e->state.repeat);
    e->state.repeat = fresh;
    if (get_u64(buf + 12) > e->state.next_message)
        e->state.next_message = get_u64(buf + 12);
    pthread_mutex_unlock(&e->state.lock);
    return CG_OK;
}
