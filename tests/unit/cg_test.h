/* A small unit-test harness. Each CG_TEST(name) registers a case; the test binary runs the case
 * named on its command line (CTest runs each case as its own test with a timeout), or every case
 * when given none. Assertions print both operands and the location, then fail the case.
 * CG_SKIP("why") ends a case as skipped: it prints SKIPPED and exits 77, which CTest reports as
 * skipped (never as passed). */
#ifndef CG_TEST_H
#define CG_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/status.h"

typedef void (*cg_test_fn)(void);
void cg_test_register(const char *name, cg_test_fn fn);
void cg_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void cg_test_skip(const char *why) __attribute__((noreturn));
/* Directory of ../shared/testdata (from CG_TESTDATA_DIR or the build's default), or NULL. */
const char *cg_test_shared_dir(void);
/* The reference vectors to check conformance with: the full sets in ../shared/testdata when
 * they are there, else the compact set that travels with the repository (tests/vectors, the
 * same layout). Never NULL. *full (optional) says which; the choice is printed once. */
const char *cg_test_vectors_dir(int *full);
/* The message of a cg_error (NULL gives ""). */
const char *cg_test_error_text(const void *err);
/* A fresh temporary directory for this case (created on first call). */
const char *cg_test_tmpdir(void);
/* Runs op with the library's 1st, 2nd, ... allocation failing (cg__alloc_fail_at) until a run
 * completes without reaching the failure, which must return CG_OK (0); every run that reached
 * it must return CG_E_NOMEM, or CG_E_DECODE too when decode_ok. op frees what it made. ASan's
 * leak checker sees the rest. Prints and returns how many allocation points were tested. */
long cg_test_fail_each_allocation(const char *what, cg_status (*op)(void *arg), void *arg,
                                  int decode_ok);

/* Seeded random numbers (splitmix64): the same sequence on every machine and build. */
typedef struct cg_test_rng {
    uint64_t s;
} cg_test_rng;
uint64_t cg_test_rng_next(cg_test_rng *r);

/* Case arguments after the case's name on the command line (i = 0 is the first), or NULL. A
 * case that takes arguments is declared with CG_TEST_PARAM and registered by tests/CMakeLists.txt
 * once per argument set (the CG_TEST( scan does not see it). */
const char *cg_test_arg(int i);

/* ---- the store backend under test (cg_test_store.c) ----
 * Store tests run on every backend from the same binary: `test_x --store NAME case` (CTest
 * registers each case once per backend in CG_STORE_BACKENDS; without --store, sqlite). A case
 * opens its databases at cg_test_store_location, never at a path of its own, so a backend that
 * is not a file (PostgreSQL, issue 17) can map the name to a database of its own. A case that
 * inspects or damages the SQLite file itself is declared with CG_TEST_SQLITE and registered for
 * the sqlite backend only. */
/* "sqlite" (the default) or the backend given with --store. */
const char *cg_test_store(void);
/* The location (for cg_bankdb_open) of this case's store called name: "sqlite:<tmpdir>/<name>"
 * for sqlite. */
void cg_test_store_location(const char *name, char *out, size_t cap);
/* What messages about this case's store called name contain to name it: the file name for
 * sqlite, the schema's name for postgresql (a static buffer, valid until the next call). */
const char *cg_test_store_mention(const char *name);
/* Removes this case's store called name, so that the next open creates it afresh. */
void cg_test_store_drop(const char *name);
/* Used by the runner's main: selects the backend; prints why and returns -1 when unknown. */
int cg__test_store_select(const char *name);

#define CG_TEST_SQLITE(name) CG_TEST(name)
/* A case about the PostgreSQL backend itself: registered for postgresql only. */
#define CG_TEST_PG(name) CG_TEST(name)
#define CG_TEST_PARAM(name) CG_TEST(name)
#define CG_TEST(name)                                                   \
    static void test_##name(void);                                      \
    __attribute__((constructor)) static void register_##name(void)      \
    {                                                                   \
        cg_test_register(#name, test_##name);                           \
    }                                                                   \
    static void test_##name(void)

#define CG_SKIP(why) cg_test_skip(why)

#define CG_ASSERT(cond)                                                 \
    do {                                                                \
        if (!(cond))                                                    \
            cg_test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond); \
    } while (0)

#define CG_ASSERT_INT_OP(a, op, b)                                      \
    do {                                                                \
        long long va_ = (long long)(a), vb_ = (long long)(b);           \
        if (!(va_ op vb_))                                              \
            cg_test_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b, va_, vb_); \
    } while (0)

#define CG_ASSERT_EQ(a, b) CG_ASSERT_INT_OP(a, ==, b)
#define CG_ASSERT_NE(a, b) CG_ASSERT_INT_OP(a, !=, b)
#define CG_ASSERT_LE(a, b) CG_ASSERT_INT_OP(a, <=, b)
#define CG_ASSERT_LT(a, b) CG_ASSERT_INT_OP(a, <, b)
#define CG_ASSERT_GE(a, b) CG_ASSERT_INT_OP(a, >=, b)
#define CG_ASSERT_GT(a, b) CG_ASSERT_INT_OP(a, >, b)

#define CG_ASSERT_STR_EQ(a, b)                                          \
    do {                                                                \
        const char *sa_ = (a), *sb_ = (b);                              \
        if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0)        \
            cg_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b, \
                         sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");   \
    } while (0)

/* Asserts a cg_status is CG_OK, printing its name and the error detail when given. */
#define CG_ASSERT_OK(st, errp)                                          \
    do {                                                                \
        cg_status st_ = (st);                                           \
        if (st_ != CG_OK)                                               \
            cg_test_fail(__FILE__, __LINE__, "%s: %s (%s)", #st, cg_status_name(st_), \
                         cg_test_error_text(errp));                    \
    } while (0)

#endif
