/* timing.c - linklab timing: what a cell's timed runs (hyperfine JSON, one
 * file per batch) say so far: runs, median with its 95% bootstrap interval,
 * CV, and whether the interval is within the precision asked. bench/run
 * runs batches until it is (or its time cap is spent); --merge joins the
 * batches into the one hyperfine.json the reporter reads. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmds/cmd.h"
#include "common/util.h"
#include "report/stats.h"

static void help(void)
{
    printf("usage: linklab timing [--precision F] [--exit N] [--merge OUT] HYPERFINE.json...\n\n"
           "Reads the runs of one command from hyperfine --export-json files (batches of\n"
           "the same cell) and prints what they say so far, as one line:\n"
           "  runs=N failed=N median=S lo=S hi=S halfwidth=F cv=F settled=yes|no\n"
           "lo and hi bound the median's 95%% interval (percentile bootstrap, %d\n"
           "resamples, fixed seed); halfwidth is the interval's larger side as a\n"
           "fraction of the median; settled=yes when that is at most the precision.\n"
           "Only runs that exited N are timed (the others are counted as failed).\n\n"
           "options:\n"
           "  --precision F  the interval's half-width to reach (default 0.02: +-2%%)\n"
           "  --exit N       the exit status every run should have (default 0)\n"
           "  --merge OUT    also write the runs of every file into OUT as one\n"
           "                 hyperfine result (times, exit_codes, median, mean, ...)\n\n"
           "Exit status: 0 read (settled or not), 1 a file is unreadable or holds no\n"
           "hyperfine result, 2 usage.\n",
           STATS_RESAMPLES);
}

struct runs {
    double *all, *ok;
    json_t *times, *codes;
    size_t nall, nok, cap;
};

static int read_batch(const char *path, long want_exit, struct runs *r, json_t **first)
{
    json_error_t e;
    json_t *h = json_load_file(path, 0, &e);
    json_t *results = h ? json_object_get(h, "results") : NULL;
    json_t *res = json_array_get(results, 0);
    json_t *times = res ? json_object_get(res, "times") : NULL;
    if (!json_is_array(times)) {
        lab_error("%s: %s", path, h ? "no hyperfine result (results[0].times)" : e.text);
        json_decref(h);
        return -1;
    }
    /* one command's runs: a file timing several commands is not one cell */
    if (json_array_size(results) > 1) {
        lab_error("%s: holds %zu commands' runs; give a file of one command's", path, json_array_size(results));
        json_decref(h);
        return -1;
    }
    json_t *codes = json_object_get(res, "exit_codes");
    for (size_t i = 0; i < json_array_size(times); i++) {
        json_t *t = json_array_get(times, i), *code = json_array_get(codes, i);
        if (!json_is_number(t) || !isfinite(json_number_value(t)) || json_number_value(t) < 0) {
            lab_error("%s: run %zu: its time is not a number of seconds (finite, 0 or more)", path, i + 1);
            json_decref(h);
            return -1;
        }
        if (r->nall == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 64;
            r->all = xrealloc(r->all, r->cap * sizeof *r->all);
            r->ok = xrealloc(r->ok, r->cap * sizeof *r->ok);
        }
        double v = json_number_value(t);
        r->all[r->nall++] = v;
        json_array_append(r->times, t);
        json_array_append_new(r->codes, code ? json_incref(code) : json_null());
        if (!code || json_is_null(code) || json_integer_value(code) == want_exit)
            r->ok[r->nok++] = v;
    }
    if (!*first)
        *first = json_incref(res);
    json_decref(h);
    return 0;
}

