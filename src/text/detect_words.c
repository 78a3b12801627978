/* The detectors' word splitter (detect_words.h). */
#include "text/detect_words.h"

#include "common/alloc.h"

/* Punctuation that may follow the last word of a message. */
static int closing_punct(char c)
{
    switch (c) {
    case '.': case ',': case ';': case ':': case '!': case '?': case ')': case ']': case '}':
    case '"': case '\'': case '~': case '*': case '_': case ' ': case '\t': case '\r': case '\n':
        return 1;
    default:
        return 0;
    }
}

cg_status cg__words_split(const cg__textform *f, const char *t, size_t len, cg__word *stack,
                          size_t stack_n, cg__word **w, size_t *nw)
{
    /* Words are separated by one space: at most (n + 1) / 2 of them. */
    const size_t count = f->s != NULL ? (f->n + 1) / 2 : 0;
    size_t i = 0;

    *w = stack;
    *nw = 0;
    if (count == 0)
        return CG_OK;
    if (count > stack_n) {
        *w = cg__malloc_array(count, sizeof(cg__word));
        if (*w == NULL) {
            *w = stack;
            return CG_E_NOMEM;
        }
    }
    if (f->src == NULL) /* no offsets: every range would be empty */
        return CG_OK;
    /* Locals rather than *w and *nw, and cg__textform_span's work written out (a word ends
     * where the next byte maps to a larger offset): it ran once for every word. */
    const char *s = f->s;
    const uint32_t *src = f->src;
    const size_t n = f->n;
    cg__word *out = *w;
    size_t k = 0;
    while (i < n) {
        size_t a, j;
        uint32_t s0, e0, last;

        while (i < n && s[i] == ' ')
            i++;
        if (i >= n)
            break;
        a = i;
        while (i < n && s[i] != ' ')
            i++;
        s0 = src[a];
        last = src[i - 1];
        for (j = i; j < n && src[j] <= last; j++)
            ;
        e0 = j == n && f->last_end > last ? f->last_end : src[j];
        if (e0 > len)
            e0 = (uint32_t)len;
        while (e0 > s0 + 1 && closing_punct(t[e0 - 1]))
            e0--;
        if (s0 >= e0 || k >= count)
            continue;
        out[k++] = (cg__word){s + a, (uint32_t)(i - a), s0, e0};
    }
    *nw = k;
    return CG_OK;
}
