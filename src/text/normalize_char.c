/* The character stage of the normaliser: one character cluster (a base and the combining marks
 * after it) to folded units.
 *
 * Folding is NFKC with Unicode case folding (utf8proc), plus a small map of look-alike letters of
 * other scripts to the Latin letter they imitate. It is done per cluster rather than over the
 * whole message so that every unit keeps the original offset of its cluster: composition only
 * ever joins a base with its own marks, so nothing is lost by cutting the text there (except the
 * composition of conjoining Hangul jamo written as separate letters, which stays decomposed).
 *
 * Most characters of chat text are ASCII or precomposed Latin/Vietnamese letters, so the result
 * for every lone code point below U+2000 is computed once, with utf8proc itself, into a table;
 * the word stage uses the table and calls utf8proc only for clusters that carry marks or for
 * characters outside the table. */
#include <assert.h>
#include <string.h>
#include <threads.h>
#include <utf8proc.h>

#include "text/normalize_int.h"

/* Cyrillic, Greek and Latin-extension letters (after case folding) that look like a Latin
 * letter, mapped to it. Only lowercase is needed: case folding runs first. Uppercase-only
 * look-alikes (Cyrillic В Н М Т К) are included through their lowercase forms. */
static int32_t homoglyph(int32_t cp)
{
    if (cp < 0x0131)
        return cp;
    switch (cp) {
    case 0x0131: return 'i'; /* dotless i */
    case 0x0251: return 'a'; /* Latin alpha */
    case 0x0261: return 'g'; /* script g */
    case 0x03B1: return 'a'; /* Greek alpha */
    case 0x03B5: return 'e'; /* epsilon */
    case 0x03B9: return 'i'; /* iota */
    case 0x03BA: return 'k'; /* kappa */
    case 0x03BD: return 'v'; /* nu */
    case 0x03BF: return 'o'; /* omicron */
    case 0x03C1: return 'p'; /* rho */
    case 0x03C4: return 't'; /* tau */
    case 0x03C5: return 'u'; /* upsilon */
    case 0x03C7: return 'x'; /* chi */
    case 0x0430: return 'a';
    case 0x0432: return 'b'; /* В */
    case 0x0435: return 'e';
    case 0x043A: return 'k';
    case 0x043C: return 'm'; /* М */
    case 0x043D: return 'h'; /* Н */
    case 0x043E: return 'o';
    case 0x0440: return 'p';
    case 0x0441: return 'c';
    case 0x0442: return 't'; /* Т */
    case 0x0443: return 'y';
    case 0x0445: return 'x';
    case 0x0455: return 's'; /* dze */
    case 0x0456: return 'i'; /* Ukrainian i */
    case 0x0458: return 'j'; /* je */
    case 0x04AF: return 'y'; /* straight u */
    case 0x04BB: return 'h'; /* shha */
    case 0x04CF: return 'l'; /* palochka */
    case 0x0501: return 'd'; /* komi de */
    case 0x051B: return 'q'; /* qa */
    case 0x051D: return 'w'; /* we */
    default: return cp;
    }
}

static int is_mark_cat(utf8proc_category_t c)
{
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

int cg__nchar_is_mark_wide(int32_t cp)
{
    return is_mark_cat(utf8proc_category(cp));
}

static uint8_t ascii_class(uint32_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return CG__NC_LETTER;
    if (c >= '0' && c <= '9')
        return CG__NC_DIGIT;
    switch (c) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
        return CG__NC_WS;
    case '.': case '-': case '_': case '*': case '/':
        return CG__NC_JOIN;
    case '\'':
        return CG__NC_APOS;
    case '@':
        return CG__NC_AT;
    case '$':
        return CG__NC_DOLLAR;
    default:
        return CG__NC_SEP;
    }
}

/* The class of a folded base code point (not a mark). */
static uint8_t base_class(int32_t cp)
{
    if (cp < 0x80)
        return ascii_class((uint32_t)cp);
    if (cp == 0x2019)
        return CG__NC_APOS;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return CG__NC_LETTER;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        return CG__NC_WS;
    case UTF8PROC_CATEGORY_CF:
        return CG__NC_DROP;
    default:
        return CG__NC_SEP;
    }
}

/* A folded base without its diacritics: canonical decomposition with the marks stripped, and
 * đ -> d, which Unicode does not decompose. Only for the table's range (Latin, Greek, Cyrillic,
 * Vietnamese); other scripts keep their letters (stripping Hangul would split syllables). */
static uint32_t strip_marks(int32_t cp)
{
    utf8proc_int32_t buf[8];
    int bc = 0;
    utf8proc_ssize_t r;

    if (cp < 0x80 || cp >= CG__NCHAR_TABLE)
        return (uint32_t)cp;
    if (cp == 0x0111 || cp == 0x0110)
        return 'd';
    r = utf8proc_decompose_char(cp, buf, 8, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK, &bc);
    if (r == 1)
        return (uint32_t)buf[0];
    return (uint32_t)cp;
}

static uint32_t plain_of(const cg__nchar *tab, int32_t cp)
{
    if (cp < 0x80)
        return (uint32_t)cp;
    if (cp < CG__NCHAR_TABLE && tab != NULL)
        return tab[cp].strip;
    return strip_marks(cp);
}

/* Stable insertion sort of each run of non-starters by combining class (canonical order). */
static void canonical_order(utf8proc_int32_t *b, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const utf8proc_int32_t c = b[i];
        const int cc = utf8proc_get_property(c)->combining_class;
        size_t j = i;

        if (cc == 0)
            continue;
        while (j > 0) {
            const int pc = utf8proc_get_property(b[j - 1])->combining_class;

            if (pc <= cc) /* a starter (0) stops the run */
                break;
            b[j] = b[j - 1];
            j--;
        }
        b[j] = c;
    }
}

