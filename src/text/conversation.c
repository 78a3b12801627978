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
#include "text/conversation_int.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "text/detect.h"

#define CAP_EVIDENCE 3.0f
#define DAY_MS (24.0 * 3600.0 * 1000.0)
#define SEXTORTION_WINDOW_MS (72LL * 3600 * 1000)
#define URGENT_HOLD_MS (72LL * 3600 * 1000)
/* Reciprocity: a party who gets back as much bullying as they give counts at this much less. */
#define RECIPROCITY 0.5f
/* The most a learned guess makes of a harm without the rules' evidence of it or a run of three
 * messages (two for grooming), below the alert level (0.6); and what one learned finding says
 * about its message alone (so that a single guess never alerts). Chosen by cross-validation on
 * the train split. */
#define LEARNED_ALONE_CAP 0.55f
#define LEARNED_MESSAGE 0.55f

static const double half_life_days[CG_HARM_COUNT] = {14.0, 7.0, 2.0, 3.0, 1.0, 1.0};

_Static_assert(CG_FACET_COUNT <= 32, "party.facet_live has a bit per facet");


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
            if (c->last == v)
                c->last = NULL;
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
    /* The engine asks for one conversation several times a message: the last one found is
     * compared first, without hashing its id. */
    if (c->last != NULL && strcmp(c->last->id, id) == 0)
        return c->last;
    size_t k = hash_str(id) & (c->n_buckets - 1);
    for (conv *v = c->buckets[k]; v != NULL; v = v->next)
        if (strcmp(v->id, id) == 0) {
            c->last = v;
            return v;
        }
    if (!create)
        return NULL;
    /* Only the fields before parties are zeroed (conversation_int.h): a party is zeroed when
     * it joins, and the evidence ring is written before it is read. */
    conv *v = cg__malloc(sizeof(*v));
    if (v == NULL)
        return NULL;
    memset(v, 0, offsetof(conv, parties));
    v->id = cg__strdup(id);
    if (v->id == NULL) {
        cg__free(v);
        return NULL;
    }
    v->last_sender = -1;
    v->probe_from = -1;
    v->ask_from = -1;
    v->dem_from = -1;
    v->next = c->buckets[k];
    c->buckets[k] = v;
    c->last = v;
    if (++c->n > c->n_buckets)
        grow(c);
    return v;
}

conv *cg__convs_find(cg__convs *c, const char *id, int create)
{
    return find_conv(c, id, create);
}

unsigned cg__convs_context(const cg__convs *c, const cg_text_message *msg)
{
    const char *cid = msg->conversation && *msg->conversation ? msg->conversation : "default";
    const conv *v = find_conv((cg__convs *)c, cid, 0);
    unsigned m = 0;

    if (v == NULL)
        return 0;
    for (unsigned b = 0; b < CONTEXT_BITS; b++)
        if (v->ctx_at[b] != 0 && v->ctx_at[b] + CONTEXT_CARRY > v->n_messages)
            m |= 1u << b;
    return m;
}

/* msg's sender in msg's conversation, or NULL (a new sender or conversation). */
static const party *sender_of(const cg__convs *c, const cg_text_message *msg)
{
    const char *cid = msg->conversation && *msg->conversation ? msg->conversation : "default";
    const char *sender = msg->sender && *msg->sender ? msg->sender : "unknown";
    const conv *v = find_conv((cg__convs *)c, cid, 0);

    for (size_t i = 0; v != NULL && i < v->n_parties; i++)
        if (strcmp(v->parties[i].name, sender) == 0)
            return &v->parties[i];
    return NULL;
}

float cg__convs_sender_evidence(const cg__convs *c, const cg_text_message *msg, cg_harm h)
{
    const party *p = sender_of(c, msg);

    return p != NULL ? p->harm_e[h] + p->learn_e[h] : 0.0f;
}

float cg__convs_sender_rules(const cg__convs *c, const cg_text_message *msg, cg_harm h)
{
    const party *p = sender_of(c, msg);

    return p != NULL ? p->harm_e[h] : 0.0f;
}

/* n in decimal into buf (at least 21 bytes), NUL-terminated: what snprintf("%llu") writes, at a
 * tenth of its cost (it ran for every message without an id). */
