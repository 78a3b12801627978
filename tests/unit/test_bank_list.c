/* Hash-list files (src/store/list.h): every format and column alias, AUTO detection, quoting,
 * BOM and CRLF, each reject reason with its line number, the fatal cases, streaming in bounded
 * memory, round trips through the writer, write errors, and allocation failures. */
#include "cg_test.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "store/list.h"
#include "childguard.h"
#include "common/alloc.h"

#define PDQ1 "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
#define PDQ2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct rec {
    int rejected;
    uint64_t line;
    char reason[200];
    cg_bank_signal s;
} rec;

typedef struct result {
    cg_status st;     /* of open, or of the failing next */
    cg_error err;
    cg_list_format format;
    rec *r;
    size_t n;
    uint64_t bytes;
} result;

static void read_stream(FILE *f, const cg_import_options *opt, result *res)
{
    cg__list_reader *rd = NULL;

    memset(res, 0, sizeof(*res));
    res->st = cg__list_reader_open(f, opt, &rd, &res->err);
    if (res->st != CG_OK) {
        CG_ASSERT(rd == NULL);
        return;
    }
    res->format = cg__list_reader_format(rd);
    for (;;) {
        cg_bank_signal s;
        const char *reject = NULL;
        int got = -1;
        rec *grown;

        res->st = cg__list_reader_next(rd, &s, &got, &reject, &res->err);
        if (res->st != CG_OK || got == 0)
            break;
        CG_ASSERT_EQ(got, 1);
        grown = realloc(res->r, (res->n + 1) * sizeof(*res->r));
        CG_ASSERT(grown != NULL);
        res->r = grown;
        memset(&res->r[res->n], 0, sizeof(rec));
        res->r[res->n].line = cg__list_reader_line(rd);
        if (reject != NULL) {
            res->r[res->n].rejected = 1;
            snprintf(res->r[res->n].reason, sizeof(res->r[res->n].reason), "%s", reject);
        } else {
            CG_ASSERT(s.type != NULL);
            res->r[res->n].s = s;
        }
        res->n++;
    }
    res->bytes = cg__list_reader_bytes(rd);
    cg__list_reader_close(rd);
}

static void read_text_len(const char *text, size_t len, const cg_import_options *opt,
                          result *res)
{
    char *copy = malloc(len + 1);
    FILE *f;

    CG_ASSERT(copy != NULL);
    memcpy(copy, text, len);
    f = fmemopen(copy, len, "r");
    CG_ASSERT(f != NULL);
    read_stream(f, opt, res);
    fclose(f);
    free(copy);
}

static void read_text(const char *text, const cg_import_options *opt, result *res)
{
    read_text_len(text, strlen(text), opt, res);
}

static cg_import_options opts(cg_list_format format)
{
    cg_import_options o;

    memset(&o, 0, sizeof(o));
    o.format = format;
    return o;
}

static void free_result(result *res)
{
    free(res->r);
    res->r = NULL;
}

static const char *hex_of(const cg_bank_signal *s, char *buf)
{
    s->type->format(s->value, buf);
    return buf;
}

/* Asserts record i is good, of type tname and value hex. */
#define ASSERT_GOOD(res, i, tname, hex, ln)                                        \
    do {                                                                           \
        char hb_[2 * CG_SIGNAL_MAX_BYTES + 1];                                     \
        CG_ASSERT_LT((i), (res).n);                                                \
        if ((res).r[i].rejected)                                                   \
            cg_test_fail(__FILE__, __LINE__, "record %d rejected: %s", (int)(i),   \
                         (res).r[i].reason);                                       \
        CG_ASSERT_STR_EQ((res).r[i].s.type->name, tname);                          \
        CG_ASSERT_STR_EQ(hex_of(&(res).r[i].s, hb_), hex);                         \
        CG_ASSERT_EQ((res).r[i].line, (ln));                                       \
    } while (0)

#define ASSERT_REJECT(res, i, why, ln)                                             \
    do {                                                                           \
        CG_ASSERT_LT((i), (res).n);                                                \
        CG_ASSERT((res).r[i].rejected);                                            \
        CG_ASSERT_STR_EQ((res).r[i].reason, why);                                  \
        CG_ASSERT_EQ((res).r[i].line, (ln));                                       \
    } while (0)

/* ---- LINES ---------------------------------------------------------------------------------- */

CG_TEST(list_lines_basic)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    read_text("# a comment\n\n  " PDQ1 "  \n" MD5 "\r\n\t\n" "F8F8F0CEE0F4A84F06370A22038F63F0"
              "B36E2ED596621E1D33E6B39C4E9C9B22\n" PDQ2,
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_LINES);
    CG_ASSERT_EQ(res.n, 4);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 3);
    ASSERT_GOOD(res, 1, "md5", MD5, 4);
    ASSERT_GOOD(res, 2, "pdq", PDQ1, 6);
    ASSERT_GOOD(res, 3, "pdq", PDQ2, 7);
    CG_ASSERT_EQ(res.r[0].s.quality, -1);
    CG_ASSERT_EQ(res.r[0].s.disabled_until, 0);
    CG_ASSERT_STR_EQ(res.r[0].s.source, "");
    free_result(&res);

    /* opt->source is the provenance of lines without one. */
    o.source = "ncmec-2024";
    read_text(PDQ1 "\n", &o, &res);
    CG_ASSERT_EQ(res.n, 1);
    CG_ASSERT_STR_EQ(res.r[0].s.source, "ncmec-2024");
    free_result(&res);
}

