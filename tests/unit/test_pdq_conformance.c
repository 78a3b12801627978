/* Conformance with Meta's reference pdq-photo-hasher: every hash, quality, dihedral variant and
 * --details line must match bit for bit.
 *
 * Vectors: the full sets in ../shared/testdata when they are there, else the compact set in
 * tests/vectors (same layout, see its README): photos (pdq/images + pdq/expected/generated) and
 * synthetic graphics (pdq/synthetic: squares, discs, stripes, flat colours, tiny images - full
 * of exact ties and near-zero DCT values, where only the reference's exact arithmetic gives its
 * bits). Nothing is skipped: a clean clone checks conformance too.
 *
 * Each set is checked through the three entry points - the file (cg_pdq_hash_image on the
 * decoded image), a float luma plane built here as the reference builds it (cg_pdq_hash_luma),
 * and RGB24 rows (cg_pdq_hash_rgb) - on the AVX2 path and on the portable path. The reference
 * hashes a grey image from its grey values, not from R = G = B through the luma weights (those
 * differ in the last bit for 35 of the 256 grey levels), so cg_pdq_hash_rgb, the RGB route, is
 * checked on the colour images; the case prints how many that is. */
#include "cg_test.h"

#include "childguard.h"
#include "hash/pdq_int.h"

typedef enum { VIA_FILE, VIA_LUMA, VIA_RGB } via;

static const char *const via_name[] = {"file", "luma", "rgb"};

/* A set of vectors: images under a root, and the reference's three outputs (details optional). */
typedef struct vset {
    char images[4096];
    char csv[4096];
    char dih[4096];
    char details[4096];
    int want_lines; /* lines the hash file must have (0: any number > 0) */
} vset;

static void photos_set(vset *s)
{
    int full;
    const char *v = cg_test_vectors_dir(&full);

    snprintf(s->images, sizeof(s->images), "%s/pdq/images", v);
    snprintf(s->csv, sizeof(s->csv), "%s/pdq/expected/generated/pdq-photo-hasher.csv", v);
    snprintf(s->dih, sizeof(s->dih), "%s/pdq/expected/generated/pdq-photo-hasher-dih-across.csv",
             v);
    snprintf(s->details, sizeof(s->details),
             "%s/pdq/expected/generated/pdq-photo-hasher-details.csv", v);
    s->want_lines = full ? 49 : 0;
}

static void synthetic_set(vset *s)
{
    const char *v = cg_test_vectors_dir(NULL);

    snprintf(s->images, sizeof(s->images), "%s/pdq/synthetic/images", v);
    snprintf(s->csv, sizeof(s->csv), "%s/pdq/synthetic/expected.csv", v);
    snprintf(s->dih, sizeof(s->dih), "%s/pdq/synthetic/expected_dihedral_across.csv", v);
    snprintf(s->details, sizeof(s->details), "%s/pdq/synthetic/expected_details.csv", v);
    s->want_lines = 49;
}

/* Files made from reference vectors by a change the reference provably ignores (the compact
 * set only; tests/vectors/README.md says how each was made). */
static void derived_set(vset *s)
{
    const char *v = CG_SOURCE_VECTORS_DIR;

    snprintf(s->images, sizeof(s->images), "%s/pdq/images", v);
    snprintf(s->csv, sizeof(s->csv), "%s/pdq/expected/derived/pdq-photo-hasher.csv", v);
    snprintf(s->dih, sizeof(s->dih), "%s/pdq/expected/derived/pdq-photo-hasher-dih-across.csv",
             v);
    s->details[0] = '\0';
    s->want_lines = 1;
}

static FILE *open_or_fail(const char *path)
{
    FILE *f = fopen(path, "r");

    if (f == NULL)
        cg_test_fail(__FILE__, __LINE__, "cannot open %s", path);
    return f;
}

