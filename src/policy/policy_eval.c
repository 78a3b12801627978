/* Evaluating a policy against facts (policy.h): rules in order, all conditions of a rule must
 * hold, actions merged and resolved by precedence at the end. Also the one-line descriptions of
 * rules for `childguard policy check`. Pure: reads the policy, writes only the decision. */
#include "policy/policy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* Appends to a bounded line; "; " between parts. */
typedef struct line {
    char *buf;
    size_t size, used;
} line;

__attribute__((format(printf, 2, 3))) static void add(line *l, const char *fmt, ...)
{
    va_list ap;

    if (l == NULL || l->used + 1 >= l->size) /* NULL: only checking whether a rule holds */
        return;
    va_start(ap, fmt);
    int w = vsnprintf(l->buf + l->used, l->size - l->used, fmt, ap);
    va_end(ap);
    if (w > 0)
        l->used = l->used + (size_t)w < l->size ? l->used + (size_t)w : l->size - 1;
}

static void sep(line *l)
{
    if (l != NULL && l->used > 0)
        add(l, "; ");
}

static int has_match_condition(const cg__policy_rule *r)
{
    return r->n_labels > 0 || r->kind >= 0 || r->max_distance >= 0;
}

static int match_holds(const cg__policy_rule *r, const cg_policy_match *m)
{
    int label_ok = r->n_labels == 0;

    if (m->suppressed)
        return 0;
    for (int i = 0; !label_ok && i < r->n_labels; i++)
        label_ok = m->label != NULL && strcmp(m->label, r->labels[i]) == 0;
    return label_ok && (r->kind < 0 || (int)m->kind == r->kind) &&
           (r->max_distance < 0 || m->distance <= r->max_distance);
}

/* Whether every condition of r holds for f; why (NULL: just check) gets the conditions that held,
 * with values. */
static int rule_holds(const cg__policy_rule *r, const cg_policy_facts *f, line *why)
{
    if (has_match_condition(r)) {
        const cg_policy_match *hit = NULL;
        for (size_t i = 0; i < f->n_matches && hit == NULL; i++)
            if (match_holds(r, &f->matches[i]))
                hit = &f->matches[i];
        if (hit == NULL)
            return 0;
        sep(why);
        add(why, "match in %s bank labelled \"%s\" at distance %d",
            hit->kind == CG_BANK_ALLOW ? "an allow" : "a block", hit->label ? hit->label : "",
            hit->distance);
    }
    if (r->harms != 0 || r->min_risk >= 0) {
        double min = r->min_risk >= 0 ? r->min_risk : CG__POLICY_DEFAULT_MIN_RISK;
        int best = -1;
        for (int h = 0; h < CG_HARM_COUNT; h++)
            if ((r->harms == 0 || (r->harms & (1u << h))) && f->risk[h] >= min &&
                (best < 0 || f->risk[h] > f->risk[best]))
                best = h;
        if (best < 0)
            return 0;
        sep(why);
        if (why != NULL) { /* two decimals without printf's floating-point path */
            int v = (int)((double)f->risk[best] * 100.0 + 0.5), m = (int)(min * 100.0 + 0.5);
            add(why, "%s risk %d.%02d >= %d.%02d", cg_text_harm_name((cg_harm)best), v / 100, v % 100,
                m / 100, m % 100);
        }
    }
    if (r->min_nudity >= 0) {
        if (!((double)f->nudity >= r->min_nudity))
            return 0;
        sep(why);
        if (why != NULL) {
            int v = (int)((double)f->nudity * 100.0 + 0.5), m = (int)(r->min_nudity * 100.0 + 0.5);
            add(why, "nudity %d.%02d >= %d.%02d", v / 100, v % 100, m / 100, m % 100);
        }
    }
    if (r->min_alert >= 0) {
        if ((int)f->alert < r->min_alert)
            return 0;
        sep(why);
        add(why, "alert %s >= %s", cg_text_alert_name(f->alert), cg_text_alert_name((cg_alert)r->min_alert));
    }
    if (r->contexts != 0) {
        if ((unsigned)f->context >= CG_CONTEXT_COUNT || !(r->contexts & (1u << f->context)))
            return 0;
        sep(why);
        add(why, "context %s", cg_policy_context_name(f->context));
    }
    if (r->audiences != 0) {
        if ((unsigned)f->audience >= CG__N_AUDIENCE || !(r->audiences & (1u << f->audience)))
            return 0;
        sep(why);
        add(why, "audience %s", cg_policy_audience_name(f->audience));
    }
    if (r->sender_is_child >= 0) {
        if (f->sender_is_child != r->sender_is_child)
            return 0;
        sep(why);
        add(why, "sender is %s", r->sender_is_child ? "a child" : "not a child");
    }
    if (r->repeat_at_least > 0) {
        if (f->repeat < r->repeat_at_least)
            return 0;
        sep(why);
        add(why, "repeat %d >= %d", f->repeat, r->repeat_at_least);
    }
    if (why != NULL && why->used == 0)
        add(why, "no conditions (always)");
    return 1;
}

