/* The compiled-lexicon cache (src/text/lexicon_cache.c, cg_text_config.cache_dir): the first open
 * writes one entry, the next open reads it instead of compiling (the entry is not rewritten) and
 * scans exactly as an engine without a cache; an entry that is corrupt, truncated, for another
 * key or in a directory others may write to is never used (the engine compiles and still scans
 * the same); "off" and the environment's CHILDGUARD_CACHE_DIR are honoured.
 *
 * The chat lines are synthetic, written for this test. */
#include "cg_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childguard.h"

static const char *const lines[] = {
    "nobody likes you, you are such a loser",
    "send me a pic, don't tell your mom",
    "khong ai choi voi may dau",
    "the exam tomorrow will kill me lol",
};
#define NLINES (sizeof lines / sizeof lines[0])

/* Every finding of scanning the lines in one conversation, as text. */
static void scan_all(const char *cache_dir, char *out, size_t cap)
{
    cg_text_config cfg;
    cg_text_engine *e = NULL;
    cg_text_session *s = NULL;
    cg_text_result r;
    cg_error err = {0};
    size_t used = 0;

    memset(&cfg, 0, sizeof cfg);
    memset(&r, 0, sizeof r);
    cfg.data_dir = CG_SOURCE_DATA_DIR;
    cfg.cache_dir = cache_dir;
    CG_ASSERT_OK(cg_text_engine_open(&cfg, &e, &err), &err);
    CG_ASSERT_OK(cg_text_session_create(e, &s, &err), &err);
    out[0] = '\0';
    for (size_t i = 0; i < NLINES; i++) {
        cg_text_message m = {"c", NULL, "a", "b", 0, lines[i], strlen(lines[i])};

        CG_ASSERT_OK(cg_text_scan(s, &m, &r, &err), &err);
        for (size_t k = 0; k < r.n_evidence && used + 128 < cap; k++)
            if (r.evidence[k].in_this_message)
                used += (size_t)snprintf(out + used, cap - used, "%zu %s %u-%u %.4f\n", i,
                                         r.evidence[k].cue, r.evidence[k].start,
                                         r.evidence[k].end, (double)r.evidence[k].weight);
        used += (size_t)snprintf(out + used, cap - used, "alert %d\n", (int)r.alert);
    }
    cg_text_result_free(&r);
    cg_text_session_destroy(s);
    cg_text_engine_close(e);
}

/* The one entry in dir (its path into path), or 0 when there is none or more than one. */
static int entry(const char *dir, char *path, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "lexicon-", 8) == 0) {
            snprintf(path, cap, "%s/%s", dir, de->d_name);
            n++;
        }
    closedir(d);
    return n == 1;
}

static ino_t inode_of(const char *path)
{
    struct stat st;

    CG_ASSERT(stat(path, &st) == 0);
    return st.st_ino;
}

static size_t read_all(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    CG_ASSERT(f != NULL);
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void write_all(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");

    CG_ASSERT(f != NULL);
    CG_ASSERT(fwrite(buf, 1, n, f) == n);
    fclose(f);
}

CG_TEST(lexicon_cache_reuse_and_refuse)
{
    char tmpl[] = "/tmp/cg_lexcache_XXXXXX";
    char dir[64], path[512];
    static char plain[16384], cached[16384], again[16384];
    static unsigned char good[4 << 20], bad[4 << 20];
    size_t n;
    ino_t ino;

    CG_ASSERT(mkdtemp(tmpl) != NULL);
    snprintf(dir, sizeof dir, "%s/c", tmpl);
    unsetenv("CHILDGUARD_CACHE_DIR");

    scan_all(NULL, plain, sizeof plain); /* no cache at all */
    CG_ASSERT(strstr(plain, "alert") != NULL);
    CG_ASSERT(!entry(dir, path, sizeof path));

    scan_all(dir, cached, sizeof cached); /* a miss: compiled, then stored */
    CG_ASSERT_STR_EQ(cached, plain);
    CG_ASSERT(entry(dir, path, sizeof path));
    ino = inode_of(path);
    n = read_all(path, good, sizeof good);
    CG_ASSERT(n > 80 && n < sizeof good);

    scan_all(dir, again, sizeof again); /* a hit: read, not rewritten */
    CG_ASSERT_STR_EQ(again, plain);
    CG_ASSERT(inode_of(path) == ino);

    /* A flipped byte of the database, a cut file, another key in the header: each is a miss,
     * the engine compiles, scans the same, and writes the entry whole again. */
    for (int k = 0; k < 3; k++) {
        size_t m = n;

        memcpy(bad, good, n);
        if (k == 0)
            bad[n - 1] ^= 0x40;
        else if (k == 1)
            m = n / 2;
        else
            bad[8] ^= 0x01;
        write_all(path, bad, m);
        ino = inode_of(path);
        scan_all(dir, again, sizeof again);
        CG_ASSERT_STR_EQ(again, plain);
        CG_ASSERT(inode_of(path) != ino);
        CG_ASSERT(read_all(path, bad, sizeof bad) == n && memcmp(bad, good, n) == 0);
    }

    /* A directory others may write to is not trusted: nothing read, nothing written. */
    CG_ASSERT(unlink(path) == 0);
    CG_ASSERT(chmod(dir, 0777) == 0);
    scan_all(dir, again, sizeof again);
    CG_ASSERT_STR_EQ(again, plain);
    CG_ASSERT(!entry(dir, path, sizeof path));
    CG_ASSERT(chmod(dir, 0700) == 0);

    /* "off" turns it off even with the environment set; NULL takes the environment. */
    CG_ASSERT(setenv("CHILDGUARD_CACHE_DIR", dir, 1) == 0);
    scan_all("off", again, sizeof again);
    CG_ASSERT(!entry(dir, path, sizeof path));
    scan_all(NULL, again, sizeof again);
    CG_ASSERT_STR_EQ(again, plain);
    CG_ASSERT(entry(dir, path, sizeof path));
    unsetenv("CHILDGUARD_CACHE_DIR");

    CG_ASSERT(unlink(path) == 0);
    CG_ASSERT(rmdir(dir) == 0);
    CG_ASSERT(rmdir(tmpl) == 0);
}
