/* Read routing to a streaming replica of the PostgreSQL store (docs/scale.md "A read replica",
 * issue 17).
 *
 * CHILDGUARD_DB_REPLICA, when it holds a postgresql:// URL, is where the read-only handles
 * (CG_BANKDB_READONLY: the matcher's snapshots and deltas, bank exports) of a PostgreSQL store
 * read. Read-write handles stay on the primary, and so does the change listener (a hot standby
 * refuses LISTEN). The replica is a physical copy of the primary (pg_basebackup, streaming
 * replication): the same schemas and rows, a little later.
 *
 *  - open: a read-only handle connects to the replica (connect_timeout 3 s unless its URL sets
 *    one); when it cannot, one line on stderr names the replica and the handle reads from the
 *    primary.
 *  - lost: a replica connection that breaks outside a transaction is replaced by one to the
 *    primary (one line on stderr) and the statement runs again there; a handle on the primary
 *    for this reason tries the replica again at the start of a statement after RETRY_S.
 *  - freshness: a NOTIFY reaches the listener as soon as the primary commits, before the
 *    replica has replayed the commit. The listener reads the primary's WAL position, waits (up
 *    to WAIT_MS, polling) until the replica's replay position is past it, and only then tells
 *    the matcher: the refresh that follows reads the change from the replica. A replica that
 *    cannot say (unreachable, not a standby) is not waited for. */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"

#define RETRY_S 30
#define WAIT_MS 5000

const char *cg__pg_replica_url(void)
{
    const char *u = getenv("CHILDGUARD_DB_REPLICA");

    if (u == NULL || (strncmp(u, "postgresql://", 13) != 0 && strncmp(u, "postgres://", 11) != 0))
        return NULL;
    return u;
}

PGconn *cg__pg_replica_connect(const char *url, char *why, size_t why_len)
{
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *vals[] = {"3", url, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1); /* the URL's own connect_timeout wins */
    size_t n;

    if (c != NULL && PQstatus(c) == CONNECTION_OK)
        return c;
    snprintf(why, why_len, "%s", c != NULL ? PQerrorMessage(c) : "out of memory");
    n = strlen(why);
    while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
        why[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (why[i] == '\n' || why[i] == '\t')
            why[i] = ' ';
    PQfinish(c);
    return NULL;
}

/* One line on stderr: the library has no log of its own, and an operator must see that the
 * reads went back to the primary. */
static void say(const char *replica, const char *why, const char *primary_shown)
{
    char *shown = cg__pg_display_location(replica);

    fprintf(stderr, "childguard: read replica %s: %s; reading from the primary %s\n",
            shown != NULL ? shown : "(CHILDGUARD_DB_REPLICA)", why, primary_shown);
    cg__free(shown);
}

PGconn *cg__pg_replica_open(cg_bankdb *db)
{
    cg__pg *c = db->be;
    const char *url = cg__pg_replica_url();
    char why[256];
    PGconn *conn;

    if (url == NULL || !(db->flags & CG_BANKDB_READONLY))
        return NULL;
    conn = cg__pg_replica_connect(url, why, sizeof(why));
    if (conn != NULL) {
        /* A replica that has not replayed the primary's schema yet (a new store, a migration
         * just made) would refuse the open: the primary then, until the next open. */
        PGresult *res = PQexec(conn, "SELECT version FROM childguard_schema");
        int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                 atoi(PQgetvalue(res, 0, 0)) >= CG__BANKDB_SCHEMA_VERSION;

        PQclear(res);
        if (ok) {
            c->on_replica = 1;
            return conn;
        }
        PQfinish(conn);
        snprintf(why, sizeof(why), "no store of schema version %d there (not replayed yet?)",
                 CG__BANKDB_SCHEMA_VERSION);
    }
    say(url, why, db->path);
    c->replica_lost_at = (int64_t)time(NULL);
    return NULL;
}

int cg__pg_replica_check(cg_bankdb *db, int failed)
{
    cg__pg *c = db->be;
    const char *url;
    PGconn *conn;
    char why[256];

    /* Every statement passes here: nothing to do, cheaply, for a handle never on a replica. */
    if (!(db->flags & CG_BANKDB_READONLY) || c->tx_depth > 0 ||
        (!c->on_replica && c->replica_lost_at == 0))
        return 0;
    url = cg__pg_replica_url();
    if (url == NULL)
        return 0;
    if (c->on_replica) {
        /* After a failed statement: is the replica gone? Then the primary, and again. */
        if (!failed || PQstatus(c->conn) != CONNECTION_BAD)
            return 0;
        PQreset(c->conn);
        if (PQstatus(c->conn) == CONNECTION_OK) {
            memset(c->prepared, 0, sizeof(c->prepared));
            return 2; /* the replica is back: run the statement again there */
        }
        snprintf(why, sizeof(why), "connection lost");
        say(url, why, db->path);
        conn = PQconnectdb(c->url);
        c->replica_lost_at = (int64_t)time(NULL);
    } else {
        /* Before a statement, on the primary since a loss: is the replica back? */
        if (failed || c->replica_lost_at == 0 || time(NULL) - c->replica_lost_at < RETRY_S)
            return 0;
        conn = cg__pg_replica_connect(url, why, sizeof(why));
        if (conn == NULL) {
            c->replica_lost_at = (int64_t)time(NULL);
            return 0;
        }
        fprintf(stderr, "childguard: read replica back: reading from it again\n");
        c->replica_lost_at = 0;
    }
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        PQfinish(conn);
        return 0; /* the primary is unreachable too: the failure stands */
    }
    PQfinish(c->conn);
    c->conn = conn;
    c->on_replica = !c->on_replica;
    memset(c->prepared, 0, sizeof(c->prepared));
    return 1;
}

/* 1 when replica has replayed up to lsn (text); 0 not yet; -1 it cannot say. */
static int replayed(PGconn *replica, const char *lsn)
{
    const char *vals[1] = {lsn};
    PGresult *res = PQexecParams(replica,
                                 "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", 1, NULL,
                                 vals, NULL, NULL, 0);
    int r = -1;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        r = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return r;
}

void cg__pg_replica_wait(PGconn *primary, PGconn **replica, const char *url, int64_t *down_at)
{
    PGresult *res;
    char lsn[64], why[256];
    int r = -1;

    /* Not waited for while it is away: a replica that cannot be reached (a connect timeout
     * each) would delay every notification; tried again RETRY_S after it failed. */
    if (url == NULL || (*down_at != 0 && time(NULL) - *down_at < RETRY_S))
        return;
    res = PQexec(primary, "SELECT pg_current_wal_lsn()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return;
    }
    snprintf(lsn, sizeof(lsn), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    for (int waited = 0; waited <= WAIT_MS; waited += 5) {
        if (*replica != NULL && PQstatus(*replica) != CONNECTION_OK) {
            PQfinish(*replica);
            *replica = NULL;
        }
        if (*replica == NULL)
            *replica = cg__pg_replica_connect(url, why, sizeof(why));
        *down_at = *replica != NULL ? 0 : (int64_t)time(NULL);
        r = *replica != NULL ? replayed(*replica, lsn) : -1;
        if (r != 0)
            return;
        {
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
        }
    }
}