static void u64_decimal(char *buf, uint64_t n)
{
    char tmp[20];
    size_t k = 0;

    do {
        tmp[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    for (size_t i = 0; i < k; i++)
        buf[i] = tmp[k - 1 - i];
    buf[k] = '\0';
}

int cg__convs_ask_state(const cg__convs *c, const cg_text_message *msg)
{
    const char *cid = msg->conversation && *msg->conversation ? msg->conversation : "default";
    const char *sender = msg->sender && *msg->sender ? msg->sender : "unknown";
    const conv *v = find_conv((cg__convs *)c, cid, 0);

    if (v == NULL || v->ask_from < 0)
        return 0;
    if (strcmp(v->parties[v->ask_from].name, sender) != 0)
        return CG__ASK_OTHER;
    return v->ask_refused ? CG__ASK_MINE_REFUSED : 0;
}

unsigned cg__convs_pending_demand(const cg__convs *c, const cg_text_message *msg)
{
    const char *cid = msg->conversation && *msg->conversation ? msg->conversation : "default";
    const char *sender = msg->sender && *msg->sender ? msg->sender : "unknown";
    const conv *v = find_conv((cg__convs *)c, cid, 0);

    if (v == NULL || v->dem_from < 0 || v->n_messages + 1 > v->dem_at + DEMAND_CARRY ||
        strcmp(v->parties[v->dem_from].name, sender) != 0)
        return 0;
    return v->dem_parts;
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
    memset(p, 0, sizeof(*p));
    p->name = cg__strdup(name);
    if (p->name == NULL) {
        *nomem = 1;
        return NULL;
    }
    for (int h = 0; h < CG_HARM_COUNT; h++)
        p->expo_from[h] = -1;
    p->bully_at = -1;
    v->n_parties++;
    return p;
}

/* Decay factors of every harm for a time step (computed once per message, not per party):
 * k for evidence of several messages, k1 for evidence of one message alone. */
static void decay_factors(double dt_ms, float k[CG_HARM_COUNT], float k1[CG_HARM_COUNT])
{
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        /* Harms of the same half-life as the one before share its factor (the same exp2). */
        if (h > 0 && half_life_days[h] == half_life_days[h - 1])
            k[h] = k[h - 1];
        else
            k[h] = dt_ms > 0 ? (float)exp2(-dt_ms / (half_life_days[h] * DAY_MS)) : 1.0f;
        k1[h] = k[h] * k[h] * k[h] * k[h]; /* SINGLE_DECAY_POWER */
    }
}

/* Evidence from one message alone fades four times as fast as a harm's half-life says: a
 * single weak cue is soon forgotten, a trajectory of several messages is kept. */
#define SINGLE_DECAY_POWER 4 /* decay_factors raises k to it */
#define FADED 0.05f

static void decay_party(party *p, const float k[CG_HARM_COUNT], const float k1[CG_HARM_COUNT])
{
    float kk[CG_HARM_COUNT];

    for (int h = 0; h < CG_HARM_COUNT; h++)
        kk[h] = p->msgs[h] <= 1 ? k1[h] : k[h];
    /* Only the facets that were ever added to (facet_live): every other one is 0, which the
     * test below would pass over. Facet 0 (none) is never decayed. */
    for (uint32_t live = p->facet_live & ~1u; live != 0; live &= live - 1) {
        const int f = __builtin_ctz(live);
        if (p->facet_e[f] > 0)
            p->facet_e[f] *= kk[cg_facet_harm((cg_facet)f)];
    }
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        p->harm_e[h] *= kk[h];
        p->learn_e[h] *= kk[h];
        p->expo_e[h] *= k[h];
        p->expo_l[h] *= k[h];
        if (h == CG_HARM_PERSONAL_DATA) {
            p->pdx_e *= kk[h];
            p->pdx_l *= kk[h];
            p->rev_e *= k[h];
        }
        if (p->expo_e[h] + p->expo_l[h] < FADED)
            p->expo_msgs[h] = 0;
        if (p->harm_e[h] + p->learn_e[h] < FADED)
            p->msgs[h] = 0;
    }
}

/* Copies a NUL-terminated string into a fixed field, cut to fit. A byte loop: the fields are
 * mostly names and message ids of a few bytes, for which strnlen + memcpy cost more. */
static inline void set_field(char *dst, size_t cap, const char *src)
{
    size_t n = 0;

    while (n + 1 < cap && src[n] != '\0') {
        dst[n] = src[n];
        n++;
    }
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
    if (f->learned)
        return LEARNED_MESSAGE * f->weight;
    if (f->harm == CG_HARM_SEXTORTION)
        return 0.4f * f->weight;
    if (f->harm == CG_HARM_GROOMING)
        for (size_t i = 0; i < N_STAGES; i++)
            if (stages[i] == f->facet)
                return stage_weight[i] * f->weight;
    return f->weight;
}


/* A parent's photo request or "I'll pick you up" is family talk: a party another has called
 * mom or dad counts their solicitation cues and their friendship, relationship and meeting
 * grooming cues at this much (rules and learned layer alike). */
#define PARENT_FACTOR 0.4f

static float parent_factor(const party *p, const party *r, const cg__finding *f)
{
    /* Told to someone the writer calls mom or dad: a child telling family what happened (a
     * friend's photo threatened, a stranger's requests, what the class says) reports the harm,
     * it does not do it. */
    if (r != NULL && r != p && r->parent &&
        (f->harm == CG_HARM_SEXUAL_SOLICITATION || f->harm == CG_HARM_SEXTORTION ||
         f->harm == CG_HARM_GROOMING || f->harm == CG_HARM_BULLYING))
        return PARENT_FACTOR;
    if (!p->parent)
        return 1.0f;
    if (f->harm == CG_HARM_SEXUAL_SOLICITATION)
        return PARENT_FACTOR;
    if (f->harm == CG_HARM_GROOMING &&
        (f->learned || f->facet == CG_FACET_FRIENDSHIP || f->facet == CG_FACET_RELATIONSHIP ||
         f->facet == CG_FACET_MEETING))
        return PARENT_FACTOR;
    return 1.0f;
}

/* How fast the learned layer's evidence of each harm turns into risk: 1 - exp(-k e). */
static const double learned_k[CG_HARM_COUNT] = {0.8, 0.9, 0.9, 0.9, 0.9, 0.6};

/* The personal-data risk of evidence e (rules) and l (learned layer) from msgs messages: what
 * party_risks computes for a party's own, used for the parts of it (whose data it is). */
static float pd_risk(float e, float l, int msgs)
{
    float r = e > 0.0f ? 1.0f - (float)exp(-(double)e) : 0.0f;
    if (l > 0.0f) {
        float x = 1.0f - (float)exp(-learned_k[CG_HARM_PERSONAL_DATA] * l);
        if (x > LEARNED_ALONE_CAP && e < STAGE_PRESENT && msgs < 3)
            x = LEARNED_ALONE_CAP;
        r = 1.0f - (1.0f - r) * (1.0f - x);
    }
    return r;
}

