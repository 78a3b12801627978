/* Report drafts (report.h): an image item with MD5/SHA-256/PDQ and matches, and a text-only
 * grooming item, drafted as CyberTipline XML (validated against the shipped XSD, elements in
 * the documented order) and as JSON; hostile strings are escaped, bad options are refused, text
 * the verdict carries is never copied, broken XML fails validation with a clear message, and
 * every allocation failure is clean. */
#include "cg_test.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "childguard/report.h"
#include "childguard/review.h"
#include "childguard/signal.h"
#include "common/alloc.h"

#define XSD CG_SOURCE_DATA_DIR "/report/cybertipline-draft.xsd"
#define DEFAULT_NOT_XSD CG_SOURCE_DATA_DIR "/policy/default.json"

#define MD5_HEX "0123456789abcdef0123456789abcdef"
#define SHA_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define PDQ_HEX "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

static const char image_verdict[] =
    "{\"content_id\": \"sha256:" SHA_HEX "\", \"kind\": \"image\", \"name\": \"holiday.jpg\","
    " \"signals\": {\"pdq\": \"" PDQ_HEX "\", \"pdq_quality\": 90, \"md5\": \"" MD5_HEX "\","
    " \"sha256\": \"" SHA_HEX "\"},"
    " \"matches\": [{\"bank\": \"ncmec-hashes\", \"label\": \"csam\", \"signal_type\": \"pdq\","
    " \"distance\": 3, \"external_id\": \"NC-123\"}],"
    " \"decision\": {\"actions\": [\"block\", \"queue_review\"],"
    " \"fired\": [{\"id\": \"csam-block\", \"why\": \"matched a csam bank\"}]},"
    " \"scanned_at\": \"2026-11-29T10:00:00Z\"}";

static const char text_verdict[] =
    "{\"content_id\": \"msg:conv-7/m-42\", \"kind\": \"message\","
    " \"text\": {\"conversation\": \"conv-7\", \"message_id\": \"m-42\", \"sender\": \"user-991\","
    " \"recipient\": \"user-12\", \"ts_ms\": 1795946400000, \"alert\": \"alert\","
    " \"content\": \"SECRET MESSAGE TEXT\","
    " \"risk\": {\"grooming\": 0.8, \"sextortion\": 0.1},"
    " \"evidence\": [{\"message_id\": \"m-42\", \"harm\": \"grooming\", \"facet\": \"meeting\","
    " \"cue\": \"meet_in_person\", \"start\": 10, \"end\": 25, \"weight\": 0.5,"
    " \"text\": \"SECRET SPAN TEXT\"}]},"
    " \"decision\": {\"fired\": [{\"id\": \"grooming-alert\", \"why\": \"grooming risk 0.80\"}]},"
    " \"scanned_at\": \"2026-11-29T10:00:00Z\"}";

static void add_signal(cg_review_item *it, const char *type, const char *hex, int quality)
{
    const cg_signal_type *t = cg_signal_type_find(type);
    cg_review_signal *s = &it->signals[it->n_signals++];

    CG_ASSERT(t != NULL);
    s->type = t;
    CG_ASSERT_OK(t->parse(hex, strlen(hex), s->value), NULL);
    s->quality = quality;
}

static cg_review_item image_item(void)
{
    cg_review_item it;

    memset(&it, 0, sizeof(it));
    it.id = 17;
    snprintf(it.content_id, sizeof(it.content_id), "sha256:%s", SHA_HEX);
    snprintf(it.kind, sizeof(it.kind), "image");
    snprintf(it.label, sizeof(it.label), "csam");
    it.priority = 3;
    snprintf(it.reason, sizeof(it.reason), "csam-block");
    it.state = CG_REVIEW_CONFIRMED;
    snprintf(it.reviewer, sizeof(it.reviewer), "alice");
    snprintf(it.note, sizeof(it.note), "confirmed by hash and visual check");
    it.created = 1795946000;
    add_signal(&it, "pdq", PDQ_HEX, 90);
    add_signal(&it, "md5", MD5_HEX, -1);
    add_signal(&it, "sha256", SHA_HEX, -1);
    return it;
}

