/* One scan (engine.h): content → signals and matches (bytes) or text risks (a message) →
 * policy facts → decision and guidance → records. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"

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

/* Sets dst to src cut to cap - 1 bytes at a UTF-8 character boundary. */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? fit(src, strlen(src), cap - 1) : 0;

    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *display(const cg_content *c)
{
    return c->name != NULL ? c->name : "(content)";
}

static cg_status lookup(cg_engine *e, const char *type_name, const uint8_t *values, size_t n,
                        cg_verdict *v, cg_error *err)
{
    /* A PDQ query carries its quality: a low-quality upload is shown, not acted on. */
    cg_lookup_options lo = {.banks = NULL, .max_distance = -1};

    if (strcmp(type_name, "pdq") == 0 && v->has_pdq) {
        lo.has_query_quality = 1;
        lo.query_quality = v->pdq.quality;
    }
    return cg_matcher_lookup(e->matcher, cg_signal_type_find(type_name), values, n, &lo,
                             &v->matches, err);
}

static cg_status match_bytes(cg_engine *e, cg_verdict *v, cg_error *err)
{
    cg_status st = CG_OK;

    if (e->matcher == NULL)
        return CG_OK;
    if (v->has_pdq) {
        uint8_t values[8 * 32];
        size_t n = e->cfg.dihedral ? 8 : 1;
        for (size_t i = 0; i < n; i++)
            cg_pdq_to_bytes(e->cfg.dihedral ? &v->pdq.dihedral[i] : &v->pdq.hash,
                            values + CG_PDQ_BYTES * i);
        st = lookup(e, "pdq", values, n, v, err);
    }
    if (st == CG_OK && v->vpdq != NULL && v->vpdq->count > 0) {
        cg_video_match_options vo;
        cg_video_match_options_default(&vo);
        vo.early_exit = e->cfg.video_early_exit;
        st = cg_matcher_lookup_video(e->matcher, v->vpdq->frames, v->vpdq->count, &vo,
                                     &v->matches, err);
    }
    if (st == CG_OK && v->has_digests)
        st = lookup(e, "md5", v->digests.md5, 1, v, err);
    if (st == CG_OK && v->has_digests)
        st = lookup(e, "sha256", v->digests.sha256, 1, v, err);
    /* An allow match of any of the content's signals suppresses its block matches of every
     * type (each lookup above applied the rule within its own type only). */
    if (st == CG_OK)
        cg_match_list_apply_allow(&v->matches, 0);
    return st;
}

/* The signals options of the engine's configuration: every signal, the decoded image kept for
 * the classifier and the quarantine preview, animations and videos as vPDQ. */
static void signals_options(const cg_engine *e, const cg_content *c, cg_signals_options *o)
{
    cg_signals_options_default(o);
    o->want |= CG_SIGNALS_VIDEO | CG_SIGNALS_ANIMATION | CG_SIGNALS_KEEP_IMAGE;
    o->dihedral = e->cfg.dihedral;
    o->decode = e->cfg.decode;
    o->name = display(c);
    o->video.seconds_per_hash = e->cfg.video_seconds_per_hash == 0 ? 1.0
                                : e->cfg.video_seconds_per_hash < 0 ? 0
                                                                    : e->cfg.video_seconds_per_hash;
    if (e->cfg.video_limits.max_duration_s > 0)
        o->video.limits.max_duration_s = e->cfg.video_limits.max_duration_s;
    if (e->cfg.video_limits.max_side > 0)
        o->video.limits.max_side = e->cfg.video_limits.max_side;
    if (e->cfg.video_limits.max_pixels > 0)
        o->video.limits.max_pixels = e->cfg.video_limits.max_pixels;
    if (e->cfg.video_limits.max_frames > 0)
        o->video.limits.max_frames = e->cfg.video_limits.max_frames;
    if (e->cfg.video_limits.timeout_s > 0)
        o->video.limits.timeout_s = e->cfg.video_limits.timeout_s;
}

/* Moves the computed signals into the verdict (the decoded image into *img). A content that
 * could not be decoded keeps its error in the verdict, named; one that is neither an image nor
 * a video has no decoding error, only its digests. */
