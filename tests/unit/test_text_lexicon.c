/* Cue lexicons (src/text/lexicon.h) and the shipped files in data/lexicons: every file loads
 * cleanly, every cue finds its own example (the "ex: ..." of its note column), Vietnamese
 * spelling variants (with and without diacritics, teencode, spaced letters) meet the same cue,
 * spans point at the right bytes of the original, a synthetic benign chat corpus raises no
 * high-weight grooming or sextortion cue, bad rows are reported with their line while the rest
 * loads, and every allocation failure is handled.
 *
 * All chat text here is synthetic, written for these tests. */
#include "cg_test.h"

#include <pthread.h>
#include <regex.h>

#include "childguard.h"
#include "common/alloc.h"
#include "text/lexicon.h"
#include "text/normalize.h"

#define LEX_DIR CG_SOURCE_DATA_DIR "/lexicons/"
#define TEENCODE CG_SOURCE_DATA_DIR "/text/teencode-vi.tsv"

static const char *const shipped[] = {
    LEX_DIR "grooming.tsv",   LEX_DIR "sexual_solicitation.tsv", LEX_DIR "sextortion.tsv",
    LEX_DIR "bullying.tsv",   LEX_DIR "self_harm.tsv",
};
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

/* ---- fixtures ----------------------------------------------------------------------------- */

typedef struct bad_rows {
    int n;
    uint64_t lines[64];
    char last[256];
} bad_rows;

static void on_bad(const char *path, uint64_t line, const char *reason, void *ud)
{
    bad_rows *b = ud;

    if (b->n < 64)
        b->lines[b->n] = line;
    b->n++;
    snprintf(b->last, sizeof b->last, "%s", reason);
    printf("bad row %s:%llu: %s\n", path, (unsigned long long)line, reason);
}


static cg__normalizer *open_nz(void)
{
    cg__normalizer *nz = NULL;
    cg_error err = {0};

    /* The Vietnamese teencode table ships (data/text/teencode-vi.tsv): a missing one fails. */
    CG_ASSERT_OK(cg__normalizer_open(TEENCODE, NULL, NULL, &nz, &err), &err);
    return nz;
}

typedef struct fixture {
    cg__normalizer *nz;
    cg__lexicon *lx;
    cg__lexicon_scratch *scratch;
    cg__normalized nm;
    cg__cue_hits hits;
} fixture;

static void fixture_open(fixture *f)
{
    cg_error err = {0};
    bad_rows bad = {0};

    memset(f, 0, sizeof *f);
    f->nz = open_nz();
    CG_ASSERT_OK(cg__lexicon_load(f->nz, shipped, NSHIPPED, on_bad, &bad, NULL, &f->lx, &err),
                 &err);
    CG_ASSERT_EQ(bad.n, 0);
    CG_ASSERT_OK(cg__lexicon_scratch_new(f->lx, &f->scratch, &err), &err);
}

static void fixture_close(fixture *f)
{
    cg__cue_hits_free(&f->hits);
    cg__normalized_free(&f->nm);
    cg__lexicon_scratch_free(f->scratch);
    cg__lexicon_free(f->lx);
    cg__normalizer_free(f->nz);
}

/* Normalises and scans text; the hits replace the previous ones. */
static void scan(fixture *f, const char *text)
{
    cg_error err = {0};

    f->hits.n = 0;
    CG_ASSERT_OK(cg__normalize(f->nz, text, strlen(text), CG__UTF8_REPLACE, 0, &f->nm, &err),
                 &err);
    CG_ASSERT_OK(cg__lexicon_scan(f->lx, f->scratch, &f->nm, &f->hits, &err), &err);
}

/* The hit of the cue with this id, or NULL. */
static const cg__cue_hit *find_hit(const fixture *f, const char *id)
{
    for (size_t i = 0; i < f->hits.n; i++)
        if (strcmp(cg__lexicon_cue(f->lx, f->hits.v[i].cue)->id, id) == 0)
            return &f->hits.v[i];
    return NULL;
}

static void print_hits(const fixture *f, const char *text)
{
    for (size_t i = 0; i < f->hits.n; i++) {
        const cg__cue_hit *h = &f->hits.v[i];
        const cg__cue *c = cg__lexicon_cue(f->lx, h->cue);

        printf("  %-28s %.2f \"%.*s\"\n", c->id, c->weight, (int)(h->end - h->start),
               text + h->start);
    }
}

static void expect_cue(fixture *f, const char *text, const char *id)
{
    scan(f, text);
    if (find_hit(f, id) == NULL) {
        printf("plain form: \"%s\"\n", f->nm.plain.s);
        print_hits(f, text);
        cg_test_fail(__FILE__, __LINE__, "\"%s\" does not raise %s", text, id);
    }
}

/* Writes text to a file in this case's temporary directory and returns its path. */
static const char *write_tmp(const char *name, const char *text)
{
    static char path[1024];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", cg_test_tmpdir(), name);
    fp = fopen(path, "w");
    CG_ASSERT(fp != NULL);
    CG_ASSERT_EQ(fwrite(text, 1, strlen(text), fp), strlen(text));
    CG_ASSERT_EQ(fclose(fp), 0);
    return path;
}

/* ---- the shipped files -------------------------------------------------------------------- */

CG_TEST(lexicon_shipped_files_load_clean)
{
    cg__normalizer *nz = open_nz();
    int per[CG_HARM_COUNT][2] = {{0}};

    for (size_t i = 0; i < NSHIPPED; i++) {
        cg__lexicon *lx = NULL;
        cg_error err = {0};
        bad_rows bad = {0};
        int vi = 0, en = 0;

        CG_ASSERT_OK(cg__lexicon_load(nz, &shipped[i], 1, on_bad, &bad, NULL, &lx, &err), &err);
        CG_ASSERT_EQ(bad.n, 0);
        for (uint32_t k = 0; k < cg__lexicon_count(lx); k++) {
            const cg__cue *c = cg__lexicon_cue(lx, k);

            CG_ASSERT(c->weight > 0.0f && c->weight <= 1.0f);
            CG_ASSERT(c->facet == CG_FACET_NONE || cg_facet_harm(c->facet) == (int)c->harm);
            CG_ASSERT(strstr(c->file, shipped[i]) != NULL);
            CG_ASSERT_GT(c->line, 0);
            vi += strcmp(c->lang, "vi") == 0;
            en += strcmp(c->lang, "en") == 0;
            per[c->harm][0] += strcmp(c->lang, "vi") == 0;
            per[c->harm][1] += strcmp(c->lang, "en") == 0;
        }
        printf("%s: %zu cues (vi %d, en %d)\n", shipped[i], cg__lexicon_count(lx), vi, en);
        CG_ASSERT_GT(vi, 0);
        CG_ASSERT_GT(en, 0);
        CG_ASSERT(cg__lexicon_cue(lx, (uint32_t)cg__lexicon_count(lx)) == NULL);
        cg__lexicon_free(lx);
    }
    for (int h = 0; h < CG_HARM_COUNT; h++)
        printf("%-20s vi %3d en %3d\n", cg_text_harm_name((cg_harm)h), per[h][0], per[h][1]);
    CG_ASSERT_GE(per[CG_HARM_GROOMING][0] + per[CG_HARM_SEXTORTION][0] + per[CG_HARM_BULLYING][0] +
                     per[CG_HARM_SELF_HARM_RISK][0] + per[CG_HARM_SEXUAL_SOLICITATION][0],
                 60);
    CG_ASSERT_GE(per[CG_HARM_GROOMING][1] + per[CG_HARM_SEXTORTION][1] + per[CG_HARM_BULLYING][1] +
                     per[CG_HARM_SELF_HARM_RISK][1] + per[CG_HARM_SEXUAL_SOLICITATION][1],
                 60);
    cg__normalizer_free(nz);
}

