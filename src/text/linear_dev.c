/* Choices a trained linear text classifier makes on held-out (dev) data (linear.h): each label's
 * threshold for the best F1 (one-vs-rest) or each class's bias shift for the best macro-F1
 * (softmax), and the macro-F1 itself. linear_train.c calls them after every epoch and at the
 * end; they see only the model, the dev labels and the scores. */
#include "text/linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define MAX_CLS (CG_TEXT_MODEL_MAX_LABELS + 1)

/* F1 of counts. */
static double f1_of(uint64_t tp, uint64_t fp, uint64_t fn)
{
    return tp ? 2.0 * (double)tp / (2.0 * (double)tp + (double)fp + (double)fn) : 0.0;
}

/* Macro-F1 over the labels of the assignments of probabilities prob (n x ncls) against the
 * dev labels, with thresholds (one-vs-rest). */
double cg__lin_macro_f1(const cg_text_model *m, uint64_t n, const uint64_t *labels,
                        const float *prob)
{
    uint64_t tp[MAX_CLS] = {0}, fp[MAX_CLS] = {0}, fn[MAX_CLS] = {0};
    double sum = 0.0;

    for (uint64_t i = 0; i < n; i++) {
        const uint64_t a = cg__lin_assign(&m->p, m->nlabels, m->ncls, prob + i * m->ncls,
                                          m->threshold, 0.0);
        const uint64_t y = labels[i];

        for (uint32_t l = 0; l < m->nlabels; l++) {
            const int t = (int)((y >> l) & 1), p = (int)((a >> l) & 1);
            tp[l] += t && p;
            fp[l] += !t && p;
            fn[l] += t && !p;
        }
    }
    for (uint32_t l = 0; l < m->nlabels; l++)
        sum += f1_of(tp[l], fp[l], fn[l]);
    return m->nlabels ? sum / m->nlabels : 0.0;
}

void cg__lin_link_all(const cg_text_model *m, uint64_t n, const float *z, float *prob)
{
    memcpy(prob, z, (size_t)n * m->ncls * sizeof(*prob));
    for (uint64_t i = 0; i < n; i++)
        cg__lin_link(&m->p, m->ncls, prob + i * m->ncls);
}

typedef struct scored {
    float p;
    int y;
} scored;

static int cmp_scored_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;

    return x->p > y->p ? -1 : x->p < y->p;
}

/* One-vs-rest: each label's threshold for the best F1 on the dev data (ties: the one nearest
 * 0.5). A label no dev example carries keeps 0.5. */
cg_status cg__lin_choose_thresholds(cg_text_model *m, uint64_t n, const uint64_t *labels,
                                    const float *prob, cg_error *err)
{
    scored *s = cg__malloc_array((size_t)n, sizeof(*s));

    if (s == NULL)
        return cg__fail(err, CG_E_NOMEM, "text model: out of memory choosing thresholds");
    for (uint32_t l = 0; l < m->nlabels; l++) {
        uint64_t pos = 0, tp = 0, fp = 0;
        double best = -1.0;
        float best_t = 0.5f;

        for (uint64_t i = 0; i < n; i++) {
            s[i].p = prob[i * m->ncls + l];
            s[i].y = (int)((labels[i] >> l) & 1);
            pos += (uint64_t)s[i].y;
        }
        if (pos == 0)
            continue;
        qsort(s, (size_t)n, sizeof(*s), cmp_scored_desc);
        /* Threshold at each distinct score, from the highest down: all at or above assigned. */
        for (uint64_t i = 0; i < n; i++) {
            tp += (uint64_t)s[i].y;
            fp += (uint64_t)!s[i].y;
            if (i + 1 < n && s[i + 1].p == s[i].p)
                continue;
            const double f = f1_of(tp, fp, pos - tp);
            const float t = i + 1 < n ? 0.5f * (s[i].p + s[i + 1].p) : s[i].p;
            if (f > best + 1e-12 || (f > best - 1e-12 && fabsf(t - 0.5f) < fabsf(best_t - 0.5f))) {
                best = f;
                best_t = t;
            }
        }
        m->threshold[l] = best_t;
    }
    cg__free(s);
    return CG_OK;
}

/* Softmax: per-class shifts of the bias, by coordinate ascent over a grid, for the best
 * macro-F1 on the dev data. The shifts are added to the model's biases. */
cg_status cg__lin_choose_shifts(cg_text_model *m, uint64_t n, const uint64_t *labels,
                                const float *z, cg_error *err)
{
    const uint32_t C = m->ncls;
    float *zz = cg__malloc_array((size_t)n * C, sizeof(*zz));
    float *prob = cg__malloc_array((size_t)n * C, sizeof(*prob));
    float shift[MAX_CLS] = {0};
    double best;

    if (zz == NULL || prob == NULL) {
        cg__free(zz);
        cg__free(prob);
        return cg__fail(err, CG_E_NOMEM, "text model: out of memory choosing class shifts");
    }
    cg__lin_link_all(m, n, z, prob);
    best = cg__lin_macro_f1(m, n, labels, prob);
    for (int round = 0; round < 3; round++) {
        for (uint32_t c = 0; c < C; c++) {
            for (int step = -12; step <= 12; step++) {
                const float s = 0.25f * (float)step;

                if (s == shift[c])
                    continue;
                for (uint64_t i = 0; i < n; i++)
                    for (uint32_t k = 0; k < C; k++)
                        zz[i * C + k] = z[i * C + k] + (k == c ? s : shift[k]);
                cg__lin_link_all(m, n, zz, prob);
                const double f = cg__lin_macro_f1(m, n, labels, prob);
                if (f > best + 1e-12) {
                    best = f;
                    shift[c] = s;
                }
            }
        }
    }
    for (uint32_t c = 0; c < C; c++)
        m->bias[c] += shift[c];
    cg__free(zz);
    cg__free(prob);
    return CG_OK;
}
