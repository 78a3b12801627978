/* The learned layer's direct path (learned.h) against its definition: for every message of the
 * development corpus (every tests/text/corpus file ending in .jsonl, synthetic conversations), the vector the engine
 * scored — hashed straight from the normalised forms and findings, without the line —
 * must equal, bucket for bucket and bit for bit, the vector of the feature line (the text
 * `text eval --features-out` writes for the trainer) featurised and vectorised by the linear
 * model's own code; and so must the probabilities. Then the same for messages whose line is
 * longer than the model's cut (the fallback) and with many repeated words (the sorting path). */
#include "cg_test.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/text.h"
#include "common/alloc.h"
#include "text/learned.h"
#include "text/linear.h"

#ifndef CG_SOURCE_DATA_DIR
#define CG_SOURCE_DATA_DIR "data"
#endif
#define CORPUS_DIR CG_SOURCE_DATA_DIR "/../tests/text/corpus"

typedef struct oracle {
    cg_text_model *m;
    cg__lin_feats f;
    cg__lin_vec v;
    size_t messages, entries, repeated;
} oracle;

/* Scans one message with the session (which keeps its feature line) and checks the engine's
 * vector against the line's. */
static void check_message(cg_text_session *s, oracle *o, const char *conv, const char *sender,
                          const char *text, size_t len)
{
    cg_text_message msg = {conv, NULL, sender, NULL, 0, text, len};
    cg_text_result res;
    cg_error err;

    memset(&res, 0, sizeof(res));
    CG_ASSERT_OK(cg_text_scan(s, &msg, &res, &err), &err);
    cg_text_result_free(&res);

    const cg__learned_scratch *ls = cg__text_session_learned(s);
    const char *line = cg_text_session_features(s);
    CG_ASSERT(ls != NULL && line != NULL);
    const size_t n = cg__lin_cut_utf8(line, strlen(line), o->m->p.max_text_bytes);
    CG_ASSERT_OK(cg__lin_featurize(&o->m->p, line, n, &o->f, &err), &err);
    CG_ASSERT_OK(cg__lin_vectorize(&o->m->p, o->m->idf, &o->f, &o->v, &err), &err);
    if (ls->v.n != o->v.n)
        cg_test_fail(__FILE__, __LINE__, "message %zu of %s (\"%.60s\"): %zu entries, the line gives %zu", o->messages,
                conv, text, ls->v.n, o->v.n);
    for (size_t k = 0; k < o->v.n; k++)
        if (ls->v.idx[k] != o->v.idx[k] ||
            memcmp(&ls->v.val[k], &o->v.val[k], sizeof(float)) != 0)
            cg_test_fail(__FILE__, __LINE__, "message %zu of %s (\"%.60s\"), entry %zu: bucket %u value %.9g, the line "
                    "gives bucket %u value %.9g",
                    o->messages, conv, text, k, ls->v.idx[k], (double)ls->v.val[k],
                    o->v.idx[k], (double)o->v.val[k]);
    float a[CG_TEXT_MODEL_MAX_LABELS], b[CG_TEXT_MODEL_MAX_LABELS];
    cg__learned_score_vector(o->m, ls, a);
    const cg__learned_scratch line_only = {.v = o->v};
    cg__learned_score_vector(o->m, &line_only, b);
    CG_ASSERT(memcmp(a, b, o->m->nlabels * sizeof(float)) == 0);
    /* The scores against the plain scalar sums (cg__lin_scores specialises them by class count). */
    float z[CG_TEXT_MODEL_MAX_LABELS + 1];
    for (uint32_t c = 0; c < o->m->ncls; c++) {
        z[c] = o->m->bias[c];
        for (size_t k = 0; k < o->v.n; k++)
            z[c] += o->m->w[(size_t)o->v.idx[k] * o->m->ncls + c] * o->v.val[k];
    }
    cg__lin_link(&o->m->p, o->m->ncls, z);
    CG_ASSERT(memcmp(a, z, o->m->nlabels * sizeof(float)) == 0);
    o->messages++;
    o->entries += o->v.n;
    o->repeated += o->f.n - o->v.n;
}

