/* childguard: hotline report DRAFTS made from a review queue item. A draft is for a person to
 * check, complete and send through the hotline's own channel: this module never sends anything,
 * and every draft says so (an XML comment, a "draft": true JSON field).
 *
 * Two formats:
 *  - CG_REPORT_NCMEC_XML: an XML document whose elements follow the order of NCMEC's
 *    CyberTipline Reporting API `report` (incidentSummary, internetDetails, reporter,
 *    personOrUserReported, intendedRecipient, victim, additionalInfo) plus a draft-only
 *    `uploadedFiles` section holding one `fileDetails` per file with `originalFileHash hashType=`
 *    entries (MD5, SHA256, PDQ). Every XML draft is validated against
 *    data/report/cybertipline-draft.xsd before it is returned.
 *  - CG_REPORT_JSON: the same content as a documented JSON object, for other hotlines (INHOPE
 *    members, national police).
 *  - CG_REPORT_REFERRAL: a short plain-text note for the service that handles a harm the
 *    CyberTipline does not (bullying: the school and a child helpline; self-harm risk: a
 *    helpline now; personal data: the child, their guardian and the platform's privacy team).
 * A draft carries hashes, matches, fired rules and evidence cues/spans: never content bytes or
 * message text (the review store holds none). Shapes and element order: docs/report.md.
 *
 * Which draft fits an item is decided first (cg_report_advise): an item a reviewer ruled a
 * false positive gets no draft unless the caller forces one; an item no reviewer has confirmed
 * yet gets a draft with a warning; the CyberTipline incident type follows the item's harm, and a
 * harm that is no CyberTipline incident type gets no NCMEC draft (the JSON draft or a referral
 * note instead). cg_report_draft applies the same advice, so every front end behaves alike.
 *
 * Threading: every function is thread-safe; the schema is parsed per call. */
#ifndef CHILDGUARD_REPORT_H
#define CHILDGUARD_REPORT_H

#include <stddef.h>

#include "export.h"
#include "review.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: values are pinned. */
typedef enum cg_report_format {
    CG_REPORT_NCMEC_XML = 0, /* "ncmec-xml" */
    CG_REPORT_JSON = 1,      /* "json" */
    CG_REPORT_REFERRAL = 2   /* "referral": plain text for the service a harm belongs to */
} cg_report_format;

/* The text name of a format ("ncmec-xml", "json", "referral"), or NULL for values not in the table. */
CG_API const char *cg_report_format_name(cg_report_format f);
/* The format named name, or -1. */
CG_API int cg_report_format_from_name(const char *name);

/* The two CyberTipline incident types a draft chooses on its own: CSAM for the "csam" label;
 * enticement for "grooming", "sexual_solicitation" and "sextortion" (NCMEC files sextortion
 * under online enticement). Other labels get no type unless the caller gives one. */
#define CG_REPORT_INCIDENT_CSAM "Child Pornography (possession, manufacture, and distribution)"
#define CG_REPORT_INCIDENT_ENTICEMENT "Online Enticement of Children for Sexual Acts"

/* Who reports and how. Every field may be NULL (left out of the draft, for the person to fill
 * in). Strings must be valid UTF-8 without control characters other than tab and newline, else
 * cg_report_draft fails with CG_E_INVAL naming the field. Borrowed for the call. */
typedef struct cg_report_options {
    const char *reporter_name;  /* reportingPerson: split at the last space into first/last */
    const char *reporter_email; /* reportingPerson/email */
    const char *organization;   /* reporter/companyTemplate and espService */
    const char *country;        /* ISO 3166 code of the reporter, e.g. "US"; JSON only */
    const char *incident_type;  /* overrides the chosen incidentType (any CyberTipline type) */
    const char *service;        /* the product used: espService, chatImIncident/chatClient */
    const char *url;            /* where the content was seen: webPageIncident/url */
    const char *escalate;       /* a reason for incidentSummary/escalateToHighPriority */
    long long now;              /* unix seconds for "generated at"; 0 = the current time */
    /* 1: draft even an item ruled a false positive (the draft says so, and the advice has
     * forced = 1 so the caller can record the override). */
    int force;
} cg_report_options;