/* The risks of one sending party, given what the other parties said about their age. */
static void party_risks(const party *p, int other_is_minor, int64_t now, float mutual,
                        float risk[CG_HARM_COUNT], cg_facet *stage)
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

    /* No evidence of a harm (the usual case) is a risk of 0 without calling exp: 1 - exp(-0)
     * is 0 exactly. */
    float sol = p->harm_e[CG_HARM_SEXUAL_SOLICITATION] != 0.0f
                    ? 1.0f - (float)exp(-1.2 * p->harm_e[CG_HARM_SEXUAL_SOLICITATION])
                    : 0.0f;
    if (other_is_minor)
        sol = 1.0f - (1.0f - sol) * (1.0f - sol);
    risk[CG_HARM_SEXUAL_SOLICITATION] = sol;
    /* Insults traded both ways are banter more often than bullying (reciprocity): a party
     * who gets as much as they give counts at half weight. */
    const float recip = 1.0f - RECIPROCITY * mutual;
    risk[CG_HARM_BULLYING] = p->harm_e[CG_HARM_BULLYING] != 0.0f
                                 ? 1.0f - (float)exp(-0.9 * recip * p->harm_e[CG_HARM_BULLYING])
                                 : 0.0f;
    risk[CG_HARM_SELF_HARM_RISK] =
        p->harm_e[CG_HARM_SELF_HARM_RISK] != 0.0f
            ? 1.0f - (float)exp(-1.5 * p->harm_e[CG_HARM_SELF_HARM_RISK])
            : 0.0f;
    risk[CG_HARM_PERSONAL_DATA] = p->harm_e[CG_HARM_PERSONAL_DATA] != 0.0f
                                      ? 1.0f - (float)exp(-1.0 * p->harm_e[CG_HARM_PERSONAL_DATA])
                                      : 0.0f;

    /* The learned layer's evidence joins as an independent source: noisy-OR with the rules. */
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (p->learn_e[h] > 0.0f) {
            const float e = h == CG_HARM_BULLYING ? recip * p->learn_e[h] : p->learn_e[h];
            float l = 1.0f - (float)exp(-learned_k[h] * e);
            /* Alone, a learned guess is worth watching, not an alert: it needs the rules'
             * evidence of the same harm or a run of messages (a trajectory) to go further:
             * three, or two for grooming, which builds up slowly and whose single guesses
             * never reached the alert in time (round 4: dev in time 14 -> 15 of 19, 4-fold
             * cross-validation on train unchanged). */
            if (l > LEARNED_ALONE_CAP && p->harm_e[h] < STAGE_PRESENT &&
                p->msgs[h] < (h == CG_HARM_GROOMING ? 2 : 3))
                l = LEARNED_ALONE_CAP;
            risk[h] = 1.0f - (1.0f - risk[h]) * (1.0f - l);
        }
}

/* cg_text_harm_level, inline for the per-message loops of this file. */
static inline cg_alert harm_level(cg_harm h, float r, int minor)
{
    /* Below 0.3 (or NaN) every harm is at no level: most risks, tested first. */
    if (!(r >= 0.3f))
        return CG_ALERT_NONE;
    switch (h) {
    case CG_HARM_SEXTORTION:
    case CG_HARM_GROOMING:
        if (r >= 0.85f)
            return CG_ALERT_URGENT;
        break;
    case CG_HARM_SELF_HARM_RISK:
        if (r >= 0.75f)
            return CG_ALERT_URGENT;
        break;
    case CG_HARM_SEXUAL_SOLICITATION:
        if (r >= 0.6f && minor)
            return CG_ALERT_URGENT;
        break;
    case CG_HARM_PERSONAL_DATA:
        /* sharing a phone number alone is worth watching, not an alert */
        return r >= 0.3f ? CG_ALERT_WATCH : CG_ALERT_NONE;
    default:
        break;
    }
    return r >= 0.6f ? CG_ALERT_ALERT : r >= 0.3f ? CG_ALERT_WATCH : CG_ALERT_NONE;
}

cg_alert cg_text_harm_level(cg_harm h, float r, int minor)
{
    return harm_level(h, r, minor);
}

static cg_alert alert_of(const float risk[CG_HARM_COUNT], int minor_involved)
{
    cg_alert a = CG_ALERT_NONE;

    for (int h = 0; h < CG_HARM_COUNT; h++) {
        cg_alert l = harm_level((cg_harm)h, risk[h], minor_involved);
        a = l > a ? l : a;
    }
    return a;
}

/* Harms written against someone else: their target is at risk, not their author. */
static int aimed(int h)
{
    return h == CG_HARM_GROOMING || h == CG_HARM_SEXUAL_SOLICITATION ||
           h == CG_HARM_SEXTORTION || h == CG_HARM_BULLYING;
}

static int is_word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_';
}

/* 1 when name appears in text as a whole word, ASCII case ignored. */
static int mentions(const char *text, size_t len, const char *name)
{
    const size_t n = strlen(name);

    if (n < 2 || n > len)
        return 0;
    for (size_t i = 0; i + n <= len; i++) {
        if ((i > 0 && is_word_byte((unsigned char)text[i - 1])) ||
            (i + n < len && is_word_byte((unsigned char)text[i + n])))
            continue;
        size_t k = 0;
        while (k < n) {
            unsigned char a = (unsigned char)text[i + k], b = (unsigned char)name[k];
            if (a >= 'A' && a <= 'Z')
                a = (unsigned char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b - 'A' + 'a');
            if (a != b)
                break;
            k++;
        }
        if (k == n)
            return 1;
    }
    return 0;
}

/* The FNV-1a hash of a word, ASCII letters lower-cased (names are compared this way). */
static uint32_t word_hash(const char *w, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h = (h ^ c) * 16777619u;
    }
    return h;
}

/* Keeps the word hashes of a group message whose harms were aimed at no known participant. */
static void pend_add(conv *v, size_t pi, const cg_text_message *msg, const cg__finding *f,
                     size_t nf)
{
    struct pending *e = &v->pend[v->pend_next];

    memset(e, 0, sizeof(*e));
    e->from = (int)pi;
    for (size_t i = 0; i < nf; i++)
        if (aimed(f[i].harm))
            e->w[f[i].harm] += f[i].weight;
    for (size_t i = 0; msg->text != NULL && i < msg->len && e->n < PENDING_WORDS;) {
        size_t j = i;
        while (j < msg->len && is_word_byte((unsigned char)msg->text[j]))
            j++;
        if (j - i >= 2)
            e->word[e->n++] = word_hash(msg->text + i, j - i);
        i = j + 1;
    }
    v->pend_next = (v->pend_next + 1) % PENDING;
}

