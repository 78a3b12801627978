/* Writing a CyberTipline report draft as XML with libxml2's tree API.
 *
 * Element order follows NCMEC's CyberTipline Reporting API documentation for `report`
 * (incidentSummary, internetDetails, reporter, personOrUserReported, intendedRecipient, victim,
 * additionalInfo), then the draft-only `uploadedFiles` (data/report/cybertipline-draft.xsd says
 * why). Text goes in through xmlNewTextChild, which escapes it, never by pasting strings; the
 * facts hold only cleaned UTF-8, so every value is a legal XML character sequence. */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_int.h"

#define X(s) ((const xmlChar *)(s))

static const char draft_comment[] =
    " DRAFT for human review, prepared by childguard. Nothing has been sent: check and complete "
    "it, then submit it through the CyberTipline yourself. Schema: cybertipline-draft.xsd "
    "(childguard's, from NCMEC's public documentation; uploadedFiles is draft-only). ";

/* Adds <name>text</name> under parent when text is non-empty; 0 on allocation failure. */
static int add_text(xmlNodePtr parent, const char *name, const char *text)
{
    if (text == NULL || *text == '\0')
        return 1;
    return xmlNewTextChild(parent, NULL, X(name), X(text)) != NULL;
}

static xmlNodePtr add_node(xmlNodePtr parent, const char *name)
{
    return xmlNewChild(parent, NULL, X(name), NULL);
}

static int add_incident_summary(xmlNodePtr root, const cg__report_facts *f)
{
    xmlNodePtr s = add_node(root, "incidentSummary");
    char desc[128];

    if (s == NULL)
        return 0;
    snprintf(desc, sizeof(desc), "%s",
             strcmp(f->date_time_source, "message") == 0   ? "time the message was sent"
             : strcmp(f->date_time_source, "scanned") == 0 ? "time childguard scanned the content"
             : strcmp(f->date_time_source, "queued") == 0
                 ? "time the content was queued for review"
                 : "time the draft was made (no earlier time known)");
    return add_text(s, "incidentType", f->incident_type) &&
           add_text(s, "escalateToHighPriority", f->escalate) &&
           add_text(s, "incidentDateTime", f->date_time) &&
           add_text(s, "incidentDateTimeDescription", desc);
}

static int add_internet_details(xmlNodePtr root, const cg__report_facts *f)
{
    if (f->url != NULL) {
        xmlNodePtr d = add_node(root, "internetDetails");
        xmlNodePtr w = d != NULL ? add_node(d, "webPageIncident") : NULL;

        if (w == NULL || !add_text(w, "url", f->url))
            return 0;
    }
    if (f->has_text) {
        xmlNodePtr d = add_node(root, "internetDetails");
        xmlNodePtr c = d != NULL ? add_node(d, "chatImIncident") : NULL;
        char info[600];

        if (c == NULL || !add_text(c, "chatClient", f->service))
            return 0;
        info[0] = '\0';
        if (f->conversation != NULL || f->message_id != NULL) {
            /* Ids in the reporting service's own system, never the conversation's text. */
            snprintf(info, sizeof(info), "conversation id \"%s\", message id \"%s\" (ids in the "
                                         "reporting service; message text is not included)",
                     f->conversation ? f->conversation : "", f->message_id ? f->message_id : "");
        }
        if (!add_text(c, "additionalInfo", info))
            return 0;
    }
    return 1;
}

static int add_reporter(xmlNodePtr root, const cg__report_facts *f)
{
    xmlNodePtr r = add_node(root, "reporter");
    xmlNodePtr p = r != NULL ? add_node(r, "reportingPerson") : NULL;

    return p != NULL && add_text(p, "firstName", f->reporter_first) &&
           add_text(p, "lastName", f->reporter_last) && add_text(p, "email", f->reporter_email) &&
           add_text(r, "companyTemplate", f->organization);
}