static cg_review_item text_item(void)
{
    cg_review_item it;

    memset(&it, 0, sizeof(it));
    it.id = 23;
    snprintf(it.content_id, sizeof(it.content_id), "msg:conv-7/m-42");
    snprintf(it.kind, sizeof(it.kind), "message");
    snprintf(it.label, sizeof(it.label), "grooming");
    it.priority = 2;
    it.state = CG_REVIEW_ESCALATED;
    it.created = 1795946500;
    return it;
}

static const cg_report_options reporter = {
    .reporter_name = "Ada King Lovelace",
    .reporter_email = "safety@example.org",
    .organization = "Example Chat Ltd",
    .country = "GB",
    .now = 1795950000,
};

static char *draft(const cg_review_item *it, const char *verdict, cg_report_format fmt,
                   const cg_report_options *opt, size_t *len)
{
    char *out = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_report_draft(it, verdict, fmt, opt, &out, len, &err), &err);
    CG_ASSERT(out != NULL);
    CG_ASSERT_EQ(strlen(out), *len);
    return out;
}

/* The element names of node's element children, joined with commas. */
static const char *children(xmlNodePtr node)
{
    static char buf[1024];
    size_t used = 0;

    buf[0] = '\0';
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "," : "",
                                     (const char *)c->name);
    return buf;
}

static xmlNodePtr child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    cg_test_fail(__FILE__, __LINE__, "no <%s> under <%s>", name, (const char *)node->name);
}

/* The text of the element at a slash-separated path under node. */
static const char *text_at(xmlNodePtr node, const char *path)
{
    static char buf[8192];
    char p[256], *save = NULL;
    xmlChar *t;

    snprintf(p, sizeof(p), "%s", path);
    for (char *seg = strtok_r(p, "/", &save); seg != NULL; seg = strtok_r(NULL, "/", &save))
        node = child(node, seg);
    t = xmlNodeGetContent(node);
    snprintf(buf, sizeof(buf), "%s", t != NULL ? (const char *)t : "");
    xmlFree(t);
    return buf;
}

static xmlDocPtr parse(const char *xml, size_t len)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "draft.xml", NULL, XML_PARSE_NONET);
    CG_ASSERT(doc != NULL);
    return doc;
}

