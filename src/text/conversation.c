/* Conversation state and scoring (conversation.h).
 *
 * Evidence is a per-party number per facet and per harm: each finding adds its weight, and the
 * total halves every half-life of its harm (grooming is slow: 14 days; sextortion is a burst: 2
 * days). Risks are closed-form functions of those numbers, documented in docs/text.md:
 * - grooming: noisy-OR over the six stages, each stage's evidence (capped at 1) times a stage
 *   weight that grows along O'Connell's order; a conversation that has moved through three or
 *   more stages is a trajectory, and the score is raised with their count; a recipient who has
 *   said they are a child, or a sender who asked the other's age, raises it again;
 * - sextortion: the co-occurrence of threat, image and demand within 72 hours (all three: at
 *   least 0.95; two: at least 0.6);
 * - other harms: 1 - exp(-k * evidence).
 * The alert is the highest level any harm reaches. */
#include "text/conversation.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define EVIDENCE_RING 16
#define MAX_PARTIES 8
#define CAP_EVIDENCE 3.0f
#define DAY_MS (24.0 * 3600.0 * 1000.0)
#define SEXTORTION_WINDOW_MS (72LL * 3600 * 1000)

static const double half_life_days[CG_HARM_COUNT] = {14.0, 7.0, 2.0, 3.0, 1.0, 1.0};

typedef struct party {
    char *name;
    float facet_e[CG_FACET_COUNT];
    float harm_e[CG_HARM_COUNT];
    int64_t facet_ts[CG_FACET_COUNT]; /* last time each facet was seen */
    int age_min, age_max;
    int asked_age;
} party;

typedef struct conv {
    char *id;
    struct conv *next;             /* hash chain */
    int64_t last_ts;
    uint64_t n_messages;
    party parties[MAX_PARTIES];
    size_t n_parties;
    cg_text_evidence ring[EVIDENCE_RING];
    size_t ring_n, ring_head;
} conv;

struct cg__convs {
    conv **buckets;
    size_t n_buckets, n;
};

const char *cg_alert_name(cg_alert a)
{
    static const char *const names[] = {"none", "watch", "alert", "urgent"};
    return (unsigned)a < 4 ? names[a] : NULL;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

cg_status cg__convs_new(cg__convs **out, cg_error *err)
{
    cg__convs *c = cg__calloc(1, sizeof(*c));

    *out = NULL;
    if (c != NULL) {
        c->n_buckets = 1024;
        c->buckets = cg__calloc(c->n_buckets, sizeof(*c->buckets));
    }
    if (c == NULL || c->buckets == NULL) {
        cg__free(c);
        return cg__fail(err, CG_E_NOMEM, "out of memory for conversation state");
    }
    *out = c;
    return CG_OK;
}

static void conv_free(conv *v)
{
    for (size_t i = 0; i < v->n_parties; i++)
        cg__free(v->parties[i].name);
    cg__free(v->id);
    cg__free(v);
}

void cg__convs_free(cg__convs *c)
{
    if (c == NULL)
        return;
    for (size_t b = 0; b < c->n_buckets; b++)
        for (conv *v = c->buckets[b], *next; v != NULL; v = next) {
            next = v->next;
            conv_free(v);
        }
    cg__free(c->buckets);
    cg__free(c);
}

int cg__convs_forget(cg__convs *c, const char *id)
{
    size_t k;

    if (c == NULL || id == NULL)
        return 0;
    k = hash_str(id) & (c->n_buckets - 1);
    for (conv **pv = &c->buckets[k]; *pv != NULL; pv = &(*pv)->next)
        if (strcmp((*pv)->id, id) == 0) {
            conv *v = *pv;
            *pv = v->next;
            conv_free(v);
            c->n--;
            return 1;
        }
    return 0;
}

/* Doubles the table when it is full on average (chains stay short). */
static void grow(cg__convs *c)
{
    size_t nb = c->n_buckets * 2;
    conv **b = cg__calloc(nb, sizeof(*b));
    if (b == NULL)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < c->n_buckets; i++)
        for (conv *v = c->buckets[i], *next; v != NULL; v = next) {
            next = v->next;
            size_t k = hash_str(v->id) & (nb - 1);
            v->next = b[k];
            b[k] = v;
        }
    cg__free(c->buckets);
    c->buckets = b;
    c->n_buckets = nb;
}

