/* Recording a decision (engine_int.h): a review item when the decision queues one, an outbox
 * row for each notify action, then a "decision" audit record naming the item. They carry
 * hashes, scores, evidence spans and decisions; never content bytes or message text, except
 * the excerpt of a conversation's evidence messages under the policy's text quarantine
 * (keep_excerpt, excerpt.c). */
#include "engine/engine_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard/jobs.h"
#include "childguard/outbox.h"
#include "childguard/review.h"
#include "common/alloc.h"
#include "common/error.h"

/* 1 when the decision does something: any action but allow, or guidance. */
static int acts(const cg_verdict *v)
{
    const cg_policy_decision *d = &v->decision;

    if (v->n_guidance > 0)
        return 1;
    for (size_t i = 0; i < d->n_actions; i++)
        if (d->actions[i].action != CG_ACTION_ALLOW)
            return 1;
    return 0;
}

/* The label that queued the item: the first block match's, else the conversation's gravest
 * harm: the highest level any harm has reached (self-harm urgent outranks bullying alert),
 * then the highest risk. The item's verdict JSON carries every harm's peak (text.peaks). */
static void item_label(const cg_verdict *v, char *out, size_t cap)
{
    int best = -1;

    for (size_t i = 0; i < v->matches.n; i++)
        if (v->matches.v[i].kind == CG_BANK_BLOCK && !v->matches.v[i].suppressed) {
            snprintf(out, cap, "%s", v->matches.v[i].label[0] ? v->matches.v[i].label : "match");
            return;
        }
    for (int h = 0; v->has_text && h < CG_HARM_COUNT; h++) {
        const cg_text_harm_peak *p = &v->text.peak[h];
        if (p->level == CG_ALERT_NONE)
            continue;
        if (best < 0 || p->level > v->text.peak[best].level ||
            (p->level == v->text.peak[best].level && p->risk > v->text.peak[best].risk))
            best = h;
    }
    for (int h = 0; best < 0 && v->has_text && h < CG_HARM_COUNT; h++)
        if (v->text.risk[h] > 0.0f && (best < 0 || v->text.risk[h] > v->text.risk[best]))
            best = h;
    snprintf(out, cap, "%s", best >= 0 ? cg_text_harm_name((cg_harm)best) : "other");
}

static int item_priority(const cg_verdict *v)
{
    if (cg_policy_decision_has(&v->decision, CG_ACTION_DRAFT_REPORT) ||
        (v->has_text && v->text.alert >= CG_ALERT_URGENT))
        return 3;
    if (cg_policy_decision_has(&v->decision, CG_ACTION_BLOCK) ||
        (v->has_text && v->text.alert >= CG_ALERT_ALERT))
        return 2;
    return 1;
}

static void item_signals(const cg_verdict *v, cg_review_item *it)
{
    if (v->has_pdq) {
        cg_review_signal *s = &it->signals[it->n_signals++];
        s->type = cg_signal_type_find("pdq");
        cg_pdq_to_bytes(&v->pdq.hash, s->value);
        s->quality = v->pdq.quality;
    }
    if (v->has_digests) {
        cg_review_signal *s = &it->signals[it->n_signals++];
        s->type = cg_signal_type_find("md5");
        memcpy(s->value, v->digests.md5, CG_MD5_BYTES);
        s->quality = -1;
        s = &it->signals[it->n_signals++];
        s->type = cg_signal_type_find("sha256");
        memcpy(s->value, v->digests.sha256, CG_SHA256_BYTES);
        s->quality = -1;
    }
}

/* Under the policy's text quarantine, the conversation's excerpt (excerpt.c) replaces item id's,
 * kept for the policy's retention (docs/review.md "Text excerpts"). Called under record_lock;
 * takes the state lock to read the remembered messages. */
