/* Unit tests: RECORD parsing and RECORD-style digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/digest.h"
#include "format/record.h"

static void parses_rows_and_sorts(void **state)
{
    (void)state;
    const char *text = "pkg/b.py,sha256=abc,12\n"
                       "pkg/a.py,sha256=def,0\r\n"
                       "pkg-1.0.dist-info/RECORD,,\n";
    struct record r;
    char err[256];
    assert_int_equal(record_parse(text, strlen(text), &r, err, sizeof err), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.rows[0].path, "pkg-1.0.dist-info/RECORD");
    assert_null(r.rows[0].algo);
    assert_int_equal(r.rows[0].size, -1);
    const struct record_row *a = record_find(&r, "pkg/a.py");
    assert_non_null(a);
    assert_string_equal(a->algo, "sha256");
    assert_string_equal(a->hash, "def");
    assert_int_equal(a->size, 0);
    assert_int_equal(record_find(&r, "pkg/b.py")->size, 12);
    assert_null(record_find(&r, "pkg/c.py"));
    record_free(&r);
}

static void quoted_paths_with_commas(void **state)
{
    (void)state;
    const char *text = "\"a,b \"\"q\"\".py\",sha256=x,1\n";
    struct record r;
    char err[256];
    assert_int_equal(record_parse(text, strlen(text), &r, err, sizeof err), 0);
    assert_string_equal(r.rows[0].path, "a,b \"q\".py");
    record_free(&r);
}

static void rejects_malformed(void **state)
{
    (void)state;
    struct record r;
    char err[256];
    static const char *const bad[] = {
        "a.py,sha256=x\n",        /* two fields */
        "a.py,sha256=x,1,extra\n", /* four fields */
        "a.py,sha256,1\n",        /* no '=' */
        "a.py,sha256=x,-3\n",     /* negative size */
        "a.py,sha256=x,12k\n",    /* not a number */
        "\"a.py,sha256=x,1\n",    /* unterminated quote */
        "a.py,sha256=x,1\na.py,sha256=x,1\n", /* listed twice */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(record_parse(bad[i], strlen(bad[i]), &r, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
    const char nul[] = "a.py,sha256=x,1\0\n";
    assert_int_equal(record_parse(nul, sizeof nul - 1, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
}

static void self_and_signatures(void **state)
{
    (void)state;
    const char *rec = "p-1.dist-info/RECORD";
    assert_true(record_is_self("p-1.dist-info/RECORD", rec));
    assert_true(record_is_self("p-1.dist-info/RECORD.jws", rec));
    assert_true(record_is_self("p-1.dist-info/RECORD.p7s", rec));
    assert_false(record_is_self("p-1.dist-info/RECORDS", rec));
    assert_false(record_is_self("p-1.dist-info/METADATA", rec));
}

static void digest_matches_record_format(void **state)
{
    (void)state;
    /* sha256 of "hello\n", as pip writes it in RECORD */
    struct digest *d = digest_new("sha256");
    assert_non_null(d);
    digest_update(d, "hello\n", 6);
    char out[128];
    digest_final_b64(d, out, sizeof out);
    digest_free(d);
    assert_string_equal(out, "WJG1tSLV3whtD_CxEPvZ0hu0_HFjrzTQgoai6Eb2vgM");
    /* empty file */
    d = digest_new("sha256");
    digest_final_b64(d, out, sizeof out);
    digest_free(d);
    assert_string_equal(out, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    char hex[65];
    sha256_hex("hello\n", 6, hex);
    assert_string_equal(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    assert_null(digest_new("md5"));
    assert_null(digest_new("sha1"));
    assert_non_null(d = digest_new("sha512"));
    digest_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_rows_and_sorts),
        cmocka_unit_test(quoted_paths_with_commas),
        cmocka_unit_test(rejects_malformed),
        cmocka_unit_test(self_and_signatures),
        cmocka_unit_test(digest_matches_record_format),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