static void take_signals(const cg_content *c, cg_signals *s, cg_verdict *v, cg_image **img)
{
    const char *name = display(c);

    v->has_digests = s->has_digests;
    v->digests = s->digests;
    v->format = s->format;
    if (s->video_container != NULL)
        copy_field(v->video_format, sizeof(v->video_format), s->video_container);
    v->has_pdq = s->has_pdq;
    v->pdq = s->pdq;
    v->vpdq = s->vpdq;
    s->vpdq = NULL;
    *img = s->image;
    s->image = NULL;
    if (s->decode_status == CG_OK) {
        v->width = s->width;
        v->height = s->height;
    } else if (s->video_container != NULL) {
        v->decode_status = s->decode_status;
        copy_field(v->decode_error, sizeof(v->decode_error), s->decode_error.message);
    } else if (s->format != CG_FORMAT_UNKNOWN) {
        v->decode_status = s->decode_status;
        snprintf(v->decode_error, sizeof(v->decode_error), "%.*s: %.*s",
                 (int)fit(name, strlen(name), 96), name,
                 (int)fit(s->decode_error.message, strlen(s->decode_error.message), 150),
                 s->decode_error.message);
    }
    v->ms.digest_ms = s->digest_ms;
    v->ms.decode_ms = s->decode_ms;
    v->ms.hash_ms = s->hash_ms;
}

static cg_status scan_bytes(cg_engine *e, const cg_content *c, cg_verdict *v, cg_image **img,
                            cg_error *err)
{
    char hex[CG_SHA256_BYTES * 2 + 1];
    cg_signals_options so;
    cg_signals sig;
    cg_error serr;
    double t0;
    cg_status st;

    if (c->data == NULL && c->len > 0)
        return cg__fail(err, CG_E_INVAL, "%s: no bytes given", display(c));
    if (c->len > e->cfg.decode.limits.max_file_bytes)
        return cg__fail(err, CG_E_LIMIT, "%s: %zu bytes, over the limit of %llu", display(c),
                        c->len, (unsigned long long)e->cfg.decode.limits.max_file_bytes);
    v->bytes = c->len;
    signals_options(e, c, &so);
    st = cg_signals_compute(c->data, c->len, &so, e->hashers, &sig, &serr);
    if (st != CG_OK) {
        cg_signals_fini(&sig);
        return cg__fail(err, st, "%s: %s", display(c), serr.message);
    }
    take_signals(c, &sig, v, img);
    cg_signals_fini(&sig);
    cg_signal_type_find("sha256")->format(v->digests.sha256, hex);
    snprintf(v->content_id, sizeof(v->content_id), "sha256:%s", hex);
    st = cg__engine_classify(e, c, *img, v, err);
    if (st != CG_OK)
        return st;
    t0 = cg__engine_now_ms();
    st = match_bytes(e, v, err);
    v->ms.match_ms = cg__engine_now_ms() - t0;
    return st;
}

/* The age band of someone from a known age, else from the text's age signals. */
static cg_age_band band_of(int age, int text_min, int text_max)
{
    if (age > 0)
        return age < 18 ? CG_AGE_CHILD : CG_AGE_ADULT;
    if (text_max > 0 && text_max < 18)
        return CG_AGE_CHILD;
    if (text_min >= 18)
        return CG_AGE_ADULT;
    return CG_AGE_UNKNOWN;
}

/* "<tenant>" 0x1f "<id>" into buf (malloc'd when it does not fit): how conversations and senders
 * are keyed, so that tenants never share state. NULL when out of memory. */
static char *scoped(const char *tenant, const char *id, char *buf, size_t cap)
{
    const size_t nt = strlen(tenant), ni = id != NULL ? strlen(id) : 0;
    char *out = nt + ni + 2 <= cap ? buf : cg__malloc(nt + ni + 2);

    if (out == NULL)
        return NULL;
    memcpy(out, tenant, nt);
    out[nt] = '\x1f';
    if (ni > 0)
        memcpy(out + nt + 1, id, ni);
    out[nt + 1 + ni] = '\0';
    return out;
}