CG_TEST(list_lines_default_type)
{
    cg_import_options o = opts(CG_LIST_LINES);
    result res;

    o.default_type = cg_signal_type_find("sha256");
    read_text(SHA "\n" MD5 "\n", &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 2);
    ASSERT_GOOD(res, 0, "sha256", SHA, 1);
    ASSERT_REJECT(res, 1, "bad hex in signal (expected 64 hex digits for sha256, got 32)", 2);
    free_result(&res);

    /* Without a default, 64 hex digits are PDQ and other lengths are named. */
    o.default_type = NULL;
    read_text(SHA "\n" "abc\n", &o, &res);
    ASSERT_GOOD(res, 0, "pdq", SHA, 1);
    ASSERT_REJECT(res, 1, "bad hex in signal (expected 32 hex digits for md5 or 64 for pdq, got 3)",
                  2);
    free_result(&res);
}

CG_TEST(list_lines_reference_hasher_csv)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    /* pdq-photo-hasher prints hash,quality,filename; the name may hold commas. */
    read_text(PDQ1 ",100,/data/a b.jpg\n" PDQ2 ",49,x,y.png\n" PDQ1 ",101,c.jpg\n" PDQ2 ",,d.jpg\n"
              MD5 ",7\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_LINES);
    CG_ASSERT_EQ(res.n, 5);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 1);
    CG_ASSERT_EQ(res.r[0].s.quality, 100);
    CG_ASSERT_STR_EQ(res.r[0].s.note, "/data/a b.jpg");
    ASSERT_GOOD(res, 1, "pdq", PDQ2, 2);
    CG_ASSERT_EQ(res.r[1].s.quality, 49);
    CG_ASSERT_STR_EQ(res.r[1].s.note, "x,y.png");
    ASSERT_REJECT(res, 2, "quality must be 0..100", 3);
    ASSERT_GOOD(res, 3, "pdq", PDQ2, 4);
    CG_ASSERT_EQ(res.r[3].s.quality, -1);
    ASSERT_GOOD(res, 4, "md5", MD5, 5);
    CG_ASSERT_EQ(res.r[4].s.quality, 7);
    free_result(&res);
}

CG_TEST(list_lines_typed_and_checksum_forms)
{
    cg_import_options o = opts(CG_LIST_LINES);
    result res;

    o.default_type = cg_signal_type_find("sha256");
    read_text("pdq " PDQ1 "\n" "HASH_MD5\t" MD5 "\n" "video_md5 " MD5 " # trailing comment\n"
              SHA "  photo 1.jpg\n" SHA " *bin.dat\n" "foo " PDQ1 "\n" "zz\n" PDQ1 " # c\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 8);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 1);
    ASSERT_GOOD(res, 1, "md5", MD5, 2);
    ASSERT_GOOD(res, 2, "md5", MD5, 3);
    CG_ASSERT_STR_EQ(res.r[2].s.note, "");
    ASSERT_GOOD(res, 3, "sha256", SHA, 4);
    CG_ASSERT_STR_EQ(res.r[3].s.note, "photo 1.jpg");
    ASSERT_GOOD(res, 4, "sha256", SHA, 5);
    CG_ASSERT_STR_EQ(res.r[4].s.note, "bin.dat");
    ASSERT_REJECT(res, 5, "unknown signal type 'foo'", 6);
    ASSERT_REJECT(res, 6, "bad hex in signal (expected 64 hex digits for sha256, got 2)", 7);
    ASSERT_GOOD(res, 7, "sha256", PDQ1, 8);
    CG_ASSERT_STR_EQ(res.r[7].s.note, "");
    free_result(&res);
}

/* ---- CSV ------------------------------------------------------------------------------------ */

/* Every alias of every role, one header at a time, in CSV, TSV and JSONL. */
CG_TEST(list_csv_tsv_jsonl_every_alias)
{
    static const char *const type_names[] = {"signal_type", "type", "hash_type",
                                             "indicator_type", "Signal Type", "SIGNAL-TYPE"};
    static const char *const value_names[] = {"signal", "signal_value", "hash", "hash_value",
                                              "value", "indicator", "HASH"};
    static const char *const id_names[] = {"external_id", "id", "content_id", "bank_content_id",
                                           "descriptor_id", "indicator_id"};
    static const char *const note_names[] = {"note", "notes", "description", "comment"};
    static const char *const quality_names[] = {"quality", "pdq_quality"};
    static const char *const source_names[] = {"source", "owner", "collab", "privacy_group"};
    static const char *const label_names[] = {"label", "tags"};
    char text[1024];
    result res;

    for (int fmt = 0; fmt < 3; fmt++) {
        for (size_t i = 0; i < 7; i++) {
            const char *tn = type_names[i % 6], *vn = value_names[i];
            const char *in = id_names[i % 6], *nn = note_names[i % 4];
            const char *qn = quality_names[i % 2], *sn = source_names[i % 4];
            const char *ln = label_names[i % 2];
            cg_import_options o = opts(CG_LIST_AUTO);

            if (fmt == 0)
                snprintf(text, sizeof(text),
                         "%s,%s,%s,%s,%s,%s,%s,disabled_until,content_type,extra\n"
                         "HASH_MD5," MD5 ",id-%zu,a note,,src,csam,1700000000,photo,zz\n"
                         "photo_pdq," PDQ1 ",,,88,,,,video,\n",
                         tn, vn, in, nn, qn, sn, ln, i);
            else if (fmt == 1)
                snprintf(text, sizeof(text),
                         "%s\t%s\t%s\t%s\t%s\t%s\t%s\tdisabled_until\n"
                         "HASH_MD5\t" MD5 "\tid-%zu\ta note\t\tsrc\tcsam\t1700000000\n"
                         "photo_pdq\t" PDQ1 "\t\t\t88\t\t\t\n",
                         tn, vn, in, nn, qn, sn, ln, i);
            else
                snprintf(text, sizeof(text),
                         "{\"%s\":\"HASH_MD5\",\"%s\":\"" MD5 "\",\"%s\":\"id-%zu\","
                         "\"%s\":\"a note\",\"%s\":\"src\",\"%s\":[\"csam\"],"
                         "\"disabled_until\":1700000000,\"content_type\":\"photo\"}\n"
                         "{\"%s\":\"photo_pdq\",\"%s\":\"" PDQ1 "\",\"%s\":88}\n",
                         tn, vn, in, i, nn, sn, ln, tn, vn, qn);
            read_text(text, &o, &res);
            CG_ASSERT_OK(res.st, &res.err);
            CG_ASSERT_EQ(res.format, fmt == 0 ? CG_LIST_CSV : fmt == 1 ? CG_LIST_TSV
                                                                       : CG_LIST_JSONL);
            CG_ASSERT_EQ(res.n, 2);
            ASSERT_GOOD(res, 0, "md5", MD5, 2 - (fmt == 2));
            CG_ASSERT_EQ(res.r[0].s.quality, -1);
            CG_ASSERT_EQ(strncmp(res.r[0].s.external_id, "id-", 3), 0);
            CG_ASSERT_STR_EQ(res.r[0].s.note, "a note");
            CG_ASSERT_STR_EQ(res.r[0].s.source, "src");
            CG_ASSERT_EQ(res.r[0].s.disabled_until, 1700000000);
            ASSERT_GOOD(res, 1, "pdq", PDQ1, 3 - (fmt == 2));
            CG_ASSERT_EQ(res.r[1].s.quality, 88);
            free_result(&res);
        }
    }
}

CG_TEST(list_csv_columns_named_after_types)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    /* Each non-empty typed column is one record of the row's line. */
    read_text("PDQ,md5,note,Quality\n" PDQ1 "," MD5 ",both,90\n," MD5 ",md5 only,\n,,none,\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_CSV);
    CG_ASSERT_EQ(res.n, 4);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 2);
    ASSERT_GOOD(res, 1, "md5", MD5, 2);
    CG_ASSERT_STR_EQ(res.r[1].s.note, "both");
    CG_ASSERT_EQ(res.r[1].s.quality, 90);
    ASSERT_GOOD(res, 2, "md5", MD5, 3);
    ASSERT_REJECT(res, 3, "missing signal value", 4);
    free_result(&res);

    /* A generic value column wins over typed ones; a header with neither rejects its rows. */
    read_text("sha256,hash\n" SHA "," PDQ1 "\n", &o, &res);
    CG_ASSERT_EQ(res.n, 1);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 2);
    free_result(&res);
    o.format = CG_LIST_CSV;
    read_text("name,size\nx,1\n", &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 1);
    ASSERT_REJECT(res, 0,
                  "no signal column in the header (expected signal, hash, value, pdq, md5, ...)",
                  2);
    free_result(&res);
}

