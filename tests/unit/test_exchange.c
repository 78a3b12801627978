/* The exchange drivers and parsers (src/exchange/, docs/exchange.md) against in-memory
 * responses (exchange_mock.h): NCMEC windows, paging, expired next links and window shrinking;
 * StopNCII withdrawals, malformed records and pages (retried, shrunk, then skipped, never
 * stalled); ThreatExchange paging, deletions and the 85-day stale checkpoint; HTTP failures;
 * every allocation of the parsers failing in turn. All values are synthetic. */
#include "cg_test.h"
#include "exchange_mock.h"

#include "common/alloc.h"

#define PDQ1 "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
#define MD5A "0123456789abcdef0123456789abcdef"
#define MD5B "11111111111111111111111111111111"
#define NOW 1796083200 /* 2026-12-01T00:00:00Z */

static const char ncmec_page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<queryResult xmlns=\"https://hashsharing.ncmec.org/hashsharing/v2\">\n"
    " <images count=\"3\" maxTimestamp=\"2026-11-30T12:00:05Z\">\n"
    "  <image><member id=\"42\">Synthetic ESP</member><id>img-1</id>"
    "<timestamp>2026-11-30T12:00:05Z</timestamp><classification>A1</classification>"
    "<fingerprints><md5>0123456789ABCDEF0123456789abcdef</md5>"
    "<sha1>0123456789abcdef0123456789abcdef01234567</sha1><pdq>" PDQ1 "</pdq></fingerprints>"
    "</image>\n"
    "  <deletedImage><member id=\"42\"/><id>img-0</id>"
    "<timestamp>2026-11-30T12:00:01Z</timestamp></deletedImage>\n"
    "  <image><member id=\"7\"/><id>bad</id><fingerprints><md5>zz</md5></fingerprints></image>\n"
    " </images>\n"
    " <videos count=\"1\" maxTimestamp=\"2026-11-30T12:00:00Z\">\n"
    "  <video><member id=\"7\"/><id>vid-1</id><fingerprints><md5>" MD5B "</md5></fingerprints>"
    "</video>\n"
    " </videos>\n"
    " <paging><next>/v2/entries?from=a&amp;to=b&amp;start=1000&amp;size=1000&amp;max=1500"
    "</next></paging>\n"
    "</queryResult>\n";

static const char ncmec_page2[] =
    "<queryResult><images count=\"1\" maxTimestamp=\"2026-11-30T01:00:00Z\">"
    "<image><member id=\"42\"/><id>img-2</id><fingerprints><pdq>" PDQ1 "</pdq></fingerprints>"
    "</image></images></queryResult>";

static const char ncmec_huge[] =
    "<queryResult><images count=\"1\" maxTimestamp=\"2026-11-30T01:00:00Z\">"
    "<image><member id=\"42\"/><id>img-9</id><fingerprints><md5>" MD5A "</md5></fingerprints>"
    "</image></images><paging><next>/v2/entries?from=a&amp;to=b&amp;start=1000&amp;size=1000"
    "&amp;max=90000</next></paging></queryResult>";

CG_TEST(exchange_ncmec_parse_page)
{
    cg_exchange_delta d;
    cg_error err;
    char *next = NULL;
    uint64_t in_range = 0;

    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(cg_exchange_parse_ncmec("p1", ncmec_page1, strlen(ncmec_page1), &d, &next,
                                         &in_range, &err), &err);
    CG_ASSERT_EQ(d.n_records, 3);
    CG_ASSERT_STR_EQ(d.records[0].key, "ncmec:image:42-img-1");
    CG_ASSERT_EQ(d.records[0].deleted, 0);
    CG_ASSERT_STR_EQ(d.records[0].classification, "A1");
    CG_ASSERT_EQ(d.records[0].n_hashes, 2);           /* md5 (upper case folded) and pdq */
    CG_ASSERT_EQ(d.records[0].n_unsupported, 1);      /* sha1: no signal type */
    CG_ASSERT_STR_EQ(d.records[0].hashes[0].type->name, "md5");
    CG_ASSERT_EQ(d.records[0].hashes[0].value[0], 0x01);
    CG_ASSERT_EQ(d.records[0].timestamp, NOW - 12 * 3600 + 5);
    CG_ASSERT_STR_EQ(d.records[1].key, "ncmec:image:42-img-0");
    CG_ASSERT_EQ(d.records[1].deleted, 1);
    CG_ASSERT_STR_EQ(d.records[2].key, "ncmec:video:7-vid-1");
    CG_ASSERT_EQ(d.n_rejected, 1);                    /* the bad md5 */
    CG_ASSERT(strstr(d.first_reject, "bad") != NULL);
    CG_ASSERT_STR_EQ(next, "/v2/entries?from=a&to=b&start=1000&size=1000&max=1500");
    CG_ASSERT_EQ(in_range, 503);
    cg_free(next);
    cg_exchange_delta_fini(&d);
}

