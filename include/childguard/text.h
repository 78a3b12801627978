/* childguard: the text-harm engine — grooming, sexual solicitation, sextortion, bullying,
 * self-harm risk and personal-data leaks in chat, in Vietnamese and English.
 *
 * Names here are the vocabulary every part of the engine shares (lexicon files, detectors, the
 * conversation model, the JSON output): harms, grooming stages and the facets of the other
 * harms. Their text names are stable (used in data files and JSON).
 *
 * Threading: the name functions are pure and thread-safe. */
#ifndef CHILDGUARD_TEXT_H
#define CHILDGUARD_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "harm.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif


/* The sub-category of a cue, by harm (text names in parentheses):
 * - grooming stages after O'Connell: friendship forming (friendship), relationship forming
 *   (relationship), risk assessment (risk_assessment: "are you alone", "delete this chat"),
 *   exclusivity (exclusivity: "our secret", moving to a private app), sexual (sexual),
 *   meeting (meeting);
 * - sextortion facets: threat (threat), a reference to images (image), a demand (demand);
 * - bullying: insult, threat (bully_threat), exclusion, humiliation, self-harm incitement
 *   (incitement);
 * - self_harm_risk: despair; sexual_solicitation: request;
 * - personal_data (detectors, not lexicons): phone, email, address, school, handle, code.
 * CG_FACET_NONE is for cues that carry a harm only. */
typedef enum cg_facet {
    CG_FACET_NONE = 0,
    CG_FACET_FRIENDSHIP = 1,
    CG_FACET_RELATIONSHIP = 2,
    CG_FACET_RISK_ASSESSMENT = 3,
    CG_FACET_EXCLUSIVITY = 4,
    CG_FACET_SEXUAL = 5,
    CG_FACET_MEETING = 6,
    CG_FACET_THREAT = 7,
    CG_FACET_IMAGE = 8,
    CG_FACET_DEMAND = 9,
    CG_FACET_INSULT = 10,
    CG_FACET_BULLY_THREAT = 11,
    CG_FACET_EXCLUSION = 12,
    CG_FACET_HUMILIATION = 13,
    CG_FACET_INCITEMENT = 14,
    CG_FACET_DESPAIR = 15,
    CG_FACET_REQUEST = 16,
    CG_FACET_PHONE = 17,
    CG_FACET_EMAIL = 18,
    CG_FACET_ADDRESS = 19,
    CG_FACET_SCHOOL = 20,
    CG_FACET_HANDLE = 21,
    CG_FACET_CODE = 22, /* one-time codes, passwords */
    CG_FACET_COUNT = 23
} cg_facet;

/* "none", "friendship", ...; NULL out of range. */
CG_API const char *cg_text_facet_name(cg_facet f);
CG_API int cg_facet_from_name(const char *name);
/* The harm a facet belongs to (CG_FACET_NONE: -1). */
CG_API int cg_facet_harm(cg_facet f);

/* ---- the engine ---------------------------------------------------------------------------
 * An engine holds what is loaded once (normaliser, lexicons, learned layer, optional model);
 * a session holds conversation state (per conversation: decayed evidence per harm and grooming
 * stage, the order stages appeared in, age signals per party, sextortion facets in a window).
 * docs/text.md describes the scoring; every score is explained by the evidence it returns. */

typedef struct cg_text_engine cg_text_engine;
typedef struct cg_text_session cg_text_session;

