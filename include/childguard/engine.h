/* childguard: the engine — one façade every front end (command line, HTTP server, a child's
 * device) feeds content into, getting the same verdict back.
 *
 *   content ─► sniff ─► decode ─► signals (pdq, md5, sha256) ─► match (banks)     ─► decide ─► record
 *   message ─────────────────────► text engine (conversation state) ─► risks     ─┘  policy    audit log,
 *                                                                                              review queue
 *
 * cg_engine_open loads once what every scan needs: the banks' indexes (a cg_matcher kept up to
 * date by a refresher thread), the text engine (lexicons, learned layer, optional model; unless
 * no_text), the guidance catalogue and the policy. cg_engine_scan takes the bytes of a file (an image or anything else) or one message of
 * a conversation and returns a verdict: plain data — the content id, signals, matches, text
 * risks with evidence, the decided actions, the guidance (in the catalogue's languages) and timings.
 * cg_verdict_to_json is the one serialiser every front end uses (schema: docs/verdict.md and
 * docs/verdict.schema.json).
 *
 * Recording: when the configuration names an audit log, each decision that acts (any action but
 * a plain allow, or any guidance) appends a "decision" record (all decisions with audit_all);
 * when review is on, each decision holding queue_review adds an item to the review queue of the
 * bank database. Privacy: no content byte and no message text is written anywhere — records and
 * queue items carry hashes, scores, evidence spans and decisions. Previews of images are kept
 * only when the operator turns quarantine on, and then blurred and greyscale; the text of the
 * messages that hold a conversation's evidence only when the policy turns text quarantine on
 * (policy.h, cg_policy_text_quarantine), capped and expiring, with the conversation's item.
 *
 * Threading: cg_engine_scan is thread-safe; any number of threads may scan at once (image scans
 * run in parallel; messages share the conversation state under a lock, held only while the
 * text engine runs). open/close on one thread. */
#ifndef CHILDGUARD_ENGINE_H
#define CHILDGUARD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "digest.h"
#include "guidance.h"
#include "image.h"
#include "matcher.h"
#include "pdq.h"
#include "policy.h"
#include "status.h"
#include "tenant.h"
#include "text.h"
#include "video.h"
#include "vision.h"
#include "vpdq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_engine cg_engine;