CG_TEST(exchange_ncmec_hostile_xml)
{
    static const char *bad[] = {
        "<?xml version=\"1.0\"?><!DOCTYPE q [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
        "<queryResult><images><image><member id=\"&b;\"/><id>x</id></image></images>"
        "</queryResult>",
        "<queryResult><images><image>",      /* truncated */
        "<other/>",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cg_exchange_delta d;
        cg_error err;
        char *next = NULL;
        uint64_t in_range = 0;

        cg_exchange_delta_init(&d);
        CG_ASSERT_EQ(cg_exchange_parse_ncmec("hostile.xml", bad[i], strlen(bad[i]), &d, &next,
                                             &in_range, &err), CG_E_DECODE);
        CG_ASSERT(strstr(err.message, "hostile.xml") != NULL);
        CG_ASSERT_EQ(d.n_records, 0);
        CG_ASSERT(next == NULL);
        cg_exchange_delta_fini(&d);
    }
}

/* Fetches once with checkpoint cp (replaced by the new one). */
static cg_status fetch(const cg_exchange_driver *drv, const cg_exchange_config *cfg, char **cp,
                       cg_exchange_delta *d, cg_error *err)
{
    cg_status st;

    cg_exchange_delta_fini(d);
    st = drv->fetch(cfg, *cp, d, err);
    if (d->checkpoint != NULL) {
        cg__free(*cp);
        *cp = cg__strdup(d->checkpoint);
    }
    return st;
}

CG_TEST(exchange_ncmec_windows_and_paging)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("ncmec");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://ncmec.test";
    cfg.user = "u";
    cfg.password = "p";
    cfg.start_time = NOW - 24 * 3600;        /* one day back: exactly the first window */
    m.now = NOW;
    mock_route_add(&m, "https://ncmec.test/v2/entries?from=a", 200, ncmec_page2, 0);
    mock_route_add(&m, "https://ncmec.test/v2/entries?from=2026-11-30T00:00:00Z", 200,
                   ncmec_page1, 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT(drv != NULL);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_STR_EQ(m.urls[0], "https://ncmec.test/v2/entries?from=2026-11-30T00:00:00Z&"
                                "to=2026-12-01T00:00:00Z");
    CG_ASSERT_STR_EQ(m.auth[0], "Basic dTpw");
    CG_ASSERT_EQ(d.n_records, 3);
    CG_ASSERT_EQ(d.more, 1);
    CG_ASSERT(strstr(cp, "\"next\":\"/v2/entries") != NULL);
    CG_ASSERT(strstr(cp, "\"done\":1795996800") != NULL); /* not moved: the window is open */
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_STR_EQ(m.urls[1], "https://ncmec.test/v2/entries?from=a&to=b&start=1000&"
                                "size=1000&max=1500");
    CG_ASSERT_EQ(d.n_records, 1);
    CG_ASSERT_EQ(d.more, 0);                                /* done reached now */
    CG_ASSERT(strstr(cp, "\"done\":1796083200") != NULL);
    CG_ASSERT(strstr(cp, "next") == NULL);
    /* Up to date: the next fetch asks nothing. */
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_EQ(m.n_urls, 2);
    CG_ASSERT_EQ(d.more, 0);
    cg__free(cp);
    cg_exchange_delta_fini(&d);
}