CG_TEST(lexicon_every_cue_finds_its_example)
{
    fixture f;
    int missing = 0;

    fixture_open(&f);
    for (uint32_t k = 0; k < cg__lexicon_count(f.lx); k++) {
        const cg__cue *c = cg__lexicon_cue(f.lx, k);
        const char *ex = strstr(c->note, "ex: ");
        const cg__cue_hit *h;

        if (ex == NULL) {
            printf("%s (%s:%llu): no \"ex: \" in its note\n", c->id, c->file,
                   (unsigned long long)c->line);
            missing++;
            continue;
        }
        ex += 4;
        scan(&f, ex);
        h = find_hit(&f, c->id);
        if (h == NULL) {
            printf("%s: pattern \"%s\" misses its example \"%s\" (plain \"%s\")\n", c->id,
                   c->pattern, ex, f.nm.plain.s);
            missing++;
            continue;
        }
        CG_ASSERT_LT(h->start, h->end);
        CG_ASSERT_LE(h->end, strlen(ex));
    }
    CG_ASSERT_EQ(missing, 0);
    fixture_close(&f);
}

/* ---- spelling variants -------------------------------------------------------------------- */

typedef struct variant {
    const char *text;
    const char *id;
} variant;

/* Variants that need no teencode table: case, diacritics, spacing, punctuation, leetspeak. */
static const variant variants_plain[] = {
    {"không ai chơi với mày", "bl.exc.no_one_plays.vi"},
    {"khong ai choi voi may", "bl.exc.no_one_plays.vi"},
    {"KHÔNG AI CHƠI VỚI MÀY!!!", "bl.exc.no_one_plays.vi"},
    {"đừng nói với ai", "gr.excl.donttell.vi"},
    {"dung noi voi ai", "gr.excl.donttell.vi"},
    {"Đừng... nói với AI nhé", "gr.excl.donttell.vi"},
    {"xoá tin nhắn đi", "gr.risk.delete.vi"},   /* the tone mark on the other vowel */
    {"xóa tin nhắn đi", "gr.risk.delete.vi"},
    {"xoa tin nhan di", "gr.risk.delete.vi"},
    {"bí mật của hai đứa mình nha", "gr.excl.secret.vi"},
    {"bi mat cua hai dua minh nha", "gr.excl.secret.vi"},
    {"em muốn chết", "sh.desp.want_die.vi"},
    {"em muon chet", "sh.desp.want_die.vi"},
    {"tao sẽ gửi cho bố mẹ mày", "sx.threat.family.vi"},
    {"tao se gui cho bo me may", "sx.threat.family.vi"},
    {"g ử i  ả n h cho anh", "sol.req.send_pic.vi"},
    {"s e n d  p i c", "sol.req.send_pic.en"},
    {"s.e.n.d n.u.d.e.s", "sol.req.nudes.en"},
    {"s3nd nud3s", "sol.req.nudes.en"},
    {"ARE YOU ALONE???", "gr.risk.alone.en"},
    {"areeee youuu aloneee", "gr.risk.alone.en"},
    {"dont tell anyone", "gr.excl.donttell.en"},
    {"don't tell anyone", "gr.excl.donttell.en"},
    {"don’t tell anyone", "gr.excl.donttell.en"}, /* a typographic apostrophe */
    {"go k1ll yourself", "bl.inc.kill_yourself.en"},
    {"đi chết điiii", "bl.inc.go_die.vi"},
};

/* Variants that need the Vietnamese teencode table (data/text/teencode-vi.tsv). */
static const variant variants_teencode[] = {
    {"ko ai choi vs may", "bl.exc.no_one_plays.vi"},
    {"k ai chơi vs mày", "bl.exc.no_one_plays.vi"},
    {"đừg nói vs ai", "gr.excl.donttell.vi"},
    {"đừng nói vs ai nha", "gr.excl.donttell.vi"},
    {"bố mẹ e có nhà ko", "gr.risk.parents_home.vi"},
    {"e ko mún sống nữa", "sh.desp.dont_want_live.vi"},
    {"ko thì tao tung ảnh", "sx.threat.or_else.vi"},
    {"e làm ny a nhé", "gr.rel.lover.vi"},
};

CG_TEST(lexicon_vietnamese_variants_meet)
{
    fixture f;

    int missed = 0;

    fixture_open(&f);
    for (size_t i = 0; i < sizeof variants_plain / sizeof variants_plain[0]; i++) {
        scan(&f, variants_plain[i].text);
        if (find_hit(&f, variants_plain[i].id) == NULL) {
            printf("\"%s\" (plain \"%s\") does not raise %s\n", variants_plain[i].text,
                   f.nm.plain.s, variants_plain[i].id);
            missed++;
        }
    }
    CG_ASSERT_EQ(missed, 0);
    fixture_close(&f);
}

CG_TEST(lexicon_teencode_variants_meet)
{
    fixture f;
    int missed = 0;

    fixture_open(&f);
    for (size_t i = 0; i < sizeof variants_teencode / sizeof variants_teencode[0]; i++) {
        scan(&f, variants_teencode[i].text);
        if (find_hit(&f, variants_teencode[i].id) == NULL) {
            printf("\"%s\" (plain \"%s\") does not raise %s\n", variants_teencode[i].text,
                   f.nm.plain.s, variants_teencode[i].id);
            missed++;
        }
    }
    CG_ASSERT_EQ(missed, 0);
    fixture_close(&f);
}

/* ---- matching semantics and spans --------------------------------------------------------- */

typedef struct span_case {
    const char *text;
    const char *id;
    const char *highlight; /* the exact bytes of text the hit must cover */
} span_case;

static const span_case spans[] = {
    {"hey!! Are you ALONE right now?", "gr.risk.alone.en", "Are you ALONE"},
    {"Ừ, bố mẹ em có nhà không?", "gr.risk.parents_home.vi", "bố mẹ em có nhà không"},
    {"ok... Đừng nói với ai nhé!", "gr.excl.donttell.vi", "Đừng nói với ai"},
    {"lol s e n d  p i c  pls", "sol.req.send_pic.en", "s e n d  p i c"},
    {"go kill yourself, loser", "bl.inc.kill_yourself.en", "kill yourself"},
    /* A gap: the nearest start is highlighted, not the first "send". */
    {"send send me a pic", "sol.req.send_pic.en", "send me a pic"},
    /* An apostrophe inside the span ("don't" is "dont" once normalised). */
    {"Your parents don't understand you.", "gr.rel.parents_dont.en",
     "parents don't understand you"},
    {"tao sẽ gửi hết cho bố mẹ mày xem", "sx.threat.family.vi", "sẽ gửi hết cho bố mẹ mày"},
};

