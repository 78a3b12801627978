/* The personal-data and age detectors (src/text/detect.h): each form they are meant to find,
 * with its exact span in the original, and the traps they must not fall into (dates, prices,
 * scores, "lớp học", "I'm 100% sure", "12 apples"). Every scan here also checks the span
 * contract: inside the message, non-empty, on UTF-8 character boundaries. */
#include "cg_test.h"

#include "childguard.h"
#include "common/alloc.h"
#include "text/detect.h"
#include "text/detect_words.h"

#define YEAR 2025

/* ---- harness ------------------------------------------------------------------------------- */

/* The normaliser with both shipped teencode tables, as the engine uses it: the detectors must
 * work on its plain form ("asl" becomes "age sex location", "r" becomes "rồi"). */
static cg__normalizer *normalizer(void)
{
    static cg__normalizer *nz;
    static const char *const paths[2] = {CG_SOURCE_DATA_DIR "/text/teencode-vi.tsv",
                                         CG_SOURCE_DATA_DIR "/text/teencode-en.tsv"};
    cg_error err = {0};

    if (nz == NULL)
        CG_ASSERT_OK(cg__normalizer_open_files(paths, 2, NULL, NULL, &nz, &err), &err);
    return nz;
}

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

static void check_span(const char *text, size_t len, uint32_t s, uint32_t e)
{
    if (!(s < e && e <= len))
        cg_test_fail(__FILE__, __LINE__, "bad span [%u, %u) in %zu bytes of \"%s\"", s, e, len,
                     text);
    if (is_cont((unsigned char)text[s]) || (e < len && is_cont((unsigned char)text[e])))
        cg_test_fail(__FILE__, __LINE__, "span [%u, %u) of \"%s\" splits a character", s, e,
                     text);
}

typedef struct result {
    cg__normalized nm;
    cg__pii_hits pii;
    cg__age_signals age;
} result;

static void run(const char *text, size_t len, result *r)
{
    cg_error err = {0};

    memset(r, 0, sizeof(*r));
    CG_ASSERT_OK(cg__normalize(normalizer(), text, len, CG__UTF8_REPLACE, 0, &r->nm, &err), &err);
    CG_ASSERT_OK(cg__pii_scan(text, len, &r->nm, &r->pii, &err), &err);
    CG_ASSERT_OK(cg__age_scan_year(text, len, &r->nm, YEAR, &r->age, &err), &err);
    for (size_t i = 0; i < r->pii.n; i++) {
        check_span(text, len, r->pii.v[i].start, r->pii.v[i].end);
        CG_ASSERT(r->pii.v[i].facet >= CG_FACET_PHONE && r->pii.v[i].facet <= CG_FACET_CODE);
        CG_ASSERT(r->pii.v[i].weight > 0.0f && r->pii.v[i].weight <= 1.0f);
    }
    for (size_t i = 0; i < r->age.n; i++)
        check_span(text, len, r->age.v[i].start, r->age.v[i].end);
}

static void done(result *r)
{
    cg__pii_hits_free(&r->pii);
    cg__age_signals_free(&r->age);
    cg__normalized_free(&r->nm);
}

static void dump(const char *text, const result *r)
{
    fprintf(stderr, "  scanned \"%s\" (plain \"%s\"):\n", text, r->nm.plain.s ? r->nm.plain.s : "");
    for (size_t i = 0; i < r->pii.n; i++)
        fprintf(stderr, "    %s %.2f \"%.*s\"\n", cg_text_facet_name(r->pii.v[i].facet),
                (double)r->pii.v[i].weight, (int)(r->pii.v[i].end - r->pii.v[i].start),
                text + r->pii.v[i].start);
    for (size_t i = 0; i < r->age.n; i++)
        fprintf(stderr, "    age %s %d-%d \"%.*s\"\n",
                r->age.v[i].kind == CG__AGE_ASKED ? "asked" : "stated", r->age.v[i].min_age,
                r->age.v[i].max_age, (int)(r->age.v[i].end - r->age.v[i].start),
                text + r->age.v[i].start);
}

/* text has a hit of facet whose original text is exactly span, weighing at least min_w. */
static void pii_yes_at(int line, const char *text, cg_facet facet, const char *span, float min_w)
{
    result r;
    int found = 0;

    run(text, strlen(text), &r);
    for (size_t i = 0; i < r.pii.n; i++)
        if (r.pii.v[i].facet == facet && r.pii.v[i].end - r.pii.v[i].start == strlen(span) &&
            memcmp(text + r.pii.v[i].start, span, strlen(span)) == 0 &&
            r.pii.v[i].weight >= min_w)
            found = 1;
    if (!found) {
        dump(text, &r);
        done(&r);
        cg_test_fail(__FILE__, line, "no %s hit \"%s\" (weight >= %.2f) in \"%s\"",
                     cg_text_facet_name(facet), span, (double)min_w, text);
    }
    done(&r);
}

/* text has no hit of facet (CG_FACET_NONE: no hit at all). */
static void pii_no_at(int line, const char *text, cg_facet facet)
{
    result r;

    run(text, strlen(text), &r);
    for (size_t i = 0; i < r.pii.n; i++)
        if (facet == CG_FACET_NONE || r.pii.v[i].facet == facet) {
            dump(text, &r);
            done(&r);
            cg_test_fail(__FILE__, line, "unexpected %s hit in \"%s\"",
                         cg_text_facet_name(facet), text);
        }
    done(&r);
}

static void age_yes_at(int line, const char *text, cg__age_kind kind, int lo, int hi,
                       const char *span)
{
    result r;
    int found = 0;

    run(text, strlen(text), &r);
    for (size_t i = 0; i < r.age.n; i++)
        if (r.age.v[i].kind == kind && r.age.v[i].min_age == lo && r.age.v[i].max_age == hi &&
            r.age.v[i].end - r.age.v[i].start == strlen(span) &&
            memcmp(text + r.age.v[i].start, span, strlen(span)) == 0)
            found = 1;
    if (!found) {
        dump(text, &r);
        done(&r);
        cg_test_fail(__FILE__, line, "no age %s %d-%d \"%s\" in \"%s\"",
                     kind == CG__AGE_ASKED ? "asked" : "stated", lo, hi, span, text);
    }
    done(&r);
}

static void age_no_at(int line, const char *text)
{
    result r;

    run(text, strlen(text), &r);
    if (r.age.n != 0) {
        dump(text, &r);
        done(&r);
        cg_test_fail(__FILE__, line, "unexpected age signal in \"%s\"", text);
    }
    done(&r);
}

#define PII_YES(text, facet, span, w) pii_yes_at(__LINE__, text, facet, span, w)
#define PII_NO(text, facet) pii_no_at(__LINE__, text, facet)
#define STATED(text, lo, hi, span) age_yes_at(__LINE__, text, CG__AGE_STATED, lo, hi, span)
#define ASKED(text, span) age_yes_at(__LINE__, text, CG__AGE_ASKED, 0, 0, span)
#define AGE_NO(text) age_no_at(__LINE__, text)

/* ---- phone numbers ------------------------------------------------------------------------ */

CG_TEST(detect_phone_vn_forms)
{
    PII_YES("gọi em 0912345678 nhé", CG_FACET_PHONE, "0912345678", 0.9f);
    PII_YES("091 234 5678", CG_FACET_PHONE, "091 234 5678", 0.9f);
    PII_YES("số đây: 091.234.5678.", CG_FACET_PHONE, "091.234.5678", 0.9f);
    PII_YES("091-234-5678", CG_FACET_PHONE, "091-234-5678", 0.9f);
    PII_YES("+84 912 345 678", CG_FACET_PHONE, "+84 912 345 678", 0.9f);
    PII_YES("84912345678", CG_FACET_PHONE, "84912345678", 0.9f);
    PII_YES("call (+84) 91 234 5678 now", CG_FACET_PHONE, "(+84) 91 234 5678", 0.9f);
    PII_YES("0 9 1 2 3 4 5 6 7 8", CG_FACET_PHONE, "0 9 1 2 3 4 5 6 7 8", 0.9f);
    PII_YES("sđt:0387654321", CG_FACET_PHONE, "0387654321", 0.9f);
    PII_YES("máy bàn (028) 3825 1234", CG_FACET_PHONE, "(028) 3825 1234", 0.8f);
    /* Two numbers and a stray number before them. */
    PII_YES("12 0912345678 0987654321", CG_FACET_PHONE, "0912345678", 0.9f);
    PII_YES("12 0912345678 0987654321", CG_FACET_PHONE, "0987654321", 0.9f);
}