CG_TEST(report_xml_image_validates_in_order)
{
    cg_review_item it = image_item();
    size_t len;
    char *xml = draft(&it, image_verdict, CG_REPORT_NCMEC_XML, &reporter, &len);
    cg_error err;
    xmlDocPtr doc;
    xmlNodePtr root, fd;
    const char *hash_types[3] = {"MD5", "SHA256", "PDQ"};
    const char *hash_values[3] = {MD5_HEX, SHA_HEX, PDQ_HEX};
    int i = 0;

    CG_ASSERT_OK(cg_report_validate_xml(xml, len, XSD, &err), &err);
    CG_ASSERT_OK(cg_report_validate_xml(xml, len, NULL, &err), &err);
    CG_ASSERT(strstr(xml, "<!-- DRAFT for human review") != NULL);
    CG_ASSERT(strstr(xml, "Nothing has been sent") != NULL);
    doc = parse(xml, len);
    root = xmlDocGetRootElement(doc);
    CG_ASSERT_STR_EQ((const char *)root->name, "report");
    CG_ASSERT_STR_EQ(children(root), "incidentSummary,reporter,additionalInfo,uploadedFiles");
    CG_ASSERT_STR_EQ(children(child(root, "incidentSummary")),
                     "incidentType,incidentDateTime,incidentDateTimeDescription");
    CG_ASSERT_STR_EQ(text_at(root, "incidentSummary/incidentType"), CG_REPORT_INCIDENT_CSAM);
    CG_ASSERT_STR_EQ(text_at(root, "incidentSummary/incidentDateTime"), "2026-11-29T10:00:00Z");
    CG_ASSERT_STR_EQ(text_at(root, "reporter/reportingPerson/firstName"), "Ada King");
    CG_ASSERT_STR_EQ(text_at(root, "reporter/reportingPerson/lastName"), "Lovelace");
    CG_ASSERT_STR_EQ(text_at(root, "reporter/reportingPerson/email"), "safety@example.org");
    CG_ASSERT_STR_EQ(text_at(root, "reporter/companyTemplate"), "Example Chat Ltd");
    CG_ASSERT(strstr(text_at(root, "additionalInfo"), "- csam-block: matched a csam bank") !=
              NULL);
    CG_ASSERT(strstr(text_at(root, "additionalInfo"), "external id \"NC-123\"") != NULL);
    CG_ASSERT(strstr(text_at(root, "additionalInfo"), "note: confirmed by hash") != NULL);
    fd = child(child(root, "uploadedFiles"), "fileDetails");
    CG_ASSERT_STR_EQ(children(fd), "originalFileName,originalFileHash,originalFileHash,"
                                   "originalFileHash,details,additionalInfo");
    CG_ASSERT_STR_EQ(text_at(fd, "originalFileName"), "holiday.jpg");
    for (xmlNodePtr c = fd->children; c != NULL; c = c->next) {
        xmlChar *type, *value;

        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "originalFileHash"))
            continue;
        CG_ASSERT_LT(i, 3);
        type = xmlGetProp(c, (const xmlChar *)"hashType");
        value = xmlNodeGetContent(c);
        CG_ASSERT_STR_EQ((const char *)type, hash_types[i]);
        CG_ASSERT_STR_EQ((const char *)value, hash_values[i]);
        xmlFree(type);
        xmlFree(value);
        i++;
    }
    CG_ASSERT_EQ(i, 3);
    CG_ASSERT_STR_EQ(text_at(fd, "details/nameValuePair/value"), "90");
    xmlFreeDoc(doc);
    cg_free(xml);
}

CG_TEST(report_xml_text_only_enticement)
{
    cg_review_item it = text_item();
    cg_report_options opt = reporter;
    size_t len;
    char *xml;
    cg_error err;
    xmlDocPtr doc;
    xmlNodePtr root;
    const char *info;

    opt.service = "Example Chat";
    xml = draft(&it, text_verdict, CG_REPORT_NCMEC_XML, &opt, &len);
    CG_ASSERT_OK(cg_report_validate_xml(xml, len, XSD, &err), &err);
    doc = parse(xml, len);
    root = xmlDocGetRootElement(doc);
    CG_ASSERT_STR_EQ(children(root),
                     "incidentSummary,internetDetails,reporter,personOrUserReported,victim,"
                     "additionalInfo");
    CG_ASSERT_STR_EQ(text_at(root, "incidentSummary/incidentType"),
                     CG_REPORT_INCIDENT_ENTICEMENT);
    /* ts_ms is the message's time, preferred over scanned_at (same instant here). */
    CG_ASSERT_STR_EQ(text_at(root, "incidentSummary/incidentDateTime"), "2026-11-29T10:00:00Z");
    CG_ASSERT_STR_EQ(text_at(root, "internetDetails/chatImIncident/chatClient"), "Example Chat");
    CG_ASSERT_STR_EQ(text_at(root, "personOrUserReported/espIdentifier"), "user-991");
    CG_ASSERT_STR_EQ(text_at(root, "personOrUserReported/espService"), "Example Chat Ltd");
    CG_ASSERT_STR_EQ(text_at(root, "victim/espIdentifier"), "user-12");
    info = text_at(root, "additionalInfo");
    CG_ASSERT(strstr(info, "grooming/meeting, cue \"meet_in_person\", span [10, 25)") != NULL);
    CG_ASSERT(strstr(info, "grooming 0.80") != NULL);
    CG_ASSERT(strstr(info, "- grooming-alert: grooming risk 0.80") != NULL);
    /* Message text the verdict happens to carry never reaches a draft. */
    CG_ASSERT(strstr(xml, "SECRET") == NULL);
    xmlFreeDoc(doc);
    cg_free(xml);
}

