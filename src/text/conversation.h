/* Internal: conversation state and scoring. A conversation keeps, per party (sender), evidence
 * per facet and per harm that decays with time, when each grooming stage first appeared, the
 * party's age signals, and a ring of recent evidence. Scores are functions of that state only,
 * so every score is explained by the evidence listed with it (docs/text.md has the formulas). */
#ifndef CG_TEXT_CONVERSATION_H
#define CG_TEXT_CONVERSATION_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/text.h"

typedef struct cg__convs cg__convs;

/* One finding in the message being scanned, with the harm it counts for. */
typedef struct cg__finding {
    cg_harm harm;
    cg_facet facet;
    float weight;
    uint32_t start, end;
    const char *cue;  /* id; copied */
    unsigned char learned; /* 1: the learned layer's score, kept apart from rule evidence */
} cg__finding;

/* Age facts found in the message being scanned (0: none), and whom it addresses. */
typedef struct cg__age_facts {
    int stated_min, stated_max;
    int asked;
    int to_parent; /* it calls its recipient a parent ("mom, ...", "mẹ ơi"): detect_context.c */
    unsigned context; /* its context markers (detect.h CG__CTX_*), kept for the next messages */
    int sol_ask;      /* it asks for images: a solicitation cue, pressure included, before the
                         pressure gate (text_engine.c) */
    int refusal;      /* it refuses ("no", "stop", "thôi", "em không muốn": detect_context.c) */
    int pd_subject;   /* whose personal data it states: CG__PD_WRITER, CG__PD_READER or
                         CG__PD_UNKNOWN (detect_pii_subject.c; read only when it has some) */
    unsigned demand;  /* the parts of a demand it holds (detect.h CG__DEM_*): kept for the
                         writer's next messages, cleared by a whole demand */
} cg__age_facts;

cg_status cg__convs_new(cg__convs **out, cg_error *err);
void cg__convs_free(cg__convs *c);
/* Drops the state of conversation id; 1 when there was some, else 0. */
int cg__convs_forget(cg__convs *c, const char *id);

/* The topic context markers (CG__CTX_TOPIC) of the last few messages of msg's conversation
 * before msg: a death threat two messages after "FC Online, ván 10" is still game talk. 0 for
 * a new conversation. Changes nothing. */
unsigned cg__convs_context(const cg__convs *c, const cg_text_message *msg);

/* The evidence of harm h that msg's sender has built up in msg's conversation before msg (the
 * rules' and the learned layer's, as of the sender's last message; 0 for a new sender or
 * conversation). Changes nothing. */
float cg__convs_sender_evidence(const cg__convs *c, const cg_text_message *msg, cg_harm h);
/* The same, the rules' evidence alone (no learned guess): what a countdown needs before it
 * counts (text_engine.c). */
float cg__convs_sender_rules(const cg__convs *c, const cg_text_message *msg, cg_harm h);

/* Where msg's sender stands with asking for images: CG__ASK_MINE_REFUSED when they were the
 * last to ask in msg's conversation and another party has refused since (asking again is
 * pressure), CG__ASK_OTHER when another party was the last to ask (so msg may be a refusal),
 * else 0. Changes nothing. */
#define CG__ASK_OTHER 1
#define CG__ASK_MINE_REFUSED 2
int cg__convs_ask_state(const cg__convs *c, const cg_text_message *msg);

/* The parts of a demand msg's sender left pending in the last few messages of msg's
 * conversation (CG__DEM_*; 0 none): "send 500k" waiting for its account or its deadline.
 * Changes nothing. */
unsigned cg__convs_pending_demand(const cg__convs *c, const cg_text_message *msg);

/* Applies the message's findings to its conversation and fills res (risks, stage, alert,
 * ages, evidence). Nothing changes in the state when it fails (CG_E_NOMEM). */
cg_status cg__convs_update(cg__convs *c, const cg_text_message *msg, const cg__finding *f,
                           size_t n, const cg__age_facts *age, cg_text_result *res,
                           cg_error *err);

#endif