typedef struct cg_engine_config {
    /* The bank database; NULL: no matching (messages only, or hashes without lookups). */
    const char *db_path;
    /* Poll the database for bank changes every refresh_ms (0: only at open). */
    int refresh_ms;
    /* The policy file; NULL: the shipped defaults (cg_policy_default_path()). */
    const char *policy_path;
    /* Lexicons, language, optional models (see text.h); text.data_dir and text.country also
     * choose the guidance catalogue (below). */
    cg_text_config text;
    /* Added after the first release. 1: no text detection: the text engine (lexicons,
     * teencode, learned layer) is not opened and message scans fail with CG_E_UNSUPPORTED;
     * files are scanned, decided and given guidance as usual. */
    int no_text;
    /* Added after the first release. The guidance catalogue (guidance.h); NULL:
     * cg_guidance_default_path(text.data_dir). Its help lines are text.country's. */
    const char *guidance_path;
    /* The audit log (created when missing); NULL: decisions are not recorded. */
    const char *audit_path;
    int audit_all;            /* 1: record allow decisions too */
    int audit_fsync;          /* 1: fsync after each record */
    /* Who records: the service or operator name in audit records ("engine" when NULL). */
    const char *actor;
    /* 1: decisions holding queue_review add items to the review queue (needs db_path; the
     * database is then opened read-write). */
    int review;
    /* 1: image review items keep a blurred greyscale preview (off by default). */
    int quarantine;
    /* Where content is checked, unless a scan says otherwise. */
    cg_policy_context context;
    /* Decoding limits and options. */
    cg_decode_options decode;
    /* 1: also look up the 7 rotated/mirrored PDQ variants. */
    int dihedral;
    /* The nudity classifier (vision.h, docs/vision.md): 1 (the default) scores images, the
     * first frame of animations and the sampled frames of videos (the vPDQ sampling); 0 turns
     * it off. A model file that is missing, truncated or corrupt is not an error: the engine
     * opens without the classifier, cg_engine_vision_error says why, and every verdict of bytes
     * says so. */
    int classify;
    /* The model file; NULL: cg_vision_default_model_path. */
    const char *vision_model_path;
    /* Videos (sniffed by container): one vPDQ frame hash per this many seconds (0: 1 second,
     * as HMA hashes videos; < 0: every frame), and the decoding limits (zero fields: the
     * defaults of cg_video_limits_default). */
    double video_seconds_per_hash;
    cg_video_limits video_limits;
    /* 1: a video lookup stops at the first stored video that passes the thresholds (the
     * percentages are then lower bounds): enough when the policy only needs a yes/no. Ignored
     * by the matcher when an allow bank could match. */
    int video_early_exit;
    /* The guidance language (a language of the catalogue: "vi", "en", ...) when a message's
     * language is not detected, and for files; NULL: "vi". A message's detected language
     * (cg_text_detect_lang) comes first. */
    const char *guidance_lang;
    /* Conversations remembered at once (text state per conversation and tenant): past this the
     * least recently used is forgotten (0: 100,000). conversation_ttl_s > 0 also forgets those
     * idle for longer. Evictions are counted (cg_engine_stats_get). */
    size_t max_conversations;
    int64_t conversation_ttl_s;
    /* 1: each notify action of a decision becomes a row of the webhook outbox (outbox.h) in the
     * bank database, written in the record step after the review item and before the audit
     * record (needs db_path; the database is then opened read-write). Delivery is the job of a
     * program that runs a sender (`childguard serve`): rows written by `childguard scan` wait
     * there. outbox_max_pending > 0 bounds a tenant's pending rows: past it the notification
     * is dropped (cg_outbox_add_bounded) and counted in the verdict, the scan stands. */
    int notify;
    int64_t outbox_max_pending;
    /* > 0: the live state (repeat counts and every conversation's text evidence: an ongoing
     * grooming trajectory) is kept in the bank database (cg_bankdb_state_put, under the
     * database's default tenant): restored at open, saved at most every state_save_s seconds
     * after a message and at close. Needs db_path (opened read-write). A stored state that
     * cannot be restored (truncated, another version, corrupt) is refused and the engine
     * starts fresh; cg_engine_state_note says why. 0: not kept. */
    int64_t state_save_s;
    /* 1: a scan whose content carries a job id (cg_content.job_id) is recorded once: its review
     * item, outbox rows and a ledger row holding the verdict commit together (jobs.h), and a
     * scan of a job already recorded records nothing again (cg_verdict.job_replayed). Needs
     * db_path (the database is then opened read-write). For queue workers (docs/queue.md). */
    int jobs;
    /* Flood quarantine (docs/exchange.md "Flood quarantine"): a signal an exchange put in a
     * bank (source "exchange:...") that this engine sees match more than flood_per_hour times
     * within one clock hour is switched off (disabled until enabled again), audited
     * ("quarantine") and queued for review (kind "signal", label "quarantine"). Needs a
     * read-write database (review, notify, jobs or state_save_s). 0: the default, 1000;
     * negative: off (then for every bank and exchange). A bank's flood_per_hour setting, else
     * an exchange's api_json "flood_per_hour", replaces this limit for its signals. */
    int flood_per_hour;
} cg_engine_config;

/* Signals a flood quarantine switched off (docs/exchange.md "Flood quarantine"): those with a
 * quarantine review item (kind "signal", content id "quarantine:signal:<id>") that was not
 * released (pending, claimed, escalated or confirmed) and that are still disabled at unix time
 * now. bank_id > 0: only that bank's. *count gets how many; the first (oldest quarantine first)
 * cap of them are written to ids (may be NULL when cap is 0). Reads only; any handle. */
CG_API cg_status cg_flood_quarantined(cg_bankdb *db, int64_t bank_id, int64_t now, int64_t *ids,
                                      size_t cap, size_t *count, cg_error *err);

/* One exchange signal's flood counter in an engine (cg_engine_flood_counters). */
typedef struct cg_flood_counter {
    int64_t signal_id;
    int64_t bank_id;
    int64_t window_start; /* unix seconds of the window's first counted match */
    int64_t count;        /* different images counted in the window (quarantine above limit) */
    int limit;            /* the limit read when the window started: -1 off */
} cg_flood_counter;

/* This engine's flood counters (docs/exchange.md "Flood quarantine") of the signals counting
 * at unix time now (a window started within the last hour, at least one match counted),
 * highest count first. bank_id > 0: only that bank's. *count gets how many; the first cap are
 * written to out (may be NULL when cap is 0). The counters live in this engine's memory: another
 * process on the same store keeps its own (quarantines, in the store, are shared). Thread-safe
 * (takes the engine's record lock). CG_E_INVAL on a NULL argument. */
CG_API cg_status cg_engine_flood_counters(cg_engine *e, int64_t bank_id, int64_t now,
                                          cg_flood_counter *out, size_t cap, size_t *count,
                                          cg_error *err);

