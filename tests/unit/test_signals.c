/* The content pipeline (signals.h), the shared PDQ hasher pool (pdq.h), the signal-type guesser
 * (signal.h) and the ISO-8601 parser (timestamp.h). */
#include "cg_test.h"
#include "cg_testenc.h"

#include <pthread.h>

#include "childguard.h"

/* A 96x64 RGB JPEG with a gradient and a disc: enough structure for a PDQ of good quality. */
static void make_jpeg(cg_membuf *out)
{
    enum { W = 96, H = 64 };
    static uint8_t pix[W * H * 3];

    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = pix + 3 * (y * W + x);
            int in = (x - 40) * (x - 40) + (y - 30) * (y - 30) < 400;
            p[0] = (uint8_t)(in ? 230 : 2 * x);
            p[1] = (uint8_t)(in ? 20 : 3 * y);
            p[2] = (uint8_t)(x + y);
        }
    cg_test_encode_jpeg(pix, W, H, 3, 90, 0, NULL, 0, out);
}

/* The one call gives what decode + PDQ + digests give done by hand. */
CG_TEST(signals_image_equal_to_the_steps_by_hand)
{
    cg_membuf jpg = {0};
    cg_signals_options o;
    cg_signals s;
    cg_pdq_hasher_pool *pool = NULL;
    cg_pdq_hasher *h = NULL;
    cg_image *img = NULL;
    cg_pdq_result want;
    cg_digests d;
    cg_error err;

    make_jpeg(&jpg);
    CG_ASSERT_OK(cg_pdq_hasher_pool_create(0, &pool), NULL);
    cg_signals_options_default(&o);
    o.want |= CG_SIGNALS_KEEP_IMAGE;
    CG_ASSERT_OK(cg_signals_compute(jpg.data, jpg.len, &o, pool, &s, &err), &err);
    CG_ASSERT_EQ(s.format, CG_FORMAT_JPEG);
    CG_ASSERT_EQ(s.decode_status, CG_OK);
    CG_ASSERT(s.has_pdq && s.has_digests && s.image != NULL);
    CG_ASSERT_EQ(s.width, 96);
    CG_ASSERT_EQ(s.height, 64);
    CG_ASSERT_EQ(s.bytes, jpg.len);

    CG_ASSERT_OK(cg_image_decode_mem(jpg.data, jpg.len, NULL, &img, &err), &err);
    CG_ASSERT_OK(cg_pdq_hasher_create(&h), NULL);
    CG_ASSERT_OK(cg_pdq_hash_image(h, img, 0, &want), NULL);
    CG_ASSERT_EQ(cg_pdq_distance(&want.hash, &s.pdq.hash), 0);
    CG_ASSERT_EQ(want.quality, s.pdq.quality);
    CG_ASSERT_OK(cg_digest_mem(CG_DIGEST_MD5 | CG_DIGEST_SHA256, jpg.data, jpg.len, &d), NULL);
    CG_ASSERT(memcmp(d.md5, s.digests.md5, 16) == 0);
    CG_ASSERT(memcmp(d.sha256, s.digests.sha256, 32) == 0);
    cg_signals_fini(&s);
    cg_signals_fini(&s); /* twice is safe */
    cg_image_destroy(img);
    cg_pdq_hasher_destroy(h);
    cg_pdq_hasher_pool_destroy(pool);
    cg_membuf_free(&jpg);
}

