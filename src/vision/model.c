/* The network's weights, ready to run: every tensor of the model file is looked up by name,
 * its shape checked against the architecture, dequantised exactly as TensorFlow.js does
 * (float32(q * scale + min), computed in double), and each batch normalisation is folded into
 * the convolution before it:
 *
 *   s = gamma / sqrt(variance + 1e-3),  w' = w * s,  b' = beta - mean * s   (in double)
 *
 * which turns conv + BN into conv + bias. tfjs applies BN as a separate float32 step, so the
 * fold changes the rounding (about 1e-7 relative per layer), far inside the 1e-4 the
 * probabilities are held to (tests/vision/reference.mjs).
 *
 * Architecture: Keras MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear
 * Bottlenecks", CVPR 2018), width 1.0, 224 x 224 x 3, as nsfwjs trained it: stem 3x3/2 conv 32,
 * 17 inverted residual blocks (t, c, n, s) below, 1x1 conv 1280, global mean, dense 256 ReLU,
 * dense 128 ReLU, dense 5 softmax. tools/vision/convert-nsfwjs.mjs checks the Keras topology
 * against the same table before it writes a model file. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "vision/vision_int.h"

#define BN_EPS 1e-3

static const int BLOCK_TABLE[7][4] = { /* t, c, n, s */
    { 1, 16, 1, 1 }, { 6, 24, 2, 2 }, { 6, 32, 3, 2 }, { 6, 64, 4, 2 },
    { 6, 96, 3, 1 }, { 6, 160, 3, 2 }, { 6, 320, 1, 1 },
};

typedef struct build {
    const cg__vfile *f;
    const char *file;
    cg_error *err;
} build;

/* Dequantises tensor `name`, which must have exactly the dims given (ndim of them), into a new
 * array of floats. */
static cg_status tensor(build *b, const char *name, uint32_t ndim, const uint32_t *dims,
                        float **out)
{
    *out = NULL;
    const cg__vtensor *t = cg__vfile_find(b->f, name);
    if (t == NULL)
        return cg__fail(b->err, CG_E_DECODE, "%s: model file lacks tensor %s", b->file, name);
    int same = t->ndim == ndim;
    for (uint32_t i = 0; same && i < ndim; i++)
        same = t->dims[i] == dims[i];
    if (!same)
        return cg__fail(b->err, CG_E_DECODE, "%s: tensor %s has the wrong shape", b->file, name);
    float *v = cg__malloc_array(t->count, sizeof *v);
    if (v == NULL)
        return cg__fail(b->err, CG_E_NOMEM, "%s: out of memory for tensor %s", b->file, name);
    for (size_t i = 0; i < t->count; i++)
        v[i] = (float)((double)t->q[i] * t->scale + t->min);
    *out = v;
    return CG_OK;
}

/* The four BN vectors of layer `bn` folded into a scale s[c] and shift sh[c] (double). */
static cg_status bn_fold(build *b, const char *bn, int c, double *s, double *sh)
{
    static const char *const part[4] = { "gamma", "beta", "moving_mean", "moving_variance" };
    float *v[4] = { NULL, NULL, NULL, NULL };
    const uint32_t dims[1] = { (uint32_t)c };
    char name[128];
    cg_status st = CG_OK;

    for (int i = 0; i < 4 && st == CG_OK; i++) {
        snprintf(name, sizeof name, "%s/%s", bn, part[i]);
        st = tensor(b, name, 1, dims, &v[i]);
    }
    if (st == CG_OK) {
        for (int i = 0; i < c; i++) {
            s[i] = (double)v[0][i] / sqrt((double)v[3][i] + BN_EPS);
            sh[i] = (double)v[1][i] - (double)v[2][i] * s[i];
        }
    }
    for (int i = 0; i < 4; i++)
        cg__free(v[i]);
    return st;
}

/* A conv kernel [kh][kw][cin][cout] with BN `bn` folded: w scaled per output channel in place,
 * bias returned. */
