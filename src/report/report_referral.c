/* Writing a referral note (report.h, CG_REPORT_REFERRAL): plain text for the service a harm
 * belongs to when it is not a hotline matter (a school for bullying, a helpline for a child at
 * risk of self-harm). A note says who it is for, what was found and when, with ids, scores and
 * evidence spans as the other drafts do, never message text; a person reads it, completes it
 * and passes it on. docs/report.md shows one. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_int.h"

/* A growing text with the first failure kept: appends after a failure do nothing. */
typedef struct note {
    char *p;
    size_t used, cap;
    cg_status st;
} note;

/* Appends a, b and c (NULL: nothing). */
static void put(note *n, const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};

    for (int i = 0; i < 3 && n->st == CG_OK; i++) {
        size_t k = parts[i] != NULL ? strlen(parts[i]) : 0;

        if (k == 0)
            continue;
        if (n->used + k + 1 > CG__REPORT_MAX_BYTES) {
            n->st = CG_E_LIMIT;
            return;
        }
        if (n->used + k + 1 > n->cap) {
            size_t nc = n->cap ? n->cap : 2048;
            char *q;

            while (nc < n->used + k + 1)
                nc *= 2;
            q = cg__realloc(n->p, nc);
            if (q == NULL) {
                n->st = CG_E_NOMEM;
                return;
            }
            n->p = q;
            n->cap = nc;
        }
        memcpy(n->p + n->used, parts[i], k);
        n->used += k;
        n->p[n->used] = '\0';
    }
}

cg_status cg__report_write_referral(const cg__report_facts *f, char **out, size_t *len,
                                    cg_error *err)
{
    const char *harm = f->advice.harm[0] != '\0' ? f->advice.harm : "(no label)";
    note n = {NULL, 0, 0, CG_OK};

    *out = NULL;
    *len = 0;
    put(&n, "REFERRAL NOTE - a draft prepared by childguard for a person to check and pass on; "
            "nothing has been sent.\n", NULL, NULL);
    put(&n, "For: ", f->advice.refer_to, ".\n");
    put(&n, "About: ", harm, NULL);
    if (f->incident_type != NULL)
        put(&n, " (CyberTipline incident type: ", f->incident_type, ")");
    put(&n, ".\nWhen: ", f->date_time, NULL);
    put(&n, " (", f->date_time_source, ").\n");
    if (f->has_text) {
        put(&n, "Where: ", f->service != NULL ? f->service : "a chat", NULL);
        if (f->conversation != NULL)
            put(&n, ", conversation \"", f->conversation, "\"");
        if (f->message_id != NULL)
            put(&n, ", message \"", f->message_id, "\"");
        put(&n, " (ids in that service; message text is not included).\n", NULL, NULL);
        if (f->sender != NULL)
            put(&n, "Sender: \"", f->sender, "\".\n");
        if (f->recipient != NULL)
            put(&n, "Recipient: \"", f->recipient, "\".\n");
    }
    if (f->url != NULL)
        put(&n, "Seen at: ", f->url, ".\n");
    if (f->reporter_name != NULL || f->reporter_email != NULL || f->organization != NULL) {
        const char *sep = "";

        put(&n, "From: ", NULL, NULL);
        if (f->reporter_name != NULL) {
            put(&n, f->reporter_name, NULL, NULL);
            sep = " ";
        }
        if (f->reporter_email != NULL) {
            put(&n, sep, "<", f->reporter_email);
            put(&n, ">", NULL, NULL);
            sep = ", ";
        }
        if (f->organization != NULL)
            put(&n, *sep != '\0' ? ", " : "", f->organization, NULL);
        put(&n, ".\n", NULL, NULL);
    }
    put(&n, "\nWhat childguard found:\n", f->summary, "\n");
    if (n.st != CG_OK) {
        cg__free(n.p);
        if (n.st == CG_E_LIMIT)
            return cg__fail(err, CG_E_LIMIT, "report: the referral note exceeds %u bytes",
                            CG__REPORT_MAX_BYTES);
        return cg__fail(err, CG_E_NOMEM, "report: out of memory writing the referral note");
    }
    *out = n.p;
    *len = n.used;
    return CG_OK;
}