CG_TEST(lexicon_spans_point_at_the_original)
{
    fixture f;

    fixture_open(&f);
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
        const span_case *sc = &spans[i];
        const char *at = strstr(sc->text, sc->highlight);
        const cg__cue_hit *h;

        CG_ASSERT(at != NULL);
        expect_cue(&f, sc->text, sc->id);
        h = find_hit(&f, sc->id);
        if (h->start != (uint32_t)(at - sc->text) ||
            h->end != (uint32_t)(at - sc->text + strlen(sc->highlight)))
            cg_test_fail(__FILE__, __LINE__, "%s in \"%s\": got [%u, %u) \"%.*s\", want \"%s\"",
                         sc->id, sc->text, h->start, h->end, (int)(h->end - h->start),
                         sc->text + h->start, sc->highlight);
    }
    fixture_close(&f);
}

CG_TEST(lexicon_whole_words_and_once_per_message)
{
    fixture f;
    int n = 0;

    fixture_open(&f);
    /* Whole words only: "kys" inside another word, "alone" as part of "alonely". */
    scan(&f, "skysail and the skyscraper");
    CG_ASSERT(find_hit(&f, "bl.inc.kys.en") == NULL);
    scan(&f, "are you alonely");
    CG_ASSERT(find_hit(&f, "gr.risk.alone.en") == NULL);
    /* A match that fails the boundary check does not hide a later good one. */
    scan(&f, "skys kys");
    CG_ASSERT(find_hit(&f, "bl.inc.kys.en") != NULL);
    CG_ASSERT_EQ(find_hit(&f, "bl.inc.kys.en")->start, 5);
    scan(&f, "bare you alonely, are you alone");
    CG_ASSERT(find_hit(&f, "gr.risk.alone.en") != NULL);
    CG_ASSERT_EQ(find_hit(&f, "gr.risk.alone.en")->start, 18);
    /* The gap is at most three words. */
    scan(&f, "are you one two three four alone");
    CG_ASSERT(find_hit(&f, "gr.risk.alone.en") == NULL);
    scan(&f, "are you one two three alone");
    CG_ASSERT(find_hit(&f, "gr.risk.alone.en") != NULL);
    /* Each cue once, at its first match. */
    scan(&f, "are you alone? are you alone? ARE YOU ALONE");
    for (size_t i = 0; i < f.hits.n; i++)
        n += strcmp(cg__lexicon_cue(f.lx, f.hits.v[i].cue)->id, "gr.risk.alone.en") == 0;
    CG_ASSERT_EQ(n, 1);
    CG_ASSERT_EQ(find_hit(&f, "gr.risk.alone.en")->start, 0);
    /* Empty and punctuation-only messages scan to nothing. */
    scan(&f, "");
    CG_ASSERT_EQ(f.hits.n, 0);
    scan(&f, "?!... ---");
    CG_ASSERT_EQ(f.hits.n, 0);
    fixture_close(&f);
}

/* Cues with every kind of token: prefixes, alternatives, gaps, diacritics (also read by
 * lexicon_word_index_prefixes_and_gaps). */
static const char syntax_rows[] =
    "id\tlang\tharm\tfacet\tweight\tpattern\tnote\n"
    "t.prefix\ten\tbullying\tinsult\t0.5\tstupid*\tprefix\n"
    "t.alt\ten\tgrooming\tmeeting\t0.5\tmeet|see me ~ tonight|tomorrow\talternatives\n"
    "t.vi\tvi\tgrooming\texclusivity\t0.5\tđừng|chớ kể ~ ai\tdiacritics\n"
    "t.multi\tvi\tbullying\tnone\t0.5\tđồ|thằng ngu|ngốc\tfacet none\n"
    "t.star\t*\tself_harm_risk\tdespair\t1\tend ~ ~ life\ttwo gaps\n"
    "t.photo\tvi\tsexual_solicitation\trequest\t0.5\tgửi ~ ảnh\twriter's diacritics\n";

CG_TEST(lexicon_pattern_syntax)
{
    const char *path = write_tmp("syntax.tsv", syntax_rows);
    cg__normalizer *nz = open_nz();
    cg__lexicon *lx = NULL;
    cg__lexicon_scratch *sc = NULL;
    cg__normalized nm = {0};
    cg__cue_hits hits = {0};
    cg_error err = {0};
    bad_rows bad = {0};
    static const struct {
        const char *text;
        const char *ids; /* expected ids, space-separated, in end order */
    } cases[] = {
        {"you are stupidest", "t.prefix"},
        {"stupid", "t.prefix"},
        {"stu pid", ""},
        {"meet me tonight", "t.alt"},
        {"see me at the park tomorrow", "t.alt"},
        {"see me at the big park tomorrow", ""},
        {"chớ kể với ai", "t.vi"},
        {"Đừng KỂ cho ai", "t.vi"},
        {"thằng ngốc", "t.multi"},
        /* A Vietnamese cue word written without diacritics ("ngu", stupid) is a spelling of
         * its own: a message that typed "ngủ" (sleep) with its tone did not write it, one
         * typed without any diacritics may have. */
        {"đồ ngu", "t.multi"},
        {"do ngu", "t.multi"},
        {"mẹ mua bộ đồ ngủ mới", ""},
        {"Đồ Ngủ", ""},
        {"bo do ngu moi", "t.multi"},
        /* A word typed without diacritics in a message that has them elsewhere was typed so:
         * "anh" (you) is not "ảnh" (photo) when the writer types diacritics. */
        {"gửi ảnh đi", "t.photo"},
        {"gửi cho anh nhé", ""},
        {"gui cho anh nhe", "t.photo"},
        {"end my whole sad life", "t.star"},
        {"end my whole sad stupid life", "t.prefix t.star"},
    };

    CG_ASSERT_OK(cg__lexicon_load(nz, &path, 1, on_bad, &bad, NULL, &lx, &err), &err);
    CG_ASSERT_EQ(bad.n, 0);
    CG_ASSERT_EQ(cg__lexicon_count(lx), 6);
    CG_ASSERT_EQ(cg__lexicon_cue(lx, 3)->facet, CG_FACET_NONE);
    CG_ASSERT_STR_EQ(cg__lexicon_cue(lx, 4)->lang, "*");
    CG_ASSERT_STR_EQ(cg__lexicon_cue(lx, 1)->pattern, "meet|see me ~ tonight|tomorrow");
    CG_ASSERT_EQ(cg__lexicon_cue(lx, 1)->line, 3);
    CG_ASSERT_OK(cg__lexicon_scratch_new(lx, &sc, &err), &err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[256] = "";

        hits.n = 0;
        CG_ASSERT_OK(cg__normalize(nz, cases[i].text, strlen(cases[i].text), CG__UTF8_REPLACE,
                                   0, &nm, &err),
                     &err);
        CG_ASSERT_OK(cg__lexicon_scan(lx, sc, &nm, &hits, &err), &err);
        for (size_t k = 0; k < hits.n; k++) {
            if (k > 0)
                strcat(got, " ");
            strcat(got, cg__lexicon_cue(lx, hits.v[k].cue)->id);
        }
        if (strcmp(got, cases[i].ids) != 0)
            cg_test_fail(__FILE__, __LINE__, "\"%s\" (plain \"%s\"): got \"%s\", want \"%s\"",
                         cases[i].text, nm.plain.s, got, cases[i].ids);
    }
    cg__cue_hits_free(&hits);
    cg__normalized_free(&nm);
    cg__lexicon_scratch_free(sc);
    cg__lexicon_free(lx);
    cg__normalizer_free(nz);
}

