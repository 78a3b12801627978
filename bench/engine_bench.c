/* engine_bench: what the engine façade costs on top of the work it wraps, measured in the same
 * run on the same inputs.
 *
 *   engine_bench [--images N] [--side S] [--bank N] [--messages N] [--min-seconds S] [--json]
 *
 * Images: N synthetic BMP images (S x S * 3/4, fixed seed), a bank database holding --bank
 * random PDQ hashes plus the hashes of every tenth image (in a csam bank). Baseline: what
 * `scan` did per file before the engine — decode, PDQ, MD5+SHA-256, three matcher lookups.
 * Engine: cg_engine_scan on the same bytes (policy decided, guidance resolved), without and with
 * recording (audit log without fsync + review queue). Messages: cg_text_scan directly vs
 * cg_engine_scan, on synthetic chat lines. Prints items/s and the engine/baseline ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "childguard.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void die(const char *what, const cg_error *err)
{
    fprintf(stderr, "engine_bench: %s: %s\n", what, err != NULL ? err->message : "failed");
    exit(2);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A 24-bit BMP of a synthetic pattern (gradients + blocks, different per seed). */
static uint8_t *make_bmp(int w, int h, int seed, size_t *len)
{
    size_t row = ((size_t)w * 3 + 3) & ~(size_t)3, n = 54 + row * (size_t)h;
    uint8_t *b = calloc(1, n);
    if (b == NULL)
        die("out of memory", NULL);
    b[0] = 'B';
    b[1] = 'M';
    put32(b + 2, (uint32_t)n);
    put32(b + 10, 54);
    put32(b + 14, 40);
    put32(b + 18, (uint32_t)w);
    put32(b + 22, (uint32_t)h);
    b[26] = 1;
    b[28] = 24;
    put32(b + 34, (uint32_t)(row * (size_t)h));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = b + 54 + (size_t)y * row + (size_t)x * 3;
            int blk = ((x / (20 + seed % 13)) + (y / (15 + seed % 7))) & 1;
            p[0] = (uint8_t)(x * (seed % 5 + 1) + y);
            p[1] = (uint8_t)(blk ? 220 - y / 3 : 30 + x / 4);
            p[2] = (uint8_t)((x ^ y) + seed * 17);
        }
    *len = n;
    return b;
}

typedef struct opts {
    int images, side, bank, messages, json, messages_only;
    double min_seconds;
} opts;

static uint8_t **img;
static size_t *img_len;

/* The pre-engine scan of one file: decode, PDQ, digests, three lookups. */
static int baseline_one(cg_matcher *m, cg_pdq_hasher *h, int i)
{
    cg_decode_options o;
    cg_image *im = NULL;
    cg_pdq_result r;
    cg_digests d;
    cg_match_list list = {0};
    cg_error err;
    uint8_t v[32];
    char hex[65];
    int hits;

    cg_decode_options_default(&o);
    if (cg_image_decode_mem(img[i], img_len[i], &o, &im, &err) != CG_OK)
        die("decode", &err);
    cg_pdq_hash_image(h, im, 0, &r);
    cg_image_destroy(im);
    cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, img[i], img_len[i], &d);
    cg_pdq_to_hex(&r.hash, hex);
    cg_signal_type_find("pdq")->parse(hex, 64, v);
    cg_matcher_lookup(m, cg_signal_type_find("pdq"), v, 1, NULL, &list, &err);
    cg_matcher_lookup(m, cg_signal_type_find("md5"), d.md5, 1, NULL, &list, &err);
    cg_matcher_lookup(m, cg_signal_type_find("sha256"), d.sha256, 1, NULL, &list, &err);
    hits = list.n > 0;
    cg_match_list_free(&list);
    return hits;
}

static int engine_one(cg_engine *e, cg_verdict *v, int i)
{
    cg_content c;
    cg_error err;

    cg_content_init(&c);
    c.data = img[i];
    c.len = img_len[i];
    c.name = "bench.bmp";
    if (cg_engine_scan(e, &c, v, &err) != CG_OK)
        die("engine scan", &err);
    return v->matches.n > 0;
}

/* Runs fn over all images until min_seconds passed (at least once); returns images/s. */
typedef struct runner {
    cg_matcher *m;
    cg_pdq_hasher *h;
    cg_engine *e;
    cg_verdict v;
} runner;

