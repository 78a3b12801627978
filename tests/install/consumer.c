/* Uses the installed public API: hashes a synthetic grey gradient and parses its own hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <childguard.h>

int main(void)
{
    cg_pdq_hasher *h = NULL;
    cg_pdq_result r;
    cg_pdq back;
    char hex[65];
    float *luma = malloc(64 * 64 * sizeof(float));

    if (luma == NULL || cg_pdq_hasher_create(&h) != CG_OK)
        return 1;
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++)
            luma[y * 64 + x] = (float)((x * 3 + y * 5) % 256);
    if (cg_pdq_hash_luma(h, luma, 64, 64, 0, &r) != CG_OK)
        return 1;
    cg_pdq_to_hex(&r.hash, hex);
    if (cg_pdq_from_hex(hex, 64, &back) != CG_OK || cg_pdq_distance(&back, &r.hash) != 0)
        return 1;
    printf("childguard %s: %s,%d\n", cg_version(), hex, r.quality);
    cg_pdq_hasher_destroy(h);
    free(luma);
    return 0;
}