static cg_status conv_bn(build *b, const char *kname, const char *bn, uint32_t k, int cin,
                         int cout, float **w, float **bias)
{
    const uint32_t dims[4] = { k, k, (uint32_t)cin, (uint32_t)cout };
    double *s = NULL, *sh = NULL;
    cg_status st;

    *w = NULL;
    *bias = NULL;
    s = cg__malloc_array((size_t)cout, sizeof *s);
    sh = cg__malloc_array((size_t)cout, sizeof *sh);
    *bias = cg__malloc_array((size_t)cout, sizeof **bias);
    if (s == NULL || sh == NULL || *bias == NULL) {
        st = cg__fail(b->err, CG_E_NOMEM, "%s: out of memory", b->file);
        goto done;
    }
    st = tensor(b, kname, 4, dims, w);
    if (st == CG_OK)
        st = bn_fold(b, bn, cout, s, sh);
    if (st != CG_OK)
        goto done;
    const size_t rows = (size_t)k * k * (size_t)cin;
    for (size_t r = 0; r < rows; r++) {
        float *row = *w + r * (size_t)cout;
        for (int o = 0; o < cout; o++)
            row[o] = (float)((double)row[o] * s[o]);
    }
    for (int o = 0; o < cout; o++)
        (*bias)[o] = (float)sh[o];
done:
    if (st != CG_OK) {
        cg__free(*w);
        cg__free(*bias);
        *w = NULL;
        *bias = NULL;
    }
    cg__free(s);
    cg__free(sh);
    return st;
}

/* A 1x1 convolution + BN, packed into NR-column panels for cg__vpointwise. */
static cg_status pointwise(build *b, const char *layer, const char *bn, int cin, int cout,
                           cg__vpw *pw)
{
    char kname[128];
    float *w = NULL;
    cg_status st;

    snprintf(kname, sizeof kname, "%s/kernel", layer);
    st = conv_bn(b, kname, bn, 1, cin, cout, &w, &pw->bias);
    if (st != CG_OK)
        return st;
    const size_t panels = ((size_t)cout + CG_VGEMM_NR - 1) / CG_VGEMM_NR;
    pw->w = cg__calloc(panels * (size_t)cin * CG_VGEMM_NR, sizeof *pw->w);
    if (pw->w == NULL) {
        cg__free(w);
        return cg__fail(b->err, CG_E_NOMEM, "%s: out of memory", b->file);
    }
    pw->cin = cin;
    pw->cout = cout;
    for (size_t p = 0; p < panels; p++)
        for (int k = 0; k < cin; k++)
            for (int j = 0; j < CG_VGEMM_NR; j++) {
                const size_t col = p * CG_VGEMM_NR + (size_t)j;
                if (col < (size_t)cout)
                    pw->w[(p * (size_t)cin + (size_t)k) * CG_VGEMM_NR + (size_t)j] =
                        w[(size_t)k * (size_t)cout + col];
            }
    cg__free(w);
    return CG_OK;
}

static cg_status depthwise(build *b, const char *prefix, int c, cg__vdw *dw)
{
    char kname[128], bn[128];
    const uint32_t dims[4] = { 3, 3, (uint32_t)c, 1 };
    double *s = NULL, *sh = NULL;
    cg_status st;

    snprintf(kname, sizeof kname, "%sdepthwise/depthwise_kernel", prefix);
    snprintf(bn, sizeof bn, "%sdepthwise_BN", prefix);
    s = cg__malloc_array((size_t)c, sizeof *s);
    sh = cg__malloc_array((size_t)c, sizeof *sh);
    dw->bias = cg__malloc_array((size_t)c, sizeof *dw->bias);
    if (s == NULL || sh == NULL || dw->bias == NULL) {
        st = cg__fail(b->err, CG_E_NOMEM, "%s: out of memory", b->file);
        goto done;
    }
    st = tensor(b, kname, 4, dims, &dw->w);
    if (st == CG_OK)
        st = bn_fold(b, bn, c, s, sh);
    if (st != CG_OK)
        goto done;
    dw->c = c;
    for (int tap = 0; tap < 9; tap++)
        for (int i = 0; i < c; i++)
            dw->w[tap * c + i] = (float)((double)dw->w[tap * c + i] * s[i]);
    for (int i = 0; i < c; i++)
        dw->bias[i] = (float)sh[i];
done:
    cg__free(s);
    cg__free(sh);
    return st;
}

