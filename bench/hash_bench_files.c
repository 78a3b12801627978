/* hash_bench: the file set (files read into memory) and synthetic photo-like JPEGs. */
#include "hash_bench.h"

/* ---- the file set ------------------------------------------------------------------------ */

static int set_full(const file_set *set)
{
    return set->limit > 0 && set->count >= set->limit;
}

/* Appends a file whose bytes the set now owns. Returns -1 when out of memory (data is freed). */
static int set_add(file_set *set, const char *name, uint8_t *data, size_t len)
{
    bench_file *f;

    if (set->count == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 64;
        bench_file *n = realloc(set->files, ncap * sizeof(*n));

        if (n == NULL) {
            free(data);
            return -1;
        }
        set->files = n;
        set->cap = ncap;
    }
    f = &set->files[set->count];
    memset(f, 0, sizeof(*f));
    f->name = strdup(name);
    if (f->name == NULL) {
        free(data);
        return -1;
    }
    f->data = data;
    f->len = len;
    f->format = cg_image_sniff(data, len);
    set->count++;
    return 0;
}

/* Reads path into memory when it is an image (sniffed from its first bytes, never its name).
 * Returns -1 only when out of memory; other failures are reported and counted. */
static int add_path(file_set *set, const char *path)
{
    uint8_t head[16];
    uint8_t *data = NULL;
    struct stat st;
    size_t got;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "hash_bench: skipping %s: %s\n", path, strerror(errno));
        set->errors++;
        return 0;
    }
    got = fread(head, 1, sizeof(head), f);
    if (got == 0 || cg_image_sniff(head, got) == CG_FORMAT_UNKNOWN) {
        fclose(f);
        set->skipped++;
        return 0;
    }
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
        (uint64_t)st.st_size > BENCH_MAX_FILE_BYTES) {
        fprintf(stderr, "hash_bench: skipping %s: size unknown or over %u bytes\n", path,
                BENCH_MAX_FILE_BYTES);
        fclose(f);
        set->errors++;
        return 0;
    }
    data = malloc((size_t)st.st_size);
    if (data == NULL) {
        fclose(f);
        return -1;
    }
    rewind(f);
    got = fread(data, 1, (size_t)st.st_size, f);
    fclose(f);
    if (got != (size_t)st.st_size) {
        fprintf(stderr, "hash_bench: skipping %s: short read\n", path);
        free(data);
        set->errors++;
        return 0;
    }
    return set_add(set, path, data, got);
}

/* Depth-first walk in name order, so runs over the same tree see the same set. Symbolic links
 * to directories are not followed (no cycles); links to files are. */
int hb_walk(file_set *set, const char *dir)
{
    struct dirent **names = NULL;
    int n, rc = 0;
    const size_t dlen = strlen(dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";

    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "hash_bench: %s: %s\n", dir, strerror(errno));
        set->errors++;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        struct stat st;
        char *path = NULL;
        size_t len;

        if (rc != 0 || set_full(set) || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            goto next;
        len = dlen + strlen(name) + 2;
        path = malloc(len);
        if (path == NULL) {
            rc = -1;
            goto next;
        }
        snprintf(path, len, "%s%s%s", dir, sep, name);
        if (lstat(path, &st) != 0) {
            fprintf(stderr, "hash_bench: %s: %s\n", path, strerror(errno));
            set->errors++;
        } else if (S_ISDIR(st.st_mode)) {
            rc = hb_walk(set, path);
        } else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
                                           S_ISREG(st.st_mode))) {
            rc = add_path(set, path);
        }
next:
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

void hb_set_free(file_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free(set->files[i].name);
        free(set->files[i].data);
        cg_image_destroy(set->files[i].img);
    }
    free(set->files);
    memset(set, 0, sizeof(*set));
}

/* ---- synthetic photo-like JPEGs ---------------------------------------------------------- */

/* splitmix64: small, fast and good enough for test pictures. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static uint8_t clamp_u8(double v)
{
    return v <= 0.0 ? 0 : v >= 255.0 ? 255 : (uint8_t)(v + 0.5);
}

/* Paints image index of the synthetic set: a smooth two-colour gradient at a random angle with
 * a low-frequency wave on top (sky, walls), 6 to 15 blended discs and rectangles (objects),
 * and triangular noise of +-7 per sample (sensor grain), so the encoder and the hash see
 * photo-like structure at every scale. */