/* A participant who has just appeared takes the exposure of pending messages that named them. */
static void pend_claim(conv *v, size_t qi)
{
    party *q = &v->parties[qi];
    const uint32_t h = word_hash(q->name, strlen(q->name));

    for (size_t k = 0; k < PENDING; k++) {
        struct pending *e = &v->pend[k];
        for (uint8_t i = 0; i < e->n; i++)
            if (e->word[i] == h && e->from != (int)qi) {
                for (int hm = 0; hm < CG_HARM_COUNT; hm++)
                    if (e->w[hm] > 0) {
                        q->expo_e[hm] += e->w[hm];
                        if (q->expo_e[hm] > CAP_EVIDENCE)
                            q->expo_e[hm] = CAP_EVIDENCE;
                        q->expo_from[hm] = e->from;
                    }
                e->n = 0; /* claimed once */
                break;
            }
    }
}

/* Whom a message's harms are aimed at (party indices into out, at most MAX_PARTIES) and how
 * surely (*share: 1, or 0.5 for a guess): its recipient when it has one; in a group, the
 * participants it names, else, as a guess, the last other participant who wrote (a chat reply
 * goes to the message before) unless they write the same harm themselves (a fellow bully). */
static size_t targets_of(const conv *v, size_t pi, const party *r, const cg_text_message *msg,
                         const cg__finding *f, size_t nf, size_t out[MAX_PARTIES], float *share)
{
    size_t n = 0;

    *share = 1.0f;
    if (r != NULL) {
        size_t ri = (size_t)(r - v->parties);
        if (ri != pi)
            out[n++] = ri;
        return n;
    }
    for (size_t q = 0; q < v->n_parties && msg->text != NULL; q++)
        if (q != pi && mentions(msg->text, msg->len, v->parties[q].name))
            out[n++] = q;
    if (n == 0 && v->last_sender >= 0 && (size_t)v->last_sender != pi) {
        const party *q = &v->parties[v->last_sender];
        int fellow = 0;
        for (size_t i = 0; i < nf; i++)
            fellow |= aimed(f[i].harm) && q->harm_e[f[i].harm] >= STAGE_PRESENT;
        if (!fellow) {
            out[n++] = (size_t)v->last_sender;
            *share = 0.5f;
        }
    }
    return n;
}

/* A recipient that stands for the whole chat rather than one person. */
static int group_recipient(const char *r)
{
    if (r[0] != 'g' && r[0] != 'a' && r[0] != 'e' && r[0] != 'c')
        return 0;
    return strcmp(r, "group") == 0 || strcmp(r, "all") == 0 || strcmp(r, "everyone") == 0 ||
           strcmp(r, "channel") == 0;
}

/* Makes room for want evidence items and every participant, before any state changes. */
static int reserve_result(cg_text_result *res, size_t want)
{
    if (want > res->cap_evidence) {
        cg_text_evidence *v = cg__realloc(res->evidence, want * sizeof(*v));
        if (v == NULL)
            return -1;
        res->evidence = v;
        res->cap_evidence = want;
    }
    if (res->cap_participants < MAX_PARTIES) {
        cg_text_participant *q = cg__realloc(res->participants, MAX_PARTIES * sizeof(*q));
        if (q == NULL)
            return -1;
        res->participants = q;
        res->cap_participants = MAX_PARTIES;
    }
    return 0;
}

static int is_minor(const party *q)
{
    return q->age_max > 0 && q->age_max <= 17;
}

/* Fills one participant's entry: their own risks, their exposure, their states. own is their
 * risk as computed for the conversation (party_risks), msg_risk this message's risks when they
 * wrote it (else NULL), targeted 1 when this message was aimed at them, pd_about the party
 * whose personal data this message was (-1: its writer's own, or none). Personal data someone
 * else wrote out or asked for is that child's exposure, not the writer's risk. */
static void participant_state(conv *v, size_t qi, const float own[CG_HARM_COUNT],
                              float all_own[][CG_HARM_COUNT], const float *msg_risk,
                              int targeted, const float *msg_all, int pd_about, int64_t now,
                              const char *msg_id, cg_text_participant *out)
{
    party *q = &v->parties[qi];
    const int minor = is_minor(q);
    int other_minor = 0;
    cg_alert at = CG_ALERT_NONE, author = CG_ALERT_NONE;
    cg_harm at_harm = CG_HARM_SELF_HARM_RISK;

    for (size_t j = 0; j < v->n_parties; j++)
        other_minor |= j != qi && is_minor(&v->parties[j]);
    set_field(out->name, sizeof(out->name), q->name);
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        float r = own[h];
        const int pd = h == CG_HARM_PERSONAL_DATA;
        if (pd && q->pdx_e + q->pdx_l > 0.0f)
            r = pd_risk(q->harm_e[h] > q->pdx_e ? q->harm_e[h] - q->pdx_e : 0.0f,
                        q->learn_e[h] > q->pdx_l ? q->learn_e[h] - q->pdx_l : 0.0f, q->msgs[h]);
        if (msg_risk != NULL && msg_risk[h] > r && !(pd && pd_about >= 0))
            r = msg_risk[h];
        out->risk[h] = r;
        float x = 0.0f;
        if (pd) {
            x = pd_risk(q->expo_e[h], q->expo_l[h], q->expo_msgs[h]);
            if (pd_about == (int)qi && msg_all[h] > x)
                x = msg_all[h];
        } else if (aimed(h)) {
            const double k = h == CG_HARM_BULLYING ? 0.9 : h == CG_HARM_SEXTORTION ? 0.3 : 1.2;
            /* Bullying traded both ways is banter more often than bullying: a child who gives
             * back as much as they get counts as less exposed (reciprocity). */
            float recip = 1.0f;
            if (h == CG_HARM_BULLYING && q->expo_e[h] + q->expo_l[h] > 0.0f)
                recip = 1.0f - RECIPROCITY * clamp1((q->harm_e[h] + q->learn_e[h]) /
                                                    (q->expo_e[h] + q->expo_l[h]));
            x = q->expo_e[h] > 0.0f ? 1.0f - (float)exp(-k * recip * q->expo_e[h]) : 0.0f;
            if (q->expo_l[h] > 0.0f) {
                float l = 1.0f - (float)exp(-k * recip * q->expo_l[h]);
                if (l > LEARNED_ALONE_CAP && q->expo_e[h] < STAGE_PRESENT && q->expo_msgs[h] < 3)
                    l = LEARNED_ALONE_CAP;
                x = 1.0f - (1.0f - x) * (1.0f - l);
            }
            if (q->expo_from[h] >= 0 && all_own[q->expo_from[h]][h] > x)
                x = all_own[q->expo_from[h]][h];
            if (targeted && msg_all[h] > x)
                x = msg_all[h];
            if (x > 1.0f)
                x = 1.0f;
        }
        out->exposure[h] = x;
        const cg_alert la = harm_level((cg_harm)h, aimed(h) || (pd && x > r) ? x : r, minor);
        if (la > at) {
            at = la;
            at_harm = (cg_harm)h;
        }
        if (aimed(h)) {
            const cg_alert lo = harm_level((cg_harm)h, r, other_minor);
            author = lo > author ? lo : author;
        } else if (pd && q->pdx_e + q->pdx_l > 0.0f) { /* a child's data written out */
            const cg_alert lo = harm_level((cg_harm)h, pd_risk(q->pdx_e, q->pdx_l, q->msgs[h]),
                                           other_minor);
            author = lo > author ? lo : author;
        }
    }
    if (at == CG_ALERT_URGENT)
        q->urgent_ts = now > 0 ? now : 1;
    if (at > q->peak) {
        q->peak = at;
        q->peak_harm = at_harm;
        set_field(q->peak_msg, sizeof(q->peak_msg), msg_id);
    }
    /* An urgent state is held: a child who wrote despair stays urgent while others go on. */
    if (q->urgent_ts != 0 && now - q->urgent_ts <= URGENT_HOLD_MS)
        at = CG_ALERT_URGENT;
    out->alert = at;
    out->peak = q->peak;
    out->peak_harm = q->peak_harm;
    set_field(out->peak_message, sizeof(out->peak_message), q->peak_msg);
    out->author_alert = author;
    out->age_min = q->age_min;
    out->age_max = q->age_max;
}