/* Where a flood limit came from (cg_engine_flood_limit). */
typedef enum cg_flood_limit_from {
    CG_FLOOD_FROM_ENGINE = 0, /* the engine's flood_per_hour (or its default) */
    CG_FLOOD_FROM_BANK,       /* the bank's flood_per_hour setting */
    CG_FLOOD_FROM_EXCHANGE,   /* the exchange's api_json "flood_per_hour" */
    CG_FLOOD_FROM_NO_DATABASE /* the engine has no read-write database: nothing is counted */
} cg_flood_limit_from;

/* The flood limit that applies now to the exchange signals of bank (its name) put there by
 * exchange (its name; NULL or "": none), read on db (the caller's handle, its tenant): the
 * bank's setting, else the exchange's, else the engine's; the engine's off (-1) wins over
 * both. *limit: N, or -1 off. A bank or exchange that cannot be read counts as not set (as the
 * counting does). Thread-safe; reads only. */
CG_API cg_status cg_engine_flood_limit(cg_engine *e, cg_bankdb *db, const char *bank,
                                       const char *exchange, int *limit,
                                       cg_flood_limit_from *from, cg_error *err);

/* Defaults: no database, the shipped policy and data, platform upload, no audit, no review,
 * default decode limits. */
CG_API void cg_engine_config_default(cg_engine_config *cfg);

/* Opens an engine. Errors name what failed (the policy file and line, the database, a data
 * file). */
CG_API cg_status cg_engine_open(const cg_engine_config *cfg, cg_engine **out, cg_error *err);
CG_API void cg_engine_close(cg_engine *e);

/* Replaces the engine's policy with the one in policy_path (NULL: the shipped defaults),
 * atomically: scans that are deciding finish with the policy they took, later scans use the
 * new one, and the old one is freed when its last scan is done. Nothing else is rebuilt: the
 * matcher and its indexes, the text engine, the conversation state and the repeat counts stay
 * as they are. A policy that does not load (a typo: file:line in err) leaves the current one.
 * Thread-safe against scans; not against itself, open or close (one thread reloads). */
CG_API cg_status cg_engine_set_policy(cg_engine *e, const char *policy_path, cg_error *err);

/* Copies into buf (cap bytes, NUL-terminated) why the state saved in the store was not
 * restored at open, or why the last save failed; "" when all went well or state_save_s is 0.
 * Returns the text's length. Thread-safe. */
CG_API size_t cg_engine_state_note(cg_engine *e, char *buf, size_t cap);
/* Saves the live state to the store now (state_save_s > 0); CG_E_INVAL when it is 0. */
CG_API cg_status cg_engine_state_flush(cg_engine *e, cg_error *err);

/* The engine's live state (what senders have shown: the repeat counts, the message counter,
 * and every conversation's text evidence) as bytes, so that a restart does not forget it:
 * *out (freed with cg_free) and *len. Version 2 (state.c); with state_save_s the engine keeps
 * them in the store itself. Thread-safe
 * against scans (taken under the state's lock). */
CG_API cg_status cg_engine_state_save(cg_engine *e, uint8_t **out, size_t *len, cg_error *err);
/* Replaces the live state (repeat counts and, from version 2, the conversations) with that
 * saved in buf (len bytes); a version 1 buffer keeps the conversations the engine has. The
 * bytes are checked whole before anything changes: a
 * truncated, foreign or newer buffer is refused (CG_E_DECODE, CG_E_UNSUPPORTED) with err
 * saying why, and the engine keeps its state. Thread-safe against scans. */
CG_API cg_status cg_engine_state_restore(cg_engine *e, const uint8_t *buf, size_t len,
                                         cg_error *err);

/* What the engine holds, for front ends that need more than scans (stats, explain, guidance).
 * Owned by the engine; the matcher is NULL without a database. The policy is valid until the
 * next cg_engine_set_policy. */
CG_API cg_matcher *cg_engine_matcher(cg_engine *e);
CG_API const cg_policy *cg_engine_policy(const cg_engine *e);
/* NULL when the engine runs without text detection (no_text). */
CG_API const cg_text_engine *cg_engine_text(const cg_engine *e);
/* The guidance catalogue the engine's verdicts are worded from (never NULL for an open engine). */
CG_API const cg_guidance_catalog *cg_engine_guidance(const cg_engine *e);
/* Why the nudity classifier is not running although configured (the model file and the
 * reason, one line), or NULL when it runs or was turned off. Owned by the engine. */
CG_API const char *cg_engine_vision_error(const cg_engine *e);

