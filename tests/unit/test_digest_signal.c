/* Exact-copy digests (include/childguard/digest.h) against published vectors, and the signal
 * type table (include/childguard/signal.h). */
#include "cg_test.h"

#include <stdint.h>

#include "childguard.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void assert_digests(const cg_digests *d, const char *md5, const char *sha256)
{
    char hex[2 * CG_SHA256_BYTES + 1];

    if (md5 != NULL) {
        CG_ASSERT(d->which & CG_DIGEST_MD5);
        to_hex(d->md5, CG_MD5_BYTES, hex);
        CG_ASSERT_STR_EQ(hex, md5);
    }
    if (sha256 != NULL) {
        CG_ASSERT(d->which & CG_DIGEST_SHA256);
        to_hex(d->sha256, CG_SHA256_BYTES, hex);
        CG_ASSERT_STR_EQ(hex, sha256);
    }
}

typedef cg_test_rng splitmix;

/* ---- digests -------------------------------------------------------------------------------- */

/* RFC 1321 appendix A.5 and FIPS 180-2 appendix B. */
static const struct {
    const char *msg;
    const char *md5;
    const char *sha256;
} vectors[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0",
     "f7846f55cf23e14eebeab5b4e1550cad5b509e3348fbc4efa3a1413d393cb650"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "8215ef0796a20bcaaae116d3876c664a",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6",
     "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
};

CG_TEST(digest_known_vectors)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const size_t n = strlen(vectors[i].msg);
        cg_digests d;

        CG_ASSERT_OK(cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, vectors[i].msg, n, &d), NULL);
        CG_ASSERT_EQ(d.which, CG_DIGEST_MD5 | CG_DIGEST_SHA256);
        CG_ASSERT_EQ(d.bytes, n);
        assert_digests(&d, vectors[i].md5, vectors[i].sha256);

        /* One kind at a time: the other stays zero and unflagged. */
        CG_ASSERT_OK(cg_digest_mem(CG_DIGEST_MD5, vectors[i].msg, n, &d), NULL);
        CG_ASSERT_EQ(d.which, CG_DIGEST_MD5);
        assert_digests(&d, vectors[i].md5, NULL);
        for (int k = 0; k < CG_SHA256_BYTES; k++)
            CG_ASSERT_EQ(d.sha256[k], 0);
        CG_ASSERT_OK(cg_digest_mem(CG_DIGEST_SHA256, vectors[i].msg, n, &d), NULL);
        CG_ASSERT_EQ(d.which, CG_DIGEST_SHA256);
        assert_digests(&d, NULL, vectors[i].sha256);
        for (int k = 0; k < CG_MD5_BYTES; k++)
            CG_ASSERT_EQ(d.md5[k], 0);
    }
    /* NULL data with length 0 is the empty message. */
    {
        cg_digests d;
        CG_ASSERT_OK(cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, NULL, 0, &d), NULL);
        assert_digests(&d, vectors[0].md5, vectors[0].sha256);
    }
}

CG_TEST(digest_million_a_streamed_in_odd_chunks)
{
    static const size_t chunks[] = {1, 3, 7, 63, 64, 65, 127, 1000, 4093, 65537};
    char a[65537];
    cg_digest_ctx *ctx = NULL;
    cg_digests d;
    size_t done = 0;
    unsigned k = 0;

    memset(a, 'a', sizeof(a));
    CG_ASSERT_OK(cg_digest_create(CG_DIGEST_MD5 | CG_DIGEST_SHA256, &ctx), NULL);
    while (done < 1000000) {
        size_t n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];

        if (n > 1000000 - done)
            n = 1000000 - done;
        CG_ASSERT_OK(cg_digest_update(ctx, a, n), NULL);
        done += n;
        if (k % 5 == 0)
            CG_ASSERT_OK(cg_digest_update(ctx, a, 0), NULL); /* empty updates change nothing */
    }
    CG_ASSERT_OK(cg_digest_final(ctx, &d), NULL);
    CG_ASSERT_EQ(d.bytes, 1000000);
    assert_digests(&d, "7707d6ae4e027c70eea2a935c2296f21",
                   "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* A finished context takes no more input and gives no second result. */
    CG_ASSERT_EQ(cg_digest_update(ctx, a, 1), CG_E_INVAL);
    CG_ASSERT_EQ(cg_digest_final(ctx, &d), CG_E_INVAL);
    cg_digest_destroy(ctx);
    cg_digest_destroy(NULL);
}

