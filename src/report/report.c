/* Report drafts: the public entry points, the schema's location and XML Schema validation.
 *
 * Every XML draft is validated against data/report/cybertipline-draft.xsd before it is handed
 * out: the schema is the contract a person (or a later sender) relies on, and checking each
 * draft catches a writer bug before a malformed report reaches a hotline. The schema is parsed
 * per call (a few hundred microseconds): drafts are made one at a time by a person, and no
 * parsed schema has to be shared between threads. libxml2 is told never to print (errors are
 * collected into the cg_error), never to expand entities and never to use the network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_int.h"

#define SCHEMA_FILE "report/cybertipline-draft.xsd"

static const char *const format_names[] = {"ncmec-xml", "json", "referral"};

const char *cg_report_format_name(cg_report_format f)
{
    if ((unsigned)f >= sizeof(format_names) / sizeof(format_names[0]))
        return NULL;
    return format_names[f];
}

int cg_report_format_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(format_names) / sizeof(format_names[0]); i++)
        if (strcmp(name, format_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *cg_report_schema_path(void)
{
    static _Thread_local char buf[4096];
    const char *env = getenv("CHILDGUARD_DATA");
    struct stat sb;

    if (env != NULL && *env != '\0') {
        snprintf(buf, sizeof(buf), "%s/%s", env, SCHEMA_FILE);
        return buf;
    }
    snprintf(buf, sizeof(buf), "%s/%s", CG_DEFAULT_DATA_DIR, SCHEMA_FILE);
    if (stat(buf, &sb) == 0)
        return buf;
    snprintf(buf, sizeof(buf), "%s/%s", CG_SOURCE_DATA_DIR, SCHEMA_FILE);
    return buf;
}

/* ---- validation ----------------------------------------------------------------------------- */

static once_flag xml_once = ONCE_FLAG_INIT;

/* libxml2 2.9 wants xmlInitParser called once before threads use it. */
static void xml_init(void)
{
    xmlInitParser();
}

/* Collects the first error libxml2 reports, instead of letting it print. */
typedef struct first_error {
    int have;
    char text[200];
    int line;
} first_error;

static void collect_error(void *ud, xmlErrorPtr e)
{
    first_error *fe = ud;
    size_t n;

    if (fe->have || e == NULL || e->level < XML_ERR_ERROR)
        return;
    fe->have = 1;
    fe->line = e->line;
    snprintf(fe->text, sizeof(fe->text), "%s", e->message != NULL ? e->message : "error");
    n = strlen(fe->text);
    while (n > 0 && (fe->text[n - 1] == '\n' || fe->text[n - 1] == ' '))
        fe->text[--n] = '\0';
}

/* Parses XML text without entity expansion, network access or printing. */
static xmlDocPtr read_xml(const char *what, const char *xml, size_t len, const char *path,
                          cg_status bad_status, cg_error *err, cg_status *st)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc;

    *st = CG_OK;
    if (ctxt == NULL) {
        *st = cg__fail(err, CG_E_NOMEM, "report: out of memory");
        return NULL;
    }
    if (path != NULL)
        doc = xmlCtxtReadFile(ctxt, path, NULL, opts);
    else if (len > (size_t)INT32_MAX)
        doc = NULL;
    else
        doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "draft.xml", NULL, opts);
    if (doc == NULL) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        char msg[200];
        size_t n;

        snprintf(msg, sizeof(msg), "%s", e != NULL && e->message ? e->message : "not XML");
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        *st = cg__fail(err, bad_status, "%s: line %d: %s", what, e != NULL ? e->line : 0, msg);
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* Reads and compiles the schema. *sdoc_out receives the schema document, which the caller frees
 * after the schema (a parser context made from a document leaves it to its owner). */
static cg_status load_schema(const char *path, xmlDocPtr *sdoc_out, xmlSchemaPtr *out,
                             cg_error *err)
{
    xmlSchemaParserCtxtPtr pctxt = NULL;
    xmlDocPtr sdoc;
    first_error fe = {0};
    struct stat sb;
    cg_status st;

    *out = NULL;
    *sdoc_out = NULL;
    if (stat(path, &sb) != 0)
        return cg__fail(err, CG_E_NOTFOUND, "report schema %s: not found (set CHILDGUARD_DATA?)",
                        path);
    sdoc = read_xml(path, NULL, 0, path, CG_E_INVAL, err, &st);
    if (sdoc == NULL)
        return st;
    pctxt = xmlSchemaNewDocParserCtxt(sdoc);
    if (pctxt == NULL) {
        xmlFreeDoc(sdoc);
        return cg__fail(err, CG_E_NOMEM, "report: out of memory");
    }
    xmlSchemaSetParserStructuredErrors(pctxt, collect_error, &fe);
    *out = xmlSchemaParse(pctxt);
    xmlSchemaFreeParserCtxt(pctxt);
    if (*out == NULL) {
        xmlFreeDoc(sdoc);
        return cg__fail(err, CG_E_INVAL, "report schema %s: %s", path,
                        fe.have ? fe.text : "not a usable XML Schema");
    }
    *sdoc_out = sdoc;
    return CG_OK;
}