/* Bytes that are not an image keep their digests; a corrupt image says why, digests stand. */
CG_TEST(signals_non_image_and_corrupt_image_keep_digests)
{
    static const uint8_t text[] = "synthetic test text, not an image";
    cg_membuf jpg = {0};
    cg_signals_options o;
    cg_signals s;
    cg_pdq_hasher_pool *pool = NULL;
    cg_error err;

    CG_ASSERT_OK(cg_pdq_hasher_pool_create(1, &pool), NULL);
    cg_signals_options_default(&o);
    CG_ASSERT_OK(cg_signals_compute(text, sizeof(text) - 1, &o, pool, &s, &err), &err);
    CG_ASSERT_EQ(s.format, CG_FORMAT_UNKNOWN);
    CG_ASSERT(s.video_container == NULL);
    CG_ASSERT(!s.has_pdq && s.has_digests);
    CG_ASSERT_EQ(s.decode_status, CG_E_UNSUPPORTED);
    CG_ASSERT(strstr(s.decode_error.message, "not a recognised image format") != NULL);
    cg_signals_fini(&s);

    make_jpeg(&jpg);
    jpg.len /= 3; /* cut: the header says JPEG, the data ends early */
    CG_ASSERT_OK(cg_signals_compute(jpg.data, jpg.len, &o, pool, &s, &err), &err);
    CG_ASSERT_EQ(s.format, CG_FORMAT_JPEG);
    CG_ASSERT_NE(s.decode_status, CG_OK);
    CG_ASSERT(s.decode_error.message[0] != '\0');
    CG_ASSERT(!s.has_pdq && s.has_digests);
    cg_signals_fini(&s);

    /* Only the digests asked for: no hasher pool needed. */
    o.want = CG_SIGNALS_SHA256;
    CG_ASSERT_OK(cg_signals_compute(text, sizeof(text) - 1, &o, NULL, &s, &err), &err);
    CG_ASSERT(s.has_digests && (s.digests.which & CG_DIGEST_SHA256) &&
              !(s.digests.which & CG_DIGEST_MD5));
    CG_ASSERT_EQ(s.decode_status, CG_OK);
    cg_signals_fini(&s);
    /* PDQ without a pool is a clear error, not a crash. */
    o.want = CG_SIGNALS_PDQ;
    CG_ASSERT_EQ(cg_signals_compute(text, sizeof(text) - 1, &o, NULL, &s, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "pool") != NULL);
    cg_signals_fini(&s);
    cg_pdq_hasher_pool_destroy(pool);
    cg_membuf_free(&jpg);
}

typedef struct pool_job {
    cg_pdq_hasher_pool *pool;
    const cg_membuf *jpg;
    cg_pdq hash;
    int ok;
} pool_job;

static void *pool_worker(void *arg)
{
    pool_job *j = arg;
    cg_signals_options o;
    cg_signals s;
    cg_error err;

    cg_signals_options_default(&o);
    j->ok = 1;
    for (int i = 0; i < 20 && j->ok; i++) {
        j->ok = cg_signals_compute(j->jpg->data, j->jpg->len, &o, j->pool, &s, &err) == CG_OK &&
                s.has_pdq;
        j->hash = s.pdq.hash;
        cg_signals_fini(&s);
    }
    return NULL;
}

/* A bounded pool shared by more threads than hashers: everyone waits its turn and gets the
 * same hash. */
