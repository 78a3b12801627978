/* Conformance with Meta's reference pdq-photo-hasher over ../shared/testdata/pdq: every hash,
 * quality, dihedral variant and --details line must match bit for bit. Prints SKIPPED (exit 77)
 * when the shared folder is absent. */
#include "cg_test.h"

#include "childguard.h"

static const char *pdq_dir(void)
{
    static char dir[4096];
    const char *shared = cg_test_shared_dir();

    if (shared == NULL)
        CG_SKIP("../shared/testdata not found (set CG_TESTDATA_DIR)");
    snprintf(dir, sizeof(dir), "%s/pdq", shared);
    return dir;
}

static FILE *open_expected(const char *name)
{
    char path[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/expected/generated/%s", pdq_dir(), name);
    f = fopen(path, "r");
    if (f == NULL)
        CG_SKIP("expected vectors missing");
    return f;
}

/* Decodes and hashes images/<rel>; a decode failure is reported and leaves a zero hash with
 * quality -1, which never matches a vector. */
static void hash_file(cg_pdq_hasher *h, const char *rel, int dihedral, cg_pdq_result *res)
{
    char path[4200];
    cg_image *img = NULL;
    cg_error err = {0};

    snprintf(path, sizeof(path), "%s/images/%s", pdq_dir(), rel);
    if (cg_image_decode_file(path, NULL, &img, &err) != CG_OK) {
        fprintf(stderr, "DECODE FAILED %s\n", err.message);
        memset(res, 0, sizeof(*res));
        res->quality = -1;
        return;
    }
    CG_ASSERT_OK(cg_pdq_hash_image(h, img, dihedral, res), NULL);
    cg_image_destroy(img);
}

/* Splits a line at commas into at most max fields (in place); returns the count. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;

    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return n;
}

CG_TEST(photo_hasher_csv)
{
    FILE *f = open_expected("pdq-photo-hasher.csv");
    cg_pdq_hasher *h;
    char line[1024], hex[65];
    int lines = 0, bad = 0;

    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *fl[3];
        cg_pdq_result res;

        CG_ASSERT_EQ(split(line, fl, 3), 3);
        hash_file(h, fl[2], 0, &res);
        cg_pdq_to_hex(&res.hash, hex);
        if (strcmp(hex, fl[0]) != 0 || res.quality != atoi(fl[1])) {
            cg_pdq expect;
            cg_pdq_from_hex(fl[0], 64, &expect);
            fprintf(stderr, "MISMATCH %s: got %s,%d want %s,%s (distance %d)\n", fl[2], hex,
                    res.quality, fl[0], fl[1], cg_pdq_distance(&expect, &res.hash));
            bad++;
        }
        lines++;
    }
    fclose(f);
    cg_pdq_hasher_destroy(h);
    printf("%d vectors, %d mismatches\n", lines, bad);
    CG_ASSERT_EQ(lines, 49);
    CG_ASSERT_EQ(bad, 0);
}

CG_TEST(dihedral_across_csv)
{
    FILE *f = open_expected("pdq-photo-hasher-dih-across.csv");
    cg_pdq_hasher *h;
    char line[2048], hex[65];
    int lines = 0, bad = 0;

    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *fl[10];
        cg_pdq_result res;

        CG_ASSERT_EQ(split(line, fl, 10), 10);
        hash_file(h, fl[9], 1, &res);
        for (int v = 0; v < 8; v++) {
            cg_pdq_to_hex(&res.dihedral[v], hex);
            if (strcmp(hex, fl[v]) != 0) {
                fprintf(stderr, "MISMATCH %s variant %d: got %s want %s\n", fl[9], v, hex,
                        fl[v]);
                bad++;
            }
        }
        if (res.quality != atoi(fl[8]))
            bad++;
        lines++;
    }
    fclose(f);
    cg_pdq_hasher_destroy(h);
    CG_ASSERT_EQ(lines, 49);
    CG_ASSERT_EQ(bad, 0);
}

CG_TEST(details_csv)
{
    FILE *f = open_expected("pdq-photo-hasher-details.csv");
    cg_pdq_hasher *h;
    char line[1024], hex[65];
    int lines = 0, bad = 0;
    cg_pdq prev;

    memset(&prev, 0, sizeof(prev));
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *fl[5];
        cg_pdq_result res;

        CG_ASSERT_EQ(split(line, fl, 5), 5);
        CG_ASSERT(strncmp(fl[4], "filename=", 9) == 0);
        hash_file(h, fl[4] + 9, 0, &res);
        if (lines == 0)
            prev = res.hash; /* the reference's first delta is against the hash itself */
        cg_pdq_to_hex(&res.hash, hex);
        if (strcmp(hex, fl[0] + 5) != 0 || cg_pdq_popcount(&res.hash) != atoi(fl[1] + 5) ||
            cg_pdq_distance(&res.hash, &prev) != atoi(fl[2] + 6) ||
            res.quality != atoi(fl[3] + 8)) {
            fprintf(stderr, "MISMATCH %s\n", fl[4]);
            bad++;
        }
        prev = res.hash;
        lines++;
    }
    fclose(f);
    cg_pdq_hasher_destroy(h);
    CG_ASSERT_EQ(lines, 49);
    CG_ASSERT_EQ(bad, 0);
}
