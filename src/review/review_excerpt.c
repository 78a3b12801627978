/* Text excerpts of review items (review.h "text excerpts", docs/review.md "Text excerpts"): the
 * messages that hold a conversation's evidence, kept only under the policy's text quarantine.
 * This file checks an excerpt before it is stored — it may come from an operator's file
 * (`childguard review add --excerpt`), so every field is treated as hostile: the shape, valid
 * UTF-8 (jansson refuses anything else), the caps, and spans that lie inside their message on
 * character boundaries — and writes it with its audit record in one transaction of the store,
 * purging expired excerpts on the way. */
#include "review/review_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"

/* 1 when byte i of text (n bytes) starts a character or is its end. */
static int on_boundary(const char *text, size_t n, int64_t i)
{
    return i == (int64_t)n || ((unsigned char)text[i] & 0xC0) != 0x80;
}

/* Writes why a part is wrong into why (cap bytes) and returns it. */
__attribute__((format(printf, 3, 4))) static const char *say(char *why, size_t cap,
                                                             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return why;
}

/* A short name field: a string of at most max bytes. */
static int short_string(json_t *o, const char *key, size_t max, int required)
{
    json_t *v = json_object_get(o, key);

    if (v == NULL)
        return !required;
    return json_is_string(v) && json_string_length(v) <= max;
}

/* Checks one message i; adds its text bytes to *text_bytes. Returns NULL or why it is wrong
 * (written into why). */
static const char *check_message(json_t *m, size_t i, size_t *text_bytes, char *why, size_t cap)
{
    static const char *const keys[] = {"id", "sender", "ts_ms", "text", "truncated", "spans"};
    json_t *text = json_object_get(m, "text"), *spans = json_object_get(m, "spans"), *v;
    const char *key, *t;
    size_t n;

    if (!json_is_object(m))
        return say(why, cap, "messages[%zu] is not an object", i);
    json_object_foreach(m, key, v) {
        size_t k = 0;
        while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k], key) != 0)
            k++;
        if (k == sizeof(keys) / sizeof(keys[0]))
            return say(why, cap, "messages[%zu]: unknown key \"%.32s\"", i, key);
    }
    if (!short_string(m, "id", 63, 1) || !short_string(m, "sender", 63, 0))
        return say(why, cap, "messages[%zu]: id (and sender) must be strings of at most "
                                  "63 bytes", i);
    v = json_object_get(m, "ts_ms");
    if (v != NULL && !json_is_integer(v))
        return say(why, cap, "messages[%zu]: ts_ms must be an integer", i);
    v = json_object_get(m, "truncated");
    if (v != NULL && !json_is_boolean(v))
        return say(why, cap, "messages[%zu]: truncated must be true or false", i);
    if (!json_is_string(text))
        return say(why, cap, "messages[%zu]: text must be a string", i);
    t = json_string_value(text);
    n = json_string_length(text);
    if (memchr(t, '\0', n) != NULL)
        return say(why, cap, "messages[%zu]: text holds a NUL character", i);
    *text_bytes += n;
    if (spans == NULL)
        return NULL;
    if (!json_is_array(spans) || json_array_size(spans) > CG_REVIEW_EXCERPT_SPANS_MAX)
        return say(why, cap, "messages[%zu]: spans must be an array of at most %d", i,
                        CG_REVIEW_EXCERPT_SPANS_MAX);
    for (size_t k = 0; k < json_array_size(spans); k++) {
        json_t *s = json_array_get(spans, k);
        json_t *a = json_object_get(s, "start"), *b = json_object_get(s, "end");
        int64_t lo, hi;

        const char *sk;
        json_t *sv;
        int unknown = 0;

        json_object_foreach(s, sk, sv) {
            unknown |= strcmp(sk, "start") != 0 && strcmp(sk, "end") != 0 &&
                       strcmp(sk, "harm") != 0 && strcmp(sk, "facet") != 0 &&
                       strcmp(sk, "cue") != 0;
        }
        if (!json_is_object(s) || !json_is_integer(a) || !json_is_integer(b) ||
            !short_string(s, "harm", 31, 1) || !short_string(s, "facet", 31, 0) ||
            !short_string(s, "cue", 63, 0) || unknown)
            return say(why, cap, "messages[%zu].spans[%zu]: expected {start, end, harm, "
                                      "facet, cue}", i, k);
        lo = json_integer_value(a);
        hi = json_integer_value(b);
        if (lo < 0 || hi <= lo || hi > (int64_t)n)
            return say(why, cap, "messages[%zu].spans[%zu]: %lld..%lld is not inside the "
                                      "text (%zu bytes)", i, k, (long long)lo, (long long)hi,
                            n);
        if (!on_boundary(t, n, lo) || !on_boundary(t, n, hi))
            return say(why, cap, "messages[%zu].spans[%zu]: %lld..%lld cuts a UTF-8 "
                                      "character", i, k, (long long)lo, (long long)hi);
    }
    return NULL;
}