cg_status cg_report_validate_xml(const char *xml, size_t len, const char *xsd_path,
                                 cg_error *err)
{
    xmlSchemaPtr schema = NULL;
    xmlSchemaValidCtxtPtr vctxt = NULL;
    xmlDocPtr doc = NULL, sdoc = NULL;
    first_error fe = {0};
    cg_status st;
    int rc;

    if (xml == NULL)
        return cg__fail(err, CG_E_INVAL, "report validate: no XML given");
    call_once(&xml_once, xml_init);
    st = load_schema(xsd_path != NULL ? xsd_path : cg_report_schema_path(), &sdoc, &schema,
                     err);
    if (st != CG_OK)
        return st;
    doc = read_xml("report draft", xml, len, NULL, CG_E_DECODE, err, &st);
    if (doc == NULL)
        goto done;
    /* A draft has no DTD: entities would be left unexpanded (we never expand them), which the
     * schema validator cannot judge, and a DOCTYPE has no business in a hotline report. */
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        st = cg__fail(err, CG_E_DECODE, "report draft: a DOCTYPE (DTD, entities) is not allowed");
        goto done;
    }
    vctxt = xmlSchemaNewValidCtxt(schema);
    if (vctxt == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "report: out of memory");
        goto done;
    }
    xmlSchemaSetValidStructuredErrors(vctxt, collect_error, &fe);
    rc = xmlSchemaValidateDoc(vctxt, doc);
    if (rc > 0 || (rc == 0 && fe.have))
        st = cg__fail(err, CG_E_DECODE, "report draft: line %d: %s", fe.line,
                      fe.have ? fe.text : "does not match the schema");
    else if (rc < 0)
        st = cg__fail(err, CG_E_BACKEND, "report draft: the validator failed (libxml2 error %d)",
                      rc);
done:
    xmlSchemaFreeValidCtxt(vctxt);
    xmlFreeDoc(doc);
    xmlSchemaFree(schema);
    xmlFreeDoc(sdoc);
    return st;
}

/* ---- drafts ------------------------------------------------------------------------------- */

cg_status cg_report_draft(const cg_review_item *item, const char *verdict_json,
                          cg_report_format fmt, const cg_report_options *opt, char **out,
                          size_t *len, cg_error *err)
{
    cg__report_facts f;
    cg_status st;

    if (out != NULL)
        *out = NULL;
    if (len != NULL)
        *len = 0;
    if (item == NULL || out == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_report_draft: item, out and len are required");
    if (cg_report_format_name(fmt) == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_report_draft: unknown format %d", (int)fmt);
    /* The same advice every front end shows: no draft for what should not be drafted. */
    {
        cg_report_advice adv;

        cg_report_advise(item, fmt, opt, &adv);
        if (adv.kind == CG_REPORT_ADVICE_REFUSE)
            return cg__fail(err,
                            item->state == CG_REVIEW_FALSE_POSITIVE && !(opt != NULL && opt->force)
                                ? CG_E_INVAL
                                : CG_E_UNSUPPORTED,
                            "%s", adv.message);
    }
    st = cg__report_facts_init(&f, item, verdict_json, fmt, opt, err);
    if (st != CG_OK)
        return st;
    if (fmt == CG_REPORT_JSON) {
        st = cg__report_write_json(&f, out, len, err);
    } else if (fmt == CG_REPORT_REFERRAL) {
        st = cg__report_write_referral(&f, out, len, err);
    } else {
        st = cg__report_write_xml(&f, out, len, err);
        if (st == CG_OK) {
            st = cg_report_validate_xml(*out, *len, NULL, err);
            if (st != CG_OK) {
                cg__free(*out);
                *out = NULL;
                *len = 0;
            }
        }
    }
    cg__report_facts_fini(&f);
    return st;
}
