/* Unit tests: the expectation table (report/expect.c) and the string
 * builder (common/strbuf.c) that replaced hand-offset snprintf chains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "report/expect.h"
#include "report/report.h"

static bool parses(const char *text)
{
    struct expectation e;
    char why[512];
    return expectation_parse(text, &e, why, sizeof why) == 0;
}

/* every key with the values it takes; typos are refused, not read as 0 */
static void parse_accepts_and_refuses(void **state)
{
    (void)state;
    const char *good[] = {"class=cloned", "class=!copied", "class=shared-elsewhere", "fallback=yes", "fallback=no",
                          "warnings=0", "warnings=12", "complete=yes", "complete=no", "exit=0", "exit=255"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(parses(good[i]));
    const char *bad[] = {"warnings=x", "warnings=", "warnings=-1", "warnings= 1", "warnings=1x", "warnings=+1",
                         "warnings=99999999999999999999", "class=clonned", "class=", "class=!", "class=Cloned",
                         "complete=maybe", "complete=", "fallback=sometimes", "fallback=YES", "exit=256",
                         "exit=x", "foo=1", "nokey", "=1", "", " class=cloned", "class =cloned"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parses(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    }
}

static void why_names_the_problem(void **state)
{
    (void)state;
    struct expectation e;
    char why[512];
    assert_int_equal(expectation_parse("class=clonned", &e, why, sizeof why), -1);
    assert_non_null(strstr(why, "unknown class clonned"));
    assert_non_null(strstr(why, "cloned, partial"));
    assert_int_equal(expectation_parse("foo=1", &e, why, sizeof why), -1);
    assert_non_null(strstr(why, "keys: class, fallback, warnings, complete, exit"));
}

static bool judge(const char *text, const struct cell *c)
{
    struct expectation e;
    char why[512];
    assert_int_equal(expectation_parse(text, &e, why, sizeof why), 0);
    char *observed = NULL;
    bool pass = expectation_judge(&e, c, &observed);
    assert_non_null(observed);
    free(observed);
    return pass;
}

static void judges_a_cell(void **state)
{
    (void)state;
    struct cell c = {.mode = "clone", .warnings = 1, .exit_code = 0};
    c.classes[CLS_CLONED] = 10;
    c.classes[CLS_INLINE] = 3; /* inline and empty never count against a class */
    c.classes[CLS_EMPTY] = 2;
    assert_true(judge("class=cloned", &c));
    assert_true(judge("class=!copied", &c));
    assert_false(judge("class=!cloned", &c));
    assert_true(judge("fallback=no", &c));
    assert_false(judge("fallback=yes", &c));
    assert_true(judge("warnings=1", &c));
    assert_false(judge("warnings=0", &c));
    assert_true(judge("complete=yes", &c));
    assert_true(judge("exit=0", &c));
    c.classes[CLS_COPIED] = 1; /* one file fell back */
    assert_false(judge("class=cloned", &c));
    assert_true(judge("fallback=yes", &c));
    c.missing = 1;
    assert_false(judge("complete=yes", &c));
    assert_true(judge("complete=no", &c));
}

/* past any fixed buffer the old chains used (512 bytes), nothing is cut */
static void strbuf_grows_and_detaches(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_string_equal(strbuf_str(&sb), "");
    for (int i = 0; i < 1000; i++) {
        strbuf_addsep(&sb, ", ");
        strbuf_addf(&sb, "item %d", i);
    }
    assert_int_equal(sb.len, strlen(strbuf_str(&sb)));
    assert_true(sb.len > 8000);
    assert_non_null(strstr(strbuf_str(&sb), "item 0, item 1, "));
    assert_non_null(strstr(strbuf_str(&sb), ", item 999"));
    char small[8];
    assert_int_equal(strbuf_copy(&sb, small, sizeof small), sb.len);
    assert_string_equal(small, "item 0,");
    char *s = strbuf_detach(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(strbuf_str(&sb), "");
    assert_int_equal(strncmp(s, "item 0", 6), 0);
    free(s);
    s = strbuf_detach(&sb); /* nothing added: an empty string, still the caller's */
    assert_string_equal(s, "");
    free(s);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_accepts_and_refuses),
        cmocka_unit_test(why_names_the_problem),
        cmocka_unit_test(judges_a_cell),
        cmocka_unit_test(strbuf_grows_and_detaches),
    };
    return cmocka_run_group_tests_name("expect", tests, NULL, NULL);
}