CG_TEST(list_csv_rfc4180_quoting_bom_crlf)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    read_text("\xef\xbb\xbf" "signal_type,signal,note,external_id\r\n"
              "pdq," PDQ1 ",\"a, \"\"quoted\"\" note\",id1\r\n"
              "md5,\"" MD5 "\",\"two\r\nlines\nthree\",  id2  \r\n"
              "pdq,  " PDQ2 "  ,\"  kept  \" , \"x\"\r\n"
              "\r\n"
              "md5," MD5 ",\"\",\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_CSV);
    CG_ASSERT_EQ(res.n, 4);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 2);
    CG_ASSERT_STR_EQ(res.r[0].s.note, "a, \"quoted\" note");
    CG_ASSERT_STR_EQ(res.r[0].s.external_id, "id1");
    ASSERT_GOOD(res, 1, "md5", MD5, 3);
    CG_ASSERT_STR_EQ(res.r[1].s.note, "two\r\nlines\nthree");
    CG_ASSERT_STR_EQ(res.r[1].s.external_id, "id2");
    ASSERT_GOOD(res, 2, "pdq", PDQ2, 6);
    CG_ASSERT_STR_EQ(res.r[2].s.note, "  kept  ");
    CG_ASSERT_STR_EQ(res.r[2].s.external_id, "x");
    ASSERT_GOOD(res, 3, "md5", MD5, 8);
    CG_ASSERT_STR_EQ(res.r[3].s.note, "");
    free_result(&res);
}