static conv *find_conv(cg__convs *c, const char *id, int create)
{
    size_t k = hash_str(id) & (c->n_buckets - 1);
    for (conv *v = c->buckets[k]; v != NULL; v = v->next)
        if (strcmp(v->id, id) == 0)
            return v;
    if (!create)
        return NULL;
    conv *v = cg__calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    v->id = cg__strdup(id);
    if (v->id == NULL) {
        cg__free(v);
        return NULL;
    }
    v->next = c->buckets[k];
    c->buckets[k] = v;
    if (++c->n > c->n_buckets)
        grow(c);
    return v;
}

/* The party named name (created if there is room; the last slot is shared beyond that). */
static party *find_party(conv *v, const char *name, int *nomem)
{
    for (size_t i = 0; i < v->n_parties; i++)
        if (strcmp(v->parties[i].name, name) == 0)
            return &v->parties[i];
    if (v->n_parties == MAX_PARTIES)
        return &v->parties[MAX_PARTIES - 1];
    party *p = &v->parties[v->n_parties];
    p->name = cg__strdup(name);
    if (p->name == NULL) {
        *nomem = 1;
        return NULL;
    }
    v->n_parties++;
    return p;
}

/* Decay factors of every harm for a time step (computed once per message, not per party). */
static void decay_factors(double dt_ms, float k[CG_HARM_COUNT])
{
    for (int h = 0; h < CG_HARM_COUNT; h++)
        k[h] = dt_ms > 0 ? (float)exp2(-dt_ms / (half_life_days[h] * DAY_MS)) : 1.0f;
}

static void decay_party(party *p, const float k[CG_HARM_COUNT])
{
    for (int f = 1; f < CG_FACET_COUNT; f++)
        if (p->facet_e[f] > 0)
            p->facet_e[f] *= k[cg_facet_harm((cg_facet)f)];
    for (int h = 0; h < CG_HARM_COUNT; h++)
        p->harm_e[h] *= k[h];
}

