/* The data version of a SQLite store (cg_bankdb_data_version): whether anything was committed,
 * at the cost of a memory read. The HTTP service asks on every request whether the API keys
 * may have changed; a real read costs a read transaction (two or three fcntl locks on the -shm
 * file, about a tenth of a lookup's time).
 *
 * Every commit to a WAL database, by any process, rewrites the wal-index header at the start of
 * the database's "-shm" file (https://www.sqlite.org/walformat.html: two copies of a 48-byte
 * header; iChange, the u32 at byte 8, is incremented by each write transaction, mxFrame at byte
 * 16 is the last valid frame). SQLite writes the second copy first and the first copy last, so
 * a first copy that shows a new iChange belongs to a finished commit. The version is iChange in
 * the high 32 bits and mxFrame in the low ones: every commit changes it (iChange would need 2^32
 * commits between two reads to come round).
 *
 * The pointer is SQLite's own mapping of the file (the VFS's xShmMap, region 0, never extended
 * here), found once at open after a read transaction mapped it; it stays valid until the
 * connection closes, so reading it needs no lock and no descriptor of our own (closing a
 * descriptor of the -shm file would drop the process's POSIX locks on it). A database not in
 * WAL mode, or a VFS without shared memory, has no mapping: CG_E_UNSUPPORTED. */
#include "store/sqlite/sqlite_int.h"

#include <stdatomic.h>
#include <string.h>

/* The size of a wal-index region (SQLite's WALINDEX_PGSZ). */
#define WAL_INDEX_REGION 32768

void cg__sqlite_version_init(cg_bankdb *db)
{
    cg__sqlite *c = db->be;
    sqlite3_file *f = NULL;
    sqlite3_stmt *st = NULL;
    volatile void *p = NULL;
    const unsigned char *mode = NULL;
    int wal = 0;

    c->wal_index = NULL;
    if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
        return;
    /* The pragma's read also maps the wal-index when the database is in WAL mode. */
    if (sqlite3_step(st) == SQLITE_ROW) {
        mode = sqlite3_column_text(st, 0);
        wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
    }
    sqlite3_finalize(st);
    if (!wal)
        return;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &st, NULL) ==
        SQLITE_OK) {
        (void)sqlite3_step(st); /* a read transaction: the wal-index is mapped from here */
        sqlite3_finalize(st);
    }
    if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
        f == NULL || f->pMethods == NULL || f->pMethods->iVersion < 2 ||
        f->pMethods->xShmMap == NULL)
        return;
    if (f->pMethods->xShmMap(f, 0, WAL_INDEX_REGION, 0, &p) != SQLITE_OK || p == NULL)
        return;
    c->wal_index = (const volatile uint8_t *)p;
}

/* A u32 of the header in the machine's byte order (the wal-index is native-endian). */
static uint32_t header_u32(const volatile uint8_t *h, size_t at)
{
    uint32_t v;
    uint8_t b[4];

    for (size_t i = 0; i < 4; i++)
        b[i] = h[at + i];
    memcpy(&v, b, sizeof(v));
    return v;
}

cg_status cg__sqlite_data_version(cg_bankdb *db, uint64_t *out)
{
    const cg__sqlite *c = db->be;

    if (c == NULL || c->wal_index == NULL)
        return CG_E_UNSUPPORTED;
    atomic_thread_fence(memory_order_acquire);
    *out = ((uint64_t)header_u32(c->wal_index, 8) << 32) | header_u32(c->wal_index, 16);
    return CG_OK;
}