CG_TEST(detect_phone_international)
{
    PII_YES("text me +1 415 555 2671", CG_FACET_PHONE, "+1 415 555 2671", 0.7f);
    PII_YES("+447911123456", CG_FACET_PHONE, "+447911123456", 0.7f);
    PII_NO("+12345", CG_FACET_PHONE);
}

CG_TEST(detect_phone_false_positives)
{
    PII_NO("ngày 12/05/2023 lúc 10:30", CG_FACET_PHONE);
    PII_NO("hẹn 05.12.2023", CG_FACET_PHONE);
    PII_NO("giá 50.000đ, 200k, 1.500.000 vnd", CG_FACET_PHONE);
    PII_NO("0912345678đ", CG_FACET_PHONE);
    PII_NO("tỉ số 3-1 năm 2023", CG_FACET_PHONE);
    PII_NO("mã đơn DH0912345678", CG_FACET_PHONE);
    PII_NO("order 0912345678abc", CG_FACET_PHONE);
    PII_NO("1234567890", CG_FACET_PHONE);
    PII_NO("09123456789012345", CG_FACET_PHONE);
    PII_NO("3.0912345678", CG_FACET_PHONE);
    PII_NO("5+3=8 và 2023-2024", CG_FACET_PHONE);
}

/* ---- e-mail ------------------------------------------------------------------------------- */

CG_TEST(detect_email_forms)
{
    PII_YES("email mình là nam.nguyen99@gmail.com nha", CG_FACET_EMAIL,
            "nam.nguyen99@gmail.com", 0.8f);
    PII_YES("a_b+c@mail.example.co.uk.", CG_FACET_EMAIL, "a_b+c@mail.example.co.uk", 0.8f);
    PII_YES("john at gmail dot com", CG_FACET_EMAIL, "john at gmail dot com", 0.8f);
    PII_YES("lan (at) gmail", CG_FACET_EMAIL, "lan (at) gmail", 0.8f);
    PII_YES("meo[at]yahoo.com", CG_FACET_EMAIL, "meo[at]yahoo.com", 0.8f);
    PII_YES("linh2010 AT hotmail DOT com", CG_FACET_EMAIL, "linh2010 AT hotmail DOT com", 0.8f);
}

CG_TEST(detect_email_false_positives)
{
    PII_NO("look at me", CG_FACET_EMAIL);
    PII_NO("he works at google.com", CG_FACET_EMAIL);
    PII_NO("meet at 5.30", CG_FACET_EMAIL);
    PII_NO("@linh", CG_FACET_EMAIL);
    PII_NO("a@b", CG_FACET_EMAIL);
}

/* ---- addresses ---------------------------------------------------------------------------- */

CG_TEST(detect_address_vi)
{
    PII_YES("nhà em ở 12 Lê Lợi, quận 1", CG_FACET_ADDRESS, "nhà em ở 12 Lê Lợi, quận 1", 0.8f);
    PII_YES("nha em o ngo 5 Hang Bong", CG_FACET_ADDRESS, "nha em o ngo 5 Hang Bong", 0.8f);
    PII_YES("địa chỉ: 45 Trần Phú", CG_FACET_ADDRESS, "địa chỉ: 45 Trần Phú", 0.8f);
    PII_YES("địa chỉ của em là số 7 ngõ 12", CG_FACET_ADDRESS, "địa chỉ của em là số 7 ngõ 12",
            0.8f);
    PII_YES("số nhà 12 đường Nguyễn Trãi", CG_FACET_ADDRESS, "số nhà 12 đường Nguyễn Trãi",
            0.8f);
    PII_YES("ở đường Nguyễn Trãi", CG_FACET_ADDRESS, "đường Nguyễn Trãi", 0.7f);
    PII_YES("em ở phường Bến Nghé", CG_FACET_ADDRESS, "phường Bến Nghé", 0.7f);
    PII_YES("hẻm 51 nha", CG_FACET_ADDRESS, "hẻm 51", 0.7f);
    PII_YES("hem 51", CG_FACET_ADDRESS, "hem 51", 0.7f);
    PII_YES("xã Tân Phú, huyện Đồng Xoài", CG_FACET_ADDRESS, "xã Tân Phú, huyện Đồng Xoài",
            0.7f);
    PII_YES("thôn 3", CG_FACET_ADDRESS, "thôn 3", 0.7f);
}

CG_TEST(detect_address_en)
{
    PII_YES("I live at 221 Baker Street", CG_FACET_ADDRESS, "I live at 221 Baker Street", 0.7f);
    PII_YES("my address is 12 Main St.", CG_FACET_ADDRESS, "my address is 12 Main St", 0.7f);
    PII_YES("it's 742 Evergreen Terrace road", CG_FACET_ADDRESS, "742 Evergreen Terrace road",
            0.7f);
    PII_YES("I live in Hanoi", CG_FACET_ADDRESS, "I live in Hanoi", 0.6f);
}

CG_TEST(detect_address_false_positives)
{
    PII_NO("nhà em ở đâu?", CG_FACET_ADDRESS);
    PII_NO("nhà em ở xa lắm", CG_FACET_ADDRESS);
    PII_NO("nhà mình ở chung cư", CG_FACET_ADDRESS);
    PII_NO("chị Phương Anh xinh quá", CG_FACET_ADDRESS);
    PII_NO("Phuong Anh xinh qua", CG_FACET_ADDRESS);
    PII_NO("xa 5 km", CG_FACET_ADDRESS);
    PII_NO("cái quần 2 màu", CG_FACET_ADDRESS);
    PII_NO("đường đi khó", CG_FACET_ADDRESS);
    PII_NO("cho anh xin địa chỉ", CG_FACET_ADDRESS);
    PII_NO("I live for the weekend", CG_FACET_ADDRESS);
    PII_NO("12 apples on the road", CG_FACET_ADDRESS);
}

/* ---- school and class --------------------------------------------------------------------- */

CG_TEST(detect_school_class)
{
    PII_YES("em học trường THCS Nguyễn Du", CG_FACET_SCHOOL, "trường THCS Nguyễn Du", 0.6f);
    PII_YES("truong thpt Chu Van An", CG_FACET_SCHOOL, "truong thpt Chu Van An", 0.6f);
    PII_YES("trường tiểu học", CG_FACET_SCHOOL, "trường tiểu học", 0.5f);
    PII_YES("em học lớp 6A", CG_FACET_SCHOOL, "học lớp 6A", 0.5f);
    PII_YES("lớp 7", CG_FACET_SCHOOL, "lớp 7", 0.5f);
    PII_YES("LỚP 10A1 nè", CG_FACET_SCHOOL, "LỚP 10A1", 0.5f);
    PII_YES("I go to Lincoln High School", CG_FACET_SCHOOL, "Lincoln High School", 0.6f);
    PII_YES("I'm in grade 6", CG_FACET_SCHOOL, "grade 6", 0.5f);
    PII_YES("I'm in year 7", CG_FACET_SCHOOL, "in year 7", 0.5f);
    PII_YES("6th grade sucks", CG_FACET_SCHOOL, "6th grade", 0.5f);
}

CG_TEST(detect_school_false_positives)
{
    PII_NO("lớp học vui lắm", CG_FACET_SCHOOL);
    PII_NO("thay lốp 6 cái", CG_FACET_SCHOOL);
    PII_NO("my school is big", CG_FACET_SCHOOL);
    PII_NO("trưởng phòng", CG_FACET_SCHOOL);
    PII_NO("the year 2023", CG_FACET_SCHOOL);
    PII_NO("lớp 15", CG_FACET_SCHOOL);
}

/* ---- handles ------------------------------------------------------------------------------ */

