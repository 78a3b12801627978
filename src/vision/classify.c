/* The vision API: loading a model file, per-thread contexts, and the forward pass that chains
 * the kernels (resize.c, conv.c, block.c, gemm*.c) through MobileNetV2 and the classifier head.
 *
 * Activations are NHWC float32. A context has two buffers for the blocks' inputs and outputs
 * (ping-pong; the larger of 112 x 112 x 32 and the 224 x 224 x 3 input) and one scratch buffer
 * for a block's inner activations (block.c says how much it needs), each padded by MR rows of
 * the widest input, because the GEMM kernel reads whole 6-row tiles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/file.h"
#include "vision/vision_int.h"

#ifndef CG_DEFAULT_DATA_DIR
#define CG_DEFAULT_DATA_DIR "/usr/local/share/childguard"
#endif

/* A model file is about 2.6 MB; anything past this is not one. */
#define MAX_MODEL_BYTES ((uint64_t)64 << 20)

struct cg_vision_ctx {
    const cg_vision_model *m;
    float *x, *y, *scratch;
    int avx2;
    float lut[256]; /* q -> float32(q / 255) */
};

static const char *const CLASS_NAMES[CG_VISION_CLASSES] = { "Drawing", "Hentai", "Neutral",
                                                            "Porn", "Sexy" };

const char *cg_vision_class_name(cg_vision_class c)
{
    return (unsigned)c < CG_VISION_CLASSES ? CLASS_NAMES[c] : NULL;
}

static once_flag cpu_once = ONCE_FLAG_INIT;
static int cpu_avx2;

