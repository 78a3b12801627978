/* text_bench: the text-harm engine's throughput on one core — normalise + cue matching +
 * detectors + conversation update per message — against a naive baseline in the same run: for
 * each message, lower-case it and strstr() every cue pattern of the same lexicon files.
 *
 *   text_bench [--messages N] [--conversations C] [--data DIR] [--model FILE] [--no-learned]
 *              [--min-seconds S] [--json]
 *
 * Messages are synthetic short chat lines (20–120 bytes, Vietnamese and English, some with
 * cues), generated from a fixed seed. Prints messages/s and MB/s for both and their ratio. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Synthetic chat fragments: mostly benign, some with cues (all written for this benchmark). */
static const char *const benign[] = {
    "mai đi học sớm không", "ok 7h gặp ở cổng trường nhé", "hôm nay bài tập toán khó quá",
    "did you finish the homework", "lol that game was so fun", "my mom says dinner is ready",
    "tối nay xem phim gì", "see you at practice tomorrow", "cảm ơn bạn nhiều nha",
    "haha đúng rồi đó", "what time is the bus", "nhớ mang thước kẻ với compa",
    "the science project is due friday", "chúc ngủ ngon nhé", "gg next round",
};
static const char *const risky[] = {
    "are you alone right now", "đừng nói với ai nhé", "gửi ảnh cho anh xem đi",
    "you're so mature for your age", "ko ai chơi vs mày đâu", "go kill yourself",
    "sdt của em là 0912 345 678", "em học lớp 6", "I'll send them to your family",
    "pay me in gift cards",
};

static char *make_message(size_t *len)
{
    char buf[256];
    size_t n = 0;
    int parts = 1 + (int)(rnd() % 3);
    for (int i = 0; i < parts; i++) {
        const char *p = rnd() % 10 == 0 ? risky[rnd() % (sizeof(risky) / sizeof(*risky))]
                                        : benign[rnd() % (sizeof(benign) / sizeof(*benign))];
        size_t l = strlen(p);
        if (n + l + 2 >= sizeof(buf))
            break;
        if (n > 0)
            buf[n++] = ' ';
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    *len = n;
    return strdup(buf);
}

/* The cue patterns of every lexicon file (dir/lexicons/NAME.tsv), as plain lower-case strings:
 * the naive baseline's work list. */
static char **load_patterns(const char *dir, size_t *n)
{
    char lexdir[4096];
    size_t cap = 256;
    char **v = malloc(cap * sizeof(*v));
    *n = 0;
    snprintf(lexdir, sizeof(lexdir), "%s/lexicons", dir);
    DIR *d = opendir(lexdir);
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;) {
        char path[8192], line[4096];
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".tsv") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", lexdir, de->d_name);
        FILE *in = fopen(path, "r");
        if (in == NULL)
            continue;
        while (fgets(line, sizeof(line), in) != NULL) {
            if (line[0] == '#' || strncmp(line, "id\t", 3) == 0)
                continue;
            char *col = line;
            for (int c = 0; c < 5 && col != NULL; c++) {
                col = strchr(col, '\t');
                if (col != NULL)
                    col++;
            }
            if (col == NULL)
                continue;
            col[strcspn(col, "\t\n")] = '\0';
            for (char *p = col; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (*n == cap)
                v = realloc(v, (cap *= 2) * sizeof(*v));
            v[(*n)++] = strdup(col);
        }
        fclose(in);
    }
    if (d != NULL)
        closedir(d);
    return v;
}