CG_TEST(list_csv_broken_quotes)
{
    cg_import_options o = opts(CG_LIST_CSV);
    result res;

    read_text("signal,note\n" PDQ1 ",\"closed\"junk\n" PDQ2 ",ok\n" MD5 ",\"open to the end\n"
              PDQ1 ",swallowed\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 3);
    ASSERT_REJECT(res, 0, "text after closing quote in field 2", 2);
    ASSERT_GOOD(res, 1, "pdq", PDQ2, 3);
    ASSERT_REJECT(res, 2, "unterminated quoted field", 4);
    free_result(&res);

    /* A quote inside an unquoted field is an ordinary character. */
    read_text("signal,note\n" PDQ1 ",5\" disk\n", &o, &res);
    CG_ASSERT_EQ(res.n, 1);
    CG_ASSERT_STR_EQ(res.r[0].s.note, "5\" disk");
    free_result(&res);
}

CG_TEST(list_csv_quoted_field_over_max_line_resyncs)
{
    cg_import_options o = opts(CG_LIST_CSV);
    char text[4096];
    char xs[301];
    result res;

    memset(xs, 'x', 300);
    xs[300] = '\0';
    o.max_line = 200;
    snprintf(text, sizeof(text),
             "type,signal,note\npdq," PDQ1 ",\"never closed\n%s\n%s\nmd5," MD5 ",after\n", xs,
             xs);
    read_text(text, &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 3);
    ASSERT_REJECT(res, 0, "quoted field runs past 200 bytes (unterminated quote?)", 2);
    ASSERT_REJECT(res, 1, "line longer than 200 bytes", 4);
    ASSERT_GOOD(res, 2, "md5", MD5, 5);
    CG_ASSERT_STR_EQ(res.r[2].s.note, "after");
    free_result(&res);
}

/* ---- TSV and JSONL -------------------------------------------------------------------------- */

CG_TEST(list_tsv_escapes)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    read_text("signal_type\tsignal\tnote\tsource\n"
              "pdq\t" PDQ1 "\ttab\\there\\nnewline \\\\ back \\q\t  spaced  \r\n"
              "md5\t" MD5 "\t\"quotes\" stay, commas too\tends in backslash\\\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_TSV);
    CG_ASSERT_EQ(res.n, 2);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 2);
    CG_ASSERT_STR_EQ(res.r[0].s.note, "tab\there\nnewline \\ back \\q");
    CG_ASSERT_STR_EQ(res.r[0].s.source, "  spaced  ");
    ASSERT_GOOD(res, 1, "md5", MD5, 3);
    CG_ASSERT_STR_EQ(res.r[1].s.note, "\"quotes\" stay, commas too");
    CG_ASSERT_STR_EQ(res.r[1].s.source, "ends in backslash\\");
    free_result(&res);
}

CG_TEST(list_jsonl)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    read_text("{\"signal_type\":\"pdq\",\"signal\":\"" PDQ1 "\",\"external_id\":\"x\","
              "\"quality\":90}\n"
              "\n"
              "{\"type\":\"video_md5\",\"hash\":\"" MD5 "\",\"id\":1234567890123,"
              "\"quality\":\"55\",\"note\":null,\"tags\":[\"a\"],\"extra\":{\"n\":1}}\n"
              "{\"pdq\":\"" PDQ2 "\",\"md5\":\"" MD5 "\"}\n"
              "{\"signal\":\"" PDQ1 "\",\"signal\":\"" PDQ2 "\"}\n"
              "{\"signal\":\"" PDQ1 "\",\"quality\":101}\n"
              "{\"signal\":\"" PDQ1 "\",\"quality\":9.5}\n"
              "{\"signal\":\"" PDQ1 "\",\"note\":true}\n"
              "[1,2]\n"
              "{\"signal\": \n"
              "{\"external_id\":\"no value\"}\n"
              "{\"signal\":\"" PDQ1 "\",\"note\":\"Tr\\u1ebb em \\ud83d\\ude00\"}\n",
              &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_JSONL);
    CG_ASSERT_EQ(res.n, 12);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 1);
    CG_ASSERT_STR_EQ(res.r[0].s.external_id, "x");
    CG_ASSERT_EQ(res.r[0].s.quality, 90);
    ASSERT_GOOD(res, 1, "md5", MD5, 3);
    CG_ASSERT_STR_EQ(res.r[1].s.external_id, "1234567890123");
    CG_ASSERT_EQ(res.r[1].s.quality, 55);
    CG_ASSERT_EQ(res.r[2].line, 4);
    CG_ASSERT_EQ(res.r[3].line, 4);
    CG_ASSERT(!res.r[2].rejected && !res.r[3].rejected);
    CG_ASSERT(strcmp(res.r[2].s.type->name, res.r[3].s.type->name) != 0);
    CG_ASSERT(res.r[4].rejected);
    CG_ASSERT(strncmp(res.r[4].reason, "bad JSON: duplicate object key", 30) == 0);
    ASSERT_REJECT(res, 5, "quality must be 0..100", 6);
    ASSERT_REJECT(res, 6, "quality must be 0..100", 7);
    ASSERT_REJECT(res, 7, "note must be a string", 8);
    ASSERT_REJECT(res, 8, "not a JSON object", 9);
    CG_ASSERT(res.r[9].rejected);
    CG_ASSERT(strncmp(res.r[9].reason, "bad JSON: ", 10) == 0);
    ASSERT_REJECT(res, 10, "missing signal value", 11);
    ASSERT_GOOD(res, 11, "pdq", PDQ1, 12);
    CG_ASSERT_STR_EQ(res.r[11].s.note, "Tr\xe1\xba\xbb em \xf0\x9f\x98\x80");
    free_result(&res);
}

/* ---- detection ------------------------------------------------------------------------------ */