void cg_policy_decision_free(cg_policy_decision *d)
{
    if (d == NULL)
        return;
    cg__free(d->actions);
    cg__free(d->guidance);
    cg__free(d->fired);
    memset(d, 0, sizeof(*d));
}

int cg_policy_decision_has(const cg_policy_decision *d, cg_policy_action a)
{
    for (size_t i = 0; d != NULL && i < d->n_actions; i++)
        if (d->actions[i].action == a)
            return 1;
    return 0;
}

cg_status cg_policy_decide(const cg_policy *p, const cg_policy_facts *f, cg_policy_decision *out,
                           cg_error *err)
{
    size_t max_acts = 1, max_guid = 1;
    size_t *fired_rules;
    int have[CG_ACTION_COUNT] = {0};

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_policy_decide: NULL decision");
    cg_policy_decision_free(out);
    if (p == NULL || f == NULL || (f->n_matches > 0 && f->matches == NULL))
        return cg__fail(err, CG_E_INVAL, "cg_policy_decide: NULL policy or facts");
    for (size_t i = 0; i < p->n_rules; i++) {
        max_acts += (size_t)p->rules[i].n_acts;
        max_guid += (size_t)p->rules[i].n_guid;
    }
    out->actions = cg__malloc_array(max_acts, sizeof(*out->actions));
    out->guidance = cg__malloc_array(max_guid, sizeof(*out->guidance));
    out->fired = cg__malloc_array(p->n_rules + 1, sizeof(*out->fired));
    fired_rules = cg__malloc_array(p->n_rules + 1, sizeof(*fired_rules));
    if (out->actions == NULL || out->guidance == NULL || out->fired == NULL ||
        fired_rules == NULL) {
        cg__free(fired_rules);
        cg_policy_decision_free(out);
        return cg__fail(err, CG_E_NOMEM, "out of memory deciding a policy");
    }

    for (size_t i = 0; i < p->n_rules; i++) {
        const cg__policy_rule *r = &p->rules[i];
        cg_policy_fired *fi = &out->fired[out->n_fired];
        line why = {fi->why, sizeof(fi->why), 0};
        if (!rule_holds(r, f, NULL)) /* check first; explain only the rules that fire */
            continue;
        fi->why[0] = '\0';
        rule_holds(r, f, &why);
        memcpy(fi->id, r->id, sizeof(fi->id));
        fired_rules[out->n_fired++] = i;
        for (int a = 0; a < r->n_acts; a++)
            have[r->acts[a].action] = 1;
        for (int g = 0; g < r->n_guid; g++) {
            size_t k = 0;
            while (k < out->n_guidance &&
                   (strcmp(out->guidance[k].topic, r->guid[g].topic) != 0 ||
                    out->guidance[k].audience != r->guid[g].audience))
                k++;
            if (k == out->n_guidance)
                out->guidance[out->n_guidance++] = r->guid[g];
        }
        if (r->stop) {
            out->stopped = 1;
            break;
        }
    }

    /* Precedence of the dispositions: block > blur, warn > allow (blur and warn may go
     * together: a blurred image behind a warning). Nothing chosen: allow. */
    if (have[CG_ACTION_BLOCK])
        have[CG_ACTION_BLUR] = have[CG_ACTION_WARN] = 0;
    if (have[CG_ACTION_BLOCK] || have[CG_ACTION_BLUR] || have[CG_ACTION_WARN])
        have[CG_ACTION_ALLOW] = 0;
    else
        have[CG_ACTION_ALLOW] = 1;
    for (int a = 0; a < CG_ACTION_NOTIFY; a++)
        if (have[a]) {
            memset(&out->actions[out->n_actions], 0, sizeof(out->actions[0]));
            out->actions[out->n_actions++].action = (cg_policy_action)a;
        }
    for (size_t k = 0; k < out->n_fired; k++) {
        const cg__policy_rule *r = &p->rules[fired_rules[k]];
        for (int a = 0; a < r->n_acts; a++) {
            if (r->acts[a].action != CG_ACTION_NOTIFY)
                continue;
            size_t j = 0;
            while (j < out->n_actions && (out->actions[j].action != CG_ACTION_NOTIFY ||
                                          strcmp(out->actions[j].target, r->acts[a].target)))
                j++;
            if (j == out->n_actions)
                out->actions[out->n_actions++] = r->acts[a];
        }
    }
    cg__free(fired_rules);
    return CG_OK;
}