CG_TEST(digest_bad_arguments)
{
    cg_digest_ctx *ctx = (cg_digest_ctx *)(uintptr_t)1; /* must be reset to NULL */
    cg_digests d;

    CG_ASSERT_EQ(cg_digest_create(0, &ctx), CG_E_INVAL);
    CG_ASSERT(ctx == NULL);
    CG_ASSERT_EQ(cg_digest_create(1u << 5, &ctx), CG_E_INVAL);
    CG_ASSERT_EQ(cg_digest_create(CG_DIGEST_MD5 | (1u << 2), &ctx), CG_E_INVAL);
    CG_ASSERT_EQ(cg_digest_mem(0, "abc", 3, &d), CG_E_INVAL);
    CG_ASSERT_EQ(cg_digest_update(NULL, "abc", 3), CG_E_INVAL);
    CG_ASSERT_EQ(cg_digest_final(NULL, &d), CG_E_INVAL);
    CG_ASSERT_OK(cg_digest_create(CG_DIGEST_SHA256, &ctx), NULL);
    CG_ASSERT_EQ(cg_digest_update(ctx, NULL, 5), CG_E_INVAL);
    CG_ASSERT_OK(cg_digest_update(ctx, NULL, 0), NULL);
    CG_ASSERT_OK(cg_digest_final(ctx, &d), NULL);
    assert_digests(&d, NULL, vectors[0].sha256);
    cg_digest_destroy(ctx);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    CG_ASSERT(f != NULL);
    CG_ASSERT_EQ(fwrite(data, 1, len, f), len);
    CG_ASSERT_EQ(fclose(f), 0);
}

CG_TEST(digest_file_equals_mem)
{
    /* Sizes around the 256 KiB read size. */
    static const size_t sizes[] = {0, 1, 262143, 262144, 262145, 700001};
    splitmix r = {7};
    char path[512];

    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        const size_t n = sizes[k];
        uint8_t *data = malloc(n + 1);
        cg_digests fm, ff;
        cg_error err = {0};

        CG_ASSERT(data != NULL);
        for (size_t i = 0; i < n; i++)
            data[i] = (uint8_t)cg_test_rng_next(&r);
        snprintf(path, sizeof(path), "%s/d%zu.bin", cg_test_tmpdir(), k);
        write_file(path, data, n);
        CG_ASSERT_OK(cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, data, n, &fm), NULL);
        CG_ASSERT_OK(cg_digest_file(CG_DIGEST_MD5 | CG_DIGEST_SHA256, path, &ff, &err), &err);
        CG_ASSERT_EQ(ff.which, fm.which);
        CG_ASSERT_EQ(ff.bytes, n);
        CG_ASSERT(memcmp(ff.md5, fm.md5, CG_MD5_BYTES) == 0);
        CG_ASSERT(memcmp(ff.sha256, fm.sha256, CG_SHA256_BYTES) == 0);
        free(data);
    }
    /* A known vector through a file. */
    snprintf(path, sizeof(path), "%s/abc.txt", cg_test_tmpdir());
    write_file(path, (const uint8_t *)"abc", 3);
    {
        cg_digests d;
        CG_ASSERT_OK(cg_digest_file(CG_DIGEST_SHA256, path, &d, NULL), NULL);
        assert_digests(&d, NULL, vectors[1].sha256);
    }
}

CG_TEST(digest_file_errors)
{
    char path[512];
    cg_digests d;
    cg_error err = {0};

    snprintf(path, sizeof(path), "%s/absent.bin", cg_test_tmpdir());
    memset(&d, 0x55, sizeof(d));
    CG_ASSERT_EQ(cg_digest_file(CG_DIGEST_MD5, path, &d, &err), CG_E_NOTFOUND);
    CG_ASSERT_EQ(err.status, CG_E_NOTFOUND);
    CG_ASSERT(strstr(err.message, "absent.bin") != NULL);
    CG_ASSERT_EQ(d.which, 0);
    CG_ASSERT_EQ(d.bytes, 0);
    CG_ASSERT_EQ(cg_digest_file(CG_DIGEST_MD5, path, &d, NULL), CG_E_NOTFOUND);
    /* A directory opens but cannot be read. */
    memset(&err, 0, sizeof(err));
    CG_ASSERT_EQ(cg_digest_file(CG_DIGEST_MD5, cg_test_tmpdir(), &d, &err), CG_E_IO);
    CG_ASSERT_EQ(err.status, CG_E_IO);
    /* Bad kinds are rejected for files too. */
    snprintf(path, sizeof(path), "%s/present.bin", cg_test_tmpdir());
    write_file(path, (const uint8_t *)"x", 1);
    CG_ASSERT_EQ(cg_digest_file(0, path, &d, &err), CG_E_INVAL);
}

