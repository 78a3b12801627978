/* The NCMEC hash-sharing page parser: one `queryResult` XML document of GET /v2/entries.
 *
 *   <queryResult><images count= maxTimestamp=><image><member id="42">..</member><id>..</id>
 *     <timestamp>..</timestamp><classification>A1</classification><fingerprints><md5>..</md5>
 *     <sha1>..</sha1><pdq>..</pdq></fingerprints></image><deletedImage>..</deletedImage>
 *   </images><videos>..</videos><paging><next>/v2/entries?..&start=&size=&max=</next></paging>
 *   </queryResult>
 *
 * libxml2 parses it as UTF-8 with the network off and no entity substitution, and a document
 * with a DOCTYPE or an entity declaration is refused before parsing (no entity can expand: the
 * billion-laughs page is just an error). Namespaces are ignored: elements are matched by local name. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/alloc.h"
#include "common/error.h"
#include "childguard/timestamp.h"
#include "exchange_int.h"

#define NCMEC_FIELD_MAX 120 /* member and entry ids: the key fits an external id */

static once_flag xml_once = ONCE_FLAG_INIT;

/* libxml2 2.9 wants xmlInitParser called once before threads use it. */
static void xml_init(void)
{
    xmlInitParser();
}

/* 1 when the text holds "<!DOCTYPE" or "<!ENTITY" anywhere. */
static int has_declaration(const char *s, size_t len)
{
    for (const char *p = s; (p = memchr(p, '<', len - (size_t)(p - s))) != NULL; p++) {
        size_t left = len - (size_t)(p - s);

        if ((left >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0) ||
            (left >= 8 && memcmp(p, "<!ENTITY", 8) == 0))
            return 1;
        if (left == 1)
            break;
    }
    return 0;
}