/* ---- the word index against Vectorscan ------------------------------------------------- */

/* cg__lexicon_scan answers from its word index (lexicon_scan.c). Vectorscan runs the regexes the
 * cues compile to, and is the reference: every hit of Vectorscan is one of the scan's (same cue,
 * same span), and every hit of the scan that Vectorscan lacks is checked by a third matcher,
 * POSIX regexec over the cue's pattern as written (ere_of), anchored at the hit's span. Vectorscan
 * 5.4.9 misses a few matches (docs/text-lexicons.md), so the scan's hits are a superset. */
typedef struct agreement {
    int texts;      /* messages checked */
    int with_hits;  /* of which the scan found a cue in */
    int intended;   /* generated for a cue, and the scan found it */
    int vs_missed;  /* messages where the scan found a cue Vectorscan did not */
    int confirmed;  /* hits beyond Vectorscan's that regexec confirmed */
    int earlier;    /* of which Vectorscan reported a later match of the same cue */
} agreement;

static const cg__cue_hit *hit_of(const cg__cue_hits *h, uint32_t cue)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].cue == cue)
            return &h->v[i];
    return NULL;
}

/* Appends s (n bytes) to the ERE re (of cap bytes, length *len), the POSIX specials escaped. */
static void ere_put(char *re, size_t cap, size_t *len, const char *s, size_t n, int literal)
{
    for (size_t i = 0; i < n; i++) {
        CG_ASSERT_LT(*len + 2, cap);
        if (literal && strchr(".[\\()*+?{|^$", s[i]) != NULL)
            re[(*len)++] = '\\';
        re[(*len)++] = s[i];
    }
    re[*len] = '\0';
}

/* Appends the plain form of text (n bytes) as a literal, a prefix's rest of word after it. */
static void ere_word(const cg__normalizer *nz, char *re, size_t cap, size_t *len,
                     const char *text, size_t n, int prefix)
{
    char *plain = NULL;
    size_t pn = 0;
    cg_error err = {0};

    CG_ASSERT_OK(cg__normalize_plain(nz, text, n, &plain, &pn, &err), &err);
    ere_put(re, cap, len, plain, pn, 1);
    if (prefix)
        ere_put(re, cap, len, "[^ ]*", 5, 0);
    cg__free(plain);
}

/* The anchored POSIX ERE of a cue's pattern as the file writes it (docs/text-lexicons.md,
 * "Pattern syntax"): a run of plain words normalised together, a token with alternatives or a
 * prefix one alternative at a time, '~' up to three words. Written from the syntax, not from
 * lexicon.c's translation. */
static void ere_of(const cg__normalizer *nz, const char *p, char *re, size_t cap)
{
    size_t len = 0;
    const char *run = NULL, *run_end = NULL;
    int words = 0; /* a word token was written, and a space must follow it */

    ere_put(re, cap, &len, "^", 1, 0);
    for (;;) {
        const char *w = p, *e;

        while (*p != '\0' && *p != ' ')
            p++;
        e = p;
        const int gap = e - w == 1 && *w == '~';
        const int plain = e > w && !gap && memchr(w, '|', (size_t)(e - w)) == NULL &&
                          e[-1] != '*';
        if (plain) {
            if (run == NULL)
                run = w;
            run_end = e;
        }
        if (run != NULL && (!plain || *e == '\0')) { /* the run of plain words ends */
            if (words)
                ere_put(re, cap, &len, " ", 1, 0);
            ere_put(re, cap, &len, "(", 1, 0);
            ere_word(nz, re, cap, &len, run, (size_t)(run_end - run), 0);
            ere_put(re, cap, &len, ")", 1, 0);
            words = 1;
            run = NULL;
        }
        if (gap) {
            if (words)
                ere_put(re, cap, &len, " ", 1, 0);
            ere_put(re, cap, &len, "([^ ]+ ){0,3}", 13, 0);
            words = 0;
        } else if (!plain && e > w) {
            if (words)
                ere_put(re, cap, &len, " ", 1, 0);
            ere_put(re, cap, &len, "(", 1, 0);
            for (const char *a = w; a < e;) {
                const char *ae = a;

                while (ae < e && *ae != '|')
                    ae++;
                if (a > w)
                    ere_put(re, cap, &len, "|", 1, 0);
                ere_word(nz, re, cap, &len, a, (size_t)(ae - a) - (ae[-1] == '*'),
                         ae[-1] == '*');
                a = ae + (ae < e);
            }
            ere_put(re, cap, &len, ")", 1, 0);
            words = 1;
        }
        if (*p == '\0')
            break;
        while (*p == ' ')
            p++;
    }
    ere_put(re, cap, &len, "$", 1, 0);
}

/* 1 when the plain form has a span from a word start to a word end that maps to h's span in
 * the original and that regexec of h's cue's pattern matches whole. */