CG_TEST(detect_handles)
{
    PII_YES("follow @linh_2010 nhé", CG_FACET_HANDLE, "@linh_2010", 0.6f);
    PII_YES("zalo: 0912345678", CG_FACET_HANDLE, "zalo: 0912345678", 0.7f);
    PII_YES("tk là bin6c_vip nhé", CG_FACET_HANDLE, "tk là bin6c_vip", 0.7f);
    PII_YES("acc: hoang_2010", CG_FACET_HANDLE, "acc: hoang_2010", 0.7f);
    PII_YES("zalo: 0912345678", CG_FACET_PHONE, "0912345678", 0.9f);
    PII_YES("add my zalo", CG_FACET_HANDLE, "add my zalo", 0.5f);
    PII_YES("kết bạn zalo em nha", CG_FACET_HANDLE, "kết bạn zalo", 0.5f);
    PII_YES("telegram @xyz123", CG_FACET_HANDLE, "telegram @xyz123", 0.7f);
    PII_YES("snap: lily.k", CG_FACET_HANDLE, "snap: lily.k", 0.7f);
    PII_YES("sc: lilyk", CG_FACET_HANDLE, "sc: lilyk", 0.7f);
    PII_YES("ig: emma", CG_FACET_HANDLE, "ig: emma", 0.7f);
    PII_YES("facebook.com/linh.nguyen.99", CG_FACET_HANDLE, "facebook.com/linh.nguyen.99", 0.7f);
    PII_YES("vào https://m.facebook.com/profile.php?id=1000123 nha", CG_FACET_HANDLE,
            "facebook.com/profile.php?id=1000123", 0.7f);
    PII_YES("discord lily#1234", CG_FACET_HANDLE, "discord lily#1234", 0.7f);
    PII_YES("id: 12345678", CG_FACET_HANDLE, "id: 12345678", 0.7f);
    PII_YES("t.me/xyz", CG_FACET_HANDLE, "t.me/xyz", 0.7f);
}

CG_TEST(detect_handles_false_positives)
{
    PII_NO("zalo em", CG_FACET_HANDLE);
    PII_NO("@nh yêu em", CG_FACET_HANDLE);
    PII_NO("@nhé", CG_FACET_HANDLE);
    PII_NO("meet @home", CG_FACET_HANDLE);
    PII_NO("ig thì sao", CG_FACET_HANDLE);
    PII_NO("the line is long", CG_FACET_HANDLE);
    PII_NO("mật khẩu facebook của em là Linh@2010", CG_FACET_HANDLE);
}

/* ---- codes and passwords ------------------------------------------------------------------ */

CG_TEST(detect_codes_passwords)
{
    PII_YES("mã OTP 123456", CG_FACET_CODE, "mã OTP 123456", 0.9f);
    PII_YES("tk là bin6c, mk là b1n.2013", CG_FACET_CODE, "mk là b1n.2013", 0.9f);
    PII_YES("ma otp la 123456", CG_FACET_CODE, "ma otp la 123456", 0.9f);
    PII_YES("mã xác nhận: 4829", CG_FACET_CODE, "mã xác nhận: 4829", 0.9f);
    PII_YES("code is 482913", CG_FACET_CODE, "code is 482913", 0.9f);
    PII_YES("your code: 48291377", CG_FACET_CODE, "code: 48291377", 0.9f);
    PII_YES("PIN: 1234", CG_FACET_CODE, "PIN: 1234", 0.9f);
    PII_YES("mật khẩu là abc123", CG_FACET_CODE, "mật khẩu là abc123", 0.9f);
    PII_YES("mat khau: matkhau", CG_FACET_CODE, "mat khau: matkhau", 0.9f);
    PII_YES("password: hunter2!", CG_FACET_CODE, "password: hunter2", 0.9f);
    PII_YES("my pass is trắng123", CG_FACET_CODE, "pass is trắng123", 0.9f);
    PII_YES("mật khẩu facebook của em là Linh@2010", CG_FACET_CODE,
            "mật khẩu facebook của em là Linh@2010", 0.9f);
}

CG_TEST(detect_codes_false_positives)
{
    /* "mk" is also "mình": "mk là Lan" introduces someone, "mk đi học" is "I go to school". */
    PII_NO("mk là Lan nè", CG_FACET_CODE);
    PII_NO("mk đi học đây", CG_FACET_CODE);
    PII_NO("pass 2 cái", CG_FACET_CODE);
    PII_NO("pin 5000 mah", CG_FACET_CODE);
    PII_NO("mật khẩu là gì", CG_FACET_CODE);
    PII_NO("mà 123456", CG_FACET_CODE);
    PII_NO("code 12", CG_FACET_CODE);
    PII_NO("otp 123456789", CG_FACET_CODE);
    PII_NO("pass the ball", CG_FACET_CODE);
}

/* ---- ages --------------------------------------------------------------------------------- */

CG_TEST(detect_age_stated_en)
{
    STATED("I'm 12", 12, 12, "I'm 12");
    STATED("I'm 12.", 12, 12, "I'm 12");
    STATED("i am 12 years old", 12, 12, "i am 12 years old");
    STATED("12 yo", 12, 12, "12 yo");
    STATED("12yo", 12, 12, "12yo");
    STATED("im 13", 13, 13, "im 13");
    STATED("i'm 12yo", 12, 12, "i'm 12yo");
    STATED("my age is 14", 14, 14, "my age is 14");
    STATED("13 y/o", 13, 13, "13 y/o");
    STATED("e 13 t", 13, 13, "e 13 t");
}

CG_TEST(detect_age_stated_vi)
{
    STATED("em 12 tuổi", 12, 12, "em 12 tuổi");
    STATED("em 12 tuoi", 12, 12, "em 12 tuoi");
    STATED("EM 12 TUỔI", 12, 12, "EM 12 TUỔI");
    STATED("mình 13t", 13, 13, "mình 13t");
    STATED("năm nay em 11 tuổi", 11, 11, "em 11 tuổi");
    STATED("em sinh năm 2013", 11, 12, "sinh năm 2013");
    STATED("em 2k10", 14, 15, "2k10");
}

CG_TEST(detect_age_birth_year)
{
    int lo = -1, hi = -1;

    CG_ASSERT_EQ(cg__age_from_birth_year(2013, 2025, &lo, &hi), 1);
    CG_ASSERT_EQ(lo, 11);
    CG_ASSERT_EQ(hi, 12);
    CG_ASSERT_EQ(cg__age_from_birth_year(2013, 2030, &lo, &hi), 1);
    CG_ASSERT_EQ(hi, 17);
    CG_ASSERT_EQ(cg__age_from_birth_year(1980, 2025, &lo, &hi), 0);
    CG_ASSERT_EQ(lo, 0);
    CG_ASSERT_EQ(cg__age_from_birth_year(2024, 2025, &lo, &hi), 0);
    /* The clock-driven scan agrees with the year-driven one for this year. */
    {
        cg__normalized nm = {0};
        cg__age_signals a = {0};
        cg_error err = {0};
        const char *t = "em 12 tuổi";

        CG_ASSERT_OK(cg__normalize(normalizer(), t, strlen(t), CG__UTF8_REPLACE, 0, &nm, &err),
                     &err);
        CG_ASSERT_OK(cg__age_scan(t, strlen(t), &nm, &a, &err), &err);
        CG_ASSERT_EQ(a.n, 1);
        CG_ASSERT_EQ(a.v[0].min_age, 12);
        cg__age_signals_free(&a);
        cg__normalized_free(&nm);
    }
}

CG_TEST(detect_age_grades)
{
    STATED("em học lớp 6", 11, 12, "học lớp 6");
    STATED("lớp 6A3", 11, 12, "lớp 6A3");
    STATED("I'm in grade 6", 11, 12, "grade 6");
    STATED("6th grade", 11, 12, "6th grade");
    STATED("I'm in year 7", 11, 12, "in year 7");
}

CG_TEST(detect_age_asked)
{
    ASKED("how old are you?", "how old are you");
    ASKED("how old r u", "how old r u");
    ASKED("ur age?", "ur age");
    ASKED("wbu age", "wbu age");
    ASKED("hbu age", "hbu age");
    ASKED("asl?", "asl");
    ASKED("a/s/l", "a/s/l");
    ASKED("age?", "age");
    ASKED("em bao nhiêu tuổi", "bao nhiêu tuổi");
    ASKED("em mấy tuổi rồi", "mấy tuổi");
    ASKED("bn tuổi", "bn tuổi");
    ASKED("em học lớp mấy", "học lớp mấy");
    ASKED("what grade are you in", "what grade are you in");
}