/* The reference's luma of one RGB pixel: each product rounded to float32 on its own (volatile:
 * no multiply-add contraction whatever this file's flags), summed as ((R + G) + B). */
static float luma_of(const uint8_t *p)
{
    volatile float r = 0.299f * (float)p[0];
    volatile float g = 0.587f * (float)p[1];
    volatile float b = 0.114f * (float)p[2];
    volatile float s = r + g;

    return s + b;
}

/* The image the reference hashes: over 512 on a side, resized to exactly 512x512 by nearest
 * neighbour (source index floor(i * n / 512) per axis). Returns a new pixel buffer (or a copy)
 * and its size. */
static uint8_t *reference_pixels(const cg_image *img, uint32_t *w, uint32_t *h)
{
    const uint32_t c = img->channels;
    uint8_t *out;

    *w = img->width;
    *h = img->height;
    if (*w > 512 || *h > 512) {
        *w = 512;
        *h = 512;
    }
    out = malloc((size_t)*w * *h * c);
    CG_ASSERT(out != NULL);
    for (uint32_t y = 0; y < *h; y++) {
        const uint32_t sy = (uint32_t)((uint64_t)y * img->height / *h);

        for (uint32_t x = 0; x < *w; x++) {
            const uint32_t sx = (uint32_t)((uint64_t)x * img->width / *w);

            memcpy(out + ((size_t)y * *w + x) * c,
                   img->pixels + ((size_t)sy * img->width + sx) * c, c);
        }
    }
    return out;
}

/* Hashes one file through one entry point. Returns 0 when the route does not apply (the RGB
 * route on a grey image), else 1 with *res filled. A decode failure fails the case. */
static int hash_via(cg_pdq_hasher *h, const char *images, const char *rel, via how, int dihedral,
                    cg_pdq_result *res)
{
    char path[8300];
    cg_image *img = NULL;
    cg_error err = {0};
    uint8_t *px;
    uint32_t w, ht;
    int applies = 1;

    snprintf(path, sizeof(path), "%s/%s", images, rel);
    if (cg_image_decode_file(path, NULL, &img, &err) != CG_OK)
        cg_test_fail(__FILE__, __LINE__, "decode failed: %s", err.message);
    if (how == VIA_FILE) {
        CG_ASSERT_OK(cg_pdq_hash_image(h, img, dihedral, res), NULL);
        cg_image_destroy(img);
        return 1;
    }
    px = reference_pixels(img, &w, &ht);
    if (how == VIA_LUMA) {
        float *luma = malloc((size_t)w * ht * sizeof(float));

        CG_ASSERT(luma != NULL);
        for (size_t i = 0; i < (size_t)w * ht; i++)
            luma[i] = img->channels == 1 ? (float)px[i] : luma_of(px + 3 * i);
        CG_ASSERT_OK(cg_pdq_hash_luma(h, luma, w, ht, dihedral, res), NULL);
        free(luma);
    } else if (img->channels == 3) {
        CG_ASSERT_OK(cg_pdq_hash_rgb(h, px, w, ht, (size_t)w * 3, dihedral, res), NULL);
    } else {
        applies = 0;
    }
    free(px);
    cg_image_destroy(img);
    return applies;
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

static cg_pdq_hasher *hasher(int simd)
{
    cg_pdq_hasher *h;

    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    if (simd && !cg__pdq_avx2_usable())
        CG_SKIP("no AVX2 on this CPU: the portable cases check the vectors");
    cg__pdq_hasher_set_simd(h, simd);
    return h;
}

/* hash,quality,filename lines. */
static void check_csv(const vset *s, via how, int simd)
{
    FILE *f = open_or_fail(s->csv);
    cg_pdq_hasher *h = hasher(simd);
    char line[1024], hex[65];
    int lines = 0, checked = 0, bad = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        char *fl[3];
        cg_pdq_result res;

        CG_ASSERT_EQ(split(line, fl, 3), 3);
        lines++;
        if (!hash_via(h, s->images, fl[2], how, 0, &res))
            continue;
        checked++;
        cg_pdq_to_hex(&res.hash, hex);
        if (strcmp(hex, fl[0]) != 0 || res.quality != atoi(fl[1])) {
            cg_pdq expect;

            CG_ASSERT_OK(cg_pdq_from_hex(fl[0], 64, &expect), NULL);
            fprintf(stderr, "MISMATCH %s: got %s,%d want %s,%s (distance %d)\n", fl[2], hex,
                    res.quality, fl[0], fl[1], cg_pdq_distance(&expect, &res.hash));
            bad++;
        }
    }
    fclose(f);
    cg_pdq_hasher_destroy(h);
    printf("%s via %s (%s): %d vectors, %d checked, %d mismatches\n", s->csv, via_name[how],
           simd ? "avx2" : "portable", lines, checked, bad);
    if (s->want_lines)
        CG_ASSERT_EQ(lines, s->want_lines);
    CG_ASSERT_GT(checked, 0);
    CG_ASSERT_EQ(bad, 0);
}

