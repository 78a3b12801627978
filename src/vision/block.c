/* MobileNetV2's inverted residual block: expand (1x1, ReLU6), depthwise 3x3 (ReLU6), project
 * (1x1, linear), plus the block's input when the shapes allow.
 *
 * On large activations the block runs row by row: each depthwise output row needs three
 * expanded input rows, so the expansion is computed one input row at a time into a ring of
 * three rows, the depthwise row goes to a one-row buffer, and that row is projected straight
 * into the output. The expanded tensor (112 x 112 x 96 floats = 4.8 MB in block 1) then never
 * exists: measured, block 1's expansion ran at 11 GMAC/s when written whole (bound by memory)
 * and the two first blocks cost 2 ms of the 13. On small activations (side <= 28, at most
 * 28 x 28 x 192 floats, in L2) rows of 7 or 14 pixels would leave the 6-row GEMM tiles partly
 * empty, so the block runs whole. Both orders compute the same values. */
#include "vision/vision_int.h"

#define FUSE_MIN_SIDE 56

size_t cg__vblock_scratch(const cg__vblock *b, int side)
{
    const size_t s = (size_t)side, os = s / (size_t)b->stride, cm = (size_t)b->cmid;
    if (side >= FUSE_MIN_SIDE)
        return 3 * s * cm + (os + CG_VGEMM_MR) * cm;
    return s * s * cm + (os * os + CG_VGEMM_MR) * cm;
}

static void run_rows(const cg__vblock *b, const float *in, int side, float *out, float *scratch,
                     int avx2)
{
    const int w = side, ow = side / b->stride, off = b->stride == 1 ? -1 : 0;
    const size_t in_row = (size_t)w * (size_t)b->cin, mid_row = (size_t)w * (size_t)b->cmid;
    const size_t out_row = (size_t)ow * (size_t)b->cout;
    float *ring = scratch;
    float *dw_row = scratch + 3 * mid_row;
    int expanded = 0; /* input rows [0, expanded) have been expanded into the ring */

    for (int oy = 0; oy < ow; oy++) {
        const float *rows[3];
        for (int dy = 0; dy < 3; dy++) {
            const int iy = oy * b->stride + dy + off;
            if (iy < 0 || iy >= side) {
                rows[dy] = NULL;
                continue;
            }
            if (!b->expand) {
                rows[dy] = in + (size_t)iy * in_row;
                continue;
            }
            /* The ring holds rows iy - 2 .. iy; the row it overwrites is no longer needed. */
            for (; expanded <= iy; expanded++)
                cg__vpointwise(in + (size_t)expanded * in_row, w, &b->exp, 1, NULL,
                               ring + (size_t)(expanded % 3) * mid_row, avx2);
            rows[dy] = ring + (size_t)(iy % 3) * mid_row;
        }
        cg__vdepthwise_row(rows, w, &b->dw, b->stride, dw_row, avx2);
        cg__vpointwise(dw_row, ow, &b->proj, 0, b->residual ? in + (size_t)oy * out_row : NULL,
                       out + (size_t)oy * out_row, avx2);
    }
}

static void run_whole(const cg__vblock *b, const float *in, int side, float *out,
                      float *scratch, int avx2)
{
    const int os = side / b->stride;
    float *e = scratch;
    float *d = scratch + (size_t)side * (size_t)side * (size_t)b->cmid;
    const float *dw_in = in;

    if (b->expand) {
        cg__vpointwise(in, side * side, &b->exp, 1, NULL, e, avx2);
        dw_in = e;
    }
    cg__vdepthwise(dw_in, side, side, &b->dw, b->stride, d, avx2);
    cg__vpointwise(d, os * os, &b->proj, 0, b->residual ? in : NULL, out, avx2);
}

void cg__vblock_run(const cg__vblock *b, const float *in, int side, float *out, float *scratch,
                    int avx2)
{
    if (side >= FUSE_MIN_SIDE)
        run_rows(b, in, side, out, scratch, avx2);
    else
        run_whole(b, in, side, out, scratch, avx2);
}