static double run_images(const opts *o, runner *r, int engine, int *hits)
{
    double t0 = now(), t;
    long n = 0;
    do {
        *hits = 0;
        for (int i = 0; i < o->images; i++)
            *hits += engine ? engine_one(r->e, &r->v, i) : baseline_one(r->m, r->h, i);
        n += o->images;
        t = now() - t0;
    } while (t < (o->messages_only ? 0 : o->min_seconds));
    return (double)n / t;
}

static const char *const chat[] = {
    "mai đi học sớm không", "ok 7h gặp ở cổng trường nhé", "did you finish the homework",
    "lol that game was so fun", "see you at practice tomorrow", "are you alone right now",
    "đừng nói với ai nhé", "you're so mature for your age", "nobody likes you loser",
    "sdt của em là 0912 345 678", "em học lớp 6", "what time is the bus",
};
#define N_CHAT (sizeof(chat) / sizeof(chat[0]))

static double run_messages(const opts *o, cg_text_session *s, cg_engine *e)
{
    cg_text_result res;
    cg_verdict v;
    cg_error err;
    double t0 = now(), t;
    long n = 0;

    memset(&res, 0, sizeof(res));
    memset(&v, 0, sizeof(v));
    do {
        for (int i = 0; i < o->messages; i++) {
            char conv[16];
            cg_text_message m = {0};
            snprintf(conv, sizeof(conv), "c%d", i % 97);
            m.conversation = conv;
            m.sender = i % 2 ? "a" : "b";
            m.recipient = i % 2 ? "b" : "a";
            m.ts_ms = 1770000000000LL + (int64_t)(n + i) * 1000;
            m.text = chat[(size_t)i % N_CHAT];
            m.len = strlen(m.text);
            if (e != NULL) {
                cg_content c;
                cg_content_init(&c);
                c.kind = CG_CONTENT_MESSAGE;
                c.message = m;
                if (cg_engine_scan(e, &c, &v, &err) != CG_OK)
                    die("engine message", &err);
            } else if (cg_text_scan(s, &m, &res, &err) != CG_OK) {
                die("text scan", &err);
            }
        }
        n += o->messages;
        t = now() - t0;
    } while (t < o->min_seconds);
    cg_text_result_free(&res);
    cg_verdict_free(&v);
    return (double)n / t;
}

static void build_db(const opts *o, const char *path)
{
    cg_bankdb *db = NULL;
    cg_bank b;
    cg_error err;
    cg_pdq_hasher *h = NULL;

    if (cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err) != CG_OK)
        die(path, &err);
    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "bench");
    snprintf(b.label, sizeof(b.label), "csam");
    b.enabled = 1;
    if (cg_bank_create(db, &b, &err) != CG_OK)
        die("bank", &err);
    /* Random hashes through an import (one transaction), then every tenth image's PDQ. */
    FILE *f = tmpfile();
    for (int i = 0; i < o->bank; i++) {
        for (int k = 0; k < 32; k++)
            fprintf(f, "%02x", (unsigned)(rnd() & 0xff));
        fputc('\n', f);
    }
    cg_pdq_hasher_create(&h);
    for (int i = 0; i < o->images; i += 10) {
        cg_decode_options dopt;
        cg_image *im = NULL;
        cg_pdq_result r;
        char hex[65];
        cg_decode_options_default(&dopt);
        if (cg_image_decode_mem(img[i], img_len[i], &dopt, &im, &err) != CG_OK)
            die("decode", &err);
        cg_pdq_hash_image(h, im, 0, &r);
        cg_image_destroy(im);
        cg_pdq_to_hex(&r.hash, hex);
        fprintf(f, "%s\n", hex);
    }
    cg_pdq_hasher_destroy(h);
    rewind(f);
    cg_import_options io;
    cg_import_report rep;
    memset(&io, 0, sizeof(io));
    memset(&rep, 0, sizeof(rep));
    io.format = CG_LIST_LINES;
    io.default_type = cg_signal_type_find("pdq");
    if (cg_bank_import(db, b.id, f, &io, &rep, &err) != CG_OK)
        die("import", &err);
    fclose(f);
    cg_bankdb_close(db);
}