size_t cg__nchar_fold_cluster(const cg__nchar *tab, const int32_t *cps, size_t n, uint32_t src,
                              cg__nunit *u, uint8_t *pool, size_t *pool_len)
{
    enum { BUFMAX = CG__NCLUSTER_MAX_UNITS + CG__NCLUSTER_MAX_CPS };
    utf8proc_int32_t buf[BUFMAX];
    uint8_t bytes[CG__NUNIT_MAX_BYTES];
    size_t nb = 0, nu = 0, blen = 0;
    utf8proc_ssize_t r;
    int bc = 0, open = 0;

    for (size_t k = 0; k < n; k++) {
        r = utf8proc_decompose_char(cps[k], buf + nb, (utf8proc_ssize_t)(BUFMAX - nb),
                                    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                        UTF8PROC_IGNORE,
                                    &bc);
        if (r < 0 || (size_t)r > BUFMAX - nb)
            continue; /* cannot happen for valid scalars within the cap; drop it */
        for (size_t j = nb; j < nb + (size_t)r; j++)
            buf[j] = homoglyph(buf[j]);
        nb += (size_t)r;
    }
    canonical_order(buf, nb);
    r = utf8proc_normalize_utf32(buf, (utf8proc_ssize_t)nb, UTF8PROC_COMPOSE);
    nb = r < 0 ? 0 : (size_t)r;

    /* Units: a base and the marks after it. Marks with no base are dropped. */
    for (size_t j = 0; j <= nb; j++) {
        const int32_t cp = j < nb ? buf[j] : 0;
        const int mark = j < nb && cg__nchar_is_mark(tab, cp);

        if (j < nb && mark) {
            if (open && blen + 4 <= CG__NUNIT_MAX_BYTES)
                blen += cg__utf8_put(bytes + blen, (uint32_t)cp);
            continue;
        }
        if (open) { /* close the unit being built */
            cg__nunit *x = &u[nu - 1];

            x->len = (uint8_t)blen;
            if (blen <= 4) {
                memcpy(x->f.b, bytes, blen);
                x->simple = cg__nunit_simple(x);
            } else {
                x->f.off = (uint32_t)*pool_len;
                memcpy(pool + *pool_len, bytes, blen);
                *pool_len += blen;
            }
            open = 0;
        }
        if (j == nb || nu == CG__NCLUSTER_MAX_UNITS)
            break;
        {
            const uint8_t cls = base_class(cp);
            cg__nunit *x;

            if (cls == CG__NC_DROP)
                continue;
            x = &u[nu++];
            memset(x, 0, sizeof(*x));
            x->src = src;
            x->cls = cls;
            x->pcp = plain_of(tab, cp);
            blen = cg__utf8_put(bytes, (uint32_t)cp);
            open = 1;
        }
    }
    return nu;
}

/* ---- the table ---- */

static cg__nchar table[CG__NCHAR_TABLE];
static cg__nascii ascii;
static once_flag table_once = ONCE_FLAG_INIT;

static void table_build(void)
{
    /* strip first: plain_of reads it for the folded code points. */
    for (int32_t cp = 0; cp < CG__NCHAR_TABLE; cp++) {
        table[cp].strip = strip_marks(cp);
        if (cp >= 0x80 && is_mark_cat(utf8proc_category(cp)))
            table[cp].flags |= CG__NCF_MARK;
    }
    for (int32_t cp = 0; cp < CG__NCHAR_TABLE; cp++) {
        cg__nchar *e = &table[cp];
        cg__nunit u[CG__NCLUSTER_MAX_UNITS];
        uint8_t pool[CG__NCLUSTER_MAX_UNITS * CG__NUNIT_MAX_BYTES];
        size_t pool_len = 0, nu;
        int32_t one = cp;
        uint8_t enc[4];

        if (cp < 0x80) {
            const int32_t lower = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;

            cg__nunit *t = &ascii.unit[cp];

            e->folded = (uint32_t)lower;
            e->plain = (uint32_t)lower;
            e->cls = ascii_class((uint32_t)cp);
            t->pcp = e->plain;
            t->f.b[0] = (uint8_t)e->folded;
            t->len = 1;
            t->cls = e->cls;
            t->simple = cg__nunit_simple(t);
            /* normalize_stream relies on it: an ASCII letter or digit is its own plain form. */
            assert(t->simple || (t->cls != CG__NC_LETTER && t->cls != CG__NC_DIGIT));
            ascii.cls_bit[cp] = (uint16_t)(1u << e->cls);
            continue;
        }
        if (e->flags & CG__NCF_MARK)
            continue;
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        nu = cg__nchar_fold_cluster(table, &one, 1, 0, u, pool, &pool_len);
        if (nu == 0) {
            e->cls = CG__NC_DROP;
        } else if (nu == 1 && u[0].len <= 4) {
            /* One unit: usable when it is one code point (no marks left on it). */
            int32_t f;
            const size_t l = cg__utf8_next(u[0].f.b, u[0].len, &f);

            if (l == u[0].len && f >= 0 && cg__utf8_put(enc, (uint32_t)f) == l) {
                e->folded = (uint32_t)f;
                e->plain = u[0].pcp;
                e->cls = u[0].cls;
            } else {
                e->flags |= CG__NCF_SLOW;
            }
        } else {
            e->flags |= CG__NCF_SLOW;
        }
    }
}

const cg__nchar *cg__nchar_table(void)
{
    call_once(&table_once, table_build);
    return table;
}

const cg__nascii *cg__nchar_ascii(void)
{
    call_once(&table_once, table_build);
    return &ascii;
}