CG_TEST(report_xml_escapes_hostile_strings)
{
    cg_review_item it = image_item();
    cg_report_options opt = reporter;
    static const char hostile[] = "</firstName><x a=\"1\">&amp; 'q' <![CDATA[ ]]> &#0;";
    static const char verdict[] =
        "{\"name\": \"</originalFileName><evil/>&\\\"x\\\".jpg\","
        " \"matches\": [{\"bank\": \"b<&>\\\"'\", \"label\": \"csam\"}]}";
    size_t len;
    char *xml;
    cg_error err;
    xmlDocPtr doc;
    xmlNodePtr root;

    opt.reporter_name = hostile;
    opt.organization = "A & B <C> \"D\"";
    snprintf(it.note, sizeof(it.note), "note with \x01 control and \xff\xfe bad bytes & <tag>");
    xml = draft(&it, verdict, CG_REPORT_NCMEC_XML, &opt, &len);
    CG_ASSERT_OK(cg_report_validate_xml(xml, len, XSD, &err), &err);
    CG_ASSERT(strstr(xml, "<evil/>") == NULL);
    CG_ASSERT(strstr(xml, "<x a=") == NULL);
    doc = parse(xml, len);
    root = xmlDocGetRootElement(doc);
    /* The last space splits the name: everything round-trips as text. */
    CG_ASSERT_STR_EQ(text_at(root, "reporter/reportingPerson/lastName"), "&#0;");
    CG_ASSERT_STR_EQ(text_at(root, "reporter/reportingPerson/firstName"),
                     "</firstName><x a=\"1\">&amp; 'q' <![CDATA[ ]]>");
    CG_ASSERT_STR_EQ(text_at(root, "reporter/companyTemplate"), "A & B <C> \"D\"");
    CG_ASSERT_STR_EQ(text_at(root, "uploadedFiles/fileDetails/originalFileName"),
                     "</originalFileName><evil/>&\"x\".jpg");
    /* Stored text that is not clean UTF-8 is kept, with U+FFFD for the bad parts. */
    CG_ASSERT(strstr(text_at(root, "additionalInfo"),
                     "note with \xEF\xBF\xBD control and \xEF\xBF\xBD\xEF\xBF\xBD bad bytes & "
                     "<tag>") != NULL);
    xmlFreeDoc(doc);
    cg_free(xml);
}

CG_TEST(report_bad_options_are_errors)
{
    cg_review_item it = image_item();
    cg_report_options opt = reporter;
    char *out = (char *)1;
    size_t len = 99;
    cg_error err;

    opt.reporter_name = "bad \xff\xfe name";
    CG_ASSERT_EQ(cg_report_draft(&it, image_verdict, CG_REPORT_NCMEC_XML, &opt, &out, &len, &err),
                 CG_E_INVAL);
    CG_ASSERT(out == NULL);
    CG_ASSERT_EQ(len, 0);
    CG_ASSERT(strstr(err.message, "reporter name") != NULL);

    opt = reporter;
    opt.reporter_email = "a\x01@example.org";
    CG_ASSERT_EQ(cg_report_draft(&it, image_verdict, CG_REPORT_JSON, &opt, &out, &len, &err),
                 CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "reporter email") != NULL);

    opt = reporter;
    opt.incident_type = "Something Else";
    CG_ASSERT_EQ(cg_report_draft(&it, image_verdict, CG_REPORT_NCMEC_XML, &opt, &out, &len, &err),
                 CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "incident type") != NULL);

    CG_ASSERT_EQ(cg_report_draft(&it, "[1, 2]", CG_REPORT_NCMEC_XML, NULL, &out, &len, &err),
                 CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "not a JSON object") != NULL);
    CG_ASSERT_EQ(cg_report_draft(&it, "{bad", CG_REPORT_JSON, NULL, &out, &len, &err),
                 CG_E_INVAL);
    CG_ASSERT_EQ(cg_report_draft(&it, "{}", (cg_report_format)7, NULL, &out, &len, &err),
                 CG_E_INVAL);
}

