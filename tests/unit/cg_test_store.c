/* The store backend the unit tests run on (cg_test.h): chosen once per process by the runner's
 * --store option; every store test builds its database locations here.
 *
 * postgresql: one server per test run, started by the CTest fixture store_pg_start
 * (tests/support/pg_fixture.sh), which writes its URL to the file named by CG_TEST_PG_URL_FILE.
 * Each store of a case is a schema of its own in that server's database, named after the
 * process and the store ("t<pid>_<name>"), so cases running side by side (ctest -j) never
 * share tables; the location selects it with ?options=-csearch_path=SCHEMA. No URL file (the
 * server binaries are missing): the case prints SKIPPED and exits 77. */
#include "cg_test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#if CG_HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif

static const char *backend = "sqlite";

const char *cg_test_store(void)
{
    return backend;
}

#if CG_HAVE_POSTGRESQL
static char server_url[512];
static PGconn *admin;

/* The server's URL from the fixture's file; exits 77 (skipped) when there is none. */
static void pg_server(void)
{
    const char *file = getenv("CG_TEST_PG_URL_FILE");
    FILE *f;
    size_t n;

    if (file == NULL || (f = fopen(file, "r")) == NULL) {
        printf("SKIPPED: no PostgreSQL for the store tests (%s%s: the fixture store_pg_start "
               "found no server binaries, or the case ran without it)\n",
               file != NULL ? "no " : "CG_TEST_PG_URL_FILE unset", file != NULL ? file : "");
        exit(77);
    }
    n = fread(server_url, 1, sizeof(server_url) - 1, f);
    fclose(f);
    server_url[n] = '\0';
    while (n > 0 && (server_url[n - 1] == '\n' || server_url[n - 1] == ' '))
        server_url[--n] = '\0';
    if (strncmp(server_url, "postgresql://", 13) != 0)
        cg_test_fail(__FILE__, __LINE__, "%s does not hold a postgresql:// URL", file);
}

static void pg_schema(const char *name, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "t%ld_", (long)getpid());

    for (size_t i = 0; name[i] != '\0' && n + 1 < cap && n < 60; i++) {
        const char c = name[i];

        out[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
                   : (c >= 'A' && c <= 'Z')                         ? (char)(c - 'A' + 'a')
                                                                    : '_';
    }
    out[n] = '\0';
}

static void pg_admin(const char *sql)
{
    PGresult *res;

    if (admin == NULL) {
        admin = PQconnectdb(server_url);
        if (PQstatus(admin) != CONNECTION_OK)
            cg_test_fail(__FILE__, __LINE__, "connecting to %s: %s", server_url,
                         PQerrorMessage(admin));
        PQclear(PQexec(admin, "SET client_min_messages = warning"));
    }
    res = PQexec(admin, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        cg_test_fail(__FILE__, __LINE__, "%s: %s", sql, PQerrorMessage(admin));
    PQclear(res);
}
#endif

int cg__test_store_select(const char *name)
{
    if (strcmp(name, "sqlite") == 0) {
        backend = "sqlite";
        return 0;
    }
#if CG_HAVE_POSTGRESQL
    if (strcmp(name, "postgresql") == 0) {
        backend = "postgresql";
        pg_server();
        return 0;
    }
    fprintf(stderr, "--store %s: no such store backend in this build (sqlite, postgresql)\n",
            name);
#else
    fprintf(stderr, "--store %s: no such store backend in this build (sqlite)\n", name);
#endif
    return -1;
}

void cg_test_store_location(const char *name, char *out, size_t cap)
{
    int n;

#if CG_HAVE_POSTGRESQL
    if (strcmp(backend, "postgresql") == 0) {
        char schema[64], sql[128];

        pg_schema(name, schema, sizeof(schema));
        snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s", schema);
        pg_admin(sql);
        n = snprintf(out, cap, "%s%soptions=-csearch_path%%3D%s", server_url,
                     strchr(server_url, '?') != NULL ? "&" : "?", schema);
        if (n < 0 || (size_t)n >= cap)
            cg_test_fail(__FILE__, __LINE__, "store location of %s does not fit %zu bytes", name,
                         cap);
        return;
    }
#endif
    n = snprintf(out, cap, "sqlite:%s/%s", cg_test_tmpdir(), name);
    if (n < 0 || (size_t)n >= cap)
        cg_test_fail(__FILE__, __LINE__, "store location of %s does not fit %zu bytes", name, cap);
}

void cg_test_store_drop(const char *name)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[1024];

#if CG_HAVE_POSTGRESQL
    if (strcmp(backend, "postgresql") == 0) {
        char schema[64], sql[128];

        pg_schema(name, schema, sizeof(schema));
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
        pg_admin(sql);
        return;
    }
#endif
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", cg_test_tmpdir(), name, suffixes[i]);
        if (remove(path) != 0 && errno != ENOENT)
            cg_test_fail(__FILE__, __LINE__, "removing %s: %s", path, strerror(errno));
    }
}

const char *cg_test_store_mention(const char *name)
{
    static char buf[64];

#if CG_HAVE_POSTGRESQL
    if (strcmp(backend, "postgresql") == 0) {
        pg_schema(name, buf, sizeof(buf));
        return buf;
    }
#endif
    snprintf(buf, sizeof(buf), "%s", name);
    return buf;
}