typedef enum cg_content_kind {
    CG_CONTENT_BYTES = 0,   /* a file: an image (sniffed by magic bytes) or anything else */
    CG_CONTENT_MESSAGE = 1  /* one message of a conversation */
} cg_content_kind;

/* "bytes"/"image"/"file" and "message" in JSON; see cg_verdict_kind_name. */

typedef struct cg_content {
    cg_content_kind kind;
    const char *name;            /* a path or upload name, shown in the verdict; may be NULL */
    const uint8_t *data;         /* CG_CONTENT_BYTES: the bytes, only read during the call */
    size_t len;
    cg_text_message message;     /* CG_CONTENT_MESSAGE */
    /* What the front end knows (cg_content_init sets "unknown" everywhere). */
    int context;                 /* a cg_policy_context, or -2: the engine's */
    cg_audience audience;        /* whom the decision is shown to (recipient) */
    int sender_is_child;         /* 1 yes, 0 no, -1 unknown: then from the text's age signals */
    int sender_age;              /* years, 0 unknown */
    int recipient_age;           /* the child receiving / depicted, years, 0 unknown */
    const char *sender_id;       /* counts repeats per sender; NULL: the message's sender */
    /* The tenant the content is scanned for (tenant.h; NULL: CG_TENANT_DEFAULT): conversation
     * state, repeat counts and review items are kept per tenant, so two tenants using the same
     * conversation or sender ids never see or change each other's. */
    const char *tenant;
    /* A queued job's id (jobs.h; NULL: not a job): with cg_engine_config.jobs the scan is
     * recorded at most once per (tenant, job id), however often it is delivered. */
    const char *job_id;
    /* With job_id: an outbox target (outbox.h) told when the job is recorded (NULL: none). */
    const char *job_callback;
} cg_content;

CG_API void cg_content_init(cg_content *c);

/* A guidance entry's words in one language: the catalogue's text for the topic and audience,
 * and the help lines for the engine's country and the audience's age band. Strings are owned by
 * the engine and live as long as it. */
typedef struct cg_verdict_guidance_text {
    char lang[CG_GUIDANCE_LANG_MAX + 1];      /* "vi", "en", ... */
    const char *text;                         /* NULL when the catalogue has none (not even
                                                 in the fallback language) */
    const char *help[CG_GUIDANCE_MAX_HELP];
    size_t n_help;
} cg_verdict_guidance_text;

/* One guidance entry: a topic and audience, in every language of the catalogue (texts[0 ..
 * n_texts), in the catalogue's order; the shipped one has vi, then en). Languages are data: a
 * catalogue with another language gives another entry, no code changes. */
typedef struct cg_verdict_guidance {
    char topic[32];
    cg_audience audience;
    cg_age_band age;
    cg_verdict_guidance_text texts[CG_GUIDANCE_MAX_LANGS];
    size_t n_texts;
    /* Messages: the participant it is for (the child at risk of that harm, e.g. the one who
     * wrote despair in a group chat, or the one bullied; the author of a harm for the sender
     * audience); "" when the text engine names nobody. */
    char participant[64];
} cg_verdict_guidance;

typedef struct cg_verdict_timings {
    double decode_ms, hash_ms, digest_ms, match_ms, text_ms, decide_ms, record_ms, total_ms;
    double classify_ms;          /* the nudity model (video: its own frame decoding included) */
} cg_verdict_timings;

/* What the nudity classifier said about bytes ("nudity" in the verdict JSON). */
typedef enum cg_nudity_status {
    CG_NUDITY_NONE = 0,        /* nothing to classify: a message, or bytes that are neither an
                                  image nor a video */
    CG_NUDITY_CLASSIFIED = 1,  /* scores hold the image's (or the worst video frame's) scores */
    CG_NUDITY_OFF = 2,         /* turned off (cg_engine_config.classify = 0) */
    CG_NUDITY_UNAVAILABLE = 3, /* the model could not be loaded; error says why */
    CG_NUDITY_FAILED = 4       /* the image or video could not be decoded; error says why */
} cg_nudity_status;

typedef struct cg_verdict_nudity {
    cg_nudity_status status;
    cg_vision_scores scores;
    int64_t frame;               /* videos: the frame number of the worst sampled frame (the
                                    highest explicit score); -1 for images */
    uint32_t frames;             /* videos: sampled frames classified; 1 for images */
    char model[65];              /* the model's id (SHA-256 of its weights) */
    char error[CG_ERROR_MAX];    /* UNAVAILABLE / FAILED: one line naming the file */
} cg_verdict_nudity;

