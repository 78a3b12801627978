/* libFuzzer target for the policy loader (cg_policy_create) and, for every policy that
 * loads, its evaluation (cg_policy_decide) on a few fixed sets of facts. Traps unless a load
 * either succeeds or fails with CG_E_INVAL / CG_E_LIMIT and a message naming the input, and a
 * decision on a loaded policy succeeds with every action known and dispositions resolved (at
 * least one; allow only alone; block never with warn or blur). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decision(const cg_policy *p, const cg_policy_facts *f)
{
    cg_policy_decision d;
    cg_error err;
    int has[CG_ACTION_COUNT] = {0};

    memset(&d, 0, sizeof(d));
    if (cg_policy_decide(p, f, &d, &err) != CG_OK)
        __builtin_trap();
    for (size_t i = 0; i < d.n_actions; i++) {
        if (cg_policy_action_name(d.actions[i].action) == NULL)
            __builtin_trap();
        has[d.actions[i].action] = 1;
    }
    /* Dispositions resolved: one at least; allow alone; block beats warn and blur. */
    if (!has[CG_ACTION_ALLOW] && !has[CG_ACTION_WARN] && !has[CG_ACTION_BLUR] &&
        !has[CG_ACTION_BLOCK])
        __builtin_trap();
    if (has[CG_ACTION_ALLOW] && (has[CG_ACTION_WARN] || has[CG_ACTION_BLUR] || has[CG_ACTION_BLOCK]))
        __builtin_trap();
    if (has[CG_ACTION_BLOCK] && (has[CG_ACTION_WARN] || has[CG_ACTION_BLUR]))
        __builtin_trap();
    cg_policy_decision_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_policy *p = NULL;
    cg_error err;
    cg_status st = cg_policy_create("fuzz.json", (const char *)data, size, &p, &err);

    if (st != CG_OK) {
        if (p != NULL || (st != CG_E_INVAL && st != CG_E_LIMIT) ||
            strstr(err.message, "fuzz.json") == NULL)
            __builtin_trap();
        return 0;
    }
    cg_policy_match m[2] = {{"csam", CG_BANK_BLOCK, 3, 0}, {"ok", CG_BANK_ALLOW, 0, 0}};
    cg_policy_facts f;
    memset(&f, 0, sizeof(f));
    check_decision(p, &f);
    f.matches = m;
    f.n_matches = 2;
    f.context = CG_CONTEXT_CHILD_DEVICE;
    f.audience = CG_AUDIENCE_SENDER;
    f.sender_is_child = 1;
    f.repeat = 3;
    for (int h = 0; h < CG_HARM_COUNT; h++)
        f.risk[h] = 0.9f;
    f.alert = CG_ALERT_URGENT;
    check_decision(p, &f);
    f.context = CG_CONTEXT_UNKNOWN;
    f.sender_is_child = -1;
    check_decision(p, &f);
    cg_policy_destroy(p);
    return 0;
}