static int regex_confirms(const cg__lexicon *lx, const cg__normalizer *nz,
                          const cg__normalized *nm, const cg__cue_hit *h)
{
    const cg__textform *pf = &nm->plain;
    static char re[16384];
    char *sub = cg__malloc(pf->n + 1);
    regex_t rx;
    int found = 0;

    CG_ASSERT(sub != NULL);
    ere_of(nz, cg__lexicon_cue(lx, h->cue)->pattern, re, sizeof re);
    CG_ASSERT_EQ(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
    for (size_t a = 0; a < pf->n && !found; a++) {
        if ((a > 0 && pf->s[a - 1] != ' ') || pf->s[a] == ' ' || pf->src[a] != h->start)
            continue;
        for (size_t b = a + 1; b <= pf->n && !found; b++) {
            size_t os, oe;

            if (b < pf->n && pf->s[b] != ' ')
                continue;
            cg__textform_span(pf, a, b, &os, &oe);
            if (os != h->start || oe != h->end)
                continue;
            memcpy(sub, pf->s + a, b - a);
            sub[b - a] = '\0';
            found = regexec(&rx, sub, 0, NULL, 0) == 0;
        }
    }
    if (!found)
        printf("regexec does not confirm %s (%s) in \"%.200s\"\n", cg__lexicon_cue(lx, h->cue)->id,
               re, pf->s);
    regfree(&rx);
    cg__free(sub);
    return found;
}

static void check_agreement(const cg__lexicon *lx, cg__lexicon_scratch *sc,
                            const cg__normalizer *nz, const char *text, int64_t intended,
                            agreement *ag)
{
    static cg__normalized nm;
    static cg__cue_hits got, vs, idx;
    cg_error err = {0};
    int missed = 0;

    if (text == NULL) { /* release the buffers */
        cg__normalized_free(&nm);
        cg__cue_hits_free(&got);
        cg__cue_hits_free(&vs);
        cg__cue_hits_free(&idx);
        return;
    }
    got.n = vs.n = idx.n = 0;
    CG_ASSERT_OK(cg__normalize(nz, text, strlen(text), CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__lexicon_scan(lx, sc, &nm, &got, &err), &err);
    CG_ASSERT_OK(cg__lexicon_scan_vectorscan(lx, sc, &nm, &vs, &err), &err);
    CG_ASSERT_OK(cg__lexicon_scan_index(lx, sc, &nm, &idx, &err), &err);
    ag->texts++;
    ag->with_hits += got.n > 0;
    /* The scan is the index's, hit for hit and in order. */
    CG_ASSERT_EQ(got.n, idx.n);
    for (size_t i = 0; i < got.n; i++) {
        CG_ASSERT_EQ(got.v[i].cue, idx.v[i].cue);
        CG_ASSERT_EQ(got.v[i].start, idx.v[i].start);
        CG_ASSERT_EQ(got.v[i].end, idx.v[i].end);
    }
    /* The documented order: by end, on the same end by descending cue number; Vectorscan's
     * hits come in the same order. */
    for (size_t i = 1; i < got.n; i++)
        CG_ASSERT(got.v[i - 1].end < got.v[i].end ||
                  (got.v[i - 1].end == got.v[i].end && got.v[i - 1].cue > got.v[i].cue));
    for (size_t i = 1; i < vs.n; i++)
        CG_ASSERT(vs.v[i - 1].end < vs.v[i].end ||
                  (vs.v[i - 1].end == vs.v[i].end && vs.v[i - 1].cue > vs.v[i].cue));
    /* Every Vectorscan hit is one of the scan's: same cue, same span; or the scan's hit of that
     * cue ends earlier, a match Vectorscan missed (it reports a later one), which regexec
     * confirms. */
    for (size_t i = 0; i < vs.n; i++) {
        const cg__cue_hit *h = hit_of(&got, vs.v[i].cue);

        if (h != NULL && h->end < vs.v[i].end && regex_confirms(lx, nz, &nm, h)) {
            ag->confirmed++;
            ag->earlier++;
            continue;
        }
        if (h == NULL || h->start != vs.v[i].start || h->end != vs.v[i].end)
            cg_test_fail(__FILE__, __LINE__, "\"%.200s\" (plain \"%.200s\"): Vectorscan finds %s "
                         "at %u..%u, the scan %s", text, nm.plain.s,
                         cg__lexicon_cue(lx, vs.v[i].cue)->id, vs.v[i].start, vs.v[i].end,
                         h == NULL ? "does not" : "elsewhere");
    }
    /* Every hit of the scan beyond Vectorscan's is a real match. */
    for (size_t i = 0; i < got.n; i++) {
        if (hit_of(&vs, got.v[i].cue) != NULL)
            continue;
        if (!regex_confirms(lx, nz, &nm, &got.v[i]))
            cg_test_fail(__FILE__, __LINE__, "\"%.200s\": the scan's %s is not a match", text,
                         cg__lexicon_cue(lx, got.v[i].cue)->id);
        ag->confirmed++;
        if (!missed && ++ag->vs_missed <= 3)
            printf("Vectorscan misses %s in \"%.200s\"\n", cg__lexicon_cue(lx, got.v[i].cue)->id,
                   nm.plain.s);
        missed = 1;
    }
    if (intended >= 0 && hit_of(&got, (uint32_t)intended) != NULL)
        ag->intended++;
}

static uint32_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)(*x >> 32);
}

/* Appends to b (of cap bytes) a message that cue pattern p matches as written: each '~' becomes
 * 0-3 filler words, each word with alternatives one of them, a prefix gets a tail. */
static void instance_of(const char *p, uint64_t *rng, char *b, size_t cap)
{
    size_t n = strlen(b);

    while (*p != '\0') {
        const char *w = p, *e;
        size_t k = 0, len;

        while (*p != '\0' && *p != ' ')
            p++;
        e = p;
        while (*p == ' ')
            p++;
        if (e - w == 1 && *w == '~') {
            for (uint32_t g = next_rand(rng) % 4; g > 0; g--)
                n += (size_t)snprintf(b + n, cap - n, "%s ", next_rand(rng) % 2 ? "zq" : "vx");
            continue;
        }
        for (const char *c = w; c < e; c++) /* count the alternatives, pick one */
            k += *c == '|';
        k = next_rand(rng) % (k + 1);
        while (k > 0)
            k -= *w++ == '|';
        len = 0;
        while (w + len < e && w[len] != '|')
            len++;
        if (len > 0 && w[len - 1] == '*')
            n += (size_t)snprintf(b + n, cap - n, "%.*sest ", (int)(len - 1), w);
        else
            n += (size_t)snprintf(b + n, cap - n, "%.*s ", (int)len, w);
    }
}

/* Every cue written out at offsets from 0 to about 100 bytes, then random messages of lexicon
 * words, filler and punctuation, through both matchers. */
static void check_lexicon_agreement(const cg__lexicon *lx, const cg__normalizer *nz,
                                    int random_texts)
{
    static const char *const junk[] = {"zq", "vx", "!!", "ok", "lol", "🙂", "ừ", "\xff", "a"};
    const size_t ncue = cg__lexicon_count(lx);
    cg__lexicon_scratch *sc = NULL;
    agreement ag = {0, 0, 0, 0, 0, 0};
    uint64_t rng = 0x9E3779B97F4A7C15u;
    cg_error err = {0};
    char text[2048];

    CG_ASSERT_OK(cg__lexicon_scratch_new(lx, &sc, &err), &err);
    for (uint32_t c = 0; c < ncue; c++) {
        for (int lead = 0; lead <= 33; lead += 3) {
            text[0] = '\0';
            for (int k = 0; k < lead; k++)
                strcat(text, k % 3 ? "zq " : "vx ");
            instance_of(cg__lexicon_cue(lx, c)->pattern, &rng, text, sizeof text);
            check_agreement(lx, sc, nz, text, c, &ag);
        }
    }
    printf("%d cue instances: the scan finds the cue in %d, Vectorscan misses a cue in %d "
           "(%d hits beyond Vectorscan's, confirmed by regexec)\n",
           ag.texts, ag.intended, ag.vs_missed, ag.confirmed);
    /* The generator writes each cue as its pattern reads: the index finds almost all (a few
     * instances change once normalised, as single letters joined up). */
    CG_ASSERT_GE(ag.intended * 100, ag.texts * 97);
    ag = (agreement){0, 0, 0, 0, 0, 0};
    for (int i = 0; i < random_texts; i++) {
        const uint32_t words = 1 + next_rand(&rng) % 30;

        text[0] = '\0';
        for (uint32_t k = 0; k < words && strlen(text) < sizeof text - 200; k++) {
            if (next_rand(&rng) % 3 == 0) {
                strcat(text, junk[next_rand(&rng) % (sizeof junk / sizeof junk[0])]);
                strcat(text, next_rand(&rng) % 4 ? " " : ", ");
            } else {
                instance_of(cg__lexicon_cue(lx, next_rand(&rng) % (uint32_t)ncue)->pattern, &rng,
                            text, sizeof text);
                if (next_rand(&rng) % 2) /* half a cue: its first words only */
                    text[strlen(text) / 2] = '\0';
            }
        }
        check_agreement(lx, sc, nz, text, -1, &ag);
    }
    printf("%d random messages: the scan finds cues in %d, Vectorscan misses a cue in %d (%d "
           "hits beyond Vectorscan's, confirmed by regexec)\n", ag.texts, ag.with_hits,
           ag.vs_missed, ag.confirmed);
    CG_ASSERT_GT(ag.with_hits, random_texts / 4);
    CG_ASSERT_LT(ag.with_hits, random_texts);
    check_agreement(lx, sc, nz, NULL, -1, &ag);
    cg__lexicon_scratch_free(sc);
}

