/* Unit tests: the per-wheel fallback state machine, driven by injected errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "engine/fallback.h"

static void clone_steps_down_to_copy_on_exdev(void **state)
{
    (void)state;
    struct fb_state st;
    struct fb_file f = {0};
    fb_init(&st, MODE_CLONE, false);
    assert_int_equal(st.current, MODE_CLONE);
    assert_int_equal(fb_next(&st, &f, EXDEV), FB_STEP_DOWN);
    assert_int_equal(st.current, MODE_HARDLINK);
    assert_int_equal(fb_next(&st, &f, EXDEV), FB_STEP_DOWN);
    assert_int_equal(st.current, MODE_COPY);
    assert_int_equal(fb_next(&st, &f, 0), FB_DONE);
    assert_true(st.settled);
    assert_int_equal(st.nsteps, 2);
    assert_int_equal(st.steps[0].mode, MODE_CLONE);
    assert_int_equal(st.steps[0].err, EXDEV);
    assert_int_equal(st.steps[1].mode, MODE_HARDLINK);
}

static void capability_errors_step_down(void **state)
{
    (void)state;
    const int errs[] = {EOPNOTSUPP, EINVAL, EXDEV, ENOTTY, EPERM};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        struct fb_state st;
        struct fb_file f = {0};
        fb_init(&st, MODE_CLONE, false);
        assert_int_equal(fb_next(&st, &f, errs[i]), FB_STEP_DOWN);
        assert_int_equal(st.current, MODE_HARDLINK);
    }
}

static void resource_errors_fail(void **state)
{
    (void)state;
    const int errs[] = {ENOSPC, EIO, EACCES, ENOENT, EDQUOT};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        struct fb_state st;
        struct fb_file f = {0};
        fb_init(&st, MODE_CLONE, false);
        assert_int_equal(fb_next(&st, &f, errs[i]), FB_FAIL);
        assert_int_equal(st.nsteps, 0);
    }
}

static void failure_after_settling_is_an_error(void **state)
{
    (void)state;
    struct fb_state st;
    struct fb_file f = {0};
    fb_init(&st, MODE_CLONE, false);
    assert_int_equal(fb_next(&st, &f, 0), FB_DONE);
    struct fb_file g = {0};
    assert_int_equal(fb_next(&st, &g, EXDEV), FB_FAIL);
    assert_int_equal(fb_next(&st, &g, EOPNOTSUPP), FB_FAIL);
    assert_int_equal(st.current, MODE_CLONE);
}

static void strict_forbids_every_step(void **state)
{
    (void)state;
    struct fb_state st;
    struct fb_file f = {0};
    fb_init(&st, MODE_HARDLINK, true);
    assert_int_equal(fb_next(&st, &f, EXDEV), FB_FAIL);
    assert_int_equal(st.nsteps, 0);
    /* replacing an existing file is not a fallback */
    fb_init(&st, MODE_HARDLINK, true);
    assert_int_equal(fb_next(&st, &f, EEXIST), FB_REPLACE);
}

static void eexist_replaces_once(void **state)
{
    (void)state;
    struct fb_state st;
    struct fb_file f = {0};
    fb_init(&st, MODE_COPY, false);
    assert_int_equal(fb_next(&st, &f, EEXIST), FB_REPLACE);
    assert_true(f.replaced);
    assert_int_equal(fb_next(&st, &f, EEXIST), FB_FAIL);
}

static void emlink_reinodes_then_steps_down(void **state)
{
    (void)state;
    struct fb_state st;
    struct fb_file f = {0};
    fb_init(&st, MODE_HARDLINK, false);
    assert_int_equal(fb_next(&st, &f, EMLINK), FB_REINODE);
    assert_int_equal(st.current, MODE_HARDLINK);
    /* still at the limit after a fresh inode: the filesystem's limit is tiny */
    assert_int_equal(fb_next(&st, &f, EMLINK), FB_STEP_DOWN);
    assert_int_equal(st.current, MODE_COPY);
    /* after settling, EMLINK on another file still re-inodes */
    assert_int_equal(fb_next(&st, &f, 0), FB_DONE);
    struct fb_file g = {0};
    fb_init(&st, MODE_HARDLINK, false);
    assert_int_equal(fb_next(&st, &g, 0), FB_DONE);
    struct fb_file h = {0};
    assert_int_equal(fb_next(&st, &h, EMLINK), FB_REINODE);
    assert_int_equal(fb_next(&st, &h, 0), FB_DONE);
}

static void chains_per_mode(void **state)
{
    (void)state;
    struct fb_state st;
    struct fb_file f = {0};
    fb_init(&st, MODE_SYMLINK, false);
    assert_int_equal(fb_next(&st, &f, EPERM), FB_STEP_DOWN);
    assert_int_equal(st.current, MODE_COPY);
    assert_int_equal(fb_next(&st, &f, EOPNOTSUPP), FB_FAIL); /* copy has nowhere to go */
    fb_init(&st, MODE_AUTO, false);
    assert_int_equal(st.current, MODE_CLONE);
    fb_init(&st, MODE_COPY, false);
    assert_int_equal(fb_next(&st, &f, EXDEV), FB_FAIL);
}

static void mode_names_round_trip(void **state)
{
    (void)state;
    for (int m = 0; m < MODE_COUNT; m++)
        assert_int_equal(mode_parse(mode_name((enum lab_mode)m)), m);
    assert_int_equal(mode_parse("reflink"), MODE_CLONE);
    assert_int_equal(mode_parse("bogus"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clone_steps_down_to_copy_on_exdev),
        cmocka_unit_test(capability_errors_step_down),
        cmocka_unit_test(resource_errors_fail),
        cmocka_unit_test(failure_after_settling_is_an_error),
        cmocka_unit_test(strict_forbids_every_step),
        cmocka_unit_test(eexist_replaces_once),
        cmocka_unit_test(emlink_reinodes_then_steps_down),
        cmocka_unit_test(chains_per_mode),
        cmocka_unit_test(mode_names_round_trip),
    };
    return cmocka_run_group_tests_name("fallback", tests, NULL, NULL);
}