CG_TEST(detect_age_false_positives)
{
    AGE_NO("bé nhà em 6 tuổi bị sốt");
    AGE_NO("bạn em 12 tuổi rồi");
    AGE_NO("I'm 100% sure");
    AGE_NO("I'm 12% sure");
    AGE_NO("12 apples");
    AGE_NO("I'm 5 minutes away");
    AGE_NO("I'm 30");
    AGE_NO("I waited 12 years");
    AGE_NO("my brother is 10 years old");
    AGE_NO("con tôi học lớp 6");
    AGE_NO("lớp học vui");
    AGE_NO("how old is your brother");
    AGE_NO("a 5 year old kid");
    AGE_NO("13t một tháng");
    AGE_NO("the year 2013");
    AGE_NO("tỉ số 3-1");
}

/* ---- inputs of every shape ---------------------------------------------------------------- */

CG_TEST(detect_empty_long_invalid)
{
    result r;
    char *big;
    const size_t n = 200000;
    static const char unit[] = "gọi 0912345678 nha, em 12 tuổi ";
    const size_t un = sizeof(unit) - 1;
    static const char bad[] = "em 12 tu\xff\xfei 09123\x80 45678 \xc3 @li\xe2\x82nh em\xf0\x9f";

    run("", 0, &r);
    CG_ASSERT_EQ(r.pii.n, 0);
    CG_ASSERT_EQ(r.age.n, 0);
    done(&r);

    big = malloc(n);
    CG_ASSERT(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = unit[i % un];
    run(big, n, &r);
    CG_ASSERT_GE(r.pii.n, n / un - 1);
    CG_ASSERT_GE(r.age.n, n / un - 1);
    done(&r);
    free(big);

    run(bad, sizeof(bad) - 1, &r); /* spans checked by run() */
    done(&r);
}

/* Hits are appended after what out already holds; a failed scan leaves it as it was. */
CG_TEST(detect_appends)
{
    cg__normalized nm = {0};
    cg__pii_hits h = {0};
    cg__age_signals a = {0};
    cg_error err = {0};
    const char *t = "0912345678 em 12 tuổi";

    CG_ASSERT_OK(cg__normalize(normalizer(), t, strlen(t), CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__pii_scan(t, strlen(t), &nm, &h, &err), &err);
    CG_ASSERT_OK(cg__pii_scan(t, strlen(t), &nm, &h, &err), &err);
    CG_ASSERT_EQ(h.n, 2);
    CG_ASSERT_EQ(h.v[0].start, h.v[1].start);
    CG_ASSERT_OK(cg__age_scan_year(t, strlen(t), &nm, YEAR, &a, &err), &err);
    CG_ASSERT_OK(cg__age_scan_year(t, strlen(t), &nm, YEAR, &a, &err), &err);
    CG_ASSERT_EQ(a.n, 2);
    CG_ASSERT_EQ(cg__pii_scan(t, strlen(t), NULL, &h, &err), CG_E_INVAL);
    CG_ASSERT_EQ(cg__age_scan(NULL, 3, &nm, &a, &err), CG_E_INVAL);
    cg__pii_hits_free(&h);
    cg__pii_hits_free(&h);
    cg__pii_hits_free(NULL);
    cg__age_signals_free(&a);
    cg__age_signals_free(NULL);
    cg__normalized_free(&nm);
}

/* Every allocation of a scan fails in turn: CG_E_NOMEM, the output as before, nothing leaked
 * (ASan). The message has more words than the scanners keep on the stack. */
CG_TEST(detect_alloc_failure)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    char text[4096];
    size_t len = 0;

    while (len + 64 < sizeof(text)) {
        static const char part[] = "zalo: 0912345678 em 12 tuổi mã OTP 123456 a b c d e ";

        memcpy(text + len, part, sizeof(part) - 1);
        len += sizeof(part) - 1;
    }
    CG_ASSERT_OK(cg__normalize(normalizer(), text, len, CG__UTF8_REPLACE, 0, &nm, &err), &err);
    for (int which = 0; which < 2; which++) {
        long n;

        for (n = 1;; n++) {
            cg__pii_hits h = {0};
            cg__age_signals a = {0};
            cg_status st;
            long made;

            CG_ASSERT_LT(n, 10000);
            cg__alloc_fail_at(n);
            st = which == 0 ? cg__pii_scan(text, len, &nm, &h, &err)
                            : cg__age_scan_year(text, len, &nm, YEAR, &a, &err);
            made = cg__alloc_count();
            cg__alloc_fail_at(0);
            if (made < n) {
                CG_ASSERT_OK(st, &err);
                CG_ASSERT_GT(which == 0 ? h.n : a.n, 10);
                cg__pii_hits_free(&h);
                cg__age_signals_free(&a);
                break;
            }
            CG_ASSERT_EQ(st, CG_E_NOMEM);
            CG_ASSERT_EQ(err.status, CG_E_NOMEM);
            CG_ASSERT_EQ(h.n, 0);
            CG_ASSERT_EQ(a.n, 0);
            cg__pii_hits_free(&h);
            cg__age_signals_free(&a);
        }
        printf("%s: %ld allocation points, each failure handled\n",
               which == 0 ? "pii" : "age", n - 1);
        CG_ASSERT_GT(n, 2);
    }
    cg__normalized_free(&nm);
}

/* ---- context markers and negation (detect_context.c, detect_negation.c) ------------------ */

static unsigned context_of(const char *text)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    unsigned m;

    CG_ASSERT_OK(cg__normalize(normalizer(), text, strlen(text), CG__UTF8_REPLACE, 0, &nm, &err),
                 &err);
    m = cg__context_scan(text, strlen(text), &nm);
    cg__normalized_free(&nm);
    return m;
}

static int to_parent(const char *text)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    int r;

    CG_ASSERT_OK(cg__normalize(normalizer(), text, strlen(text), CG__UTF8_REPLACE, 0, &nm, &err),
                 &err);
    r = cg__context_to_parent(&nm);
    cg__normalized_free(&nm);
    return r;
}

CG_TEST(detect_context_to_parent)
{
    CG_ASSERT(to_parent("mom my lips r kinda swelling"));
    CG_ASSERT(to_parent("Mẹ ơi con về muộn nhé"));
    CG_ASSERT(to_parent("con kể mẹ chuyện này nha mẹ ơi"));
    CG_ASSERT(to_parent("bố ơi"));
    CG_ASSERT(!to_parent("my mom says hi"));
    CG_ASSERT(!to_parent("anh ơi cho em hỏi"));
    CG_ASSERT(!to_parent("mẹ tao bảo thế"));
    /* A polite answer to a parent, not the parents as the subject, not "ba" (three). */
    CG_ASSERT(to_parent("Dạ mẹ, con quay video rồi"));
    CG_ASSERT(to_parent("vâng bố"));
    CG_ASSERT(to_parent("bà nội ơi con về rồi"));
    CG_ASSERT(!to_parent("dạ bố mẹ đi làm tối mới về"));
    CG_ASSERT(!to_parent("dạ ba giờ chiều ạ"));
    /* An aunt or uncle is family; so is the word that ends a message, unless it is named
     * ("my mom", "ask ur dad") rather than called. */
    CG_ASSERT(to_parent("auntie look what i made"));
    CG_ASSERT(to_parent("thank uuu auntie"));
    CG_ASSERT(to_parent("love u mom"));
    CG_ASSERT(!to_parent("im telling my mom"));
    CG_ASSERT(!to_parent("go ask ur dad"));
    CG_ASSERT(!to_parent("i'll call mom"));
    /* The polite particle after a parent, ending the message. */
    CG_ASSERT(to_parent("hơi rộng ở eo mẹ ạ"));
    CG_ASSERT(to_parent("con về rồi bố ạ"));
    CG_ASSERT(!to_parent("em chào anh ạ"));
    CG_ASSERT(!to_parent("mẹ em đi làm rồi ạ"));
}

static int refusal(const char *text)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    int r;

    CG_ASSERT_OK(cg__normalize(normalizer(), text, strlen(text), CG__UTF8_REPLACE, 0, &nm, &err),
                 &err);
    r = cg__context_refusal(&nm);
    cg__normalized_free(&nm);
    return r;
}