static int add_party(xmlNodePtr root, const char *element, const char *id, const char *service,
                     const char *info)
{
    xmlNodePtr p;

    if (id == NULL)
        return 1;
    p = add_node(root, element);
    return p != NULL && add_text(p, "espIdentifier", id) && add_text(p, "espService", service) &&
           add_text(p, "additionalInfo", info);
}

static int add_file(xmlNodePtr root, const cg__report_facts *f)
{
    xmlNodePtr files, fd;

    if (f->n_hashes == 0)
        return 1;
    files = add_node(root, "uploadedFiles");
    fd = files != NULL ? add_node(files, "fileDetails") : NULL;
    if (fd == NULL || !add_text(fd, "originalFileName", f->file_name) ||
        !add_text(fd, "locationOfFile", f->url))
        return 0;
    for (size_t i = 0; i < f->n_hashes; i++) {
        xmlNodePtr h = xmlNewTextChild(fd, NULL, X("originalFileHash"), X(f->hashes[i].hex));

        if (h == NULL || xmlNewProp(h, X("hashType"), X(f->hashes[i].type)) == NULL)
            return 0;
    }
    if (f->pdq_quality >= 0) {
        xmlNodePtr d = add_node(fd, "details");
        xmlNodePtr nv = d != NULL ? add_node(d, "nameValuePair") : NULL;
        char q[16];

        snprintf(q, sizeof(q), "%d", f->pdq_quality);
        if (nv == NULL || xmlNewProp(d, X("type"), X("HASH")) == NULL ||
            !add_text(nv, "name", "PDQ quality") || !add_text(nv, "value", q))
            return 0;
    }
    return add_text(fd, "additionalInfo", f->file_info);
}

cg_status cg__report_write_xml(const cg__report_facts *f, char **out, size_t *len, cg_error *err)
{
    xmlDocPtr doc = xmlNewDoc(X("1.0"));
    xmlNodePtr root = NULL, comment;
    xmlChar *mem = NULL;
    int mem_len = 0;
    int enticement = strcmp(f->incident_type, CG_REPORT_INCIDENT_ENTICEMENT) == 0;
    cg_status st = CG_E_NOMEM;

    *out = NULL;
    *len = 0;
    if (doc == NULL)
        goto fail;
    comment = xmlNewDocComment(doc, X(draft_comment));
    root = xmlNewDocNode(doc, NULL, X("report"), NULL);
    if (comment == NULL || root == NULL) {
        xmlFreeNode(comment);
        xmlFreeNode(root);
        goto fail;
    }
    xmlAddChild((xmlNodePtr)doc, comment);
    xmlDocSetRootElement(doc, root);
    /* In an enticement report the other party of the conversation is the child: a victim. */
    if (!add_incident_summary(root, f) || !add_internet_details(root, f) ||
        !add_reporter(root, f) ||
        !add_party(root, "personOrUserReported", f->sender, f->organization,
                   "the sender of the reported content") ||
        !add_party(root, enticement ? "victim" : "intendedRecipient", f->recipient,
                   f->organization, "the recipient of the reported content") ||
        !add_text(root, "additionalInfo", f->summary) || !add_file(root, f))
        goto fail;

    xmlDocDumpFormatMemoryEnc(doc, &mem, &mem_len, "UTF-8", 1);
    if (mem == NULL || mem_len <= 0)
        goto fail;
    if ((size_t)mem_len > CG__REPORT_MAX_BYTES) {
        st = cg__fail(err, CG_E_LIMIT, "report: the draft exceeds %u bytes",
                      CG__REPORT_MAX_BYTES);
        goto done;
    }
    *out = cg__malloc((size_t)mem_len + 1);
    if (*out == NULL)
        goto fail;
    memcpy(*out, mem, (size_t)mem_len);
    (*out)[mem_len] = '\0';
    *len = (size_t)mem_len;
    st = CG_OK;
    goto done;
fail:
    st = cg__fail(err, CG_E_NOMEM, "report: out of memory building the XML draft");
done:
    xmlFree(mem);
    xmlFreeDoc(doc);
    return st;
}
