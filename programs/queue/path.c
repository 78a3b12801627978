/* Reading a job's file reference under the worker's --root (queue.h): the path comes from the
 * queue, so from anyone who can publish a job; it must not reach outside the root. Each
 * component is opened from its parent directory with O_NOFOLLOW, so neither ".." nor a
 * symbolic link (even one planted inside the root) can lead elsewhere, and the check and the
 * use are the same open (no race between them). */
#include "queue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse(char *why, size_t n, const char *path, const char *reason)
{
    snprintf(why, n, "path \"%.200s\": %s", path, reason);
    return -1;
}

/* Reads the open regular file fd (at most max bytes) into *data. */
static int read_all(int fd, const char *path, size_t max, uint8_t **data, size_t *len,
                    char *why, size_t why_len)
{
    struct stat sb;
    uint8_t *buf;
    size_t got = 0;

    if (fstat(fd, &sb) != 0)
        return refuse(why, why_len, path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return refuse(why, why_len, path, "not a regular file");
    if ((uint64_t)sb.st_size > max) {
        snprintf(why, why_len, "path \"%.200s\": %lld bytes (at most %zu)", path,
                 (long long)sb.st_size, max);
        return -1;
    }
    buf = malloc((size_t)sb.st_size + 1);
    if (buf == NULL)
        return refuse(why, why_len, path, "out of memory");
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            return refuse(why, why_len, path, r < 0 ? strerror(errno) : "file shrank");
        }
        got += (size_t)r;
    }
    *data = buf;
    *len = got;
    return 0;
}

int queue_path_read(int root_fd, const char *path, size_t max, uint8_t **data, size_t *len,
                    char *why, size_t why_len)
{
    char comp[256];
    const char *p = path;
    int dir = root_fd, rc = -1;

    *data = NULL;
    *len = 0;
    if (path[0] == '\0')
        return refuse(why, why_len, path, "empty");
    if (path[0] == '/')
        return refuse(why, why_len, path, "absolute (relative to --root expected)");
    if (strlen(path) > 1024)
        return refuse(why, why_len, path, "longer than 1024 bytes");
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        int fd;

        if (n == 0 || n >= sizeof(comp)) {
            refuse(why, why_len, path, n == 0 ? "empty component" : "component too long");
            break;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
            refuse(why, why_len, path, "'.' and '..' are not allowed");
            break;
        }
        if (slash == NULL) {
            fd = openat(dir, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (fd < 0) {
                refuse(why, why_len, path,
                       errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno));
                break;
            }
            rc = read_all(fd, path, max, data, len, why, why_len);
            close(fd);
            break;
        }
        fd = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            refuse(why, why_len, path,
                   errno == ELOOP || errno == ENOTDIR
                       ? "a component is a symbolic link or not a directory"
                       : strerror(errno));
            break;
        }
        if (dir != root_fd)
            close(dir);
        dir = fd;
        p = slash + 1;
    }
    if (dir != root_fd)
        close(dir);
    return rc;
}
