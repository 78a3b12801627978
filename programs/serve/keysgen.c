/* Watching for key changes at the cost of a memory compare. A revocation must take effect on
 * the next request (auth.c reads the keys generation and drops its key cache when it moved),
 * but a SQLite read on every request costs a read transaction: two or three fcntl locks on the
 * shared-memory file, about a tenth of a lookup's time on this server.
 *
 * Every commit to a WAL database, by any process, rewrites the wal-index header at the start of
 * the database's "-shm" file (https://www.sqlite.org/walformat.html: two copies of a 48-byte
 * header whose iChange counter is incremented by each write transaction, followed by mxFrame,
 * the salts and checksums). So the server maps the first 48 bytes of that file read-only and
 * keeps the bytes it saw when it last read the generation: while they are unchanged, nothing
 * was committed and the generation cannot have moved; when they differ (a commit, or a header
 * read mid-update), it reads the generation for real. A header equal to the remembered one
 * while a commit happened is impossible (iChange changed), so no revocation is missed; a change
 * that is not about keys costs one real read.
 *
 * The descriptor of the -shm file stays open until every SQLite connection of the process is
 * closed (keysgen_close is the last step of shutdown): closing a descriptor of a file releases
 * all the process's POSIX locks on it, and SQLite keeps its WAL locks on that file.
 * When the file cannot be mapped (another journal mode, a filesystem without shared memory),
 * every request reads the generation. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "serve.h"

#define HEADER_WORDS 6 /* 48 bytes */

void keysgen_open(serve_server *s)
{
    char path[SERVE_PATH_MAX + 8];
    void *p;

    s->keys_shm_fd = -1;
    s->keys_shm = NULL;
    snprintf(path, sizeof(path), "%s-shm", s->cfg.db);
    s->keys_shm_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->keys_shm_fd < 0)
        return;
    p = mmap(NULL, HEADER_WORDS * 8, PROT_READ, MAP_SHARED, s->keys_shm_fd, 0);
    if (p == MAP_FAILED)
        return; /* the descriptor stays open (see above); every request reads */
    s->keys_shm = p;
    for (int i = 0; i < HEADER_WORDS; i++)
        atomic_init(&s->keys_shm_seen[i], ~(uint64_t)0); /* never a real header: first read */
}

/* Copies the current header into out. */
static void header(const serve_server *s, uint64_t out[HEADER_WORDS])
{
    const volatile uint64_t *h = (const volatile uint64_t *)s->keys_shm;

    for (int i = 0; i < HEADER_WORDS; i++)
        out[i] = h[i];
}

int keysgen_unchanged(serve_server *s)
{
    uint64_t now[HEADER_WORDS];

    if (s->keys_shm == NULL)
        return 0;
    header(s, now);
    for (int i = 0; i < HEADER_WORDS; i++)
        if (now[i] != atomic_load_explicit(&s->keys_shm_seen[i], memory_order_acquire))
            return 0;
    return 1;
}

void keysgen_remember(serve_server *s)
{
    uint64_t now[HEADER_WORDS];

    if (s->keys_shm == NULL)
        return;
    header(s, now);
    for (int i = 0; i < HEADER_WORDS; i++)
        atomic_store_explicit(&s->keys_shm_seen[i], now[i], memory_order_release);
}

void keysgen_close(serve_server *s)
{
    if (s->keys_shm != NULL)
        munmap((void *)s->keys_shm, HEADER_WORDS * 8);
    s->keys_shm = NULL;
    if (s->keys_shm_fd >= 0)
        close(s->keys_shm_fd);
    s->keys_shm_fd = -1;
}
