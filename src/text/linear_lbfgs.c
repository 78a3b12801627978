/* Full-batch training of the linear text classifier by L-BFGS (linear.h).
 *
 * The objective is scikit-learn's LogisticRegression's, scaled by 1/N:
 *     f(W, b) = (1/N) sum_i s_i loss_i(W, b) + (lambda / 2) ||W||^2,
 * with loss_i the multinomial log-loss (softmax) or the sum over labels of the binary log-losses
 * (one-vs-rest), s_i the example's class weight, and the biases not penalised; lambda = 1 / (C N)
 * gives the minimiser of C sum_i s_i loss_i + ||W||^2 / 2. It is smooth and strictly convex, so
 * L-BFGS (Nocedal, "Updating Quasi-Newton Matrices with Limited Storage", Math. Comp. 1980; the
 * two-loop recursion of Nocedal and Wright, "Numerical Optimization", algorithm 7.4) with a
 * backtracking Armijo line search converges to the one optimum: the same model, up to the
 * tolerance, as scikit-learn's lbfgs solver on the same features. Only the buckets some training
 * example touches are variables (the others stay 0 at the optimum), so the vectors are the size
 * of the data's vocabulary, not of the hash space. One thread, fixed order: deterministic. */
#include "text/linear.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define HISTORY 8
#define ARMIJO 1e-4
#define MAX_BACKTRACK 30
#define REL_TOL 1e-10
#define GRAD_TOL 1e-6

