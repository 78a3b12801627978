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
    while (i < f->n) {
        size_t a, s0 = 0, e0 = 0;

        while (i < f->n && f->s[i] == ' ')
            i++;
        if (i >= f->n)
            break;
        a = i;
        while (i < f->n && f->s[i] != ' ')
            i++;
        cg__textform_span(f, a, i, &s0, &e0);
        if (e0 > len)
            e0 = len;
        while (e0 > s0 + 1 && closing_punct(t[e0 - 1]))
            e0--;
        if (s0 >= e0 || *nw >= count)
            continue;
        (*w)[*nw] = (cg__word){f->s + a, (uint32_t)(i - a), (uint32_t)s0, (uint32_t)e0};
        (*nw)++;
    }
    return CG_OK;
}
