/* report.h - the reporter's model: runs (results/RUN/ as bench/run writes
 * them), their cells, and what the reporter derives for each cell. */
#ifndef LAB_REPORT_H
#define LAB_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "observe/observe.h"
#include "report/stats.h"

#define REPORT_SCHEMA 1

struct run_info {
    char *dir;
    json_t *run;    /* run.json */
    json_t *images; /* images.json: scripts/images status --json */
    const char *machine;
    long cells_planned; /* run.json's cells_planned; -1 when the run does not say */
    long cells_found;   /* cells with a cell.json in the run directory */
    double precision;   /* run.json's precision: a wider median interval is noisy (default 0.02) */
};

struct exp_result {
    char *expr;
    bool pass;
    char *observed; /* what was seen, for the message */
};

struct cell {
    const struct run_info *run;
    json_t *def;      /* cell.json */
    const char *id, *layout, *subject, *mode, *corpus, *status, *reason;
    long files;
    /* timing (hyperfine.json) */
    bool timed;
    double median, mean, stddev, min, max, cv;
    double *times;      /* the runs that exited as expected, nruns of them */
    struct interval ci; /* the median's 95% bootstrap interval */
    bool noisy;         /* the interval is wider than the run's precision: not judged */
    int nruns, failed_runs; /* runs that exited as expected; runs that did not */
    int expected_exit;      /* exit=N of the cell (default 0): what every run must exit */
    /* the observed install (observe.json, events.jsonl) */
    bool observed;
    long classes[CLS_COUNT];
    long missing, corrupt, mode_findings;
    int exit_code, warnings; /* -1 unknown */
    long claimed_clone;      /* linklab's own log: files it says it cloned; -1 unknown */
    /* derived */
    double ratio_fastest, ratio_cp; /* 0 unknown */
    struct interval ratio_fastest_ci, ratio_cp_ci;
    struct exp_result *results;
    int nresults;
    char *flags;
    const char *verdict; /* "pass", "fail", "not-run" */
    bool has_base, regression;
    double base_median, base_stddev;
    struct interval base_ci;
};

struct report {
    struct run_info *runs;
    int nruns;
    struct cell *cells;
    size_t ncells;
    struct run_info base;
    struct cell *base_cells;
    size_t nbase;
    double threshold; /* regression: the intervals apart by more than this fraction of the baseline */
    double precision; /* --precision: overrides the runs' own (0: theirs) */
    int pass, fail, notrun, regressions;
    int timed, steady, noisy; /* timed cells; of them with CV <= 3%; flagged noisy */
    long cells_missing; /* planned by the runs but never run (an interrupted run) */
    bool multi_machine;
};

/* report_load.c */
int report_load_run(const char *dir, struct run_info *run, struct cell **cells, size_t *ncells);
void report_free(struct report *r);

/* report_judge.c: expectations, ratios, flags, regressions, verdicts */
void report_judge(struct report *r);
/* the sign-off's verdict: no expectation failed, nothing regressed, every
 * planned cell is there (an interrupted run is no sign-off), and at least one
 * cell ran and passed (a matrix of not-run cells proves nothing) */
bool report_passed(const struct report *r);
/* "same-btrfs.linklab.clone.real" or "MACHINE:..." when runs come from several machines */
const char *cell_label(const struct report *r, const struct cell *c, char *buf, size_t len);

/* report_write.c */
int report_write_md(const struct report *r, const char *path);
int report_write_json(const struct report *r, const char *path);
int report_write_csv(const struct report *r, const char *path);
int report_write_junit(const struct report *r, const char *path);
void report_print_table(const struct report *r);

/* report_plot.c: PNG and SVG through gnuplot; 0, or -1 when gnuplot is missing */
int report_plot(const struct report *r, const char *dir);

#endif
