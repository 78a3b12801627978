/* text_bench: the text-harm engine's throughput on one core — normalise + cue matching +
 * detectors + conversation update per message — against baselines in the same run:
 * - the naive baseline: for each message, lower-case it and strstr() every cue pattern of the
 *   same lexicon files (a fixed amount of work per message that the engine's code does not
 *   change);
 * - the rules alone (the engine without its learned layer), unless --no-learned already is the
 *   engine measured or --no-rules-run is given.
 *
 *   text_bench [--messages N] [--conversations C] [--data DIR] [--model FILE] [--no-learned]
 *              [--min-seconds S] [--rounds R] [--no-rules-run] [--json]
 *
 * Messages are synthetic short chat lines (20–120 bytes, Vietnamese and English, some with
 * cues), generated from a fixed seed. The workloads alternate, pass after pass over the same
 * messages (engine, baseline, rules, engine, ...), for R rounds (default 5) and at least S
 * seconds of the engine (default 1), so that a machine shared with other jobs slows them alike.
 * For each workload it prints the median messages/s over the passes by the wall clock and by
 * the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: the time the bench actually ran on a core,
 * which waiting for a busy core does not inflate), and the median of the per-round ratios
 * engine / baseline: the figure to compare between machines and runs.
 *
 *   text_bench --dump FILE [--hostile N] [--features] [--data DIR] [--no-learned]
 *
 * The byte-identity check of speed work: scans every line of FILE (CONV TAB SENDER TAB
 * RECIPIENT TAB TEXT, or a bare TEXT line, numbered into conversations of 16 lines), then N
 * generated hostile lines (invalid UTF-8, stray and stacked combining marks, spaced-out letters,
 * leetspeak, homoglyphs, fullwidth, emoji, NUL and control bytes, numbers in words and digits;
 * fixed seed), and prints every field of every result (floats as %a), with --features the
 * feature line too, on stdout. Two builds whose dumps differ do not give the same results. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "childguard.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static double cpu_now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorted in place). */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
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

typedef struct workload {
    const char *name;
    cg_text_engine *e;
    cg_text_session *s;
    double *wall, *cpu; /* per pass: messages/s */
    size_t n;
    uint64_t alerts, done;
} workload;

static char *const *g_msgs;
static const size_t *g_lens;
static long g_n_msgs, g_n_convs;
static char g_convs[1000][16];

/* One pass of the engine of w over every message; -1 on a scan error. */
static int engine_pass(workload *w, cg_text_result *res)
{
    cg_error err;
    const double t0 = now(), c0 = cpu_now();

    for (long i = 0; i < g_n_msgs; i++) {
        cg_text_message m = {g_convs[(size_t)i % (size_t)(g_n_convs < 1000 ? g_n_convs : 1000)],
                             NULL, (i & 1) ? "a" : "b", (i & 1) ? "b" : "a",
                             1767225600000LL + (long long)w->done * 1000, g_msgs[i], g_lens[i]};
        if (cg_text_scan(w->s, &m, res, &err) != CG_OK) {
            fprintf(stderr, "text_bench: %s\n", err.message);
            return -1;
        }
        w->alerts += res->alert != CG_ALERT_NONE;
        w->done++;
    }
    const double el = now() - t0, cel = cpu_now() - c0;
    w->wall[w->n] = (double)g_n_msgs / (el > 0 ? el : 1e-9);
    w->cpu[w->n++] = (double)g_n_msgs / (cel > 0 ? cel : 1e-9);
    return 0;
}

static char **g_pats;
static size_t g_n_pat;
static uint64_t g_bhits;

/* One pass of the naive baseline over every message. */
static void baseline_pass(workload *w)
{
    char low[512];
    const double t0 = now(), c0 = cpu_now();

    for (long i = 0; i < g_n_msgs; i++) {
        size_t l = g_lens[i] < sizeof(low) - 1 ? g_lens[i] : sizeof(low) - 1;
        for (size_t k = 0; k < l; k++)
            low[k] = (char)tolower((unsigned char)g_msgs[i][k]);
        low[l] = '\0';
        for (size_t p = 0; p < g_n_pat; p++)
            g_bhits += strstr(low, g_pats[p]) != NULL;
        w->done++;
    }
    const double el = now() - t0, cel = cpu_now() - c0;
    w->wall[w->n] = (double)g_n_msgs / (el > 0 ? el : 1e-9);
    w->cpu[w->n++] = (double)g_n_msgs / (cel > 0 ? cel : 1e-9);
}

