/* Unit tests: which wheel entry names are accepted, and case folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/entryname.h"

static void accepts_ordinary_names(void **state)
{
    (void)state;
    assert_null(entryname_check("pip/__init__.py"));
    assert_null(entryname_check("pip-23.0.1.dist-info/RECORD"));
    assert_null(entryname_check("pkg/caf\xc3\xa9.py")); /* café, UTF-8 */
    assert_null(entryname_check("a/..b/c.."));          /* dots inside names are fine */
}

static void rejects_hostile_names(void **state)
{
    (void)state;
    assert_string_equal(entryname_check("/etc/passwd"), "absolute path");
    assert_string_equal(entryname_check("../../x"), "'..' component");
    assert_string_equal(entryname_check("a/../../x"), "'..' component");
    assert_string_equal(entryname_check("a/./x"), "'.' component");
    assert_string_equal(entryname_check("a//x"), "empty path component");
    assert_string_equal(entryname_check(""), "empty name");
    assert_string_equal(entryname_check("a\\..\\x"), "backslash in name");
    assert_string_equal(entryname_check("a\nb"), "control character in name");
    assert_string_equal(entryname_check("bad\xff.py"), "name is not valid UTF-8");
    assert_string_equal(entryname_check("over\xc0\xaflong"), "name is not valid UTF-8");
    assert_string_equal(entryname_check("surrogate\xed\xa0\x80"), "name is not valid UTF-8");
    char longname[ENTRYNAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_string_equal(entryname_check(longname), "name longer than 1024 bytes");
    char comp[300];
    memset(comp, 'b', sizeof comp - 1);
    comp[sizeof comp - 1] = '\0';
    assert_string_equal(entryname_check(comp), "path component longer than 255 bytes");
}

static void folds_case_and_normalization(void **state)
{
    (void)state;
    char *a = entryname_fold("pkg/Foo.py"), *b = entryname_fold("pkg/foo.py");
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* é precomposed (NFC) and e + combining acute (NFD) */
    a = entryname_fold("caf\xc3\xa9.py");
    b = entryname_fold("cafe\xcc\x81.py");
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = entryname_fold("pkg/a.py");
    b = entryname_fold("pkg/b.py");
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void escapes_names_for_messages(void **state)
{
    (void)state;
    char *e = entryname_escape("pkg/name\xff\xfe.py");
    assert_string_equal(e, "pkg/name\\xff\\xfe.py");
    free(e);
    e = entryname_escape("caf\xc3\xa9\n.py");
    assert_string_equal(e, "caf\xc3\xa9\\x0a.py");
    free(e);
    char longname[400];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    longname[0] = 'S';
    longname[sizeof longname - 2] = 'E';
    e = entryname_escape(longname);
    assert_int_equal(strlen(e), 183);
    assert_int_equal(e[0], 'S');
    assert_int_equal(e[182], 'E');
    assert_memory_equal(e + 120, "...", 3);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_ordinary_names),
        cmocka_unit_test(rejects_hostile_names),
        cmocka_unit_test(folds_case_and_normalization),
        cmocka_unit_test(escapes_names_for_messages),
    };
    return cmocka_run_group_tests_name("entryname", tests, NULL, NULL);
}