CG_TEST(report_incident_type_override_and_empty_verdict)
{
    cg_review_item it = image_item();
    cg_report_options opt = {0};
    size_t len;
    char *xml;
    cg_error err;
    xmlDocPtr doc;

    /* No options, no verdict: the item's signals alone still give a valid draft. */
    xml = draft(&it, NULL, CG_REPORT_NCMEC_XML, NULL, &len);
    CG_ASSERT_OK(cg_report_validate_xml(xml, len, XSD, &err), &err);
    doc = parse(xml, len);
    /* The reporter stays empty for the person to fill in; the time is when it was queued. */
    CG_ASSERT_STR_EQ(children(child(xmlDocGetRootElement(doc), "reporter")), "reportingPerson");
    CG_ASSERT_STR_EQ(text_at(xmlDocGetRootElement(doc), "incidentSummary/incidentDateTime"),
                     "2026-11-29T09:53:20Z");
    xmlFreeDoc(doc);
    cg_free(xml);

    opt.incident_type = "Unsolicited Obscene Material Sent to a Child";
    opt.escalate = "the child is in contact with the sender now";
    opt.url = "https://example.org/p/1?a=1&b=2";
    xml = draft(&it, image_verdict, CG_REPORT_NCMEC_XML, &opt, &len);
    CG_ASSERT_OK(cg_report_validate_xml(xml, len, XSD, &err), &err);
    doc = parse(xml, len);
    CG_ASSERT_STR_EQ(text_at(xmlDocGetRootElement(doc), "incidentSummary/incidentType"),
                     "Unsolicited Obscene Material Sent to a Child");
    CG_ASSERT_STR_EQ(children(child(xmlDocGetRootElement(doc), "incidentSummary")),
                     "incidentType,escalateToHighPriority,incidentDateTime,"
                     "incidentDateTimeDescription");
    CG_ASSERT_STR_EQ(text_at(xmlDocGetRootElement(doc), "internetDetails/webPageIncident/url"),
                     "https://example.org/p/1?a=1&b=2");
    xmlFreeDoc(doc);
    cg_free(xml);
}

CG_TEST(report_json_fields)
{
    cg_review_item it = image_item();
    cg_review_item tt = text_item();
    size_t len;
    char *js = draft(&it, image_verdict, CG_REPORT_JSON, &reporter, &len);
    json_error_t jerr;
    json_t *root = json_loads(js, 0, &jerr), *hashes, *ev;

    CG_ASSERT(root != NULL);
    CG_ASSERT(json_is_true(json_object_get(root, "draft")));
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(root, "format")),
                     "childguard.report-draft/1");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(root, "incident"), "type")),
                     CG_REPORT_INCIDENT_CSAM);
    CG_ASSERT_EQ(json_integer_value(json_object_get(json_object_get(root, "review_item"), "id")),
                 17);
    CG_ASSERT_STR_EQ(
        json_string_value(json_object_get(json_object_get(root, "review_item"), "state")),
        "confirmed");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(root, "reporter"),
                                                       "country")),
                     "GB");
    hashes = json_object_get(json_array_get(json_object_get(root, "files"), 0), "hashes");
    CG_ASSERT_EQ(json_array_size(hashes), 3);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(hashes, 2), "type")),
                     "PDQ");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(hashes, 2), "value")),
                     PDQ_HEX);
    CG_ASSERT_EQ(json_integer_value(json_object_get(json_array_get(json_object_get(root, "matches"),
                                                                   0),
                                                    "distance")),
                 3);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(
                         json_array_get(json_object_get(root, "fired_rules"), 0), "id")),
                     "csam-block");
    json_decref(root);
    cg_free(js);

    js = draft(&tt, text_verdict, CG_REPORT_JSON, &reporter, &len);
    CG_ASSERT(strstr(js, "SECRET") == NULL);
    root = json_loads(js, 0, &jerr);
    CG_ASSERT(root != NULL);
    CG_ASSERT(json_is_true(json_object_get(json_object_get(root, "incident"), "text_only")));
    CG_ASSERT_EQ(json_array_size(json_object_get(root, "files")), 0);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(root, "reported_user"),
                                                       "id")),
                     "user-991");
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(
                         json_array_get(json_object_get(root, "victims"), 0), "id")),
                     "user-12");
    ev = json_array_get(json_object_get(json_object_get(root, "text"), "evidence"), 0);
    CG_ASSERT_STR_EQ(json_string_value(json_object_get(ev, "cue")), "meet_in_person");
    CG_ASSERT_EQ(json_integer_value(json_object_get(ev, "end")), 25);
    CG_ASSERT(json_object_get(ev, "text") == NULL);
    json_decref(root);
    cg_free(js);
}

