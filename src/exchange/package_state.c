/* The last sequence imported per signing key, kept in a small JSON file beside the trusted keys
 * ({"<key id hex>": sequence, ...}; <keys_dir>/sequences.json unless the trust names another
 * path) until the store has a table for it. Every change takes an exclusive lock on
 * "<state>.lock", rereads the file and replaces it atomically (a temporary file, fsync,
 * rename, fsync of the directory), so two importers never lose each other's updates and a
 * crash leaves the old or the new file, never half of one. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "childguard/hex.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "package_int.h"

static void state_path(const cg_package_trust *t, char *out, size_t cap)
{
    if (t->state_path != NULL)
        snprintf(out, cap, "%s", t->state_path);
    else
        snprintf(out, cap, "%s/sequences.json", t->keys_dir ? t->keys_dir : ".");
}

/* Reads the state (an empty object when the file does not exist). */
static cg_status state_read(const char *path, json_t **out, cg_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    json_error_t je;
    cg_status st;

    *out = NULL;
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        *out = json_object();
        return *out ? CG_OK : cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    }
    st = cg__read_file(path, 1u << 20, &buf, &len, err);
    if (st != CG_OK)
        return st;
    *out = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    cg__free(buf);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return cg__fail(err, CG_E_INVAL, "%s: the package sequence state is damaged (fix or "
                                         "remove it; rollback protection needs it)", path);
    }
    return CG_OK;
}

cg_status cg__package_state_get(const cg_package_trust *t, const uint8_t key_id[8],
                                int64_t *out, cg_error *err)
{
    char path[4096], hex[17];
    json_t *o, *v;
    cg_status st;

    *out = 0;
    state_path(t, path, sizeof(path));
    st = state_read(path, &o, err);
    if (st != CG_OK)
        return st;
    cg_hex_encode(key_id, 8, hex);
    v = json_object_get(o, hex);
    if (v != NULL && !json_is_integer(v)) {
        json_decref(o);
        return cg__fail(err, CG_E_INVAL, "%s: the sequence of key %s is not an integer", path,
                        hex);
    }
    *out = v ? (int64_t)json_integer_value(v) : 0;
    json_decref(o);
    return CG_OK;
}

cg_status cg__package_write_atomic(const char *path, const void *data, size_t len,
                                   cg_error *err)
{
    char tmp[4200], dir[4096];
    int fd, ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cg__fail(err, CG_E_IO, "%s: %s", tmp, strerror(errno));
    ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cg__fail(err, CG_E_IO, "%s: %s", path, strerror(e));
    }
    snprintf(dir, sizeof(dir), "%s", path);
    fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: some file systems refuse fsync on a directory */
        close(fd);
    }
    return CG_OK;
}

cg_status cg__package_state_put(const cg_package_trust *t, const uint8_t key_id[8],
                                int64_t seq, cg_error *err)
{
    char path[4096], lock[4200], hex[17];
    json_t *o = NULL, *v;
    char *text = NULL;
    int fd;
    cg_status st;

    state_path(t, path, sizeof(path));
    snprintf(lock, sizeof(lock), "%s.lock", path);
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cg__fail(err, CG_E_IO, "%s: %s", lock, strerror(errno));
    if (flock(fd, LOCK_EX) != 0) {
        st = cg__fail(err, CG_E_IO, "%s: %s", lock, strerror(errno));
        goto done;
    }
    st = state_read(path, &o, err);
    if (st != CG_OK)
        goto done;
    cg_hex_encode(key_id, 8, hex);
    v = json_object_get(o, hex);
    if (json_is_integer(v) && json_integer_value(v) >= seq)
        goto done; /* never lowered */
    if (json_object_set_new(o, hex, json_integer(seq)) != 0 ||
        (text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
        goto done;
    }
    st = cg__package_write_atomic(path, text, strlen(text), err);
done:
    free(text);
    json_decref(o);
    close(fd); /* releases the lock */
    return st;
}