CG_TEST(list_auto_detection)
{
    static const struct {
        const char *text;
        cg_list_format want;
    } cases[] = {
        {"", CG_LIST_LINES},
        {"\n\n   \n", CG_LIST_LINES},
        {PDQ1 "\n", CG_LIST_LINES},
        {"# hashes\n# signal,hash\n" PDQ1 "\n", CG_LIST_LINES},
        {PDQ1 ",100,hash.jpg\n", CG_LIST_LINES},          /* reference hasher, no header */
        {"\n  {\"signal\":\"" PDQ1 "\"}\n", CG_LIST_JSONL},
        {"signal_type,signal\n", CG_LIST_CSV},
        {"\xef\xbb\xbf\"Hash\",\"Notes\"\r\n", CG_LIST_CSV},
        {"# exported\nid,pdq\n", CG_LIST_CSV},
        {"hash\tnote\n", CG_LIST_TSV},
        {"a\tb,signal\n", CG_LIST_CSV},                  /* the tab split names nothing */
        {"name,size\n", CG_LIST_LINES},                    /* no column we know */
        {"pdq " PDQ1 "\n", CG_LIST_LINES},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cg_import_options o = opts(CG_LIST_AUTO);
        cg__list_reader *rd = NULL;
        cg_error err = {0};
        FILE *f = fmemopen((void *)cases[i].text, strlen(cases[i].text), "r");

        if (f == NULL && strlen(cases[i].text) == 0)
            continue; /* old C libraries refuse an empty memory stream */
        CG_ASSERT(f != NULL);
        CG_ASSERT_OK(cg__list_reader_open(f, &o, &rd, &err), &err);
        if (cg__list_reader_format(rd) != cases[i].want)
            cg_test_fail(__FILE__, __LINE__, "case %zu: format %d, want %d", i,
                         (int)cg__list_reader_format(rd), (int)cases[i].want);
        cg__list_reader_close(rd);
        fclose(f);
    }
}

/* ---- rejects -------------------------------------------------------------------------------- */

CG_TEST(list_reject_reasons_and_line_numbers)
{
    cg_import_options o = opts(CG_LIST_CSV);
    char *text = malloc(16384), *p;
    char longnote[CG_BANK_TEXT_MAX + 2], longid[CG_BANK_FIELD_MAX + 2];
    result res;

    CG_ASSERT(text != NULL);
    memset(longnote, 'n', sizeof(longnote) - 1);
    longnote[sizeof(longnote) - 1] = '\0';
    memset(longid, 'i', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    p = text;
    p += sprintf(p, "signal_type,signal,quality,note,external_id,disabled_until,source\n");
    p += sprintf(p, "pdq,%.63s,,,,,\n", PDQ1);                      /* 2 */
    p += sprintf(p, "pdq,%.62sxg,,,,,\n", PDQ1);                    /* 3 */
    p += sprintf(p, "foo," PDQ1 ",,,,,\n");                          /* 4 */
    p += sprintf(p, "pdq," PDQ1 ",-1,,,,\n");                        /* 5 */
    p += sprintf(p, "pdq," PDQ1 ",abc,,,,\n");                       /* 6 */
    p += sprintf(p, "pdq," PDQ1 ",,%s,,,\n", longnote);              /* 7 */
    p += sprintf(p, "pdq," PDQ1 ",,,%s,,\n", longid);                /* 8 */
    p += sprintf(p, "pdq," PDQ1 ",,bad \xc3\x28 utf8,,,\n");         /* 9 */
    p += sprintf(p, "pdq," PDQ1 ",,,,soon,\n");                      /* 10 */
    p += sprintf(p, "pdq," PDQ1 ",,,,,\xed\xa0\x80\n");              /* 11: a surrogate */
    p += sprintf(p, "md5,,,,,,\n");                                  /* 12 */
    p += sprintf(p, "pdq," PDQ1 ",100,%.*s,%.*s,9223372036854775807,\xc3\xa9\n", /* 13 */
                 CG_BANK_TEXT_MAX, longnote, CG_BANK_FIELD_MAX, longid);
    p += sprintf(p, "pdq," PDQ1 ",,,,9223372036854775808,\n");       /* 14 */
    read_text(text, &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 13);
    ASSERT_REJECT(res, 0, "bad hex in signal (expected 64 hex digits for pdq, got 63)", 2);
    ASSERT_REJECT(res, 1, "bad hex in signal (non-hex character 'x' at position 63)", 3);
    ASSERT_REJECT(res, 2, "unknown signal type 'foo'", 4);
    ASSERT_REJECT(res, 3, "quality must be 0..100", 5);
    ASSERT_REJECT(res, 4, "quality must be 0..100", 6);
    ASSERT_REJECT(res, 5, "note longer than 1024 bytes", 7);
    ASSERT_REJECT(res, 6, "external_id longer than 256 bytes", 8);
    ASSERT_REJECT(res, 7, "note is not valid UTF-8", 9);
    ASSERT_REJECT(res, 8, "disabled_until must be unix seconds (an integer >= 0)", 10);
    ASSERT_REJECT(res, 9, "source is not valid UTF-8", 11);
    ASSERT_REJECT(res, 10, "missing signal value", 12);
    ASSERT_GOOD(res, 11, "pdq", PDQ1, 13);
    CG_ASSERT_EQ(strlen(res.r[11].s.note), CG_BANK_TEXT_MAX);
    CG_ASSERT_EQ(strlen(res.r[11].s.external_id), CG_BANK_FIELD_MAX);
    CG_ASSERT_EQ(res.r[11].s.disabled_until, INT64_MAX);
    CG_ASSERT_STR_EQ(res.r[11].s.source, "\xc3\xa9");
    ASSERT_REJECT(res, 12, "disabled_until must be unix seconds (an integer >= 0)", 14);
    free_result(&res);
    free(text);
}

CG_TEST(list_max_line_boundary_and_nul)
{
    cg_import_options o = opts(CG_LIST_LINES);
    char text[8192];
    result res;

    /* Exactly max_line bytes is accepted; one more is not. The line after is read. */
    o.max_line = 64;
    read_text(PDQ1 "\n" PDQ1 " \n" MD5 "\n", &o, &res);
    CG_ASSERT_EQ(res.n, 3);
    ASSERT_GOOD(res, 0, "pdq", PDQ1, 1);
    ASSERT_REJECT(res, 1, "line longer than 64 bytes", 2);
    ASSERT_GOOD(res, 2, "md5", MD5, 3);
    free_result(&res);

    /* A NUL after the first 4 KiB rejects its line only. */
    o.max_line = 0;
    memset(text, ' ', 5000);
    text[4999] = '\n';
    memcpy(text + 5000, "ab\0cd\n" MD5 "\n", 6 + 33);
    read_text_len(text, 5000 + 6 + 33, &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 2);
    ASSERT_REJECT(res, 0, "NUL byte in line", 2);
    ASSERT_GOOD(res, 1, "md5", MD5, 3);
    CG_ASSERT_EQ(res.bytes, 5000 + 6 + 33);
    free_result(&res);
}

/* ---- fatal cases ---------------------------------------------------------------------------- */

CG_TEST(list_fatal_binary_input)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    static const unsigned char utf16[] = {0xff, 0xfe, 'p', 0, 'd', 0, 'q', 0};
    cg_import_options o = opts(CG_LIST_AUTO);
    char text[200];
    result res;

    read_text_len((const char *)png, sizeof(png), &o, &res);
    CG_ASSERT_EQ(res.st, CG_E_INVAL);
    CG_ASSERT(strstr(res.err.message, "binary data") != NULL);
    read_text_len((const char *)utf16, sizeof(utf16), &o, &res);
    CG_ASSERT_EQ(res.st, CG_E_INVAL);
    CG_ASSERT(strstr(res.err.message, "UTF-16") != NULL);
    snprintf(text, sizeof(text), "%s\n%s\nx", PDQ1, MD5);
    text[strlen(text) - 1] = '\0';
    read_text_len(text, strlen(text) + 1, &o, &res);
    CG_ASSERT_EQ(res.st, CG_E_INVAL);
    CG_ASSERT(strncmp(res.err.message, "line 3: binary data", 19) == 0);
}

