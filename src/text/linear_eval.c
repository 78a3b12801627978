/* Evaluating the linear text classifier (include/childguard/textmodel.h): every example of the
 * data is scored and its assigned labels (cg_text_model_assign's rule) counted against its true
 * labels, per label and in a confusion matrix; F1 is averaged over the labels (macro) and the
 * counts summed (micro). */
#include "text/linear.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

typedef struct eval_state {
    const cg_text_model *m;
    cg_text_eval *ev;
    double threshold;         /* <= 0: the model's own */
    cg__normalized nm;
    cg__lin_feats f;
    cg__lin_vec v;
    float z[CG_TEXT_MODEL_MAX_LABELS + 1];
} eval_state;

static cg_status eval_example(void *ud, const char *text, size_t len, const char *const *labels,
                              size_t nlabels, const char *where, uint64_t line, cg_error *err)
{
    eval_state *es = ud;
    const cg_text_model *m = es->m;
    cg_text_eval *ev = es->ev;
    const uint32_t L = m->nlabels, W = L + 1;
    uint64_t truth = 0, pred;
    cg_status st;

    (void)where;
    (void)line;
    for (size_t i = 0; i < nlabels; i++) {
        uint32_t l;

        for (l = 0; l < L; l++)
            if (strcmp(m->labels[l], labels[i]) == 0)
                break;
        if (l == L)
            ev->unknown_labels++;
        else
            truth |= (uint64_t)1 << l;
    }
    st = cg__lin_text_features(&m->p, m->nz, &es->nm, text, len, &es->f, err);
    if (st == CG_OK)
        st = cg__lin_vectorize(&m->p, m->idf, &es->f, &es->v, err);
    if (st != CG_OK)
        return st;
    cg__lin_scores(m, &es->v, es->z);
    cg__lin_link(&m->p, m->ncls, es->z);
    pred = cg__lin_assign(&m->p, L, m->ncls, es->z, m->threshold, es->threshold);
    for (uint32_t l = 0; l < L; l++) {
        const int t = (int)((truth >> l) & 1), p = (int)((pred >> l) & 1);
        cg_text_label_metrics *lm = &ev->labels[l];

        lm->tp += t && p;
        lm->fp += !t && p;
        lm->fn += t && !p;
        lm->tn += !t && !p;
    }
    for (uint32_t a = 0; a < W; a++) {
        if (a < L ? !((truth >> a) & 1) : truth != 0)
            continue;
        for (uint32_t b = 0; b < W; b++)
            if (b < L ? (pred >> b) & 1 : pred == 0)
                ev->confusion[(size_t)a * W + b]++;
    }
    ev->examples++;
    return CG_OK;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void finish_metrics(cg_text_label_metrics *lm)
{
    const double p = ratio(lm->tp, lm->tp + lm->fp), r = ratio(lm->tp, lm->tp + lm->fn);

    lm->precision = p;
    lm->recall = r;
    lm->f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    lm->f05 = p + r > 0 ? 1.25 * p * r / (0.25 * p + r) : 0.0;
}

static void state_free(eval_state *es)
{
    cg__normalized_free(&es->nm);
    cg__lin_feats_free(&es->f);
    cg__lin_vec_free(&es->v);
}

void cg_text_eval_destroy(cg_text_eval *ev)
{
    if (ev == NULL)
        return;
    cg__free(ev->labels);
    cg__free(ev->confusion);
    cg__free(ev);
}

cg_status cg_text_model_eval(const cg_text_model *m, const cg_text_data *data, size_t n,
                             const cg_text_eval_options *opt, cg_text_eval **out, cg_error *err)
{
    eval_state es;
    cg_text_eval *ev;
    uint64_t bad = 0;
    size_t W;
    cg_status st = CG_OK;

    *out = NULL;
    if (m == NULL || data == NULL || n == 0)
        return cg__fail(err, CG_E_INVAL, "text model eval: no model or no data");
    W = (size_t)m->nlabels + 1;
    memset(&es, 0, sizeof(es));
    ev = cg__calloc(1, sizeof(*ev));
    if (ev == NULL)
        return cg__fail(err, CG_E_NOMEM, "text model eval: out of memory");
    ev->label_count = m->nlabels;
    ev->threshold = opt != NULL && opt->threshold > 0.0 ? opt->threshold : 0.0;
    ev->labels = cg__calloc(m->nlabels, sizeof(*ev->labels));
    ev->confusion = cg__calloc(W * W, sizeof(*ev->confusion));
    if (ev->labels == NULL || ev->confusion == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model eval: out of memory");
        goto fail;
    }
    es.m = m;
    es.ev = ev;
    es.threshold = ev->threshold;
    for (size_t i = 0; i < n; i++) {
        st = cg__dataset_read(&data[i], m->p.max_text_bytes, opt ? opt->on_bad_line : NULL,
                              opt ? opt->ud : NULL, &bad, eval_example, &es, err);
        if (st != CG_OK)
            goto fail;
    }
    ev->bad_lines = bad;
    ev->micro.name = "micro";
    for (uint32_t l = 0; l < m->nlabels; l++) {
        cg_text_label_metrics *lm = &ev->labels[l];

        lm->name = m->labels[l];
        finish_metrics(lm);
        ev->macro_f1 += lm->f1 / m->nlabels;
        ev->micro.tp += lm->tp;
        ev->micro.fp += lm->fp;
        ev->micro.fn += lm->fn;
        ev->micro.tn += lm->tn;
    }
    finish_metrics(&ev->micro);
    state_free(&es);
    *out = ev;
    return CG_OK;
fail:
    state_free(&es);
    cg_text_eval_destroy(ev);
    return st;
}
