/* The web pages (web/ in the source tree, docs/web.md): static files under /ui/, no key.
 *
 * Files come from the first of: the "web" config key; $CHILDGUARD_WEB; the build tree's
 * generated files (the WebAssembly hashing core, the npm MD5 module) and then the source tree's
 * web/ when the source tree is there; the installed copy (${datadir}/childguard/web). A path is
 * served only when every segment is made of [A-Za-z0-9._-], none starts with a dot, and its
 * extension is one of the few types below: no traversal, no dotfiles, no symlinks (O_NOFOLLOW
 * on the last component), regular files only, at most 16 MiB.
 *
 * Pages carry a strict Content-Security-Policy (scripts and connections only to this origin,
 * 'wasm-unsafe-eval' for the hashing core, no framing) and no-referrer. An HTML page's
 * <html lang="en"> is rewritten to lang="vi" when ?lang=vi or, without it, Accept-Language
 * prefers Vietnamese to English: the language a page starts in, before any script runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

#ifndef CG_DEFAULT_WEB_DIR
#define CG_DEFAULT_WEB_DIR "/usr/local/share/childguard/web"
#endif

#define STATIC_MAX_BYTES ((off_t)16 << 20)

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".wasm", "application/wasm"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');

    if (dot == NULL || strchr(dot, '/') != NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* 1 when rel (the part after /ui/) is a path this route may serve. */
