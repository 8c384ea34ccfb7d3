/* stats.c - medians, their bootstrap intervals and the CV (see stats.h).
 * Percentile bootstrap: STATS_RESAMPLES resamples with replacement, the
 * statistic of each, and the 2.5th and 97.5th percentiles of those. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/splitmix.h"
#include "common/util.h"
#include "report/stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double stats_median(double *x, size_t n)
{
    sort_items(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

double stats_cv(const double *x, size_t n, double *mean, double *stddev)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double m = n ? sum / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        sq += (x[i] - m) * (x[i] - m);
    double sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
    if (mean)
        *mean = m;
    if (stddev)
        *stddev = sd;
    return m > 0 ? sd / m : 0;
}

/* the median of a resample of X into TMP */
static double resample_median(const double *x, size_t n, double *tmp, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        tmp[i] = x[splitmix64_next(seed) % n];
    return stats_median(tmp, n);
}

static struct interval percentiles(double est, double *stat, size_t b)
{
    sort_items(stat, b, sizeof *stat, cmp_double);
    double tail = (1 - STATS_CONFIDENCE) / 2;
    size_t lo = (size_t)floor(tail * (double)(b - 1)), hi = (size_t)ceil((1 - tail) * (double)(b - 1));
    return (struct interval){est, stat[lo], stat[hi]};
}

struct interval stats_median_ci(const double *x, size_t n)
{
    double *tmp = xmalloc(n * sizeof *tmp), *stat = xmalloc(STATS_RESAMPLES * sizeof *stat);
    memcpy(tmp, x, n * sizeof *tmp);
    double est = stats_median(tmp, n);
    uint64_t seed = 0x11ab;
    for (size_t i = 0; i < STATS_RESAMPLES; i++)
        stat[i] = resample_median(x, n, tmp, &seed);
    struct interval iv = percentiles(est, stat, STATS_RESAMPLES);
    free(tmp);
    free(stat);
    return iv;
}

struct interval stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb)
{
    double *ta = xmalloc(na * sizeof *ta), *tb = xmalloc(nb * sizeof *tb);
    double *stat = xmalloc(STATS_RESAMPLES * sizeof *stat);
    memcpy(ta, a, na * sizeof *ta);
    memcpy(tb, b, nb * sizeof *tb);
    double est = stats_median(ta, na) / stats_median(tb, nb);
    uint64_t seed = 0x11ab;
    for (size_t i = 0; i < STATS_RESAMPLES; i++) {
        double ma = resample_median(a, na, ta, &seed);
        stat[i] = ma / resample_median(b, nb, tb, &seed);
    }
    struct interval iv = percentiles(est, stat, STATS_RESAMPLES);
    free(ta);
    free(tb);
    free(stat);
    return iv;
}

double stats_halfwidth(struct interval iv)
{
    if (iv.est <= 0)
        return 0;
    double d = fmax(iv.est - iv.lo, iv.hi - iv.est);
    return d / iv.est;
}