CG_TEST(list_fatal_when_first_100_lines_rejected)
{
    cg_import_options o = opts(CG_LIST_LINES);
    char *text = malloc(300 * 80), *p;
    result res;

    CG_ASSERT(text != NULL);
    /* 100 bad lines: fatal on the 100th, naming it. */
    p = text;
    p += sprintf(p, "# header comment\n");
    for (int i = 0; i < 150; i++)
        p += sprintf(p, "not a hash %d\n", i);
    read_text(text, &o, &res);
    CG_ASSERT_EQ(res.st, CG_E_INVAL);
    CG_ASSERT_EQ(res.n, 99);
    CG_ASSERT(strncmp(res.err.message, "line 101: does not look like a hash list", 40) == 0);
    free_result(&res);

    /* 99 bad lines then a good one, or one good line first: never fatal. */
    p = text;
    for (int i = 0; i < 99; i++)
        p += sprintf(p, "bad %d\n", i);
    p += sprintf(p, PDQ1 "\n");
    for (int i = 0; i < 150; i++)
        p += sprintf(p, "bad %d\n", i);
    read_text(text, &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.n, 250);
    ASSERT_GOOD(res, 99, "pdq", PDQ1, 100);
    free_result(&res);
    free(text);
}

CG_TEST(list_read_error_is_io)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    FILE *f = fopen(cg_test_tmpdir(), "r"); /* a directory: reading fails with EISDIR */
    result res;

    if (f == NULL)
        CG_SKIP("cannot open a directory as a stream here");
    read_stream(f, &o, &res);
    fclose(f);
    CG_ASSERT_EQ(res.st, CG_E_IO);
    CG_ASSERT(strstr(res.err.message, "read error") != NULL);
}

CG_TEST(list_open_rejects_bad_options)
{
    cg_import_options o = opts((cg_list_format)9);
    cg__list_reader *rd = (cg__list_reader *)&o;
    cg_error err = {0};
    char src[CG_BANK_FIELD_MAX + 2];
    FILE *f = fmemopen((void *)"x\n", 2, "r");

    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(cg__list_reader_open(f, &o, &rd, &err), CG_E_INVAL);
    CG_ASSERT(rd == NULL);
    o = opts(CG_LIST_AUTO);
    memset(src, 's', sizeof(src) - 1);
    src[sizeof(src) - 1] = '\0';
    o.source = src;
    CG_ASSERT_EQ(cg__list_reader_open(f, &o, &rd, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg__list_reader_open(NULL, NULL, &rd, &err), CG_E_INVAL);
    cg__list_reader_close(NULL);
    fclose(f);
}

/* ---- streaming ------------------------------------------------------------------------------ */

typedef struct feeder {
    int fd;
    size_t bytes; /* of the long line */
} feeder;

static void *feed(void *arg)
{
    feeder *fd = arg;
    static char chunk[65536];
    size_t left = fd->bytes;
    const char *tail = "\n" PDQ1 "\n";

    memset(chunk, 'a', sizeof(chunk));
    while (left > 0) {
        const size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        const ssize_t w = write(fd->fd, chunk, n);

        if (w <= 0)
            break;
        left -= (size_t)w;
    }
    if (write(fd->fd, tail, strlen(tail)) < 0)
        perror("write");
    close(fd->fd);
    return NULL;
}

/* 50 MB without a newline through a pipe: one rejected line, then the next line, with the same
 * handful of allocations whatever the size (the reader never holds more than max_line). */
CG_TEST(list_long_line_streams_in_bounded_memory)
{
    cg_import_options o = opts(CG_LIST_AUTO);
    int fds[2];
    pthread_t th;
    feeder fd;
    FILE *f;
    result res;
    long allocs;

    CG_ASSERT_EQ(pipe(fds), 0);
    fd.fd = fds[1];
    fd.bytes = (size_t)50 << 20;
    CG_ASSERT_EQ(pthread_create(&th, NULL, feed, &fd), 0);
    f = fdopen(fds[0], "r");
    CG_ASSERT(f != NULL);
    cg__alloc_fail_at(0);
    read_stream(f, &o, &res);
    allocs = cg__alloc_count();
    fclose(f);
    pthread_join(th, NULL);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, CG_LIST_LINES);
    CG_ASSERT_EQ(res.n, 2);
    ASSERT_REJECT(res, 0, "line longer than 65536 bytes", 1);
    ASSERT_GOOD(res, 1, "pdq", PDQ1, 2);
    CG_ASSERT_EQ(res.bytes, fd.bytes + 66);
    CG_ASSERT_LE(allocs, 4);
    free_result(&res);
}

