/* Applying exchange pages to a bank (cg_exchange_apply) through the public bank API: adds with
 * provenance, deletions and withdrawals purged, an entry's dropped hashes removed, a page
 * applied twice changing nothing, signals of other sources never touched. Synthetic values. */
#include "cg_test.h"

#include "childguard/exchange.h"
#include "childguard/hex.h"

#define PDQ1 "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
#define MD5A "0123456789abcdef0123456789abcdef"
#define MD5B "11111111111111111111111111111111"

static const char page_add[] =
    "<queryResult><images>"
    "<image><member id=\"42\"/><id>e1</id><classification>A1</classification><fingerprints>"
    "<md5>" MD5A "</md5><pdq>" PDQ1 "</pdq></fingerprints></image>"
    "<image><member id=\"42\"/><id>e2</id><fingerprints><md5>" MD5B "</md5></fingerprints>"
    "</image></images></queryResult>";
/* e1 now lists only its pdq; e2 is deleted. */
static const char page_change[] =
    "<queryResult><images>"
    "<image><member id=\"42\"/><id>e1</id><fingerprints><pdq>" PDQ1 "</pdq></fingerprints>"
    "</image><deletedImage><member id=\"42\"/><id>e2</id></deletedImage></images></queryResult>";

static cg_bankdb *open_bank(int64_t *bank_id)
{
    char path[512];
    cg_bankdb *db = NULL;
    cg_bank b;
    cg_error err;

    cg_test_store_location("ex.db", path, sizeof(path));
    CG_ASSERT_OK(cg_bankdb_open(path, CG_BANKDB_CREATE, &db, &err), &err);
    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "ncmec-test");
    snprintf(b.label, sizeof(b.label), "csam");
    b.enabled = 1;
    CG_ASSERT_OK(cg_bank_create(db, &b, &err), &err);
    *bank_id = b.id;
    return db;
}

static void apply_xml(cg_bankdb *db, int64_t bank, const char *xml, cg_exchange_apply_report *r)
{
    cg_exchange_delta d;
    cg_error err;
    char *next = NULL;
    uint64_t n;

    cg_exchange_delta_init(&d);
    CG_ASSERT_OK(cg_exchange_parse_ncmec("page", xml, strlen(xml), &d, &next, &n, &err), &err);
    CG_ASSERT_OK(cg_exchange_apply(db, bank, "ncmec-test", &d, r, &err), &err);
    cg_exchange_delta_fini(&d);
}

static int64_t count(cg_bankdb *db, int64_t bank)
{
    int64_t n = -1;
    cg_error err;

    CG_ASSERT_OK(cg_bank_signal_count(db, bank, NULL, &n, &err), &err);
    return n;
}

CG_TEST(exchange_apply_adds_changes_deletes)
{
    int64_t bank;
    cg_bankdb *db = open_bank(&bank);
    cg_exchange_apply_report r;
    cg_bank_signal s;
    uint8_t v[32];
    cg_error err;
    const cg_signal_type *md5 = cg_signal_type_find("md5");

    apply_xml(db, bank, page_add, &r);
    CG_ASSERT_EQ(r.added, 3);
    CG_ASSERT_EQ(count(db, bank), 3);
    CG_ASSERT_OK(cg_hex_decode(MD5A, 32, v, 16), NULL);
    CG_ASSERT_OK(cg_bank_signal_find(db, bank, md5, v, &s, &err), &err);
    CG_ASSERT_STR_EQ(s.source, "exchange:ncmec-test");
    CG_ASSERT_STR_EQ(s.external_id, "ncmec:image:42-e1");
    CG_ASSERT(strstr(s.note, "member=42; entry=e1; class=A1") != NULL);
    /* The same page again: merged, nothing new. */
    apply_xml(db, bank, page_add, &r);
    CG_ASSERT_EQ(r.added, 0);
    CG_ASSERT_EQ(r.merged, 3);
    CG_ASSERT_EQ(r.removed, 0);
    CG_ASSERT_EQ(count(db, bank), 3);
    /* A signal of another source with a value the exchange will delete is left alone. */
    {
        cg_bank_signal mine;

        memset(&mine, 0, sizeof(mine));
        mine.bank_id = bank;
        mine.type = md5;
        mine.quality = -1;
        CG_ASSERT_OK(cg_hex_decode("22222222222222222222222222222222", 32, mine.value, 16),
                     NULL);
        snprintf(mine.source, sizeof(mine.source), "manual");
        snprintf(mine.external_id, sizeof(mine.external_id), "ncmec:image:42-e2");
        CG_ASSERT_OK(cg_bank_signal_add(db, &mine, NULL, &err), &err);
    }
    apply_xml(db, bank, page_change, &r);
    CG_ASSERT_EQ(r.removed, 2);           /* e1's md5 (dropped) and e2's md5 (deleted) */
    CG_ASSERT_EQ(count(db, bank), 2);     /* e1's pdq and the manual one */
    CG_ASSERT_EQ(cg_bank_signal_find(db, bank, md5, v, &s, &err), CG_E_NOTFOUND);
    /* Deleting again is harmless. */
    apply_xml(db, bank, page_change, &r);
    CG_ASSERT_EQ(r.removed, 0);
    CG_ASSERT_EQ(count(db, bank), 2);
    cg_bankdb_close(db);
}

CG_TEST(exchange_apply_stopncii_withdrawal_purged)
{
    static const char active[] =
        "{\"count\":1,\"nextPageToken\":null,\"nextSetTimestamp\":5,\"hasMoreRecords\":false,"
        "\"hashRecords\":[{\"lastModtimestamp\":1,\"signalType\":\"ImagePDQ\",\"hashValue\":\""
        PDQ1 "\",\"hashStatus\":\"Active\"}]}";
    static const char withdrawn[] =
        "{\"count\":1,\"nextPageToken\":null,\"nextSetTimestamp\":9,\"hasMoreRecords\":false,"
        "\"hashRecords\":[{\"lastModtimestamp\":6,\"signalType\":\"ImagePDQ\",\"hashValue\":\""
        PDQ1 "\",\"hashStatus\":\"Withdrawn\"}]}";
    const char *pages[2] = {active, withdrawn};
    int64_t bank;
    cg_bankdb *db = open_bank(&bank);
    cg_exchange_apply_report r;
    cg_error err;

    for (int i = 0; i < 2; i++) {
        cg_exchange_delta d;
        cg_stopncii_page p;

        cg_exchange_delta_init(&d);
        CG_ASSERT_OK(cg_exchange_parse_stopncii("p", pages[i], strlen(pages[i]), &d, &p, &err),
                     &err);
        CG_ASSERT_OK(cg_exchange_apply(db, bank, "sn", &d, &r, &err), &err);
        CG_ASSERT_EQ(count(db, bank), i == 0 ? 1 : 0);
        cg_exchange_delta_fini(&d);
    }
    CG_ASSERT_EQ(r.removed, 1);
    cg_bankdb_close(db);
}
