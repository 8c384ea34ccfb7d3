/* cmd_report.c - linklab report: judge one or more bench runs and write
 * report.md, results.json, results.csv, junit.xml and plots. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cmd.h"
#include "common/strbuf.h"
#include "report/expect.h"
#include "report/report.h"
#include "common/util.h"

static void help(void)
{
    printf("usage: linklab report RUN [RUN...] [--baseline RUN] [--junit FILE] [--out DIR]\n"
           "                      [--threshold F] [--precision F]\n"
           "       linklab report --check-expectations EXPECT...\n\n"
           "Reads what bench/run wrote (run.json, images.json, cells/*/{cell.json,\n"
           "hyperfine.json,observe.json,events.jsonl}), checks every cell's expectations\n"
           "on the observed install, and writes into DIR (default: the first RUN):\n"
           "  report.md      a table per layout: median with its 95%% bootstrap\n"
           "                 interval, CV, ratio (and its interval) to the fastest\n"
           "                 cell and to cp in the same mode, observed classes,\n"
           "                 fallback, verdict; failed expectations; flags; how many\n"
           "                 timed cells have a CV at or under 3%% and how many are noisy\n"
           "  results.json   one record per cell, with the runs' provenance\n"
           "  results.csv    one row per cell with provenance columns (kernel, mkfs,\n"
           "                 hyperfine, machine)\n"
           "  junit.xml      a test case per expectation; the environment as properties\n"
           "  plot-modes.svg/.png, plot-files.svg/.png (gnuplot)\n"
           "Several RUNs (say, from several machines) merge into one report.\n\n"
           "options:\n"
           "  --baseline RUN  a cell whose median's 95%% interval lies above the same\n"
           "                  cell's interval in RUN by more than the threshold (a\n"
           "                  fraction of RUN's median) is a regression; noisy cells\n"
           "                  are flagged and judged so too (their intervals are wide)\n"
           "  --threshold F   default 0.10 (10%%)\n"
           "  --precision F   a cell whose median's interval reaches further than F\n"
           "                  of the median is flagged noisy (default: the run's own\n"
           "                  precision, from its definition; 0.02 when it has none)\n"
           "  --junit FILE    also write the JUnit XML there\n"
           "  --out DIR       where to write (default: the first RUN)\n"
           "  --check-expectations EXPECT...\n"
           "                  only parse these expectations (bench/run does, for every\n"
           "                  cell, before it runs anything): exit 0, or 2 and one line\n"
           "                  naming the first that does not parse\n\n"
           "Expectations (a cell's, all must hold on the observed install):\n");
    struct strbuf sb = STRBUF_INIT;
    expectation_help(&sb);
    fputs(strbuf_str(&sb), stdout);
    strbuf_release(&sb);
    printf("\nExit status: 0 every expectation holds and nothing regressed, 1 otherwise\n"
           "(or an error), 2 usage error.\n");
}

static int check_expectations(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        struct expectation e;
        char why[512];
        if (expectation_parse(argv[i], &e, why, sizeof why) != 0) {
            fprintf(stderr, "linklab report: expectation '%s': %s\n", argv[i], why);
            return LAB_EXIT_USAGE;
        }
    }
    return LAB_EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"baseline", required_argument, NULL, 'b'},
        {"junit", required_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"threshold", required_argument, NULL, 't'},
        {"precision", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"check-expectations", no_argument, NULL, 'c'},
        {0, 0, 0, 0},
    };
    struct report r = {.threshold = 0.10};
    const char *baseline = NULL, *junit = NULL, *out = NULL;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, ":b:j:o:t:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': baseline = optarg; break;
        case 'j': junit = optarg; break;
        case 'o': out = optarg; break;
        case 't':
            r.threshold = strtod(optarg, &end);
            if (end == optarg || *end || !(r.threshold >= 0 && r.threshold < 1e6))
                return usage_error("report", "--threshold takes a fraction such as 0.1, not '%s'", optarg);
            break;
        case 'p':
            r.precision = strtod(optarg, &end);
            if (end == optarg || *end || !(r.precision > 0 && r.precision < 1))
                return usage_error("report", "--precision takes a fraction such as 0.02, not '%s'", optarg);
            break;
        case 'h': help(); return LAB_EXIT_OK;
        case 'c': return check_expectations(argc - optind, argv + optind);
        default: return option_error("report", c, argv);
        }
    }
    if (optind >= argc)
        return usage_error("report", "no run directory given");
    r.nruns = argc - optind;
    r.runs = xcalloc((size_t)r.nruns, sizeof *r.runs);
    int status = LAB_EXIT_OK;
    size_t *first = xcalloc((size_t)r.nruns + 1, sizeof *first);
    for (int i = 0; i < r.nruns; i++) {
        first[i] = r.ncells;
        if (report_load_run(argv[optind + i], &r.runs[i], &r.cells, &r.ncells) != 0) {
            status = LAB_EXIT_FAIL;
            goto done;
        }
    }
    first[r.nruns] = r.ncells;
    for (int i = 0; i < r.nruns; i++)
        for (size_t k = first[i]; k < first[i + 1]; k++)
            r.cells[k].run = &r.runs[i];
    if (baseline) {
        if (report_load_run(baseline, &r.base, &r.base_cells, &r.nbase) != 0) {
            status = LAB_EXIT_FAIL;
            goto done;
        }
        for (size_t k = 0; k < r.nbase; k++)
            r.base_cells[k].run = &r.base;
    }
    report_judge(&r);
    const char *dir = out ? out : r.runs[0].dir;
    if (mkdirat_p(AT_FDCWD, dir, 0755) != 0) {
        lab_error("%s: cannot create: %s", dir, strerror(errno));
        status = LAB_EXIT_FAIL;
        goto done;
    }
    char *p;
    int rc = 0;
    rc |= report_write_md(&r, p = xasprintf("%s/report.md", dir));
    free(p);
    rc |= report_write_json(&r, p = xasprintf("%s/results.json", dir));
    free(p);
    rc |= report_write_csv(&r, p = xasprintf("%s/results.csv", dir));
    free(p);
    rc |= report_write_junit(&r, p = xasprintf("%s/junit.xml", dir));
    free(p);
    if (junit)
        rc |= report_write_junit(&r, junit);
    report_plot(&r, dir);
    report_print_table(&r);
    if (rc != 0 || !report_passed(&r))
        status = LAB_EXIT_FAIL;
done:
    free(first);
    report_free(&r);
    return status;
}