/* ---- writing and round trips ---------------------------------------------------------------- */

static void make_signals(cg_bank_signal *s, size_t n)
{
    static const char *const notes[] = {
        "plain", "a, comma", "say \"hi\"", "two\nlines", "tab\there", "Tr\xe1\xba\xbb em",
        "emoji \xf0\x9f\x98\x80", "back\\slash \\n not a newline", "  spaces  ", "",
        "crlf\r\nend\r", "#not a comment",
    };
    static const char *const hexes[] = {PDQ1, MD5, SHA, PDQ2};
    static const char *const types[] = {"pdq", "md5", "sha256", "pdq"};

    for (size_t i = 0; i < n; i++) {
        memset(&s[i], 0, sizeof(s[i]));
        s[i].type = cg_signal_type_find(types[i % 4]);
        CG_ASSERT_OK(s[i].type->parse(hexes[i % 4], strlen(hexes[i % 4]), s[i].value), NULL);
        s[i].quality = i % 3 == 0 ? -1 : (int)(i * 7 % 101);
        snprintf(s[i].note, sizeof(s[i].note), "%s", notes[i % 12]);
        snprintf(s[i].external_id, sizeof(s[i].external_id), "id,%zu \"%s\"", i,
                 i % 2 ? "\xe2\x9c\x93" : "\t");
        snprintf(s[i].source, sizeof(s[i].source), "%s", i % 4 ? "stopncii" : "");
        s[i].added = 1700000000 + (int64_t)i;
        s[i].disabled_until = i % 5 == 0 ? INT64_MAX : 0;
    }
}

static void round_trip(cg_list_format format)
{
    enum { N = 24 };
    cg_bank_signal in[N];
    cg_bank bank;
    cg_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cg_import_options o = opts(CG_LIST_AUTO);
    result res;

    CG_ASSERT(f != NULL);
    make_signals(in, N);
    memset(&bank, 0, sizeof(bank));
    snprintf(bank.name, sizeof(bank.name), "csam-main");
    snprintf(bank.label, sizeof(bank.label), "csam, \"known\"");
    CG_ASSERT_OK(cg__list_write_header(f, format, &err), &err);
    for (size_t i = 0; i < N; i++) {
        if (format == CG_LIST_LINES && strcmp(in[i].type->name, "sha256") == 0)
            continue; /* bare hex: sha256 would need default_type */
        CG_ASSERT_OK(cg__list_write_row(f, format, &in[i], &bank, &err), &err);
    }
    fclose(f);
    read_text_len(buf, len, &o, &res);
    CG_ASSERT_OK(res.st, &res.err);
    CG_ASSERT_EQ(res.format, format == CG_LIST_AUTO ? CG_LIST_CSV : format);
    for (size_t i = 0, k = 0; i < N; i++) {
        const cg_bank_signal *a = &in[i], *b;

        if (format == CG_LIST_LINES && strcmp(a->type->name, "sha256") == 0)
            continue;
        CG_ASSERT_LT(k, res.n);
        if (res.r[k].rejected)
            cg_test_fail(__FILE__, __LINE__, "format %d, signal %zu rejected: %s", (int)format,
                         i, res.r[k].reason);
        b = &res.r[k++].s;
        CG_ASSERT(a->type == b->type);
        CG_ASSERT(memcmp(a->value, b->value, a->type->bytes) == 0);
        if (format == CG_LIST_LINES)
            continue;
        CG_ASSERT_EQ(a->quality, b->quality);
        CG_ASSERT_STR_EQ(a->note, b->note);
        CG_ASSERT_STR_EQ(a->external_id, b->external_id);
        CG_ASSERT_STR_EQ(a->source, b->source);
        CG_ASSERT_EQ(a->disabled_until, b->disabled_until);
    }
    free_result(&res);
    free(buf);
}

CG_TEST(list_round_trip_csv)
{
    round_trip(CG_LIST_CSV);
    round_trip(CG_LIST_AUTO);
}

CG_TEST(list_round_trip_tsv)
{
    round_trip(CG_LIST_TSV);
}

CG_TEST(list_round_trip_jsonl)
{
    round_trip(CG_LIST_JSONL);
}

CG_TEST(list_round_trip_lines)
{
    round_trip(CG_LIST_LINES);
}

