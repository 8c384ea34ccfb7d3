/* Unit tests: the cache manifest (engine/manifest.h) keeps every name byte
 * for byte and refuses a line that would name anything outside its entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/manifest.h"
#include "format/format.h"

static int parse(const char *text, struct manifest *m, char *err, size_t errlen)
{
    return manifest_parse(strdup(text), strlen(text), m, err, errlen);
}

static void leading_space_round_trips(void **state)
{
    (void)state;
    /* ' ../important.txt' is a directory named ' ..' and a file in it */
    struct pkg_entry e[] = {{.name = " ../important.txt", .mode = 0644, .size = 5},
                            {.name = "bin/ run", .mode = 0755, .size = 0}};
    struct package pkg = {.entries = e, .n = 2};
    size_t len;
    char *text = manifest_format(&pkg, &len);
    struct manifest m;
    char err[256];
    assert_int_equal(manifest_parse(text, len, &m, err, sizeof err), 0);
    assert_int_equal(m.ndirs, 2);
    assert_string_equal(m.items[0].path, " ..");
    assert_string_equal(m.items[1].path, "bin");
    assert_string_equal(m.items[2].path, " ../important.txt");
    assert_int_equal(m.items[2].mode, 0644);
    assert_int_equal(m.items[2].size, 5);
    assert_string_equal(m.items[3].path, "bin/ run");
    assert_int_equal(m.items[3].mode, 0755);
    manifest_free(&m);
}

static void refuses_what_leaves_the_entry(void **state)
{
    (void)state;
    const char *bad[] = {
        "f 644 2 ../important.txt\n",  /* a way up */
        "f 644 2 /etc/passwd\n",       /* absolute */
        "f 644 2 a/../../b\n",
        "f 644 2  \n",                 /* a name of one space is fine, none is not: */
        "f 644 2 \n",
        "f 644  2 x\n",                /* two spaces: the name would start with "2 " */
        "f 644 -2 x\n",
        "f 777 2 x\n",
        "f 0644x 2 x\n",
        "x 644 2 x\n",
        "f 644 2 x\nd 755 0 y\n",      /* a directory after the files */
        "d 644 0 y\n",
        "f 644 2 x",                   /* no newline at the end */
        "f 644 99999999999999999999 x\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct manifest m;
        char err[256];
        int rc = parse(bad[i], &m, err, sizeof err);
        if (i == 3) { /* " " is a valid name: one space */
            assert_int_equal(rc, 0);
            assert_string_equal(m.items[0].path, " ");
            manifest_free(&m);
            continue;
        }
        if (rc == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(strstr(err, "malformed"));
    }
}

static void embedded_nul_is_refused(void **state)
{
    (void)state;
    char *buf = malloc(16);
    memcpy(buf, "f 644 1 a\0b\n", 12);
    struct manifest m;
    char err[256];
    assert_int_equal(manifest_parse(buf, 12, &m, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leading_space_round_trips),
        cmocka_unit_test(refuses_what_leaves_the_entry),
        cmocka_unit_test(embedded_nul_is_refused),
    };
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
