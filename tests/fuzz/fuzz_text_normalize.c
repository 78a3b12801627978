/* libFuzzer target for the text normaliser (src/text/normalize.h), with both shipped teencode
 * tables. The input is a message (not NUL-terminated: the normaliser must read only len bytes,
 * which ASan checks). Traps unless:
 *   - both forms are valid UTF-8 without NULs, start and end without a space and never hold two
 *     spaces in a row;
 *   - the offset maps are non-decreasing, every entry is inside the input, src[n] is its
 *     length, and every one-byte span is a non-empty range of the input;
 *   - REPLACE counts invalid sequences exactly when REJECT refuses the input (CG_E_INVAL, empty
 *     forms), and otherwise both policies give the same forms;
 *   - the forms are stable: normalising the plain (folded) form again reaches a fixpoint within
 *     two more passes; usually the first one already is (docs/text-normalize.md, "Stability",
 *     names the two exceptions);
 *   - cg__normalize_plain gives the plain form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "common/alloc.h"
#include "text/normalize.h"

#include <utf8proc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Well-formed UTF-8 by utf8proc (no overlongs, surrogates or code points past U+10FFFF) and no NUL. */
static int valid_utf8(const char *s, size_t n)
{
    utf8proc_int32_t cp;

    for (size_t i = 0; i < n;) {
        utf8proc_ssize_t l =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (l <= 0 || cp == 0)
            return 0;
        i += (size_t)l;
    }
    return 1;
}

static void check_form(const cg__textform *f, size_t len)
{
    if (f->s == NULL || f->src == NULL || strlen(f->s) != f->n || !valid_utf8(f->s, f->n) ||
        f->src[f->n] != len)
        __builtin_trap();
    if (f->n > 0 && (f->s[0] == ' ' || f->s[f->n - 1] == ' '))
        __builtin_trap();
    for (size_t i = 0; i < f->n; i++) {
        size_t a, b;

        if (f->src[i] >= len || (i > 0 && f->src[i - 1] > f->src[i]))
            __builtin_trap();
        if (f->s[i] == ' ' && f->s[i + 1] == ' ')
            __builtin_trap();
        cg__textform_span(f, i, i + 1, &a, &b);
        if (a != f->src[i] || b <= a || b > len)
            __builtin_trap();
    }
}

static int same_forms(const cg__normalized *a, const cg__normalized *b)
{
    return a->folded.n == b->folded.n && a->plain.n == b->plain.n &&
           memcmp(a->folded.s, b->folded.s, a->folded.n) == 0 &&
           memcmp(a->plain.s, b->plain.s, a->plain.n) == 0 &&
           memcmp(a->folded.src, b->folded.src, (a->folded.n + 1) * sizeof(uint32_t)) == 0 &&
           memcmp(a->plain.src, b->plain.src, (a->plain.n + 1) * sizeof(uint32_t)) == 0;
}

static cg__normalizer *nz;
static cg__normalized r1, r2;

/* Whether normalising form f again reaches a fixpoint within two more passes (see
 * docs/text-normalize.md, "Stability": each exception adds at most one pass). */
static int stable(const cg__textform *f, int plain)
{
    cg_error err;
    const cg__textform *cur = f;
    static cg__normalized pass[3];

    for (int k = 0; k < 3; k++) {
        const cg__textform *g;

        if (cg__normalize(nz, cur->s, cur->n, CG__UTF8_REJECT, 0, &pass[k], &err) != CG_OK)
            return 0;
        g = plain ? &pass[k].plain : &pass[k].folded;
        if (g->n == cur->n && memcmp(g->s, cur->s, cur->n) == 0)
            return 1;
        if (k == 2)
            return 0;
        cur = g;
    }
    return 0;
}

static void open_once(void)
{
    const char *paths[2] = {CG_SOURCE_DATA_DIR "/text/teencode-vi.tsv",
                            CG_SOURCE_DATA_DIR "/text/teencode-en.tsv"};
    cg_error err;

    if (nz == NULL && cg__normalizer_open_files(paths, 2, NULL, NULL, &nz, &err) != CG_OK)
        abort(); /* the shipped tables must load */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan catches reads past the end. */
    char *text = malloc(size > 0 ? size : 1);
    cg_error err;
    cg_status st;
    char *plain = NULL;
    size_t plain_len = 0;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    open_once();

    if (cg__normalize(nz, text, size, CG__UTF8_REPLACE, 0, &r1, &err) != CG_OK)
        __builtin_trap();
    check_form(&r1.folded, size);
    check_form(&r1.plain, size);

    st = cg__normalize(nz, text, size, CG__UTF8_REJECT, 0, &r2, &err);
    if (r1.invalid == 0) {
        if (st != CG_OK || r2.invalid != 0 || !same_forms(&r1, &r2))
            __builtin_trap();
    } else if (st != CG_E_INVAL || r2.folded.n != 0 || r2.plain.n != 0 || r2.invalid != 1) {
        __builtin_trap();
    }

    /* Stability: a form normalised again reaches a fixpoint within two more passes (the first
     * pass can leave single letters that punctuation kept apart, which the second joins; and a
     * combining mark on a digit can keep a leet letter from folding until the mark is gone). */
    if (!stable(&r1.plain, 1) || !stable(&r1.folded, 0))
        __builtin_trap();

    if (size > 0 && cg__normalize_plain(nz, text, size, &plain, &plain_len, &err) == CG_OK) {
        if (plain_len != r1.plain.n || memcmp(plain, r1.plain.s, plain_len) != 0)
            __builtin_trap();
        cg__free(plain);
    }

    /* The limit: one byte less than the input is refused. */
    if (size > 1 && cg__normalize(nz, text, size, CG__UTF8_REPLACE, size - 1, &r2, &err) !=
                        CG_E_LIMIT)
        __builtin_trap();
    free(text);
    return 0;
}
