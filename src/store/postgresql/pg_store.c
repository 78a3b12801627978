/* The PostgreSQL backend's connection: the location, open/close, identity checks and
 * migrations, transactions, statement helpers, errors (docs/banks.md "Backends").
 *
 * The location is a libpq URL, "postgresql://USER@HOST:PORT/DATABASE?options": the tables live
 * in the connection's current schema (the first of its search_path; several stores share one
 * database in schemas of their own with ?options=-csearch_path%3DNAME). Opening:
 *   1. the URL is parsed by libpq first, so a malformed one is CG_E_INVAL naming it, before
 *      any connection; the password, if the URL holds one, never appears in messages;
 *   2. connect; session settings (lock_timeout, UTF-8, read-only for CG_BANKDB_READONLY);
 *   3. the schema's identity: empty (created only with CG_BANKDB_CREATE), ours
 *      (childguard_schema names the app and version), foreign (tables but not ours: refused),
 *      or newer than this build (refused);
 *   4. migrations in one transaction holding the store's write lock, rechecking the version
 *      (another process may have migrated meanwhile).
 *
 * Transactions nest as the SQLite backend's: inside an open one, begin opens SAVEPOINT
 * cg_nested, commit releases it and rollback undoes only it. A write transaction takes the
 * store's write lock (a transaction-level advisory lock, the one the change-log triggers take)
 * at once, so a busy store fails at begin (after CG__PG_LOCK_TIMEOUT_MS: "database is locked").
 * PostgreSQL aborts a transaction on any failed statement: commit then reports the failure and
 * rolls back rather than committing half. A connection lost outside a transaction is reset
 * before the next statement (the prepared statements are prepared again). */
#include "store/postgresql/pg_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define WRITE_LOCK_SQL "SELECT pg_advisory_xact_lock(hashtext('childguard:' || current_schema()))"
#define APP_NAME "childguard"

/* ---- parameters --------------------------------------------------------------------------- */

static void param_add(cg__pg_params *p, const char *v, int len, int fmt)
{
    if (p->n >= CG__PG_MAX_PARAMS)
        abort(); /* a programming error: every statement here has fewer */
    p->val[p->n] = v;
    p->len[p->n] = len;
    p->fmt[p->n] = fmt;
    p->n++;
}

void cg__pg_param_int(cg__pg_params *p, int64_t v)
{
    if (p->n >= CG__PG_MAX_PARAMS)
        abort();
    snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
    param_add(p, p->num[p->n], 0, 0);
}

void cg__pg_param_text(cg__pg_params *p, const char *s)
{
    param_add(p, s, 0, 0);
}

void cg__pg_param_bytes(cg__pg_params *p, const void *data, size_t n)
{
    /* A zero-length value still needs a non-NULL pointer (NULL means SQL NULL). */
    param_add(p, n > 0 ? (const char *)data : "", (int)n, 1);
}

void cg__pg_param_null(cg__pg_params *p)
{
    param_add(p, NULL, 0, 0);
}

/* ---- errors ------------------------------------------------------------------------------- */

cg_status cg__pg_status(const char *state)
{
    if (state == NULL || strlen(state) != 5)
        return CG_E_BACKEND;
    if (strcmp(state, "53100") == 0) /* disk_full */
        return CG_E_IO;
    if (strcmp(state, "53200") == 0) /* out_of_memory */
        return CG_E_NOMEM;
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "25006") == 0 ||
        strncmp(state, "58", 2) == 0) /* connection, read-only transaction, system errors */
        return CG_E_IO;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return CG_E_INVAL;
    if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0) /* data/index corrupted */
        return CG_E_DECODE;
    return CG_E_BACKEND; /* 55P03 lock_not_available, 40001, 40P01, 42..., others */
}

