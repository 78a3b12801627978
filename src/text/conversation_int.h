/* Internal: the conversation state's layout, shared by conversation.c (scoring) and
 * session_state.c (saving and restoring it). */
#ifndef CG_TEXT_CONVERSATION_INT_H
#define CG_TEXT_CONVERSATION_INT_H

#include "text/conversation.h"

#define EVIDENCE_RING 16
#define MAX_PARTIES 8
#define PENDING 4
#define PENDING_WORDS 16
/* What an answer to a question for personal data or about who is home weighs (personal data). */
#define ANSWER_WEIGHT 0.5f
/* Topic context markers (a game, schoolwork, laughter) hold for this many messages. */
#define CONTEXT_BITS 8
#define CONTEXT_CARRY 6
/* A demand left incomplete waits this many messages for its writer to complete it. */
#define DEMAND_CARRY 4

typedef struct party {
    char *name;
    float facet_e[CG_FACET_COUNT];
    float harm_e[CG_HARM_COUNT];
    float learn_e[CG_HARM_COUNT];     /* the learned layer's evidence, apart from the rules' */
    uint8_t msgs[CG_HARM_COUNT];      /* messages that added to it since it last faded out */
    int bully_at;                     /* whom their last bullying was said to (recipient, named,
                                         or the last other writer, fellow bullies included); -1 */
    int64_t facet_ts[CG_FACET_COUNT]; /* last time each facet was seen */
    int age_min, age_max;
    int asked_age;
    /* As a child at risk: evidence of harms aimed at this party, and who aimed them last. */
    float expo_e[CG_HARM_COUNT];
    float expo_l[CG_HARM_COUNT];      /* of which from the learned layer (kept apart) */
    uint8_t expo_msgs[CG_HARM_COUNT]; /* messages aimed at them since it last faded out */
    int expo_from[CG_HARM_COUNT];     /* party index, -1 none */
    cg_alert peak;
    cg_harm peak_harm;
    char peak_msg[64];
    int64_t urgent_ts;                /* when their state was last urgent; 0 never */
    int parent;                       /* another party has called them mom, dad, "mẹ" */
    /* Personal data: of their own evidence (harm_e, learn_e), the part that was someone else's
     * data (a stranger reciting a child's address), and, as the one whose data it is, the
     * evidence of it written out by others (expo_e/expo_l hold it asked for or written out). */
    float pdx_e, pdx_l;
    float rev_e;
    uint32_t facet_live;              /* bit f: facet_e[f] may be non-zero (it was added to);
                                         every other facet's evidence is 0, so the decay
                                         passes it over. Not saved: restoring sets it from the
                                         evidence read. */
} party;

/* A conversation. Created with its fields up to parties zeroed; parties are zeroed one by
 * one as they join (find_party), and the evidence ring's slots are written before they are
 * read (session_state.c saves a slot outside the ring's window as zeros): so creating one costs
 * a few hundred bytes of zeroing, not the whole structure. */
typedef struct conv {
    char *id;
    struct conv *next;             /* hash chain */
    int64_t last_ts;
    uint64_t n_messages;
    size_t n_parties;
    int last_sender;               /* party index of the last message's sender, -1 none */
    cg_text_harm_peak peak[CG_HARM_COUNT];
    /* Harms aimed in a group chat at nobody known yet: the hashes of the message's words (not
     * the words), so a participant who writes later and was named there is found. */
    struct pending {
        uint32_t word[PENDING_WORDS];
        uint8_t n;
        int from;                  /* the author's party index */
        float w[CG_HARM_COUNT];
    } pend[PENDING];
    size_t pend_next;
    int probe_from;                /* who last asked where a child lives, is, or is alone
                                      (party index, -1 none), to whom (-1: the group), and at
                                      which message */
    int probe_to;
    uint64_t probe_at;
    uint64_t ctx_at[CONTEXT_BITS]; /* the message (1-based count) that last had each topic
                                      context marker; 0 never */
    int ask_from;                  /* who last asked for images (a solicitation cue, pressure
                                      included, before the gate; party index, -1 none) */
    int ask_refused;               /* 1: another party refused after that ask */
    int dem_from;                  /* who left a demand incomplete (party index, -1 none), its
                                      parts (detect.h CG__DEM_*) and at which message */
    unsigned dem_parts;
    uint64_t dem_at;
    size_t ring_n, ring_head;
    /* Not zeroed when the conversation is created (see above): */
    party parties[MAX_PARTIES];    /* the first n_parties are in use */
    cg_text_evidence ring[EVIDENCE_RING];
} conv;

/* The bit of facet f in party.facet_live. */
#define CG__FACET_BIT(f) (1u << (unsigned)(f))

struct cg__convs {
    conv **buckets;
    size_t n_buckets, n;
    conv *last;                    /* the conversation found last (the engine asks for the same
                                      one several times a message), or NULL */
    /* The decay factors of the last time step (the same step recurs: the same exp2 result). */
    double decay_dt;               /* 0: none kept */
    float decay_k[CG_HARM_COUNT], decay_k1[CG_HARM_COUNT];
};

/* The conversation id (created, empty, when create is 1 and it is not there; NULL when it is
 * not there or out of memory). */
conv *cg__convs_find(cg__convs *c, const char *id, int create);

#endif