/* How much participant q is at risk of harm h: what was aimed at them, for personal data the
 * more of their own and of what others wrote of theirs, else their own. */
static float at_risk_of(const cg_text_participant *q, int h)
{
    if (aimed(h))
        return q->exposure[h];
    if (h == CG_HARM_PERSONAL_DATA && q->exposure[h] > q->risk[h])
        return q->exposure[h];
    return q->risk[h];
}

/* How much participant i wrote of harm h: their risk, for personal data whoever's data it was. */
static float wrote(const cg_text_result *res, float all_own[][CG_HARM_COUNT], size_t i, int h)
{
    return h == CG_HARM_PERSONAL_DATA ? all_own[i][h] : res->participants[i].risk[h];
}

/* Updates the conversation's per-harm peaks with this message's risks (all_own: each party's
 * risks as written, for the author). */
static void update_peaks(conv *v, const cg_text_result *res, int minor, const char *msg_id,
                         float all_own[][CG_HARM_COUNT])
{
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        const cg_alert l = harm_level((cg_harm)h, res->risk[h], minor);
        cg_text_harm_peak *pk = &v->peak[h];

        if (l == CG_ALERT_NONE || l < pk->level || (l == pk->level && res->risk[h] <= pk->risk))
            continue;
        pk->level = l;
        pk->risk = res->risk[h];
        set_field(pk->message_id, sizeof(pk->message_id), msg_id);
        /* Who: the participant most at risk of it, and its strongest author. */
        size_t at = 0, au = 0;
        for (size_t i = 1; i < res->n_participants; i++) {
            const cg_text_participant *q = &res->participants[i];
            if (at_risk_of(q, h) > at_risk_of(&res->participants[at], h))
                at = i;
            if (wrote(res, all_own, i, h) > wrote(res, all_own, au, h))
                au = i;
        }
        const cg_text_participant *pa = &res->participants[at], *pu = &res->participants[au];
        set_field(pk->at_risk, sizeof(pk->at_risk), at_risk_of(pa, h) > 0 ? pa->name : "");
        set_field(pk->author, sizeof(pk->author), wrote(res, all_own, au, h) > 0 ? pu->name : "");
    }
}

/* A probe: a question for personal data ("what school do u go to", "nhà em ở đâu") or about
 * who is around (grooming risk assessment: "are you alone", "bố mẹ có nhà không"). Deleting
 * messages is no question. */
static int is_probe(const cg__finding *f)
{
    if (f->learned || f->cue == NULL)
        return 0;
    return strncmp(f->cue, "pd.ask.", 7) == 0 ||
           (f->harm == CG_HARM_GROOMING && f->facet == CG_FACET_RISK_ASSESSMENT &&
            strstr(f->cue, "delete") == NULL);
}

/* 1 when a message reads as an answer with content: three words or more and no question
 * back ("why?", "how do u know that?"). */
static int is_answer(const cg_text_message *msg)
{
    int words = 0, in = 0;

    if (msg->text == NULL || memchr(msg->text, '?', msg->len) != NULL)
        return 0;
    for (size_t i = 0; i < msg->len; i++) {
        const int w = is_word_byte((unsigned char)msg->text[i]);
        words += w && !in;
        in = w;
    }
    return words >= 3;
}

/* Whose personal data the conversation's personal-data risk is about (res->pd_*): the
 * participant most at risk of it (their own, or written out or asked for by others), who wrote
 * it and how. */
