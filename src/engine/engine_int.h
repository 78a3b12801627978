/* The engine's internals (include/childguard/engine.h), shared by its files:
 *   engine.c   open/close, accessors, the engine's PDQ hasher pool
 *   signals.c  content → signals: the one pipeline (signals.h), also used by the front ends
 *   scan.c     signals → matches, text risks → policy facts → decision + guidance
 *   record.c   decisions into the review queue, the webhook outbox and the audit log
 *   repeat.c   how often a sender has shown a harm (the policy's "repeat")
 *   nudity.c   the nudity classifier: its model, a pool of contexts, images and video frames
 *   convtable.c which conversations are remembered (bounded, least recently used out)
 *   state.c    the live state (conversations, repeat counts) saved to and restored from bytes
 *   state_store.c  those bytes kept in the store: restored at open, saved on an interval and at close
 *   verdict.c  freeing a verdict and its one JSON serialiser */
#ifndef CG_ENGINE_INT_H
#define CG_ENGINE_INT_H

#include <pthread.h>

#include "childguard/audit.h"
#include "childguard/bank.h"
#include "childguard/engine.h"
#include "childguard/pool.h"
#include "childguard/signals.h"

/* Senders remembered for repeat counts; past this the table starts over (documented). */
#define CG__REPEAT_SLOTS 65536
/* Counted topics: the text harms, then block matches of content sent by the same sender. */
#define CG__REPEAT_TOPICS (CG_HARM_COUNT + 1)
#define CG__REPEAT_MATCH CG_HARM_COUNT
/* Counts older than this start over (a week). */
#define CG__REPEAT_WINDOW_MS (7LL * 24 * 3600 * 1000)

typedef struct cg__repeat_slot {
    uint64_t key;                       /* 0 = empty */
    int64_t last_ms;
    uint32_t count[CG__REPEAT_TOPICS];
} cg__repeat_slot;

typedef struct cg__repeat {
    cg__repeat_slot *slots;             /* CG__REPEAT_SLOTS, open addressing */
    size_t used;
} cg__repeat;

cg_status cg__repeat_init(cg__repeat *r);
void cg__repeat_free(cg__repeat *r);
/* Adds one to each topic set in shown (bit per topic) for sender and returns the largest count
 * among them (0 when shown is 0). Caller holds the lock. */
int cg__repeat_add(cg__repeat *r, const char *sender, unsigned shown, int64_t now_ms);

/* The conversations the engine remembers, least recently used first out (convtable.c). */
typedef struct cg__conv_entry cg__conv_entry;
typedef struct cg__convtable {
    cg__conv_entry **buckets;
    size_t n_buckets, n, cap;
    int64_t ttl_ms;                     /* 0: no time to live */
    cg__conv_entry *head, *tail;        /* most and least recently used */
    uint64_t evicted;
} cg__convtable;

cg_status cg__convtable_init(cg__convtable *t, size_t cap, int64_t ttl_ms);
void cg__convtable_free(cg__convtable *t);
/* Marks key used at now_ms, then evicts idle entries (older than the time to live) and, while
 * more than cap are kept, the least recently used; forget(ud, key) is called for each evicted
 * key before it is freed. CG_E_NOMEM leaves the table as it was. Caller holds the lock. */
cg_status cg__convtable_touch(cg__convtable *t, const char *key, int64_t now_ms,
                              void (*forget)(void *ud, const char *key), void *ud);

/* The text of recent messages that hold evidence, for review excerpts under the policy's text
 * quarantine (excerpt.c): a ring for every tenant and conversation together, memory only. */
#define CG__EXCERPT_SLOTS 2048
#define CG__EXCERPT_BYTES (8u << 20)
#define CG__EXCERPT_TEXT_MAX CG_POLICY_EXCERPT_BYTES_MAX /* of one message */
typedef struct cg__excerpt_msg cg__excerpt_msg;
typedef struct cg__excerpt_ring {
    cg__excerpt_msg *slots;             /* CG__EXCERPT_SLOTS, allocated at the first keep */
    size_t next, n, bytes;              /* the slot written next; messages and text kept */
} cg__excerpt_ring;

void cg__excerpt_ring_free(cg__excerpt_ring *r);
/* Remembers message m of conversation key (scoped by tenant), replacing the oldest when full.
 * CG_E_NOMEM leaves the ring without it. Caller holds the state lock. */
cg_status cg__excerpt_keep(cg__excerpt_ring *r, const char *key, const cg_text_message *m);
/* Drops every message of conversation key. Caller holds the state lock. */
void cg__excerpt_forget(cg__excerpt_ring *r, const char *key);
/* The excerpt JSON (review.h) of conversation key for the evidence in res, within q's caps,
 * into *out (free(): jansson's json_dumps; NULL when no message that holds evidence is remembered). Caller holds the
 * state lock. */
cg_status cg__excerpt_build(const cg__excerpt_ring *r, const char *key, const char *conversation,
                            const cg_text_result *res, const cg_policy_text_quarantine *q,
                            char **out, cg_error *err);

/* A loaded policy and the number of holders (the engine and the scans deciding with it). */
typedef struct cg__policy_ref {
    cg_policy *policy;
    int refs;                           /* under cg_engine.policy_lock */
} cg__policy_ref;

