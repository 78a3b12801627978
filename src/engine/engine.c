/* The engine's lifetime: open (matcher, text engine, policy, audit log, review database),
 * close, accessors and the engine's PDQ hasher pool (engine.h). */
#include "engine/engine_int.h"

#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

void cg_engine_config_default(cg_engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->context = CG_CONTEXT_PLATFORM_UPLOAD;
    cg_decode_options_default(&cfg->decode);
    cfg->classify = 1;
}

void cg_content_init(cg_content *c)
{
    memset(c, 0, sizeof(*c));
    c->context = -2;
    c->audience = CG_AUDIENCE_RECIPIENT;
    c->sender_is_child = -1;
}

double cg__engine_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Copies s into *dst (NULL stays NULL); -1 when out of memory. */
static int keep(const char *s, char **dst)
{
    *dst = NULL;
    if (s == NULL)
        return 0;
    *dst = cg__strdup(s);
    return *dst == NULL ? -1 : 0;
}

/* Takes the engine's own copies of every string of the configuration. */
static int copy_config(cg_engine *e, const cg_engine_config *cfg)
{
    size_t n = 0;

    e->cfg = *cfg;
    if (e->cfg.flood_per_hour == 0)
        e->cfg.flood_per_hour = 1000; /* docs/exchange.md "Flood quarantine" */
    if (keep(cfg->db_path, &e->db_path) || keep(cfg->policy_path, &e->policy_path) ||
        keep(cfg->audit_path, &e->audit_path) ||
        keep(cfg->actor != NULL ? cfg->actor : "engine", &e->actor) ||
        keep(cfg->text.data_dir, &e->data_dir) || keep(cfg->text.lang, &e->lang) ||
        keep(cfg->text.country, &e->country) || keep(cfg->text.model_path, &e->model_path) ||
        keep(cfg->vision_model_path, &e->vision_path))
        return -1;
    while (cfg->text.extra_lexicons != NULL && cfg->text.extra_lexicons[n] != NULL)
        n++;
    if (n > 0) {
        e->extra_lexicons = cg__calloc(n + 1, sizeof(char *));
        if (e->extra_lexicons == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (keep(cfg->text.extra_lexicons[i], &e->extra_lexicons[i]) != 0)
                return -1;
    }
    e->cfg.db_path = e->db_path;
    e->cfg.policy_path = e->policy_path;
    e->cfg.audit_path = e->audit_path;
    e->cfg.actor = e->actor;
    e->cfg.text.data_dir = e->data_dir;
    e->cfg.text.lang = e->lang;
    e->cfg.text.country = e->country;
    e->cfg.text.model_path = e->model_path;
    e->cfg.vision_model_path = e->vision_path;
    e->cfg.text.extra_lexicons = (const char *const *)e->extra_lexicons;
    e->cfg.guidance_path = NULL; /* read once, at open */
    if (e->cfg.decode.limits.max_file_bytes == 0 || e->cfg.decode.limits.max_pixels == 0 ||
        e->cfg.decode.limits.max_side == 0) {
        cg_decode_options d;
        cg_decode_options_default(&d);
        if (e->cfg.decode.limits.max_file_bytes == 0)
            e->cfg.decode.limits.max_file_bytes = d.limits.max_file_bytes;
        if (e->cfg.decode.limits.max_pixels == 0)
            e->cfg.decode.limits.max_pixels = d.limits.max_pixels;
        if (e->cfg.decode.limits.max_side == 0)
            e->cfg.decode.limits.max_side = d.limits.max_side;
    }
    return 0;
}

static cg_status open_parts(cg_engine *e, const char *guidance_path, cg_error *err)
{
    const cg_engine_config *c = &e->cfg;
    cg_status st;

    if (c->review && c->db_path == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: the review queue needs a bank database");
    if (c->notify && c->db_path == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: notifications need a bank database (outbox)");
    if (c->context < 0 || c->context >= CG_CONTEXT_COUNT)
        return cg__fail(err, CG_E_INVAL, "engine: unknown context %d", (int)c->context);
    char gpath[4096];
    st = cg_guidance_catalog_open(
        guidance_path != NULL ? guidance_path
                              : cg_guidance_default_path(c->text.data_dir, gpath, sizeof(gpath)),
        c->text.country, &e->guidance, err);
    if (st != CG_OK)
        return st;
    /* The configured default as the catalogue's string: the caller's may not outlive the
     * engine. */
    const char *want = c->guidance_lang; /* c is e->cfg: read before it is replaced */
    e->cfg.guidance_lang = "vi";
    for (size_t i = 0; want != NULL && i < cg_guidance_lang_count(e->guidance); i++)
        if (strcmp(want, cg_guidance_lang(e->guidance, i)) == 0)
            e->cfg.guidance_lang = cg_guidance_lang(e->guidance, i);
    if (want != NULL && strcmp(want, e->cfg.guidance_lang) != 0)
        return cg__fail(err, CG_E_INVAL,
                        "engine: guidance language \"%.16s\" is not one of the catalogue's",
                        want);
    e->policy = cg__calloc(1, sizeof(*e->policy));
    if (e->policy == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    e->policy->refs = 1; /* the engine's */
    st = cg_policy_open(c->policy_path != NULL ? c->policy_path : cg_policy_default_path(),
                        &e->policy->policy, err);
    if (st != CG_OK)
        return st;
    if (!c->no_text) {
        st = cg_text_engine_open(&c->text, &e->text, err);
        if (st != CG_OK)
            return st;
        st = cg_text_session_create(e->text, &e->state.session, err);
        if (st != CG_OK)
            return st;
    }
    /* The read-write handle first: opening it migrates an older database, which the
     * read-only matcher would refuse. */
    if (c->state_save_s < 0)
        return cg__fail(err, CG_E_INVAL, "engine: state_save_s %lld is negative",
                        (long long)c->state_save_s);
    if (c->state_save_s > 0 && c->db_path == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: keeping the live state needs a bank database");
    if (c->review || c->notify || c->state_save_s > 0 || c->jobs) {
        st = cg_bankdb_open(c->db_path, 0, &e->rw_db, err);
        if (st != CG_OK)
            return st;
    }
    if (c->db_path != NULL) {
        cg_matcher_options mo = {0};
        mo.refresh_ms = c->refresh_ms;
        st = cg_matcher_open(c->db_path, &mo, &e->matcher, err);
        if (st != CG_OK)
            return st;
    }
    if (c->audit_path != NULL) {
        unsigned flags = CG_AUDIT_CREATE | (c->audit_fsync ? CG_AUDIT_FSYNC : 0);
        st = cg_audit_open(c->audit_path, flags, &e->audit, err);
        if (st != CG_OK)
            return st;
    }
    if (cg__repeat_init(&e->state.repeat) != CG_OK ||
        cg_pdq_hasher_pool_create(0, &e->hashers) != CG_OK)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    if (c->conversation_ttl_s < 0)
        return cg__fail(err, CG_E_INVAL, "engine: conversation_ttl_s %lld is negative",
                        (long long)c->conversation_ttl_s);
    if (cg__convtable_init(&e->state.convs,
                           c->max_conversations > 0 ? c->max_conversations
                                                    : CG__CONVERSATIONS_DEFAULT,
                           c->conversation_ttl_s * 1000) != CG_OK)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    st = cg__engine_vision_open(e, err);
    if (st == CG_OK && c->state_save_s > 0)
        cg__engine_state_load(e); /* last: everything it restores into exists */
    return st;
}

cg_status cg_engine_open(const cg_engine_config *cfg, cg_engine **out, cg_error *err)
{
    cg_engine *e;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: no output handle");
    *out = NULL;
    e = cg__calloc(1, sizeof(*e));
    if (e == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    pthread_mutex_init(&e->state.lock, NULL);
    pthread_mutex_init(&e->record_lock, NULL);
    pthread_mutex_init(&e->policy_lock, NULL);
    pthread_mutex_init(&e->save_lock, NULL);
    if (cfg == NULL) {
        cg_engine_config d;
        cg_engine_config_default(&d);
        st = copy_config(e, &d) == 0 ? CG_OK : CG_E_NOMEM;
    } else {
        st = copy_config(e, cfg) == 0 ? CG_OK : CG_E_NOMEM;
    }
    if (st != CG_OK)
        cg__fail(err, st, "engine: out of memory");
    else
        st = open_parts(e, cfg != NULL ? cfg->guidance_path : NULL, err);
    if (st != CG_OK) {
        cg_engine_close(e);
        return st;
    }
    *out = e;
    return CG_OK;
}

void cg_engine_close(cg_engine *e)
{
    if (e == NULL)
        return;
    cg__engine_state_autosave(e, 1); /* before anything it saves is freed */
    cg_matcher_close(e->matcher);
    cg_text_session_destroy(e->state.session);
    cg_text_engine_close(e->text);
    cg_guidance_catalog_destroy(e->guidance);
    if (e->policy != NULL)
        cg__engine_policy_give(e, e->policy);
    cg_audit_close(e->audit);
    cg_bankdb_close(e->rw_db);
    cg__repeat_free(&e->state.repeat);
    cg__convtable_free(&e->state.convs);
    cg__excerpt_ring_free(&e->state.excerpts);
    cg_pdq_hasher_pool_destroy(e->hashers);
    cg__engine_vision_close(e);
    cg__free(e->vision_path);
    if (e->extra_lexicons != NULL)
        for (size_t i = 0; e->extra_lexicons[i] != NULL; i++)
            cg__free(e->extra_lexicons[i]);
    cg__free(e->extra_lexicons);
    cg__free(e->db_path);
    cg__free(e->policy_path);
    cg__free(e->audit_path);
    cg__free(e->actor);
    cg__free(e->data_dir);
    cg__free(e->lang);
    cg__free(e->country);
    cg__free(e->model_path);
    pthread_mutex_destroy(&e->state.lock);
    pthread_mutex_destroy(&e->record_lock);
    pthread_mutex_destroy(&e->policy_lock);
    pthread_mutex_destroy(&e->save_lock);
    cg__free(e);
}

void cg_engine_stats_get(cg_engine *e, cg_engine_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->state.lock);
    out->conversations = e->state.convs.n;
    out->conversations_evicted = e->state.convs.evicted;
    pthread_mutex_unlock(&e->state.lock);
}

cg_matcher *cg_engine_matcher(cg_engine *e)
{
    return e != NULL ? e->matcher : NULL;
}

const cg_policy *cg_engine_policy(const cg_engine *e)
{
    return e != NULL && e->policy != NULL ? e->policy->policy : NULL;
}

cg__policy_ref *cg__engine_policy_take(cg_engine *e)
{
    cg__policy_ref *r;

    pthread_mutex_lock(&e->policy_lock);
    r = e->policy;
    r->refs++;
    pthread_mutex_unlock(&e->policy_lock);
    return r;
}

void cg__engine_policy_give(cg_engine *e, cg__policy_ref *r)
{
    int last;

    pthread_mutex_lock(&e->policy_lock);
    last = --r->refs == 0;
    pthread_mutex_unlock(&e->policy_lock);
    if (last) {
        cg_policy_destroy(r->policy);
        cg__free(r);
    }
}

cg_status cg_engine_set_policy(cg_engine *e, const char *policy_path, cg_error *err)
{
    cg__policy_ref *fresh, *old;
    cg_status st;

    if (e == NULL || e->policy == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: no engine");
    fresh = cg__calloc(1, sizeof(*fresh));
    if (fresh == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    fresh->refs = 1;
    /* Loaded (strictly) before anything changes: a policy with a typo leaves the old one. */
    st = cg_policy_open(policy_path != NULL ? policy_path : cg_policy_default_path(),
                        &fresh->policy, err);
    if (st != CG_OK) {
        cg__free(fresh);
        return st;
    }
    pthread_mutex_lock(&e->policy_lock);
    old = e->policy;
    e->policy = fresh;
    pthread_mutex_unlock(&e->policy_lock);
    cg__engine_policy_give(e, old); /* the engine's reference; scans deciding hold theirs */
    return CG_OK;
}

const cg_text_engine *cg_engine_text(const cg_engine *e)
{
    return e != NULL ? e->text : NULL;
}

const cg_guidance_catalog *cg_engine_guidance(const cg_engine *e)
{
    return e != NULL ? e->guidance : NULL;
}
