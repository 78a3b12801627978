/* Which report draft fits a review item (report.h, cg_report_advise): decided from the
 * reviewer's ruling and the item's harm, before anything is written.
 *
 * Why here and not in each front end: a draft is what a hotline analyst acts on. A draft made
 * for an item a reviewer ruled a false positive, or a CyberTipline "Online Enticement" draft
 * for a bullying chat (naming a classmate as the reported user), misleads whoever files it. The
 * command line and the HTTP server both call cg_report_draft, which applies this advice, so
 * neither can make such a draft by accident.
 *
 * The incident type follows the harm the item was queued (and confirmed) for: its label. Only
 * "csam" and the sexual-exploitation harms of the text engine map to a CyberTipline type;
 * every other label gets no type of its own, and an NCMEC draft then needs the caller's
 * explicit --incident-type. The service named for each harm is a phrase for a person, not a
 * routing table: the help-line catalogue (data/text/guidance.json) has the numbers. */
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"

typedef struct harm_route {
    const char *label;
    const char *incident_type; /* NULL: not a CyberTipline incident type */
    const char *refer_to;
} harm_route;

#define HOTLINE                                                                               \
    "NCMEC's CyberTipline (US), the IWF (UK) or the country's INHOPE member hotline, and the " \
    "police"

static const harm_route routes[] = {
    {"csam", CG_REPORT_INCIDENT_CSAM, HOTLINE},
    {"grooming", CG_REPORT_INCIDENT_ENTICEMENT, HOTLINE},
    {"sexual_solicitation", CG_REPORT_INCIDENT_ENTICEMENT, HOTLINE},
    {"sextortion", CG_REPORT_INCIDENT_ENTICEMENT, HOTLINE},
    {"bullying", NULL, "the child's school and a child helpline (Viet Nam: 111)"},
    {"self_harm_risk", NULL,
     "a child helpline now (Viet Nam: 111, free, 24/7) and the child's guardian; emergency "
     "services if the child is in danger"},
    {"personal_data", NULL,
     "the child and their guardian (to take the shared details down) and the platform's "
     "privacy team"},
    {"ncii", NULL,
     "StopNCII.org for an adult; Take It Down and a hotline (with the CSAM incident type) if "
     "the person shown is under 18"},
};

static const char unknown_route[] = "the team or service that handles this label";

static const harm_route *route_of(const char *label)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strcmp(routes[i].label, label) == 0)
            return &routes[i];
    return NULL;
}

void cg_report_advise(const cg_review_item *item, cg_report_format fmt,
                      const cg_report_options *opt, cg_report_advice *out)
{
    static const cg_report_options no_opt;
    const harm_route *r;
    const char *state;
    char label[CG_BANK_LABEL_MAX + 1];
    long long id;

    memset(out, 0, sizeof(*out));
    out->harm = "";
    out->refer_to = unknown_route;
    if (item == NULL)
        return;
    if (opt == NULL)
        opt = &no_opt;
    id = (long long)item->id;
    /* The label may lack its NUL (the item is plain data): copy it bounded. */
    snprintf(label, sizeof(label), "%.*s", (int)strnlen(item->label, sizeof(item->label)),
             item->label);
    out->harm = item->label[strnlen(item->label, sizeof(item->label) - 1)] == '\0' ? item->label
                                                                                     : "";
    r = route_of(label);
    if (r != NULL) {
        out->incident_type = r->incident_type;
        out->refer_to = r->refer_to;
    }
    if (opt->incident_type != NULL && *opt->incident_type != '\0')
        out->incident_type = opt->incident_type;
    state = cg_review_state_name(item->state);
    if (state == NULL)
        state = "unknown";

    if (item->state == CG_REVIEW_FALSE_POSITIVE) {
        if (!opt->force) {
            out->kind = CG_REPORT_ADVICE_REFUSE;
            snprintf(out->message, sizeof(out->message),
                     "review item %lld was ruled a false positive%s%.*s: no report draft is "
                     "made (force one with --force; the override is recorded)",
                     id, item->reviewer[0] ? " by " : "",
                     (int)strnlen(item->reviewer, sizeof(item->reviewer)), item->reviewer);
            return;
        }
        out->kind = CG_REPORT_ADVICE_WARN;
        out->forced = 1;
        snprintf(out->message, sizeof(out->message),
                 "review item %lld was ruled a false positive%s%.*s; drafted only because it "
                 "was forced",
                 id, item->reviewer[0] ? " by " : "",
                 (int)strnlen(item->reviewer, sizeof(item->reviewer)), item->reviewer);
    }
    if (fmt == CG_REPORT_NCMEC_XML && out->incident_type == NULL) {
        out->kind = CG_REPORT_ADVICE_REFUSE;
        out->forced = 0;
        snprintf(out->message, sizeof(out->message),
                 "review item %lld (%s) is not a CyberTipline incident type: no NCMEC draft; "
                 "refer it to %s (--format referral or json)",
                 id, label[0] ? label : "no label", out->refer_to);
        return;
    }
    if (out->kind == CG_REPORT_ADVICE_OK && item->state != CG_REVIEW_CONFIRMED) {
        out->kind = CG_REPORT_ADVICE_WARN;
        snprintf(out->message, sizeof(out->message),
                 "review item %lld is %s: no reviewer has confirmed it yet; check it before "
                 "sending anything",
                 id, state);
    }
}
