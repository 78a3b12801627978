/* Internal: what a report draft says, gathered once from a review item, its verdict JSON and the
 * options, then written as XML (report_xml.c) or JSON (report_json.c). Every string here is a
 * cleaned copy (valid UTF-8, no control characters but tab and newline), owned by the facts. */
#ifndef CG_REPORT_INT_H
#define CG_REPORT_INT_H

#include <jansson.h>

#include "childguard/report.h"

#define CG__REPORT_MAX_HASHES 4
/* The largest draft returned, and the largest additionalInfo text. */
#define CG__REPORT_MAX_BYTES (1u << 20)
#define CG__REPORT_MAX_INFO (256u << 10)
/* Lists read from a verdict are cut after this many entries (the text says how many more). */
#define CG__REPORT_MAX_LIST 200

typedef struct cg__report_hash {
    const char *type;  /* "MD5", "SHA256", "PDQ" (the hashType attribute) */
    char hex[65];      /* lowercase hex */
} cg__report_hash;

typedef struct cg__report_facts {
    const cg_review_item *item;   /* borrowed */
    json_t *verdict;              /* owned, always an object */
    /* cleaned copies of the item's text fields */
    char *content_id, *kind, *label, *reviewer, *note;
    /* what fits the item (cg_report_advise) */
    cg_report_advice advice;
    /* incident */
    const char *incident_type;    /* a CyberTipline incident type (static or an option copy);
                                   * NULL when none fits (JSON and referral drafts only) */
    char *incident_type_opt;
    char *escalate;
    char date_time[32];           /* xs:dateTime in UTC */
    const char *date_time_source; /* "message", "scanned", "queued", "drafted" */
    char generated_at[32];
    int text_only;                /* no file hashes: a conversation report */
    int has_text;                 /* the verdict has a text part */
    /* where, who */
    char *url, *service, *conversation, *message_id, *sender, *recipient, *alert;
    char *reporter_name, *reporter_first, *reporter_last, *reporter_email, *organization;
    char *country;
    /* the file */
    cg__report_hash hashes[CG__REPORT_MAX_HASHES];
    size_t n_hashes;
    int pdq_quality;              /* -1 unknown */
    char *file_name;
    /* free text: the report's additionalInfo and the file's */
    char *summary;
    char *file_info;
} cg__report_facts;

/* Gathers the facts for a draft in fmt. verdict_json NULL or "" is {}. */
cg_status cg__report_facts_init(cg__report_facts *f, const cg_review_item *item,
                                const char *verdict_json, cg_report_format fmt,
                                const cg_report_options *opt, cg_error *err);
void cg__report_facts_fini(cg__report_facts *f);

/* A cleaned, cg__malloc'd copy of n bytes of s: invalid UTF-8 and control characters other than
 * tab and newline become U+FFFD. NULL on allocation failure. */
char *cg__report_clean(const char *s, size_t n);
/* 1 when s is valid UTF-8 without control characters other than tab and newline. */
int cg__report_text_ok(const char *s);

/* The writers: *out is cg__malloc'd, NUL-terminated. */
cg_status cg__report_write_xml(const cg__report_facts *f, char **out, size_t *len,
                               cg_error *err);
cg_status cg__report_write_json(const cg__report_facts *f, char **out, size_t *len,
                                cg_error *err);
cg_status cg__report_write_referral(const cg__report_facts *f, char **out, size_t *len,
                                    cg_error *err);

#endif