/* A refusal starts with "no", "stop", "thôi"... or says "don't want", "không muốn". */
CG_TEST(detect_context_refusal)
{
    CG_ASSERT(refusal("no, going to sleep"));
    CG_ASSERT(refusal("NOPE"));
    CG_ASSERT(refusal("i said no"));
    CG_ASSERT(refusal("i really dont want to"));
    CG_ASSERT(refusal("thôi em đi ngủ đây"));
    CG_ASSERT(refusal("em ko muốn gửi đâu"));
    CG_ASSERT(refusal("Em không dám"));
    CG_ASSERT(!refusal("ok sure"));
    CG_ASSERT(!refusal("dạ vâng"));
    CG_ASSERT(!refusal("i know what u mean"));
    CG_ASSERT(!refusal(""));
    CG_ASSERT(!refusal("một tấm thôi"));
}

CG_TEST(detect_context_markers)
{
    CG_ASSERT(context_of("ez round, gg noobs 😂") & CG__CTX_GAME);
    CG_ASSERT(context_of("ez round, gg noobs 😂") & CG__CTX_LAUGH);
    CG_ASSERT(context_of("coi tập mới Conan chưa, hung thủ ghê vl") & CG__CTX_STORY);
    CG_ASSERT(context_of("that movie scene where he dies") & CG__CTX_STORY);
    /* "sống" is "song" once diacritics go: not a song. */
    CG_ASSERT_EQ(context_of("t chán sống r") & CG__CTX_STORY, 0);
    CG_ASSERT(context_of("nó bảo tao gửi ảnh") & CG__CTX_REPORT);
    /* "đừng kể" asks for secrecy: not reporting. */
    CG_ASSERT_EQ(context_of("đừng kể ai là chị hỏi nha") & CG__CTX_REPORT, 0);
    CG_ASSERT(context_of("send me a photo of the cake") & CG__CTX_OBJECT);
    CG_ASSERT_EQ(context_of("send me a photo of you") & CG__CTX_OBJECT, 0);
    /* An adjective before the reader: still a photo of the reader. */
    CG_ASSERT_EQ(context_of("send me some pics of the real you then") & CG__CTX_OBJECT, 0);
    CG_ASSERT_EQ(context_of("a photo of cute u") & CG__CTX_OBJECT, 0);
    CG_ASSERT(context_of("send pics of the blue car you drew") & CG__CTX_OBJECT);
    /* News is a topic (carried over to the next messages); reading one's messages is not. */
    CG_ASSERT(context_of("đọc tin tức chưa, công an vừa bắt cả nhóm") & CG__CTX_NEWS);
    CG_ASSERT(context_of("did u see the news about the scam ring") & CG__CTX_NEWS);
    CG_ASSERT_EQ(context_of("chị con có hay đọc tin nhắn của con ko") & CG__CTX_NEWS, 0);
    CG_ASSERT_EQ(CG__CTX_TOPIC & (CG__CTX_OBJECT | CG__CTX_KIN | CG__CTX_REPORT), 0);
}

/* The marker lists are hash sets made at first use: every entry is found, two-word entries
 * need both words in a row, and hostile text (empty, spaces only, a word longer than any
 * entry, an entry's first word at the very end, bytes that are not UTF-8) marks nothing it
 * should not. */
CG_TEST(detect_context_word_sets)
{
    CG_ASSERT_EQ(cg__context_check(), 0);
    CG_ASSERT_EQ(context_of(""), 0);
    CG_ASSERT_EQ(context_of("    "), 0);
    CG_ASSERT(context_of("ur report card pls") & CG__CTX_OBJECT);
    CG_ASSERT_EQ(context_of("show me the card") & CG__CTX_OBJECT, 0);
    /* "report" alone is reporting; "report card" is both. */
    CG_ASSERT(context_of("i will report") & CG__CTX_REPORT);
    CG_ASSERT_EQ(context_of("i will report") & CG__CTX_OBJECT, 0);
    CG_ASSERT(context_of("watch the kill cam") & CG__CTX_GAME);
    CG_ASSERT_EQ(context_of("kill") & CG__CTX_GAME, 0);
    CG_ASSERT_EQ(context_of("the kill") & CG__CTX_GAME, 0);
    CG_ASSERT_EQ(context_of("homeworkhomeworkhomeworkhomework") & CG__CTX_TASK, 0);
    CG_ASSERT(context_of("homework homeworkhomeworkhomework") & CG__CTX_TASK);
    CG_ASSERT(context_of("bài tập") & CG__CTX_TASK);
    CG_ASSERT(context_of("bài tập") & CG__CTX_OBJECT);
    CG_ASSERT_EQ(context_of("bài") & (CG__CTX_TASK | CG__CTX_OBJECT), 0);
    /* A negator before a reporting word (not before other markers). */
    CG_ASSERT_EQ(context_of("dont report") & CG__CTX_REPORT, 0);
    CG_ASSERT(context_of("dont report the exam") & CG__CTX_TASK);
    CG_ASSERT(context_of("\xff\xfe exam \xc3") & CG__CTX_TASK);
    char big[4096];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = i % 7 == 6 ? ' ' : "lolgame"[i % 7];
    big[sizeof(big) - 1] = '\0';
    CG_ASSERT_EQ(context_of(big) & (CG__CTX_LAUGH | CG__CTX_GAME), 0);
}

/* The context check `which` (negated, a self offer, hyperbole after it) of the cue at the
 * first occurrence of cue in text. */
enum { CUE_NEGATED, CUE_OFFER, CUE_HYPERBOLE };

static int cue_check(const char *text, const char *cue, int which)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word stack[64], *w = NULL;
    size_t nw = 0;
    const char *at = strstr(text, cue);
    const uint32_t start = (uint32_t)(at - text), end = start + (uint32_t)strlen(cue);
    int r;

    CG_ASSERT(at != NULL);
    CG_ASSERT_OK(cg__normalize(normalizer(), text, strlen(text), CG__UTF8_REPLACE, 0, &nm, &err),
                 &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, text, strlen(text), stack, 64, &w, &nw), NULL);
    r = which == CUE_NEGATED ? cg__context_negated(text, w, nw, start)
        : which == CUE_OFFER ? cg__context_self_offer(w, nw, start)
                             : cg__context_hyperbole(w, nw, end);
    if (w != stack)
        cg__free(w);
    cg__normalized_free(&nm);
    return r;
}

static int negated(const char *text, const char *cue)
{
    return cue_check(text, cue, CUE_NEGATED);
}

CG_TEST(detect_negation)
{
    CG_ASSERT(negated("I won't send it", "send it"));
    CG_ASSERT(negated("no i'm not going to send pics", "send pics"));
    CG_ASSERT(negated("em không gửi đâu", "gửi"));
    CG_ASSERT(negated("đừng chuyển tiền, đừng gửi thêm", "chuyển tiền"));
    CG_ASSERT(negated("tao không muốn chết", "muốn chết"));
    CG_ASSERT(negated("ko phải muốn chết đâu, chỉ mệt thôi", "muốn chết"));
    /* A condition keeps the demand; no negator, or one too far, keeps the cue. */
    CG_ASSERT(!negated("nếu không chuyển tiền thì tao đăng", "chuyển tiền"));
    CG_ASSERT(!negated("if you don't send more I post them", "send more"));
    CG_ASSERT(!negated("send it now", "send it"));
    CG_ASSERT(!negated("ko ai quan tâm t, muốn chết", "muốn chết"));
    /* Only cues that start with an act or a wish: "can't take it" stays despair. */
    CG_ASSERT(!negated("i can't take it anymore", "take it"));
}

static int offer(const char *text, const char *cue)
{
    return cue_check(text, cue, CUE_OFFER);
}

