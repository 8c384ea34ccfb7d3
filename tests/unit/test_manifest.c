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
    return manifest_parse_body(strdup(text), strlen(text), m, err, errlen);
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
        "f 644 1125899906842625 x\n",  /* over 1 PiB */
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
    assert_int_equal(manifest_parse_body(buf, 12, &m, err, sizeof err), -1);
}

static void header_and_digest_guard_every_line(void **state)
{
    (void)state;
    struct pkg_entry e[] = {{.name = "pkg/a.py", .mode = 0644, .size = 5},
                            {.name = "pkg/b.py", .mode = 0644, .size = 7}};
    struct package pkg = {.entries = e, .n = 2};
    size_t len;
    char *text = manifest_format(&pkg, &len);
    assert_memory_equal(text, MANIFEST_MAGIC, strlen(MANIFEST_MAGIC));
    /* a mode changed, a line dropped, no header: each refused */
    const char *edits[][2] = {{"f 644 7 pkg/b.py", "f 755 7 pkg/b.py"}, {"f 644 7 pkg/b.py\n", ""}};
    for (size_t i = 0; i < 2; i++) {
        char *copy = strdup(text), *at = strstr(copy, edits[i][0]);
        assert_non_null(at);
        memmove(at + strlen(edits[i][1]), at + strlen(edits[i][0]), strlen(at + strlen(edits[i][0])) + 1);
        memcpy(at, edits[i][1], strlen(edits[i][1]));
        struct manifest m;
        char err[256];
        assert_int_equal(manifest_parse(copy, strlen(copy), &m, err, sizeof err), -1);
        assert_non_null(strstr(err, "digest does not match"));
    }
    struct manifest m;
    char err[256];
    char *body = strdup(strchr(text, '\n') + 1);
    assert_int_equal(manifest_parse(body, strlen(body), &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a version-2 manifest"));
    assert_int_equal(manifest_parse(text, len, &m, err, sizeof err), 0);
    assert_int_equal(m.n, 3);
    manifest_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leading_space_round_trips),
        cmocka_unit_test(refuses_what_leaves_the_entry),
        cmocka_unit_test(embedded_nul_is_refused),
        cmocka_unit_test(header_and_digest_guard_every_line),
    };
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