CG_TEST(list_writer_exact_output)
{
    cg_bank_signal s;
    cg_bank bank;
    cg_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    CG_ASSERT(f != NULL);
    memset(&s, 0, sizeof(s));
    memset(&bank, 0, sizeof(bank));
    s.type = cg_signal_type_find("md5");
    CG_ASSERT_OK(s.type->parse(MD5, 32, s.value), NULL);
    s.quality = -1;
    snprintf(s.note, sizeof(s.note), "x, \"y\"");
    snprintf(s.external_id, sizeof(s.external_id), "a\tb");
    s.added = 5;
    snprintf(bank.name, sizeof(bank.name), "b1");
    CG_ASSERT_OK(cg__list_write_header(f, CG_LIST_CSV, &err), &err);
    CG_ASSERT_OK(cg__list_write_row(f, CG_LIST_CSV, &s, &bank, &err), &err);
    CG_ASSERT_OK(cg__list_write_header(f, CG_LIST_TSV, &err), &err);
    CG_ASSERT_OK(cg__list_write_row(f, CG_LIST_TSV, &s, &bank, &err), &err);
    CG_ASSERT_OK(cg__list_write_header(f, CG_LIST_JSONL, &err), &err);
    CG_ASSERT_OK(cg__list_write_row(f, CG_LIST_JSONL, &s, NULL, &err), &err);
    CG_ASSERT_OK(cg__list_write_row(f, CG_LIST_LINES, &s, NULL, &err), &err);
    fclose(f);
    CG_ASSERT_STR_EQ(buf,
        "signal_type,signal,bank,label,quality,source,external_id,note,added,disabled_until\n"
        "md5," MD5 ",b1,,,,a\tb,\"x, \"\"y\"\"\",5,0\n"
        "signal_type\tsignal\tbank\tlabel\tquality\tsource\texternal_id\tnote\tadded\t"
        "disabled_until\n"
        "md5\t" MD5 "\tb1\t\t\t\ta\\tb\tx, \"y\"\t5\t0\n"
        "{\"signal_type\":\"md5\",\"signal\":\"" MD5 "\",\"bank\":\"\",\"label\":\"\","
        "\"quality\":null,\"source\":\"\",\"external_id\":\"a\\tb\",\"note\":\"x, \\\"y\\\"\","
        "\"added\":5,\"disabled_until\":0}\n"
        MD5 "\n");
    free(buf);
}

CG_TEST(list_writer_reports_disk_full)
{
    cg_bank_signal s;
    cg_error err = {0};
    FILE *f = fopen("/dev/full", "w");

    if (f == NULL)
        CG_SKIP("no /dev/full");
    /* Rows are buffered (the caller flushes at the end); unbuffered, each write meets ENOSPC. */
    setvbuf(f, NULL, _IONBF, 0);
    memset(&s, 0, sizeof(s));
    s.type = cg_signal_type_find("pdq");
    for (int fmt = CG_LIST_LINES; fmt <= CG_LIST_JSONL; fmt++) {
        clearerr(f);
        memset(&err, 0, sizeof(err));
        CG_ASSERT_EQ(cg__list_write_row(f, (cg_list_format)fmt, &s, NULL, &err), CG_E_IO);
        CG_ASSERT(strstr(err.message, strerror(ENOSPC)) != NULL);
    }
    clearerr(f);
    CG_ASSERT_EQ(cg__list_write_header(f, CG_LIST_CSV, &err), CG_E_IO);
    CG_ASSERT(strstr(err.message, strerror(ENOSPC)) != NULL);
    fclose(f);
}

CG_TEST(list_writer_rejects_bad_arguments)
{
    cg_bank_signal s;
    cg_error err = {0};
    FILE *f = fopen("/dev/null", "w");

    CG_ASSERT(f != NULL);
    memset(&s, 0, sizeof(s));
    CG_ASSERT_EQ(cg__list_write_row(f, CG_LIST_CSV, &s, NULL, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg__list_write_header(f, (cg_list_format)7, &err), CG_E_INVAL);
    s.type = cg_signal_type_find("pdq");
    CG_ASSERT_EQ(cg__list_write_row(f, (cg_list_format)7, &s, NULL, &err), CG_E_INVAL);
    snprintf(s.note, sizeof(s.note), "bad \xff utf8");
    CG_ASSERT_EQ(cg__list_write_row(f, CG_LIST_JSONL, &s, NULL, &err), CG_E_INVAL);
    fclose(f);
}

/* ---- allocation failures -------------------------------------------------------------------- */

static cg_status read_all_once(const char *text, cg_list_format format)
{
    cg_import_options o = opts(format);
    cg__list_reader *rd = (cg__list_reader *)&o; /* poisoned: open must reset it */
    cg_error err = {0};
    cg_status st;
    FILE *f = fmemopen((void *)text, strlen(text), "r");

    CG_ASSERT(f != NULL);
    st = cg__list_reader_open(f, &o, &rd, &err);
    if (st == CG_OK) {
        cg_bank_signal s;
        const char *reject;
        int got = 1;

        while (st == CG_OK && got)
            st = cg__list_reader_next(rd, &s, &got, &reject, &err);
        cg__list_reader_close(rd);
    } else {
        CG_ASSERT(rd == NULL);
        CG_ASSERT_EQ(err.status, st);
    }
    fclose(f);
    return st;
}

CG_TEST(list_alloc_failure_each_point)
{
    static const struct {
        const char *text;
        cg_list_format format;
    } inputs[] = {
        {PDQ1 "\n" MD5 "\n", CG_LIST_AUTO},
        {"signal,note\n" PDQ1 ",\"x\"\n", CG_LIST_CSV},
        {"{\"signal\":\"" PDQ1 "\"}\n", CG_LIST_JSONL},
    };

    for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
        long n;

        for (n = 1;; n++) {
            cg_status st;
            long made;

            cg__alloc_fail_at(n);
            st = read_all_once(inputs[k].text, inputs[k].format);
            made = cg__alloc_count();
            cg__alloc_fail_at(0);
            if (made < n) {
                CG_ASSERT_OK(st, NULL);
                break;
            }
            if (st != CG_E_NOMEM)
                cg_test_fail(__FILE__, __LINE__, "input %zu: allocation %ld failed, got %s", k,
                             n, cg_status_name(st));
        }
        CG_ASSERT_GT(n, 1);
    }
}