/* Checks a whole excerpt: *root receives the parsed tree (json_decref) on success. */
static cg_status check_excerpt(cg_bankdb *db, int64_t id, const char *json, size_t len,
                               json_t **root, cg_error *err)
{
    json_error_t je;
    json_t *o, *msgs, *v;
    const char *key;
    size_t text_bytes = 0;
    char why[160];

    *root = NULL;
    if (len > CG_REVIEW_EXCERPT_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: review item %lld: excerpt of %zu bytes (at most %d)",
                        db->path, (long long)id, len, CG_REVIEW_EXCERPT_MAX);
    o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld: excerpt is not valid JSON in "
                                         "UTF-8: %s", db->path, (long long)id, je.text);
    why[0] = '\0';
    msgs = json_object_get(o, "messages");
    v = json_object_get(o, "version");
    if (!json_is_object(o) || !json_is_integer(v) || json_integer_value(v) != 1)
        snprintf(why, sizeof(why), "expected {\"version\": 1, \"messages\": [...]}");
    else if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        snprintf(why, sizeof(why), "messages must be a non-empty array");
    else if (!short_string(o, "conversation", 127, 0))
        snprintf(why, sizeof(why), "conversation must be a string of at most 127 bytes");
    else if (json_object_get(o, "offsets") != NULL &&
             !(json_is_string(json_object_get(o, "offsets")) &&
               strcmp(json_string_value(json_object_get(o, "offsets")), "utf8_bytes") == 0))
        snprintf(why, sizeof(why), "offsets must be \"utf8_bytes\"");
    json_object_foreach(o, key, v) {
        if (why[0] == '\0' && strcmp(key, "version") != 0 && strcmp(key, "messages") != 0 &&
            strcmp(key, "conversation") != 0 && strcmp(key, "offsets") != 0)
            snprintf(why, sizeof(why), "unknown key \"%.32s\"", key);
    }
    if (why[0] != '\0') {
        json_decref(o);
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld: excerpt: %s", db->path,
                        (long long)id, why);
    }
    if (json_array_size(msgs) > CG_REVIEW_EXCERPT_MESSAGES_MAX) {
        const size_t n = json_array_size(msgs);
        json_decref(o);
        return cg__fail(err, CG_E_LIMIT, "%s: review item %lld: excerpt of %zu messages (at "
                                         "most %d)", db->path, (long long)id, n,
                        CG_REVIEW_EXCERPT_MESSAGES_MAX);
    }
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        const char *bad = check_message(json_array_get(msgs, i), i, &text_bytes, why,
                                        sizeof(why));
        if (bad != NULL) {
            json_decref(o);
            return cg__fail(err, CG_E_INVAL, "%s: review item %lld: excerpt: %s", db->path,
                            (long long)id, bad);
        }
    }
    if (text_bytes > CG_REVIEW_EXCERPT_TEXT_MAX) {
        json_decref(o);
        return cg__fail(err, CG_E_LIMIT, "%s: review item %lld: excerpt of %zu text bytes (at "
                                         "most %d)", db->path, (long long)id, text_bytes,
                        CG_REVIEW_EXCERPT_TEXT_MAX);
    }
    *root = o;
    return CG_OK;
}

cg_status cg_review_excerpt_set(cg_bankdb *db, int64_t id, const char *excerpt, size_t len,
                                int64_t expires, cg_audit *audit, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    cg_review_state state;
    char reviewer[CG_REVIEW_NAME_MAX + 1];
    json_t *root = NULL, *rec = NULL;
    int64_t purged = 0;
    size_t n_msgs;
    cg_status s;

    if (db == NULL || excerpt == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_excerpt_set: NULL argument");
    if (db->ops->review_excerpt_put == NULL)
        return cg__fail(err, CG_E_UNSUPPORTED, "%s: this store keeps no text excerpts yet",
                        db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    if (expires <= now)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld: the excerpt would expire at "
                                         "once", db->path, (long long)id);
    s = check_excerpt(db, id, excerpt, len, &root, err);
    if (s != CG_OK)
        return s;
    n_msgs = json_array_size(json_object_get(root, "messages"));
    json_decref(root);

    s = db->ops->begin_write(db, "keeping a review excerpt", err);
    if (s != CG_OK)
        return s;
    s = db->ops->review_state(db, id, &state, reviewer, err); /* the handle's tenant's only */
    if (s == CG_OK)
        s = db->ops->review_excerpt_purge(db, now, &purged, err);
    if (s == CG_OK)
        s = db->ops->review_excerpt_put(db, id, excerpt, len, expires, err);
    if (s == CG_OK)
        s = cg__review_audit_data(db, audit, id,
                                  json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "action", "excerpt",
                                            "item", (json_int_t)id, "messages",
                                            (json_int_t)n_msgs, "bytes", (json_int_t)len,
                                            "expires", (json_int_t)expires, "purged",
                                            (json_int_t)purged),
                                  &rec, err);
    return cg__review_finish(db, s, "keeping a review excerpt", audit, "childguard", id, rec,
                             err);
}

cg_status cg_review_excerpt_get(cg_bankdb *db, int64_t id, char **excerpt, size_t *len,
                                int64_t *expires, cg_error *err)
{
    if (excerpt == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_excerpt_get: NULL argument");
    *excerpt = NULL;
    *len = 0;
    if (expires != NULL)
        *expires = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_excerpt_get: db is NULL");
    if (db->ops->review_excerpt_get == NULL)
        return cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld has no excerpt (this store "
                                            "keeps none)", db->path, (long long)id);
    return db->ops->review_excerpt_get(db, id, (int64_t)time(NULL), excerpt, len, expires, err);
}

cg_status cg_review_excerpt_purge(cg_bankdb *db, int64_t now, int64_t *removed, cg_error *err)
{
    int64_t n = 0;
    cg_status s;

    if (removed != NULL)
        *removed = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_excerpt_purge: db is NULL");
    if (db->ops->review_excerpt_purge == NULL)
        return CG_OK; /* a store that keeps no excerpts has none to purge */
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = db->ops->begin_write(db, "purging review excerpts", err);
    if (s != CG_OK)
        return s;
    s = db->ops->review_excerpt_purge(db, now, &n, err);
    if (s != CG_OK) {
        db->ops->rollback(db);
        return s;
    }
    s = db->ops->commit(db, "purging review excerpts", err);
    if (s == CG_OK && removed != NULL)
        *removed = n;
    return s;
}