/* Copies a NUL-terminated string into a fixed field, cut to fit. */
static void set_field(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static float clamp1(float x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* Grooming stages in O'Connell's order and the weight of each. */
static const cg_facet stages[] = {CG_FACET_FRIENDSHIP, CG_FACET_RELATIONSHIP,
                                  CG_FACET_RISK_ASSESSMENT, CG_FACET_EXCLUSIVITY,
                                  CG_FACET_SEXUAL, CG_FACET_MEETING};
static const float stage_weight[] = {0.2f, 0.3f, 0.55f, 0.65f, 0.75f, 0.65f};
#define N_STAGES (sizeof(stages) / sizeof(stages[0]))
#define STAGE_PRESENT 0.3f

/* What one finding alone says about its harm in this message: a grooming cue counts with its
 * stage's weight (a compliment alone is not grooming), one sextortion facet with 0.4 (a threat
 * without images and a demand is not sextortion yet); the conversation scores the combination. */
static float message_weight(const cg__finding *f)
{
    if (f->harm == CG_HARM_SEXTORTION)
        return 0.4f * f->weight;
    if (f->harm == CG_HARM_GROOMING)
        for (size_t i = 0; i < N_STAGES; i++)
            if (stages[i] == f->facet)
                return stage_weight[i] * f->weight;
    return f->weight;
}

/* The risks of one sending party, given what the other parties said about their age. */
static void party_risks(const party *p, int other_is_minor, int64_t now, float risk[CG_HARM_COUNT],
                        cg_facet *stage)
{
    double keep = 1.0;
    int distinct = 0;

    *stage = CG_FACET_NONE;
    for (size_t i = 0; i < N_STAGES; i++) {
        float c = clamp1(p->facet_e[stages[i]]);
        keep *= 1.0 - stage_weight[i] * c;
        if (c >= STAGE_PRESENT) {
            distinct++;
            *stage = stages[i];
        }
    }
    double g = 1.0 - keep;
    if (distinct >= 3)
        g = 1.0 - pow(1.0 - g, 1.0 + 0.5 * (distinct - 2));
    if (g > 0 && (other_is_minor || p->asked_age))
        g = 1.0 - pow(1.0 - g, other_is_minor && p->asked_age ? 2.0 : 1.5);
    risk[CG_HARM_GROOMING] = (float)g;

    int facets = 0;
    const cg_facet sx[] = {CG_FACET_THREAT, CG_FACET_IMAGE, CG_FACET_DEMAND};
    for (int i = 0; i < 3; i++)
        facets += p->facet_e[sx[i]] >= STAGE_PRESENT && now - p->facet_ts[sx[i]] <= SEXTORTION_WINDOW_MS;
    float s = clamp1(0.3f * p->harm_e[CG_HARM_SEXTORTION]);
    if (facets == 3)
        s = s > 0.95f ? s : 0.95f + 0.04f * clamp1(p->harm_e[CG_HARM_SEXTORTION] - 3.0f);
    else if (facets == 2)
        s = s > 0.6f ? s : 0.6f;
    risk[CG_HARM_SEXTORTION] = s;

    float sol = 1.0f - (float)exp(-1.2 * p->harm_e[CG_HARM_SEXUAL_SOLICITATION]);
    if (other_is_minor)
        sol = 1.0f - (1.0f - sol) * (1.0f - sol);
    risk[CG_HARM_SEXUAL_SOLICITATION] = sol;
    risk[CG_HARM_BULLYING] = 1.0f - (float)exp(-0.9 * p->harm_e[CG_HARM_BULLYING]);
    risk[CG_HARM_SELF_HARM_RISK] = 1.0f - (float)exp(-1.5 * p->harm_e[CG_HARM_SELF_HARM_RISK]);
    risk[CG_HARM_PERSONAL_DATA] = 1.0f - (float)exp(-1.0 * p->harm_e[CG_HARM_PERSONAL_DATA]);
}

static cg_alert alert_of(const float risk[CG_HARM_COUNT], int minor_involved)
{
    if (risk[CG_HARM_SEXTORTION] >= 0.85f || risk[CG_HARM_SELF_HARM_RISK] >= 0.75f ||
        risk[CG_HARM_GROOMING] >= 0.85f ||
        (risk[CG_HARM_SEXUAL_SOLICITATION] >= 0.6f && minor_involved))
        return CG_ALERT_URGENT;
    float top = 0;
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        float r = risk[h];
        if (h == CG_HARM_PERSONAL_DATA && r > 0.59f)
            r = 0.59f; /* sharing a phone number alone is worth watching, not an alert */
        top = r > top ? r : top;
    }
    return top >= 0.6f ? CG_ALERT_ALERT : top >= 0.3f ? CG_ALERT_WATCH : CG_ALERT_NONE;
}

/* Makes room for want evidence items, before any state changes. */
static int reserve_evidence(cg_text_result *res, size_t want)
{
    if (want <= res->cap_evidence)
        return 0;
    cg_text_evidence *v = cg__realloc(res->evidence, want * sizeof(*v));
    if (v == NULL)
        return -1;
    res->evidence = v;
    res->cap_evidence = want;
    return 0;
}

cg_status cg__convs_update(cg__convs *c, const cg_text_message *msg, const cg__finding *f,
                           size_t n, const cg__age_facts *age, cg_text_result *res,
                           cg_error *err)
{
    const char *cid = msg->conversation && *msg->conversation ? msg->conversation : "default";
    const char *sender = msg->sender && *msg->sender ? msg->sender : "unknown";
    const char *recipient = msg->recipient && *msg->recipient ? msg->recipient : NULL;
    int nomem = 0;
    conv *v = find_conv(c, cid, 1);
    char idbuf[64];

    if (v == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory for conversation '%s'", cid);
    party *p = find_party(v, sender, &nomem);
    party *r = recipient ? find_party(v, recipient, &nomem) : NULL;
    if (nomem || p == NULL || reserve_evidence(res, n + EVIDENCE_RING) != 0)
        return cg__fail(err, CG_E_NOMEM, "out of memory for conversation '%s'", cid);
    /* Nothing below fails: the state changes all or not at all. */

    /* Time: unknown or out of order messages take the conversation's latest time. */
    int64_t now = msg->ts_ms > v->last_ts ? msg->ts_ms : v->last_ts;
    double dt = (double)(now - v->last_ts);
    if (v->n_messages > 0 && dt > 0) {
        float k[CG_HARM_COUNT];
        decay_factors(dt, k);
        for (size_t i = 0; i < v->n_parties; i++)
            decay_party(&v->parties[i], k);
    }
    v->last_ts = now;
    v->n_messages++;
    if (msg->id != NULL && *msg->id != '\0')
        set_field(idbuf, sizeof(idbuf), msg->id);
    else
        snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)v->n_messages);

    /* Message-level risk: noisy-OR of the weights found, per harm. */
    double keep[CG_HARM_COUNT];
    for (int h = 0; h < CG_HARM_COUNT; h++)
        keep[h] = 1.0;
    res->n_evidence = 0;
    for (size_t i = 0; i < n; i++) {
        keep[f[i].harm] *= 1.0 - message_weight(&f[i]);
        p->harm_e[f[i].harm] += f[i].weight;
        if (p->harm_e[f[i].harm] > CAP_EVIDENCE)
            p->harm_e[f[i].harm] = CAP_EVIDENCE;
        if (f[i].facet != CG_FACET_NONE) {
            p->facet_e[f[i].facet] += f[i].weight;
            if (p->facet_e[f[i].facet] > CAP_EVIDENCE)
                p->facet_e[f[i].facet] = CAP_EVIDENCE;
            p->facet_ts[f[i].facet] = now;
        }
        cg_text_evidence e;
        set_field(e.message_id, sizeof(e.message_id), idbuf);
        e.harm = f[i].harm;
        e.facet = f[i].facet;
        set_field(e.cue, sizeof(e.cue), f[i].cue);
        e.start = f[i].start;
        e.end = f[i].end;
        e.weight = f[i].weight;
        e.in_this_message = 1;
        res->evidence[res->n_evidence++] = e;
        v->ring[(v->ring_head + v->ring_n) % EVIDENCE_RING] = e;
        v->ring[(v->ring_head + v->ring_n) % EVIDENCE_RING].in_this_message = 0;
        if (v->ring_n < EVIDENCE_RING)
            v->ring_n++;
        else
            v->ring_head = (v->ring_head + 1) % EVIDENCE_RING;
    }
    for (int h = 0; h < CG_HARM_COUNT; h++)
        res->message_risk[h] = (float)(1.0 - keep[h]);

    if (age != NULL) {
        if (age->stated_min > 0) {
            p->age_min = age->stated_min;
            p->age_max = age->stated_max;
        }
        p->asked_age |= age->asked;
    }

    /* Conversation risk: the worst party's, never below this message's. */
    int minor_recipient = r != NULL && r->age_max > 0 && r->age_max <= 17;
    memset(res->risk, 0, sizeof(res->risk));
    res->stage = CG_FACET_NONE;
    int minor_involved = 0;
    for (size_t i = 0; i < v->n_parties; i++) {
        party *q = &v->parties[i];
        int other_minor = 0;
        for (size_t j = 0; j < v->n_parties; j++)
            if (j != i && v->parties[j].age_max > 0 && v->parties[j].age_max <= 17)
                other_minor = 1;
        float risk[CG_HARM_COUNT];
        cg_facet st;
        party_risks(q, other_minor, now, risk, &st);
        for (int h = 0; h < CG_HARM_COUNT; h++)
            res->risk[h] = risk[h] > res->risk[h] ? risk[h] : res->risk[h];
        if (st > res->stage)
            res->stage = st;
        minor_involved |= other_minor;
    }
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (res->message_risk[h] > res->risk[h])
            res->risk[h] = res->message_risk[h];
    res->alert = alert_of(res->risk, minor_involved || minor_recipient);
    res->sender_age_min = p->age_min;
    res->sender_age_max = p->age_max;
    res->recipient_age_min = r ? r->age_min : 0;
    res->recipient_age_max = r ? r->age_max : 0;
    res->age_asked = p->asked_age;

    /* The conversation's earlier evidence follows this message's. */
    for (size_t i = 0; i + n < v->ring_n; i++) {
        res->evidence[res->n_evidence++] = v->ring[(v->ring_head + i) % EVIDENCE_RING];
    }
    return CG_OK;
}