CG_TEST(exchange_ncmec_next_link_expires)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("ncmec");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://ncmec.test";
    cfg.user = "u";
    cfg.password = "p";
    cfg.start_time = NOW - 24 * 3600;
    m.now = NOW;
    mock_route_add(&m, "https://ncmec.test/v2/entries?from=2026-11-30T00:00:00Z", 200,
                   ncmec_page1, 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.more, 1);
    /* Thirteen hours later the stored link is no longer valid: the same window is read again
     * from its start (same from and to), not skipped. */
    m.now = NOW + 13 * 3600;
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_STR_EQ(m.urls[1], m.urls[0]);
    CG_ASSERT_EQ(d.n_records, 3);
    cg__free(cp);
    cg_exchange_delta_fini(&d);
}

CG_TEST(exchange_ncmec_window_shrinks)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("ncmec");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://ncmec.test";
    cfg.user = "u";
    cfg.password = "p";
    cfg.start_time = NOW - 24 * 3600;
    m.now = NOW;
    mock_route_add(&m, "https://ncmec.test/v2/entries?from=2026-11-30T00:00:00Z&to=2026-12-01",
                   200, ncmec_huge, 0);
    mock_route_add(&m, "https://ncmec.test/v2/entries?from=2026-11-30T00:00:00Z&to=2026-11-30T12",
                   200, ncmec_page2, 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.n_records, 0);        /* 90000 entries in the window: dropped, halved */
    CG_ASSERT_EQ(d.more, 1);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_STR_EQ(m.urls[1], "https://ncmec.test/v2/entries?from=2026-11-30T00:00:00Z&"
                                "to=2026-11-30T12:00:00Z");
    CG_ASSERT_EQ(d.n_records, 1);
    CG_ASSERT_EQ(d.more, 1);             /* the second half is still to read */
    CG_ASSERT(strstr(cp, "\"done\":1796040000") != NULL);
    cg__free(cp);
    cg_exchange_delta_fini(&d);
}

static const char sn_page1[] =
    "{\"count\":5,\"nextPageToken\":\"tok 1/+\",\"nextSetTimestamp\":0,\"hasMoreRecords\":true,"
    "\"hashRecords\":["
    "{\"lastModtimestamp\":100,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" PDQ1 "\","
    "\"hashStatus\":\"Active\",\"caseNumbers\":{},\"CSPFeedbacks\":[]},"
    "{\"lastModtimestamp\":101,\"signalType\":\"VideoMD5\",\"hashValue\":\"" MD5A "\","
    "\"hashStatus\":\"Withdrawn\"},"
    "{\"lastModtimestamp\":102,\"signalType\":\"VideoMD5\",\"hashValue\":\"" MD5B "\","
    "\"hashStatus\":\"Deleted\"},"
    "{\"lastModtimestamp\":103,\"signalType\":\"ImagePDQ\",\"hashValue\":\"xyz\","
    "\"hashStatus\":\"Received\"},"
    "{\"lastModtimestamp\":104,\"signalType\":\"VideoTMK\",\"hashValue\":\"abc\","
    "\"hashStatus\":\"Received\"},"
    "{\"signalType\":\"ImagePDQ\"}]}";
static const char sn_page2[] =
    "{\"count\":0,\"nextPageToken\":null,\"nextSetTimestamp\":200,\"hasMoreRecords\":false,"
    "\"hashRecords\":[]}";