/* Copies PostgreSQL's message without its trailing newline(s). */
static void message_copy(const char *msg, char *out, size_t cap)
{
    size_t n;

    snprintf(out, cap, "%s", msg != NULL && msg[0] != '\0' ? msg : "unknown PostgreSQL error");
    n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        out[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n' || out[i] == '\t')
            out[i] = ' ';
}

cg_status cg__pg_fail(cg_bankdb *db, const PGresult *res, cg_error *err, const char *fmt, ...)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    PGconn *conn = db->be != NULL ? cg__pgc(db) : NULL;
    char what[160], msg[512];
    cg_status st;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (res != NULL && PQresultErrorMessage(res)[0] != '\0')
        message_copy(PQresultErrorMessage(res), msg, sizeof(msg));
    else
        message_copy(conn != NULL ? PQerrorMessage(conn) : NULL, msg, sizeof(msg));
    if (db->be != NULL)
        snprintf(((cg__pg *)db->be)->last_state, sizeof(((cg__pg *)db->be)->last_state), "%s",
                 state != NULL ? state : "");
    if (state == NULL && conn != NULL && PQstatus(conn) == CONNECTION_BAD)
        st = CG_E_IO; /* the connection is gone */
    else
        st = cg__pg_status(state);
    if (state != NULL && (strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 ||
                          strcmp(state, "40P01") == 0))
        return cg__fail(err, st, "%s: %s: database is locked (%s)", db->path, what, msg);
    return cg__fail(err, st, "%s: %s: %s", db->path, what, msg);
}

/* ---- statements --------------------------------------------------------------------------- */

int cg__pg_in_tx(cg_bankdb *db)
{
    const PGTransactionStatusType t = PQtransactionStatus(cg__pgc(db));

    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Settings of every session (after a connect and after a reset). */
static cg_status session_setup(cg_bankdb *db, cg_error *err);

/* 1 when res is a failure. */
static int failed(const PGresult *res)
{
    const ExecStatusType t = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    return t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK;
}

/* Reconnects a connection that was lost outside a transaction (the next statement then runs
 * on a new one); inside a transaction the failure stands (the transaction is gone). */
static void revive(cg_bankdb *db)
{
    cg__pg *c = db->be;

    if (PQstatus(c->conn) != CONNECTION_BAD || c->tx_depth > 0)
        return;
    PQreset(c->conn);
    memset(c->prepared, 0, sizeof(c->prepared));
    if (PQstatus(c->conn) == CONNECTION_OK)
        (void)session_setup(db, NULL);
}

static cg_status result_check(cg_bankdb *db, PGresult *res, const char *what, PGresult **out,
                              cg_error *err)
{
    const ExecStatusType t = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        if (out != NULL)
            *out = res;
        else
            PQclear(res);
        return CG_OK;
    }
    {
        const cg_status st = cg__pg_fail(db, res, err, "%s", what);

        PQclear(res);
        return st;
    }
}

cg_status cg__pg_query(cg_bankdb *db, const char *sql, const cg__pg_params *p, const char *what,
                       PGresult **out, cg_error *err)
{
    PGresult *res;

    (void)cg__pg_replica_check(db, 0);
    for (int again = 0;; again++) {
        if (out != NULL)
            *out = NULL;
        revive(db);
        res = PQexecParams(cg__pgc(db), sql, p != NULL ? p->n : 0, NULL,
                           p != NULL ? p->val : NULL, p != NULL ? p->len : NULL,
                           p != NULL ? p->fmt : NULL, 0);
        if (!again && failed(res) && cg__pg_replica_check(db, 1)) {
            PQclear(res); /* the replica went away: once more, on the primary (pg_replica.c) */
            continue;
        }
        return result_check(db, res, what, out, err);
    }
}

cg_status cg__pg_query_slot(cg_bankdb *db, cg__pg_stmt slot, const char *sql,
                            const cg__pg_params *p, const char *what, PGresult **out,
                            cg_error *err)
{
    cg__pg *c = db->be;
    char name[16];
    PGresult *res;
    cg_status st;

    (void)cg__pg_replica_check(db, 0);
    snprintf(name, sizeof(name), "cg_s%d", (int)slot);
    for (int again = 0;; again++) {
        if (out != NULL)
            *out = NULL;
        revive(db);
        if (!c->prepared[slot]) {
            res = PQprepare(c->conn, name, sql, 0, NULL);
            if (!again && failed(res) && cg__pg_replica_check(db, 1)) {
                PQclear(res); /* the replica went away (pg_replica.c) */
                continue;
            }
            st = result_check(db, res, "preparing a statement", NULL, err);
            if (st != CG_OK)
                return st;
            c->prepared[slot] = 1;
        }
        res = PQexecPrepared(c->conn, name, p != NULL ? p->n : 0, p != NULL ? p->val : NULL,
                             p != NULL ? p->len : NULL, p != NULL ? p->fmt : NULL, 0);
        if (!again && failed(res) && cg__pg_replica_check(db, 1)) {
            PQclear(res);
            continue;
        }
        return result_check(db, res, what, out, err);
    }
}