typedef struct cg_text_config {
    /* The data directory (lexicons/NAME.tsv, text/teencode-LANG.tsv, text/learned.bin); NULL means
     * $CHILDGUARD_DATA, else the install's share/childguard. */
    const char *data_dir;
    /* More lexicon files to load (NULL-terminated), e.g. an operator's own. */
    const char *const *extra_lexicons;
    /* Only cues of this language ("vi", "en") and language-neutral ones; NULL or "auto": all. */
    const char *lang;
    /* Country for help routing in guidance ("VN" default): read by cg_engine_open for its
     * guidance catalogue (guidance.h); the text engine itself reads no guidance. */
    const char *country;
    /* Bad rows of data files: reported here (path, line, reason) and skipped. May be NULL. */
    void (*on_bad_row)(const char *path, uint64_t line, const char *reason, void *ud);
    void *ud;
    /* A trained classifier (textmodel.h) whose labels are harm names ("bullying", ...): a label
     * scoring >= 0.5 on a message adds a finding "model.<label>" with the score as its weight,
     * spanning the message. NULL: lexicons and detectors only. */
    const char *model_path;
    /* Added after the first release. The engine's learned layer (docs/text.md, "The learned
     * layer"): a raw-token model over the features the engine computes (words of the normalised
     * forms, cue, detector and age tokens), on by default. NULL: data_dir/text/learned.bin when
     * that file exists (a data directory without it runs the rules alone). */
    const char *learned_path;
    int no_learned;               /* 1: rules only, even when learned.bin exists */
    /* Added after the first release. A directory where the compiled lexicon database is kept
     * for the next open with the same cues (compiling is most of an open's time); it must be
     * the user's own and not writable by others, else it is not used. NULL: the environment's
     * CHILDGUARD_CACHE_DIR; "" or "off": no cache. Results are the same with or without. */
    const char *cache_dir;
} cg_text_config;

CG_API cg_status cg_text_engine_open(const cg_text_config *cfg, cg_text_engine **out,
                                     cg_error *err);
CG_API void cg_text_engine_close(cg_text_engine *e);
/* Number of cues loaded. */
CG_API size_t cg_text_engine_cue_count(const cg_text_engine *e);

/* A session of conversations; use from one thread at a time (one per worker). */
CG_API cg_status cg_text_session_create(cg_text_engine *e, cg_text_session **out, cg_error *err);
CG_API void cg_text_session_destroy(cg_text_session *s);
/* Drops everything the session remembers of a conversation (NULL or "": the default one), as
 * if it had never been seen; returns 1 when there was state, else 0. Front ends that bound how
 * many conversations they keep (the engine) call it to evict one. */
CG_API int cg_text_session_forget(cg_text_session *s, const char *conversation);
/* 1 when the engine's learned layer is loaded (cg_text_config.learned_path). */
CG_API int cg_text_engine_has_learned(const cg_text_engine *e);
/* Keep (on = 1) the feature line of each scanned message, even without a learned layer: the
 * text the learned layer scores, for training it (`childguard text eval --features-out`). */
CG_API void cg_text_session_keep_features(cg_text_session *s, int on);
/* The feature line of the last message scanned (owned by the session, valid until the next
 * scan), or NULL when features are not built (no learned layer and not kept). */
CG_API const char *cg_text_session_features(const cg_text_session *s);

typedef struct cg_text_message {
    const char *conversation; /* NULL or "": one default conversation */
    const char *id;           /* NULL: numbered by the session */
    const char *sender;       /* NULL: "unknown" */
    const char *recipient;
    int64_t ts_ms;            /* unix milliseconds; 0 = unknown (the conversation's last time) */
    const char *text;
    size_t len;
} cg_text_message;



typedef struct cg_text_evidence {
    char message_id[64];
    cg_harm harm;
    cg_facet facet;
    char cue[64];             /* lexicon cue id, or "pii.phone", "age.stated", ... */
    uint32_t start, end;      /* byte range in that message's text */
    float weight;
    int in_this_message;      /* 1 for evidence found in the message just scanned */
} cg_text_evidence;

/* One participant of a conversation as of the message just scanned (per-participant risk:
 * docs/text.md, "Participants"). A child who writes despair, or whom others bully, groom or
 * extort, is at risk; whoever writes the harm is its author. In a group chat a harm is aimed at
 * the participants it names, else at the last other participant who wrote. */
typedef struct cg_text_participant {
    char name[64];                 /* the sender id, cut to fit */
    float risk[CG_HARM_COUNT];     /* harms in what they wrote (self-harm: their own despair;
                                      personal data: their own data shared or asked for) */
    float exposure[CG_HARM_COUNT]; /* harms aimed at them by others (grooming, solicitation,
                                      sextortion, bullying) */
    cg_alert alert;                /* their state as a child at risk: the level of their own
                                      self-harm and personal-data risk and of their exposure;
                                      an urgent state is held for 72 hours */
    cg_alert peak;                 /* the highest that state has been in the conversation */
    cg_harm peak_harm;             /* its harm */
    char peak_message[64];         /* the message that raised it */
    cg_alert author_alert;         /* the level of the harms they wrote against others */
    int age_min, age_max;          /* from age signals; 0 unknown */
} cg_text_participant;

