/* stats.h - what a set of timed runs says: the median with its bootstrap
 * confidence interval, the coefficient of variation, and the interval of a
 * ratio of two medians. Shared by `linklab timing` (bench/run asks it
 * whether a cell has run enough) and the reporter. */
#ifndef LAB_STATS_H
#define LAB_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* resamples per interval; the generator's seed is fixed, so the same runs
 * give the same interval on every machine */
#define STATS_RESAMPLES 2000
#define STATS_CONFIDENCE 0.95

struct interval {
    double est, lo, hi; /* the estimate and its 95% interval */
};

/* the median of X[0..N) (N > 0); X is left sorted */
double stats_median(double *x, size_t n);
/* mean, sample standard deviation and their ratio (0 for N < 2) */
double stats_cv(const double *x, size_t n, double *mean, double *stddev);
/* the median of X with its percentile-bootstrap interval (N > 0) */
struct interval stats_median_ci(const double *x, size_t n);
/* median(A) / median(B) with the interval of the ratio, A and B resampled
 * independently (NA, NB > 0; B's values > 0) */
struct interval stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb);
/* the interval's larger distance from its estimate, as a fraction of it */
double stats_halfwidth(struct interval iv);

#endif