static int path_ok(const char *rel)
{
    int seg_start = 1;

    if (strlen(rel) > 512)
        return 0;
    for (const char *p = rel; *p != '\0'; p++) {
        char c = *p;
        if (c == '/') {
            if (seg_start)
                return 0; /* "//" */
            seg_start = 1;
            continue;
        }
        if (seg_start && c == '.')
            return 0; /* ".", "..", dotfiles */
        seg_start = 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int is_dir(const char *p)
{
    struct stat st;
    return p != NULL && p[0] != '\0' && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directories searched, in order; returns how many (at most 3). */
static size_t roots(const serve_server *s, const char *out[3])
{
    size_t n = 0;
    const char *env = getenv("CHILDGUARD_WEB");

    if (s->cfg.web_dir[0] != '\0') {
        out[n++] = s->cfg.web_dir;
        return n;
    }
    if (env != NULL && env[0] != '\0') {
        out[n++] = env;
        return n;
    }
#if defined(CG_SOURCE_WEB_DIR) && defined(CG_BUILD_WEB_DIR)
    if (is_dir(CG_SOURCE_WEB_DIR)) {
        out[n++] = CG_BUILD_WEB_DIR;
        out[n++] = CG_SOURCE_WEB_DIR;
        return n;
    }
#endif
    out[n++] = CG_DEFAULT_WEB_DIR;
    return n;
}

/* "vi" or "en": ?lang= when it says one of them, else the Accept-Language entry with the
 * highest q among vi and en (ties: the first listed), else "en". */
const char *static_lang(serve_req *r)
{
    const char *q = http_query(r, "lang");
    const char *al;
    double best_q = -1;
    const char *best = "en";

    if (q != NULL && (strcmp(q, "vi") == 0 || strcmp(q, "en") == 0))
        return strcmp(q, "vi") == 0 ? "vi" : "en";
    al = http_header(r, "Accept-Language");
    if (al == NULL)
        return best;
    while (*al != '\0') {
        const char *end = strchr(al, ',');
        size_t len = end != NULL ? (size_t)(end - al) : strlen(al);
        char item[64];
        double qv = 1.0;
        char *semi, *tag = item;

        if (len < sizeof(item)) {
            memcpy(item, al, len);
            item[len] = '\0';
            semi = strchr(item, ';');
            if (semi != NULL) {
                char *qs = strstr(semi, "q=");
                *semi = '\0';
                if (qs != NULL) {
                    char *qe;
                    qv = strtod(qs + 2, &qe);
                    if (qe == qs + 2 || qv < 0 || qv > 1)
                        qv = 0;
                }
            }
            while (*tag == ' ')
                tag++;
            const char *lang = NULL;
            if ((tag[0] == 'v' || tag[0] == 'V') && (tag[1] == 'i' || tag[1] == 'I') &&
                (tag[2] == '\0' || tag[2] == '-' || tag[2] == ' '))
                lang = "vi";
            else if ((tag[0] == 'e' || tag[0] == 'E') && (tag[1] == 'n' || tag[1] == 'N') &&
                     (tag[2] == '\0' || tag[2] == '-' || tag[2] == ' '))
                lang = "en";
            if (lang != NULL && qv > 0 && qv > best_q) {
                best_q = qv;
                best = lang;
            }
        }
        if (end == NULL)
            break;
        al = end + 1;
    }
    return best;
}

/* Adds the headers every page and file carries. Returns 0, -1 when one could not be added. */
int static_headers(struct MHD_Response *resp, const char *ctype)
{
    static const char *const h[][2] = {
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Cache-Control", "no-cache"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
         "img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'none'"},
    };

    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES)
        return -1;
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        if (MHD_add_response_header(resp, h[i][0], h[i][1]) != MHD_YES)
            return -1;
    return 0;
}

/* An HTML page, read whole so that its language can be set. */
static enum MHD_Result html_reply(serve_req *r, int fd, off_t size, const char *ctype)
{
    static const char marker[] = "<html lang=\"en\"";
    char *buf = malloc((size_t)size + 1);
    size_t got = 0;
    struct MHD_Response *resp;

    if (buf == NULL) {
        close(fd);
        return http_error(r, 500, "nomem", "out of memory");
    }
    while (got < (size_t)size) {
        ssize_t n = read(fd, buf + got, (size_t)size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    if (strcmp(static_lang(r), "vi") == 0) {
        char *m = strstr(buf, marker);
        if (m != NULL)
            memcpy(m + sizeof(marker) - 4, "vi", 2); /* the "en" inside the quotes */
    }
    resp = MHD_create_response_from_buffer(got, buf, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(buf);
        return http_queue(r, 500, NULL);
    }
    if (static_headers(resp, ctype) != 0 ||
        MHD_add_response_header(resp, "Vary", "Accept-Language") != MHD_YES) {
        MHD_destroy_response(resp);
        return http_queue(r, 500, NULL);
    }
    return http_queue(r, 200, resp);
}

enum MHD_Result ui_redirect(serve_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                MHD_RESPMEM_PERSISTENT);

    if (resp != NULL && MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/ui/") != MHD_YES) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    return http_queue(r, 308, resp);
}

enum MHD_Result ui_static(serve_req *r)
{
    const char *rel = r->url + 4; /* after "/ui/" (the route pattern) */
    char path[SERVE_PATH_MAX];
    char relpath[600];
    const char *dirs[3];
    size_t n_dirs = roots(r->srv, dirs);
    const char *ctype;

    if (!path_ok(rel))
        return http_error(r, 404, "not_found", "no such page");
    if (rel[0] == '\0' || rel[strlen(rel) - 1] == '/')
        snprintf(relpath, sizeof(relpath), "%sindex.html", rel);
    else
        snprintf(relpath, sizeof(relpath), "%s", rel);
    /* A directory without a trailing slash: send the browser to the slash form. */
    for (size_t i = 0; i < n_dirs; i++) {
        snprintf(path, sizeof(path), "%s/%s", dirs[i], rel);
        if (rel[0] != '\0' && rel[strlen(rel) - 1] != '/' && is_dir(path)) {
            char loc[700];
            struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                        MHD_RESPMEM_PERSISTENT);
            snprintf(loc, sizeof(loc), "/ui/%s/", rel);
            if (resp != NULL &&
                MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc) != MHD_YES) {
                MHD_destroy_response(resp);
                resp = NULL;
            }
            return http_queue(r, 308, resp);
        }
    }
    ctype = type_of(relpath);
    if (ctype == NULL)
        return http_error(r, 404, "not_found", "no such page");
    for (size_t i = 0; i < n_dirs; i++) {
        struct stat st;
        int fd;
        int len = snprintf(path, sizeof(path), "%s/%s", dirs[i], relpath);

        if (len < 0 || (size_t)len >= sizeof(path))
            continue;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_BYTES) {
            close(fd);
            continue;
        }
        if (strncmp(ctype, "text/html", 9) == 0)
            return html_reply(r, fd, st.st_size, ctype);
        struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        if (resp == NULL) {
            close(fd);
            return http_queue(r, 500, NULL);
        }
        if (static_headers(resp, ctype) != 0) {
            MHD_destroy_response(resp);
            return http_queue(r, 500, NULL);
        }
        return http_queue(r, 200, resp);
    }
    return http_error(r, 404, "not_found", "no such page");
}
