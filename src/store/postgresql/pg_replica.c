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
 *    cannot say (unreachable, not a standby) is not waited for.
 *  - lag limit (CHILDGUARD_DB_REPLICA_MAX_LAG seconds, serve's --db-replica-max-lag; default
 *    LAG_DEFAULT_MS, 0 none): before a statement outside a transaction, at most once a
 *    LAG_CHECK_MS, a handle reads the primary's WAL position (on a spare connection to it) and
 *    the replica's replay position. The lag is bounded from below by the age of the oldest
 *    position read from the primary that the replica has not replayed yet (its samples, and the
 *    listener's: a notified commit not replayed within the limit), and from above by the age of
 *    the newest one it has (0 when it has the primary's current one). Over the limit (the lower
 *    bound): the handle reads from the primary, one line on stderr; back on the replica, one
 *    line, once the upper bound is within half the limit (no flapping at the limit). A handle's
 *    first check has no samples: the replica gets half the limit (at most LAG_FIRST_MS) to
 *    replay the primary's position, and failing that the age of the last commit it replayed
 *    stands for the lag (an over-estimate after the primary was idle: the safe side). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>
#include <stdatomic.h>

#include "common/alloc.h"

#define RETRY_S 30
#define WAIT_MS 5000
#define LAG_DEFAULT_MS 5000
#define LAG_MAX_MS (86400 * 1000)
#define LAG_CHECK_MS 1000
#define LAG_FIRST_MS 2000

/* A read-only handle's lag state (db->be->lag); the handle's thread but for hint_* and
 * lagging, which the listener's thread reads or writes too. */
struct cg__pg_lag {
    int64_t max_ms;          /* the limit; 0: none */
    PGconn *spare;           /* the other side: the primary while reading the replica, the
                              * replica while reading the primary for the lag */
    int spare_prepared[CG__PG_STMT_COUNT]; /* its prepared statements (cg__pg.prepared's) */
    atomic_int lagging;      /* 1: on the primary because the replica was too far behind */
    int64_t checked_ms;      /* the last check (monotonic ms); 0: none yet */
    int64_t spare_failed_ms; /* the primary's spare could not be made then: no checks for a while */
    uint64_t last_lsn;       /* the primary's position at the last check, */
    int64_t last_ms;         /* and when it was read */
    uint64_t behind_lsn;     /* the oldest position read that the replica has not replayed, */
    int64_t behind_ms;       /* and when (0: none) */
    pthread_mutex_t hint_mu; /* the listener's word: a position not replayed within the limit */
    uint64_t hint_lsn;
    int64_t hint_ms;         /* when the primary had it (0: none) */
    int recheck;             /* 1: the listener saw a notified commit replayed: check now */
    int64_t lag_ms;          /* the lower bound at the last check; -1 not known */
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pg_lsn's text ("16/B374D848") as a number; -1 when it is not one. */
static int parse_lsn(const char *t, uint64_t *out)
{
    char *end;
    unsigned long long hi, lo;

    if (t == NULL || *t == '\0' || *t == '-')
        return -1;
    hi = strtoull(t, &end, 16);
    if (*end != '/' || hi > 0xFFFFFFFFull || end[1] == '\0' || end[1] == '-')
        return -1;
    lo = strtoull(end + 1, &end, 16);
    if (*end != '\0' || lo > 0xFFFFFFFFull)
        return -1;
    *out = (uint64_t)hi << 32 | lo;
    return 0;
}

/* CHILDGUARD_DB_REPLICA_MAX_LAG in milliseconds: seconds, a decimal in [0, 86400] (0: no
 * limit); unset: LAG_DEFAULT_MS; anything else: a line on stderr and the default. */
static int64_t max_lag_ms(void)
{
    const char *v = getenv("CHILDGUARD_DB_REPLICA_MAX_LAG");
    char *end;
    double s;

    if (v == NULL || *v == '\0')
        return LAG_DEFAULT_MS;
    s = strtod(v, &end);
    if (end == v || *end != '\0' || !(s >= 0.0 && s * 1000.0 <= LAG_MAX_MS)) {
        fprintf(stderr, "childguard: CHILDGUARD_DB_REPLICA_MAX_LAG '%.32s': not a number of "
                        "seconds from 0 to 86400; using %d\n", v, LAG_DEFAULT_MS / 1000);
        return LAG_DEFAULT_MS;
    }
    return (int64_t)(s * 1000.0 + 0.5);
}

const char *cg__pg_replica_url(void)
{
    const char *u = getenv("CHILDGUARD_DB_REPLICA");

    if (u == NULL || (strncmp(u, "postgresql://", 13) != 0 && strncmp(u, "postgres://", 11) != 0))
        return NULL;
    return u;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* a server's WARNING as it shuts down is not for the user: the failure is */
}

PGconn *cg__pg_replica_connect(const char *url, char *why, size_t why_len)
{
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *vals[] = {"3", url, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1); /* the URL's own connect_timeout wins */
    size_t n;

    if (c != NULL && PQstatus(c) == CONNECTION_OK) {
        PQsetNoticeProcessor(c, quiet, NULL);
        return c;
    }
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

/* How long a handle's first check waits for the replica to replay the primary's position
 * before it takes the age of the replica's last commit for the lag: half the limit, at most
 * LAG_FIRST_MS (a replica that applies at once has it in a few ms). */
static int64_t first_wait_ms(const cg__pg_lag *l)
{
    return l->max_ms / 2 < LAG_FIRST_MS ? l->max_ms / 2 : LAG_FIRST_MS;
}

static cg__pg_lag *lag_new(void)
{
    cg__pg_lag *l = cg__calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL; /* no limit then: the replica is read as before it had one */
    l->max_ms = max_lag_ms();
    atomic_init(&l->lagging, 0);
    l->lag_ms = -1;
    pthread_mutex_init(&l->hint_mu, NULL);
    return l;
}

void cg__pg_replica_close(cg__pg *c)
{
    if (c->lag == NULL)
        return;
    PQfinish(c->lag->spare);
    pthread_mutex_destroy(&c->lag->hint_mu);
    cg__free(c->lag);
    c->lag = NULL;
}

PGconn *cg__pg_replica_open(cg_bankdb *db)
{
    cg__pg *c = db->be;
    const char *url = cg__pg_replica_url();
    char why[256];
    PGconn *conn;

    if (url == NULL || !(db->flags & CG_BANKDB_READONLY))
        return NULL;
    if (c->lag == NULL)
        c->lag = lag_new();
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

/* Makes conn the handle's connection (on the other side), keeping the one it had as the
 * spare when keep (else closing it). prepared: the statements prepared on conn (a spare used
 * before keeps them: preparing one again would fail), NULL for a new connection. */
static void use(cg__pg *c, PGconn *conn, const int *prepared, int keep)
{
    int had[CG__PG_STMT_COUNT];

    memcpy(had, c->prepared, sizeof(had));
    if (prepared != NULL)
        memcpy(c->prepared, prepared, sizeof(c->prepared));
    else
        memset(c->prepared, 0, sizeof(c->prepared));
    if (keep && c->lag != NULL) {
        if (c->lag->spare != conn)
            PQfinish(c->lag->spare);
        c->lag->spare = c->conn;
        memcpy(c->lag->spare_prepared, had, sizeof(had));
    } else {
        PQfinish(c->conn);
    }
    c->conn = conn;
    c->on_replica = !c->on_replica;
}

/* The primary's current WAL position on conn; -1 when it cannot be read. */
static int primary_lsn(PGconn *conn, uint64_t *out)
{
    PGresult *res = PQexec(conn, "SELECT pg_current_wal_lsn()::text");
    int r = -1;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        r = parse_lsn(PQgetvalue(res, 0, 0), out);
    PQclear(res);
    return r;
}

/* The replica's replay position, and the age of the last commit it replayed in ms (-1 when it
 * cannot say: none replayed since it started); -1 when it is not a standby or cannot be read. */
static int replica_lsn(PGconn *conn, uint64_t *out, int64_t *age_ms)
{
    PGresult *res = PQexec(conn, "SELECT pg_last_wal_replay_lsn()::text,"
                                 " (extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
                                 "  * 1000)::bigint");
    int r = -1;

    *age_ms = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
        !PQgetisnull(res, 0, 0)) {
        r = parse_lsn(PQgetvalue(res, 0, 0), out);
        if (!PQgetisnull(res, 0, 1))
            *age_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    return r;
}

/* The spare connection (to the primary, or to the replica while lagging): made when missing
 * or broken; NULL when it cannot be (why[] says). */
static PGconn *spare(cg_bankdb *db, const char *url, char *why, size_t why_len)
{
    cg__pg *c = db->be;
    cg__pg_lag *l = c->lag;

    if (l->spare != NULL && PQstatus(l->spare) != CONNECTION_OK) {
        PQfinish(l->spare);
        l->spare = NULL;
    }
    if (l->spare == NULL) {
        memset(l->spare_prepared, 0, sizeof(l->spare_prepared));
        l->spare = cg__pg_replica_connect(c->on_replica ? c->url : url, why, why_len);
        if (l->spare != NULL && !cg__pg_conn_setup(db, l->spare)) {
            snprintf(why, why_len, "cannot set the session up");
            PQfinish(l->spare);
            l->spare = NULL;
        }
    }
    return l->spare;
}

/* Before a statement outside a transaction: the lag limit (the file's comment). 1 when the
 * handle changed sides. */
static int lag_check(cg_bankdb *db, const char *url)
{
    cg__pg *c = db->be;
    cg__pg_lag *l = c->lag;
    const int64_t now = mono_ms();
    int64_t hint_ms, age_ms, lower, upper;
    uint64_t hint_lsn, p, r;
    PGconn *primary, *replica;
    char why[256];
    int first, recheck;

    if (l == NULL || l->max_ms == 0)
        return 0;
    pthread_mutex_lock(&l->hint_mu);
    hint_ms = l->hint_ms;
    hint_lsn = l->hint_lsn;
    l->hint_ms = 0;
    recheck = l->recheck;
    l->recheck = 0;
    pthread_mutex_unlock(&l->hint_mu);
    if (hint_ms == 0 && !recheck && l->checked_ms != 0 && now - l->checked_ms < LAG_CHECK_MS)
        return 0;
    if (l->spare_failed_ms != 0 && now - l->spare_failed_ms < RETRY_S * 1000)
        return 0;
    first = l->checked_ms == 0;
    l->checked_ms = now;
    l->lag_ms = -1;
    if (spare(db, url, why, sizeof(why)) == NULL) {
        if (c->on_replica) {
            l->spare_failed_ms = now; /* the primary unreachable: the lag cannot be told */
            return 0;
        }
        /* Over the limit and now unreachable: a lost replica (tried again after RETRY_S). */
        atomic_store(&l->lagging, 0);
        say(url, why, db->path);
        c->replica_lost_at = (int64_t)time(NULL);
        return 0;
    }
    l->spare_failed_ms = 0;
    primary = c->on_replica ? l->spare : c->conn;
    replica = c->on_replica ? c->conn : l->spare;
    if (primary_lsn(primary, &p) != 0 || replica_lsn(replica, &r, &age_ms) != 0)
        return 0; /* cannot say (not a standby, a failed read): as before there was a limit */
    for (int64_t t0 = now; first && r < p && mono_ms() - t0 < first_wait_ms(l);) {
        struct timespec ts = {0, 5000000L};

        nanosleep(&ts, NULL);
        if (replica_lsn(replica, &r, &age_ms) != 0)
            return 0;
    }
    if (hint_ms != 0 && (l->behind_ms == 0 || hint_ms < l->behind_ms)) {
        l->behind_ms = hint_ms;
        l->behind_lsn = hint_lsn;
    }
    if (l->behind_ms != 0 && r >= l->behind_lsn)
        l->behind_ms = 0;
    if (r >= p)
        upper = 0;
    else if (l->last_ms != 0 && r >= l->last_lsn)
        upper = now - l->last_ms;
    else
        upper = -1; /* not known */
    lower = l->behind_ms != 0 ? now - l->behind_ms : 0;
    if (first && r < p && age_ms > lower)
        lower = age_ms;
    if (l->behind_ms == 0 && r < p) {
        l->behind_ms = now;
        l->behind_lsn = p;
    }
    l->last_lsn = p;
    l->last_ms = now;
    l->lag_ms = lower;
    if (c->on_replica && lower > l->max_ms) {
        snprintf(why, sizeof(why),
                 "%.1f s behind the primary, over the limit of %.1f s (--db-replica-max-lag)",
                 (double)lower / 1000.0, (double)l->max_ms / 1000.0);
        say(url, why, db->path);
        use(c, l->spare, l->spare_prepared, 1);
        atomic_store(&l->lagging, 1);
        return 1;
    }
    if (!c->on_replica && upper >= 0 && upper <= l->max_ms / 2) {
        char *shown = cg__pg_display_location(url);

        fprintf(stderr,
                "childguard: read replica %s caught up (%.1f s behind the primary at most): "
                "reading from it again\n",
                shown != NULL ? shown : "(CHILDGUARD_DB_REPLICA)", (double)upper / 1000.0);
        cg__free(shown);
        use(c, l->spare, l->spare_prepared, 1);
        atomic_store(&l->lagging, 0);
        return 1;
    }
    return 0;
}

int cg__pg_replica_lagging(const cg__pg_lag *lag)
{
    return lag != NULL && atomic_load(&((cg__pg_lag *)lag)->lagging);
}

int cg__pg_replica_check(cg_bankdb *db, int failed)
{
    cg__pg *c = db->be;
    const char *url;
    PGconn *conn;
    const int *prepared = NULL;
    char why[256];

    /* Every statement passes here: nothing to do, cheaply, for a handle never on a replica. */
    if (!(db->flags & CG_BANKDB_READONLY) || c->tx_depth > 0 ||
        (!c->on_replica && c->replica_lost_at == 0 && !cg__pg_replica_lagging(c->lag)))
        return 0;
    url = cg__pg_replica_url();
    if (url == NULL)
        return 0;
    if (cg__pg_replica_lagging(c->lag))
        return failed ? 0 : lag_check(db, url); /* on the primary: a failure there stands */
    if (c->on_replica) {
        if (!failed)
            return lag_check(db, url);
        /* After a failed statement: is the replica gone? Then the primary, and again. */
        if (PQstatus(c->conn) != CONNECTION_BAD)
            return 0;
        PQreset(c->conn);
        if (PQstatus(c->conn) == CONNECTION_OK) {
            memset(c->prepared, 0, sizeof(c->prepared));
            return 2; /* the replica is back: run the statement again there */
        }
        snprintf(why, sizeof(why), "connection lost");
        say(url, why, db->path);
        conn = NULL;
        if (c->lag != NULL && c->lag->spare != NULL && PQstatus(c->lag->spare) == CONNECTION_OK) {
            conn = c->lag->spare; /* the lag check's connection to the primary */
            prepared = c->lag->spare_prepared;
            c->lag->spare = NULL;
        } else {
            conn = PQconnectdb(c->url);
        }
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
        if (c->lag != NULL) {
            c->lag->checked_ms = 0; /* its lag is checked afresh, at once */
            c->lag->behind_ms = c->lag->last_ms = 0;
        }
    }
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK || !cg__pg_conn_setup(db, conn)) {
        PQfinish(conn);
        return 0; /* the primary is unreachable too: the failure stands */
    }
    use(c, conn, prepared, 0);
    return 1;
}

cg_status cg__pg_replica_state(cg_bankdb *db, cg_bankdb_replica_state *out, cg_error *err)
{
    cg__pg *c = db->be;
    cg__pg_lag *l = c->lag;

    (void)err;
    if (!(db->flags & CG_BANKDB_READONLY) || cg__pg_replica_url() == NULL || l == NULL)
        return CG_OK;
    if (c->tx_depth == 0) {
        pthread_mutex_lock(&l->hint_mu);
        l->recheck = 1; /* now, not at most once a second */
        pthread_mutex_unlock(&l->hint_mu);
        (void)cg__pg_replica_check(db, 0);
    }
    out->configured = 1;
    out->on_replica = c->on_replica;
    out->lagging = cg__pg_replica_lagging(l);
    out->lost = !c->on_replica && !out->lagging;
    out->lag_seconds = !out->lost && l->lag_ms >= 0 ? (double)l->lag_ms / 1000.0 : -1.0;
    return CG_OK;
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

void cg__pg_replica_wait(PGconn *primary, PGconn **replica, const char *url, int64_t *down_at,
                         cg__pg_lag *lag)
{
    PGresult *res;
    char lsn[64], why[256];
    const int64_t t0 = mono_ms();
    int64_t bound = WAIT_MS;
    uint64_t at;
    int r = -1;

    /* Not waited for while it is away: a replica that cannot be reached (a connect timeout
     * each) would delay every notification; tried again RETRY_S after it failed. */
    if (url == NULL || (*down_at != 0 && time(NULL) - *down_at < RETRY_S))
        return;
    if (lag != NULL && lag->max_ms > 0 && lag->max_ms < bound)
        bound = lag->max_ms; /* later than that the handle reads from the primary */
    res = PQexec(primary, "SELECT pg_current_wal_lsn()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return;
    }
    snprintf(lsn, sizeof(lsn), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    for (;;) {
        if (*replica != NULL && PQstatus(*replica) != CONNECTION_OK) {
            PQfinish(*replica);
            *replica = NULL;
        }
        if (*replica == NULL)
            *replica = cg__pg_replica_connect(url, why, sizeof(why));
        *down_at = *replica != NULL ? 0 : (int64_t)time(NULL);
        r = *replica != NULL ? replayed(*replica, lsn) : -1;
        if (r != 0 || mono_ms() - t0 > bound)
            break;
        {
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (r == 0 && lag != NULL && lag->max_ms > 0 && parse_lsn(lsn, &at) == 0) {
        /* Not replayed within the limit: the watched handle's next statement reads from the
         * primary (lag_check). */
        pthread_mutex_lock(&lag->hint_mu);
        if (lag->hint_ms == 0) {
            lag->hint_ms = t0 > 0 ? t0 : 1;
            lag->hint_lsn = at;
        }
        pthread_mutex_unlock(&lag->hint_mu);
    } else if (r == 1 && cg__pg_replica_lagging(lag)) {
        /* Replayed, while the handle reads from the primary: the refresh this wakes checks
         * the lag at once (it may be back within the limit). */
        pthread_mutex_lock(&lag->hint_mu);
        lag->recheck = 1;
        pthread_mutex_unlock(&lag->hint_mu);
    }
}
