/* A verdict's memory and its one JSON form (engine.h; the schema is docs/verdict.md and
 * docs/verdict.schema.json). Every front end prints verdicts through cg_verdict_to_json, and
 * matches through cg_match_to_json (the same match serialiser). */
#include "engine/engine_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "common/alloc.h"

void cg_verdict_free(cg_verdict *v)
{
    if (v == NULL)
        return;
    cg__free(v->name);
    cg_match_list_free(&v->matches);
    cg_text_result_free(&v->text);
    cg_policy_decision_free(&v->decision);
    cg__free(v->guidance);
    cg_vpdq_destroy(v->vpdq);
    memset(v, 0, sizeof(*v));
}

int cg_verdict_blocks(const cg_verdict *v)
{
    return v != NULL && cg_policy_decision_has(&v->decision, CG_ACTION_BLOCK);
}

const char *cg_verdict_kind_name(const cg_verdict *v)
{
    if (v->kind == CG_CONTENT_MESSAGE)
        return "message";
    if (v->video_format[0] != '\0')
        return "video";
    return v->format != CG_FORMAT_UNKNOWN ? "image" : "file";
}

/* Scores rounded to 4 decimals, so the JSON does not carry float noise. */
static json_t *score(float x)
{
    return json_real((double)(long)((double)x * 10000.0 + 0.5) / 10000.0);
}

static void set(json_t *o, const char *key, json_t *value)
{
    json_object_set_new(o, key, value);
}

/* A JSON string of s; bytes that are not UTF-8 (a file name, an id from a front end) become
 * U+FFFD, so no field silently disappears. */
static json_t *str(const char *s)
{
    json_t *j = json_string(s != NULL ? s : "");
    size_t n, used = 0;
    char *buf;

    if (j != NULL || s == NULL)
        return j;
    n = strlen(s);
    buf = malloc(3 * n + 1);
    if (buf == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k > 0 && cp != 0) {
            memcpy(buf + used, s + i, (size_t)k);
            used += (size_t)k;
            i += (size_t)k;
        } else {
            memcpy(buf + used, "\xEF\xBF\xBD", 3);
            used += 3;
            i++;
        }
    }
    buf[used] = '\0';
    j = json_stringn(buf, used);
    free(buf);
    return j;
}

static json_t *hex_of(const char *type, const uint8_t *value)
{
    char hex[2 * CG_SIGNAL_MAX_BYTES + 1];

    cg_signal_type_find(type)->format(value, hex);
    return json_string(hex);
}

static json_t *signals_json(const cg_verdict *v)
{
    json_t *o = json_object();
    char hex[CG_PDQ_HEX_LEN + 1];

    if (v->has_pdq) {
        cg_pdq_to_hex(&v->pdq.hash, hex);
        set(o, "pdq", str(hex));
        set(o, "pdq_quality", json_integer(v->pdq.quality));
    }
    if (v->vpdq != NULL) {
        json_t *frames = json_array();
        for (size_t i = 0; i < v->vpdq->count; i++) {
            const cg_vpdq_frame *f = &v->vpdq->frames[i];
            cg_pdq_to_hex(&f->hash, hex);
            json_array_append_new(frames, json_pack("{s:I,s:i,s:s,s:f}", "frame",
                                                    (json_int_t)f->frame_number, "quality",
                                                    f->quality, "pdq", hex, "timestamp",
                                                    (double)(long)(f->timestamp * 1000.0f + 0.5f) / 1000.0));
        }
        set(o, "vpdq", frames);
    }
    if (v->has_digests) {
        set(o, "md5", hex_of("md5", v->digests.md5));
        set(o, "sha256", hex_of("sha256", v->digests.sha256));
    }
    return o;
}

