/* Telling Vietnamese from English (cg_text_detect_lang, issue 20.5): synthetic messages written
 * for this test, with and without diacritics, teencode, and text that gives no cue. */
#include "cg_test.h"

#include <string.h>

#include "childguard/text.h"

static const char *lang(const char *s)
{
    return cg_text_detect_lang(s, strlen(s));
}

static void expect(const char *text, const char *want, int line)
{
    const char *got = lang(text);

    if ((want == NULL) != (got == NULL) || (want != NULL && strcmp(want, got) != 0))
        cg_test_fail(__FILE__, line, "\"%s\": got %s, want %s", text, got ? got : "NULL",
                     want ? want : "NULL");
}

CG_TEST(lang_english_messages)
{
    expect("i don't want to be here anymore", "en", __LINE__);
    expect("you're such a loser, nobody likes you", "en", __LINE__);
    expect("are you alone? don't tell anyone", "en", __LINE__);
    expect("Hi, how was school today?", "en", __LINE__);
}

CG_TEST(lang_vietnamese_messages)
{
    expect("chán sống quá", "vi", __LINE__);
    expect("Em đang ở nhà một mình à?", "vi", __LINE__);
    expect("mày là đồ ngu", "vi", __LINE__);
    /* Without diacritics and in teencode, as children type. */
    expect("ko ai thich ban dau", "vi", __LINE__);
    expect("minh dc 13 tuoi roi", "vi", __LINE__);
    /* Decomposed tone marks (NFD input) count as Vietnamese letters. */
    expect("cha\xcc\x81n so\xcc\x82\xcc\x81ng", "vi", __LINE__);
}

CG_TEST(lang_unknown_when_there_is_no_cue)
{
    expect("", NULL, __LINE__);
    expect("ok", NULL, __LINE__);
    expect("12345 !!! :)", NULL, __LINE__);
    expect("\xff\xfe\xfd", NULL, __LINE__);
    CG_ASSERT(cg_text_detect_lang(NULL, 0) == NULL);
    /* Words shared by both once diacritics are gone count for neither. */
    expect("the me to do", NULL, __LINE__);
    /* A length is honoured: the English tail is not read. */
    CG_ASSERT_STR_EQ(cg_text_detect_lang("chết you are", 6), "vi");
}