/* ---- signal table --------------------------------------------------------------------------- */

CG_TEST(signal_table_rows)
{
    static const char *const names[] = {"pdq", "md5", "sha256"};
    const size_t count = cg_signal_type_count();

    CG_ASSERT_GE(count, 3);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const cg_signal_type *t = cg_signal_type_find(names[i]);
        CG_ASSERT(t != NULL);
        CG_ASSERT_STR_EQ(t->name, names[i]);
    }
    CG_ASSERT(cg_signal_type_find("PDQ") == NULL);
    CG_ASSERT(cg_signal_type_find("Md5") == NULL);
    CG_ASSERT(cg_signal_type_find("sha1") == NULL);
    CG_ASSERT(cg_signal_type_find("pdq ") == NULL);
    CG_ASSERT(cg_signal_type_find("pd") == NULL);
    CG_ASSERT(cg_signal_type_find("") == NULL);
    CG_ASSERT(cg_signal_type_find(NULL) == NULL);
    CG_ASSERT(cg_signal_type_at(count) == NULL);
    CG_ASSERT(cg_signal_type_at((size_t)-1) == NULL);
    for (size_t i = 0; i < count; i++) {
        const cg_signal_type *t = cg_signal_type_at(i);

        CG_ASSERT(t != NULL);
        CG_ASSERT(t->name != NULL && t->parse != NULL && t->format != NULL &&
                  t->distance != NULL);
        CG_ASSERT(cg_signal_type_find(t->name) == t);
        CG_ASSERT_GT(t->bytes, 0);
        CG_ASSERT_LE(t->bytes, CG_SIGNAL_MAX_BYTES);
        CG_ASSERT_EQ(t->hex_len, 2 * t->bytes);
        CG_ASSERT_GE(t->default_threshold, 0);
        CG_ASSERT_LE(t->default_threshold, t->max_distance);
        for (size_t j = 0; j < i; j++)
            CG_ASSERT(strcmp(t->name, cg_signal_type_at(j)->name) != 0);
    }
    CG_ASSERT_EQ(cg_signal_type_find("pdq")->bytes, 32);
    CG_ASSERT_EQ(cg_signal_type_find("md5")->bytes, CG_MD5_BYTES);
    CG_ASSERT_EQ(cg_signal_type_find("sha256")->bytes, CG_SHA256_BYTES);
    CG_ASSERT_EQ(cg_signal_type_find("pdq")->hex_len, CG_PDQ_HEX_LEN);
}

CG_TEST(signal_default_thresholds)
{
    const cg_signal_type *pdq = cg_signal_type_find("pdq");
    const cg_signal_type *md5 = cg_signal_type_find("md5");
    const cg_signal_type *sha = cg_signal_type_find("sha256");

    CG_ASSERT(pdq != NULL && md5 != NULL && sha != NULL);
    CG_ASSERT_EQ(pdq->default_threshold, CG_PDQ_MATCH_THRESHOLD);
    CG_ASSERT_EQ(pdq->default_threshold, 31);
    CG_ASSERT_EQ(pdq->max_distance, CG_PDQ_BITS);
    CG_ASSERT_EQ(md5->default_threshold, 0);
    CG_ASSERT_EQ(sha->default_threshold, 0);
}