CG_TEST(report_broken_xml_fails_validation)
{
    static const char misordered[] =
        "<?xml version=\"1.0\"?>\n<report>\n<reporter><reportingPerson/></reporter>\n"
        "<incidentSummary><incidentType>Child Sex Tourism</incidentType>"
        "<incidentDateTime>2026-11-29T10:00:00Z</incidentDateTime></incidentSummary>\n"
        "</report>\n";
    static const char bad_hash[] =
        "<report><incidentSummary><incidentType>Child Sex Tourism</incidentType>"
        "<incidentDateTime>2026-11-29T10:00:00Z</incidentDateTime></incidentSummary>"
        "<reporter><reportingPerson/></reporter><uploadedFiles><fileDetails>"
        "<originalFileHash hashType=\"CRC32\">abcd</originalFileHash>"
        "</fileDetails></uploadedFiles></report>";
    static const char not_xml[] = "<report><incidentSummary></report>";
    static const char entity[] =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
        "<report>&e;</report>";
    cg_error err;

    CG_ASSERT_EQ(cg_report_validate_xml(misordered, strlen(misordered), XSD, &err),
                 CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "line 3") != NULL);
    CG_ASSERT(strstr(err.message, "reporter") != NULL);
    CG_ASSERT_EQ(cg_report_validate_xml(bad_hash, strlen(bad_hash), XSD, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "hashType") != NULL);
    CG_ASSERT_EQ(cg_report_validate_xml(not_xml, strlen(not_xml), XSD, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "line 1") != NULL);
    CG_ASSERT_EQ(cg_report_validate_xml(entity, strlen(entity), XSD, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "DOCTYPE") != NULL);
    CG_ASSERT_EQ(cg_report_validate_xml(misordered, strlen(misordered), "/nonexistent/x.xsd",
                                        &err),
                 CG_E_NOTFOUND);
    CG_ASSERT_EQ(cg_report_validate_xml(misordered, strlen(misordered), DEFAULT_NOT_XSD, &err),
                 CG_E_INVAL);
}

typedef struct alloc_arg {
    const cg_review_item *item;
    const char *verdict;
    cg_report_format fmt;
} alloc_arg;

static cg_status draft_op(void *p)
{
    const alloc_arg *a = p;
    char *out = NULL;
    size_t len;
    cg_status st = cg_report_draft(a->item, a->verdict, a->fmt, &reporter, &out, &len, NULL);

    cg_free(out);
    return st;
}

CG_TEST(report_every_allocation_failure_is_clean)
{
    cg_review_item it = image_item(), tt = text_item();
    alloc_arg a = {&it, image_verdict, CG_REPORT_NCMEC_XML};
    alloc_arg b = {&tt, text_verdict, CG_REPORT_JSON};

    CG_ASSERT_GT(cg_test_fail_each_allocation("report xml", draft_op, &a, 0), 3);
    CG_ASSERT_GT(cg_test_fail_each_allocation("report json", draft_op, &b, 0), 3);
}

/* Issue 20.1: an item ruled a false positive gets no draft unless forced; the forced draft
 * says so; an item nobody confirmed gets a warning in the draft. */