static void forget_conversation(void *ud, const char *key)
{
    cg__engine_state *state = ud;

    cg_text_session_forget(state->session, key);
    cg__excerpt_forget(&state->excerpts, key);
}

/* 1 when the current policy keeps review excerpts of conversations (text quarantine). */
static int keeps_excerpts(cg_engine *e)
{
    cg__policy_ref *policy = cg__engine_policy_take(e);
    cg_policy_text_quarantine q;

    cg_policy_text_quarantine_get(policy->policy, &q);
    cg__engine_policy_give(e, policy);
    return q.enabled && e->cfg.review && e->rw_db != NULL;
}

/* 1 when the message just scanned holds evidence of its own. */
static int has_own_evidence(const cg_text_result *res)
{
    for (size_t i = 0; i < res->n_evidence; i++)
        if (res->evidence[i].in_this_message)
            return 1;
    return 0;
}

static cg_status scan_message(cg_engine *e, const cg_content *c, cg_verdict *v, cg_error *err)
{
    cg_text_message m = c->message;
    char id[32], conv_buf[256], who_buf[256];
    char *conv_key, *who_key = NULL;
    const char *who = c->sender_id != NULL ? c->sender_id : m.sender;
    unsigned shown = 0;
    cg_status st;
    double t0 = cg__engine_now_ms();
    const int keep = keeps_excerpts(e);

    if (m.text == NULL && m.len > 0)
        return cg__fail(err, CG_E_INVAL, "%s: message without text", display(c));
    if (e->text == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: this engine runs without text detection",
                        display(c));
    if (m.text == NULL)
        m.text = "";
    conv_key = scoped(v->tenant, m.conversation, conv_buf, sizeof(conv_buf));
    if (conv_key != NULL && who != NULL && *who != '\0')
        who_key = scoped(v->tenant, who, who_buf, sizeof(who_buf));
    if (conv_key == NULL || (who != NULL && *who != '\0' && who_key == NULL)) {
        if (conv_key != conv_buf)
            cg__free(conv_key);
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    }
    m.conversation = conv_key;
    pthread_mutex_lock(&e->state.lock);
    if (m.id == NULL || *m.id == '\0') {
        snprintf(id, sizeof(id), "m%llu", (unsigned long long)++e->state.next_message);
        m.id = id;
    }
    st = cg__convtable_touch(&e->state.convs, conv_key, wall_ms(), forget_conversation,
                             &e->state);
    if (st != CG_OK)
        cg__fail(err, st, "engine: out of memory");
    else
        st = cg_text_scan(e->state.session, &m, &v->text, err);
    if (st == CG_OK) {
        for (int h = 0; h < CG_HARM_COUNT; h++)
            if (v->text.message_risk[h] >= 0.5f)
                shown |= 1u << h;
        v->repeat = cg__repeat_add(&e->state.repeat, who_key, shown, wall_ms());
        /* Out of memory only costs the excerpt this message (the scan stands). */
        if (keep && has_own_evidence(&v->text))
            (void)cg__excerpt_keep(&e->state.excerpts, conv_key, &m);
    }
    pthread_mutex_unlock(&e->state.lock);
    if (conv_key != conv_buf)
        cg__free(conv_key);
    if (who_key != who_buf)
        cg__free(who_key);
    m.conversation = c->message.conversation;
    v->ms.text_ms = cg__engine_now_ms() - t0;
    if (st != CG_OK)
        return st;
    v->has_text = 1;
    copy_field(v->conversation, sizeof(v->conversation),
               m.conversation != NULL ? m.conversation : "");
    copy_field(v->message_id, sizeof(v->message_id), m.id);
    copy_field(v->sender, sizeof(v->sender), m.sender != NULL ? m.sender : "");
    copy_field(v->recipient, sizeof(v->recipient), m.recipient != NULL ? m.recipient : "");
    v->ts_ms = m.ts_ms;
    /* The child reads guidance in the language they wrote in. */
    {
        const char *lang = cg_text_detect_lang(m.text, m.len);
        copy_field(v->lang, sizeof(v->lang), lang != NULL ? lang : "");
    }
    snprintf(v->content_id, sizeof(v->content_id), "msg:%.*s/%.*s",
             (int)fit(v->conversation, strlen(v->conversation), 60), v->conversation,
             (int)fit(v->message_id, strlen(v->message_id), 60), v->message_id);
    return CG_OK;
}