static json_t *match_json(const cg_match *m, unsigned flags)
{
    json_t *o = json_object();

    set(o, "bank", str(m->bank));
    set(o, "label", str(m->label));
    set(o, "kind", str(m->kind == CG_BANK_ALLOW ? "allow" : "block"));
    set(o, "signal_type", str(m->type->name));
    set(o, "distance", json_integer(m->distance));
    set(o, "threshold", json_integer(m->threshold));
    set(o, "signal_id", json_integer(m->signal_id));
    set(o, "external_id", str(m->external_id));
    set(o, "source", str(m->source));
    set(o, "quality", m->quality >= 0 ? json_integer(m->quality) : json_null());
    set(o, "variant", str(cg_pdq_dihedral_name(m->variant)));
    set(o, "suppressed", json_boolean(m->suppressed));
    set(o, "suppressed_by", m->suppressed_by[0] ? str(m->suppressed_by) : json_null());
    set(o, "low_quality", json_boolean(m->low_quality));
    if (m->min_quality > 0)
        set(o, "min_quality", json_integer(m->min_quality));
    if (flags & CG_MATCH_JSON_DISABLED)
        set(o, "disabled", json_boolean(m->disabled));
    if (m->type != NULL && (m->type->flags & CG_SIGNAL_VIDEO)) {
        set(o, "query_percent", json_real((double)(long)(m->query_percent * 100.0 + 0.5) / 100.0));
        set(o, "target_percent", json_real((double)(long)(m->target_percent * 100.0 + 0.5) / 100.0));
    }
    return o;
}

static json_t *risks_json(const float *risk)
{
    json_t *o = json_object();

    for (int h = 0; h < CG_HARM_COUNT; h++)
        set(o, cg_text_harm_name((cg_harm)h), score(risk[h]));
    return o;
}

static json_t *age_json(int min, int max)
{
    if (min <= 0 && max <= 0)
        return json_null();
    return json_pack("{s:o,s:o}", "min", min > 0 ? json_integer(min) : json_null(), "max",
                     max > 0 ? json_integer(max) : json_null());
}

static json_t *text_json(const cg_verdict *v)
{
    const cg_text_result *t = &v->text;
    json_t *o = json_object(), *ev = json_array();

    set(o, "conversation", str(v->conversation));
    set(o, "message_id", str(v->message_id));
    set(o, "sender", str(v->sender));
    set(o, "recipient", str(v->recipient));
    set(o, "ts_ms", json_integer(v->ts_ms));
    set(o, "lang", v->lang[0] != '\0' ? str(v->lang) : json_null());
    set(o, "alert", str(cg_text_alert_name(t->alert)));
    set(o, "stage", str(cg_text_facet_name(t->stage)));
    set(o, "message_risk", risks_json(t->message_risk));
    set(o, "risk", risks_json(t->risk));
    set(o, "sender_age", age_json(t->sender_age_min, t->sender_age_max));
    set(o, "recipient_age", age_json(t->recipient_age_min, t->recipient_age_max));
    set(o, "age_asked", json_boolean(t->age_asked));
    set(o, "invalid_utf8", json_integer((json_int_t)t->invalid_utf8));
    for (size_t i = 0; i < t->n_evidence; i++) {
        const cg_text_evidence *e = &t->evidence[i];
        json_t *x = json_object();
        set(x, "message_id", str(e->message_id));
        set(x, "harm", str(cg_text_harm_name(e->harm)));
        set(x, "facet", str(cg_text_facet_name(e->facet)));
        set(x, "cue", str(e->cue));
        set(x, "start", json_integer(e->start));
        set(x, "end", json_integer(e->end));
        set(x, "weight", score(e->weight));
        set(x, "in_this_message", json_boolean(e->in_this_message));
        json_array_append_new(ev, x);
    }
    set(o, "evidence", ev);
    json_t *parts = json_array(), *peaks = json_object();
    for (size_t i = 0; i < t->n_participants; i++) {
        const cg_text_participant *q = &t->participants[i];
        json_t *x = json_object();
        set(x, "name", str(q->name));
        set(x, "alert", str(cg_text_alert_name(q->alert)));
        set(x, "peak", str(cg_text_alert_name(q->peak)));
        set(x, "peak_harm", q->peak != CG_ALERT_NONE ? str(cg_text_harm_name(q->peak_harm))
                                                     : json_null());
        set(x, "peak_message_id", q->peak != CG_ALERT_NONE ? str(q->peak_message) : json_null());
        set(x, "author_alert", str(cg_text_alert_name(q->author_alert)));
        set(x, "risk", risks_json(q->risk));
        set(x, "exposure", risks_json(q->exposure));
        json_array_append_new(parts, x);
    }
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        const cg_text_harm_peak *pk = &t->peak[h];
        if (pk->level == CG_ALERT_NONE)
            continue;
        json_t *x = json_object();
        set(x, "level", str(cg_text_alert_name(pk->level)));
        set(x, "risk", score(pk->risk));
        set(x, "message_id", str(pk->message_id));
        set(x, "at_risk", pk->at_risk[0] ? str(pk->at_risk) : json_null());
        set(x, "author", pk->author[0] ? str(pk->author) : json_null());
        set(peaks, cg_text_harm_name((cg_harm)h), x);
    }
    set(o, "participants", parts);
    set(o, "peaks", peaks);
    /* Whose personal data it is, who wrote it and how (docs/verdict.md). */
    if (t->pd_how != CG_TEXT_PD_NONE)
        set(o, "personal_data",
            json_pack("{s:o,s:o,s:s}", "owner", str(t->pd_owner), "written_by",
                      t->pd_writer[0] ? str(t->pd_writer) : json_null(), "how",
                      cg_text_pd_how_name(t->pd_how)));
    else
        set(o, "personal_data", json_null());
    return o;
}

