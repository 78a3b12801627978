/* Bounded whole-file reads (file.h). */
#include "common/file.h"

#include "childguard/content.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"

/* Reads fd to its end; path names it in messages. Does not close fd. */
static cg_status read_fd(int fd, const char *path, uint64_t max_bytes, uint8_t **out,
                         size_t *out_len, cg_error *err)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t cap, len = 0;
    cg_status rc;

    *out = NULL;
    *out_len = 0;
    if (fstat(fd, &st) != 0) {
        rc = cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = cg__fail(err, CG_E_IO, "%s: is a directory", path);
        goto fail;
    }
    if (max_bytes > 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
        rc = cg__fail(err, CG_E_LIMIT, "%s: file is %lld bytes, over the limit of %llu", path,
                      (long long)st.st_size, (unsigned long long)max_bytes);
        goto fail;
    }
    /* Regular files are read in one allocation; pipes and devices grow under the cap. */
    cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    buf = cg__malloc(cap);
    if (buf == NULL) {
        rc = cg__fail(err, CG_E_NOMEM, "%s: out of memory reading %zu bytes", path, cap);
        goto fail;
    }
    for (;;) {
        ssize_t n;

        if (len == cap) {
            size_t ncap = cap * 2;
            uint8_t *nbuf;

            /* Never hold more than one byte past the cap: that byte proves it is exceeded. */
            if (max_bytes > 0 && ncap > max_bytes + 1)
                ncap = (size_t)max_bytes + 1;
            if (max_bytes > 0 && cap > max_bytes) {
                rc = cg__fail(err, CG_E_LIMIT, "%s: more than %llu bytes", path,
                              (unsigned long long)max_bytes);
                goto fail;
            }
            nbuf = cg__realloc(buf, ncap);
            if (nbuf == NULL) {
                rc = cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = cg__fail(err, CG_E_IO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (max_bytes > 0 && len > max_bytes) {
        rc = cg__fail(err, CG_E_LIMIT, "%s: more than %llu bytes", path,
                      (unsigned long long)max_bytes);
        goto fail;
    }
    *out = buf;
    *out_len = len;
    return CG_OK;
fail:
    cg__free(buf);
    return rc;
}

cg_status cg__read_file(const char *path, uint64_t max_bytes, uint8_t **out, size_t *out_len,
                        cg_error *err)
{
    cg_status st;
    int fd;

    *out = NULL;
    *out_len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cg__fail(err, errno == ENOENT ? CG_E_NOTFOUND : CG_E_IO, "%s: %s", path,
                        strerror(errno));
    st = read_fd(fd, path, max_bytes, out, out_len, err);
    close(fd);
    return st;
}

cg_status cg_content_read_file(const char *path, uint64_t max_bytes, uint8_t **data,
                               size_t *len, cg_error *err)
{
    return cg__read_file(path, max_bytes, data, len, err);
}

cg_status cg_content_read_fd(int fd, const char *name, uint64_t max_bytes, uint8_t **data,
                             size_t *len, cg_error *err)
{
    return read_fd(fd, name, max_bytes, data, len, err);
}
