/* The engine's live state kept in the store (cg_engine_config.state_save_s): restored at open,
 * saved after a message at most every state_save_s seconds and at close, so that a restart of
 * `childguard serve` does not forget an ongoing grooming trajectory nor the repeat counts.
 *
 * A save serialises the state under the state lock (state.c), then writes the bytes under the
 * record lock (the read-write handle's): scans wait for the copy, not for the disk. One save
 * runs at a time; a scan that finds one running goes on without waiting (trylock). A stored
 * state that cannot be restored is refused by state.c with the reason, noted here, and the
 * engine starts fresh; the next save replaces it. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets the note (caller holds save_lock). */
static void note(cg_engine *e, const char *what, const cg_error *err)
{
    snprintf(e->state_note, sizeof(e->state_note), "%s: %s", what, err->message);
}

/* The one state covers every tenant's conversations, so it is kept under the default tenant,
 * whatever tenant the last record switched the read-write handle to (notify, jobs). Called
 * under record_lock. */
static cg_status home_tenant(cg_engine *e, cg_error *err)
{
    return cg_bankdb_set_tenant(e->rw_db, NULL, err);
}

void cg__engine_state_load(cg_engine *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    cg_error err = {0};
    cg_status st;

    pthread_mutex_lock(&e->save_lock);
    e->state_note[0] = '\0';
    e->saved_ms = wall_ms();
    pthread_mutex_lock(&e->record_lock);
    st = home_tenant(e, &err);
    if (st == CG_OK)
        st = cg_bankdb_state_get(e->rw_db, &buf, &len, NULL, &err);
    pthread_mutex_unlock(&e->record_lock);
    if (st == CG_OK)
        st = cg_engine_state_restore(e, buf, len, &err);
    if (st != CG_OK && st != CG_E_NOTFOUND)
        note(e, "saved engine state refused, starting fresh", &err);
    cg_free(buf);
    e->state_loaded = 1;
    pthread_mutex_unlock(&e->save_lock);
}

/* Saves now (caller holds save_lock). */
static cg_status save(cg_engine *e, cg_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    cg_status st;

    e->saved_ms = wall_ms();
    st = cg_engine_state_save(e, &buf, &len, err);
    if (st == CG_OK) {
        pthread_mutex_lock(&e->record_lock);
        st = home_tenant(e, err);
        if (st == CG_OK)
            st = cg_bankdb_state_put(e->rw_db, buf, len, err);
        pthread_mutex_unlock(&e->record_lock);
    }
    cg_free(buf);
    if (st != CG_OK)
        note(e, "saving the engine state failed", err);
    else
        e->state_note[0] = '\0';
    return st;
}

void cg__engine_state_autosave(cg_engine *e, int force)
{
    cg_error err = {0};

    if (e->cfg.state_save_s <= 0 || e->rw_db == NULL || !e->state_loaded)
        return;
    if (force) {
        pthread_mutex_lock(&e->save_lock);
    } else {
        if (pthread_mutex_trylock(&e->save_lock) != 0)
            return; /* another thread is saving */
        if (wall_ms() - e->saved_ms < e->cfg.state_save_s * 1000) {
            pthread_mutex_unlock(&e->save_lock);
            return;
        }
    }
    (void)save(e, &err);
    pthread_mutex_unlock(&e->save_lock);
}

cg_status cg_engine_state_flush(cg_engine *e, cg_error *err)
{
    cg_status st;

    if (e == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_engine_state_flush: no engine");
    if (e->cfg.state_save_s <= 0 || e->rw_db == NULL || !e->state_loaded)
        return cg__fail(err, CG_E_INVAL, "engine: the live state is not kept (state_save_s 0)");
    pthread_mutex_lock(&e->save_lock);
    st = save(e, err);
    pthread_mutex_unlock(&e->save_lock);
    return st;
}

size_t cg_engine_state_note(cg_engine *e, char *buf, size_t cap)
{
    size_t n = 0;

    if (buf == NULL || cap == 0)
        return 0;
    buf[0] = '\0';
    if (e == NULL)
        return 0;
    pthread_mutex_lock(&e->save_lock);
    n = strlen(e->state_note);
    snprintf(buf, cap, "%s", e->state_note);
    pthread_mutex_unlock(&e->save_lock);
    return n;
}