static void synth_paint(unsigned index, uint8_t *rgb, int w, int h)
{
    uint64_t s = BENCH_SYNTH_SEED + index;
    const double angle = rng_unit(&s) * 2.0 * M_PI;
    const double ca = cos(angle) / w, sa = sin(angle) / h;
    const double fx = (1.0 + 4.0 * rng_unit(&s)) * 2.0 * M_PI / w;
    const double fy = (1.0 + 4.0 * rng_unit(&s)) * 2.0 * M_PI / h;
    const double amp = 10.0 + 25.0 * rng_unit(&s);
    const double px = rng_unit(&s) * 2.0 * M_PI, py = rng_unit(&s) * 2.0 * M_PI;
    const int shapes = 6 + (int)(rng_next(&s) % 10);
    double c0[3], c1[3];

    for (int c = 0; c < 3; c++) {
        c0[c] = 255.0 * rng_unit(&s);
        c1[c] = 255.0 * rng_unit(&s);
    }
    for (int y = 0; y < h; y++) {
        const double wy = cos(fy * y + py);

        for (int x = 0; x < w; x++) {
            const double t = 0.5 + 0.5 * (ca * x + sa * y);
            const double wave = amp * sin(fx * x + px) * wy;
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;

            for (int c = 0; c < 3; c++)
                p[c] = clamp_u8(c0[c] + (c1[c] - c0[c]) * t + wave);
        }
    }
    for (int k = 0; k < shapes; k++) {
        const int disc = (int)(rng_next(&s) & 1);
        const double cx = rng_unit(&s) * w, cy = rng_unit(&s) * h;
        const double rx = 30.0 + rng_unit(&s) * w / 5.0, ry = 30.0 + rng_unit(&s) * h / 5.0;
        const double alpha = 0.5 + 0.5 * rng_unit(&s);
        const int x0 = cx - rx < 0 ? 0 : (int)(cx - rx), x1 = cx + rx > w ? w : (int)(cx + rx);
        const int y0 = cy - ry < 0 ? 0 : (int)(cy - ry), y1 = cy + ry > h ? h : (int)(cy + ry);
        double col[3];

        for (int c = 0; c < 3; c++)
            col[c] = 255.0 * rng_unit(&s);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                const double dx = (x - cx) / rx, dy = (y - cy) / ry;
                uint8_t *p = rgb + ((size_t)y * w + x) * 3;

                if (disc && dx * dx + dy * dy > 1.0)
                    continue;
                for (int c = 0; c < 3; c++)
                    p[c] = clamp_u8(p[c] * (1.0 - alpha) + col[c] * alpha);
            }
    }
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        const uint64_t r = rng_next(&s);
        const int noise = (int)(r & 7) + (int)((r >> 3) & 7) - 7;

        rgb[i] = clamp_u8((double)rgb[i] + noise);
    }
}


/* Encodes rgb as a baseline JPEG (libjpeg defaults: 4:2:0, quality 85) into *buf (malloc'ed
 * by libjpeg, *size bytes). Returns 0, or -1 after reporting; the caller frees *buf either way.
 * buf and size live in the caller's frame so that they stay valid across the longjmp. */
static int synth_encode(const uint8_t *rgb, int w, int h, unsigned char **buf,
                        unsigned long *size)
{
    struct jpeg_compress_struct cinfo;
    jpeg_fail jerr;

    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = hb_jpeg_fail_exit;
    if (setjmp(jerr.jmp) != 0) {
        fprintf(stderr, "hash_bench: JPEG encoder: %s\n", jerr.message);
        jpeg_destroy_compress(&cinfo);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, buf, size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, BENCH_SYNTH_QUALITY, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * w * 3);

        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}

/* Appends n synthetic JPEGs, image i painted from seed BENCH_SYNTH_SEED + i. */
int hb_add_synth(file_set *set, unsigned n)
{
    uint8_t *rgb = malloc((size_t)BENCH_SYNTH_W * BENCH_SYNTH_H * 3);

    if (rgb == NULL)
        return -1;
    for (unsigned i = 0; i < n && !set_full(set); i++) {
        char name[32];
        unsigned char *jpg = NULL;
        unsigned long len = 0;

        synth_paint(i, rgb, BENCH_SYNTH_W, BENCH_SYNTH_H);
        if (synth_encode(rgb, BENCH_SYNTH_W, BENCH_SYNTH_H, &jpg, &len) != 0) {
            free(jpg);
            set->errors++;
            continue;
        }
        snprintf(name, sizeof(name), "synth-%03u.jpg", i);
        if (set_add(set, name, jpg, len) != 0) {
            free(rgb);
            return -1;
        }
        set->files[set->count - 1].synthetic = 1;
    }
    free(rgb);
    return 0;
}