CG_TEST(lexicon_word_index_agrees_with_vectorscan)
{
    fixture f;

    fixture_open(&f);
    check_lexicon_agreement(f.lx, f.nz, 3000);
    fixture_close(&f);
}

CG_TEST(lexicon_word_index_prefixes_and_gaps)
{
    char first[1024];
    const char *paths[2] = {first, NULL};
    cg__normalizer *nz = open_nz();
    cg__lexicon *lx = NULL;
    cg_error err = {0};

    snprintf(first, sizeof first, "%s", write_tmp("syntax.tsv", syntax_rows)); /* static */
    paths[1] = write_tmp("more.tsv", "p.mid\ten\tsexual_solicitation\trequest\t0.5\tnud* ~ pic\tx\n"
                                     "p.two\ten\tbullying\tinsult\t0.5\tyou ~ idiot*|dumb\tx\n");
    CG_ASSERT_OK(cg__lexicon_load(nz, paths, 2, NULL, NULL, NULL, &lx, &err), &err);
    CG_ASSERT_EQ(cg__lexicon_count(lx), 8);
    check_lexicon_agreement(lx, nz, 2000);
    cg__lexicon_free(lx);
    cg__normalizer_free(nz);
}

/* Vectorscan 5.4.9 misses "ba no moi bo" once other words come before it: a stand-alone program
 * that compiles only bl.family.vi's regex ("ba|bố|mẹ|má ~ nó|m|mày ~ bỏ|tù|nghiện|bồ") misses it
 * after 23 bytes, and cg__lexicon_scan, while Vectorscan decided the messages with hits, lost
 * bl.family.vi in the corpus message mixed.jsonl:mx-0022 (27 bytes before it; this test fails
 * there on that code). The scan answers from the word index now: found at the start, after 23
 * bytes and in mx-0022. */
CG_TEST(lexicon_regression_ba_no_moi_bo_after_23_bytes)
{
    static const char *const texts[] = {
        "ba nó mới bỏ",
        "chắc tại nó khó ưa quá ba nó mới bỏ",        /* 23 bytes of plain words before */
        "chắc tại nó khó ưa quá nên ba nó mới bỏ đi đó", /* mixed.jsonl:mx-0022 */
    };
    fixture f;

    fixture_open(&f);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const cg__cue_hit *h;

        expect_cue(&f, texts[i], "bl.family.vi");
        h = find_hit(&f, "bl.family.vi");
        CG_ASSERT_EQ(h->end - h->start, strlen("ba nó mới bỏ"));
        CG_ASSERT(strncmp(texts[i] + h->start, "ba nó mới bỏ", h->end - h->start) == 0);
        if (i == 1) /* the plain form: the cue after 23 bytes */
            CG_ASSERT_EQ(strcmp(f.nm.plain.s, "chac tai no kho ua qua ba no moi bo"), 0);
    }
    fixture_close(&f);
}

/* Hostile input through both matchers: invalid UTF-8 around cues, and a 64 KiB message of cue
 * instances, junk and invalid bytes. The superset and order checks of check_agreement hold. */
CG_TEST(lexicon_word_index_hostile_input)
{
    static const char *const junk[] = {"\xff\xfe", "\xc3", "\xe1\xba", "ba nó mới bỏ", "🙂",
                                       "are you alone", "\xed\xa0\x80", "  ", "zq"};
    const size_t cap = 64 * 1024;
    char *text = cg__malloc(cap + 256);
    uint64_t rng = 0x2545F4914F6CDD1Du;
    agreement ag = {0, 0, 0, 0, 0, 0};
    cg__lexicon_scratch *sc = NULL;
    cg_error err = {0};
    fixture f;

    CG_ASSERT(text != NULL);
    fixture_open(&f);
    CG_ASSERT_OK(cg__lexicon_scratch_new(f.lx, &sc, &err), &err);
    check_agreement(f.lx, sc, f.nz, "\xff ba nó mới bỏ \xc3", -1, &ag);
    check_agreement(f.lx, sc, f.nz, "are \xe1\xba you alone\xff", -1, &ag);
    text[0] = '\0';
    for (size_t n = 0; n < cap - 200;) {
        if (next_rand(&rng) % 2)
            instance_of(cg__lexicon_cue(f.lx, next_rand(&rng) % (uint32_t)cg__lexicon_count(f.lx))
                            ->pattern, &rng, text + n, cap - n);
        else
            snprintf(text + n, cap - n, "%s ", junk[next_rand(&rng) % (sizeof junk / sizeof *junk)]);
        n += strlen(text + n);
    }
    check_agreement(f.lx, sc, f.nz, text, -1, &ag);
    printf("hostile: %d messages, %d hits beyond Vectorscan's confirmed by regexec (%d where "
           "Vectorscan reports a later match)\n", ag.texts, ag.confirmed, ag.earlier);
    CG_ASSERT_GE(ag.with_hits, 2); /* the first message and the long one at least */
    check_agreement(f.lx, sc, f.nz, NULL, -1, &ag);
    cg__lexicon_scratch_free(sc);
    cg__free(text);
    fixture_close(&f);
}

/* ---- benign chat -------------------------------------------------------------------------- */

/* Synthetic benign messages (school, games, family, friends), written for this test. A few
 * deliberately brush against cue words ("delete", "camera", "secret", "alone", "gửi ảnh") in
 * innocent ways; weak cues may fire, but no grooming or sextortion cue of weight >= 0.6. */
static const char *const benign_en[] = {
    "did you finish the math homework for tomorrow",
    "mom said dinner is at seven so come home before that",
    "can you send me the notes from history class",
    "our team won the football match today!!",
    "i got a new skin in fortnite it looks so cool",
    "the teacher said the test is on friday",
    "happy birthday grandma, we love you",
    "lets play minecraft after school",
    "i forgot my lunch at home again",
    "can you help me with the science project",
    "my little brother broke my headphones",
    "what time does the bus leave",
    "i need to delete some apps my phone storage is full",
    "please turn on your camera for the online class, said the teacher",
    "the surprise party for dad is a secret until saturday",
    "i was home alone for an hour and watched cartoons",
    "we are going to the beach this weekend with my cousins",
    "dont forget to feed the cat",
    "that movie was so funny i cried",
    "who wants to join our group for the book report",
    "i lost my pencil case can i borrow a pen",
    "grandpa sent photos of his garden, the tomatoes are huge",
    "your drawing is really good you should show the art teacher",
    "see you at practice tomorrow",
    "we have a spelling quiz on monday",
    "my mom will pick us up at five",
    "the wifi is so slow today",
    "i finished reading the harry potter book",
    "can we study together at the library",
    "my dog learned a new trick",
    "the field trip form needs a parent signature",
    "did you watch the new episode last night",
    "i think i left my jacket in the classroom",
    "the cafeteria pizza was actually good today",
    "we need two more players for the basketball game",
    "my sister is practicing piano so loud lol",
    "can you send the photo of the homework page",
    "the class photo is on the school website",
    "i got an A on my english essay",
    "let's meet at the library at three to finish the poster",
    "my parents are at work until six so i am doing homework",
    "grandma wants us to video call on sunday",
};