CG_TEST(signal_parse_format_round_trip)
{
    splitmix r = {99};

    for (size_t t = 0; t < cg_signal_type_count(); t++) {
        const cg_signal_type *st = cg_signal_type_at(t);

        for (int rep = 0; rep < 50; rep++) {
            uint8_t v[CG_SIGNAL_MAX_BYTES], back[CG_SIGNAL_MAX_BYTES];
            char text[2 * CG_SIGNAL_MAX_BYTES + 2], upper[2 * CG_SIGNAL_MAX_BYTES + 2];

            for (size_t i = 0; i < st->bytes; i++)
                v[i] = (uint8_t)cg_test_rng_next(&r);
            if (rep == 0)
                memset(v, 0, st->bytes);
            if (rep == 1)
                memset(v, 0xff, st->bytes);
            memset(text, 'Z', sizeof(text));
            st->format(v, text);
            CG_ASSERT_EQ(strlen(text), st->hex_len);
            for (size_t i = 0; i < st->hex_len; i++)
                CG_ASSERT((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'));
            memset(back, 0xaa, sizeof(back));
            CG_ASSERT_OK(st->parse(text, st->hex_len, back), NULL);
            CG_ASSERT(memcmp(back, v, st->bytes) == 0);
            CG_ASSERT_EQ(st->distance(v, back), 0);
            for (size_t i = 0; i <= st->hex_len; i++)
                upper[i] = (text[i] >= 'a' && text[i] <= 'f') ? (char)(text[i] - 32) : text[i];
            memset(back, 0xaa, sizeof(back));
            CG_ASSERT_OK(st->parse(upper, st->hex_len, back), NULL);
            CG_ASSERT(memcmp(back, v, st->bytes) == 0);
        }
    }
}

CG_TEST(signal_parse_rejects_bad_text)
{
    static const char bad_chars[] = {'g', 'G', 'x', ' ', '-', '.', ':', '\0', '\n'};

    for (size_t t = 0; t < cg_signal_type_count(); t++) {
        const cg_signal_type *st = cg_signal_type_at(t);
        char text[2 * CG_SIGNAL_MAX_BYTES + 8];
        uint8_t out[CG_SIGNAL_MAX_BYTES];

        memset(text, '0', sizeof(text));
        text[sizeof(text) - 1] = '\0';
        /* Wrong lengths, with valid digits around. */
        CG_ASSERT_EQ(st->parse(text, st->hex_len - 1, out), CG_E_INVAL);
        CG_ASSERT_EQ(st->parse(text, st->hex_len - 2, out), CG_E_INVAL);
        CG_ASSERT_EQ(st->parse(text, st->hex_len + 1, out), CG_E_INVAL);
        CG_ASSERT_EQ(st->parse(text, st->hex_len + 2, out), CG_E_INVAL);
        CG_ASSERT_EQ(st->parse(text, 0, out), CG_E_INVAL);
        CG_ASSERT_OK(st->parse(text, st->hex_len, out), NULL);
        /* Non-hex characters. */
        for (size_t c = 0; c < sizeof(bad_chars); c++)
            for (size_t pos = 0; pos < st->hex_len; pos += st->hex_len / 4 - 1) {
                memset(text, 'a', st->hex_len);
                text[pos] = bad_chars[c];
                CG_ASSERT_EQ(st->parse(text, st->hex_len, out), CG_E_INVAL);
            }
    }
    /* The other types' lengths are not accepted. */
    {
        const cg_signal_type *md5 = cg_signal_type_find("md5");
        const cg_signal_type *sha = cg_signal_type_find("sha256");
        uint8_t out[CG_SIGNAL_MAX_BYTES];
        CG_ASSERT_EQ(md5->parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                64, out),
                     CG_E_INVAL);
        CG_ASSERT_EQ(sha->parse("d41d8cd98f00b204e9800998ecf8427e", 32, out), CG_E_INVAL);
    }
}

CG_TEST(signal_exact_distance)
{
    const char *const names[] = {"md5", "sha256"};
    splitmix r = {5};

    for (size_t t = 0; t < 2; t++) {
        const cg_signal_type *st = cg_signal_type_find(names[t]);
        uint8_t a[CG_SIGNAL_MAX_BYTES], b[CG_SIGNAL_MAX_BYTES];

        for (size_t i = 0; i < st->bytes; i++)
            a[i] = (uint8_t)cg_test_rng_next(&r);
        memcpy(b, a, st->bytes);
        CG_ASSERT_EQ(st->distance(a, b), 0);
        CG_ASSERT_LE(st->distance(a, b), st->default_threshold);
        /* Any single-bit difference is a non-match, wherever it is. */
        for (size_t bit = 0; bit < st->bytes * 8; bit++) {
            int d;
            b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            d = st->distance(a, b);
            CG_ASSERT_GT(d, st->default_threshold);
            CG_ASSERT_LE(d, st->max_distance);
            CG_ASSERT_EQ(st->distance(b, a), d);
            b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* A digest of the data through the row's text form matches itself only. */
        {
            cg_digests d1, d2;
            char text[2 * CG_SIGNAL_MAX_BYTES + 1];
            uint8_t v1[CG_SIGNAL_MAX_BYTES], v2[CG_SIGNAL_MAX_BYTES];
            const unsigned kind = t == 0 ? CG_DIGEST_MD5 : CG_DIGEST_SHA256;

            CG_ASSERT_OK(cg_digest_mem(kind, "abc", 3, &d1), NULL);
            CG_ASSERT_OK(cg_digest_mem(kind, "abd", 3, &d2), NULL);
            st->format(t == 0 ? d1.md5 : d1.sha256, text);
            CG_ASSERT_STR_EQ(text, t == 0 ? vectors[1].md5 : vectors[1].sha256);
            CG_ASSERT_OK(st->parse(text, st->hex_len, v1), NULL);
            st->format(t == 0 ? d2.md5 : d2.sha256, text);
            CG_ASSERT_OK(st->parse(text, st->hex_len, v2), NULL);
            CG_ASSERT_EQ(st->distance(v1, v1), 0);
            CG_ASSERT_GT(st->distance(v1, v2), st->default_threshold);
        }
    }
}

CG_TEST(signal_pdq_distance_matches_pdq)
{
    const cg_signal_type *st = cg_signal_type_find("pdq");
    splitmix r = {2025};
    cg_pdq hashes[24];

    CG_ASSERT(st != NULL);
    /* Random hashes, plus a few structured ones (all zero, all one, single rows). */
    for (int i = 0; i < 24; i++)
        for (int w = 0; w < 16; w++)
            hashes[i].words[w] = (uint16_t)cg_test_rng_next(&r);
    memset(&hashes[0], 0, sizeof(cg_pdq));
    memset(&hashes[1], 0xff, sizeof(cg_pdq));
    memset(&hashes[2], 0, sizeof(cg_pdq));
    hashes[2].words[0] = 0x0001;
    memset(&hashes[3], 0, sizeof(cg_pdq));
    hashes[3].words[15] = 0x8000;
    hashes[4] = hashes[5];
    hashes[4].words[7] ^= 0x0100;
    for (int i = 0; i < 24; i++) {
        char hex[CG_PDQ_HEX_LEN + 1], text[CG_PDQ_HEX_LEN + 1];
        uint8_t vi[CG_SIGNAL_MAX_BYTES];
        cg_pdq back;

        /* The row's text form is the PDQ hex form, both ways. */
        cg_pdq_to_hex(&hashes[i], hex);
        CG_ASSERT_OK(st->parse(hex, CG_PDQ_HEX_LEN, vi), NULL);
        st->format(vi, text);
        CG_ASSERT_STR_EQ(text, hex);
        CG_ASSERT_OK(cg_pdq_from_hex(text, CG_PDQ_HEX_LEN, &back), NULL);
        CG_ASSERT_EQ(cg_pdq_distance(&back, &hashes[i]), 0);
        for (int j = 0; j < 24; j++) {
            uint8_t vj[CG_SIGNAL_MAX_BYTES];
            char hj[CG_PDQ_HEX_LEN + 1];
            int d;

            cg_pdq_to_hex(&hashes[j], hj);
            CG_ASSERT_OK(st->parse(hj, CG_PDQ_HEX_LEN, vj), NULL);
            d = st->distance(vi, vj);
            CG_ASSERT_EQ(d, cg_pdq_distance(&hashes[i], &hashes[j]));
            CG_ASSERT_LE(d, st->max_distance);
        }
    }
    /* Spot values that do not depend on cg_pdq_distance being right. */
    {
        uint8_t z[CG_SIGNAL_MAX_BYTES], o[CG_SIGNAL_MAX_BYTES];
        memset(z, 0, sizeof(z));
        memset(o, 0xff, sizeof(o));
        CG_ASSERT_EQ(st->distance(z, o), 256);
        CG_ASSERT_EQ(st->distance(z, z), 0);
        o[31] = 0xfe;
        CG_ASSERT_EQ(st->distance(z, o), 255);
        CG_ASSERT_EQ(cg_pdq_distance(&hashes[4], &hashes[5]), 1);
        CG_ASSERT_EQ(cg_pdq_distance(&hashes[0], &hashes[1]), 256);
    }
}