static int open_engine(const char *data, const char *model, int no_learned, workload *w)
{
    cg_text_config cfg;
    cg_error err;

    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = data != NULL ? data : CG_BENCH_DATA_DIR;
    cfg.model_path = model; /* NULL: the engine's default (docs/text-model.md) */
    cfg.no_learned = no_learned; /* the learned layer is on by default (docs/text.md) */
    if (cg_text_engine_open(&cfg, &w->e, &err) != CG_OK ||
        cg_text_session_create(w->e, &w->s, &err) != CG_OK) {
        fprintf(stderr, "text_bench: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* ---- --dump: every field of every result, for byte-identity checks ------------------------ */

static void dump_result(FILE *out, size_t line, const cg_text_result *r, const char *features)
{
    fprintf(out, "#%zu alert=%d stage=%d ages=%d-%d,%d-%d asked=%d invalid=%zu\n", line,
            (int)r->alert, (int)r->stage, r->sender_age_min, r->sender_age_max,
            r->recipient_age_min, r->recipient_age_max, r->age_asked, r->invalid_utf8);
    fprintf(out, " risk");
    for (int h = 0; h < CG_HARM_COUNT; h++)
        fprintf(out, " %a/%a", (double)r->message_risk[h], (double)r->risk[h]);
    fputc('\n', out);
    for (size_t i = 0; i < r->n_evidence; i++) {
        const cg_text_evidence *e = &r->evidence[i];
        fprintf(out, " ev %s %d %d %s %u-%u %a %d\n", e->message_id, (int)e->harm, (int)e->facet,
                e->cue, e->start, e->end, (double)e->weight, e->in_this_message);
    }
    for (size_t i = 0; i < r->n_participants; i++) {
        const cg_text_participant *p = &r->participants[i];
        fprintf(out, " p %s alert=%d peak=%d/%d/%s author=%d age=%d-%d", p->name, (int)p->alert,
                (int)p->peak, (int)p->peak_harm, p->peak_message, (int)p->author_alert,
                p->age_min, p->age_max);
        for (int h = 0; h < CG_HARM_COUNT; h++)
            fprintf(out, " %a/%a", (double)p->risk[h], (double)p->exposure[h]);
        fputc('\n', out);
    }
    for (int h = 0; h < CG_HARM_COUNT; h++)
        if (r->peak[h].level != CG_ALERT_NONE)
            fprintf(out, " peak %d %d %a %s %s %s\n", h, (int)r->peak[h].level,
                    (double)r->peak[h].risk, r->peak[h].message_id, r->peak[h].at_risk,
                    r->peak[h].author);
    if (features != NULL)
        fprintf(out, " f %s\n", features);
}

/* One generated hostile line into buf (at most cap bytes); its length. */
static size_t hostile_line(char *buf, size_t cap)
{
    static const char *const frag[] = {
        "gửi ảnh cho anh xem đi", "em học lớp 6", "sdt 0912 345 678", "không chín một hai",
        "zero nine one two three four five six seven", "a@b.co", "ig: @lily_r0se",
        "go kill yourself lol 😂😂", "ko ai chơi vs mày", "đừng nói với ai nhé", "haha 🤣🤣🤣",
        "I'll send them to your family", "pay me 500k", "nhà em ở số 12 ngõ 5", "trường THCS",
        "you're so mature for your age", "mày béo như heo", "kms lmao", "bài kiểm tra giết tớ",
        "\"send nudes\" he said", "“gửi ảnh”", "«quote»", "are u alone", "em 13 tuổi",
        "mot hai ba bon nam sau bay tam chin", "n0 0n3 l1k3s y0u", "s e n d  p i c s",
        "ＳＥＮＤ ｐｉｃ", "ѕеnd рiс", "ko bjt", "dc k", "iu e", "👍🏽👨‍👩‍👧", "x̶y̴z̷",
    };
    static const char *const odd[] = {
        "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x01",
        "\x1b[31m", "\xcc\x81", "\xcc\x81\xcc\x82\xcc\x83\xcc\xa3", "\xe2\x80\x8b", "\t", "\r",
        "\xef\xbb\xbf", "\xe2\x80\xae", "\xf0\x9f\x98", "a\xcc\x81", "\xd0\xb0", "0", "9",
        "\xe1\xba\xa1", "\xc4\x91", " ", "  ", "@", ".", "-", "+84", "#", "\x7f",
    };
    size_t n = 0;
    const int parts = 1 + (int)(rnd() % 6);
    for (int i = 0; i < parts; i++) {
        const char *p;
        char tmp[128];
        const int kind = (int)(rnd() % 8);
        if (kind < 3)
            p = frag[rnd() % (sizeof(frag) / sizeof(*frag))];
        else if (kind < 5)
            p = odd[rnd() % (sizeof(odd) / sizeof(*odd))];
        else if (kind == 5) { /* a fragment spaced out, or with marks or NULs between letters */
            const char *f = frag[rnd() % (sizeof(frag) / sizeof(*frag))];
            const char *sep = odd[rnd() % (sizeof(odd) / sizeof(*odd))];
            size_t k = 0, sl = strlen(sep);
            if (rnd() % 4 == 0) {
                sep = "\0";
                sl = 1;
            }
            for (; *f && k + sl + 2 < sizeof(tmp); f++) {
                tmp[k++] = *f;
                if (((unsigned char)f[1] & 0xc0) != 0x80) {
                    memcpy(tmp + k, sep, sl);
                    k += sl;
                }
            }
            if (n + k + 1 >= cap)
                break;
            memcpy(buf + n, tmp, k);
            n += k;
            continue;
        } else if (kind == 6) { /* random bytes */
            size_t k = 1 + rnd() % 12;
            if (n + k + 1 >= cap)
                break;
            for (size_t j = 0; j < k; j++)
                buf[n++] = (char)(rnd() & 0xff);
            continue;
        } else { /* digits and separators */
            size_t k = 0, m = 3 + rnd() % 12;
            for (size_t j = 0; j < m; j++)
                tmp[k++] = rnd() % 5 == 0 ? " .-"[rnd() % 3] : (char)('0' + rnd() % 10);
            tmp[k] = '\0';
            p = tmp;
        }
        size_t l = strlen(p);
        if (n + l + 2 >= cap)
            break;
        if (n > 0 && rnd() % 2)
            buf[n++] = ' ';
        memcpy(buf + n, p, l);
        n += l;
    }
    if (rnd() % 64 == 0) /* now and then a long line (repeats of itself) */
        while (n > 0 && n * 2 < cap) {
            memcpy(buf + n, buf, n);
            n *= 2;
        }
    return n;
}

static int dump_one(cg_text_session *s, FILE *out, size_t line, const char *conv,
                    const char *sender, const char *recipient, const char *text, size_t len,
                    int features, cg_text_result *res)
{
    cg_error err;
    cg_text_message m = {conv, NULL, sender, recipient, 1767225600000LL + (long long)line * 1000,
                         text, len};
    cg_status st = cg_text_scan(s, &m, res, &err);
    if (st != CG_OK) {
        fprintf(out, "#%zu error %d %s\n", line, (int)st, err.message);
        return 0;
    }
    dump_result(out, line, res, features ? cg_text_session_features(s) : NULL);
    return 0;
}

static int dump_mode(const char *data, const char *model, int no_learned, const char *file,
                     long hostile, int features)
{
    workload w = {"dump", NULL, NULL, NULL, NULL, 0, 0, 0};
    cg_text_result res;
    size_t line = 0;
    char conv[32], *buf = NULL;
    size_t cap = 0;
    ssize_t got;

    if (open_engine(data, model, no_learned, &w) != 0)
        return 2;
    cg_text_session_keep_features(w.s, features);
    memset(&res, 0, sizeof(res));
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (in == NULL) {
        fprintf(stderr, "text_bench: %s: cannot open\n", file);
        return 2;
    }
    while ((got = getline(&buf, &cap, in)) > 0) {
        size_t len = (size_t)got;
        if (buf[len - 1] == '\n')
            buf[--len] = '\0';
        char *f[3] = {NULL, NULL, NULL}, *text = buf;
        for (int k = 0; k < 3; k++) {
            char *tab = memchr(text, '\t', len - (size_t)(text - buf));
            if (tab == NULL)
                break;
            *tab = '\0';
            f[k] = text;
            text = tab + 1;
        }
        if (f[2] == NULL) { /* a bare text line: the tabs were the text's own */
            for (int k = 0; k < 3 && f[k] != NULL; k++)
                f[k][strlen(f[k])] = '\t';
            text = buf;
            snprintf(conv, sizeof(conv), "d%zu", line / 16);
            f[0] = conv;
            f[1] = (line & 1) ? "a" : "b";
            f[2] = (line & 1) ? "b" : "a";
        }
        dump_one(w.s, stdout, line, f[0], f[1], f[2], text, len - (size_t)(text - buf),
                 features, &res);
        line++;
    }
    if (in != stdin)
        fclose(in);
    free(buf);
    char *h = malloc(1 << 16);
    for (long i = 0; h != NULL && i < hostile; i++) {
        size_t len = hostile_line(h, 1 << 16);
        snprintf(conv, sizeof(conv), "h%ld", i / 16);
        dump_one(w.s, stdout, line++, conv, (i & 1) ? "a" : "b", (i & 1) ? "b" : "a", h, len,
                 features, &res);
    }
    free(h);
    cg_text_result_free(&res);
    cg_text_session_destroy(w.s);
    cg_text_engine_close(w.e);
    return fflush(stdout) == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
    long n_msgs = 200000, n_convs = 1000, rounds = 5;
    double min_seconds = 1.0;
    const char *data = NULL;
    const char *model = NULL;
    int no_learned = 0, rules_run = 1;
    int json = 0;
    const char *dump = NULL;
    long hostile = 0;
    int features = 0;
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
        else if (strcmp(argv[i], "--no-rules-run") == 0)
            rules_run = 0;
        else if (strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
            min_seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atol(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
            dump = argv[++i];
        else if (strcmp(argv[i], "--hostile") == 0 && i + 1 < argc)
            hostile = atol(argv[++i]);
        else if (strcmp(argv[i], "--features") == 0)
            features = 1;
        else {
            fprintf(stderr, "usage: text_bench [--messages N] [--conversations C] [--data DIR] "
                            "[--model FILE] [--no-learned] [--min-seconds S] [--rounds R] "
                            "[--no-rules-run] [--json]\n"
                            "       text_bench --dump FILE [--hostile N] [--features] "
                            "[--data DIR] [--model FILE] [--no-learned]\n");
            return 2;
        }
    }
    if (dump != NULL)
        return dump_mode(data, model, no_learned, dump, hostile, features);
    if (n_msgs < 1 || n_convs < 1 || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "text_bench: bad arguments\n");
        return 2;
    }
    if (no_learned)
        rules_run = 0; /* the engine measured is the rules alone already */
    /* At most this many passes of each workload (--min-seconds may ask for more than rounds). */
    const size_t max_passes = 4096;
    workload eng = {"engine", NULL, NULL, NULL, NULL, 0, 0, 0};
    workload rul = {"rules", NULL, NULL, NULL, NULL, 0, 0, 0};
    workload base = {"baseline", NULL, NULL, NULL, NULL, 0, 0, 0};
    workload *all[3] = {&eng, &base, &rul};
    for (int k = 0; k < 3; k++) {
        all[k]->wall = calloc(max_passes, sizeof(double));
        all[k]->cpu = calloc(max_passes, sizeof(double));
    }
    if (open_engine(data, model, no_learned, &eng) != 0 ||
        (rules_run && open_engine(data, model, 1, &rul) != 0))
        return 2;
    char **msgs = malloc((size_t)n_msgs * sizeof(*msgs));
    size_t *lens = malloc((size_t)n_msgs * sizeof(*lens));
    size_t bytes = 0;
    for (long i = 0; i < n_msgs; i++) {
        msgs[i] = make_message(&lens[i]);
        bytes += lens[i];
    }
    for (long c = 0; c < 1000; c++)
        snprintf(g_convs[c], sizeof(g_convs[c]), "c%ld", c);
    g_msgs = msgs;
    g_lens = lens;
    g_n_msgs = n_msgs;
    g_n_convs = n_convs;
    g_pats = load_patterns(data != NULL ? data : CG_BENCH_DATA_DIR, &g_n_pat);

    /* The passes, alternating; the order turns every round so that no workload always runs
     * right after the same other one. */
    cg_text_result res;
    memset(&res, 0, sizeof(res));
    double ratio[4096], ratio_cpu[4096], rratio[4096];
    size_t nr = 0;
    double spent = 0.0;
    for (long r = 0; (r < rounds || spent < min_seconds) && (size_t)r < max_passes; r++) {
        for (int k = 0; k < 3; k++) {
            workload *w = all[(k + r) % 3];
            if (w == &base)
                baseline_pass(w);
            else if (w->s != NULL && engine_pass(w, &res) != 0)
                return 2;
        }
        ratio[nr] = eng.wall[eng.n - 1] / base.wall[base.n - 1];
        ratio_cpu[nr] = eng.cpu[eng.n - 1] / base.cpu[base.n - 1];
        rratio[nr++] = rules_run ? eng.cpu[eng.n - 1] / rul.cpu[rul.n - 1] : 0.0;
        spent += (double)n_msgs / eng.wall[eng.n - 1]; /* the engine's seconds so far */
    }
    const double eng_wall = median(eng.wall, eng.n), eng_cpu = median(eng.cpu, eng.n);
    const double base_wall = median(base.wall, base.n), base_cpu = median(base.cpu, base.n);
    const double rul_cpu = rules_run ? median(rul.cpu, rul.n) : 0.0;
    const double rul_wall = rules_run ? median(rul.wall, rul.n) : 0.0;
    const double r_wall = median(ratio, nr), r_cpu = median(ratio_cpu, nr);
    const double r_rules = rules_run ? median(rratio, nr) : 0.0;
    const double eng_mbs = (double)bytes / (double)n_msgs * eng_cpu / 1e6;
    const double alert_rate = eng.done ? (double)eng.alerts / (double)eng.done : 0.0;

    if (json)
        printf("{\"messages\":%ld,\"avg_bytes\":%.1f,\"cues\":%zu,\"rounds\":%zu,"
               "\"engine_msgs_per_s\":%.0f,\"engine_cpu_msgs_per_s\":%.0f,"
               "\"engine_mb_per_s\":%.2f,\"baseline_msgs_per_s\":%.0f,"
               "\"baseline_cpu_msgs_per_s\":%.0f,\"ratio\":%.3f,\"ratio_cpu\":%.3f,"
               "\"rules_msgs_per_s\":%.0f,\"rules_cpu_msgs_per_s\":%.0f,"
               "\"engine_over_rules_cpu\":%.3f,\"alert_rate\":%.4f}\n",
               n_msgs, (double)bytes / (double)n_msgs, cg_text_engine_cue_count(eng.e), nr,
               eng_wall, eng_cpu, eng_mbs, base_wall, base_cpu, r_wall, r_cpu, rul_wall, rul_cpu,
               r_rules, alert_rate);
    else {
        printf("text_bench: %ld synthetic messages (avg %.1f bytes), %zu cues, %ld conversations, "
               "%zu rounds\n", n_msgs, (double)bytes / (double)n_msgs,
               cg_text_engine_cue_count(eng.e), n_convs, nr);
        char label[64];
        printf("  %-40s %12s %12s\n", "medians over the passes", "wall msgs/s", "CPU msgs/s");
        printf("  %-40s %12.0f %12.0f  (%.2f MB/s CPU)\n",
               no_learned ? "engine, rules alone" : "engine, rules + learned layer", eng_wall,
               eng_cpu, eng_mbs);
        if (rules_run)
            printf("  %-40s %12.0f %12.0f\n", "rules alone (same run)", rul_wall, rul_cpu);
        snprintf(label, sizeof(label), "naive baseline (%zu patterns)", g_n_pat);
        printf("  %-40s %12.0f %12.0f\n", label, base_wall, base_cpu);
        printf("  ratio engine / baseline (median of rounds): wall x%.3f, CPU x%.3f\n", r_wall,
               r_cpu);
        if (rules_run)
            printf("  ratio engine / rules alone (CPU, median of rounds): x%.3f\n", r_rules);
        printf("  messages reaching watch+: %.2f %%\n", 100.0 * alert_rate);
    }
    for (size_t p = 0; p < g_n_pat; p++)
        free(g_pats[p]);
    free(g_pats);
    for (long i = 0; i < n_msgs; i++)
        free(msgs[i]);
    free(msgs);
    free(lens);
    cg_text_result_free(&res);
    for (int k = 0; k < 3; k++) {
        cg_text_session_destroy(all[k]->s);
        cg_text_engine_close(all[k]->e);
        free(all[k]->wall);
        free(all[k]->cpu);
    }
    return g_bhits == (uint64_t)-1; /* keeps the baseline's work observable */
}