CG_TEST(exchange_stopncii_withdrawals_and_paging)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("stopncii");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://sn.test/v1";
    cfg.api_key = "fk";
    cfg.subscription_key = "sk";
    m.now = NOW;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&pageSize=800&"
                       "nextPageToken=tok%201%2F%2B", 200, sn_page2, 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=0&pageSize=800", 200,
                   sn_page1, 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_STR_EQ(m.auth[0], "fk");
    CG_ASSERT_EQ(d.n_records, 4);  /* Active, Withdrawn, Deleted, and the TMK (unsupported) */
    CG_ASSERT_EQ(d.records[0].deleted, 0);
    CG_ASSERT_EQ(d.records[0].n_hashes, 1);
    CG_ASSERT_EQ(d.records[1].deleted, 1); /* Withdrawn: a deletion (HMA keeps these) */
    CG_ASSERT_EQ(d.records[2].deleted, 1);
    CG_ASSERT_STR_EQ(d.records[1].key, "stopncii:VideoMD5:" MD5A);
    CG_ASSERT_EQ(d.records[3].n_hashes, 0);
    CG_ASSERT_EQ(d.records[3].n_unsupported, 1);
    CG_ASSERT_EQ(d.n_rejected, 2); /* the bad hex and the record without fields */
    CG_ASSERT_EQ(d.more, 1);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.more, 0);
    CG_ASSERT(strstr(cp, "\"start\":200") != NULL);
    CG_ASSERT(strstr(cp, "token") == NULL);
    cg__free(cp);
    cg_exchange_delta_fini(&d);
}

/* A page that never parses is retried, shrunk, then skipped: the exchange moves on. */
CG_TEST(exchange_stopncii_malformed_page_never_stalls)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("stopncii");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;
    int skipped_at = -1, truncated_seen = 0;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://sn.test/v1";
    cfg.api_key = "fk";
    cfg.subscription_key = "sk";
    cfg.start_time = 50;
    m.now = NOW;
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=50&pageSize=800", 200,
                   "{\"count\":1,\"hashRecords\":[{", 1);  /* truncated */
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=50&", 200,
                   "<html>gateway error</html>", 0);
    mock_route_add(&m, "https://sn.test/v1/FetchHashes?startTimestamp=51&", 200, sn_page2, 0);
    cg_exchange_delta_init(&d);
    for (int i = 0; i < 30 && skipped_at < 0; i++) {
        cg_status st = fetch(drv, &cfg, &cp, &d, &err);

        CG_ASSERT_EQ(st, CG_E_DECODE);
        CG_ASSERT(cp != NULL);
        CG_ASSERT_EQ(d.n_records, 0);
        if (strstr(err.message, "truncated") != NULL)
            truncated_seen = 1;
        if (strstr(err.message, "skipped") != NULL)
            skipped_at = i;
    }
    CG_ASSERT(truncated_seen);
    /* 3 tries at 800, 100, 12 and 1 records per page, the skip on the last. */
    CG_ASSERT_EQ(skipped_at, 11);
    CG_ASSERT(strstr(err.message, "[50, 51)") != NULL);
    CG_ASSERT(strstr(m.urls[9], "pageSize=1") != NULL);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT(strstr(m.urls[12], "startTimestamp=51&pageSize=800") != NULL);
    CG_ASSERT(strstr(cp, "\"start\":200") != NULL);
    cg__free(cp);
    cg_exchange_delta_fini(&d);
}

static const char te_page1[] =
    "{\"data\":["
    "{\"id\":\"1001\",\"indicator\":\"" PDQ1 "\",\"type\":\"HASH_PDQ\",\"last_updated\":1700,"
    "\"should_delete\":false,\"tags\":[\"t1\",\"t2\"],"
    "\"descriptors\":{\"data\":[{\"owner\":{\"id\":\"55\"}}]}},"
    "{\"id\":\"1002\",\"indicator\":\"" MD5A "\",\"type\":\"HASH_MD5\",\"should_delete\":true,"
    "\"descriptors\":{\"data\":[{\"owner\":{\"id\":\"55\"}}]}},"
    "{\"id\":\"1003\",\"indicator\":\"" MD5B "\",\"type\":\"HASH_MD5\",\"should_delete\":false,"
    "\"descriptors\":{\"data\":[]}},"
    "{\"id\":7},"
    "{\"id\":\"../1001\",\"indicator\":\"" MD5B "\",\"type\":\"HASH_MD5\"},"
    "{\"id\":\"123456789012345678901\",\"indicator\":\"" MD5B "\",\"type\":\"HASH_MD5\"}],"
    "\"paging\":{\"next\":\"https://te.test/v1/g1/threat_updates/?access_token=SECRET&after=c2\"}}";
static const char te_page2[] = "{\"data\":[],\"paging\":{}}";