/* Zero-initialise; cg_engine_scan fills it (freeing what it held); free with cg_verdict_free. */
typedef struct cg_verdict {
    char content_id[128];        /* "sha256:<hex>" for bytes, "msg:<conversation>/<id>" */
    cg_content_kind kind;
    char *name;                  /* copy of the content's name, NULL when none */
    int64_t scanned_at_ms;       /* unix milliseconds */
    /* bytes */
    uint64_t bytes;
    cg_image_format format;      /* CG_FORMAT_UNKNOWN: not an image */
    uint32_t width, height;      /* decoded size, 0 when not decoded */
    int has_pdq;
    cg_pdq_result pdq;           /* dihedral variants filled when the engine looks them up */
    cg_status decode_status;     /* CG_OK, or why an image could not be decoded (digests and
                                  * exact matches are still computed) */
    char decode_error[CG_ERROR_MAX];
    int has_digests;
    cg_digests digests;
    cg_match_list matches;
    /* video (format is CG_FORMAT_UNKNOWN; video_format names the container) */
    char video_format[16];       /* "mp4", "webm", ...; "" when not a video */
    cg_vpdq *vpdq;               /* the sampled frames' PDQ hashes, owned; NULL when none */
    /* message */
    int has_text;
    char conversation[128];
    char message_id[64];
    char sender[128];
    char recipient[128];
    int64_t ts_ms;
    cg_text_result text;
    /* the facts the policy saw */
    cg_policy_context context;
    cg_audience audience;
    int sender_is_child;
    int repeat;
    /* the decision */
    cg_policy_decision decision;
    cg_verdict_guidance *guidance;
    size_t n_guidance;
    /* languages: the message's, as detected ("vi", "en", "" unknown or not a message), and the
     * one its guidance should be shown in (the detected one, else the configured default) */
    char lang[4];
    char guidance_lang[4];
    int64_t review_id;           /* the review item added, 0 none */
    uint64_t audit_seq;          /* the audit record appended, 0 none */
    cg_verdict_timings ms;
    cg_verdict_nudity nudity;    /* bytes only; status NONE for messages */
    char tenant[CG_TENANT_MAX + 1]; /* the tenant scanned for (not in the JSON) */
    int notified;                /* outbox rows written for notify actions (not in the JSON) */
    int notify_dropped;          /* notify actions dropped: the tenant's outbox was full */
    int job_replayed;            /* 1: the content's job was already recorded; nothing was
                                    recorded again (review_id is the recorded one) */
} cg_verdict;

CG_API void cg_verdict_free(cg_verdict *v);

/* Scans one piece of content. Fails (and *out holds what was found up to the failure) on bad
 * arguments, content over the limits (CG_E_LIMIT), a message the text engine refuses, a lookup,
 * review-queue or audit failure. An image that cannot be decoded is not a failure: the verdict
 * carries decode_status and the exact digests are still matched. */
CG_API cg_status cg_engine_scan(cg_engine *e, const cg_content *c, cg_verdict *out,
                                cg_error *err);

/* What the engine holds now. */
typedef struct cg_engine_stats {
    uint64_t conversations;          /* conversations remembered */
    uint64_t conversations_evicted;  /* forgotten to stay within the bound, since open */
} cg_engine_stats;

/* Thread-safe (takes the conversation lock briefly). */
CG_API void cg_engine_stats_get(cg_engine *e, cg_engine_stats *out);

/* 1 when the decision blocks the content (a block action), for exit codes. */
CG_API int cg_verdict_blocks(const cg_verdict *v);
/* "image", "video", "file" (bytes that are neither) or "message". */
CG_API const char *cg_verdict_kind_name(const cg_verdict *v);

enum {
    CG_VERDICT_JSON_PRETTY = 1 << 0,     /* indented */
    CG_VERDICT_JSON_NO_TIMINGS = 1 << 1, /* leave timings out (stable output, stored copies) */
    CG_VERDICT_JSON_NO_GUIDANCE_TEXT = 1 << 2 /* topics and audiences only (stored copies) */
};

/* The verdict as one JSON object (docs/verdict.md), NUL-terminated, freed with cg_free. NULL
 * only when out of memory. */
CG_API char *cg_verdict_to_json(const cg_verdict *v, unsigned flags);

enum {
    CG_MATCH_JSON_DISABLED = 1 << 0 /* also "disabled" (listings of `childguard match`) */
};

/* One match as the JSON object it has in a verdict's "matches" (docs/verdict.md), compact,
 * NUL-terminated, freed with cg_free; the same serialiser cg_verdict_to_json uses. NULL only
 * when out of memory. */
CG_API char *cg_match_to_json(const cg_match *m, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