CG_TEST(detect_self_offer)
{
    CG_ASSERT(offer("ill send a pic when i get it", "send a pic"));
    CG_ASSERT(offer("I will send pics later", "send pics"));
    CG_ASSERT(!offer("send me a pic", "send me a pic"));
    CG_ASSERT(!offer("can you send a pic", "send a pic"));
    CG_ASSERT(!offer("if i send you a pic will you send one", "send one"));
    /* Round 8: Vietnamese first person, unambiguous ("t", "tao", "tớ"), with helper words. */
    CG_ASSERT(offer("được, t mang đi rửa rồi gửi ảnh vào nhóm", "gửi ảnh"));
    CG_ASSERT(offer("t sẽ chụp ảnh con bò với Kiệt", "chụp ảnh"));
    CG_ASSERT(offer("tớ đăng lên nhóm lớp nhé", "đăng"));
    CG_ASSERT(!offer("em gửi anh vài tấm ảnh", "gửi"));       /* "em": either side */
    CG_ASSERT(!offer("t muốn em gửi ảnh cho t", "gửi ảnh"));  /* what t wants of the reader */
    CG_ASSERT(!offer("nếu t gửi ảnh thì m gửi lại nhé", "gửi lại"));
    CG_ASSERT(!offer("gửi ảnh đi", "gửi ảnh"));
}

static int hyperbole(const char *text, const char *cue)
{
    return cue_check(text, cue, CUE_HYPERBOLE);
}

/* Round 8: despair followed by what makes it hyperbole (dying of embarrassment); despair with
 * a time after it ("cuối tuần"), "chán sống", or nothing after it stays despair. */
CG_TEST(detect_hyperbole_after_despair)
{
    CG_ASSERT(hyperbole("nhưng t vẫn muốn chết vì xấu hổ", "muốn chết"));
    CG_ASSERT(hyperbole("i could die of embarrassment rn", "die"));
    CG_ASSERT(hyperbole("muon chet vi ngai qua", "muon chet"));
    CG_ASSERT(!hyperbole("t không muốn sống nữa. cuối tuần này t sẽ kết thúc", "không muốn sống"));
    CG_ASSERT(!hyperbole("muốn chết vì chán sống", "muốn chết"));
    CG_ASSERT(!hyperbole("i want to die", "die"));
    CG_ASSERT(!hyperbole("i want to die lol", "die"));
    CG_ASSERT(!hyperbole("muốn chết \xff\xfe", "muốn chết"));
}

/* ---- personal data stated about the reader (detect_pii_spoken.c, detect_pii_school.c) ------ */

/* The largest weight of a hit of facet in text (0 when none). */
static float pii_max(const char *text, cg_facet facet)
{
    result r;
    float m = 0.0f;

    run(text, strlen(text), &r);
    for (size_t i = 0; i < r.pii.n; i++)
        if (r.pii.v[i].facet == facet && r.pii.v[i].weight > m)
            m = r.pii.v[i].weight;
    done(&r);
    return m;
}

/* Personal data revealed by either side counts: the writer stating where the reader lives or
 * studies and asking to confirm, the reader's class and schedule, a school named without
 * "school". */
CG_TEST(detect_pii_stated_about_the_reader)
{
    PII_YES("ur in fairfield right? im close", CG_FACET_ADDRESS, "ur in fairfield", 0.5f);
    PII_YES("you live on Carver, yeah?", CG_FACET_ADDRESS, "you live on Carver", 0.5f);
    PII_YES("em ở Cầu Giấy đúng ko", CG_FACET_ADDRESS, "em ở Cầu Giấy", 0.5f);
    PII_YES("e o ha dong phai khong", CG_FACET_ADDRESS, "e o ha dong", 0.5f);
    PII_YES("ur in 10th at ridgeview", CG_FACET_SCHOOL, "in 10th", 0.5f);
    PII_YES("im in 7th and i hate it", CG_FACET_SCHOOL, "in 7th", 0.5f);
    PII_YES("you go to Westbrook Middle", CG_FACET_SCHOOL, "Westbrook Middle", 0.5f);
    PII_YES("she's at Oakridge Academy now", CG_FACET_SCHOOL, "Oakridge Academy", 0.5f);
    PII_YES("you walk home down Maple around 3:20", CG_FACET_SCHOOL,
            "walk home down Maple around 3:20", 0.35f);
    PII_YES("chiều thứ 4 5h15 em ra cổng phụ", CG_FACET_SCHOOL, "5h15 em ra cổng", 0.35f);
    PII_YES("its the yellow house right after the fire station", CG_FACET_ADDRESS,
            "house right after the fire station", 0.45f);
}

CG_TEST(detect_pii_stated_about_the_reader_traps)
{
    PII_NO("ur in trouble right?", CG_FACET_ADDRESS);
    PII_NO("you're at home right?", CG_FACET_ADDRESS);
    PII_NO("ur in the car right", CG_FACET_ADDRESS);
    PII_NO("em ở đâu đúng ko", CG_FACET_ADDRESS);
    PII_NO("you in class rn? right", CG_FACET_ADDRESS);
    PII_NO("you were in Paris last summer", CG_FACET_ADDRESS); /* no tag asking to confirm */
    PII_NO("im in 1st place lol", CG_FACET_SCHOOL); /* a rank */
    PII_NO("The High Street is closed", CG_FACET_SCHOOL);
    PII_NO("Very High scores today", CG_FACET_SCHOOL);
    PII_NO("came 2nd in the race", CG_FACET_SCHOOL);
}

/* A class or a place in an announcement to parents or pupils is the school's timetable: it
 * counts 0.4 of its weight; a phone number in it keeps its weight. */
CG_TEST(detect_pii_announcements_weigh_less)
{
    const float cls = pii_max("Kính gửi phụ huynh lớp 7A3, các con tan học lúc 16h45",
                              CG_FACET_SCHOOL);
    CG_ASSERT(cls > 0.0f && cls <= 0.5f * 0.4f + 1e-6f);
    CG_ASSERT(pii_max("em học lớp 7A3", CG_FACET_SCHOOL) >= 0.5f);
    CG_ASSERT(pii_max("Dear parents, Lincoln High School opens at 8", CG_FACET_SCHOOL) <= 0.25f);
    CG_ASSERT(pii_max("Dear parents, call 0912345678 for the bus", CG_FACET_PHONE) >= 0.9f);
}

/* ---- bullying by extortion (detect_demand.c) ------------------------------------------------ */

/* The weight of the demand found in text (0 when none); its span is checked. */
static float demand(const char *text, size_t len)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word stack[64], *w = NULL;
    cg__pii_hits h = {0};
    size_t nw = 0;
    float m = 0.0f;

    CG_ASSERT_OK(cg__normalize(normalizer(), text, len, CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, text, len, stack, 64, &w, &nw), NULL);
    CG_ASSERT_EQ(cg__demand_scan(text, len, w, nw, &h), 0);
    CG_ASSERT(h.n <= 1);
    for (size_t i = 0; i < h.n; i++) {
        check_span(text, len, h.v[i].start, h.v[i].end);
        CG_ASSERT_EQ(h.v[i].facet, CG_FACET_BULLY_THREAT);
        m = h.v[i].weight;
    }
    cg__pii_hits_free(&h);
    if (w != stack)
        cg__free(w);
    cg__normalized_free(&nm);
    return m;
}

static void demand_is_at(int line, const char *text, size_t len, float want)
{
    const float got = demand(text, len);

    if (got < want - 1e-6f || got > want + 1e-6f)
        cg_test_fail(__FILE__, line, "demand %.2f, want %.2f in \"%.*s\"", (double)got,
                     (double)want, (int)(len < 80 ? len : 80), text);
}

#define DEMAND_IS(t, w) demand_is_at(__LINE__, (t), strlen(t), (w))

CG_TEST(detect_demand_extortion)
{
    DEMAND_IS("bring 20 bucks behind the gym at lunch tomorrow", 0.45f);
    DEMAND_IS("bring 20 bucks behind the gym at lunch tomorrow. come alone", 0.7f);
    DEMAND_IS("give me ur lunch money before first period or else", 0.7f);
    DEMAND_IS("leave $10 in my locker by friday", 0.45f);
    DEMAND_IS("mai giờ ra chơi mang 50 nghìn ra cổng sau nhà xe", 0.45f);
    DEMAND_IS("mai mang 50k ra cong sau, ko thi liệu hồn", 0.7f);
    DEMAND_IS("mang tai nghe xuống canteen lúc 9h30 đưa t", 0.45f);
    DEMAND_IS("dem 100k ra nha xe thu 2", 0.45f);
    DEMAND_IS("ko mang thì chiều về cẩn thận", 0.5f);
    DEMAND_IS("if u dont bring it ur done", 0.5f);
}