/* For a message, the participant a harm's guidance is for (docs/text.md, "Participants"):
 * self-harm and personal data concern the child who wrote them; another harm's recipient
 * guidance is for the participant it was aimed at, its sender guidance for its author. NULL
 * when the text engine names nobody (then the audience names the person, as for files). */
static const cg_text_participant *guidance_for(const cg_verdict *v, const char *topic,
                                               cg_audience audience, int *age_min, int *age_max)
{
    const int h = cg_text_harm_from_name(topic);
    const cg_text_participant *best = NULL;
    float top = 0.0f;

    if (!v->has_text || h < 0 || audience > CG_AUDIENCE_SENDER)
        return NULL;
    /* Personal data is for the child whose data it is (text.pd_owner); when someone else wrote
     * it out or asked for it, the sender guidance is for that writer. */
    if (h == CG_HARM_PERSONAL_DATA && v->text.pd_how != CG_TEXT_PD_NONE) {
        const char *name = audience == CG_AUDIENCE_SENDER ? v->text.pd_writer : v->text.pd_owner;
        for (size_t i = 0; i < v->text.n_participants; i++)
            if (strcmp(v->text.participants[i].name, name) == 0) {
                best = &v->text.participants[i];
                *age_min = best->age_min;
                *age_max = best->age_max;
                return best;
            }
        return NULL;
    }
    const int own = h == CG_HARM_SELF_HARM_RISK || h == CG_HARM_PERSONAL_DATA ||
                    audience == CG_AUDIENCE_SENDER;
    for (size_t i = 0; i < v->text.n_participants; i++) {
        const cg_text_participant *q = &v->text.participants[i];
        float x = own ? q->risk[h] : q->exposure[h];
        /* The sender of this message wins a tie: the guidance is about what they see. */
        if (x > top || (best != NULL && x == top && x > 0 && strcmp(q->name, v->sender) == 0)) {
            top = x;
            best = q;
        }
    }
    if (best != NULL) {
        *age_min = best->age_min;
        *age_max = best->age_max;
    }
    return best;
}

/* The catalogue topic for a child's personal data written out by someone else. */
#define PD_REVEALED_TOPIC "personal_data_revealed"