static const char *const benign_vi[] = {
    "mai có kiểm tra toán đấy, cậu ôn bài chưa",
    "mẹ ơi con về muộn một chút vì ở lại trực nhật",
    "tối nay chơi liên quân không, tớ mới nạp thẻ mua skin",
    "cô giáo bảo cả lớp nộp bài trước thứ sáu",
    "gửi tớ ảnh chụp bài tập về nhà với",
    "chúc mừng sinh nhật bà, cả nhà yêu bà nhiều",
    "hôm nay đội mình thắng trận bóng rồi",
    "con mèo nhà tớ đáng yêu lắm",
    "bố bảo cuối tuần cả nhà đi biển",
    "cậu có biết bài hát mới của sơn tùng không",
    "tớ quên hộp bút ở lớp rồi",
    "mấy giờ thì xe buýt đến trường",
    "điện thoại tớ đầy bộ nhớ, phải xóa bớt ứng dụng",
    "các em nhớ bật camera khi học trực tuyến nhé",
    "sinh nhật bố là bí mật, đừng nói trước nhé",
    "chiều nay em ở nhà làm bài tập",
    "ông gửi ảnh vườn rau cho cả nhà xem",
    "mình học nhóm ở thư viện đi",
    "bài văn của cậu hay lắm",
    "tớ được điểm mười môn tiếng anh",
    "mai nhớ mang áo đồng phục thể dục nhé",
    "em trai tớ làm vỡ cốc rồi",
    "phim hôm qua buồn cười quá",
    "cậu làm xong bài tập vật lý chưa",
    "lớp mình sắp đi tham quan bảo tàng",
    "tớ thích chơi cầu lông vào buổi chiều",
    "mẹ dặn về nhà trước bảy giờ",
    "wifi nhà tớ hôm nay chậm quá",
    "cô chủ nhiệm khen lớp mình ngoan",
    "tuần sau có buổi họp phụ huynh",
    "tớ đang đọc truyện doraemon",
    "chiều nay đá bóng ở sân trường không",
    "bà nội nấu canh chua ngon lắm",
    "cậu cho tớ mượn cái thước kẻ nhé",
    "ảnh lớp mình đăng trên trang của trường rồi",
    "con chó nhà tớ biết bắt tay rồi",
    "anh trai tớ đón tớ sau giờ học",
    "hôm nay trời mưa to quá",
    "mình gặp nhau ở cổng trường lúc hai giờ nhé",
    "bố mẹ tớ đi làm đến sáu giờ mới về",
    "thầy dạy toán mới vui tính lắm",
    "cả nhà đang xem bóng đá trên tivi",
};

static void benign_check(fixture *f, const char *const *msgs, size_t n, int *high)
{
    for (size_t i = 0; i < n; i++) {
        scan(f, msgs[i]);
        for (size_t k = 0; k < f->hits.n; k++) {
            const cg__cue *c = cg__lexicon_cue(f->lx, f->hits.v[k].cue);
            const int serious = c->harm == CG_HARM_GROOMING || c->harm == CG_HARM_SEXTORTION;

            printf("%s %-28s %.2f in \"%s\"\n", serious && c->weight >= 0.6f ? "HIGH" : "low ",
                   c->id, c->weight, msgs[i]);
            if (serious && c->weight >= 0.6f)
                (*high)++;
        }
    }
}

CG_TEST(lexicon_benign_chat_has_no_high_weight_hits)
{
    fixture f;
    int high = 0;

    CG_ASSERT_GE(sizeof benign_en / sizeof benign_en[0], 40);
    CG_ASSERT_GE(sizeof benign_vi / sizeof benign_vi[0], 40);
    fixture_open(&f);
    benign_check(&f, benign_en, sizeof benign_en / sizeof benign_en[0], &high);
    benign_check(&f, benign_vi, sizeof benign_vi / sizeof benign_vi[0], &high);
    CG_ASSERT_EQ(high, 0);
    fixture_close(&f);
}

/* ---- bad rows ----------------------------------------------------------------------------- */

CG_TEST(lexicon_bad_rows_reported_rest_loads)
{
    static const char rows[] =
        "# a comment\n"                                                              /* 1 */
        "id\tlang\tharm\tfacet\tweight\tpattern\tnote\n"                             /* 2 */
        "ok.one\ten\tgrooming\trisk_assessment\t0.5\tare you alone\tgood\n"           /* 3 */
        "bad.cols\ten\tgrooming\t0.5\tare you alone\n"                               /* 4 */
        "bad.harm\ten\tbadness\tnone\t0.5\tare you alone\tx\n"                       /* 5 */
        "bad.facet\ten\tgrooming\tsideways\t0.5\tare you alone\tx\n"                 /* 6 */
        "bad.mix\ten\tgrooming\tinsult\t0.5\tare you alone\tfacet of bullying\n"     /* 7 */
        "bad.w0\ten\tgrooming\tnone\t0\tare you alone\tx\n"                          /* 8 */
        "bad.w2\ten\tgrooming\tnone\t1.5\tare you alone\tx\n"                        /* 9 */
        "bad.wx\ten\tgrooming\tnone\tabc\tare you alone\tx\n"                        /* 10 */
        "ok.one\ten\tgrooming\tnone\t0.5\tsomething else\tduplicate id\n"            /* 11 */
        "bad.pat1\ten\tgrooming\tnone\t0.5\t~ alone\tleading gap\n"                  /* 12 */
        "bad.pat2\ten\tgrooming\tnone\t0.5\ta||b\tempty alternative\n"               /* 13 */
        "bad.pat3\ten\tgrooming\tnone\t0.5\t*\tlone star\n"                          /* 14 */
        "bad.pat4\ten\tgrooming\tnone\t0.5\t?!?\tnothing once normalised\n"          /* 15 */
        "bad.pat5\ten\tgrooming\tnone\t0.5\ta*b\tstar inside\n"                      /* 16 */
        "bad.pat6\ten\tgrooming\tnone\t0.5\t\tempty\n"                               /* 17 */
        "bad id\ten\tgrooming\tnone\t0.5\thello\tspace in id\n"                      /* 18 */
        "bad.lang\tVietnamese\tgrooming\tnone\t0.5\thello\tx\n"                      /* 19 */
        "\n"                                                                         /* 20 */
        "ok.two\tvi\tbullying\tinsult\t1\tđồ ngu\t\r\n"                              /* 21 */
        "bad.many\ten\tgrooming\tnone\t0.5\thello\tx\textra\n"                       /* 22 */
        "ok.three\tfil\tbullying\tinsult\t0.3\tloser\n";             /* 23 */
    static const uint64_t want[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22};
    const char *path = write_tmp("bad.tsv", rows);
    cg__normalizer *nz = open_nz();
    cg__lexicon *lx = NULL;
    cg_error err = {0};
    bad_rows bad = {0};
    uint8_t seen[32] = {0};

    CG_ASSERT_OK(cg__lexicon_load(nz, &path, 1, on_bad, &bad, NULL, &lx, &err), &err);
    CG_ASSERT_EQ(bad.n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < bad.n; i++) {
        CG_ASSERT_LT(bad.lines[i], 32);
        seen[bad.lines[i]]++;
    }
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CG_ASSERT_EQ(seen[want[i]], 1);
    CG_ASSERT_EQ(cg__lexicon_count(lx), 3);
    CG_ASSERT_STR_EQ(cg__lexicon_cue(lx, 0)->id, "ok.one");
    CG_ASSERT_EQ(cg__lexicon_cue(lx, 0)->line, 3);
    CG_ASSERT_STR_EQ(cg__lexicon_cue(lx, 1)->id, "ok.two");
    CG_ASSERT_STR_EQ(cg__lexicon_cue(lx, 1)->note, "");
    CG_ASSERT_STR_EQ(cg__lexicon_cue(lx, 2)->lang, "fil");
    cg__lexicon_free(lx);
    cg__normalizer_free(nz);
}