static int write_merged(const char *out, json_t *first, struct runs *r)
{
    json_t *res = json_deep_copy(first);
    double mean, sd, *tmp = xmalloc((r->nall ? r->nall : 1) * sizeof *tmp);
    memcpy(tmp, r->all, r->nall * sizeof *tmp);
    stats_cv(r->all, r->nall, &mean, &sd);
    double median = r->nall ? stats_median(tmp, r->nall) : 0;
    json_object_set(res, "times", r->times);
    json_object_set(res, "exit_codes", r->codes);
    json_object_set_new(res, "mean", json_real(mean));
    json_object_set_new(res, "stddev", json_real(sd));
    json_object_set_new(res, "median", json_real(median));
    json_object_set_new(res, "min", json_real(r->nall ? tmp[0] : 0));
    json_object_set_new(res, "max", json_real(r->nall ? tmp[r->nall - 1] : 0));
    free(tmp);
    json_t *doc = json_pack("{s:[o]}", "results", res);
    /* only a regular file is replaced (never a device, a directory or what
     * a symlink points at), through a temporary file of its own */
    struct stat st;
    if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        lab_error("--merge %s: not a regular file; refusing to replace it", out);
        json_decref(doc);
        return -1;
    }
    char *tmpname = xasprintf("%s.XXXXXX", out);
    int fd = mkstemp(tmpname), rc = -1;
    if (fd >= 0) {
        FILE *f = fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
        bool ok = f && json_dumpf(doc, f, JSON_INDENT(2)) == 0;
        if (f)
            ok = fclose(f) == 0 && ok;
        else
            close(fd);
        if (ok && rename(tmpname, out) == 0)
            rc = 0;
    }
    if (rc != 0) {
        int e = errno;
        if (fd >= 0)
            unlink(tmpname);
        lab_error("--merge %s: %s", out, strerror(e));
    }
    free(tmpname);
    json_decref(doc);
    return rc;
}

int cmd_timing(int argc, char **argv)
{
    static const struct option opts[] = {
        {"precision", required_argument, NULL, 'p'}, {"exit", required_argument, NULL, 'e'},
        {"merge", required_argument, NULL, 'm'},     {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    double precision = 0.02;
    long want_exit = 0;
    const char *merge = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":p:e:m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            char *end;
            errno = 0;
            precision = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(precision > 0 && precision < 1))
                return usage_error("timing", "--precision takes a fraction between 0 and 1 (0.02 is +-2%%), not '%s'",
                                   optarg);
            break;
        }
        case 'e':
            if (!parse_count(optarg, 0, 255, &want_exit))
                return usage_error("timing", "--exit takes an exit status from 0 to 255, not '%s'", optarg);
            break;
        case 'm':
            merge = optarg;
            break;
        case 'h':
            help();
            return LAB_EXIT_OK;
        default:
            return option_error("timing", c, argv);
        }
    }
    if (optind == argc)
        return usage_error("timing", "which hyperfine JSON files?");
    struct runs r = {.times = json_array(), .codes = json_array()};
    json_t *first = NULL;
    int rc = LAB_EXIT_OK;
    for (int i = optind; i < argc && rc == LAB_EXIT_OK; i++)
        if (read_batch(argv[i], want_exit, &r, &first) != 0)
            rc = LAB_EXIT_FAIL;
    if (rc == LAB_EXIT_OK && merge && write_merged(merge, first, &r) != 0)
        rc = LAB_EXIT_FAIL;
    if (rc == LAB_EXIT_OK) {
        struct interval iv = {0, 0, 0};
        double cv = 0, hw = INFINITY;
        if (r.nok > 0) {
            iv = stats_median_ci(r.ok, r.nok);
            cv = stats_cv(r.ok, r.nok, NULL, NULL);
            hw = r.nok > 1 ? stats_halfwidth(iv) : INFINITY;
        }
        printf("runs=%zu failed=%zu median=%.6f lo=%.6f hi=%.6f halfwidth=%.4f cv=%.4f settled=%s\n", r.nok,
               r.nall - r.nok, iv.est, iv.lo, iv.hi, isinf(hw) ? 1.0 : hw, cv, hw <= precision ? "yes" : "no");
    }
    free(r.all);
    free(r.ok);
    json_decref(r.times);
    json_decref(r.codes);
    json_decref(first);
    return rc;
}