CG_TEST(report_false_positive_refused_unless_forced)
{
    cg_review_item it = image_item();
    cg_report_options opt = reporter;
    cg_report_advice adv;
    char *out = (char *)1, *json;
    size_t len = 9;
    cg_error err;

    it.state = CG_REVIEW_FALSE_POSITIVE;
    snprintf(it.reviewer, sizeof(it.reviewer), "ana");
    cg_report_advise(&it, CG_REPORT_NCMEC_XML, &opt, &adv);
    CG_ASSERT_EQ(adv.kind, CG_REPORT_ADVICE_REFUSE);
    CG_ASSERT(strstr(adv.message, "false positive by ana") != NULL);
    for (int fmt = 0; fmt <= CG_REPORT_REFERRAL; fmt++) {
        CG_ASSERT_EQ(cg_report_draft(&it, image_verdict, (cg_report_format)fmt, &opt, &out, &len,
                                     &err),
                     CG_E_INVAL);
        CG_ASSERT(out == NULL);
        CG_ASSERT_EQ(len, 0);
        CG_ASSERT(strstr(err.message, "false positive") != NULL);
        CG_ASSERT(strstr(err.message, "--force") != NULL);
    }
    opt.force = 1;
    cg_report_advise(&it, CG_REPORT_JSON, &opt, &adv);
    CG_ASSERT_EQ(adv.kind, CG_REPORT_ADVICE_WARN);
    CG_ASSERT_EQ(adv.forced, 1);
    json = draft(&it, image_verdict, CG_REPORT_JSON, &opt, &len);
    CG_ASSERT(strstr(json, "\"warnings\"") != NULL);
    CG_ASSERT(strstr(json, "ruled a false positive by ana") != NULL);
    cg_free(json);

    /* Pending and escalated items: drafted, with a warning; confirmed: no warning. */
    it.state = CG_REVIEW_PENDING;
    opt.force = 0;
    cg_report_advise(&it, CG_REPORT_NCMEC_XML, &opt, &adv);
    CG_ASSERT_EQ(adv.kind, CG_REPORT_ADVICE_WARN);
    CG_ASSERT(strstr(adv.message, "pending") != NULL);
    json = draft(&it, image_verdict, CG_REPORT_NCMEC_XML, &opt, &len);
    CG_ASSERT(strstr(json, "WARNING: review item 17 is pending") != NULL);
    cg_free(json);
    it.state = CG_REVIEW_CONFIRMED;
    cg_report_advise(&it, CG_REPORT_NCMEC_XML, &opt, &adv);
    CG_ASSERT_EQ(adv.kind, CG_REPORT_ADVICE_OK);
    CG_ASSERT_STR_EQ(adv.message, "");
}

/* Issue 20.2: the incident type follows the harm; bullying, self-harm and personal data get no
 * NCMEC draft (the message names whom to refer them to), a JSON draft without a CyberTipline
 * type, or a referral note. */
