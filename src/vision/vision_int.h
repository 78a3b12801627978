/* Internal interface of the vision layer: the model file's tensor table (model_file.c), the
 * network's weights ready to run (model.c), and the kernels (conv.c, gemm.c, gemm_avx2.c,
 * resize.c) that classify.c chains into a forward pass. Not installed. */
#ifndef CG_VISION_INT_H
#define CG_VISION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "childguard/vision.h"

/* ---- The model file (model_file.c) ---- */

#define CG_VFILE_HEADER 64
#define CG_VFILE_VERSION 1
#define CG_VFILE_MAX_TENSORS 4096
#define CG_VFILE_MAX_DIMS 4
#define CG_VFILE_MAX_META 65536
#define CG_VFILE_MAX_NAME 255

/* One tensor as stored: uint8 values q, dequantised as float32(q * scale + min) in double. */
typedef struct cg__vtensor {
    const char *name;  /* points into the file's bytes; not NUL-terminated */
    size_t name_len;
    uint32_t ndim;
    uint32_t dims[CG_VFILE_MAX_DIMS];
    size_t count;      /* product of dims */
    double min, scale;
    const uint8_t *q;  /* count bytes inside the file's bytes */
} cg__vtensor;

/* The parsed table; tensors point into the bytes given to cg__vfile_parse. */
typedef struct cg__vfile {
    cg__vtensor *t;    /* n entries sorted by name (strictly increasing) */
    uint32_t n;
    char sha256[65];   /* of the payload, lowercase hex */
} cg__vfile;

/* Checks the header (magic, version, sizes), the payload's SHA-256 and every tensor record
 * (bounds, dims, finite min/scale, names sorted and unique). name labels errors. On success
 * out->t is allocated (free with cg__vfile_fini). */
cg_status cg__vfile_parse(const uint8_t *data, size_t len, const char *name, cg__vfile *out,
                          cg_error *err);
void cg__vfile_fini(cg__vfile *f);
/* The tensor called name, or NULL. */
const cg__vtensor *cg__vfile_find(const cg__vfile *f, const char *name);

/* ---- The network (model.c) ---- */

#define CG_VNET_INPUT 224
#define CG_VNET_BLOCKS 17
#define CG_VNET_FEATURES 1280
#define CG_VGEMM_NR 16 /* columns of a packed weight panel */
#define CG_VGEMM_MR 6  /* rows of a GEMM tile */

/* A 1x1 convolution (or the final dense-like layer) with BN folded in: out = in * W + bias.
 * W is packed in panels of CG_VGEMM_NR columns: panel p holds, for every k, the NR weights
 * W[k][p*NR .. p*NR+NR-1] (zero past cout). */
typedef struct cg__vpw {
    int cin, cout;
    float *w;    /* ceil(cout / NR) * cin * NR floats, 64-byte aligned */
    float *bias; /* cout */
} cg__vpw;

/* A 3x3 depthwise convolution with BN folded in; w[tap][c], tap = dy * 3 + dx. */
typedef struct cg__vdw {
    int c;
    float *w;    /* 9 * c */
    float *bias; /* c */
} cg__vdw;

typedef struct cg__vblock {
    int cin, cmid, cout, stride;
    int expand;   /* t > 1: a 1x1 expansion first */
    int residual; /* stride 1 and cin == cout: the block's input is added to its output */
    cg__vpw exp, proj;
    cg__vdw dw;
} cg__vblock;

typedef struct cg__vdense {
    int in, out;
    float *w; /* in x out, row-major (as Keras stores it) */
    float *b;
} cg__vdense;

struct cg_vision_model {
    float *stem_w;  /* [dy][dx][ci][co] = 3 x 3 x 3 x 32, BN folded */
    float *stem_b;  /* 32 */
    cg__vblock blocks[CG_VNET_BLOCKS];
    cg__vpw head;   /* Conv_1: 320 -> 1280 */
    cg__vdense dense[3];
    char id[65];
    size_t max_floats; /* the largest block input or output (or the 224x224x3 input) */
};

/* Builds the network from a parsed file (dequantise, check shapes, fold BN, pack). */
cg_status cg__vnet_build(const cg__vfile *f, const char *name, cg_vision_model *m,
                         cg_error *err);
void cg__vnet_free(cg_vision_model *m);

/* ---- Kernels ---- */

/* lut[q] = float32(q / 255), the first step of the preprocessing. */
void cg__vresize_lut(float lut[256]);
/* out[y][x][0..2] = nsfwjs's preprocessing of the source pixels (channels 1, 3 or 4). */
void cg__vresize(const float *lut, const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch,
                 size_t stride, float *out);

/* The stem: 3x3 stride-2 convolution of the 224x224x3 input (padded bottom/right by one),
 * + bias, ReLU6 -> 112x112x32. */
void cg__vstem(const float *in, const float *w, const float *b, float *out, int avx2);

/* A 3x3 depthwise convolution, + bias, ReLU6: stride 1 pads by one on every side ("same"),
 * stride 2 pads only bottom/right (TF "same" for even sizes). */
void cg__vdepthwise(const float *in, int h, int w, const cg__vdw *dw, int stride, float *out,
                    int avx2);
/* One output row of it: rows[dy] is input row oy * stride + dy - (stride == 1), NULL where
 * that row is padding; w is the input width. */
void cg__vdepthwise_row(const float *const rows[3], int w, const cg__vdw *dw, int stride,
                        float *out, int avx2);

/* An inverted residual block: in (side x side x cin) -> out (side/stride squared x cout).
 * Blocks on large images run row by row (block.c) so the expanded activation never leaves the
 * cache; scratch is the context's buffer for it (cg__vblock_scratch floats). */
size_t cg__vblock_scratch(const cg__vblock *b, int side);
void cg__vblock_run(const cg__vblock *b, const float *in, int side, float *out, float *scratch,
                    int avx2);

/* out[M x cout] = in[M x cin] * W + bias (+ ReLU6 when relu6) (+ res[M x cout] when res is not
 * NULL; res may equal out). The rows of in may be read up to a multiple of CG_VGEMM_MR (the
 * buffers are padded for it); rows past M are never written. */
void cg__vpointwise(const float *in, int m, const cg__vpw *pw, int relu6, const float *res,
                    float *out, int avx2);

/* The AVX2 + FMA kernel behind cg__vpointwise (gemm_avx2.c). */
void cg__vpointwise_avx2(const float *in, int m, const cg__vpw *pw, int relu6, const float *res,
                         float *out);

/* Non-zero when the CPU runs AVX2 and FMA (resolved once). Each kernel above takes avx2: 1 runs
 * the AVX2 + FMA code, 0 the portable code (same arithmetic up to rounding). */
int cg__vision_cpu_avx2(void);

/* Tests only: from now on ctx runs the portable kernels (on != 0) or the CPU's best (0). */
CG_API void cg__vision_ctx_force_portable(cg_vision_ctx *ctx, int on);

#endif
