/* Unit tests: labfs fault rules (parsing, Nth, everyN, seeded rates) and
 * name keys (case folding, normalization). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "labfs/faults.h"
#include "labfs/names.h"

static int reset(void **state)
{
    (void)state;
    faults_reset();
    return 0;
}

static void parses_and_rejects(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(faults_add("clone:EIO@3", err, sizeof err), 0);
    assert_int_equal(faults_add("write:ENOSPC", err, sizeof err), 0);
    assert_int_equal(faults_add("link:EMLINK@every2", err, sizeof err), 0);
    assert_int_equal(faults_add("create:EIO@rate0.5:seed9", err, sizeof err), 0);
    assert_int_equal(faults_add("teleport:EIO", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown operation"));
    assert_int_equal(faults_add("clone:EBOGUS", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown errno"));
    assert_int_equal(faults_add("clone:EIO@0", err, sizeof err), -1);
    assert_int_equal(faults_add("clone:EIO@rate2:seed1", err, sizeof err), -1);
    assert_int_equal(faults_add("clone", err, sizeof err), -1);
}

static void nth_and_every(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(faults_add("clone:EIO@3", err, sizeof err), 0);
    assert_int_equal(faults_add("link:EMLINK@every2", err, sizeof err), 0);
    int got[6];
    for (int i = 0; i < 6; i++)
        got[i] = faults_check(FOP_CLONE);
    int want[6] = {0, 0, EIO, 0, 0, 0};
    assert_memory_equal(got, want, sizeof got);
    for (int i = 0; i < 6; i++)
        got[i] = faults_check(FOP_LINK);
    int want2[6] = {0, EMLINK, 0, EMLINK, 0, EMLINK};
    assert_memory_equal(got, want2, sizeof got);
    assert_int_equal(faults_check(FOP_WRITE), 0);
    struct strbuf sb = STRBUF_INIT;
    faults_report(&sb);
    const char *report = strbuf_str(&sb);
    assert_non_null(strstr(report, "clone 6 1\n"));
    assert_non_null(strstr(report, "link 6 3\n"));
    assert_non_null(strstr(report, "write 1 0\n"));
    strbuf_release(&sb);
}

static void seeded_rate_replays(void **state)
{
    (void)state;
    char err[256], a[200], b[200], c[200];
    char *runs[3] = {a, b, c};
    const char *specs[3] = {"create:EIO@rate0.3:seed7", "create:EIO@rate0.3:seed7", "create:EIO@rate0.3:seed8"};
    for (int r = 0; r < 3; r++) {
        faults_reset();
        assert_int_equal(faults_add(specs[r], err, sizeof err), 0);
        for (int i = 0; i < 199; i++)
            runs[r][i] = faults_check(FOP_CREATE) ? 'x' : '.';
        runs[r][199] = '\0';
    }
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    int hits = 0;
    for (int i = 0; i < 199; i++)
        hits += a[i] == 'x';
    assert_in_range(hits, 30, 90); /* about 30% of 199 */
}

/* names_key of x and y under cfg: equal, or not */
static void keys_compare(const struct names_cfg *cfg, const char *x, const char *y, bool equal)
{
    char *a = names_key(cfg, x), *b = names_key(cfg, y);
    if (equal)
        assert_string_equal(a, b);
    else
        assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void name_keys(void **state)
{
    (void)state;
    struct names_cfg cf = {.casefold = true}, cn = {.casefold = true, .normalize = true}, none = {0};
    keys_compare(&cf, "Foo.PY", "foo.py", true);
    keys_compare(&none, "Foo.py", "foo.py", false);
    keys_compare(&cn, "Caf\xc3\xa9.py", "cafe\xcc\x81.py", true);
    /* casefold alone does not normalize */
    keys_compare(&cf, "caf\xc3\xa9.py", "cafe\xcc\x81.py", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(parses_and_rejects, reset),
        cmocka_unit_test_setup(nth_and_every, reset),
        cmocka_unit_test_setup(seeded_rate_replays, reset),
        cmocka_unit_test(name_keys),
    };
    return cmocka_run_group_tests_name("labfs_rules", tests, NULL, NULL);
}