static void cpu_resolve(void)
{
    __builtin_cpu_init();
    cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int cg__vision_cpu_avx2(void)
{
    call_once(&cpu_once, cpu_resolve);
    return cpu_avx2;
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

cg_status cg_vision_default_model_path(char *buf, size_t cap)
{
    const char *env = getenv("CHILDGUARD_DATA");
    const char *dirs[3] = { env != NULL && *env != '\0' ? env : NULL, CG_DEFAULT_DATA_DIR, NULL };
#ifdef CG_SOURCE_DATA_DIR
    dirs[2] = CG_SOURCE_DATA_DIR;
#endif
    const char *pick = NULL;
    for (int i = 0; i < 3 && pick == NULL; i++) {
        if (dirs[i] == NULL)
            continue;
        const int n = snprintf(buf, cap, "%s/%s", dirs[i], CG_VISION_MODEL_FILE);
        if (n < 0 || (size_t)n >= cap)
            return CG_E_LIMIT;
        if (is_file(buf) || i == 0)
            pick = dirs[i]; /* $CHILDGUARD_DATA is used as given, even without the file */
    }
    if (pick == NULL) {
        /* Nothing found: name the installed location, so the error says where it belongs. */
        const int n = snprintf(buf, cap, "%s/%s", CG_DEFAULT_DATA_DIR, CG_VISION_MODEL_FILE);
        if (n < 0 || (size_t)n >= cap)
            return CG_E_LIMIT;
    }
    return CG_OK;
}

cg_status cg_vision_model_open_mem(const uint8_t *data, size_t len, const char *name,
                                   cg_vision_model **out, cg_error *err)
{
    cg__vfile f;
    cg_status st;

    *out = NULL;
    if (name == NULL)
        name = "model";
    if (data == NULL && len > 0)
        return cg__fail(err, CG_E_INVAL, "%s: no data", name);
    st = cg__vfile_parse(data, len, name, &f, err);
    if (st != CG_OK)
        return st;
    cg_vision_model *m = cg__calloc(1, sizeof *m);
    if (m == NULL) {
        cg__vfile_fini(&f);
        return cg__fail(err, CG_E_NOMEM, "%s: out of memory", name);
    }
    memcpy(m->id, f.sha256, sizeof m->id);
    st = cg__vnet_build(&f, name, m, err);
    cg__vfile_fini(&f);
    if (st != CG_OK) {
        cg_vision_model_close(m);
        return st;
    }
    *out = m;
    return CG_OK;
}

cg_status cg_vision_model_open(const char *path, cg_vision_model **out, cg_error *err)
{
    char def[4096];
    uint8_t *data = NULL;
    size_t len = 0;
    cg_status st;

    *out = NULL;
    if (path == NULL) {
        if (cg_vision_default_model_path(def, sizeof def) != CG_OK)
            return cg__fail(err, CG_E_LIMIT, "the model path is too long");
        path = def;
    }
    st = cg__read_file(path, MAX_MODEL_BYTES, &data, &len, err);
    if (st != CG_OK)
        return st;
    st = cg_vision_model_open_mem(data, len, path, out, err);
    cg__free(data);
    return st;
}

void cg_vision_model_close(cg_vision_model *m)
{
    if (m == NULL)
        return;
    cg__vnet_free(m);
    cg__free(m);
}

const char *cg_vision_model_id(const cg_vision_model *m)
{
    return m->id;
}

cg_status cg_vision_ctx_create(const cg_vision_model *m, cg_vision_ctx **out)
{
    *out = NULL;
    cg_vision_ctx *c = cg__calloc(1, sizeof *c);
    if (c == NULL)
        return CG_E_NOMEM;
    /* Zeroed, so the rows a GEMM tile reads past M are finite from the start; later they hold
     * earlier activations, also finite. */
    const size_t pad = (size_t)CG_VGEMM_MR * CG_VNET_FEATURES;
    size_t scratch = (size_t)49 * CG_VNET_FEATURES; /* the head's output */
    int side = CG_VNET_INPUT / 2;
    for (int i = 0; i < CG_VNET_BLOCKS; i++) {
        const size_t need = cg__vblock_scratch(&m->blocks[i], side);
        scratch = need > scratch ? need : scratch;
        side /= m->blocks[i].stride;
    }
    c->m = m;
    c->x = cg__calloc(m->max_floats + pad, sizeof(float));
    c->y = cg__calloc(m->max_floats + pad, sizeof(float));
    c->scratch = cg__calloc(scratch + pad, sizeof(float));
    c->avx2 = cg__vision_cpu_avx2();
    cg__vresize_lut(c->lut);
    if (c->x == NULL || c->y == NULL || c->scratch == NULL) {
        cg_vision_ctx_destroy(c);
        return CG_E_NOMEM;
    }
    *out = c;
    return CG_OK;
}

void cg_vision_ctx_destroy(cg_vision_ctx *ctx)
{
    if (ctx == NULL)
        return;
    cg__free(ctx->x);
    cg__free(ctx->y);
    cg__free(ctx->scratch);
    cg__free(ctx);
}

void cg__vision_ctx_force_portable(cg_vision_ctx *ctx, int on)
{
    ctx->avx2 = on ? 0 : cg__vision_cpu_avx2();
}

/* y = x * W + b (W in x out, row-major), ReLU when relu: the dense layers of the head. */
static void dense(const cg__vdense *d, const float *x, int relu, float *y)
{
    for (int j = 0; j < d->out; j++)
        y[j] = 0.0f;
    for (int i = 0; i < d->in; i++) {
        const float xi = x[i];
        const float *w = d->w + (size_t)i * (size_t)d->out;
        for (int j = 0; j < d->out; j++)
            y[j] += xi * w[j];
    }
    for (int j = 0; j < d->out; j++) {
        y[j] += d->b[j];
        if (relu && y[j] < 0.0f)
            y[j] = 0.0f;
    }
}

/* The network on the preprocessed input in c->y. */
static void forward(cg_vision_ctx *c, cg_vision_scores *out)
{
    const cg_vision_model *m = c->m;
    int side = CG_VNET_INPUT / 2;
    float *in = c->x, *next = c->y;

    cg__vstem(c->y, m->stem_w, m->stem_b, c->x, c->avx2);
    for (int i = 0; i < CG_VNET_BLOCKS; i++) {
        const cg__vblock *b = &m->blocks[i];
        cg__vblock_run(b, in, side, next, c->scratch, c->avx2);
        side /= b->stride;
        float *t = in;
        in = next;
        next = t;
    }
    cg__vpointwise(in, side * side, &m->head, 1, NULL, c->scratch, c->avx2);

    /* Global mean (AveragePooling2D 7x7): summed in double, as tfjs's pooling kernel does. */
    float feat[CG_VNET_FEATURES], h1[256], h2[128], logits[CG_VISION_CLASSES];
    const int px = side * side;
    for (int ch = 0; ch < CG_VNET_FEATURES; ch++) {
        double s = 0.0;
        for (int p = 0; p < px; p++)
            s += c->scratch[(size_t)p * CG_VNET_FEATURES + (size_t)ch];
        feat[ch] = (float)(s / px);
    }
    dense(&m->dense[0], feat, 1, h1);
    dense(&m->dense[1], h1, 1, h2);
    dense(&m->dense[2], h2, 0, logits);

    double mx = logits[0], sum = 0.0, e[CG_VISION_CLASSES];
    for (int k = 1; k < CG_VISION_CLASSES; k++)
        mx = logits[k] > mx ? logits[k] : mx;
    for (int k = 0; k < CG_VISION_CLASSES; k++) {
        e[k] = exp((double)logits[k] - mx);
        sum += e[k];
    }
    for (int k = 0; k < CG_VISION_CLASSES; k++)
        out->p[k] = (float)(e[k] / sum);
    out->explicit_score = out->p[CG_VISION_HENTAI] + out->p[CG_VISION_PORN] +
                          out->p[CG_VISION_SEXY];
}

cg_status cg_vision_classify_rgb(cg_vision_ctx *ctx, const uint8_t *pixels, uint32_t width,
                                 uint32_t height, uint32_t channels, size_t stride,
                                 cg_vision_scores *out, cg_error *err)
{
    memset(out, 0, sizeof *out);
    if (pixels == NULL || width == 0 || height == 0)
        return cg__fail(err, CG_E_INVAL, "classify: empty image");
    if (channels != 1 && channels != 3 && channels != 4)
        return cg__fail(err, CG_E_INVAL, "classify: %u channels (1, 3 or 4 expected)", channels);
    if (stride < (size_t)width * channels)
        return cg__fail(err, CG_E_INVAL, "classify: row stride %zu below the row's %zu bytes",
                        stride, (size_t)width * channels);
    cg__vresize(ctx->lut, pixels, width, height, channels, stride, ctx->y);
    forward(ctx, out);
    return CG_OK;
}

cg_status cg_vision_classify_image(cg_vision_ctx *ctx, const cg_image *img,
                                   cg_vision_scores *out, cg_error *err)
{
    if (img == NULL)
        return cg__fail(err, CG_E_INVAL, "classify: no image");
    return cg_vision_classify_rgb(ctx, img->pixels, img->width, img->height, img->channels,
                                  (size_t)img->width * img->channels, out, err);
}
