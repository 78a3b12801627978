/* childguard: the policy — configuration that maps what the engine found (bank matches, text
 * harms, risk and alert levels, the context and audience) to actions and guidance.
 *
 * A policy is a JSON file (docs/policy.md has the schema and why JSON): an ordered list of rules,
 * each with conditions ("when", all must hold; an absent condition holds for anything), actions
 * (allow, warn, blur, block, queue_review, draft_report, notify with a target) and guidance
 * requests (topic x audience; a topic is a harm or an image topic such as "ncii"). The shipped
 * defaults are data/policy/default.json.
 *
 * Evaluation (cg_policy_decide) is a pure function of the policy and a plain-data cg_policy_facts
 * that the engine (or a front end) fills: rules are tried in file order; each that holds fires,
 * adds its actions and guidance, and ends the evaluation when it has "stop": true. Then the
 * dispositions are resolved: block beats blur and warn, any of them beats allow, and when no
 * fired rule chose a disposition the decision is allow. queue_review, draft_report and notify
 * add up. A bank match with suppressed = 1 (not acted on: a block match overridden by an
 * allow-list match, or a low-quality PDQ match) is invisible to every rule, so it never triggers
 * a block rule.
 *
 * Threading: a loaded cg_policy is immutable; cg_policy_decide may run on any number of threads
 * at once. Each decision is owned by its caller. */
#ifndef CHILDGUARD_POLICY_H
#define CHILDGUARD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "export.h"
#include "guidance.h"
#include "harm.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: values are pinned; the text names ("allow", "warn", ...) are used in files. The
 * enum order is also the order of actions in a decision. */
typedef enum cg_policy_action {
    CG_ACTION_ALLOW = 0,        /* deliver / show as is */
    CG_ACTION_WARN = 1,         /* show guidance, let the user continue */
    CG_ACTION_BLUR = 2,         /* show blurred, reveal on demand */
    CG_ACTION_BLOCK = 3,        /* do not deliver / show */
    CG_ACTION_QUEUE_REVIEW = 4, /* put in the human review queue */
    CG_ACTION_DRAFT_REPORT = 5, /* prepare a hotline report (e.g. NCMEC CyberTipline) */
    CG_ACTION_NOTIFY = 6,       /* tell a target (guardian, moderator, a webhook name) */
    CG_ACTION_COUNT = 7
} cg_policy_action;

/* Where the content is being checked. */
typedef enum cg_policy_context {
    CG_CONTEXT_UNKNOWN = -1,
    CG_CONTEXT_PLATFORM_UPLOAD = 0, /* a platform's upload pipeline */
    CG_CONTEXT_CHILD_DEVICE = 1,    /* on the child's own phone or computer */
    CG_CONTEXT_SCHOOL_TABLET = 2,   /* a device managed by a school */
    CG_CONTEXT_COUNT = 3
} cg_policy_context;

/* "allow", ...; NULL out of range. */
CG_API const char *cg_policy_action_name(cg_policy_action a);
/* The action named name (exact); -1 if none. */
CG_API int cg_policy_action_from_name(const char *name);
/* "platform_upload", ...; NULL out of range (also for CG_CONTEXT_UNKNOWN). */
CG_API const char *cg_policy_context_name(cg_policy_context c);
CG_API int cg_policy_context_from_name(const char *name);

/* Longest rule id and notify target (bytes). */
#define CG_POLICY_ID_MAX 63
#define CG_POLICY_TARGET_MAX 63

typedef struct cg_policy cg_policy;

/* Loads and validates the policy file at path. Every problem is an error (CG_E_INVAL; a missing
 * file is CG_E_NOTFOUND, an unreadable one CG_E_IO, over 4 MiB CG_E_LIMIT) whose message names
 * the file, the line and the place ("rules[2].when.harm") with the bad key or value: unknown
 * keys are errors, so a typo never silently changes what the policy does. */
CG_API cg_status cg_policy_open(const char *path, cg_policy **out, cg_error *err);
/* The same from a buffer; name is used in messages in place of the path. */
CG_API cg_status cg_policy_create(const char *name, const char *text, size_t len,
                                       cg_policy **out, cg_error *err);
CG_API void cg_policy_destroy(cg_policy *p);

/* The path of the shipped defaults: $CHILDGUARD_DATA/policy/default.json, else the installed
 * share/childguard/policy/default.json, else the source tree's. Static storage. */
CG_API const char *cg_policy_default_path(void);

/* Text quarantine ("quarantine": {"text": {...}} in the policy file; docs/review.md "Text
 * excerpts"): whether a review item of a conversation keeps an excerpt of the messages that hold
 * its evidence, how much, and for how long. Off unless the policy turns it on. */