CG_TEST(pdq_hasher_pool_bounded_shared_by_threads)
{
    cg_membuf jpg = {0};
    cg_pdq_hasher_pool *pool = NULL;
    pthread_t t[4];
    pool_job jobs[4];

    make_jpeg(&jpg);
    CG_ASSERT_OK(cg_pdq_hasher_pool_create(2, &pool), NULL);
    for (int i = 0; i < 4; i++) {
        jobs[i] = (pool_job){pool, &jpg, {{0}}, 0};
        CG_ASSERT_EQ(pthread_create(&t[i], NULL, pool_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        CG_ASSERT(jobs[i].ok);
        CG_ASSERT_EQ(cg_pdq_distance(&jobs[i].hash, &jobs[0].hash), 0);
    }
    cg_pdq_hasher_pool_destroy(pool);
    cg_pdq_hasher_pool_destroy(NULL);
    cg_membuf_free(&jpg);
}

CG_TEST(signal_type_guess_by_length_and_flags)
{
    const cg_signal_type *t[4] = {NULL};

    CG_ASSERT_EQ(cg_signal_type_guess(64, t, 4), 2);
    CG_ASSERT_STR_EQ(t[0]->name, "pdq");
    CG_ASSERT_STR_EQ(t[1]->name, "sha256");
    CG_ASSERT_EQ(cg_signal_type_guess(32, t, 4), 1);
    CG_ASSERT_STR_EQ(t[0]->name, "md5");
    CG_ASSERT_EQ(cg_signal_type_guess(40, t, 4), 0);
    CG_ASSERT_EQ(cg_signal_type_guess(64, t, 1), 2); /* counts past max, writes one */
    CG_ASSERT(cg_signal_type_find("vpdq")->flags & CG_SIGNAL_VIDEO);
    CG_ASSERT(cg_signal_type_find("pdq")->flags & CG_SIGNAL_PERCEPTUAL);
    CG_ASSERT(cg_signal_type_find("md5")->flags & CG_SIGNAL_EXACT);
    CG_ASSERT(!(cg_signal_type_find("pdq")->flags & CG_SIGNAL_EXACT));
}

CG_TEST(timestamp_parse_forms_and_refusals)
{
    int64_t ms;
    int timed;

    CG_ASSERT_OK(cg_timestamp_parse("2026-03-05T22:00:00Z", &ms, &timed), NULL);
    CG_ASSERT_EQ(ms, 1772748000000LL);
    CG_ASSERT_EQ(timed, 1);
    CG_ASSERT_OK(cg_timestamp_parse("2026-03-06T05:00:00+07:00", &ms, NULL), NULL);
    CG_ASSERT_EQ(ms, 1772748000000LL);
    CG_ASSERT_OK(cg_timestamp_parse("2026-03-05 21:00:00-0100", &ms, NULL), NULL);
    CG_ASSERT_EQ(ms, 1772748000000LL);
    CG_ASSERT_OK(cg_timestamp_parse("2026-03-05T22:00:00.25", &ms, NULL), NULL);
    CG_ASSERT_EQ(ms, 1772748000250LL);
    CG_ASSERT_OK(cg_timestamp_parse("2026-03-05", &ms, &timed), NULL);
    CG_ASSERT_EQ(ms, 1772668800000LL);
    CG_ASSERT_EQ(timed, 0);
    CG_ASSERT_OK(cg_timestamp_parse("2016-12-31T23:59:60Z", &ms, NULL), NULL);
    CG_ASSERT_OK(cg_timestamp_parse("2024-02-29", &ms, NULL), NULL);
    static const char *const bad[] = {
        "", "2026", "2026-3-05", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10",
        "2026-03-05T24:00:00Z", "2026-03-05T22:00", "2026-03-05T22:00:00.", "2026-03-05Tjunk",
        "2026-03-05T22:00:00Zx", "2026-03-05T22:00:00+7", "2026-03-05T22:00:00+07:0x",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ms = 42;
        if (cg_timestamp_parse(bad[i], &ms, NULL) != CG_E_INVAL || ms != 0)
            cg_test_fail(__FILE__, __LINE__, "\"%s\" was accepted (%lld)", bad[i],
                         (long long)ms);
    }
    CG_ASSERT_EQ(cg_timestamp_parse(NULL, &ms, NULL), CG_E_INVAL);
}

CG_TEST(hex_codec_round_trip)
{
    static const uint8_t b[] = {0x00, 0x7f, 0x80, 0xff, 0x1a};
    uint8_t back[5];
    char text[11];

    cg_hex_encode(b, sizeof(b), text);
    CG_ASSERT_STR_EQ(text, "007f80ff1a");
    CG_ASSERT_OK(cg_hex_decode("007F80FF1A", 10, back, 5), NULL);
    CG_ASSERT(memcmp(b, back, 5) == 0);
    CG_ASSERT_EQ(cg_hex_decode("007F80FF1", 9, back, 5), CG_E_INVAL);
    CG_ASSERT_EQ(cg_hex_decode("007F80FF1g", 10, back, 5), CG_E_INVAL);
}