static void pd_whose(const conv *v, cg_text_result *res)
{
    const int h = CG_HARM_PERSONAL_DATA;
    size_t o = 0;

    res->pd_owner[0] = res->pd_writer[0] = '\0';
    res->pd_how = CG_TEXT_PD_NONE;
    for (size_t i = 1; i < res->n_participants; i++)
        if (at_risk_of(&res->participants[i], h) > at_risk_of(&res->participants[o], h))
            o = i;
    if (res->n_participants == 0 || at_risk_of(&res->participants[o], h) <= 0.0f)
        return;
    const cg_text_participant *q = &res->participants[o];
    const party *pq = &v->parties[o];
    set_field(res->pd_owner, sizeof(res->pd_owner), q->name);
    if (q->exposure[h] > q->risk[h]) {
        res->pd_how = pq->rev_e >= FADED ? CG_TEXT_PD_REVEALED : CG_TEXT_PD_ASKED;
        if (pq->expo_from[h] >= 0)
            set_field(res->pd_writer, sizeof(res->pd_writer), v->parties[pq->expo_from[h]].name);
    } else {
        res->pd_how = CG_TEXT_PD_OWN;
        set_field(res->pd_writer, sizeof(res->pd_writer), q->name);
    }
}

/* A party on the child's side: a stated minor, or someone others have aimed harm at. */
static int child_side(const party *q)
{
    return is_minor(q) || q->expo_e[CG_HARM_GROOMING] + q->expo_e[CG_HARM_SEXUAL_SOLICITATION] +
                                  q->expo_e[CG_HARM_SEXTORTION] + q->expo_e[CG_HARM_BULLYING] >=
                              STAGE_PRESENT;
}

/* A party who has aimed harm at others (their own evidence of it). */
static int offender(const party *p)
{
    return p->harm_e[CG_HARM_GROOMING] + p->harm_e[CG_HARM_SEXUAL_SOLICITATION] +
               p->harm_e[CG_HARM_SEXTORTION] + p->harm_e[CG_HARM_BULLYING] >=
           STAGE_PRESENT;
}

static void add_capped(float *x, float w)
{
    *x += w;
    if (*x > CAP_EVIDENCE)
        *x = CAP_EVIDENCE;
}

/* Personal data party p (index pi) wrote of q's: part of p's evidence that is someone else's
 * data, and q's exposure (revealed: written out, not only asked for). */
static void pd_of_other(party *p, party *q, size_t pi, const cg__finding *f, int revealed)
{
    add_capped(f->learned ? &p->pdx_l : &p->pdx_e, f->weight);
    add_capped(f->learned ? &q->expo_l[CG_HARM_PERSONAL_DATA] : &q->expo_e[CG_HARM_PERSONAL_DATA],
               f->weight);
    if (revealed)
        add_capped(&q->rev_e, f->weight);
    q->expo_from[CG_HARM_PERSONAL_DATA] = (int)pi;
}