static json_t *decision_json(const cg_verdict *v)
{
    const cg_policy_decision *d = &v->decision;
    json_t *o = json_object(), *actions = json_array(), *fired = json_array();

    for (size_t i = 0; i < d->n_actions; i++) {
        json_t *a = json_object();
        set(a, "action", str(cg_policy_action_name(d->actions[i].action)));
        if (d->actions[i].target[0] != '\0')
            set(a, "target", str(d->actions[i].target));
        json_array_append_new(actions, a);
    }
    for (size_t i = 0; i < d->n_fired; i++)
        json_array_append_new(fired, json_pack("{s:o,s:o}", "id", str(d->fired[i].id), "why",
                                               str(d->fired[i].why)));
    set(o, "actions", actions);
    set(o, "blocked", json_boolean(cg_verdict_blocks(v)));
    set(o, "fired", fired);
    set(o, "stopped", json_boolean(d->stopped));
    return o;
}

static json_t *guidance_text_json(const cg_verdict_guidance_text *g)
{
    json_t *o = json_object(), *help = json_array();

    set(o, "text", g->text != NULL ? str(g->text) : json_null());
    for (size_t i = 0; i < g->n_help; i++)
        json_array_append_new(help, str(g->help[i]));
    set(o, "help", help);
    return o;
}