static cg_status resolve_guidance(cg_engine *e, const cg_content *c, cg_verdict *v,
                                  cg_error *err)
{
    const cg_policy_decision *d = &v->decision;
    int smin = v->has_text ? v->text.sender_age_min : 0;
    int smax = v->has_text ? v->text.sender_age_max : 0;
    int rmin = v->has_text ? v->text.recipient_age_min : 0;
    int rmax = v->has_text ? v->text.recipient_age_max : 0;

    copy_field(v->guidance_lang, sizeof(v->guidance_lang),
               v->lang[0] != '\0' ? v->lang : e->cfg.guidance_lang);
    if (d->n_guidance == 0)
        return CG_OK;
    v->guidance = cg__calloc(d->n_guidance, sizeof(*v->guidance));
    if (v->guidance == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    for (size_t i = 0; i < d->n_guidance; i++) {
        const cg_policy_guidance_request *r = &d->guidance[i];
        cg_verdict_guidance *g = &v->guidance[v->n_guidance];
        int pmin = 0, pmax = 0;
        const char *topic = r->topic;
        /* Personal data someone else wrote out: the catalogue's "personal_data_revealed" (the
         * child is not in trouble and should tell someone) instead of "keep it private"; and
         * nothing for a recipient when the data is the sender's own (docs/text.md, "Whose
         * personal data"). */
        if (v->has_text && r->harm == CG_HARM_PERSONAL_DATA) {
            if (r->audience == CG_AUDIENCE_RECIPIENT && v->text.pd_how == CG_TEXT_PD_OWN &&
                strcmp(v->text.pd_owner, v->sender) == 0)
                continue;
            if (v->text.pd_how == CG_TEXT_PD_REVEALED &&
                cg_guidance_has_topic(e->guidance, PD_REVEALED_TOPIC))
                topic = PD_REVEALED_TOPIC;
        }
        const cg_text_participant *who = guidance_for(v, r->topic, r->audience, &pmin, &pmax);
        const int is_sender = who != NULL && strcmp(who->name, v->sender) == 0;
        const int is_recipient = who != NULL && strcmp(who->name, v->recipient) == 0;
        g->participant[0] = '\0';
        if (who != NULL)
            copy_field(g->participant, sizeof(g->participant), who->name);
        if (who == NULL || (is_sender && r->audience == CG_AUDIENCE_SENDER) ||
            (is_recipient && r->audience == CG_AUDIENCE_RECIPIENT))
            g->age = r->audience == CG_AUDIENCE_SENDER ? band_of(c->sender_age, smin, smax)
                                                       : band_of(c->recipient_age, rmin, rmax);
        else
            g->age = band_of(is_sender ? c->sender_age : is_recipient ? c->recipient_age : 0,
                             pmin, pmax);
        copy_field(g->topic, sizeof(g->topic), topic);
        g->audience = r->audience;
        /* Every language of the catalogue (languages are data). */
        int any = 0;
        g->n_texts = 0;
        for (size_t l = 0; l < cg_guidance_lang_count(e->guidance); l++) {
            cg_verdict_guidance_text *t = &g->texts[g->n_texts++];
            cg_guidance w;
            copy_field(t->lang, sizeof(t->lang), cg_guidance_lang(e->guidance, l));
            cg_guidance_lookup(e->guidance, topic, r->audience, t->lang, g->age, &w);
            t->text = w.text;
            memcpy(t->help, w.help, sizeof(t->help));
            t->n_help = w.n_help;
            any |= t->text != NULL;
        }
        if (any)
            v->n_guidance++;
    }
    return CG_OK;
}

static cg_status decide(cg_engine *e, const cg_content *c, cg_verdict *v, cg_error *err)
{
    cg_policy_facts f;
    cg_policy_match *pm = NULL;
    cg_status st;

    memset(&f, 0, sizeof(f));
    f.context = v->context;
    f.audience = v->audience;
    f.sender_is_child = v->sender_is_child;
    f.repeat = v->repeat;
    if (v->matches.n > 0) {
        pm = cg__calloc(v->matches.n, sizeof(*pm));
        if (pm == NULL)
            return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
        for (size_t i = 0; i < v->matches.n; i++) {
            const cg_match *m = &v->matches.v[i];
            pm[i] = (cg_policy_match){m->label, m->kind, m->distance, m->suppressed};
        }
    }
    f.matches = pm;
    f.n_matches = v->matches.n;
    if (v->has_text) {
        memcpy(f.risk, v->text.risk, sizeof(f.risk));
        f.alert = v->text.alert;
    }
    if (v->nudity.status == CG_NUDITY_CLASSIFIED)
        f.nudity = v->nudity.scores.explicit_score;
    cg__policy_ref *policy = cg__engine_policy_take(e);
    st = cg_policy_decide(policy->policy, &f, &v->decision, err);
    cg__engine_policy_give(e, policy);
    cg__free(pm);
    if (st == CG_OK)
        st = resolve_guidance(e, c, v, err);
    return st;
}

/* Who sent it, as the policy sees it: told by the front end, else from the age signals. */
static int sender_child(const cg_content *c, const cg_verdict *v)
{
    if (c->sender_is_child == 0 || c->sender_is_child == 1)
        return c->sender_is_child;
    if (c->sender_age > 0)
        return c->sender_age < 18;
    if (v->has_text && v->text.sender_age_max > 0 && v->text.sender_age_max < 18)
        return 1;
    if (v->has_text && v->text.sender_age_min >= 18)
        return 0;
    return -1;
}

/* Counts a block match against the sender of bytes, when the front end names one. */
static void count_match_repeat(cg_engine *e, const cg_content *c, cg_verdict *v)
{
    int hit = 0;

    for (size_t i = 0; i < v->matches.n; i++)
        if (v->matches.v[i].kind == CG_BANK_BLOCK && !v->matches.v[i].suppressed)
            hit = 1;
    char buf[256], *key;

    if (!hit || c->sender_id == NULL)
        return;
    key = scoped(v->tenant, c->sender_id, buf, sizeof(buf));
    if (key == NULL)
        return; /* out of memory: the repeat count is a hint, the scan stands */
    pthread_mutex_lock(&e->state.lock);
    v->repeat = cg__repeat_add(&e->state.repeat, key, 1u << CG__REPEAT_MATCH, wall_ms());
    pthread_mutex_unlock(&e->state.lock);
    if (key != buf)
        cg__free(key);
}

/* Empties a verdict for the next scan, keeping the buffers of its match list and text result
 * (a worker scanning message after message allocates them once). */
static void verdict_reset(cg_verdict *v)
{
    cg_match_list matches = v->matches;
    cg_text_result text = v->text;

    v->matches = (cg_match_list){0};
    v->text = (cg_text_result){0};
    cg_verdict_free(v);
    matches.n = 0;
    text.n_evidence = 0;
    v->matches = matches;
    v->text = text;
}

cg_status cg_engine_scan(cg_engine *e, const cg_content *c, cg_verdict *v, cg_error *err)
{
    cg_image *img = NULL;
    cg_status st;
    double t0 = cg__engine_now_ms(), t1;

    if (v == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: no verdict to fill");
    verdict_reset(v);
    if (e == NULL || c == NULL)
        return cg__fail(err, CG_E_INVAL, "engine: no engine or no content");
    v->scanned_at_ms = wall_ms();
    v->kind = c->kind;
    v->review_id = 0;
    if (c->tenant != NULL && c->tenant[0] != '\0' && !cg_tenant_valid(c->tenant))
        return cg__fail(err, CG_E_INVAL, "%s: invalid tenant", display(c));
    copy_field(v->tenant, sizeof(v->tenant),
               c->tenant != NULL && c->tenant[0] != '\0' ? c->tenant : CG_TENANT_DEFAULT);
    if (c->name != NULL && (v->name = cg__strdup(c->name)) == NULL)
        return cg__fail(err, CG_E_NOMEM, "engine: out of memory");
    v->context = c->context == -2 ? e->cfg.context : (cg_policy_context)c->context;
    if (c->context != -2 && (c->context < -1 || c->context >= CG_CONTEXT_COUNT))
        return cg__fail(err, CG_E_INVAL, "%s: unknown context %d", display(c), c->context);
    if ((unsigned)c->audience > CG_AUDIENCE_MODERATOR)
        return cg__fail(err, CG_E_INVAL, "%s: unknown audience %d", display(c),
                        (int)c->audience);
    v->audience = c->audience;
    if (c->kind == CG_CONTENT_BYTES) {
        st = scan_bytes(e, c, v, &img, err);
        if (st == CG_OK)
            count_match_repeat(e, c, v);
    } else if (c->kind == CG_CONTENT_MESSAGE) {
        st = scan_message(e, c, v, err);
    } else {
        st = cg__fail(err, CG_E_INVAL, "%s: unknown content kind %d", display(c), (int)c->kind);
    }
    if (st != CG_OK)
        goto out;
    v->sender_is_child = sender_child(c, v);
    t1 = cg__engine_now_ms();
    st = decide(e, c, v, err);
    v->ms.decide_ms = cg__engine_now_ms() - t1;
    if (st != CG_OK)
        goto out;
    t1 = cg__engine_now_ms();
    st = cg__engine_record(e, c, v, e->cfg.quarantine ? img : NULL, err);
    v->ms.record_ms = cg__engine_now_ms() - t1;
    if (c->kind == CG_CONTENT_MESSAGE)
        cg__engine_state_autosave(e, 0); /* at most every state_save_s (state_store.c) */
out:
    cg_image_destroy(img);
    v->ms.total_ms = cg__engine_now_ms() - t0;
    return st;
}