cg_status cg__convs_update(cg__convs *c, const cg_text_message *msg, const cg__finding *f,
                           size_t n, const cg__age_facts *age, cg_text_result *res,
                           cg_error *err)
{
    const char *cid = msg->conversation && *msg->conversation ? msg->conversation : "default";
    const char *sender = msg->sender && *msg->sender ? msg->sender : "unknown";
    const char *recipient = msg->recipient && *msg->recipient && !group_recipient(msg->recipient)
                                ? msg->recipient : NULL;
    int nomem = 0;
    conv *v = find_conv(c, cid, 1);
    char idbuf[64];

    if (v == NULL)
        return cg__fail(err, CG_E_NOMEM, "out of memory for conversation '%s'", cid);
    const size_t known = v->n_parties;
    party *p = find_party(v, sender, &nomem);
    party *r = recipient ? find_party(v, recipient, &nomem) : NULL;
    if (nomem || p == NULL || reserve_result(res, n + 1 + EVIDENCE_RING) != 0)
        return cg__fail(err, CG_E_NOMEM, "out of memory for conversation '%s'", cid);
    /* Nothing below fails: the state changes all or not at all. */
    const size_t pi = (size_t)(p - v->parties);

    /* Time: unknown or out of order messages take the conversation's latest time. */
    int64_t now = msg->ts_ms > v->last_ts ? msg->ts_ms : v->last_ts;
    double dt = (double)(now - v->last_ts);
    if (v->n_messages > 0 && dt > 0) {
        /* The factors of a step are a function of the step: kept for the next message with the
         * same step (the same exp2 results, so the same bits). */
        if (dt != c->decay_dt) {
            decay_factors(dt, c->decay_k, c->decay_k1);
            c->decay_dt = dt;
        }
        for (size_t i = 0; i < v->n_parties; i++)
            decay_party(&v->parties[i], c->decay_k, c->decay_k1);
    }
    v->last_ts = now;
    v->n_messages++;
    for (unsigned b = 0; age != NULL && b < CONTEXT_BITS; b++)
        if ((age->context >> b) & 1u)
            v->ctx_at[b] = v->n_messages;
    /* Asking for images, and refusing: a party who asks again after a refusal presses. */
    if (age != NULL && age->sol_ask) {
        if (v->ask_from != (int)pi)
            v->ask_refused = 0;
        v->ask_from = (int)pi;
    } else if (age != NULL && age->refusal && v->ask_from >= 0 && v->ask_from != (int)pi) {
        v->ask_refused = 1;
    }
    /* A demand left incomplete waits for its writer's next messages (text_engine.c completes
     * it); a whole one, or a repayment, ends it. */
    if (age != NULL && (age->demand & (CG__DEM_DONE | CG__DEM_BENIGN))) {
        v->dem_from = -1;
    } else if (age != NULL && (age->demand & (CG__DEM_ASK | CG__DEM_VERB | CG__DEM_WHEN |
                                              CG__DEM_DEST | CG__DEM_THREAT | CG__DEM_VALUE |
                                              CG__DEM_CLOCK))) {
        if (v->dem_from != (int)pi || v->n_messages > v->dem_at + DEMAND_CARRY)
            v->dem_parts = 0;
        /* A value named or a countdown (kept by text_engine.c only from a writer who holds
         * images or threatened) starts a demand as an amount asked for does. */
        if (v->dem_parts != 0 || (age->demand & (CG__DEM_ASK | CG__DEM_VERB | CG__DEM_VALUE |
                                                 CG__DEM_CLOCK))) {
            v->dem_parts |= age->demand;
            v->dem_from = (int)pi;
            v->dem_at = v->n_messages;
        }
    }
    if (msg->id != NULL && *msg->id != '\0')
        set_field(idbuf, sizeof(idbuf), msg->id);
    else
        u64_decimal(idbuf, v->n_messages);

    /* Whom this message's harms are aimed at. */
    for (size_t i = known; i < v->n_parties; i++)
        pend_claim(v, i);
    size_t tg[MAX_PARTIES];
    float share;
    const size_t n_tg = targets_of(v, pi, r, msg, f, n, tg, &share);
    if (r == NULL && share < 1.0f) {
        int any = 0;
        for (size_t i = 0; i < n; i++)
            any |= aimed(f[i].harm);
        if (any)
            pend_add(v, pi, msg, f, n);
    }

    /* Whom this bullying was said to, fellow bullies included (for reciprocity). */
    for (size_t i = 0; i < n; i++)
        if (f[i].harm == CG_HARM_BULLYING) {
            if (n_tg > 0)
                p->bully_at = (int)tg[0];
            else if (v->last_sender >= 0 && (size_t)v->last_sender != pi)
                p->bully_at = v->last_sender;
            break;
        }

    /* Whose personal data this message states or asks for: the reader's when the message says
     * so (detect_pii_subject.c) or, when it cannot tell, when a writer not known as a child
     * writes it to a child (a stated minor, or someone others have aimed harm at); else the
     * writer's own. What one who was called mom or dad writes is the family's own. */
    int pd_about = -1, pd_revealed = 0;
    if (age != NULL && age->pd_subject != CG__PD_WRITER && !p->parent) {
        const int reader = r != NULL && r != p ? (int)(r - v->parties)
                           : n_tg > 0          ? (int)tg[0]
                                               : -1;
        if (reader >= 0 && (age->pd_subject == CG__PD_READER || age->pd_subject == CG__PD_KNOWN ||
                            (!is_minor(p) && (child_side(&v->parties[reader]) || offender(p)))))
            pd_about = reader;
        /* Written out (a place, a school, a number; "I know where you live"), not only asked. */
        for (size_t i = 0; pd_about >= 0 && i < n && !pd_revealed; i++)
            pd_revealed = f[i].harm == CG_HARM_PERSONAL_DATA && !f[i].learned &&
                          f[i].cue != NULL && strncmp(f[i].cue, "pd.ask.", 7) != 0;
        pd_revealed |= age->pd_subject == CG__PD_KNOWN;
    }

    /* Message-level risk: noisy-OR of the weights found, per harm. */
    double keep[CG_HARM_COUNT];
    for (int h = 0; h < CG_HARM_COUNT; h++)
        keep[h] = 1.0;
    res->n_evidence = 0;
    unsigned counted = 0, aimed_at[MAX_PARTIES] = {0};
    /* In a group, a message calling someone mom or grandma answers the last other writer. */
    if (age != NULL && age->to_parent && r != NULL)
        r->parent = 1;
    else if (age != NULL && age->to_parent && v->last_sender >= 0 && (size_t)v->last_sender != pi)
        v->parties[v->last_sender].parent = 1;
    for (size_t i = 0; i < n; i++) {
        cg__finding fi = f[i];
        fi.weight *= parent_factor(p, r, &f[i]);
        keep[f[i].harm] *= 1.0 - message_weight(&fi);
        float *pe = f[i].learned ? &p->learn_e[f[i].harm] : &p->harm_e[f[i].harm];
        counted |= 1u << f[i].harm;
        *pe += fi.weight;
        if (*pe > CAP_EVIDENCE)
            *pe = CAP_EVIDENCE;
        if (f[i].harm == CG_HARM_PERSONAL_DATA && pd_about >= 0)
            pd_of_other(p, &v->parties[pd_about], pi, &fi, pd_revealed);
        if (aimed(f[i].harm))
            for (size_t t = 0; t < n_tg; t++) {
                party *q = &v->parties[tg[t]];
                float *qe = f[i].learned ? &q->expo_l[f[i].harm] : &q->expo_e[f[i].harm];
                /* Grooming aimed at a child counts with its stage's weight, as in the
                 * author's own score: compliments alone do not put a child at risk. */
                *qe += share * (f[i].harm == CG_HARM_GROOMING ? message_weight(&fi) : fi.weight);
                if (*qe > CAP_EVIDENCE)
                    *qe = CAP_EVIDENCE;
                if (!(aimed_at[t] & (1u << f[i].harm)) && q->expo_msgs[f[i].harm] < 255)
                    q->expo_msgs[f[i].harm]++;
                aimed_at[t] |= 1u << f[i].harm;
                if (share >= 1.0f)
                    q->expo_from[f[i].harm] = (int)pi;
            }
        if (f[i].facet != CG_FACET_NONE && !f[i].learned) {
            p->facet_live |= CG__FACET_BIT(f[i].facet);
            p->facet_e[f[i].facet] += fi.weight;
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
        e.weight = fi.weight;
        e.in_this_message = 1;
        res->evidence[res->n_evidence++] = e;
        v->ring[(v->ring_head + v->ring_n) % EVIDENCE_RING] = e;
        v->ring[(v->ring_head + v->ring_n) % EVIDENCE_RING].in_this_message = 0;
        if (v->ring_n < EVIDENCE_RING)
            v->ring_n++;
        else
            v->ring_head = (v->ring_head + 1) % EVIDENCE_RING;
    }
    /* The answer to a probe discloses where the child is, lives or will be alone, in words
     * the detectors may not know ("we're in fairfield", "bố mẹ đi làm tối mới về"): the one
     * asked, answering within the next two messages, without personal data found already. */
    int probe = 0, pd_found = 0;
    for (size_t i = 0; i < n; i++) {
        probe |= is_probe(&f[i]);
        pd_found |= f[i].harm == CG_HARM_PERSONAL_DATA && !f[i].learned;
    }
    if (!probe && !pd_found && v->probe_from >= 0 && (size_t)v->probe_from != pi &&
        v->n_messages <= v->probe_at + 2 && (v->probe_to < 0 || (size_t)v->probe_to == pi) &&
        is_answer(msg)) {
        cg_text_evidence e;
        keep[CG_HARM_PERSONAL_DATA] *= 1.0 - ANSWER_WEIGHT;
        counted |= 1u << CG_HARM_PERSONAL_DATA;
        p->harm_e[CG_HARM_PERSONAL_DATA] += ANSWER_WEIGHT;
        if (p->harm_e[CG_HARM_PERSONAL_DATA] > CAP_EVIDENCE)
            p->harm_e[CG_HARM_PERSONAL_DATA] = CAP_EVIDENCE;
        set_field(e.message_id, sizeof(e.message_id), idbuf);
        e.harm = CG_HARM_PERSONAL_DATA;
        e.facet = CG_FACET_NONE;
        set_field(e.cue, sizeof(e.cue), "pd.answer");
        e.start = 0;
        e.end = (uint32_t)msg->len;
        e.weight = ANSWER_WEIGHT;
        e.in_this_message = 1;
        res->evidence[res->n_evidence++] = e;
        v->probe_from = -1;
    }
    if (probe) {
        v->probe_from = (int)pi;
        v->probe_to = r != NULL ? (int)(r - v->parties) : -1;
        v->probe_at = v->n_messages;
    }
    if (pd_about >= 0 && (counted >> CG_HARM_PERSONAL_DATA & 1u) &&
        v->parties[pd_about].expo_msgs[CG_HARM_PERSONAL_DATA] < 255)
        v->parties[pd_about].expo_msgs[CG_HARM_PERSONAL_DATA]++;
    for (int h = 0; h < CG_HARM_COUNT; h++) {
        res->message_risk[h] = (float)(1.0 - keep[h]);
        if ((counted >> h) & 1 && p->msgs[h] < 255)
            p->msgs[h]++;
    }

    if (age != NULL) {
        /* An age in a message about the reader's data ("em học lớp 7A4 đúng ko") is theirs. */
        if (age->stated_min > 0 && age->pd_subject != CG__PD_READER &&
            age->pd_subject != CG__PD_KNOWN) {
            p->age_min = age->stated_min;
            p->age_max = age->stated_max;
        }
        p->asked_age |= age->asked;
    }

    /* Conversation risk: the worst party's, never below this message's. */
    int minor_recipient = r != NULL && is_minor(r);
    float own[MAX_PARTIES][CG_HARM_COUNT];
    memset(res->risk, 0, sizeof(res->risk));
    res->stage = CG_FACET_NONE;
    int minor_involved = 0;
    float grp_e = 0.0f, grp_l = 0.0f;
    int grp_n = 0;
    for (size_t i = 0; i < v->n_parties; i++) {
        party *q = &v->parties[i];
        int other_minor = 0;
        for (size_t j = 0; j < v->n_parties; j++)
            if (j != i && is_minor(&v->parties[j]))
                other_minor = 1;
        cg_facet st;
        /* Reciprocity: what the one they said it to gives back, against what they give. */
        const float given = q->harm_e[CG_HARM_BULLYING] + q->learn_e[CG_HARM_BULLYING];
        float mutual = 0.0f;
        if (given > 0.0f && q->bully_at >= 0 && (size_t)q->bully_at != i) {
            const party *o = &v->parties[q->bully_at];
            mutual = clamp1((o->harm_e[CG_HARM_BULLYING] + o->learn_e[CG_HARM_BULLYING]) / given);
        }
        party_risks(q, other_minor, now, mutual, own[i], &st);
        {
            /* Insults traded both ways are no pile-on: only what is not given back counts. */
            const float rc = 1.0f - mutual;
            grp_e += rc * q->harm_e[CG_HARM_BULLYING];
            grp_l += rc * q->learn_e[CG_HARM_BULLYING];
            grp_n += given > 0.0f && rc > 0.0f;
        }
        for (int h = 0; h < CG_HARM_COUNT; h++)
            res->risk[h] = own[i][h] > res->risk[h] ? own[i][h] : res->risk[h];
        if (st > res->stage)
            res->stage = st;
        minor_involved |= other_minor;
    }
    /* A pile-on: two or more parties bullying in one chat, each of whom may have said too
     * little alone. Their evidence that was not given back is summed; from the
     * learned layer alone it is worth watching, not an alert (LEARNED_ALONE_CAP). */
    if (grp_n >= 2) {
        float g = 1.0f - (float)exp(-0.9 * grp_e);
        const float l = 1.0f - (float)exp(-0.9 * grp_l);
        g = 1.0f - (1.0f - g) * (1.0f - l);
        if (g > LEARNED_ALONE_CAP && grp_e < STAGE_PRESENT)
            g = LEARNED_ALONE_CAP;
        if (g > res->risk[CG_HARM_BULLYING])
            res->risk[CG_HARM_BULLYING] = g;
    }
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (res->message_risk[h] > res->risk[h])
            res->risk[h] = res->message_risk[h];
    res->alert = alert_of(res->risk, minor_involved || minor_recipient);

    /* Participants: each one's own risks, exposure and state; the conversation's alert is
     * never below any participant's state (a held urgent state included). */
    res->n_participants = v->n_parties;
    for (size_t i = 0; i < v->n_parties; i++) {
        int targeted = 0;
        for (size_t t = 0; t < n_tg; t++)
            targeted |= tg[t] == i;
        participant_state(v, i, own[i], own, i == pi ? res->message_risk : NULL,
                          targeted && share >= 1.0f,
                          res->message_risk, pd_about, now, idbuf, &res->participants[i]);
        if (res->participants[i].alert > res->alert)
            res->alert = res->participants[i].alert;
    }
    update_peaks(v, res, minor_involved || minor_recipient, idbuf, own);
    memcpy(res->peak, v->peak, sizeof(res->peak));
    pd_whose(v, res);
    v->last_sender = (int)pi;

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