/* The engine's live state, one bounded object apart from its configuration: what the
 * conversations have shown (the text session, per conversation and tenant, least recently used
 * forgotten first) and how often each sender has shown a harm. It is kept across policy
 * reloads (cg_engine_set_policy) and saved and restored with cg_engine_state_save/restore
 * (state.c). */
/* Flood counters (flood.c): matches per exchange signal within an hour of its first one. */
#define CG__FLOOD_SLOTS 1024
#define CG__FLOOD_SEEN 4
typedef struct cg__flood_slot {
    int64_t signal_id; /* 0: free */
    int64_t bank_id;   /* the signal's bank (cg_engine_flood_counters filters by it) */
    int64_t start;     /* unix seconds of the window's first match */
    int64_t count;     /* distinct contents counted in the window */
    cg_pdq seen[CG__FLOOD_SEEN]; /* the last counted contents' PDQ hashes (a ring) */
    int n_seen;
    int limit;         /* this signal's limit, read when the window starts (bank setting,
                          else exchange config, else the engine's); -1 off, 0 not read yet */
} cg__flood_slot;
typedef struct cg__flood {
    cg__flood_slot slots[CG__FLOOD_SLOTS];
} cg__flood;

typedef struct cg__engine_state {
    pthread_mutex_t lock;               /* everything below */
    cg_text_session *session;
    cg__repeat repeat;
    cg__convtable convs;                /* which conversations the session remembers */
    uint64_t next_message;              /* numbers messages that come without an id */
    cg__excerpt_ring excerpts;          /* texts for review excerpts (text quarantine only) */
} cg__engine_state;

/* Conversations kept when the configuration says 0. */
#define CG__CONVERSATIONS_DEFAULT 100000

struct cg_engine {
    cg_engine_config cfg;               /* strings below are the engine's own copies */
    char *db_path, *policy_path, *audit_path, *actor, *data_dir, *lang, *country, *model_path;
    char *vision_path;
    char **extra_lexicons;

    cg_matcher *matcher;                /* NULL without a database */
    /* The current policy, refcounted: a scan holds a reference for its decision, so that
     * cg_engine_set_policy can swap it in while scans run; the last holder frees it. */
    pthread_mutex_t policy_lock;
    cg__policy_ref *policy;
    cg_text_engine *text;               /* NULL with no_text */
    cg_guidance_catalog *guidance;      /* the words of every verdict's guidance */

    cg__engine_state state;             /* live state: survives cg_engine_set_policy */

    cg_pdq_hasher_pool *hashers;        /* each scan borrows one (pdq.h) */

    cg_vision_model *vision;            /* NULL: classifier off or unavailable */
    char *vision_error;                 /* why it is unavailable; NULL when off or running */
    cg_object_pool *vision_ctxs;        /* cg_vision_ctx (each scan borrows one) */

    pthread_mutex_t record_lock;        /* the audit handle and the read-write database */
    cg_audit *audit;
    cg_bankdb *rw_db;                   /* review queue, outbox, saved state; NULL when none */
    cg__flood flood;                    /* matches per exchange signal (flood.c) */

    /* The live state kept in the store (state_store.c; cfg.state_save_s > 0). */
    pthread_mutex_t save_lock;          /* one save at a time; state_note */
    int64_t saved_ms;                   /* wall time of the last save (under save_lock) */
    int state_loaded;                   /* 1: open got as far as restoring: close may save */
    char state_note[CG_ERROR_MAX + 64];  /* why the last restore or save failed; "" */
};

/* Restores the live state saved in the store (at open, cfg.state_save_s > 0); a state that
 * cannot be read or restored is noted (cg_engine_state_note) and the engine starts fresh. */
void cg__engine_state_load(cg_engine *e);
/* Saves the live state when state_save_s has passed since the last save (force: now); a
 * failure is noted, never returned (a scan does not fail because its state was not saved). */
void cg__engine_state_autosave(cg_engine *e, int force);

/* Records a decided verdict: review item (when review is on and the decision queues it), an
 * outbox row per notify action (when notify is on), and the audit record (when an audit log is
 * open). img may be NULL (no preview). */
/* Counts the verdict's acted-on matches of exchange signals and quarantines a signal past
 * cfg.flood_per_hour matches this hour (flood.c). Under record_lock. */
cg_status cg__engine_flood_note(cg_engine *e, const cg_verdict *v, cg_error *err);
cg_status cg__engine_record(cg_engine *e, const cg_content *c, cg_verdict *v, const cg_image *img,
                            cg_error *err);

/* Loads the classifier when configured; a model that cannot be loaded leaves e->vision NULL
 * and e->vision_error set (only running out of memory fails). Close frees both and the pool. */
cg_status cg__engine_vision_open(cg_engine *e, cg_error *err);
void cg__engine_vision_close(cg_engine *e);
/* Fills v->nudity for scanned bytes: img is the decoded image (NULL when the bytes are not an
 * image or could not be decoded); videos are decoded again and their sampled frames scored.
 * Fails only when out of memory. */
cg_status cg__engine_classify(cg_engine *e, const cg_content *c, const cg_image *img,
                              cg_verdict *v, cg_error *err);

/* Takes a reference to the current policy (never NULL on an open engine) and gives it back;
 * the policy is freed when the last reference goes. */
cg__policy_ref *cg__engine_policy_take(cg_engine *e);
void cg__engine_policy_give(cg_engine *e, cg__policy_ref *ref);

/* Monotonic milliseconds, for timings. */
double cg__engine_now_ms(void);

#endif