static cg_status keep_excerpt(cg_engine *e, const cg_verdict *v, int64_t id, cg_error *err)
{
    cg__policy_ref *policy = cg__engine_policy_take(e);
    cg_policy_text_quarantine q;
    char buf[256], was[CG_TENANT_MAX + 1], *key, *json = NULL;
    const size_t nt = strlen(v->tenant), nc = strlen(v->conversation);
    cg_status st;

    cg_policy_text_quarantine_get(policy->policy, &q);
    cg__engine_policy_give(e, policy);
    if (!q.enabled)
        return CG_OK;
    /* The item's tenant for the write; the handle's own is put back after it (the saved live
     * state is written under the handle's tenant, state_store.c). */
    snprintf(was, sizeof(was), "%s", cg_bankdb_tenant(e->rw_db));
    st = cg_bankdb_set_tenant(e->rw_db, v->tenant, err);
    if (st != CG_OK)
        return st;
    /* The conversation's key as scan.c made it: "<tenant>" 0x1f "<conversation>". */
    key = nt + nc + 2 <= sizeof(buf) ? buf : cg__malloc(nt + nc + 2);
    if (key == NULL) {
        (void)cg_bankdb_set_tenant(e->rw_db, was, NULL);
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    }
    snprintf(key, nt + nc + 2, "%s\x1f%s", v->tenant, v->conversation);
    pthread_mutex_lock(&e->state.lock);
    st = cg__excerpt_build(&e->state.excerpts, key, v->conversation, &v->text, &q, &json, err);
    pthread_mutex_unlock(&e->state.lock);
    if (key != buf)
        cg__free(key);
    if (st == CG_OK && json != NULL) {
        st = cg_review_excerpt_set(e->rw_db, id, json, strlen(json),
                                   (int64_t)time(NULL) + q.retention_s, e->audit, err);
        if (st == CG_E_UNSUPPORTED) /* a store without excerpts yet: the item stands without */
            st = CG_OK;
    }
    free(json); /* jansson's json_dumps */
    (void)cg_bankdb_set_tenant(e->rw_db, was, NULL); /* valid: it was the handle's */
    return st;
}