CG_TEST(lexicon_only_bad_rows_is_inval)
{
    static const char rows[] = "bad.harm\ten\tbadness\tnone\t0.5\tare you alone\tx\n"
                               "bad.w\ten\tgrooming\tnone\t7\tare you alone\tx\n";
    const char *path = write_tmp("allbad.tsv", rows);
    const char *empty = NULL;
    cg__normalizer *nz = open_nz();
    cg__lexicon *lx = (cg__lexicon *)&lx; /* poisoned: the call must reset it */
    cg_error err = {0};
    bad_rows bad = {0};

    CG_ASSERT_EQ(cg__lexicon_load(nz, &path, 1, on_bad, &bad, NULL, &lx, &err), CG_E_INVAL);
    CG_ASSERT(lx == NULL);
    CG_ASSERT_EQ(bad.n, 2);
    CG_ASSERT_EQ(err.status, CG_E_INVAL);
    printf("%s\n", err.message);
    /* A file with nothing in it, and no files at all. */
    empty = write_tmp("empty.tsv", "# nothing\n\n");
    CG_ASSERT_EQ(cg__lexicon_load(nz, &empty, 1, NULL, NULL, NULL, &lx, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg__lexicon_load(nz, NULL, 0, NULL, NULL, NULL, &lx, &err), CG_E_INVAL);
    /* A missing file fails the whole load. */
    path = LEX_DIR "no-such-file.tsv";
    CG_ASSERT_EQ(cg__lexicon_load(nz, &path, 1, NULL, NULL, NULL, &lx, &err), CG_E_NOTFOUND);
    CG_ASSERT(lx == NULL);
    cg__normalizer_free(nz);
}

/* ---- allocation failures ------------------------------------------------------------------ */

typedef cg_status (*op_fn)(void *arg);

/* Every allocation failure of op is handled (cg_test.h). */
#define fail_each_allocation(what, op, arg) ((void)cg_test_fail_each_allocation(what, op, arg, 0))

typedef struct load_arg {
    const cg__normalizer *nz;
    const char *path;
} load_arg;

static cg_status op_load(void *p)
{
    const load_arg *a = p;
    cg__lexicon *lx = (cg__lexicon *)&lx;
    cg_error err = {0};
    cg_status st = cg__lexicon_load(a->nz, &a->path, 1, NULL, NULL, NULL, &lx, &err);

    if (st == CG_OK) {
        CG_ASSERT_EQ(cg__lexicon_count(lx), 4);
        cg__lexicon_free(lx);
    } else {
        CG_ASSERT(lx == NULL);
        CG_ASSERT_EQ(err.status, st);
    }
    return st;
}

typedef struct scan_arg {
    const cg__normalizer *nz;
    const cg__lexicon *lx;
} scan_arg;

static cg_status op_scan(void *p)
{
    const scan_arg *a = p;
    static const char text[] = "đừng nói với ai, are you alone? go kill yourself";
    cg__lexicon_scratch *sc = NULL;
    cg__normalized nm = {0};
    cg__cue_hits hits = {0};
    cg_error err = {0};
    cg_status st;

    st = cg__lexicon_scratch_new(a->lx, &sc, &err);
    if (st != CG_OK) {
        CG_ASSERT(sc == NULL);
        return st;
    }
    st = cg__normalize(a->nz, text, strlen(text), CG__UTF8_REPLACE, 0, &nm, &err);
    if (st == CG_OK)
        st = cg__lexicon_scan(a->lx, sc, &nm, &hits, &err);
    if (st == CG_OK)
        CG_ASSERT_EQ(hits.n, 3);
    else
        CG_ASSERT_EQ(hits.n, 0);
    cg__cue_hits_free(&hits);
    cg__normalized_free(&nm);
    cg__lexicon_scratch_free(sc);
    return st;
}

static const char small_rows[] =
    "id\tlang\tharm\tfacet\tweight\tpattern\tnote\n"
    "a.alone\ten\tgrooming\trisk_assessment\t0.5\tare|r you|u ~ alone\tx\n"
    "a.bad\ten\tgrooming\tnone\t9\thello\tbad weight\n"
    "a.tell\tvi\tgrooming\texclusivity\t0.6\tđừng ~ nói|kể ~ ai\tx\n"
    "a.kys\ten\tbullying\tincitement\t1\tkill yourself|urself\tx\n"
    "a.pre\ten\tbullying\tinsult\t0.3\tstupid* ~ idiot*\tx\n";

CG_TEST(lexicon_alloc_failure_load)
{
    load_arg a;

    a.nz = open_nz();
    a.path = write_tmp("small.tsv", small_rows);
    fail_each_allocation("lexicon load", op_load, &a);
    cg__normalizer_free((cg__normalizer *)a.nz);
}

CG_TEST(lexicon_alloc_failure_scan)
{
    const char *path = write_tmp("small.tsv", small_rows);
    cg__normalizer *nz = open_nz();
    cg__lexicon *lx = NULL;
    cg_error err = {0};
    scan_arg a;

    CG_ASSERT_OK(cg__lexicon_load(nz, &path, 1, NULL, NULL, NULL, &lx, &err), &err);
    a.nz = nz;
    a.lx = lx;
    fail_each_allocation("lexicon scratch + normalise + scan", op_scan, &a);
    cg__lexicon_free(lx);
    cg__normalizer_free(nz);
}

/* ---- threads ------------------------------------------------------------------------------ */

typedef struct thread_arg {
    const fixture *shared; /* the lexicon and normaliser, shared read-only */
    int found;
} thread_arg;

static void *scan_thread(void *p)
{
    thread_arg *a = p;
    fixture f;
    cg_error err = {0};

    memset(&f, 0, sizeof f);
    f.nz = a->shared->nz;
    f.lx = a->shared->lx;
    if (cg__lexicon_scratch_new(f.lx, &f.scratch, &err) != CG_OK)
        return NULL;
    for (int i = 0; i < 2000; i++) {
        scan(&f, i % 2 ? "bí mật của hai đứa mình nhé" : "are you alone right now");
        a->found += f.hits.n > 0;
    }
    cg__cue_hits_free(&f.hits);
    cg__normalized_free(&f.nm);
    cg__lexicon_scratch_free(f.scratch);
    return NULL;
}

CG_TEST(lexicon_shared_across_threads)
{
    fixture f;
    pthread_t t[4];
    thread_arg a[4];

    fixture_open(&f);
    for (int i = 0; i < 4; i++) {
        a[i].shared = &f;
        a[i].found = 0;
        CG_ASSERT_EQ(pthread_create(&t[i], NULL, scan_thread, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        CG_ASSERT_EQ(pthread_join(t[i], NULL), 0);
        CG_ASSERT_EQ(a[i].found, 2000);
    }
    fixture_close(&f);
}
