/* Test helper for the tfjs reference test (tests/vision/reference.sh): decodes each image the
 * way the classifier receives it (cg_image_decode_file, alpha dropped, grey kept as one
 * channel) and writes the pixels as a binary PPM (grey copied to R, G and B, as the classifier
 * does), so TensorFlow.js scores exactly the pixels the C classifier scored.
 *
 *   vision_pixels OUTDIR FILE...   writes OUTDIR/0000.ppm, 0001.ppm, ... in argument order
 *
 * Exit 0 when every file was written; 2 (naming the file) otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "childguard.h"

int main(int argc, char **argv)
{
    int rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: vision_pixels OUTDIR FILE...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        cg_image *img = NULL;
        cg_error err;
        char path[4096];

        if (cg_image_decode_file(argv[i], NULL, &img, &err) != CG_OK) {
            fprintf(stderr, "vision_pixels: %s\n", err.message);
            rc = 2;
            continue;
        }
        snprintf(path, sizeof path, "%s/%04d.ppm", argv[1], i - 2);
        FILE *f = fopen(path, "wb");
        if (f == NULL) {
            fprintf(stderr, "vision_pixels: cannot write %s\n", path);
            cg_image_destroy(img);
            return 2;
        }
        fprintf(f, "P6\n%u %u\n255\n", img->width, img->height);
        const size_t n = (size_t)img->width * img->height;
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < 3; c++)
                fputc(img->pixels[p * img->channels + (img->channels == 1 ? 0 : (size_t)c)], f);
        if (fclose(f) != 0) {
            fprintf(stderr, "vision_pixels: cannot write %s\n", path);
            rc = 2;
        }
        cg_image_destroy(img);
    }
    return rc;
}