/* f and its gradient (over W then the biases) at x. */
static double eval_fg(const cg__lin_problem *pb, const double *x, double *g)
{
    const uint32_t C = pb->ncls, L = pb->nlabels;
    const size_t nw = (size_t)pb->dim * C;
    const double *bias = x + nw;
    double *gb = g + nw;
    const int softmax = (pb->flags & CG__LIN_SOFTMAX) != 0;
    double z[CG_TEXT_MODEL_MAX_LABELS + 1], d[CG_TEXT_MODEL_MAX_LABELS + 1];
    double loss = 0.0, reg = 0.0;

    memset(g, 0, (nw + C) * sizeof(*g));
    for (uint64_t i = 0; i < pb->n; i++) {
        const uint64_t a = pb->voff[i], e = pb->voff[i + 1], y = pb->labels[i];

        for (uint32_t c = 0; c < C; c++)
            z[c] = bias[c];
        for (uint64_t k = a; k < e; k++) {
            const double *w = x + (size_t)pb->vidx[k] * C;
            const double v = pb->vval[k];

            for (uint32_t c = 0; c < C; c++)
                z[c] += w[c] * v;
        }
        if (softmax) {
            uint32_t cls = C - 1;
            for (uint32_t l = 0; l < L; l++)
                if ((y >> l) & 1)
                    cls = l;
            double top = z[0], sum = 0.0;
            for (uint32_t c = 1; c < C; c++)
                top = z[c] > top ? z[c] : top;
            for (uint32_t c = 0; c < C; c++)
                sum += exp(z[c] - top);
            const double lse = top + log(sum), s = pb->wpos[cls];
            loss += s * (lse - z[cls]);
            for (uint32_t c = 0; c < C; c++)
                d[c] = s * (exp(z[c] - lse) - (c == cls ? 1.0 : 0.0));
        } else {
            for (uint32_t l = 0; l < L; l++) {
                const int yl = (int)((y >> l) & 1);
                const double s = yl ? pb->wpos[l] : pb->wneg[l];
                /* log(1 + e^-m) with m = +-z, computed stably. */
                const double m = yl ? z[l] : -z[l];
                loss += s * (m > 0 ? log1p(exp(-m)) : -m + log1p(exp(m)));
                const double p = 1.0 / (1.0 + exp(-z[l]));
                d[l] = s * (p - yl);
            }
        }
        for (uint32_t c = 0; c < C; c++)
            gb[c] += d[c];
        for (uint64_t k = a; k < e; k++) {
            double *gw = g + (size_t)pb->vidx[k] * C;
            const double v = pb->vval[k];

            for (uint32_t c = 0; c < C; c++)
                gw[c] += d[c] * v;
        }
    }
    const double inv = pb->n ? 1.0 / (double)pb->n : 0.0;
    for (size_t j = 0; j < nw; j++) {
        g[j] = g[j] * inv + pb->lambda * x[j];
        reg += x[j] * x[j];
    }
    for (uint32_t c = 0; c < C; c++)
        gb[c] *= inv;
    return loss * inv + 0.5 * pb->lambda * reg;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

cg_status cg__lin_lbfgs(const cg__lin_problem *pb, unsigned max_iter, double *x,
                        double *final_loss, unsigned *iters, cg_error *err)
{
    const size_t n = (size_t)pb->dim * pb->ncls + pb->ncls;
    double *g = cg__malloc_array(n, sizeof(double)), *d = cg__malloc_array(n, sizeof(double));
    double *xn = cg__malloc_array(n, sizeof(double)), *gn = cg__malloc_array(n, sizeof(double));
    double *s = cg__malloc_array(n * HISTORY, sizeof(double));
    double *y = cg__malloc_array(n * HISTORY, sizeof(double));
    double rho[HISTORY], alpha[HISTORY];
    unsigned it = 0, hist = 0, head = 0;
    double f;
    cg_status st = CG_OK;

    *iters = 0;
    if (g == NULL || d == NULL || xn == NULL || gn == NULL || s == NULL || y == NULL) {
        st = cg__fail(err, CG_E_NOMEM, "text model: out of memory for L-BFGS (%zu variables)", n);
        goto done;
    }
    f = eval_fg(pb, x, g);
    for (it = 0; it < max_iter; it++) {
        const double gnorm = sqrt(dot(g, g, n));

        if (gnorm <= GRAD_TOL)
            break;
        /* Direction: -H g by the two-loop recursion over the last pairs. */
        for (size_t i = 0; i < n; i++)
            d[i] = -g[i];
        for (unsigned k = 0; k < hist; k++) {
            const unsigned j = (head + HISTORY - 1 - k) % HISTORY;

            alpha[j] = rho[j] * dot(s + (size_t)j * n, d, n);
            for (size_t i = 0; i < n; i++)
                d[i] -= alpha[j] * y[(size_t)j * n + i];
        }
        if (hist > 0) {
            const unsigned j = (head + HISTORY - 1) % HISTORY;
            const double yy = dot(y + (size_t)j * n, y + (size_t)j * n, n);
            const double gamma = yy > 0 ? 1.0 / (rho[j] * yy) : 1.0;

            for (size_t i = 0; i < n; i++)
                d[i] *= gamma;
        }
        for (unsigned k = hist; k > 0; k--) {
            const unsigned j = (head + HISTORY - k) % HISTORY;
            const double beta = rho[j] * dot(y + (size_t)j * n, d, n);

            for (size_t i = 0; i < n; i++)
                d[i] += (alpha[j] - beta) * s[(size_t)j * n + i];
        }
        double slope = dot(g, d, n);
        if (slope >= 0) { /* not a descent direction: start over from steepest descent */
            for (size_t i = 0; i < n; i++)
                d[i] = -g[i];
            slope = -gnorm * gnorm;
            hist = 0;
        }
        double step = hist == 0 && it == 0 ? 1.0 / (gnorm > 1.0 ? gnorm : 1.0) : 1.0, fn = f;
        int found = 0;
        for (int b = 0; b < MAX_BACKTRACK; b++) {
            for (size_t i = 0; i < n; i++)
                xn[i] = x[i] + step * d[i];
            fn = eval_fg(pb, xn, gn);
            if (fn <= f + ARMIJO * step * slope) {
                found = 1;
                break;
            }
            step *= 0.5;
        }
        if (!found)
            break; /* no progress possible at this precision */
        /* The new pair; kept only when it keeps the approximation positive definite. */
        double *sj = s + (size_t)head * n, *yj = y + (size_t)head * n;
        for (size_t i = 0; i < n; i++) {
            sj[i] = xn[i] - x[i];
            yj[i] = gn[i] - g[i];
        }
        const double sy = dot(sj, yj, n);
        if (sy > 1e-12) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % HISTORY;
            if (hist < HISTORY)
                hist++;
        }
        memcpy(x, xn, n * sizeof(*x));
        memcpy(g, gn, n * sizeof(*g));
        const double rel = (f - fn) / (fabs(f) > 1.0 ? fabs(f) : 1.0);
        f = fn;
        if (rel < REL_TOL)
            break;
    }
    *final_loss = f;
    *iters = it;
done:
    cg__free(g);
    cg__free(d);
    cg__free(xn);
    cg__free(gn);
    cg__free(s);
    cg__free(y);
    return st;
}
