/* Unit tests: report/stats.c, the medians, bootstrap intervals and CV that
 * decide when bench/run stops timing a cell and what the reporter judges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "report/stats.h"

static void median_odd_and_even(void **state)
{
    (void)state;
    double a[] = {3, 1, 2}, b[] = {4, 1, 3, 2};
    assert_true(stats_median(a, 3) == 2);
    assert_true(stats_median(b, 4) == 2.5);
}

static void cv_of_known_values(void **state)
{
    (void)state;
    double x[] = {9, 10, 11}, mean, sd;
    assert_true(fabs(stats_cv(x, 3, &mean, &sd) - 0.1) < 1e-12);
    assert_true(mean == 10 && sd == 1);
    double one[] = {5};
    assert_true(stats_cv(one, 1, NULL, NULL) == 0);
}

/* identical runs: a point interval, settled at any precision */
static void steady_runs_give_a_tight_interval(void **state)
{
    (void)state;
    double x[20];
    for (int i = 0; i < 20; i++)
        x[i] = 0.100 + 0.0001 * (i % 3);
    struct interval iv = stats_median_ci(x, 20);
    assert_true(iv.lo <= iv.est && iv.est <= iv.hi);
    assert_true(stats_halfwidth(iv) < 0.01);
}

/* runs spread over +-30%: the interval is wide, so the cell is noisy */
static void scattered_runs_give_a_wide_interval(void **state)
{
    (void)state;
    double x[] = {0.07, 0.13, 0.10, 0.08, 0.12, 0.09, 0.11};
    struct interval iv = stats_median_ci(x, 7);
    assert_true(stats_halfwidth(iv) > 0.05);
    /* the same runs give the same interval: the seed is fixed */
    struct interval again = stats_median_ci(x, 7);
    assert_true(iv.lo == again.lo && iv.hi == again.hi);
}

/* the ratio's interval holds the ratio of medians and separates a real
 * 1.5x from 1 */
static void ratio_interval(void **state)
{
    (void)state;
    double a[] = {0.150, 0.151, 0.149, 0.152, 0.150}, b[] = {0.100, 0.101, 0.099, 0.100, 0.102};
    struct interval r = stats_ratio_ci(a, 5, b, 5);
    assert_true(fabs(r.est - 1.5) < 0.01);
    assert_true(r.lo > 1.4 && r.hi < 1.6 && r.lo <= r.est && r.est <= r.hi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(median_odd_and_even),
        cmocka_unit_test(cv_of_known_values),
        cmocka_unit_test(steady_runs_give_a_tight_interval),
        cmocka_unit_test(scattered_runs_give_a_wide_interval),
        cmocka_unit_test(ratio_interval),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
