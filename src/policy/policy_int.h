/* Internal: the loaded form of a policy, shared by the loader (policy.c) and the evaluator
 * (policy_eval.c). Every list is inline with a fixed cap, so a rule is one flat struct and a
 * policy is two allocations. */
#ifndef CG_POLICY_INT_H
#define CG_POLICY_INT_H

#include "childguard/policy.h"

#define CG__POLICY_MAX_RULES 1024
#define CG__POLICY_MAX_LABELS 16
#define CG__POLICY_MAX_ACTIONS 16
#define CG__POLICY_MAX_GUIDANCE 8
#define CG__POLICY_MAX_DISTANCE 256

typedef struct cg__policy_rule {
    char id[CG_POLICY_ID_MAX + 1];
    /* Conditions; "any" is n_labels 0, kind -1, max_distance -1, harms 0, min_risk < 0,
     * min_alert -1, contexts 0, audiences 0, sender_is_child -1, repeat_at_least 0,
     * min_nudity -1. */
    char labels[CG__POLICY_MAX_LABELS][CG_BANK_LABEL_MAX + 1];
    int n_labels;
    int kind;
    int max_distance;
    unsigned harms;             /* bit per cg_harm */
    double min_risk;
    int min_alert;
    unsigned contexts;          /* bit per cg_policy_context */
    unsigned audiences;         /* bit per cg_audience */
    int sender_is_child;
    int repeat_at_least;
    double min_nudity;          /* the nudity model's explicit score, (0, 1]; < 0: any */
    cg_policy_action_item acts[CG__POLICY_MAX_ACTIONS];
    int n_acts;
    cg_policy_guidance_request guid[CG__POLICY_MAX_GUIDANCE];
    int n_guid;
    int stop;
} cg__policy_rule;

struct cg_policy {
    cg__policy_rule *rules;
    size_t n_rules;
    cg_policy_text_quarantine text_quarantine; /* "quarantine.text"; off unless given */
};

/* Risk at or above which a "harm" condition holds when the rule gives no min_risk. */
#define CG__POLICY_DEFAULT_MIN_RISK 0.5

#define CG__N_AUDIENCE 4

#endif