cg_status cg__pg_exec(cg_bankdb *db, const char *sql, const char *what, cg_error *err)
{
    PGresult *res;

    (void)cg__pg_replica_check(db, 0);
    revive(db);
    res = PQexec(cg__pgc(db), sql);
    if (failed(res) && cg__pg_replica_check(db, 1)) {
        PQclear(res); /* the replica went away: once more, on the primary (pg_replica.c) */
        revive(db);
        res = PQexec(cg__pgc(db), sql);
    }
    return result_check(db, res, what, NULL, err);
}

int64_t cg__pg_int(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int cg__pg_text(const PGresult *res, int row, int col, char *dst, size_t cap)
{
    const size_t n = (size_t)PQgetlength(res, row, col);

    if (PQgetisnull(res, row, col)) {
        dst[0] = '\0';
        return 0;
    }
    if (n >= cap)
        return -1;
    memcpy(dst, PQgetvalue(res, row, col), n);
    dst[n] = '\0';
    return 0;
}

void cg__pg_text_cut(const PGresult *res, int row, int col, char *dst, size_t cap)
{
    size_t n = PQgetisnull(res, row, col) ? 0 : (size_t)PQgetlength(res, row, col);
    const char *t = PQgetvalue(res, row, col);

    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
            n--;
    }
    if (n > 0)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cg__pg_hex(const PGresult *res, int row, int col, uint8_t *dst, size_t n)
{
    const char *t = PQgetvalue(res, row, col);

    if (PQgetisnull(res, row, col) || (size_t)PQgetlength(res, row, col) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const int hi = hexval(t[2 * i]), lo = hexval(t[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* ---- transactions ------------------------------------------------------------------------- */

static cg_status tx_begin(cg_bankdb *db, const char *sql, const char *what, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    if (c->tx_depth > 0 && cg__pg_in_tx(db)) {
        st = cg__pg_exec(db, "SAVEPOINT cg_nested", what, err);
        if (st == CG_OK)
            c->tx_depth++;
        return st;
    }
    c->tx_depth = 0;
    st = cg__pg_exec(db, sql, what, err);
    if (st != CG_OK) {
        if (cg__pg_in_tx(db))
            (void)PQclear(PQexec(c->conn, "ROLLBACK"));
        return st;
    }
    c->tx_depth = 1;
    return CG_OK;
}

cg_status cg__pg_begin_write(cg_bankdb *db, const char *what, cg_error *err)
{
    return tx_begin(db, "BEGIN; " WRITE_LOCK_SQL, what, err);
}

cg_status cg__pg_snapshot_begin(cg_bankdb *db, const char *what, cg_error *err)
{
    return tx_begin(db, "BEGIN ISOLATION LEVEL REPEATABLE READ", what, err);
}

void cg__pg_rollback(cg_bankdb *db)
{
    cg__pg *c = db->be;

    if (c == NULL || c->conn == NULL)
        return;
    if (c->tx_depth > 1 && cg__pg_in_tx(db)) {
        PQclear(PQexec(c->conn, "ROLLBACK TO SAVEPOINT cg_nested; RELEASE SAVEPOINT cg_nested"));
        c->tx_depth--;
        return;
    }
    c->tx_depth = 0;
    if (cg__pg_in_tx(db))
        PQclear(PQexec(c->conn, "ROLLBACK"));
}

cg_status cg__pg_commit(cg_bankdb *db, const char *what, cg_error *err)
{
    cg__pg *c = db->be;
    cg_status st;

    /* COMMIT of a failed transaction "succeeds" as a ROLLBACK, and COMMIT with none open
     * only warns: refuse both, so no caller is told its writes were kept when they were not.
     * Inside a savepoint only that level is undone (ROLLBACK TO recovers the transaction). */
    if (PQtransactionStatus(c->conn) == PQTRANS_INERROR) {
        st = cg__fail(err, CG_E_BACKEND,
                      "%s: %s: a statement of the transaction failed, nothing of it was kept",
                      db->path, what);
        cg__pg_rollback(db);
        return st;
    }
    if (!cg__pg_in_tx(db)) {
        c->tx_depth = 0;
        return cg__fail(err, CG_E_BACKEND, "%s: %s: the transaction is gone (rolled back)",
                        db->path, what);
    }
    if (c->tx_depth > 1) {
        st = cg__pg_exec(db, "RELEASE SAVEPOINT cg_nested", what, err);
        if (st != CG_OK)
            cg__pg_rollback(db);
        else
            c->tx_depth--;
        return st;
    }
    st = cg__pg_exec(db, "COMMIT", what, err);
    if (st != CG_OK)
        cg__pg_rollback(db);
    c->tx_depth = 0;
    return st;
}

cg_status cg__pg_snapshot_end(cg_bankdb *db, const char *what, cg_error *err)
{
    if (what == NULL) {
        cg__pg_rollback(db);
        return CG_OK;
    }
    return cg__pg_commit(db, what, err);
}

/* ---- opening ------------------------------------------------------------------------------ */

/* Masks the value of every password=... parameter of the query string in place. */
static void mask_query_password(char *s)
{
    char *q = strchr(s, '?');

    while (q != NULL) {
        char *v = q + 1;

        if (strncmp(v, "password=", 9) == 0) {
            char *val = v + 9, *end = val + strcspn(val, "&#");

            if (end - val >= 3) {
                memcpy(val, "***", 3);
                memmove(val + 3, end, strlen(end) + 1);
            } else {
                memset(val, '*', (size_t)(end - val));
            }
        }
        q = strchr(v, '&');
    }
}

/* The URL with the password of its user part, if any, masked (a new string). */
static char *display_location_user(const char *url)
{
    char *out = cg__strdup(url);
    const char *auth = strstr(url, "://");
    size_t start, end, at = 0, colon = 0;

    if (out == NULL || auth == NULL)
        return out;
    start = (size_t)(auth - url) + 3;
    end = start + strcspn(url + start, "/?#");
    for (size_t i = start; i < end; i++) {
        if (url[i] == '@')
            at = i;
    }
    for (size_t i = start; at > 0 && i < at; i++) {
        if (url[i] == ':') {
            colon = i;
            break;
        }
    }
    if (at > 0 && colon > 0) {
        /* user:***@host... */
        const size_t n = strlen(url);
        char *m = cg__malloc(n + 4);

        if (m == NULL)
            return out;
        memcpy(m, url, colon + 1);
        memcpy(m + colon + 1, "***", 3);
        memcpy(m + colon + 4, url + at, n - at + 1);
        cg__free(out);
        return m;
    }
    return out;
}

/* The location for messages: the URL with its password (in the user part or the query
 * string), if any, masked. */
static char *display_location(const char *url)
{
    char *out = display_location_user(url);

    if (out != NULL)
        mask_query_password(out);
    return out;
}

char *cg__pg_display_location(const char *url)
{
    return display_location(url);
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("relation exists, skipping") are not for the user */
}

static void session_sql(const cg_bankdb *db, char *sql, size_t cap)
{
    snprintf(sql, cap,
             "SET lock_timeout = %d; SET client_encoding = 'UTF8'; SET TimeZone = 'UTC';%s",
             CG__PG_LOCK_TIMEOUT_MS,
             (db->flags & CG_BANKDB_READONLY) ? " SET default_transaction_read_only = on;" : "");
}

static cg_status session_setup(cg_bankdb *db, cg_error *err)
{
    char sql[256];

    session_sql(db, sql, sizeof(sql));
    return cg__pg_exec(db, sql, "setting connection options", err);
}

int cg__pg_conn_setup(const cg_bankdb *db, PGconn *conn)
{
    char sql[256];
    PGresult *res;
    int ok;

    session_sql(db, sql, sizeof(sql));
    PQsetNoticeProcessor(conn, quiet_notices, NULL);
    res = PQexec(conn, sql);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* What the schema holds. */
typedef struct pg_identity {
    int64_t tables;  /* tables, views and sequences of the schema: 0 when it is new */
    int ours;        /* it has childguard_schema */
    char app[32];
    int64_t version;
} pg_identity;

static cg_status read_identity(cg_bankdb *db, pg_identity *id, cg_error *err)
{
    PGresult *res = NULL;
    cg_status st;

    memset(id, 0, sizeof(*id));
    st = cg__pg_query(db,
                      "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n"
                      "  ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
                      "  AND c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')),"
                      " (SELECT count(*) FROM pg_class c JOIN pg_namespace n"
                      "  ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
                      "  AND c.relname = 'childguard_schema')",
                      NULL, "reading the schema", &res, err);
    if (st != CG_OK)
        return st;
    id->tables = cg__pg_int(res, 0, 0);
    id->ours = cg__pg_int(res, 0, 1) > 0;
    PQclear(res);
    if (!id->ours)
        return CG_OK;
    st = cg__pg_query(db, "SELECT app, version FROM childguard_schema", NULL,
                      "reading the schema version", &res, err);
    if (st != CG_OK)
        return st;
    if (PQntuples(res) != 1 || cg__pg_text(res, 0, 0, id->app, sizeof(id->app)) < 0) {
        PQclear(res);
        return cg__fail(err, CG_E_DECODE,
                        "%s: childguard_schema must hold exactly one row (app, version)",
                        db->path);
    }
    id->version = cg__pg_int(res, 0, 1);
    PQclear(res);
    return CG_OK;
}

static cg_status check_identity(cg_bankdb *db, const pg_identity *id, int *migrate,
                                cg_error *err)
{
    *migrate = 0;
    if (!id->ours && id->tables == 0) {
        if (!(db->flags & CG_BANKDB_CREATE))
            return cg__fail(err, CG_E_NOTFOUND,
                            "%s: no bank database here yet (creating a bank creates it)",
                            db->path);
        *migrate = 1;
        return CG_OK;
    }
    if (!id->ours || strcmp(id->app, APP_NAME) != 0)
        return cg__fail(err, CG_E_INVAL,
                        "%s: not a childguard bank database (the schema has %lld tables but no "
                        "childguard_schema of app \"" APP_NAME "\"); use an empty schema",
                        db->path, (long long)id->tables);
    if (id->version > CG__BANKDB_SCHEMA_VERSION)
        return cg__fail(err, CG_E_INVAL,
                        "%s: bank database schema version %lld is newer than this build "
                        "supports (%d); upgrade childguard",
                        db->path, (long long)id->version, CG__BANKDB_SCHEMA_VERSION);
    if (id->version < 0)
        return cg__fail(err, CG_E_DECODE, "%s: bank database schema version %lld is negative",
                        db->path, (long long)id->version);
    if (id->version < CG__BANKDB_SCHEMA_VERSION) {
        if (db->flags & CG_BANKDB_READONLY)
            return cg__fail(err, CG_E_INVAL,
                            "%s: bank database schema version %lld is older than this build's "
                            "(%d); open it read-write once to migrate it",
                            db->path, (long long)id->version, CG__BANKDB_SCHEMA_VERSION);
        *migrate = 1;
    }
    return CG_OK;
}

static cg_status migrate(cg_bankdb *db, cg_error *err)
{
    pg_identity id;
    cg__pg_params p;
    int need = 0;
    cg_status st;

    st = cg__pg_begin_write(db, "migrating the schema", err);
    if (st != CG_OK)
        return st;
    st = read_identity(db, &id, err);
    if (st == CG_OK)
        st = check_identity(db, &id, &need, err);
    if (st == CG_OK && need && !id.ours)
        st = cg__pg_exec(db,
                         "CREATE TABLE childguard_schema (app text NOT NULL, version integer"
                         " NOT NULL); INSERT INTO childguard_schema VALUES ('" APP_NAME "', 0)",
                         "migrating the schema", err);
    for (int64_t v = id.version; st == CG_OK && need && v < CG__BANKDB_SCHEMA_VERSION; v++) {
        st = cg__pg_exec(db, cg__pg_migrations[v], "migrating the schema", err);
        if (st != CG_OK)
            break;
        memset(&p, 0, sizeof(p));
        cg__pg_param_int(&p, v + 1);
        st = cg__pg_query(db, "UPDATE childguard_schema SET version = $1::integer", &p,
                          "migrating the schema", NULL, err);
    }
    if (st == CG_OK)
        return cg__pg_commit(db, "migrating the schema", err);
    cg__pg_rollback(db);
    return st;
}

cg_status cg__pg_open(cg_bankdb *db, const char *where, cg_error *err)
{
    PQconninfoOption *opts;
    char *url, *shown, *perr = NULL;
    const size_t n = strlen(where);
    pg_identity id;
    PGresult *res = NULL;
    cg__pg *c;
    int need = 0;
    cg_status st;

    /* The location without its scheme: give libpq the URL again. */
    url = cg__malloc(n + sizeof("postgresql:"));
    if (url == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    memcpy(url, "postgresql:", sizeof("postgresql:") - 1);
    memcpy(url + sizeof("postgresql:") - 1, where, n + 1);
    shown = display_location(url);
    if (shown == NULL) {
        cg__free(url);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    }
    cg__free(db->path);
    db->path = shown;
    opts = PQconninfoParse(url, &perr);
    if (opts == NULL) {
        char msg[256];

        message_copy(perr, msg, sizeof(msg));
        PQfreemem(perr);
        cg__free(url);
        return cg__fail(err, CG_E_INVAL, "%s: not a valid PostgreSQL URL: %s", db->path, msg);
    }
    PQconninfoFree(opts);
    c = cg__calloc(1, sizeof(*c));
    if (c == NULL) {
        cg__free(url);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    }
    db->be = c;
    c->url = url; /* freed by close */
    c->conn = cg__pg_replica_open(db); /* a read-only handle with a replica (pg_replica.c) */
    if (c->conn == NULL)
        c->conn = PQconnectdb(url);
    if (c->conn == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", db->path);
    if (PQstatus(c->conn) != CONNECTION_OK) {
        char msg[512];

        message_copy(PQerrorMessage(c->conn), msg, sizeof(msg));
        return cg__fail(err, CG_E_IO, "%s: cannot connect to PostgreSQL: %s", db->path, msg);
    }
    PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
    st = session_setup(db, err);
    if (st == CG_OK)
        st = cg__pg_query(db, "SELECT current_schema()", NULL, "reading the schema", &res, err);
    if (st == CG_OK) {
        if (PQgetisnull(res, 0, 0))
            st = cg__fail(err, CG_E_NOTFOUND,
                          "%s: no schema to keep the store in (the search_path names none that "
                          "exists; create it first)",
                          db->path);
        else if (cg__pg_text(res, 0, 0, c->schema, sizeof(c->schema)) < 0)
            st = cg__fail(err, CG_E_INVAL, "%s: schema name too long", db->path);
        PQclear(res);
    }
    if (st == CG_OK)
        st = read_identity(db, &id, err);
    if (st == CG_OK)
        st = check_identity(db, &id, &need, err);
    if (st == CG_OK && need)
        st = migrate(db, err);
    return st;
}

cg_status cg__pg_set_lock_timeout(cg_bankdb *db, int ms, cg_error *err)
{
    char sql[64];

    snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms);
    return cg__pg_exec(db, sql, "setting the lock timeout", err);
}

void cg__pg_close(cg_bankdb *db)
{
    cg__pg *c = db->be;

    if (c == NULL)
        return;
    cg__pg_watch_stop(c);
    cg__pg_replica_close(c);
    if (c->conn != NULL)
        PQfinish(c->conn);
    cg__free(c->url);
    cg__free(c->copy_buf);
    cg__free(c);
    db->be = NULL;
}