/* 8 hashes (original, rot90, rot180, rot270, flipX, flipY, flip+1, flip-1),quality,filename. */
static void check_dihedral(const vset *s, via how, int simd)
{
    FILE *f = open_or_fail(s->dih);
    cg_pdq_hasher *h = hasher(simd);
    char line[2048], hex[65];
    int lines = 0, checked = 0, bad = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        char *fl[10];
        cg_pdq_result res;

        CG_ASSERT_EQ(split(line, fl, 10), 10);
        lines++;
        if (!hash_via(h, s->images, fl[9], how, 1, &res))
            continue;
        checked++;
        for (int v = 0; v < 8; v++) {
            cg_pdq_to_hex(&res.dihedral[v], hex);
            if (strcmp(hex, fl[v]) != 0) {
                fprintf(stderr, "MISMATCH %s variant %d: got %s want %s\n", fl[9], v, hex,
                        fl[v]);
                bad++;
            }
        }
        if (res.quality != atoi(fl[8])) {
            fprintf(stderr, "MISMATCH %s quality %d want %s\n", fl[9], res.quality, fl[8]);
            bad++;
        }
    }
    fclose(f);
    cg_pdq_hasher_destroy(h);
    printf("%s via %s (%s): %d vectors, %d checked, %d mismatches\n", s->dih, via_name[how],
           simd ? "avx2" : "portable", lines, checked, bad);
    if (s->want_lines)
        CG_ASSERT_EQ(lines, s->want_lines);
    CG_ASSERT_GT(checked, 0);
    CG_ASSERT_EQ(bad, 0);
}

/* hash=,norm=,delta=,quality=,filename= lines; the reference's first delta is against the hash
 * itself, every other against the previous line's hash. */