CG_TEST(detect_demand_traps)
{
    DEMAND_IS("mai nhớ mang 50k trả t nha, hôm bữa t cho m mượn", 0.0f); /* repaid */
    DEMAND_IS("bring $15 for the trip to room 204 by Friday", 0.0f);      /* a fee */
    DEMAND_IS("please bring 20k tomorrow for the class fund", 0.0f);
    DEMAND_IS("t mang 50k cho m mai nha", 0.0f);          /* the writer's own act */
    DEMAND_IS("I'll bring the money tomorrow", 0.0f);
    DEMAND_IS("bring ketchup tomorrow", 0.0f);            /* no value */
    DEMAND_IS("give me 5 bucks lol", 0.0f);               /* no time or place */
    DEMAND_IS("mai mạng 50k yếu quá", 0.0f);              /* "mạng", not "mang" */
    DEMAND_IS("đùa 50k mai", 0.0f);                       /* "đùa", not "đưa" */
    DEMAND_IS("mang tiện mai", 0.0f);                     /* "tiện", not "tiền" */
}

/* Hostile input: empty, a verb or "$" at the very end, invalid UTF-8 and NUL bytes, a long
 * message of demands (one hit), and every allocation failing (-1, nothing appended). */
CG_TEST(detect_demand_hostile_input)
{
    static const char bad[] = "bring \xff\xfe$ mang 5\x80k \xc3 mai \0 gym $";
    const size_t n = 100000;
    static const char unit[] = "bring 20 bucks behind the gym tomorrow ";
    char *big = malloc(n);

    demand_is_at(__LINE__, "", 0, 0.0f);
    DEMAND_IS("bring", 0.0f);
    DEMAND_IS("tomorrow bring $", 0.0f);
    DEMAND_IS("mang", 0.0f);
    (void)demand(bad, sizeof(bad) - 1); /* spans checked by demand() */
    CG_ASSERT(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = unit[i % (sizeof(unit) - 1)];
    demand_is_at(__LINE__, big, n, 0.45f);
    free(big);

    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word stack[16], *w = NULL;
    cg__pii_hits h = {0};
    size_t nw = 0;
    const char *t = "bring 20 bucks behind the gym";
    CG_ASSERT_OK(cg__normalize(normalizer(), t, strlen(t), CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, t, strlen(t), stack, 16, &w, &nw), NULL);
    cg__alloc_fail_at(1);
    const int r = cg__demand_scan(t, strlen(t), w, nw, &h);
    cg__alloc_fail_at(0);
    CG_ASSERT_EQ(r, -1);
    CG_ASSERT_EQ(h.n, 0);
    cg__pii_hits_free(&h);
    cg__normalized_free(&nm);
}

/* ---- a demand spread over messages (detect_demand.c) ----------------------------------------- */

/* The parts of a demand in text (full: read every part, as for a writer with one pending). */
static unsigned demand_parts(const char *text, int full)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word stack[64], *w = NULL;
    cg__pii_hits h = {0};
    size_t nw = 0, len = strlen(text);
    unsigned parts = 0;

    CG_ASSERT_OK(cg__normalize(normalizer(), text, len, CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, text, len, stack, 64, &w, &nw), NULL);
    CG_ASSERT_EQ(cg__demand_scan_parts(text, len, w, nw, full, &h, &parts), 0);
    cg__pii_hits_free(&h);
    if (w != stack)
        cg__free(w);
    cg__normalized_free(&nm);
    return parts;
}

/* A payment asked for without its account, time or threat is pending; the next message that
 * brings one completes it: to an account (or from someone already holding images) it is
 * sextortion's demand, else bullying by extortion. */
CG_TEST(detect_demand_carried_over_messages)
{
    cg_facet f = CG_FACET_NONE;
    float wt = 0.0f;

    CG_ASSERT(demand_parts("send 500k", 0) & CG__DEM_ASK);
    CG_ASSERT(demand_parts("chuyển 2tr đi", 0) & CG__DEM_ASK);
    CG_ASSERT(demand_parts("bring them behind the gym at lunch", 0) & CG__DEM_VERB);
    CG_ASSERT(demand_parts("vào stk này trước 10h tối nay", 1) & CG__DEM_DEST);
    CG_ASSERT(demand_parts("by tonight or i post it", 1) & CG__DEM_THREAT);
    CG_ASSERT(demand_parts("500k", 1) & CG__DEM_ASK);
    /* Without a pending demand nothing but verbs is read (cost: most messages have none). */
    CG_ASSERT_EQ(demand_parts("to this account by tonight", 0), 0u);
    CG_ASSERT_EQ(demand_parts("bring 20 bucks behind the gym tomorrow", 0) & CG__DEM_DONE,
                 CG__DEM_DONE);

    const unsigned ask = demand_parts("send 500k", 0);
    CG_ASSERT(cg__demand_carry(ask, demand_parts("to this account", 1), 0, &f, &wt));
    CG_ASSERT(f == CG_FACET_DEMAND && wt == 0.5f);
    CG_ASSERT(cg__demand_carry(ask, demand_parts("by tonight", 1), 1, &f, &wt));
    CG_ASSERT(f == CG_FACET_DEMAND);
    CG_ASSERT(cg__demand_carry(ask, demand_parts("by tonight", 1), 0, &f, &wt));
    CG_ASSERT(f == CG_FACET_BULLY_THREAT && wt == 0.45f);
    CG_ASSERT(cg__demand_carry(demand_parts("mang 50k", 0), demand_parts("không thì biết tay", 1),
                               0, &f, &wt));
    CG_ASSERT(f == CG_FACET_BULLY_THREAT && wt == 0.7f);
    /* The amount after the place. */
    CG_ASSERT(cg__demand_carry(demand_parts("bring it behind the gym at lunch", 0),
                               demand_parts("50k", 1), 0, &f, &wt));
    /* Traps: nothing pending, nothing new, a repayment, the writer's own payment. */
    CG_ASSERT(!cg__demand_carry(0, demand_parts("by tonight", 1), 1, &f, &wt));
    CG_ASSERT(!cg__demand_carry(ask, demand_parts("ok?", 1), 1, &f, &wt));
    CG_ASSERT(!cg__demand_carry(ask, demand_parts("by tonight pls, for the class trip", 1), 0,
                                &f, &wt));
    CG_ASSERT_EQ(demand_parts("i'll send 500k tonight", 0) & CG__DEM_ASK, 0u);
    CG_ASSERT(!cg__demand_carry(demand_parts("ok i can send", 0), demand_parts("tonight", 1), 0,
                                &f, &wt));
}

/* Round 8: a countdown and a value named without a verb are parts of a demand. */
CG_TEST(detect_demand_countdown_and_value_parts)
{
    static const char *const clock[] = {
        "you have 10 minutes", "5 minutes left", "còn 5 phút", "hết giờ rồi", "time's up",
        "tick tock ⏰", "10p nữa", "2 tiếng nữa", "u got 30mins", "the clock is ticking",
        "còn 2 giờ", "đếm ngược đi", NULL};
    static const char *const not_clock[] = {
        "give me 10 minutes", "đợi em 5 phút", "5 phút trước", "for 2 minutes", "2 giờ chiều",
        "9h30 nhé", "1234 minutes", "99999999999999999999999999999999 minutes",
        "the first 20 min", "7 min ago", "tickets at 5", NULL};
    static const char *const value[] = {"500k", "$50", "a steam gift card", "mua thẻ cào",
                                        "thêm 3 tấm nữa", "3 more pics", "5 ảnh nữa", "5tr",
                                        NULL};
    static const char *const not_value[] = {"i only have 50k", "anh cho em 500k",
                                            "i'll pay you $50", "3 more days", "thêm 3 cái",
                                            "ok", NULL};

    for (const char *const *t = clock; *t != NULL; t++)
        if (!(demand_parts(*t, 0) & CG__DEM_CLOCK))
            cg_test_fail(__FILE__, __LINE__, "no countdown in \"%s\"", *t);
    for (const char *const *t = not_clock; *t != NULL; t++)
        if (demand_parts(*t, 0) & CG__DEM_CLOCK)
            cg_test_fail(__FILE__, __LINE__, "a countdown in \"%s\"", *t);
    for (const char *const *t = value; *t != NULL; t++)
        if (!(demand_parts(*t, 0) & CG__DEM_VALUE))
            cg_test_fail(__FILE__, __LINE__, "no value in \"%s\"", *t);
    for (const char *const *t = not_value; *t != NULL; t++)
        if (demand_parts(*t, 0) & CG__DEM_VALUE)
            cg_test_fail(__FILE__, __LINE__, "a value in \"%s\"", *t);
}