static void open_engine(cg_text_engine **e, cg_text_session **s, oracle *o)
{
    cg_text_config cfg = {0};
    cg_error err;

    cfg.data_dir = CG_SOURCE_DATA_DIR;
    CG_ASSERT_OK(cg_text_engine_open(&cfg, e, &err), &err);
    CG_ASSERT(cg_text_engine_has_learned(*e));
    CG_ASSERT_OK(cg_text_session_create(*e, s, &err), &err);
    cg_text_session_keep_features(*s, 1);
    memset(o, 0, sizeof(*o));
    CG_ASSERT_OK(cg_text_model_open(CG_SOURCE_DATA_DIR "/text/learned.bin", &o->m, &err), &err);
    CG_ASSERT(o->m->p.flags & CG__LIN_RAW);
}

static void close_engine(cg_text_engine *e, cg_text_session *s, oracle *o)
{
    cg_text_session_destroy(s);
    cg_text_engine_close(e);
    cg__lin_feats_free(&o->f);
    cg__lin_vec_free(&o->v);
    cg_text_model_close(o->m);
}

/* Every message of one corpus file, conversation by conversation. */
static void check_file(cg_text_session *s, oracle *o, const char *path)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;

    CG_ASSERT(fp != NULL);
    while ((got = getline(&line, &cap, fp)) > 0) {
        json_error_t jerr;
        json_t *c = json_loadb(line, (size_t)got, 0, &jerr);

        if (c == NULL)
            cg_test_fail(__FILE__, __LINE__, "%s: not JSON: %s", path, jerr.text);
        const char *id = json_string_value(json_object_get(c, "conversation"));
        json_t *msgs = json_object_get(c, "messages");
        size_t i;
        json_t *m;

        CG_ASSERT(id != NULL && json_is_array(msgs));
        json_array_foreach(msgs, i, m) {
            json_t *t = json_object_get(m, "text");
            CG_ASSERT(json_is_string(t));
            check_message(s, o, id, json_string_value(json_object_get(m, "sender")),
                          json_string_value(t), json_string_length(t));
        }
        json_decref(c);
    }
    free(line);
    fclose(fp);
}

CG_TEST(direct_path_matches_line_over_corpus)
{
    cg_text_engine *e;
    cg_text_session *s;
    oracle o;
    DIR *d = opendir(CORPUS_DIR);
    struct dirent *de;
    size_t files = 0;

    CG_ASSERT(d != NULL);
    open_engine(&e, &s, &o);
    while ((de = readdir(d)) != NULL) {
        const size_t nl = strlen(de->d_name);
        char path[4096];

        if (nl < 7 || strcmp(de->d_name + nl - 6, ".jsonl") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, de->d_name);
        check_file(s, &o, path);
        files++;
    }
    closedir(d);
    printf("%zu files, %zu messages, %zu vector entries, %zu repeated buckets: identical\n",
           files, o.messages, o.entries, o.repeated);
    /* The corpus is hundreds of conversations; a handful would mean it was not read. */
    CG_ASSERT(files >= 1 && o.messages >= 1000 && o.entries > 10 * o.messages);
    CG_ASSERT(o.repeated > 0);
    close_engine(e, s, &o);
}

/* Lines longer than the model's cut (the line path itself, cut inside a token) and messages
 * repeating words (many repeats of a bucket, and more than 96 buckets: the qsort path). */
CG_TEST(direct_path_matches_line_long_and_repetitive)
{
    cg_text_engine *e;
    cg_text_session *s;
    oracle o;
    const char *const parts[] = {"mày ", "đừng nói với ai nhé ", "gửi ảnh đi ", "lol ",
                                 "are you alone ", "sdt 0912 345 678 ", "em 12 tuổi "};
    const size_t sizes[] = {10, 200, 3000, 20000, 40000, 70000};

    open_engine(&e, &s, &o);
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
        for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
            char *buf = cg__malloc(sizes[z] + 64);
            size_t n = 0;

            CG_ASSERT(buf != NULL);
            for (size_t r = 0; n < sizes[z]; r++) {
                const char *w = parts[(p + (r % 3 == 0 ? r : 0)) % 7];
                memcpy(buf + n, w, strlen(w));
                n += strlen(w);
            }
            check_message(s, &o, "long", "a", buf, n);
            cg__free(buf);
        }
    CG_ASSERT(o.repeated > 32);
    close_engine(e, s, &o);
}