#define CG_POLICY_EXCERPT_MESSAGES_DEFAULT 8
#define CG_POLICY_EXCERPT_MESSAGES_MAX 32
#define CG_POLICY_EXCERPT_BYTES_DEFAULT 8192     /* message text bytes, all messages together */
#define CG_POLICY_EXCERPT_BYTES_MAX 65536
#define CG_POLICY_EXCERPT_RETENTION_DEFAULT (30 * 86400)
typedef struct cg_policy_text_quarantine {
    int enabled;            /* "enabled": false by default */
    int max_messages;       /* "max_messages" 1..32 (default 8): the newest that hold evidence */
    int max_bytes;          /* "max_bytes" 256..65536 (default 8192): their text together */
    int64_t retention_s;    /* "retention_days" 1..365 (default 30), in seconds */
} cg_policy_text_quarantine;

/* Fills *out with p's text quarantine (p NULL: the defaults, off). */
CG_API void cg_policy_text_quarantine_get(const cg_policy *p, cg_policy_text_quarantine *out);

/* Rules of a loaded policy, for listing (`childguard policy check`). */
CG_API size_t cg_policy_rule_count(const cg_policy *p);
/* Rule i's id, and a one-line description of its conditions, actions and guidance written
 * into buf (truncated to size). */
CG_API const char *cg_policy_rule_id(const cg_policy *p, size_t i);
CG_API void cg_policy_rule_describe(const cg_policy *p, size_t i, char *buf, size_t size);

/* ---- facts in, decision out --------------------------------------------------------------- */

typedef struct cg_policy_match {
    const char *label;     /* the bank's label: "csam", "ncii", ... */
    cg_bank_kind kind;     /* block or allow bank */
    int distance;          /* 0 for exact (md5/sha256) matches */
    int suppressed;        /* 1: not acted on (allow-list, low quality; ignored by rules) */
} cg_policy_match;

/* Everything the policy looks at. Zero-initialised facts mean: platform upload, recipient,
 * sender known to be an adult, first occurrence, no matches, no text risk. Set context to
 * CG_CONTEXT_UNKNOWN and sender_is_child to -1 when unknown: a rule that asks for a context or
 * for sender_is_child then does not hold. */
typedef struct cg_policy_facts {
    cg_policy_context context;
    cg_audience audience;          /* who the decision is shown to */
    int sender_is_child;           /* 1 yes, 0 no, -1 unknown */
    int repeat;                    /* times this sender has shown the harm, this one included */
    const cg_policy_match *matches;
    size_t n_matches;
    float risk[CG_HARM_COUNT];     /* the conversation's risk per harm, 0..1 */
    cg_alert alert;                /* the conversation's alert level */
    float nudity;                  /* the nudity model's explicit score, 0..1 (0: not scored) */
} cg_policy_facts;

typedef struct cg_policy_action_item {
    cg_policy_action action;
    char target[CG_POLICY_TARGET_MAX + 1]; /* notify only ("guardian"); "" otherwise */
} cg_policy_action_item;

/* Longest guidance topic (bytes). */
#define CG_POLICY_TOPIC_MAX 31

/* What to show whom: the text is cg_guidance_lookup(catalogue, topic, audience, lang, age,
 * ..) (guidance.h). Two requests are the same when topic and audience are. */
typedef struct cg_policy_guidance_request {
    char topic[CG_POLICY_TOPIC_MAX + 1]; /* a harm name or an image topic ("csam", "ncii",
                                            "nudity") */
    int harm;                      /* the cg_harm when topic is a harm name, else -1 */
    cg_audience audience;
} cg_policy_guidance_request;

typedef struct cg_policy_fired {
    char id[CG_POLICY_ID_MAX + 1];
    char why[256];                 /* one line: the conditions that held, with the values */
} cg_policy_fired;

/* Zero-initialise; cg_policy_decide fills it (freeing what it held); free with
 * cg_policy_decision_free. Actions are deduplicated and in enum order (notify targets in the
 * order the rules named them); guidance deduplicated in rule order; fired in rule order. */
typedef struct cg_policy_decision {
    cg_policy_action_item *actions;
    size_t n_actions;
    cg_policy_guidance_request *guidance;
    size_t n_guidance;
    cg_policy_fired *fired;
    size_t n_fired;
    int stopped;                   /* 1 when a rule with "stop" ended the evaluation */
} cg_policy_decision;

/* Applies the policy to the facts. Fails only on bad arguments or out of memory (the decision
 * is then empty). */
CG_API cg_status cg_policy_decide(const cg_policy *p, const cg_policy_facts *facts,
                                  cg_policy_decision *out, cg_error *err);
CG_API void cg_policy_decision_free(cg_policy_decision *d);
/* 1 when the decision holds action a (any target). */
CG_API int cg_policy_decision_has(const cg_policy_decision *d, cg_policy_action a);

#ifdef __cplusplus
}
#endif
#endif
