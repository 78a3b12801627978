/* Streaming bank exports. cg_bank_export writes to a FILE; a writer thread runs it into a
 * pipe with its own read-only database handle, and MHD pulls the other end through a content
 * reader callback, so memory stays flat whatever the bank's size. When the client goes away,
 * MHD frees the response: the read end closes, the writer's next write fails with EPIPE
 * (SIGPIPE is ignored by the server), the export stops and the thread is joined. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"

typedef struct export_stream {
    int rfd;
    FILE *w;
    pthread_t thread;
    char db_path[SERVE_PATH_MAX];
    int64_t bank_id;
    cg_list_format fmt;
} export_stream;

static void *writer(void *arg)
{
    export_stream *x = arg;
    cg_bankdb *db = NULL;
    cg_error err;

    if (cg_bankdb_open(x->db_path, CG_BANKDB_READONLY, &db, &err) == CG_OK) {
        /* A failure here (the client went away) ends the stream early; nothing to report. */
        (void)cg_bank_export(db, x->bank_id, x->w, x->fmt, &err);
        cg_bankdb_close(db);
    }
    fclose(x->w);
    return NULL;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    export_stream *x = cls;
    ssize_t n;

    (void)pos;
    do {
        n = read(x->rfd, buf, max);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n;
}

static void release(void *cls)
{
    export_stream *x = cls;

    close(x->rfd);
    pthread_join(x->thread, NULL);
    free(x);
}

struct MHD_Response *export_response(const char *db_path, int64_t bank_id, cg_list_format fmt,
                                     cg_error *err)
{
    export_stream *x = calloc(1, sizeof(*x));
    int fds[2];
    struct MHD_Response *resp;

    if (x == NULL || pipe(fds) != 0) {
        free(x);
        err->status = CG_E_NOMEM;
        snprintf(err->message, sizeof(err->message), "cannot start the export");
        return NULL;
    }
    x->rfd = fds[0];
    x->w = fdopen(fds[1], "w");
    snprintf(x->db_path, sizeof(x->db_path), "%s", db_path);
    x->bank_id = bank_id;
    x->fmt = fmt;
    if (x->w == NULL || pthread_create(&x->thread, NULL, writer, x) != 0) {
        if (x->w != NULL)
            fclose(x->w);
        else
            close(fds[1]);
        close(fds[0]);
        free(x);
        err->status = CG_E_NOMEM;
        snprintf(err->message, sizeof(err->message), "cannot start the export");
        return NULL;
    }
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, reader, x, release);
    if (resp == NULL) {
        release(x);
        err->status = CG_E_NOMEM;
        snprintf(err->message, sizeof(err->message), "cannot start the export");
    }
    return resp;
}