/* A value named, then a threat or a countdown (or both in one message), is a demand; with a
 * time, a place or an account alone it is none (a shop's price, then "ship tomorrow"). A
 * countdown counts from a writer with extortion or a demand pending, and more when repeated. */
CG_TEST(detect_demand_value_then_threat_and_countdown)
{
    cg_facet f = CG_FACET_NONE;
    float wt = 0.0f;
    const unsigned val = demand_parts("500k", 0);

    CG_ASSERT(cg__demand_carry(val, demand_parts("send it or else", 1), 1, &f, &wt));
    CG_ASSERT(f == CG_FACET_DEMAND && wt == 0.5f);
    CG_ASSERT(cg__demand_carry(demand_parts("thêm 3 tấm nữa", 0),
                               demand_parts("gửi đi không thì t đăng", 1), 1, &f, &wt));
    CG_ASSERT(cg__demand_carry(val, demand_parts("còn 10 phút", 1), 1, &f, &wt));
    CG_ASSERT(cg__demand_carry(0, demand_parts("$50 gift card in 10 minutes", 0), 1, &f, &wt));
    CG_ASSERT(f == CG_FACET_DEMAND);
    /* A countdown pending, then the amount. */
    CG_ASSERT(cg__demand_carry(demand_parts("you have 10 minutes", 0), demand_parts("send 500k", 0),
                               1, &f, &wt));
    /* Traps: a value with a time, a place or an account only; a value alone; a repayment. */
    CG_ASSERT(!cg__demand_carry(val, demand_parts("gửi chị địa chỉ nhé, mai ship", 1), 0, &f, &wt));
    CG_ASSERT(!cg__demand_carry(val, demand_parts("to this account", 1), 1, &f, &wt));
    CG_ASSERT(!cg__demand_carry(0, val, 1, &f, &wt));
    CG_ASSERT(!cg__demand_carry(val, demand_parts("thanks, i'll pay it back or else lol", 1), 1,
                                &f, &wt));
    CG_ASSERT(!cg__demand_carry(0, demand_parts("500k nha", 0), 1, &f, &wt));

    const unsigned clock = demand_parts("5 minutes left", 0);
    CG_ASSERT(cg__demand_countdown(0, clock, 1, &wt) && wt == 0.45f);
    CG_ASSERT(cg__demand_countdown(clock, demand_parts("time's up", 0), 0, &wt) && wt == 0.6f);
    CG_ASSERT(!cg__demand_countdown(0, clock, 0, &wt)); /* nothing held: a teacher, a parent */
    CG_ASSERT(!cg__demand_countdown(0, demand_parts("5 minutes left, thanks", 0), 1, &wt));
    CG_ASSERT(!cg__demand_countdown(0, demand_parts("send it", 1), 1, &wt));
}

/* Hostile input for the countdown and value parts: invalid UTF-8 and NUL bytes around numbers
 * and units, numbers too long to be a countdown, units at the very end, a 64 KiB message. */
CG_TEST(detect_demand_countdown_hostile_input)
{
    static const char bad[] = "\xff" "5\xfe minutes \xc3 c\xf2n 5 ph\xc3\xba" "t \0 10p \x80$";
    const size_t n = 64 * 1024;
    static const char unit[] = "còn 5 phút 500k tick tock 9999999999 minutes ";
    char *big = malloc(n + 1);
    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word stack[8], *w = NULL;
    cg__pii_hits h = {0};
    size_t nw = 0;
    unsigned parts = 0;

    (void)demand_parts("minutes", 1);
    (void)demand_parts("5", 1);
    (void)demand_parts("$", 1);
    CG_ASSERT_EQ(demand_parts("18446744073709551617 minutes", 0) & CG__DEM_CLOCK, 0u);
    CG_ASSERT_OK(cg__normalize(normalizer(), bad, sizeof(bad) - 1, CG__UTF8_REPLACE, 0, &nm, &err),
                 &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, bad, sizeof(bad) - 1, stack, 8, &w, &nw), NULL);
    CG_ASSERT_EQ(cg__demand_scan_parts(bad, sizeof(bad) - 1, w, nw, 1, &h, &parts), 0);
    CG_ASSERT(parts < 512u);
    if (w != stack)
        cg__free(w);
    cg__normalized_free(&nm);
    w = NULL;
    CG_ASSERT(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = unit[i % (sizeof(unit) - 1)];
    big[n] = '\0';
    CG_ASSERT_OK(cg__normalize(normalizer(), big, n, CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, big, n, stack, 8, &w, &nw), NULL);
    CG_ASSERT_EQ(cg__demand_scan_parts(big, n, w, nw, 0, &h, &parts), 0);
    CG_ASSERT_EQ(parts & (CG__DEM_CLOCK | CG__DEM_VALUE), CG__DEM_CLOCK | CG__DEM_VALUE);
    CG_ASSERT_EQ(h.n, 0);
    if (w != stack)
        cg__free(w);
    cg__normalized_free(&nm);
    cg__pii_hits_free(&h);
    free(big);
}

/* ---- whose personal data (detect_pii_subject.c) --------------------------------------------- */

static int subject_of(const char *text)
{
    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word stack[64], *w = NULL;
    size_t nw = 0, len = strlen(text);

    CG_ASSERT_OK(cg__normalize(normalizer(), text, len, CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, text, len, stack, 64, &w, &nw), NULL);
    const int s = cg__pii_subject(text, len, w, nw);
    if (w != stack)
        cg__free(w);
    cg__normalized_free(&nm);
    return s;
}

CG_TEST(detect_pii_subject_writer_reader)
{
    CG_ASSERT_EQ(subject_of("you live at 14 Carver Street, grade 7, right?"), CG__PD_READER);
    CG_ASSERT_EQ(subject_of("em học lớp 7A4 trường THCS Nguyễn Du đúng ko"), CG__PD_READER);
    CG_ASSERT_EQ(subject_of("i know where you live. 14 Carver St"), CG__PD_KNOWN);
    CG_ASSERT_EQ(subject_of("anh biết hết, 5h15 em ra cổng"), CG__PD_KNOWN);
    CG_ASSERT_EQ(subject_of("tao biết nhà mày ở ngõ 45"), CG__PD_KNOWN);
    CG_ASSERT_EQ(subject_of("my address is 12 Oak St"), CG__PD_WRITER);
    CG_ASSERT_EQ(subject_of("nhà mình ở số 12 ngõ 45 nhé"), CG__PD_WRITER);
    CG_ASSERT_EQ(subject_of("I live at 12 Oak St"), CG__PD_WRITER);
    /* "em" names either side: the conversation decides. */
    CG_ASSERT_EQ(subject_of("em học lớp 7A4"), CG__PD_UNKNOWN);
    CG_ASSERT_EQ(subject_of("máy tính ở phòng 12"), CG__PD_UNKNOWN); /* "máy", not "mày" */
    CG_ASSERT_EQ(subject_of(""), CG__PD_UNKNOWN);
    /* Hostile input: invalid UTF-8, NUL bytes, a long run of pronouns (one pass). */
    CG_ASSERT_EQ(cg__pii_subject("", 0, NULL, 0), CG__PD_UNKNOWN);
    (void)subject_of("you \xff\xfe right \xc3 i know");
    const size_t n = 7 * 28000; /* whole "you my " units */
    char *big = malloc(n + 1);
    CG_ASSERT(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = "you my "[i % 7];
    big[n] = '\0';
    cg__normalized nm = {0};
    cg_error err = {0};
    cg__word *w = NULL;
    size_t nw = 0;
    CG_ASSERT_OK(cg__normalize(normalizer(), big, n, CG__UTF8_REPLACE, 0, &nm, &err), &err);
    CG_ASSERT_OK(cg__words_split(&nm.plain, big, n, NULL, 0, &w, &nw), NULL);
    CG_ASSERT(nw > 1000);
    CG_ASSERT_EQ(cg__pii_subject(big, n, w, nw), CG__PD_UNKNOWN); /* as many of each */
    cg__free(w);
    cg__normalized_free(&nm);
    free(big);
}