static json_t *guidance_json(const cg_verdict *v, unsigned flags)
{
    json_t *a = json_array();

    for (size_t i = 0; i < v->n_guidance; i++) {
        const cg_verdict_guidance *g = &v->guidance[i];
        json_t *o = json_object();
        set(o, "topic", str(g->topic));
        set(o, "audience", str(cg_policy_audience_name(g->audience)));
        set(o, "age_band", str(cg_policy_age_band_name(g->age)));
        if (v->has_text)
            set(o, "participant", g->participant[0] ? str(g->participant) : json_null());
        if (!(flags & CG_VERDICT_JSON_NO_GUIDANCE_TEXT)) {
            /* One key per language (docs/verdict.md): "vi", "en", ... */
            for (size_t l = 0; l < g->n_texts; l++)
                set(o, g->texts[l].lang, guidance_text_json(&g->texts[l]));
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *timings_json(const cg_verdict_timings *t)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "decode_ms", t->decode_ms,
                     "hash_ms", t->hash_ms, "digest_ms", t->digest_ms, "match_ms", t->match_ms,
                     "text_ms", t->text_ms, "decide_ms", t->decide_ms, "record_ms", t->record_ms,
                     "classify_ms", t->classify_ms, "total_ms", t->total_ms);
}

/* The nudity classifier's result (docs/verdict.md, "nudity"). */
static json_t *nudity_json(const cg_verdict_nudity *n, int video)
{
    static const char *const status[] = { "none", "classified", "off", "unavailable", "failed" };
    json_t *o = json_object();

    set(o, "status", str(status[n->status]));
    if (n->status == CG_NUDITY_CLASSIFIED) {
        json_t *sc = json_object();
        static const char *const keys[CG_VISION_CLASSES] = { "drawing", "hentai", "neutral",
                                                             "porn", "sexy" };
        for (int k = 0; k < CG_VISION_CLASSES; k++)
            set(sc, keys[k], score(n->scores.p[k]));
        set(o, "model", str(n->model));
        set(o, "scores", sc);
        set(o, "explicit", score(n->scores.explicit_score));
        if (video) {
            set(o, "frame", json_integer((json_int_t)n->frame));
            set(o, "frames", json_integer((json_int_t)n->frames));
        }
    } else if (n->status == CG_NUDITY_UNAVAILABLE || n->status == CG_NUDITY_FAILED) {
        set(o, "error", str(n->error));
    }
    return o;
}

static json_t *when_json(int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char buf[64];

    if (gmtime_r(&s, &tm) == NULL)
        return json_null();
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return str(buf);
}

static json_t *verdict_json(const cg_verdict *v, unsigned flags)
{
    json_t *o = json_object(), *matches = json_array(), *facts = json_object();

    set(o, "content_id", str(v->content_id));
    set(o, "kind", str(cg_verdict_kind_name(v)));
    set(o, "name", v->name != NULL ? str(v->name) : json_null());
    set(o, "scanned_at", when_json(v->scanned_at_ms));
    if (v->kind == CG_CONTENT_BYTES) {
        set(o, "bytes", json_integer((json_int_t)v->bytes));
        set(o, "format", v->format != CG_FORMAT_UNKNOWN ? str(cg_image_format_name(v->format))
                         : v->video_format[0] != '\0' ? str(v->video_format)
                                                       : json_null());
        if (v->vpdq != NULL) {
            set(o, "frame_rate", json_real((double)(long)(v->vpdq->frame_rate * 1000.0 + 0.5) / 1000.0));
            set(o, "frames_decoded", json_integer((json_int_t)v->vpdq->frames_decoded));
        }
        if (v->width > 0) {
            set(o, "width", json_integer(v->width));
            set(o, "height", json_integer(v->height));
        }
        if (v->decode_status != CG_OK)
            set(o, "decode_error", json_pack("{s:s,s:o}", "status",
                                             cg_status_word(v->decode_status), "message",
                                             str(v->decode_error)));
        set(o, "signals", signals_json(v));
        if (v->nudity.status != CG_NUDITY_NONE)
            set(o, "nudity", nudity_json(&v->nudity, v->video_format[0] != '\0'));
    }
    for (size_t i = 0; i < v->matches.n; i++)
        json_array_append_new(matches, match_json(&v->matches.v[i], 0));
    set(o, "matches", matches);
    if (v->has_text)
        set(o, "text", text_json(v));
    set(facts, "context", v->context >= 0 ? str(cg_policy_context_name(v->context))
                                          : json_null());
    set(facts, "audience", str(cg_policy_audience_name(v->audience)));
    set(facts, "sender_is_child", v->sender_is_child < 0 ? json_null()
                                                         : json_boolean(v->sender_is_child));
    set(facts, "repeat", json_integer(v->repeat));
    if (v->nudity.status == CG_NUDITY_CLASSIFIED)
        set(facts, "nudity", score(v->nudity.scores.explicit_score));
    set(o, "facts", facts);
    set(o, "decision", decision_json(v));
    set(o, "guidance", guidance_json(v, flags));
    set(o, "guidance_lang", str(v->guidance_lang[0] != '\0' ? v->guidance_lang : "vi"));
    set(o, "review_id", v->review_id > 0 ? json_integer(v->review_id) : json_null());
    set(o, "audit_seq", v->audit_seq > 0 ? json_integer((json_int_t)v->audit_seq) : json_null());
    if (!(flags & CG_VERDICT_JSON_NO_TIMINGS))
        set(o, "timings", timings_json(&v->ms));
    return o;
}

/* o as JSON text in memory the caller frees with cg_free, whatever allocator jansson uses;
 * takes o's reference. */
static char *dump(json_t *o, size_t flags)
{
    char *text, *out;
    size_t n;

    if (o == NULL)
        return NULL;
    text = json_dumps(o, flags | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (text == NULL)
        return NULL;
    n = strlen(text);
    out = cg__malloc(n + 1);
    if (out != NULL)
        memcpy(out, text, n + 1);
    free(text);
    return out;
}

char *cg_verdict_to_json(const cg_verdict *v, unsigned flags)
{
    if (v == NULL)
        return NULL;
    return dump(verdict_json(v, flags),
                flags & CG_VERDICT_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT);
}

char *cg_match_to_json(const cg_match *m, unsigned flags)
{
    if (m == NULL)
        return NULL;
    return dump(match_json(m, flags), JSON_COMPACT);
}