int main(int argc, char **argv)
{
    opts o = {200, 640, 100000, 20000, 0, 0, 2.0};
    char dir[] = "/tmp/engine_bench.XXXXXX", db[128], audit[128];
    cg_error err;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--images") == 0 && i + 1 < argc)
            o.images = atoi(argv[++i]);
        else if (strcmp(argv[i], "--side") == 0 && i + 1 < argc)
            o.side = atoi(argv[++i]);
        else if (strcmp(argv[i], "--bank") == 0 && i + 1 < argc)
            o.bank = atoi(argv[++i]);
        else if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc)
            o.messages = atoi(argv[++i]);
        else if (strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
            o.min_seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            o.json = 1;
        else if (strcmp(argv[i], "--messages-only") == 0)
            o.messages_only = 1;
        else {
            fprintf(stderr, "usage: engine_bench [--images N] [--side S] [--bank N] "
                            "[--messages N] [--min-seconds S] [--messages-only] [--json]\n");
            return 2;
        }
    }
    if (o.images < 1 || o.side < 16 || o.bank < 0 || o.messages < 1)
        return 2;
    if (mkdtemp(dir) == NULL)
        return 2;
    if (o.messages_only) /* profiling the message path: one pass over one image */
        o.images = 1;
    snprintf(db, sizeof(db), "%s/bench.db", dir);
    snprintf(audit, sizeof(audit), "%s/audit.log", dir);
    img = calloc((size_t)o.images, sizeof(*img));
    img_len = calloc((size_t)o.images, sizeof(*img_len));
    for (int i = 0; i < o.images; i++)
        img[i] = make_bmp(o.side, o.side * 3 / 4, i, &img_len[i]);
    build_db(&o, db);

    runner r;
    memset(&r, 0, sizeof(r));
    if (cg_matcher_open(db, NULL, &r.m, &err) != CG_OK)
        die(db, &err);
    cg_pdq_hasher_create(&r.h);
    cg_engine_config cfg;
    cg_engine_config_default(&cfg);
    cfg.db_path = db;
    if (cg_engine_open(&cfg, &r.e, &err) != CG_OK)
        die("engine", &err);
    int hb, he, hr;
    double base = run_images(&o, &r, 0, &hb);
    double eng = run_images(&o, &r, 1, &he);
    cg_engine_close(r.e);
    cfg.audit_path = audit;
    cfg.review = 1;
    if (cg_engine_open(&cfg, &r.e, &err) != CG_OK)
        die("engine", &err);
    double rec = run_images(&o, &r, 1, &hr);
    cg_engine_close(r.e);
    cg_verdict_free(&r.v);
    cg_pdq_hasher_destroy(r.h);
    cg_matcher_close(r.m);
    if (hb != he || he != hr)
        fprintf(stderr, "engine_bench: hit counts differ (%d, %d, %d)\n", hb, he, hr);

    cg_text_engine *te = NULL;
    cg_text_session *ts = NULL;
    cg_text_config tc;
    memset(&tc, 0, sizeof(tc));
    if (cg_text_engine_open(&tc, &te, &err) != CG_OK || cg_text_session_create(te, &ts, &err) != CG_OK)
        die("text engine", &err);
    double mbase = run_messages(&o, ts, NULL);
    cg_text_session_destroy(ts);
    cg_text_engine_close(te);
    cg_engine_config_default(&cfg);
    if (cg_engine_open(&cfg, &r.e, &err) != CG_OK)
        die("engine", &err);
    double meng = run_messages(&o, NULL, r.e);
    cg_engine_close(r.e);

    if (o.json)
        printf("{\"images\":%d,\"side\":%d,\"bank\":%d,\"hits\":%d,\"baseline_images_s\":%.1f,"
               "\"engine_images_s\":%.1f,\"engine_recording_images_s\":%.1f,"
               "\"ratio\":%.3f,\"ratio_recording\":%.3f,\"baseline_messages_s\":%.0f,"
               "\"engine_messages_s\":%.0f,\"ratio_messages\":%.3f}\n",
               o.images, o.side, o.bank, hb, base, eng, rec, eng / base, rec / base, mbase, meng,
               meng / mbase);
    else {
        printf("images %dx%d BMP, bank of %d PDQ hashes (+%d of the images), one thread:\n",
               o.side, o.side * 3 / 4, o.bank, (o.images + 9) / 10);
        printf("  baseline (decode+PDQ+digests+3 lookups) %9.1f images/s\n", base);
        printf("  engine (+ policy, guidance)             %9.1f images/s  x%.3f\n", eng,
               eng / base);
        printf("  engine + audit log + review queue       %9.1f images/s  x%.3f  (%d hits/pass)\n",
               rec, rec / base, hr);
        printf("messages (synthetic chat lines), one thread:\n");
        printf("  baseline cg_text_scan                   %9.0f messages/s\n", mbase);
        printf("  engine (+ policy, guidance)             %9.0f messages/s  x%.3f\n", meng,
               meng / mbase);
    }
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "engine_bench: could not remove %s\n", dir);
    for (int i = 0; i < o.images; i++)
        free(img[i]);
    free(img);
    free(img_len);
    return 0;
}