/* The highest level one harm has reached in a conversation, and where. */
typedef struct cg_text_harm_peak {
    cg_alert level;                /* CG_ALERT_NONE: not seen */
    float risk;                    /* the conversation's risk of the harm at that message */
    char message_id[64];
    char at_risk[64];              /* the participant at risk ("" unknown) */
    char author[64];               /* who wrote it (self-harm: the same child; "" unknown) */
} cg_text_harm_peak;

/* How a child's personal data came into a conversation: they wrote it themselves (own), someone
 * else asked them for it (asked: "where do u live"), or someone else wrote it out (revealed: a
 * stranger reciting their address, school or route, "I know where you live"). */
typedef enum cg_text_pd_how {
    CG_TEXT_PD_NONE = 0,
    CG_TEXT_PD_OWN = 1,
    CG_TEXT_PD_ASKED = 2,
    CG_TEXT_PD_REVEALED = 3
} cg_text_pd_how;

typedef struct cg_text_result {
    float message_risk[CG_HARM_COUNT]; /* this message alone, 0..1 */
    float risk[CG_HARM_COUNT];         /* the conversation as of this message, 0..1 */
    cg_facet stage;                    /* furthest grooming stage with evidence (NONE if none) */
    cg_alert alert;                    /* the conversation's, as of this message */
    int sender_age_min, sender_age_max;       /* from age signals; 0 unknown */
    int recipient_age_min, recipient_age_max;
    int age_asked;                     /* the sender has asked the other's age */
    size_t invalid_utf8;               /* invalid sequences replaced in this message */
    cg_text_evidence *evidence;        /* this message's and the conversation's (owned) */
    size_t n_evidence, cap_evidence;
    /* Added after the first release. */
    cg_text_participant *participants; /* every participant so far, in order of appearance
                                          (owned; at most 8, the last slot shared beyond) */
    size_t n_participants, cap_participants;
    cg_text_harm_peak peak[CG_HARM_COUNT]; /* per harm, its highest level so far */
    /* Added after the first release. Whose personal data the conversation's personal-data
     * risk is about (docs/text.md, "Whose personal data"): the participant it belongs to (the
     * child to tell), who wrote it and how. "" and CG_TEXT_PD_NONE when there is none. */
    char pd_owner[64];
    char pd_writer[64];
    cg_text_pd_how pd_how;
} cg_text_result;

/* "none", "own", "asked", "revealed"; NULL out of range. */
CG_API const char *cg_text_pd_how_name(cg_text_pd_how h);

/* The level one harm's risk stands for (the thresholds of the alert: docs/text.md), with
 * minor = 1 when a party has stated an age under 18. */
CG_API cg_alert cg_text_harm_level(cg_harm h, float risk, int minor);

/* Scans one message in its conversation and fills res (zero it before the first use; reuse
 * it; free with cg_text_result_free). res->alert is the conversation's: the highest of the
 * level of its risks and of every participant's state, so it never drops below a participant's
 * held urgent state. A message over 1 MiB is CG_E_LIMIT; invalid UTF-8 is
 * replaced and counted. A failed message leaves the conversation state unchanged. */
CG_API cg_status cg_text_scan(cg_text_session *s, const cg_text_message *msg,
                              cg_text_result *res, cg_error *err);
CG_API void cg_text_result_free(cg_text_result *res);


/* The language of a message, for choosing the guidance language: "vi", "en", or NULL when it
 * cannot tell (too short, no cue either way). Vietnamese letters (ă â đ ê ô ơ ư, tone marks)
 * and Vietnamese function words typed without diacritics or in teencode ("ko", "dc", "minh")
 * count for Vietnamese; English function words for English. len bytes of UTF-8 (invalid bytes
 * are skipped). Pure and thread-safe. */
CG_API const char *cg_text_detect_lang(const char *text, size_t len);


#ifdef __cplusplus
}
#endif
#endif