static cg_status add_review(cg_engine *e, cg_verdict *v, const cg_image *img, cg_error *err)
{
    cg_review_item *it = cg__calloc(1, sizeof(*it));
    uint8_t *preview = NULL;
    size_t preview_len = 0, used = 0;
    char *json = NULL;
    cg_status st = CG_OK;
    int fresh = 0;

    if (it == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    /* A conversation is reviewed as one item (refreshed by each message that asks for review);
     * a file as one item however often it is uploaded while the item is open. */
    if (v->has_text) {
        size_t n = strlen(v->conversation);
        if (n > 120) /* cut at a character boundary */
            for (n = 120; n > 0 && ((unsigned char)v->conversation[n] & 0xC0) == 0x80; n--)
                ;
        snprintf(it->content_id, sizeof(it->content_id), "conv:%.*s", (int)n, v->conversation);
    } else
        snprintf(it->content_id, sizeof(it->content_id), "%s", v->content_id);
    snprintf(it->kind, sizeof(it->kind), "%s", cg_verdict_kind_name(v));
    snprintf(it->tenant, sizeof(it->tenant), "%s", v->tenant); /* per tenant, never shared */
    item_label(v, it->label, sizeof(it->label));
    it->priority = item_priority(v);
    for (size_t i = 0; i < v->decision.n_fired; i++) {
        int w = snprintf(it->reason + used, sizeof(it->reason) - used, "%s%s: %s",
                         i > 0 ? "\n" : "", v->decision.fired[i].id, v->decision.fired[i].why);
        if (w < 0 || (size_t)w >= sizeof(it->reason) - used)
            break;
        used += (size_t)w;
    }
    item_signals(v, it);
    json = cg_verdict_to_json(v, CG_VERDICT_JSON_NO_TIMINGS | CG_VERDICT_JSON_NO_GUIDANCE_TEXT);
    if (json == NULL)
        st = cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    if (st == CG_OK) {
        /* An open item for the same conversation or file: refresh it, else add one. */
        st = cg_review_refresh(e->rw_db, it, json, e->audit, err);
        fresh = st == CG_E_NOTFOUND;
        if (fresh)
            st = CG_OK;
    }
    if (st == CG_OK && fresh && img != NULL)
        st = cg_review_preview(img->pixels, (int)img->width, (int)img->height,
                               (int)img->channels, 0, 0, &preview, &preview_len, err);
    if (st == CG_OK && fresh)
        st = cg_review_add(e->rw_db, it, json, preview, preview_len, e->audit, err);
    if (st == CG_OK)
        v->review_id = it->id;
    if (st == CG_OK && v->has_text)
        st = keep_excerpt(e, v, it->id, err);
    cg__free(preview);
    cg__free(json);
    cg__free(it);
    return st;
}

static json_t *decision_record(const cg_verdict *v)
{
    json_t *o = json_object(), *actions = json_array(), *rules = json_array();
    json_t *matches = json_array(), *risk = json_object();
    const cg_policy_decision *d = &v->decision;

    json_object_set_new(o, "content_id", json_string(v->content_id));
    json_object_set_new(o, "kind", json_string(cg_verdict_kind_name(v)));
    json_object_set_new(o, "tenant", json_string(v->tenant));
    for (size_t i = 0; i < d->n_actions; i++) {
        char buf[CG_POLICY_TARGET_MAX + 16];
        snprintf(buf, sizeof(buf), "%s%s%s", cg_policy_action_name(d->actions[i].action),
                 d->actions[i].target[0] ? ":" : "", d->actions[i].target);
        json_array_append_new(actions, json_string(buf));
    }
    json_object_set_new(o, "actions", actions);
    for (size_t i = 0; i < d->n_fired; i++)
        json_array_append_new(rules, json_string(d->fired[i].id));
    json_object_set_new(o, "rules", rules);
    for (size_t i = 0; i < v->matches.n; i++) {
        const cg_match *m = &v->matches.v[i];
        json_array_append_new(matches,
                              json_pack("{s:s,s:s,s:s,s:i,s:b}", "bank", m->bank, "label",
                                        m->label, "signal_type", m->type->name, "distance",
                                        m->distance, "suppressed", m->suppressed));
    }
    json_object_set_new(o, "matches", matches);
    for (int h = 0; v->has_text && h < CG_HARM_COUNT; h++)
        if (v->text.risk[h] > 0.0f)
            json_object_set_new(risk, cg_text_harm_name((cg_harm)h),
                                json_real((double)(int)(v->text.risk[h] * 1000.0f) / 1000.0));
    json_object_set_new(o, "risk", risk);
    if (v->has_text)
        json_object_set_new(o, "alert", json_string(cg_text_alert_name(v->text.alert)));
    json_object_set_new(o, "review_id", v->review_id > 0 ? json_integer(v->review_id)
                                                          : json_null());
    return o;
}

static cg_status append_decision(cg_engine *e, cg_verdict *v, cg_error *err)
{
    json_t *o = decision_record(v);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    cg_status st;

    json_decref(o);
    if (text == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    st = cg_audit_append(e->audit, "decision", e->actor, v->content_id, text, &v->audit_seq, err);
    free(text);
    return st;
}

/* What a guardian's or moderator's system needs to act on a notify action: ids and the
 * decision, never the content or the message text (docs/keys.md, "Outbox"). */
static char *notify_payload(const cg_verdict *v, const char *target)
{
    const cg_policy_decision *d = &v->decision;
    json_t *actions = json_array(), *rules = json_array(), *o;
    char *text;

    for (size_t k = 0; k < d->n_actions; k++)
        json_array_append_new(actions, json_string(cg_policy_action_name(d->actions[k].action)));
    for (size_t k = 0; k < d->n_fired; k++)
        json_array_append_new(rules, json_string(d->fired[k].id));
    o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "event", "notify", "target", target,
                  "tenant", v->tenant, "content_id", v->content_id, "kind",
                  json_string(cg_verdict_kind_name(v)), "actions", actions, "rules", rules,
                  "alert", v->has_text ? json_string(cg_text_alert_name(v->text.alert)) : json_null(),
                  "review_id", v->review_id > 0 ? json_integer(v->review_id) : json_null());
    text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* One outbox row per notify action with a target, in the verdict's tenant. A full outbox (the
 * tenant's bound) drops the notification and counts it; anything else fails the record. */
static cg_status add_notifications(cg_engine *e, cg_verdict *v, cg_error *err)
{
    const cg_policy_decision *d = &v->decision;
    cg_status st = CG_OK;
    int tenant_set = 0;

    for (size_t i = 0; i < d->n_actions && st == CG_OK; i++) {
        const cg_policy_action_item *a = &d->actions[i];
        cg_error aerr;
        char *text;

        if (a->action != CG_ACTION_NOTIFY || a->target[0] == '\0')
            continue;
        if (!tenant_set) {
            st = cg_bankdb_set_tenant(e->rw_db, v->tenant, err);
            if (st != CG_OK)
                break;
            tenant_set = 1;
        }
        text = notify_payload(v, a->target);
        if (text == NULL)
            return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
        st = cg_outbox_add_bounded(e->rw_db, a->target, text, e->cfg.outbox_max_pending, NULL,
                                   &aerr);
        free(text);
        if (st == CG_E_LIMIT) {
            v->notify_dropped++;
            st = CG_OK;
        } else if (st == CG_OK) {
            v->notified++;
        } else if (err != NULL) {
            *err = aerr;
        }
    }
    return st;
}

/* The outbox row that tells a job's callback target it is recorded: ids and the decision, as
 * for a notify action, plus the job id. */
static cg_status add_job_callback(cg_engine *e, const cg_content *c, cg_verdict *v,
                                  cg_error *err)
{
    const cg_policy_decision *d = &v->decision;
    json_t *actions = json_array(), *o;
    cg_status st;
    char *text;

    for (size_t k = 0; k < d->n_actions; k++)
        json_array_append_new(actions, json_string(cg_policy_action_name(d->actions[k].action)));
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "event", "job", "job", c->job_id, "tenant",
                  v->tenant, "content_id", v->content_id, "kind", cg_verdict_kind_name(v),
                  "actions", actions, "review_id",
                  v->review_id > 0 ? json_integer(v->review_id) : json_null());
    text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    st = cg_outbox_add(e->rw_db, c->job_callback, text, NULL, err);
    free(text);
    return st;
}

/* A job's record (cg_engine_config.jobs): the review item, the outbox rows and the ledger row
 * with the verdict in one transaction of the store (jobs.h), then the audit record. A job
 * already recorded records nothing. Called under record_lock. */
static cg_status record_job(cg_engine *e, const cg_content *c, cg_verdict *v, const cg_image *img,
                            int queue, int notify, int audit, cg_error *err)
{
    cg_job row;
    char *json = NULL;
    int done = 0;
    cg_status st;

    st = cg_bankdb_set_tenant(e->rw_db, v->tenant, err);
    if (st == CG_OK)
        st = cg_job_record_begin(e->rw_db, c->job_id, &done, &row, err);
    if (st != CG_OK)
        return st;
    if (done) {
        v->job_replayed = 1;
        v->review_id = row.review_id;
        cg_job_clear(&row);
        return CG_OK;
    }
    if (queue)
        st = add_review(e, v, img, err);
    if (st == CG_OK && notify)
        st = add_notifications(e, v, err);
    if (st == CG_OK && c->job_callback != NULL && c->job_callback[0] != '\0')
        st = add_job_callback(e, c, v, err);
    if (st == CG_OK) {
        json = cg_verdict_to_json(v, CG_VERDICT_JSON_NO_TIMINGS |
                                         CG_VERDICT_JSON_NO_GUIDANCE_TEXT);
        if (json == NULL)
            st = cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    }
    if (st != CG_OK) {
        cg_job_record_abort(e->rw_db);
        v->review_id = 0;
        return st;
    }
    st = cg_job_record_commit(e->rw_db, c->job_id, json, v->review_id, err);
    cg__free(json);
    if (st != CG_OK) {
        v->review_id = 0;
        return st;
    }
    /* After the commit: a process killed between the two loses this job's decision record
     * rather than writing it twice on the redelivery (docs/queue.md). */
    if (audit)
        st = append_decision(e, v, err);
    return st;
}

cg_status cg__engine_record(cg_engine *e, const cg_content *c, cg_verdict *v, const cg_image *img,
                            cg_error *err)
{
    int queue = e->cfg.review && e->rw_db != NULL &&
                cg_policy_decision_has(&v->decision, CG_ACTION_QUEUE_REVIEW);
    int notify = e->cfg.notify && e->rw_db != NULL &&
                 cg_policy_decision_has(&v->decision, CG_ACTION_NOTIFY);
    int audit = e->audit != NULL && (e->cfg.audit_all || acts(v));
    cg_status st = CG_OK;

    if (v->matches.n > 0 && e->rw_db != NULL && e->cfg.flood_per_hour > 0) {
        pthread_mutex_lock(&e->record_lock);
        st = cg__engine_flood_note(e, v, err);
        pthread_mutex_unlock(&e->record_lock);
        if (st != CG_OK)
            return st;
    }
    if (e->cfg.jobs && e->rw_db != NULL && c->job_id != NULL) {
        pthread_mutex_lock(&e->record_lock);
        st = record_job(e, c, v, img, queue, notify, audit, err);
        pthread_mutex_unlock(&e->record_lock);
        return st;
    }
    if (!queue && !notify && !audit)
        return CG_OK;
    pthread_mutex_lock(&e->record_lock);
    if (queue)
        st = add_review(e, v, img, err);
    if (st == CG_OK && notify)
        st = add_notifications(e, v, err);
    if (st == CG_OK && audit)
        st = append_decision(e, v, err);
    pthread_mutex_unlock(&e->record_lock);
    return st;
}