/* What cg_report_advise says about drafting an item in a format. */
typedef enum cg_report_advice_kind {
    CG_REPORT_ADVICE_OK = 0,     /* draft as asked */
    CG_REPORT_ADVICE_WARN = 1,   /* a draft is made, but read message first */
    CG_REPORT_ADVICE_REFUSE = 2  /* no draft: message says why and what to do instead */
} cg_report_advice_kind;

typedef struct cg_report_advice {
    cg_report_advice_kind kind;
    /* The harm the item is about: its label ("csam", "grooming", "bullying", ...; "" none).
     * Points into the item. */
    const char *harm;
    /* The CyberTipline incident type that fits the harm (or the caller's --incident-type),
     * NULL when none does. Static or the option's string. */
    const char *incident_type;
    /* Who handles this harm, as one English phrase ("the child's school and a child helpline
     * (Viet Nam: 111)"); static, never NULL. */
    const char *refer_to;
    int forced;                  /* 1: a false-positive ruling overridden by opt->force */
    char message[512];           /* one line for a person; "" when kind is OK */
} cg_report_advice;

/* Decides whether and how item can be drafted in fmt (opt may be NULL):
 *  - state false_positive: REFUSE, unless opt->force (then WARN with forced = 1);
 *  - fmt ncmec-xml and a harm that is no CyberTipline incident type (bullying, self-harm risk,
 *    personal data, ncii, unknown labels) without opt->incident_type: REFUSE, naming the service
 *    to refer it to and the formats that fit (json, referral);
 *  - pending, claimed or escalated (no reviewer confirmed it): WARN.
 * Reads only the item; never fails. Thread-safe. */
CG_API void cg_report_advise(const cg_review_item *item, cg_report_format fmt,
                             const cg_report_options *opt, cg_report_advice *out);

/* Builds a draft of fmt from a review item and its stored verdict JSON (verdict_json: the text
 * cg_review_get returned; NULL or "" treated as {}; fields are read defensively, missing ones
 * are left out). opt may be NULL. On success *out receives the draft (NUL-terminated, freed with
 * cg_free) and *len its length in bytes (without the NUL). Text from the item or the verdict
 * that is not valid UTF-8, or holds control characters, is written with U+FFFD in their place.
 * The advice of cg_report_advise is applied first: a refusal is CG_E_INVAL for a false-positive
 * item and CG_E_UNSUPPORTED for a harm the format does not cover, with the advice's message in
 * err; a warning is written into the draft (additionalInfo, the JSON "warnings").
 * Errors: CG_E_INVAL (bad options, a verdict that is not a JSON object), CG_E_NOTFOUND / CG_E_IO
 * (the schema file), CG_E_DECODE (the draft failed schema validation: a bug, reported with the
 * validator's message), CG_E_LIMIT (a draft over 1 MiB), CG_E_NOMEM. */
CG_API cg_status cg_report_draft(const cg_review_item *item, const char *verdict_json,
                                 cg_report_format fmt, const cg_report_options *opt, char **out,
                                 size_t *len, cg_error *err);

/* Validates an XML document against the draft schema (xsd_path NULL: cg_report_schema_path()).
 * CG_OK when it is well-formed and valid; CG_E_DECODE with the first problem and its line
 * ("line 3: Element 'reporter': This element is not expected. Expected is ( incidentSummary
 * ).") otherwise; CG_E_NOTFOUND / CG_E_IO / CG_E_INVAL when the schema cannot be read or parsed.
 * Entities are not expanded and nothing is fetched from the network. */
CG_API cg_status cg_report_validate_xml(const char *xml, size_t len, const char *xsd_path,
                                        cg_error *err);

/* Where the draft schema is read from: $CHILDGUARD_DATA/report/cybertipline-draft.xsd when that
 * variable is set, else the installed data directory's copy when it exists, else the source
 * tree's. The string is thread-local storage, valid until the next call in the same thread. */
CG_API const char *cg_report_schema_path(void);

#ifdef __cplusplus
}
#endif
#endif