/* ---- listing ------------------------------------------------------------------------------ */

size_t cg_policy_rule_count(const cg_policy *p)
{
    return p ? p->n_rules : 0;
}

const char *cg_policy_rule_id(const cg_policy *p, size_t i)
{
    return p && i < p->n_rules ? p->rules[i].id : NULL;
}

static void add_bits(line *l, const char *what, unsigned bits, int count,
                     const char *(*name)(int))
{
    int first = 1;

    add(l, "%s ", what);
    for (int i = 0; i < count; i++)
        if (bits & (1u << i)) {
            add(l, "%s%s", first ? "" : "|", name(i));
            first = 0;
        }
}

static const char *harm_n(int i)
{
    return cg_text_harm_name((cg_harm)i);
}

static const char *context_n(int i)
{
    return cg_policy_context_name((cg_policy_context)i);
}

static const char *audience_n(int i)
{
    return cg_policy_audience_name((cg_audience)i);
}

void cg_policy_rule_describe(const cg_policy *p, size_t i, char *buf, size_t size)
{
    line l = {buf, size, 0};

    if (buf == NULL || size == 0)
        return;
    buf[0] = '\0';
    if (p == NULL || i >= p->n_rules)
        return;
    const cg__policy_rule *r = &p->rules[i];
    add(&l, "when ");
    size_t start = l.used;
    if (r->n_labels > 0) {
        add(&l, "bank label ");
        for (int k = 0; k < r->n_labels; k++)
            add(&l, "%s%s", k ? "|" : "", r->labels[k]);
    }
    if (r->kind >= 0) {
        if (l.used > start)
            add(&l, "; ");
        add(&l, "%s bank", r->kind == CG_BANK_ALLOW ? "allow" : "block");
    }
    if (r->max_distance >= 0) {
        if (l.used > start)
            add(&l, "; ");
        add(&l, "distance <= %d", r->max_distance);
    }
    if (r->harms != 0 || r->min_risk >= 0) {
        if (l.used > start)
            add(&l, "; ");
        if (r->harms != 0) {
            add_bits(&l, "harm", r->harms, CG_HARM_COUNT, harm_n);
        } else {
            add(&l, "any harm");
        }
        add(&l, " risk >= %.2f", r->min_risk >= 0 ? r->min_risk : CG__POLICY_DEFAULT_MIN_RISK);
    }
    if (r->min_nudity >= 0) {
        if (l.used > start)
            add(&l, "; ");
        add(&l, "nudity >= %.2f", r->min_nudity);
    }
    if (r->min_alert >= 0) {
        if (l.used > start)
            add(&l, "; ");
        add(&l, "alert >= %s", cg_text_alert_name((cg_alert)r->min_alert));
    }
    if (r->contexts != 0) {
        if (l.used > start)
            add(&l, "; ");
        add_bits(&l, "context", r->contexts, CG_CONTEXT_COUNT, context_n);
    }
    if (r->audiences != 0) {
        if (l.used > start)
            add(&l, "; ");
        add_bits(&l, "audience", r->audiences, CG__N_AUDIENCE, audience_n);
    }
    if (r->sender_is_child >= 0) {
        if (l.used > start)
            add(&l, "; ");
        add(&l, "sender %s", r->sender_is_child ? "is a child" : "is not a child");
    }
    if (r->repeat_at_least > 0) {
        if (l.used > start)
            add(&l, "; ");
        add(&l, "repeat >= %d", r->repeat_at_least);
    }
    if (l.used == start)
        add(&l, "always");
    add(&l, " -> ");
    for (int k = 0; k < r->n_acts; k++) {
        if (r->acts[k].action == CG_ACTION_NOTIFY)
            add(&l, "%snotify:%s", k ? ", " : "", r->acts[k].target);
        else
            add(&l, "%s%s", k ? ", " : "", cg_policy_action_name(r->acts[k].action));
    }
    for (int k = 0; k < r->n_guid; k++)
        add(&l, "%sguidance %s/%s", k || r->n_acts ? ", " : "", r->guid[k].topic,
            cg_policy_audience_name(r->guid[k].audience));
    if (r->stop)
        add(&l, "; stop");
}