CG_TEST(exchange_threatexchange_paging_and_deletions)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("fb_threatexchange");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;
    char *cp = NULL;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://te.test/v1";
    cfg.api_key = "SECRET";
    cfg.collab = "g1";
    m.now = NOW;
    mock_route_add(&m, "https://te.test/v1/g1/threat_updates/?after=c2", 200, te_page2, 0);
    mock_route_add(&m, "https://te.test/v1/g1/threat_updates/?start_time=0&", 200, te_page1, 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT(strstr(m.urls[0], "stop_time=1796083200") != NULL);
    CG_ASSERT(strstr(m.urls[0], "SECRET") == NULL);
    CG_ASSERT_STR_EQ(m.auth[0], "OAuth SECRET");
    CG_ASSERT_EQ(d.n_records, 3);
    CG_ASSERT_STR_EQ(d.records[0].key, "fbte:1001");
    CG_ASSERT_STR_EQ(d.records[0].member, "55");
    CG_ASSERT_STR_EQ(d.records[0].classification, "t1,t2");
    CG_ASSERT_EQ(d.records[0].deleted, 0);
    CG_ASSERT_EQ(d.records[1].deleted, 1); /* should_delete */
    CG_ASSERT_EQ(d.records[2].deleted, 1); /* no descriptors left */
    /* A number id, an id that is not digits (it names the indicator in reaction URLs), an id
     * of 21 digits: rejected, counted. */
    CG_ASSERT_EQ(d.n_rejected, 3);
    CG_ASSERT_EQ(d.more, 1);
    CG_ASSERT(strstr(cp, "SECRET") == NULL); /* no credential in the checkpoint */
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_STR_EQ(m.urls[1], "https://te.test/v1/g1/threat_updates/?after=c2");
    CG_ASSERT_EQ(d.more, 0);
    CG_ASSERT(strstr(cp, "\"since\":1796083200") != NULL);
    CG_ASSERT_EQ(drv->checkpoint_stale(cp, NOW + 84 * 86400), 0);
    CG_ASSERT_EQ(drv->checkpoint_stale(cp, NOW + 86 * 86400), 1);
    /* 86 days later the checkpoint is stale: the fetch starts over and says so. */
    m.now = NOW + 86 * 86400;
    CG_ASSERT_OK(fetch(drv, &cfg, &cp, &d, &err), &err);
    CG_ASSERT_EQ(d.checkpoint_reset, 1);
    CG_ASSERT(strstr(m.urls[2], "start_time=0&") != NULL);
    cg__free(cp);
    cg_exchange_delta_fini(&d);
}

CG_TEST(exchange_http_failures)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("fb_threatexchange");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://te.test/v1";
    cfg.api_key = "k";
    cfg.collab = "g1";
    m.now = NOW;
    cg_exchange_delta_init(&d);
    mock_route_add(&m, "https://te.test/v1/g1/", 429, "slow down", 0);
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_LIMIT);
    CG_ASSERT(strstr(err.message, "429") != NULL);
    CG_ASSERT(d.checkpoint == NULL);
    m.routes[0].status = 503;
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_BACKEND);
    CG_ASSERT(strstr(err.message, "503") != NULL);
    m.routes[0].status = 200;
    m.routes[0].body = "{\"data\":[{\"id\":\"1\"";
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "not JSON") != NULL);
    cg_exchange_delta_fini(&d);
    m.fail_io = 1;
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_IO);
    CG_ASSERT(strstr(err.message, "refused") != NULL);
    cfg.max_body = 4;
    m.fail_io = 0;
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_LIMIT);
    CG_ASSERT(strstr(err.message, "larger than 4") != NULL);
    cfg.collab = NULL;
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "collab") != NULL);
    CG_ASSERT_EQ(drv->fetch(&cfg, "{not json", &d, &err), CG_E_INVAL);
    cg_exchange_delta_fini(&d);
}

