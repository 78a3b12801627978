/* The HTTP plumbing under the routes: reading values of the request, the body an upload came
 * in (a multipart/form-data file, through MHD's post processor, or the raw body), and replies.
 * Every error reply is the same JSON object, {"error": "<code>", "message": "<text>"}, so that
 * clients can branch on the code and show the text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "serve.h"

int64_t serve_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void serve_req_free(serve_req *r)
{
    if (r == NULL)
        return;
    if (r->pp != NULL)
        MHD_destroy_post_processor(r->pp);
    json_decref(r->fields);
    free(r->file);
    free(r->body);
    free(r);
}

enum MHD_Result http_queue(serve_req *r, unsigned status, struct MHD_Response *resp)
{
    enum MHD_Result ret;

    if (resp == NULL) {
        /* Out of memory: nothing better to send than closing the connection. */
        r->status = 500;
        return MHD_NO;
    }
    r->status = status;
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_bytes(serve_req *r, unsigned status, const char *ctype, const void *data,
                           size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);

    if (resp != NULL && ctype != NULL &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    return http_queue(r, status, resp);
}

enum MHD_Result http_json(serve_req *r, unsigned status, json_t *j)
{
    char *text;
    enum MHD_Result ret;

    if (j == NULL)
        return http_bytes(r, 500, "application/json",
                          "{\"error\":\"nomem\",\"message\":\"out of memory\"}\n", 44);
    text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (text == NULL)
        return http_bytes(r, 500, "application/json",
                          "{\"error\":\"nomem\",\"message\":\"out of memory\"}\n", 44);
    ret = http_bytes(r, status, "application/json", text, strlen(text));
    free(text);
    return ret;
}

enum MHD_Result http_error(serve_req *r, unsigned status, const char *error, const char *fmt,
                           ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return http_json(r, status, json_pack("{s:s, s:s}", "error", error, "message", msg));
}

unsigned http_status_of(cg_status st)
{
    switch (st) {
    case CG_OK: return 200;
    case CG_E_INVAL: return 400;
    case CG_E_DECODE: return 422;
    case CG_E_LIMIT: return 413;
    case CG_E_UNSUPPORTED: return 415;
    case CG_E_NOTFOUND: return 404;
    case CG_E_BUSY: return 409;
    case CG_E_NOMEM:
    case CG_E_IO:
    case CG_E_BACKEND:
    default: return 500;
    }
}

void serve_log(const char *event, uint64_t request, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    json_t *j;
    char *text;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    j = json_pack("{s:I, s:s, s:I, s:s}", "ts", (json_int_t)time(NULL), "event", event,
                  "request", (json_int_t)request, "detail", msg);
    text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(j);
}

enum MHD_Result http_cg_error(serve_req *r, cg_status st, const char *message)
{
    const char *code = cg_status_word(st);
    const char *text;

    /* The library's messages name database paths, reviewers and other internals: they go to
     * the server log under the request id, and the client gets words for the status. */
    serve_log("error", r->id, "%s: %s", cg_status_name(st),
              message != NULL && message[0] != '\0' ? message : cg_status_text(st));
    switch (st) {
    case CG_E_INVAL: text = "the request cannot be carried out as given"; break;
    case CG_E_NOTFOUND: text = "not found"; break;
    case CG_E_BUSY: text = "held by another reviewer, or waiting for a second reviewer"; break;
    case CG_E_LIMIT: text = "the content is over this server's limits"; break;
    case CG_E_DECODE: text = "the content could not be decoded"; break;
    case CG_E_UNSUPPORTED: text = "unsupported content"; break;
    default: text = "internal error; the server log has the details"; break;
    }
    return http_json(r, http_status_of(st),
                     json_pack("{s:s, s:s, s:I}", "error", code, "message", text, "request",
                               (json_int_t)r->id));
}

const char *http_query(serve_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(serve_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int http_query_bool(serve_req *r, const char *name)
{
    const char *v = http_query(r, name);

    return v != NULL && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
                         strcasecmp(v, "yes") == 0);
}

int http_body_json(serve_req *r, json_t **out, enum MHD_Result *ret)
{
    json_error_t jerr;
    json_t *j;

    *out = NULL;
    if (r->len == 0) {
        *ret = http_error(r, 400, "bad_json", "a JSON object body is required");
        return -1;
    }
    j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        *ret = http_error(r, 400, "bad_json", "malformed JSON at line %d column %d: %s",
                          jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        *ret = http_error(r, 400, "bad_json", "the body must be a JSON object");
        return -1;
    }
    *out = j;
    return 0;
}

/* The post processor's callback: keeps the first file and the text fields. */
static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size)
{
    serve_req *r = cls;

    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (filename != NULL) {
        if (off == 0 && (r->n_files == 0 || strcmp(r->file_field, key) != 0 ||
                         strcmp(r->file_name, filename) != 0 || r->file_len > 0)) {
            /* A new file starts (the same field and name at offset 0 again is a new one). */
            r->n_files++;
            if (r->n_files > 1)
                return MHD_YES;
            snprintf(r->file_field, sizeof(r->file_field), "%s", key);
            snprintf(r->file_name, sizeof(r->file_name), "%s", filename);
        }
        if (r->n_files > 1)
            return MHD_YES;
        if (size > 0) {
            char *p = realloc(r->file, r->file_len + size + 1);
            if (p == NULL)
                return MHD_NO;
            r->file = p;
            memcpy(r->file + r->file_len, data, size);
            r->file_len += size;
            r->file[r->file_len] = '\0';
        }
        return MHD_YES;
    }
    {
        json_t *old = json_object_get(r->fields, key);
        size_t old_len = old != NULL ? json_string_length(old) : 0;
        char *v;

        if (old_len + size > 65536)
            return MHD_YES;
        v = malloc(old_len + size + 1);
        if (v == NULL)
            return MHD_NO;
        if (old_len > 0)
            memcpy(v, json_string_value(old), old_len);
        memcpy(v + old_len, data, size);
        v[old_len + size] = '\0';
        json_object_set_new(r->fields, key, json_stringn(v, old_len + size));
        free(v);
    }
    return MHD_YES;
}

static int is_form(serve_req *r)
{
    const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);

    /* Only multipart bodies carry files; any other type (curl's default
     * application/x-www-form-urlencoded included) is the raw content. */
    return ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

int http_upload(serve_req *r, const uint8_t **data, size_t *len, enum MHD_Result *ret)
{
    *data = NULL;
    *len = 0;
    if (is_form(r)) {
        r->fields = json_object();
        r->pp = MHD_create_post_processor(r->conn, 64 * 1024, form_iter, r);
        if (r->fields == NULL || r->pp == NULL) {
            *ret = http_error(r, 400, "bad_form", "the form could not be parsed");
            return -1;
        }
        if (MHD_post_process(r->pp, r->body, r->len) != MHD_YES) {
            *ret = http_error(r, 400, "bad_form", "malformed multipart/form-data body");
            return -1;
        }
        if (r->n_files > 1) {
            *ret = http_error(r, 400, "too_many_files", "Only one file allowed per request");
            return -1;
        }
        if (r->n_files == 0 || r->file_len == 0) {
            *ret = http_error(r, 400, "no_file", "Missing multipart/form-data file upload");
            return -1;
        }
        *data = (const uint8_t *)r->file;
        *len = r->file_len;
        return 0;
    }
    if (r->len == 0) {
        *ret = http_error(r, 400, "no_content",
                          "send the content as the request body or as a multipart/form-data "
                          "file");
        return -1;
    }
    *data = (const uint8_t *)r->body;
    *len = r->len;
    return 0;
}
