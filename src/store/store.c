/* Opening and closing a store: the location picks the backend (store_ops.h, docs/banks.md).
 *
 *   sqlite:PATH          the embedded SQLite file (the default)
 *   PATH                 the same: anything without a scheme is a file path, so every path
 *                        that worked before keeps working (":memory:" too)
 *   postgresql://...     PostgreSQL (also postgres://), when this library is built with libpq
 *                        (src/store/postgresql/); otherwise the error says so rather than
 *                        treating the URL as a file name
 *
 * A scheme is letters, digits, '+', '-' or '.' followed by ':' (RFC 3986); a one-letter one is
 * not taken as a scheme, so that a Windows-style "C:\..." stays a path. */
#include "store/store_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* The backends built in, by scheme. */
static const cg__store_ops *const backends[] = {
    &cg__store_sqlite,
#if CG_HAVE_POSTGRESQL
    &cg__store_postgresql,
#endif
};

/* Other names of built-in backends' schemes. */
static const struct {
    const char *scheme;
    const cg__store_ops *ops;
} aliases[] = {
#if CG_HAVE_POSTGRESQL
    {"postgres", &cg__store_postgresql},
#else
    {"", NULL},
#endif
};

/* Schemes of backends this build does not have, with what enables them. */
static const struct {
    const char *scheme;
    const char *how;
} missing[] = {
#if !CG_HAVE_POSTGRESQL
    {"postgresql", "PostgreSQL support is not built into this childguard (build it with "
                   "libpq-dev installed); use a SQLite file (a path or sqlite:PATH)"},
    {"postgres", "PostgreSQL support is not built into this childguard (build it with "
                 "libpq-dev installed); use a SQLite file (a path or sqlite:PATH)"},
#else
    {"", ""},
#endif
};

/* The length of location's scheme (0: none, a plain path). */
static size_t scheme_length(const char *location)
{
    size_t n = 0;

    for (; location[n] != '\0'; n++) {
        const char c = location[n];

        if (c == ':')
            return n >= 2 ? n : 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (n > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
            return 0;
    }
    return 0;
}

/* Picks the backend of location and where its own part starts. */
static cg_status pick_backend(const char *location, const cg__store_ops **ops, const char **where,
                              cg_error *err)
{
    const size_t n = scheme_length(location);

    *ops = NULL;
    *where = location;
    if (n == 0) {
        *ops = &cg__store_sqlite;
        return CG_OK;
    }
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        if (strlen(backends[i]->name) == n && strncmp(location, backends[i]->name, n) == 0) {
            *ops = backends[i];
            *where = location + n + 1;
            return CG_OK;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (aliases[i].ops != NULL && strlen(aliases[i].scheme) == n &&
            strncmp(location, aliases[i].scheme, n) == 0) {
            *ops = aliases[i].ops;
            *where = location + n + 1;
            return CG_OK;
        }
    }
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        if (missing[i].scheme[0] != '\0' && strlen(missing[i].scheme) == n && strncmp(location, missing[i].scheme, n) == 0)
            return cg__fail(err, CG_E_UNSUPPORTED, "%.*s: database not built: %s", (int)n,
                            location, missing[i].how);
    }
    return cg__fail(err, CG_E_UNSUPPORTED,
                    "%.*s: unknown database scheme (sqlite:PATH, a file path or postgresql://... "
                    "expected)", (int)n,
                    location);
}

cg_status cg_bankdb_open(const char *path, int flags, cg_bankdb **out, cg_error *err)
{
    const cg__store_ops *ops;
    const char *where;
    cg_bankdb *db = NULL;
    cg_status st;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_open: out is NULL");
    *out = NULL;
    if (path == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_open: path is NULL");
    if (flags & ~(CG_BANKDB_READONLY | CG_BANKDB_CREATE))
        return cg__fail(err, CG_E_INVAL, "%s: unknown open flags %#x", path, (unsigned)flags);
    if ((flags & CG_BANKDB_READONLY) && (flags & CG_BANKDB_CREATE))
        return cg__fail(err, CG_E_INVAL, "%s: CG_BANKDB_CREATE needs a read-write open", path);
    st = pick_backend(path, &ops, &where, err);
    if (st != CG_OK)
        return st;
    db = cg__calloc(1, sizeof(*db));
    if (db == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    db->ops = cg__store_ops_fill(ops, &db->own_ops) ? &db->own_ops : ops;
    db->flags = flags;
    db->path = cg__strdup(where);
    if (db->path == NULL) {
        cg__free(db);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", path);
    }
    st = ops->open(db, where, err);
    if (st != CG_OK)
        goto fail;
    *out = db;
    return CG_OK;
fail:
    cg_bankdb_close(db);
    return st;
}

void cg_bankdb_close(cg_bankdb *db)
{
    if (db == NULL)
        return;
    (void)cg__store_audit_release(db, 0, NULL); /* a job's record left open: rolled back */
    db->ops->close(db);
    cg__free(db->path);
    cg__free(db);
}

int cg_bankdb_schema_version(void)
{
    return CG__BANKDB_SCHEMA_VERSION;
}

cg_status cg__bankdb_check_writable(cg_bankdb *db, cg_error *err)
{
    if (db->flags & CG_BANKDB_READONLY)
        return cg__fail(err, CG_E_INVAL, "%s: the bank database was opened read-only", db->path);
    return CG_OK;
}