CG_TEST(exchange_stopncii_feedback)
{
    const cg_exchange_driver *drv = cg_exchange_driver_find("stopncii");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_exchange_feedback fb;
    cg_error err;
    cg_stopncii_page page;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://sn.test/v1";
    cfg.api_key = "fk";
    cfg.feedback_key = "feedk";
    cfg.subscription_key = "sk";
    mock_route_add(&m, "https://sn.test/v1/SubmitFeedback", 200, "{}", 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(cg_exchange_parse_stopncii("p", sn_page1, strlen(sn_page1), &d, &page, &err),
                 &err);
    cg_free(page.next_page_token);
    fb.record = &d.records[0];
    fb.verdict = CG_EXCHANGE_FEEDBACK_CONFIRMED;
    fb.reason = NULL;
    CG_ASSERT_OK(drv->feedback(&cfg, &fb, &err), &err);
    CG_ASSERT_STR_EQ(m.urls[0], "https://sn.test/v1/SubmitFeedback");
    CG_ASSERT_STR_EQ(m.auth[0], "feedk");
    /* NCMEC feedback, or a ThreatExchange reaction, on a record that is not that exchange's
     * entry is refused before any request. */
    CG_ASSERT_EQ(cg_exchange_driver_find("ncmec")->feedback(&cfg, &fb, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg_exchange_driver_find("fb_threatexchange")->feedback(&cfg, &fb, &err),
                 CG_E_INVAL);
    CG_ASSERT(strstr(err.message, "fbte:") != NULL);
    CG_ASSERT_EQ(m.n_urls, 1);
    cg_exchange_delta_fini(&d);
}

static cg_status parse_all(void *arg)
{
    cg_exchange_delta d;
    cg_stopncii_page page;
    char *next = NULL;
    uint64_t in_range;
    cg_status st;

    (void)arg;
    cg_exchange_delta_init(&d);
    st = cg_exchange_parse_ncmec("p1", ncmec_page1, strlen(ncmec_page1), &d, &next, &in_range,
                                 NULL);
    cg_free(next);
    if (st == CG_OK)
        st = cg_exchange_parse_stopncii("p2", sn_page1, strlen(sn_page1), &d, &page, NULL);
    if (st == CG_OK)
        cg_free(page.next_page_token);
    if (st == CG_OK)
        st = cg_exchange_parse_threat_updates("p3", te_page1, strlen(te_page1), &d, &next, NULL);
    if (st == CG_OK)
        cg_free(next);
    cg_exchange_delta_fini(&d);
    return st;
}

/* Every allocation of the three parsers fails in turn (jansson and libxml2 allocate through
 * their own allocators: only the library's own allocations are counted). */
CG_TEST(exchange_parsers_alloc_failure)
{
    CG_ASSERT_GT(cg_test_fail_each_allocation("exchange parsers", parse_all, NULL, 0), 3);
}

/* A next link that leaves the configured base URL is refused (the token is never sent there). */
CG_TEST(exchange_threatexchange_next_leaves_base)
{
    static const char page[] =
        "{\"data\":[],\"paging\":{\"next\":\"https://te.test/v1.evil.example/g1/x\"}}";
    const cg_exchange_driver *drv = cg_exchange_driver_find("fb_threatexchange");
    mock m;
    cg_exchange_config cfg;
    cg_http_transport tr;
    cg_clock ck;
    cg_exchange_delta d;
    cg_error err;

    memset(&m, 0, sizeof(m));
    mock_config(&m, &cfg, &tr, &ck);
    cfg.base_url = "https://te.test/v1";
    cfg.api_key = "k";
    cfg.collab = "g1";
    m.now = NOW;
    mock_route_add(&m, "https://te.test/v1/g1/", 200, page, 0);
    cg_exchange_delta_init(&d);
    CG_ASSERT_EQ(drv->fetch(&cfg, NULL, &d, &err), CG_E_DECODE);
    CG_ASSERT(strstr(err.message, "leaves https://te.test/v1") != NULL);
    CG_ASSERT_EQ(m.n_urls, 1);
    CG_ASSERT_EQ(d.n_records, 0);
    CG_ASSERT(d.checkpoint != NULL && strstr(d.checkpoint, "evil") == NULL);
    cg_exchange_delta_fini(&d);
}
