/* The portable search kernels: the bodies of search_body.h compiled for the baseline ISA.
 * They run on any CPU, and the tests compare them with the AVX2 kernels. */
#include "index/search_body.h"

cg_status cg__scan_portable(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                            cg_index_hits *hits)
{
    return scan_body(idx, q, radius, hits);
}

cg_status cg__mih_search_portable(const cg_pdq_index *idx, const uint64_t q[4], int radius,
                                  cg_index_hits *hits)
{
    return mih_body(idx, q, radius, hits);
}
