/* libFuzzer targets for the exchange page parsers, one per driver chosen at compile time
 * (CG_FUZZ_EXCHANGE: 1 NCMEC XML, 2 StopNCII JSON, 3 ThreatExchange JSON). Traps unless a page
 * either parses into well-formed records (a key, at most CG_EXCHANGE_MAX_HASHES hashes of known
 * types, a reject count with its reason) or fails with CG_E_DECODE / CG_E_LIMIT, nothing
 * appended and a message naming the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_exchange_delta d;
    cg_error err;
    cg_status st;
    char *next = NULL;

    memset(&err, 0, sizeof(err));
    cg_exchange_delta_init(&d);
#if CG_FUZZ_EXCHANGE == 1
    uint64_t in_range = 0;
    st = cg_exchange_parse_ncmec("fuzz.xml", (const char *)data, size, &d, &next, &in_range,
                                 &err);
    if (st == CG_OK && next != NULL && next[0] != '/')
        __builtin_trap();
#elif CG_FUZZ_EXCHANGE == 2
    cg_stopncii_page page;
    st = cg_exchange_parse_stopncii("fuzz.json", (const char *)data, size, &d, &page, &err);
    if (st == CG_OK && page.has_more && page.next_page_token == NULL)
        __builtin_trap();
    next = page.next_page_token;
#else
    st = cg_exchange_parse_threat_updates("fuzz.json", (const char *)data, size, &d, &next,
                                          &err);
#endif
    if (st != CG_OK) {
        if ((st != CG_E_DECODE && st != CG_E_LIMIT) || d.n_records != 0 || next != NULL ||
            strstr(err.message, "fuzz.") == NULL)
            __builtin_trap();
    } else {
        for (size_t i = 0; i < d.n_records; i++) {
            const cg_exchange_record *r = &d.records[i];

            if (r->key == NULL || r->key[0] == '\0' || strlen(r->key) > CG_BANK_FIELD_MAX ||
                r->n_hashes > CG_EXCHANGE_MAX_HASHES)
                __builtin_trap();
            for (size_t h = 0; h < r->n_hashes; h++)
                if (r->hashes[h].type == NULL)
                    __builtin_trap();
        }
        if (d.n_rejected > 0 && d.first_reject[0] == '\0')
            __builtin_trap();
    }
    cg_free(next);
    cg_exchange_delta_fini(&d);
    return 0;
}