CG_TEST(report_incident_type_follows_the_harm)
{
    static const struct {
        const char *label;
        const char *type; /* NULL: no NCMEC draft */
        const char *refer;
    } cases[] = {
        {"csam", CG_REPORT_INCIDENT_CSAM, "CyberTipline"},
        {"grooming", CG_REPORT_INCIDENT_ENTICEMENT, "hotline"},
        {"sextortion", CG_REPORT_INCIDENT_ENTICEMENT, "hotline"},
        {"sexual_solicitation", CG_REPORT_INCIDENT_ENTICEMENT, "hotline"},
        {"bullying", NULL, "school"},
        {"self_harm_risk", NULL, "111"},
        {"personal_data", NULL, "guardian"},
        {"ncii", NULL, "StopNCII"},
        {"terror", NULL, "handles this label"},
    };
    cg_report_options opt = reporter;
    cg_error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cg_review_item it = text_item();
        cg_report_advice adv;
        char *out = NULL;
        size_t len = 0;

        it.state = CG_REVIEW_CONFIRMED;
        snprintf(it.label, sizeof(it.label), "%s", cases[i].label);
        cg_report_advise(&it, CG_REPORT_NCMEC_XML, &opt, &adv);
        CG_ASSERT_STR_EQ(adv.harm, cases[i].label);
        CG_ASSERT(strstr(adv.refer_to, cases[i].refer) != NULL);
        if (cases[i].type != NULL) {
            CG_ASSERT_EQ(adv.kind, CG_REPORT_ADVICE_OK);
            CG_ASSERT_STR_EQ(adv.incident_type, cases[i].type);
            out = draft(&it, text_verdict, CG_REPORT_NCMEC_XML, &opt, &len);
            CG_ASSERT(strstr(out, cases[i].type) != NULL);
            cg_free(out);
            continue;
        }
        CG_ASSERT_EQ(adv.kind, CG_REPORT_ADVICE_REFUSE);
        CG_ASSERT(adv.incident_type == NULL);
        CG_ASSERT_EQ(cg_report_draft(&it, text_verdict, CG_REPORT_NCMEC_XML, &opt, &out, &len,
                                     &err),
                     CG_E_UNSUPPORTED);
        CG_ASSERT(out == NULL);
        CG_ASSERT(strstr(err.message, "not a CyberTipline incident type") != NULL);
        CG_ASSERT(strstr(err.message, cases[i].refer) != NULL);
        /* The generic JSON draft: no CyberTipline type, the harm and whom to refer it to. */
        out = draft(&it, text_verdict, CG_REPORT_JSON, &opt, &len);
        {
            json_error_t je;
            json_t *j = json_loads(out, 0, &je);
            json_t *inc = json_object_get(j, "incident");

            CG_ASSERT(j != NULL);
            CG_ASSERT(json_is_null(json_object_get(inc, "type")));
            CG_ASSERT_STR_EQ(json_string_value(json_object_get(inc, "harm")), cases[i].label);
            CG_ASSERT(strstr(json_string_value(json_object_get(inc, "refer_to")),
                             cases[i].refer) != NULL);
            /* Not an enticement report: the recipient is no "victim". */
            CG_ASSERT_EQ(json_array_size(json_object_get(j, "victims")), 0);
            json_decref(j);
        }
        cg_free(out);
        /* The referral note: for whom, about what, no message text. */
        out = draft(&it, text_verdict, CG_REPORT_REFERRAL, &opt, &len);
        CG_ASSERT(strncmp(out, "REFERRAL NOTE", 13) == 0);
        CG_ASSERT(strstr(out, cases[i].refer) != NULL);
        CG_ASSERT(strstr(out, "conversation \"conv-7\"") != NULL);
        CG_ASSERT(strstr(out, "SECRET") == NULL);
        cg_free(out);
        /* An analyst who knows a CyberTipline type applies says so explicitly. */
        opt.incident_type = CG_REPORT_INCIDENT_ENTICEMENT;
        out = draft(&it, text_verdict, CG_REPORT_NCMEC_XML, &opt, &len);
        cg_free(out);
        opt.incident_type = NULL;
    }
}

CG_TEST(report_format_names_and_schema_path)
{
    CG_ASSERT_STR_EQ(cg_report_format_name(CG_REPORT_NCMEC_XML), "ncmec-xml");
    CG_ASSERT_STR_EQ(cg_report_format_name(CG_REPORT_JSON), "json");
    CG_ASSERT_STR_EQ(cg_report_format_name(CG_REPORT_REFERRAL), "referral");
    CG_ASSERT_EQ(cg_report_format_from_name("referral"), CG_REPORT_REFERRAL);
    CG_ASSERT(cg_report_format_name((cg_report_format)9) == NULL);
    CG_ASSERT_EQ(cg_report_format_from_name("json"), CG_REPORT_JSON);
    CG_ASSERT_EQ(cg_report_format_from_name("ncmec-xml"), CG_REPORT_NCMEC_XML);
    CG_ASSERT_EQ(cg_report_format_from_name("xml"), -1);
    CG_ASSERT(strstr(cg_report_schema_path(), "report/cybertipline-draft.xsd") != NULL);
    setenv("CHILDGUARD_DATA", "/opt/cgdata", 1);
    CG_ASSERT_STR_EQ(cg_report_schema_path(), "/opt/cgdata/report/cybertipline-draft.xsd");
    unsetenv("CHILDGUARD_DATA");
}
