/* libFuzzer target for the personal-data and age detectors (src/text/detect.h), run on the
 * normalisation of the input (REPLACE policy, both shipped teencode tables) as the engine runs
 * them. The input is not NUL-terminated: the detectors must read only len bytes, which ASan
 * checks. Traps unless:
 *   - every span is inside the input with start < end, and on character boundaries when the
 *     input is valid UTF-8;
 *   - every hit has a personal-data facet and a weight in (0, 1]; every age signal is ASKED with
 *     ages 0, or STATED with 0 < min <= max <= 26;
 *   - a second scan appends exactly as many results again (the scans are pure);
 *   - with an allocation failing, a scan returns CG_E_NOMEM and leaves its output as it was;
 *   - the extortion detector (cg__demand_scan over the plain form's words) appends at most one
 *     bullying-threat hit, with a weight in (0, 1] and a span as above. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "common/alloc.h"
#include "text/detect.h"
#include "text/detect_words.h"
#include "text/normalize.h"

#include <utf8proc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cg__normalizer *nz;

/* Well-formed UTF-8 by utf8proc (no overlongs, surrogates or code points past U+10FFFF). */
static int valid_utf8(const uint8_t *s, size_t n)
{
    utf8proc_int32_t cp;

    for (size_t i = 0; i < n;) {
        utf8proc_ssize_t l =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (l <= 0)
            return 0;
        i += (size_t)l;
    }
    return 1;
}

static void check_span(const uint8_t *data, size_t size, int utf8, uint32_t s, uint32_t e)
{
    if (!(s < e && e <= size))
        __builtin_trap();
    if (utf8 && ((data[s] & 0xC0) == 0x80 || (e < size && (data[e] & 0xC0) == 0x80)))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cg__normalized nm = {0};
    cg__pii_hits h = {0};
    cg__age_signals a = {0};
    cg_error err = {0};
    int utf8;
    size_t n1;

    if (nz == NULL) {
        const char *paths[2] = {CG_SOURCE_DATA_DIR "/text/teencode-vi.tsv",
                                CG_SOURCE_DATA_DIR "/text/teencode-en.tsv"};

        if (cg__normalizer_open_files(paths, 2, NULL, NULL, &nz, &err) != CG_OK)
            __builtin_trap();
    }
    if (cg__normalize(nz, text, size, CG__UTF8_REPLACE, 0, &nm, &err) != CG_OK)
        goto out; /* too long: the detectors never see it */
    utf8 = valid_utf8(data, size);

    if (cg__pii_scan(text, size, &nm, &h, &err) != CG_OK)
        __builtin_trap();
    for (size_t i = 0; i < h.n; i++) {
        check_span(data, size, utf8, h.v[i].start, h.v[i].end);
        if (h.v[i].facet < CG_FACET_PHONE || h.v[i].facet > CG_FACET_CODE ||
            !(h.v[i].weight > 0.0f && h.v[i].weight <= 1.0f))
            __builtin_trap();
    }
    n1 = h.n;
    if (cg__pii_scan(text, size, &nm, &h, &err) != CG_OK || h.n != 2 * n1)
        __builtin_trap();

    if (cg__age_scan_year(text, size, &nm, 2025, &a, &err) != CG_OK)
        __builtin_trap();
    for (size_t i = 0; i < a.n; i++) {
        const cg__age_signal *g = &a.v[i];

        check_span(data, size, utf8, g->start, g->end);
        if (g->kind == CG__AGE_ASKED ? (g->min_age != 0 || g->max_age != 0)
                                     : (g->kind != CG__AGE_STATED || g->min_age <= 0 ||
                                        g->min_age > g->max_age || g->max_age > 26))
            __builtin_trap();
    }
    n1 = a.n;
    if (cg__age_scan_year(text, size, &nm, 2025, &a, &err) != CG_OK || a.n != 2 * n1)
        __builtin_trap();
    {
        cg__word stack[64], *w = NULL;
        size_t nw = 0;
        cg__pii_hits d = {0};

        if (cg__words_split(&nm.plain, text, size, stack, 64, &w, &nw) != CG_OK)
            __builtin_trap();
        if (cg__demand_scan(text, size, w, nw, &d) != 0 || d.n > 1)
            __builtin_trap();
        for (size_t i = 0; i < d.n; i++) {
            check_span(data, size, utf8, d.v[i].start, d.v[i].end);
            if (d.v[i].facet != CG_FACET_BULLY_THREAT ||
                !(d.v[i].weight > 0.0f && d.v[i].weight <= 1.0f))
                __builtin_trap();
        }
        cg__pii_hits_free(&d);
        /* Every part read (a writer with a demand pending): the parts stay in range (round 8's
         * countdown and value included), at most one hit, and the carry and countdown rules
         * give a facet and weight they define. */
        {
            unsigned parts = 0;
            cg_facet f = CG_FACET_NONE;
            float wt = 0.0f;

            cg__pii_hits e = {0};
            if (cg__demand_scan_parts(text, size, w, nw, 1, &e, &parts) != 0 || e.n > 1 ||
                parts >= 512u)
                __builtin_trap();
            cg__pii_hits_free(&e);
            if (cg__demand_carry(parts & ~CG__DEM_DONE, parts, 1, &f, &wt) &&
                !(f == CG_FACET_DEMAND && wt > 0.0f && wt <= 1.0f))
                __builtin_trap();
            if (cg__demand_countdown(parts, parts, 1, &wt) && !(wt > 0.0f && wt <= 1.0f))
                __builtin_trap();
        }
        if (w != stack)
            cg__free(w);
    }
    /* The clock's year may differ: only the status is known. */
    {
        cg__age_signals now = {0};

        if (cg__age_scan(text, size, &nm, &now, &err) != CG_OK)
            __builtin_trap();
        cg__age_signals_free(&now);
    }

    /* The first allocation of a fresh scan fails (its output array): NOMEM, output untouched. */
    {
        cg__pii_hits h2 = {0};
        cg__age_signals a2 = {0};
        cg_status s1, s2;

        cg__alloc_fail_at(1);
        s1 = cg__pii_scan(text, size, &nm, &h2, &err);
        s2 = cg__age_scan_year(text, size, &nm, 2025, &a2, &err);
        cg__alloc_fail_at(0);
        if ((s1 != CG_OK && s1 != CG_E_NOMEM) || (s2 != CG_OK && s2 != CG_E_NOMEM) ||
            (s1 == CG_OK && h.n != 0) || (s2 == CG_OK && a.n != 0) || h2.n != 0 || a2.n != 0)
            __builtin_trap();
        cg__pii_hits_free(&h2);
        cg__age_signals_free(&a2);
    }
out:
    cg__pii_hits_free(&h);
    cg__age_signals_free(&a);
    cg__normalized_free(&nm);
    return 0;
}