static cg_status dense(build *b, int i, int in, int out, cg__vdense *d)
{
    char name[64];
    const uint32_t kd[2] = { (uint32_t)in, (uint32_t)out };
    const uint32_t bd[1] = { (uint32_t)out };
    cg_status st;

    d->in = in;
    d->out = out;
    snprintf(name, sizeof name, "dense_%d/kernel", i);
    st = tensor(b, name, 2, kd, &d->w);
    if (st != CG_OK)
        return st;
    snprintf(name, sizeof name, "dense_%d/bias", i);
    return tensor(b, name, 1, bd, &d->b);
}

static void grow(size_t *max, size_t h, size_t w, size_t c)
{
    if (h * w * c > *max)
        *max = h * w * c;
}

cg_status cg__vnet_build(const cg__vfile *f, const char *name, cg_vision_model *m,
                         cg_error *err)
{
    build b = { f, name, err };
    cg_status st;
    size_t side = CG_VNET_INPUT / 2;
    char layer[64], bn[64];

    m->max_floats = (size_t)CG_VNET_INPUT * CG_VNET_INPUT * 3;
    st = conv_bn(&b, "Conv1/kernel", "bn_Conv1", 3, 3, 32, &m->stem_w, &m->stem_b);
    if (st != CG_OK)
        return st;
    grow(&m->max_floats, side, side, 32);

    int cin = 32, id = 0;
    for (int g = 0; g < 7; g++) {
        const int t = BLOCK_TABLE[g][0], c = BLOCK_TABLE[g][1], n = BLOCK_TABLE[g][2];
        for (int i = 0; i < n; i++, id++) {
            cg__vblock *blk = &m->blocks[id];
            char prefix[32];
            if (id == 0)
                snprintf(prefix, sizeof prefix, "expanded_conv_");
            else
                snprintf(prefix, sizeof prefix, "block_%d_", id);
            blk->cin = cin;
            blk->cmid = cin * t;
            blk->cout = c;
            blk->stride = i == 0 ? BLOCK_TABLE[g][3] : 1;
            blk->expand = t != 1;
            blk->residual = blk->stride == 1 && cin == c;
            if (blk->expand) {
                snprintf(layer, sizeof layer, "%sexpand", prefix);
                snprintf(bn, sizeof bn, "%sexpand_BN", prefix);
                st = pointwise(&b, layer, bn, cin, blk->cmid, &blk->exp);
                if (st != CG_OK)
                    return st;
            }
            st = depthwise(&b, prefix, blk->cmid, &blk->dw);
            if (st != CG_OK)
                return st;
            side /= (size_t)blk->stride;
            snprintf(layer, sizeof layer, "%sproject", prefix);
            snprintf(bn, sizeof bn, "%sproject_BN", prefix);
            st = pointwise(&b, layer, bn, blk->cmid, c, &blk->proj);
            if (st != CG_OK)
                return st;
            grow(&m->max_floats, side, side, (size_t)c);
            cin = c;
        }
    }
    st = pointwise(&b, "Conv_1", "Conv_1_bn", 320, CG_VNET_FEATURES, &m->head);
    if (st != CG_OK)
        return st;
    st = dense(&b, 1, CG_VNET_FEATURES, 256, &m->dense[0]);
    if (st == CG_OK)
        st = dense(&b, 2, 256, 128, &m->dense[1]);
    if (st == CG_OK)
        st = dense(&b, 3, 128, CG_VISION_CLASSES, &m->dense[2]);
    if (st == CG_OK && f->n != 266)
        st = cg__fail(err, CG_E_DECODE, "%s: model file has %u tensors, the network uses 266",
                      name, f->n);
    return st;
}

static void pw_free(cg__vpw *pw)
{
    cg__free(pw->w);
    cg__free(pw->bias);
}

void cg__vnet_free(cg_vision_model *m)
{
    cg__free(m->stem_w);
    cg__free(m->stem_b);
    for (int i = 0; i < CG_VNET_BLOCKS; i++) {
        pw_free(&m->blocks[i].exp);
        pw_free(&m->blocks[i].proj);
        cg__free(m->blocks[i].dw.w);
        cg__free(m->blocks[i].dw.bias);
    }
    pw_free(&m->head);
    for (int i = 0; i < 3; i++) {
        cg__free(m->dense[i].w);
        cg__free(m->dense[i].b);
    }
}