static int is_el(const xmlNode *n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c != NULL; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* The element's text, trimmed, into out (cap). 0 when absent, empty or too long. */
static int text_of(const xmlNode *n, char *out, size_t cap)
{
    xmlChar *t;
    const char *s;
    size_t len;

    out[0] = '\0';
    if (n == NULL)
        return 0;
    t = xmlNodeGetContent(n);
    if (t == NULL)
        return 0;
    s = (const char *)t;
    while (isspace((unsigned char)*s))
        s++;
    len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= cap) {
        xmlFree(t);
        return 0;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    xmlFree(t);
    return 1;
}

static int attr_of(const xmlNode *n, const char *name, char *out, size_t cap)
{
    xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
    size_t len;

    out[0] = '\0';
    if (v == NULL)
        return 0;
    len = strlen((const char *)v);
    if (len == 0 || len >= cap) {
        xmlFree(v);
        return 0;
    }
    memcpy(out, v, len + 1);
    xmlFree(v);
    return 1;
}

static int64_t parse_time(const char *s)
{
    int64_t ms = 0;
    int has_time = 0;

    if (s[0] == '\0' || cg_timestamp_parse(s, &ms, &has_time) != CG_OK)
        return 0;
    return ms / 1000;
}

/* The query parameter key of a next URL ("start", "size", "max") as a number, or -1. */
static int64_t next_param(const char *url, const char *key)
{
    size_t kl = strlen(key);

    for (const char *p = strchr(url, '?'); p != NULL; p = strchr(p + 1, '&')) {
        const char *k = p + 1;
        if (strncmp(k, key, kl) == 0 && k[kl] == '=') {
            char *end;
            long long v = strtoll(k + kl + 1, &end, 10);
            if (end != k + kl + 1 && v >= 0)
                return (int64_t)v;
        }
    }
    return -1;
}

/* One image/video or deletedImage/deletedVideo. Returns CG_OK, CG_E_NOMEM, or CG_E_INVAL with
 * why filled (the entry is skipped and counted). */
static cg_status parse_entry(const xmlNode *e, const char *kind, const char *type, int deleted,
                             cg_exchange_delta *out, char *why, size_t why_cap)
{
    char member[NCMEC_FIELD_MAX], id[NCMEC_FIELD_MAX], cls[NCMEC_FIELD_MAX];
    char ts[64], key[2 * NCMEC_FIELD_MAX + 16], value[NCMEC_FIELD_MAX];
    const xmlNode *fp;
    cg_exchange_record *rec;
    cg_status st;

    if (!attr_of(child(e, "member"), "id", member, sizeof(member))) {
        snprintf(why, why_cap, "%s without member id", kind);
        return CG_E_INVAL;
    }
    if (!text_of(child(e, "id"), id, sizeof(id))) {
        snprintf(why, why_cap, "%s of member %s without id", kind, member);
        return CG_E_INVAL;
    }
    text_of(child(e, "classification"), cls, sizeof(cls));
    text_of(child(e, "timestamp"), ts, sizeof(ts));
    snprintf(key, sizeof(key), "ncmec:%s:%s-%s", type, member, id);
    st = cg__delta_add(out, key, member, id, cls, &rec);
    if (st != CG_OK)
        return st;
    rec->deleted = deleted;
    rec->timestamp = parse_time(ts);
    fp = child(e, "fingerprints");
    for (const xmlNode *f = fp ? fp->children : NULL; f != NULL; f = f->next) {
        const char *tn = (const char *)f->name;
        char lower[16];
        size_t i;

        if (f->type != XML_ELEMENT_NODE)
            continue;
        if (!text_of(f, value, sizeof(value))) {
            rec->n_unsupported++;
            continue;
        }
        for (i = 0; tn[i] != '\0' && i + 1 < sizeof(lower); i++)
            lower[i] = (char)tolower((unsigned char)tn[i]);
        lower[i] = '\0';
        for (i = 0; value[i] != '\0'; i++)
            value[i] = (char)tolower((unsigned char)value[i]);
        if (cg__record_add_hash(rec, lower, value, why, why_cap) < 0) {
            char inner[128];
            int w;

            if (snprintf(inner, sizeof(inner), "%s", why) >= (int)sizeof(inner))
                inner[sizeof(inner) - 1] = '\0';
            w = snprintf(why, why_cap, "%.20s %.80s: %s", kind, key, inner);
            (void)w;
            cg__delta_truncate(out, out->n_records - 1);
            return CG_E_INVAL;
        }
    }
    return CG_OK;
}

static cg_status parse_list(const xmlNode *list, const char *item, const char *deleted_item,
                            cg_exchange_delta *out)
{
    char why[CG_ERROR_MAX];

    for (const xmlNode *e = list ? list->children : NULL; e != NULL; e = e->next) {
        int del;
        cg_status st;

        if (e->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(e, item))
            del = 0;
        else if (is_el(e, deleted_item))
            del = 1;
        else
            continue;
        st = parse_entry(e, (const char *)e->name, item, del, out, why, sizeof(why));
        if (st == CG_E_NOMEM)
            return st;
        if (st != CG_OK)
            cg__delta_reject(out, "%s", why);
    }
    return CG_OK;
}

cg_status cg_exchange_parse_ncmec(const char *name, const char *xml, size_t len,
                                  cg_exchange_delta *out, char **next, uint64_t *in_range,
                                  cg_error *err)
{
    const size_t first = out->n_records;
    xmlDoc *doc = NULL;
    const xmlNode *root, *n;
    char next_url[CG_EXCHANGE_URL_MAX];
    size_t added;
    cg_status st;

    *next = NULL;
    *in_range = 0;
    if (len > (size_t)INT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: page larger than 2 GiB", name);
    call_once(&xml_once, xml_init);
    /* Refused before libxml2 sees it: no DTD is ever parsed, so no entity is ever declared. */
    if (has_declaration(xml, len))
        return cg__fail(err, CG_E_DECODE, "%s: a DOCTYPE is not accepted in a queryResult",
                        name);
    doc = xmlReadMemory(xml, (int)len, name, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        const xmlError *e = xmlGetLastError();
        st = cg__fail(err, CG_E_DECODE, "%s: not well-formed XML (line %d: %.80s)", name,
                      e ? e->line : 0, e && e->message ? e->message : "parse error");
        xmlResetLastError();
        return st;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        st = cg__fail(err, CG_E_DECODE, "%s: a DOCTYPE is not accepted in a queryResult", name);
        goto done;
    }
    root = xmlDocGetRootElement(doc);
    if (!is_el(root, "queryResult")) {
        st = cg__fail(err, CG_E_DECODE, "%s: the root element is not queryResult", name);
        goto done;
    }
    st = parse_list(child(root, "images"), "image", "deletedImage", out);
    if (st == CG_OK)
        st = parse_list(child(root, "videos"), "video", "deletedVideo", out);
    if (st != CG_OK) {
        cg__fail(err, st, "%s: out of memory", name);
        goto done;
    }
    added = out->n_records - first;
    n = child(child(root, "paging"), "next");
    if (n != NULL && text_of(n, next_url, sizeof(next_url))) {
        int64_t start = next_param(next_url, "start"), max = next_param(next_url, "max");

        if (next_url[0] != '/') {
            st = cg__fail(err, CG_E_DECODE, "%s: paging/next is not a path: \"%.80s\"", name,
                          next_url);
            goto done;
        }
        *next = cg__strdup(next_url);
        if (*next == NULL) {
            st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
            goto done;
        }
        /* As HMA estimates it: what is left after this page plus this page. */
        *in_range = (start >= 0 && max >= start) ? (uint64_t)(max - start) + added : added + 1;
    } else {
        *in_range = added;
    }
    st = CG_OK;
done:
    if (st != CG_OK)
        cg__delta_truncate(out, first);
    xmlFreeDoc(doc);
    return st;
}

/* GET /v2/status: <status><member id="N">name</member>..</status>, parsed with the same
 * guards as a page (no DOCTYPE, no network). The member id is this account's own ESP id,
 * which NCMEC's feedback path names (docs/exchange.md, NCMEC feedback). */
cg_status cg__ncmec_parse_status(const char *name, const char *xml, size_t len, char *member,
                                 size_t cap, cg_error *err)
{
    xmlDoc *doc;
    const xmlNode *root;
    cg_status st = CG_OK;

    member[0] = '\0';
    if (len > (size_t)INT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: status larger than 2 GiB", name);
    call_once(&xml_once, xml_init);
    if (has_declaration(xml, len))
        return cg__fail(err, CG_E_DECODE, "%s: a DOCTYPE is not accepted in a status", name);
    doc = xmlReadMemory(xml, (int)len, name, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        xmlResetLastError();
        return cg__fail(err, CG_E_DECODE, "%s: the status is not well-formed XML", name);
    }
    root = xmlDocGetRootElement(doc);
    if (doc->intSubset != NULL || doc->extSubset != NULL || !is_el(root, "status") ||
        !attr_of(child(root, "member"), "id", member, cap) || member[0] == '\0' ||
        strspn(member, "0123456789") != strlen(member)) {
        member[0] = '\0';
        st = cg__fail(err, CG_E_DECODE, "%s: no status/member with a numeric id", name);
    }
    xmlFreeDoc(doc);
    return st;
}

/* A reason's name attribute into out (cap): UTF-8 cut at a character boundary, control
 * characters replaced by spaces (it is printed on a terminal). Empty when absent. */
static void reason_name(const xmlNode *n, char *out, size_t cap)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)"name");
    size_t len = v != NULL ? strlen((const char *)v) : 0;

    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && (v[len] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
            len--;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = v[i] < 0x20 || v[i] == 0x7f ? ' ' : (char)v[i];
    out[len] = '\0';
    xmlFree(v);
}

cg_status cg__ncmec_parse_reasons(const char *name, const char *xml, size_t len,
                                  cg_ncmec_reason *out, size_t cap, size_t *count,
                                  cg_error *err)
{
    const xmlNode *root, *list;
    xmlDoc *doc;
    size_t n = 0;
    cg_status st = CG_OK;

    *count = 0;
    if (len > (size_t)INT32_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: reasons larger than 2 GiB", name);
    call_once(&xml_once, xml_init);
    if (has_declaration(xml, len))
        return cg__fail(err, CG_E_DECODE, "%s: a DOCTYPE is not accepted in the reasons", name);
    doc = xmlReadMemory(xml, (int)len, name, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        xmlResetLastError();
        return cg__fail(err, CG_E_DECODE, "%s: the reasons are not well-formed XML", name);
    }
    root = xmlDocGetRootElement(doc);
    list = is_el(root, "availableFeedbackReasons") ? root : child(root, "availableFeedbackReasons");
    if (doc->intSubset != NULL || doc->extSubset != NULL || list == NULL) {
        st = cg__fail(err, CG_E_DECODE, "%s: no availableFeedbackReasons element", name);
        goto out;
    }
    for (const xmlNode *c = list->children; c != NULL && st == CG_OK; c = c->next) {
        char guid[sizeof(out->guid)];

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!attr_of(c, "guid", guid, sizeof(guid)) || !cg_exchange_feedback_reason_valid(guid)) {
            st = cg__fail(err, CG_E_DECODE, "%s: reason %zu has no valid guid ([A-Za-z0-9_.:-], "
                          "at most 64)", name, n + 1);
            break;
        }
        if (n >= cap) {
            st = cg__fail(err, CG_E_LIMIT, "%s: more than %zu reasons", name, cap);
            break;
        }
        memcpy(out[n].guid, guid, sizeof(guid));
        reason_name(c, out[n].name, sizeof(out[n].name));
        n++;
    }
out:
    xmlFreeDoc(doc);
    if (st == CG_OK)
        *count = n;
    return st;
}