int main(int argc, char **argv)
{
    long n_msgs = 200000, n_convs = 1000;
    double min_seconds = 1.0;
    const char *data = NULL;
    const char *model = NULL;
    int no_learned = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc)
            n_msgs = atol(argv[++i]);
        else if (strcmp(argv[i], "--conversations") == 0 && i + 1 < argc)
            n_convs = atol(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else if (strcmp(argv[i], "--no-learned") == 0)
            no_learned = 1;
        else if (strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
            min_seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: text_bench [--messages N] [--conversations C] [--data DIR] "
                            "[--model FILE] [--no-learned] [--min-seconds S] [--json]\n");
            return 2;
        }
    }
    if (n_msgs < 1 || n_convs < 1) {
        fprintf(stderr, "text_bench: bad arguments\n");
        return 2;
    }
    cg_text_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = data != NULL ? data : CG_BENCH_DATA_DIR;
    cfg.model_path = model; /* NULL: the engine's default (docs/text-model.md) */
    cfg.no_learned = no_learned; /* the learned layer is on by default (docs/text.md) */
    cg_text_engine *e = NULL;
    cg_text_session *s = NULL;
    cg_error err;
    if (cg_text_engine_open(&cfg, &e, &err) != CG_OK || cg_text_session_create(e, &s, &err) != CG_OK) {
        fprintf(stderr, "text_bench: %s\n", err.message);
        return 2;
    }
    char **msgs = malloc((size_t)n_msgs * sizeof(*msgs));
    size_t *lens = malloc((size_t)n_msgs * sizeof(*lens));
    size_t bytes = 0;
    for (long i = 0; i < n_msgs; i++) {
        msgs[i] = make_message(&lens[i]);
        bytes += lens[i];
    }
    char convs[1000][16];
    for (long c = 0; c < 1000; c++)
        snprintf(convs[c], sizeof(convs[c]), "c%ld", c);

    /* The engine. */
    cg_text_result res;
    memset(&res, 0, sizeof(res));
    uint64_t alerts = 0;
    long done = 0;
    double t0 = now(), el;
    do {
        for (long i = 0; i < n_msgs; i++) {
            cg_text_message m = {convs[(size_t)i % (size_t)(n_convs < 1000 ? n_convs : 1000)],
                                 NULL, (i & 1) ? "a" : "b", (i & 1) ? "b" : "a",
                                 1767225600000LL + done * 1000, msgs[i], lens[i]};
            if (cg_text_scan(s, &m, &res, &err) != CG_OK) {
                fprintf(stderr, "text_bench: %s\n", err.message);
                return 2;
            }
            alerts += res.alert != CG_ALERT_NONE;
            done++;
        }
        el = now() - t0;
    } while (el < min_seconds);
    double eng_mps = (double)done / el;
    double eng_mbs = (double)bytes * ((double)done / (double)n_msgs) / el / 1e6;

    /* The naive baseline. */
    size_t n_pat = 0;
    char **pats = load_patterns(data != NULL ? data : CG_BENCH_DATA_DIR, &n_pat);
    long bdone = 0;
    uint64_t bhits = 0;
    char low[512];
    t0 = now();
    do {
        for (long i = 0; i < n_msgs; i++) {
            size_t l = lens[i] < sizeof(low) - 1 ? lens[i] : sizeof(low) - 1;
            for (size_t k = 0; k < l; k++)
                low[k] = (char)tolower((unsigned char)msgs[i][k]);
            low[l] = '\0';
            for (size_t p = 0; p < n_pat; p++)
                bhits += strstr(low, pats[p]) != NULL;
            bdone++;
        }
        el = now() - t0;
    } while (el < min_seconds);
    double base_mps = (double)bdone / el;

    if (json)
        printf("{\"messages\":%ld,\"avg_bytes\":%.1f,\"cues\":%zu,\"engine_msgs_per_s\":%.0f,"
               "\"engine_mb_per_s\":%.2f,\"baseline_msgs_per_s\":%.0f,\"ratio\":%.2f,"
               "\"alert_rate\":%.4f}\n", n_msgs, (double)bytes / (double)n_msgs,
               cg_text_engine_cue_count(e), eng_mps, eng_mbs, base_mps, eng_mps / base_mps,
               (double)alerts / (double)done);
    else {
        printf("text_bench: %ld synthetic messages (avg %.1f bytes), %zu cues, %ld conversations\n",
               n_msgs, (double)bytes / (double)n_msgs, cg_text_engine_cue_count(e), n_convs);
        printf("  engine (normalise + cues + detectors + conversation)  %.0f msgs/s  %.2f MB/s\n",
               eng_mps, eng_mbs);
        printf("  naive baseline (lower-case + strstr per cue, %zu patterns)  %.0f msgs/s\n",
               n_pat, base_mps);
        printf("  ratio engine / baseline  x%.2f   (messages reaching watch+: %.2f %%)\n",
               eng_mps / base_mps, 100.0 * (double)alerts / (double)done);
    }
    for (size_t p = 0; p < n_pat; p++)
        free(pats[p]);
    free(pats);
    for (long i = 0; i < n_msgs; i++)
        free(msgs[i]);
    free(msgs);
    free(lens);
    cg_text_result_free(&res);
    cg_text_session_destroy(s);
    cg_text_engine_close(e);
    return bhits == (uint64_t)-1; /* keeps the baseline's work observable */
}
