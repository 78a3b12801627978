/* The exchange driver table, deltas, responses and the HTTP helper the drivers share
 * (docs/exchange.md). The transport and the clock are the application's: nothing here opens a
 * socket or reads the wall clock unless no clock was given. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "exchange_int.h"

static const cg_exchange_driver *const drivers[] = {
    &cg__exchange_ncmec,
    &cg__exchange_stopncii,
    &cg__exchange_threatexchange,
    &cg__exchange_file,
    &cg__exchange_package,
};

const cg_exchange_driver *cg_exchange_driver_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (strcmp(drivers[i]->name, name) == 0)
            return drivers[i];
    return NULL;
}

size_t cg_exchange_driver_count(void)
{
    return sizeof(drivers) / sizeof(drivers[0]);
}

const cg_exchange_driver *cg_exchange_driver_at(size_t i)
{
    return i < cg_exchange_driver_count() ? drivers[i] : NULL;
}

/* ---- deltas ---- */

void cg_exchange_delta_init(cg_exchange_delta *d)
{
    memset(d, 0, sizeof(*d));
}

static void record_fini(cg_exchange_record *r)
{
    cg__free(r->key);
    cg__free(r->member);
    cg__free(r->entry_id);
    cg__free(r->classification);
}

void cg__delta_truncate(cg_exchange_delta *d, size_t n)
{
    while (d->n_records > n)
        record_fini(&d->records[--d->n_records]);
}

void cg_exchange_delta_fini(cg_exchange_delta *d)
{
    if (d == NULL)
        return;
    cg__delta_truncate(d, 0);
    cg__free(d->records);
    cg__free(d->checkpoint);
    cg_exchange_delta_init(d);
}

cg_status cg__delta_add(cg_exchange_delta *d, const char *key, const char *member,
                        const char *entry_id, const char *classification,
                        cg_exchange_record **out)
{
    cg_exchange_record *r;

    *out = NULL;
    if (d->n_records == d->cap_records) {
        size_t cap = d->cap_records ? d->cap_records * 2 : 64;
        cg_exchange_record *grown = cg__realloc(d->records, cap * sizeof(*grown));

        if (grown == NULL)
            return CG_E_NOMEM;
        d->records = grown;
        d->cap_records = cap;
    }
    r = &d->records[d->n_records];
    memset(r, 0, sizeof(*r));
    r->key = cg__strdup(key ? key : "");
    r->member = cg__strdup(member ? member : "");
    r->entry_id = cg__strdup(entry_id ? entry_id : "");
    r->classification = cg__strdup(classification ? classification : "");
    if (r->key == NULL || r->member == NULL || r->entry_id == NULL ||
        r->classification == NULL) {
        record_fini(r);
        return CG_E_NOMEM;
    }
    d->n_records++;
    *out = r;
    return CG_OK;
}

void cg__delta_reject(cg_exchange_delta *d, const char *fmt, ...)
{
    va_list ap;

    if (d->n_rejected++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(d->first_reject, sizeof(d->first_reject), fmt, ap);
    va_end(ap);
}

cg_status cg__delta_set_checkpoint(cg_exchange_delta *d, const char *text)
{
    char *copy = cg__strdup(text);

    if (copy == NULL)
        return CG_E_NOMEM;
    cg__free(d->checkpoint);
    d->checkpoint = copy;
    return CG_OK;
}

int cg__record_add_hash(cg_exchange_record *rec, const char *type_name, const char *text,
                        char *why, size_t why_cap)
{
    const cg_signal_type *t = cg_signal_type_find(type_name);
    size_t len = strlen(text);
    cg_exchange_hash *h;

    if (t == NULL || (t->flags & CG_SIGNAL_VIDEO)) {
        rec->n_unsupported++;
        return 0;
    }
    if (rec->n_hashes == CG_EXCHANGE_MAX_HASHES) {
        snprintf(why, why_cap, "more than %d fingerprints", CG_EXCHANGE_MAX_HASHES);
        return -1;
    }
    h = &rec->hashes[rec->n_hashes];
    if (len != t->hex_len || t->parse(text, len, h->value) != CG_OK) {
        snprintf(why, why_cap, "%s value \"%.80s\" is not %zu hex digits", t->name, text,
                 t->hex_len);
        return -1;
    }
    h->type = t;
    rec->n_hashes++;
    return 1;
}

/* ---- responses and requests ---- */

cg_status cg_http_response_append(cg_http_response *r, const void *data, size_t n)
{
    size_t max = r->max_body ? r->max_body : (size_t)64 << 20;

    if (n > max || r->body_len > max - n)
        return CG_E_LIMIT;
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        char *grown;

        while (cap < r->body_len + n + 1)
            cap *= 2;
        grown = cg__realloc(r->body, cap);
        if (grown == NULL)
            return CG_E_NOMEM;
        r->body = grown;
        r->body_cap = cap;
    }
    if (n > 0)
        memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return CG_OK;
}

void cg_http_response_fini(cg_http_response *r)
{
    if (r == NULL)
        return;
    cg__free(r->body);
    r->body = NULL;
    r->body_len = r->body_cap = 0;
}

int64_t cg__exchange_now(const cg_exchange_config *cfg)
{
    if (cfg->clock != NULL && cfg->clock->now != NULL)
        return cfg->clock->now(cfg->clock->ud);
    return (int64_t)time(NULL);
}

cg_status cg__exchange_send(const cg_exchange_config *cfg, const char *method, const char *url,
                            const cg_http_header *headers, size_t n_headers, const char *body,
                            size_t body_len, cg_http_response *resp, cg_error *err)
{
    const char *name = cfg->name ? cfg->name : "exchange";
    cg_http_request req = {method, url, headers, n_headers, body, body_len};
    cg_status st;

    memset(resp, 0, sizeof(*resp));
    resp->max_body = cfg->max_body ? cfg->max_body : (size_t)64 << 20;
    if (cfg->transport == NULL || cfg->transport->send == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: no HTTP transport configured", name);
    st = cfg->transport->send(cfg->transport->ud, &req, resp, err);
    if (st == CG_OK && resp->body == NULL)
        st = cg_http_response_append(resp, "", 0);
    if (st != CG_OK) {
        cg_http_response_fini(resp);
        if (st == CG_E_LIMIT)
            return cg__fail(err, st, "%s: %s %s: response larger than %zu bytes", name, method,
                            url, resp->max_body);
        if (st == CG_E_NOMEM)
            return cg__fail(err, st, "%s: %s %s: out of memory", name, method, url);
        return st; /* the transport's own message names the URL */
    }
    if (resp->status < 200 || resp->status > 299) {
        int status = resp->status;

        cg_http_response_fini(resp);
        return cg__fail(err, status == 429 ? CG_E_LIMIT : CG_E_BACKEND,
                        "%s: %s %s: HTTP status %d%s", name, method, url, status,
                        status == 429 ? " (rate limited: retry later)" : "");
    }
    if (resp->truncated) {
        cg_http_response_fini(resp);
        return cg__fail(err, CG_E_DECODE, "%s: %s %s: truncated response body", name, method,
                        url);
    }
    return CG_OK;
}

cg_status cg__url_escape(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';

        if (o + (plain ? 1 : 3) >= cap)
            return CG_E_LIMIT;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= cap)
        return CG_E_LIMIT;
    out[o] = '\0';
    return CG_OK;
}

void cg__exchange_format_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "1970-01-01T00:00:00Z");
}
