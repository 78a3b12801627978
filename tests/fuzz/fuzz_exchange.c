/* libFuzzer targets for the exchange page parsers, one per driver chosen at compile time
 * (CG_FUZZ_EXCHANGE: 1 NCMEC XML, 2 StopNCII JSON, 3 ThreatExchange JSON). Traps unless a page
 * either parses into well-formed records (a key, at most CG_EXCHANGE_MAX_HASHES hashes of known
 * types, a reject count with its reason) or fails with CG_E_DECODE / CG_E_LIMIT, nothing
 * appended and a message naming the input. The NCMEC variant also reads the input as a
 * feedback-reasons list (GET /v2/feedback/{TYPE}/reasons): it either parses into at most cap
 * reasons, each with a valid GUID and a terminated name, or fails with CG_E_DECODE / CG_E_LIMIT,
 * no count and a message naming the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "exchange/exchange_int.h"

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
    {
        cg_ncmec_reason reasons[4];
        size_t count = 99;
        cg_error rerr;
        const size_t cap = sizeof(reasons) / sizeof(reasons[0]);

        memset(&rerr, 0, sizeof(rerr));
        const cg_status rst = cg__ncmec_parse_reasons("fuzz.reasons", (const char *)data, size,
                                                      reasons, cap, &count, &rerr);
        if (rst != CG_OK && ((rst != CG_E_DECODE && rst != CG_E_LIMIT) || count != 0 ||
                             strstr(rerr.message, "fuzz.reasons") == NULL))
            __builtin_trap();
        if (rst == CG_OK && count > cap)
            __builtin_trap();
        for (size_t i = 0; rst == CG_OK && i < count; i++)
            if (!cg_exchange_feedback_reason_valid(reasons[i].guid) ||
                memchr(reasons[i].name, '\0', sizeof(reasons[i].name)) == NULL)
                __builtin_trap();
    }
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