static void check_details(const vset *s)
{
    FILE *f = open_or_fail(s->details);
    cg_pdq_hasher *h = hasher(0);
    char line[1024], hex[65];
    int lines = 0, bad = 0;
    cg_pdq prev;

    memset(&prev, 0, sizeof(prev));
    while (fgets(line, sizeof(line), f) != NULL) {
        char *fl[5];
        cg_pdq_result res;

        CG_ASSERT_EQ(split(line, fl, 5), 5);
        CG_ASSERT(strncmp(fl[4], "filename=", 9) == 0);
        hash_via(h, s->images, fl[4] + 9, VIA_FILE, 0, &res);
        if (lines == 0)
            prev = res.hash;
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
    printf("%s: %d lines, %d mismatches\n", s->details, lines, bad);
    if (s->want_lines)
        CG_ASSERT_EQ(lines, s->want_lines);
    CG_ASSERT_EQ(bad, 0);
}

typedef void (*set_fill)(vset *);

static void run_csv(set_fill fill, via how, int simd)
{
    vset s;

    fill(&s);
    check_csv(&s, how, simd);
}

static void run_dihedral(set_fill fill, via how, int simd)
{
    vset s;

    fill(&s);
    check_dihedral(&s, how, simd);
}

/* One case per (set, output, entry point, path): CTest runs them in parallel. */
CG_TEST(photos_csv_file_avx2) { run_csv(photos_set, VIA_FILE, 1); }
CG_TEST(photos_csv_file_portable) { run_csv(photos_set, VIA_FILE, 0); }
CG_TEST(photos_csv_luma_avx2) { run_csv(photos_set, VIA_LUMA, 1); }
CG_TEST(photos_csv_luma_portable) { run_csv(photos_set, VIA_LUMA, 0); }
CG_TEST(photos_csv_rgb_avx2) { run_csv(photos_set, VIA_RGB, 1); }
CG_TEST(photos_csv_rgb_portable) { run_csv(photos_set, VIA_RGB, 0); }
CG_TEST(photos_dihedral_file_avx2) { run_dihedral(photos_set, VIA_FILE, 1); }
CG_TEST(photos_dihedral_file_portable) { run_dihedral(photos_set, VIA_FILE, 0); }
CG_TEST(photos_dihedral_luma_avx2) { run_dihedral(photos_set, VIA_LUMA, 1); }
CG_TEST(photos_dihedral_luma_portable) { run_dihedral(photos_set, VIA_LUMA, 0); }
CG_TEST(photos_dihedral_rgb_avx2) { run_dihedral(photos_set, VIA_RGB, 1); }
CG_TEST(photos_dihedral_rgb_portable) { run_dihedral(photos_set, VIA_RGB, 0); }
CG_TEST(synthetic_csv_file_avx2) { run_csv(synthetic_set, VIA_FILE, 1); }
CG_TEST(synthetic_csv_file_portable) { run_csv(synthetic_set, VIA_FILE, 0); }
CG_TEST(synthetic_csv_luma_avx2) { run_csv(synthetic_set, VIA_LUMA, 1); }
CG_TEST(synthetic_csv_luma_portable) { run_csv(synthetic_set, VIA_LUMA, 0); }
CG_TEST(synthetic_csv_rgb_avx2) { run_csv(synthetic_set, VIA_RGB, 1); }
CG_TEST(synthetic_csv_rgb_portable) { run_csv(synthetic_set, VIA_RGB, 0); }
CG_TEST(synthetic_dihedral_file_avx2) { run_dihedral(synthetic_set, VIA_FILE, 1); }
CG_TEST(synthetic_dihedral_file_portable) { run_dihedral(synthetic_set, VIA_FILE, 0); }
CG_TEST(synthetic_dihedral_luma_avx2) { run_dihedral(synthetic_set, VIA_LUMA, 1); }
CG_TEST(synthetic_dihedral_luma_portable) { run_dihedral(synthetic_set, VIA_LUMA, 0); }
CG_TEST(synthetic_dihedral_rgb_avx2) { run_dihedral(synthetic_set, VIA_RGB, 1); }
CG_TEST(synthetic_dihedral_rgb_portable) { run_dihedral(synthetic_set, VIA_RGB, 0); }

/* --details lines: the synthetic set's always, the photos' with the full set (the compact set
 * keeps no photo --details file: each line's delta chains to the previous file's hash). */
CG_TEST(details)
{
    vset s;
    int full;

    synthetic_set(&s);
    check_details(&s);
    cg_test_vectors_dir(&full);
    if (full) {
        photos_set(&s);
        check_details(&s);
    }
}

/* A JPEG with an EXIF orientation tag hashes as stored: the reference ignores the tag. */
CG_TEST(derived_exif_orientation_file) { run_csv(derived_set, VIA_FILE, 1); }
CG_TEST(derived_exif_orientation_dihedral) { run_dihedral(derived_set, VIA_FILE, 0); }
